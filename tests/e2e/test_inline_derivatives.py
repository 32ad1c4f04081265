"""srcdiff inside srcdiff (issue 17): `srcdiff.grad(f)(x)` and its other spellings written
inline in a differentiated function, as grammar.md promises: value_and_grad, argnums, a
gradient kept in a global, and a lambda or def written right there, reading globals or
values the outer function computed (lifted: passed to its derivative, so the outer
derivative flows through them). Every one is checked in reverse, forward and second order."""
import numpy as np
import pytest

import srcdiff
from srcdiff import UnsupportedSyntaxError
from tests.numeric import central_difference

X = np.array([1.0, -2.0, 0.5])
V = np.array([0.3, -0.5, 0.9])


def loss(p, data):
    return np.sum(np.sin(p * data) ** 2)


def energy(p, q):
    return np.sum(p * q ** 2 + np.cos(p))


GRAD_OF_LOSS = srcdiff.grad(loss)


def value_and_grad_inline(v):
    value, g = srcdiff.value_and_grad(loss)(v, X)
    return value + np.sum(g * v)


def argnums_inline(v):
    return np.sum(srcdiff.grad(energy, argnums=1)(v, np.tanh(v)))


def both_argnums_inline(v):
    gp, gq = srcdiff.grad(energy, argnums=(0, 1))(v, v * 2.0)
    return np.sum(gp * gq)


def global_gradient(v):
    return np.sum(GRAD_OF_LOSS(v, X) ** 2)


def lambda_over_a_global(v):
    return np.sum(srcdiff.grad(lambda p: loss(p, X))(v) * v)


def lambda_over_a_computed_value(v):
    data = np.exp(v) + X
    return np.sum(srcdiff.grad(lambda p: loss(p, data))(v))


def def_over_a_computed_value(v):
    scale = np.cos(v)

    def inner(p):
        return np.sum(p ** 3 * scale)

    return np.sum(srcdiff.grad(inner)(v) * scale)


def jacobians_of_a_lambda(v):
    a = np.cos(v)
    J = srcdiff.jacrev(lambda p: np.sin(p) * a)(v)
    H = srcdiff.hessian(lambda p: np.sum(np.sin(p) * a))(v)
    return np.sum(J * H)


def jvp_of_a_lambda_over_a_global(v):
    return srcdiff.jvp(lambda p: np.sum(np.sin(p) * X), (v,), (v,))[1]


def jvp_of_a_lambda_over_a_computed_value(v):
    a = np.cos(v)
    return srcdiff.jvp(lambda p: np.sum(p * a), (v,), (v,))[1]


def lambda_calling_a_local_helper(v):
    helper = lambda t: t * v  # noqa: E731
    return np.sum(srcdiff.grad(lambda p: np.sum(helper(p)))(v))


def lambda_with_a_default(v):
    return np.sum(srcdiff.grad(lambda p, k=2.0: np.sum(p ** k))(v))


@pytest.mark.parametrize("f", [
    value_and_grad_inline, argnums_inline, both_argnums_inline, global_gradient, lambda_over_a_global,
    lambda_over_a_computed_value, def_over_a_computed_value, jacobians_of_a_lambda, jvp_of_a_lambda_over_a_global,
])
def test_a_derivative_written_inside_in_every_mode(f):
    expected = central_difference(f, (V,), 0)
    np.testing.assert_allclose(srcdiff.grad(f)(V), expected, rtol=1e-5, atol=1e-8)
    _, tangent = srcdiff.jvp(f, (V,), (np.ones(3),))
    np.testing.assert_allclose(tangent, expected.sum(), rtol=1e-5, atol=1e-8)
    second = central_difference(srcdiff.grad(f), (V,), 0)
    np.testing.assert_allclose(srcdiff.hessian(f)(V), second, rtol=1e-4, atol=1e-6)


def test_a_lifted_value_is_computed_once_in_the_emitted_code():
    source = srcdiff.source(srcdiff.grad(lambda_over_a_computed_value), V)
    assert source.count("np.exp(") == 1
    assert "srcdiff" not in source.split('"""')[2]  # no call of srcdiff's own code left


@pytest.mark.parametrize("f, message", [
    (jvp_of_a_lambda_over_a_computed_value, "srcdiff.jvp of a local function reading values computed"),
    (lambda_calling_a_local_helper, "reads helper, a container or function of the function being differentiated"),
    (lambda_with_a_default, "a derivative of a local function with defaults"),
])
def test_what_stays_refused_is_refused_located(f, message):
    with pytest.raises(UnsupportedSyntaxError) as e:
        srcdiff.grad(f)(V)
    assert message in str(e.value)
    assert "test_inline_derivatives.py:" in str(e.value) and "hint:" in str(e.value)
