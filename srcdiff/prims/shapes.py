"""Abstract evaluation: output kind, shape and dtype from the inputs', without data.

Unknown shapes are Syms; shapes are only ever claimed equal when provably so,
which is what lets reverse mode drop reductions safely."""
import numpy as np

from ..ir import Aval, Sym
from ..ir.core import broadcast_sym
from .core import current

FLOAT = np.dtype(np.float64)
BOOL = np.dtype(bool)
INT = np.dtype(np.int64)


def _probe(aval):
    """A stand-in value NumPy's promotion treats like the real one (weak Python scalars)."""
    if aval.dtype is None:
        return None
    if aval.kind == "scalar":
        return {"b": True, "i": 0, "u": 0, "f": 0.0, "c": 0j}[aval.dtype.kind]
    return np.zeros((), aval.dtype)


def result_dtype(avals, floating=False):
    probes = [_probe(a) for a in avals if a.kind in ("array", "scalar")]
    if any(p is None for p in probes):
        return None
    if not probes:
        return FLOAT if floating else None
    dt = np.result_type(*probes)
    if floating and dt.kind in "biu":
        return FLOAT  # np.sin(int) is float64
    return dt


def broadcast_shape(avals):
    shapes = [a.shape for a in avals if a.kind in ("array", "scalar")]
    if all(isinstance(s, tuple) for s in shapes):
        try:
            return np.broadcast_shapes(*shapes)
        except ValueError:
            raise current().error(
                "operands could not be broadcast together with shapes "
                + " ".join(str(s) for s in shapes)
            ) from None
    rest = [s for s in shapes if s != ()]
    first = rest[0]
    if all(s is first for s in rest):
        return first
    return broadcast_sym(rest)


def _kind(avals):
    return "scalar" if all(a.kind == "scalar" for a in avals) else "array"


def elementwise(floating=False, dtype=None, numpy_scalar=None):
    """Broadcast the inputs; the dtype follows NumPy promotion (float for float-valued
    functions). With numpy_scalar (by default, floating), a function of Python numbers
    gives a NumPy scalar, as np.sin(2.0) and np.square(2.0) do; Python's operators give
    Python numbers (2 / 3 is a Python float)."""
    numpy_scalar = floating if numpy_scalar is None else numpy_scalar

    def shape(avals, params):
        dt = dtype if dtype is not None else result_dtype(avals, floating)
        kind = _kind(avals)
        if numpy_scalar and kind == "scalar":
            kind = "array"  # np.sin(2.0) is a NumPy scalar
        return Aval(kind, broadcast_shape(avals), dt)

    return shape


def like_input(i=0):
    def shape(avals, params):
        a = avals[i]
        return Aval("array", a.shape, a.dtype)

    return shape


def normalize_axis(axis, ndim):
    if axis is None:
        return None
    axes = axis if isinstance(axis, tuple) else (axis,)
    if ndim is None:
        return axis
    return tuple(sorted(a % ndim for a in axes)) if isinstance(axis, tuple) else axis % ndim


def reduced_shape(shape, axis, keepdims):
    if not isinstance(shape, tuple):
        return () if axis is None and not keepdims else Sym()
    ndim = len(shape)
    if axis is None:
        axes = set(range(ndim))
    else:
        axes = {a % ndim for a in (axis if isinstance(axis, tuple) else (axis,))}
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def reduction(dtype=None):
    def shape(avals, params):
        a = avals[0]
        dt = dtype or (result_dtype([a], floating=True) if params.get("_floating") else a.dtype)
        return Aval("array", reduced_shape(a.shape, params.get("axis"), params.get("keepdims", False)), dt)

    return shape


def example_value(aval):
    if aval.has_value:
        return aval.value
    if aval.kind in ("tuple", "static") or not isinstance(aval.shape, tuple) or aval.dtype is None:
        return None
    if aval.kind == "scalar":
        return _probe(aval)
    return np.broadcast_to(np.zeros((), aval.dtype), aval.shape)


def example_shape(impl, avals, params, kind="array"):
    """Run impl on stand-ins; None when some input is not known well enough."""
    values = [example_value(a) for a in avals]
    if any(v is None and a.kind != "static" for v, a in zip(values, avals)):
        return None
    try:
        with np.errstate(all="ignore"):
            out = impl(*values, **params)
    except (ValueError, IndexError, TypeError) as e:
        raise current().error(f"{e}") from None
    out = np.asarray(out)
    return Aval(kind, tuple(out.shape), out.dtype)
