"""Random draws inside a differentiated function (issue 16): a draw is a constant of the call,
drawn once per call in the forward part from the stream the function itself would use, so
after the same seed the derivative's forward part draws what f draws, and value_and_grad's
value is f's. Not folded when compiling, not merged (two randn(3) are two draws), not hoisted
out of a loop, not recomputed in the backward sweep, not dropped when unused (it advances the
stream). Checked against central differences with the seed reset before every evaluation."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import srcdiff
from srcdiff import NonDifferentiableError

from tests.numeric import assert_all_modes, central_difference

X = np.array([0.3, -0.7, 1.1, 0.4])
MU = np.array([0.2, -0.5, 1.5])
GLOBAL_RNG = np.random.default_rng(7)
GLOBAL_STATE = np.random.RandomState(11)


def seeded(f, seed=0):
    """f with NumPy's global stream reset first: the same draws at every evaluation."""
    def run(*args):
        np.random.seed(seed)
        return f(*args)

    return run


def reset(derivative, seed=0):
    def run(*args):
        np.random.seed(seed)
        return derivative(*args)

    return run


def check_seeded(f, args, argnum=0):
    """value, gradient, jvp and Hessian of f, each call after np.random.seed(0), against f's value
    and central differences of the seeded f."""
    ref = seeded(f)
    value, g = reset(srcdiff.value_and_grad(f, argnums=argnum))(*args)
    np.testing.assert_array_equal(value, ref(*args))
    expected = central_difference(ref, args, argnum)
    np.testing.assert_allclose(g, expected, rtol=1e-6, atol=1e-8)
    tangents = tuple(np.ones_like(a) if i == argnum else np.zeros_like(a) for i, a in enumerate(args))
    primal, t = reset(lambda *a: srcdiff.jvp(f, a, tangents))(*args)
    np.testing.assert_array_equal(primal, ref(*args))
    np.testing.assert_allclose(t, np.sum(expected), rtol=1e-6, atol=1e-8)
    grad_seeded = reset(srcdiff.grad(f, argnums=argnum))
    second = central_difference(lambda *a: np.asarray(grad_seeded(*a)), args, argnum)
    np.testing.assert_allclose(reset(srcdiff.hessian(f, argnums=argnum))(*args), second, rtol=1e-4, atol=1e-6)


# -- NumPy's global stream

def dropout(x):
    mask = np.random.rand(*x.shape) > 0.4
    return np.sum(np.sin(x) * mask / 0.6)


def dropout_of_a_matrix(x):
    mask = np.random.rand(x.shape[0], 2) > 0.5
    return np.sum(np.tanh(x[:, None] * mask))


def reparameterised(mu):
    z = np.random.normal(mu, 0.5)
    return np.sum(np.sin(z) * z)


def reparameterised_scale(sigma):
    z = np.random.normal(1.0, sigma * sigma, size=(2, 3))
    return np.sum(z ** 2)


def reparameterised_by_hand(mu):
    z = mu + 0.5 * np.random.randn(4)
    return np.sum(np.sin(z) * z)


def uniform_between(x):
    u = np.random.uniform(x, x + 1.0)
    return np.sum(np.sin(u))


def draws_in_a_loop(x):
    total = 0.0
    for i in range(4):
        total = total + np.sum(np.sin(x * np.random.randn(x.size)))
    return total


def two_alike(x):
    a = np.random.randn(4)
    b = np.random.randn(4)
    return np.sum(np.sin(x * a) + x * b)


def unused_draw(x):
    np.random.randn(2)
    skipped = np.random.rand(3)
    return np.sum(np.sin(x) * np.random.standard_normal(4))


def every_legacy_draw(x):
    a = np.random.rand(4)
    b = np.random.randn(4)
    c = np.random.normal(0.0, 2.0, 4)
    d = np.random.uniform(-1.0, 1.0, size=4)
    e = np.random.choice(4, 4)
    f = np.random.permutation(4)
    g = np.random.binomial(3, 0.5, 4)
    h = np.random.random(4)
    i = np.random.standard_normal(4)
    j = np.random.randint(0, 5, size=4)
    k = np.random.random_sample((4,))
    return np.sum(np.sin(x * (a + b + c + d + h + i + k)) * (e + f + g + j)) + np.random.randn() * x[0]


def permuted(x):
    return np.sum(np.sin(np.random.permutation(x)) * np.arange(4.0))


