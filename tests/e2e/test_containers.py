"""Containers: lists, tuples and dicts inside the function, and as arguments (pytrees of arrays)."""
import numpy as np
import pytest

from srcdiff import grad, value_and_grad

from tests.numeric import assert_matches_differences, central_difference


# ---------------------------------------------------------------------------
# pytree helpers for the reference


def leaf_paths(tree, path=()):
    if isinstance(tree, dict):
        for k in tree:
            yield from leaf_paths(tree[k], path + (k,))
    elif isinstance(tree, (tuple, list)):
        for i, v in enumerate(tree):
            yield from leaf_paths(v, path + (i,))
    else:
        yield path


def get_leaf(tree, path):
    for k in path:
        tree = tree[k]
    return tree


def with_leaf(tree, path, value):
    if not path:
        return value
    k, rest = path[0], path[1:]
    if isinstance(tree, dict):
        out = dict(tree)
        out[k] = with_leaf(tree[k], rest, value)
        return out
    out = list(tree)
    out[k] = with_leaf(tree[k], rest, value)
    return type(tree)(out)


def tree_differences(f, args, argnum):
    """Central differences of f wrt every leaf of args[argnum], as a dict path -> gradient."""
    tree = args[argnum]
    out = {}
    for path in leaf_paths(tree):
        def f_leaf(leaf, path=path):
            new = list(args)
            new[argnum] = with_leaf(tree, path, leaf)
            return f(*new)

        leaf = get_leaf(tree, path)
        out[path] = central_difference(f_leaf, (float(leaf) if isinstance(leaf, float) else leaf,), 0)
    return out


def assert_tree_matches(got, reference_tree, f, args, argnum, rtol=1e-5, atol=1e-7):
    """got has reference_tree's structure (types, keys, lengths) and matches central differences per leaf."""
    assert_same_structure(got, reference_tree)
    for path, expected in tree_differences(f, args, argnum).items():
        value = get_leaf(got, path)
        leaf = get_leaf(reference_tree, path)
        assert np.shape(value) == np.shape(leaf), path
        if isinstance(leaf, float):
            assert type(value) is float, path
        else:
            assert isinstance(value, np.ndarray), path
        np.testing.assert_allclose(value, expected, rtol=rtol, atol=atol, err_msg=str(path))


def assert_same_structure(got, ref):
    assert type(got) is type(ref), (type(got), type(ref))
    if isinstance(ref, dict):
        assert set(got) == set(ref)
        for k in ref:
            assert_same_structure(got[k], ref[k])
    elif isinstance(ref, (tuple, list)):
        assert len(got) == len(ref)
        for a, b in zip(got, ref):
            assert_same_structure(a, b)


# ---------------------------------------------------------------------------
# lists inside the function


def list_literal(x, y):
    items = [x, y, x * y]
    return items[0] * items[2] + items[-1] + items[1]


def test_list_literal_and_indexing():
    x, y = 1.5, -2.0
    # x^2 y + x y + y
    assert grad(list_literal, argnums=(0, 1))(x, y) == pytest.approx((2 * x * y + y, x * x + x + 1), rel=1e-14)


def append_stack(x):
    hs = []
    h = x
    for i in range(3):
        h = np.tanh(h * 1.5 + i)
        hs.append(h)
    H = np.stack(hs)
    return np.sum(H ** 2) + np.sum(hs[-1]) + np.sum(hs[0] * hs[1])


def test_append_in_loop_then_stack():
    x = np.array([0.3, -0.8, 0.1, 0.5])
    assert_matches_differences(grad(append_stack), append_stack, (x,), argnums=0)


def append_array(a):
    vals = []
    v = a
    for i in range(4):
        v = v * a + 1.0
        vals.append(v)
    arr = np.array(vals)
    return np.sum(arr * np.arange(1.0, 5.0))


def test_append_scalars_then_np_array():
    a = 0.7
    # v1 = a^2 + 1, v2 = a^3 + a + 1, v3 = a^4 + a^2 + a + 1, v4 = a^5 + a^3 + a^2 + a + 1
    d = [2 * a, 3 * a ** 2 + 1, 4 * a ** 3 + 2 * a + 1, 5 * a ** 4 + 3 * a ** 2 + 2 * a + 1]
    expected = sum((k + 1) * d[k] for k in range(4))
    assert grad(append_array)(a) == pytest.approx(expected, rel=1e-14)


def append_concat(x):
    parts = []
    for i in range(3):
        parts.append(np.sin(x) * (i + 1.0))
    return np.sum(np.concatenate(parts) ** 2)


def test_append_then_concatenate():
    x = np.array([0.3, -0.8, 1.1])
    # sum_k k^2 sin^2 x = 14 sin^2 x
    np.testing.assert_allclose(grad(append_concat)(x), 28 * np.sin(x) * np.cos(x), rtol=1e-13)


