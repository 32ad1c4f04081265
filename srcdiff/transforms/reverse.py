"""Reverse mode: the forward equations, then each active equation's VJP in reverse
order. The first contribution to an adjoint is assigned, later ones are added,
so no zero arrays are made only to be added to.

Regions are reversed as regions. A cond becomes a cond on the same predicate
whose branches are the VJPs of the forward branches. A loop becomes a loop over
the same iterations in reverse whose body is the VJP of the forward body; the
adjoints of the carried values are carried backwards, and the adjoints of values
from outside the loop are summed across iterations. What a backward block reads
from its forward block is passed out explicitly: a cond yields it as extra outs
(residuals), a loop records it at every iteration (saves) in a list that the
backward loop indexes."""
import os

import numpy as np

from .. import naming
from ..errors import NonDifferentiableError
from ..ir import CALL, COND, FOR, WHILE, Aval, Block, CallTarget, Const, Eqn, Function, Var, same_dtype
from ..ir.calls import copy_function
from ..ir.regions import carried_count, loop_parts, static_trips, substitute
from ..prims import Builder, T
from ..prims.broadcasting import BROADCAST_TO, SCALAR_SEED
from ..prims.creation import ONES
from ..prims.core import current
from ..prims.indexing import added_at
from ..prims.lists import LIST_ADD_AT, LIST_ITEM, LIST_LEN, TAPES_ADD_AT, ListUpdate, list_aval
from ..prims import lists
from ..prims.control import RANGE_LEN
from ..prims.elementwise import known_zero, real_part, yields_zero
from ..prims.shaping import COPY, FLOAT as PYTHON_FLOAT
from ..prims.tapes import (TAPE_ADD, TAPE_ZEROS, TapeLayout, TapeUpdate, is_tape, list_add, list_zeros,
                           make_tape, tape_aval, tape_item, updated, zero_like)
from .activity import _all_vars, active, refuse_complex
from .algebra import DERIVATIVE_RULES
from .simplify import dead_code

INT = Aval("scalar", (), np.dtype(np.int64))


def grad_function(fn: Function, argnums, with_value=False, aux=0, rules=DERIVATIVE_RULES) -> Function:
    """The IR of d(results[0])/d(params[argnums]); with_value also returns results[0],
    aux returns that many trailing results (has_aux) unchanged. rules: the algebra the
    derivative is simplified with as it is built (None: none, for srcdiff --no-simplify)."""
    params = fn.params
    out = fn.results[0]
    wrt = [params[i] for i in argnums]
    act = active(fn.body, wrt, [out])
    refuse_complex(fn.body, act)
    rev = _Reverse(act, fn.body, rules=rules)
    builder = Builder(list(fn.body.eqns), rules=rules)
    adjoint = {}
    with builder.active():
        if isinstance(out, Var) and not out.aval.known_shape:
            # a number: checked when the derivative runs where its shape is not known now,
            # also where nothing flows from it (its check is kept: SCALAR_SEED.effect)
            seed = builder.apply(SCALAR_SEED, [out])
            if out.id in act:
                adjoint[out.id] = seed
        elif isinstance(out, Var) and out.id in act:
            adjoint[out.id] = T(Const(_one(out.aval.dtype)))
        rev.block(fn.body.eqns, adjoint, builder)
        grads = [_final(builder, p, adjoint.get(p.id)) for p in wrt]
    if with_value and isinstance(out, Var) and not out.hint:
        out.hint = fn.name  # the value reads as `loss = ...` in the emitted code
    results = ([out] if with_value else []) + [g.atom for g in grads] + list(fn.results[1:1 + aux])
    name = naming.transformation("value_and_grad" if with_value else "grad", fn.name)
    return Function(name, Block(list(params), builder.eqns, results), fn.filename, fn.lineno, fn.doc)


