"""A two-layer softmax classifier with L2 regularisation, trained with srcdiff's gradients
on a synthetic spiral (3 classes, 100 points each), after printing the backprop srcdiff writes.

Run: python examples/two_layer_net.py
"""
import numpy as np

import srcdiff


def loss(W1, b1, W2, b2, X, y, reg):
    N = X.shape[0]
    h = np.maximum(0, X.dot(W1) + b1)
    scores = h.dot(W2) + b2
    scores = scores - np.max(scores, axis=1, keepdims=True)
    log_probs = scores - np.log(np.sum(np.exp(scores), axis=1, keepdims=True))
    data_loss = -np.sum(log_probs[np.arange(N), y]) / N
    return data_loss + 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))


def spiral(points_per_class=100, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    X, y = [], []
    for k in range(classes):
        r = np.linspace(0.0, 1.0, points_per_class)
        t = np.linspace(k * 4.0, (k + 1) * 4.0, points_per_class) + 0.2 * rng.standard_normal(points_per_class)
        X.append(np.c_[r * np.sin(t), r * np.cos(t)])
        y.append(np.full(points_per_class, k))
    return np.concatenate(X), np.concatenate(y)


def main(steps=2000, learning_rate=1.0, reg=1e-3, hidden=100):
    X, y = spiral()
    rng = np.random.default_rng(1)
    params = [0.01 * rng.standard_normal((2, hidden)), np.zeros(hidden),
              0.01 * rng.standard_normal((hidden, 3)), np.zeros(3)]
    step = srcdiff.value_and_grad(loss, argnums=(0, 1, 2, 3))
    print(srcdiff.source(step, *params, X, y, reg))
    for i in range(steps + 1):
        value, grads = step(*params, X, y, reg)
        if i % 500 == 0:
            print(f"step {i:5d}  loss {value:.4f}")
        params = [p - learning_rate * g for p, g in zip(params, grads)]
    W1, b1, W2, b2 = params
    predicted = np.argmax(np.maximum(0, X.dot(W1) + b1).dot(W2) + b2, axis=1)
    accuracy = np.mean(predicted == y)
    print(f"training accuracy: {accuracy:.3f}")
    return accuracy


if __name__ == "__main__":
    main()
