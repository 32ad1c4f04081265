"""numpy.linalg: inverses and solves, determinants, factorisations, norms and least squares.

Each function is a primitive emitted as the NumPy call (np.linalg.solve(A, b); w, v =
np.linalg.eigh(A)), with rules written with solves where a solve does it (the adjoint of
solve(A, b) is solve(A.T, g)) and built of primitives that have rules themselves, so that
second derivatives work. The rules take stacks of matrices (..., n, n) as NumPy does.

Symmetric inputs: eigh, eigvalsh and cholesky read one triangle of their operand (the lower
one by default) and never the other. Their derivative is that of the function NumPy
computes: a change in the triangle not read changes nothing, and a change of an entry of the
read triangle off the diagonal is a change of both its entry and its mirror in the
symmetric matrix factorised. So the gradient is zero on the triangle not read, and the
symmetric gradient doubled off the diagonal on the one read; along a symmetric direction
(A = B @ B.T + c * I, built in the function) it is the familiar symmetric one. JAX instead
symmetrises, which is not what central differences of NumPy's function give.

Eigenvectors (eigh) and singular vectors (svd) have a derivative only where the eigenvalues
(singular values) are distinct: the rules weigh by 1 / (w_j - w_i), which the emitted
helper _inverse_gaps computes, raising a clear error at run time at a tie rather than
giving inf or nan."""
import numpy as np

from ..ir import Aval, Sym
from .broadcasting import unbroadcast
from .core import Primitive, binds, current, static, wrap
from .helpers import SOURCES, attach
from .linalg import transpose
from .reductions import NORM
from .shapes import result_dtype
from .structural import diagonal
from .syntax import call

FAMILY = "linear algebra"  # grammar.md's list of callables (prims/catalog.py) groups by it


# ---------------------------------------------------------------------------
# Shapes, and the small pieces every rule uses


def _dtype(avals):
    return result_dtype(avals, floating=True)


def _known(x, what):
    """x's shape, which the rules need (the size of an identity, the rank of a stack)."""
    x = wrap(x)
    if not x.aval.known_shape:
        raise current().error(f"{what} needs the shape of its operand, which is not known when compiling",
                              "call the function with example arguments, so that shapes are known.")
    return x.aval.shape


def _square(x, what):
    shape = _known(x, what)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise current().error(f"{what} takes a square matrix or a stack of them (..., n, n), not shape {shape}")
    return shape


def mT(x):
    """x with its last two axes swapped: x.T for a matrix."""
    nd = wrap(x).aval.ndim
    return transpose(x) if nd == 2 else transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


def _eye(n):
    return current().call(np.eye, (n,), {})


def _diag_of(x):
    """The diagonals of a matrix or of a stack of them, as the last axis."""
    nd = wrap(x).aval.ndim
    return diagonal(x, 0, nd - 2, nd - 1)


def _trace(x):
    return np.trace(x) if wrap(x).aval.ndim == 2 else np.sum(_diag_of(x), axis=-1)


def _col(v):
    return v[..., None]


def _across(v):
    """v (..., k) to scale the columns of matrices (..., m, k): v itself for one vector."""
    return v if wrap(v).aval.ndim == 1 else v[..., None, :]


def _down(v):
    """v (..., k) to scale the rows of matrices (..., k, m)."""
    return v[:, None] if wrap(v).aval.ndim == 1 else v[..., :, None]


def _diag_matrix(v, n):
    """The diagonal matrices of v (..., n): np.diag(v) for one vector."""
    return np.diag(v) if wrap(v).aval.ndim == 1 else v[..., None] * _eye(n)


def _scale(c, x):
    """c (..., ) times each matrix of x (..., n, n)."""
    return (c if wrap(c).aval.ndim == 0 else c[..., None, None]) * x


def _add(a, b):
    return b if a is None else a if b is None else a + b


def _sym_read(t, lower):
    """The symmetric matrix a routine factorises when it reads only one triangle of t."""
    if lower:
        return np.tril(t) + mT(np.tril(t, -1))
    return np.triu(t) + mT(np.triu(t, 1))


def _read_adjoint(s, n, lower):
    """The adjoint of _sym_read: s on the read triangle's diagonal, s + s.T off it, 0 elsewhere."""
    both = s + mT(s)
    return (np.tril(both, -1) if lower else np.triu(both, 1)) + s * _eye(n)


