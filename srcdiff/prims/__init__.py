"""Primitives: evaluation, JVP and VJP side by side, and the table from Python callables to them."""
from . import broadcasting, control, creation, elementwise, indexing, linalg, lists, reductions, shaping  # noqa: F401,E501  (registers)
from .control import AND, NOT, OR
from .custom import custom_jvp, custom_vjp
from .elementwise import ADD, BINARY, NEG, NONDIFF, SUB, UNARY
from .indexing import MAKE_TUPLE, NDIM, SHAPE, SIZE, TUPLE_ITEM
from .creation import ARANGE, EYE, LINSPACE, ONES, ONES_LIKE, ZEROS, ZEROS_LIKE
from .indexing import GETITEM, INDEX_PUT
from .broadcasting import BROADCAST_TO, SUM_TO
from .linalg import DOT, MATMUL, OUTER, TRACE, TRANSPOSE
from .lists import LIST_ITEM, LIST_LEN
from .reductions import ALL, ANY, MAX, MEAN, MIN, NORM, PROD, STD, SUM, VAR
from .shaping import ASTYPE, CONCATENATE, COPY, EXPAND_DIMS, RESHAPE, SQUEEZE, STACK, TILE

# Operations that cannot raise (no division, no indexing, no shape checks left to run
# time), so a loop-invariant one may be computed before a loop that might not run.
for _prim in [SHAPE, SIZE, NDIM, TUPLE_ITEM, MAKE_TUPLE, LIST_LEN, AND, OR, NOT, ADD, SUB, NEG, BINARY["mul"], TRANSPOSE,
              *UNARY.values(), *(NONDIFF[k] for k in ("gt", "ge", "lt", "le", "eq", "ne", "logical_not"))]:
    _prim.hoistable = True
from .core import ATTRIBUTES, CALLABLES, METHODS, Builder, Primitive, T, lookup, wrap

__all__ = ["custom_jvp", "custom_vjp", "ATTRIBUTES", "CALLABLES", "METHODS", "Builder", "Primitive", "T", "lookup", "wrap"]


# Operations whose result is a new array no one else holds, so the emitted code may
# change it in place once nothing reads it (x[i] = v on a fresh array needs no copy).
for _prim in [*UNARY.values(), *BINARY.values(), *NONDIFF.values(), ADD, SUB, NEG, SUM, MEAN, MAX, MIN, PROD, VAR,
              STD, NORM, ALL, ANY, MATMUL, DOT, OUTER, TRACE, ZEROS, ONES, ZEROS_LIKE, ONES_LIKE, EYE, ARANGE, LINSPACE,
              INDEX_PUT, COPY, STACK, CONCATENATE, TILE, ASTYPE]:
    _prim.fresh = True


# Operations whose result may be the very array of their first operand, or a view of it
# (x[1:], x.T, an item read from a list, _sum_to(g, shape) when g already has the shape):
# while such a result is read, its operand must not be changed in place.
for _prim in [TRANSPOSE, SQUEEZE, EXPAND_DIMS, BROADCAST_TO, LIST_ITEM, SUM_TO]:
    _prim.view = True
