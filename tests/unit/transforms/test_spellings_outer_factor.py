"""Two analyses that hold for every spelling and rank (issue 15).

- An outer product spelled as a column times a row (u[:, None] * v[None, :], u[:, None] * v,
  u.reshape(-1, 1) * v, np.expand_dims(u, 1) * v[None], ...) is np.outer(u, v) after the
  canonical pass (srcdiff/transforms/canonical.py), so a loop's running total of them is
  one matrix product after the loop (accumulate.py), as np.outer's is; so is a column
  times a row that reverse mode makes (the adjoint of W in np.sum(W * h[None, :], axis=1)).
- Factors are taken out of sums along any one axis of an N-d product (factor.py): a factor
  constant along the summed axis multiplies the sum; one varying along it goes into a
  matrix product, with np.matmul's leading axes for the axes it varies along besides.

Each test compares gradients with central differences and looks at the IR the pass leaves
(the passes after it switched off), not at emitted names."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import srcdiff
from srcdiff.compiler import grad_ir, lower_ir
from srcdiff.ir import FOR, aval_of_argument
from srcdiff.ir.regions import read_counts
from srcdiff.prims.elementwise import BINARY
from srcdiff.prims.linalg import DOT, MATMUL, OUTER, TRANSPOSE
from srcdiff.prims.reductions import SUM
from srcdiff.transforms import passes
from tests.numeric import assert_matches_differences, import_file

MUL = BINARY["mul"]
rng = np.random.default_rng(15)


def ir_after(stage, fun, args, argnums=None):
    """The IR as the named pass leaves it, every pass after it switched off: of fun as the
    primal passes leave it (argnums None), else of its gradient."""
    order = [p.name for p in passes.PRIMAL + passes.DERIVATIVE]
    optimize = passes.Optimization(disabled=frozenset(order[order.index(stage) + 1:]))
    avals = [aval_of_argument(a) for a in args]
    if argnums is None:
        return lower_ir(fun, avals, None, optimize).fn
    return grad_ir(fun, avals, argnums, optimize=optimize)[0].fn


def equations(block):
    """Every equation in block and the blocks nested in it."""
    for e in block.eqns:
        yield e
        for b in e.blocks:
            yield from equations(b)


def made_by(block):
    return {o.id: e for e in equations(block) for o in e.outs}


def column_times_row(block, reads=None):
    """The products of a column and a row (out of rank 2) in block, however spelled (only
    those something reads, given the read counts: a pass leaves dead code to the next)."""
    return [e for e in equations(block)
            if (e.prim is OUTER or (e.prim is MUL and len(e.outs[0].aval.shape) == 2
                                    and all(len(a.aval.shape) >= 1 and 1 in a.aval.shape for a in e.ins)))
            and (reads is None or reads[e.outs[0].id])]


def summed_after_loops(fn):
    """Whether some matrix product after a loop reads a transposed matrix (of recorded rows)."""
    made = made_by(fn.body)
    return any(e.prim is MATMUL and made.get(e.ins[0].id) is not None and made[e.ins[0].id].prim is TRANSPOSE
               for e in fn.body.eqns)


# ---------------------------------------------------------------------------
# the outer product, spelled every way


def spelled_np_outer(a, b):
    return np.outer(a, b)


def spelled_both_new_axes(a, b):
    return a[:, None] * b[None, :]


def spelled_column_times_vector(a, b):
    return a[:, None] * b


def spelled_reshape(a, b):
    return a.reshape(-1, 1) * b


def spelled_expand_dims(a, b):
    return np.expand_dims(a, 1) * b[None]


def spelled_row_first(a, b):
    return b[None, :] * a[:, np.newaxis]


def spelled_reshape_both(a, b):
    return np.reshape(a, (a.shape[0], 1)) * np.expand_dims(b, axis=0)


SPELLINGS = [spelled_np_outer, spelled_both_new_axes, spelled_column_times_vector, spelled_reshape,
             spelled_expand_dims, spelled_row_first, spelled_reshape_both]


def total_of_outer_products(outer, u, V):
    acc = np.zeros((u.shape[0], V.shape[1]))
    for k in range(V.shape[0]):
        acc = acc + outer(np.sin(u * k), V[k])
    return np.sum(acc * acc)


def make_total(outer):
    def total(u, V):
        return total_of_outer_products(outer, u, V)
    return total


TOTALS = {s.__name__: make_total(s) for s in SPELLINGS}
U, V = rng.standard_normal(4), rng.standard_normal((6, 3))


@pytest.mark.parametrize("spelling", [s.__name__ for s in SPELLINGS])
def test_every_spelling_is_one_outer_product_after_canonicalising(spelling):
    fn = ir_after("canonical", TOTALS[spelling], (U, V))
    products = column_times_row(fn.body)
    assert [e.prim for e in products] == [OUTER], products
    assert products[0].outs[0].aval.shape == (4, 3)


@pytest.mark.parametrize("spelling", [s.__name__ for s in SPELLINGS])
def test_every_spelling_s_running_total_is_summed_after_the_loop(spelling):
    total = TOTALS[spelling]
    g = srcdiff.grad(total, argnums=(0, 1))
    assert_matches_differences(g, total, (U, V), argnums=(0, 1))
    fn = ir_after("outer-sums", total, (U, V), argnums=(0, 1))
    loops = [e for e in fn.body.eqns if e.prim is FOR]
    assert loops and not any(column_times_row(b, read_counts(fn.body)) for loop in loops for b in loop.blocks)
    assert summed_after_loops(fn)


def weight_times_row(W, X):
    # the adjoint of W is a column (the step's adjoint) times the row h[None, :]: the VJP
    # rules spell that outer product, and the backward loop's total of it is one product
    h = np.zeros(W.shape[0])
    for t in range(X.shape[0]):
        h = np.tanh(np.sum(W * h[None, :], axis=1) + X[t])
    return np.sum(h ** 2)


def test_an_outer_product_reverse_mode_makes_is_summed_after_the_loop_too():
    W, X = 0.4 * rng.standard_normal((5, 5)), rng.standard_normal((6, 5))
    assert_matches_differences(srcdiff.grad(weight_times_row), weight_times_row, (W, X), argnums=0)
    fn = ir_after("outer-sums", weight_times_row, (W, X), argnums=(0,))
    backward = [e for e in fn.body.eqns if e.prim is FOR and e.params.get("reverse")]
    assert len(backward) == 1 and not column_times_row(backward[0].blocks[0], read_counts(fn.body))
    assert summed_after_loops(fn)
    # the rows h[None, :] the forward sweep recorded are the matrix's, stacked: the
    # backward sweep records only its own adjoints
    assert len(backward[0].params["saves"]) == 1


def matrix_times_row(A, v):
    return np.sum(np.sin(A * v[None, :]))


def column_times_column(u, w):
    return np.sum(np.sin(u[:, None] * w[:, None]))


def int_column_times_row(v, n):
    return np.sum(np.sin(n[:, None] * v[None, :]))


def test_only_a_column_times_a_row_is_an_outer_product():
    A, v, u = rng.standard_normal((4, 3)), rng.standard_normal(3), rng.standard_normal(4)
    for f, args in ((matrix_times_row, (A, v)), (column_times_column, (u, u))):
        assert not any(e.prim is OUTER for e in equations(ir_after("canonical", f, args).body))
        assert_matches_differences(srcdiff.grad(f, argnums=(0, 1)), f, args, argnums=(0, 1))
    column = rng.standard_normal((4, 1))
    assert not any(e.prim is OUTER for e in equations(ir_after("canonical", column_times_column,
                                                               (column, u)).body))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_outer_product_keeps_the_dtype(dtype):
    v, n = rng.standard_normal(3).astype(dtype), np.arange(1, 5)
    products = [e for e in equations(ir_after("canonical", int_column_times_row, (v, n)).body) if e.prim is OUTER]
    assert len(products) == 1 and products[0].outs[0].aval.dtype == np.result_type(n, v)
    assert srcdiff.grad(int_column_times_row)(v, n).dtype == dtype
    if dtype == np.float64:
        assert_matches_differences(srcdiff.grad(int_column_times_row), int_column_times_row, (v, n), argnums=0)


# ---------------------------------------------------------------------------
# factoring sums along one axis of 3-D products


def batched_rows(M, e):
    return np.sum(np.sin(np.sum(M * e[:, :, None], axis=1)))


def batched_columns(M, v):
    return np.sum(np.sin(np.sum(M * v[:, None, :], axis=2)))


def leading_axis(M, w):
    return np.sum(np.sin(np.sum(M * w[:, None, None], axis=0)))


def constant_along_the_sum(M, c):
    return np.sum(np.sin(np.sum(M * c[:, None, :] ** 2, axis=1)))


def mixture(means, log_vars, X):
    # the components an explicit axis: (k, n, d) arrays
    diff = X[None, :, :] - means[:, None, :]
    L = -0.5 * np.sum(diff ** 2 / np.exp(log_vars)[:, None, :] + log_vars[:, None, :], axis=2)
    return np.sum(np.log(np.sum(np.exp(L), axis=0)))


def batch_after_the_sum(M, u):
    return np.sum(np.sin(np.sum(M * u[:, :, None], axis=0)))


def sums_of_products(fn, rank):
    """The axes of the single-axis sums in fn of products of this rank with no length-1
    axis (not an argument's sum, nor a broadcast factor's own)."""
    made = made_by(fn.body)
    return [e.params["axis"] for e in equations(fn.body)
            if e.prim is SUM and len(e.ins[0].aval.shape) == rank and 1 not in e.ins[0].aval.shape
            and type(e.params.get("axis")) is int and e.ins[0].id in made]


def products_of(fn):
    return [e for e in equations(fn.body) if e.prim in (DOT, MATMUL)]


SHAPES = [(3, 4, 5), (2, 7, 3), (5, 2, 2)]
FACTORED = [(batched_rows, lambda k, n, d: (k, n)), (batched_columns, lambda k, n, d: (k, d)),
            (leading_axis, lambda k, n, d: (k,)), (constant_along_the_sum, lambda k, n, d: (k, d))]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("f, factor_shape", FACTORED, ids=[f.__name__ for f, _ in FACTORED])
def test_a_3d_sum_s_factors_come_out(f, factor_shape, shape):
    args = (rng.standard_normal(shape), 0.5 * rng.standard_normal(factor_shape(*shape)))
    assert_matches_differences(srcdiff.grad(f, argnums=(0, 1)), f, args, argnums=(0, 1))
    fn = ir_after("factor", f, args, argnums=(0, 1))
    assert sums_of_products(fn, 3) == []  # the user's sum and the adjoint's, each a product or a smaller sum
    if f is not constant_along_the_sum:
        assert products_of(fn)


def test_the_3d_mixture_s_sums_are_matrix_products():
    k, n, d = 3, 20, 4
    args = (rng.standard_normal((k, d)), 0.3 * rng.standard_normal((k, d)), rng.standard_normal((n, d)))
    assert_matches_differences(srcdiff.grad(mixture, argnums=(0, 1)), mixture, args, argnums=(0, 1))
    fn = ir_after("factor", mixture, args, argnums=(0, 1))
    assert sums_of_products(fn, 3) == []
    assert sum(e.prim is MATMUL for e in products_of(fn)) == 3  # the value's, the means', the variances'


@pytest.mark.parametrize("shape", SHAPES)
def test_a_factor_varying_along_a_later_axis_stays_in_the_sum(shape):
    k, n, d = shape
    args = (rng.standard_normal(shape), rng.standard_normal((k, n)))
    assert_matches_differences(srcdiff.grad(batch_after_the_sum, argnums=(0, 1)), batch_after_the_sum, args,
                               argnums=(0, 1))
    assert 0 in sums_of_products(ir_after("factor", batch_after_the_sum, args, argnums=(0, 1)), 3)


def test_a_product_with_a_length_1_axis_is_left_alone():
    args = (rng.standard_normal((3, 1, 5)), rng.standard_normal((3, 1)))
    assert_matches_differences(srcdiff.grad(batched_rows, argnums=(0, 1)), batched_rows, args, argnums=(0, 1))
    assert not products_of(ir_after("factor", batched_rows, args, argnums=(0, 1)))


def row_times_column(a, b):
    return np.sum(np.sin(np.sum(a * b, axis=0)))


def spread_row_times_column(a, b):
    return np.sum(np.sin(np.sum(np.broadcast_to(a, (b.shape[0], a.shape[1])) * b, axis=0)))


@pytest.mark.parametrize("f", [row_times_column, spread_row_times_column])
def test_a_sum_of_broadcast_operands_without_a_matrix_is_left_alone(f):
    # (1, d) times (n, 1), or (1, d) spread to (n, d) times (n, 1): no (n, d) matrix to take
    # a factor out of a sum of
    args = (rng.standard_normal((1, 4)), rng.standard_normal((5, 1)))
    assert_matches_differences(srcdiff.grad(f, argnums=(0, 1)), f, args, argnums=(0, 1))
    assert 0 in sums_of_products(ir_after("factor", f, args, argnums=(0, 1)), 2)


# random shapes: a sum along any axis of a product of a full array and two broadcast factors


@st.composite
def sums(draw):
    rank = draw(st.integers(2, 4))
    shape = tuple(draw(st.lists(st.sampled_from([1, 2, 3, 4, 2, 3, 4]), min_size=rank, max_size=rank)))
    axis = draw(st.integers(-rank, rank - 1))
    summed = axis % rank

    def factor():
        # each form a rule takes (a batched row, a batched column, constant along the sum) or any
        form = draw(st.sampled_from(["rows", "columns", "across", "any"]))
        varies = draw(st.lists(st.booleans(), min_size=rank, max_size=rank))
        if form == "rows":
            varies = [v and i < summed or i == summed for i, v in enumerate(varies)]
        elif form == "columns":
            varies = [v and i < rank - 2 or i == summed for i, v in enumerate(varies)]
        elif form == "across":
            varies[summed] = False
        lying = tuple(k if v else 1 for k, v in zip(shape, varies))
        drop = draw(st.integers(0, rank))  # broadcasting puts leading 1s in
        while drop and lying and lying[0] == 1:
            lying, drop = lying[1:], drop - 1
        return lying

    return shape, axis, factor(), factor(), draw(st.sampled_from(["*", "/", "+", "-"]))


@settings(max_examples=80, deadline=None)
@given(case=sums())
def test_factored_sums_along_any_axis_keep_their_values_and_gradients(tmp_path_factory, case):
    # a product (M * a times or over b) or a sum of terms (M * a plus or minus b)
    shape, axis, a_shape, b_shape, op = case
    source = ("import numpy as np\n\n\ndef f(M, a, b):\n"
              f"    return np.sum(np.sin(np.sum(M * a {op} (1.5 + np.cos(b)), axis={axis})))\n")
    f = import_file(tmp_path_factory.mktemp("factor3") / "product.py", source).f
    args = tuple(0.5 * rng.standard_normal(s) for s in (shape, a_shape, b_shape))
    value, _ = srcdiff.value_and_grad(f, argnums=(0, 1, 2))(*args)
    np.testing.assert_allclose(value, f(*args), rtol=1e-10, atol=1e-12)
    assert_matches_differences(srcdiff.grad(f, argnums=(0, 1, 2)), f, args, argnums=(0, 1, 2))
