"""The IR the frontend makes of issue 17's idioms: what is decided when compiling leaves no
equation behind, int()/round() are inactive equations, and print/assert are effect
equations that no pass drops, merges, hoists or repeats."""
import numpy as np

from srcdiff.prims.effects import ASSERT, PRINT

from tests.unit.irtools import eqns, find, ir_after, ops

X = np.array([0.3, -0.7, 1.2])


def decided(x, r=None, act=np.tanh):
    if r is None and isinstance(x, np.ndarray) and callable(act) and type(x.shape) is tuple:
        return np.sum(act(x))
    return np.sum(x)


def test_decided_questions_leave_no_branch():
    fn = ir_after(decided, (X,), "lower")
    counts = ops(fn)
    assert "cond" not in counts and "tanh" in counts


def casts(x):
    return x[0] * int(x[1]) + x[2] * round(x[0]) + round(x[1], 2) * x[0] + bool(x[2] > 0) * x[1]


def test_int_round_bool_are_inactive_equations():
    fn = ir_after(casts, (X,), "lower")
    counts = ops(fn)
    assert counts["int"] == 1 and counts["builtin_round"] == 1 and counts["builtin_round_digits"] == 1 and counts["bool"] == 1
    for name in ("int", "builtin_round", "builtin_round_digits", "bool"):
        (eqn,) = find(fn, name)
        assert not eqn.prim.differentiable


def star(x):
    t = (x[0], 2.0)
    d = {"b": x[1]}
    return np.sum(helper(x, *t, **d))


def helper(x, a, s, b):
    return x * a * s + b


def test_star_arguments_inline_the_call():
    fn = ir_after(star, (X,), "lower")
    assert "call" not in ops(fn)


def prints_twice(x):
    y = np.sum(x ** 2)
    print("loss", y)
    print("loss", y)  # the same equation twice: printed twice, not merged
    for i in range(3):
        print(i)  # a loop that only prints is kept
    if y > 1.0:
        print("big")  # so is an if
    assert y >= 0.0, "never negative"
    return y


def test_effects_survive_every_pass():
    fn = ir_after(prints_twice, (X,))  # the gradient after the last pass
    assert ops(fn)["print"] == 4 and ops(fn)["assert"] == 1
    top = [e.prim.name for e in fn.body.eqns]
    assert top.count("print") == 2 and "for" in top and "cond" in top
    for eqn in eqns(fn):
        if eqn.prim in (PRINT, ASSERT):
            assert eqn.prim.effect and eqn.prim.observable and not eqn.prim.hoistable
            assert not eqn.prim.recomputable and not eqn.prim.differentiable


def loop_printing(x):
    s = 0.0
    for i in range(3):
        s = s + x[i] ** 2 * s + x[i]
        print(s)
    return s


def test_reverse_mode_prints_in_the_forward_loop_only():
    fn = ir_after(loop_printing, (X,))
    loops = [e for e in fn.body.eqns if e.prim.name == "for"]
    forward = [e for e in loops if not e.params.get("reverse")]
    backward = [e for e in loops if e.params.get("reverse")]
    assert len(forward) == 1 and backward
    assert ops(forward[0])["print"] == 1 and all("print" not in ops(b) for b in backward)
