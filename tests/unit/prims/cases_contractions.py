"""Registry cases of the contractions (srcdiff/prims/contractions.py): np.einsum in its
forms, and the callables written with it (tensordot, kron, inner of N-D arrays)."""
import numpy as np

from .op_cases import case, f32


@case("einsum", (((2, 3), (3, 4)), (f32(2, 3), f32(3, 2))))
def einsum_matmul(a, b):
    return np.einsum('ij,jk->ik', a, b)


@case("einsum", ((3, 3), f32(2, 2)))
def einsum_diagonal(x):
    return np.einsum('ii->i', x)


@case("einsum", ((3, 3),))
def einsum_trace_implicit(x):
    return np.einsum('ii', x)


@case("einsum", ((2, 3), (2, 3, 2)))
def einsum_sum_of_axis(x):
    return np.einsum('i...->...', x)


@case("einsum", (((2, 1, 3), (4, 3)), ((3,), (2, 3))))
def einsum_ellipsis_broadcast(a, b):
    return np.einsum('...j,kj->...k', a, b)


@case("einsum", (((3,), (2, 3), (3, 2)),))
def einsum_three_operands(u, a, b):
    return np.einsum('j,ij,jk', u, a, b, optimize=True)


@case("einsum", (((1,), (3,)),))
def einsum_length_one_broadcast(a, b):
    return np.einsum('i,i->i', a, b)


@case("einsum", (((2, 3), (3, 2)),))
def tensordot(a, b):
    return np.tensordot(a, b, axes=([0, 1], [1, 0]))


@case("einsum", (((2, 2), (3,)), ((2,), (2, 2))))
def kron(a, b):
    return np.kron(a, b)


@case("einsum", (((2, 3), (2, 2, 3)),))
def inner_of_a_tensor(a, b):
    return np.inner(a, b)
