"""Calls: user functions, nested defs, lambdas, closures, recursion, comprehensions, builtins min/max/abs."""
import math

import numpy as np
import pytest

import srcdiff
from srcdiff import grad, value_and_grad

from tests.numeric import assert_matches_differences, central_difference


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


# ---------------------------------------------------------------------------
# module-level helpers


def square_plus(a, b):
    return a * a + b


def uses_helper(x, y):
    return square_plus(x, y) * y


def test_call_to_module_level_function():
    # (x^2 + y) y
    assert grad(uses_helper, argnums=(0, 1))(1.5, 2.0) == pytest.approx((2 * 1.5 * 2.0, 1.5 ** 2 + 2 * 2.0), rel=1e-14)


def array_helper(W, x):
    return np.tanh(W @ x)


def uses_array_helper(W, x):
    h = array_helper(W, x)
    return np.sum(h ** 2)


def test_call_to_helper_on_arrays():
    rng = np.random.default_rng(0)
    W, x = rng.standard_normal((3, 4)), rng.standard_normal(4)
    gW, gx = grad(uses_array_helper, argnums=(0, 1))(W, x)
    h = np.tanh(W @ x)
    dpre = 2 * h * (1 - h ** 2)
    np.testing.assert_allclose(gW, np.outer(dpre, x), rtol=1e-12)
    np.testing.assert_allclose(gx, W.T @ dpre, rtol=1e-12)


def inner_helper(t):
    return np.exp(-t * t)


def outer_helper(t, c):
    return c * inner_helper(t) + t


def chain_of_helpers(x, c):
    return outer_helper(x, c) ** 2


def test_helper_calling_helper():
    x, c = 0.7, 1.3
    e = math.exp(-x * x)
    u = c * e + x
    gx, gc = grad(chain_of_helpers, argnums=(0, 1))(x, c)
    assert gx == pytest.approx(2 * u * (c * e * (-2 * x) + 1), rel=1e-14)
    assert gc == pytest.approx(2 * u * e, rel=1e-14)


def softplus_h(t):
    return np.log1p(np.exp(t))


def called_twice(x, y):
    return softplus_h(x * y) - softplus_h(x - y)


def test_helper_called_twice_with_different_arguments():
    x, y = 0.4, -1.1
    gx, gy = grad(called_twice, argnums=(0, 1))(x, y)
    assert gx == pytest.approx(sigmoid(x * y) * y - sigmoid(x - y), rel=1e-14)
    assert gy == pytest.approx(sigmoid(x * y) * x + sigmoid(x - y), rel=1e-14)


def scaled(t, scale=2.0, shift=0.0):
    return scale * (t - shift) ** 2


def uses_kwargs(x, y):
    return scaled(x) + scaled(x, shift=y) + scaled(y, 3.0) + scaled(shift=x, t=y, scale=0.5)


def test_keyword_and_default_arguments():
    x, y = 1.5, -0.5
    gx, gy = grad(uses_kwargs, argnums=(0, 1))(x, y)
    # 2x^2 + 2(x - y)^2 + 3y^2 + 0.5(y - x)^2
    assert gx == pytest.approx(4 * x + 4 * (x - y) - (y - x), rel=1e-14)
    assert gy == pytest.approx(-4 * (x - y) + 6 * y + (y - x), rel=1e-14)


def polar(r, theta):
    return r * np.cos(theta), r * np.sin(theta)


def uses_tuple_return(r, theta):
    a, b = polar(r, theta)
    pair = polar(theta, r)
    return a * a + 3.0 * b + pair[1]


def test_tuple_returns_unpacked_by_the_caller():
    r, th = 1.2, 0.4
    gr, gth = grad(uses_tuple_return, argnums=(0, 1))(r, th)
    # r^2 cos^2 th + 3 r sin th + th sin r
    assert gr == pytest.approx(2 * r * math.cos(th) ** 2 + 3 * math.sin(th) + th * math.cos(r), rel=1e-14)
    assert gth == pytest.approx(-2 * r * r * math.cos(th) * math.sin(th) + 3 * r * math.cos(th) + math.sin(r), rel=1e-14)


# ---------------------------------------------------------------------------
# nested defs and lambdas


def with_nested_def(x):
    def inner(t):
        return np.sin(t) * t

    return inner(x) + inner(2.0 * x)


