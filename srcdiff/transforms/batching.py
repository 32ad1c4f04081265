"""vmap as a source transformation: a function of values made into one of batches of them.

A batched value has one more axis, in front; item b of the batch is value[b]. Each equation
that reads a batched value is replaced by its primitive's batching rule (prims/batching.py
says how rules are written): np.sin(x) stays np.sin(x), x @ W stays x @ W with x now a
stack of rows, a sum over axis 0 becomes one over axis 1. What reads no batched value is
left as it is, once for the whole batch: a jvp batched over its tangents computes the
primal values once and every direction's tangent side by side, as jacfwd wants.

Regions stay regions. A loop keeps its trip count; a value it carries is batched when its
initial value or what the body makes of it is (found by iterating to a fixed point). An if
on an unbatched condition batches its branches; on a batched condition, both branches are
computed and np.where picks item by item when both are safe to run on every item
(operations that cannot raise or have effects); otherwise the if, like any operation
whose rule refuses, runs once per item in a loop over the batch:

    ys = []
    for b in range(5):
        ...                        # the unbatched equation on item b
        ys.append(y_b)
    y = np.stack(ys)

That loop is always right; it is the rule's absence that makes it slower, never wrong."""
import os
from collections import defaultdict

from .. import naming
from ..errors import Loc, NonDifferentiableError
from ..ir import CALL, COND, FOR, WHILE, Aval, Block, CallTarget, Const, Eqn, Function, Var
from ..ir.calls import copy_function
from ..ir.regions import carried_count, loop_parts, substitute
from ..prims import Builder, T
from ..prims.batching import Unbatchable, Unbatched, batched_aval, broadcast_batch, item_rank, lifted
from ..prims.core import current
from ..prims.indexing import GETITEM, Slot
from ..prims.lists import append, batched_list, concatenate, empty_list, list_aval, stack
from ..prims.elementwise import WHERE
from ..prims.shaping import COPY
from .activity import _reach

import numpy as np

INDEX = Aval("scalar", (), np.dtype(np.int64))


def batch_function(fn: Function, batched, size, name=None, draws_once=True):
    """(fn over batches of size items of the params where batched is True, which of its
    results are batched). Its params are fn's, batched ones with the batch axis in front.
    draws_once: a random draw that reads no batched value is drawn once for the whole batch
    (right for a Jacobian's directions, which share the point's draws); else a draw is
    refused (vmap's items, each of which a Python loop would draw anew for)."""
    try:
        return _Batching(size, draws_once).function(fn, batched, name or fn.name)
    except Unbatchable:  # a value that must be batched to go on (a loop's carried list) and cannot be
        raise NonDifferentiableError(f"vmap of {fn.name}: a value it carries cannot be batched", None)


def item_avals(arg_avals, axes):
    """(each argument's aval for one item, without its batch axis; the batch's length) for
    arguments batched along axes (None: not batched)."""
    sizes = {a.shape[axis] for a, axis in zip(arg_avals, axes) if axis is not None and a.known_shape}
    if any(axis is not None and not a.known_shape for a, axis in zip(arg_avals, axes)):
        raise TypeError("vmap batches arrays of known shape")
    if len(sizes) != 1:
        raise ValueError("vmap: the batched arguments have different lengths along their batch axes: "
                         f"{sorted(sizes)}" if sizes else "vmap: no argument is batched (in_axes are all None)")
    size = sizes.pop()
    items = [a if axis is None else Aval("array", a.shape[:axis] + a.shape[axis + 1:], a.dtype)
             for a, axis in zip(arg_avals, axes)]
    return items, size


