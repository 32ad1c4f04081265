"""The contractions of issue 16: np.einsum (explicit and implicit outputs, the ellipsis and
NumPy's broadcasting of axes of length 1, repeated subscripts for diagonals and traces,
subscripts summed away, any number of operands, optimize=), np.tensordot, np.kron, np.vdot,
np.linalg.multi_dot, and np.inner and np.outer of N-D arrays, in every spelling, against
NumPy's values and central differences in forward and reverse mode and to second order.
A hypothesis test draws einsums of random subscripts and shapes."""
import string

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import srcdiff
from srcdiff import NonDifferentiableError

from tests.numeric import assert_all_modes, central_difference, import_file

RNG = np.random.default_rng(16)


def values(*shape, dtype=np.float64):
    return RNG.normal(size=shape).astype(dtype)


A23, B34, S33, V3, V4 = values(2, 3), values(3, 4), values(3, 3), values(3), values(4)
T234, T432 = values(2, 3, 4), values(4, 3, 2)


# -- functions of two operands, as users write them

def matmul_explicit(a, b):
    return np.einsum('ij,jk->ik', a, b)


def matmul_implicit(a, b):
    return np.einsum('ij,jk', a, b)


def matmul_spaced_optimized(a, b):
    return np.einsum('ij, jk -> ik', a, b, optimize=True)


def matmul_greedy(a, b):
    return np.einsum('ij,jk->ki', a, b, optimize='greedy')


def outer_product(a, b):
    return np.einsum('i,j->ij', a, b)


def summed_away(a, b):
    return np.einsum('ij,k->i', a, b)


def batch_ellipsis(a, b):
    return np.einsum('...ij,...jk->...ik', a, b)


def ellipsis_implicit(a, b):
    return np.einsum('...j,jk', a, b)


def length_one_broadcast(a, b):
    return np.einsum('ij,ij->ij', a, b)


def upper_and_lower_case(a, b):
    return np.einsum('Ab,bC', a, b)


def tensordot_int(a, b):
    return np.tensordot(a, b, 1)


def tensordot_default(a, b):
    return np.tensordot(a, b)


def tensordot_pairs(a, b):
    return np.tensordot(a, b, axes=([0, 2], [2, 0]))


def tensordot_one_pair(a, b):
    return np.tensordot(a, b, axes=(1, -2))


def tensordot_zero(a, b):
    return np.tensordot(a, b, axes=0)


def kron(a, b):
    return np.kron(a, b)


def vdot(a, b):
    return np.vdot(a, b)


def inner(a, b):
    return np.inner(a, b)


def outer(a, b):
    return np.outer(a, b)


PAIRS = [
    (matmul_explicit, A23, B34), (matmul_implicit, A23, B34), (matmul_spaced_optimized, A23, B34),
    (matmul_greedy, A23, B34), (outer_product, V3, V4), (summed_away, A23, V4),
    (batch_ellipsis, values(2, 2, 3), values(2, 3, 4)), (batch_ellipsis, values(1, 2, 3), values(3, 3, 4)),
    (batch_ellipsis, A23, values(2, 3, 2)), (ellipsis_implicit, T234.reshape(2, 4, 3), B34),
    (ellipsis_implicit, V3, B34), (length_one_broadcast, values(1, 3), A23), (length_one_broadcast, values(2, 1), A23),
    (upper_and_lower_case, A23, B34), (matmul_explicit, values(2, 3, dtype=np.float32), values(3, 4, dtype=np.float32)),
    (tensordot_int, A23, B34), (tensordot_default, T234, values(3, 4, 2)), (tensordot_pairs, T234, T432),
    (tensordot_one_pair, T234, values(2, 3, 5)), (tensordot_zero, V3, A23),
    (kron, A23, values(2, 2)), (kron, V3, A23), (kron, T234, V3), (kron, values(2, 2), 1.5), (kron, V3, V4),
    (vdot, A23, values(3, 2)), (vdot, V3, V3),
    (inner, V3, V3), (inner, A23, V3), (inner, A23, values(4, 3)), (inner, A23, values(2, 2, 3)),
    (inner, T234, values(5, 4)), (inner, T234, values(2, 3, 4)), (inner, V3, 2.0),
    (outer, V3, V4), (outer, A23, V3), (outer, A23, values(2, 2)),
]
PAIR_IDS = [f"{f.__name__}-{np.shape(a)}-{np.shape(b)}" for f, a, b in PAIRS]


