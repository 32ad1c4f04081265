"""Invariants every pass must keep: single assignment, defined before use, block arity."""
from .core import Block, Const, Function, Var


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
        arity = eqn.prim.arity(eqn)
        if arity is not None and arity != len(eqn.outs):
            raise IRError(f"{eqn.prim.name} yields {arity} values, binds {len(eqn.outs)}")
        for o in eqn.outs:
            _define(o, scope, defined)
    for r in block.results:
        _check_use(r, scope, "block result")


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
