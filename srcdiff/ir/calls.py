"""Calls to other IR functions, for recursion: a function that calls itself with
arguments of the same kind cannot be inlined, so it is lowered once and called.

    outs = call args...; function=<target>

The target is filled in after the call is made (the function is being lowered when
its own recursive call is met). Reverse mode gives each target a forward version that
also returns a tape of what the backward sweep needs, and a backward version taking
that tape and the outputs' adjoints; forward mode gives it a JVP version. A transform
works on a copy of the target's function (copy_function), so the function stays what
its other callers call."""
import itertools

from .core import Block, Eqn, Function, Var
from .op import Op

_serials = itertools.count(1)


class CallTarget:
    def __init__(self, name):
        self.name = name
        self.function = None  # an ir.Function, once lowered
        self.serial = next(_serials)

    @property
    def __name__(self):  # what the IR printer shows
        return self.name

    def __repr__(self):
        # two targets may share a name until the module is emitted (srcdiff/codegen/emit.py
        # makes them distinct): common-subexpression keys must still tell them apart
        return f"{self.name}#{self.serial}"


class Call(Op):
    name = "call"

    def arity(self, eqn):
        return len(eqn.outs)

    def emit(self, args, params):
        return f"{params['function'].name}({', '.join(args)})"

    def __repr__(self):
        return "<call>"


CALL = Call()


def targets(fn):
    """Every function reachable through calls from fn (not fn itself), each once."""
    seen, order = set(), []

    def walk(block):
        for eqn in block.eqns:
            if eqn.prim is CALL:
                t = eqn.params["function"]
                if id(t) not in seen:
                    seen.add(id(t))
                    order.append(t)
                    walk(t.function.body)
            for b in eqn.blocks:
                walk(b)

    walk(fn.body)
    return order


def copy_function(fn):
    """fn with fresh variables, equations and blocks: what a transform changes in place
    (regions gain outs, calls are redirected) is then the copy's alone."""
    new = {}

    def var(v):
        if v.id not in new:
            w = Var(v.aval, v.hint)
            new[v.id] = (v, w)
        return new[v.id][1]

    def atom(a):
        return var(a) if isinstance(a, Var) else a

    def param(value):
        if isinstance(value, Var):
            return var(value)
        if isinstance(value, list) and any(isinstance(x, Var) for x in value):
            return [atom(x) for x in value]
        return value

    def block(b):
        params = [var(p) for p in b.params]
        eqns = [Eqn(e.prim, [atom(a) for a in e.ins], [var(o) for o in e.outs],
                    {k: param(v) for k, v in e.params.items()}, e.loc, tuple(block(sub) for sub in e.blocks), e.held)
                for e in b.eqns]
        return Block(params, eqns, [atom(r) for r in b.results])

    body = block(fn.body)
    for old, w in new.values():
        for link in ("adjoint_of", "partial_of", "tangent_of"):
            linked = getattr(old, link)
            setattr(w, link, new[linked.id][1] if linked is not None and linked.id in new else linked)
    return Function(fn.name, body, fn.filename, fn.lineno, fn.doc)
