"""scipy.stats distributions, when SciPy imports: scipy.stats.norm.logpdf(x, loc, scale)
and its kin, each a composition of NumPy's and scipy.special's primitives written as the
formula (norm.logpdf is -z ** 2 / 2 - log(2π) / 2 - log(scale), z = (x - loc) / scale),
so the emitted code reads as the formula and every derivative comes from the parts: in x,
loc and scale, and in a shape parameter wherever the density is elementary in it (gamma's
a through gammaln, t's df). A cdf's shape derivative has no closed form: scipy.special's
gammainc, betainc and stdtr refuse it, located, where it is differentiated.

Inside the support the values are SciPy's (up to rounding); the formulas do not test the
arguments (SciPy's -inf outside the support, nan for scale <= 0)."""
import math

import numpy as np

from .core import array_operand, binds, const_equals, current, wrap
from .shaping import STOP_GRADIENT

try:
    import scipy.special
    import scipy.stats
except ImportError:  # an optional extra: without it, nothing registers
    scipy = None

FAMILY = "scipy.stats"  # grammar.md's list of callables (prims/catalog.py) groups by it

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_SQRT_2PI = math.sqrt(2.0 * math.pi)


def _standardized(x, loc, scale):
    """z = (x - loc) / scale, leaving out a loc of 0 and a scale of 1."""
    z = wrap(array_operand(x))
    if not const_equals(loc, 0):
        z = z - array_operand(loc)
    if not const_equals(scale, 1):
        z = z / array_operand(scale)
    return z


def _log_scaled(logpdf, scale):
    """A density's log at z, less log(scale) (the change of variable)."""
    return logpdf if const_equals(scale, 1) else logpdf - np.log(array_operand(scale))


def _scaled(pdf, scale):
    return pdf if const_equals(scale, 1) else pdf / array_operand(scale)


def _continuous(dist, logpdf, cdf=None, pdf=None, logcdf=None, sf=None, logsf=None):
    """Bind dist's methods from the standardized log-density logpdf(z, *shapes) and cdf(z,
    *shapes): pdf is exp(logpdf) / scale unless given, logcdf log(cdf)."""
    def binder(method):
        def bind(x, *args, loc=0, scale=1, **named):
            what = f"scipy.stats.{dist.name}.{method.__name__}"
            args = args + tuple(named.pop(n) for n in names[len(args):] if n in named)  # gamma.logpdf(x, a=2.0)
            if named:
                raise TypeError(f"{what} got unexpected keyword arguments {sorted(named)}")
            shapes, where = _split(args, len(names), loc, scale, what)
            shapes = [array_operand(s) for s in shapes]
            z = _standardized(x, where[0], where[1])
            return method(z, shapes, where[1])

        return bind

    names = dist.shapes.split(", ") if dist.shapes else []

    def _logpdf(z, shapes, scale):
        return _log_scaled(logpdf(z, *shapes), scale)

    def _pdf(z, shapes, scale):
        return _scaled(pdf(z, *shapes) if pdf is not None else np.exp(logpdf(z, *shapes)), scale)

    def _cdf(z, shapes, scale):
        return cdf(z, *shapes)

    def _logcdf(z, shapes, scale):
        return logcdf(z, *shapes) if logcdf is not None else np.log(cdf(z, *shapes))

    def _sf(z, shapes, scale):
        return sf(z, *shapes) if sf is not None else 1 - cdf(z, *shapes)

    def _logsf(z, shapes, scale):
        return logsf(z, *shapes) if logsf is not None else np.log(_sf(z, shapes, scale))

    for name, method in (("logpdf", _logpdf), ("pdf", _pdf), ("cdf", _cdf), ("logcdf", _logcdf), ("sf", _sf),
                         ("logsf", _logsf)):
        if cdf is None and name not in ("logpdf", "pdf"):
            continue
        method.__name__ = name
        binds(getattr(dist, name))(binder(method))


def _split(args, n_shapes, loc, scale, what):
    """The shape parameters, and loc and scale, passed by position or by name."""
    if len(args) > n_shapes + 2:
        raise TypeError(f"{what} takes {n_shapes} shape parameter(s), loc and scale; got {len(args)} arguments")
    if len(args) < n_shapes:
        raise current().error(f"{what} needs its {n_shapes} shape parameter(s)", "pass them after x, by position or by name.")
    rest = list(args[n_shapes:]) + [loc, scale][len(args) - n_shapes:]
    return args[:n_shapes], rest


def _held(k):
    """A count (poisson's k): no derivative flows into it (an integer carries none anyway)."""
    k = wrap(array_operand(k))
    if k.aval.dtype is not None and k.aval.dtype.kind in "biu":
        return k
    return current().apply(STOP_GRADIENT, [k])


