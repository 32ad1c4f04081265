"""Products with the identity, which a Jacobian's seeding makes: its tangent is np.eye(n), one
row per direction, so the tangent of W @ x is x_dot @ W.T, the identity times a matrix. I A is
A, A I is A, and (c I) A is c A (from np.eye(n) * c, a scaled seed): the product is dropped,
whatever spelling made it (x_dot.dot(v) from a sum of x_dot * v, x_dot @ W, an einsum with the
identity among its operands), in any block."""
from ..ir import Const, Eqn, Var
from ..ir.regions import substitute
from ..prims.contractions import EINSUM
from ..prims.creation import EYE
from ..prims.elementwise import BINARY
from ..prims.linalg import DOT, MATMUL

MUL = BINARY["mul"]


def drop_identity_products(fn):
    """In place."""
    alias = {}
    _block(fn.body, {}, alias)
    substitute(fn.body, alias)
    return fn


def _block(block, scale, alias):
    """scale: the ids of the values that are c times an identity, to their c (a nested block
    sees its enclosing blocks')."""
    kept = []
    for eqn in block.eqns:
        for b in eqn.blocks:
            _block(b, dict(scale), alias)
        if eqn.held or eqn.blocks:
            kept.append(eqn)
            continue
        ins = [alias.get(a.id, a) if isinstance(a, Var) else a for a in eqn.ins]
        if eqn.prim is EYE and _square(ins):
            scale[eqn.outs[0].id] = (1.0, ins[0].value)
        elif eqn.prim is MUL:
            for a, c in ((ins[0], ins[1]), (ins[1], ins[0])):
                if isinstance(a, Var) and a.id in scale and _number(c) and eqn.outs[0].aval.same(a.aval):
                    scale[eqn.outs[0].id] = (scale[a.id][0] * float(c.value), scale[a.id][1])
        elif eqn.prim is EINSUM:
            eqn = _einsum_without_identity(eqn, ins, scale)
        elif eqn.prim in (DOT, MATMUL) and len(ins) == 2:
            other, c = _times_identity(ins, scale, eqn.outs[0])
            if other is not None:
                if c == 1.0:
                    alias[eqn.outs[0].id] = other
                    continue
                eqn = Eqn(MUL, [Const(c), other], eqn.outs, {}, eqn.loc)
        kept.append(eqn)
    block.eqns[:] = kept


def _einsum_without_identity(eqn, ins, scale):
    """np.einsum with an identity among its operands, as the einsum of the others, the
    identity's two letters made one (sum_j I_ij A_jk is A_ik), times its scale."""
    terms, output = eqn.params["subscripts"].split("->")
    terms = terms.split(",")
    for k, (a, term) in enumerate(zip(ins, terms)):
        if not (isinstance(a, Var) and a.id in scale and len(term) == 2 and term[0] != term[1]) or len(ins) < 2:
            continue
        if term[1] not in output:
            gone, kept = term[1], term[0]
        elif term[0] not in output:
            gone, kept = term[0], term[1]
        else:
            continue  # both in the output: the identity itself is placed there
        if not any(gone in t for j, t in enumerate(terms) if j != k):
            continue  # sum_j I_ij alone is ones along i: nothing to put the identity's letter on
        others = [t.replace(gone, kept) for j, t in enumerate(terms) if j != k]
        operands = [x for j, x in enumerate(ins) if j != k]
        c = scale[a.id][0]
        if c != 1.0:
            others, operands = others + [""], operands + [Const(c)]
        return Eqn(EINSUM, operands, eqn.outs, {"subscripts": ",".join(others) + "->" + output}, eqn.loc)
    return Eqn(eqn.prim, ins, eqn.outs, eqn.params, eqn.loc)


def _times_identity(ins, scale, out):
    """(A, c) where the product is (c I) A or A (c I), A keeping its shape and dtype; else (None, None)."""
    for i in (0, 1):
        eye, other = ins[i], ins[1 - i]
        if not (isinstance(eye, Var) and eye.id in scale):
            continue
        c, n = scale[eye.id]
        shape = other.aval.shape if other.aval.known_shape else None
        if shape and len(shape) <= 2 and shape[0 if i == 0 else -1] == n and out.aval.same(other.aval):
            return other, c
    return None, None


def _square(ins):
    return (len(ins) == 2 and all(isinstance(a, Const) and type(a.value) is int for a in ins)
            and ins[0].value == ins[1].value)


def _number(atom):
    return isinstance(atom, Const) and atom.aval.shape == () and type(atom.value) in (int, float)