def _result(name, *values):
    """NumPy's named tuple of results (w, v = eigh(A), or eigh(A).eigenvalues), a tuple where there is none."""
    kind = getattr(getattr(np.linalg, "_linalg", None), name, None)
    return kind(*values) if kind is not None else tuple(values)


def named(outs, *names):
    """The outs of a primitive of several that a rule makes, named as a person names them
    (u, s, vh). Not in a binder: the names the user's code gives them come first."""
    for out, name in zip(outs, names):
        if not out.atom.hint:
            out.atom.hint = name
    return outs


def _shape_prim(name, fname, shape, nout=1, defaults=None, **kw):
    return Primitive(name, emit=lambda a, p: call(fname, a, p, defaults or {}), shape=shape, nout=nout, fresh=True, **kw)


# ---------------------------------------------------------------------------
# 1 / (w_j - w_i): the weights of the derivatives of eigenvectors and singular vectors

SOURCES["inverse_gaps"] = '''
def _inverse_gaps(w):
    """F[..., i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it: how eigenvectors move.
    Repeated values (eigenvalues, squared singular values) give eigenvectors no derivative."""
    gaps = w[..., None, :] - w[..., :, None]
    off = ~np.eye(np.shape(w)[-1], dtype=bool)
    tie = np.abs(gaps) <= 1e3 * np.finfo(np.result_type(w, np.float32)).eps * np.max(np.abs(w), initial=1.0)
    if np.any(tie & off):
        raise ValueError("the eigenvectors (singular vectors) of a matrix with repeated eigenvalues (singular values) "
                         "have no derivative")
    return np.where(off, 1.0 / np.where(off, gaps, 1.0), 0.0)
'''


def _gaps_shape(avals, params):
    w = avals[0]
    return Aval("array", w.shape + w.shape[-1:] if w.known_shape else Sym(), _dtype(avals))


INVERSE_GAPS = attach(Primitive("inverse_gaps", emit=lambda a, p: f"_inverse_gaps({a[0]})", shape=_gaps_shape, fresh=True),
                      "inverse_gaps")


def inverse_gaps(w):
    return current().apply(INVERSE_GAPS, [w])


@INVERSE_GAPS.defjvp
def _(t, out, ins):
    dw = t[0]
    return -(out * out) * (dw[..., None, :] - dw[..., :, None])


@INVERSE_GAPS.defvjp
def _(g, out, ins, active):
    k = g * out * out
    return (np.sum(k, axis=-1) - np.sum(k, axis=-2),)


# ---------------------------------------------------------------------------
# solve and inv


def _solve_shape(avals, params):
    a, b = avals
    dt = _dtype(avals)
    if not (a.known_shape and b.known_shape):
        return Aval("array", Sym(), dt)
    if len(b.shape) == 1:
        return Aval("array", a.shape[:-1], dt)
    try:
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise current().error(f"np.linalg.solve: the stacks of shapes {a.shape} and {b.shape} do not broadcast") from None
    return Aval("array", batch + b.shape[-2:], dt)


SOLVE = _shape_prim("solve", "np.linalg.solve", _solve_shape)
SOLVE.impl = np.linalg.solve


def solve(a, b):
    return current().apply(SOLVE, [a, b])


@SOLVE.defjvp
def _(t, out, ins):
    a, b = ins
    da, db = t
    vector = b.aval.ndim == 1
    if vector and a.aval.ndim > 2:  # a stack of systems with one right-hand side: as columns
        rhs = _add(None if db is None else _col(db), None if da is None else -(da @ _col(out)))
        return solve(a, rhs)[..., 0]
    rhs = _add(db, None if da is None else -(da @ out))
    return solve(a, rhs)


@SOLVE.defvjp
def _(g, out, ins, active):
    a, b = ins
    if b.aval.ndim == 1:
        if a.aval.ndim == 2:
            db = solve(mT(a), g)
            return (-np.outer(db, out) if active[0] else None, db if active[1] else None)
        db = solve(mT(a), _col(g))
        da = -(db @ mT(_col(out))) if active[0] else None
        return (unbroadcast(da, a) if active[0] else None, unbroadcast(db[..., 0], b) if active[1] else None)
    db = solve(mT(a), g)
    da = unbroadcast(-(db @ mT(out)), a) if active[0] else None
    return (da, unbroadcast(db, b) if active[1] else None)


