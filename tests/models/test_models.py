"""Models with loops: an RNN against hand-written BPTT, an LSTM, a Gaussian mixture, a heat-equation stepper."""
import numpy as np
import pytest

from srcdiff import grad, value_and_grad

from tests.numeric import central_difference


# ---------------------------------------------------------------------------
# RNN with weights shared across time steps


def rnn_loss(W, U, X):
    h = np.zeros(W.shape[0])
    for t in range(X.shape[0]):
        h = np.tanh(W @ h + U @ X[t])
    return np.sum(h ** 2)


def hand_written_bptt(W, U, X):
    """Forward storing every h, then backward through time accumulating the shared weights' gradients."""
    hs = [np.zeros(W.shape[0])]
    for t in range(X.shape[0]):
        hs.append(np.tanh(W @ hs[-1] + U @ X[t]))
    loss = np.sum(hs[-1] ** 2)
    dW, dU, dX = np.zeros_like(W), np.zeros_like(U), np.zeros_like(X)
    dh = 2 * hs[-1]
    for t in reversed(range(X.shape[0])):
        dpre = dh * (1 - hs[t + 1] ** 2)
        dW += np.outer(dpre, hs[t])
        dU += np.outer(dpre, X[t])
        dX[t] = U.T @ dpre
        dh = W.T @ dpre
    return loss, (dW, dU, dX)


def rnn_problem(seed=0, hidden=4, inputs=3, T=6):
    rng = np.random.default_rng(seed)
    return 0.5 * rng.standard_normal((hidden, hidden)), 0.5 * rng.standard_normal((hidden, inputs)), rng.standard_normal((T, inputs))


