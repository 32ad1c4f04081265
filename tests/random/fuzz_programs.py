"""Random small programs for the differential tester (tests/random/test_differential.py).

`programs()` is a hypothesis strategy drawing a `Program`: the source of a module
defining helpers and `def f(x, y):` over a float array x of shape (3,) and a Python
float y, built from

- assignments, if/else on values, `for i in range(k)` loops (also nested), bounded
  `while` loops, calls to the helpers `h` (elementwise), `h2` (returns a tuple, which
  is unpacked or indexed), `hw` (writes into a copy of its argument) and `r` (a
  recursion of constant depth `r(u, 3)`);
- item assignment: `z = x.copy()` / `np.zeros(3)` / `np.ones(3)`, then `z[i] = e`,
  `z[1:] = e`, `z[i] += e`, `z[i:] *= e`, inside and outside loops, into arrays of the
  function's own, into aliases of them and into the argument `x` itself;
- indexing and slicing reads (`x[0]`, `x[1:]`, `x[::-1]`, `z[i]`, `e[::2]`);
- lists: built with `append` in a loop, then `np.stack(lst)`, `np.array(lst)`,
  `lst[-1]`, `len(lst)`, `for v in lst`, `for i in range(len(lst))`; list literals
  `np.array([a, b, c])`, `np.stack([a, b])`;
- tuples: `a, b = h2(u, v)`, `h2(u, v)[1]`, `a, b = b, a`-style tuple assignment;
- more operations: `np.sum`/`np.mean` with `axis`, `np.max`, `np.maximum`,
  `np.minimum`, builtin `max`/`min`, `np.where` on a comparison, `abs`, divisions by
  values bounded away from zero, `e ** 2`, `np.dot`, `np.outer`, broadcasting of
  scalars against arrays, array methods (`.sum()`, `.mean()`).

Kinks are marked in the generated text by calls the plain rendering rewrites:
`_cmp(a, t)` is `a > t` (in `if` and in `np.where`), `_max`/`_min` are
`np.maximum`/`np.minimum`, `_maxb`/`_minb` builtin `max`/`min`, `_abs`/`_absb`
`np.abs`/`abs`, `_amax` `np.max`. The "instrumented" rendering keeps the calls, which
record how far each evaluation is from its kink (|a - t|, |a - b|, |a|, the gap
between the two largest elements), so a test can skip inputs that sit too close to
a kink for central differences to be meaningful.

`KNOWN_BUGS` lists constructs that srcdiff currently gets wrong (each with a strict
xfail test in test_differential.py), which are not generated while they are open.
None is open now: the twelve the generator found are fixed and kept as tests.
"""
import ast
import hashlib
import os
import re

import numpy as np
from hypothesis import strategies as st

from tests.numeric import import_file

HELPERS = '''\
def h(u):
    return np.sin(u) * 0.5 + u


def h2(u, v):
    return u * v + 0.3, np.cos(u) - v


def hw(u):
    w = u.copy()
    w[1:] = w[1:] * 0.5 + w[:-1]
    return w


def r(u, n):
    return u if n == 0 else r(np.sin(u) * 0.9 + u * 0.1, n - 1)
'''
CONSTANTS = ["0.5", "1.3", "-0.7", "2.0", "0.25"]
THRESHOLDS = ["0.3", "0.0", "-0.2", "0.7"]
UNARY = ["sin", "cos", "tanh", "exp"]

KNOWN_BUGS = set()  # none open; a bug found later goes here (by name) until it is fixed

# The plain rendering of the kink markers.
_PLAIN_CALLS = {"_max": "np.maximum", "_min": "np.minimum", "_abs": "np.abs", "_amax": "np.max",
                "_maxb": "max", "_minb": "min", "_absb": "abs"}


class _Plain(ast.NodeTransformer):
    def __init__(self, markers):
        self.markers = markers

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, ast.Name):
            if node.func.id == "_cmp":
                return ast.Compare(node.args[0], [ast.Gt()], [node.args[1]])
            if node.func.id in self.markers:
                node.func = ast.parse(self.markers[node.func.id], mode="eval").body
        return node


def plain(source, markers=_PLAIN_CALLS):
    """The source with the kink markers (name -> what it stands for) rewritten."""
    return ast.unparse(ast.fix_missing_locations(_Plain(markers).visit(ast.parse(source)))) + "\n"


