"""Errors name a callable as users reach it: by its public module (core.public_name)."""
import math

import numpy as np
import pytest

import srcdiff
from srcdiff import UnknownCallableError
from srcdiff.prims.core import public_name


@pytest.mark.parametrize("fn, name", [
    (np.tanh, "numpy.tanh"), (np.sum, "numpy.sum"), (np.linalg.solve, "numpy.linalg.solve"),
    (np.fft.rfft, "numpy.fft.rfft"), (np.random.randn, "numpy.random.randn"), (math.sin, "math.sin"),
    (len, "len"),
])
def test_numpy_and_builtins(fn, name):
    assert public_name(fn) == name


def test_scipy_by_its_public_module():
    special = pytest.importorskip("scipy.special")
    stats = pytest.importorskip("scipy.stats")
    assert public_name(special.expit) == "scipy.special.expit"  # a ufunc, whose own name says numpy
    assert public_name(special.logsumexp) == "scipy.special.logsumexp"  # defined in a private module
    assert public_name(stats.norm.logpdf) == "scipy.stats.norm.logpdf"  # a method of an object scipy.stats holds


def test_a_function_of_the_users_own():
    def helper(x):
        return x
    assert public_name(helper).endswith("test_a_function_of_the_users_own.<locals>.helper")


def test_the_error_names_the_public_module():
    def f(x):
        mantissa, exponent = np.frexp(x)
        return np.sum(mantissa)

    with pytest.raises(UnknownCallableError, match=r"no derivative rule for numpy\.frexp") as e:
        srcdiff.grad(f)(np.ones(3))
    assert "test_names.py" in str(e.value)


def test_an_unsupported_scipy_ufunc_is_named_as_scipy_names_it():
    special = pytest.importorskip("scipy.special")

    def f(x):
        return np.sum(special.struve(1.0, x))

    with pytest.raises(UnknownCallableError, match=r"no derivative rule for scipy\.special\.struve"):
        srcdiff.grad(f)(np.ones(3))
