"""Median-of-repeats timing, after a warm-up call (which also compiles).

Calls that are compared are timed in turn within every repeat (interleaved), so a slow
stretch of a shared machine falls on all of them alike and their ratios hold steadier
than their absolute times."""
import ctypes
import ctypes.util
import statistics
import time


def per_call_us(fn, repeats=7, min_time=0.05):
    return interleaved_us([fn], repeats, min_time)[0]


def interleaved_us(fns, repeats=7, min_time=0.05):
    """Microseconds per call of each of fns: the median of interleaved_samples."""
    return [statistics.median(times) for times in interleaved_samples(fns, repeats, min_time)]


def interleaved_samples(fns, repeats=7, min_time=0.05):
    """Microseconds per call of each of fns in each repeat: every repeat times every fn
    once, in turn, over enough calls to take about min_time / repeats."""
    counts = [_calls_needed(fn, min_time / repeats) for fn in fns]
    samples = [[] for _ in fns]
    for _ in range(repeats):
        for fn, n, times in zip(fns, counts, samples):
            start = time.perf_counter()
            for _ in range(n):
                fn()
            times.append((time.perf_counter() - start) / n * 1e6)
    return samples


def median_ratio(numerators, denominators):
    """The median over repeats of one time over another taken beside it in the same repeat:
    a slow stretch of the machine that falls on one repeat falls on both of its times."""
    return statistics.median(a / b for a, b in zip(numerators, denominators))


def _calls_needed(fn, duration):
    fn()  # warm up: compile, fill caches
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        if time.perf_counter() - start >= duration or n >= 1 << 20:
            return n
        n *= 2


def steady_allocator():
    """Keep freed memory in the process (glibc's mallopt; elsewhere nothing is changed).

    By default glibc gives arrays above 128 KiB back to the system when they are freed and
    adjusts that threshold as the process runs: a large free raises it, and importing jax
    or torch does. Where touching fresh pages is slow (this project's sandboxed machine),
    the same NumPy expression then takes up to ten times longer before those imports than
    after, and which systems are installed would decide the figures. Fixed thresholds make
    every system run with its memory reused. Returns whether they were set."""
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c")).mallopt
    except (OSError, AttributeError, TypeError):
        return False
    trim_threshold, mmap_threshold = -1, -3  # M_TRIM_THRESHOLD, M_MMAP_THRESHOLD in malloc.h
    return bool(mallopt(trim_threshold, 256 << 20)) and bool(mallopt(mmap_threshold, 32 << 20))
