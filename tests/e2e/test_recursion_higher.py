"""Derivatives of every order through recursion whose depth depends on the data.

A recursive function is lowered once and called. Forward mode calls its JVP version
(q_jvp), reverse mode its forward and backward versions (q_fwd returns a tape, q_bwd
takes it); the tape is a value whose tangent and adjoint are tapes, so each composition
of the transformations goes through the recursion. Every derivative here is compared
with central differences of the derivative one order lower."""
import numpy as np
import pytest

import srcdiff

from tests.numeric import central_difference


def q(x, n):
    if n <= 0:
        return x
    return np.sin(q(x, n - 1)) * x


def fq(x, n):
    return q(x, n) * 2.0


def fib(x, n):
    """Two recursive calls: a tree of calls, each with its own tape."""
    if n <= 1:
        return x * n + 0.5 * x * x
    return np.sin(fib(x, n - 1)) + fib(x, n - 2) * x


def ffib(x, n):
    return fib(x, n) * 1.0


def lp(x, n):
    """A loop around the recursive call: the loop records each call's tape."""
    if n <= 0:
        return x
    s = 0.0
    for i in range(3):
        s = s + np.cos(lp(x, n - 1) * (i + 1))
    return s * x


def flp(x, n):
    return lp(x, n) + 0.0


def sw(x, y, n):
    """The arguments swap places: with respect to x alone, the calls alternate between a
    tangent for x and one for y (two JVP versions calling each other)."""
    if n <= 0:
        return x * y
    return sw(y, x * 0.5, n - 1) + np.sin(x)


def fsw(x, y, n):
    return sw(x, y, n) * 1.0


def q_dot(x, n):
    """A derivative of the recursion inside a differentiated function."""
    return srcdiff.jvp(q, (x, n), (1.0, 0))[1]


grad_q = srcdiff.grad(q)


def q_and_grad(x, n):
    """The recursion itself and its gradient, side by side."""
    return q(x, n) * grad_q(x, n)


def even(x, n):
    """Mutual recursion: even and odd call each other."""
    if n <= 0:
        return x
    return odd(x * 1.1, n - 1) + 0.1


def odd(x, n):
    if n <= 0:
        return np.sin(x)
    return np.cos(even(x, n - 1)) * x


def f_even(x, n):
    return even(x, n) * 1.0


def in_a_loop(x, n):
    """The caller's loop calls the recursion: the loop records each call's tape."""
    s = 0.0
    k = 0
    while k < 2:
        s = s + q(x + s, n)
        k = k + 1
    return s


def large(x, y):
    """Large enough to be emitted as a function of its own, called like a recursion."""
    a = x * y
    b = np.sin(a) + np.cos(x) * y
    c = b * b + a * x
    d = np.tanh(c) * a + np.exp(-b * b)
    e = d * x + c * y + a * b
    f = np.sin(e) * np.cos(d) + np.tanh(a * b * c)
    g = f * f + e * d + c * b * a
    h = np.sin(g) + np.cos(f) * e + d * c
    i = np.tanh(h) * g + f * e * d
    j = i * h + g * f + e * d * c * b * a
    k = np.sin(j) + np.cos(i) * h + g * f
    m = k * j + i * h + g * f * e * d
    o = np.tanh(m) + np.sin(k) * j + i * h * g
    p = o * m + k * j + i * h * g * f * e
    r = np.sin(p) + np.cos(o) * m + k * j * i
    return r * 0.001 + np.sin(x) * np.cos(y)


def f_large(x, y):
    return large(x, y) + large(y, x) * 0.5


def on_a_value(x, n):
    """A branch on what the inner call returned."""
    if n <= 0:
        return x * x
    y = on_a_value(x, n - 1)
    if y > 0.5:
        return y * 0.5 + x
    return np.exp(y) - x


def f_on_a_value(x, n):
    return on_a_value(x, n) + 0.0


