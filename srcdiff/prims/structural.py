"""Moving elements without changing them: flips, rotations, rolls, axis permutations and
the atleast_nd family. Each is written with the primitive it is (a flip is x[::-1] along
an axis, swapaxes a transpose), so the emitted code and its derivative read as a person
writes them; only np.roll is a primitive of its own, whose adjoint is the opposite roll."""
import numpy as np

from ..ir import Aval
from .core import Primitive, binds, current, method, static, wrap
from .indexing import getitem
from .linalg import transpose
from .shaping import reshape
from .syntax import call, src


def _rank(x, what):
    """x's number of axes, which these functions need to spell their index or permutation."""
    ndim = wrap(x).aval.ndim
    if ndim is None:
        raise current().error(f"{what} needs the rank of its operand, which is not known when compiling",
                              "call the function with example arguments, so that shapes are known.")
    return ndim


def _axis(axis, ndim, what):
    """axis as a non-negative int, NumPy's AxisError as a located error."""
    axis = static(axis, "axis")
    if not isinstance(axis, (int, np.integer)) or not -ndim <= axis < ndim:
        raise current().error(f"{what}: axis {axis!r} is out of bounds for an array of {ndim} dimensions")
    return int(axis) % ndim


def _axes(axis, ndim, what):
    """An int or a sequence of ints as a tuple of distinct non-negative axes."""
    axis = static(axis, "axis")
    axes = tuple(_axis(a, ndim, what) for a in (axis if isinstance(axis, (tuple, list)) else (axis,)))
    if len(set(axes)) != len(axes):
        raise current().error(f"{what}: repeated axis in {axis!r}")
    return axes


def _permuted(x, order):
    """x with its axes in order: x itself when that is the order they have."""
    return wrap(x) if tuple(order) == tuple(range(len(order))) else transpose(x, tuple(order))


# ---------------------------------------------------------------------------
# flips and rotations: an index with a step of -1 on the flipped axes


def _reversed(x, axes, ndim):
    """x[::-1] on axes (non-negative, ndim known): trailing full slices are left out, x[:, ::-1]."""
    if not axes:
        return wrap(x)
    last = max(axes)
    return getitem(x, tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(last + 1)))


@binds(np.flip)
def _flip(m, axis=None):
    axis = static(axis, "axis")
    m = wrap(m)
    ndim = m.aval.ndim
    if ndim is None and isinstance(axis, (int, np.integer)):
        # x[::-1] or x[..., ::-1, :] needs no rank: only the axis's place from one end
        if axis >= 0:
            return getitem(m, (slice(None),) * axis + (slice(None, None, -1),))
        return getitem(m, (Ellipsis, slice(None, None, -1)) + (slice(None),) * (-axis - 1))
    ndim = _rank(m, "np.flip")
    return _reversed(m, tuple(range(ndim)) if axis is None else _axes(axis, ndim, "np.flip"), ndim)


@binds(np.fliplr)
def _fliplr(m):
    if _rank(m, "np.fliplr") < 2:
        raise current().error("np.fliplr needs an array of at least 2 dimensions")
    return getitem(m, (slice(None), slice(None, None, -1)))


@binds(np.flipud)
def _flipud(m):
    if _rank(m, "np.flipud") < 1:
        raise current().error("np.flipud needs an array of at least 1 dimension")
    return getitem(m, (slice(None, None, -1),))


@binds(np.rot90)
def _rot90(m, k=1, axes=(0, 1)):
    """NumPy's rotation from the first axis towards the second: for k = 1 a flip of the
    second axis then a swap of the two, for k = 2 a flip of both, for k = 3 a swap then a flip."""
    ndim = _rank(m, "np.rot90")
    axes = static(axes, "axes")
    if not isinstance(axes, (tuple, list)) or len(axes) != 2:
        raise current().error("np.rot90: axes must be a pair of axes")
    if ndim < 2:
        raise current().error("np.rot90 needs an array of at least 2 dimensions")
    a, b = _axes(tuple(axes), ndim, "np.rot90")
    k = static(k, "k") % 4
    swapped = list(range(ndim))
    swapped[a], swapped[b] = b, a
    if k == 0:
        return wrap(m)
    if k == 2:
        return _reversed(m, (a, b), ndim)
    if k == 1:
        return _permuted(_reversed(m, (b,), ndim), swapped)
    return _reversed(_permuted(m, swapped), (b,), ndim)


# ---------------------------------------------------------------------------
# axis permutations: transposes with axes


