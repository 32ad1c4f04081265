"""Forward mode: each equation is followed by the equation(s) of its tangent (JVP),
so the emitted code computes a value and its derivative along one direction side by
side (x_dot, h_dot, ...), one pass per input direction.

Regions stay regions: a cond's branches also yield the tangents of what they yield;
a loop also carries the tangents of what it carries, and records the tangent of each
value it records (so forward mode over reverse mode, a Hessian, needs nothing more)."""
import os

import numpy as np

from .. import naming
from ..errors import NonDifferentiableError
from ..ir import CALL, COND, FOR, WHILE, Block, CallTarget, Const, Eqn, Function, Var
from ..ir.calls import copy_function
from ..ir.regions import carried_count, loop_parts
from ..prims import Builder, T
from ..prims.core import current
from ..prims.broadcasting import shape_of
from ..prims.lists import empty_list, list_aval
from ..prims.shaping import COPY
from ..prims.tapes import TAPE_ZEROS, is_tape, list_zeros
from .activity import _all_vars, _reach, active, dependencies, refuse_complex
from .algebra import DERIVATIVE_RULES


def jvp_function(fn: Function, argnums, rules=DERIVATIVE_RULES) -> Function:
    """(params..., tangents of params[argnums]...) -> (results..., tangents of results...);
    rules simplify the tangents as they are built (None: none)."""
    return _jvp(fn, [fn.params[i] for i in argnums], range(len(fn.results)), {}, naming.transformation("jvp", fn.name),
                rules)


def _jvp(fn, wrt, tangent_results, versions, name, rules):
    """fn's values and their tangents along wrt's (tangents of the results numbered in
    tangent_results); versions holds the JVP versions of the functions it calls."""
    variables = _all_vars(fn.body, {})
    varied = _reach(dependencies(fn.body), [v.id for v in wrt if v.aval.differentiable],
                    lambda i: variables[i].aval.differentiable)
    refuse_complex(fn.body, active(fn.body, wrt, fn.results))
    tangent_params = [_tangent_var(p) for p in wrt]
    tangents = {p.id: T(t) for p, t in zip(wrt, tangent_params)}
    builder = Builder(rules=rules)
    fwd = _Forward(varied, versions, rules)
    with builder.active():
        fwd.block(fn.body.eqns, tangents, builder)
        outs = [_tangent_or_zero(tangents, fn.results[i]).atom for i in tangent_results]
    return Function(name, Block(list(fn.params) + tangent_params, builder.eqns, list(fn.results) + outs),
                    fn.filename, fn.lineno, fn.doc)


def jvp_version(target, mask, versions, rules):
    """The JVP version of a called function for calls whose arguments where mask is True
    have tangents: q_jvp(x, n, x_dot) -> (q, q_dot). One per target and mask, so a
    recursion calls its own JVP version (made before its body is, for the inner call)."""
    key = (id(target), mask)
    if key in versions:
        return versions[key]
    fn = copy_function(target.function)
    wrt = [p for p, m in zip(fn.params, mask) if m]
    every = all(m or not p.aval.differentiable for p, m in zip(fn.params, mask))
    along = () if every else [p.hint or f"arg{i}" for i, (p, m) in enumerate(zip(fn.params, mask)) if m]
    version = CallTarget(naming.jvp(target.name, along))
    # the results with a tangent, known before the body is transformed: the recursion's
    # inner call binds them
    version.tangent_results = tuple(i for i, r in enumerate(fn.results) if r.aval.differentiable)
    versions[key] = version
    version.function = _jvp(fn, wrt, version.tangent_results, versions, version.name, rules)
    where = f"{os.path.basename(fn.filename)}:{fn.lineno}"
    along = ", ".join(p.hint for p in wrt)
    version.function.doc = f"{target.name} and its derivative along ({along})_dot, from {where}."
    return version


def _tangent_var(v):
    t = Var(v.aval)
    t.tangent_of = v
    return t


def _tangent_or_zero(tangents, a):
    t = tangents.get(a.id) if isinstance(a, Var) else None
    return _zero(a) if t is None else t


def _zero(a):
    aval = a.aval
    if is_tape(aval):
        return current().apply(TAPE_ZEROS, [a])
    if aval.kind == "scalar" or aval.kind in ("static", "tuple"):
        return T(_const(0.0))
    if aval.kind == "list":
        return empty_list() if aval.length == 0 else list_zeros(a)
    return np.zeros_like(T(a))


def _const(v):
    from ..ir import Const

    return Const(v)


