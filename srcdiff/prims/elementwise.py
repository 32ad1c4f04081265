"""Elementwise primitives. Each is declared once with its local derivative
(partials in terms of the inputs and the output); JVP and VJP both follow
from it, VJP taking every adjoint back to its operand's shape."""
import builtins
import math
import numbers
import operator

import numpy as np

from ..ir import COND, Aval, Const, Var
from . import batching
from .broadcasting import BROADCAST_TO, unbroadcast
from .creation import ZEROS, ZEROS_LIKE
from .indexing import INDEX_UPDATE
from .core import Primitive, T, array_operand, as_atom, attribute, binds, const_equals, current, method, static, wrap
from .shapes import BOOL, broadcast_shape, elementwise, like_input, result_dtype
from .syntax import template

FAMILY = "elementwise"  # grammar.md's list of callables (prims/catalog.py) groups by it


def _operand(a, inside=False):
    """A traced value, a number or an array; or a list of numbers, which NumPy takes as an array."""
    if isinstance(a, (numbers.Number, np.ndarray, np.generic)) or (isinstance(a, (T, Var, Const)) and not inside):
        return True
    return isinstance(a, (list, tuple)) and all(_operand(x, True) for x in a)


def _plain(a):
    """A constant Python compares or combines itself ('l2' == MODE), not an object in disguise."""
    if isinstance(a, (list, tuple)):
        return all(_plain(x) for x in a)
    return isinstance(a, (str, bytes, numbers.Number, type(None), np.dtype, type))  # x.dtype == np.float32


def _is_bool_scalar(a):
    aval = a.aval
    return aval.dtype is not None and aval.dtype.kind == "b" and aval.known_shape and aval.shape == ()


def _ufunc_binder(prim, n, lists_are_arrays):
    """The binder of an elementwise callable. NumPy's take a list or tuple of numbers and
    values as an array (np.add([a, 1.0], x)); Python's operators and math's do not."""
    def bind(*args, **kwargs):
        if kwargs:
            raise current().error(
                f"keyword arguments {sorted(kwargs)} of {prim.name} are not supported",
                "call it with positional operands only.",
            )
        if len(args) != n:
            raise TypeError(f"{prim.name} takes {n} operand(s), got {len(args)}")
        if lists_are_arrays:
            args = [array_operand(a) if isinstance(a, (list, tuple)) else a for a in args]
        traced = any(isinstance(a, T) for a in args)
        for a in args:  # numbers, arrays and (between constants only) what Python compares
            if not _operand(a) and (traced or not _plain(a)):
                raise TypeError(f"unsupported operand for {prim.name}: {type(a).__name__} {a!r} is not a number "
                                "or an array")
        if prim is NEG and traced and _is_bool_scalar(args[0]):
            return current().apply(BINARY["mul"], [-1, args[0]])  # -(a < b) is -1 or 0, as in Python
        return current().apply(prim, args)

    return bind


def bind_elementwise(prim, n, callables):
    """Register the callables that compute prim (np.sin and math.sin)."""
    numpy_ones = [c for c in callables if isinstance(c, np.ufunc) or getattr(c, "__module__", "") == "numpy"]
    others = [c for c in callables if c not in numpy_ones]
    binds(*numpy_ones)(_ufunc_binder(prim, n, lists_are_arrays=True))
    binds(*others)(_ufunc_binder(prim, n, lists_are_arrays=False))


# ---------------------------------------------------------------------------
# Adjoints that are zero where a value never reached the output


def known_zero(x):
    """Whether x is zero, as far as can be told when compiling: 0, np.zeros(...),
    np.zeros_like(...), a broadcast of 0."""
    atom = as_atom(x)
    if isinstance(atom, Const):
        if not atom.known:
            return False
        v = atom.value
        return isinstance(v, (int, float, np.number, np.ndarray)) and not isinstance(v, bool) and np.size(v) > 0 \
            and not np.any(v)
    made = current().producer(atom)
    return made is not None and (made.prim in (ZEROS, ZEROS_LIKE) or (
        made.prim is BROADCAST_TO and known_zero(made.ins[0])))


