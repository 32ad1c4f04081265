"""Central differences, the reference every derivative test compares against."""
import numpy as np


def central_difference(f, args, argnum, eps=1e-6):
    """d f(*args) / d args[argnum] by (f(x + eps) - f(x - eps)) / 2 eps, elementwise."""
    args = list(args)
    x = args[argnum]
    if isinstance(x, float):
        hi = f(*args[:argnum], x + eps, *args[argnum + 1:])
        lo = f(*args[:argnum], x - eps, *args[argnum + 1:])
        return float((hi - lo) / (2 * eps))
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        hi = f(*args[:argnum], x.copy(), *args[argnum + 1:])
        x[i] = old - eps
        lo = f(*args[:argnum], x.copy(), *args[argnum + 1:])
        x[i] = old
        grad[i] = (hi - lo) / (2 * eps)
    return grad


def assert_matches_differences(g, f, args, argnums=(0,), rtol=1e-5, atol=1e-7):
    """g(*args) (a gradient function for the given argnums) agrees with central differences."""
    got = g(*args)
    got = got if isinstance(argnums, tuple) else (got,)
    for value, i in zip(got, argnums if isinstance(argnums, tuple) else (argnums,)):
        expected = central_difference(f, args, i)
        assert np.shape(value) == np.shape(args[i]), f"gradient {i} has shape {np.shape(value)}, argument {np.shape(args[i])}"
        np.testing.assert_allclose(value, expected, rtol=rtol, atol=atol, err_msg=f"argument {i}")
