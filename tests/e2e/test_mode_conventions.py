"""What every mode (grad, value_and_grad, jvp, vjp, jacfwd, jacrev, jacobian, hessian,
check_grads) does alike: dtypes (a gradient has its primal's dtype, a Jacobian the result
dtype of output and input), complex numbers refused, parameters left to their defaults,
Python floats run as NumPy scalars. Values against exact ones or central differences."""
import numpy as np
import pytest

import srcdiff
from srcdiff import check_grads, grad, hessian, jacfwd, jacobian, jacrev, jvp, value_and_grad, vjp

from tests.numeric import central_difference

X = np.array([0.3, -0.5, 0.8])
X32 = X.astype(np.float32)
WEIGHTS = np.array([1.0, 2.0, 3.0])  # float64: a float32 x times it is float64


# ---------------------------------------------------------------------------
# float32


def promotes(x):
    return np.sum(np.sin(x) * WEIGHTS)


def stays_float32(x):
    return np.sin(x) * x[0]


def scalar_stays_float32(x):
    return np.sum(np.sin(x) * x)


def test_a_gradient_has_its_primal_dtype_when_the_function_promotes():
    exact = np.cos(X) * WEIGHTS
    for g in (grad(promotes)(X32), value_and_grad(promotes)(X32)[1], grad(promotes, argnums=(0,))(X32)[0]):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, exact, rtol=1e-6)
    g = grad(promotes)(X32)  # the cached call's fast path too
    assert g.dtype == np.float32
    (ct,) = vjp(promotes, X32)[1](1.0)
    assert ct.dtype == np.float32
    np.testing.assert_allclose(ct, exact, rtol=1e-6)


@pytest.mark.parametrize("mode", [jacfwd, jacrev, jacobian])
def test_the_jacobian_of_a_float32_function_is_float32(mode):
    J = mode(stays_float32)(X32)
    assert J.dtype == np.float32
    exact = np.diag(np.cos(X) * X[0])
    exact[:, 0] += np.sin(X)
    np.testing.assert_allclose(J, exact, rtol=1e-6, atol=1e-7)


def test_a_jacobian_has_a_tangent_s_dtype_by_forward_mode_and_a_cotangent_s_otherwise():
    # JAX's rule: jacfwd's columns are tangents of the output (float64 here), jacrev's rows
    # cotangents of the input (float32, as grad's gradient is), and hessian is jacfwd of jacrev
    J = jacfwd(promotes)(X32)  # float32 in, float64 out
    assert J.dtype == np.float64
    np.testing.assert_allclose(J, np.cos(X32).astype(float) * WEIGHTS, rtol=1e-6)
    for mode in (jacrev, jacobian):
        J = mode(promotes)(X32)
        assert J.dtype == np.float32
        np.testing.assert_allclose(J, np.cos(X32).astype(float) * WEIGHTS, rtol=1e-6)


def test_hessian_jvp_and_vjp_of_float32_stay_float32():
    H = hessian(scalar_stays_float32)(X32)
    assert H.dtype == np.float32
    np.testing.assert_allclose(H, np.diag(2 * np.cos(X) - X * np.sin(X)), rtol=1e-5, atol=1e-6)
    value, tangent = jvp(stays_float32, (X32,), (np.ones(3),))  # a float64 tangent is taken in float32
    assert value.dtype == tangent.dtype == np.float32
    np.testing.assert_allclose(tangent, np.cos(X) * X[0] + np.sin(X), rtol=1e-6)
    out, pullback = vjp(stays_float32, X32)
    (ct,) = pullback(np.ones(3))
    assert ct.dtype == np.float32
    np.testing.assert_allclose(ct, np.cos(X) * X[0] + np.array([np.sum(np.sin(X)), 0, 0]), rtol=1e-6)


def test_tangents_and_cotangents_must_have_their_value_shape():
    with pytest.raises(TypeError, match="shape"):
        jvp(stays_float32, (X,), (np.ones(2),))
    with pytest.raises(TypeError, match="shape"):
        vjp(stays_float32, X)[1](np.ones(4))


# ---------------------------------------------------------------------------
# complex numbers: refused in every mode


def real_function(x):
    return np.sum(np.sin(x) * x)


def vector_function(x):
    return np.sin(x) * x


def makes_complex(x):
    z = np.sqrt(x + 0j)
    return np.abs(z * x)


def makes_complex_scalar(x):
    z = np.sin(x * 1j)  # x * 1j is carried (grammar.md, complex values); the sine of it is not
    return np.sum(np.abs(z))


