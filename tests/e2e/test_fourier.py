"""numpy.fft (issue 16) on real inputs, through complex intermediates: fft, ifft, rfft,
irfft, fft2, ifft2, fftn, ifftn, rfft2, rfftn, irfft2, irfftn (n or s, axis or axes, every
norm), fftshift and ifftshift, and the parts of a complex value (real, imag, conj, abs, in
every spelling), against NumPy's values and central differences in forward and reverse mode
and to second order.

Each transform is checked as written, made real by taking z.real + 2 z.imag (so a wrong
real or imaginary part shows), as a vector-valued function (jvp, vjp and Jacobians), and
inside a scalar loss whose weights depend on the position and whose sine makes the Hessian
not zero. The adjoints of rfft and irfft, which are not each other (the bins between the
edges count twice), are compared with the transposed matrices of the transforms."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import srcdiff
from srcdiff import NonDifferentiableError

from tests.numeric import assert_all_modes, central_difference, weighted

RNG = np.random.default_rng(16)
X8, X7, X1 = RNG.normal(size=8), RNG.normal(size=7), RNG.normal(size=1)
X2, X3 = RNG.normal(size=(3, 4)), RNG.normal(size=(2, 3, 4))
H5 = np.exp(0.7j * np.arange(5.0))


def parts(z):
    return z.real + 2.0 * z.imag


def fft(x):
    return parts(np.fft.fft(x))


def fft_n_padded(x):
    return parts(np.fft.fft(x, 11))


def fft_n_cut(x):
    return parts(np.fft.fft(x, n=5))


def fft_ortho(x):
    return parts(np.fft.fft(x, norm="ortho"))


def fft_forward(x):
    return parts(np.fft.fft(x, norm="forward"))


def fft_backward_axis0(x):
    return parts(np.fft.fft(x, axis=0, norm="backward"))


def fft_negative_axis(x):
    return parts(np.fft.fft(x, 6, -2))


def ifft(x):
    return parts(np.fft.ifft(x))


def ifft_n_ortho(x):
    return parts(np.fft.ifft(x, n=10, norm="ortho"))


def ifft_axis(x):
    return parts(np.fft.ifft(x, axis=1, norm="forward"))


def rfft(x):
    return parts(np.fft.rfft(x))


def rfft_n_odd(x):
    return parts(np.fft.rfft(x, n=9))


def rfft_n_cut_ortho(x):
    return parts(np.fft.rfft(x, 5, norm="ortho"))


def rfft_axis0_forward(x):
    return parts(np.fft.rfft(x, axis=0, norm="forward"))


def irfft(x):
    return np.fft.irfft(x)


def irfft_odd_n(x):
    return np.fft.irfft(x, n=7)


def irfft_long_n_ortho(x):
    return np.fft.irfft(x, 12, norm="ortho")


def irfft_of_complex(x):
    return np.fft.irfft(x * (1.0 - 2.0j) + 0.5j * x * x, axis=0, norm="forward")


def fft2(x):
    return parts(np.fft.fft2(x))


def fft2_s_ortho(x):
    return parts(np.fft.fft2(x, s=(5, 3), norm="ortho"))


def ifft2_axes(x):
    return parts(np.fft.ifft2(x, axes=(0, -1)))


def fftn(x):
    return parts(np.fft.fftn(x))


def fftn_s_axes(x):
    return parts(np.fft.fftn(x, s=(2, 6), axes=[2, 0], norm="forward"))


def ifftn(x):
    return parts(np.fft.ifftn(x, norm="ortho"))


def ifftn_s(x):
    return parts(np.fft.ifftn(x, (4, 3), (-1, -2)))


def rfft2(x):
    return parts(np.fft.rfft2(x))


def rfft2_s(x):
    return parts(np.fft.rfft2(x, s=(4, 7), norm="ortho"))


def rfftn(x):
    return parts(np.fft.rfftn(x))


def rfftn_axes(x):
    return parts(np.fft.rfftn(x, axes=(0, 1), norm="forward"))


def irfftn(x):
    return np.fft.irfftn(np.fft.rfftn(x) * (1.0 + 0.5j))


def irfftn_s(x):
    return np.fft.irfftn(x + 0.5j * x, s=(3, 5), axes=(0, 1))


def irfft2(x):
    return np.fft.irfft2(np.fft.rfft2(x, norm="ortho") * (0.5 - 1.0j), s=(3, 4), norm="ortho")


def fftshift(x):
    return np.fft.fftshift(x)


def fftshift_axes(x):
    return np.fft.fftshift(x, axes=1)


def ifftshift(x):
    return np.fft.ifftshift(x, axes=(0, -1))


def shifted_spectrum(x):
    return parts(np.fft.fftshift(np.fft.fft(x)))


def ifftshift_of_complex(x):
    return np.abs(np.fft.ifftshift(np.fft.fft2(x), axes=0))


def keywords_at_their_defaults(x):
    return parts(np.fft.fft(a=x, n=None, axis=-1, norm=None)) + np.fft.irfft(np.fft.rfft(x, norm="backward"),
                                                                             n=x.shape[-1], axis=-1)


def fftn_of_a_list(x):
    return parts(np.fft.fftn([x, 2.0 * x], axes=(0, 1)))


def float32_rfft(x):
    return parts(np.fft.rfft(x))


CASES = [
    (fft, X8), (fft, X7), (fft, X1), (fft, X2), (fft_n_padded, X8), (fft_n_cut, X8), (fft_ortho, X7),
    (fft_forward, X2), (fft_backward_axis0, X2), (fft_negative_axis, X3),
    (ifft, X8), (ifft_n_ortho, X7), (ifft_axis, X3),
    (rfft, X8), (rfft, X7), (rfft, X1), (rfft, X2), (rfft_n_odd, X8), (rfft_n_cut_ortho, X8), (rfft_axis0_forward, X2),
    (irfft, X8), (irfft, X7), (irfft, X2), (irfft_odd_n, X8), (irfft_long_n_ortho, X7), (irfft_of_complex, X2),
    (fft2, X2), (fft2, X3), (fft2_s_ortho, X2), (ifft2_axes, X3), (fftn, X3), (fftn_s_axes, X3), (ifftn, X2),
    (ifftn_s, X3), (rfft2, X2), (rfft2_s, X3), (rfftn, X3), (rfftn_axes, X3), (irfftn, X3), (irfftn_s, X2),
    (irfft2, X2),
    (fftshift, X8), (fftshift, X7), (fftshift, X2), (fftshift_axes, X3), (ifftshift, X3), (shifted_spectrum, X7),
    (ifftshift_of_complex, X2), (keywords_at_their_defaults, X8), (keywords_at_their_defaults, X2),
    (fftn_of_a_list, X8), (float32_rfft, X8.astype(np.float32)),
]
IDS = [f"{op.__name__}-{'x'.join(map(str, x.shape))}" for op, x in CASES]


@pytest.mark.parametrize("op, x", CASES, ids=IDS)
def test_values_match_numpy(op, x):
    out, _ = srcdiff.vjp(op, x)
    expected = op(x)
    assert np.shape(out) == np.shape(expected) and out.dtype == expected.dtype
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("op, x", CASES, ids=IDS)
def test_derivatives_of_the_function(op, x):
    tol = dict(rtol=2e-3, atol=2e-3) if x.dtype == np.float32 else {}
    assert_all_modes(op, (x,), order=1, **tol)


@pytest.mark.parametrize("op, x", [c for c in CASES if c[1].dtype == np.float64],
                         ids=[i for i, c in zip(IDS, CASES) if c[1].dtype == np.float64])
def test_second_order_of_a_loss(op, x):
    assert_all_modes(weighted(op), (x,))


# -- the losses people write


def power_spectrum(x):
    return np.sum(np.abs(np.fft.rfft(x)) ** 2)


def filtered(x):
    return np.sum(np.fft.irfft(np.fft.rfft(x) * H5) ** 2 * np.arange(8.0))


def convolved(x, k):
    return np.sum(np.sin(np.real(np.fft.ifft(np.fft.fft(x) * np.fft.fft(k)))))


def energy(x):
    z = np.fft.fft(x, norm="ortho")
    return np.sum(z.real ** 2 + z.imag ** 2) + np.mean(np.abs(z[1:4]) * np.conjugate(z[1:4]).real)


def spectrum_parts(x):
    z = np.fft.rfft(x)
    w = z * z.conj() / (z + 3.0) - np.exp(z * 0.1j)
    return np.sum(np.imag(w) + np.real(-w) ** 3) + np.sum(np.abs(z.reshape(1, -1).T))


def overlapping_bins(x):
    z = np.fft.fft(x)
    return (np.sum(np.abs(z[1:3])) + np.sum(np.abs(z[2:5]) ** 2) + np.sum(np.real(z) ** 2)
            + np.sum(z[3:].imag * 2.0))


def shifted_by_a_constant(x):
    z = x + 1j * np.arange(8.0)  # z's tangent is x's, real: written into as a complex one
    return np.sum(np.abs(z[1:3]) ** 3) + np.sum(np.real(z[2:]) * x[2:]) + np.sum(np.abs(z[:4]))


@pytest.mark.parametrize("loss", [power_spectrum, filtered, energy, spectrum_parts, overlapping_bins,
                                  shifted_by_a_constant])
def test_losses_through_complex_intermediates(loss):
    assert_all_modes(loss, (X8,))


def test_a_convolution_by_ffts_in_both_arguments():
    k = RNG.normal(size=8)
    for argnum in (0, 1):
        assert_all_modes(convolved, (X8, k), argnum=argnum)


def test_parseval():
    """sum |rfft(x)|^2 counts the inner bins twice: its gradient is 2 n x minus the edges' share."""
    g = srcdiff.grad(power_spectrum)(X8)
    np.testing.assert_allclose(g, central_difference(power_spectrum, (X8,), 0), rtol=1e-6, atol=1e-6)
    full = srcdiff.grad(full_energy)(X8)
    np.testing.assert_allclose(full, 2 * 8 * X8, rtol=1e-12)


