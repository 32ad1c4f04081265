"""Moving elements without changing them: flips, rotations, rolls, axis permutations, the
atleast_nd family, diagonals and triangles, take and repeat, joining, splitting and padding
along an axis. Each is written with the primitive it is where there is one (a flip is
x[::-1] along an axis, swapaxes a transpose, np.take an index), so the emitted code and its
derivative read as a person writes them; the others are primitives whose adjoints are what a person writes: the opposite roll, the
triangle of the gradient, the gradient put on the diagonal, the copies summed, the padding
cut off."""
import numpy as np

from ..ir import Aval, Sym
from .broadcasting import unbroadcast
from .core import Primitive, binds, current, is_known_array, method, static, wrap
from .creation import ARANGE
from .indexing import Slot, getitem, put_into_zeros
from .joining import CONCATENATE, sequence
from .linalg import transpose
from .reductions import SUM
from .shaping import reshape
from .syntax import call, src

FAMILY = "structural"  # grammar.md's list of callables (prims/catalog.py) groups by it


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


def _reversed(x, axes):
    """x[::-1] on axes (non-negative): trailing full slices are left out, x[:, ::-1]."""
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
    return _reversed(m, tuple(range(ndim)) if axis is None else _axes(axis, ndim, "np.flip"))


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
        return _reversed(m, (a, b))
    if k == 1:
        return _permuted(_reversed(m, (b,)), swapped)
    return _reversed(_permuted(m, swapped), (b,))


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
                 shape=lambda avals, p: Aval("array", avals[0].shape, avals[0].dtype), fresh=True, complex_ok=True)


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


# ---------------------------------------------------------------------------
# diagonals: np.diagonal reads one, np.diag of a vector writes one


def _like_numpy(fn):
    """The output aval NumPy's fn gives an array of x's shape (not known for an unknown shape)."""
    def shape(avals, params):
        x = avals[0]
        if not x.known_shape:
            return Aval("array", Sym(), x.dtype)
        numeric = {k: v for k, v in params.items() if not k.startswith("_")}
        return Aval("array", fn(np.empty(x.shape, np.int8), **numeric).shape, x.dtype)

    return shape


def _diagonal_emit(a, p):
    defaults = {"offset": 0, "axis1": 0, "axis2": 1}
    if p.get("_method"):
        return call(f"{a[0]}.diagonal", [], p, defaults)
    return call("np.diagonal", a, p, defaults)


DIAGONAL = Primitive("diagonal", emit=_diagonal_emit, shape=_like_numpy(np.diagonal), view=True,
                     impl=lambda x, offset=0, axis1=0, axis2=1, _method=False: np.diagonal(x, offset, axis1, axis2))


def diagonal(x, offset=0, axis1=0, axis2=1):
    return current().apply(DIAGONAL, [x], offset=offset, axis1=axis1, axis2=axis2, _method=is_known_array(x))


@DIAGONAL.defvjp
def _(g, out, ins, active, offset=0, axis1=0, axis2=1, _method=False):
    """Zeros with g written on the diagonal: dx[np.arange(n), np.arange(k, n + k)] = g. The
    diagonal is the last axis of g, and x[rows, cols] puts it where NumPy's indexing does."""
    x = ins[0]
    if not x.aval.known_shape:
        raise current().error("the derivative of np.diagonal needs the operand's shape: call with example arguments")
    n = out.aval.shape[-1]
    rows, cols = _from(max(0, -offset), n), _from(max(0, offset), n)
    index = tuple(Slot(0) if i == axis1 else Slot(1) if i == axis2 else slice(None) for i in range(x.aval.ndim))
    place = min(axis1, axis2) if abs(axis1 - axis2) == 1 else 0
    order = list(range(g.aval.ndim - 1))
    order.insert(place, g.aval.ndim - 1)
    return (put_into_zeros(x, _permuted(g, order), [rows, cols], index, True, False),)


def _from(start, n):
    """np.arange(n), or np.arange(start, start + n)."""
    return current().apply(ARANGE, [n] if start == 0 else [start, start + n])


@DIAGONAL.defjvp
def _(t, out, ins, offset=0, axis1=0, axis2=1, _method=False):
    return diagonal(t[0], offset, axis1, axis2)


@binds(np.diagonal)
@method("diagonal")
def _diagonal(a, offset=0, axis1=0, axis2=1):
    ndim = _rank(a, "np.diagonal")
    if ndim < 2:
        raise current().error("np.diagonal needs an array of at least 2 dimensions")
    i, j = _axis(axis1, ndim, "np.diagonal"), _axis(axis2, ndim, "np.diagonal")
    if i == j:
        raise current().error("np.diagonal: axis1 and axis2 cannot be the same")
    return diagonal(a, int(static(offset, "offset")), i, j)


