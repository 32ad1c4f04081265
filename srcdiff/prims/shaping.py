"""Rearranging elements: reshape and friends, tiling, dtype casts (joining is prims/joining.py)."""
import numpy as np

from ..ir import Aval, Sym
from . import batching
from .broadcasting import shape_of, shape_operand
from .core import Primitive, binds, current, is_known_array, method, static, wrap
from .shapes import example_shape
from .syntax import call, src
from .tuples import batched_shape

FAMILY = "shapes and casts"  # grammar.md's list of callables (prims/catalog.py) groups by it


def _reshape_shape(avals, params):
    x, shp = avals
    if shp.has_value and x.known_shape:
        found = example_shape(np.reshape, [x, shp], {})  # None when x's dtype is not known
        if found is not None:
            return Aval("array", found.shape, x.dtype)
    shape = (shp.value,) if shp.has_value and isinstance(shp.value, int) else shp.value  # x.reshape(-1)
    if shp.has_value and -1 not in shape:
        return Aval("array", tuple(shape), x.dtype)
    return Aval("array", Sym(), x.dtype)


def _reshape_emit(a, p):
    """As the user spelled it (x.ravel(), x.reshape(…)) when x is surely an array;
    np.reshape otherwise, which also takes a Python float."""
    spelled = p.get("_spelling", "reshape")
    if spelled in ("ravel", "flatten"):
        return f"{a[0]}.{spelled}()" if p.get("_method") else f"np.ravel({a[0]})"
    return f"{a[0]}.reshape({a[1]})" if p.get("_method") else f"np.reshape({a[0]}, {a[1]})"


RESHAPE = Primitive("reshape", emit=_reshape_emit, impl=lambda x, s, **spelling: np.reshape(x, s),
                    shape=_reshape_shape, complex_ok=True)


# a view where the memory layout allows it (x.T.reshape(-1) copies), and x.flatten() never
RESHAPE.view = lambda eqn: eqn.params.get("_spelling") != "flatten"


def reshape(x, shape, spelling="reshape"):
    params = {"_spelling": spelling, "_method": is_known_array(x)}
    return current().apply(RESHAPE, [x, shape_operand(shape)], **params)


@RESHAPE.defvjp
def _(g, out, ins, active, **spelling):
    return (reshape(g, shape_of(ins[0])), None)


@RESHAPE.defjvp
def _(t, out, ins, **spelling):
    return None if t[0] is None else reshape(t[0], ins[1])  # the shape operand has no tangent


@binds(np.reshape)
def _reshape(a, newshape=None, order="C", shape=None):
    if static(order, "order") != "C":
        raise current().error("reshape with order other than 'C' is not supported")
    return reshape(a, newshape if shape is None else shape)


@method("reshape")
def _reshape_method(a, *shape, order="C"):
    if len(shape) == 1:
        shape = shape[0]
    return _reshape(a, shape, order)


@binds(np.ravel)
@method("ravel")
def _ravel(a, order="C"):
    return reshape(a, (-1,), "ravel")


@method("flatten")
def _flatten(a, order="C"):
    return reshape(a, (-1,), "flatten")


@binds(np.expand_dims)
def _expand_dims(a, axis):
    a = wrap(a)
    axis = static(axis, "axis")
    out = current().apply(EXPAND_DIMS, [a], axis=axis)
    return out


def _expand_shape(avals, params):
    x = avals[0]
    if x.known_shape:
        return Aval("array", np.expand_dims(np.empty(x.shape, dtype=np.int8), params["axis"]).shape, x.dtype)
    return Aval("array", Sym(), x.dtype)


def _expand_on_numba(args, params, avals):
    """np.expand_dims of a number, for numba (which expands arrays only): an array of it."""
    if avals[0].shape != ():
        return None
    axis = params["axis"]
    count = len(axis) if isinstance(axis, tuple) else 1
    return f"np.array([{args[0]}])" if count == 1 else f"np.full({(1,) * count!r}, {args[0]})"


