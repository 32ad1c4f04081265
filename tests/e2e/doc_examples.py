"""Functions whose derivatives grammar.md shows (its IR names their line numbers)."""


def relax(a, x):
    s = 0.0
    for i in range(100):
        x = x - 0.01 * (x ** 3 - a)
        s = s + x ** 2
    return s
