"""scipy.signal.convolve and scipy.integrate.trapezoid, when SciPy imports.

The N-D full convolution is a primitive, emitted as SciPy's call; 'same' and 'valid' are
slices of it, as SciPy centres them. Its derivative in either operand is a correlation: the
full convolution of the cotangent with the other operand flipped along every axis, sliced to
the operand's place. scipy.integrate.trapezoid is np.trapezoid's binder (prims/scans.py)."""

try:
    import scipy.integrate
    import scipy.signal
except ImportError:  # an optional extra: without SciPy nothing below registers
    scipy = None

from ..ir import Aval, Sym
from .core import Primitive, array_operand, binds, current, static, wrap
from .scans import _trapezoid
from .shapes import result_dtype
from .syntax import src

FAMILY = "scipy.signal and scipy.integrate"  # grammar.md's list of callables (prims/catalog.py) groups by it

METHODS = ("auto", "direct", "fft")


def _convolve_shape(avals, params):
    a, v = avals
    if a.known_shape and v.known_shape:
        return Aval("array", tuple(n + m - 1 for n, m in zip(a.shape, v.shape)), result_dtype(avals, floating=True))
    return Aval("array", Sym(), result_dtype(avals, floating=True))


def _convolve_emit(a, p):
    method = p.get("method", "auto")
    return f"scipy.signal.convolve({a[0]}, {a[1]}{'' if method == 'auto' else f', method={src(method)}'})"


def _flipped(x):
    """x reversed along every axis."""
    return x[(slice(None, None, -1),) * x.aval.ndim]


def _window(x, starts, lengths):
    """x[s0:s0 + n0, s1:s1 + n1, ...], nothing where that is all of x."""
    if all(s == 0 and n == d for s, n, d in zip(starts, lengths, x.aval.shape)):
        return x
    return x[tuple(slice(s, s + n) for s, n in zip(starts, lengths))]


if scipy is not None:
    CONVOLVE_ND = Primitive("signal_convolve", emit=_convolve_emit, shape=_convolve_shape, fresh=True,
                            impl=lambda a, v, method="auto": scipy.signal.convolve(a, v, method=method),
                            imports=("scipy.signal",))

    def convolve(a, v, method):
        return current().apply(CONVOLVE_ND, [a, v], **({"method": method} if method != "auto" else {}))

    @CONVOLVE_ND.defjvp
    def _(t, out, ins, method="auto"):
        a, v = ins
        terms = [convolve(t[0], v, method) if t[0] is not None else None,
                 convolve(a, t[1], method) if t[1] is not None else None]
        return terms[1] if terms[0] is None else terms[0] if terms[1] is None else terms[0] + terms[1]

    @CONVOLVE_ND.defvjp
    def _(g, out, ins, active, method="auto"):
        """out[k] = sum_i a[i] v[k - i]: a[i] meets g against v flipped, at offsets m - 1 (v's
        lengths less one) of the full correlation; v likewise against a flipped."""
        a, v = ins
        n, m = a.aval.shape, v.aval.shape
        return (_window(convolve(g, _flipped(v), method), [k - 1 for k in m], n) if active[0] else None,
                _window(convolve(g, _flipped(a), method), [k - 1 for k in n], m) if active[1] else None)

    @binds(scipy.signal.convolve)
    def _convolve(in1, in2, mode="full", method="auto"):
        mode, method = static(mode, "mode"), static(method, "method")
        if mode not in ("full", "same", "valid"):
            raise current().error(f"scipy.signal.convolve: mode {mode!r} is not one of 'full', 'same', 'valid'")
        if method not in METHODS:
            raise current().error(f"scipy.signal.convolve: method {method!r} is not one of {', '.join(METHODS)}")
        a, v = wrap(array_operand(in1)), wrap(array_operand(in2))
        if not a.aval.known_shape or not v.aval.known_shape:
            raise current().error("scipy.signal.convolve needs its operands' shapes: call with example arguments")
        n, m = a.aval.shape, v.aval.shape
        if len(n) != len(m):
            raise current().error(f"scipy.signal.convolve: in1 and in2 should have the same dimensionality, not "
                                  f"{len(n)} and {len(m)}")
        if 0 in n or 0 in m:
            raise current().error("scipy.signal.convolve: an operand is empty")
        if len(n) == 0:
            return a * v
        full = convolve(a, v, method)
        if mode == "full":
            return full
        if mode == "same":  # in1's shape, centred in the full result
            return _window(full, [(k - 1) // 2 for k in m], n)
        if not (all(i >= j for i, j in zip(n, m)) or all(j >= i for i, j in zip(n, m))):
            raise current().error("scipy.signal.convolve: for 'valid' mode, one of in1 and in2 must be at least as "
                                  f"large as the other in every dimension, not shapes {n} and {m}")
        return _window(full, [min(i, j) - 1 for i, j in zip(n, m)], [abs(i - j) + 1 for i, j in zip(n, m)])

    binds(scipy.integrate.trapezoid)(_trapezoid)
