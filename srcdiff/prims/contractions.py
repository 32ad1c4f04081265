"""Contractions: np.einsum, np.tensordot, np.kron, np.vdot, np.linalg.multi_dot, np.inner.

np.einsum is one primitive whose subscripts are spelled out when compiling: an ellipsis
becomes letters, the implicit output NumPy's (the letters that appear once, sorted), and an
axis of length 1 that NumPy broadcasts against a longer one a letter of its own (summed away,
as a sum over one element is that element). Its rules are einsums too: the JVP the sum of
the einsums with one operand's tangent in its place; the VJP for an operand the einsum of g
and the others that gives that operand's subscripts, np.einsum('ik,jk->ij', g, b) for
np.einsum('ij,jk->ik', a, b). A letter of that operand found nowhere else (summed away)
comes from np.ones of its length, and a repeated one ('ii') from np.eye, which puts the
adjoint on the diagonal. np.tensordot, np.kron and np.inner of N-D arrays are einsums,
np.vdot and np.linalg.multi_dot dots."""
import string

import numpy as np

from ..ir import Aval, Sym
from . import batching
from .core import Primitive, T, array_operand, binds, current, static, wrap
from .linalg import MATMUL, transpose
from .shapes import result_dtype
from .shaping import reshape

FAMILY = "contractions"  # grammar.md's list of callables (prims/catalog.py) groups by it

LETTERS = string.ascii_letters


def _split(subscripts):
    inputs, output = subscripts.split("->")
    return inputs.split(","), output


def _sizes(terms, shapes):
    """Each letter's length, the longest of its axes (NumPy broadcasts the ones of length 1)."""
    sizes = {}
    for term, shape in zip(terms, shapes):
        for letter, n in zip(term, shape):
            sizes[letter] = max(sizes.get(letter, 1), n)
    return sizes


def _einsum_shape(avals, params):
    terms, output = _split(params["subscripts"])
    dt = result_dtype(avals)
    if not all(a.known_shape for a in avals):
        return Aval("array", Sym(), dt)
    sizes = _sizes(terms, [a.shape for a in avals])
    return Aval("array", tuple(sizes[c] for c in output), dt)


def _einsum_emit(a, p):
    return f"np.einsum({p['subscripts']!r}, {', '.join(a)})"


_LOOPED = 1_000_000  # the most multiply-adds an einsum is written as loops for, where BLAS would not win


def _einsum_on_numba(args, params, avals):
    """np.einsum, which numba lacks, as a loop nest of the module's own (for operands whose
    shapes are known and whose letters agree in length; None, NumPy's module, otherwise)."""
    terms, output = _split(params["subscripts"])
    if not all(a.known_shape for a in avals) or any(a.dtype is None or a.dtype.kind not in "fc" for a in avals):
        return None
    sizes, where = {}, {}
    for k, (term, a) in enumerate(zip(terms, avals)):
        for axis, (letter, n) in enumerate(zip(term, a.shape)):
            if sizes.setdefault(letter, n) != n:
                return None  # a length-1 axis broadcast
            where.setdefault(letter, f"a{k}.shape[{axis}]")
    if int(np.prod([sizes[c] for c in sizes], dtype=np.int64)) > _LOOPED:
        return None
    dtype = result_dtype(avals).name
    name = f"einsum_{'_'.join(t or 'scalar' for t in terms)}_to_{output or 'scalar'}_{dtype}"
    operands = ", ".join(f"a{k}" for k in range(len(terms)))
    product = " * ".join(f"a{k}[{', '.join(term)}]" if term else f"a{k}" for k, term in enumerate(terms))
    lines = [f"def {name}({operands}):",
             f'    """np.einsum({params["subscripts"]!r}, {operands}), as loops."""']
    if output:
        lines.append(f"    out = np.zeros(({', '.join(where[c] for c in output)},), np.{dtype})")
        target = f"out[{', '.join(output)}]"
    else:
        lines.append(f"    out = np.{dtype}(0)")
        target = "out"
    depth = 1
    for letter in output + "".join(dict.fromkeys(c for c in "".join(terms) if c not in output)):
        lines.append("    " * depth + f"for {letter} in range({where[letter]}):")
        depth += 1
    lines += ["    " * depth + f"{target} += {product}", "    return out"]
    return f"{name}({', '.join(args)})", ("\n".join(lines),)


