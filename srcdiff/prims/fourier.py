"""numpy.fft on real inputs: the complex transforms (fft, ifft, fft2, ifft2, fftn, ifftn),
the real ones (rfft, rfft2, rfftn and their inverses irfft, irfft2, irfftn), and the shifts
(fftshift, ifftshift, which are rolls).

Complex values (grammar.md, "complex values"): the differentiated function takes and
returns real numbers, and complex values flow between them through the operations whose
rules hold for them (the Op fact complex_ok). A complex z = a + ib is the pair (a, b): its
tangent is da + i db, its cotangent zbar = dL/da + i dL/db. So a complex-linear map A has the
VJP zbar = conj(A).T outbar, a real-linear one (rfft, irfft) its adjoint for the real inner
product Re(conj(u) v), and a real value that went into a complex one takes the real part of
its cotangent (transforms/reverse.py).

Every transform is linear, so its JVP is the transform of the tangent. Its VJP:

    fft(x, norm)        ifft(g, norm=dual)       dual: backward <-> forward, ortho itself
    ifft(x, norm)       fft(g, norm=dual)        (conj(F).T = n ifft = ifft(norm="forward"))
    rfft(x, n, norm)    np.real(ifft(g, n, norm=dual)): g padded with zeros to the n bins
                        rfft left out, through the adjoint of the full transform
    irfft(z, n, norm)   rfft(g, norm=dual) with the bins other than 0 and n/2 doubled: each
                        stands for itself and its conjugate mirror in irfft's sum

and with n (or s) the adjoint of the padding or cutting of the input to n: the cotangent cut
back or padded with zeros to the input's length (the n-d forms do this along each axis)."""
import numpy as np

from ..ir import Aval, Const
from .core import Primitive, binds, current, static, wrap
from .elementwise import real_part
from .indexing import getitem
from .joining import CONCATENATE
from .structural import PAD, ROLL
from .syntax import call

FAMILY = "FFT"  # grammar.md's list of callables (prims/catalog.py) groups by it

_DUAL = {None: "forward", "backward": "forward", "forward": None, "ortho": "ortho"}  # None is backward
_ONE_AXIS = {"fft", "ifft", "rfft", "irfft"}
# each transform's inverse kind, the one its VJP runs
_INVERSE = {"fft": "ifft", "ifft": "fft", "fft2": "ifft2", "ifft2": "fft2", "fftn": "ifftn", "ifftn": "fftn"}
_DEFAULTS = {"n": None, "axis": -1, "s": None, "norm": None}


def _emit(a, p):
    defaults = dict(_DEFAULTS, axes=(-2, -1) if p["_kind"].endswith("2") else None)
    return call(f"np.fft.{p['_kind']}", a, p, defaults)


def _impl(x, _kind, **params):
    return getattr(np.fft, _kind)(x, **params)


def _shape(avals, params):
    """The input's shape with the transformed lengths (rfft's last axis n // 2 + 1 bins), in the
    dtype NumPy gives (complex64 of float32; irfft's real)."""
    x = avals[0]
    kind = params["_kind"]
    axes, lengths = _axes_and_lengths(x.shape, params)
    shape = list(x.shape)
    for a, n in zip(axes, lengths):
        shape[a] = n
    if kind.startswith("rfft"):
        shape[axes[-1]] = lengths[-1] // 2 + 1
    base = "irfft" if kind.startswith("irfft") else "rfft" if kind.startswith("rfft") else "fft"
    probe = np.zeros(4, x.dtype if x.dtype is not None else np.float64)
    dtype = getattr(np.fft, base)(probe.real if base == "rfft" else probe).dtype  # NumPy's, on 4 numbers
    return Aval("array", tuple(shape), dtype)


def _transform(name):
    return Primitive(name, emit=_emit, impl=_impl, shape=_shape, fresh=True, complex_ok=True)


FFT = _transform("fft")  # the complex transforms: fft, ifft, fft2, ifft2, fftn, ifftn
RFFT = _transform("rfft")  # of a real array: rfft, rfft2, rfftn
IRFFT = _transform("irfft")  # to a real array: irfft, irfft2, irfftn


def _axes_and_lengths(shape, p):
    """The transformed axes (non-negative, in order) and the lengths the transform takes
    along them (its n or s, else the input's; irfft's last one its output's)."""
    ndim = len(shape)
    if p["_kind"] in _ONE_AXIS:
        axes = (p["axis"] % ndim,)
        lengths = (p["n"],)
    else:
        axes = p.get("axes", (-2, -1) if p["_kind"].endswith("2") else None)
        axes = tuple(range(ndim)) if axes is None else tuple(a % ndim for a in axes)
        lengths = p["s"] if p["s"] is not None else (None,) * len(axes)
    lengths = tuple(shape[a] if n is None else n for a, n in zip(axes, lengths))
    if p["_kind"].startswith("irfft") and p.get("n" if p["_kind"] == "irfft" else "s") is None:
        lengths = lengths[:-1] + (2 * (shape[axes[-1]] - 1),)
    return axes, lengths


