"""The statistics of issue 16: np.average (weights, returned, keepdims), np.ptp, the nan
reductions and nanmedian/nanpercentile/nanquantile (with NaNs in the input: central differences on the other entries, and a zero
gradient on the NaNs), np.sort, np.partition, np.argsort and np.argpartition, np.median,
np.percentile and np.quantile, in every spelling and axis form NumPy takes, against NumPy's
values and central differences in forward and reverse mode and to second order."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import srcdiff
from srcdiff import NonDifferentiableError

from tests.numeric import assert_all_modes, central_difference

RNG = np.random.default_rng(16)


def distinct(*shape, dtype=np.float64):
    """Values at least 0.1 apart, so that a sort, a max or a median picks elements that a small
    step does not change."""
    n = int(np.prod(shape))
    return (RNG.permutation(n) * 0.3 - 0.15 * n + RNG.uniform(0.0, 0.05, size=n)).reshape(shape).astype(dtype)


X1, X2, X3 = distinct(5), distinct(3, 4), distinct(2, 3, 4)
X0 = np.asarray(0.7)
W4, W3 = RNG.uniform(0.5, 2.0, size=4), RNG.uniform(0.5, 2.0, size=3)


def sort(x):
    return np.sort(x)


def sort_first(x):
    return np.sort(x, axis=0)


def sort_negative_axis(x):
    return np.sort(x, axis=-2, kind="stable")


def sort_flat(x):
    return np.sort(x, axis=None)


def sort_kind_keyword(x):
    return np.sort(x, -1, "mergesort")


def sort_stable_keyword(x):
    return np.sort(x, stable=True)


def partition(x):
    return np.partition(x, 2)


def partition_axis(x):
    return np.partition(x, 1, axis=0)


def partition_kths(x):
    return np.partition(x, (0, -1), axis=-1)


def partition_flat(x):
    return np.partition(x, 3, axis=None)


def sorted_by_argsort(x):
    return np.take_along_axis(x, np.argsort(x, axis=-1), axis=-1)


def sorted_by_argsort_method(x):
    return x[x.argsort()]


def smallest_by_argpartition(x):
    return x[np.argpartition(x, 1)[:2]]


def ptp(x):
    return np.ptp(x)


def ptp_axis(x):
    return np.ptp(x, axis=1)


def ptp_keepdims(x):
    return np.ptp(x, axis=-1, keepdims=True)


def ptp_axes(x):
    return np.ptp(x, (0, 2))


def average(x):
    return np.average(x)


def average_axis(x):
    return np.average(x, axis=0)


def average_weights_along_last(x):
    return np.average(x, axis=-1, weights=W4)


def average_weights_list(x):
    return np.average(x, axis=0, weights=[1.0, 2.0, 0.5])


def average_weights_same_shape(x):
    return np.average(x, weights=x * x + 1.0)


def average_keepdims(x):
    return np.average(x, 0, np.arange(1.0, 4.0), keepdims=True)


def average_returned(x):
    avg, total = np.average(x, axis=-1, weights=W4, returned=True)
    return avg * total


def average_returned_unweighted(x):
    avg, count = np.average(x, axis=0, returned=True)
    return avg + count


def median(x):
    return np.median(x)


def median_axis(x):
    return np.median(x, axis=0)


def median_negative_axis_keepdims(x):
    return np.median(x, axis=-1, keepdims=True)


def median_axes(x):
    return np.median(x, axis=(0, 2))


def quantile(x):
    return np.quantile(x, 0.3)


def quantile_axis(x):
    return np.quantile(x, 0.75, axis=1)


def quantile_list_keepdims(x):
    return np.quantile(x, [0.0, 0.4, 1.0], axis=-1, keepdims=True)


def quantile_matrix(x):
    return np.quantile(x, np.array([[0.1, 0.5], [0.65, 0.9]]), axis=0)


def quantile_method(x):
    return np.quantile(x, 0.6, method="linear")


def percentile(x):
    return np.percentile(x, 35)


def percentile_axes(x):
    return np.percentile(x, [25, 50], axis=(-1, 0))


def percentile_keepdims(x):
    return np.percentile(x, q=90.0, axis=None, keepdims=True)


CASES = [
    (sort, X1), (sort, X2), (sort, X3), (sort_first, X2), (sort_first, X3), (sort_negative_axis, X3),
    (sort_flat, X2), (sort_flat, X3), (sort_kind_keyword, X2), (sort_stable_keyword, X1),
    (sort, distinct(3, 4, dtype=np.float32)),
    (partition, X1), (partition, X2), (partition_axis, X2), (partition_kths, X3), (partition_flat, X2),
    (sorted_by_argsort, X2), (sorted_by_argsort_method, X1), (smallest_by_argpartition, X1),
    (ptp, X1), (ptp, X2), (ptp_axis, X2), (ptp_keepdims, X3), (ptp_axes, X3),
    (average, X2), (average_axis, X2), (average_weights_along_last, X2), (average_weights_along_last, X3),
    (average_weights_list, X2), (average_weights_same_shape, X2), (average_keepdims, X2),
    (average_returned, X2), (average_returned_unweighted, X2), (average, distinct(3, 4, dtype=np.float32)),
    (median, X1), (median, X2), (median, X3), (median_axis, X2), (median_axis, X3),
    (median_negative_axis_keepdims, X2), (median_negative_axis_keepdims, X1), (median_axes, X3),
    (quantile, X1), (quantile, X2), (quantile_axis, X2), (quantile_list_keepdims, X3), (quantile_matrix, X2),
    (quantile_method, X3), (percentile, X1), (percentile, X3), (percentile_axes, X3), (percentile_keepdims, X2),
    (median, distinct(4, 3, dtype=np.float32)),
]
IDS = [f"{f.__name__}-{np.ndim(x)}d{'-f32' if x.dtype == np.float32 else ''}" for f, x in CASES]
DOUBLE = [(f, x) for f, x in CASES if x.dtype == np.float64]
DOUBLE_IDS = [i for i, (f, x) in zip(IDS, CASES) if x.dtype == np.float64]


def weighted(op):
    """A scalar loss of op(x): sin of each element, weighted by its place."""
    def loss(x):
        y = op(x)
        return np.sum(np.sin(y) * np.cos(np.arange(np.size(y)) + 1.0).reshape(np.shape(y)))

    return loss


@pytest.mark.parametrize("op, x", CASES, ids=IDS)
def test_values_match_numpy(op, x):
    out, _ = srcdiff.vjp(op, x)
    expected = op(x)
    assert np.shape(out) == np.shape(expected)
    assert np.result_type(out) == np.result_type(expected)
    np.testing.assert_allclose(out, expected, rtol=1e-6 if x.dtype == np.float32 else 1e-13, atol=1e-13)


@pytest.mark.parametrize("op, x", CASES, ids=IDS)
def test_derivatives_of_the_function(op, x):
    tol = {"rtol": 1e-2, "atol": 1e-2} if x.dtype == np.float32 else {}
    assert_all_modes(op, (x,), order=1, **tol)


@pytest.mark.parametrize("op, x", DOUBLE, ids=DOUBLE_IDS)
def test_second_order_of_a_loss(op, x):
    assert_all_modes(weighted(op), (x,))


def test_the_weights_are_differentiated():
    def f(x, w):
        return np.average(x, axis=1, weights=w) ** 2

    def g(x, w):
        avg, total = np.average(x, weights=w, returned=True)
        return np.sin(avg) * total

    for op, w in ((f, W4), (g, RNG.uniform(0.5, 2.0, size=X2.shape))):
        np.testing.assert_allclose(srcdiff.vjp(op, X2, w)[0], op(X2, w), rtol=1e-13)
        assert_all_modes(op, (X2, w), argnum=1, order=1)
        if np.ndim(op(X2, w)) == 0:
            assert_all_modes(op, (X2, w), argnum=1)
            assert_all_modes(op, (X2, w), argnum=0)


def test_sorted_values_in_a_program():
    """A trimmed mean: the sorted array's middle, whose gradient goes to the middle elements."""
    def trimmed(x):
        s = np.sort(x)
        return np.mean(s[1:-1] ** 2)

    assert_all_modes(trimmed, (X1,))
    g = srcdiff.grad(trimmed)(X1)
    assert g[np.argmin(X1)] == 0.0 and g[np.argmax(X1)] == 0.0


