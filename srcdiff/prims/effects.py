"""What a function does besides computing its result, which people rely on: print(...),
assert cond, msg, warnings.warn(msg). Each is a primitive with effect=True (kept though
nothing reads it), not hoistable (it stays where it is: in a loop, once per iteration; under
an if, only on that side) and not recomputable (a backward sweep never runs it again), so it
runs in the forward part of the emitted code, once per call, with the values the function
computes there; observable=True: a call of the emitted code that printed is not run again.

A string built from computed values (an f-string, `f"loss {y:.3f}"`) is a Text: its pieces,
literal strings and formatted values, which these primitives write back as an f-string."""
import ast
import builtins
import warnings

from ..ir import Aval
from .core import Primitive, T, binds, current, wrap

FAMILY = "Python builtins"  # grammar.md's list of callables (prims/catalog.py) groups by it

_NOTHING = Aval("static")  # what print() returns, None, is no value anything reads
_CONVERSIONS = {"s": 115, "r": 114, "a": 97}


class Text:
    """An f-string with computed values: pieces, each a str or (value, conversion, spec), the
    value traced, conversion "" / "s" / "r" / "a", spec a str (a format spec known now)."""

    __slots__ = ("pieces",)

    def __init__(self, pieces):
        self.pieces = tuple(pieces)

    def __repr__(self):
        return "an f-string of computed values"


def _placeholder(k):
    return ast.Name(f"_srcdiff_text{k}_", ast.Load())


def _text_node(pieces, operands):
    values = []
    for piece in pieces:
        if isinstance(piece, str):
            values.append(ast.Constant(piece))
        else:
            k, conversion, spec = piece
            values.append(ast.FormattedValue(
                operands[k], _CONVERSIONS.get(conversion, -1),
                ast.JoinedStr([ast.Constant(spec)]) if spec else None))
    return ast.JoinedStr(values)


def _argument_source(part, a):
    """Python source for one argument as params hold it, with operand k spelled a[k]."""
    kind = part[0]
    if kind == "name":
        return part[1]
    if kind == "display":
        if part[1] == "dict":
            return "{" + ", ".join(f"{k!r}: {_argument_source(v, a)}" for k, v in part[2]) + "}"
        inner = ", ".join(_argument_source(v, a) for v in part[2])
        return f"[{inner}]" if part[1] == "list" else f"({inner},)" if len(part[2]) == 1 else f"({inner})"
    if kind == "value":
        return a[part[1]]
    if kind == "literal":
        return repr(part[1])
    names = {}

    def operand(k):
        names.setdefault(k, _placeholder(k))
        return names[k]

    source = ast.unparse(_text_node(part[1], _Operands(operand)))
    for k, node in names.items():
        source = source.replace(node.id, a[k])
    return source


class _Operands:
    def __init__(self, get):
        self.get = get

    def __getitem__(self, k):
        return self.get(k)


def _call_source(name, a, p):
    """name(arguments, keyword=...), as the user wrote the call (an f-string stays one)."""
    args = [_argument_source(part, a) for part in p["args"]]
    args += [f"{k}={v[1] if v[0] == 'name' else _argument_source(v, a)}" for k, v in p["keywords"]]
    return f"{name}({', '.join(args)})"


PRINT = Primitive("print", emit=lambda a, p: _call_source("print", a, p), shape=lambda avals, p: _NOTHING,
                  differentiable=False, effect=True, observable=True)
WARN = Primitive("warn", emit=lambda a, p: _call_source("warnings.warn", a, p), shape=lambda avals, p: _NOTHING,
                 differentiable=False, effect=True, observable=True, imports=("warnings",))


def _assert_stmts(name, a, p):
    message = f", {_argument_source(p['message'], a)}" if p["message"] is not None else ""
    return [f"assert {a[0]}{message}"]


def _assert_shape(avals, p):
    test = avals[0]
    if test.known_shape and test.shape != ():
        raise current().error(f"the truth value of an array of shape {test.shape} is ambiguous",
                              "reduce it first: assert np.all(...), np.any(...).")
    return _NOTHING


ASSERT = Primitive("assert", None, emit_stmts=_assert_stmts, shape=_assert_shape, differentiable=False, effect=True,
                   observable=True)


