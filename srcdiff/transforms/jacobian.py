"""Whole Jacobians as IR, so that a Jacobian can be differentiated again.

Forward mode (jacfwd) runs the forward-mode derivative once per input element, along
each basis direction; reverse mode (jacrev) runs the forward sweep once, then the
backward sweep once per output element, from each basis cotangent. Either is a for
loop whose body is that derivative's code (what does not depend on the direction is
computed once, before the loop), appending each column (row) to a list that is stacked
after the loop:

    columns = []
    for k in range(6):
        x_dot = np.zeros(6)
        x_dot[k] = 1.0
        ...
        columns.append(y_dot)
    jacobian = np.stack(columns, axis=-1).reshape((4, 2, 3))

Several inputs (tuple argnums) share one loop over all their elements, and several
outputs one loop over all of theirs, as JAX's jacfwd and jacrev do. With one element
there is no loop, and with none the Jacobian is zeros. The mode only changes the
cost: the results are the same."""
import numpy as np

from .. import naming
from ..errors import NonDifferentiableError
from ..ir import COND, FOR, Aval, Block, Const, Eqn, Function, Var, same_dtype
from ..ir.regions import has_effect, substitute
from ..prims import Builder, T
from ..prims.core import current
from ..prims.indexing import INDEX_PUT, Slot
from ..prims.lists import append, list_aval, stack
from ..prims.shaping import FLOAT as PYTHON_FLOAT
from .forward import jvp_function
from .reverse import grad_function, vjp_function
from .algebra import DERIVATIVE_RULES
from .batching import appending_loop, batch_function, draws, in_chunks, partition

INDEX = Aval("scalar", (), np.dtype(np.int64))


def jacobian_function(fn: Function, wrt, mode, rules=DERIVATIVE_RULES, chunk=None) -> Function:
    """(params...) -> d(results[j])/d(params[wrt[i]]) for every j, then i (result-major),
    each of shape results[j].shape + params[wrt[i]].shape. mode: "fwd", "rev" or "auto". Its
    dtype is JAX's: by forward mode a tangent's (the output's), otherwise a cotangent's (the
    input's), so hessian(f) of a float32 x is float32 (it is jacfwd of jacrev). chunk: at
    most this many directions at once (JAX's chunk_size), in a loop over chunks of them,
    which holds chunk copies of a tangent where all directions at once hold them all."""
    ins = [fn.params[i] for i in wrt]
    outs = list(fn.results)
    for p in ins:
        if not (p.aval.known_shape and p.aval.dtype is not None and p.aval.dtype.kind == "f"):
            raise TypeError(f"the Jacobian of {fn.name} is taken wrt float arguments of known shape; "
                            f"{p.hint or 'an argument'} is {p.aval}")
    out_shapes = [_output_shape(fn, r) for r in outs]
    n = [int(np.prod(p.aval.shape, dtype=int)) for p in ins]
    m = [None if s is None else int(np.prod(s, dtype=int)) for s in out_shapes]
    total_m = None if None in m else sum(m)
    by_output = mode == "fwd"
    if mode == "auto":
        mode = "fwd" if total_m is None or sum(n) < total_m else "rev"
    elif mode == "rev" and total_m is None:
        mode = "fwd"  # the rows need the outputs' sizes; the columns give the same Jacobian
    builder = Builder(rules=rules)
    with builder.active():
        if mode == "fwd":
            jacobians = _forward(fn, wrt, n, out_shapes, builder, chunk)
        elif len(outs) == 1 and out_shapes[0] == ():
            jacobians = _gradient(fn, wrt, builder)
        else:
            jacobians = _reverse(fn, wrt, m, out_shapes, builder, chunk)
        results = []
        for j, r in enumerate(outs):
            for i, p in enumerate(ins):
                results.append(_finish(jacobians[j][i], r, out_shapes[j], p, _dtype(r.aval, p.aval, by_output)).atom)
    return Function(naming.transformation("jacobian", fn.name), Block(list(fn.params), builder.eqns, results),
                    fn.filename, fn.lineno, fn.doc)


def _output_shape(fn, r):
    aval = r.aval
    if aval.kind not in ("array", "scalar"):
        raise TypeError(f"{fn.name} returns a {aval}; a Jacobian is of float and array outputs")
    return aval.shape if aval.known_shape else None


