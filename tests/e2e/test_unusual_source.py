"""Unusual and unsupported source: srcdiff either differentiates it correctly or raises a
SrcdiffError with a location, never an internal exception."""
import textwrap

import pytest

from srcdiff import SrcdiffError, grad

from tests.numeric import import_file

# (source of f(x) with x a float, expected derivative at 0.5, or None when it must be refused)
CASES = {
    "annotations": ("def f(x: float) -> float:\n    y: float = x * x\n    return y", 1.0),
    "docstring and comments": ('def f(x):\n    """Square."""\n    # a comment\n    return x * x  # trailing', 1.0),
    "odd indentation in a nested function": (
        "def f(x):\n    def g(u):\n            return u * 3.0\n    return g(x)", 3.0),
    "lambda in the body": ("def f(x):\n    sq = lambda u: u * u\n    return sq(x)", 1.0),
    "keyword-only default": ("def f(x, *, k=2.0):\n    return k * x", 2.0),
    "chained comparison branch": ("def f(x):\n    if 0.0 < x < 1.0:\n        return x * x\n    return x", 1.0),
    "walrus": ("def f(x):\n    return (y := x) * y", None),
    "f-string": ('def f(x):\n    s = f"{x}"\n    return x', 1.0),  # a string, unused (issue 17)
    "star args": ("def f(x, *rest):\n    return x", None),
    "star call": ("def f(x):\n    return np.add(*[x, x])", 2.0),  # a starred list splices its items
    "try": ("def f(x):\n    try:\n        return x\n    except Exception:\n        return x", None),
    "with": ("def f(x):\n    with open('f') as h:\n        return x", None),
    "global": ("def f(x):\n    global G\n    return x", None),
    "class": ("def f(x):\n    class A:\n        pass\n    return x", None),
    "assert": ("def f(x):\n    assert x > 0\n    return x", 1.0),  # kept in the forward part
    "match": ("def f(x):\n    match x:\n        case _:\n            return x", None),
    "set": ("def f(x):\n    s = {x}\n    return x", None),
    "dict comprehension": ("def f(x):\n    d = {k: x for k in range(2)}\n    return x", None),
    "decorated nested function": (
        "def f(x):\n    @staticmethod\n    def g(u):\n        return u\n    return g(x)", None),
    "yield": ("def f(x):\n    yield x", None),
    "no return on a path": ("def f(x):\n    if x > 0:\n        return x", None),
    "undefined name": ("def f(x):\n    return x * undefined_name", None),
    "string result": ("def f(x):\n    return 'x'", None),
    "async def": ("async def f(x):\n    return x", None),
}


def _load(tmp_path, name, body):
    path = tmp_path / (name.replace(" ", "_").replace("-", "_") + ".py")
    return import_file(path, "import numpy as np\n\n\n" + textwrap.dedent(body) + "\n").f, str(path)


@pytest.mark.parametrize("name", sorted(CASES))
def test_differentiated_correctly_or_refused_with_a_location(tmp_path, name):
    body, expected = CASES[name]
    f, path = _load(tmp_path, name, body)
    if expected is not None:
        assert grad(f)(0.5) == pytest.approx(expected, rel=1e-12)
        return
    with pytest.raises((SrcdiffError, TypeError)) as info:
        grad(f)(0.5)
    if isinstance(info.value, SrcdiffError):
        assert info.value.loc is not None and info.value.loc.filename == path
        assert f"{path}:" in str(info.value) and "hint:" in str(info.value)
