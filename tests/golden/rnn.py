import numpy as np


def grad_rnn_loss(W, U, X):
    """d(rnn_loss)/d(W, U), from test_models.py:14."""
    h = np.zeros(W.shape[0])
    n = X.shape[0]
    h_saved = [h]
    for t in range(n):
        h = np.tanh(W.dot(h) + U.dot(X[t]))
        h_saved.append(h)
    dh = 2.0 * h
    W_T = W.T
    mul_dh_saved = []
    for t in reversed(range(n)):
        h = h_saved[t + 1]
        mul_dh = dh * (1 - h * h)
        mul_dh_saved.append(mul_dh)
        dh = W_T.dot(mul_dh)
    mul_dh_steps_T = np.stack(mul_dh_saved).T
    dW = mul_dh_steps_T.dot(np.stack(h_saved[:-1])[::-1])
    dU = mul_dh_steps_T.dot(X[::-1])
    return dW, dU
