"""What the writer needs to know before it writes: which temporaries are written
inline, and until when each variable's value is needed (so a dead name can be
given to a new value, as a person reassigns `x = x - lr * dx`).

Positions number the equations in the order they are written. A value used
inside a loop but made outside it is needed until the loop ends (the next
iteration reads it again); a value written inline is needed where its
consumer is written."""
from collections import defaultdict

import numpy as np

from ..ir import COND, FOR, WHILE, Var
from ..ir.regions import loop_parts
from ..prims.core import shares_memory
from ..prims.lists import LIST_APPEND, LIST_FROM

FOREVER = float("inf")


class Plan:
    def __init__(self, fn):
        self.pos = {}  # id(eqn) -> position
        self.end = {}  # id(eqn) -> last position inside the region (itself for plain equations)
        self.def_pos = {}  # var id -> position where it is bound
        self.owner = {}  # var id -> the equation that binds it (None for function parameters)
        self.uses = defaultdict(list)  # var id -> [(position, enclosing regions, consuming equation)]
        self.use_count = defaultdict(int)
        self.saved = set()  # var ids recorded by a loop for the backward sweep
        self.yielded = set()  # var ids some block yields
        self.inline = set()
        self._count = 0
        self._chains = {}  # id(eqn) -> the regions it is nested in, outermost first
        self._var_chain = {}  # var id -> the regions its binding is nested in
        for p in fn.params:
            self.def_pos[p.id] = -1
            self.owner[p.id] = None
        self._walk(fn.body, chain=())
        for v in self.saved:  # recorded right after it is made: that append is a use
            self.uses[v].append((self.def_pos[v], self._var_chain[v], None))
            self.use_count[v] += 1
        for r in fn.body.results:
            if isinstance(r, Var):
                self.uses[r.id].append((FOREVER, (), None))
                self.use_count[r.id] += 1
        self._choose_inline(fn.body)
        self.last_use = {v: self._last(v) for v in self.uses}
        self.views = _views(fn)
        self.owned = _owned(fn, self)

    # -- traversal ---------------------------------------------------------------

    def _walk(self, block, chain):
        for eqn in block.eqns:
            p = self._count
            self._count += 1
            self.pos[id(eqn)] = p
            self._chains[id(eqn)] = chain
            for a in eqn.ins:
                self._use(a, p, chain, eqn)
            for v in eqn.params.get("saves", ()):
                self.saved.add(v.id)
            inner = chain + (eqn,)
            for b in eqn.blocks:
                for param in b.params:
                    self.def_pos[param.id] = p
                    self.owner[param.id] = eqn
                    self._var_chain[param.id] = inner
                self._walk(b, inner)
            self.end[id(eqn)] = self._count - 1
            for b in eqn.blocks:
                for r in b.results:  # read after the block's last statement
                    self._use(r, self.end[id(eqn)] + 0.5, inner, None)
                    if isinstance(r, Var):
                        self.yielded.add(r.id)
            for o in eqn.outs:
                self.def_pos[o.id] = p if not eqn.blocks else self.end[id(eqn)] + 0.75  # after its results
                self.owner[o.id] = eqn
                self._var_chain[o.id] = chain

    def _use(self, a, position, chain, consumer):
        if isinstance(a, Var):
            self.uses[a.id].append((position, chain, consumer))
            self.use_count[a.id] += 1

    # -- inlining ----------------------------------------------------------------

    def _choose_inline(self, block):
        for eqn in block.eqns:
            for b in eqn.blocks:
                self._choose_inline(b)
            if (len(eqn.outs) != 1 or eqn.blocks or eqn.prim.emit_stmts is not None
                    or eqn.prim.inplace is not None or eqn.prim.effect):
                continue  # statements, not expressions; an effect (a draw) is done where it is written
            v = eqn.outs[0]
            if self.use_count[v.id] != 1 or v.hint or v.id in self.saved or self._named_adjoint(v):
                continue
            (position, chain, consumer), = self.uses[v.id]
            if consumer is not None and consumer.prim.inplace and consumer.ins[0] is v:
                continue  # a value changed in place needs a name
            if position == FOREVER:
                self.inline.add(v.id)  # written straight into the return
            elif self._same_level(eqn, chain, consumer) and not self._written_before_read(eqn, block):
                self.inline.add(v.id)

    def _written_before_read(self, eqn, block):
        """Whether inlining eqn would move its read of an array past a write into that array
        (dv = g[i]; g[i] = 0.0; dx[i] += dv * 2.0): named, it is read first, and the write
        may change g itself rather than a copy."""
        reads = {a.id for a in eqn.ins if isinstance(a, Var)}
        end, statement = self.pos[id(eqn)], eqn
        while True:  # where the expression is finally written: the end of a chain of inlinable uses
            v = statement.outs[0] if len(statement.outs) == 1 else None
            if v is None or self.use_count[v.id] != 1 or v.hint:
                break
            (position, _, consumer), = self.uses[v.id]
            if consumer is None or position == FOREVER:
                break
            end, statement = position, consumer
        return any(e.prim.inplace is not None and isinstance(e.ins[0], Var) and e.ins[0].id in reads
                   and self.pos[id(eqn)] < self.pos[id(e)] < end for e in block.eqns)

    def _named_adjoint(self, v):
        """An adjoint whose primal has a name in the code is a statement named after it."""
        for primal in (v.adjoint_of, v.tangent_of):
            if primal is not None and (bool(primal.hint) or (primal.id in self.def_pos and primal.id not in self.inline)):
                return True
        return False

    def _same_level(self, eqn, chain, consumer):
        """Inline only where the value is used in the same block (not into a loop body,
        where it would be computed again at every iteration). A block's results count
        as used at the end of that block."""
        return chain == self._chains[id(eqn)]

    # -- liveness ----------------------------------------------------------------

    def _last(self, var_id):
        last = -1
        for position, chain, consumer in self.uses[var_id]:
            last = max(last, self._effective(var_id, position, chain, consumer))
        return last

    def effective(self, var_id, position, chain, consumer):
        """Where a use really reads the value: later if its consumer is written inline elsewhere,
        at the loop's end if it is inside a loop the value comes from outside of."""
        return self._effective(var_id, position, chain, consumer)

    def _effective(self, var_id, position, chain, consumer):
        if position == FOREVER:
            return FOREVER
        if consumer is not None and len(consumer.outs) == 1 and consumer.outs[0].id in self.inline:
            inner = consumer.outs[0].id
            position = max(position, self._last(inner))
        defined_in = self.owner.get(var_id)
        for region in chain:
            if region.prim in (FOR, WHILE) and not self._inside(defined_in, region):
                # the next iteration reads it again: alive past the body's last statement too
                position = max(position, self.end[id(region)] + 0.5)
        return position

    def _inside(self, eqn, region):
        """Whether eqn (binding the variable) is region itself or nested in it."""
        if eqn is None:
            return False
        p = self.pos[id(eqn)]
        return self.pos[id(region)] <= p <= self.end[id(region)]


