"""Everyday code against central differences: a dict-parameter MSE, softmax cross-entropy
with in-place updates, an if/elif/else chain in a loop (nested residuals once shared a
name), Horner's rule over reversed coefficients, and attention."""
import numpy as np

from srcdiff import grad

from . import common_code as c
from tests.numeric import central_difference

rng = np.random.default_rng(0)


def test_mse_with_a_params_dict():
    X, y = rng.standard_normal((20, 3)), rng.standard_normal(20)
    p = {"w": rng.standard_normal(3), "b": 0.5}
    g = grad(c.mse)(p, X, y)
    np.testing.assert_allclose(g["w"], central_difference(lambda w: c.mse({"w": w, "b": 0.5}, X, y), (p["w"],), 0),
                               rtol=1e-6)
    assert type(g["b"]) is float
    assert abs(g["b"] - central_difference(lambda b: c.mse({"w": p["w"], "b": b}, X, y), (0.5,), 0)) < 1e-7


def test_softmax_cross_entropy_with_in_place_updates():
    X, W, y = rng.standard_normal((20, 3)), rng.standard_normal((3, 4)), rng.integers(0, 4, 20)
    np.testing.assert_allclose(grad(c.softmax_xent)(W, X, y), central_difference(c.softmax_xent, (W, X, y), 0),
                               atol=1e-7)


def test_if_elif_else_chain_in_a_loop():
    x = np.array([0.5, -0.5, -2.0, 1.5])
    np.testing.assert_allclose(grad(c.piecewise)(x), [1.0, -1.0, np.exp(-2.0), 3.0], rtol=1e-14)


def test_horner_over_reversed_coefficients():
    coeffs, x = np.array([1.0, -2.0, 0.5]), np.array([0.3, 1.2])
    g_coeffs, g_x = grad(c.poly, argnums=(0, 1))(coeffs, x)
    np.testing.assert_allclose(g_coeffs, central_difference(c.poly, (coeffs, x), 0), rtol=1e-7)
    np.testing.assert_allclose(g_x, central_difference(c.poly, (coeffs, x), 1), rtol=1e-7)


def test_attention():
    Q, K, V = rng.standard_normal((4, 3)), rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    for i, g in enumerate(grad(c.attention, argnums=(0, 1, 2))(Q, K, V)):
        np.testing.assert_allclose(g, central_difference(c.attention, (Q, K, V), i), atol=1e-6)
