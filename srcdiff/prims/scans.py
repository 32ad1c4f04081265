"""Scans and differences: cumulative sums and products and the full convolution are
primitives; differences, np.gradient, the trapezoid rule, Horner's polynomial, linear
interpolation and the other convolution modes are written with slices, sums, products
and gathers, so their derivatives are those parts' and the emitted code reads as the
formula."""
import numpy as np

from ..ir import Aval
from .core import Primitive, array_operand, binds, current, method, static, wrap
from .shapes import normalize_axis, result_dtype
from .syntax import template

FAMILY = "scans and differences"  # grammar.md's list of callables (prims/catalog.py) groups by it


def _scan_shape(avals, params):
    a = avals[0]
    dt = np.dtype(np.int64) if a.dtype is not None and a.dtype.kind == "b" else a.dtype
    return Aval("array", a.shape, dt)


def _scan_emit(fname):
    def emit(a, p):
        return f"{fname}({a[0]}, axis={p['axis']})" if p["_ndim"] != 1 else f"{fname}({a[0]})"

    return emit


def scan(name, fname, impl):
    return Primitive(name, emit=_scan_emit(fname), impl=lambda x, axis, _ndim: impl(x, axis=axis),
                     shape=_scan_shape, fresh=True)


CUMSUM = scan("cumsum", "np.cumsum", np.cumsum)
CUMPROD = scan("cumprod", "np.cumprod", np.cumprod)


def reversed_along(x, axis):
    """x[..., ::-1, ...], the order of axis reversed."""
    return x[(slice(None),) * axis + (slice(None, None, -1),)]


def _apply(prim, x, axis):
    return current().apply(prim, [x], axis=axis, _ndim=x.aval.ndim)


@CUMSUM.defjvp
def _(t, out, ins, axis, _ndim):
    return _apply(CUMSUM, t[0], axis)


@CUMSUM.defvjp
def _(g, out, ins, active, axis, _ndim):
    """Each x_k reaches every sum from k on: the cumulative sum of g taken from the end."""
    return (reversed_along(_apply(CUMSUM, reversed_along(g, axis), axis), axis),)


def partial_products(x, axis):
    """d out_i / d x_k for out = cumprod(x) along axis, with k and i as two last axes: the
    product of x_0 .. x_i with a 1 in x_k's place where k <= i, and 0 where k > i. Right
    where x has zeros, unlike out / x, and its own derivatives are too (they are cumulative
    products in turn); n times the work of the scan along an axis of length n."""
    if not x.aval.known_shape:
        raise current().error("the derivative of np.cumprod needs the operand's shape: call with example arguments")
    n = x.aval.shape[axis]
    last = _to_last(x, axis, x.aval.ndim)
    ones_in_place = np.eye(n) > 0  # row k: x with a 1 at k
    products = np.cumprod(np.where(ones_in_place, 1.0, np.expand_dims(last, -2)), axis=-1)
    return np.where(np.cumsum(np.eye(n), axis=-1) > 0, products, 0.0)  # i >= k


def _to_last(x, axis, ndim):
    """x with axis moved to the end (np.moveaxis(x, axis, -1))."""
    if axis == ndim - 1:
        return x
    return np.transpose(x, tuple(i for i in range(ndim) if i != axis) + (axis,))


def _from_last(y, axis, ndim):
    """y's last axis moved back to axis: _to_last undone."""
    if axis == ndim - 1:
        return y
    order = list(range(ndim - 1))
    order.insert(axis, ndim - 1)
    return np.transpose(y, tuple(order))


@CUMPROD.defjvp
def _(t, out, ins, axis, _ndim):
    d = partial_products(ins[0], axis)
    return _from_last(np.sum(np.expand_dims(_to_last(t[0], axis, _ndim), -1) * d, axis=-2), axis, _ndim)


