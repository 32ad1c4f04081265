"""scipy.signal.convolve (1-D, 2-D and 3-D, every mode and method) and
scipy.integrate.trapezoid as users write them, in every mode and to second order against
central differences, with values equal to SciPy's; refusals located at their line; and
srcdiff without SciPy (an optional extra): nothing of it registered, the rest working.
Skipped without SciPy."""
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import srcdiff
from srcdiff import NonDifferentiableError

from tests.numeric import ROOT, assert_all_modes

scipy = pytest.importorskip("scipy")
import scipy.integrate  # noqa: E402
import scipy.signal  # noqa: E402
from scipy import signal  # noqa: E402
from scipy.integrate import trapezoid  # noqa: E402

RNG = np.random.default_rng(1617)


def values(*shape):
    return RNG.uniform(-1.0, 1.0, size=shape)


def full_1d(a, v):
    return np.sum(np.sin(scipy.signal.convolve(a, v)))


def same_2d(a, v):
    return np.sum(np.sin(signal.convolve(a, v, mode="same")))


def valid_2d(a, v):
    return np.sum(signal.convolve(a, v, "valid") ** 2)


def valid_swapped(a, v):
    """in2 the larger in every dimension: SciPy swaps them for 'valid'."""
    return np.sum(np.sin(signal.convolve(v, a, mode="valid")))


def direct_method(a, v):
    return np.sum(np.cos(signal.convolve(a, v, "same", "direct")) * signal.convolve(a, a, mode="same", method="direct"))


def fft_method(a, v):
    return np.sum(np.sin(signal.convolve(in1=a, in2=v, method="fft")))


CONVOLUTIONS = [
    (full_1d, (5,), (3,)), (full_1d, (2,), (4,)),
    (same_2d, (4, 5), (2, 3)), (same_2d, (2, 3), (3, 4)),
    (valid_2d, (4, 5), (2, 3)),
    (valid_swapped, (4, 5), (2, 3)),
    (direct_method, (3, 4), (2, 2)),
    (fft_method, (5,), (3,)), (fft_method, (3, 4), (2, 2)),
    (same_2d, (3, 3, 4), (2, 2, 2)),
]


@pytest.mark.parametrize("f,shape_a,shape_v", CONVOLUTIONS, ids=lambda v: getattr(v, "__name__", str(v)))
@pytest.mark.parametrize("argnum", [0, 1])
def test_convolve_in_every_mode(f, shape_a, shape_v, argnum):
    tolerance = dict(rtol=1e-5, atol=1e-7) if f is not fft_method else dict(rtol=1e-4, atol=1e-6)
    assert_all_modes(f, (values(*shape_a), values(*shape_v)), argnum=argnum, **tolerance)


def convolved(a, v, mode):
    return signal.convolve(a, v, mode=mode)


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("shape_a,shape_v", [((5,), (3,)), ((3,), (5,)), ((4, 5), (2, 3)), ((2, 3), (4, 5))])
def test_convolve_values_are_scipys(mode, shape_a, shape_v):
    a, v = values(*shape_a), values(*shape_v)
    out, _ = srcdiff.vjp(lambda_mode(mode), a, v)
    np.testing.assert_allclose(out, scipy.signal.convolve(a, v, mode=mode), rtol=1e-12, atol=1e-14)


def lambda_mode(mode):
    def convolve_in_mode(a, v):
        return signal.convolve(a, v, mode=mode)

    return convolve_in_mode


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2 ** 32 - 1), st.sampled_from(["full", "same", "valid"]),
       st.lists(st.integers(1, 4), min_size=1, max_size=2), st.lists(st.integers(1, 4), min_size=2, max_size=2))
def test_convolve_is_bilinear_and_its_adjoint_is_a_correlation(seed, mode, shape_a, shape_v):
    """Convolution is linear in each operand, so the JVP along a is the value at a; its
    adjoint is the transposed map: <g, conv(da, v)> = <vjp(g), da> for every g and da."""
    shape_v = shape_v[:len(shape_a)]
    if mode == "valid" and not (all(i >= j for i, j in zip(shape_a, shape_v))
                                or all(j >= i for i, j in zip(shape_a, shape_v))):
        return
    rng = np.random.default_rng(seed)
    a, v, da = rng.uniform(-1, 1, shape_a), rng.uniform(-1, 1, shape_v), rng.uniform(-1, 1, shape_a)
    f = lambda_mode(mode)
    out, tangent = srcdiff.jvp(f, (a, v), (da, np.zeros_like(v)))
    np.testing.assert_allclose(tangent, scipy.signal.convolve(da, v, mode=mode), rtol=1e-10, atol=1e-12)
    g = rng.uniform(-1, 1, np.shape(out))
    _, pullback = srcdiff.vjp(f, a, v)
    np.testing.assert_allclose(np.sum(pullback(g)[0] * da), np.sum(g * tangent), rtol=1e-10, atol=1e-12)


