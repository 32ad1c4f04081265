"""Control flow: if/elif/else, conditional expressions, and/or/not, for, while, break, continue, early return."""
import math
import sys

import numpy as np
import pytest

import srcdiff
from srcdiff import grad, value_and_grad

from tests.numeric import assert_all_modes, assert_matches_differences, central_difference


# ---------------------------------------------------------------------------
# if / elif / else on values


def piecewise(x):
    if x > 1.0:
        y = x ** 3
    elif x > -1.0:
        y = 2.0 * x + np.sin(x)
    else:
        y = -x * x
    return y


@pytest.mark.parametrize("x, expected", [
    (2.0, 3 * 2.0 ** 2),                # first branch
    (0.5, 2.0 + math.cos(0.5)),         # elif
    (-3.0, 6.0),                        # else: d(-x^2) = -2x
])
def test_if_elif_else_each_branch(x, expected):
    assert grad(piecewise)(x) == pytest.approx(expected, rel=1e-14)
    value, g = value_and_grad(piecewise)(x)
    assert value == pytest.approx(piecewise(x), rel=1e-14)
    assert g == pytest.approx(expected, rel=1e-14)


def branch_on_array(x):
    if np.sum(x) > 0:
        out = np.sum(x ** 2)
    else:
        out = np.sum(np.sin(x))
    return out


def test_if_with_array_condition_both_sides():
    pos = np.array([1.0, -0.5, 2.0])
    np.testing.assert_allclose(grad(branch_on_array)(pos), 2 * pos, rtol=1e-14)
    neg = np.array([-1.0, 0.5, -2.0])
    np.testing.assert_allclose(grad(branch_on_array)(neg), np.cos(neg), rtol=1e-14)


def one_branch_assigns(x, y):
    z = x * y
    if x > y:
        z = z * x
    return z


def test_variable_assigned_in_one_branch_only():
    # taken: z = x^2 y
    assert grad(one_branch_assigns, argnums=(0, 1))(3.0, 2.0) == pytest.approx((12.0, 9.0))
    # not taken: z = x y
    assert grad(one_branch_assigns, argnums=(0, 1))(1.0, 2.0) == pytest.approx((2.0, 1.0))


def nested_ifs(x, y):
    if x > 0.0:
        if y > 0.0:
            r = x * y
        else:
            r = x - y * y
    else:
        if y > x:
            r = np.exp(x) * y
        else:
            r = y ** 3
    return r


@pytest.mark.parametrize("x, y, expected", [
    (1.5, 2.0, (2.0, 1.5)),
    (1.5, -2.0, (1.0, 4.0)),
    (-1.0, 0.5, (math.exp(-1.0) * 0.5, math.exp(-1.0))),
    (-1.0, -2.0, (0.0, 12.0)),
])
def test_nested_ifs(x, y, expected):
    got = grad(nested_ifs, argnums=(0, 1))(x, y)
    assert got == pytest.approx(expected, rel=1e-14)


# branches on static values: a Python int argument and a module constant


def static_mode(x, mode):
    if mode == 0:
        return np.sum(x ** 2)
    elif mode == 1:
        return np.sum(np.abs(x))
    else:
        return np.sum(np.exp(x)) * mode


@pytest.mark.parametrize("mode", [0, 1, 2, 3])
def test_branch_on_int_argument(mode):
    x = np.array([0.5, -1.0, 2.0])
    expected = {0: 2 * x, 1: np.sign(x), 2: 2 * np.exp(x), 3: 3 * np.exp(x)}[mode]
    np.testing.assert_allclose(grad(static_mode)(x, mode), expected, rtol=1e-14)


PENALTY = "l2"


def penalised(w):
    base = np.sum(np.sin(w))
    if PENALTY == "l2":
        base = base + np.sum(w * w)
    elif PENALTY == "l1":
        base = base + np.sum(np.abs(w))
    return base