def vjp_function(fn: Function, argnums, rules=DERIVATIVE_RULES) -> Function:
    """(params..., cotangents of the results...) -> the cotangents of params[argnums], in
    one block: the forward equations, then the backward ones (which alone read the
    cotangents, so a Jacobian can run them once per row)."""
    params = fn.params
    wrt = [params[i] for i in argnums]
    act = active(fn.body, wrt, fn.results)
    refuse_complex(fn.body, act)
    rev = _Reverse(act, fn.body, rules=rules)
    cotangents = [Var(Aval(r.aval.kind, r.aval.shape, r.aval.dtype), naming.cotangent()) for r in fn.results]
    builder = Builder(list(fn.body.eqns), rules=rules)
    adjoint = {}
    with builder.active():
        for r, g in zip(fn.results, cotangents):
            if rev.is_active(r):
                rev.accumulate(adjoint, r, T(g))
        rev.block(fn.body.eqns, adjoint, builder)
        grads = [_final(builder, p, adjoint.get(p.id)) for p in wrt]
    body = Block(list(params) + cotangents, builder.eqns, [g.atom for g in grads])
    return Function(naming.transformation("vjp", fn.name), body, fn.filename, fn.lineno, fn.doc)


def pair_of(target, rules=DERIVATIVE_RULES):
    """Forward (value and tape) and backward (tape and cotangents) versions of a function."""
    return _Reverse(set(), Block(), rules=rules).pair(target)


def _one(dtype):
    """The seed: 1.0 in the output's precision, so float32 code stays float32."""
    if dtype is None or dtype == np.float64 or dtype.kind not in "fc":
        return 1.0
    return dtype.type(1.0)


