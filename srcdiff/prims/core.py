"""Primitives, the table from Python callables to them, and the builder that
both the frontend and the derivative rules use to write IR.

A derivative rule is ordinary NumPy-looking Python run on `T` values: each
operation on a `T` appends an equation instead of computing a number, so a
rule such as ``g * np.cos(x)`` reads like the math and builds IR made of
primitives that themselves have rules (so derivatives can be differentiated).
"""
import contextlib
import functools
import importlib
import inspect
import numbers
import sys
import types
from typing import Any, Callable, Dict, List

import numpy as np

from ..errors import NonDifferentiableError, UnknownCallableError
from ..ir import Aval, Const, Eqn, Sym, Var
from ..ir.op import Op
from .syntax import axis_keyword


PRIMITIVES = []  # every primitive, in the order declared (tests/unit/prims/test_registry.py walks them)


class Primitive(Op):
    """One operation: how it is written in emitted code, how it evaluates (for
    constant folding), its output shape, and its JVP and VJP rules; every other fact a
    pass or codegen reads is a keyword here, with ir/op.py's default.

    jvp: callable(tangents, outs, ins, **params) -> tangent(s) of the output;
    vjp: callable(g, out, ins, active, **params) -> adjoints, None where inactive;
    batch: callable(eqn, ins, batched, size) -> the result for a batch (prims/batching.py).
    takes_lists: operands may be list values (hs a loop appended to); any other
    primitive takes the array NumPy makes of such a list (np.mean(hs) of np.stack(hs))."""

    def __init__(self, name, emit, impl=None, shape=None, nout=1, differentiable=True, registered=True, **facts):
        self.name = name
        self.emit = emit
        self.impl = impl
        self.shape = shape
        self.nout = nout
        self.differentiable = differentiable
        for key, value in facts.items():
            if not hasattr(Op, key):
                raise TypeError(f"primitive {name}: no fact {key!r} (ir/op.py lists them)")
            setattr(self, key, value)
        if registered:  # srcdiff's own; a custom rule's (prims/custom.py) is the user's
            PRIMITIVES.append(self)

    def defjvp(self, fn):
        self.jvp = fn
        return fn

    def defvjp(self, fn):
        self.vjp = fn
        return fn

    def defbatch(self, fn):
        self.batch = fn
        return fn

    def __repr__(self):
        return f"<prim {self.name}>"


# ---------------------------------------------------------------------------
# The table: Python callables, array methods and attributes -> binders.
# A binder has the callable's own signature (so Python checks the call) and
# returns T values built with the builder.

CALLABLES: Dict[Any, Callable] = {}
METHODS: Dict[str, Callable] = {}
ATTRIBUTES: Dict[str, Callable] = {}


def _registrar(table):
    def register_keys(*keys):
        def register(binder):
            for k in keys:
                table[k] = binder
            return binder

        return register

    return register_keys


binds = _registrar(CALLABLES)  # @binds(np.sum): calls of these callables
method = _registrar(METHODS)  # @method("sum"): x.sum(...)
attribute = _registrar(ATTRIBUTES)  # @attribute("T"): x.T


_RUNS_WHEN_COMPILING = "__srcdiff_runs_when_compiling__"


def runs_when_compiling(fn):
    """Marks one of srcdiff's own constructors (grad, jacfwd, custom_vjp, defvjp, ...). Called
    inside a function being differentiated, with arguments known when compiling, it is run
    when compiling, as all it does is build an object: a derivative, which the code then
    calls, or a custom rule. A mark on the function or class itself, not inherited by what
    it makes (a custom_vjp's instances are rules to call, not constructors)."""
    setattr(fn, _RUNS_WHEN_COMPILING, True)
    return fn


def is_run_when_compiling(fn):
    own = getattr(getattr(fn, "__func__", fn), "__dict__", None)  # a bound method: its function's mark
    return hasattr(own, "get") and own.get(_RUNS_WHEN_COMPILING) is True


# (class, method name) -> binder(obj, *args, **kwargs), for a method of an object from outside
# the function (RNG.normal of a global Generator, np.random.randn of NumPy's own RandomState)
OBJECT_METHODS: Dict[Any, Callable] = {}


def object_method(cls, *names):
    def register(binder):
        for name in names:
            OBJECT_METHODS[cls, name] = binder
        return binder

    return register


