"""User-registered derivatives (custom_vjp): for a callable with no Python source,
or where the automatic derivative is numerically poor. The emitted code calls
the user's own fwd and bwd functions by name."""
import functools

import numpy as np

from .. import naming
from ..ir import Aval, Const, unknown_aval
from .core import Primitive, binds, current, runs_when_compiling, wrap
from .shapes import example_value
from .tuples import MAKE_TUPLE

FAMILY = None  # what it registers are the user's own rules: prims/catalog.py lists srcdiff's vocabulary only


class _CustomRule:
    """A user function standing in the table as its own primitive (hashed by identity)."""

    def __init__(self, fun):
        self.fun = fun
        functools.update_wrapper(self, fun)

    def __call__(self, *args, **kwargs):
        return self.fun(*args, **kwargs)

    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self is other


@runs_when_compiling
class custom_vjp(_CustomRule):
    """A function with a hand-written reverse-mode rule, as in JAX.

    >>> @custom_vjp
    ... def softplus(x):
    ...     return np.logaddexp(0.0, x)
    >>> def softplus_fwd(x):
    ...     return softplus(x), x                  # output, residuals
    >>> def softplus_bwd(x, g):
    ...     return (g / (1.0 + np.exp(-x)),)       # one cotangent per argument
    >>> softplus.defvjp(softplus_fwd, softplus_bwd)

    srcdiff then emits ``y, res = softplus_fwd(x)`` in the forward sweep and
    ``dx, = softplus_bwd(res, dy)`` in the backward sweep.
    """

    def __init__(self, fun):
        super().__init__(fun)
        self.fwd = self.bwd = None

    @runs_when_compiling
    def defvjp(self, fwd, bwd):
        """fwd(*args) -> (output, residuals); bwd(residuals, g) -> tuple with one cotangent per argument."""
        if not (callable(fwd) and callable(bwd)):
            raise TypeError("defvjp(fwd, bwd) takes two callables")
        self.fwd, self.bwd = fwd, bwd
        binds(self)(self._bind)
        return self

    def _bind(self, *args):
        n = len(args)
        fwd_prim, bwd_prim = _primitives(self, n)
        name = _name(self.fun)
        fwd = Const(self.fwd, name=_name(self.fwd, naming.forward(name)))
        out, res = current().apply(fwd_prim, [fwd, *args], hint=name)
        res.atom.hint = naming.residuals(name)
        return out


def _name(fn, fallback="custom"):
    """What the emitted code calls fn: its own name, or for a lambda (or a callable without
    one) the fallback; the module makes it unique (codegen/emit.py)."""
    name = getattr(fn, "__name__", "")
    return name if isinstance(name, str) and name.isidentifier() else fallback


@functools.lru_cache(maxsize=None)
def _primitives(rule, nargs):
    def fwd_shape(avals, params):
        """Run fwd once on ones of the right shapes to learn the output's; unknown if it fails."""
        values = [example_value(a) for a in avals[1:]]
        if any(v is None for v in values):
            return [unknown_aval(), Aval("static")]
        try:
            with np.errstate(all="ignore"):
                out, _ = rule.fwd(*[np.ones_like(v) if isinstance(v, np.ndarray) else 1.0 for v in values])
            out = np.asarray(out)
            return [Aval("array", out.shape, out.dtype), Aval("static")]
        except Exception:
            return [unknown_aval(), Aval("static")]

    call = lambda a, p: f"{a[0]}({', '.join(a[1:])})"  # noqa: E731
    fwd_prim = Primitive(f"custom_fwd[{_name(rule.fun)}]", emit=call, shape=fwd_shape, nout=2, registered=False)
    bwd_emit = call if nargs > 1 else (lambda a, p: call(a, p) + "[0]")  # bwd returns a 1-tuple
    bwd_prim = Primitive(
        f"custom_bwd[{_name(rule.fun)}]", emit=bwd_emit, nout=nargs,
        shape=lambda avals, p: [unknown_aval() for _ in range(nargs)], registered=False,
    )

    @fwd_prim.defvjp
    def _(gs, outs, ins, active):
        g = gs[0]
        bwd = Const(rule.bwd, name=_name(rule.bwd, naming.backward(_name(rule.fun))))
        cotangents = current().apply(bwd_prim, [bwd, outs[1], g])
        cotangents = cotangents if isinstance(cotangents, tuple) else (cotangents,)
        return (None,) + tuple(
            _like(c, x) if a else None for c, x, a in zip(cotangents, ins[1:], active[1:])
        )

    return fwd_prim, bwd_prim


def _like(c, x):
    """The cotangent takes the argument's aval, which bwd promises to match."""
    c = wrap(c)
    c.atom.aval = Aval("array", x.aval.shape, x.aval.dtype)
    return c


@runs_when_compiling
class custom_jvp(_CustomRule):
    """A function with a hand-written forward-mode rule, as in JAX.

    >>> @custom_jvp
    ... def softplus(x):
    ...     return np.logaddexp(0.0, x)
    >>> @softplus.defjvp
    ... def softplus_jvp(primals, tangents):
    ...     (x,), (x_dot,) = primals, tangents
    ...     return softplus(x), x_dot / (1.0 + np.exp(-x))

    Forward mode (jvp, jacfwd, hessian's outer pass) then emits a call to
    softplus_jvp; reverse mode needs a custom_vjp rule instead.
    """

    def __init__(self, fun):
        super().__init__(fun)
        self.rule = None

    @runs_when_compiling
    def defjvp(self, rule):
        """rule(primals, tangents) -> (output, output tangent); returns rule, so it decorates."""
        if not callable(rule):
            raise TypeError("defjvp(rule) takes a callable")
        self.rule = rule
        binds(self)(self._bind)
        return rule

    def _bind(self, *args):
        call = _jvp_primitives(self, len(args))
        return current().apply(call, [Const(self.fun, name=_name(self.fun)), *args], hint=_name(self.fun))


@functools.lru_cache(maxsize=None)
def _jvp_primitives(rule, nargs):
    def shape(avals, params):
        values = [example_value(a) for a in avals[1:]]
        if any(v is None for v in values):
            return unknown_aval()
        try:
            with np.errstate(all="ignore"):
                out = np.asarray(rule.fun(*[np.ones_like(v) if isinstance(v, np.ndarray) else 1.0 for v in values]))
            return Aval("array", out.shape, out.dtype)
        except Exception:
            return unknown_aval()

    call = Primitive(f"custom_jvp[{_name(rule.fun)}]", emit=lambda a, p: f"{a[0]}({', '.join(a[1:])})",
                     shape=shape, registered=False)
    with_tangent = Primitive(f"custom_jvp_rule[{_name(rule.rule)}]", emit=lambda a, p: f"{a[0]}({a[1]}, {a[2]})",
                             shape=lambda avals, p: [unknown_aval(), unknown_aval()], nout=2, registered=False)

    @call.defjvp
    def _(tangents, out, ins):
        args = ins[1:]
        zeros = [t if t is not None else (np.zeros_like(a) if a.aval.kind != "scalar" else 0.0)
                 for t, a in zip(tangents[1:], args)]
        rule_fn = Const(rule.rule, name=_name(rule.rule, naming.jvp(_name(rule.fun))))
        primals = current().apply(MAKE_TUPLE, args)
        tangent_tuple = current().apply(MAKE_TUPLE, zeros)
        _, out_dot = current().apply(with_tangent, [rule_fn, primals, tangent_tuple])
        out_dot.atom.aval = out.aval  # the rule promises a tangent shaped like the output
        return out_dot

    return call
