"""The two-layer softmax classifier with L2: srcdiff against hand-written backprop."""
import numpy as np
import pytest

from srcdiff import grad, source, value_and_grad

from tests.numeric import example


two_layer_loss = example("two_layer_net").loss  # the course's loss, as the example writes it


def hand_written_backprop(W1, b1, W2, b2, X, y, reg):
    """The course's backprop: margin = softmax - onehot, divided by N, then back through the layers."""
    N = X.shape[0]
    hidden = np.maximum(0, X.dot(W1) + b1)
    scores = hidden.dot(W2) + b2
    probs = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(N), y]).mean() + 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    margin = probs.copy()
    margin[np.arange(N), y] -= 1
    margin /= N
    dW2 = hidden.T.dot(margin) + reg * W2
    db2 = margin.sum(axis=0)
    dhidden = margin.dot(W2.T)
    dhidden[hidden <= 0] = 0
    dW1 = X.T.dot(dhidden) + reg * W1
    db1 = dhidden.sum(axis=0)
    return loss, (dW1, db1, dW2, db2)


def make_problem(N=64, D=100, H=50, C=10, seed=0):
    rng = np.random.default_rng(seed)
    return (
        0.1 * rng.standard_normal((D, H)), 0.1 * rng.standard_normal(H),
        0.1 * rng.standard_normal((H, C)), 0.1 * rng.standard_normal(C),
        rng.standard_normal((N, D)), rng.integers(0, C, N), 0.05,
    )


@pytest.mark.parametrize("shape", [(64, 100, 50, 10), (5, 4, 3, 3), (1, 2, 3, 2)])
def test_matches_hand_written_backprop(shape):
    args = make_problem(*shape)
    value, grads = value_and_grad(two_layer_loss, argnums=(0, 1, 2, 3))(*args)
    expected_value, expected = hand_written_backprop(*args)
    assert value == pytest.approx(expected_value, rel=1e-12)
    for got, want in zip(grads, expected):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)


def test_inputs_are_not_mutated():
    args = make_problem(8, 5, 4, 3)
    copies = [np.copy(a) for a in args]
    grad(two_layer_loss, argnums=(0, 1, 2, 3))(*args)
    for a, c in zip(args, copies):
        np.testing.assert_array_equal(a, c)


def test_emitted_backprop_reads_like_hand_written():
    src = source(grad(two_layer_loss, argnums=(0, 1, 2, 3)), *make_problem(8, 5, 4, 3))
    for line in ("db2 = np.sum(dscores", "dh = dscores", ".dot(W2.T)", "h.T.dot(dscores",
                 "X.T.dot(", "dlog_probs[np.arange(N), y] = "):
        assert line in src, line
    assert "np.add.at" not in src  # the arange rows are distinct: a plain assignment suffices
    assert "1.0 *" not in src and "* 1.0" not in src and "+ 0" not in src
    assert "_sum_to" not in src  # shapes were known: reductions spelled out
