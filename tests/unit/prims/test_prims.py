"""Every primitive's derivative against central differences (or an exact value).

Each loss is a plain module-level function (srcdiff reads its source) that ends
in a scalar, usually ``np.sum(np.sin(op(x)) * w)``: the sin and the fixed random
weights ``w`` make the adjoint reaching ``op`` non-uniform, so a rule that sends
an adjoint to the wrong element, or drops a factor, cannot pass by symmetry.
``w`` is never differentiated; its shape is found by running the loss once with
a probe in its place (see ``weights``), so a test only names the inputs."""
import math
import zlib

import numpy as np
import pytest

import srcdiff

from tests.numeric import assert_matches_differences, central_difference

SEED = 20240611


@pytest.fixture
def rng(request):
    """A Generator seeded from a fixed seed and the test's own id, so a test's inputs
    do not depend on which other tests ran before it."""
    return np.random.default_rng([SEED, zlib.crc32(request.node.name.encode())])


def sample(rng, shape, lo=-2.0, hi=2.0, signed=False):
    """Uniform on [lo, hi], or |x| on [lo, hi] with a random sign; shape "float" gives a Python float."""
    if shape == "float":
        return float(sample(rng, (), lo, hi, signed))
    x = rng.uniform(lo, hi, size=shape)
    if signed:
        x = x * rng.choice([-1.0, 1.0], size=shape)
    return np.asarray(x, dtype=np.float64)


def away_from(x, points, margin=0.05):
    """x with every entry moved at least `margin` away from the given points (kinks, jumps)."""
    x = np.array(x, dtype=np.float64)
    for p in points:
        near = np.abs(x - p) < margin
        x = np.where(near, p + np.where(x >= p, margin, -margin) * 2, x)
    return x


class _ShapeProbe:
    """Stands in for w: ``y * probe`` records y's shape and returns y, so running a loss
    once with the probe tells which shape its weights need."""

    __array_ufunc__ = None  # ndarray * probe defers to __rmul__

    def __rmul__(self, y):
        self.value = y
        return y


def weights(f, args, rng):
    probe = _ShapeProbe()
    f(*args, probe)
    y = probe.value
    if isinstance(y, np.ndarray):
        return rng.standard_normal(y.shape)
    return float(rng.standard_normal())


def assert_kind_of(grad, arg):
    """A gradient has its argument's type: float for a Python float, an array of its shape for an array."""
    if isinstance(arg, float):
        assert type(grad) is float, f"gradient of a float is a {type(grad).__name__}"
    else:
        assert isinstance(grad, np.ndarray), f"gradient of an array is a {type(grad).__name__}"
        assert grad.shape == np.shape(arg)
        assert grad.dtype == np.float64


def check(f, args, rng, argnums=0, rtol=1e-5, atol=1e-7):
    """grad(f) agrees with central differences; f's last parameter is the weight array w."""
    args = tuple(args) + (weights(f, args, rng),)
    g = srcdiff.grad(f, argnums=argnums)
    assert_matches_differences(g, f, args, argnums, rtol=rtol, atol=atol)
    got, indices = g(*args), argnums
    if not isinstance(argnums, tuple):
        got, indices = (got,), (argnums,)
    for value, i in zip(got, indices):
        assert_kind_of(value, args[i])


def exact(f, args, argnums=0):
    """The gradient, for tests that compare against a value worked out by hand."""
    return srcdiff.grad(f, argnums=argnums)(*args)


SHAPES = ["float", (), (5,), (3, 4), (2, 3, 4)]


# ---------------------------------------------------------------------------
# Unary NumPy functions, elementwise over every shape.
# Domains: (lo, hi, signed); signed draws |x| from [lo, hi] with a random sign.

def u_sin(x, w): return np.sum(np.sin(x) * w)
def u_cos(x, w): return np.sum(np.cos(x) * w)
def u_tan(x, w): return np.sum(np.tan(x) * w)
def u_arcsin(x, w): return np.sum(np.arcsin(x) * w)
def u_arccos(x, w): return np.sum(np.arccos(x) * w)
def u_arctan(x, w): return np.sum(np.arctan(x) * w)
def u_sinh(x, w): return np.sum(np.sinh(x) * w)
def u_cosh(x, w): return np.sum(np.cosh(x) * w)
def u_tanh(x, w): return np.sum(np.tanh(x) * w)
def u_arcsinh(x, w): return np.sum(np.arcsinh(x) * w)
def u_arccosh(x, w): return np.sum(np.arccosh(x) * w)
def u_arctanh(x, w): return np.sum(np.arctanh(x) * w)
def u_exp(x, w): return np.sum(np.exp(x) * w)
def u_exp2(x, w): return np.sum(np.exp2(x) * w)
def u_expm1(x, w): return np.sum(np.expm1(x) * w)
def u_log(x, w): return np.sum(np.log(x) * w)
def u_log2(x, w): return np.sum(np.log2(x) * w)
def u_log10(x, w): return np.sum(np.log10(x) * w)
def u_log1p(x, w): return np.sum(np.log1p(x) * w)
def u_sqrt(x, w): return np.sum(np.sqrt(x) * w)
def u_cbrt(x, w): return np.sum(np.cbrt(x) * w)
def u_square(x, w): return np.sum(np.square(x) * w)
def u_reciprocal(x, w): return np.sum(np.reciprocal(x) * w)
def u_abs(x, w): return np.sum(np.abs(x) * w)
def u_absolute(x, w): return np.sum(np.absolute(x) * w)
def u_builtin_abs(x, w): return np.sum(abs(x) * w)
def u_negative(x, w): return np.sum(np.negative(x) * w)
def u_minus(x, w): return np.sum(-x * w)
def u_plus(x, w): return np.sum(np.sin(+x) * w)


UNARY = [
    (u_sin, (-3, 3, False)), (u_cos, (-3, 3, False)), (u_tan, (-1.2, 1.2, False)),
    (u_arcsin, (-0.9, 0.9, False)), (u_arccos, (-0.9, 0.9, False)), (u_arctan, (-3, 3, False)),
    (u_sinh, (-2, 2, False)), (u_cosh, (-2, 2, False)), (u_tanh, (-2, 2, False)),
    (u_arcsinh, (-3, 3, False)), (u_arccosh, (1.1, 3, False)), (u_arctanh, (-0.9, 0.9, False)),
    (u_exp, (-2, 2, False)), (u_exp2, (-2, 2, False)), (u_expm1, (-2, 2, False)),
    (u_log, (0.2, 3, False)), (u_log2, (0.2, 3, False)), (u_log10, (0.2, 3, False)),
    (u_log1p, (-0.8, 3, False)), (u_sqrt, (0.2, 3, False)), (u_cbrt, (0.2, 3, True)),
    (u_square, (-2, 2, False)), (u_reciprocal, (0.3, 2, True)), (u_abs, (0.1, 2, True)),
    (u_absolute, (0.1, 2, True)), (u_builtin_abs, (0.1, 2, True)), (u_negative, (-2, 2, False)),
    (u_minus, (-2, 2, False)), (u_plus, (-2, 2, False)),
]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("f,domain", UNARY, ids=[f.__name__ for f, _ in UNARY])
def test_unary(f, domain, shape, rng):
    lo, hi, signed = domain
    check(f, [sample(rng, shape, lo, hi, signed)], rng)


# ---------------------------------------------------------------------------
# Powers with a constant exponent or base.

def p_square(x, w): return np.sum(np.sin(x ** 2) * w)
def p_cube(x, w): return np.sum(x ** 3 * w)
def p_three_and_half(x, w): return np.sum(x ** 3.5 * w)
def p_half(x, w): return np.sum(x ** 0.5 * w)
def p_negative_fraction(x, w): return np.sum(x ** -1.5 * w)
def p_negative_int(x, w): return np.sum(x ** -2 * w)
def p_one(x, w): return np.sum(np.sin(x ** 1) * w)
def p_zero(x, w): return np.sum(x ** 0 * w) + np.sum(x * w)
def p_base(x, w): return np.sum(2.0 ** x * w)
def p_np_base(x, w): return np.sum(np.power(3.0, x) * w)
def p_np_power(x, w): return np.sum(np.power(x, 3) * w)
def p_builtin_pow(x, w): return np.sum(pow(x, 2) * w)


