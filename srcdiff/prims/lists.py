"""Python lists as values: lists a loop appends to (hs.append(h); np.stack(hs)), and
the per-iteration records loops keep for the backward sweep.

A list's aval has kind "list" and the shape and dtype of its elements. The adjoint
of a list is a list of the elements' adjoints. Appending and popping are written
in place (hs.append(h), dh = dhs.pop()) when nothing else reads the old list; the
codegen copies first otherwise (prim.inplace names the operand that is changed)."""
import numpy as np

from ..ir import Aval, Sym, same_dtype, unknown_aval
from . import batching
from .core import STACK_LIST, UNSTACK, Primitive, T, current
from .shapes import INT, result_dtype
from .syntax import axis_keyword
from .tapes import LIST_ZEROS, TAPE_ADD, list_of_arrays, list_zeros, zero_like


def list_aval(element, length=None):
    """A list of these. A list of tapes keeps their layout, and a list of lists (a loop's
    record of an inner loop's records) the inner lists' aval: their derivatives are added
    and zeroed item by item, as tapes' are (prims/tapes.py)."""
    layout = element if element.kind == "list" else element.layout
    unknown = element.kind in ("array", "scalar") and element.dtype is None  # items of no known dtype
    return Aval("list", element.shape, element.dtype, length=length, layout=layout, mixed=unknown)


def element_aval(lst):
    if lst.kind == "list" and isinstance(lst.layout, Aval):
        return lst.layout  # a list of lists
    if lst.kind == "list" and lst.layout is not None:
        return Aval("tape", layout=lst.layout)
    if lst.kind == "list":
        return Aval("array", lst.shape, lst.dtype)
    return unknown_aval()


def _join_elements(avals, length):
    if not avals:
        return Aval("list", Sym(), None, length=length)
    first = avals[0]
    same = all(a.shape == first.shape or a.shape is first.shape for a in avals)
    if all(a.dtype is not None for a in avals) and all(same_dtype(a.dtype, first.dtype) for a in avals):
        dtype, mixed = first.dtype, False
    elif all(a.dtype is not None for a in avals) and all(a.kind == "scalar" for a in avals):
        dtype, mixed = result_dtype(avals), False  # Python numbers: np.array of them has their promotion
    else:
        dtype, mixed = None, True  # one item's dtype or another's: not known
    return Aval("list", first.shape if same else Sym(), dtype, length=length, mixed=mixed)


def _longer(lst, k):
    return None if lst.length is None else lst.length + k


# [a, b, c]
LIST_FROM = Primitive("list", takes_lists=True, emit=lambda a, p: "[" + ", ".join(a) + "]", impl=lambda *xs: list(xs),
                      shape=lambda avals, p: _join_elements(avals, len(avals)), arity=lambda eqn: 1, fresh=True)


@LIST_FROM.defvjp
def _(g, out, ins, active):
    return tuple(list_item(g, k) if a else None for k, a in enumerate(active))


def _append_stmts(name, a, p):
    return [f"{name}.append({a[1]})"]


# hs.append(h): a new list value in the IR, the same list object in the emitted code
LIST_APPEND = Primitive("list_append", takes_lists=True, emit=None, impl=lambda xs, x: xs + [x],
                        # a list with no known items (empty, or a loop's list before the body is seen)
                        # has items like the one appended
                        shape=lambda avals, p: list_aval(avals[1], _longer(avals[0], 1))
                        if avals[0].dtype is None and not avals[0].mixed
                        else _join_elements([element_aval(avals[0]), avals[1]], _longer(avals[0], 1)),
                        inplace=_append_stmts, copy="list({0})", fresh=True)


@LIST_APPEND.defvjp
def _(g, out, ins, active):
    rest, last = current().apply(LIST_POP, [g])
    return (rest if active[0] else None, last if active[1] else None)


def _pop_shape(avals, params):
    lst = avals[0]
    return [Aval("list", lst.shape, lst.dtype, length=_longer(lst, -1)), element_aval(lst)]


def _pop_stmts(names, a, p):
    return [f"{names[1]} = {names[0]}.pop()"]


# (rest, last) = pop(list): the adjoint of an append, in reverse order. Linear, so forward
# mode over a gradient (hessian) pops the tangents alongside.
LIST_POP = Primitive("list_pop", takes_lists=True, emit=None, impl=lambda xs: (xs[:-1], xs[-1]), shape=_pop_shape, nout=2,
                     # the item is the list's own: another list may hold it too (list(xs) shares
                     # the items), so it is changed in place only as a copy
                     inplace=_pop_stmts, copy="list({0})", fresh=(True, False))


