"""Factors taken out of sums along one axis of a product of arrays of any rank.

np.sum(g[:, None] / var * (2 * diff), axis=0) makes three (n, d) arrays to sum one down
its rows; the same numbers are 2 * g.dot(diff) / var: one vector-matrix product, then work
on d numbers. Reverse mode builds such sums wherever a per-sample adjoint meets a
per-feature scale (a variance, a weight row broadcast against a batch), and the rules
that build them see one operation at a time; this pass sees the whole product.

In a sum along an axis, a factor constant along that axis (a row, for a sum down the
rows; a (k, 1, d) variance in a sum of (k, n, d) along n) multiplies the sum; the factors
that vary along it go into a matrix product with the one full-size array. When they vary
along that axis only, that is a vector-matrix product (v.dot(M), M.dot(v)); when they
vary along other axes too, those are np.matmul's leading axes, matched element by
element: np.sum(M * e[:, :, None], axis=1) is (e[:, None, :] @ M)[:, 0, :], per component
of a mixture. A product of any other shape of factors is left as it is (_contraction
says which are taken), as is one with a length-1 axis, where a factor's shape does not say
how it varies. A product another reader needs is made anyway; its sum is still taken
apart when that turns it into a matrix product (np.sum(sq / var, axis=1) is
sq.dot(1 / var), a tenth of the time on narrow rows). Below the product, only parts
nothing else reads are taken apart, so no work is done twice."""
import numpy as np

from .. import naming
from ..ir import FOR, Const, Eqn, Var
from ..ir.regions import carried_count, read_counts
from ..prims import Builder
from ..prims.broadcasting import BROADCAST_TO
from ..prims.core import wrap
from ..prims.elementwise import ADD, BINARY, NEG, SUB
from ..prims.linalg import DOT, MATMUL, OUTER
from ..prims.lists import LIST_ITEM
from ..prims.reductions import SUM
from .canonical import as_shape, as_vector
from .simplify import dead_code

MUL, DIV = BINARY["mul"], BINARY["div"]


def factor_sums(fn):
    """fn with its sums along an axis of products taken apart (in place)."""
    fn.body.eqns[:] = dead_code(fn.body.eqns, fn.body.results)  # what is read, not what once was
    _block(fn.body, read_counts(fn.body))
    fn.body.eqns[:] = dead_code(fn.body.eqns, fn.body.results)
    if _save_dividends(fn.body, read_counts(fn.body)):
        _block(fn.body, read_counts(fn.body))  # the backward sweep's quotients, now in view
    return fn


def _save_dividends(block, uses):
    """A loop that makes z = x / y only to record it, with y recorded too, records x
    instead, and the backward sweep divides: np.sum(q, axis=1) of q = sq / var became
    sq.dot(1.0 / var), so the forward sweep no longer needs q, and where the backward one
    takes var out of its sums it never makes q either. Whether or not it does, the
    division is done once, in one sweep or the other. Whether any loop changed."""
    changed = False
    for i, eqn in enumerate(block.eqns):
        for b in eqn.blocks:
            changed |= _save_dividends(b, uses)
        if eqn.prim is FOR and eqn.params.get("saves"):
            changed |= _save_loop_dividends(eqn, block.eqns[i + 1:], uses)
    return changed


def _save_loop_dividends(loop, after, uses):
    saves = loop.params["saves"]
    lists = loop.outs[carried_count(loop):]
    body = loop.blocks[-1]
    local = {o.id: e for e in body.eqns for o in e.outs}
    changed = False
    for k, z in enumerate(saves):
        made = local.get(z.id)
        if made is None or made.prim is not DIV or uses[z.id] != 1:
            continue
        x, y = made.ins
        if not (isinstance(x, Var) and x.aval == z.aval and any(v is y for v in saves)):
            continue
        y_list = lists[next(j for j, v in enumerate(saves) if v is y)]
        reads = _item_reads(after, lists[k], y_list)
        if reads is None or len(reads) != uses[lists[k].id]:
            continue
        recorded = [j for j, v in enumerate(saves) if v is x]
        inside = x.id in local or any(p is x for p in body.params)
        if recorded:  # x has a list already: read that one, and z's list goes unread
            x_list = lists[recorded[0]]
        elif not inside:  # made before the loop: read as it is, and z's list goes unread
            x_list = None
        else:
            saves[k], x_list = x, lists[k]
            x_list.hint = x.hint and naming.saved(x.hint)  # not named after the quotient it no longer holds
        for reader_block, read, divisor in reads:
            item = Var(x.aval, x.hint) if x_list is not None else x
            at = max(reader_block.eqns.index(read), reader_block.eqns.index(divisor))
            reader_block.eqns.insert(at + 1, Eqn(DIV, [item, divisor.outs[0]], [read.outs[0]], {}, read.loc))
            if x_list is None:
                reader_block.eqns.remove(read)
            else:
                reader_block.eqns[reader_block.eqns.index(read)] = Eqn(LIST_ITEM, [x_list, read.ins[1]], [item],
                                                                       dict(read.params), read.loc)
        changed = True
    return changed


