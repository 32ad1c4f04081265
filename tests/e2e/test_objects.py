"""Objects around a loss (issue 17): bound methods, attributes, callable objects (a layer
with __call__), methods calling methods, properties, static and class methods, an object
passed as an argument. An object's attributes are read when compiling and guarded like
globals: rebinding one compiles again, an array attribute changed in place is seen."""
import numpy as np
import pytest

import srcdiff
from srcdiff import UnsupportedSyntaxError
from tests.numeric import assert_all_modes, assert_matches_differences, central_difference
from tests.unit.irtools import ir_after, ops

A = np.array([[0.5, -0.2, 0.1], [0.3, 0.8, -0.4], [0.0, 0.2, 0.6]])
X = np.array([0.3, -0.7, 1.1])


class Layer:
    def __init__(self, W, b):
        self.W = W
        self.b = b

    def __call__(self, x):
        return np.tanh(self.W @ x + self.b)


class Model:
    scale = 2.0

    def __init__(self):
        self.W = A.copy()
        self.layer = Layer(A.T.copy(), np.array([0.1, 0.0, -0.1]))

    @property
    def doubled(self):
        return self.W * 2.0

    def hidden(self, x):
        return self.layer(self.W @ x)

    def loss(self, x):
        return np.sum(self.hidden(x) ** 2)  # a method calling a method calling a callable attribute

    def loss_property(self, x):
        return np.sum(np.sin(self.doubled @ x))

    @staticmethod
    def square(x):
        return x ** 2

    @classmethod
    def scaled(cls, x):
        return cls.scale * x

    def loss_static(self, x):
        return np.sum(self.square(x)) + np.sum(Model.square(np.sin(x)))

    def loss_class(self, x):
        return np.sum(self.scaled(x) * x) + np.sum(Model.scaled(np.exp(x)))

    def loss_of(self, W, x):
        return np.sum(np.tanh(W @ x) * self.scale)


class ScalarLayer:
    def __init__(self, W):
        self.W = W

    def __call__(self, x):
        return np.sum(np.cos(self.W @ x))


def through_a_global_model(x):
    return MODEL.loss(x) + np.sum(MODEL.layer(x))


def through_a_global_layer(x):
    return np.sum(LAYER(x) * x)


def functional_loss(model, x):
    return np.sum(model.hidden(x) * x) + model.scale


def makes_an_object(x):
    return np.sum(Layer(A, x)(x))


MODEL = Model()
LAYER = Layer(A.copy(), np.zeros(3))


def test_a_bound_method_calling_methods_and_a_callable_attribute_in_every_mode():
    model = Model()
    assert_all_modes(model.loss, (X.copy(),))
    assert_all_modes(lambda x: model.loss(x), (X.copy(),))


@pytest.mark.parametrize("method", ["loss_property", "loss_static", "loss_class"])
def test_properties_static_and_class_methods_through_the_instance_and_the_class(method):
    model = Model()
    assert_all_modes(getattr(model, method), (X.copy(),))


def test_static_and_class_methods_differentiated_directly():
    model = Model()
    for f in (Model.square, model.square, Model.scaled, model.scaled):
        assert_matches_differences(srcdiff.grad(f), f, (1.3,), argnums=0)
        np.testing.assert_allclose(srcdiff.hessian(f)(1.3), central_difference(srcdiff.grad(f), (1.3,), 0),
                                   rtol=1e-5)


def test_a_method_with_an_argument_besides_self():
    model = Model()
    W = A.copy()
    for argnums in (0, 1):
        assert_matches_differences(srcdiff.grad(model.loss_of, argnums=argnums), model.loss_of, (W, X.copy()),
                                   argnums=argnums)
    assert_all_modes(model.loss_of, (W, X.copy()), argnum=0)


def test_grad_of_a_callable_object():
    layer = ScalarLayer(A.copy())
    assert_all_modes(layer, (X.copy(),))
    np.testing.assert_allclose(srcdiff.grad(layer)(X), -np.sin(A @ X) @ A)


def test_global_objects_and_callable_objects_called_inside():
    assert_all_modes(through_a_global_model, (X.copy(),))
    assert_all_modes(through_a_global_layer, (X.copy(),))


