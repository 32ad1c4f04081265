"""Compiled derivatives, keyed by code object, options and argument kinds.

An entry remembers the globals and closure cells it resolved when compiling;
a lookup checks them with `is`, so rebinding a helper or a constant is noticed
and never serves a stale derivative."""
import threading

_MISSING = object()
_entries = {}
_lock = threading.Lock()


def key_of(fun, options, arg_key):
    code = getattr(fun, "__code__", None)
    if code is None:  # a function srcdiff made (grad of grad): the object itself, kept alive by the key
        return (fun, options, arg_key)
    closure = tuple(id(c) for c in (getattr(fun, "__closure__", None) or ()))
    # two functions of one code can differ in their defaults, which a call may leave out
    defaults = (_Same(getattr(fun, "__defaults__", None)), _Same(getattr(fun, "__kwdefaults__", None)))
    return (code, id(fun.__globals__), closure, defaults, options, arg_key)


class _Same:
    """A key part equal only to the very same object, which it keeps alive (so its id is
    not reused while the entry lives)."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __hash__(self):
        return id(self.obj)

    def __eq__(self, other):
        return isinstance(other, _Same) and other.obj is self.obj


def valid(guards):
    for namespace, name, value in guards:
        if name is None:  # a closure cell
            try:
                if namespace.cell_contents is not value:
                    return False
            except ValueError:
                return False
        elif namespace.get(name, _MISSING) is not value:
            return False
    return True


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
