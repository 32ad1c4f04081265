"""The numba backend on loop-heavy gradients: against srcdiff's NumPy backend, hand-written
NumPy, a hand-written numba gradient (the scalar loop) and jax.jit when installed.

    OPENBLAS_NUM_THREADS=1 python -m benchmarks.compiled [--quick] [--no-peers] [--no-first-call]

The workloads are benchmarks/workloads.py's scalar_loop, rnn, lstm and ode_rk4 (RK4, 1,000
steps). Every gradient is checked first: the numba backend's against the NumPy backend's
(np.testing.assert_allclose, rtol=1e-12, atol=1e-12; the largest difference over the largest
entry is printed),
the others against the hand-written one (rtol=1e-8, atol=1e-10); one that raises or disagrees is
reported and not timed, and the run exits with status 1. The numba backend runs with
strict=True, so a fallback to NumPy is a failure here, not a figure.

Times are microseconds per call (benchmarks.timing: the median of repeats after a warm-up;
the systems of a workload timed in turn within each repeat, ratios the medians of per-repeat
ratios). First calls are measured in fresh processes: "cold" with an empty cache directory
(srcdiff's compile, numba's import and compile, the call), "cached" with the directory the
cold run left (numba reads the compiled code from disk); jax.jit's is its first call, tracing
and XLA's compile included, in this process. JAX runs the same code with np rebound to
jax.numpy, except ode_rk4, whose loop it gets as lax.fori_loop (ode_rk4_jax).
"""
import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import srcdiff

from .run import Failure, describe, exit_status, fmt_us, make_jax, print_failures, print_table
from .timing import interleaved_samples, median_ratio, steady_allocator
from .workloads import WORKLOADS

NAMES = ("scalar_loop", "rnn", "lstm", "ode_rk4")
SAME = (1e-12, 1e-12)  # the numba backend against the NumPy backend
EXACT = (1e-8, 1e-10)  # against the hand-written gradient


def scalar_loop_hand_numba(x0, a):
    """scalar_loop_hand as one writes it for numba: the states in an array, two plain loops."""
    xs = np.empty(1001)
    xs[0] = x0
    x = x0
    for i in range(1000):
        x = x - 0.01 * (x ** 3 - a)
        xs[i + 1] = x
    dx = 0.0
    da = 0.0
    for i in range(999, -1, -1):
        dx += 2.0 * xs[i + 1]
        da += 0.01 * dx
        dx *= 1.0 - 0.03 * xs[i] ** 2
    return (da,)


def ode_rk4_jax(y0, c, jnp, lax):
    """ode_rk4 for JAX with its loop as lax.fori_loop, as a JAX user writes it: traced as the
    Python loop, its 1,000 steps unrolled, XLA's compile took more than 20 GB and ten minutes
    on this machine without finishing."""
    h = 0.001

    def rhs(y):
        return c * jnp.concatenate((-y[:1], y[:-1] - y[1:]))

    def step(_, y):
        k1 = rhs(y)
        k2 = rhs(y + 0.5 * h * k1)
        k3 = rhs(y + 0.5 * h * k2)
        k4 = rhs(y + h * k3)
        return y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)

    return jnp.sum(lax.fori_loop(0, 1000, step, y0) ** 2)


def jax_jit_setup(w, args):
    """(call, to_numpy) of jax.jit(jax.grad) of the workload (run.make_jax's; ode_rk4's own)."""
    if w.name != "ode_rk4":
        return make_jax(True).setup(w, args)
    import jax
    import jax.numpy as jnp
    gf = jax.jit(jax.grad(lambda y0, c: ode_rk4_jax(y0, c, jnp, jax.lax), argnums=w.argnums))
    jargs = tuple(jnp.asarray(a) for a in args)
    return (lambda: jax.block_until_ready(gf(*jargs))), (lambda out: tuple(np.asarray(g) for g in out))


_FIRST_CALL = """
import json, sys, time
start = time.perf_counter()
import numba
from numba.core.registry import cpu_target
cpu_target.target_context.refresh()  # numba's start-up in a process: its registries, SciPy's BLAS
imported = time.perf_counter()
import srcdiff
from benchmarks.workloads import WORKLOADS
w = next(w for w in WORKLOADS if w.name == sys.argv[1])
args = w.inputs()
made = time.perf_counter()
g = srcdiff.grad(w.objective, argnums=w.argnums, backend="numba", strict=True)
g(*args)
done = time.perf_counter()
print(json.dumps({"first_call": done - made, "numba_start_up": imported - start}))
"""


