"""The IR's text form (grammar.md documents it): what `srcdiff FILE:FUNC --ir` shows."""
from .. import naming
from .core import Block, Const, Function, Var


class _Names:
    """Short, stable names per printed function: the user's name plus a number when reused."""

    def __init__(self):
        self.names = {}
        self.used = {}

    def __call__(self, v):
        if isinstance(v, Const):
            return _const(v.value)
        if v.id not in self.names:
            base = v.hint or (naming.adjoint(self(v.adjoint_of)) if v.adjoint_of is not None else "t")
            n = self.used.get(base, 0)
            self.used[base] = n + 1
            self.names[v.id] = base if n == 0 else f"{base}.{n}"
        return self.names[v.id]


def _const(value):
    import numpy as np

    if isinstance(value, np.ndarray):
        return f"array{list(value.shape)}" if value.size > 4 else "array(" + repr(value.tolist()) + ")"
    if hasattr(value, "__name__"):
        return value.__name__
    return repr(value)


def _params(params, names):
    shown = {k: v for k, v in params.items() if not k.startswith("_")}
    if not shown:
        return ""

    def value(v):
        if isinstance(v, (list, tuple)) and v and all(isinstance(x, Var) for x in v):
            return "[" + ", ".join(names(x) for x in v) + "]"
        return _const(v)

    return "; " + ", ".join(f"{k}={value(v)}" for k, v in shown.items())


def print_function(fn: Function) -> str:
    names = _Names()
    args = ", ".join(f"{names(p)}:{p.aval}" for p in fn.params)
    lines = [f"def {fn.name}({args}):"]
    _print_block(fn.body, names, lines, "  ")
    return "\n".join(lines) + "\n"


def _print_block(block: Block, names, lines, indent):
    for eqn in block.eqns:
        outs = ", ".join(f"{names(o)}:{o.aval}" for o in eqn.outs)
        ins = " ".join(names(a) for a in eqn.ins)
        loc = f"  # line {eqn.loc.line}" if eqn.loc is not None else ""
        held = " held" if eqn.held else ""  # no derivative through it
        lines.append(f"{indent}{outs} = {eqn.prim.name}{held} {ins}{_params(eqn.params, names)}{loc}".rstrip())
        for i, sub in enumerate(eqn.blocks):
            head = ", ".join(names(p) for p in sub.params)
            lines.append(f"{indent}  block {i}({head}):")
            _print_block(sub, names, lines, indent + "    ")
    results = ", ".join(names(r) for r in block.results)
    lines.append(f"{indent}return {results}" if indent == "  " else f"{indent}yield {results}")
