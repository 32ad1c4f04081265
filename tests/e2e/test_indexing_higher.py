"""Second derivatives through indexing, slicing, broadcasting and writes (issue 14).

A derivative's IR reads and writes through the same primitives as the function (a read's
adjoint is zeros with g put at the index, `dx[1:] = dsum`), so every composition of two
derivatives differentiates those primitives' own rules again, with respect to every operand
that can be active. Each second derivative here is compared with central differences of the
first derivative, in every composition: jacrev(grad(f)), jacfwd(grad(f)), hessian(f), the
vjp of grad(f), grad(grad(f)) where the first derivative is a scalar, and grad of a function
that calls grad(f) (specialised to the arguments, and compiled for unknown shapes)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import srcdiff

from tests.numeric import central_difference, import_file

RTOL = ATOL = 1e-5


def _close(got, expected, what):
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    assert got.shape == expected.shape, f"{what}: shape {got.shape}, expected {expected.shape}"
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL, err_msg=what)


def _floats(args):
    return [i for i, a in enumerate(args) if isinstance(a, float) or isinstance(a, np.ndarray)]


def check_second_order(f, args, nested=None, every=True):
    """Every composition of two derivatives of the scalar f at args against central differences
    of the first; nested, when given, is a function calling grad(f) whose gradient is checked.
    every=False (for long sweeps) leaves out the compositions that compile the same rules again:
    forward mode wrt the other arguments, and grad(grad(f)) (jacrev's backward code)."""
    args = tuple(args)
    for i in _floats(args):
        gi = srcdiff.grad(f, argnums=i)
        _close(gi(*args), central_difference(f, args, i), f"grad {i}")
        _close(gi.compiled().fn(*args), gi(*args), f"grad {i} compiled for unknown shapes")
        for j in _floats(args):
            expected = central_difference(lambda *a: np.asarray(gi(*a), dtype=float), args, j)
            _close(srcdiff.jacrev(gi, argnums=j)(*args), expected, f"jacrev(grad {i}) wrt {j}")
            if every or i == j:
                _close(srcdiff.jacfwd(gi, argnums=j)(*args), expected, f"jacfwd(grad {i}) wrt {j}")
            if every and np.ndim(args[i]) == 0:
                _close(srcdiff.grad(gi, argnums=j)(*args), expected, f"grad(grad {i}) wrt {j}")
            if every and i == j:
                _close(srcdiff.hessian(f, argnums=i)(*args), expected, f"hessian {i}")
        out, pullback = srcdiff.vjp(gi, *args)
        w = np.cos(np.arange(np.size(out)) + 1.0).reshape(np.shape(out)) if np.ndim(out) else 0.7
        cotangents = pullback(w)
        for j in _floats(args):
            expected = central_difference(lambda *a: np.sum(np.asarray(gi(*a)) * w), args, j)
            _close(cotangents[j], expected, f"vjp of grad {i}, cotangent {j}")
    if nested is not None:
        for j in _floats(args):
            expected = central_difference(nested, args, j)
            g = srcdiff.grad(nested, argnums=j)
            _close(g(*args), expected, f"grad of {nested.__name__} wrt {j}")
            _close(g.compiled().fn(*args), expected, f"grad of {nested.__name__} wrt {j}, unknown shapes")


# -- the programs of the issue ------------------------------------------------------


def repeated_read(x, c):
    return np.sum(x[[0, 0]]) * c  # grad's own code: np.add.at(dx, [0, 0], c)


def slice_squared(x):
    return np.sum(x[1:]) ** 2  # grad's own code: dx[1:] = 2.0 * np.sum(x[1:])


def slice_times(x, c):
    return np.sum(x[1:]) * c  # grad's own code: dx[1:] = c, one number put in two places


def strided_product(x, y):
    return np.sum(np.sin((x * y)[::2]) ** 2)


def column_times_row(x, y):
    return np.sum(np.sin((x * y)[1:, ::-1]) ** 2)


def masked(x, c):
    return np.sum(x[x > 0] ** 3) * c


def scalar_mask(x, c):
    return np.sum((x * c)[x.sum() > 0] ** 3)


def true_index(x, c):
    return np.sum(np.sin(x[True] * c))


ARR = np.array([0.5, -1.0, 2.0])


def slice_of_a_broadcast(x):
    return np.sum((ARR * x)[1:]) * x  # x a float: grad(grad(f)) had an array where dx's sum goes


def fancy_read_of_a_broadcast(x, y):
    return np.sum(np.sin((ARR * x + y)[np.array([2, 0, 2])])) * x


def float_condition_as_index(x):
    return np.sum((ARR * x)[x > 0]) * x  # a 0-d mask: all of ARR * x, or none of it


def true_as_index(x):
    return np.sum((ARR * x)[True]) * x


def fill_rows(z, X, w):
    for i in range(X.shape[0]):
        z[i] = np.tanh(X[i] * w)


def rows_written_by_a_helper(X, w):
    z = np.zeros(X.shape)
    fill_rows(z, X, w)
    return np.sum(z ** 2)


def make_rows(X, w):
    z = np.zeros(X.shape)
    for i in range(X.shape[0]):
        z[i] = X[i] * w
    return z


def rows_returned_by_a_helper(X, w):
    return np.sum(make_rows(X, w)[1:] ** 3)


d_repeated_read = srcdiff.grad(repeated_read, argnums=(0, 1))


def uses_repeated_read_gradient(x, c):
    dx, dc = d_repeated_read(x, c)
    return np.sum(dx * np.sin(x)) + dc ** 2


X = np.array([[0.3, -1.2, 0.4], [0.5, 0.1, -0.7], [-0.4, 0.8, 1.1], [0.9, -0.3, 0.2]])
V = np.array([0.3, -1.2, 0.5, 0.9])


def test_a_repeated_read_times_a_number_gives_that_number_its_own_shape():
    x, c = np.array([0.3, -1.2, 0.5]), 0.7
    out, pullback = srcdiff.vjp(srcdiff.grad(repeated_read), x, c)
    dx, dc = pullback(np.array([1.0, 2.0, 3.0]))
    assert isinstance(dc, float) and dc == 2.0  # was an array of shape (2,)
    np.testing.assert_array_equal(srcdiff.jacrev(srcdiff.grad(repeated_read), argnums=1)(x, c), [2.0, 0.0, 0.0])
    check_second_order(repeated_read, (x, c), nested=uses_repeated_read_gradient)


@pytest.mark.parametrize("f, args", [
    (slice_squared, (V,)),
    (slice_times, (V, 0.7)),
    (strided_product, (X, np.array([0.5, -1.0, 2.0]))),
    (column_times_row, (X[:, :1], np.array([0.5, -1.0, 2.0]))),
    (masked, (V, 0.7)),
    (scalar_mask, (V, 0.7)),
    (scalar_mask, (-V, 0.7)),
    (true_index, (V, 0.7)),
    (slice_of_a_broadcast, (0.7,)),
    (float_condition_as_index, (0.7,)),
    (float_condition_as_index, (-0.6,)),
    (true_as_index, (0.7,)),
    (fancy_read_of_a_broadcast, (0.7, -0.3)),
    (rows_written_by_a_helper, (X, np.array([0.7, -1.3, 0.4]))),
    (rows_returned_by_a_helper, (X, np.array([0.7, -1.3, 0.4]))),
], ids=lambda v: getattr(v, "__name__", ""))
def test_the_issues_programs_in_every_composition(f, args):
    check_second_order(f, args)


# -- a helper's if or loop writing into the caller's array ----------------------------
# The writes were lost (a silent wrong gradient) or reached the caller as a value from
# inside the region (an internal IRError); first order was wrong already.


def put_if_positive(z, x):
    if x > 0:
        z[1] = x


def helper_if(x):
    z = np.ones(3)
    put_if_positive(z, x)
    return np.sum(z ** 3)


def put_rows(z, x):
    for i in range(3):
        z[i] = x * i


def helper_loop(x):
    z = np.zeros(3)
    put_rows(z, x)
    return np.sum(z ** 2) * x


def scale_rows(z, x):
    i = 0
    while i < 3:
        z[i] *= x
        i += 1


def helper_while(x):
    z = np.ones(3)
    scale_rows(z, x)
    return np.sum(z ** 3)


def put_cell(z, x, i):
    for j in range(2):
        if x * (i + j) > 0.5:
            z[i, j] = x * (i + j)
        else:
            z[i, j] += x


def put_all(z, x):
    for i in range(3):
        put_cell(z, x, i)


def helpers_in_helpers(x):
    z = np.zeros((3, 2))
    put_all(z, x)
    return np.sum(z ** 3)


def closure_loop(x):
    z = np.ones(3)

    def fill():
        for i in range(3):
            z[i] = x * i

    fill()
    return np.sum(z ** 2)


def returns_early(z, x):
    for i in range(3):
        if i * x > 1.0:
            return z
        z[i] = x * i
    return z


def helper_returning_early(x):
    z = np.ones(3)
    returns_early(z, x)
    return np.sum(z ** 2)


@pytest.mark.parametrize("f", [helper_if, helper_loop, helper_while, helpers_in_helpers, closure_loop,
                               helper_returning_early], ids=lambda f: f.__name__)
@pytest.mark.parametrize("x", [0.7, -0.4])
def test_a_helpers_if_or_loop_writes_into_the_callers_array(f, x):
    check_second_order(f, (x,))


def write_or_rebind(z, x):
    if x > 0:
        z[0] = x
    else:
        z = z * 2.0
    return np.sum(z)


def written_on_one_path(x):
    z = np.ones(3)
    return write_or_rebind(z, x) * np.sum(z)


def write_then_rebind(z, x):
    for i in range(3):
        z[i] = x
        z = z * 2.0


def written_then_rebound(x):
    z = np.ones(3)
    write_then_rebind(z, x)
    return np.sum(z ** 2)


@pytest.mark.parametrize("f, line", [(written_on_one_path, write_or_rebind.__code__.co_firstlineno + 1),
                                     (written_then_rebound, write_then_rebind.__code__.co_firstlineno + 1)])
def test_a_helper_that_writes_into_the_callers_array_on_some_paths_only_is_refused_there(f, line):
    with pytest.raises(srcdiff.SrcdiffError, match=rf"test_indexing_higher.py:{line}: .*caller's array") as e:
        srcdiff.grad(f)(0.7)
    assert "hint:" in str(e.value)


def write_down(z, x, n):
    if n == 0:
        return 0.0
    z[n - 1] = x * n
    return write_down(z, x, n - 1)


def recursion_writing_an_argument(x, n):
    z = np.zeros(3)
    write_down(z, x, int(n * x))  # the depth is known only when the derivative runs: a recursion of its own
    return np.sum(z ** 2)


def recursion_writing_a_closure(x, n):
    z = np.zeros(3)
    n = int(n * x)

    def down(m):
        if m == 0:
            return 0.0
        z[m - 1] = x
        return down(m - 1)

    down(n)
    return np.sum(z ** 2)


@pytest.mark.parametrize("f, line", [
    (recursion_writing_an_argument, write_down.__code__.co_firstlineno + 3),
    (recursion_writing_a_closure, recursion_writing_a_closure.__code__.co_firstlineno + 7)])
def test_a_recursion_writing_into_an_array_from_outside_it_is_refused_there(f, line):
    """It lost the writes below the first call: a silent wrong gradient."""
    with pytest.raises(srcdiff.SrcdiffError, match=rf"test_indexing_higher.py:{line}: a recursive function writes"):
        srcdiff.grad(f)(0.7, 4.5)


def write_down_from(x, n):
    z = np.zeros(3)
    write_down(z, x, n)  # n, an int argument, is compiled for by value: the recursion unrolls
    return np.sum(z ** 2)


def test_a_recursion_of_an_int_arguments_depth_writing_into_an_outer_array_unrolls():
    for n in (3, 2):
        assert srcdiff.grad(write_down_from)(0.7, n) == pytest.approx(
            central_difference(write_down_from, (0.7, n), 0), rel=1e-7)


def copy_down(z, x, n):
    if n == 0:
        return np.sum(z ** 2)
    z = z.copy()
    z[n - 1] = x * n
    return copy_down(z, x, n - 1)


def recursion_writing_its_own_copy(x, n):
    return copy_down(np.zeros(3), x, n)


def test_a_recursion_writing_into_its_own_copy_is_differentiated():
    f = recursion_writing_its_own_copy
    assert srcdiff.grad(f)(0.7, 3) == pytest.approx(central_difference(f, (0.7, 3), 0), rel=1e-7)


# -- slices whose bounds are computed ------------------------------------------------
# The shape of x[k:] was taken from a stand-in k = 0: np.mean(x[k:]) divided by len(x)
# (a silent wrong gradient), x[::k] was refused as a zero step, and z[k:] = v or a sliding
# window x[i:i + 3] in a loop as broadcast errors.


def mean_of_tail(x, k):
    return np.mean(x[k:])


def strided(x, k):
    return np.sum(x[::k] ** 3) + x[-k] * x[0]


def tail_written(x, c, k):
    z = x * c
    z[k:] = np.cos(x[:x.shape[0] - k] * c)
    return np.sum(z ** 3)


def window(x, c, k):
    z = np.zeros(x.shape)
    z[k - 1:k + 1] += x[k:k + 2] * c
    return np.sum(np.sin(z) * x) + np.mean(x[:, None][k:] * c)


def sliding_window(x, w):
    s = 0.0
    for i in range(x.shape[0] - 2):
        s = s + np.sum(x[i:i + 3] * w) ** 2  # was refused: shapes (0,) (3,) do not broadcast
    return s


@pytest.mark.parametrize("f, args", [(mean_of_tail, (V, 2)), (mean_of_tail, (V, 1)), (strided, (V, 2)),
                                     (tail_written, (V, 0.7, 1)), (window, (V, 0.7, 2)),
                                     (sliding_window, (np.linspace(-1.0, 1.0, 6), np.array([0.5, -1.0, 2.0])))],
                         ids=lambda v: getattr(v, "__name__", ""))
def test_slices_whose_bounds_are_computed(f, args):
    check_second_order(f, args)


# -- every indexing form, at ranks 1-3 ------------------------------------------------

INDEX = {
    1: ["1:", "::-1", "-2", "1:-1", "3:0:-1", "[0, 0, 2]", "x > 0", "None", "...", "None, 1:", "k", "-k:", "True",
        "np.sum(x) > 0", "[True, False, True, True, False]", "np.arange(3)", "np.array([[0, 1], [1, 4]])"],
    2: ["::-1, 1:", "0", "-1, 1", "[1, 1], [0, 2]", "x > 0", ":, None", "..., 1", "k", "np.arange(3), [0, 1, 1]",
        "[0, 2], ::2", "x[0, 0] > 0", "1:, ::-2", "x[:, 0] > 0", "1, [0, 2]", "[[0], [2]], [1, 2]"],
    3: ["0, ::-1", "..., 0", "[0, 0], 1:", "x > 0", "None, ..., None", ":, [1, 1], 1", "1, 2, 0", "x[..., 0] > 0",
        "1, 1:, [0, 1]"],
}
SHAPES = {1: (5,), 2: (4, 3), 3: (3, 4, 2)}
READS = {  # y broadcasts against x's last axis
    "scaled": "np.sum(x[{i}]) * c",
    "broadcast": "np.sum(np.sin((x * y + c)[{i}]) ** 2)",
    "nonlinear": "np.sum(np.sin(x[{i}] * c) ** 2 * x[{i}])",
}
# each form read one of the three ways in turn (the batches that explore read each all three ways)
CASES = [(r, idx, sorted(READS)[k % len(READS)]) for r in INDEX for k, idx in enumerate(INDEX[r], start=r)]


@pytest.fixture(scope="module")
def reads(tmp_path_factory):
    """The programs, in a file of their own (srcdiff reads their source)."""
    lines = ["import numpy as np", "import srcdiff", ""]
    for n, (r, idx, kind) in enumerate(CASES):
        lines += [f"def f{n}(x, c, y):", "    k = 1", "    return " + READS[kind].format(i=idx), "",
                  f"df{n} = srcdiff.grad(f{n}, argnums=(0, 1, 2))", "",
                  f"def h{n}(x, c, y):", f"    dx, dc, dy = df{n}(x, c, y)",
                  "    return np.sum(dx * np.cos(x)) + dc ** 2 + np.sum(dy * y)", ""]
    return import_file(tmp_path_factory.mktemp("indexing") / "indexing_reads.py", "\n".join(lines))


@pytest.mark.parametrize("n", range(len(CASES)), ids=[f"rank{r}-x[{i}]-{k}" for r, i, k in CASES])
def test_every_read_in_every_composition(reads, n):
    r = CASES[n][0]
    rng = np.random.default_rng(n)
    x = rng.normal(size=SHAPES[r]) + 0.3  # the scalar masks select
    check_second_order(getattr(reads, f"f{n}"), (x, 0.7, rng.normal(size=SHAPES[r][-1:])),
                       nested=getattr(reads, f"h{n}"), every=False)


WRITES = ["1:", "::-1", "0", "x > 0", "...", "k", "[0, 2]", "None"]
WRITTEN = {1: WRITES, 2: WRITES + [":, 1", "1:, [0, 2]", "x[:, 0] > 0", ":, ::-2"]}
WRITE_CASES = [(r, idx, ("set", "add", "number")[k % 3]) for r in WRITTEN for k, idx in enumerate(WRITTEN[r], start=r)]


@pytest.fixture(scope="module")
def writes(tmp_path_factory):
    body = {"set": "z[{i}] = np.cos(x[{i}] * c)", "add": "z[{i}] += np.sin(x[{i}]) * c", "number": "z[{i}] = c"}
    lines = ["import numpy as np", ""]
    for n, (r, idx, kind) in enumerate(WRITE_CASES):
        lines += [f"def f{n}(x, c):", "    k = 1", "    z = x * c", "    " + body[kind].format(i=idx),
                  "    return np.sum(z ** 3)", ""]
    return import_file(tmp_path_factory.mktemp("indexing") / "indexing_writes.py", "\n".join(lines))


@pytest.mark.parametrize("n", range(len(WRITE_CASES)), ids=[f"rank{r}-z[{i}]-{k}" for r, i, k in WRITE_CASES])
def test_every_write_in_every_composition(writes, n):
    r = WRITE_CASES[n][0]
    x = np.random.default_rng(n).normal(size=SHAPES[r]) + 0.3
    check_second_order(getattr(writes, f"f{n}"), (x, 0.7), every=False)


SHAPED = ["x.reshape(-1)", "x.reshape(12)[::-2]", "np.ravel(x)[[0, 0, 5]]", "np.expand_dims(x, 0)[0, 1:]",
          "np.squeeze(x[:, :1])[1:]", "x.T[1:]", "np.concatenate([x, x[:, :1] * c], axis=1)[:, ::-1]",
          "np.stack([x[0], x[1] * c], axis=1)[1:]", "np.reshape(x[0, 0], ())"]


@pytest.fixture(scope="module")
def shaped(tmp_path_factory):
    lines = ["import numpy as np", "import srcdiff", ""]
    for n, e in enumerate(SHAPED):
        lines += [f"def f{n}(x, c):", f"    return np.sum(np.sin({e} * c) ** 2)", "",
                  f"df{n} = srcdiff.grad(f{n}, argnums=(0, 1))", "", f"def h{n}(x, c):",
                  f"    dx, dc = df{n}(x, c)", "    return np.sum(dx * np.cos(x)) + dc ** 2", ""]
    return import_file(tmp_path_factory.mktemp("indexing") / "indexing_shaped.py", "\n".join(lines))


@pytest.mark.parametrize("n", range(len(SHAPED)), ids=SHAPED)
def test_reads_after_reshaping_in_every_composition(shaped, n):
    """x.reshape(-1) compiled for unknown shapes raised TypeError (its shape rule took -1 for a tuple)."""
    x = np.random.default_rng(n).normal(size=(3, 4))
    check_second_order(getattr(shaped, f"f{n}"), (x, 0.7), nested=getattr(shaped, f"h{n}"), every=False)


# -- random index expressions ---------------------------------------------------------


@st.composite
def index_expressions(draw):
    """An index into an array of shape (4, 3): per axis an int, a slice (any step), an
    integer list (repeats too) or nothing, with None and ... in between, or a mask."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(["x > 0", "x[:, 0] > 0", "np.sum(x) > 0", "True"]))
    parts = []
    for n in (4, 3):
        kind = draw(st.sampled_from(["int", "slice", "list", "all", "none"]))
        if kind == "int":
            parts.append(str(draw(st.integers(-n, n - 1))))
        elif kind == "slice":
            step = draw(st.sampled_from([1, 2, -1, -2]))
            start = draw(st.one_of(st.none(), st.integers(-n, n - 1)))
            parts.append(f"{'' if start is None else start}::{step}")
        elif kind == "list":
            parts.append(str(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=3))))
        elif kind == "none":
            parts += ["None", ":"]
        else:
            parts.append(":")
    if draw(st.booleans()):
        parts = parts[:1] + ["..."]
    return ", ".join(parts)


@settings(max_examples=12, deadline=None)
@given(index=index_expressions(), kind=st.sampled_from(sorted(READS)))
def test_random_index_expressions_in_every_composition(tmp_path_factory, index, kind):
    x = np.array([[0.3, -1.2, 0.4], [0.5, 0.1, -0.7], [-0.4, 0.8, 1.1], [0.9, -0.3, 0.2]])
    try:
        eval(f"x[{index}]")
    except IndexError:
        return  # two integer lists of different lengths do not broadcast
    source = ("import numpy as np\n\n\ndef f(x, c, y):\n    return " + READS[kind].format(i=index) + "\n")
    module = import_file(tmp_path_factory.mktemp("random_index") / "random_index.py", source)
    check_second_order(module.f, (x, 0.7, np.array([0.5, -1.0, 2.0])), every=False)
