"""Central differences, the reference every derivative test compares against."""
import os
import sys

import numpy as np

from srcdiff.testing import central_difference  # noqa: F401  (the tests' reference too)


def extrapolated_difference(f, args, argnum, eps=1e-6):
    """Central differences at steps h and 2 h, extrapolated (Richardson: the five-point
    stencil), error O(h^4) where the plain difference has O(h^2); and how far the
    extrapolation moved the plain one, which says whether the steps were small enough
    for f here. Where they were not, h = eps / 10 is tried too, and the better kept. The
    random testers' reference: their programs may curve hard."""
    best = None
    for h in (eps, eps / 10):
        d1 = np.asarray(central_difference(f, args, argnum, eps=h), dtype=float)
        d2 = np.asarray(central_difference(f, args, argnum, eps=2 * h), dtype=float)
        d = (4 * d1 - d2) / 3
        moved = np.abs(d - d1)
        worst = float(np.max(moved / np.maximum(1.0, np.abs(d)), initial=0.0))
        if best is None or worst < best[2]:
            best = (d, moved, worst)
        if worst <= 1e-8:
            break
    return best[0], best[1]


def assert_matches_differences(g, f, args, argnums=(0,), rtol=1e-5, atol=1e-7):
    """g(*args) (a gradient function for the given argnums) agrees with central differences."""
    got = g(*args)
    got = got if isinstance(argnums, tuple) else (got,)
    for value, i in zip(got, argnums if isinstance(argnums, tuple) else (argnums,)):
        expected = central_difference(f, args, i)
        assert np.shape(value) == np.shape(args[i]), f"gradient {i} has shape {np.shape(value)}, argument {np.shape(args[i])}"
        np.testing.assert_allclose(value, expected, rtol=rtol, atol=atol, err_msg=f"argument {i}")


def import_file(path, source=None, name=None):
    """The module in the file at path (written first when source is given): srcdiff reads a
    function's source from its file, so test functions live in real files."""
    import importlib.util

    if source is not None:
        with open(path, "w") as fh:
            fh.write(source)
    name = name or os.path.splitext(os.path.basename(str(path)))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the checkout: README.md, examples/
EXAMPLES = os.path.join(ROOT, "examples")


def example(name):
    """A module from examples/, imported by name."""
    sys.path.insert(0, EXAMPLES)
    try:
        return __import__(name)
    finally:
        sys.path.remove(EXAMPLES)


def assert_all_modes(f, args, argnum=0, rtol=1e-5, atol=1e-7, order=2):
    """f's derivative wrt args[argnum] agrees with central differences in every mode: grad,
    jvp (along ones), vjp and jacfwd/jacrev; with order=2 its second derivative (hessian,
    and grad of grad for a float argument) agrees with differences of the first."""
    import srcdiff

    x = args[argnum]
    expected = central_difference(f, args, argnum)
    scalar = np.ndim(f(*args)) == 0
    if scalar:
        np.testing.assert_allclose(srcdiff.grad(f, argnums=argnum)(*args), expected, rtol=rtol, atol=atol,
                                   err_msg="grad")
    tangents = tuple(np.ones_like(a) if i == argnum and isinstance(a, np.ndarray) else 1.0 if i == argnum
                     else np.zeros_like(a) if isinstance(a, np.ndarray) else 0.0
                     for i, a in enumerate(args))
    _, t = srcdiff.jvp(f, args, tangents)
    in_axes = tuple(range(np.ndim(expected) - np.ndim(x), np.ndim(expected)))
    np.testing.assert_allclose(t, np.sum(expected, axis=in_axes) if in_axes else expected, rtol=rtol, atol=atol,
                               err_msg="jvp")
    out, pullback = srcdiff.vjp(f, *args)
    cotangent = np.ones_like(out) if isinstance(out, np.ndarray) else 1.0
    got = pullback(cotangent)[argnum]
    lead = tuple(range(np.ndim(expected) - np.ndim(x)))
    np.testing.assert_allclose(got, np.sum(expected, axis=lead) if lead else expected, rtol=rtol, atol=atol,
                               err_msg="vjp")
    if order >= 2 and scalar:
        g = srcdiff.grad(f, argnums=argnum)
        second = central_difference(lambda *a: np.asarray(g(*a), dtype=float), args, argnum)
        np.testing.assert_allclose(srcdiff.hessian(f, argnums=argnum)(*args), second, rtol=1e-4, atol=1e-6,
                                   err_msg="hessian")
        np.testing.assert_allclose(srcdiff.jacrev(g, argnums=argnum)(*args), second, rtol=1e-4, atol=1e-6,
                                   err_msg="jacrev of grad")
        if isinstance(x, float):
            np.testing.assert_allclose(srcdiff.grad(g, argnums=argnum)(*args), second, rtol=1e-4, atol=1e-6,
                                       err_msg="grad of grad")


def weighted(op):
    """A scalar loss of op(x): sin of each element, weighted by its place."""
    def loss(x):
        y = op(x)
        return np.sum(np.sin(y) * np.cos(np.arange(y.size) + 1.0).reshape(y.shape))

    return loss
