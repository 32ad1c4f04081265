"""Random programs for the higher-order tester (tests/random/test_higher_fuzz.py), aimed at issue 14's classes.

The differential tester (tests/random/fuzz_programs.py) ran ~30,000 programs clean while srcdiff
returned wrong derivatives for constructs its grammar never writes. `programs()` draws a
`HigherProgram`: a module with helpers and `def f(x, ...)`, where

- x is a Python float or a float array of shape (3,), float64 or float32 (then also
  multiplied by the float64 constant ARR somewhere, so that f promotes); sometimes f takes
  a second float y (for tuple argnums), and defaults `c=0.5` and a keyword-only `k=1.5`
  (with wrappers `f_k` and `f_c` that call f with keyword arguments);
- f returns a scalar (for grad, hessian, grad(grad), ...) or an array (for Jacobians);
- the body has `for` loops whose body uses the loop index in float math (`x ** i`,
  `i / n`, `(i + 1) * e`, `float(i) * e`), `while` loops, if/elif/else where one side
  is a constant or has a constant derivative (or leaves the value alone), calls to
  helpers (with a loop `hl`, with if/elif/else `hb`, writing into a copy `hw`, with
  defaults and a keyword-only argument `hd`, called with and without them), lists
  appended in loops and read back (`np.array(lst)`, `sum(lst)`, `lst[-1]`, `for v in lst`),
  item writes `z[i] = e`, `z[i] = z[i - 1] * c + e`, slice writes, slices `x[1:]`;
- Python literals inside lists and tuples passed straight to NumPy: `np.sum([a, 1, b])`,
  `np.mean((a, 2.0))`, `np.max`, `np.min`, `np.prod`, `np.dot([..], [..])`,
  `np.linalg.norm([..])`, `np.std([..])`, builtin `max([a, b])` / `min` / `sum`,
  `np.array([a, 1, b])`, `np.asarray`, lists of constants only (`np.sum([1.0, 2]) * a`);
- writes through fancy indices with repeats (`z[[0, 0]] = e`, `z[[0, 0]] += e`,
  `z[[1, 0, 1]] -= e`, `z[IDX] = e`, `z[idx] *= e` with idx a local int array), and reads
  (`x[[0, 0]]`, `x[IDX]`);
- copies and views of the argument at f's start: `np.array(x)`, `np.copy(x)`, `x.copy()`
  (copies), `np.asarray(x)`, `x[:]`, `x[1:]` (the same array, views), each written into
  (item, slice, in place `+=`), and x and the copy read afterwards.

Kinks are written as the marker calls of tests/random/fuzz_programs.py (`_cmp`, `_max`, `_abs`,
`_amax`, ...) plus `_amin`, `_maxl`/`_minl` (builtin max/min of a list), `_norm`, `_std`
and `_prod` (margin: the smallest |item|, as np.prod's derivative divides by it); the
instrumented rendering records how far each evaluation is from its kink.

Every construct the generator writes is named in `HigherProgram.tags`; the checks skip
the combinations `test_higher_fuzz.KNOWN_BUGS` names (open srcdiff bugs).
"""
import ast
import hashlib
import os
import re

import numpy as np
from hypothesis import strategies as st

from .fuzz_programs import _PLAIN_CALLS, _recorders, _render, arithmetic
from .fuzz_programs import plain as _plain
from tests.numeric import import_file

HELPERS = '''\
ARR = np.array([0.5, -1.0, 2.0])
IDX = np.array([2, 0, 2])


def h(u):
    return np.sin(u) * 0.5 + u


def hd(u, c=0.5, *, k=1.5):
    return u * c + np.cos(u) * k


def hl(u, n):
    s = u * 0.0
    for i in range(n):
        s = s + u ** i / (i + 1)
    return s


def hb(u):
    if _cmp(np.sum(u), 0.6):
        return u * u
    elif _cmp(np.sum(u), -0.4):
        return u * 2.0 - 0.3
    else:
        return np.sin(u) + 0.5


def hw(u):
    w = u.copy()
    w[1:] = w[1:] * 0.5 + w[:-1]
    return w


def hr(u, n):
    return u if n == 0 else hr(np.sin(u) * 0.9 + u * 0.1, n - 1)
'''

HELPER_TAGS = {"hd(": {"helper", "defaults"}, "hl(": {"helper", "loop", "loop_index", "loop_index_pow", "helper_loop"},
               "hb(": {"helper", "branch", "elif", "const_derivative_branch", "helper_branch"},
               "hw(": {"helper", "slice_write", "helper_write"}, "hr(": {"helper", "recursion"},
               "h(": {"helper"}}

CONSTANTS = ["0.5", "1.3", "-0.7", "2.0", "0.25", "2", "3", "-1"]
THRESHOLDS = ["0.3", "0.0", "-0.2", "0.7"]
MIN_MARGIN = 1e-3

_MARKERS = dict(_PLAIN_CALLS, _amin="np.min", _maxl="max", _minl="min", _norm="np.linalg.norm", _std="np.std",
                _prod="np.prod")


def plain(source):
    """The source with the kink markers rewritten to what they stand for."""
    return _plain(source, _MARKERS)


