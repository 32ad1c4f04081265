"""numpy.linalg: inverses and solves, determinants, factorisations, norms and least squares."""
