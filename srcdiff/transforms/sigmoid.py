"""1 / (1 + exp(-z)) is the logistic function: one operation whose derivative is
y * (1 - y), from its output alone.

Differentiated as written, the reciprocal, the sum and the exponential each keep what
their derivative needs (three values saved per gate and iteration in an LSTM) and the
backward pass spends five operations where y * (1 - y) needs three.
"""
from ..ir import Const, Var
from ..prims.elementwise import ADD, BINARY, NEG, UNARY

DIV, EXP, SIGMOID = BINARY["div"], UNARY["exp"], UNARY["sigmoid"]


def fuse_sigmoids(fn):
    """Rewrite every 1 / (1 + exp(-z)) whose intermediates nothing else reads. In place."""
    uses = {}
    _count(fn.body, uses)
    _block(fn.body, uses)
    return fn


def _count(block, uses):
    for eqn in block.eqns:
        for a in eqn.ins:
            if isinstance(a, Var):
                uses[a.id] = uses.get(a.id, 0) + 1
        for b in eqn.blocks:
            _count(b, uses)
    for a in block.results:
        if isinstance(a, Var):
            uses[a.id] = uses.get(a.id, 0) + 2  # a result is read outside: never fused away


def _block(block, uses):
    made = {}
    for eqn in block.eqns:
        for b in eqn.blocks:
            _block(b, uses)
        for o in eqn.outs:
            made[o.id] = eqn
        if eqn.prim is DIV and _one(eqn.ins[0]):
            z = _logistic_argument(eqn.ins[1], made, uses)
            if z is not None:
                eqn.prim, eqn.ins = SIGMOID, [z]


def _one(a):
    return isinstance(a, Const) and type(a.value) in (int, float) and a.value == 1


def _logistic_argument(u, made, uses):
    """z when u is 1 + exp(-z) (either order) built for this use only, else None."""
    add = _only_use(u, made, uses)
    if add is None or add.prim is not ADD:
        return None
    one, e = add.ins if _one(add.ins[0]) else reversed(add.ins)
    if not _one(one):
        return None
    exp = _only_use(e, made, uses)
    if exp is None or exp.prim is not EXP:
        return None
    neg = _only_use(exp.ins[0], made, uses)
    return neg.ins[0] if neg is not None and neg.prim is NEG else None


def _only_use(a, made, uses):
    return made.get(a.id) if isinstance(a, Var) and uses.get(a.id) == 1 else None
