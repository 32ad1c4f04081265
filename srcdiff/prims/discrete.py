"""What has no derivative, emitted as written: indices, counts, tests, rounding and queries.

Each NumPy function here is one `discrete(...)` declaration: the function itself, which of
its parameters are operands (arrays, possibly computed from the inputs) and which are
parameters known when compiling (axis, side, minlength). The primitive it makes is emitted
as the call NumPy's own (`np.argmax(x, axis=1)`), computes its output's kind, shape and
dtype by running the function on stand-ins of the operands' shapes and dtypes, and has no
derivative: what is computed from its result (x[np.argmax(x)], x * np.isclose(x, m))
is differentiated through the rest. A result whose shape depends on the values (nonzero,
unique, argwhere, bincount) has an unknown shape (a Sym) when compiling.

Those decided by shapes and dtypes alone (np.isscalar, np.result_type, np.iscomplexobj, and
x.dtype, x.itemsize) are decided when compiling. np.unique of a float array computed from
the inputs is its elements (x.ravel()[index]), so its derivative is that of an index;
np.bincount's weights are differentiated (the VJP is g[x])."""
import inspect
import warnings

import numpy as np

from ..ir import Aval, Const, Sym
from .broadcasting import shape_of
from .core import (CALLABLES, Primitive, T, array_operand, attribute, binds, current, is_known_array, method, static,
                   wrap)
from .elementwise import NONDIFF, nondiff
from .shapes import BOOL, result_dtype
from .syntax import call, template

FAMILY = "non-differentiable"  # grammar.md's list of callables (prims/catalog.py) groups by it


# ---------------------------------------------------------------------------
# The factory


def _stand_in(aval):
    """A value of aval's shape and dtype for running the function when compiling: distinct,
    increasing values (np.histogram's bins must increase), or the value itself when known."""
    if aval.has_value:
        return aval.value
    if aval.kind not in ("array", "scalar") or not aval.known_shape or aval.dtype is None:
        return None
    n = int(np.prod(aval.shape))
    values = np.arange(n) % 2 if aval.dtype.kind == "b" else np.arange(n)
    value = values.reshape(aval.shape).astype(aval.dtype)
    return value.item() if aval.kind == "scalar" else value


def _outcome_aval(value, by_data):
    if isinstance(value, (bool, int, float)):
        return Aval("scalar", (), np.asarray(value).dtype)
    value = np.asarray(value)
    return Aval("array", Sym() if by_data else tuple(value.shape), value.dtype)


def _arguments(fn, names, values, params):
    """fn's call: operands without a default positionally, the others by keyword."""
    signature = inspect.signature(fn)
    args, kwargs = [], dict(params)
    for name, value in zip(names, values):
        p = signature.parameters[name]
        if p.default is inspect.Parameter.empty or p.kind is inspect.Parameter.POSITIONAL_ONLY:
            args.append(value)
        else:
            kwargs[name] = value
    return args, kwargs


