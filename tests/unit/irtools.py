"""The IR a compile makes, for the tests of an optimisation: they check the operations the
pass leaves, which hold however codegen names and spells them.

    fn = ir_after(f, (S, W), "hold-shifts")    # f's IR after the shift pass
    assert "eq" not in ops(ir_after(f, (S, W)))   # its gradient, after the last pass
"""
from collections import Counter

from srcdiff.compiler import grad_ir, lower_ir
from srcdiff.ir import Var, aval_of_argument, unknown_aval
from srcdiff.source import own_signature
from srcdiff.transforms import passes

LAST = passes.STAGES[-1]


def ir_after(fun, args, stage=LAST, argnums=0):
    """The IR after the named stage (passes.STAGES) of grad(fun, argnums) at the kinds of args
    (at any shapes for args=()): fun's own IR for a stage before "differentiate", the
    gradient's from it on. The passes after the stage are left out, as `srcdiff --disable`
    leaves them, so what comes back is what `srcdiff --ir-after STAGE` prints."""
    later = frozenset(passes.STAGES[passes.STAGES.index(stage) + 1:]) & set(passes.PASSES)
    optimize = passes.Optimization(disabled=later)
    avals = [aval_of_argument(a) for a in args] or [unknown_aval() for _ in own_signature(fun).parameters]
    if passes.STAGES.index(stage) < passes.STAGES.index("differentiate"):
        return lower_ir(fun, avals, None, optimize).fn
    low, _, _ = grad_ir(fun, avals, argnums if isinstance(argnums, tuple) else (argnums,), optimize=optimize)
    return low.fn


def eqns(where):
    """Every equation of a Function, a Block or a region's Eqn (its blocks'), those inside
    nested regions too, in order."""
    def walk(block):
        for eqn in block.eqns:
            yield eqn
            for sub in eqn.blocks:
                yield from walk(sub)

    blocks = [where.body] if hasattr(where, "body") else getattr(where, "blocks", [where])
    return [eqn for block in blocks for eqn in walk(block)]


def ops(where):
    """How often each operation (a primitive or a region, by name) occurs in where (as eqns
    takes it), inside its regions too."""
    return Counter(eqn.prim.name for eqn in eqns(where))


def find(where, name):
    """The equations applying the operation called name, inside regions too."""
    return [eqn for eqn in eqns(where) if eqn.prim.name == name]


def loop(fn, reverse=False):
    """fn's only for loop that runs forwards (or, with reverse, backwards)."""
    (found,) = [eqn for eqn in find(fn, "for") if bool(eqn.params.get("reverse")) == reverse]
    return found


def operands(where, name):
    """For each equation applying name, what its operands are: the operation that made each,
    or, for a value from outside where (a parameter), its name, or "const"."""
    made = {out.id: eqn.prim.name for eqn in eqns(where) for out in eqn.outs}
    return [[made.get(a.id, a.hint) if isinstance(a, Var) else "const" for a in eqn.ins]
            for eqn in find(where, name)]
