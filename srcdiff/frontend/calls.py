"""Calls to the user's own functions: module-level functions, nested defs and lambdas
are read from their source and inlined at the call, so the derivative flows through
them like through any other code (and reads as one function)."""
import ast
import inspect

from .. import pytree
from ..errors import NonDifferentiableError, SourceUnavailableError, SrcdiffError, UnsupportedSyntaxError
from ..ir import BY_VALUE, aval_of_argument
from ..prims import T
from .protocol import IR_METHOD, is_jvp
from ..source import own_signature, parse_function

MAX_DEPTH = 64
LARGE = 400  # AST nodes: a callee bigger than this is emitted as a function of its own, not inlined


def _size(fn_node):
    return sum(1 for _ in ast.walk(fn_node))


def _returns_one_value(fn_node):
    returns = [n for n in ast.walk(fn_node) if isinstance(n, ast.Return)]
    return bool(returns) and not any(isinstance(r.value, (ast.Tuple, ast.List, ast.Dict)) for r in returns)


def signature(values):
    """What a call's arguments are known to be (kinds, shapes, known values): a call that
    recurs with the same signature would be inlined forever."""

    def one(v):
        if isinstance(v, T):
            a = v.aval
            shape = a.shape if isinstance(a.shape, tuple) else "?"
            value = a.value if a.has_value and isinstance(a.value, (int, float, bool, str, tuple)) else None
            return (a.kind, shape, str(a.dtype), value)
        if isinstance(v, (list, tuple)):
            return (type(v).__name__, tuple(one(x) for x in v))
        if isinstance(v, dict):
            return ("dict", tuple((k, one(x)) for k, x in v.items()))
        return ("object", id(v))

    return tuple(one(v) for v in values)


def _unique(name, functions):
    taken = {t.name for t in functions.values()}
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    return candidate



# What a recursive call returns before the function has been lowered once: a value
# that merges into anything (as None does), so the base case decides the first guess.
_NOT_YET = __import__("srcdiff.ir", fromlist=["Aval"]).Aval("static", None, None, None, True)


class LocalFunction:
    """A def or lambda inside the function being lowered: its node, the Lowering of the
    frame that defined it (free names are looked up there when it is called, as Python
    does) and its default values, evaluated where it was defined."""

    def __init__(self, node, defined_in, defaults):
        self.node, self.defined_in, self.defaults = node, defined_in, defaults
        self.__name__ = getattr(node, "name", "<lambda>")


