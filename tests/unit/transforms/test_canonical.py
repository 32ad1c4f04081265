"""One spelling for the analyses (srcdiff/transforms/canonical.py): r[:, None] of a
reduction r is the reduction with keepdims=True, so the passes after it see one form."""
import numpy as np

import srcdiff
from tests.numeric import central_difference
from tests.unit.irtools import eqns, ir_after, ops


def softmax_loss_keepdims(s, y):
    s = s - np.max(s, axis=1, keepdims=True)
    log_probs = s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))
    return -np.sum(log_probs[np.arange(s.shape[0]), y])


def softmax_loss_new_axis(s, y):
    m = np.max(s, axis=1)
    s = s - m[:, None]
    log_probs = s - np.log(np.sum(np.exp(s), axis=1))[:, None]
    return -np.sum(log_probs[np.arange(s.shape[0]), y])


def reductions(fn):
    """Each reduction of fn, in order: (operation, axis, keepdims)."""
    return [(e.prim.name, e.params["axis"], e.params["keepdims"]) for e in eqns(fn) if "keepdims" in e.params]


def test_a_new_axis_on_a_reduction_is_the_reduction_with_keepdims():
    s, y = np.random.default_rng(5).normal(size=(4, 3)), np.array([0, 2, 1, 1])
    for f in (softmax_loss_keepdims, softmax_loss_new_axis):
        np.testing.assert_allclose(srcdiff.grad(f)(s, y), central_difference(lambda v: f(v, y), (s,), 0),
                                   rtol=1e-6, atol=1e-8)
    keepdims, new_axis = (ir_after(f, (s, y), "canonical") for f in (softmax_loss_keepdims, softmax_loss_new_axis))
    assert ops(new_axis) == ops(keepdims) and reductions(new_axis) == reductions(keepdims)
    # and so the gradients are alike: the max held, no new axis made
    assert ops(ir_after(softmax_loss_new_axis, (s, y))) == ops(ir_after(softmax_loss_keepdims, (s, y)))