def test_an_object_passed_as_an_argument_is_known_when_compiling():
    model = Model()
    g = srcdiff.grad(functional_loss, argnums=1)
    assert_matches_differences(g, functional_loss, (model, X.copy()), argnums=1)
    assert_matches_differences(srcdiff.grad(Model.loss, argnums=1), Model.loss, (model, X.copy()), argnums=1)
    other = Model()
    other.W = A * 3.0
    # another object of the same class is compiled for: its own attributes, never the first's
    np.testing.assert_allclose(g(other, X), central_difference(functional_loss, (other, X), 1), rtol=1e-6)
    np.testing.assert_allclose(g(model, X), central_difference(functional_loss, (model, X), 1), rtol=1e-6)


def test_a_rebound_attribute_compiles_again_and_a_changed_array_attribute_is_seen():
    model = Model()
    g = srcdiff.grad(model.loss)
    before = g(X)
    np.testing.assert_allclose(before, central_difference(model.loss, (X,), 0), rtol=1e-6)
    model.W = A * 0.5  # rebound
    np.testing.assert_allclose(g(X), central_difference(model.loss, (X,), 0), rtol=1e-6)
    model.W[0, 0] = 3.0  # changed in place
    np.testing.assert_allclose(g(X), central_difference(model.loss, (X,), 0), rtol=1e-6)
    model.layer.W[1, 2] = -2.0  # an attribute's attribute, changed in place
    np.testing.assert_allclose(g(X), central_difference(model.loss, (X,), 0), rtol=1e-6)
    model.layer = ScalarLayerAsLayer(A)  # the callable attribute rebound to another class's object
    np.testing.assert_allclose(g(X), central_difference(model.loss, (X,), 0), rtol=1e-6)


class ScalarLayerAsLayer:
    def __init__(self, W):
        self.W = W

    def __call__(self, x):
        return np.cos(self.W @ x) * 2.0


def test_a_redefined_call_method_compiles_again():
    layer = Layer(A.copy(), np.zeros(3))

    def loss(x):
        return np.sum(layer(x))

    g = srcdiff.grad(loss)
    np.testing.assert_allclose(g(X), central_difference(loss, (X,), 0), rtol=1e-6)
    original = Layer.__call__
    try:
        Layer.__call__ = ScalarLayerAsLayer.__call__
        np.testing.assert_allclose(g(X), central_difference(loss, (X,), 0), rtol=1e-6)
    finally:
        Layer.__call__ = original
    np.testing.assert_allclose(g(X), central_difference(loss, (X,), 0), rtol=1e-6)


def test_creating_an_object_inside_is_refused_located():
    with pytest.raises(UnsupportedSyntaxError) as e:
        srcdiff.grad(makes_an_object)(X)
    message = str(e.value)
    assert "creating a Layer object inside a function being differentiated is not supported" in message
    assert "test_objects.py:" in message and "hint:" in message


def test_the_emitted_code_names_attributes_and_inlines_methods():
    model = Model()
    source = srcdiff.source(srcdiff.grad(model.loss), X)
    assert "self" not in source and "const_" not in source
    assert "W.dot(" in source and "np.tanh(" in source
    # the methods and the layer's __call__ are inlined: one function of primitives
    fn = ir_after(model.loss, (X,))
    assert set(ops(fn)) <= {"tanh", "matmul", "mul", "add", "sub", "transpose", "square", "pow", "neg", "sum"}


class Child(Model):
    def loss(self, x):
        return super().loss(x) + np.sum(np.cos(x))  # the parent's method, through super()

    def loss_by_name(self, x):
        return Model.loss(self, x) * 2.0

    def loss_through_a_stored_method(self, x):
        f = self.hidden
        return self.apply(f, x)

    def apply(self, fn, x):
        return np.sum(fn(x) * x)


def apply_to(fn, x):
    return np.sum(fn(x) ** 2)


@pytest.mark.parametrize("method", ["loss", "loss_by_name", "loss_through_a_stored_method"])
def test_inherited_methods_super_and_methods_passed_around(method):
    child = Child()
    assert_all_modes(getattr(child, method), (X.copy(),))


def test_a_bound_method_passed_as_an_argument():
    model = Model()
    g = srcdiff.grad(apply_to, argnums=1)
    for _ in range(2):  # a new bound method object at each access: the same derivative
        np.testing.assert_allclose(g(model.hidden, X), central_difference(lambda x: apply_to(model.hidden, x), (X,), 0),
                                   rtol=1e-6)
    other = Model()
    other.W = A * 2.0
    np.testing.assert_allclose(g(other.hidden, X), central_difference(lambda x: apply_to(other.hidden, x), (X,), 0),
                               rtol=1e-6)