@binds(np.linalg.solve)
def _solve(a, b):
    _square(a, "np.linalg.solve")
    bs = _known(b, "np.linalg.solve")
    n = wrap(a).aval.shape[-1]
    if len(bs) == 0 or (bs[-1] if len(bs) == 1 else bs[-2]) != n:
        raise current().error(f"np.linalg.solve: b of shape {bs} does not match a of shape {wrap(a).aval.shape} "
                              "(NumPy 2: b is a vector (n,) or a stack of matrices (..., n, k))")
    return solve(a, b)


def _same_shape(avals, params):
    a = avals[0]
    return Aval("array", a.shape if a.known_shape else Sym(), _dtype(avals))


INV = _shape_prim("inv", "np.linalg.inv", _same_shape)
INV.impl = np.linalg.inv


@INV.defjvp
def _(t, out, ins):
    return -(out @ t[0] @ out)


@INV.defvjp
def _(g, out, ins, active):
    xt = mT(out)
    return (-(xt @ g @ xt),)


@binds(np.linalg.inv)
def _inv(a):
    _square(a, "np.linalg.inv")
    return current().apply(INV, [a])


# ---------------------------------------------------------------------------
# det and slogdet


def _batch_shape(avals, params):
    a = avals[0]
    return Aval("array", a.shape[:-2] if a.known_shape else Sym(), _dtype(avals))


DET = _shape_prim("det", "np.linalg.det", _batch_shape)
DET.impl = np.linalg.det


@DET.defjvp
def _(t, out, ins):
    return out * _trace(solve(ins[0], t[0]))


@DET.defvjp
def _(g, out, ins, active):
    return (_scale(g * out, mT(np.linalg.inv(ins[0]))),)


@binds(np.linalg.det)
def _det(a):
    _square(a, "np.linalg.det")
    return current().apply(DET, [a])


def _slogdet_shape(avals, params):
    return [_batch_shape(avals, params)] * 2


SLOGDET = _shape_prim("slogdet", "np.linalg.slogdet", _slogdet_shape, nout=2)
SLOGDET.impl = lambda a: tuple(np.linalg.slogdet(a))


@SLOGDET.defjvp
def _(t, out, ins):
    return (None, _trace(solve(ins[0], t[0])))


@SLOGDET.defvjp
def _(gs, outs, ins, active):
    g = gs[1]  # the sign has no derivative
    if g is None:
        return (None,)
    return (_scale(g, mT(np.linalg.inv(ins[0]))),)


@binds(np.linalg.slogdet)
def _slogdet(a):
    _square(a, "np.linalg.slogdet")
    sign, logabsdet = current().apply(SLOGDET, [a])
    return _result("SlogdetResult", sign, logabsdet)


# ---------------------------------------------------------------------------
# cholesky (Murray 2016): L with L @ L.T the symmetric matrix of the read triangle


CHOLESKY = _shape_prim("cholesky", "np.linalg.cholesky", _same_shape, defaults={"upper": False})
CHOLESKY.impl = lambda a, upper=False: np.linalg.cholesky(a, upper=upper)


def _phi(x, n):
    """The lower triangle with half the diagonal."""
    return np.tril(x) - 0.5 * (x * _eye(n))


def cholesky_jvp(l, da, n, lower):
    """dL = L Phi(L^-1 dA L^-T), dA the change of the symmetric matrix factorised."""
    w = solve(l, da)
    return l @ _phi(solve(l, mT(w)), n)


def cholesky_vjp(l, g, n, lower):
    """Abar = L^-T Phi(L^T Lbar) L^-1, read back into the triangle read."""
    lt = mT(l)
    p = _phi(lt @ g, n)
    s = solve(lt, mT(solve(lt, mT(p))))
    return _read_adjoint(s, n, lower)


@CHOLESKY.defjvp
def _(t, out, ins, upper=False):
    n = out.aval.shape[-1]
    if upper:
        return mT(cholesky_jvp(mT(out), _sym_read(t[0], False), n, False))
    return cholesky_jvp(out, _sym_read(t[0], True), n, True)


@CHOLESKY.defvjp
def _(g, out, ins, active, upper=False):
    n = out.aval.shape[-1]
    if upper:
        return (cholesky_vjp(mT(out), mT(g), n, False),)
    return (cholesky_vjp(out, g, n, True),)


@binds(np.linalg.cholesky)
def _cholesky(a, /, *, upper=False):
    _square(a, "np.linalg.cholesky")
    return current().apply(CHOLESKY, [a], upper=bool(static(upper, "upper")))


# ---------------------------------------------------------------------------
# eigh and eigvalsh: w ascending, v's columns the eigenvectors


