"""Contractions: np.einsum, np.tensordot, np.kron, np.vdot, np.linalg.multi_dot."""
