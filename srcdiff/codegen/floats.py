"""Which values are Python floats when a derivative runs on Python float arguments.

A scalar derivative called with Python floats runs fastest as Python float code:
math.cos(x) rather than np.cos(x), which costs ten times more on a float, and 2.0 * x
rather than 2 * x, which Python does not specialise. Arithmetic on Python floats and
number literals, one of them a float, gives a Python float; so does a math function of one; a value a loop
carries is one when its initial value is and every iteration leaves one; an item of a
list a loop recorded is one when the recorded value is; a cond's out is one when both
branches yield one."""
from ..ir import COND, FOR, WHILE, Const, Var
from ..ir.regions import carried_count, loop_parts
from ..prims.elementwise import ADD, BINARY, NEG, SUB
from ..prims.lists import LIST_ITEM

ARITHMETIC = {ADD, SUB, NEG, BINARY["mul"], BINARY["div"], BINARY["pow"]}


def python_floats(fn):
    """The ids of fn's values that are Python floats when its float parameters are."""
    floats = {p.id for p in fn.params if p.aval.kind == "scalar" and p.aval.dtype is not None
              and p.aval.dtype.kind == "f" and p.aval.dtype.itemsize == 8}
    if floats:
        _block(fn.body, floats, {})
    return floats


def is_float(atom, floats):
    return type(atom.value) is float if isinstance(atom, Const) else atom.id in floats


def _is_number(atom, floats):
    """A Python float or int (a Python scalar whose dtype is an integer's: a loop counter)."""
    if isinstance(atom, Const):
        return type(atom.value) in (int, float)
    aval = atom.aval
    return atom.id in floats or aval.kind == "scalar" and aval.dtype is not None and aval.dtype.kind in "iu"


def _block(block, floats, lists):
    for eqn in block.eqns:
        if eqn.prim is COND:
            for b in eqn.blocks:
                _block(b, floats, lists)
            for k, o in enumerate(eqn.outs):
                if all(k < len(b.results) and is_float(b.results[k], floats) for b in eqn.blocks):
                    floats.add(o.id)
        elif eqn.prim in (FOR, WHILE):
            _loop(eqn, floats, lists)
        elif eqn.prim is LIST_ITEM:
            if isinstance(eqn.ins[0], Var) and lists.get(eqn.ins[0].id) in floats:
                floats.add(eqn.outs[0].id)
        elif (eqn.prim in ARITHMETIC or eqn.prim.on_python_floats) and eqn.ins and \
                all(_is_number(a, floats) for a in eqn.ins) and any(is_float(a, floats) for a in eqn.ins):
            floats.add(eqn.outs[0].id)  # an int with an int stays an int: a loop counter


def _loop(eqn, floats, lists):
    """Assume each carried value with a float initial value stays a float; drop those an
    iteration turns into something else, until nothing changes."""
    body, carried, inits = loop_parts(eqn)
    n = carried_count(eqn)
    for v, stack in zip(eqn.params.get("saves", ()), eqn.outs[n:]):
        lists[stack.id] = v.id
    assumed = {j for j in range(n) if is_float(inits[j], floats)}
    while True:
        trial = set(floats) | {carried[j].id for j in assumed}
        if eqn.prim is WHILE:
            trial |= {eqn.blocks[0].params[j].id for j in assumed}
        _block(body, trial, lists)
        if eqn.prim is WHILE:
            _block(eqn.blocks[0], trial, lists)
        kept = {j for j in assumed if is_float(body.results[j], trial)}
        if kept == assumed:
            break
        assumed = kept
    floats |= trial
    for j in assumed:
        floats.add(eqn.outs[j].id)
        if eqn.prim is WHILE:
            floats.add(eqn.blocks[0].params[j].id)


def integral_powers(block):
    """Whether every power in the block has an integer exponent (an int value, or a
    constant like 2.0): then Python floats give what NumPy scalars give, or raise, as a
    negative float to a fractional power is complex in Python and nan in NumPy."""
    for eqn in block.eqns:
        if eqn.prim is BINARY["pow"]:
            k = eqn.ins[1]
            if isinstance(k, Const):
                v = k.value
                if not (type(v) is int or (isinstance(v, float) and v.is_integer())):
                    return False
            elif k.aval.dtype is None or k.aval.dtype.kind not in "iub":
                return False
        if not all(integral_powers(b) for b in eqn.blocks):
            return False
    return True
