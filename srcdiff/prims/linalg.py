"""Products and transposes. Rules follow the operands' ranks so the adjoint reads
like hand-written backprop (dW2 = h.T.dot(dscores)); unknown ranks fall back to
a helper that decides at run time."""
import numpy as np

from ..ir import Aval, Sym
from . import batching
from .broadcasting import shape_of, unbroadcast
from .core import Primitive, attribute, binds, current, is_known_array, method, static, wrap
from .helpers import attach
from .shapes import result_dtype
from .syntax import src

FAMILY = "products"  # grammar.md's list of callables (prims/catalog.py) groups by it


def _product_shape(avals, params):
    a, b = avals
    dt = result_dtype([a, b])
    if a.known_shape and b.known_shape:
        sa, sb = a.shape, b.shape
        return Aval("array", _matmul_shape(sa, sb), dt)
    return Aval("array", Sym(), dt)


def _matmul_shape(sa, sb):
    if len(sa) == 0 or len(sb) == 0:
        raise current().error("matmul of a scalar; use * instead")
    a1, b1 = len(sa) == 1, len(sb) == 1
    ea = (1,) + sa if a1 else sa
    eb = sb + (1,) if b1 else sb
    if ea[-1] != eb[-2]:
        raise current().error(f"shapes {sa} and {sb} are not aligned for a matrix product: {ea[-1]} != {eb[-2]}")
    try:
        batch = np.broadcast_shapes(ea[:-2], eb[:-2])
    except ValueError:
        raise current().error(f"batch dimensions of {sa} and {sb} do not broadcast") from None
    out = batch + (ea[-2], eb[-1])
    if a1:
        out = out[:-2] + out[-1:]
    if b1:
        out = out[:-1]
    return out


MATMUL = Primitive("matmul", emit=lambda a, p: f"{a[0]} @ {a[1]}", impl=np.matmul, shape=_product_shape, fresh=True)
DOT = Primitive("dot", emit=lambda a, p: f"{a[0]}.dot({a[1]})", impl=np.dot, shape=_product_shape, fresh=True)


def _transpose_shape(avals, params):
    a = avals[0]
    axes = params.get("axes")
    if a.known_shape:
        shape = tuple(reversed(a.shape)) if axes is None else tuple(a.shape[i] for i in axes)
        return Aval("array", shape, a.dtype)
    return Aval("array", Sym(), a.dtype)


def _transpose_emit(a, p):
    if p.get("axes") is None:
        return f"{a[0]}.T" if p.get("_method") else f"np.transpose({a[0]})"
    return f"np.transpose({a[0]}, {src(p['axes'])})"


TRANSPOSE = Primitive("transpose", emit=_transpose_emit,
                      impl=lambda x, axes=None, _method=False: np.transpose(x, axes), shape=_transpose_shape, hoistable=True, view=True,
                      complex_ok=True)


def transpose(x, axes=None):
    """x.T when x is surely an array (W2.T reads like backprop), np.transpose otherwise; a
    matrix's axes swapped (np.transpose(m, (1, 0)), np.moveaxis(m, 0, -1)) are m.T too."""
    if axes is not None and wrap(x).aval.ndim == 2 and tuple(a % 2 for a in axes) == (1, 0):
        axes = None
    return current().apply(TRANSPOSE, [x], axes=axes, _method=is_known_array(x))


def _inverse(axes):
    if axes is None:
        return None
    inv = [0] * len(axes)
    for i, a in enumerate(axes):
        inv[a] = i
    return tuple(inv)


@TRANSPOSE.defvjp
def _(g, out, ins, active, axes=None, _method=False):
    return (transpose(g, _inverse(axes)),)


@TRANSPOSE.defjvp
def _(t, out, ins, axes=None, _method=False):
    return transpose(t[0], axes)


def _swap_last(x):
    nd = x.aval.ndim
    if nd == 2:
        return transpose(x)
    axes = tuple(range(nd - 2)) + (nd - 1, nd - 2)
    return transpose(x, axes)


def product_vjp(prim):
    def vjp(g, out, ins, active):
        a, b = ins
        na, nb = a.aval.ndim, b.aval.ndim
        if na is None or nb is None:
            return (
                current().apply(PRODUCT_GRAD, [g, a, b], side=0) if active[0] else None,
                current().apply(PRODUCT_GRAD, [g, a, b], side=1) if active[1] else None,
            )
        mul = lambda x, y: current().apply(prim, [x, y])  # noqa: E731
        da = db = None
        if na == 1 and nb == 1:
            da = g * b if active[0] else None
            db = g * a if active[1] else None
        elif na == 1:
            da = mul(b, g) if nb == 2 else unbroadcast(np.sum(mul(b, np.expand_dims(g, -1)), axis=-1), a)
            db = np.outer(a, g) if nb == 2 else unbroadcast(a[:, None] * np.expand_dims(g, -2), b)
        elif nb == 1:
            da = np.outer(g, b) if na == 2 else unbroadcast(np.expand_dims(g, -1) * b, a)
            db = mul(transpose(a), g) if na == 2 else unbroadcast(mul(_swap_last(a), np.expand_dims(g, -1))[..., 0], b)
        else:
            da = unbroadcast(mul(g, _swap_last(b)), a)
            db = unbroadcast(mul(_swap_last(a), g), b)
        return (da if active[0] else None, db if active[1] else None)

    return vjp


