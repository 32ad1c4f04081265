"""scipy.signal.convolve and scipy.integrate.trapezoid, when SciPy imports."""
