"""scipy.stats (issue 16): the distributions' log-densities, densities and cdfs, called as
users call them (scipy.stats.norm.logpdf(x, loc, scale), from scipy.stats import norm,
loc and scale by position or by name), against SciPy's values and central differences
in every mode and to second order, in each continuous argument; a cdf's shape parameter
refused, at its line, where it is differentiated; the emitted code reading as the formula."""
import numpy as np
import pytest

scipy = pytest.importorskip("scipy")
import scipy.stats  # noqa: E402
from scipy import stats  # noqa: E402
from scipy.stats import norm, poisson  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import srcdiff  # noqa: E402
from srcdiff import NonDifferentiableError  # noqa: E402

from tests.numeric import assert_all_modes, central_difference  # noqa: E402

RNG = np.random.default_rng(16)
X = RNG.normal(size=5)
P = RNG.uniform(0.5, 3.0, size=5)  # positive
U = RNG.uniform(0.1, 0.9, size=5)  # inside (0, 1)
K = np.array([0, 1, 2, 4, 7])


# -- norm

def norm_logpdf(x, loc, scale):
    return np.sum(scipy.stats.norm.logpdf(x, loc, scale))


def norm_logpdf_keywords(x, loc, scale):
    return np.sum(norm.logpdf(x, loc=loc, scale=scale) * np.arange(1.0, 6.0))


def norm_pdf(x, loc, scale):
    return np.sum(norm.pdf(x, loc, scale=scale))


def norm_cdf(x, loc, scale):
    return np.sum(stats.norm.cdf(x, loc, scale) ** 2)


def norm_logcdf(x, loc, scale):
    return np.sum(norm.logcdf(x, loc, scale))


def norm_sf(x, loc, scale):
    return np.sum(norm.sf(x, loc, scale) + norm.logsf(x, loc, scale))


# -- t, in x, loc, scale and df

def t_logpdf(x, df, scale):
    return np.sum(scipy.stats.t.logpdf(x, df, 0.5, scale))


def t_pdf(x, df, scale):
    return np.sum(scipy.stats.t.pdf(x, df, scale=scale))


def t_cdf(x, df, scale):
    return np.sum(scipy.stats.t.cdf(x, 3.0, 0.2, scale) + scipy.stats.t.logcdf(x, 4, scale=scale))


# -- gamma, beta, chi2

def gamma_logpdf(x, a, scale):
    return np.sum(scipy.stats.gamma.logpdf(x, a, scale=scale))


def gamma_logpdf_keywords(x, a, scale):
    return np.sum(scipy.stats.gamma.logpdf(x, a=a, scale=scale) + scipy.stats.t.logpdf(x, df=a))


def gamma_pdf(x, a, scale):
    return np.sum(scipy.stats.gamma.pdf(x, a, 0.0, scale))


def gamma_cdf(x, a, scale):
    return np.sum(scipy.stats.gamma.cdf(x, 2.5, scale=scale) + scipy.stats.gamma.logcdf(x, 1.5))


def beta_logpdf(x, a, b):
    return np.sum(scipy.stats.beta.logpdf(x, a, b))


def beta_logpdf_keyword(x, a, b):
    return np.sum(scipy.stats.beta.logpdf(x, a, b=b))


def beta_pdf(x, a, b):
    return np.sum(scipy.stats.beta.pdf(x / 2.0 + 0.1, a, b, loc=0.1, scale=0.5))


def beta_cdf(x, a, b):
    return np.sum(scipy.stats.beta.cdf(x, 2.0, 3.0))


def chi2_logpdf(x, df, scale):
    return np.sum(scipy.stats.chi2.logpdf(x, df, scale=scale))


def chi2_pdf_cdf(x, df, scale):
    return np.sum(scipy.stats.chi2.pdf(x, df) + scipy.stats.chi2.cdf(x, 3, scale=scale))