def _dtype(out, x, by_output):
    """A Jacobian's dtype: the output's for jacfwd (a tangent's), the input's otherwise (a
    cotangent's, as grad's), and where the output's is not known or not a float's. So block
    (i, j) of a Hessian (jacfwd of jacrev) has input i's dtype, a Python float's float64."""
    if by_output and out.kind in ("array", "scalar") and out.dtype is not None and out.dtype.kind == "f":
        return out.dtype
    return x.dtype


def _finish(jac, out, out_shape, x, dtype):
    """The Jacobian as the caller gets it: shaped out.shape + x.shape, in its dtype."""
    if _is_zero(jac):
        if out_shape is None:  # zeros like the output, with x's axes after its own
            return np.zeros_like(T(out), dtype=dtype)[(Ellipsis,) + (None,) * x.aval.ndim] + _zeros(
                x.aval.shape, dtype)
        return _zeros(out_shape + x.aval.shape, dtype)
    jac = T(jac) if not isinstance(jac, T) else jac
    if out_shape is not None and (not jac.aval.known_shape or jac.aval.shape != out_shape + x.aval.shape):
        jac = np.reshape(jac, out_shape + x.aval.shape)
    if not same_dtype(jac.aval.dtype, dtype):
        jac = jac.astype(dtype)
    if isinstance(jac.atom, Const):  # the caller's own array, not one every call returns
        jac = np.copy(jac)
    return jac


def _zeros(shape, dtype):
    return current().call(np.zeros, (shape,), {"dtype": dtype})


# -- directions ---------------------------------------------------------------


def _one_hot(total, k, dtype):
    """The basis vector k of R^total: a constant when there is one, else zeros with a one put at k."""
    if k is None:
        return T(Const(np.ones(total, dtype)))
    return current().apply(INDEX_PUT, [(total,), 1.0, k], index=(Slot(0),), as_tuple=False, accumulate=False,
                           dtype=dtype, hint="e")


def _seed_dtype(avals):
    """The dtype the basis directions are made in: the float arrays' (float64 where there are none)."""
    dtypes = [a.dtype for a in avals if a.kind == "array" and a.dtype is not None and a.dtype.kind == "f"]
    return np.result_type(*dtypes) if dtypes else np.dtype(np.float64)


def _directions(avals, sizes, k, names, as_tangent):
    """One direction per value (params of a forward pass, results of a backward one) from
    the one-hot vector over all their elements: the value's slice of it, in its shape and
    dtype, named after the value (x_dot, dy)."""
    total = sum(sizes)
    dtype = _seed_dtype(avals)
    hot = _one_hot(total, k, dtype)
    out, offset = [], 0
    for aval, size, name in zip(avals, sizes, names):
        if k is None and len(avals) == 1:  # the one direction: ones of the value's shape
            d = T(Const(1.0 if aval.kind == "scalar" else (aval.dtype or dtype).type(1.0) if aval.shape == ()
                        else np.ones(aval.shape, aval.dtype or dtype)))
        elif aval.kind == "scalar":  # a Python float's direction is one, weakly typed as its aval says
            d = current().apply(PYTHON_FLOAT, [hot[offset]])
        else:
            d = hot if len(avals) == 1 else hot[offset:offset + size]
            if aval.shape != (size,):
                d = d.reshape(aval.shape)
        if (aval.kind != "scalar" and aval.dtype is not None and aval.dtype.kind == "f"
                and not same_dtype(d.aval.dtype, aval.dtype)):
            d = d.astype(aval.dtype)
        if isinstance(d.atom, Var):
            d.atom.hint = ""
            if as_tangent:
                d.atom.tangent_of = name
            elif isinstance(name, Var) and name.hint:
                d.atom.adjoint_of = name
            else:
                d.atom.hint = naming.cotangent()  # the cotangent of an output with no name
        out.append(d)
        offset += size
    return out


# -- forward mode: one column per input element ------------------------------


