"""Minimal programs, found by the random-program tester (tests/random/test_differential.py),
that srcdiff differentiates wrongly or fails on. Each is an xfail(strict=True) test in
test_differential.py; x = np.array([0.3, -0.5, 0.8]), y = 0.4 unless the test says."""
import numpy as np


def concat_list_literal(x, y):
    # internal error: KeyError 'O' in ir/core.py _dtype_tag (the list [y] gets an object dtype)
    return np.sum(np.concatenate([[y], x[1:]]))


def alias_write_in_loop(x, y):
    # a write through an alias inside a for loop is not seen through the other name:
    # grad (1, 1, 1), 0 where it is (0, 1, 1), 1
    z = x * 1.0
    a = z
    for i in range(1):
        a[0] = y
    return np.sum(z)


def alias_of_argument_write_in_loop(x, y):
    # the same with the alias bound to the argument: Python writes into x
    a = x
    for i in range(1):
        a[-1] = 2.0
    return np.sum(x)


def outer_appended_in_loop(x, y):
    # internal error: AttributeError 'NoneType' object has no attribute 'shape' (prims/shaping.py:18,
    # reshape's shape rule, from the VJP of np.outer in prims/linalg.py:187)
    l0 = []
    for i in range(3):
        l0.append(np.sum(np.outer(x, x), axis=0))
    return np.sum(np.stack(l0))


def builtin_sum_of_list(x, y):
    # UnknownCallableError "no derivative rule for sum", though grammar.md lists builtin sum
    return sum([x[0], y])


def builtin_sum_of_loop_list(x, y):
    lst = []
    for i in range(3):
        lst.append(x[i] * y)
    return sum(lst)


def dot_of_list_array(x, y):
    # the emitted gradient raises numpy AxisError "axis -2 is out of bounds for array of
    # dimension 1" in its _product_grad (np.expand_dims), called from grad_f
    l2 = []
    for i in range(3):
        l2.append(x[i])
    return np.dot(np.array(l2), np.array(l2))


def hessian_of_list_items(x, y):
    # hessian (forward over reverse) is 0 where it is 2 * I; grad and jacfwd are right
    l0 = []
    for i in range(2):
        l0.append(x)
    return np.sum(l0[-1] * l0[-1])


def hessian_of_stacked_list(x, y):
    # hessian 2 * I where it is 4 * I: the list's share of the second derivative is lost
    l0 = []
    for i in range(2):
        l0.append(x)
    return np.sum(np.stack(l0) * x)


def jacfwd_alias_write_in_branch(x, y):
    # jacfwd (4, 2, 0) where grad and central differences give (3, 2, 1) (y = 0.4 takes the if)
    a = x
    if y > 0.0:
        a[1:] -= 0.5
    else:
        a = 2.0
    w = a.copy()
    w[1:] = w[:-1]
    return np.sum(x + w)


def loop_slice_mul(x, y):
    # grad wrt y 0.24 where it is 0.6 (grad wrt x is right); with += instead of *= it is right
    a = x.copy()
    for i in range(1):
        a[i:] *= y
    return np.sum(a)


def alias_write_in_two_branches(x, y):
    # with a = x, the write in the second if (y = 0.4 takes its else) is lost:
    # grad (1, 1, 1), 0 where it is (0, 1, 1), 1 (jacfwd agrees with grad)
    a = x
    if y < 0.3:
        a[0] = y
    if y < 0.3:
        pass
    else:
        a[0] = y
    return np.sum(x)


def copy_write_dot_in_loop(x, y):
    # grad (2, 0.78, 7.8) where central differences and jacfwd give (2, -2, 7.8)
    a = x
    for i in range(2):
        a = a.copy()
        a[i] = np.dot(x[1:], a[1:])
        a = a + x
    return np.sum(a)


# Found by a 1,500-program run after the fixes above (tests/random/fuzz_survey.py).


def name_of_a_cond_out_reused(x, y):
    # the cond's out (named dx) lost its name to a later zeros while still needed: grad 0
    a = np.abs(np.concatenate([np.array([-0.7]), x[:-1]])) / (1.0 + np.sum(x[::2] * x[:-1]) ** 2)
    for i in range(2):
        a = a * np.tanh(y * x * np.sin(x[2]))
    if (a - x).sum() > 0.0:
        a[::-1] = np.cos(x / (1.5 + np.cos(x)))
        a = x
    else:
        a[::2] = np.exp(np.tanh(np.where(x[1:] > 0.0, x[:-1], 0.25)))
        a = np.where(x ** 2.0 > 0.0, np.concatenate([np.array([2.0]), a[:-1]]), x[2])
    return np.sum(a[1:]) + np.sin(a[2])


