"""IR -> Python source (ast + astor) -> exec."""
from .emit import Emitted, emit_module

__all__ = ["Emitted", "emit_module"]
