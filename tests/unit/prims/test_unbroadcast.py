"""Taking an adjoint back to a broadcast operand's shape without the work broadcasting
would cost (srcdiff/prims/broadcasting.py): a spread column is summed before it is
spread, and the sum of a column times a matrix down its long axis is a vector-matrix
product."""
import numpy as np

import srcdiff
from tests.numeric import assert_matches_differences
from tests.unit.irtools import find, ir_after, ops

rng = np.random.default_rng(7)
X = rng.standard_normal((50, 4))
w = rng.standard_normal(50)
v = rng.standard_normal(4) * 0.3


def weighted_rows(v, w):
    # np.sum(..., axis=1)'s adjoint is a column; / np.exp(v) takes it back to v as the sum
    # down the rows of that column times a matrix
    return np.sum(w * np.log(1.0 + np.sum(X ** 2 / np.exp(v), axis=1)))


def spread_sum(v, w):
    # np.sum(..., axis=1)'s adjoint spreads a column over 4 columns; + v sums it back
    return np.sum(np.sin(np.sum(X * v + v, axis=1)) * w)


def test_a_column_times_a_matrix_summed_down_its_rows_is_one_product():
    g = srcdiff.grad(weighted_rows, argnums=(0, 1))
    assert_matches_differences(g, weighted_rows, (v, w), argnums=(0, 1))
    fn = ir_after(weighted_rows, (v, w), argnums=(0, 1))
    assert "dot" in ops(fn) and all(e.params["axis"] != 0 for e in find(fn, "sum"))


def test_a_spread_column_is_summed_before_it_is_spread():
    g = srcdiff.grad(spread_sum, argnums=(0, 1))
    assert_matches_differences(g, spread_sum, (v, w), argnums=(0, 1))
    assert "broadcast_to" not in ops(ir_after(spread_sum, (v, w), argnums=(0, 1)))