DIAG = Primitive("diag", emit=lambda a, p: call("np.diag", a, p, {"k": 0}), impl=lambda v, k=0: np.diag(v, k),
                 shape=_like_numpy(np.diag), fresh=True)


@DIAG.defvjp
def _(g, out, ins, active, k=0):
    return (diagonal(g, k),)


@DIAG.defjvp
def _(t, out, ins, k=0):
    return current().apply(DIAG, [t[0]], k=k)


@binds(np.diag)
def _diag(v, k=0):
    """Of a vector, the matrix with it on diagonal k; of a matrix, its diagonal k."""
    ndim = _rank(v, "np.diag")
    k = int(static(k, "k"))
    if ndim == 2:
        return diagonal(v, k)
    if ndim != 1:
        raise current().error("np.diag takes a 1-D or a 2-D array")
    return current().apply(DIAG, [v], k=k)


@binds(np.diagflat)
def _diagflat(v, k=0):
    v = wrap(v)
    flat = v if v.aval.ndim == 1 else reshape(v, (-1,), "ravel")
    return current().apply(DIAG, [flat], k=int(static(k, "k")))


# ---------------------------------------------------------------------------
# triangles: keeping part of a matrix is linear and its own adjoint


def _triangle(name):
    fn = getattr(np, name)
    prim = Primitive(name, emit=lambda a, p: call(f"np.{name}", a, p, {"k": 0}), impl=lambda m, k=0: fn(m, k),
                     shape=_like_numpy(fn), fresh=True)
    # of a vector, NumPy's triangle is of the square matrix with the vector in every row: its rows summed
    prim.defvjp(lambda g, out, ins, active, k=0: (unbroadcast(current().apply(prim, [g], k=k), ins[0]),))
    prim.defjvp(lambda t, out, ins, k=0: current().apply(prim, [t[0]], k=k))

    @binds(fn)
    def binder(m, k=0):
        return current().apply(prim, [m], k=int(static(k, "k")))

    return prim


TRIU, TRIL = _triangle("triu"), _triangle("tril")


# ---------------------------------------------------------------------------
# np.take is an index; np.repeat a primitive whose adjoint sums the copies


@binds(np.take)
@method("take")
def _take(a, indices, axis=None, out=None, mode="raise"):
    """x[idx] of the flattened array, or x[:, idx] along an axis."""
    if out is not None or static(mode, "mode") != "raise":
        raise current().error("np.take with out= or mode= is not supported", "index with x[..., idx] instead.")
    axis = static(axis, "axis")
    if axis is None:
        return getitem(reshape(a, (-1,), "ravel"), (indices,))
    ndim = wrap(a).aval.ndim
    if ndim is not None:
        axis = _axis(axis, ndim, "np.take")
    if axis >= 0:
        return getitem(a, (slice(None),) * axis + (indices,))
    return getitem(a, (Ellipsis, indices) + (slice(None),) * (-axis - 1))


REPEAT = Primitive("repeat", emit=lambda a, p: call("np.repeat", [a[0], src(p["repeats"])], {"axis": p["axis"]},
                                                   {"axis": None}),
                   impl=lambda x, repeats, axis=None: np.repeat(x, repeats, axis), fresh=True,
                   shape=_like_numpy(np.repeat))


@REPEAT.defvjp
def _(g, out, ins, active, repeats, axis=None):
    """g with each run of copies as an axis of its own, summed: np.sum(g.reshape(n, r), axis=1)."""
    x = ins[0]
    if not x.aval.known_shape:
        raise current().error("the derivative of np.repeat needs the operand's shape: call with example arguments")
    shape = (int(np.prod(x.aval.shape)),) if axis is None else x.aval.shape
    at = 0 if axis is None else axis
    runs = reshape(g, shape[:at + 1] + (repeats,) + shape[at + 1:])
    summed = current().apply(SUM, [runs], axis=at + 1, keepdims=False)
    return (summed if axis is not None else reshape(summed, x.aval.shape),)


@REPEAT.defjvp
def _(t, out, ins, repeats, axis=None):
    return current().apply(REPEAT, [t[0]], repeats=repeats, axis=axis)