@pytest.mark.parametrize("call", [
    lambda: grad(real_function)(X + 0j),
    lambda: value_and_grad(real_function)(X + 1j),
    lambda: jvp(vector_function, (X + 0j,), (X,)),
    lambda: vjp(vector_function, X + 0j),
    lambda: jacfwd(vector_function)(X + 0j),
    lambda: jacrev(vector_function)(X + 0j),
    lambda: jacobian(vector_function)(X + 0j),
    lambda: hessian(real_function)(X + 0j),
    lambda: check_grads(vector_function, (X + 0j,)),
], ids=["grad", "value_and_grad", "jvp", "vjp", "jacfwd", "jacrev", "jacobian", "hessian", "check_grads"])
def test_complex_arguments_are_a_type_error(call):
    with pytest.raises(TypeError, match="complex"):
        call()


def test_complex_tangents_and_cotangents_are_a_type_error():
    with pytest.raises(TypeError, match="complex"):
        jvp(vector_function, (X,), (X + 1j,))
    with pytest.raises(TypeError, match="complex"):
        vjp(vector_function, X)[1](np.ones(3) + 1j)


@pytest.mark.parametrize("call", [
    lambda: grad(makes_complex_scalar)(X),
    lambda: jvp(makes_complex, (X,), (X,)),
    lambda: vjp(makes_complex, X),
    lambda: jacfwd(makes_complex)(X),
    lambda: jacrev(makes_complex)(X),
    lambda: hessian(makes_complex_scalar)(X),
], ids=["grad", "jvp", "vjp", "jacfwd", "jacrev", "hessian"])
def test_a_complex_value_made_inside_is_refused_where_it_is_made(call):
    with pytest.raises(srcdiff.NonDifferentiableError, match="complex") as info:
        call()
    loc = info.value.loc
    assert loc.filename == __file__
    assert "0j" in loc.text or "1j" in loc.text


def complex_off_the_path(x, z):
    return np.sum(x * x), z * 2j * x[0]


def test_a_complex_value_off_the_differentiated_path_is_fine():
    g, aux = grad(complex_off_the_path, has_aux=True)(X, 0.5)
    np.testing.assert_allclose(g, 2 * X, rtol=1e-15)
    assert aux == 1j * X[0]


# ---------------------------------------------------------------------------
# parameters the call leaves to their defaults


def with_default(x, c=0.5):
    return np.sin(x) * c + x ** 2


def scalar_with_default(x, c=0.5, *, power=3):
    return np.sum(np.sin(x) * c + x ** power)


def make_scaled(c):
    def scaled(x, c=c):
        return np.sum(np.sin(x) * c)
    return scaled


def needs_two(x, y):
    return x * y


def with_function_and_count(x, steps=3, activation=np.tanh):
    for _ in range(steps):
        x = activation(x) * 1.5
    return np.sum(x)


