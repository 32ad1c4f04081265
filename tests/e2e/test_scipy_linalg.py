"""scipy.linalg's LU solves, matrix exponential and square root, Sylvester and banded solves
as users write them, in every mode and to second order against central differences; values
equal to SciPy's; the emitted module importing scipy.linalg where (and only where) it is
used; refusals located at their line. Skipped without SciPy (an optional extra)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import srcdiff
from srcdiff import NonDifferentiableError

from tests.numeric import assert_all_modes, central_difference

scipy = pytest.importorskip("scipy")
import scipy.linalg  # noqa: E402
import scipy.linalg as sla  # noqa: E402
from scipy.linalg import expm, lu_factor, lu_solve, solve_banded, sqrtm  # noqa: E402

RNG = np.random.default_rng(1616)


def values(*shape):
    return RNG.uniform(-1.0, 1.0, size=shape)


def well_conditioned(n):
    return values(n, n) + 3.0 * np.eye(n)


def spd(n):
    m = values(n, n)
    return m @ m.T / n + np.eye(n)


def banded(l, u, n):
    ab = values(l + u + 1, n) * 0.5
    ab[u] = RNG.uniform(3.0, 4.0, size=n)
    return ab


WEIGHTS = np.arange(9.0).reshape(3, 3) / 9.0


# -- the matrix exponential

def expm_sum(a):
    return np.sum(np.sin(scipy.linalg.expm(a)))


def expm_imported(a):
    return np.sum(expm(a * 0.5) * WEIGHTS)


def expm_aliased_of_a_product(a):
    return np.trace(sla.expm(a @ a.T * 0.25))


def expm_twice(a):
    e = expm(a)
    return np.sum(e @ expm(-a.T) * WEIGHTS)


@pytest.mark.parametrize("f", [expm_sum, expm_imported, expm_aliased_of_a_product, expm_twice])
def test_expm_in_every_mode(f):
    assert_all_modes(f, (values(3, 3) * 0.6,))


def test_expm_of_a_2x2_and_its_value():
    a = values(2, 2)
    assert_all_modes(expm_sum, (a,))
    out, _ = srcdiff.vjp(expm_of, a)
    np.testing.assert_allclose(out, scipy.linalg.expm(a), rtol=1e-14)


def expm_of(a):
    return scipy.linalg.expm(a)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2 ** 32 - 1), st.integers(1, 4))
def test_expm_vjp_is_the_frechet_derivative_at_the_transpose(seed, n):
    """For every A and cotangent G: A's adjoint of expm is L(A.T, G), SciPy's expm_frechet."""
    rng = np.random.default_rng(seed)
    a, g = rng.uniform(-1, 1, (n, n)), rng.uniform(-1, 1, (n, n))
    _, pullback = srcdiff.vjp(expm_of, a)
    np.testing.assert_allclose(pullback(g)[0], scipy.linalg.expm_frechet(a.T, g, compute_expm=False),
                               rtol=1e-9, atol=1e-11)
    _, tangent = srcdiff.jvp(expm_of, (a,), (g,))
    np.testing.assert_allclose(tangent, scipy.linalg.expm_frechet(a, g, compute_expm=False), rtol=1e-9, atol=1e-11)


def test_expm_float32_keeps_its_dtype():
    a = (values(3, 3) * 0.5).astype(np.float32)
    got = srcdiff.grad(expm_sum)(a)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, srcdiff.grad(expm_sum)(a.astype(np.float64)), rtol=1e-4, atol=1e-5)


# -- the square root, and the Sylvester equation its derivative solves

def sqrtm_weighted(a):
    return np.sum(sqrtm(a) * WEIGHTS)


def sqrtm_squared_back(a):
    s = scipy.linalg.sqrtm(a)
    return np.sum(np.sin(s @ s))


def sylvester(a, b, q):
    return np.sum(np.sin(scipy.linalg.solve_sylvester(a, b, q)))


@pytest.mark.parametrize("f", [sqrtm_weighted, sqrtm_squared_back])
def test_sqrtm_in_every_mode(f):
    assert_all_modes(f, (spd(3),))


def test_sqrtm_value_is_scipys():
    a = spd(3)
    out, _ = srcdiff.vjp(sqrtm_of, a)
    np.testing.assert_allclose(out, scipy.linalg.sqrtm(a), rtol=1e-13)


def sqrtm_of(a):
    return sqrtm(a)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2 ** 32 - 1), st.integers(1, 4))
def test_sqrtm_tangent_solves_the_sylvester_equation(seed, n):
    """S dS + dS S = dA for every SPD A and direction dA."""
    rng = np.random.default_rng(seed)
    m = rng.uniform(-1, 1, (n, n))
    a, e = m @ m.T + np.eye(n), rng.uniform(-1, 1, (n, n))
    s, ds = srcdiff.jvp(sqrtm_of, (a,), (e,))
    np.testing.assert_allclose(s @ ds + ds @ s, e, rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("argnum", [0, 1, 2])
def test_solve_sylvester_in_every_mode(argnum):
    a, b, q = values(2, 2) * 0.3 + 2 * np.eye(2), values(3, 3) * 0.3 + np.eye(3), values(2, 3)
    assert_all_modes(sylvester, (a, b, q), argnum=argnum)


# -- x = lu_solve(lu_factor(A), b)

def lu_unpacked(a, b):
    lu, piv = scipy.linalg.lu_factor(a)
    return np.sum(np.sin(scipy.linalg.lu_solve((lu, piv), b)))


def lu_inline(a, b):
    return np.sum(lu_solve(lu_factor(a), b) ** 2)


def lu_transposed(a, b):
    return np.sum(np.sin(sla.lu_solve(sla.lu_factor(a), b, trans=1)))


def lu_conjugate_transposed(a, b):
    """trans=2, the conjugate transpose: of a real matrix, the transpose."""
    factors = lu_factor(a)
    return np.sum(np.cos(lu_solve(factors, b, trans=2)))


def lu_reused(a, b):
    """One factorisation, two solves: its derivative adds both."""
    lu, piv = lu_factor(a)
    x = lu_solve((lu, piv), b)
    return np.sum(lu_solve((lu, piv), x * x) * WEIGHTS[0])


def lu_of_the_factors(a, b):
    """lu itself used: its derivative is that of L and U."""
    lu, piv = lu_factor(a)
    return np.sum(np.sin(lu) * WEIGHTS) + np.sum(lu_solve((lu, piv), b))


@pytest.mark.parametrize("f", [lu_unpacked, lu_inline, lu_transposed, lu_conjugate_transposed, lu_reused,
                               lu_of_the_factors])
@pytest.mark.parametrize("argnum", [0, 1])
def test_lu_solve_in_every_mode(f, argnum):
    assert_all_modes(f, (well_conditioned(3), values(3)), argnum=argnum)


@pytest.mark.parametrize("f", [lu_unpacked, lu_transposed])
@pytest.mark.parametrize("argnum", [0, 1])
def test_lu_solve_of_several_right_hand_sides(f, argnum):
    assert_all_modes(f, (well_conditioned(3), values(3, 2)), argnum=argnum)


def test_lu_solve_value_is_scipys_and_float32_keeps_its_dtype():
    a, b = well_conditioned(3), values(3)
    out, _ = srcdiff.vjp(solved, a, b)
    np.testing.assert_allclose(out, scipy.linalg.lu_solve(scipy.linalg.lu_factor(a), b), rtol=1e-14)
    got = srcdiff.grad(lu_unpacked)(a.astype(np.float32), b.astype(np.float32))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, srcdiff.grad(lu_unpacked)(a, b), rtol=1e-4, atol=1e-5)


def solved(a, b):
    return lu_solve(lu_factor(a), b)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2 ** 32 - 1), st.integers(1, 4))
def test_lu_solve_adjoints_are_the_solve_rule(seed, n):
    """bbar = A^-T g and Abar = -bbar x^T, for every well-conditioned A."""
    rng = np.random.default_rng(seed)
    a, b, g = rng.uniform(-1, 1, (n, n)) + 3 * np.eye(n), rng.uniform(-1, 1, n), rng.uniform(-1, 1, n)
    x, pullback = srcdiff.vjp(solved, a, b)
    a_bar, b_bar = pullback(g)
    np.testing.assert_allclose(b_bar, np.linalg.solve(a.T, g), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a_bar, -np.outer(b_bar, x), rtol=1e-9, atol=1e-12)


def lu_solves_in_a_loop(a, b):
    """One factorisation read by every step: A's adjoint is summed over the steps."""
    lu, piv = lu_factor(a)
    x = b
    for _ in range(3):
        x = lu_solve((lu, piv), np.sin(x))
    return np.sum(x)