def test_ties_split_as_max_and_min_do():
    x = np.array([1.0, 3.0, 3.0, -2.0])
    np.testing.assert_allclose(srcdiff.grad(ptp)(x), [0.0, 0.5, 0.5, -1.0])


def test_ties_in_a_sort_follow_the_stable_order():
    """Tied elements: the first (in the stable sort) takes the first place's gradient."""
    def first_of_sorted(x):
        return np.sort(x)[1]

    np.testing.assert_array_equal(srcdiff.grad(first_of_sorted)(np.array([2.0, 1.0, 1.0, 0.0])), [0, 1, 0, 0])


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 7), q=st.floats(0.0, 1.0), seed=st.integers(0, 2 ** 16))
def test_quantiles_of_any_length_match_numpy_and_differences(n, q, seed):
    x = np.random.default_rng(seed).permutation(n) * 0.5 + np.random.default_rng(seed).uniform(0, 0.1, size=n)

    def f(x):
        return np.quantile(x, q) ** 2 + np.median(x)

    np.testing.assert_allclose(srcdiff.vjp(f, x)[0], f(x), rtol=1e-13)
    np.testing.assert_allclose(srcdiff.grad(f)(x), central_difference(f, (x,), 0), rtol=1e-5, atol=1e-7)


WEIGHTS = np.cos(np.arange(24.0))


