"""The course material's worked examples (shared/COURSE.md), exact."""
import math

import numpy as np
import pytest

from srcdiff import grad, value_and_grad


def squared_error(w, x, y):
    l1 = w * x
    l2 = l1 - y
    return l2 ** 2


def test_squared_error_adjoints():
    assert grad(squared_error, argnums=(0, 1, 2))(1.0, 2.0, 3.0) == (-4.0, -2.0, 2.0)


def survey(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def test_survey_function_gradient():
    value, (d1, d2) = value_and_grad(survey, argnums=(0, 1))(2.0, 5.0)
    assert value == pytest.approx(math.log(2) + 10 - math.sin(5))
    assert value == pytest.approx(11.652, abs=5e-4)
    assert d1 == 5.5
    assert d2 == 2 - math.cos(5)
    assert d2 == pytest.approx(1.716, abs=5e-4)


def small_check(x1, x2):
    return x1 * x2 + math.sin(x1)


def test_small_check():
    value, g = value_and_grad(small_check, argnums=(0, 1))(2.0, 3.0)
    assert value == pytest.approx(6.909, abs=5e-4)
    assert g == (3 + math.cos(2), 2.0)


def graph_e(a, b):
    c = a + b
    d = b + 1
    return c * d


def test_shared_node_sums_paths():
    assert grad(graph_e, argnums=(0, 1))(2.0, 1.0) == (2.0, 5.0)


def exp_twice(x):
    ex = np.exp(x)
    return ex * (ex + 1)


@pytest.mark.parametrize("x", [-1.5, 0.0, 0.3, 2.0])
def test_reused_exponential(x):
    ex = math.exp(x)
    assert grad(exp_twice)(x) == pytest.approx(ex * (2 * ex + 1), rel=1e-15)


def lab_network(x1, x2, W1, b1, w2, b2):
    """The lab's 2-3-1 ReLU network (weights 1, biases 0 at the test point)."""
    x = np.array([x1, x2])
    h = np.maximum(0, W1.dot(x) + b1)
    return w2.dot(h) + b2


def test_relu_derivative_at_zero_decides_the_lab_question():
    # Every hidden pre-activation is exactly 0 at (2, -2), so ReLU'(0) = 0 gives a zero gradient.
    W1, b1, w2, b2 = np.ones((3, 2)), np.zeros(3), np.ones(3), 0.0
    value, g = value_and_grad(lab_network, argnums=(0, 1))(2.0, -2.0, W1, b1, w2, b2)
    assert value == 0.0
    assert g == (0.0, 0.0)
    # Away from the kink the same network passes the gradient: 3 active units.
    assert grad(lab_network, argnums=(0, 1))(2.0, 1.0, W1, b1, w2, b2) == (3.0, 3.0)
