"""The cached-call fast path (srcdiff/dispatch.py) answers exactly as the general path does:
for every argument kind, keyword and default, after a rebinding, and where Python floats
and NumPy scalars part ways."""
import warnings

import numpy as np
import pytest

import srcdiff
from srcdiff import grad, value_and_grad
from srcdiff.api import Gradient

SCALE = 2.0


def scaled(x, y=3.0):
    return np.sum(SCALE * x * y + x * x)


def test_each_call_of_the_same_gradient_answers_for_its_own_argument_kinds():
    g = grad(scaled)
    x = np.array([1.0, -2.0])
    for _ in range(3):  # the later rounds run through the installed fast paths
        assert g(1.5) == 2 * 3.0 + 3.0
        np.testing.assert_array_equal(g(x), 6.0 + 2 * x)
        np.testing.assert_array_equal(g(x[:1]), 6.0 + 2 * x[:1])
        assert g(np.float64(1.5)) == 9.0 and isinstance(g(np.float64(1.5)), np.floating)
        assert g(np.array(1.5, dtype=np.float32)).dtype == np.float32


def test_keywords_and_defaults_bind_as_for_the_function_itself():
    g = grad(scaled)
    g(1.0)
    assert g(x=1.0) == 8.0
    assert g(1.0, y=5.0) == 2 * 5.0 + 2.0
    assert g(1.0, 5.0) == 12.0
    with pytest.raises(TypeError, match="y"):
        g(1.0, z=2.0)
    with pytest.raises(TypeError):
        g(1.0, 2.0, 3.0)


def test_rebinding_a_global_after_the_fast_path_is_installed_recompiles():
    global SCALE
    g = grad(scaled)
    assert g(1.0) == 8.0 and g(1.0) == 8.0
    SCALE = 5.0
    try:
        assert g(1.0) == 17.0
    finally:
        SCALE = 2.0
    assert g(1.0) == 8.0


def test_a_changed_closure_value_recompiles():
    c = 1.0

    def f(x):
        return c * x * x

    g = grad(f)
    assert g(1.0) == 2.0 and g(1.0) == 2.0
    c = 4.0
    assert g(1.0) == 8.0


def reciprocal(x):
    return 1.0 / x


def test_division_by_a_zero_float_gives_numpys_inf_not_zero_division_error():
    g = grad(reciprocal)
    g(1.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert g(0.0) == -np.inf
    assert any(issubclass(w.category, RuntimeWarning) for w in caught)


def survey(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def test_at_python_floats_the_cached_call_runs_the_math_variant():
    g = grad(survey, argnums=(0, 1))
    for _ in range(3):  # compiling, installing the fast path, then through it
        d1, d2 = g(2.0, 5.0)
        assert type(d1) is float and type(d2) is float
        assert d1 == 1.0 / 2.0 + 5.0 and d2 == 2.0 - np.cos(5.0)
    compiled = g.compiled(2.0, 5.0)
    assert "math.cos(x2)" in compiled.on_floats_source and "np.cos(x2)" in compiled.source
    assert compiled.on_floats(2.0, 5.0) == compiled.fn(2.0, 5.0)


def test_where_math_raises_the_answer_is_numpys():
    f = value_and_grad(natural_log)
    f(1.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value, d = f(-1.0)  # math.log(-1.0) raises ValueError; np.log(-1.0) is nan
        assert srcdiff.grad(natural_log)(0.0) == np.inf  # 1 / 0.0 raises ZeroDivisionError; NumPy's is inf
    assert np.isnan(value) and d == -1.0
    assert sum(issubclass(w.category, RuntimeWarning) for w in caught) >= 2


def counted(x):
    i = 0
    while i < 3:
        x = x * np.cos(x) + 2 * i
        i = i + 1
    for k in range(2):
        x = x + np.sin(x) * k
    return x


def test_the_math_variant_keeps_int_counters_ints_and_makes_float_constants_floats():
    g = grad(counted)
    for _ in range(2):
        assert abs(g(0.7) - (counted(0.7 + 1e-6) - counted(0.7 - 1e-6)) / 2e-6) < 1e-7
    fast = g.compiled(0.7).on_floats_source
    assert "math.cos(" in fast and "i = i + 1" in fast and "2 * i" in fast
    assert "np." not in fast.split("def grad_counted")[1]


def natural_log(x):
    return np.log(x)


def power(x, y):
    return x ** y


def test_a_negative_base_to_a_float_power_is_nan_as_in_numpy_not_complex():
    g = grad(power)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for _ in range(2):
            d = g(-8.0, 1.0 / 3.0)
            assert type(d) is float and np.isnan(d)
    assert g(2.0, 3.0) == 12.0


def test_value_and_aux_come_back_as_from_the_general_path():
    def loss(w, x):
        r = w * x - 1.0
        return r * r, r

    vg = value_and_grad(loss, argnums=(0, 1), has_aux=True)
    for _ in range(2):
        (value, aux), (dw, dx) = vg(2.0, 3.0)
        assert (value, aux, dw, dx) == (25.0, 5.0, 30.0, 20.0)
        assert type(dw) is float
    v, d = value_and_grad(reciprocal)(2.0)
    v, d = value_and_grad(reciprocal)(2.0)
    assert (v, d) == (0.5, -0.25)


def odd_names(fn, slow, a0, *, k=1.0):
    return fn * slow * a0 * k


def test_parameters_named_like_the_dispatchers_own_names_still_work():
    g = grad(odd_names, argnums=(0, 1, 2))
    for _ in range(2):
        assert g(2.0, 3.0, 5.0) == (15.0, 10.0, 6.0)


def test_each_gradient_has_its_own_class_and_is_still_a_gradient():
    g, h = grad(reciprocal), grad(reciprocal)
    g(1.0)
    assert type(g) is not type(h) and isinstance(g, Gradient) and isinstance(h, Gradient)
    assert h(np.array(2.0)) == -0.25 and g(2.0) == -0.25
    assert repr(g).startswith("<srcdiff.grad of reciprocal")


def test_the_caller_s_arrays_reach_the_derivative_as_they_are():
    def f(x):
        return np.sum(x * x)

    g = grad(f)
    x = np.arange(3.0)
    entry = g.compiled(x)
    fn, seen = entry.fn, []
    entry.fn = lambda a: seen.append(a) or fn(a)
    try:
        np.testing.assert_array_equal(g(x), 2 * x)  # the general path, which installs the fast one
        np.testing.assert_array_equal(g(x), 2 * x)
    finally:
        entry.fn = fn
        srcdiff.cache.clear()
    assert len(seen) == 2 and all(a is x for a in seen)


def matrix_loss(W, v):
    return np.sum(np.tanh(W @ v))


def test_a_large_input_is_not_copied():
    """The gradient wrt an 8 MB matrix needs one matrix (dW) and vectors; nothing more."""
    import tracemalloc

    rng = np.random.default_rng(0)
    W, v = rng.standard_normal((1000, 1000)), rng.standard_normal(1000)
    g = grad(matrix_loss, argnums=(0, 1))
    g(W, v)
    tracemalloc.start()
    try:
        dW, dv = g(W, v)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1.2 * W.nbytes
    np.testing.assert_allclose(dv, W.T @ (1 - np.tanh(W @ v) ** 2))
