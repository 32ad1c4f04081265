"""Rules that hold for all inputs, checked with hypothesis against central differences."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from srcdiff import grad

from tests.numeric import central_difference


def add(x, y, w):
    return np.sum((x + y) * w)


def sub(x, y, w):
    return np.sum((x - y) * w)


def mul(x, y, w):
    return np.sum(x * y * w)


def div(x, y, w):
    return np.sum(x / y * w)


def power(x, y, w):
    return np.sum(x ** y * w)


def maximum(x, y, w):
    return np.sum(np.maximum(x, y) * w)


def hypot(x, y, w):
    return np.sum(np.hypot(x, y) * w)


OPS = [add, sub, mul, div, power, maximum, hypot]


@st.composite
def broadcast_operands(draw):
    """Two float arrays whose shapes broadcast (scalars, rows, columns, leading axes), and a weight."""
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3))
    x_shape, y_shape = shapes.input_shapes
    values = st.floats(0.5, 2.0)  # positive and away from 0 keeps pow, div and hypot smooth
    x = draw(hnp.arrays(np.float64, x_shape, elements=values))
    y = draw(hnp.arrays(np.float64, y_shape, elements=values))
    w = draw(hnp.arrays(np.float64, shapes.result_shape, elements=st.floats(-1.0, 1.0)))
    return x, y, w


@settings(max_examples=60, deadline=None)
@given(op=st.sampled_from(OPS), operands=broadcast_operands())
def test_binary_adjoints_match_differences_and_come_back_in_operand_shape(op, operands):
    x, y, w = operands
    if op is maximum:
        y = y + 0.01 * np.sign(x - y + 1e-3) * (np.abs(x - y) < 1e-3)  # keep away from ties
    gx, gy = grad(op, argnums=(0, 1))(x, y, w)
    assert np.shape(gx) == np.shape(x) and np.shape(gy) == np.shape(y)
    np.testing.assert_allclose(gx, central_difference(op, (x, y, w), 0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(gy, central_difference(op, (x, y, w), 1), rtol=1e-5, atol=1e-7)


def reduce_sum(x, w):
    return np.sum(np.sum(x, axis=1, keepdims=True) * w)


@settings(max_examples=30, deadline=None)
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=3, max_side=4), elements=st.floats(-3, 3)))
def test_sum_spreads_the_adjoint_over_the_reduced_axis(x):
    w = np.cos(np.arange(np.prod(np.sum(x, axis=1, keepdims=True).shape))).reshape(
        np.sum(x, axis=1, keepdims=True).shape)
    expected = np.broadcast_to(w, x.shape)
    np.testing.assert_allclose(grad(reduce_sum)(x, w), expected, rtol=1e-14)


def relu_sum(x):
    return np.sum(np.maximum(x, 0))


@settings(max_examples=40, deadline=None)
@given(x=hnp.arrays(np.float64, st.integers(1, 6), elements=st.sampled_from([-1.5, -0.0, 0.0, 0.25, 2.0])))
def test_relu_derivative_is_exactly_the_step_with_zero_at_zero(x):
    np.testing.assert_array_equal(grad(relu_sum)(x), (x > 0).astype(float))
