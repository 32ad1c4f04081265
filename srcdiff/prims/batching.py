"""The vocabulary of batching rules (vmap, transforms/batching.py).

A batched value carries one more axis, in front: item b of the batch is value[b]. A
primitive's batching rule is its `batch` fact,

    batch(eqn, ins, batched, size) -> result, or a tuple of results (one per out)

run on T values as a JVP rule is: ins are the operands (a batched one with its batch axis
in front), batched says which are, size is the batch's length, and eqn is the unbatched
equation (its params, and its outs' avals: what each item of the result is). A result has
the batch axis in front, or is Unbatched(value) where it is the same for every item (the
shape of a batched value's items). A rule that cannot batch these operands raises
Unbatchable: the pass then runs the operation once per item, in a loop, which is always
right and only slower.

The rules most primitives share are here: elementwise (broadcast, with the batched operands'
items lined up on the right), same (the operation as it is: it acts item by item already)
and along_axes (an axis parameter moves past the batch axis)."""
import numpy as np

from ..ir import Aval, Sym
from .core import current


class Unbatchable(Exception):
    """A batching rule's refusal: the pass runs the operation once per item instead."""


class Unbatched:
    """A rule's result that does not vary over the batch (np.shape of a batched value's item)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def item_rank(x, batched):
    """The rank of x's items (of x itself when not batched): 0 for a Python number, None
    when not known."""
    aval = x.aval
    if aval.kind == "scalar":
        return 0 if not batched else None
    if aval.kind != "array" or not aval.known_shape:
        return None
    return aval.ndim - 1 if batched else aval.ndim


def batched_aval(aval, size):
    """The aval of a batch of values of this aval; None where a batch of them is not an array
    (a tuple, a tape)."""
    if aval.kind in ("array", "scalar"):
        shape = (size,) + aval.shape if aval.known_shape else Sym()
        return Aval("array", shape, aval.dtype)
    if aval.kind == "list" and aval.layout is None:
        shape = (size,) + aval.shape if isinstance(aval.shape, tuple) else Sym()
        return Aval("list", shape, aval.dtype, length=aval.length, mixed=aval.mixed)
    return None


def lifted(x, rank):
    """A batched x whose items have rank r, with axes of length 1 put after the batch axis so
    that its items have the given rank: broadcast against unbatched operands (which NumPy lines
    up on the right), item b then meets item b."""
    have = item_rank(x, True)
    if have is None:
        raise Unbatchable
    if have == rank:
        return x
    axes = tuple(range(1, 1 + rank - have))
    return np.expand_dims(x, axes if len(axes) > 1 else 1)  # x[:, None] as np.expand_dims(x, 1)


def broadcast_batch(x, size):
    """An unbatched value as a batch of size copies of it (a loop's carried value that the body
    makes batched): a read-only view, copied where it is changed in place (codegen's rule)."""
    aval = x.aval
    made = current().producer(x.atom)
    if made is not None and made.prim.fill is not None and aval.known_shape and aval.dtype is not None:
        # zeros of the batch's shape, as a hand-writer starts a batch of sums
        make = np.zeros if made.prim.fill == 0 else np.ones
        batch = current().call(make, ((size,) + aval.shape,), {} if aval.dtype == np.float64 else {"dtype": aval.dtype})
        batch.atom.hint = x.atom.hint  # the batch of y is y
        return batch
    if aval.kind == "scalar" or (aval.kind == "array" and aval.known_shape):
        shape = () if aval.kind == "scalar" else aval.shape
        return np.broadcast_to(x, (size,) + shape)
    if aval.kind == "array":  # of a shape known only when running: size copies, stacked
        return np.repeat(np.expand_dims(x, 0), size, axis=0)
    if aval.kind == "list" and aval.length == 0:
        return x  # an empty list is a batch of empty lists already
    raise Unbatchable


def elementwise(eqn, ins, batched, size):
    """A broadcasting operation: the batched operands' items lined up with the rank of the
    widest item, the unbatched operands as they are."""
    ranks = [item_rank(x, b) for x, b in zip(ins, batched)]
    if None in ranks:
        raise Unbatchable
    rank = max(ranks)
    operands = [lifted(x, rank) if b else x for x, b in zip(ins, batched)]
    return current().apply(eqn.prim, operands, **eqn.params)


def same(eqn, ins, batched, size):
    """The operation as it is: it acts on the items of its one (batched) operand already
    (a copy, a cast, zeros like it)."""
    if any(batched[1:]):
        raise Unbatchable
    return current().apply(eqn.prim, ins, **eqn.params)


def shifted_axis(axis, rank):
    """An axis (or tuple of axes) of an item, as the same axis of the batch: a non-negative
    one moves one place on, a negative one counts from the end still; None (every axis) is
    every axis but the batch's."""
    if axis is None:
        if rank is None:
            raise Unbatchable
        return tuple(range(1, rank + 1))
    if isinstance(axis, tuple):
        return tuple(shifted_axis(a, rank) for a in axis)
    if not isinstance(axis, (int, np.integer)):
        raise Unbatchable
    return axis + 1 if axis >= 0 else axis


def along_axes(default=None, none_is_all=True):
    """The rule of an operation along an axis parameter of its first operand (a reduction, a
    stack of a list): the axis moved past the batch axis. default: the axis when the parameter
    is absent (np.stack's 0; None, every axis, for np.sum). none_is_all: axis=None means every
    axis (np.sum); else it flattens first (np.argmax), which for items of rank 1 is axis 0."""

    def rule(eqn, ins, batched, size):
        if any(batched[1:]) or not batched[0]:
            raise Unbatchable
        rank = item_rank(ins[0], True) if ins[0].aval.kind != "list" else _list_item_rank(ins[0])
        params = dict(eqn.params)
        axis = params.get("axis", default)
        if axis is None and not none_is_all:
            if rank != 1:
                raise Unbatchable
            axis = 0
        shifted = shifted_axis(axis, rank)
        if isinstance(shifted, tuple) and len(shifted) == 1 and not isinstance(axis, tuple):
            shifted = shifted[0]
        params["axis"] = shifted
        return current().apply(eqn.prim, ins, **params)

    return rule


def batched_operands(ins, batched, size):
    """Every operand batched: the unbatched ones as size copies (the items of a list, of a
    stack), so that all of them have the batch axis in front."""
    return [x if b else broadcast_batch(x, size) for x, b in zip(ins, batched)]


def _list_item_rank(lst):
    shape = lst.aval.shape
    return len(shape) - 1 if isinstance(shape, tuple) else None
