"""Compiled derivatives, keyed by code object, options and argument kinds.

An entry remembers the globals and closure cells it resolved when compiling;
a lookup checks them with `is`, so rebinding a helper or a constant is noticed
and never serves a stale derivative."""
import threading

from .guards import holds

_entries = {}
_lock = threading.Lock()


def key_of(fun, options, arg_key):
    code = getattr(fun, "__code__", None)
    if code is None:  # a function srcdiff made (grad of grad): the object itself, kept alive by the key
        return (fun, options, arg_key)
    closure = tuple(id(c) for c in (getattr(fun, "__closure__", None) or ()))
    owner = Same(getattr(fun, "__self__", None))  # model.loss: one derivative per model
    # two functions of one code can differ in their defaults, which a call may leave out
    defaults = (Same(getattr(fun, "__defaults__", None)), Same(getattr(fun, "__kwdefaults__", None)))
    return (code, id(fun.__globals__), closure, owner, defaults, options, arg_key)


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


def get(key):
    entry = _entries.get(key)
    if entry is not None and valid(entry.guards):
        return entry
    return None


def get_or_compile(key, compile_fn):
    entry = get(key)
    if entry is not None:
        return entry
    with _lock:
        entry = get(key)
        if entry is None:
            entry = compile_fn()
            _entries[key] = entry
    return entry


def clear():
    _entries.clear()
