"""Cases of numpy.linalg's primitives (prims/matrices.py). The domains keep the matrices
where the derivatives exist and central differences are honest: near the identity (well
conditioned), symmetric positive definite, with eigenvalues or singular values well apart.
Symmetric matrices are built in the function (A = B @ B.T + n I) and also drawn directly:
the rules' derivative is that of NumPy's function, which reads one triangle, so central
differences of the same function check it on a direct input too."""
import numpy as np

import srcdiff

from .op_cases import anywhere, case, f32, near_zero


def well_conditioned(rng, shape):
    """Near the identity (a small perturbation of it in each matrix of a stack)."""
    return np.eye(shape[-1]) + rng.uniform(-0.25, 0.25, size=shape)


def signed(rng, shape):
    """Well conditioned with a negative determinant: a row of the identity flipped."""
    flip = np.ones(shape[-1])
    flip[0] = -1.0
    return flip[:, None] * well_conditioned(rng, shape)


def spd(rng, shape):
    """Symmetric positive definite, eigenvalues about 1, 2.5, 4, ... well apart."""
    n = shape[-1]
    noise = rng.uniform(-0.2, 0.2, size=shape)
    return np.diag(1.0 + 1.5 * np.arange(n)) + noise + np.swapaxes(noise, -1, -2)


def separated(rng, shape):
    """Singular values about 1, 2, 3, ... (m x n, any shape): distinct and away from 0."""
    m, n = shape[-2:]
    base = np.zeros((m, n))
    k = min(m, n)
    base[np.arange(k), np.arange(k)] = 1.0 + np.arange(k)
    return base + rng.uniform(-0.15, 0.15, size=shape)


def _sym(b):
    """An SPD matrix built from any b (a matrix or a stack), eigenvalues apart."""
    n = b.shape[-1]
    return 0.2 * (b @ np.swapaxes(b, -1, -2)) + np.diag(1.0 + 1.5 * np.arange(n))


# -- solve and inv

@case("solve", (((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3,)), ((2, 3, 3), (2, 3, 2)), ((2, 3, 3), (3, 1)),
                ((3, 3), (2, 3, 1)), (f32(3, 3), f32(3))), (well_conditioned, anywhere))
def solve(a, b):
    return np.linalg.solve(a, b)


@case("solve", ((3, 3),), near_zero)
def solve_built(b):
    """A built from the argument: its change is a full (not a symmetric) one."""
    return np.linalg.solve(np.eye(3) + b, np.array([1.0, 2.0, -1.0]))


@case("inv", ((3, 3), (2, 3, 3), f32(3, 3)), well_conditioned)
def inv(a):
    return np.linalg.inv(a)


# -- det and slogdet

@case("det", ((3, 3), (2, 3, 3), f32(3, 3)), well_conditioned)
def det(a):
    return np.linalg.det(a)


@case("det", ((3, 3),), signed)
def det_negative(a):
    return np.linalg.det(a)


@case("slogdet", ((3, 3), (2, 3, 3)), signed)
def slogdet(a):
    sign, logdet = np.linalg.slogdet(a)
    return sign * logdet


@case("slogdet", ((3, 3), f32(3, 3)), well_conditioned)
def slogdet_named(a):
    return np.linalg.slogdet(a).logabsdet


# -- cholesky

@case("cholesky", ((3, 3), (2, 3, 3)), anywhere)
def cholesky_built(b):
    return np.linalg.cholesky(_sym(b))


@case("cholesky", ((3, 3), (2, 3, 3), f32(3, 3)), spd)
def cholesky(a):
    """A direct input: the lower triangle is read, the upper one has no effect."""
    return np.linalg.cholesky(a)


@case("cholesky", ((3, 3),), spd)
def cholesky_upper(a):
    return np.linalg.cholesky(a, upper=True)


# -- eigh and eigvalsh (squared eigenvectors: their sign is arbitrary)

@case("eigh", ((3, 3), (2, 3, 3)), anywhere)
def eigh_built(b):
    w, v = np.linalg.eigh(_sym(b))
    return w[..., None] * v ** 2


@case("eigh", ((3, 3), (2, 3, 3), f32(3, 3)), spd)
def eigh(a):
    w, v = np.linalg.eigh(a)
    return np.concatenate([w[..., None], v ** 2], axis=-1)


@case("eigh", ((3, 3),), spd)
def eigh_upper(a):
    w, v = np.linalg.eigh(a, UPLO="U")
    return v[0] ** 2 + w


@case("eigh", ((3, 3),), spd)
def eigh_values(a):
    return np.linalg.eigh(a).eigenvalues


