"""Sums over a loop's iterations of outer products, taken after the loop as one matrix product.

Backpropagation through time adds np.outer(dz, h) into a weight's gradient at every step:
T outer products and T additions of a whole matrix. Recording dz and h at each step and
taking np.stack(dzs).T @ np.stack(hs) once after the loop is the same sum in one BLAS call,
as fast LSTM implementations do it; a vector added at every step beside such a product (a
bias's gradient beside its weight's) becomes one np.sum over the rows recorded for it. A
loop is rewritten so only when it surely runs at least once (np.stack of no rows fails)
and the running total is read nowhere but in its own update. Only np.outer is looked for:
the canonical passes (canonical.py) make every spelling of a column times a row one,
dz[:, None] * h[None, :] as the user or a VJP rule writes it."""
import numpy as np

from .. import naming
from ..ir import FOR, Var, same_dtype
from ..ir.regions import carried_count, loop_parts, read_counts, static_trips
from ..prims import Builder
from ..prims.core import STACK_LIST, wrap
from ..prims.creation import ZEROS, ZEROS_LIKE
from ..prims.elementwise import ADD
from ..prims.indexing import GETITEM, Slot, unit_axes_source
from ..prims.linalg import MATMUL, OUTER, TRANSPOSE
from ..prims.lists import LIST_ITEM, list_aval
from ..prims.reductions import SUM
from .simplify import _with_slots


def defer_outer_sums(fn):
    """fn with every running total of outer products in a loop summed after the loop (in place)."""
    fn.body.eqns[:] = _block(fn.body.eqns)
    return fn


def _block(eqns):
    out = []
    made = {}
    for eqn in eqns:
        for b in eqn.blocks:
            b.eqns[:] = _block(b.eqns)
        if eqn.prim is FOR:
            eqn, after = _defer(eqn, made)
        else:
            after = []
        for e in [eqn, *after]:
            out.append(e)
            made.update((o.id, e) for o in e.outs)
    return out


def _defer(eqn, made):
    """(the loop without the running totals it can leave to the end, the equations that total them)."""
    trips = static_trips(eqn)
    if not trips:
        return eqn, []
    body, carried, inits = loop_parts(eqn)
    n = carried_count(eqn)
    uses = read_counts(body)
    local = {o.id: e for e in body.eqns for o in e.outs}
    deferred = {}  # slot -> the row vectors whose outer product (or the one vector) it adds up
    for j in range(n):
        rows = _terms(carried[j], body.results[j], uses, local, trips, eqn.params.get("reverse", False))
        if rows is not None:
            deferred[j] = rows
    # a vector total is left to the end only beside an outer product of that vector (a bias
    # beside its weight), whose rows are recorded anyway: recording T vectors to add one
    # would take T times the memory of the running total
    recorded = {v.id for rows in deferred.values() if len(rows) == 2 for v in rows}
    deferred = {j: rows for j, rows in deferred.items() if len(rows) == 2 or rows[0].id in recorded}
    if not deferred:
        return eqn, []
    updates = {id(local[body.results[j].id]) for j in deferred}
    kept = [j for j in range(n) if j not in deferred]
    loop = _with_slots(eqn, kept, [e for e in body.eqns if id(e) not in updates], range(len(eqn.outs) - n))
    saves = loop.params.setdefault("saves", [])
    lists = dict(zip((v.id for v in saves), loop.outs[len(kept):]))
    builder = Builder(loc=eqn.loc)
    index = body.params[0]
    whole = _whole_rows(eqn, trips, builder)
    stacked = {}

    def rows_of(v):
        """(v at every step as the rows of a matrix, whether they are in the loop's order)."""
        if v.id not in stacked:
            outside = whole(local.get(v.id), index, local)
            if outside is not None:
                stacked[v.id] = outside, not eqn.params.get("reverse")
            else:
                if v.id not in lists:
                    lists[v.id] = Var(list_aval(v.aval, length=trips), v.hint and naming.saved(v.hint))
                    saves.append(v)
                    loop.outs.append(lists[v.id])
                stacked[v.id] = builder.apply(STACK_LIST, [lists[v.id]]).atom, True
        return stacked[v.id]

    def loop_order(v):
        """v's rows in the order the loop ran (X[::-1] for a backward loop)."""
        rows, in_loop_order = rows_of(v)
        if not in_loop_order:
            if v.id not in flipped:
                flipped[v.id] = builder.apply(GETITEM, [rows], index=(slice(None, None, -1),), as_tuple=False).atom
            rows = flipped[v.id]
        return rows

    flipped = {}
    for j, vectors in deferred.items():
        if len(vectors) == 2:
            a, b = (loop_order(v) for v in vectors)
            total = builder.apply(MATMUL, [builder.apply(TRANSPOSE, [a], _method=True).atom, b]).atom
        else:
            total = builder.apply(SUM, [rows_of(vectors[0])[0]], axis=0).atom
        init, out = inits[j], eqn.outs[j]
        if not _zeros_like(init, out, made) or total.aval != out.aval:
            total = builder.apply(ADD, [init, total]).atom
        builder.eqns[-1].outs[0] = out  # the loop's out, now computed after it
    return loop, builder.eqns