class Calls:
    """Part of Lowering (lower.py; its state is frontend/state.py's): calls of the user's
    functions. An inlined call is a Lowering of its own, sharing the caller's session,
    aliases and current block; a recursive or large one is lowered on its own once per
    signature (session.functions), with aliases of its own, and called."""

    __slots__ = ()

    def stmt_FunctionDef(self, node):
        if node.decorator_list:
            raise self.unsupported(node, "a decorated nested function", "define it without decorators")
        self.frame.env[node.name] = LocalFunction(node, self, self._defaults(node.args))

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
        """Inline a call to fn, a Python function with source or a LocalFunction; a call
        that recurs with arguments of the same kind becomes a call to a function of its own."""
        key = fn.node if isinstance(fn, LocalFunction) else getattr(fn, "__code__", fn)
        if inspect.ismethod(fn):
            key = (key, id(fn.__self__))  # a method of two objects is two functions
        if len(self.frame.stack) >= MAX_DEPTH:
            raise UnsupportedSyntaxError(f"calls nested more than {MAX_DEPTH} deep", self.loc(node))
        if isinstance(fn, LocalFunction):
            defined_in = fn.defined_in
            callee = type(self)(defined_in.frame.fn, parsed=defined_in.frame.parsed, outer=defined_in, caller=self)
            fn_node = fn.node
            env = _bind(fn_node.args, args, kwargs, fn.defaults, fn.__name__, self, node)
        else:
            if (getattr(fn, "__module__", None) or "").split(".")[0] == "srcdiff":
                # srcdiff's own code is no user code to inline (srcdiff.vjp, srcdiff.source)
                raise UnsupportedSyntaxError(
                    f"srcdiff.{fn.__name__} cannot be called inside a function being differentiated",
                    self.loc(node), "hint: inside, srcdiff.grad, value_and_grad, jvp, jacfwd, jacrev, jacobian, "
                    "hessian, custom_vjp and custom_jvp work; call the others outside.")
            try:
                parsed = parse_function(fn)
            except SourceUnavailableError as e:
                raise NonDifferentiableError(f"cannot read the source of {fn.__qualname__}, called here",
                                             self.loc(node), e.message) from None
            callee = type(self)(fn, parsed=parsed, caller=self)
            fn_node = parsed.node
            try:
                bound = own_signature(fn).bind(*args, **kwargs)
            except TypeError as e:
                raise NonDifferentiableError(f"{fn.__name__}(): {e}", self.loc(node)) from None
            bound.apply_defaults()
            env = {k: self._static(v) for k, v in bound.arguments.items()}  # *args a tuple, **kw a dict
        frame_key = (key, signature(env.values()))
        if frame_key in self.frame.stack or (_size(fn_node) > LARGE and _returns_one_value(fn_node)
                                       and all(isinstance(v, T) for v in env.values())):
            return self.recursive_call(fn, callee, fn_node, env, frame_key, node)
        callee.frame.stack = self.frame.stack + (frame_key,)
        callee.frame.env.update(env)
        with callee.frame.builder.at(callee.loc(fn_node)):
            return callee._body(fn_node)

    def recursive_call(self, fn, callee, fn_node, env, frame_key, node):
        """A call to a function already being lowered with arguments of the same kinds (its
        depth depends on the data), or to a large one: lower it once as a function of its own
        and call it. callee: the Lowering the call would have been inlined with."""
        from ..ir import CALL, CallTarget, Eqn, Var
        from .control import _forget

        values = list(env.values())
        if not all(isinstance(v, T) for v in values):
            raise UnsupportedSyntaxError(
                f"recursive call to {fn.__name__}() with a tuple, list or dict argument is not supported",
                self.loc(node), "hint: pass arrays and numbers, or write the recursion as a loop.")
        target = self.session.functions.get(frame_key)
        if target is None:
            target = CallTarget(_unique(fn.__name__, self.session.functions))
            target.out_avals = None  # unknown until the function has been lowered once
            self.session.functions[frame_key] = target
            for _ in range(3):
                own = type(self)(callee.frame.fn, parsed=callee.frame.parsed, outer=callee.frame.outer,
                                 session=self.session, stack=(frame_key,), node=fn_node)
                own.frame.on_its_own = True
                target.function, out_tree = own.lower([_forget(v.aval) for v in values])
                avals = [r.aval for r in target.function.results]
                if not pytree.is_leaf(out_tree):
                    raise UnsupportedSyntaxError(f"recursive function {fn.__name__}() must return one value",
                                                 self.loc(node), "hint: return a single array or number.")
                if target.out_avals is not None and all(a.same(b) for a, b in zip(avals, target.out_avals)):
                    break
                target.out_avals = [_forget(a) for a in avals]  # lower again, now knowing what calls return
        out_aval = target.out_avals[0] if target.out_avals else _NOT_YET
        out = Var(out_aval, target.name)
        builder = self.frame.builder
        builder.append(Eqn(CALL, [v.atom for v in values], [out], {"function": target}, builder.loc))
        return T(out)

    def _static(self, value):
        from .lower import static_value

        return static_value(value) if not _is_lowered(value) else value


def _is_lowered(value):
    return isinstance(value, (T, tuple, list, dict, LocalFunction))


def _bind(arguments, args, kwargs, defaults, name, lowering, node):
    """Python's rules for binding a call's arguments to a def's parameters: the extra positional
    ones go to *args (a tuple), the extra keywords to **kwargs (a dict)."""
    positional = [a.arg for a in getattr(arguments, "posonlyargs", [])] + [a.arg for a in arguments.args]
    keyword_only = [a.arg for a in arguments.kwonlyargs]
    star, double = arguments.vararg, arguments.kwarg
    if len(args) > len(positional) and star is None:
        raise NonDifferentiableError(f"{name}() takes {len(positional)} positional arguments but {len(args)} were given",
                                     lowering.loc(node))
    env = dict(zip(positional, args))
    if star is not None:
        env[star.arg] = tuple(args[len(positional):])
    extra = {}
    for k, v in kwargs.items():
        if k in env or k not in positional + keyword_only:
            if double is None or k in env:
                raise NonDifferentiableError(f"{name}() got an unexpected or repeated argument {k!r}",
                                             lowering.loc(node))
            extra[k] = v
            continue
        env[k] = v
    for k in positional + keyword_only:
        if k not in env:
            if k not in defaults:
                raise NonDifferentiableError(f"{name}() missing argument {k!r}", lowering.loc(node))
            env[k] = defaults[k]
    if double is not None:
        env[double.arg] = extra
    return env