def test_branch_on_module_constant_and_its_rebinding(monkeypatch):
    w = np.array([0.3, -0.7, 1.1])
    np.testing.assert_allclose(grad(penalised)(w), np.cos(w) + 2 * w, rtol=1e-14)
    monkeypatch.setattr(sys.modules[__name__], "PENALTY", "l1")
    np.testing.assert_allclose(grad(penalised)(w), np.cos(w) + np.sign(w), rtol=1e-14)
    monkeypatch.setattr(sys.modules[__name__], "PENALTY", "none")
    np.testing.assert_allclose(grad(penalised)(w), np.cos(w), rtol=1e-14)


# conditional expressions and boolean operators


def cond_expr(x):
    y = x * x if x > 0.0 else -3.0 * x
    return y * 2.0


def test_conditional_expression_both_sides():
    assert grad(cond_expr)(1.5) == pytest.approx(6.0)
    assert grad(cond_expr)(-2.0) == pytest.approx(-6.0)


def cond_expr_arrays(x, w):
    s = np.sum(x * w)
    return np.sum(np.tanh(x) * w) if s > 0 else np.sum(x * x) * np.sum(w)


def test_conditional_expression_on_arrays():
    x = np.array([0.5, 1.0, -0.2])
    for w in (np.array([1.0, 2.0, 0.5]), np.array([-1.0, -2.0, 0.5])):
        assert_matches_differences(grad(cond_expr_arrays, argnums=(0, 1)), cond_expr_arrays, (x, w), argnums=(0, 1))


def and_or_not(x, a):
    if np.sum(x) > 0 and np.max(x) < a:
        r = np.sum(x ** 2)
    elif not (np.min(x) > -1.0) or a > 10.0:
        r = np.sum(x ** 3)
    else:
        r = np.sum(np.sin(x))
    return r


@pytest.mark.parametrize("x, a, which", [
    ([0.5, 1.0, -0.2], 2.0, "sq"),      # and: both true
    ([0.5, 3.0, -0.2], 2.0, "sin"),     # and: second false; not(min > -1) false, a > 10 false
    ([-0.5, -3.0, 0.2], 2.0, "cube"),   # and: first false; not(...) true
    ([0.5, 3.0, -0.2], 20.0, "sq"),     # and true again (max < 20)
    ([-0.5, -0.3, 0.2], 20.0, "cube"),  # not(...) false, a > 10 true
])
def test_and_or_not_in_conditions(x, a, which):
    x = np.array(x)
    expected = {"sq": 2 * x, "cube": 3 * x ** 2, "sin": np.cos(x)}[which]
    np.testing.assert_allclose(grad(and_or_not)(x, a), expected, rtol=1e-14)


# ---------------------------------------------------------------------------
# for loops over range


def range3(x, start, stop, step):
    s = 0.5 * x[0]
    for i in range(start, stop, step):
        s = s + x[i] * (i + 1.0)
    return s


@pytest.mark.parametrize("start, stop, step", [
    (0, 8, 1), (0, 8, 3), (1, 7, 2), (7, -1, -2), (6, 0, -1), (5, 2, 1), (2, 2, 1), (0, 5, -1), (3, 4, 5),
])
def test_range_start_stop_step_exact(start, stop, step):
    x = np.linspace(-1.0, 2.0, 8)
    expected = np.zeros(8)
    expected[0] = 0.5
    for i in range(start, stop, step):
        expected[i] += i + 1.0
    np.testing.assert_allclose(grad(range3)(x, start, stop, step), expected, rtol=0, atol=1e-15)


def range3_nonlinear(x, start, stop, step):
    s = x[0]
    for i in range(start, stop, step):
        s = s * np.sin(x[i]) + x[i] * i
    return s


@pytest.mark.parametrize("start, stop, step", [(0, 6, 1), (5, -1, -1), (5, 0, -2), (1, 6, 2), (4, 4, 1), (4, 1, 1)])
def test_range_order_matters_nonlinear(start, stop, step):
    x = np.array([0.3, -1.2, 0.8, 1.5, -0.4, 0.9])
    assert_matches_differences(grad(range3_nonlinear), range3_nonlinear, (x, start, stop, step), argnums=0)


def range_one_arg(x, n):
    s = 0.0
    for i in range(n):
        s = s + x[i] ** 2
    return s