class _Reverse:
    def __init__(self, act, body, pairs=None, rules=DERIVATIVE_RULES):
        self.act = act
        self.rules = rules
        self.vars = _all_vars(body, {})  # id -> Var, every variable of the forward function
        self.primal_ids = set(self.vars)
        # lists that may be None on the path taken (a residual a backward branch reads), so
        # their zero derivative is the tapes' zeros, 0.0 there
        self.maybe_missing = _lists_made_by_branches(body, set())
        self.pairs = {} if pairs is None else pairs  # id(call target) -> (forward, backward) targets

    def is_active(self, a):
        return isinstance(a, Var) and a.id in self.act

    # -- accumulation ------------------------------------------------------------

    def accumulate(self, adjoint, var, contribution):
        """Add a contribution; the running total is the one named after var (d<var>).
        A primal value that happens to be an adjoint (d(x*y)/dx is y) keeps its own name."""
        previous = adjoint.get(var.id)
        if isinstance(contribution, ListUpdate):  # xs[i] was read: add into xs's adjoint, in place
            base = _zero(var) if previous is None else previous
            add_at = TAPES_ADD_AT if is_tape(var.aval) else LIST_ADD_AT  # tapes add item by item
            total = T(builder_apply(add_at, [base, contribution.index, contribution.g]))
        elif isinstance(contribution, TapeUpdate):  # tape[i] was read: a tape with the adjoint at item i
            total = updated(previous, T(var), contribution)
        else:
            contribution = _in_dtype_of(contribution if isinstance(contribution, T) else T(Const(contribution)), var)
            if previous is None:
                total = contribution
            elif is_tape(var.aval):
                total = T(builder_apply(TAPE_ADD, [previous, contribution]))
            elif var.aval.kind == "list":
                total = list_add(previous, contribution, T(var))
            else:
                total = added_at(previous, contribution, current().producer)
                if total is None:
                    total = previous + contribution
        if previous is not None and isinstance(previous.atom, Var) and previous.atom.adjoint_of is var:
            previous.atom.adjoint_of = None  # a partial sum now
            previous.atom.partial_of = var
        if (isinstance(total.atom, Var) and total.atom.adjoint_of is None and not total.atom.hint
                and total.atom.id not in self.primal_ids):
            total.atom.adjoint_of = var
        adjoint[var.id] = total

    # -- blocks ------------------------------------------------------------------

    def block(self, eqns, adjoint, builder):
        for eqn in reversed(eqns):
            if not any(o.id in adjoint for o in eqn.outs):
                continue
            if eqn.prim is COND:
                self.cond(eqn, adjoint, builder)
            elif eqn.prim in (FOR, WHILE):
                self.loop(eqn, adjoint, builder)
            elif eqn.prim is CALL:
                self.call(eqn, adjoint, builder)
            else:
                self.primitive(eqn, adjoint, builder)

    def primitive(self, eqn, adjoint, builder):
        mask = [self.is_active(a) for a in eqn.ins]
        if not any(mask):
            return
        prim = eqn.prim
        if prim.vjp is None:
            raise NonDifferentiableError(
                f"no reverse-mode rule for primitive {prim.name}", eqn.loc,
                "rewrite the expression, or give the function a rule with @srcdiff.custom_vjp.",
            )
        gs = [adjoint.get(o.id) for o in eqn.outs]
        if all(g is None or known_zero(g) for g in gs):
            return  # what reaches the output through here is nothing (a value overwritten later)
        with builder.at(eqn.loc):
            g = gs[0] if prim.nout == 1 else gs
            ins = [T(a) for a in eqn.ins]
            out = T(eqn.outs[0]) if prim.nout == 1 else [T(o) for o in eqn.outs]
            result = prim.vjp(g, out, ins, mask, **eqn.params)
        if len(result) != len(eqn.ins):
            raise AssertionError(f"VJP of {prim.name} returned {len(result)} adjoints for {len(eqn.ins)} inputs")
        for a, c in zip(eqn.ins, result):
            if c is not None and self.is_active(a):
                self.accumulate(adjoint, a, c)

    def ordered(self, local):
        """The variables an adjoint map has entries for, in the order they were reached."""
        return [self.vars[i] for i in local]

    def _ordered_free(self, reversed_branches):
        """Variables from outside a cond that either backward branch has an adjoint for."""
        order, seen = [], set()
        for sub, local, inside in reversed_branches:
            for v in self.ordered(local):
                if v.id not in inside and v.id not in seen:
                    seen.add(v.id)
                    order.append(v)
        return order

    # -- cond --------------------------------------------------------------------

    def cond(self, eqn, adjoint, builder):
        """The branches of the backward cond start from the adjoints accumulated so far for
        the outer values they read, so a branch that adds nothing passes them on unchanged
        (rather than yielding zeros to be added)."""
        gs = [adjoint.get(o.id) for o in eqn.outs]
        reversed_branches = []
        read = [v for b in eqn.blocks for v in _free_uses(b) if self.is_active(v)]
        seeds = {v.id: adjoint[v.id] for v in read if v.id in adjoint}
        for branch in eqn.blocks:
            sub = Builder(parent=builder)
            local = dict(seeds)
            with sub.active(), sub.at(eqn.loc):
                for r, g in zip(branch.results, gs):
                    if g is not None and self.is_active(r):
                        self.accumulate(local, r, g)
                self.block(branch.eqns, local, sub)
            reversed_branches.append((sub, local, _defined_in(branch)))
        free = [v for v in self._ordered_free(reversed_branches)
                if v.id not in seeds or any(local[v.id] is not seeds[v.id] for _, local, _ in reversed_branches)]
        if not free:
            return
        blocks = []
        for (sub, local, inside), branch in zip(reversed_branches, eqn.blocks):
            with sub.active():
                results = [_adjoint_or_zero(local, v, self.maybe_missing).atom for v in free]
            blocks.append(Block([], sub.eqns, results))
        self._pass_residuals(eqn, blocks, [inside for _, _, inside in reversed_branches])
        outs = [_adjoint_var(v) for v in free]
        builder.append(Eqn(COND, [eqn.ins[0]], outs, {}, eqn.loc, tuple(blocks)))
        for v, o in zip(free, outs):
            if v.id in seeds:
                adjoint[v.id] = T(o)  # the branches already added to what was there
            else:
                self.accumulate(adjoint, v, T(o))

    def _pass_residuals(self, eqn, backward_blocks, inside_sets):
        """Forward values a backward branch reads leave the forward cond as extra outs."""
        n_before = len(eqn.outs)
        for b, (bwd, inside) in enumerate(zip(backward_blocks, inside_sets)):
            needed = [v for v in _free_uses(bwd) if v.id in inside]
            mapping = {}
            for v in needed:
                out = Var(v.aval, v.hint)
                for other, branch in enumerate(eqn.blocks):
                    branch.results.append(v if other == b else Const(None))
                eqn.outs.append(out)
                mapping[v.id] = out
            substitute(bwd, mapping)
        if len(eqn.outs) > n_before:
            eqn.params["residuals"] = eqn.params.get("residuals", 0) + len(eqn.outs) - n_before

    # -- calls (recursion) -------------------------------------------------------

    def call(self, eqn, adjoint, builder):
        """The call becomes a call of the callee's forward version, which also returns its
        tape; the backward sweep calls the backward version with that tape."""
        if not any(self.is_active(a) for a in eqn.ins):
            return
        target = eqn.params["function"]
        fwd, bwd = self.pair(target)
        tape = Var(tape_aval(fwd.layout), naming.tape(target.name))
        eqn.params = {"function": fwd}
        eqn.outs.append(tape)
        with builder.active():
            gs = [(adjoint[o.id] if o.id in adjoint else zero_like(o)).atom for o in eqn.outs[:-1]]
        outs = [_adjoint_var(a) if isinstance(a, Var) else Var(a.aval) for a in eqn.ins]
        for o, p in zip(outs, target.function.params):
            o.partial_of = p  # named after the callee's parameter when the argument has no name
        builder.append(Eqn(CALL, [tape, *gs], outs, {"function": bwd}, eqn.loc))
        for a, o in zip(eqn.ins, outs):
            if self.is_active(a):
                self.accumulate(adjoint, a, T(o))

    def pair(self, target):
        """q_fwd(params) -> (results, tape) and q_bwd(tape, g...) -> adjoints of params, made
        from a copy of q's function. A recursion's inner call finds the pair (and the tape's
        layout) made before the bodies are."""
        if id(target) in self.pairs:
            return self.pairs[id(target)]
        fwd, bwd = CallTarget(naming.forward(target.name)), CallTarget(naming.backward(target.name))
        fwd.layout = TapeLayout(fwd.name)
        self.pairs[id(target)] = (fwd, bwd)
        fn = copy_function(target.function)
        params, outs = fn.params, fn.results
        act = active(fn.body, params, outs)
        refuse_complex(fn.body, act)
        rev = _Reverse(act, fn.body, self.pairs, self.rules)
        g_params = [Var(r.aval, naming.cotangent(k, of_tape=is_tape(r.aval))) for k, r in enumerate(outs)]
        for r, gp in zip(outs, g_params):
            if is_tape(r.aval) and isinstance(r, Var):
                gp.adjoint_of = r  # what is read from it are adjoints (codegen names them so)
        # the backward sweep sees how the forward values were made (a tape's items, read back)
        backward = Builder(rules=self.rules, parent=Builder(list(fn.body.eqns)))
        adjoint = {}
        with backward.active():
            for r, gp in zip(outs, g_params):
                if rev.is_active(r):
                    rev.accumulate(adjoint, r, T(gp))
            rev.block(fn.body.eqns, adjoint, backward)
            results = [_adjoint_or_zero(adjoint, p).atom if p.aval.differentiable else Const(None) for p in params]
        # the tape keeps what the backward sweep reads, once what it computed and does not use is gone
        bwd_block = Block([], dead_code(backward.eqns, results), results)
        given = {g.id for g in g_params}
        needed = [v for v in _free_uses(bwd_block) if v.id not in given]
        fwd.layout.items = [v.aval for v in needed]
        forward = Builder(list(fn.body.eqns))
        with forward.active():
            tape = make_tape(needed, fwd.layout).atom
        where = f"{os.path.basename(fn.filename)}:{fn.lineno}"
        fwd.function = Function(fwd.name, Block(list(params), forward.eqns, list(outs) + [tape]), fn.filename,
                                fn.lineno, f"{target.name} and the tape {bwd.name} needs, from {where}.")
        tape_param = Var(tape_aval(fwd.layout), naming.TAPE)
        unpack = Builder()
        mapping = {}
        with unpack.active():
            for i, v in enumerate(needed):
                u = tape_item(tape_param, i, fwd.layout).atom
                u.hint = v.hint
                mapping[v.id] = u
        substitute(bwd_block, mapping)
        wrt = ", ".join(p.hint for p in params)
        bwd.function = Function(bwd.name, Block([tape_param, *g_params], unpack.eqns + bwd_block.eqns,
                                                bwd_block.results), fn.filename, fn.lineno,
                                f"d({target.name})/d({wrt}) times g, from the tape of {fwd.name}.")
        return fwd, bwd

    # -- loops -------------------------------------------------------------------

    def loop(self, eqn, adjoint, builder):
        is_for = eqn.prim is FOR
        n = carried_count(eqn)
        body, carried, inits = loop_parts(eqn)
        # a slot carries an adjoint when its value at the end of an iteration depends on
        # what is differentiated (even if the next iteration does not read it back)
        slots = [j for j in range(n) if carried[j].id in self.act or self.is_active(body.results[j])]
        # the records a loop keeps (a derivative's loop, differentiated again) carry adjoints
        # too: a list of them, whose item k goes to the recorded value at iteration k
        records = [(v, adjoint[stack.id]) for v, stack in zip(eqn.params.get("saves", ()), eqn.outs[n:])
                   if stack.id in adjoint and self.is_active(v)]
        if not slots and not records:
            return
        sub = Builder(parent=builder)
        index = Var(INT, body.params[0].hint if is_for else "k")
        d_params = [_adjoint_var(carried[j]) for j in slots]
        inside = _defined_in(body)
        # Adjoints of values from outside the loop are carried and added to at every
        # iteration: seed them with the carried parameter so contributions add in place.
        outer = [v for v in _free_uses(body) if self.is_active(v) and v.id not in inside]
        seeds = {v.id: _adjoint_var(v) for v in outer}
        local = {i: T(p) for i, p in seeds.items()}
        with sub.active(), sub.at(eqn.loc):
            for j, dp in zip(slots, d_params):
                if self.is_active(body.results[j]):
                    self.accumulate(local, body.results[j], T(dp))
            if records:
                iteration = self._iteration_number(eqn, index)
                for v, d_stack in records:
                    self.accumulate(local, v, lists.list_item(d_stack, iteration))
            self.block(body.eqns, local, sub)
            new_d = [_adjoint_or_zero(local, carried[j]).atom for j in slots]
            free = [v for v in outer if local[v.id].atom is not seeds[v.id]]
            acc_params = [seeds[v.id] for v in free]
            acc_new = [local[v.id].atom for v in free]
        backward_body = Block([index, *d_params, *acc_params], sub.eqns, new_d + acc_new)
        inside = _defined_in(body)  # again: reversing nested regions gave them more outs
        start, stop, step = self._saves(eqn, backward_body, inside, index, builder)
        with builder.active(), builder.at(eqn.loc):
            d_init = [_adjoint_or_zero(adjoint, eqn.outs[j]).atom for j in slots]
            acc_init = [_zero(v).atom for v in free]
        outs = [_adjoint_var(carried[j]) for j in slots] + [_adjoint_var(v) for v in free]
        # the backward loop runs the iterations the other way round (a backward loop's, forward)
        backward = {"reverse": True} if not eqn.params.get("reverse") else {}
        sweep = Eqn(FOR, [start, stop, step, *d_init, *acc_init], outs, backward, eqn.loc, (backward_body,))
        where = _zero_on_one_side(d_init, builder)
        builder.append(sweep if where is None else _skipped_on(where, sweep, d_init, acc_init))
        for j, o in zip(slots, outs):
            if self.is_active(inits[j]):
                self.accumulate(adjoint, inits[j], T(o))
        for v, o in zip(free, outs[len(slots):]):
            self.accumulate(adjoint, v, T(o))

    def _saves(self, eqn, backward_body, inside, index, builder):
        """Record every forward value the backward body reads, once per iteration, and
        read it back by iteration number. Returns the backward loop's range."""
        is_for = eqn.prim is FOR
        forward_index = eqn.blocks[-1].params[0] if is_for else None
        mapping = {}
        if is_for:
            mapping[forward_index.id] = index  # the backward loop runs over the same i
        needed = [v for v in _free_uses(backward_body) if v.id in inside and v.id not in mapping]
        saves = eqn.params.setdefault("saves", [])
        made = {o.id: e for e in eqn.blocks[-1].eqns for o in e.outs}
        restore = Builder(parent=builder)
        with restore.active(), restore.at(eqn.loc):
            if is_for:
                start, stop, step = eqn.ins[:3]
                k = self._iteration_number(eqn, index)
            cheap = {}
            for v in needed:
                if _recomputable(v, made, inside, mapping, cheap):
                    # X[t] is read again rather than recorded: the backward has X and t
                    _recompute(v, made, inside, mapping, restore)
                    continue
                n = carried_count(eqn)
                stack = next((o for r, o in zip(saves, eqn.outs[n:]) if r is v), None)  # recorded already
                if stack is None:
                    stack = Var(list_aval(v.aval, length=static_trips(eqn)), v.hint and naming.saved(v.hint))
                    saves.append(v)
                    eqn.outs.append(stack)
                mapping[v.id] = restore.apply(LIST_ITEM, [stack, index if not is_for else k], _of=v).atom
                mapping[v.id].hint, mapping[v.id].aval = v.hint, v.aval
        substitute(backward_body, mapping)
        backward_body.eqns[:0] = restore.eqns
        if is_for:
            return start, stop, step
        with builder.active():
            if saves:
                trips = builder.apply(LIST_LEN, [eqn.outs[carried_count(eqn)]])
            else:
                trips = builder.apply(LIST_LEN, [self._count_trips(eqn)])
        return Const(0), trips.atom, Const(1)

    @staticmethod
    def _iteration_number(eqn, index):
        """Which iteration of the forward loop the backward loop's `index` stands for, counted
        from 0 in the order the forward loop ran (so in the order its records were appended):
        (i - start) // step for `for i in range(...)`, the reverse of that under reversed(...),
        and the backward loop's own counter for a while loop."""
        if eqn.prim is not FOR:
            return T(index)
        start, stop, step = eqn.ins[:3]
        k = (T(index) - T(start)) // T(step)
        if eqn.params.get("reverse"):
            k = current().apply(RANGE_LEN, [start, stop, step]) - 1 - k
        return k

    def _count_trips(self, eqn):
        """A while loop whose backward reads nothing still needs its trip count: carry a
        counter and save it, so the list of counters is as long as the loop ran."""
        body = eqn.blocks[-1]
        counter = Var(INT, "trip")
        n = carried_count(eqn)
        body.params.append(counter)
        eqn.blocks[0].params.append(Var(INT, "trip"))
        eqn.ins.append(Const(0))
        with Builder(body.eqns).active():
            body.results.append((T(counter) + 1).atom)
        eqn.outs.insert(n, Var(INT, "trip"))
        stack = Var(list_aval(INT), naming.TRIPS)
        eqn.params.setdefault("saves", []).append(counter)
        eqn.outs.append(stack)
        return stack


