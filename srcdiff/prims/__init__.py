"""Primitives: evaluation, JVP and VJP side by side, and the table from Python callables to them."""
from . import broadcasting, control, creation, elementwise, indexing, linalg, lists, reductions, shaping  # noqa: F401,E501  (registers)
from .custom import custom_vjp
from .core import ATTRIBUTES, CALLABLES, METHODS, Builder, Primitive, T, lookup, wrap

__all__ = ["custom_vjp", "ATTRIBUTES", "CALLABLES", "METHODS", "Builder", "Primitive", "T", "lookup", "wrap"]