def _recorders(margins):
    """The instrumented module's marker functions: each appends its distance to a kink."""
    def gap(a):
        return float(np.min(np.abs(np.asarray(a, dtype=float)))) if np.size(a) else np.inf

    def _cmp(lhs, threshold):
        margins.append(gap(np.asarray(lhs) - threshold))
        return lhs > threshold

    def _max(a, b):
        margins.append(gap(np.asarray(a) - np.asarray(b)))
        return np.maximum(a, b)

    def _min(a, b):
        margins.append(gap(np.asarray(a) - np.asarray(b)))
        return np.minimum(a, b)

    def _maxb(a, b):
        margins.append(gap(a - b))
        return max(a, b)

    def _minb(a, b):
        margins.append(gap(a - b))
        return min(a, b)

    def _abs(a):
        margins.append(gap(a))
        return np.abs(a)

    def _absb(a):
        margins.append(gap(a))
        return abs(a)

    def _amax(a):
        s = np.sort(np.ravel(a))
        margins.append(float(s[-1] - s[-2]) if s.size > 1 else np.inf)
        return np.max(a)

    return dict(_cmp=_cmp, _max=_max, _min=_min, _maxb=_maxb, _minb=_minb, _abs=_abs, _absb=_absb, _amax=_amax)


class Program:
    def __init__(self, statements, ret):
        self.statements = statements
        self.ret = ret
        self.loop_lists = any(s[0] == "line" and ".append(" in s[1] for s in _walk(statements))

    @property
    def check_hessian(self):
        """False where check (4) would only find the known bug "hessian_of_lists"."""
        return not (self.loop_lists and "hessian_of_lists" in KNOWN_BUGS)

    def render(self, instrument=False):
        lines = ["import numpy as np", "", "", HELPERS, ""]
        lines.append("def f(x, y):")
        _render(self.statements, 1, lines)
        lines.append("    " + self.ret)
        src = "\n".join(lines) + "\n"
        return src if instrument else plain(src)

    @property
    def source(self):
        return self.render()

    def f_source(self):
        """The source of f alone (the helpers are always HELPERS)."""
        return self.source[self.source.index("def f(x, y):"):]

    def load(self, directory):
        """(f, f_instrumented, margins): f imported from a real file; f_instrumented
        computes the same value and appends the distance of each kink evaluated to margins."""
        src = self.source
        digest = hashlib.sha1(src.encode()).hexdigest()[:16]
        f = _import(directory, f"fuzz_{digest}", src).f
        mod = _import(directory, f"fuzz_{digest}_instr", self.render(instrument=True))
        margins = []
        for name, fn in _recorders(margins).items():
            setattr(mod, name, fn)
        return f, mod.f, margins

    def __repr__(self):
        return "Program:\n" + self.f_source()


def _import(directory, name, src):
    return import_file(os.path.join(directory, name + ".py"), src)


# Statements are tuples:
#   ("assign", target, expr)            target may be "a, b" (tuple assignment)
#   ("line", text)                      any simple statement (item assignment, append, ...)
#   ("if", lhs, thr, then, other)
#   ("for", var, range_args, body)      for var in range(range_args)
#   ("forin", var, iterable, body)      for var in iterable
#   ("while", var, k, body)             var = 0; while var < k: body; var = var + 1
def _render(statements, depth, lines):
    pad = "    " * depth
    for s in statements:
        kind = s[0]
        if kind == "assign":
            lines.append(f"{pad}{s[1]} = {s[2]}")
        elif kind == "line":
            lines.append(f"{pad}{s[1]}")
        elif kind == "if":
            _, lhs, thr, then, other = s
            lines.append(f"{pad}if _cmp({lhs}, {thr}):")
            _render(then or [("line", "pass")], depth + 1, lines)
            lines.append(f"{pad}else:")
            _render(other or [("line", "pass")], depth + 1, lines)
        elif kind == "elif":  # ("elif", [(condition text, body), ...], else body or None)
            for n, (cond, body) in enumerate(s[1]):
                lines.append(f"{pad}{'if' if n == 0 else 'elif'} {cond}:")
                _render(body or [("line", "pass")], depth + 1, lines)
            if s[2] is not None:
                lines.append(f"{pad}else:")
                _render(s[2] or [("line", "pass")], depth + 1, lines)
        elif kind == "for":
            lines.append(f"{pad}for {s[1]} in range({s[2]}):")
            _render(s[3] or [("line", "pass")], depth + 1, lines)
        elif kind == "forin":
            lines.append(f"{pad}for {s[1]} in {s[2]}:")
            _render(s[3] or [("line", "pass")], depth + 1, lines)
        elif kind == "while":
            lines.append(f"{pad}{s[1]} = 0")
            lines.append(f"{pad}while {s[1]} < {s[2]}:")
            _render(s[3], depth + 1, lines)
            lines.append(f"{pad}    {s[1]} = {s[1]} + 1")
        else:  # pragma: no cover
            raise ValueError(kind)


LETTERS = "abcdegkmnopqstuwz"