MATMUL.defvjp(product_vjp(MATMUL))
DOT.defvjp(product_vjp(DOT))


def product_jvp(prim):
    def jvp(t, out, ins):
        a, b = ins
        terms = []
        if t[0] is not None:
            terms.append(current().apply(prim, [t[0], b]))
        if t[1] is not None:
            terms.append(current().apply(prim, [a, t[1]]))
        return terms[0] if len(terms) == 1 else terms[0] + terms[1]

    return jvp


MATMUL.defjvp(product_jvp(MATMUL))
DOT.defjvp(product_jvp(DOT))


PRODUCT_GRAD = Primitive(
    "product_grad",
    emit=lambda a, p: f"_product_grad({a[0]}, {a[1]}, {a[2]}, {p['side']})",
    shape=lambda avals, p: Aval("array", avals[1 + p["side"]].shape, avals[0].dtype),
)
attach(PRODUCT_GRAD, "product_grad")


@PRODUCT_GRAD.defjvp
def _(t, out, ins, side):
    """Bilinear in g and the other operand (the operand on `side` gives only its shape)."""
    g, a, b = ins
    other = 2 - side  # the adjoint wrt a reads b, wrt b reads a
    terms = []
    if t[0] is not None:
        terms.append(current().apply(PRODUCT_GRAD, [t[0], a, b], side=side))
    if t[other] is not None:
        operands = [g, a, b]
        operands[other] = t[other]
        terms.append(current().apply(PRODUCT_GRAD, operands, side=side))
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else terms[0] + terms[1]


@PRODUCT_GRAD.defvjp
def _(c, out, ins, active, side):
    """The adjoint of a @ b wrt one operand is the transpose of the product with the other,
    so its own adjoint (cotangent c, shaped like that operand) is the product again: wrt g,
    c @ b (side 0) or a @ c (side 1); wrt the other operand, the adjoint of that product
    with c in place of the differentiated one. The operand on `side` gives only its shape."""
    g, a, b = ins
    dg = current().apply(MATMUL, [c, b] if side == 0 else [a, c]) if active[0] else None
    d_other = None
    if active[2 - side]:
        d_other = current().apply(PRODUCT_GRAD, [g, c, b] if side == 0 else [g, a, c], side=1 - side)
    grads = [dg, None, None]
    grads[2 - side] = d_other
    return tuple(grads)


@binds(np.matmul)
def _matmul(a, b):
    return current().apply(MATMUL, [a, b])


@binds(np.dot)
@method("dot")
def _dot(a, b, out=None):
    if out is not None:
        raise current().error("np.dot: out= is not supported")
    a, b = wrap(a), wrap(b)
    if a.aval.ndim == 0 or b.aval.ndim == 0:
        return a * b
    if (a.aval.ndim or 0) > 2 or (b.aval.ndim or 0) > 2:
        raise current().error("np.dot of arrays with more than 2 dimensions is not supported; use np.matmul (@)")
    return current().apply(DOT, [a, b])


def _outer_shape(avals, params):
    a, b = avals
    if a.known_shape and b.known_shape:
        return Aval("array", (int(np.prod(a.shape)), int(np.prod(b.shape))), result_dtype(avals))
    return Aval("array", Sym(), result_dtype(avals))


OUTER = Primitive("outer", emit=lambda a, p: f"np.outer({a[0]}, {a[1]})", impl=np.outer, shape=_outer_shape, fresh=True)


@OUTER.defvjp
def _(g, out, ins, active):
    a, b = ins
    return (
        _as_vector_of(current().apply(DOT, [g, _flat(b)]), a) if active[0] else None,
        _as_vector_of(current().apply(DOT, [_flat(a), g]), b) if active[1] else None,
    )


def _flat(x):
    """np.outer flattens its operands; a vector already is flat."""
    return x if x.aval.ndim == 1 else np.ravel(x)


def _as_vector_of(v, x):
    return v if x.aval.ndim == 1 and v.aval.shape == x.aval.shape else np.reshape(v, shape_of(x))


@OUTER.defjvp
def _(t, out, ins):
    a, b = ins
    terms = [np.outer(t[0], b)] if t[0] is not None else []
    if t[1] is not None:
        terms.append(np.outer(a, t[1]))
    return terms[0] if len(terms) == 1 else terms[0] + terms[1]