def _recomputable(v, made, inside, mapping, memo):
    """Whether v is a cheap read (an item of an array or list from outside the loop, at the
    loop's index) or integer arithmetic on the index and such reads, which the backward loop
    can do again instead of keeping a copy per iteration."""
    if not isinstance(v, Var) or v.id in mapping or v.id not in inside:
        return True
    if v.id not in memo:
        memo[v.id] = False  # a body parameter, or a cycle: recorded
        eqn = made.get(v.id)
        if eqn is not None and not eqn.blocks and len(eqn.outs) == 1:
            out = eqn.outs[0].aval
            cheap = eqn.prim.recomputable or (
                eqn.prim.hoistable and out.kind == "scalar" and out.dtype is not None and out.dtype.kind in "biu")
            memo[v.id] = cheap and all(_recomputable(a, made, inside, mapping, memo) for a in eqn.ins)
    return memo[v.id]


def _recompute(v, made, inside, mapping, builder):
    """v made again in the backward loop from what it was made of (see _recomputable)."""
    if not isinstance(v, Var) or v.id not in inside:
        return v
    if v.id not in mapping:
        eqn = made[v.id]
        ins = [_recompute(a, made, inside, mapping, builder) for a in eqn.ins]
        mapping[v.id] = builder.apply(eqn.prim, ins, hint=v.hint, **eqn.params).atom
    return mapping[v.id]


