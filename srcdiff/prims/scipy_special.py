"""scipy.special, when SciPy imports (never a hard dependency)."""
