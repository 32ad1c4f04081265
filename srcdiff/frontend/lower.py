"""Python AST -> IR.

Names are resolved when compiling: locals to SSA variables, globals and
closure cells to the objects they hold (a module, a NumPy function, a
constant), which the table in prims/ turns into primitives. Each resolved
global is recorded as a guard so a rebinding is noticed (see cache.py)."""
import ast
import builtins
import dataclasses
import inspect
import operator
import os
import sys
import types
from typing import NamedTuple

import numpy as np

from .. import pytree
from ..guards import CONTENTS, MISSING, Default, snapshot
from ..errors import NonDifferentiableError, SrcdiffError, UnknownCallableError, UnsupportedSyntaxError
from ..ir import Block, Const, Function, Var
from ..prims import ATTRIBUTES, METHODS, Builder, T, lookup
from ..prims.core import is_run_when_compiling, public_name
from .calls import Calls, Derivatives, LocalFunction, reads_traced, signature
from .containers import _MISSING, Containers
from .control import RESULT, RETURNED, ControlFlow, Undefined, _static_truth
from .idioms import Idioms, RangeValue, _UNKNOWN as _UNDECIDED
from .protocol import IR_METHOD, is_jvp
from .state import Aliasing, Frame, Session
from ..source import own_signature, parse_function, unwrap

BINOPS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.Pow: operator.pow, ast.MatMult: np.matmul, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
}
CMPOPS = {
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Eq: operator.eq, ast.NotEq: operator.ne,
}

CONTAINER_METHODS = {"keys", "values", "items", "index", "count", "copy", "get"}
_DICT_VIEWS = (type({}.keys()), type({}.values()), type({}.items()))

# Constructs outside the subset, with what to do instead.
UNSUPPORTED = {
    ast.Try: ("try/except", "move error handling outside the differentiated function"),
    ast.With: ("with", "move the context manager outside the differentiated function"),
    ast.AsyncWith: ("async with", "differentiate a plain synchronous function"),
    ast.Raise: ("raise", "validate inputs before calling the gradient"),
    ast.Global: ("global", "pass the value as an argument or read the global without assigning it"),
    ast.Nonlocal: ("nonlocal", "return the value instead of assigning an outer variable"),
    ast.ClassDef: ("class definition", "define the class at module level"),
    ast.Import: ("import", "import at module level"),
    ast.ImportFrom: ("import", "import at module level"),
    ast.Delete: ("del", "drop the del; unused values cost nothing in the derivative"),
    ast.AsyncFunctionDef: ("async def", "differentiate a plain synchronous function"),
    ast.Yield: ("yield", "return a value; generators cannot be differentiated"),
    ast.YieldFrom: ("yield from", "return a value; generators cannot be differentiated"),
    ast.Await: ("await", "differentiate a plain synchronous function"),
    ast.NamedExpr: ("assignment expression (:=)", "assign on a line of its own"),
    ast.Starred: ("starred expression", "unpack a tuple, list or dict known when compiling, in a call or a display"),
    ast.Set: ("set literal", "use a tuple or a list"),
    ast.SetComp: ("set comprehension", "use a list"),
    ast.DictComp: ("dict comprehension", "build the dict with a loop, or a literal"),
    ast.AsyncFor: ("async for", "differentiate a plain synchronous function"),
}
if hasattr(ast, "Match"):
    UNSUPPORTED[ast.Match] = ("match statement", "use if/elif")


