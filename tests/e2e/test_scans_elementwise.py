"""Scans, differences and the elementwise functions of issue 16, in every mode and to second
order, against central differences: cumsum and cumprod over every axis form (cumprod also
where an element is 0), diff with n and prepend/append, ediff1d, the trapezoid rule, polyval
in p and x; logaddexp2, sinc, fmod, copysign, nan_to_num, the angle conversions, heaviside
and the real and imaginary parts of real arrays."""
import numpy as np
import pytest

import srcdiff
from srcdiff import NonDifferentiableError

from tests.numeric import assert_all_modes, assert_matches_differences, central_difference

RNG = np.random.default_rng(16)


def values(*shape):
    return RNG.uniform(-1.5, 1.5, size=shape)


def with_zero(*shape):
    x = RNG.uniform(0.5, 1.5, size=shape) * RNG.choice([-1.0, 1.0], size=shape)
    x.flat[x.size // 2] = 0.0
    return x


# -- scans, written as users write them; each returns a scalar so hessians apply

def cumsum_flat(x):
    return np.sum(np.sin(np.cumsum(x)))


def cumsum_first(x):
    return np.sum(np.sin(np.cumsum(x, axis=0)))


def cumsum_last_method(x):
    return np.sum(np.cos(x.cumsum(axis=-1)) * x)


def cumprod_flat(x):
    return np.sum(np.sin(np.cumprod(x)))


def cumprod_first(x):
    return np.sum(np.cumprod(x, axis=0) ** 2)


def cumprod_last_method(x):
    return np.sum(np.sin(x.cumprod(axis=-1)))


def cumprod_middle(x):
    return np.sum(np.sin(np.cumprod(x, axis=-2)))


def diff_default(x):
    return np.sum(np.sin(np.diff(x)))


def diff_twice_first(x):
    return np.sum(np.diff(x, n=2, axis=0) ** 2)


def diff_ends(x):
    return np.sum(np.sin(np.diff(x, axis=0, prepend=0.5, append=x[-1:] * 2.0)))


def ediff1d_around(x):
    return np.sum(np.sin(np.ediff1d(x, to_end=x[0] * 3.0, to_begin=[1.0, 2.0])))


def trapezoid_dx(y):
    return np.sum(np.sin(np.trapezoid(y * y, dx=0.25)))


def trapezoid_first(y):
    return np.sum(np.sin(np.trapezoid(y, axis=0)))


def trapezoid_in_x(t):
    return np.sum(np.trapezoid(np.sin(t), t, axis=-1) ** 2)


def polyval_in_x(x):
    return np.sum(np.sin(np.polyval([0.5, -1.0, 2.0, 0.25], x)))


def polyval_in_p(p):
    return np.sum(np.polyval(p, np.array([0.3, -0.7, 1.1])) ** 2)


def polyval_in_both(x):
    return np.sum(np.polyval(x[0], x[-1]) * np.polyval(np.sin(x[0]), 0.5))


def gradient_flat(x):
    return np.sum(np.sin(np.gradient(x)))


def gradient_second_order_edges(x):
    return np.sum(np.sin(np.gradient(x, 0.5, axis=0, edge_order=2)))


def gradient_every_axis(x):
    parts = np.gradient(x, 0.5, 2.0)
    return np.sum(parts[0] * parts[1])


def gradient_last(x):
    return np.sum(np.gradient(x * x, axis=-1) ** 2)


SCANS = [
    (gradient_flat, [(2,), (5,)]),
    (gradient_second_order_edges, [(3,), (4, 2), (3, 2, 2)]),
    (gradient_every_axis, [(3, 4)]),
    (gradient_last, [(2, 3), (2, 2, 4)]),
    (cumsum_flat, [(4,), (2, 3), (2, 2, 3)]),
    (cumsum_first, [(4,), (3, 2), (2, 3, 2)]),
    (cumsum_last_method, [(4,), (2, 3), (2, 2, 3)]),
    (cumprod_flat, [(4,), (2, 3)]),
    (cumprod_first, [(4,), (3, 2), (2, 3, 2)]),
    (cumprod_last_method, [(4,), (2, 3)]),
    (cumprod_middle, [(3, 2), (2, 3, 2)]),
    (diff_default, [(4,), (2, 3), (2, 2, 3)]),
    (diff_twice_first, [(4,), (4, 2), (3, 2, 2)]),
    (diff_ends, [(3,), (3, 2)]),
    (ediff1d_around, [(4,), (2, 3)]),
    (trapezoid_dx, [(4,), (2, 3), (2, 2, 3)]),
    (trapezoid_first, [(4,), (3, 2), (3, 2, 2)]),
    (trapezoid_in_x, [(4,), (2, 4)]),
    (polyval_in_x, [(3,), (2, 3)]),
    (polyval_in_p, [(1,), (4,)]),
    (polyval_in_both, [(2, 3), (3, 2)]),
]


@pytest.mark.parametrize("f,shape", [(f, s) for f, shapes in SCANS for s in shapes],
                         ids=lambda v: getattr(v, "__name__", str(v)))
def test_scan_in_every_mode(f, shape):
    assert_all_modes(f, (values(*shape),))


@pytest.mark.parametrize("f,shape", [(f, s) for f in (cumprod_flat, cumprod_first, cumprod_last_method, cumprod_middle)
                                     for s in ((4,), (3, 2), (2, 3, 2)) if f is not cumprod_middle or len(s) > 1],
                         ids=lambda v: getattr(v, "__name__", str(v)))
def test_cumprod_where_an_element_is_zero(f, shape):
    """d cumprod / d x_k at x_k = 0 is the product of the others up to i, not out / x (nan)."""
    x = with_zero(*shape)
    assert np.all(np.isfinite(srcdiff.grad(f)(x)))
    assert_all_modes(f, (x,))


def test_cumprod_gradient_at_a_zero_is_the_others_product():
    x = np.array([2.0, 0.0, 3.0])
    # out = [2, 0, 0]; d sum(out) / d x_1 = 2 + 2 * 3
    np.testing.assert_allclose(srcdiff.grad(cumprod_sum)(x), [1.0, 8.0, 0.0])


def cumprod_sum(x):
    return np.sum(np.cumprod(x))


@pytest.mark.parametrize("f", [cumsum_first, cumprod_first, diff_twice_first, trapezoid_first, polyval_in_x])
def test_float32_keeps_its_dtype_and_derivative(f):
    x = values(4, 3)
    got = srcdiff.grad(f)(x.astype(np.float32))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, srcdiff.grad(f)(x.astype(np.float32).astype(np.float64)), rtol=2e-4, atol=2e-4)


