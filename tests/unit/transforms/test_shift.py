"""A stabilising max gets no derivative exactly when the result cannot depend on it
(srcdiff/transforms/shift.py); everywhere else it keeps its derivative."""
import math

import numpy as np
import pytest

import srcdiff
from tests.numeric import assert_matches_differences, central_difference

rng = np.random.default_rng(3)
S = rng.standard_normal((6, 4))
W = rng.standard_normal((6, 4))


def log_softmax_loss(s, w):
    s = s - np.max(s, axis=1, keepdims=True)
    log_probs = s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))
    return np.sum(log_probs * w)


def softmax_loss(s, w):
    e = np.exp(s - np.max(s, axis=-1, keepdims=True))
    p = e / np.sum(e, axis=-1, keepdims=True)
    return np.sum(p * w)


def logsumexp_loss(s, w):
    m = np.max(s, axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.sum(np.exp(s - m), axis=1))
    return np.sum(lse * w[:, 0])


def scalar_max_loss(s, w):
    z = s[0] - np.max(s[0])
    return np.log(np.sum(np.exp(z))) - z[1] + np.sum(w)


def softmax_in_a_loop(s, w):
    total = 0.0
    for i in range(s.shape[0]):
        e = np.exp(s[i] - np.max(s[i]))
        total = total + np.sum(e / np.sum(e) * w[i])
    return total


@pytest.mark.parametrize("f", [log_softmax_loss, softmax_loss, logsumexp_loss, scalar_max_loss, softmax_in_a_loop])
def test_the_max_cancels_and_gets_no_derivative(f):
    g = srcdiff.grad(f, argnums=(0, 1))
    assert_matches_differences(g, f, (S, W), argnums=(0, 1))
    source = srcdiff.source(g, S, W)
    assert "==" not in source  # no tie-splitting derivative of the max was written


def squared_shift(s, w):
    return np.sum((s - np.max(s, axis=1, keepdims=True)) ** 2 * w)


def sum_over_the_varying_axis(s, w):
    return np.log(np.sum(np.exp(s - np.max(s, axis=1, keepdims=True)))) + np.sum(w)


def max_also_returned(s, w):
    m = np.max(s, axis=1, keepdims=True)
    return np.sum(np.log(np.sum(np.exp(s - m), axis=1, keepdims=True)) * w[:, :1]) + np.sum(m)


def shifted_twice(s, w):
    m = np.max(s, axis=1, keepdims=True)
    z = s - m - m
    return np.sum(np.log(np.sum(np.exp(z), axis=1, keepdims=True)) - z[:, :1])


def max_inside_a_branch(s, w):
    m = np.max(s, axis=1, keepdims=True)
    if np.sum(w) > 0:
        z = s - m
    else:
        z = s + m
    return np.sum(np.exp(z) * w)


@pytest.mark.parametrize("f", [squared_shift, sum_over_the_varying_axis, max_also_returned, shifted_twice,
                               max_inside_a_branch])
def test_a_max_that_does_not_cancel_keeps_its_derivative(f):
    g = srcdiff.grad(f, argnums=(0, 1))
    assert_matches_differences(g, f, (S, W), argnums=(0, 1))
    assert "==" in srcdiff.source(g, S, W)


def test_forward_mode_and_the_hessian_agree():
    x = S.ravel()[:4].copy()

    def f(v):
        return log_softmax_loss(v.reshape(1, 4), W[:1])

    jf = srcdiff.jacfwd(srcdiff.grad(f))(x)
    jr = np.array([srcdiff.jvp(srcdiff.grad(f), (x,), (e,))[1] for e in np.eye(4)])
    np.testing.assert_allclose(jf, jr, atol=1e-12)
    p = np.exp(x - np.max(x)) / np.sum(np.exp(x - np.max(x)))
    np.testing.assert_allclose(srcdiff.hessian(f)(x), -np.sum(W[:1]) * (np.diag(p) - np.outer(p, p)), atol=1e-12)


# ---------------------------------------------------------------------------
# 1 / (1 + exp(-z)) is recognised as the logistic function (srcdiff/transforms/sigmoid.py)


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
    source = srcdiff.source(g, S, W)
    assert source.count("np.exp(") == 1 and "sigmoid = 1.0 / (1.0 + np.exp(-(s * w)))" in source
    assert "sigmoid * (1 - sigmoid)" in source


