"""Python as people write it around a loss, decided when compiling where Python's answer is
known then: `x is None`, `isinstance(x, np.ndarray)`, `type(x) is float`, `callable(f)`,
`hasattr(obj, "w")`, `==` of strings and other plain objects, `"k" in params`; `range(...)`
as a value; `min`/`max` with `key=`; `len` of containers; `list.index`.

A traced value's Python type is read from its kind (ir/core.py's Aval): a Python number is a
float, int or bool by its dtype, an array of known rank > 0 an ndarray. An array of shape ()
may be a 0-d ndarray or a NumPy scalar (np.float64 is also a float): a question whose answer
differs between the two is refused, not guessed."""
import ast
import builtins
import operator
import types

import numpy as np

from ..errors import NonDifferentiableError
from ..ir import Const
from ..prims import T, wrap
from ..prims.control import RANGE_LEN
from ..prims.effects import Text, assert_that
from .calls import LocalFunction

_UNKNOWN = object()
_PLAIN_CMP = {"Eq": operator.eq, "NotEq": operator.ne}


class RangeValue:
    """range(start, stop, step) kept as a value (r = range(n); for i in r; len(r); r[k]):
    its bounds are ints known when compiling or traced ints."""

    __slots__ = ("start", "stop", "step")

    def __init__(self, start, stop, step):
        self.start, self.stop, self.step = start, stop, step

    def bounds(self):
        return self.start, self.stop, self.step

    def static(self):
        """The Python range, when its bounds are known when compiling; None otherwise."""
        values = [_known_int(b) for b in self.bounds()]
        return None if any(v is None for v in values) else range(*values)


def _known_int(value):
    v = value.const_value(_UNKNOWN) if isinstance(value, T) else value
    return v if isinstance(v, (int, np.integer)) and not isinstance(v, bool) else None


def python_types(value):
    """The Python types a value may have when the code runs (one unless an array of shape () may
    be a 0-d ndarray or a NumPy scalar); None when its kind says nothing."""
    if isinstance(value, T):
        a = value.aval
        if isinstance(value.atom, Const) and value.atom.known and not isinstance(value.atom.value, np.ndarray):
            return [type(value.atom.value)]
        if a.kind == "scalar" and a.dtype is not None:
            return [{"f": float, "i": int, "u": int, "b": bool, "c": complex}[a.dtype.kind]]
        if a.kind == "array":
            if a.known_shape and a.shape != ():
                return [np.ndarray]
            if a.dtype is not None:
                return [np.ndarray, a.dtype.type]
            return None
        if a.kind == "tuple":
            return [tuple]
        if a.kind == "list":
            return [list]
        if a.kind == "static" and a.has_value:
            return [type(a.value)]
        return None
    if isinstance(value, LocalFunction):
        return [types.FunctionType]
    if isinstance(value, RangeValue):
        return [range]
    return [type(value)]


