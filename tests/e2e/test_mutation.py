"""Item and slice assignment into arrays the function created or copied; callers' arrays stay untouched."""
import inspect

import numpy as np
import pytest

import srcdiff
from srcdiff import NonDifferentiableError, SrcdiffError, grad, value_and_grad

from tests.numeric import assert_all_modes, assert_matches_differences, central_difference


def fill_squares(x):
    n = x.shape[0]
    out = np.zeros(n)
    for i in range(n):
        out[i] = x[i] ** 2
    return np.sum(out * np.arange(1.0, n + 1.0))


def test_item_assignment_in_a_loop():
    x = np.array([0.5, -1.0, 2.0, 0.25])
    np.testing.assert_allclose(grad(fill_squares)(x), 2 * x * np.arange(1.0, 5.0), rtol=1e-14)


def laplacian_energy(u):
    lap = np.zeros_like(u)
    lap[1:-1] = u[2:] - 2 * u[1:-1] + u[:-2]
    return np.sum(lap ** 2)


def second_difference_matrix(n):
    D = np.zeros((n, n))
    for i in range(1, n - 1):
        D[i, i - 1], D[i, i], D[i, i + 1] = 1.0, -2.0, 1.0
    return D


def test_slice_assignment():
    u = np.sin(np.linspace(0.0, 3.0, 7)) + np.linspace(0.0, 1.0, 7) ** 2
    D = second_difference_matrix(7)
    np.testing.assert_allclose(grad(laplacian_energy)(u), 2 * D.T @ (D @ u), rtol=1e-12, atol=1e-14)
    assert_matches_differences(grad(laplacian_energy), laplacian_energy, (u,), argnums=0)


def matrix_from_items(a, b, v):
    M = np.zeros((2, 2))
    M[0, 0] = a
    M[0, 1] = -b
    M[1, 0] = b
    M[1, 1] = a
    return np.sum((M @ v) ** 2)


def test_item_assignment_2d_scalars():
    a, b, v = 0.7, -1.3, np.array([2.0, 0.5])
    assert_matches_differences(grad(matrix_from_items, argnums=(0, 1, 2)), matrix_from_items, (a, b, v), argnums=(0, 1, 2))
    # |M v|^2 = (a^2 + b^2) |v|^2 for a rotation-scaling M
    ga, gb = grad(matrix_from_items, argnums=(0, 1))(a, b, v)
    assert ga == pytest.approx(2 * a * np.sum(v ** 2), rel=1e-14)
    assert gb == pytest.approx(2 * b * np.sum(v ** 2), rel=1e-14)


def column_assignment(X, w):
    Y = np.ones((X.shape[0], 3))
    Y[:, 1] = X @ w
    Y[0, :] = Y[0, :] * 2.0
    return np.sum(np.tanh(Y) * X[:, :1])


def test_column_and_row_assignment():
    rng = np.random.default_rng(0)
    X, w = rng.standard_normal((4, 2)), rng.standard_normal(2)
    assert_matches_differences(grad(column_assignment, argnums=(0, 1)), column_assignment, (X, w), argnums=(0, 1))


def scatter_add(x, idx):
    a = np.zeros(3)
    for k in range(idx.shape[0]):
        a[idx[k]] += x[k]
    return np.sum(a ** 2)


def test_augmented_item_assignment_with_repeated_indices():
    x = np.array([1.0, 2.0, -0.5, 0.25, 3.0, -1.0])
    idx = np.array([0, 2, 0, 1, 2, 0])
    a = np.zeros(3)
    np.add.at(a, idx, x)
    np.testing.assert_allclose(grad(scatter_add)(x, idx), 2 * a[idx], rtol=1e-14)


def augmented_slices(x):
    a = np.ones(4)
    a[1:] += x[:3] * x[:3]
    a[:2] *= x[2:]
    a[-1] -= np.sin(x[0])
    return np.sum(a ** 2)


def test_augmented_slice_assignment():
    x = np.array([0.3, -0.7, 1.2, 0.5])
    assert_matches_differences(grad(augmented_slices), augmented_slices, (x,), argnums=0)


