"""Forward mode, vector-Jacobian products and whole Jacobians, with JAX's signatures.

Forward mode gives one column of the Jacobian per pass (cheap with few inputs),
reverse mode one row per pass after one forward sweep (cheap with few outputs);
`jacobian` picks the cheaper, `hessian` is forward mode over reverse mode."""
import numpy as np

from . import arguments, cache, naming, pytree
from .api import Gradient
from .codegen import backend_of
from .compiler import compile_jacobian, compile_jvp, compile_vjp, jacobian_ir
from .dispatch import call_on_numbers
from .frontend import IR_METHOD, JVP_MARK, own_signature
from .ir import is_function_argument
from .prims.core import runs_when_compiling


def _compiled(kind, fun, args, argnums=None, batch=None, backend=None):
    """Compile fun's forward-mode (kind "jvp", over a batch of tangents with batch) or split
    reverse-mode ("vjp") version for arguments of these kinds, once."""
    fun = arguments.function_of(fun)
    leaves, structures = arguments.flatten_args(args)
    indices = tuple(range(len(args))) if argnums is None else argnums
    leaf_indices = arguments.leaf_indices(structures, indices)
    arg_key = (structures, tuple(map(arguments.arg_key, leaves)))
    key = cache.key_of(fun, (kind, leaf_indices, batch, backend), arg_key)

    def build(avals):
        if kind == "jvp":
            return compile_jvp(fun, avals, leaf_indices, structures=structures, batch=batch, backend=backend)
        return compile_vjp(fun, avals, structures=structures, backend=backend)

    return cache.get_or_compile(key, build, fun, leaves), leaves, structures, leaf_indices


def jvp(fun, primals, tangents, batched=False, backend="numpy", strict=False):
    """(fun(*primals), the derivative of fun at primals along tangents), by forward mode.

    primals and tangents are tuples of the same structure; a tangent is an array (or
    float) shaped like its primal, and is taken in its primal's dtype. Integer primals
    take no tangent (pass zeros or None). Complex numbers are refused, as in grad.
    With batched=True, each tangent is a batch of directions along a first axis (shape
    (n,) + the primal's), and so is each tangent returned: n directions in one pass, as
    JAX's vmap of jvp gives (the primal outputs are computed once). backend and strict are
    grad's.

    >>> jvp(f, (2.0, 5.0), (1.0, 0.0))   # doctest: +SKIP
    (11.652..., 5.5)
    """
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise TypeError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    _refuse_complex_args(fun, primals, "primal")
    differentiable = tuple(i for i, p in enumerate(primals) if _is_float_tree(p))
    batch = _batch_of(tangents, differentiable) if batched else None
    compiled, leaves, structures, leaf_indices = _compiled("jvp", fun, primals, differentiable, batch,
                                                           backend_of(backend, strict))
    tangent_leaves = []
    for i in differentiable:
        (t_leaves, t_structure), (p_leaves, p_structure) = pytree.flatten(tangents[i]), pytree.flatten(primals[i])
        if t_structure != p_structure:
            raise TypeError(f"jvp: tangent {i} does not have the structure of primal {i}")
        if batched:
            tangent_leaves.extend(_batch_like(t, p, batch, f"tangent {i}") for t, p in zip(t_leaves, p_leaves))
        else:
            tangent_leaves.extend(_like_value(t, p, f"tangent {i}") for t, p in zip(t_leaves, p_leaves))
    outs = call_on_numbers(compiled.fn, compiled.floats_safe, [*leaves, *tangent_leaves])
    outs = outs if isinstance(outs, tuple) else (outs,)
    n = compiled.n_results
    values, tangents_out = outs[:n], outs[n:]
    # a tangent is shaped like its output (one zero by construction comes back as 0.0), in its dtype
    if batched:
        tangents_out = [np.array(t) for t in tangents_out]  # each a batch, of its own (not a broadcast view)
    else:
        tangents_out = [_tangent_like(t, v) for v, t in zip(values, tangents_out)]
    return pytree.unflatten(compiled.out_tree, values), pytree.unflatten(compiled.out_tree, tangents_out)


setattr(jvp, JVP_MARK, True)  # called inside a differentiated function, it is inlined (frontend/protocol.py)


