"""numpy.linalg (issue 16): solve, inv, det, slogdet, cholesky, eigh, eigvalsh, svd, qr,
pinv, matrix_power, norm with every ord and axis form, lstsq; and scipy.linalg's
solve_triangular, cholesky, cho_factor and cho_solve. Each as a user writes it (several
spellings, keywords, stacks, float32), against NumPy's values and central differences in
forward and reverse mode and to second order.

The matrices are built from the argument where they must be well conditioned, symmetric
positive definite or have distinct eigenvalues (A = B @ B.T + c I), so the differences are
honest; symmetric matrices are also passed directly, where the derivative is that of the
triangle NumPy reads."""
import numpy as np
import numpy.linalg as la
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import srcdiff
from srcdiff import NonDifferentiableError

from tests.numeric import assert_all_modes, assert_matches_differences, central_difference, weighted

try:
    import scipy.linalg
except ImportError:  # the scipy.linalg tests skip
    scipy = None

RNG = np.random.default_rng(1616)
X = RNG.uniform(-0.5, 0.5, size=(3, 3))
X3 = RNG.uniform(-0.5, 0.5, size=(2, 3, 3))
X4 = RNG.uniform(-0.5, 0.5, size=(2, 4, 3))  # x[0] perturbs a tall matrix, x[1] is a right side
TALL = np.array([[3.0, 0.1, 0.2], [0.1, 2.0, -0.1], [0.3, 0.0, 1.0], [0.2, -0.3, 0.1]]) + RNG.uniform(-0.1, 0.1, (4, 3))
B = np.array([1.0, -2.0, 0.5])
BM = RNG.normal(size=(3, 2))
SPREAD = np.diag([1.0, 2.5, 4.0])


def near_identity(x):
    return np.eye(3) + 0.3 * x


def spd(x):
    """Symmetric positive definite, eigenvalues well apart, whatever x (a matrix or a stack)."""
    return x @ np.swapaxes(x, -1, -2) + SPREAD


# -- the functions, as a user writes them

def solve_vector(x):
    return np.linalg.solve(np.eye(3) + 0.3 * x, B)


def solve_matrix(x):
    return np.linalg.solve(np.eye(3) + 0.3 * x, BM)


def solve_for_the_right_side(x):
    return np.linalg.solve(SPREAD + 0.1, x)


def solve_keywords(x):
    return la.solve(a=np.eye(3) + 0.3 * x, b=x[:, 0])


def solve_stack_vector(x):
    return np.linalg.solve(np.eye(3) + 0.3 * x, B)  # x is (2, 3, 3): NumPy 2 takes b as one vector


def solve_stack_matrices(x):
    return np.linalg.solve(np.eye(3) + 0.3 * x, np.swapaxes(x, -1, -2)[..., :2])


def inv(x):
    return np.linalg.inv(np.eye(3) + 0.3 * x)


def det(x):
    return np.linalg.det(np.eye(3) + 0.3 * x)


def det_negative(x):
    return la.det(np.diag([1.0, -1.0, 1.0]) + 0.3 * x)


def slogdet(x):
    sign, logdet = np.linalg.slogdet(np.diag([1.0, -1.0, 1.0]) + 0.3 * x)
    return sign * logdet


def slogdet_attribute(x):
    return np.linalg.slogdet(spd(x)).logabsdet


def slogdet_index(x):
    return np.linalg.slogdet(spd(x))[1]


def cholesky(x):
    return np.linalg.cholesky(spd(x))


def cholesky_upper(x):
    return np.linalg.cholesky(spd(x), upper=True)


def eigh(x):
    w, v = np.linalg.eigh(spd(x))
    return w[..., None] * v ** 2  # the sign of an eigenvector is arbitrary: its square is not


def eigh_upper(x):
    w, v = np.linalg.eigh(spd(x), UPLO="U")
    return v[:, 1] ** 2 + w


def eigh_attributes(x):
    result = la.eigh(spd(x))
    return result.eigenvalues + result.eigenvectors[0] ** 2


def eigvalsh(x):
    return np.linalg.eigvalsh(spd(x))


def svd(x):
    u, s, vh = np.linalg.svd(TALL + 0.1 * x[0], full_matrices=False)
    return np.concatenate([u ** 2, s[None, :], vh ** 2])


