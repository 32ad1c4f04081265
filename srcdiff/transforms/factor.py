"""Factors taken out of sums along one axis of a product of matrices, rows and columns.

np.sum(g[:, None] / var * (2 * diff), axis=0) makes three (n, d) arrays to sum one down
its rows; the same numbers are 2 * g.dot(diff) / var: one vector-matrix product, then work
on d numbers. Reverse mode builds such sums wherever a per-sample adjoint meets a
per-feature scale (a variance, a weight row broadcast against a batch), and the rules
that build them see one operation at a time; this pass sees the whole product.

In a sum along an axis, a factor that varies only along that axis (a column, for a sum
down the rows) goes into the vector the matrix is multiplied by; one that varies only
across it (a row, there) multiplies the sum. A product another reader needs is made
anyway; its sum is still taken apart when that turns it into a vector-matrix product
(np.sum(sq / var, axis=1) is sq.dot(1 / var), a tenth of the time on narrow rows). Below
the product, only parts nothing else reads are taken apart, so no work is done twice."""
import numpy as np

from .. import naming
from ..ir import FOR, Const, Eqn, Var
from ..ir.regions import carried_count, read_counts
from ..prims import Builder
from ..prims.broadcasting import BROADCAST_TO, unit_axes_source
from ..prims.core import wrap
from ..prims.elementwise import ADD, BINARY, NEG, SUB
from ..prims.linalg import DOT, MATMUL, OUTER
from ..prims.lists import LIST_ITEM
from ..prims.reductions import SUM
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
    block.eqns[:] = out


def _factored(eqn, local, uses, sign):
    """The equations computing eqn's value (times sign) with the factors taken out, or None."""
    along = []
    if eqn.prim is SUM and not eqn.params.get("keepdims"):
        axis = eqn.params.get("axis")
        axis = axis[0] if isinstance(axis, tuple) and len(axis) == 1 else axis
        product = eqn.ins[0]
    elif eqn.prim in (DOT, MATMUL) and len(eqn.ins) == 2 and all(_shape(a) is not None for a in eqn.ins):
        vector = [a for a in eqn.ins if len(_shape(a)) == 1]
        if len(vector) != 1:
            return None
        axis = 0 if vector[0] is eqn.ins[0] else 1  # v.dot(P) sums down P's rows, P.dot(v) along them
        product = eqn.ins[1 - axis]
        along.append(vector[0])
    else:
        return None
    shape = _shape(product)
    if (axis not in (0, 1, -1) or not isinstance(product, Var) or shape is None or len(shape) != 2
            or 1 in shape or product.id not in local):
        return None
    axis %= 2
    builder = Builder(loc=eqn.loc)
    with builder.active():
        if not along and uses[product.id] == 1 and local[product.id].prim in (ADD, SUB):
            total = _summed_terms(product, shape, axis, sign, local, uses, builder)
        else:
            total = _product_sum(product, shape, axis, along, sign, local, uses, builder)
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
    if kept and not any(kind == "along" for (kind, _), _ in leaves):
        return None  # np.sum of the product costs what np.sum of its matrix would
    return _assemble(matrices[0], along, leaves, axis, sign * flip, local, builder)


def _summed_terms(total, shape, axis, sign, local, uses, builder):
    """np.sum(M + row + c, axis=1) as np.sum(M, axis=1) + (np.sum(row) + d * c): a term that
    does not vary along the axis is added once per element summed, one that varies only
    along it adds its own sum to every result. M's own sum is taken apart in turn."""
    terms = []

    def walk(a, s):
        made = local.get(a.id) if isinstance(a, Var) else None
        if made is not None and _shape(a) == shape and uses[a.id] == 1 and made.prim in (ADD, SUB, NEG):
            if made.prim is NEG:
                return walk(made.ins[0], -s)
            return walk(made.ins[0], s) and walk(made.ins[1], -s if made.prim is SUB else s)
        kind = _kind(a, shape, axis)
        terms.append((s, kind, a))
        return kind is not None

    if not walk(total, sign) or sum(kind == "matrix" for _, kind, _ in terms) != 1:
        return None
    count = shape[axis]
    (s, _, matrix), = [t for t in terms if t[1] == "matrix"]
    result = _product_sum(matrix, shape, axis, [], s, local, uses, builder) if matrix.id in local else None
    if result is None:
        result = builder.apply(SUM, [matrix], axis=axis, keepdims=False)
        result = result if s == 1 else -result
    extra = None
    for s, kind, a in terms:
        if kind == "matrix":
            continue
        if kind == "along":
            term = np.sum(_as_vector(a, count, local))
        else:
            term = wrap(a) if kind == "scalar" else _as_vector(a, shape[1 - axis], local)
            term = term * count
        term = term if s == 1 else -term
        extra = term if extra is None else extra + term
    return result + extra