def vjp(fun, *primals, backend="numpy", strict=False):
    """(fun(*primals), vjp_fn): vjp_fn(cotangent) gives the cotangent of every primal, as a
    tuple, by reverse mode. The forward sweep runs once; vjp_fn can be called many times.
    A cotangent is shaped like its output and taken in its dtype; each primal's cotangent
    has the primal's dtype. Complex numbers are refused, as in grad. backend and strict
    are grad's.

    >>> y, pullback = srcdiff.vjp(f, x)      # doctest: +SKIP
    >>> (dx,) = pullback(np.ones_like(y))                # doctest: +SKIP
    """
    _refuse_complex_args(fun, primals, "primal")
    compiled, leaves, structures, _ = _compiled("vjp", fun, primals, backend=backend_of(backend, strict))
    result = call_on_numbers(compiled.forward, compiled.floats_safe, leaves)
    n = compiled.n_results
    outs, tape = (result[:n], result[n]) if n > 1 else ((result[0],), result[1])
    return pytree.unflatten(compiled.out_tree, outs), VJPFunction(compiled, tape, primals, structures, outs)


class VJPFunction:
    """The backward half of vjp: cotangent of the output -> cotangents of the inputs."""

    def __init__(self, compiled, tape, primals, structures, outs):
        self.compiled, self.tape, self.primals, self.structures = compiled, tape, primals, structures
        self.outs = outs  # the forward sweep's outputs: each cotangent is shaped and typed like its own

    def __call__(self, cotangent):
        leaves, _ = pytree.flatten(cotangent)
        if len(leaves) != self.compiled.n_results:
            raise TypeError(f"the cotangent has {len(leaves)} parts for {self.compiled.n_results} outputs")
        leaves = [_like_value(g, out, "the cotangent") for g, out in zip(leaves, self.outs)]
        grads = call_on_numbers(self.compiled.fn, self.compiled.floats_safe, [self.tape, *leaves])
        grads = grads if isinstance(grads, tuple) else (grads,)
        it = iter(grads)
        out = []
        for p, s in zip(self.primals, self.structures):
            leaf_primals, _ = pytree.flatten(p)
            cotangents = [(next(it), a) for a in leaf_primals]  # None for a function passed in (act=np.tanh)
            out.append(pytree.unflatten(s, [None if is_function_argument(a) else arguments.like(g, a)
                                            for g, a in cotangents]))
        return tuple(out)

    @property
    def source(self):
        return self.compiled.source


def _is_float_tree(p):
    leaves, _ = pytree.flatten(p)
    return all(isinstance(x, float) or (isinstance(x, (np.ndarray, np.generic)) and x.dtype.kind == "f")
               for x in leaves)


def _is_complex(x):
    return isinstance(x, complex) or (isinstance(x, (np.ndarray, np.generic)) and x.dtype.kind == "c")


def _refuse_complex_args(fun, values, what):
    for i, v in enumerate(values):
        leaves, _ = pytree.flatten(v)
        if any(_is_complex(x) for x in leaves):
            raise TypeError(f"{what} {i} of {getattr(fun, '__name__', fun)} is complex; srcdiff differentiates "
                            "real numbers only (split it into real and imaginary parts)")


def _like_value(t, value, what):
    """A tangent (cotangent) for a value: its shape, in its dtype; a float for a float."""
    if _is_complex(t):
        raise TypeError(f"{what} is complex; srcdiff differentiates real numbers only")
    if t is None:
        return np.zeros_like(value) if isinstance(value, np.ndarray) else 0.0
    if np.shape(t) != np.shape(value):
        raise TypeError(f"{what} has shape {np.shape(t)}, but its value has shape {np.shape(value)}")
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind == "f":
        return np.asarray(t, dtype=value.dtype) if isinstance(value, np.ndarray) else value.dtype.type(t)
    return np.asarray(t, dtype=float) if np.ndim(t) else float(t)


def _batch_of(tangents, differentiable):
    """The number of directions in a batch of tangents (their first axis, the same for all)."""
    sizes = {np.shape(t)[0] if np.ndim(t) else None for i in differentiable for t in pytree.flatten(tangents[i])[0]}
    if None in sizes or len(sizes) != 1:
        raise ValueError("jvp(batched=True): every tangent is a batch of directions along its first axis, of one "
                         f"length for all; got first axes {sorted(s for s in sizes if s is not None)}"
                         + (" and a scalar" if None in sizes else ""))
    return sizes.pop()


