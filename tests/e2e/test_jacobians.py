"""Jacobians (srcdiff/transforms/jacobian.py): tuple argnums and tuple outputs nested as
JAX nests them, Jacobians of Jacobians of vector-valued functions in every composition,
empty inputs and outputs. Each against exact values or central differences."""
import numpy as np
import pytest

import srcdiff
from srcdiff import grad, hessian, jacfwd, jacobian, jacrev

from tests.numeric import central_difference
from .test_custom_vjp import softplus

TIGHT = dict(rtol=1e-12, atol=1e-12)
LOOSE = dict(rtol=1e-6, atol=1e-7)
MODES = [jacfwd, jacrev, jacobian]
X = np.array([0.3, -0.5, 0.8])
Y = np.array([1.2, 0.4])


# ---------------------------------------------------------------------------
# tuple argnums, tuple outputs


def two_inputs(x, y):
    return np.sin(x) * y[0] + x ** 2 * np.sum(y)


def two_outputs(x, y):
    return x * y[1], np.sum(np.cos(x)) * y


def scalar_and_array(x, s):
    return np.tanh(x * s) + s ** 2


@pytest.mark.parametrize("mode", MODES)
def test_tuple_argnums_give_one_jacobian_per_argument(mode):
    jx, jy = mode(two_inputs, argnums=(0, 1))(X, Y)
    np.testing.assert_allclose(jx, central_difference(two_inputs, (X, Y), 0), **LOOSE)
    np.testing.assert_allclose(jy, central_difference(two_inputs, (X, Y), 1), **LOOSE)
    assert jx.shape == (3, 3) and jy.shape == (3, 2)
    # the same as one argument at a time
    np.testing.assert_allclose(jy, mode(two_inputs, argnums=1)(X, Y), **TIGHT)
    np.testing.assert_allclose(jx, mode(two_inputs, argnums=-2)(X, Y), **TIGHT)


@pytest.mark.parametrize("mode", MODES)
def test_a_tuple_output_is_outermost_and_the_argnums_inside_each_entry(mode):
    (a_x, a_y), (b_x, b_y) = mode(two_outputs, argnums=(0, 1))(X, Y)
    first = lambda x, y: two_outputs(x, y)[0]  # noqa: E731
    second = lambda x, y: two_outputs(x, y)[1]  # noqa: E731
    np.testing.assert_allclose(a_x, central_difference(first, (X, Y), 0), **LOOSE)
    np.testing.assert_allclose(a_y, central_difference(first, (X, Y), 1), **LOOSE)
    np.testing.assert_allclose(b_x, central_difference(second, (X, Y), 0), **LOOSE)
    np.testing.assert_allclose(b_y, central_difference(second, (X, Y), 1), **LOOSE)
    assert [a_x.shape, a_y.shape, b_x.shape, b_y.shape] == [(3, 3), (3, 2), (2, 3), (2, 2)]
    # an int argnums: one Jacobian per output
    j_first, j_second = mode(two_outputs)(X, Y)
    np.testing.assert_allclose(j_first, a_x, **TIGHT)
    np.testing.assert_allclose(j_second, b_x, **TIGHT)


@pytest.mark.parametrize("mode", MODES)
def test_a_python_float_argument_next_to_an_array(mode):
    jx, js = mode(scalar_and_array, argnums=(0, 1))(X, 0.7)
    np.testing.assert_allclose(jx, np.diag(0.7 / np.cosh(0.7 * X) ** 2), **TIGHT)
    np.testing.assert_allclose(js, X / np.cosh(0.7 * X) ** 2 + 1.4, **TIGHT)
    assert js.shape == (3,)


def quadratic_pair(x, y):
    return np.sum(x ** 2 * y[0]) + np.sin(y[1]) * x[0]