def chain(g, derivative):
    """g * derivative, an adjoint times a local derivative, zero wherever g is known to be:
    where g comes from np.where(c, h, 0) or from writing zeros into h (the parts of a value
    that never reach the output: the other side of a where, elements overwritten later), the
    product is of h, zeroed the same way after, so an infinite local derivative there
    (sqrt and log at 0) gives 0 rather than 0 * inf = nan."""
    g = wrap(g)
    if known_zero(g):
        return g
    product = g * derivative
    made = current().producer(g.atom)
    if made is None or not (product.aval.known_shape and product.aval.shape == g.aval.shape):
        return product
    if made.prim is WHERE:
        c, a, b = (T(v) for v in made.ins)
        if known_zero(b):
            return np.where(c, chain(a, derivative), b)
        if known_zero(a):
            return np.where(c, a, chain(b, derivative))
    if made.prim is INDEX_UPDATE and known_zero(made.ins[1]):
        base = chain(T(made.ins[0]), derivative)
        if base.aval.known_shape and base.aval.shape == g.aval.shape:
            return current().apply(INDEX_UPDATE, [base, *made.ins[1:]], **made.params)
    if made.prim is COND and not made.params.get("residuals"):
        # zero on one side of an if (a value the branch taken rebinds before it is read)
        j = next(k for k, o in enumerate(made.outs) if o is g.atom)
        zero = [yields_zero(b, b.results[j]) for b in made.blocks]
        if zero[0] != zero[1]:
            pred = T(made.ins[0])
            return np.where(pred, 0.0, product) if zero[0] else np.where(pred, product, 0.0)
    return product


def yields_zero(block, atom):
    """Whether a branch yields zeros for this result (0.0, or zeros it makes)."""
    if isinstance(atom, Const):
        return known_zero(T(atom))
    made = next((e for e in block.eqns if any(o is atom for o in e.outs)), None)
    return made is not None and (made.prim in (ZEROS, ZEROS_LIKE) or (
        made.prim is BROADCAST_TO and isinstance(made.ins[0], Const) and known_zero(T(made.ins[0]))))


# ---------------------------------------------------------------------------
# Unary: derivative as a function of the input x and the output y.

UNARY = {}


def unary(name, callables, derivative, emit=None, impl=None, floating=True, on_floats=None, shift=None,
          complex_ok=False, shape=None):
    impl = impl or callables[0]
    # the spelling for a Python float, where a NumPy call costs ten times more (math.cos)
    on_floats = on_floats or next(
        (f"math.{c.__name__}" for c in callables if getattr(c, "__module__", None) == "math"), None)
    # of a Python number: a Python number where Python spells it (abs), else NumPy's scalar
    prim = Primitive(name, emit or template(f"np.{name}({{0}})"), impl,
                     shape or elementwise(floating, numpy_scalar=floating or on_floats is None), hoistable=True,
                     fresh=True, on_python_floats=on_floats, shift=shift, complex_ok=complex_ok,
                     batch=batching.elementwise)
    UNARY[name] = prim

    @prim.defjvp
    def jvp(tangents, out, ins):
        return tangents[0] * derivative(ins[0], out)

    @prim.defvjp
    def vjp(g, out, ins, active):
        return (chain(g, conj_if_complex(derivative(ins[0], out))),)

    bind_elementwise(prim, 1, callables)
    return prim


unary("sin", [np.sin, math.sin], lambda x, y: np.cos(x))
unary("cos", [np.cos, math.cos], lambda x, y: -np.sin(x))
unary("tan", [np.tan, math.tan], lambda x, y: 1 + y * y)
unary("arcsin", [np.arcsin, math.asin], lambda x, y: 1 / np.sqrt(1 - x * x))
unary("arccos", [np.arccos, math.acos], lambda x, y: -1 / np.sqrt(1 - x * x))
unary("arctan", [np.arctan, math.atan], lambda x, y: 1 / (1 + x * x))
unary("sinh", [np.sinh, math.sinh], lambda x, y: np.cosh(x))
unary("cosh", [np.cosh, math.cosh], lambda x, y: np.sinh(x))
unary("tanh", [np.tanh, math.tanh], lambda x, y: 1 - y * y)
# the logistic function, as people write it; transforms/sigmoid.py recognises that spelling,
# so the derivative is y * (1 - y) from the output alone, as a hand-writer takes it
unary("sigmoid", [], lambda x, y: y * (1 - y), emit=template("1.0 / (1.0 + np.exp(-{0}))"),
      on_floats="1.0 / (1.0 + math.exp(-{0}))",
      impl=lambda x: 1.0 / (1.0 + np.exp(-x)))