class Lowering(ControlFlow, Calls, Containers, Derivatives, Idioms):
    """Lowers one function body. A call to another user function gets a Lowering of its own,
    with a frame of its own (its own names), that writes into the caller's current block:
    the call is inlined.

    Its state is three objects (frontend/state.py), so that each method's reads and writes
    say which state they touch: `session` (shared by one call of lower()), `aliases` (by the
    IR function being built) and `frame` (this function's names and current block). The
    four classes it is made of (here, control.py, containers.py, calls.py) keep nothing else."""

    __slots__ = ("session", "aliases", "frame")

    def __init__(self, fn, parsed=None, outer=None, caller=None, session=None, stack=None, node=None):
        """A frame for fn: inlined into caller, whose session, aliasing and current block it
        shares; or, without a caller, the first frame of an IR function of its own in session
        (the function differentiated, or a recursive one lowered on its own). outer: the
        Lowering of the frame a nested def or lambda was defined in."""
        parsed = parsed or parse_function(fn)
        if caller is None:
            self.session, self.aliases, builder = session, Aliasing(), Builder()
        else:
            self.session, self.aliases, builder = caller.session, caller.aliases, caller.frame.builder
            stack = caller.frame.stack
        cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
        own = fn.__func__ if inspect.ismethod(fn) else fn
        self.frame = Frame(own, parsed, node or parsed.node, cells, builder, outer=outer, caller=caller, stack=stack)
        if own is not fn:  # model.loss: self is the object it was taken from
            self.frame.env[_param_names(self.frame.node)[0]] = self.external(fn.__self__)

    def loc(self, node):
        """Where node is in this frame's source, for an error."""
        return self.frame.parsed.loc(node)

    # -- entry -----------------------------------------------------------------

    def lower(self, arg_avals, structures=None):
        """(Function, out_tree): the function lowered on its own, with a parameter per leaf of
        its arguments (arg_avals, one per leaf; structures, per argument its pytree structure),
        and its output's pytree structure."""
        node = self.frame.node
        if isinstance(node, ast.AsyncFunctionDef):
            raise self.unsupported(node, "async def", "differentiate a plain synchronous function")
        params = self._params(node, arg_avals, structures)
        self.frame.params = params
        if self.frame.stack is None:
            key = node if node is not self.frame.parsed.node else getattr(self.frame.fn, "__code__", self.frame.fn)
            self.frame.stack = ((key, signature(self.frame.env[n] for n in _param_names(node))),)
        with self.frame.builder.active():
            out = self._body(node)
        leaves, out_tree = pytree.flatten(out)
        for leaf in leaves:
            if not isinstance(leaf, T):
                what = "function" if callable(leaf) or isinstance(leaf, LocalFunction) else type(leaf).__name__
                raise NonDifferentiableError(f"cannot return a {what} from a differentiated function",
                                             self.loc(node), "return numbers and arrays (or tuples and lists "
                                             "of them).")
        results = [leaf.atom for leaf in leaves]
        name = getattr(self.frame.fn, "__name__", "f")
        fn = Function(
            "lambda" if name == "<lambda>" else name,
            Block(params, self.frame.builder.eqns, results),
            self.frame.parsed.filename,
            getattr(node, "lineno", 0),
        )
        return fn, out_tree

    def _params(self, node, arg_avals, structures):
        args = node.args
        for kind, what in ((args.vararg, "*args"), (args.kwarg, "**kwargs")):
            if kind is not None:
                raise self.unsupported(node, what, "list the parameters by name")
        names = [n for n in _param_names(node) if n not in self.frame.env]  # a method's self is bound already
        structures = structures if structures is not None else [pytree.LEAF] * len(arg_avals)
        if len(structures) > len(names):
            raise TypeError(f"{getattr(self.frame.fn, '__name__', 'the function')}() takes {len(names)} argument(s) "
                            f"but {len(structures)} were given")
        params = []
        avals = iter(arg_avals)
        for name, structure in zip(names, structures):
            leaves = []
            for path in pytree.paths(structure):
                v = Var(next(avals), _leaf_name(name, path))
                params.append(v)
                # a function passed in (act=np.tanh) is what it is, as a global is: the
                # emitted code takes the argument and calls that very function
                leaves.append(static_value(v.aval.value) if v.aval.kind == "static" and v.aval.has_value else T(v))
            self.frame.env[name] = self.made(pytree.unflatten(structure, leaves))
        for name in names[len(structures):]:
            # a parameter the call leaves out (jvp(f, (x,), ...) of def f(x, act=np.tanh)) is its
            # default, read when compiling as a global is
            self.frame.env[name] = self.external(self._default(node, name), name)
        return params

    def _default(self, node, name):
        """The default value of a parameter the call leaves out, as Python binds it."""
        default = own_signature(self.frame.fn).parameters[name].default if node is self.frame.parsed.node else _MISSING
        if default is _MISSING or default is inspect.Parameter.empty:
            raise TypeError(f"{getattr(self.frame.fn, '__name__', 'f')}() missing a required argument: {name!r}")
        if hasattr(self.frame.fn, "__code__"):
            self.session.guards.append((self.frame.fn, Default(name), default))  # what the cache keys by kind
        return default

    def _body(self, node):
        if isinstance(node, ast.Lambda):
            with self.frame.builder.at(self.loc(node.body)):
                return self.expr(node.body)
        if self.frame.outer is not None:
            self.bind_written_closures(node)
        self.lower_stmts(node.body)
        if _static_truth(self.frame.env.get(RETURNED, False)) is True:
            return self.frame.env[RESULT]
        if RETURNED in self.frame.env:
            raise NonDifferentiableError(
                f"{node.name} does not return a value on every path", self.loc(node),
                "end every path with a return (Python would return None there).",
            )
        if self.frame.caller is not None:
            return None  # a helper called for what it does (writes into an array it was given)
        raise NonDifferentiableError(
            f"{node.name} returns nothing", self.loc(node), "return the value to differentiate."
        )

    # -- statements --------------------------------------------------------------

    def stmt(self, node):
        with self.frame.builder.at(self.loc(node)):
            method = getattr(self, "stmt_" + type(node).__name__, None)
            if method is None:
                raise self.unsupported_node(node)
            method(node)

    def stmt_Assign(self, node):
        value = self.expr(node.value)
        for target in node.targets:
            self.assign(target, value)

    def stmt_AnnAssign(self, node):
        if node.value is not None:
            self.assign(node.target, self.expr(node.value))

    def stmt_AugAssign(self, node):
        if not isinstance(node.target, (ast.Name, ast.Subscript)):
            raise self.unsupported(node, "augmented assignment to an attribute", "assign to a plain name")
        op = BINOPS.get(type(node.op))
        if op is None:
            raise self.unsupported(node, f"operator {type(node.op).__name__}", "use + - * / ** @ // %")
        current = self.expr(ast.copy_location(ast.Subscript(node.target.value, node.target.slice, ast.Load()), node)
                            if isinstance(node.target, ast.Subscript) else node.target)
        value = self.frame.builder.call(op, (current, self.expr(node.value)), {})
        if isinstance(node.target, ast.Name) and isinstance(current, T):
            name, kind = node.target.id, _augmented_kind(current.aval)
            if kind == "new" and current.aval.kind == "array" and isinstance(current.atom, Var) \
                    and self.frame.builder.producer(current.atom) is None:
                kind = "unknown"  # an argument of shape (): a NumPy scalar (rebound) or a 0-d array (in place)
            if kind == "in place":
                # NumPy's x += e writes into the array, so every name bound to it sees the change,
                # and it keeps its dtype (a float32 x += a float64 array is float32)
                value = self._cast_in_place(current, value, name, node)
                self.refuse_view(current, name, node)
                self.refuse_maybe_alias(current, name, node)
                self.aliases.wrote(current.atom)
                self.rebind(current, value, loc=self.loc(node))
            elif kind == "unknown":
                # in place if it is an array, a new value if a number: the same unless another
                # name holds it
                self.refuse_maybe_alias(current, name, node)
                others = self.names_bound_to(current, name)
                if others:
                    raise NonDifferentiableError(
                        f"{name} is an array on some paths (or for some arguments: a 0-d array or a NumPy scalar) "
                        "and a number on others, and "
                        f"{', '.join(others)} holds the same value: {name} {_OP_SIGNS[type(node.op)]}= ... would "
                        f"change {others[0]} too where it is an array, and not where it is a number",
                        self.loc(node),
                        f"write {name} = {name} {_OP_SIGNS[type(node.op)]} ... to make a new value, or copy it "
                        f"({name} = {name}.copy()) where it is an array")
        self.assign(node.target, value)

    def _cast_in_place(self, current, value, name, node):
        mine, theirs = current.aval.dtype, value.aval.dtype if isinstance(value, T) else None
        if mine is None or theirs is None or mine == theirs:
            return value
        if not np.can_cast(theirs, mine, "same_kind"):
            raise NonDifferentiableError(
                f"{name} {_OP_SIGNS[type(node.op)]}= ... makes {theirs} values that NumPy cannot write into "
                f"{name}, an array of {mine} (it raises a casting error)", self.loc(node),
                f"write {name} = {name} {_OP_SIGNS[type(node.op)]} ... for a new array, or cast {name} first")
        return value.astype(mine)

    def names_bound_to(self, value, name):
        """Other names (here, in the frames this one is inlined into, and where it was defined)
        bound to the same value."""
        return [k for frame in self.frame.reached() for k, v in frame.env.items()
                if isinstance(v, T) and v.atom is value.atom and not (frame is self.frame and k == name)
                and not k.startswith("<")]

    def stmt_Expr(self, node):
        if isinstance(node.value, ast.Constant):
            return  # a docstring or a stray literal
        self.expr(node.value)

    def stmt_Pass(self, node):
        pass

    def assign(self, target, value):
        if isinstance(target, ast.Name):
            if isinstance(value, T) and isinstance(value.atom, Var) and not value.atom.hint:
                value.atom.hint = target.id
            self.frame.env[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)) and any(isinstance(t, ast.Starred) for t in target.elts):
            self.assign_starred(target, value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = self.unpack(value, len(target.elts), target)
            for t, v in zip(target.elts, items):
                self.assign(t, v)
        elif isinstance(target, ast.Subscript):
            self.assign_item(target, value)
        else:
            raise self.unsupported(target, f"assignment to {type(target).__name__.lower()}",
                                   "assign to a plain name")

    def assign_starred(self, target, value):
        """first, *rest = value: the names before and after the starred one take an item each,
        the starred one a list of the rest, as Python binds them (the length known when compiling)."""
        at = next(i for i, t in enumerate(target.elts) if isinstance(t, ast.Starred))
        after = len(target.elts) - at - 1
        items = self.unpacked(value, target)
        if len(items) < len(target.elts) - 1:
            raise NonDifferentiableError(f"cannot unpack {len(items)} values into {len(target.elts) - 1} or more "
                                         "names", self.loc(target))
        for t, v in zip(target.elts[:at], items):
            self.assign(t, v)
        self.assign(target.elts[at].value, list(items[at:len(items) - after]))
        for t, v in zip(target.elts[at + 1:], items[len(items) - after:]):
            self.assign(t, v)

    def unpack(self, value, n, node):
        if isinstance(value, (tuple, list)):
            if len(value) != n:
                raise NonDifferentiableError(f"cannot unpack {len(value)} values into {n} names",
                                             self.loc(node))
            return self.unpacked(value, node)
        if isinstance(value, T):
            length = value.aval.shape[0] if value.aval.known_shape and value.aval.ndim else None
            if value.aval.kind == "tuple" and value.aval.has_value:
                length = len(value.aval.value)
            if length is None:
                raise NonDifferentiableError("cannot unpack a value whose length is unknown when compiling",
                                             self.loc(node), "index it explicitly: a, b = x[0], x[1]")
            if length != n:
                raise NonDifferentiableError(f"cannot unpack {length} values into {n} names", self.loc(node))
            return [value[i] for i in range(n)]
        raise NonDifferentiableError(f"cannot unpack {type(value).__name__}", self.loc(node))

    # -- expressions -------------------------------------------------------------

    def expr(self, node):
        method = getattr(self, "expr_" + type(node).__name__, None)
        if method is None:
            raise self.unsupported_node(node)
        with self.frame.builder.at(self.loc(node)):
            return method(node)

    def expr_Constant(self, node):
        v = node.value
        if isinstance(v, (bool, int, float, complex)):
            return T(Const(v))
        return v  # strings, None, Ellipsis: static

    def expr_Name(self, node):
        return self.name(node.id, node)

    def name(self, name, node):
        if name in self.frame.env:
            value = self.frame.env[name]
            if isinstance(value, Undefined):
                raise NonDifferentiableError(value.why or f"name {name!r} is not defined on every path",
                                             self.loc(node))
            return value
        if self.frame.outer is not None:
            value = self.frame.outer.name(name, node)
            if self.frame.standalone is not None and reads_traced(value):
                if isinstance(value, T):  # lifted: a parameter of the local function, passed at the call
                    return self.lifted(name, value)
                caller, call, _ = self.frame.standalone
                raise UnsupportedSyntaxError(
                    f"{self.frame.node_name()} reads {name}, a container or function of the function being "
                    "differentiated, and is given to a srcdiff transformation there", caller.loc(call),
                    f"hint: pass {name}'s arrays as arguments (srcdiff.grad(lambda p, a: ...)(p, a)).")
            return value
        if name in self.frame.cells:
            cell = self.frame.cells[name]
            try:
                value = cell.cell_contents
            except ValueError:
                raise NonDifferentiableError(f"free variable {name!r} is not bound yet", self.loc(node)) from None
            self.session.guards.append((cell, None, value))
            return self.external(value)
        namespace = self.frame.fn.__globals__
        if name in namespace:
            value = namespace[name]
            self.session.guards.append((namespace, name, value))
            return self.external(value, name)
        if hasattr(builtins, name):
            return getattr(builtins, name)
        raise NonDifferentiableError(f"name {name!r} is not defined", self.loc(node),
                                     "hint: define it before this line, or at module level (srcdiff looks names up "
                                     "in the function's module when it compiles).")

    def expr_BinOp(self, node):
        op = BINOPS.get(type(node.op))
        if op is None:
            raise self.unsupported(node, f"operator {type(node.op).__name__}", "use + - * / ** @ // %")
        left, right = self.expr(node.left), self.expr(node.right)
        sequence = _sequence_arithmetic(op, left, right)
        if sequence is not None:
            return sequence
        return self.frame.builder.call(op, (left, right), {})

    def expr_UnaryOp(self, node):
        operand = self.expr(node.operand)
        if isinstance(node.op, ast.UAdd):
            return operand
        if isinstance(node.op, ast.USub):
            return self.frame.builder.call(operator.neg, (operand,), {})
        if isinstance(node.op, ast.Not):
            known = _static_truth(operand)
            if known is not None:
                return not known  # not of a container or a constant is known when compiling
            return self.frame.builder.call(operator.not_, (operand,), {})
        raise self.unsupported(node, "operator ~", "use np.logical_not on booleans")

    def expr_Compare(self, node):
        left = self.expr(node.left)
        result = None
        for op, right_node in zip(node.ops, node.comparators):
            right = self.expr(right_node)
            known = self.static_compare(op, left, right, node)  # x is None, "k" in d, mode == "train"
            fn = CMPOPS.get(type(op))
            if known is not _UNDECIDED:
                part = T(Const(bool(known)))
            elif fn is None:
                raise self.unsupported(node, f"comparison {type(op).__name__}", "compare values with < <= > >= == !=")
            else:
                part = self.frame.builder.call(fn, (left, right), {})
            result = part if result is None else self.frame.builder.call(np.logical_and, (result, part), {})
            left = right
        return result

    def expr_Call(self, node):
        handled = self.list_method(node)
        if handled is not _MISSING:
            return handled
        func = self.expr(node.func)
        if func is builtins.super and not node.args and not node.keywords:
            return self.zero_argument_super(node)
        if func is builtins.sum:
            total = self.builtin_sum(node)
            if total is not _MISSING:
                return total
        answered = self.call_idiom(func, node)  # isinstance, range, print, ...: decided or lowered here
        if answered is not _UNDECIDED:
            return answered
        if isinstance(node.func, ast.Attribute) and isinstance(getattr(func, "__self__", None), (list, tuple)) \
                and func.__name__ == "index":
            return self._index(func.__self__, node)
        args = self.call_arguments(node.args)
        kwargs = self.call_keywords(node.keywords)
        return self.call_value(func, args, node, kwargs)

    def call_value(self, func, args, node, kwargs=None):
        """func(*args, **kwargs) of values already lowered: a method, a container's method, a
        derivative, a function of the user's (inlined) or a registered callable."""
        kwargs = kwargs or {}
        if isinstance(func, _Method):
            return func(*args, **kwargs)
        owner = getattr(func, "__self__", None)
        if isinstance(owner, (dict, list, tuple)) and func.__name__ in CONTAINER_METHODS:
            result = func(*args, **kwargs)  # params.items(), .keys(), d.get("k", x): the structure is static
            result = list(result) if isinstance(result, _DICT_VIEWS) else result
            if id(owner) in self.session.outside:  # what a container from outside holds is read like a global
                if isinstance(result, list):
                    result = [self.external(r) if not isinstance(r, tuple) else tuple(self.external(v) for v in r)
                              for r in result]
                    self.session.outside[id(result)] = result
                elif isinstance(result, dict):  # d.copy(): its items are read when they are
                    self.session.outside[id(result)] = result
                elif not isinstance(result, (T, int, type(None))):  # d.get("k", x)
                    result = self.external(result)
            return result
        if isinstance(func, T):
            raise NonDifferentiableError(
                "calling a value srcdiff takes for an array or a number", self.loc(node),
                "a function passed as an argument is known when the derivative is compiled for example arguments "
                "(srcdiff.source(srcdiff.grad(f), *args)); a callable object is not: read it from a global.")
        if is_run_when_compiling(func):  # srcdiff.grad(f): made now, then called as a derivative
            return self.call_when_compiling(func, args, kwargs, node)
        if _is_derivative(func):
            return self.call_derivative(func, args, kwargs, node)
        if isinstance(func, LocalFunction) or (lookup(func) is None and _has_source(func)):
            if _library(func) is None:
                return self.call_function(func, args, kwargs, node)
            return self.call_library(func, args, kwargs, node)
        if isinstance(func, type) and (issubclass(func, tuple) and hasattr(func, "_fields")
                                       or dataclasses.is_dataclass(func)):
            return self.made(self.construct(func, args, kwargs, node))  # NT(a, b): a pytree of traced values
        if lookup(func) is None:
            method = self.call_method_of(func, node)
            if method is not None:  # self.layer(x): an object of the user's with a __call__
                return self.call_function(method, args, kwargs, node)
        return self.frame.builder.call(func, args, kwargs)

    def call_library(self, func, args, kwargs, node):
        """A function of NumPy's or SciPy's with no rule. SciPy's are primitives or nothing (its
        Python is no user code: reading it stops deep inside SciPy). NumPy's Python is read like
        the user's (np.cov is sums and products), but where srcdiff stops inside it, the error
        is that there is no rule for the function, at the user's call."""
        name = public_name(func)
        hint = ("hint: grammar.md lists the callables srcdiff differentiates; wrap the call in a function of your "
                "own with a @srcdiff.custom_vjp rule to add one.")
        if _library(func) == "scipy":
            raise UnknownCallableError(f"no derivative rule for {name}", self.loc(node), hint)
        try:
            return self.call_function(func, args, kwargs, node)
        except SrcdiffError as e:
            if e.loc is None or not _in_library(e.loc.filename):
                raise
            raise UnknownCallableError(f"no derivative rule for {name} (reading its source stopped at "
                                       f"{e.loc}: {e.message})", self.loc(node), hint) from None

    def call_arguments(self, nodes):
        """A call's positional arguments (or a display's items), *t unpacked: a tuple, list or
        dict known when compiling, a shape (*x.shape), a range of known bounds, an array's rows
        when it has a known length."""
        out = []
        for a in nodes:
            if isinstance(a, ast.Starred):
                out.extend(self.unpacked(self.expr(a.value), a))
            else:
                out.append(self.expr(a))
        return out

    def call_keywords(self, keywords):
        """A call's keyword arguments, **d unpacked: a dict known when compiling (its keys)."""
        out = {}
        for kw in keywords:
            if kw.arg is None:
                mapping = self.expr(kw.value)
                if not isinstance(mapping, dict):
                    raise NonDifferentiableError(f"**{type(mapping).__name__} in a call: only a dict can be unpacked "
                                                 "here", self.loc(kw.value), "hint: pass a dict built in the function "
                                                 "or known when compiling.")
                items = mapping.items()
                if id(mapping) in self.session.outside:
                    items = [(k, self.external(v)) for k, v in items]
            else:
                items = [(kw.arg, self.expr(kw.value))]
            for k, v in items:
                if not isinstance(k, str):
                    raise NonDifferentiableError(f"keywords must be strings, not {k!r}", self.loc(kw.value))
                if k in out:
                    raise NonDifferentiableError(f"got multiple values for keyword argument {k!r}",
                                                 self.loc(kw.value))
                out[k] = v
        return out

    def unpacked(self, value, node):
        """The items *value gives, when their number is known when compiling."""
        if isinstance(value, (tuple, list)):
            return [self.external(v) for v in value] if id(value) in self.session.outside else list(value)
        if isinstance(value, dict):
            return list(value)
        if isinstance(value, str):
            return list(value)
        if isinstance(value, RangeValue) and value.static() is not None:
            return [T(Const(v)) for v in value.static()]
        if isinstance(value, T) and value.aval.kind != "list":
            a = value.aval
            n = len(a.value) if a.kind == "tuple" and a.has_value and isinstance(a.value, tuple) else (
                a.shape[0] if a.known_shape and a.ndim else None)
            if n is not None:
                return [value[i] for i in range(n)]
        raise NonDifferentiableError("cannot unpack a value whose length is not known when compiling",
                                     self.loc(node), "hint: unpack a tuple, list or dict, or a shape (*x.shape).")

    def zero_argument_super(self, node):
        """super() in a method: super(the class it is defined in, its first argument), made now,
        as Python makes it from the method's __class__ cell and its first argument."""
        cell = self.frame.cells.get("__class__")
        params = _param_names(self.frame.node) if not isinstance(self.frame.node, ast.Lambda) else []
        first = self.frame.env.get(params[0]) if params else None
        if cell is None or first is None or isinstance(first, (T, LocalFunction)):
            raise self.unsupported(node, "super() outside a method of an object from outside the function",
                                   "call the parent class's method by name: Base.loss(self, x)")
        return super(cell.cell_contents, first)

    def construct(self, cls, args, kwargs, node):
        """A namedtuple or a dataclass made inside, as a container: its fields bound as the
        class's own __init__ binds them, without running __post_init__ (which may compute)."""
        if dataclasses.is_dataclass(cls):
            fields = dataclasses.fields(cls)
            if hasattr(cls, "__post_init__") or not all(f.init for f in fields) or \
                    not cls.__dataclass_params__.init:
                raise UnsupportedSyntaxError(
                    f"creating a {cls.__name__} inside a function being differentiated is supported for plain "
                    "dataclasses only (no __post_init__, every field in __init__)", self.loc(node),
                    "hint: create it outside and pass it as an argument, or return a dict or a tuple.")
        try:
            bound = inspect.signature(cls).bind(*args, **kwargs)
        except TypeError as e:
            raise NonDifferentiableError(f"{cls.__name__}(): {e}", self.loc(node)) from None
        bound.apply_defaults()
        values = [self._static(v) for v in bound.arguments.values()]
        if dataclasses.is_dataclass(cls):
            return pytree.NODES["dataclass"].build((cls, tuple(bound.arguments)), values)
        return cls(*values)

    def call_method_of(self, obj, node):
        """obj's __call__ bound to it, for a call of an object of a user's class (guarded as a
        class attribute is: redefining Layer.__call__ compiles again); None for anything else.
        Creating an object of a user's class inside is refused: its attributes would be values
        computed here, which srcdiff does not track."""
        if isinstance(obj, type):
            if not _fixed_module_name(obj.__module__):
                raise UnsupportedSyntaxError(
                    f"creating a {obj.__name__} object inside a function being differentiated is not supported",
                    self.loc(node), f"hint: create it outside and read it as a global or an attribute, or pass "
                    f"its arrays as arguments (a dataclass or namedtuple argument is a pytree).")
            return None
        call = self.attribute(obj, "__call__", node) if _user_callable(obj) else None
        return call if inspect.ismethod(call) and _has_source(call) else None

    def expr_Attribute(self, node):
        value = self.expr(node.value)
        attr = node.attr
        if isinstance(value, T):
            if attr in ATTRIBUTES:
                return ATTRIBUTES[attr](value)
            if attr in METHODS:
                return _Method(METHODS[attr], value)
            raise NonDifferentiableError(
                f"arrays have no supported attribute or method {attr!r}",
                self.loc(node),
                "supported: " + ", ".join(sorted(set(ATTRIBUTES) | {m for m in METHODS if not m.startswith("_")})),
            )
        return self.attribute(value, attr, node)

    def attribute(self, obj, attr, node):
        """obj.attr of an object from outside the function, read now and guarded like a global:
        rebinding it (model.w = ..., module.scale = ...) compiles again. A property's getter is
        read as the code it is. NumPy's and the standard library's modules are not guarded."""
        try:
            value = getattr(obj, attr)
        except AttributeError:
            raise NonDifferentiableError(f"{_describe(obj)} has no attribute {attr!r}", self.loc(node)) from None
        if id(obj) in self.session.made:  # p.w of a dataclass or namedtuple argument: its traced field
            return value
        if isinstance(obj, types.ModuleType):
            if not _fixed_module(obj):
                self.session.guards.append((vars(obj), attr, value))
            return self.external(value)
        own = getattr(obj, "__dict__", None)
        if isinstance(own, dict) and attr in own:
            self.session.guards.append((own, attr, value))
            return self.external(value, attr)  # self.W is W in the emitted code
        classes = obj.__mro__ if isinstance(obj, type) else type(obj).__mro__
        holder = next((k for k in classes if attr in vars(k)), None)
        if holder is not None and not _fixed_module_name(holder.__module__):
            declared = vars(holder)[attr]
            self.session.guards.append((vars(holder), attr, declared))
            if isinstance(own, dict):
                self.session.guards.append((own, attr, MISSING))  # and the object does not get one of its own
            if isinstance(declared, property) and declared.fget is not None and not isinstance(obj, type):
                return self.call_function(declared.fget, [self.external(obj)], {}, node)
        return self.external(value)

    def lifted(self, name, value):
        """value (computed in the function a local def or lambda was defined in, read by it while
        it is lowered on its own for a srcdiff transformation) as a parameter of its own after
        the declared ones: frontend/calls.py LocalDerivable passes the value itself there when the
        derivative is inlined, so its derivative flows on through the outer function."""
        lifting = self.frame.standalone[2]
        key = id(value.atom)
        if key not in lifting:
            param = Var(value.aval, name)
            self.frame.params.append(param)
            lifting[key] = (param, value)
        return T(lifting[key][0])

    def made(self, tree):
        """tree (an argument's containers, holding its traced leaves), with its objects of other
        kinds than dict, list and tuple (a dataclass, a namedtuple, a registered class) noted as
        the lowering's own: their attributes are their fields, read with no guard."""
        children = pytree.children_of(tree)
        if children is not None:
            self.session.made[id(tree)] = tree
            for child in children:
                self.made(child)
        return tree

    def external(self, value, name=None):
        """A value from outside the function (a global, a closure's, an attribute, an item of
        a container from outside), as the lowering holds it: a number as a constant, an array
        as an external constant (its elements are read when the derivative runs), a list or
        dict with a guard on what it holds (srcdiff/guards.py)."""
        if isinstance(value, (list, dict, tuple)) and id(value) not in self.session.outside:
            self.session.outside[id(value)] = value
            if not isinstance(value, tuple):
                self.session.guards.append((value, CONTENTS, snapshot(value)))
        return static_value(value, name)

    def expr_Subscript(self, node):
        value = self.expr(node.value)
        index = self.index(node.slice)
        if isinstance(value, T):
            return METHODS["__getitem__"](value, index)
        if isinstance(value, RangeValue):
            return self.range_item(value, index, node)
        return self.subscript(value, index, node)

    def index(self, node):
        if isinstance(node, ast.Slice):
            parts = [None if p is None else self.expr(p) for p in (node.lower, node.upper, node.step)]
            return slice(*parts)
        if isinstance(node, ast.Tuple):
            return tuple(self.index(e) for e in node.elts)
        if hasattr(ast, "Index") and isinstance(node, getattr(ast, "Index")):  # Python 3.8
            return self.index(node.value)
        return self.expr(node)

    def expr_Tuple(self, node):
        return tuple(self.call_arguments(node.elts))  # (*x.shape, 1)

    def expr_List(self, node):
        return self.call_arguments(node.elts)

    # -- errors ------------------------------------------------------------------

    def unsupported_node(self, node):
        kind = type(node)
        what, hint = UNSUPPORTED.get(kind, (kind.__name__, "rewrite it with the constructs grammar.md lists"))
        return self.unsupported(node, what, hint)

    def unsupported(self, node, what, hint):
        return UnsupportedSyntaxError(f"{what} is not supported", self.loc(node), f"hint: {hint}.")


class _Method:
    """x.sum as a value, waiting for its call."""

    def __init__(self, binder, obj):
        self.binder, self.obj = binder, obj

    def __call__(self, *args, **kwargs):
        return self.binder(self.obj, *args, **kwargs)


def static_value(value, name=None):
    """A resolved global: numbers and arrays become constants, the rest stays a Python object."""
    if isinstance(value, (bool, int, float, complex, np.generic)):
        return T(Const(value.item() if isinstance(value, np.generic) else value))
    if isinstance(value, np.ndarray):
        return T(Const.external(value, name))
    return value


_OP_SIGNS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.MatMult: "@",
             ast.FloorDiv: "//", ast.Mod: "%"}


