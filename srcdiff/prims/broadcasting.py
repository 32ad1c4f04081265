"""Taking an adjoint back to its operand's shape, and the inverse, broadcasting.

sum_to and broadcast_to are each other's VJP, so reverse mode over reverse
mode needs nothing more."""
import numpy as np

from ..ir import Aval, Sym
from . import batching
from .core import Primitive, binds, current, wrap
from .helpers import attach
from .tuples import batched_shape, make_tuple

FAMILY = "shapes and casts"  # grammar.md's list of callables (prims/catalog.py) groups by it


SUM_TO = Primitive(
    "sum_to",
    emit=lambda a, p: f"_sum_to({a[0]}, {a[1]})",
    shape=lambda avals, p: Aval("array", avals[1].value if avals[1].has_value else Sym(), avals[0].dtype),
    view=True,
    complex_ok=True,
)
attach(SUM_TO, "sum_to")


def _broadcast_to_shape(avals, params):
    shp = avals[1]
    return Aval("array", tuple(shp.value) if shp.has_value else Sym(), avals[0].dtype)


BROADCAST_TO = Primitive(
    "broadcast_to",
    emit=lambda a, p: f"np.broadcast_to({a[0]}, {a[1]})",
    impl=np.broadcast_to,
    shape=_broadcast_to_shape,
    view=True,
    complex_ok=True,
)


# The seed of reverse mode for an output whose shape is not known when compiling (a float on
# one path and an array on another, np.dot of lists of unknown length): 1, once the output
# is seen to be one number when the derivative runs; a TypeError otherwise. Its aval keeps
# the output's unknown shape: what reverse mode builds from it must hold for any shape until
# the check has run (an index into the output's adjoint is not refused as an index of a 0-d one).
# Like an assert, its effect is the error it may raise (observable: not a draw, the same each run).
SCALAR_SEED = attach(Primitive("scalar_seed", emit=lambda a, p: f"_scalar_seed({a[0]})",
                               shape=lambda avals, p: Aval("array", avals[0].shape if not avals[0].known_shape
                                                           else (), avals[0].dtype),
                               differentiable=False, effect=True, observable=True),
                     "scalar_seed")


@SUM_TO.defvjp
def _(g, out, ins, active):
    x, shape = ins
    return np.broadcast_to(g, shape_of(x)), None


@SUM_TO.defjvp
def _(tangents, out, ins):
    return sum_to(tangents[0], ins[1])


@BROADCAST_TO.defvjp
def _(g, out, ins, active):
    x, shape = ins
    return unbroadcast(g, x), None


@BROADCAST_TO.defjvp
def _(tangents, out, ins):
    return np.broadcast_to(tangents[0], ins[1])


@binds(np.broadcast_to)
def _broadcast_to(array, shape, subok=False):
    return current().apply(BROADCAST_TO, [array, shape_operand(shape)])


def sum_to(x, shape):
    """No NumPy function does this; rules call it directly."""
    return current().apply(SUM_TO, [x, shape_operand(shape)])


def shape_of(x):
    """x's shape for a rule: a constant when known, so x itself need not be kept alive."""
    x = wrap(x)
    if x.aval.known_shape:
        return x.aval.shape
    return np.shape(x)


def shape_operand(shape):
    """A shape argument: a traced tuple, or a tuple of ints and traced ints."""
    if isinstance(shape, (tuple, list)):
        return make_tuple(shape)
    return shape


def unbroadcast(g, x):
    """g summed down to x's shape; nothing emitted when the shapes are provably equal."""
    g, x = wrap(g), wrap(x)
    gs, xs = g.aval.shape, x.aval.shape
    if gs is xs or (isinstance(gs, tuple) and gs == xs) or gs == ():
        return g  # a scalar adjoint means every operand was a scalar
    if isinstance(gs, tuple) and isinstance(xs, tuple):
        if xs == ():
            return np.sum(g)
        lead = len(gs) - len(xs)
        lead_axes = tuple(range(lead))
        one_axes = tuple(i for i, d in enumerate(xs) if d == 1 and gs[lead + i] != 1)
        if lead_axes:
            g = np.sum(g, axis=lead_axes[0] if len(lead_axes) == 1 else lead_axes)
        if one_axes:
            g = np.sum(g, axis=one_axes[0] if len(one_axes) == 1 else one_axes, keepdims=True)
        return g
    if xs == () and x.aval.kind == "scalar":
        return np.sum(g)
    return sum_to(g, shape_of(x))


# -- batching (prims/batching.py) ---------------------------------------------


@BROADCAST_TO.defbatch
def _(eqn, ins, batched, size):
    if batched[1]:
        raise batching.Unbatchable
    shape = batched_shape(ins[1], size)
    if not isinstance(shape, tuple):
        raise batching.Unbatchable  # a shape known only when running: how many axes to line up is not known
    return current().apply(BROADCAST_TO, [batching.lifted(ins[0], len(shape) - 1), shape])


@SUM_TO.defbatch
def _(eqn, ins, batched, size):
    """Summed down to the item's shape: the item's leading axes that broadcasting added first
    (which _sum_to would take from the front, the batch's axis among them), then the rest."""
    if batched[1]:
        raise batching.Unbatchable
    shape = batched_shape(ins[1], size)
    x, rank = ins[0], batching.item_rank(ins[0], True)
    if rank is None or not isinstance(shape, tuple):
        raise batching.Unbatchable
    if rank > len(shape) - 1:
        x = np.sum(x, axis=tuple(range(1, 1 + rank - (len(shape) - 1))))
    return current().apply(SUM_TO, [x, shape])