def discrete(fn, operands=("a",), params=(), outs=1, by_data=False, returns_tuple=False):
    """Declare NumPy's fn without a derivative, and bind it. operands: the names of its
    parameters that take arrays (traced or not); params: those that must be known when
    compiling; outs: how many values it returns, or a function (params, operand avals) -> that
    number; by_data: the results' shapes depend on the operands' values; returns_tuple: fn
    returns a tuple even of one value (np.nonzero of a vector). Returns the binder,
    fn(*args, **kwargs) -> a T, or a tuple of them."""
    name = fn.__name__
    spelled = f"np.{name}"
    signature = inspect.signature(fn)
    variants = {}

    def impl(*values, _names=(), _first=False, **kwargs):
        args, kw = _arguments(fn, _names, values, kwargs)
        return fn(*args, **kw)[0] if _first else fn(*args, **kw)

    def emit(sources, p):
        args, kw = _arguments(fn, p["_names"], sources, {k: v for k, v in p.items() if k != "_names"})
        keywords = [f"{k}={v}" for k, v in kw.items() if k in p["_names"]]
        spelling = call(spelled, list(args) + keywords, {k: v for k, v in kw.items()
                                                         if k not in p["_names"] and k != "_first"})
        return spelling + "[0]" if p.get("_first") else spelling

    def shape(avals, p, n):
        values = [_stand_in(a) for a in avals]
        unknown = [Aval("array", Sym(), None) for _ in range(n)]
        if any(v is None for v in values):
            return unknown[0] if n == 1 else unknown
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = impl(*values, **p)
        except Exception:
            return unknown[0] if n == 1 else unknown
        if n == 1:
            return _outcome_aval(value, by_data)
        return [_outcome_aval(v, by_data) for v in value]

    def primitive(n):
        if n not in variants:
            # one primitive per number of results (np.nonzero's is the rank): the first one declared
            # is the registered one, the others its variants
            variants[n] = Primitive(name if not variants else f"{name}[{n}]", emit=emit, impl=impl,
                                    shape=lambda avals, p: shape(avals, p, n), nout=n, differentiable=False,
                                    fresh=True, registered=not variants)
        return variants[n]

    def bind(*args, **kwargs):
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as e:
            raise current().error(f"{spelled}(): {e}") from None
        # a parameter passed at its default None (x.argmax(axis=None, out=None)) is not given
        given = {k: v for k, v in bound.arguments.items()
                 if not (v is None and signature.parameters[k].default in (None, np._NoValue))}
        extra = sorted(k for k in given if k not in operands and k not in params)
        if extra:
            raise current().error(f"{spelled}'s {', '.join(extra)} {'is' if len(extra) == 1 else 'are'} not supported",
                                  f"hint: call {spelled} with {', '.join(operands + tuple(params))} only.")
        names = tuple(k for k in signature.parameters if k in operands and k in given)
        values = [array_operand(given[k]) if isinstance(given[k], (list, tuple)) else given[k] for k in names]
        fixed = {k: static(given[k], f"{spelled}'s {k}") for k in params if k in given}
        n = outs(fixed, [wrap(v).aval for v in values]) if callable(outs) else outs
        if returns_tuple and n == 1:  # the one index array of np.nonzero(v): np.nonzero(v)[0]
            return (current().apply(primitive(n), values, _names=names, _first=True, **fixed),)
        return current().apply(primitive(n), values, _names=names, **fixed)

    primitive(outs if not callable(outs) else 1)
    binds(fn)(bind)
    return bind


def _rank(fixed, avals):
    ndim = avals[0].ndim
    if ndim is None:
        raise current().error("np.nonzero of an array whose rank is not known when compiling",
                              "hint: the number of index arrays it returns is the rank; use np.argwhere or "
                              "np.flatnonzero instead.")
    return max(ndim, 1)


def _unique_count(fixed, avals):
    return 1 + sum(bool(fixed.get(k)) for k in ("return_index", "return_inverse", "return_counts"))


# ---------------------------------------------------------------------------
# The declarations

argmax = discrete(np.argmax, params=("axis", "keepdims"))
argmin = discrete(np.argmin, params=("axis", "keepdims"))
argwhere = discrete(np.argwhere, by_data=True)
nonzero = discrete(np.nonzero, outs=_rank, by_data=True, returns_tuple=True)
flatnonzero = discrete(np.flatnonzero, by_data=True)
count_nonzero = discrete(np.count_nonzero, params=("axis", "keepdims"))
searchsorted = discrete(np.searchsorted, operands=("a", "v", "sorter"), params=("side",))
digitize = discrete(np.digitize, operands=("x", "bins"), params=("right",))
_bincount = discrete(np.bincount, operands=("x",), params=("minlength",), by_data=True)
_unique = discrete(np.unique, operands=("ar",), params=("return_index", "return_inverse", "return_counts", "axis",
                                                      "equal_nan", "sorted"), outs=_unique_count, by_data=True)
isclose = discrete(np.isclose, operands=("a", "b"), params=("rtol", "atol", "equal_nan"))
allclose = discrete(np.allclose, operands=("a", "b"), params=("rtol", "atol", "equal_nan"))
array_equal = discrete(np.array_equal, operands=("a1", "a2"), params=("equal_nan",))
_histogram = discrete(np.histogram, operands=("a", "bins", "weights"), params=("range", "density"), outs=2)
_round = discrete(np.round, params=("decimals",))
_isscalar = discrete(np.isscalar, operands=("element",))
_iscomplexobj = discrete(np.iscomplexobj, operands=("x",))

nondiff("isinf", [np.isinf], template("np.isinf({0})"), dtype=BOOL)
nondiff("isposinf", [np.isposinf], template("np.isposinf({0})"), dtype=BOOL)
nondiff("isneginf", [np.isneginf], template("np.isneginf({0})"), dtype=BOOL)
nondiff("logical_xor", [np.logical_xor], template("np.logical_xor({0}, {1})"), nargs=2, dtype=BOOL)
nondiff("fix", [np.fix], template("np.fix({0})"))


# ---------------------------------------------------------------------------
# Those with more to them than the call


def traced_float(x):
    """A float array computed when the code runs (it may carry a derivative)."""
    x = wrap(x)
    return not isinstance(x.atom, Const) and (x.aval.dtype is None or x.aval.dtype.kind in "fc")