def _batch_like(t, value, size, what):
    """A batch of tangents for value: shape (size,) + value's, in value's dtype."""
    t = np.asarray(t)
    if t.shape != (size,) + np.shape(value):
        raise ValueError(f"jvp(batched=True): {what} has shape {t.shape}; a batch of {size} tangents of a value "
                         f"of shape {np.shape(value)} has shape {(size,) + np.shape(value)}")
    dtype = np.result_type(value)
    return t.astype(dtype) if dtype.kind == "f" and t.dtype != dtype else t


def _tangent_like(t, value):
    shape = np.shape(value)
    dtype = value.dtype if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind == "f" else None
    if np.shape(t) != shape:
        t = np.zeros(shape, dtype=dtype or float) + t
    if dtype is not None and np.result_type(t) != dtype:
        t = np.asarray(t).astype(dtype) if shape else dtype.type(t)
    return t


# ---------------------------------------------------------------------------
# Jacobians


@runs_when_compiling
def jacfwd(fun, argnums=0, chunk_size=None, backend="numpy", strict=False):
    """The Jacobian by forward mode: every input direction in one batched pass (or chunk_size
    of them at a time, to hold fewer tangents at once), shape out.shape + in.shape. A tuple
    argnums gives a tuple of Jacobians; a tuple output, one entry per output.

    >>> srcdiff.jacfwd(f)(np.array([1.0, 2.0, 3.0])).shape   # doctest: +SKIP
    (1000, 3)
    """
    return _Jacobian(fun, argnums, "fwd", chunk_size=chunk_size, backend=backend_of(backend, strict))


@runs_when_compiling
def jacrev(fun, argnums=0, chunk_size=None, backend="numpy", strict=False):
    """The Jacobian by reverse mode: one forward sweep, then one backward sweep over every
    output direction at once (or chunk_size of them at a time).

    >>> srcdiff.jacrev(f, argnums=1)(x, W)                   # doctest: +SKIP
    """
    return _Jacobian(fun, argnums, "rev", chunk_size=chunk_size, backend=backend_of(backend, strict))


@runs_when_compiling
def jacobian(fun, argnums=0, chunk_size=None, backend="numpy", strict=False):
    """The Jacobian, by forward mode when the inputs have fewer elements than the outputs
    and by reverse mode otherwise (each pass gives a column, resp. a row).

    >>> J = srcdiff.jacobian(f)(x)                           # doctest: +SKIP
    """
    return _Jacobian(fun, argnums, "auto", chunk_size=chunk_size, backend=backend_of(backend, strict))


@runs_when_compiling
def hessian(fun, argnums=0, chunk_size=None, backend="numpy", strict=False):
    """The Hessian: forward mode over reverse mode, jacfwd(jacrev(fun)), as in JAX. For a
    scalar function, the Jacobian of its gradient; for argnums=(0, 1), ((H00, H01), (H10, H11)).

    >>> srcdiff.hessian(energy)(np.zeros(100)).shape   # doctest: +SKIP
    (100, 100)
    """
    return _Jacobian(_Jacobian(fun, argnums, "rev"), argnums, "fwd", kind="hessian", chunk_size=chunk_size,
                     backend=backend_of(backend, strict))