def lookup(fn):
    """The binder for a callable, or None. Unhashable callables are never primitives. A miss
    first loads the optional families whose library the program has imported since."""
    try:
        binder = CALLABLES.get(fn)
        if binder is None and load_optional():
            binder = CALLABLES.get(fn)
    except TypeError:
        return None
    if binder is None and OBJECT_METHODS:
        owner = getattr(fn, "__self__", None)
        found = OBJECT_METHODS.get((type(owner), getattr(fn, "__name__", None)))
        if found is not None:
            return functools.partial(found, owner)
    return binder


# Families for optional libraries, by the library module each needs: loaded when that library
# has been imported (a program calls scipy.special.gammaln only after importing scipy.special),
# so `import srcdiff` never imports SciPy (most of a second) and works without it.
OPTIONAL = {"scipy.special": "scipy_special", "scipy.stats": "scipy_stats", "scipy.linalg": "scipy_linalg",
            "scipy.signal": "scipy_signal", "scipy.integrate": "scipy_signal"}
_LOADED = set()


def load_optional(importing=False):
    """Load the families whose library is imported (with importing=True, every one whose library
    imports: the catalog lists them all). Whether any was loaded now."""
    loaded = False
    for library, family in OPTIONAL.items():
        if family in _LOADED or (library not in sys.modules and not importing):
            continue
        _LOADED.add(family)
        try:
            importlib.import_module(library)
        except ImportError:
            continue
        importlib.import_module(f"{__package__}.{family}")
        loaded = True
    return loaded


# ---------------------------------------------------------------------------
# Building IR.


class Builder:
    """Appends equations to the current block; folds constants; infers avals."""

    _current: List["Builder"] = []

    def __init__(self, eqns=None, loc=None, rules=None, parent=None):
        self.eqns = eqns if eqns is not None else []
        self.loc = loc if loc is not None or parent is None else parent.loc
        # derivative code is simplified as it is built (ir/rewrite.py); a nested block's builder
        # uses its parent's rules unless given its own
        self.rules = rules if rules is not None or parent is None else parent.rules
        self._made = dict(parent._made) if parent is not None else {}  # a nested block sees outer values
        self._made.update((o.id, e) for e in self.eqns for o in e.outs)

    def append(self, eqn):
        """Add an equation built elsewhere (a region)."""
        self.eqns.append(eqn)
        for o in eqn.outs:
            self._made[o.id] = eqn

    def producer(self, atom):
        """The equation that defined a variable, for rules that look at how a value was made."""
        return self._made.get(atom.id) if isinstance(atom, Var) else None

    @contextlib.contextmanager
    def active(self):
        Builder._current.append(self)
        try:
            yield self
        finally:
            Builder._current.pop()

    @contextlib.contextmanager
    def at(self, loc):
        old, self.loc = self.loc, loc
        try:
            yield
        finally:
            self.loc = old

    def apply(self, prim: Primitive, ins, hint="", **params):
        atoms = [as_atom(a) for a in ins]
        if not prim.takes_lists and any(a.aval.kind == "list" for a in atoms):
            atoms = [self._stacked(a) if a.aval.kind == "list" else a for a in atoms]
        if prim.impl is not None and all(isinstance(a, Const) and a.known for a in atoms):
            folded = _fold(prim, atoms, params)
            if folded is not None:
                return T(folded)
        for a in atoms:  # ('l2' == MODE is folded above)
            if isinstance(a, Const) and isinstance(a.value, (str, bytes)):
                raise self.error(f"{prim.name} of the {type(a.value).__name__} {a.value!r}: an operation of "
                                 "NumPy's takes numbers and arrays", "a string is not a number: leave it out")
        if self.rules is not None and prim in self.rules.ops:
            prim, atoms, params = self.rules.rewrite(prim, atoms, params, self.producer, self._emit)
            if prim is None:
                return T(atoms)
        avals = prim.shape([a.aval for a in atoms], params) if prim.shape else Aval()
        if prim.nout == 1:
            avals = _known_value(prim, atoms, params, avals)
            outs = [Var(avals, hint)]
        else:
            outs = [Var(av, hint) for av in avals]
        eqn = Eqn(prim, atoms, outs, dict(params), self.loc)
        self.eqns.append(eqn)
        for o in outs:
            self._made[o.id] = eqn
        if prim.nout == 1:
            return T(outs[0])
        return tuple(T(o) for o in outs)

    def _emit(self, prim, atoms, params):
        """One operation of a rule's replacement, itself rewritten by the rules."""
        return self.apply(prim, atoms, **params).atom

    def _stacked(self, xs):
        return self.apply(STACK_LIST, [xs]).atom

    def call(self, fn, args, kwargs):
        binder = lookup(fn)
        if binder is None:
            raise UnknownCallableError(
                f"no derivative rule for {public_name(fn)}",
                self.loc,
                "hint: rewrite it with supported primitives (grammar.md lists them), or wrap it with "
                "@srcdiff.custom_vjp and register its derivative with .defvjp(fwd, bwd) (README: custom rules).",
            )
        try:
            return binder(*args, **kwargs)
        except TypeError as e:
            if isinstance(e, NonDifferentiableError):
                raise
            raise NonDifferentiableError(
                f"cannot call {public_name(fn)} this way: {e}", self.loc
            ) from None

    def error(self, message, hint=""):
        return NonDifferentiableError(message, self.loc, hint)


