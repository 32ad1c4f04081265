"""Python as people write it around a loss (issue 17): calls with *args/**kwargs, comparisons
and builtins decided when compiling, and print/assert/warnings.warn, which run in the forward
part of the emitted code once per call. Every derivative is checked against central
differences in forward, reverse and second order (tests/numeric.py's assert_all_modes)."""
import os
import warnings

import numpy as np
import pytest

import srcdiff
from srcdiff import NonDifferentiableError

from tests.numeric import assert_all_modes, central_difference

HERE = os.path.basename(__file__)
X = np.array([0.3, -0.7, 1.2])


# ---------------------------------------------------------------------------
# calls as Python allows them


def inner(x, a, b):
    return np.sum(x * a + b ** 2)


def star_tuple(x):
    t = (2.0, 1.5)
    return inner(x, *t)


def star_traced(x):
    t = (np.sum(x), x[0])
    return inner(x, *t)


def star_dict(x):
    d = {"a": 2.0, "b": x[1]}
    return inner(x, **d)


def star_mixed(x):
    return inner(*(x,), 3.0, **{"b": x[2]})


def var_positional(x, *rest):
    total = np.sum(x)
    for r in rest:
        total = total * r
    return total + len(rest)


def calls_var_positional(x):
    return var_positional(x, 2.0, np.sum(x ** 2)) + var_positional(x)


def var_keyword(x, **kw):
    return np.sum(x * kw["a"]) + kw.get("c", 0.5) * np.sum(x ** 2)


def calls_var_keyword(x):
    return var_keyword(x, a=2.0) + var_keyword(x, a=x[0], c=3.0)


def calls_nested_star(x):
    def g(*args, scale=1.0, **kw):
        return scale * sum(args) + kw["w"] * args[0]

    return np.sum(g(x, x ** 2, scale=0.5, w=3.0))


def calls_lambda_star(x):
    h = lambda *a: a[0] * a[-1]  # noqa: E731
    return np.sum(h(x, 2.0, np.sin(x)))


def gmm_objective(alphas, means, icf, x, wishart_gamma, wishart_m):
    return np.sum(alphas * np.sum(means, axis=0)) + np.sum(icf ** 2) * wishart_gamma + np.sum(x) * wishart_m


def gmm_style(alphas):
    fixed = {"x": np.arange(3.0), "wishart_gamma": 1.5, "wishart_m": 2.0}
    ind = {"means": np.outer(alphas, alphas), "icf": np.tanh(alphas)}
    return gmm_objective(alphas, **fixed, **ind)


def star_shape(x):
    y = np.reshape(x, (*x.shape, 1))
    return np.sum(y * np.ones((2, *y.shape)))


def star_list_display(x):
    a = [x[0], x[1]]
    return np.sum(np.array([*a, x[2] ** 2]))


def star_dict_display(x):
    d = {"w": x[0], "b": 1.0}
    e = {**d, "b": x[1] ** 2}
    return e["w"] * e["b"]


def keyword_only(x, *, scale=2.0, shift=None):
    y = x * scale
    if shift is not None:
        y = y + shift
    return np.sum(y ** 2)


def calls_keyword_only(x):
    return keyword_only(x, scale=0.5) + keyword_only(x, shift=x[0])


def with_defaults(x, r=None, act=np.tanh, w=np.array([1.0, 2.0, 3.0]), t=(1.0, 2.0)):
    if r is None:
        r = 2.0
    a, b = t
    return np.sum(act(x) * w * r) * a + b


@pytest.mark.parametrize("fn", [star_tuple, star_traced, star_dict, star_mixed, calls_var_positional,
                                calls_var_keyword, calls_nested_star, calls_lambda_star, gmm_style, star_shape,
                                star_list_display, star_dict_display, calls_keyword_only, keyword_only,
                                with_defaults])
def test_calls_as_python_allows_them(fn):
    assert_all_modes(fn, (X.copy(),))


def test_keyword_only_argument_given_at_the_top():
    g = srcdiff.grad(keyword_only)(X, scale=3.0)
    np.testing.assert_allclose(g, central_difference(lambda x: keyword_only(x, scale=3.0), (X,), 0), rtol=1e-6)