@LIST_POP.defvjp
def _(gs, outs, ins, active):
    """Popping is appending backwards: the adjoint of the list is the rest's with the last
    item's put back at the end (zeros where nothing flowed in)."""
    d_rest, d_last = gs
    rest, last = outs
    if d_rest is None:
        d_rest = current().apply(LIST_ZEROS, [rest])
    if d_last is None:
        d_last = np.zeros_like(last) if last.aval.kind != "scalar" else 0.0
    return (current().apply(LIST_APPEND, [d_rest, d_last]),)


def _item_shape(avals, params):
    return element_aval(avals[0])


# xs[i] (also a loop's saved[k])
LIST_ITEM = Primitive("list_item", takes_lists=True, emit=lambda a, p: f"{a[0]}[{a[1]}]", impl=lambda xs, k, _of=None: xs[k],
                      shape=_item_shape, view=True, recomputable=True)


class ListUpdate:
    """The adjoint of reading xs[i]: g belongs at position i of xs's adjoint. Reverse mode
    adds it into that list in place rather than building a list of zeros per read."""

    def __init__(self, index, g):
        self.index, self.g = index, g


@LIST_ITEM.defvjp
def _(g, out, ins, active, _of=None):
    return (ListUpdate(ins[1], g) if active[0] else None, None)


def list_item(xs, i):
    return current().apply(LIST_ITEM, [xs, i])


def _add_at_stmts(name, a, p):
    return [f"{name}[{a[1]}] = {name}[{a[1]}] + {a[2]}"]


# dxs[i] += g, into a list of adjoints
LIST_ADD_AT = Primitive("list_add_at", takes_lists=True, emit=None, impl=None, shape=list_of_arrays,
                        inplace=_add_at_stmts, copy="list({0})", fresh=True)


@LIST_ADD_AT.defvjp
def _(g, out, ins, active):
    return (g if active[0] else None, None, list_item(g, ins[1]) if active[2] else None)


# dtapes[i] += g, into a list of tapes' adjoints (a loop's record of its calls' tapes)
TAPES_ADD_AT = Primitive("tapes_add_at", takes_lists=True, emit=None, shape=lambda avals, p: avals[0],
                         inplace=lambda name, a, p: [f"{name}[{a[1]}] = _add_tapes({name}[{a[1]}], {a[2]})"],
                         copy="list({0})", fresh=True)
TAPES_ADD_AT.helper_source, TAPES_ADD_AT.helper_name = TAPE_ADD.helper_source, TAPE_ADD.helper_name


@TAPES_ADD_AT.defjvp
def _(ts, out, ins):
    return current().apply(TAPES_ADD_AT, [ts[0] if ts[0] is not None else zero_like(ins[0]), ins[1],
                                          ts[2] if ts[2] is not None else zero_like(ins[2])])


@TAPES_ADD_AT.defvjp
def _(g, out, ins, active):
    return (g if active[0] else None, None, list_item(g, ins[1]) if active[2] else None)


LIST_LEN = Primitive("list_len", takes_lists=True, emit=lambda a, p: f"len({a[0]})", impl=len,
                     shape=lambda avals, p: Aval("scalar", (), INT) if avals[0].length is None
                     else Aval("scalar", (), INT, value=avals[0].length, has_value=True), differentiable=False, hoistable=True,
                     same_for_items=True)


CONCAT_LIST = Primitive("concatenate_list", takes_lists=True, emit=lambda a, p: f"np.concatenate({a[0]}{axis_keyword(p)})",
                        impl=lambda xs, axis=0: np.concatenate(xs, axis=axis),
                        shape=lambda avals, p: Aval("array", Sym(), avals[0].dtype), fresh=True)
SPLIT_LIKE = Primitive(
    "split_like", takes_lists=True,
    emit=lambda a, p: f"np.split({a[0]}, np.cumsum([np.shape(x)[{p.get('axis', 0)}] for x in {a[1]}])[:-1]"
                      f"{axis_keyword(p)})",
    impl=lambda g, xs, axis=0: np.split(g, np.cumsum([np.shape(x)[axis] for x in xs])[:-1], axis=axis),
    shape=lambda avals, p: Aval("list", Sym(), avals[0].dtype),
)
CONCAT_LIST.defvjp(lambda g, out, ins, active, axis=0: (current().apply(SPLIT_LIKE, [g, ins[0]], axis=axis),))
SPLIT_LIKE.defvjp(lambda g, out, ins, active, axis=0: (current().apply(CONCAT_LIST, [g], axis=axis), None))


