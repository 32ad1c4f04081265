"""How the frontend meets srcdiff's own transformations called inside differentiated code
(a gradient used in a loss, grad of a jvp), without importing the layers above it.

- An object srcdiff made (a gradient, a Jacobian) has a method `__srcdiff_ir__(arg_avals,
  structures, optimize)` giving the IR of the derivative it computes (an object with `fn`,
  `out_tree` and `guards`); the frontend inlines that IR at the call.
- `srcdiff.jvp` carries the mark `__srcdiff_jvp__ = True`. Its IR depends on the function it
  is given, so the compiler hands `lower` a hook, `jvp_ir(fun, primal_avals)`, returning
  (the lowered fun, its JVP function, the indices of the primals with tangents)."""

IR_METHOD = "__srcdiff_ir__"
JVP_MARK = "__srcdiff_jvp__"


def is_jvp(fn):
    return getattr(fn, JVP_MARK, False) is True
