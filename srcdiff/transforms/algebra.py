"""The local algebra: rewrite rules (ir/rewrite.py) that leave nothing a hand-writer
would not write. IDENTITIES hold anywhere (x * 1 is x); ALGEBRA adds what a derivative
rule's output needs (-1.0 * x is -x, g * (1 / x) is g / x, a sum of a spread column is the
column's sum spread); ADJOINTS knows the shapes reverse mode builds (zeros written then
read, a cross-entropy's one value per row). Derivative builders apply all three as they
build (DERIVATIVE_RULES); the simplify pass applies IDENTITIES to every equation; the
logistic pass (sigmoid.py) is a private rule set of its own.

Each rule is its pattern, its replacement and, where the identity needs it, when it
holds: the conditions are about dtypes (x * 1.0 is x only for a float x) and shapes
(dropping a broadcast must not change the result's shape)."""
import numpy as np

from ..ir import Const, Var
from ..ir.rewrite import Choice, Hole, P, Rest, Rules, rule
from ..prims.broadcasting import BROADCAST_TO
from ..prims.creation import ARANGE, ZEROS
from ..prims.elementwise import ADD, BINARY, NEG, NONDIFF, SUB
from ..prims.indexing import GETITEM, INDEX_PUT, INDEX_UPDATE, Slot, unit_axes_source
from ..prims.linalg import DOT, TRANSPOSE
from ..prims.reductions import SUM
from ..prims.core import is_known_array
from ..prims.shaping import EXPAND_DIMS, RESHAPE

MUL, DIV, POW, FLOORDIV = BINARY["mul"], BINARY["div"], BINARY["pow"], NONDIFF["floordiv"]


def is_number(value):
    """A hole's test: a constant equal to value (a Python number or a NumPy scalar)."""
    def test(atom):
        if not isinstance(atom, Const):
            return False
        v = atom.value
        return (type(v) in (int, float) or isinstance(v, np.floating)) and v == value
    return test


def python_number(atom):
    return isinstance(atom, Const) and type(atom.value) in (int, float)


def scalar_constant(atom):
    return isinstance(atom, Const) and atom.aval.shape == ()


def variable(atom):
    return isinstance(atom, Var)


x, y, a, b, v, s, z, w = (Hole(n) for n in "xyabvszw")
c, k = Hole("c", python_number), Hole("k", python_number)
zero, one, minus_one = Hole("zero", is_number(0)), Hole("one", is_number(1)), Hole("minus_one", is_number(-1))
idx = Rest("idx")


def float_safe(atom, const):
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


def same_shape(p, q):
    sp, sq = p.aval.shape, q.aval.shape
    return sp is sq or (isinstance(sp, tuple) and sp == sq)


def _floating(atom):
    return atom.aval.dtype is not None and atom.aval.dtype.kind in "fc"


def _integer(atom):
    return atom.aval.dtype is not None and atom.aval.dtype.kind in "iu"


def _unnegated(m):
    """The negation in the pattern makes no broadcast (it never does, where shapes are known)."""
    return same_shape(m.eqns["neg"].ins[0], m.neg)


IDENTITIES = Rules(
    "identities",
    rule("x + 0 is x", P(ADD, x, zero), x),
    rule("x - 0 is x", P(SUB, x, zero), x),
    rule("x * 1 is x", P(MUL, x, one), x, when=lambda m: float_safe(m.x, m.one)),
    rule("x / 1 is x (for floats: int / 1 is a float)", P(DIV, x, one), x, when=lambda m: _floating(m.x)),
    rule("x ** 1 is x", P(POW, x, one), x),
    rule("x // 1 is x (for integers: it rounds floats)", P(FLOORDIV, x, one), x, when=lambda m: _integer(m.x)),
)


def _spreads_to(p, q, spread):
    """Whether p and q broadcast together to spread's shape: (1000, 1) / (10,) is (1000, 10)."""
    shapes = (p.aval.shape, q.aval.shape, spread.aval.shape)
    if not all(isinstance(t, tuple) for t in shapes):
        return False
    try:
        return np.broadcast_shapes(shapes[0], shapes[1]) == shapes[2]
    except ValueError:
        return False


def _broadcasts_anyway(m):
    """broadcast_to(v, s) beside y: v and y make s's shape by themselves."""
    return same_shape(m.spread, m.y) or _spreads_to(m.v, m.y, m.spread)


ARITHMETIC = Choice("f", ADD, SUB, MUL, DIV)
spread = P(BROADCAST_TO, v, s, name="spread")

