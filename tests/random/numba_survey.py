"""A survey of the numba backend on the differential tester's random programs.

    SRCDIFF_CACHE_DIR=$(mktemp -d) OPENBLAS_NUM_THREADS=1 \\
        python -m tests.random.numba_survey N OUT_DIRECTORY SEED [EVERY] [--differential]
            [--transforms=grad,jacfwd,hessian]

draws N programs with inputs (tests/random/fuzz_programs.py, hypothesis seeded with SEED),
skips those near a kink or of a non-finite value (as tests/random/fuzz_survey.py does), and
runs numba_share.numba_check on every EVERY-th of the rest (default 1: all of them); with
--differential, the NumPy checks of tests/random/test_differential.py (check) on each too;
--transforms: which of numba_share.TRANSFORMS to compare (default grad alone).
It appends one line per program and transformation to OUT_DIRECTORY/results.jsonl: "outcome" (numba_share's,
or "skipped", or "not shared"), the fallback's "reason", and for failures the program's
source, inputs, both values and the numba module's source; then prints the counts of the
outcomes and of the fallback reasons.
"""
import json
import os
import sys
import time
import traceback

from hypothesis import HealthCheck, given, seed, settings

from .fuzz_programs import programs
from .fuzz_survey import _kind, _prepare_outside
from .numba_share import FAILURES, TRANSFORMS, numba_check, numba_source, reason_group, share
from .test_differential import check, inputs


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    differential = "--differential" in argv
    transforms = ["grad"]
    for a in argv:
        if a.startswith("--transforms="):
            transforms = a.split("=", 1)[1].split(",")
    argv = [a for a in argv if a != "--differential" and not a.startswith("--transforms=")]
    n, out, start_seed = int(argv[0]), argv[1], int(argv[2])
    every = int(argv[3]) if len(argv) > 3 else 1
    os.makedirs(out, exist_ok=True)
    results = open(os.path.join(out, "results.jsonl"), "a")
    counts, reasons, groups = {}, {}, {}
    drawn = [0]

    @seed(start_seed)
    @settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(programs(), inputs)
    def run(program, xy):
        index = drawn[0]
        drawn[0] += 1
        base = {"seed": start_seed, "index": index, "x": list(xy[0]), "y": xy[1]}
        t0 = time.time()
        try:
            f, x, y = _prepare_outside(program, xy)
        except Exception as e:  # noqa: BLE001  (the program itself failed: not srcdiff's)
            f, base["prepare_error"] = None, f"{type(e).__name__}: {e}"[:500]
        if f is not None and differential:
            try:
                check(f, x, y, hessian=program.check_hessian)
                base["differential"] = "ok"
            except Exception as e:  # noqa: BLE001
                base["differential"] = _kind(e)
                base["differential_error"] = str(e)[:3000]
                base["differential_traceback"] = traceback.format_exc()[-6000:]
        if f is None:
            records = [dict(base, outcome="skipped")]
        elif not share(index, every):
            records = [dict(base, outcome="not shared")]
        else:
            records = []
            for transform in transforms:
                record = dict(base)
                record.update(numba_check(f, x, y, transform))
                records.append(record)
        for record in records:
            record["seconds"] = round(time.time() - t0, 3)
            failed = record["outcome"] in FAILURES or record.get("differential", "ok") != "ok"
            if failed or record["outcome"] == "numba fell back":
                record["source"] = program.f_source()
            if record["outcome"] in FAILURES:
                record["numba_source"] = numba_source(f, x, y, record["transform"])
            key = record["outcome"] if len(transforms) == 1 or "transform" not in record else \
                f"{record['transform']}: {record['outcome']}"
            counts[key] = counts.get(key, 0) + 1
            if "reason" in record:
                reasons[record["reason"]] = reasons.get(record["reason"], 0) + 1
                group = reason_group(record["reason"])
                groups[group] = groups.get(group, 0) + 1
            results.write(json.dumps(record, default=str) + "\n")
        results.flush()
        if base.get("differential", "ok") != "ok":
            key = "differential: " + base["differential"]
            counts[key] = counts.get(key, 0) + 1

    t0 = time.time()
    run()
    print(f"seed {start_seed}: {drawn[0]} programs in {time.time() - t0:.0f} s")
    for k, v in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"{v:6d}  {k}")
    if groups:
        print("fallback reasons:")
        for k, v in sorted(groups.items(), key=lambda kv: -kv[1]):
            print(f"{v:6d}  {k}")
    return counts


if __name__ == "__main__":
    main()