def _eigh_shape(avals, params):
    a = avals[0]
    dt = _dtype(avals)
    if not a.known_shape:
        return [Aval("array", Sym(), dt), Aval("array", Sym(), dt)]
    return [Aval("array", a.shape[:-1], dt), Aval("array", a.shape, dt)]


EIGH = _shape_prim("eigh", "np.linalg.eigh", _eigh_shape, nout=2, defaults={"UPLO": "L"})
EIGH.impl = lambda a, UPLO="L": tuple(np.linalg.eigh(a, UPLO))
EIGVALSH = _shape_prim("eigvalsh", "np.linalg.eigvalsh", lambda avals, p: _eigh_shape(avals, p)[0], defaults={"UPLO": "L"})
EIGVALSH.impl = lambda a, UPLO="L": np.linalg.eigvalsh(a, UPLO)


def eigh(a, uplo="L"):
    return current().apply(EIGH, [a], UPLO=uplo)


@EIGH.defjvp
def _(t, out, ins, UPLO="L"):
    w, v = out
    p = mT(v) @ _sym_read(t[0], UPLO == "L") @ v
    return (_diag_of(p), v @ (inverse_gaps(w) * p))


@EIGH.defvjp
def _(gs, outs, ins, active, UPLO="L"):
    gw, gv = gs
    w, v = outs
    inner = None if gw is None else _diag_matrix(gw, w.aval.shape[-1])
    if gv is not None:
        inner = _add(inner, inverse_gaps(w) * (mT(v) @ gv))
    return (_read_adjoint(v @ inner @ mT(v), w.aval.shape[-1], UPLO == "L"),)


@EIGVALSH.defjvp
def _(t, out, ins, UPLO="L"):
    _, v = named(eigh(ins[0], UPLO), "w", "v")
    return _diag_of(mT(v) @ _sym_read(t[0], UPLO == "L") @ v)


@EIGVALSH.defvjp
def _(g, out, ins, active, UPLO="L"):
    _, v = named(eigh(ins[0], UPLO), "w", "v")
    return (_read_adjoint((v * _across(g)) @ mT(v), out.aval.shape[-1], UPLO == "L"),)


def _uplo(UPLO, what):
    UPLO = static(UPLO, "UPLO")
    if UPLO not in ("L", "U"):
        raise current().error(f"{what}: UPLO must be 'L' or 'U', not {UPLO!r}")
    return UPLO


@binds(np.linalg.eigh)
def _eigh(a, UPLO="L"):
    _square(a, "np.linalg.eigh")
    w, v = eigh(a, _uplo(UPLO, "np.linalg.eigh"))
    return _result("EighResult", w, v)


@binds(np.linalg.eigvalsh)
def _eigvalsh(a, UPLO="L"):
    _square(a, "np.linalg.eigvalsh")
    return current().apply(EIGVALSH, [a], UPLO=_uplo(UPLO, "np.linalg.eigvalsh"))


# ---------------------------------------------------------------------------
# svd (Townsend 2016): a = u * s @ vh, k = min(m, n); the vectors need distinct singular values


def _svd_shapes(a):
    m, n = a.shape[-2:]
    k = min(m, n)
    return a.shape[:-2] + (m, k), a.shape[:-2] + (k,), a.shape[:-2] + (k, n)


def _svd_shape(avals, params):
    a = avals[0]
    dt = _dtype(avals)
    if not a.known_shape:
        return [Aval("array", Sym(), dt) for _ in range(3)]
    return [Aval("array", s, dt) for s in _svd_shapes(a)]


SVD = _shape_prim("svd", "np.linalg.svd", _svd_shape, nout=3, defaults={"full_matrices": True})
SVD.impl = lambda a, full_matrices=True: tuple(np.linalg.svd(a, full_matrices=full_matrices))
SVDVALS = _shape_prim("svdvals", "np.linalg.svd", lambda avals, p: _svd_shape(avals, p)[1], defaults={"compute_uv": True})
SVDVALS.impl = lambda a, compute_uv=False: np.linalg.svd(a, compute_uv=False)


def svd(a):
    shape = wrap(a).aval.shape
    # as written: the default for square ones
    return current().apply(SVD, [a], full_matrices=shape[-1] == shape[-2])


def _not_in(u, x):
    """x less its part in the span of u's columns: (I - u u^T) x."""
    return x - u @ (mT(u) @ x)


