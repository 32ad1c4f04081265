"""Structured SSA: variables assigned once, equations applying one primitive,
blocks as regions so that control flow can stay structured for a Python target."""
import itertools
import numbers
import types
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np

_ids = itertools.count(1)


class Sym:
    """An unknown shape. Two values share a Sym only when their shapes are provably equal."""

    __slots__ = ("id", "parts", "_broadcasts")

    def __init__(self, parts=None):
        self.id = next(_ids)
        self.parts = parts if parts is not None else frozenset([self])  # what it broadcasts together
        self._broadcasts = {}

    def __repr__(self):
        return f"?{self.id}"


def broadcast_sym(shapes):
    """The shape that unknown and known shapes broadcast together make: one Sym for the same
    operands in any order (x * y + z and z + y * x), as it is one shape."""
    parts = frozenset().union(*(s.parts if isinstance(s, Sym) else {s} for s in shapes))
    known = [p for p in parts if not isinstance(p, Sym)]
    if len(known) > 1:  # the known ones broadcast together first
        try:
            parts = parts - set(known) | {np.broadcast_shapes(*known)}
        except ValueError:
            return Sym()  # an error NumPy raises when the code runs
    syms = sorted((p for p in parts if isinstance(p, Sym)), key=lambda p: p.id)
    if not syms:
        return next(iter(parts))  # a float or an array of shape s, broadcast with s: s
    if len(parts) == 1:
        return syms[0]
    key = frozenset(id(p) if isinstance(p, Sym) else p for p in parts)
    owner = syms[0]  # the memo lives on a part, so it lives as long as the parts it names
    if key not in owner._broadcasts:
        owner._broadcasts[key] = Sym(parts)
    return owner._broadcasts[key]


@dataclass(frozen=True)
class Aval:
    """What is known about a value at compile time.

    kind: 'array' (ndarray or NumPy scalar), 'scalar' (Python number), 'tuple'
    (shapes, index tuples), 'static' (anything else known exactly), 'list' (a list
    value: shape and dtype are its items', length how many there are, when known),
    'tape' (what reverse mode's forward half of a called function keeps for its
    backward half: layout says what each item is, prims/tapes.py).
    shape is a tuple, or a Sym when unknown. value holds the value when it is
    known exactly (shape integers, constants)."""

    kind: str = "array"
    shape: Any = None
    dtype: Optional[np.dtype] = None
    value: Any = None
    has_value: bool = False
    length: Any = None  # a list's number of items, when known
    layout: Any = None  # a tape's TapeLayout (a list's, when its items are tapes)
    # a list whose items have no one dtype (a float32 array and a float64 one, or either by
    # the path taken): dtype None then means "not known", where a list with no items known
    # (an empty one) has dtype None too and takes its items' from what is appended
    mixed: bool = False

    @property
    def ndim(self):
        return len(self.shape) if isinstance(self.shape, tuple) else None

    @property
    def known_shape(self):
        return isinstance(self.shape, tuple)

    @property
    def differentiable(self):
        """Integers, booleans, tuples and statics carry no derivative; a tape carries its items'."""
        if self.kind in ("tuple", "static"):
            return False
        if self.kind == "tape" or self.layout is not None:
            return True
        return self.dtype is None or self.dtype.kind in "fc"

    def same(self, other):
        """Whether the two are known to describe the same values: kind, shape and dtype."""
        return (self.kind == other.kind and same_dtype(self.dtype, other.dtype)
                and (self.shape is other.shape or self.shape == other.shape))

    def __str__(self):
        dt = {None: "?"}.get(self.dtype, None) or _dtype_tag(self.dtype)
        if self.kind == "tuple":
            return "tuple"
        if self.kind == "static":
            return "static"
        if self.kind == "tape":
            return f"tape[{self.layout}]"
        if self.kind == "list" and isinstance(self.layout, Aval):
            return f"list[{self.layout}]"
        if self.kind == "list" and self.layout is not None:
            return f"list[tape[{self.layout}]]"
        if self.kind == "list":
            element = Aval("scalar" if self.shape == () else "array", self.shape, self.dtype)
            return f"list[{element}]"
        if self.kind == "scalar":
            return dt
        if isinstance(self.shape, tuple):
            return f"{dt}[{','.join(str(d) for d in self.shape)}]"
        return f"{dt}[?]"


def same_dtype(a, b):
    """Whether two dtypes (None: unknown) are known to be the same. Not a == b: NumPy
    reads None as float64, so np.dtype("float64") == None holds."""
    return a is b or (a is not None and b is not None and a == b)


def _dtype_tag(dt):
    return {"f": "f", "i": "i", "u": "u", "b": "bool", "c": "c"}[dt.kind] + (
        "" if dt.kind == "b" else str(dt.itemsize * 8)
    )


def unknown_aval():
    return Aval("array", Sym(), None)


class Var:
    """An SSA variable. hint is the user's name for it, kept for the emitted code;
    adjoint_of names a derivative after its primal when the primal has no user name."""

    __slots__ = ("id", "hint", "aval", "adjoint_of", "partial_of", "tangent_of")

    def __init__(self, aval: Aval, hint: str = ""):
        self.id = next(_ids)
        self.hint = hint
        self.aval = aval
        self.adjoint_of = None
        self.partial_of = None  # part of an adjoint that later contributions add to
        self.tangent_of = None  # forward mode: the value this is the derivative of (x_dot)

    def __repr__(self):
        return f"%{self.hint or 'v'}{self.id}"


