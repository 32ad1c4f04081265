"""scipy.linalg, when SciPy imports."""
