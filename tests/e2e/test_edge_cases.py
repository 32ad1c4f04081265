"""Numerical edge cases: what srcdiff gives at kinks, zeros and infinities (see README)."""
import numpy as np
import pytest

from srcdiff import grad

from tests.numeric import central_difference


def power_zero(x):
    return x ** 0


def zero_power(y, x):
    return x ** y


def root(x):
    return np.sqrt(x)


def logarithm(x):
    return np.log(x)


def absolute(x):
    return np.abs(x)


def relu(x):
    return np.sum(np.maximum(x, 0.0))


def tie(x, y):
    return np.maximum(x, y)


def test_x_to_the_zero_has_derivative_zero_even_at_zero():
    assert grad(power_zero)(0.0) == 0.0
    assert grad(power_zero)(2.5) == 0.0


def power_series(x):
    s = 0.0
    for k in range(4):
        s = s + x ** k
    return s


def power_by_argument(x, k):
    return x ** k


def powers_of_an_array(x):
    return np.sum(x ** np.array([0, 1, 2, 3]))


def test_x_to_a_power_not_known_when_compiling_has_derivative_zero_at_zero_where_the_power_is_zero():
    # the k = 0 term: 0 * 0 ** -1 was nan, and a ZeroDivisionError for jvp on Python floats
    import srcdiff

    assert grad(power_series)(0.0) == 1.0
    assert grad(power_series)(2.0) == 1.0 + 4.0 + 12.0
    assert srcdiff.jvp(power_series, (0.0,), (1.0,))[1] == 1.0
    assert srcdiff.hessian(power_series)(0.0) == 2.0
    assert grad(grad(power_series))(0.0) == 2.0
    assert grad(power_by_argument)(0.0, 0) == 0.0
    assert grad(power_by_argument)(0.0, 1) == 1.0
    assert grad(power_by_argument)(3.0, 2) == 6.0
    np.testing.assert_array_equal(grad(powers_of_an_array)(np.zeros(4)), [0.0, 1.0, 0.0, 0.0])


def test_zero_to_the_y_has_derivative_zero_in_y():
    assert grad(zero_power)(2.0, 0.0) == 0.0
    assert grad(zero_power)(2.0, 3.0) == pytest.approx(9.0 * np.log(3.0), rel=1e-14)


def test_sqrt_and_log_at_zero_are_infinite_as_in_numpy():
    with np.errstate(divide="ignore"):
        assert grad(root)(0.0) == np.inf
        assert grad(logarithm)(0.0) == np.inf


def test_kinks_take_the_course_convention():
    assert grad(absolute)(0.0) == 0.0
    np.testing.assert_array_equal(grad(relu)(np.array([-1.0, 0.0, 2.0])), [0.0, 0.0, 1.0])
    assert grad(tie, argnums=(0, 1))(1.0, 1.0) == (0.5, 0.5)


def test_inf_and_nan_inputs_propagate():
    with np.errstate(invalid="ignore"):
        assert np.isnan(grad(root)(np.nan))
        assert grad(root)(np.inf) == 0.0


def test_float32_stays_float32():
    x = np.array([0.5, 2.0], dtype=np.float32)
    g = grad(sin_sum)(x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, np.cos(x), rtol=1e-6)


def sin_sum(x):
    return np.sum(np.sin(x))


# A local derivative that is infinite where a value never reaches the output (the other side
# of np.where, an element overwritten later) contributes 0, not 0 * inf = nan (issue 14)


def root_then_overwritten(x):
    z = np.sqrt(x)
    z[0] = 1.0
    return np.sum(z)


def root_on_the_other_side_of_where(x):
    return np.sum(np.where(x > 0, np.sqrt(x), 0.0))


def logarithm_written_then_overwritten(x):
    z = x * 1.0
    z[0] = np.log(x[0])
    z[0] = 2.0
    return np.sum(z)


def logarithm_partly_overwritten(x):
    w = np.log(x) * 1.0
    w[:2] = 0.0
    return np.sum(w * x)


def chain_under_where(x):
    return np.sum(np.where(x > 0, np.log(x) * 2.0 + 1.0, x))


NEVER_REACHED = [(root_then_overwritten, [0.0, 0.5, 0.25]), (root_on_the_other_side_of_where, [0.0, 0.5, 0.25]),
                 (logarithm_written_then_overwritten, [0.0, 1.0, 1.0]),
                 (logarithm_partly_overwritten, [0.0, 0.0, np.log(4.0) + 1.0]),
                 (chain_under_where, [1.0, 2.0, 0.5])]


@pytest.mark.parametrize("f, expected", NEVER_REACHED, ids=[f.__name__ for f, _ in NEVER_REACHED])
def test_an_infinite_derivative_where_nothing_reaches_the_output_gives_zero(f, expected):
    import srcdiff

    x = np.array([0.0, 1.0, 4.0])
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(grad(f)(x), expected, rtol=1e-14)
        np.testing.assert_allclose(srcdiff.jacfwd(f)(x), expected, rtol=1e-14)
        hessian = srcdiff.hessian(f)(x)
        assert np.all(np.isfinite(hessian))
        np.testing.assert_array_equal(hessian[0], 0.0)


# np.prod's derivative is the product of the other elements, not out / x: right where an
# input is 0 (it was nan there), to every order


def product(x):
    return np.prod(x)


def products_along_rows(X):
    return np.sum(np.prod(X, axis=1) * np.array([1.0, 2.0]))


def products_along_two_axes(X):
    return np.sum(np.prod(X, axis=(0, 2)) ** 2)


@pytest.mark.parametrize("f, x", [
    (product, np.array([0.0, 1.5, -2.0, 0.0])),
    (product, np.array([0.0, 1.5, -2.0, 3.0])),
    (product, np.array([0.7, 1.5, -2.0, 3.0])),
    (products_along_rows, np.array([[0.0, 1.5, -2.0], [0.5, 0.0, 0.0]])),
    (products_along_two_axes, np.arange(24.0).reshape(2, 3, 4) / 10 - 1.0),
], ids=["two zeros", "one zero", "no zero", "rows with zeros", "two axes"])
def test_the_derivative_of_a_product_is_right_at_zeros(f, x):
    import srcdiff

    g = grad(f)
    np.testing.assert_allclose(g(x), central_difference(f, (x,), 0), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(srcdiff.hessian(f)(x), central_difference(g, (x,), 0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(srcdiff.jacrev(g)(x), srcdiff.hessian(f)(x), rtol=1e-12, atol=1e-12)
