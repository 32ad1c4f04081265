"""Issue 14's internal errors and misleading refusals: each construct, written as a user
writes it, gives the right derivative (compared with exact values or central differences)
or a located SrcdiffError saying what to do, never an internal exception."""
import sys

import numpy as np
import pytest

import srcdiff
from srcdiff import (NonDifferentiableError, SrcdiffError, UnsupportedSyntaxError, custom_jvp, custom_vjp, grad,
                     hessian, jacfwd, jacrev, jvp, value_and_grad, vjp)

from . import same_names
from tests.numeric import central_difference

POSITIONS = pytest.mark.skipif(sys.version_info < (3, 11), reason="code positions (co_positions) came in 3.11")


# -- custom rules whose functions are lambdas, or share a name ---------------------------------------

sine = custom_vjp(lambda x: np.sin(x))
sine_fwd = lambda x: (np.sin(x), np.cos(x))  # noqa: E731
sine_bwd = lambda c, g: (g * c,)  # noqa: E731
sine.defvjp(sine_fwd, sine_bwd)

cosine = custom_vjp(lambda x: np.cos(x))
cosine.defvjp(lambda x: (np.cos(x), np.sin(x)), lambda s, g: (-g * s,))

tangent_sine = custom_jvp(lambda x: np.sin(x))
tangent_sine.defjvp(lambda primals, tangents: (np.sin(primals[0]), np.cos(primals[0]) * tangents[0]))


def twice_sine(x):
    return sine(x) * 2.0


def sine_times_cosine(x):
    return sine(x) * cosine(x)


def twice_tangent_sine(x):
    return tangent_sine(x) * 2.0


@pytest.mark.parametrize("x", [-1.2, 0.3, 2.0])
def test_custom_vjp_with_lambda_rules(x):
    assert grad(twice_sine)(x) == pytest.approx(2 * np.cos(x), rel=1e-12)
    assert grad(sine_times_cosine)(x) == pytest.approx(np.cos(2 * x), rel=1e-12)  # two lambdas, two names


def test_custom_jvp_with_a_lambda_rule():
    value, tangent = jvp(twice_tangent_sine, (0.3,), (1.5,))
    assert value == pytest.approx(2 * np.sin(0.3), rel=1e-12)
    assert tangent == pytest.approx(3 * np.cos(0.3), rel=1e-12)


def test_a_lambda_rule_gets_a_readable_name_and_the_standalone_module_defines_it():
    compiled = grad(twice_sine).compiled(0.3)
    assert "custom_fwd(x)" in compiled.source and "<lambda>" not in compiled.source
    namespace = {}
    exec(compiled.emitted.standalone(), namespace)
    assert namespace["grad_twice_sine"](0.3) == pytest.approx(2 * np.cos(0.3), rel=1e-12)


@custom_vjp
def square(x):
    return x * x


def shifted_square_fwd(x):  # named as vjp names the forward half of shifted_square
    return x * x, x


def shifted_square_bwd(x, g):
    return (2.0 * x * g,)


square.defvjp(shifted_square_fwd, shifted_square_bwd)


def shifted_square(x):
    return square(x) + 1.0


def test_a_rule_named_like_the_emitted_function_is_still_called():
    value, pullback = vjp(shifted_square, 0.3)
    assert value == pytest.approx(1.09, rel=1e-12)
    assert pullback(1.0) == pytest.approx((0.6,), rel=1e-12)
    namespace = {}
    exec(pullback.compiled.emitted.standalone(), namespace)
    assert namespace["shifted_square_bwd"](namespace["shifted_square_fwd"](0.3)[1], 1.0) == pytest.approx(0.6)


W = np.array([10.0, 20.0, 30.0])


def two_modules_two_ws(x):
    return np.sum(W * x * x) + same_names.weighted(x)


def test_globals_of_one_name_from_two_modules_stay_apart():
    x = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(grad(two_modules_two_ws)(x), 2 * W * x + same_names.W, rtol=1e-12)