EXPAND_DIMS = Primitive("expand_dims", emit=lambda a, p: call("np.expand_dims", a, p), impl=np.expand_dims,
                        shape=_expand_shape, view=True, shift="new axes", complex_ok=True,
                        on_numba=_expand_on_numba)


@EXPAND_DIMS.defvjp
def _(g, out, ins, active, axis):
    return (reshape(g, shape_of(ins[0])),)


@EXPAND_DIMS.defjvp
def _(t, out, ins, axis):
    return current().apply(EXPAND_DIMS, [t[0]], axis=axis)


def _squeeze_shape(avals, params):
    x = avals[0]
    if x.known_shape:
        try:
            return Aval("array", np.squeeze(np.empty(x.shape, np.int8), params.get("axis")).shape, x.dtype)
        except ValueError as e:
            raise current().error(str(e)) from None
    return Aval("array", Sym(), x.dtype)


SQUEEZE = Primitive("squeeze", emit=lambda a, p: call("np.squeeze", a, p, {"axis": None}), impl=np.squeeze,
                    shape=_squeeze_shape, view=True, complex_ok=True)


@SQUEEZE.defvjp
def _(g, out, ins, active, axis=None):
    return (reshape(g, shape_of(ins[0])),)


@SQUEEZE.defjvp
def _(t, out, ins, axis=None):
    return current().apply(SQUEEZE, [t[0]], axis=axis)


@binds(np.squeeze)
@method("squeeze")
def _squeeze(a, axis=None):
    return current().apply(SQUEEZE, [a], axis=static(axis, "axis"))


# ---------------------------------------------------------------------------
# tile: the adjoint sums the copies.


def _tile_shape(avals, params):
    x = avals[0]
    if x.known_shape:
        return Aval("array", np.tile(np.empty(x.shape, np.int8), params["reps"]).shape, x.dtype)
    return Aval("array", Sym(), x.dtype)


TILE = Primitive("tile", emit=lambda a, p: f"np.tile({a[0]}, {src(p['reps'])})", impl=np.tile, shape=_tile_shape, fresh=True)


@TILE.defvjp
def _(g, out, ins, active, reps):
    x = ins[0]
    if not x.aval.known_shape:
        raise current().error("the derivative of np.tile needs the operand's shape: call with example arguments")
    reps = tuple(reps) if isinstance(reps, tuple) else (reps,)
    shape = x.aval.shape
    nd = max(len(shape), len(reps))
    shape = (1,) * (nd - len(shape)) + shape
    reps = (1,) * (nd - len(reps)) + reps
    split = tuple(v for pair in zip(reps, shape) for v in pair)
    summed = np.sum(reshape(g, split), axis=tuple(range(0, 2 * nd, 2)))
    return (reshape(summed, x.aval.shape),)


@TILE.defjvp
def _(t, out, ins, reps):
    return current().apply(TILE, [t[0]], reps=reps)


@binds(np.tile)
def _tile(A, reps):
    return current().apply(TILE, [A], reps=static(reps, "reps"))


# ---------------------------------------------------------------------------
# dtype casts: float to float keeps the derivative, to int or bool drops it.


def _astype_shape(avals, params):
    x = avals[0]
    return Aval("array", x.shape, np.dtype(params["dtype"]))


def _astype_emit(a, p):
    if p.get("_cast"):
        return f"{src(p['dtype'])}({a[0]})"  # np.float32(x), as the user wrote it
    if p.get("_method"):
        return f"{a[0]}.astype({src(p['dtype'])})"
    return f"np.asarray({a[0]}, dtype={src(p['dtype'])})"  # a Python float has no .astype


def _astype_impl(x, dtype, _method=False, _cast=False):
    return dtype(x) if _cast else np.asarray(x).astype(dtype)


ASTYPE = Primitive("astype", emit=_astype_emit, impl=_astype_impl, shape=_astype_shape, fresh=True)


@ASTYPE.defvjp
def _(g, out, ins, active, dtype, _method=False, _cast=False):
    x = ins[0]
    if x.aval.dtype is not None and x.aval.dtype == np.dtype(dtype):
        return (g,)
    return (g.astype(x.aval.dtype) if x.aval.dtype is not None else g,)


