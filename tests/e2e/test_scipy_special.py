"""scipy.special (issue 16): every function srcdiff takes, in the spellings users write
(scipy.special.f, from scipy.special import f, from scipy import special), against SciPy's
values and central differences in forward and reverse mode and to second order; float32
kept float32; orders and shape parameters without a derivative refused where they are
differentiated, at their line; the emitted code calling scipy.special by name."""
import numpy as np
import pytest

scipy = pytest.importorskip("scipy")
import scipy.special  # noqa: E402
from scipy import special  # noqa: E402
from scipy.special import expit, gammaln, logsumexp, softmax  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import srcdiff  # noqa: E402
from srcdiff import NonDifferentiableError  # noqa: E402

from tests.numeric import assert_all_modes, central_difference, weighted  # noqa: E402

RNG = np.random.default_rng(16)
X = RNG.normal(size=(3, 4))  # anywhere
P = RNG.uniform(0.5, 2.5, size=(3, 4))  # positive
U = RNG.uniform(0.1, 0.9, size=(3, 4))  # inside (0, 1)
V = RNG.uniform(-0.8, 0.8, size=5)  # inside (-1, 1)
P1 = RNG.uniform(0.5, 2.5, size=4)


# -- one argument

def expit_module(x):
    return scipy.special.expit(x)


def expit_imported(x):
    return expit(x)


def logit(x):
    return special.logit(x)


def log_expit(x):
    return scipy.special.log_expit(x)


def gammaln_imported(x):
    return gammaln(x)


def gamma(x):
    return scipy.special.gamma(x)


def rgamma(x):
    return scipy.special.rgamma(x)


def digamma(x):
    return scipy.special.digamma(x)


def psi(x):
    return special.psi(x)


def polygamma(x):
    return scipy.special.polygamma(2, x)


def polygamma_array_order(x):
    return scipy.special.polygamma(np.array([[0], [1], [3]]), x)


def multigammaln(x):
    return scipy.special.multigammaln(x + 1.0, 3)


def multigammaln_one(x):
    return scipy.special.multigammaln(x, d=1)


def betainc(x):
    return scipy.special.betainc(2.0, 3.5, x)


def gammainc(x):
    return scipy.special.gammainc(2.5, x)


def gammaincc(x):
    return special.gammaincc(1, x)


def erf(x):
    return scipy.special.erf(x)


def erfc(x):
    return scipy.special.erfc(x)


def erfinv(x):
    return scipy.special.erfinv(x)


def erfcinv(x):
    return scipy.special.erfcinv(x + 1.0)


def ndtr(x):
    return scipy.special.ndtr(x) + scipy.special.log_ndtr(x)


def ndtri(x):
    return scipy.special.ndtri(x)


def entr(x):
    return scipy.special.entr(x)


def i0(x):
    return scipy.special.i0(x)


def i1(x):
    return scipy.special.i1(x)


def iv(x):
    return scipy.special.iv(1.5, x)


def iv_integer(x):
    return scipy.special.iv(2, x)


def ive(x):
    return scipy.special.ive(1, x)


def j0(x):
    return scipy.special.j0(x)


def j1(x):
    return scipy.special.j1(x)


def jn(x):
    return scipy.special.jn(2, x)


def jv(x):
    return scipy.special.jv(0.5, x)


def y0(x):
    return scipy.special.y0(x)


def y1(x):
    return scipy.special.y1(x)


def yn(x):
    return scipy.special.yn(3, x)


def stdtr(x):
    return scipy.special.stdtr(4, x)


# -- the compositions

def logsumexp_all(x):
    return logsumexp(x)


def logsumexp_axis(x):
    return scipy.special.logsumexp(x, axis=1)


def logsumexp_negative_axis_keepdims(x):
    return scipy.special.logsumexp(x, axis=-1, keepdims=True)


def logsumexp_first(x):
    return scipy.special.logsumexp(x, 0)


def logsumexp_tuple(x):
    return scipy.special.logsumexp(x, axis=(0, 1), keepdims=True)


def logsumexp_weights(x):
    return scipy.special.logsumexp(x, axis=0, b=np.array([0.5, 1.0, 2.0])[:, None])


def softmax_all(x):
    return softmax(x)


def softmax_axis(x):
    return scipy.special.softmax(x, axis=1)


def softmax_negative_axis(x):
    return special.softmax(x, axis=-2)


def log_softmax_axis(x):
    return scipy.special.log_softmax(x, axis=-1)


def log_softmax_all(x):
    return scipy.special.log_softmax(x)