def argument_named_like_a_global(W, x):
    return np.sum(W * x) + same_names.weighted(x)


def test_a_global_does_not_take_the_name_of_an_argument():
    W, x = np.array([0.5, 1.5, -2.0]), np.array([1.0, -2.0, 0.5])
    compiled = grad(argument_named_like_a_global, argnums=(0, 1)).compiled(W, x)
    assert "def grad_argument_named_like_a_global(W, x):" in compiled.source
    dW, dx = grad(argument_named_like_a_global, argnums=(0, 1))(W, x)
    np.testing.assert_allclose(dW, x, rtol=1e-12)
    np.testing.assert_allclose(dx, W + same_names.W, rtol=1e-12)


# -- distinct parameter names ------------------------------------------------------------------------

def constant_first(x):
    return 1.0, x * 2


def unused_second(x, x_dot):
    return x * 2.0


def test_vjp_of_a_tuple_whose_first_item_is_a_constant():
    value, pullback = vjp(constant_first, 0.5)
    assert value == (1.0, 1.0)
    assert pullback((1.0, 3.0)) == (6.0,)


def test_a_tangent_does_not_take_the_name_of_an_unused_parameter():
    assert jvp(unused_second, (1.5, 2.0), (1.0, 0.0)) == (3.0, 2.0)


# -- a 0-d value that may be a Python float: no .reshape on it ----------------------------------------

def reshaped_branch(x):
    y = np.reshape(x, ())
    if x[0] > 0:
        z = y * 3.0
    else:
        z = y * y
    return z


def squeezed_loop(x):
    y = np.squeeze(x)
    for i in range(3):
        y = y * 2.0
    return y


def method_reshape(x):
    return x.reshape(()) * 3.0


def python_float_branch(x):
    y = np.reshape(np.sin(x) * x, ())
    if x > 0:
        z = y * 3.0
    else:
        z = y * y
    return z * x


@pytest.mark.parametrize("x", [1.5, -1.5])
def test_reshape_to_0d_under_a_branch(x):
    a = np.array([x])
    expected = np.array([3.0 if x > 0 else 2 * x])
    np.testing.assert_allclose(grad(reshaped_branch)(a), expected, rtol=1e-12)
    value, g = value_and_grad(reshaped_branch)(a)
    np.testing.assert_allclose(g, expected, rtol=1e-12)
    np.testing.assert_allclose(hessian(reshaped_branch)(a), [[0.0 if x > 0 else 2.0]], atol=1e-12)


def test_squeeze_to_0d_under_a_loop():
    a = np.array([[1.5]])
    np.testing.assert_allclose(grad(squeezed_loop)(a), [[8.0]], rtol=1e-12)
    np.testing.assert_allclose(vjp(squeezed_loop, a)[1](1.0)[0], [[8.0]], rtol=1e-12)


@pytest.mark.parametrize("x", [1.5, np.array(1.5), np.array([1.5])])
def test_reshape_to_0d_with_float_tangents_and_cotangents(x):
    assert jvp(method_reshape, (x,), (np.ones_like(x) if isinstance(x, np.ndarray) else 1.0,))[1] == 3.0
    np.testing.assert_allclose(vjp(method_reshape, x)[1](1.0)[0], 3.0 * np.ones_like(x), rtol=1e-12)


@pytest.mark.parametrize("x", [0.7, -0.4])
def test_reshape_to_0d_in_the_python_float_variant(x):
    compiled = grad(python_float_branch).compiled(x)
    expected = central_difference(python_float_branch, (x,), 0)
    assert compiled.on_floats is not None
    assert compiled.on_floats(x) == pytest.approx(expected, rel=1e-7)
    assert grad(python_float_branch)(x) == pytest.approx(expected, rel=1e-7)
    assert grad(grad(python_float_branch))(x) == pytest.approx(
        central_difference(grad(python_float_branch), (x,), 0), rel=1e-6)


# -- a running total of outer products that the loss reads too ---------------------------------------

