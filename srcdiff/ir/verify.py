"""Invariants every pass must keep: single assignment, defined before use, block arity."""
from .core import Block, Const, Function, Var
from .regions import COND, FOR, WHILE, carried_count


class IRError(AssertionError):
    """A broken invariant: a bug in srcdiff, never in user code."""


def verify(fn: Function) -> Function:
    _verify_block(fn.body, set(), set())
    return fn


def _verify_block(block: Block, visible, defined):
    scope = set(visible)
    for p in block.params:
        _define(p, scope, defined)
    for eqn in block.eqns:
        for a in eqn.ins:
            _check_use(a, scope, eqn.prim.name)
        for sub in eqn.blocks:
            _verify_block(sub, scope, defined)
        _verify_region(eqn)
        arity = eqn.prim.arity(eqn)
        if arity is not None and arity != len(eqn.outs):
            raise IRError(f"{eqn.prim.name} yields {arity} values, binds {len(eqn.outs)}")
        for o in eqn.outs:
            _define(o, scope, defined)
    for r in block.results:
        _check_use(r, scope, "block result")


def _verify_region(eqn):
    """Block arities: what a region passes in and yields matches its operands and outs."""
    if eqn.prim is COND:
        for b in eqn.blocks:
            if b.params or len(b.results) != len(eqn.outs):
                raise IRError(f"cond branch yields {len(b.results)} values for {len(eqn.outs)} outs")
    elif eqn.prim in (FOR, WHILE):
        n = carried_count(eqn)
        body = eqn.blocks[-1]
        lead = 3 if eqn.prim is FOR else 0
        if len(eqn.ins) != lead + n or len(body.results) != n or len(body.params) != n + (eqn.prim is FOR):
            raise IRError(f"{eqn.prim.name}: {len(eqn.ins)} operands, {len(body.params)} body parameters, "
                          f"{len(body.results)} results for {n} carried values")
        if eqn.prim is WHILE and (len(eqn.blocks[0].params) != n or len(eqn.blocks[0].results) != 1):
            raise IRError("while: the condition takes the carried values and yields one predicate")
        inside = {p.id for p in body.params} | {o.id for e in body.eqns for o in e.outs}
        for v in eqn.params.get("saves", ()):
            if v.id not in inside:
                raise IRError(f"{eqn.prim.name} saves {v!r}, which its body does not define")


def _define(v, scope, defined):
    if not isinstance(v, Var):
        raise IRError(f"binding a non-variable {v!r}")
    if v.id in defined:
        raise IRError(f"{v!r} assigned twice")
    defined.add(v.id)
    scope.add(v.id)


def _check_use(a, scope, where):
    if isinstance(a, Const):
        return
    if not isinstance(a, Var):
        raise IRError(f"{where}: operand {a!r} is neither Var nor Const")
    if a.id not in scope:
        raise IRError(f"{where}: {a!r} used before it is defined")