if scipy is not None:
    st, sc = scipy.stats, scipy.special

    _continuous(st.norm, lambda z: -0.5 * z ** 2 - _HALF_LOG_2PI, cdf=sc.ndtr,
                pdf=lambda z: np.exp(-0.5 * z ** 2) / _SQRT_2PI, logcdf=sc.log_ndtr,
                sf=lambda z: sc.ndtr(-z), logsf=lambda z: sc.log_ndtr(-z))
    _continuous(st.t, lambda z, df: (sc.gammaln((df + 1) / 2) - sc.gammaln(df / 2) - 0.5 * np.log(df * np.pi)
                                     - (df + 1) / 2 * np.log1p(z ** 2 / df)),
                cdf=lambda z, df: sc.stdtr(df, z), sf=lambda z, df: sc.stdtr(df, -z))
    _continuous(st.gamma, lambda z, a: sc.xlogy(a - 1, z) - z - sc.gammaln(a),
                cdf=lambda z, a: sc.gammainc(a, z), sf=lambda z, a: sc.gammaincc(a, z))
    _continuous(st.beta, lambda z, a, b: sc.xlog1py(b - 1, -z) + sc.xlogy(a - 1, z) - sc.betaln(a, b),
                cdf=lambda z, a, b: sc.betainc(a, b, z))
    _continuous(st.chi2, lambda z, df: sc.xlogy(df / 2 - 1, z) - z / 2 - sc.gammaln(df / 2) - (math.log(2.0) / 2) * df,
                cdf=lambda z, df: sc.gammainc(df / 2, z / 2), sf=lambda z, df: sc.gammaincc(df / 2, z / 2))

    # -- poisson, in mu: k is a count

    def _poisson_logpmf(k, mu, loc=0):
        k = _held(k if const_equals(loc, 0) else wrap(array_operand(k)) - array_operand(loc))
        mu = array_operand(mu)
        return sc.xlogy(k, mu) - sc.gammaln(k + 1) - mu

    binds(st.poisson.logpmf)(_poisson_logpmf)

    @binds(st.poisson.pmf)
    def _poisson_pmf(k, mu, loc=0):
        return np.exp(_poisson_logpmf(k, mu, loc))

    def _poisson_cdf(k, mu, loc=0):
        """P(K <= k) = Q(floor(k) + 1, mu), the regularized upper incomplete gamma."""
        k = _held(k if const_equals(loc, 0) else wrap(array_operand(k)) - array_operand(loc))
        return sc.gammaincc(np.floor(k) + 1, array_operand(mu))

    binds(st.poisson.cdf)(_poisson_cdf)

    @binds(st.poisson.logcdf)
    def _poisson_logcdf(k, mu, loc=0):
        return np.log(_poisson_cdf(k, mu, loc))

    # -- dirichlet: x along the first axis (K, or K by N), alpha of length K

    @binds(st.dirichlet.logpdf)
    def _dirichlet_logpdf(x, alpha):
        x, alpha = wrap(array_operand(x)), wrap(array_operand(alpha))
        if x.aval.ndim is None or alpha.aval.ndim is None:
            raise current().error("scipy.stats.dirichlet.logpdf needs the rank of x and alpha",
                                  "give arguments whose shapes are known when compiling.")
        if alpha.aval.ndim != 1 or x.aval.ndim not in (1, 2):
            raise current().error("scipy.stats.dirichlet.logpdf takes alpha of one axis and x of one or two "
                                  "(the components along the first)")
        powers = alpha - 1 if x.aval.ndim == 1 else (alpha - 1)[:, None]
        log_beta = np.sum(sc.gammaln(alpha)) - sc.gammaln(np.sum(alpha))
        return np.sum(sc.xlogy(powers, x), axis=0) - log_beta

    @binds(st.dirichlet.pdf)
    def _dirichlet_pdf(x, alpha):
        return np.exp(_dirichlet_logpdf(x, alpha))

    # -- multivariate_normal: x of shape (d,) or (n, d) (a (n,) x of d = 1 is n points), the
    # covariance a matrix, a vector (its diagonal) or a number (times the identity). The
    # Mahalanobis term is a solve with the Cholesky factor, the log-determinant its diagonal's logs.

    def _mvn_parts(x, mean, cov, what):
        x = wrap(array_operand(x))
        if x.aval.ndim is None or not x.aval.known_shape:
            raise current().error(f"{what} needs the shape of x", "give arguments whose shapes are known when compiling.")
        cov = wrap(array_operand(cov))
        if cov.aval.ndim is None:
            raise current().error(f"{what} needs the rank of cov", "give arguments whose shapes are known when compiling.")
        if mean is not None:
            mean = wrap(array_operand(mean))
            d = mean.aval.shape[0] if mean.aval.ndim == 1 else 1
        else:
            d = cov.aval.shape[0] if cov.aval.ndim >= 1 else 1  # as SciPy infers it
        points = x.aval.ndim >= 1 and not (d == 1 and x.aval.shape[-1] != 1)  # the last axis is the d components
        if d == 1 and x.aval.ndim <= 1:
            x, points = x[..., None], x.aval.ndim == 1
        if x.aval.shape[-1] != d:
            raise current().error(f"{what}: x of shape {x.aval.shape} has not the {d} components of the mean")
        diff = x if mean is None else x - mean
        if cov.aval.ndim == 2:
            L = np.linalg.cholesky(cov)
            z = np.linalg.solve(L, np.swapaxes(diff, -1, -2) if diff.aval.ndim == 2 else diff)
            maha = np.sum(z ** 2, axis=0)
            logdet = 2.0 * np.sum(np.log(np.diagonal(L)))
        elif cov.aval.ndim == 1:
            maha = np.sum(diff ** 2 / cov, axis=-1)
            logdet = np.sum(np.log(cov))
        elif cov.aval.ndim == 0:
            maha = np.sum(diff ** 2, axis=-1) / cov
            logdet = d * np.log(cov)
        else:
            raise current().error(f"{what}: cov of {cov.aval.ndim} axes (a matrix, a vector or a number)")
        logpdf = -0.5 * (maha + logdet) - d * _HALF_LOG_2PI
        return logpdf if points or logpdf.aval.ndim == 0 else logpdf[..., 0]

    @binds(st.multivariate_normal.logpdf)
    def _mvn_logpdf(x, mean=None, cov=1, allow_singular=False):
        if allow_singular is not False:
            raise current().error("scipy.stats.multivariate_normal.logpdf: allow_singular=True is not supported")
        return _mvn_parts(x, mean, cov, "scipy.stats.multivariate_normal.logpdf")

    @binds(st.multivariate_normal.pdf)
    def _mvn_pdf(x, mean=None, cov=1, allow_singular=False):
        return np.exp(_mvn_logpdf(x, mean, cov, allow_singular))
