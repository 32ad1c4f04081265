"""A helper module with a global array of the same name as one in test_internal_errors.py:
the emitted module must not mistake one for the other."""
import numpy as np

W = np.array([1.0, 2.0, 3.0])


def weighted(x):
    return np.sum(W * x)
