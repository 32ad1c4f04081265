"""srcdiff against hand-written NumPy gradients (and autograd, JAX, PyTorch when installed).

    python -m benchmarks.run [--quick] [--only NAME]

Every system's gradient is checked against the hand-written one for every workload
(np.testing.assert_allclose, rtol=1e-8, atol=1e-10); a system that fails the check (an error
or a mismatch) is reported with the error and not timed, the others go on, and the run exits
with status 1. Each workload is timed in microseconds per call (median of repeats after a
warm-up, benchmarks.timing; the objective, the hand-written gradient and srcdiff's are timed in
turn within each repeat, and their ratios are the medians of the per-repeat ratios), with
srcdiff's time to first gradient, and the table is printed. The
NumPy systems are checked and timed first, before any peer is imported. See benchmarks/README.md
for the columns.
"""
import argparse
import importlib
import importlib.metadata
import importlib.util
import inspect
import os
import platform
import statistics
import sys
import time

import numpy as np

import srcdiff

from .timing import interleaved_samples, interleaved_us, median_ratio, per_call_us, steady_allocator
from .workloads import WORKLOADS, rebind

RTOL, ATOL = 1e-8, 1e-10


# ---------------------------------------------------------------------------
# systems: each sets up a zero-argument call computing the gradient for one workload,
# and a function turning what the call returns into a tuple of NumPy values to check


def _version(dist):
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "?"


class System:
    def __init__(self, name, setup, version=None):
        self.name = name
        self.setup = setup  # (workload, args) -> (call, to_numpy)
        self.version = version


def _packed(indices, args):
    params = tuple(args[i] for i in indices)

    def full(params):
        a = list(args)
        for i, p in zip(indices, params):
            a[i] = p
        return a

    return params, full


def setup_srcdiff(w, args):
    g = srcdiff.grad(w.objective, argnums=w.argnums)
    return (lambda: g(*args)), tuple


def make_autograd():
    autograd = importlib.import_module("autograd")
    anp = importlib.import_module("autograd.numpy")

    def setup(w, args):
        f = rebind(w.objective, anp)
        params, full = _packed(w.argnums, args)
        dloss = autograd.grad(lambda params: f(*full(params)))  # gradient wrt the tuple of parameters
        return (lambda: dloss(params)), tuple

    return System("autograd", setup, _version("autograd"))


def make_jax(jit):
    jax = importlib.import_module("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = importlib.import_module("jax.numpy")

    def setup(w, args):
        gf = jax.grad(rebind(w.objective, jnp), argnums=w.argnums)
        if jit:
            gf = jax.jit(gf)
        jargs = tuple(jnp.asarray(a) if isinstance(a, np.ndarray) else a for a in args)
        return (lambda: jax.block_until_ready(gf(*jargs))), (lambda out: tuple(np.asarray(g) for g in out))

    return System("jax.jit" if jit else "jax", setup, jax.__version__)


def make_torch():
    torch = importlib.import_module("torch")
    from .torch_workloads import OBJECTIVES

    def setup(w, args):
        f = OBJECTIVES[w.objective.__name__]
        base = [torch.tensor(args[i], dtype=torch.float64) for i in w.argnums]
        rest = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args]

        def call():
            leaves = [b.detach().requires_grad_() for b in base]  # fresh leaves sharing the data
            full = list(rest)
            for i, leaf in zip(w.argnums, leaves):
                full[i] = leaf
            f(*full).backward()
            return tuple(leaf.grad for leaf in leaves)

        return call, (lambda out: tuple(g.numpy() for g in out))

    return System("torch", setup, torch.__version__)


def peers():
    """The optional peers that are installed, and a note on each one that is not."""
    systems, notes = [], []
    for module, makers in (("autograd", [make_autograd]), ("jax", [lambda: make_jax(False), lambda: make_jax(True)]),
                           ("torch", [make_torch])):
        if importlib.util.find_spec(module) is None:
            notes.append(f"{module}: not installed, skipped")
            continue
        try:
            systems += [make() for make in makers]
        except Exception as e:  # installed but broken (jax without jaxlib, ...)
            notes.append(f"{module}: cannot be imported ({type(e).__name__}: {e}), skipped")
    return systems, notes


# ---------------------------------------------------------------------------
# checking


class Failure(Exception):
    pass


def check(system, w, got, hand):
    names = list(inspect.signature(w.objective).parameters)
    if len(got) != len(hand):
        raise Failure(f"{system.name} returned {len(got)} gradient(s) for {w.name}, expected {len(hand)}")
    for argnum, g, h in zip(w.argnums, got, hand):
        what = f"{system.name} gradient of {w.objective.__name__} wrt {names[argnum]} (argument {argnum})"
        if np.shape(g) != np.shape(h):
            raise Failure(f"{what} has shape {np.shape(g)}, the hand-written one {np.shape(h)}")
        try:
            np.testing.assert_allclose(np.asarray(g, dtype=float), h, rtol=RTOL, atol=ATOL)
        except AssertionError as e:
            diff = np.abs(np.asarray(g, dtype=float) - h)
            raise Failure(f"{what} differs from the hand-written gradient (largest absolute difference "
                          f"{np.max(diff):.3g}, relative {np.max(diff / np.maximum(np.abs(h), 1e-300)):.3g}):{e}") from None


