"""The user-facing transformations, with JAX's names and argument conventions."""
import functools

import numpy as np

from . import arguments, cache, pytree
from .codegen import backend_of
from .compiler import compile_grad, grad_ir
from .dispatch import call_on_numbers, make_dispatcher
from .frontend import own_signature
from .ir import unknown_aval
from .prims.core import runs_when_compiling


@runs_when_compiling
def grad(fun=None, argnums=0, has_aux=False, backend="numpy", strict=False):
    """The gradient of a scalar-valued function, as emitted NumPy source.

    ``argnums`` picks the argument(s) to differentiate: an int gives one
    gradient, a tuple gives a tuple. With ``has_aux=True`` the function
    returns ``(output, aux)`` and the gradient function returns ``(grad, aux)``.
    Gradients have the type and shape of their argument.

    >>> import numpy as np, srcdiff
    >>> def f(x1, x2):
    ...     return np.log(x1) + x1 * x2 - np.sin(x2)
    >>> srcdiff.grad(f, argnums=(0, 1))(2.0, 5.0)   # doctest: +SKIP
    (5.5, 1.7163378145367738)

    Usable as ``@grad`` or ``@grad(argnums=(0, 1))``.

    ``backend="numba"`` compiles the derivative with numba (``pip install "srcdiff[numba]"``):
    loops over small arrays and scalars run as machine code. Where numba cannot compile it,
    the NumPy derivative runs instead, with a warning naming the line; ``strict=True`` raises.
    """
    if fun is None:
        return runs_when_compiling(lambda f: grad(f, argnums=argnums, has_aux=has_aux, backend=backend,
                                                  strict=strict))
    return Gradient(fun, argnums, has_aux, with_value=False, backend=backend_of(backend, strict))


@runs_when_compiling
def value_and_grad(fun=None, argnums=0, has_aux=False, backend="numpy", strict=False):
    """Like :func:`grad`, but the function returns ``(value, gradient)``, computed in one pass.

    With ``has_aux=True`` it returns ``((value, aux), gradient)``, as JAX does.

    >>> loss_and_grads = srcdiff.value_and_grad(loss, argnums=(0, 1))   # doctest: +SKIP
    >>> value, (dW, db) = loss_and_grads(W, b, X, y)                   # doctest: +SKIP
    """
    if fun is None:
        return runs_when_compiling(lambda f: value_and_grad(f, argnums=argnums, has_aux=has_aux, backend=backend,
                                                            strict=strict))
    return Gradient(fun, argnums, has_aux, with_value=True, backend=backend_of(backend, strict))


