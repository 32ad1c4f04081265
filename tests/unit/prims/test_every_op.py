"""Every differentiable primitive against central differences, through the code of its
cases (op_cases.py): forward mode (jvp), reverse mode (vjp), and at second order the
Hessian (forward over reverse, by the Jacobian machinery), jvp of grad, grad of grad
(reverse over reverse) and grad of jvp (reverse over forward), each over several argument
shapes and dtypes; with two float arguments or more, also with respect to each alone.

The table cannot lie: each case's IR is checked to hold its primitive, and with either
of the primitive's rules made wrong (its result scaled) some check of its cases must
fail, so a case that makes the primitive where its derivative does not matter (an empty
list) is not enough. A primitive without a case fails test_every_differentiable_op_has_a_case.
A second derivative is compared with central differences of srcdiff's gradient, which
the same test first compares with central differences of the function."""
import contextlib
import copy
import inspect
import zlib

import numpy as np
import pytest

import srcdiff
from srcdiff import cache
from srcdiff.ir import CALL
from srcdiff.prims.core import PRIMITIVES, T, current
from srcdiff.prims.lists import ListUpdate
from srcdiff.prims.tapes import LIST_ADD, TAPE_ADD, TapeUpdate, is_tape
from srcdiff.transforms import passes

from ...numeric import central_difference, import_file
from .op_cases import CASES, F32, FLOAT, Int

FIRST, SECOND = ("forward", "reverse"), ("hessian", "jvp-of-grad", "grad-of-grad", "grad-of-jvp")
# with two float arguments or more, each alone (the others constants): a rule's branches
# for an operand without a derivative
ALONE = ("jacfwd-alone", "jacrev-alone", "hessian-alone")
PRIMAL_STAGES = {"lower", *(p.name for p in passes.PRIMAL)}


def test_every_differentiable_op_has_a_case():
    missing = {p.name for p in PRIMITIVES if p.differentiable} - set(CASES)
    assert not missing, (f"differentiable primitives without a case: {sorted(missing)}. Add to CASES in "
                         "tests/unit/prims/op_cases.py code a user writes that lowers to each, the argument "
                         "shapes to try and a domain where its derivative exists.")


def test_every_case_names_a_differentiable_op():
    differentiable = {p.name for p in PRIMITIVES if p.differentiable}
    stale = set(CASES) - differentiable
    assert not stale, f"CASES names {sorted(stale)}, which are no longer differentiable primitives"


# -- the arguments

def signatures(case):
    """The case's argument lists: one spec per parameter (a one-parameter case lists bare specs)."""
    one = len(inspect.signature(case.fn).parameters) == 1
    return [(s,) if one else tuple(s) for s in case.signatures]


def spec_id(spec):
    if spec == FLOAT:
        return "float"
    if isinstance(spec, Int):
        return f"int{spec.value}"
    shape = spec.shape if isinstance(spec, F32) else spec
    return ("f32:" if isinstance(spec, F32) else "") + ("x".join(map(str, shape)) or "0d")


def draw(spec, domain, rng):
    """An argument of this spec with values from domain."""
    if isinstance(spec, Int):
        return spec.value
    if spec == FLOAT:
        return float(domain(rng, ()))
    if isinstance(spec, F32):
        return np.asarray(domain(rng, spec.shape), dtype=np.float32)
    return np.asarray(domain(rng, spec), dtype=np.float64)


def is_float(a):
    return isinstance(a, (float, np.ndarray))


def as_float64(a):
    """The same numbers in float64, where central differences are taken (a float32 array
    converts exactly)."""
    return a.astype(np.float64) if isinstance(a, np.ndarray) else a


def like(a, rng):
    """Random numbers shaped and typed like a (an array or a float)."""
    if isinstance(a, float):
        return float(rng.standard_normal())
    return np.asarray(rng.standard_normal(np.shape(a)), dtype=np.result_type(a, np.float32))


class Run:
    """One case at one argument list: the arguments, the differentiated positions, and the
    tolerances honest for their dtype."""

    def __init__(self, case, signature, rng):
        self.f, self.rng = case.fn, rng
        domains = case.domain if isinstance(case.domain, tuple) else (case.domain,) * len(signature)
        self.args = tuple(draw(s, d, rng) for s, d in zip(signature, domains))
        self.args64 = tuple(map(as_float64, self.args))
        self.floats = tuple(i for i, a in enumerate(self.args) if is_float(a))
        # a function that rounds to float32 itself (x.astype(np.float32)) needs a step its
        # rounding does not swamp, even at float64 arguments
        rounds = np.result_type(self.f(*self.args64)) == np.float32
        self.step = 1e-3 if rounds else 1e-6
        single = rounds or any(isinstance(s, F32) for s in signature)
        self.rtol, self.atol = (2e-3, 2e-4) if single else (1e-6, 1e-7)

    def close(self, got, expected, what):
        expected = np.asarray(expected, dtype=float)
        assert np.shape(got) == np.shape(expected), f"{what}: shape {np.shape(got)}, expected {np.shape(expected)}"
        scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
        np.testing.assert_allclose(np.asarray(got, dtype=float), expected, rtol=self.rtol, atol=self.atol * scale,
                                   err_msg=what)

    def directions(self):
        """A random tangent for every float argument (None for an int), typed like it."""
        return tuple(like(a, self.rng) if is_float(a) else None for a in self.args)

    def alone(self, i):
        """This run differentiated with respect to argument i only."""
        run = copy.copy(self)
        run.floats = (i,)
        return run