def _forward(fn, wrt, sizes, out_shapes, builder, chunk=None):
    total = sum(sizes)
    n_results = len(fn.results)
    if total == 0:
        return [[Const(0.0)] * len(wrt) for _ in fn.results]
    jfn = jvp_function(fn, wrt, rules=builder.rules)
    tangents = jfn.params[len(fn.params):]
    columns = jfn.results[n_results:]
    avals = [t.aval for t in tangents]
    names = [fn.params[i] for i in wrt]
    if total == 1:
        directions = _directions(avals, sizes, None, names, True)
        _bind(builder, jfn.body.eqns, tangents, directions)
        columns = [_substituted(c, tangents, directions) for c in columns]
        if avals[0].shape == ():  # the one column is the Jacobian wrt a scalar
            return [[Const(0.0) if _is_zero(c) else _broadcast(T(c), s)] for c, s in zip(columns, out_shapes)]
        stacked = [None if _is_zero(c) else np.expand_dims(_broadcast(T(c), s), -1)
                   for c, s in zip(columns, out_shapes)]
    else:
        stacked = _batched(builder, jfn, len(fn.params), avals, sizes, names, True, n_results, out_shapes, chunk)
        if stacked is None:
            stacked = _loop(builder, jfn.body.eqns, tangents, avals, sizes, names, True, columns,
                            [_column_fixer(s) for s in out_shapes], "columns", axis=-1)
    per_output = []
    for jac, shape in zip(stacked, out_shapes):
        if jac is None:
            per_output.append([Const(0.0)] * len(wrt))
            continue
        parts = _split(jac, sizes, axis=-1)
        per_output.append([_unflatten_last(part, shape, fn.params[i].aval.shape)
                           for part, i in zip(parts, wrt)])
    return per_output


def _unflatten_last(jac, out_shape, shape):
    """jac's last axis, one per element of an input, as that input's axes."""
    size = int(np.prod(shape, dtype=int))
    if shape == (size,):
        return jac
    if out_shape is not None:
        return np.reshape(jac, out_shape + shape)
    if shape == ():
        return jac[..., 0]
    # the output's shape is known only when running: pick the elements in the input's shape
    return jac[..., np.arange(size).reshape(shape)]


def _column_fixer(shape):
    return lambda c: _broadcast(c, shape)


def _broadcast(c, shape):
    """A tangent with its output's shape (one that is zero by construction is 0.0)."""
    if shape is not None and c.aval.known_shape and c.aval.shape != shape:
        return np.broadcast_to(c, shape)
    return c


def _is_zero(c):
    return isinstance(c, Const) and isinstance(c.value, (int, float)) and c.value == 0


def _split(jac, sizes, axis):
    """The Jacobian's part for each input (or output) along one axis of the stacked one."""
    if len(sizes) == 1:
        return [jac]
    parts, offset = [], 0
    for size in sizes:
        index = (slice(offset, offset + size),) if axis == 0 else (Ellipsis, slice(offset, offset + size))
        parts.append(jac[index])
        offset += size
    return parts


# -- reverse mode: one row per output element ---------------------------------


def _gradient(fn, wrt, builder):
    """A scalar function's Jacobian is its gradient: one backward sweep."""
    gfn = grad_function(fn, wrt, rules=builder.rules)
    for eqn in gfn.body.eqns:
        builder.append(eqn)
    return [[T(g) if isinstance(g, Var) else g for g in gfn.results]]


def _reverse(fn, wrt, sizes, out_shapes, builder, chunk=None):
    total = sum(sizes)
    if total == 0:
        return [[Const(0.0)] * len(wrt) for _ in fn.results]
    vfn = vjp_function(fn, wrt, rules=builder.rules)
    cotangents = vfn.params[len(fn.params):]
    rows = vfn.results
    avals = [g.aval for g in cotangents]
    names = [r if isinstance(r, Var) else None for r in fn.results]
    params = [fn.params[i] for i in wrt]
    if total == 1:
        directions = _directions(avals, sizes, None, names, False)
        _bind(builder, vfn.body.eqns, cotangents, directions)
        stacked = [T(_substituted(r, cotangents, directions)) for r in rows]
        stacked = [np.reshape(r, (1,) + p.aval.shape) for r, p in zip(stacked, params)]
    else:
        stacked = _batched(builder, vfn, len(fn.params), avals, sizes, names, False, 0, None, chunk)
        if stacked is None:
            stacked = _loop(builder, vfn.body.eqns, cotangents, avals, sizes, names, False, rows,
                            [lambda r: r] * len(rows), "rows", axis=0)
        stacked = [r if r is not None else _zeros((total,) + p.aval.shape, p.aval.dtype)
                   for r, p in zip(stacked, params)]
    by_input = [_split(r, sizes, axis=0) for r in stacked]
    return [[by_input[i][j] for i in range(len(wrt))] for j in range(len(fn.results))]


