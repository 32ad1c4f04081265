"""A call's arguments as the compiled derivatives take them, and their derivatives as the
caller gets them back: binding by the signature, flattening containers into leaves, the
cache key of each leaf, the checks that a differentiated argument is a float, and a
derivative in its argument's own type. Shared by api.py (grad) and modes.py (jvp, vjp,
the Jacobians)."""
import inspect
import linecache
import numbers
import sys
import types

import numpy as np

from . import cache, pytree
from .errors import UnknownCallableError
from .ir import is_function_argument
from .prims.core import lookup, public_name
from .source import own_signature, unwrap

_LITERALS = (type(None), bool, int, float, str)
_LEAVES = {np.ndarray, float, int, bool, np.float64, np.float32}  # never containers: no need to ask pytree
_WRAPPERS = {}  # registered callable -> the function that calls it, made once (a cache key of its own)


def function_of(fun):
    """fun as a function srcdiff can read. A registered callable passed directly (grad(np.tanh),
    jvp(np.sin, ...), grad(scipy.special.gammaln)) is differentiated as in JAX and autograd: as a
    two-line function that calls it, `def tanh(x): return numpy.tanh(x)`, whose source linecache
    holds under the name <srcdiff: numpy.tanh>. A ufunc or builtin with no rule is refused here,
    by its public name, rather than for having no source."""
    try:
        registered = lookup(fun) is not None
    except TypeError:
        registered = False
    if not registered:
        call = getattr(type(fun), "__call__", None)
        if isinstance(call, types.FunctionType) and not isinstance(fun, type) and \
                not type(fun).__module__.startswith("srcdiff"):
            return fun.__call__  # grad(layer) of an object with a __call__: its bound method, as grad(model.loss)
        if isinstance(fun, (np.ufunc, types.BuiltinFunctionType)):
            raise UnknownCallableError(
                f"no derivative rule for {public_name(fun)}", None,
                "hint: grammar.md lists the callables srcdiff differentiates; wrap it in a function of your "
                "own with a @srcdiff.custom_vjp rule to add one.")
        return fun
    if fun not in _WRAPPERS:
        _WRAPPERS[fun] = _calling(fun)
    return _WRAPPERS[fun]


def _calling(fun):
    public = public_name(fun)
    root, _, rest = public.partition(".")
    name = public.rsplit(".", 1)[-1]
    namespace = {}
    if rest and root in sys.modules:
        namespace[root] = sys.modules[root]
        callee = public
    else:
        namespace["_callee"] = fun
        callee = "_callee"
    params, passed = _parameters(fun)
    source = f"def {name}({', '.join(params)}):\n    return {callee}({', '.join(passed)})\n"
    filename = f"<srcdiff: {public}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    made = namespace[name]
    made.__doc__ = f"{public}, as srcdiff differentiates it."
    return made


def _parameters(fun):
    """(the parameters of the function that calls fun, what it passes): a ufunc's inputs, or
    fun's own parameters without defaults and those with a literal default (passed by keyword);
    parameters with another default (NumPy's _NoValue) are left to fun."""
    if isinstance(fun, np.ufunc):
        names = ["x"] if fun.nin == 1 else [f"x{i + 1}" for i in range(fun.nin)]
        return names, names
    try:
        signature = inspect.signature(unwrap(fun))
    except (TypeError, ValueError):
        return ["*args"], ["*args"]
    params, passed = [], []
    for p in signature.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.default is p.empty:
            if p.kind is p.KEYWORD_ONLY:
                continue
            params.append(p.name)
            passed.append(p.name)
        elif isinstance(p.default, _LITERALS) or (isinstance(p.default, tuple) and
                                                   all(isinstance(v, _LITERALS) for v in p.default)):
            params.append(f"{p.name}={p.default!r}")
            passed.append(f"{p.name}={p.name}")
    return params, passed


def bind_given(signature, args, kwargs, fun):
    """The arguments of a call in parameter order, keywords bound by the signature as the
    call binds them. Parameters after the last one given are left out: the lowering reads
    their defaults when compiling, as it reads a global (a function, an int for a range)."""
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"{getattr(fun, '__name__', fun)}(): {e}") from None
    if not kwargs:
        return tuple(args)
    names = list(signature.parameters)
    last = max(names.index(name) for name in bound.arguments)
    bound.apply_defaults()
    return tuple(bound.arguments[name] for name in names[:last + 1])