class Gradient:
    """A function transformed by grad/value_and_grad. Compiles per argument kind, once."""

    def __init__(self, fun, argnums, has_aux, with_value, optimize=True, backend=None):
        if not callable(fun):
            raise TypeError(f"grad expects a function, not {type(fun).__name__}")
        fun = arguments.function_of(fun)
        if not isinstance(argnums, (int, tuple)) or isinstance(argnums, bool) or (
            isinstance(argnums, tuple) and not all(isinstance(i, int) and not isinstance(i, bool) for i in argnums)
        ):
            raise TypeError(f"argnums must be an int or a tuple of ints, not {argnums!r}")
        if isinstance(argnums, tuple) and not argnums:
            raise ValueError("argnums is an empty tuple: name at least one argument to differentiate")
        self.fun = fun
        self.argnums = argnums
        self.has_aux = has_aux
        self.with_value = with_value
        self.optimize = optimize  # False shows the derivative before simplification (srcdiff --no-simplify)
        self.backend = backend  # codegen.backend_of's value: None for NumPy
        self._indices = argnums if isinstance(argnums, tuple) else (argnums,)
        self._signature = own_signature(fun)
        self._nparams = len(self._signature.parameters)
        self._simple = isinstance(argnums, int) and not has_aux and not with_value  # one array out
        self._normalized = self._indices_for(self._nparams) if all(
            -self._nparams <= i < self._nparams for i in self._indices) else self._indices
        self._entries = {}  # argument kinds -> compiled
        self._dispatchers = {}  # argument kinds -> (compiled, its fast path)
        self._called = False  # whether the general path ran once already
        functools.update_wrapper(self, fun, updated=())  # not the wrapped object's __dict__

    def __srcdiff_ir__(self, arg_avals, structures, optimize):
        """The IR of this gradient, for a transformation applied on top (grad of grad, jacfwd of
        grad) or called inside a differentiated function; its out_tree is what a call returns
        (value and aux too, for value_and_grad and has_aux)."""
        n = len(structures) if structures else len(arg_avals)
        indices = self._indices_for(n)
        low, aux_tree, _ = grad_ir(self.fun, arg_avals, arguments.leaf_indices(structures, indices), self.has_aux,
                                   self.with_value, optimize=optimize, structures=structures)
        first = 1 if self.with_value else 0  # the results: the value, each gradient's leaves, the aux leaves
        trees = []
        for i in indices:
            structure = pytree.LEAF if structures is None else structures[i]
            if "dict" in pytree.kinds(structure):
                raise TypeError("a derivative of a derivative wrt a dict argument is not supported: pass arrays")
            trees.append(pytree.shifted(structure, first))
            first += pytree.count(structure)
        g = pytree.tuple_of(*trees) if isinstance(self.argnums, tuple) else trees[0]
        if self.has_aux:
            aux = pytree.shifted(aux_tree, first)
            value_and_aux = pytree.tuple_of(0, aux)
            low.out_tree = pytree.tuple_of(value_and_aux, g) if self.with_value else pytree.tuple_of(g, aux)
        else:
            low.out_tree = pytree.tuple_of(0, g) if self.with_value else g
        return low

    def __repr__(self):
        kind = "value_and_grad" if self.with_value else "grad"
        return f"<srcdiff.{kind} of {getattr(self.fun, '__qualname__', self.fun)}, argnums={self.argnums}>"

    def _bind(self, args, kwargs):
        if not kwargs and len(args) == self._nparams:
            return args
        return arguments.bind_given(self._signature, args, kwargs, self.fun)

    def _indices_for(self, n):
        indices = tuple(i + n if i < 0 else i for i in self._indices)
        for given, i in zip(self._indices, indices):
            if not 0 <= i < n:
                raise ValueError(
                    f"argnums {given} is out of range for {self.fun.__name__}, which takes {n} argument(s)"
                )
        return indices

    def compiled(self, *args, **kwargs):
        """The compiled derivative for these arguments' kinds (generic when none are given)."""
        if not (args or kwargs):
            indices = self._indices_for(self._nparams)
            avals = tuple(unknown_aval() for _ in range(self._nparams))
            return self._lookup("generic", indices, None, avals=avals)
        args = self._bind(args, kwargs)
        return self._compiled_for(args, *arguments.leaves_of(args))

    def _compiled_for(self, args, leaves, structures):
        arg_key = (structures, tuple(map(arguments.arg_key, leaves)))
        entry = self._entries.get(arg_key)
        if entry is not None and cache.valid(entry.guards) and cache.same_values(entry, leaves):
            return entry
        indices = self._indices_for(len(args))
        arguments.check_differentiable(self.fun, args, indices)
        leaf_indices = arguments.leaf_indices(structures, indices)
        entry = self._lookup(arg_key, leaf_indices, structures, leaves=leaves)
        self._entries[arg_key] = entry
        return entry

    def _lookup(self, arg_key, indices, structures, leaves=None, avals=None):
        """The entry for arguments with these leaves (their avals made by the cache), or for
        these avals (the generic entry)."""
        key = cache.key_of(self.fun, (indices, self.has_aux, self.with_value, self.optimize, self.backend), arg_key)

        def build(avals=avals):
            return compile_grad(self.fun, avals, indices, self.has_aux, self.with_value, optimize=self.optimize,
                                structures=structures, backend=self.backend)

        return cache.get_or_compile(key, build, self.fun, leaves)

    def __new__(cls, *args, **kwargs):
        # Each gradient has a class of its own, so that its __call__ can be the fast path
        # made for the argument kinds it was last called with (srcdiff/dispatch.py): a call
        # through the class is the cheapest a Python callable object gets.
        own = type(cls.__name__, (cls,), {"__module__": cls.__module__, "__qualname__": cls.__qualname__})
        return super().__new__(own)

    def __call__(self, *args, **kwargs):
        return self._call(args, kwargs)

    def _call(self, args, kwargs):
        """The general path: bind, flatten, find or compile the entry, and install the fast
        path (srcdiff/dispatch.py) for arguments of these kinds."""
        if kwargs or len(args) != self._nparams:
            args = self._bind(args, kwargs)
        leaves, structures = arguments.leaves_of(args)
        compiled = self._compiled_for(args, leaves, structures)
        if structures is None:
            if self._called:
                type(self).__call__ = self._dispatcher(args, compiled)
            else:  # made from the second call on: a gradient made in a loop is called once (README: cache)
                self._called = True
        # Python floats run as NumPy scalars, so 1 / 0.0 is inf (with NumPy's warning), as it is
        # for arrays, rather than a ZeroDivisionError from inside the derivative
        outs = call_on_numbers(compiled.fn, compiled.floats_safe, leaves)
        if self._simple and structures is None:
            return arguments.like(outs, args[self._indices[0]])
        return self._package(outs, args, structures, compiled)

    def _dispatcher(self, args, compiled):
        key = tuple(map(arguments.arg_key, args))
        made = self._dispatchers.get(key)
        if made is None or made[0] is not compiled:
            package = (lambda outs, args: self._package(outs, args, None, compiled)) if self.has_aux else None
            fast = make_dispatcher(self._signature, args, compiled, compiled.guards, Gradient._call, arguments.like,
                                   self._indices_for(len(args)), self.with_value,
                                   isinstance(self.argnums, tuple), package)
            made = self._dispatchers[key] = (compiled, fast)
        return made[1]

    def _package(self, outs, args, structures, compiled):
        outs = outs if isinstance(outs, tuple) else (outs,)
        indices = self._normalized if len(args) == self._nparams else self._indices_for(len(args))
        aux_tree, n_aux = compiled.out_tree
        pos = 0
        value = None
        if self.with_value:
            value, pos = outs[0], 1
        if structures is None:  # the common case: arrays and floats, one output each
            grads = [arguments.like(g, args[i]) for g, i in zip(outs[pos:pos + len(indices)], indices)]
            pos += len(indices)
        else:
            grads, pos = self._regroup(outs, pos, args, structures, indices)
        aux_leaves = outs[pos:]
        g = tuple(grads) if isinstance(self.argnums, tuple) else grads[0]
        if self.has_aux:
            aux = pytree.unflatten(aux_tree, aux_leaves)
            if self.with_value:
                return (value, aux), g
            return g, aux
        if self.with_value:
            return value, g
        return g

    @staticmethod
    def _regroup(outs, pos, args, structures, indices):
        """Leaf gradients back into each argument's dict/list/tuple structure."""
        grads = []
        for i in indices:
            leaf_args, _ = pytree.flatten(args[i])
            n = len(leaf_args)
            leaf_grads = [arguments.like(g, a) for g, a in zip(outs[pos:pos + n], leaf_args)]
            grads.append(pytree.unflatten(structures[i], leaf_grads))
            pos += n
        return grads, pos
