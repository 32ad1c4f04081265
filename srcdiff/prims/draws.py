"""Random draws inside a differentiated function: constants of the call, drawn once per call in
the forward part.

A draw (np.random.randn(3), rng.normal(size=n), RNG.choice(5) of a global Generator) is one
equation of the primitive DRAW, emitted as the call written, from the same stream: NumPy's
global one (np.random.seed sets it), a Generator or RandomState from outside the function, one
passed as an argument, or one the function makes (np.random.default_rng(seed)). Its facts say
what it is: an effect (it advances the stream), so it is kept though nothing reads its value,
never merged with another (two randn(3) are two draws) and written as a statement of its own,
in order; not hoistable (a draw in a loop is a new draw each step), not recomputable (the
backward sweep reads the value the forward part drew), not folded (no impl). So the derivative
draws what the function draws, in the same order: after the same seed, value_and_grad's value
is f's.

A draw's value has no derivative with respect to its parameters, except where it is written
as a function of them that NumPy computes the same way (checked against NumPy's streams, both
the legacy one and Generator's): normal(mu, sigma, size) is mu + sigma *
standard_normal(size), uniform(lo, hi, size) is lo + (hi - lo) * random(size), permutation(x)
is x[permutation(len(x))] and choice(a, ...) is a[choice(len(a), ...)]. Other parameters
computed from the inputs (choice's p) are refused."""
import inspect
import warnings

import numpy as np

from ..ir import Aval, Const, Sym
from .broadcasting import shape_operand
from .core import METHODS, Primitive, T, array_operand, binds, current, method, object_method, static, wrap
from .discrete import traced_float
from .shapes import broadcast_shape
from .shaping import STOP_GRADIENT
from .syntax import call

FAMILY = "random draws"  # grammar.md's list of callables (prims/catalog.py) groups by it
RECEIVER = "rng"  # its methods are a Generator's (or a RandomState's), not an array's

LEGACY = np.random.mtrand._rand  # the RandomState behind np.random.randn and np.random.seed

# parameters that are options, known when compiling, rather than values
_OPTIONS = ("dtype", "replace", "endpoint", "axis", "shuffle")


def _stand_in(aval):
    if aval.has_value:
        return aval.value
    if aval.kind not in ("array", "scalar") or not aval.known_shape or aval.dtype is None:
        return None
    value = np.full(aval.shape, 0.5 if aval.dtype.kind in "fc" else 1, aval.dtype)
    return value.item() if aval.kind == "scalar" else value


def _sample(name, legacy):
    """A stream to draw from when compiling, to find a draw's shape and dtype."""
    if legacy or not hasattr(np.random.Generator, name):
        return np.random.RandomState(0)
    return np.random.default_rng(0)


def _arguments(fn, names, values, options, positional=0):
    """The call as written: the first `positional` operands, and those without a default, by
    position; the others by keyword."""
    args, kwargs = [], dict(options)
    parameters = inspect.signature(fn).parameters
    for i, (name, value) in enumerate(zip(names, values)):
        p = parameters.get(name)
        if i < positional or p is None or p.default is inspect.Parameter.empty:
            args.append(value)
        else:
            kwargs[name] = value
    return args, kwargs


def _draw_shape(avals, params):
    legacy, name, names = params["legacy"], params["method"], params["_names"]
    avals = avals if legacy else avals[1:]
    values = [_stand_in(a) for a in avals]
    if any(v is None for v in values):
        return Aval("array", Sym(), None)
    fn = getattr(_sample(name, legacy), name)
    options = {k: v for k, v in params.items() if k in _OPTIONS}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            args, kwargs = _arguments(fn, _star(names), values, options)
            value = fn(*args, **kwargs)
    except Exception:
        return Aval("array", Sym(), None)
    if value is None:  # np.random.seed(0): done for what it does
        return Aval("static", None, None)
    if isinstance(value, (bool, int, float)):
        return Aval("scalar", (), np.asarray(value).dtype)
    value = np.asarray(value)
    return Aval("array", tuple(value.shape), value.dtype)