def describe(e):
    if isinstance(e, Failure):
        return str(e)
    return f"{type(e).__name__}: {e}"


# ---------------------------------------------------------------------------
# formatting


def fmt_us(v):
    return f"{v:,.2f}" if v < 10 else f"{v:,.1f}" if v < 100 else f"{v:,.0f}"


def fmt_ms(v):
    return f"{v:,.2f}" if v < 10 else f"{v:,.1f}" if v < 100 else f"{v:,.0f}"


def print_table(header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    line = lambda cells: "| " + " | ".join(
        str(c).ljust(wd) if i == 0 else str(c).rjust(wd) for i, (c, wd) in enumerate(zip(cells, widths))) + " |"
    print(line(header))
    print("| " + " | ".join(("-" * wd) if i == 0 else ("-" * (wd - 1) + ":") for i, wd in enumerate(widths)) + " |")
    for r in rows:
        print(line(r))


# ---------------------------------------------------------------------------


def select(only):
    if not only:
        return WORKLOADS
    exact = [w for w in WORKLOADS if w.name == only]
    chosen = exact or [w for w in WORKLOADS if only in w.name]
    if not chosen:
        sys.exit(f"no workload named {only!r}; workloads: {', '.join(w.name for w in WORKLOADS)}")
    return chosen


def first_gradient_seconds(w, args, trials):
    """Parse, transform, emit and exec, then one call: a fresh grad object on an empty cache."""
    times = []
    for _ in range(trials):
        srcdiff.cache.clear()
        g = srcdiff.grad(w.objective, argnums=w.argnums)
        start = time.perf_counter()
        g(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer and shorter repeats: a fast sanity run")
    parser.add_argument("--only", metavar="NAME", help="one workload (or the workloads whose name contains NAME)")
    opts = parser.parse_args(argv)
    repeats, min_time, trials = (3, 0.01, 1) if opts.quick else (7, 1.0, 5)
    own_repeats = repeats if opts.quick else 21  # shorter repeats, more of them: the ratios' medians
    workloads = select(opts.only)
    own = System("srcdiff", setup_srcdiff, getattr(srcdiff, "__version__", "?"))
    steady = steady_allocator()
    print(f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} cores, "
          f"{platform.machine()}; srcdiff {own.version}; "
          + ("freed memory kept in the process (benchmarks/README.md)" if steady else "default allocator"))
    inputs = {w.name: w.inputs() for w in workloads}
    hands = {w.name: w.hand_grad(*inputs[w.name]) for w in workloads}
    failures = []  # (workload, system, message)
    calls = {}     # (workload name, system name) -> zero-argument gradient call
    first_call = {}

    def check_all(systems):
        """Check every system against the hand-written gradient for every workload."""
        print(f"\nchecking gradients against the hand-written ones (rtol={RTOL:g}, atol={ATOL:g}):")
        for w in workloads:
            args = inputs[w.name]
            status = []
            for s in systems:
                try:
                    call, to_numpy = s.setup(w, args)
                    start = time.perf_counter()
                    out = call()
                    first_call[w.name, s.name] = time.perf_counter() - start
                    check(s, w, to_numpy(out), hands[w.name])
                except Exception as e:
                    failures.append((w.name, s.name, describe(e)))
                    status.append(f"{s.name} FAILED")
                    continue
                calls[w.name, s.name] = call
                status.append(f"{s.name} ok")
            print(f"  {w.name:18} " + ", ".join(status))

    # 1. NumPy only: importing jax or torch changes how fast NumPy runs some expressions in
    # this process (benchmarks/README.md), so the objective, the hand-written gradient and
    # srcdiff's are checked and timed before any peer is imported
    check_all([own])
    print(f"\ntiming ({'quick: ' if opts.quick else ''}median of {own_repeats} repeats, each at least "
          f"{min_time / own_repeats * 1e3:.1f} ms of calls, after a warm-up) ...", flush=True)
    rows = {}
    src_times = {}  # workload -> (first gradient s, per call µs)
    for w in workloads:
        args = inputs[w.name]
        timed = [lambda: w.objective(*args), lambda: w.hand_grad(*args)]
        if (w.name, "srcdiff") in calls:
            timed.append(calls[w.name, "srcdiff"])
        samples = interleaved_samples(timed, own_repeats, min_time)
        t_obj, t_hand, *t_own = (statistics.median(s) for s in samples)
        row = [w.name, fmt_us(t_obj), fmt_us(t_hand)]
        if t_own:
            t_src = t_own[0]
            first = first_gradient_seconds(w, args, trials) - t_src * 1e-6
            src_times[w.name] = first, t_src
            row += [fmt_us(t_src), f"{median_ratio(samples[2], samples[1]):.2f}x",
                    f"{median_ratio(samples[2], samples[0]):.2f}x", fmt_ms(first * 1e3)]
        else:
            row += ["FAILED", "-", "-", "-"]
        rows[w.name] = row
        print(f"  {w.name} done", file=sys.stderr, flush=True)

    # 2. the peers, now imported
    peer_systems, notes = peers()
    if peer_systems:
        print("\npeers: " + ", ".join(f"{s.name} {s.version}" for s in peer_systems if s.name != "jax.jit"))
    for note in notes:
        print(f"  {note}")
    header = ["workload", "objective µs", "hand µs", "srcdiff µs", "srcdiff/hand", "srcdiff/objective",
              "first gradient ms"]
    for s in peer_systems:
        header.append(f"{s.name} µs")
        if s.name == "jax.jit":
            header.append("jax.jit compile ms")
    hundred = []  # (workload, srcdiff ms, jax.jit ms) for the first 100 calls, compiling included
    if peer_systems:
        check_all(peer_systems)
        print("\ntiming the peers ...", flush=True)
    for w in workloads:
        row = rows[w.name]
        for s in peer_systems:
            call = calls.get((w.name, s.name))
            t = per_call_us(call, repeats, min_time) if call else None
            row.append(fmt_us(t) if call else "FAILED")
            if s.name == "jax.jit":
                compile_s = (first_call[w.name, s.name] - t * 1e-6) if call else None
                row.append(fmt_ms(compile_s * 1e3) if call else "-")
                if call and w.name in src_times:
                    first, t_src = src_times[w.name]
                    hundred.append((w.name, (first + 100 * t_src * 1e-6) * 1e3, (compile_s + 100 * t * 1e-6) * 1e3))
    print_failures(failures)
    print()
    print_table(header, list(rows.values()))
    if hundred:
        print("\nthe first 100 calls, compiling included (first gradient, or jax.jit compile, plus 100 calls):\n")
        print_table(["workload", "srcdiff ms", "jax.jit ms", "jax.jit/srcdiff"],
                    [[n, fmt_ms(a), fmt_ms(b), f"{b / a:.1f}x"] for n, a, b in hundred])

    # the same math spelled otherwise, timed beside its canonical spelling
    variants = [w for w in workloads if w.variant_of and (w.name, "srcdiff") in calls
                and (w.variant_of, "srcdiff") in calls]
    if variants:
        print("\nspelling variants, srcdiff beside the canonical spelling (each should be at most 1.05x):\n")
        vrows = []
        for w in variants:
            samples = interleaved_samples([calls[w.name, "srcdiff"], calls[w.variant_of, "srcdiff"]], own_repeats,
                                          min_time)
            vrows.append([w.name, w.variant_of, fmt_us(statistics.median(samples[0])),
                          fmt_us(statistics.median(samples[1])), f"{median_ratio(samples[0], samples[1]):.2f}x"])
        print_table(["variant", "canonical", "variant µs", "canonical µs", "variant/canonical"], vrows)

    # 3. the cost of srcdiff's cached call path over calling the emitted function directly
    survey = [w for w in workloads if w.name == "survey"]
    if survey and ("survey", "srcdiff") in calls:
        w = survey[0]
        args = inputs[w.name]
        g = srcdiff.grad(w.objective, argnums=w.argnums)
        compiled = g.compiled(*args)
        r = max(repeats, 15) if not opts.quick else repeats
        runs = compiled.on_floats or compiled.fn  # the variant the cached call runs on these arguments
        t_g, t_fn = interleaved_us([lambda: g(*args), lambda: runs(*args)], r, min_time)
        print(f"\ncached-call overhead (survey at {args}): srcdiff.grad(f, argnums={w.argnums})(...) {t_g:.2f} µs, "
              f"emitted function called directly {t_fn:.2f} µs: {t_g - t_fn:.2f} µs per call")
    elif survey:
        print("\ncached-call overhead: not measured, srcdiff failed on the survey workload")

    return exit_status(failures)


def print_failures(failures):
    """Each failure, (workload, system, message), in full."""
    for wname, sname, message in failures:
        print(f"\nFAILED: {sname} on {wname}:\n  " + message.replace("\n", "\n  "))


def exit_status(failures):
    """The run's exit status, 1 where anything failed, with a line per failure."""
    if failures:
        print(f"\n{len(failures)} failure(s):")
        for wname, sname, message in failures:
            print(f"  {sname} on {wname}: {message.splitlines()[0]}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