def test_hessian_with_tuple_argnums_is_the_nested_tuple_of_blocks():
    (hxx, hxy), (hyx, hyy) = hessian(quadratic_pair, argnums=(0, 1))(X, Y)
    gx = lambda x, y: grad(quadratic_pair, argnums=0)(x, y)  # noqa: E731
    gy = lambda x, y: grad(quadratic_pair, argnums=1)(x, y)  # noqa: E731
    np.testing.assert_allclose(hxx, central_difference(gx, (X, Y), 0), **LOOSE)
    np.testing.assert_allclose(hxy, central_difference(gx, (X, Y), 1), **LOOSE)
    np.testing.assert_allclose(hyx, central_difference(gy, (X, Y), 0), **LOOSE)
    np.testing.assert_allclose(hyy, central_difference(gy, (X, Y), 1), **LOOSE)
    np.testing.assert_allclose(hxy, hyx.T, **TIGHT)
    np.testing.assert_allclose(hxx, 2 * Y[0] * np.eye(3), **TIGHT)


def scaled(x, c=2.0, *, shift=0.0):
    return np.sin(x) * c + shift * x


@pytest.mark.parametrize("mode", MODES + [hessian])
def test_keyword_arguments_bind_by_the_signature(mode):
    f = lambda x: scaled(x, 3.0, shift=0.5)  # noqa: E731  (the reference, called positionally)
    reference = jacfwd(jacrev(f)) if mode is hessian else jacfwd(f)
    expected = central_difference(jacrev(f) if mode is hessian else f, (X,), 0)
    got = mode(scaled)(X, c=3.0, shift=0.5)
    np.testing.assert_allclose(got, expected, **LOOSE)
    np.testing.assert_allclose(got, reference(X), **TIGHT)
    np.testing.assert_allclose(mode(scaled)(X, shift=0.5, c=3.0), got, **TIGHT)


def test_argnums_are_checked():
    with pytest.raises(TypeError, match="argnums"):
        jacfwd(two_inputs, argnums=(0, 1.0))
    with pytest.raises(ValueError, match="empty"):
        jacrev(two_inputs, argnums=())
    with pytest.raises(ValueError, match="out of range"):
        jacobian(two_inputs, argnums=(0, 2))(X, Y)
    with pytest.raises(TypeError, match="integer"):
        jacfwd(two_inputs, argnums=1)(X, 3)


# ---------------------------------------------------------------------------
# Jacobians of Jacobians of vector-valued functions


def vector(x):
    return np.sin(x) * x[::-1] + np.array([1.0, 2.0, 3.0]) * x[0] ** 2


def looping(x):
    s = x * 1.0
    for i in range(3):
        s = np.sin(s) * x + i
    return s[:2] * x[1]


def branching(x):
    if x[0] > 0:
        y = x ** 3
    else:
        y = np.cos(x)
    return y * x[::-1]


def matrix_square(A):
    return A @ A.T + np.tanh(A)


def wave(t):
    return np.array([np.sin(t), np.cos(2 * t), t ** 3])


COMPOSABLE = [jacfwd, jacrev, jacobian]


@pytest.mark.parametrize("outer", COMPOSABLE)
@pytest.mark.parametrize("inner", COMPOSABLE)
@pytest.mark.parametrize("fun", [vector, branching])
def test_every_composition_of_two_jacobians_matches_differences_of_the_inner_one(outer, inner, fun):
    got = outer(inner(fun))(X)
    assert got.shape == (3, 3, 3)
    np.testing.assert_allclose(got, central_difference(jacfwd(fun), (X,), 0), **LOOSE)
    np.testing.assert_allclose(got, jacfwd(jacfwd(fun))(X), **TIGHT)


@pytest.mark.parametrize("outer", COMPOSABLE)
@pytest.mark.parametrize("inner", COMPOSABLE)
def test_compositions_through_a_loop(outer, inner):
    got = outer(inner(looping))(X)
    assert got.shape == (2, 3, 3)
    np.testing.assert_allclose(got, central_difference(jacrev(looping), (X,), 0), **LOOSE)


