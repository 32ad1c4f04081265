"""Arrays made from shapes: zeros, ones, eye, arange, linspace, which carry no derivative
(np.full's fill value does: it is multiplied in). np.array of traced values is a stack, in
prims/joining.py."""
import numpy as np

from ..ir import Aval, Sym
from . import batching
from .broadcasting import shape_operand
from .core import Primitive, T, binds, current, static
from .shapes import FLOAT, INT
from .syntax import call

FAMILY = "creation"  # grammar.md's list of callables (prims/catalog.py) groups by it


def _filled_shape(avals, params):
    shp = avals[0]
    dt = np.dtype(params.get("dtype") or float)
    if shp.has_value:
        v = shp.value
        return Aval("array", tuple(v) if isinstance(v, tuple) else (int(v),), dt)
    return Aval("array", Sym(), dt)


def _like_shape(avals, params):
    x = avals[0]
    dt = np.dtype(params["dtype"]) if params.get("dtype") is not None else x.dtype
    return Aval("array", x.shape, dt)


def _scalar_on_numba(fill):
    """np.zeros_like(s) of a number s, for numba: the number (numba's is a 0-d array, which it
    will not add to a number a loop carries)."""
    def spell(args, params, avals):
        if avals[0].shape != ():
            return None
        dtype = np.dtype(params["dtype"]) if params.get("dtype") is not None else avals[0].dtype
        if dtype is None or dtype.kind not in "fc":
            return None
        return f"np.{dtype.name}({fill!r})"

    return spell


def _constant_array(name, shape, fill, on_numba=None):
    """np.zeros(shape) and friends: inactive, one operand (a shape or an array to mimic)."""
    fn = getattr(np, name)
    return Primitive(
        name,
        emit=lambda a, p: call(f"np.{name}", a, p, {"dtype": None}),
        impl=lambda x, dtype=None: fn(x, dtype=dtype),
        shape=shape,
        differentiable=False,
        fresh=True,
        fill=fill,
        on_numba=on_numba,
    )


ZEROS = _constant_array("zeros", _filled_shape, 0.0)
ONES = _constant_array("ones", _filled_shape, 1.0)
ZEROS_LIKE = _constant_array("zeros_like", _like_shape, 0.0, on_numba=_scalar_on_numba(0.0))
ONES_LIKE = _constant_array("ones_like", _like_shape, 1.0, on_numba=_scalar_on_numba(1.0))


def _dtype(dtype):
    dtype = static(dtype, "dtype")
    return None if dtype is None else dtype


@binds(np.zeros)
def _zeros(shape, dtype=float, order="C"):
    return current().apply(ZEROS, [shape_operand(shape)], dtype=nondefault_dtype(dtype))


@binds(np.ones)
def _ones(shape, dtype=None, order="C"):
    return current().apply(ONES, [shape_operand(shape)], dtype=nondefault_dtype(dtype))


def nondefault_dtype(dtype):
    """A dtype= parameter, None where it is NumPy's default float (so the call leaves it out)."""
    dtype = _dtype(dtype)
    return None if dtype in (None, float, np.float64) else dtype


@binds(np.zeros_like)
def _zeros_like(a, dtype=None):
    return current().apply(ZEROS_LIKE, [a], dtype=_dtype(dtype))


@binds(np.ones_like)
def _ones_like(a, dtype=None):
    return current().apply(ONES_LIKE, [a], dtype=_dtype(dtype))


@binds(np.full)
def _full(shape, fill_value, dtype=None):
    return _ones(shape, dtype) * fill_value


@binds(np.full_like)
def _full_like(a, fill_value, dtype=None):
    return _ones_like(a, dtype) * fill_value


def _eye_shape(avals, params):
    n, m = avals
    if n.has_value and m.has_value:
        return Aval("array", (n.value, m.value), FLOAT)
    return Aval("array", Sym(), FLOAT)


EYE = Primitive("eye", emit=lambda a, p: call("np.eye", a), impl=np.eye, shape=_eye_shape, differentiable=False, fresh=True)


@binds(np.eye, np.identity)
def _eye(N, M=None, k=0, dtype=float):
    if static(k, "k") != 0 or nondefault_dtype(dtype) is not None:
        raise current().error("np.eye with k or dtype is not supported")
    return current().apply(EYE, [N, N if M is None else M])


def _arange_shape(avals, params):
    if all(a.has_value for a in avals):
        return Aval("array", np.arange(*[a.value for a in avals]).shape, np.arange(*[a.value for a in avals]).dtype)
    return Aval("array", Sym(), None if any(a.dtype is None or a.dtype.kind == "f" for a in avals) else INT)


ARANGE = Primitive("arange", emit=lambda a, p: call("np.arange", a), impl=np.arange, shape=_arange_shape,
                   differentiable=False, fresh=True)


@binds(np.arange)
def _arange(*args, dtype=None):
    if dtype is not None:
        raise current().error("np.arange with dtype= is not supported; cast with .astype()")
    if not 1 <= len(args) <= 3:
        raise TypeError("arange takes 1 to 3 positional arguments")
    return current().apply(ARANGE, list(args))


def _linspace_shape(avals, params):
    n = avals[2]
    return Aval("array", (n.value,) if n.has_value else Sym(), FLOAT)


LINSPACE = Primitive("linspace", emit=lambda a, p: call("np.linspace", a), impl=np.linspace,
                     shape=_linspace_shape, differentiable=False, fresh=True)


@binds(np.linspace)
def _linspace(start, stop, num=50):
    if any(isinstance(v, T) and v.aval.differentiable and not v.is_const for v in (start, stop)):
        raise current().error("np.linspace of traced end points is not differentiable; build it from np.arange")
    return current().apply(LINSPACE, [start, stop, num])


ZEROS_LIKE.batch = ONES_LIKE.batch = batching.same