class _Jacobian:
    """A function transformed by jacfwd/jacrev/jacobian/hessian. Its derivative is one
    compiled function (a loop over the input or output elements), whose IR a
    transformation on top differentiates again."""

    def __init__(self, fun, argnums, mode, kind=None, chunk_size=None, backend=None):
        if not callable(fun):
            raise TypeError(f"a Jacobian is taken of a function, not a {type(fun).__name__}")
        fun = arguments.function_of(fun)
        if not _is_argnums(argnums):
            raise TypeError(f"argnums must be an int or a tuple of ints, not {argnums!r}")
        if argnums == ():
            raise ValueError("argnums is an empty tuple: name at least one argument to differentiate")
        if chunk_size is not None and (not isinstance(chunk_size, int) or isinstance(chunk_size, bool)
                                       or chunk_size < 1):
            raise ValueError(f"chunk_size is a positive int (directions at a time), not {chunk_size!r}")
        self.fun, self.argnums, self.mode, self.chunk_size = fun, argnums, mode, chunk_size
        self.backend = backend  # codegen.backend_of's value: None for NumPy
        self.kind = kind or {"fwd": "jacfwd", "rev": "jacrev", "auto": "jacobian"}[mode]
        self._indices = argnums if isinstance(argnums, tuple) else (argnums,)
        inner = fun.fun if self.kind == "hessian" else fun
        self.__name__ = f"{self.kind} of {getattr(inner, '__name__', inner)}"
        self.__wrapped__ = fun
        self._signature = own_signature(fun)

    def __repr__(self):
        inner = self.fun.fun if self.kind == "hessian" else self.fun
        return f"<srcdiff.{self.kind} of {getattr(inner, '__qualname__', inner)}, argnums={self.argnums}>"

    def _name(self, inner):
        """(jacfwd_f, "the Jacobian of f"): the emitted function's name and what it computes,
        from the IR name of what it differentiates (hessian_f is the Jacobian of jacrev_f)."""
        if self.kind == "hessian":
            inner = naming.untransformed("jacrev", inner)
            return naming.transformation("hessian", inner), f"the Hessian of {inner}"
        return naming.transformation(self.kind, inner), f"the Jacobian of {inner}"

    def _indices_for(self, n):
        indices = tuple(i + n if i < 0 else i for i in self._indices)
        for given, i in zip(self._indices, indices):
            if not 0 <= i < n:
                raise ValueError(f"argnums {given} is out of range for {getattr(self.fun, '__name__', self.fun)}, "
                                 f"called with {n} argument(s)")
        return indices

    def _tree(self, out_tree):
        """fun's output structure with, at each leaf, the Jacobian (a tuple of them, one per
        argument, for a tuple argnums) numbered as the compiled function returns them."""
        if not isinstance(self.argnums, tuple):
            return out_tree  # one Jacobian per output, numbered as the output
        w = len(self._indices)
        return pytree.map_leaves(out_tree, lambda t: pytree.tuple_of(*range(t * w, t * w + w)))

    def _wrt(self, structures, indices):
        if structures is not None:
            for i in indices:
                if not pytree.is_leaf(structures[i]):
                    raise TypeError(f"the Jacobian is taken wrt floats and float arrays; argument {i} of "
                                    f"{getattr(self.fun, '__name__', self.fun)} is a {pytree.kind(structures[i])}")
        return arguments.leaf_indices(structures, indices)

    def __srcdiff_ir__(self, arg_avals, structures, optimize):
        """The IR of the whole Jacobian, for a transformation on top (jacfwd(jacrev(f)))."""
        n = len(structures) if structures else len(arg_avals)
        wrt = self._wrt(structures, self._indices_for(n))
        low, out_tree = jacobian_ir(self.fun, arg_avals, wrt, self.mode, optimize, structures, self._name,
                                    self.chunk_size)
        low.out_tree = self._tree(out_tree)
        return low

    def _bind(self, args, kwargs):
        return arguments.bind_given(self._signature, args, kwargs, self.fun)

    def compiled(self, *args, **kwargs):
        """The compiled Jacobian for arguments of these kinds (its source: .source)."""
        return self._compiled_for(self._bind(args, kwargs))[0]

    def _compiled_for(self, args):
        """(the compiled Jacobian, the leaves of args to call it with)."""
        indices = self._indices_for(len(args))
        for i in indices:
            if pytree.is_node(args[i]):
                raise TypeError(f"the Jacobian is taken wrt floats and float arrays; argument {i} of "
                                f"{getattr(self.fun, '__name__', self.fun)} is a {type(args[i]).__name__}")
        arguments.check_differentiable(self.fun, args, indices)
        leaves, structures = arguments.leaves_of(args)
        wrt = self._wrt(structures, indices)
        arg_key = (structures, tuple(map(arguments.arg_key, leaves)))
        key = cache.key_of(self.fun, ("jacobian", self.mode, wrt, self.chunk_size, self.backend), arg_key)

        def build(avals):
            return compile_jacobian(self.fun, avals, wrt, self.mode, structures=structures, name=self._name,
                                    chunk=self.chunk_size, backend=self.backend)

        return cache.get_or_compile(key, build, self.fun, leaves), leaves

    def __call__(self, *args, **kwargs):
        compiled, leaves = self._compiled_for(self._bind(args, kwargs))
        outs = call_on_numbers(compiled.fn, compiled.floats_safe, leaves)
        outs = outs if isinstance(outs, tuple) else (outs,)
        # an array of its own, never a read-only broadcast view
        outs = [o if isinstance(o, np.ndarray) and o.flags.writeable else np.array(o) for o in outs]
        return pytree.unflatten(self._tree(compiled.out_tree), outs)


