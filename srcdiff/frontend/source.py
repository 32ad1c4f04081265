"""Reading a function's source with its true file name and line numbers."""
import ast
import inspect
import linecache
import textwrap
from dataclasses import dataclass

from ..errors import Loc, SourceUnavailableError


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


def parse_function(fn) -> ParsedFunction:
    code = getattr(fn, "__code__", None)
    name = getattr(fn, "__qualname__", repr(fn))
    try:
        lines, firstlineno = inspect.getsourcelines(fn)
        filename = inspect.getsourcefile(fn) or code.co_filename
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
    node = _find(tree, fn, code)
    if node is None:
        raise SourceUnavailableError(f"cannot find the definition of {name} in its source", Loc(filename, firstlineno))
    return ParsedFunction(node, filename, firstlineno)


def _find(tree, fn, code):
    target = getattr(fn, "__name__", None)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == target:
            return node
    lambdas = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda)]
    if target == "<lambda>" and len(lambdas) == 1:
        return lambdas[0]
    if target == "<lambda>" and lambdas:
        raise SourceUnavailableError(
            "several lambdas share these lines, so srcdiff cannot tell which one it was given",
            None, "define the function with def, or put each lambda on a line of its own.",
        )
    return None
