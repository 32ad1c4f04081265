"""One spelling for each piece of math, before the analyses look (issue 15): each analysis
then sees the spelling it knows.

- r[:, None] of a reduction r = np.max(s, axis=1) (or of elementwise functions of it, such
  as np.log(np.sum(e, axis=1))[:, None]) is the reduction with keepdims=True: the new axes
  stand where the reduced ones stood, and nothing else reads r. The shift analysis, the
  reverse mode's adjoint of a reduction and the factoring of sums all know that spelling.
  The other way round, np.sum(x, axis=1, keepdims=True).reshape(shape without that
  axis) is the sum without keepdims, for the factoring of sums to see.
- A column times a row, u[:, None] * v[None, :] (or u[:, None] * v, u.reshape(-1, 1) * v,
  np.expand_dims(u, 1) * v[None], in either order), is np.outer(u, v): the same numbers,
  bit for bit, and the spelling the accumulation of outer products over a loop's steps
  knows. Only a product whose operands are known to be exactly (n, 1) and (1, m) or (m,)
  is rewritten: an (n, k) operand broadcast against a row is not an outer product."""
import numpy as np

from ..ir import Aval, Var
from ..ir.regions import read_counts, substitute
from ..prims import Builder
from ..prims.core import wrap
from ..prims.elementwise import BINARY, NEG, UNARY
from ..prims.indexing import GETITEM, unit_axes_source
from ..prims.linalg import OUTER
from ..prims.reductions import MAX, MEAN, MIN, SUM
from ..prims.shaping import RESHAPE

_REDUCTIONS = (SUM, MAX, MIN, MEAN)
_ELEMENTWISE = (NEG, *UNARY.values())
MUL = BINARY["mul"]


def canonicalise(fn):
    """In place."""
    counts = read_counts(fn.body)
    alias = {}
    _block(fn.body, counts, alias)
    substitute(fn.body, alias)
    return fn


def _block(block, counts, alias, outside=None):
    """outside: the producers of the values the enclosing blocks made, which a nested
    block reads."""
    made = {}
    seen = dict(outside or {})
    kept = []
    for eqn in block.eqns:
        for b in eqn.blocks:
            _block(b, counts, alias, seen)
        top = _new_axes_of_a_reduction(eqn, made, counts) or _kept_axes_reshaped_away(eqn, made, counts)
        if top is not None:
            alias[eqn.outs[0].id] = top
            continue
        for e in _column_times_row(eqn, seen) or [eqn]:
            for o in e.outs:
                made[o.id] = seen[o.id] = e
            kept.append(e)
    block.eqns[:] = kept


def _column_times_row(eqn, made):
    """The equations making eqn's value as np.outer(u, v) when eqn multiplies a column of n
    numbers by a row of m (n, m > 1), else None."""
    if eqn.prim is not MUL or not all(isinstance(a, Var) and a.aval.known_shape for a in eqn.ins):
        return None
    out = eqn.outs[0].aval
    if not out.known_shape or len(out.shape) != 2 or 1 in out.shape:
        return None
    n, m = out.shape
    for column, row in (eqn.ins, eqn.ins[::-1]):
        if column.aval.shape == (n, 1) and row.aval.shape in ((1, m), (m,)):
            break
    else:
        return None
    builder = Builder(loc=eqn.loc)
    with builder.active():
        u, v = (as_vector(x, k, made) for x, k in ((column, n), (row, m)))
        product = builder.apply(OUTER, [u, v])
    if product.aval != out:
        return None  # not the product's dtype
    builder.eqns[-1].outs[0] = eqn.outs[0]
    return builder.eqns


def as_vector(a, n, made):
    """A row or column of n numbers as a vector (see as_shape)."""
    return as_shape(a, (n,), made)


def as_shape(a, shape, made):
    """a, of as many numbers, in this shape, which differs from a's in length-1 axes only:
    v itself for v[:, None], v[None], np.expand_dims(v, 0) or v.reshape((1, n)) when v
    has the shape (made: the producers of the values in view), else a reshape of v or a."""
    if a.aval.shape == shape:
        return wrap(a)
    source = unit_axes_source(made.get(a.id) if isinstance(a, Var) else None)
    if source is not None and source.aval.shape == shape:
        return wrap(source)
    return np.reshape(wrap(a if source is None else source), shape)


def _new_axes_of_a_reduction(eqn, made, counts):
    """The value to read for eqn = r[:, None] when it is r with keepdims (r rewritten so),
    else None."""
    if eqn.prim is not GETITEM or len(eqn.ins) != 1 or not isinstance(eqn.ins[0], Var):
        return None
    index = eqn.params.get("index")
    index = index if isinstance(index, tuple) else (index,)
    if None not in index or not all(i is None or (isinstance(i, slice) and i == slice(None)) for i in index):
        return None
    found = _reduction_under(eqn.ins[0], made, counts)
    out = eqn.outs[0].aval
    if found is None or found[0].params.get("keepdims") or not out.known_shape:
        return None
    reduction, chain, reduced = found
    keep = tuple(1 if k in reduced else d for k, d in enumerate(reduction.ins[0].aval.shape))
    if out.shape != keep:
        return None  # the new axes stand elsewhere: not the reduction with keepdims
    return _reshaped(reduction, chain, keep, True)


def _kept_axes_reshaped_away(eqn, made, counts):
    """The value to read for eqn = r.reshape(shape) when r is a reduction with keepdims and
    shape its shape without the kept axes (as reverse mode takes an adjoint summed to a
    (k, 1, d) operand back to the (k, d) it was made from): r without keepdims (r
    rewritten so), else None."""
    if eqn.prim is not RESHAPE or not isinstance(eqn.ins[0], Var):
        return None
    found = _reduction_under(eqn.ins[0], made, counts)
    out = eqn.outs[0].aval
    if found is None or not found[0].params.get("keepdims") or not out.known_shape:
        return None
    reduction, chain, reduced = found
    without = tuple(d for k, d in enumerate(reduction.ins[0].aval.shape) if k not in reduced)
    if out.shape != without or without == ():
        return None
    return _reshaped(reduction, chain, without, False)


def _reduction_under(x, made, counts):
    """(reduction, chain, reduced axes) when x is a reduction along known axes, or unary
    elementwise functions (the chain, outermost first) of one, each value read once;
    else None."""
    chain = []
    while True:
        producer = made.get(x.id)
        if producer is None or counts[x.id] != 1:
            return None
        if producer.prim in _ELEMENTWISE and len(producer.ins) == 1 and isinstance(producer.ins[0], Var):
            chain.append(producer)
            x = producer.ins[0]
            continue
        break
    if producer.prim not in _REDUCTIONS or not isinstance(producer.ins[0], Var):
        return None
    before, axis = producer.ins[0].aval, producer.params.get("axis")
    if not before.known_shape or axis is None:
        return None
    axes = axis if isinstance(axis, tuple) else (axis,)
    if not all(type(a) is int for a in axes):
        return None
    return producer, chain, {a % len(before.shape) for a in axes}


def _reshaped(reduction, chain, shape, keepdims):
    """The chain's value, the reduction now taken with keepdims as given, so of this shape."""
    reduction.params = dict(reduction.params, keepdims=keepdims)
    for e in [reduction, *reversed(chain)]:
        a = e.outs[0].aval
        e.outs[0].aval = Aval(a.kind if a.kind != "scalar" else "array", shape, a.dtype)
    return (chain[0] if chain else reduction).outs[0]
