"""Reading with subscripts, and its adjoint: writing the gradient into zeros.

An index is a static template (ints, slices, None, Ellipsis) whose traced
parts (index arrays, masks, loop counters) are the primitive's operands."""
import numpy as np

from ..ir import Aval, Sym, Var
from . import batching
from .core import Primitive, T, binds, current, method, wrap
from .broadcasting import shape_of, unbroadcast
from .creation import ARANGE
from .helpers import attach
from .lists import length, list_item
from .reductions import SUM
from .shapes import example_shape, normalize_axis
from .shaping import EXPAND_DIMS, RESHAPE, reshape
from .syntax import call, src
from .tuples import SHAPE, TUPLE_GETITEM_BIND, batched_shape

FAMILY = "queries"  # grammar.md's list of callables (prims/catalog.py) groups by it


class Slot:
    """Where operand k goes inside an index template."""

    __slots__ = ("k",)

    def __init__(self, k):
        self.k = k

    def __eq__(self, other):
        return isinstance(other, Slot) and other.k == self.k

    def __hash__(self):
        return hash(("slot", self.k))

    def __repr__(self):
        return f"${self.k}"


def fill(template, values):
    def one(t):
        if isinstance(t, Slot):
            return values[t.k]
        if isinstance(t, slice):
            return slice(one(t.start), one(t.stop), one(t.step))
        return t

    return tuple(one(t) for t in template)


def split_index(idx):
    """(template, operands): traced parts of an index become operands."""
    parts = idx if isinstance(idx, tuple) else (idx,)
    operands = []

    def one(p):
        if isinstance(p, T) and p.is_const:
            return one(p.atom.value)
        if isinstance(p, (T, list)):
            operands.append(wrap(np.asarray(p)) if isinstance(p, list) and not _traced_in(p) else p)
            return Slot(len(operands) - 1)
        if isinstance(p, np.ndarray):
            operands.append(wrap(p))
            return Slot(len(operands) - 1)
        if isinstance(p, slice):
            return slice(one(p.start), one(p.stop), one(p.step))
        if p is None or p is Ellipsis or isinstance(p, (int, np.integer)):
            return p
        raise current().error(f"unsupported index {p!r}", "index with ints, slices, None, ..., or integer/boolean arrays.")

    template = tuple(one(p) for p in parts)
    return template, operands, isinstance(idx, tuple)


def _slice_slots(template):
    """The operands that are bounds or steps of slices (k in x[k:]): the result's shape depends on their values."""
    return [v.k for t in template if isinstance(t, slice) for v in (t.start, t.stop, t.step) if isinstance(v, Slot)]


def _traced_in(items):
    """Whether a list (of lists) has a traced value in it: x[[[0], [2]], [1, 2]] has none."""
    return any(_traced_in(v) if isinstance(v, list) else isinstance(v, T) for v in items)


def index_src(template, args, as_tuple, as_value=False):
    """The index as written in x[...]; as_value spells slices slice(a, b, c), for a tuple passed to a call."""
    def one(t):
        if isinstance(t, Slot):
            return args[t.k]
        if isinstance(t, slice) and as_value:
            return f"slice({', '.join('None' if v is None else one(v) for v in (t.start, t.stop, t.step))})"
        if isinstance(t, slice):
            start, stop, step = ("" if v is None else one(v) for v in (t.start, t.stop, t.step))
            return f"{start}:{stop}" + (f":{step}" if step else "")
        if t is None:
            return "None"
        if t is Ellipsis:
            return "..."
        return src(t)

    parts = [one(t) for t in template]
    if not parts:
        return "()"  # x[()]
    if as_tuple and len(parts) == 1 and isinstance(template[0], Slot):
        return parts[0] + ","  # x[i,] for an operand i: x[(i,)], which for a tuple i is not x[i]
    return ", ".join(parts)


def may_repeat(template, avals):
    """Integer index arrays can select an element twice; masks, ints and slices cannot."""
    return any(
        isinstance(t, Slot) and avals[t.k].kind == "array" and avals[t.k].ndim != 0
        and (avals[t.k].dtype is None or avals[t.k].dtype.kind != "b")
        for t in template
    )


