"""Reading user functions and lowering them to IR."""
from .lower import Lowering, lower
from .protocol import IR_METHOD, JVP_MARK, is_jvp
from ..source import own_signature, parse_function, unwrap

__all__ = ["IR_METHOD", "JVP_MARK", "Lowering", "is_jvp", "lower", "own_signature", "parse_function", "unwrap"]
