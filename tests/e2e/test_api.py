"""grad / value_and_grad conventions, types, has_aux, caching."""
import numpy as np
import pytest

import srcdiff
from srcdiff import cache, compiler, grad, value_and_grad

from tests.numeric import central_difference


def cube_sum(x, y):
    return np.sum(x ** 3) * y


def test_int_argnums_gives_one_gradient_tuple_gives_tuple():
    x = np.array([1.0, 2.0])
    np.testing.assert_array_equal(grad(cube_sum)(x, 2.0), 6 * x ** 2)
    gx, gy = grad(cube_sum, argnums=(0, 1))(x, 2.0)
    np.testing.assert_array_equal(gx, 6 * x ** 2)
    assert gy == 9.0
    (only_y,) = grad(cube_sum, argnums=(1,))(x, 2.0)
    assert only_y == 9.0
    assert grad(cube_sum, argnums=-1)(x, 2.0) == 9.0


def test_gradients_keep_type_and_shape():
    gx, gy = grad(cube_sum, argnums=(0, 1))(np.ones((2, 3)), 2.0)
    assert type(gy) is float
    assert isinstance(gx, np.ndarray) and gx.shape == (2, 3)
    g0 = grad(cube_sum)(np.array(1.5), 2.0)
    assert isinstance(g0, np.ndarray) and g0.shape == ()


@grad
def decorated(x):
    return np.sin(x) * x


@grad(argnums=(0, 1))
def decorated_with_options(x, y):
    return x * y + y


def test_decorator_forms():
    assert decorated(0.5) == pytest.approx(np.cos(0.5) * 0.5 + np.sin(0.5), rel=1e-15)
    assert decorated_with_options(2.0, 3.0) == (3.0, 3.0)


def keyword_defaults(x, scale=2.0):
    return scale * x * x


def test_keyword_and_default_arguments():
    assert grad(keyword_defaults)(3.0) == 12.0
    assert grad(keyword_defaults)(3.0, scale=1.0) == 6.0
    assert grad(keyword_defaults)(x=3.0) == 12.0


def with_aux(x):
    y = np.tanh(x)
    return np.sum(y), (y, np.max(x))


def test_has_aux():
    x = np.array([0.1, -0.4, 2.0])
    g, (y, top) = grad(with_aux, has_aux=True)(x)
    np.testing.assert_allclose(g, 1 - np.tanh(x) ** 2, rtol=1e-14)
    np.testing.assert_allclose(y, np.tanh(x))
    assert top == 2.0
    (value, aux), g2 = value_and_grad(with_aux, has_aux=True)(x)
    assert value == pytest.approx(np.sum(np.tanh(x)))
    np.testing.assert_allclose(g2, g)


def test_has_aux_requires_a_pair():
    with pytest.raises(TypeError, match="pair"):
        grad(cube_sum, has_aux=True)(np.ones(2), 1.0)


def test_value_and_grad():
    value, g = value_and_grad(cube_sum)(np.array([1.0, 2.0]), 2.0)
    assert value == 18.0
    np.testing.assert_array_equal(g, [6.0, 24.0])


def independent(x, y):
    return y * 2.0


def test_gradient_of_an_unused_argument_is_zero_of_its_shape():
    g = grad(independent)(np.ones((2, 2)), 1.0)
    np.testing.assert_array_equal(g, np.zeros((2, 2)))
    assert grad(independent)(1.0, 1.0) == 0.0


def identity_sum(x, y):
    return np.sum(x * y)


def test_gradient_never_aliases_an_input():
    x, y = np.ones(3), np.arange(3.0)
    gx = grad(identity_sum)(x, y)  # d/dx = y exactly: must still be a fresh array
    np.testing.assert_array_equal(gx, y)
    gx[0] = 100.0
    assert y[0] == 0.0


def test_source_specialised_and_generic():
    g = grad(cube_sum, argnums=(0, 1))
    specialised = srcdiff.source(g, np.ones(3), 2.0)
    generic = srcdiff.source(g)
    assert specialised.startswith("import numpy as np\n")
    assert "def grad_cube_sum(x, y):" in specialised and "def grad_cube_sum(x, y):" in generic
    namespace = {}
    exec(generic, namespace)  # the generic module runs on its own, for any shapes
    gx, gy = namespace["grad_cube_sum"](np.array([[1.0, 2.0]]), 2.0)
    np.testing.assert_allclose(gx, [[6.0, 24.0]])
    assert gy == 9.0


def test_source_rejects_other_callables():
    with pytest.raises(TypeError):
        srcdiff.source(cube_sum)


def test_compiles_once_per_argument_kind(monkeypatch):
    cache.clear()
    calls = []
    real = compiler.compile_grad

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr("srcdiff.api.compile_grad", counting)
    x = np.array([1.0, 2.0])
    grad(cube_sum)(x, 2.0)
    grad(cube_sum)(x + 1, 3.0)  # a second grad(f), same kinds: cached
    g = grad(cube_sum)
    g(x, 2.0)
    assert len(calls) == 1
    g(np.ones(5), 2.0)  # a new shape compiles again
    assert len(calls) == 2
    grad(cube_sum, argnums=1)(x, 2.0)  # different options, different entry
    assert len(calls) == 3


SCALE = 2.0


def uses_global(x):
    return SCALE * x * x


def test_rebinding_a_global_recompiles():
    global SCALE
    assert grad(uses_global)(1.0) == 4.0
    SCALE = 5.0
    try:
        assert grad(uses_global)(1.0) == 10.0
    finally:
        SCALE = 2.0


def make_closure(c):
    def f(x):
        return c * x * x
    return f


def test_closures_over_different_values_do_not_share_entries():
    assert grad(make_closure(1.0))(1.0) == 2.0
    assert grad(make_closure(3.0))(1.0) == 6.0


weights = np.array([1.0, -2.0, 0.5])


def uses_global_array(x):
    return np.sum(weights * np.exp(x))


def test_global_array_is_referenced_by_name():
    x = np.array([0.0, 1.0, -1.0])
    np.testing.assert_allclose(grad(uses_global_array)(x), weights * np.exp(x))
    assert "weights * np.exp(x)" in srcdiff.source(grad(uses_global_array), x)


lam = lambda x: np.sum(np.sqrt(x))  # noqa: E731


def test_lambda_assigned_to_a_name():
    x = np.array([1.0, 4.0])
    np.testing.assert_allclose(grad(lam)(x), central_difference(lam, (x,), 0), rtol=1e-7)


def aug(x, y):
    z = x
    z += y
    z *= y
    z -= 1.0
    z /= 2.0
    z **= 2
    return z


def tuple_unpack(x, y):
    a, b = x * y, x + y
    (c, d) = a, b
    return c * d


def chained(x):
    a = b = np.sin(x)
    return a * b


@pytest.mark.parametrize("fn, args", [(aug, (1.5, 0.7)), (tuple_unpack, (1.5, 0.7)), (chained, (0.3,))])
def test_statement_forms(fn, args):
    argnums = tuple(range(len(args)))
    got = grad(fn, argnums=argnums)(*args)
    for i, value in enumerate(got):
        assert value == pytest.approx(central_difference(fn, args, i), rel=1e-7)


def unpack_array(v):
    a, b, c = v
    return a * b * c


def test_unpacking_an_array_by_its_length():
    np.testing.assert_allclose(grad(unpack_array)(np.array([2.0, 3.0, 4.0])), [12.0, 8.0, 6.0])