def test_nested_def():
    x = 0.9
    d = lambda t: math.cos(t) * t + math.sin(t)
    assert grad(with_nested_def)(x) == pytest.approx(d(x) + 2 * d(2 * x), rel=1e-14)


def nested_def_closing_over_locals(x, w):
    b = w * 0.5

    def affine(t):
        return w * t + b

    return np.sum(affine(x) ** 2)


def test_nested_def_closing_over_local_variables():
    x, w = np.array([0.5, -1.0, 2.0]), 1.3
    gx, gw = grad(nested_def_closing_over_locals, argnums=(0, 1))(x, w)
    u = w * x + 0.5 * w
    np.testing.assert_allclose(gx, 2 * u * w, rtol=1e-14)
    assert gw == pytest.approx(np.sum(2 * u * (x + 0.5)), rel=1e-14)


def with_lambda(x):
    sq = lambda t: t * t
    return sq(x) + sq(np.sin(x))


def test_local_lambda():
    x = 0.8
    assert grad(with_lambda)(x) == pytest.approx(2 * x + 2 * math.sin(x) * math.cos(x), rel=1e-14)


def lambda_with_two_args(x, y):
    f = lambda a, b=2.0: a * b + np.exp(a)
    return f(x) + f(x, y) + f(b=x, a=y)


def test_local_lambda_with_defaults_and_keywords():
    x, y = 0.3, -0.6
    gx, gy = grad(lambda_with_two_args, argnums=(0, 1))(x, y)
    # 2x + e^x + xy + e^x + yx + e^y
    assert gx == pytest.approx(2 + 2 * math.exp(x) + 2 * y, rel=1e-14)
    assert gy == pytest.approx(2 * x + math.exp(y), rel=1e-14)


cube = lambda t: t ** 3


def uses_module_lambda(x):
    return cube(x) * 2.0


def test_module_level_lambda_called():
    assert grad(uses_module_lambda)(1.5) == pytest.approx(6 * 1.5 ** 2)


# ---------------------------------------------------------------------------
# closures over constants


def make_loss(scale):
    def loss(x):
        return scale * np.sum(x ** 2)

    return loss


def make_weighted(weights, power):
    def loss(x):
        return np.sum(weights * x ** power)

    return loss


def test_closure_factory():
    x = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(grad(make_loss(3.0))(x), 6 * x)
    np.testing.assert_allclose(grad(make_loss(0.5))(x), x)
    w = np.array([2.0, 1.0, -1.0])
    np.testing.assert_allclose(grad(make_weighted(w, 3))(x), 3 * w * x ** 2)
    np.testing.assert_allclose(grad(make_weighted(2 * w, 2))(x), 4 * w * x)


def make_model(W):
    def predict(x):
        return np.tanh(W @ x)

    def loss(x, y):
        return np.sum((predict(x) - y) ** 2)

    return loss


def test_closure_calling_a_sibling_closure():
    rng = np.random.default_rng(1)
    W, x, y = rng.standard_normal((2, 3)), rng.standard_normal(3), rng.standard_normal(2)
    loss = make_model(W)
    assert_matches_differences(grad(loss, argnums=(0, 1)), loss, (x, y), argnums=(0, 1))


# ---------------------------------------------------------------------------
# recursion


def p(x, n):
    return 1.0 if n == 0 else x * p(x, n - 1)


@pytest.mark.parametrize("n", [0, 1, 2, 5])
def test_recursion_with_data_dependent_depth(n):
    expected = n * 1.3 ** (n - 1) if n else 0.0
    assert grad(p)(1.3, n) == pytest.approx(expected, rel=1e-14)


def test_recursion_value_and_grad():
    value, g = value_and_grad(p)(1.3, 5)
    assert value == pytest.approx(1.3 ** 5, rel=1e-14)
    assert g == pytest.approx(5 * 1.3 ** 4, rel=1e-14)


def rsum_squares(x):
    if x.shape[0] == 0:
        return 0.0
    return x[0] ** 2 + rsum_squares(x[1:])


def test_recursion_on_shrinking_slices():
    x = np.array([1.0, -2.0, 0.5, 3.0])
    np.testing.assert_allclose(grad(rsum_squares)(x), 2 * x)


# ---------------------------------------------------------------------------
# generator expressions and comprehensions