EINSUM = Primitive("einsum", emit=_einsum_emit, impl=lambda *ops, subscripts: np.einsum(subscripts, *ops),
                   shape=_einsum_shape, fresh=True, on_numba=_einsum_on_numba)


def einsum(subscripts, *operands):
    return current().apply(EINSUM, list(operands), subscripts=subscripts)


@EINSUM.defjvp
def _(t, out, ins, subscripts):
    terms = None
    for k, tk in enumerate(t):
        if tk is None:
            continue
        operands = list(ins)
        operands[k] = tk
        term = einsum(subscripts, *operands)
        terms = term if terms is None else terms + term
    return terms


def _unused(subscripts):
    return iter(c for c in LETTERS if c not in subscripts)


@EINSUM.defvjp
def _(g, out, ins, active, subscripts):
    terms, output = _split(subscripts)
    if not all(x.aval.known_shape for x in ins):
        raise current().error("the derivative of np.einsum needs the operands' shapes (NumPy broadcasts axes "
                              "of length 1)", "call the function with example arguments, so that shapes are known.")
    sizes = _sizes(terms, [x.aval.shape for x in ins])
    return tuple(_adjoint(g, ins, terms, output, k, sizes) if active[k] else None for k in range(len(ins)))


def _adjoint(g, ins, terms, output, k, sizes):
    """The einsum of g and the other operands with operand k's subscripts: a letter only k has
    from np.ones, a repeated letter of k's from np.eye (the adjoint on the diagonal)."""
    term = terms[k]
    elsewhere = set(output).union(*(set(t) for j, t in enumerate(terms) if j != k))
    fresh = _unused(",".join(terms) + output)
    target, extra_terms, extra = "", [], []
    for i, c in enumerate(term):
        if c in term[:i]:  # a repeated letter: the diagonal of eye
            f = next(fresh)
            target += f
            extra_terms.append(c + f)
            extra.append(current().call(np.eye, (sizes[c],), {}))
            continue
        target += c
        if c not in elsewhere and term.count(c) == 1:  # summed away: every element gets g
            extra_terms.append(c)
            extra.append(current().call(np.ones, (sizes[c],), {}))
    in_terms = [output] + [t for j, t in enumerate(terms) if j != k] + extra_terms
    operands = [g] + [x for j, x in enumerate(ins) if j != k] + extra
    if len(operands) == 1 and in_terms[0] == target:
        return g
    if len(operands) == 2 and in_terms == ["", target]:  # of a trace, g * np.eye(n); of a sum, g * np.ones(n)
        return g * operands[1]
    return einsum(",".join(in_terms) + "->" + target, *operands)


# ---------------------------------------------------------------------------
# np.einsum's binder: the subscripts spelled out


