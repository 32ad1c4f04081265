"""CASES: for every differentiable primitive, code written the way a user writes it that
lowers to that primitive, the arguments to try it on and where to draw them from.

Each case is a function here, registered by @case(primitive, argument lists, domain)
above it (a function that makes several primitives is a case of each). A primitive only a
transformation makes (a list's pop, a tape, sum_to) gets a case whose code makes the
transformation itself: srcdiff.grad(q) inside the function lowers to the gradient's IR,
so the primitive is in the case's own IR and every test differentiates through it.
test_every_op.py checks that each case's IR really holds its primitive.

An argument is a shape (a float64 array; () is a 0-d array), FLOAT (a Python float),
f32(shape) (a float32 array) or Int(n) (an int, not differentiated). A domain draws an
argument's values: one for every argument, or a tuple with one per argument (None for an
int)."""
import math
from typing import Any, Callable, NamedTuple

import numpy as np

import srcdiff
from srcdiff import NonDifferentiableError
from tests.e2e.test_recursion_higher import lp, q  # the recursive functions the recursion tests differentiate

FLOAT = "float"


class F32(NamedTuple):
    shape: tuple


def f32(*shape):
    return F32(shape)


class Int(NamedTuple):
    value: int


# -- domains: (rng, shape) -> float64 values where the derivative exists and differences are honest

def anywhere(rng, shape):
    return rng.uniform(-2.0, 2.0, size=shape)


def positive(rng, shape):
    return rng.uniform(0.5, 2.0, size=shape)


def inside_unit(rng, shape):
    """|x| < 1, away from the ends where arcsin's and arctanh's derivatives blow up."""
    return rng.uniform(-0.8, 0.8, size=shape)


def above_one(rng, shape):
    return rng.uniform(1.2, 3.0, size=shape)


