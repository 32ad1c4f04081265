"""Calls to the user's own functions: module-level functions, nested defs and lambdas
are read from their source and inlined at the call, so the derivative flows through
them like through any other code (and reads as one function)."""
import ast
import inspect

from ..errors import NonDifferentiableError, SourceUnavailableError, UnsupportedSyntaxError
from .source import parse_function

MAX_DEPTH = 64


class LocalFunction:
    """A def or lambda inside the function being lowered: its node, the frame that
    defined it (free names are looked up there when it is called, as Python does) and
    its default values, evaluated where it was defined."""

    def __init__(self, node, frame, defaults):
        self.node, self.frame, self.defaults = node, frame, defaults
        self.__name__ = getattr(node, "name", "<lambda>")


class Calls:
    """Mixed into Lowering."""

    def stmt_FunctionDef(self, node):
        if node.decorator_list:
            raise self.unsupported(node, "a decorated nested function", "define it without decorators")
        self.env[node.name] = LocalFunction(node, self, self._defaults(node.args))

    def expr_Lambda(self, node):
        return LocalFunction(node, self, self._defaults(node.args))

    def _defaults(self, args):
        positional = args.posonlyargs + args.args if hasattr(args, "posonlyargs") else args.args
        values = {}
        for a, d in zip(positional[len(positional) - len(args.defaults):], args.defaults):
            values[a.arg] = self.expr(d)
        for a, d in zip(args.kwonlyargs, args.kw_defaults):
            if d is not None:
                values[a.arg] = self.expr(d)
        return values

    def call_function(self, fn, args, kwargs, node):
        """Inline a call to fn, a Python function with source or a LocalFunction."""
        key = fn.node if isinstance(fn, LocalFunction) else getattr(fn, "__code__", fn)
        if key in self.stack:
            raise UnsupportedSyntaxError(
                f"recursive call to {fn.__name__}() is not supported yet", self.parsed.loc(node),
                "hint: write the recursion as a loop.",
            )
        if len(self.stack) >= MAX_DEPTH:
            raise UnsupportedSyntaxError(f"calls nested more than {MAX_DEPTH} deep", self.parsed.loc(node))
        if isinstance(fn, LocalFunction):
            frame = type(self)(fn.frame.fn, None, parsed=fn.frame.parsed, outer=fn.frame, caller=self, key=key)
            fn_node = fn.node
            env = _bind(fn_node.args, args, kwargs, fn.defaults, fn.__name__, self, node)
        else:
            try:
                parsed = parse_function(fn)
            except SourceUnavailableError as e:
                raise NonDifferentiableError(f"cannot read the source of {fn.__qualname__}, called here",
                                             self.parsed.loc(node), e.message) from None
            frame = type(self)(fn, None, parsed=parsed, caller=self, key=key)
            fn_node = parsed.node
            try:
                bound = inspect.signature(fn).bind(*args, **kwargs)
            except TypeError as e:
                raise NonDifferentiableError(f"{fn.__name__}(): {e}", self.parsed.loc(node)) from None
            bound.apply_defaults()
            env = {k: self._static(v) for k, v in bound.arguments.items()}
            _reject_star(fn_node, self, node)
        frame.env.update(env)
        with frame.builder.at(frame.parsed.loc(fn_node)):
            return frame._body(fn_node)

    def _static(self, value):
        from .lower import static_value

        return static_value(value) if not _is_lowered(value) else value


def _is_lowered(value):
    from ..prims import T

    return isinstance(value, (T, tuple, list, dict, LocalFunction))


def _reject_star(fn_node, frame, node):
    if fn_node.args.vararg is not None or fn_node.args.kwarg is not None:
        raise frame.unsupported(node, "a call to a function with *args or **kwargs", "list its parameters by name")


def _bind(arguments, args, kwargs, defaults, name, frame, node):
    """Python's rules for binding a call's arguments to a def's parameters."""
    _reject_star(ast.Lambda(arguments, None), frame, node)
    positional = [a.arg for a in getattr(arguments, "posonlyargs", [])] + [a.arg for a in arguments.args]
    keyword_only = [a.arg for a in arguments.kwonlyargs]
    if len(args) > len(positional):
        raise NonDifferentiableError(f"{name}() takes {len(positional)} positional arguments but {len(args)} were given",
                                     frame.parsed.loc(node))
    env = dict(zip(positional, args))
    for k, v in kwargs.items():
        if k in env or k not in positional + keyword_only:
            raise NonDifferentiableError(f"{name}() got an unexpected or repeated argument {k!r}",
                                         frame.parsed.loc(node))
        env[k] = v
    for k in positional + keyword_only:
        if k not in env:
            if k not in defaults:
                raise NonDifferentiableError(f"{name}() missing argument {k!r}", frame.parsed.loc(node))
            env[k] = defaults[k]
    return env