def _whole_rows(eqn, trips, builder):
    """A function giving, for the equation making a step's vector (local: the body's
    equations), all steps' vectors as one matrix when they are already rows of one, in
    index order, else None: X for X[t], np.stack(h_saved) for h_saved[t], and
    np.stack(r_saved).reshape((T, m)) for r_saved[t].reshape((m,)) of recorded (1, m)
    rows, when the loop runs t over range(len(X))."""
    start, _, step = (a.aval.value for a in eqn.ins[:3])
    if (start, step) != (0, 1):
        return lambda made, index, local: None
    stacks = {}

    def whole(made, index, local):
        source = unit_axes_source(made)
        if source is not None and isinstance(source, Var) and source.id in local:
            rows = whole(local[source.id], index, local)
            if rows is None:
                return None
            with builder.active():
                return np.reshape(wrap(rows), (trips, *made.outs[0].aval.shape)).atom
        if made is None or len(made.ins) != 2 or made.ins[1] is not index:
            return None
        source = made.ins[0]
        if made.prim is GETITEM and made.params.get("index") == (Slot(0),) and not made.params.get("as_tuple") \
                and isinstance(source.aval.shape, tuple) and source.aval.shape[:1] == (trips,):
            return source
        if made.prim is LIST_ITEM and source.aval.length == trips and isinstance(source, Var):
            if source.id not in stacks:
                stacks[source.id] = builder.apply(STACK_LIST, [source]).atom
            return stacks[source.id]
        return None

    return whole


# A forward loop's outer-product total (acc = acc + np.outer(a, b) over T steps) is left to
# after the loop, as one matrix product of the stacked rows instead of T outer products
# added one by one, only while recording the rows (T * (len(a) + len(b)) numbers) takes
# at most this many times the memory of the total (len(a) * len(b)), which the running
# total alone never needed. 4 is a judgement, not a measurement: it lets a square n x n
# total go for up to 2n steps. A backward loop has no limit: its forward loop recorded
# rows of the same size anyway.
ROWS_MEMORY = 4


def _terms(param, result, uses, local, trips, reverse):
    """[a, b] when the body's only use of param is result = param + np.outer(a, b), with a and
    b vectors the body computes; [v] for result = param + v with v a vector of param's
    shape; else None. A backward loop's rows are the size of what its forward loop
    recorded; a forward loop's are recorded only while they take no more than ROWS_MEMORY
    times the memory of the total."""
    update = local.get(getattr(result, "id", None))
    shape = param.aval.shape
    if (update is None or update.prim is not ADD or uses[param.id] != 1 or uses[result.id] != 1
            or not isinstance(shape, tuple) or not shape or sum(a is param for a in update.ins) != 1):
        return None
    term = update.ins[1] if update.ins[0] is param else update.ins[0]
    if not isinstance(term, Var) or term.id not in local:
        return None
    made = local[term.id]
    if made.prim is OUTER and len(shape) == 2:
        a, b = made.ins
        if all(isinstance(v, Var) and v.id in local and v.aval.shape == (k,) for v, k in zip((a, b), shape)) \
                and (reverse or trips * sum(shape) <= ROWS_MEMORY * shape[0] * shape[1]):
            return [a, b]
    if len(shape) == 1 and term.aval.shape == shape and same_dtype(term.aval.dtype, param.aval.dtype):
        return [term]
    return None


def _zeros_like(init, out, made):
    """Whether a loop's initial value is zeros of its out's shape and dtype, which adds nothing."""
    e = made.get(getattr(init, "id", None))
    return e is not None and e.prim in (ZEROS, ZEROS_LIKE) and init.aval == out.aval