def _item_reads(eqns, z_list, y_list):
    """(block, z_list[i], y_list[i]) for every read of z_list in these equations and their
    blocks, each beside a read of y_list at the same index in its block; None if a read
    is anything else."""
    found = []

    def walk(block_eqns, block):
        for e in block_eqns:
            if any(a is z_list for a in e.ins):
                if e.prim is not LIST_ITEM or e.ins[0] is not z_list or block is None:
                    return False
                divisor = next((d for d in block.eqns if d.prim is LIST_ITEM and d.ins[0] is y_list
                                and d.ins[1] is e.ins[1]), None)
                if divisor is None:
                    return False
                found.append((block, e, divisor))
            for b in e.blocks:
                if not walk(b.eqns, b):
                    return False
        return True

    return found if walk(eqns, None) else None


def _block(block, uses):
    """uses is kept current: a product whose other reader was a sum taken apart earlier in
    the block (the forward sum of a quotient the backward sweep sums too) is read once."""
    local = {o.id: e for e in block.eqns for o in e.outs}
    negated = {e.ins[0].id: e for e in block.eqns
               if e.prim is NEG and isinstance(e.ins[0], Var) and uses[e.ins[0].id] == 1}
    out, dropped = [], set()
    for eqn in block.eqns:
        for b in eqn.blocks:
            _block(b, uses)
        if id(eqn) in dropped:
            continue
        neg = negated.get(eqn.outs[0].id) if len(eqn.outs) == 1 else None
        built = _factored(eqn, local, uses, -1 if neg is not None else 1)
        if built is None:
            out.append(eqn)
            continue
        if neg is not None:
            dropped.add(id(neg))  # -np.sum(...) is the factored sum with its sign
        built[-1].outs[0] = (neg or eqn).outs[0]
        out.extend(built)
        for e in built:
            uses.update(a.id for a in e.ins if isinstance(a, Var))
        for a in eqn.ins:
            _release(a, local, uses)
    block.eqns[:] = out


def _release(a, local, uses):
    """a is read once less; what made a, when nothing reads a any more (an equation with
    that one out and no blocks), reads its operands no more either."""
    if not isinstance(a, Var):
        return
    uses[a.id] -= 1
    made = local.get(a.id)
    if uses[a.id] == 0 and made is not None and len(made.outs) == 1 and not made.blocks:
        for b in made.ins:
            _release(b, local, uses)


def _factored(eqn, local, uses, sign):
    """The equations computing eqn's value (times sign) with the factors taken out, or None."""
    along = []
    if eqn.prim is SUM:
        axis = eqn.params.get("axis")
        axis = axis[0] if isinstance(axis, tuple) and len(axis) == 1 else axis
        product = eqn.ins[0]
    elif eqn.prim in (DOT, MATMUL) and len(eqn.ins) == 2 and all(_shape(a) is not None for a in eqn.ins):
        vector = [a for a in eqn.ins if len(_shape(a)) == 1]
        if len(vector) != 1:
            return None
        product = eqn.ins[1] if vector[0] is eqn.ins[0] else eqn.ins[0]
        # v.dot(P) sums along P's second-to-last axis (down a matrix's rows), P.dot(v) along its last
        axis = len(_shape(product)) - (2 if vector[0] is eqn.ins[0] else 1)
        along.append(vector[0])
    else:
        return None
    shape = _shape(product)
    if (type(axis) is not int or not isinstance(product, Var) or shape is None or len(shape) < 2
            or not -len(shape) <= axis < len(shape) or 1 in shape or product.id not in local):
        return None
    axis %= len(shape)
    along = [(v, tuple(k if i == axis else 1 for i, k in enumerate(shape))) for v in along]
    builder = Builder(loc=eqn.loc)
    with builder.active():
        if not along and uses[product.id] == 1 and local[product.id].prim in (ADD, SUB):
            total = _summed_terms(product, shape, axis, sign, local, uses, builder)
        else:
            total = _product_sum(product, shape, axis, along, sign, local, uses, builder)
        if total is not None and eqn.params.get("keepdims"):
            total = np.expand_dims(total, axis)
    if total is None or total.aval != eqn.outs[0].aval or builder.eqns[-1].outs[0] is not total.atom:
        return None
    return builder.eqns


