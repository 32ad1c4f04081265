"""Cases of numpy.fft's primitives (srcdiff/prims/fourier.py) and of the parts of a complex
value (real, imag, conj in prims/elementwise.py), which an FFT's output needs: each case
makes its output real (np.real, np.abs, np.imag), as a function srcdiff differentiates
returns real numbers, and weights the bins by their position, so that a wrong bin shows."""
import numpy as np

from .op_cases import anywhere, case, f32

W8 = np.linspace(0.5, 1.5, 8)
W5 = np.linspace(0.5, 1.5, 5)
H5 = np.exp(0.7j * np.arange(5.0))  # a filter's complex response, a constant


@case("fft", ((8,), (5,), (3, 4), f32(6)), anywhere)
def fft_power(x):
    z = np.fft.fft(x)
    return np.abs(z) ** 2 * np.linspace(0.5, 1.5, z.shape[-1])


@case("fft", ((3, 4), (2, 3, 4)), anywhere)
def fft_along_an_axis_with_n(x):
    return np.real(np.fft.fft(x, n=5, axis=0, norm="ortho") * (1.0 + 2.0j))


@case("fft", ((8,), (6,)), anywhere)
def ifft_of_a_filtered_fft(x):
    return np.real(np.fft.ifft(np.fft.fft(x) * np.linspace(0.0, 1.0, x.shape[0])))


@case("fft", ((3, 4), (2, 3, 4)), anywhere)
def fft2_magnitude(x):
    return np.sum(np.abs(np.fft.fft2(x, s=(3, 5), norm="forward")), axis=-1) + np.sum(np.imag(np.fft.ifftn(x)) * x,
                                                                                     axis=-1)


@case("rfft", ((8,), (7,), (3, 4), f32(6)), anywhere)
def rfft_power(x):
    z = np.fft.rfft(x)
    return z.real ** 2 + z.imag ** 2 * np.linspace(0.5, 1.5, z.shape[-1])


@case("rfft", ((3, 4), (2, 3, 4)), anywhere)
def rfftn_with_s(x):
    return np.abs(np.fft.rfftn(x, s=(4, 6), axes=(0, -1), norm="ortho"))


@case("irfft", ((5,), (3, 5)), anywhere)
def irfft_of_a_filtered_rfft(x):
    return np.fft.irfft(np.fft.rfft(x, n=8) * H5)


@case("irfft", ((5,), (4, 5)), anywhere)
def irfft_of_a_real_half_spectrum(x):
    return np.fft.irfft(x, n=8, norm="forward") + np.fft.irfft(x * 1j + x, axis=-1)


@case("irfft", ((3, 4), (2, 3, 4)), anywhere)
def irfftn_of_rfftn(x):
    return np.fft.irfftn(np.fft.rfftn(x) * (1.0 - 0.5j), s=(3, 5), axes=(-2, -1))


@case("real", ((3,), (2, 3)), anywhere)
def real_of_complex(x):
    z = x * (1.0 + 2.0j) + x * x * 1j
    return np.real(z * z) + z.real


@case("imag", ((3,), (2, 3)), anywhere)
def imag_of_complex(x):
    z = x * (1.0 + 2.0j) + x * x * 1j
    return np.imag(z * z) + z.imag


@case("conj", ((3,), (2, 3)), anywhere)
def conj_of_complex(x):
    z = x * (1.0 + 2.0j) + x * x * 1j
    return np.real(np.conj(z) * z * (2.0 - 1.0j)) + np.imag(z.conj() * (1.0 + 1.0j))
