"""Forward mode, vector-Jacobian products and whole Jacobians, with JAX's signatures.

Forward mode gives one column of the Jacobian per pass (cheap with few inputs),
reverse mode one row per pass after one forward sweep (cheap with few outputs);
`jacobian` picks the cheaper, `hessian` is forward mode over reverse mode."""
import inspect

import numpy as np

from . import cache, pytree
from .api import Gradient, _arg_key, _like, _check_differentiable, _flatten_args, _leaf_indices, grad
from .compiler import compile_jvp, compile_vjp
from .ir import aval_of_argument, is_function_argument
from .prims.core import runs_when_compiling


def _compiled(kind, fun, args, argnums=None):
    """Compile fun's forward-mode (kind "jvp") or split reverse-mode ("vjp") version for
    arguments of these kinds, once."""
    leaves, structures = _flatten_args(args)
    indices = tuple(range(len(args))) if argnums is None else argnums
    leaf_indices = _leaf_indices(structures, indices)
    arg_key = (structures, tuple(map(_arg_key, leaves)))
    key = cache.key_of(fun, (kind, leaf_indices), arg_key)

    def build():
        avals = tuple(aval_of_argument(a) for a in leaves)
        if kind == "jvp":
            return compile_jvp(fun, avals, leaf_indices, structures=structures)
        return compile_vjp(fun, avals, structures=structures)

    return cache.get_or_compile(key, build), leaves, structures, leaf_indices


def jvp(fun, primals, tangents):
    """(fun(*primals), the derivative of fun at primals along tangents), by forward mode.

    primals and tangents are tuples of the same structure; a tangent is an array (or
    float) shaped like its primal. Integer primals take no tangent (pass zeros or None).

    >>> jvp(f, (2.0, 5.0), (1.0, 0.0))   # doctest: +SKIP
    (11.652..., 5.5)
    """
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise TypeError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    differentiable = tuple(i for i, p in enumerate(primals) if _is_float_tree(p))
    compiled, leaves, structures, leaf_indices = _compiled("jvp", fun, primals, differentiable)
    tangent_leaves = []
    for i in differentiable:
        t_leaves = []
        if pytree.flatten(tangents[i], t_leaves) != pytree.flatten(primals[i], []):
            raise TypeError(f"jvp: tangent {i} does not have the structure of primal {i}")
        tangent_leaves.extend(np.asarray(t, dtype=float) if np.ndim(t) else float(t) for t in t_leaves)
    outs = compiled.fn(*leaves, *tangent_leaves)
    outs = outs if isinstance(outs, tuple) else (outs,)
    n = compiled.n_results
    values, tangents_out = outs[:n], outs[n:]
    # a tangent that is zero by construction comes back as 0.0: give it its output's shape
    tangents_out = [t if np.shape(t) == np.shape(v) else np.zeros(np.shape(v)) + t
                    for v, t in zip(values, tangents_out)]
    return _unflatten_out(compiled.out_tree, values), _unflatten_out(compiled.out_tree, tangents_out)


def vjp(fun, *primals):
    """(fun(*primals), vjp_fn): vjp_fn(cotangent) gives the cotangent of every primal, as a
    tuple, by reverse mode. The forward sweep runs once; vjp_fn can be called many times.

    >>> y, pullback = srcdiff.vjp(f, x)      # doctest: +SKIP
    >>> (dx,) = pullback(np.ones_like(y))                # doctest: +SKIP
    """
    compiled, leaves, structures, _ = _compiled("vjp", fun, primals)
    result = compiled.forward(*leaves)
    n = compiled.n_results
    outs, tape = (result[:n], result[n]) if n > 1 else ((result[0],), result[1])
    return _unflatten_out(compiled.out_tree, outs), VJPFunction(compiled, tape, primals, structures)


class VJPFunction:
    """The backward half of vjp: cotangent of the output -> cotangents of the inputs."""

    def __init__(self, compiled, tape, primals, structures):
        self.compiled, self.tape, self.primals, self.structures = compiled, tape, primals, structures

    def __call__(self, cotangent):
        leaves = []
        pytree.flatten(cotangent, leaves)
        if len(leaves) != self.compiled.n_results:
            raise TypeError(f"the cotangent has {len(leaves)} parts for {self.compiled.n_results} outputs")
        grads = self.compiled.fn(self.tape, *leaves)
        grads = grads if isinstance(grads, tuple) else (grads,)
        it = iter(grads)
        out = []
        for p, s in zip(self.primals, self.structures):
            leaf_primals = []
            pytree.flatten(p, leaf_primals)
            cotangents = [(next(it), a) for a in leaf_primals]  # None for a function passed in (act=np.tanh)
            out.append(pytree.unflatten(s, iter([None if is_function_argument(a) else _like(g, a)
                                                 for g, a in cotangents])))
        return tuple(out)

    @property
    def source(self):
        return self.compiled.source


def _unflatten_out(tree, leaves):
    def build(t):
        if isinstance(t, int):
            return leaves[t]
        return type(t)(build(x) for x in t)

    return build(tree)


def _is_float_tree(p):
    leaves = []
    pytree.flatten(p, leaves)
    return all(isinstance(x, float) or (isinstance(x, (np.ndarray, np.generic)) and x.dtype.kind in "fc")
               for x in leaves)


# ---------------------------------------------------------------------------
# Jacobians


@runs_when_compiling
def jacfwd(fun, argnums=0):
    """The Jacobian by forward mode: one pass per input element, shape out.shape + in.shape.

    >>> srcdiff.jacfwd(f)(np.array([1.0, 2.0, 3.0])).shape   # doctest: +SKIP
    (1000, 3)
    """
    return _Jacobian(fun, argnums, "fwd")