def _owned(fn, plan):
    """Ids of the variables whose value is an object no one else holds: made by an
    operation that allocates (prim.fresh), or carried/merged only from such values that
    nothing else reads afterwards (a loop's initial value read again after the loop
    would share its object). Those can be changed in place once dead; anything else
    (an argument, a view, an element read from a list) is copied first."""
    owned = set()
    regions = []

    def walk(block):
        for eqn in block.eqns:
            for b in eqn.blocks:
                walk(b)
            if eqn.blocks:
                regions.append(eqn)
                owned.update(o.id for o in eqn.outs)  # optimistic; refuted below
                for b in eqn.blocks:
                    owned.update(p.id for p in b.params)
            elif eqn.prim.fresh:
                fresh = eqn.prim.fresh if isinstance(eqn.prim.fresh, tuple) else (True,) * len(eqn.outs)
                owned.update(o.id for o, made in zip(eqn.outs, fresh) if made)

    walk(fn.body)
    owned -= _stored(fn.body)
    # a value a loop records is held by the record too (and is the next iteration's value of
    # what it carries): a += e on it changed the record (a_saved.append(a), then a += ARR)
    owned -= plan.saved

    def ok(a, until, region):
        """a's object may be handed over to region: owned, and neither it nor anything else
        that may be it (another region's out) is read after position `until`."""
        if not isinstance(a, Var):
            # a number is not an object anything changes; an array constant is one the module
            # shares (a global array: a_dot = ARR, then a_dot[i] = ... wrote into ARR)
            return not isinstance(a.value, np.ndarray)
        own = {o.id for _, o in _passed_through(region)}
        own |= set().union(*(plan.views.get(o, set()) for o in own))  # what is made of the outs sees their final value
        others = plan.views.get(a.id, set()) - own
        return (a.id in owned and plan.last_use.get(a.id, -1) <= until
                and all(plan.last_use.get(v, -1) <= until and v not in plan.saved for v in others))

    for eqn in regions:  # one object yielded to two outs (a = a_1 in a branch) is owned by neither
        sources = [list(b.results) for b in eqn.blocks if b.results]
        if eqn.prim is not COND:
            sources.append(list(loop_parts(eqn)[2]))
        for atoms in sources:
            ids = [a.id for a in atoms if isinstance(a, Var)]
            shared = {i for i in ids if ids.count(i) > 1}
            for j, a in enumerate(atoms):
                if isinstance(a, Var) and a.id in shared and j < len(eqn.outs):
                    owned.discard(eqn.outs[j].id)
                    if eqn.prim is not COND:
                        owned.discard(loop_parts(eqn)[1][j].id)

    # a loop writing into a carried array it may not change (an argument, a global) takes a
    # copy of it once, before the loop, rather than one per write
    copied = {}  # id of a loop's carried parameter -> its initial value, copied before the loop
    for eqn in regions:
        if eqn.prim is not COND:
            body, params, inits = loop_parts(eqn)
            written = _written_in_place(body)
            copied.update((p.id, i) for p, i in zip(params, inits)
                          if p.id in written and i.aval.kind == "array" and i.aval.known_shape and i.aval.shape != ())

    changed = True
    while changed:
        changed = False
        for eqn in regions:
            start, end = plan.pos[id(eqn)], plan.end[id(eqn)]
            if eqn.prim is COND:
                pairs = [(o, [(b.results[j], end + 0.5) for b in eqn.blocks]) for j, o in enumerate(eqn.outs)]
            else:
                body, params, inits = loop_parts(eqn)
                n = len(body.results)
                pairs = []
                for j in range(n):
                    init = [] if params[j].id in copied else [(inits[j], start)]
                    sources = init + [(body.results[j], end + 0.5)]
                    pairs.append((eqn.outs[j], sources))
                    pairs.append((params[j], sources))
                    if eqn.prim is WHILE:
                        pairs.append((eqn.blocks[0].params[j], sources))
            for var, sources in pairs:
                if var.id in owned and not all(ok(s, until, eqn) for s, until in sources):
                    owned.discard(var.id)
                    changed = True
    for eqn in regions:  # where the initial value could have been handed over, no copy is needed
        if eqn.prim is not COND:
            start = plan.pos[id(eqn)]
            for p in loop_parts(eqn)[1]:
                if p.id in copied and (p.id not in owned or ok(copied[p.id], start, eqn)):
                    del copied[p.id]
    plan.copied = set(copied)
    return owned