def overwrite_after_use(x):
    y = x * 1.0
    z = y * y
    y[0] = 3.0
    return np.sum(y * z)


def test_overwritten_value_used_before():
    x = np.array([0.5, -1.0, 2.0])
    # 3 x0^2 + sum_{i >= 1} x_i^3
    np.testing.assert_allclose(grad(overwrite_after_use)(x), [6 * 0.5, 3.0, 12.0], rtol=1e-14)
    value, g = value_and_grad(overwrite_after_use)(x)
    assert value == pytest.approx(3 * 0.25 + (-1.0) + 8.0, rel=1e-14)


def overwrite_with_value(x, c):
    y = x * 2.0
    s = np.sum(y ** 2)
    y[1] = c * y[0]
    return s + np.sum(y * x)


def test_overwrite_with_traced_value():
    x, c = np.array([0.5, -1.0, 2.0, 1.5]), 0.7
    gx, gc = grad(overwrite_with_value, argnums=(0, 1))(x, c)
    # 4 sum x^2 + 2 x0^2 + 2 c x0 x1 + 2 sum_{i >= 2} x_i^2
    expected = 12 * x
    expected[0] = 8 * x[0] + 4 * x[0] + 2 * c * x[1]
    expected[1] = 8 * x[1] + 2 * c * x[0]
    np.testing.assert_allclose(gx, expected, rtol=1e-14)
    assert gc == pytest.approx(2 * x[0] * x[1], rel=1e-14)
    assert_matches_differences(grad(overwrite_with_value, argnums=(0, 1)), overwrite_with_value, (x, c), argnums=(0, 1))


def overwrite_in_loop(x):
    y = x + 0.0
    total = 0.0
    for i in range(1, y.shape[0]):
        y[i] = y[i - 1] * y[i]
        total = total + np.sum(y)
    return total


def test_overwrite_reads_previous_writes_in_loop():
    x = np.array([1.1, -0.6, 0.9, 1.3])
    assert_matches_differences(grad(overwrite_in_loop), overwrite_in_loop, (x,), argnums=0)


def alias_then_write(x):
    y = x * 1.0
    z = y          # an alias: writes through z are seen through y
    z[1] = 0.0
    return np.sum(y ** 2)


def test_alias_sees_the_write():
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(grad(alias_then_write)(x), [2.0, 0.0, 6.0])


def copy_and_zero(x):
    y = x.copy()
    y[0] = 0.0
    return np.sum(y ** 2) + x[0]


def np_copy_and_write(X):
    Y = np.copy(X)
    Y[1] = Y[0] * Y[2]
    return np.sum(Y * X)


def test_assignment_into_a_copy_of_an_argument():
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(grad(copy_and_zero)(x), [1.0, -2.0, 4.0])
    X = np.array([[1.0, 2.0], [0.5, -1.0], [-0.25, 3.0]])
    assert_matches_differences(grad(np_copy_and_write), np_copy_and_write, (X,), argnums=0)


def assignment_into_a_slice_view(x):
    y = x * 1.0
    v = y[1:]
    v[0] = x[0] * 10.0   # y[1] is written through the view
    return np.sum(y * y)


def _passes_through(u):
    return u


def view_written_in_a_loop(x):
    v = x[::-1]
    for i in range(2):
        v[i] = 3.0 * x[1]  # WRITE
    return np.sum(x * x)


def view_from_a_helper_written_in_a_loop(x):
    v = _passes_through(x[1:])
    for i in range(2):
        v[i] = v[i] * x[0]  # WRITE
    return np.sum(x * x)


def view_added_to_in_a_loop(x):
    v = x[1:]
    for i in range(2):
        v += x[0]  # WRITE
    return np.sum(x * x)


def view_written_in_an_inner_loop(x):
    for j in range(2):
        v = x[::-1]
        for i in range(2):
            v[i] = 3.0 * x[1]  # WRITE
    return np.sum(x * x)


@pytest.mark.parametrize("f", [assignment_into_a_slice_view, view_written_in_a_loop,
                               view_from_a_helper_written_in_a_loop, view_added_to_in_a_loop,
                               view_written_in_an_inner_loop], ids=lambda f: f.__name__)
