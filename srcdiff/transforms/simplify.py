"""Leave nothing a hand-writer would not write: algebraic identities (algebra.py's rules,
applied while derivative rules build IR and again here), common subexpressions, dead code."""
from dataclasses import replace

from ..ir import COND, FOR, WHILE, Block, Eqn, Function, Var
from ..ir.regions import carried_count, has_effect, loop_parts
from ..prims.creation import ONES, ONES_LIKE, ZEROS, ZEROS_LIKE
from ..prims.lists import LIST_FROM
from ..prims.shaping import COPY
from .algebra import IDENTITIES


def simplify(fn: Function) -> Function:
    alias = {}
    saved = {v.id for v in _saves(fn.body)}
    eqns = _simplify_eqns(fn.body.eqns, alias, {}, saved)
    results = [_resolve(alias, r) for r in fn.body.results]
    eqns = dead_code(hoist_invariants(eqns, saved), results)
    results = _distinct_results(eqns, results)
    return Function(fn.name, Block(fn.params, eqns, results), fn.filename, fn.lineno, fn.doc)


def _distinct_results(eqns, results):
    """Two results are two arrays: a caller writing into one must not change the other
    (np.zeros(3) made twice, or x * 2 returned twice, is one array once merged)."""
    seen, out = set(), []
    for r in results:
        if isinstance(r, Var) and r.aval.kind == "array" and r.id in seen:
            copy = Var(r.aval, r.hint)
            eqns.append(Eqn(COPY, [r], [copy]))
            r = copy
        elif isinstance(r, Var):
            seen.add(r.id)
        out.append(r)
    return out


def _resolve(alias, a):
    while isinstance(a, Var) and a.id in alias:
        a = alias[a.id]
    return a


def _simplify_eqns(eqns, alias, seen, saved):
    """Identities and common subexpressions, in order; a nested block sees (a copy of)
    what its enclosing block computed before it, never the reverse."""
    out = []
    for eqn in eqns:
        eqn = replace(eqn, ins=[_resolve(alias, a) for a in eqn.ins])
        if eqn.prim in (FOR, WHILE):
            eqn = _drop_invariant_carries(eqn, alias, saved)
        if eqn.blocks:
            eqn.blocks = tuple(_simplify_block(b, alias, dict(seen), saved) for b in eqn.blocks)
            if "saves" in eqn.params:
                eqn.params = dict(eqn.params, saves=[_resolve(alias, v) for v in eqn.params["saves"]])
            out.append(eqn)
            continue
        if any(o.id in saved for o in eqn.outs):
            out.append(eqn)  # a loop records this very variable
            continue
        if len(eqn.outs) == 1:
            op, same, _ = IDENTITIES.rewrite(eqn.prim, eqn.ins, eqn.params, _no_producer, _no_emit)
            if op is None:
                _alias(alias, eqn.outs[0], same)
                continue
        key = _key(eqn)
        if key is not None and key in seen and not _own_names(eqn, seen[key]):
            for o, p in zip(eqn.outs, seen[key]):
                _alias(alias, o, p)
            continue
        if key is not None:
            seen[key] = eqn.outs
        out.append(eqn)
    return out


def _no_producer(atom):
    return None  # identities look at one equation alone


def _no_emit(prim, atoms, params):
    raise AssertionError("an identity's replacement is one of its operands")


def _own_names(eqn, earlier):
    """`h = np.zeros(H); c = np.zeros(H)`: two named arrays that only start out alike keep
    their names (merging them would call the cell state h), as creating one costs little."""
    hints = [o.hint for o in eqn.outs]
    return (eqn.prim in (ZEROS, ONES, ZEROS_LIKE, ONES_LIKE) and all(hints)
            and hints != [p.hint for p in earlier])


def _simplify_block(block, alias, seen, saved):
    eqns = _simplify_eqns(block.eqns, alias, seen, saved)
    return Block(block.params, eqns, [_resolve(alias, r) for r in block.results])


def hoist_invariants(eqns, saved):
    """Move what a loop body computes from values made outside the loop (X.shape[0],
    a bound, a scaling factor) to before the loop, so it is computed, and recorded for
    the backward sweep, once. Only operations that cannot fail are moved: a loop that
    runs zero times must not start raising."""
    out = []
    for eqn in eqns:
        if eqn.blocks:
            blocks = []
            for b in eqn.blocks:
                body = hoist_invariants(b.eqns, saved)
                if eqn.prim in (FOR, WHILE):
                    moved, body = _split_invariant(b, body, saved)
                    out.extend(moved)
                blocks.append(Block(b.params, body, b.results))
            eqn = replace(eqn, blocks=tuple(blocks))
        out.append(eqn)
    return out


def _split_invariant(block, eqns, saved):
    inside = {p.id for p in block.params}
    moved, kept = [], []
    for eqn in eqns:
        if (eqn.prim.hoistable and not eqn.blocks
                and not any(isinstance(a, Var) and a.id in inside for a in eqn.ins)
                and not any(o.id in saved for o in eqn.outs)):
            moved.append(eqn)
        else:
            kept.append(eqn)
            inside.update(o.id for o in eqn.outs)
    return moved, kept


def _saves(block):
    for eqn in block.eqns:
        yield from eqn.params.get("saves", ())
        for b in eqn.blocks:
            yield from _saves(b)


def _alias(alias, var, target):
    alias[var.id] = target
    if var.hint and isinstance(target, Var) and not target.hint:
        target.hint = var.hint