def chosen(x):
    return np.sum(np.sin(np.random.choice(x, 6)) * np.arange(6.0))


def chosen_without_replacement(x):
    return np.sum(np.cos(np.random.choice(x, 3, replace=False, p=[0.1, 0.2, 0.3, 0.4])) * np.arange(3.0))


def seeded_inside(x):
    np.random.seed(5)
    return np.sum(np.sin(x * np.random.randn(4)))


def unused_in_a_loop(x):
    for i in range(3):
        np.random.randn(2)
    return np.sum(np.sin(x) * np.random.randn(4))


def unused_in_a_branch(x):
    if np.sum(x) > 0:
        np.random.randn(2)
    else:
        np.random.rand(5)
    return np.sum(np.sin(x) * np.random.randn(4))


def drawn_until(x):
    s = 0.0
    while s < 2.0:
        s = s + np.random.rand()
    return np.sum(np.sin(x)) * s


def invariant_draw_in_a_loop(x):
    s = 0.0
    for i in range(3):
        z = np.random.randn(4)  # reads nothing the loop changes, but is a new draw each step
        s = s + np.sum(np.sin(x) * z)
    return s


@pytest.mark.parametrize("f", [unused_in_a_loop, unused_in_a_branch, drawn_until])
def test_draws_in_regions_whose_values_are_unused_still_advance_the_stream(f):
    check_seeded(f, (X,))
    np.random.seed(4)
    srcdiff.grad(f)(X)
    after = np.random.rand()
    np.random.seed(4)
    f(X)
    assert after == np.random.rand()


def test_a_draw_in_a_loop_is_not_hoisted():
    ref = seeded(invariant_draw_in_a_loop)
    value, g = reset(srcdiff.value_and_grad(invariant_draw_in_a_loop))(X)
    assert value == ref(X)
    np.random.seed(0)
    z = np.random.randn(3, 4)
    np.testing.assert_allclose(g, np.cos(X) * np.sum(z, axis=0), rtol=1e-12)


@pytest.mark.parametrize("f", [dropout, dropout_of_a_matrix, reparameterised_by_hand, uniform_between, two_alike,
                               unused_draw, every_legacy_draw, permuted, chosen, chosen_without_replacement,
                               seeded_inside])
def test_global_stream(f):
    check_seeded(f, (X,))


@pytest.mark.parametrize("f, arg", [(reparameterised, MU), (reparameterised_scale, 0.8)])
def test_reparameterised_draws(f, arg):
    check_seeded(f, (arg,))


def test_reparameterisation_is_numpys_own_stream():
    """normal(mu, sigma) is mu + sigma * standard_normal: the value is f's bit for bit."""
    np.random.seed(3)
    value, g = srcdiff.value_and_grad(reparameterised)(MU)
    np.random.seed(3)
    z = np.random.normal(MU, 0.5)
    assert value == np.sum(np.sin(z) * z)
    np.testing.assert_allclose(g, np.cos(z) * z + np.sin(z), rtol=1e-12)


