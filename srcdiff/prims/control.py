"""Scalar logic for conditions and loop bounds: Python's and/or/not, range lengths,
and the builtins min/max on scalars, and sum."""
import builtins
import operator

import numpy as np

from ..ir import Aval
from . import lists
from .core import Primitive, array_operand, binds, current, wrap
from .elementwise import BINARY, NONDIFF
from .shapes import BOOL, INT
from .syntax import template

FAMILY = "Python builtins"  # grammar.md's list of callables (prims/catalog.py) groups by it


def _scalar_logic(name):
    def shape(avals, params):
        for a in avals:
            if a.known_shape and a.shape != ():
                raise current().error(
                    f"'{name}' needs single values, not arrays of shape {a.shape}",
                    "combine boolean arrays with & and |, or np.logical_and / np.logical_or.",
                )
        return Aval("scalar", (), BOOL)

    return shape


AND = Primitive("and", template("{0} and {1}"), lambda a, b: bool(a and b), _scalar_logic("and"),
                differentiable=False, hoistable=True)
OR = Primitive("or", template("{0} or {1}"), lambda a, b: bool(a or b), _scalar_logic("or"), differentiable=False, hoistable=True)
NOT = Primitive("not", template("not {0}"), lambda a: not a, _scalar_logic("not"), differentiable=False, hoistable=True)

RANGE_LEN = Primitive(
    "range_len", template("len(range({0}, {1}, {2}))"), lambda a, b, c: len(range(a, b, c)),
    lambda avals, params: Aval("scalar", (), INT), differentiable=False,
)


@binds(operator.not_)
def _not(x):
    x = wrap(x)
    if x.aval.known_shape and x.aval.shape == ():
        return current().apply(NOT, [x])
    return current().apply(NONDIFF["logical_not"], [x])


def _extremum(prim, reduction, name):
    def bind(*args, **kwargs):
        if kwargs:
            raise current().error(f"{name}() with key= or default= is not supported")
        if not args:
            raise TypeError(f"{name} expected at least 1 argument, got 0")
        if len(args) == 1:
            return reduction(args[0])  # max(array) is its largest element
        result = args[0]
        for a in args[1:]:
            result = current().apply(prim, [result, a])
        return result

    return bind


binds(builtins.max)(_extremum(BINARY["maximum"], lambda x: current().call(np.max, (array_operand(x),), {}), "max"))
binds(builtins.min)(_extremum(BINARY["minimum"], lambda x: current().call(np.min, (array_operand(x),), {}), "min"))


@binds(builtins.sum)
def _builtin_sum(iterable, start=0):
    """sum([a, b]) is start + a + b; sum(xs) of a list a loop built, the sum of its stacked items
    (sum(generator) is a loop the frontend writes)."""
    if lists.is_list(iterable):
        if not iterable.aval.known_shape:
            raise current().error("sum of a list built in a loop needs items of one known shape",
                                  "sum them in the loop instead: total = total + item")
        return start + np.sum(lists.stack(iterable), axis=0)
    if not isinstance(iterable, (list, tuple)):
        raise TypeError(f"sum() takes a list or tuple here, not {type(iterable).__name__}")
    total = wrap(start)
    for item in iterable:
        total = total + item
    return total