def while_inside(x, n):
    """A while loop whose trip count is the depth, before the inner call."""
    if n == 0:
        return np.sin(x)
    s = x
    k = 0
    while k < n:
        s = s * 0.9 + 0.1 * np.cos(s)
        k = k + 1
    return s * while_inside(x, n - 1)


def f_while_inside(x, n):
    return while_inside(x, n) * 1.0


def _stacked(h, x):
    hs = []
    for i in range(2):
        h = np.sin(h) + x
        hs.append(h)
    return np.sum(np.stack(hs)) * 0.5


def list_inside(x, n):
    """A list appended to and stacked after the inner call (the tape keeps the list)."""
    if n <= 0:
        return x
    return _stacked(list_inside(x, n - 1), x)


def f_list_inside(x, n):
    return list_inside(x, n) + 0.0


SCALAR = {  # name: (function, its arguments at each depth)
    "q": (fq, [(1.1, n) for n in (0, 1, 3)]),
    "fib": (ffib, [(0.7, n) for n in (1, 2, 4)]),
    "loop inside": (flp, [(0.6, n) for n in (0, 2)]),
    "swap": (fsw, [(0.6, 1.3, n) for n in (0, 1, 3)]),
    "mutual": (f_even, [(0.7, n) for n in (0, 1, 3)]),
    "called in a loop": (in_a_loop, [(0.3, n) for n in (0, 2)]),
    "jvp inside": (q_dot, [(1.1, n) for n in (0, 2)]),
    "grad inside": (q_and_grad, [(0.9, n) for n in (0, 2)]),
    "large callee": (f_large, [(0.7, 0.4)]),
    "branch on a value": (f_on_a_value, [(0.4, n) for n in (0, 1, 3)]),
    "while inside": (f_while_inside, [(0.4, n) for n in (0, 2)]),
    "list inside": (f_list_inside, [(0.4, n) for n in (0, 2)]),
}
CASES = [(name, k) for name, (_, at) in SCALAR.items() for k in range(len(at))]


def _args(name, k):
    f, at = SCALAR[name]
    return f, at[k]


def _value(g):
    return lambda *a: np.asarray(g(*a), dtype=float)


def _agree(got, expected):
    np.testing.assert_allclose(np.asarray(got, dtype=float), expected, rtol=1e-5, atol=1e-6)


# first order: forward mode through the recursion ------------------------------------

@pytest.mark.parametrize("name, k", CASES)
def test_first_order(name, k):
    f, args = _args(name, k)
    expected = central_difference(f, args, 0)
    tangents = (1.0,) + tuple(0.0 if isinstance(a, float) else 0 for a in args[1:])
    _agree(srcdiff.jvp(f, args, tangents)[1], expected)
    _agree(srcdiff.jacfwd(f)(*args), expected)
    _agree(srcdiff.jacrev(f)(*args), expected)
    _agree(srcdiff.grad(f)(*args), expected)


# second order: every way of composing forward and reverse mode ----------------------

SECOND = {
    "hessian": lambda f: srcdiff.hessian(f),
    "grad(grad)": lambda f: srcdiff.grad(srcdiff.grad(f)),
    "jacrev(grad)": lambda f: srcdiff.jacrev(srcdiff.grad(f)),
    "jacfwd(grad)": lambda f: srcdiff.jacfwd(srcdiff.grad(f)),
    "jacfwd(jacfwd)": lambda f: srcdiff.jacfwd(srcdiff.jacfwd(f)),
}


@pytest.mark.parametrize("name, k", CASES)
@pytest.mark.parametrize("composition", SECOND)
def test_second_order(composition, name, k):
    f, args = _args(name, k)
    expected = central_difference(_value(srcdiff.grad(f)), args, 0)
    _agree(SECOND[composition](f)(*args), expected)


