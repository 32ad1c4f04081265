"""srcdiff.vmap against a Python loop over the batch, and its derivatives against central
differences: through loops, branches, calls, reductions and products, and vmap of vmap."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import srcdiff
from srcdiff import NonDifferentiableError
from tests.numeric import central_difference

RNG = np.random.default_rng(7)
B = 5
X = RNG.normal(size=(B, 3))
W = RNG.normal(size=(4, 3))
V = RNG.normal(size=(4,))
TIGHT = dict(rtol=1e-12, atol=1e-12)
LOOSE = dict(rtol=1e-5, atol=1e-7)


def looped(f, in_axes, args, out_axis=0):
    """What vmap computes, by a Python loop: f on each item, stacked on out_axis."""
    size = next(np.shape(a)[ax] for a, ax in zip(args, in_axes) if ax is not None)
    items = [f(*[a if ax is None else np.take(a, b, axis=ax) for a, ax in zip(args, in_axes)]) for b in range(size)]
    if isinstance(items[0], tuple):
        return tuple(np.stack([np.asarray(it[k]) for it in items], axis=out_axis) for k in range(len(items[0])))
    return np.stack([np.asarray(it) for it in items], axis=out_axis)


def assert_vmap(f, in_axes, args, out_axis=0, **tol):
    got = srcdiff.vmap(f, in_axes=in_axes, out_axes=out_axis)(*args)
    expected = looped(f, in_axes, args, out_axis)
    if isinstance(expected, tuple):
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, **(tol or TIGHT))
    else:
        np.testing.assert_allclose(got, expected, **(tol or TIGHT))
    return got


# ---------------------------------------------------------------------------
# functions as users write them


def layer(x, W):
    return np.tanh(W @ x)


def loss(x, W, v):
    h = np.tanh(W @ x)
    return np.sum((h - v) ** 2) + 0.1 * np.sum(W ** 2)


def softmax(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e)


def normalised(x):
    return (x - x.mean()) / (x.std() + 1.0)


def outer_trace(x, v):
    return np.trace(np.outer(x, x)) + np.dot(v[:3], x) + np.einsum("i,i->", x, x)


def reshaped(x):
    m = np.stack([x, 2 * x, x ** 2]).reshape(3, 3)
    return np.concatenate([m.T[0], np.squeeze(m[:1]), m[:, 1:].ravel()])


def indexed(x):
    y = np.zeros(5)
    y[1:4] = x * 2.0
    y[0] += x[2]
    return y[::-1] + x[np.array([0, 0, 1, 2, 2])]


def looping(x, W):
    h = np.zeros(4)
    for t in range(3):
        h = np.tanh(W @ x + h * 0.5)
    return h


def carried_list(x):
    hs = []
    h = x
    for _ in range(3):
        h = np.sin(h) + 1.0
        hs.append(h)
    return np.stack(hs)


def branching(x, flag):
    if flag > 0:
        return np.sin(x)
    return np.cos(x) * 2.0


def item_branch(x):
    """An if on a value of the item: each item takes its own branch."""
    s = np.sum(x)
    if s > 0:
        y = s * 2.0
    else:
        y = -s
    return y + 1.0


def while_loop(x):
    s = 0.0
    k = 0
    while k < 4:
        s = s + np.sum(x ** k)
        k += 1
    return s


def item_while(x):
    """A while loop whose trip count depends on the item: it runs item by item."""
    s = float(np.sum(x ** 2))
    n = 0.0
    while s > 0.5:
        s = s / 2.0
        n = n + 1.0
    return n + s


def helper(z):
    return np.exp(-z * z)


def calls_helper(x):
    return helper(x) + helper(2.0 * x)


def python_floats(a, x):
    return a * np.sum(x) + a ** 2


CASES = [
    (layer, (0, None), (X, W)),
    (layer, (None, 0), (X[0], RNG.normal(size=(B, 4, 3)))),
    (layer, (0, 0), (X, RNG.normal(size=(B, 4, 3)))),
    (loss, (0, None, None), (X, W, V)),
    (loss, (0, None, 0), (X, W, RNG.normal(size=(B, 4)))),
    (softmax, (0,), (X,)),
    (normalised, (0,), (X,)),
    (outer_trace, (0, None), (X, V)),
    (reshaped, (0,), (X,)),
    (indexed, (0,), (X,)),
    (looping, (0, None), (X, W)),
    (carried_list, (0,), (X,)),
    (branching, (0, None), (X, 1.0)),
    (branching, (0, None), (X, -1.0)),
    (item_branch, (0,), (X,)),
    (while_loop, (0,), (X,)),
    (item_while, (0,), (X,)),
    (calls_helper, (0,), (X,)),
    (python_floats, (None, 0), (1.5, X)),
]


@pytest.mark.parametrize("f, in_axes, args", CASES, ids=lambda c: getattr(c, "__name__", None))
def test_vmap_is_the_loop_over_the_batch(f, in_axes, args):
    assert_vmap(f, in_axes, args)


def test_the_batch_axis_may_be_any_axis_in_and_out():
    assert_vmap(layer, (1, None), (X.T.copy(), W), out_axis=1)
    assert_vmap(softmax, (-1,), (X.T.copy(),), out_axis=-1)
    assert_vmap(loss, (1, None, None), (X.T.copy(), W, V))


def test_vmap_of_vmap_is_the_double_loop():
    XX = RNG.normal(size=(2, B, 3))
    inner = srcdiff.vmap(loss, in_axes=(0, None, None))
    got = srcdiff.vmap(inner, in_axes=(0, None, None))(XX, W, V)
    np.testing.assert_allclose(got, [[loss(x, W, v) for x, v in zip(xs, [V] * B)] for xs in XX], **TIGHT)
    outer_first = srcdiff.vmap(srcdiff.vmap(layer, in_axes=(None, 0)), in_axes=(0, None))
    Ws = RNG.normal(size=(3, 4, 3))
    np.testing.assert_allclose(outer_first(X, Ws), [[layer(x, w) for w in Ws] for x in X], **TIGHT)


def test_unbatched_outputs_and_out_axes_none():
    def pair(x, W):
        return np.sum(W), layer(x, W)

    total, h = srcdiff.vmap(pair, in_axes=(0, None), out_axes=(None, 0))(X, W)
    assert np.shape(total) == () and total == pytest.approx(np.sum(W))
    np.testing.assert_allclose(h, looped(layer, (0, None), (X, W)), **TIGHT)
    total, _ = srcdiff.vmap(pair, in_axes=(0, None))(X, W)  # out_axes 0: the same value B times
    np.testing.assert_allclose(total, np.full(B, np.sum(W)), **TIGHT)
    with pytest.raises(ValueError, match="varies over the batch"):
        srcdiff.vmap(pair, in_axes=(0, None), out_axes=None)(X, W)


def test_containers_take_an_axis_per_leaf():
    def model(params, x):
        return np.tanh(params["W"] @ x + params["b"])

    params = {"W": W, "b": V}
    got = srcdiff.vmap(model, in_axes=(None, 0))(params, X)
    np.testing.assert_allclose(got, [model(params, x) for x in X], **TIGHT)
    Bs = RNG.normal(size=(B, 4))
    got = srcdiff.vmap(model, in_axes=({"W": None, "b": 0}, 0))({"W": W, "b": Bs}, X)
    np.testing.assert_allclose(got, [model({"W": W, "b": b}, x) for b, x in zip(Bs, X)], **TIGHT)


# ---------------------------------------------------------------------------
# with derivatives


def test_per_example_gradients_are_the_loop_of_gradients():
    per_example = srcdiff.vmap(srcdiff.grad(loss, argnums=1), in_axes=(0, None, None))
    got = per_example(X, W, V)
    expected = np.stack([srcdiff.grad(loss, argnums=1)(x, W, V) for x in X])
    np.testing.assert_allclose(got, expected, **TIGHT)
    for b in range(B):
        np.testing.assert_allclose(got[b], central_difference(loss, (X[b], W, V), 1), **LOOSE)


@pytest.mark.parametrize("f, in_axes, args", [c for c in CASES if c[0] in (loss, softmax, looping, calls_helper,
                                                                            item_branch, normalised)],
                         ids=lambda c: getattr(c, "__name__", None))
def test_reverse_mode_of_vmap_is_the_items_gradients(f, in_axes, args):
    """The vjp of vmap(f) with a cotangent per item: each item's gradient, weighted."""
    mapped = srcdiff.vmap(f, in_axes=in_axes)
    out, pullback = srcdiff.vjp(mapped, *args)
    weights = RNG.normal(size=np.shape(out))
    got = pullback(weights)[0]

    def weighted(*a):
        return np.sum(looped(f, in_axes, a) * weights)

    np.testing.assert_allclose(got, central_difference(weighted, args, 0), **LOOSE)