def _star(names):
    return tuple(f"*{i}" if n == "*" else n for i, n in enumerate(names))


def _emit(sources, params):
    legacy, name = params["legacy"], params["method"]
    owner, sources = ("np.random", sources) if legacy else (sources[0], sources[1:])
    fn = getattr(_sample(name, legacy), name)
    args, kwargs = _arguments(fn, _star(params["_names"]), sources, {}, params.get("_positional", 0))
    keywords = [f"{k}={v}" for k, v in kwargs.items()]
    return call(f"{owner}.{name}", list(args) + keywords, {k: v for k, v in params.items() if k in _OPTIONS})


DRAW = Primitive("draw", emit=_emit, shape=_draw_shape, differentiable=False, fresh=True, effect=True)


def _generator_shape(avals, params):
    return Aval("static", None, None)


# np.random.default_rng(seed) made inside the function: a new stream, never merged with another
# one made alike (effect), from which the function's draws are taken
DEFAULT_RNG = Primitive("default_rng", emit=lambda a, p: f"np.random.default_rng({', '.join(a)})",
                        shape=_generator_shape, differentiable=False, fresh=True, effect=True)


@binds(np.random.default_rng)
def _default_rng(seed=None):
    seeds = [] if seed is None else [array_operand(seed) if isinstance(seed, list) else seed]
    return current().apply(DEFAULT_RNG, seeds)


# ---------------------------------------------------------------------------
# Binding a draw


def _draw(owner, name, args, kwargs):
    """owner: LEGACY (np.random.name), a stream object from outside (a Generator or a
    RandomState), or a T (one the function made, or an argument)."""
    legacy = owner is LEGACY
    sample = getattr(_sample(name, legacy), name)
    try:
        bound = inspect.signature(sample).bind(*args, **kwargs)
    except TypeError as e:
        raise current().error(f"{name}(): {e}") from None
    given = dict(bound.arguments)
    if "out" in given:
        raise current().error(f"the out= of {name} is not supported", "hint: assign the draw instead.")
    if "args" in given and name in ("rand", "randn"):  # rand(d0, d1, ...)
        values = list(given.pop("args"))
        names = ("*",) * len(values)
    else:
        names = tuple(k for k in given if k not in _OPTIONS and given[k] is not None)
        values = [given[k] for k in names]
    values = [shape_operand(v) if k == "size" and isinstance(v, (tuple, list))
              else array_operand(v) if isinstance(v, list) else v for k, v in zip(names, values)]
    options = {k: static(given[k], f"{name}'s {k}") for k in _OPTIONS if k in given}
    rewritten = _reparameterised(owner, name, dict(zip(names, values)), options)
    if rewritten is not None:
        return rewritten
    for k, v in zip(names, values):
        if traced_float(v) and k != "*" and k != "size" and not _held(v):
            raise current().error(
                f"a draw from {name} whose {k} is computed from the inputs: the draw has no derivative with "
                f"respect to its {k}",
                "hint: write the draw from fixed parameters and scale it, as in mu + sigma * np.random.randn(...) "
                f"(the reparameterisation); or draw with srcdiff.stop_gradient({k}) to take no derivative through it.")
    receiver = [] if legacy else [_receiver(owner, name)]
    return current().apply(DRAW, receiver + values, method=name, legacy=legacy, _names=names,
                           _positional=min(len(args), len(names)), **options)


def _held(x):
    """A value the user passed through srcdiff.stop_gradient: no derivative flows through it."""
    made = current().producer(wrap(x).atom)
    return made is not None and made.prim is STOP_GRADIENT


def _receiver(owner, name):
    if isinstance(owner, T):
        return owner
    return T(Const(owner, name="rng"))