class Const:
    """A value known when compiling: a literal, a resolved global, a parameter default.

    An array from outside the function (a global, an attribute, a default) is external:
    the same object at every call, whose elements the caller may change in place between
    calls. Its shape and dtype are known when compiling, its values are not (aval has no
    value), so nothing is computed from them then; the emitted code reads it by reference."""

    __slots__ = ("value", "aval", "name")

    def __init__(self, value, aval: Optional[Aval] = None, name: Optional[str] = None):
        self.value = value
        self.aval = aval or aval_of_value(value)
        self.name = name  # the global it came from, so emitted code can say it by name

    @classmethod
    def external(cls, array, name=None):
        return cls(array, Aval("array", tuple(array.shape), array.dtype), name)

    @property
    def known(self):
        """Whether the value itself is known when compiling (not an external array)."""
        return self.aval.has_value

    def __repr__(self):
        return f"Const({self.value!r})"


Atom = Union[Var, Const]


@dataclass
class Eqn:
    """outs = prim(ins; params). Region primitives (if, loops) carry blocks. A held
    equation is computed as written with no derivative through it (stop_gradient on its
    result): the max a softmax subtracts, whose shift cancels (transforms/shift.py)."""

    prim: Any
    ins: List[Atom]
    outs: List[Var]
    params: Dict[str, Any] = field(default_factory=dict)
    loc: Any = None
    blocks: Tuple["Block", ...] = ()
    held: bool = False


@dataclass
class Block:
    """A region: parameters bound on entry, equations, results yielded on exit."""

    params: List[Var] = field(default_factory=list)
    eqns: List[Eqn] = field(default_factory=list)
    results: List[Atom] = field(default_factory=list)


@dataclass
class Function:
    """A lowered function. body.params are the arguments, body.results the outputs."""

    name: str
    body: Block
    filename: str = "<unknown>"
    lineno: int = 0
    doc: str = ""

    @property
    def params(self):
        return self.body.params

    @property
    def results(self):
        return self.body.results


def aval_of_value(value) -> Aval:
    if isinstance(value, bool):
        return Aval("scalar", (), np.dtype(bool), value, True)
    if isinstance(value, int):
        return Aval("scalar", (), np.dtype(np.int64), value, True)
    if isinstance(value, float):
        return Aval("scalar", (), np.dtype(np.float64), value, True)
    if isinstance(value, complex):
        return Aval("scalar", (), np.dtype(np.complex128), value, True)
    if isinstance(value, (np.ndarray, np.generic)):
        return Aval("array", tuple(value.shape), value.dtype, value, True)
    if isinstance(value, tuple) and all(_is_static_scalar(v) for v in value):
        return Aval("tuple", None, None, value, True)
    return Aval("static", None, None, value, True)


def _is_static_scalar(v):
    return v is None or isinstance(v, (int, float, bool, slice, type(Ellipsis)))


BY_VALUE = (int, bool)  # the argument types compiled for by value where the code needs the value


def aval_of_argument(value, by_value=False) -> Aval:
    """The cache key's view of a runtime argument: kind, dtype and shape, not the value; or,
    by_value, the value itself, known when compiling as a global is (an integer argument
    whose value the code needs, cache.get_or_compile)."""
    if by_value:
        return Aval("static", None, None, value, True)
    if isinstance(value, bool):
        return Aval("scalar", (), np.dtype(bool))
    if isinstance(value, int):
        return Aval("scalar", (), np.dtype(np.int64))
    if isinstance(value, float):
        return Aval("scalar", (), np.dtype(np.float64))
    if isinstance(value, complex):
        return Aval("scalar", (), np.dtype(np.complex128))
    if isinstance(value, (np.ndarray, np.generic)):
        return Aval("array", tuple(value.shape), value.dtype)
    if isinstance(value, (list, tuple)):
        arr = np.asarray(value)
        if arr.dtype != object:
            return Aval("array", arr.shape, arr.dtype)
    if is_function_argument(value):
        return Aval("static", None, None, value, True)
    return unknown_aval()


def is_function_argument(value):
    """An argument that is a function, a class, a bound method or an object of the user's
    (act=np.tanh, a def of the user's, a dtype, model.forward, a model): known when compiling
    by what it is, as a global is, so code compiled for it holds for that very object only
    (the cache and the fast path compare it by identity). An object's attributes, which it
    reads, are guarded as a global's are (frontend/lower.py)."""
    return isinstance(value, (types.FunctionType, types.BuiltinFunctionType, np.ufunc, type, types.MethodType)) \
        or _user_object(value)


def _user_object(value):
    """An object of a class of the user's (a model passed to loss(model, x)): known when compiling
    by what it is, its attributes read and guarded as a global's are (frontend/lower.py), so
    rebinding model.W compiles again and an array attribute's elements are read when the
    derivative runs. Containers and numbers are not: a pytree's leaves are its arguments."""
    module = (type(value).__module__ or "").split(".")[0]
    return module not in ("builtins", "numpy", "srcdiff", "scipy") and not isinstance(
        value, (tuple, list, dict, np.ndarray, np.generic, numbers.Number, str, bytes)) and not (
        hasattr(value, "__array__") or hasattr(value, "__array_interface__"))  # an array of another library
