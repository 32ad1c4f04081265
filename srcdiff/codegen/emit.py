"""IR -> Python source that reads like hand-written NumPy.

User names are kept, adjoints are called after them (dh, dscores), and a
temporary used once is written inline where it is used, so the only names
in the output are ones a person would have chosen."""
import ast
import keyword

import astor
import numpy as np

from ..ir import Const, Function, Var
from ..prims.syntax import src

PLACEHOLDER = "_srcdiff_arg{}_"
RESERVED = {"np", "math"} | set(dir(__builtins__) if isinstance(__builtins__, dict) else dir(__import__("builtins")))


class Emitted:
    """A module's source and what exec needs beyond NumPy (global arrays by name)."""

    def __init__(self, source, name, constants):
        self.source = source
        self.name = name
        self.constants = constants

    def load(self):
        namespace = dict(self.constants)
        exec(compile(self.source, f"<srcdiff {self.name}>", "exec"), namespace)
        return namespace[self.name]


def emit_module(fn: Function) -> Emitted:
    writer = _Writer(fn)
    func = writer.function()
    body = "import numpy as np\n\n\n" + "".join(h + "\n\n\n" for h in sorted(writer.helpers))
    return Emitted(body + astor.to_source(func, pretty_source="".join), fn.name, writer.constants)


class _Writer:
    def __init__(self, fn: Function):
        self.fn = fn
        self.helpers = set()
        self.constants = {}
        self.uses = _count_uses(fn)
        self.inline = {}  # var id -> expression AST, for single-use temporaries
        self.names = {}
        self.taken = set(RESERVED)
        for eqn in fn.body.eqns:
            for a in eqn.ins:
                if isinstance(a, Const) and a.name:
                    self.taken.add(a.name)

    def function(self):
        fn = self.fn
        args = [self.bind(p) for p in fn.params]
        body = []
        if fn.doc:
            body.append(ast.Expr(ast.Constant(fn.doc)))
        for eqn in fn.body.eqns:
            body.extend(self.statements(eqn))
        results = [self.atom(r) for r in fn.body.results]
        value = results[0] if len(results) == 1 else ast.Tuple(results, ast.Load())
        body.append(ast.Return(value))
        arguments = ast.arguments(
            posonlyargs=[], args=[ast.arg(a) for a in args], vararg=None, kwonlyargs=[],
            kw_defaults=[], kwarg=None, defaults=[],
        )
        node = ast.FunctionDef(fn.name, arguments, body, [], None)
        return ast.fix_missing_locations(node)

    # -- names -------------------------------------------------------------------

    def bind(self, var, base=None):
        base = _identifier(base or var.hint or "t")
        name, n = base, 0
        while name in self.taken:
            n += 1
            name = f"{base}_{n}"
        self.taken.add(name)
        self.names[var.id] = name
        return name

    def named_adjoint(self, var):
        """An adjoint whose primal has a name gets a statement of its own, named after it."""
        primal = var.adjoint_of
        return primal is not None and (primal.id in self.names or bool(primal.hint))

    def temp_name(self, eqn):
        primal = eqn.outs[0].adjoint_of
        if primal is not None and (primal.id in self.names or primal.hint):
            return "d" + self.names.get(primal.id, primal.hint)
        operand = next((a for a in eqn.ins if isinstance(a, Var) and a.id in self.names), None)
        if operand is not None:
            return f"{eqn.prim.name}_{self.names[operand.id]}"
        return eqn.prim.name

    # -- statements and expressions ------------------------------------------------

    def statements(self, eqn):
        prim = eqn.prim
        if getattr(prim, "helper_source", None):
            self.helpers.add(prim.helper_source)
        args = [PLACEHOLDER.format(i) for i in range(len(eqn.ins))]
        operands = {PLACEHOLDER.format(i): self.atom(a) for i, a in enumerate(eqn.ins)}
        out = eqn.outs[0]
        if getattr(prim, "emit_stmts", None) is not None:
            name = self.bind(out, out.hint or self.temp_name(eqn))
            lines = prim.emit_stmts(name, args, eqn.params)
            return [_substitute(s, operands) for s in ast.parse("\n".join(lines)).body]
        expr = _substitute(ast.parse(prim.emit(args, eqn.params), mode="eval").body, operands)
        if len(eqn.outs) == 1 and not out.hint and not self.named_adjoint(out) and self.uses.get(out.id, 0) == 1:
            self.inline[out.id] = expr
            return []
        if len(eqn.outs) == 1:
            name = self.bind(out, out.hint or self.temp_name(eqn))
            return [ast.Assign([ast.Name(name, ast.Store())], expr)]
        names = [self.bind(o) for o in eqn.outs]
        target = ast.Tuple([ast.Name(n, ast.Store()) for n in names], ast.Store())
        return [ast.Assign([target], expr)]

    def atom(self, a):
        if isinstance(a, Var):
            if a.id in self.inline:
                return self.inline.pop(a.id)
            return ast.Name(self.names[a.id], ast.Load())
        return self.constant(a)

    def constant(self, c: Const):
        v = c.value
        if c.name:
            self.constants[c.name] = v
            return ast.Name(c.name, ast.Load())
        if isinstance(v, np.ndarray):
            if v.size <= 16 and v.dtype in (np.float64, np.int64, np.bool_):
                return ast.parse(f"np.array({v.tolist()!r})", mode="eval").body
            name = self.bind(Var(c.aval), "const")
            self.constants[name] = v
            return ast.Name(name, ast.Load())
        return ast.parse(src(v), mode="eval").body


class _Substituter(ast.NodeTransformer):
    def __init__(self, operands):
        self.operands = operands

    def visit_Name(self, node):
        if node.id in self.operands:
            return self.operands[node.id]
        return node


def _substitute(tree, operands):
    return _Substituter(operands).visit(tree)


def _count_uses(fn):
    uses = {}
    for eqn in fn.body.eqns:
        for a in eqn.ins:
            if isinstance(a, Var):
                uses[a.id] = uses.get(a.id, 0) + 1
    for r in fn.body.results:
        if isinstance(r, Var):
            uses[r.id] = uses.get(r.id, 0) + 1
    return uses


def _identifier(name):
    name = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in name)
    if not name or name[0].isdigit():
        name = "_" + name
    if keyword.iskeyword(name):
        name += "_"
    return name