# broadcast_to(c, s) * y is c * y when c and y broadcast to s by themselves (one side only:
# the other keeps the result's shape); an index assignment broadcasts by itself
UNSPREAD = Rules(
    "unspread",
    rule("x[idx] = broadcast_to(v, s) is x[idx] = v", P(INDEX_PUT, x, spread, idx),
         P(INDEX_PUT, x, v, idx, keep=True)),
    rule("broadcast_to(v, s) op y is v op y", P(ARITHMETIC, spread, y), P("f", v, y), when=_broadcasts_anyway),
    rule("y op broadcast_to(v, s) is y op v", P(ARITHMETIC, y, spread), P("f", y, v), when=_broadcasts_anyway),
)


def _product_of_scales_is_one(m):
    return m.c.value * m.k.value == 1 and float_safe(m.z, Const(1.0))


def _scalar_spread(m):
    return m.v.aval.shape == () and isinstance(m.v, Const)


# the identities last: g * (1 / x) with g = 1.0 is 1.0 / x, not the 1 / x that x * 1 would leave
ALGEBRA = Rules(
    "algebra",
    rule("--x is x", P(NEG, P(NEG, x, name="neg")), x, when=lambda m: same_shape(m.x, m.neg)),
    rule("-broadcast_to(v, s) is broadcast_to(-v, s): one number negated",
         P(NEG, P(BROADCAST_TO, v, s)), P(BROADCAST_TO, P(NEG, v), s), when=lambda m: m.v.aval.shape == ()),
    rule("(x.T).T is x", P(TRANSPOSE, P(TRANSPOSE, x, axes=None), axes=None), x),
    rule("x + x is 2 * x", P(ADD, Hole("x", variable), x), P(MUL, 2, x)),
    rule("a + -b is a - b", P(ADD, a, P(NEG, b, name="neg")), P(SUB, a, b), when=_unnegated),
    rule("(c z) (k w) is z w when c k is 1: 0.5 * reg * (2 * W) is reg * W",
         P(MUL, P(MUL, c, z), P(MUL, k, w)), P(MUL, z, w), when=_product_of_scales_is_one),
    rule("c (k x) is (c k) x: 0.0025 * (2 * d) is 0.005 * d",
         P(MUL, c, P(MUL, k, x)), P(MUL, lambda m: m.c.value * m.k.value, x)),
    rule("-x * c is x * -c", P(MUL, P(NEG, x, name="neg"), c), P(MUL, x, lambda m: -m.c.value), when=_unnegated),
    rule("broadcast_to(v, s) * c is broadcast_to(v c, s): the scale moves inside",
         P(MUL, P(BROADCAST_TO, v, s), Hole("c", scalar_constant)),
         P(BROADCAST_TO, lambda m: Const(m.v.value * m.c.value), s), when=_scalar_spread),
    rule("-1 * x is -x", P(MUL, minus_one, x), P(NEG, x), when=lambda m: float_safe(m.x, m.minus_one)),
    rule("(1 / x) * g is g / x", P(MUL, P(DIV, one, x), a), P(DIV, a, x), when=lambda m: float_safe(m.a, m.one)),
) + IDENTITIES


def _zeros_of(m):
    """np.zeros of what x[idx] reads, when its shape and dtype are known."""
    aval = GETITEM.shape([m.zeroed.aval] + [i.aval for i in m.idx], m.params)
    if not (aval.known_shape and aval.dtype is not None):
        return None
    dtype = {} if aval.dtype == np.float64 else {"dtype": aval.dtype}
    return P(ZEROS, aval.shape, **dtype)


def _one_value_per_row(m):
    """The write is z[np.arange(N), y] = v of one number, into a matrix with N rows, summed
    along the rows."""
    put, rows = m.eqns["put"], m.eqns["rows"]
    shape = m.put.aval.shape
    return (not put.params.get("accumulate") and put.params.get("index") == (Slot(0), Slot(1))
            and isinstance(shape, tuple) and len(shape) == 2 and m.params.get("axis") in (1, -1)
            and m.v.aval.shape == () and len(rows.ins) == 1 and m.put.aval.shape[:1] == m.rows.aval.shape)


def _per_row(m):
    n = m.put.aval.shape[0]
    return P(BROADCAST_TO, v, (n, 1) if m.params.get("keepdims") else (n,))


def _same_write(m):
    return m.eqns["zeroed"].params == m.params


def _matrix_and_column(m):
    """np.sum(column * matrix, axis=0) of a column (n, 1) and a matrix (n, d), d > 1."""
    ms, cs = m.matrix.aval.shape, m.column.aval.shape
    return (isinstance(ms, tuple) and len(ms) == 2 and ms[1] != 1 and cs == (ms[0], 1)
            and not m.params.get("keepdims") and m.eqns["product"].outs[0].aval.shape == ms)


def _vector(m):
    """The column's numbers as a vector: np.expand_dims(v, 1)'s own v, else the column reshaped."""
    source = unit_axes_source(m.producer(m.column))
    if source is not None and source.aval.shape == m.column.aval.shape[:1]:
        return source
    return P(RESHAPE, "column", m.column.aval.shape[:1], _spelling="reshape", _method=is_known_array(m.column))