def gen_sum(x, n):
    return sum(x[i] ** 2 for i in range(n))


def test_sum_over_generator_expression():
    x = np.array([1.0, -2.0, 0.5, 3.0, 0.25])
    np.testing.assert_allclose(grad(gen_sum)(x, 3), [2.0, -4.0, 1.0, 0.0, 0.0])
    np.testing.assert_allclose(grad(gen_sum)(x, 5), 2 * x)


def comp_array(x):
    v = np.array([x[i] * i for i in range(3)])
    return np.sum(v ** 2)


def test_list_comprehension_into_np_array():
    x = np.array([1.0, -2.0, 0.5, 3.0])
    np.testing.assert_allclose(grad(comp_array)(x), [0.0, -4.0, 4.0, 0.0])


def comp_stack(X, w):
    rows = np.stack([np.tanh(X[i] * w) for i in range(X.shape[0])])
    return np.sum(rows * X)


def test_list_comprehension_into_np_stack():
    rng = np.random.default_rng(2)
    X, w = rng.standard_normal((4, 3)), rng.standard_normal(3)
    assert_matches_differences(grad(comp_stack, argnums=(0, 1)), comp_stack, (X, w), argnums=(0, 1))


def comp_over_rows(X):
    return sum([np.sum(row) ** 2 for row in X])


def test_comprehension_over_rows():
    X = np.array([[1.0, 2.0], [-0.5, 0.25], [3.0, -1.0]])
    np.testing.assert_allclose(grad(comp_over_rows)(X), 2 * np.sum(X, axis=1, keepdims=True) * np.ones_like(X))


# ---------------------------------------------------------------------------
# builtins min / max / abs on scalars


def builtin_minmax(a, b):
    return max(a, b) * 2.0 + min(a, 0.0) * 3.0 + abs(a - b)


@pytest.mark.parametrize("a, b, expected", [
    (1.0, 2.0, (-1.0, 3.0)),    # max = b, min(a, 0) = 0, |a - b| = b - a
    (-1.0, -3.0, (6.0, -1.0)),  # max = a, min(a, 0) = a, |a - b| = a - b
    (0.5, -0.5, (3.0, -1.0)),   # max = a, min(a, 0) = 0, |a - b| = a - b
])
def test_builtin_min_max_abs(a, b, expected):
    assert grad(builtin_minmax, argnums=(0, 1))(a, b) == pytest.approx(expected, rel=1e-14)
    for i in (0, 1):
        assert central_difference(builtin_minmax, (a, b), i) == pytest.approx(expected[i], rel=1e-6)


def max_of_three(a, b, c):
    return max(a * a, b, c * 2.0)


def test_builtin_max_of_three():
    assert grad(max_of_three, argnums=(0, 1, 2))(3.0, 1.0, 2.0) == pytest.approx((6.0, 0.0, 0.0))
    assert grad(max_of_three, argnums=(0, 1, 2))(1.0, 5.0, 2.0) == pytest.approx((0.0, 1.0, 0.0))
    assert grad(max_of_three, argnums=(0, 1, 2))(1.0, 2.0, 4.0) == pytest.approx((0.0, 0.0, 2.0))


# ---------------------------------------------------------------------------
# a large helper is emitted as a function of its own (forward and backward), not inlined