def _spelled_out(subscripts, operands):
    """NumPy's subscripts with the ellipsis as letters, the output explicit, and each axis
    of length 1 broadcast against a longer one a letter of its own."""
    b = current()
    subscripts = subscripts.replace(" ", "")
    inputs, arrow, output = subscripts.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(operands):
        raise b.error(f"np.einsum: the subscripts {subscripts!r} name {len(terms)} operands, but "
                      f"{len(operands)} were given")
    for t in terms + [output]:
        if t.count("...") > 1 or any(c not in LETTERS for c in t.replace("...", "")):
            raise b.error(f"np.einsum: subscripts {subscripts!r} are not letters, commas, '->' and one '...' a term")
    fresh = _unused(subscripts)
    ellipsis = ""
    spelled = []
    for t, x in zip(terms, operands):
        if "..." not in t:
            if x.aval.ndim is not None and x.aval.ndim != len(t):
                raise b.error(f"np.einsum: the term {t!r} names {len(t)} axes of an operand with {x.aval.ndim}")
            spelled.append(t)
            continue
        if x.aval.ndim is None:
            raise b.error("np.einsum with '...' needs the operands' ranks, which are not known when compiling",
                          "call the function with example arguments, so that shapes are known.")
        n = x.aval.ndim - (len(t) - 3)
        if n < 0:
            raise b.error(f"np.einsum: the term {t!r} names more axes than the operand's {x.aval.ndim}")
        while len(ellipsis) < n:
            ellipsis = next(fresh) + ellipsis
        spelled.append(t.replace("...", ellipsis[len(ellipsis) - n:]))
    if arrow:
        if "..." in output:
            output = output.replace("...", ellipsis)
        elif ellipsis:
            raise b.error(f"np.einsum: the output of {subscripts!r} leaves out the axes '...' stands for, which "
                          "NumPy refuses", "sum them explicitly, or write '...' in the output.")
        for c in output:
            if output.count(c) > 1 or not any(c in t for t in spelled):
                raise b.error(f"np.einsum: the output subscript {c!r} is repeated or not among the inputs")
    else:  # NumPy's implicit output: the broadcast axes, then the letters that appear once, sorted
        joined = "".join(terms).replace("...", "")
        output = ellipsis + "".join(sorted(c for c in set(joined) if joined.count(c) == 1))
    shapes = [x.aval.shape if x.aval.known_shape else None for x in operands]
    if all(s is not None for s in shapes):
        sizes = {}
        for t, s in zip(spelled, shapes):
            if any(n != m for c, n in zip(t, s) for d, m in zip(t, s) if c == d):
                raise b.error(f"np.einsum: a letter repeated in the term {t!r} names axes of different lengths {s}")
            for c, n in zip(t, s):
                if n != 1 and sizes.get(c, 1) not in (1, n):
                    raise b.error(f"np.einsum: the subscript {c!r} has lengths {sizes[c]} and {n}")
                sizes[c] = max(sizes.get(c, 1), n)
        spelled = ["".join(next(fresh) if n == 1 and sizes[c] != 1 else c for c, n in zip(t, s))
                   for t, s in zip(spelled, shapes)]
    return ",".join(spelled) + "->" + output


@binds(np.einsum)
def _einsum(*operands, out=None, optimize=False, dtype=None, order="K", casting="safe"):
    """optimize= is accepted and left out of the emitted code: it changes the order of the
    products, not the result."""
    b = current()
    if out is not None or dtype is not None:
        raise b.error("np.einsum: out= and dtype= are not supported", "use .astype() on the operands.")
    if static(optimize, "optimize") not in (True, False, "greedy", "optimal"):
        raise b.error(f"np.einsum: optimize={optimize!r} is not supported", "use True, False, 'greedy' or 'optimal'.")
    first = operands[0] if operands else None
    if not isinstance(first, str) and not (isinstance(first, T) and isinstance(first.const_value(), str)):
        raise b.error("np.einsum's interleaved form (einsum(a, [0, 1], b, [1, 2])) is not supported",
                      "write the subscripts as a string: np.einsum('ij,jk->ik', a, b).")
    subscripts, arrays = static(operands[0], "the subscripts"), [array_operand(x) for x in operands[1:]]
    return einsum(_spelled_out(subscripts, arrays), *arrays)


# ---------------------------------------------------------------------------
# the others, written with einsum or dot


def _rank(x, what):
    ndim = wrap(x).aval.ndim
    if ndim is None:
        raise current().error(f"{what} needs the rank of its operands, which is not known when compiling",
                              "call the function with example arguments, so that shapes are known.")
    return ndim


@binds(np.tensordot)
def _tensordot(a, b, axes=2):
    """An einsum: the last `axes` axes of a with the first of b, or the axes paired."""
    a, b = wrap(a), wrap(b)
    na, nb = _rank(a, "np.tensordot"), _rank(b, "np.tensordot")
    axes = static(axes, "axes")
    if isinstance(axes, (int, np.integer)):
        if not 0 <= axes <= min(na, nb):
            raise current().error(f"np.tensordot: axes={axes} is more than the operands' ranks {na} and {nb}")
        pairs = (list(range(na - axes, na)), list(range(axes)))
    else:
        try:
            xa, xb = axes
        except (TypeError, ValueError):
            raise current().error("np.tensordot: axes must be an int or a pair of sequences of axes") from None
        xa = [xa] if isinstance(xa, (int, np.integer)) else list(xa)
        xb = [xb] if isinstance(xb, (int, np.integer)) else list(xb)
        if len(xa) != len(xb):
            raise current().error("np.tensordot: the two sequences of axes must have the same length")
        if any(not -na <= i < na for i in xa) or any(not -nb <= i < nb for i in xb):
            raise current().error(f"np.tensordot: an axis in {axes!r} is out of bounds")
        pairs = ([int(i) % na for i in xa], [int(i) % nb for i in xb])
    ta = LETTERS[:na]
    rest = iter(LETTERS[na:])
    tb = "".join(ta[pairs[0][pairs[1].index(j)]] if j in pairs[1] else next(rest) for j in range(nb))
    out = "".join(c for i, c in enumerate(ta) if i not in pairs[0]) + "".join(c for j, c in enumerate(tb)
                                                                              if j not in pairs[1])
    return einsum(f"{ta},{tb}->{out}", a, b)