@runs_when_compiling
def jacrev(fun, argnums=0):
    """The Jacobian by reverse mode: one forward sweep, one backward pass per output element.

    >>> srcdiff.jacrev(f, argnums=1)(x, W)                   # doctest: +SKIP
    """
    return _Jacobian(fun, argnums, "rev")


@runs_when_compiling
def jacobian(fun, argnums=0):
    """The Jacobian, by forward mode when the input has fewer elements than the output and
    by reverse mode otherwise (each pass gives a column, resp. a row).

    >>> J = srcdiff.jacobian(f)(x)                           # doctest: +SKIP
    """
    return _Jacobian(fun, argnums, "auto")


@runs_when_compiling
def hessian(fun, argnums=0):
    """The Hessian of a scalar function: forward mode over the reverse-mode gradient.

    >>> srcdiff.hessian(energy)(np.zeros(100)).shape   # doctest: +SKIP
    (100, 100)
    """
    return _Jacobian(grad(fun, argnums=argnums), argnums, "fwd")


class _Jacobian:
    def __init__(self, fun, argnums, mode):
        if not isinstance(argnums, int):
            raise TypeError("jacfwd/jacrev/jacobian/hessian take one argument number (an int)")
        self.fun, self.argnums, self.mode = fun, argnums, mode
        self.__name__ = f"jacobian of {getattr(fun, '__name__', fun)}"
        self.__wrapped__ = fun

    def derivative_ir(self, arg_avals, structures, optimize):
        """For a transformation on top (jacfwd(jacrev(f))): the Jacobian of a scalar function is
        its gradient, whichever mode computes it. A vector function's is not supported yet."""
        try:
            return Gradient(self.fun, self.argnums, False, False).derivative_ir(arg_avals, structures, optimize)
        except TypeError as e:
            raise TypeError(f"the Jacobian of a vector-valued function cannot be differentiated again, or called "
                            f"inside a differentiated function, yet ({e}); for the Jacobian of a scalar "
                            "function's gradient use srcdiff.hessian(f)") from None

    def __call__(self, *args):
        i = self.argnums % len(args)
        x = args[i]
        if not (isinstance(x, float) or (isinstance(x, np.ndarray) and x.dtype.kind == "f")):
            raise TypeError(f"the Jacobian is taken wrt a float or a float array, not {type(x).__name__}")
        _check_differentiable(_signature_owner(self.fun), args, (i,))
        mode = self.mode
        if mode == "auto":
            out, pullback = vjp(self.fun, *args)
            if np.size(x) < np.size(out):
                return self._forward(args, i)
            return self._reverse(args, i, out, pullback)
        return self._forward(args, i) if mode == "fwd" else self._reverse(args, i, *vjp(self.fun, *args))

    def _forward(self, args, i):
        """One forward-mode pass per element of args[i], calling the compiled code directly."""
        compiled, leaves, _, _ = _compiled("jvp", self.fun, args, (i,))
        n = compiled.n_results
        if n != 1:
            raise TypeError("jacfwd needs a function with one array (or float) output")
        x = args[i]
        size = int(np.size(x))
        columns = []
        for k in range(size):
            if isinstance(x, np.ndarray):
                direction = np.zeros(size)
                direction[k] = 1.0
                direction = direction.reshape(x.shape)
            else:
                direction = 1.0
            out, column = compiled.fn(*leaves, direction)
            # a tangent that is zero by construction comes back as a plain 0.0
            columns.append(np.broadcast_to(np.asarray(column, dtype=float), np.shape(out)))
        out_shape = np.shape(out)
        return np.stack(columns, axis=-1).reshape(out_shape + np.shape(x))

    def _reverse(self, args, i, out, pullback):
        out_shape = np.shape(out)
        rows = []
        for k in range(int(np.prod(out_shape, dtype=int))):
            ct = np.zeros(int(np.prod(out_shape, dtype=int)))
            ct[k] = 1.0
            rows.append(np.asarray(pullback(ct.reshape(out_shape) if out_shape else 1.0)[i], dtype=float))
        return np.stack(rows).reshape(out_shape + np.shape(args[i]))


def _signature_owner(fun):
    return fun if inspect.isfunction(fun) or hasattr(fun, "__wrapped__") else fun.__call__


def check_grads(fun, args, order=1, modes=("fwd", "rev"), eps=1e-6, rtol=1e-5, atol=1e-7):
    """Compare srcdiff's derivatives of fun at args with central differences; raise an
    AssertionError naming the argument, the element and the difference when they disagree.

    order=2 also checks the derivatives of the gradient wrt the first argument (fun scalar).

    >>> srcdiff.check_grads(loss, (W, b), order=2)           # doctest: +SKIP
    """
    from .testing import central_difference

    args = tuple(args)
    for i, x in enumerate(args):
        if not (isinstance(x, float) or (isinstance(x, np.ndarray) and x.dtype.kind == "f")):
            continue
        expected = central_difference(lambda *a: np.asarray(fun(*a), dtype=float), args, i, eps)
        for mode in modes:
            got = (jacfwd if mode == "fwd" else jacrev)(fun, argnums=i)(*args)
            _compare(got, expected, f"{mode}-mode derivative wrt argument {i}", rtol, atol)
    if order >= 2:
        check_grads(grad(fun, argnums=0), args, order - 1, modes, eps, rtol, atol)


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
