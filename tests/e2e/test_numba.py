"""The numba backend (codegen/numba.py): every derivative against the NumPy backend (to
1e-12) and against central differences or a hand-written gradient; its fallback, its strict
mode, its disk cache and its standalone module. Skipped where numba is not installed, except
what a user without numba sees."""
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import srcdiff
from srcdiff.codegen import numba as numba_backend
from srcdiff.errors import SrcdiffError
from tests.numeric import central_difference

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
needs_numba = pytest.mark.skipif(not numba_backend.available(), reason="numba is not installed")
SAME = dict(rtol=1e-12, atol=1e-12)


@pytest.fixture(autouse=True, scope="module")
def cache_directory(tmp_path_factory):
    """The compiled modules in a directory of the test run's, not the user's cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SRCDIFF_CACHE_DIR", str(tmp_path_factory.mktemp("srcdiff-cache")))
        yield


def both(transform, f, *args, **kwargs):
    """transform(f) by each backend, called on args: (numba's, NumPy's), with numba strict."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", numba_backend.NumbaFallback)
        got = transform(f, backend="numba", strict=True, **kwargs)(*args)
    return got, transform(f, **kwargs)(*args)


def assert_same(got, expected):
    got = got if isinstance(got, tuple) else (got,)
    expected = expected if isinstance(expected, tuple) else (expected,)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        if isinstance(e, tuple):
            assert_same(g, e)
            continue
        assert np.shape(g) == np.shape(e)
        assert np.asarray(g).dtype == np.asarray(e).dtype
        np.testing.assert_allclose(g, e, **SAME)


def assert_differences(got, f, args, argnums):
    got = got if isinstance(got, tuple) else (got,)
    for g, i in zip(got, argnums):
        np.testing.assert_allclose(g, central_difference(f, args, i), rtol=1e-5, atol=1e-7)


# -- what a user writes ----------------------------------------------------------------


def newton_sqrt(a):
    """A while loop: its records are lists (no trip count when compiling)."""
    x = a
    while np.abs(x * x - a) > 1e-10:
        x = 0.5 * (x + a / x)
    return x


def stepped(x, w):
    total = 0.0
    for i in range(9, 0, -2):  # a range of its own step, walked back by the backward sweep
        total = total + np.sum(np.sin(w * x) * i)
        x = np.tanh(x + w)
    return total


def branchy(x):
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] > 0:
            s = s + x[i] ** 2
        else:
            s = s - np.sin(x[i])
    return s


def nested(W, x):
    h = x
    for _ in range(3):
        for j in range(2):
            h = np.tanh(W @ h + j)
    return np.sum(h * h)


def array_while(x):
    y = x
    n = 0
    while n < 4:
        y = np.sin(y) + 0.5 * y
        n = n + 1
    return np.sum(y ** 2)


def with_aux(x, c):
    y = c * np.cos(x)
    return np.sum(y), y.mean()


def vector_map(x):
    y = x
    for _ in range(5):
        y = np.sin(y) * x[::-1] + 0.1 * y
    return y


def relu_mse(W1, b1, w2, b2, X, y):
    h = np.maximum(0, X @ W1 + b1)
    return np.mean((h @ w2 + b2 - y) ** 2)


def uses_cumprod(x):
    return np.sum(np.cumprod(np.sort(x)))


def softmax_xent(W, X, y):
    s = X @ W
    s = s - np.max(s, axis=1, keepdims=True)
    p = np.exp(s) / np.sum(np.exp(s), axis=1, keepdims=True)
    return -np.mean(np.log(p[np.arange(X.shape[0]), y]))


def reductions(x):
    """Along each axis, with and without keepdims: numba has neither keepdims nor an axis for
    max, min and mean; the module reduces by loops of its own."""
    return (np.sum(np.mean(x, axis=0) ** 2) + np.sum(np.min(x, axis=-1)) + np.sum(np.max(x, axis=(1,), keepdims=True) * x)
            + np.sum(np.sum(x, axis=2, keepdims=True) ** 2) + np.sum(np.mean(x[0], axis=1)))


def shrinking_slices(x):
    s = 0.0
    for i in range(3):
        s = s + np.sum(x[i:] ** 2)  # a part whose shape changes with the iteration
    return s


def _half_step(u):
    w = u.copy()
    w[1:] = w[1:] * 0.5 + w[:-1]
    return w


