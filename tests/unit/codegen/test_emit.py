"""The code generator on IR built by hand: each equation becomes the statement its op
spells, variables keep the names their hints give, a result read once is written inline,
and the module runs on its own with NumPy."""
import numpy as np

import srcdiff  # noqa: F401  (declares the primitives)
from srcdiff.codegen.emit import emit_module
from srcdiff.ir import Aval, Block, Const, Eqn, Function, verify
from srcdiff.ir.core import Var
from srcdiff.prims.elementwise import BINARY, UNARY
from tests.numeric import central_difference

MUL, COS, SIN = BINARY["mul"], UNARY["cos"], UNARY["sin"]
VECTOR = Aval("array", (3,), np.dtype(np.float64))


def _by_hand():
    """dsin(x * x)/dx = cos(x * x) * 2x, as reverse mode would write it."""
    x = Var(VECTOR, "x")
    square, cos, twice, dx = (Var(VECTOR, h) for h in ("square", "", "", "dx"))
    eqns = [Eqn(MUL, [x, x], [square]), Eqn(COS, [square], [cos]), Eqn(MUL, [Const(2.0), x], [twice]),
            Eqn(MUL, [cos, twice], [dx])]
    return verify(Function("grad_f", Block([x], eqns, [dx]), "by_hand.py", 1, None))


def test_each_equation_is_the_statement_its_op_spells_with_the_names_its_hints_give():
    source = emit_module(_by_hand()).source
    assert "def grad_f(x):" in source
    assert "square = x * x" in source
    assert "dx = np.cos(square) * (2.0 * x)" in source  # read once: written inline
    assert source.startswith("import numpy as np")


def test_the_emitted_module_computes_the_derivative():
    grad_f = emit_module(_by_hand()).load()
    x = np.array([0.3, -1.2, 2.0])
    f = lambda v: np.sum(np.sin(v * v))  # noqa: E731
    np.testing.assert_allclose(grad_f(x), central_difference(f, (x,), 0), rtol=1e-7)
    np.testing.assert_allclose(grad_f(x), np.cos(x * x) * 2 * x, rtol=1e-15)
