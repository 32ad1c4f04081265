"""A stabilising max gets no derivative exactly when the result cannot depend on it
(srcdiff/transforms/shift.py); everywhere else it keeps its derivative."""
import numpy as np
import pytest

import srcdiff
from tests.numeric import assert_all_modes, assert_matches_differences, central_difference
from tests.unit.irtools import eqns, ir_after, ops

rng = np.random.default_rng(3)
S = rng.standard_normal((6, 4))
W = rng.standard_normal((6, 4))


def differentiable_maxima(f, args):
    """For each max in f's IR after the shift pass, whether it still has a derivative (is not held)."""
    return [not e.held for e in eqns(ir_after(f, args, "hold-shifts")) if e.prim.name == "max"]


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
    assert differentiable_maxima(f, (S, W)) == [False]
    assert "eq" not in ops(ir_after(f, (S, W), argnums=(0, 1)))  # no tie-splitting derivative of the max


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
    assert differentiable_maxima(f, (S, W)) == [True]
    assert "eq" in ops(ir_after(f, (S, W), argnums=(0, 1)))


def test_forward_mode_and_the_hessian_agree():
    x = S.ravel()[:4].copy()

    def f(v):
        return log_softmax_loss(v.reshape(1, 4), W[:1])

    jf = srcdiff.jacfwd(srcdiff.grad(f))(x)
    jr = np.array([srcdiff.jvp(srcdiff.grad(f), (x,), (e,))[1] for e in np.eye(4)])
    np.testing.assert_allclose(jf, jr, atol=1e-12)
    p = np.exp(x - np.max(x)) / np.sum(np.exp(x - np.max(x)))
    np.testing.assert_allclose(srcdiff.hessian(f)(x), -np.sum(W[:1]) * (np.diag(p) - np.outer(p, p)), atol=1e-12)


# Every spelling of the shift gets the optimisation (issue 15): a log-sum-exp's max written
# with keepdims, m[:, None], np.expand_dims or m[None, :].


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
    assert differentiable_maxima(f, (s,)) == [False]
    assert "eq" not in ops(ir_after(f, (s,)))  # no derivative through the max
    np.testing.assert_allclose(srcdiff.grad(f)(s), central_difference(f, (s,), 0), rtol=1e-6, atol=1e-8)


def test_a_new_axis_where_the_shift_does_not_cancel_keeps_the_derivative():
    s = np.random.default_rng(4).normal(size=(3, 3))
    assert differentiable_maxima(shift_that_does_not_cancel, (s,)) == [True]
    assert "eq" in ops(ir_after(shift_that_does_not_cancel, (s,)))
    np.testing.assert_allclose(srcdiff.grad(shift_that_does_not_cancel)(s),
                               central_difference(shift_that_does_not_cancel, (s,), 0), rtol=1e-6, atol=1e-8)


def unused_max_then_the_same_max(x, y):
    # the differential tester, seed 7373: the unused max is held (nothing reads it, so every
    # use cancels), and common-subexpression elimination took the max the result reads for
    # it: its derivative, the 1 at the argmax, was lost (grad (1, 1, 1) for (2, 1, 1))
    b = np.max(x)
    c = x
    return np.sum(c) + (np.max(c) + y)


def test_a_held_max_is_not_merged_with_one_that_keeps_its_derivative():
    x = np.array([0.27, -0.46, -0.92])
    assert_all_modes(unused_max_then_the_same_max, (x, -0.97))
    np.testing.assert_allclose(srcdiff.grad(unused_max_then_the_same_max)(x, -0.97), [2.0, 1.0, 1.0])
