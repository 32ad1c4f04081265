"""The course's survey function f(x1, x2) = ln x1 + x1*x2 - sin x2 at (2, 5).

Prints the derivative srcdiff writes for it, and the value and gradient it computes.
Run: python examples/survey.py
"""
import numpy as np

import srcdiff


def f(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def main():
    df = srcdiff.value_and_grad(f, argnums=(0, 1))
    print(srcdiff.source(df, 2.0, 5.0))
    value, (d1, d2) = df(2.0, 5.0)
    print(f"f(2, 5)      = {value:.6f}")
    print(f"df/dx1(2, 5) = {d1:.6f}   (1/x1 + x2 = 5.5)")
    print(f"df/dx2(2, 5) = {d2:.6f}   (x1 - cos x2 = 2 - cos 5)")


if __name__ == "__main__":
    main()
