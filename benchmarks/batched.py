"""Batched derivatives: a Hessian, Jacobians with many directions and per-example gradients,
against hand-written NumPy (or the objective, or the batch's gradient) and jax.jit when installed.

    python -m benchmarks.batched [--quick] [--no-peers]

Each srcdiff derivative is checked first, against a hand-written one or a loop of srcdiff.grad
(np.testing.assert_allclose, rtol=1e-8, atol=1e-10) or, where there is no exact reference,
against central differences (rtol=1e-6, atol=1e-7); one that raises or disagrees is reported
with the error and not timed, and the run exits with status 1. Times are microseconds per call
(median of repeats after a warm-up, benchmarks.timing; srcdiff's derivative, its reference and
the objective are timed in turn within each repeat, and their ratios are the medians of the
per-repeat ratios). The NumPy systems are checked and timed before JAX is imported. See
benchmarks/README.md for the columns.
"""
import argparse
import importlib
import importlib.util
import os
import platform
import statistics
import sys
import time
import tracemalloc
from dataclasses import dataclass
from functools import partial
from typing import Callable, Optional, Tuple

import numpy as np

import srcdiff

from .run import Failure, describe, exit_status, fmt_ms, fmt_us, print_failures, print_table
from .timing import interleaved_samples, median_ratio, per_call_us, steady_allocator
from .workloads import rebind, two_layer_inputs

EXACT = (1e-8, 1e-10)        # rtol, atol against a hand-written derivative or a loop
DIFFERENCES = (1e-6, 1e-7)   # against central differences
FIRST_CALLS = 100


# ---------------------------------------------------------------------------
# (1) the Hessian of a 100-parameter energy: a chain of springs, smooth on-site terms and a
# coupling quadratic form


def energy(x, K):
    springs = np.sum((x[1:] - x[:-1]) ** 2)
    return springs + np.sum(np.log(1 + x ** 2)) + 0.1 * np.sum(np.cos(x)) + 0.5 * x @ (K @ x)


def energy_dot(x, K):
    """energy's math spelled otherwise: np.diff, .dot, np.log1p, methods."""
    d = np.diff(x)
    return d.dot(d) + np.log1p(x * x).sum() + 0.1 * np.cos(x).sum() + 0.5 * x.dot(K).dot(x)


def energy_einsum(x, K):
    """energy's quadratic form as an einsum."""
    springs = np.sum((x[1:] - x[:-1]) ** 2)
    return springs + np.sum(np.log(1 + x ** 2)) + 0.1 * np.sum(np.cos(x)) + 0.5 * np.einsum("i,ij,j->", x, K, x)


def energy_hessian_hand(x, K):
    """K (symmetric), the springs' tridiagonal Laplacian and the on-site terms' diagonal."""
    n = x.shape[0]
    H = K.copy()
    i = np.arange(n)
    springs = np.full(n, 4.0)
    springs[[0, -1]] = 2.0
    H[i, i] += springs + 2 * (1 - x ** 2) / (1 + x ** 2) ** 2 - 0.1 * np.cos(x)
    H[i[:-1], i[1:]] -= 2.0
    H[i[1:], i[:-1]] -= 2.0
    return H


def energy_inputs(n=100, seed=10):
    rng = np.random.default_rng(seed)
    B = rng.standard_normal((n, n)) / np.sqrt(n)
    return rng.standard_normal(n), B @ B.T


# ---------------------------------------------------------------------------
# (2) 1,000 inputs -> 3 outputs, and (3) 3 inputs -> 1,000 outputs, each by the mode that
# takes the most passes unbatched


def tall(x, w):
    return np.array([np.sum(np.sin(x)), np.sum(x ** 2 * w), np.log(np.sum(np.exp(x / 10)))])


def tall_jacobian_hand(x, w):
    e = np.exp(x / 10)
    return np.stack([np.cos(x), 2 * x * w, e / (10 * np.sum(e))])


def tall_inputs(n=1000, seed=11):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(n), rng.uniform(0.5, 1.5, n)


def wide(p, c, t):
    return c * np.sin(p[0] * t + p[1]) * np.exp(-p[2] ** 2 * t)


def wide_jacobian_hand(p, c, t):
    phase = p[0] * t + p[1]
    decay = c * np.exp(-p[2] ** 2 * t)
    return np.stack([decay * np.cos(phase) * t, decay * np.cos(phase), -2 * p[2] * t * decay * np.sin(phase)], axis=1)


def wide_inputs(n=1000, seed=12):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(3), rng.standard_normal(n), np.linspace(0.0, 1.0, n)