@pytest.mark.parametrize("edge_order", [1, 2])
@pytest.mark.parametrize("shape,axis", [((5,), None), ((4, 3), 0), ((3, 4), -1), ((3, 3, 4), None)])
def test_gradient_computes_what_numpy_does(shape, axis, edge_order):
    """gradient is linear, so its JVP along x is its value at x: every element, every axis."""
    x = values(*shape)
    _, got = srcdiff.jvp(gradient_of(axis, edge_order), (x,), (x,))
    expected = np.gradient(x, 0.25, axis=axis, edge_order=edge_order)
    for g, e in zip(got if isinstance(expected, tuple) else (got,), expected if isinstance(expected, tuple) else (expected,)):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)


def gradient_of(axis, edge_order):
    """np.gradient with axis and edge_order known when compiling (the closure's)."""
    def gradient(x):
        return np.gradient(x, 0.25, axis=axis, edge_order=edge_order)

    return gradient


def gradient_in_the_step(x, h):
    return np.sum(np.sin(np.gradient(x, h, axis=0)))


def test_gradient_in_its_step():
    x = values(4, 2)
    assert_all_modes(gradient_in_the_step, (x, 0.3), argnum=1)


def convolution_of(mode):
    def convolution(a, v):
        return np.sum(np.sin(np.convolve(a, v, mode)) * np.arange(1.0, 1.0 + np.size(np.convolve(a, v, mode))))

    return convolution


def correlation_of(mode):
    def correlation(a, v):
        return np.sum(np.sin(np.correlate(a * a, v, mode)))

    return correlation


