"""Tapes: what the forward version of a called function (q_fwd) keeps for its backward
version (q_bwd), as one tuple value.

A tape is differentiable like any other value, so that derivatives of derivatives go
through recursion: its tangent (forward mode over reverse mode, a Hessian) and its
adjoint (reverse over reverse, grad of grad) are tuples of the same layout, holding each
item's tangent or adjoint, and None where an item carries no derivative (a branch's
boolean, an int). Writing a tape and reading its items are linear, so their rules are
the same operations on the derivatives:

    tape = tape(a, b, c)         tape_dot = tape(a_dot, b_dot, c_dot)
    b = tape_item(tape; i=1)     b_dot = tape_item(tape_dot; i=1)    dtape[1] += db

A tape is never added with `+` (that would concatenate tuples): tape_add adds item by
item, and tape_zeros makes a tape's zero derivative."""
import itertools

import numpy as np

from ..ir import COND, Aval, Const, IRError
from . import batching
from .core import Primitive, T, current, wrap
from .creation import ZEROS_LIKE
from .helpers import attach

_serials = itertools.count(1)


class TapeLayout:
    """What a tape holds: one Aval per item, filled in once the forward version that writes
    it is built (a recursive function's tape holds the tape of its own inner call, so the
    layout exists before its items are known)."""

    def __init__(self, name):
        self.name = name
        self.items = None
        self.serial = next(_serials)

    def __str__(self):
        return self.name

    def __repr__(self):  # distinct per layout, for common-subexpression keys
        return f"{self.name}#{self.serial}"


def tape_aval(layout):
    return Aval("tape", layout=layout)


def is_tape(aval):
    """A tape, or a list of tapes (a loop's record of the tapes of the calls it made) or of
    lists (a loop's record of an inner loop's records): what is added and zeroed item by
    item, by the helpers here."""
    return aval.kind == "tape" or aval.layout is not None


def _tuple_source(items):
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


TAPE = Primitive("tape", takes_lists=True, emit=lambda a, p: _tuple_source(a), shape=lambda avals, p: tape_aval(p["_layout"]))

TAPE_ITEM = Primitive("tape_item", emit=lambda a, p: f"{a[0]}[{p['i']}]",
                      shape=lambda avals, p: p["_layout"].items[p["i"]])

TAPE_ZEROS = attach(Primitive("tape_zeros", takes_lists=True, emit=lambda a, p: f"_zeros_like_tape({a[0]})",
                              shape=lambda avals, p: avals[0], differentiable=False), "zeros_like_tape")
TAPE_ZEROS.fresh = True

TAPE_ADD = attach(Primitive("tape_add", takes_lists=True, emit=lambda a, p: f"_add_tapes({a[0]}, {a[1]})",
                            shape=lambda avals, p: avals[0]), "add_tapes")


def make_tape(items, layout):
    return current().apply(TAPE, list(items), _layout=layout)


def tape_item(tape, i, layout):
    """tape[i]; the item itself when the tape was written here (a derivative rebuilt item
    by item reads what it just wrote)."""
    tape = wrap(tape)
    made = current().producer(tape.atom)
    if made is not None and made.prim is TAPE:
        return T(made.ins[i])
    return current().apply(TAPE_ITEM, [tape], i=i, _layout=layout)


def may_be_missing(x):
    """Whether the list x may be one the path taken did not make (None there, and its zero
    derivative 0.0): read from a tape, the zero of one, or made by a branch (a second
    derivative makes zeros of it, and adds them, on the other path too)."""
    made = current().producer(wrap(x).atom)
    return made is not None and made.prim in (TAPE_ITEM, TAPE_ZEROS, COND)


# Lists of numbers or arrays, zeroed and added as lists: here, below prims/lists.py, as a list
# may be a tape's item and a tape a list's, and the zeros and sums of both are made here.


def list_of_arrays(avals, params):
    """The list's own aval; its items are numbers or arrays: tapes (tuples) are added and
    zeroed item by item by the tapes' helpers, never with `+` (which would concatenate them)."""
    if avals[0].layout is not None:
        raise IRError("a list of tapes added or zeroed as a list of arrays")
    return avals[0]


LIST_ZEROS = Primitive("list_zeros", takes_lists=True, emit=lambda a, p: f"[np.zeros_like(x) for x in {a[0]}]",
                       impl=lambda xs: [np.zeros_like(x) for x in xs], shape=list_of_arrays, differentiable=False,
                       fresh=True)

