"""Cases of the differentiable primitives of the discrete family (srcdiff/prims/discrete.py):
np.bincount's weights and x.item()."""
import numpy as np

from .op_cases import ARRAYS, anywhere, case

BINS = np.array([2, 0, 2, 4, 1])  # bin 2 twice, bin 3 empty


@case("bincount_weights", ((5,),))
def bincount_weights(w):
    return np.bincount(BINS, weights=w) * np.arange(1.0, 6.0)


@case("bincount_weights", ((5,),))
def bincount_weights_minlength(w):
    return np.sum(np.sin(np.bincount(BINS, w * w, minlength=7)))


@case("item", ((1,), (), (1, 1)), anywhere)
def item(x):
    return np.sin(x.item()) * x.item()


@case("item", ARRAYS)
def item_of_an_element(x):
    return np.cos(x[(0,) * x.ndim].item()) + np.sum(x)
