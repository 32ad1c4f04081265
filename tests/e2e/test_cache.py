"""The cache never serves a stale derivative, and compiles once under concurrency."""
import textwrap
import threading

import numpy as np
import pytest

import srcdiff
from srcdiff import compiler, grad


def cubic(x):
    return np.sum(x ** 3)


def test_eight_threads_compile_once_and_all_get_the_right_answer(monkeypatch):
    srcdiff.cache.clear()
    calls = []
    real = compiler.compile_grad
    monkeypatch.setattr("srcdiff.api.compile_grad", lambda *a, **k: calls.append(1) or real(*a, **k))
    x = np.array([1.0, -2.0, 0.5])
    results, start = [None] * 8, threading.Barrier(8)

    def work(k):
        start.wait()
        results[k] = grad(cubic)(x)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    for r in results:
        np.testing.assert_array_equal(r, 3 * x ** 2)


def test_redefining_a_function_recompiles(tmp_path):
    path = tmp_path / "mod.py"
    namespace = {}
    for power, expected in ((2, 6.0), (3, 27.0)):
        path.write_text(textwrap.dedent(f"""
            def f(x):
                return x ** {power}
        """))
        code = compile(path.read_text(), str(path), "exec")
        exec(code, namespace)
        import linecache

        linecache.checkcache(str(path))
        assert grad(namespace["f"])(3.0) == expected


def test_complex_inputs_are_refused_clearly():
    with pytest.raises(TypeError, match="complex"):
        grad(cubic)(np.array([1 + 2j]))
    with pytest.raises(TypeError, match="complex"):
        grad(square)(1 + 2j)


def square(z):
    return z * z