unary("arcsinh", [np.arcsinh, math.asinh], lambda x, y: 1 / np.sqrt(x * x + 1))
unary("arccosh", [np.arccosh, math.acosh], lambda x, y: 1 / np.sqrt(x * x - 1))
unary("arctanh", [np.arctanh, math.atanh], lambda x, y: 1 / (1 - x * x))
unary("exp", [np.exp, math.exp], lambda x, y: y, shift="exp", complex_ok=True)
unary("exp2", [np.exp2], lambda x, y: y * math.log(2.0))
unary("expm1", [np.expm1, math.expm1], lambda x, y: y + 1)
unary("log", [np.log], lambda x, y: 1 / x, on_floats="math.log", shift="log")  # math.log binds below
unary("log2", [np.log2, math.log2], lambda x, y: 1 / (x * math.log(2.0)))
unary("log10", [np.log10, math.log10], lambda x, y: 1 / (x * math.log(10.0)))
unary("log1p", [np.log1p, math.log1p], lambda x, y: 1 / (1 + x))
unary("sqrt", [np.sqrt, math.sqrt], lambda x, y: 0.5 / y)
unary("cbrt", [np.cbrt], lambda x, y: 1 / (3 * y * y))
unary("square", [np.square], lambda x, y: 2 * x, floating=False, complex_ok=True)
unary("reciprocal", [np.reciprocal], lambda x, y: -y * y, floating=False)
# |x|' = sign(x): 0 at 0, the subgradient the course material uses for ReLU-like kinks.
ABS = unary("abs", [np.abs, np.absolute, builtins.abs, math.fabs], lambda x, y: np.sign(x), floating=False,
            on_floats="abs", complex_ok=True, shape=lambda avals, p: _real_valued(elementwise()(avals, p)))
_real_abs_jvp, _real_abs_vjp = ABS.jvp, ABS.vjp


def _direction(z, r):
    """z / |z| of a complex z, 0 where z is 0 (the subgradient 0, as sign(0) is for a real x)."""
    return z / np.where(r == 0, 1.0, r)


@ABS.defjvp
def _(tangents, out, ins):
    """|z|' along t is Re(conj(z) t) / |z|: |z| is not holomorphic, so not t times a derivative."""
    if not is_complex(ins[0]):
        return _real_abs_jvp(tangents, out, ins)
    return real_part(tangents[0] * np.conj(_direction(ins[0], out)))


@ABS.defvjp
def _(g, out, ins, active):
    """d|z|/da + i d|z|/db = (a + ib) / |z|: the cotangent is g z / |z| (g real)."""
    if not is_complex(ins[0]):
        return _real_abs_vjp(g, out, ins, active)
    return (chain(g, _direction(ins[0], out)),)
# sinc(x) = sin(pi x) / (pi x), whose derivative is (cos(pi x) - sinc(x)) / x; at x = 0 it is
# its Taylor line -pi^2 x / 3 there, so the derivatives of sinc at 0 are right to the third order
unary("sinc", [np.sinc], lambda x, y: np.where(x == 0, (-np.pi ** 2 / 3) * x,
                                               (np.cos(np.pi * x) - y) / np.where(x == 0, 1.0, x)))
# nan_to_num's output moves with x where x is finite; nan and inf are replaced by constants
unary("nan_to_num", [np.nan_to_num], lambda x, y: np.where(np.isfinite(x), 1.0, 0.0), floating=False)

NEG = Primitive("neg", template("-{0}"), operator.neg, elementwise(), hoistable=True, fresh=True,
                batch=batching.elementwise, shift="negate",
                complex_ok=True)
NEG.defjvp(lambda tangents, out, ins: -tangents[0])
NEG.defvjp(lambda g, out, ins, active: (-g,))
bind_elementwise(NEG, 1, [np.negative, operator.neg])


@binds(math.log)
def _math_log(x, base=None):
    y = current().apply(UNARY["log"], [x])
    return y if base is None else y / current().apply(UNARY["log"], [base])


# ---------------------------------------------------------------------------
# Without a derivative: the output is inactive (integers, booleans, steps).

NONDIFF = {}


