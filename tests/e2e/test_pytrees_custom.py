"""Pytrees beyond dict, list and tuple (issue 17): namedtuples, dataclasses and a user's own
classes given to srcdiff.register_pytree_node, as arguments (the gradient comes back as the
same type), as what a function returns (has_aux with a dict of metrics, jvp and the
Jacobians of a dict), and made inside. The references are central differences per field."""
import collections
import dataclasses

import numpy as np
import pytest

import srcdiff
from srcdiff import UnsupportedSyntaxError, pytree
from tests.numeric import assert_all_modes, central_difference

W = np.array([0.4, -1.2, 0.7])


@dataclasses.dataclass
class Params:
    w: np.ndarray
    b: float

    def norm(self):
        return np.sum(self.w ** 2)


@dataclasses.dataclass(frozen=True)
class Frozen:
    w: np.ndarray
    b: float


@dataclasses.dataclass
class Checked:
    w: np.ndarray

    def __post_init__(self):
        self.w = np.asarray(self.w)


Pair = collections.namedtuple("Pair", "w b")


class Box:
    """A container of the user's own, registered below."""

    def __init__(self, inner, scale):
        self.inner, self.scale = inner, scale


srcdiff.register_pytree_node(Box, lambda box: ((box.inner, box.scale), "box"),
                             lambda aux, children: Box(*children))


def loss(p):
    return np.sum(np.sin(p.w) * p.b) + p.b ** 3


def loss_method(p):
    return p.norm() * p.b


def loss_nested(tree):
    layer = tree["layer"]
    return np.sum(np.tanh(layer.w * tree["pair"].b)) + loss(layer) * tree["pair"].w[0]


def loss_indexed(pair):
    w, b = pair  # a namedtuple unpacks and indexes as a tuple
    return np.sum(w * pair[1]) + np.sum(np.exp(pair.w)) * b


def loss_box(box):
    return np.sum(np.cos(box.inner.w) * box.scale) + loss(box.inner)


def with_metrics(w):
    y = np.tanh(w)
    return np.sum(y ** 2), {"mean": np.mean(y), "y": y, "pair": Pair(np.max(y), w)}


def with_a_dataclass_aux(w):
    return np.sum(w ** 2), Params(w * 2.0, np.sum(w))


def built_inside(w):
    p = Params(w, 2.0)
    q = Pair(w=np.sin(w), b=p.b)
    return loss(p) + np.sum(q.w) * q.b


def returns_a_dict(w):
    return {"sin": np.sin(w), "sq": w ** 2}


def returns_a_dataclass(w):
    return Params(np.sin(w), np.sum(w))


def builds_a_checked(w):
    return np.sum(Checked(w).w)


def field_difference(f, tree, get, put):
    """Central differences of f wrt one field of tree: get(tree) is its value, put(tree, v) the
    tree with that field v."""
    return central_difference(lambda v: f(put(tree, v)), (get(tree),), 0)


def check_params_gradient(g, f, p):
    assert type(g) is type(p)
    np.testing.assert_allclose(g.w, field_difference(f, p, lambda t: t.w, lambda t, v: type(t)(v, t.b)), rtol=1e-6)
    np.testing.assert_allclose(g.b, field_difference(f, p, lambda t: t.b, lambda t, v: type(t)(t.w, v)), rtol=1e-6)
    assert isinstance(g.b, float) and g.w.shape == p.w.shape


@pytest.mark.parametrize("make", [Params, Frozen, Pair])
def test_the_gradient_of_a_dataclass_or_namedtuple_is_one_too(make):
    p = make(W.copy(), 0.8)
    check_params_gradient(srcdiff.grad(loss)(p), loss, p)
    value, g = srcdiff.value_and_grad(loss)(p)
    np.testing.assert_allclose(value, loss(p))
    check_params_gradient(g, loss, p)


def test_a_dataclass_method_reads_its_fields():
    p = Params(W.copy(), 0.8)
    check_params_gradient(srcdiff.grad(loss_method)(p), loss_method, p)


def test_nested_containers_of_every_kind():
    tree = {"layer": Params(W.copy(), 0.8), "pair": Pair(W[::-1].copy(), 1.3)}
    g = srcdiff.grad(loss_nested)(tree)
    assert type(g["layer"]) is Params and type(g["pair"]) is Pair
    np.testing.assert_allclose(
        g["layer"].w, field_difference(loss_nested, tree, lambda t: t["layer"].w,
                                       lambda t, v: {**t, "layer": Params(v, t["layer"].b)}), rtol=1e-6)
    np.testing.assert_allclose(
        g["pair"].b, field_difference(loss_nested, tree, lambda t: t["pair"].b,
                                      lambda t, v: {**t, "pair": Pair(t["pair"].w, v)}), rtol=1e-6)


def test_a_namedtuple_unpacks_and_indexes_as_a_tuple():
    p = Pair(W.copy(), 0.8)
    check_params_gradient(srcdiff.grad(loss_indexed)(p), loss_indexed, p)