@pytest.mark.parametrize("make", [convolution_of, correlation_of])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("n,m", [(5, 3), (3, 5), (4, 4), (2, 6), (1, 3)])
def test_convolve_and_correlate(make, mode, n, m):
    f = make(mode)
    a, v = values(n), values(m)
    assert_all_modes(f, (a, v), argnum=0)
    assert_all_modes(f, (a, v), argnum=1)
    out, _ = srcdiff.vjp(f, a, v)
    np.testing.assert_allclose(out, f(a, v), rtol=1e-12)


KNOTS = np.array([0.0, 0.5, 1.5, 2.0])
HEIGHTS = np.array([1.0, -1.0, 2.0, 0.5])


def interp_in_x(x):
    return np.sum(np.sin(np.interp(x, KNOTS, HEIGHTS)) * x)


def interp_in_fp(fp):
    return np.sum(np.sin(np.interp(np.array([-0.3, 0.2, 0.7, 1.6, 1.9, 2.4]), KNOTS, fp)))


def interp_in_xp(xp):
    return np.sum(np.interp(np.array([[0.2, 0.7], [1.6, 1.9]]), xp, HEIGHTS, left=-3.0, right=4.0) ** 2)


@pytest.mark.parametrize("f,arg", [
    (interp_in_x, np.array([-0.3, 0.2, 0.7, 1.6, 1.9, 2.4])),
    (interp_in_x, np.array([[0.3, 1.2], [1.7, 2.5]])),
    (interp_in_x, np.array(0.8)),
    (interp_in_fp, HEIGHTS.copy()),
    (interp_in_xp, KNOTS.copy()),
], ids=["x-1d", "x-2d", "x-0d", "fp", "xp"])
def test_interp(f, arg):
    assert_all_modes(f, (arg,))


def interp_values(x):
    return np.interp(x, KNOTS, HEIGHTS, left=-3.0)


def test_interp_computes_what_numpy_does():
    x = np.linspace(-1.0, 3.0, 41)
    out, _ = srcdiff.vjp(interp_values, x)
    np.testing.assert_allclose(out, np.interp(x, KNOTS, HEIGHTS, left=-3.0), rtol=1e-14, atol=1e-14)


def scans_out(x):
    return np.cumsum(x, axis=1) + np.cumprod(x, axis=1)


def test_an_array_output_in_jacobians():
    x = with_zero(2, 3)
    expected = central_difference(scans_out, (x,), 0)
    np.testing.assert_allclose(srcdiff.jacfwd(scans_out)(x), expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(srcdiff.jacrev(scans_out)(x), expected, rtol=1e-5, atol=1e-7)


def test_the_scans_emit_what_an_analyst_writes():
    emitted = srcdiff.source(srcdiff.grad(cumsum_first), values(3, 2))
    assert "np.cumsum(np.cos(np.cumsum(x, axis=0))[::-1], axis=0)[::-1]" in emitted
    emitted = srcdiff.source(srcdiff.grad(diff_default), values(4))
    assert "[1:]" in emitted and "[:-1]" in emitted


def traced_axis(x):
    return np.sum(np.cumsum(x, axis=x.shape[0] - np.sum(x > 9.0) - 2))


def traced_n(x):
    return np.sum(np.diff(x, n=np.sum(x > 0.0)))


def cumsum_out_of_bounds(x):
    return np.sum(np.cumsum(x, axis=2))


def gradient_on_coordinates(x):
    return np.sum(np.gradient(x, np.array([0.0, 1.0, 3.0]), axis=0))


def conj_of_complex(x):
    return np.sum(np.conj(x * 1j))


@pytest.mark.parametrize("f,words", [(traced_axis, "axis must be known when compiling"),
                                     (traced_n, "n must be known when compiling"),
                                     (cumsum_out_of_bounds, "axis 2 is not an axis"),
                                     (gradient_on_coordinates, "non-uniform grid"),
                                     (conj_of_complex, "complex")])
def test_unsupported_forms_are_refused_at_their_line(f, words):
    with pytest.raises(NonDifferentiableError, match=words) as info:
        srcdiff.grad(f)(values(3, 2))
    assert f.__name__ in str(info.value) or "test_scans_elementwise.py" in str(info.value)


# -- elementwise

def logaddexp2_of(x, y):
    return np.sum(np.logaddexp2(x, y * x))


def sinc_of(x):
    return np.sum(np.sinc(x) * x)


def fmod_of(x, y):
    return np.sum(np.fmod(x * 3.0, y) ** 2)


def copysign_of(x, y):
    return np.sum(np.copysign(x, y) * np.sin(x))


def nan_to_num_of(x):
    return np.sum(np.nan_to_num(np.log(x)) ** 2)


def angles(x):
    return np.sum(np.sin(np.deg2rad(x * 40.0)) + np.radians(x) * np.rad2deg(x) + np.degrees(np.cos(x)))


def parts(x):
    return np.sum(np.real(x) * x.real + np.conj(x) * x.conj() + x.conjugate() + np.conjugate(x)
                  + np.imag(x) + x.imag * x)


def heaviside_of(x):
    return np.sum(np.heaviside(x, 0.5) * x * x)


ELEMENTWISE = [
    (logaddexp2_of, lambda s: (values(*s), values(*s))),
    (sinc_of, lambda s: (values(*s),)),
    (fmod_of, lambda s: (RNG.uniform(0.3, 0.6, size=s), RNG.uniform(1.0, 1.2, size=s))),
    (fmod_of, lambda s: (RNG.uniform(-0.6, -0.3, size=s), RNG.uniform(1.0, 1.2, size=s))),
    (copysign_of, lambda s: (with_zero(*s) + 0.01, with_zero(*s) + 0.01)),
    (nan_to_num_of, lambda s: (RNG.uniform(0.5, 2.0, size=s),)),
    (angles, lambda s: (values(*s),)),
    (parts, lambda s: (values(*s),)),
    (heaviside_of, lambda s: (with_zero(*s) + 0.01,)),
]


@pytest.mark.parametrize("f,make", ELEMENTWISE, ids=[f.__name__ for f, _ in ELEMENTWISE])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 1, 3)])
def test_elementwise_in_every_mode(f, make, shape):
    args = make(shape)
    for i in range(len(args)):
        assert_all_modes(f, args, argnum=i)