def rebinds_a_numbered_name(x):
    """Its derivative names dw_1 and dw_1_1, then rebinds dw_1: numba 0.68 raises an
    AssertionError of its own compiling it ('dw_1_1_1' not unique)."""
    return np.sum(np.outer(_half_step(x), _half_step(x)))


def stack_of_numbers(x):
    return np.sum(np.stack((x[0] * x[1], x[2], np.sum(x))) ** 2) + np.max(x) * np.sum(x)


def contractions(x, W, K):
    """np.einsum, which numba lacks, as loops of the module's own."""
    return (np.einsum("i,ij,j->", x, K, x) + np.sum(np.einsum("ij,j->i", W, x) ** 2)
            + np.einsum("ii", K) * np.sum(x))


def scalar_carried(x, y):
    """The adjoint of tanh(y), a number, starts as np.zeros_like of it: a 0-d array in
    numba, which it will not add to the number the backward loop carries."""
    a = 0.5
    for i in range(1):
        a = a * np.tanh(y)
    return np.sum(a * np.maximum(x, a)) + x[1]


def spread_sum(x, y):
    a = np.zeros(3)
    a[:-1] = np.trapezoid(x)  # its adjoint expands a number: np.expand_dims(np.sum(...), 0)
    return np.sum(y - a) + a[-1] * y


def elementwise_runs(W, X, c):
    """Runs of elementwise operations over one shape: each one loop over the elements, of
    2-D arrays here, with an inline product and a number among the operands."""
    z = np.tanh(W @ X) * c + 1.0
    s = 1.0 / (1.0 + np.exp(-z))
    y = s * z - np.sin(z) ** 2
    return np.sum(y * y) + np.sum(s)


def overlapping_writes(x):
    """Writes whose value shares memory with where it goes (found by the random tester, seed
    7202: written element by element, b[::-1] = b reversed half of b onto itself)."""
    b = np.tanh(x).copy()
    b[:-1] = b[::2]
    b[::-1] = b
    b[1:] += b[:-1]
    return np.sum(np.sin(b + x) * (b + x)) + x[1]


def branch_residuals(x, y):
    """Each branch keeps for the backward sweep what the other does not make: the loop's
    record holds None for it (found by the random tester, seed 7202: an array record could
    not hold the None)."""
    a = 2.0
    for i in range(3):
        if x[i] > 0.0:
            a = np.cos(np.sum(x)) - a
        else:
            a = np.exp(np.tanh(x[i]))
        a = a - y
    return a


W_GLOBAL = np.array([[0.5, -0.2], [0.3, 0.8]])


def reads_global(x):
    return np.sum(np.tanh(W_GLOBAL @ x) ** 2)


RNG = np.random.default_rng(7)
X2 = RNG.standard_normal(2)
X3 = RNG.standard_normal(3)
X5 = RNG.standard_normal(5)
W3 = RNG.standard_normal((3, 3)) * 0.5


# -- the benchmark workloads: strict, equal to NumPy's and to the hand-written gradients ----


@needs_numba
@pytest.mark.parametrize("name", ["scalar_loop", "rnn", "lstm", "ode_rk4"])
def test_workloads(name):
    from benchmarks.workloads import WORKLOADS
    w = next(w for w in WORKLOADS if w.name == name)
    args = w.inputs()
    got, expected = both(srcdiff.grad, w.objective, *args, argnums=w.argnums)
    assert_same(got, expected)
    for g, h in zip(got, w.hand_grad(*args)):
        np.testing.assert_allclose(g, h, rtol=1e-8, atol=1e-10)
    source = srcdiff.source(srcdiff.grad(w.objective, argnums=w.argnums, backend="numba"), *args)
    assert '@numba.njit(cache=True, error_model="numpy")' in source
    # the records are arrays of the trip count, written at the iteration's row: no lists
    assert ".append(" not in source and "np.stack(" not in source and "reversed(" not in source
    assert "np.empty((" in source


@needs_numba
def test_record_rows_and_reversed_ranges_read_as_written():
    from benchmarks.workloads import WORKLOADS
    w = next(w for w in WORKLOADS if w.name == "rnn")
    source = srcdiff.source(srcdiff.grad(w.objective, argnums=w.argnums, backend="numba"), *w.inputs())
    assert "h_saved = np.empty((51, 32))" in source
    assert "put_into(h_saved[t + 1], h_1)" in source  # h_1: the tanh, made by a loop over its elements
    assert "for t in range(n - 1, -1, -1):" in source
    assert "put_into(mul_dh_saved[n - 1 - t], mul_dh)" in source
    assert "mul_dh_steps_T = mul_dh_saved.T" in source  # np.stack of a record is the record