THIRD = {
    "grad(grad(grad))": lambda f: srcdiff.grad(srcdiff.grad(srcdiff.grad(f))),
    "jacfwd(grad(grad))": lambda f: srcdiff.jacfwd(srcdiff.grad(srcdiff.grad(f))),
    "jacrev(hessian)": lambda f: srcdiff.jacrev(srcdiff.grad(srcdiff.grad(f))),
    "jacfwd(hessian)": lambda f: srcdiff.jacfwd(srcdiff.hessian(f)),
}


@pytest.mark.parametrize("name, k", [("q", 0), ("q", 2), ("fib", 1), ("loop inside", 1), ("swap", 2), ("mutual", 2),
                                     ("called in a loop", 1), ("grad inside", 1), ("while inside", 1),
                                     ("list inside", 1)])
@pytest.mark.parametrize("composition", THIRD)
def test_third_order(composition, name, k):
    f, args = _args(name, k)
    expected = central_difference(_value(srcdiff.grad(srcdiff.grad(f))), args, 0)
    _agree(THIRD[composition](f)(*args), expected)


def q_dot_of_grad(x, n):
    """Forward mode over the gradient, inside a differentiated function."""
    return srcdiff.jvp(grad_q, (x, n), (1.0, 0))[1]


@pytest.mark.parametrize("n", [1, 3])
def test_grad_of_a_jvp_of_a_gradient(n):
    expected = central_difference(q_dot_of_grad, (1.1, n), 0)
    _agree(srcdiff.grad(q_dot_of_grad)(1.1, n), expected)


@pytest.mark.parametrize("n", [0, 2])
def test_swapped_arguments_wrt_the_second(n):
    g = srcdiff.grad(fsw, argnums=1)
    args = (0.6, 1.3, n)
    _agree(g(*args), central_difference(fsw, args, 1))
    expected = central_difference(_value(g), args, 0)
    _agree(srcdiff.jacfwd(g, argnums=0)(*args), expected)
    _agree(srcdiff.jacrev(g, argnums=0)(*args), expected)
    _agree(srcdiff.grad(g, argnums=0)(*args), expected)


# arrays --------------------------------------------------------------------------

def qa(x, w, n):
    if n <= 0:
        return np.tanh(x * w)
    return np.tanh(qa(x, w, n - 1) * w) + 0.1 * x


def fqa(x, w, n):
    return np.sum(qa(x, w, n) ** 2)


grad_fqa = srcdiff.grad(fqa)


def fqa_grad_w(x, w, n):
    """A scalar of the gradient, for reverse mode over it."""
    return np.sum(grad_fqa(x, w, n) * w)


RNG = np.random.default_rng(3)
X, W = RNG.standard_normal(3), RNG.standard_normal(3)


@pytest.mark.parametrize("n", [0, 1, 3])
def test_array_jacobians(n):
    args = (X, W, n)
    for argnum in (0, 1):
        expected = central_difference(qa, args, argnum)
        _agree(srcdiff.jacfwd(qa, argnums=argnum)(*args), expected)
        _agree(srcdiff.jacrev(qa, argnums=argnum)(*args), expected)
        _agree(srcdiff.jacobian(qa, argnums=argnum)(*args), expected)
    cotangent = RNG.standard_normal(3)
    _, pullback = srcdiff.vjp(qa, *args)
    _agree(pullback(cotangent)[1], cotangent @ central_difference(qa, args, 1))


@pytest.mark.parametrize("n", [0, 1, 3])
def test_array_second_order(n):
    args = (X, W, n)
    hessian = central_difference(_value(grad_fqa), args, 0)
    _agree(srcdiff.hessian(fqa)(*args), hessian)
    _agree(srcdiff.jacrev(grad_fqa)(*args), hessian)
    _agree(srcdiff.jacfwd(grad_fqa)(*args), hessian)
    mixed = central_difference(_value(srcdiff.grad(fqa, argnums=1)), args, 0)
    _agree(srcdiff.jacrev(srcdiff.grad(fqa, argnums=1), argnums=0)(*args), mixed)
    _agree(srcdiff.grad(fqa_grad_w)(*args), central_difference(fqa_grad_w, args, 0))
    _agree(srcdiff.grad(fqa_grad_w, argnums=1)(*args), central_difference(fqa_grad_w, args, 1))