POWERS = [
    (p_square, (0.2, 2, True)), (p_cube, (0.2, 2, True)), (p_three_and_half, (0.2, 2, False)),
    (p_half, (0.2, 2, False)), (p_negative_fraction, (0.3, 2, False)), (p_negative_int, (0.3, 2, True)),
    (p_one, (0.2, 2, True)), (p_zero, (0.2, 2, True)), (p_base, (-2, 2, False)), (p_np_base, (-2, 2, False)),
    (p_np_power, (0.2, 2, True)), (p_builtin_pow, (0.2, 2, True)),
]


@pytest.mark.parametrize("shape", ["float", (), (5,), (3, 4)], ids=str)
@pytest.mark.parametrize("f,domain", POWERS, ids=[f.__name__ for f, _ in POWERS])
def test_power(f, domain, shape, rng):
    lo, hi, signed = domain
    check(f, [sample(rng, shape, lo, hi, signed)], rng)


# ---------------------------------------------------------------------------
# The math module, on Python floats.

def m_sin(x, w): return math.sin(x) * w
def m_cos(x, w): return math.cos(x) * w
def m_tan(x, w): return math.tan(x) * w
def m_asin(x, w): return math.asin(x) * w
def m_acos(x, w): return math.acos(x) * w
def m_atan(x, w): return math.atan(x) * w
def m_sinh(x, w): return math.sinh(x) * w
def m_cosh(x, w): return math.cosh(x) * w
def m_tanh(x, w): return math.tanh(x) * w
def m_asinh(x, w): return math.asinh(x) * w
def m_acosh(x, w): return math.acosh(x) * w
def m_atanh(x, w): return math.atanh(x) * w
def m_exp(x, w): return math.exp(x) * w
def m_expm1(x, w): return math.expm1(x) * w
def m_log(x, w): return math.log(x) * w
def m_log_base2(x, w): return math.log(x, 2) * w
def m_log_base10(x, w): return math.log(x, 10.0) * w
def m_log2(x, w): return math.log2(x) * w
def m_log10(x, w): return math.log10(x) * w
def m_log1p(x, w): return math.log1p(x) * w
def m_sqrt(x, w): return math.sqrt(x) * w
def m_fabs(x, w): return math.fabs(x) * w
def m_pow(x, w): return math.pow(x, 2.5) * w


MATH = [
    (m_sin, (-3, 3, False)), (m_cos, (-3, 3, False)), (m_tan, (-1.2, 1.2, False)),
    (m_asin, (-0.9, 0.9, False)), (m_acos, (-0.9, 0.9, False)), (m_atan, (-3, 3, False)),
    (m_sinh, (-2, 2, False)), (m_cosh, (-2, 2, False)), (m_tanh, (-2, 2, False)),
    (m_asinh, (-3, 3, False)), (m_acosh, (1.1, 3, False)), (m_atanh, (-0.9, 0.9, False)),
    (m_exp, (-2, 2, False)), (m_expm1, (-2, 2, False)), (m_log, (0.2, 3, False)),
    (m_log_base2, (0.2, 3, False)), (m_log_base10, (0.2, 3, False)), (m_log2, (0.2, 3, False)),
    (m_log10, (0.2, 3, False)), (m_log1p, (-0.8, 3, False)), (m_sqrt, (0.2, 3, False)),
    (m_fabs, (0.1, 2, True)), (m_pow, (0.2, 2, False)),
]


@pytest.mark.parametrize("draw", range(3))
@pytest.mark.parametrize("f,domain", MATH, ids=[f.__name__ for f, _ in MATH])
def test_math(f, domain, draw, rng):
    lo, hi, signed = domain
    check(f, [sample(rng, "float", lo, hi, signed)], rng)


def m2_pow(x, y, w): return math.pow(x, y) * w
def m2_builtin_pow(x, y, w): return pow(x, y) * w
def m2_atan2(x, y, w): return math.atan2(x, y) * w
def m2_hypot(x, y, w): return math.hypot(x, y) * w
def m2_log_base(x, y, w): return math.log(x, y) * w


MATH2 = [
    (m2_pow, (0.2, 2, False), (-2, 2, False)), (m2_builtin_pow, (0.2, 2, False), (-2, 2, False)),
    (m2_atan2, (0.2, 2, True), (0.2, 2, True)), (m2_hypot, (0.2, 2, True), (0.2, 2, True)),
    (m2_log_base, (0.2, 3, False), (1.5, 4, False)),
]


@pytest.mark.parametrize("draw", range(3))
@pytest.mark.parametrize("f,xdom,ydom", MATH2, ids=[f.__name__ for f, _, _ in MATH2])
def test_math_binary(f, xdom, ydom, draw, rng):
    check(f, [sample(rng, "float", *xdom), sample(rng, "float", *ydom)], rng, argnums=(0, 1))


# ---------------------------------------------------------------------------
# Binary functions and operators, broadcasting: each gradient comes back in its operand's shape.

def b_add(x, y, w): return np.sum(np.sin(x + y) * w)
def b_np_add(x, y, w): return np.sum(np.sin(np.add(x, y)) * w)
def b_sub(x, y, w): return np.sum(np.sin(x - y) * w)
def b_np_subtract(x, y, w): return np.sum(np.sin(np.subtract(x, y)) * w)
def b_mul(x, y, w): return np.sum(x * y * w)
def b_np_multiply(x, y, w): return np.sum(np.multiply(x, y) * w)
def b_div(x, y, w): return np.sum(x / y * w)
def b_np_divide(x, y, w): return np.sum(np.divide(x, y) * w)
def b_np_true_divide(x, y, w): return np.sum(np.true_divide(x, y) * w)
def b_pow(x, y, w): return np.sum(x ** y * w)
def b_np_power(x, y, w): return np.sum(np.power(x, y) * w)
def b_maximum(x, y, w): return np.sum(np.maximum(x, y) * w)
def b_minimum(x, y, w): return np.sum(np.minimum(x, y) * w)
def b_fmax(x, y, w): return np.sum(np.fmax(x, y) * w)
def b_fmin(x, y, w): return np.sum(np.fmin(x, y) * w)
def b_logaddexp(x, y, w): return np.sum(np.logaddexp(x, y) * w)
def b_hypot(x, y, w): return np.sum(np.hypot(x, y) * w)
def b_arctan2(x, y, w): return np.sum(np.arctan2(x, y) * w)
def b_mod(x, y, w): return np.sum(x % y * w)
def b_np_mod(x, y, w): return np.sum(np.mod(x, y) * w)
def b_np_remainder(x, y, w): return np.sum(np.remainder(x, y) * w)


ANY = (-2, 2, False)
BINARY = [
    (b_add, ANY, ANY), (b_np_add, ANY, ANY), (b_sub, ANY, ANY), (b_np_subtract, ANY, ANY),
    (b_mul, ANY, ANY), (b_np_multiply, ANY, ANY),
    (b_div, ANY, (0.5, 2, True)), (b_np_divide, ANY, (0.5, 2, True)), (b_np_true_divide, ANY, (0.5, 2, True)),
    (b_pow, (0.5, 2, False), ANY), (b_np_power, (0.5, 2, False), ANY),
    (b_maximum, ANY, ANY), (b_minimum, ANY, ANY), (b_fmax, ANY, ANY), (b_fmin, ANY, ANY),
    (b_logaddexp, ANY, ANY), (b_hypot, (0.2, 2, True), (0.2, 2, True)), (b_arctan2, (0.2, 2, True), (0.2, 2, True)),
    # |x / y| stays inside (0.1, 0.85): no jumps of floor(x / y) nearby
    (b_mod, (0.3, 1.7, True), (2, 3, True)), (b_np_mod, (0.3, 1.7, True), (2, 3, True)),
    (b_np_remainder, (0.3, 1.7, True), (2, 3, True)),
]

BROADCAST_PAIRS = [
    ((3, 4), (3, 4)), ((3, 4), ()), ((3, 4), (4,)), ((3, 4), (1, 4)), ((3, 4), (3, 1)), ((3, 4), "float"),
    ((), (3, 4)), ((4,), (3, 4)), ((1, 4), (3, 4)), ((3, 1), (3, 4)), ("float", (3, 4)),
    ((3, 1), (1, 4)), ((2, 3, 4), (3, 1)), ((4,), (2, 3, 1)), ("float", "float"), ((), ()), ("float", ()),
]


@pytest.mark.parametrize("xshape,yshape", BROADCAST_PAIRS, ids=lambda s: str(s).replace(" ", ""))
@pytest.mark.parametrize("f,xdom,ydom", BINARY, ids=[f.__name__ for f, _, _ in BINARY])
def test_binary_broadcasting(f, xdom, ydom, xshape, yshape, rng):
    x, y = sample(rng, xshape, *xdom), sample(rng, yshape, *ydom)
    check(f, [x, y], rng, argnums=(0, 1))


