"""scipy.special, when SciPy imports (never a hard dependency): when it does not, nothing
here registers, and a call of scipy.special is what any unknown callable is.

Each function is a primitive declared once in a table with its partial derivatives, as
the elementwise family declares its own (prims/elementwise.py): a partial is a function
of the operands and the output, written with NumPy and the other functions of this
table (digamma' = polygamma(1, .), i0' = i1, iv' = (iv(v - 1) + iv(v + 1)) / 2), so
every rule is made of differentiable primitives and higher orders come for free. An
operand without a closed-form derivative (the order v of iv, the a of gammainc) is
refused, with a located error, where it is differentiated. Emitted code calls the
functions as scipy.special.gammaln(x) (codegen imports scipy.special where it is used).

logsumexp, softmax, log_softmax and multigammaln are compositions of NumPy's and these
primitives, written as the formulas (max-shifted; the shift gets no derivative,
transforms/shift.py)."""
import math

import numpy as np

from .broadcasting import unbroadcast
from . import batching
from .core import Primitive, array_operand, binds, current, static, wrap
from .elementwise import bind_elementwise, chain
from .shapes import elementwise

try:
    import scipy.special
except ImportError:  # an optional extra: without it, nothing registers
    scipy = None

FAMILY = "scipy.special"  # grammar.md's list of callables (prims/catalog.py) groups by it

SPECIAL = {}  # name -> primitive


class Refused:
    """A partial derivative with no closed form (or of an integer operand): differentiating
    that operand is refused, saying why."""

    def __init__(self, why, hint="pass it as a constant (an argument outside argnums, or a literal)."):
        self.why, self.hint = why, hint


def _shape(dtype):
    """Elementwise, a float; float64 where SciPy's function is float64 whatever it is given
    (polygamma, yn)."""
    base = elementwise(floating=True)
    if dtype is None:
        return base

    def shape(avals, params):
        aval = base(avals, params)
        return type(aval)(aval.kind, aval.shape, np.dtype(dtype))

    return shape


def special(name, operands, partials, fn=None, emit_name=None, dtype=None, bind=True):
    """The primitive of scipy.special.<name> (or fn), with one partial per operand (named
    as SciPy's documentation names them, for errors)."""
    operands = operands.split()
    fn = fn if fn is not None else getattr(scipy.special, name)
    spelled = f"scipy.special.{emit_name or name}"
    prim = Primitive(name, lambda args, params: f"{spelled}({', '.join(args)})", fn, _shape(dtype),
                     hoistable=True, fresh=True, imports=("scipy.special",), batch=batching.elementwise)
    SPECIAL[name] = prim

    def partial(i, ins, out):
        d = partials[i]
        if isinstance(d, Refused):
            raise current().error(f"no derivative of {spelled} in its argument {operands[i]}: {d.why}", d.hint)
        return d(*ins, out)

    @prim.defjvp
    def jvp(tangents, out, ins):
        total = None
        for i, t in enumerate(tangents):
            if t is not None:
                term = t * partial(i, ins, out)
                total = term if total is None else total + term
        return total

    @prim.defvjp
    def vjp(g, out, ins, active):
        return tuple(unbroadcast(chain(g, partial(i, ins, out)), ins[i]) if active[i] else None
                     for i in range(len(partials)))

    if bind:
        bind_elementwise(prim, len(partials), [fn])
    return prim


def apply(name, *operands):
    """scipy.special.<name>(operands) in a rule (a function the table binds by hand)."""
    return current().apply(SPECIAL[name], list(operands))


_ORDER = Refused("it is an integer order, with no derivative")
_NO_CLOSED_FORM = "its derivative there has no closed form in scipy.special"
_SQRT_PI = math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2.0 * math.pi)

