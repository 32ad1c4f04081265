"""Differential testing: random programs (tests/fuzz_programs.py) differentiated every way.

For each generated `f(x, y)` (x a float array of shape (3,), y a Python float) at
x, y ~ uniform(-1, 1):

1. grad(f, argnums=(0, 1)) agrees with central differences (rtol 1e-5, atol 1e-6);
   inputs within 1e-3 of a branch boundary are skipped (hypothesis.assume);
2. forward mode agrees with reverse mode: jacfwd(f, argnums=0) vs grad (1e-9);
3. the emitted source (srcdiff.source) execs in a fresh namespace and gives the
   same gradient;
4. hessian(f, argnums=0) agrees with central differences of grad(f) in x
   (rtol 1e-4, atol 1e-5).

CI runs 25 programs. For a large on-demand run:

    SRCDIFF_FUZZ_EXAMPLES=1000 python -m pytest tests/test_differential.py -q
"""
import os
import tempfile

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

import srcdiff

from .fuzz_programs import programs
from .numeric import central_difference

EXAMPLES = int(os.environ.get("SRCDIFF_FUZZ_EXAMPLES", "25"))
MIN_MARGIN = 1e-3  # |condition - threshold| below this: too close to a branch boundary

DIRECTORY = tempfile.mkdtemp(prefix="srcdiff_fuzz_")

unit = st.floats(-1.0, 1.0, allow_nan=False, allow_subnormal=False)
inputs = st.tuples(st.lists(unit, min_size=3, max_size=3), unit)

fuzz = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.data_too_large])


def _prepare(program, xy):
    """(f, x, y) for a program at inputs not near a branch boundary, or assume(False)."""
    note(program.source)
    x, y = np.array(xy[0], dtype=float), float(xy[1])
    note(f"x = np.array({x.tolist()!r}); y = {y!r}")
    f, f_instrumented, margins = program.load(DIRECTORY)
    value = f_instrumented(x, y)
    assume(not margins or min(margins) > MIN_MARGIN)
    assume(np.isfinite(value) and abs(value) < 1e4)
    return f, x, y


@fuzz
@given(programs(), inputs)
def test_program(program, xy):
    f, x, y = _prepare(program, xy)
    gx, gy = srcdiff.grad(f, argnums=(0, 1))(x, y)

    # (1) reverse mode vs central differences
    cx, cy = central_difference(f, (x, y), 0), central_difference(f, (x, y), 1)
    np.testing.assert_allclose(gx, cx, rtol=1e-5, atol=1e-6, err_msg="(1) grad wrt x vs central differences")
    np.testing.assert_allclose(gy, cy, rtol=1e-5, atol=1e-6, err_msg="(1) grad wrt y vs central differences")

    # (2) forward mode vs reverse mode
    jx = srcdiff.jacfwd(f, argnums=0)(x, y)
    np.testing.assert_allclose(jx, gx, rtol=1e-9, atol=1e-9, err_msg="(2) jacfwd vs grad wrt x")

    # (3) the emitted source, exec'd on its own
    source = srcdiff.source(srcdiff.grad(f, argnums=(0, 1)), x, y)
    namespace = {}
    exec(compile(source, "<emitted grad_f>", "exec"), namespace)
    ex, ey = namespace["grad_f"](x.copy(), y)
    np.testing.assert_allclose(ex, gx, rtol=1e-12, atol=1e-12, err_msg="(3) emitted source, wrt x")
    np.testing.assert_allclose(ey, gy, rtol=1e-12, atol=1e-12, err_msg="(3) emitted source, wrt y")

    # (4) forward over reverse vs central differences of the gradient
    hx = srcdiff.hessian(f, argnums=0)(x, y)
    g = srcdiff.grad(f, argnums=0)
    ch = central_difference(g, (x, y), 0)
    np.testing.assert_allclose(hx, ch, rtol=1e-4, atol=1e-5, err_msg="(4) hessian vs central differences of grad")