@pytest.mark.parametrize("xshape,yshape", [((3, 4), (4,)), ((3, 1), (3, 4)), ("float", (3, 4))], ids=str)
@pytest.mark.parametrize("f,xdom,ydom", BINARY, ids=[f.__name__ for f, _, _ in BINARY])
@pytest.mark.parametrize("argnum", [0, 1])
def test_binary_one_operand_active(f, xdom, ydom, xshape, yshape, argnum, rng):
    """Only one operand differentiated: the other is still read by the rule, but gets no adjoint."""
    x, y = sample(rng, xshape, *xdom), sample(rng, yshape, *ydom)
    check(f, [x, y], rng, argnums=argnum)


def b_same_mul(x, w): return np.sum(x * x * w)
def b_same_div(x, w): return np.sum(np.sin(x / x + x) * w)
def b_same_pow(x, w): return np.sum(x ** x * w)
def b_same_hypot(x, w): return np.sum(np.hypot(x, x) * w)
def b_same_sub(x, w): return np.sum(np.sin(x - x + x * 0.5) * w)
def b_same_logaddexp(x, w): return np.sum(np.logaddexp(x, x) * w)


@pytest.mark.parametrize("shape", ["float", (3, 4)], ids=str)
@pytest.mark.parametrize("f", [b_same_mul, b_same_div, b_same_pow, b_same_hypot, b_same_sub, b_same_logaddexp],
                         ids=lambda f: f.__name__)
def test_binary_same_operand_twice(f, shape, rng):
    check(f, [sample(rng, shape, 0.3, 2)], rng)


# ---------------------------------------------------------------------------
# where, clip, and the piecewise-constant sign and floor.

def w_where_self(x, w): return np.sum(np.where(x > 0, np.sin(x), x ** 2) * w)
def w_relu(x, w): return np.sum(np.where(x > 0, x, 0.0) * w)
def w_clip(x, w): return np.sum(np.sin(np.clip(x, -0.5, 0.5)) * w)
def w_clip_low(x, w): return np.sum(np.sin(np.clip(x, -0.5, None)) * w)
def w_clip_high(x, w): return np.sum(np.sin(np.clip(x, None, 0.5)) * w)
def w_sign(x, w): return np.sum(np.sign(x) * np.sin(x) * w)
def w_floor(x, w): return np.sum(np.floor(x) * x * w)
def w_piecewise_only(x, w): return np.sum(np.floor(x) * w) + np.sum(np.sign(x) * w)


@pytest.mark.parametrize("shape", ["float", (5,), (3, 4)], ids=str)
@pytest.mark.parametrize("f", [w_where_self, w_relu, w_clip, w_clip_low, w_clip_high, w_sign, w_floor],
                         ids=lambda f: f.__name__)
def test_piecewise(f, shape, rng):
    x = away_from(sample(rng, shape, -2.9, 2.9), [-2, -1, -0.5, 0, 0.5, 1, 2])
    check(f, [float(x) if shape == "float" else x], rng)


@pytest.mark.parametrize("shape", ["float", (3, 4)], ids=str)
def test_piecewise_constant_has_zero_gradient(shape, rng):
    x = away_from(sample(rng, shape, -2.9, 2.9), [-2, -1, 0, 1, 2])
    x = float(x) if shape == "float" else x
    w = weights(w_piecewise_only, [x], rng)
    g = exact(w_piecewise_only, [x, w])
    assert_kind_of(g, x)
    assert np.all(g == 0)


def w_where(c, x, y, w): return np.sum(np.sin(np.where(c, x, y)) * w)


@pytest.mark.parametrize("cshape,xshape,yshape", [
    ((3, 4), (3, 4), (3, 4)), ((3, 4), (3, 4), (4,)), ((3, 4), (3, 1), (3, 4)), ((3, 4), (3, 4), ()),
    ((3, 4), "float", (1, 4)), ((4,), (3, 1), "float"), ((3, 1), (4,), (3, 4)),
], ids=lambda s: str(s).replace(" ", ""))
def test_where_broadcasting(cshape, xshape, yshape, rng):
    c = rng.uniform(size=cshape) > 0.5
    check(w_where, [c, sample(rng, xshape), sample(rng, yshape)], rng, argnums=(1, 2))


def w_clip_arrays(x, lo, hi, w): return np.sum(np.sin(np.clip(x, lo, hi)) * w)


@pytest.mark.parametrize("xshape,loshape,hishape", [
    ((3, 4), (3, 4), (3, 4)), ((3, 4), (4,), (3, 1)), ((3, 4), (), "float"), ((4,), (3, 1), (4,)),
], ids=lambda s: str(s).replace(" ", ""))
def test_clip_with_active_bounds(xshape, loshape, hishape, rng):
    x = sample(rng, xshape, -1, 1)
    lo, hi = sample(rng, loshape, -0.6, -0.2), sample(rng, hishape, 0.2, 0.6)
    check(w_clip_arrays, [x, lo, hi], rng, argnums=(0, 1, 2))


# ---------------------------------------------------------------------------
# Kinks and ties, exactly: ReLU'(0) = 0, |x|'(0) = 0, ties between two active operands split evenly.

def t_relu(x): return np.sum(np.maximum(x, 0) * np.array([1.0, 2.0, 3.0]))
def t_relu_swapped(x): return np.sum(np.maximum(0, x) * np.array([1.0, 2.0, 3.0]))
def t_relu_float(x): return np.sum(np.maximum(x, 0.0) * np.array([1.0, 2.0, 3.0]))
def t_negrelu(x): return np.sum(np.minimum(x, 0) * np.array([1.0, 2.0, 3.0]))
def t_negrelu_swapped(x): return np.sum(np.minimum(0, x) * np.array([1.0, 2.0, 3.0]))
def t_relu_where(x): return np.sum(np.where(x > 0, x, 0.0) * np.array([1.0, 2.0, 3.0]))
def t_clip(x): return np.sum(np.clip(x, 0.0, 1.0) * np.array([1.0, 2.0, 3.0]))


@pytest.mark.parametrize("f,expected", [
    (t_relu, [0.0, 0.0, 3.0]), (t_relu_swapped, [0.0, 0.0, 3.0]), (t_relu_float, [0.0, 0.0, 3.0]),
    (t_negrelu, [1.0, 0.0, 0.0]), (t_negrelu_swapped, [1.0, 0.0, 0.0]), (t_relu_where, [0.0, 0.0, 3.0]),
], ids=lambda v: getattr(v, "__name__", ""))
def test_kink_at_zero_against_constant(f, expected):
    np.testing.assert_array_equal(exact(f, [np.array([-1.0, 0.0, 2.0])]), expected)


def test_clip_at_its_bounds():
    np.testing.assert_array_equal(exact(t_clip, [np.array([0.0, 0.5, 1.0])]), [0.0, 2.0, 0.0])


def t_maximum(x, y): return np.sum(np.maximum(x, y) * np.array([1.0, 2.0, 4.0]))
def t_minimum(x, y): return np.sum(np.minimum(x, y) * np.array([1.0, 2.0, 4.0]))
def t_fmax(x, y): return np.sum(np.fmax(x, y) * np.array([1.0, 2.0, 4.0]))


@pytest.mark.parametrize("f,dx,dy", [
    (t_maximum, [0.5, 2.0, 0.0], [0.5, 0.0, 4.0]),
    (t_fmax, [0.5, 2.0, 0.0], [0.5, 0.0, 4.0]),
    (t_minimum, [0.5, 0.0, 4.0], [0.5, 2.0, 0.0]),
], ids=lambda v: getattr(v, "__name__", ""))
def test_tie_between_active_operands_splits_evenly(f, dx, dy):
    x, y = np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 5.0])
    gx, gy = exact(f, [x, y], argnums=(0, 1))
    np.testing.assert_array_equal(gx, dx)
    np.testing.assert_array_equal(gy, dy)


def t_maximum_scalars(x, y): return np.maximum(x, y) * 3.0


def test_tie_between_active_float_operands():
    assert exact(t_maximum_scalars, [2.0, 2.0], argnums=(0, 1)) == (1.5, 1.5)


def t_maximum_self(x): return np.sum(np.maximum(x, x) * np.array([1.0, 2.0]))
def t_minimum_self(x): return np.sum(np.minimum(x, x) * np.array([1.0, 2.0]))


