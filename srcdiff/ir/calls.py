"""Calls to other IR functions, for recursion: a function that calls itself with
arguments of the same kind cannot be inlined, so it is lowered once and called.

    outs = call args...; function=<target>

The target is filled in after the call is made (the function is being lowered when
its own recursive call is met). Reverse mode gives each target a forward version that
also returns a tape of what the backward sweep needs, and a backward version taking
that tape and the outputs' adjoints."""


class CallTarget:
    def __init__(self, name):
        self.name = name
        self.function = None  # an ir.Function, once lowered

    def __repr__(self):
        return self.name


class Call:
    name = "call"
    differentiable = True
    impl = None
    shape = None
    jvp = vjp = None
    hoistable = False
    fresh = False

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