@pytest.mark.parametrize("outer", [jacfwd, jacrev])
@pytest.mark.parametrize("inner", [jacfwd, jacrev])
def test_jacobians_of_jacobians_of_a_matrix_function(outer, inner):
    A = np.array([[0.3, -0.5], [0.8, 0.1]])
    got = outer(inner(matrix_square))(A)
    assert got.shape == (2, 2, 2, 2, 2, 2)
    np.testing.assert_allclose(got, central_difference(jacfwd(matrix_square), (A,), 0), **LOOSE)


@pytest.mark.parametrize("outer", [jacfwd, jacrev])
@pytest.mark.parametrize("inner", [jacfwd, jacrev])
def test_a_scalar_input_and_a_vector_output(outer, inner):
    t = 0.7
    exact = np.array([-np.sin(t), -4 * np.cos(2 * t), 6 * t])
    np.testing.assert_allclose(outer(inner(wave))(t), exact, **TIGHT)


def test_third_order_and_hessian_of_a_vector_function():
    third = jacfwd(jacfwd(jacrev(vector)))(X)
    assert third.shape == (3, 3, 3, 3)
    np.testing.assert_allclose(third, central_difference(jacfwd(jacrev(vector)), (X,), 0), **LOOSE)
    # as in JAX, hessian(f) is jacfwd(jacrev(f)), for a vector-valued f too
    np.testing.assert_allclose(hessian(vector)(X), jacfwd(jacrev(vector))(X), **TIGHT)


def tensor_norm(x):
    J = jacfwd(vector)(x)
    return np.sum(J * J)


def row_sums(x):
    return np.sum(jacrev(branching)(x), axis=1)


def test_a_jacobian_inside_a_differentiated_function():
    np.testing.assert_allclose(grad(tensor_norm)(X), central_difference(tensor_norm, (X,), 0), **LOOSE)
    np.testing.assert_allclose(jacfwd(row_sums)(X), central_difference(row_sums, (X,), 0), **LOOSE)
    np.testing.assert_allclose(jacrev(row_sums)(X), jacfwd(row_sums)(X), **TIGHT)


def test_the_emitted_jacobian_is_one_pass_over_the_basis():
    """Every direction at once: the tangent (cotangent) is the identity, one row per direction,
    and the code has no loop over them (transforms/batching.py)."""
    source = srcdiff.source(jacfwd(vector), X)
    assert "def jacfwd_vector(x):" in source and "x_dot = np.eye(3" in source and "for " not in source
    source = srcdiff.source(jacrev(vector), X)
    assert "def jacrev_vector(x):" in source and "np.eye(" in source and "for " not in source
    assert "def hessian_quadratic_pair(x, y):" in srcdiff.source(hessian(quadratic_pair), X, Y)


# ---------------------------------------------------------------------------
# empty inputs and outputs


def with_empty(x):
    return np.sum(x) + np.array([1.0, 2.0])


def prefix(x):
    return x[:0] * 2.0


@pytest.mark.parametrize("mode", MODES)
def test_the_jacobian_wrt_an_empty_array_is_empty(mode):
    got = mode(with_empty)(np.zeros(0))
    assert got.shape == (2, 0) and got.dtype == np.float64
    jx, jy = mode(two_inputs, argnums=(0, 1))(np.zeros(0), Y)
    assert jx.shape == (0, 0) and jy.shape == (0, 2)


@pytest.mark.parametrize("mode", MODES)
def test_the_jacobian_of_an_empty_output_is_empty(mode):
    got = mode(prefix)(X)
    assert got.shape == (0, 3)


def test_a_jacobian_that_is_zero_is_an_array_of_the_caller_own():
    J = jacfwd(prefix_constant)(X)
    np.testing.assert_array_equal(J, np.zeros((2, 3)))
    J[0, 0] = 5.0
    np.testing.assert_array_equal(jacfwd(prefix_constant)(X), np.zeros((2, 3)))


def prefix_constant(x):
    return np.array([1.0, 2.0]) + 0.0 * np.sum(np.floor(x))


# ---------------------------------------------------------------------------
# outputs whose shape is known only when running, recursion, custom rules, dict arguments