def nondiff(name, callables, emit, impl=None, nargs=1, dtype=None, hoistable=False):
    prim = Primitive(name, emit, impl or callables[0], elementwise(dtype=dtype), differentiable=False, fresh=True,
                     hoistable=hoistable, batch=batching.elementwise)
    NONDIFF[name] = prim
    bind_elementwise(prim, nargs, callables)
    return prim


nondiff("sign", [np.sign], template("np.sign({0})"))
nondiff("floor", [np.floor], template("np.floor({0})"))
nondiff("ceil", [np.ceil], template("np.ceil({0})"))
nondiff("trunc", [np.trunc], template("np.trunc({0})"))
nondiff("heaviside", [np.heaviside], template("np.heaviside({0}, {1})"), nargs=2)
nondiff("rint", [np.rint, np.round], template("np.rint({0})"))
nondiff("isnan", [np.isnan], template("np.isnan({0})"), dtype=BOOL)
nondiff("isfinite", [np.isfinite], template("np.isfinite({0})"), dtype=BOOL)
nondiff("logical_not", [np.logical_not, operator.not_], template("np.logical_not({0})"), dtype=BOOL, hoistable=True)
nondiff("gt", [np.greater, operator.gt], template("{0} > {1}"), nargs=2, dtype=BOOL, hoistable=True)
nondiff("ge", [np.greater_equal, operator.ge], template("{0} >= {1}"), nargs=2, dtype=BOOL, hoistable=True)
nondiff("lt", [np.less, operator.lt], template("{0} < {1}"), nargs=2, dtype=BOOL, hoistable=True)
nondiff("le", [np.less_equal, operator.le], template("{0} <= {1}"), nargs=2, dtype=BOOL, hoistable=True)


def _types_compare(python, numpy):
    """x.dtype == np.float32 compares as Python does; np.equal takes no dtypes."""
    types = (np.dtype, type)
    return lambda a, b: python(a, b) if isinstance(a, types) or isinstance(b, types) else numpy(a, b)


nondiff("eq", [np.equal, operator.eq], template("{0} == {1}"), impl=_types_compare(operator.eq, np.equal), nargs=2,
        dtype=BOOL, hoistable=True)
nondiff("ne", [np.not_equal, operator.ne], template("{0} != {1}"), impl=_types_compare(operator.ne, np.not_equal),
        nargs=2, dtype=BOOL, hoistable=True)
nondiff("logical_and", [np.logical_and], template("np.logical_and({0}, {1})"), nargs=2, dtype=BOOL)
nondiff("logical_or", [np.logical_or], template("np.logical_or({0}, {1})"), nargs=2, dtype=BOOL)
nondiff("floordiv", [np.floor_divide, operator.floordiv], template("{0} // {1}"), nargs=2)


@binds(math.floor, math.ceil, math.trunc)
def _math_round(x):
    raise current().error(
        "math.floor/ceil/trunc return Python ints, which carry no derivative",
        "use np.floor or np.ceil, whose result is a float with derivative 0.",
    )


# ---------------------------------------------------------------------------
# Binary: partial derivatives wrt each operand, as functions of (x, y, out).

BINARY = {}


def binary(name, callables, emit, partials, impl=None, floating=False, numpy_scalar=None, hoistable=False,
           commutative=False, shift=None, complex_ok=False):
    """partials: holomorphic ones where complex_ok (x * y, x / y): a VJP takes their conjugate."""
    prim = Primitive(name, emit, impl or callables[0], elementwise(floating, numpy_scalar=numpy_scalar), fresh=True,
                     hoistable=hoistable, commutative=commutative, shift=shift, complex_ok=complex_ok,
                     batch=batching.elementwise)
    BINARY[name] = prim

    @prim.defjvp
    def jvp(tangents, out, ins):
        terms = [t * d(*ins, out) for t, d in zip(tangents, partials) if t is not None]
        total = terms[0]
        for t in terms[1:]:
            total = total + t
        return total

    @prim.defvjp
    def vjp(g, out, ins, active):
        if ins[0].atom is ins[1].atom and active[0]:
            # f(x, x): both partials at once, so x * x gives 2 * x * g, not x * g + x * g
            both = partials[0](*ins, out) + partials[1](*ins, out)
            return unbroadcast(chain(g, conj_if_complex(both)), ins[0]), None
        return tuple(
            unbroadcast(chain(g, conj_if_complex(d(*ins, out))), ins[i]) if active[i] else None
            for i, d in enumerate(partials)
        )

    bind_elementwise(prim, 2, callables)
    return prim