class _Forward:
    def __init__(self, varied, versions, rules):
        self.varied = varied
        self.rules = rules
        self.versions = versions  # (id(call target), mask) -> its JVP version

    def block(self, eqns, tangents, builder):
        for eqn in eqns:
            if eqn.prim is CALL:
                if any(_tangent_of(tangents, a) is not None for a in eqn.ins):
                    with builder.at(eqn.loc):
                        self.call(eqn, tangents, builder)
                else:
                    builder.append(eqn)
                continue
            if not eqn.blocks:
                builder.append(eqn)  # a primitive's tangent is computed after it, from its output
            if eqn.blocks or any(isinstance(a, Var) and a.id in tangents for a in eqn.ins):
                with builder.at(eqn.loc):
                    if eqn.prim is COND:
                        self.cond(eqn, tangents, builder)
                    elif eqn.prim in (FOR, WHILE):
                        self.loop(eqn, tangents, builder)
                    else:
                        self.primitive(eqn, tangents)
            if eqn.blocks:
                builder.append(eqn)  # a region is extended in place, after the tangents it starts from

    def primitive(self, eqn, tangents):
        prim = eqn.prim
        if not prim.differentiable or eqn.held:
            return
        if prim.jvp is None:
            raise NonDifferentiableError(f"no forward-mode rule for primitive {prim.name}", eqn.loc,
                                         "use reverse mode, or give the function a rule with custom_jvp.")
        ts = [tangents.get(a.id) if isinstance(a, Var) else None for a in eqn.ins]
        # a branch's placeholder for a residual only the other branch makes has no tangent
        ts = [None if t is not None and isinstance(t.atom, Const) and t.atom.value is None else t for t in ts]
        ins = [T(a) for a in eqn.ins]
        ts = [_like_primal(t, x) for t, x in zip(ts, ins)]
        out = T(eqn.outs[0]) if prim.nout == 1 else [T(o) for o in eqn.outs]
        result = prim.jvp(ts, out, ins, **eqn.params)
        results = result if isinstance(result, (tuple, list)) and prim.nout > 1 else [result]
        for o, t in zip(eqn.outs, results):
            if t is not None and o.id in self.varied:
                # a rule may give a tangent of an operand's shape (x + c's is x's, x % y's x's)
                t = _like_primal(t if isinstance(t, T) else T(_const(t)), T(o))
                _name_tangent(t, o)
                tangents[o.id] = t

    def call(self, eqn, tangents, builder):
        """A call whose arguments vary calls the callee's JVP version, which returns the
        values and their tangents: q, q_dot = q_jvp(x, n - 1, x_dot)."""
        ts = [_tangent_of(tangents, a) for a in eqn.ins]
        mask = tuple(t is not None and a.aval.differentiable for a, t in zip(eqn.ins, ts))
        version = jvp_version(eqn.params["function"], mask, self.versions, self.rules)
        t_ins = [_like_primal(t, T(a)).atom for a, t, m in zip(eqn.ins, ts, mask) if m]
        with_tangent = [eqn.outs[i] for i in version.tangent_results]
        t_outs = [_tangent_var(o) for o in with_tangent]
        builder.append(Eqn(CALL, list(eqn.ins) + t_ins, list(eqn.outs) + t_outs, {"function": version}, eqn.loc))
        for o, t in zip(with_tangent, t_outs):
            if o.id in self.varied:
                tangents[o.id] = T(t)

    def cond(self, eqn, tangents, builder):
        """Both branches also yield the tangents of the outs that vary."""
        varying = [j for j, o in enumerate(eqn.outs) if o.id in self.varied]
        if not varying:
            return
        blocks = []
        for branch in eqn.blocks:
            sub = Builder(parent=builder)
            local = dict(tangents)
            with sub.active():
                self.block(branch.eqns, local, sub)
                extra = [_tangent_or_zero(local, branch.results[j]).atom for j in varying]
            blocks.append(Block([], sub.eqns, _before_residuals(eqn, list(branch.results), extra)))
        primal_outs = list(eqn.outs)
        outs = [_tangent_var(primal_outs[j]) for j in varying]
        _replace(eqn, blocks=tuple(blocks), outs=_before_residuals(eqn, primal_outs, outs))
        for j, t in zip(varying, outs):
            tangents[primal_outs[j].id] = T(t)

    def loop(self, eqn, tangents, builder):
        """Carried values that vary carry a tangent too; recorded values that vary record
        their tangent alongside."""
        is_for = eqn.prim is FOR
        n = carried_count(eqn)
        body, carried, inits = loop_parts(eqn)
        slots = [j for j in range(n) if carried[j].id in self.varied]
        saves = list(eqn.params.get("saves", ()))
        varied_saves = [k for k, v in enumerate(saves) if v.id in self.varied]
        if not slots and not varied_saves:
            return
        t_params = [_tangent_var(carried[j]) for j in slots]
        local = dict(tangents)
        local.update({carried[j].id: T(t) for j, t in zip(slots, t_params)})
        sub = Builder(parent=builder)
        with sub.active():
            self.block(body.eqns, local, sub)
            t_results = [_tangent_or_zero(local, body.results[j]).atom for j in slots]
            t_saves = [_tangent_or_zero(local, saves[k]) for k in varied_saves]
        # tangents of recorded values must be variables of the body, recorded like them (a
        # tangent from outside the loop, or a constant, is bound in the body)
        inside = {o.id for e in sub.eqns for o in e.outs} | {p.id for p in [*body.params, *t_params]}
        t_save_vars = [t.atom if isinstance(t.atom, Var) and t.atom.id in inside else _materialize(sub, t)
                       for t in t_saves]
        with builder.active():
            t_inits = [_tangent_or_zero(tangents, inits[j]).atom for j in slots]
        new_body = Block(list(body.params) + t_params, sub.eqns, list(body.results) + t_results)
        blocks = (new_body,)
        if eqn.prim is WHILE:
            cond = eqn.blocks[0]
            blocks = (Block(list(cond.params) + [_tangent_var(cond.params[j]) for j in slots], cond.eqns,
                            cond.results), new_body)
        t_outs = [_tangent_var(eqn.outs[j]) for j in slots]
        stacks = eqn.outs[n:]
        t_stacks = [Var(list_aval(saves[k].aval), stacks[k].hint and naming.tangent(stacks[k].hint))
                    for k in varied_saves]
        lead = list(eqn.ins[:3]) if is_for else []
        params = dict(eqn.params)
        if saves:
            params["saves"] = saves + t_save_vars
        _replace(eqn, ins=lead + list(inits) + t_inits, outs=list(eqn.outs[:n]) + t_outs + list(stacks) + t_stacks,
                 blocks=blocks, params=params)
        for j, t in zip(slots, t_outs):
            tangents[eqn.outs[j].id] = T(t)
        for k, ts in zip(varied_saves, t_stacks):
            tangents[stacks[k].id] = T(ts)  # reading a record's item k reads its tangent's item k