@SVD.defjvp
def _(t, out, ins, full_matrices=True):
    u, s, vh = out
    v = mT(vh)
    m, n = u.aval.shape[-2], vh.aval.shape[-1]
    da = t[0]
    dp = mT(u) @ da @ v
    f = inverse_gaps(s * s)
    du = u @ (f * (dp * _across(s) + _down(s) * mT(dp)))
    dv = v @ (f * (_down(s) * dp + mT(dp) * _across(s)))
    if m > s.aval.shape[-1]:
        du = du + _not_in(u, da @ v) / _across(s)
    if n > s.aval.shape[-1]:
        dv = dv + _not_in(v, mT(da) @ u) / _across(s)
    return (du, _diag_of(dp), mT(dv))


@SVD.defvjp
def _(gs, outs, ins, active, full_matrices=True):
    gu, gs_, gvh = gs
    u, s, vh = outs
    k = s.aval.shape[-1]
    m, n = u.aval.shape[-2], vh.aval.shape[-1]
    inner = None if gs_ is None else _diag_matrix(gs_, k)
    if gu is not None or gvh is not None:
        f = inverse_gaps(s * s)
    if gu is not None:
        ug = mT(u) @ gu
        inner = _add(inner, (f * (ug - mT(ug))) * _across(s))
    if gvh is not None:
        gv = mT(gvh)
        vg = vh @ gv
        inner = _add(inner, _down(s) * (f * (vg - mT(vg))))
    da = u @ inner @ vh
    if gu is not None and m > k:
        da = da + (_not_in(u, gu) / _across(s)) @ vh
    if gvh is not None and n > k:
        da = da + (u / _across(s)) @ mT(_not_in(mT(vh), mT(gvh)))
    return (da,)


def _svdvals_jvp(a, da):
    u, _, vh = named(svd(a), "u", "s", "vh")
    return _diag_of(mT(u) @ da @ mT(vh))


def _svdvals_vjp(a, g):
    u, _, vh = named(svd(a), "u", "s", "vh")
    return (u * _across(g)) @ vh


SVDVALS.defjvp(lambda t, out, ins, compute_uv=False: _svdvals_jvp(ins[0], t[0]))
SVDVALS.defvjp(lambda g, out, ins, active, compute_uv=False: (_svdvals_vjp(ins[0], g),))


def svdvals(a):
    return current().apply(SVDVALS, [a], compute_uv=False)


@binds(np.linalg.svd)
def _svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    shape = _known(a, "np.linalg.svd")
    if len(shape) < 2:
        raise current().error(f"np.linalg.svd takes a matrix or a stack of them, not shape {shape}")
    if static(hermitian, "hermitian"):
        raise current().error("np.linalg.svd with hermitian=True is not supported", "use np.linalg.eigh for a symmetric matrix.")
    if not static(compute_uv, "compute_uv"):
        return svdvals(a)
    if static(full_matrices, "full_matrices") and shape[-1] != shape[-2]:
        raise current().error("np.linalg.svd of a matrix that is not square needs full_matrices=False to be differentiated: "
                              "the columns beyond min(m, n) are not unique", "pass full_matrices=False.")
    return _result("SVDResult", *svd(a))


# ---------------------------------------------------------------------------
# qr, mode 'reduced', of a square or tall matrix


def _qr_shape(avals, params):
    a = avals[0]
    dt = _dtype(avals)
    if not a.known_shape:
        return [Aval("array", Sym(), dt), Aval("array", Sym(), dt)]
    n = a.shape[-1]
    return [Aval("array", a.shape, dt), Aval("array", a.shape[:-2] + (n, n), dt)]


QR = _shape_prim("qr", "np.linalg.qr", _qr_shape, nout=2, defaults={"mode": "reduced"})
QR.impl = lambda a, mode="reduced": tuple(np.linalg.qr(a, mode))


def _right_solve(x, r):
    """x @ inv(r)."""
    return mT(solve(mT(r), mT(x)))


@QR.defjvp
def _(t, out, ins, mode="reduced"):
    q, r = out
    dx_rinv = _right_solve(t[0], r)
    qt = mT(q) @ dx_rinv
    low = np.tril(qt, -1)
    do = low - mT(low)
    return (q @ (do - qt) + dx_rinv, (qt - do) @ r)


@QR.defvjp
def _(gs, outs, ins, active, mode="reduced"):
    gq, gr = gs
    q, r = outs
    gq = np.zeros_like(q) if gq is None else gq
    m = -(mT(gq) @ q) if gr is None else r @ mT(gr) - mT(gq) @ q
    copied = np.tril(m) + mT(np.tril(m, -1))
    return (mT(solve(r, mT(gq + q @ copied))),)


