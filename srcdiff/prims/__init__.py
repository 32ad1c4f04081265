"""Primitives: evaluation, JVP and VJP side by side, and the table from Python callables to them."""
from . import broadcasting, control, creation, elementwise, indexing, linalg, lists, reductions, shaping  # noqa: F401,E501  (registers)
from .control import AND, NOT, OR
from .custom import custom_vjp
from .elementwise import ADD, BINARY, NEG, NONDIFF, SUB, UNARY
from .indexing import MAKE_TUPLE, NDIM, SHAPE, SIZE, TUPLE_ITEM
from .lists import LIST_LEN

# Operations that cannot raise (no division, no indexing, no shape checks left to run
# time), so a loop-invariant one may be computed before a loop that might not run.
for _prim in [SHAPE, SIZE, NDIM, TUPLE_ITEM, MAKE_TUPLE, LIST_LEN, AND, OR, NOT, ADD, SUB, NEG, BINARY["mul"],
              *UNARY.values(), *(NONDIFF[k] for k in ("gt", "ge", "lt", "le", "eq", "ne", "logical_not"))]:
    _prim.hoistable = True
from .core import ATTRIBUTES, CALLABLES, METHODS, Builder, Primitive, T, lookup, wrap

__all__ = ["custom_vjp", "ATTRIBUTES", "CALLABLES", "METHODS", "Builder", "Primitive", "T", "lookup", "wrap"]