def _defined_in(block):
    """Ids of the variables a block binds at its own level (parameters and equation outs)."""
    return {p.id for p in block.params} | {o.id for e in block.eqns for o in e.outs}


def _free_uses(block):
    """Variables a block reads that it does not define (in order of first use)."""
    seen, order = set(), []
    bound = set()

    def walk(b):
        bound.update(p.id for p in b.params)
        for e in b.eqns:
            for a in e.ins:
                note(a)
            for sub in e.blocks:
                walk(sub)
            bound.update(o.id for o in e.outs)
        for r in b.results:
            note(r)

    def note(a):
        if isinstance(a, Var) and a.id not in bound and a.id not in seen:
            seen.add(a.id)
            order.append(a)

    walk(block)
    return order


def _adjoint_var(v):
    """A fresh variable for v's adjoint (a loop-carried one), named after v."""
    d = Var(v.aval)
    d.adjoint_of = v
    return d


def _adjoint_or_zero(adjoint, v, maybe_missing=()):
    g = adjoint.get(v.id)
    if g is None and v.id in maybe_missing:
        return current().apply(TAPE_ZEROS, [v])
    return _zero(v) if g is None else g


def _lists_made_by_branches(block, out):
    """The lists a branch makes, and the items of lists of lists (a loop's record of such a
    list holds None for the iterations that took the other path)."""
    for eqn in block.eqns:
        if eqn.prim is COND or eqn.prim is LIST_ITEM:
            out.update(o.id for o in eqn.outs if o.aval.kind == "list")
        for b in eqn.blocks:
            _lists_made_by_branches(b, out)
    return out