def _size_of(arguments, operands):
    """A draw's size: the one given, or the operands' broadcast shape (known when compiling)."""
    size = arguments.get("size")
    if size is not None:
        return size
    avals = [wrap(v).aval for v in operands]
    shape = broadcast_shape(avals)
    if not isinstance(shape, tuple):
        raise current().error("a draw whose parameters' shapes are not known when compiling",
                              "hint: pass size=... explicitly.")
    return shape if shape != () or any(a.kind == "array" for a in avals) else None


def _reparameterised(owner, name, arguments, options):
    """normal/uniform with a location or scale computed from the inputs, and permutation/choice
    of such an array, written as a draw from fixed parameters (NumPy's stream is the same)."""
    if name == "normal" and any(traced_float(arguments.get(k)) for k in ("loc", "scale")):
        present = [arguments[k] for k in ("loc", "scale") if k in arguments]
        z = _draw(owner, "standard_normal", (), _size_kw(_size_of(arguments, present)))
        z = arguments["scale"] * z if "scale" in arguments else z
        return arguments["loc"] + z if "loc" in arguments else z
    if name == "uniform" and any(traced_float(arguments.get(k)) for k in ("low", "high")):
        low, high = arguments.get("low", 0.0), arguments.get("high", 1.0)
        u = _draw(owner, "random", (), _size_kw(_size_of(arguments, [low, high])))
        return low + (high - low) * u
    if name == "permutation" and traced_float(arguments.get("x")):
        x = wrap(arguments["x"])
        axis = options.get("axis", 0)
        n = _length(x, axis, name)
        idx = _draw(owner, "permutation", (n,), {})
        return x[idx] if axis == 0 else np.take(x, idx, axis=axis)
    if name == "choice" and traced_float(arguments.get("a")):
        a = wrap(arguments["a"])
        axis = options.get("axis", 0)
        n = _length(a, axis, name)
        rest = {k: v for k, v in arguments.items() if k != "a"}
        idx = _draw(owner, "choice", (n,), dict(rest, **{k: v for k, v in options.items() if k != "axis"}))
        return a[idx] if axis == 0 else np.take(a, idx, axis=axis)
    return None


def _size_kw(size):
    return {} if size is None else {"size": size}


def _length(x, axis, name):
    if x.aval.ndim is None or x.aval.ndim == 0:
        raise current().error(f"{name} of an array whose shape is not known when compiling",
                              "hint: draw indices (np.random.permutation(n)) and index the array with them.")
    return x.aval.shape[axis]


# ---------------------------------------------------------------------------
# Where draws come from

_LEGACY_DRAWS = ("rand", "randn", "normal", "uniform", "choice", "permutation", "binomial", "random",
                 "random_sample", "standard_normal", "randint", "seed")  # seed: where the stream starts
_GENERATOR_DRAWS = ("normal", "standard_normal", "uniform", "random", "integers", "choice", "permutation",
                    "binomial")


def _bound(name):
    return lambda owner, *args, **kwargs: _draw(owner, name, args, kwargs)


for _name in _LEGACY_DRAWS:
    object_method(np.random.RandomState, _name)(_bound(_name))  # np.random.randn is LEGACY's
for _name in _GENERATOR_DRAWS:
    object_method(np.random.Generator, _name)(_bound(_name))


def _on_traced(name):
    """rng.normal(...) of a generator the function made, or was passed (a Generator or a
    RandomState: what it is is known when the code runs)."""
    def bind(owner, *args, **kwargs):
        if owner.aval.kind != "static" and (owner.aval.known_shape or owner.aval.dtype is not None):
            raise current().error(f"arrays have no method {name!r}",
                                  "hint: draws are methods of a Generator (np.random.default_rng(seed)).")
        return _draw(owner, name, args, kwargs)

    return bind


for _name in _GENERATOR_DRAWS + _LEGACY_DRAWS:  # a RandomState passed in has randn, rand, randint, seed
    if _name not in METHODS:
        method(_name)(_on_traced(_name))


@binds(np.random.seed)
def _seed(seed=None):
    """np.random.seed(s) inside the function: the stream restarts there at every call."""
    return _draw(LEGACY, "seed", (seed,) if seed is not None else (), {})
