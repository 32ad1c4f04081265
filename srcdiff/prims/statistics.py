"""Statistics: np.average, np.ptp, the nan reductions, np.sort and np.partition, np.median,
np.percentile and np.quantile.

Most are compositions of the reductions, np.where and indexing, so their derivatives are
those of the formula: np.ptp is max - min (ties split as np.max's), a nan reduction the
reduction of np.where(np.isnan(x), 0.0, x) (a NaN element gets no gradient), np.average
the weighted sum over the sum of the weights. np.sort is a primitive (the emitted code
reads np.sort(x)) whose adjoint puts g back where each element came from, the gather of g
by the inverse permutation (np.argsort of a stable np.argsort); np.partition is x taken
along np.argpartition's indices (the order inside the partitions is NumPy's, the same as
np.partition's). The order statistics (median, percentile, quantile) are the sorted array's
linear interpolation between the two neighbours, NumPy's formula, so a tie's derivative
goes where the stable sort put each of the tied elements. np.argsort and np.argpartition
are primitives without a derivative."""
import numpy as np

from ..ir import Aval, Sym
from .core import Primitive, binds, current, method, static, wrap
from .shapes import INT
from .shaping import reshape
from .syntax import call

FAMILY = "statistics"  # grammar.md's list of callables (prims/catalog.py) groups by it

_EXAMPLE = "call the function with example arguments, so that shapes are known."


def _known(x, what):
    x = wrap(x)
    if not x.aval.known_shape:
        raise current().error(f"{what} needs the shape of its operand, which is not known when compiling", _EXAMPLE)
    return x


def _axis(axis, ndim, what):
    axis = static(axis, "axis")
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool) or not -ndim <= axis < ndim:
        raise current().error(f"{what}: axis {axis!r} is out of bounds for an array of {ndim} dimensions")
    return int(axis) % ndim


def _flat(x):
    return x if x.aval.ndim == 1 else reshape(x, (-1,), "ravel")


def _along(x, indices, axis):
    return current().call(np.take_along_axis, (x, indices, axis), {})


# ---------------------------------------------------------------------------
# np.argsort and np.argpartition: integers, no derivative


def _same_shape(dtype):
    return lambda avals, p: Aval("array", avals[0].shape if avals[0].known_shape else Sym(), dtype)


ARGSORT = Primitive("argsort", emit=lambda a, p: call("np.argsort", a, p, {"axis": -1, "kind": None}),
                    impl=lambda x, axis=-1, kind=None: np.argsort(x, axis=axis, kind=kind), shape=_same_shape(INT),
                    differentiable=False, fresh=True)
ARGPARTITION = Primitive("argpartition", emit=lambda a, p: call("np.argpartition", a + [repr(p["kth"])], {"axis": p["axis"]},
                                                                 {"axis": -1}),
                         impl=lambda x, kth, axis=-1: np.argpartition(x, kth, axis=axis), shape=_same_shape(INT),
                         differentiable=False, fresh=True)


def _sort_kind(kind, stable):
    kind = static(kind, "kind")
    if kind not in (None, "quicksort", "mergesort", "heapsort", "stable"):
        raise current().error(f"kind={kind!r} is not a sorting algorithm of NumPy's")
    if static(stable, "stable") is not None:
        kind = "stable" if static(stable, "stable") else kind
    return kind


@binds(np.argsort)
@method("argsort")
def _argsort(a, axis=-1, kind=None, order=None, *, stable=None):
    if order is not None:
        raise current().error("argsort with order= (of a structured array) is not supported")
    kind = _sort_kind(kind, stable)
    a = wrap(a)
    if static(axis, "axis") is None:
        a, axis = _flat(a), -1
    elif a.aval.ndim is not None:
        axis = _axis(axis, a.aval.ndim, "np.argsort")
        axis = -1 if axis == a.aval.ndim - 1 else axis
    return current().apply(ARGSORT, [a], axis=static(axis, "axis"), kind=kind)


def _kth(kth):
    kth = static(kth, "kth")
    if isinstance(kth, (list, tuple, np.ndarray)):
        return tuple(int(k) for k in np.asarray(kth).ravel())
    if not isinstance(kth, (int, np.integer)):
        raise current().error(f"kth must be an int or a sequence of ints, not {kth!r}")
    return int(kth)


