"""Cases of scipy.special's primitives (srcdiff/prims/scipy_special.py), registered only
when SciPy imports. Orders and shape parameters without a derivative are passed as ints
(Int) or literals; a case differentiating one of them is a refusal."""
from srcdiff import NonDifferentiableError

from .op_cases import FLOAT, Int, Refused, anywhere, away_from_zero, case, f32, inside_unit, positive

try:
    import scipy.special
    import srcdiff.prims.scipy_special  # noqa: F401  (SciPy's families load once SciPy is imported)
except ImportError:  # SciPy is optional: no scipy primitive is registered either
    scipy = None

U = (FLOAT, (3,), f32(2, 3))  # one value
B = ((FLOAT, FLOAT), ((2, 3), (3,)), (f32(3), f32(3)))  # two, broadcasting


def unit_interval(rng, shape):
    return rng.uniform(0.1, 0.9, size=shape)


def inside_two(rng, shape):
    """(0.2, 1.8): where erfcinv's derivative stays small."""
    return rng.uniform(0.2, 1.8, size=shape)


def above_minus_half(rng, shape):
    return rng.uniform(-0.5, 2.0, size=shape)


if scipy is not None:
    import numpy as np
    import scipy.special as sc

    @case("expit", U)
    def expit(x):
        return sc.expit(x)

    @case("logit", U, unit_interval)
    def logit(x):
        return scipy.special.logit(x)

    @case("log_expit", U)
    def log_expit(x):
        return sc.log_expit(x)

    @case("digamma", U, positive)
    def digamma(x):
        return sc.digamma(x)

    @case("digamma", ((3,),), positive)
    def psi(x):
        return sc.psi(x) * x

    @case("polygamma", ((Int(1), (3,)), (Int(2), FLOAT), (Int(1), f32(3))), (None, positive))
    def polygamma(n, x):
        return sc.polygamma(n, x)

    @case("gammaln", U, positive)
    def gammaln(x):
        return sc.gammaln(x)

    @case("gamma", U, positive)
    def gamma(x):
        return sc.gamma(x)

    @case("rgamma", U, positive)
    def rgamma(x):
        return sc.rgamma(x)

    @case("beta", B, positive)
    def beta(a, b):
        return sc.beta(a, b)

    @case("betaln", B, positive)
    def betaln(a, b):
        return sc.betaln(a, b)

    @case("gammainc", ((Int(2), (3,)), (Int(3), FLOAT)), (None, positive))
    def gammainc(a, x):
        return sc.gammainc(a, x)

    @case("gammainc", ((3,), f32(2, 3)), positive)
    def gammainc_literal(x):
        return sc.gammainc(1.7, x)

    @case("gammainc", ((FLOAT, (3,)),), positive, refused=Refused(NonDifferentiableError))
    def gammainc_in_a(a, x):
        return sc.gammainc(a, x)

    @case("gammaincc", ((Int(2), (3,)), (Int(1), f32(3))), (None, positive))
    def gammaincc(a, x):
        return sc.gammaincc(a, x)

    @case("betainc", U, unit_interval)
    def betainc(x):
        return sc.betainc(2.5, 1.5, x)

    @case("betainc", ((Int(2), Int(3), (3,)),), (None, None, unit_interval))
    def betainc_ints(a, b, x):
        return sc.betainc(a, b, x)

    @case("betainc", (((3,), (3,)),), (positive, unit_interval), refused=Refused(NonDifferentiableError))
    def betainc_in_a(a, x):
        return sc.betainc(a, 2.0, x)

    @case("erf", U)
    def erf(x):
        return sc.erf(x)

    @case("erfc", U)
    def erfc(x):
        return sc.erfc(x)

    @case("erfinv", U, inside_unit)
    def erfinv(x):
        return sc.erfinv(x)

    @case("erfcinv", U, inside_two)
    def erfcinv(x):
        return sc.erfcinv(x)

    @case("ndtr", U)
    def ndtr(x):
        return sc.ndtr(x)

    @case("log_ndtr", U)
    def log_ndtr(x):
        return sc.log_ndtr(x) * 2.0

    @case("ndtri", U, unit_interval)
    def ndtri(x):
        return sc.ndtri(x)

    @case("stdtr", ((Int(3), (3,)), (Int(5), f32(3))), (None, anywhere))
    def stdtr(df, t):
        return sc.stdtr(df, t)

    @case("stdtr", (((3,), (3,)),), (positive, anywhere), refused=Refused(NonDifferentiableError))
    def stdtr_in_df(df, t):
        return sc.stdtr(df, t)

    @case("xlogy", B, (anywhere, positive))
    def xlogy(x, y):
        return sc.xlogy(x, y)

    @case("xlog1py", B, (anywhere, above_minus_half))
    def xlog1py(x, y):
        return sc.xlog1py(x, y)

    @case("entr", U, positive)
    def entr(x):
        return sc.entr(x)

    @case("i0", U)
    def i0(x):
        return sc.i0(x)

    @case("i1", U)
    def i1(x):
        return sc.i1(x)

    @case("i1", ((3,),), anywhere)
    def i1_at_zero(x):
        return sc.i1(x * np.array([0.0, 1.0, 1.0]))  # i1' at 0 is 1/2, with no 0 / 0

    @case("iv", ((Int(0), (3,)), (Int(2), FLOAT), (Int(1), f32(3))), (None, anywhere))
    def iv(v, x):
        return sc.iv(v, x)

    @case("iv", ((3,), f32(3)), positive)
    def iv_fractional(x):
        return sc.iv(1.5, x)

    @case("iv", ((FLOAT, (3,)),), positive, refused=Refused(NonDifferentiableError))
    def iv_in_v(v, x):
        return sc.iv(v, x)

    @case("ive", ((Int(1), (3,)), (Int(0), f32(3))), (None, away_from_zero))
    def ive(v, x):
        return sc.ive(v, x)

    @case("j0", U)
    def j0(x):
        return sc.j0(x)

    @case("j1", U)
    def j1(x):
        return sc.j1(x)

    @case("jv", ((Int(2), (3,)), (Int(0), FLOAT), (Int(1), f32(3))), (None, anywhere))
    def jn(n, x):
        return sc.jn(n, x)

    @case("jv", ((3,),), positive)
    def jv_fractional(x):
        return sc.jv(0.5, x)

    @case("y0", U, positive)
    def y0(x):
        return sc.y0(x)

    @case("y1", U, positive)
    def y1(x):
        return sc.y1(x)

    @case("yn", ((Int(2), (3,)), (Int(0), FLOAT), (Int(1), f32(3))), (None, positive))
    def yn(n, x):
        return sc.yn(n, x)