def _axes(m):
    """The summed axes of the spread (its rank's), normalised, or None."""
    shape = m.spread.aval.shape
    axis = m.params.get("axis")
    axes = range(len(shape)) if axis is None else axis if isinstance(axis, tuple) else (axis,)
    if not all(type(a) is int and -len(shape) <= a < len(shape) for a in axes):
        return None
    return sorted({a % len(shape) for a in axes})


def _spread_sum(m):
    """np.sum(np.broadcast_to(y, S), axis=A): y's own axes in A summed in y, its spread ones
    counted as a factor, the result spread to the sum's shape (a (1000, 1) column spread over
    10 columns and summed down them is one sum of the column, a tenth of the work). None
    where that would need a reshape (an axis y spreads along leaves the sum, y not summed
    whole) or a shape is not known."""
    S, ys, out = m.spread.aval.shape, m.y.aval.shape, m.sum_shape
    axes = _axes(m) if isinstance(S, tuple) and isinstance(ys, tuple) and isinstance(out, tuple) else None
    if axes is None or len(ys) > len(S) or m.y.aval.dtype is None:
        return None
    lead = len(S) - len(ys)
    padded = (1,) * lead + tuple(ys)
    if any(padded[a] not in (1, S[a]) for a in range(len(S))):
        return None  # not a broadcast NumPy would make
    factor = int(np.prod([S[a] for a in axes if padded[a] == 1], dtype=int))
    own = [a - lead for a in axes if padded[a] != 1]
    keepdims = m.params.get("keepdims")
    own_axis = own[0] if len(own) == 1 else tuple(own)
    if all(d == 1 or a + lead in axes for a, d in enumerate(ys)):  # y summed whole: one number, spread
        z, made = P(SUM, "y", axis=None, keepdims=False), ()
    elif keepdims:
        z = P(SUM, "y", axis=own_axis, keepdims=True) if own else "y"
        made = tuple(1 if a + lead in axes else d for a, d in enumerate(ys))
    elif all(padded[a] != 1 for a in axes if a >= lead):
        z = P(SUM, "y", axis=own_axis, keepdims=False) if own else "y"
        made = tuple(d for a, d in enumerate(ys) if a + lead not in axes)
    else:
        return None
    if factor != 1:
        z = P(MUL, z, factor)
    return z if made == tuple(out) else P(BROADCAST_TO, z, out)


def _with_sum_shape(m):
    m.sum_shape = SUM.shape([m.spread.aval], m.params).shape  # the shape the sum has
    return m


ADJOINTS = Rules(
    "adjoints",
    rule("zeros written where zeros were just written",
         P(INDEX_UPDATE, P(INDEX_UPDATE, x, zero, idx, name="zeroed"), Hole("zero again", is_number(0)), idx),
         "zeroed", when=_same_write),
    rule("x[idx] of x with zeros just written at idx is zeros: nothing flows from an overwritten value",
         P(GETITEM, P(INDEX_UPDATE, x, zero, idx, name="zeroed"), idx), _zeros_of,
         when=lambda m: _same_write(m) and _zeros_of(m) is not None),
    rule("the rows' sums of zeros with one v per row (a cross-entropy's label pick) are v, per row",
         P(SUM, P(INDEX_PUT, x, v, P(ARANGE, Rest("n"), name="rows"), Rest("labels"), name="put")), _per_row,
         when=_one_value_per_row),
    rule("a sum of y spread is y's sum spread: np.sum(np.broadcast_to(y, S), axis=A) sums y alone",
         P(SUM, P(BROADCAST_TO, Hole("y"), s, name="spread")), lambda m: _spread_sum(_with_sum_shape(m)),
         when=lambda m: _spread_sum(_with_sum_shape(m)) is not None),
    rule("np.sum(v[:, None]) is np.sum(v): the same numbers without the unit axes",
         P(SUM, P(Choice("unit", GETITEM, EXPAND_DIMS, RESHAPE), Rest("how"), name="widened"), axis=None,
           keepdims=False),
         lambda m: P(SUM, unit_axes_source(m.eqns["widened"]), keep=True),
         when=lambda m: unit_axes_source(m.eqns["widened"]) is not None),
    rule("np.sum(c * M, axis=0) of a column c and a matrix M is c[:, 0].dot(M): one BLAS call",
         P(SUM, P(MUL, Hole("column"), Hole("matrix"), name="product"), axis=0),
         lambda m: P(DOT, _vector(m), "matrix"), when=_matrix_and_column),
)

DERIVATIVE_RULES = UNSPREAD + ALGEBRA + ADJOINTS
