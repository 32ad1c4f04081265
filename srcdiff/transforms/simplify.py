"""Leave nothing a hand-writer would not write: algebraic identities (applied while
rules build IR, and again here), common subexpressions, dead code."""
from dataclasses import replace

import numpy as np

from ..ir import Block, Const, Function, Var
from ..prims.broadcasting import BROADCAST_TO
from ..prims.elementwise import ADD, BINARY, NEG, SUB
from ..prims.indexing import INDEX_PUT
from ..prims.shaping import COPY

MUL, DIV, POW = BINARY["mul"], BINARY["div"], BINARY["pow"]


def _is(atom, number):
    if not isinstance(atom, Const):
        return False
    v = atom.value
    return (type(v) in (int, float) or isinstance(v, np.floating)) and v == number


def _float_safe(atom, const):
    """x * 1.0 is x only when the product has x's dtype (an int times 1.0 is a float;
    a float32 times np.float64(1.0) is a float64)."""
    v = const.value
    if type(v) is int:
        return True
    dt = atom.aval.dtype
    if type(v) is float:
        return dt is None or dt.kind in "fc"
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


# prim: (its neutral element, whether it also stands on the left, when x op neutral is x)
_NEUTRAL = {ADD: (0, True, _always), SUB: (0, False, _always), MUL: (1, True, _float_safe),
            DIV: (1, False, _stays_float), POW: (1, False, _always)}


def peephole(prim, atoms, producer):
    """What rules get for free while they build: (primitive and operands to use, or an
    atom that is the result). -1.0 * x becomes -x."""
    atoms = unbroadcast_operands(prim, atoms, producer)
    if prim is ADD and isinstance(atoms[0], Var) and atoms[0] is atoms[1]:
        return MUL, [Const(2), atoms[0]], None
    if prim is MUL:
        for i in (0, 1):
            a, other = atoms[i], atoms[1 - i]
            if _is(a, -1) and _float_safe(other, a):
                return NEG, [other], None
            made = producer(a) if isinstance(a, Var) else None
            if made is not None and made.prim is DIV and _is(made.ins[0], 1) and _float_safe(other, made.ins[0]):
                return DIV, [other, made.ins[1]], None  # g * (1 / x) is g / x
    return prim, atoms, identity(prim, atoms)


def unbroadcast_operands(prim, atoms, producer):
    """broadcast_to(c, s) * y is c * y when y already has shape s; an index assignment
    broadcasts by itself."""
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
        if eqn is not None and eqn.prim is BROADCAST_TO and _same_shape(a, other):
            out[i] = eqn.ins[0]
    return out


def simplify(fn: Function) -> Function:
    alias = {}

    def resolve(a):
        while isinstance(a, Var) and a.id in alias:
            a = alias[a.id]
        return a

    seen = {}
    eqns = []
    for eqn in fn.body.eqns:
        ins = [resolve(a) for a in eqn.ins]
        eqn = replace(eqn, ins=ins)
        same = identity(eqn.prim, ins) if eqn.prim.nout == 1 and not eqn.blocks else None
        if same is not None:
            _alias(alias, eqn.outs[0], same)
            continue
        key = _key(eqn)
        if key is not None and key in seen:
            for o, p in zip(eqn.outs, seen[key]):
                _alias(alias, o, p)
            continue
        if key is not None:
            seen[key] = eqn.outs
        eqns.append(eqn)
    results = [resolve(r) for r in fn.body.results]
    eqns = dead_code(eqns, results)
    return Function(fn.name, Block(fn.params, eqns, results), fn.filename, fn.lineno, fn.doc)


def _alias(alias, var, target):
    alias[var.id] = target
    if var.hint and isinstance(target, Var) and not target.hint:
        target.hint = var.hint


def _key(eqn):
    if eqn.blocks or eqn.prim is COPY:
        return None  # copies exist so that two results never share an array
    try:
        ins = tuple(("v", a.id) if isinstance(a, Var) else ("c", type(a.value), _hashable(a.value)) for a in eqn.ins)
        return (eqn.prim, ins, repr(sorted(eqn.params.items(), key=lambda kv: kv[0])))
    except TypeError:
        return None


def _hashable(v):
    hash(v)
    return v


def dead_code(eqns, results):
    need = {r.id for r in results if isinstance(r, Var)}
    kept = []
    for eqn in reversed(eqns):
        if any(o.id in need for o in eqn.outs):
            kept.append(eqn)
            need.update(a.id for a in eqn.ins if isinstance(a, Var))
    kept.reverse()
    return kept