def range_two_args(x, a, b):
    s = 0.0
    for i in range(a, b):
        s = s + np.cos(x[i])
    return s


def test_range_one_and_two_argument_forms():
    x = np.array([0.5, -1.0, 2.0, 0.25])
    for n in range(5):
        expected = np.where(np.arange(4) < n, 2 * x, 0.0)
        np.testing.assert_allclose(grad(range_one_arg)(x, n), expected, rtol=1e-14)
    np.testing.assert_allclose(grad(range_two_args)(x, 1, 3), [0.0, -math.sin(-1.0), -math.sin(2.0), 0.0], rtol=1e-14)


def test_zero_trip_loops_give_zero_gradients():
    x = np.array([0.5, -1.0, 2.0])
    g = grad(range_one_arg)(x, 0)
    assert isinstance(g, np.ndarray) and g.shape == (3,)
    np.testing.assert_array_equal(g, np.zeros(3))
    np.testing.assert_array_equal(grad(range_two_args)(x, 3, 1), np.zeros(3))
    value, g = value_and_grad(range_two_args)(x, 2, 2)
    assert value == 0.0
    np.testing.assert_array_equal(g, np.zeros(3))


def over_shape(X, w):
    s = 0.0
    for i in range(X.shape[0]):
        s = s + np.tanh(X[i] @ w) ** 2
    return s


@pytest.mark.parametrize("n", [1, 4, 7])
def test_range_of_runtime_shape(n):
    rng = np.random.default_rng(n)
    X, w = rng.standard_normal((n, 3)), rng.standard_normal(3)
    assert_matches_differences(grad(over_shape, argnums=(0, 1)), over_shape, (X, w), argnums=(0, 1))


def over_rows(X, w):
    total = 0.0
    for row in X:
        total = total + np.sum(row * w) ** 2
    return total


def test_iterate_over_rows_of_an_array():
    rng = np.random.default_rng(1)
    X, w = rng.standard_normal((5, 3)), rng.standard_normal(3)
    gX, gw = grad(over_rows, argnums=(0, 1))(X, w)
    np.testing.assert_allclose(gw, 2 * X.T @ (X @ w), rtol=1e-12)
    np.testing.assert_allclose(gX, 2 * np.outer(X @ w, w), rtol=1e-12)


def with_enumerate(x):
    s = 0.0
    for i, v in enumerate(x):
        s = s + i * v ** 2
    return s


def test_enumerate():
    x = np.array([1.0, -2.0, 0.5, 3.0])
    np.testing.assert_allclose(grad(with_enumerate)(x), 2 * np.arange(4) * x, rtol=1e-14)


def with_zip(x, y):
    s = 0.0
    for a, b in zip(x, y):
        s = s + a * b * b
    return s


def test_zip_of_two_arrays():
    x, y = np.array([1.0, -2.0, 0.5]), np.array([0.3, 4.0, -1.5])
    gx, gy = grad(with_zip, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx, y ** 2, rtol=1e-14)
    np.testing.assert_allclose(gy, 2 * x * y, rtol=1e-14)


def horner(c, x):
    p = 0.0
    for i in reversed(range(c.shape[0])):
        p = p * x + c[i]
    return p


def test_reversed_range_horner():
    c = np.array([1.0, -2.0, 0.5, 3.0, 0.25])
    x = 1.3
    gc, gx = grad(horner, argnums=(0, 1))(c, x)
    np.testing.assert_allclose(gc, x ** np.arange(5), rtol=1e-14)
    assert gx == pytest.approx(sum(i * c[i] * x ** (i - 1) for i in range(1, 5)), rel=1e-14)


def pairwise(x):
    s = 0.0
    for i in range(x.shape[0]):
        for j in range(i + 1, x.shape[0]):
            s = s + (x[i] - x[j]) ** 2
    return s


def test_nested_loops():
    x = np.array([0.5, -1.0, 2.0, 0.25, 1.5])
    n = x.shape[0]
    np.testing.assert_allclose(grad(pairwise)(x), 2 * (n * x - np.sum(x)), rtol=1e-12, atol=1e-12)


