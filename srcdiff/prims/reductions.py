"""Reductions with axis/keepdims. The adjoint is spread back over the reduced axes."""
import numpy as np

from ..ir import Aval
from . import batching
from .broadcasting import BROADCAST_TO, shape_of, shape_operand
from .core import Primitive, binds, current, method, static, wrap
from .shapes import BOOL, normalize_axis, reduced_shape, result_dtype
from .syntax import call

FAMILY = "reductions"  # grammar.md's list of callables (prims/catalog.py) groups by it

_DEFAULTS = {"axis": None, "keepdims": False, "ddof": 0}


def _shape(floating, boolean=False):
    def shape(avals, params):
        a = avals[0]
        dt = result_dtype([a], floating=True) if floating else a.dtype
        if dt is not None and dt.kind == "b" and not floating:
            dt = np.dtype(np.int64)
        if boolean:
            dt = BOOL
        return Aval("array", reduced_shape(a.shape, params.get("axis"), params.get("keepdims", False)), dt)

    return shape


def _rows_helper(fname, start, first, step):
    """(name, source) of a numba helper reducing x along its first axis, element by element."""
    name = f"{fname}_rows"
    return name, f'''def {name}(x):
    """np.{fname}(x, axis=0) of x of rank 2 or more, element by element."""
    out = {start}
    for k in range({first}, x.shape[0]):
        row = x[k]
        for index in np.ndindex(out.shape):
            {step}
    return out'''


_SUM_ROWS = _rows_helper("sum", "np.zeros(x.shape[1:], x.dtype)", 0, "out[index] += row[index]")
# NaN wins, as in NumPy's max and min
_MAX_ROWS = _rows_helper("max", "x[0].copy()", 1,
                         "if row[index] > out[index] or row[index] != row[index]:\n                out[index] = row[index]")
_MIN_ROWS = _rows_helper("min", "x[0].copy()", 1,
                         "if row[index] < out[index] or row[index] != row[index]:\n                out[index] = row[index]")


def _on_numba(fname, rows, mean=False):
    """A reduction along one axis, or with keepdims, for numba, which has neither but for
    np.sum's axis (that it compiles in seconds): the axis moved to the front, reduced by a
    loop (rows: the helper's name and source), its axis kept by np.expand_dims. None where
    numba's own does."""
    def spell(args, params, avals):
        x, a = args[0], avals[0]
        axis, keep = params.get("axis"), params.get("keepdims", False)
        if isinstance(axis, tuple) and len(axis) == 1:
            axis = axis[0]
        if a.kind != "array" or not isinstance(a.shape, tuple) or a.dtype is None:
            return None
        # the helpers keep x's dtype, as NumPy does only for these: its sum of booleans or small
        # ints is int64, and numba's mean of float32 float64
        allowed = {"sum": a.dtype.kind in "fcbiu", "mean": a.dtype in (np.float64, np.complex128)}
        if not allowed.get(fname, a.dtype.kind in "fiu"):
            return None
        if fname == "sum" and a.dtype.kind in "biu":  # counted in NumPy's int64 (uint64)
            x = f"{x}.astype(np.{'uint64' if a.dtype.kind == 'u' else 'int64'})"
        ndim = len(a.shape)
        if axis is None:
            return f"np.full({(1,) * ndim!r}, np.{fname}({x}))" if keep and ndim else None
        if not isinstance(axis, int) or ndim == 0:
            return None
        k = axis % ndim
        if ndim == 1:
            reduced = f"np.{fname}({x})"
            return f"np.array([{reduced}])" if keep else reduced
        moved = x if k == 0 else f"{x}.transpose({(k,) + tuple(i for i in range(ndim) if i != k)!r})"
        name, source = rows
        reduced = f"{name}({moved})" + (f" / {x}.shape[{k}]" if mean else "")
        return (f"np.expand_dims({reduced}, {k})" if keep else reduced), (source,)

    return spell


def reduction(name, fname, impl, floating=False, boolean=False, shift=None, complex_ok=False, **facts):
    """boolean: a test of the elements (np.all, np.any), which gives booleans and has no derivative."""
    return Primitive(
        name,
        emit=lambda a, p: call(fname, a, p, _DEFAULTS),
        impl=impl,
        shape=_shape(floating, boolean),
        differentiable=not boolean,
        fresh=True,
        shift=shift,
        complex_ok=complex_ok,
        batch=batching.along_axes(),
        **facts,
    )


SUM = reduction("sum", "np.sum", np.sum, shift="sum", complex_ok=True, on_numba=_on_numba("sum", _SUM_ROWS))
MEAN = reduction("mean", "np.mean", np.mean, floating=True, complex_ok=True,
                 on_numba=_on_numba("mean", _SUM_ROWS, mean=True))
