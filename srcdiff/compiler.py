"""The pipeline: lower, differentiate, simplify, emit, exec. Verified after every pass."""
import os

from .codegen import emit_module
from .errors import SrcdiffError
from .frontend import lower
from .ir import print_function, verify
from .ir.calls import targets
from .transforms import grad_function, simplify


class Compiled:
    """One compiled derivative: the callable, its source, and the IR it came from."""

    def __init__(self, fn, emitted, ir_before, ir_after, guards, out_tree):
        self.fn = fn
        self.emitted = emitted
        self.source = emitted.source
        self.ir_before = ir_before
        self.ir_after = ir_after
        self.guards = guards
        self.out_tree = out_tree


def compile_grad(fun, arg_avals, argnums, has_aux=False, with_value=False, optimize=True, structures=None):
    """arg_avals: one per leaf of the arguments; argnums: the leaves to differentiate."""
    try:
        return _compile_grad(fun, arg_avals, argnums, has_aux, with_value, optimize, structures)
    except (SrcdiffError, TypeError, ValueError):
        raise
    except Exception as e:  # a bug in srcdiff: say so, with where in the user's code
        where = f"{getattr(fun, '__code__', None) and fun.__code__.co_filename}:{getattr(getattr(fun, '__code__', None), 'co_firstlineno', '?')}"
        raise SrcdiffError(
            f"internal error while differentiating {getattr(fun, '__qualname__', fun)} ({where}): "
            f"{type(e).__name__}: {e}",
            None,
            "this is a bug in srcdiff; please report it with the function.",
        ) from e


def _compile_grad(fun, arg_avals, argnums, has_aux, with_value, optimize, structures):
    fn, lowering = lower(fun, arg_avals, structures)
    verify(fn)
    ir_before = print_function(fn)
    if optimize:
        fn = verify(simplify(fn))
    out_tree = lowering.out_tree
    if has_aux:
        if not (isinstance(out_tree, tuple) and len(out_tree) == 2):
            raise TypeError(f"{fn.name} was differentiated with has_aux=True, so it must return a pair (output, aux)")
        value_leaf, aux_tree = out_tree
    else:
        value_leaf, aux_tree = out_tree, None
    if not isinstance(value_leaf, int):
        raise TypeError(f"{fn.name} must return a scalar to take its gradient, not a {type(value_leaf).__name__}")
    out_aval = fn.results[value_leaf].aval
    if out_aval.known_shape and out_aval.shape != ():
        raise TypeError(
            f"grad requires a scalar output, but {fn.name} returns an array of shape {out_aval.shape}; "
            "reduce it (e.g. np.sum) or use vjp for array outputs."
        )
    if value_leaf != 0:
        raise TypeError(f"{fn.name}: the differentiated output must come first")
    n_aux = len(fn.results) - 1
    wrt = [fn.params[i].hint for i in argnums]
    gfn = grad_function(fn, argnums, with_value=with_value, aux=n_aux)
    verify(gfn)
    for target in targets(gfn):  # functions a recursion calls, in forward and backward versions
        target.function = verify(simplify(target.function)) if optimize else verify(target.function)
    if optimize:
        gfn = verify(simplify(gfn))
    gfn.doc = _docstring(fn, wrt, with_value)
    emitted = emit_module(gfn)
    return Compiled(emitted.load(), emitted, ir_before, print_function(gfn), lowering.guards,
                    (aux_tree, n_aux))


def _docstring(fn, wrt, with_value):
    where = f"{os.path.basename(fn.filename)}:{fn.lineno}"
    what = f"d({fn.name})/d({', '.join(wrt)})"
    if with_value:
        return f"{fn.name} and {what}, from {where}."
    return f"{what}, from {where}."
