"""Values a differentiated function reads from outside it: global arrays changed in place,
lists and dicts from outside, attributes of objects and modules, bound methods (issue 14).

A derivative is compiled once and called many times; what it read from outside must either be
read again when it runs (arrays, by reference) or be guarded, so that a change compiles again.
Once, np.sum(W) of a global W was computed when compiling, and W[0] = -10.0 went unseen."""
import types

import numpy as np
import pytest

import srcdiff
from srcdiff import grad

from tests.numeric import central_difference

W = np.array([1.0, 2.0, 3.0])
SCALES = [2.0, 3.0]
CONFIG = {"scale": 0.5, "shift": np.array([0.1, 0.2, 0.3])}
SETTINGS = types.SimpleNamespace(power=2.0)


def times_sum_of_global(x):
    return x * np.sum(W)


def branch_on_global(x):
    if W[0] > 0:
        return x * 2.0
    return x * 3.0


def weighted(x):
    return np.sum(x * W)


def over_a_global_list(x):
    s = 0.0
    for c in SCALES:
        s = s + c * x
    return s


def from_a_global_dict(x):
    return np.sum((x - CONFIG["shift"]) ** 2) * CONFIG["scale"]


def from_an_attribute(x):
    return x ** SETTINGS.power


def test_a_global_array_changed_in_place_is_seen():
    W[:] = [1.0, 2.0, 3.0]
    try:
        gf, gb, gw = grad(times_sum_of_global), grad(branch_on_global), grad(weighted)
        assert (gf(1.0), gb(1.0)) == (6.0, 2.0)
        W[0] = -10.0
        assert gf(1.0) == -5.0
        assert gb(1.0) == 3.0
        np.testing.assert_array_equal(gw(np.ones(3)), [-10.0, 2.0, 3.0])
        assert srcdiff.jvp(times_sum_of_global, (1.0,), (1.0,))[1] == -5.0
    finally:
        W[:] = [1.0, 2.0, 3.0]


def test_a_global_list_or_dict_changed_in_place_compiles_again():
    x = np.array([0.5, -1.0, 2.0])
    g = grad(over_a_global_list)
    assert g(1.5) == 5.0
    SCALES.append(4.0)
    try:
        assert g(1.5) == 9.0
    finally:
        SCALES.pop()
    assert g(1.5) == 5.0
    h = grad(from_a_global_dict)
    np.testing.assert_allclose(h(x), central_difference(from_a_global_dict, (x,), 0), rtol=1e-6)
    CONFIG["scale"] = 2.0
    try:
        np.testing.assert_allclose(h(x), 4.0 * (x - CONFIG["shift"]), rtol=1e-12)
        CONFIG["shift"][0] = 5.0  # an array inside: read when the derivative runs
        np.testing.assert_allclose(h(x), 4.0 * (x - CONFIG["shift"]), rtol=1e-12)
    finally:
        CONFIG["scale"] = 0.5
        CONFIG["shift"][0] = 0.1


def test_a_rebound_attribute_compiles_again():
    g = grad(from_an_attribute)
    assert g(3.0) == 6.0
    SETTINGS.power = 3.0
    try:
        assert g(3.0) == 27.0
    finally:
        SETTINGS.power = 2.0


class Model:
    def __init__(self, w, b):
        self.w, self.b = w, b

    def loss(self, x):
        return np.sum((self.predict(x) - 1.0) ** 2)

    def predict(self, x):
        return np.tanh(self.w * x + self.b)

    @property
    def scale(self):
        return self.w * 2.0

    def scaled(self, x):
        return self.scale * x * x


def test_a_bound_method_is_differentiated_with_its_object():
    x = np.array([0.5, -1.0, 2.0])
    m1, m2 = Model(0.7, 0.1), Model(-0.3, 0.4)
    for m in (m1, m2, m1):
        np.testing.assert_allclose(grad(m.loss)(x), central_difference(m.loss, (x,), 0), rtol=1e-6)
        np.testing.assert_allclose(srcdiff.hessian(m.loss)(x), central_difference(grad(m.loss), (x,), 0),
                                   rtol=1e-5, atol=1e-8)
    g = grad(m1.loss)
    m1.w = 1.5
    np.testing.assert_allclose(g(x), central_difference(m1.loss, (x,), 0), rtol=1e-6)


def test_a_property_is_read_as_the_code_it_is():
    m = Model(0.7, 0.1)
    g = grad(m.scaled)
    assert g(2.0) == pytest.approx(4 * 0.7 * 2.0)
    m.w = 1.0
    assert g(2.0) == pytest.approx(4 * 1.0 * 2.0)
