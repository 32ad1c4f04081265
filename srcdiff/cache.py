"""Compiled derivatives, keyed by code object, options and argument kinds.

An entry remembers what it read from outside the function when compiling, as guards
(guards.py), and a lookup checks them, so rebinding a helper or a constant is noticed and
never serves a stale derivative.

What the function captured itself (its closure cells, its defaults, the globals of its own
module) is keyed by kind, not by object, so that a gradient made again and again in a loop,
`srcdiff.grad(lambda p: loss(p, X, y))(params)`, finds the derivative compiled for the
first lambda: the same code, captured values of the same kinds. Such an entry keeps no
captured value alive. It records, per captured value the lowering read (a *place*: a cell,
a default, a global), what the code assumes of it:

- an array: its type, shape and dtype. The emitted code reads it by name, and the entry is
  bound (`bind`) to the function it is called for, with that function's array under that
  name, so a new X of the same shape is read when called, without compiling again;
- a number, a string, None: its type and value (they are constants in the emitted code);
- anything else (a function, an object, a list): that very object, held by a weak
  reference where it allows one.

An entry bound to a function holds that function's captured values, and guards on the
function's own cells, defaults and globals; it lives as long as what asked for it (a
gradient object), not in the cache. The cache holds at most MAX_ENTRIES entries, the least
recently used dropped first."""
import threading
import weakref
from collections import OrderedDict

import numpy as np

from .errors import NonDifferentiableError
from .guards import Default, MISSING, default_of, holds
from .ir import BY_VALUE, aval_of_argument
from .source import unwrap

MAX_ENTRIES = 256  # compiled derivatives kept; the least recently used is dropped first

_entries = OrderedDict()
_by_value = OrderedDict()  # keys whose integer arguments are compiled for by value (get_or_compile)
_lock = threading.RLock()


def key_of(fun, options, arg_key):
    code = getattr(fun, "__code__", None)
    if code is None:  # a function srcdiff made (grad of grad): the object itself, kept alive by the key
        return (fun, options, arg_key)
    closure = tuple(_kind_of_cell(c) for c in (getattr(fun, "__closure__", None) or ()))
    owner = Same(getattr(fun, "__self__", None))  # model.loss: one derivative per model
    # two functions of one code can differ in their defaults, which a call may leave out
    defaults = (tuple(map(_kind, getattr(fun, "__defaults__", None) or ())),
                tuple((k, _kind(v)) for k, v in (getattr(fun, "__kwdefaults__", None) or {}).items()))
    return (code, id(fun.__globals__), closure, owner, defaults, options, arg_key)


def _kind(value):
    if type(value) is np.ndarray:
        return ("array", value.shape, value.dtype.str)
    return type(value)


def _kind_of_cell(cell):
    try:
        return _kind(cell.cell_contents)
    except ValueError:  # an empty cell: a name the enclosing function has not bound yet
        return "empty"