def _augmented_kind(aval):
    """What x op= e does to the object x is bound to: changes it ("in place", an array),
    makes a new one ("new", a number), or either, depending on what x turns out to be."""
    if aval.kind != "array":
        return "new"
    if not aval.known_shape:
        return "unknown"
    return "new" if aval.shape == () else "in place"


def _sequence_arithmetic(op, left, right):
    """Python's own + and * of lists and tuples, whose structure is known when compiling:
    [a, b] + [c] is [a, b, c], (x,) * 2 is (x, x). None for anything else."""
    seqs = (list, tuple)
    if op is operator.add and isinstance(left, seqs) and type(left) is type(right):
        return left + right
    if op is operator.mul:
        for seq, n in ((left, right), (right, left)):
            count = n.const_value() if isinstance(n, T) else None
            if isinstance(seq, seqs) and type(count) is int:
                return seq * count
    return None


_FIXED_MODULES = ("numpy", "math", "builtins", "operator", "srcdiff")


_LIBRARIES = ("numpy", "scipy")  # their Python is not the user's: see Lowering.call_library


def _library(func):
    """numpy or scipy for a function of theirs (a method's class's module counts), else None."""
    module = getattr(func, "__module__", None)
    if module is None and inspect.ismethod(func):
        module = type(func.__self__).__module__
    top = (module or "").split(".")[0]
    return top if top in _LIBRARIES else None


