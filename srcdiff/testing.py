"""Central differences: the reference `srcdiff --check` (and the test suite) compares with."""
import numpy as np


def central_difference(f, args, argnum, eps=1e-6):
    """d f(*args) / d args[argnum] by (f(x + eps) - f(x - eps)) / 2 eps, element by element.

    A Python float argument gets a float; an array, an array of its shape."""
    args = list(args)
    x = args[argnum]

    def at(value):
        return f(*args[:argnum], value, *args[argnum + 1:])

    if isinstance(x, float):
        return float((at(x + eps) - at(x - eps)) / (2 * eps))
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        hi = at(x.copy())
        x[i] = old - eps
        lo = at(x.copy())
        x[i] = old
        grad[i] = (hi - lo) / (2 * eps)
    return grad