def lu_factors_in_a_loop(a, b):
    """A factorisation per step, each kept for the backward sweep."""
    x = b
    for i in range(3):
        x = lu_solve(lu_factor(a * (i + 1.0)), x) + x
    return np.sum(x ** 2)


def lu_on_a_branch(a, b):
    factors = lu_factor(a)
    if np.sum(b) > 0:
        x = lu_solve(factors, b)
    else:
        x = lu_solve(factors, b, trans=1)
    return np.sum(x ** 2)


def expm_in_a_loop(a):
    e = np.eye(3)
    for _ in range(2):
        e = expm(a * 0.3) @ e
    return np.sum(np.sin(e))


@pytest.mark.parametrize("f", [lu_solves_in_a_loop, lu_factors_in_a_loop, lu_on_a_branch])
@pytest.mark.parametrize("sign", [1.0, -1.0])
@pytest.mark.parametrize("argnum", [0, 1])
def test_lu_in_loops_and_branches(f, sign, argnum):
    assert_all_modes(f, (well_conditioned(3), sign * np.abs(values(3))), argnum=argnum)


def test_expm_in_a_loop():
    assert_all_modes(expm_in_a_loop, (values(3, 3),))


W5 = np.arange(25.0).reshape(5, 5) / 25.0


def plu(a):
    p, lower, upper = scipy.linalg.lu(a)
    return np.sum(np.sin(lower) * W5) + np.sum(upper ** 2) + np.sum(p * W5)