def test_a_draw_in_a_loop_to_first_order_and_by_jacrev_of_grad():
    """Forward mode's Hessian computes every column in one pass (transforms/batching.py), so the
    loop runs, and draws, once: the Hessian is jacrev(grad(f))'s, of the same draws."""
    ref = seeded(draws_in_a_loop)
    value, g = reset(srcdiff.value_and_grad(draws_in_a_loop))(X)
    assert value == ref(X)
    np.testing.assert_allclose(g, central_difference(ref, (X,), 0), rtol=1e-6, atol=1e-8)
    _, t = reset(lambda x: srcdiff.jvp(draws_in_a_loop, (x,), (np.ones(4),)))(X)
    np.testing.assert_allclose(t, np.sum(g), rtol=1e-12)
    grad_seeded = reset(srcdiff.grad(draws_in_a_loop))
    second = central_difference(lambda x: np.asarray(grad_seeded(x)), (X,), 0)
    np.testing.assert_allclose(reset(srcdiff.jacrev(srcdiff.grad(draws_in_a_loop)))(X), second, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(reset(srcdiff.hessian(draws_in_a_loop))(X), second, rtol=1e-4, atol=1e-6)


def test_a_draw_in_a_loop_is_a_new_draw_each_step():
    np.random.seed(1)
    g = srcdiff.grad(lambda_free_loop)(X)
    np.random.seed(1)
    draws = np.random.randn(3, 4)
    np.testing.assert_allclose(g, np.sum(draws, axis=0), rtol=1e-15)
    assert len({tuple(d) for d in draws}) == 3


def lambda_free_loop(x):
    s = 0.0
    for _ in range(3):
        s = s + np.sum(x * np.random.randn(4))
    return s


def test_draws_are_not_merged_folded_or_recomputed():
    code = srcdiff.source(srcdiff.grad(two_alike), X)
    assert code.count("np.random.randn(4)") == 2
    code = srcdiff.source(srcdiff.grad(draws_in_a_loop), X)
    assert code.count("np.random.randn(") == 1  # once, in the forward loop: recorded, not drawn again backward
    code = srcdiff.source(srcdiff.grad(unused_draw), X)
    assert "np.random.randn(2)" in code and "np.random.rand(3)" in code  # they advance the stream
    code = srcdiff.source(srcdiff.grad(reparameterised), MU)
    assert "mu + 0.5 * " in code and "np.random.standard_normal(" in code


def test_the_stream_after_the_derivative_is_where_fs_leaves_it():
    np.random.seed(2)
    srcdiff.grad(unused_draw)(X)
    after_grad = np.random.rand()
    np.random.seed(2)
    unused_draw(X)
    assert after_grad == np.random.rand()


# -- Generators: made inside, passed in, global; a RandomState from outside

def generator_made_inside(x):
    rng = np.random.default_rng(4)
    return np.sum(np.sin(x * rng.normal(size=4)) + x * rng.standard_normal(4))


def every_generator_draw(x):
    rng = np.random.default_rng(seed=9)
    a = rng.normal(1.0, 2.0, size=4)
    b = rng.standard_normal(4)
    c = rng.uniform(-1.0, 1.0, 4)
    d = rng.random(4)
    e = rng.integers(0, 5, size=4)
    f = rng.choice(4, size=4)
    g = rng.permutation(4)
    h = rng.binomial(3, 0.5, size=4)
    return np.sum(np.sin(x * (a + b + c + d)) * (e + f + g + h))


def generator_reparameterised(mu):
    rng = np.random.default_rng(0)
    z = rng.normal(mu, 0.3)
    w = rng.uniform(low=mu, high=2.0)
    return np.sum(z * z + np.sin(w))


def generator_permutation_of_x(x):
    rng = np.random.default_rng(1)
    return np.sum(np.sin(rng.permutation(x)) * np.arange(4.0)) + np.sum(rng.choice(x, 3) ** 2)


def generator_along_an_axis(x):
    rng = np.random.default_rng(2)
    m = np.outer(x, x[:3])
    return np.sum(np.sin(rng.permutation(m, axis=1)) * rng.choice(m, 2, replace=False, axis=1)[:, :1])


def two_generators_alike(x):
    a = np.random.default_rng(0)
    b = np.random.default_rng(0)
    return np.sum(x * a.normal(size=4) * b.normal(size=4) + x * a.normal(size=4))


@pytest.mark.parametrize("f, arg", [(generator_made_inside, X), (every_generator_draw, X),
                                    (generator_reparameterised, MU), (generator_permutation_of_x, X),
                                    (generator_along_an_axis, X),
                                    (two_generators_alike, X)])
def test_a_generator_made_inside_draws_the_same_at_every_call(f, arg):
    value, _ = srcdiff.value_and_grad(f)(arg)
    np.testing.assert_array_equal(value, f(arg))
    assert_all_modes(f, (arg,), rtol=1e-6)


def test_two_generators_made_alike_are_two_streams():
    code = srcdiff.source(srcdiff.grad(two_generators_alike), X)
    assert code.count("np.random.default_rng(0)") == 2


def passed_in(x, rng):
    return np.sum(np.sin(x) * rng.normal(size=4)) + np.sum(x * rng.uniform(size=4))


def test_a_generator_passed_in():
    value, g = srcdiff.value_and_grad(passed_in)(X, np.random.default_rng(5))
    assert value == passed_in(X, np.random.default_rng(5))
    expected = central_difference(lambda x: passed_in(x, np.random.default_rng(5)), (X,), 0)
    np.testing.assert_allclose(g, expected, rtol=1e-6, atol=1e-8)
    h = srcdiff.hessian(passed_in)(X, np.random.default_rng(5))
    z = np.random.default_rng(5).normal(size=4)
    np.testing.assert_allclose(h, np.diag(-np.sin(X) * z), rtol=1e-12)


def from_a_global_generator(x):
    return np.sum(np.sin(x * GLOBAL_RNG.normal(size=4))) + np.sum(x * GLOBAL_RNG.uniform(x, 2.0))


def from_a_global_random_state(x):
    return np.sum(np.sin(x * GLOBAL_STATE.randn(4))) + np.sum(x * GLOBAL_STATE.normal(x, 0.5))


def state_of(stream):
    """(get, put) of a stream's state."""
    if isinstance(stream, np.random.RandomState):
        return stream.get_state, stream.set_state
    return (lambda: stream.bit_generator.state), (lambda state: setattr(stream.bit_generator, "state", state))


@pytest.mark.parametrize("f, stream", [(from_a_global_generator, GLOBAL_RNG),
                                       (from_a_global_random_state, GLOBAL_STATE)])
def test_a_stream_from_outside(f, stream):
    get, put = state_of(stream)
    start = get()

    def again(fn):
        def run(*a):
            put(start)
            return fn(*a)

        return run

    value, g = again(srcdiff.value_and_grad(f))(X)
    assert value == again(f)(X)
    expected = central_difference(again(f), (X,), 0)
    np.testing.assert_allclose(g, expected, rtol=1e-6, atol=1e-8)
    _, t = again(lambda x: srcdiff.jvp(f, (x,), (np.ones(4),)))(X)
    np.testing.assert_allclose(t, np.sum(expected), rtol=1e-6)
    second = central_difference(lambda x: again(srcdiff.grad(f))(x), (X,), 0)
    np.testing.assert_allclose(again(srcdiff.hessian(f))(X), second, rtol=1e-4, atol=1e-6)


# -- refusals

def traced_probabilities(x):
    p = np.exp(x) / np.sum(np.exp(x))
    return np.sum(np.random.choice(x, 2, p=p))


def traced_binomial(x):
    k = np.random.binomial(5, 1.0 / (1.0 + np.exp(-x)))
    return np.sum(k * x)


def held_binomial(x):
    k = np.random.binomial(5, srcdiff.stop_gradient(1.0 / (1.0 + np.exp(-x))))
    return np.sum(k * x)


def draw_into_out(x):
    rng = np.random.default_rng(0)
    return np.sum(rng.random(4, out=np.zeros(4)) * x)


def not_a_generator(x):
    return np.sum(x.normal(size=4))


@pytest.mark.parametrize("f, message", [
    (traced_probabilities, "whose p is computed from the inputs"),
    (traced_binomial, "a draw from binomial whose p is computed from the inputs"),
    (draw_into_out, "the out= of random is not supported"),
    (not_a_generator, "arrays have no method 'normal'"),
])
def test_refusals_are_located(f, message):
    with pytest.raises(NonDifferentiableError, match=message) as info:
        srcdiff.grad(f)(X)
    assert "test_draws.py:" in str(info.value)
    assert "hint:" in str(info.value)


def test_a_parameter_held_by_stop_gradient_is_drawn_with_no_derivative_through_it():
    check_seeded(held_binomial, (X,))


def random_state_passed_in(x, rs):
    return np.sum(np.sin(x) * rs.randn(4)) + np.sum(x * rs.randint(0, 3, size=4))


def test_a_random_state_passed_in():
    value, g = srcdiff.value_and_grad(random_state_passed_in)(X, np.random.RandomState(2))
    assert value == random_state_passed_in(X, np.random.RandomState(2))
    rs = np.random.RandomState(2)
    z, k = rs.randn(4), rs.randint(0, 3, size=4)
    np.testing.assert_allclose(g, np.cos(X) * z + k, rtol=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2 ** 31 - 1), st.floats(0.05, 0.95))
def test_dropout_for_any_seed_matches_f_and_its_mask(seed, p):
    x = np.linspace(-1.0, 1.0, 6)
    np.random.seed(seed)
    value, g = srcdiff.value_and_grad(dropout_rate)(x, p)
    np.random.seed(seed)
    mask = np.random.rand(6) > p
    np.random.seed(seed)
    assert value == dropout_rate(x, p)
    np.testing.assert_allclose(g, np.cos(x) * mask / (1.0 - p), rtol=1e-12)


def dropout_rate(x, p):
    mask = np.random.rand(*x.shape) > p
    return np.sum(np.sin(x) * mask / (1.0 - p))
