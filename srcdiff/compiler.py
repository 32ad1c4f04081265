"""The pipeline: lower, differentiate, simplify, emit, exec. Verified after every pass."""
import copy
import os

from . import pytree
from .codegen import emit, emit_module
from .errors import SrcdiffError
from .frontend import IR_METHOD, lower
from .ir import print_function, verify
from .ir.calls import targets
from .ir import CallTarget
from .transforms import grad_function
from .transforms import passes
from .transforms.owned import own_results
from .transforms.forward import jvp_function
from .transforms.batching import batch_function, every_result_batched, item_avals, vmap_function
from .transforms.jacobian import jacobian_function
from .transforms.reverse import pair_of


class Compiled:
    """One compiled derivative: the callable, its source, and the IR it came from."""

    def __init__(self, fn, emitted, ir_before, ir_after, guards, out_tree, on_floats=None):
        self.fn = fn
        self.emitted = emitted
        self.source = emitted.source
        self.floats_safe = emitted.floats_safe
        # the same derivative for Python float arguments, calling math where fn calls NumPy on
        # a float (None when that changes nothing); the cached call runs it, and fn where a
        # float part from NumPy's semantics (math.log(0.0) raises, np.log(0.0) is -inf)
        self.on_floats = on_floats and on_floats.load()
        self.on_floats_emitted = on_floats
        self.on_floats_source = on_floats and on_floats.source
        self.float_results = on_floats.float_results if on_floats else ()
        self.ir_before = ir_before
        self.ir_after = ir_after
        self.guards = guards
        self.out_tree = out_tree
        self.by_value = ()  # (leaf position, value): the integer arguments compiled for by value (cache.py)


    def rebound(self, updates):
        """A copy running the same code with some of the objects its module names replaced
        (updates: name -> object): a captured array, read when the derivative is called, as
        cache.py binds an entry to the function it is called for."""
        new = copy.copy(self)
        new.emitted = self.emitted.with_constants(updates)
        namespace = new.emitted.namespace()
        new.fn = namespace[self.fn.__name__]
        if getattr(self, "forward", None) is not None:
            new.forward = namespace[self.forward.__name__]
        if self.on_floats_emitted is not None:
            new.on_floats_emitted = self.on_floats_emitted.with_constants(updates)
            if self.on_floats is not None:
                new.on_floats = new.on_floats_emitted.namespace()[self.on_floats.__name__]
        return new


def guarded(fun, build):
    """Run a compile step; a bug in srcdiff surfaces as a SrcdiffError saying so."""
    try:
        return build()
    except (SrcdiffError, TypeError, ValueError):
        raise
    except Exception as e:
        code = getattr(fun, "__code__", None)
        where = f"{code.co_filename}:{code.co_firstlineno}" if code else repr(fun)
        raise SrcdiffError(
            f"internal error while differentiating {getattr(fun, '__qualname__', fun)} ({where}): "
            f"{type(e).__name__}: {e}",
            None,
            "this is a bug in srcdiff; please report it with the function.",
        ) from e


class Lowered:
    """A function's IR with what the cache and the API need about it."""

    def __init__(self, fn, out_tree, guards, ir_before):
        self.fn, self.out_tree, self.guards, self.ir_before = fn, out_tree, guards, ir_before


def lower_ir(fun, arg_avals, structures, optimize):
    """The IR of fun: its source lowered, or, for a function srcdiff made (grad of grad),
    the IR of the derivative it computes."""
    if hasattr(fun, IR_METHOD):
        return getattr(fun, IR_METHOD)(arg_avals, structures, optimize)
    fn, lowering = lower(fun, arg_avals, structures, jvp_ir=_jvp_ir)
    verify(fn)
    ir_before = print_function(fn)
    passes.record("lower", fn)
    fn = passes.run(fn, passes.PRIMAL, optimize)
    return Lowered(fn, lowering.out_tree, lowering.guards, ir_before)


def _jvp_ir(fun, primal_avals):
    """For srcdiff.jvp(fun, ...) called inside a differentiated function (frontend/protocol.py):
    fun lowered, its JVP along every differentiable primal, and which primals those are."""
    low = lower_ir(fun, primal_avals, None, True)
    wrt = [i for i, p in enumerate(low.fn.params) if p.aval.differentiable]
    return low, jvp_function(low.fn, wrt), wrt


