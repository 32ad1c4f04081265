"""Reverse mode: the forward equations, then each active equation's VJP in reverse
order. The first contribution to an adjoint is assigned, later ones are added,
so no zero arrays are made only to be added to."""
import numpy as np

from ..errors import NonDifferentiableError
from ..ir import Block, Const, Function, Var
from ..prims import Builder, T
from ..prims.broadcasting import BROADCAST_TO
from ..prims.shaping import COPY
from .activity import active
from .simplify import peephole


def grad_function(fn: Function, argnums, with_value=False, aux=0) -> Function:
    """The IR of d(results[0])/d(params[argnums]); with_value also returns results[0],
    aux returns that many trailing results (has_aux) unchanged."""
    params = fn.params
    out = fn.results[0]
    wrt = [params[i] for i in argnums]
    eqns = list(fn.body.eqns)
    act = active(eqns, wrt, [out])

    adjoint = {}
    primal_ids = {p.id for p in params} | {o.id for e in eqns for o in e.outs}
    builder = Builder(list(eqns), peephole=peephole)
    with builder.active():
        if isinstance(out, Var) and out.id in act:
            adjoint[out.id] = T(Const(_one(out.aval.dtype)))
        for eqn in reversed(eqns):
            gs = [adjoint.get(o.id) for o in eqn.outs]
            if all(g is None for g in gs):
                continue
            mask = [isinstance(a, Var) and a.id in act for a in eqn.ins]
            if not any(mask):
                continue
            contributions = _vjp(builder, eqn, gs, mask)
            for a, c in zip(eqn.ins, contributions):
                if c is None or not (isinstance(a, Var) and a.id in act):
                    continue
                _accumulate(adjoint, a, c, primal_ids)
        grads = [_final(builder, p, adjoint.get(p.id)) for p in wrt]
    if with_value and isinstance(out, Var) and not out.hint:
        out.hint = fn.name  # the value reads as `loss = ...` in the emitted code
    results = ([out] if with_value else []) + [g.atom for g in grads] + list(fn.results[1:1 + aux])
    name = ("value_and_grad_" if with_value else "grad_") + fn.name
    return Function(name, Block(list(params), builder.eqns, results), fn.filename, fn.lineno, fn.doc)


def _one(dtype):
    """The seed: 1.0 in the output's precision, so float32 code stays float32."""
    if dtype is None or dtype == np.float64 or dtype.kind not in "fc":
        return 1.0
    return dtype.type(1.0)


def _vjp(builder, eqn, gs, mask):
    prim = eqn.prim
    if prim.vjp is None:
        raise NonDifferentiableError(
            f"no reverse-mode rule for primitive {prim.name}", eqn.loc,
            "register one with srcdiff's rule API or rewrite the expression.",
        )
    with builder.at(eqn.loc):
        g = gs[0] if prim.nout == 1 else gs
        ins = [T(a) for a in eqn.ins]
        out = T(eqn.outs[0]) if prim.nout == 1 else [T(o) for o in eqn.outs]
        result = prim.vjp(g, out, ins, mask, **eqn.params)
    if len(result) != len(eqn.ins):
        raise AssertionError(f"VJP of {prim.name} returned {len(result)} adjoints for {len(eqn.ins)} inputs")
    return result


def _accumulate(adjoint, var, contribution, primal_ids):
    """Add a contribution; the running total is the one named after var (d<var>).
    A primal value that happens to be an adjoint (d(x*y)/dx is y) keeps its own name."""
    contribution = contribution if isinstance(contribution, T) else T(Const(contribution))
    previous = adjoint.get(var.id)
    total = contribution if previous is None else previous + contribution
    if previous is not None and isinstance(previous.atom, Var) and previous.atom.adjoint_of is var:
        previous.atom.adjoint_of = None  # a partial sum now
    if (isinstance(total.atom, Var) and total.atom.adjoint_of is None and not total.atom.hint
            and total.atom.id not in primal_ids):
        total.atom.adjoint_of = var
    adjoint[var.id] = total


def _final(builder, param, g):
    """The adjoint as the caller receives it: shaped like the argument, never aliasing
    the caller's arrays or a read-only broadcast view."""
    if g is None:
        if param.aval.kind == "scalar":
            return T(Const(0.0))
        return np.zeros_like(T(param))
    if g.aval.kind == "scalar" or param.aval.kind == "scalar":
        return g
    atom = g.atom
    producer = builder.producer(atom) if isinstance(atom, Var) else None
    if isinstance(atom, Const) or _is_param_alias(atom, builder) or (
        producer is not None and producer.prim is BROADCAST_TO
    ):
        out = builder.apply(COPY, [g])
        out.atom.adjoint_of = param
        return out
    return g


def _is_param_alias(atom, builder):
    return isinstance(atom, Var) and builder.producer(atom) is None
