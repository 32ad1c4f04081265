"""Python lists and tuples of values and literals, passed where NumPy takes an array.

np.sum([a, a]) sums an array made of a and a, as np.array([a, a]) would be; srcdiff once
took such a list for a constant, and every derivative through it was 0 (issue 14)."""
import numpy as np
import pytest

import srcdiff

from tests.numeric import assert_all_modes, central_difference

V = np.array([0.5, -1.25, 2.0])


def sum_of_pair(a):
    return np.sum([a, a])


def sum_with_int_literals(a):
    return np.sum([1, a * a, 2])


def mean_of_list(x):
    return np.mean([x, x + 2])


def max_of_list(x):
    return np.max([x, 2 * x])


def prod_of_list(x):
    return np.prod([x, x + 1])


def dot_of_lists(x):
    return np.dot([x, x + 2], [1.0, 3.0])


def norm_of_list(x):
    return np.linalg.norm([x, x + 2])


def std_of_list(x):
    return np.std([x, 2 * x + 2])


def sum_of_constants(x):
    return np.sum([1.0, 2.0]) * x


def mean_of_tuple(x):
    return np.mean((x, 2.0))


def builtin_max_of_list(x):
    return max([x * x, 3.0 - x])


def builtin_min_of_tuple(x):
    return min((x * x, 3.0 - x))


def ufunc_of_list(x):
    return np.sum(np.exp([x, 1.0, -x]))


def add_list_to_array(x):
    return np.sum(np.add([x, 2.0, 1], V) ** 2)


def nested_lists(x):
    return np.sum(np.array([[x, 1.0], [2, x * x]]) ** 2)


def stack_of_vectors_in_a_list(v):
    return np.sum(np.max([v, v * v, np.ones(3)], axis=0))


def list_concatenation(x):
    items = [x, 2 * x] + [x * x]
    return np.sum(np.array(items) * V)


def tuple_repetition(x):
    return np.sum(np.array((x,) * 3) * V)


SCALAR_CASES = [sum_of_pair, sum_with_int_literals, mean_of_list, max_of_list, prod_of_list, dot_of_lists,
                norm_of_list, std_of_list, sum_of_constants, mean_of_tuple, builtin_max_of_list,
                builtin_min_of_tuple, ufunc_of_list, add_list_to_array, nested_lists, list_concatenation,
                tuple_repetition]


@pytest.mark.parametrize("f", SCALAR_CASES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("x", [1.5, -0.7])
def test_a_list_of_values_is_an_array(f, x):
    assert_all_modes(f, (x,))


def test_an_array_inside_a_list_is_a_row():
    assert_all_modes(stack_of_vectors_in_a_list, (np.array([0.3, 2.0, -0.5]),), order=1)


def test_the_value_is_numpy_s():
    for f in SCALAR_CASES:
        value, _ = srcdiff.value_and_grad(f)(1.5)
        assert np.isclose(value, f(1.5)), f.__name__


def test_python_lists_concatenate_rather_than_add():
    g = srcdiff.grad(list_concatenation)(1.5)
    assert np.isclose(g, central_difference(list_concatenation, (1.5,), 0))


# A list a loop appends to, passed where NumPy takes an array, is np.stack of it (as NumPy
# makes it): np.mean(hs) raised AttributeError 'pop' in the emitted gradient, or was wrong


def mean_of_a_built_list(x):
    hs = []
    for i in range(2):
        hs.append(x * x)
    return np.mean(hs)


def mean_of_a_built_list_along_an_axis(x):
    hs = []
    for i in range(2):
        hs.append(x * np.ones(3) * (i + 1))
    return np.sum(np.mean(hs, axis=0) * V)


def ufunc_of_a_built_list(x):
    hs = []
    for i in range(3):
        hs.append(np.sin(x * i))
    return np.sum(np.exp(hs) * V)


@pytest.mark.parametrize("f", [mean_of_a_built_list, mean_of_a_built_list_along_an_axis, ufunc_of_a_built_list],
                         ids=lambda f: f.__name__)
def test_a_list_a_loop_built_is_an_array_where_numpy_takes_one(f):
    assert_all_modes(f, (0.3,))


def positives(x):
    kept = []
    for i in range(3):
        if x[i] > 0:
            kept.append(x[i] * 2.0)
    return np.array(kept)


def sum_of_positives(x):
    return np.sum(positives(x))


def a_float_a_loop_makes_an_array(x):
    b = 0.0
    for i in range(2):
        b = b + V * x
    return b


def test_an_output_of_unknown_shape_is_checked_to_be_one_number_when_the_derivative_runs():
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(srcdiff.grad(sum_of_positives)(x), [2.0, 0.0, 2.0])
    with pytest.raises(TypeError, match="grad requires a scalar output, not an array of shape"):
        srcdiff.grad(lambda v: positives(v) * 1.0)(x)
    # a float a loop turns into an array is known to be one after the loop
    with pytest.raises(TypeError, match=r"returns an array of shape \(3,\)"):
        srcdiff.grad(a_float_a_loop_makes_an_array)(0.3)
    np.testing.assert_allclose(srcdiff.jacfwd(a_float_a_loop_makes_an_array)(0.3), 2 * V)
