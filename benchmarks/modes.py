"""Forward or reverse: the mode srcdiff.jacobian picks against the other one, in one process.

    python -m benchmarks.modes

A Jacobian costs one forward-mode pass per input element or one reverse-mode pass per
output element (after one forward sweep); jacobian() takes the smaller count. The
Hessian is forward mode over the reverse-mode gradient."""
import numpy as np

import srcdiff

from .timing import per_call_us


def wide(x):
    """3 inputs -> 1,000 outputs."""
    t = np.linspace(0.0, 1.0, 1000)
    return np.sin(x[0] * t) * np.exp(-x[1] * t) + x[2] * t ** 2


def tall(x):
    """1,000 inputs -> 3 outputs."""
    return np.array([np.sum(np.sin(x)), np.sum(x ** 2), np.sum(np.exp(-x) * x)])


def energy(x):
    """100 parameters -> a scalar: a chain of springs with a nonlinear term."""
    d = x[1:] - x[:-1]
    return np.sum(d ** 2) + 0.1 * np.sum(np.cos(x) * x ** 2)


def main():
    rng = np.random.default_rng(0)
    rows = []
    x3 = rng.standard_normal(3)
    x1000 = rng.standard_normal(1000)
    x100 = rng.standard_normal(100)
    for name, fun, x in [("3 -> 1000 (wide)", wide, x3), ("1000 -> 3 (tall)", tall, x1000)]:
        auto, fwd, rev = srcdiff.jacobian(fun), srcdiff.jacfwd(fun), srcdiff.jacrev(fun)
        np.testing.assert_allclose(fwd(x), rev(x), rtol=1e-9, atol=1e-12)
        t_auto, t_fwd, t_rev = (per_call_us(lambda j=j: j(x), repeats=5) for j in (auto, fwd, rev))
        rows.append((f"jacobian {name}", t_auto, t_fwd, t_rev))
    h = srcdiff.hessian(energy)
    rr = srcdiff.jacrev(srcdiff.grad(energy))
    np.testing.assert_allclose(h(x100), rr(x100), rtol=1e-9, atol=1e-9)
    rows.append(("hessian 100 params", per_call_us(lambda: h(x100), repeats=5), per_call_us(lambda: h(x100), repeats=5),
                 per_call_us(lambda: rr(x100), repeats=5)))
    print(f"{'workload':28} {'auto us':>12} {'forward us':>12} {'reverse us':>12} {'other/auto':>11}")
    for name, t_auto, t_fwd, t_rev in rows:
        other = max(t_fwd, t_rev)
        print(f"{name:28} {t_auto:12.0f} {t_fwd:12.0f} {t_rev:12.0f} {other / t_auto:10.1f}x")
    print("(hessian: forward = forward over reverse, what hessian() does; reverse = jacrev(grad(f)))")


if __name__ == "__main__":
    main()