def test_vmap_of_jvp_is_a_batch_of_directions():
    tangents = RNG.normal(size=(B, 3))

    def directional(t):
        return srcdiff.jvp(lambda x: loss(x, W, V), (X[0],), (t,))[1]

    got = srcdiff.vmap(directional)(tangents)
    np.testing.assert_allclose(got, [directional(t) for t in tangents], **TIGHT)
    g = srcdiff.grad(loss)(X[0], W, V)
    np.testing.assert_allclose(got, tangents @ g, **TIGHT)


def test_jvp_batched_takes_a_batch_of_tangents():
    tangents = RNG.normal(size=(B, 3))
    value, out = srcdiff.jvp(layer, (X[0], W), (tangents, np.zeros((B, 4, 3))), batched=True)
    np.testing.assert_allclose(value, layer(X[0], W), **TIGHT)
    expected = [srcdiff.jvp(layer, (X[0], W), (t, np.zeros((4, 3))))[1] for t in tangents]
    np.testing.assert_allclose(out, expected, **TIGHT)


def test_vmap_of_hessian_and_hessian_of_vmap():
    def energy(x):
        return np.sum(np.log(1 + x ** 2)) + np.sum((x[1:] - x[:-1]) ** 2) * np.sum(np.cos(x))

    got = srcdiff.vmap(srcdiff.hessian(energy))(X)
    np.testing.assert_allclose(got, [srcdiff.hessian(energy)(x) for x in X], **TIGHT)
    for b in range(2):
        np.testing.assert_allclose(got[b], central_difference(srcdiff.grad(energy), (X[b],), 0), **LOOSE)