def svd_square(x):
    u, s, vh = np.linalg.svd(SPREAD + 0.2 * x)
    return u[:, 0] * vh[0] + s


def svd_wide(x):
    u, s, vh = np.linalg.svd((TALL + 0.1 * x[0]).T, full_matrices=False)
    return np.sum(u ** 2 * s, axis=0) + vh[1, :3] ** 2


def singular_values(x):
    return np.linalg.svd(TALL + 0.1 * x[0], compute_uv=False)


def qr(x):
    q, r = np.linalg.qr(TALL + 0.1 * x[0])
    return np.concatenate([q, r])


def qr_attributes(x):
    result = np.linalg.qr(SPREAD + 0.2 * x, mode="reduced")
    return result.Q[0] + result.R[1]


def pinv(x):
    return np.linalg.pinv(TALL + 0.1 * x[0])


def pinv_wide(x):
    return np.linalg.pinv((TALL + 0.1 * x[0]).T)


def matrix_power(x):
    return np.linalg.matrix_power(near_identity(x), 3)


def matrix_power_negative(x):
    return la.matrix_power(near_identity(x), -2)


def matrix_power_zero(x):
    return np.linalg.matrix_power(x, 0) + x


def matrix_power_stack(x):
    return np.linalg.matrix_power(x, n=5)


def lstsq(x):
    solution, residuals, rank, s = np.linalg.lstsq(TALL + 0.1 * x[0], x[1], rcond=None)
    return solution


def lstsq_index(x):
    return np.linalg.lstsq(TALL + 0.1 * x[0], x[1][:, :2])[0]


def lstsq_residuals(x):
    solution, residuals, rank, s = np.linalg.lstsq(TALL + 0.1 * x[0], x[1])
    return np.concatenate([residuals, s * rank])


def lstsq_square(x):
    return np.linalg.lstsq(near_identity(x), B)[0]


def cond(x):
    return np.linalg.cond(TALL + 0.1 * x[0])


def cond_orders(x):
    a = near_identity(x)
    return np.stack([np.linalg.cond(a, -2), la.cond(a, p="fro"), np.linalg.cond(a, 1), np.linalg.cond(a, np.inf),
                     np.linalg.cond(a, "nuc")])


def cond_stack(x):
    return np.linalg.cond(np.eye(3) + 0.3 * x, 2)


def scaled_by_rank(x):
    return near_identity(x) * np.linalg.matrix_rank(x)


CASES = [(solve_vector, X), (solve_matrix, X), (solve_for_the_right_side, X), (solve_keywords, X),
         (solve_stack_vector, X3), (solve_stack_matrices, X3), (inv, X), (inv, X3),
         (det, X), (det, X3), (det_negative, X), (slogdet, X), (slogdet, X3), (slogdet_attribute, X),
         (slogdet_index, X), (cholesky, X), (cholesky, X3), (cholesky_upper, X), (eigh, X), (eigh, X3),
         (eigh_upper, X), (eigh_attributes, X), (eigvalsh, X), (eigvalsh, X3), (svd, X4), (svd_square, X),
         (svd_wide, X4), (singular_values, X4), (qr, X4), (qr_attributes, X), (pinv, X4), (pinv_wide, X4),
         (matrix_power, X), (matrix_power_negative, X), (matrix_power_zero, X), (matrix_power_stack, X3),
         (lstsq, X4), (lstsq_index, X4), (lstsq_residuals, X4), (lstsq_square, X),
         (cond, X4), (cond_orders, X), (cond_stack, X3), (scaled_by_rank, X)]
IDS = [f"{f.__name__}-{np.ndim(x)}d" for f, x in CASES]


@pytest.mark.parametrize("op, x", CASES, ids=IDS)
def test_values_match_numpy(op, x):
    out, _ = srcdiff.vjp(op, x)
    expected = op(x)
    assert np.shape(out) == np.shape(expected) and np.result_type(out) == np.result_type(expected)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("op, x", CASES, ids=IDS)
def test_derivatives_of_the_function(op, x):
    assert_all_modes(op, (x,), order=1)


@pytest.mark.parametrize("op, x", CASES, ids=IDS)
def test_second_order_of_a_loss(op, x):
    assert_all_modes(weighted(op), (x,))


