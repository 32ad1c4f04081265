"""Differential testing: random programs (tests/random/fuzz_programs.py) differentiated every way.

For each generated `f(x, y)` (x a float array of shape (3,), y a Python float) at
x, y ~ uniform(-1, 1):

1. grad(f, argnums=(0, 1)) agrees with central differences (rtol 1e-5, atol 1e-6);
   inputs within 1e-3 of a branch boundary are skipped (hypothesis.assume);
2. forward mode agrees with reverse mode: jacfwd(f, argnums=0) vs grad (1e-9);
3. the emitted source (srcdiff.source) execs in a fresh namespace and gives the
   same gradient;
4. hessian(f, argnums=0) agrees with central differences of grad(f) in x
   (rtol 1e-4, atol 1e-5).

CI runs 25 programs, the same ones every run (tests/conftest.py), and the minimal
reproductions of known bugs. For a large on-demand run of programs no run drew before:

    SRCDIFF_HYPOTHESIS_RANDOM=1 SRCDIFF_FUZZ_EXAMPLES=1000 python -m pytest tests/random/test_differential.py -q
"""
import os
import tempfile

import hypothesis
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, given, note, settings
from hypothesis import strategies as st

import srcdiff

from .fuzz_programs import programs
from tests.numeric import extrapolated_difference

EXAMPLES = int(os.environ.get("SRCDIFF_FUZZ_EXAMPLES", "25"))
MIN_MARGIN = 1e-3  # |condition - threshold| below this: too close to a branch boundary

DIRECTORY = tempfile.mkdtemp(prefix="srcdiff_fuzz_")

# x, y ~ uniform(-1, 1) from a drawn seed: hypothesis' own floats favour 0.0 and +-1.0,
# which sit on the kinks (x[0] > 0.0, np.maximum(x, 0.0)) the programs branch on.
inputs = st.integers(0, 2 ** 32 - 1).map(
    lambda s: (lambda u: (u[:3].tolist(), float(u[3])))(np.random.default_rng(s).uniform(-1.0, 1.0, 4)))

fuzz = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.data_too_large])


def _prepare(program, xy):
    """(f, x, y) for a program at inputs not near a kink (a branch boundary, a tie of
    maximum/minimum, abs at 0), or assume(False). f may write into its argument x, as
    Python lets it: every call of the Python function gets a copy."""
    note(program.source)
    x, y = np.array(xy[0], dtype=float), float(xy[1])
    note(f"x = np.array({x.tolist()!r}); y = {y!r}")
    f, f_instrumented, margins = program.load(DIRECTORY)
    value = f_instrumented(x.copy(), y)
    assume(not margins or min(margins) > MIN_MARGIN)
    assume(np.isfinite(value) and abs(value) < 1e4)
    return f, x, y


def _copying(f):
    """f called on a copy of its array argument (the generated programs may write into it)."""
    def g(x, y):
        return f(np.array(x, dtype=float), y)
    return g


# Refusals documented in README.md ("Known limitations") and grammar.md; any other
# exception is a failure.
DOCUMENTED_REFUSALS = [
    "are one array before the loop, and the loop writes into it but binds the names apart",
    "on some paths through the",
    "that this loop writes into; the write changes",
    "is a view of another array",
    "only if the reshape made a view rather than a copy",
]


def _documented(step, error):
    message = str(error)
    if isinstance(error, srcdiff.SrcdiffError) and any(r in message for r in DOCUMENTED_REFUSALS):
        try:
            event(f"documented refusal in {step}: {message.splitlines()[0].split(': ', 1)[-1]}")
        except hypothesis.errors.InvalidArgument:
            pass  # outside a hypothesis test (the regression tests, tests/random/fuzz_survey.py)
        return True
    return False


@fuzz
@given(programs(), inputs)
def test_program(program, xy):
    check(*_prepare(program, xy), hessian=program.check_hessian)