def _zero_on_one_side(d_init, builder):
    """(the if, the side k) when every adjoint entering a backward loop is one if's result
    and that side of it yields zeros for all of them (the side that did not read the loop's
    result): there the sweep is skipped, as the loop may have overflowed on the way forward,
    nothing having read it, and zeros times its inf partials are nan. Else None."""
    made = {id(builder.producer(d)) if isinstance(d, Var) else None for d in d_init}
    cond = builder.producer(d_init[0]) if len(made) == 1 and isinstance(d_init[0], Var) else None
    if cond is None or cond.prim is not COND:
        return None
    at = [cond.outs.index(d) for d in d_init]
    for k, side in enumerate(cond.blocks):
        if all(yields_zero(side, side.results[j]) for j in at):
            return cond, k
    return None


def _skipped_on(where, sweep, d_init, acc_init):
    """The sweep inside an if on the same test as `where` (the if, the side yielding zeros):
    on that side its adjoints are those zeros and its sums stay as they start."""
    cond, k = where
    inner = [Var(o.aval, o.hint) for o in sweep.outs]
    run = Block([], [Eqn(FOR, sweep.ins, inner, sweep.params, sweep.loc, sweep.blocks)], inner)
    skip = Block([], [], [*d_init, *acc_init])
    return Eqn(COND, [cond.ins[0]], sweep.outs, {}, sweep.loc, (skip, run) if k == 0 else (run, skip))


