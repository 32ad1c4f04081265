"""Forward mode, vjp, Jacobians, Hessians and higher-order derivatives (srcdiff/modes.py),
against exact values and central differences, and against each other."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import srcdiff
from srcdiff import (check_grads, custom_vjp, grad, hessian, jacfwd, jacobian, jacrev, jvp, stop_gradient,
                     vjp)

from tests.numeric import central_difference

TIGHT = dict(rtol=1e-12, atol=1e-12)  # between srcdiff's own modes
LOOSE = dict(rtol=1e-6, atol=1e-6)  # against central differences


# ---------------------------------------------------------------------------
# 1. The course's forward pass


def survey(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def test_course_forward_pass_along_each_input():
    value, d1 = jvp(survey, (2.0, 5.0), (1.0, 0.0))
    assert value == pytest.approx(math.log(2) + 10 - math.sin(5), rel=1e-15)
    assert value == pytest.approx(11.652, abs=5e-4)
    assert d1 == 5.5
    value2, d2 = jvp(survey, (2.0, 5.0), (0.0, 1.0))
    assert value2 == value
    assert d2 == pytest.approx(2 - math.cos(5), rel=1e-15)
    assert d2 == pytest.approx(1.716, abs=5e-4)


def test_course_forward_pass_is_linear_in_the_tangent():
    _, d = jvp(survey, (2.0, 5.0), (3.0, -2.0))
    assert d == pytest.approx(3 * 5.5 - 2 * (2 - math.cos(5)), rel=1e-14)


# ---------------------------------------------------------------------------
# 2. Every mode agrees with every other and with central differences


def for_loop(x):
    acc = x
    for i in range(3):
        acc = np.sin(acc) * x + 0.5 * i
    return acc


def while_loop(x):
    y = x
    k = 0
    while k < 4:
        y = y * np.cos(y) + x
        k = k + 1
    return np.sum(y ** 2)


def branch(x, c):
    if np.sum(x) > c:
        y = np.exp(x) * x[0]
    else:
        y = x ** 3 - np.sin(x)
    return y


def broadcast(a, b):
    return np.tanh(a * b) + a ** 2  # (3, 1) with (4,) -> (3, 4)


def sin_times_norm(x):
    return np.sin(x) * np.sum(x ** 2)


def outer_ravel(x):
    return np.outer(x, x).ravel()


def item_assignment(x):
    out = np.zeros(x.shape[0] + 1)
    for i in range(x.shape[0]):
        out[i] = x[i] * x[(i + 1) % x.shape[0]]
    out[x.shape[0]] = np.prod(x)
    return out


def scalar_out(x):
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] > 0:
            s = s + x[i] ** 2 * np.exp(-x[i])
        else:
            s = s - np.sin(x[i])
    return s


def loop_with_invariant(x):
    y = x
    for _ in range(3):
        y = np.sin(y) + 0.5 * x  # 0.5 * x does not change in the loop
    return y * np.sum(y)


X4 = np.array([0.3, -0.7, 1.1, 0.5])
CASES = [
    pytest.param(for_loop, (X4,), id="for-loop"),
    pytest.param(while_loop, (np.array([0.2, -0.4, 0.9]),), id="while-loop"),
    pytest.param(branch, (X4, 0.0), id="branch-true"),
    pytest.param(branch, (X4, 5.0), id="branch-false"),
    pytest.param(broadcast, (np.array([[0.5], [-1.0], [0.25]]), np.array([0.1, 0.2, -0.3, 0.4])), id="broadcast"),
    pytest.param(sin_times_norm, (X4,), id="sin-times-norm"),
    pytest.param(outer_ravel, (np.array([1.5, -0.5, 2.0]),), id="outer-ravel"),
    pytest.param(item_assignment, (X4,), id="item-assignment"),
    pytest.param(scalar_out, (X4,), id="scalar-out"),
    pytest.param(loop_with_invariant, (np.array([1.0, 2.0]),), id="loop-invariant-term"),
]


def _float_argnums(args):
    return [i for i, a in enumerate(args) if isinstance(a, np.ndarray)]


@pytest.mark.parametrize("fun, args", CASES)
def test_jacobians_agree_with_each_other_and_with_differences(fun, args):
    for i in _float_argnums(args):
        expected = central_difference(fun, args, i)
        fwd = jacfwd(fun, argnums=i)(*args)
        rev = jacrev(fun, argnums=i)(*args)
        auto = jacobian(fun, argnums=i)(*args)
        assert fwd.shape == rev.shape == auto.shape == np.shape(fun(*args)) + args[i].shape
        np.testing.assert_allclose(fwd, expected, **LOOSE, err_msg=f"jacfwd, argument {i}")
        np.testing.assert_allclose(rev, fwd, **TIGHT, err_msg=f"jacrev, argument {i}")
        np.testing.assert_allclose(auto, fwd, **TIGHT, err_msg=f"jacobian, argument {i}")


@pytest.mark.parametrize("fun, args", CASES)
def test_jvp_and_vjp_agree_with_the_jacobian(fun, args):
    rng = np.random.default_rng(0)
    expected_out = fun(*args)
    float_args = _float_argnums(args)
    jac = {i: central_difference(fun, args, i) for i in float_args}
    out_ndim = np.ndim(expected_out)

    # jvp along a random direction in every float argument at once
    tangents = tuple(rng.standard_normal(a.shape) if isinstance(a, np.ndarray) else 0.0 for a in args)
    out, t_out = jvp(fun, args, tangents)
    np.testing.assert_allclose(out, expected_out, rtol=1e-15, atol=0)
    expected_t = sum(np.tensordot(jac[i], tangents[i], axes=tangents[i].ndim) for i in float_args)
    np.testing.assert_allclose(t_out, expected_t, **LOOSE)
    assert np.shape(t_out) == np.shape(expected_out)

    # vjp with several cotangents, each checked against the difference Jacobian and against jvp
    out, vjp_fn = vjp(fun, *args)
    np.testing.assert_allclose(out, expected_out, rtol=1e-15, atol=0)
    for _ in range(3):
        ct = rng.standard_normal(np.shape(expected_out)) if out_ndim else float(rng.standard_normal())
        cts = vjp_fn(ct)
        assert isinstance(cts, tuple) and len(cts) == len(args)
        for i in float_args:
            assert np.shape(cts[i]) == args[i].shape
            np.testing.assert_allclose(cts[i], np.tensordot(ct, jac[i], axes=out_ndim), **LOOSE)
        # <ct, J t> == <J^T ct, t>: forward and reverse agree to rounding
        lhs = float(np.sum(ct * t_out))
        rhs = sum(float(np.sum(cts[i] * tangents[i])) for i in float_args)
        assert lhs == pytest.approx(rhs, rel=1e-12, abs=1e-12)


def test_vjp_source_has_forward_and_backward_functions():
    _, vjp_fn = vjp(sin_times_norm, X4)
    src = vjp_fn.source
    assert "def sin_times_norm_fwd(" in src and "def sin_times_norm_bwd(" in src


def test_jacobian_of_a_scalar_function_is_the_gradient():
    np.testing.assert_allclose(jacobian(scalar_out)(X4), grad(scalar_out)(X4), **TIGHT)
    np.testing.assert_allclose(jacfwd(scalar_out)(X4), grad(scalar_out)(X4), **TIGHT)


def test_outer_jacobian_is_exact():
    x = np.array([1.5, -0.5, 2.0])
    n = x.size
    eye = np.eye(n)
    expected = (np.einsum("ik,j->ijk", eye, x) + np.einsum("i,jk->ijk", x, eye)).reshape(n * n, n)
    np.testing.assert_allclose(jacfwd(outer_ravel)(x), expected, rtol=0, atol=1e-15)
    np.testing.assert_allclose(jacrev(outer_ravel)(x), expected, rtol=0, atol=1e-15)


def one_step_invariant(x):
    y = x
    for _ in range(1):
        y = np.sin(y) + 0.5 * x
    return y


def test_vjp_through_a_loop_with_a_loop_invariant_term_minimal():
    # d/dx (sin x + 0.5 x) = cos x + 0.5; grad gets it, vjp gives 1.5 cos x (0.810 at x = 1)
    assert grad(one_step_invariant)(1.0) == pytest.approx(math.cos(1.0) + 0.5, rel=1e-15)
    _, vjp_fn = vjp(one_step_invariant, 1.0)
    assert vjp_fn(1.0)[0] == pytest.approx(math.cos(1.0) + 0.5, rel=1e-15)


# ---------------------------------------------------------------------------
# 3. Hessians


def loop_scalar(x):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + np.sin(x[i]) * x[(i + 1) % x.shape[0]]
    return s


def branch_scalar(x):
    if x[0] > 0:
        return np.sum(x ** 3) * x[1]
    return np.sum(np.exp(x))


def quadratic_form(x, A):
    return x @ A @ x


HESSIAN = {f: hessian(f) for f in (loop_scalar, branch_scalar, quadratic_form)}


def _hessian_from_differences(fun, args):
    return central_difference(grad(fun), args, 0)


@pytest.mark.parametrize("fun, x", [
    (loop_scalar, np.array([0.3, -1.2, 0.8])),
    (branch_scalar, np.array([0.5, -1.0, 2.0])),
    (branch_scalar, np.array([-0.5, 1.0, 0.2])),
])
def test_hessian_matches_differences_of_the_gradient_and_is_symmetric(fun, x):
    H = HESSIAN[fun](x)
    assert H.shape == x.shape + x.shape
    np.testing.assert_allclose(H, _hessian_from_differences(fun, (x,)), **LOOSE)
    np.testing.assert_allclose(H, H.T, rtol=0, atol=1e-13)


def test_hessian_of_loop_is_exact():
    x = np.array([0.3, -1.2, 0.8])
    n = x.size
    H = np.zeros((n, n))
    for i in range(n):
        j = (i + 1) % n
        H[i, i] += -np.sin(x[i]) * x[j]
        H[i, j] += np.cos(x[i])
        H[j, i] += np.cos(x[i])
    np.testing.assert_allclose(HESSIAN[loop_scalar](x), H, rtol=1e-14, atol=1e-15)


def test_hessian_of_branch_is_exact_on_both_sides():
    x = np.array([0.5, -1.0, 2.0])  # s = sum(x^3) * x1
    H = np.diag(6 * x * x[1])
    H[:, 1] += 3 * x ** 2
    H[1, :] += 3 * x ** 2
    np.testing.assert_allclose(HESSIAN[branch_scalar](x), H, rtol=1e-14, atol=1e-14)
    y = np.array([-0.5, 1.0, 0.2])
    np.testing.assert_allclose(HESSIAN[branch_scalar](y), np.diag(np.exp(y)), rtol=1e-14, atol=0)


def test_hessian_of_quadratic_form_is_exactly_A_plus_A_transpose():
    A = np.array([[1.0, 2.0, -3.0], [0.5, -1.0, 4.0], [2.5, 0.0, 1.5]])
    x = np.array([0.7, -0.2, 1.3])
    H = HESSIAN[quadratic_form](x, A)
    np.testing.assert_array_equal(H, A + A.T)
    np.testing.assert_allclose(H, _hessian_from_differences(quadratic_form, (x, A)), **LOOSE)


# ---------------------------------------------------------------------------
# 4. Higher order


def sin_cube(x):
    return np.sin(x) * x ** 3


def exp_sq(x):
    return np.exp(-x * x) + np.log(x)


D2 = {f: grad(grad(f)) for f in (sin_cube, exp_sq)}
D3 = {f: grad(D2[f]) for f in (sin_cube, exp_sq)}
JACFWD_OF_GRAD = {f: jacfwd(grad(f)) for f in (loop_scalar, branch_scalar)}


@pytest.mark.parametrize("x", [-1.3, 0.4, 2.0])
def test_second_and_third_derivatives_of_sin_cube(x):
    s, c = math.sin(x), math.cos(x)
    d1 = c * x ** 3 + 3 * s * x ** 2
    d2 = -s * x ** 3 + 6 * c * x ** 2 + 6 * s * x
    d3 = -c * x ** 3 - 9 * s * x ** 2 + 18 * c * x + 6 * s
    assert grad(sin_cube)(x) == pytest.approx(d1, rel=1e-13)
    assert D2[sin_cube](x) == pytest.approx(d2, rel=1e-13)
    assert D3[sin_cube](x) == pytest.approx(d3, rel=1e-13)


@pytest.mark.parametrize("x", [0.4, 1.7])
def test_second_and_third_derivatives_of_exp_log(x):
    e = math.exp(-x * x)
    d2 = e * (4 * x * x - 2) - 1 / x ** 2
    d3 = e * (12 * x - 8 * x ** 3) + 2 / x ** 3
    assert D2[exp_sq](x) == pytest.approx(d2, rel=1e-13)
    assert D3[exp_sq](x) == pytest.approx(d3, rel=1e-13)
    # and each against differences of the next-lower derivative
    assert D2[exp_sq](x) == pytest.approx(central_difference(grad(exp_sq), (x,), 0), rel=1e-6)
    assert D3[exp_sq](x) == pytest.approx(central_difference(D2[exp_sq], (x,), 0), rel=1e-6)


@pytest.mark.parametrize("fun, x", [
    (loop_scalar, np.array([0.3, -1.2, 0.8])),
    (branch_scalar, np.array([0.5, -1.0, 2.0])),
])
def test_jacfwd_of_grad_is_the_hessian(fun, x):
    np.testing.assert_allclose(JACFWD_OF_GRAD[fun](x), HESSIAN[fun](x), **TIGHT)


def looped_scalar(x):
    y = x
    for _ in range(3):
        y = np.sin(y) * x
    return y


JACFWD_OF_GRAD[looped_scalar] = jacfwd(grad(looped_scalar))


def test_forward_over_reverse_through_a_loop_works():
    x = 0.7
    assert JACFWD_OF_GRAD[looped_scalar](x) == pytest.approx(
        central_difference(grad(looped_scalar), (x,), 0), rel=1e-6)


GRAD_OF_GRAD_LOOP = grad(grad(looped_scalar))
JACREV_OF_GRAD_LOOP = jacrev(grad(loop_scalar))


def test_reverse_over_a_derivative_with_a_loop_is_the_second_derivative():
    # reverse mode over reverse mode differentiates the backward loop, which reads what the
    # forward loop recorded: the records' adjoints go back to the recorded values
    assert GRAD_OF_GRAD_LOOP(0.7) == pytest.approx(central_difference(grad(looped_scalar), (0.7,), 0), rel=1e-6)
    x = np.array([0.3, -1.2, 0.8])
    np.testing.assert_allclose(JACREV_OF_GRAD_LOOP(x), central_difference(grad(loop_scalar), (x,), 0),
                               rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------------------
# 5. Property: jacfwd == jacrev


def p_poly(x):
    return x ** 3 - 2.0 * x * np.sum(x)


def p_trig(x):
    return np.sin(x) * np.cos(x[::-1]) + np.sum(np.tanh(x))


def p_loop(x):
    y = x
    for _ in range(3):
        y = np.sin(y) * x
    return y * np.sum(y)


def p_while(x):
    y = x
    while np.sum(y * y) < 20.0:
        y = 1.5 * y + 0.1
    return np.cos(y)


def p_cumprod_loop(x):
    out = np.zeros(x.shape[0])
    acc = 1.0
    for i in range(x.shape[0]):
        acc = acc * np.cos(x[i])
        out[i] = acc
    return out


def p_scalar(x):
    return np.sum(np.exp(x) * x) / (1.0 + np.sum(x ** 2))


def p_outer(x):
    return np.outer(np.sin(x), x).ravel()


PROPERTY_FUNS = [p_poly, p_trig, p_loop, p_while, p_cumprod_loop, p_scalar, p_outer]


@settings(max_examples=30, deadline=None)
@given(fun=st.sampled_from(PROPERTY_FUNS),
       x=hnp.arrays(np.float64, st.integers(1, 4), elements=st.floats(-2.0, 2.0)))
def test_jacfwd_equals_jacrev(fun, x):
    fwd = jacfwd(fun)(x)
    rev = jacrev(fun)(x)
    assert fwd.shape == rev.shape == np.shape(fun(x)) + x.shape
    np.testing.assert_allclose(fwd, rev, rtol=1e-10, atol=1e-10)


# ---------------------------------------------------------------------------
# 6. check_grads


def smooth(x, y):
    return np.sum(np.sin(x) * y) + np.sum(x ** 2) * y[0]


@custom_vjp
def bad_square(x):
    return x * x


def bad_square_fwd(x):
    return bad_square(x), x


def bad_square_bwd(x, g):
    return (g * 3.0 * x,)  # wrong on purpose: should be 2 x


bad_square.defvjp(bad_square_fwd, bad_square_bwd)


def uses_bad_square(w, x):
    return np.sum(w * x) + bad_square(x[1])


@custom_vjp
def good_square(x):
    return x * x


def good_square_fwd(x):
    return good_square(x), x


def good_square_bwd(x, g):
    return (g * 2.0 * x,)


good_square.defvjp(good_square_fwd, good_square_bwd)


def uses_good_square(w, x):
    return np.sum(w * x) + good_square(x[1])


@pytest.mark.parametrize("order", [1, 2])
def test_check_grads_passes_on_correct_derivatives(order):
    assert check_grads(smooth, (np.array([0.3, -0.8]), np.array([1.2, 0.4])), order=order) is None
    assert check_grads(sin_cube, (0.9,), order=order) is None


def test_check_grads_passes_on_array_outputs():
    assert check_grads(outer_ravel, (np.array([1.5, -0.5, 2.0]),)) is None
    assert check_grads(for_loop, (X4,), modes=("rev",)) is None


def test_check_grads_passes_through_loops_at_order_two_with_forward_over_reverse():
    assert check_grads(loop_scalar, (np.array([0.3, -1.2, 0.8]),), order=2, modes=("fwd",)) is None


def test_check_grads_passes_on_a_correct_custom_rule():
    assert check_grads(uses_good_square, (np.array([0.5, 2.0]), np.array([1.0, 3.0])), modes=("rev",)) is None


def test_check_grads_reports_a_wrong_custom_rule():
    w, x = np.array([0.5, 2.0]), np.array([1.0, 3.0])
    with pytest.raises(AssertionError) as info:
        check_grads(uses_bad_square, (w, x), modes=("rev",))
    message = str(info.value)
    # d/dx[1] is w[1] + 3 x[1] = 11 by the wrong rule, w[1] + 2 x[1] = 8 in truth; w is unaffected
    assert "argument 1" in message and "element (1,)" in message
    assert "difference 3" in message and "11.0" in message


def test_forward_mode_through_a_custom_vjp_is_refused_not_wrong():
    # custom_vjp rules serve reverse mode only (README, Known limitations)
    with pytest.raises(srcdiff.SrcdiffError, match="forward-mode"):
        check_grads(uses_bad_square, (np.array([0.5, 2.0]), np.array([1.0, 3.0])), modes=("fwd",))


# ---------------------------------------------------------------------------
# 7. stop_gradient


def x_times_stopped(x):
    return x * stop_gradient(x)


@pytest.mark.parametrize("x", [-1.5, 0.5, 3.0])
def test_stop_gradient_blocks_one_path(x):
    assert x_times_stopped(x) == x * x
    assert grad(x_times_stopped)(x) == x
    value, t = jvp(x_times_stopped, (x,), (1.0,))
    assert value == x * x and t == x


def test_stop_gradient_on_arrays_in_every_mode():
    x = np.array([0.5, -2.0, 1.5])
    np.testing.assert_array_equal(jacfwd(x_times_stopped)(x), np.diag(x))
    np.testing.assert_array_equal(jacrev(x_times_stopped)(x), np.diag(x))


# ---------------------------------------------------------------------------
# 8. One forward sweep, many backward passes


def test_vjp_fn_can_be_called_again_with_another_cotangent():
    x = np.array([1.5, -0.5, 2.0])
    out, vjp_fn = vjp(sin_times_norm, x)
    J = central_difference(sin_times_norm, (x,), 0)
    ct1 = np.array([1.0, 0.0, -2.0])
    ct2 = np.array([0.3, 0.7, 0.1])
    (g1,) = vjp_fn(ct1)
    (g2,) = vjp_fn(ct2)
    (g1_again,) = vjp_fn(ct1)
    np.testing.assert_allclose(g1, ct1 @ J, **LOOSE)
    np.testing.assert_allclose(g2, ct2 @ J, **LOOSE)
    np.testing.assert_array_equal(g1_again, g1)
    np.testing.assert_allclose(vjp_fn(ct1 + ct2)[0], g1 + g2, **TIGHT)


CALLS = {"fwd": 0, "bwd": 0}


@custom_vjp
def counted_sin(x):
    return np.sin(x)


def counted_sin_fwd(x):
    CALLS["fwd"] += 1
    return counted_sin(x), x


def counted_sin_bwd(x, g):
    CALLS["bwd"] += 1
    return (g * np.cos(x),)


counted_sin.defvjp(counted_sin_fwd, counted_sin_bwd)


def uses_counted_sin(x):
    return counted_sin(x) * np.sum(x)


def test_vjp_runs_the_forward_sweep_once_for_many_cotangents():
    x = np.array([0.4, -1.1, 0.9])
    vjp(uses_counted_sin, x)  # compile (which may call the rules) before counting
    CALLS.update(fwd=0, bwd=0)
    out, vjp_fn = vjp(uses_counted_sin, x)
    assert CALLS == {"fwd": 1, "bwd": 0}
    np.testing.assert_array_equal(out, np.sin(x) * np.sum(x))
    J = np.diag(np.cos(x) * np.sum(x)) + np.sin(x)[:, None]  # exact
    for ct in (np.array([1.0, 0.0, 0.0]), np.array([-0.5, 2.0, 0.25]), np.ones(3)):
        np.testing.assert_allclose(vjp_fn(ct)[0], ct @ J, rtol=1e-14, atol=1e-15)
    assert CALLS == {"fwd": 1, "bwd": 3}


# ---------------------------------------------------------------------------
# Derivatives of derivatives made afresh (last: the failure leaves stale cache entries behind)


def cache_f(x):
    return np.sin(x)


def cache_h(x):
    return x ** 3


def test_derivative_of_a_new_derivative_object_is_not_a_stale_one():
    """Derivative objects made and freed in turn never get each other's compiled code."""
    for _ in range(20):
        assert srcdiff.hessian(cache_f)(0.5) == -math.sin(0.5)
        assert srcdiff.hessian(cache_h)(0.5) == 3.0
        assert grad(grad(cache_f))(0.5) == -math.sin(0.5)
        assert grad(grad(cache_h))(0.5) == 3.0