def along(f, args, tangents, step):
    """d/dh f(args + h t) at h = 0 by central differences, for f giving an array or a tuple."""
    def at(h):
        moved = tuple(a if t is None else a + h * as_float64(t) for a, t in zip(args, tangents))
        out = f(*moved)
        return tuple(map(np.asarray, out)) if isinstance(out, tuple) else np.asarray(out)

    hi, lo = at(step), at(-step)
    if isinstance(hi, tuple):
        return tuple((u - v) / (2 * step) for u, v in zip(hi, lo))
    return (hi - lo) / (2 * step)


# -- the second-order tests' functions of a case, written to a file as srcdiff reads source

SECOND_ORDER_SOURCE = '''"""A curved, weighted scalar of the case's function f; its gradient's products with
directions u, and its derivative along them: grad of gradient_along is reverse mode over
reverse mode, grad of derivative_along reverse over forward."""
import numpy as np

import srcdiff


def loss({params}, w):
    return np.sum(np.sin(f({params})) * w)


def gradient_along({params}, w, {directions}):
    g = srcdiff.grad(loss, argnums={argnums})({params}, w)
    return {products}


def derivative_along({params}, w, {directions}):
    return srcdiff.jvp(loss, ({params}, w), ({tangents}, w * 0.0))[1]
'''
_second_order = {}


def second_order(case, floats, folder):
    """The module with loss, gradient_along and derivative_along for case.fn, differentiated
    wrt the arguments at floats."""
    key = (case.fn, floats)
    if key not in _second_order:
        n = len(inspect.signature(case.fn).parameters)
        params = ", ".join(f"a{i}" for i in range(n))
        source = SECOND_ORDER_SOURCE.format(
            params=params, argnums=repr(floats), directions=", ".join(f"u{i}" for i in floats),
            products=" + ".join(f"np.sum(g[{k}] * u{i})" for k, i in enumerate(floats)),
            tangents=", ".join(f"u{i}" if i in floats else "0" for i in range(n)))
        name = f"second_order_{case.fn.__module__.rsplit('.', 1)[-1]}_{case.fn.__name__}_{len(_second_order)}"
        module = import_file(folder / f"{name}.py", source)
        module.f = case.fn
        _second_order[key] = module
    return _second_order[key]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("second_order")


# -- the tests

def check_forward(run):
    tangents = run.directions()
    out, t = srcdiff.jvp(run.f, run.args, tangents)
    run.close(out, run.f(*run.args), "the value jvp returns")
    run.close(t, along(run.f, run.args64, tangents, run.step), "jvp")


def check_reverse(run):
    out, pullback = srcdiff.vjp(run.f, *run.args)
    c = like(out, run.rng)
    grads = pullback(c)

    def weighted(*a):
        return np.sum(as_float64(c) * np.asarray(run.f(*a)))

    for i in run.floats:
        run.close(grads[i], central_difference(weighted, run.args64, i, run.step), f"vjp wrt argument {i}")


def checked_gradient(run, module, w):
    """srcdiff's gradient of the loss (wrt the float arguments), compared with differences
    first, as the second derivatives' reference is its differences."""
    grad = srcdiff.grad(module.loss, argnums=run.floats)
    args = run.args64 + (w,)
    got = grad(*args)
    for k, i in enumerate(run.floats):
        run.close(got[k], central_difference(module.loss, args, i, run.step), f"grad of the loss wrt argument {i}")
    return grad


def check_second(run, order, folder, case):
    module = second_order(case, run.floats, folder)
    w = as_float64(like(run.f(*run.args64), run.rng))
    grad = checked_gradient(run, module, w)
    args, args64 = run.args + (w,), run.args64 + (w,)
    if order == "hessian":
        h = srcdiff.hessian(module.loss, argnums=run.floats)(*args)
        for k, i in enumerate(run.floats):
            for m, j in enumerate(run.floats):
                expected = central_difference(lambda *a: np.asarray(grad(*a)[k], dtype=float), args64, j, run.step)
                run.close(h[k][m], expected, f"hessian block ({i}, {j})")
        return
    u = run.directions()
    hu = along(grad, args64, u + (None,), run.step)
    if order == "jvp-of-grad":
        _, got = srcdiff.jvp(grad, args, u + (np.zeros_like(w),))
    else:
        along_u = module.gradient_along if order == "grad-of-grad" else module.derivative_along
        got = srcdiff.grad(along_u, argnums=run.floats)(*args, *(u[i] for i in run.floats))
    for k, i in enumerate(run.floats):
        run.close(got[k], hu[k], f"{order} wrt argument {i}")