class Idioms:
    """Part of Lowering (lower.py): the builtins and comparisons whose answer is known when
    compiling, and range values."""

    __slots__ = ()

    # -- is, is not, in, == of plain objects ----------------------------------------

    def static_compare(self, op, left, right, node):
        """The comparison's answer when it is known now (a bool), or _UNKNOWN."""
        name = type(op).__name__
        if name in ("Is", "IsNot"):
            same = self._identical(left, right, node)
            return same if name == "Is" else not same
        if name in ("In", "NotIn"):
            found = self._contains(right, left, node)
            return found if name == "In" else not found
        if name in _PLAIN_CMP:
            lt, rt = isinstance(left, T), isinstance(right, T)
            if lt and rt:
                return _UNKNOWN  # numbers and arrays: the comparison primitives (folded when constant)
            if lt or rt:
                number, other = (left, right) if lt else (right, left)
                if isinstance(other, _NEVER_EQUAL):
                    if not (number.aval.known_shape and number.aval.shape == ()):
                        raise NonDifferentiableError(
                            f"== of an array and a {type(other).__name__} is NumPy's elementwise comparison",
                            self.loc(node), "hint: test x is None, or isinstance(x, str).")
                    return _PLAIN_CMP[name](1, None)  # a number is not a string, None, a function
                return _UNKNOWN
            if _plain(left) and _plain(right):
                return bool(_PLAIN_CMP[name](left, right))
        return _UNKNOWN

    def _identical(self, left, right, node):
        lt, rt = isinstance(left, T), isinstance(right, T)
        if lt and rt:
            if left.atom is right.atom:
                return True
            lv, rv = _singleton(left), _singleton(right)
            if lv is not _UNKNOWN or rv is not _UNKNOWN:
                return lv is rv
            raise NonDifferentiableError(
                "'is' between two computed values is not known when compiling", self.loc(node),
                "hint: compare values with ==, or test against None: x is None.")
        if lt or rt:
            value, other = (left, right) if lt else (right, left)
            known = _singleton(value)
            if known is not _UNKNOWN:
                return known is other
            return False  # an array or a number is not None, a function, a string, a container
        return left is right

    def _contains(self, container, item, node):
        if isinstance(container, dict):
            key = item.const_value(_UNKNOWN) if isinstance(item, T) else item
            if key is _UNKNOWN:
                raise NonDifferentiableError("'in' of a dict needs a key known when compiling", self.loc(node))
            return key in container
        if isinstance(container, str) and isinstance(item, str):
            return item in container
        if isinstance(container, (tuple, list)) and _plain(item) and all(_plain(v) for v in container):
            known = [v.const_value(_UNKNOWN) if isinstance(v, T) else v for v in [item, *container]]
            if _UNKNOWN not in known:
                return known[0] in known[1:]
        raise NonDifferentiableError(
            "'in' is supported on dicts, strings, and tuples or lists of values known when compiling",
            self.loc(node), "hint: test membership before calling the gradient, or compare with ==.")

    # -- f-strings, assert ------------------------------------------------------------

    def expr_JoinedStr(self, node):
        """f"loss {y:.3f}": a str when every value is known now, else a Text (prims/effects.py)
        that print, assert and warnings.warn write back as an f-string of the computed values."""
        pieces = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                pieces.append(str(part.value))
                continue
            value = self.expr(part.value)
            conversion = {115: "s", 114: "r", 97: "a"}.get(part.conversion, "")
            spec = self.expr_JoinedStr(part.format_spec) if part.format_spec is not None else ""
            if isinstance(spec, Text):
                raise NonDifferentiableError("a format spec computed from the inputs is not supported",
                                             self.loc(part), "hint: write the width and precision as literals.")
            known = value.const_value(_UNKNOWN) if isinstance(value, T) else value
            if isinstance(known, np.ndarray):
                known = _UNKNOWN
            if known is not _UNKNOWN and _formattable(known):
                convert = {"s": str, "r": repr, "a": ascii}.get(conversion, lambda v: v)
                pieces.append(format(convert(known), spec))
            elif isinstance(value, T) and value.aval.kind in ("array", "scalar"):
                pieces.append((value, conversion, spec))
            else:
                raise NonDifferentiableError(
                    f"an f-string of a {type(value).__name__} holding computed values is not supported",
                    self.loc(part), "hint: format the numbers and arrays one by one.")
        merged = []
        for piece in pieces:
            if isinstance(piece, str) and merged and isinstance(merged[-1], str):
                merged[-1] += piece
            else:
                merged.append(piece)
        if all(isinstance(p, str) for p in merged):
            return "".join(merged)
        return Text(p for p in merged if p != "")

    def stmt_Assert(self, node):
        """assert test, msg: decided now when the test is known now (as a shape's); otherwise an
        assert in the forward part of the emitted code, with its message."""
        test = self.condition(node.test)
        known = _static_truth_of(test)
        if known is True:
            return
        message = self.expr(node.msg) if node.msg is not None else None
        if message is not None and not isinstance(message, (str, Text, T, int, float, type(None), tuple, list, dict)):
            raise NonDifferentiableError(f"an assert message that is a {type(message).__name__} is not supported",
                                         self.loc(node.msg), "hint: use a string, or an f-string.")
        assert_that(test if isinstance(test, T) else T(Const(bool(known))), message)

    # -- builtins decided when compiling ------------------------------------------

    def call_idiom(self, func, node):
        """The value of a call of a builtin this module answers, or _UNKNOWN for another callee."""
        handler = _HANDLERS.get(func) if _hashable(func) else None
        if handler is None:
            return _UNKNOWN
        return handler(self, node)

    def _arguments(self, node):
        args = self.call_arguments(node.args)
        kwargs = self.call_keywords(node.keywords)
        return args, kwargs

    def _isinstance(self, node):
        args, kwargs = self._arguments(node)
        if len(args) != 2 or kwargs:
            raise NonDifferentiableError("isinstance() takes two arguments", self.loc(node))
        value, classes = args
        if not _classinfo(classes):
            raise NonDifferentiableError("isinstance()'s second argument must be a class, or a tuple of them, "
                                         "known when compiling", self.loc(node))
        return self._decided(value, lambda t: issubclass(t, classes), "isinstance", node)

    def _type(self, node):
        args, kwargs = self._arguments(node)
        if len(args) != 1 or kwargs:
            raise NonDifferentiableError("type() of one value is supported (not type(name, bases, dict))",
                                         self.loc(node))
        found = python_types(args[0])
        if found is None or len(found) != 1:
            raise self._undecided(args[0], "type", node)
        return found[0]

    def _callable(self, node):
        args, kwargs = self._arguments(node)
        if len(args) != 1 or kwargs:
            raise NonDifferentiableError("callable() takes one argument", self.loc(node))
        value = args[0]
        if isinstance(value, LocalFunction) or type(value).__name__ == "_Method":
            return True
        if isinstance(value, T):  # whether a value of that type is callable: its class has __call__
            return self._decided(value, lambda t: any("__call__" in vars(k) for k in t.__mro__), "callable", node)
        return callable(value)

    def _hasattr(self, node):
        args, kwargs = self._arguments(node)
        if len(args) != 2 or kwargs or not isinstance(args[1], str):
            raise NonDifferentiableError("hasattr(obj, name) needs a name known when compiling", self.loc(node))
        value, name = args
        if isinstance(value, T):
            return self._decided(value, lambda t: hasattr(t, name), "hasattr", node)
        if isinstance(value, (LocalFunction, RangeValue)):
            return hasattr(types.FunctionType if isinstance(value, LocalFunction) else range(0), name)
        found = hasattr(value, name)
        own = getattr(value, "__dict__", None)
        if isinstance(own, dict) and not isinstance(value, types.ModuleType):
            from ..guards import MISSING

            self.session.guards.append((own, name, own.get(name, MISSING)))  # setting it later compiles again
        return found

    def _decided(self, value, test, what, node):
        found = python_types(value)
        answers = {bool(test(t)) for t in found} if found else set()
        if len(answers) != 1:
            raise self._undecided(value, what, node)
        return answers.pop()

    def _undecided(self, value, what, node):
        return NonDifferentiableError(
            f"{what}() of this value is not known when compiling: a value of shape () may be a 0-d array "
            "or a NumPy scalar", self.loc(node),
            "hint: test np.ndim(x) == 0, or pass a Python float or an array of known rank.")

    def _range(self, node):
        args, kwargs = self._arguments(node)
        if kwargs or not 1 <= len(args) <= 3:
            raise NonDifferentiableError("range takes 1 to 3 arguments", self.loc(node))
        for a in args:
            if not isinstance(a, T) or (a.aval.dtype is not None and a.aval.dtype.kind not in "iub"):
                raise NonDifferentiableError("range() takes integers", self.loc(node))
        start, stop, step = (wrap(0), args[0], wrap(1)) if len(args) == 1 else (
            args[0], args[1], args[2] if len(args) == 3 else wrap(1))
        return RangeValue(start, stop, step)

    def range_length(self, r):
        known = r.static()
        if known is not None:
            return wrap(len(known))
        return self.frame.builder.apply(RANGE_LEN, list(r.bounds()))

    def range_item(self, r, index, node):
        known = r.static()
        i = index.const_value(_UNKNOWN) if isinstance(index, T) else index
        if known is not None and isinstance(i, (int, slice)) and not isinstance(i, bool):
            try:
                item = known[i]
            except IndexError:
                raise NonDifferentiableError(f"range index {i} is out of range", self.loc(node)) from None
            return RangeValue(*(wrap(b) for b in (item.start, item.stop, item.step))) if isinstance(i, slice) \
                else wrap(item)
        if isinstance(i, int) and i >= 0 or (isinstance(index, T) and index.aval.dtype is not None
                                             and index.aval.dtype.kind in "iu" and isinstance(i, int)):
            return wrap(r.start) + wrap(i) * wrap(r.step)
        raise NonDifferentiableError("a range whose length is not known when compiling is indexed here by "
                                     "an index not known to be 0 or more", self.loc(node),
                                     "hint: index with a non-negative int known when compiling, or compute "
                                     "start + i * step.")

    def _len(self, node):
        args, kwargs = self._arguments(node)
        if len(args) != 1 or kwargs:
            raise NonDifferentiableError("len() takes one argument", self.loc(node))
        value = args[0]
        if isinstance(value, (tuple, list, dict, str)):
            return wrap(len(value))
        if isinstance(value, RangeValue):
            return self.range_length(value)
        if isinstance(value, Text):
            raise NonDifferentiableError("the length of an f-string of computed values is not known when compiling",
                                         self.loc(node), "hint: use the string in print, assert or warnings.warn.")
        return self.frame.builder.call(builtins.len, (value,), {})

    def _extremum(self, node, pick, name):
        args, kwargs = self._arguments(node)
        key, default = kwargs.pop("key", None), kwargs.pop("default", _UNKNOWN)
        if kwargs:
            raise NonDifferentiableError(f"{name}() got unexpected keyword arguments {sorted(kwargs)}", self.loc(node))
        if key is None and default is _UNKNOWN:
            return self.frame.builder.call(getattr(builtins, name), tuple(args), {})
        if len(args) == 1:
            items = args[0]
            if isinstance(items, RangeValue) and items.static() is not None:
                items = [wrap(v) for v in items.static()]
            if not isinstance(items, (tuple, list, dict)):
                raise NonDifferentiableError(
                    f"{name}() with key= or default= takes a tuple or list (or a dict) known when compiling here",
                    self.loc(node), f"hint: {name}(a, b, key=...) of values, or np.arg{name} of an array.")
            items = list(items)
        else:
            if default is not _UNKNOWN:
                raise NonDifferentiableError(f"{name}() takes default= only with one iterable", self.loc(node))
            items = list(args)
        if not items:
            if default is _UNKNOWN:
                raise NonDifferentiableError(f"{name}() of an empty sequence", self.loc(node))
            return default
        if key is None:
            return self.frame.builder.call(getattr(builtins, name), tuple(items), {}) if len(items) > 1 else items[0]
        keys = [self.call_value(key, [item], node) for item in items]
        best, best_key = items[0], keys[0]
        for item, k in zip(items[1:], keys[1:]):
            # Python keeps the first of equal keys: the later one wins only when strictly better
            better = self.frame.builder.call(pick, (k, best_key), {})
            known = better.const_value(_UNKNOWN) if isinstance(better, T) else better
            if known is not _UNKNOWN:
                best, best_key = (item, k) if known else (best, best_key)
                continue
            if isinstance(better, T) and better.aval.known_shape and better.aval.shape != ():
                raise NonDifferentiableError(f"{name}()'s key gives arrays here; it must give one number per item",
                                             self.loc(node))
            best = self.select(better, item, best, node)
            best_key = self.select(better, k, best_key, node)
        return best

    def _index(self, container, node):
        """list.index / tuple.index of a value known when compiling."""
        args = self.call_arguments(node.args)
        known = [a.const_value(_UNKNOWN) if isinstance(a, T) else a for a in args]
        items = [v.const_value(_UNKNOWN) if isinstance(v, T) else v for v in container]
        if not 1 <= len(known) <= 3 or _UNKNOWN in known or node.keywords:
            raise NonDifferentiableError(".index() needs a value (and bounds) known when compiling", self.loc(node))
        bounds = (known[1:] + [None, None])[:2]
        start, stop = slice(*bounds).indices(len(items))[:2]  # xs.index(v, start, stop), as Python reads them
        for k, v in enumerate(items):
            if not start <= k < stop:
                continue
            if v is not _UNKNOWN and _plain(v) and v == known[0]:
                return wrap(k)
            if v is _UNKNOWN:
                raise NonDifferentiableError(".index() of a list holding computed values is not known when "
                                             "compiling", self.loc(node))
        raise NonDifferentiableError(f"{known[0]!r} is not in the list", self.loc(node))