def test_a_registered_class_is_a_container():
    box = Box(Params(W.copy(), 0.8), 1.7)
    g = srcdiff.grad(loss_box)(box)
    assert type(g) is Box and type(g.inner) is Params
    np.testing.assert_allclose(g.scale, field_difference(loss_box, box, lambda t: t.scale,
                                                         lambda t, v: Box(t.inner, v)), rtol=1e-6)
    np.testing.assert_allclose(g.inner.w, field_difference(loss_box, box, lambda t: t.inner.w,
                                                           lambda t, v: Box(Params(v, t.inner.b), t.scale)),
                               rtol=1e-6)


def test_register_pytree_node_takes_a_class():
    with pytest.raises(TypeError, match="takes a class"):
        srcdiff.register_pytree_node(Box(1.0, 2.0), lambda b: ((), None), lambda a, c: None)


def test_jvp_and_vjp_with_a_dataclass_argument():
    p, t = Params(W.copy(), 0.8), Params(np.array([1.0, 0.5, -2.0]), 0.3)
    value, tangent = srcdiff.jvp(loss, (p,), (t,))
    g = srcdiff.grad(loss)(p)
    np.testing.assert_allclose(value, loss(p))
    np.testing.assert_allclose(tangent, np.dot(g.w, t.w) + g.b * t.b, rtol=1e-12)
    _, pullback = srcdiff.vjp(loss, p)
    (cotangent,) = pullback(2.0)
    assert type(cotangent) is Params
    np.testing.assert_allclose(cotangent.w, 2.0 * g.w, rtol=1e-12)


def test_has_aux_with_a_dict_of_metrics_and_other_pytrees():
    g, aux = srcdiff.grad(with_metrics, has_aux=True)(W)
    np.testing.assert_allclose(g, central_difference(lambda w: with_metrics(w)[0], (W,), 0), rtol=1e-6)
    assert set(aux) == {"mean", "y", "pair"} and type(aux["pair"]) is Pair
    np.testing.assert_allclose(aux["mean"], np.mean(np.tanh(W)))
    np.testing.assert_allclose(aux["pair"].b, W)
    (value, aux2), g2 = srcdiff.value_and_grad(with_metrics, has_aux=True)(W)
    np.testing.assert_allclose(value, with_metrics(W)[0])
    np.testing.assert_allclose(g2, g)
    np.testing.assert_allclose(aux2["y"], np.tanh(W))
    g3, aux3 = srcdiff.grad(with_a_dataclass_aux, has_aux=True)(W)
    np.testing.assert_allclose(g3, 2.0 * W)
    assert type(aux3) is Params and np.allclose(aux3.w, 2.0 * W) and np.isclose(aux3.b, np.sum(W))


def test_containers_made_inside_in_every_mode():
    assert_all_modes(built_inside, (W.copy(),))


def test_jvp_and_jacobians_of_a_function_returning_a_dict_or_a_dataclass():
    values, tangents = srcdiff.jvp(returns_a_dict, (W,), (np.ones(3),))
    np.testing.assert_allclose(tangents["sin"], np.cos(W))
    np.testing.assert_allclose(tangents["sq"], 2.0 * W)
    for jac in (srcdiff.jacfwd, srcdiff.jacrev):
        J = jac(returns_a_dict)(W)
        np.testing.assert_allclose(J["sin"], np.diag(np.cos(W)))
        np.testing.assert_allclose(J["sq"], np.diag(2.0 * W))
        Jp = jac(returns_a_dataclass)(W)
        assert type(Jp) is Params
        np.testing.assert_allclose(Jp.w, np.diag(np.cos(W)))
        np.testing.assert_allclose(Jp.b, np.ones(3))
    _, tangent = srcdiff.jvp(returns_a_dataclass, (W,), (np.ones(3),))
    assert type(tangent) is Params and np.isclose(tangent.b, 3.0)


@pytest.mark.parametrize("transform", [srcdiff.jacfwd, srcdiff.jacrev, srcdiff.hessian])
def test_a_jacobian_wrt_a_dataclass_is_refused_clearly(transform):
    with pytest.raises(TypeError, match="the Jacobian is taken wrt floats and float arrays; argument 0 of .* is a "
                                        "Params"):
        transform(loss)(Params(W.copy(), 0.8))


def test_a_dataclass_with_post_init_made_inside_is_refused_located():
    with pytest.raises(UnsupportedSyntaxError) as e:
        srcdiff.grad(builds_a_checked)(W)
    assert "creating a Checked inside a function being differentiated" in str(e.value)
    assert "test_pytrees_custom.py:" in str(e.value) and "hint:" in str(e.value)


def test_the_emitted_code_names_fields():
    source = srcdiff.source(srcdiff.grad(loss), Params(W.copy(), 0.8))
    assert "def grad_loss(w, b):" in source


def test_flatten_and_unflatten_round_trip():
    tree = {"a": Pair(1.0, [2.0, Frozen(W, 3.0)]), "b": Box(Params(W, 4.0), 5.0)}
    leaves, structure = pytree.flatten(tree)
    assert leaves[:3] == [1.0, 2.0, W] and leaves[3:] == [3.0, W, 4.0, 5.0]
    hash(structure)  # part of the cache key
    back = pytree.unflatten(structure, leaves)
    assert type(back["a"]) is Pair and type(back["a"].b[1]) is Frozen and type(back["b"].inner) is Params
    assert pytree.paths(structure)[2] == ("a", "b", 1, "w")
    assert pytree.kinds(structure) >= {"dict", "namedtuple", "list", "dataclass"}