def test_a_write_into_a_view_is_refused_at_the_write(f):
    # Python's write changes x through the view. Inside a loop the carried view was once not
    # seen to be one, and the gradient silently left the write out (random-program tester).
    lines, first = inspect.getsourcelines(f)
    line = first + next(i for i, text in enumerate(lines) if "WRITE" in text or "through the view" in text)
    with pytest.raises(NonDifferentiableError, match=f"test_mutation.py:{line}: v is a view of another array"):
        grad(f)(np.array([1.0, 2.0, 3.0]))


def reshaped_then_written(x, y):
    x = x * 1.0
    a = x.T.reshape(-1)  # a copy here (x.T is not contiguous); a view for other layouts
    x[0, 1] = y  # WRITE
    return np.sum(a * a) + y


def fancy_copy_written(x, y):
    b = x[[0, 1]]  # index arrays make a copy: writing into it leaves x alone
    b[0, 0] = y
    return np.sum(b * b) + np.sum(x)


def flattened_then_written(x, y):
    x = x * 1.0
    a = x.flatten()  # always a copy
    x[0, 1] = y
    return np.sum(a * a) + np.sum(x * x)


def test_a_write_that_reaches_a_reshape_only_if_it_is_a_view_is_refused():
    # x.T.reshape(-1) copies, x.reshape(-1) of a C-ordered x does not: srcdiff took both for
    # views, and the write changed a here (a silent wrong value and gradient)
    lines, first = inspect.getsourcelines(reshaped_then_written)
    line = first + next(i for i, text in enumerate(lines) if "WRITE" in text)
    with pytest.raises(NonDifferentiableError, match=f"test_mutation.py:{line}: a was reshaped from this array"):
        grad(reshaped_then_written)(np.arange(4.0).reshape(2, 2), 0.7)


@pytest.mark.parametrize("f", [fancy_copy_written, flattened_then_written], ids=lambda f: f.__name__)
def test_a_write_into_or_beside_a_copy_is_followed(f):
    X = np.arange(1.0, 5.0).reshape(2, 2)
    value, grads = value_and_grad(f, argnums=(0, 1))(X, 0.7)
    assert value == pytest.approx(f(X.copy(), 0.7), rel=1e-14)
    assert_matches_differences(grad(f, argnums=(0, 1)), lambda x, y: f(x.copy(), y), (X, 0.7), argnums=(0, 1))

# ---------------------------------------------------------------------------
# arguments are never modified


CASES = [
    (fill_squares, (np.array([0.5, -1.0, 2.0]),), 0),
    (laplacian_energy, (np.linspace(0.0, 1.0, 6) ** 2,), 0),
    (scatter_add, (np.array([1.0, 2.0, -0.5]), np.array([0, 2, 0])), 0),
    (augmented_slices, (np.array([0.3, -0.7, 1.2, 0.5]),), 0),
    (overwrite_after_use, (np.array([0.5, -1.0, 2.0]),), 0),
    (overwrite_with_value, (np.array([0.5, -1.0, 2.0]), 0.7), (0, 1)),
    (overwrite_in_loop, (np.array([1.1, -0.6, 0.9]),), 0),
    (alias_then_write, (np.array([1.0, 2.0, 3.0]),), 0),
    (copy_and_zero, (np.array([0.5, -1.0, 2.0]),), 0),
    (np_copy_and_write, (np.array([[1.0, 2.0], [0.5, -1.0], [-0.25, 3.0]]),), 0),
    (column_assignment, (np.arange(8.0).reshape(4, 2) / 8, np.array([0.5, -0.5])), (0, 1)),
]


@pytest.mark.parametrize("f, args, argnums", CASES, ids=[c[0].__name__ for c in CASES])
def test_callers_arrays_are_not_modified(f, args, argnums):
    copies = [np.copy(a) for a in args]
    g1 = grad(f, argnums=argnums)(*args)
    value, g2 = value_and_grad(f, argnums=argnums)(*args)
    for a, c in zip(args, copies):
        np.testing.assert_array_equal(a, c)
    # and a second call gives the same result: no state leaks between calls
    g3 = grad(f, argnums=argnums)(*args)
    for a, b, c in zip(*(g if isinstance(argnums, tuple) else (g,) for g in (g1, g2, g3))):
        np.testing.assert_allclose(b, a, rtol=1e-14, atol=1e-15)
        np.testing.assert_array_equal(c, a)
    assert value == pytest.approx(f(*copies), rel=1e-14)