# ---------------------------------------------------------------------------
# the emitted code and errors


def test_the_emitted_code_is_the_batched_numpy():
    source = srcdiff.source(srcdiff.vmap(layer, in_axes=(0, None)), X, W)
    assert "def vmap_layer(x, W):" in source and "for " not in source
    source = srcdiff.source(srcdiff.vmap(item_branch), X)
    assert "np.where(" in source and "if " not in source.split('"""')[-1]


def test_mismatched_batches_and_bad_axes_are_refused():
    with pytest.raises(ValueError, match="different lengths"):
        srcdiff.vmap(layer, in_axes=(0, 0))(X, RNG.normal(size=(B + 1, 4, 3)))
    with pytest.raises(ValueError, match="out of range"):
        srcdiff.vmap(layer, in_axes=(2, None))(X, W)
    with pytest.raises(ValueError, match="in_axes has 1 entries for 2 arguments"):
        srcdiff.vmap(layer, in_axes=(0,))(X, W)
    with pytest.raises(TypeError, match="ints or None"):
        srcdiff.vmap(layer, in_axes=("0", None))


def draws(x):
    return x * np.random.randn(3)


def test_an_effect_per_item_is_refused_where_it_is():
    with pytest.raises(NonDifferentiableError, match="test_vmap.py:") as info:
        srcdiff.vmap(draws)(X)
    assert "draw" in str(info.value)


# ---------------------------------------------------------------------------
# chunks: the same answers, fewer directions or items at a time


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 8])
def test_vmap_in_chunks_is_vmap(chunk):
    for f, in_axes, args in CASES:
        np.testing.assert_allclose(srcdiff.vmap(f, in_axes=in_axes, chunk_size=chunk)(*args),
                                   looped(f, in_axes, args), **TIGHT, err_msg=f.__name__)


def energy(x):
    s = 0.0
    for i in range(3):
        s = s + np.sum(np.log(1 + (x * (i + 1)) ** 2))
    return s + np.sum((x[1:] - x[:-1]) ** 2) * np.sum(np.cos(x))


def vector(x):
    return np.concatenate([np.sin(x) * np.sum(x ** 2), x[:2] ** 3])


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 20])
def test_jacobians_in_chunks_are_the_jacobians(chunk):
    x = np.linspace(-1.0, 1.0, 7)
    expected = central_difference(vector, (x,), 0)
    for jac in (srcdiff.jacfwd, srcdiff.jacrev, srcdiff.jacobian):
        np.testing.assert_allclose(jac(vector, chunk_size=chunk)(x), expected, **LOOSE)
        np.testing.assert_allclose(jac(vector, chunk_size=chunk)(x), jac(vector)(x), **TIGHT)
    H = srcdiff.hessian(energy, chunk_size=chunk)(x)
    np.testing.assert_allclose(H, central_difference(srcdiff.grad(energy), (x,), 0), **LOOSE)
    np.testing.assert_allclose(H, srcdiff.hessian(energy)(x), **TIGHT)