def builder_apply(prim, ins):
    return current().apply(prim, ins).atom


def _zero(v):
    """The adjoint of a value nothing flowed into: 0.0 for a Python scalar, zeros otherwise."""
    if is_tape(v.aval):
        return current().apply(TAPE_ZEROS, [v])
    if v.aval.kind == "scalar":
        return T(Const(0.0))
    if v.aval.kind == "list":
        return list_zeros(v)
    return np.zeros_like(T(v))


_FLOAT64 = np.dtype(np.float64)


def _in_dtype_of(contribution, var):
    """An adjoint in its primal's dtype, as JAX takes it: a float64 partial of a float32 value
    adds a float32 contribution, a float32 partial of a Python float a Python float (so the
    adjoint's aval, the primal's, is what it holds)."""
    have, want = contribution.aval.dtype, var.aval.dtype
    if have is not None and have.kind == "c" and want is not None and want.kind != "c":
        # a real value that went into a complex one (x * w, np.fft.fft(x)) takes the real part
        # of its cotangent dL/da + i dL/db: the derivative along its own, real, direction
        contribution = real_part(contribution)
        have = contribution.aval.dtype
    if (var.aval.kind == "scalar" and same_dtype(want, _FLOAT64) and not same_dtype(have, _FLOAT64)
            and contribution.aval.shape == () and (have is None or have.kind == "f")):
        return T(builder_apply(PYTHON_FLOAT, [contribution]))  # a Python float's adjoint is one
    if (want is None or same_dtype(have, want) or (have is not None and have.kind != "f") or want.kind != "f"
            or var.aval.kind != "array" or contribution.aval.kind not in ("array", "scalar")):
        return contribution
    return contribution.astype(want)