def plu_permuted(a):
    pl, upper = sla.lu(a, permute_l=True)
    return np.sum(np.sin(pl) * W5) + np.sum(upper * W5.T)


def plu_indices(a):
    p, lower, upper = sla.lu(a, p_indices=True)
    return np.sum(np.sin(lower[p] @ upper) * W5)


@pytest.mark.parametrize("f", [plu, plu_permuted, plu_indices])
def test_lu_in_every_mode(f):
    """Of a matrix that pivots: L and U differentiate, P is constant."""
    assert_all_modes(f, (np.random.default_rng(3).uniform(-1.0, 1.0, (5, 5)),))


def factors(a):
    return sla.lu(a)


def factors_by_index(a):
    return sla.lu(a, p_indices=True)


@pytest.mark.parametrize("f,keywords", [(factors, {}), (factors_by_index, {"p_indices": True})])
def test_lu_values_are_scipys(f, keywords):
    a = values(5, 5)
    out, _ = srcdiff.vjp(f, a)
    for got, expected in zip(out, scipy.linalg.lu(a, **keywords)):
        np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-15)


FACTORS = scipy.linalg.lu_factor(well_conditioned(3))


def lu_given(b):
    return np.sum(np.sin(lu_solve(FACTORS, b)))


def test_factors_from_outside_differentiate_in_b():
    assert_all_modes(lu_given, (values(3),))


def lu_of_arguments(lu, piv, b):
    return np.sum(lu_solve((lu, piv), b))


def test_the_derivative_in_factors_from_outside_is_refused_at_its_line():
    a = well_conditioned(3)
    lu, piv = scipy.linalg.lu_factor(a)
    np.testing.assert_allclose(srcdiff.grad(lu_of_arguments, argnums=2)(lu, piv, values(3)),
                               np.linalg.solve(a.T, np.ones(3)), rtol=1e-12)
    with pytest.raises(NonDifferentiableError, match="needs the matrix they factor") as info:
        srcdiff.grad(lu_of_arguments, argnums=0)(lu, piv, values(3))
    assert "test_scipy_linalg.py:" in str(info.value)


# -- banded solves

def banded_tridiagonal(ab, b):
    return np.sum(np.sin(scipy.linalg.solve_banded((1, 1), ab, b)))


def banded_upper(ab, b):
    return np.sum(solve_banded((0, 2), ab, b) ** 2)


def banded_lower_wider(ab, b):
    return np.sum(np.sin(sla.solve_banded((2, 1), ab, b)))


@pytest.mark.parametrize("f,l,u", [(banded_tridiagonal, 1, 1), (banded_upper, 0, 2), (banded_lower_wider, 2, 1)])
@pytest.mark.parametrize("rhs", [(5,), (5, 2)])
@pytest.mark.parametrize("argnum", [0, 1])
def test_solve_banded_in_every_mode(f, l, u, rhs, argnum):
    assert_all_modes(f, (banded(l, u, 5), values(*rhs)), argnum=argnum)


def dense(ab, l, u):
    n = ab.shape[1]
    return sum(np.diag(ab[u - k, max(k, 0):n + min(k, 0)], k) for k in range(-l, u + 1))