# ---------------------------------------------------------------------------
# A tangent has its primal's shape (issue 14: forward mode lost a broadcast where the larger
# operand had no tangent)

SPREAD = np.array([0.5, -1.0, 2.0])
SPREAD4 = np.array([1.0, 2.0, 3.0, 4.0])


def float_becomes_an_array_without_a_tangent(x):
    s = 0.0
    if x[1] > 0:
        s = SPREAD
    return np.sum(s - x[0])


def remainder_by_an_array(x):
    return x % SPREAD4


def jvp_inside(x, v):
    return srcdiff.jvp(remainder_by_an_array, (x,), (v,))[1]


def where_with_the_larger_side_constant(x):
    return np.sum(np.where(SPREAD > 0, SPREAD, x) * x)


def test_a_tangent_is_broadcast_to_its_primal_s_shape():
    x = np.array([0.3, 1.2, -0.7])
    f = float_becomes_an_array_without_a_tangent
    np.testing.assert_allclose(jacfwd(f)(x), central_difference(f, (x,), 0), rtol=1e-6)
    np.testing.assert_allclose(srcdiff.hessian(f)(x), np.zeros((3, 3)), atol=1e-12)
    value, tangent = srcdiff.jvp(jvp_inside, (2.1, 1.0), (1.0, 1.0))
    np.testing.assert_allclose(tangent, np.ones(4))
    np.testing.assert_allclose(value, np.ones(4))
    g = where_with_the_larger_side_constant
    assert srcdiff.jvp(g, (0.5,), (1.0,))[1] == pytest.approx(central_difference(g, (0.5,), 0), rel=1e-6)


def sine_times_plus(x, y):
    return np.sin(x) * y + x


def test_generic_forward_code_broadcasts_only_where_it_may_be_needed():
    # with shapes unknown, sin(x) * y + x and its tangent have one shape: broadcasting the two
    # operands together makes the same shape whatever the order (x * y + z, z + y * x)
    from srcdiff.compiler import compile_jvp
    from srcdiff.ir import unknown_aval

    source = compile_jvp(sine_times_plus, (unknown_aval(), unknown_aval()), (0, 1)).source
    assert "broadcast_to" not in source
    source = srcdiff.source(float_becomes_an_array_without_a_tangent, np.array([0.3, 1.2, -0.7]), mode="jvp")
    assert "np.broadcast_to" in source  # s is a float on one path and an array on the other