def _getitem_impl(x, *dyn, index, as_tuple):
    idx = fill(index, dyn)
    return x[idx if as_tuple or len(idx) != 1 else idx[0]]


def _getitem_shape(avals, params):
    if any(a.dtype is not None and a.dtype.kind == "b" and not a.has_value for a in avals[1:]) or any(
            not avals[1 + k].has_value for k in _slice_slots(params["index"])):
        # how many elements a mask or x[k:] selects depends on values that stand-ins do not have
        return Aval("array", Sym(), avals[0].dtype)
    found = example_shape(
        lambda x, *dyn: _getitem_impl(x, *dyn, index=params["index"], as_tuple=params["as_tuple"]), avals, {}
    )
    if found is not None:
        return found
    return Aval("array", Sym(), avals[0].dtype)


GETITEM = Primitive(
    "getitem",
    emit=lambda a, p: f"{a[0]}[{index_src(p['index'], a[1:], p['as_tuple'])}]",
    impl=_getitem_impl,
    shape=_getitem_shape,
    recomputable=True,  # an index into a recorded array is cheaper to redo than to record
    shift="index",
    complex_ok=True,
)


def _getitem_view(eqn):
    """x[1:] and x[0] of a matrix are views; x[0] of a vector (a number) and x[[0, 1]] are
    copies; of an array whose rank is not known, which it is is not known either."""
    if any(a.aval.kind == "array" and a.aval.shape != () for a in eqn.ins[1:]):
        return False  # an index array: NumPy copies
    out = eqn.outs[0].aval
    return out.ndim >= 1 if out.known_shape else None


GETITEM.view = _getitem_view


def _put_shape(avals, params):
    like = avals[0]
    if params.get("dtype") is not None:
        return Aval("array", like.value, params["dtype"])
    return Aval("array", like.shape, like.dtype)


def _put_stmts(out, a, p):
    """zeros like the operand, then the adjoint written (or added, for repeatable indices) in.
    Operand 0 is the array read from or, when its shape was known, that shape."""
    target = f"{out}[{index_src(p['index'], a[2:], p['as_tuple'])}]"
    if p.get("dtype") is not None:
        zeros = f"{out} = {call('np.zeros', [a[0]], {'dtype': p['dtype']}, {'dtype': np.dtype(np.float64)})}"
    else:
        zeros = f"{out} = np.zeros_like({a[0]})"
    if p["accumulate"]:
        idx = index_src(p["index"], a[2:], True, as_value=True)
        return [zeros, f"np.add.at({out}, ({idx}), {a[1]})"]
    return [zeros, f"{target} = {a[1]}"]


def _put_impl(x, g, *dyn, index, as_tuple, accumulate, dtype=None):
    out = np.zeros(x, dtype) if dtype is not None else np.zeros_like(x)
    idx = fill(index, dyn)
    idx = idx if as_tuple or len(idx) != 1 else idx[0]
    if accumulate:
        np.add.at(out, idx, g)
    else:
        out[idx] = g
    return out


# INDEX_PUT(x, g, *dyn): zeros shaped like x with g placed at the index.
INDEX_PUT = Primitive("index_put", emit=None, impl=_put_impl, shape=_put_shape, fresh=True, complex_ok=True)
INDEX_PUT.emit_stmts = _put_stmts


@GETITEM.defvjp
def _(g, out, ins, active, index, as_tuple):
    x, dyn = ins[0], ins[1:]
    if not dyn and any(t is None for t in index) and all(t is None or t == slice(None) for t in index) \
            and x.aval.known_shape:
        return (_without_new_axes(g, x, index),)
    accumulate = may_repeat(index, [d.aval for d in dyn]) and not _unique_rows(index, dyn)
    return (put_into_zeros(x, g, dyn, index, as_tuple, accumulate),) + (None,) * len(dyn)


