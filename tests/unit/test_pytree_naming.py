"""srcdiff/pytree.py and srcdiff/naming.py: trees come back as they went in, names read
back as they were spelled, and the trees a transformation builds for its results (a
value_and_grad with aux, a Jacobian per argument) put the derivatives where they belong."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import srcdiff
from srcdiff import naming, pytree
from srcdiff.testing import central_difference

# -- pytree ---------------------------------------------------------------------

leaves = st.one_of(st.integers(), st.floats(allow_nan=False), st.none(), st.text(max_size=3))
keys = st.text(min_size=1, max_size=3)
trees = st.recursive(
    leaves,
    lambda children: st.one_of(st.lists(children, max_size=4), st.tuples(children, children),
                               st.lists(children, max_size=3).map(tuple),
                               st.dictionaries(keys, children, max_size=3)),
    max_leaves=12,
)


def same(a, b):
    """Equal, with the same container types and the same key order all the way down."""
    if isinstance(a, dict):
        return type(a) is type(b) and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return not isinstance(b, (dict, list, tuple)) and a == b


@given(trees)
def test_unflatten_gives_back_the_tree(tree):
    flat, structure = pytree.flatten(tree)
    hash(structure)  # it is part of the cache key
    assert pytree.count(structure) == len(flat)
    assert same(pytree.unflatten(structure, flat), tree)


@given(trees)
def test_paths_lead_to_the_leaves_in_order(tree):
    flat, structure = pytree.flatten(tree)
    for path, leaf in zip(pytree.paths(structure), flat, strict=True):
        node = tree
        for k in path:
            node = node[k]
        assert node == leaf


@given(trees, st.integers(0, 5))
def test_a_shifted_structure_takes_its_leaves_further_on(tree, by):
    flat, structure = pytree.flatten(tree)
    assert same(pytree.unflatten(pytree.shifted(structure, by), ["before"] * by + flat), tree)


@given(trees)
def test_kinds_left_out_are_leaves(tree):
    flat, structure = pytree.flatten(tree, kinds=("tuple", "list"))
    assert "dict" not in pytree.kinds(structure)
    assert same(pytree.unflatten(structure, flat), tree)


def test_leaves_are_placed_by_number_not_by_order():
    # value_and_grad with has_aux: results (value, gradient, aux) returned as ((value, aux), gradient)
    structure = pytree.tuple_of(pytree.tuple_of(0, 2), 1)
    assert pytree.unflatten(structure, ["value", "gradient", "aux"]) == (("value", "aux"), "gradient")


def test_map_leaves_puts_a_structure_at_each_leaf():
    # a Jacobian per argument at each output, numbered output-major
    _, structure = pytree.flatten([0, (0, 0)])
    per_arg = pytree.map_leaves(structure, lambda t: pytree.tuple_of(2 * t, 2 * t + 1))
    assert pytree.unflatten(per_arg, "abcdef") == [("a", "b"), (("c", "d"), ("e", "f"))]


# -- trees through the transformations ----------------------------------------------

def energy_and_parts(x, w):
    parts = (np.sin(x) * w, np.exp(w))
    return np.sum(parts[0]) + np.sum(parts[1]) * np.sum(x ** 2), parts


def uses_value_and_grad(x, w):
    """A value_and_grad with aux inside a differentiated function: its out tree takes its
    leaves out of order."""
    (value, (a, b)), (gx, gw) = srcdiff.value_and_grad(energy_and_parts, argnums=(0, 1), has_aux=True)(x, w)
    return value * 0.5 + np.sum(a * gx) + np.sum(b * gw)


def test_value_and_grad_with_aux_called_inside_a_differentiated_function():
    x, w = np.array([0.3, -0.7, 1.1]), np.array([0.5, 0.2, -0.4])
    gx, gw = srcdiff.grad(uses_value_and_grad, argnums=(0, 1))(x, w)
    np.testing.assert_allclose(gx, central_difference(uses_value_and_grad, (x, w), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gw, central_difference(uses_value_and_grad, (x, w), 1), rtol=1e-6, atol=1e-8)


def test_jacobian_of_value_and_grad_with_aux():
    x, w = np.array([0.3, -0.7]), np.array([0.5, 0.2])
    inner = srcdiff.value_and_grad(energy_and_parts, has_aux=True)
    jacobian = srcdiff.jacfwd(inner, argnums=1)(x, w)  # shaped like ((value, (a, b)), gx)
    for pick in (lambda r: r[0][0], lambda r: r[0][1][0], lambda r: r[0][1][1], lambda r: r[1]):
        got = pick(jacobian)
        expected = central_difference(lambda x_, w_: np.asarray(pick(inner(x_, w_)), dtype=float), (x, w), 1)
        np.testing.assert_allclose(got, np.reshape(expected, np.shape(got)), rtol=1e-5, atol=1e-7)


def loss_of_pair(pair, x):
    w, b = pair
    return np.sum(np.tanh(w * x + b) ** 2)


def test_jacobian_of_a_gradient_wrt_a_tuple_argument():
    pair, x = (np.array([0.4, -0.3]), np.array([0.1, 0.2])), np.array([1.5, -0.5])
    (d_gw, d_gb) = srcdiff.jacfwd(srcdiff.grad(loss_of_pair), argnums=1)(pair, x)
    for k, got in enumerate((d_gw, d_gb)):
        expected = central_difference(lambda p0, p1, x_: srcdiff.grad(loss_of_pair)((p0, p1), x_)[k],
                                      (*pair, x), 2)
        np.testing.assert_allclose(got, np.reshape(expected, got.shape), rtol=1e-5, atol=1e-7)


def test_a_derivative_of_a_derivative_wrt_a_dict_is_refused():
    def loss(params, x):
        return np.sum(params["w"] * x)

    with pytest.raises(TypeError, match="wrt a dict argument"):
        srcdiff.jacfwd(srcdiff.grad(loss), argnums=1)({"w": np.ones(2)}, np.ones(2))


# -- naming ---------------------------------------------------------------------

identifiers = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)


@given(identifiers, st.integers(1, 20))
def test_a_saved_list_reads_back_as_what_it_records(name, n):
    assert naming.recorded(naming.saved(name)) == name
    assert naming.recorded(naming.numbered(naming.saved(name), n)) == name  # h_saved_2


@given(identifiers)
def test_other_names_record_nothing(name):
    if "_saved" not in name:
        assert naming.recorded(name) == ""
        assert naming.recorded(naming.steps(name)) == ""


@given(st.sampled_from(["grad", "value_and_grad", "jvp", "vjp", "jacobian", "jacfwd", "jacrev", "hessian"]),
       identifiers)
def test_a_transformation_reads_back_as_what_it_transforms(kind, name):
    assert naming.untransformed(kind, naming.transformation(kind, name)) == name


@given(identifiers, st.lists(identifiers, max_size=3))
def test_every_name_made_from_an_identifier_is_one(name, along):
    made = [naming.adjoint(name), naming.tangent(name), naming.saved(name), naming.steps(name),
            naming.transposed(name), naming.reversed_rows(name), naming.forward(name), naming.backward(name),
            naming.jvp(name, along), naming.tape(name), naming.residuals(name), naming.helper(name),
            naming.numbered(name, 3), naming.cotangent(2), naming.TRIPS, naming.TAPE, naming.SAVED]
    assert all(m.isidentifier() for m in made)
    assert len(set(made[:12])) == 12  # no two roles share a spelling