def _formattable(value):
    return isinstance(value, (str, int, float, complex, bool, type(None), type, types.FunctionType,
                              types.BuiltinFunctionType)) or (isinstance(value, tuple) and all(map(_formattable, value)))


def _static_truth_of(value):
    if isinstance(value, T):
        v = value.const_value(_UNKNOWN)
        return _UNKNOWN if v is _UNKNOWN or isinstance(v, np.ndarray) else bool(v)
    try:
        return bool(value)
    except (TypeError, ValueError):
        return _UNKNOWN


_NEVER_EQUAL = (str, type(None), type, types.FunctionType, types.BuiltinFunctionType)


def _singleton(value):
    """None, True or False when a traced value is known to be one (Python's singletons); _UNKNOWN."""
    if isinstance(value.atom, Const) and value.atom.known:
        v = value.atom.value
        if v is None or isinstance(v, bool):
            return v
    return _UNKNOWN


def _plain(value):
    """A value == compares when compiling: a string, None, a class, a function, a number known
    now, or a tuple of them."""
    if isinstance(value, T):
        return value.const_value(_UNKNOWN) is not _UNKNOWN and not isinstance(value.const_value(), np.ndarray)
    if isinstance(value, tuple):
        return all(_plain(v) for v in value)
    return isinstance(value, (str, type(None), type, types.FunctionType, types.BuiltinFunctionType, bool, int,
                              float))


def _classinfo(classes):
    if isinstance(classes, type):
        return True
    return isinstance(classes, tuple) and all(_classinfo(c) for c in classes)


def _hashable(value):
    try:
        hash(value)
        return True
    except TypeError:
        return False


_HANDLERS = {
    builtins.isinstance: Idioms._isinstance,
    builtins.type: Idioms._type,
    builtins.callable: Idioms._callable,
    builtins.hasattr: Idioms._hasattr,
    builtins.range: Idioms._range,
    builtins.len: Idioms._len,
    builtins.max: lambda self, node: self._extremum(node, operator.gt, "max"),
    builtins.min: lambda self, node: self._extremum(node, operator.lt, "min"),
}
