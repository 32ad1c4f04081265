"""The IR's invariants, checked by the verifier, and its text form."""
import numpy as np
import pytest

from srcdiff.ir import Aval, Block, Const, Eqn, Function, IRError, Var, print_function, verify
from srcdiff.prims.elementwise import BINARY, UNARY

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
