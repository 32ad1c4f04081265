"""A survey run of the higher-order tester that records every failure without stopping.

    python -m tests.random.fuzz_higher_survey N OUT_DIRECTORY [SEED] [--all] [--only TAG]

draws N programs with inputs (tests/random/fuzz_higher.py), runs every check of
tests/random/test_higher_fuzz.py on each (with --all also those KNOWN_BUGS covers, which are
otherwise skipped; with --only TAG only the programs with that tag, e.g. float32,
loop_index, fancy_write), and writes

- OUT_DIRECTORY/results.jsonl: one line per program: its outcome, tags, and every check
  that did not agree (mode, outcome, group, detail, the KNOWN_BUGS entries covering it);
- OUT_DIRECTORY/failures/NNNNN.py: each failing program's module, with its inputs and
  failures in a comment at the top (import it and call the modes to reproduce), and
  suspicious_NNNNN.py for a program some mode refused with what reads like NumPy's error;
- OUT_DIRECTORY/summary.txt (also printed): programs by outcome, checks by outcome, the
  refusals grouped by message, and the failures grouped by mode and kind, with the
  number of programs and the first file of each group.
"""
import collections
import json
import os
import sys
import time
import traceback

from hypothesis import HealthCheck, given, seed, settings

from .fuzz_higher import inputs, programs
from .test_higher_fuzz import arguments, run_program


def main():
    argv = [a for a in sys.argv[1:] if a != "--all"]
    run_known = "--all" in sys.argv[1:]
    only = None
    if "--only" in argv:
        only = argv[argv.index("--only") + 1]
        argv.remove("--only")
        argv.remove(only)
    n, out = int(argv[0]), argv[1]
    start_seed = int(argv[2]) if len(argv) > 2 else 0
    failures_dir = os.path.join(out, "failures")
    os.makedirs(failures_dir, exist_ok=True)
    results = open(os.path.join(out, "results.jsonl"), "a")
    programs_by = collections.Counter()
    checks_by = collections.Counter()
    refusals = collections.Counter()
    failures = collections.defaultdict(list)
    counter = [len(os.listdir(failures_dir))]
    seen = set()  # hypothesis draws some programs more than once: each is run once
    t0 = time.time()

    @seed(start_seed)
    @settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(programs(), inputs)
    def run(program, s):
        if only is not None and only not in program.tags:
            programs_by["(without the tag, not run)"] += 1
            return
        key = (program.source, program.dtype, program.zeros, program.complex_check)
        if key in seen:
            programs_by["(drawn again, not run)"] += 1
            return
        seen.add(key)
        record = {"seed": s, "describe": program.describe(), "tags": sorted(program.tags)}
        t = time.time()
        try:
            report = run_program(program, s, run_known=run_known)
            record["seed"] = s = report.seed
            record["outcome"] = report.outcome
            record["reason"] = report.reason
            record["checks"] = [c for c in report.checks if c["outcome"] != "agreed"]
            # which KNOWN_BUGS entries cover checks that agreed (an entry broader than its bug)
            record["agreed_known"] = collections.Counter(k for c in report.checks if c["outcome"] == "agreed"
                                                         for k in c["known"])
            for c in report.checks:
                checks_by[c["outcome"]] += 1
                if c["outcome"] == "refused":
                    refusals[c["group"]] += 1
        except Exception as e:  # noqa: BLE001  (a tester bug: recorded, the survey goes on)
            record["outcome"] = "tester error"
            record["reason"] = traceback.format_exc()[-3000:]
            report = None
            print(f"tester error: {type(e).__name__}: {e}", file=sys.stderr)
        record["seconds"] = round(time.time() - t, 3)
        programs_by[record["outcome"]] += 1
        suspicious = [c for c in record.get("checks", []) if c["outcome"] == "refused"
                      and c["group"].startswith("[suspicious]")]
        if suspicious:  # a refusal that reads like NumPy's error: kept, to see whether it is spurious
            name = f"suspicious_{counter[0]:05d}.py"
            counter[0] += 1
            record["file"] = name
            vals = arguments(program, s)
            head = [f"# suspicious refusal: {program.describe()}", f"# seed {s}: args {vals['args64']!r}"]
            head += [f"# {c['variant']} {c['mode']}: {c['group']}"[:400] for c in suspicious]
            with open(os.path.join(failures_dir, name), "w") as fh:
                fh.write("\n".join(head) + "\n" + program.source)
        if record["outcome"] in ("failed", "invalid", "tester error"):
            name = f"{counter[0]:05d}.py"
            counter[0] += 1
            record["file"] = name
            vals = arguments(program, s)
            head = [f"# {record['outcome']}: {program.describe()}", f"# seed {s}: args {vals['args64']!r}"]
            if record.get("reason"):
                head += ["# " + line for line in record["reason"].splitlines()[-6:]]
            for c in record.get("checks", []):
                if c["outcome"] in ("disagreed", "internal"):
                    head.append(f"# {c['variant']} {c['mode']}: {c['outcome']}: {c['group']} {c['detail']}"[:400])
                    failures[(c["outcome"], c["group"])].append((name, c["mode"], c["known"]))
            with open(os.path.join(failures_dir, name), "w") as fh:
                fh.write("\n".join(head) + "\n" + program.source)
        results.write(json.dumps(record, default=str) + "\n")
        results.flush()

    run()
    lines = [f"{len(seen)} programs in {time.time() - t0:.0f} s (seed {start_seed}"
             f"{', known bugs run too' if run_known else ', known bugs skipped'})"]
    lines += [f"  {v:6d}  {k}" for k, v in programs_by.most_common()]
    lines.append("checks:")
    lines += [f"  {v:6d}  {k}" for k, v in checks_by.most_common()]
    lines.append("refusals, by message:")
    lines += [f"  {v:6d}  {k}" for k, v in refusals.most_common()]
    lines.append("failures, by kind (programs, checks, first file, modes, known bugs covering them):")
    for (outcome, group), items in sorted(failures.items(), key=lambda kv: -len({i[0] for i in kv[1]})):
        known = sorted({k for _, _, ks in items for k in ks})
        new = [i for i in items if not i[2]]
        modes = collections.Counter(m for _, m, _ in items)
        lines.append(f"  {len({i[0] for i in items}):5d} {len(items):5d}  {outcome}: {group}  [{items[0][0]}]")
        lines.append(f"              modes: {', '.join(f'{m} {k}' for m, k in modes.most_common())}")
        lines.append(f"              {'known: ' + ', '.join(known) if known else ''}"
                     f"{f'  NEW in {len(new)} checks [{new[0][0]}]' if new else ''}")
    text = "\n".join(lines)
    with open(os.path.join(out, "summary.txt"), "w") as fh:
        fh.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
