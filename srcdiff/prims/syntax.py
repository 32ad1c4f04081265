"""How primitives are spelled in emitted code."""
import math

import numpy as np


def src(value):
    """Python source for a compile-time value (a parameter or a constant)."""
    if isinstance(value, float):
        if math.isinf(value):
            return "np.inf" if value > 0 else "-np.inf"
        if math.isnan(value):
            return "np.nan"
        return repr(value)
    if isinstance(value, (bool, int, str, type(None))):
        return repr(value)
    if isinstance(value, complex):  # a complex value off the differentiated path (an aux output)
        if all(math.isfinite(p) for p in (value.real, value.imag)):
            return repr(value)
        return f"complex({src(value.real)}, {src(value.imag)})"
    if isinstance(value, tuple):
        inner = ", ".join(src(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(src(v) for v in value) + "]"
    if isinstance(value, slice):
        return f"slice({', '.join(src(p) for p in (value.start, value.stop, value.step))})"
    if value is Ellipsis:
        return "..."
    if isinstance(value, type):
        if value in (float, int, bool, complex):
            return value.__name__
        if issubclass(value, np.generic):
            return f"np.{value.__name__}"
    if isinstance(value, np.dtype):
        return f"np.{value.name}"
    if isinstance(value, np.floating) and value.dtype != np.float64:
        return f"np.{value.dtype.name}({src(value.item())})"
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return src(value.item())
    raise ValueError(f"no source form for {value!r}")


def call(fname, args, params=None, defaults=None):
    """fname(a, b, key=value) leaving out parameters at their default."""
    parts = list(args)
    for key, value in (params or {}).items():
        if key.startswith("_"):
            continue
        if defaults is not None and key in defaults and _same(defaults[key], value):
            continue
        parts.append(f"{key}={src(value)}")
    return f"{fname}({', '.join(parts)})"


def _same(a, b):
    return type(a) is type(b) and a == b


def axis_keyword(params):
    """", axis=k" for a call whose axis parameter is not 0, else nothing."""
    return f", axis={params['axis']}" if params.get("axis", 0) != 0 else ""


def template(fmt):
    """An emit function from a format string over operand placeholders {0}, {1}, …"""
    return lambda args, params: fmt.format(*args)


def numpy_call(fname, defaults=None):
    return lambda args, params: call(fname, args, params, defaults)
