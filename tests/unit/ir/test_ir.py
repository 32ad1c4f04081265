"""The IR's invariants, its text form, and the passes that keep them."""
import numpy as np
import pytest

import srcdiff
from srcdiff.ir import Aval, Block, Const, Eqn, Function, IRError, Var, print_function, verify
from srcdiff.prims.elementwise import ADD, BINARY, UNARY
from srcdiff.transforms import simplify

F64 = Aval("array", (), np.dtype(np.float64))
MUL, SIN = BINARY["mul"], UNARY["sin"]


def fn_of(params, eqns, results):
    return Function("f", Block(params, eqns, results))


def test_verifier_accepts_well_formed_ir():
    x = Var(F64, "x")
    y = Var(F64, "y")
    verify(fn_of([x], [Eqn(SIN, [x], [y])], [y]))


def test_verifier_rejects_double_assignment():
    x, y = Var(F64, "x"), Var(F64, "y")
    with pytest.raises(IRError, match="assigned twice"):
        verify(fn_of([x], [Eqn(SIN, [x], [y]), Eqn(SIN, [x], [y])], [y]))


def test_verifier_rejects_use_before_definition():
    x, y, z = Var(F64, "x"), Var(F64, "y"), Var(F64, "z")
    with pytest.raises(IRError, match="used before"):
        verify(fn_of([x], [Eqn(SIN, [z], [y]), Eqn(SIN, [x], [z])], [y]))


def test_verifier_rejects_wrong_arity():
    x, y, z = Var(F64, "x"), Var(F64, "y"), Var(F64, "z")
    with pytest.raises(IRError, match="yields 1"):
        verify(fn_of([x], [Eqn(SIN, [x], [y, z])], [y]))


def test_verifier_scopes_blocks():
    x, inner, y = Var(F64, "x"), Var(F64, "inner"), Var(F64, "y")
    region = Block([], [Eqn(SIN, [x], [inner])], [inner])
    # a value bound inside a region is not visible after it
    with pytest.raises(IRError, match="used before"):
        verify(fn_of([x], [Eqn(SIN, [x], [y], blocks=(region,)), Eqn(SIN, [inner], [Var(F64)])], [y]))


def test_printer_text_form():
    x = Var(F64, "x")
    s = Var(F64)
    out = Var(F64, "out")
    text = print_function(fn_of([x], [Eqn(SIN, [x], [s]), Eqn(MUL, [s, Const(2.0)], [out])], [out]))
    assert text == "def f(x:f64[]):\n  t:f64[] = sin x\n  out:f64[] = mul t 2.0\n  return out\n"


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


def relu_with_labels(w, X, y):
    scores = np.maximum(0, X * w)
    picked = scores[np.arange(X.shape[0]), y]
    return np.sum(picked)


def test_integer_inputs_emit_no_derivative_code():
    X = np.arange(6.0).reshape(3, 2) - 2
    y = np.array([0, 1, 1])
    src = srcdiff.source(srcdiff.grad(relu_with_labels), 1.5, X, y)
    assert "dy" not in src and "dX" not in src
    expected = np.sum(np.where(X * 1.5 > 0, X, 0)[np.arange(3), y])
    assert srcdiff.grad(relu_with_labels)(1.5, X, y) == expected


def test_every_pass_is_verified(monkeypatch):
    """compile_grad runs the verifier after lowering, after each named pass (transforms/passes.py),
    and after reverse mode."""
    import srcdiff.compiler as compiler
    from srcdiff.transforms import passes

    seen = []
    for module in (compiler, passes):
        real = module.verify
        monkeypatch.setattr(module, "verify", lambda fn, real=real: seen.append(fn.name) or real(fn))
    srcdiff.cache.clear()
    with passes.recording() as log:
        srcdiff.grad(relu_with_labels)(1.0, np.ones((2, 2)), np.array([0, 1]))
    assert [stage for stage, _, _ in log] == list(passes.STAGES)
    primal, derivative = len(passes.PRIMAL), len(passes.DERIVATIVE)
    assert seen == ["relu_with_labels"] * (1 + primal) + ["grad_relu_with_labels"] * (2 + derivative)
