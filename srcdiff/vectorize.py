"""srcdiff.vmap: a function of one example made into a function of a batch of them, as
emitted NumPy (transforms/batching.py), with JAX's signature and conventions."""
import numpy as np

from . import arguments, cache, pytree
from .compiler import compile_vmap, vmap_ir
from .dispatch import call_on_numbers
from .frontend import own_signature
from .prims.core import runs_when_compiling


@runs_when_compiling
def vmap(fun, in_axes=0, out_axes=0, chunk_size=None):
    """fun mapped over a batch axis of its arguments, in one pass of emitted NumPy.

    in_axes: for every argument, the axis its batch is along (an int, negative from the
    end), or None where the argument is the same for every item; one int or None for all of
    them, or a tuple with one entry per positional argument, each an int, None, or a
    container like the argument with one entry per leaf. out_axes: where each output's batch
    axis goes, in the same way (None for an output that is the same for every item).
    chunk_size: at most this many items at a time, in a loop over chunks of the batch (to hold
    fewer intermediate values at once); the last chunk is filled up with copies of the last item.

    >>> per_example = srcdiff.vmap(srcdiff.grad(loss), in_axes=(None, 0, 0))   # doctest: +SKIP
    >>> per_example(w, X, y).shape   # one gradient per row of X                 # doctest: +SKIP
    (256, 10)
    """
    return Vectorized(fun, in_axes, out_axes, chunk_size)


def _check_axes(spec, what):
    leaves, _ = pytree.flatten(spec)
    for a in leaves:
        if a is not None and (not isinstance(a, (int, np.integer)) or isinstance(a, bool)):
            raise TypeError(f"vmap: {what} entries are ints or None, not {a!r}")


class Vectorized:
    """A function transformed by vmap. Compiles per argument kind, once; its IR is what a
    transformation on top (grad of vmap, vmap of vmap) transforms again."""

    def __init__(self, fun, in_axes, out_axes, chunk_size=None):
        if not callable(fun):
            raise TypeError(f"vmap expects a function, not {type(fun).__name__}")
        _check_axes(in_axes, "in_axes")
        _check_axes(out_axes, "out_axes")
        if isinstance(in_axes, list):
            in_axes = tuple(in_axes)
        self.fun = arguments.function_of(fun)
        if chunk_size is not None and (not isinstance(chunk_size, int) or isinstance(chunk_size, bool)
                                       or chunk_size < 1):
            raise ValueError(f"vmap: chunk_size is a positive int (items at a time), not {chunk_size!r}")
        self.in_axes, self.out_axes, self.chunk_size = in_axes, out_axes, chunk_size
        self._signature = own_signature(self.fun)
        self.__name__ = f"vmap of {getattr(fun, '__name__', fun)}"
        self.__wrapped__ = fun

    def __repr__(self):
        return (f"<srcdiff.vmap of {getattr(self.fun, '__qualname__', self.fun)}, in_axes={self.in_axes!r}, "
                f"out_axes={self.out_axes!r}>")

    def _leaf_axes(self, ranks, structures):
        """The batch axis of every leaf (non-negative), or None; ranks: each leaf's rank."""
        n = len(structures) if structures is not None else len(ranks)
        per_arg = self.in_axes if isinstance(self.in_axes, tuple) else (self.in_axes,) * n
        if len(per_arg) != n:
            raise ValueError(f"vmap: in_axes has {len(per_arg)} entries for {n} arguments of "
                             f"{getattr(self.fun, '__name__', self.fun)}")
        axes = []
        for i, spec in enumerate(per_arg):
            count = 1 if structures is None else pytree.count(structures[i])
            leaves, _ = pytree.flatten(spec)
            if len(leaves) == 1 and not pytree.is_node(spec):
                leaves = leaves * count
            if len(leaves) != count:
                raise ValueError(f"vmap: in_axes entry {i} ({spec!r}) does not match argument {i}'s structure")
            axes.extend(leaves)
        out = []
        for axis, rank in zip(axes, ranks):
            if axis is None:
                out.append(None)
                continue
            if rank is None or not -rank <= axis < rank:
                raise ValueError(f"vmap: in_axes {axis} is out of range for an argument of rank {rank or 0}")
            out.append(axis % rank)
        return tuple(out)

    def __srcdiff_ir__(self, arg_avals, structures, optimize):
        axes = self._leaf_axes([a.ndim if a.kind == "array" else 0 for a in arg_avals], structures)
        return vmap_ir(self.fun, arg_avals, structures, axes, self._deferred_out_axes(), optimize, self.chunk_size)

    def _deferred_out_axes(self):
        """out_axes(j) for outputs whose structure is known once lowered: negative axes count
        from the end of the batched output, which vmap_ir's np.moveaxis takes as they are."""
        if pytree.is_node(self.out_axes) or isinstance(self.out_axes, (tuple, list, dict)):
            leaves, _ = pytree.flatten(self.out_axes)
            return lambda j: leaves[j] if j < len(leaves) else 0
        return lambda j: self.out_axes

    def compiled(self, *args, **kwargs):
        """The compiled batched function for arguments of these kinds (its source: .source)."""
        return self._compiled_for(arguments.bind_given(self._signature, args, kwargs, self.fun))[0]

    def _compiled_for(self, args):
        leaves, structures = arguments.leaves_of(args)
        axes = self._leaf_axes([np.ndim(a) for a in leaves], structures)
        arg_key = (structures, tuple(map(arguments.arg_key, leaves)))
        key = cache.key_of(self.fun, ("vmap", axes, repr(self.out_axes), self.chunk_size), arg_key)

        def build(avals):
            return compile_vmap(self.fun, avals, structures, axes, self._deferred_out_axes(), chunk=self.chunk_size)

        return cache.get_or_compile(key, build, self.fun, leaves), leaves

    def __call__(self, *args, **kwargs):
        compiled, leaves = self._compiled_for(arguments.bind_given(self._signature, args, kwargs, self.fun))
        outs = call_on_numbers(compiled.fn, compiled.floats_safe, leaves)
        outs = outs if isinstance(outs, tuple) else (outs,)
        outs = [o if not isinstance(o, np.ndarray) or o.flags.writeable else np.array(o) for o in outs]
        return pytree.unflatten(compiled.out_tree, outs)
