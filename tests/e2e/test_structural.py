"""NumPy's structural functions (issue 16): flips, rotations, rolls, axis permutations, the
atleast_nd family, diagonals, triangles, take, take_along_axis, repeat, and joining and
splitting along an axis (column_stack, dstack, the split family, broadcast_arrays) and
padding (constant, edge, reflect, symmetric), in every spelling and axis form NumPy takes, against NumPy's values
and central differences in forward and reverse mode and to second order.

Each function is checked as written (a vector-valued function: jvp, vjp and Jacobians), and
inside a scalar loss whose weights depend on the position, so that a wrong permutation of the
elements shows in the gradient, and whose sine makes the Hessian not zero."""
import numpy as np
import pytest

import srcdiff
from srcdiff import NonDifferentiableError

from tests.numeric import assert_all_modes, assert_matches_differences, weighted

RNG = np.random.default_rng(16)
X1, X2, X3 = RNG.normal(size=5), RNG.normal(size=(3, 4)), RNG.normal(size=(2, 3, 4))
X0 = np.asarray(0.7)


def flip_all(x):
    return np.flip(x)


def flip_axis(x):
    return np.flip(x, 1)


def flip_negative_axis(x):
    return np.flip(x, axis=-1)


def flip_axes(x):
    return np.flip(x, axis=(0, -1))


def flip_axes_list(x):
    return np.flip(x, [2, 1])


def fliplr(x):
    return np.fliplr(x)


def flipud(x):
    return np.flipud(x)


def rot90(x):
    return np.rot90(x)


def rot90_twice(x):
    return np.rot90(x, 2)


def rot90_three(x):
    return np.rot90(x, k=3)


def rot90_back(x):
    return np.rot90(x, -1)


def rot90_axes(x):
    return np.rot90(x, 1, axes=(2, 0))


def rot90_negative_axes(x):
    return np.rot90(x, k=3, axes=(-1, -2))


def rot90_none(x):
    return np.rot90(x, 4) * 2.0


def roll_flat(x):
    return np.roll(x, 3)


def roll_back(x):
    return np.roll(x, -1)


def roll_axis(x):
    return np.roll(x, 1, axis=0)


def roll_negative_axis(x):
    return np.roll(x, 2, axis=-1)


def roll_tuple(x):
    return np.roll(x, (1, -2), axis=(0, 2))


def roll_one_shift_many_axes(x):
    return np.roll(x, 1, axis=(0, 1))


def roll_same_axis_twice(x):
    return np.roll(x, (1, 2), axis=(1, 1))


def swapaxes(x):
    return np.swapaxes(x, 0, 1)


def swapaxes_negative(x):
    return np.swapaxes(x, -1, 0)


def swapaxes_method(x):
    return x.swapaxes(1, 2)


def swapaxes_same(x):
    return x.swapaxes(1, 1) * 2.0


def moveaxis(x):
    return np.moveaxis(x, 0, -1)


def moveaxis_back(x):
    return np.moveaxis(x, -1, 0)


def moveaxis_tuples(x):
    return np.moveaxis(x, (0, 1), (-1, 0))


def rollaxis(x):
    return np.rollaxis(x, 2)


def rollaxis_start(x):
    return np.rollaxis(x, 0, 2)


def rollaxis_end(x):
    return np.rollaxis(x, 1, 3)


def rollaxis_negative(x):
    return np.rollaxis(x, -1, 1)


def transpose_axes(x):
    return np.transpose(x, (1, 2, 0))


def transpose_method_axes(x):
    return x.transpose(2, 0, 1)


def transpose_negative_axes(x):
    return x.transpose((-1, 0, 1))


def atleast_1d(x):
    return np.atleast_1d(x)


def atleast_2d(x):
    return np.atleast_2d(x)


def atleast_3d(x):
    return np.atleast_3d(x)


def squeeze_axes(x):
    return np.squeeze(x[:, None, :, None], axis=(1, -1))


def squeeze_method_axes(x):
    return x[None, :, None].squeeze((0, 2))


def expand_dims_axes(x):
    return np.expand_dims(x, (0, -1))


def expand_dims_unsorted_axes(x):
    return np.expand_dims(x, axis=(2, 0))


def diagonal(x):
    return np.diagonal(x)


def diagonal_method_offset(x):
    return x.diagonal(1)


def diagonal_below(x):
    return np.diagonal(x, offset=-1)


def diagonal_axes(x):
    return np.diagonal(x, -1, 2, 0)


def diagonal_negative_axes(x):
    return x.diagonal(offset=1, axis1=-1, axis2=1)


def diag_of_vector(x):
    return np.diag(x)


