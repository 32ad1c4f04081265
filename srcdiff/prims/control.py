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
    if hasattr(iterable, "aval") and iterable.aval.kind == "array":
        # Python's sum of an array adds its rows: start + x[0] + x[1] + ..., the sum over axis 0
        if iterable.aval.known_shape and iterable.aval.shape == ():
            raise current().error("sum() of an array of shape (): Python cannot iterate over it")
        return wrap(start) + np.sum(iterable, axis=0)
    if not isinstance(iterable, (list, tuple)):
        raise TypeError(f"sum() takes a list or tuple here, not {type(iterable).__name__}")
    total = wrap(start)
    for item in iterable:
        total = total + item
    return total


# int(), bool(), round() of a value: Python's, with no derivative (int and round are steps;
# NumPy's around, which round(x, 2) of a NumPy scalar calls, has none either). Of a value
# known when compiling, the answer then; of a traced one, the call in the emitted code.
def _python_number(name, dtype_of):
    def shape(avals, params):
        x = avals[0]
        if x.known_shape and x.shape != ():
            raise current().error(f"{name}() of an array of shape {x.shape}: Python takes one number here",
                                  f"index one element first, or use np.{'round' if name == 'round' else 'astype'}.")
        return Aval("scalar" if x.kind == "scalar" or dtype_of(x) != x.dtype else x.kind, (), dtype_of(x))

    return shape


INT_OF = Primitive("int", template("int({0})"), int, _python_number("int", lambda x: INT),
                   differentiable=False, hoistable=False)
BOOL_OF = Primitive("bool", template("bool({0})"), bool, _python_number("bool", lambda x: BOOL),
                    differentiable=False, hoistable=False)
ROUND_OF = Primitive("builtin_round", template("round({0})"), round, _python_number("round", lambda x: INT),
                     differentiable=False)
ROUND_DIGITS = Primitive("builtin_round_digits", template("round({0}, {1})"), round,
                         lambda avals, params: Aval(avals[0].kind, avals[0].shape, avals[0].dtype),
                         differentiable=False)


def _number_of(prim, fold):
    def bind(x=0, *rest):
        if rest:
            raise TypeError(f"{prim.name}() of a number takes one argument here")
        x = wrap(x)
        if x.is_const and not isinstance(x.atom.value, np.ndarray):
            return wrap(fold(x.atom.value))
        if prim is INT_OF and x.aval.dtype is not None and x.aval.dtype.kind in "iu" and x.aval.kind == "scalar":
            return x  # int(n) of a Python int is n
        return current().apply(prim, [x])

    return bind


binds(int)(_number_of(INT_OF, int))
binds(bool)(_number_of(BOOL_OF, bool))


@binds(round)
def _round(number, ndigits=None):
    x = wrap(number)
    digits = wrap(ndigits).const_value(_NO_DIGITS) if ndigits is not None else None
    if digits is _NO_DIGITS or not (digits is None or isinstance(digits, int)):
        raise current().error("round()'s ndigits must be an int known when compiling")
    if x.is_const and not isinstance(x.atom.value, np.ndarray):
        return wrap(round(x.atom.value, digits))
    if digits is None:
        return current().apply(ROUND_OF, [x])
    return current().apply(ROUND_DIGITS, [x, wrap(digits)])


_NO_DIGITS = object()