def _without_new_axes(g, x, index):
    """The adjoint of x[:, None]: g is x's numbers with length-1 axes put in, so it is g
    with them taken out; a sum that kept them (keepdims=True) need not have."""
    new_axes = tuple(i for i, t in enumerate(index) if t is None)
    made = current().producer(g.atom)
    if made is not None and made.prim is SUM and made.params.get("keepdims") and g.aval.known_shape:
        axes = normalize_axis(made.params.get("axis"), g.aval.ndim)
        if (axes if isinstance(axes, tuple) else (axes,)) == new_axes:
            return current().apply(SUM, made.ins, **dict(made.params, keepdims=False))
    return reshape(g, x.aval.shape)


def put_into_zeros(x, g, dyn, index, as_tuple, accumulate):
    """Zeros shaped like x (from its shape when known, so x need not be kept) with g put in."""
    params = dict(index=index, as_tuple=as_tuple, accumulate=accumulate)
    if x.aval.known_shape and x.aval.dtype is not None:
        return current().apply(INDEX_PUT, [x.aval.shape, g, *dyn], dtype=x.aval.dtype, **params)
    return current().apply(INDEX_PUT, [x, g, *dyn], **params)


@GETITEM.defjvp
def _(t, out, ins, index, as_tuple):
    return current().apply(GETITEM, [t[0], *ins[1:]], index=index, as_tuple=as_tuple)


@INDEX_PUT.defvjp
def _(g, out, ins, active, index, as_tuple, accumulate, dtype=None):
    dyn = ins[2:]
    # what was put may have been broadcast into the place (dx[1:] = dsum, a scalar): sum it back
    dg = unbroadcast(current().apply(GETITEM, [g, *dyn], index=index, as_tuple=as_tuple), ins[1]) \
        if active[1] else None
    return (None, dg) + (None,) * len(dyn)


@INDEX_PUT.defjvp
def _(t, out, ins, index, as_tuple, accumulate, dtype=None):
    if t[1] is None:
        return None  # operand 0 only gives the shape
    params = dict(index=index, as_tuple=as_tuple, accumulate=accumulate)
    return current().apply(INDEX_PUT, [ins[0], t[1], *ins[2:]], **params, **({"dtype": dtype} if dtype else {}))


def _add_stmts(name, a, p):
    if p["accumulate"]:
        return [f"np.add.at({name}, ({index_src(p['index'], a[2:], True, as_value=True)}), {a[1]})"]
    return [f"{name}[{index_src(p['index'], a[2:], p['as_tuple'])}] += {a[1]}"]


def _copy_and_index(x, dyn, index, as_tuple):
    idx = fill(index, dyn)
    return np.array(x, copy=True), (idx if as_tuple or len(idx) != 1 else idx[0])


def _writer(name, impl, stmts, complex_ok=False):
    """A primitive that changes its first operand: a new value in the IR, written in place
    when nothing reads the old one, on a copy otherwise (codegen decides)."""
    prim = Primitive(name, emit=None, impl=impl, shape=lambda avals, p: Aval("array", avals[0].shape, avals[0].dtype))
    prim.inplace = stmts
    prim.copy = "{0}.copy()"
    prim.fresh = True
    prim.complex_ok = complex_ok
    return prim


def _add_impl(x, v, *dyn, index, as_tuple, accumulate):
    out, idx = _copy_and_index(x, dyn, index, as_tuple)
    if accumulate:
        np.add.at(out, idx, v)
    else:
        out[idx] += v
    return out


# x[idx] += v: an adjoint that a read of x[idx] adds to, written in place when nothing else
# reads the old total (a row update in a loop then costs a row, not a zeroed array)
INDEX_ADD = _writer("index_add", _add_impl, _add_stmts, complex_ok=True)


@INDEX_ADD.defvjp
def _(g, out, ins, active, index, as_tuple, accumulate):
    v, dyn = ins[1], ins[2:]
    dv = unbroadcast(current().apply(GETITEM, [g, *dyn], index=index, as_tuple=as_tuple), v) if active[1] else None
    return (g if active[0] else None, dv) + (None,) * len(dyn)