def _is_argnums(argnums):
    def is_int(i):
        return isinstance(i, int) and not isinstance(i, bool)

    return is_int(argnums) or (isinstance(argnums, tuple) and all(is_int(i) for i in argnums))


def check_grads(fun, args, order=1, modes=("fwd", "rev"), eps=1e-6, rtol=1e-5, atol=1e-7):
    """Compare srcdiff's derivatives of fun at args with central differences; raise an
    AssertionError naming the argument, the element and the difference when they disagree.

    order=2 also checks the derivatives of the Jacobian wrt the first argument. Complex
    arguments are a TypeError (srcdiff differentiates real numbers only); integer ones are
    left alone.

    >>> srcdiff.check_grads(loss, (W, b), order=2)           # doctest: +SKIP
    """
    from .testing import central_difference

    args = tuple(args)
    _refuse_complex_args(fun, args, "argument")
    for i, x in enumerate(args):
        if not (isinstance(x, float) or (isinstance(x, (np.ndarray, np.floating)) and x.dtype.kind == "f")):
            continue
        expected = central_difference(lambda *a: np.asarray(fun(*a), dtype=float), args, i, eps)
        for mode in modes:
            got = (jacfwd if mode == "fwd" else jacrev)(fun, argnums=i)(*args)
            _compare(got, expected, f"{mode}-mode derivative wrt argument {i}", rtol, atol)
    if order >= 2:
        check_grads(jacrev(fun, argnums=0), args, order - 1, modes, eps, rtol, atol)


def _compare(got, expected, what, rtol, atol):
    got = np.asarray(got, dtype=float)
    expected = np.asarray(expected, dtype=float)
    if got.shape != expected.shape:
        expected = expected.reshape(got.shape) if expected.size == got.size else expected
    bad = ~np.isclose(got, expected, rtol=rtol, atol=atol)
    if np.any(bad):
        k = np.unravel_index(np.argmax(np.abs(got - expected) * bad), got.shape) if got.shape else ()
        raise AssertionError(
            f"{what} disagrees with central differences at element {tuple(int(v) for v in k)}: "
            f"srcdiff {got[k]!r}, differences {expected[k]!r} (difference {abs(got[k] - expected[k]):.3g}; "
            f"{int(bad.sum())} of {bad.size} elements differ)"
        )


def source(fun, *example_args, mode=None):
    """The emitted Python module of a derivative, as a string.

    ``source(grad(f), *args)`` shows the gradient; ``source(f, *args, mode="jvp")``
    the forward-mode derivative (one tangent per float argument); ``mode="vjp"``
    the forward and backward halves of reverse mode. With example arguments the
    code is specialised to their shapes and dtypes; without, it works for any.

    >>> print(srcdiff.source(srcdiff.grad(f), 2.0, 5.0))   # doctest: +SKIP
    import numpy as np
    ...
    """
    if mode is None:
        if getattr(fun, "source", None) is not None and not isinstance(fun, Gradient):
            return fun.source  # a vjp_fn
        if isinstance(fun, Gradient):
            return fun.compiled(*example_args).source
        if hasattr(fun, IR_METHOD) and example_args:  # a Jacobian or Hessian
            return fun.compiled(*example_args).source
        raise TypeError(f"srcdiff.source expects a function made by srcdiff.grad, value_and_grad or (with "
                        f"example arguments) a Jacobian, or mode='jvp'/'vjp' with a plain function, not "
                        f"{type(fun).__name__}")
    if mode not in ("jvp", "vjp"):
        raise ValueError(f"mode is 'jvp' or 'vjp', not {mode!r}")
    if not example_args:
        raise TypeError(f"source(..., mode={mode!r}) needs example arguments")
    differentiable = tuple(i for i, a in enumerate(example_args) if _is_float_tree(a))
    kind_args = (differentiable,) if mode == "jvp" else ()
    return _compiled(mode, fun, example_args, *kind_args)[0].source