def _resized(g, axis, length):
    """g cut or padded with zeros to length along axis: the adjoint of NumPy's n (or s)."""
    have = g.aval.shape[axis]
    if have > length:
        return getitem(g, (slice(None),) * axis + (slice(None, length),))
    if have < length:
        widths = tuple((0, length - have if k == axis else 0) for k in range(g.aval.ndim))
        return current().apply(PAD, [g], pad_width=widths, constant_values=0)
    return g


def _back_to(g, x, axes):
    for a in axes:
        g = _resized(g, a, x.aval.shape[a])
    return g


def _same_axes(p):
    """The axis keywords of p, for a transform along the same axes (no n or s)."""
    if p["_kind"] in _ONE_AXIS:
        return {"n": None, "axis": p["axis"]}
    return {"s": None, "axes": p["axes"]}


def _with(kind, g, p, **size):
    """The transform of this kind along p's axes with the dual normalisation."""
    params = dict(_kind=kind, **_same_axes(p), norm=_DUAL[p["norm"]])
    params.update(size)
    return current().apply(FFT if kind in _INVERSE else RFFT if kind.startswith("rfft") else IRFFT, [g], **params)


for _prim in (FFT, RFFT, IRFFT):
    _prim.defjvp(lambda t, out, ins, _prim=_prim, **p: current().apply(_prim, [t[0]], **p))


@FFT.defvjp
def _(g, out, ins, active, **p):
    x = ins[0]
    axes, _ = _axes_and_lengths(x.aval.shape, p)
    return (_back_to(_with(_INVERSE[p["_kind"]], g, p), x, axes),)


@RFFT.defvjp
def _(g, out, ins, active, **p):
    """rfft is the full transform's first n // 2 + 1 bins: its adjoint pads g with zeros to the
    n bins (ifft's n does) and runs the full transform's adjoint; x is real, so the real part."""
    x = ins[0]
    axes, lengths = _axes_and_lengths(x.aval.shape, p)
    kind = "i" + p["_kind"][1:]
    ndim = x.aval.ndim  # s with its axes spelled out (NumPy 2 deprecates s without them)
    spelled = p.get("axes") if p.get("axes") is not None else tuple(a - ndim for a in axes)
    size = {"n": lengths[0]} if kind == "ifft" else {"s": lengths, "axes": spelled}
    return (_back_to(real_part(_with(kind, g, p, **size)), x, axes),)


@IRFFT.defvjp
def _(g, out, ins, active, **p):
    """irfft(z)_j sums z_k e^(2 pi i jk / n) / n over the n // 2 + 1 bins and their conjugate
    mirrors, taking the real part: bin k > 0 (and not n / 2) counts twice. So its adjoint is
    rfft's transform of g with those bins doubled."""
    z = ins[0]
    axes, lengths = _axes_and_lengths(z.aval.shape, p)
    kind = "r" + p["_kind"][2:]
    bins = _with(kind, g, p)
    return (_back_to(_doubled(bins, axes[-1], lengths[-1]), z, axes),)


def _doubled(bins, axis, n):
    """The bins of a real signal of length n, those between the edges (bin 0, and n / 2 for an
    even n) doubled: np.concatenate([b[..., :1], 2 * b[..., 1:-1], b[..., -1:]])."""
    m = n // 2 + 1
    last = m - 1 if n % 2 == 0 else m  # where the doubled bins stop
    if last <= 1:
        return bins

    def along(s):
        return getitem(bins, (slice(None),) * axis + (s,))

    parts = [along(slice(None, 1)), 2 * along(slice(1, last if last < m else None))]
    if last < m:
        parts.append(along(slice(last, None)))
    return current().apply(CONCATENATE, parts, axis=axis)


# ---------------------------------------------------------------------------
# The binders: NumPy's signatures; shapes must be known (the lengths decide the output's).


def _operand(a, what, real=False):
    x = wrap(a)
    if not x.aval.known_shape:
        raise current().error(f"{what} needs the shape of its operand, which is not known when compiling",
                              "call the function with example arguments, so that shapes are known.")
    if x.aval.ndim == 0:
        raise current().error(f"{what} of a 0-d value: NumPy's transforms need at least one axis")
    dt = x.aval.dtype
    if real and dt is not None and dt.kind == "c":
        raise current().error(f"{what} of a complex array: it takes a real signal (NumPy drops the imaginary "
                              "part)", "take np.real(...) first, or use np.fft.fft.")
    return x


