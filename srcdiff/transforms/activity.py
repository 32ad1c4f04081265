"""Which values carry a derivative: those that depend on a differentiated input
(forward) and that the output depends on (backward). Everything else emits nothing.

Both are reachability over one dependency graph, which also threads values
through regions: a branch's result flows to the cond's out, a loop's initial
value to its body parameter, the body's result back to the parameter and to
the loop's out. Loops need no fixed point: the back edge is just an edge."""
from collections import defaultdict

from ..errors import NonDifferentiableError
from ..ir import COND, FOR, WHILE, Var
from ..ir.regions import loop_parts


def dependencies(block):
    """edges[a] = ids of the variables computed (differentiably) from variable a."""
    edges = defaultdict(set)
    _collect(block, edges)
    return edges


def _link(edges, a, b):
    if isinstance(a, Var):
        edges[a.id].add(b.id)


def _collect(block, edges):
    for eqn in block.eqns:
        if eqn.prim is COND:
            for branch in eqn.blocks:
                _collect(branch, edges)
                for r, o in zip(branch.results, eqn.outs):
                    _link(edges, r, o)
        elif eqn.prim in (FOR, WHILE):
            body, carried, inits = loop_parts(eqn)
            for b in eqn.blocks:
                _collect(b, edges)
            for init, param, result, out in zip(inits, carried, body.results, eqn.outs):
                _link(edges, init, param)
                _link(edges, result, param)
                _link(edges, result, out)
                _link(edges, init, out)  # zero trips
            n = len(body.results)
            for v, stack in zip(eqn.params.get("saves", ()), eqn.outs[n:]):
                _link(edges, v, stack)  # a record of v's values varies with v
        elif eqn.prim.differentiable and not eqn.held:
            for a in eqn.ins:
                for o in eqn.outs:
                    _link(edges, a, o)


def _reach(edges, start, through=lambda i: True):
    seen = set(start)
    todo = [i for i in start if through(i)]
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen and through(nxt):
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _all_vars(block, out):
    for p in block.params:
        out[p.id] = p
    for eqn in block.eqns:
        for o in eqn.outs:
            out[o.id] = o
        for b in eqn.blocks:
            _all_vars(b, out)
    return out


def active(block, seeds, results):
    """Ids of variables that depend differentiably on the seeds and that a result depends on."""
    edges = dependencies(block)
    variables = _all_vars(block, {})
    varied = _reach(edges, [s.id for s in seeds if s.aval.differentiable],
                    lambda i: variables[i].aval.differentiable)  # an integer stops a derivative
    backward = defaultdict(set)
    for a, outs in edges.items():
        for b in outs:
            backward[b].add(a)
    useful = _reach(backward, [r.id for r in results if isinstance(r, Var)])
    return varied & useful


def refuse_complex(block, act, outermost=True):
    """srcdiff differentiates real-valued functions of real inputs; complex values may flow
    between them only through operations whose rules were checked with complex values (the
    Op fact complex_ok: numpy.fft, + - * /, abs, real, imag, conj, sums, indexing, ...). Any
    other operation taking or making a complex value on a differentiated path is refused
    where it is, naming it."""
    for eqn in block.eqns:
        complex_atom = next((a for a in list(eqn.outs) + list(eqn.ins)
                             if isinstance(a, Var) and a.id in act and _is_complex(a)), None)
        if complex_atom is not None and not _complex_ok(eqn):
            what = "an if carrying" if eqn.prim is COND else "a loop carrying" if eqn.prim in (FOR, WHILE) else \
                f"{eqn.prim.name} of"
            raise NonDifferentiableError(
                f"{what} a complex value ({complex_atom.aval.dtype}) on a differentiated path; srcdiff "
                "differentiates complex values only through numpy.fft, + - * /, ** k, abs, real, imag, conj, "
                "exp, sums, indexing and reshaping (grammar.md, complex values)",
                eqn.loc, "take the real part, the imaginary part or the abs before this operation, "
                "or keep the complex part away from the differentiated inputs.")
        for b in eqn.blocks:
            refuse_complex(b, act, False)
    if outermost:  # the function's own results are real: a complex one has no real derivative
        made = {o.id: e for e in block.eqns for o in e.outs}
        for r in block.results:
            if isinstance(r, Var) and r.id in act and _is_complex(r):
                eqn = made.get(r.id)
                raise NonDifferentiableError(
                    f"the function returns a complex value ({r.aval.dtype}) that depends on the differentiated "
                    "inputs; srcdiff differentiates real-valued functions",
                    eqn.loc if eqn is not None else None,
                    "return its real part, its imaginary part or its abs (np.real(z), z.imag, np.abs(z)).")


def _is_complex(atom):
    return atom.aval.dtype is not None and atom.aval.dtype.kind == "c"


def _complex_ok(eqn):
    if not eqn.prim.differentiable or eqn.held:
        return True  # no derivative flows through it (np.isnan(z), z == 0)
    ok = eqn.prim.complex_ok
    return bool(ok(eqn)) if callable(ok) else bool(ok)
