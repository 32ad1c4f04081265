"""The variant a gradient runs on Python floats (math.cos for np.cos, float constants,
x * x for x ** 2; srcdiff/codegen/floats.py) answers as the NumPy variant does, for random
scalar programs with loops and branches, and both agree with central differences."""
import hashlib

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import srcdiff

from tests.numeric import import_file

UNARY = ["np.sin({})", "np.cos({})", "np.tanh({})", "np.exp(0.3 * {})", "np.log(1.5 + np.sin({}))",
         "np.sqrt(1.0 + {} ** 2)", "np.arctan({})", "abs({}) + 0.5", "{} ** 2", "{} ** 3", "-{}", "2 * {}"]
BINARY = ["{} + {}", "{} - {}", "{} * {}", "{} / (2.0 + np.cos({}))"]


def expressions(depth):
    leaf = st.sampled_from(["x", "y", "s", "0.7", "3"])
    if depth == 0:
        return leaf
    sub = expressions(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(st.sampled_from(UNARY), sub).map(lambda t: t[0].format(t[1])),
        st.tuples(st.sampled_from(BINARY), sub, sub).map(lambda t: t[0].format(t[1], t[2])),
    )


@st.composite
def programs(draw):
    body = draw(expressions(3))
    step = draw(expressions(2))
    test = draw(st.sampled_from(["s > 0.0", "x * y > 0.1", "i < 1"]))
    trips = draw(st.integers(0, 3))
    return (f"import numpy as np\n\n\ndef f(x, y):\n    s = x * 0.5\n    i = 0\n"
            f"    for k in range({trips}):\n        if {test}:\n            s = s + np.tanh({step}) * k\n"
            f"        else:\n            s = s - 0.1 * ({step})\n        i = i + 1\n"
            f"    return {body}\n")


@settings(max_examples=60, deadline=None)
@given(source=programs(), x=st.floats(-1.5, 1.5), y=st.floats(-1.5, 1.5))
def test_python_float_variant_agrees_with_numpy_and_differences(tmp_path_factory, source, x, y):
    path = tmp_path_factory.mktemp("floats") / f"p_{hashlib.sha1(source.encode()).hexdigest()[:12]}.py"
    f = import_file(path, source).f
    g = srcdiff.grad(f, argnums=(0, 1))
    with np.errstate(all="ignore"):
        on_floats = g(x, y)
        on_numpy = g(np.float64(x), np.float64(y))
    assert all(type(d) is float for d in on_floats)
    np.testing.assert_allclose(on_floats, on_numpy, rtol=1e-12, atol=1e-12, err_msg=source)
    if not np.all(np.isfinite(on_numpy)):
        return
    eps = 1e-6
    for k, d in enumerate(on_floats):
        up = [x, y]
        down = [x, y]
        up[k] += eps
        down[k] -= eps
        with np.errstate(all="ignore"):
            here, above, below = f(x, y), f(*up), f(*down)
        numeric = (above - below) / (2 * eps)
        # at a kink (a branch taken on either side) the one-sided slopes part: no derivative to compare
        kink = abs((above - here) - (here - below)) / eps > 1e-4 * max(1.0, abs(d))
        if not kink:
            assert abs(numeric - d) <= 1e-4 * max(1.0, abs(d)), (source, k, d, numeric)