@binds(np.argpartition)
@method("argpartition")
def _argpartition(a, kth, axis=-1, kind="introselect", order=None):
    if order is not None or static(kind, "kind") != "introselect":
        raise current().error("argpartition with order= or another kind= is not supported")
    a = wrap(a)
    if static(axis, "axis") is None:
        a, axis = _flat(a), -1
    else:
        axis = _axis(axis, _known(a, "np.argpartition").aval.ndim, "np.argpartition")
        axis = -1 if axis == a.aval.ndim - 1 else axis
    return current().apply(ARGPARTITION, [a], kth=_kth(kth), axis=axis)


# ---------------------------------------------------------------------------
# np.sort: a primitive; its adjoint gathers g by the inverse permutation


def _sort_emit(a, p):
    return call("np.sort", a, p, {"axis": -1})


SORT = Primitive("sort", emit=_sort_emit, impl=lambda x, axis=-1: np.sort(x, axis=axis),
                 shape=lambda avals, p: Aval("array", avals[0].shape if avals[0].known_shape else Sym(), avals[0].dtype),
                 fresh=True)


def _order(x, axis):
    """The stable sort's permutation: where each sorted element came from."""
    return current().apply(ARGSORT, [x], axis=axis, kind="stable")


@SORT.defjvp
def _(t, out, ins, axis=-1):
    return _along(t[0], _order(ins[0], axis), axis)


@SORT.defvjp
def _(g, out, ins, active, axis=-1):
    """dx[order[j]] = g[j]: g gathered at each element's place in the sorted order."""
    return (_along(g, current().apply(ARGSORT, [_order(ins[0], axis)], axis=axis, kind=None), axis),)


def sort(a, axis=-1):
    a = _known(a, "np.sort")
    if a.aval.ndim == 0:
        raise current().error("np.sort of a 0-d value: there is no axis to sort along")
    if axis is None:
        a, axis = _flat(a), -1
    else:
        axis = _axis(axis, a.aval.ndim, "np.sort")
        axis = -1 if axis == a.aval.ndim - 1 else axis
    return current().apply(SORT, [a], axis=axis)


@binds(np.sort)
def _sort(a, axis=-1, kind=None, order=None, *, stable=None):
    if order is not None:
        raise current().error("np.sort with order= (of a structured array) is not supported")
    _sort_kind(kind, stable)
    return sort(a, static(axis, "axis"))


@method("sort")
def _sort_in_place(a, axis=-1, kind=None, order=None):
    raise current().error("x.sort() sorts x in place, which is not supported",
                          "write x = np.sort(x) (the same values, as a new array).")


@binds(np.partition)
def _partition(a, kth, axis=-1, kind="introselect", order=None):
    """x taken along np.argpartition's indices: np.partition's values in np.partition's order."""
    a = _known(a, "np.partition")
    indices = _argpartition(a, kth, axis, kind, order)
    if static(axis, "axis") is None:
        a, axis = _flat(a), -1
    return _along(a, indices, static(axis, "axis"))


@method("partition")
def _partition_in_place(a, kth, axis=-1, kind="introselect", order=None):
    raise current().error("x.partition() partitions x in place, which is not supported",
                          "write x = np.partition(x, kth) (the same values, as a new array).")


# ---------------------------------------------------------------------------
# np.ptp and np.average


def _reduce(fn, a, axis, keepdims):
    axis, keepdims = static(axis, "axis"), static(keepdims, "keepdims")
    kw = {"axis": tuple(axis) if isinstance(axis, list) else axis} if axis is not None else {}
    if keepdims:
        kw["keepdims"] = True
    return current().call(fn, (a,), kw)


@binds(np.ptp)
def _ptp(a, axis=None, out=None, keepdims=False):
    """max - min: the gradient is the max's tie-split indicator minus the min's."""
    if out is not None:
        raise current().error("np.ptp: out= is not supported")
    return _reduce(np.max, a, axis, keepdims) - _reduce(np.min, a, axis, keepdims)


