"""1 / (1 + exp(-z)), however it is written, is the logistic function: one operation whose
derivative comes from its output (srcdiff/transforms/sigmoid.py)."""
import math

import numpy as np
import pytest

import srcdiff
from tests.numeric import assert_matches_differences, central_difference
from tests.unit.irtools import ir_after, ops

rng = np.random.default_rng(3)
S = rng.standard_normal((6, 4))
W = rng.standard_normal((6, 4))


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def gated(s, w):
    return np.sum(sigmoid(s * w) * np.tanh(s))


def exp_read_twice(s, w):
    e = np.exp(-s)
    return np.sum(1.0 / (1.0 + e) + e * w)


def test_the_logistic_function_takes_its_derivative_from_its_output():
    g = srcdiff.grad(gated, argnums=(0, 1))
    assert_matches_differences(g, gated, (S, W), argnums=(0, 1))
    assert ops(ir_after(gated, (S, W), "logistic"))["sigmoid"] == 1
    gradient = ops(ir_after(gated, (S, W), argnums=(0, 1)))
    assert gradient["sigmoid"] == 1 and "exp" not in gradient and "div" not in gradient  # y * (1 - y)


def test_an_exponential_read_elsewhere_is_not_fused_away():
    g = srcdiff.grad(exp_read_twice, argnums=(0, 1))
    assert_matches_differences(g, exp_read_twice, (S, W), argnums=(0, 1))
    assert "sigmoid" not in ops(ir_after(exp_read_twice, (S, W), "logistic"))
    assert ops(ir_after(exp_read_twice, (S, W), argnums=(0, 1)))["exp"] == 1


def test_float32_stays_float32_through_the_logistic_function():
    s = S.astype(np.float32)
    d = srcdiff.grad(lambda s: np.sum(sigmoid(s)))(s)
    assert d.dtype == np.float32
    np.testing.assert_allclose(d, sigmoid(S) * (1 - sigmoid(S)), rtol=1e-6)


# Every ordinary spelling is the one operation (issue 15): four ways, with np.exp or math.exp.


def logistic_quotient(z):
    return np.sum(1.0 / (1.0 + np.exp(-z)))


def logistic_odds(z):
    return np.sum(np.exp(z) / (1 + np.exp(z)))


def logistic_odds_once(z):
    e = np.exp(z)
    return np.sum(e / (1.0 + e))


def logistic_reciprocal(z):
    return np.sum(np.reciprocal(np.exp(-z) + 1))


def logistic_math(x):
    return 1.0 / (1.0 + math.exp(-x))


@pytest.mark.parametrize("f", [logistic_quotient, logistic_odds, logistic_odds_once, logistic_reciprocal])
def test_every_spelling_of_the_logistic_function_is_one(f):
    z = np.linspace(-3.0, 3.0, 7)
    fused = ops(ir_after(f, (z,), "logistic"))
    assert fused["sigmoid"] == 1 and "div" not in fused and "reciprocal" not in fused, fused
    assert "exp" not in ops(ir_after(f, (z,)))
    y = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(srcdiff.grad(f)(z), y * (1 - y), rtol=1e-12)


def test_the_logistic_function_on_a_python_float_stays_in_math():
    g = srcdiff.grad(logistic_math)
    assert g(0.3) == pytest.approx(central_difference(logistic_math, (0.3,), 0), rel=1e-7)
    assert ops(ir_after(logistic_math, (0.3,), "logistic"))["sigmoid"] == 1
    source = g.compiled(0.3).on_floats_source  # codegen's float variant spells it with math.exp
    assert "math.exp(-x)" in source and "np." not in source, source