class _Env:
    """Variables in scope: name -> 'arr' (shape (3,)) | 'scal'; lists: name -> element kind."""

    def __init__(self):
        self.kinds = {"x": "arr", "y": "scal"}
        self.lists = {}
        self.index = {}  # loop variables in scope -> exclusive upper bound (None: unknown)
        self.list_index = {}  # loop variable -> the list it ranges over (range(len(lst)))
        self.elements = {}  # `for v in lst` variables -> kind
        self.depth = 0  # loop nesting
        self.counter = 0
        self.appending = False  # drawing the value of an append

    def names(self, kind, local_only=False):
        return [n for n, k in self.kinds.items() if k == kind and not (local_only and n in ("x", "y"))]

    def locals(self):
        return [n for n in self.kinds if n not in ("x", "y")]

    def fresh(self):
        n = self.counter
        self.counter += 1
        return LETTERS[n % len(LETTERS)] + (str(n // len(LETTERS)) if n >= len(LETTERS) else "")

    def fresh_list(self):
        n = self.counter
        self.counter += 1
        return f"l{n}"

    def small_indices(self):
        """Loop variables usable to index a shape-(3,) array."""
        return [v for v, bound in self.index.items() if bound is not None and bound <= 3]

    def snapshot(self):
        return dict(self.kinds), dict(self.lists)

    def restore(self, snap):
        """Names first bound inside a block (a loop body, a branch) are not used after it."""
        kinds, lists = snap
        self.kinds = {n: k for n, k in self.kinds.items() if n in kinds}
        self.lists = {n: k for n, k in self.lists.items() if n in lists}


def _const(draw):
    return draw(st.sampled_from(CONSTANTS))


def _index(draw, env):
    """An index into a shape-(3,) array: a constant, or a loop variable in scope."""
    loop = env.small_indices()
    if loop and draw(st.booleans()):
        v = draw(st.sampled_from(loop))
        return draw(st.sampled_from([v, v, f"-1 - {v}", f"2 - {v}"]))
    return draw(st.sampled_from(["0", "1", "2", "-1"]))


def _expr(draw, env, kind, depth):
    """An expression of the given kind: 'arr' (shape (3,)), 'arr2' (shape (2,)) or 'scal'."""
    if depth <= 0 or draw(st.integers(0, 2)) == 0:
        return _leaf(draw, env, kind)
    common = ["binop", "binop", "unary", "div", "call", "pow", "abs", "minmax", "rec"]
    if kind == "scal":
        choices = common + ["sum", "sum", "mean", "dot", "amax", "index", "method", "tuple", "list", "minmaxb",
                            "vocab"]
    elif kind == "arr":
        choices = common + ["broadcast", "broadcast", "where", "axis", "literal", "reverse", "tuple", "list",
                            "write_helper", "concat", "vocab"]
    else:  # arr2
        choices = ["binop", "unary", "broadcast", "slice", "slice", "where", "axis2", "minmax", "abs"]
    c = draw(st.sampled_from(choices))
    sub = depth - 1
    shared = arithmetic(c, draw, kind, lambda k: _expr(draw, env, k, sub), _paren)
    if shared is not None:
        return shared
    if c == "pow":
        return f"{_atom(draw, env, kind, sub)} ** {draw(st.sampled_from(['2', '2', '3', '2.0']))}"
    if c == "abs":
        fn = "_absb" if kind == "scal" and draw(st.booleans()) else "_abs"
        return f"{fn}({_expr(draw, env, kind, sub)})"
    if c == "minmax":  # with an array, a scalar or a constant (inactive: ReLU-like) second operand
        fn = draw(st.sampled_from(["_max", "_min"]))
        other = draw(st.sampled_from(["same", "scal", "const"]))
        b = (_expr(draw, env, kind, sub) if other == "same" else
             _expr(draw, env, "scal", sub) if other == "scal" else draw(st.sampled_from(THRESHOLDS)))
        a = _expr(draw, env, kind, sub)
        return f"{fn}({a}, {b})" if draw(st.booleans()) else f"{fn}({b}, {a})"
    if c == "minmaxb":
        fn = draw(st.sampled_from(["_maxb", "_minb"]))
        return f"{fn}({_expr(draw, env, 'scal', sub)}, {_expr(draw, env, 'scal', sub)})"
    if c == "rec":
        return f"r({_expr(draw, env, kind, sub)}, {draw(st.integers(0, 3))})"
    if c == "sum":
        return f"np.sum({_expr(draw, env, draw(st.sampled_from(['arr', 'arr', 'arr2'])), sub)})"
    if c == "mean":
        return f"np.mean({_expr(draw, env, draw(st.sampled_from(['arr', 'arr2'])), sub)})"
    if c == "dot":
        k = draw(st.sampled_from(["arr", "arr", "arr2"]))
        return f"np.dot({_expr(draw, env, k, sub)}, {_expr(draw, env, k, sub)})"
    if c == "amax":
        return f"_amax({_expr(draw, env, 'arr', sub)})"
    if c == "index":
        return f"{_atom(draw, env, 'arr', sub)}[{_index(draw, env)}]"
    if c == "method":
        return f"{_atom(draw, env, 'arr', sub)}.{draw(st.sampled_from(['sum', 'mean']))}()"
    if c == "tuple":
        k = "arr" if kind == "arr" else draw(st.sampled_from(["scal", "scal", "arr"]))
        call = f"h2({_expr(draw, env, k, sub)}, {_expr(draw, env, 'scal', sub)})[{draw(st.integers(0, 1))}]"
        return call if k == kind else f"np.sum({call})"
    if c == "where":
        cond = f"_cmp({_expr(draw, env, kind, sub)}, {draw(st.sampled_from(THRESHOLDS))})"
        a = _expr(draw, env, draw(st.sampled_from([kind, kind, "scal"])), sub)
        b = (_const(draw) if draw(st.integers(0, 3)) == 0
             else _expr(draw, env, draw(st.sampled_from([kind, kind, "scal"])), sub))
        return f"np.where({cond}, {a}, {b})"
    if c == "axis":  # a (2, 3) or (3, 3) array reduced over its first axis, or a (3, 3) over either
        fn = draw(st.sampled_from(["np.sum", "np.mean"]))
        if draw(st.booleans()) and not (env.appending and "outer_appended" in KNOWN_BUGS):
            m = f"np.outer({_expr(draw, env, 'arr', sub)}, {_expr(draw, env, 'arr', sub)})"
            return f"{fn}({m}, axis={draw(st.sampled_from(['0', '1', '-1']))})"
        return f"{fn}({_stack2(draw, env, sub)}, axis=0)"
    if c == "axis2":
        fn = draw(st.sampled_from(["np.sum", "np.mean"]))
        return f"{fn}({_stack2(draw, env, sub)}, axis={draw(st.sampled_from(['1', '-1']))})"
    if c == "literal":  # three scalars made into an array
        parts = ", ".join(_expr(draw, env, "scal", sub) for _ in range(3))
        return f"{draw(st.sampled_from(['np.array', 'np.stack']))}([{parts}])"
    if c == "reverse":
        return f"{_atom(draw, env, 'arr', sub)}[::-1]"
    if c == "slice":
        sl = draw(st.sampled_from(["1:", ":-1", "::2", ":2", "-2:"]))
        return f"{_atom(draw, env, 'arr', sub)}[{sl}]"
    if c == "concat":
        e2 = _expr(draw, env, "arr2", sub)
        s = _expr(draw, env, "scal", sub)
        if "concat_list_literal" not in KNOWN_BUGS and draw(st.booleans()):
            return f"np.concatenate([[{s}], {e2}])"
        return (f"np.concatenate([{e2}, np.array([{s}])])" if draw(st.booleans())
                else f"np.concatenate([np.array([{s}]), {e2}])")
    if c == "write_helper":
        return f"hw({_expr(draw, env, 'arr', sub)})"
    if c == "list":
        return _list_use(draw, env, kind, sub)
    raise AssertionError(c)  # pragma: no cover


def _stack2(draw, env, depth):
    """A (2, 3) array from a list literal of two arrays."""
    parts = f"[{_expr(draw, env, 'arr', depth)}, {_expr(draw, env, 'arr', depth)}]"
    return f"{draw(st.sampled_from(['np.stack', 'np.array']))}({parts})"


def arithmetic(c, draw, kind, expr, paren):
    """The constructs both random-program generators (this one and tests/random/fuzz_higher.py)
    draw alike, or None for another c: expr(kind) draws a subexpression, paren(e) wraps e
    where an operator would bind into it."""
    if c == "binop":
        op = draw(st.sampled_from(["+", "-", "*"]))
        return f"({expr(kind)} {op} {expr(kind)})"
    if c == "broadcast":  # a scalar against an array, either side
        op = draw(st.sampled_from(["+", "-", "*"]))
        a, s = expr(kind), expr("scal")
        return f"({s} {op} {a})" if draw(st.booleans()) else f"({a} {op} {s})"
    if c == "unary":
        fn = draw(st.sampled_from(UNARY))
        inner = expr(kind)
        return f"np.exp(np.tanh({inner}))" if fn == "exp" else f"np.{fn}({inner})"
    if c == "div":  # the denominator is in [0.5, 2.5], or >= 1, or a constant
        num = expr(kind)
        how = draw(st.integers(0, 2))
        if how == 0:
            return f"({num} / (1.5 + np.cos({expr(draw(st.sampled_from(['scal', kind])))})))"
        if how == 1:
            return f"({num} / (1.0 + {paren(expr(draw(st.sampled_from(['scal', kind]))))} ** 2))"
        return f"({num} / {draw(st.sampled_from(['2.0', '-1.5', '3']))})"
    if c == "call":
        return f"h({expr(kind)})"
    if c == "vocab":
        return _vocabulary(draw, kind, expr)
    return None


# Smooth functions of issue 16's families, written as users write them, for shape (3,) arrays
# ('arr') and scalars ('scal'): {a}, {b}, {c} are subexpressions of kind 'arr', {s} of kind 'scal'
_SPD = "(np.diag([2.0, 3.0, 4.5]) + 0.1 * np.outer({a}, {a}))"  # positive definite, eigenvalues apart, whatever {a} is
VOCABULARY = {
    "arr": [
        "np.cumsum({a})", "np.flip({a})", "np.roll({a}, 1)", "np.roll({a}, -2)", "np.cumprod(np.tanh({a}))",
        "np.convolve({a}, [0.5, -0.3, 0.2], 'same')", "np.convolve({a}, {b}, mode='same')",
        "np.einsum('i,i->i', {a}, {b})", "np.einsum('ij,j->i', np.outer({a}, {b}), {c})",
        "np.tensordot(np.outer({a}, {b}), {c}, axes=1)", "np.diff({a}, prepend=0.5)", "np.gradient({a})",
        "np.take({a}, [2, 0, 1])", "np.pad({a}[1:], (1, 0))", "np.linalg.solve(" + _SPD + ", {b})",
        "np.linalg.inv(" + _SPD + ") @ {b}", "np.fft.irfft(np.fft.rfft({a}) * np.array([1.0, 0.5]), n=3)",
        "np.real(np.fft.ifft(np.fft.fft({a}) * np.array([1.0, 0.5, 0.25])))", "np.kron({a}[:1], {b})",
    ],
    "scal": [
        "np.einsum('i,i', {a}, {b})", "np.einsum('i->', {a})", "np.vdot({a}, {b})", "np.tensordot({a}, {b}, 1)",
        "np.average({a}, weights=np.array([1.0, 2.0, 3.0]))", "np.trapezoid({a})", "np.polyval({a}, {s})",
        "np.linalg.det(" + _SPD + ")", "np.linalg.slogdet(" + _SPD + ")[1]", "np.nansum({a})", "np.nanmean({a})",
        "np.sum(np.abs(np.fft.rfft({a})) ** 2)", "np.linalg.norm(np.exp({a}))",
        "np.sum(np.linalg.eigvalsh(" + _SPD + ") ** 2)", "np.linalg.multi_dot([{a}, np.outer({b}, {c}), {a}])",
    ],
}


def _vocabulary(draw, kind, expr):
    """One of VOCABULARY's functions of kind's shape, its operands drawn by expr."""
    template = draw(st.sampled_from(VOCABULARY["arr" if kind == "arr" else "scal"]))
    fields = {name: (expr("scal") if name == "s" else expr("arr")) for name in "abcs" if "{" + name + "}" in template}
    return template.format(**fields)


def _paren(e):
    return e if re.fullmatch(r"[\w.]+(\[[^\[\]]*\])?", e) or e.startswith("(") and _balanced_outer(e) else f"({e})"


def _atom(draw, env, kind, depth):
    """An expression safe to index or raise to a power without parentheses."""
    return _paren(_expr(draw, env, kind, depth))


def _balanced_outer(e):
    """e is '(...)' with the first parenthesis closing at the end."""
    level = 0
    for k, ch in enumerate(e):
        level += ch == "("
        level -= ch == ")"
        if level == 0:
            return k == len(e) - 1
    return False


def _list_use(draw, env, kind, depth):
    arr_lists = [n for n, k in env.lists.items() if k == "arr"]
    scal_lists = [n for n, k in env.lists.items() if k == "scal"]
    if kind == "arr":
        if not arr_lists:
            return _expr(draw, env, kind, depth)
        lst = draw(st.sampled_from(arr_lists))
        return draw(st.sampled_from([
            f"{lst}[-1]", f"{lst}[0]", f"np.sum(np.stack({lst}), axis=0)", f"np.mean(np.array({lst}), axis=0)",
            f"np.stack({lst})[-1]", f"({lst}[-1] * len({lst}))"]))
    options = []
    if scal_lists:
        lst = draw(st.sampled_from(scal_lists))
        options += [f"{lst}[-1]", f"np.sum(np.array({lst}))", f"np.mean(np.stack({lst}))", f"({lst}[0] / len({lst}))"]
        if "dot_of_list_array" not in KNOWN_BUGS:
            options.append(f"np.dot(np.array({lst}), np.array({lst}))")
        if "builtin_sum_of_list" not in KNOWN_BUGS:
            options.append(f"sum({lst})")
    if arr_lists:
        lst = draw(st.sampled_from(arr_lists))
        options += [f"np.sum(np.stack({lst}))", f"{lst}[-1][{_index(draw, env)}]", f"np.sum({lst}[0])"]
    if not options:
        return _expr(draw, env, kind, depth)
    return draw(st.sampled_from(options))


def _leaf(draw, env, kind):
    if kind == "arr2":
        return f"{draw(st.sampled_from(env.names('arr')))}[{draw(st.sampled_from(['1:', ':-1', '::2']))}]"
    if kind == "arr":
        options = env.names("arr") + [v for v, k in env.elements.items() if k == "arr"]
        return draw(st.sampled_from(options))
    options = env.names("scal") + ["x[0]", "x[1]", "x[2]", "const", "const"]
    options += [v for v, k in env.elements.items() if k == "scal"]
    small = env.small_indices()
    if small:
        options += [f"x[{v}]" for v in small] + [f"{draw(st.sampled_from(env.names('arr')))}[{v}]" for v in small]
    for v, lst in env.list_index.items():
        if lst in env.lists:
            options.append(f"{lst}[{v}]" if env.lists[lst] == "scal" else f"np.sum({lst}[{v}])")
    leaf = draw(st.sampled_from(options))
    return _const(draw) if leaf == "const" else leaf


def _assign(draw, env, target=None, kind=None):
    if target is None:
        kind = kind or draw(st.sampled_from(["arr", "scal"]))
        target = env.fresh()
    value = _expr(draw, env, kind, 3)
    env.kinds[target] = kind
    return ("assign", target, value)


def _existing_local(draw, env):
    """(prelude, name, kind) of a local variable to update, creating one if there is none."""
    prelude = []
    names = env.locals()
    if not names:
        prelude.append(_assign(draw, env))
        names = env.locals()
    name = draw(st.sampled_from(names))
    return prelude, name, env.kinds[name]


def _array_target(draw, env):
    """(prelude, name) of an array to write into: a new one, one of f's, or x itself."""
    how = draw(st.sampled_from(["copy", "zeros", "ones", "expr", "existing", "existing", "x"]))
    if how == "x":
        return [], "x"
    if how == "existing" and env.names("arr", True):
        return [], draw(st.sampled_from(env.names("arr", True)))
    name = env.fresh()
    if how == "copy":
        value = f"{draw(st.sampled_from(env.names('arr')))}.copy()"
    elif how == "zeros" or how == "existing":
        value = "np.zeros(3)"
    elif how == "ones":
        value = "np.ones(3)"
    else:
        value = _expr(draw, env, "arr", 2)
    env.kinds[name] = "arr"
    return [("assign", name, value)], name


def _item_write(draw, env, name):
    """One item assignment into the array `name`."""
    loop = env.small_indices()
    form = draw(st.sampled_from(["item", "item", "aug", "slice", "slice_scal", "loop_slice", "reverse"]))
    if form == "loop_slice" and loop:  # a slice whose length changes with the iteration
        v = draw(st.sampled_from(loop))
        op = draw(st.sampled_from(["=", "+=", "*="] if "loop_slice_mul" not in KNOWN_BUGS else ["=", "+="]))
        return ("line", f"{name}[{v}:] {op} {_expr(draw, env, 'scal', 2)}")
    if form == "item" or form == "loop_slice":
        return ("line", f"{name}[{_index(draw, env)}] = {_expr(draw, env, 'scal', 2)}")
    if form == "aug":
        op = draw(st.sampled_from(["+=", "-=", "*="]))
        return ("line", f"{name}[{_index(draw, env)}] {op} {_expr(draw, env, 'scal', 2)}")
    if form == "slice":
        sl = draw(st.sampled_from(["1:", ":-1", "::2", ":2"]))
        op = draw(st.sampled_from(["=", "=", "+=", "-="]))
        return ("line", f"{name}[{sl}] {op} {_expr(draw, env, 'arr2', 2)}")
    if form == "slice_scal":
        sl = draw(st.sampled_from(["1:", ":-1", ":"]))
        return ("line", f"{name}[{sl}] = {_expr(draw, env, 'scal', 2)}")
    return ("line", f"{name}[::-1] = {_expr(draw, env, 'arr', 2)}")


def _writes(draw, env):
    """An array made or picked, then one to three item assignments (a loop of them, sometimes)."""
    prelude, name = _array_target(draw, env)
    out = list(prelude)
    if draw(st.integers(0, 2)) == 0 and env.depth < 2:
        var = "i" if "i" not in env.index else "j"
        k = draw(st.integers(1, 3))
        env.index[var] = k
        env.depth += 1
        snap = env.snapshot()
        body = [_item_write(draw, env, name) for _ in range(draw(st.integers(1, 2)))]
        env.restore(snap)
        env.depth -= 1
        del env.index[var]
        out.append(("for", var, str(k), body))
    else:
        out += [_item_write(draw, env, name) for _ in range(draw(st.integers(1, 3)))]
    return out


def _if(draw, env):
    lhs = _expr(draw, env, "scal", 2)
    if draw(st.booleans()):
        lhs = f"np.sum({_expr(draw, env, 'arr', 1)})"
    thr = draw(st.sampled_from(THRESHOLDS))
    if draw(st.booleans()) or not env.locals():
        target, kind = env.fresh(), draw(st.sampled_from(["arr", "scal"]))
    else:
        _, target, kind = _existing_local(draw, env)
    branches = []
    for _ in range(2):
        snap = env.snapshot()
        body = []
        # optionally update an existing local or write into an array first
        locals_ = [n for n in env.locals() if n != target]
        c = draw(st.integers(0, 4))
        if locals_ and c == 0:
            other = draw(st.sampled_from(locals_))
            body.append(("assign", other, _expr(draw, env, env.kinds[other], 2)))
        elif c == 1 and env.names("arr", True):
            body.append(_item_write(draw, env, draw(st.sampled_from(env.names("arr", True)))))
        body.append(("assign", target, _expr(draw, env, kind, 2)))
        env.restore(snap)
        branches.append(body)
    env.kinds[target] = kind
    return [("if", lhs, thr, branches[0], branches[1])]


def _carried_update(draw, env, carried, kind):
    update = _expr(draw, env, kind, 2)
    op = draw(st.sampled_from(["+", "*", "-"]))
    return ("assign", carried, f"{carried} {op} {update}" if op != "*" else f"{carried} * np.tanh({update})")


def _loop_body(draw, env, carried, kind):
    body = []
    if draw(st.integers(0, 2)) == 0:
        # a branch inside the loop that rewrites the carried variable
        lhs = _expr(draw, env, "scal", 1)
        thr = draw(st.sampled_from(THRESHOLDS))
        body.append(("if", lhs, thr,
                     [("assign", carried, _expr(draw, env, kind, 2))],
                     [("assign", carried, _expr(draw, env, kind, 2))]))
    extra = draw(st.integers(0, 5))
    if extra == 0 and env.names("arr", True):
        body.append(_item_write(draw, env, draw(st.sampled_from(env.names("arr", True)))))
    elif extra == 1:  # a temporary of the body
        body.append(_assign(draw, env))
    elif extra == 2 and env.depth < 2:
        body.extend(_loop(draw, env, "for", carried=(carried, kind)))
    # the carried update always mentions the carried variable
    body.append(_carried_update(draw, env, carried, kind))
    return body


def _loop(draw, env, which, carried=None):
    if carried is None:
        prelude, name, kind = _existing_local(draw, env)
    else:
        prelude, (name, kind) = [], carried
    k = draw(st.integers(0, 3)) if which == "for" else draw(st.integers(1, 3))
    var = "i" if "i" not in env.index else "j"
    snap = env.snapshot()
    env.index[var] = k
    env.depth += 1
    body = _loop_body(draw, env, name, kind)
    env.depth -= 1
    del env.index[var]
    env.restore(snap)
    return prelude + [(which, var, k if which == "while" else str(k), body)]


def _list_build(draw, env):
    """lst = [] or [e]; for i in range(k): [...] lst.append(e)."""
    elem = draw(st.sampled_from(["arr", "scal"]))
    name = env.fresh_list()
    out = []
    init = "[]" if draw(st.booleans()) else f"[{_expr(draw, env, elem, 1)}]"
    out.append(("assign", name, init))
    k = draw(st.integers(1, 3))
    var = "i" if "i" not in env.index else "j"
    snap = env.snapshot()
    env.index[var] = k
    env.depth += 1
    body = []
    if env.locals() and draw(st.booleans()):
        _, carried, kind = _existing_local(draw, env)
        body.append(_carried_update(draw, env, carried, kind))
    env.appending = True
    if draw(st.integers(0, 3)) == 0:  # append in both branches of an if
        lhs = _expr(draw, env, "scal", 1)
        thr = draw(st.sampled_from(THRESHOLDS))
        body.append(("if", lhs, thr, [("line", f"{name}.append({_expr(draw, env, elem, 2)})")],
                     [("line", f"{name}.append({_expr(draw, env, elem, 2)})")]))
    else:
        body.append(("line", f"{name}.append({_expr(draw, env, elem, 2)})"))
    env.appending = False
    env.depth -= 1
    del env.index[var]
    env.restore(snap)
    if init == "[]" and k == 0:  # pragma: no cover  (k >= 1)
        raise AssertionError
    out.append(("for", var, str(k), body))
    env.lists[name] = elem
    return out


def _list_loop(draw, env):
    """for v in lst: carried update / for i in range(len(lst)): carried update."""
    lst = draw(st.sampled_from(list(env.lists)))
    prelude, carried, kind = _existing_local(draw, env)
    snap = env.snapshot()
    env.depth += 1
    if draw(st.booleans()):
        v = env.fresh()
        env.elements[v] = env.lists[lst]
        body = [_carried_update(draw, env, carried, kind)]
        del env.elements[v]
        loop = ("forin", v, lst, body)
    else:
        var = "i" if "i" not in env.index else "j"
        env.index[var] = None
        env.list_index[var] = lst
        body = [_carried_update(draw, env, carried, kind)]
        del env.index[var], env.list_index[var]
        loop = ("for", var, f"len({lst})", body)
    env.depth -= 1
    env.restore(snap)
    return prelude + [loop]


def _tuple_assign(draw, env):
    kind = draw(st.sampled_from(["arr", "scal"]))
    a, b = env.fresh(), env.fresh()
    if draw(st.integers(0, 2)):
        value = f"h2({_expr(draw, env, kind, 2)}, {_expr(draw, env, 'scal', 1)})"
    else:
        value = f"{_expr(draw, env, kind, 2)}, {_expr(draw, env, kind, 2)}"
    env.kinds[a] = env.kinds[b] = kind
    return [("assign", f"{a}, {b}", value)]


@st.composite
def programs(draw):
    env = _Env()
    statements = []
    n = draw(st.integers(2, 7))
    while len(statements) < n:
        c = draw(st.sampled_from(["assign", "assign", "if", "for", "while", "writes", "writes", "list", "listloop",
                                  "tuple"]))
        if c == "assign":
            statements.append(_assign(draw, env))
        elif c == "if":
            statements.extend(_if(draw, env))
        elif c == "writes":
            statements.extend(_writes(draw, env))
        elif c == "list":
            statements.extend(_list_build(draw, env))
        elif c == "listloop":
            if env.lists:
                statements.extend(_list_loop(draw, env))
        elif c == "tuple":
            statements.extend(_tuple_assign(draw, env))
        else:
            statements.extend(_loop(draw, env, c))
    ret = f"return np.sum({_expr(draw, env, 'arr', 2)}) + {_expr(draw, env, 'scal', 2)}"
    return Program(_copy_before_shared_writes(statements), ret)


# ---------------------------------------------------------------------------------------
# Python's aliasing is followed by srcdiff for names bound to the same array, but not for
# arrays held in lists, and writing into a view is refused (both documented). A write into
# an array that may be held by a list or be a view is therefore preceded by `z = z.copy()`.

_NAME = re.compile(r"^[A-Za-z_]\w*$")
_REC0 = re.compile(r"^r\(([A-Za-z_]\w*), 0\)$")
_WRITE = re.compile(r"^([A-Za-z_]\w*)\[")


def _walk(statements):
    for s in statements:
        yield s
        if s[0] == "if":
            yield from _walk(s[3])
            yield from _walk(s[4])
        elif s[0] in ("for", "forin", "while"):
            yield from _walk(s[-1])


def _split_top(text):
    """'a, b' at the top level of brackets -> ['a', 'b']."""
    parts, level, cur = [], 0, ""
    for ch in text:
        level += ch in "([{"
        level -= ch in ")]}"
        if ch == "," and level == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    parts.append(cur.strip())
    return parts


def _shared_names(statements):
    """Names that may be bound to an array a list holds, or to a view (flow-insensitive)."""
    edges, shared = [], set()
    for s in _walk(statements):
        if s[0] == "assign":
            targets = _split_top(s[1])
            values = _split_top(s[2]) if len(targets) > 1 and not s[2].startswith("h2(") else [s[2]] * len(targets)
            for t, v in zip(targets, values):
                if v.startswith("h2("):
                    continue
                m = _NAME.match(v) or _REC0.match(v)
                if m:
                    edges.append((t, m.group(m.lastindex or 0)))
                elif v.endswith("]") and not v.startswith("["):  # an element or a view
                    shared.add(t)
        elif s[0] == "line" and ".append(" in s[1]:
            arg = s[1][s[1].index(".append(") + 8:-1]
            m = _NAME.match(arg) or _REC0.match(arg)
            if m:
                shared.add(m.group(m.lastindex or 0))
        elif s[0] == "forin":
            shared.add(s[1])
    changed = True
    while changed:
        changed = False
        for a, b in edges:
            if (a in shared) != (b in shared):
                shared |= {a, b}
                changed = True
    return shared


def _aliased_names(statements):
    """Names bound, somewhere, to another name's array (flow-insensitive)."""
    names = set()
    for s in _walk(statements):
        if s[0] == "assign":
            targets = _split_top(s[1])
            values = _split_top(s[2]) if len(targets) > 1 and not s[2].startswith("h2(") else [s[2]] * len(targets)
            for t, v in zip(targets, values):
                m = _NAME.match(v) or _REC0.match(v)
                if m:
                    names |= {t, m.group(m.lastindex or 0)}
    return names


def _copy_before_shared_writes(statements):
    shared = _shared_names(statements)
    aliased = _aliased_names(statements) if "alias_write_in_loop" in KNOWN_BUGS else set()
    in_branch = "alias_write_in_branch" in KNOWN_BUGS

    def fix(block, in_loop=False):  # in_loop: inside a loop, or a branch (alias_write_in_branch)
        out = []
        for s in block:
            if s[0] == "line":
                m = _WRITE.match(s[1])
                if m and (m.group(1) in shared or in_loop and m.group(1) in aliased):
                    out.append(("assign", m.group(1), f"{m.group(1)}.copy()"))
                out.append(s)
            elif s[0] == "if":
                out.append(("if", s[1], s[2], fix(s[3], in_loop or in_branch), fix(s[4], in_loop or in_branch)))
            elif s[0] in ("for", "forin", "while"):
                out.append(s[:-1] + (fix(s[-1], True),))
            else:
                out.append(s)
        return out

    return fix(statements)