def _in_library(filename):
    """Whether a file is part of NumPy's or SciPy's installed source."""
    folders = [os.path.dirname(m.__file__) + os.sep for m in map(sys.modules.get, _LIBRARIES)
               if m is not None and getattr(m, "__file__", None)]
    return any((filename or "").startswith(folder) for folder in folders)


def _fixed_module_name(name):
    """Modules whose attributes no one rebinds (numpy's, the standard library's): not guarded."""
    return (name or "").split(".")[0] in _FIXED_MODULES


def _fixed_module(module):
    return _fixed_module_name(module.__name__)


def _is_derivative(fn):
    """srcdiff.jvp, or a function srcdiff made (grad(f)), called inside differentiated code:
    what declares the protocol of derivatives.py."""
    return is_jvp(fn) or (hasattr(fn, IR_METHOD) and not isinstance(fn, type))


def _user_callable(obj):
    """An object of a class of the user's (not NumPy's, not srcdiff's) with a __call__ of its own."""
    call = getattr(type(obj), "__call__", None)
    return isinstance(call, types.FunctionType) and not _fixed_module_name(type(obj).__module__)


def _has_source(fn):
    return callable(fn) and hasattr(fn, "__code__")


def _describe(value):
    return getattr(value, "__name__", None) or type(value).__name__


def _param_names(node):
    args = node.args
    return [a.arg for a in getattr(args, "posonlyargs", [])] + [a.arg for a in args.args + args.kwonlyargs]


def _leaf_name(name, path):
    """params['W1'] is called W1 in the emitted code; other leaves name_0, name_key."""
    if not path:
        return name
    last = path[-1]
    if isinstance(last, str) and last.isidentifier():
        return last
    return "_".join([name] + [str(k) for k in path])


class Lowered(NamedTuple):
    """What the compiler needs of a lowering besides the IR."""

    out_tree: object  # the output's pytree structure (tuples and lists of leaves)
    guards: list  # what the compiled code assumed (Session.guards)


def lower(fn, arg_avals, structures=None, jvp_ir=None):
    """(Function, Lowered). jvp_ir is how a call of srcdiff.jvp inside gets its IR
    (protocol.py): the compiler's to give."""
    session = Session(jvp_ir=jvp_ir)
    fn, out_tree = Lowering(unwrap(fn), session=session).lower(arg_avals, structures)
    return fn, Lowered(out_tree, session.guards)
