"""Joining arrays: np.concatenate, np.stack and np.array of a list of values. The adjoint
is cut back into the pieces by indexing."""
import numpy as np

from ..ir import Aval, Sym
from . import lists
from . import batching
from .core import Primitive, T, binds, current, static, wrap
from .creation import nondefault_dtype
from .indexing import GETITEM, Slot
from .lists import is_list
from .shapes import example_shape, result_dtype
from .shaping import COPY
from .syntax import call

FAMILY = "arrays and joining"  # grammar.md's list of callables (prims/catalog.py) groups by it


def _join_shape(impl):
    def shape(avals, params):
        found = example_shape(lambda *xs: impl(xs, **params), avals, {})
        if found is not None:
            return found
        return Aval("array", Sym(), result_dtype(avals))

    return shape


def _tuple_of(a):
    return "(" + ", ".join(a) + ("," if len(a) == 1 else "") + ")"


CONCATENATE = Primitive(
    "concatenate",
    emit=lambda a, p: call("np.concatenate", ["[" + ", ".join(a) + "]"], p, {"axis": 0}),
    on_numba=lambda a, p, avals: call("np.concatenate", [_tuple_of(a)], p, {"axis": 0}),  # numba's takes a tuple
    impl=lambda *xs, axis=0: np.concatenate(xs, axis=axis),
    shape=_join_shape(np.concatenate),
    fresh=True,
    complex_ok=True,
)
STACK = Primitive(
    "stack",
    emit=lambda a, p: call("np.stack", ["[" + ", ".join(a) + "]"], p, {"axis": 0}),
    # numba stacks arrays only: numbers are an array of them
    on_numba=lambda a, p, avals: ("np.array([" + ", ".join(a) + "])" if all(v.shape == () for v in avals)
                                  else call("np.stack", [_tuple_of(a)], p, {"axis": 0})),
    impl=lambda *xs, axis=0: np.stack(xs, axis=axis),
    shape=_join_shape(np.stack),
    fresh=True,
)
CONCATENATE.arity = STACK.arity = lambda eqn: 1


def _take_along(g, axis, ndim, index):
    """g[..., index, ...] with index placed on axis (negative axes count from the end)."""
    if axis >= 0:
        template = (slice(None),) * axis + (index,)
    else:
        template = (Ellipsis, index) + (slice(None),) * (-axis - 1)
    operands = []
    if isinstance(index, slice) and any(isinstance(v, T) for v in (index.start, index.stop)):
        start, stop = index.start, index.stop
        operands = [v for v in (start, stop) if isinstance(v, T)]
        k = iter(range(len(operands)))
        index = slice(Slot(next(k)) if isinstance(start, T) else start, Slot(next(k)) if isinstance(stop, T) else stop)
        template = template[:-1] + (index,) if axis >= 0 else (Ellipsis, index) + template[2:]
    return current().apply(GETITEM, [g, *operands], index=template, as_tuple=True)


@CONCATENATE.defvjp
def _(g, out, ins, active, axis=0):
    pieces, start = [], 0
    for x, a in zip(ins, active):
        size = _extent(x, axis)
        stop = start + size
        pieces.append(_take_along(g, axis, None, slice(start, stop)) if a else None)
        start = stop
    return tuple(pieces)


def _extent(x, axis):
    s = x.aval.shape
    if isinstance(s, tuple):
        return s[axis]
    return np.shape(x)[axis]


@CONCATENATE.defjvp
def _(t, out, ins, axis=0):
    parts = [ti if ti is not None else np.zeros_like(x) for ti, x in zip(t, ins)]
    return current().apply(CONCATENATE, parts, axis=axis)


@STACK.defvjp
def _(g, out, ins, active, axis=0):
    return tuple(_take_along(g, axis, None, i) if a else None for i, a in enumerate(active))


@STACK.defjvp
def _(t, out, ins, axis=0):
    parts = [ti if ti is not None else np.zeros_like(x) for ti, x in zip(t, ins)]
    return current().apply(STACK, parts, axis=axis)


def sequence(arrays, what):
    if isinstance(arrays, T) or not isinstance(arrays, (list, tuple)):
        raise current().error(f"{what} needs a list or tuple of arrays written out in the call")
    return [_array(a) if isinstance(a, (list, tuple)) else a for a in arrays]  # [[y], x] is [np.array([y]), x]


@binds(np.concatenate)
def _concatenate(arrays, axis=0, out=None):
    if is_list(arrays):
        return lists.concatenate(arrays, static(axis, "axis"))
    return current().apply(CONCATENATE, sequence(arrays, "np.concatenate"), axis=static(axis, "axis"))


@binds(np.stack)
def _stack(arrays, axis=0, out=None):
    if is_list(arrays):
        return lists.stack(arrays, static(axis, "axis"))
    return current().apply(STACK, sequence(arrays, "np.stack"), axis=static(axis, "axis"))


@binds(np.vstack)
def _vstack(tup):
    items = [wrap(x) for x in sequence(tup, "np.vstack")]
    if any(x.aval.ndim is None for x in items):
        raise current().error("np.vstack needs operands of known rank; use np.concatenate")
    items = [x[None, :] if x.aval.ndim == 1 else x for x in items]
    return current().apply(CONCATENATE, items, axis=0)


@binds(np.hstack)
def _hstack(tup):
    items = [wrap(x) for x in sequence(tup, "np.hstack")]
    axis = 0 if all(x.aval.ndim == 1 for x in items) else 1
    return current().apply(CONCATENATE, items, axis=axis)


@binds(np.asarray, np.asanyarray)
def _array(obj, dtype=None, copy=None, ndmin=0):
    """np.asarray([a, b, c]) of traced values is a stack; of constants, a constant; of an
    array, that very array (a write into one is a write into the other)."""
    if static(ndmin, "ndmin") != 0:
        raise current().error("np.array with ndmin= is not supported; use np.atleast_1d or x[None]")
    if nondefault_dtype(dtype) is not None:
        return _array(obj).astype(static(dtype, "dtype"))
    if is_list(obj):
        return lists.stack(obj)
    if isinstance(obj, (list, tuple)):
        items = [_array(o) if isinstance(o, (list, tuple)) else wrap(o) for o in obj]
        if all(i.is_const for i in items):
            return wrap(np.array([i.atom.value for i in items]))
        return current().apply(STACK, items, axis=0)
    x = wrap(obj)
    if copy and x.aval.kind == "array" and not x.is_const:
        return current().apply(COPY, [x])
    return x


@binds(np.array)
def _array_copy(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0):
    """np.array(x) of an array is a copy of it (copy=False: x itself where NumPy can)."""
    copy = static(copy, "copy")
    return _array(obj, dtype, copy=copy is not None and bool(copy), ndmin=ndmin)



def _batch_join(prim):
    @prim.defbatch
    def _(eqn, ins, batched, size):
        axis = eqn.params.get("axis", 0)
        if axis is None:
            raise batching.Unbatchable  # np.concatenate(axis=None) flattens the items first
        operands = batching.batched_operands(ins, batched, size)
        return current().apply(prim, operands, **dict(eqn.params, axis=batching.shifted_axis(axis, None)))


_batch_join(CONCATENATE)
_batch_join(STACK)