@binds(np.linalg.qr)
def _qr(a, mode="reduced"):
    shape = _known(a, "np.linalg.qr")
    mode = static(mode, "mode")
    if len(shape) < 2 or shape[-2] < shape[-1]:
        raise current().error(f"np.linalg.qr of shape {shape}: only square and tall matrices (m >= n) are supported",
                              "factorise the transpose, a.T = q @ r.")
    if mode not in ("reduced", "complete") or (mode == "complete" and shape[-2] != shape[-1]):
        raise current().error(f"np.linalg.qr with mode={mode!r} is not supported; mode 'reduced' is")
    return _result("QRResult", *current().apply(QR, [a], mode=mode))


# ---------------------------------------------------------------------------
# pinv of a matrix of full rank, and matrix_power (products, of the inverse for n < 0)


PINV = _shape_prim("pinv", "np.linalg.pinv", lambda avals, p: Aval(
    "array", avals[0].shape[:-2] + avals[0].shape[-1:] + avals[0].shape[-2:-1] if avals[0].known_shape else Sym(),
    _dtype(avals)))
PINV.impl = np.linalg.pinv


@PINV.defjvp
def _(t, out, ins):
    """d(A+) = -A+ dA A+ + A+ A+^T dA^T (I - A A+) + (I - A+ A) dA^T A+^T A+, at constant rank."""
    a, p, da = ins[0], out, t[0]
    dat = mT(da)
    left = dat - dat @ (a @ p)  # dA^T (I - A A+)
    right = dat - (p @ a) @ dat  # (I - A+ A) dA^T
    return -(p @ da @ p) + p @ (mT(p) @ left) + (right @ mT(p)) @ p


@PINV.defvjp
def _(g, out, ins, active):
    a, p = ins[0], out
    pt, gt = mT(p), mT(g)
    q_g = gt - (a @ p) @ gt  # (I - A A+) g^T, A A+ symmetric
    g_r = gt - gt @ (p @ a)  # g^T (I - A+ A)
    return (-(pt @ g @ pt) + q_g @ (p @ pt) + (pt @ p) @ g_r,)


@binds(np.linalg.pinv)
def _pinv(a, rcond=None, hermitian=False, **kw):
    shape = _known(a, "np.linalg.pinv")
    if len(shape) < 2:
        raise current().error(f"np.linalg.pinv takes a matrix or a stack of them, not shape {shape}")
    if rcond is not None or kw or static(hermitian, "hermitian"):
        raise current().error("np.linalg.pinv with rcond=, rtol= or hermitian= is not supported; its derivative is "
                              "that of a matrix of full rank")
    return current().apply(PINV, [a])


@binds(np.linalg.matrix_power)
def _matrix_power(a, n):
    """Products, squaring as NumPy does: a @ a, then (a @ a) @ (a @ a), ...; of inv(a) for n < 0."""
    shape = _square(a, "np.linalg.matrix_power")
    n = static(n, "n")
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise current().error(f"np.linalg.matrix_power: the exponent must be an int, not {n!r}")
    n = int(n)
    if n == 0:
        return np.zeros_like(a) + _eye(shape[-1])
    base = np.linalg.inv(a) if n < 0 else wrap(a)
    result = None
    n = abs(n)
    while True:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if not n:
            return result
        base = base @ base


# ---------------------------------------------------------------------------
# norm: the 2-norm and Frobenius norm are NORM (prims/reductions.py); every other order is
# written as NumPy computes it (np.max(np.sum(np.abs(x), axis=0)) for ord=1 of a matrix)


def _norm_axes(axis, ndim):
    axis = static(axis, "axis")
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    if len(axes) not in (1, 2) or not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axes):
        raise current().error(f"np.linalg.norm: axis must be None, an int or a pair of ints, not {axis!r}")
    if any(not -ndim <= a < ndim for a in axes):
        raise current().error(f"np.linalg.norm: axis {axis!r} is out of bounds for an array of dimension {ndim}")
    axes = tuple(int(a) % ndim for a in axes)
    if len(axes) == 2 and axes[0] == axes[1]:
        raise current().error("np.linalg.norm: the two axes of a matrix norm must differ")
    return axes