def _norm(norm, what):
    norm = static(norm, "norm")
    if norm not in (None, "backward", "ortho", "forward"):
        raise current().error(f"{what}: norm must be None, 'backward', 'ortho' or 'forward', not {norm!r}")
    return norm


def _int(v, what, name):
    v = static(v, name)
    if v is None:
        return None
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
        raise current().error(f"{what}: {name} must be a positive int known when compiling, not {v!r}")
    return int(v)


def _axis_of(x, axis, what):
    axis = static(axis, "axis")
    ndim = x.aval.ndim
    if not isinstance(axis, (int, np.integer)) or not -ndim <= axis < ndim:
        raise current().error(f"{what}: axis {axis!r} is out of bounds for an array of {ndim} dimensions")
    return int(axis)


def _one_axis(kind, real=False):
    what = f"np.fft.{kind}"
    prim = FFT if kind in _INVERSE else RFFT if kind == "rfft" else IRFFT

    def bind(a, n=None, axis=-1, norm=None, out=None):
        if out is not None:
            raise current().error(f"{what}: out= is not supported")
        x = _operand(a, what, real)
        n, axis = _int(n, what, "n"), _axis_of(x, axis, what)
        if kind == "irfft" and n is None and x.aval.shape[axis] < 2:
            raise current().error(f"{what}: invalid number of data points (0) specified", "pass n.")
        return current().apply(prim, [x], _kind=kind, n=n, axis=axis, norm=_norm(norm, what))

    return bind


def _many_axes(kind, real=False):
    what = f"np.fft.{kind}"
    prim = FFT if kind in _INVERSE else RFFT if kind.startswith("rfft") else IRFFT
    default = (-2, -1) if kind.endswith("2") else None

    def bind(a, s=None, axes=default, norm=None, out=None):
        if out is not None:
            raise current().error(f"{what}: out= is not supported")
        x = _operand(a, what, real)
        s, axes = static(s, "s"), static(axes, "axes")
        ndim = x.aval.ndim
        if axes is not None:
            axes = tuple(_axis_of(x, v, what) for v in (axes if isinstance(axes, (tuple, list)) else (axes,)))
            if len({v % ndim for v in axes}) != len(axes):
                raise current().error(f"{what}: repeated axis in {axes!r}")
        if s is not None:
            s = tuple(_int(v, what, "s") for v in (s if isinstance(s, (tuple, list)) else (s,)))
            if axes is None and default is None:
                axes = tuple(range(-len(s), 0))  # NumPy's: s names the last len(s) axes
            if len(s) != len(axes if axes is not None else default):
                raise current().error(f"{what}: s and axes have different lengths")
        if axes is not None and len(axes) == 0:
            raise current().error(f"{what}: no axes to transform")
        return current().apply(prim, [x], _kind=kind, s=s, axes=axes, norm=_norm(norm, what))

    return bind


for _kind in ("fft", "ifft"):
    binds(getattr(np.fft, _kind))(_one_axis(_kind))
binds(np.fft.rfft)(_one_axis("rfft", real=True))
binds(np.fft.irfft)(_one_axis("irfft"))
for _kind in ("fft2", "ifft2", "fftn", "ifftn"):
    binds(getattr(np.fft, _kind))(_many_axes(_kind))
for _kind in ("rfft2", "rfftn"):
    binds(getattr(np.fft, _kind))(_many_axes(_kind, real=True))
for _kind in ("irfft2", "irfftn"):
    binds(getattr(np.fft, _kind))(_many_axes(_kind))


def _shift(what, sign):
    def bind(x, axes=None):
        x = _operand(x, what)
        axes = static(axes, "axes")
        ndim = x.aval.ndim
        axes = tuple(range(ndim)) if axes is None else tuple(
            _axis_of(x, v, what) % ndim for v in (axes if isinstance(axes, (tuple, list)) else (axes,)))
        shift = tuple(sign * (x.aval.shape[a] // 2) for a in axes)
        if len(axes) == 1:
            shift, axes = shift[0], axes[0]  # np.roll(x, 4, axis=0)
        return current().apply(ROLL, [x], shift=shift, axis=axes)

    return bind


# fftshift moves bin 0 to the middle, ifftshift back: rolls by half of each axis
binds(np.fft.fftshift)(_shift("np.fft.fftshift", 1))
binds(np.fft.ifftshift)(_shift("np.fft.ifftshift", -1))


def _frequencies(fn):
    """fftfreq and rfftfreq: constants, given the length and the spacing known when compiling."""
    def bind(n, d=1.0, device=None):
        n, d = static(n, "n"), static(d, "d")
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise current().error(f"np.fft.{fn.__name__}: n must be an int, not {n!r}")
        return wrap(Const(fn(int(n), d)))

    return bind


binds(np.fft.fftfreq)(_frequencies(np.fft.fftfreq))
binds(np.fft.rfftfreq)(_frequencies(np.fft.rfftfreq))