# -- loops, branches and calls, by central differences --------------------------------


@needs_numba
@pytest.mark.parametrize("f, args, argnums", [
    (newton_sqrt, (2.0,), (0,)),
    (stepped, (X3, 0.7), (0, 1)),
    (branchy, (X5,), (0,)),
    (nested, (W3, X3), (0, 1)),
    (array_while, (X3,), (0,)),
    (relu_mse, (RNG.standard_normal((2, 3)), RNG.standard_normal(3), RNG.standard_normal(3), 0.1,
                RNG.standard_normal((8, 2)), RNG.standard_normal(8)), (0, 1, 2, 3)),
    (softmax_xent, (RNG.standard_normal((4, 3)), RNG.standard_normal((6, 4)), np.array([0, 1, 2, 0, 1, 2])), (0,)),
    (reductions, (RNG.standard_normal((3, 4, 5)),), (0,)),
    (contractions, (X3, RNG.standard_normal((2, 3)), W3), (0, 1, 2)),
    (scalar_carried, (X3, 0.7), (0, 1)),
    (spread_sum, (X3, 0.5), (0, 1)),
    (overlapping_writes, (X3,), (0,)),
    (elementwise_runs, (RNG.standard_normal((3, 2)), RNG.standard_normal((2, 4)), 0.7), (0, 1, 2)),
    (branch_residuals, (np.array([0.3, -0.2, 0.5]), 0.4), (0, 1)),
    (branch_residuals, (np.array([-0.3, -0.2, 0.5]), 0.4), (0, 1)),
], ids=["while-scalar", "stepped-range", "branch", "nested-loops", "while-array", "relu-net", "softmax",
        "reductions", "einsum", "scalar-adjoint", "expand-a-number", "overlapping-writes", "elementwise-runs",
        "branch-residuals-then", "branch-residuals-else"])
def test_grad(f, args, argnums):
    got, expected = both(srcdiff.grad, f, *args, argnums=argnums)
    assert_same(got, expected)
    assert_differences(got, f, args, argnums)


@needs_numba
def test_elementwise_runs_are_loops_over_elements():
    W, X = RNG.standard_normal((3, 2)), RNG.standard_normal((2, 4))
    source = srcdiff.source(srcdiff.grad(elementwise_runs, argnums=(0, 1, 2), backend="numba"), W, X, 0.7)
    assert "for j in range(3):" in source and "for l in range(4):" in source
    assert "np.exp(" in source and "[j, l]" in source
    # what only the run reads is a number in the loop, not an array
    assert "s_j = 1.0 / (1.0 + np.exp(-z_j))" in source and "s = np.empty" not in source


@needs_numba
def test_counter_for_a_stepped_range():
    source = srcdiff.source(srcdiff.grad(stepped, argnums=(0, 1), backend="numba"), X3, 0.7)
    assert "for i in range(1, 9 - 2 * 0 + 0, 2)" not in source  # spelled as a range walked down
    assert "k = 0" in source and "k += 1" in source


@needs_numba
def test_value_and_grad_with_aux():
    got, expected = both(srcdiff.value_and_grad, with_aux, X3, 1.5, argnums=(0, 1), has_aux=True)
    (value, aux), grads = got
    assert_same((value, aux), expected[0])
    assert_same(grads, expected[1])
    assert_differences(grads, lambda x, c: with_aux(x, c)[0], (X3, 1.5), (0, 1))