def outer_total_read(W, h, xs):
    acc = np.zeros_like(W)
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
        acc = acc + np.outer(h, xs[t])
    return np.sum(acc * W)


def outer_total_read_swapped(W, h, xs):
    acc = np.zeros_like(W)
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
        acc = acc + np.outer(xs[t], h)
    return np.sum(acc * W) + np.sum(h)


@pytest.mark.parametrize("f", [outer_total_read, outer_total_read_swapped])
@pytest.mark.parametrize("argnum", [0, 1, 2])
def test_outer_total_read_after_the_loop(f, argnum):
    rng = np.random.default_rng(3)
    args = (rng.normal(size=(3, 3)), rng.normal(size=3), rng.normal(size=(4, 3)))
    np.testing.assert_allclose(grad(f, argnums=argnum)(*args), central_difference(f, args, argnum),
                               rtol=1e-6, atol=1e-8)


# -- dict.get, x[()], functions as arguments ----------------------------------------------------------

def with_get(d, x):
    return d.get("k", x) * x + d.get("w", 0.0)


def with_copy(d):
    e = d.copy()
    return e["a"] * e["b"]


def scalar_item(x):
    return np.asarray(3.0)[()] * x + np.asarray(x)[()] * x


def whole_item(x):
    return np.sum(x[()] ** 2)


def activated(x, act=np.tanh):
    return act(x) * 2.0


def cube(x):
    return x ** 3


def user_activated(x, act=cube):
    return act(x) + x


def test_dict_get_with_and_without_the_key():
    assert grad(with_get, argnums=1)({"k": 2.0, "w": 1.0}, 0.5) == 2.0
    assert grad(with_get, argnums=1)({"w": 1.0}, 0.5) == 1.0  # x * x
    assert grad(with_get)({"k": 2.0}, 0.5) == {"k": 0.5}
    assert jvp(with_get, ({"k": 2.0, "w": 1.0}, 0.5), ({"k": 1.0, "w": 1.0}, 1.0)) == (2.0, 3.5)  # x + k + 1
    assert grad(with_copy)({"a": 2.0, "b": 3.0}) == {"a": 3.0, "b": 2.0}


CONFIG = {"scale": 0.5, "shift": np.array([0.1, 0.2, 0.3])}


def from_a_global_dict_by_get(x):
    return np.sum((x - CONFIG.get("shift")) ** 2) * CONFIG.get("scale", 1.0) + CONFIG.get("missing", 2.0) * x[0]


def test_dict_get_of_a_global_dict_is_read_like_a_subscript():
    x = np.array([0.5, -1.0, 2.0])
    g = grad(from_a_global_dict_by_get)
    np.testing.assert_allclose(g(x), (x - CONFIG["shift"]) + [2.0, 0.0, 0.0], rtol=1e-12)
    CONFIG["scale"] = 2.0
    CONFIG["shift"][0] = 5.0  # the array is read when the derivative runs; the number compiles again
    try:
        np.testing.assert_allclose(g(x), 4.0 * (x - CONFIG["shift"]) + [2.0, 0.0, 0.0], rtol=1e-12)
    finally:
        CONFIG["scale"] = 0.5
        CONFIG["shift"][0] = 0.1


@pytest.mark.parametrize("x", [0.5, np.array(0.5)])
def test_an_empty_index_of_a_0d_value(x):
    np.testing.assert_allclose(grad(scalar_item)(x), 4.0, rtol=1e-12)
    np.testing.assert_allclose(hessian(scalar_item)(x), 2.0, rtol=1e-12)


def test_an_empty_index_of_an_array():
    x = np.array([0.5, -1.0])
    np.testing.assert_allclose(grad(whole_item)(x), 2 * x, rtol=1e-12)


@pytest.mark.parametrize("x", [0.4, 1.3])
def test_a_default_argument_holding_a_function(x):
    assert grad(activated)(x) == pytest.approx(2 * (1 - np.tanh(x) ** 2), rel=1e-12)
    assert value_and_grad(activated)(x)[1] == pytest.approx(2 * (1 - np.tanh(x) ** 2), rel=1e-12)
    assert grad(user_activated)(x) == pytest.approx(3 * x ** 2 + 1, rel=1e-12)


