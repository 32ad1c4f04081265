"""The adjoint of a read x[i] is added into x's adjoint at i (dW[k] += …), in place,
rather than as a zeroed array the size of x per read (srcdiff/prims/indexing.py INDEX_ADD);
and the row sums of an adjoint holding one entry per row are those entries, not a sum."""
import numpy as np

import srcdiff
from tests.numeric import assert_matches_differences
from tests.unit.irtools import find, ir_after, loop, operands, ops

W = np.linspace(-1.0, 1.0, 12).reshape(4, 3)
v = np.array([0.3, -0.2, 0.5])


def rows_in_a_loop(W, v):
    total = 0.0
    for k in range(W.shape[0]):
        total = total + np.sum(np.tanh(W[k] * v)) * (k + 1)
    return total


def repeated_rows(W, v):
    idx = np.array([0, 2, 0])
    return np.sum(np.sin(W[idx] * v)) + np.sum(W[1] * W[1]) + W[0, 1] * W[3, 2]


def test_rows_read_in_a_loop_add_into_the_adjoint_in_place():
    g = srcdiff.grad(rows_in_a_loop, argnums=(0, 1))
    assert_matches_differences(g, rows_in_a_loop, (W, v), argnums=(0, 1))
    backward = ops(loop(ir_after(rows_in_a_loop, (W, v), argnums=(0, 1)), reverse=True))
    assert backward["index_add"] == 1 and not {"index_put", "zeros", "zeros_like"} & set(backward)


def test_repeated_and_scattered_reads_add_every_contribution():
    g = srcdiff.grad(repeated_rows, argnums=(0, 1))
    assert_matches_differences(g, repeated_rows, (W, v), argnums=(0, 1))
    fn = ir_after(repeated_rows, (W, v), argnums=(0, 1))
    assert [e.params["accumulate"] for e in find(fn, "index_add")].count(True) == 1  # np.add.at for W[idx]


def test_second_derivatives_through_added_rows():
    x = W.ravel().copy()

    def f(x):
        return repeated_rows(x.reshape(4, 3), v)

    h = srcdiff.hessian(f)(x)
    gf = srcdiff.grad(f)
    eps = 1e-6
    numeric = np.array([(gf(x + eps * e) - gf(x - eps * e)) / (2 * eps) for e in np.eye(x.size)])
    np.testing.assert_allclose(h, numeric, atol=1e-6)
    np.testing.assert_allclose(srcdiff.jacrev(srcdiff.grad(f))(x), h, atol=1e-10)


S = np.linspace(-1.0, 2.0, 15).reshape(5, 3)
labels = np.array([2, 0, 1, 1, 2])


def picked_log_softmax(S):
    # each row's picked entry, summed along the row in log-softmax's adjoint: one per row
    log_probs = S - np.log(np.sum(np.exp(S), axis=1, keepdims=True))
    return -np.sum(log_probs[np.arange(S.shape[0]), labels])


def picked_from_fewer_rows(S):
    # np.arange(3) picks three of the five rows: the rows left out hold nothing
    log_probs = S - np.log(np.sum(np.exp(S), axis=1, keepdims=True))
    return -np.sum(log_probs[np.arange(3), labels[:3]])


def test_a_label_per_row_sums_to_its_value_without_summing():
    g = srcdiff.grad(picked_log_softmax)
    assert_matches_differences(g, picked_log_softmax, (S,), argnums=0)
    assert ["index_put"] not in operands(ir_after(picked_log_softmax, (S,)), "sum")


def test_labels_for_some_rows_are_summed():
    g = srcdiff.grad(picked_from_fewer_rows)
    assert_matches_differences(g, picked_from_fewer_rows, (S,), argnums=0)
    assert ["index_put"] in operands(ir_after(picked_from_fewer_rows, (S,)), "sum")