def vmap_function(fn, arg_avals, axes, out_axes, size, chunk=None):
    """fn (of one item's arguments) over a batch of size: its params the arguments as given
    (arg_avals), batched along axes; each result's batch along out_axes(its number), or none
    for None. The batch axis is moved to the front on the way in and to out_axes on the way
    out, by np.moveaxis, which NumPy does without copying. chunk: at most this many items at a
    time, in a loop over chunks of them (in_chunks)."""
    name = f"vmap_{fn.name}"
    chunk = size if chunk is None or chunk >= size else chunk
    bfn, batched = batch_function(fn, [axis is not None for axis in axes], chunk, name, draws_once=False)
    params, fronts = [], {}  # a batched param's id -> the argument with its batch axis in front
    builder = Builder()
    with builder.active():
        for p, aval, axis in zip(bfn.params, arg_avals, axes):
            if axis is None or (axis == 0 and chunk == size):
                params.append(p)
                continue
            q = Var(aval, p.hint)
            params.append(q)
            fronts[p.id] = np.moveaxis(T(q), axis, 0) if axis else T(q)
    if chunk == size:
        substitute(bfn.body, {i: v.atom for i, v in fronts.items()})
        builder.eqns.extend(bfn.body.eqns)
        outs = bfn.results
    else:  # chunk items at a time: the last chunk filled up with copies of the last item
        n_chunks = -(-size // chunk)
        pad = n_chunks * chunk - size
        with builder.active():
            padded = {i: np.concatenate([v, np.repeat(v[-1:], pad, axis=0)]) if pad else v for i, v in fronts.items()}
        seeds = [p for p in bfn.params if p.id in fronts]
        outs, chunked = in_chunks(builder, bfn.body.eqns, seeds, lambda k: [
            np.reshape(padded[s.id][k * chunk:(k + 1) * chunk], s.aval.shape) for s in seeds], bfn.results,
            n_chunks, "chunks")
        with builder.active():  # a batched result that reads no item is the same for every item
            outs = [(T(o)[:size] if c else broadcast_batch(T(o)[0], size)).atom if b else o
                    for o, b, c in zip(outs, batched, chunked)]
        batched = [b or c for b, c in zip(batched, chunked)]
    results = []
    with builder.active():
        for j, (r, is_batched) in enumerate(zip(outs, batched)):
            axis = out_axes(j)
            if axis is None:
                if is_batched:
                    raise ValueError(f"vmap: out_axes is None for output {j} of {fn.name}, which varies over "
                                     "the batch")
                results.append(r)
                continue
            value = T(r) if is_batched else broadcast_batch(T(r), size)
            if axis != 0 and value.aval.ndim is None:
                raise NonDifferentiableError(
                    f"vmap: out_axes {axis} for output {j} of {fn.name}, whose rank is not known when compiling",
                    Loc(fn.filename, fn.lineno), "give that output out_axes 0 and move the axis after the call.")
            results.append((np.moveaxis(value, 0, axis) if axis != 0 else value).atom)
    return Function(name, Block(params, builder.eqns, results), fn.filename, fn.lineno,
                    f"{fn.name} over a batch of {size}, from {os.path.basename(fn.filename)}:{fn.lineno}.")


class _Batching:
    def __init__(self, size, draws_once):
        self.size = size
        self.draws_once = draws_once
        self.versions = {}  # (id(call target), mask) -> the target's batched version
        self.varied = set()  # the ids of the values computed from batched ones: a loop carries them batched

    def function(self, fn, batched, name):
        self.varied |= _reach(_edges(fn.body), [p.id for p, b in zip(fn.params, batched) if b])
        params, env = [], {}
        for p, b in zip(fn.params, batched):
            if b:
                aval = batched_aval(p.aval, self.size)
                if aval is None:
                    raise NonDifferentiableError(f"vmap over a {p.aval} argument ({p.hint or 'an argument'})", None,
                                                 "batch arrays and floats: give this argument in_axes None.")
                q = Var(aval, p.hint)
                params.append(q)
                env[p.id] = (T(q), True)
            else:
                params.append(p)
        builder = Builder()
        with builder.active():
            self.block(fn.body.eqns, env, builder)
            results = [self.read(env, r) for r in fn.results]
        return (Function(name, Block(params, builder.eqns, [r.atom for r, _ in results]), fn.filename, fn.lineno,
                         fn.doc), [b for _, b in results])

    def read(self, env, a):
        if isinstance(a, Var) and a.id in env:
            return env[a.id]
        return T(a), False

    # -- equations -----------------------------------------------------------

    def block(self, eqns, env, builder):
        for eqn in eqns:
            if not self.draws_once and draws(eqn):
                raise NonDifferentiableError(
                    "vmap of a function that draws random numbers: one draw for the batch would give every item the "
                    "same numbers, where a loop over the items draws anew for each", eqn.loc,
                    "hint: draw outside (np.random.randn(n, 3)) and pass the draws in, batched with the items.")
            ids = reads(eqn)
            if not any(env.get(i, (None, False))[1] for i in ids):
                renamed = {i: env[i][0].atom for i in ids if i in env and getattr(env[i][0].atom, "id", None) != i}
                builder.append(_reading(eqn, renamed) if renamed else eqn)
                continue
            with builder.at(eqn.loc):
                if eqn.prim in (COND, FOR, WHILE):
                    start = len(builder.eqns)
                    try:
                        (self.cond if eqn.prim is COND else self.loop)(eqn, env, builder)
                    except Unbatchable:  # what it carries or yields cannot be batched (a list that is not empty)
                        del builder.eqns[start:]
                        self.bind(env, eqn.outs, self.per_item(eqn, env, builder))
                elif eqn.prim is CALL:
                    self.call(eqn, env, builder)
                else:
                    self.primitive(eqn, env, builder)

    def primitive(self, eqn, env, builder):
        ins = [self.read(env, a) for a in eqn.ins]
        values, batched = [x for x, _ in ins], [b for _, b in ins]
        start = len(builder.eqns)
        try:
            if eqn.prim.batch is None:
                raise Unbatchable
            result = eqn.prim.batch(eqn, values, batched, self.size)
            results = list(result) if eqn.prim.nout > 1 or len(eqn.outs) > 1 else [result]
        except Unbatchable:
            del builder.eqns[start:]
            results = self.per_item(eqn, env, builder)
        if eqn.held:
            for e in builder.eqns[start:]:
                e.held = True
        self.bind(env, eqn.outs, results)

    def bind(self, env, outs, results):
        for o, r in zip(outs, results):
            if isinstance(r, Unbatched):
                value, b = r.value, False
            else:
                value, b = r, True
            value = value if isinstance(value, T) else T(value if isinstance(value, (Var, Const)) else Const(value))
            if isinstance(value.atom, Var) and not value.atom.hint:
                value.atom.hint = o.hint
                value.atom.tangent_of = value.atom.tangent_of or o.tangent_of
                value.atom.adjoint_of = value.atom.adjoint_of or o.adjoint_of
            env[o.id] = (value, b)

    def call(self, eqn, env, builder):
        """A call reading batched values calls the callee's batched version (made once per
        callee and mask), whose results are all batched."""
        ins = [self.read(env, a) for a in eqn.ins]
        mask = tuple(b for _, b in ins)
        target = eqn.params["function"]
        key = (id(target), mask)
        if key not in self.versions:
            version = CallTarget(naming.transformation("vmap", target.name))
            self.versions[key] = version
            fn = copy_function(target.function)
            bfn, flags = self.function(fn, list(mask), version.name)
            version.function = every_result_batched(bfn, flags, self.size)  # a recursion's inner call knows them
        version = self.versions[key]
        outs = [self.new_out(o) for o in eqn.outs]
        builder.append(Eqn(CALL, [x.atom for x, _ in ins], outs, {"function": version}, eqn.loc))
        self.bind(env, eqn.outs, [T(o) for o in outs])

    def new_out(self, o):
        aval = batched_aval(o.aval, self.size)
        if aval is None:
            raise NonDifferentiableError(f"vmap of a call that returns a {o.aval}", None)
        return Var(aval, o.hint)

    # -- regions -------------------------------------------------------------

    def cond(self, eqn, env, builder):
        pred, pred_batched = self.read(env, eqn.ins[0])
        if pred_batched:
            if _safe(eqn) and eqn.params.get("residuals", 0) == 0:
                return self.where(eqn, pred, env, builder)
            return self.bind(env, eqn.outs, self.per_item(eqn, env, builder))
        branches = []
        for block in eqn.blocks:
            sub = Builder(parent=builder)
            local = dict(env)
            with sub.active():
                self.block(block.eqns, local, sub)
            branches.append((sub, [self.read(local, r) for r in block.results]))
        flags = [any(results[j][1] for _, results in branches) for j in range(len(eqn.outs))]
        blocks = []
        for sub, results in branches:
            others = [next((v for _, rs in branches for v, b in [rs[j]] if b), None) for j in range(len(results))]
            with sub.active():
                yielded = [self.as_batched(x, b, f, like) for (x, b), f, like in zip(results, flags, others)]
            blocks.append(Block([], sub.eqns, yielded))
        outs = [self.new_out(o) if f else o for o, f in zip(eqn.outs, flags)]
        builder.append(Eqn(COND, [pred.atom], outs, dict(eqn.params), eqn.loc, tuple(blocks), eqn.held))
        self.bind(env, eqn.outs, [T(o) if f else Unbatched(T(o)) for o, f in zip(outs, flags)])

    def as_batched(self, x, is_batched, wanted, like=None):
        """x as a yielded value: batched where the region's out is (a placeholder None, which a
        branch that returned early yields for a value it does not make, stays as it is). A
        Python number made a batch takes the float dtype of like, the batch the other side of
        the region yields there (0.0 carried into a float32 sum stays float32, as per item)."""
        if wanted and not is_batched and not (isinstance(x.atom, Const) and x.atom.value is None):
            if x.aval.kind == "list":
                return batched_list(x, self.size).atom
            batch = broadcast_batch(x, self.size)
            dtype = like.aval.dtype if like is not None and like.aval.kind == "array" else None
            if x.aval.kind == "scalar" and dtype is not None and dtype.kind == "f" and batch.aval.dtype != dtype:
                batch = batch.astype(dtype)
            return batch.atom
        return x.atom

    def where(self, eqn, pred, env, builder):
        """Both branches, then np.where(pred, then, else) per out, item by item."""
        sides = []
        for block in eqn.blocks:
            local = dict(env)
            self.block(block.eqns, local, builder)
            sides.append([self.read(local, r) for r in block.results])
        results = []
        for (a, ab), (b, bb) in zip(*sides):
            ranks = [item_rank(a, ab), item_rank(b, bb)]
            if None in ranks:
                raise NonDifferentiableError("an if on a batched condition, of values whose shapes are not known",
                                             eqn.loc)
            rank = max(ranks)
            operands = [lifted(pred, rank), lifted(a, rank) if ab else a, lifted(b, rank) if bb else b]
            results.append(current().apply(WHERE, operands))
        self.bind(env, eqn.outs, results)

    def loop(self, eqn, env, builder):
        is_for = eqn.prim is FOR
        n = carried_count(eqn)
        body, carried, inits = loop_parts(eqn)
        if is_for and any(self.read(env, a)[1] for a in eqn.ins[:3]):
            return self.bind(env, eqn.outs, self.per_item(eqn, env, builder))
        init_values = [self.read(env, a) for a in inits]
        flags = [b or p.id in self.varied for (_, b), p in zip(init_values, carried)]
        saves = list(eqn.params.get("saves", ()))
        while True:  # the carried values that are batched: the least fixed point
            trial = self.body(eqn, env, builder, flags, saves)
            if trial is None:
                return self.bind(env, eqn.outs, self.per_item(eqn, env, builder))
            new = [f or b for f, (_, b) in zip(flags, trial[2])]
            if new == flags:
                break
            flags = new
        sub, params, results, save_values = trial
        with sub.active():
            yielded = [self.as_batched(x, b, f, init if ib else None)
                       for (x, b), f, (init, ib) in zip(results, flags, init_values)]
            # a recorded value is a variable of the body (a constant or an outer value is bound in it)
            made = {o.id for e in sub.eqns for o in e.outs} | {p.id for p in params}
            kept = [x.atom if isinstance(x.atom, Var) and x.atom.id in made else current().apply(COPY, [x]).atom
                    for x, _ in save_values]
        with builder.active():
            new_inits = [self.as_batched(x, b, f, result if rb else None)
                         for (x, b), f, (result, rb) in zip(init_values, flags, results)]
        save_flags = [b for _, b in save_values]
        new_body = Block(params, sub.eqns, yielded)
        blocks = (new_body,)
        if eqn.prim is WHILE:
            cond = self.cond_block(eqn, env, builder, flags)
            if cond is None:
                return self.bind(env, eqn.outs, self.per_item(eqn, env, builder))
            blocks = (cond, new_body)
        outs = [self.new_out(o) if f else o for o, f in zip(eqn.outs[:n], flags)]
        stacks = [Var(list_aval(x.aval, o.aval.length), o.hint) if b else o
                  for o, (x, b) in zip(eqn.outs[n:], save_values)]
        params_ = dict(eqn.params)
        if saves:
            params_["saves"] = kept
        lead = [self.read(env, a)[0].atom for a in eqn.ins[:3]] if is_for else []
        builder.append(Eqn(eqn.prim, lead + new_inits, outs + stacks, params_, eqn.loc, blocks, eqn.held))
        self.bind(env, eqn.outs, [T(o) if f else Unbatched(T(o)) for o, f in zip(outs + stacks, flags + save_flags)])

    def body(self, eqn, env, builder, flags, saves):
        """The loop's body with the carried values batched where flags say: (its builder, its
        params, the results, the recorded values), each result and recorded value with whether
        it is batched; None where a carried value cannot be batched (a tape)."""
        body, carried, _ = loop_parts(eqn)
        local = dict(env)
        params = self.params_of(carried, flags, local)
        if params is None:
            return None
        params = ([body.params[0]] if eqn.prim is FOR else []) + params
        sub = Builder(parent=builder)
        with sub.active():
            self.block(body.eqns, local, sub)
            results = [self.read(local, r) for r in body.results]
            save_values = [self.read(local, v) for v in saves]
        return sub, params, results, save_values

    def params_of(self, params, flags, local):
        """A block's parameters, batches where flags say (bound in local); None where one of
        them cannot be a batch (a tape)."""
        out = []
        for p, f in zip(params, flags):
            if not f:
                out.append(p)
                continue
            aval = batched_aval(p.aval, self.size)
            if aval is None:
                return None
            q = Var(aval, p.hint)
            q.tangent_of, q.adjoint_of = p.tangent_of, p.adjoint_of
            local[p.id] = (T(q), True)
            out.append(q)
        return out

    def cond_block(self, eqn, env, builder, flags):
        """A while loop's condition on the carried values; None where it is batched (then
        the items stop at different times, and the loop runs once per item)."""
        cond = eqn.blocks[0]
        local = dict(env)
        params = self.params_of(cond.params, flags, local)
        sub = Builder(parent=builder)
        with sub.active():
            self.block(cond.eqns, local, sub)
            result, b = self.read(local, cond.results[0])
        if b:
            return None
        return Block(params, sub.eqns, [result.atom])

    # -- the loop over the batch, where no rule applies ----------------------

    def per_item(self, eqn, env, builder):
        """The equation once per item: b-th items of its batched operands (and of the batched
        values its blocks read), its results stacked."""
        read = {i for i in reads(eqn) if env.get(i, (None, False))[1]}
        for i in read:
            aval = env[i][0].aval
            if aval.kind != "array":
                raise NonDifferentiableError(
                    f"vmap of {_what(eqn)} reading a batched {aval}: no batching rule, and its items cannot be taken",
                    eqn.loc, "batch arrays; or move this out of the batched function.")
        if draws(eqn):
            raise NonDifferentiableError(f"vmap of {_what(eqn)} that draws random numbers and reads a batched value: "
                                         "run once per item, it would draw anew for each", eqn.loc)
        for o in eqn.outs:
            if o.aval.kind not in ("array", "scalar"):
                raise NonDifferentiableError(
                    f"vmap of {_what(eqn)}, which makes a {o.aval}: it has no batching rule", eqn.loc,
                    "write it with operations that have one (grammar.md, vmap), or move it out of the batched "
                    "function.")
        k = Var(INDEX, "b")
        inner = Builder(parent=builder)
        mapping = {}
        with inner.active():
            for i in sorted(read):
                item = current().apply(GETITEM, [env[i][0], T(k)], index=(Slot(0),), as_tuple=False)
                mapping[i] = item.atom
            copied = _copy_eqn(eqn, mapping, env)
            if copied.prim is COND:
                _fill_placeholders(copied)
            inner.append(copied)
            # an item that may be a view of a batch (_sum_to of an item that is already its shape, a
            # branch yielding its operand) is copied: the batch may be written into before the stack
            items = [T(o) if _fresh(copied, j) else current().apply(COPY, [T(o)]) for j, o in enumerate(copied.outs)]
            lists = [Var(list_aval(o.aval), o.hint and f"{o.hint}s") for o in copied.outs]
            grown = [append(T(lst), item).atom for lst, item in zip(lists, items)]
        outs = appending_loop(builder, k, Block([k] + lists, inner.eqns, grown), self.size, eqn.loc)
        with builder.active():
            return [stack(T(o)) for o in outs]


def every_result_batched(fn, batched, size, start=0):
    """fn (batched) with its results from start on all batches: one the same for every item
    as size copies of it. In place."""
    with Builder().active() as tail:
        results = list(fn.results[:start]) + [r if b else broadcast_batch(T(r), size).atom
                                               for r, b in zip(fn.results[start:], batched[start:])]
    fn.body.eqns.extend(tail.eqns)
    fn.body.results[:] = results
    return fn


def _fresh(eqn, j):
    """Whether out j of the equation is surely a new array (its primitive's fresh fact), or a number."""
    if eqn.outs[j].aval.kind == "scalar":
        return True
    fresh = eqn.prim.fresh if not eqn.blocks else False
    return fresh[j] if isinstance(fresh, tuple) else bool(fresh)


def _edges(block, edges=None):
    """edges[a] = the ids of the values computed from variable a (whether or not
    differentiably: a comparison of batched values is batched), through regions too."""
    edges = defaultdict(set) if edges is None else edges

    def link(a, b):
        if isinstance(a, Var):
            edges[a.id].add(b.id)

    for eqn in block.eqns:
        for b in eqn.blocks:
            _edges(b, edges)
        if eqn.prim is COND:
            for branch in eqn.blocks:
                for r, o in zip(branch.results, eqn.outs):
                    link(r, o)
            for o in eqn.outs:
                link(eqn.ins[0], o)
        elif eqn.prim in (FOR, WHILE):
            body, carried, inits = loop_parts(eqn)
            for init, param, result, out in zip(inits, carried, body.results, eqn.outs):
                link(init, param)
                link(result, param)
                link(result, out)
                link(init, out)
            if eqn.prim is WHILE:  # a condition on batched values: the items stop at different times
                for param, out in zip(carried, eqn.outs):
                    link(eqn.blocks[0].results[0], param)
                    link(eqn.blocks[0].results[0], out)
            for v, stack in zip(eqn.params.get("saves", ()), eqn.outs[carried_count(eqn):]):
                link(v, stack)
        elif not eqn.prim.same_for_items:  # (a batch's shape does not vary with its items)
            for a in eqn.ins:
                for o in eqn.outs:
                    link(a, o)
    return edges


def draws(eqn):
    """Whether the equation draws random numbers (an effect nothing outside sees, unlike a
    print), in its blocks too."""
    return (eqn.prim.effect and not eqn.prim.observable) or any(draws(e) for b in eqn.blocks for e in b.eqns)


def _what(eqn):
    return {COND: "an if", FOR: "a loop", WHILE: "a while loop", CALL: "a call"}.get(eqn.prim, eqn.prim.name)


def _safe(eqn):
    """Whether every operation in the blocks can run on any item: none raises or has an effect
    (the hoistable fact, ir/op.py), so both branches may be computed and np.where pick."""
    return all(not e.blocks and e.prim.hoistable and not e.prim.effect for b in eqn.blocks for e in b.eqns)


def partition(eqns, seeds):
    """(equations that read none of the seeds, even through others; the rest, in order;
    the ids of the seeds and of what the rest make from them).
    A new list that only the rest reads is made in the loop, where it is appended to
    (made before it, each iteration would append to a copy)."""
    depends = set(seeds)
    before, inside = [], []
    for eqn in eqns:
        if reads(eqn) & depends:
            inside.append(eqn)
            depends.update(o.id for o in eqn.outs)
        else:
            before.append(eqn)
    read_before = set().union(*map(reads, before)) if before else set()
    made_inside = [e for e in before if not e.blocks and e.prim.fresh
                   and all(o.aval.kind == "list" and o.id not in read_before for o in e.outs)]
    return [e for e in before if e not in made_inside], made_inside + inside, depends


def reads(eqn):
    """The ids an equation reads, its blocks' reads of outer values (and records) included."""
    ids = {a.id for a in eqn.ins if isinstance(a, Var)}
    ids.update(v.id for v in eqn.params.get("saves", ()))
    for b in eqn.blocks:
        for e in b.eqns:
            ids |= reads(e)
        ids.update(r.id for r in b.results if isinstance(r, Var))
    return ids


def _fill_placeholders(eqn):
    """A cond run per item, whose branch yields None for a value only the other makes (a
    residual, a value returned early): zeros of its shape there, so that the items' values
    stack (an item's is read only where that item took the branch that made it)."""
    for block in eqn.blocks:
        for j, (r, out) in enumerate(zip(block.results, eqn.outs)):
            aval = out.aval
            if isinstance(r, Const) and r.value is None:
                if aval.kind == "scalar" and aval.dtype is not None:  # a Python number
                    block.results[j] = Const(aval.dtype.type(0).item())
                    continue
                if not (aval.kind == "array" and aval.known_shape and aval.dtype is not None):
                    raise NonDifferentiableError("vmap of an if on a value of the item, one of whose branches makes a "
                                                 "value of unknown shape that the other does not", eqn.loc)
                block.results[j] = Const(np.zeros(aval.shape, aval.dtype))


def _reading(eqn, mapping):
    """The equation (a copy, its blocks' equations too) reading mapping[v.id] for v: an
    unbatched value a rule made anew (the length of a batched list)."""
    def copy(e):
        blocks = tuple(Block(list(b.params), [copy(x) for x in b.eqns], list(b.results)) for b in e.blocks)
        return Eqn(e.prim, list(e.ins), list(e.outs), dict(e.params), e.loc, blocks, e.held)

    new = copy(eqn)
    holder = Block([], [new], [])
    substitute(holder, mapping)
    return holder.eqns[0]


def _copy_eqn(eqn, mapping, env):
    """The equation with fresh variables for everything it makes, reading mapping's values
    for the batched ones it reads and env's for the rest."""
    new = {}

    def atom(a):
        if not isinstance(a, Var):
            return a
        if a.id in mapping:
            return mapping[a.id]
        if a.id in new:
            return new[a.id]
        if a.id in env:
            return env[a.id][0].atom
        return a

    def var(v):
        w = Var(v.aval, v.hint)
        w.tangent_of, w.adjoint_of = v.tangent_of, v.adjoint_of
        new[v.id] = w
        return w

    def copy(e):
        ins = [atom(a) for a in e.ins]
        blocks = []
        for b in e.blocks:
            params = [var(p) for p in b.params]
            eqns = [copy(x) for x in b.eqns]
            blocks.append(Block(params, eqns, [atom(r) for r in b.results]))
        params = dict(e.params)
        if "saves" in params:
            params["saves"] = [atom(v) for v in params["saves"]]
        return Eqn(e.prim, ins, [var(o) for o in e.outs], params, e.loc, tuple(blocks), e.held)

    return copy(eqn)


def in_chunks(builder, eqns, seeds, make_seeds, items, n_chunks, hint):
    """for k in range(n_chunks): the equations that depend on the seeds, with the seeds
    make_seeds(k) gives, each item made from them appended to a list; what does not depend
    on them once, before the loop. (The items, each the concatenation of its chunks, or as it
    is where it does not depend on the seeds; which of them were chunked):

        chunks = []
        for chunk in range(4):
            x_dot = directions[chunk * 25:(chunk + 1) * 25]
            ...
            chunks.append(y_dot)
        y_dot = np.concatenate(chunks)
    """
    before, inside, depends = partition(eqns, {s.id for s in seeds})
    for eqn in before:
        builder.append(eqn)
    kept = [j for j, item in enumerate(items) if isinstance(item, Var) and item.id in depends]
    k = Var(INDEX, "chunk")
    body = Builder(parent=builder)
    with body.active():
        values = make_seeds(T(k))
        for eqn in inside:
            body.append(eqn)
        lists = [Var(list_aval(items[j].aval), hint) for j in kept]
        grown = [append(T(lst), T(items[j])).atom for lst, j in zip(lists, kept)]
    block = Block([k] + lists, body.eqns, grown)
    substitute(block, {s.id: v.atom for s, v in zip(seeds, values)})
    outs = appending_loop(builder, k, block, n_chunks, builder.loc)
    result = list(items)
    with builder.active():
        for j, out in zip(kept, outs):
            result[j] = concatenate(T(out)).atom
    return result, [j in kept for j in range(len(items))]


def appending_loop(builder, k, block, trips, loc):
    """for k in range(trips): block, whose parameters after k are lists it appends one item
    to each time (its results): appended to builder, each list starting empty. Its outs: the
    lists, of trips items each."""
    lists = block.params[1:]
    with builder.active():
        inits = [empty_list().atom for _ in lists]
    outs = [Var(Aval("list", lst.aval.shape, lst.aval.dtype, length=trips, mixed=lst.aval.mixed), lst.hint)
            for lst in lists]
    builder.append(Eqn(FOR, [Const(0), Const(trips), Const(1), *inits], outs, {}, loc, (block,)))
    return outs