def test_default_function_passed_explicitly():
    g = srcdiff.grad(with_defaults)(X, 1.5, np.sin)
    np.testing.assert_allclose(g, central_difference(lambda x: with_defaults(x, 1.5, np.sin), (X,), 0), rtol=1e-6)


def unpacks_a_list_built_in_a_loop(x):
    hs = []
    for i in range(x.shape[0]):
        hs.append(x[i])
    return inner(x, *hs)


def unpacks_an_array(x):
    return np.sum(x) * float(np.sum(np.array([*x[:1]])))


def double_keyword(x):
    return inner(x, a=1.0, **{"a": 2.0, "b": 1.0})


def test_unpacking_a_list_of_unknown_length_is_refused():
    with pytest.raises(NonDifferentiableError, match="cannot unpack a value whose length is not known") as info:
        srcdiff.grad(unpacks_a_list_built_in_a_loop)(X)
    assert f"{HERE}:" in str(info.value) and "hint:" in str(info.value)


def test_a_keyword_given_twice_is_refused():
    with pytest.raises(NonDifferentiableError, match="multiple values for keyword argument 'a'") as info:
        srcdiff.grad(double_keyword)(X)
    assert f"{HERE}:" in str(info.value)


def test_unpacking_an_array_of_known_length():
    assert_all_modes(unpacks_an_array, (X.copy(),))


# ---------------------------------------------------------------------------
# comparisons and builtins decided when compiling


def is_none(x, r=None):
    if r is None:
        return np.sum(x ** 2)
    return np.sum(x * r)


def is_not_none(x, r=None):
    if r is not None:
        return np.sum(x * r)
    return np.sum(np.sin(x))


def checks_instance(x):
    if isinstance(x, np.ndarray):
        return np.sum(x ** 3)
    return x ** 3


def checks_float(x):
    if isinstance(x, float) and type(x) is float and not isinstance(x, (np.ndarray, int)):
        return x ** 3
    return np.sum(x)


def checks_callable(x, g=np.tanh, h=None):
    total = np.sum(g(x)) if callable(g) else np.sum(x)
    if callable(h):
        total = total + np.sum(h(x))
    return total


class Scaled:
    def __init__(self):
        self.scale = 3.0


OBJ = Scaled()


def checks_hasattr(x):
    s = OBJ.scale if hasattr(OBJ, "scale") else 1.0
    t = 2.0 if hasattr(OBJ, "missing") else 1.0
    return np.sum(x * s * t) + (1.0 if hasattr(x, "shape") else 0.0)


def compares_strings(x, mode="train"):
    if mode == "train" and mode != "eval" and "w" in {"w": 1} and "q" not in ("a", "b"):
        return np.sum(x ** 2)
    return np.sum(x)


def int_of_values(x):
    n = int(x.shape[0])
    k = int(np.sum(x))  # an int of a computed float: no derivative through it
    return np.sum(x) * n + k * x[0] + float(n) + int(2.9)


def bool_and_round(x):
    b = bool(x.shape[0] > 2)
    r = round(2.7) + round(x[1])  # round(x[1]) is an int: no derivative
    q = round(x[2], 2)  # NumPy's around has none either
    return (x[0] * r if b else x[0]) + q * x[0]


def stored_range(x):
    r = range(1, x.shape[0])
    s = 0.0
    for i in r:
        s = s + x[i] ** 2 * len(r)
    for i in reversed(r):
        s = s + x[i]
    return s + x[r[0]] * x[r[-1]] + sum(x[i] for i in r)


def traced_range(x, n):
    r = range(n)
    s = 0.0
    for i in r:
        s = s + x[i] * x[i]
    return s * len(r)


def builtin_sum_start(ypred):
    return np.sum(sum(np.exp(ypred), 2.0)) + sum([ypred[0], ypred[1]], 1.0)


def extrema(x):
    a = max(x[0], x[1], x[2])
    b = min(x[0] ** 2, 0.5, x[2])
    c = max([x[0], x[1]], key=lambda v: -v)  # a traced key: selects with the comparison
    d = min((x, x * 2), key=lambda v: v.shape[0])  # a key known when compiling: the first
    e = max((1.0, 3.0), key=abs)
    f = min([], default=x[0])
    return a + b * c + np.sum(d) + e + f