@binds(np.swapaxes)
@method("swapaxes")
def _swapaxes(a, axis1, axis2):
    ndim = _rank(a, "swapaxes")
    i, j = _axis(axis1, ndim, "swapaxes"), _axis(axis2, ndim, "swapaxes")
    order = list(range(ndim))
    order[i], order[j] = j, i
    return _permuted(a, order)


@binds(np.moveaxis)
def _moveaxis(a, source, destination):
    """NumPy's order: the axes not moved keep theirs, and each moved one is put at its place."""
    ndim = _rank(a, "np.moveaxis")
    source, destination = _axes(source, ndim, "np.moveaxis"), _axes(destination, ndim, "np.moveaxis")
    if len(source) != len(destination):
        raise current().error("np.moveaxis: source and destination must have the same number of elements")
    order = [i for i in range(ndim) if i not in source]
    for dest, s in sorted(zip(destination, source)):
        order.insert(dest, s)
    return _permuted(a, order)


@binds(np.rollaxis)
def _rollaxis(a, axis, start=0):
    """Axis moved to lie before start (NumPy's older moveaxis)."""
    ndim = _rank(a, "np.rollaxis")
    axis = _axis(axis, ndim, "np.rollaxis")
    start = static(start, "start")
    if not -ndim <= start <= ndim:
        raise current().error(f"np.rollaxis: start {start!r} is out of bounds for an array of {ndim} dimensions")
    start = start % (ndim + 1) if start < 0 else start
    if axis < start:
        start -= 1
    order = [i for i in range(ndim) if i != axis]
    order.insert(start, axis)
    return _permuted(a, order)


# ---------------------------------------------------------------------------
# np.roll: a primitive, so that its adjoint reads np.roll(g, -shift)


def _roll_emit(a, p):
    return call("np.roll", [a[0], src(p["shift"])], {"axis": p["axis"]}, {"axis": None})


ROLL = Primitive("roll", emit=_roll_emit, impl=lambda x, shift, axis=None: np.roll(x, shift, axis),
                 shape=lambda avals, p: Aval("array", avals[0].shape, avals[0].dtype), fresh=True)


def _opposite(shift):
    return tuple(-s for s in shift) if isinstance(shift, tuple) else -shift


@ROLL.defvjp
def _(g, out, ins, active, shift, axis=None):
    return (current().apply(ROLL, [g], shift=_opposite(shift), axis=axis),)


@ROLL.defjvp
def _(t, out, ins, shift, axis=None):
    return current().apply(ROLL, [t[0]], shift=shift, axis=axis)


def _ints(value, what):
    """An int, or a tuple of ints (NumPy takes any sequence): hashable, as parameters are."""
    value = static(value, what)
    if isinstance(value, (tuple, list)):
        return tuple(int(v) for v in value)
    if not isinstance(value, (int, np.integer)):
        raise current().error(f"np.roll: {what} must be an int or a tuple of ints, not {value!r}")
    return int(value)


@binds(np.roll)
def _roll(a, shift, axis=None):
    shift, axis = _ints(shift, "shift"), None if static(axis, "axis") is None else _ints(axis, "axis")
    if axis is None and isinstance(shift, tuple):
        raise current().error("np.roll: a tuple of shifts needs an axis for each")
    if isinstance(shift, tuple) and isinstance(axis, tuple) and len(shift) != len(axis) \
            and 1 not in (len(shift), len(axis)):
        raise current().error("np.roll: shift and axis must have the same length")
    return current().apply(ROLL, [a], shift=shift, axis=axis)


# ---------------------------------------------------------------------------
# atleast_1d/2d/3d: length-1 axes put where NumPy puts them


def _at_least(n):
    """NumPy's places for the new axes: a 0-d value becomes (1,) * n; a vector is a row
    (atleast_2d) or (1, N, 1) (atleast_3d); a matrix gains a last axis (atleast_3d)."""
    name = f"np.atleast_{n}d"

    def one(x):
        ndim = _rank(x, name)
        if ndim >= n:
            return wrap(x)
        if ndim == 0:
            return reshape(x, (1,) * n)
        if n == 2 or ndim == 2:
            return getitem(x, (None, slice(None)) if n == 2 else (slice(None), slice(None), None))
        return getitem(x, (None, slice(None), None))

    def at_least(*arys):
        if not arys:
            raise current().error(f"{name} needs at least one array")
        made = tuple(one(x) for x in arys)
        return made[0] if len(made) == 1 else made

    return at_least


for _n, _fn in ((1, np.atleast_1d), (2, np.atleast_2d), (3, np.atleast_3d)):
    binds(_fn)(_at_least(_n))