MAX = reduction("max", "np.max", np.max, shift="extremum", on_numba=_on_numba("max", _MAX_ROWS))
MIN = reduction("min", "np.min", np.min, shift="extremum", on_numba=_on_numba("min", _MIN_ROWS))
PROD = reduction("prod", "np.prod", np.prod)
VAR = reduction("var", "np.var", np.var, floating=True)
STD = reduction("std", "np.std", np.std, floating=True)
NORM = reduction("norm", "np.linalg.norm", np.linalg.norm, floating=True)
_along = NORM.batch


@NORM.defbatch
def _(eqn, ins, batched, size):
    """The norm of a vector or a matrix item (Frobenius's) is the norm over its one or two axes."""
    if eqn.params.get("axis") is None and batching.item_rank(ins[0], True) not in (1, 2):
        raise batching.Unbatchable  # np.linalg.norm flattens an item of rank 3; of two axes, no more
    return _along(eqn, ins, batched, size)
ALL = reduction("all", "np.all", np.all, boolean=True)
ANY = reduction("any", "np.any", np.any, boolean=True)


def expand(g, x, axis, keepdims):
    """g with the reduced axes put back as length-1 axes, so it broadcasts against x."""
    if axis is None or keepdims:
        return g
    return np.expand_dims(g, axis)


def spread(g, x):
    """g broadcast to x's shape; nothing emitted when provably already there."""
    gs, xs = g.aval.shape, x.aval.shape
    if gs is xs or (isinstance(gs, tuple) and gs == xs):
        return g
    return current().apply(BROADCAST_TO, [g, shape_operand(shape_of(x))])