@pytest.mark.parametrize("f", [t_maximum_self, t_minimum_self], ids=lambda f: f.__name__)
def test_extremum_of_a_value_with_itself_is_the_identity(f):
    np.testing.assert_array_equal(exact(f, [np.array([0.0, -1.5])]), [1.0, 2.0])


def t_abs(x): return np.sum(np.abs(x) * np.array([1.0, 2.0, 3.0]))
def t_builtin_abs(x): return np.sum(abs(x) * np.array([1.0, 2.0, 3.0]))
def t_abs_float(x): return abs(x) * 2.0
def t_fabs_float(x): return math.fabs(x) * 2.0


@pytest.mark.parametrize("f", [t_abs, t_builtin_abs], ids=lambda f: f.__name__)
def test_abs_at_zero(f):
    np.testing.assert_array_equal(exact(f, [np.array([-1.0, 0.0, 2.0])]), [-1.0, 0.0, 3.0])


@pytest.mark.parametrize("f", [t_abs_float, t_fabs_float], ids=lambda f: f.__name__)
@pytest.mark.parametrize("x,expected", [(0.0, 0.0), (-0.0, 0.0), (1.5, 2.0), (-1.5, -2.0)])
def test_abs_of_float_at_zero(f, x, expected):
    g = exact(f, [x])
    assert type(g) is float and g == expected


def t_max_all(x): return np.max(x) * 2.0
def t_min_all(x): return np.min(x) * 2.0
def t_max_rows(x): return np.sum(np.max(x, axis=1) * np.array([1.0, 2.0, 3.0]))
def t_max_rows_kd(x): return np.sum(x.max(axis=1, keepdims=True) * np.array([[1.0], [2.0], [3.0]]))
def t_min_cols(x): return np.sum(np.min(x, axis=0) * np.array([1.0, 2.0, 3.0]))


def test_max_reduction_ties_split_evenly():
    np.testing.assert_array_equal(exact(t_max_all, [np.array([1.0, 3.0, 3.0, 0.0])]), [0.0, 1.0, 1.0, 0.0])
    np.testing.assert_allclose(exact(t_max_all, [np.array([[3.0, 3.0], [3.0, 0.0]])]),
                               [[2 / 3, 2 / 3], [2 / 3, 0.0]], rtol=1e-15)
    np.testing.assert_array_equal(exact(t_min_all, [np.array([1.0, -2.0, 5.0, -2.0])]), [0.0, 1.0, 0.0, 1.0])
    x = np.array([[1.0, 4.0, 4.0], [2.0, 2.0, 2.0], [0.0, -1.0, 7.0]])
    expected = np.array([[0.0, 0.5, 0.5], [2 / 3, 2 / 3, 2 / 3], [0.0, 0.0, 3.0]])
    np.testing.assert_allclose(exact(t_max_rows, [x]), expected, rtol=1e-15)
    np.testing.assert_allclose(exact(t_max_rows_kd, [x]), expected, rtol=1e-15)
    np.testing.assert_allclose(exact(t_min_cols, [x]), [[0.0, 0.0, 0.0], [0.0, 0.0, 3.0], [1.0, 2.0, 0.0]])
    np.testing.assert_allclose(exact(t_min_cols, [x.T.copy()]),
                               [[1.0, 2 / 3, 0.0], [0.0, 2 / 3, 3.0], [0.0, 2 / 3, 0.0]], rtol=1e-15)


# ---------------------------------------------------------------------------
# Reductions: every axis, with and without keepdims, on inputs of rank 1 to 3.

def r_sum_all(x, w): return np.sum(np.sin(np.sum(x)) * w)
def r_sum_all_kd(x, w): return np.sum(np.sin(np.sum(x, keepdims=True)) * w)
def r_sum_0(x, w): return np.sum(np.sin(np.sum(x, axis=0)) * w)
def r_sum_0_kd(x, w): return np.sum(np.sin(np.sum(x, axis=0, keepdims=True)) * w)
def r_sum_1(x, w): return np.sum(np.sin(np.sum(x, axis=1)) * w)
def r_sum_1_kd(x, w): return np.sum(np.sin(np.sum(x, axis=1, keepdims=True)) * w)
def r_sum_m1(x, w): return np.sum(np.sin(np.sum(x, axis=-1)) * w)
def r_sum_m1_kd(x, w): return np.sum(np.sin(np.sum(x, axis=-1, keepdims=True)) * w)
def r_sum_01(x, w): return np.sum(np.sin(np.sum(x, axis=(0, 1))) * w)
def r_sum_01_kd(x, w): return np.sum(np.sin(np.sum(x, axis=(0, 1), keepdims=True)) * w)
def r_sum_02(x, w): return np.sum(np.sin(np.sum(x, axis=(0, 2))) * w)
def r_sum_02_kd(x, w): return np.sum(np.sin(np.sum(x, axis=(0, 2), keepdims=True)) * w)

def r_mean_all(x, w): return np.sum(np.sin(np.mean(x)) * w)
def r_mean_all_kd(x, w): return np.sum(np.sin(np.mean(x, keepdims=True)) * w)
def r_mean_0(x, w): return np.sum(np.sin(np.mean(x, axis=0)) * w)
def r_mean_0_kd(x, w): return np.sum(np.sin(np.mean(x, axis=0, keepdims=True)) * w)
def r_mean_1(x, w): return np.sum(np.sin(np.mean(x, axis=1)) * w)
def r_mean_1_kd(x, w): return np.sum(np.sin(np.mean(x, axis=1, keepdims=True)) * w)
def r_mean_m1(x, w): return np.sum(np.sin(np.mean(x, axis=-1)) * w)
def r_mean_m1_kd(x, w): return np.sum(np.sin(np.mean(x, axis=-1, keepdims=True)) * w)
def r_mean_01(x, w): return np.sum(np.sin(np.mean(x, axis=(0, 1))) * w)
def r_mean_01_kd(x, w): return np.sum(np.sin(np.mean(x, axis=(0, 1), keepdims=True)) * w)
def r_mean_02(x, w): return np.sum(np.sin(np.mean(x, axis=(0, 2))) * w)
def r_mean_02_kd(x, w): return np.sum(np.sin(np.mean(x, axis=(0, 2), keepdims=True)) * w)

def r_max_all(x, w): return np.sum(np.sin(np.max(x)) * w)
def r_max_all_kd(x, w): return np.sum(np.sin(np.max(x, keepdims=True)) * w)
def r_max_0(x, w): return np.sum(np.sin(np.max(x, axis=0)) * w)
def r_max_0_kd(x, w): return np.sum(np.sin(np.max(x, axis=0, keepdims=True)) * w)
def r_max_1(x, w): return np.sum(np.sin(np.max(x, axis=1)) * w)
def r_max_1_kd(x, w): return np.sum(np.sin(np.max(x, axis=1, keepdims=True)) * w)
def r_max_m1(x, w): return np.sum(np.sin(np.max(x, axis=-1)) * w)
def r_max_m1_kd(x, w): return np.sum(np.sin(np.max(x, axis=-1, keepdims=True)) * w)
def r_max_01(x, w): return np.sum(np.sin(np.max(x, axis=(0, 1))) * w)
def r_max_01_kd(x, w): return np.sum(np.sin(np.max(x, axis=(0, 1), keepdims=True)) * w)
def r_max_02(x, w): return np.sum(np.sin(np.max(x, axis=(0, 2))) * w)
def r_max_02_kd(x, w): return np.sum(np.sin(np.max(x, axis=(0, 2), keepdims=True)) * w)

def r_min_all(x, w): return np.sum(np.sin(np.min(x)) * w)
def r_min_all_kd(x, w): return np.sum(np.sin(np.min(x, keepdims=True)) * w)
def r_min_0(x, w): return np.sum(np.sin(np.min(x, axis=0)) * w)
def r_min_0_kd(x, w): return np.sum(np.sin(np.min(x, axis=0, keepdims=True)) * w)
def r_min_1(x, w): return np.sum(np.sin(np.min(x, axis=1)) * w)
def r_min_1_kd(x, w): return np.sum(np.sin(np.min(x, axis=1, keepdims=True)) * w)
def r_min_m1(x, w): return np.sum(np.sin(np.min(x, axis=-1)) * w)
def r_min_m1_kd(x, w): return np.sum(np.sin(np.min(x, axis=-1, keepdims=True)) * w)
def r_min_01(x, w): return np.sum(np.sin(np.min(x, axis=(0, 1))) * w)
def r_min_01_kd(x, w): return np.sum(np.sin(np.min(x, axis=(0, 1), keepdims=True)) * w)
def r_min_02(x, w): return np.sum(np.sin(np.min(x, axis=(0, 2))) * w)
def r_min_02_kd(x, w): return np.sum(np.sin(np.min(x, axis=(0, 2), keepdims=True)) * w)