def _known_value(prim, atoms, params, aval):
    """An integer or boolean computed from values known when compiling (shapes) is known
    too: `if x.shape[0] == 0` is then decided when compiling, as the shapes are."""
    if prim.impl is None or aval.has_value or not atoms or not all(a.aval.has_value for a in atoms):
        return aval
    try:
        with np.errstate(all="ignore"):
            value = prim.impl(*[a.aval.value for a in atoms], **params)
    except Exception:
        return aval
    if isinstance(value, np.generic) and value.dtype.kind in "biu":
        value = value.item()
    # an index array made from known numbers (np.arange(d - 1), counts for np.repeat) is known
    # as well, as NumPy's parameters that must be known when compiling take it
    if isinstance(value, (bool, int)) or (isinstance(value, tuple) and all(isinstance(v, int) for v in value)) or (
            isinstance(value, np.ndarray) and value.dtype.kind in "biu" and value.size <= _KNOWN_ARRAY_SIZE):
        return Aval(aval.kind, aval.shape, aval.dtype, value, True)
    return aval


_KNOWN_ARRAY_SIZE = 10_000  # the largest integer array computed when compiling, as a known value


def shares_memory(eqn, unknown):
    """Whether eqn's result shares memory with its first operand (x[1:], x.T, an item read
    from a list), `unknown` where that is not known when compiling."""
    view = eqn.prim.view
    found = view(eqn) if callable(view) else view
    return unknown if found is None else found


def current() -> Builder:
    return Builder._current[-1]


# Where users reach callables, widest first: a callable's public name is the first of these
# that holds it (scipy.special.expit, not the ufunc's "numpy.expit"; numpy.linalg.solve). SciPy's
# modules are looked at only when already imported: naming a callable never imports SciPy.
PUBLIC_MODULES = ("numpy", "numpy.linalg", "numpy.fft", "numpy.random", "math", "operator", "builtins", "warnings",
                  "scipy.special", "scipy.stats", "scipy.linalg", "scipy.signal", "scipy.integrate")


def _holds(value, fn):
    try:
        return value is fn or (inspect.ismethod(fn) and value == fn)
    except Exception:  # an array's ==
        return False


def public_name(fn):
    """How a user spells fn: numpy.tanh, numpy.linalg.solve, numpy.random.randn (a method of
    NumPy's global RandomState), scipy.special.expit, scipy.stats.norm.logpdf (a method of a
    distribution object that scipy.stats holds); else its module and qualified name."""
    owner = getattr(fn, "__self__", None) if inspect.ismethod(fn) else None
    own = getattr(fn, "__name__", None)
    for modname in PUBLIC_MODULES:
        module = sys.modules.get(modname)
        if module is None:
            continue
        if isinstance(own, str) and _holds(getattr(module, own, None), fn):  # np.transpose, not its alias permute_dims
            return own if modname == "builtins" else f"{modname}.{own}"
        for name, value in vars(module).items():
            if name.startswith("_"):
                continue
            if _holds(value, fn):
                return name if modname == "builtins" else f"{modname}.{name}"
            if owner is not None and value is owner:
                return f"{modname}.{name}.{fn.__name__}"
    mod = getattr(fn, "__module__", None) or ""
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)
    return f"{mod}.{name}" if mod and mod != "builtins" else name


_FOLD_TYPES = (bool, int, float, complex, type(None), tuple, slice)