@CUMPROD.defvjp
def _(g, out, ins, active, axis, _ndim):
    d = partial_products(ins[0], axis)
    return (_from_last(np.sum(np.expand_dims(_to_last(g, axis, _ndim), -2) * d, axis=-1), axis, _ndim),)


def _convolve_shape(avals, params):
    a, v = avals
    n = a.shape[0] + v.shape[0] - 1 if a.known_shape and v.known_shape else None
    return Aval("array", (n,) if n is not None else a.shape, result_dtype(avals))


# the full convolution of two vectors; 'same' and 'valid' and np.correlate are slices of it
CONVOLVE = Primitive("convolve", emit=template("np.convolve({0}, {1})"), impl=np.convolve, shape=_convolve_shape,
                     fresh=True)


def convolve(a, v):
    return current().apply(CONVOLVE, [a, v])


@CONVOLVE.defjvp
def _(t, out, ins):
    a, v = ins
    terms = [convolve(t[0], v) if t[0] is not None else None, convolve(a, t[1]) if t[1] is not None else None]
    return terms[1] if terms[0] is None else terms[0] if terms[1] is None else terms[0] + terms[1]


@CONVOLVE.defvjp
def _(g, out, ins, active):
    """out_k = sum_i a_i v_(k-i): each a_i meets g against v reversed, each v_j against a reversed."""
    a, v = ins
    n, m = a.aval.shape[0], v.aval.shape[0]
    return (convolve(g, v[::-1])[m - 1:m - 1 + n] if active[0] else None,
            convolve(g, a[::-1])[n - 1:n - 1 + m] if active[1] else None)


# ---------------------------------------------------------------------------
# Binders


def _array(a, what):
    a = wrap(array_operand(a))
    if a.aval.ndim is None:
        raise current().error(f"{what} needs its operand's rank: call with example arguments")
    return a


def _axis(a, axis, what):
    """axis as a non-negative int, known when compiling; None flattens a first."""
    axis = static(axis, "axis")
    if axis is None:
        return np.ravel(a), 0
    ndim = a.aval.ndim
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or not -ndim <= axis < max(ndim, 1):
        raise current().error(f"{what}: axis {axis!r} is not an axis of an array of dimension {ndim}",
                              "pass an int axis (negative counts from the end) or None.")
    return a, normalize_axis(int(axis), ndim)


def _scan_binder(prim, what):
    def bind(a, axis=None, dtype=None, out=None):
        if dtype is not None or out is not None:
            raise current().error(f"{what}: dtype= and out= are not supported", "cast the input with .astype().")
        a, axis = _axis(_array(a, what), axis, what)
        if a.aval.ndim == 0:
            a = np.reshape(a, (1,))
        return _apply(prim, a, axis)

    return bind


binds(np.cumsum)(_scan_binder(CUMSUM, "np.cumsum"))
method("cumsum")(_scan_binder(CUMSUM, "x.cumsum"))
binds(np.cumprod)(_scan_binder(CUMPROD, "np.cumprod"))
method("cumprod")(_scan_binder(CUMPROD, "x.cumprod"))


def _slice(a, axis, part):
    return a[(slice(None),) * axis + (part,)]


def _ends(a, value, axis):
    """prepend= or append= as diff takes it: a number is broadcast to one slice of a."""
    value = wrap(array_operand(value))
    if value.aval.ndim == 0:
        if not a.aval.known_shape:
            raise current().error("np.diff with a number to prepend or append needs the operand's shape",
                                  "call with example arguments, or pass an array of the slice's shape.")
        value = np.broadcast_to(value, tuple(1 if i == axis else s for i, s in enumerate(a.aval.shape)))
    return value


