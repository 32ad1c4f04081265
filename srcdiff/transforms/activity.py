"""Which values carry a derivative: those that depend on a differentiated input
(forward) and that the output depends on (backward). Everything else emits nothing."""
from ..ir import Var


def varied(eqns, seeds):
    """Ids of variables that depend differentiably on the seed variables."""
    live = {v.id for v in seeds if v.aval.differentiable}
    for eqn in eqns:
        if not eqn.prim.differentiable:
            continue
        if any(isinstance(a, Var) and a.id in live for a in eqn.ins):
            live.update(o.id for o in eqn.outs if o.aval.differentiable)
    return live


def useful(eqns, results):
    """Ids of variables some result depends on."""
    need = {r.id for r in results if isinstance(r, Var)}
    for eqn in reversed(eqns):
        if any(o.id in need for o in eqn.outs):
            need.update(a.id for a in eqn.ins if isinstance(a, Var))
    return need


def active(eqns, seeds, results):
    return varied(eqns, seeds) & useful(eqns, results)