ADD = Primitive("add", template("{0} + {1}"), operator.add, elementwise(), hoistable=True, fresh=True, commutative=True,
                batch=batching.elementwise,
                shift="add", complex_ok=True)
SUB = Primitive("sub", template("{0} - {1}"), operator.sub, elementwise(), hoistable=True, fresh=True, shift="subtract",
                batch=batching.elementwise,
                complex_ok=True)
ADD.defjvp(lambda t, out, ins: t[1] if t[0] is None else t[0] if t[1] is None else t[0] + t[1])
ADD.defvjp(lambda g, out, ins, active: tuple(unbroadcast(g, x) if a else None for x, a in zip(ins, active)))
SUB.defjvp(lambda t, out, ins: -t[1] if t[0] is None else t[0] if t[1] is None else t[0] - t[1])
SUB.defvjp(
    lambda g, out, ins, active: (
        unbroadcast(g, ins[0]) if active[0] else None,
        -unbroadcast(g, ins[1]) if active[1] else None,
    )
)
bind_elementwise(ADD, 2, [np.add, operator.add])
bind_elementwise(SUB, 2, [np.subtract, operator.sub])

binary("mul", [np.multiply, operator.mul], template("{0} * {1}"), (lambda x, y, z: y, lambda x, y, z: x),
       hoistable=True, commutative=True, shift="multiply", complex_ok=True)
binary(
    "div",
    [np.true_divide, np.divide, operator.truediv],
    template("{0} / {1}"),
    (lambda x, y, z: 1 / y, lambda x, y, z: _negated_smaller(z, y)),
    floating=True,
    numpy_scalar=False,  # written x / y: of Python numbers, a Python float
    shift="divide",
    complex_ok=True,
)


def _negated_smaller(z, y):
    """-z / y with the minus on the smaller operand: z / -y when y is a row of a matrix z."""
    zs, ys = z.aval.shape, y.aval.shape
    if (isinstance(zs, tuple) and isinstance(ys, tuple) and int(np.prod(ys)) < int(np.prod(zs))
            and y.aval.dtype is not None and y.aval.dtype.kind in "fc"):  # -y of an unsigned y wraps
        return z / -y
    return -z / y


def _power_dx(x, y, z):
    """y * x ** (y - 1), and 0 where y is 0: x ** 0 is 1 everywhere, also at x = 0, where
    0 * 0 ** -1 would be nan (and a ZeroDivisionError on Python floats). An exponent not
    known when compiling (a loop counter, x ** k) is lowered by one only where it is not 0."""
    if const_equals(y, 2):
        return 2 * x
    if const_equals(y, 1):
        return 1.0
    if const_equals(y, 0):
        return 0.0
    k = y.const_value()
    if isinstance(k, (int, float)):
        return y * x ** (k - 1)
    if isinstance(k, np.ndarray):
        return y * x ** (k - (k != 0))
    return y * x ** (y - (y != 0))


def _power_dy(x, y, z):
    """d(x ** y)/dy = x ** y * ln x, taken as 0 at x = 0 (where x ** y is flat in y for y > 0)."""
    return z * np.log(np.where(x == 0, 1.0, x))


def _integer_power(eqn):
    """z ** k of a complex z for a known integer k: holomorphic, its partial k z ** (k - 1)."""
    k = eqn.ins[1]
    value = k.value if isinstance(k, Const) and k.known else None
    return (isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
            and float(value).is_integer())


POW = binary(
    "pow",
    [np.power, operator.pow, math.pow, builtins.pow],
    template("{0} ** {1}"),
    (_power_dx, _power_dy),
    complex_ok=_integer_power,
)
binary("arctan2", [np.arctan2, math.atan2], template("np.arctan2({0}, {1})"),
       (lambda x, y, z: y / (x * x + y * y), lambda x, y, z: -x / (x * x + y * y)), floating=True)
binary("hypot", [np.hypot, math.hypot], template("np.hypot({0}, {1})"),
       (lambda x, y, z: x / z, lambda x, y, z: y / z), floating=True)