@binds(np.repeat)
@method("repeat")
def _repeat(a, repeats, axis=None):
    """An int count is the primitive; a count for each element is an index that names each
    element as often as its count (np.take with np.repeat(np.arange(n), counts))."""
    repeats, axis = static(repeats, "repeats"), static(axis, "axis")
    a = wrap(a)
    if axis is not None and not (a.aval.ndim is None and isinstance(axis, (int, np.integer)) and axis >= 0):
        axis = _axis(axis, _rank(a, "np.repeat along an axis"), "np.repeat")  # (axis 0 of an array of unknown rank is 0)
    if isinstance(repeats, (int, np.integer)):
        return current().apply(REPEAT, [a], repeats=int(repeats), axis=axis)
    if not a.aval.known_shape:
        raise current().error("np.repeat with a count for each element needs the operand's shape",
                              "call the function with example arguments, so that shapes are known.")
    n = int(np.prod(a.aval.shape)) if axis is None else a.aval.shape[axis]
    return _take(a, np.repeat(np.arange(n), np.asarray(repeats)), axis)


@binds(np.take_along_axis)
def _take_along_axis(arr, indices, axis=-1):
    """x[np.arange(n)[:, None], idx], as it is written by hand: idx along the axis, and along
    every other axis each position itself (the adjoint adds g at the same index, np.add.at)."""
    if static(axis, "axis") is None:
        return getitem(reshape(arr, (-1,), "ravel"), (indices,))
    arr = wrap(arr)
    ndim = _rank(arr, "np.take_along_axis")
    axis = _axis(axis, ndim, "np.take_along_axis")
    if wrap(indices).aval.ndim not in (None, ndim):
        raise current().error("np.take_along_axis: the indices must have as many dimensions as the array")
    if not arr.aval.known_shape:
        raise current().error("np.take_along_axis needs the array's shape",
                              "call the function with example arguments, so that shapes are known.")
    return getitem(arr, tuple(indices if i == axis else _position(arr.aval.shape[i], i, ndim) for i in range(ndim)))


def _position(n, i, ndim):
    """np.arange(n) along axis i of ndim: np.arange(3)[:, None]."""
    at = (None,) * i + (slice(None),) + (None,) * (ndim - i - 1)
    return getitem(current().apply(ARANGE, [n]), at)


# ---------------------------------------------------------------------------
# joining and splitting along an axis: concatenations of new axes, and slices


@binds(np.column_stack)
def _column_stack(tup):
    """Vectors as columns, matrices as they are, side by side."""
    items = [wrap(x) for x in sequence(tup, "np.column_stack")]
    items = [getitem(x, (slice(None), None)) if _rank(x, "np.column_stack") < 2 else x for x in items]
    return current().apply(CONCATENATE, items, axis=1)


@binds(np.dstack)
def _dstack(tup):
    items = [_at_least(3)(x) for x in sequence(tup, "np.dstack")]
    return current().apply(CONCATENATE, items, axis=2)


