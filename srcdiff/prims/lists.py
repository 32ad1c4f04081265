"""Python lists as values: the per-iteration records loops keep for the backward sweep."""
import numpy as np

from ..ir import Aval, unknown_aval
from .core import Primitive
from .shapes import INT


def _item_shape(avals, params):
    return params.get("_aval") or unknown_aval()


# saved[k]: the value a loop recorded at iteration k
LIST_ITEM = Primitive("list_item", emit=lambda a, p: f"{a[0]}[{a[1]}]", impl=lambda xs, k, **_: xs[k],
                      shape=lambda avals, p: unknown_aval(), differentiable=False)

LIST_LEN = Primitive("list_len", emit=lambda a, p: f"len({a[0]})", impl=len,
                     shape=lambda avals, p: Aval("scalar", (), INT), differentiable=False)