def full_energy(x):
    return np.sum(np.abs(np.fft.fft(x)) ** 2)


# -- the adjoints of rfft and irfft against the transposed matrices


def rfft_against(x, g):
    return np.sum(np.real(np.conj(g) * np.fft.rfft(x)))


def irfft_against(a, b, w):
    return np.sum(w * np.fft.irfft(a + 1j * b, w.shape[0]))


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 12), st.integers(0, 2 ** 31 - 1))
def test_the_adjoint_of_rfft_is_its_matrix_transposed(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    g = rng.normal(size=n // 2 + 1) + 1j * rng.normal(size=n // 2 + 1)
    matrix = np.fft.rfft(np.eye(n), axis=0)  # column j: rfft of the unit vector e_j
    got = srcdiff.grad(rfft_against)(x, g)
    np.testing.assert_allclose(got, np.real(matrix.conj().T @ g), rtol=1e-9, atol=1e-9)


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 12), st.integers(1, 8), st.integers(0, 2 ** 31 - 1))
def test_the_adjoint_of_irfft_doubles_the_inner_bins(n, m, seed):
    rng = np.random.default_rng(seed)
    a, b, w = rng.normal(size=m), rng.normal(size=m), rng.normal(size=n)
    # y = irfft(a + ib, n) is real-linear in (a, b): its matrices, column by column
    ra = np.stack([np.fft.irfft(e, n) for e in np.eye(m)], axis=1)
    rb = np.stack([np.fft.irfft(1j * e, n) for e in np.eye(m)], axis=1)
    ga, gb = srcdiff.grad(irfft_against, argnums=(0, 1))(a, b, w)
    np.testing.assert_allclose(ga, ra.T @ w, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(gb, rb.T @ w, rtol=1e-9, atol=1e-9)


def fft_against(x, g):
    return np.sum(np.real(np.conj(g) * np.fft.fft(x, norm="ortho")))


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 10), st.integers(0, 2 ** 31 - 1))
def test_the_adjoint_of_fft_is_the_conjugate_transpose(n, seed):
    rng = np.random.default_rng(seed)
    x, g = rng.normal(size=n), rng.normal(size=n) + 1j * rng.normal(size=n)
    matrix = np.fft.fft(np.eye(n), axis=0, norm="ortho")
    np.testing.assert_allclose(srcdiff.grad(fft_against)(x, g), np.real(matrix.conj().T @ g), rtol=1e-9, atol=1e-9)