def first_calls(name, directory):
    """(cold, cached) seconds of a fresh process's first gradient call, sharing directory."""
    env = dict(os.environ, SRCDIFF_CACHE_DIR=directory)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    times = []
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", _FIRST_CALL, name], env=env, capture_output=True, text=True,
                             cwd=root)
        if out.returncode:
            raise Failure(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed")
        times.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return [t["first_call"] for t in times] + [times[1]["numba_start_up"]]


def _close(got, expected, tolerances, what):
    got = got if isinstance(got, tuple) else (got,)
    expected = expected if isinstance(expected, tuple) else (expected,)
    worst = 0.0
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=tolerances[0], atol=tolerances[1], err_msg=what)
        scale = max(float(np.max(np.abs(e))), 1e-300)  # relative to the gradient's largest entry
        worst = max(worst, float(np.max(np.abs(np.asarray(g) - e))) / scale)
    return worst


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compiled", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--no-peers", action="store_true", help="leave out jax.jit")
    parser.add_argument("--no-first-call", action="store_true", help="leave out the first-call processes")
    opts = parser.parse_args(argv)
    if importlib.util.find_spec("numba") is None:
        sys.exit('benchmarks.compiled needs numba: pip install ".[numba]"')
    import numba

    steady_allocator()
    repeats = 3 if opts.quick else 15
    min_time = 0.1 if opts.quick else 0.3
    hand_numba = numba.njit(cache=True)(scalar_loop_hand_numba)
    workloads = [w for w in WORKLOADS if w.name in NAMES]
    failures, rows, times, same = [], [], {}, {}
    for w in workloads:
        args = w.inputs()
        hand = w.hand_grad(*args)
        numpy_g = srcdiff.grad(w.objective, argnums=w.argnums)
        numba_g = srcdiff.grad(w.objective, argnums=w.argnums, backend="numba", strict=True)
        calls = {"hand NumPy": lambda: w.hand_grad(*args)}
        try:
            _close(numpy_g(*args), hand, EXACT, "NumPy backend against the hand-written gradient")
            calls["srcdiff NumPy"] = lambda: numpy_g(*args)
        except Exception as e:
            failures.append((w.name, "srcdiff NumPy", describe(e)))
        try:
            same[w.name] = _close(numba_g(*args), numpy_g(*args), SAME, "numba backend against the NumPy backend")
            calls["srcdiff numba"] = lambda: numba_g(*args)
        except Exception as e:
            failures.append((w.name, "srcdiff numba", describe(e)))
        if w.name == "scalar_loop":
            try:
                _close(hand_numba(*args), hand, EXACT, "hand-written numba against the hand-written gradient")
                calls["hand numba"] = lambda: hand_numba(*args)
            except Exception as e:
                failures.append((w.name, "hand numba", describe(e)))
        names = list(calls)
        samples = interleaved_samples([calls[n] for n in names], repeats, min_time)
        times[w.name] = dict(zip(names, samples))
    jax_times, jax_first = {}, {}
    if not opts.no_peers and importlib.util.find_spec("jax") is not None:
        make_jax(True)  # float64
        for w in workloads:
            args = w.inputs()
            try:
                call, to_numpy = jax_jit_setup(w, args)
                start = time.perf_counter()
                got = to_numpy(call())
                jax_first[w.name] = time.perf_counter() - start
                _close(tuple(got), w.hand_grad(*args), EXACT, "jax.jit against the hand-written gradient")
                jax_times[w.name] = interleaved_samples([call], repeats, min_time)[0]
            except Exception as e:
                failures.append((w.name, "jax.jit", describe(e)))
    first = {}
    if not opts.no_first_call:
        for w in workloads:
            with tempfile.TemporaryDirectory() as directory:
                try:
                    first[w.name] = first_calls(w.name, directory)
                except Exception as e:
                    failures.append((w.name, "first call", describe(e)))

    med = lambda xs: fmt_us(statistics.median(xs)) if xs else "FAILED"
    header = ["workload", "srcdiff numba", "srcdiff NumPy", "hand NumPy", "hand numba", "jax.jit",
              "numba / jax.jit", "numba / hand numba", "numba vs NumPy (max diff / max entry)"]
    for w in workloads:
        t = times[w.name]
        numba_t = t.get("srcdiff numba")
        jax_t = jax_times.get(w.name)
        rows.append([
            w.name, med(numba_t or []), med(t.get("srcdiff NumPy", [])), med(t["hand NumPy"]),
            med(t["hand numba"]) if "hand numba" in t else "",
            med(jax_t) if jax_t else ("" if opts.no_peers else "n/a"),
            f"{statistics.median(numba_t) / statistics.median(jax_t):.2f}x" if numba_t and jax_t else "",
            f"{median_ratio(numba_t, t['hand numba']):.2f}x" if numba_t and "hand numba" in t else "",
            f"{same[w.name]:.1e}" if w.name in same else "",
        ])
    print(f"numba {numba.__version__}, NumPy {np.__version__}; µs per gradient call")
    print_table(header, rows)
    if first or jax_first:
        print()
        print("first call, seconds (srcdiff: a fresh process, after numba's start-up, its import and registries, "
              "timed in the last column; cold = an empty cache, cached = numba's disk cache)")
        seconds = lambda v: f"{v:.2f}"
        rows = [[w.name, seconds(first[w.name][0]) if w.name in first else "",
                 seconds(first[w.name][1]) if w.name in first else "",
                 seconds(jax_first[w.name]) if w.name in jax_first else "",
                 seconds(first[w.name][2]) if w.name in first else ""] for w in workloads]
        print_table(["workload", "srcdiff numba, cold", "srcdiff numba, cached", "jax.jit", "numba's start-up"], rows)
    print_failures(failures)
    return exit_status(failures)


if __name__ == "__main__":
    sys.exit(main())