def _written_in_place(block):
    """Ids of the values a block (or a region in it) changes in place, as prim.inplace does."""
    ids = set()
    for eqn in block.eqns:
        if eqn.prim.inplace is not None and eqn.ins and isinstance(eqn.ins[0], Var):
            ids.add(eqn.ins[0].id)
        for b in eqn.blocks:
            ids |= _written_in_place(b)
    return ids


def _stored(block):
    """Ids of values put into a list (hs.append(h), [a, b]): the list holds the same object,
    so changing it in place would change the list's item too."""
    ids = set()
    for eqn in block.eqns:
        if eqn.prim is LIST_APPEND or eqn.prim is LIST_FROM:
            ids.update(a.id for a in (eqn.ins[1:] if eqn.prim is LIST_APPEND else eqn.ins) if isinstance(a, Var))
        for b in eqn.blocks:
            ids |= _stored(b)
    return ids


def _passed_through(eqn):
    """(source, out) pairs of a region whose out may be the very object its source is."""
    if not eqn.blocks:
        return []
    if eqn.prim is COND:
        pairs = [(b.results[j], o) for b in eqn.blocks for j, o in enumerate(eqn.outs) if j < len(b.results)]
    else:
        body, params, inits = loop_parts(eqn)
        pairs = [(a, o) for a, o in zip(inits, eqn.outs)] + list(zip(inits, params))
    return [(a, o) for a, o in pairs if isinstance(a, Var)]


def _views(fn):
    """var id -> ids of the values that may share its memory (views of it, transitively):
    while one of them is still read, the array must not be changed in place."""
    views = {}

    def walk(block):
        for eqn in block.eqns:
            for b in eqn.blocks:
                walk(b)
            if eqn.ins and isinstance(eqn.ins[0], Var) and shares_memory(eqn, unknown=True):
                base = eqn.ins[0].id
                views.setdefault(base, set()).update(o.id for o in eqn.outs)
            for source, out in _passed_through(eqn):  # a loop that does not run gives back its init
                views.setdefault(source.id, set()).add(out.id)

    walk(fn.body)
    changed = True
    while changed:  # a view of a view
        changed = False
        for base, vs in views.items():
            more = set().union(*(views.get(v, set()) for v in vs)) - vs
            if more:
                vs |= more
                changed = True
    return views
