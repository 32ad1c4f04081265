"""Registry cases of the statistics (srcdiff/prims/statistics.py): np.sort, the one
primitive there with a derivative, in its forms and in the compositions it is part of."""
import numpy as np

from .op_cases import case, distinct, f32


@case("sort", ((3,), (2, 3), f32(2, 3)), distinct)
def sort(x):
    return np.sort(x)


@case("sort", ((2, 3), (3, 2, 2)), distinct)
def sort_first_axis(x):
    return np.sort(x, axis=0, kind="stable")


@case("sort", ((2, 3),), distinct)
def sort_flat(x):
    return np.sort(x, axis=None)


@case("sort", ((5,), (2, 4)), distinct)
def median(x):
    return np.median(x, axis=-1)


@case("sort", ((2, 3, 2),), distinct)
def percentiles(x):
    return np.percentile(x, [20, 75], axis=(0, 2), keepdims=True)