# -- every direction at once --------------------------------------------------


def _batched(builder, dfn, n_primals, avals, sizes, names, as_tangent, skip, out_shapes, chunk=None):
    """The derivative (dfn: a JVP, or a VJP, whose params after the primals are the seeds)
    batched over every direction in one pass (transforms/batching.py): the seeds are the rows
    of the identity, and each item (column, or row) comes out as a batch, stacked on axis 0;
    with chunk, chunk directions at a time in a loop over them. Columns are moved to the last
    axis. None where the derivative cannot be batched (the loop over directions is taken then)."""
    total = sum(sizes)
    if out_shapes is not None and None in out_shapes:
        return None  # a column's axes are moved behind the output's, whose rank is not known
    chunk = total if chunk is None or chunk >= total else chunk
    flags = [False] * n_primals + [True] * (len(dfn.params) - n_primals)
    try:
        bfn, batched = batch_function(dfn, flags, chunk)
    except NonDifferentiableError:
        return None
    seeds, items = bfn.params[n_primals:], bfn.results[skip:]
    if chunk == total:
        directions = _identity_directions(avals, sizes, names, as_tangent, builder, None, chunk)
        _bind(builder, bfn.body.eqns, seeds, directions)
        items = [_substituted(item, seeds, directions) for item in items]
    else:
        n_chunks = -(-total // chunk)
        chunked = _draws_refused(bfn.body.eqns, seeds)
        with builder.active():
            columns = current().call(np.arange, (chunk,), {})
        items, _ = in_chunks(builder, chunked, seeds, lambda k: _identity_directions(  # (in the loop's body)
            avals, sizes, names, as_tangent, current(), _identity_rows(k, columns, n_chunks, total, avals), chunk),
            items, n_chunks, "chunks")
    stacked = []
    with builder.active():
        for j, (item, is_batched) in enumerate(zip(items, batched[skip:])):
            if not is_batched:  # the same for every direction: zero, as it is linear in the seed
                stacked.append(None)
                continue
            item = T(item)
            if chunk != total:
                item = item[:total]
            if out_shapes is not None:
                shape = (total,) + out_shapes[j]
                if not item.aval.known_shape:
                    item = np.reshape(item, shape)
                elif item.aval.shape != shape:
                    item = np.broadcast_to(item, shape)
                item = np.moveaxis(item, 0, -1)
            item.atom.hint = "jacobian"
            stacked.append(item)
    return stacked


def _draws_refused(eqns, seeds):
    """The equations, refused where a loop over chunks would run a draw again for each chunk."""
    _, inside, _ = partition(eqns, {s.id for s in seeds})
    for eqn in inside:
        if draws(eqn):
            raise NonDifferentiableError(
                "a draw of random numbers that computes tangents would run again for each chunk of the Jacobian, "
                "drawing anew", eqn.loc, "hint: leave chunk_size out, or draw outside and pass the draws in.")
    return eqns


def _identity(total, avals):
    dtype = _seed_dtype(avals)
    eye = current().call(np.eye, (total,), {})
    return eye.astype(dtype) if dtype != np.float64 else eye


def _identity_rows(k, columns, n_chunks, total, avals):
    """Rows k * chunk to (k + 1) * chunk of the identity of size total (zero rows past its last),
    made for the chunk alone: a chunk holds chunk rows, never the whole identity. columns:
    np.arange(chunk)."""
    dtype = _seed_dtype(avals)
    chunk = columns.aval.shape[0]
    rows = current().apply(INDEX_PUT, [(chunk, n_chunks * chunk), 1.0, columns, k * chunk + columns],
                           index=(Slot(0), Slot(1)), as_tuple=True, accumulate=False, dtype=dtype)
    rows.atom.hint = "directions"
    return rows[:, :total] if n_chunks * chunk != total else rows


def _identity_directions(avals, sizes, names, as_tangent, builder, rows, size):
    """Each seed's part of rows of the identity (all of them: rows None), in the seed's shape
    behind the batch axis of this size."""
    total = sum(sizes)
    out, offset = [], 0
    with builder.active():
        eye = _identity(total, avals) if rows is None else rows
        for aval, n, name in zip(avals, sizes, names):
            d = eye if len(avals) == 1 else eye[:, offset:offset + n]
            shape = () if aval.kind == "scalar" else aval.shape
            if shape != (n,) or not d.aval.known_shape:
                d = d.reshape((size,) + shape)
            if aval.kind == "array" and aval.dtype is not None and aval.dtype.kind == "f" and \
                    not same_dtype(d.aval.dtype, aval.dtype):
                d = d.astype(aval.dtype)
            if as_tangent:
                d.atom.tangent_of = name
            elif isinstance(name, Var) and name.hint:
                d.atom.adjoint_of = name
            else:
                d.atom.hint = naming.cotangent()
            out.append(d)
            offset += n
    return out


# -- the loop -----------------------------------------------------------------


def _loop(builder, eqns, seeds, avals, sizes, names, as_tangent, items, fix, hint, axis):
    """for k in range(total): the equations that depend on the seeds, with seed k, each
    item (column or row) appended to its list; the rest before the loop. Returns each
    item stacked along axis, or None for one that is zero."""
    total = sum(sizes)
    before, inside, depends = partition(eqns, {s.id for s in seeds})
    for eqn in inside:
        if eqn.blocks and draws(eqn):
            raise NonDifferentiableError(
                f"a {'loop' if eqn.prim is FOR or len(eqn.blocks) == 1 else 'branch'} that draws random numbers (an "
                "effect) and computes tangents would run again for each column of the Jacobian, drawing anew",
                eqn.loc, "hint: srcdiff.jacrev(srcdiff.grad(f)) draws once (its forward part runs before its loop "
                "over rows); or draw before the loop (np.random.randn(n, m)) and index the draws inside it.")
    for eqn in before:
        builder.append(eqn)
    stacked = [None] * len(items)
    # an item that does not read the seed is zero: it is linear in the seed, and the same
    # for seed e and for 2 e (np.zeros_like of a value that has no tangent)
    kept = [j for j, item in enumerate(items) if isinstance(item, Var) and item.id in depends]
    if not kept:
        return stacked
    k = Var(INDEX, "k")
    body = Builder(parent=builder)
    with body.active():
        directions = _directions(avals, sizes, T(k), names, as_tangent)
        if any(has_effect(e, "observable") for e in inside):
            # a print among what the loop repeats runs once per call, as the function's does
            first = (T(k) == 0).atom
            first.hint = "first"
            inside = _on_first(inside, first)
        for eqn in inside:
            body.append(eqn)
        grown, lists = [], []
        for j in kept:
            item = fix[j](T(_substituted(items[j], seeds, directions)))
            lst = Var(list_aval(item.aval), hint)
            lists.append(lst)
            grown.append(append(T(lst), item).atom)
    block = Block([k] + lists, body.eqns, grown)
    substitute(block, {s.id: d.atom for s, d in zip(seeds, directions)})
    outs = appending_loop(builder, k, block, total, builder.loc)
    with builder.active():
        for j, out in zip(kept, outs):
            stacked[j] = stack(T(out), axis=axis)
            stacked[j].atom.hint = "jacobian"
    return stacked


def _on_first(eqns, first):
    """The equations, each print (an observable effect, ir/op.py) among them, in their loops
    and ifs too, under `if first:`."""
    out = []
    for e in eqns:
        if e.blocks and has_effect(e, "observable"):
            e = Eqn(e.prim, e.ins, e.outs, e.params, e.loc,
                    tuple(Block(b.params, _on_first(b.eqns, first), b.results) for b in e.blocks), e.held)
        elif e.prim.observable:
            e = Eqn(COND, [first], [], {}, e.loc, (Block([], [e], []), Block([], [], [])))
        out.append(e)
    return out


def _bind(builder, eqns, seeds, directions):
    """The equations, with the seeds replaced by their (constant) directions."""
    mapping = {s.id: d.atom for s, d in zip(seeds, directions)}
    block = Block([], list(eqns), [])
    substitute(block, mapping)
    for eqn in block.eqns:
        builder.append(eqn)


def _substituted(atom, seeds, directions):
    for s, d in zip(seeds, directions):
        if isinstance(atom, Var) and atom.id == s.id:
            return d.atom
    return atom