def containers(x):
    d = {"w": x[0], "b": x[1]}
    total = d.get("w") * d.get("missing", 2.0)
    for k, v in d.items():
        total = total + v ** 2
    for k in d.keys():
        total = total + d[k]
    for v in d.values():
        total = total * 1.5 + v
    names = ["w", "b"]
    total = total + names.index("b") * x[2] + len(d) + len(names) + len((1, 2, 3))
    total = total + ("a", "b", "a").index("a", 1) * x[1] + [1, 2, 1].index(1, -2, 3) * x[0]
    for i, v in enumerate(x):
        total = total + i * v
    for a, b in zip(x, x[::-1]):
        total = total + a * b
    for i, v in zip(range(3), x):
        total = total + i * v
    for i, j in enumerate(range(1, 3)):
        total = total + i * j * x[0]
    return total


@pytest.mark.parametrize("fn", [is_none, is_not_none, checks_instance, checks_callable, checks_hasattr,
                                compares_strings, int_of_values, bool_and_round, stored_range, builtin_sum_start,
                                extrema, containers])
def test_builtins_decided_when_compiling(fn):
    assert_all_modes(fn, (X.copy(),))


def test_python_float_is_a_float():
    assert_all_modes(checks_float, (0.7,))
    assert_all_modes(checks_instance, (0.7,))


def test_is_none_with_a_value_given():
    assert_all_modes(lambda x: is_none(x, 3.0), (X.copy(),))
    g = srcdiff.grad(is_not_none)(X, 2.0)
    np.testing.assert_allclose(g, 2.0 * np.ones(3))


def test_callable_with_a_function_given():
    g = srcdiff.grad(checks_callable)(X, np.sin, np.cos)
    np.testing.assert_allclose(g, np.cos(X) - np.sin(X), rtol=1e-12)


def test_int_round_carry_no_derivative():
    g = srcdiff.grad(int_of_values)(X)
    k = int(np.sum(X))
    np.testing.assert_allclose(g, 3.0 * np.ones(3) + np.array([k, 0, 0]), rtol=1e-12)
    source = srcdiff.source(srcdiff.grad(bool_and_round), X)
    assert "round(x[1])" in source or "round(" in source


def test_traced_range():
    g = srcdiff.grad(traced_range)(X, 2)
    np.testing.assert_allclose(g, central_difference(lambda x: traced_range(x, 2), (X,), 0), rtol=1e-6)
    np.testing.assert_allclose(srcdiff.hessian(traced_range)(X, 2), np.diag([4.0, 4.0, 0.0]), atol=1e-12)


def isinstance_of_a_0d_value(x):
    y = np.sum(x)
    if isinstance(y, np.ndarray):
        return y
    return y * 2


def is_between_values(x):
    y = x * 2
    return np.sum(y) if x is y else np.sum(x)


def test_undecidable_questions_are_refused():
    with pytest.raises(NonDifferentiableError, match="0-d array or a NumPy scalar") as info:
        srcdiff.grad(isinstance_of_a_0d_value)(X)
    assert f"{HERE}:" in str(info.value) and "hint:" in str(info.value)
    with pytest.raises(NonDifferentiableError, match="'is' between two computed values"):
        srcdiff.grad(is_between_values)(X)


# ---------------------------------------------------------------------------
# print, assert, warnings.warn


def prints(x):
    y = np.sum(x ** 2)
    print(f"loss {y:.3f}", "size", x.shape[0], sep=" | ", end=";\n")
    print("value", y, f"{x[0]!r}", f"{'fixed'}", None)
    return y


def prints_in_a_loop(x):
    s = 0.0
    for i in range(3):
        s = s + np.sin(x[i]) * s + x[i]
        print(f"step {i}: {s:.4f}")
    return s


def prints_in_a_while(x):
    s, n = x[0], 0
    while n < 3:
        s = s * x[1] + 1.0
        print("n =", n, "s =", f"{s:+.3e}")
        n += 1
    return s