def shape_known_when_running(x):
    rows = []
    for i in range(2):
        if x[i, 0] > 0:
            rows.append(x[i] * x[1 - i])
        else:
            rows.append(np.sin(x[i]))
    return np.array(rows) * 2


def zero_shape_known_when_running(x):
    rows = []
    for i in range(2):
        if x[i, 0] > 0:
            rows.append(np.floor(x[i]))
        else:
            rows.append(np.ones(2))
    return np.array(rows)


@pytest.mark.parametrize("mode", MODES)
def test_a_matrix_input_when_the_output_shape_is_known_only_when_running(mode):
    A = np.array([[0.3, -0.5], [-0.8, 0.2]])
    got = mode(shape_known_when_running)(A)
    assert got.shape == (2, 2, 2, 2)
    np.testing.assert_allclose(got, central_difference(shape_known_when_running, (A,), 0), **LOOSE)
    np.testing.assert_array_equal(mode(zero_shape_known_when_running)(A), np.zeros((2, 2, 2, 2)))


def power_tower(x, n):
    if n == 0:
        return x
    return np.sin(power_tower(x, n - 1)) * x


def tower(x):
    return power_tower(x, 3)


def uses_softplus(x):
    return softplus(x) * x


def with_params(x, p):
    return np.sum(np.sin(x) * p["a"]) + p["b"] * x[0] ** 3


def test_reverse_mode_jacobians_through_recursion_and_custom_rules():
    np.testing.assert_allclose(jacrev(tower)(X), central_difference(tower, (X,), 0), **LOOSE)
    np.testing.assert_allclose(jacrev(uses_softplus)(X), central_difference(uses_softplus, (X,), 0), **LOOSE)


def test_a_hessian_with_a_dict_argument_left_alone():
    p = {"a": np.array([1.0, 2.0, 3.0]), "b": 2.0}
    expected = central_difference(lambda x: grad(with_params)(x, p), (X,), 0)
    np.testing.assert_allclose(hessian(with_params)(X, p), expected, **LOOSE)
    with pytest.raises(TypeError, match="dict"):
        jacfwd(with_params, argnums=1)(X, p)


def _twice(x):
    return x * 2.0, x * 2.0


def _linear_in_y(x, y):
    a = x * 3.0
    return np.sum(a) + y + y


def test_results_are_distinct_arrays_a_caller_may_write_into():
    # merged as one computation, the two results were one array: a write into one changed the other
    x = np.array([0.5, -1.0, 2.0])
    (p, q), (t, u) = srcdiff.jvp(_twice, (x,), (np.ones(3),))
    p[0] = t[0] = 100.0
    np.testing.assert_array_equal(q, 2 * x)
    np.testing.assert_array_equal(u, [2.0, 2.0, 2.0])
    h = hessian(_linear_in_y, argnums=(0, 1))(x, 0.4)
    h[0][1][0] = 7.0  # one of the two zero blocks off the diagonal
    np.testing.assert_array_equal(h[0][1], [7.0, 0.0, 0.0])
    np.testing.assert_array_equal(h[1][0], [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(h[0][0], np.zeros((3, 3)))
    h2 = hessian(_linear_in_y, argnums=(0, 1))(x, 0.4)
    assert h2[0][1][0] == 0.0 and h2[1][0][0] == 0.0


def test_a_jacobian_that_does_not_depend_on_the_seed_is_zeros_made_once():
    # the Hessian of a function linear in x: no loop over the basis, no zeros broadcast into it
    text = srcdiff.source(hessian(_linear_in_y, argnums=(0, 1)), np.ones(3), 0.4)
    assert "for k in" not in text and "expand_dims" not in text
    h = hessian(_linear_in_y, argnums=(0, 1))(np.ones(3), 0.4)
    assert [[np.shape(b) for b in row] for row in h] == [[(3, 3), (3,)], [(3,), ()]]
    assert all(np.all(np.asarray(b) == 0) for row in h for b in row)
