"""Tuples of ints: shapes and their entries (inactive).

Every family of primitives takes or makes shapes (np.zeros(shape), np.broadcast_to(x, shape),
x.shape[0]), so the tuple primitive sits here, just above the base."""
import numpy as np

from ..ir import Aval, Const
from . import batching
from .core import Primitive, T, attribute, binds, current
from .shapes import INT
from .syntax import src

FAMILY = "queries"  # grammar.md's list of callables (prims/catalog.py) groups by it


def _tuple_shape(avals, params):
    if all(a.has_value for a in avals):
        return Aval("tuple", None, None, tuple(a.value for a in avals), True)
    return Aval("tuple")


MAKE_TUPLE = Primitive(
    "tuple",
    emit=lambda a, p: "(" + ", ".join(a) + ("," if len(a) == 1 else "") + ")",
    impl=lambda *xs: tuple(xs),
    shape=_tuple_shape,
    differentiable=False,
    hoistable=True,
)


def make_tuple(items):
    items = list(items)
    if not any(isinstance(i, T) and not i.is_const for i in items):
        return tuple(i.atom.value if isinstance(i, T) else i for i in items)
    return current().apply(MAKE_TUPLE, items)


def _item_shape(avals, params):
    t = avals[0]
    if t.has_value:
        try:
            v = t.value[params["i"]]
        except (IndexError, TypeError):
            raise current().error(f"tuple index {params['i']} out of range") from None
        return Aval("scalar", (), INT, v, True)
    return Aval("scalar", (), INT)


TUPLE_ITEM = Primitive(
    "tuple_item",
    emit=lambda a, p: f"{a[0]}[{src(p['i'])}]",
    impl=lambda t, i: t[i],
    shape=_item_shape,
    differentiable=False,
    hoistable=True,
    recomputable=True,
)


def TUPLE_GETITEM_BIND(x, template, operands):
    if not operands and len(template) == 1 and isinstance(template[0], slice) and x.aval.has_value:
        return x.aval.value[template[0]]  # x.shape[:1], x.shape[-2:]: a tuple known when compiling
    if operands or len(template) != 1 or not isinstance(template[0], int):
        raise current().error("a shape tuple can only be indexed with a constant int, or sliced when "
                              "the shape is known when compiling")
    return current().apply(TUPLE_ITEM, [x], i=template[0])


def _shape_of(avals, params):
    a = avals[0]
    if isinstance(a.shape, tuple):
        return Aval("tuple", None, None, a.shape, True)
    return Aval("tuple")


def _query(fname):
    """x.shape where the user wrote the attribute, np.shape(x) elsewhere (it also takes floats)."""
    return lambda a, p: f"{a[0]}.{fname}" if p.get("_attr") else f"np.{fname}({a[0]})"


def _query_impl(fn):
    return lambda x, _attr=False: fn(x)


SHAPE = Primitive("shape", emit=_query("shape"), impl=_query_impl(np.shape), shape=_shape_of, differentiable=False, hoistable=True, recomputable=True, shift="invariant", same_for_items=True)


def _size_of(avals, params):
    a = avals[0]
    if isinstance(a.shape, tuple):
        return Aval("scalar", (), INT, int(np.prod(a.shape, dtype=np.int64)), True)
    return Aval("scalar", (), INT)


SIZE = Primitive("size", emit=_query("size"), impl=_query_impl(np.size), shape=_size_of, differentiable=False, hoistable=True, shift="invariant", same_for_items=True)


def _ndim_of(avals, params):
    a = avals[0]
    if a.ndim is not None:
        return Aval("scalar", (), INT, a.ndim, True)
    return Aval("scalar", (), INT)


NDIM = Primitive("ndim", emit=_query("ndim"), impl=_query_impl(np.ndim), shape=_ndim_of, differentiable=False, hoistable=True, shift="invariant", same_for_items=True)


def _queries(prim, name):
    binds(getattr(np, name))(lambda x: current().apply(prim, [x]))
    attribute(name)(lambda x: current().apply(prim, [x], _attr=True))


_queries(SHAPE, "shape")
_queries(SIZE, "size")
_queries(NDIM, "ndim")



# -- batching (prims/batching.py): what is asked of a batch's item is the same for every item


# the shape of a batch's items, np.shape(x)[1:], and a batch's shape, (n,) + shape: shapes
# known only when the code runs (a batched list's stack), as batching rules take and make them
ITEM_SHAPE = Primitive("item_shape", emit=lambda a, p: f"np.shape({a[0]})[1:]", impl=lambda x: np.shape(x)[1:],
                       shape=lambda avals, p: _shape_of(avals, p) if not avals[0].known_shape
                       else Aval("tuple", None, None, avals[0].shape[1:], True), differentiable=False, hoistable=True,
                       same_for_items=True)
BATCH_SHAPE = Primitive("batch_shape", emit=lambda a, p: f"({p['size']},) + {a[0]}",
                        impl=lambda shape, size: (size,) + tuple(shape),
                        shape=lambda avals, p: Aval("tuple", None, None, (p["size"],) + tuple(avals[0].value), True)
                        if avals[0].has_value else Aval("tuple"), differentiable=False, hoistable=True)


def _item_query(query, unknown):
    def rule(eqn, ins, batched, size):
        aval = ins[0].aval
        if not aval.known_shape:
            return batching.Unbatched(unknown(ins[0], size))
        return batching.Unbatched(T(Const(query(aval.shape[1:]))))

    return rule


SHAPE.batch = _item_query(tuple, lambda x, size: current().apply(ITEM_SHAPE, [x]))
SIZE.batch = _item_query(lambda shape: int(np.prod(shape, dtype=np.int64)), lambda x, size: np.size(x) // size)
NDIM.batch = _item_query(len, lambda x, size: np.ndim(x) - 1)


def batched_shape(shape, size):
    """A shape operand (a tuple, known or traced) with the batch's length in front."""
    if isinstance(shape, T) and isinstance(shape.atom, Const):
        shape = shape.atom.value
    if isinstance(shape, T):
        if not shape.aval.has_value:  # known only when running: (size,) + shape then
            if shape.aval.kind != "tuple":
                raise batching.Unbatchable
            return current().apply(BATCH_SHAPE, [shape], size=size)
        shape = shape.aval.value
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    return (size,) + tuple(shape)