def _product_sum(product, shape, axis, along, sign, local, uses, builder):
    """The sum of product along axis (times the along vectors, times sign) with its factors
    taken out, or None when that would not save work."""
    kept = uses[product.id] != 1  # the product is made anyway, for another reader
    if kept and along:
        return None
    parts = _parts(product, shape, axis, local, uses)
    if parts is None:
        return None
    flip, matrices, leaves = parts
    if len(matrices) != 1 or not (leaves or flip == -1):
        return None
    if kept and not any(kind == "along" for (kind, _), _, _ in leaves):
        return None  # np.sum of the product costs what np.sum of its matrix would
    return _assemble(matrices[0], along, leaves, axis, sign * flip, local, builder)


def _summed_terms(total, shape, axis, sign, local, uses, builder):
    """np.sum(M + row + c, axis=1) as np.sum(M, axis=1) + (np.sum(row) + d * c): a term that
    does not vary along the axis is added once per element summed, one that varies along
    it adds its own sum to every result. M's own sum is taken apart in turn."""
    terms = []

    def walk(a, s):
        made = local.get(a.id) if isinstance(a, Var) else None
        if made is not None and _shape(a) == shape and uses[a.id] == 1 and made.prim in (ADD, SUB, NEG):
            if made.prim is NEG:
                return walk(made.ins[0], -s)
            return walk(made.ins[0], s) and walk(made.ins[1], -s if made.prim is SUB else s)
        lying = _lying(a, shape)
        kind = _kind(a, lying, axis)
        terms.append((s, kind, a, lying))
        return kind is not None

    if not walk(total, sign) or sum(t[1] == "matrix" for t in terms) != 1:
        return None
    count = shape[axis]
    (s, _, matrix, _), = [t for t in terms if t[1] == "matrix"]
    result = _product_sum(matrix, shape, axis, [], s, local, uses, builder) if matrix.id in local else None
    if result is None:
        result = builder.apply(SUM, [matrix], axis=axis, keepdims=False)
        result = result if s == 1 else -result
    extra = None
    for s, kind, a, lying in terms:
        if kind == "matrix":
            continue
        if kind == "along" and _batch([lying], axis):  # its sum along the axis, in its own axes
            term = np.sum(wrap(a), axis=axis - (len(shape) - len(_shape(a))))
        elif kind == "along":  # a vector along the axis: one number for every result
            term = np.sum(as_vector(a, count, local))
        else:
            term = wrap(a) if kind == "scalar" else _across(a, lying, axis, local)
            term = term * count
        term = term if s == 1 else -term
        extra = term if extra is None else extra + term
    return result + extra


def _assemble(matrix, along, leaves, axis, sign, local, builder):
    """The matrix's sum along the axis, contracted with what varies along it, times what
    does not: the numbers in the order a hand-writer puts them. None when what varies
    along the axis also varies along other axes in a way no matrix product takes."""
    factors = along + [(x, lying) for role, x, lying in leaves if role == ("along", MUL)]
    divisors = [(x, lying) for role, x, lying in leaves if role == ("along", DIV)]
    total = _contraction(matrix, factors, divisors, axis, local, builder)
    if total is None:
        return None
    scale = sign
    for role, x, _ in leaves:
        if role == ("scalar", MUL) and isinstance(x, Const) and type(x.value) in (int, float):
            scale *= x.value
    if scale == -1:
        total = -total
    elif scale != 1:
        total = builder.apply(MUL, [Const(scale), total])
    for role, x, lying in leaves:
        if role == ("across", MUL) or (role == ("scalar", MUL) and not isinstance(x, Const)):
            total = total * (_across(x, lying, axis, local) if role[0] == "across" else wrap(x))
        elif role == ("across", DIV):
            total = total / _across(x, lying, axis, local)
        elif role == ("scalar", DIV):
            total = total / wrap(x)
    return total


def _contraction(matrix, factors, divisors, axis, local, builder):
    """np.sum(matrix * w, axis) as a matrix product, w the product of the factors over the
    divisors (each given with the shape it has lying in the matrix's axes); None when no
    matrix product takes it.

    Besides the summed axis, w may vary along others: its batch axes, matched element by
    element; the matrix's other axes are free. With no batch axes w is a vector: M.dot(w)
    for the last axis, else w.dot(M) (M's axes after the summed one flattened into one,
    when there are several). Batch axes are np.matmul's leading (broadcast) axes: w as a
    row (..., 1, n) times M (..., n, free) when no batch axis follows the summed one, or
    M times w as a column (..., n, 1) for the last axis when the one before it is free."""
    shape = matrix.aval.shape
    rank, n = len(shape), shape[axis]
    if not factors and not divisors:
        return builder.apply(SUM, [matrix], axis=axis, keepdims=False)
    batch = _batch([lying for _, lying in factors + divisors], axis)
    if not batch:
        layout = lambda lying: (n,)
    elif axis == rank - 1 and rank - 2 not in batch:
        layout = lambda lying: lying[:-2] + (n, 1)
    elif axis < rank - 1 and all(i < axis for i in batch):
        layout = lambda lying: lying[:axis] + (1, n)
    else:
        return None
    w = None
    for x, lying in factors:
        x = as_shape(x, layout(lying), local)
        w = x if w is None else w * x
    for q, lying in divisors:
        w = (wrap(1.0) if w is None else w) / as_shape(q, layout(lying), local)
    product = DOT if not batch else MATMUL
    if axis == rank - 1:
        total = builder.apply(product, [matrix, w])
    else:
        m = matrix if axis == rank - 2 else np.reshape(wrap(matrix), shape[:axis] + (n, int(np.prod(shape[axis + 1:]))))
        total = builder.apply(product, [w, m])
    summed = shape[:axis] + shape[axis + 1:]
    return total if total.aval.shape == summed else np.reshape(total, summed)


