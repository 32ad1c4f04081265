"""Activity analysis (srcdiff/transforms/activity.py): what no differentiated input reaches
gets no derivative code."""
import numpy as np

import srcdiff


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