def _tangent_of(tangents, a):
    """a's tangent, None when it has none (a branch's placeholder for a residual only the
    other branch makes has none either)."""
    t = tangents.get(a.id) if isinstance(a, Var) else None
    return None if t is not None and isinstance(t.atom, Const) and t.atom.value is None else t


def _materialize(builder, t):
    """A tangent as a variable bound in the body (a loop records the body's variables)."""
    with builder.active():
        v = builder.apply(COPY, [t.atom])
    return v.atom


def _before_residuals(eqn, items, new):
    """A cond's residuals stay its last outs (and its branches' last results)."""
    n_res = eqn.params.get("residuals", 0)
    cut = len(items) - n_res
    return items[:cut] + new + items[cut:]


def _replace(eqn, **fields):
    for k, v in fields.items():
        setattr(eqn, k, v)


def _name_tangent(t, primal):
    if isinstance(t.atom, Var) and not t.atom.hint and getattr(t.atom, "tangent_of", None) is None:
        t.atom.tangent_of = primal


def _like_primal(t, x):
    """A tangent with its primal's shape and dtype: broadcast to it where the two are not
    provably the same shape (x + c's tangent is x's alone; x % y's is 1.0 times x's), and
    cast where a rule computes in another precision (np.max's weights of a float32 x) or a
    complex value's tangent is real (z = x + 1j * c)."""
    if t is None or x.aval.kind not in ("array", "scalar") or t.aval.kind not in ("array", "scalar"):
        return t
    td, xd = t.aval.dtype, x.aval.dtype
    if td is not None and xd is not None and td != xd and x.aval.kind == "array" and (
            td.kind == xd.kind == "f" or (td.kind == "f" and xd.kind == "c")):
        t = t.astype(xd)  # a complex value's tangent is complex (x + 1j * c's is x's, real), as written into it
    ts, xs = t.aval.shape, x.aval.shape
    if ts is xs or (isinstance(ts, tuple) and ts == xs) or xs == ():
        return t
    return np.broadcast_to(t, shape_of(x))