@INDEX_ADD.defjvp
def _(t, out, ins, index, as_tuple, accumulate):
    params = dict(index=index, as_tuple=as_tuple, accumulate=accumulate)
    if t[1] is None:
        return t[0]
    if t[0] is None:
        return current().apply(INDEX_PUT, [out.aval.shape, t[1], *ins[2:]], dtype=out.aval.dtype, **params)
    base = t[0]
    if not (base.aval.known_shape and base.aval.shape == out.aval.shape):
        base = np.broadcast_to(base, shape_of(out))  # a tangent may come unbroadcast (x[0] / 3 + ones(3))
    return current().apply(INDEX_ADD, [base, t[1], *ins[2:]], **params)


def added_at(total, contribution, producer):
    """total + contribution, where contribution is zeros with g put at an index (the adjoint
    of a read x[idx]): total[idx] += g instead, or None when that is not the same."""
    eqn = producer(contribution.atom) if isinstance(contribution, T) and isinstance(contribution.atom, Var) else None
    if eqn is None or eqn.prim is not INDEX_PUT or eqn.params.get("dtype") is None:
        return None
    a = total.aval
    if not (a.kind == "array" and a.known_shape and a.shape == eqn.outs[0].aval.shape and a.dtype == eqn.params["dtype"]):
        return None
    params = {k: eqn.params[k] for k in ("index", "as_tuple", "accumulate")}
    return current().apply(INDEX_ADD, [total, eqn.ins[1], *eqn.ins[2:]], **params)


def _unique_rows(index, dyn):
    """X[np.arange(N), y]: an arange among the index arrays makes every selected element distinct."""
    arrays = [dyn[t.k] for t in index if isinstance(t, Slot)]
    if len(arrays) != len(index) or any(a.aval.ndim != 1 for a in arrays):
        return False
    return any(getattr(current().producer(a.atom), "prim", None) is ARANGE for a in arrays)


def _update_stmts(name, a, p):
    return [f"{name}[{index_src(p['index'], a[2:], p['as_tuple'])}] = {a[1]}"]


def _update_impl(x, v, *dyn, index, as_tuple):
    out, idx = _copy_and_index(x, dyn, index, as_tuple)
    out[idx] = v
    return out


# x[idx] = v: a new array value in the IR, written in place when nothing reads the old one
INDEX_UPDATE = _writer("index_update", _update_impl, _update_stmts)


def _last_writes_shape(avals, params):
    """The shape x[idx] has, for x of the shape operand 0 holds."""
    shape = avals[0]
    x = Aval("array", tuple(shape.value) if shape.has_value else Sym(), np.dtype(np.int8))
    return Aval("array", _getitem_shape([x, *avals[1:]], params).shape, np.dtype(bool))


def _index_value(index, dyn, as_tuple):
    idx = fill(index, dyn)
    return idx if as_tuple or len(idx) != 1 else idx[0]


def _last_writes_emit(a, p):
    return f"_last_writes({a[0]}, ({index_src(p['index'], a[1:], True, as_value=True)}))"


# LAST_WRITES(shape, *dyn): which elements of a write x[idx] = v land, for an index that
# may name a place twice (x[[0, 0]] = v): NumPy writes each place once, the last write winning.
LAST_WRITES = attach(Primitive("last_writes", emit=_last_writes_emit, shape=_last_writes_shape,
                               differentiable=False), "last_writes")
_last_writes = LAST_WRITES.impl
LAST_WRITES.impl = lambda shape, *dyn, index, as_tuple: _last_writes(shape, _index_value(index, dyn, as_tuple))


@INDEX_UPDATE.defvjp
def _(g, out, ins, active, index, as_tuple):
    x, v, dyn = ins[0], ins[1], ins[2:]
    params = dict(index=index, as_tuple=as_tuple)
    dv = None
    if active[1]:  # read before g is zeroed there, so the zeroing may write into g itself
        dv = current().apply(GETITEM, [g, *dyn], **params)
        if may_repeat(index, [d.aval for d in dyn]) and not _unique_rows(index, dyn):
            # only the last write to a place lands: the others' values have no effect
            dv = dv * current().apply(LAST_WRITES, [shape_of(x), *dyn], **params)
        dv = unbroadcast(dv, v)
    dx = current().apply(INDEX_UPDATE, [g, 0.0, *dyn], **params) if active[0] else None
    return (dx, dv) + (None,) * len(dyn)


