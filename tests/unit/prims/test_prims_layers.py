"""The prims modules are layered: each imports only modules below it in ORDER, and only at its
top, so no import hides in a function to dodge a cycle (DESIGN.md, "Layers that only point
down"). A module may still reach a higher one's binder through the tables (T's operators
call np.add's, core.array_operand np.asarray's): that is a call, not an import."""
import ast
import os

import srcdiff.prims

PRIMS = os.path.dirname(srcdiff.prims.__file__)

# lowest first
ORDER = [
    "syntax",  # how values are spelled in emitted code
    "helpers",  # the functions the emitted module carries
    "core",  # the base: Primitive, the tables, the builder, T, wrap, and stacking a list operand
    "batching",  # the vocabulary of batching rules (vmap): the rules most families share
    "shapes",  # abstract evaluation
    "tuples",  # shape tuples (the tuple primitive, x.shape), which every family takes or makes
    "broadcasting",
    "creation",
    "tapes",  # tapes, and the zeros and sums of lists (a tape holds lists, a list holds tapes)
    "lists",
    "reductions",
    "shaping",
    "indexing",
    "joining",
    "elementwise",
    "linalg",
    "scans",
    "structural",  # flips, rolls, axis permutations: indexing and transposes
    "contractions",  # einsum, tensordot, kron, vdot, multi_dot
    "statistics",  # average, ptp, the nan reductions, sort, median, percentile
    "matrices",  # numpy.linalg: solves, factorisations, norms
    "fourier",  # numpy.fft
    "discrete",  # what has no derivative: argmax, nonzero, unique, isclose, ...
    "draws",  # random numbers drawn in the forward part: constants of the call
    "scipy_special",  # SciPy's primitives, when SciPy imports
    "scipy_stats",
    "scipy_linalg",
    "scipy_signal",  # scipy.signal and scipy.integrate
    "control",
    "effects",  # print, assert, warnings.warn: kept, in place, in the forward part
    "custom",
    "catalog",  # the list of every callable grammar.md shows, read from the tables
    "__init__",  # the public names, and every family imported so that it registers
]


def _source(module):
    return open(os.path.join(PRIMS, module + ".py")).read()


def _modules():
    return sorted(name[:-3] for name in os.listdir(PRIMS) if name.endswith(".py"))


def _imports(source):
    """(imported prims module or None, line, at the top?) for every import statement, inside
    functions too; None for one of another package (numpy, ..ir)."""
    tree = ast.parse(source)
    top = {id(node) for node in tree.body}
    for node in tree.body:  # try: import scipy / except ImportError: an optional extra, at the top too
        if isinstance(node, ast.Try):
            top |= {id(n) for n in node.body + [s for h in node.handlers for s in h.body]}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            names = [node.module.split(".")[0]] if node.module else [a.name for a in node.names]
            for name in names:
                yield name, node.lineno, id(node) in top
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            yield None, node.lineno, id(node) in top


def _upward(module, source):
    rank = {name: i for i, name in enumerate(ORDER)}
    return [f"{module}.py:{line}: {module} imports {there}" for there, line, _ in _imports(source)
            if there is not None and rank[there] >= rank[module]]


def _inside_functions(module, source):
    return [f"{module}.py:{line}" for _, line, at_top in _imports(source) if not at_top]


def test_every_module_has_a_place():
    assert sorted(ORDER) == _modules()


def test_imports_only_point_down():
    upward = [found for module in _modules() for found in _upward(module, _source(module))]
    assert not upward, "\n".join(upward)


def test_no_import_inside_a_function():
    inside = [found for module in _modules() for found in _inside_functions(module, _source(module))]
    assert not inside, "\n".join(inside)


def test_an_import_hidden_in_a_function_is_seen():
    """What the layering removed: indexing importing reductions inside a rule."""
    source = "from .core import T\n\n\ndef rule(g):\n    from .reductions import SUM\n    from ..ir import COND\n"
    assert _upward("indexing", source) == []
    assert _upward("broadcasting", source) == ["broadcasting.py:5: broadcasting imports reductions"]
    assert _inside_functions("indexing", source) == ["indexing.py:5", "indexing.py:6"]