def weighted(op):
    """A scalar loss of op(a, b): the sine of each element weighted by its place, so that a
    wrong permutation shows and the Hessian is not zero."""
    def loss(a, b):
        y = op(a, b)
        return np.sum(np.sin(y) * np.cos(np.arange(np.size(y)) + 1.0).reshape(np.shape(y)))

    return loss


@pytest.mark.parametrize("op, a, b", PAIRS, ids=PAIR_IDS)
def test_values_match_numpy(op, a, b):
    out, _ = srcdiff.vjp(op, a, b)
    expected = op(a, b)
    assert np.shape(out) == np.shape(expected) and np.result_type(out) == np.result_type(expected)
    np.testing.assert_allclose(out, expected, rtol=1e-6 if np.result_type(out) == np.float32 else 1e-12)


@pytest.mark.parametrize("op, a, b", PAIRS, ids=PAIR_IDS)
def test_derivatives_of_the_function(op, a, b):
    tol = {"rtol": 1e-2, "atol": 1e-3} if np.result_type(a) == np.float32 else {}
    for argnum in (0, 1):
        if isinstance((a, b)[argnum], np.ndarray):
            assert_all_modes(op, (a, b), argnum=argnum, order=1, **tol)


@pytest.mark.parametrize("op, a, b", [p for p in PAIRS if p[1].dtype == np.float64],
                         ids=[i for i, p in zip(PAIR_IDS, PAIRS) if p[1].dtype == np.float64])
def test_second_order_of_a_loss(op, a, b):
    for argnum in (0, 1):
        if isinstance((a, b)[argnum], np.ndarray):
            assert_all_modes(weighted(op), (a, b), argnum=argnum)


# -- one operand: diagonals, traces, sums, permutations

def diagonal(x):
    return np.einsum('ii->i', x)


def trace(x):
    return np.einsum('ii', x)


def trace_explicit(x):
    return np.einsum('ii->', x)


def transposed(x):
    return np.einsum('ij->ji', x)


def implicit_transpose(x):
    return np.einsum('ba', x)


def total(x):
    return np.einsum('ijk->', x)


def sum_of_axis(x):
    return np.einsum('ijk->ik', x)


def diagonal_of_batch(x):
    return np.einsum('...ii->...i', x)


def repeated_three_times(x):
    return np.einsum('iii->i', x)


def diagonal_kept_with_other_axis(x):
    return np.einsum('iji->ij', x)


def sum_of_ellipsis(x):
    return np.einsum('i...->...i', x)


def all_sums(x):
    return np.einsum('...', x)


def self_product(x):
    return np.einsum('ij,ij->', x, x)


ONES = [
    (diagonal, S33), (trace, S33), (trace_explicit, S33), (transposed, A23), (implicit_transpose, A23),
    (total, T234), (sum_of_axis, T234), (diagonal_of_batch, values(2, 3, 3)), (repeated_three_times, values(3, 3, 3)),
    (diagonal_kept_with_other_axis, values(3, 2, 3)), (sum_of_ellipsis, T234), (all_sums, A23), (self_product, A23),
    (diagonal, values(3, 3, dtype=np.float32)),
]
ONE_IDS = [f"{f.__name__}-{np.shape(x)}" for f, x in ONES]


@pytest.mark.parametrize("op, x", ONES, ids=ONE_IDS)
def test_one_operand_values_match_numpy(op, x):
    out, _ = srcdiff.vjp(op, x)
    np.testing.assert_allclose(out, op(x), rtol=1e-6)
    assert np.shape(out) == np.shape(op(x))


@pytest.mark.parametrize("op, x", ONES, ids=ONE_IDS)
def test_one_operand_in_every_mode(op, x):
    tol = {"rtol": 1e-2, "atol": 1e-3} if x.dtype == np.float32 else {}
    assert_all_modes(op, (x,), order=1, **tol)
    if x.dtype == np.float64:
        def loss(x):
            y = op(x)
            return np.sum(np.sin(y) * np.cos(np.arange(np.size(y)) + 1.0).reshape(np.shape(y)))

        assert_all_modes(loss, (x,))


# -- several operands

def three_operands(u, a, b):
    return np.einsum('j,ij,jk->ik', u, a, b)


def three_implicit_optimal(u, a, b):
    return np.einsum('j,ij,jk', u, a, b, optimize='optimal')


