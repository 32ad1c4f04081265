"""srcdiff's own transformations called inside differentiated code: grad of a jvp, a
gradient used in a loss. They are inlined as IR, so they are differentiated like code."""
import numpy as np
import pytest

import srcdiff
from srcdiff import grad

from tests.numeric import central_difference


def curve(x):
    return np.sin(x) * x ** 2


def slope(x):
    value, tangent = srcdiff.jvp(curve, (x,), (1.0,))
    return tangent


d_curve = grad(curve)


def slope_times_x(x):
    return d_curve(x) * x


@pytest.mark.parametrize("x", [-1.3, 0.2, 0.7, 2.5])
def test_grad_of_a_jvp_is_the_second_derivative(x):
    exact = 2 * np.sin(x) + 4 * x * np.cos(x) - x ** 2 * np.sin(x)
    assert grad(slope)(x) == pytest.approx(exact, rel=1e-12)
    assert grad(slope)(x) == pytest.approx(central_difference(slope, (x,), 0), rel=1e-7)


@pytest.mark.parametrize("x", [-0.4, 1.1])
def test_a_gradient_inside_a_loss(x):
    assert grad(slope_times_x)(x) == pytest.approx(central_difference(slope_times_x, (x,), 0), rel=1e-7)


def vector(x):
    return np.sin(x) * x


@pytest.mark.parametrize("outer", [srcdiff.jacfwd, srcdiff.jacrev])
@pytest.mark.parametrize("inner", [srcdiff.jacfwd, srcdiff.jacrev])
def test_jacobian_of_a_jacobian_of_a_vector_function_is_exact(outer, inner):
    # d/dx_k of the Jacobian diag(sin x + x cos x): (2 cos x - x sin x) where i == j == k
    x = np.array([0.4, -1.2])
    exact = np.zeros((2, 2, 2))
    for i in range(2):
        exact[i, i, i] = 2 * np.cos(x[i]) - x[i] * np.sin(x[i])
    np.testing.assert_allclose(outer(inner(vector))(x), exact, rtol=1e-12, atol=1e-15)


def bowl(x):
    return np.sum(np.cos(x) * x ** 2) + x[0] * x[1]


def test_jacfwd_of_jacrev_of_a_scalar_function_is_its_hessian():
    x = np.array([0.3, -1.1, 0.8])
    H = srcdiff.jacfwd(srcdiff.jacrev(bowl))(x)
    np.testing.assert_allclose(H, srcdiff.hessian(bowl)(x), rtol=1e-12)
    np.testing.assert_allclose(H, central_difference(grad(bowl), (x,), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(srcdiff.jacrev(srcdiff.jacfwd(bowl))(x), H, rtol=1e-12, atol=1e-12)