# np.bincount(x, weights=w): a sum of w's elements per bin, linear in w; the VJP is g[x], the
# JVP the bincount of the tangent.
BINCOUNT_WEIGHTS = Primitive(
    "bincount_weights",
    emit=lambda a, p: call("np.bincount", [a[0], f"weights={a[1]}"], p, {"minlength": 0}),
    impl=lambda x, w, minlength=0: np.bincount(x, weights=w, minlength=minlength),
    shape=lambda avals, p: Aval("array", Sym(), np.dtype(np.float64)),
    fresh=True,
)
BINCOUNT_WEIGHTS.defvjp(lambda g, out, ins, active, minlength=0: (None, g[ins[0]] if active[1] else None))
BINCOUNT_WEIGHTS.defjvp(lambda t, out, ins, minlength=0: current().apply(
    BINCOUNT_WEIGHTS, [ins[0], t[1]], **({"minlength": minlength} if minlength else {})))


@binds(np.bincount)
def _bincount_of(x, weights=None, minlength=0):
    minlength = static(minlength, "np.bincount's minlength")
    if weights is None:
        return _bincount(x, minlength=minlength) if minlength else _bincount(x)
    x, weights = wrap(array_operand(x)), wrap(array_operand(weights))
    if x.aval.dtype is not None and x.aval.dtype.kind not in "biu":
        raise current().error(f"np.bincount of {x.aval.dtype} values: it counts non-negative integers",
                              "hint: cast them with .astype(int).")
    return current().apply(BINCOUNT_WEIGHTS, [x, weights], **({"minlength": minlength} if minlength else {}))


@binds(np.unique)
def _unique_of(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, *, equal_nan=True,
               sorted=True):
    """The unique values of a float array computed from the inputs are its elements at the
    indices of their first occurrences, which np.unique returns with return_index (the same
    values, in the same order): written so, they are differentiated as an index."""
    return_index, return_inverse, return_counts, axis, equal_nan, sorted = (
        static(v, f"np.unique's {k}") for k, v in (("return_index", return_index), ("return_inverse", return_inverse),
                                                  ("return_counts", return_counts), ("axis", axis),
                                                  ("equal_nan", equal_nan), ("sorted", sorted)))
    flags = {k: True for k, v in (("return_index", return_index), ("return_inverse", return_inverse),
                                  ("return_counts", return_counts)) if v}
    rest = {k: v for k, v, default in (("axis", axis, None), ("equal_nan", equal_nan, True), ("sorted", sorted, True))
            if v is not default and v != default}
    ar = array_operand(ar)
    if not traced_float(ar):
        return _unique(ar, **flags, **rest)
    found = _unique(ar, **dict(flags, return_index=True), **rest)
    index = found[1]
    index.atom.hint = index.atom.hint or "first"  # where each unique value first occurs
    values = np.take(ar, index, axis=rest["axis"]) if rest.get("axis") is not None else ar.ravel()[index]
    results = [values] + [found[1]] * bool(return_index) + list(found[2:])
    return tuple(results) if len(results) > 1 else values


@binds(np.histogram)
def _histogram_of(a, bins=10, range=None, density=None, weights=None):
    if weights is not None and traced_float(weights):
        raise current().error("np.histogram's weights computed from the inputs are not differentiated",
                              "hint: write the weighted counts as np.bincount(np.digitize(a, edges) - 1, weights=w), "
                              "whose weights are.")
    kwargs = {k: v for k, v in (("range", range), ("density", density), ("weights", weights)) if v is not None}
    return _histogram(a, bins, **kwargs)


@binds(np.round, np.around)
@method("round")
def _round_of(a, decimals=0, out=None):
    """np.round(x) is np.rint(x); with decimals, np.round(x, decimals): a step function of x."""
    if out is not None:
        raise current().error("np.round's out is not supported", "hint: assign the result instead.")
    decimals = static(decimals, "np.round's decimals")
    if decimals == 0:
        return current().apply(NONDIFF["rint"], [array_operand(a)])
    return _round(a, decimals=decimals)


@binds(np.isscalar)
def _isscalar_of(element):
    """Known from the kind of value: a Python number is a scalar, an array of known rank > 0 is
    not; a 0-d value may be a NumPy scalar or a 0-d array, so that is asked when the code runs."""
    if not isinstance(element, T):
        return np.isscalar(element)
    if element.aval.kind == "scalar":
        return True
    if element.aval.kind == "array" and element.aval.known_shape and element.aval.shape != ():
        return False
    if element.aval.kind in ("tuple", "list"):
        return False
    return _isscalar(element)