def diag_above(x):
    return np.diag(x, 1)


def diag_below(x):
    return np.diag(x, k=-2)


def diag_of_matrix(x):
    return np.diag(x, -1)


def diagflat(x):
    return np.diagflat(x)


def diagflat_offset(x):
    return np.diagflat(x, -1)


def triu(x):
    return np.triu(x)


def triu_above(x):
    return np.triu(x, 1)


def tril(x):
    return np.tril(x)


def tril_below(x):
    return np.tril(x, k=-1)


def take_flat(x):
    return np.take(x, [0, 2, 2, 4])


def take_axis(x):
    return np.take(x, [1, 0, 1], axis=1)


def take_negative_axis_method(x):
    return x.take([3, -1], axis=-1)


def take_one(x):
    return np.take(x, 1, axis=0)


def repeat_flat(x):
    return np.repeat(x, 2)


def repeat_axis(x):
    return np.repeat(x, 2, axis=1)


def repeat_negative_axis_method(x):
    return x.repeat(3, axis=-1)


def repeat_counts(x):
    return np.repeat(x, [1, 0, 2], axis=0)


def repeat_counts_flat(x):
    return np.repeat(x, [2, 1, 0, 1, 3])


ROWS = np.array([[0, 3, 3], [1, 1, 2], [2, 0, 0]])  # an index along the last axis of X2, repeating places
BLOCKS = RNG.integers(0, 3, size=(2, 2, 4))  # along axis 1 of X3


def take_along_last(x):
    return np.take_along_axis(x, ROWS, axis=-1)


def take_along_first(x):
    return np.take_along_axis(x, np.array([[0, 2, 1, 1], [2, 2, 0, 1]]), 0)


def take_along_middle(x):
    return np.take_along_axis(x, BLOCKS, axis=1)


def take_along_vector(x):
    return np.take_along_axis(x, np.array([4, 0, 0, 2]), axis=0)


def take_along_flat(x):
    return np.take_along_axis(x, np.array([1, 1, 7]), None)


def column_stack(x):
    return np.column_stack([x, x * 2.0])


def column_stack_mixed(x):
    return np.column_stack((x[0], x[1:].T))


def dstack(x):
    return np.dstack([x, np.sin(x)])


def split_halves(x):
    a, b = np.split(x, 2, axis=-1)
    return a * b


def split_at(x):
    a, b, c = np.split(x, [1, 3])
    return np.sum(a) * b + np.sum(c)


def array_split_uneven(x):
    parts = np.array_split(x, 4)
    return parts[0] * 2.0 + parts[-1]


def hsplit(x):
    a, b = np.hsplit(x, 2)
    return a - 3.0 * b


def vsplit(x):
    a, b = np.vsplit(x, [1])
    return np.sum(a) + b


def dsplit(x):
    a, b = np.dsplit(x, 2)
    return a * b


def broadcast_arrays(x):
    p, q = np.broadcast_arrays(x, x[0])
    return p * 2.0 + q


def pad(x):
    return np.pad(x, 1)


def pad_pair(x):
    return np.pad(x, (1, 2), constant_values=1.5)


def pad_per_axis(x):
    return np.pad(x, ((0, 1), (2, 0)))


def pad_list_constant_mode(x):
    return np.pad(x, [(1, 0), (0, 0), (0, 2)], mode="constant")


def pad_edge(x):
    return np.pad(x, 2, mode="edge")


def pad_edge_per_axis(x):
    return np.pad(x, ((1, 0), (0, 3)), "edge")


def pad_reflect(x):
    return np.pad(x, (3, 2), mode="reflect")


def pad_reflect_per_axis(x):
    return np.pad(x, ((1, 2), (3, 0)), mode="reflect")


def pad_symmetric(x):
    return np.pad(x, (4, 1), mode="symmetric")


def pad_symmetric_per_axis(x):
    return np.pad(x, ((2, 3), (0, 4)), mode="symmetric")


def pad_symmetric_one(x):
    return np.pad(x, 1, mode="symmetric")