def _assemble(matrix, along, leaves, axis, sign, local, builder):
    """vector.dot(matrix) (or matrix.dot(vector), or np.sum(matrix, axis)) times what varies
    across the axis: the numbers in the order a hand-writer puts them."""
    n = matrix.aval.shape[axis]
    vector = None
    for a in along + [x for role, x in leaves if role == ("along", MUL)]:
        a = _as_vector(a, n, local)
        vector = a if vector is None else vector * a
    for q in (x for role, x in leaves if role == ("along", DIV)):
        vector = (wrap(1.0) if vector is None else vector) / _as_vector(q, n, local)
    if vector is None:
        total = builder.apply(SUM, [matrix], axis=axis, keepdims=False)
    else:
        total = builder.apply(DOT, [vector, matrix] if axis == 0 else [matrix, vector])
    scale = sign
    for role, x in leaves:
        if role == ("scalar", MUL) and isinstance(x, Const) and type(x.value) in (int, float):
            scale *= x.value
    if scale == -1:
        total = -total
    elif scale != 1:
        total = builder.apply(MUL, [Const(scale), total])
    m = matrix.aval.shape[1 - axis]
    for role, x in leaves:
        if role == ("across", MUL) or (role == ("scalar", MUL) and not isinstance(x, Const)):
            total = total * (_as_vector(x, m, local) if role[0] == "across" else wrap(x))
        elif role == ("across", DIV):
            total = total / _as_vector(x, m, local)
        elif role == ("scalar", DIV):
            total = total / wrap(x)
    return total


def _parts(atom, shape, axis, local, uses):
    """(sign, matrices, [((kind, MUL or DIV), leaf)]) of a product of shape (n, d) whose
    (n, d) parts nothing else reads: kind "along" varies only along the axis, "across"
    only across it, "scalar" not at all; a DIV leaf divides. None for anything else."""
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
                leaves.extend(((("along" if i == axis else "across"), MUL), v) for i, v in enumerate(made.ins))
                return True
        kind = _kind(a, shape, axis)
        if kind == "matrix":
            matrices.append(a)
        elif kind is not None:
            leaves.append(((kind, MUL), a))
        return kind is not None

    def divisor(q):
        nonlocal sign
        made = local.get(q.id) if isinstance(q, Var) else None
        if made is not None and made.prim is NEG and uses[q.id] == 1:
            sign = -sign
            q = made.ins[0]
        kind = _kind(q, shape, axis)
        if kind in (None, "matrix"):
            return False
        leaves.append(((kind, DIV), q))
        return True

    if not walk(atom, top=True):
        return None
    return sign, matrices, leaves


def _kind(a, shape, axis):
    """How a broadcast operand of a product of shape (n, d) varies, seen from a sum along axis."""
    s = _shape(a)
    if s is None or a.aval.dtype is None or a.aval.dtype.kind not in "fiub":
        return None
    if s == shape:
        return "matrix"  # a mask too: v.dot(mask) is a float product
    if a.aval.dtype.kind == "b":
        return None
    if s == ():
        return "scalar"
    if s == (shape[0], 1):
        return "along" if axis == 0 else "across"
    if s in (shape[1:], (1, shape[1])):
        return "along" if axis == 1 else "across"
    return None


def _as_vector(a, n, local):
    """A row or column of n numbers as a vector: v itself for v[:, None] or np.expand_dims(v, 0)."""
    if _shape(a) == (n,):
        return wrap(a)
    source = unit_axes_source(local.get(a.id) if isinstance(a, Var) else None)
    if source is not None and _shape(source) == (n,):
        return wrap(source)
    return np.reshape(wrap(a), (n,))


def _shape(a):
    s = a.aval.shape
    return s if isinstance(s, tuple) else None