@INDEX_UPDATE.defjvp
def _(t, out, ins, index, as_tuple):
    x, dyn = ins[0], ins[2:]
    tx = t[0] if t[0] is not None else np.zeros_like(x)
    tv = t[1] if t[1] is not None else 0.0
    return current().apply(INDEX_UPDATE, [tx, tv, *dyn], index=index, as_tuple=as_tuple)


def update(x, idx, value):
    """x with x[idx] = value, as a new value."""
    template, operands, as_tuple = split_index(idx)
    ops = [_index_operand(o) for o in operands]
    return current().apply(INDEX_UPDATE, [x, value, *ops], index=template, as_tuple=as_tuple)


@method("__getitem__")
def getitem(x, idx):
    x = wrap(x)
    template, operands, as_tuple = split_index(idx)
    if x.aval.kind == "tuple":
        return TUPLE_GETITEM_BIND(x, template, operands)
    if x.aval.kind == "list":
        if operands or len(template) != 1 or not isinstance(template[0], (int, Slot)):
            if len(template) == 1 and isinstance(template[0], Slot):
                return list_item(x, operands[0])
            raise current().error("a list built in a loop can be indexed with one int only")
        return list_item(x, template[0])
    if template == () and x.aval.ndim == 0:
        return x  # a 0-d value's x[()] is its value (also where np.asarray(3.0) stayed a float)
    ops = [_index_operand(o) for o in operands]
    return current().apply(GETITEM, [x, *ops], index=template, as_tuple=as_tuple)


def _index_operand(o):
    if isinstance(o, list):
        return current().call(np.array, (o,), {})
    return o


@binds(len)
def _len(x):
    x = wrap(x)
    if x.aval.kind == "list":
        return length(x)
    if x.aval.kind == "tuple":
        if x.aval.has_value:
            return wrap(len(x.aval.value))
        raise current().error("len() of a shape tuple of unknown length")
    return current().apply(SHAPE, [x])[0]


def unit_axes_source(eqn):
    """The operand of eqn when eqn only puts in (or takes out) length-1 axes, as
    np.expand_dims(v, 1), v[:, None] and v.reshape((n, 1)) do, else None: the same numbers
    without them, one call fewer."""
    if eqn is None or not eqn.ins:
        return None
    if eqn.prim is GETITEM:
        only_axes = len(eqn.ins) == 1 and all(t is None or t == slice(None) for t in eqn.params["index"])
    else:
        only_axes = eqn.prim in (EXPAND_DIMS, RESHAPE)
    source, out = eqn.ins[0].aval, eqn.outs[0].aval
    if not (only_axes and source.known_shape and out.known_shape):
        return None
    return eqn.ins[0] if [d for d in source.shape if d != 1] == [d for d in out.shape if d != 1] else None


# -- batching (prims/batching.py) ---------------------------------------------


def batched_index(template, avals):
    """An index of an item (ints, slices, None, ..., index arrays in operand slots) as the index
    of the batch: a full slice in front. NumPy puts the axes of index arrays that are apart
    (x[0, :, idx]) before all others, the batch's too: that is not batched this way."""
    def advanced(t):
        if isinstance(t, Slot):
            return avals[t.k].kind == "array" and avals[t.k].ndim != 0, True
        return False, isinstance(t, (int, np.integer))

    kinds = [advanced(t) for t in template]
    if any(is_array for is_array, _ in kinds):
        where = [i for i, (is_array, is_int) in enumerate(kinds) if is_array or is_int]
        if where[-1] - where[0] + 1 != len(where):
            raise batching.Unbatchable
    return (slice(None),) + tuple(template)


