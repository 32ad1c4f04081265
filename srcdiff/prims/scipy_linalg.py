"""scipy.linalg, when SciPy imports."""
import numpy as np

from ..ir import Aval, Sym
from .core import Primitive, binds, current, static, wrap
from .matrices import _sym_read, cholesky_jvp, cholesky_vjp, mT
from .shapes import result_dtype
from .syntax import call

try:
    import scipy.linalg
except ImportError:  # SciPy is an extra: without it nothing here is registered
    scipy = None

FAMILY = "scipy.linalg"  # grammar.md's list of callables (prims/catalog.py) groups by it

HAVE_SCIPY = scipy is not None
_LINALG = ("scipy.linalg",)  # the emitted module imports it (Op.imports)


def _like_b(avals, params):
    b = avals[1]
    return Aval("array", b.shape if b.known_shape else Sym(), result_dtype(avals, floating=True))


def _matrix(a, what):
    a = wrap(a)
    if a.aval.ndim is None or a.aval.ndim != 2 or a.aval.shape[0] != a.aval.shape[1]:
        raise current().error(f"{what} takes a square matrix, not shape {a.aval.shape}")
    return a.aval.shape[0]


def _rhs(b, n, what):
    shape = wrap(b).aval.shape
    if not isinstance(shape, tuple) or len(shape) not in (1, 2) or shape[0] != n:
        raise current().error(f"{what}: b of shape {shape} does not match a matrix of size {n} (b is (n,) or (n, k))")


def _defaults_only(what, overwrite=False, check_finite=True, **more):
    """overwrite_a/b and check_finite change nothing srcdiff computes: only their defaults."""
    if static(overwrite, "overwrite") or not static(check_finite, "check_finite"):
        raise current().error(f"{what}: overwrite_a=, overwrite_b= and check_finite=False are not supported")


def _outer(y, x):
    return np.outer(y, x) if wrap(x).aval.ndim == 1 else y @ mT(x)


# ---------------------------------------------------------------------------
# solve_triangular: x = op(T)^-1 b, T the triangle of a read (its diagonal ones with
# unit_diagonal), op(T) = T or T.T (trans). The derivative is wrt what is read: the
# other triangle (and, with unit_diagonal, the diagonal) has none.


def _triangle(x, lower, unit):
    """The part of x solve_triangular reads."""
    if lower:
        return np.tril(x, -1) if unit else np.tril(x)
    return np.triu(x, 1) if unit else np.triu(x)


SOLVE_TRIANGULAR = Primitive(
    "solve_triangular",
    emit=lambda a, p: call("scipy.linalg.solve_triangular", a, p, {"trans": 0, "lower": False, "unit_diagonal": False}),
    impl=lambda a, b, trans=0, lower=False, unit_diagonal=False: scipy.linalg.solve_triangular(
        a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal),
    shape=_like_b, fresh=True, imports=_LINALG, registered=HAVE_SCIPY)


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False):
    return current().apply(SOLVE_TRIANGULAR, [a, b], trans=trans, lower=lower, unit_diagonal=unit_diagonal)


@SOLVE_TRIANGULAR.defjvp
def _(t, out, ins, trans=0, lower=False, unit_diagonal=False):
    a, _ = ins
    da, db = t
    rhs = db
    if da is not None:
        dt = _triangle(da, lower, unit_diagonal)
        moved = (mT(dt) if trans else dt) @ out
        rhs = -moved if rhs is None else rhs - moved
    return solve_triangular(a, rhs, trans, lower, unit_diagonal)


@SOLVE_TRIANGULAR.defvjp
def _(g, out, ins, active, trans=0, lower=False, unit_diagonal=False):
    a, _ = ins
    y = solve_triangular(a, g, 1 - trans, lower, unit_diagonal)  # op(T).T y = g
    da = None
    if active[0]:  # -y x.T wrt op(T), so -x y.T wrt T where op transposes
        da = -_triangle(_outer(out, y) if trans else _outer(y, out), lower, unit_diagonal)
    return (da, y if active[1] else None)


_TRANS = {0: 0, 1: 1, 2: 1, "N": 0, "T": 1, "C": 1}  # real matrices: the conjugate transpose is the transpose


def _solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False, check_finite=True):
    what = "scipy.linalg.solve_triangular"
    _defaults_only(what, overwrite_b, check_finite)
    n = _matrix(a, what)
    _rhs(b, n, what)
    trans = static(trans, "trans")
    if trans not in _TRANS:
        raise current().error(f"{what}: trans must be 0, 1, 2, 'N', 'T' or 'C', not {trans!r}")
    return solve_triangular(a, b, _TRANS[trans], bool(static(lower, "lower")), bool(static(unit_diagonal, "unit_diagonal")))


# ---------------------------------------------------------------------------
# cholesky (upper by default: a = u.T @ u), reading that triangle; the rules are numpy's


def _like_a(avals, params):
    a = avals[0]
    return Aval("array", a.shape if a.known_shape else Sym(), result_dtype(avals, floating=True))


SCIPY_CHOLESKY = Primitive(
    "scipy_cholesky", emit=lambda a, p: call("scipy.linalg.cholesky", a, p, {"lower": False}),
    impl=lambda a, lower=False: scipy.linalg.cholesky(a, lower=lower), shape=_like_a, fresh=True, imports=_LINALG,
    registered=HAVE_SCIPY)


