"""Helpers the emitted module carries with it, so it runs without srcdiff.

Each is needed only where shapes were unknown when compiling; code compiled
for concrete arguments spells the operation out instead. The source here is
the only definition: constant folding runs the same text."""
import numpy as np

from .. import naming

SOURCES = {
    "sum_to": '''
def _sum_to(x, shape):
    """Sum x down to shape, undoing broadcasting."""
    if np.shape(x) == tuple(shape):
        return x
    lead = np.ndim(x) - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, d in enumerate(shape) if d == 1 and np.shape(x)[lead + i] != 1)
    return np.sum(x, axis=axes, keepdims=True).reshape(shape)
''',
    "product_grad": '''
def _product_grad(g, a, b, side):
    """Adjoint of a @ b wrt a (side 0) or b (side 1), for operands of any rank."""
    ea = a[None, :] if np.ndim(a) == 1 else a
    eb = b[:, None] if np.ndim(b) == 1 else b
    eg = np.expand_dims(g, -1) if np.ndim(b) == 1 else g  # the column first: a 0-d g (vector . vector)
    eg = np.expand_dims(eg, -2) if np.ndim(a) == 1 else eg  # has no axis -2 to insert before
    if side == 0:
        d = eg @ np.swapaxes(eb, -1, -2)
        d, shape = (d[..., 0, :] if np.ndim(a) == 1 else d), np.shape(a)
    else:
        d = np.swapaxes(ea, -1, -2) @ eg
        d, shape = (d[..., 0] if np.ndim(b) == 1 else d), np.shape(b)
    if np.shape(d) == shape:
        return d
    lead = np.ndim(d) - len(shape)
    return np.sum(d, axis=tuple(range(lead))).reshape(shape)
''',
    "zeros_like_tape": '''
def _zeros_like_tape(tape):
    """The zero derivative of a tape, or of a list: zeros like each item (0.0 for one the
    path taken did not make, None)."""
    if isinstance(tape, (tuple, list)):
        return type(tape)(_zeros_like_tape(item) for item in tape)
    if isinstance(tape, (np.ndarray, np.generic)):
        return np.zeros_like(tape)
    return 0j if isinstance(tape, complex) else 0.0
''',
    "add_tapes": '''
def _add_tapes(a, b):
    """Two derivatives of a tape added item by item. None, and the 0.0 of a tape the path
    taken did not make, are zero."""
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return type(a)(_add_tapes(u, v) for u, v in zip(a, b))
    if a is None or isinstance(b, (tuple, list)):
        return b
    if b is None or isinstance(a, (tuple, list)):
        return a
    return a + b
''',
    "scalar_seed": '''
def _scalar_seed(y):
    """1, the derivative of y with respect to itself, where y must be one number."""
    if np.ndim(y) != 0:
        raise TypeError(f"grad requires a scalar output, not an array of shape {np.shape(y)}; "
                        "reduce it (e.g. np.sum) or use vjp for array outputs")
    return np.ones((), np.result_type(y, 1.0))[()]
''',
    "last_writes": '''
def _last_writes(shape, index):
    """Which elements of x[index] = v land in x (shaped like x[index]): where the index
    repeats a place, NumPy's last write there wins."""
    slots = np.empty(shape, dtype=np.intp)
    ids = np.arange(slots[index].size).reshape(slots[index].shape)
    slots[index] = ids
    return slots[index] == ids
''',
}


def helper(name):
    """The helper as a Python function (for evaluation at compile time)."""
    namespace = {"np": np}
    exec(SOURCES[name], namespace)
    return namespace[naming.helper(name)]


def attach(prim, name):
    """prim is emitted as a call to helper `name`, whose source travels with the module."""
    prim.helper_source, prim.helper_name = SOURCES[name].strip(), naming.helper(name)
    prim.impl = helper(name)
    return prim
