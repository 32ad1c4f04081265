"""What a compiled derivative assumed about the world outside the function, checked at
every call (cache.py, dispatch.py): a guard is (holder, key, value), and holds while

- holder is a namespace (a module's globals, an object's or a class's attributes, a dict
  the function read an entry of): holder.get(key) is value;
- key is None: holder is a closure cell, and its contents are value;
- key is a Default: holder is a function, and the default of its parameter key.name is
  value (a parameter the call left out, read when compiling);
- key is CONTENTS: holder is a list or dict from outside that the function read, and
  value is a snapshot of what it held (its items, or keys and values, compared with `is`):
  a list appended to, or a dict entry set, between calls is noticed.

Arrays are not snapshotted: the emitted code reads them by reference, so their elements
are read when the derivative runs."""

MISSING = object()  # what a namespace holds for a name it does not hold
CONTENTS = object()  # the key of a guard on a container's contents


class Default:
    """The key of a guard on a function's default for the parameter `name`."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __eq__(self, other):
        return isinstance(other, Default) and other.name == self.name

    def __hash__(self):
        return hash(("Default", self.name))

    def __repr__(self):
        return f"Default({self.name!r})"


def default_of(fun, name):
    """fun's default value for its parameter name, as a call leaving it out binds it; MISSING if none."""
    kw = getattr(fun, "__kwdefaults__", None) or {}
    if name in kw:
        return kw[name]
    code, defaults = fun.__code__, getattr(fun, "__defaults__", None) or ()
    positional = code.co_varnames[:code.co_argcount]
    if name in positional:
        i = positional.index(name) - (len(positional) - len(defaults))
        if i >= 0:
            return defaults[i]
    return MISSING


def snapshot(container):
    """What a list or dict holds, for a CONTENTS guard."""
    if isinstance(container, dict):
        return tuple(container.items())
    return tuple(container)


def holds(holder, key, value):
    if key is None:
        try:
            return holder.cell_contents is value
        except ValueError:  # an emptied cell
            return False
    if isinstance(key, Default):
        return default_of(holder, key.name) is value
    if key is CONTENTS:
        now = holder.items() if isinstance(holder, dict) else holder
        if len(now) != len(value):
            return False
        if isinstance(holder, dict):
            return all(k1 == k2 and v1 is v2 for (k1, v1), (k2, v2) in zip(now, value))
        return all(a is b for a, b in zip(now, value))
    return holder.get(key, MISSING) is value