def leaves_of(args):
    """(leaves, structures), with structures None when no argument is a container: the
    common case, which the fast path serves."""
    if not any(type(a) not in _LEAVES and (isinstance(a, (dict, list, tuple)) or pytree.is_node(a)) for a in args):
        return args, None
    return flatten_args(args)


def flatten_args(args):
    leaves, structures = [], []
    for a in args:
        leaves_a, structure = pytree.flatten(a)
        leaves.extend(leaves_a)
        structures.append(structure)
    return leaves, tuple(structures)


def leaf_indices(structures, indices):
    """The positions, among all leaves, of the leaves of the arguments in `indices`."""
    if structures is None:
        return indices
    offsets, total = [], 0
    for s in structures:
        offsets.append(total)
        total += pytree.count(s)
    return tuple(offsets[i] + k for i in indices for k in range(pytree.count(structures[i])))


def like(g, arg):
    """The gradient in the argument's own type: a float for a float, an array of its shape
    and dtype for an array (float32 stays float32 even where the function computes in
    float64, as in JAX), zeros where nothing reached it (as vjp gives for an integer argument)."""
    if g is None:
        return np.zeros_like(arg, dtype=float) if isinstance(arg, np.ndarray) else 0.0
    if type(arg) is float:
        return float(g)
    if isinstance(arg, np.ndarray):
        dtype = arg.dtype if arg.dtype.kind == "f" else np.dtype(np.float64)
        if not isinstance(g, np.ndarray) or g.shape != arg.shape:
            return np.broadcast_to(g, arg.shape).astype(dtype)
        return g if g.dtype == dtype else g.astype(dtype)
    if isinstance(arg, np.floating) and np.result_type(g) != arg.dtype:
        return arg.dtype.type(g)
    return g


def arg_key(a):
    """What a compiled derivative depends on: the type, for arrays shape and dtype, and for a
    function passed in (act=np.tanh) the function itself."""
    if type(a) is np.ndarray:
        return (a.shape, a.dtype)
    if isinstance(a, types.MethodType):  # model.forward is a new object at each access: its function and object
        return (cache.Same(a.__func__), cache.Same(a.__self__))
    if is_function_argument(a):
        return cache.Same(a)
    return type(a)


def check_differentiable(fun, args, indices):
    params = list(own_signature(fun).parameters.values())
    for i in indices:
        leaves, structure = pytree.flatten(args[i])
        # an argument that *args takes has no name of its own
        named = i < len(params) and params[i].kind not in (params[i].VAR_POSITIONAL, params[i].VAR_KEYWORD)
        for path, a in zip(pytree.paths(structure), leaves):
            name = (params[i].name if named else f"argument {i}") + "".join(f"[{k!r}]" for k in path)
            _check_leaf(fun, i, name, a)


def _check_leaf(fun, i, name, a):
    if isinstance(a, complex) or (isinstance(a, (np.ndarray, np.generic)) and a.dtype.kind == "c"):
        raise TypeError(
            f"argument {i} ({name}) of {fun.__name__} is complex; srcdiff differentiates real inputs only "
            "(split it into real and imaginary parts, or leave it out of argnums)"
        )
    if isinstance(a, (bool, np.bool_)) or isinstance(a, numbers.Integral):
        raise TypeError(
            f"differentiating requires float inputs, but argument {i} ({name}) of "
            f"{fun.__name__} is an integer ({a!r}); pass a float, e.g. {float(a)!r}, "
            "or leave it out of argnums"
        )
    if isinstance(a, (np.ndarray, np.generic)):
        if a.dtype.kind != "f":
            raise TypeError(
                f"differentiating requires float inputs, but argument {i} ({name}) of "
                f"{fun.__name__} has dtype {a.dtype}; cast it with .astype(float) or leave it out of argnums"
            )
    elif not isinstance(a, float):
        raise TypeError(
            f"argument {i} ({name}) of {fun.__name__} is a {type(a).__name__}; srcdiff differentiates "
            "floats and NumPy float arrays, and dicts, lists, tuples, namedtuples and dataclasses of them "
            "(srcdiff.register_pytree_node adds a class of your own) "
            "(convert with np.asarray(x, dtype=float))"
        )