@needs_numba
def test_jvp_vjp_and_jacobians():
    tangent = RNG.standard_normal(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", numba_backend.NumbaFallback)
        y, dy = srcdiff.jvp(vector_map, (X3,), (tangent,), backend="numba", strict=True)
        out, pullback = srcdiff.vjp(vector_map, X3, backend="numba", strict=True)
        (dx,) = pullback(np.ones(3))
        J_fwd = srcdiff.jacfwd(vector_map, backend="numba", strict=True)(X3)
        J_rev = srcdiff.jacrev(vector_map, backend="numba", strict=True)(X3)
        H = srcdiff.hessian(lambda x: np.sum(vector_map(x) ** 2), backend="numba", strict=True)(X3)
    y0, dy0 = srcdiff.jvp(vector_map, (X3,), (tangent,))
    assert_same((y, dy), (y0, dy0))
    J = central_difference(vector_map, (X3,), 0)
    np.testing.assert_allclose(J_fwd, srcdiff.jacfwd(vector_map)(X3), **SAME)
    np.testing.assert_allclose(J_rev, srcdiff.jacrev(vector_map)(X3), **SAME)
    np.testing.assert_allclose(J_fwd, J, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(dx, J.T @ np.ones(3), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(out, vector_map(X3), **SAME)
    np.testing.assert_allclose(H, srcdiff.hessian(lambda x: np.sum(vector_map(x) ** 2))(X3), rtol=1e-10, atol=1e-12)


@needs_numba
@settings(max_examples=15, deadline=None)
@given(st.floats(-2, 2), st.floats(0.1, 1.5))
def test_same_as_numpy_for_all_inputs(x0, w):
    """One compile, many inputs: the two backends agree wherever they are called."""
    x = np.array([x0, 0.5 * x0, -x0])
    got, expected = both(srcdiff.grad, stepped, x, w, argnums=(0, 1))
    assert_same(got, expected)


@needs_numba
@settings(max_examples=15, deadline=None)
@given(st.lists(st.floats(-3, 3), min_size=6, max_size=6), st.floats(-2, 2))
def test_fused_loops_same_as_numpy_for_all_inputs(w, c):
    """The loops over elements compute what the array operations do, for all inputs."""
    W, X = np.reshape(w, (3, 2)), np.reshape(w[::-1], (2, 3))
    got, expected = both(srcdiff.grad, elementwise_runs, W, X, c, argnums=(0, 1, 2))
    assert_same(got, expected)


@needs_numba
def test_float32_and_caller_arrays_untouched():
    x = X3.astype(np.float32)
    before = x.copy()
    got, expected = both(srcdiff.grad, lambda v: np.sum(np.tanh(v) * v), x)
    assert got.dtype == expected.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    np.testing.assert_array_equal(x, before)
    assert not np.shares_memory(got, x)


@needs_numba
def test_a_captured_array_read_when_called(monkeypatch):
    g = srcdiff.grad(reads_global, backend="numba", strict=True)
    first = g(X2)
    np.testing.assert_allclose(first, srcdiff.grad(reads_global)(X2), **SAME)
    monkeypatch.setitem(globals(), "W_GLOBAL", np.array([[1.0, 0.0], [0.0, -2.0]]))
    np.testing.assert_allclose(g(X2), srcdiff.grad(reads_global)(X2), **SAME)
    assert_differences((g(X2),), reads_global, (X2,), (0,))


# -- where numba refuses: a located warning and NumPy's answer, or with strict an error ----


@needs_numba
@pytest.mark.parametrize("f", [shrinking_slices, rebinds_a_numbered_name, stack_of_numbers])
def test_found_by_the_random_tester(f):
    """Each once raised through to the caller (an error that was not numba's NumbaError, a
    shape not known when compiling) or fell back where numba compiles it."""
    x = np.array([0.3, 0.17, 0.18])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", numba_backend.NumbaFallback)
        got = srcdiff.grad(f, backend="numba")(x)
    assert_same(got, srcdiff.grad(f)(x))
    assert_differences((got,), f, (x,), (0,))


@needs_numba
def test_value_and_grad_returns_the_types_numpy_does():
    got, expected = both(srcdiff.value_and_grad, lambda v: np.sum(np.sin(v)), X3)
    assert type(got[0]) is type(expected[0]) is np.float64
    assert_same(got, expected)



@needs_numba
def test_fallback_warns_with_the_line_and_computes_with_numpy():
    x = np.array([3.0, 1.0, 2.0])
    g = srcdiff.grad(uses_cumprod, backend="numba")
    with pytest.warns(numba_backend.NumbaFallback) as caught:
        got = g(x)
    np.testing.assert_allclose(got, srcdiff.grad(uses_cumprod)(x), **SAME)
    message = str(caught[0].message)
    assert "numba cannot compile `dx = " in message and "line " in message
    assert "test_numba.py" in message and "cumprod" in message
    assert caught[0].filename == __file__  # the warning points at the user's call
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(g(x), got, **SAME)  # warned once


@needs_numba
def test_strict_raises_a_located_error():
    with pytest.raises(SrcdiffError, match=r"numba cannot compile .*cumprod"):
        srcdiff.grad(uses_cumprod, backend="numba", strict=True)(np.array([3.0, 1.0, 2.0]))


def test_backend_arguments_are_checked():
    with pytest.raises(ValueError, match="backend must be one of 'numpy', 'numba'"):
        srcdiff.grad(branchy, backend="jax")
    with pytest.raises(ValueError, match="strict=True is for backend='numba'"):
        srcdiff.grad(branchy, strict=True)


def test_without_numba_says_how_to_install(monkeypatch):
    monkeypatch.setattr(numba_backend, "available", lambda: False)
    with pytest.raises(ImportError, match=r'pip install "srcdiff\[numba\]"'):
        srcdiff.grad(branchy, backend="numba")
    with pytest.raises(ImportError, match=r'pip install "srcdiff\[numba\]"'):
        srcdiff.jacfwd(branchy, backend="numba")


# -- the disk cache and the standalone module -------------------------------------------


_SECOND_PROCESS = """
import json, sys
import numpy as np, srcdiff
from benchmarks.workloads import scalar_loop
g = srcdiff.grad(scalar_loop, argnums=1, backend="numba", strict=True)
value = g(1.0, 2.0)
jitted = g.compiled(1.0, 2.0).fn.jitted
print(json.dumps({"value": value, "hits": sum(jitted.stats.cache_hits.values()),
                  "misses": sum(jitted.stats.cache_misses.values())}))
"""


@needs_numba
def test_a_second_process_reads_the_compiled_code_from_disk(tmp_path):
    env = dict(os.environ, SRCDIFF_CACHE_DIR=str(tmp_path), PYTHONPATH=ROOT)
    runs = [json.loads(subprocess.run([sys.executable, "-c", _SECOND_PROCESS], env=env, cwd=ROOT, check=True,
                                      capture_output=True, text=True).stdout.splitlines()[-1]) for _ in range(2)]
    assert runs[0]["misses"] == 1 and runs[0]["hits"] == 0
    assert runs[1]["hits"] == 1 and runs[1]["misses"] == 0
    assert runs[0]["value"] == runs[1]["value"]
    from benchmarks.workloads import scalar_loop
    np.testing.assert_allclose(runs[1]["value"], central_difference(scalar_loop, (1.0, 2.0), 1), rtol=1e-5)


@needs_numba
def test_cli_writes_a_module_of_numpy_and_numba(tmp_path):
    out = tmp_path / "grad_rnn.py"
    subprocess.run([sys.executable, "-m", "srcdiff", "benchmarks/workloads.py:rnn_loss", "--argnums", "0,1",
                    "--backend", "numba", "--args", "np.ones((4, 4)) * 0.1, np.ones((4, 3)) * 0.2, np.ones((6, 3))",
                    "-o", str(out)], cwd=ROOT, check=True, capture_output=True)
    text = out.read_text()
    imports = sorted(line for line in text.splitlines() if line.startswith(("import ", "from ")))
    assert imports == ["import numba", "import numpy as np"]
    namespace = {}
    exec(compile(text, str(out), "exec"), namespace)
    W, U, X = np.ones((4, 4)) * 0.1, np.ones((4, 3)) * 0.2, np.ones((6, 3))
    from benchmarks.workloads import rnn_loss
    for got, expected in zip(namespace["grad_rnn_loss"](W, U, X), srcdiff.grad(rnn_loss, argnums=(0, 1))(W, U, X)):
        np.testing.assert_allclose(got, expected, **SAME)


@needs_numba
def test_cli_check_with_the_numba_backend():
    done = subprocess.run([sys.executable, "-m", "srcdiff", "benchmarks/workloads.py:scalar_loop", "--argnums", "1",
                           "--backend", "numba", "--strict", "--args", "1.0, 2.0", "--check"],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "a: max abs error" in done.stdout and "ok" in done.stdout


def test_cli_refuses_numba_for_vmap():
    done = subprocess.run([sys.executable, "-m", "srcdiff", "examples/survey.py:f", "--mode", "vmap",
                           "--backend", "numba", "--args", "np.ones(3), 2.0"], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 2 and "--backend numba is for --mode rev, fwd and vjp" in done.stderr
