"""1 / (1 + exp(-z)) is the logistic function: one operation whose derivative is
y * (1 - y), from its output alone. So are the other ways people write it:
1 / (exp(-z) + 1), np.reciprocal(1 + exp(-z)), exp(z) / (1 + exp(z)) (with exp(z) made
once or twice), and math.exp for np.exp. The fused operation computes 1 / (1 + exp(-z)):
where exp(z) / (1 + exp(z)) overflows to nan (z > 709), it gives the limit, 1.

Differentiated as written, the reciprocal, the sum and the exponential each keep what
their derivative needs (three values saved per gate and iteration in an LSTM) and the
backward pass spends five operations where y * (1 - y) needs three.

The rules are private (ir/rewrite.py): a spelling is fused only where nothing else reads
its intermediates, or the exponential would be computed twice. Addition is commutative,
so 1 + e and e + 1 are one pattern.
"""
from ..ir.regions import read_counts
from ..ir.rewrite import Hole, P, Rules, rewrite_in_place, rule
from ..prims.elementwise import ADD, BINARY, NEG, UNARY

DIV, EXP, SIGMOID, RECIPROCAL = BINARY["div"], UNARY["exp"], UNARY["sigmoid"], UNARY["reciprocal"]

z = Hole("z")
one_plus_exp_minus_z = P(ADD, 1, P(EXP, P(NEG, z)))

LOGISTIC = Rules(
    "logistic",
    rule("1 / (1 + exp(-z))", P(DIV, 1, one_plus_exp_minus_z), P(SIGMOID, z)),
    rule("np.reciprocal(1 + exp(-z))", P(RECIPROCAL, one_plus_exp_minus_z), P(SIGMOID, z)),
    rule("e / (1 + e) with e = exp(z)", P(DIV, P(EXP, z, name="e"), P(ADD, 1, Hole("e"))), P(SIGMOID, z)),
    rule("exp(z) / (1 + exp(z)), exp(z) made twice", P(DIV, P(EXP, z), P(ADD, 1, P(EXP, z))), P(SIGMOID, z)),
    private=True,
)


def fuse_sigmoids(fn):
    """Rewrite every spelling of the logistic function whose intermediates nothing else reads. In place."""
    rewrite_in_place(fn.body, LOGISTIC, read_counts(fn.body))
    return fn
