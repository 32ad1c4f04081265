"""A running total of outer products over a loop's steps (dW += np.outer(dz, h) in backprop
through time) is taken after the loop as one matrix product, and a running total of vectors
as one np.sum (srcdiff/transforms/accumulate.py)."""
import numpy as np

import srcdiff
from tests.numeric import assert_matches_differences
from tests.unit.irtools import ir_after, loop, ops

rng = np.random.default_rng(4)
W = rng.standard_normal((5, 5)) * 0.4
U = rng.standard_normal((5, 3)) * 0.5
b = rng.standard_normal(5) * 0.1
X = rng.standard_normal((7, 3))


def rnn(W, U, b, X):
    h = np.zeros(W.shape[0])
    for t in range(X.shape[0]):
        h = np.tanh(W @ h + U @ X[t] + b)
    return np.sum(h ** 2)


def total_outer(u, V):
    acc = np.ones((u.shape[0], V.shape[1]))
    for k in range(V.shape[0]):
        acc = acc + np.outer(np.sin(u * k), V[k])
    return np.sum(acc * acc)


def total_read_inside(u, V):
    acc = np.zeros((u.shape[0], V.shape[1]))
    s = 0.0
    for k in range(V.shape[0]):
        acc = acc + np.outer(u, V[k])
        s = s + np.sum(np.tanh(acc))
    return s


def test_backprop_through_time_sums_the_weight_gradients_after_the_loop():
    g = srcdiff.grad(rnn, argnums=(0, 1, 2))
    assert_matches_differences(g, rnn, (W, U, b, X), argnums=(0, 1, 2))
    fn = ir_after(rnn, (W, U, b, X), argnums=(0, 1, 2))
    assert not {"outer", "add"} & set(ops(loop(fn, reverse=True)))  # no running totals in the loop
    after = [e.prim.name for e in fn.body.eqns[fn.body.eqns.index(loop(fn, reverse=True)) + 1:]]
    assert after.count("matmul") == 2 and "sum" in after  # dW and dU as products of the stacked steps, db


def test_a_running_total_in_the_user_s_loop_keeps_its_initial_value():
    u, V = rng.standard_normal(4), rng.standard_normal((6, 3))
    g = srcdiff.grad(total_outer, argnums=(0, 1))
    assert_matches_differences(g, total_outer, (u, V), argnums=(0, 1))
    value_and_grad = srcdiff.value_and_grad(total_outer)
    np.testing.assert_allclose(value_and_grad(u, V)[0], total_outer(u, V), rtol=1e-12)
    assert "outer" not in ops(loop(ir_after(total_outer, (u, V), argnums=(0, 1))))  # taken after the loop


def test_a_total_read_inside_its_loop_stays_in_the_loop():
    u, V = rng.standard_normal(4), rng.standard_normal((6, 3))
    g = srcdiff.grad(total_read_inside, argnums=(0, 1))
    assert_matches_differences(g, total_read_inside, (u, V), argnums=(0, 1))
    assert "outer" in ops(loop(ir_after(total_read_inside, (u, V), argnums=(0, 1))))


def test_a_loop_of_unknown_length_is_left_as_it_is():
    # np.stack of no rows fails, so a loop that may not run keeps its running totals
    assert "stack_list" not in ops(ir_after(rnn, (), argnums=(0, 1)))  # any shapes: the steps are not stacked
    g = srcdiff.grad(rnn, argnums=(0, 1))
    one_step = X[:1]
    assert_matches_differences(g, rnn, (W, U, b, one_step), argnums=(0, 1))


def test_second_derivatives_through_the_stacked_rows():
    shape = U.shape

    def f(u):
        return rnn(W, u.reshape(shape), b, X[:4])

    x = U.ravel().copy()
    h = srcdiff.hessian(f)(x)
    gf = srcdiff.grad(f)
    eps = 1e-6
    numeric = np.array([(gf(x + eps * e) - gf(x - eps * e)) / (2 * eps) for e in np.eye(x.size)])
    np.testing.assert_allclose(h, numeric, atol=1e-6)


def test_a_long_forward_loop_of_small_products_keeps_its_running_total():
    # recording 200 rows of 4 + 3 numbers to save adding 200 4x3 products would take
    # far more memory than the total: the user's loop stays as written
    u, V = rng.standard_normal(4), rng.standard_normal((200, 3))
    g = srcdiff.grad(total_outer, argnums=(0, 1))
    assert_matches_differences(g, total_outer, (u, V), argnums=(0, 1))
    assert "outer" in ops(loop(ir_after(total_outer, (u, V), argnums=(0, 1))))
