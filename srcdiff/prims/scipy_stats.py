"""scipy.stats distributions, when SciPy imports."""