@binds(np.average)
def _average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """The mean, or np.sum(a * w, axis) / np.sum(w, axis), NumPy's formula; 1-D weights along
    one axis are shaped to lie along it. Both a and the weights are differentiated."""
    b = current()
    a = wrap(a)
    axis, keepdims, returned = static(axis, "axis"), bool(static(keepdims, "keepdims")), bool(static(returned, "returned"))
    if isinstance(axis, list):
        axis = tuple(axis)
    if weights is None:
        avg = _reduce(np.mean, a, axis, keepdims)
        if not returned:
            return avg
        a, avg = _known(a, "np.average with returned=True"), wrap(avg)
        count = float(np.prod(a.aval.shape) / max(1, np.prod(avg.aval.shape)))
        return avg, (count if avg.aval.shape == () else b.call(np.full, (avg.aval.shape, count), {}))
    w = wrap(weights) if not isinstance(weights, (list, tuple)) else b.call(np.asarray, (weights,), {})
    if not (a.aval.known_shape and w.aval.known_shape):
        raise b.error("np.average with weights needs the shapes of a and the weights", _EXAMPLE)
    if a.aval.shape != w.aval.shape:
        if axis is None:
            raise b.error("np.average: weights of another shape than a need an axis")
        if isinstance(axis, tuple) or w.aval.ndim != 1:
            raise b.error("np.average: weights of another shape than a must be 1-D, along one axis")
        ax = _axis(axis, a.aval.ndim, "np.average")
        if w.aval.shape[0] != a.aval.shape[ax]:
            raise b.error("np.average: the length of the weights differs from that of a along the axis")
        w = reshape(w, tuple(a.aval.shape[ax] if i == ax else 1 for i in range(a.aval.ndim)))
    scale = _reduce(np.sum, w, axis, keepdims)
    avg = _reduce(np.sum, a * w, axis, keepdims) / scale
    if not returned:
        return avg
    avg, scale = wrap(avg), wrap(scale)
    if avg.aval.shape != scale.aval.shape:
        scale = b.call(np.broadcast_to, (scale, avg.aval.shape), {})
    return avg, scale


# ---------------------------------------------------------------------------
# the nan reductions: the reduction of the array with its NaNs put to 0 (or to -inf for
# a max), so a NaN element gets no gradient


def _nan_args(name, a, out, dtype):
    if out is not None or dtype is not None:
        raise current().error(f"np.{name}: out= and dtype= are not supported")
    a = wrap(a)
    return a, _named(np.isnan(a), "nans")


def _valid(mask, axis, keepdims):
    """How many elements are not NaN."""
    return _named(_reduce(np.sum, _named(np.logical_not(mask), "valid"), axis, keepdims), "count")


@binds(np.nansum)
def _nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    if initial is not None or where is not None:
        raise current().error("np.nansum: initial= and where= are not supported")
    a, mask = _nan_args("nansum", a, out, dtype)
    return _reduce(np.sum, _named(np.where(mask, 0.0, a), "clean"), static(axis, "axis"), static(keepdims, "keepdims"))


@binds(np.nanmean)
def _nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    if where is not None:
        raise current().error("np.nanmean: where= is not supported")
    a, mask = _nan_args("nanmean", a, out, dtype)
    axis, keepdims = static(axis, "axis"), static(keepdims, "keepdims")
    return _reduce(np.sum, _named(np.where(mask, 0.0, a), "clean"), axis, keepdims) / _in_dtype_of(
        _valid(mask, axis, keepdims), a)


def _nan_extremum(name, fn, fill):
    def bind(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        if initial is not None or where is not None:
            raise current().error(f"np.{name}: initial= and where= are not supported")
        a, mask = _nan_args(name, a, out, None)
        axis, keepdims = static(axis, "axis"), static(keepdims, "keepdims")
        extremum = _reduce(fn, np.where(mask, fill, a), axis, keepdims)
        # a slice of NaNs only is NaN, as NumPy's (which warns)
        return np.where(_reduce(np.all, mask, axis, keepdims), np.nan, extremum)

    binds(getattr(np, name))(bind)


_nan_extremum("nanmax", np.max, -np.inf)
_nan_extremum("nanmin", np.min, np.inf)


def _nanvar(a, axis, dtype, out, ddof, keepdims, name):
    a, mask = _nan_args(name, a, out, dtype)
    axis, keepdims, ddof = static(axis, "axis"), static(keepdims, "keepdims"), static(ddof, "ddof")
    if isinstance(axis, list):
        axis = tuple(axis)
    clean = _named(np.where(mask, 0.0, a), "clean")
    mean = _named(_reduce(np.sum, clean, axis, True) / _in_dtype_of(_valid(mask, axis, True), a), "mean")
    centered = _named(np.where(mask, 0.0, clean - mean), "centered")
    return _reduce(np.sum, centered * centered, axis, keepdims) / _in_dtype_of(_valid(mask, axis, keepdims) - ddof, a)


@binds(np.nanvar)
def _nanvar_bind(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, mean=None,
                 correction=None):
    if where is not None or mean is not None:
        raise current().error("np.nanvar: where= and mean= are not supported")
    ddof = static(correction, "correction") if correction is not None else ddof
    return _nanvar(a, axis, dtype, out, ddof, keepdims, "nanvar")


@binds(np.nanstd)
def _nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, mean=None, correction=None):
    if where is not None or mean is not None:
        raise current().error("np.nanstd: where= and mean= are not supported")
    ddof = static(correction, "correction") if correction is not None else ddof
    return np.sqrt(_nanvar(a, axis, dtype, out, ddof, keepdims, "nanstd"))


