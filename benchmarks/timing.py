"""Median-of-repeats timing, after a warm-up call (which also compiles)."""
import statistics
import time


def per_call_us(fn, repeats=7, min_time=0.05):
    fn()  # warm up: compile, fill caches
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        if time.perf_counter() - start >= min_time / repeats or n >= 1 << 20:
            break
        n *= 2
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - start) / n * 1e6)
    return statistics.median(samples)
