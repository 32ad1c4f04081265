"""Leave nothing a hand-writer would not write: algebraic identities (applied while
rules build IR, and again here), common subexpressions, dead code."""
from dataclasses import replace

import numpy as np

from ..ir import COND, FOR, WHILE, Block, Const, Eqn, Function, Var
from ..ir.regions import carried_count, loop_parts
from ..prims.broadcasting import BROADCAST_TO
from ..prims.core import Builder, current
from ..prims.creation import ARANGE, ONES, ONES_LIKE, ZEROS, ZEROS_LIKE
from ..prims.elementwise import ADD, BINARY, NEG, NONDIFF, SUB
from ..prims.indexing import GETITEM, INDEX_PUT, INDEX_UPDATE, Slot
from ..prims.linalg import TRANSPOSE
from ..prims.lists import LIST_FROM
from ..prims.reductions import SUM
from ..prims.shaping import COPY

MUL, DIV, POW = BINARY["mul"], BINARY["div"], BINARY["pow"]


def _is(atom, number):
    if not isinstance(atom, Const):
        return False
    v = atom.value
    return (type(v) in (int, float) or isinstance(v, np.floating)) and v == number


def _float_safe(atom, const):
    """x * 1.0 is x only when the product has x's dtype (an int times 1.0 is a float;
    a float32 times np.float64(1.0) is a float64; a Python float times np.float32(1.0) is
    a float32)."""
    v = const.value
    if type(v) is int:
        return True
    dt = atom.aval.dtype
    if type(v) is float:
        return dt is None or dt.kind in "fc"
    if atom.aval.kind == "scalar":  # a Python number is weak: 0.5 * np.float32(1.0) is a float32
        return dt is not None and dt == v.dtype
    return dt is not None and np.promote_types(dt, v.dtype) == dt


def _same_shape(a, b):
    sa, sb = a.aval.shape, b.aval.shape
    return sa is sb or (isinstance(sa, tuple) and sa == sb)


def identity(prim, atoms, producer=None):
    """An atom equal to prim(*atoms) with nothing computed, or None."""
    if prim not in _NEUTRAL:
        return None
    a, b = atoms
    neutral, commutes, safe = _NEUTRAL[prim]
    if _is(b, neutral) and safe(a, b):
        return a
    if commutes and _is(a, neutral) and safe(b, a):
        return b
    return None


def _always(x, const):
    return True


def _stays_float(x, const):
    """int / 1 is a float, so only floats pass through x / 1."""
    return x.aval.dtype is not None and x.aval.dtype.kind in "fc"


def _is_int(x, const):
    """x // 1 is x only for integers (for floats it rounds)."""
    return x.aval.dtype is not None and x.aval.dtype.kind in "iu"


# prim: (its neutral element, whether it also stands on the left, when x op neutral is x)
_NEUTRAL = {ADD: (0, True, _always), SUB: (0, False, _always), MUL: (1, True, _float_safe),
            DIV: (1, False, _stays_float), POW: (1, False, _always), NONDIFF["floordiv"]: (1, False, _is_int)}


def params_free_transpose(atoms, producer):
    made = producer(atoms[0]) if isinstance(atoms[0], Var) else None
    return made is not None and made.prim is TRANSPOSE and made.params.get("axes") is None


def _scaled(atom, producer):
    """(c, z) when atom is c * z with c a Python number, else None."""
    made = producer(atom) if isinstance(atom, Var) else None
    if made is None or made.prim is not MUL:
        return None
    for i in (0, 1):
        c = made.ins[i]
        if isinstance(c, Const) and type(c.value) in (int, float):
            return c.value, made.ins[1 - i]
    return None


def _fold_scales(atoms, producer):
    """(c * z) * (k * w) is ((c k) * z) * w: 0.5 * reg * (2 * W) becomes reg * W."""
    left, right = _scaled(atoms[0], producer), _scaled(atoms[1], producer)
    if left is None or right is None:
        return None
    c, z = left
    k, w = right
    scale = c * k
    if scale == 1 and _float_safe(z, Const(1.0)):
        return MUL, [z, w], None
    return None


