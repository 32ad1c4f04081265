"""srcdiff: automatic differentiation by source transformation.

``srcdiff.grad(f)`` reads ``f``'s source, lowers it to an SSA IR, applies
reverse mode, and emits a plain NumPy function you can print, read and save.
"""
from .api import grad, value_and_grad
from .modes import check_grads, hessian, jacfwd, jacobian, jacrev, jvp, source, vjp
from .prims.shaping import stop_gradient
from .pytree import register_pytree_node
from .vectorize import vmap
from .prims import custom_jvp, custom_vjp
from .errors import (NonDifferentiableError, SourceUnavailableError, SrcdiffError, UnknownCallableError,
                     UnsupportedSyntaxError)

__version__ = "0.1.0"

__all__ = [
    "grad", "value_and_grad", "source", "custom_vjp", "custom_jvp", "jvp", "vjp", "jacfwd", "jacrev", "jacobian", "hessian", "vmap",
    "check_grads", "stop_gradient", "register_pytree_node", "SrcdiffError", "UnsupportedSyntaxError", "UnknownCallableError",
    "NonDifferentiableError", "SourceUnavailableError", "__version__",
]
