"""scipy.linalg, when SciPy imports: triangular and Cholesky solves (their rules those of
numpy.linalg's Cholesky), LU, the matrix exponential and square root, Sylvester and banded
solves. Each is a primitive emitted as the call a person writes (scipy.linalg.expm(A)),
declaring the module its code names (imports=): the emitted module imports scipy.linalg where
one is used. The rules are built of these primitives and NumPy's, so they differentiate again."""
import numpy as np

from ..ir import Aval, Const, Sym
from .core import Primitive, array_operand, binds, current, static, wrap
from .linalg import transpose
from .matrices import _sym_read, cholesky_jvp, cholesky_vjp, mT
from .shapes import result_dtype
from .syntax import call, src, template

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


# -- LU, the matrix exponential and square root, banded solves


def _square(a, what):
    """a as a square matrix of a shape known when compiling."""
    a = wrap(array_operand(a))
    if not a.aval.known_shape or a.aval.ndim != 2 or a.aval.shape[0] != a.aval.shape[1]:
        shape = a.aval.shape if a.aval.known_shape else "not known when compiling"
        raise current().error(f"{what} takes a square matrix of a shape known when compiling, not one of shape "
                              f"{shape}", "batches of matrices are not supported: loop over them.")
    return a


def _floating(avals):
    return result_dtype(avals, floating=True)


def _like_matrix(avals, params):
    """The result of a function of a square matrix (expm, sqrtm): its shape, floating."""
    return Aval("array", avals[0].shape, _floating(avals))


def _blocks(a, b, c, d):
    """[[a, b], [c, d]] (np.block's), of four square matrices."""
    return np.concatenate([np.concatenate([a, b], axis=1), np.concatenate([c, d], axis=1)], axis=0)