def test_a_chunked_jacobian_is_a_loop_over_chunks_of_directions():
    x = np.linspace(-1.0, 1.0, 7)
    source = srcdiff.source(srcdiff.jacfwd(vector, chunk_size=3), x)
    assert "for chunk in range(3):" in source and "directions = np.zeros((3, 9))" in source and "np.eye" not in source
    source = srcdiff.source(srcdiff.vmap(loss, in_axes=(0, None, None), chunk_size=2), X, W, V)
    assert "for chunk in range(3):" in source and "np.repeat(x[-1:], 1, axis=0)" in source


def test_chunk_size_is_a_positive_int():
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="chunk_size"):
            srcdiff.jacfwd(vector, chunk_size=bad)
        with pytest.raises(ValueError, match="chunk_size"):
            srcdiff.vmap(vector, chunk_size=bad)


def test_jvp_batched_checks_the_tangents():
    with pytest.raises(ValueError, match="first axes"):
        srcdiff.jvp(layer, (X[0], W), (np.ones((B, 3)), np.zeros((B + 1, 4, 3))), batched=True)
    with pytest.raises(ValueError, match=r"has shape \(5, 4\)"):
        srcdiff.jvp(layer, (X[0], W), (np.ones((B, 4)), np.zeros((B, 4, 3))), batched=True)


# ---------------------------------------------------------------------------
# an index that differs by item: a label per example


def cross_entropy(W, x, y):
    z = W @ x
    z = z - np.max(z)
    return -(z[y] - np.log(np.sum(np.exp(z))))


def pick(M, i, j):
    return M[i, j] * 2.0 + M[j, i]


def test_per_example_cross_entropy_gradients_with_a_label_each():
    Y = RNG.integers(0, 4, B)
    got = srcdiff.vmap(cross_entropy, in_axes=(None, 0, 0))(W, X, Y)
    np.testing.assert_allclose(got, [cross_entropy(W, x, y) for x, y in zip(X, Y)], **TIGHT)
    per_example = srcdiff.vmap(srcdiff.grad(cross_entropy), in_axes=(None, 0, 0))
    grads = per_example(W, X, Y)
    for b in range(B):
        np.testing.assert_allclose(grads[b], central_difference(cross_entropy, (W, X[b], Y[b]), 0), **LOOSE)
    source = srcdiff.source(per_example, W, X, Y)
    assert "[np.arange(5), y]" in source and "for " not in source


@pytest.mark.parametrize("in_axes", [(0, 0, 0), (None, 0, 0), (0, None, 0), (0, 0, None), (None, None, 0)])
def test_an_index_per_item_picks_each_item_s_element(in_axes):
    M, I, J = RNG.normal(size=(B, 4, 4)), RNG.integers(0, 4, B), RNG.integers(0, 4, B)
    args = [M if in_axes[0] is not None else M[0], I if in_axes[1] is not None else 1,
            J if in_axes[2] is not None else 2]
    assert_vmap(pick, in_axes, args)
    weights = RNG.normal(size=B)
    out, pullback = srcdiff.vjp(srcdiff.vmap(pick, in_axes=in_axes), *args)
    expected = central_difference(lambda m: np.sum(looped(pick, in_axes, [m] + args[1:]) * weights), (args[0],), 0)
    np.testing.assert_allclose(pullback(weights)[0], expected, **LOOSE)


# ---------------------------------------------------------------------------
# written the way users write them


def depth(x, n):
    if n == 0:
        return x
    return np.sin(depth(x, n - 1)) + x


def stats(x):
    return np.mean(x), np.argmax(x), x > 0


def clipped(x, lo=-0.5, hi=0.5):
    return np.clip(x, lo, hi) * 2.0


def test_users_spellings():
    np.testing.assert_allclose(srcdiff.vmap(depth, in_axes=(0, None))(X, 3), [depth(x, 3) for x in X], **TIGHT)
    mean, where, positive = srcdiff.vmap(stats)(X)
    np.testing.assert_allclose(mean, X.mean(axis=1), **TIGHT)
    assert (where == X.argmax(axis=1)).all() and (positive == (X > 0)).all()
    assert_vmap(clipped, (0,), (X,))
    assert_vmap(lambda x: x @ x + np.linalg.norm(x), (0,), (X,))
    scalars = np.linspace(0.1, 1.0, B)  # a batch of numbers: each item a 0-d value
    assert_vmap(lambda a, x: a * np.sum(x) + np.sin(a), (0, None), (scalars, X[0]))


