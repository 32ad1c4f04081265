"""Cases of scipy.linalg's LU, matrix exponential, square root and banded solves, and of
scipy.signal.convolve: registered only when SciPy imports (an optional extra)."""
import numpy as np

from .op_cases import case, f32

try:
    import scipy.integrate
    import scipy.linalg
    import scipy.signal
    import srcdiff.prims.scipy_linalg  # noqa: F401  (SciPy's families load once SciPy is imported)
    import srcdiff.prims.scipy_signal  # noqa: F401
except ImportError:
    scipy = None


def small(rng, shape):
    """A matrix of norm below 1, where expm's differences are honest."""
    return rng.uniform(-0.5, 0.5, size=shape)


def well_conditioned(rng, shape):
    """A matrix 3 I plus a small one (or a vector): far from singular."""
    x = rng.uniform(-1.0, 1.0, size=shape)
    return x + 3.0 * np.eye(shape[0]) if len(shape) == 2 and shape[0] == shape[1] else x


def spd(rng, shape):
    """Symmetric positive definite, eigenvalues at least 1: a real principal square root."""
    m = rng.uniform(-1.0, 1.0, size=shape)
    return m @ m.T / shape[0] + np.eye(shape[0])


def banded(rng, shape):
    """Banded storage of a diagonally dominant matrix: the main diagonal (the middle row, u
    of l + u + 1 rows for l = u or u = l + 1) at 3 to 4."""
    ab = rng.uniform(-0.5, 0.5, size=shape)
    ab[shape[0] // 2] = rng.uniform(3.0, 4.0, size=shape[1])
    return ab


def anywhere(rng, shape):
    return rng.uniform(-2.0, 2.0, size=shape)


def shifted(rng, shape):
    """Of a Sylvester equation's a: spectrum near 2."""
    return rng.uniform(-0.3, 0.3, size=shape) + 2.0 * np.eye(shape[0])


def near_one(rng, shape):
    """Of a Sylvester equation's b: spectrum near 1, away from -a's."""
    return rng.uniform(-0.3, 0.3, size=shape) + np.eye(shape[0])


if scipy is not None:
    @case("expm", ((2, 2), (3, 3), f32(3, 3)), small)
    def matrix_exponential(a):
        return np.sum(np.sin(scipy.linalg.expm(a)))

    @case("sqrtm", ((2, 2), (3, 3)), spd)
    def matrix_square_root(a):
        return np.sum(scipy.linalg.sqrtm(a) * np.arange(a.size).reshape(a.shape))

    @case("solve_sylvester", (((2, 2), (3, 3), (2, 3)), ((3, 3), (3, 3), (3, 3))), (shifted, near_one, anywhere))
    def sylvester(a, b, q):
        return np.sum(np.sin(scipy.linalg.solve_sylvester(a, b, q)))

    @case("lu_solve", (((3, 3), (3,)), ((3, 3), (3, 2)), (f32(3, 3), f32(3))), (well_conditioned, anywhere))
    def lu_solved(a, b):
        lu, piv = scipy.linalg.lu_factor(a)
        return np.sum(np.sin(scipy.linalg.lu_solve((lu, piv), b)))

    @case("lu_solve", (((3, 3), (3,)), ((2, 2), (2, 3))), (well_conditioned, anywhere))
    def lu_solved_transposed(a, b):
        return np.sum(scipy.linalg.lu_solve(scipy.linalg.lu_factor(a), b, trans=1) ** 2)

    @case("lu_factors", ((3, 3), (2, 2)), well_conditioned)
    def lu_factors(a):
        lu, piv = scipy.linalg.lu_factor(a)
        return np.sum(np.sin(lu) * np.arange(a.size).reshape(a.shape))

    @case("solve_banded", (((3, 5), (5,)), ((4, 5), (5, 2))), (banded, anywhere))
    def banded_solve(ab, b):
        l, u = (1, 1) if ab.shape[0] == 3 else (1, 2)
        return np.sum(np.sin(scipy.linalg.solve_banded((l, u), ab, b)))

    @case("signal_convolve", (((4,), (2,)), ((3, 4), (2, 2)), (f32(3, 3), f32(2, 3))))
    def signal_convolution(a, v):
        return np.sum(np.sin(scipy.signal.convolve(a, v)))

    @case("signal_convolve", (((4,), (3,)), ((2, 3), (3, 2))))
    def signal_convolution_modes(a, v):
        return np.sum(scipy.signal.convolve(a, v, mode="same") ** 2) + np.sum(scipy.signal.convolve(v, a, "same"))