def test_an_exponential_read_elsewhere_is_not_fused_away():
    g = srcdiff.grad(exp_read_twice, argnums=(0, 1))
    assert_matches_differences(g, exp_read_twice, (S, W), argnums=(0, 1))
    assert srcdiff.source(g, S, W).count("np.exp(") == 1


def test_float32_stays_float32_through_the_logistic_function():
    s = S.astype(np.float32)
    d = srcdiff.grad(lambda s: np.sum(sigmoid(s)))(s)
    assert d.dtype == np.float32
    np.testing.assert_allclose(d, sigmoid(S) * (1 - sigmoid(S)), rtol=1e-6)


# Every ordinary spelling gets the optimisations (issue 15): the shift of a log-sum-exp
# written with keepdims, m[:, None], np.expand_dims or m[None, :], and the logistic function
# written four ways, with np.exp or math.exp.


def lse_keepdims(s):
    m = np.max(s, axis=1, keepdims=True)
    return np.sum(np.log(np.sum(np.exp(s - m), axis=1)) + m[:, 0])


def lse_new_axis(s):
    m = np.max(s, axis=1)
    return np.sum(np.log(np.sum(np.exp(s - m[:, None]), axis=1)) + m)


def lse_expand_dims(s):
    m = np.max(s, axis=1)
    return np.sum(np.log(np.sum(np.exp(s - np.expand_dims(m, 1)), axis=1)) + m)


def lse_columns(s):
    m = np.max(s, axis=0)
    return np.sum(np.log(np.sum(np.exp(s - m[None, :]), axis=0)) + m)


def shift_that_does_not_cancel(s):
    m = np.max(s, axis=1)
    return np.sum(np.exp(s - m[None, :]))


@pytest.mark.parametrize("f", [lse_keepdims, lse_new_axis, lse_expand_dims, lse_columns])
def test_every_spelling_of_the_shift_is_held(f):
    s = np.random.default_rng(3).normal(size=(3, 3))
    source = srcdiff.source(srcdiff.grad(f), s)
    assert "==" not in source, source  # no derivative through the max
    np.testing.assert_allclose(srcdiff.grad(f)(s), central_difference(f, (s,), 0), rtol=1e-6, atol=1e-8)


def test_a_new_axis_where_the_shift_does_not_cancel_keeps_the_derivative():
    s = np.random.default_rng(4).normal(size=(3, 3))
    assert "==" in srcdiff.source(srcdiff.grad(shift_that_does_not_cancel), s)
    np.testing.assert_allclose(srcdiff.grad(shift_that_does_not_cancel)(s),
                               central_difference(shift_that_does_not_cancel, (s,), 0), rtol=1e-6, atol=1e-8)


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
    fn = srcdiff.grad(f).compiled(z).ir_after
    assert " sigmoid " in fn and " exp " not in fn, fn
    y = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(srcdiff.grad(f)(z), y * (1 - y), rtol=1e-12)


def test_the_logistic_function_on_a_python_float_stays_in_math():
    g = srcdiff.grad(logistic_math)
    assert g(0.3) == pytest.approx(central_difference(logistic_math, (0.3,), 0), rel=1e-7)
    source = g.compiled(0.3).on_floats_source
    assert "math.exp(-x)" in source and "np." not in source, source


def softmax_loss_keepdims(s, y):
    s = s - np.max(s, axis=1, keepdims=True)
    log_probs = s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))
    return -np.sum(log_probs[np.arange(s.shape[0]), y])


def softmax_loss_new_axis(s, y):
    m = np.max(s, axis=1)
    s = s - m[:, None]
    log_probs = s - np.log(np.sum(np.exp(s), axis=1))[:, None]
    return -np.sum(log_probs[np.arange(s.shape[0]), y])


def test_a_new_axis_on_a_reduction_is_the_reduction_with_keepdims():
    # the canonical pass: the new-axis spelling's derivative is the keepdims spelling's
    s, y = np.random.default_rng(5).normal(size=(4, 3)), np.array([0, 2, 1, 1])
    sources = []
    for f in (softmax_loss_keepdims, softmax_loss_new_axis):
        np.testing.assert_allclose(srcdiff.grad(f)(s, y), central_difference(lambda v: f(v, y), (s,), 0),
                                   rtol=1e-6, atol=1e-8)
        sources.append(srcdiff.source(srcdiff.grad(f), s, y))
    keepdims, new_axis = sources
    assert "==" not in new_axis and "expand_dims" not in new_axis and "[:, None]" not in new_axis, new_axis
    assert new_axis.count("keepdims=True") == keepdims.count("keepdims=True")
