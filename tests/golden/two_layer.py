import numpy as np


def grad_loss(W1, b1, W2, b2, X, y, reg):
    """d(loss)/d(W1, b1, W2, b2), from two_layer_net.py:11."""
    N = X.shape[0]
    add_b1 = X.dot(W1) + b1
    h = np.maximum(0, add_b1)
    scores = h.dot(W2) + b2
    scores = scores - np.max(scores, axis=1, keepdims=True)
    exp_scores = np.exp(scores)
    dlog_probs = np.zeros((8, 3))
    dlog_probs[np.arange(N), y] = -(1.0 / N)
    dscores = dlog_probs + 1 / np.sum(exp_scores, axis=1, keepdims=True) / N * exp_scores
    db2 = np.sum(dscores, axis=0)
    dh = dscores.dot(W2.T)
    dW2 = reg * W2 + h.T.dot(dscores)
    dadd_b1 = dh * (add_b1 > 0)
    db1 = np.sum(dadd_b1, axis=0)
    dW1 = reg * W1 + X.T.dot(dadd_b1)
    return dW1, db1, dW2, db2