def _batch(lyings, axis):
    """The axes other than the summed one along which these operands vary."""
    return {i for lying in lyings for i, d in enumerate(lying) if i != axis and d != 1}


def _parts(atom, shape, axis, local, uses):
    """(sign, matrices, [((kind, MUL or DIV), leaf, the shape it has lying in the product)])
    of a product of this shape whose parts of that shape nothing else reads (see _kind
    for the kinds; a DIV leaf divides). None for anything else."""
    sign, matrices, leaves = 1, [], []

    def walk(a, top=False):
        nonlocal sign
        made = local.get(a.id) if isinstance(a, Var) else None
        if made is not None and made.prim is BROADCAST_TO:  # a view: free to look through
            return walk(made.ins[0])
        if made is not None and _shape(a) == shape and (top or uses[a.id] == 1):
            if made.prim is NEG:
                sign = -sign
                return walk(made.ins[0])
            if made.prim is MUL:
                return walk(made.ins[0]) and walk(made.ins[1])
            if made.prim is DIV:
                return walk(made.ins[0]) and divisor(made.ins[1])
            if made.prim is OUTER and all(_shape(v) == (k,) for v, k in zip(made.ins, shape)):
                # np.outer(u, w) is u as a column times w as a row
                for lying, v in zip(((shape[0], 1), (1, shape[1])), made.ins):
                    leaves.append(((_kind(v, lying, axis), MUL), v, lying))
                return True
        lying = _lying(a, shape)
        kind = _kind(a, lying, axis)
        if kind == "matrix":
            matrices.append(a)
        elif kind is not None:
            leaves.append(((kind, MUL), a, lying))
        return kind is not None

    def divisor(q):
        nonlocal sign
        made = local.get(q.id) if isinstance(q, Var) else None
        if made is not None and made.prim is NEG and uses[q.id] == 1:
            sign = -sign
            q = made.ins[0]
        lying = _lying(q, shape)
        kind = _kind(q, lying, axis)
        if kind in (None, "matrix"):
            return False
        leaves.append(((kind, DIV), q, lying))
        return True

    if not walk(atom, top=True):
        return None
    return sign, matrices, leaves


def _kind(a, lying, axis):
    """How a broadcast operand of a product varies, seen from a sum along axis, given the
    shape it has lying in the product: "matrix" along every axis, "scalar" along none,
    "along" the summed axis (and maybe others), "across" others only (constant along the
    sum, it multiplies the sum); None for anything else."""
    if lying is None or a.aval.dtype is None or a.aval.dtype.kind not in "fiub":
        return None
    if 1 not in lying:
        return "matrix"  # a mask too: v.dot(mask) is a float product
    if a.aval.dtype.kind == "b":
        return None
    if _shape(a) == ():
        return "scalar"
    if all(d == 1 for d in lying):
        return None  # (1, 1): not the scalar it stands for, to the shapes
    return "along" if lying[axis] != 1 else "across"


def _lying(a, shape):
    """The shape a has lying in a product of this shape (leading 1s put in, as broadcasting
    does), or None when it does not broadcast to it without growing it."""
    s = _shape(a)
    if s is None or len(s) > len(shape):
        return None
    lying = (1,) * (len(shape) - len(s)) + s
    return lying if all(d in (1, k) for d, k in zip(lying, shape)) else None


def _across(x, lying, axis, local):
    """x, constant along the summed axis, in the shape that multiplies the sum: the summed
    axis taken out, and leading 1s (a vector, for a matrix's row or column)."""
    kept = lying[:axis] + lying[axis + 1:]
    while kept[0] == 1:
        kept = kept[1:]
    return as_shape(x, kept, local)


def _shape(a):
    s = a.aval.shape
    return s if isinstance(s, tuple) else None