def _factor_jvp(factor, da, n, lower):
    """The tangent of the factor (lower l, or upper u = l.T) of the triangle of a read."""
    if lower:
        return cholesky_jvp(factor, _sym_read(da, True), n, True)
    return mT(cholesky_jvp(mT(factor), _sym_read(da, False), n, False))


def _factor_vjp(factor, g, n, lower):
    if lower:
        return cholesky_vjp(factor, g, n, True)
    return cholesky_vjp(mT(factor), mT(g), n, False)


@SCIPY_CHOLESKY.defjvp
def _(t, out, ins, lower=False):
    return _factor_jvp(out, t[0], out.aval.shape[-1], lower)


@SCIPY_CHOLESKY.defvjp
def _(g, out, ins, active, lower=False):
    return (_factor_vjp(out, g, out.aval.shape[-1], lower),)


def _cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    _defaults_only("scipy.linalg.cholesky", overwrite_a, check_finite)
    _matrix(a, "scipy.linalg.cholesky")
    return current().apply(SCIPY_CHOLESKY, [a], lower=bool(static(lower, "lower")))


# ---------------------------------------------------------------------------
# cho_factor and cho_solve. SciPy's c holds the factor in one triangle and leaves a's own
# entries in the other (its documentation: arbitrary data): c's derivative is that, the
# factor's on its triangle and a's on the other, so any use of c is differentiated as it
# is computed; cho_solve reads only the factor's triangle.


CHO_FACTOR = Primitive(
    "cho_factor", emit=lambda a, p: call("scipy.linalg.cho_factor", a, p, {"lower": False}) + "[0]",
    impl=lambda a, lower=False: scipy.linalg.cho_factor(a, lower=lower)[0], shape=_like_a, fresh=True, imports=_LINALG,
    registered=HAVE_SCIPY)


def _factor_of(c, lower):
    return np.tril(c) if lower else np.triu(c)


def _other_of(x, lower):
    """The strict triangle the factor does not occupy."""
    return np.triu(x, 1) if lower else np.tril(x, -1)


@CHO_FACTOR.defjvp
def _(t, out, ins, lower=False):
    n = out.aval.shape[-1]
    return _factor_jvp(_factor_of(out, lower), t[0], n, lower) + _other_of(t[0], lower)


@CHO_FACTOR.defvjp
def _(g, out, ins, active, lower=False):
    n = out.aval.shape[-1]
    return (_factor_vjp(_factor_of(out, lower), _factor_of(g, lower), n, lower) + _other_of(g, lower),)


CHO_SOLVE = Primitive(
    "cho_solve", emit=lambda a, p: f"scipy.linalg.cho_solve(({a[0]}, {p['lower']!r}), {a[1]})",
    impl=lambda c, b, lower=False: scipy.linalg.cho_solve((c, lower), b), shape=_like_b, fresh=True, imports=_LINALG,
    registered=HAVE_SCIPY)


def cho_solve(c, b, lower):
    return current().apply(CHO_SOLVE, [c, b], lower=lower)


@CHO_SOLVE.defjvp
def _(t, out, ins, lower=False):
    """a = l l.T (or u.T u) of the triangle f of c: dx = a^-1 (db - da x)."""
    c, _ = ins
    dc, db = t
    rhs = db
    if dc is not None:
        f, df = _factor_of(c, lower), _factor_of(dc, lower)
        if lower:
            moved = df @ (mT(f) @ out) + f @ (mT(df) @ out)
        else:
            moved = mT(df) @ (f @ out) + mT(f) @ (df @ out)
        rhs = -moved if rhs is None else rhs - moved
    return cho_solve(c, rhs, lower)


@CHO_SOLVE.defvjp
def _(g, out, ins, active, lower=False):
    """bbar = a^-1 g (a is symmetric); abar = -bbar x.T, and through a = l l.T, lbar =
    (abar + abar.T) l on l's triangle (u (abar + abar.T) for a = u.T u)."""
    c, _ = ins
    y = cho_solve(c, g, lower)
    dc = None
    if active[0]:
        yx = _outer(y, out)
        both = yx + mT(yx)  # -(abar + abar.T)
        f = _factor_of(c, lower)
        dc = -_factor_of(both @ f if lower else f @ both, lower)
    return (dc, y if active[1] else None)


def _cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    _defaults_only("scipy.linalg.cho_factor", overwrite_a, check_finite)
    _matrix(a, "scipy.linalg.cho_factor")
    lower = bool(static(lower, "lower"))
    return current().apply(CHO_FACTOR, [a], lower=lower), lower


def _cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    what = "scipy.linalg.cho_solve"
    _defaults_only(what, overwrite_b, check_finite)
    if not isinstance(c_and_lower, tuple) or len(c_and_lower) != 2:
        raise current().error(f"{what} takes (c, lower), as scipy.linalg.cho_factor returns it")
    c, lower = c_and_lower
    n = _matrix(c, what)
    _rhs(b, n, what)
    return cho_solve(c, b, bool(static(lower, "lower")))


if HAVE_SCIPY:
    binds(scipy.linalg.solve_triangular)(_solve_triangular)
    binds(scipy.linalg.cholesky)(_cholesky)
    binds(scipy.linalg.cho_factor)(_cho_factor)
    binds(scipy.linalg.cho_solve)(_cho_solve)
