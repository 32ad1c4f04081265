"""IR -> Python source (ast + astor) -> exec: NumPy's module (emit.py), or numba's (numba.py)."""
from .emit import Emitted, emit_module

__all__ = ["Emitted", "emit_module", "emit", "backend_of", "BACKENDS"]

BACKENDS = ("numpy", "numba")


def backend_of(name, strict=False):
    """The backend a transformation was asked for: None for NumPy's (the default), or
    ("numba", strict); numba must be installed."""
    if name not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, not {name!r}")
    if not isinstance(strict, bool):
        raise TypeError(f"strict must be True or False, not {strict!r}")
    if name == "numpy":
        if strict:
            raise ValueError("strict=True is for backend='numba' (raise where numba cannot compile)")
        return None
    from . import numba
    numba.require()
    return ("numba", strict)


def emit(fn, also=(), backend=None):
    """fn's module for the backend (backend_of's value)."""
    if backend is None:
        return emit_module(fn, also)
    from .numba import emit_numba_module
    return emit_numba_module(fn, also, strict=backend[1])
