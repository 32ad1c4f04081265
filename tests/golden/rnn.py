import numpy as np


def grad_rnn_loss(W, U, X):
    """d(rnn_loss)/d(W, U), from test_models.py:14."""
    h = np.zeros(W.shape[0])
    n = X.shape[0]
    h_saved = [h]
    for t in range(n):
        h = np.tanh(W @ h + U @ X[t])
        h_saved.append(h)
    dh = 2 * h
    W_T = W.T
    dW = np.zeros_like(W)
    dU = np.zeros_like(U)
    for t in reversed(range(n)):
        h = h_saved[t + 1]
        h_1 = h_saved[t]
        mul_dh = dh * (1 - h * h)
        dU += np.outer(mul_dh, X[t])
        dh = W_T @ mul_dh
        dW += np.outer(mul_dh, h_1)
    return dW, dU