CASES = [
    (flip_all, X1), (flip_all, X3), (flip_axis, X2), (flip_axis, X3), (flip_negative_axis, X1),
    (flip_negative_axis, X3), (flip_axes, X2), (flip_axes, X3), (flip_axes_list, X3), (flip_all, X0),
    (fliplr, X2), (fliplr, X3), (flipud, X1), (flipud, X2), (flipud, X3),
    (rot90, X2), (rot90, X3), (rot90_twice, X2), (rot90_three, X2), (rot90_back, X3), (rot90_axes, X3),
    (rot90_negative_axes, X3), (rot90_none, X2),
    (roll_flat, X1), (roll_flat, X2), (roll_back, X3), (roll_axis, X2), (roll_negative_axis, X3),
    (roll_tuple, X3), (roll_one_shift_many_axes, X2), (roll_same_axis_twice, X3),
    (swapaxes, X2), (swapaxes, X3), (swapaxes_negative, X3), (swapaxes_method, X3), (swapaxes_same, X3),
    (moveaxis, X2), (moveaxis, X3), (moveaxis_back, X3), (moveaxis_tuples, X3),
    (rollaxis, X3), (rollaxis_start, X3), (rollaxis_end, X3), (rollaxis_negative, X3), (rollaxis_start, X2),
    (transpose_axes, X3), (transpose_method_axes, X3), (transpose_negative_axes, X3),
    (atleast_1d, X0), (atleast_1d, X1), (atleast_1d, X2), (atleast_2d, X0), (atleast_2d, X1), (atleast_2d, X2),
    (atleast_2d, X3), (atleast_3d, X0), (atleast_3d, X1), (atleast_3d, X2), (atleast_3d, X3),
    (squeeze_axes, X2), (squeeze_method_axes, X2), (expand_dims_axes, X1), (expand_dims_axes, X2),
    (expand_dims_unsorted_axes, X2),
    (diagonal, X2), (diagonal, X2.T.copy()), (diagonal, X3), (diagonal_method_offset, X2), (diagonal_below, X2),
    (diagonal_axes, X3), (diagonal_negative_axes, X3),
    (diag_of_vector, X1), (diag_above, X1), (diag_below, X1), (diag_of_matrix, X2), (diag_of_vector, X2),
    (diagflat, X1), (diagflat, X2), (diagflat_offset, X2),
    (triu, X2), (triu, X2.T.copy()), (triu, X3), (triu, X1), (triu_above, X2), (tril, X2), (tril, X3), (tril, X1),
    (tril_below, X2),
    (take_flat, X2), (take_flat, X1), (take_axis, X2), (take_axis, X3), (take_negative_axis_method, X3),
    (take_one, X2), (take_one, X3),
    (repeat_flat, X1), (repeat_flat, X2), (repeat_axis, X2), (repeat_axis, X3), (repeat_negative_axis_method, X3),
    (repeat_counts, X2), (repeat_counts_flat, X1),
    (take_along_last, X2), (take_along_first, X2), (take_along_middle, X3), (take_along_vector, X1),
    (take_along_flat, X2),
    (column_stack, X1), (column_stack, X2), (column_stack_mixed, X2), (dstack, X1), (dstack, X2), (dstack, X3),
    (split_halves, X2), (split_halves, X3), (split_at, X1), (split_at, X2), (array_split_uneven, X1),
    (array_split_uneven, X3.reshape(6, 4)), (hsplit, X2), (hsplit, RNG.normal(size=6)), (vsplit, X2), (dsplit, X3),
    (broadcast_arrays, X2), (broadcast_arrays, X3),
    (pad, X1), (pad, X2), (pad_pair, X1), (pad_pair, X3), (pad_per_axis, X2), (pad_list_constant_mode, X3),
    (pad_edge, X1), (pad_edge, X2), (pad_edge_per_axis, X2), (pad_reflect, X1), (pad_reflect_per_axis, X2),
    (pad_reflect_per_axis, X3.reshape(4, 6)), (pad_symmetric, X1), (pad_symmetric_per_axis, X2), (pad_symmetric_one, X3),
]
IDS = [f"{f.__name__}-{np.ndim(x)}d" for f, x in CASES]


@pytest.mark.parametrize("op, x", CASES, ids=IDS)
def test_values_match_numpy(op, x):
    out, _ = srcdiff.vjp(op, x)
    expected = op(x)
    assert np.shape(out) == np.shape(expected)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("op, x", CASES, ids=IDS)
def test_derivatives_of_the_function(op, x):
    assert_all_modes(op, (x,), order=1)


@pytest.mark.parametrize("op, x", CASES, ids=IDS)
def test_second_order_of_a_loss(op, x):
    assert_all_modes(weighted(op), (x,))


def flip_then_roll(x, y):
    return np.sum(np.flip(x, 0) * np.roll(y, 1, axis=1) + np.rot90(x * y) ** 2)


def test_two_arguments_to_second_order():
    x, y = RNG.normal(size=(3, 3)), RNG.normal(size=(3, 3))
    for argnum in (0, 1):
        assert_all_modes(flip_then_roll, (x, y), argnum=argnum)


def atleast_several(a, b):
    p, q = np.atleast_2d(a, b)
    return np.sum(p * q.T)


