"""The named pass pipeline (srcdiff/transforms/passes.py) as the unit tests see it: the IR
tests/unit/irtools.py gives after a stage is the IR a full compile records there, which
`srcdiff --ir-after STAGE` prints."""
import numpy as np

import srcdiff
import srcdiff.compiler as compiler
from srcdiff.ir import print_function
from srcdiff.transforms import passes
from tests.unit.irtools import ir_after


def softmax_rows(s, w):
    e = np.exp(s - np.max(s, axis=1, keepdims=True))
    total = 0.0
    for i in range(s.shape[0]):
        total = total + np.sum(e[i] / np.sum(e[i]) * w[i])
    return total


def test_the_ir_after_each_stage_is_what_a_compile_records_there():
    s, w = np.linspace(-1.0, 1.0, 6).reshape(2, 3), np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]])
    srcdiff.cache.clear()  # a cached gradient would record nothing
    with passes.recording() as log:
        g = srcdiff.grad(softmax_rows, argnums=(0, 1))(s, w)
    assert [stage for stage, _, _ in log] == list(passes.STAGES)
    for stage, _, text in log:
        assert print_function(ir_after(softmax_rows, (s, w), stage, argnums=(0, 1))) == text, stage
    p = np.exp(s) / np.sum(np.exp(s), axis=1, keepdims=True)
    np.testing.assert_allclose(g[0], p * (w - np.sum(p * w, axis=1, keepdims=True)), rtol=1e-12)
    np.testing.assert_allclose(g[1], p, rtol=1e-12)


def test_every_pass_is_verified(monkeypatch):
    """compile_grad runs the verifier after lowering, after each named pass (transforms/passes.py),
    and after reverse mode."""
    seen = []
    for module in (compiler, passes):
        real = module.verify
        monkeypatch.setattr(module, "verify", lambda fn, real=real: seen.append(fn.name) or real(fn))
    srcdiff.cache.clear()
    srcdiff.grad(softmax_rows)(np.ones((2, 3)), np.ones((2, 3)))
    primal, derivative = len(passes.PRIMAL), len(passes.DERIVATIVE)
    assert seen == ["softmax_rows"] * (1 + primal) + ["grad_softmax_rows"] * (2 + derivative)