if scipy is not None:
    sc = scipy.special

    # the logistic function and its inverse
    special("expit", "x", [lambda x, y: y * (1 - y)])
    special("logit", "x", [lambda x, y: 1 / (x * (1 - x))])
    special("log_expit", "x", [lambda x, y: sc.expit(-x)])  # log σ(x)' = 1 - σ(x) = σ(-x)

    # gamma and its relatives
    special("digamma", "x", [lambda x, y: apply("polygamma", 1, x)], emit_name="digamma")
    special("polygamma", "n x", [_ORDER, lambda n, x, y: apply("polygamma", n + 1, x)], dtype=np.float64, bind=False)
    special("gammaln", "x", [lambda x, y: sc.digamma(x)])
    special("gamma", "x", [lambda x, y: y * sc.digamma(x)])
    special("rgamma", "x", [lambda x, y: -y * sc.digamma(x)])
    special("beta", "a b", [lambda a, b, y: y * (sc.digamma(a) - sc.digamma(a + b)),
                     lambda a, b, y: y * (sc.digamma(b) - sc.digamma(a + b))])
    special("betaln", "a b", [lambda a, b, y: sc.digamma(a) - sc.digamma(a + b),
                       lambda a, b, y: sc.digamma(b) - sc.digamma(a + b)])
    # the regularized incomplete functions, in x: the densities x^(a-1) e^-x / Γ(a) and
    # x^(a-1) (1-x)^(b-1) / B(a, b), in logs (xlogy is 0 where a = 1 and x = 0)
    _in_a = Refused(_NO_CLOSED_FORM + " (a shape parameter)")
    special("gammainc", "a x", [_in_a, lambda a, x, y: np.exp(sc.xlogy(a - 1, x) - x - sc.gammaln(a))])
    special("gammaincc", "a x", [_in_a, lambda a, x, y: -np.exp(sc.xlogy(a - 1, x) - x - sc.gammaln(a))])
    special("betainc", "a b x", [_in_a, _in_a,
                        lambda a, b, x, y: np.exp(sc.xlogy(a - 1, x) + sc.xlog1py(b - 1, -x) - sc.betaln(a, b))])

    # the error function, its complement and inverses, the normal distribution's cdf
    special("erf", "x", [lambda x, y: (2 / _SQRT_PI) * np.exp(-x * x)])
    special("erfc", "x", [lambda x, y: (-2 / _SQRT_PI) * np.exp(-x * x)])
    special("erfinv", "y", [lambda x, y: (_SQRT_PI / 2) * np.exp(y * y)])
    special("erfcinv", "y", [lambda x, y: (-_SQRT_PI / 2) * np.exp(y * y)])
    special("ndtr", "x", [lambda x, y: np.exp(-0.5 * x * x) / _SQRT_2PI])
    special("log_ndtr", "x", [lambda x, y: np.exp(-0.5 * x * x - y) / _SQRT_2PI])  # the pdf over the cdf, in logs
    special("ndtri", "y", [lambda x, y: _SQRT_2PI * np.exp(0.5 * y * y)])
    # Student's t cdf in t: the density, in logs
    special("stdtr", "df t", [Refused(_NO_CLOSED_FORM + " (the degrees of freedom)"),
                      lambda df, t, y: np.exp(sc.gammaln((df + 1) / 2) - sc.gammaln(df / 2) - 0.5 * np.log(df * np.pi)
                                              - (df + 1) / 2 * np.log1p(t * t / df))])

    # x log y and x log(1 + y), 0 where x = 0 (as SciPy's); entropy -x log x
    special("xlogy", "x y", [lambda x, y, out: np.log(y), lambda x, y, out: x / y])
    special("xlog1py", "x y", [lambda x, y, out: np.log1p(y), lambda x, y, out: x / (1 + y)])
    special("entr", "x", [lambda x, y: -(np.log(x) + 1)])

    # Bessel functions: the recurrences Z_v' = (Z_(v-1) -+ Z_(v+1)) / 2
    _in_v = Refused(_NO_CLOSED_FORM + " (the order)")
    special("i0", "x", [lambda x, y: sc.i1(x)])
    special("i1", "x", [lambda x, y: (sc.i0(x) + sc.iv(2, x)) / 2])  # i0 - i1 / x, without the 0 / 0 at 0
    special("iv", "v z", [_in_v, lambda v, x, y: (sc.iv(v - 1, x) + sc.iv(v + 1, x)) / 2])
    # ive = iv e^-|x|
    special("ive", "v z", [_in_v, lambda v, x, y: (sc.ive(v - 1, x) + sc.ive(v + 1, x)) / 2 - np.sign(x) * y])
    special("j0", "x", [lambda x, y: -sc.j1(x)])
    special("j1", "x", [lambda x, y: (sc.j0(x) - sc.jv(2, x)) / 2])
    special("jv", "v z", [_in_v, lambda v, x, y: (sc.jv(v - 1, x) - sc.jv(v + 1, x)) / 2])  # scipy.special.jn is jv
    special("y0", "x", [lambda x, y: -sc.y1(x)])
    special("y1", "x", [lambda x, y: (sc.y0(x) - sc.yn(2, x)) / 2])
    special("yn", "n x", [_ORDER, lambda n, x, y: (sc.yn(n - 1, x) - sc.yn(n + 1, x)) / 2], dtype=np.float64)

    @binds(sc.polygamma)
    def _polygamma(n, x):
        return apply("polygamma", array_operand(n), array_operand(x))

    # -- compositions

    def _axis(axis, what):
        axis = static(axis, f"{what}'s axis")
        if isinstance(axis, list):
            axis = tuple(axis)
        if not (axis is None or isinstance(axis, (int, np.integer)) or isinstance(axis, tuple)):
            raise current().error(f"{what}'s axis must be None, an int or a tuple of ints, not {axis!r}")
        return axis

    def _max_shifted(a, axis, keepdims):
        """a - max(a) along axis, and the max: kept (keepdims) or with the axes dropped."""
        m = np.max(a, axis=axis, keepdims=keepdims)
        if keepdims or axis is None:
            return a - m, m
        return a - np.expand_dims(m, axis), m

    @binds(sc.logsumexp)
    def _logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
        """log(sum(b * exp(a - m))) + m, m the max along axis."""
        axis = _axis(axis, "scipy.special.logsumexp")
        keepdims = static(keepdims, "scipy.special.logsumexp's keepdims")
        return_sign = static(return_sign, "scipy.special.logsumexp's return_sign")
        a = array_operand(a)
        shifted, m = _max_shifted(a, axis, keepdims)
        e = np.exp(shifted)
        if b is not None:
            e = array_operand(b) * e
        s = np.sum(e, axis=axis, keepdims=keepdims)
        if return_sign:
            return np.log(np.abs(s)) + m, np.sign(s)
        return np.log(s) + m

    @binds(sc.softmax)
    def _softmax(x, axis=None):
        axis = _axis(axis, "scipy.special.softmax")
        e = np.exp(_max_shifted(array_operand(x), axis, True)[0])
        return e / np.sum(e, axis=axis, keepdims=True)

    @binds(sc.log_softmax)
    def _log_softmax(x, axis=None):
        axis = _axis(axis, "scipy.special.log_softmax")
        shifted = _max_shifted(array_operand(x), axis, True)[0]
        return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))

    @binds(sc.multigammaln)
    def _multigammaln(a, d):
        """log Γ_d(a) = d(d-1)/4 log π + Σ_j gammaln(a - j/2), j = 0 .. d-1."""
        d = static(d, "scipy.special.multigammaln's d")
        if not isinstance(d, (int, np.integer)) or isinstance(d, bool) or d < 1:
            raise current().error(f"scipy.special.multigammaln's d must be a positive integer, not {d!r}")
        a = wrap(array_operand(a))
        total = sc.gammaln(a)
        for j in range(1, int(d)):
            total = total + sc.gammaln(a - j / 2)
        return total + (d * (d - 1) / 4) * math.log(math.pi)
