"""Structured control flow: equations that own blocks.

    outs = cond pred { then block } { else block }
        Both blocks take no parameters and yield one value per out. With
        params["residuals"] = n, the last n outs carry values from inside a
        branch to the backward sweep; the branch that did not make one yields None.

    outs = for start stop step init... { body(i, carried...) -> carried... }
        for i in range(start, stop, step) (reversed(range(...)) with
        params["reverse"]). outs are the final carried values, then one list per
        variable in params["saves"]: that variable's value at every iteration,
        recorded for the backward sweep.

    outs = while init... { cond(carried...) -> pred } { body(carried...) -> carried... }
        The same outs as for, with saves.
"""
from collections import Counter

from .core import Var
from .op import Op


class Region(Op):
    """A control-flow construct in the IR. Transforms and codegen treat each one
    explicitly; it has no spelling or rules of its own. Its outs may be what was passed
    in (view is False: codegen follows that through the blocks)."""

    def __init__(self, name):
        self.name = name

    def arity(self, eqn):
        return len(eqn.outs)

    def __repr__(self):
        return f"<region {self.name}>"


COND = Region("cond")
FOR = Region("for")
WHILE = Region("while")


def carried_count(eqn):
    """How many outs of a loop are carried values (the rest are saved lists)."""
    return len(eqn.outs) - len(eqn.params.get("saves", ()))


def loop_parts(eqn):
    """(body, carried body parameters, initial values) of a for or while equation."""
    body = eqn.blocks[-1]
    if eqn.prim is FOR:
        return body, body.params[1:], eqn.ins[3:]
    return body, body.params, eqn.ins


def static_trips(eqn):
    """How many times a for equation runs, when its range is known when compiling; else None."""
    if eqn.prim is not FOR:
        return None
    return range_length([a.aval.value if a.aval.has_value else None for a in eqn.ins[:3]])


def range_length(bounds):
    """len(range(start, stop, step)) for bounds known as ints; else None."""
    if all(type(b) is int for b in bounds) and bounds[2] != 0:
        return len(range(*bounds))
    return None


def has_effect(eqn, fact="effect"):
    """Whether the equation, or one inside its blocks, declares the fact (ir/op.py: effect, kept
    though unread; observable, seen outside): a loop or an if holding a print is kept."""
    return getattr(eqn.prim, fact) or any(has_effect(e, fact) for b in eqn.blocks for e in b.eqns)


def read_counts(block):
    """How often each variable is read in block, nested blocks and recorded values included."""
    count = Counter()

    def walk(b):
        for e in b.eqns:
            for a in e.ins:
                if type(a) is Var:
                    count[a.id] += 1
            for v in e.params.get("saves", ()):
                count[v.id] += 1
            for sub in e.blocks:
                walk(sub)
        for r in b.results:
            if type(r) is Var:
                count[r.id] += 1

    walk(block)
    return count


def substitute(block, mapping):
    """Read mapping[v.id] wherever block reads v (operands, recorded values, results, nested
    blocks too). In place."""
    if not mapping:
        return
    get = lambda a: mapping.get(a.id, a) if isinstance(a, Var) else a  # noqa: E731
    for e in block.eqns:
        e.ins = [get(a) for a in e.ins]
        if "saves" in e.params:
            e.params = dict(e.params, saves=[get(v) for v in e.params["saves"]])
        for sub in e.blocks:
            substitute(sub, mapping)
    block.results[:] = [get(r) for r in block.results]
