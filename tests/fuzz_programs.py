"""Random small programs for the differential tester (tests/test_differential.py).

`programs()` is a hypothesis strategy drawing a `Program`: the source of a module
defining a helper `h` and `def f(x, y):` over a float array x of shape (3,) and a
Python float y, built from assignments, if/else on values, `for i in range(k)`
loops, a bounded `while` loop and calls to `h`. `Program.load(directory)` writes
it to a real file (srcdiff reads source) and imports it.

The same program is also rendered "instrumented": every condition `L > t` becomes
`_cmp(L, t)`, which records |L - t|, so a test can skip inputs that sit too close
to a branch boundary for central differences to be meaningful.
"""
import hashlib
import importlib.util
import os

from hypothesis import strategies as st

HELPER = "def h(u):\n    return np.sin(u) * 0.5 + u\n"
CONSTANTS = ["0.5", "1.3", "-0.7", "2.0", "0.25"]
THRESHOLDS = ["0.3", "0.0", "-0.2", "0.7"]
UNARY = ["sin", "cos", "tanh", "exp"]


class Program:
    def __init__(self, statements, ret):
        self.statements = statements
        self.ret = ret

    def render(self, instrument=False):
        lines = ["import numpy as np", "", "", HELPER, ""]
        lines.append("def f(x, y):")
        _render(self.statements, 1, instrument, lines)
        lines.append("    " + self.ret)
        return "\n".join(lines) + "\n"

    @property
    def source(self):
        return self.render()

    def f_source(self):
        """The source of f alone (h is always the fixed HELPER)."""
        return self.source[self.source.index("def f(x, y):"):]

    def load(self, directory):
        """(f, f_instrumented, margins): f imported from a real file; f_instrumented
        computes the same value and appends |L - t| of each condition evaluated to margins."""
        src = self.source
        digest = hashlib.sha1(src.encode()).hexdigest()[:16]
        f = _import(directory, f"fuzz_{digest}", src).f
        mod = _import(directory, f"fuzz_{digest}_instr", self.render(instrument=True))
        margins = []

        def _cmp(lhs, threshold):
            margins.append(abs(float(lhs) - threshold))
            return lhs > threshold

        mod._cmp = _cmp
        return f, mod.f, margins

    def __repr__(self):
        return "Program:\n" + self.f_source()


def _import(directory, name, src):
    path = os.path.join(directory, name + ".py")
    with open(path, "w") as fh:
        fh.write(src)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _render(statements, depth, instrument, lines):
    pad = "    " * depth
    for s in statements:
        kind = s[0]
        if kind == "assign":
            lines.append(f"{pad}{s[1]} = {s[2]}")
        elif kind == "if":
            _, lhs, thr, then, other = s
            cond = f"_cmp({lhs}, {thr})" if instrument else f"{lhs} > {thr}"
            lines.append(f"{pad}if {cond}:")
            _render(then, depth + 1, instrument, lines)
            lines.append(f"{pad}else:")
            _render(other, depth + 1, instrument, lines)
        elif kind == "for":
            lines.append(f"{pad}for i in range({s[1]}):")
            _render(s[2], depth + 1, instrument, lines)
        elif kind == "while":
            lines.append(f"{pad}i = 0")
            lines.append(f"{pad}while i < {s[1]}:")
            _render(s[2], depth + 1, instrument, lines)
            lines.append(f"{pad}    i = i + 1")
        else:  # pragma: no cover
            raise ValueError(kind)


class _Env:
    """Variables in scope: name -> 'arr' | 'scal'."""

    def __init__(self):
        self.kinds = {"x": "arr", "y": "scal"}
        self.in_loop = False

    def names(self, kind, local_only=False):
        return [n for n, k in self.kinds.items() if k == kind and not (local_only and n in ("x", "y"))]

    def fresh(self):
        return "abcdefghjklmnopqrstuvw"[len(self.kinds) - 2]