def _finish(fn, optimize):
    """A transformation's result through the DERIVATIVE passes, with the functions a
    recursion in it calls (in forward and backward versions)."""
    for target in targets(fn):
        passes.record("differentiate", target.function)
        target.function = passes.run(verify(target.function), passes.DERIVATIVE, optimize)
    passes.record("differentiate", fn)
    # not a pass that can be switched off: the results are the caller's own arrays either way
    return own_results(passes.run(verify(fn), passes.DERIVATIVE, optimize))


def grad_ir(fun, arg_avals, argnums, has_aux=False, with_value=False, optimize=True, structures=None):
    """(Lowered of the gradient function, aux structure, number of aux leaves)."""
    low = lower_ir(fun, arg_avals, structures, optimize)
    fn, out_tree = low.fn, low.out_tree
    if has_aux:
        if pytree.is_leaf(out_tree) or pytree.kind(out_tree) != "tuple" or len(pytree.children(out_tree)) != 2:
            raise TypeError(f"{fn.name} was differentiated with has_aux=True, so it must return a pair (output, aux)")
        value_leaf, aux_tree = pytree.children(out_tree)
        aux_tree = pytree.shifted(aux_tree, -1)  # numbered among the aux results, which follow the output
    else:
        value_leaf, aux_tree = out_tree, None
    if not pytree.is_leaf(value_leaf):
        raise TypeError(f"{fn.name} must return a scalar to take its gradient, not a {pytree.kind(value_leaf)}")
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
    gfn = verify(grad_function(fn, argnums, with_value=with_value, aux=n_aux,
                               rules=passes.optimization(optimize).rules))
    gfn = _finish(gfn, optimize)
    gfn.doc = _docstring(fn, wrt, with_value)
    return Lowered(gfn, None, low.guards, low.ir_before), aux_tree, n_aux


def compile_grad(fun, arg_avals, argnums, has_aux=False, with_value=False, optimize=True, structures=None,
                 backend=None):
    """arg_avals: one per leaf of the arguments; argnums: the leaves to differentiate; backend:
    codegen.backend_of's value (None: NumPy)."""
    def build():
        low, aux_tree, n_aux = grad_ir(fun, arg_avals, argnums, has_aux, with_value, optimize, structures)
        emitted = emit(low.fn, backend=backend)
        on_floats = emit_module(low.fn, python_floats=True) if backend is None else None
        return Compiled(emitted.load(), emitted, low.ir_before, print_function(low.fn), low.guards,
                        (aux_tree, n_aux), on_floats)

    return guarded(fun, build)


def compile_jvp(fun, arg_avals, argnums, optimize=True, structures=None, batch=None, backend=None):
    """Forward mode: (leaves..., tangents of leaves[argnums]...) -> (results..., their tangents...).
    With batch (a number), every tangent is a batch of that many, along a first axis, and so is
    every tangent out: the directions side by side in one pass (transforms/batching.py)."""
    def build():
        low = lower_ir(fun, arg_avals, structures, optimize)
        jfn = verify(jvp_function(low.fn, argnums, passes.optimization(optimize).rules))
        if batch is not None:
            jfn = _batched_tangents(jfn, len(low.fn.params), len(low.fn.results), batch)
        jfn = _finish(jfn, optimize)
        wrt = ", ".join(low.fn.params[i].hint for i in argnums)
        along = f"a batch of {batch} directions" if batch is not None else f"({wrt})_dot"
        jfn.doc = (f"{low.fn.name} and its derivative along {along}, from "
                   f"{os.path.basename(low.fn.filename)}:{low.fn.lineno}.")
        emitted = emit(jfn, backend=backend)
        compiled = Compiled(emitted.load(), emitted, low.ir_before, print_function(jfn), low.guards, low.out_tree)
        compiled.n_results = len(low.fn.results)
        return compiled

    return guarded(fun, build)


def _batched_tangents(jfn, n_params, n_results, size):
    """A JVP over a batch of tangents: every tangent out a batch too (a zero one, size zeros)."""
    bfn, batched = batch_function(jfn, [False] * n_params + [True] * (len(jfn.params) - n_params), size)
    return every_result_batched(bfn, batched, size, start=n_results)