class Derivatives:
    """Part of Lowering (lower.py): calls of srcdiff's own transformations inside a function
    being differentiated (grad of a jvp, a gradient used in a loss) are inlined as their IR,
    which is made of primitives like any other code; their guards join session.guards."""

    __slots__ = ()

    def call_when_compiling(self, func, args, kwargs, node):
        """srcdiff.grad(f), jacfwd(f, argnums=1), custom_vjp(f), rule.defvjp(fwd, bwd): run now, on
        the values the arguments have when compiling, since all they do is build an object; the
        object is then what the code calls (a derivative, a custom rule)."""
        name = f"srcdiff.{getattr(func, '__name__', 'transformation')}"
        args = [_known(a, name, self, node) for a in args]
        kwargs = {k: _known(v, name, self, node) for k, v in kwargs.items()}
        try:
            return func(*args, **kwargs)
        except (TypeError, ValueError) as e:
            raise NonDifferentiableError(f"{name}(): {e}", self.loc(node)) from None
        except SrcdiffError as e:
            if e.loc is not None:
                raise
            raise type(e)(e.message, self.loc(node), e.hint) from None  # grad(np.frexp): refused where it is made

    def call_derivative(self, func, args, kwargs, node):
        """Through the protocol of derivatives.py: the object's own IR method, or for
        srcdiff.jvp the compiler's hook (the frontend does not differentiate)."""
        from .control import _forget

        if kwargs:
            raise NonDifferentiableError("pass the arguments of a derivative by position here", self.loc(node))
        if is_jvp(func):
            if len(args) != 3 or not all(isinstance(a, (tuple, list)) for a in args[1:]):
                raise NonDifferentiableError("jvp(fun, primals, tangents) takes a function and two tuples",
                                             self.loc(node))
            fun, primals, tangents = args[0], _values(args[1]), _values(args[2])
            fun = _known(fun, "srcdiff.jvp", self, node)
            _all_values(primals + tangents, self, node)
            if self.session.jvp_ir is None:
                raise NonDifferentiableError("srcdiff.jvp is called here, but this lowering was given no way "
                                             "to differentiate it", self.loc(node))
            hook = self.session.jvp_ir
            low, fn, wrt = self._derivative_part(lambda: hook(fun, [_inner_aval(p) for p in primals]), node)
            if _lifted(fun):
                raise UnsupportedSyntaxError(
                    "srcdiff.jvp of a local function reading values computed in the function being differentiated "
                    "is not supported", self.loc(node), "hint: pass those values as primals (with zero tangents).")
            outs = self.inline_function(fn, primals + [tangents[i] for i in wrt], low.guards)
            n = len(low.fn.results)
            return pytree.unflatten(low.out_tree, outs[:n]), pytree.unflatten(low.out_tree, outs[n:])
        _all_values(args, self, node)
        ir = getattr(func, IR_METHOD)
        low = self._derivative_part(lambda: ir([_inner_aval(a) for a in args], None, True), node)
        args = list(args) + _lifted(func)
        if len(args) != len(low.fn.params):
            raise UnsupportedSyntaxError("a derivative of a derivative of a local function reading values computed "
                                         "in the function being differentiated is not supported", self.loc(node),
                                         "hint: pass those values as arguments.")
        return pytree.unflatten(low.out_tree, self.inline_function(low.fn, args, low.guards))

    def _derivative_part(self, build, node):
        """The IR of a derivative called here; what it refuses (a Jacobian of a vector function's
        Jacobian, a gradient of a function returning an array) located at the call."""
        try:
            return build()
        except (TypeError, ValueError) as e:
            raise NonDifferentiableError(str(e), self.loc(node)) from None
        except SrcdiffError as e:
            if e.loc is not None:
                raise
            raise type(e)(e.message, self.loc(node), e.hint) from None  # srcdiff.grad(np.sin)(x)

    def inline_function(self, fn, args, guards):
        """fn's equations, written into the current block with its parameters bound to args.
        The functions a recursion in fn calls stay its calls: the module emits them too."""
        from ..ir import Var

        mapping = {p.id: a.atom for p, a in zip(fn.params, args)}

        def get(a):
            return mapping.get(a.id, a) if isinstance(a, Var) else a

        def rewrite(block):
            for e in block.eqns:
                e.ins = [get(a) for a in e.ins]
                for b in e.blocks:
                    rewrite(b)
                    b.results[:] = [get(r) for r in b.results]

        rewrite(fn.body)
        for e in fn.body.eqns:
            self.frame.builder.append(e)
        self.session.guards.extend(guards)
        return [T(get(r)) for r in fn.body.results]


def _lifted(func):
    """The outer values a local function under func (grad of it, a Jacobian of a Jacobian of
    it) read, which its derivative takes after its own arguments."""
    for _ in range(8):
        if isinstance(func, LocalDerivable):
            return list(func.lifted)
        func = getattr(func, "fun", None)
        if func is None:
            return []
    return []


def _values(items):
    """A tuple of primals or tangents: traced values, and numbers and arrays (a module-level
    tuple of tangents) as constants."""
    from .lower import static_value

    return [v if isinstance(v, T) else static_value(v) for v in items]