NORM_ARGS = (X, 0.3, 1.7)
SHAPED = (P, 2.2, 1.3)
IN_UNIT = (U, 2.5, 1.8)

CASES = [
    (norm_logpdf, NORM_ARGS, (0, 1, 2)), (norm_logpdf_keywords, (X, X[::-1], P), (0, 1, 2)),
    (norm_pdf, NORM_ARGS, (0, 1, 2)), (norm_cdf, NORM_ARGS, (0, 1, 2)), (norm_logcdf, NORM_ARGS, (0, 1, 2)),
    (norm_sf, NORM_ARGS, (0, 1, 2)),
    (t_logpdf, (X, 3.5, 1.4), (0, 1, 2)), (t_pdf, (X, 2.5, 0.8), (0, 1, 2)), (t_cdf, (X, 3.0, 1.4), (0, 2)),
    (gamma_logpdf, SHAPED, (0, 1, 2)), (gamma_pdf, SHAPED, (0, 1, 2)), (gamma_logpdf_keywords, SHAPED, (0, 1, 2)), (gamma_cdf, SHAPED, (0, 2)),
    (beta_logpdf, IN_UNIT, (0, 1, 2)), (beta_pdf, IN_UNIT, (0, 1, 2)), (beta_logpdf_keyword, IN_UNIT, (0, 1, 2)), (beta_cdf, IN_UNIT, (0,)),
    (chi2_logpdf, SHAPED, (0, 1, 2)), (chi2_pdf_cdf, SHAPED, (0, 1, 2)),
]
IDS = [f.__name__ for f, _, _ in CASES]


@pytest.mark.parametrize("op, args, argnums", CASES, ids=IDS)
def test_values_match_scipy(op, args, argnums):
    out, _ = srcdiff.vjp(op, *args)
    np.testing.assert_allclose(out, op(*args), rtol=1e-12)


@pytest.mark.parametrize("op, args, argnums", CASES, ids=IDS)
def test_derivatives_to_second_order(op, args, argnums):
    for argnum in argnums:
        assert_all_modes(op, args, argnum=argnum)


@pytest.mark.parametrize("method, args", [
    ("logpdf", ()), ("pdf", ()), ("cdf", ()), ("logcdf", ()), ("sf", ()), ("logsf", ())], ids=lambda v: str(v))