@binds(np.iscomplexobj)
def _iscomplexobj_of(x):
    dtype = wrap(array_operand(x)).aval.dtype
    return _iscomplexobj(x) if dtype is None else dtype.kind == "c"


def _dtype_of(x, what):
    dtype = x.aval.dtype
    if dtype is None:
        raise current().error(f"{what} of a value whose dtype is not known when compiling",
                              "hint: cast it first (x.astype(np.float64)).")
    return dtype


@binds(np.result_type)
def _result_type(*arrays_and_dtypes):
    """Known when compiling, from the operands' dtypes (NumPy's promotion, Python numbers weak)."""
    avals = []
    for v in arrays_and_dtypes:
        if isinstance(v, (T, list, tuple)):
            aval = wrap(array_operand(v)).aval
            if aval.dtype is None:
                raise current().error("np.result_type of a value whose dtype is not known when compiling",
                                      "hint: cast it first (x.astype(np.float64)).")
            avals.append(aval)
        else:
            avals.append(Aval("array", (), np.result_type(v)))
    return result_dtype(avals)


# np.empty: emitted as np.zeros (np.empty_like as np.zeros_like), so that no element the code
# reads before writing it is garbage; the derivative machinery treats them as zeros anyway.
binds(np.empty)(CALLABLES[np.zeros])
binds(np.empty_like)(CALLABLES[np.zeros_like])


# ---------------------------------------------------------------------------
# Array methods and attributes


@method("argmax")
def _argmax_method(a, axis=None, out=None, *, keepdims=False):
    return argmax(a, axis, out, **({"keepdims": True} if static(keepdims, "keepdims") else {}))


@method("argmin")
def _argmin_method(a, axis=None, out=None, *, keepdims=False):
    return argmin(a, axis, out, **({"keepdims": True} if static(keepdims, "keepdims") else {}))


@method("nonzero")
def _nonzero_method(a):
    return nonzero(a)


@method("clip")
def _clip_method(a, min=None, max=None, out=None):
    if out is not None:
        raise current().error("x.clip's out is not supported", "hint: assign the result instead.")
    return np.clip(a, min, max)


@attribute("dtype")
def _dtype_attribute(x):
    """A compile-time value: x.dtype == np.float32, np.zeros(3, x.dtype), x.astype(x.dtype)."""
    if x.aval.kind == "scalar":
        raise current().error("a Python number has no dtype", "hint: np.asarray(x).dtype, or np.result_type(x).")
    return _dtype_of(x, "x.dtype")


@attribute("itemsize")
def _itemsize(x):
    if x.aval.kind == "scalar":
        raise current().error("a Python number has no itemsize", "hint: np.asarray(x).itemsize.")
    return _dtype_of(x, "x.itemsize").itemsize


@attribute("nbytes")
def _nbytes(x):
    if x.aval.kind == "scalar":
        raise current().error("a Python number has no nbytes", "hint: np.asarray(x).nbytes.")
    itemsize = _dtype_of(x, "x.nbytes").itemsize
    return int(np.prod(x.aval.shape)) * itemsize if x.aval.known_shape else x.size * itemsize


def _item_shape(avals, params):
    dtype = avals[0].dtype
    python = {"f": np.dtype(np.float64), "b": BOOL, "i": np.dtype(np.int64), "u": np.dtype(np.int64),
              "c": np.dtype(np.complex128)}
    return Aval("scalar", (), python.get(dtype.kind) if dtype is not None else None)


# x.item(): the one element of a 1-element array as a Python number; its adjoint is g put back
# in x's shape
ITEM = Primitive("item", emit=template("{0}.item()"), impl=lambda x: x.item(), shape=_item_shape)
ITEM.defvjp(lambda g, out, ins, active: (np.reshape(g, shape_of(ins[0])),))
ITEM.defjvp(lambda t, out, ins: _item(t[0]))


@method("item")
def _item(x, *args):
    if args:
        raise current().error("x.item(i) is not supported", "hint: index the array (x[i]) and call .item() on that.")
    x = wrap(x)
    if not is_known_array(x) and not (x.aval.kind == "array" and x.aval.shape == ()):
        if x.aval.kind == "scalar":
            return x
        raise current().error("x.item() of an array whose shape is not known when compiling",
                              "hint: index it (x[0]) or call float(x).")
    if int(np.prod(x.aval.shape)) != 1:
        raise current().error(f"x.item() of an array of shape {x.aval.shape}: it takes a 1-element array",
                              "hint: index the element you mean (x[i, j]).")
    return current().apply(ITEM, [x])
