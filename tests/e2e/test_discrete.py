"""NumPy's functions without a derivative (issue 16): indices (argmax, nonzero, argwhere,
searchsorted, digitize), counts (count_nonzero, bincount, unique, histogram), tests (isinf,
isclose, allclose, array_equal, logical_xor), rounding (fix, round, around), np.empty, the
compile-time queries (isscalar, iscomplexobj, result_type) and the array methods and
attributes (argmax, nonzero, clip, round, item, dtype, itemsize, nbytes, ...).

Each is used inside differentiated code as a user writes it (x[np.argmax(x)], x * mask),
and the derivative through the rest is checked against central differences in every mode
and to second order; the values against NumPy's."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import srcdiff
from srcdiff import NonDifferentiableError

from tests.numeric import assert_all_modes, central_difference

RNG = np.random.default_rng(16)
X1 = RNG.permutation(7) * 0.3 - 0.8 + RNG.uniform(0.0, 0.05, 7)  # distinct, off the edges below
X2 = (RNG.permutation(12) * 0.25 - 1.4 + RNG.uniform(0.0, 0.05, 12)).reshape(3, 4)
EDGES = np.array([-0.5, 0.0, 0.6])
F32 = X2.astype(np.float32)


# -- indices

def argmax_index(x):
    return x.ravel()[np.argmax(x)] * np.sum(np.sin(x))


def argmin_index(x):
    return np.sin(x[np.argmin(x)]) + np.sum(x * x)


def argmax_axis(x):
    return np.sum(np.sin(x) * np.argmax(x, axis=1)[:, None])


def argmin_negative_axis_keepdims(x):
    i = np.argmin(x, axis=-1, keepdims=True)
    return np.sum(np.sin(np.take_along_axis(x, i, axis=-1)))


def argmax_method(x):
    return np.sin(x.ravel()[x.argmax()])


def argmin_method_axis(x):
    return np.sum(np.cos(x[x.argmin(axis=0), np.arange(4)]))


def argmax_method_keepdims(x):
    return np.sum(x.argmax(axis=1, keepdims=True) * np.sin(x))


def nonzero_index(x):
    return np.sum(np.sin(x[np.nonzero(x > 0)]))


def nonzero_unpacked(x):
    i, j = np.nonzero(x > 0)
    return np.sum(np.sin(x[i, j]) * j)


def nonzero_method(x):
    return np.sum(np.sin(x[(x > 0).nonzero()]) ** 2)


def flatnonzero(x):
    return np.sum(np.sin(x.ravel()[np.flatnonzero(x < 0.3)]))


def argwhere(x):
    ij = np.argwhere(x > 0)
    return np.sum(np.sin(x[ij[:, 0], ij[:, 1]]))


def searchsorted(x):
    return np.sum(np.sin(x) * np.searchsorted(EDGES, x))


def searchsorted_right(x):
    return np.sum(np.sin(x) * np.searchsorted(EDGES, x, side="right"))


def searchsorted_into_x(x):
    s = np.cumsum(np.exp(x))  # increasing
    return np.sum(s[np.searchsorted(s, [1.0, 3.0])] ** 2)


def digitize(x):
    return np.sum(np.sin(x) * np.digitize(x, EDGES))


def digitize_right(x):
    return np.sum(np.cos(x) * np.digitize(x, bins=EDGES, right=True))


# -- counts

def count_nonzero(x):
    return np.count_nonzero(x > 0) * np.sum(np.sin(x))


def count_nonzero_axis(x):
    return np.sum(np.count_nonzero(x > 0, axis=0) * np.sin(x))


def count_nonzero_keepdims(x):
    return np.sum(np.count_nonzero(x > 0, axis=-1, keepdims=True) * np.sin(x))


def bincount(x):
    counts = np.bincount(np.digitize(x, EDGES), minlength=4)
    return np.sum(counts * np.sin(x[:4]))


def bincount_weights(x):
    return np.sum(np.bincount(np.digitize(x.ravel(), EDGES), weights=np.sin(x.ravel())) ** 2)


def bincount_weights_minlength(x):
    sums = np.bincount(np.digitize(x, EDGES), x * x, minlength=6)
    return np.sum(np.cos(sums) * np.arange(6.0))


def unique(x):
    u = np.unique(x)
    return np.sum(np.sin(u) * np.arange(u.size))


def unique_counts(x):
    u, counts = np.unique(np.round(x), return_counts=True)
    return np.sum(np.sin(x)) * np.sum(counts * u)


def unique_inverse(x):
    u, inverse = np.unique(x, return_inverse=True)
    return np.sum(np.sin(u[inverse]) * x)


def unique_index(x):
    u, first = np.unique(x, return_index=True)
    return np.sum(np.sin(u) * first) + np.sum(x[first] ** 2)


def unique_rows(x):
    u = np.unique(x, axis=0)
    return np.sum(np.sin(u) * np.arange(u.size).reshape(u.shape))


def unique_of_integers(x):
    return np.sum(np.unique(np.digitize(x, EDGES))) * np.sum(np.sin(x))


def histogram(x):
    counts, edges = np.histogram(x, bins=3)
    return np.sum(counts * np.sin(x[:3]))


def histogram_bins_and_range(x):
    counts, _ = np.histogram(x, EDGES)
    inside, _ = np.histogram(x, bins=2, range=(-1.0, 1.0))
    return np.sum(np.sin(x[:2]) * counts) + np.sum(inside * np.cos(x[:2]))


# -- tests and rounding

def isinf(x):
    y = np.where(np.isinf(x), 0.0, np.sin(x))
    return np.sum(y) + np.sum(np.isposinf(x) + np.isneginf(x)) * np.sum(x)


def isclose(x):
    return np.sum(np.where(np.isclose(x, 0.4, atol=0.2), 0.0, np.sin(x)))


def isclose_keywords(x):
    near = np.isclose(x, EDGES[1], rtol=0.0, atol=0.3, equal_nan=True)
    return np.sum(near * x ** 2)


def allclose(x):
    if np.allclose(x, x * 1.0):
        return np.sum(np.sin(x))
    return np.sum(x)


def allclose_false(x):
    if np.allclose(x, 0.0, atol=1e-3):
        return np.sum(x)
    return np.sum(np.cos(x))


def array_equal(x):
    return np.sum(np.sin(x)) * (1.0 + np.array_equal(x, x)) + np.array_equal(x, 2 * x)


def logical_xor(x):
    return np.sum(np.sin(x) * np.logical_xor(x > 0, x > 0.5))


def fix(x):
    return np.sum(np.sin(x) * np.fix(3 * x))


def around(x):
    return np.sum(np.sin(x) * np.around(x, 1))


def round_decimals(x):
    return np.sum(np.sin(x) * np.round(x, decimals=2) + np.round(x))


def round_method(x):
    return np.sum(np.sin(x) * x.round(1) + x.round())


# -- np.empty

def empty(x):
    a = np.empty(x.shape)
    a[...] = np.sin(x)
    return np.sum(a * x)


def empty_like(x):
    a = np.empty_like(x)
    a[:] = x ** 2
    return np.sum(np.sin(a))


CASES = [
    (argmax_index, X1), (argmax_index, X2), (argmin_index, X1), (argmax_axis, X2),
    (argmin_negative_axis_keepdims, X2), (argmax_method, X2), (argmin_method_axis, X2),
    (argmax_method_keepdims, X2), (nonzero_index, X1), (nonzero_index, X2), (nonzero_unpacked, X2),
    (nonzero_method, X1), (nonzero_method, X2), (flatnonzero, X1), (flatnonzero, X2), (argwhere, X2),
    (searchsorted, X1), (searchsorted, X2), (searchsorted_right, X1), (searchsorted_into_x, X1), (digitize, X2),
    (digitize_right, X1), (count_nonzero, X2), (count_nonzero_axis, X2), (count_nonzero_keepdims, X2),
    (bincount, X1), (bincount_weights, X2), (bincount_weights_minlength, X1), (unique, X1), (unique, X2),
    (unique_counts, X2), (unique_inverse, X1), (unique_index, X1), (unique_rows, X2),
    (unique_of_integers, X1), (histogram, X1), (histogram_bins_and_range, X1), (isinf, X2), (isclose, X1),
    (isclose_keywords, X2), (allclose, X1), (allclose_false, X1), (array_equal, X2), (logical_xor, X1),
    (fix, X2), (around, X1), (round_decimals, X2), (round_method, X1), (empty, X2), (empty_like, X1),
    (argmax_index, F32), (nonzero_index, F32), (unique, F32),
]
IDS = [f"{f.__name__}-{np.ndim(x)}d{'-f32' if x.dtype == np.float32 else ''}" for f, x in CASES]


@pytest.mark.parametrize("op, x", CASES, ids=IDS)
def test_values_match_numpy(op, x):
    value, _ = srcdiff.value_and_grad(op)(x)
    np.testing.assert_array_equal(value, op(x))


@pytest.mark.parametrize("op, x", CASES, ids=IDS)
def test_derivatives_in_every_mode_and_second_order(op, x):
    if x.dtype == np.float32:
        g = srcdiff.grad(op)(x)
        np.testing.assert_allclose(g, central_difference(op, (x.astype(float),), 0), rtol=1e-3, atol=1e-4)
        return
    assert_all_modes(op, (x,))


def argmax_scalar(x):
    return x[np.argmax(x)]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-10, 10, allow_nan=False), min_size=1, max_size=8, unique=True))
def test_the_gradient_of_the_max_through_argmax_is_one_hot(values):
    x = np.array(values)
    g = srcdiff.grad(argmax_scalar)(x)
    np.testing.assert_array_equal(g, np.eye(x.size)[np.argmax(x)])


def unique_sum(x):
    return np.sum(np.unique(x) ** 2)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(-3, 3), min_size=1, max_size=8))
def test_unique_of_repeated_values_passes_the_derivative_to_the_first_occurrence(values):
    """Repeated values are one element of np.unique: only its first occurrence gets 2 u."""
    x = np.array(values, dtype=float)
    g = srcdiff.grad(unique_sum)(x)
    _, first = np.unique(x, return_index=True)
    expected = np.zeros_like(x)
    expected[first] = 2 * x[first]
    np.testing.assert_array_equal(g, expected)
    np.testing.assert_array_equal(srcdiff.value_and_grad(unique_sum)(x)[0], unique_sum(x))


# -- decided when compiling

def queries(x):
    scale = 2.0 if np.isscalar(x) else 3.0
    if np.iscomplexobj(x):
        scale = 0.0
    return np.sum(np.sin(x) * scale).astype(np.result_type(x, 1.0))


def test_shape_queries_are_decided_when_compiling():
    for x in (X1, 0.7):
        assert_all_modes(queries, (x,))
    code = srcdiff.source(srcdiff.grad(queries), X1)
    assert "isscalar" not in code and "iscomplexobj" not in code and "result_type" not in code
    assert srcdiff.grad(queries)(0.7) == pytest.approx(2.0 * np.cos(0.7))


def result_type_of_float32(x):
    return np.zeros(3, np.result_type(x, np.float32)) + x[:3]


def test_result_type_follows_numpy_promotion():
    out, _ = srcdiff.vjp(result_type_of_float32, F32[0])
    assert out.dtype == np.float32
    out, _ = srcdiff.vjp(result_type_of_float32, X1)
    assert out.dtype == np.float64


# -- array methods and attributes

def methods(x):
    c = x.cumsum()
    k = x.clip(-0.5, 0.5) + x.clip(min=0.0) + x.clip(max=0.2)
    r = x.round(1)
    t = x.any() + x.all()
    return np.sum(np.sin(c) * k * r) * t


def matrix_methods(x):
    d = x.diagonal()
    s = x.swapaxes(0, 1)
    t = x.take([0, 2])
    r = x.repeat(2, axis=0)
    return np.sum(np.sin(d)) + np.sum(s[0] ** 2) + np.sum(t * t) + np.sum(np.cos(r)) + np.sum(x.conj() * x.real)


def imag_is_zero(x):
    return np.sum(np.sin(x) + x.imag)


def item(x):
    return np.sin(x[1:2, 2:3].item()) * x[0, 0].item() + x[-1, -1:].item() ** 2


def dtype_decides(x):
    y = x.astype(x.dtype) * 2.0
    z = np.zeros(x.shape, x.dtype) + x
    if x.dtype == np.float32:
        return np.sum(np.sin(y + z)) * 2.0
    return np.sum(np.sin(y + z)) * (x.itemsize + x.nbytes / x.size)


@pytest.mark.parametrize("op, x", [(methods, X1), (matrix_methods, X2), (imag_is_zero, X2), (item, X2),
                                   (dtype_decides, X2)], ids=["methods", "matrix_methods", "imag", "item", "dtype"])
def test_array_methods(op, x):
    value, _ = srcdiff.value_and_grad(op)(x)
    np.testing.assert_allclose(value, op(x), rtol=1e-15)
    assert_all_modes(op, (x,))


def test_dtype_is_a_compile_time_value():
    g32 = srcdiff.grad(dtype_decides)(F32)
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, 6.0 * np.cos(3.0 * F32.astype(float)), rtol=1e-5)  # the float32 branch
    code = srcdiff.source(srcdiff.grad(dtype_decides), X2)
    assert "x.dtype" not in code and "itemsize" not in code and "nbytes" not in code and "if " not in code
    out, _ = srcdiff.vjp(lambda_free_nbytes, X2)
    assert out == X2.nbytes + 0.0


def lambda_free_nbytes(x):
    return x.nbytes + 0.0 * np.sum(x)


def item_of_a_float(x):
    return np.sin(x).item() + x.item() ** 2


def test_item_of_a_0d_array_to_second_order():
    assert_all_modes(item_of_a_float, (np.asarray(0.4),))
    value, _ = srcdiff.vjp(item_of_a_float, np.asarray(0.4))
    assert type(value) is float


# -- emitted code

def test_the_derivative_code_reads_as_written():
    code = srcdiff.source(srcdiff.grad(argmax_index), X1)
    assert "argmax_x = np.argmax(x)" in code and "[argmax_x] = np.sum(np.sin(x))" in code
    code = srcdiff.source(srcdiff.grad(argmax_axis), X2)
    assert "np.argmax(x, axis=1)" in code
    code = srcdiff.source(srcdiff.grad(unique), X1)
    assert "np.unique(x, return_index=True)" in code
    code = srcdiff.source(srcdiff.grad(bincount_weights_minlength), X1)
    assert "np.bincount(" in code and "minlength=6" in code
    code = srcdiff.source(srcdiff.grad(empty), X2)
    assert "np.empty" not in code  # emitted as np.zeros: nothing read before it is written is garbage
    code = srcdiff.source(srcdiff.grad(searchsorted_right), X1)
    assert "side='right'" in code


# -- refusals

def histogram_traced_weights(x):
    return np.sum(np.histogram(x, bins=3, weights=x)[0])


def argmax_out(x):
    out = np.zeros((), dtype=int)
    return x[np.argmax(x, out=out)]


def item_of_many(x):
    return x.item() * 2.0


def item_with_index(x):
    return x.item(0) * 2.0


def traced_axis(x):
    return np.sum(x * np.argmax(x, axis=np.argmin(x)))


def bincount_of_floats(x):
    return np.sum(np.bincount(np.array([0.5, 1.5]), weights=x[:2]))


def dtype_of_a_float(x):
    return x * (x.dtype == np.float64)


@pytest.mark.parametrize("op, x, message", [
    (histogram_traced_weights, X1, "np.histogram's weights computed from the inputs"),
    (argmax_out, X1, "np.argmax's out is not supported"),
    (item_of_many, X1, r"x.item\(\) of an array of shape \(7,\)"),
    (item_with_index, X1, r"x.item\(i\) is not supported"),
    (traced_axis, X2, "np.argmax's axis must be known when compiling"),
    (bincount_of_floats, X1, "np.bincount of float64 values"),
    (dtype_of_a_float, 0.5, "a Python number has no dtype"),
])
def test_refusals_are_located(op, x, message):
    with pytest.raises(NonDifferentiableError, match=message) as info:
        srcdiff.grad(op)(x)
    assert "test_discrete.py:" in str(info.value)


def binned(x):
    return np.sum(np.sin(x) * np.digitize(x, EDGES) + np.cos(x) * np.searchsorted(EDGES, x, side="right"))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-3, 3, allow_nan=False), min_size=1, max_size=6))
def test_indices_are_constants_of_the_derivative(values):
    """d/dx of sin(x) * digitize(x) is cos(x) * digitize(x) wherever x is off an edge: the index
    carries no derivative, whatever the values."""
    x = np.array(values)
    g = srcdiff.grad(binned)(x)
    expected = np.cos(x) * np.digitize(x, EDGES) - np.sin(x) * np.searchsorted(EDGES, x, side="right")
    np.testing.assert_allclose(g, expected, rtol=1e-12, atol=1e-15)