if scipy is not None:
    EXPM = Primitive("expm", emit=template("scipy.linalg.expm({0})"), impl=scipy.linalg.expm, shape=_like_matrix,
                     fresh=True, imports=_LINALG)

    def expm(a):
        return current().apply(EXPM, [a])

    def expm_frechet(a, e):
        """The derivative of expm at a along e (the Frechet derivative): the upper right block
        of expm([[a, e], [0, a]]). Built of expm itself, so it differentiates again."""
        n = a.aval.shape[0]
        return expm(_blocks(a, e, np.zeros_like(a), a))[:n, n:]

    @EXPM.defjvp
    def _(t, out, ins):
        return expm_frechet(ins[0], t[0])

    @EXPM.defvjp
    def _(g, out, ins, active):
        """The adjoint of the Frechet derivative at A is the Frechet derivative at A.T."""
        return (expm_frechet(transpose(ins[0]), g),)

    @binds(scipy.linalg.expm)
    def _expm(A):
        return expm(_square(A, "scipy.linalg.expm"))

    # a X + X b = q, the equation the square root's derivative solves
    SOLVE_SYLVESTER = Primitive("solve_sylvester", emit=template("scipy.linalg.solve_sylvester({0}, {1}, {2})"),
                                impl=scipy.linalg.solve_sylvester,
                                shape=lambda avals, p: Aval("array", avals[2].shape, _floating(avals)),
                                fresh=True, imports=_LINALG)

    def solve_sylvester(a, b, q):
        return current().apply(SOLVE_SYLVESTER, [a, b, q])

    @SOLVE_SYLVESTER.defjvp
    def _(t, out, ins):
        """da X + a dX + dX b + X db = dq: dX solves the same equation for dq - da X - X db."""
        a, b, q = ins
        ta, tb, tq = t
        rhs = [tq] if tq is not None else []
        if ta is not None:
            rhs.append(-(ta @ out))
        if tb is not None:
            rhs.append(-(out @ tb))
        total = rhs[0]
        for term in rhs[1:]:
            total = total + term
        return solve_sylvester(a, b, total)

    @SOLVE_SYLVESTER.defvjp
    def _(g, out, ins, active):
        """The adjoint equation is the transposed one: a.T Q + Q b.T = g; then q's adjoint is
        Q, a's -Q X.T and b's -X.T Q."""
        a, b, q = ins
        q_bar = solve_sylvester(transpose(a), transpose(b), g)
        return (-(q_bar @ transpose(out)) if active[0] else None,
                -(transpose(out) @ q_bar) if active[1] else None,
                q_bar if active[2] else None)

    @binds(scipy.linalg.solve_sylvester)
    def _solve_sylvester(a, b, q):
        a, b = _square(a, "scipy.linalg.solve_sylvester"), _square(b, "scipy.linalg.solve_sylvester")
        q = wrap(array_operand(q))
        if q.aval.shape != (a.aval.shape[0], b.aval.shape[0]):
            raise current().error(f"scipy.linalg.solve_sylvester: q has shape {q.aval.shape}, not "
                                  f"{(a.aval.shape[0], b.aval.shape[0])} (a's rows, b's columns)")
        return solve_sylvester(a, b, q)

    SQRTM = Primitive("sqrtm", emit=template("scipy.linalg.sqrtm({0})"), impl=scipy.linalg.sqrtm,
                      shape=_like_matrix, fresh=True, imports=_LINALG)

    @SQRTM.defjvp
    def _(t, out, ins):
        """S S = A: S dS + dS S = dA, a Sylvester equation."""
        return solve_sylvester(out, out, t[0])

    @SQRTM.defvjp
    def _(g, out, ins, active):
        """The adjoint of dA -> dS solves the transposed equation: S.T Abar + Abar S.T = g."""
        s = transpose(out)
        return (solve_sylvester(s, s, g),)

    @binds(scipy.linalg.sqrtm)
    def _sqrtm(A, disp=None, blocksize=None):
        if disp is not None or blocksize is not None:
            raise current().error("scipy.linalg.sqrtm: disp= and blocksize= are not supported (SciPy deprecates them)")
        return current().apply(SQRTM, [_square(A, "scipy.linalg.sqrtm")])

    # -- x = lu_solve(lu_factor(A), b). The factorisation is one value, emitted as SciPy's
    # (lu_and_piv = scipy.linalg.lu_factor(A)), opaque to the derivative (a Python pair, not an
    # array: no zeros of it are ever made): what reads it also reads A, which carries the
    # derivative, so lu_solve's rules are the solve's rules in A. lu and piv apart
    # (lu, piv = lu_factor(A)) are its items; lu_solve((lu, piv), b) of one factorisation's
    # items reads the factorisation.
    OPAQUE = Aval("tuple")  # a pair not known when compiling: no derivative

    LU_FACTOR = Primitive("lu_factor", emit=template("scipy.linalg.lu_factor({0})"), impl=scipy.linalg.lu_factor,
                          shape=lambda avals, p: OPAQUE, differentiable=False, imports=_LINALG)
    # lu_factor's lu, from the factorisation and the matrix it factors (whose derivative it takes)
    LU_PART = Primitive("lu_factors", emit=template("{0}[0]"), impl=lambda f, a: f[0],
                        shape=lambda avals, p: _like_matrix(avals[1:], p))
    LU_PIVOTS = Primitive("lu_pivots", emit=template("{0}[1]"), impl=lambda f, _n: f[1], differentiable=False,
                          shape=lambda avals, p: Aval("array", (p["_n"],), np.dtype(np.int32)))

    def lu_factor(a):
        return current().apply(LU_FACTOR, [a], hint="lu_and_piv")

    def _eye(n):
        """np.eye(n), written so in the emitted code."""
        return current().call(np.eye, (n,), {})

    def _triangles(lu):
        """L (unit lower) and U of P L U = A, from lu_factor's lu holding both."""
        return np.tril(lu, -1) + _eye(lu.aval.shape[0]), np.triu(lu)

    def _right_solve(m, u):
        """m U^{-1}: U.T Z.T = m.T, a solve with U's own factorisation."""
        return transpose(lu_solve(lu_factor(u), u, transpose(m), 1))

    @LU_PART.defjvp
    def _(t, out, ins):
        """P L U = A: L^{-1} dL + dU U^{-1} = L^{-1} P.T dA U^{-1} = U A^{-1} dA U^{-1} =: F, whose
        strict lower part is L^{-1} dL and upper part dU U^{-1}: d(lu) = L tril(F, -1) + triu(F) U."""
        f, a = ins
        lower, upper = _triangles(out)
        step = _right_solve(upper @ lu_solve(f, a, t[1], 0), upper)
        return lower @ np.tril(step, -1) + np.triu(step) @ upper

    @LU_PART.defvjp
    def _(g, out, ins, active):
        """The JVP's adjoint: H = tril(L.T g, -1) + triu(g U.T) is F's, then A's is
        A^{-T} U.T H U^{-T}."""
        f, a = ins
        lower, upper = _triangles(out)
        h = np.tril(transpose(lower) @ g, -1) + np.triu(g @ transpose(upper))
        k = transpose(lu_solve(lu_factor(upper), upper, transpose(transpose(upper) @ h), 0))
        return (None, lu_solve(f, a, k, 1))

    @binds(scipy.linalg.lu_factor)
    def _lu_factor(a, overwrite_a=False, check_finite=True):
        a = _square(a, "scipy.linalg.lu_factor")
        f = lu_factor(a)
        piv = current().apply(LU_PIVOTS, [f], hint="piv", _n=a.aval.shape[0])
        return current().apply(LU_PART, [f, a], hint="lu"), piv

    _ROWS_SOURCE = '''
def _lu_rows(piv, inverse):
    """The row order lu_factor's pivots make, A[rows] = L U (its inverse p, A = L[p] U, with inverse)."""
    rows = np.arange(len(piv))
    for i, j in enumerate(piv):
        rows[[i, j]] = rows[[j, i]]
    return np.argsort(rows) if inverse else rows
'''.strip()
    _rows_namespace = {"np": np}
    exec(_ROWS_SOURCE, _rows_namespace)
    LU_ROWS = Primitive("lu_rows", emit=lambda a, p: f"_lu_rows({a[0]}, {p['inverse']})", differentiable=False,
                        impl=_rows_namespace["_lu_rows"], helper_source=_ROWS_SOURCE, helper_name="_lu_rows",
                        shape=lambda avals, p: Aval("array", avals[0].shape, np.dtype(np.intp)))

    @binds(scipy.linalg.lu)
    def _lu(a, permute_l=False, overwrite_a=False, check_finite=True, p_indices=False):
        """P, L, U = lu(A), A = P L U: the factors of lu_factor's lu (whose derivative is L's and
        U's), P the identity's columns in the pivots' row order (no derivative)."""
        permute_l, p_indices = static(permute_l, "permute_l"), static(p_indices, "p_indices")
        a = _square(a, "scipy.linalg.lu")
        f = lu_factor(a)
        lower, upper = _triangles(current().apply(LU_PART, [f, a], hint="lu"))
        piv = current().apply(LU_PIVOTS, [f], hint="piv", _n=a.aval.shape[0])
        if p_indices and not permute_l:
            return current().apply(LU_ROWS, [piv], inverse=True, hint="p"), lower, upper
        p = _eye(a.aval.shape[0])[:, current().apply(LU_ROWS, [piv], inverse=False, hint="rows")]
        return (p @ lower, upper) if permute_l else (p, lower, upper)

    def _lu_solve_emit(a, p):
        factors = a[0] if p.get("_factored") else f"({a[0]}, {a[1]})"  # a[1]: A, or piv
        trans = f", trans={p['trans']}" if p.get("trans", 0) else ""
        return f"scipy.linalg.lu_solve({factors}, {a[2]}{trans})"

    def _lu_solve_impl(f, a, b, trans=0, _factored=False):
        return scipy.linalg.lu_solve(f if _factored else (f, a), b, trans=trans)

    LU_SOLVE = Primitive("lu_solve", emit=_lu_solve_emit, impl=_lu_solve_impl, fresh=True, imports=_LINALG,
                         shape=lambda avals, p: Aval("array", avals[2].shape, _floating(avals[1:])))

    def lu_solve(f, a, b, trans):
        """op(A) x = b, op(A) A or A.T as trans says, with f A's factorisation."""
        return current().apply(LU_SOLVE, [f, a, b], trans=trans, _factored=True)

    def _product(m, x, trans):
        """op(m) @ x."""
        return (transpose(m) if trans else m) @ x

    def _outer(u, v):
        """u v^T, of vectors or of matrices (columns of right-hand sides)."""
        return np.outer(u, v) if u.aval.ndim == 1 else u @ transpose(v)

    def _given_factors(active, _factored):
        if not _factored and any(active[:2]):
            raise current().error(
                "the derivative of lu_solve in lu and piv needs the matrix they factor: call "
                "scipy.linalg.lu_factor(A) inside the function differentiated")

    @LU_SOLVE.defjvp
    def _(t, out, ins, trans=0, _factored=False):
        """op(A) x = b: op(A) dx = db - op(dA) x."""
        _given_factors([ti is not None for ti in t], _factored)
        ta, tb = t[1] if _factored else None, t[2]
        rhs = tb if ta is None else -_product(ta, out, trans) if tb is None else tb - _product(ta, out, trans)
        return current().apply(LU_SOLVE, [ins[0], ins[1], rhs], trans=trans, _factored=_factored)

    @LU_SOLVE.defvjp
    def _(g, out, ins, active, trans=0, _factored=False):
        """b's adjoint solves the transposed system, bbar = lu_solve((lu, piv), g, trans=1);
        A's is -bbar x^T (-x bbar^T for a transposed solve)."""
        _given_factors(active, _factored)
        b_bar = current().apply(LU_SOLVE, [ins[0], ins[1], g], trans=0 if trans else 1, _factored=_factored)
        a_bar = None
        if _factored and active[1]:
            a_bar = -_outer(out, b_bar) if trans else -_outer(b_bar, out)
        return (None, a_bar, b_bar if active[2] else None)

    @binds(scipy.linalg.lu_solve)
    def _lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
        trans = static(trans, "trans")
        if isinstance(trans, bool) or trans not in (0, 1, 2):
            raise current().error(f"scipy.linalg.lu_solve: trans must be 0, 1 or 2, not {trans!r}")
        trans = min(trans, 1)  # 2, the conjugate transpose, of a real matrix is its transpose
        if not isinstance(lu_and_piv, (tuple, list)) or len(lu_and_piv) != 2:
            raise current().error("scipy.linalg.lu_solve takes the pair (lu, piv) that lu_factor returns")
        lu, piv = wrap(lu_and_piv[0]), wrap(lu_and_piv[1])
        b = wrap(array_operand(b))
        if b.aval.ndim not in (1, 2):
            raise current().error("scipy.linalg.lu_solve takes a right-hand side of 1 or 2 dimensions, of a rank "
                                  "known when compiling")
        made = current().producer(lu.atom), current().producer(piv.atom)
        if (made[0] is not None and made[1] is not None and made[0].prim is LU_PART and made[1].prim is LU_PIVOTS
                and made[0].ins[0] is made[1].ins[0]):
            return lu_solve(made[0].ins[0], made[0].ins[1], b, trans)  # the factorisation, and the matrix
        return current().apply(LU_SOLVE, [lu, piv, b], trans=trans)  # factors from outside: b's derivative only

    # -- solve_banded((l, u), ab, b): A in LAPACK's banded storage, ab[u + i - j, j] = A[i, j]

    def _solve_banded_emit(a, p):
        return f"scipy.linalg.solve_banded({src((p['l'], p['u']))}, {a[0]}, {a[1]})"

    SOLVE_BANDED = Primitive("solve_banded", emit=_solve_banded_emit,
                             impl=lambda ab, b, l, u: scipy.linalg.solve_banded((l, u), ab, b),
                             shape=lambda avals, p: Aval("array", avals[1].shape, _floating(avals)), fresh=True,
                             imports=_LINALG)

    def solve_banded(ab, b, l, u):
        return current().apply(SOLVE_BANDED, [ab, b], l=l, u=u)

    def _grid(rows, n):
        """The row k and column j of every place of a banded array of `rows` rows and n columns."""
        return np.meshgrid(np.arange(rows), np.arange(n), indexing="ij")

    def _named(value, name):
        """An index array known when compiling, which the emitted module holds by this name."""
        return wrap(Const(value, name=name))

    def _clipped(index, n, name):
        """index clipped into 0 .. n - 1, and where it was in range: the band's places, not
        the unused corners of the storage."""
        return _named(np.clip(index, 0, n - 1), name), _named((index >= 0) & (index < n), "in_band")

    def _transposed_band(ab, l, u):
        """A.T's banded storage, for (u, l): A.T[i, j] = A[j, i], so place (k, j) reads
        ab[l + u - k, j + k - l]."""
        rows, n = ab.aval.shape
        k, j = _grid(rows, n)
        cols, inside = _clipped(j + k - l, n, "transposed_cols")
        return np.where(inside, ab[_named(rows - 1 - k, "transposed_rows"), cols], 0.0)

    def _banded_product(ab, x, l, u):
        """A @ x from the banded storage: (A x)_i = sum_k ab[k, i + u - k] x[i + u - k]."""
        rows, n = ab.aval.shape
        k, i = _grid(rows, n)
        cols, inside = _clipped(i + u - k, n, "band_cols")
        k = _named(k, "band_rows")
        terms = ab[k, cols] * x[cols] if x.aval.ndim == 1 else ab[k, cols][:, :, None] * x[cols]
        return np.sum(np.where(inside if x.aval.ndim == 1 else inside[:, :, None], terms, 0.0), axis=0)

    @SOLVE_BANDED.defjvp
    def _(t, out, ins, l, u):
        """A dx = db - dA x, dA banded as A."""
        ab, b = ins
        tab, tb = t
        if tab is None:
            return solve_banded(ab, tb, l, u)
        product = _banded_product(tab, out, l, u)
        return solve_banded(ab, -product if tb is None else tb - product, l, u)

    @SOLVE_BANDED.defvjp
    def _(g, out, ins, active, l, u):
        """bbar solves A.T bbar = g (A.T is banded with (u, l)); ab's adjoint is -bbar x^T at
        the band's places, ab[k, j] being A[k - u + j, j]."""
        ab, b = ins
        b_bar = solve_banded(_transposed_band(ab, l, u), g, u, l)
        ab_bar = None
        if active[0]:
            rows, n = ab.aval.shape
            k, j = _grid(rows, n)
            r, inside = _clipped(j + k - u, n, "matrix_rows")
            j = _named(j, "matrix_cols")
            terms = b_bar[r] * out[j] if out.aval.ndim == 1 else np.sum(b_bar[r] * out[j], axis=-1)
            ab_bar = -np.where(inside, terms, 0.0)
        return (ab_bar, b_bar if active[1] else None)

    @binds(scipy.linalg.solve_banded)
    def _solve_banded(l_and_u, ab, b, overwrite_ab=False, overwrite_b=False, check_finite=True):
        l_and_u = static(l_and_u, "(l, u)")
        if not (isinstance(l_and_u, (tuple, list)) and len(l_and_u) == 2
                and all(isinstance(v, (int, np.integer)) and v >= 0 for v in l_and_u)):
            raise current().error(f"scipy.linalg.solve_banded: (l, u) must be two non-negative ints, not {l_and_u!r}")
        l, u = (int(v) for v in l_and_u)
        ab, b = wrap(array_operand(ab)), wrap(array_operand(b))
        if not ab.aval.known_shape or ab.aval.ndim != 2 or ab.aval.shape[0] != l + u + 1:
            raise current().error(f"scipy.linalg.solve_banded: ab must be a matrix of l + u + 1 = {l + u + 1} rows, "
                                  f"of a shape known when compiling, not {ab.aval.shape}")
        if not b.aval.known_shape or b.aval.ndim not in (1, 2) or b.aval.shape[0] != ab.aval.shape[1]:
            raise current().error(f"scipy.linalg.solve_banded: b must have {ab.aval.shape[1]} rows (ab's columns) "
                                  f"and 1 or 2 dimensions, not shape {b.aval.shape}")
        return solve_banded(ab, b, l, u)
