"""The cached-call fast path of a gradient: a small function generated per argument kinds.

A call of a cached gradient must cost well under a microsecond on top of the derivative
itself. Checking the argument kinds, the guards and packaging the result in straight-line
code made for one entry is the cheapest Python offers; anything else (another kind of
argument, a keyword, a rebound global) goes to the general path, which compiles or finds
the entry and then installs its dispatcher.

Python floats are passed through as they are, so scalar code runs at Python float speed,
in the derivative's variant that calls math.cos where NumPy would be called on a float.
Where Python floats part from NumPy's scalars (1 / 0.0 raises instead of giving inf,
math.log(0.0) raises instead of giving -inf, x ** 0.5 of a negative x is complex), the call
is run again on NumPy scalars in the NumPy variant, which is what the general path does; a
derivative that raises an exception has no side effects to repeat.
"""
import numpy as np

from .guards import MISSING, holds
from .ir import is_function_argument

# Python floats and NumPy scalars part ways only by raising (ZeroDivisionError, OverflowError,
# a method NumPy scalars have, math's domain errors) or, for **, by returning a complex number.
_FLOAT_MISMATCH = (ArithmeticError, AttributeError, TypeError, ValueError)


def call_on_numbers(fn, floats_safe, args):
    """fn(*args), with Python float arguments as Python floats: they then mix with float32
    arrays as they do in NumPy (np.sum(x) + 0.4 stays float32; np.float64(0.4) would not).
    Where Python's float arithmetic parts from NumPy's (1 / 0.0 raises, a negative float to
    a float power is complex) the call runs on NumPy scalars instead, as NumPy would compute."""
    if not any(type(a) is float for a in args):
        return fn(*args)
    if floats_safe:  # no power with a fractional exponent (Emitted.floats_safe)
        try:
            return fn(*args)
        except _FLOAT_MISMATCH:
            pass
    return fn(*[np.float64(a) if type(a) is float else a for a in args])


_INTERNAL = {"self", "fn", "on_floats", "slow", "package", "like", "MISSING", "float64", "MISMATCH", "holds",
             "outs", "args", "kwargs", "float", "type", "len"}


def make_dispatcher(signature, args, compiled, guards, slow, like, grads_of, with_value, as_tuple, package=None):
    """A __call__(self, ...) calling compiled.fn when args are of the same kinds as these
    args (arrays: type, shape and dtype; anything else: type) and guards hold, and
    slow(self, args, kwargs) otherwise. With the function's own signature where it is
    plain, Python binds keywords and defaults; otherwise it takes *args, **kwargs.

    The result is the gradients wrt args[i] for i in grads_of, each made like its
    argument by like(g, arg) (a float for a float), as a tuple when as_tuple, after the
    value when with_value; or package(outs, args) when given (has_aux)."""
    env = {"fn": compiled.fn, "on_floats": compiled.on_floats, "slow": slow, "package": package, "like": like,
           "MISSING": MISSING, "float64": np.float64, "MISMATCH": _FLOAT_MISMATCH, "holds": holds}
    names = _plain_parameters(signature, len(args), env)
    if names is None:
        names = [f"a{i}" for i in range(len(args))]
        lines = ["def call(self, *args, **kwargs):",
                 f"    if kwargs or len(args) != {len(args)}:",
                 "        return slow(self, args, kwargs)",
                 f"    {', '.join(names)}, = args"]
    else:
        header = ", ".join(f"{n}=DEFAULT_{n}" if f"DEFAULT_{n}" in env else n for n in names)
        lines = [f"def call(self, {header}):"]
    args_tuple = f"({', '.join(names)},)"  # built only where needed: a tuple costs on a fast path
    checks = []
    by_value = dict(compiled.by_value)  # integers compiled for by value (cache.get_or_compile)
    for i, (name, a) in enumerate(zip(names, args)):
        env[f"T{i}"] = type(a)
        checks.append(f"type({name}) is T{i}")
        if i in by_value:
            env[f"I{i}"] = by_value[i]
            checks.append(f"{name} == I{i}")
        elif type(a) is np.ndarray:
            env[f"S{i}"], env[f"D{i}"] = a.shape, a.dtype
            checks.append(f"{name}.shape == S{i} and {name}.dtype == D{i}")
        elif is_function_argument(a):  # compiled for this very function (act=np.tanh)
            env[f"F{i}"] = a
            checks.append(f"{name} is F{i}")
    unique = {(id(namespace), id(name), id(value)): (namespace, name, value) for namespace, name, value in guards}
    for k, (namespace, name, value) in enumerate(unique.values()):
        env[f"N{k}"], env[f"K{k}"], env[f"V{k}"] = namespace, name, value
        # a namespace's entry inline; a closure cell (an emptied one raises) and a container's
        # contents through guards.holds
        checks.append(f"N{k}.get({name!r}, MISSING) is V{k}" if isinstance(name, str) else f"holds(N{k}, K{k}, V{k})")
    lines += [f"    if not ({' and '.join(checks) or 'True'}):", f"        return slow(self, {args_tuple}, {{}})"]
    if package is not None:
        target = "outs"
    else:
        n_outs = len(grads_of) + bool(with_value)
        outs = [f"o{k}" for k in range(n_outs)]
        target = ", ".join(outs)
    floats = {name for name, a in zip(names, args) if type(a) is float}
    as_numpy = ", ".join(f"float64({n})" if n in floats else n for n in names)
    if floats and compiled.floats_safe:
        fast = "on_floats" if compiled.on_floats is not None else "fn"
        # gradients wrt floats that the float variant returns as floats, as the caller wants them
        direct = (fast == "on_floats" and package is None and not with_value and as_tuple == (len(grads_of) > 1)
                  and all(type(args[i]) is float and compiled.float_results[k] for k, i in enumerate(grads_of)))
        lines += ["    try:", f"        {'return' if direct else target + ' ='} {fast}({', '.join(names)})",
                  "    except MISMATCH:", f"        {target} = fn({as_numpy})"]
    else:
        lines.append(f"    {target} = fn({as_numpy})")
    if package is not None:
        lines.append(f"    return package(outs, {args_tuple})")
    else:
        grads = [f"float({o})" if type(args[i]) is float else f"like({o}, {names[i]})"
                 for o, i in zip(outs[bool(with_value):], grads_of)]
        result = f"({', '.join(grads)},)" if as_tuple else grads[0]
        lines.append(f"    return {'o0, ' if with_value else ''}{result}")
    exec(compile("\n".join(lines) + "\n", "<srcdiff dispatch>", "exec"), env)
    return env["call"]


def _plain_parameters(signature, n, env):
    """The parameter names when every one is positional-or-keyword and none clashes with
    the dispatcher's own names (their defaults go into env), else None."""
    params = list(signature.parameters.values()) if signature is not None else []
    if len(params) != n or any(p.kind is not p.POSITIONAL_OR_KEYWORD for p in params):
        return None
    names = [p.name for p in params]
    if any(name in _INTERNAL or name[:1] in "TSDFNKVoa" and name[1:].isdigit() or name.startswith("DEFAULT_")
           for name in names):
        return None
    for p in params:
        if p.default is not p.empty:
            env[f"DEFAULT_{p.name}"] = p.default
    return names


