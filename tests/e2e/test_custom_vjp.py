"""custom_vjp: a user's own derivative, called by name from the emitted code."""
import math

import numpy as np
import pytest

import srcdiff
from srcdiff import custom_vjp, grad

from tests.numeric import central_difference


@custom_vjp
def softplus(x):
    return np.logaddexp(0.0, x)


def softplus_fwd(x):
    return softplus(x), x


def softplus_bwd(x, g):
    return (g / (1.0 + np.exp(-x)),)


softplus.defvjp(softplus_fwd, softplus_bwd)


def naive_softplus_loss(w, x):
    return np.sum(np.log1p(np.exp(x * w)))


def custom_softplus_loss(w, x):
    return np.sum(softplus(x * w))


def test_custom_rule_matches_differences():
    w = np.array([0.5, -1.0, 2.0])
    x = np.array([1.0, 2.0, -0.5])
    got = grad(custom_softplus_loss)(w, x)
    np.testing.assert_allclose(got, central_difference(custom_softplus_loss, (w, x), 0), rtol=1e-6)
    src = srcdiff.source(grad(custom_softplus_loss), w, x)
    assert "softplus_fwd(x * w)" in src and "softplus_bwd(softplus_res" in src


def test_custom_rule_is_stable_where_the_automatic_one_overflows():
    w = np.array([1.0])
    x = np.array([800.0])  # exp(800) overflows float64
    with np.errstate(over="ignore", invalid="ignore"):
        naive = grad(naive_softplus_loss)(w, x)  # exp(x) / (1 + exp(x)) = inf / inf
    assert not np.isfinite(naive).all()  # inf / inf: the automatic derivative breaks down
    np.testing.assert_allclose(grad(custom_softplus_loss)(w, x), [800.0])


@custom_vjp
def gamma(x):
    return math.gamma(x)


def gamma_fwd(x):
    y = math.gamma(x)
    return y, (x, y)


def gamma_bwd(res, g):
    x, y = res
    eps = 1e-6  # digamma by a central difference of lgamma, enough for a test
    digamma = (math.lgamma(x + eps) - math.lgamma(x - eps)) / (2 * eps)
    return (g * y * digamma,)


gamma.defvjp(gamma_fwd, gamma_bwd)


def uses_gamma(x):
    return gamma(x) * x


def test_callable_without_source_gets_a_rule():
    expected = central_difference(uses_gamma, (1.5,), 0)
    assert grad(uses_gamma)(1.5) == pytest.approx(expected, rel=1e-6)


def test_defvjp_takes_callables():
    with pytest.raises(TypeError):
        custom_vjp(lambda x: x).defvjp(1, 2)


def test_the_standalone_module_imports_a_rule_that_reads_its_own_module():
    # softplus_fwd calls softplus, a name of this module: written into the standalone module
    # on its own, it raised NameError there; it is imported from here instead
    w = np.array([0.5, -1.0, 2.0])
    x = np.array([1.0, 2.0, -0.5])
    g = grad(custom_softplus_loss)
    text = g.compiled(w, x).emitted.standalone()
    assert f"from {__name__} import softplus_fwd" in text
    assert "def softplus_bwd(x, g):" in text  # reads only NumPy: written out
    namespace = {}
    exec(compile(text, "<standalone>", "exec"), namespace)
    np.testing.assert_allclose(namespace["grad_custom_softplus_loss"](w, x), g(w, x), rtol=1e-15)