def recorders(margins):
    """fuzz_programs' kink markers and this module's: each appends its distance to a kink."""
    out = _recorders(margins)

    def _amin(a):
        s = np.sort(np.ravel(np.asarray(a, dtype=float)))
        margins.append(float(s[1] - s[0]) if s.size > 1 else np.inf)
        return np.min(a)

    def _maxl(items):
        s = sorted(float(v) for v in items)
        margins.append(s[-1] - s[-2] if len(s) > 1 else np.inf)
        return max(items)

    def _minl(items):
        s = sorted(float(v) for v in items)
        margins.append(s[1] - s[0] if len(s) > 1 else np.inf)
        return min(items)

    def _norm(items):
        value = np.linalg.norm(items)
        margins.append(float(value))
        return value

    def _std(items):
        value = np.std(items)
        margins.append(float(value))
        return value

    def _prod(items):
        margins.append(float(np.min(np.abs(np.asarray(items, dtype=float)))))
        return np.prod(items)

    out.update(_amin=_amin, _maxl=_maxl, _minl=_minl, _norm=_norm, _std=_std, _prod=_prod)
    return out


class HigherProgram:
    """A generated module. `params` are f's parameters (x first), `defaults` its defaults."""

    def __init__(self, statements, ret, x_kind, out_kind, dtype, has_y, defaults, complex_check, zeros, tags):
        self.statements = statements
        self.ret = ret
        self.x_kind = x_kind  # "scal" (a float) | "arr" (shape (3,))
        self.out_kind = out_kind  # "scal" | "arr" (f returns shape (3,))
        self.dtype = dtype  # "float64" | "float32"
        self.has_y = has_y
        self.defaults = defaults  # subset of ("c", "k")
        self.complex_check = complex_check  # f is smooth: also called with complex x
        self.zeros = zeros  # x (or some of its elements) is exactly 0
        self.tags = frozenset(tags)
        # wrappers f_inner_grad, f_inner_jvp calling srcdiff.grad(f), srcdiff.jvp(f, ...) are differentiated too
        self.inner = out_kind == "scal" and dtype == "float64"
        self.module = None  # set by the checks: the imported module
        self.overflows = False  # set by the checks: NumPy overflows inside f at the inputs checked

    @property
    def positional(self):
        return ["x"] + (["y"] if self.has_y else [])

    def signature(self):
        parts = list(self.positional)
        if "c" in self.defaults:
            parts.append("c=0.5")
        if "k" in self.defaults:
            parts += ["*", "k=1.5"]
        return ", ".join(parts)

    def render(self, instrument=False):
        lines = ["import numpy as np", "", "import srcdiff", "", "", HELPERS, ""]
        lines.append(f"def f({self.signature()}):")
        _render(self.statements, 1, lines)
        lines.append("    " + self.ret)
        pos = ", ".join(self.positional)
        if "k" in self.defaults:
            lines += ["", "", f"def f_k({pos}):", f"    return f({pos}, k=0.7)"]
        if "c" in self.defaults:
            lines += ["", "", f"def f_c({pos}, c):", f"    return f({pos}, c=c)"]
        if self.inner:  # srcdiff's transformations inside a differentiated function
            if self.x_kind == "arr":
                inner_grad, direction = f"np.sum(srcdiff.grad(f)({pos}) * ARR)", "ARR"
            else:
                inner_grad, direction = f"srcdiff.grad(f)({pos}) * 0.5", "1.0"
            tangents = ", ".join([direction] + ["0.0"] * (len(self.positional) - 1))
            lines += ["", "", f"def f_inner_grad({pos}):", f"    return {inner_grad}",
                      "", "", f"def f_inner_jvp({pos}):", f"    return srcdiff.jvp(f, ({pos},), ({tangents},))[1]"]
        src = "\n".join(lines) + "\n"
        return src if instrument else plain(src)

    @property
    def source(self):
        return self.render()

    def f_source(self):
        """The source of f (and its wrappers): the helpers are always HELPERS."""
        src = self.source
        return src[src.index("def f("):]

    def load(self, directory):
        """(module, instrumented module, margins): the instrumented f computes the same values
        and appends the distance of each kink it evaluates to margins."""
        src = self.source
        digest = hashlib.sha1(src.encode()).hexdigest()[:16]
        module = import_file(os.path.join(directory, f"hfz_{digest}.py"), src)
        instr = import_file(os.path.join(directory, f"hfz_{digest}_instr.py"), self.render(instrument=True))
        margins = []
        for name, fn in recorders(margins).items():
            setattr(instr, name, fn)
        return module, instr, margins

    def describe(self):
        return (f"x: {self.x_kind} {self.dtype}{' (zeros)' if self.zeros else ''}, out: {self.out_kind}"
                f"{', complex x too' if self.complex_check else ''}; tags: {', '.join(sorted(self.tags))}")

    def __repr__(self):
        return f"HigherProgram({self.describe()}):\n{self.f_source()}"


# Statements are tuples:
#   ("assign", target, expr) | ("line", text)
#   ("elif", [(cond, body), ...], else_body or None)   cond is the text of the condition
#   ("for", var, range_args, body) | ("forin", var, iterable, body)
#   ("while", var, k, body)                             var = 0; while var < k: body; var = var + 1


LETTERS = "abdegmnopqsuvwz"

# What a program is mostly about: its constructs are drawn more often (every construct
# stays possible in every program).
FOCUS = {
    "higher": ["if", "if", "for", "for", "while", "list", "writes", "helper"],
    "literals": ["literal", "literal", "literal"],
    "index": ["for", "for", "while", "index_math", "index_math"],
    "defaults": ["defaults", "defaults"],
    "fancy": ["fancy", "fancy", "fancy_read"],
    "views": [],
}