def nested_loop_carry(W, x):
    h = x
    for _ in range(3):
        acc = 0.0 * h
        for j in range(W.shape[0]):
            acc = acc + np.tanh(W[j] * h)
        h = acc / W.shape[0]
    return np.sum(h ** 2)


def test_nested_loops_carrying_arrays():
    rng = np.random.default_rng(2)
    W, x = rng.standard_normal((3, 4)), rng.standard_normal(4)
    assert_matches_differences(grad(nested_loop_carry, argnums=(0, 1)), nested_loop_carry, (W, x), argnums=(0, 1))


def loop_variable_after_loop(x):
    for i in range(3):
        pass
    return x[i] * x[0]


def test_loop_variable_keeps_its_last_value():
    x = np.array([2.0, 3.0, 5.0, 7.0])
    np.testing.assert_allclose(grad(loop_variable_after_loop)(x), [5.0, 0.0, 2.0, 0.0])


# ---------------------------------------------------------------------------
# while, break, continue, early return


def halve(x):
    while x > 1.0:
        x = x / 2.0
    return x * x


@pytest.mark.parametrize("x, halvings", [(5.0, 3), (0.5, 0), (1.0, 0), (1.5, 1)])
def test_while_with_value_dependent_trip_count(x, halvings):
    assert grad(halve)(x) == pytest.approx(2 * x / 4.0 ** halvings, rel=1e-14)


def newton_sqrt(a):
    x = a
    while abs(x * x - a) > 1e-10 * a:
        x = 0.5 * (x + a / x)
    return x


@pytest.mark.parametrize("a", [2.0, 9.0, 0.3])
def test_while_newton_iteration(a):
    g = grad(newton_sqrt)(a)
    assert g == pytest.approx(0.5 / math.sqrt(a), rel=1e-8)
    assert g == pytest.approx(central_difference(newton_sqrt, (a,), 0), rel=1e-5)


def shrink_array(x):
    while np.max(np.abs(x)) > 1.0:
        x = x * 0.5
    return np.sum(x ** 3)


def test_while_on_array_condition():
    x = np.array([3.0, -0.5, 1.0])   # two halvings: max 3 -> 1.5 -> 0.75
    np.testing.assert_allclose(grad(shrink_array)(x), 3 * x ** 2 / 64.0, rtol=1e-14)


def first_exceed(x, threshold):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + x[i] ** 2
        if s > threshold:
            break
    return s


@pytest.mark.parametrize("threshold, expected", [
    (5.0, [6.0, 0.0, 0.0, 0.0]),      # break on the first iteration
    (10.5, [6.0, 2.0, 4.0, 0.0]),     # break on the third
    (100.0, [6.0, 2.0, 4.0, 2.0]),    # never breaks
])
def test_break(threshold, expected):
    x = np.array([3.0, 1.0, 2.0, 1.0])
    np.testing.assert_allclose(grad(first_exceed)(x, threshold), expected, rtol=1e-14)


def while_true_break(x):
    y = x
    while True:
        y = y * 1.5
        if y > 10.0:
            break
    return y


def test_while_true_with_break():
    assert grad(while_true_break)(2.0) == pytest.approx(1.5 ** 4)   # 3, 4.5, 6.75, 10.125
    assert grad(while_true_break)(20.0) == pytest.approx(1.5)       # breaks on the first iteration


def skip_negative(x):
    s = 0.0
    for v in x:
        if v < 0:
            continue
        s = s + v ** 3
    return s


def test_continue():
    x = np.array([1.0, -2.0, 0.5, -0.1, 3.0])
    np.testing.assert_allclose(grad(skip_negative)(x), np.where(x >= 0, 3 * x ** 2, 0.0), rtol=1e-14)


def early_return_in_branch(x):
    if x < 0.0:
        return -(x ** 3)
    y = np.sin(x)
    return y * x


def test_early_return_inside_branch():
    assert grad(early_return_in_branch)(-2.0) == pytest.approx(-12.0)
    assert grad(early_return_in_branch)(0.7) == pytest.approx(math.cos(0.7) * 0.7 + math.sin(0.7), rel=1e-14)