def test_solve_in_both_arguments_to_second_order():
    def f(a, b):
        return np.sum(np.sin(np.linalg.solve(np.eye(3) + 0.3 * a, b)))

    assert_matches_differences(srcdiff.grad(f, argnums=(0, 1)), f, (X, BM), argnums=(0, 1))
    h = srcdiff.hessian(f, argnums=1)(X, BM)
    expected = central_difference(lambda a, b: srcdiff.grad(f, argnums=1)(a, b), (X, BM), 1)
    np.testing.assert_allclose(h, expected, rtol=1e-5, atol=1e-7)


def test_float32_stays_float32():
    a = near_identity(X).astype(np.float32)

    def f(a):
        return np.sum(np.linalg.solve(a, a[0]) ** 2) + np.linalg.slogdet(a)[1] + np.sum(np.linalg.svd(a, compute_uv=False))

    out, pullback = srcdiff.vjp(f, a)
    assert out.dtype == np.float32 and pullback(np.float32(1.0))[0].dtype == np.float32
    np.testing.assert_allclose(srcdiff.grad(f)(a), central_difference(f, (a.astype(np.float64),), 0), rtol=2e-3, atol=2e-4)


# -- norm: every ord, along every axis form, with keepdims

M, M3, V = RNG.normal(size=(3, 4)), RNG.normal(size=(2, 3, 4)), RNG.normal(size=5)
MATRIX_ORDS = [None, "fro", "nuc", np.inf, -np.inf, 1, -1, 2, -2]
VECTOR_ORDS = [None, np.inf, -np.inf, 1, -1, 2, 3, 0.5, -2.5]
NORMS = ([(M, dict(ord=o)) for o in MATRIX_ORDS] + [(M3, dict(ord=o, axis=(2, 0))) for o in MATRIX_ORDS]
         + [(M3, dict(ord=o, axis=(-2, -1), keepdims=True)) for o in MATRIX_ORDS]
         + [(V, dict(ord=o)) for o in VECTOR_ORDS] + [(M3, dict(ord=o, axis=1)) for o in VECTOR_ORDS]
         + [(M3, dict(ord=o, axis=-1, keepdims=True)) for o in VECTOR_ORDS]
         + [(M3, {}), (M3, dict(keepdims=True)), (M, dict(axis=(1, 0)))])


def _norm_of(kw):
    ord, axis, keepdims = kw.get("ord"), kw.get("axis"), kw.get("keepdims", False)

    def norm(x):
        return np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)

    return norm


@pytest.mark.parametrize("x, kw", NORMS, ids=[f"{np.ndim(x)}d-{kw}" for x, kw in NORMS])
def test_norm(x, kw):
    op = _norm_of(kw)
    out, _ = srcdiff.vjp(op, x)
    np.testing.assert_allclose(out, np.linalg.norm(x, **kw), rtol=1e-13)
    assert np.shape(out) == np.shape(np.linalg.norm(x, **kw))
    assert_all_modes(op, (x,), order=1)
    assert_all_modes(weighted(op), (x,))


def norm_spellings(x):
    return (np.linalg.norm(x) + la.norm(x, 2, 0)[1] + np.linalg.norm(x, ord="fro", axis=(0, 1))
            + np.linalg.norm(x[0], np.inf) + np.linalg.norm(x, axis=-1, ord=1)[2] + np.linalg.norm(x, "nuc"))


def test_norm_spellings():
    assert_all_modes(norm_spellings, (M,))
    np.testing.assert_allclose(srcdiff.vjp(norm_spellings, M)[0], norm_spellings(M))


def test_norm_zero_counts_and_has_no_derivative():
    v = np.array([0.0, 1.5, -2.0, 0.0, 3.0])

    def f(x):
        return np.linalg.norm(x, 0) + np.linalg.norm(x, ord=1)

    assert srcdiff.vjp(f, v)[0] == 3.0 + 6.5
    np.testing.assert_allclose(srcdiff.grad(f)(v + [0.5, 0, 0, 0.5, 0]), np.sign(v + [0.5, 0, 0, 0.5, 0]))


def test_norm_of_ints_is_a_float():
    def f(x):
        return np.linalg.norm(np.array([3, 4]), 1) * x

    assert srcdiff.grad(f)(2.0) == 7.0


# -- symmetric inputs: the derivative of the triangle read

def _lower_chol_loss(a):
    return np.sum(np.linalg.cholesky(a) * np.arange(1.0, 10.0).reshape(3, 3))