def iterate_list(x):
    hs = []
    for i in range(4):
        hs.append(x * (i + 1.0))
    total = 0.0
    for h in hs:
        total = total + np.sum(np.sin(h))
    for i in range(len(hs) - 1):
        total = total + np.sum(hs[i] * hs[i + 1])
    return total


def test_iterate_and_index_a_list():
    x = np.array([0.2, -0.4, 0.9])
    k = np.arange(1.0, 5.0)
    expected = sum(kk * np.cos(kk * x) for kk in k) + 2 * x * (1 * 2 + 2 * 3 + 3 * 4)
    np.testing.assert_allclose(grad(iterate_list)(x), expected, rtol=1e-13)


def list_of_matrices(x, W):
    layers = [W, W.T @ W, np.eye(3)]
    h = x
    for M in layers:
        h = np.tanh(M @ h)
    return np.sum(h)


def test_list_of_arrays_built_from_arguments():
    rng = np.random.default_rng(0)
    x, W = rng.standard_normal(3), 0.5 * rng.standard_normal((3, 3))
    assert_matches_differences(grad(list_of_matrices, argnums=(0, 1)), list_of_matrices, (x, W), argnums=(0, 1))


# ---------------------------------------------------------------------------
# tuples and dicts inside the function


def tuple_ops(x, y):
    t = (x, y, x + y)
    a, b, c = t
    return t[0] * c + b * t[-1] + a


def test_tuple_literal_indexing_and_unpacking():
    x, y = 1.5, -2.0
    # x(x + y) + y(x + y) + x = (x + y)^2 + x
    s = x + y
    assert grad(tuple_ops, argnums=(0, 1))(x, y) == pytest.approx((2 * s + 1, 2 * s), rel=1e-14)


def dict_local(x, y):
    d = {'a': x, 'b': y}
    return d['a'] * d['b'] + np.sin(d['a'])


def test_dict_created_inside():
    x, y = 0.5, 3.0
    assert grad(dict_local, argnums=(0, 1))(x, y) == pytest.approx((y + np.cos(x), x), rel=1e-14)


def dict_item_assign(x, y):
    d = {'a': x, 'b': y}
    d['c'] = d['a'] * d['b']
    d['a'] = d['a'] * 2.0
    return d['a'] + d['c'] ** 2


def test_dict_item_assignment_inside():
    x, y = 0.5, 3.0
    # 2x + x^2 y^2
    assert grad(dict_item_assign, argnums=(0, 1))(x, y) == pytest.approx((2 + 2 * x * y * y, 2 * x * x * y), rel=1e-14)


def dict_of_arrays_loop(x):
    d = {'sq': x ** 2, 'sin': np.sin(x)}
    total = 0.0
    for key in ('sq', 'sin'):
        total = total + np.sum(d[key])
    return total


def test_dict_indexed_by_loop_over_keys():
    x = np.array([0.3, -1.2])
    np.testing.assert_allclose(grad(dict_of_arrays_loop)(x), 2 * x + np.cos(x), rtol=1e-14)


# ---------------------------------------------------------------------------
# containers as arguments


def mlp_loss(params, X, y):
    h = np.tanh(X @ params['W1'] + params['b1'])
    out = h @ params['W2'] + params['b2']
    return np.mean((out - y) ** 2)


def make_params(seed=0):
    rng = np.random.default_rng(seed)
    return {
        'W1': 0.5 * rng.standard_normal((3, 4)), 'b1': 0.1 * rng.standard_normal(4),
        'W2': 0.5 * rng.standard_normal((4, 2)), 'b2': 0.1 * rng.standard_normal(2),
    }


def test_dict_argument_gives_dict_gradient():
    rng = np.random.default_rng(1)
    params, X, y = make_params(), rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    g = grad(mlp_loss)(params, X, y)
    assert isinstance(g, dict) and set(g) == set(params)
    assert_tree_matches(g, params, mlp_loss, (params, X, y), 0)
    value, g2 = value_and_grad(mlp_loss)(params, X, y)
    assert value == pytest.approx(mlp_loss(params, X, y), rel=1e-14)
    for k in params:
        np.testing.assert_allclose(g2[k], g[k], rtol=1e-14)


def test_dict_argument_with_other_argnums():
    rng = np.random.default_rng(2)
    params, X, y = make_params(3), rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    gp, gX = grad(mlp_loss, argnums=(0, 1))(params, X, y)
    assert_tree_matches(gp, params, mlp_loss, (params, X, y), 0)
    np.testing.assert_allclose(gX, central_difference(mlp_loss, (params, X, y), 1), rtol=1e-5, atol=1e-7)


def dict_with_float(params, x):
    return params['scale'] * np.sum(np.sin(params['w'] * x))


