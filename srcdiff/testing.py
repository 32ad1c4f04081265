"""Central differences: the reference `srcdiff --check`, check_grads and the test suite compare with."""
import numpy as np


def central_difference(f, args, argnum, eps=1e-6):
    """d f(*args) / d args[argnum] by (f(x + eps) - f(x - eps)) / 2 eps, element by element.

    For a scalar f: a float for a Python float argument, an array of its shape for an
    array. For an array-valued f: the Jacobian, of shape f's shape + the argument's."""
    args = list(args)
    x = args[argnum]

    def at(value):
        return f(*args[:argnum], value, *args[argnum + 1:])

    if isinstance(x, float):
        d = (np.asarray(at(x + eps)) - np.asarray(at(x - eps))) / (2 * eps)
        return float(d) if d.ndim == 0 else d
    x = np.array(x, dtype=float)
    columns = []
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        hi = np.asarray(at(x.copy()), dtype=float)
        x[i] = old - eps
        lo = np.asarray(at(x.copy()), dtype=float)
        x[i] = old
        columns.append((hi - lo) / (2 * eps))
    out_shape = columns[0].shape if columns else ()
    if not columns:
        return np.zeros(x.shape)
    return np.moveaxis(np.array(columns), 0, -1).reshape(out_shape + x.shape)