class Same:
    """An object in a key by identity (kept alive, so its id stays its own), whatever its own
    equality and hashing are."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __hash__(self):
        return id(self.obj)

    def __eq__(self, other):
        return isinstance(other, Same) and other.obj is self.obj


def valid(guards):
    return all(holds(holder, key, value) for holder, key, value in guards)


def get(key, fun=None):
    """The entry for key, bound to fun (see `bind`), if what it assumed still holds; else None."""
    entry = _entries.get(key)
    if entry is None or not valid(entry.guards):
        return None
    bound = bind(entry, fun)
    if bound is not None:
        with _lock:
            if key in _entries:
                _entries.move_to_end(key)
    return bound


def get_or_compile(key, compile_fn, fun=None, leaves=None):
    """The entry for key, bound to fun, compiling it (and making it portable to other
    functions of fun's code, see the module's doc) if there is none that holds.

    With leaves (the arguments' leaves), compile_fn takes their avals: an integer argument's
    kind first, so that one compilation serves every integer; where the code needs one's
    value when compiling (np.zeros(int(n)), np.arange(d - 1), a branch on n that sets a
    shape), that compilation is refused, and the integers are compiled for by value instead,
    under a key holding their values (`by_value`). Which keys need values is remembered, so
    their next call compiles, or finds, the entry for its values directly."""
    if leaves is None:
        return _get_or_compile(key, compile_fn, fun)
    ints = tuple(i for i, a in enumerate(leaves) if type(a) in BY_VALUE)

    def by_kind():
        return compile_fn(tuple(map(aval_of_argument, leaves)))

    if not ints:
        return _get_or_compile(key, by_kind, fun)

    def by_value():
        compiled = compile_fn(tuple(aval_of_argument(a, i in ints) for i, a in enumerate(leaves)))
        compiled.by_value = tuple((i, leaves[i]) for i in ints)
        return compiled

    valued = ("by value", key, tuple(leaves[i] for i in ints))
    if key in _by_value:
        return _get_or_compile(valued, by_value, fun)
    try:
        return _get_or_compile(key, by_kind, fun)
    except NonDifferentiableError:
        entry = _get_or_compile(valued, by_value, fun)
        with _lock:
            _by_value[key] = True
            while len(_by_value) > MAX_ENTRIES:
                _by_value.popitem(last=False)
        return entry


def same_values(entry, leaves):
    """Whether leaves have the values entry was compiled for (those it compiled for by value)."""
    return all(type(leaves[i]) is type(v) and leaves[i] == v for i, v in getattr(entry, "by_value", ()))


def _get_or_compile(key, compile_fn, fun):
    entry = get(key, fun)
    if entry is not None:
        return entry
    with _lock:
        entry = get(key, fun)
        if entry is None:
            compiled = compile_fn()
            entry = portable(compiled, fun)
            _entries[key] = entry
            _entries.move_to_end(key)
            while len(_entries) > MAX_ENTRIES:
                _entries.popitem(last=False)
            entry = bind(entry, fun)
    return entry


def clear():
    with _lock:
        _entries.clear()
        _by_value.clear()


def size():
    """How many compiled derivatives the cache holds."""
    return len(_entries)


# -- captured values ---------------------------------------------------------------


def _own(fun):
    fun = unwrap(fun)
    return getattr(fun, "__func__", fun)


def _places_of(fun):
    """place -> how to find it in a guard: the function's own cells, defaults and module."""
    own = _own(fun)
    cells = {id(c): i for i, c in enumerate(getattr(own, "__closure__", None) or ())}
    return own, cells


def _place_of(guard, own, cells):
    holder, key, _ = guard
    if key is None and id(holder) in cells:
        return ("cell", cells[id(holder)])
    if isinstance(key, Default) and holder is own:
        return ("default", key.name)
    if isinstance(key, str) and holder is getattr(own, "__globals__", None):
        return ("global", key)
    return None


def _read(own, place):
    kind, where = place
    if kind == "cell":
        return own.__closure__[where].cell_contents  # ValueError when emptied
    if kind == "default":
        return default_of(own, where)
    return own.__globals__.get(where, MISSING)


def _guard_at(own, place, value):
    """The guard, on this function's own cell, default or module, that value is still there."""
    kind, where = place
    if kind == "cell":
        return (own.__closure__[where], None, value)
    if kind == "default":
        return (own, Default(where), value)
    return (own.__globals__, where, value)


_NUMBERS = (bool, int, float, complex, str, type(None), np.generic)


def _expectation(value, read_when_called):
    if read_when_called:
        return ("array", value.shape, value.dtype)
    if isinstance(value, _NUMBERS) and not isinstance(value, np.ndarray):
        return ("equal", type(value), value)
    try:
        return ("same", weakref.ref(value))
    except TypeError:
        return ("same", lambda: value)  # a list, a tuple: held, within MAX_ENTRIES


def _meets(expectation, value):
    kind = expectation[0]
    if kind == "array":
        return type(value) is np.ndarray and value.shape == expectation[1] and value.dtype == expectation[2]
    if kind == "equal":
        return type(value) is expectation[1] and bool(value == expectation[2])
    return expectation[1]() is value


def portable(compiled, fun):
    """compiled as the cache keeps it: the guards on fun's own cells, defaults and module
    made expectations on what is at those places (compiled.places), the arrays read there
    left out of its module (compiled.slots: the names `bind` gives them), so that it serves
    any function of fun's code whose captured values are alike, and keeps none of them."""
    compiled.places, compiled.slots = (), {}
    if fun is None or getattr(unwrap(fun), "__code__", None) is None:
        return compiled
    own, cells = _places_of(fun)
    mine, rest = {}, []
    for guard in compiled.guards:
        place = _place_of(guard, own, cells)
        if place is None:
            rest.append(guard)
        else:
            mine.setdefault(place, guard[2])
    if not mine:
        return compiled
    # an array is read when called where the emitted code names it, and only if its place is
    # the one way the code reached it (not also as an attribute, an item of a list or tuple
    # from outside, or at another place): the name then stands for that place alone
    seen = {}
    for _, _, value in rest:
        _count(value, seen)
    for value in mine.values():
        _count(value, seen)
    constants = compiled.emitted.constants
    slots = {}
    for place, value in mine.items():
        if type(value) is np.ndarray and seen[id(value)] == 1:
            for name, c in constants.items():
                if c is value:
                    slots[name] = place
    slotted = set(slots.values())
    emptied = {name: None for name in slots}
    entry = compiled.rebound(emptied) if emptied else compiled
    entry.guards = rest
    entry.places = tuple((place, _expectation(value, place in slotted)) for place, value in mine.items())
    entry.slots = slots
    return entry


def _count(value, seen, depth=0):
    """How often each object occurs in value, inside lists, tuples and dicts (a CONTENTS
    guard's snapshot too) to a few levels."""
    seen[id(value)] = seen.get(id(value), 0) + 1
    if depth < 4 and isinstance(value, (list, tuple, dict)):
        for item in (value.values() if isinstance(value, dict) else value):
            _count(item, seen, depth + 1)


def bind(entry, fun):
    """entry for fun: None where fun's captured values are not what entry assumes; else entry
    itself if it captured nothing, or a copy guarding fun's own cells, defaults and globals,
    its module naming fun's arrays."""
    places = getattr(entry, "places", ())
    if not places:
        return entry
    own = _own(fun)
    values = {}
    for place, expectation in places:
        try:
            value = _read(own, place)
        except (ValueError, IndexError, AttributeError, TypeError):
            return None
        if not _meets(expectation, value):
            return None
        values[place] = value
    bound = entry.rebound({name: values[place] for name, place in entry.slots.items()}) if entry.slots else \
        _copy(entry)
    bound.guards = list(entry.guards) + [_guard_at(own, place, value) for place, value in values.items()]
    bound.places, bound.slots = (), {}
    return bound


def _copy(entry):
    import copy

    return copy.copy(entry)