# ---------------------------------------------------------------------------
# order statistics: the sorted array's linear interpolation between neighbours


def _reduced_last(a, axis, what):
    """a with the reduced axes merged into its last (or the one axis reduced), that axis, and the
    shape keepdims gives."""
    a = _known(a, what)
    shape, ndim = a.aval.shape, a.aval.ndim
    if axis is None:
        return _flat(a), -1, (1,) * ndim
    axes = tuple(sorted({_axis(ax, ndim, what) for ax in (axis if isinstance(axis, (tuple, list)) else (axis,))}))
    kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
    if len(axes) == 1:
        return a, (-1 if axes[0] == ndim - 1 else axes[0]), kept
    rest = tuple(i for i in range(ndim) if i not in axes)
    moved = current().call(np.transpose, (a, rest + axes), {})
    return reshape(moved, tuple(shape[i] for i in rest) + (-1,)), -1, kept


def _take(x, index, axis):
    """x[..., i, ...] along axis (an int: the axis goes; an array of them: it stays)."""
    return current().call(np.take, (x, index), {"axis": axis})


def _lerp(lo, hi, t):
    """NumPy's interpolation: from below for t < 0.5, from above for t >= 0.5 (t is known when
    compiling: one formula where every t takes the same)."""
    if np.all(t == 0):
        return lo
    if np.all(t >= 0.5):
        return hi - (hi - lo) * (1 - t)
    if np.all(t < 0.5):
        return lo + (hi - lo) * t
    diff = hi - lo
    return np.where(t >= 0.5, hi - diff * (1 - t), lo + diff * t)


def _in_dtype_of(x, a):
    """x (a count, or a fraction known from counts) in a's float dtype, so float32 stays float32
    as NumPy's nanmean and nanquantile keep it."""
    dt = a.aval.dtype
    if dt is None or dt.kind != "f" or dt == np.float64:
        return x
    return x.astype(dt)


def _named(x, hint):
    """x with a name for the emitted code, unless it has one."""
    atom = getattr(x, "atom", None)
    if atom is not None and hasattr(atom, "hint") and not atom.hint:
        atom.hint = hint
    return x


def _quantile_arguments(a, q, axis, keepdims, method, what):
    """(q as floats in [0, 1], keepdims, a reduced along its last axes, that axis, the kept
    shape): what the quantile functions check alike, method linear the one supported."""
    if static(method, "method") != "linear":
        raise current().error(f"{what} with method={static(method, 'method')!r} is not supported",
                              "use method='linear'.")
    q = np.asarray(static(q, "q"), dtype=float)
    if np.any(np.isnan(q)) or np.any(q < 0) or np.any(q > 1):
        raise current().error(f"{what}: the quantiles must be in [0, 1] (percentiles in [0, 100])")
    axis, keepdims = static(axis, "axis"), bool(static(keepdims, "keepdims"))
    x, ax, kept = _reduced_last(a, axis, what)
    return q, keepdims, x, ax, kept