def weighted_sort(x):
    return np.sum(np.sort(x, axis=-1) * WEIGHTS[:x.shape[-1]])


@settings(max_examples=25, deadline=None)
@given(shape=st.sampled_from([(1,), (5,), (2, 3), (3, 1), (2, 2, 4)]), seed=st.integers(0, 2 ** 16),
       ties=st.booleans())
def test_the_gradient_of_a_sort_is_its_permutation(shape, seed, ties):
    """d/dx of sum(w * sort(x)) puts each weight on the element the stable sort put there,
    ties too (the first of a tie, in the stable order, takes the first place's weight)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, size=shape).astype(float) if ties else rng.permutation(int(np.prod(shape))).reshape(shape) * 1.0
    order = np.argsort(x, axis=-1, kind="stable")
    expected = np.zeros_like(x)
    np.put_along_axis(expected, order, np.broadcast_to(WEIGHTS[:shape[-1]], shape), axis=-1)
    np.testing.assert_array_equal(srcdiff.grad(weighted_sort)(x), expected)
    _, tangent = srcdiff.jvp(weighted_sort, (x,), (expected,))
    np.testing.assert_allclose(tangent, np.sum(expected * expected), rtol=1e-12)


# -- the nan reductions: NaNs in the input get a zero gradient

def with_nans(*shape):
    x = distinct(*shape)
    x.flat[[1, x.size - 2]] = np.nan
    return x


N1, N2, N3 = with_nans(5), with_nans(3, 4), with_nans(2, 3, 4)


def nansum(x):
    return np.nansum(x)


def nansum_axis(x):
    return np.nansum(x, axis=0)


def nansum_keepdims(x):
    return np.nansum(x, axis=-1, keepdims=True)


def nanmean(x):
    return np.nanmean(x)


def nanmean_axes(x):
    return np.nanmean(x, axis=(0, -1))


def nanmean_keepdims(x):
    return np.nanmean(x, 1, keepdims=True)


def nanmax(x):
    return np.nanmax(x)


def nanmax_axis(x):
    return np.nanmax(x, axis=1)


def nanmin_keepdims(x):
    return np.nanmin(x, axis=0, keepdims=True)


def nanvar(x):
    return np.nanvar(x)


def nanvar_ddof(x):
    return np.nanvar(x, axis=-1, ddof=1)


def nanvar_keepdims(x):
    return np.nanvar(x, axis=(1, 2), keepdims=True)


def nanstd(x):
    return np.nanstd(x)


def nanstd_axis_ddof(x):
    return np.nanstd(x, axis=-1, ddof=1, keepdims=True)


def nanmedian(x):
    return np.nanmedian(x)


def nanmedian_axis(x):
    return np.nanmedian(x, axis=-1)


def nanmedian_keepdims(x):
    return np.nanmedian(x, axis=(0, 1), keepdims=True)


def nanquantile(x):
    return np.nanquantile(x, [0.25, 0.5, 0.8], axis=0)


def nanpercentile(x):
    return np.nanpercentile(x, 70, axis=1, keepdims=True)


def nanpercentile_flat(x):
    return np.nanpercentile(x, [5, 100])


NAN_CASES = [
    (nanmedian, N1), (nanmedian, N2), (nanmedian_axis, N2), (nanmedian_keepdims, N3), (nanquantile, N2),
    (nanpercentile, N3), (nanpercentile_flat, N2), (nanmedian_axis, X2),
    (nansum, N1), (nansum, N2), (nansum_axis, N2), (nansum_keepdims, N3), (nanmean, N2), (nanmean_axes, N3),
    (nanmean_keepdims, N2), (nanmax, N1), (nanmax_axis, N2), (nanmin_keepdims, N2), (nanvar, N2),
    (nanvar_ddof, N2), (nanvar_keepdims, N3), (nanstd, N1), (nanstd, N2), (nanstd_axis_ddof, N3),
    (nansum, X2), (nanstd, X2),
]
NAN_IDS = [f"{f.__name__}-{np.ndim(x)}d" for f, x in NAN_CASES]


def differences_off_the_nans(f, x):
    """Central differences of f on the entries that are not NaN (0 on the NaNs)."""
    out = np.zeros(np.shape(f(x)) + x.shape)
    for i in zip(*np.nonzero(~np.isnan(x))):
        e = np.zeros_like(x)
        e[i] = 1e-6
        out[(Ellipsis,) + i] = (np.asarray(f(x + e)) - np.asarray(f(x - e))) / 2e-6
    return out


@pytest.mark.parametrize("op, x", NAN_CASES, ids=NAN_IDS)
def test_nan_reductions_match_numpy(op, x):
    out, _ = srcdiff.vjp(op, x)
    assert np.shape(out) == np.shape(op(x))
    np.testing.assert_allclose(out, op(x), rtol=1e-13)


@pytest.mark.parametrize("op, x", NAN_CASES, ids=NAN_IDS)
def test_nan_reductions_in_every_mode(op, x):
    jac = differences_off_the_nans(op, x)
    lead = tuple(range(jac.ndim - x.ndim))
    out, pullback = srcdiff.vjp(op, x)
    np.testing.assert_allclose(pullback(np.ones_like(out))[0], np.sum(jac, axis=lead), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(srcdiff.jacrev(op)(x), jac, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(srcdiff.jacfwd(op)(x), jac, rtol=1e-5, atol=1e-7)
    loss = weighted(op)
    g = srcdiff.grad(loss)(x)
    np.testing.assert_allclose(g, differences_off_the_nans(loss, x), rtol=1e-5, atol=1e-7)
    assert np.all(g[np.isnan(x)] == 0.0)
    h = srcdiff.hessian(loss)(x)
    assert not np.any(np.isnan(h))
    second = differences_off_the_nans(lambda y: srcdiff.grad(loss)(y), x)
    np.testing.assert_allclose(h, second, rtol=1e-4, atol=1e-6)


def nanmin_rows(x):
    return np.nanmin(x, axis=1)


def test_a_slice_of_nans_only():
    x = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, np.nan]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for op in (nanmax_axis, nanmin_rows, nansum_axis, nanmedian_axis):
            np.testing.assert_array_equal(srcdiff.vjp(op, x)[0], op(x))


# -- the emitted code

def test_the_adjoint_of_sort_gathers_by_the_inverse_permutation():
    code = srcdiff.source(srcdiff.grad(weighted(sort_first)), X2)
    assert "np.sort(x, axis=0)" in code
    assert "np.argsort(np.argsort(x, axis=0, kind='stable'), axis=0)" in code


def test_a_nan_reduction_reads_as_the_formula():
    code = srcdiff.source(srcdiff.grad(weighted(nanvar_ddof)), N2)
    assert "nans = np.isnan(x)" in code and "clean = np.where(nans, 0.0, x)" in code
    assert "centered = np.where(nans, 0.0, clean - mean)" in code and "dx = np.where(nans, 0.0, " in code


# -- refusals

def sort_in_place(x):
    x.sort()
    return x


def partition_in_place(x):
    x.partition(2)
    return x


def quantile_nearest(x):
    return np.quantile(x, 0.5, method="nearest")


def quantile_out_of_range(x):
    return np.quantile(x, 1.5)


def quantile_traced(x):
    return np.quantile(x, np.max(x) / 10)


def average_weights_without_axis(x):
    return np.average(x, weights=W4)


def average_weights_wrong_length(x):
    return np.average(x, axis=0, weights=W4)


def sort_axis_out_of_bounds(x):
    return np.sort(x, axis=2)


def sort_by_order(x):
    return np.sort(x, order="a")


def sort_kind_unknown(x):
    return np.sort(x, kind="bubble")


@pytest.mark.parametrize("op, message", [
    (sort_in_place, "x.sort\\(\\) sorts x in place"),
    (partition_in_place, "partitions x in place"),
    (quantile_nearest, "method='nearest' is not supported"),
    (quantile_out_of_range, "must be in \\[0, 1\\]"),
    (quantile_traced, "q must be known when compiling"),
    (average_weights_without_axis, "need an axis"),
    (average_weights_wrong_length, "length of the weights differs"),
    (sort_axis_out_of_bounds, "axis 2 is out of bounds"),
    (sort_by_order, "order="),
    (sort_kind_unknown, "kind='bubble'"),
])
def test_unsupported_forms_are_refused_at_their_line(op, message):
    with pytest.raises(NonDifferentiableError, match=message) as info:
        srcdiff.grad(weighted(op))(X2)
    assert "test_statistics.py:" in str(info.value)


def test_sort_needs_the_shape():
    with pytest.raises(NonDifferentiableError, match="np.sort needs the shape") as info:
        srcdiff.grad(weighted(sort)).compiled()
    assert "test_statistics.py:" in str(info.value)


@pytest.mark.parametrize("op", sorted({f for f, _ in NAN_CASES} | {quantile, quantile_axis, quantile_list_keepdims,
                                                                  percentile, median_axis, average, ptp_axis},
                                      key=lambda f: f.__name__), ids=lambda f: f.__name__)
def test_float32_keeps_numpy_dtype(op):
    """float32 stays float32 where NumPy keeps it (a count or a fraction of counts is cast), and
    becomes float64 where NumPy's does (an array of quantiles)."""
    x = N3.astype(np.float32) if op in {f for f, _ in NAN_CASES} else X3.astype(np.float32)
    out = srcdiff.vjp(op, x)[0]
    assert np.result_type(out) == np.result_type(op(x))
    np.testing.assert_allclose(out, op(x), rtol=1e-6)
    g = srcdiff.grad(weighted(op))(x)
    assert g.dtype == np.float32