def jacobian_ir(fun, arg_avals, wrt, mode, optimize=True, structures=None, name=None, chunk=None):
    """(Lowered of the function computing d(results)/d(leaves[wrt]), result-major, and
    fun's own output structure). name(fun's IR name) gives the function's name and what it
    is (jacfwd_f, "the Jacobian of f")."""
    low = lower_ir(fun, arg_avals, structures, optimize)
    jfn = _finish(verify(jacobian_function(low.fn, wrt, mode, passes.optimization(optimize).rules, chunk)), optimize)
    jfn.name, what = name(low.fn.name) if name else (jfn.name, f"the Jacobian of {low.fn.name}")
    names = ", ".join(low.fn.params[i].hint for i in wrt)
    how = {"fwd": ", by forward mode", "rev": ", by reverse mode"}.get(mode, "")  # "auto": the cheaper
    jfn.doc = (f"{what[:1].upper()}{what[1:]} wrt ({names}){how}, from "
               f"{os.path.basename(low.fn.filename)}:{low.fn.lineno}.")
    return Lowered(jfn, None, low.guards, low.ir_before), low.out_tree


def compile_jacobian(fun, arg_avals, wrt, mode, optimize=True, structures=None, name=None, chunk=None,
                     backend=None):
    """(leaves...) -> the Jacobians of every output leaf wrt each of leaves[wrt], result-major;
    out_tree is fun's output structure."""
    def build():
        low, out_tree = jacobian_ir(fun, arg_avals, wrt, mode, optimize, structures, name, chunk)
        emitted = emit(low.fn, backend=backend)
        return Compiled(emitted.load(), emitted, low.ir_before, print_function(low.fn), low.guards, out_tree)

    return guarded(fun, build)


def compile_vjp(fun, arg_avals, optimize=True, structures=None, backend=None):
    """Reverse mode split in two: NAME_fwd(leaves...) -> (results, tape) and
    NAME_bwd(tape, cotangents...) -> adjoints of every leaf."""
    def build():
        low = lower_ir(fun, arg_avals, structures, optimize)
        target = CallTarget(low.fn.name)
        target.function = low.fn
        fwd, bwd = pair_of(target, passes.optimization(optimize).rules)
        fwd.function = _finish(verify(fwd.function), optimize)
        bwd.function = _finish(verify(bwd.function), optimize)
        emitted = emit(bwd.function, also=[fwd.function], backend=backend)
        namespace = emitted.namespace()
        compiled = Compiled(namespace[bwd.name], emitted, low.ir_before,
                            print_function(fwd.function) + "\n" + print_function(bwd.function), low.guards,
                            low.out_tree)
        compiled.forward = namespace[fwd.name]
        compiled.n_results = len(low.fn.results)
        return compiled

    return guarded(fun, build)


def vmap_ir(fun, arg_avals, structures, axes, out_axes, optimize=True, chunk=None):
    """Lowered of fun over batches: the leaves where axes is an int carry a batch along that
    axis, the others are shared; each output leaf has its batch along out_axes(its number), or
    none for None (transforms/batching.py vmap_function)."""
    items, size = item_avals(arg_avals, axes)
    low = lower_ir(fun, items, structures, optimize)
    fn = vmap_function(low.fn, arg_avals, axes, out_axes, size, chunk)
    return Lowered(_finish(verify(fn), optimize), low.out_tree, low.guards, low.ir_before)


def compile_vmap(fun, arg_avals, structures, axes, out_axes, optimize=True, chunk=None):
    def build():
        low = vmap_ir(fun, arg_avals, structures, axes, out_axes, optimize, chunk)
        emitted = emit_module(low.fn)
        return Compiled(emitted.load(), emitted, low.ir_before, print_function(low.fn), low.guards, low.out_tree)

    return guarded(fun, build)


def _docstring(fn, wrt, with_value):
    where = f"{os.path.basename(fn.filename)}:{fn.lineno}"
    what = f"d({fn.name})/d({', '.join(wrt)})"
    if with_value:
        return f"{fn.name} and {what}, from {where}."
    return f"{what}, from {where}."