def r_prod_all(x, w): return np.sum(np.sin(np.prod(x)) * w)
def r_prod_all_kd(x, w): return np.sum(np.sin(np.prod(x, keepdims=True)) * w)
def r_prod_0(x, w): return np.sum(np.sin(np.prod(x, axis=0)) * w)
def r_prod_0_kd(x, w): return np.sum(np.sin(np.prod(x, axis=0, keepdims=True)) * w)
def r_prod_1(x, w): return np.sum(np.sin(np.prod(x, axis=1)) * w)
def r_prod_1_kd(x, w): return np.sum(np.sin(np.prod(x, axis=1, keepdims=True)) * w)
def r_prod_m1(x, w): return np.sum(np.sin(np.prod(x, axis=-1)) * w)
def r_prod_m1_kd(x, w): return np.sum(np.sin(np.prod(x, axis=-1, keepdims=True)) * w)
def r_prod_01(x, w): return np.sum(np.sin(np.prod(x, axis=(0, 1))) * w)
def r_prod_01_kd(x, w): return np.sum(np.sin(np.prod(x, axis=(0, 1), keepdims=True)) * w)
def r_prod_02(x, w): return np.sum(np.sin(np.prod(x, axis=(0, 2))) * w)
def r_prod_02_kd(x, w): return np.sum(np.sin(np.prod(x, axis=(0, 2), keepdims=True)) * w)

def r_var_all(x, w): return np.sum(np.sin(np.var(x)) * w)
def r_var_all_kd(x, w): return np.sum(np.sin(np.var(x, keepdims=True)) * w)
def r_var_0(x, w): return np.sum(np.sin(np.var(x, axis=0)) * w)
def r_var_0_kd(x, w): return np.sum(np.sin(np.var(x, axis=0, keepdims=True)) * w)
def r_var_1(x, w): return np.sum(np.sin(np.var(x, axis=1)) * w)
def r_var_1_kd(x, w): return np.sum(np.sin(np.var(x, axis=1, keepdims=True)) * w)
def r_var_m1(x, w): return np.sum(np.sin(np.var(x, axis=-1)) * w)
def r_var_m1_kd(x, w): return np.sum(np.sin(np.var(x, axis=-1, keepdims=True)) * w)
def r_var_01(x, w): return np.sum(np.sin(np.var(x, axis=(0, 1))) * w)
def r_var_01_kd(x, w): return np.sum(np.sin(np.var(x, axis=(0, 1), keepdims=True)) * w)
def r_var_02(x, w): return np.sum(np.sin(np.var(x, axis=(0, 2))) * w)
def r_var_02_kd(x, w): return np.sum(np.sin(np.var(x, axis=(0, 2), keepdims=True)) * w)

def r_std_all(x, w): return np.sum(np.sin(np.std(x)) * w)
def r_std_all_kd(x, w): return np.sum(np.sin(np.std(x, keepdims=True)) * w)
def r_std_0(x, w): return np.sum(np.sin(np.std(x, axis=0)) * w)
def r_std_0_kd(x, w): return np.sum(np.sin(np.std(x, axis=0, keepdims=True)) * w)
def r_std_1(x, w): return np.sum(np.sin(np.std(x, axis=1)) * w)
def r_std_1_kd(x, w): return np.sum(np.sin(np.std(x, axis=1, keepdims=True)) * w)
def r_std_m1(x, w): return np.sum(np.sin(np.std(x, axis=-1)) * w)
def r_std_m1_kd(x, w): return np.sum(np.sin(np.std(x, axis=-1, keepdims=True)) * w)
def r_std_01(x, w): return np.sum(np.sin(np.std(x, axis=(0, 1))) * w)
def r_std_01_kd(x, w): return np.sum(np.sin(np.std(x, axis=(0, 1), keepdims=True)) * w)
def r_std_02(x, w): return np.sum(np.sin(np.std(x, axis=(0, 2))) * w)
def r_std_02_kd(x, w): return np.sum(np.sin(np.std(x, axis=(0, 2), keepdims=True)) * w)

def r_norm_all(x, w): return np.sum(np.sin(np.linalg.norm(x)) * w)
def r_norm_all_kd(x, w): return np.sum(np.sin(np.linalg.norm(x, keepdims=True)) * w)
def r_norm_0(x, w): return np.sum(np.sin(np.linalg.norm(x, axis=0)) * w)
def r_norm_0_kd(x, w): return np.sum(np.sin(np.linalg.norm(x, axis=0, keepdims=True)) * w)
def r_norm_1(x, w): return np.sum(np.sin(np.linalg.norm(x, axis=1)) * w)
def r_norm_1_kd(x, w): return np.sum(np.sin(np.linalg.norm(x, axis=1, keepdims=True)) * w)
def r_norm_m1(x, w): return np.sum(np.sin(np.linalg.norm(x, axis=-1)) * w)
def r_norm_m1_kd(x, w): return np.sum(np.sin(np.linalg.norm(x, axis=-1, keepdims=True)) * w)
def r_norm_01(x, w): return np.sum(np.sin(np.linalg.norm(x, axis=(0, 1))) * w)
def r_norm_01_kd(x, w): return np.sum(np.sin(np.linalg.norm(x, axis=(0, 1), keepdims=True)) * w)
def r_norm_02(x, w): return np.sum(np.sin(np.linalg.norm(x, axis=(0, 2))) * w)
def r_norm_02_kd(x, w): return np.sum(np.sin(np.linalg.norm(x, axis=(0, 2), keepdims=True)) * w)

REDUCTION_NAMES = ["sum", "mean", "max", "min", "prod", "var", "std", "norm"]
AXIS_SHAPES = {
    "all": [(5,), (3, 4), (2, 3, 4)], "0": [(5,), (3, 4), (2, 3, 4)], "1": [(3, 4), (2, 3, 4)],
    "m1": [(5,), (3, 4), (2, 3, 4)], "01": [(3, 4), (2, 3, 4)], "02": [(2, 3, 4)],
}
REDUCTIONS = [
    pytest.param(globals()[f"r_{name}_{axis}{kd}"], shape, id=f"r_{name}_{axis}{kd}-{shape}".replace(" ", ""))
    for name in REDUCTION_NAMES for axis, shapes in AXIS_SHAPES.items() for kd in ("", "_kd") for shape in shapes
]


@pytest.mark.parametrize("f,shape", REDUCTIONS)
def test_reduction(f, shape, rng):
    # |x| >= 0.5 keeps prod's x / x well conditioned; continuous draws keep max/min away from ties
    check(f, [sample(rng, shape, 0.5, 1.5, signed=True)], rng)


def rm_sum(x, w): return np.sum(np.sin(x.sum(axis=1)) * w)
def rm_sum_all(x, w): return np.sin(x.sum()) * w
def rm_sum_tuple(x, w): return np.sum(np.sin(x.sum(axis=(0, 1))) * w)
def rm_mean(x, w): return np.sin(x.mean()) * w
def rm_mean_kd(x, w): return np.sum(np.sin(x.mean(axis=0, keepdims=True)) * w)
def rm_max(x, w): return np.sum(np.sin(x.max(axis=0)) * w)
def rm_min(x, w): return np.sum(np.sin(x.min(axis=-1, keepdims=True)) * w)
def rm_prod(x, w): return np.sum(np.sin(x.prod(axis=0)) * w)
def rm_var(x, w): return np.sin(x.var()) * w
def rm_var_ddof(x, w): return np.sin(x.var(ddof=1)) * w
def rm_var_axis_ddof(x, w): return np.sum(np.sin(x.var(axis=1, ddof=1)) * w)
def rm_std(x, w): return np.sum(np.sin(x.std(axis=1)) * w)
def rm_std_ddof_kd(x, w): return np.sum(np.sin(x.std(axis=0, ddof=1, keepdims=True)) * w)
def r_var_ddof(x, w): return np.sum(np.sin(np.var(x, axis=-1, ddof=1)) * w)
def r_std_ddof(x, w): return np.sin(np.std(x, ddof=1)) * w
def r_amax(x, w): return np.sum(np.sin(np.amax(x, axis=1)) * w)
def r_amin(x, w): return np.sum(np.sin(np.amin(x, axis=0)) * w)
def r_norm_fro(x, w): return np.sin(np.linalg.norm(x, "fro")) * w
def r_norm_ord2(x, w): return np.sin(np.linalg.norm(x, ord=2)) * w
def r_norm_rows(x, w): return np.sum(np.sin(np.linalg.norm(x, axis=1, keepdims=True)) * w)