def halve(x):
    if np.sum(x * x) > 1.0:
        return halve(x * 0.5) + np.sin(x)
    return x * 2.0


def test_a_recursion_each_item_of_its_own_depth():
    """The if on the item runs per item, calling the recursion (which the emitted module defines
    under its own name: the call's result is not named halve too)."""
    XX = 2.0 * RNG.normal(size=(B, 3))
    assert_vmap(halve, (0,), (XX,))
    for jac in (srcdiff.jacfwd, srcdiff.jacrev):
        np.testing.assert_allclose(jac(halve)(XX[0]), central_difference(halve, (XX[0],), 0), **LOOSE)
    with pytest.raises(NonDifferentiableError, match="test_vmap.py:.*tape"):
        srcdiff.vmap(srcdiff.grad(lambda x: np.sum(halve(x))))(XX)


# ---------------------------------------------------------------------------
# the identity a Jacobian is seeded with: products with it are dropped, in every spelling

def linear_matmul(W, x):
    return W @ x


def linear_rmatmul(W, x):
    return x @ W.T


def linear_dot(W, x):
    return np.dot(W, x)


def linear_method(W, x):
    return W.dot(x) * 2.0


def linear_einsum(W, x):
    return np.einsum("ij,j->i", W, x)


def linear_sum(W, x):
    return np.sum(W * x, axis=1)


@settings(max_examples=15, deadline=None)
@given(m=st.integers(1, 6), n=st.integers(2, 6), seed=st.integers(0, 2 ** 16))
def test_the_jacobian_of_a_linear_map_is_its_matrix_in_every_spelling(m, n, seed):
    rng = np.random.default_rng(seed)
    W, x = rng.normal(size=(m, n)), rng.normal(size=n)
    for f, scale in ((linear_matmul, 1.0), (linear_rmatmul, 1.0), (linear_dot, 1.0), (linear_method, 2.0),
                     (linear_einsum, 1.0), (linear_sum, 1.0)):
        jac = srcdiff.jacfwd(f, argnums=1)
        np.testing.assert_allclose(jac(W, x), scale * W, rtol=1e-14, atol=1e-14, err_msg=f.__name__)
        if f is not linear_sum:  # (a sum of products is not a product the identity pass reads)
            assert "np.eye" not in srcdiff.source(jac, W, x), f.__name__


def saves_a_number(x, y):
    if x[0] > -0.2:
        a = x * y ** 2
    else:
        a = x
    return np.sum(a)


def appends_under_an_if(x, y):
    rows = []
    for _ in range(2):
        if y > 0.7:
            rows.append(x * 2.0)
        else:
            rows.append(x)
    return np.sum(np.stack(rows))


@pytest.mark.parametrize("f, y", [(saves_a_number, 1.5), (appends_under_an_if, 0.5), (appends_under_an_if, 0.9)])
def test_per_example_gradients_through_branches_and_lists(f, y):
    """An if on the item keeping a Python number for the backward sweep; a list whose length
    is known only when running (its adjoint's shape is the same for every item)."""
    got = srcdiff.vmap(srcdiff.grad(f), in_axes=(0, None))(X, y)
    for b in range(B):
        np.testing.assert_allclose(got[b], central_difference(f, (X[b], y), 0), **LOOSE)


def sums_from_zero(x):
    a = 0.0
    for _ in range(3):
        a = a + x
    return a * 2.0


def float_or_array(x):
    if x[0] > 0:
        y = 1.5
    else:
        y = x * 2.0
    return y + x


def test_a_python_number_made_a_batch_keeps_the_items_dtype():
    """0.0 carried into a float32 sum, or yielded by one branch of a float32 if, is float32 per
    item (NumPy's weak Python numbers): so is the batch."""
    X32 = X.astype(np.float32)
    for f in (sums_from_zero, float_or_array):
        got = srcdiff.vmap(f)(X32)
        expected = looped(f, (0,), (X32,))
        assert got.dtype == expected.dtype == np.float32, f.__name__
        np.testing.assert_allclose(got, expected, rtol=1e-6)