def _expr(draw, env, kind, depth):
    """An expression of the given kind ('arr' of shape (3,) or 'scal')."""
    if depth <= 0 or draw(st.integers(0, 2)) == 0:
        return _leaf(draw, env, kind)
    choices = ["binop", "unary", "div", "call"] + (["sum"] if kind == "scal" else ["broadcast"])
    c = draw(st.sampled_from(choices))
    if c == "binop":
        op = draw(st.sampled_from(["+", "-", "*"]))
        return f"({_expr(draw, env, kind, depth - 1)} {op} {_expr(draw, env, kind, depth - 1)})"
    if c == "broadcast":  # a scalar against an array, either side
        op = draw(st.sampled_from(["+", "-", "*"]))
        a, s = _expr(draw, env, "arr", depth - 1), _expr(draw, env, "scal", depth - 1)
        return f"({s} {op} {a})" if draw(st.booleans()) else f"({a} {op} {s})"
    if c == "unary":
        fn = draw(st.sampled_from(UNARY))
        inner = _expr(draw, env, kind, depth - 1)
        return f"np.exp(np.tanh({inner}))" if fn == "exp" else f"np.{fn}({inner})"
    if c == "div":  # the denominator is in [0.5, 2.5]
        num = _expr(draw, env, kind, depth - 1)
        den = _expr(draw, env, draw(st.sampled_from(["scal", kind])), depth - 1)
        return f"({num} / (1.5 + np.cos({den})))"
    if c == "call":
        return f"h({_expr(draw, env, kind, depth - 1)})"
    # sum
    return f"np.sum({_expr(draw, env, 'arr', depth - 1)})"


def _leaf(draw, env, kind):
    if kind == "arr":
        return draw(st.sampled_from(env.names("arr")))
    options = env.names("scal") + ["x[0]", "x[1]", "x[2]", "const"] + (["x[i]"] if env.in_loop else [])
    leaf = draw(st.sampled_from(options))
    return draw(st.sampled_from(CONSTANTS)) if leaf == "const" else leaf


def _assign(draw, env, target=None, kind=None):
    if target is None:
        kind = kind or draw(st.sampled_from(["arr", "scal"]))
        target = env.fresh()
    value = _expr(draw, env, kind, 3)
    env.kinds[target] = kind
    return ("assign", target, value)


def _existing_local(draw, env):
    """(name, kind) of a local variable to update, creating one if there is none."""
    prelude = []
    names = env.names("arr", True) + env.names("scal", True)
    if not names:
        prelude.append(_assign(draw, env))
        names = env.names("arr", True) + env.names("scal", True)
    name = draw(st.sampled_from(names))
    return prelude, name, env.kinds[name]


def _if(draw, env):
    lhs = _expr(draw, env, "scal", 2)
    if draw(st.booleans()):
        lhs = f"np.sum({_expr(draw, env, 'arr', 1)})"
    thr = draw(st.sampled_from(THRESHOLDS))
    if draw(st.booleans()) or not (env.names("arr", True) + env.names("scal", True)):
        target, kind = env.fresh(), draw(st.sampled_from(["arr", "scal"]))
    else:
        _, target, kind = _existing_local(draw, env)
    branches = []
    for _ in range(2):
        body = []
        # optionally update an existing local first (it exists after the if either way)
        locals_ = [n for n in env.names("arr", True) + env.names("scal", True) if n != target]
        if locals_ and draw(st.integers(0, 2)) == 0:
            other = draw(st.sampled_from(locals_))
            body.append(("assign", other, _expr(draw, env, env.kinds[other], 2)))
        body.append(("assign", target, _expr(draw, env, kind, 2)))
        branches.append(body)
    env.kinds[target] = kind
    return [("if", lhs, thr, branches[0], branches[1])]


def _loop(draw, env, which):
    prelude, carried, kind = _existing_local(draw, env)
    k = draw(st.integers(0, 3)) if which == "for" else draw(st.integers(1, 3))
    env.in_loop = True
    body = []
    if draw(st.integers(0, 2)) == 0:
        # a branch inside the loop that rewrites the carried variable
        lhs = _expr(draw, env, "scal", 1)
        thr = draw(st.sampled_from(THRESHOLDS))
        body.append(("if", lhs, thr,
                     [("assign", carried, _expr(draw, env, kind, 2))],
                     [("assign", carried, _expr(draw, env, kind, 2))]))
    # the carried update always mentions the carried variable
    update = _expr(draw, env, kind, 2)
    op = draw(st.sampled_from(["+", "*", "-"]))
    body.append(("assign", carried, f"{carried} {op} {update}" if op != "*" else f"{carried} * np.tanh({update})"))
    env.in_loop = False
    return prelude + [(which, k, body)]


@st.composite
def programs(draw):
    env = _Env()
    statements = []
    n = draw(st.integers(2, 6))
    while len(statements) < n:
        c = draw(st.sampled_from(["assign", "assign", "if", "for", "while"]))
        if c == "assign":
            statements.append(_assign(draw, env))
        elif c == "if":
            statements.extend(_if(draw, env))
        else:
            statements.extend(_loop(draw, env, c))
    ret = f"return np.sum({_expr(draw, env, 'arr', 2)}) + {_expr(draw, env, 'scal', 2)}"
    return Program(statements, ret)