NORMS = st.sampled_from([None, "backward", "ortho", "forward"])


def rfft2_against(norm):
    def against(x, g, like):  # like: an array of the shape s
        return np.sum(np.real(np.conj(g) * np.fft.rfft2(x, like.shape, norm=norm)))

    return against


def irfft2_against(norm):
    def against(a, b, w):
        return np.sum(w * np.fft.irfft2(a + 1j * b, w.shape, norm=norm))

    return against


def _matrix(linear, shape):
    """The matrix of a linear map of arrays of this shape, a column per unit array, flattened."""
    return np.stack([np.ravel(linear(e.reshape(shape))) for e in np.eye(int(np.prod(shape)))], axis=1)


@settings(max_examples=20, deadline=None)
@given(st.tuples(st.integers(1, 4), st.integers(1, 5)), st.tuples(st.integers(1, 5), st.integers(1, 6)), NORMS,
       st.integers(0, 2 ** 31 - 1))
def test_the_adjoint_of_rfft2_is_its_matrix_transposed(shape, s, norm, seed):
    rng = np.random.default_rng(seed)
    out = (s[0], s[1] // 2 + 1)
    x, g = rng.normal(size=shape), rng.normal(size=out) + 1j * rng.normal(size=out)
    matrix = _matrix(lambda e: np.fft.rfft2(e, s, norm=norm), shape)
    expected = np.real(matrix.conj().T @ g.ravel()).reshape(shape)
    np.testing.assert_allclose(srcdiff.grad(rfft2_against(norm))(x, g, np.zeros(s)), expected, rtol=1e-9, atol=1e-9)


@settings(max_examples=20, deadline=None)
@given(st.tuples(st.integers(1, 4), st.integers(1, 4)), st.tuples(st.integers(1, 5), st.integers(2, 7)), NORMS,
       st.integers(0, 2 ** 31 - 1))
def test_the_adjoint_of_irfft2_is_its_matrix_transposed(shape, s, norm, seed):
    rng = np.random.default_rng(seed)
    a, b, w = rng.normal(size=shape), rng.normal(size=shape), rng.normal(size=s)
    ra = _matrix(lambda e: np.fft.irfft2(e, s, norm=norm), shape)
    rb = _matrix(lambda e: np.fft.irfft2(1j * e, s, norm=norm), shape)
    ga, gb = srcdiff.grad(irfft2_against(norm), argnums=(0, 1))(a, b, w)
    np.testing.assert_allclose(ga, (ra.T @ w.ravel()).reshape(shape), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(gb, (rb.T @ w.ravel()).reshape(shape), rtol=1e-9, atol=1e-9)


# -- complex parts, in every spelling


def spellings(x):
    z = x * (1.0 + 2.0j) - 0.5j * x * x
    return (np.real(z) + z.imag * 3.0 + np.imag(z.conj()) + np.conj(z).real + np.conjugate(z).imag
            + z.conjugate().real + np.abs(z) + abs(z) + np.absolute(z) + np.square(z).real + (z ** 3).imag
            + np.real(z / (z + 2.0)) + np.sum(z).real)


def test_the_parts_of_a_complex_value():
    assert_all_modes(spellings, (X8,), order=1)
    assert_all_modes(sum_of_sines(spellings), (X8,))


def sum_of_sines(op):
    def loss(x):
        return np.sum(np.sin(op(x)))

    return loss


def phase_weighted(x):
    z = np.fft.fft(x) + 0.5
    k = np.fft.rfftfreq(x.shape[0], d=0.5)
    return (np.sum(np.angle(z) * np.fft.fftfreq(x.shape[0])) + np.sum(np.angle(z[:k.shape[0]], deg=True) * k)
            + np.sum(np.angle(x) * x))


def test_the_phase_and_the_frequencies():
    assert_all_modes(phase_weighted, (X8,))
    assert_all_modes(phase_weighted, (X7,))
    np.testing.assert_allclose(srcdiff.value_and_grad(phase_weighted)(X8)[0], phase_weighted(X8), rtol=1e-12)


# -- refusals


def sine_of_a_spectrum(x):
    return np.sum(np.real(np.sin(np.fft.fft(x))))


def matmul_of_a_spectrum(x):
    return np.real(np.fft.fft(x) @ np.fft.fft(x))


def rfft_of_complex(x):
    return np.sum(np.abs(np.fft.rfft(x * 1j)))


def fractional_power(x):
    return np.sum(np.real(np.fft.fft(x) ** 0.5))


def bad_norm(x):
    return np.sum(np.abs(np.fft.fft(x, norm="unitary")))


def spectrum_in_a_loop(x):
    z = np.fft.fft(x)
    for _ in range(2):
        z = z * 0.5
    return np.sum(np.abs(z))


def spectrum_in_an_if(x):
    z = np.fft.fft(x)
    if x[0] > 0:
        z = z * 2.0
    return np.sum(np.abs(z))


def norm_of_a_spectrum(x):
    return np.linalg.norm(np.fft.fft(x))


def returns_the_spectrum(x):
    return np.sum(np.fft.fft(x) * 2.0)


@pytest.mark.parametrize("op, message", [
    (sine_of_a_spectrum, "sin of a complex value"),
    (matmul_of_a_spectrum, "matmul of a complex value"),
    (rfft_of_complex, "np.fft.rfft of a complex array"),
    (fractional_power, "pow of a complex value"),
    (bad_norm, "norm must be None, 'backward', 'ortho' or 'forward'"),
    (spectrum_in_a_loop, "a loop carrying a complex value"),
    (spectrum_in_an_if, "an if carrying a complex value"),
    (norm_of_a_spectrum, "norm of a complex value"),
    (returns_the_spectrum, "returns a complex value"),
])
def test_unsupported_forms_are_refused_at_their_line(op, message):
    for mode in (srcdiff.grad, lambda f: (lambda x: srcdiff.jvp(f, (x,), (np.ones_like(x),)))):
        with pytest.raises(NonDifferentiableError, match=message) as info:
            mode(op)(X8)
        assert "test_fourier.py:" in str(info.value)


def test_complex_inputs_stay_a_type_error():
    with pytest.raises(TypeError, match="complex"):
        srcdiff.grad(power_spectrum)(X8 + 1j)


def weighted_by_a_constant_spectrum(x):
    c = np.fft.fft(np.arange(4.0))
    return np.sum(x * np.abs(c) + np.sin(x) * np.real(c))


def test_complex_values_off_the_differentiated_path_are_fine():
    c = np.fft.fft(np.arange(4.0))
    np.testing.assert_allclose(srcdiff.grad(weighted_by_a_constant_spectrum)(np.ones(4)),
                               np.abs(c) + np.cos(1.0) * c.real)


# -- the emitted code


def test_adjoints_read_as_written_by_hand():
    text = srcdiff.source(srcdiff.grad(power_spectrum), X8)
    assert "np.real(np.fft.ifft(" in text and "n=8, norm='forward'" in text  # rfft's adjoint: pad, transform back
    text = srcdiff.source(srcdiff.grad(filtered), X8)
    assert "np.conj(H5)" in text and "2 * " in text and "np.concatenate(" in text  # irfft's: doubled inner bins
    text = srcdiff.source(srcdiff.grad(weighted(shifted_spectrum)), X7)
    assert "np.roll(np.fft.fft(x), 3, axis=0)" in text and "np.roll(droll, -3, axis=0)" in text
    text = srcdiff.source(srcdiff.grad(full_energy), X8)
    assert "np.fft.ifft(" in text and "norm='forward'" in text
