"""GradBench's objectives as users port them (issue 17), differentiated unmodified and checked
against central differences in forward, reverse and second order: the Gaussian mixture called
with two **dicts, the LSTM with `_range=None` and builtin sum, and the hand-tracking model with
int(nbones), a list literal of indices, `*weights.shape` and a branch on parents[i]."""
import numpy as np
import pytest

import srcdiff

from tests.numeric import assert_all_modes, central_difference

from .gradbench_objectives import hand_objective, lstm_objective

RNG = np.random.default_rng(17)


# ---------------------------------------------------------------------------
# Gaussian mixture


def gmm_inputs(d=3, k=4, n=6):
    fixed = dict(d=d, k=k, n=n, x=RNG.standard_normal((n, d)), m=0, gamma=1.0)
    alpha, mu = RNG.standard_normal(k), RNG.standard_normal((k, d))
    q, l = 0.3 * RNG.standard_normal((k, d)), RNG.standard_normal((k, d * (d - 1) // 2))
    return (alpha, mu, q, l), fixed


@pytest.mark.parametrize("argnum", [0, 1, 2, 3], ids=["alpha", "mu", "q", "l"])
def test_gmm_called_with_two_kwargs_dicts(argnum):
    pytest.importorskip("scipy")
    from .gradbench_gmm import gmm_call

    params, fixed = gmm_inputs()
    assert_all_modes(gmm_call, (*params, fixed), argnum=argnum)


def test_gmm_compiles_once_per_dimension_it_is_called_for():
    """d, k and n are ints in a dict: np.arange(d - 1) needs d's value, so the gradient is compiled
    for these ints' values, and again for other values (each right)."""
    pytest.importorskip("scipy")
    from .gradbench_gmm import gmm_call

    g = srcdiff.grad(gmm_call, argnums=(0, 1, 2, 3))
    for d in (3, 4, 3):
        params, fixed = gmm_inputs(d=d)
        for got, i in zip(g(*params, fixed), range(4)):
            np.testing.assert_allclose(got, central_difference(gmm_call, (*params, fixed), i), rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------------------
# LSTM


def lstm_inputs(layers=2, b=3, c=4):
    main = 0.5 * RNG.standard_normal((2 * layers, 4 * b))
    extra = 0.5 * RNG.standard_normal((3, b))
    state = 0.5 * RNG.standard_normal((2 * layers, b))
    return main, extra, state, RNG.standard_normal((c, b))


@pytest.mark.parametrize("argnum", [0, 1], ids=["main_params", "extra_params"])
def test_lstm_with_range_none_and_builtin_sum(argnum):
    assert_all_modes(lstm_objective, lstm_inputs(), argnum=argnum)


def lstm_over_a_given_range(main_params, extra_params, state, sequence):
    return lstm_objective(main_params, extra_params, state, sequence, range(0, 2))


def test_lstm_with_a_range_passed_in():
    assert_all_modes(lstm_over_a_given_range, lstm_inputs())


# ---------------------------------------------------------------------------
# hand tracking


def hand_inputs(npts=10, nv=30):
    nbones = 22
    parents = np.array([-1, 0, 1, 2, 3, 0, 5, 6, 7, 0, 9, 10, 11, 0, 13, 14, 15, 0, 17, 18, 19, 0])
    base_relatives = 0.3 * RNG.standard_normal((nbones, 4, 4)) + np.eye(4)
    inverse_base_absolutes = 0.3 * RNG.standard_normal((nbones, 4, 4)) + np.eye(4)
    base_positions = np.concatenate([RNG.standard_normal((nv, 3)), np.ones((nv, 1))], axis=1)
    weights = RNG.random((nv, nbones))
    weights /= weights.sum(axis=1, keepdims=True)
    points = RNG.standard_normal((npts, 3))
    correspondences = RNG.integers(0, nv, npts).astype(float)  # as GradBench's JSON gives them
    theta = 0.3 * RNG.standard_normal(26)
    return (theta, nbones, parents, base_relatives, inverse_base_absolutes, base_positions, weights, 1.0,
            points, correspondences)


@pytest.mark.parametrize("jacobian", [srcdiff.jacfwd, srcdiff.jacrev, srcdiff.jacobian])
def test_hand_jacobian_with_int_nbones_and_star_shape(jacobian):
    args = hand_inputs()
    J = jacobian(hand_objective)(*args)
    assert J.shape == (10, 3, 26)
    np.testing.assert_allclose(J, central_difference(hand_objective, args, 0), rtol=1e-5, atol=1e-7)


def hand_loss(theta, *rest):
    return 0.5 * np.sum(hand_objective(theta, *rest) ** 2)


def test_hand_loss_in_every_mode():
    args = hand_inputs(npts=4, nv=8)
    assert_all_modes(lambda theta: hand_loss(theta, *args[1:]), (args[0],))