def test_dict_with_float_leaf_keeps_float():
    params = {'w': np.array([0.5, -1.0, 2.0]), 'scale': 1.5}
    x = np.array([0.3, 0.2, -0.1])
    g = grad(dict_with_float)(params, x)
    assert type(g['scale']) is float
    np.testing.assert_allclose(g['w'], 1.5 * np.cos(params['w'] * x) * x, rtol=1e-14)
    assert g['scale'] == pytest.approx(np.sum(np.sin(params['w'] * x)), rel=1e-14)


def tuple_arg(wb, x):
    w, b = wb
    return np.sum(np.sin(x @ w + b) ** 2)


def test_tuple_argument_gives_tuple_gradient():
    rng = np.random.default_rng(3)
    wb = (rng.standard_normal((3, 2)), rng.standard_normal(2))
    x = rng.standard_normal((4, 3))
    g = grad(tuple_arg)(wb, x)
    assert isinstance(g, tuple) and len(g) == 2
    assert_tree_matches(g, wb, tuple_arg, (wb, x), 0)


def list_arg(ws, x):
    h = x
    for w in ws:
        h = np.tanh(h @ w)
    return np.sum(h ** 2)


def test_list_argument_gives_list_gradient():
    rng = np.random.default_rng(4)
    ws = [0.7 * rng.standard_normal((3, 4)), 0.7 * rng.standard_normal((4, 4)), 0.7 * rng.standard_normal((4, 2))]
    x = rng.standard_normal((2, 3))
    g = grad(list_arg)(ws, x)
    assert isinstance(g, list) and len(g) == 3
    assert_tree_matches(g, ws, list_arg, (ws, x), 0)


def indexed_list_arg(ws, x):
    return np.sum(ws[0] * x) + np.sum(ws[-1] ** 2) * ws[1]


def test_list_argument_indexed_with_float_leaf():
    ws = [np.array([1.0, 2.0]), 3.0, np.array([[0.5, -1.0]])]
    x = np.array([0.25, -4.0])
    g = grad(indexed_list_arg)(ws, x)
    assert isinstance(g, list) and len(g) == 3
    np.testing.assert_allclose(g[0], x)
    assert type(g[1]) is float and g[1] == pytest.approx(1.25)
    np.testing.assert_allclose(g[2], 2 * 3.0 * ws[2])


def nested_arg(params, x):
    h = x
    for name in ('layer1', 'layer2'):
        W, b = params[name]
        h = np.tanh(h @ W + b)
    return np.sum(h ** 2) + params['extra'][0] * np.sum(h)


def test_nested_dict_of_tuples():
    rng = np.random.default_rng(5)
    params = {
        'layer1': (0.6 * rng.standard_normal((3, 4)), 0.1 * rng.standard_normal(4)),
        'layer2': (0.6 * rng.standard_normal((4, 2)), 0.1 * rng.standard_normal(2)),
        'extra': (0.7,),
    }
    x = rng.standard_normal((3, 3))
    g = grad(nested_arg)(params, x)
    assert isinstance(g, dict) and set(g) == set(params)
    assert isinstance(g['layer1'], tuple) and isinstance(g['extra'], tuple)
    assert_tree_matches(g, params, nested_arg, (params, x), 0)


def test_container_arguments_are_not_modified():
    rng = np.random.default_rng(6)
    params, X, y = make_params(7), rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    before = {k: v.copy() for k, v in params.items()}
    grad(mlp_loss)(params, X, y)
    assert set(params) == set(before)
    for k in before:
        np.testing.assert_array_equal(params[k], before[k])


# ---------------------------------------------------------------------------
# A list a loop appends to has a known length when the trip count is known, so what is
# stacked from it has a known shape and the derivative is specialised to it.


def stacked_columns(W, x):
    cols = []
    for k in range(W.shape[0]):
        cols.append(np.tanh(W[k] * x))
    L = np.stack(cols, axis=1)
    m = np.max(L, axis=1, keepdims=True)
    return np.sum(m[:, 0] + np.log(np.sum(np.exp(L - m), axis=1))) + len(cols)


def test_a_stacked_loop_list_has_a_known_shape():
    W, x = np.linspace(-1.0, 1.0, 12).reshape(3, 4), np.linspace(0.5, 2.0, 4)
    g = grad(stacked_columns, argnums=(0, 1))
    assert_matches_differences(g, stacked_columns, (W, x), argnums=(0, 1))
    compiled = g.compiled(W, x)
    assert "f64[4,3] = stack_list" in compiled.ir_before
    assert "_sum_to" not in compiled.source and "==" not in compiled.source


def appended_when_positive(x):
    out = []
    for k in range(x.shape[0]):
        if x[k] > 0:
            out.append(x[k] * x[k])
    out.append(x[0])
    return np.sum(np.stack(out)) * len(out)


def test_a_list_appended_to_under_a_condition_keeps_an_unknown_length():
    x = np.array([0.5, -1.0, 2.0])
    assert_matches_differences(grad(appended_when_positive), appended_when_positive, (x,), argnums=0)
