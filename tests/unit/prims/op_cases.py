"""CASES: for every differentiable primitive, code written the way a user writes it that
lowers to that primitive, the arguments to try it on and where to draw them from.

A primitive only a transformation makes (a list's pop, a tape, sum_to) gets a case whose
code makes the transformation itself: srcdiff.grad(q) inside the function lowers to the
gradient's IR, so the primitive is in the case's own IR and every test differentiates
through it. test_every_op.py checks that each case's IR really holds its primitive.

An argument is a shape (a float64 array; () is a 0-d array), FLOAT (a Python float),
f32(shape) (a float32 array) or Int(n) (an int, not differentiated). A domain draws an
argument's values: one for every argument, or a tuple with one per argument."""
import math
from typing import Any, Callable, NamedTuple

import numpy as np

import srcdiff

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


class Case(NamedTuple):
    fn: Callable
    signatures: tuple  # argument lists to try, one spec per argument
    domain: Any = anywhere


# -- argument lists to try, by kind of operation
ONE = (FLOAT, (), (3,), (2, 3), f32(2, 3))  # an elementwise function of one value
ARRAYS = ((3,), (2, 3), f32(2, 3))
TWO = ((FLOAT, FLOAT), ((), ()), ((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((3,), FLOAT), (f32(2, 3), f32(3)),
       (f32(3), FLOAT), (f32(3), (3,)))
MATRIX = ((2, 3), (3, 4), f32(2, 3))


def sin(x):
    return np.sin(x)


def math_sin(x):
    return math.sin(x)


def cos(x):
    return np.cos(x)


def math_cos(x):
    return math.cos(x)


def tan(x):
    return np.tan(x)


def arcsin(x):
    return np.arcsin(x)


def math_asin(x):
    return math.asin(x)


def arccos(x):
    return np.arccos(x)


def arctan(x):
    return np.arctan(x)


def sinh(x):
    return np.sinh(x)


def cosh(x):
    return np.cosh(x)


def tanh(x):
    return np.tanh(x)


def math_tanh(x):
    return math.tanh(x)


def logistic(x):
    return 1.0 / (1.0 + np.exp(-x))


def arcsinh(x):
    return np.arcsinh(x)


def arccosh(x):
    return np.arccosh(x)


def arctanh(x):
    return np.arctanh(x)


def exp(x):
    return np.exp(x)


def math_exp(x):
    return math.exp(x)


def exp2(x):
    return np.exp2(x)


def expm1(x):
    return np.expm1(x)


def log(x):
    return np.log(x)


def math_log_base(x):
    return math.log(x, 3.0)


def log2(x):
    return np.log2(x)


def log10(x):
    return np.log10(x)


def log1p(x):
    return np.log1p(x)


def sqrt(x):
    return np.sqrt(x)


def math_sqrt(x):
    return math.sqrt(x)


def cbrt(x):
    return np.cbrt(x)


def square(x):
    return np.square(x)


def reciprocal(x):
    return np.reciprocal(x)


def np_abs(x):
    return np.abs(x)


def builtin_abs(x):
    return abs(x)


def negative(x):
    return -x


def add(x, y):
    return x + y


def sub(x, y):
    return x - y


def mul(x, y):
    return x * y


def div(x, y):
    return x / y


def power(x, y):
    return x ** y


def cube(x):
    return x ** 3


def arctan2(x, y):
    return np.arctan2(x, y)


def hypot(x, y):
    return np.hypot(x, y)


def logaddexp(x, y):
    return np.logaddexp(x, y)


def mod(x, y):
    return x % y


def maximum(x, y):
    return np.maximum(x, y)


def builtin_max(x, y):
    return max(x, y)


def relu(x):
    return np.maximum(x, 0.0)


def minimum(x, y):
    return np.minimum(x, y)


def clip(x):
    return np.clip(x, -0.5, 0.5)


def where(x, y):
    return np.where(x > 0, x * y, np.sin(y))


# -- reductions

def total(x):
    return np.sum(x)


def column_sums(x):
    return np.sum(x, axis=0)


def sum_two_axes_kept(x):
    return np.sum(x, axis=(0, 2), keepdims=True)


def mean(x):
    return np.mean(x)


def row_means_kept(x):
    return np.mean(x, axis=1, keepdims=True)


def largest(x):
    return np.max(x)


def column_max_kept(x):
    return np.max(x, axis=0, keepdims=True)


def row_max_method(x):
    return x.max(axis=-1)


def smallest_per_row(x):
    return np.min(x, axis=1)


def amin(x):
    return np.amin(x)


def product(x):
    return np.prod(x)


def column_products(x):
    return np.prod(x, axis=0)


def variance(x):
    return np.var(x)


def column_variance_ddof(x):
    return np.var(x, axis=0, ddof=1)


def std(x):
    return np.std(x)


def row_std_kept(x):
    return np.std(x, axis=1, keepdims=True)


def norm(x):
    return np.linalg.norm(x)


def row_norms(x):
    return np.linalg.norm(x, axis=1)


# -- products

def matmul(a, b):
    return a @ b


def dot(a, b):
    return np.dot(a, b)


def dot_method(a, b):
    return a.dot(b)


def outer(a, b):
    return np.outer(a, b)


def trace(x):
    return np.trace(x)


def transposed(x):
    return x.T


def axes_permuted(x):
    return np.transpose(x, (1, 0, 2))


def _sliced_product(x, w, k):
    return np.sum(np.sin(x[:k].T @ w[:k]))


def grad_of_sliced_product(x, w, k):
    """x[:k]'s shape is not known when compiling (k is not): reverse mode's adjoint of the
    product is product_grad."""
    return srcdiff.grad(_sliced_product)(x, w, k)


# -- shapes

def reshaped(x):
    return x.reshape(3, 2)


def raveled(x):
    return np.ravel(x)


def expand_dims(x):
    return np.expand_dims(x, 1)


def squeezed(x):
    return np.squeeze(x)


def squeeze_axis_method(x):
    return x.squeeze(axis=1)


def concatenate_columns(a, b):
    return np.concatenate([a, b], axis=1)


def concatenate(a, b):
    return np.concatenate([a, b])


def hstack(a, b):
    return np.hstack([a, b])


def stacked(a, b):
    return np.stack([a, b])


def array_of(a, b):
    return np.array([a, b])


def stack_last_axis(a, b):
    return np.stack([a, b], axis=-1)


def tiled(x):
    return np.tile(x, (2, 1))


def broadcast(x):
    return np.broadcast_to(x, (2, 3))


def to_float32(x):
    return x.astype(np.float32)


def to_float64(x):
    return x.astype(np.float64)


def to_python_float(x):
    return float(np.sum(x))


def copied(x):
    return x.copy() * x


def np_copy(x):
    return np.copy(x)


def _sum_of_broadcast_product(x, y, k):
    return np.sum(np.sin(x[:k] * y))


def grad_of_broadcast_product(x, y, k):
    """y is spread over the rows of x[:k], whose number is known only when it runs:
    reverse mode sums y's adjoint down with sum_to."""
    return srcdiff.grad(_sum_of_broadcast_product, argnums=1)(x, y, k)


# -- indexing

IDX = np.array([2, 0, 2])
ROWS = np.array([0, 1])
COLS = np.array([2, 0])


def sliced(x):
    return x[1:, ::2]


def reversed_slice(x):
    return x[::-1]


def gathered(x):
    return x[IDX]


def pairs_picked(x):
    return x[ROWS, COLS]


def masked(x):
    return x[x > 0]


def item_at(x, k):
    return x[k]


def new_axis(x):
    return x[..., None]


def item_written(x, v):
    y = x.copy()
    y[1] = v
    return y


def written_twice(x, v):
    """IDX names place 2 twice: NumPy's last write wins."""
    y = x * 1.0
    y[IDX] = v
    return y


def slice_added(x, v):
    y = x.copy()
    y[1:] += v
    return y


def written_in_a_loop(x):
    y = np.zeros(3)
    for i in range(3):
        y[i] = x[i] * x[2 - i]
    return y


def _gathered_loss(x):
    return np.sum(np.sin(x[IDX]) * x[::-1])


def grad_of_gather(x):
    """Reverse mode puts x[IDX]'s and x[::-1]'s adjoints into x's shape: index_put."""
    return srcdiff.grad(_gathered_loss)(x)


def _added_twice_loss(x, v):
    y = x.copy()
    y[IDX] += v * v
    return np.sum(np.sin(y))


def grad_of_added_at(x, v):
    """The adjoint of y[IDX] += ... wrt v reads the adjoint of y; wrt x it adds into it: index_add."""
    return srcdiff.grad(_added_twice_loss)(x, v)


# -- lists

def appended_and_stacked(x):
    xs = []
    for i in range(3):
        xs.append(np.sin(x) * (i + 1))
    return np.stack(xs)


def list_items_read(x):
    xs = []
    for i in range(3):
        xs.append(x * (i + 1))
    t = 0.0
    for i in range(3):
        t = t + xs[i] * xs[2 - i]
    return t


def appended_and_concatenated(x):
    xs = []
    for i in range(3):
        xs.append(np.sin(x) * i)
    return np.concatenate(xs)


def _appended_loss(x):
    return np.sum(np.cos(appended_and_stacked(x)))


def grad_of_appended(x):
    """Reverse mode pops what the loop appended (list_pop) and unstacks np.stack's adjoint."""
    return srcdiff.grad(_appended_loss)(x)


def _items_loss(x):
    return np.sum(np.sin(list_items_read(x)))


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


def grad_of_two_readers(x):
    """np.stack and np.concatenate both read xs: its adjoint is their two adjoints added
    item by item (list_add), one of them split from a constant (split_like's tangent is none)."""
    return srcdiff.grad(_stacked_and_concatenated)(x)


def grad_of_concatenated(x):
    """np.concatenate's adjoint, split like the list it joined (split_like)."""
    return srcdiff.grad(_concatenated_loss)(x)


def _masked_loss(x):
    return np.sum(np.cos(x[x > 0]) * 2.0) + np.sum(x[:, ::-1][0] ** 3)


def grad_of_masked(x):
    """A mask's and a reversed row's adjoints put back in place (index_put)."""
    return srcdiff.grad(_masked_loss)(x)


def _rows_added_loss(x, v):
    y = x.copy()
    y[ROWS, COLS] += np.sin(v)
    return np.sum(y ** 2)


def grad_of_rows_added(x, v):
    return srcdiff.grad(_rows_added_loss)(x, v)


def _batched_sliced_product(a, b, k):
    return np.sum(np.cos(a[:k] @ b))


def grad_of_batched_sliced_product(a, b, k):
    return srcdiff.grad(_batched_sliced_product, argnums=1)(a, b, k)


def _scalar_spread_loss(x, y, k):
    return np.sum(np.sin(x[:k] + y * x[:k]))


def grad_of_scalar_spread(x, y, k):
    return srcdiff.grad(_scalar_spread_loss, argnums=1)(x, y, k)


# -- gradients of functions linear in the primitive's output: the adjoint reaching the
# primitive's rule is a constant, and the rule's tangent and adjoint see an operand
# without a derivative (a rule applied to a missing tangent fails here)

def _linear_in_the_stack(x):
    xs = []
    for i in range(3):
        xs.append(np.sin(x) * (i + 1))
    return np.sum(np.stack(xs))


def grad_of_linear_in_the_stack(x):
    return srcdiff.grad(_linear_in_the_stack)(x)


def _linear_in_the_items(x):
    xs = []
    for i in range(3):
        xs.append(np.sin(x) * (i + 1))
    return np.sum(xs[0] + xs[2] * 2.0)


def grad_of_linear_in_the_items(x):
    return srcdiff.grad(_linear_in_the_items)(x)


def _linear_in_the_gather(x):
    return np.sum(x[IDX] * 2.0) + np.sum(np.sin(x))


def grad_of_linear_in_the_gather(x):
    return srcdiff.grad(_linear_in_the_gather)(x)


def _linear_in_the_scatter(x, v):
    y = np.sin(x)
    y[IDX] += v * v
    return np.sum(y)


def grad_of_linear_in_the_scatter(x, v):
    return srcdiff.grad(_linear_in_the_scatter)(x, v)


def _linear_in_the_spread(x, y, k):
    return np.sum(np.sin(x[:k]) + y * 2.0)


def grad_of_linear_in_the_spread(x, y, k):
    return srcdiff.grad(_linear_in_the_spread, argnums=1)(x, y, k) * np.sum(x)


def _linear_in_the_product(x, w, k):
    return np.sum(x[:k].T @ np.sin(w[:k]))


def grad_of_linear_in_the_product(x, w, k):
    return srcdiff.grad(_linear_in_the_product, argnums=1)(x, w, k)


def lin(x, n):
    if n <= 0:
        return x * 2.0
    return lin(x, n - 1) + np.sin(x)


def grad_of_linear_recursion(x, n):
    return srcdiff.grad(lin)(x, n)


# -- more spellings, where rules have branches of their own

def math_acos(x):
    return math.acos(x)


def square_power(x):
    return x ** 2


def two_to_the(x):
    return 2.0 ** x


def scalar_times(x):
    return 3.0 * x - x / 2.0


def where_scalar_branch(x):
    return np.where(x > 0, np.sin(x), 0.0)


def sum_negative_axis(x):
    return np.sum(x, axis=-1, keepdims=True)


def builtin_sum_of_list(x, y):
    return sum([x, y, x * y])


def max_over_axes(x):
    return np.max(x, axis=(0, 2))


def max_of_list(x, y):
    return np.max([x, y])


def products_kept(x):
    return np.prod(x, axis=1, keepdims=True)


def variance_two_axes(x):
    return np.var(x, axis=(0, 1))


def std_ddof(x):
    return np.std(x, ddof=1)


def norm_kept(x):
    return np.linalg.norm(x, axis=0, keepdims=True)


def inner(a, b):
    return np.inner(a, b)


def reversed_axes(x):
    return np.transpose(x)


def flattened(x):
    return x.flatten()


def reshaped_minus_one(x):
    return np.reshape(x, (-1, 2))


def tiled_int(x):
    return np.tile(x, 3)


def vstack(a, b):
    return np.vstack([a, b])


def squeezed_to_scalar(x):
    return np.squeeze(x) * 2.0


def from_float32_scalar(x):
    return float(x[0])


def column_read(x):
    return x[:, 1]


def bounded_negative_step(x):
    return x[3:0:-2]


def rows_repeated(x):
    return x[[0, 0, 1]]


def mask_2d(x):
    return x[x > 0.5]


def tail_from(x, k):
    return x[k:]


def column_written(x, v):
    y = x.copy()
    y[:, 0] = v
    return y


def pairs_added(x, v):
    y = x.copy()
    y[ROWS, COLS] += v
    return y


def item_written_at(x, v, k):
    y = x.copy()
    y[k] = v * v
    return y


def mask_written(x, v):
    y = x.copy()
    y[x > 0] = v
    return y


def stacked_along_rows(x):
    xs = []
    for i in range(3):
        xs.append(np.sin(x) * (i + 1))
    return np.stack(xs, axis=1)


def rows_of_an_array(x):
    t = 0.0
    for row in x:
        t = t + np.sum(np.sin(row) * row)
    return t


# -- recursion: the forward and backward versions of a called function and their tapes

def q(x, n):
    if n <= 0:
        return x
    return np.sin(q(x, n - 1)) * x


def grad_of_recursion(x, n):
    """q's gradient calls q_fwd, which returns a tape, and q_bwd, which reads it."""
    return srcdiff.grad(q)(x, n)


def lp(x, n):
    """A loop around the recursive call: the loop records each call's tape."""
    if n <= 0:
        return x
    s = 0.0
    for i in range(3):
        s = s + np.cos(lp(x, n - 1) * (i + 1))
    return s * x


def _grad_of_loop_of_calls(x, n):
    return srcdiff.grad(lp)(x, n)


def grad_of_grad_of_loop_of_calls(x, n):
    """Reverse mode over the gradient adds each recorded tape's adjoint into a list of them
    (tapes_add_at)."""
    return srcdiff.grad(_grad_of_loop_of_calls)(x, n)


def _second_derivative_of_recursion(x, n):
    return srcdiff.grad(grad_of_recursion)(x, n)


def third_derivative_of_recursion(x, n):
    """Reverse mode over q's second derivative adds two adjoints of one tape (tape_add)."""
    return srcdiff.grad(_second_derivative_of_recursion)(x, n)


CASES = {
    # elementwise
    "sin": [Case(sin, ONE), Case(math_sin, (FLOAT,))],
    "cos": [Case(cos, ONE), Case(math_cos, (FLOAT,))],
    "tan": [Case(tan, ONE, inside_tan)],
    "arcsin": [Case(arcsin, ONE, inside_unit), Case(math_asin, (FLOAT,), inside_unit)],
    "arccos": [Case(arccos, ONE, inside_unit), Case(math_acos, (FLOAT,), inside_unit)],
    "arctan": [Case(arctan, ONE)],
    "sinh": [Case(sinh, ONE)],
    "cosh": [Case(cosh, ONE)],
    "tanh": [Case(tanh, ONE), Case(math_tanh, (FLOAT,))],
    "sigmoid": [Case(logistic, ONE)],
    "arcsinh": [Case(arcsinh, ONE)],
    "arccosh": [Case(arccosh, ONE, above_one)],
    "arctanh": [Case(arctanh, ONE, inside_unit)],
    "exp": [Case(exp, ONE), Case(math_exp, (FLOAT,))],
    "exp2": [Case(exp2, ONE)],
    "expm1": [Case(expm1, ONE)],
    "log": [Case(log, ONE, positive), Case(math_log_base, (FLOAT,), positive)],
    "log2": [Case(log2, ONE, positive)],
    "log10": [Case(log10, ONE, positive)],
    "log1p": [Case(log1p, ONE, above_minus_one)],
    "sqrt": [Case(sqrt, ONE, positive), Case(math_sqrt, (FLOAT,), positive)],
    "cbrt": [Case(cbrt, ONE, away_from_zero)],
    "square": [Case(square, ONE)],
    "reciprocal": [Case(reciprocal, ONE, away_from_zero)],
    "abs": [Case(np_abs, ONE, away_from_zero), Case(builtin_abs, (FLOAT, (3,)), away_from_zero)],
    "neg": [Case(negative, ONE)],
    "add": [Case(add, TWO), Case(builtin_sum_of_list, (((3,), (3,)), (FLOAT, FLOAT)))],
    "sub": [Case(sub, TWO)],
    "mul": [Case(mul, TWO), Case(scalar_times, ONE)],
    "div": [Case(div, TWO, (anywhere, away_from_zero))],
    "pow": [Case(power, TWO, (positive, anywhere)), Case(cube, ONE), Case(square_power, ONE), Case(two_to_the, ONE)],
    "arctan2": [Case(arctan2, TWO, away_from_zero)],
    "hypot": [Case(hypot, TWO, away_from_zero)],
    "logaddexp": [Case(logaddexp, TWO)],
    "mod": [Case(mod, TWO, (off_a_step_of_mod, modulus))],
    "maximum": [Case(maximum, TWO), Case(builtin_max, ((FLOAT, FLOAT),)), Case(relu, ONE, away_from_zero),
                      Case(clip, ARRAYS, distinct)],
    "minimum": [Case(minimum, TWO), Case(clip, ARRAYS, distinct)],
    "where": [Case(where, (((3,), (3,)), ((2, 3), (3,)), ((), ()), (f32(3), f32(3))), (away_from_zero, anywhere)),
              Case(where_scalar_branch, ((3,), FLOAT), away_from_zero)],
    # reductions
    "sum": [Case(total, (FLOAT, (), (3,), (2, 3), f32(2, 3))), Case(column_sums, ((3,), (2, 3))),
                  Case(sum_two_axes_kept, ((2, 3, 2), f32(2, 1, 3))),
            Case(sum_negative_axis, ((3,), (2, 3)))],
    "mean": [Case(mean, ((3,), (2, 3), f32(2, 3))), Case(row_means_kept, ((2, 3), (2, 3, 2)))],
    "max": [Case(largest, ((), (3,), (2, 3), f32(2, 3)), distinct), Case(column_max_kept, ((2, 3),), distinct),
                  Case(row_max_method, ((3,), (2, 3)), distinct),
            Case(max_over_axes, ((2, 3, 2),), distinct), Case(max_of_list, (((2,), (2,)), (FLOAT, FLOAT)), distinct)],
    "min": [Case(smallest_per_row, ((2, 3), (2, 3, 2)), distinct), Case(amin, ((3,), f32(2, 3)), distinct)],
    "prod": [Case(product, ((3,), (2, 3), f32(2, 3))), Case(product, ((4,), (2, 3)), with_a_zero),
                   Case(column_products, ((2, 3), (3, 2, 2))),
             Case(products_kept, ((2, 3),), with_a_zero)],
    "var": [Case(variance, ((3,), (2, 3), f32(2, 3))), Case(column_variance_ddof, ((3, 2),)), Case(variance_two_axes, ((2, 2, 3),))],
    "std": [Case(std, ((3,), (2, 3), f32(2, 3))), Case(row_std_kept, ((2, 3),)), Case(std_ddof, ((4,), f32(3)))],
    "norm": [Case(norm, ((3,), (2, 3), f32(3))), Case(row_norms, ((2, 3),)), Case(norm_kept, ((3, 2),))],
    # products
    "matmul": [Case(matmul, (((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 2)), ((3,), (3,)),
                                   ((2, 2, 3), (3, 2)), ((2, 2, 3), (2, 3, 2)), ((3,), (2, 3, 2)), (f32(2, 3), f32(3, 2)))),
               Case(inner, (((3,), (3,)), ((2, 3), (3,))))],
    "dot": [Case(dot, (((2, 3), (3,)), ((3,), (3,)), ((2, 3), (3, 2)), (f32(3), f32(3, 2)))),
                  Case(dot_method, (((2, 3), (3, 2)),))],
    "outer": [Case(outer, (((3,), (2,)), (f32(2), f32(3))))],
    "trace": [Case(trace, ((3, 3), (2, 3)))],
    "transpose": [Case(transposed, ((2, 3), (3,))), Case(axes_permuted, ((2, 3, 2),)), Case(reversed_axes, ((2, 3, 2),))],
    "product_grad": [Case(grad_of_linear_in_the_product, (((3, 2), (3, 2), Int(2)), ((3, 2), (3,), Int(3)))), Case(grad_of_sliced_product, (((3, 2), (3, 2), Int(2)), ((3, 2), (3,), Int(3)))),
                     Case(grad_of_batched_sliced_product, (((3, 2, 2), (2, 3), Int(2)), ((3, 2), (2,), Int(2))))],
    # shapes
    "reshape": [Case(reshaped, ((2, 3), (6,))), Case(raveled, ((2, 3),)), Case(flattened, ((2, 3),)),
                Case(reshaped_minus_one, ((2, 2, 2), f32(4)))],
    "expand_dims": [Case(expand_dims, ((3,), (2, 3)))],
    "squeeze": [Case(squeezed, ((1, 3), (2, 1, 1))), Case(squeeze_axis_method, ((2, 1),)), Case(squeezed_to_scalar, ((1,), (1, 1)))],
    "concatenate": [Case(concatenate_columns, (((2, 3), (2, 1)), (f32(2, 2), f32(2, 3)))),
                          Case(concatenate, (((3,), (2,)), ((1, 2), (2, 2)))), Case(hstack, (((2,), (3,)),)), Case(vstack, (((3,), (3,)), ((1, 3), (2, 3))))],
    "stack": [Case(stacked, (((3,), (3,)), ((), ()), (FLOAT, FLOAT))), Case(array_of, (((2,), (2,)),)),
                    Case(stack_last_axis, (((2, 3), (2, 3)),))],
    "tile": [Case(tiled, ((3,), (2, 3))), Case(tiled_int, ((), (2,), (2, 2)))],
    "broadcast_to": [Case(broadcast, ((), (3,), (2, 1), (1, 3)))],
    "astype": [Case(to_float32, ((3,), (2, 3))), Case(to_float64, (f32(3),))],
    "float": [Case(to_python_float, ((), (3,))), Case(from_float32_scalar, (f32(2),))],
    "copy": [Case(copied, ((3,), (2, 3))), Case(np_copy, ((3,),))],
    "sum_to": [Case(grad_of_linear_in_the_spread, (((3, 2), (2,), Int(2)),)), Case(grad_of_broadcast_product, (((3, 2), (2,), Int(2)), ((3, 2), (1, 2), Int(3)))),
               Case(grad_of_scalar_spread, (((3, 2), (), Int(2)), ((3,), FLOAT, Int(2))))],
    # indexing
    "getitem": [Case(sliced, ((3, 4), (2, 3))), Case(reversed_slice, ((3,),)), Case(gathered, ((3,), (4, 2))),
                      Case(pairs_picked, ((2, 3),)), Case(masked, ((4,),), away_from_zero),
                      Case(item_at, (((3,), Int(1)), ((2, 3), Int(-1)))), Case(new_axis, ((3,), (2, 3))),
                Case(column_read, ((2, 3), f32(3, 2))), Case(bounded_negative_step, ((5,),)),
                Case(rows_repeated, ((2, 3),)), Case(mask_2d, ((2, 3),), distinct), Case(tail_from, (((4,), Int(1)),)),
                Case(rows_of_an_array, ((2, 3),))],
    "index_update": [Case(item_written, (((3,), FLOAT), ((2, 3), (3,)))), Case(written_twice, (((4,), (3,)),)),
                           Case(slice_added, (((3,), (2,)), ((3,), ()))), Case(written_in_a_loop, ((3,),)),
                     Case(column_written, (((2, 3), (2,)), ((2, 3), FLOAT))), Case(pairs_added, (((2, 3), (2,)),)),
                     Case(item_written_at, (((3,), FLOAT, Int(2)), ((2, 3), (3,), Int(0)))),
                     Case(mask_written, (((4,), FLOAT),), (away_from_zero, anywhere))],
    "index_put": [Case(grad_of_gather, ((3,), f32(3))), Case(grad_of_masked, ((2, 3),), away_from_zero)],
    "index_add": [Case(grad_of_linear_in_the_scatter, (((3,), (3,)), ((3,), FLOAT))),
                  Case(grad_of_linear_in_the_gather, ((3,),)), Case(grad_of_added_at, (((3,), (3,)), ((3,), ()))), Case(grad_of_rows_added, (((2, 3), (2,)), ((2, 3), ())))],
    # lists
    "list": [Case(appended_and_stacked, ((3,), FLOAT))],
    "list_append": [Case(appended_and_stacked, ((3,), (2, 2)))],
    "list_item": [Case(list_items_read, ((3,), FLOAT))],
    "stack_list": [Case(appended_and_stacked, ((2,),)), Case(stacked_along_rows, ((2,), (2, 2)))],
    "concatenate_list": [Case(appended_and_concatenated, ((2,), (2, 2)))],
    "list_pop": [Case(grad_of_appended, ((3,),)), Case(grad_of_linear_in_the_stack, ((3,), FLOAT))],
    "unstack": [Case(grad_of_appended, ((2, 2),)), Case(grad_of_linear_in_the_stack, ((2,),))],
    "list_add_at": [Case(grad_of_list_items, ((3,),)), Case(grad_of_linear_in_the_items, ((3,), FLOAT))],
    "list_add": [Case(grad_of_two_readers, ((3,), (2, 2)))],
    "split_like": [Case(grad_of_concatenated, ((2,), (2, 2)))],
    # tapes
    "tape": [Case(grad_of_linear_recursion, ((FLOAT, Int(3)), ((), Int(2)))), Case(grad_of_recursion, ((FLOAT, Int(3)), ((), Int(4))))],
    "tape_item": [Case(grad_of_recursion, ((FLOAT, Int(3)),))],
    "tape_add": [Case(third_derivative_of_recursion, ((FLOAT, Int(3)),))],
    "tapes_add_at": [Case(grad_of_grad_of_loop_of_calls, ((FLOAT, Int(2)), ((), Int(3))), near_zero)],
}