def test_solve_banded_value_and_its_adjoint_in_the_band():
    """The value is SciPy's; ab's adjoint is -bbar x^T read at the band's places, 0 in the
    corners the storage does not use."""
    ab, b = banded(2, 1, 5), values(5)
    x, pullback = srcdiff.vjp(solve_tridiagonal, ab, b)
    np.testing.assert_allclose(x, scipy.linalg.solve_banded((2, 1), ab, b), rtol=1e-14)
    ab_bar, b_bar = pullback(np.ones(5))
    np.testing.assert_allclose(b_bar, np.linalg.solve(dense(ab, 2, 1).T, np.ones(5)), rtol=1e-10)
    full = -np.outer(b_bar, x)
    for k in range(4):
        for j in range(5):
            i = k - 1 + j
            np.testing.assert_allclose(ab_bar[k, j], full[i, j] if 0 <= i < 5 else 0.0, rtol=1e-10, atol=1e-14)


def solve_tridiagonal(ab, b):
    return solve_banded((2, 1), ab, b)


def test_solve_banded_float32():
    ab, b = banded(1, 1, 5).astype(np.float32), values(5).astype(np.float32)
    got = srcdiff.grad(banded_tridiagonal)(ab, b)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, srcdiff.grad(banded_tridiagonal)(ab.astype(float), b.astype(float)),
                               rtol=1e-4, atol=1e-5)


# -- the emitted code

def test_the_emitted_code_reads_as_the_solve_rule():
    a, b = well_conditioned(3), values(3)
    text = srcdiff.source(srcdiff.grad(lu_unpacked, argnums=(0, 1)), a, b)
    assert "import scipy.linalg\n" in text
    assert "lu_and_piv = scipy.linalg.lu_factor(a)" in text
    assert "scipy.linalg.lu_solve(lu_and_piv, " in text and "trans=1)" in text
    assert "da = -np.outer(db, " in text  # the factorisation carries no derivative: a's adjoint is a's


def test_expm_vjp_is_an_expm_of_the_block_matrix():
    text = srcdiff.source(srcdiff.grad(expm_sum), values(3, 3))
    assert "scipy.linalg.expm(np.concatenate(" in text and "[:3, 3:]" in text


def plain(a):
    return np.sum(np.sin(a))


def test_scipy_is_imported_only_where_used():
    assert "import scipy" not in srcdiff.source(srcdiff.grad(plain), values(3))


def named_scipy(scipy):
    """A parameter called scipy, and scipy.linalg's expm by another name."""
    return np.sum(expm(scipy * 0.5))


def test_a_value_called_scipy_does_not_hide_the_module():
    a = values(3, 3)
    assert_all_modes(named_scipy, (a,))
    text = srcdiff.source(srcdiff.grad(named_scipy), a)
    assert "def grad_named_scipy(scipy)" not in text


def test_the_emitted_module_runs_on_its_own():
    a, b = well_conditioned(3), values(3)
    namespace = {}
    exec(srcdiff.source(srcdiff.grad(lu_unpacked, argnums=(0, 1)), a, b), namespace)
    got = namespace["grad_lu_unpacked"](a, b)
    np.testing.assert_allclose(got[1], central_difference(lu_unpacked, (a, b), 1), rtol=1e-6)


# -- refusals, at their line

def expm_of_a_rectangle(a):
    return np.sum(expm(a))


def expm_of_a_batch(a):
    return np.sum(expm(a))


def sqrtm_with_disp(a):
    return np.sum(sqrtm(a, disp=False))


def lu_solve_bad_trans(a, b):
    return np.sum(lu_solve(lu_factor(a), b, trans=3))


def banded_wrong_rows(ab, b):
    return np.sum(solve_banded((1, 1), ab, b))


@pytest.mark.parametrize("f,args,message", [
    (expm_of_a_rectangle, (values(2, 3),), "square matrix"),
    (expm_of_a_batch, (values(2, 3, 3),), "batches of matrices are not supported"),
    (sqrtm_with_disp, (spd(3),), "disp= and blocksize= are not supported"),
    (lu_solve_bad_trans, (well_conditioned(3), values(3)), "trans must be 0, 1 or 2"),
    (banded_wrong_rows, (banded(1, 2, 5), values(5)), "l \\+ u \\+ 1 = 3 rows"),
])
def test_unsupported_forms_are_refused_at_their_line(f, args, message):
    with pytest.raises(NonDifferentiableError, match=message) as info:
        srcdiff.grad(f)(*args)
    assert "test_scipy_linalg.py:" in str(info.value)