def count(x, out):
    """How many elements each output element summarises."""
    xs, os = x.aval.shape, out.aval.shape
    if isinstance(xs, tuple) and isinstance(os, tuple):
        return int(np.prod(xs, dtype=np.int64) // max(1, int(np.prod(os, dtype=np.int64))))
    if os == ():
        return np.size(x)  # all of x in one number
    return np.size(x) // np.size(out)


def _params(p):
    return p.get("axis"), p.get("keepdims", False)


@SUM.defvjp
def _(g, out, ins, active, axis=None, keepdims=False):
    return (spread(expand(g, ins[0], axis, keepdims), ins[0]),)


@SUM.defjvp
def _(t, out, ins, axis=None, keepdims=False):
    return np.sum(t[0], axis=axis, keepdims=keepdims)


@MEAN.defvjp
def _(g, out, ins, active, axis=None, keepdims=False):
    return (spread(expand(g, ins[0], axis, keepdims) / count(ins[0], out), ins[0]),)


@MEAN.defjvp
def _(t, out, ins, axis=None, keepdims=False):
    return np.mean(t[0], axis=axis, keepdims=keepdims)


def _extremum_weights(out, x, axis, keepdims):
    """Where x attains the extremum, split evenly among ties."""
    hit = x == expand(out, x, axis, keepdims)
    return hit / np.sum(hit, axis=axis, keepdims=True)


for _prim in (MAX, MIN):

    @_prim.defvjp
    def _(g, out, ins, active, axis=None, keepdims=False):
        x = ins[0]
        return (expand(g, x, axis, keepdims) * _extremum_weights(out, x, axis, keepdims),)

    @_prim.defjvp
    def _(t, out, ins, axis=None, keepdims=False):
        x = ins[0]
        return np.sum(t[0] * _extremum_weights(out, x, axis, keepdims), axis=axis, keepdims=keepdims)


def products_of_others(x, axis):
    """For each element, the product of the others it is reduced with: d prod / d x_i.

    out / x is that only where x is not 0 (it is nan there); the product of a row of x with
    a 1 put in x_i's place is that everywhere, and its own derivatives are too (they are
    products of rows in turn): np.prod(np.where(np.eye(n) > 0, 1.0, x), axis=-1) for a
    vector x, with the reduced axes moved last and merged first for any other shape. It
    costs n times the work of the product along an axis of length n."""
    if x.aval.ndim is None:
        raise current().error("the derivative of np.prod needs the operand's rank: call with example arguments")
    ndim = x.aval.ndim
    axes = tuple(range(ndim)) if axis is None else normalize_axis(axis, ndim)
    axes = axes if isinstance(axes, tuple) else (axes,)
    kept = tuple(i for i in range(ndim) if i not in axes)
    moved = x if kept + axes == tuple(range(ndim)) else np.transpose(x, kept + axes)
    shape = shape_of(moved)
    n = int(np.prod([x.aval.shape[i] for i in axes])) if x.aval.known_shape else None
    if n is None:
        raise current().error("the derivative of np.prod needs the operand's shape: call with example arguments")
    rows = np.reshape(moved, tuple(shape[i] for i in range(len(kept))) + (n,)) if len(axes) != 1 else moved
    ones_in_place = current().call(np.eye, (n,), {}) > 0  # row i: x with a 1 at i
    others = np.prod(np.where(ones_in_place, 1.0, rows if len(kept) == 0 else np.expand_dims(rows, -2)), axis=-1)
    others = np.reshape(others, shape) if len(axes) != 1 else others
    if moved is not x:
        others = np.transpose(others, tuple(np.argsort(kept + axes)))
    return others


@PROD.defvjp
def _(g, out, ins, active, axis=None, keepdims=False):
    x = ins[0]
    return (expand(g, x, axis, keepdims) * products_of_others(x, axis),)


@PROD.defjvp
def _(t, out, ins, axis=None, keepdims=False):
    return np.sum(t[0] * products_of_others(ins[0], axis), axis=axis, keepdims=keepdims)


def _centered(x, axis):
    return x - np.mean(x, axis=axis, keepdims=True)


@VAR.defvjp
def _(g, out, ins, active, axis=None, keepdims=False, ddof=0):
    x = ins[0]
    return (expand(g, x, axis, keepdims) * (2 * _centered(x, axis) / (count(x, out) - ddof)),)


@VAR.defjvp
def _(t, out, ins, axis=None, keepdims=False, ddof=0):
    x = ins[0]
    return np.sum(t[0] * _centered(x, axis), axis=axis, keepdims=keepdims) * (2 / (count(x, out) - ddof))


@STD.defvjp
def _(g, out, ins, active, axis=None, keepdims=False, ddof=0):
    x = ins[0]
    scale = expand(g / out, x, axis, keepdims) / (count(x, out) - ddof)
    return (scale * _centered(x, axis),)


@STD.defjvp
def _(t, out, ins, axis=None, keepdims=False, ddof=0):
    x = ins[0]
    s = np.sum(t[0] * _centered(x, axis), axis=axis, keepdims=keepdims)
    return s / (out * (count(x, out) - ddof))


@NORM.defvjp
def _(g, out, ins, active, axis=None, keepdims=False):
    x = ins[0]
    return (expand(g / out, x, axis, keepdims) * x,)


@NORM.defjvp
def _(t, out, ins, axis=None, keepdims=False):
    x = ins[0]
    return np.sum(t[0] * x, axis=axis, keepdims=keepdims) / out


# ---------------------------------------------------------------------------
# Binders: functions and methods with NumPy's signatures.


def _bind(prim, a, axis, keepdims, out=None, dtype=None, where=None, **extra):
    b = current()
    if out is not None or where is not None:
        raise b.error(f"np.{prim.name}: out= and where= are not supported")
    if dtype is not None:
        raise b.error(f"np.{prim.name}: dtype= is not supported; use .astype() on the input")
    axis = static(axis, "axis")
    if isinstance(axis, list):
        axis = tuple(axis)
    params = {"axis": axis, "keepdims": bool(static(keepdims, "keepdims"))}
    params.update({k: static(v, k) for k, v in extra.items()})
    a = wrap(a)
    if axis is not None and a.aval.ndim is not None:
        try:
            normalize_axis(axis, a.aval.ndim)
            if any(not -a.aval.ndim <= ax < a.aval.ndim for ax in (axis if isinstance(axis, tuple) else (axis,))):
                raise ValueError
        except (ValueError, ZeroDivisionError):
            raise b.error(f"axis {axis} is out of bounds for an array of dimension {a.aval.ndim}") from None
    return b.apply(prim, [a], **params)


def _simple(prim, *callables, names=()):
    def bind(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
        if initial is not None:
            raise current().error(f"np.{prim.name}: initial= is not supported")
        return _bind(prim, a, axis, keepdims, out, dtype, where)

    binds(*callables)(bind)
    method(*names)(bind)


_simple(SUM, np.sum, names=("sum",))
_simple(MEAN, np.mean, names=("mean",))
_simple(MAX, np.max, np.amax, names=("max",))
_simple(MIN, np.min, np.amin, names=("min",))
_simple(PROD, np.prod, names=("prod",))


def _spread_binder(prim, *callables, names=()):
    def bind(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None):
        params = {"ddof": ddof} if static(ddof, "ddof") != 0 else {}
        return _bind(prim, a, axis, keepdims, out, dtype, where, **params)

    binds(*callables)(bind)
    method(*names)(bind)


def _test_binder(prim, *callables, names=()):
    """np.all and np.any, with their signatures."""
    def bind(a, axis=None, out=None, keepdims=False, *, where=None):
        return _bind(prim, a, axis, keepdims, out, None, where)

    binds(*callables)(bind)
    method(*names)(bind)


_test_binder(ALL, np.all, names=("all",))
_test_binder(ANY, np.any, names=("any",))
_spread_binder(VAR, np.var, names=("var",))
_spread_binder(STD, np.std, names=("std",))