def _upper_chol_loss(a):
    return np.sum(np.linalg.cholesky(a, upper=True) * np.arange(1.0, 10.0).reshape(3, 3))


def _eigh_loss(a):
    w, v = np.linalg.eigh(a)
    return np.sum(w * np.array([1.0, -1.0, 2.0])) + np.sum(v ** 2 * np.arange(9.0).reshape(3, 3))


def _eigh_upper_loss(a):
    w, v = np.linalg.eigh(a, "U")
    return np.sum(v ** 2 * np.arange(9.0).reshape(3, 3)) + w[0]


def _eigvalsh_loss(a):
    return np.sum(np.linalg.eigvalsh(a) ** 2 * np.array([1.0, 2.0, 3.0]))


S = spd(X)


@pytest.mark.parametrize("loss, lower", [(_lower_chol_loss, True), (_upper_chol_loss, False), (_eigh_loss, True),
                                         (_eigh_upper_loss, False), (_eigvalsh_loss, True)])
def test_a_symmetric_input_is_read_in_one_triangle(loss, lower):
    """The gradient on a symmetric matrix passed directly is that of NumPy's function: central
    differences of it, zero on the triangle not read."""
    g = srcdiff.grad(loss)(S)
    np.testing.assert_allclose(g, central_difference(loss, (S,), 0), rtol=1e-5, atol=1e-7)
    unread = np.triu(g, 1) if lower else np.tril(g, -1)
    assert np.all(unread == 0.0)
    assert_all_modes(loss, (S,))