def scaled_default(x, c=0.5):
    return x * x * c


@pytest.mark.parametrize("f, exact, second", [
    (activated, lambda x: 2 * (1 - np.tanh(x) ** 2), lambda x: -4 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
    (user_activated, lambda x: 3 * x ** 2 + 1, lambda x: 6 * x),
    (scaled_default, lambda x: x, lambda x: 1.0),
])
def test_a_default_the_call_leaves_out_in_every_mode(f, exact, second):
    x = 0.7
    assert jvp(f, (x,), (1.0,))[1] == pytest.approx(exact(x), rel=1e-12)
    assert vjp(f, x)[1](1.0) == (pytest.approx(exact(x), rel=1e-12),)
    assert jacfwd(f)(x) == pytest.approx(exact(x), rel=1e-12)
    assert jacrev(f)(x) == pytest.approx(exact(x), rel=1e-12)
    assert hessian(f)(x) == pytest.approx(second(x), rel=1e-12)
    assert grad(grad(f))(x) == pytest.approx(second(x), rel=1e-12)


def test_a_function_argument_is_compiled_for_that_function():
    x = 0.4
    for _ in range(2):  # the second call of each takes the fast path, which must tell them apart
        assert grad(activated)(x, np.sin) == pytest.approx(2 * np.cos(x), rel=1e-12)
        assert grad(activated)(x, np.cos) == pytest.approx(-2 * np.sin(x), rel=1e-12)
        assert grad(activated)(x, cube) == pytest.approx(6 * x ** 2, rel=1e-12)
    assert jvp(activated, (x, np.sin), (1.0, None)) == pytest.approx((2 * np.sin(x), 2 * np.cos(x)), rel=1e-12)
    assert vjp(activated, x, np.sin)[1](1.0) == (pytest.approx(2 * np.cos(x), rel=1e-12), None)
    assert hessian(activated)(x, np.sin) == pytest.approx(-2 * np.sin(x), rel=1e-12)


def test_a_function_argument_is_not_differentiated():
    with pytest.raises(TypeError, match="act"):
        grad(activated, argnums=1)(0.4, np.sin)


# -- np.all, np.any and scalar-type casts ---------------------------------------------------------------

def all_positive(x):
    if np.all(x > 0):
        return np.sum(x ** 2)
    return np.sum(x)


def any_large(x):
    if (x > 1).any():
        return np.sum(x ** 3)
    return np.sum(x)


def rows_all_positive(x):
    keep = np.all(x > 0, axis=1, keepdims=True)
    return np.sum(np.where(keep, x, 0.0) ** 2) + np.sum(np.where(x.any(axis=0), x, 0.0))


def casts(x):
    return np.float64(x) * 2.0 + np.float32(x) * x + np.float64(3) * x * np.int64(2)


def cast_array(x):
    return np.sum(np.float64(x) ** 2) + np.sum(np.float32(x) * x)


@pytest.mark.parametrize("x", [[1.0, 2.0], [-1.0, 2.0], [0.5, 0.25]])
def test_np_all_and_any_as_conditions(x):
    x = np.array(x)
    np.testing.assert_allclose(grad(all_positive)(x), 2 * x if np.all(x > 0) else np.ones(2), rtol=1e-12)
    np.testing.assert_allclose(grad(any_large)(x), 3 * x ** 2 if np.any(x > 1) else np.ones(2), rtol=1e-12)
    np.testing.assert_allclose(jvp(all_positive, (x,), (np.ones(2),))[0], all_positive(x), rtol=1e-12)


def test_np_all_and_any_with_axis_and_keepdims():
    x = np.array([[1.0, 2.0, 0.5], [-1.0, 3.0, 2.0]])
    expected = np.where(np.all(x > 0, axis=1, keepdims=True), 2 * x, 0.0) + np.where(x.any(axis=0), 1.0, 0.0)
    np.testing.assert_allclose(grad(rows_all_positive)(x), expected, rtol=1e-12)
    np.testing.assert_allclose(grad(rows_all_positive)(x), central_difference(rows_all_positive, (x,), 0),
                               rtol=1e-6)


@pytest.mark.parametrize("x", [0.5, -1.25])
def test_scalar_type_casts_keep_the_derivative(x):
    exact = 2.0 + 2 * x + 6.0
    assert grad(casts)(x) == pytest.approx(exact, rel=1e-6)  # float32(x) rounds x
    assert jvp(casts, (x,), (1.0,))[1] == pytest.approx(exact, rel=1e-6)
    assert hessian(casts)(x) == pytest.approx(2.0, rel=1e-6)
    assert grad(grad(casts))(x) == pytest.approx(2.0, rel=1e-6)
    assert vjp(casts, x)[1](1.0)[0] == pytest.approx(exact, rel=1e-6)


def test_a_cast_of_an_array_is_an_array_cast():
    x = np.array([0.5, -1.25, 2.0])
    np.testing.assert_allclose(grad(cast_array)(x), 4 * x, rtol=1e-6)
    np.testing.assert_allclose(jacfwd(grad(cast_array))(x), 4 * np.eye(3), rtol=1e-6)
    assert jvp(lambda_free_float32, (np.float32(0.5),), (np.float32(1.0),))[1].dtype == np.float32


def lambda_free_float32(x):
    return np.float32(x) * np.float32(x)


# -- srcdiff's own transformations called inside a differentiated function ---------------------------

def curve(x):
    return np.sin(x) * x ** 2


def surface(x, y):
    return np.sin(x) * y ** 2


def curve_with_aux(x):
    return np.sin(x) * x ** 2, x * 3.0


def curve_fwd(x):
    return curve(x), x


def curve_bwd(x, g):
    return (g * (np.cos(x) * x ** 2 + 2 * x * np.sin(x)),)


def slope_times_x(x):
    return srcdiff.grad(curve)(x) * x


def partials_product(x, y):
    gx, gy = srcdiff.grad(surface, argnums=(0, 1))(x, y)
    return gx * gy


def decorator_form(x):
    return srcdiff.grad(argnums=1)(surface)(x, x)


def value_times_slope(x):
    v, g = srcdiff.value_and_grad(curve)(x)
    return v * g


def with_aux(x):
    g, a = srcdiff.grad(curve_with_aux, has_aux=True)(x)
    (v, a2), g2 = srcdiff.value_and_grad(curve_with_aux, has_aux=True)(x)
    return g * a + v * a2 * g2


def second_derivatives(x):
    return srcdiff.hessian(curve)(x) + srcdiff.jacfwd(curve)(x) * srcdiff.jacrev(curve)(x)


def grad_of_grad_inside(x):
    return srcdiff.grad(srcdiff.grad(curve))(x)


def own_rule_inside(x):
    rule = srcdiff.custom_vjp(curve)
    rule.defvjp(curve_fwd, curve_bwd)
    return rule(x) * x


INSIDE = [slope_times_x, decorator_form, value_times_slope, with_aux, second_derivatives, grad_of_grad_inside,
          own_rule_inside]


@pytest.mark.parametrize("f", INSIDE)
@pytest.mark.parametrize("x", [-0.6, 0.7])
def test_transformations_called_inside_are_made_when_compiling(f, x):
    expected = central_difference(f, (x,), 0)
    assert grad(f)(x) == pytest.approx(expected, rel=1e-6, abs=1e-9)
    if f is not own_rule_inside:  # a custom_vjp serves reverse mode only
        assert jvp(f, (x,), (1.0,))[1] == pytest.approx(expected, rel=1e-6, abs=1e-9)


def test_a_transformation_inside_with_two_arguments():
    args = (0.7, -1.3)
    for i in (0, 1):
        assert grad(partials_product, argnums=i)(*args) == pytest.approx(
            central_difference(partials_product, args, i), rel=1e-6)


def inside_lambda(x):
    return srcdiff.grad(lambda t: t ** 3)(x)


def inside_jvp_of_lambda(x):
    return srcdiff.jvp(lambda t: t ** 3, (x,), (1.0,))[1]


def inside_vjp(x):
    y, pullback = srcdiff.vjp(curve, x)
    return pullback(1.0)[0]


def inside_traced_argnums(x):
    return srcdiff.grad(surface, argnums=x > 0)(x, x)


def vector(x):
    return np.sin(x) * x


def inside_jacobian_of_vector(x):
    return np.sum(srcdiff.jacfwd(vector)(x))


def inside_grad_of_a_ufunc(x):
    return srcdiff.grad(np.frexp)(x)  # a ufunc with no rule


def inside_grad_of_sin(x):
    return srcdiff.grad(np.sin)(x)  # a ufunc with one: grad(np.sin) is its derivative


@pytest.mark.parametrize("f, error, message", [
    (inside_vjp, UnsupportedSyntaxError, "srcdiff.vjp cannot be called inside"),
    (inside_traced_argnums, NonDifferentiableError, "must be known when compiling"),
    (inside_grad_of_a_ufunc, SrcdiffError, "no derivative rule for numpy.frexp"),
])
def test_what_cannot_be_made_when_compiling_is_refused_where_it_is(f, error, message):
    with pytest.raises(error, match=message) as info:
        grad(f)(0.7)
    assert info.value.loc is not None and info.value.loc.filename == __file__
    assert "api.py" not in str(info.value) and "modes.py" not in str(info.value)


@pytest.mark.parametrize("f, second", [
    (inside_lambda, lambda x: 6.0 * x),  # a lambda written inside (issue 17), lowered on its own
    (inside_jvp_of_lambda, lambda x: 6.0 * x),
    (inside_grad_of_sin, lambda x: -np.sin(x)),  # a registered callable is differentiated as one
])
def test_derivatives_of_lambdas_and_ufuncs_made_inside(f, second):
    assert grad(f)(0.7) == pytest.approx(second(0.7), rel=1e-12)


def test_a_jacobian_inside_is_a_derivative_like_any_code():
    assert grad(inside_jacobian_of_vector)(0.7) == pytest.approx(
        central_difference(inside_jacobian_of_vector, (0.7,), 0), rel=1e-6)
    x = np.array([0.7, -0.2])
    np.testing.assert_allclose(grad(inside_jacobian_of_vector)(x), central_difference(inside_jacobian_of_vector, (x,), 0),
                               rtol=1e-6)


# -- lambdas sharing a line ---------------------------------------------------------------------------

def call_it(thunk):
    return thunk()


def lambda_in_a_lambda():
    return call_it(lambda: srcdiff.grad(lambda x: x * 2)(1.0))


pair = (lambda x: x * 3.0, lambda x: x * x)
nested = lambda y: (lambda x: x * y * y)  # noqa: E731
twins = [lambda x: np.sin(x), lambda x: np.sin(x)]


@POSITIONS
def test_lambdas_sharing_a_line_are_told_apart_by_their_positions():
    assert lambda_in_a_lambda() == 2.0
    assert grad(pair[0])(2.0) == 3.0
    assert grad(pair[1])(2.0) == 4.0
    assert grad(nested(3.0))(2.0) == 9.0
    assert grad(twins[1])(0.5) == pytest.approx(np.cos(0.5), rel=1e-12)


def test_a_function_returned_is_named_as_a_function():
    with pytest.raises(SrcdiffError, match="cannot return a function"):
        grad(nested)(2.0)


@POSITIONS
def test_the_standalone_module_defines_two_lambdas_of_one_line():
    namespace = {}
    exec(grad(sine_times_cosine).compiled(0.3).emitted.standalone(), namespace)
    assert namespace["grad_sine_times_cosine"](0.3) == pytest.approx(np.cos(0.6), rel=1e-12)