# the emitted code -----------------------------------------------------------------

def test_forward_mode_calls_the_jvp_version():
    source = srcdiff.source(fq, 1.1, 3, mode="jvp")
    assert "def q_jvp(x, n, x_dot):" in source
    assert "q, q_dot = q_jvp(x, n - 1, x_dot)" in source


def test_hessian_differentiates_the_tape():
    source = srcdiff.source(srcdiff.grad(fq), 1.1, 3, mode="jvp")
    assert "def q_fwd_jvp(x, n, x_dot):" in source
    assert "def q_bwd_jvp(tape, g, tape_dot, g_dot):" in source
    assert "q, q_tape, q_dot, q_tape_dot = q_fwd_jvp(x, n - 1, x_dot)" in source


def test_grad_of_grad_reads_the_tape_by_name():
    source = srcdiff.source(srcdiff.grad(srcdiff.grad(fq)), 1.1, 3)
    assert "def q_bwd_bwd(tape, g, g2):" in source and "def q_fwd_bwd(tape, g, g_tape):" in source
    assert "tape_item" not in source and "list_item" not in source  # items have the forward's names


def test_swapped_arguments_have_a_jvp_version_each():
    source = srcdiff.source(fsw, 0.6, 1.3, 2, mode="jvp")  # a tangent for every float argument
    assert "sw, sw_dot = sw_jvp(y, x * 0.5, n - 1, y_dot, x_dot * 0.5)" in source
    # jacfwd wrt x alone: the calls alternate between a tangent for x and one for y
    source = srcdiff.modes._compiled("jvp", fsw, (0.6, 1.3, 2), (0,))[0].source
    assert "def sw_jvp_y(x, y, n, y_dot):" in source and "def sw_jvp_x(x, y, n, x_dot):" in source
    assert "sw, sw_dot = sw_jvp_x(y, x * 0.5, n - 1, y_dot)" in source


def test_a_large_callee_has_a_jvp_version():
    source = srcdiff.source(f_large, 0.7, 0.4, mode="jvp")
    assert "def large_jvp(x, y, x_dot, y_dot):" in source
    assert "large_1, large_1_dot = large_jvp(y, x, y_dot, x_dot)" in source


def test_vjp_of_the_recursive_function_itself():
    """The function differentiated and the recursion it calls both have forward and backward
    versions: they are emitted under names of their own."""
    source = srcdiff.source(q, 1.1, 3, mode="vjp")
    definitions = [line for line in source.splitlines() if line.startswith("def ")]
    assert len(definitions) == len(set(definitions)) == 4
    _, pullback = srcdiff.vjp(q, 1.1, 3)
    _agree(pullback(1.0)[0], central_difference(q, (1.1, 3), 0))


# the same paths without recursion: a value only one side of an if makes -----------

def sine_under_if(x, c):
    if c > 0:
        y = np.sin(x) * x
    else:
        y = x
    return y * 2.0


def loop_under_if(x, c):
    s = 0.0
    if c > 0:
        for i in range(3):
            s = s + np.cos(x * (i + 1))
    return s * x


@pytest.mark.parametrize("f", [sine_under_if, loop_under_if])
@pytest.mark.parametrize("c", [1.0, -1.0])
def test_reverse_over_reverse_on_the_side_that_does_not_make_it(f, c):
    """The second derivative's other side makes the zero derivative of what only the taken
    side made (sin(x), the loop's records): it is bound there, and its zeros take None."""
    g = srcdiff.grad(f)
    expected = central_difference(_value(g), (0.6, c), 0)
    _agree(srcdiff.grad(g)(0.6, c), expected)
    _agree(srcdiff.jacrev(g)(0.6, c), expected)