def chain(a, b, c):
    return np.linalg.multi_dot([a, b, c])


def chain_of_vectors(u, a, v):
    return np.linalg.multi_dot((u, a, v))


@pytest.mark.parametrize("op, args", [
    (three_operands, (V3, A23, B34)), (three_implicit_optimal, (V3, A23, B34)),
    (chain, (A23, B34, values(4, 2))), (chain_of_vectors, (values(2), A23, V3)),
], ids=lambda v: getattr(v, "__name__", "args"))
def test_several_operands_in_every_mode(op, args):
    np.testing.assert_allclose(srcdiff.vjp(op, *args)[0], op(*args), rtol=1e-12)

    def loss(p, q, r):
        return np.sum(np.sin(op(p, q, r)))

    for argnum in range(3):
        assert_all_modes(op, args, argnum=argnum, order=1)
        assert_all_modes(loss, args, argnum=argnum)


def einsum_inside(x, w):
    """An einsum inside a larger program: an attention-like score, softmax-free."""
    h = np.tanh(np.einsum('bi,ij->bj', x, w))
    return np.sum(np.einsum('bj,bj->b', h, h) * np.arange(1.0, 3.0))


def test_an_einsum_inside_a_program_to_second_order():
    x, w = values(2, 3), values(3, 4)
    for argnum in (0, 1):
        assert_all_modes(einsum_inside, (x, w), argnum=argnum)


def test_float_arguments_to_einsum():
    def f(s, t):
        return np.einsum(',->', s, t) * s

    assert_all_modes(f, (0.7, -1.3), argnum=0)
    assert_all_modes(f, (0.7, -1.3), argnum=1)


# -- random einsums: every subscript form NumPy accepts has the derivative of its sum

@st.composite
def einsums(draw):
    """Subscripts of one to three operands over up to four letters with their lengths, each
    operand naming 0 to 3 axes (letters repeat within one: diagonals), and an output of some
    of the letters (or the implicit one); sometimes an axis of length 1 that NumPy broadcasts."""
    letters = string.ascii_lowercase[:draw(st.integers(1, 4))]
    sizes = {c: draw(st.integers(1, 3)) for c in letters}
    terms = [draw(st.lists(st.sampled_from(letters), min_size=0, max_size=3)) for _ in range(draw(st.integers(1, 3)))]
    used = sorted(set("".join("".join(t) for t in terms)))
    implicit = draw(st.booleans())
    output = "" if implicit else "".join(draw(st.permutations(used))[:draw(st.integers(0, len(used)))])
    shapes = []
    for t in terms:
        shape = [sizes[c] for c in t]
        if shape and draw(st.booleans()):  # a length-1 axis against longer ones elsewhere
            i = draw(st.integers(0, len(shape) - 1))
            if t.count(t[i]) == 1:
                shape[i] = 1
        shapes.append(tuple(shape))
    subscripts = ",".join("".join(t) for t in terms) + ("" if implicit else "->" + output)
    return subscripts, shapes


@settings(max_examples=40, deadline=None)
@given(spec=einsums(), seed=st.integers(0, 2 ** 16))
def test_random_einsums_match_differences(spec, seed, tmp_path_factory):
    subscripts, shapes = spec
    rng = np.random.default_rng(seed)
    operands = [rng.normal(size=s) for s in shapes]
    try:
        expected = np.einsum(subscripts, *operands)
    except ValueError:
        return  # NumPy refuses it too (an axis of length 1 named twice in one term, ...)
    n = len(operands)
    names = ", ".join(f"x{i}" for i in range(n))
    source = (f"import numpy as np\n\n\ndef f({names}):\n    y = np.einsum({subscripts!r}, {names})\n"
              f"    return np.sum(np.sin(y) * np.cos(np.arange(np.size(y)) + 1.0).reshape(np.shape(y)))\n")
    path = tmp_path_factory.mktemp("einsum") / "random_einsum.py"
    f = import_file(str(path), source).f
    np.testing.assert_allclose(srcdiff.vjp(f, *operands)[0], f(*operands), rtol=1e-12, atol=1e-12)
    assert np.shape(expected) == np.shape(srcdiff.vjp(einsum_alone(n, subscripts, path), *operands)[0])
    grads = srcdiff.grad(f, argnums=tuple(range(n)))(*operands)
    for i in range(n):
        np.testing.assert_allclose(grads[i], central_difference(f, operands, i), rtol=1e-5, atol=1e-7)
    if sum(np.size(o) for o in operands) <= 20:
        h = srcdiff.hessian(f, argnums=0)(*operands)
        g0 = srcdiff.grad(f, argnums=0)
        second = central_difference(lambda *a: np.asarray(g0(*a), dtype=float), operands, 0)
        np.testing.assert_allclose(h, second, rtol=1e-4, atol=1e-6)


