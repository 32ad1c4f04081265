"""A derivative's results are arrays of their own: never the caller's arrays or views of them
(np.sum(W * X.T)'s gradient wrt W is X.T, whose memory is the caller's X), so a caller who
changes a result in place (g *= 0.5) changes nothing of its own. A result that may be a
view of an argument or of an array from outside (a global) is copied, once, at the end; the
view facts of the operations that made it (ir/op.py) say which may be."""
from ..ir import COND, FOR, WHILE, Const, Eqn, Var
from ..ir.regions import carried_count, loop_parts
from ..prims.core import shares_memory
from ..prims.shaping import COPY


def own_results(fn):
    """In place."""
    made = {}
    _index(fn.body, made)
    params = {p.id for p in fn.params}
    copies = {}  # id of a result's atom -> its copy (a result returned twice is copied once)
    for j, r in enumerate(fn.body.results):
        if r.aval.kind != "array" or not _may_alias(r, made, params, set()):
            continue
        if id(r) not in copies:
            out = Var(r.aval, r.hint if isinstance(r, Var) else r.name or "")
            if isinstance(r, Var):
                out.adjoint_of, out.tangent_of = r.adjoint_of, r.tangent_of
            fn.body.eqns.append(Eqn(COPY, [r], [out], {}, None))
            copies[id(r)] = out
        fn.body.results[j] = copies[id(r)]
    return fn


def _index(block, made):
    for eqn in block.eqns:
        for o in eqn.outs:
            made[o.id] = eqn
        for b in eqn.blocks:
            _index(b, made)


def _may_alias(atom, made, params, seen):
    """Whether atom's value may be (a view of) an argument's or an outside array's memory."""
    if isinstance(atom, Const):
        return not atom.known and atom.aval.kind == "array"
    if not isinstance(atom, Var) or atom.id in seen:
        return False
    seen.add(atom.id)
    if atom.id in params:
        return True
    eqn = made.get(atom.id)
    if eqn is None:
        return True  # a block's parameter: a loop's carried value, which may be what it started as
    if eqn.prim is COND:
        j = eqn.outs.index(atom)
        return any(_may_alias(b.results[j], made, params, seen) for b in eqn.blocks)
    if eqn.prim in (FOR, WHILE):
        j = eqn.outs.index(atom)
        if j >= carried_count(eqn):
            return False  # a record: a list
        body, _, inits = loop_parts(eqn)
        return _may_alias(inits[j], made, params, seen) or _may_alias(body.results[j], made, params, seen)
    if eqn.blocks or not eqn.ins:
        return False
    return shares_memory(eqn, True) and _may_alias(eqn.ins[0], made, params, seen)