def test_logaddexp2_broadcasts():
    x, y = values(2, 3), values(3)
    assert_matches_differences(srcdiff.grad(logaddexp2_of, argnums=(0, 1)), logaddexp2_of, (x, y), argnums=(0, 1))


def test_fmod_derivative_in_y_rounds_toward_zero():
    x, y = np.array([-2.5, 2.5]), np.array([1.0, 1.0])
    # fmod(3x, y) = 3x - trunc(3x / y) y: d/dy = -trunc(3x / y) = [7, -7]
    _, dy = srcdiff.grad(fmod_of, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(dy, 2 * np.fmod(3 * x, y) * -np.trunc(3 * x / y))


def sinc_alone(x):
    return np.sinc(x)


def test_sinc_at_zero():
    """sinc = 1 - (pi x)^2 / 6 + ...: at 0 its derivatives are 0, -pi^2 / 3 and 0."""
    first = srcdiff.grad(sinc_alone)
    np.testing.assert_allclose(first(0.0), 0.0, atol=1e-15)
    np.testing.assert_allclose(srcdiff.grad(first)(0.0), -np.pi ** 2 / 3)
    np.testing.assert_allclose(srcdiff.grad(srcdiff.grad(first))(0.0), 0.0, atol=1e-12)
    np.testing.assert_allclose(srcdiff.grad(sinc_at)(0.0), 1.0)  # d(x sinc x) = sinc 0 + 0


def sinc_at(x):
    return np.sinc(x) * x


def nan_to_num_raw(x):
    return np.sum(np.nan_to_num(x) * 2.0)


def test_nan_to_num_passes_derivatives_only_where_finite():
    x = np.array([1.0, np.nan, np.inf, -np.inf, -2.0])
    np.testing.assert_allclose(srcdiff.grad(nan_to_num_raw)(x), [2.0, 0.0, 0.0, 0.0, 2.0])


def test_float32_elementwise_keeps_its_dtype():
    x = values(2, 3).astype(np.float32)
    for f in (sinc_of, nan_to_num_raw, angles, parts):
        got = srcdiff.grad(f)(np.abs(x) + 0.5)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, srcdiff.grad(f)((np.abs(x) + 0.5).astype(np.float64)), rtol=2e-4, atol=2e-4)