def away_from_zero(rng, shape):
    """|x| in [0.3, 2] with either sign: off abs's kink, a divisor's pole, a mask's edge."""
    return rng.uniform(0.3, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def distinct(rng, shape):
    """Values at least 0.2 apart, so a max, a min or a comparison picks one element that a
    small step does not change."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.25 - 0.125 * n + rng.uniform(0.0, 0.05, size=n)).reshape(shape)


def with_a_zero(rng, shape):
    """One element exactly 0: np.prod's derivative there is the product of the others."""
    x = anywhere(rng, shape)
    x.flat[rng.integers(x.size)] = 0.0
    return x


def off_a_step_of_mod(rng, shape):
    """x in [1.3, 1.9], so x % y (y in [1.0, 1.2]) is x - y, off the jumps where x / y is whole."""
    return rng.uniform(1.3, 1.9, size=shape)


def modulus(rng, shape):
    return rng.uniform(1.0, 1.2, size=shape)


def inside_tan(rng, shape):
    return rng.uniform(-1.2, 1.2, size=shape)


def near_zero(rng, shape):
    """|x| < 0.3, where derivatives of a deep composition stay small enough for differences."""
    return rng.uniform(-0.3, 0.3, size=shape)


def above_minus_one(rng, shape):
    return rng.uniform(-0.5, 2.0, size=shape)


class Refused(NamedTuple):
    """srcdiff refuses the case with a located error of this type, in every test order but
    those named (the case says why)."""
    error: type
    but: tuple = ()


class Case(NamedTuple):
    fn: Callable
    signatures: tuple  # argument lists to try, one spec per argument
    domain: Any = anywhere
    refused: Any = None  # a Refused


CASES = {}  # primitive name -> its cases


def case(op, signatures, domain=anywhere, refused=None):
    """Register the function below as a case of the primitive op."""
    def register(fn):
        CASES.setdefault(op, []).append(Case(fn, signatures, domain, refused))
        return fn

    return register


# -- argument lists to try, by kind of operation
ONE = (FLOAT, (), (3,), (2, 3), f32(2, 3))  # an elementwise function of one value
ARRAYS = ((3,), (2, 3), f32(2, 3))
TWO = ((FLOAT, FLOAT), ((), ()), ((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((3,), FLOAT), (f32(2, 3), f32(3)),
       (f32(3), FLOAT), (f32(3), (3,)))

IDX = np.array([2, 0, 2])  # names place 2 twice
ROWS = np.array([0, 1])
COLS = np.array([2, 0])


# -- elementwise functions of one value

@case("sin", ONE)
def sin(x):
    return np.sin(x)


@case("sin", (FLOAT,))
def math_sin(x):
    return math.sin(x)


@case("cos", ONE)
def cos(x):
    return np.cos(x)


@case("cos", (FLOAT,))
def math_cos(x):
    return math.cos(x)


@case("tan", ONE, inside_tan)
def tan(x):
    return np.tan(x)


@case("arcsin", ONE, inside_unit)
def arcsin(x):
    return np.arcsin(x)


@case("arcsin", (FLOAT,), inside_unit)
def math_asin(x):
    return math.asin(x)


@case("arccos", ONE, inside_unit)
def arccos(x):
    return np.arccos(x)


@case("arctan", ONE)
def arctan(x):
    return np.arctan(x)


@case("sinh", ONE)
def sinh(x):
    return np.sinh(x)


@case("cosh", ONE)
def cosh(x):
    return np.cosh(x)


@case("tanh", ONE)
def tanh(x):
    return np.tanh(x)


@case("tanh", (FLOAT,))
def math_tanh(x):
    return math.tanh(x)


@case("sigmoid", ONE)
def logistic(x):
    return 1.0 / (1.0 + np.exp(-x))


@case("arcsinh", ONE)
def arcsinh(x):
    return np.arcsinh(x)


@case("arccosh", ONE, above_one)
def arccosh(x):
    return np.arccosh(x)


@case("arctanh", ONE, inside_unit)
def arctanh(x):
    return np.arctanh(x)


@case("exp", ONE)
def exp(x):
    return np.exp(x)


@case("exp", (FLOAT,))
def math_exp(x):
    return math.exp(x)


@case("exp2", ONE)
def exp2(x):
    return np.exp2(x)


@case("expm1", ONE)
def expm1(x):
    return np.expm1(x)


@case("log", ONE, positive)
def log(x):
    return np.log(x)


@case("log", (FLOAT,), positive)
def math_log_base(x):
    return math.log(x, 3.0)


@case("log2", ONE, positive)
def log2(x):
    return np.log2(x)


@case("log10", ONE, positive)
def log10(x):
    return np.log10(x)


@case("log1p", ONE, above_minus_one)
def log1p(x):
    return np.log1p(x)


@case("sqrt", ONE, positive)
def sqrt(x):
    return np.sqrt(x)


@case("sqrt", (FLOAT,), positive)
def math_sqrt(x):
    return math.sqrt(x)


@case("cbrt", ONE, away_from_zero)
def cbrt(x):
    return np.cbrt(x)


@case("square", ONE)
def square(x):
    return np.square(x)


@case("reciprocal", ONE, away_from_zero)
def reciprocal(x):
    return np.reciprocal(x)


@case("abs", ONE, away_from_zero)
def np_abs(x):
    return np.abs(x)


@case("abs", (FLOAT, (3,)), away_from_zero)
def builtin_abs(x):
    return abs(x)


@case("neg", ONE)
def negative(x):
    return -x


@case("arccos", (FLOAT,), inside_unit)
def math_acos(x):
    return math.acos(x)


# -- binary operations and selections

@case("add", TWO)
def add(x, y):
    return x + y


@case("sub", TWO)
def sub(x, y):
    return x - y


@case("mul", TWO)
def mul(x, y):
    return x * y


@case("div", TWO, (anywhere, away_from_zero))
def div(x, y):
    return x / y


@case("pow", TWO, (positive, anywhere))
def power(x, y):
    return x ** y


@case("pow", ONE)
def cube(x):
    return x ** 3


@case("arctan2", TWO, away_from_zero)
def arctan2(x, y):
    return np.arctan2(x, y)


@case("hypot", TWO, away_from_zero)
def hypot(x, y):
    return np.hypot(x, y)


@case("logaddexp", TWO)
def logaddexp(x, y):
    return np.logaddexp(x, y)


@case("mod", TWO, (off_a_step_of_mod, modulus))
def mod(x, y):
    return x % y


@case("maximum", TWO)
def maximum(x, y):
    return np.maximum(x, y)


@case("maximum", ((FLOAT, FLOAT),))
def builtin_max(x, y):
    return max(x, y)


@case("maximum", ONE, away_from_zero)
def relu(x):
    return np.maximum(x, 0.0)


@case("minimum", TWO)
def minimum(x, y):
    return np.minimum(x, y)


@case("maximum", ARRAYS, distinct)
@case("minimum", ARRAYS, distinct)
def clip(x):
    return np.clip(x, -0.5, 0.5)


@case("where", (((3,), (3,)), ((2, 3), (3,)), ((), ()), (f32(3), f32(3))), (away_from_zero, anywhere))
def where(x, y):
    return np.where(x > 0, x * y, np.sin(y))


@case("pow", ONE)
def square_power(x):
    return x ** 2


@case("pow", ONE)
def two_to_the(x):
    return 2.0 ** x


@case("mul", ONE)
def scalar_times(x):
    return 3.0 * x - x / 2.0


@case("where", ((3,), FLOAT), away_from_zero)
def where_scalar_branch(x):
    return np.where(x > 0, np.sin(x), 0.0)


@case("add", (((3,), (3,)), (FLOAT, FLOAT)))
def builtin_sum_of_list(x, y):
    return sum([x, y, x * y])


@case("pow", (((3,), Int(3)), (FLOAT, Int(2)), ((3,), Int(1)), (f32(3), Int(4))), away_from_zero)
def integer_power(x, k):
    return x ** k


@case("maximum", ((3,), FLOAT))
def tie(x):
    """max(x, x) is x: a tie splits the derivative evenly, and the halves add up to 1."""
    return np.maximum(x, x)


@case("minimum", ((FLOAT, FLOAT),))
def builtin_min_of_three(x, y):
    return min(x, y, 0.5)


# -- reductions

@case("sum", (FLOAT, (), (3,), (2, 3), f32(2, 3)))
def total(x):
    return np.sum(x)


@case("sum", ((3,), (2, 3)))
def column_sums(x):
    return np.sum(x, axis=0)


@case("sum", ((2, 3, 2), f32(2, 1, 3)))
def sum_two_axes_kept(x):
    return np.sum(x, axis=(0, 2), keepdims=True)


@case("mean", ((3,), (2, 3), f32(2, 3)))
def mean(x):
    return np.mean(x)


@case("mean", ((2, 3), (2, 3, 2)))
def row_means_kept(x):
    return np.mean(x, axis=1, keepdims=True)


@case("max", ((), (3,), (2, 3), f32(2, 3)), distinct)
def largest(x):
    return np.max(x)


@case("max", ((2, 3),), distinct)
def column_max_kept(x):
    return np.max(x, axis=0, keepdims=True)


@case("max", ((3,), (2, 3)), distinct)
def row_max_method(x):
    return x.max(axis=-1)


@case("min", ((2, 3), (2, 3, 2)), distinct)
def smallest_per_row(x):
    return np.min(x, axis=1)


@case("min", ((3,), f32(2, 3)), distinct)
def amin(x):
    return np.amin(x)


@case("prod", ((3,), (2, 3), f32(2, 3)))
@case("prod", ((4,), (2, 3)), with_a_zero)
def product(x):
    return np.prod(x)


@case("prod", ((2, 3), (3, 2, 2)))
def column_products(x):
    return np.prod(x, axis=0)


@case("var", ((3,), (2, 3), f32(2, 3)))
def variance(x):
    return np.var(x)


@case("var", ((3, 2),))
def column_variance_ddof(x):
    return np.var(x, axis=0, ddof=1)


@case("std", ((3,), (2, 3), f32(2, 3)))
def std(x):
    return np.std(x)


@case("std", ((2, 3),))
def row_std_kept(x):
    return np.std(x, axis=1, keepdims=True)


@case("norm", ((3,), (2, 3), f32(3)))
def norm(x):
    return np.linalg.norm(x)


@case("norm", ((2, 3),))
def row_norms(x):
    return np.linalg.norm(x, axis=1)


@case("sum", ((3,), (2, 3)))
def sum_negative_axis(x):
    return np.sum(x, axis=-1, keepdims=True)


@case("max", ((2, 3, 2),), distinct)
def max_over_axes(x):
    return np.max(x, axis=(0, 2))


@case("max", (((2,), (2,)), (FLOAT, FLOAT)), distinct)
def max_of_list(x, y):
    return np.max([x, y])


@case("prod", ((2, 3),), with_a_zero)
def products_kept(x):
    return np.prod(x, axis=1, keepdims=True)


@case("var", ((2, 2, 3),))
def variance_two_axes(x):
    return np.var(x, axis=(0, 1))


@case("std", ((4,), f32(3)))
def std_ddof(x):
    return np.std(x, ddof=1)


@case("norm", ((3, 2),))
def norm_kept(x):
    return np.linalg.norm(x, axis=0, keepdims=True)


@case("max", ((3,),))
def tie_in_a_reduction(x):
    return np.max(np.stack([x, x]), axis=0)


# -- products

@case("matmul", (((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 2)), ((3,), (3,)),
      ((2, 2, 3), (3, 2)), ((2, 2, 3), (2, 3, 2)), ((3,), (2, 3, 2)), (f32(2, 3), f32(3, 2))))
def matmul(a, b):
    return a @ b


@case("dot", (((2, 3), (3,)), ((3,), (3,)), ((2, 3), (3, 2)), (f32(3), f32(3, 2))))
def dot(a, b):
    return np.dot(a, b)


@case("dot", (((2, 3), (3, 2)),))
def dot_method(a, b):
    return a.dot(b)


@case("outer", (((3,), (2,)), ((2,), (2,)), (f32(2), f32(3))))
def outer(a, b):
    return np.outer(a, b)


@case("trace", ((3, 3), (2, 3), f32(2, 2)))
def trace(x):
    return np.trace(x)


@case("transpose", ((2, 3), (3,)))
def transposed(x):
    return x.T


@case("transpose", ((2, 3, 2),))
def axes_permuted(x):
    return np.transpose(x, (1, 0, 2))


def _sliced_product(x, w, k):
    return np.sum(np.sin(x[:k].T @ w[:k]))


@case("product_grad", (((3, 2), (3, 2), Int(2)), ((3, 2), (3,), Int(3))))
def grad_of_sliced_product(x, w, k):
    """x[:k]'s shape is not known when compiling (k is not): reverse mode's adjoint of the
    product is product_grad."""
    return srcdiff.grad(_sliced_product)(x, w, k)


def _batched_sliced_product(a, b, k):
    return np.sum(np.cos(a[:k] @ b))


@case("product_grad", (((3, 2, 2), (2, 3), Int(2)), ((3, 2), (2,), Int(2))))
def grad_of_batched_sliced_product(a, b, k):
    return srcdiff.grad(_batched_sliced_product, argnums=1)(a, b, k)


@case("matmul", (((3,), (3,)), ((2, 3), (3,))))
def inner(a, b):
    return np.inner(a, b)


@case("transpose", ((2, 3, 2),))
def reversed_axes(x):
    return np.transpose(x)


# -- shapes and casts

@case("reshape", ((2, 3), (6,)))
def reshaped(x):
    return x.reshape(3, 2)


@case("reshape", ((2, 3),))
def raveled(x):
    return np.ravel(x)


@case("expand_dims", ((3,), (2, 3), f32(3)))
def expand_dims(x):
    return np.expand_dims(x, 1)


@case("squeeze", ((1, 3), (2, 1, 1)))
def squeezed(x):
    return np.squeeze(x)


@case("squeeze", ((2, 1),))
def squeeze_axis_method(x):
    return x.squeeze(axis=1)


@case("concatenate", (((2, 3), (2, 1)), (f32(2, 2), f32(2, 3))))
def concatenate_columns(a, b):
    return np.concatenate([a, b], axis=1)


@case("concatenate", (((3,), (2,)), ((1, 2), (2, 2))))
def concatenate(a, b):
    return np.concatenate([a, b])


@case("concatenate", (((2,), (3,)),))
def hstack(a, b):
    return np.hstack([a, b])


@case("stack", (((3,), (3,)), ((), ()), (FLOAT, FLOAT)))
def stacked(a, b):
    return np.stack([a, b])


@case("stack", (((2,), (2,)),))
def array_of(a, b):
    return np.array([a, b])


@case("stack", (((2, 3), (2, 3)),))
def stack_last_axis(a, b):
    return np.stack([a, b], axis=-1)


@case("roll", ((3,), (2, 3), f32(4)))
def rolled(x):
    return np.roll(x, 1)


@case("roll", ((2, 3), (3, 2, 2)))
def rolled_along_axes(x):
    return np.roll(x, (1, -1), axis=(0, -1))


@case("diagonal", ((3, 3), (2, 3), f32(3, 2)))
def diagonal(x):
    return np.diagonal(x)


@case("diagonal", ((2, 3, 4), (3, 2, 3)))
def diagonal_of_axes(x):
    return x.diagonal(1, 2, 0)


@case("diag", ((3,), (1,), f32(2)))
def diag(v):
    return np.diag(v, 1)


@case("triu", ((3, 3), (2, 3, 4), (3,), f32(2, 2)))
def upper_triangle(x):
    return np.triu(x)


@case("tril", ((3, 3), (2, 4, 3)))
def lower_triangle(x):
    return np.tril(x, -1)


@case("repeat", ((3,), (2, 3), f32(2)))
def repeated(x):
    return np.repeat(x, 2)


@case("repeat", ((2, 3), (2, 3, 2)))
def repeated_along_an_axis(x):
    return x.repeat(3, axis=-1)


@case("pad", ((3,), (2, 3), f32(2)))
def padded(x):
    return np.pad(x, 1)


@case("pad", ((2, 3), (1, 2)))
def padded_unevenly(x):
    return np.pad(x, ((0, 1), (2, 0)), constant_values=1.5)


@case("tile", ((3,), (2, 3)))
def tiled(x):
    return np.tile(x, (2, 1))


@case("broadcast_to", ((), (3,), (2, 1), (1, 3)))
def broadcast(x):
    return np.broadcast_to(x, (2, 3))


@case("astype", ((3,), (2, 3)))
def to_float32(x):
    return x.astype(np.float32)


@case("astype", (f32(3),))
def to_float64(x):
    return x.astype(np.float64)


@case("float", ((), (3,)))
def to_python_float(x):
    return float(np.sum(x))


@case("copy", ((3,), (2, 3), f32(3)))
def copied(x):
    return x.copy() * x


@case("copy", ((3,),))
def np_copy(x):
    return np.copy(x)


def _sum_of_broadcast_product(x, y, k):
    return np.sum(np.sin(x[:k] * y))


@case("sum_to", (((3, 2), (2,), Int(2)), ((3, 2), (1, 2), Int(3))))
def grad_of_broadcast_product(x, y, k):
    """y is spread over the rows of x[:k], whose number is known only when it runs:
    reverse mode sums y's adjoint down with sum_to."""
    return srcdiff.grad(_sum_of_broadcast_product, argnums=1)(x, y, k)


def _scalar_spread_loss(x, y, k):
    return np.sum(np.sin(x[:k] + y * x[:k]))


@case("sum_to", (((3, 2), (), Int(2)), ((3,), FLOAT, Int(2))))
def grad_of_scalar_spread(x, y, k):
    return srcdiff.grad(_scalar_spread_loss, argnums=1)(x, y, k)


@case("reshape", ((2, 3),))
def flattened(x):
    return x.flatten()


@case("reshape", ((2, 2, 2), f32(4)))
def reshaped_minus_one(x):
    return np.reshape(x, (-1, 2))


@case("tile", ((), (2,), (2, 2)))
def tiled_int(x):
    return np.tile(x, 3)


@case("concatenate", (((3,), (3,)), ((1, 3), (2, 3))))
def vstack(a, b):
    return np.vstack([a, b])


@case("squeeze", ((1,), (1, 1)))
def squeezed_to_scalar(x):
    return np.squeeze(x) * 2.0


@case("float", (f32(2),))
def from_float32_scalar(x):
    return float(x[0])


# -- indexing: reads and writes

@case("getitem", ((3, 4), (2, 3)))
def sliced(x):
    return x[1:, ::2]


@case("getitem", ((3,),))
def reversed_slice(x):
    return x[::-1]


@case("getitem", ((3,), (4, 2)))
def gathered(x):
    return x[IDX]


@case("getitem", ((2, 3),))
def pairs_picked(x):
    return x[ROWS, COLS]


@case("getitem", ((4,),), away_from_zero)
def masked(x):
    return x[x > 0]


@case("getitem", (((3,), Int(1)), ((2, 3), Int(-1))))
def item_at(x, k):
    return x[k]


@case("getitem", ((3,), (2, 3)))
def new_axis(x):
    return x[..., None]


@case("index_update", (((3,), FLOAT), ((2, 3), (3,))))
def item_written(x, v):
    y = x.copy()
    y[1] = v
    return y


@case("index_update", (((4,), (3,)),))
def written_twice(x, v):
    """IDX names place 2 twice: NumPy's last write wins."""
    y = x * 1.0
    y[IDX] = v
    return y


@case("index_update", (((3,), (2,)), ((3,), ())))
def slice_added(x, v):
    y = x.copy()
    y[1:] += v
    return y


@case("index_update", ((3,),))
def written_in_a_loop(x):
    y = np.zeros(3)
    for i in range(3):
        y[i] = x[i] * x[2 - i]
    return y


def _gathered_loss(x):
    return np.sum(np.sin(x[IDX]) * x[::-1])


@case("index_put", ((3,), f32(3)))
def grad_of_gather(x):
    """Reverse mode puts x[IDX]'s and x[::-1]'s adjoints into x's shape: index_put."""
    return srcdiff.grad(_gathered_loss)(x)


def _added_twice_loss(x, v):
    y = x.copy()
    y[IDX] += v * v
    return np.sum(np.sin(y))


@case("index_add", (((3,), (3,)), ((3,), ())))
def grad_of_added_at(x, v):
    """The adjoint of y[IDX] += ... wrt v reads the adjoint of y; wrt x it adds into it: index_add."""
    return srcdiff.grad(_added_twice_loss)(x, v)


def _masked_loss(x):
    return np.sum(np.cos(x[x > 0]) * 2.0) + np.sum(x[:, ::-1][0] ** 3)


@case("index_put", ((2, 3),), away_from_zero)
def grad_of_masked(x):
    """A mask's and a reversed row's adjoints put back in place (index_put)."""
    return srcdiff.grad(_masked_loss)(x)


def _rows_added_loss(x, v):
    y = x.copy()
    y[ROWS, COLS] += np.sin(v)
    return np.sum(y ** 2)


@case("index_add", (((2, 3), (2,)), ((2, 3), ())))
def grad_of_rows_added(x, v):
    return srcdiff.grad(_rows_added_loss)(x, v)


@case("getitem", ((2, 3), f32(3, 2)))
def column_read(x):
    return x[:, 1]


@case("getitem", ((5,),))
def bounded_negative_step(x):
    return x[3:0:-2]


@case("getitem", ((2, 3),))
def rows_repeated(x):
    return x[[0, 0, 1]]


@case("getitem", ((2, 3),), distinct)
def mask_2d(x):
    return x[x > 0.5]


@case("getitem", (((4,), Int(1)),))
def tail_from(x, k):
    return x[k:]


@case("index_update", (((2, 3), (2,)), ((2, 3), FLOAT)))
def column_written(x, v):
    y = x.copy()
    y[:, 0] = v
    return y


@case("index_update", (((2, 3), (2,)),))
def pairs_added(x, v):
    y = x.copy()
    y[ROWS, COLS] += v
    return y


@case("index_update", (((3,), FLOAT, Int(2)), ((2, 3), (3,), Int(0))))
def item_written_at(x, v, k):
    y = x.copy()
    y[k] = v * v
    return y


@case("index_update", (((4,), FLOAT),), (away_from_zero, anywhere))
def mask_written(x, v):
    y = x.copy()
    y[x > 0] = v
    return y


@case("getitem", ((2, 3),))
def rows_of_an_array(x):
    t = 0.0
    for row in x:
        t = t + np.sum(np.sin(row) * row)
    return t


# -- lists

@case("list", ((3,), FLOAT))
@case("list_append", ((3,), (2, 2), f32(3)))
@case("stack_list", ((2,),))
def appended_and_stacked(x):
    xs = []
    for i in range(3):
        xs.append(np.sin(x) * (i + 1))
    return np.stack(xs)


@case("list", ((3,), FLOAT, f32(2)))
def list_started_with_values(x):
    """A list made with items, then appended to: the list primitive with operands."""
    xs = [x * 2.0, np.cos(x)]
    for i in range(2):
        xs.append(np.sin(xs[-1]) * xs[i])
    return np.stack(xs)


@case("list_item", ((3,), FLOAT, f32(2, 2)))
def list_items_read(x):
    xs = []
    for i in range(3):
        xs.append(x * (i + 1))
    t = 0.0
    for i in range(3):
        t = t + xs[i] * xs[2 - i]
    return t


@case("concatenate_list", ((2,), (2, 2), f32(3)))
def appended_and_concatenated(x):
    xs = []
    for i in range(3):
        xs.append(np.sin(x) * i)
    return np.concatenate(xs)


def _appended_loss(x):
    return np.sum(np.cos(appended_and_stacked(x)))


@case("list_pop", ((3,), f32(2)))
@case("unstack", ((2, 2), FLOAT))
def grad_of_appended(x):
    """Reverse mode pops what the loop appended (list_pop) and unstacks np.stack's adjoint."""
    return srcdiff.grad(_appended_loss)(x)


def _items_loss(x):
    return np.sum(np.sin(list_items_read(x)))


@case("list_add_at", ((3,), f32(3)))
def grad_of_list_items(x):
    """Each xs[i] read adds its adjoint into xs's at i (list_add_at)."""
    return srcdiff.grad(_items_loss)(x)


def _concatenated_loss(x):
    return np.sum(np.cos(appended_and_concatenated(x)))


def _stacked_and_concatenated(x):
    xs = []
    for i in range(3):
        xs.append(np.sin(x) * (i + 1))
    return np.sum(np.stack(xs) ** 2) + np.sum(np.concatenate(xs))


@case("list_add", ((3,), (2, 2), f32(3)))
def grad_of_two_readers(x):
    """np.stack and np.concatenate both read xs: its adjoint is their two adjoints added
    item by item (list_add), one of them split from a constant (split_like's tangent is none)."""
    return srcdiff.grad(_stacked_and_concatenated)(x)


@case("split_like", ((2,), (2, 2), f32(2)))
def grad_of_concatenated(x):
    """np.concatenate's adjoint, split like the list it joined (split_like)."""
    return srcdiff.grad(_concatenated_loss)(x)


@case("stack_list", ((2,), (2, 2)))
def stacked_along_rows(x):
    xs = []
    for i in range(3):
        xs.append(np.sin(x) * (i + 1))
    return np.stack(xs, axis=1)


# -- recursion: the forward and backward versions of a called function, and their tapes

@case("tape", ((FLOAT, Int(3)), ((), Int(4))))
@case("tape_item", ((FLOAT, Int(3)), (f32(), Int(3))))
def grad_of_recursion(x, n):
    """q's gradient calls q_fwd, which returns a tape, and q_bwd, which reads it."""
    return srcdiff.grad(q)(x, n)


def _grad_of_loop_of_calls(x, n):
    return srcdiff.grad(lp)(x, n)


@case("tapes_add_at", ((FLOAT, Int(2)),), near_zero)
def grad_of_grad_of_loop_of_calls(x, n):
    """Reverse mode over the gradient adds each recorded tape's adjoint into a list of them
    (tapes_add_at)."""
    return srcdiff.grad(_grad_of_loop_of_calls)(x, n)


def _second_derivative_of_recursion(x, n):
    return srcdiff.grad(grad_of_recursion)(x, n)


@case("tape_add", ((FLOAT, Int(3)),))
def third_derivative_of_recursion(x, n):
    """Reverse mode over q's second derivative adds two adjoints of one tape (tape_add)."""
    return srcdiff.grad(_second_derivative_of_recursion)(x, n)


# -- shapes known only when the code runs (x[:k] with k an argument): the rules' paths
# for unknown shapes

@case("max", (((3, 2), Int(2)),), (distinct, None))
def unknown_column_max(x, k):
    return np.max(x[:k], axis=0)


@case("min", (((3, 2), Int(2)),), (distinct, None))
def unknown_min_kept(x, k):
    return np.min(x[:k], axis=1, keepdims=True)


@case("prod", (((3, 2), Int(2)),))
def unknown_product(x, k):
    """x[:k]'s shape, rank too, is not known with k traced, and np.prod's derivative is built
    for the rank: the int k is compiled for by value (cache.get_or_compile)."""
    return np.prod(x[:k], axis=0)


@case("mean", (((3, 2), Int(2)),))
def unknown_mean(x, k):
    return np.mean(x[:k], axis=0)


@case("var", (((3, 2), Int(2)),))
def unknown_variance(x, k):
    return np.var(x[:k], axis=1)


@case("std", (((3, 2), Int(2)),))
def unknown_std(x, k):
    return np.std(x[:k])


@case("norm", (((3, 2), Int(2)),))
def unknown_norm(x, k):
    return np.linalg.norm(x[:k], axis=1)


@case("sum", (((3, 2), Int(2)),))
def unknown_sum(x, k):
    return np.sum(x[:k], axis=(0, 1))


@case("matmul", (((3, 2), (2, 2), Int(2)), ((3, 2), (2,), Int(3))))
def unknown_product_of_matrices(a, b, k):
    return a[:k] @ b


@case("dot", (((3,), (3,), Int(2)),))
def unknown_dot(a, b, k):
    return np.dot(a[:k], b[:k])


@case("outer", (((3,), (2,), Int(2)),))
def unknown_outer(a, b, k):
    return np.outer(a[:k], b)


@case("transpose", (((3, 2), Int(2)),))
def unknown_transpose(x, k):
    return x[:k].T * 2.0


@case("reshape", (((3, 2), Int(2)),))
def unknown_reshape(x, k):
    return x[:k].reshape(-1)


@case("expand_dims", (((3, 2), Int(2)),))
def unknown_expand_dims(x, k):
    return np.expand_dims(x[:k], 0)


@case("concatenate", (((3, 2), (1, 2), Int(2)),))
def unknown_concatenate(a, b, k):
    return np.concatenate([a[:k], b], axis=0)


@case("stack", (((3,), (3,), Int(2)),))
def unknown_stack(a, b, k):
    return np.stack([a[:k], b[:k]], axis=1)


@case("tile", (((3,), Int(2)),))
def unknown_tile(x, k):
    """np.tile's adjoint sums the copies back by x's shape, which x[:k] leaves unknown with k
    traced: reverse mode compiles for k's value (forward mode tiles the tangent, k traced)."""
    return np.tile(x[:k], 2)


@case("mul", (((3, 2), (2,), Int(2)), ((3,), FLOAT, Int(2))))
def unknown_broadcast(x, y, k):
    return x[:k] * y


@case("where", (((3,), FLOAT, Int(2)),), (away_from_zero, anywhere, None))
def unknown_where(x, y, k):
    return np.where(x[:k] > 0, x[:k], y)


@case("maximum", (((3, 2), (2,), Int(2)),))
def unknown_maximum(x, y, k):
    return np.maximum(x[:k], y)


@case("broadcast_to", (((3,), Int(2)),))
def unknown_broadcast_to(x, k):
    return np.broadcast_to(x[:k], (2, k))


@case("squeeze", (((3, 1), Int(2)),))
def unknown_squeeze(x, k):
    return np.squeeze(x[:k], axis=1)


@case("trace", (((3, 3), Int(2)),))
def unknown_trace(x, k):
    return np.trace(x[:k])


@case("getitem", (((3,), Int(2)),))
def unknown_gather(x, k):
    return x[:k][::-1]


# -- gradients of functions linear in the primitive's output: the adjoint reaching the
# primitive's rule is a constant, and the rule's tangent and adjoint see an operand
# without a derivative (a rule applied to a missing tangent fails here)

def _linear_in_the_stack(x):
    xs = []
    for i in range(3):
        xs.append(np.sin(x) * (i + 1))
    return np.sum(np.stack(xs))


@case("list_pop", ((3,), FLOAT))
@case("unstack", ((2,),))
def grad_of_linear_in_the_stack(x):
    return srcdiff.grad(_linear_in_the_stack)(x)


def _linear_in_the_items(x):
    xs = []
    for i in range(3):
        xs.append(np.sin(x) * (i + 1))
    return np.sum(xs[0] + xs[2] * 2.0)


@case("list_add_at", ((3,), FLOAT))
def grad_of_linear_in_the_items(x):
    return srcdiff.grad(_linear_in_the_items)(x)


def _linear_in_the_gather(x):
    return np.sum(x[IDX] * 2.0) + np.sum(np.sin(x))


@case("index_add", ((3,),))
def grad_of_linear_in_the_gather(x):
    return srcdiff.grad(_linear_in_the_gather)(x)


def _linear_in_the_scatter(x, v):
    y = np.sin(x)
    y[IDX] += v * v
    return np.sum(y)


@case("index_add", (((3,), (3,)), ((3,), FLOAT)))
def grad_of_linear_in_the_scatter(x, v):
    return srcdiff.grad(_linear_in_the_scatter)(x, v)


def _linear_in_the_spread(x, y, k):
    return np.sum(np.sin(x[:k]) + y * 2.0)


@case("sum_to", (((3, 2), (2,), Int(2)),))
def grad_of_linear_in_the_spread(x, y, k):
    return srcdiff.grad(_linear_in_the_spread, argnums=1)(x, y, k) * np.sum(x)


def _linear_in_the_product(x, w, k):
    return np.sum(x[:k].T @ np.sin(w[:k]))


@case("product_grad", (((3, 2), (3, 2), Int(2)), ((3, 2), (3,), Int(3))))
def grad_of_linear_in_the_product(x, w, k):
    return srcdiff.grad(_linear_in_the_product, argnums=1)(x, w, k)


def lin(x, n):
    if n <= 0:
        return x * 2.0
    return lin(x, n - 1) + np.sin(x)


@case("tape", ((FLOAT, Int(3)), ((), Int(2))))
def grad_of_linear_recursion(x, n):
    return srcdiff.grad(lin)(x, n)


# -- scans and the elementwise functions of issue 16 (prims/scans.py, prims/elementwise.py)

@case("cumsum", ((), (3,), (2, 3), f32(2, 3)))
def cumulative_sum(x):
    return np.cumsum(x)


@case("cumsum", ((2, 3), (2, 3, 2), f32(3, 2)))
def cumulative_sum_down(x):
    return x.cumsum(axis=0) * np.cumsum(x, axis=-1)


@case("cumprod", ((), (3,), (2, 3), f32(2, 3)))
@case("cumprod", ((4,), (2, 3)), with_a_zero)
def cumulative_product(x):
    return np.cumprod(x)


@case("cumprod", ((2, 3), (2, 3, 2), f32(3, 2)))
@case("cumprod", ((2, 3), (3, 2, 2)), with_a_zero)
def cumulative_product_along(x):
    return x.cumprod(axis=0) + np.cumprod(x, axis=-1)


@case("sinc", ONE)
def sinc(x):
    return np.sinc(x)


@case("nan_to_num", ONE)
def nan_to_num(x):
    return np.nan_to_num(x)


@case("logaddexp2", TWO)
def logaddexp2(x, y):
    return np.logaddexp2(x, y)


@case("fmod", TWO, (off_a_step_of_mod, modulus))
def fmod(x, y):
    return np.fmod(x, y)


@case("copysign", TWO, away_from_zero)
def copysign(x, y):
    return np.copysign(x, y)


@case("convolve", (((3,), (2,)), ((2,), (4,)), ((1,), (3,)), (f32(3), f32(3))))
def convolution(a, v):
    return np.convolve(a, v) * np.sum(np.convolve(v, a, mode="same"))


@case("convolve", (((4,), (2,)), ((2,), (3,))))
def correlation(a, v):
    return np.correlate(a, v) + np.sum(np.correlate(a, v, "full"))


# -- the other families' cases, one module each (cases_<family>.py beside this one), registered
# by the same @case: imported last, as they import case and the argument kinds from here
def _family_cases():
    import importlib
    import pathlib
    for path in sorted(pathlib.Path(__file__).parent.glob("cases_*.py")):
        importlib.import_module(f"{__package__}.{path.stem}")


_family_cases()
