"""IR -> IR: activity analysis, reverse mode, simplification."""
from .reverse import grad_function
from .simplify import simplify

__all__ = ["grad_function", "simplify"]
