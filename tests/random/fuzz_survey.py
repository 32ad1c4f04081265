"""A survey run of the differential tester that does not stop at the first failure.

    python -m tests.random.fuzz_survey N OUT_DIRECTORY [SEED]

draws N programs with inputs (tests/random/fuzz_programs.py), runs the checks of
tests/random/test_differential.py on each, and writes OUT_DIRECTORY/results.jsonl, one line
per program: its outcome ("ok", "skipped" near a kink or non-finite, or the failing
check and exception) and, for failures, the program's source and inputs.
"""
import json
import os
import re
import sys
import time
import traceback

import numpy as np
from hypothesis import HealthCheck, given, seed, settings

from .fuzz_programs import programs
from .test_differential import DIRECTORY, MIN_MARGIN, check, inputs



def _kind(error):
    """A short classification of a failure."""
    message = str(error)
    first = message.strip().splitlines()[0] if message.strip() else ""
    if isinstance(error, AssertionError):
        for line in message.splitlines():
            if line.strip().startswith("("):
                return "mismatch " + line.strip().split(" vs ")[0].split(",")[0]
            if "modified its argument" in line:
                return "argument modified"
        return "assertion " + first[:80]
    cause = error.__cause__ or error.__context__ if "internal error" in first else None
    inner = cause if cause is not None else error
    tb = traceback.extract_tb(inner.__traceback__)
    inside = [fr for fr in tb if "/srcdiff/" in fr.filename]
    where = f"{os.path.relpath(inside[-1].filename, os.path.dirname(os.path.dirname(inside[-1].filename)))}" \
        f":{inside[-1].lineno}" if inside else "?"
    text = f"{type(inner).__name__}: {str(inner).strip().splitlines()[0] if str(inner).strip() else ''}"
    text = re.sub(r"/tmp/\S+?\.py:\d+:? ?", "", text)
    return f"{'internal ' if cause is not None else ''}{text[:100]} [{where}]"


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    start_seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    os.makedirs(out, exist_ok=True)
    results = open(os.path.join(out, "results.jsonl"), "a")
    counts = {}

    @seed(start_seed)
    @settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(programs(), inputs)
    def run(program, xy):
        record = {"source": program.f_source(), "x": list(xy[0]), "y": xy[1]}
        t0 = time.time()
        try:
            f, x, y = _prepare_outside(program, xy)
            if f is None:
                record["outcome"] = "skipped"
            else:
                check(f, x, y, hessian=program.check_hessian)
                record["outcome"] = "ok"
        except Exception as e:  # noqa: BLE001  (a survey records every failure)
            record["outcome"] = "fail"
            record["kind"] = _kind(e)
            record["error"] = str(e)[:3000]
            record["traceback"] = traceback.format_exc()[-12000:]
        record["seconds"] = round(time.time() - t0, 3)
        if record["outcome"] != "fail":
            record.pop("source")
        counts[record.get("kind", record["outcome"])] = counts.get(record.get("kind", record["outcome"]), 0) + 1
        results.write(json.dumps(record) + "\n")
        results.flush()

    run()
    for k, v in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"{v:6d}  {k}")


def _prepare_outside(program, xy):
    """_prepare without hypothesis' assume: (None, None, None) where it would skip."""
    x, y = np.array(xy[0], dtype=float), float(xy[1])
    f, f_instrumented, margins = program.load(DIRECTORY)
    value = f_instrumented(x.copy(), y)
    if (margins and min(margins) <= MIN_MARGIN) or not (np.isfinite(value) and abs(value) < 1e4):
        return None, None, None
    return f, x, y


if __name__ == "__main__":
    main()
