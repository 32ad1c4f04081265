"""Median-of-repeats timing, after a warm-up call (which also compiles).

Calls that are compared are timed in turn within every repeat (interleaved), so a slow
stretch of a shared machine falls on all of them alike and their ratios hold steadier
than their absolute times."""
import statistics
import time


def per_call_us(fn, repeats=7, min_time=0.05):
    return interleaved_us([fn], repeats, min_time)[0]


def interleaved_us(fns, repeats=7, min_time=0.05):
    """Microseconds per call of each of fns: each repeat times every fn once, in turn,
    over enough calls to take about min_time / repeats; the median of the repeats."""
    counts = [_calls_needed(fn, min_time / repeats) for fn in fns]
    samples = [[] for _ in fns]
    for _ in range(repeats):
        for fn, n, times in zip(fns, counts, samples):
            start = time.perf_counter()
            for _ in range(n):
                fn()
            times.append((time.perf_counter() - start) / n * 1e6)
    return [statistics.median(times) for times in samples]


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
