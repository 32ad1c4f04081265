"""Primitives: evaluation, JVP and VJP side by side, and the table from Python callables to them."""
from . import broadcasting, control, creation, elementwise, indexing, joining, linalg, lists, reductions, scans, shaping, structural, tapes, tuples  # noqa: F401,E501  (registers)
from . import contractions, discrete, draws, effects, fourier, matrices, statistics  # noqa: F401  (registers)
from .control import AND, NOT, OR
from .custom import custom_jvp, custom_vjp
from .elementwise import ADD, BINARY, NEG, NONDIFF, SUB, UNARY
from .tuples import MAKE_TUPLE, NDIM, SHAPE, SIZE, TUPLE_ITEM
from .creation import ARANGE, EYE, LINSPACE, ONES, ONES_LIKE, ZEROS, ZEROS_LIKE
from .indexing import GETITEM, INDEX_PUT
from .broadcasting import BROADCAST_TO, SUM_TO
from .linalg import DOT, MATMUL, OUTER, TRACE, TRANSPOSE
from .lists import LIST_ITEM, LIST_LEN
from .scans import CONVOLVE, CUMPROD, CUMSUM
from .reductions import ALL, ANY, MAX, MEAN, MIN, NORM, PROD, STD, SUM, VAR
from .joining import CONCATENATE, STACK
from .shaping import ASTYPE, COPY, EXPAND_DIMS, RESHAPE, SQUEEZE, TILE
from .structural import DIAG, DIAGONAL, PAD, REPEAT, ROLL, TRIL, TRIU

from .core import ATTRIBUTES, CALLABLES, METHODS, Builder, Primitive, T, lookup, wrap

__all__ = ["custom_jvp", "custom_vjp", "ATTRIBUTES", "CALLABLES", "METHODS", "Builder", "Primitive", "T", "lookup", "wrap"]