def helper_that_prints(v):
    print("helper", f"{np.sum(v):.2f}")
    return np.sum(v ** 2)


def prints_in_an_if(x):
    y = helper_that_prints(x)
    if y > 1.0:
        print("big", f"{y:.1f}")
    else:
        print("small")
    return y * np.sum(x)


@pytest.mark.parametrize("fn", [prints, prints_in_a_loop, prints_in_a_while, prints_in_an_if])
def test_print_runs_once_per_call_in_every_mode(fn, capsys):
    x = X.copy()
    fn(x)
    expected = capsys.readouterr().out
    assert expected
    calls = [lambda: srcdiff.grad(fn)(x), lambda: srcdiff.value_and_grad(fn)(x),
             lambda: srcdiff.jvp(fn, (x,), (np.ones(3),)), lambda: srcdiff.hessian(fn)(x),
             lambda: srcdiff.vjp(fn, x)[1](1.0), lambda: srcdiff.jacrev(srcdiff.grad(fn))(x)]
    for call in calls:
        call()
        assert capsys.readouterr().out == expected
    g = srcdiff.grad(fn)
    g(x)
    g(x)  # the cached call prints too, once more
    assert capsys.readouterr().out == expected * 2
    assert_all_modes(fn, (x,))


def test_print_stays_a_print_in_the_emitted_code():
    source = srcdiff.source(srcdiff.grad(prints), X)
    assert "print(f'loss {y:.3f}', 'size', x.shape[0], sep=' | ', end=';\\n')" in source
    lines = source.splitlines()
    printing = [k for k, line in enumerate(lines) if "print(" in line]
    backward = [k for k, line in enumerate(lines) if line.strip().startswith("dx")]
    assert len(printing) == 2 and max(printing) < min(backward)  # in the forward part
    loop = srcdiff.source(srcdiff.grad(prints_in_a_loop), X)
    assert loop.count("print(") == 1
    hessian = srcdiff.source(srcdiff.hessian(prints_in_a_loop), X)
    assert hessian.count("print(") == 1  # every column in one pass: the loop, and its print, run once


def prints_a_float(x):
    print("x is", x, f"{x:.2f}")
    return x * x


def test_print_of_a_python_float_argument(capsys):
    prints_a_float(0.5)
    expected = capsys.readouterr().out
    assert srcdiff.grad(prints_a_float)(0.5) == 1.0
    assert capsys.readouterr().out == expected


def asserts(x):
    assert x.shape[0] == 3, "needs three"  # known when compiling: checked then
    y = np.sum(x ** 2)
    assert y > 0.1, f"too small: {y:.3f}"
    if y > 100.0:
        assert x.shape[0] == 2, "never reached"  # false when compiling, on a side that does not run
    return y


def test_assert_stays_in_the_forward_part():
    assert_all_modes(asserts, (X.copy(),))
    source = srcdiff.source(srcdiff.grad(asserts), X)
    assert "assert y > 0.1, f'too small: {y:.3f}'" in source
    assert "needs three" not in source
    with pytest.raises(AssertionError, match="too small: 0.000"):
        srcdiff.grad(asserts)(np.zeros(3))
    with pytest.raises(AssertionError, match="too small"):
        srcdiff.jvp(asserts, (np.zeros(3),), (np.ones(3),))
    with pytest.raises(AssertionError, match="never reached"):
        srcdiff.grad(asserts)(np.full(3, 10.0))


def asserts_an_array(x):
    assert x > 0
    return np.sum(x)


def test_assert_of_an_array_is_refused():
    with pytest.raises(NonDifferentiableError, match="truth value of an array") as info:
        srcdiff.grad(asserts_an_array)(X)
    assert f"{HERE}:" in str(info.value)


def warns(x):
    y = np.sum(x ** 2)
    if y > 1.0:
        warnings.warn(f"large loss {y:.2f}", RuntimeWarning)
    warnings.warn("always")
    return y


def _warned(call):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        result = call()
    return result, [(w.category, str(w.message)) for w in record]


