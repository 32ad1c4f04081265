"""Minimise the N-dimensional Rosenbrock function
    f(x) = sum_i 100 (x[i+1] - x[i]**2)**2 + (1 - x[i])**2,
whose minimum is f = 0 at x = (1, ..., 1), from x0 = (-1.2, 1.0, -1.2, 1.0, ...),
with the gradient srcdiff writes.

With SciPy installed: scipy.optimize.minimize(f, x0, jac=srcdiff.grad(f), method="L-BFGS-B").
(From this x0, method="BFGS" stops at the other local minimum of the 10-dimensional function,
near (-1, 1, ..., 1) with f = 3.99, as it does with SciPy's own rosen_der.) Without it (or with use_scipy=False): gradient descent with a backtracking (Armijo) line search.

Run: python examples/rosenbrock.py [--no-scipy]
"""
import sys
import time

import numpy as np

import srcdiff


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def start_point(n):
    return np.where(np.arange(n) % 2 == 0, -1.2, 1.0)


def gradient_descent(f, df, x, iterations=5000, report_every=500, step=1e-3):
    """Steepest descent; each step starts at twice the last accepted step and halves it until
    f decreases by at least 1e-4 * step * |grad|^2 (Armijo's condition)."""
    value = f(x)
    for i in range(iterations + 1):
        g = df(x)
        if i % report_every == 0 or i == iterations:
            print(f"iteration {i:6d}  f {value:.6e}  |grad| {np.linalg.norm(g):.3e}  step {step:.2e}")
        if i == iterations:
            break
        step *= 2.0
        while True:
            candidate = x - step * g
            new_value = f(candidate)
            if new_value <= value - 1e-4 * step * np.dot(g, g) or step < 1e-12:
                break
            step *= 0.5
        x, value = candidate, new_value
    return x, value, iterations


def main(n=10, use_scipy=None, iterations=5000):
    x0 = start_point(n)
    df = srcdiff.grad(rosenbrock)
    print(srcdiff.source(df, x0))
    print(f"N = {n}, x0 = {x0}, f(x0) = {rosenbrock(x0):.4f}")
    if use_scipy is None:
        try:
            import scipy.optimize  # noqa: F401
            use_scipy = True
        except ImportError:
            print("SciPy not installed: using gradient descent")
            use_scipy = False
    start = time.perf_counter()
    if use_scipy:
        import scipy.optimize
        method = "L-BFGS-B"
        result = scipy.optimize.minimize(rosenbrock, x0, jac=df, method=method)
        x, value = result.x, float(result.fun)
        print(f"scipy.optimize.minimize(method={method!r}, jac=srcdiff.grad(rosenbrock)): {result.message}")
        print(f"iterations {result.nit}, evaluations of f {result.nfev}, of the gradient {result.njev}")
    else:
        method = "gradient descent"
        x, value, _ = gradient_descent(rosenbrock, df, x0, iterations=iterations,
                                       report_every=max(1, iterations // 10))
    print(f"{method}: f = {value:.3e}, |x - 1| = {np.linalg.norm(x - 1.0):.3e} "
          f"in {time.perf_counter() - start:.2f} s")
    print(f"x = {np.array2string(x, precision=6)}")
    return {'f': value, 'x': x, 'method': method}


if __name__ == "__main__":
    main(use_scipy=False if "--no-scipy" in sys.argv[1:] else None)