def _region_rank(x_aval, dyn, params):
    """The rank of x[index] for an item x (where a write puts its value)."""
    region = _getitem_shape([x_aval] + [d.aval for d in dyn], params)
    if not region.known_shape:
        raise batching.Unbatchable
    return region.ndim


def gathered_index(template, dyn, batched, x_batched, size):
    """(index, operands) of a batch for an index whose integer arrays (or ints) differ by item
    (logits[y] with a label per item): the items' index arrays lined up behind the batch axis,
    and, where x is batched too, np.arange(size) in front picking each item's own x; the
    result has the batch axis first. Only for an index made of ints and integer arrays (a
    slice among them would put the batch axis behind it)."""
    ranks = []
    for t in template:
        if not isinstance(t, (Slot, int, np.integer)):
            raise batching.Unbatchable
        if isinstance(t, Slot):
            aval, b = dyn[t.k].aval, batched[t.k]
            if aval.dtype is None or aval.dtype.kind not in "iu":
                raise batching.Unbatchable  # a mask that differs by item selects a different number
            ranks.append(batching.item_rank(dyn[t.k], b))
    if None in ranks:
        raise batching.Unbatchable
    rank = max(ranks, default=0)
    operands = [batching.lifted(d, rank) if b else d for d, b in zip(dyn, batched)]
    if x_batched:
        rows = np.arange(size)
        if rank:
            rows = np.expand_dims(rows, tuple(range(1, rank + 1)))
        template = (Slot(len(operands)),) + tuple(template)
        operands.append(rows)
    return tuple(template), operands


@GETITEM.defbatch
def _(eqn, ins, batched, size):
    if any(batched[1:]):  # an index that differs by item
        index, dyn = gathered_index(eqn.params["index"], ins[1:], batched[1:], batched[0], size)
        return current().apply(GETITEM, [ins[0], *dyn], index=index, as_tuple=True)
    index = batched_index(eqn.params["index"], [d.aval for d in ins[1:]])
    return current().apply(GETITEM, ins, index=index, as_tuple=True)


def _written_value(v, v_batched, x_item, dyn, params):
    """The value a write puts in, its items lined up with the place it goes to in each item."""
    if not v_batched:
        return v  # the same for every item: NumPy broadcasts it into each
    return batching.lifted(v, _region_rank(x_item, dyn, {"index": params["index"], "as_tuple": params["as_tuple"]}))


@INDEX_PUT.defbatch
def _(eqn, ins, batched, size):
    like, g, dyn = ins[0], ins[1], ins[2:]
    if batched[0]:
        x_item = eqn.ins[0].aval
    elif like.aval.kind == "tuple" or like.aval.kind == "static":  # the shape of the zeros
        x_item = Aval("array", tuple(like.const_value()), eqn.params.get("dtype"))
        like = batched_shape(like, size)
    else:
        x_item = like.aval
        like = batching.broadcast_batch(like, size)
    return _batched_write(eqn, like, g, dyn, batched, x_item, size)


def _batched_write(eqn, x, v, dyn, batched, x_item, size):
    """eqn's write of v (batched or not) into x, a batch, at the index of the items, whose
    operands are dyn: a `:` in front of it, or each item's own row where the place differs by
    item. x_item: what x is for one item (a write's place is read off it)."""
    value = _written_value(v, batched[1], x_item, dyn, eqn.params)
    if any(batched[2:]):  # the place differs by item: each item's own row of the batch
        index, dyn = gathered_index(eqn.params["index"], dyn, batched[2:], True, size)
    else:
        index = batched_index(eqn.params["index"], [d.aval for d in dyn])
    return current().apply(eqn.prim, [x, value, *dyn], **dict(eqn.params, index=index, as_tuple=True))


def _batch_write_into(eqn, ins, batched, size):
    """x[i] += v and x[i] = v: the batch of x (size copies of x where x is the same for every item)."""
    x = ins[0] if batched[0] else batching.broadcast_batch(ins[0], size)
    return _batched_write(eqn, x, ins[1], ins[2:], batched, eqn.ins[0].aval, size)


INDEX_ADD.batch = INDEX_UPDATE.batch = _batch_write_into