binary("logaddexp", [np.logaddexp], template("np.logaddexp({0}, {1})"),
       (lambda x, y, z: np.exp(x - z), lambda x, y, z: np.exp(y - z)), floating=True)
binary("logaddexp2", [np.logaddexp2], template("np.logaddexp2({0}, {1})"),
       (lambda x, y, z: 2.0 ** (x - z), lambda x, y, z: 2.0 ** (y - z)), floating=True)
binary("mod", [np.mod, np.remainder, operator.mod], template("{0} % {1}"),
       (lambda x, y, z: 1.0, lambda x, y, z: -np.floor(x / y)))
# fmod rounds x / y toward zero where mod rounds it down
binary("fmod", [np.fmod], template("np.fmod({0}, {1})"),
       (lambda x, y, z: 1.0, lambda x, y, z: -np.trunc(x / y)))
# |x| with y's sign: +1 where x and the result agree in sign, -1 where they do not; flat in y
binary("copysign", [np.copysign], template("np.copysign({0}, {1})"),
       (lambda x, y, z: np.sign(x) * np.sign(z), lambda x, y, z: 0.0), floating=True)


def _extremum(name, callables, strict, emit, on_floats):
    """max/min: the gradient goes where the chosen operand wins; a tie between two
    active operands splits it evenly; against an inactive one a tie passes nothing,
    so ReLU'(0) = 0 as the course material defines it. Of two Python numbers it is
    Python's max/min, a Python number (np.maximum's would be a NumPy scalar)."""
    prim = Primitive(name, emit, callables[0], elementwise(), fresh=True, on_python_floats=on_floats,
                     batch=batching.elementwise)
    BINARY[name] = prim

    def weights(x, y, active):
        if active[0] and active[1]:
            return strict(x, y) + 0.5 * (x == y), strict(y, x) + 0.5 * (x == y)
        return strict(x, y), strict(y, x)

    @prim.defjvp
    def jvp(tangents, out, ins):
        wx, wy = weights(*ins, [t is not None for t in tangents])
        terms = [t * w for t, w in zip(tangents, (wx, wy)) if t is not None]
        return terms[0] if len(terms) == 1 else terms[0] + terms[1]

    @prim.defvjp
    def vjp(g, out, ins, active):
        w = weights(*ins, active)
        return tuple(unbroadcast(g * w[i], ins[i]) if active[i] else None for i in range(2))

    bind_elementwise(prim, 2, callables)
    return prim


_extremum("maximum", [np.maximum, np.fmax], operator.gt, template("np.maximum({0}, {1})"), "max")
_extremum("minimum", [np.minimum, np.fmin], operator.lt, template("np.minimum({0}, {1})"), "min")


# ---------------------------------------------------------------------------
# Multiples and parts of a real value, written as what they compute.


def _scaled(factor):
    def bind(x):
        return wrap(array_operand(x)) * factor

    return bind


binds(np.deg2rad, np.radians)(_scaled(np.pi / 180.0))
binds(np.rad2deg, np.degrees)(_scaled(180.0 / np.pi))


def is_complex(x):
    dt = as_atom(x).aval.dtype
    return dt is not None and dt.kind == "c"


def _real_dtype(dtype):
    return np.empty(0, dtype).real.dtype if dtype is not None and dtype.kind == "c" else dtype


def _real_valued(aval):
    return Aval(aval.kind, aval.shape, _real_dtype(aval.dtype))


def _part_shape(avals, params):
    return Aval("array", avals[0].shape, _real_dtype(avals[0].dtype))


# The parts of a complex value, under the convention of grammar.md ("complex values"): z = a + ib
# is the pair (a, b), its tangent is da + i db and its cotangent dL/da + i dL/db. So real(z)'s
# cotangent is g itself (real), imag(z)'s is 1j * g, conj(z)'s conj(g).
REAL = Primitive("real", template("np.real({0})"), np.real, _part_shape, hoistable=True, view=True, complex_ok=True,
                 batch=batching.elementwise)
IMAG = Primitive("imag", template("np.imag({0})"), np.imag, _part_shape, hoistable=True, view=True, complex_ok=True,
                 batch=batching.elementwise)
CONJ = Primitive("conj", template("np.conj({0})"), np.conj, like_input(), hoistable=True, fresh=True,
                 batch=batching.elementwise,
                 complex_ok=True)