@binds(np.diff)
def _diff(a, n=1, axis=-1, prepend=None, append=None):
    """The n-th difference: a[1:] - a[:-1] along axis, n times."""
    n = static(n, "n")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise current().error(f"np.diff: n must be a non-negative int known when compiling, not {n!r}")
    a = _array(a, "np.diff")
    if a.aval.ndim == 0:
        raise current().error("np.diff: diff requires input that is at least one dimensional")
    a, axis = _axis(a, axis, "np.diff")
    if prepend is not None or append is not None:
        parts = ([_ends(a, prepend, axis)] if prepend is not None else []) + [a] + (
            [_ends(a, append, axis)] if append is not None else [])
        a = np.concatenate(parts, axis=axis)
    for _ in range(int(n)):
        a = _slice(a, axis, slice(1, None)) - _slice(a, axis, slice(None, -1))
    return a


@binds(np.ediff1d)
def _ediff1d(ary, to_end=None, to_begin=None):
    """Differences of the flattened array, with to_begin and to_end (flattened) around them."""
    d = _diff(np.ravel(_array(ary, "np.ediff1d")))
    parts = [np.ravel(wrap(array_operand(to_begin)))] if to_begin is not None else []
    parts += [d] + ([np.ravel(wrap(array_operand(to_end)))] if to_end is not None else [])
    return np.concatenate(parts) if len(parts) > 1 else d


def _trapezoid(y, x=None, dx=1.0, axis=-1):
    """The trapezoid rule: the sum of (y[1:] + y[:-1]) / 2 times the steps, as NumPy's."""
    y = _array(y, "np.trapezoid")
    y, axis = _axis(y, axis, "np.trapezoid")
    mids = (_slice(y, axis, slice(1, None)) + _slice(y, axis, slice(None, -1))) / 2.0
    if x is None:
        return np.sum(mids * dx, axis=axis)
    x = _array(x, "np.trapezoid")
    if x.aval.ndim == 1:
        steps = np.reshape(np.diff(x), tuple(-1 if i == axis else 1 for i in range(y.aval.ndim)))
    else:
        steps = np.diff(x, axis=axis)
    return np.sum(steps * mids, axis=axis)


binds(*(getattr(np, name) for name in ("trapezoid", "trapz") if hasattr(np, name)))(_trapezoid)


@binds(np.polyval)
def _polyval(p, x):
    """Horner's rule, written out for p's known length: ((p0 x + p1) x + p2) ..."""
    coefficients = list(p) if isinstance(p, (list, tuple)) else None
    if coefficients is None:
        p = _array(p, "np.polyval")
        if p.aval.ndim != 1 or not p.aval.known_shape:
            raise current().error("np.polyval needs a 1-D p of a length known when compiling",
                                  "pass the coefficients as a list or a 1-D array.")
        coefficients = [p[i] for i in range(p.aval.shape[0])]
    x = wrap(array_operand(x))
    y = wrap(coefficients[0]) * np.ones_like(x) if len(coefficients) == 1 else coefficients[0]
    for c in coefficients[1:]:
        y = y * x + c
    return y


def _gradient_along(f, axis, h, edge_order):
    """Central differences inside, one-sided ones of the same order at the two ends, as
    np.gradient takes them on a uniform grid of step h."""
    def s(start, stop):
        return _slice(f, axis, slice(start, stop))

    if f.aval.shape[axis] < edge_order + 1:
        raise current().error(f"np.gradient needs at least {edge_order + 1} points along axis {axis} "
                              f"for edge_order={edge_order}")
    inside = (s(2, None) - s(None, -2)) / (2.0 * h)
    if edge_order == 1:
        first, last = (s(1, 2) - s(0, 1)) / h, (s(-1, None) - s(-2, -1)) / h
    else:
        first = (-1.5 * s(0, 1) + 2.0 * s(1, 2) - 0.5 * s(2, 3)) / h
        last = (1.5 * s(-1, None) - 2.0 * s(-2, -1) + 0.5 * s(-3, -2)) / h
    return np.concatenate([first, inside, last], axis=axis)