def einsum_alone(n, subscripts, path):
    """The einsum alone (an array), in a file of its own: its shape is NumPy's."""
    names = ", ".join(f"x{i}" for i in range(n))
    source = f"import numpy as np\n\n\ndef g({names}):\n    return np.einsum({subscripts!r}, {names})\n"
    return import_file(str(path.with_name("random_einsum_alone.py")), source).g


# -- the emitted code

def test_the_adjoint_of_a_matrix_product_einsum_is_an_einsum():
    code = srcdiff.source(srcdiff.grad(weighted(matmul_explicit), argnums=0), A23, B34)
    assert "np.einsum('ik,jk->ij', " in code and ", b)" in code
    code = srcdiff.source(srcdiff.grad(trace), S33)
    assert "np.eye(3, 3)" in code and "einsum" not in code.split("def ")[1].split("\n", 2)[2]


def test_implicit_subscripts_are_spelled_out():
    code = srcdiff.source(srcdiff.grad(weighted(matmul_implicit), argnums=1), A23, B34)
    assert "np.einsum('ij,jk->ik', a, b)" in code


# -- refusals

def ellipsis_left_out(a, b):
    return np.einsum('i...->i', a)


def diagonal_of_a_rectangle(a, b):
    return np.einsum('ii->i', a)


def interleaved(a, b):
    return np.einsum(a, [0, 1], b, [1, 2])


def wrong_operand_count(a, b):
    return np.einsum('ij->i', a, b)


def output_not_in_inputs(a, b):
    return np.einsum('ij,jk->iz', a, b)


def mismatched_lengths(a, b):
    return np.einsum('ij,ij->i', a, b)


def unknown_optimize(a, b):
    return np.einsum('ij,jk', a, b, optimize='fastest')


def einsum_out(a, b):
    return np.einsum('ij,jk', a, b, out=None, dtype=np.float32)


def tensordot_too_many(a, b):
    return np.tensordot(a, b, 3)


def multi_dot_of_a_tensor(a, b):
    return np.linalg.multi_dot([a, b, np.ones((4, 2, 2))])


def multi_dot_of_one(a, b):
    return np.linalg.multi_dot([a])


def vdot_complex(a, b):
    return np.vdot(a * 1j, b)


@pytest.mark.parametrize("op, message", [
    (interleaved, "interleaved form"),
    (ellipsis_left_out, "leaves out the axes '...' stands for"),
    (diagonal_of_a_rectangle, "a letter repeated in the term 'ii' names axes of different lengths"),
    (wrong_operand_count, "name 1 operands, but 2 were given"),
    (output_not_in_inputs, "the output subscript 'z'"),
    (mismatched_lengths, "has lengths 3 and 4"),
    (unknown_optimize, "optimize='fastest' is not supported"),
    (einsum_out, "dtype= are not supported"),
    (tensordot_too_many, "axes=3 is more than"),
    (multi_dot_of_a_tensor, "has 3 dimensions"),
    (multi_dot_of_one, "at least two arrays"),
    (vdot_complex, "np.vdot of complex arrays"),
])
def test_unsupported_forms_are_refused_at_their_line(op, message):
    a, b = (A23, values(2, 4)) if op is mismatched_lengths else (A23, B34)
    with pytest.raises(NonDifferentiableError, match=message) as info:
        srcdiff.grad(weighted(op))(a, b)
    assert "test_contractions.py:" in str(info.value)


def test_an_ellipsis_needs_the_rank():
    with pytest.raises(NonDifferentiableError, match="needs the operands' ranks") as info:
        srcdiff.grad(weighted(batch_ellipsis)).compiled()
    assert "test_contractions.py:" in str(info.value)


def test_the_adjoint_needs_the_shapes():
    """NumPy broadcasts an axis of length 1, which shapes unknown when compiling would hide."""
    with pytest.raises(NonDifferentiableError, match="needs the operands' shapes") as info:
        srcdiff.grad(weighted(matmul_explicit)).compiled()
    assert "test_contractions.py:" in str(info.value)