def check_alone(run, order, folder, case):
    for i in run.floats:
        if order == "hessian-alone":
            check_second(run.alone(i), "hessian", folder, case)
            continue
        jacobian = (srcdiff.jacfwd if order == "jacfwd-alone" else srcdiff.jacrev)(run.f, argnums=i)
        run.close(jacobian(*run.args), central_difference(run.f, run.args64, i, run.step), f"{order} wrt argument {i}")


def _params():
    for op, cases in sorted(CASES.items()):
        for case in cases:
            for signature in signatures(case):
                several = sum(not isinstance(s, Int) for s in signature) > 1
                for order in FIRST + SECOND + (ALONE if several else ()):
                    yield pytest.param(op, case, signature, order,
                                       id=f"{op}-{case.fn.__name__}-{','.join(map(spec_id, signature))}-{order}")


@pytest.mark.parametrize("op, case, signature, order", list(_params()))
def test_derivative(op, case, signature, order, folder, request):
    rng = np.random.default_rng(zlib.crc32(request.node.name.encode()))
    run = Run(case, signature, rng)
    if case.refused and order not in case.refused.but:
        with pytest.raises(case.refused.error) as refusal:
            check(run, order, folder, case)
        assert f"{case.fn.__code__.co_filename}:" in str(refusal.value), "the refusal does not say where"
    else:
        check(run, order, folder, case)


def check(run, order, folder, case):
    if order == "forward":
        check_forward(run)
    elif order == "reverse":
        check_reverse(run)
    elif order in ALONE:
        check_alone(run, order, folder, case)
    else:
        check_second(run, order, folder, case)


# -- the table cannot lie: each case's IR holds its primitive

def primitives(fn):
    """The names of the primitives fn's IR applies, in nested regions and called functions too."""
    names, seen = set(), set()

    def walk(block):
        for eqn in block.eqns:
            names.add(eqn.prim.name)
            target = eqn.params.get("function") if eqn.prim is CALL else None
            if target is not None and id(target) not in seen:
                seen.add(id(target))
                walk(target.function.body)
            for sub in eqn.blocks:
                walk(sub)

    walk(fn.body)
    return names


@pytest.mark.parametrize("op, case", [pytest.param(op, case, id=f"{op}-{case.fn.__name__}")
                                      for op, cases in sorted(CASES.items()) for case in cases])
def test_the_case_makes_its_op(op, case):
    run = Run(case, signatures(case)[0], np.random.default_rng(0))
    cache.clear()  # a cached compile runs no stages
    with passes.recording(primitives) as log, contextlib.suppress(case.refused.error if case.refused else ()):
        srcdiff.vjp(case.fn, *run.args)  # a refused case is refused after lowering
    made = set().union(*(names for stage, _, names in log if stage in PRIMAL_STAGES))
    assert op in made, f"{case.fn.__name__}'s IR does not apply {op}, only {sorted(made)}"


# -- the cases notice a wrong rule: each rule's result scaled (a list or a tape doubled),
# some check of the primitive's cases fails

def scaled(x):
    if isinstance(x, (ListUpdate, TapeUpdate)):  # g belongs at one item
        return type(x)(x.index, scaled(x.g))
    if not isinstance(x, T):
        return x
    if is_tape(x.aval) or x.aval.kind == "list":
        return current().apply(TAPE_ADD if is_tape(x.aval) else LIST_ADD, [x, x])
    if x.aval.dtype is not None and x.aval.dtype.kind in "fc":
        return x * 1.5
    return x


def wrong(rule):
    def scaled_rule(*args, **params):
        result = rule(*args, **params)
        return tuple(map(scaled, result)) if isinstance(result, tuple) else scaled(result)

    return scaled_rule


def first_failure(op, folder):
    """The first check of op's cases that fails, None if all pass."""
    for case in CASES[op]:
        for signature in signatures(case)[:2] if not case.refused else ():
            several = sum(not isinstance(s, Int) for s in signature) > 1
            for order in FIRST + SECOND + (ALONE if several else ()):
                try:
                    check(Run(case, signature, np.random.default_rng(0)), order, folder, case)
                except AssertionError as e:
                    return e
    return None


@pytest.mark.parametrize("op, rule", [pytest.param(op, rule, id=f"{op}-{rule}") for op in sorted(CASES)
                                      for rule in ("jvp", "vjp")])
def test_a_wrong_rule_fails_a_case(op, rule, folder, monkeypatch):
    prim = next(p for p in PRIMITIVES if p.name == op)
    monkeypatch.setattr(prim, rule, wrong(getattr(prim, rule)))
    cache.clear()  # nothing compiled with the right rule is reused, ...
    try:
        assert first_failure(op, folder) is not None, f"{op}'s cases pass with its {rule.upper()} rule scaled"
    finally:
        cache.clear()  # ... nor anything compiled with the wrong one