def peephole(prim, atoms, producer, params=None):
    """What rules get for free while they build: (primitive and operands to use, or an
    atom that is the result). -1.0 * x becomes -x."""
    atoms = unbroadcast_operands(prim, atoms, producer)
    if prim is NEG and isinstance(atoms[0], Var):
        made = producer(atoms[0])
        if made is not None and made.prim is NEG and _same_shape(made.ins[0], atoms[0]):
            return prim, atoms, made.ins[0]  # --x is x
        if made is not None and made.prim is BROADCAST_TO and made.ins[0].aval.shape == () and _building(producer):
            # -np.broadcast_to(v, s) is np.broadcast_to(-v, s): one number negated
            return BROADCAST_TO, [current().apply(NEG, [made.ins[0]]).atom, made.ins[1]], None
    if prim is INDEX_UPDATE and isinstance(atoms[0], Var) and _is(atoms[1], 0):
        made = producer(atoms[0])
        if (made is not None and made.prim is INDEX_UPDATE and _is(made.ins[1], 0) and made.params == params
                and list(made.ins[2:]) == list(atoms[2:])):
            return prim, atoms, atoms[0]  # zeros written where zeros were just written
    if prim is GETITEM and _building(producer):
        zeros = _read_of_zeroed(atoms, producer, params or {})
        if zeros is not None:
            return prim, atoms, zeros
    if prim is SUM and _building(producer):
        row_values = _one_per_row(atoms[0], producer, params or {})
        if row_values is not None:
            return prim, atoms, current().apply(BROADCAST_TO, [row_values, Const(_reduced(atoms[0], params))]).atom
    if prim is TRANSPOSE and (params or {}).get("axes") is None and params_free_transpose(atoms, producer):
        return prim, atoms, producer(atoms[0]).ins[0]  # (x.T).T is x
    if prim is ADD and isinstance(atoms[0], Var) and atoms[0] is atoms[1]:
        return MUL, [Const(2), atoms[0]], None
    if prim is ADD:
        for i in (1, 0):  # a + -b is a - b (and -a + b is b - a)
            made = producer(atoms[i]) if isinstance(atoms[i], Var) else None
            if made is not None and made.prim is NEG and _same_shape(made.outs[0], made.ins[0]):
                return SUB, [atoms[1 - i], made.ins[0]], None
    if prim is MUL:
        folded = _fold_scales(atoms, producer)
        if folded is not None:
            return folded
        for i in (0, 1):  # 0.0025 * (2 * d) is 0.005 * d
            c, inner = atoms[i], _scaled(atoms[1 - i], producer)
            if isinstance(c, Const) and type(c.value) in (int, float) and inner is not None:
                return MUL, [Const(c.value * inner[0]), inner[1]], None
        for i in (0, 1):  # -x * 0.01 is x * -0.01
            made = producer(atoms[i]) if isinstance(atoms[i], Var) else None
            c = atoms[1 - i]
            if (made is not None and made.prim is NEG and isinstance(c, Const) and type(c.value) in (int, float)
                    and _same_shape(made.outs[0], made.ins[0])):
                return MUL, [made.ins[0], Const(-c.value)], None
        for i in (0, 1):
            a, other = atoms[i], atoms[1 - i]
            made = producer(a) if isinstance(a, Var) else None
            if (made is not None and made.prim is BROADCAST_TO and isinstance(made.ins[0], Const)
                    and isinstance(other, Const) and other.aval.shape == () and made.ins[0].aval.shape == ()):
                # broadcast_to(1.0, s) * 100.0 is broadcast_to(100.0, s): the scale moves inside
                return BROADCAST_TO, [Const(made.ins[0].value * other.value), made.ins[1]], None
            if _is(a, -1) and _float_safe(other, a):
                return NEG, [other], None
            made = producer(a) if isinstance(a, Var) else None
            if made is not None and made.prim is DIV and _is(made.ins[0], 1) and _float_safe(other, made.ins[0]):
                return DIV, [other, made.ins[1]], None  # g * (1 / x) is g / x
    return prim, atoms, identity(prim, atoms)