@case("eigvalsh", ((3, 3), (2, 3, 3), f32(3, 3)), spd)
def eigvalsh(a):
    return np.linalg.eigvalsh(a)


@case("eigvalsh", ((3, 3),), anywhere)
def eigvalsh_built(b):
    return np.linalg.eigvalsh(_sym(b), UPLO="U")


def _eigenvector_loss(a):
    w, v = np.linalg.eigh(a)
    return np.sum(v[:, 0] ** 2 * np.array([1.0, 2.0, 3.0]))


@case("inverse_gaps", ((3, 3),), spd)
def grad_of_eigenvectors(a):
    """The gradient through eigenvectors weighs by _inverse_gaps(w)."""
    return srcdiff.grad(_eigenvector_loss)(a)


# -- svd (squared singular vectors)

@case("svd", ((4, 3), (3, 4), (3, 3), (2, 4, 3), f32(4, 3)), separated)
def svd(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.sum(u ** 2, axis=-1) + np.sum(vh ** 2 * s[..., :, None], axis=-2)[..., :1] + np.sum(s)


@case("svd", ((3, 3),), separated)
def svd_square(a):
    u, s, vh = np.linalg.svd(a)
    return u[:, 0] * vh[0] + s


@case("svdvals", ((4, 3), (3, 4), (2, 3, 3), f32(3, 3)), separated)
def singular_values(a):
    return np.linalg.svd(a, compute_uv=False)


# -- qr, pinv, lstsq

@case("qr", ((3, 3), (4, 3), (2, 4, 3)), separated)
def qr(a):
    q, r = np.linalg.qr(a)
    return np.concatenate([q, r], axis=-2)


@case("qr", ((4, 3),), separated)
def qr_r(a):
    return np.linalg.qr(a).R


@case("pinv", ((4, 3), (3, 4), (3, 3), (2, 4, 3)), separated)
def pinv(a):
    return np.linalg.pinv(a)


@case("lstsq", (((4, 3), (4,)), ((4, 3), (4, 2)), ((3, 3), (3,))), (separated, anywhere))
def lstsq(a, b):
    return np.linalg.lstsq(a, b, rcond=None)[0]


@case("lstsq", (((4, 3), (4,)), ((4, 3), (4, 2))), (separated, anywhere))
def lstsq_residuals(a, b):
    x, residuals, rank, s = np.linalg.lstsq(a, b)
    return np.sum(residuals) + s * rank


# -- scipy.linalg (prims/scipy_linalg.py), only where SciPy imports

try:
    import scipy.linalg
    import srcdiff.prims.scipy_linalg  # noqa: F401  (SciPy's families load once SciPy is imported)
except ImportError:
    scipy = None

if scipy is not None:

    def triangular(rng, shape):
        """Any matrix whose triangles are well conditioned (the diagonal near 2)."""
        return 2.0 * np.eye(shape[-1]) + rng.uniform(-0.3, 0.3, size=shape)

    @case("solve_triangular", (((3, 3), (3,)), ((3, 3), (3, 2)), (f32(3, 3), f32(3))), (triangular, anywhere))
    def solve_triangular(a, b):
        """a is read as its upper triangle: its lower one has no effect."""
        return scipy.linalg.solve_triangular(a, b)

    @case("solve_triangular", (((3, 3), (3,)), ((3, 3), (3, 2))), (triangular, anywhere))
    def solve_triangular_options(a, b):
        return (scipy.linalg.solve_triangular(a, b, lower=True, trans="T")
                + scipy.linalg.solve_triangular(a, b, trans=1, unit_diagonal=True))

    @case("scipy_cholesky", ((3, 3), f32(3, 3)), spd)
    def scipy_cholesky(a):
        return scipy.linalg.cholesky(a)

    @case("scipy_cholesky", ((3, 3),), anywhere)
    def scipy_cholesky_lower(b):
        return scipy.linalg.cholesky(_sym(b), lower=True)

    @case("cho_factor", ((3, 3),), spd)
    def cho_factor(a):
        """c itself: the factor on its triangle, a's entries on the other."""
        c, lower = scipy.linalg.cho_factor(a)
        return c

    @case("cho_factor", (((3, 3), (3,)),), (spd, anywhere))
    @case("cho_solve", (((3, 3), (3,)), ((3, 3), (3, 2))), (spd, anywhere))
    def cho_solve(a, b):
        return scipy.linalg.cho_solve(scipy.linalg.cho_factor(a, lower=True), b)

    @case("cho_solve", (((3, 3), (3,)),), (spd, anywhere))
    def cho_solve_upper(a, b):
        c, lower = scipy.linalg.cho_factor(a)
        return scipy.linalg.cho_solve((c, lower), b)
