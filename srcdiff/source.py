"""Reading a function's source with its true file name and line numbers."""
import ast
import functools
import inspect
import linecache
import textwrap
import types
import weakref
from dataclasses import dataclass

from .errors import Loc, SourceUnavailableError


@dataclass
class ParsedFunction:
    node: ast.AST  # ast.FunctionDef or ast.Lambda, line numbers as in the file
    filename: str
    firstlineno: int

    def loc(self, node) -> Loc:
        line = getattr(node, "lineno", self.firstlineno)
        col = getattr(node, "col_offset", 0)
        text = linecache.getline(self.filename, line)
        if text:
            # col_offset counts from the dedented source; add back what dedent removed.
            col += _dedent_width(self.filename, self.firstlineno)
        return Loc(self.filename, line, max(col, 0), text.rstrip("\n"))


def _dedent_width(filename, firstlineno):
    first = linecache.getline(filename, firstlineno)
    return len(first) - len(first.lstrip())


def unwrap(fn):
    """The function whose code runs: through functools caches (which return what the
    function returns), not through functools.wraps, which only copies a name and a doc."""
    while isinstance(fn, functools._lru_cache_wrapper):
        fn = fn.__wrapped__
    return fn


def own_signature(fn):
    """fn's own parameters: for a Python function, those of its code, not of the function
    functools.wraps copied a name from; for srcdiff's own transformations, the function's."""
    fn = unwrap(fn)
    code = getattr(fn, "__code__", None)
    plain = type(fn) is types.FunctionType and not fn.__defaults__ and not fn.__kwdefaults__
    if plain and code in _SIGNATURES:  # a lambda made again in a loop: its code's signature, read once
        return _SIGNATURES[code]
    signature = inspect.signature(fn, follow_wrapped=code is None)
    if plain:
        _SIGNATURES[code] = signature
    return signature


# code object -> the signature of a function of that code with no defaults (which alone would
# tell two such functions' signatures apart); weak, so redefined functions' code goes
_SIGNATURES = weakref.WeakKeyDictionary()


def parse_function(fn) -> ParsedFunction:
    fn = unwrap(fn)
    code = getattr(fn, "__code__", None)
    name = getattr(fn, "__qualname__", repr(fn))
    if code is None:
        raise SourceUnavailableError(
            f"cannot read the source of {name}: it is a {type(fn).__name__}, not a Python function", None,
            "pass a function defined with def or lambda in a .py file, or give it a rule with srcdiff.custom_vjp.")
    try:
        # by the code object, which is what runs: functools.wraps(g) makes inspect show g's source
        lines, firstlineno = inspect.getsourcelines(code)
        filename = code.co_filename
    except (OSError, TypeError):
        raise SourceUnavailableError(
            f"cannot read the source of {name}",
            None,
            "srcdiff needs the function's source file (functions typed at an interactive prompt or made "
            "with exec have none). Define it in a .py file, or give it a rule with srcdiff.custom_vjp.",
        ) from None
    linecache.checkcache(filename)
    source = textwrap.dedent("".join(lines))
    try:
        tree = ast.parse(source)
    except SyntaxError:
        # A lambda inside a larger expression: parse the enclosing statement's lines.
        tree = ast.parse("(\n" + source + "\n)") if source.lstrip().startswith("lambda") else None
        if tree is None:
            raise SourceUnavailableError(f"cannot parse the source of {name}", Loc(filename, firstlineno)) from None
        ast.increment_lineno(tree, -1)
    ast.increment_lineno(tree, firstlineno - 1)
    node = _find(tree, fn, code, len(lines[0]) - len(source.splitlines(True)[0]))
    if node is None:
        raise SourceUnavailableError(f"cannot find the definition of {name} in its source", Loc(filename, firstlineno))
    return ParsedFunction(node, filename, firstlineno)


def _find(tree, fn, code, dedented):
    """The node defining code: a def by its name; a lambda, when several share the lines,
    by where its code's instructions sit (Python 3.11+). dedented: how many columns
    textwrap.dedent took off the lines."""
    target = code.co_name
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == target:
            return node
    lambdas = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda)]
    if target == "<lambda>" and len(lambdas) == 1:
        return lambdas[0]
    if target == "<lambda>" and lambdas:
        found = _lambda_at(lambdas, code, dedented)
        if found is not None:
            return found
        raise SourceUnavailableError(
            "several lambdas share these lines, so srcdiff cannot tell which one it was given",
            None, "define the function with def, or put each lambda on a line of its own.",
        )
    return None


def _lambda_at(lambdas, code, dedented):
    """The lambda whose body holds every source position of code's instructions (the
    innermost, where one lambda is inside another's body); None where they cannot tell
    (before Python 3.11, positions turned off with -X no_debug_ranges, a tie)."""
    positions = getattr(code, "co_positions", None)
    if positions is None:
        return None
    # instructions with no source span of their own (the function's entry) say nothing
    spans = {(line, col, end_line, end_col) for line, end_line, col, end_col in positions()
             if None not in (line, end_line, col, end_col) and (line, col) != (end_line, end_col)}
    if not spans:
        return None

    def holds(body, span):
        line, col, end_line, end_col = span
        start = (body.lineno, body.col_offset + dedented)
        end = (body.end_lineno, body.end_col_offset + dedented)
        return start <= (line, col) and (end_line, end_col) <= end

    holding = [n for n in lambdas if all(holds(n.body, span) for span in spans)]
    innermost = [n for n in holding if not any(m is not n and holds(n.body, _span(m.body, dedented))
                                               for m in holding)]
    return innermost[0] if len(innermost) == 1 else None


def _span(node, dedented):
    return (node.lineno, node.col_offset + dedented, node.end_lineno, node.end_col_offset + dedented)
