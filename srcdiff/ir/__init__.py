"""The IR: data structures, the text printer and the verifier."""
from .core import (BY_VALUE, Aval, Block, Const, Eqn, Function, Sym, Var, aval_of_argument, aval_of_value,
                   is_function_argument, same_dtype, unknown_aval)
from .calls import CALL, CallTarget
from .printer import print_function
from .regions import COND, FOR, WHILE, Region
from .verify import IRError, verify

__all__ = [
    "BY_VALUE", "Aval", "Block", "Const", "Eqn", "Function", "Sym", "Var", "aval_of_argument", "is_function_argument",
    "aval_of_value", "same_dtype", "unknown_aval", "print_function", "IRError", "verify", "COND", "FOR", "WHILE", "Region", "CALL", "CallTarget",
]