def test_warnings_warn():
    _, expected = _warned(lambda: warns(X))
    assert expected == [(RuntimeWarning, "large loss 2.02"), (UserWarning, "always")]
    g, got = _warned(lambda: srcdiff.grad(warns)(X))
    assert got == expected
    np.testing.assert_allclose(g, 2 * X)
    with pytest.warns(UserWarning, match="always"):
        srcdiff.grad(warns)(X * 0.1)
    assert "warnings.warn(f'large loss {y:.2f}', RuntimeWarning)" in srcdiff.source(srcdiff.grad(warns), X)


def fstring_key(x):
    name = "w"
    d = {f"{name}_{1}": x[0] ** 2}
    return d["w_1"] * np.sum(x)


def test_fstring_known_when_compiling():
    assert_all_modes(fstring_key, (X.copy(),))


def prints_a_dict_of_arrays(x):
    params = {"w": x, "n": 3, "pair": (np.sum(x), "s"), "one": (x[0],), "l": [x[1], None]}
    print(params, (x[2],), [x[0] * 2, 2.0], np.tanh)
    assert np.sum(x) < 10.0, ("too large", np.sum(x))
    return np.sum(x ** 2)


def prints_a_dict_of_functions(x):
    print({"act": np.tanh})
    return np.sum(x)


def fstring_key_of_a_value(x):
    d = {f"{x[0]}": x}
    return np.sum(d["a"])


def test_print_of_containers_is_a_display_of_their_values(capsys):
    prints_a_dict_of_arrays(X)
    expected = capsys.readouterr().out
    assert_all_modes(prints_a_dict_of_arrays, (X.copy(),))
    capsys.readouterr()
    srcdiff.grad(prints_a_dict_of_arrays)(X)
    assert capsys.readouterr().out == expected
    source = srcdiff.source(srcdiff.grad(prints_a_dict_of_arrays), X)
    assert "print({'w': x, 'n': 3," in source and "assert " in source


def test_strings_of_containers_of_other_values_are_refused():
    with pytest.raises(NonDifferentiableError, match="printing a container") as info:
        srcdiff.grad(prints_a_dict_of_functions)(X)
    assert f"{HERE}:" in str(info.value) and "hint:" in str(info.value)
    with pytest.raises(NonDifferentiableError, match="dict keys must be known when compiling"):
        srcdiff.grad(fstring_key_of_a_value)(X)


# what stays refused (try, with, yield, global, class, import) is tests/e2e/test_errors.py's
# test_unsupported_construct_is_located, at its line


# ---------------------------------------------------------------------------
# GradBench-style objectives, as ported line by line


def lstm_model(weight, bias, hidden, cell, _input):
    gates = np.concatenate((_input, hidden, _input, hidden)) * weight + bias
    hsize = hidden.shape[0]
    forget = np.tanh(gates[0:hsize])
    ingate = np.tanh(gates[hsize:2 * hsize])
    change = np.tanh(gates[3 * hsize:])
    cell = cell * forget + ingate * change
    hidden = np.tanh(cell)
    return hidden, cell


def lstm_objective(main_params, state, sequence, _range=None):
    if _range is None:
        _range = range(0, len(sequence) - 1)
    total = 0.0
    count = 0
    _input = sequence[_range[0]]
    hidden, cell = state[0], state[1]
    for t in _range:
        hidden, cell = lstm_model(main_params[0], main_params[1], hidden, cell, _input)
        ypred = hidden * main_params[2][:hidden.shape[0]]
        ynorm = ypred - np.log(sum(np.exp(ypred), 2))
        ygold = sequence[t + 1]
        total += sum(ygold * ynorm)
        count += ygold.shape[0] - 1
        _input = ygold
    return -total / count


def hand_objective(params, base, nbones=2.0):
    n = int(nbones)
    w = params[:n]
    pts = np.reshape(w, (*w.shape, 1)) * base
    print(f"hand {np.sum(pts):.3f}")
    return np.sum(pts ** 2) + sum(np.exp(pts), 0.5)[0]


def test_gradbench_lstm_with_range_none_and_builtin_sum():
    rng = np.random.default_rng(0)
    main_params = rng.normal(size=(3, 8)) * 0.5
    state = rng.normal(size=(2, 2))
    sequence = rng.normal(size=(4, 2))
    assert_all_modes(lstm_objective, (main_params, state, sequence))
    assert_all_modes(lambda p: lstm_objective(p, state, sequence, range(1, 3)), (main_params,))


