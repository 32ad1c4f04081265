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


def refuse_complex(block, act):
    """srcdiff differentiates real-valued code: a complex value on a differentiated path
    (x * 1j, np.sqrt(x + 0j)) is refused where it is made."""
    for eqn in block.eqns:
        for o in eqn.outs:
            if o.id in act and o.aval.dtype is not None and o.aval.dtype.kind == "c":
                raise NonDifferentiableError(
                    f"a complex value ({o.aval.dtype}) on a differentiated path; srcdiff differentiates real numbers only",
                    eqn.loc, "keep the computation real (carry real and imaginary parts as two float arrays), "
                    "or keep the complex part away from the differentiated inputs.")
        for b in eqn.blocks:
            refuse_complex(b, act)
