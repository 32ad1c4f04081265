"""The cache's view of what a function captured (srcdiff/cache.py): kinds in the key, an
expectation per place a compile read, and an entry bound to each function it serves."""
import numpy as np

from srcdiff import cache
from srcdiff.guards import MISSING, Default, default_of, holds


def with_defaults(x, a=1.0, *, b=np.ones(2)):
    return x * a


def make(value):
    def f(x):
        return x * value
    return f


def test_default_of_reads_positional_and_keyword_only_defaults():
    assert default_of(with_defaults, "a") == 1.0
    assert default_of(with_defaults, "b") is with_defaults.__kwdefaults__["b"]
    assert default_of(with_defaults, "x") is MISSING
    assert holds(with_defaults, Default("a"), with_defaults.__defaults__[0])
    assert not holds(with_defaults, Default("a"), 2.0)


def test_the_key_holds_kinds_not_captured_objects():
    one, other = make(np.zeros(3)), make(np.ones(3))
    assert cache.key_of(one, (), ()) == cache.key_of(other, (), ())
    assert cache.key_of(one, (), ()) != cache.key_of(make(np.zeros(4)), (), ())
    assert cache.key_of(one, (), ()) != cache.key_of(make(2.0), (), ())


def test_expectations():
    a = np.zeros(3)
    assert cache._meets(cache._expectation(a, True), np.ones(3))
    assert not cache._meets(cache._expectation(a, True), np.ones(4))
    assert not cache._meets(cache._expectation(a, True), np.ones(3, dtype=np.float32))
    assert not cache._meets(cache._expectation(a, False), np.zeros(3))  # the same object, not an equal one
    assert cache._meets(cache._expectation(2.0, False), 2.0)
    assert not cache._meets(cache._expectation(2.0, False), 2)  # an int is another constant's type
    assert cache._meets(cache._expectation(np.tanh, False), np.tanh)
    assert not cache._meets(cache._expectation(np.tanh, False), np.sin)