@binds(np.gradient)
def _gradient(f, *varargs, axis=None, edge_order=1):
    """np.gradient on a uniform grid: one step for every axis, or one per axis."""
    f = _array(f, "np.gradient")
    if not f.aval.known_shape or f.aval.ndim == 0:
        raise current().error("np.gradient needs an array of at least one dimension, of a shape known when "
                              "compiling")
    edge_order = static(edge_order, "edge_order")
    if edge_order not in (1, 2):
        raise current().error(f"np.gradient: edge_order must be 1 or 2, not {edge_order!r}")
    axis = static(axis, "axis")
    axes = tuple(range(f.aval.ndim)) if axis is None else axis if isinstance(axis, (tuple, list)) else (axis,)
    axes = tuple(_axis(f, a, "np.gradient")[1] for a in axes)
    steps = [wrap(array_operand(h)) for h in varargs] or [1.0]
    if len(steps) == 1:
        steps = steps * len(axes)
    if len(steps) != len(axes) or any(not isinstance(h, float) and h.aval.ndim != 0 for h in steps):
        raise current().error("np.gradient takes one scalar step, or one per axis",
                              "coordinate arrays (a non-uniform grid) are not supported.")
    found = tuple(_gradient_along(f, a, h, edge_order) for a, h in zip(axes, steps))
    return found[0] if len(found) == 1 else found


def _vectors(a, v, what):
    a, v = wrap(array_operand(a)), wrap(array_operand(v))
    if any(x.aval.ndim != 1 or not x.aval.known_shape for x in (a, v)):
        raise current().error(f"{what} takes two 1-D arrays of lengths known when compiling")
    if 0 in (a.aval.shape[0], v.aval.shape[0]):
        raise current().error(f"{what}: an operand is empty")
    return a, v


def _mode(full, n, m, mode, same_start):
    """The part of the full result that mode names."""
    mode = static(mode, "mode")
    k, length = min(n, m), max(n, m)
    if mode == "full":
        return full
    if mode == "same":
        return full[same_start:same_start + length]
    if mode == "valid":
        return full[k - 1:length]
    raise current().error(f"mode {mode!r} is not one of 'full', 'same', 'valid'")


@binds(np.convolve)
def _convolve(a, v, mode="full"):
    a, v = _vectors(a, v, "np.convolve")
    n, m = a.aval.shape[0], v.aval.shape[0]
    return _mode(convolve(a, v), n, m, mode, (min(n, m) - 1) // 2)


@binds(np.correlate)
def _correlate(a, v, mode="valid"):
    """Of real vectors, correlation is convolution with v reversed."""
    a, v = _vectors(a, v, "np.correlate")
    n, m = a.aval.shape[0], v.aval.shape[0]
    return _mode(convolve(a, v[::-1]), n, m, mode, n // 2 if n < m else (m - 1) // 2)


@binds(np.interp)
def _interp(x, xp, fp, left=None, right=None, period=None):
    """Linear interpolation, written as it computes: the segment each x falls in (how many
    knots are at or below it), the line through its two ends, and fp's ends (or left and
    right) outside xp. Differentiable in x (the segment's slope), xp and fp."""
    if period is not None:
        raise current().error("np.interp with period= is not supported", "wrap x into one period first.")
    xp, fp = _array(xp, "np.interp"), _array(fp, "np.interp")
    if xp.aval.ndim != 1 or fp.aval.ndim != 1 or not xp.aval.known_shape or xp.aval.shape[0] < 2:
        raise current().error("np.interp needs 1-D xp and fp of two or more points, of lengths known when compiling")
    x = wrap(array_operand(x))
    n = xp.aval.shape[0]
    segment = np.clip(np.sum(np.expand_dims(x, -1) >= xp[1:-1], axis=-1), 0, n - 2)
    x0, x1, y0, y1 = xp[segment], xp[segment + 1], fp[segment], fp[segment + 1]
    line = y0 + (x - x0) * ((y1 - y0) / (x1 - x0))
    below = fp[0] if left is None else left
    above = fp[-1] if right is None else right
    return np.where(x < xp[0], below, np.where(x > xp[-1], above, line))