def early_return_in_loop(x, t):
    for i in range(x.shape[0]):
        if x[i] > t:
            return x[i] ** 2 * (i + 1)
    return np.sum(x)


def test_early_return_inside_loop():
    x = np.array([0.5, 2.0, 3.0])
    np.testing.assert_allclose(grad(early_return_in_loop)(x, 1.0), [0.0, 8.0, 0.0])
    np.testing.assert_allclose(grad(early_return_in_loop)(x, 0.0), [1.0, 0.0, 0.0])
    np.testing.assert_allclose(grad(early_return_in_loop)(x, 10.0), [1.0, 1.0, 1.0])


def return_from_nested_loop(X):
    acc = 0.0
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            acc = acc + X[i, j] * X[i, j]
            if acc > 4.0:
                return acc * (i + 1.0)
    return -acc


def test_early_return_from_nested_loop():
    X = np.array([[1.0, 0.5], [1.0, 2.0], [3.0, 1.0]])
    # 1, 1.25, 2.25, 6.25 > 4 at (1, 1): returns 2 * (X00^2 + X01^2 + X10^2 + X11^2)
    np.testing.assert_allclose(grad(return_from_nested_loop)(X), [[4.0, 2.0], [4.0, 8.0], [0.0, 0.0]])
    small = 0.1 * X
    np.testing.assert_allclose(grad(return_from_nested_loop)(small), -2 * small)


# ---------------------------------------------------------------------------
# long loops: no recursion limit


def long_loop(a):
    x = 1.0
    s = 0.0
    for _ in range(100000):
        x = x - 0.01 * (x ** 3 - a)
        s = s + x ** 2
    return s


def test_100000_iterations_without_recursion_error():
    a = 2.0
    g = grad(long_loop)(a)
    expected = central_difference(long_loop, (a,), 0, eps=1e-5)
    assert g == pytest.approx(expected, rel=1e-4)


# ---------------------------------------------------------------------------
# loops save only what the backward sweep needs (structure kept minimal)


def linear_carry(w, x):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + w * x[i]
    return s


def test_linear_carry_is_not_saved_per_iteration():
    x = np.array([1.0, -2.0, 0.5, 4.0])
    g = grad(linear_carry, argnums=(0, 1))
    gw, gx = g(1.5, x)
    assert gw == pytest.approx(np.sum(x), rel=1e-14)
    np.testing.assert_allclose(gx, np.full(4, 1.5))
    text = srcdiff.source(g, 1.5, x)
    assert "append(s" not in text


def squares_carry(x):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + x[i] ** 2
    return s


def test_accumulator_not_saved_when_only_inputs_are_needed():
    x = np.array([1.0, -2.0, 0.5])
    g = grad(squares_carry)
    np.testing.assert_allclose(g(x), 2 * x)
    assert "append(s" not in srcdiff.source(g, x)


def last_iterations_values(x):
    for i in range(3):
        y = x * (i + 1.0)
        z = np.sin(y) + x
    return np.sum(y * z)


def training_loop_returning_its_last_loss(x):
    for epoch in range(4):
        loss = np.sum(np.tanh(x * epoch) ** 2)
        x = x - 0.1 * x
    return loss


@pytest.mark.parametrize("f", [last_iterations_values, training_loop_returning_its_last_loss])
def test_a_name_first_bound_in_a_loop_that_surely_runs_is_its_last_value_after_it(f):
    assert_all_modes(f, (np.array([0.3, -0.5]),))


def bound_in_a_loop_that_may_not_run(x, n):
    for i in range(int(np.sum(x) > 0) * n):
        y = x * i
    return np.sum(y)


def test_a_name_first_bound_in_a_loop_that_may_not_run_is_refused_after_it():
    with pytest.raises(srcdiff.SrcdiffError, match="'y' is assigned inside the loop at line"):
        srcdiff.grad(bound_in_a_loop_that_may_not_run)(np.ones(2), 3)