METHOD_REDUCTIONS = [
    (rm_sum, (3, 4)), (rm_sum_all, (3, 4)), (rm_sum_tuple, (2, 3, 4)), (rm_mean, (3, 4)), (rm_mean_kd, (3, 4)),
    (rm_max, (3, 4)), (rm_min, (2, 3, 4)), (rm_prod, (3, 4)), (rm_var, (3, 4)), (rm_var_ddof, (3, 4)),
    (rm_var_ddof, (5,)), (rm_var_axis_ddof, (3, 4)), (rm_std, (3, 4)), (rm_std_ddof_kd, (3, 4)),
    (r_var_ddof, (2, 3, 4)), (r_std_ddof, (3, 4)), (r_amax, (3, 4)), (r_amin, (3, 4)),
    (r_norm_fro, (3, 4)), (r_norm_ord2, (5,)), (r_norm_rows, (3, 4)),
]


@pytest.mark.parametrize("f,shape", METHOD_REDUCTIONS, ids=[f"{f.__name__}-{s}" for f, s in METHOD_REDUCTIONS])
def test_reduction_methods_and_options(f, shape, rng):
    check(f, [sample(rng, shape, 0.5, 1.5, signed=True)], rng)


# ---------------------------------------------------------------------------
# Products and transposes.

W_CONST = np.random.default_rng(SEED).standard_normal((4, 5))


def l_matmul(a, b, w): return np.sum(np.sin(a @ b) * w)
def l_np_matmul(a, b, w): return np.sum(np.sin(np.matmul(a, b)) * w)
def l_dot(a, b, w): return np.sum(np.sin(np.dot(a, b)) * w)
def l_dot_method(a, b, w): return np.sum(np.sin(a.dot(b)) * w)
def l_outer(a, b, w): return np.sum(np.sin(np.outer(a, b)) * w)
def l_inner(a, b, w): return np.sum(np.sin(np.inner(a, b)) * w)
def l_matmul_chain(a, b, w): return np.sum(np.sin(a.T @ b) * w)


MATMUL_SHAPES = [
    ((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)),
    ((1, 3, 4), (2, 4, 5)), ((3, 4), (2, 4, 5)), ((4,), (2, 4, 5)), ((2, 3, 4), (4,)), ((2, 1, 3, 4), (5, 4, 2)),
]
DOT_SHAPES = [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)), ((3, 4), ()), ((), (4,))]
PRODUCTS = (
    [(l_matmul, a, b) for a, b in MATMUL_SHAPES] + [(l_np_matmul, a, b) for a, b in MATMUL_SHAPES[:7]]
    + [(l_dot, a, b) for a, b in DOT_SHAPES] + [(l_dot_method, a, b) for a, b in DOT_SHAPES[:4]]
    + [(l_outer, (4,), (5,)), (l_outer, (2, 3), (5,)), (l_outer, (4,), (2, 2)), (l_outer, (), (3,))]
    + [(l_inner, (4,), (4,)), (l_inner, (3, 4), (4,)), (l_inner, (3, 4), (5, 4)), (l_inner, (2, 3, 4), (5, 4)),
       (l_inner, (4,), (5, 4))]
    + [(l_matmul_chain, (4, 3), (4, 5))]
)


@pytest.mark.parametrize("f,ashape,bshape", PRODUCTS,
                         ids=[f"{f.__name__}-{a}@{b}".replace(" ", "") for f, a, b in PRODUCTS])
def test_product(f, ashape, bshape, rng):
    check(f, [sample(rng, ashape, -1, 1), sample(rng, bshape, -1, 1)], rng, argnums=(0, 1))


@pytest.mark.parametrize("argnum", [0, 1])
@pytest.mark.parametrize("f,ashape,bshape", [(l_matmul, (3, 4), (4, 5)), (l_matmul, (2, 3, 4), (4,)),
                                             (l_dot, (4,), (4, 5)), (l_outer, (4,), (5,))], ids=str)
def test_product_one_operand_active(f, ashape, bshape, argnum, rng):
    check(f, [sample(rng, ashape, -1, 1), sample(rng, bshape, -1, 1)], rng, argnums=argnum)


def l_dot_const(x, w): return np.sum(np.sin(x.dot(W_CONST)) * w)
def l_const_matmul(x, w): return np.sum(np.sin(W_CONST @ x) * w)
def l_trace(x, w): return np.sin(np.trace(x)) * w
def l_trace_method(x, w): return np.sin(x.trace()) * w
def l_transpose(x, w): return np.sum(np.sin(np.transpose(x)) * w)
def l_T(x, w): return np.sum(np.sin(x.T) * w)
def l_transpose_axes(x, w): return np.sum(np.sin(np.transpose(x, (1, 0, 2))) * w)
def l_transpose_negative_axes(x, w): return np.sum(np.sin(np.transpose(x, (-1, 0, 1))) * w)
def l_transpose_method(x, w): return np.sum(np.sin(x.transpose(2, 0, 1)) * w)
def l_transpose_method_tuple(x, w): return np.sum(np.sin(x.transpose((1, 2, 0))) * w)
def l_transpose_method_plain(x, w): return np.sum(np.sin(x.transpose()) * w)


MATRIX_UNARY = [
    (l_dot_const, (3, 4)), (l_dot_const, (4,)), (l_const_matmul, (5,)), (l_const_matmul, (5, 3)),
    (l_trace, (4, 4)), (l_trace, (3, 5)), (l_trace_method, (4, 4)),
    (l_transpose, (3, 4)), (l_transpose, (2, 3, 4)), (l_transpose, (5,)), (l_T, (3, 4)), (l_T, (2, 3, 4)),
    (l_transpose_axes, (2, 3, 4)), (l_transpose_negative_axes, (2, 3, 4)), (l_transpose_method, (2, 3, 4)),
    (l_transpose_method_tuple, (2, 3, 4)), (l_transpose_method_plain, (3, 4)),
]


@pytest.mark.parametrize("f,shape", MATRIX_UNARY, ids=[f"{f.__name__}-{s}".replace(" ", "") for f, s in MATRIX_UNARY])
def test_matrix_unary(f, shape, rng):
    check(f, [sample(rng, shape, -1, 1)], rng)


# ---------------------------------------------------------------------------
# Reshaping, joining and tiling.

def s_reshape_args(x, w): return np.sum(np.sin(x.reshape(2, 6)) * w)
def s_reshape_tuple(x, w): return np.sum(np.sin(x.reshape((2, -1))) * w)
def s_reshape_flat(x, w): return np.sum(np.sin(x.reshape(-1)) * w)
def s_np_reshape(x, w): return np.sum(np.sin(np.reshape(x, (4, 3))) * w)
def s_np_reshape_3d(x, w): return np.sum(np.sin(np.reshape(x, (2, 2, 3))) * w)
def s_reshape_from_shape(x, w): return np.sum(np.sin(x.reshape(x.shape[-1], -1)) * w)
def s_ravel(x, w): return np.sum(np.sin(np.ravel(x)) * w)
def s_ravel_method(x, w): return np.sum(np.sin(x.ravel()) * w)
def s_flatten(x, w): return np.sum(np.sin(x.flatten()) * w)
def s_expand_first(x, w): return np.sum(np.sin(np.expand_dims(x, 0)) * w)
def s_expand_middle(x, w): return np.sum(np.sin(np.expand_dims(x, 1)) * w)
def s_expand_last(x, w): return np.sum(np.sin(np.expand_dims(x, -1)) * w)
def s_expand_tuple(x, w): return np.sum(np.sin(np.expand_dims(x, (0, 2))) * w)
def s_squeeze(x, w): return np.sum(np.sin(np.squeeze(x)) * w)
def s_squeeze_axis(x, w): return np.sum(np.sin(np.squeeze(x, axis=1)) * w)
def s_squeeze_method(x, w): return np.sum(np.sin(x.squeeze()) * w)
def s_squeeze_last(x, w): return np.sum(np.sin(x.squeeze(axis=-1)) * w)
def s_tile(x, w): return np.sum(np.sin(np.tile(x, 2)) * w)
def s_tile_rows(x, w): return np.sum(np.sin(np.tile(x, (2, 1))) * w)
def s_tile_both(x, w): return np.sum(np.sin(np.tile(x, (2, 3))) * w)
def s_tile_new_axis(x, w): return np.sum(np.sin(np.tile(x, (2, 1, 1))) * w)
def s_tile_short_reps(x, w): return np.sum(np.sin(np.tile(x, (2,))) * w)