def _vector_norm(x, ord, axis, keepdims):
    if ord is None or ord == 2:
        return current().apply(NORM, [x], axis=axis, keepdims=keepdims)
    if isinstance(ord, str):
        raise current().error(f"np.linalg.norm: ord={ord!r} is a matrix norm; this is a norm of vectors (one axis)")
    if ord == np.inf:
        return np.max(np.abs(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return np.min(np.abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:  # how many are not zero: no derivative
        return np.sum((x != 0).astype(x.aval.dtype or float), axis=axis, keepdims=keepdims)
    if ord == 1:
        return np.sum(np.abs(x), axis=axis, keepdims=keepdims)
    return np.sum(np.abs(x) ** ord, axis=axis, keepdims=keepdims) ** (1.0 / ord)


def _matrix_norm(x, ord, axes, keepdims, ndim):
    row, col = axes
    if ord in (None, "fro"):
        return current().apply(NORM, [x], axis=axes, keepdims=keepdims)
    if ord in (2, -2, "nuc"):
        s = svdvals(np.moveaxis(x, axes, (-2, -1)))
        reduce = {2: np.max, -2: np.min, "nuc": np.sum}[ord]
        result = reduce(s, axis=-1)
    elif ord in (1, -1):
        reduce = np.max if ord == 1 else np.min
        result = reduce(np.sum(np.abs(x), axis=row), axis=col - 1 if col > row else col)
    elif ord in (np.inf, -np.inf):
        reduce = np.max if ord > 0 else np.min
        result = reduce(np.sum(np.abs(x), axis=col), axis=row - 1 if row > col else row)
    else:
        raise current().error(f"np.linalg.norm: invalid norm order {ord!r} for matrices")
    if keepdims:
        result = np.expand_dims(result, tuple(sorted(axes)))
    return result


@binds(np.linalg.norm)
def _norm(x, ord=None, axis=None, keepdims=False):
    """Every ord NumPy takes, along axis None, an int or a pair, with keepdims."""
    ord, keepdims = static(ord, "ord"), bool(static(keepdims, "keepdims"))
    x = wrap(x)
    ndim = x.aval.ndim
    given = static(axis, "axis")
    given = tuple(given) if isinstance(given, list) else given
    if ord is None or (ord == "fro" and isinstance(given, tuple)) or (ord == 2 and isinstance(given, int)):
        if ndim is not None and given is not None:
            _norm_axes(given, ndim)  # NumPy's errors, located
        return current().apply(NORM, [x], axis=given, keepdims=keepdims)  # the 2-norm, along the axes written
    if ndim is None:
        raise current().error(f"np.linalg.norm with ord={ord!r} needs the rank of its operand, which is not known when "
                              "compiling", "call the function with example arguments, so that shapes are known.")
    if x.aval.dtype is not None and x.aval.dtype.kind in "biu":
        x = x.astype(float)
    if axis is None:
        if ord is None:
            return current().apply(NORM, [x], axis=None, keepdims=keepdims)
        if ndim not in (1, 2):
            raise current().error(f"np.linalg.norm with ord={ord!r} and no axis takes a 1-D or 2-D array, not {ndim}-D")
        axes = tuple(range(ndim))
    else:
        axes = _norm_axes(axis, ndim)
    if len(axes) == 1:
        result = _vector_norm(x, ord, axes[0], keepdims)
    else:
        result = _matrix_norm(x, ord, axes, keepdims, ndim)
    return result


# ---------------------------------------------------------------------------
# lstsq of a matrix of full column rank (m >= n): the solution x, the residuals (of a tall
# one; empty for a square one), the rank (no derivative) and the singular values


def _lstsq_shape(avals, params):
    a, b = avals
    dt = _dtype(avals)
    if not (a.known_shape and b.known_shape):
        return [Aval("array", Sym(), dt), Aval("array", Sym(), dt), Aval("scalar", (), np.dtype(np.int64)),
                Aval("array", Sym(), dt)]
    # the residuals' length is known only when it runs: 0 where the rank is below n
    return [Aval("array", a.shape[-1:] + b.shape[1:], dt), Aval("array", Sym(), dt),
            Aval("scalar", (), np.dtype(np.int64)), Aval("array", (min(a.shape),), dt)]


LSTSQ = Primitive("lstsq", emit=lambda a, p: f"np.linalg.lstsq({a[0]}, {a[1]}, rcond=None)",
                  impl=lambda a, b: tuple(np.linalg.lstsq(a, b, rcond=None)), shape=_lstsq_shape, nout=4, fresh=True)


def _tall(a):
    m, n = a.aval.shape
    if m < n:
        raise current().error(f"the derivative of np.linalg.lstsq of a wide matrix ({m} x {n}) is not supported: the "
                              "solution is then the one of least norm", "use np.linalg.pinv(a) @ b.")
    return m > n


@LSTSQ.defjvp
def _(t, outs, ins):
    """dx = (A^T A)^-1 (dA^T r + A^T (db - dA x)), r = b - A x; the residuals |r|^2 move by
    2 r . (db - dA x) (A^T r = 0); the singular values as svd's."""
    a, b = ins
    x, _, _, _ = outs
    da, db = t
    tall = _tall(a)
    r = b - a @ x
    moved = _add(db, None if da is None else -(da @ x))  # db - dA x
    rhs = mT(a) @ moved
    if da is not None:
        rhs = rhs + mT(da) @ r
    dx = solve(mT(a) @ a, rhs)
    dres = None
    if tall:
        dres = 2.0 * np.sum(r * moved, axis=0)
        dres = dres[None] if b.aval.ndim == 1 else dres
    ds = None if da is None else _svdvals_jvp(a, da)
    return (dx, dres, None, ds)


@LSTSQ.defvjp
def _(gs, outs, ins, active):
    gx, gres, _, gsv = gs
    a, b = ins
    x, _, _, _ = outs
    tall = _tall(a)
    r = b - a @ x
    vector = b.aval.ndim == 1
    da = db = None
    if gx is not None:
        y = solve(mT(a) @ a, gx)
        ay = a @ y
        db = ay
        da = np.outer(r, y) - np.outer(ay, x) if vector else r @ mT(y) - ay @ mT(x)
    if gres is not None and tall:
        rg = 2.0 * r * (gres[0] if vector else gres)  # the residuals' adjoint spread over r
        db = _add(db, rg)
        da = _add(da, -(np.outer(rg, x) if vector else rg @ mT(x)))
    if gsv is not None:
        da = _add(da, _svdvals_vjp(a, gsv))
    return (da if active[0] else None, db if active[1] else None)


@binds(np.linalg.lstsq)
def _lstsq(a, b, rcond=None):
    sa, sb = _known(a, "np.linalg.lstsq"), _known(b, "np.linalg.lstsq")
    if len(sa) != 2 or len(sb) not in (1, 2) or sb[0] != sa[0]:
        raise current().error(f"np.linalg.lstsq takes a matrix (m, n) and b of shape (m,) or (m, k), not {sa} and {sb}")
    if static(rcond, "rcond") is not None:
        raise current().error("np.linalg.lstsq: only rcond=None (NumPy's default) is supported")
    return current().apply(LSTSQ, [a, b])


# ---------------------------------------------------------------------------
# cond, as NumPy computes it, and matrix_rank (a count: no derivative)


@binds(np.linalg.cond)
def _cond(x, p=None):
    """s_max / s_min for p None or 2 (the inverse for -2), norm(x, p) * norm(inv(x), p) otherwise."""
    p = static(p, "p")
    shape = _known(x, "np.linalg.cond")
    if len(shape) < 2:
        raise current().error(f"np.linalg.cond takes a matrix or a stack of them, not shape {shape}")
    if p in (None, 2, -2):
        s = svdvals(x)
        return s[..., 0] / s[..., -1] if p != -2 else s[..., -1] / s[..., 0]
    _square(x, "np.linalg.cond")
    return (np.linalg.norm(x, ord=p, axis=(-2, -1)) * np.linalg.norm(np.linalg.inv(x), ord=p, axis=(-2, -1)))


def _rank_shape(avals, params):
    a = avals[0]
    return Aval("array", a.shape[:-2] if a.known_shape else Sym(), np.dtype(np.int64))


MATRIX_RANK = Primitive("matrix_rank", emit=lambda a, p: f"np.linalg.matrix_rank({a[0]})", impl=np.linalg.matrix_rank,
                        shape=_rank_shape, differentiable=False, fresh=True)


@binds(np.linalg.matrix_rank)
def _matrix_rank(A, tol=None, hermitian=False, *, rtol=None):
    if tol is not None or rtol is not None or static(hermitian, "hermitian"):
        raise current().error("np.linalg.matrix_rank with tol=, rtol= or hermitian= is not supported")
    if len(_known(A, "np.linalg.matrix_rank")) < 2:
        raise current().error("np.linalg.matrix_rank of a vector is not supported")
    return current().apply(MATRIX_RANK, [A])