def test_reference_bptt_matches_differences():
    W, U, X = rnn_problem()
    loss, grads = hand_written_bptt(W, U, X)
    assert loss == pytest.approx(rnn_loss(W, U, X), rel=1e-14)
    for i, g in enumerate(grads):
        np.testing.assert_allclose(g, central_difference(rnn_loss, (W, U, X), i), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rnn_matches_hand_written_bptt(seed):
    W, U, X = rnn_problem(seed)
    value, (gW, gU, gX) = value_and_grad(rnn_loss, argnums=(0, 1, 2))(W, U, X)
    loss, (dW, dU, dX) = hand_written_bptt(W, U, X)
    assert value == pytest.approx(loss, rel=1e-12)
    assert gW.shape == W.shape and gU.shape == U.shape
    np.testing.assert_allclose(gW, dW, rtol=0, atol=1e-10)
    np.testing.assert_allclose(gU, dU, rtol=0, atol=1e-10)
    np.testing.assert_allclose(gX, dX, rtol=0, atol=1e-10)
    np.testing.assert_allclose(gW, central_difference(rnn_loss, (W, U, X), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gU, central_difference(rnn_loss, (W, U, X), 1), rtol=1e-6, atol=1e-8)


def test_rnn_sequence_length_is_a_runtime_shape():
    W, U, X = rnn_problem(3, T=2)
    gW = grad(rnn_loss)(W, U, X)
    np.testing.assert_allclose(gW, hand_written_bptt(W, U, X)[1][0], rtol=0, atol=1e-10)
    W, U, X = rnn_problem(4, T=9)
    gW = grad(rnn_loss)(W, U, X)
    np.testing.assert_allclose(gW, hand_written_bptt(W, U, X)[1][0], rtol=0, atol=1e-10)


# ---------------------------------------------------------------------------
# LSTM over a sequence


def lstm_loss(Wi, Ui, bi, Wf, Uf, bf, Wo, Uo, bo, Wg, Ug, bg, X):
    H = Wi.shape[0]
    h = np.zeros(H)
    c = np.zeros(H)
    for t in range(X.shape[0]):
        x = X[t]
        i = 1.0 / (1.0 + np.exp(-(Wi @ x + Ui @ h + bi)))
        f = 1.0 / (1.0 + np.exp(-(Wf @ x + Uf @ h + bf)))
        o = 1.0 / (1.0 + np.exp(-(Wo @ x + Uo @ h + bo)))
        g = np.tanh(Wg @ x + Ug @ h + bg)
        c = f * c + i * g
        h = o * np.tanh(c)
    return np.sum(h ** 2)


def lstm_problem(seed=0, hidden=3, inputs=2, T=5):
    rng = np.random.default_rng(seed)
    weights = []
    for _ in range(4):
        weights += [0.6 * rng.standard_normal((hidden, inputs)), 0.6 * rng.standard_normal((hidden, hidden)),
                    0.2 * rng.standard_normal(hidden)]
    return tuple(weights) + (rng.standard_normal((T, inputs)),)


def test_lstm_matches_differences_for_every_weight():
    args = lstm_problem()
    argnums = tuple(range(12))
    value, grads = value_and_grad(lstm_loss, argnums=argnums)(*args)
    assert value == pytest.approx(lstm_loss(*args), rel=1e-12)
    assert len(grads) == 12
    for k, g in zip(argnums, grads):
        assert g.shape == args[k].shape
        np.testing.assert_allclose(g, central_difference(lstm_loss, args, k), rtol=1e-6, atol=1e-9, err_msg=f"weight {k}")


# ---------------------------------------------------------------------------
# Gaussian mixture negative log-likelihood, looping over components


def gmm_nll(means, log_vars, logits, X):
    K = means.shape[0]
    top = np.max(logits)
    log_w = logits - top - np.log(np.sum(np.exp(logits - top)))
    comps = []
    for k in range(K):
        var = np.exp(log_vars[k])
        diff = X - means[k]
        lp = log_w[k] - 0.5 * np.sum(diff ** 2 / var + log_vars[k] + np.log(2 * np.pi), axis=1)
        comps.append(lp)
    L = np.stack(comps, axis=1)
    m = np.max(L, axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.sum(np.exp(L - m), axis=1))
    return -np.sum(lse)


def gmm_nll_vectorised(means, log_vars, logits, X):
    """The same quantity without a loop, to check the looped reference itself."""
    log_w = logits - np.log(np.sum(np.exp(logits)))
    diff = X[:, None, :] - means[None, :, :]
    L = log_w - 0.5 * np.sum(diff ** 2 / np.exp(log_vars) + log_vars + np.log(2 * np.pi), axis=2)
    return -np.sum(np.log(np.sum(np.exp(L), axis=1)))


def gmm_problem(seed=0, k=3, d=2, n=20):
    rng = np.random.default_rng(seed)
    means = 1.5 * rng.standard_normal((k, d))
    X = means[rng.integers(0, k, n)] + 0.7 * rng.standard_normal((n, d))
    return means + 0.3 * rng.standard_normal((k, d)), 0.3 * rng.standard_normal((k, d)), rng.standard_normal(k), X


def test_gmm_reference_agrees_with_vectorised_form():
    args = gmm_problem()
    assert gmm_nll(*args) == pytest.approx(gmm_nll_vectorised(*args), rel=1e-13)


@pytest.mark.parametrize("seed", [0, 1])
def test_gmm_nll_matches_differences(seed):
    args = gmm_problem(seed)
    value, grads = value_and_grad(gmm_nll, argnums=(0, 1, 2))(*args)
    assert value == pytest.approx(gmm_nll(*args), rel=1e-12)
    for k, g in zip((0, 1, 2), grads):
        assert g.shape == args[k].shape
        np.testing.assert_allclose(g, central_difference(gmm_nll, args, k), rtol=1e-6, atol=1e-7, err_msg=f"argument {k}")
    # mixture logits: the gradient is invariant to a shift, so it sums to zero
    assert np.sum(grads[2]) == pytest.approx(0.0, abs=1e-10)


# ---------------------------------------------------------------------------
# explicit heat-equation stepper with slice assignment


HEAT_WEIGHTS = np.linspace(1.0, 2.0, 12)


def heat(u0, r):
    u = u0
    for step in range(20):
        u_new = u.copy()
        u_new[1:-1] = u[1:-1] + r * (u[2:] - 2 * u[1:-1] + u[:-2])
        u = u_new
    return np.sum(HEAT_WEIGHTS * u ** 2)


def heat_step_matrix(n, r):
    A = np.eye(n)
    for i in range(1, n - 1):
        A[i, i - 1] += r
        A[i, i] -= 2 * r
        A[i, i + 1] += r
    return A


def heat_problem():
    x = np.linspace(0.0, 1.0, 12)
    return np.sin(np.pi * x) + 0.3 * np.cos(5 * x), 0.3


def test_heat_reference_matrix_form():
    u0, r = heat_problem()
    P = np.linalg.matrix_power(heat_step_matrix(12, r), 20)
    u = P @ u0
    assert heat(u0, r) == pytest.approx(np.sum(HEAT_WEIGHTS * u ** 2), rel=1e-13)
    np.testing.assert_allclose(2 * P.T @ (HEAT_WEIGHTS * u), central_difference(heat, (u0, r), 0), rtol=1e-6, atol=1e-8)


def test_heat_equation_gradient_wrt_initial_condition_and_r():
    u0, r = heat_problem()
    value, (gu0, gr) = value_and_grad(heat, argnums=(0, 1))(u0, r)
    assert value == pytest.approx(heat(u0, r), rel=1e-12)
    P = np.linalg.matrix_power(heat_step_matrix(12, r), 20)
    np.testing.assert_allclose(gu0, 2 * P.T @ (HEAT_WEIGHTS * (P @ u0)), rtol=0, atol=1e-10)
    np.testing.assert_allclose(gu0, central_difference(heat, (u0, r), 0), rtol=1e-6, atol=1e-8)
    assert type(gr) is float
    assert gr == pytest.approx(central_difference(heat, (u0, r), 1), rel=1e-6)