SHAPING = [
    (s_reshape_args, (3, 4)), (s_reshape_args, (12,)), (s_reshape_args, (2, 2, 3)), (s_reshape_tuple, (3, 4)),
    (s_reshape_tuple, (12,)), (s_reshape_flat, (3, 4)), (s_reshape_flat, (2, 3, 2)), (s_np_reshape, (3, 4)),
    (s_np_reshape, (12,)), (s_np_reshape_3d, (3, 4)), (s_reshape_from_shape, (3, 4)),
    (s_ravel, (3, 4)), (s_ravel, (2, 3, 2)), (s_ravel_method, (3, 4)), (s_flatten, (3, 4)), (s_flatten, (2, 3, 2)),
    (s_expand_first, (5,)), (s_expand_first, (3, 4)), (s_expand_middle, (5,)), (s_expand_middle, (3, 4)),
    (s_expand_last, (5,)), (s_expand_last, (3, 4)), (s_expand_tuple, (5,)), (s_expand_tuple, (3, 4)),
    (s_squeeze, (3, 1, 4)), (s_squeeze, (1, 4, 1)), (s_squeeze, (1, 1)), (s_squeeze_axis, (3, 1, 4)),
    (s_squeeze_method, (1, 5)), (s_squeeze_last, (4, 1)), (s_squeeze_last, (3, 4, 1)),
    (s_tile, (3,)), (s_tile, (3, 4)), (s_tile_rows, (3, 4)), (s_tile_rows, (3,)), (s_tile_both, (3, 4)),
    (s_tile_both, (3,)), (s_tile_new_axis, (3, 4)), (s_tile_short_reps, (2, 3, 4)),
]


@pytest.mark.parametrize("f,shape", SHAPING, ids=[f"{f.__name__}-{s}".replace(" ", "") for f, s in SHAPING])
def test_shaping(f, shape, rng):
    check(f, [sample(rng, shape)], rng)


def j_concatenate(x, y, w): return np.sum(np.sin(np.concatenate([x, y])) * w)
def j_concatenate_tuple(x, y, w): return np.sum(np.sin(np.concatenate((x, y), axis=0)) * w)
def j_concatenate_cols(x, y, w): return np.sum(np.sin(np.concatenate([x, y], axis=1)) * w)
def j_concatenate_last(x, y, w): return np.sum(np.sin(np.concatenate([x, y], axis=-1)) * w)
def j_concatenate_repeat(x, y, w): return np.sum(np.sin(np.concatenate([x, y, x])) * w)
def j_concatenate_inactive(x, y, w): return np.sum(np.sin(np.concatenate([x, np.ones((1, 4)), y])) * w)
def j_stack(x, y, w): return np.sum(np.sin(np.stack([x, y])) * w)
def j_stack_cols(x, y, w): return np.sum(np.sin(np.stack([x, y], axis=1)) * w)
def j_stack_last(x, y, w): return np.sum(np.sin(np.stack([x, y], axis=-1)) * w)
def j_stack_three(x, y, w): return np.sum(np.sin(np.stack([x, y, x * y], axis=1)) * w)
def j_vstack(x, y, w): return np.sum(np.sin(np.vstack([x, y])) * w)
def j_hstack(x, y, w): return np.sum(np.sin(np.hstack([x, y])) * w)


JOINS = [
    (j_concatenate, (2, 4), (3, 4)), (j_concatenate, (2,), (3,)), (j_concatenate_tuple, (2, 4), (3, 4)),
    (j_concatenate_cols, (3, 2), (3, 4)), (j_concatenate_last, (3, 2), (3, 4)), (j_concatenate_last, (2,), (3,)),
    (j_concatenate_last, (2, 3, 2), (2, 3, 1)), (j_concatenate_repeat, (2, 4), (3, 4)),
    (j_concatenate_inactive, (2, 4), (3, 4)),
    (j_stack, (3, 4), (3, 4)), (j_stack, (4,), (4,)), (j_stack_cols, (3, 4), (3, 4)), (j_stack_cols, (4,), (4,)),
    (j_stack_last, (3, 4), (3, 4)), (j_stack_last, (4,), (4,)), (j_stack_three, (3, 4), (3, 4)),
    (j_vstack, (4,), (4,)), (j_vstack, (2, 4), (3, 4)), (j_vstack, (4,), (3, 4)),
    (j_hstack, (3,), (4,)), (j_hstack, (3, 2), (3, 4)),
]


@pytest.mark.parametrize("f,xshape,yshape", JOINS,
                         ids=[f"{f.__name__}-{a}-{b}".replace(" ", "") for f, a, b in JOINS])
def test_join(f, xshape, yshape, rng):
    check(f, [sample(rng, xshape), sample(rng, yshape)], rng, argnums=(0, 1))


@pytest.mark.parametrize("argnum", [0, 1])
@pytest.mark.parametrize("f,xshape,yshape", [(j_concatenate, (2, 4), (3, 4)), (j_stack_cols, (3, 4), (3, 4))],
                         ids=str)
def test_join_one_piece_active(f, xshape, yshape, argnum, rng):
    check(f, [sample(rng, xshape), sample(rng, yshape)], rng, argnums=argnum)


# ---------------------------------------------------------------------------
# Arrays made inside the loss: constants carry no derivative, np.array of traced values does.

def c_like(x, w): return np.sum((x * np.ones_like(x) + np.zeros_like(x) + 1.0) * np.sin(x) * w)
def c_from_shape(x, w): return np.sum(np.sin(x + np.zeros(x.shape)) * np.ones((3, 4)) * np.full((3, 4), 0.5) * w)
def c_full_like(x, w): return np.sum(np.sin(x * np.full_like(x, 2.0) + np.ones((x.shape[0], 1))) * w)
def c_ones_int_shape(x, w): return np.sum(np.sin(x * np.ones(4) + np.zeros(4)) * w)


@pytest.mark.parametrize("f", [c_like, c_from_shape, c_full_like, c_ones_int_shape], ids=lambda f: f.__name__)
def test_constant_arrays_inside_a_loss(f, rng):
    check(f, [sample(rng, (3, 4))], rng)


def c_array(a, b, w): return np.sum(np.sin(np.array([a, b, a * b])) * w)
def c_array_nested(a, b, w): return np.sum(np.sin(np.array([[a, b], [b * b, 1.0]])) * w)
def c_asarray(a, b, w): return np.sum(np.sin(np.asarray([a * 2.0, b, 0.5])) * w)


@pytest.mark.parametrize("f", [c_array, c_array_nested, c_asarray], ids=lambda f: f.__name__)
def test_array_of_traced_scalars(f, rng):
    check(f, [sample(rng, "float"), sample(rng, "float")], rng, argnums=(0, 1))


def c_array_of_arrays(x, y, w): return np.sum(np.sin(np.array([x, y, x * y])) * w)


def test_array_of_traced_arrays(rng):
    check(c_array_of_arrays, [sample(rng, (4,)), sample(rng, (4,))], rng, argnums=(0, 1))


def c_astype_float(x, w): return np.sum(np.sin(x.astype(float)) * w)
def c_astype_float64(x, w): return np.sum(np.sin(x.astype(np.float64)) * w)


@pytest.mark.parametrize("f", [c_astype_float, c_astype_float64], ids=lambda f: f.__name__)
def test_astype_float(f, rng):
    check(f, [sample(rng, (3, 4))], rng)


def c_astype_float32(x, w): return np.sum(x.astype(np.float32) * w)
def c_sin_float32(x, w): return np.sum(np.sin(x.astype(np.float32)) * w)