CASES = [
    (expit_module, X), (expit_imported, X[0]), (logit, U), (log_expit, X),
    (gammaln_imported, P), (gamma, P), (rgamma, P), (digamma, P), (psi, P1), (polygamma, P),
    (polygamma_array_order, P), (multigammaln, P), (multigammaln_one, P1),
    (betainc, U), (gammainc, P), (gammaincc, P),
    (erf, X), (erfc, X), (erfinv, V), (erfcinv, V), (ndtr, X), (ndtri, U), (stdtr, X), (entr, P),
    (i0, X), (i1, X), (iv, P), (iv_integer, X), (ive, P), (j0, X), (j1, X), (jn, X), (jv, P), (y0, P), (y1, P),
    (yn, P),
    (logsumexp_all, X), (logsumexp_axis, X), (logsumexp_negative_axis_keepdims, X), (logsumexp_first, X),
    (logsumexp_tuple, X), (logsumexp_weights, X), (logsumexp_all, X[0]),
    (softmax_all, X), (softmax_axis, X), (softmax_negative_axis, X), (log_softmax_axis, X), (log_softmax_all, X[1]),
]
IDS = [f"{f.__name__}-{np.ndim(x)}d" for f, x in CASES]


@pytest.mark.parametrize("op, x", CASES, ids=IDS)
def test_values_match_scipy(op, x):
    out, _ = srcdiff.vjp(op, x)
    expected = op(x)
    assert np.shape(out) == np.shape(expected)
    np.testing.assert_allclose(out, expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("op, x", CASES, ids=IDS)
def test_derivatives_of_the_function(op, x):
    assert_all_modes(op, (x,), order=1)


@pytest.mark.parametrize("op, x", CASES, ids=IDS)
def test_second_order_of_a_loss(op, x):
    assert_all_modes(weighted(op), (x,))


# -- two differentiable arguments

def beta(a, b):
    return np.sum(scipy.special.beta(a, b) * b)


def betaln(a, b):
    return np.sum(special.betaln(a, b) ** 2)


def xlogy(x, y):
    return np.sum(scipy.special.xlogy(x, y) ** 2)


def xlog1py(x, y):
    return np.sum(np.sin(scipy.special.xlog1py(x, y)))


def logsumexp_differentiable_weights(x, w):
    return np.sum(scipy.special.logsumexp(x, axis=1, b=w) ** 2)


def logsumexp_signed(x, w):
    out, sign = scipy.special.logsumexp(x, axis=-1, b=w, return_sign=True)
    return np.sum(out * sign)


@pytest.mark.parametrize("op, args", [
    (beta, (P, P[0])), (betaln, (P[:, :1], P[0])), (xlogy, (X, P)), (xlog1py, (X, U - 0.5)),
    (logsumexp_differentiable_weights, (X, P)), (logsumexp_signed, (X, X[0] + 0.5)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_two_arguments_to_second_order(op, args):
    np.testing.assert_allclose(srcdiff.vjp(op, *args)[0], op(*args), rtol=1e-13)
    for argnum in (0, 1):
        assert_all_modes(op, args, argnum=argnum)


def xlogy_as_written(x, y):
    return scipy.special.xlogy(x, y)


def test_xlogy_is_zero_where_x_is_zero_as_scipy():
    x, y = np.array([0.0, 1.5, 0.0]), np.array([0.0, 2.0, 3.0])
    out, pullback = srcdiff.vjp(xlogy_as_written, x, y)
    np.testing.assert_array_equal(out, scipy.special.xlogy(x, y))
    assert out[0] == 0.0
    with np.errstate(divide="ignore", invalid="ignore"):  # log 0 and 0 / 0 at x = y = 0
        dx, dy = pullback(np.ones(3))
    np.testing.assert_allclose(dy[1:], x[1:] / y[1:])  # x / y: 0 where x = 0 < y
    np.testing.assert_allclose(dx[1:], np.log(y[1:]))


def test_logsumexp_return_sign_matches_scipy():
    x, b = X[0], np.array([1.0, -3.0, 0.5, 0.2])
    got = srcdiff.vjp(lambda x: scipy.special.logsumexp(x, b=b, return_sign=True)[0], x)[0]  # noqa: E731
    out, sign = scipy.special.logsumexp(x, b=b, return_sign=True)
    np.testing.assert_allclose(got, out, rtol=1e-13)
    assert sign == -1.0


# -- float32 and Python floats

@pytest.mark.parametrize("op", [expit_module, log_expit, gammaln_imported, digamma, erf, i1, j0, jn, gammainc,
                                softmax_axis, logsumexp_axis], ids=lambda f: f.__name__)
def test_float32_stays_float32(op):
    x = P.astype(np.float32)
    out, pullback = srcdiff.vjp(op, x)
    expected = op(x)
    assert out.dtype == expected.dtype  # float32, but where SciPy makes float64 (gammainc(2.5, x))
    assert out.dtype == np.float32 or op is gammainc
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    g = pullback(np.ones_like(out))[0]
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, central_difference(lambda x: np.sum(op(x)), (P,), 0), rtol=2e-3, atol=1e-4)


def gammaln_of_float(x):
    return scipy.special.gammaln(x) * scipy.special.erf(x)


def test_python_floats():
    g = srcdiff.grad(gammaln_of_float)
    expected = central_difference(gammaln_of_float, (1.7,), 0)
    np.testing.assert_allclose(g(1.7), expected, rtol=1e-7)
    h = srcdiff.grad(g)(1.7)
    np.testing.assert_allclose(h, central_difference(g, (1.7,), 0), rtol=1e-6)


# -- rules that hold for all inputs

@settings(max_examples=25, deadline=None)
@given(x=hnp.arrays(np.float64, st.integers(1, 5), elements=st.floats(-30.0, 30.0)))
def test_the_gradient_of_logsumexp_is_softmax(x):
    np.testing.assert_allclose(srcdiff.grad(logsumexp_all)(x), scipy.special.softmax(x), rtol=1e-12, atol=1e-300)


@settings(max_examples=25, deadline=None)
@given(x=hnp.arrays(np.float64, st.integers(1, 5), elements=st.floats(-40.0, 40.0)))
def test_the_derivative_of_log_expit_is_expit_of_minus_x(x):
    _, t = srcdiff.jvp(log_expit, (x,), (np.ones_like(x),))
    np.testing.assert_allclose(t, scipy.special.expit(-x), rtol=1e-12)


@settings(max_examples=25, deadline=None)
@given(x=st.floats(0.2, 20.0))
def test_second_derivative_of_gammaln_is_trigamma(x):
    second = srcdiff.grad(srcdiff.grad(gammaln_imported))(x)
    np.testing.assert_allclose(second, scipy.special.polygamma(1, x), rtol=1e-12)


# -- the emitted code

def test_emitted_code_calls_scipy_special_and_imports_it():
    code = srcdiff.source(srcdiff.grad(lambda x: np.sum(gammaln(x))), P)
    assert "import scipy.special\n" in code
    assert "scipy.special.digamma(x)" in code
    code = srcdiff.source(srcdiff.grad(lambda x: np.sum(np.sin(x))), P)
    assert "import scipy" not in code  # imported only where used
    code = srcdiff.source(srcdiff.grad(weighted(j0)), X)
    assert "-scipy.special.j1(x)" in code
    code = srcdiff.source(srcdiff.grad(lambda x: np.sum(logsumexp(x, axis=1))), X)
    assert "np.max(" in code  # the stabilising max, computed once, with no derivative of its own
    assert "argmax" not in code and "==" not in code


def test_emitted_module_runs_standalone():
    namespace = {}
    exec(srcdiff.source(srcdiff.grad(weighted(erfinv)), V), namespace)
    np.testing.assert_allclose(namespace["grad_loss"](V), srcdiff.grad(weighted(erfinv))(V), rtol=1e-15)


# -- refusals: located, naming the function and the argument

def gammainc_in_a(a, x):
    return np.sum(scipy.special.gammainc(a, x))


def betainc_in_b(b, x):
    return np.sum(scipy.special.betainc(2.0, b, x))


def iv_in_v(v, x):
    return np.sum(scipy.special.iv(v, x))


def polygamma_in_n(n, x):
    return np.sum(scipy.special.polygamma(n, x))


@pytest.mark.parametrize("op, message", [
    (gammainc_in_a, "scipy.special.gammainc in its argument a"),
    (betainc_in_b, "scipy.special.betainc in its argument b"),
    (iv_in_v, "scipy.special.iv in its argument v"),
    (polygamma_in_n, "scipy.special.polygamma in its argument n: it is an integer order"),
], ids=lambda v: getattr(v, "__name__", ""))
def test_parameters_without_a_derivative_are_refused_at_their_line(op, message):
    for mode in ("grad", "jvp"):
        with pytest.raises(NonDifferentiableError, match=message) as info:
            if mode == "grad":
                srcdiff.grad(op, argnums=0)(2.0, P1 / 3)
            else:
                srcdiff.jvp(op, (2.0, P1 / 3), (1.0, np.zeros(4)))
        assert "test_scipy_special.py:" in str(info.value)
    # in the other argument it is differentiable
    np.testing.assert_allclose(srcdiff.grad(op, argnums=1)(2.0, P1 / 3),
                               central_difference(op, (2.0, P1 / 3), 1), rtol=1e-6)


def logsumexp_computed_axis(x):
    return scipy.special.logsumexp(x, axis=int(x[0, 0] > 0))


def multigammaln_half(x):
    return scipy.special.multigammaln(x, 2.5)


def test_static_parameters_are_refused_when_not_known():
    with pytest.raises(NonDifferentiableError, match="logsumexp's axis must be known when compiling") as info:
        srcdiff.grad(lambda x: np.sum(logsumexp_computed_axis(x)))(X)
    assert "test_scipy_special.py:" in str(info.value)
    with pytest.raises(NonDifferentiableError, match="multigammaln's d must be a positive integer") as info:
        srcdiff.grad(lambda x: np.sum(multigammaln_half(x)))(P1 + 2.0)
    assert "test_scipy_special.py:" in str(info.value)