def unbroadcast_tangent_written_into(x, y):
    # the tangent of s / 3 + ones(3) came back a scalar, and x[i] = v on it failed (hessian)
    a = x
    a[1] = np.sum(x)
    for i in range(1):
        a[::-1] = np.array([a[i], np.cos(-0.7), x[1]])
    return np.sum(x) + np.sin(a.mean())


def tangent_appended_then_written(x, y):
    # forward mode wrote a[2] into the tangent it had appended to the list's tangents (jacfwd)
    a = np.zeros(3)
    l1 = []
    for i in range(2):
        a = a - np.tanh(x)
        l1.append(a)
    a = a.copy()
    a[2] = x[2] ** 3
    return np.sum(a) + l1[-1][2]


def dot_of_lists_built_under_a_branch(x, y):
    # a list appended to in both branches has no known length, so np.dot of it is generic:
    # _product_grad failed for vector . vector (AxisError), and had no forward-mode rule (hessian)
    l1 = []
    for i in range(3):
        if x[i] > 0.0:
            l1.append(x[i] * y)
        else:
            l1.append(np.sin(x[i]))
    return np.dot(np.array(l1), np.array(l1))


def alias_on_one_path_written_in_a_loop(x, y):
    # a may be x (one branch); a loop then wrote into x: refused now (it gave a wrong gradient)
    if np.sum(x) > 0.0:
        a = x * 2.0
    else:
        a = x
    for i in range(2):
        x[-1] = x[0]
    return np.sum(a * a)


def hessian_through_a_branch_and_outer(x, y):
    # the Hessian's forward pass reshaped a value of unknown dtype: internal error
    a = x
    for i in range(1):
        if y > 0.3:
            a = x
        else:
            a = np.array([y, x[i], abs(y)])
        for j in range(2):
            a = a * np.tanh(np.mean(np.outer(a, x), axis=-1))
        a = a + x
    return np.sum(a)


def tangents_carried_from_one_value(x, y):
    # jacfwd wrt x: the tangents of a and of x enter the loop as one array, and the
    # codegen gave both carried values one name (jacfwd twice grad)
    a = x + y
    i = 0
    while i < 1:
        a = x
        a[0] = y
        a = a + x
        i = i + 1
    return np.sum(x * x) + a[2]


def tangent_written_at_a_loop_s_end(x, y):
    # jacfwd: the loop body's last statement wrote into a tangent made before the loop
    # (the copy was dropped as if the value were dead), so later iterations read it changed
    c = x * 1.0
    for i in range(3):
        w = (x * y).copy()
        w[1:] = w[1:] * 0.5 + w[:-1]
        c = c + w
    return np.sum(c * c)


def hessian_of_a_loop_sum(x, y):
    # hessian: when the backward loop recorded each step's term of x's adjoint (to sum them
    # after the loop), the term's tangent was made outside the loop and the forward pass
    # recorded a value its body does not define (internal error). Terms of a plain vector
    # total are no longer recorded; a tangent from outside a loop is now bound inside it.
    a = x
    for i in range(2):
        a = a + x ** 2
    return np.sum(a) + y


def view_then_write_into_its_array(x, y):
    # a view of x, then a write into x: Python's a sees the write; srcdiff's a did not
    a = x[::-1]
    x[0] = y
    if y > 0.0:
        x[2] = y * x[1]
    return np.sum(a * a)


def _writes_into(u, y):
    u[1] = y * u[0]
    return u


def view_seen_through_a_helper_s_write(x, y):
    a = x[1:]
    _writes_into(x, y)
    return np.sum(a * np.sin(a))


def array_of_its_own_item_in_a_loop(x, y):
    # the backward loop put da[0] into fresh zeros it had already bound to the name da, so
    # it read the zeros: the emitted code took the name over while the statement still
    # read it (a wrong gradient, x[0]'s derivative 1 instead of 2)
    a = np.ones(3)
    for i in range(2):
        a = np.array([a[0], 0.25, y]) + x
    return np.sum(a)


def list_item_copied_then_written_in_a_loop(x, y):
    # refused as "c is an item of a list, and writing into it would change the list's item":
    # each iteration writes into a copy it has just made, never into the list's item
    l1 = []
    for i in range(2):
        l1.append(np.abs(x[::-1]) * y)
    c = l1[-1]
    for i in range(2):
        c = c.copy()
        c[2] = x[1]
    return np.sum(c * (c + x)) + np.sum(l1[0] * l1[1])
