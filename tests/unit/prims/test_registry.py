"""The primitives' declarations (srcdiff/ir/op.py lists the facts one declares)."""
import srcdiff  # noqa: F401  (declares every primitive)
from srcdiff.ir.op import Op
from srcdiff.prims.core import PRIMITIVES

FACTS = {name for name in vars(Op) if not name.startswith("_")}  # arity too: a method one may override


def test_every_differentiable_primitive_has_both_rules():
    missing = [p.name for p in PRIMITIVES if p.differentiable and (p.jvp is None or p.vjp is None)]
    assert not missing, f"differentiable but without a JVP or a VJP rule: {missing}"


def test_a_primitive_declares_only_the_facts_op_lists():
    for p in PRIMITIVES:
        extra = set(vars(p)) - FACTS
        assert not extra, f"{p.name} sets {sorted(extra)}, which ir/op.py does not declare"


def test_writing_in_place_comes_with_a_copy():
    for p in PRIMITIVES:
        assert (p.inplace is None) == (p.copy is None), p.name


def test_names_are_unique():
    names = [p.name for p in PRIMITIVES]
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})
