"""1 / (1 + exp(-z)) is the logistic function: one operation whose derivative is
y * (1 - y), from its output alone. So are the other ways people write it:
1 / (exp(-z) + 1), np.reciprocal(1 + exp(-z)), exp(z) / (1 + exp(z)) (with exp(z) made
once or twice), and math.exp for np.exp. The fused operation computes 1 / (1 + exp(-z)):
where exp(z) / (1 + exp(z)) overflows to nan (z > 709), it gives the limit, 1.

Differentiated as written, the reciprocal, the sum and the exponential each keep what
their derivative needs (three values saved per gate and iteration in an LSTM) and the
backward pass spends five operations where y * (1 - y) needs three.
"""
from ..ir import Const, Var
from ..prims.elementwise import ADD, BINARY, NEG, UNARY

DIV, EXP, SIGMOID, RECIPROCAL = BINARY["div"], UNARY["exp"], UNARY["sigmoid"], UNARY["reciprocal"]


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
        z = None
        if eqn.prim is DIV and _one(eqn.ins[0]) or eqn.prim is RECIPROCAL:
            z = _logistic_argument(eqn.ins[-1], made, uses)  # 1 / (1 + exp(-z))
        elif eqn.prim is DIV:
            z = _odds_argument(eqn.ins[0], eqn.ins[1], made, uses)  # exp(z) / (1 + exp(z))
        if z is not None:
            eqn.prim, eqn.ins, eqn.params = SIGMOID, [z], {}


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


def _odds_argument(e, u, made, uses):
    """z when e is exp(z) and u is 1 + exp(z) (the same exp, or another of the same z),
    each built for this quotient only, else None."""
    add = _only_use(u, made, uses)
    if add is None or add.prim is not ADD:
        return None
    one, e2 = add.ins if _one(add.ins[0]) else reversed(add.ins)
    if not _one(one) or not isinstance(e, Var):
        return None
    if e2 is e:  # e = np.exp(z); e / (1 + e): e read here twice and nowhere else
        exp = made.get(e.id) if uses.get(e.id) == 2 else None
        return exp.ins[0] if exp is not None and exp.prim is EXP else None
    exp, exp2 = _only_use(e, made, uses), _only_use(e2, made, uses)
    if exp is None or exp2 is None or exp.prim is not EXP or exp2.prim is not EXP or exp.ins[0] != exp2.ins[0]:
        return None
    return exp.ins[0]


def _only_use(a, made, uses):
    return made.get(a.id) if isinstance(a, Var) and uses.get(a.id) == 1 else None