def test_a_default_holding_a_function_or_a_loop_count_is_read_when_compiling():
    for mode in (grad, jacfwd, jacrev):
        np.testing.assert_allclose(mode(with_function_and_count)(X),
                                   central_difference(with_function_and_count, (X,), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(grad(with_function_and_count)(X, steps=1), 1.5 / np.cosh(X) ** 2, rtol=1e-14)
    np.testing.assert_allclose(jacfwd(with_function_and_count)(X, 1), 1.5 / np.cosh(X) ** 2, rtol=1e-14)
    np.testing.assert_allclose(hessian(with_function_and_count)(X),
                               central_difference(grad(with_function_and_count), (X,), 0), rtol=1e-6, atol=1e-8)
    value, g = value_and_grad(with_function_and_count)(X)
    assert value == pytest.approx(with_function_and_count(X), rel=1e-14)
    check_grads(with_function_and_count, (X,), order=2)


def test_every_mode_reads_a_default_the_call_leaves_out():
    d1 = np.cos(X) * 0.5 + 2 * X  # d with_default / dx, elementwise
    d2 = -np.sin(X) * 0.5 + 2  # its second derivative
    np.testing.assert_allclose(jvp(with_default, (X,), (np.ones(3),))[1], d1, rtol=1e-14)
    np.testing.assert_allclose(vjp(with_default, X)[1](np.ones(3))[0], d1, rtol=1e-14)
    for mode in (jacfwd, jacrev, jacobian):
        np.testing.assert_allclose(mode(with_default)(X), np.diag(d1), rtol=1e-14)
    s1 = np.cos(X) * 0.5 + 3 * X ** 2
    s2 = -np.sin(X) * 0.5 + 6 * X
    np.testing.assert_allclose(grad(scalar_with_default)(X), s1, rtol=1e-14)
    np.testing.assert_allclose(hessian(scalar_with_default)(X), np.diag(s2), rtol=1e-14)
    np.testing.assert_allclose(jacfwd(grad(scalar_with_default))(X), np.diag(s2), rtol=1e-14)
    assert grad(grad(with_default))(0.3) == pytest.approx(d2[0], rel=1e-14)
    assert grad(grad(with_default))(0.3, 2.0) == pytest.approx(-np.sin(0.3) * 2.0 + 2, rel=1e-14)
    np.testing.assert_allclose(jacfwd(jacrev(with_default))(X), central_difference(jacrev(with_default), (X,), 0),
                               rtol=1e-6, atol=1e-7)
    # a keyword-only default, and a keyword given with the one before it left out
    assert jacfwd(scalar_with_default)(X, power=2).shape == (3,)
    np.testing.assert_allclose(jacfwd(scalar_with_default)(X, power=2), np.cos(X) * 0.5 + 2 * X, rtol=1e-14)


def test_two_functions_of_one_code_with_other_defaults_are_not_confused():
    half, double = make_scaled(0.5), make_scaled(2.0)
    np.testing.assert_allclose(jvp(half, (X,), (np.ones(3),))[1], np.sum(np.cos(X)) * 0.5, rtol=1e-14)
    np.testing.assert_allclose(jvp(double, (X,), (np.ones(3),))[1], np.sum(np.cos(X)) * 2.0, rtol=1e-14)
    np.testing.assert_allclose(hessian(half)(X), np.diag(-np.sin(X)) * 0.5, rtol=1e-14)
    np.testing.assert_allclose(hessian(double)(X), np.diag(-np.sin(X)) * 2.0, rtol=1e-14)


def test_a_missing_parameter_without_a_default_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match="'y'"):
        jvp(needs_two, (X,), (X,))
    with pytest.raises(TypeError, match="'y'"):
        jacfwd(needs_two)(X)
    with pytest.raises(TypeError, match="'y'"):
        grad(needs_two)(0.5)


# ---------------------------------------------------------------------------
# Python floats run as NumPy scalars, as in grad


def reciprocal(x):
    return x ** -1.0


def test_python_floats_follow_numpy_not_python_arithmetic():
    with np.errstate(divide="ignore"):
        value, tangent = jvp(reciprocal, (0.0,), (1.0,))
        assert value == np.inf and tangent == -np.inf
        out, pullback = vjp(reciprocal, 0.0)
        assert out == np.inf and pullback(1.0) == (-np.inf,)
        assert jacfwd(reciprocal)(0.0) == -np.inf and jacrev(reciprocal)(0.0) == -np.inf
    value, tangent = jvp(reciprocal, (2.0,), (1.0,))
    assert (value, tangent) == (0.5, -0.25)


# ---------------------------------------------------------------------------
# jvp inside a differentiated function, tangents given as a module-level tuple


TANGENTS = (1.0,)
DIRECTION = (np.array([1.0, 0.0, 0.0]),)


def curve(x):
    return np.sin(x) * x ** 2


def slope(x):
    return srcdiff.jvp(curve, (x,), TANGENTS)[1]


def bowl(x):
    return np.sum(np.cos(x) * x ** 2)


def first_partial(x):
    return srcdiff.jvp(bowl, (x,), DIRECTION)[1]


def test_jvp_inside_takes_module_level_tangents():
    x = 0.7
    exact = 2 * np.sin(x) + 4 * x * np.cos(x) - x ** 2 * np.sin(x)
    assert grad(slope)(x) == pytest.approx(exact, rel=1e-13)
    np.testing.assert_allclose(grad(first_partial)(X), hessian(bowl)(X)[0], rtol=1e-13)
    np.testing.assert_allclose(grad(first_partial)(X), central_difference(first_partial, (X,), 0), rtol=1e-6)


def sum_plus_a_python_float(x, y):
    return np.sum(x * x) + y


def test_a_python_float_mixes_with_float32_as_in_numpy():
    # converted to np.float64 before the call, 0.4 made the value float64
    value, (dx, dy) = srcdiff.value_and_grad(sum_plus_a_python_float, argnums=(0, 1))(X32, 0.4)
    assert value.dtype == np.float32 and dx.dtype == np.float32 and type(dy) is float
    value, tangent = jvp(sum_plus_a_python_float, (X32, 0.4), (np.ones(3, np.float32), 1.0))
    assert value.dtype == tangent.dtype == np.float32
    assert tangent == pytest.approx(float(np.sum(2 * X32)) + 1.0, rel=1e-6)


def uses_a_float64_constant(x):
    return np.sum(np.ones(3) + x)


def test_a_gradient_inside_another_derivative_has_its_argument_s_dtype():
    value, tangent = jvp(srcdiff.grad(uses_a_float64_constant), (X32,), (X32,))
    assert value.dtype == tangent.dtype == np.float32
    assert hessian(uses_a_float64_constant)(X32).dtype == np.float32
