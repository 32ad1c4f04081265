"""Arguments that are dicts, lists or tuples of arrays (a network's parameters): the
compiled function takes their leaves one by one, and gradients come back in the
same structure."""


def flatten(tree, leaves):
    """Append tree's leaves to `leaves`; return its structure (hashable, for the cache key)."""
    if isinstance(tree, dict):
        return ("dict", tuple(tree), tuple(flatten(tree[k], leaves) for k in tree))
    if isinstance(tree, (list, tuple)):
        return (type(tree).__name__, None, tuple(flatten(v, leaves) for v in tree))
    leaves.append(tree)
    return "leaf"


def unflatten(structure, leaves):
    """Rebuild a structure from an iterator of leaves."""
    if structure == "leaf":
        return next(leaves)
    kind, keys, subs = structure
    values = [unflatten(s, leaves) for s in subs]
    if kind == "dict":
        return dict(zip(keys, values))
    return tuple(values) if kind == "tuple" else list(values)


def paths(structure, prefix=()):
    """The path (keys and indices) to each leaf, in order."""
    if structure == "leaf":
        return [prefix]
    kind, keys, subs = structure
    names = keys if kind == "dict" else range(len(subs))
    return [p for k, s in zip(names, subs) for p in paths(s, prefix + (k,))]


def count(structure):
    return len(paths(structure))
