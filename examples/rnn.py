"""A small recurrent network with weights shared across time steps,
    h_t = tanh(W h_{t-1} + U x_t + b),   prediction = V h_T + c,
trained with srcdiff's gradients (backprop through time, written out as a reverse loop) to
predict the sum of a length-10 sequence of numbers drawn uniformly from [-1, 1].

Prints the derivative srcdiff writes for the loss once, then trains by full-batch gradient
descent with Adam steps and prints the loss every 150 steps.

Run: python examples/rnn.py
"""
import time

import numpy as np

import srcdiff


def loss(params, X, y):
    """Mean squared error over a batch: X is (N, T, D), y is (N,); h holds one row per sequence."""
    h = np.zeros((X.shape[0], params['W'].shape[0]))
    for t in range(X.shape[1]):
        h = np.tanh(h @ params['W'].T + X[:, t] @ params['U'].T + params['b'])
    prediction = h @ params['V'] + params['c']
    return np.mean((prediction - y) ** 2)


def sequences(n, length=10, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, (n, length, 1))
    return X, np.sum(X[:, :, 0], axis=1)


def init_params(hidden, inputs=1, seed=1):
    rng = np.random.default_rng(seed)
    return {'W': rng.standard_normal((hidden, hidden)) / np.sqrt(hidden),
            'U': rng.standard_normal((hidden, inputs)),
            'b': np.zeros(hidden),
            'V': rng.standard_normal(hidden) / np.sqrt(hidden),
            'c': 0.0}


def main(steps=1500, hidden=8, samples=200, learning_rate=0.003, report_every=None):
    X, y = sequences(samples)
    X_test, y_test = sequences(1000, seed=2)
    params = init_params(hidden)
    step = srcdiff.value_and_grad(loss)
    print(srcdiff.source(step, params, X, y))
    report_every = report_every or max(1, steps // 10)
    print(f"{samples} sequences of length {X.shape[1]}, {hidden} hidden units, "
          f"Adam with learning rate {learning_rate}, {steps} full-batch steps")
    # Adam (Kingma and Ba): plain gradient descent with momentum oscillates on this task,
    # because the gradient through ten tanh steps varies sharply in size.
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(v) for k, v in params.items()}
    start = time.perf_counter()
    for i in range(steps + 1):
        value, grads = step(params, X, y)
        if i == 0:
            initial = float(value)
        if i % report_every == 0:
            print(f"step {i:5d}  loss {value:.5f}")
        if i == steps:
            break
        m = {k: beta1 * m[k] + (1 - beta1) * grads[k] for k in params}
        v = {k: beta2 * v[k] + (1 - beta2) * grads[k] ** 2 for k in params}
        params = {k: params[k] - learning_rate * (m[k] / (1 - beta1 ** (i + 1)))
                  / (np.sqrt(v[k] / (1 - beta2 ** (i + 1))) + eps) for k in params}
    final = float(value)
    test = float(loss(params, X_test, y_test))
    print(f"trained in {time.perf_counter() - start:.2f} s")
    print(f"loss: initial {initial:.5f}, final {final:.5f} (variance of the target {np.var(y):.5f}); "
          f"on 1000 new sequences {test:.5f}")
    return {'initial_loss': initial, 'final_loss': final, 'test_loss': test}


if __name__ == "__main__":
    main()