def large_helper(x, w):
    x = x + 0.05 * np.tanh(x * w + -30.0 / 60)
    x = x + 0.05 * np.tanh(x * w + -29.0 / 60)
    x = x + 0.05 * np.tanh(x * w + -28.0 / 60)
    x = x + 0.05 * np.tanh(x * w + -27.0 / 60)
    x = x + 0.05 * np.tanh(x * w + -26.0 / 60)
    x = x + 0.05 * np.tanh(x * w + -25.0 / 60)
    x = x + 0.05 * np.tanh(x * w + -24.0 / 60)
    x = x + 0.05 * np.tanh(x * w + -23.0 / 60)
    x = x + 0.05 * np.tanh(x * w + -22.0 / 60)
    x = x + 0.05 * np.tanh(x * w + -21.0 / 60)
    x = x + 0.05 * np.tanh(x * w + -20.0 / 60)
    x = x + 0.05 * np.tanh(x * w + -19.0 / 60)
    x = x + 0.05 * np.tanh(x * w + -18.0 / 60)
    x = x + 0.05 * np.tanh(x * w + -17.0 / 60)
    x = x + 0.05 * np.tanh(x * w + -16.0 / 60)
    x = x + 0.05 * np.tanh(x * w + -15.0 / 60)
    x = x + 0.05 * np.tanh(x * w + -14.0 / 60)
    x = x + 0.05 * np.tanh(x * w + -13.0 / 60)
    x = x + 0.05 * np.tanh(x * w + -12.0 / 60)
    x = x + 0.05 * np.tanh(x * w + -11.0 / 60)
    x = x + 0.05 * np.tanh(x * w + -10.0 / 60)
    x = x + 0.05 * np.tanh(x * w + -9.0 / 60)
    x = x + 0.05 * np.tanh(x * w + -8.0 / 60)
    x = x + 0.05 * np.tanh(x * w + -7.0 / 60)
    x = x + 0.05 * np.tanh(x * w + -6.0 / 60)
    x = x + 0.05 * np.tanh(x * w + -5.0 / 60)
    x = x + 0.05 * np.tanh(x * w + -4.0 / 60)
    x = x + 0.05 * np.tanh(x * w + -3.0 / 60)
    x = x + 0.05 * np.tanh(x * w + -2.0 / 60)
    x = x + 0.05 * np.tanh(x * w + -1.0 / 60)
    x = x + 0.05 * np.tanh(x * w + 0.0 / 60)
    x = x + 0.05 * np.tanh(x * w + 1.0 / 60)
    x = x + 0.05 * np.tanh(x * w + 2.0 / 60)
    x = x + 0.05 * np.tanh(x * w + 3.0 / 60)
    x = x + 0.05 * np.tanh(x * w + 4.0 / 60)
    x = x + 0.05 * np.tanh(x * w + 5.0 / 60)
    x = x + 0.05 * np.tanh(x * w + 6.0 / 60)
    x = x + 0.05 * np.tanh(x * w + 7.0 / 60)
    x = x + 0.05 * np.tanh(x * w + 8.0 / 60)
    x = x + 0.05 * np.tanh(x * w + 9.0 / 60)
    x = x + 0.05 * np.tanh(x * w + 10.0 / 60)
    x = x + 0.05 * np.tanh(x * w + 11.0 / 60)
    x = x + 0.05 * np.tanh(x * w + 12.0 / 60)
    x = x + 0.05 * np.tanh(x * w + 13.0 / 60)
    x = x + 0.05 * np.tanh(x * w + 14.0 / 60)
    x = x + 0.05 * np.tanh(x * w + 15.0 / 60)
    x = x + 0.05 * np.tanh(x * w + 16.0 / 60)
    x = x + 0.05 * np.tanh(x * w + 17.0 / 60)
    x = x + 0.05 * np.tanh(x * w + 18.0 / 60)
    x = x + 0.05 * np.tanh(x * w + 19.0 / 60)
    x = x + 0.05 * np.tanh(x * w + 20.0 / 60)
    x = x + 0.05 * np.tanh(x * w + 21.0 / 60)
    x = x + 0.05 * np.tanh(x * w + 22.0 / 60)
    x = x + 0.05 * np.tanh(x * w + 23.0 / 60)
    x = x + 0.05 * np.tanh(x * w + 24.0 / 60)
    x = x + 0.05 * np.tanh(x * w + 25.0 / 60)
    x = x + 0.05 * np.tanh(x * w + 26.0 / 60)
    x = x + 0.05 * np.tanh(x * w + 27.0 / 60)
    x = x + 0.05 * np.tanh(x * w + 28.0 / 60)
    x = x + 0.05 * np.tanh(x * w + 29.0 / 60)
    return np.sum(x ** 2)


def calls_large_helper(x, w):
    return large_helper(x, w) * large_helper(0.5 * x, w)


def test_large_callee_is_its_own_function():
    x, w = np.array([0.3, -0.2]), 0.9
    g = grad(calls_large_helper, argnums=(0, 1))
    source = srcdiff.source(g, x, w)
    assert 'def large_helper_fwd(' in source and 'def large_helper_bwd(' in source
    gx, gw = g(x, w)
    np.testing.assert_allclose(gx, central_difference(calls_large_helper, (x, w), 0), rtol=1e-6)
    assert gw == pytest.approx(central_difference(calls_large_helper, (x, w), 1), rel=1e-6)