@pytest.mark.parametrize("loss", [_lower_chol_loss, _eigh_loss, _eigvalsh_loss])
def test_along_symmetric_directions_it_is_the_symmetric_gradient(loss):
    """Symmetrised, the gradient is JAX's (the gradient of the function of (a + a.T) / 2)."""
    def of_symmetrised(a):
        return loss((a + a.T) / 2)

    g = srcdiff.grad(loss)(S)
    np.testing.assert_allclose((g + g.T) / 2, central_difference(of_symmetrised, (S,), 0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(srcdiff.grad(of_symmetrised)(S), (g + g.T) / 2, rtol=1e-10, atol=1e-12)


def test_repeated_eigenvalues_are_refused_when_the_derivative_runs():
    """The eigenvectors of a matrix with a repeated eigenvalue have no derivative: the
    derivative raises rather than return inf or nan; the eigenvalues' derivative still works."""
    with pytest.raises(ValueError, match="repeated eigenvalues"):
        srcdiff.grad(_eigh_loss)(np.diag([1.0, 2.0, 2.0]))
    np.testing.assert_allclose(srcdiff.grad(_eigvalsh_loss)(np.diag([1.0, 2.0, 2.0])), np.diag([2.0, 8.0, 12.0]))


def test_repeated_singular_values_are_refused_when_the_derivative_runs():
    def f(a):
        u, s, vh = np.linalg.svd(a)
        return np.sum(u ** 2 * np.arange(9.0).reshape(3, 3))

    with pytest.raises(ValueError, match="singular values"):
        srcdiff.grad(f)(np.diag([3.0, 1.0, 1.0]))


# -- properties that hold for every input

matrices = st.lists(st.floats(-0.4, 0.4), min_size=9, max_size=9).map(lambda v: np.reshape(v, (3, 3)))


@settings(max_examples=25, deadline=None)
@given(matrices, matrices)
def test_jvp_and_vjp_are_adjoint(x, t):
    """<c, J t> = <J^T c, t> for the factorisations, at any well-conditioned matrix."""
    def f(x):
        a = spd(x)
        return np.linalg.cholesky(a) + np.linalg.inv(a) + np.linalg.solve(a, x) + np.linalg.eigvalsh(a)[:, None]

    c = np.cos(np.arange(9.0)).reshape(3, 3)
    _, jt = srcdiff.jvp(f, (x,), (t,))
    _, pullback = srcdiff.vjp(f, x)
    np.testing.assert_allclose(np.sum(c * jt), np.sum(pullback(c)[0] * t), rtol=1e-9, atol=1e-9)


@settings(max_examples=25, deadline=None)
@given(matrices)
def test_the_gradient_of_logdet_is_the_inverse_transposed(x):
    a = np.eye(3) + x

    def f(a):
        return np.linalg.slogdet(a)[1] + np.log(np.abs(np.linalg.det(a)))

    np.testing.assert_allclose(srcdiff.grad(f)(a), 2 * np.linalg.inv(a).T, rtol=1e-9, atol=1e-9)


# -- the emitted code reads as written by hand

def test_the_adjoint_of_solve_is_a_solve_with_the_transpose():
    def f(A, b):
        return np.sum(np.linalg.solve(A, b) ** 2)

    code = srcdiff.source(srcdiff.grad(f, argnums=(0, 1)), near_identity(X), B)
    assert "x = np.linalg.solve(A, b)" not in code  # the user's value has no name: the call is as written
    assert "np.linalg.solve(A, b)" in code and "np.linalg.solve(A.T, " in code
    assert "np.outer(db, " in code and "inv(" not in code


def test_factorisations_are_unpacked_as_written():
    code = srcdiff.source(srcdiff.grad(_eigh_loss), S)
    assert "w, v = np.linalg.eigh(a)" in code and "_inverse_gaps(w)" in code
    code = srcdiff.source(srcdiff.grad(weighted(lstsq)), X4)
    assert "solution, _, _, _ = np.linalg.lstsq(" in code and "rcond=None)" in code


# -- refusals, at the line

def svd_full_of_tall(x):
    return np.linalg.svd(TALL + x[0])[0]


def qr_of_wide(x):
    return np.linalg.qr((TALL + x[0]).T)[0]


def qr_mode_r(x):
    return np.linalg.qr(TALL + x[0], mode="r")


def lstsq_rcond(x):
    return np.linalg.lstsq(TALL + x[0], x[1], rcond=1e-3)[0]


def lstsq_of_wide(x):
    return np.linalg.lstsq((TALL + x[0]).T, x[1, 0])[0]


def fro_of_a_vector(x):
    return np.linalg.norm(x[0, 0], "fro")


def bad_matrix_ord(x):
    return np.linalg.norm(x[0], 3)


def fractional_power(x):
    return np.linalg.matrix_power(x[0, :3], 1.5)


def solve_mismatched(x):
    return np.linalg.solve(np.eye(3) + x[0, :3], x[0, :, 0])


def inv_not_square(x):
    return np.linalg.inv(x[0])


def eigh_bad_uplo(x):
    return np.linalg.eigh(x[0, :3], UPLO="X")[0]


def svd_hermitian(x):
    return np.linalg.svd(x[0, :3], hermitian=True)[1]


@pytest.mark.parametrize("op, message", [
    (svd_full_of_tall, "needs full_matrices=False"),
    (qr_of_wide, "only square and tall matrices"),
    (qr_mode_r, "mode='r' is not supported"),
    (lstsq_rcond, "only rcond=None"),
    (lstsq_of_wide, "lstsq of a wide matrix"),
    (fro_of_a_vector, "is a matrix norm"),
    (bad_matrix_ord, "invalid norm order 3 for matrices"),
    (fractional_power, "must be an int"),
    (solve_mismatched, "does not match"),
    (inv_not_square, "square matrix"),
    (eigh_bad_uplo, "UPLO must be 'L' or 'U'"),
    (svd_hermitian, "hermitian=True is not supported"),
])
def test_unsupported_forms_are_refused_at_their_line(op, message):
    x = RNG.uniform(-0.1, 0.1, (2, 4, 3))
    with pytest.raises(NonDifferentiableError, match=message) as info:
        srcdiff.grad(weighted(op))(x)
    assert "test_matrices.py:" in str(info.value)


# -- scipy.linalg

needs_scipy = pytest.mark.skipif(scipy is None, reason="SciPy is not installed")


def triangular_lower(x):
    return scipy.linalg.solve_triangular(2 * np.eye(3) + x, B, lower=True)


def triangular_upper(x):
    return scipy.linalg.solve_triangular(2 * np.eye(3) + x, B)


def triangular_trans(x):
    return scipy.linalg.solve_triangular(2 * np.eye(3) + x, B, trans="T", lower=True)


def triangular_trans_n(x):
    return scipy.linalg.solve_triangular(2 * np.eye(3) + x, B, trans="N")


def triangular_trans_c(x):
    return scipy.linalg.solve_triangular(2 * np.eye(3) + x, B, trans=2)


def triangular_unit(x):
    return scipy.linalg.solve_triangular(x, B, unit_diagonal=True, lower=False)


def triangular_matrix(x):
    return scipy.linalg.solve_triangular(2 * np.eye(3) + x, BM, 1, lower=True)


@needs_scipy
@pytest.mark.parametrize("op, lower", [(triangular_lower, True), (triangular_upper, False), (triangular_trans, True),
                                       (triangular_trans_n, False), (triangular_trans_c, False),
                                       (triangular_unit, False), (triangular_matrix, True)])
def test_solve_triangular(op, lower):
    np.testing.assert_allclose(srcdiff.vjp(op, X)[0], op(X), rtol=1e-13)
    assert_all_modes(op, (X,), order=1)
    assert_all_modes(weighted(op), (X,))
    g = srcdiff.grad(weighted(op))(X)
    assert np.all((np.triu(g, 1) if lower else np.tril(g, -1)) == 0.0)  # the triangle not read has no effect
    if op is triangular_unit:
        assert np.all(np.diag(g) == 0.0)


def scipy_cholesky(x):
    return scipy.linalg.cholesky(spd(x))


def scipy_cholesky_lower(x):
    return scipy.linalg.cholesky(spd(x), lower=True, check_finite=True)


def cho_solve_lower(x):
    return scipy.linalg.cho_solve(scipy.linalg.cho_factor(spd(x), lower=True), B)


def cho_solve_upper(x):
    c, lower = scipy.linalg.cho_factor(spd(x))
    return scipy.linalg.cho_solve((c, lower), np.stack([B, x[0]], axis=1))


def cho_factor_itself(x):
    """c with SciPy's other triangle, a's entries: differentiated as computed."""
    c, lower = scipy.linalg.cho_factor(spd(x))
    return c


@needs_scipy
@pytest.mark.parametrize("op", [scipy_cholesky, scipy_cholesky_lower, cho_solve_lower, cho_solve_upper,
                                cho_factor_itself])
def test_scipy_factorisations(op):
    np.testing.assert_allclose(srcdiff.vjp(op, X)[0], op(X), rtol=1e-13)
    assert_all_modes(op, (X,), order=1)
    assert_all_modes(weighted(op), (X,))


def _scipy_loss(a):
    c, lower = scipy.linalg.cho_factor(a)
    return np.sum(np.sin(scipy.linalg.cho_solve((c, lower), B))) + np.sum(scipy.linalg.cholesky(a) ** 2)


@needs_scipy
def test_scipy_cholesky_reads_its_triangle_of_a_direct_input():
    g = srcdiff.grad(_scipy_loss)(S)
    np.testing.assert_allclose(g, central_difference(_scipy_loss, (S,), 0), rtol=1e-5, atol=1e-7)
    assert np.all(np.tril(g, -1) == 0.0)


@needs_scipy
def test_the_emitted_module_imports_scipy_linalg():
    code = srcdiff.source(srcdiff.grad(weighted(triangular_lower)), X)
    assert "import scipy.linalg\n" in code
    assert "scipy.linalg.solve_triangular(add_x, B, lower=True)" in code
    assert "trans=1, lower=True)" in code  # the adjoint solves with the transpose
    code = srcdiff.source(srcdiff.grad(weighted(cho_solve_lower)), X)
    assert "scipy.linalg.cho_factor(" in code and "scipy.linalg.cho_solve((" in code
    assert "import scipy" not in srcdiff.source(srcdiff.grad(weighted(inv)), X)


def triangular_overwrite(x):
    return scipy.linalg.solve_triangular(2 * np.eye(3) + x, B, overwrite_b=True)


def triangular_bad_trans(x):
    return scipy.linalg.solve_triangular(2 * np.eye(3) + x, B, trans=3)


def cho_solve_not_a_pair(x):
    return scipy.linalg.cho_solve(spd(x), B)


@needs_scipy
@pytest.mark.parametrize("op, message", [(triangular_overwrite, "overwrite_a=, overwrite_b="),
                                         (triangular_bad_trans, "trans must be"),
                                         (cho_solve_not_a_pair, "takes \\(c, lower\\)")])
def test_scipy_refusals_are_located(op, message):
    with pytest.raises(NonDifferentiableError, match=message) as info:
        srcdiff.grad(weighted(op))(X)
    assert "test_matrices.py:" in str(info.value)