@ASTYPE.defjvp
def _(t, out, ins, dtype, _method=False, _cast=False):
    return t[0].astype(dtype)


@method("astype")
def _astype(x, dtype, copy=True):
    return current().apply(ASTYPE, [x], dtype=static(dtype, "dtype"), _method=is_known_array(x))


def _scalar_type(kind):
    """np.float64(x), np.float32(x), np.int64(n): a cast, as NumPy has it (of an array, an
    array of that dtype), so float to float keeps the derivative."""
    def cast(x=0):
        x = wrap(x)
        if x.is_const and not isinstance(x.atom.value, np.ndarray):
            return wrap(kind(x.atom.value))
        return current().apply(ASTYPE, [x], dtype=kind, _cast=True)

    return cast


for _kind in (np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
              np.uint32, np.uint64, np.bool_):
    binds(_kind)(_scalar_type(_kind))


def _float_shape(avals, params):
    return Aval("scalar", (), np.dtype(np.float64))


FLOAT = Primitive("float", emit=lambda a, p: f"float({a[0]})", impl=float, shape=_float_shape)
FLOAT.defvjp(lambda g, out, ins, active: (g,))
FLOAT.defjvp(lambda t, out, ins: _float(t[0]))


@binds(float)
def _float(x=0.0):
    x = wrap(x)
    if x.is_const:
        return wrap(float(x.atom.value))
    return current().apply(FLOAT, [x])


COPY = Primitive("copy", emit=lambda a, p: f"np.copy({a[0]})", impl=np.copy,
                 shape=lambda avals, p: Aval("array", avals[0].shape, avals[0].dtype), fresh=True, complex_ok=True)
COPY.defvjp(lambda g, out, ins, active: (g,))
COPY.defjvp(lambda t, out, ins: t[0])


@method("copy")
@binds(np.copy)
def _copy(x):
    """A distinct value, so that writing into the copy (y[i] = v) leaves x alone."""
    x = wrap(x)
    if x.aval.kind == "scalar":
        return x
    return current().apply(COPY, [x])


def stop_gradient(x):
    """x, as a value no derivative flows through: srcdiff treats it as a constant.

    >>> def f(x):
    ...     return x * srcdiff.stop_gradient(x)    # grad(f)(3.0) is 3.0, not 6.0
    """
    return x


STOP_GRADIENT = Primitive("stop_gradient", emit=lambda a, p: a[0], impl=lambda x: x,
                          shape=lambda avals, p: avals[0], differentiable=False)
binds(stop_gradient)(lambda x: current().apply(STOP_GRADIENT, [x]))


# -- batching (prims/batching.py) ---------------------------------------------


@RESHAPE.defbatch
def _(eqn, ins, batched, size):
    if batched[1]:
        raise batching.Unbatchable
    # x.ravel() of each item is a reshape of the batch to (size, -1), which .ravel() is not
    params = dict(eqn.params, _spelling="reshape", _method=True)
    return current().apply(RESHAPE, [ins[0], batched_shape(ins[1], size)], **params)


@EXPAND_DIMS.defbatch
def _(eqn, ins, batched, size):
    return current().apply(EXPAND_DIMS, ins, axis=batching.shifted_axis(eqn.params["axis"], None))


@SQUEEZE.defbatch
def _(eqn, ins, batched, size):
    axis = eqn.params.get("axis")
    if axis is None:  # the item's axes of length 1, which a batch of one must not lose
        shape = ins[0].aval.shape
        if not ins[0].aval.known_shape:
            raise batching.Unbatchable
        return current().apply(SQUEEZE, ins, axis=tuple(i for i, n in enumerate(shape) if i and n == 1))
    return current().apply(SQUEEZE, ins, axis=batching.shifted_axis(axis, None))


for _prim in (ASTYPE, COPY, STOP_GRADIENT):
    _prim.batch = batching.same


@FLOAT.defbatch
def _(eqn, ins, batched, size):
    """float() of each item: the batch as float64s."""
    return ins[0].astype(np.float64)