def _known(value, name, lowering, node):
    """An argument of srcdiff's own transformations, as the Python value it has when compiling:
    a function, argnums, has_aux."""
    if isinstance(value, T):
        known = value.const_value(_UNKNOWN)
        if known is _UNKNOWN:
            raise NonDifferentiableError(f"the arguments of {name} must be known when compiling, not computed "
                                         "from the inputs", lowering.loc(node),
                                         "pass the function, and argnums as literals or module-level constants.")
        return known
    if isinstance(value, (tuple, list)):
        return type(value)(_known(v, name, lowering, node) for v in value)
    if isinstance(value, LocalFunction):
        if isinstance(value.node, ast.Lambda) or not value.node.decorator_list:
            return LocalDerivable(value, lowering, node)
        raise UnsupportedSyntaxError(
            f"{name} of a function defined inside the function being differentiated is not supported",
            lowering.loc(node), "hint: define it at module level, passing what it reads here as arguments.")
    return value


class LocalDerivable:
    """A def or lambda written inside the function being differentiated, given to one of
    srcdiff's transformations there (`srcdiff.grad(lambda p: loss(p, X))(w)`): lowered on its
    own when the transformation asks for its IR (protocol.py), its free names read where it
    was defined. A value computed there that it reads is lifted: a parameter of its own
    after the declared ones (Lowering.lifted), which the inlined derivative is passed, so
    that the derivative of the outer function flows through it (as JAX's closures do)."""

    def __init__(self, local, lowering, node):
        self.local, self.lowering, self.node = local, lowering, node
        self.lifted = []  # the values of the outer function it reads, passed after its arguments
        fn_node = local.node
        self.__name__ = self.__qualname__ = "lambda" if isinstance(fn_node, ast.Lambda) else fn_node.name
        self.__module__ = getattr(lowering.frame.fn, "__module__", None)
        args = fn_node.args
        if args.vararg is not None or args.kwarg is not None or args.kwonlyargs or args.defaults:
            raise lowering.unsupported(node, "a derivative of a local function with defaults, *args, **kwargs "
                                       "or keyword-only parameters", "list its parameters by name, with no defaults")
        names = [a.arg for a in getattr(args, "posonlyargs", [])] + [a.arg for a in args.args]
        self.__signature__ = inspect.Signature(
            [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names])

    def __call__(self, *args, **kwargs):
        raise TypeError(f"{self.__name__} was defined inside a function srcdiff differentiates; it is called there")

    def __srcdiff_ir__(self, arg_avals, structures, optimize):
        from ..ir import print_function, verify
        from .state import Session

        outer = self.local.defined_in
        session = Session(jvp_ir=self.lowering.session.jvp_ir)
        own = type(self.lowering)(outer.frame.fn, parsed=outer.frame.parsed, outer=outer, session=session,
                                  node=self.local.node)
        lifting = {}
        own.frame.standalone = (self.lowering, self.node, lifting)
        fn, out_tree = own.lower(arg_avals, structures)
        self.lifted = [value for _, value in lifting.values()]
        verify(fn)
        return _LocalIR(fn, out_tree, session.guards, print_function(fn))


class _LocalIR:
    """What protocol.py's IR method returns: the IR, its output structure, its guards."""

    def __init__(self, fn, out_tree, guards, ir_before):
        self.fn, self.out_tree, self.guards, self.ir_before = fn, out_tree, guards, ir_before


def reads_traced(value):
    """Whether value is (or holds) a value the function being lowered computes, or a function
    defined there (which may read such values when called)."""
    from ..ir import Var

    if isinstance(value, T):
        return isinstance(value.atom, Var)
    if isinstance(value, LocalFunction):
        return True
    if isinstance(value, (list, tuple)):
        return any(reads_traced(v) for v in value)
    if isinstance(value, dict):
        return any(reads_traced(v) for v in value.values())
    children = pytree.children_of(value)
    return children is not None and any(reads_traced(v) for v in children)


_UNKNOWN = object()


def _all_values(values, lowering, node):
    if not all(isinstance(v, T) for v in values):
        raise UnsupportedSyntaxError("a derivative called inside a differentiated function takes arrays and numbers",
                                     lowering.loc(node), "hint: pass the arrays themselves, not containers.")


def _inner_aval(a):
    """What a derivative called inside is compiled for, per argument: its kind, shape and
    dtype; an integer known when compiling (a literal, an int argument compiled for by
    value) by its value, as an int argument of a derivative called from outside may be
    (cache.get_or_compile)."""
    from .control import _forget

    value = a.const_value(None) if isinstance(a, T) else None
    if type(value) in BY_VALUE:
        return aval_of_argument(value, by_value=True)
    return _forget(a.aval)

