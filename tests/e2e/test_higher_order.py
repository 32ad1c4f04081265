"""Reverse mode over reverse mode through loops, branches and lists (issue 14).

A derivative's loop reads what its forward loop recorded; differentiating it again sends
the records' adjoints back to the recorded values, and runs the backward loop of a backward
loop forwards. Each second derivative is compared with central differences of the first,
in three compositions: grad(grad(f)), jacrev(grad(f)) and hessian(f) (forward over reverse)."""
import numpy as np
import pytest

import srcdiff

from tests.numeric import central_difference


def power_series(x):
    s = 0.0
    for i in range(5):
        s = s + x ** i  # grad(grad(f)) read a record of i in the wrong order: 3.22 for 38
    return s


def sine_loop(x):
    y = x
    for _ in range(3):
        y = np.sin(y) * x
    return y


def counted_while(x):
    y = x
    n = 0
    while n < 4:
        y = y * np.cos(y) + x
        n = n + 1
    return y


def data_dependent_while(x):
    y = x
    while y < 10.0:
        y = y * 1.7 + x * x
    return y


def appended_then_stacked(x):
    hs = []
    h = x
    for i in range(3):
        h = np.tanh(h * 1.3 + 0.2)
        hs.append(h)
    return np.sum(np.stack(hs) ** 2)


def appended_then_summed(x):
    hs = []
    h = x
    for i in range(3):
        h = np.tanh(h * 1.3 + 0.2)
        hs.append(h)
    return sum(hs) * hs[-1]


def nested_loops(x):
    s = 0.0
    for i in range(3):
        for j in range(2):
            s = s + np.sin(x * i + j) * s
    return s + x


def if_elif_else(x):
    if x > 1:
        y = x * x
    elif x > 0:
        y = 3.0 * x
    else:
        y = x ** 3
    return y * np.sin(y)


def branch_in_a_loop(x):
    s = x
    for i in range(4):
        if s > 1.0:
            s = s * 0.5 + np.sin(x)
        else:
            s = s * s + x
    return s


def loop_with_break(x):
    s = x
    for i in range(10):
        s = s * 1.3 + 0.1 * x
        if s > 5.0:
            break
    return s


def constant_on_one_side(x):
    if x > 0:
        y = 2.0 * x
    else:
        y = 5.0
    return y * x


def reversed_range(x):
    s = 0.0
    for i in reversed(range(1, 7, 2)):
        s = s * x + i / 7
    return s


SCALARS = [(power_series, 1.5), (power_series, 0.0), (sine_loop, 0.7), (counted_while, 0.7),
           (data_dependent_while, 0.7), (appended_then_stacked, 0.4), (appended_then_summed, 0.4),
           (nested_loops, 0.3), (if_elif_else, 1.5), (if_elif_else, 0.5), (if_elif_else, -0.5),
           (branch_in_a_loop, 0.8), (loop_with_break, 0.9), (constant_on_one_side, 0.5),
           (constant_on_one_side, -0.5), (reversed_range, 0.6)]


@pytest.mark.parametrize("f, x", SCALARS, ids=[f"{f.__name__}({x})" for f, x in SCALARS])
@pytest.mark.parametrize("composition", ["grad(grad)", "jacrev(grad)", "hessian"])
def test_second_derivative_of_a_scalar_function(f, x, composition):
    g = srcdiff.grad(f)
    expected = central_difference(g, (x,), 0)
    make = {"grad(grad)": lambda: srcdiff.grad(g), "jacrev(grad)": lambda: srcdiff.jacrev(g),
            "hessian": lambda: srcdiff.hessian(f)}[composition]
    assert make()(x) == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_third_derivative_through_a_loop():
    x = 0.7
    gg = srcdiff.grad(srcdiff.grad(sine_loop))
    assert srcdiff.grad(gg)(x) == pytest.approx(central_difference(gg, (x,), 0), rel=1e-5)
    assert srcdiff.grad(srcdiff.grad(srcdiff.grad(power_series)))(2.0) == pytest.approx(6.0 + 24.0 * 2.0)


def rnn(W, X):
    h = np.zeros(W.shape[0])
    for t in range(X.shape[0]):
        h = np.tanh(W @ h + X[t])
    return np.sum(h ** 2)


def item_writes_in_a_loop(x):
    z = np.zeros(3)
    for i in range(3):
        z[i] = np.sin(x[i]) * x[(i + 1) % 3]
    return np.sum(z * z)