def test_gradbench_hand_with_int_and_star_shape(capsys):
    params, base = np.array([0.3, -0.2, 0.9]), np.array([[1.0, 2.0], [0.5, -1.0]]).T.copy()
    hand_objective(params, base)
    printed = capsys.readouterr().out
    assert_all_modes(hand_objective, (params, base))
    capsys.readouterr()
    srcdiff.grad(hand_objective)(params, base)
    assert capsys.readouterr().out == printed


def array_equals_none(x):
    return np.sum(x) if x == None else 0.0  # noqa: E711


def number_equals_none(x):
    y = np.sum(x)
    return y if y != None and y != "a" else 0.0  # noqa: E711


def test_equality_with_none_or_a_string():
    with pytest.raises(NonDifferentiableError, match="elementwise comparison") as info:
        srcdiff.grad(array_equals_none)(X)
    assert f"{HERE}:" in str(info.value) and "hint:" in str(info.value)
    assert_all_modes(number_equals_none, (X.copy(),))


def doubled(fn):
    def wrapper(*args, **kwargs):
        return 2.0 * fn(*args, **kwargs)
    return wrapper


@doubled
def decorated_loss(x, s=1.0):
    return np.sum(np.sin(x) * s)


def calls_a_decorated_function(x):
    return decorated_loss(x, s=3.0) + decorated_loss(x)


def test_a_decorators_wrapper_is_inlined_where_called():
    assert_all_modes(calls_a_decorated_function, (X.copy(),))
    assert "wrapper" not in srcdiff.source(srcdiff.grad(calls_a_decorated_function), X)


# ---------------------------------------------------------------------------
# integer arguments whose value the code needs when compiling


def padded(x, n):
    z = np.zeros((int(n), x.size))
    z[n - 1] = x
    first, *rest = z  # unpacking needs n's value
    return np.sum(np.sin(z) * np.arange(z.size).reshape(z.shape)) + len(rest) * np.sum(first ** 2)


def scaled_by_count(x, n):
    return np.sum(x ** 2) * n  # n is a value of the derivative: any n


def test_an_int_argument_the_code_needs_is_compiled_for_by_value():
    x = np.array([0.3, -0.7, 1.2])
    g = srcdiff.grad(padded)
    srcdiff.cache.clear()  # a full cache (at most MAX_ENTRIES) would not grow
    before = srcdiff.cache.size()
    for n in (2, 3, 2, 2, 3):  # the fast path, installed on a second call, checks n too
        np.testing.assert_allclose(g(x, n), central_difference(padded, (x, n), 0), rtol=1e-6, atol=1e-8)
    assert srcdiff.cache.size() - before == 2  # one derivative per value of n
    assert_all_modes(padded, (x, 4))


def test_an_int_argument_used_as_a_value_compiles_once():
    x = np.array([0.3, -0.7, 1.2])
    g = srcdiff.grad(scaled_by_count)
    srcdiff.cache.clear()
    before = srcdiff.cache.size()
    for n in (2, 3, 5):
        np.testing.assert_allclose(g(x, n), 2 * x * n)
    assert srcdiff.cache.size() - before == 1


def starred_targets(x):
    first, *rest = x  # an array of known length: rest is a list of its other rows
    a, *middle, b = (x[0], 2.0, x[1], x[2])
    *init, last = [x[1], x[2]]
    return first * np.sum(np.array(rest)) + a * b * len(middle) + np.sum(np.array(middle[1:])) + last ** 2 * init[0]


def test_starred_assignment_targets():
    assert_all_modes(starred_targets, (X,))


def shape_slices(x):
    y = np.reshape(x, x.shape[:1] + x.shape[-1:] + (1,))
    return np.sum(np.sin(y) * (1.0 + np.arange(y.size).reshape(y.shape))) * len(x.shape[1:])


def test_shape_slices_known_when_compiling():
    assert_all_modes(shape_slices, (np.array([[0.3, -0.7, 1.2], [0.5, 0.1, -0.4]]),))
