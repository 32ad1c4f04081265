"""The rewrite engine (ir/rewrite.py) on equations made by hand: holes, repeated holes,
commutative operands, choices of ops, the operands left, private rule sets."""
import numpy as np

import srcdiff  # noqa: F401  (declares the primitives)
from srcdiff.ir import Aval, Const, Eqn, Var
from srcdiff.ir.rewrite import Choice, Hole, P, Rest, Rules, rule
from srcdiff.prims.elementwise import ADD, BINARY, NEG, SUB

MUL, DIV = BINARY["mul"], BINARY["div"]
x, y = Hole("x"), Hole("y")


def var():
    return Var(Aval("array", (3,), np.dtype(np.float64)))


class Block:
    """Equations made by hand, and the producer a rule set looks through."""

    def __init__(self):
        self.made = {}
        self.built = []

    def apply(self, op, *ins, **params):
        out = var()
        self.made[out.id] = Eqn(op, list(ins), [out], params)
        return out

    def producer(self, atom):
        return self.made.get(atom.id)

    def emit(self, op, atoms, params):
        self.built.append((op, atoms))
        return self.apply(op, *atoms, **params)


def test_a_hole_named_twice_is_one_operand():
    b, a, c = Block(), var(), var()
    rules = Rules("t", rule("x + x", P(ADD, x, x), P(MUL, 2, x)))
    op, atoms, _ = rules.rewrite(ADD, [a, a], {}, b.producer, b.emit)
    assert op is MUL and atoms[0].value == 2 and atoms[1] is a
    assert rules.rewrite(ADD, [a, c], {}, b.producer, b.emit) == (ADD, [a, c], {})


def test_a_commutative_op_matches_either_order_and_others_do_not():
    b, a, c = Block(), var(), var()
    n = b.apply(NEG, c)
    rules = Rules("t", rule("a + -b", P(ADD, x, P(NEG, y)), P(SUB, x, y)),
                  rule("a - -b", P(SUB, x, P(NEG, y)), P(ADD, x, y)))
    assert rules.rewrite(ADD, [n, a], {}, b.producer, b.emit)[:2] == (SUB, [a, c])
    assert rules.rewrite(SUB, [n, a], {}, b.producer, b.emit)[:2] == (SUB, [n, a])  # -c - a stays


def test_a_literal_matches_python_numbers_only():
    b, a = Block(), var()
    rules = Rules("t", rule("x * 1", P(MUL, x, 1), x))
    assert rules.rewrite(MUL, [a, Const(1.0)], {}, b.producer, b.emit)[:2] == (None, a)
    kept = [a, Const(np.float32(1.0))]  # a float64 times a float32 one is float64 anyway, but 1 means 1
    assert rules.rewrite(MUL, kept, {}, b.producer, b.emit)[0] is MUL


def test_a_choice_binds_the_op_the_replacement_reuses():
    b, a, v = Block(), var(), var()
    spread = b.apply(NEG, v)
    rules = Rules("t", rule("f(-v, x) is f(x, v) negated?", P(Choice("f", ADD, MUL), P(NEG, y), x), P("f", x, y)))
    assert rules.rewrite(MUL, [spread, a], {}, b.producer, b.emit)[:2] == (MUL, [a, v])
    assert rules.rewrite(DIV, [spread, a], {}, b.producer, b.emit)[0] is DIV


def test_the_operands_left_and_kept_params():
    b, a, i, j = Block(), var(), var(), var()
    rules = Rules("t", rule("index kept", P(ADD, x, Rest("idx")), P(SUB, x, Rest("idx"), keep=True)))
    op, atoms, params = rules.rewrite(ADD, [a, i, j], {"k": 1}, b.producer, b.emit)
    assert (op, atoms, params) == (SUB, [a, i, j], {"k": 1})


def test_a_replacement_is_built_innermost_first_through_emit():
    b, a = Block(), var()
    rules = Rules("t", rule("-a - a is -(2 a)", P(SUB, P(NEG, x), x), P(NEG, P(MUL, 2, x))))
    n = b.apply(NEG, a)
    op, atoms, _ = rules.rewrite(SUB, [n, a], {}, b.producer, b.emit)
    assert op is NEG and b.built == [(MUL, [b.built[0][1][0], a])] and atoms[0] is not a


def test_a_private_rule_set_leaves_an_intermediate_another_equation_reads():
    b, z = Block(), var()
    e = b.apply(NEG, z)
    rules = Rules("t", rule("1 / -z", P(DIV, 1, P(NEG, x)), P(NEG, x)), private=True)
    assert rules.rewrite(DIV, [Const(1), e], {}, b.producer, b.emit, uses={e.id: 1})[0] is NEG
    assert rules.rewrite(DIV, [Const(1), e], {}, b.producer, b.emit, uses={e.id: 2})[0] is DIV


def test_a_condition_decides():
    b, a = Block(), var()
    rules = Rules("t", rule("x - x is 0 for floats", P(SUB, x, x), 0.0, when=lambda m: m.x.aval.dtype.kind == "f"))
    op, zero, _ = rules.rewrite(SUB, [a, a], {}, b.producer, b.emit)
    assert op is None and zero.value == 0.0


def test_rule_sets_combine_in_order():
    first = Rules("a", rule("x + 0", P(ADD, x, 0), x))
    second = Rules("b", rule("x + y", P(ADD, x, y), P(SUB, x, y)))
    both = first + second
    assert [r.name for r in both] == ["x + 0", "x + y"] and not both.private