def test_hessians_of_array_functions_through_loops_both_ways():
    W = np.array([[0.3, -0.2], [0.1, 0.4]])
    X = np.array([[0.5, -0.3], [0.2, 0.1], [-0.4, 0.6]])
    x = np.array([0.3, 1.2, -0.7])
    for f, args in [(rnn, (W, X)), (item_writes_in_a_loop, (x,))]:
        g = srcdiff.grad(f)
        expected = central_difference(g, args, 0)
        np.testing.assert_allclose(srcdiff.jacrev(g)(*args), expected, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(srcdiff.hessian(f)(*args), expected, rtol=1e-5, atol=1e-7)


def test_a_records_adjoints_are_added_in_place():
    # the backward loop of a backward loop adds into its list of adjoints item by item,
    # not into a copy of the whole list at every iteration
    source = srcdiff.source(srcdiff.grad(srcdiff.grad(sine_loop)), 0.7)
    assert "list(" not in source
    assert source.count("_saved.append") == len(set(line.strip() for line in source.splitlines()
                                                    if "_saved.append" in line))


# Found by the higher-order tester (tests/random/test_higher_fuzz.py)

SPREAD = np.array([0.5, -1.0, 2.0])


def float_becomes_an_array_in_an_inner_loop(x):
    a = 0.0
    for i in range(2):
        b = 1.0
        for j in range(2):
            b = b * (SPREAD * x)  # a loop's record of an inner loop's records: a list of lists
        a = a + b
    return np.sum(a)


def loop_invariant_quotient(x, y):
    d = 0.0
    for i in range(3):
        d = d + x / (1.0 + y ** 2)  # the quotient's dividend x is made before the loop
    return d[2]


def overflow_rebound_on_the_path_taken(x):
    a = np.exp(SPREAD * x * 1000.0)  # inf, and rebound before it is read when x > -0.2
    if x > -0.2:
        a = SPREAD * x
    return np.sum(a)


def test_what_the_higher_order_tester_found():
    x = -0.1368
    g = srcdiff.grad(float_becomes_an_array_in_an_inner_loop)
    assert srcdiff.grad(g)(x) == pytest.approx(central_difference(g, (x,), 0), rel=1e-6)
    X = np.array([0.3, -0.5, 0.8])
    assert srcdiff.grad(loop_invariant_quotient, argnums=1)(X, 0.4) == pytest.approx(
        central_difference(loop_invariant_quotient, (X, 0.4), 1), rel=1e-6)
    with np.errstate(over="ignore", invalid="ignore"):
        assert srcdiff.grad(overflow_rebound_on_the_path_taken)(0.5) == pytest.approx(1.5)


def carried_array_recorded_then_added_to(x):
    a = SPREAD * x
    s = 0.0
    for i in range(2):
        a = a + SPREAD  # was a += SPREAD on the array the record of a also held
        s = s + np.sum(a * a)
    return s


def test_a_value_a_loop_records_is_not_changed_in_place_afterwards():
    assert srcdiff.grad(carried_array_recorded_then_added_to)(0.9) == pytest.approx(
        central_difference(carried_array_recorded_then_added_to, (0.9,), 0), rel=1e-7)


def inner_loop_on_some_iterations(x):
    a = x * 0.5
    for j in range(3):
        if x * j > 0.5:
            s = 0.0
            for i in range(3):
                s = s + a ** i
            b = s
        else:
            b = np.sin(x)
        a = a + b * 0.3
    return a * a


def test_third_and_fourth_derivatives_where_a_branch_records_on_some_iterations_only():
    # the record of the inner loop's records holds None for the iterations that took the
    # other side; the third derivative made list zeros of that None (a TypeError in the
    # emitted code, higher-order survey seed 7070)
    g2 = srcdiff.grad(srcdiff.grad(inner_loop_on_some_iterations))
    g3 = srcdiff.grad(g2)
    for x in (0.4, 0.9):
        assert g3(x) == pytest.approx(central_difference(g2, (x,), 0), rel=1e-5)
        assert srcdiff.grad(g3)(x) == pytest.approx(central_difference(g3, (x,), 0), rel=1e-5)


def float32_loop_of_powers(x, y):
    s = x[1] * 0.0
    for i in range(2):
        s = s + x[1] ** i / (i + 1)
    return np.sum(x + s) + y


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_python_float_argument_stays_weak_where_every_power_is_integral():
    # x ** i with i a loop index made every Python float argument an np.float64 (the check
    # read the emitted source, where i could be anything), so a float32 f's value was float64
    x = np.array([0.27, -0.46, -0.92], np.float32)
    value, dx = srcdiff.value_and_grad(float32_loop_of_powers)(x, -0.97)
    assert value.dtype == np.float32 and dx.dtype == np.float32
    assert value == pytest.approx(float32_loop_of_powers(x, -0.97), rel=1e-6)
    np.testing.assert_allclose(dx, central_difference(lambda v: float32_loop_of_powers(v, -0.97),
                                                      (x.astype(float),), 0), rtol=1e-3)
    # a fractional power of a negative Python float is NumPy's nan, not Python's complex
    assert np.isnan(srcdiff.grad(fractional_power)(-1.0))


def fractional_power(x):
    return x ** 0.5


ARR3 = np.array([0.5, -1.0, 2.0])


def array_output_of_unknown_shape(x):
    b = 1.0
    i = 0
    while i < 3:
        b = b - ARR3 * 0.5
        i = i + 1
    d = b[-1] * x - b
    d[np.array([1, 1, 0])] += ARR3
    return d + d


def test_grad_of_an_array_output_of_unknown_shape_is_refused_for_what_it_is():
    # the seed was taken for 0-d while compiling, so the index of its adjoint was refused with
    # NumPy's "too many indices for array" (higher-order survey, seed 5555); the output's own
    # check refuses it when the gradient runs, as for any array output
    with pytest.raises(TypeError, match="grad requires a scalar output"):
        srcdiff.grad(array_output_of_unknown_shape)(-0.97)
    jac = srcdiff.jacfwd(array_output_of_unknown_shape)(-0.97)
    np.testing.assert_allclose(jac, central_difference(array_output_of_unknown_shape, (-0.97,), 0), rtol=1e-7)