class _Env:
    """Names in scope: name -> 'arr' (shape (3,)) | 'scal'; lists: name -> element kind."""

    def __init__(self, x_kind, smooth, focus, names):
        self.kinds = dict(names)
        self.x_kind = x_kind
        self.lists = {}
        self.index = {}  # loop variables in scope -> their range's stop (an int)
        self.elements = {}  # `for v in lst` variables -> kind
        self.depth = 0
        self.counter = 0
        self.smooth = smooth  # no kinks (the program is also run on complex x)
        self.focus = focus
        self.tags = set()
        self.params = set(names)
        self.hidden = set()  # a float that a loop makes an array: not read until the loop has run

    def names(self, kind):
        return [n for n, k in self.kinds.items() if k == kind and n not in self.hidden]

    def locals(self, kind=None):
        return [n for n, k in self.kinds.items()
                if n not in self.params and n not in self.hidden and (kind is None or k == kind)]

    def fresh(self):
        n = self.counter
        self.counter += 1
        return LETTERS[n % len(LETTERS)] + (str(n // len(LETTERS)) if n >= len(LETTERS) else "")

    def small_indices(self):
        return [v for v, bound in self.index.items() if bound <= 3]

    def snapshot(self):
        return dict(self.kinds), dict(self.lists)

    def restore(self, snap):
        """Names first bound inside a block (a loop body, a branch) are not used after it."""
        kinds, lists = snap
        self.kinds = {n: k for n, k in self.kinds.items() if n in kinds}
        self.lists = {n: k for n, k in self.lists.items() if n in lists}

    def weighted(self, draw, choices):
        """One of choices, those the focus names counted again."""
        return draw(st.sampled_from(choices + [c for c in FOCUS[self.focus] if c in choices]))


def _const(draw):
    return draw(st.sampled_from(CONSTANTS))


def _index(draw, env):
    loop = env.small_indices()
    if loop and draw(st.booleans()):
        v = draw(st.sampled_from(loop))
        return draw(st.sampled_from([v, f"-1 - {v}", f"2 - {v}"]))
    return draw(st.sampled_from(["0", "1", "2", "-1"]))


def _arr_name(draw, env):
    names = env.names("arr") + [v for v, k in env.elements.items() if k == "arr"]
    if names:
        return draw(st.sampled_from(names))
    return f"(ARR * {_leaf(draw, env, 'scal')})"


def _leaf(draw, env, kind):
    if kind == "arr":
        if draw(st.integers(0, 4)) == 0 or not env.names("arr"):
            env.tags.add("float64_constant")
            return f"(ARR * {_leaf(draw, env, 'scal')})"
        return _arr_name(draw, env)
    options = env.names("scal") + ["const", "const"]
    options += [v for v, k in env.elements.items() if k == "scal"]
    arrs = env.names("arr")
    if arrs:
        options += [f"{draw(st.sampled_from(arrs))}[{draw(st.sampled_from(['0', '1', '2', '-1']))}]"] * 2
        small = env.small_indices()
        if small:
            options.append(f"{draw(st.sampled_from(arrs))}[{draw(st.sampled_from(small))}]")
    leaf = draw(st.sampled_from(options))
    return _const(draw) if leaf == "const" else leaf


def _scal_items(draw, env, sub, n_min=2, n_max=3):
    """Items of a list literal: scalar expressions and Python int/float literals, at least one of each."""
    n = draw(st.integers(n_min, n_max))
    items = [_expr(draw, env, "scal", sub) for _ in range(n)]
    items[draw(st.integers(0, n - 1))] = draw(st.sampled_from(["1", "2", "1.0", "2.0", "-1", "0.5", "3"]))
    return items


def _literal(draw, env, kind, sub):
    """A list or tuple literal with Python numbers in it, passed straight to NumPy (issue 14, class 1)."""
    env.tags.add("literal_list")

    def seq(items):  # a list or a tuple
        if draw(st.integers(0, 2)) == 0:
            env.tags.add("literal_tuple")
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        return "[" + ", ".join(items) + "]"

    if kind == "arr":
        c = draw(st.integers(0, 5))
        if c <= 1:
            env.tags.add("literal_np_array")
            fn = draw(st.sampled_from(["np.array", "np.array", "np.asarray"]))
            return f"{fn}({seq(_scal_items(draw, env, sub, 3, 3))})"
        if c == 2:  # of constants only (an int array, sometimes)
            env.tags |= {"literal_const", "literal_np_array"}
            consts = draw(st.sampled_from([["1", "2", "3"], ["0.5", "1", "2"], ["1.0", "-1", "2.5"]]))
            return f"(np.array({seq(consts)}) * {_expr(draw, env, draw(st.sampled_from(['scal', 'arr'])), sub)})"
        if c == 3:  # a list of arrays reduced over its first axis
            env.tags.add("literal_to_numpy")
            fn = draw(st.sampled_from(["np.sum", "np.mean"]))
            return f"{fn}({seq([_expr(draw, env, 'arr', sub), _expr(draw, env, 'arr', sub)])}, axis=0)"
        if c == 4:
            env.tags |= {"literal_const", "literal_np_array"}
            return f"(np.array({seq(['0.5', '1', '2'])}) + {_expr(draw, env, 'arr', sub)})"
        env.tags |= {"literal_to_numpy", "literal_const"}
        return f"({_expr(draw, env, 'arr', sub)} * np.dot({seq(_scal_items(draw, env, sub, 2, 2))}, " \
               f"{seq(['1.0', '2'])}))"
    c = draw(st.sampled_from(["sum", "sum", "mean", "max", "min", "prod", "dot", "dot_arr", "norm", "std", "maxl",
                              "minl", "builtin_sum", "const", "const", "sum_arrays"]))
    if env.smooth and c in ("max", "min", "maxl", "minl", "norm", "std", "prod"):
        c = "sum"
    env.tags.add("literal_" + c)
    env.tags.add("literal_builtin" if c in ("maxl", "minl", "builtin_sum") else "literal_to_numpy")
    items = _scal_items(draw, env, sub)
    if c == "sum":
        return f"np.sum({seq(items)})"
    if c == "mean":
        return f"np.mean({seq(items)})"
    if c == "max":
        return f"_amax({seq(items)})"
    if c == "min":
        return f"_amin({seq(items)})"
    if c == "prod":
        return f"_prod({seq(items)})"
    if c == "dot":
        other = _scal_items(draw, env, sub, len(items), len(items))
        return f"np.dot({seq(items)}, {seq(other)})"
    if c == "dot_arr":
        return f"np.dot({seq(_scal_items(draw, env, sub, 3, 3))}, {_expr(draw, env, 'arr', sub)})"
    if c == "norm":
        return f"_norm({seq(items)})"
    if c == "std":
        return f"_std({seq(items)})"
    if c == "maxl":
        env.tags.add("builtin_extremum")
        return f"_maxl([{', '.join(items)}])"
    if c == "minl":
        env.tags.add("builtin_extremum")
        return f"_minl([{', '.join(items)}])"
    if c == "builtin_sum":
        return f"sum([{', '.join(items)}])"
    if c == "sum_arrays":
        return f"np.sum({seq([_expr(draw, env, 'arr', sub), _expr(draw, env, 'arr', sub)])})"
    env.tags.add("literal_const")
    fn = draw(st.sampled_from(["np.sum([1.0, 2, 0.5])", "np.mean((1, 2.0))", "np.max([0.5, 2])",
                               "np.prod((2, 1.5))", "np.linalg.norm([3, 4.0])", "np.dot([1, 2], [0.5, 1.0])",
                               "np.std([1, 2.0, 4])", "max([1, 2.5])", "np.min((3, 1.5))"]))
    return f"({fn} * {_expr(draw, env, 'scal', sub)})"


def _index_math(draw, env, kind, sub):
    """The loop index in float math (issue 14, class 8): x ** i, i / n, (i + 1) * e, ..."""
    if not env.index:
        return _expr(draw, env, kind, sub)
    env.tags.add("loop_index")
    i = draw(st.sampled_from(list(env.index)))
    n = env.index[i]
    c = draw(st.sampled_from(["pow_x", "pow_x", "pow", "div", "mul", "plus1", "float", "div2"]))
    if c == "pow_x":
        env.tags.add("loop_index_pow")
        return f"x ** {i}" if env.x_kind == kind else (f"np.sum(x ** {i})" if kind == "scal" else f"(ARR * x ** {i})")
    e = _expr(draw, env, kind, sub)
    if c == "pow":
        env.tags.add("loop_index_pow")
        return f"{_atom(e)} ** {i}"
    if c == "div":
        return f"{i} / {max(n, 1)} * {_atom(e)}"
    if c == "div2":
        return f"{_atom(e)} * ({i} / {max(n, 1)})"
    if c == "mul":
        return f"{_atom(e)} * {i}"
    if c == "plus1":
        return f"({i} + 1) * {_atom(e)}"
    return f"float({i}) * {_atom(e)}"


def _atom(e):
    """e, parenthesised unless it is a name, a call, an attribute or a subscript (the test was
    textual once, and took `a * (i / 3)` for a call: `a * (i / 3)[::-1]`)."""
    node = ast.parse(e, mode="eval").body
    if isinstance(node, (ast.Name, ast.Call, ast.Attribute, ast.Subscript)):
        return e
    return f"({e})"


def _defaults_call(draw, env, kind, sub):
    """hd(u, c=0.5, *, k=1.5), called with and without its defaults, with keyword arguments."""
    env.tags.add("defaults")
    e = _expr(draw, env, kind, sub)
    c = draw(st.integers(0, 5))
    if c == 0:
        return f"hd({e})"
    if c == 1:
        return f"hd({e}, 0.3)"
    env.tags.add("kwargs")
    if c == 2:
        return f"hd({e}, k=0.7)"
    if c == 3:
        return f"hd({e}, c={_expr(draw, env, 'scal', sub)})"
    if c == 4:
        return f"hd({e}, {_expr(draw, env, 'scal', sub)}, k={_expr(draw, env, 'scal', sub)})"
    return f"hd(u={e}, k=2)"


def _expr(draw, env, kind, depth):
    """An expression of the given kind: 'arr' (shape (3,)) or 'scal'."""
    if depth <= 0 or draw(st.integers(0, 2)) == 0:
        return _leaf(draw, env, kind)
    sub = depth - 1
    common = ["binop", "binop", "unary", "div", "pow", "call", "literal", "index_math", "defaults", "helper", "abs",
              "minmax"]
    if kind == "scal":
        choices = common + ["sum", "sum", "mean", "dot", "amax", "index", "slice_sum", "fancy_read", "minmaxb",
                            "vocab"]
    else:
        choices = common + ["broadcast", "broadcast", "where", "reverse", "fancy_read", "literal", "vocab"]
    c = env.weighted(draw, choices)
    if env.smooth and c in ("abs", "minmax", "amax", "minmaxb", "where"):
        c = "binop"
    shared = arithmetic(c, draw, kind, lambda k: _expr(draw, env, k, sub), _atom)
    if shared is not None:
        return shared
    if c == "pow":
        return f"{_atom(_expr(draw, env, kind, sub))} ** {draw(st.sampled_from(['2', '3', '2.0']))}"
    if c == "literal":
        return _literal(draw, env, kind, sub)
    if c == "index_math":
        return _index_math(draw, env, kind, sub)
    if c == "defaults":
        return _defaults_call(draw, env, kind, sub)
    if c == "helper":
        which = draw(st.sampled_from(["hl", "hl", "hb", "hw", "hr"] if kind == "arr" else ["hl", "hl", "hb", "hr"]))
        if env.smooth and which == "hb":
            which = "hl"
        env.tags |= HELPER_TAGS[which + "("]
        if which == "hl":
            return f"hl({_expr(draw, env, kind, sub)}, {draw(st.integers(1, 4))})"
        if which == "hr":
            return f"hr({_expr(draw, env, kind, sub)}, {draw(st.integers(0, 2))})"
        return f"{which}({_expr(draw, env, kind, sub)})"
    if c == "abs":
        env.tags.add("kink")
        fn = "_absb" if kind == "scal" and draw(st.booleans()) else "_abs"
        return f"{fn}({_expr(draw, env, kind, sub)})"
    if c == "minmax":
        env.tags.add("kink")
        fn = draw(st.sampled_from(["_max", "_min"]))
        b = _expr(draw, env, kind, sub) if draw(st.booleans()) else draw(st.sampled_from(THRESHOLDS))
        return f"{fn}({_expr(draw, env, kind, sub)}, {b})"
    if c == "minmaxb":
        env.tags.update(("kink", "builtin_extremum"))
        fn = draw(st.sampled_from(["_maxb", "_minb"]))
        return f"{fn}({_expr(draw, env, 'scal', sub)}, {_expr(draw, env, 'scal', sub)})"
    if c == "sum":
        return f"np.sum({_expr(draw, env, 'arr', sub)})"
    if c == "mean":
        return f"np.mean({_expr(draw, env, 'arr', sub)})"
    if c == "dot":
        return f"np.dot({_expr(draw, env, 'arr', sub)}, {_expr(draw, env, 'arr', sub)})"
    if c == "amax":
        env.tags.add("kink")
        return f"_amax({_expr(draw, env, 'arr', sub)})"
    if c == "index":
        return f"{_atom(_expr(draw, env, 'arr', sub))}[{_index(draw, env)}]"
    if c == "slice_sum":
        env.tags.add("slice")
        a = _arr_name(draw, env)
        return draw(st.sampled_from([f"np.sum({a}[1:])", f"np.sum({a}[1:] * {a}[:-1])", f"np.sum({a}[1:]) ** 2",
                                     f"np.dot({a}[:2], {a}[1:])", f"np.sum({a}[::2])",
                                     f"np.sum({a}[1:]) * {_leaf(draw, env, 'scal')}"]))
    if c == "fancy_read":
        env.tags.add("fancy_read")
        a = _arr_name(draw, env)
        if kind == "scal":
            return draw(st.sampled_from([f"np.sum({a}[[0, 0]])", f"np.sum({a}[[0, 0]]) * {_leaf(draw, env, 'scal')}",
                                         f"np.sum({a}[IDX] * {_leaf(draw, env, 'arr')})", f"{a}[[1, 0, 1]][2]"]))
        return draw(st.sampled_from([f"{a}[IDX]", f"{a}[[1, 0, 1]]", f"{a}[[0, 0, 2]]"]))
    if c == "where":
        env.tags.add("kink")
        cond = f"_cmp({_expr(draw, env, 'arr', sub)}, {draw(st.sampled_from(THRESHOLDS))})"
        other = _expr(draw, env, draw(st.sampled_from([kind, "scal"])), sub)
        return f"np.where({cond}, {_expr(draw, env, kind, sub)}, {other})"
    if c == "reverse":
        env.tags.add("slice")
        return f"{_atom(_expr(draw, env, 'arr', sub))}[::-1]"
    raise AssertionError(c)  # pragma: no cover


# ---------------------------------------------------------------------------------------
# Statements


def _cond(draw, env):
    lhs = _expr(draw, env, "scal", 1) if draw(st.booleans()) else f"np.sum({_expr(draw, env, 'arr', 1)})"
    return f"_cmp({lhs}, {draw(st.sampled_from(THRESHOLDS))})"


def _branch_value(draw, env, kind, target_exists):
    """(statements of one side): an expression, a constant, one with a constant derivative, or nothing."""
    c = draw(st.sampled_from(["expr", "expr", "const", "linear", "keep"] if target_exists else
                             ["expr", "expr", "const", "linear"]))
    if c == "const":
        env.tags.add("const_branch")
        return [draw(st.sampled_from(["0.7", "0.0", "-1.2", "2"]) if kind == "scal" else
                     st.sampled_from(["ARR * 0.5", "np.ones(3)", "np.zeros(3)", "np.array([1.0, 2, 3])"]))]
    if c == "linear":  # a constant derivative: grad(grad) through it is zero
        env.tags.add("const_derivative_branch")
        base = "x" if env.x_kind == kind else (f"np.sum(x)" if kind == "scal" else "ARR * x")
        return [f"{_const(draw)} * {base} + {_const(draw)}"]
    if c == "keep":
        env.tags.add("keep_branch")
        return []
    return [_expr(draw, env, kind, 2)]


def _if(draw, env):
    """if/elif/else assigning one target on each side (a side may leave an existing one alone)."""
    env.tags.add("branch")
    existing = env.locals()
    if existing and draw(st.booleans()):
        target = draw(st.sampled_from(existing))
        kind = env.kinds[target]
    else:
        target, kind = env.fresh(), draw(st.sampled_from(["arr", "scal"]))
    exists = target in env.kinds
    n = draw(st.integers(1, 3))  # sides with a condition
    if n > 1:
        env.tags.add("elif")
    has_else = not exists or draw(st.booleans())
    sides = []
    for _ in range(n + has_else):
        snap = env.snapshot()
        body = []
        if draw(st.integers(0, 3)) == 0:  # another statement first
            body.extend(_simple(draw, env))
        value = _branch_value(draw, env, kind, exists)
        body += [("assign", target, v) for v in value]
        env.restore(snap)
        sides.append(body)
    conds = [(_cond(draw, env), sides[i]) for i in range(n)]
    env.kinds[target] = kind
    return [("elif", conds, sides[n] if has_else else None)]


def _simple(draw, env):
    """An assignment to a new name, or an update of an existing local."""
    existing = env.locals()
    if existing and draw(st.booleans()):
        name = draw(st.sampled_from(existing))
        kind = env.kinds[name]
        op = draw(st.sampled_from(["+", "*", "-", "aug"]))
        update = _expr(draw, env, kind, 2)
        if op == "aug" and kind == "scal":
            env.tags.add("aug_scalar")
            return [("line", f"{name} += {update}")]
        if op == "*":
            return [("assign", name, f"{name} * np.tanh({update})")]
        return [("assign", name, f"{name} {'-' if op == '-' else '+'} {update}")]
    kind = draw(st.sampled_from(["arr", "scal"]))
    name = env.fresh()
    value = _expr(draw, env, kind, 3)
    env.kinds[name] = kind
    return [("assign", name, value)]


def _carried(draw, env):
    """(prelude, name, kind) of a local a loop updates; a new one starts at 0.0 or 1.0: for an
    array, a float that the loop's first iteration makes an array (hidden until the loop has run:
    the caller makes sure it runs)."""
    existing = env.locals()
    if existing and draw(st.booleans()):
        name = draw(st.sampled_from(existing))
        return [], name, env.kinds[name]
    name, kind = env.fresh(), draw(st.sampled_from(["arr", "scal"]))
    init = draw(st.sampled_from(["0.0", "1.0", "x * 0.5" if env.x_kind == kind else "0.0"]))
    if kind == "arr" and init in ("0.0", "1.0"):
        env.tags.add("float_becomes_array")
        env.hidden.add(name)
    env.kinds[name] = kind
    return [("assign", name, init)], name, kind


def _carried_update(draw, env, name, kind):
    e = _expr(draw, env, kind, 2)
    c = draw(st.sampled_from(["+", "+", "-", "*", "lin"]))
    if c == "*":
        return ("assign", name, f"{name} * np.tanh({e})")
    if c == "lin":
        return ("assign", name, f"0.5 * {name} + {e}")
    return ("assign", name, f"{name} {c} {e}")


def _loop(draw, env, which):
    prelude, name, kind = _carried(draw, env)
    var = next(v for v in ("i", "j", "t") if v not in env.index)
    k = draw(st.integers(0 if name not in env.hidden else 1, 4)) if which == "for" else draw(st.integers(1, 3))
    start = "1, " if which == "for" and k >= 2 and draw(st.integers(0, 3)) == 0 else ""
    env.tags.add("loop" if which == "for" else "while")
    snap = env.snapshot()
    env.index[var] = max(k, 1)
    env.depth += 1
    body = []
    c = draw(st.integers(0, 5))
    if c == 0:  # a branch in the body
        env.tags.add("branch_in_loop")
        body.extend(_if(draw, env))
    elif c == 1:
        body.extend(_simple(draw, env))
    elif c == 2 and env.depth < 2:
        body.extend(_loop(draw, env, "for"))
    elif c == 3:
        env.tags.add("loop_index")
        body.append(("assign", name, f"{name} + {_index_math(draw, env, kind, 2)}"))
    body.append(_carried_update(draw, env, name, kind))
    acc = None
    if draw(st.integers(0, 2)) == 0 and name not in env.hidden:
        # a second carried value that accumulates a function of the first (h, then loss += g(h))
        env.tags.add("recurrence")
        acc = env.fresh()
        prelude.append(("assign", acc, draw(st.sampled_from(["0.0", "1.0"]))))
        g = draw(st.sampled_from([f"np.sum({name} * {name})", f"np.dot({name}, {name})", f"np.sum(np.sin({name}))",
                                  f"np.sum({name} ** 2)", f"np.sum({name}) ** 2"] if kind == "arr" else
                                 [f"{name} * {name}", f"np.sin({name})", f"{name} ** 2"]))
        body.append(("assign", acc, f"{acc} + {g}" if draw(st.booleans()) else f"{acc} * 0.5 + {g}"))
    env.depth -= 1
    del env.index[var]
    env.restore(snap)
    env.hidden.discard(name)
    if acc is not None:
        env.kinds[acc] = "scal"
    return prelude + [(which, var, f"{start}{k}" if which == "for" else k, body)]


def _list_build(draw, env):
    """lst = []; for i in range(k): lst.append(e); then lst read back."""
    env.tags.add("list_append")
    elem = draw(st.sampled_from(["arr", "scal"]))
    name = f"l{env.counter}"
    env.counter += 1
    out = [("assign", name, "[]" if draw(st.booleans()) else f"[{_expr(draw, env, elem, 1)}]")]
    k = draw(st.integers(1, 3))
    var = next(v for v in ("i", "j", "t") if v not in env.index)
    snap = env.snapshot()
    env.index[var] = k
    env.depth += 1
    body = []
    if env.locals() and draw(st.booleans()):
        carried = draw(st.sampled_from(env.locals()))
        body.append(_carried_update(draw, env, carried, env.kinds[carried]))
    if draw(st.integers(0, 3)) == 0:
        env.tags.add("branch_in_loop")
        body.append(("elif", [(_cond(draw, env), [("line", f"{name}.append({_expr(draw, env, elem, 2)})")])],
                     [("line", f"{name}.append({_expr(draw, env, elem, 2)})")]))
    else:
        body.append(("line", f"{name}.append({_expr(draw, env, elem, 2)})"))
    env.depth -= 1
    del env.index[var]
    env.restore(snap)
    out.append(("for", var, str(k), body))
    # read it back
    target = env.fresh()
    if elem == "scal":
        value, kind = draw(st.sampled_from([(f"np.sum(np.array({name}))", "scal"), (f"sum({name})", "scal"),
                                            (f"{name}[-1]", "scal"), (f"np.mean({name})", "scal"),
                                            (f"np.sum({name})", "scal"), (f"np.array({name})[-1]", "scal")]
                                           + ([(f"_amax({name})", "scal")] if not env.smooth else [])))
    else:
        value, kind = draw(st.sampled_from([(f"np.sum(np.stack({name}), axis=0)", "arr"), (f"{name}[-1] * 1.0", "arr"),
                                            (f"np.sum(np.array({name}))", "scal"), (f"np.mean({name}, axis=0)", "arr"),
                                            (f"np.sum({name}, axis=0)", "arr"), (f"np.sum({name})", "scal")]))
    # (lst[-1] * 1.0: not the list's own array, which a later write would reach)
    if value.startswith(("np.mean(", "_amax(", f"np.sum({name}")):
        env.tags.add("list_to_numpy")  # a list a loop built, passed straight to NumPy
    out.append(("assign", target, value))
    env.kinds[target] = kind
    if draw(st.integers(0, 2)) == 0:  # for v in lst
        env.tags.add("list_loop")
        prelude, carried, ckind = _carried(draw, env)
        v = env.fresh()
        env.elements[v] = elem
        update = _carried_update(draw, env, carried, ckind)
        del env.elements[v]
        env.hidden.discard(carried)
        out += prelude + [("forin", v, name, [update])]
    return out


def _write_target(draw, env):
    """(statements, name): a new array to write into."""
    name = env.fresh()
    how = draw(st.sampled_from(["zeros", "ones", "copy", "expr"]))
    if how == "zeros":
        value = "np.zeros(3)"
    elif how == "ones":
        value = "np.ones(3)"
    elif how == "copy":
        value = f"{_arr_name(draw, env)}.copy()" if env.names("arr") else "x * ARR"
    else:
        value = f"{_expr(draw, env, 'arr', 2)} * 1.0"
    return [("assign", name, value)], name


def _item_write(draw, env, name):
    loop = env.small_indices()
    form = draw(st.sampled_from(["item", "item", "aug", "slice", "slice_aug", "recurrence", "fancy"]))
    if form == "fancy":
        return _fancy_write(draw, env, name)
    if form == "recurrence" and loop:
        env.tags.add("item_write")
        v = draw(st.sampled_from(loop))
        return ("line", f"{name}[{v}] = {name}[{v} - 1] * {_const(draw)} + {_expr(draw, env, 'scal', 1)}")
    if form in ("item", "recurrence"):
        env.tags.add("item_write")
        return ("line", f"{name}[{_index(draw, env)}] = {_expr(draw, env, 'scal', 2)}")
    if form == "aug":
        env.tags.add("item_write")
        return ("line", f"{name}[{_index(draw, env)}] {draw(st.sampled_from(['+=', '-=', '*=']))} "
                        f"{_expr(draw, env, 'scal', 2)}")
    env.tags.add("slice_write")
    sl = draw(st.sampled_from(["1:", ":-1", "::2", ":2"]))
    value = f"{_arr_name(draw, env)}[{draw(st.sampled_from(['1:', ':-1']))}]" if sl in ("1:", ":-1", ":2") else \
        f"{_arr_name(draw, env)}[::2]"
    value = f"{value} * {_leaf(draw, env, 'scal')}" if draw(st.booleans()) else _expr(draw, env, "scal", 2)
    op = "=" if form == "slice" else draw(st.sampled_from(["+=", "-=", "*="]))
    return ("line", f"{name}[{sl}] {op} {value}")


def _fancy_write(draw, env, name):
    """A write through an integer index with repeats: NumPy buffers it (the last write wins; += once)."""
    env.tags.add("fancy_write")
    idx, n = draw(st.sampled_from([("[0, 0]", 2), ("[1, 0, 1]", 3), ("IDX", 3), ("[2, 2]", 2), ("[0, 2]", 2),
                                   ("np.array([1, 1, 0])", 3), ("np.arange(3) // 2", 3)]))
    env.tags.add("fancy_write_distinct" if idx == "[0, 2]" else "fancy_write_repeat")
    op = draw(st.sampled_from(["=", "=", "+=", "-=", "*="]))
    if op != "=":
        env.tags.add("fancy_write_aug")
    if draw(st.booleans()):
        value = _expr(draw, env, "scal", 2)
    else:  # one value per index
        value = (f"{_arr_name(draw, env)}[[0, 1]]" if n == 2 else _expr(draw, env, "arr", 2))
    return ("line", f"{name}[{idx}] {op} {value}")


def _writes(draw, env):
    """A new array, then item writes into it, sometimes in a loop."""
    out, name = _write_target(draw, env)
    if draw(st.integers(0, 2)) == 0 and env.depth < 2:
        var = next(v for v in ("i", "j", "t") if v not in env.index)
        k = draw(st.integers(1, 3))
        env.tags.add("write_in_loop")
        env.index[var] = k
        env.depth += 1
        snap = env.snapshot()
        body = [_item_write(draw, env, name) for _ in range(draw(st.integers(1, 2)))]
        env.restore(snap)
        env.depth -= 1
        del env.index[var]
        out.append(("for", var, f"1, {k}" if k > 1 and draw(st.booleans()) else str(k), body))
    else:
        out += [_item_write(draw, env, name) for _ in range(draw(st.integers(1, 3)))]
    env.kinds[name] = "arr"
    return out


def _copies_and_views(draw, env):
    """At f's start (nothing else holds x yet): a copy or a view of x (or of a local array),
    written into; x and the copy are both read afterwards."""
    base = "x"
    out = []
    if env.x_kind == "scal":
        base = env.fresh()
        out.append(("assign", base, f"x * ARR + {_const(draw)}"))
        env.kinds[base] = "arr"
    how = draw(st.sampled_from(["np.array", "np.copy", "copy", "np.asarray", "np.asarray", "[:]", "[1:]", "inplace"]))
    name = env.fresh()
    if how == "copy":
        value = f"{base}.copy()"
    elif how in ("[:]", "[1:]"):
        value = f"{base}{how}"
    elif how == "inplace":  # a write into x itself, seen through a view taken before
        value = f"{base}[1:]"
    else:
        value = f"{how}({base})"
    env.tags.add({"np.array": "np_array_copy", "np.copy": "copy_write", "copy": "copy_write",
                  "np.asarray": "asarray_write", "[:]": "view_write", "[1:]": "view_write",
                  "inplace": "write_seen_by_view"}[how])
    out.append(("assign", name, value))
    target = base if how == "inplace" else name
    size = 2 if how in ("[1:]", "inplace") else 3
    for _ in range(draw(st.integers(1, 2))):
        form = draw(st.sampled_from(["item", "slice", "aug", "inplace"]))
        e = _expr(draw, env, "scal", 1)
        if form == "item":
            out.append(("line", f"{target}[{draw(st.sampled_from(['0', '1', '-1']))}] = {e}"))
        elif form == "slice":
            out.append(("line", f"{target}[1:] = {e}"))
        elif form == "aug":
            out.append(("line", f"{target}[0] {draw(st.sampled_from(['+=', '*=']))} {e}"))
        else:
            env.tags.add("inplace_aug")
            out.append(("line", f"{target} {draw(st.sampled_from(['+=', '*=', '-=']))} {e}"))
    if size == 3:
        env.kinds[name] = "arr"
    else:
        summed = env.fresh()
        out.append(("assign", summed, f"np.sum({name})"))
        env.kinds[summed] = "scal"
    env.tags.add("copies_views")
    return out


@st.composite
def programs(draw):
    focus = draw(st.sampled_from(list(FOCUS)))
    x_kind = draw(st.sampled_from(["scal", "arr"]))
    out_kind = draw(st.sampled_from(["scal", "scal", "scal", "arr"]))
    # float32: x an array mostly (a float32 x is a NumPy float32 scalar)
    n = 3 if x_kind == "arr" else 11
    dtype = "float32" if draw(st.integers(0, n)) == n else "float64"
    has_y = draw(st.integers(0, 2)) == 2
    defaults = draw(st.sampled_from([()] * 7 + [("c",), ("k",), ("c", "k")] if focus != "defaults" else
                                    [("c",), ("k",), ("c", "k"), ("c", "k")]))
    # (rare features at the high end: hypothesis starts from the low one)
    complex_check = dtype == "float64" and draw(st.integers(0, 5)) == 5
    m = 5 if focus != "index" else 2
    zeros = draw(st.integers(0, m)) == m
    names = {"x": x_kind}
    if has_y:
        names["y"] = "scal"
    for d in defaults:
        names[d] = "scal"
    env = _Env(x_kind, complex_check, focus, names)
    statements = []
    if focus == "views" or draw(st.integers(0, 7)) == 7:
        statements.extend(_copies_and_views(draw, env))
    if dtype == "float32" and draw(st.booleans()):  # f promotes: a float64 constant array
        a = env.fresh()
        statements.append(("assign", a, f"{_leaf(draw, env, x_kind)} * ARR"))
        env.kinds[a] = "arr"
        env.tags.add("float64_constant")
    n = draw(st.integers(2, 6))
    while len(statements) < n:
        c = env.weighted(draw, ["assign", "assign", "if", "for", "while", "writes", "list", "fancy", "helper"])
        if c in ("assign", "helper"):
            statements.extend(_simple(draw, env))
        elif c == "if":
            statements.extend(_if(draw, env))
        elif c == "writes":
            statements.extend(_writes(draw, env))
        elif c == "fancy":
            w, name = _write_target(draw, env)
            statements.extend(w + [_fancy_write(draw, env, name)])
            env.kinds[name] = "arr"
        elif c == "list":
            statements.extend(_list_build(draw, env))
        else:
            statements.extend(_loop(draw, env, c))
    if out_kind == "scal":
        ret = draw(st.sampled_from([f"return np.sum({_expr(draw, env, 'arr', 2)}) + {_expr(draw, env, 'scal', 2)}",
                                    f"return {_expr(draw, env, 'scal', 3)}"]))
    else:
        ret = f"return {_expr(draw, env, 'arr', 3)}"
    tags = set(env.tags)
    text = "\n".join(str(s) for s in statements) + ret
    for call, t in HELPER_TAGS.items():
        if re.search(r"\b" + re.escape(call), text):
            tags |= t
    if dtype == "float32":
        tags.add("float32")
    if zeros:
        tags.add("zeros")
    if has_y:
        tags.add("two_arguments")
    tags |= {"default_" + d for d in defaults}
    return HigherProgram(statements, ret, x_kind, out_kind, dtype, has_y, defaults, complex_check, zeros, tags)


inputs = st.integers(0, 2 ** 32 - 1)  # a seed: test_higher_fuzz.arguments(program, seed) draws the values