def test_astype_float32(rng):
    """float32 arithmetic is too coarse for differences; the derivatives are known exactly instead.
    The adjoint of the float32 value is float32 (JAX's rule: a cotangent has its primal's dtype),
    so w comes back rounded to float32."""
    x, w = sample(rng, (3, 4)), rng.standard_normal((3, 4))
    g = exact(c_astype_float32, [x, w])
    assert_kind_of(g, x)
    np.testing.assert_array_equal(g, w.astype(np.float32))
    g = exact(c_sin_float32, [x, w])
    assert g.shape == x.shape
    np.testing.assert_allclose(g, w * np.cos(x), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------
# Reading with subscripts: the adjoint is written (or, for repeated indices, added) into zeros.

IDX_CONST = np.array([3, 0, 3, 1])


def i_int(x, w): return np.sum(np.sin(x[1]) * w)
def i_negative_int(x, w): return np.sum(np.sin(x[-1]) * w)
def i_two_ints(x, w): return np.sin(x[1, 2]) * w
def i_slice(x, w): return np.sum(np.sin(x[1:3]) * w)
def i_reversed(x, w): return np.sum(np.sin(x[::-1]) * w)
def i_negative_step(x, w): return np.sum(np.sin(x[5:1:-2]) * w)
def i_negative_step_from_end(x, w): return np.sum(np.sin(x[-2::-1, 1]) * w)
def i_two_slices(x, w): return np.sum(np.sin(x[1:, :-1]) * w)
def i_column(x, w): return np.sum(np.sin(x[:, 0]) * w)
def i_ellipsis(x, w): return np.sum(np.sin(x[..., 1]) * w)
def i_new_axis(x, w): return np.sum(np.sin(x[None, :]) * w)
def i_new_axis_last(x, w): return np.sum(np.sin(x[:, None]) * w)
def i_repeated(x, w): return np.sum(np.sin(x[np.array([0, 2, 2, 1])]) * w)
def i_list(x, w): return np.sum(np.sin(x[[0, 2, 2]]) * w)
def i_module_constant(x, w): return np.sum(np.sin(x[IDX_CONST]) * w)
def i_pairs(x, w): return np.sum(np.sin(x[np.array([0, 2, 2]), np.array([1, 3, 3])]) * w)
def i_slice_and_array(x, w): return np.sum(np.sin(x[1:3, np.array([0, 0, 2])]) * w)
def i_mask(x, w): return np.sum(np.sin(x[x > 0]) * w)
def i_twice(x, w): return np.sum(np.sin(x[1:] * x[:-1]) * w)
def i_mask_mean(x, w): return np.sin(np.mean(x[x > 0] ** 2) + x[x < 0].sum()) * w


INDEXING = [
    (i_int, (5,)), (i_int, (3, 4)), (i_negative_int, (5,)), (i_negative_int, (3, 4)), (i_two_ints, (3, 4)),
    (i_slice, (5,)), (i_slice, (3, 4)), (i_reversed, (5,)), (i_reversed, (3, 4)), (i_negative_step, (7,)),
    (i_negative_step, (7, 2)), (i_negative_step_from_end, (4, 3)), (i_two_slices, (3, 4)), (i_column, (3, 4)),
    (i_ellipsis, (3, 4)), (i_ellipsis, (2, 3, 4)), (i_new_axis, (5,)), (i_new_axis, (3, 4)),
    (i_new_axis_last, (3, 4)), (i_repeated, (5,)), (i_repeated, (3, 4)), (i_list, (5,)), (i_list, (3, 2)),
    (i_module_constant, (4,)), (i_module_constant, (4, 3)), (i_pairs, (3, 4)), (i_slice_and_array, (4, 3)),
    (i_mask, (3, 4)), (i_mask, (7,)), (i_mask_mean, (3, 4)), (i_twice, (5,)), (i_twice, (3, 4)),
]


@pytest.mark.parametrize("f,shape", INDEXING, ids=[f"{f.__name__}-{s}".replace(" ", "") for f, s in INDEXING])
def test_indexing(f, shape, rng):
    check(f, [away_from(sample(rng, shape), [0.0])], rng)


def i_index_argument(x, idx, w): return np.sum(np.sin(x[idx]) * w)
def i_mask_argument(x, m, w): return np.sum(np.sin(x[m]) * w)
def i_rows_and_labels(X, y, w): return np.sum(np.sin(X[np.arange(X.shape[0]), y]) * w)
def i_rows_and_labels_n(X, y, w):
    N = X.shape[0]
    return np.sum(np.log(X[np.arange(N), y]) * w)


def test_index_array_argument_with_repeats(rng):
    check(i_index_argument, [sample(rng, (5, 3)), np.array([4, 0, 4, 4, 2])], rng)


def test_mask_argument(rng):
    x = sample(rng, (3, 4))
    check(i_mask_argument, [x, rng.uniform(size=(3, 4)) > 0.4], rng)


@pytest.mark.parametrize("f", [i_rows_and_labels, i_rows_and_labels_n], ids=lambda f: f.__name__)
def test_rows_and_labels(f, rng):
    """X[np.arange(N), y], a softmax loss's picked scores, with classes repeated across rows."""
    check(f, [sample(rng, (6, 3), 0.2, 2), np.array([0, 2, 2, 1, 0, 2])], rng)


# ---------------------------------------------------------------------------
# Gradients have their argument's type.

def k_mixed(x, y, z): return np.sum(np.sin(x * y) * z) + x * 2.0


def test_gradient_types():
    x, y, z = 0.7, np.arange(12.0).reshape(3, 4) / 10, np.array(1.5)
    gx, gy, gz = srcdiff.grad(k_mixed, argnums=(0, 1, 2))(x, y, z)
    assert type(gx) is float
    assert isinstance(gy, np.ndarray) and gy.shape == (3, 4) and gy.dtype == np.float64
    assert isinstance(gz, np.ndarray) and gz.shape == ()
    assert gx == pytest.approx(float(np.sum(np.cos(x * y) * y * z)) + 2.0, rel=1e-12)
    np.testing.assert_allclose(gy, np.cos(x * y) * x * z, rtol=1e-12)
    assert float(gz) == pytest.approx(float(np.sum(np.sin(x * y))), rel=1e-12)
    single = srcdiff.grad(k_mixed, argnums=1)(x, y, z)
    assert isinstance(single, np.ndarray) and single.shape == (3, 4)


def k_scalar_to_scalar(x, y): return x * y


@pytest.mark.parametrize("x,y", [(2.0, 3.0), (2.0, np.float64(3.0)), (np.array(2.0), 3.0)],
                         ids=["floats", "float-and-numpy-scalar", "0d-array-and-float"])
def test_gradient_of_scalar_arguments(x, y):
    g = srcdiff.grad(k_scalar_to_scalar)(x, y)
    assert g == 3.0
    if isinstance(x, float):
        assert type(g) is float
    else:
        assert isinstance(g, np.ndarray) and g.shape == ()


# ---------------------------------------------------------------------------
# Regressions: bugs found while writing these tests.

def x_product_of_unnamed(x): return np.exp(x) * np.sin(x)
def x_relu_times_unnamed(x): return np.sum(np.maximum(x, 1.0) * np.sin(x))
def x_sum_times_difference(x): return np.sum((x + 1.0) * (x - 1.0))


@pytest.mark.parametrize("f,x", [(x_product_of_unnamed, 0.7), (x_relu_times_unnamed, np.linspace(-1.0, 2.0, 5)),
                                 (x_sum_times_difference, np.linspace(-1.0, 2.0, 5))], ids=str)
def test_product_of_unnamed_subexpressions(f, x):
    g = srcdiff.grad(f)(x)
    np.testing.assert_allclose(g, central_difference(f, [x], 0), rtol=1e-5, atol=1e-7)


def x_reshape_float(x, w): return np.sum(np.sin(np.reshape(x, (1, 1))) * w)
def x_ravel_float(x, w): return np.sum(np.sin(np.ravel(x)) * w)
def x_transpose_float(x, w): return np.sum(np.sin(np.transpose(x)) * w)
def x_outer_float(x, w): return np.sum(np.sin(np.outer(x, x)) * w)
def x_asarray_astype_float(x, w): return np.sum(np.sin(np.asarray(x).astype(np.float64)) * w)


@pytest.mark.parametrize("f", [x_reshape_float, x_ravel_float, x_transpose_float, x_outer_float,
                               x_asarray_astype_float],
                         ids=lambda f: f.__name__)
def test_shaping_functions_of_a_float(f, rng):
    check(f, [0.3], rng)


def x_float32(x): return np.sum(np.sin(x) * 2.0)


def test_float32_argument_gets_float32_gradient():
    x = np.linspace(0.1, 1.0, 4, dtype=np.float32)
    g = srcdiff.grad(x_float32)(x)
    np.testing.assert_allclose(g, 2.0 * np.cos(x), rtol=1e-6)
    assert g.dtype == np.float32
