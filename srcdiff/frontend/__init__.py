"""Reading user functions and lowering them to IR."""
from .lower import Lowering, lower
from .source import parse_function

__all__ = ["Lowering", "lower", "parse_function"]
