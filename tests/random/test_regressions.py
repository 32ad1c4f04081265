"""Programs the random differential tester found wrong once, now right."""
import numpy as np

import srcdiff
from srcdiff import grad

from tests.numeric import central_difference


def reassigned_in_loop(x, y):
    a = x
    for i in range(1):
        a = x * 2.0  # the loop never reads a back: its gradient was dropped
    return np.sum(a)


def if_in_loop(x, y):
    a = y
    for i in range(1):
        if y > 0.3:
            a = y + y
        else:
            a = x[2]
        a = a * np.tanh(a)  # forward mode read a after it was overwritten
    return np.sum(x) + a


def zero_trip_after_branch(x, y):
    a = y
    for i in range(1):
        if y > 0.3:
            a = y
        else:
            a = x[0]
        a = a + y
    for i in range(0):
        a = a + x[0]  # an accumulated adjoint was overwritten by a reused name
    return np.sum(x) + a


def doubled(x, y):
    b = (x + y) + x
    return np.sum(b + b) + y  # broadcast_to(1) + broadcast_to(1) lost its shape


def rational(x, y):
    a = (y + np.sum(x)) / (1.5 + np.cos(np.sum(x) / (1.5 + np.cos(y))))
    for i in range(0):
        a = a + x[0]
    return np.sum(x) + a


def _check(f, x, y):
    gx, gy = grad(f, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx, central_difference(f, (x, y), 0), rtol=1e-6, atol=1e-8)
    assert abs(gy - central_difference(f, (x, y), 1)) < 1e-6
    np.testing.assert_allclose(srcdiff.jacfwd(f)(x, y), gx, rtol=1e-12, atol=1e-12)


def test_reassigned_in_loop():
    _check(reassigned_in_loop, np.array([0.1, 0.2, 0.3]), 0.5)
    assert np.array_equal(grad(reassigned_in_loop)(np.array([0.1, 0.2, 0.3]), 0.5), [2.0, 2.0, 2.0])


def test_if_in_loop():
    _check(if_in_loop, np.array([0.0, 0.0, 1.0]), 0.0)


def test_zero_trip_after_branch():
    _check(zero_trip_after_branch, np.array([0.0, 0.0, 0.0]), 0.0)


def test_doubled():
    gx, gy = grad(doubled, argnums=(0, 1))(np.zeros(3), 0.0)
    np.testing.assert_array_equal(gx, [4.0, 4.0, 4.0])
    assert gy == 7.0


def test_hessian_with_a_zero_tangent():
    x = np.zeros(3)
    H = srcdiff.hessian(rational)(x, 0.0)
    np.testing.assert_allclose(H, central_difference(lambda v: grad(rational)(v, 0.0), (x,), 0), atol=1e-5)
