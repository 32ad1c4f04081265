"""A survey run of the vmap tester (tests/random/fuzz_vmap.py) that records every failure without stopping.

    python -m tests.random.fuzz_vmap_survey N OUT_DIRECTORY [SEED]

draws N programs (both random-program generators) with a seed each, runs the vmap checks
on each, and writes

- OUT_DIRECTORY/results.jsonl: one line per program: its outcome and every check's;
- OUT_DIRECTORY/failures/NNNNN.py: the module that ran, for each program with a failing
  check (suspicious_NNNNN.py for one some check refused with what reads like NumPy's error,
  refused_NNNNN.py for the first program refused with each message): what went wrong at
  its top; `python NNNNN.py` prints expected and got (or raises the refusal);
- OUT_DIRECTORY/summary.txt (also printed): programs by outcome, checks by name and
  outcome, refusals grouped by message, failures grouped by kind with the first file.
"""
import collections
import json
import os
import sys
import time
import traceback

from hypothesis import HealthCheck, given, seed, settings

from .fuzz_vmap import DIRECTORY, programs, run_program, seeds, vmap_available


def main():
    if not vmap_available():
        sys.exit("srcdiff.vmap does not exist yet: nothing to survey")
    n, out = int(sys.argv[1]), sys.argv[2]
    start_seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    failures_dir = os.path.join(out, "failures")
    os.makedirs(failures_dir, exist_ok=True)
    results = open(os.path.join(out, "results.jsonl"), "a")
    programs_by = collections.Counter()
    checks_by = collections.Counter()
    refusals = collections.defaultdict(list)  # group -> [(file or "", check name)]
    failures = collections.defaultdict(list)  # (check name, group) -> [file]
    not_comparable = collections.Counter()
    counter = [len(os.listdir(failures_dir))]
    seen = set()  # hypothesis draws some programs more than once: each is run once
    t0 = time.time()

    def write(name, text):
        with open(os.path.join(failures_dir, name), "w") as fh:
            fh.write(text)

    @seed(start_seed)
    @settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(programs, seeds)
    def run(program, s):
        if program.source in seen:
            programs_by["(drawn again, not run)"] += 1
            return
        seen.add(program.source)
        record = {"seed": s}
        t = time.time()
        try:
            report = run_program(program, s, DIRECTORY)
            record["describe"] = getattr(getattr(report, "subject", None), "describe", "")
            record["outcome"] = report.outcome
            record["reason"] = report.reason
            record["checks"] = [dict(n=c.n, name=c.name, call=c.call, outcome=c.outcome, group=c.group,
                                     detail=(c.detail or "")[:2000]) for c in report.checks]
        except Exception as e:  # noqa: BLE001  (a tester bug: recorded, the survey goes on)
            report = None
            record["outcome"] = "tester error"
            record["reason"] = traceback.format_exc()[-3000:]
            print(f"tester error: {type(e).__name__}: {e}", file=sys.stderr)
        record["seconds"] = round(time.time() - t, 3)
        programs_by[record["outcome"]] += 1
        name = ""
        if report is not None and report.checks:
            failing = report.outcome == "failed"
            suspicious = any(c.outcome == "refused" and c.group.startswith("[suspicious]") for c in report.checks)
            new_refusal = any(c.outcome == "refused" and c.group not in refusals for c in report.checks)
            if (failing or suspicious or new_refusal) and report.text is not None:
                prefix = "" if failing else "suspicious_" if suspicious else "refused_"
                name = f"{prefix}{counter[0]:05d}.py"
                counter[0] += 1
                write(name, report.repro())
                record["file"] = name
            for c in report.checks:
                checks_by[(c.name, c.outcome)] += 1
                if c.outcome == "refused":
                    refusals[c.group].append((name, c.name))
                elif c.outcome == "failed":
                    failures[(c.name, c.group)].append(name)
                elif c.outcome == "not comparable":
                    not_comparable[c.group[:140]] += 1
        elif record["outcome"] in ("invalid", "tester error"):
            name = f"{counter[0]:05d}.py"
            counter[0] += 1
            write(name, f"# {record['outcome']} (seed {s})\n" + "".join(f"# {line}\n" for line in
                                                                    record["reason"].splitlines()[-8:])
                  + program.source)
            record["file"] = name
        results.write(json.dumps(record, default=str) + "\n")
        results.flush()

    run()
    lines = [f"{len(seen)} programs in {time.time() - t0:.0f} s (seed {start_seed})"]
    lines += [f"  {v:6d}  {k}" for k, v in programs_by.most_common()]
    lines.append("checks, by name and outcome:")
    lines += [f"  {v:6d}  {name}: {outcome}" for (name, outcome), v in sorted(checks_by.items())]
    lines.append("refusals, by message (checks, first file):")
    for group, items in sorted(refusals.items(), key=lambda kv: -len(kv[1])):
        names = collections.Counter(c for _, c in items)
        first = next((f for f, _ in items if f), "")
        lines.append(f"  {len(items):6d}  {group}{f'  [{first}]' if first else ''}")
        lines.append(f"          in: {', '.join(f'{c} {k}' for c, k in names.most_common())}")
    lines.append("not comparable, by reason:")
    lines += [f"  {v:6d}  {k}" for k, v in not_comparable.most_common()]
    lines.append("failures, by check and kind (checks, first file):")
    for (name, group), files in sorted(failures.items(), key=lambda kv: -len(kv[1])):
        lines.append(f"  {len(files):6d}  {name}: {group}  [{files[0]}]")
    text = "\n".join(lines)
    with open(os.path.join(out, "summary.txt"), "w") as fh:
        fh.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