def is_list(x):
    return isinstance(x, T) and x.aval.kind == "list"


def empty_list():
    return current().apply(LIST_FROM, [])


def to_list(items):
    """A Python list of values, as a list value the IR can carry through a loop."""
    return current().apply(LIST_FROM, list(items))


def append(xs, x):
    return current().apply(LIST_APPEND, [xs, x])


def length(xs):
    return current().apply(LIST_LEN, [xs])


def stack(xs, axis=0):
    return current().apply(STACK_LIST, [xs], **({"axis": axis} if axis else {}))


def concatenate(xs, axis=0):
    return current().apply(CONCAT_LIST, [xs], **({"axis": axis} if axis else {}))


# Forward mode: every list operation is linear in its list and element operands, so the
# tangent is the same operation on the tangents (zeros where an operand has none).

def _or_zeros(t, x):
    if t is not None:
        return t
    if x.aval.kind == "list" or x.aval.layout is not None:  # (a list of tapes, or one read from a tape)
        return list_zeros(x)
    return np.zeros_like(x) if x.aval.kind != "scalar" else 0.0


LIST_FROM.defjvp(lambda t, out, ins: current().apply(LIST_FROM, [_or_zeros(ti, x) for ti, x in zip(t, ins)]))
LIST_APPEND.defjvp(lambda t, out, ins: current().apply(LIST_APPEND, [_or_zeros(t[0], ins[0]), _or_zeros(t[1], ins[1])]))
LIST_ITEM.defjvp(lambda t, out, ins, _of=None: list_item(t[0], ins[1]))
LIST_POP.defjvp(lambda t, out, ins: current().apply(LIST_POP, [t[0]]))
LIST_ADD_AT.defjvp(lambda t, out, ins: current().apply(
    LIST_ADD_AT, [_or_zeros(t[0], ins[0]), ins[1], _or_zeros(t[2], ins[2])]))
CONCAT_LIST.defjvp(lambda t, out, ins, axis=0: current().apply(CONCAT_LIST, [t[0]], **({"axis": axis} if axis else {})))
# the list split like gives only the pieces' lengths: no tangent of g, none of the pieces
SPLIT_LIKE.defjvp(lambda t, out, ins, axis=0: None if t[0] is None
                  else current().apply(SPLIT_LIKE, [t[0], ins[1]], axis=axis))


# -- batching (prims/batching.py): a batched list is a list of batched items --------------


def batched_list(lst, size):
    """An unbatched list as a batched one: an empty list is a batch of empty lists already; a
    list of known length is the list of its items' batches (size copies of each)."""
    aval = lst.aval
    if aval.length == 0:
        return lst
    if aval.length is None or aval.layout is not None or aval.mixed:
        raise batching.Unbatchable
    return to_list(batching.broadcast_batch(list_item(lst, k), size) for k in range(aval.length))


def _batched_list(lst, is_batched, size):
    return lst if is_batched else batched_list(lst, size)


@LIST_FROM.defbatch
def _(eqn, ins, batched, size):
    return current().apply(LIST_FROM, batching.batched_operands(ins, batched, size))


@LIST_APPEND.defbatch
def _(eqn, ins, batched, size):
    lst, x = _batched_list(ins[0], batched[0], size), ins[1] if batched[1] else batching.broadcast_batch(ins[1], size)
    return current().apply(LIST_APPEND, [lst, x])


@LIST_ADD_AT.defbatch
def _(eqn, ins, batched, size):
    if batched[1]:
        raise batching.Unbatchable
    lst, g = _batched_list(ins[0], batched[0], size), ins[2] if batched[2] else batching.broadcast_batch(ins[2], size)
    return current().apply(LIST_ADD_AT, [lst, ins[1], g])


@LIST_POP.defbatch
def _(eqn, ins, batched, size):
    return current().apply(LIST_POP, ins)


@LIST_ITEM.defbatch
def _(eqn, ins, batched, size):
    if batched[1]:
        raise batching.Unbatchable
    return current().apply(LIST_ITEM, ins, **eqn.params)


@LIST_LEN.defbatch
def _(eqn, ins, batched, size):
    return batching.Unbatched(current().apply(LIST_LEN, ins))


for _prim in (STACK_LIST, CONCAT_LIST):
    _prim.batch = batching.along_axes(default=0)


@UNSTACK.defbatch
def _(eqn, ins, batched, size):
    axis = eqn.params.get("axis", 0)
    return current().apply(UNSTACK, ins, axis=batching.shifted_axis(axis, batching.item_rank(ins[0], True)))