def _is_one(atom):
    return isinstance(atom, Const) and atom.known and np.ndim(atom.value) == 0 and \
        not isinstance(atom.value, bool) and atom.value == 1


def _final(builder, param, g):
    """The adjoint as the caller receives it: shaped like the argument, never aliasing
    the caller's arrays or a read-only broadcast view."""
    if g is None:
        return _zero(param)
    if g.aval.kind == "scalar" or param.aval.kind == "scalar":
        return g
    if param.aval.dtype is not None and param.aval.dtype.kind == "f" and not same_dtype(g.aval.dtype, param.aval.dtype):
        g = g.astype(param.aval.dtype)  # a gradient has its argument's dtype (float32 x: float32 dx)
    atom = g.atom
    producer = builder.producer(atom) if isinstance(atom, Var) else None
    if producer is not None and producer.prim is BROADCAST_TO and _is_one(producer.ins[0]) and \
            param.aval.dtype is not None and param.aval.dtype.kind == "f":
        # d np.sum(x) / dx: ones, as a hand-writer makes them (not a copy of a broadcast 1.0)
        dtype = None if param.aval.dtype == np.float64 else param.aval.dtype
        out = builder.apply(ONES, [producer.ins[1]], dtype=dtype)
        out.atom.adjoint_of = param
        return out
    if isinstance(atom, Const) or (isinstance(atom, Var) and producer is None) or (
        producer is not None and producer.prim is BROADCAST_TO
    ):
        out = builder.apply(COPY, [g])
        out.atom.adjoint_of = param
        return out
    return g
