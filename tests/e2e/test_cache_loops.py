"""Gradients made in a loop (issue 17): `srcdiff.grad(lambda p: loss(p, X, y))(params)` called
again and again compiles once, reads the arrays it captured when it is called (a new batch of
the same shape compiles nothing), gives the right answer when a captured value changes, and
keeps no captured array alive (srcdiff/cache.py)."""
import gc
import tracemalloc
import weakref

import numpy as np
import pytest

import srcdiff
from srcdiff import cache, compiler
from tests.numeric import central_difference

RNG = np.random.default_rng(17)
XS = RNG.normal(size=(40, 5))
YS = RNG.normal(size=40)
P = RNG.normal(size=5) * 0.1
BATCH = XS[:8].copy()  # a global the loop below rebinds


def loss(p, X, y):
    return np.sum((X @ p - y) ** 2)


def exact(p, X, y):
    return 2.0 * X.T @ (X @ p - y)


def step(p, X, y):
    return srcdiff.grad(lambda q: loss(q, X, y))(p)


def step_with_defaults(p, X, y):
    return srcdiff.grad(lambda q, X=X, y=y: loss(q, X, y))(p)


def step_scaled(p, X, scale):
    return srcdiff.grad(lambda q: scale * np.sum(np.tanh(X @ q)))(p)


def step_with_activation(p, X, act):
    return srcdiff.grad(lambda q: np.sum(act(X @ q)))(p)


def step_on_the_global_batch(p):
    return srcdiff.grad(lambda q: np.sum(np.sin(BATCH @ q)))(p)


def step_value_and_grad(p, X, y):
    return srcdiff.value_and_grad(lambda q: loss(q, X, y))(p)


@pytest.fixture
def compiles(monkeypatch):
    """How many gradients get compiled."""
    cache.clear()
    calls = []
    real = compiler.compile_grad
    monkeypatch.setattr("srcdiff.api.compile_grad", lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


def batches(n, size=8):
    for i in range(n):
        rows = RNG.integers(0, len(XS), size=size)
        yield XS[rows].copy(), YS[rows].copy()


@pytest.mark.parametrize("make", [step, step_with_defaults])
def test_a_gradient_made_in_a_loop_compiles_once_and_reads_each_batch(compiles, make):
    p = P.copy()
    for X, y in batches(30):
        g = make(p, X, y)
        np.testing.assert_allclose(g, exact(p, X, y), rtol=1e-12)
        p = p - 0.01 * g
    assert len(compiles) == 1
    assert cache.size() == 1


def test_the_same_arrays_again_and_again(compiles):
    p = P.copy()
    for _ in range(20):
        np.testing.assert_allclose(step(p, XS, YS), exact(p, XS, YS), rtol=1e-12)
    assert len(compiles) == 1


def test_a_batch_of_another_shape_compiles_again_and_is_right(compiles):
    for size in (8, 13, 8, 13):
        X, y = next(batches(1, size))
        np.testing.assert_allclose(step(P, X, y), exact(P, X, y), rtol=1e-12)
    assert len(compiles) == 2


def test_a_changed_captured_number_or_function_is_never_stale(compiles):
    X = XS[:6]
    for scale in (1.0, 2.5, 1.0, -3.0):
        f = lambda q: scale * np.sum(np.tanh(X @ q))  # noqa: E731
        np.testing.assert_allclose(step_scaled(P, X, scale), central_difference(f, (P,), 0), rtol=1e-6)
    for act in (np.tanh, np.sin, np.tanh):
        f = lambda q: np.sum(act(X @ q))  # noqa: E731
        np.testing.assert_allclose(step_with_activation(P, X, act), central_difference(f, (P,), 0), rtol=1e-6)


def test_a_captured_name_rebound_after_the_gradient_is_made_is_read():
    X, y = XS[:8].copy(), YS[:8].copy()
    g = srcdiff.grad(lambda q: loss(q, X, y))
    np.testing.assert_allclose(g(P), exact(P, XS[:8], YS[:8]), rtol=1e-12)
    np.testing.assert_allclose(g(P), exact(P, XS[:8], YS[:8]), rtol=1e-12)  # through the fast path
    X = XS[8:16].copy()  # the closure's cell now holds another array: the next call reads it
    np.testing.assert_allclose(g(P), exact(P, XS[8:16], YS[:8]), rtol=1e-12)
    X[0, 0] = 7.0  # and an array changed in place is read too
    np.testing.assert_allclose(g(P), exact(P, X, YS[:8]), rtol=1e-12)
    X = XS[:11].copy()  # another shape
    y = YS[:11].copy()
    np.testing.assert_allclose(g(P), exact(P, XS[:11], YS[:11]), rtol=1e-12)


def test_a_rebound_global_array_is_read_when_called(compiles):
    global BATCH
    saved = BATCH
    try:
        for X, _ in batches(5):
            BATCH = X
            np.testing.assert_allclose(step_on_the_global_batch(P), X.T @ np.cos(X @ P), rtol=1e-12)
        assert len(compiles) == 1
    finally:
        BATCH = saved


def test_value_and_grad_jvp_and_hessian_of_lambdas_made_in_a_loop():
    for X, y in batches(4):
        value, g = step_value_and_grad(P, X, y)
        np.testing.assert_allclose(value, loss(P, X, y))
        np.testing.assert_allclose(g, exact(P, X, y), rtol=1e-12)
        _, t = srcdiff.jvp(lambda q: loss(q, X, y), (P,), (np.ones(5),))
        np.testing.assert_allclose(t, exact(P, X, y).sum(), rtol=1e-12)
        np.testing.assert_allclose(srcdiff.hessian(lambda q: loss(q, X, y))(P), 2.0 * X.T @ X, rtol=1e-12)


def test_no_captured_array_is_kept_alive():
    X, y = XS[:8].copy(), YS[:8].copy()
    step(P, X, y)
    step(P, X, y)
    gone = [weakref.ref(X), weakref.ref(y)]
    del X, y
    gc.collect()
    assert [r() for r in gone] == [None, None]


def test_a_thousand_steps_do_not_grow_memory_by_their_batches():
    p = P.copy()
    data = list(batches(1000, size=64))  # 64 x 5 floats and 64 floats a step: 3 KiB
    step(p, *data[0])
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for X, y in data:
            p = p - 1e-4 * step(p, X, y)
        del X, y
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 200 * 1024, grown  # a thousand batches held would be 3 MiB


def test_the_cache_is_bounded(monkeypatch):
    cache.clear()
    monkeypatch.setattr(cache, "MAX_ENTRIES", 3)
    for n in range(2, 9):  # another shape each: another entry
        X, y = next(batches(1, n))
        np.testing.assert_allclose(step(P, X, y), exact(P, X, y), rtol=1e-12)
    assert cache.size() == 3


SHARED = [XS[:4].copy()]  # a global list holding the array a closure also captures


def step_reading_a_list_too(p, X):
    return srcdiff.grad(lambda q: np.sum(np.sin(X @ q)) + np.sum(SHARED[0] @ q))(p)


def test_an_array_reached_another_way_too_is_not_read_by_its_place_alone():
    first = SHARED[0]
    np.testing.assert_allclose(step_reading_a_list_too(P, first),
                               first.T @ np.cos(first @ P) + first.sum(axis=0), rtol=1e-12)
    other = XS[4:8].copy()
    np.testing.assert_allclose(step_reading_a_list_too(P, other),
                               other.T @ np.cos(other @ P) + first.sum(axis=0), rtol=1e-12)
