"""Trees of arrays: arguments that are dicts, lists or tuples of arrays (a network's
parameters), and what a function returns (a tuple of results, `(loss, aux)`). A
compiled function takes and returns the leaves one by one; a tree's structure says how
to put them back together, and is the one representation every layer uses for both.

A structure is hashable (it is part of the cache key) and is either
- an int: a leaf, numbered by its position among the leaves, from 0; or
- a node `(kind, aux, children)`: a container of one of the NODES' kinds, what it needs
  besides its children (a dict's keys), and the children's structures.

Leaves are numbered rather than taken in order so that one structure can place them
anywhere: value_and_grad with has_aux returns ((value, aux), gradients) from results
ordered value, gradients, aux.

A new kind of container is one entry in NODES: dicts, namedtuples, tuples, lists and
dataclasses are, and a user's own class once given to register_pytree_node."""
import dataclasses
from typing import Callable, NamedTuple


class Node(NamedTuple):
    """How a kind of container comes apart and goes back together."""
    test: Callable  # object -> whether it is a container of this kind
    parts: Callable  # container -> (aux, children)
    build: Callable  # (aux, list of children) -> container
    keys: Callable  # (aux, number of children) -> the key or index of each child, for paths


def _is_namedtuple(t):
    return isinstance(t, tuple) and isinstance(getattr(type(t), "_fields", None), tuple)


def _is_dataclass(obj):
    return dataclasses.is_dataclass(obj) and not isinstance(obj, type)


def _dataclass_parts(obj):
    names = tuple(f.name for f in dataclasses.fields(obj))
    return (type(obj), names), tuple(getattr(obj, n) for n in names)


def _dataclass_build(aux, values):
    """A dataclass of these field values, as JAX rebuilds one: without running __init__ or
    __post_init__ (which may check what a gradient or a traced value is not), frozen ones too."""
    cls, names = aux
    obj = object.__new__(cls)
    for name, value in zip(names, values):
        object.__setattr__(obj, name, value)
    return obj


# looked up in order, by each kind's test: a kind whose type subclasses another's (a namedtuple's) comes first
NODES = {
    "dict": Node(lambda t: isinstance(t, dict), lambda d: (tuple(d), tuple(d.values())),
                 lambda keys, values: dict(zip(keys, values)), lambda keys, n: keys),
    "namedtuple": Node(_is_namedtuple, lambda t: (type(t), tuple(t)), lambda cls, values: cls(*values),
                       lambda cls, n: cls._fields),
    "tuple": Node(lambda t: isinstance(t, tuple), lambda t: (None, tuple(t)), lambda _, values: tuple(values),
                  lambda _, n: range(n)),
    "list": Node(lambda t: isinstance(t, list), lambda xs: (None, tuple(xs)), lambda _, values: list(values),
                 lambda _, n: range(n)),
    "dataclass": Node(_is_dataclass, _dataclass_parts, _dataclass_build, lambda aux, n: aux[1]),
}


def register_pytree_node(nodetype, flatten_func, unflatten_func):
    """Make objects of class `nodetype` containers whose children are differentiated and come
    back in a `nodetype`, as JAX's function of that name does: flatten_func(obj) returns
    (children, aux_data), an iterable of children and what else rebuilds obj (hashable: it is
    part of the cache key); unflatten_func(aux_data, children) rebuilds it.

    >>> srcdiff.register_pytree_node(Params, lambda p: ((p.W, p.b), None),   # doctest: +SKIP
    ...                              lambda aux, children: Params(*children))
    """
    if not isinstance(nodetype, type):
        raise TypeError(f"register_pytree_node takes a class, not {type(nodetype).__name__}")
    name = f"{nodetype.__module__}.{nodetype.__qualname__}"

    def parts(obj):
        children, aux = flatten_func(obj)
        return aux, tuple(children)

    # first, so that a registered subclass of a tuple or a dataclass is taken as registered
    ordered = {name: Node(lambda t: type(t) is nodetype, parts, unflatten_func, lambda aux, n: range(n)),
               **{k: v for k, v in NODES.items() if k != name}}
    NODES.clear()
    NODES.update(ordered)
    NODES_IN_ORDER[:] = list(NODES)


NODES_IN_ORDER = list(NODES)


def is_node(value):
    """Whether value is a container of one of the NODES' kinds."""
    return any(NODES[k].test(value) for k in NODES_IN_ORDER)


def children_of(value):
    """A container's children (None for a leaf)."""
    kind = next((k for k in NODES_IN_ORDER if NODES[k].test(value)), None)
    return None if kind is None else NODES[kind].parts(value)[1]


LEAF = 0  # the structure of a lone leaf (an array argument, a single result)


def flatten(tree, kinds=None):
    """(leaves, structure): tree's leaves in order and where they go. Only containers of
    the given kinds (by default every kind in NODES) are looked into; anything else is a leaf."""
    kinds = NODES_IN_ORDER if kinds is None else kinds
    leaves = []

    def walk(t):
        kind = next((k for k in kinds if NODES[k].test(t)), None)
        if kind is None:
            leaves.append(t)
            return len(leaves) - 1
        aux, children = NODES[kind].parts(t)
        return node(kind, [walk(c) for c in children], aux)

    structure = walk(tree)
    return leaves, structure


def node(kind, children, aux=None):
    """The structure of a container of `kind` with these children's structures."""
    return (kind, aux, tuple(children))


def tuple_of(*structures):
    """The structure of a tuple of these: a transformation's results, (value, gradient)."""
    return node("tuple", structures)


def is_leaf(structure):
    return isinstance(structure, int)


def kind(structure):
    """A node's kind ("dict", "tuple", "list", "namedtuple", "dataclass", a registered class's name)."""
    return structure[0]


def children(structure):
    """A node's children's structures."""
    return structure[2]


def _fold(structure, leaf, combine):
    """The one walk over a structure: leaf(number) at each leaf, combine(kind, aux, values)
    at each node, children first."""
    if is_leaf(structure):
        return leaf(structure)
    kind_, aux, subs = structure
    return combine(kind_, aux, [_fold(s, leaf, combine) for s in subs])


def unflatten(structure, leaves):
    """The tree of the given structure holding leaves[i] at leaf i."""
    return _fold(structure, leaves.__getitem__, lambda kind_, aux, values: NODES[kind_].build(aux, values))


def map_leaves(structure, f):
    """The structure with leaf i replaced by the structure f(i): a leaf renumbered, or a
    node (a Jacobian per argument at each output)."""
    return _fold(structure, f, lambda kind_, aux, subs: node(kind_, subs, aux))


def shifted(structure, by):
    """The structure with its leaves numbered `by` further on: a part of the results that
    starts after others."""
    return map_leaves(structure, lambda i: i + by)


def count(structure):
    """How many leaves."""
    return _fold(structure, lambda i: 1, lambda kind_, aux, counts: sum(counts))


def paths(structure):
    """The path (keys and indices) to each leaf, in the leaves' order."""
    found = _fold(structure, lambda i: [(i, ())],
                  lambda kind_, aux, subs: [(i, (k,) + p) for k, sub in zip(NODES[kind_].keys(aux, len(subs)), subs)
                                            for i, p in sub])
    return [p for _, p in sorted(found, key=lambda item: item[0])]


def kinds(structure):
    """The kinds of node in a structure."""
    return _fold(structure, lambda i: set(), lambda kind_, aux, subs: set().union({kind_}, *subs))