# ---------------------------------------------------------------------------
# Aliases through loops and branches (found by the random-program tester)


def write_through_alias_in_loop(x, y):
    a = x
    for i in range(2):
        a[i] = y * a[i]
    return np.sum(x)


def alias_on_one_path(x, y):
    if y > 0:
        a = x
    else:
        a = x + 1.0
    a[0] = y
    return np.sum(x)


def alias_split_inside_loop(x, y):
    a = x
    for i in range(2):
        a[0] = y
        a = a + x
    return np.sum(x) + np.sum(a)


def test_a_write_through_an_alias_in_a_loop_reaches_the_other_name():
    from srcdiff import grad

    x, y = np.array([0.3, -0.5, 0.8]), 0.4
    dx, dy = grad(write_through_alias_in_loop, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(dx, [y, y, 1.0])
    np.testing.assert_allclose(dy, x[0] + x[1])


def alias_made_inside_one_branch(x, y):
    # on the first path a and x are one array made inside the branch (x written, then
    # a = x): the write into a changes x there only. It used to reach a alone.
    if y > 0:
        x[0] = x[1]
        a = x
    else:
        a = np.sin(x)
    a[0] = y
    return np.sum(x)


@pytest.mark.parametrize("f, words", [(alias_on_one_path, "on some paths through the if"),
                                      (alias_made_inside_one_branch, "on some paths through the if"),
                                      (alias_split_inside_loop, "binds the names apart")])
def test_an_alias_that_depends_on_the_path_is_refused_with_its_line(f, words):
    from srcdiff import SrcdiffError, grad

    with pytest.raises(SrcdiffError, match=words) as info:
        grad(f, argnums=(0, 1))(np.array([0.3, -0.5, 0.8]), 0.4)
    assert info.value.loc.filename.endswith("test_mutation.py") and info.value.loc.line > 0


def argument_written_while_an_alias_may_hold_it(x, y):
    if y > 0:
        b = x
    else:
        b = x * 2.0
    x[1] = y
    return np.sum(b)


def alias_from_a_branch_written_in_a_loop(x, y):
    a = x
    if y > 0:
        a = x * 2.0
    i = 0
    while i < 1:
        a[2] = y
        a = a + a
        i = i + 1
    return np.sum(x * x)


@pytest.mark.parametrize("f", [argument_written_while_an_alias_may_hold_it, alias_from_a_branch_written_in_a_loop])
def test_a_write_reaching_an_alias_on_some_paths_only_is_refused(f):
    with pytest.raises(SrcdiffError, match="on some paths through the") as info:
        grad(f, argnums=(0, 1))(np.array([0.3, -0.5, 0.8]), -0.4)
    assert info.value.loc.filename.endswith("test_mutation.py")


# A helper that writes into the array it is given writes into the caller's array
# (found by the frontend fuzzer: `u /= …` in a helper was not seen by the caller).


def _scale_in_place(u):
    u /= 1.5 + np.cos(u * 2.0)
    return -u


def _put(u):
    u[0] = 3.0 * u[1]


def helper_divides_in_place(x):
    v = _scale_in_place(x)
    return np.sum(x * x) + np.sum(v)


def helper_writes_an_item(x):
    _put(x)
    return np.sum(x * x)


def closure_writes_an_item(x):
    z = x * 1.0

    def put():
        z[2] = z[0] * z[1]

    put()
    return np.sum(z * z)


@pytest.mark.parametrize("f", [helper_divides_in_place, helper_writes_an_item, closure_writes_an_item])
def test_a_helper_writing_into_an_array_writes_into_the_callers(f):
    x = np.array([-0.077, 0.037, -0.51])
    before = x.copy()
    assert_matches_differences(grad(f), lambda a: f(a.copy()), (x,), argnums=0)
    np.testing.assert_array_equal(x, before)


# ---------------------------------------------------------------------------
# np.array copies, np.asarray does not (issue 14: np.array(x) was taken for x itself)


def written_np_array_copy(x):
    z = np.array(x)
    z[0] = 0.0
    return np.sum(x) + np.sum(z * z)


def written_np_array_float_copy(x):
    z = np.array(x, dtype=float)
    z[1:] *= 2.0
    return np.sum(x * x) + np.sum(z)


def written_asarray_alias(x):
    y = x * 1.0
    z = np.asarray(y)
    z[0] = 0.0
    return np.sum(y * x)


def written_copy_method(x):
    z = x.copy()
    z[-1] = z[0] * 3.0
    return np.sum(x) * np.sum(z)


@pytest.mark.parametrize("f", [written_np_array_copy, written_np_array_float_copy, written_asarray_alias,
                               written_copy_method], ids=lambda f: f.__name__)
def test_copies_and_views_are_numpy_s(f):
    x = np.array([0.5, -1.0, 2.0])
    value, _ = value_and_grad(f)(x)
    assert value == pytest.approx(f(x.copy()), rel=1e-14)
    assert_matches_differences(grad(f), lambda v: f(v.copy()), (x,), argnums=0)
    np.testing.assert_array_equal(x, [0.5, -1.0, 2.0])
    _, tangent = srcdiff.jvp(f, (x,), (np.ones(3),))
    assert tangent == pytest.approx(np.sum(central_difference(lambda v: f(v.copy()), (x,), 0)), rel=1e-6)


# ---------------------------------------------------------------------------
# Writes through index arrays that name a place twice: NumPy writes each place once, the
# last write winning, and z[[0, 0]] += v adds v once (issue 14: reverse mode counted it twice)


def repeated_augmented_write(x, v):
    z = x * 1.0
    z[[0, 0]] += v
    return np.sum(z * z)


def repeated_write_of_a_product(x, v):
    z = x * 1.0
    z[[0, 0]] = v * x[1]
    return np.sum(z * z)


def repeated_subtraction_of_a_vector(x, v):
    z = x * 1.0
    z[[1, 0, 1]] -= v * np.array([1.0, 2.0, 3.0])
    return np.sum(z ** 3)


def repeated_rows(X, v):
    Z = X * 1.0
    Z[[0, 0], :] += v
    return np.sum(np.sin(Z))


def repeated_index_argument(x, v, idx):
    z = np.zeros(3)
    z[idx] = x[: idx.shape[0]] * v
    return np.sum(z * x)


REPEATED = [
    (repeated_augmented_write, (np.array([0.5, -1.0, 2.0]), 0.7)),
    (repeated_write_of_a_product, (np.array([0.5, -1.0, 2.0]), 0.7)),
    (repeated_subtraction_of_a_vector, (np.array([0.5, -1.0, 2.0]), 0.7)),
    (repeated_rows, (np.arange(6.0).reshape(2, 3) / 5, np.array([0.1, 0.2, 0.3]))),
    (repeated_index_argument, (np.array([0.5, -1.0, 2.0]), 0.7, np.array([2, 2, 0]))),
]


@pytest.mark.parametrize("f, args", REPEATED, ids=[c[0].__name__ for c in REPEATED])
@pytest.mark.parametrize("argnum", [0, 1])
def test_a_write_to_a_place_named_twice_lands_once(f, args, argnum):
    value, _ = value_and_grad(f)(*args)
    assert value == pytest.approx(f(*[np.copy(a) for a in args]), rel=1e-14)
    assert_all_modes(f, args, argnum)


# ---------------------------------------------------------------------------
# What a write reaches after loops and branches that rebind a name on some paths only (issue 14)


def augmented_on_array_or_number(x, c):
    if c > 0:
        z = x
    else:
        z = 1.0
    z += 1.0  # in place into x where z is x, a new number where it is 1.0
    return np.sum(x * z)


def rebound_under_an_if_in_a_loop(w, y):
    a = w
    for i in range(2):
        if y > 5:
            a = a * 2
    a[0] = 0.0  # reaches w when y <= 5
    return np.sum(w * w)


def rebound_after_continue_in_a_loop(w, y):
    a = w
    for i in range(3):
        if y > 5:
            continue
        a = a * y
    a[0] = 0.0
    return np.sum(w * w)


def augmented_zero_dimensional_argument(x, y):
    z = x  # a 0-d array is changed in place, a NumPy scalar rebound
    x += 1.0
    return z * y


@pytest.mark.parametrize("f", [augmented_on_array_or_number, rebound_under_an_if_in_a_loop,
                               rebound_after_continue_in_a_loop, augmented_zero_dimensional_argument],
                         ids=lambda f: f.__name__)
def test_a_write_whose_reach_depends_on_the_path_is_refused_after_loops_and_branches(f):
    lines, first = inspect.getsourcelines(f)
    line = first + next(i for i, text in enumerate(lines) if ("+=" in text or "[0] =" in text))
    with pytest.raises(NonDifferentiableError, match=f"test_mutation.py:{line}: "):
        grad(f)(np.array(0.3) if f is augmented_zero_dimensional_argument else np.array([0.3, 1.2, -0.7]), 3.0)


def rows_written_while_iterated(x):
    z = x * 1.0
    s = 0.0
    for v in z:  # Python reads z[i] when the loop reaches it, after the writes before
        z[1] = z[1] + v
        s = s + np.sum(v * v)
    return s


def rows_written_through_another_name_while_iterated(x):
    z = x * 1.0
    w = z
    s = 0.0
    for v in z:
        w[2] = w[2] * v
        s = s + v
    return s


def iterated_name_rebound_in_the_loop(x):
    z = x * 1.0
    s = 0.0
    for v in z:  # the loop keeps iterating over the first z
        z = z * 2.0
        s = s + v * np.sum(z)
    return s


@pytest.mark.parametrize("f, x", [(rows_written_while_iterated, np.array([0.3, 1.2, -0.7])),
                                  (rows_written_through_another_name_while_iterated, np.array([0.3, 1.2, -0.7])),
                                  (iterated_name_rebound_in_the_loop, np.array([0.3, 1.2, -0.7]))],
                         ids=lambda v: getattr(v, "__name__", ""))
def test_a_loop_over_an_array_reads_each_item_when_it_gets_there(f, x):
    value, _ = value_and_grad(f)(x)
    assert value == pytest.approx(f(x.copy()), rel=1e-14)
    assert_matches_differences(grad(f), lambda v: f(v.copy()), (x,), argnums=0)
    np.testing.assert_allclose(srcdiff.hessian(f)(x), central_difference(grad(f), (x,), 0), rtol=1e-5, atol=1e-6)


def iterating_over_a_view_being_written(x):
    z = x * 1.0
    s = 0.0
    for v in z[::-1]:
        z[1] = z[1] + v
        s = s + v * v
    return s


def test_iterating_over_a_view_the_loop_writes_into_is_refused():
    with pytest.raises(NonDifferentiableError, match="iterates over a view of z that its body writes into"):
        grad(iterating_over_a_view_being_written)(np.array([0.3, 1.2, -0.7]))


# ---------------------------------------------------------------------------
# Arrays held in lists, tuples and dicts are the same objects: a write through any name for
# one is seen through the container (issue 14: d["w"] kept the value from before the write)


def write_seen_through_a_dict(x):
    z = x * 1.0
    d = {"w": z}
    w = d["w"]
    w[0] = 5.0
    return np.sum(d["w"] * x)


def write_seen_through_a_tuple(x):
    z = x * 1.0
    t = (z, 2.0)
    z[2] = 0.0
    return np.sum(t[0] * x)


def write_in_a_loop_seen_through_a_dict(x):
    z = x * 1.0
    d = {"w": z}
    for i in range(2):
        z[i] = z[i] * 3.0
    return np.sum(d["w"] * x)


def write_in_a_branch_seen_through_a_dict(x):
    z = x * 1.0
    d = {"w": z}
    if x[0] > 0:
        z[0] = 5.0
    return np.sum(d["w"] * x)


def write_by_a_helper_seen_through_a_list(x):
    z = x * 1.0
    t = [z]
    _write_second(z)
    return np.sum(t[0] * x)


def _write_second(a):
    a[1] = 7.0


def append_seen_through_a_dict(x):
    hs = [x]
    d = {"hs": hs}
    hs.append(x * 2)
    return np.sum(np.stack(d["hs"]))


def write_into_an_argument_dict_s_array(p):
    w = p["w"]
    w[0] = 0.0
    return np.sum(p["w"] * 2.0)


@pytest.mark.parametrize("f", [write_seen_through_a_dict, write_seen_through_a_tuple,
                               write_in_a_loop_seen_through_a_dict, write_in_a_branch_seen_through_a_dict,
                               write_by_a_helper_seen_through_a_list, append_seen_through_a_dict],
                         ids=lambda f: f.__name__)
def test_a_write_is_seen_through_the_containers_holding_the_array(f):
    for x in (np.array([0.3, 1.2, -0.7]), np.array([-0.3, 1.2, -0.7])):
        value, _ = value_and_grad(f)(x)
        assert value == pytest.approx(f(x.copy()), rel=1e-14)
        assert_matches_differences(grad(f), lambda v: f(v.copy()), (x,), argnums=0)
        np.testing.assert_allclose(srcdiff.hessian(f)(x), central_difference(grad(f), (x,), 0), atol=1e-6)


def test_a_write_into_an_array_of_a_dict_argument_is_seen_through_the_dict():
    p = {"w": np.array([0.3, 1.2, -0.7])}
    np.testing.assert_array_equal(grad(write_into_an_argument_dict_s_array)(p)["w"], [0.0, 2.0, 2.0])
    np.testing.assert_array_equal(p["w"], [0.3, 1.2, -0.7])


def item_of_a_built_list_written(x):
    hs = []
    for i in range(2):
        hs.append(x * (i + 1))
    h = hs[0]
    h[1] = 0.0  # changes hs[0] too
    return np.sum(np.stack(hs))


def test_a_write_into_an_item_of_a_list_is_refused():
    with pytest.raises(NonDifferentiableError, match="h is an item of a list"):
        grad(item_of_a_built_list_written)(np.ones(3))


GLOBAL_ROW = np.array([0.5, -1.0, 2.0])


def running_writes_into_a_product_with_a_global(x):
    a = x * GLOBAL_ROW
    for i in range(1, 3):
        a[i] = a[i - 1] * 0.25 + x
    return np.sum(a)


def test_no_mode_writes_into_a_global_array_or_an_argument():
    # jacfwd's tangent of x * GLOBAL_ROW along 1.0 is GLOBAL_ROW itself, which the loop then
    # wrote into: every later result was wrong. A loop writing into a carried array it may not
    # change copies it once, before the loop.
    x = np.array([0.3, 1.2, -0.7])
    for mode in (srcdiff.jacfwd, srcdiff.jacrev, srcdiff.hessian, grad):
        mode(running_writes_into_a_product_with_a_global)(0.7)
        np.testing.assert_array_equal(GLOBAL_ROW, [0.5, -1.0, 2.0])
    assert srcdiff.jacfwd(running_writes_into_a_product_with_a_global)(0.7) == pytest.approx(
        central_difference(running_writes_into_a_product_with_a_global, (0.7,), 0), rel=1e-6)
    source = srcdiff.source(grad(doubles_its_argument_in_a_loop), x)
    assert source.count(".copy()") == 1 and "x = x.copy()\n    for i in range(3):" in source
    np.testing.assert_allclose(grad(doubles_its_argument_in_a_loop)(x), 8 * x)
    np.testing.assert_array_equal(x, [0.3, 1.2, -0.7])


def doubles_its_argument_in_a_loop(x):
    for i in range(3):
        x[i] = x[i] * 2.0
    return np.sum(x * x)


STATE = np.array([[0.2, -0.4, 0.7], [0.1, 0.5, -0.3]])


def predict(w, s):
    s2 = s.copy()
    s2[0] = np.sin(w * s[0])
    return s2[0] * 2.0, s2


def states_appended_in_a_loop(w):
    """GradBench's LSTM keeps each step's state, a written copy, in a list it reads back."""
    all_states = [STATE]
    y = np.zeros(3)
    for t in range(2):
        y, new = predict(w, all_states[t])
        all_states.append(new)
    return np.sum(y ** 3)


def test_reverse_over_reverse_of_written_copies_appended_to_a_list():
    """The backward sweep pops each state's adjoint from a list of zeros and adds into it in
    place; reverse mode over it shared that list's arrays between the two sweeps, so the
    second found them changed: jacrev(grad(f)) was wrong where hessian(f) was right."""
    w = np.array([0.3, -0.5, 0.8])
    g = grad(states_appended_in_a_loop)
    expected = central_difference(g, (w,), 0)
    np.testing.assert_allclose(srcdiff.jacrev(g)(w), expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(srcdiff.hessian(states_appended_in_a_loop)(w), expected, rtol=1e-6, atol=1e-8)
    assert_all_modes(states_appended_in_a_loop, (w,))


# ---------------------------------------------------------------------------
# a result is the caller's own array: never an argument's memory (a view of it)


def weighted_by_transpose(W, X):
    return np.sum(W * X.T)


def weighted_by_row(w, X):
    return np.sum(w * X[0])


def linear_map(W, x):
    return W @ x


def same(x):
    return x


def test_results_never_share_the_callers_memory():
    """Each of these derivatives is a view of an argument (X.T, X[0], W, X itself): it comes back
    copied, so changing it in place changes nothing of the caller's."""
    X = np.arange(6.0).reshape(2, 3)
    W = np.arange(6.0).reshape(3, 2) + 1.0
    results = [
        (srcdiff.grad(weighted_by_transpose)(W, X), X, X.T),
        (srcdiff.grad(weighted_by_row)(np.ones(3), X), X, X[0]),
        (srcdiff.vmap(same)(X), X, X),
        (srcdiff.vjp(same, X)[1](X)[0], X, X),
    ]
    before = X.copy()
    for got, arg, expected in results:
        if arg is not None:
            assert not np.shares_memory(got, arg)
            np.testing.assert_array_equal(got, expected)
        got *= 0.0
    np.testing.assert_array_equal(X, before)
    M = W.copy()
    J = srcdiff.jacfwd(linear_map, argnums=1)(M, np.ones(2))
    assert not np.shares_memory(J, M)
    np.testing.assert_array_equal(J, M)


def appended_then_written(x):
    y = x * 1.0
    rows = []
    for _ in range(2):
        rows.append(y)
    y[1:] = 0.0
    return np.sum(np.stack(rows) * x)


def view_appended_then_written(x):
    y = x * 1.0
    rows = []
    for _ in range(2):
        rows.append(y[1:])
    y[1:] = 0.0
    return np.sum(np.stack(rows) * x[1:])


def copy_appended_then_written(x):
    y = x * 1.0
    rows = []
    for _ in range(2):
        rows.append(y.copy())
    y[1:] = 0.0
    return np.sum(np.stack(rows) * x) + np.sum(y)


def written_out_list_then_written(x):
    y = x * 1.0
    rows = [y]
    y[1:] = 0.0
    return np.sum(np.stack(rows) * x)


def test_a_write_into_an_array_a_loop_appended_is_refused():
    """Python's list holds the array itself (or a view of it), so the write changes the list's
    item: srcdiff's list of the values appended would not, and the gradient was silently that of
    the values before the write. Refused at the write; a copy appended, or a list written out,
    is followed."""
    for f in (appended_then_written, view_appended_then_written):
        with pytest.raises(NonDifferentiableError, match="held by the list rows") as info:
            grad(f)(X3)
        assert "test_mutation.py:" in str(info.value) and "rows.append(y.copy())" in str(info.value)
    for f in (copy_appended_then_written, written_out_list_then_written):
        np.testing.assert_allclose(grad(f)(X3), central_difference(f, (X3,), 0), rtol=1e-6, atol=1e-8)


X3 = np.array([1.0, 2.0, 3.0])
