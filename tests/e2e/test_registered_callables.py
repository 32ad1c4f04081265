"""A callable srcdiff has a rule for, passed directly to a transformation (grad(np.tanh),
jvp(np.sin, ...), hessian(np.exp)), is differentiated as in JAX and autograd, against central
differences; one with no rule is refused by its public name (arguments.function_of)."""
import math

import numpy as np
import pytest

import srcdiff
from srcdiff import UnknownCallableError
from tests.numeric import assert_all_modes, central_difference

X = np.array([0.3, -0.7, 1.2])


@pytest.mark.parametrize("fn", [np.tanh, np.sin, np.exp, np.log1p, np.arctan, math.sin, math.exp])
def test_a_function_of_one_float(fn):
    assert_all_modes(fn, (0.4,))


@pytest.mark.parametrize("fn", [np.tanh, np.cos, np.square, np.cumsum, np.flip, np.diff])
def test_an_array_function(fn):
    assert_all_modes(fn, (X,))


@pytest.mark.parametrize("fn", [np.sum, np.mean, np.max, np.linalg.norm, np.prod])
def test_a_reduction(fn):
    assert_all_modes(fn, (X,))


def test_a_binary_ufunc_in_each_argument():
    for argnum in (0, 1):
        assert_all_modes(np.arctan2, (0.3, 0.5), argnum=argnum)
    dx, dy = srcdiff.grad(np.hypot, argnums=(0, 1))(3.0, 4.0)
    assert (dx, dy) == pytest.approx((0.6, 0.8))


def test_keywords_with_literal_defaults_are_passed_on():
    x = np.arange(6.0).reshape(2, 3) / 5
    j = srcdiff.jacfwd(np.sum)(x)
    np.testing.assert_allclose(j, central_difference(np.sum, (x,), 0))
    sums = srcdiff.jacrev(lambda a: np.sum(a, axis=0))(x)
    np.testing.assert_allclose(sums, central_difference(lambda a: np.sum(a, axis=0), (x,), 0))


def test_the_derivative_reads_as_written():
    text = srcdiff.source(srcdiff.grad(np.tanh), 0.5)
    assert "def grad_tanh(x):" in text and "np.tanh(x)" in text and "<srcdiff: numpy.tanh>" in text


def test_compiled_once():
    g1, g2 = srcdiff.grad(np.tanh), srcdiff.grad(np.tanh)
    assert g1(0.5) == g2(0.5)
    assert g1.fun is g2.fun  # one function per callable: one cache entry


def test_inside_a_differentiated_function():
    def f(x):
        return np.sum(srcdiff.grad(np.tanh)(x[0]) * x)

    np.testing.assert_allclose(srcdiff.grad(f)(X), central_difference(f, (X,), 0), rtol=1e-6)


def test_scipy_special_passed_directly():
    special = pytest.importorskip("scipy.special")
    if special.gammaln not in srcdiff.prims.CALLABLES:
        pytest.skip("scipy.special.gammaln has no rule here")
    assert_all_modes(special.gammaln, (1.7,))


def test_a_ufunc_with_no_rule_is_refused_by_name():
    with pytest.raises(UnknownCallableError, match=r"no derivative rule for numpy\.frexp"):
        srcdiff.grad(np.frexp)(0.3)
    with pytest.raises(UnknownCallableError, match=r"no derivative rule for numpy\.spacing"):
        srcdiff.jvp(np.spacing, (X,), (X,))