def test_atleast_of_several_arrays_is_a_tuple():
    a, b = RNG.normal(size=3), RNG.normal(size=(3, 1))
    assert_all_modes(atleast_several, (a, b))
    assert_matches_differences(srcdiff.grad(atleast_several, argnums=(0, 1)), atleast_several, (a, b), argnums=(0, 1))


def test_the_adjoint_of_roll_is_the_opposite_roll():
    code = srcdiff.source(srcdiff.grad(weighted(roll_tuple)), X3)
    assert "np.roll(x, (1, -2), axis=(0, 2))" in code
    assert ", (-1, 2), axis=(0, 2))" in code


def test_flip_is_an_index_and_swapaxes_a_transpose():
    code = srcdiff.source(srcdiff.grad(weighted(flip_axes)), X3)
    assert "x[::-1, :, ::-1]" in code
    code = srcdiff.source(srcdiff.grad(weighted(swapaxes_negative)), X3)
    assert "np.transpose(x, (2, 1, 0))" in code


def test_adjoints_read_as_written_by_hand():
    """The diagonal's adjoint writes g on it; repeat's sums the copies; a padding's cuts it
    off; a triangle's is the triangle."""
    code = srcdiff.source(srcdiff.grad(weighted(diagonal_method_offset)), X2)
    assert "dx[np.arange(3), np.arange(1, 4)] = " in code
    code = srcdiff.source(srcdiff.grad(weighted(repeat_axis)), X3)
    assert "np.repeat(x, 2, axis=1)" in code and ".reshape((2, 3, 2, 4)), axis=2)" in code
    code = srcdiff.source(srcdiff.grad(weighted(pad_per_axis)), X2)
    assert "dx = dy[:-1, 2:]" in code
    code = srcdiff.source(srcdiff.grad(weighted(tril_below)), X2)
    assert code.count("np.tril(") == 2


def test_take_along_axis_is_the_index_written_by_hand():
    code = srcdiff.source(srcdiff.grad(weighted(take_along_last)), X2)
    assert "np.arange(3)[:, None]" in code and "np.add.at(dx, (" in code


def test_flip_of_one_axis_needs_no_shapes():
    """x[::-1] or x[..., ::-1] whatever the rank: the derivative compiled for unknown shapes works."""
    for op in (flip_axis, flip_negative_axis):
        g = srcdiff.grad(weighted(op)).compiled().fn
        for x in (X2, X3):
            np.testing.assert_allclose(g(x), srcdiff.grad(weighted(op))(x))


def traced_shift(x):
    return np.roll(x, np.sum(x > 0))


def tuple_shift_without_axis(x):
    return np.roll(x, (1, 2))


def axis_out_of_bounds(x):
    return np.swapaxes(x, 0, 3)


def take_with_mode(x):
    return np.take(x, [0, 9], mode="clip")


def diagonal_same_axes(x):
    return np.diagonal(x, 0, 1, -1)


def split_unevenly(x):
    return np.split(x, 2)[0]


def pad_wrap(x):
    return np.pad(x, 1, mode="wrap")


def reflect_too_far(x):
    return np.pad(x, 3, mode="reflect")


def rot90_of_a_vector(x):
    return np.rot90(x)


def moveaxis_unequal(x):
    return np.moveaxis(x, (0, 1), 2)


def fliplr_of_a_vector(x):
    return np.fliplr(x)


@pytest.mark.parametrize("op, message", [
    (traced_shift, "shift must be known when compiling"),
    (tuple_shift_without_axis, "a tuple of shifts needs an axis"),
    (axis_out_of_bounds, "axis 3 is out of bounds"),
    (rot90_of_a_vector, "at least 2 dimensions"),
    (moveaxis_unequal, "the same number of elements"),
    (fliplr_of_a_vector, "at least 2 dimensions"),
    (take_with_mode, "mode= is not supported"),
    (diagonal_same_axes, "cannot be the same"),
    (split_unevenly, "does not split into 2 equal sections"),
    (pad_wrap, "mode='wrap' is not supported"),
    (reflect_too_far, "more than this axis of length 3 reaches"),
])
def test_unsupported_forms_are_refused_at_their_line(op, message):
    x = X1 if op in (rot90_of_a_vector, fliplr_of_a_vector, split_unevenly) else X3 if op is moveaxis_unequal else X2
    with pytest.raises(NonDifferentiableError, match=message) as info:
        srcdiff.grad(weighted(op))(x)
    assert "test_structural.py" in str(info.value)


def test_a_permutation_needs_the_rank():
    with pytest.raises(NonDifferentiableError, match="needs the rank of its operand"):
        srcdiff.grad(weighted(swapaxes)).compiled()