def _parts(values):
    """(operands, parts) of arguments: a traced value is an operand, a Text an f-string of
    operands, a tuple, list or dict of those a display of them, anything else (a str, a
    number, None) a literal."""
    operands, parts = [], []
    for v in values:
        if isinstance(v, (tuple, list, dict)):
            parts.append(_display(v, operands))
        elif isinstance(v, Text):
            pieces = []
            for piece in v.pieces:
                if isinstance(piece, str):
                    pieces.append(piece)
                else:
                    value, conversion, spec = piece
                    operands.append(wrap(value))
                    pieces.append((len(operands) - 1, conversion, spec))
            parts.append(("text", tuple(pieces)))
        elif isinstance(v, T):
            operands.append(v)
            parts.append(("value", len(operands) - 1))
        else:
            parts.append(("literal", v))
    return operands, parts


def _display(value, operands):
    """print(params), print((a, b)): the container written as a display of its items, so that
    Python prints it as it would the function's own."""
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            if not isinstance(k, _PLAIN):
                raise current().error(f"printing a dict with a {type(k).__name__} key is not supported here")
            items.append((k, _display(v, operands)))
        return ("display", "dict", tuple(items))
    if isinstance(value, (tuple, list)):
        return ("display", type(value).__name__, tuple(_display(v, operands) for v in value))
    _, (part,) = _parts_into(operands, [_literal_or_text(value, "printing a container")])
    if part[0] == "literal" and not isinstance(part[1], _PLAIN):
        raise current().error("printing a container of this value is not supported here")
    return part


def _parts_into(operands, values):
    more, parts = _parts(values)
    shift = len(operands)
    operands.extend(more)
    return operands, [_shifted(p, shift) for p in parts]


def _shifted(part, shift):
    if part[0] == "value":
        return ("value", part[1] + shift)
    if part[0] == "text":
        return ("text", tuple(p if isinstance(p, str) else (p[0] + shift, *p[1:]) for p in part[1]))
    if part[0] == "display":
        if part[1] == "dict":
            return ("display", "dict", tuple((k, _shifted(v, shift)) for k, v in part[2]))
        return ("display", part[1], tuple(_shifted(v, shift) for v in part[2]))
    return part


_PLAIN = (str, int, float, bool, type(None))


def _literal_or_text(value, what):
    if isinstance(value, _PLAIN) or isinstance(value, Text) or isinstance(value, T):
        return value
    if isinstance(value, (tuple, list, dict)):
        return value
    raise current().error(f"{what} of a {type(value).__name__} is not supported here",
                          "print numbers, arrays and strings (an f-string of them), one by one.")


@binds(builtins.print)
def _print(*values, sep=None, end=None, file=None, flush=False):
    if file is not None:
        raise current().error("print(..., file=...) is not supported", "print to the standard output, or return "
                                                                        "the values and write them outside")
    values = [v if isinstance(v, (Text,) + _PLAIN) or isinstance(v, T) else
              str(v) if callable(v) else _literal_or_text(v, "print()") for v in values]
    operands, parts = _parts(values)
    keywords = []
    for name, v in (("sep", sep), ("end", end)):
        if v is not None:
            if not isinstance(v, str):
                raise current().error(f"print()'s {name}= must be a string known when compiling")
            keywords.append((name, ("literal", v)))
    if flush:
        keywords.append(("flush", ("literal", True)))
    current().apply(PRINT, operands, args=tuple(parts), keywords=tuple(keywords))
    return None


@binds(warnings.warn)
def _warn(message, category=None, stacklevel=1):
    if category is not None and not (isinstance(category, type) and issubclass(category, Warning)
                                     and getattr(builtins, category.__name__, None) is category):
        raise current().error("warnings.warn()'s category must be one of Python's warning classes here "
                              "(UserWarning, RuntimeWarning, ...)")
    operands, parts = _parts([_literal_or_text(message, "warnings.warn()")])
    if category is not None:
        parts.append(("name", category.__name__))
    if wrap(stacklevel).const_value() != 1:
        raise current().error("warnings.warn()'s stacklevel is not supported", "leave it out")
    current().apply(WARN, operands, args=tuple(parts), keywords=())
    return None


def assert_that(test, message=None):
    """assert test, message: what the frontend lowers an assert statement to."""
    operands, parts = _parts([wrap(test)] + ([_literal_or_text(message, "an assert message")]
                                             if message is not None else []))
    current().apply(ASSERT, operands, message=parts[1] if message is not None else None)