def _pieces(ary, cut, axis, name, even=True):
    """np.split and its family: a list of slices x[a:b] along the axis, at the indices given or
    into sections of equal length (array_split: the first len % n one longer)."""
    if not ary.aval.known_shape:
        raise current().error(f"{name} needs the array's shape",
                              "call the function with example arguments, so that shapes are known.")
    n, cut = ary.aval.shape[axis], static(cut, "indices_or_sections")
    if isinstance(cut, (int, np.integer)):
        if cut <= 0 or even and n % cut:
            raise current().error(f"{name}: an axis of length {n} does not split into {cut} equal sections")
        cut = np.cumsum([n // cut + (1 if i < n % cut else 0) for i in range(cut)])[:-1]
    bounds = [0] + [int(c) for c in cut] + [n]
    return [getitem(ary, (slice(None),) * axis + (slice(a, b),)) for a, b in zip(bounds[:-1], bounds[1:])]


def _ranked(ary, least, name):
    ary = wrap(ary)
    if _rank(ary, name) < least:
        raise current().error(f"{name} needs an array of at least {least} dimensions")
    return ary


@binds(np.split)
def _split(ary, indices_or_sections, axis=0):
    ary = _ranked(ary, 1, "np.split")
    return _pieces(ary, indices_or_sections, _axis(axis, ary.aval.ndim, "np.split"), "np.split")


@binds(np.array_split)
def _array_split(ary, indices_or_sections, axis=0):
    ary = _ranked(ary, 1, "np.array_split")
    return _pieces(ary, indices_or_sections, _axis(axis, ary.aval.ndim, "np.array_split"), "np.array_split", False)


@binds(np.hsplit)
def _hsplit(ary, indices_or_sections):
    """Along the columns, or along a vector."""
    ary = _ranked(ary, 1, "np.hsplit")
    return _pieces(ary, indices_or_sections, 1 if ary.aval.ndim > 1 else 0, "np.hsplit")


@binds(np.vsplit)
def _vsplit(ary, indices_or_sections):
    return _pieces(_ranked(ary, 2, "np.vsplit"), indices_or_sections, 0, "np.vsplit")


@binds(np.dsplit)
def _dsplit(ary, indices_or_sections):
    return _pieces(_ranked(ary, 3, "np.dsplit"), indices_or_sections, 2, "np.dsplit")


@binds(np.broadcast_arrays)
def _broadcast_arrays(*args, subok=False):
    """Each array broadcast to the shape they broadcast together to (as it is where it has it)."""
    items = [wrap(x) for x in args]
    if not all(x.aval.known_shape for x in items):
        raise current().error("np.broadcast_arrays needs the arrays' shapes",
                              "call the function with example arguments, so that shapes are known.")
    shape = np.broadcast_shapes(*(x.aval.shape for x in items))
    return tuple(x if x.aval.shape == shape else np.broadcast_to(x, shape) for x in items)


# ---------------------------------------------------------------------------
# np.pad with a constant: its adjoint cuts the padding off, g[1:-1, 2:]


def _pad_emit(a, p):
    return call("np.pad", [a[0], src(p["pad_width"])], {"constant_values": p["constant_values"]},
                {"constant_values": 0})


PAD = Primitive("pad", emit=_pad_emit, fresh=True, shape=_like_numpy(np.pad), complex_ok=True,
                impl=lambda x, pad_width, constant_values=0: np.pad(x, pad_width, constant_values=constant_values))


@PAD.defvjp
def _(g, out, ins, active, pad_width, constant_values=0):
    inner = tuple(slice(before or None, -after if after else None) for before, after in pad_width)
    while inner and inner[-1] == slice(None):
        inner = inner[:-1]
    return (getitem(g, inner) if inner else g,)


@PAD.defjvp
def _(t, out, ins, pad_width, constant_values=0):
    return current().apply(PAD, [t[0]], pad_width=pad_width, constant_values=0)


@binds(np.pad)
def _pad(array, pad_width, mode="constant", constant_values=0):
    """The constant mode is the primitive; the edge, reflecting and symmetric modes join
    copies of slices to each side, np.concatenate([np.repeat(x[:1], 2, axis=0), x]), so
    their adjoints add the copies back."""
    mode = static(mode, "mode")
    if mode not in ("constant", "edge", "reflect", "symmetric"):
        raise current().error(f"np.pad with mode={mode!r} is not supported",
                              "use mode='constant', 'edge', 'reflect' or 'symmetric'.")
    ndim = _rank(array, "np.pad")
    widths = np.broadcast_to(np.asarray(static(pad_width, "pad_width"), dtype=int), (ndim, 2))
    widths = tuple(tuple(int(v) for v in row) for row in widths)
    if mode != "constant":
        return _pad_with_copies(wrap(array), widths, mode)
    value = static(constant_values, "constant_values")
    if not isinstance(value, (int, float, np.integer, np.floating)):
        raise current().error("np.pad: constant_values must be one number known when compiling")
    return current().apply(PAD, [array], pad_width=widths, constant_values=value)


def _pad_with_copies(x, widths, mode):
    for axis, (before, after) in enumerate(widths):
        if before or after:
            x = current().apply(CONCATENATE, _sides(x, axis, before, after, mode), axis=axis)
    return x


def _sides(x, axis, before, after, mode):
    """[what goes before, x, what goes after] along axis: the edge element repeated, or the
    elements next to the edge in reverse (reflect leaves the edge out, symmetric keeps it)."""
    def along(s):
        return getitem(x, (slice(None),) * axis + (s,))

    if mode == "edge":
        def side(width, edge):
            piece = along(edge)
            return piece if width == 1 else current().apply(REPEAT, [piece], repeats=width, axis=axis)

        parts = [side(before, slice(None, 1)) if before else None, x, side(after, slice(-1, None)) if after else None]
        return [p for p in parts if p is not None]
    if not x.aval.known_shape:
        raise current().error(f"np.pad with mode={mode!r} needs the array's shape",
                              "call the function with example arguments, so that shapes are known.")
    n, reach = x.aval.shape[axis], (1 if mode == "reflect" else 0)
    if max(before, after) > n - reach:
        raise current().error(f"np.pad with mode={mode!r}: a width of {max(before, after)} is more than this "
                              f"axis of length {n} reaches", "pad in steps, or use mode='edge'.")
    parts = [x]
    if before:  # x[2:0:-1] (reflect) or x[1::-1] (symmetric)
        parts.insert(0, along(slice(before - 1 + reach, reach - 1 if reach else None, -1)))
    if after:  # x[-2:-4:-1] or x[:-3:-1], the stop left out where it would pass the first element
        stop = -1 - reach - after
        parts.append(along(slice(-1 - reach if reach else None, stop if stop >= -n else None, -1)))
    return parts