def real_part(x):
    """np.real(x): x itself where x is real."""
    x = wrap(array_operand(x))
    return current().apply(REAL, [x]) if is_complex(x) else x


def imaginary_part(x):
    """np.imag(x): zeros where x is real, flat in x."""
    x = wrap(array_operand(x))
    return current().apply(IMAG, [x]) if is_complex(x) else np.zeros_like(x)


def conj_if_complex(x):
    """conj(x) where x is complex, x itself otherwise (a VJP takes a holomorphic partial's conjugate)."""
    x = wrap(x)
    if not is_complex(x):
        return x
    if x.is_const and isinstance(x.atom.value, complex):
        return T(Const(x.atom.value.conjugate()))  # conj(0.5j) is -0.5j
    made = current().producer(x.atom)
    return T(made.ins[0]) if made is not None and made.prim is CONJ else current().apply(CONJ, [x])


REAL.defjvp(lambda t, out, ins: real_part(t[0]))
REAL.defvjp(lambda g, out, ins, active: (g,))
IMAG.defjvp(lambda t, out, ins: imaginary_part(t[0]))
IMAG.defvjp(lambda g, out, ins, active: (1j * g,))
CONJ.defjvp(lambda t, out, ins: conj_if_complex(t[0]))
CONJ.defvjp(lambda g, out, ins, active: (conj_if_complex(g),))


@binds(np.real)
@attribute("real")
def _real_part(x):
    """np.real of a real array is that array (a view, as NumPy's)."""
    return real_part(x)


@binds(np.conj, np.conjugate)
@method("conj", "conjugate")
def _conjugate(x):
    """The conjugate of a real array is a copy of it."""
    x = wrap(array_operand(x))
    return current().apply(CONJ, [x]) if is_complex(x) else np.copy(x)


@binds(np.imag)
@attribute("imag")
def _imaginary_part(x):
    """The imaginary part of a real array is zeros, flat in x."""
    return imaginary_part(x)


@binds(np.angle)
def _angle(z, deg=False):
    """arctan2(imag, real), so its derivative is arctan2's; of a real array pi where it is
    negative, 0 elsewhere, flat in it."""
    z = wrap(array_operand(z))
    deg = static(deg, "deg")
    if is_complex(z):
        angle = current().apply(BINARY["arctan2"], [imaginary_part(z), real_part(z)])
    else:
        angle = np.where(z < 0, np.pi, 0.0)
    return angle * (180.0 / np.pi) if deg else angle


# ---------------------------------------------------------------------------
# where and clip: the condition and the bounds' comparisons are inactive.


def _where_shape(avals, params):
    return Aval("array", broadcast_shape(avals), result_dtype(avals[1:]))


WHERE = Primitive("where", template("np.where({0}, {1}, {2})"), np.where, _where_shape, complex_ok=True,
                  batch=batching.elementwise)


@WHERE.defjvp
def _(tangents, out, ins):
    c = ins[0]
    tx = tangents[1] if tangents[1] is not None else 0.0
    ty = tangents[2] if tangents[2] is not None else 0.0
    return np.where(c, tx, ty)


@WHERE.defvjp
def _(g, out, ins, active):
    c, x, y = ins
    return (
        None,
        unbroadcast(np.where(c, g, 0.0), x) if active[1] else None,
        unbroadcast(np.where(c, 0.0, g), y) if active[2] else None,
    )


@binds(np.where)
def _where(condition, x=None, y=None):
    if x is None or y is None:
        raise current().error("np.where with one argument returns indices; use a boolean mask instead")
    return current().apply(WHERE, [condition, x, y])


@binds(np.clip)
def _clip(a, a_min=None, a_max=None, **kwargs):
    """clip(x, lo, hi) = minimum(maximum(x, lo), hi): at a bound the gradient is 0 for x."""
    lo = kwargs.pop("min", a_min)
    hi = kwargs.pop("max", a_max)
    if kwargs:
        raise current().error(f"np.clip keyword arguments {sorted(kwargs)} are not supported")
    b = current()
    if lo is not None:
        a = b.apply(BINARY["maximum"], [a, lo])
    if hi is not None:
        a = b.apply(BINARY["minimum"], [a, hi])
    return a
