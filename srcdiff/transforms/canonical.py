"""One spelling for each piece of math, before the analyses look (issue 15): each analysis
then sees the spelling it knows.

- r[:, None] of a reduction r = np.max(s, axis=1) (or of elementwise functions of it, such
  as np.log(np.sum(e, axis=1))[:, None]) is the reduction with keepdims=True: the new axes
  stand where the reduced ones stood, and nothing else reads r. The shift analysis, the
  reverse mode's adjoint of a reduction and the factoring of sums all know that spelling."""
from ..ir import Aval, Var
from ..ir.regions import read_counts, substitute
from ..prims.elementwise import NEG, UNARY
from ..prims.indexing import GETITEM
from ..prims.reductions import MAX, MEAN, MIN, SUM

_REDUCTIONS = (SUM, MAX, MIN, MEAN)
_ELEMENTWISE = (NEG, *UNARY.values())


def canonicalise(fn):
    """In place."""
    counts = read_counts(fn.body)
    alias = {}
    _block(fn.body, counts, alias)
    substitute(fn.body, alias)
    return fn


def _block(block, counts, alias):
    made = {}
    kept = []
    for eqn in block.eqns:
        for b in eqn.blocks:
            _block(b, counts, alias)
        top = _new_axes_of_a_reduction(eqn, made, counts)
        if top is not None:
            alias[eqn.outs[0].id] = top
            continue
        for o in eqn.outs:
            made[o.id] = eqn
        kept.append(eqn)
    block.eqns[:] = kept


def _new_axes_of_a_reduction(eqn, made, counts):
    """The value to read for eqn = r[:, None] when it is r with keepdims (r rewritten so),
    else None."""
    if eqn.prim is not GETITEM or len(eqn.ins) != 1 or not isinstance(eqn.ins[0], Var):
        return None
    index = eqn.params.get("index")
    index = index if isinstance(index, tuple) else (index,)
    if None not in index or not all(i is None or (isinstance(i, slice) and i == slice(None)) for i in index):
        return None
    chain, x = [], eqn.ins[0]
    while True:
        producer = made.get(x.id)
        if producer is None or counts[x.id] != 1:
            return None
        if producer.prim in _ELEMENTWISE and len(producer.ins) == 1 and isinstance(producer.ins[0], Var):
            chain.append(producer)
            x = producer.ins[0]
            continue
        break
    reduction = producer
    if reduction.prim not in _REDUCTIONS or reduction.params.get("keepdims") or not isinstance(
            reduction.ins[0], Var):
        return None
    before, out = reduction.ins[0].aval, eqn.outs[0].aval
    axis = reduction.params.get("axis")
    if not (before.known_shape and out.known_shape) or axis is None:
        return None
    axes = axis if isinstance(axis, tuple) else (axis,)
    if not all(type(a) is int for a in axes):
        return None
    ndim = len(before.shape)
    reduced = {a % ndim for a in axes}
    keep = tuple(1 if k in reduced else d for k, d in enumerate(before.shape))
    if out.shape != keep:
        return None  # the new axes stand elsewhere: not the reduction with keepdims
    reduction.params = dict(reduction.params, keepdims=True)
    for e in [reduction, *reversed(chain)]:
        a = e.outs[0].aval
        e.outs[0].aval = Aval(a.kind if a.kind != "scalar" else "array", keep, a.dtype)
    return (chain[0] if chain else reduction).outs[0]
