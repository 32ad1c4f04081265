"""The numba backend against the NumPy backend on a few random programs (numba_share.py).

Eight programs of a fixed hypothesis seed (the same ones every run): each gradient with
backend="numba" must equal the NumPy backend's (rtol 1e-12, atol 1e-12, same shapes,
dtypes and types) or fall back to it with a NumbaFallback warning, leave its arguments
alone and leave the NumPy backend's result as it was. More programs, new ones:

    SRCDIFF_FUZZ_NUMBA_EXAMPLES=40 SRCDIFF_FUZZ_NUMBA_SEED=7 python -m pytest tests/random/test_numba_share.py
    python -m tests.random.numba_survey N OUT_DIRECTORY SEED      (does not stop at a failure)

SRCDIFF_FUZZ_NUMBA_EVERY=k checks every k-th program drawn (default 1);
SRCDIFF_FUZZ_NUMBA_TRANSFORMS=grad,jacfwd,hessian compares more of numba_share.TRANSFORMS
than grad.
"""
import json
import os
import tempfile

import pytest

pytest.importorskip("numba")

from hypothesis import HealthCheck, Phase, event, given, seed, settings  # noqa: E402

from .fuzz_programs import programs  # noqa: E402
from .fuzz_survey import _prepare_outside  # noqa: E402
from .numba_share import FAILURES, numba_check, numba_source, share  # noqa: E402
from .test_differential import inputs  # noqa: E402

EXAMPLES = int(os.environ.get("SRCDIFF_FUZZ_NUMBA_EXAMPLES", "8"))
SEED = int(os.environ.get("SRCDIFF_FUZZ_NUMBA_SEED", "20240613"))
EVERY = int(os.environ.get("SRCDIFF_FUZZ_NUMBA_EVERY", "1"))
TRANSFORMS = os.environ.get("SRCDIFF_FUZZ_NUMBA_TRANSFORMS", "grad").split(",")


@pytest.fixture(scope="module", autouse=True)
def numba_cache_dir():
    """numba's compiled code in a directory of the test's own, not ~/.cache."""
    before = os.environ.get("SRCDIFF_CACHE_DIR")
    os.environ["SRCDIFF_CACHE_DIR"] = tempfile.mkdtemp(prefix="srcdiff_numba_share_")
    yield
    if before is None:
        del os.environ["SRCDIFF_CACHE_DIR"]
    else:
        os.environ["SRCDIFF_CACHE_DIR"] = before


def test_numba_agrees_with_numpy():
    drawn, outcomes = [0], []

    @seed(SEED)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=False, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(programs(), inputs)
    def run(program, xy):
        index = drawn[0]
        drawn[0] += 1
        f, x, y = _prepare_outside(program, xy)
        if f is None or not share(index, EVERY):
            return
        for transform in TRANSFORMS:
            record = numba_check(f, x, y, transform)
            outcomes.append(record["outcome"])
            event(record["outcome"] + (f": {record['reason']}" if "reason" in record else ""))
            if record["outcome"] in FAILURES:
                shown = {k: v for k, v in record.items() if k != "traceback"}
                pytest.fail(f"{transform}: {record['outcome']}\n{program.f_source()}\n"
                            f"{json.dumps(shown, indent=1, default=str)}\n{record.get('traceback', '')}\n"
                            f"numba module:\n{numba_source(f, x, y, transform)}")

    run()
    print("numba outcomes:", {o: outcomes.count(o) for o in sorted(set(outcomes))})
    assert outcomes, "no program was checked (all near a kink?)"
