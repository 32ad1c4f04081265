"""The optimisation passes, by name, in the order they run; each is Function -> Function and
the IR is verified after it.

- PRIMAL runs on the function as lowered, before it is differentiated;
- DERIVATIVE runs on what a transformation made (a gradient, a JVP, a Jacobian, the forward
  and backward halves of a VJP, and the functions a recursion calls).

`Optimization` says which run: all (the default), none (`srcdiff --no-simplify`), or all but
some (`srcdiff --disable factor`), to bisect a derivative that looks wrong. The rewrite rules
the derivative builders apply (`algebra`) are switched with them. `recording()`
keeps the IR after every stage (lowering, each pass, the differentiation) for
`srcdiff --ir-after NAME`."""
import contextlib
import contextvars
from dataclasses import dataclass
from typing import Callable, NamedTuple

from ..ir import print_function, verify
from .accumulate import defer_outer_sums
from .algebra import DERIVATIVE_RULES
from .canonical import canonicalise
from .factor import factor_sums
from .identity import drop_identity_products
from .shift import drop_shift_gradients
from .sigmoid import fuse_sigmoids
from .simplify import simplify


class Pass(NamedTuple):
    name: str
    run: Callable
    what: str


PRIMAL = (
    Pass("canonical", canonicalise, "one spelling for the analyses: r[:, None] of a reduction is keepdims=True"),
    Pass("hold-shifts", drop_shift_gradients, "no derivative through the max a softmax or log-sum-exp subtracts"),
    Pass("logistic", fuse_sigmoids, "1 / (1 + exp(-z)) as one logistic function, its derivative y * (1 - y)"),
    Pass("simplify-primal", simplify, "identities, common subexpressions, dead code, loop invariants"),
)
DERIVATIVE = (
    Pass("canonical-derivative", canonicalise, "the canonical spellings again, for the products the VJP rules made"),
    Pass("outer-sums", defer_outer_sums, "a loop's per-step outer products summed after it as one product"),
    Pass("factor", factor_sums, "factors constant along a sum's axes taken out of the sum"),
    Pass("identity", drop_identity_products, "products with the identity (a Jacobian's seed) dropped: I A is A"),
    Pass("simplify", simplify, "identities, common subexpressions, dead code, loop invariants"),
)
PASSES = {p.name: p for p in PRIMAL + DERIVATIVE}
# not a pass but switched like one: the rewrite rules (algebra.py) derivative rules are
# simplified with as they build, before any pass sees what they built
BUILDING = Pass("algebra", DERIVATIVE_RULES, "rewrite rules applied while derivative rules build: -1.0 * x is -x, ...")
SWITCHES = {**PASSES, BUILDING.name: BUILDING}
# what --ir-after can also name: the stages between the passes
STAGES = ("lower", *(p.name for p in PRIMAL), "differentiate", *(p.name for p in DERIVATIVE))


@dataclass(frozen=True)
class Optimization:
    """Which passes run: enabled=False runs none; disabled names passes left out."""

    enabled: bool = True
    disabled: frozenset = frozenset()

    def __post_init__(self):
        unknown = set(self.disabled) - set(SWITCHES)
        if unknown:
            raise ValueError(f"no pass named {', '.join(sorted(unknown))}; the passes are {', '.join(SWITCHES)}")

    def runs(self, p):
        return self.enabled and p.name not in self.disabled

    @property
    def rules(self):
        """The rule set derivative builders use, or None."""
        return BUILDING.run if self.runs(BUILDING) else None


def optimization(value):
    """An Optimization from what the API takes: True (every pass), False (none), or one."""
    return value if isinstance(value, Optimization) else Optimization(enabled=bool(value))


def run(fn, passes, value=True):
    """fn through the passes that run, verified after each."""
    which = optimization(value)
    for p in passes:
        if which.runs(p):
            fn = verify(p.run(fn))
            record(p.name, fn)
    return fn


_RECORD = contextvars.ContextVar("srcdiff_ir_record", default=None)


@contextlib.contextmanager
def recording(view=print_function):
    """Keep (stage, function name, view(function)) for every stage a compile runs, in order:
    the printed IR, or what a test reads from the function then (its primitives), as a
    later stage changes it in place."""
    log = []
    token = _RECORD.set((log, view))
    try:
        yield log
    finally:
        _RECORD.reset(token)


def record(stage, fn):
    kept = _RECORD.get()
    if kept is not None:
        log, view = kept
        log.append((stage, fn.name, view(fn)))
