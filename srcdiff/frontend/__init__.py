"""Reading user functions and lowering them to IR."""
from .lower import Lowering, lower
from .source import own_signature, parse_function, unwrap

__all__ = ["Lowering", "lower", "own_signature", "parse_function", "unwrap"]