def _key(eqn):
    if eqn.blocks or eqn.prim in (COPY, LIST_FROM) or eqn.prim.effect:
        # copies exist so that two results never share an array; two lists that start out
        # alike are appended to apart (one would be copied at every append); an effect is
        # done each time it is written (two np.random.randn(3) are two draws)
        return None
    try:
        ins = tuple(("v", a.id) if isinstance(a, Var) else ("c", type(a.value), _hashable(a.value)) for a in eqn.ins)
        # a held max is not the same value as one with a derivative (hold-shifts holds one, not both)
        return (eqn.prim, eqn.held, ins, repr(sorted(eqn.params.items(), key=lambda kv: kv[0])))
    except TypeError:
        return None


def _hashable(v):
    hash(v)
    return v


def dead_code(eqns, results):
    """Equations nothing needs are dropped; so are a cond's unused outs and a loop's
    carried values that only feed themselves."""
    need = {r.id for r in results if isinstance(r, Var)}
    kept = []
    for eqn in reversed(eqns):
        if eqn.blocks:
            eqn = _prune_region(eqn, need)
            if eqn is None:
                continue
        elif not any(o.id in need for o in eqn.outs) and not eqn.prim.effect:
            continue
        kept.append(eqn)
        need.update(a.id for a in eqn.ins if isinstance(a, Var))
        for b in eqn.blocks:
            need.update(_free_ids(b))
    kept.reverse()
    return kept


def _prune_region(eqn, need):
    if eqn.prim is COND:
        keep = [j for j, o in enumerate(eqn.outs) if o.id in need]
        if not keep and not has_effect(eqn):  # an if that only draws or prints is kept
            return None
        n_res = eqn.params.get("residuals", 0)
        first_residual = len(eqn.outs) - n_res
        params = dict(eqn.params)
        if n_res:
            params["residuals"] = sum(1 for j in keep if j >= first_residual)
            if not params["residuals"]:
                del params["residuals"]
        blocks = tuple(
            Block([], dead_code(b.eqns, [b.results[j] for j in keep]), [b.results[j] for j in keep])
            for b in eqn.blocks
        )
        return replace(eqn, outs=[eqn.outs[j] for j in keep], blocks=blocks, params=params)
    return _prune_loop(eqn, need)


def _drop_invariant_carries(eqn, alias, saved):
    """A carried value the body yields back unchanged (ds = 1.0 in a backward loop that never
    adds to it) is its initial value throughout: read that, and carry one value less."""
    n = carried_count(eqn)
    body, carried, inits = loop_parts(eqn)
    same = [j for j in range(n) if body.results[j] is carried[j] and carried[j].id not in saved]
    if not same:
        return eqn
    for j in same:
        _alias(alias, carried[j], inits[j])
        _alias(alias, eqn.outs[j], inits[j])
        if eqn.prim is WHILE:
            _alias(alias, eqn.blocks[0].params[j], inits[j])
    keep = [j for j in range(n) if j not in same]
    return _with_slots(eqn, keep, body.eqns, range(len(eqn.outs) - n))


def _with_slots(eqn, slots, body_eqns, kept_saves):
    """The loop carrying only the values in `slots` (their positions), with body_eqns as
    its body and the recorded values at positions kept_saves."""
    n = carried_count(eqn)
    body, carried, inits = loop_parts(eqn)
    lead = list(eqn.ins[:3]) if eqn.prim is FOR else []
    new_body = Block(body.params[:len(body.params) - n] + [carried[j] for j in slots], body_eqns,
                     [body.results[j] for j in slots])
    blocks = (new_body,)
    if eqn.prim is WHILE:
        cond = eqn.blocks[0]
        blocks = (Block([cond.params[j] for j in slots], cond.eqns, cond.results), new_body)
    params = dict(eqn.params)
    if "saves" in params:
        params["saves"] = [params["saves"][k] for k in kept_saves]
    return replace(eqn, ins=lead + [inits[j] for j in slots], outs=[eqn.outs[j] for j in slots] +
                   [eqn.outs[n + k] for k in kept_saves], blocks=blocks, params=params)


def _prune_loop(eqn, need):
    n = carried_count(eqn)
    saves = list(eqn.params.get("saves", ()))
    stacks = eqn.outs[n:]
    keep_saves = [k for k, s in enumerate(stacks) if s.id in need]
    body, carried, inits = loop_parts(eqn)
    slots = {j for j in range(n) if eqn.outs[j].id in need}
    while True:
        roots = [body.results[j] for j in sorted(slots)] + [saves[k] for k in keep_saves]
        body_eqns = dead_code(body.eqns, roots)
        used = _free_ids(Block([], body_eqns, roots))
        more = {j for j in range(n) if carried[j].id in used}
        if eqn.prim is WHILE:
            cond = eqn.blocks[0]
            read = _free_ids(Block([], cond.eqns, cond.results))
            more |= {j for j in range(n) if cond.params[j].id in read}
        more -= slots
        if not more:
            break
        slots |= more
    if not slots and not keep_saves and not any(has_effect(e) for e in body_eqns):
        return None
    return _with_slots(eqn, sorted(slots), body_eqns, keep_saves)



def _free_ids(block):
    """Ids of the variables a block reads from outside it."""
    bound, free = set(), set()

    def walk(b):
        bound.update(p.id for p in b.params)
        for e in b.eqns:
            free.update(a.id for a in e.ins if isinstance(a, Var) and a.id not in bound)
            for sub in e.blocks:
                walk(sub)
            bound.update(o.id for o in e.outs)
        free.update(r.id for r in b.results if isinstance(r, Var) and r.id not in bound)

    walk(block)
    return free
