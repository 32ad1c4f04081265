"""The course's survey function f(x1, x2) = ln x1 + x1*x2 - sin x2 at (2, 5).

Prints the derivative srcdiff writes for it (reverse mode, then forward mode),
its value and gradient, and the course's worked table of the computational
graph (v1 ... v7, the forward tangents wrt x1 and the reverse adjoints) next to
what srcdiff computes.
Run: python examples/survey.py
"""
import math

import numpy as np

import srcdiff


def f(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def course_table(x1, x2):
    """The graph of f as the course draws it: value, tangent wrt x1 and adjoint of each node."""
    v = {1: x1, 2: x2}
    v[3], v[4], v[5] = math.log(v[1]), v[1] * v[2], math.sin(v[2])
    v[6] = v[3] + v[4]
    v[7] = v[6] - v[5]
    dot = {1: 1.0, 2: 0.0}
    dot[3], dot[4], dot[5] = dot[1] / v[1], dot[1] * v[2] + v[1] * dot[2], math.cos(v[2]) * dot[2]
    dot[6] = dot[3] + dot[4]
    dot[7] = dot[6] - dot[5]
    bar = {7: 1.0}
    bar[6], bar[5] = bar[7], -bar[7]
    bar[3], bar[4] = bar[6], bar[6]
    bar[1] = bar[3] / v[1] + bar[4] * v[2]
    bar[2] = bar[4] * v[1] + bar[5] * math.cos(v[2])
    names = {1: "x1", 2: "x2", 3: "ln v1", 4: "v1*v2", 5: "sin v2", 6: "v3 + v4", 7: "v6 - v5"}
    return [(k, names[k], v[k], dot[k], bar.get(k)) for k in range(1, 8)]


def main():
    df = srcdiff.value_and_grad(f, argnums=(0, 1))
    print("# reverse mode: value and gradient in one pass")
    print(srcdiff.source(df, 2.0, 5.0))
    value, (d1, d2) = df(2.0, 5.0)
    print("# forward mode: one input direction per pass; (x1_dot, x2_dot) = (1, 0) gives d/dx1")
    print(srcdiff.source(f, 2.0, 5.0, mode="jvp"))
    _, tangent = srcdiff.jvp(f, (2.0, 5.0), (1.0, 0.0))

    print(f"f(2, 5)      = {value:.6f}")
    print(f"df/dx1(2, 5) = {d1:.6f}   (1/x1 + x2 = 5.5)")
    print(f"df/dx2(2, 5) = {d2:.6f}   (x1 - cos x2 = 2 - cos 5)")
    print()
    print("The course's table (v = value, v_dot = tangent wrt x1, v_bar = adjoint):")
    print(f"{'node':>4} {'definition':>10} {'v':>9} {'v_dot':>7} {'v_bar':>7}")
    for k, name, val, dot, bar in course_table(2.0, 5.0):
        print(f"{'v' + str(k):>4} {name:>10} {val:9.3f} {dot:7.3f} {bar:7.3f}")
    print(f"srcdiff: forward tangent {float(tangent):.3f} (= v7_dot), "
          f"reverse adjoints ({d1:.3f}, {d2:.3f}) (= v1_bar, v2_bar)")
    return {"value": float(value), "gradient": (d1, d2), "tangent": float(tangent)}


if __name__ == "__main__":
    main()