@binds(np.kron)
def _kron(a, b):
    """The block product: an einsum that pairs each axis of a with b's (the shorter shape
    padded with ones in front), reshaped to the products of the lengths."""
    a, b = wrap(a), wrap(b)
    if not (a.aval.known_shape and b.aval.known_shape):
        raise current().error("np.kron needs the operands' shapes, which are not known when compiling",
                              "call the function with example arguments, so that shapes are known.")
    n = max(a.aval.ndim, b.aval.ndim)
    if n == 0:
        return a * b
    sa = (1,) * (n - a.aval.ndim) + a.aval.shape
    sb = (1,) * (n - b.aval.ndim) + b.aval.shape
    a = a if sa == a.aval.shape else reshape(a, sa)
    b = b if sb == b.aval.shape else reshape(b, sb)
    ta, tb = LETTERS[:n], LETTERS[n:2 * n]
    pairs = einsum(f"{ta},{tb}->" + "".join(x + y for x, y in zip(ta, tb)), a, b)
    return reshape(pairs, tuple(x * y for x, y in zip(sa, sb)))


def _ravel(x):
    x = wrap(x)
    return x if x.aval.ndim == 1 else reshape(x, (-1,), "ravel")


@binds(np.vdot)
def _vdot(a, b):
    """The dot product of the flattened arrays (real ones: NumPy's conjugates the first)."""
    a, b = wrap(a), wrap(b)
    if any(x.aval.dtype is not None and x.aval.dtype.kind == "c" for x in (a, b)):
        raise current().error("np.vdot of complex arrays is not supported", "write np.dot(np.conj(a).ravel(), b.ravel()).")
    return current().call(np.dot, (_ravel(a), _ravel(b)), {})


@binds(np.linalg.multi_dot)
def _multi_dot(arrays, *, out=None):
    """np.dot of each array with the product of those before it (the first and last may be vectors)."""
    if out is not None:
        raise current().error("np.linalg.multi_dot: out= is not supported")
    if not isinstance(arrays, (list, tuple)) or len(arrays) < 2:
        raise current().error("np.linalg.multi_dot takes a list of at least two arrays")
    arrays = [wrap(x) for x in arrays]
    for i, x in enumerate(arrays):
        ndim = x.aval.ndim
        if ndim is not None and ndim != 2 and not (ndim == 1 and i in (0, len(arrays) - 1)):
            raise current().error(f"np.linalg.multi_dot: array {i} has {ndim} dimensions; the first and last may "
                                  "be vectors, the others must be matrices")
    product = arrays[0]
    for x in arrays[1:]:
        product = current().call(np.dot, (product, x), {})
    return product


@binds(np.inner)
def _inner(a, b):
    """The sum over the last axes: a @ b for a vector b, a @ b.T for a matrix, an einsum beyond."""
    a, b = wrap(a), wrap(b)
    if a.aval.ndim == 0 or b.aval.ndim == 0:
        return a * b
    nb = _rank(b, "np.inner")
    if nb == 1:
        return current().apply(MATMUL, [a, b])
    if nb == 2:
        return current().apply(MATMUL, [a, transpose(b)])
    na = _rank(a, "np.inner")
    ta, tb = LETTERS[:na - 1], LETTERS[na - 1:na + nb - 2]
    return einsum(f"{ta}z,{tb}z->{ta}{tb}", a, b)


@EINSUM.defbatch
def _(eqn, ins, batched, size):
    """The batch's axis is one more letter, in front of each batched operand and the result."""
    terms, output = _split(eqn.params["subscripts"])
    letter = next(_unused(eqn.params["subscripts"]))
    terms = [letter + t if b else t for t, b in zip(terms, batched)]
    return einsum(",".join(terms) + "->" + letter + output, *ins)
