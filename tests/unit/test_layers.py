"""The layers only point down: every import in srcdiff/, inside functions too, goes to a
lower layer or stays in its own package (DESIGN.md, "Layers that only point down")."""
import ast
import os

import srcdiff

PACKAGE = os.path.dirname(srcdiff.__file__)

# lowest first; a module may import from a lower rank, or from its own package
RANKS = {
    "errors": 0,
    "guards": 1, "source": 1, "pytree": 1, "naming": 1, "testing": 1,  # helpers below every layer
    "ir": 2,
    "prims": 3,
    "frontend": 4, "transforms": 4, "codegen": 4,  # side by side: none imports another
    "compiler": 5, "cache": 5, "dispatch": 5,
    "arguments": 6,
    "api": 7, "vectorize": 7,
    "modes": 8,
    "cli": 9,
    "__main__": 10, "__init__": 10,
}


def _layer(parts):
    """The layer of srcdiff.<parts...>: its package (ir, prims, ...) or its module."""
    return parts[0] if parts else "__init__"


def _imports():
    """(importing layer, imported layer, file, line) for every import of a srcdiff module."""
    for folder, _, files in os.walk(PACKAGE):
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, PACKAGE)[:-3].split(os.sep)
            package = rel[:-1]  # where its relative imports start
            here = _layer(rel if rel != ["__init__"] else [])
            tree = ast.parse(open(path).read(), path)
            for node in ast.walk(tree):
                targets = []
                if isinstance(node, ast.ImportFrom) and node.level:
                    base = package[:len(package) - node.level + 1] if node.level > 1 else package
                    module = base + (node.module.split(".") if node.module else [])
                    targets = [module] if node.module else [module + [a.name] for a in node.names]
                elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("srcdiff"):
                    targets = [node.module.split(".")[1:]]
                elif isinstance(node, ast.Import):
                    targets = [a.name.split(".")[1:] for a in node.names if a.name.startswith("srcdiff")]
                for target in targets:
                    yield here, _layer(target), os.path.relpath(path, PACKAGE), node.lineno


def test_every_module_has_a_layer():
    layers = {here for here, _, _, _ in _imports()} | {there for _, there, _, _ in _imports()}
    assert layers <= set(RANKS), sorted(layers - set(RANKS))


def test_imports_only_point_down():
    upward = [f"{where}:{line}: {here} imports {there}" for here, there, where, line in _imports()
              if here != there and RANKS[there] >= RANKS[here]]
    assert not upward, "\n".join(sorted(upward))