def _building(producer):
    """Whether the builder asking is the current one, so a rewrite may add an equation to it."""
    return bool(Builder._current) and current().producer == producer


def _one_per_row(z, producer, params):
    """v when z is zeros with the number v put at z[np.arange(N), y] and summed along its rows
    (the adjoint of picking each row's label in a cross-entropy): every row holds one v."""
    made = producer(z) if isinstance(z, Var) else None
    shape = z.aval.shape
    if (made is None or made.prim is not INDEX_PUT or made.params.get("accumulate")
            or made.params.get("index") != (Slot(0), Slot(1)) or not isinstance(shape, tuple) or len(shape) != 2
            or params.get("axis") not in (1, -1) or made.ins[1].aval.shape != ()):
        return None
    rows = producer(made.ins[2]) if isinstance(made.ins[2], Var) else None
    if rows is None or rows.prim is not ARANGE or len(rows.ins) != 1 or made.ins[2].aval.shape != shape[:1]:
        return None  # np.arange(N) of the rows' count: each row once
    return made.ins[1]


def _read_of_zeroed(atoms, producer, params):
    """x[idx] of x with zeros just written at that same idx: zeros (the adjoint of a value
    that a later write overwrote), so nothing flows from it."""
    made = producer(atoms[0]) if isinstance(atoms[0], Var) else None
    if (made is None or made.prim is not INDEX_UPDATE or not _is(made.ins[1], 0)
            or made.params != params or list(made.ins[2:]) != list(atoms[1:])):
        return None
    aval = GETITEM.shape([a.aval for a in atoms], params)
    if not (aval.known_shape and aval.dtype is not None):
        return None
    dtype = {} if aval.dtype == np.float64 else {"dtype": aval.dtype}
    return current().apply(ZEROS, [aval.shape], **dtype).atom


def _reduced(z, params):
    return (z.aval.shape[0], 1) if params.get("keepdims") else (z.aval.shape[0],)


def unbroadcast_operands(prim, atoms, producer):
    """broadcast_to(c, s) * y is c * y when c and y broadcast to s by themselves; an index
    assignment broadcasts by itself."""
    if prim is INDEX_PUT:
        eqn = producer(atoms[1]) if isinstance(atoms[1], Var) else None
        if eqn is not None and eqn.prim is BROADCAST_TO:
            return [atoms[0], eqn.ins[0], *atoms[2:]]
        return atoms
    if prim not in (MUL, DIV, ADD, SUB) or producer is None:
        return atoms
    out = list(atoms)
    for i, a in enumerate(atoms):
        eqn = producer(a) if isinstance(a, Var) else None
        other = atoms[1 - i]
        spread = eqn is not None and eqn.prim is BROADCAST_TO
        if spread and (_same_shape(a, other) or _spreads_to(eqn.ins[0], other, a)):
            out[i] = eqn.ins[0]
            return out  # one side only: the other keeps the result's shape
    return out


def _spreads_to(x, other, spread):
    """Whether x and other broadcast together to spread's shape: (1000, 1) / (10,) is (1000, 10)."""
    shapes = (x.aval.shape, other.aval.shape, spread.aval.shape)
    if not all(isinstance(s, tuple) for s in shapes):
        return False
    try:
        return np.broadcast_shapes(shapes[0], shapes[1]) == shapes[2]
    except ValueError:
        return False


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
        same = identity(eqn.prim, eqn.ins) if len(eqn.outs) == 1 else None
        if same is not None:
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
    if eqn.blocks or eqn.prim in (COPY, LIST_FROM):
        # copies exist so that two results never share an array; two lists that start out
        # alike are appended to apart (one would be copied at every append)
        return None
    try:
        ins = tuple(("v", a.id) if isinstance(a, Var) else ("c", type(a.value), _hashable(a.value)) for a in eqn.ins)
        return (eqn.prim, ins, repr(sorted(eqn.params.items(), key=lambda kv: kv[0])))
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
        if not keep:
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
    if not slots and not keep_saves:
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