def _fold(prim, atoms, params):
    try:
        with np.errstate(all="ignore"):
            value = prim.impl(*[a.value for a in atoms], **params)
    except Exception:
        return None
    if isinstance(value, np.generic) and value.dtype in (np.float64, np.int64, np.bool_):
        value = value.item()
    if isinstance(value, _FOLD_TYPES) and not (isinstance(value, tuple) and not _plain_tuple(value)):
        return Const(value)
    return None


def _plain_tuple(t):
    return all(isinstance(v, (bool, int, float, type(None), slice)) for v in t)


# ---------------------------------------------------------------------------
# T: a value under construction. Operators and NumPy functions on it build IR.


class T:
    __slots__ = ("atom",)
    __array_priority__ = 1000

    def __init__(self, atom):
        self.atom = atom

    @property
    def aval(self) -> Aval:
        return self.atom.aval

    @property
    def is_const(self):
        """A value known when compiling (an external array is not: its elements may change)."""
        return isinstance(self.atom, Const) and self.atom.known

    def const_value(self, default=None):
        if isinstance(self.atom, Const) and self.atom.known:
            return self.atom.value
        if self.atom.aval.has_value:
            return self.atom.aval.value
        return default

    def _call(self, fn, *args, **kwargs):
        return current().call(fn, args, kwargs)

    def __add__(self, o):
        return self._call(np.add, self, o)

    def __radd__(self, o):
        return self._call(np.add, o, self)

    def __sub__(self, o):
        return self._call(np.subtract, self, o)

    def __rsub__(self, o):
        return self._call(np.subtract, o, self)

    def __mul__(self, o):
        return self._call(np.multiply, self, o)

    def __rmul__(self, o):
        return self._call(np.multiply, o, self)

    def __truediv__(self, o):
        return self._call(np.true_divide, self, o)

    def __rtruediv__(self, o):
        return self._call(np.true_divide, o, self)

    def __floordiv__(self, o):
        return self._call(np.floor_divide, self, o)

    def __rfloordiv__(self, o):
        return self._call(np.floor_divide, o, self)

    def __pow__(self, o):
        return self._call(np.power, self, o)

    def __rpow__(self, o):
        return self._call(np.power, o, self)

    def __matmul__(self, o):
        return self._call(np.matmul, self, o)

    def __rmatmul__(self, o):
        return self._call(np.matmul, o, self)

    def __neg__(self):
        return self._call(np.negative, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return self._call(np.abs, self)

    def __gt__(self, o):
        return self._call(np.greater, self, o)

    def __ge__(self, o):
        return self._call(np.greater_equal, self, o)

    def __lt__(self, o):
        return self._call(np.less, self, o)

    def __le__(self, o):
        return self._call(np.less_equal, self, o)

    def __eq__(self, o):
        return self._call(np.equal, self, o)

    def __ne__(self, o):
        return self._call(np.not_equal, self, o)

    __hash__ = object.__hash__

    def __getitem__(self, idx):
        return METHODS["__getitem__"](self, idx)

    def __getattr__(self, name):
        if name in ATTRIBUTES:
            return ATTRIBUTES[name](self)
        if name in METHODS:
            return lambda *a, **k: METHODS[name](self, *a, **k)
        raise AttributeError(name)

    def __bool__(self):
        raise current().error("a traced value has no truth value at compile time")

    def __array_ufunc__(self, ufunc, method_name, *inputs, **kwargs):
        if method_name != "__call__":
            return NotImplemented
        return current().call(ufunc, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return current().call(func, args, kwargs)

    def __repr__(self):
        return f"T({self.atom!r})"


def is_known_array(x):
    """An ndarray for sure (not a Python float), so its methods can be spelled x.method(). Not
    a 0-d value: that may be a Python float when the code runs (an if that yields 3.0 on one
    side and a 0-d array on the other, a loop's running adjoint started at 1.0, a cotangent
    passed as a float), and a Python float has no .reshape."""
    aval = as_atom(x).aval
    return aval.kind == "array" and aval.known_shape and aval.shape != ()


def as_atom(x):
    if isinstance(x, T):
        return x.atom
    if isinstance(x, (Var, Const)):
        return x
    if isinstance(x, list) or (isinstance(x, tuple) and _holds_traced(x)):
        return array_operand(x).atom  # a constant never holds traced values: [a, 1.0] is an array
    if isinstance(x, (dict, set, frozenset, types.ModuleType)):
        raise TypeError(f"a {type(x).__name__} is not a number or an array")  # x @ {'k': 1}: Python raises too
    return Const(x)


def wrap(x):
    return x if isinstance(x, T) else T(as_atom(x))


def _holds_traced(seq):
    return any(isinstance(v, (T, Var)) or (isinstance(v, (list, tuple)) and _holds_traced(v)) for v in seq)


def array_operand(x):
    """x where NumPy takes an array: a list or tuple as np.asarray makes it (np.sum([a, 1.0])
    sums a stack of a and 1.0), anything else as it is. np.asarray's binder (prims/joining.py,
    built on this module) is found in the table, as T's operators find theirs."""
    if not isinstance(x, (list, tuple)):
        return wrap(x)
    return CALLABLES[np.asarray](x)


def static(x, what):
    """A parameter that must be known when compiling (axis, keepdims, dtype)."""
    if isinstance(x, T):
        v = x.const_value(_MISSING)
        if v is _MISSING:
            raise current().error(
                f"{what} must be known when compiling, not computed from the inputs",
                "pass a literal, a module-level constant, or a value derived from shapes.",
            )
        return v
    if isinstance(x, (list, tuple)):
        return type(x)(static(v, what) for v in x)
    return x


_MISSING = object()


def is_scalar_number(x):
    return isinstance(x, numbers.Number) and not isinstance(x, bool)


def const_equals(x, number):
    """True when x is known to be exactly this scalar number."""
    atom = as_atom(x)
    if not isinstance(atom, Const):
        return False
    v = atom.value
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and v == number


# ---------------------------------------------------------------------------
# A list value (hs a loop appended to) where a primitive takes an array: np.stack(hs), as
# NumPy makes it. Here, below prims/lists.py, as the builder stacks such operands itself.


def _stack_shape(avals, params):
    lst = avals[0]
    if lst.length is None or not isinstance(lst.shape, tuple):
        return Aval("array", Sym(), lst.dtype)
    axis = params.get("axis", 0)
    axis = axis + len(lst.shape) + 1 if axis < 0 else axis
    return Aval("array", lst.shape[:axis] + (lst.length,) + lst.shape[axis:], lst.dtype)


def _unstack_shape(avals, params):
    a = avals[0]
    if not a.known_shape or not a.shape:
        return Aval("list", Sym(), a.dtype)
    axis = params.get("axis", 0) % len(a.shape)
    return Aval("list", a.shape[:axis] + a.shape[axis + 1:], a.dtype, length=a.shape[axis])


_STACK_ITEMS = """def stack_items(items):
    \"\"\"np.stack(items) of a list, for numba (whose np.stack takes a tuple).\"\"\"
    first = np.asarray(items[0])
    out = np.empty((len(items),) + first.shape, first.dtype)
    for k in range(len(items)):
        out[k] = items[k]
    return out"""
STACK_LIST = Primitive("stack_list", takes_lists=True, emit=lambda a, p: f"np.stack({a[0]}{axis_keyword(p)})",
                       impl=lambda xs, axis=0: np.stack(xs, axis=axis), shape=_stack_shape, fresh=True,
                       on_numba=lambda a, p, avals: (f"stack_items({a[0]})" if not p.get("axis", 0)
                                                     else f"np.moveaxis(stack_items({a[0]}), 0, {p['axis']})",
                                                     (_STACK_ITEMS,)))
# list(g) splits along the first axis; along another, move it to the front first
UNSTACK = Primitive("unstack", takes_lists=True, emit=lambda a, p: f"list(np.moveaxis({a[0]}, {p['axis']}, 0))" if p.get("axis", 0)
                    else f"list({a[0]})", impl=lambda g, axis=0: list(np.moveaxis(g, axis, 0)),
                    shape=_unstack_shape, fresh=True)
STACK_LIST.defvjp(lambda g, out, ins, active, axis=0: (current().apply(UNSTACK, [g], axis=axis),))
UNSTACK.defvjp(lambda g, out, ins, active, axis=0: (current().apply(STACK_LIST, [g], axis=axis),))
STACK_LIST.defjvp(lambda t, out, ins, axis=0: current().apply(STACK_LIST, [t[0]], **({"axis": axis} if axis else {})))
UNSTACK.defjvp(lambda t, out, ins, axis=0: current().apply(UNSTACK, [t[0]], axis=axis))
