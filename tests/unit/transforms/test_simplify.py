"""The simplifier (srcdiff/transforms/simplify.py) on IR built by hand: dead code, common
subexpressions and identities go."""
from srcdiff.ir import Const, Eqn, Var, verify
from srcdiff.prims.elementwise import ADD
from srcdiff.transforms import simplify
from tests.unit.ir.test_ir import F64, MUL, SIN, fn_of


def test_simplify_removes_dead_code_common_subexpressions_and_identities():
    x = Var(F64, "x")
    a, b, c, d, unused = (Var(F64) for _ in range(5))
    eqns = [
        Eqn(SIN, [x], [a]),
        Eqn(SIN, [x], [b]),                 # same as a
        Eqn(MUL, [Const(1.0), b], [c]),     # 1.0 * b is b
        Eqn(ADD, [a, c], [d]),
        Eqn(MUL, [x, x], [unused]),         # dead
    ]
    out = verify(simplify(fn_of([x], eqns, [d])))
    assert [e.prim.name for e in out.body.eqns] == ["sin", "add"]
    assert out.body.eqns[1].ins == [a, a]
