"""Losses written as people write them, each making derivative rules build something one
of algebra.py's rewrite rules simplifies (test_algebra.py checks every rule is reached)."""
import numpy as np

rng = np.random.default_rng(0)
X = rng.normal(size=(6, 4))
V = rng.normal(size=4)
M = rng.normal(size=(6, 3))
Y = np.array([0, 2, 1, 2, 0, 1])


def negated_twice(x):
    return np.sum(-(-x) * x)


def scaled_regulariser(w):
    return 0.5 * 0.1 * np.sum(w * w)


def add_itself(x):
    y = np.sin(x)
    return np.sum(y + y)


def minus_via_plus(x, v):
    return np.sum(np.exp(x) + -np.cos(v))


def reciprocal_times(x):
    return np.sum(np.log(x) * 3.0)


def transposed_twice(w):
    return np.sum((w.T).T * w)


def cross_entropy(s):
    s = s - np.max(s, axis=1, keepdims=True)
    log_probs = s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))
    return -np.mean(log_probs[np.arange(s.shape[0]), Y])


def column_times_matrix(c, m):
    return np.sum(np.tanh(c[:, None] * m))


def spread_scalar(x):
    return np.sum(np.broadcast_to(np.sum(x), (3, 4)) * 2.0)


def overwritten(x):
    z = x.copy()
    z[1] = 0.0
    z[1] = 0.0
    return np.sum(z * x)


def index_of_overwritten(x):
    z = x * 1.0
    z[2] = 0.0
    return np.sum(z[2] + z)


def identities(x):
    return np.sum((x + 0) * 1 - 0) + np.sum((x / 1) ** 1)


PROGRAMS = {
    "negated_twice": (negated_twice, (V,), 0),
    "scaled_regulariser": (scaled_regulariser, (X,), 0),
    "add_itself": (add_itself, (V,), 0),
    "minus_via_plus": (minus_via_plus, (V, V + 1), (0, 1)),
    "reciprocal_times": (reciprocal_times, (np.abs(V) + 1,), 0),
    "transposed_twice": (transposed_twice, (X,), 0),
    "cross_entropy": (cross_entropy, (M,), 0),
    "column_times_matrix": (column_times_matrix, (X[:, 0], X), (0, 1)),
    "spread_scalar": (spread_scalar, (V,), 0),
    "overwritten": (overwritten, (V,), 0),
    "index_of_overwritten": (index_of_overwritten, (V,), 0),
    "identities": (identities, (V,), 0),
}


def row_times_column(c, b):
    return np.sum(np.tanh(c[:, None] * b))


def minus_a_sine(x):
    return np.sum(x - np.sin(x))


def halved_scaled_square(w, r):
    return 0.5 * r * np.sum(w * w)


def floor_divided_count(x):
    n = x.shape[0] // 1
    return np.sum(x * x) / n


def written_twice(x):
    a = x * 2.0
    a[2] = x[0] * 3.0  # overwritten at once: nothing flows back from it
    a[2] = x[1]
    return np.sum(a * a)


def over_spread_total(x):
    return np.sum(np.sin(x) / np.broadcast_to(np.sum(x * x), x.shape))


PROGRAMS.update({
    "row_times_column": (row_times_column, (X[:, 0], V), 1),
    "minus_a_sine": (minus_a_sine, (V,), 0),
    "halved_scaled_square": (halved_scaled_square, (X, 0.3), 0),
    "floor_divided_count": (floor_divided_count, (V,), 0),
    "written_twice": (written_twice, (V,), 0),
    "over_spread_total": (over_spread_total, (V,), 0),
})