LIST_ADD = Primitive("list_add", takes_lists=True, emit=lambda a, p: f"[u + v for u, v in zip({a[0]}, {a[1]})]",
                     impl=lambda xs, ys: [u + v for u, v in zip(xs, ys)], shape=list_of_arrays, fresh=True)
LIST_ADD.defvjp(lambda g, out, ins, active: (g if active[0] else None, g if active[1] else None))
LIST_ADD.defjvp(lambda t, out, ins: current().apply(LIST_ADD, [list_zeros(x) if ti is None else ti
                                                              for ti, x in zip(t, ins)]))


def list_zeros(x):
    """Zeros like the list x; the tapes' zeros when it may be missing (see may_be_missing)."""
    return current().apply(TAPE_ZEROS if is_tape(wrap(x).aval) or may_be_missing(x) else LIST_ZEROS, [x])


def list_add(a, b, primal):
    """Two derivatives of the list primal added item by item; by the tapes' helper when
    primal may be missing (its derivatives 0.0 there: see may_be_missing)."""
    return current().apply(TAPE_ADD if is_tape(primal.aval) or may_be_missing(primal) else LIST_ADD, [a, b])


def zero_like(x):
    """The zero derivative of x: 0.0, zeros, a tape of zeros; None for what has none."""
    x = wrap(x)
    aval = x.aval
    if is_tape(aval):
        return current().apply(TAPE_ZEROS, [x])
    if not aval.differentiable:
        return T(Const(None))
    if aval.kind == "list":
        return list_zeros(x)
    if aval.kind == "scalar":
        return T(Const(0.0))
    return np.zeros_like(x)


def add(a, b):
    """a + b for the derivatives of a tape's item: tapes, and lists (a tape's list may be one
    the path taken did not make), added item by item."""
    a = wrap(a)
    if is_tape(a.aval) or a.aval.kind == "list":
        return current().apply(TAPE_ADD, [a, b])
    return a + b


class TapeUpdate:
    """The adjoint of reading tape[i]: g belongs at item i of the tape's adjoint."""

    def __init__(self, index, g):
        self.index, self.g = index, g


def updated(previous, tape, update):
    """The adjoint of tape with update.g added at item update.index: previous (the
    adjoint so far, None when there is none) item by item, zeros where nothing flowed."""
    layout = tape.aval.layout
    items = []
    for j, aval in enumerate(layout.items):
        if not aval.differentiable:
            items.append(Const(None))
        elif previous is not None:
            item = tape_item(previous, j, layout)
            if j == update.index:
                item = update.g if _is_zero(item) else add(item, update.g)
            items.append(item)
        elif j == update.index:
            items.append(update.g)
        else:
            items.append(zero_like(tape_item(tape, j, layout)))
    return make_tape(items, layout)


def _is_zero(x):
    """A zero `updated` put where nothing had flowed yet."""
    if isinstance(x.atom, Const):
        return x.atom.value is None or (type(x.atom.value) is float and x.atom.value == 0.0)
    made = current().producer(x.atom)
    return made is not None and made.prim in (ZEROS_LIKE, TAPE_ZEROS, LIST_ZEROS)


@TAPE.defjvp
def _(ts, out, ins, _layout):
    if all(t is None for t in ts):
        return None
    return make_tape([t if t is not None else zero_like(x) for t, x in zip(ts, ins)], _layout)


@TAPE.defvjp
def _(g, out, ins, active, _layout):
    return tuple(tape_item(g, i, _layout) if a else None for i, a in enumerate(active))


@TAPE_ITEM.defjvp
def _(ts, out, ins, i, _layout):
    return tape_item(ts[0], i, _layout) if out.aval.differentiable else None


@TAPE_ITEM.defvjp
def _(g, out, ins, active, i, _layout):
    return (TapeUpdate(i, g) if active[0] else None,)


@TAPE_ADD.defjvp
def _(ts, out, ins):
    if ts[0] is None or ts[1] is None:
        return ts[1] if ts[0] is None else ts[0]
    return current().apply(TAPE_ADD, ts)


@TAPE_ADD.defvjp
def _(g, out, ins, active):
    return (g if active[0] else None, g if active[1] else None)


LIST_ZEROS.batch = LIST_ADD.batch = batching.same