def check(f, x, y, hessian=True):
    """The four checks on one program at one input (also used by tests/random/fuzz_survey.py)."""
    x_before = x.copy()
    try:
        gx, gy = srcdiff.grad(f, argnums=(0, 1))(x, y)
    except srcdiff.SrcdiffError as e:
        if not _documented("grad", e):
            raise
        return
    np.testing.assert_array_equal(x, x_before, err_msg="grad(f) modified its argument")
    pf = _copying(f)

    # (1) reverse mode vs central differences (extrapolated: a program may curve hard)
    cx, cy = extrapolated_difference(pf, (x, y), 0)[0], extrapolated_difference(pf, (x, y), 1)[0]
    np.testing.assert_allclose(gx, cx, rtol=1e-5, atol=1e-6, err_msg="(1) grad wrt x vs central differences")
    np.testing.assert_allclose(gy, cy, rtol=1e-5, atol=1e-6, err_msg="(1) grad wrt y vs central differences")

    # (2) forward mode vs reverse mode
    try:
        jx = srcdiff.jacfwd(f, argnums=0)(x, y)
    except srcdiff.SrcdiffError as e:
        if not _documented("jacfwd", e):
            raise
    else:
        np.testing.assert_array_equal(x, x_before, err_msg="jacfwd(f) modified its argument")
        np.testing.assert_allclose(jx, gx, rtol=1e-9, atol=1e-9, err_msg="(2) jacfwd vs grad wrt x")

    # (3) the emitted source, exec'd on its own
    source = srcdiff.source(srcdiff.grad(f, argnums=(0, 1)), x, y)
    namespace = {}
    exec(compile(source, "<emitted grad_f>", "exec"), namespace)
    ex, ey = namespace["grad_" + f.__name__](x.copy(), y)
    np.testing.assert_allclose(ex, gx, rtol=1e-12, atol=1e-12, err_msg="(3) emitted source, wrt x")
    np.testing.assert_allclose(ey, gy, rtol=1e-12, atol=1e-12, err_msg="(3) emitted source, wrt y")

    # (4) forward over reverse vs central differences of the gradient
    if not hessian:
        return
    try:
        hx = srcdiff.hessian(f, argnums=0)(x, y)
    except srcdiff.SrcdiffError as e:
        if not _documented("hessian", e):
            raise
    else:
        g = srcdiff.grad(f, argnums=0)
        ch = extrapolated_difference(g, (x, y), 0)[0]
        np.testing.assert_allclose(hx, ch, rtol=1e-4, atol=1e-5, err_msg="(4) hessian vs central differences of grad")


# Minimal reproductions of what the random programs found (tests/random/differential_repros.py
# says what each got wrong). FIXED ones run as tests; OPEN ones are strict xfails, so a
# fix makes them pass and the mark has to go.
from . import differential_repros as _repros  # noqa: E402

FIXED = [
    "alias_write_in_loop",
    "alias_of_argument_write_in_loop",
    "alias_write_in_two_branches",
    "outer_appended_in_loop",
    "concat_list_literal",
    "builtin_sum_of_list",
    "builtin_sum_of_loop_list",
    "dot_of_list_array",
    "hessian_of_list_items",
    "hessian_of_stacked_list",
    "jacfwd_alias_write_in_branch",
    "loop_slice_mul",
    "copy_write_dot_in_loop",
    "name_of_a_cond_out_reused",
    "unbroadcast_tangent_written_into",
    "tangent_appended_then_written",
    "dot_of_lists_built_under_a_branch",
    "alias_on_one_path_written_in_a_loop",
    "hessian_through_a_branch_and_outer",
    "tangents_carried_from_one_value",
    "tangent_written_at_a_loop_s_end",
    "hessian_of_a_loop_sum",
    "view_then_write_into_its_array",
    "view_seen_through_a_helper_s_write",
    "array_of_its_own_item_in_a_loop",
    "list_item_copied_then_written_in_a_loop",
]
OPEN = []


@pytest.mark.parametrize("name", FIXED)
def test_found_bug_stays_fixed(name):
    check(getattr(_repros, name), np.array([0.3, -0.5, 0.8]), 0.4)


@pytest.mark.xfail(strict=True, reason="srcdiff bug found by the random-program tester")
@pytest.mark.parametrize("name", OPEN or [pytest.param("none", marks=pytest.mark.skip("no open bugs"))])
def test_repro(name):
    check(getattr(_repros, name), np.array([0.3, -0.5, 0.8]), 0.4)