def _quantile(a, q, axis, keepdims, method, what):
    q, keepdims, x, ax, kept = _quantile_arguments(a, q, axis, keepdims, method, what)
    n = x.aval.shape[ax]
    s = _named(sort(x, ax), "ordered")
    h = q * (n - 1)
    lo = np.floor(h).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    t = h - lo
    if q.ndim == 0:
        r = _lerp(_take(s, int(lo), ax), _take(s, int(hi), ax), float(t))  # a Python float keeps a's dtype
        return reshape(r, kept) if keepdims else r
    flat = q.ravel()
    shape_t = [1] * s.aval.ndim
    shape_t[ax] = flat.size
    t = t.ravel().reshape(shape_t)
    r = _lerp(_take(s, lo.ravel(), ax), _take(s, hi.ravel(), ax), t)
    if ax != 0:
        r = current().call(np.moveaxis, (r, ax, 0), {})
    rest = wrap(r).aval.shape[1:]
    final = q.shape + (kept if keepdims else rest)
    return r if wrap(r).aval.shape == final else reshape(r, final)


def _quantile_binder(fn, quantiles, per):
    """The binder of np.quantile-like fn (np.percentile: per=100), computed by quantiles."""
    what = f"np.{fn.__name__}"

    def bind(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *,
             weights=None, interpolation=None):
        if out is not None or weights is not None or interpolation is not None:
            raise current().error(f"{what}: out=, weights= and interpolation= are not supported")
        q = q if per == 1 else np.asarray(static(q, "q"), dtype=float) / per
        return quantiles(a, q, axis, keepdims, method, what)

    return binds(fn)(bind)


_quantile_binder(np.quantile, _quantile, 1)
_quantile_binder(np.percentile, _quantile, 100)


@binds(np.median)
def _median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """The middle element of the sorted array, or the mean of the middle two (NumPy's)."""
    if out is not None:
        raise current().error("np.median: out= is not supported")
    axis, keepdims = static(axis, "axis"), bool(static(keepdims, "keepdims"))
    x, ax, kept = _reduced_last(a, axis, "np.median")
    n = x.aval.shape[ax]
    if n == 0:
        raise current().error("np.median of an empty array")
    s = _named(sort(x, ax), "ordered")
    k = n // 2
    r = _take(s, k, ax) if n % 2 else np.mean(_take(s, [k - 1, k], ax), axis=ax)
    return reshape(r, kept) if keepdims else r


# ---------------------------------------------------------------------------
# nanmedian, nanpercentile, nanquantile: the sort puts the NaNs last, so each slice's
# order statistics are among its first `count` sorted elements, at places computed from
# the count when the code runs (a gather, whose adjoint adds g there)


def _nanquantile(a, q, axis, keepdims, method, what):
    b = current()
    q, keepdims, x, ax, kept = _quantile_arguments(a, q, axis, keepdims, method, what)
    s = _named(sort(x, ax), "ordered")
    count = _named(_reduce(np.sum, np.logical_not(np.isnan(x)), ax, True), "count")
    shape_q = [1] * s.aval.ndim
    shape_q[ax] = q.size
    at = _named(q.reshape(shape_q) * (count - 1), "place")  # where each quantile lies, count - 1 for q = 1
    below = np.maximum(np.floor(at), 0.0)
    lo, hi = below.astype(int), np.minimum(below + 1.0, np.maximum(count - 1, 0)).astype(int)
    t = at - below if q.ndim else _in_dtype_of(at - below, x)
    low, high = _along(s, lo, ax), _along(s, hi, ax)
    diff = high - low
    r = np.where(count == 0, np.nan, np.where(t >= 0.5, high - diff * (1 - t), low + diff * t))
    if q.ndim == 0:
        return r if keepdims and wrap(r).aval.shape == kept else reshape(r, kept if keepdims else tuple(
            n for i, n in enumerate(wrap(r).aval.shape) if i != ax % s.aval.ndim))
    if ax % s.aval.ndim != 0:
        r = b.call(np.moveaxis, (r, ax, 0), {})
    rest = wrap(r).aval.shape[1:]
    final = q.shape + (kept if keepdims else rest)
    return r if wrap(r).aval.shape == final else reshape(r, final)


_quantile_binder(np.nanquantile, _nanquantile, 1)
_quantile_binder(np.nanpercentile, _nanquantile, 100)


@binds(np.nanmedian)
def _nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    if out is not None:
        raise current().error("np.nanmedian: out= is not supported")
    return _nanquantile(a, 0.5, axis, keepdims, "linear", "np.nanmedian")
