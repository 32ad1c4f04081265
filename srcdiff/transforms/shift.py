"""The max a softmax or log-sum-exp subtracts for stability gets no derivative.

`s - np.max(s, axis=1, keepdims=True)` followed by a log-softmax, a softmax or a
log-sum-exp gives a result that does not change when the max changes: the derivative
through the max is zero, and a hand-writer never computes it. Differentiating it anyway
costs a reduction, a comparison and several full-size temporaries, and the sum it
adds is zero only up to rounding.

The max m is held (computed as written, with no derivative, as under stop_gradient)
when every use of it provably cancels. The proof
follows a shift c of m through its uses: a value moves by +c or -c (additive), or is
scaled by exp(+c) or exp(-c) (multiplicative), or does not move at all (invariant);
exp and log turn one kind into the other, x - y of two values that move alike and
x / y of two that scale alike are invariant. Reductions may only run along axes where
c is constant (m was reduced along them). Anything else, or a moving value leaving the
block (as a result, or recorded by its loop), and m keeps its derivative.
"""
from ..ir import COND, FOR, WHILE, Var


def drop_shift_gradients(fn):
    """Hold stabilising maxima, in fn's body and every region. In place."""
    _block(fn.body, set())
    return fn


def _block(block, recorded):
    """recorded: the ids of the values of this block that its loop records (the loop's
    saves, in a derivative inlined here): they leave the block as its results do."""
    for eqn in block.eqns:
        saves = {v.id for v in eqn.params.get("saves", ())}
        for b in eqn.blocks:
            _block(b, saves)
        if eqn.prim.shift == "extremum" and eqn.prim.differentiable and _cancels(block, eqn, recorded):
            eqn.held = True  # no derivative: stop_gradient on its result, with no statement of its own


def _cancels(block, source, recorded):
    m = source.outs[0]
    shape = m.aval.shape
    if not (isinstance(shape, tuple) and m.aval.dtype is not None and m.aval.dtype.kind == "f"):
        return False
    # a moving value: (kind, sign, where): kind "add" or "mul"; where, the axes (counted
    # from the right) along which c varies, which no reduction may cross
    moving = {m.id: ("add", 1, tuple(-len(shape) + i for i, d in enumerate(shape) if d != 1))}
    start = block.eqns.index(source) + 1
    for eqn in block.eqns[start:]:
        touched = [moving.get(a.id) if isinstance(a, Var) else None for a in eqn.ins]
        read_inside = eqn.blocks and _reads(eqn.blocks, moving)
        if not any(touched) and not read_inside:
            continue
        if read_inside or eqn.prim in (COND, FOR, WHILE) or len(eqn.outs) != 1:
            return False
        moved = _rule(eqn, touched)
        if moved is None:
            return False
        if moved != "invariant":
            moving[eqn.outs[0].id] = moved
    return not any(isinstance(a, Var) and a.id in moving for a in block.results) and not recorded & set(moving)


def _reads(blocks, moving):
    for b in blocks:
        for eqn in b.eqns:
            if any(isinstance(a, Var) and a.id in moving for a in eqn.ins) or _reads(eqn.blocks, moving):
                return True
        if any(isinstance(a, Var) and a.id in moving for a in b.results):
            return True
    return False


def _rule(eqn, touched):
    """How eqn's output moves, "invariant", or None when it cannot be told (the shift
    each operation declares, ir/op.py)."""
    how = eqn.prim.shift
    out = eqn.outs[0].aval
    if how == "invariant":
        return "invariant"  # s.shape[0] of a shifted s
    if how in ("exp", "log", "negate") and len(touched) == 1:
        kind, sign, where = touched[0]
        if how == "negate":
            return (kind, -sign, where) if kind == "add" else None
        wanted, becomes = ("add", "mul") if how == "exp" else ("mul", "add")
        return (becomes, sign, where) if kind == wanted else None
    if how in _BINARY and len(touched) == 2:
        return _binary(_BINARY[how], *touched)
    if how in ("sum", "extremum") and touched[0] is not None:
        return _reduce(how, touched[0], eqn.params, eqn.ins[0].aval, out)
    if how == "index" and len(eqn.ins) == 1:
        return _basic_index(touched[0], eqn.params["index"], eqn.ins[0].aval)
    if how == "new axes" and len(eqn.ins) == 1 and isinstance(eqn.ins[0].aval.shape, tuple):
        axes = eqn.params.get("axis")
        axes = axes if isinstance(axes, tuple) else (axes,)
        ndim = len(eqn.ins[0].aval.shape) + len(axes)
        new = {a % ndim for a in axes if type(a) is int}
        if len(new) != len(axes):
            return None
        index = tuple(None if k in new else slice(None) for k in range(ndim))
        return _basic_index(touched[0], index, eqn.ins[0].aval)
    return None


def _basic_index(moved, index, before):
    """x[:, 0], m[:, None]: whole slices, integers along axes where c is constant, and new
    axes (along which it is constant too)."""
    kind, sign, where = moved
    index = index if isinstance(index, tuple) else (index,)
    if not isinstance(before.shape, tuple):
        return None
    ndim = len(before.shape)
    kept = []  # per output axis: the input axis it comes from (from the left), or None for a new one
    axis = 0
    for i in index:
        if i is None:
            kept.append(None)
            continue
        if axis >= ndim:
            return None
        if isinstance(i, slice) and i == slice(None):
            kept.append(axis)
        elif type(i) is not int or axis - ndim in where:
            return None
        axis += 1
    kept.extend(range(axis, ndim))
    out = len(kept)
    return kind, sign, tuple(k - out for k, a in enumerate(kept) if a is not None and a - ndim in where)


_BINARY = {"add": "add", "subtract": "sub", "multiply": "mul", "divide": "div"}


def _binary(name, a, b):
    if a is not None and b is not None:
        (ka, sa, wa), (kb, sb, wb) = a, b
        if wa != wb or ka != kb:
            return None
        cancel = {"add": ("sub", "add"), "mul": ("div", "mul")}[ka]
        if (name == cancel[0] and sa == sb) or (name == cancel[1] and sa == -sb):
            return "invariant"
        return None
    kind, sign, where = a if a is not None else b
    if kind == "add":
        if name == "add" or (name == "sub" and a is not None):
            return kind, sign, where
        if name == "sub":
            return kind, -sign, where
        return None
    if name == "mul" or (name == "div" and a is not None):
        return kind, sign, where
    return None


def _reduce(name, moved, params, before, after):
    kind, sign, where = moved
    if kind != ("mul" if name == "sum" else "add"):
        return None  # a sum of values moved by c moves by a multiple of c; a max of scaled ones is unknown
    if not (isinstance(before.shape, tuple) and isinstance(after.shape, tuple)):
        return None
    ndim = len(before.shape)
    axis = params.get("axis")
    axes = range(ndim) if axis is None else (axis,) if isinstance(axis, int) else axis
    axes = {a - ndim if a >= 0 else a for a in axes}
    if axes & set(where):
        return None
    if params.get("keepdims"):
        return moved
    # the reduced axes go: an axis left of them moves closer to the right end
    return kind, sign, tuple(w + sum(1 for a in axes if a > w) for w in where)