@binds(np.outer)
def _outer(a, b, out=None):
    return current().apply(OUTER, [a, b])


def _trace_shape(avals, params):
    a = avals[0]
    return Aval("array", (), a.dtype if a.dtype is None or a.dtype.kind != "b" else np.dtype(np.int64))


TRACE = Primitive("trace", emit=lambda a, p: f"np.trace({a[0]})", impl=np.trace, shape=_trace_shape, fresh=True)


@TRACE.defvjp
def _(g, out, ins, active):
    x = ins[0]
    shape = shape_of(x)
    return (g * current().call(np.eye, (shape[0], shape[1]), {}),)


@TRACE.defjvp
def _(t, out, ins):
    return np.trace(t[0])


@binds(np.trace)
@method("trace")
def _trace(a, offset=0, axis1=0, axis2=1):
    if static(offset, "offset") != 0 or static(axis1, "axis1") != 0 or static(axis2, "axis2") != 1:
        raise current().error("np.trace with offset or axes is not supported")
    if wrap(a).aval.ndim not in (None, 2):
        raise current().error("np.trace of an array that is not 2-D is not supported")
    return current().apply(TRACE, [a])


@attribute("T")
def _T(x):
    return transpose(x)


@binds(np.transpose)
def _transpose(a, axes=None):
    axes = static(axes, "axes")
    if axes is not None:
        axes = tuple(int(i) % len(axes) for i in axes)
    return transpose(a, axes)


@method("transpose")
def _transpose_method(a, *axes):
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)) or axes and axes[0] is None:
        axes = axes[0]
    return _transpose(a, tuple(axes) if axes else None)


# -- batching (prims/batching.py) ---------------------------------------------


@MATMUL.defbatch
def _(eqn, ins, batched, size):
    """A product of batched items. Where NumPy's own broadcasting over leading axes lines the
    items up (a stack of rows times a matrix, a matrix times a stack of matrices), the product
    as written; a vector item becomes a matrix of one row (column) first otherwise."""
    (a, b), (ba, bb) = ins, batched
    ra, rb = batching.item_rank(a, ba), batching.item_rank(b, bb)
    if ra is None or rb is None or ra == 0 or rb == 0:
        raise batching.Unbatchable
    if not bb and (ra == 1 and rb <= 2 or ra >= 2 and (rb <= 2 or ra >= rb)):
        return a @ b
    if not ba and (ra == 1 and rb >= 2 or ra >= 2 and rb >= ra):
        return a @ b
    if not ba and rb == 1 and ra <= 2:
        return b @ (a.T if ra == 2 else a)  # the product of the stack of vectors with a's rows
    if ra >= 2 and rb >= 2:
        rank = max(ra, rb)
        return (batching.lifted(a, rank) if ba else a) @ (batching.lifted(b, rank) if bb else b)
    # a vector item as a matrix of one row (a) or one column (b), the product, the axis taken out
    ea = (np.expand_dims(a, 1) if ba else a[None, :]) if ra == 1 else a
    eb = np.expand_dims(b, -1) if rb == 1 else b
    rank = max(max(ra, 2), max(rb, 2))
    ea = batching.lifted(ea, rank) if ba else ea
    eb = batching.lifted(eb, rank) if bb else eb
    product = ea @ eb
    if rb == 1:
        product = np.squeeze(product, axis=-1)
    if ra == 1:
        product = np.squeeze(product, axis=-1 if rb == 1 else -2)
    return product


@DOT.defbatch
def _(eqn, ins, batched, size):
    """np.dot of vectors and matrices is their matrix product."""
    if any(batching.item_rank(x, b) not in (1, 2) for x, b in zip(ins, batched)):
        raise batching.Unbatchable
    return MATMUL.batch(eqn, ins, batched, size)


@TRANSPOSE.defbatch
def _(eqn, ins, batched, size):
    rank = batching.item_rank(ins[0], True)
    if rank is None:
        raise batching.Unbatchable
    axes = eqn.params.get("axes")
    axes = tuple(range(rank - 1, -1, -1)) if axes is None else tuple(a % rank for a in axes)
    return current().apply(TRANSPOSE, ins, axes=(0,) + tuple(a + 1 for a in axes))


@OUTER.defbatch
def _(eqn, ins, batched, size):
    """The outer product of vector items: each item's column times the other's row."""
    (a, b), (ba, bb) = ins, batched
    if batching.item_rank(a, ba) != 1 or batching.item_rank(b, bb) != 1:
        raise batching.Unbatchable
    column = np.expand_dims(a, -1)
    row = np.expand_dims(b, -2) if bb else b
    return column * row


@TRACE.defbatch
def _(eqn, ins, batched, size):
    if batching.item_rank(ins[0], True) != 2:
        raise batching.Unbatchable
    return np.einsum("bii->b", ins[0])