def test_norm_methods_elementwise_match_scipy(method, args):
    fn = getattr(scipy.stats.norm, method)

    def f(x, loc, scale):
        return fn(x, loc, scale)

    out, pullback = srcdiff.vjp(f, X, X[::-1], P)
    np.testing.assert_allclose(out, f(X, X[::-1], P), rtol=1e-12)
    grads = pullback(np.ones(5))
    for i in range(3):
        np.testing.assert_allclose(grads[i], central_difference(lambda *a: np.sum(f(*a)), (X, X[::-1], P), i),
                                   rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("dist, x, shapes", [
    ("t", X, (3.0,)), ("gamma", P, (2.0,)), ("beta", U, (2.0, 3.0)), ("chi2", P, (4.0,))], ids=str)
@pytest.mark.parametrize("method", ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"])
def test_every_method_matches_scipy_with_loc_and_scale(dist, x, shapes, method):
    fn = getattr(getattr(scipy.stats, dist), method)
    a, b = (shapes + (None,))[:2]

    def one_shape(x):
        return fn(x, a, loc=-0.1, scale=1.5)

    def two_shapes(x):
        return fn(x, a, b, loc=-0.1, scale=1.5)

    f = one_shape if b is None else two_shapes

    out, pullback = srcdiff.vjp(f, x)
    np.testing.assert_allclose(out, f(x), rtol=1e-10)
    np.testing.assert_allclose(pullback(np.ones(5))[0], central_difference(lambda x: np.sum(f(x)), (x,), 0),
                               rtol=1e-6, atol=1e-8)


# -- poisson, in mu

def poisson_logpmf(k, mu):
    return np.sum(poisson.logpmf(k, mu))


def poisson_pmf_loc(k, mu):
    return np.sum(scipy.stats.poisson.pmf(k + 1, mu, loc=1) * mu)


def poisson_cdf(k, mu):
    return np.sum(poisson.cdf(k, mu) + poisson.logcdf(k, mu))


@pytest.mark.parametrize("op", [poisson_logpmf, poisson_pmf_loc, poisson_cdf], ids=lambda f: f.__name__)
@pytest.mark.parametrize("mu", [2.3, RNG.uniform(0.5, 4.0, size=5)], ids=["scalar", "array"])
def test_poisson_in_mu(op, mu):
    np.testing.assert_allclose(srcdiff.vjp(op, K, mu)[0], op(K, mu), rtol=1e-12)
    assert_all_modes(op, (K, mu), argnum=1)


def poisson_float_counts(k, mu):
    return np.sum(poisson.logpmf(k, mu))


def test_poisson_counts_get_no_derivative():
    """A count held as a float is still a count: its gradient is zero, not gammaln's."""
    k = K.astype(float)
    dk, dmu = srcdiff.grad(poisson_float_counts, argnums=(0, 1))(k, 2.0)
    np.testing.assert_array_equal(dk, np.zeros(5))
    np.testing.assert_allclose(dmu, np.sum(k / 2.0 - 1.0))


# -- dirichlet

def dirichlet_logpdf(x, alpha):
    return scipy.stats.dirichlet.logpdf(x, alpha)


def dirichlet_pdf_columns(x, alpha):
    return np.sum(stats.dirichlet.pdf(x, alpha))


def dirichlet_formula(x, alpha):
    """The log-density off the simplex too, where SciPy refuses x (central differences step there)."""
    powers = (alpha - 1)[:, None] if np.ndim(x) == 2 else alpha - 1
    log_beta = np.sum(scipy.special.gammaln(alpha)) - scipy.special.gammaln(np.sum(alpha))
    return np.sum(scipy.special.xlogy(powers, x), axis=0) - log_beta


@pytest.mark.parametrize("op, x, reference", [
    (dirichlet_logpdf, np.array([0.2, 0.3, 0.5]), dirichlet_formula),
    (dirichlet_pdf_columns, np.array([[0.2, 0.3], [0.3, 0.3], [0.5, 0.4]]),
     lambda x, alpha: np.sum(np.exp(dirichlet_formula(x, alpha)))),
], ids=["logpdf-vector", "pdf-columns"])
def test_dirichlet(op, x, reference):
    alpha = np.array([1.5, 2.0, 3.0])
    np.testing.assert_allclose(srcdiff.vjp(op, x, alpha)[0], op(x, alpha), rtol=1e-12)
    grad = srcdiff.grad(op, argnums=(0, 1))
    for argnum in (0, 1):
        np.testing.assert_allclose(grad(x, alpha)[argnum], central_difference(reference, (x, alpha), argnum),
                                   rtol=1e-6, atol=1e-8)
        _, t = srcdiff.jvp(op, (x, alpha), tuple(np.ones_like(a) if i == argnum else np.zeros_like(a)
                                                 for i, a in enumerate((x, alpha))))
        np.testing.assert_allclose(t, np.sum(central_difference(reference, (x, alpha), argnum)), rtol=1e-6)
        second = central_difference(lambda *a: grad(*a)[argnum], (x, alpha), argnum)
        np.testing.assert_allclose(srcdiff.hessian(op, argnums=argnum)(x, alpha), second, rtol=1e-5, atol=1e-7)


# -- rules that hold for all inputs

@settings(max_examples=25, deadline=None)
@given(x=hnp.arrays(np.float64, st.integers(1, 5), elements=st.floats(-5.0, 5.0)),
       loc=st.floats(-2.0, 2.0), scale=st.floats(0.3, 3.0))
def test_the_score_of_norm_is_the_formula(x, loc, scale):
    dx, dloc, dscale = srcdiff.grad(norm_logpdf, argnums=(0, 1, 2))(x, loc, scale)
    z = (x - loc) / scale
    np.testing.assert_allclose(dx, -z / scale, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dloc, np.sum(z / scale), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dscale, np.sum((z ** 2 - 1) / scale), rtol=1e-10, atol=1e-10)


@settings(max_examples=25, deadline=None)
@given(x=hnp.arrays(np.float64, st.integers(1, 5), elements=st.floats(-4.0, 4.0)))
def test_the_derivative_of_norm_cdf_is_norm_pdf(x):
    _, t = srcdiff.jvp(lambda x: norm.cdf(x), (x,), (np.ones_like(x),))
    np.testing.assert_allclose(t, norm.pdf(x), rtol=1e-12)


# -- refusals and the emitted code

def gamma_cdf_in_a(x, a):
    return np.sum(scipy.stats.gamma.cdf(x, a))


def beta_cdf_in_b(x, b):
    return np.sum(scipy.stats.beta.cdf(x, 2.0, b))


def t_cdf_in_df(x, df):
    return np.sum(scipy.stats.t.cdf(x, df))


@pytest.mark.parametrize("op, message", [
    (gamma_cdf_in_a, "scipy.special.gammainc in its argument a"),
    (beta_cdf_in_b, "scipy.special.betainc in its argument b"),
    (t_cdf_in_df, "scipy.special.stdtr in its argument df"),
], ids=lambda v: getattr(v, "__name__", ""))
def test_a_cdf_is_refused_in_its_shape_parameter(op, message):
    with pytest.raises(NonDifferentiableError, match=message) as info:
        srcdiff.grad(op, argnums=1)(U, 2.0)
    assert "test_scipy_stats.py:" in str(info.value)
    np.testing.assert_allclose(srcdiff.grad(op)(U, 2.0), central_difference(op, (U, 2.0), 0), rtol=1e-6)


def t_without_df(x):
    return scipy.stats.t.logpdf(x)


def gamma_with_a_stray_keyword(x):
    return scipy.stats.gamma.logpdf(x, 2.0, shape=3.0)


def test_a_missing_shape_parameter_is_refused():
    with pytest.raises(NonDifferentiableError, match="scipy.stats.t.logpdf needs its 1 shape parameter") as info:
        srcdiff.grad(lambda x: np.sum(t_without_df(x)))(X)
    assert "test_scipy_stats.py:" in str(info.value)
    with pytest.raises(NonDifferentiableError, match="unexpected keyword arguments \\['shape'\\]") as info:
        srcdiff.grad(lambda x: np.sum(gamma_with_a_stray_keyword(x)))(P)
    assert "test_scipy_stats.py:" in str(info.value)


def test_the_emitted_code_reads_as_the_formula():
    code = srcdiff.source(srcdiff.grad(norm_logpdf, argnums=(0, 1, 2)), *NORM_ARGS)
    assert "(x - loc) / scale" in code and "scipy" not in code.split('"""')[0] + code.split('"""')[-1]
    code = srcdiff.source(srcdiff.grad(gamma_logpdf, argnums=1), *SHAPED)
    assert "scipy.special.digamma(a)" in code and "import scipy.special\n" in code
    code = srcdiff.source(srcdiff.grad(poisson_logpmf, argnums=1), K, 2.3)
    assert "k / mu" in code


# -- multivariate_normal: x of shape (d,) or (n, d), cov a matrix, a diagonal or a number

_B = RNG.normal(size=(3, 3))
COV = _B @ _B.T + 3.0 * np.eye(3)
MEAN = RNG.normal(size=3)
POINTS = RNG.normal(size=(4, 3))


def mvn_points(x, mean, cov):
    return np.sum(scipy.stats.multivariate_normal.logpdf(x, mean, cov) * np.arange(1.0, 5.0))


def mvn_one_point(x, mean, cov):
    return stats.multivariate_normal.logpdf(x, mean=mean, cov=cov)


def mvn_diagonal_pdf(x, mean, variances):
    return np.sum(stats.multivariate_normal.pdf(x, mean, variances))


def mvn_one_dimension(x, scale):
    return np.sum(stats.multivariate_normal.logpdf(x, cov=scale))  # d = 1: x holds len(x) points


def mvn_with_symmetrised_cov(x, B):
    cov = B @ B.T + 3.0 * np.eye(3)  # the covariance a function of the inputs
    return np.sum(stats.multivariate_normal.logpdf(x, np.zeros(3), cov))


@pytest.mark.parametrize("f, args", [
    (mvn_points, (POINTS, MEAN, COV)), (mvn_one_point, (POINTS[0], MEAN, COV)),
    (mvn_diagonal_pdf, (POINTS, MEAN, np.array([1.0, 2.0, 3.0]))), (mvn_one_dimension, (X, 1.7)),
    (mvn_with_symmetrised_cov, (POINTS, _B)),
])
def test_multivariate_normal(f, args):
    for i, a in enumerate(args):
        if f is mvn_points and i == 2 or f is mvn_one_point and i == 2:
            continue  # cov alone: its entries off the triangle Cholesky reads are checked below
        assert_all_modes(f, args, argnum=i, rtol=1e-5, atol=1e-7, order=2 if i == 0 else 1)


def test_multivariate_normal_values_are_scipys():
    np.testing.assert_allclose(srcdiff.value_and_grad(mvn_points)(POINTS, MEAN, COV)[0],
                               mvn_points(POINTS, MEAN, COV), rtol=1e-12)
    np.testing.assert_allclose(srcdiff.value_and_grad(mvn_one_dimension)(X, 1.7)[0], mvn_one_dimension(X, 1.7),
                               rtol=1e-12)


def test_multivariate_normal_in_a_symmetric_covariance():
    """Along a symmetric direction (what a covariance can move in), the derivative in cov is
    SciPy's function's, whatever triangle the Cholesky factor reads."""
    sym = RNG.normal(size=(3, 3))
    sym = sym + sym.T
    _, t = srcdiff.jvp(mvn_points, (POINTS, MEAN, COV), (np.zeros_like(POINTS), np.zeros(3), sym))
    h = 1e-6
    expected = (mvn_points(POINTS, MEAN, COV + h * sym) - mvn_points(POINTS, MEAN, COV - h * sym)) / (2 * h)
    assert t == pytest.approx(expected, rel=1e-6)


def test_multivariate_normal_refusals_are_located():
    def singular(x):
        return np.sum(stats.multivariate_normal.logpdf(x, MEAN, COV, allow_singular=True))

    def cdf(x):
        return np.sum(stats.multivariate_normal.cdf(x, MEAN, COV))

    with pytest.raises(NonDifferentiableError, match="allow_singular") as e:
        srcdiff.grad(singular)(POINTS)
    assert "test_scipy_stats.py" in str(e.value)
    with pytest.raises(srcdiff.UnknownCallableError, match=r"no derivative rule for scipy\.stats\.multivariate_normal"
                                                           r"\.cdf") as e:
        srcdiff.grad(cdf)(POINTS)
    assert "test_scipy_stats.py" in str(e.value)


def test_scipy_is_not_read_as_source():
    """A SciPy function with no rule is refused at the user's line, by its public name; srcdiff
    does not read SciPy's own Python (which stopped deep inside scipy/stats before)."""
    def skew(x):
        return stats.skew(x)

    with pytest.raises(srcdiff.UnknownCallableError, match=r"no derivative rule for scipy\.stats\.skew") as e:
        srcdiff.grad(skew)(X)
    assert e.value.loc.filename == __file__