# ---------------------------------------------------------------------------
# (4) a hand-tracking-style model: fingers of three bones, each bone's rotation its parent's
# times its own (the first bone of a finger also spreads), points rigidly attached to the
# bones, then a global rotation (angle-axis) and translation. Parameters: 3 rotation,
# 3 translation and 4 per finger (spread and three flexions): 5 fingers are 26 parameters,
# like GradBench's hand, and 55 fingers are 226.


def rotation_x(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def rotation_z(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def angle_axis_rotation(w):
    """Rodrigues' formula."""
    angle = np.sqrt(np.sum(w ** 2))
    k = w / angle
    K = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    return np.eye(3) + np.sin(angle) * K + (1 - np.cos(angle)) * (K @ K)


def hand_residuals(theta, bones, finger_bases, local_points, bone_of_point, targets):
    rotations = []
    origins = []
    for f in range(finger_bases.shape[0]):
        k = 6 + 4 * f
        R = rotation_z(theta[k])
        o = finger_bases[f]
        for j in range(3):
            R = R @ rotation_x(theta[k + 1 + j])
            rotations.append(R)
            origins.append(o)
            o = o + R @ bones[f, j]
    R_points = np.stack(rotations)[bone_of_point]
    posed = np.stack(origins)[bone_of_point] + np.sum(R_points * local_points[:, None, :], axis=2)
    world = posed @ angle_axis_rotation(theta[0:3]).T + theta[3:6]
    return (world - targets).ravel()


def hand_inputs(fingers, points=300, seed=13):
    rng = np.random.default_rng(seed)
    theta = 0.3 * rng.standard_normal(6 + 4 * fingers)
    bones = np.zeros((fingers, 3, 3))
    bones[:, :, 1] = rng.uniform(0.5, 1.0, (fingers, 3))  # along each bone's y axis
    finger_bases = rng.standard_normal((fingers, 3))
    local_points = 0.2 * rng.standard_normal((points, 3))
    bone_of_point = rng.integers(0, 3 * fingers, points)
    targets = rng.standard_normal((points, 3))
    return theta, bones, finger_bases, local_points, bone_of_point, targets


def central_differences(fun, x, *rest, eps=1e-6):
    """The Jacobian of fun wrt its first argument, x, a column per element, by central differences."""
    columns = []
    for i in range(x.size):
        step = np.zeros_like(x)
        step[i] = eps
        columns.append((fun(x + step, *rest) - fun(x - step, *rest)) / (2 * eps))
    return np.stack(columns, axis=-1)


# ---------------------------------------------------------------------------
# (5) per-example gradients of the two-layer network (benchmarks/workloads.py, without L2),
# against one gradient of the batch's mean loss


PARAMS = (0, 1, 2, 3)                          # W1, b1, W2, b2
PER_EXAMPLE_AXES = (None, None, None, None, 0, 0)  # the parameters shared, each example and label batched


def example_loss(W1, b1, W2, b2, x, y):
    h = np.maximum(0, x @ W1 + b1)
    scores = h @ W2 + b2
    scores = scores - np.max(scores)
    return np.log(np.sum(np.exp(scores))) - scores[y]


def mean_loss(W1, b1, W2, b2, X, y):
    h = np.maximum(0, X @ W1 + b1)
    scores = h @ W2 + b2
    scores = scores - np.max(scores, axis=1, keepdims=True)
    log_probs = scores - np.log(np.sum(np.exp(scores), axis=1, keepdims=True))
    return -np.mean(log_probs[np.arange(X.shape[0]), y])


def per_example_inputs(batch=256):
    W1, b1, W2, b2, X, y, _ = two_layer_inputs(batch, 100, 50, 10)
    return W1, b1, W2, b2, X, y


def per_example_loop(W1, b1, W2, b2, X, y):
    """Per-example gradients by a Python loop of srcdiff.grad, stacked: the reference for vmap."""
    g = srcdiff.grad(example_loss, argnums=PARAMS)
    grads = [g(W1, b1, W2, b2, X[i], y[i]) for i in range(X.shape[0])]
    return tuple(np.stack(parts) for parts in zip(*grads))


# ---------------------------------------------------------------------------
# the cases


@dataclass(frozen=True)
class Case:
    name: str
    derivative: Callable          # () -> a fresh srcdiff derivative, called on inputs()
    objective: Callable           # the function differentiated (for per_example_grads, the batch's mean loss)
    inputs: Callable              # () -> the arguments, deterministic float64 (indices and labels: int64)
    expected: Callable            # (*args) -> what the derivative must return
    exact: bool = True            # expected is exact (EXACT), or central differences (DIFFERENCES)
    reference: Optional[Tuple[str, Callable]] = None  # (its name in the table, a call on the arguments)
    jax: Optional[Callable] = None  # (jax, to_jnp) -> the derivative in JAX; to_jnp rebinds a function to jax.numpy
    target: Optional[Tuple[float, str]] = None  # srcdiff at most this many times "objective" or "reference"
    first_calls: bool = False     # also time the first FIRST_CALLS calls, compiling included


def hand_cases(fingers):
    """hand_N by srcdiff.jacobian (forward mode: fewer inputs than outputs) and by jacfwd."""
    name = f"hand_{6 + 4 * fingers}"
    common = dict(objective=hand_residuals, inputs=partial(hand_inputs, fingers),
                  expected=partial(central_differences, hand_residuals), exact=False, target=(5, "objective"))
    return [Case(name, lambda: srcdiff.jacobian(hand_residuals),
                 jax=lambda jax, to_jnp: jax.jacfwd(to_jnp(hand_residuals)), **common),
            Case(f"{name}_jacfwd", lambda: srcdiff.jacfwd(hand_residuals), **common)]


CASES = [
    Case("energy_hessian", lambda: srcdiff.hessian(energy), energy, energy_inputs, energy_hessian_hand,
         reference=("hand", energy_hessian_hand), jax=lambda jax, to_jnp: jax.hessian(to_jnp(energy)),
         target=(2, "jax.jit"), first_calls=True),
    *[Case(f"energy_hessian_{spelling}", lambda f=f: srcdiff.hessian(f), f, energy_inputs, energy_hessian_hand,
           reference=("hand", energy_hessian_hand), jax=lambda jax, to_jnp, f=f: jax.hessian(to_jnp(f)),
           target=(2, "jax.jit")) for spelling, f in (("dot", energy_dot), ("einsum", energy_einsum))],
    Case("jacfwd_1000_to_3", lambda: srcdiff.jacfwd(tall), tall, tall_inputs, tall_jacobian_hand,
         reference=("hand", tall_jacobian_hand), jax=lambda jax, to_jnp: jax.jacfwd(to_jnp(tall)),
         target=(2, "jax.jit")),
    Case("jacrev_3_to_1000", lambda: srcdiff.jacrev(wide), wide, wide_inputs, wide_jacobian_hand,
         reference=("hand", wide_jacobian_hand), jax=lambda jax, to_jnp: jax.jacrev(to_jnp(wide)),
         target=(2, "jax.jit")),
    *hand_cases(5),
    *hand_cases(55),
    Case("per_example_grads",
         lambda: srcdiff.vmap(srcdiff.grad(example_loss, argnums=PARAMS), in_axes=PER_EXAMPLE_AXES),
         mean_loss, per_example_inputs, per_example_loop,
         reference=("batch grad", srcdiff.grad(mean_loss, argnums=PARAMS)),
         jax=lambda jax, to_jnp: jax.vmap(jax.grad(to_jnp(example_loss), argnums=PARAMS), in_axes=PER_EXAMPLE_AXES),
         target=(2, "reference")),
]


# ---------------------------------------------------------------------------
# checking and timing


def check(name, got, case, expected):
    """Raise a Failure unless got (an array or a tuple of them) matches expected, case's reference value."""
    rtol, atol = EXACT if case.exact else DIFFERENCES
    against = case.expected.__name__ if case.exact else "central differences"
    got, expected = (got, expected) if isinstance(expected, tuple) else ((got,), (expected,))
    if len(got) != len(expected):
        raise Failure(f"{name} returned {len(got)} result(s), expected {len(expected)}")
    for g, e in zip(got, expected):
        g = np.asarray(g, dtype=float)
        if g.shape != e.shape:
            raise Failure(f"{name} has shape {g.shape}, {against} {e.shape}")
        try:
            np.testing.assert_allclose(g, e, rtol=rtol, atol=atol)
        except AssertionError as err:
            raise Failure(f"{name} differs from {against} (largest absolute difference "
                          f"{np.max(np.abs(g - e)):.3g}):{err}") from None


def first_calls_ms(make, call, trials):
    """The first FIRST_CALLS calls of a fresh derivative, make(), compiling included: the median of trials."""
    times = []
    for _ in range(trials):
        fun = make()
        start = time.perf_counter()
        for _ in range(FIRST_CALLS):
            call(fun)
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def fresh_srcdiff(case):
    srcdiff.cache.clear()  # the cache is keyed by code object: a new derivative object alone would find it
    return case.derivative()


CHUNKED = (("energy_hessian", lambda c: srcdiff.hessian(energy, chunk_size=c), (None, 25, 10)),
           ("jacfwd_1000_to_3", lambda c: srcdiff.jacfwd(tall, chunk_size=c), (None, 100, 10)),
           ("jacrev_3_to_1000", lambda c: srcdiff.jacrev(wide, chunk_size=c), (None, 100, 10)))


def chunk_rows(inputs, repeats, min_time):
    """For a few cases, each chunk_size's peak memory in one call and its time per call, and
    whether its result is the unchunked one's to the last bit."""
    rows = []
    for name, make, sizes in CHUNKED:
        args = inputs[name]
        whole = None
        for size in sizes:
            d = make(size)
            result = d(*args)
            whole = result if whole is None else whole
            tracemalloc.start()
            d(*args)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            us = per_call_us(lambda: d(*args), repeats, min_time)
            rows.append([name, "all" if size is None else str(size), f"{peak / 2 ** 20:.2f}", fmt_us(us),
                         "yes" if np.array_equal(result, whole) else "NO"])
    return rows


def import_jax():
    """(jax, None), or (None, why not)."""
    if importlib.util.find_spec("jax") is None:
        return None, "jax: not installed, skipped"
    try:
        jax = importlib.import_module("jax")
    except Exception as e:  # installed but broken (jax without jaxlib, ...)
        return None, f"jax: cannot be imported ({type(e).__name__}: {e}), skipped"
    jax.config.update("jax_enable_x64", True)
    return jax, None


def fmt_ratio(r):
    return f"{r:.2f}x" if r < 100 else f"{r:,.0f}x"


def table_row(case, out, checked, with_jax):
    """The table's row for case from its times and ratios, out (a missing key is a "-")."""
    us = lambda key: fmt_us(out[key]) if key in out else "-"
    ratio = lambda key: fmt_ratio(out[key]) if key in out else "-"
    row = [case.name, us("srcdiff") if checked else "FAILED", us("objective"),
           ratio("srcdiff/objective"), case.reference[0] if case.reference else "-", us("reference"),
           ratio("srcdiff/reference")]
    if with_jax:
        row += [us("jax"), us("jax.jit"), ratio("srcdiff/jax.jit")]
    if not case.target:
        return row + ["-", "-"]
    bound, over = case.target
    key = f"srcdiff/{over}"
    return row + [f"≤ {bound}x {over}", ("yes" if out[key] <= bound else "no") if key in out else "-"]


def check_srcdiff(inputs, expected, failures):
    """Each case's srcdiff derivative that runs and agrees with its reference value, by case name."""
    print(f"\nchecking srcdiff (exact references: rtol={EXACT[0]:g}, atol={EXACT[1]:g}; "
          f"central differences: rtol={DIFFERENCES[0]:g}, atol={DIFFERENCES[1]:g}):")
    derivatives = {}
    for c in CASES:
        try:
            d = c.derivative()
            check(f"srcdiff on {c.name}", d(*inputs[c.name]), c, expected[c.name])
        except Exception as e:
            failures.append((c.name, "srcdiff", describe(e)))
            print(f"  {c.name:20} FAILED")
            continue
        derivatives[c.name] = d
        print(f"  {c.name:20} ok")
    return derivatives


def time_numpy(inputs, derivatives, cells, repeats, min_time):
    """The objective, the reference and srcdiff's derivative, in turn within each repeat, into cells."""
    for c in CASES:
        args = inputs[c.name]
        timed = [lambda: c.objective(*args)]
        if c.reference:
            timed.append(lambda: c.reference[1](*args))
        if c.name in derivatives:
            timed.append(lambda: derivatives[c.name](*args))
        samples = interleaved_samples(timed, repeats, min_time)
        out = cells[c.name]
        out["objective"] = statistics.median(samples[0])
        if c.reference:
            out["reference"] = statistics.median(samples[1])
        if c.name in derivatives:
            out["srcdiff"] = statistics.median(samples[-1])
            out["srcdiff/objective"] = median_ratio(samples[-1], samples[0])
            if c.reference:
                out["srcdiff/reference"] = median_ratio(samples[-1], samples[1])
        print(f"  {c.name} done", file=sys.stderr, flush=True)


def check_and_time_jax(jax, inputs, expected, failures, cells, hundred, repeats, min_time, trials):
    """jax.<transformation> and jax.jit of it, for each case that has one: checked, then timed into cells."""
    jnp = importlib.import_module("jax.numpy")
    to_jnp = partial(rebind, numpy_module=jnp)
    print("checking and timing jax:", flush=True)
    for c in CASES:
        if not c.jax:
            continue
        jargs = tuple(jnp.asarray(a) for a in inputs[c.name])
        status = []
        for system, make in (("jax", lambda: c.jax(jax, to_jnp)), ("jax.jit", lambda: jax.jit(c.jax(jax, to_jnp)))):
            try:
                fun = make()
                got = jax.block_until_ready(fun(*jargs))
                check(f"{system} on {c.name}", tuple(map(np.asarray, got)) if isinstance(got, tuple)
                      else np.asarray(got), c, expected[c.name])
            except Exception as e:
                failures.append((c.name, system, describe(e)))
                status.append(f"{system} FAILED")
                continue
            status.append(f"{system} ok")
            cells[c.name][system] = per_call_us(lambda: jax.block_until_ready(fun(*jargs)), repeats, min_time)
            if system == "jax.jit" and c.name in hundred:
                hundred[c.name]["jax.jit"] = first_calls_ms(make, lambda f: jax.block_until_ready(f(*jargs)), trials)
        print(f"  {c.name:20} " + ", ".join(status))
        out = cells[c.name]
        if "srcdiff" in out and "jax.jit" in out:
            out["srcdiff/jax.jit"] = out["srcdiff"] / out["jax.jit"]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.batched", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer and shorter repeats: a fast sanity run")
    parser.add_argument("--no-peers", action="store_true", help="leave JAX out even where it is installed")
    opts = parser.parse_args(argv)
    repeats, min_time, trials = (3, 0.01, 1) if opts.quick else (7, 1.0, 5)
    own_repeats = repeats if opts.quick else 21
    steady = steady_allocator()
    print(f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} cores, "
          f"{platform.machine()}; srcdiff {srcdiff.__version__}; "
          + ("freed memory kept in the process (benchmarks/README.md)" if steady else "default allocator"))
    inputs = {c.name: c.inputs() for c in CASES}
    expected = {c.name: c.expected(*inputs[c.name]) for c in CASES}
    failures = []  # (case, system, message)
    cells = {c.name: {} for c in CASES}  # case name -> {"srcdiff": µs, "srcdiff/objective": ratio, ...}

    # 1. NumPy only (benchmarks/README.md: importing jax changes how fast NumPy runs)
    derivatives = check_srcdiff(inputs, expected, failures)
    print(f"\ntiming ({'quick: ' if opts.quick else ''}median of {own_repeats} repeats, each at least "
          f"{min_time / own_repeats * 1e3:.1f} ms of calls, after a warm-up) ...", flush=True)
    time_numpy(inputs, derivatives, cells, own_repeats, min_time)
    hundred = {c.name: {"srcdiff": first_calls_ms(lambda: fresh_srcdiff(c), lambda d: d(*inputs[c.name]), trials)}
               for c in CASES if c.first_calls and c.name in derivatives}

    # 2. JAX, now imported
    jax, note = (None, "jax: left out (--no-peers)") if opts.no_peers else import_jax()
    if jax:
        print(f"\npeer: jax {jax.__version__} (float64, inputs already JAX arrays, block_until_ready)")
        check_and_time_jax(jax, inputs, expected, failures, cells, hundred, repeats, min_time, trials)
    else:
        print(f"\n{note}")

    print_failures(failures)
    header = ["workload", "srcdiff µs", "objective µs", "srcdiff/objective", "reference", "reference µs",
              "srcdiff/reference"] + (["jax µs", "jax.jit µs", "srcdiff/jax.jit"] if jax else []) + ["target", "met"]
    print()
    print_table(header, [table_row(c, cells[c.name], c.name in derivatives, bool(jax)) for c in CASES])
    if hundred:
        print(f"\nthe first {FIRST_CALLS} calls, compiling included (srcdiff with its cache cleared, jax.jit of a "
              f"new function), ms:\n")
        rows = []
        for name, t in hundred.items():
            row = [name, fmt_ms(t["srcdiff"])]
            if jax:
                row += [fmt_ms(t["jax.jit"]), fmt_ratio(t["jax.jit"] / t["srcdiff"])] if "jax.jit" in t else ["-", "-"]
            rows.append(row)
        print_table(["workload", "srcdiff ms"] + (["jax.jit ms", "jax.jit/srcdiff"] if jax else []), rows)

    print(f"\nchunk_size: peak memory (tracemalloc, one call after a warm-up) and time, srcdiff only:\n")
    print_table(["workload", "chunk_size", "peak MiB", "µs", "same result"], chunk_rows(inputs, own_repeats, min_time))

    return exit_status(failures)


if __name__ == "__main__":
    sys.exit(main())
