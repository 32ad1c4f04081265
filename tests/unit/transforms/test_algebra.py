"""algebra.py's rewrite rules: each is reached by code people write, and none changes a
derivative (the gradient with them, without them and by central differences agree)."""
import collections

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import srcdiff
from srcdiff.api import Gradient
from srcdiff.ir import rewrite
from srcdiff.transforms.algebra import DERIVATIVE_RULES, IDENTITIES
from srcdiff.transforms.passes import Optimization
from tests.numeric import assert_matches_differences

from .algebra_programs import PROGRAMS
from ..irtools import ir_after, ops


@pytest.fixture
def fired(monkeypatch):
    """The names of the rules that apply while the test compiles."""
    seen = collections.Counter()
    first = rewrite.Rules.first

    def recording(self, *args, **kwargs):
        found = first(self, *args, **kwargs)
        if found is not None:
            seen[found[0].name] += 1
        return found

    monkeypatch.setattr(rewrite.Rules, "first", recording)
    return seen


def test_every_rule_is_reached_by_a_program(fired):
    for f, args, argnums in PROGRAMS.values():
        srcdiff.grad(f, argnums=argnums)(*args)
    missing = [r.name for r in DERIVATIVE_RULES if r.name not in fired]
    assert not missing, f"no program in algebra_programs.py reaches {missing}: add one for each new rule"


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_the_rules_change_no_derivative(name):
    f, args, argnums = PROGRAMS[name]
    with_rules = srcdiff.grad(f, argnums=argnums)
    without = Gradient(f, argnums, False, False, optimize=Optimization(enabled=False))
    assert_matches_differences(with_rules, f, args, argnums)
    got = with_rules(*args)
    bare = without(*args)
    for a, b in zip(got if isinstance(argnums, tuple) else (got,), bare if isinstance(argnums, tuple) else (bare,)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@settings(max_examples=30, deadline=None)
@given(st.floats(-3, 3), st.floats(0.1, 3))
def test_the_rules_hold_at_any_values(shift, scale):
    for name in ("negated_twice", "scaled_regulariser", "minus_a_sine", "cross_entropy", "row_times_column"):
        f, args, argnums = PROGRAMS[name]
        args = tuple(a * scale + shift if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in args)
        assert_matches_differences(srcdiff.grad(f, argnums=argnums), f, args, argnums, rtol=1e-5, atol=1e-6)


def test_a_column_times_a_matrix_summed_down_its_rows_is_one_product():
    f, args, argnums = PROGRAMS["row_times_column"]
    gradient = ir_after(f, args, "differentiate", argnums)
    assert ops(gradient)["dot"] == 1


def test_the_simplifier_applies_the_identities_to_the_primal_too():
    f, args, _ = PROGRAMS["identities"]
    lowered = ir_after(f, args, "simplify-primal")
    assert not {"pow", "div"} & set(ops(lowered)), ops(lowered)
    assert all(r in DERIVATIVE_RULES.rules for r in IDENTITIES)