def test_convolve_float32_keeps_its_dtype():
    a, v = values(4, 5).astype(np.float32), values(2, 3).astype(np.float32)
    got = srcdiff.grad(same_2d)(a, v)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, srcdiff.grad(same_2d)(a.astype(float), v.astype(float)), rtol=1e-4, atol=1e-5)


def convolve_a_literal(a):
    return np.sum(np.sin(signal.convolve(a, [0.25, 0.5, 0.25], mode="same")))


def test_convolve_with_a_literal_kernel():
    assert_all_modes(convolve_a_literal, (values(6),))


def test_the_vjp_is_a_convolution_with_the_other_operand_flipped():
    text = srcdiff.source(srcdiff.grad(same_2d, argnums=(0, 1)), values(4, 5), values(2, 3))
    assert "import scipy.signal\n" in text
    assert "scipy.signal.convolve(" in text and "[::-1, ::-1])" in text


# -- scipy.integrate.trapezoid: np.trapezoid's binder

def trapezoid_dx(y):
    return np.sum(np.sin(scipy.integrate.trapezoid(y * y, dx=0.25)))


def trapezoid_first_axis(y):
    return np.sum(np.sin(trapezoid(y, axis=0)))


def trapezoid_in_x(t):
    return np.sum(trapezoid(np.sin(t), t, axis=-1) ** 2)


def trapezoid_keyword_x(t):
    return trapezoid(y=t ** 2, x=np.linspace(0.0, 1.0, 4))


@pytest.mark.parametrize("f,shape", [(trapezoid_dx, (4,)), (trapezoid_dx, (2, 3)), (trapezoid_first_axis, (3, 2)),
                                     (trapezoid_in_x, (4,)), (trapezoid_in_x, (2, 4)), (trapezoid_keyword_x, (4,))])
def test_trapezoid_in_every_mode(f, shape):
    assert_all_modes(f, (np.sort(values(*shape), axis=-1),))


def test_trapezoid_value_is_scipys():
    y = values(3, 4)
    out, _ = srcdiff.vjp(integrated, y)
    np.testing.assert_allclose(out, scipy.integrate.trapezoid(y, dx=0.5, axis=0), rtol=1e-14)


def integrated(y):
    return trapezoid(y, dx=0.5, axis=0)


# -- refusals, at their line

def convolve_mixed_ranks(a, v):
    return np.sum(signal.convolve(a, v[0]))


def convolve_bad_mode(a, v):
    return np.sum(signal.convolve(a, v, mode="circular"))


def convolve_bad_method(a, v):
    return np.sum(signal.convolve(a, v, method="winograd"))


def convolve_valid_mixed(a, v):
    return np.sum(signal.convolve(a, v, mode="valid"))


@pytest.mark.parametrize("f,shape_v,message", [
    (convolve_mixed_ranks, (2, 2), "the same dimensionality"),
    (convolve_bad_mode, (2, 2), "mode 'circular' is not one of"),
    (convolve_bad_method, (2, 2), "method 'winograd' is not one of"),
    (convolve_valid_mixed, (2, 5), "at least as large as the other in every dimension"),
])
def test_unsupported_forms_are_refused_at_their_line(f, shape_v, message):
    with pytest.raises(NonDifferentiableError, match=message) as info:
        srcdiff.grad(f)(values(3, 3), values(*shape_v))
    assert "test_scipy_signal.py:" in str(info.value)


# -- without SciPy

HIDDEN = '''
import sys
class Hide:
    def find_spec(self, name, path=None, target=None):
        if name == "scipy" or name.startswith("scipy."):
            raise ImportError("SciPy hidden")
sys.meta_path.insert(0, Hide())
import numpy as np
import srcdiff
from srcdiff.prims.core import CALLABLES, PRIMITIVES
assert "scipy" not in sys.modules
assert not any("scipy" in getattr(c, "__module__", "") for c in CALLABLES if callable(c)), "a SciPy callable bound"
assert not any(m.split(".")[0] == "scipy" for p in PRIMITIVES for m in p.imports), "a primitive naming SciPy"
def f(x):
    return np.sum(np.trapezoid(np.sin(x)))
print(srcdiff.grad(f)(np.linspace(0.0, 1.0, 4)).round(6).tolist())
'''


def test_srcdiff_without_scipy_registers_none_of_it(tmp_path):
    script = tmp_path / "without_scipy.py"  # a file: srcdiff reads f's source
    script.write_text(HIDDEN)
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT,
                         env=dict(os.environ, PYTHONPATH=ROOT))
    assert run.returncode == 0, run.stderr
    x = np.linspace(0.0, 1.0, 4)
    expected = np.cos(x) * np.array([0.5, 1.0, 1.0, 0.5])
    np.testing.assert_allclose(eval(run.stdout), expected, atol=1e-6)
