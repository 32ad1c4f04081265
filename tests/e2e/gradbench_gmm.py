"""GradBench's Gaussian mixture objective, ported from its JAX version (from Microsoft's ADBench,
MIT licence) to NumPy line by line: keyword-only arguments, called with two **dicts, SciPy's
logsumexp and multigammaln, np.repeat with counts from np.arange of an int argument."""
import math

import numpy as np
from scipy.special import logsumexp, multigammaln


def log_wishart_prior(*, k, p, gamma, m, sum_qs, Qdiags, l):
    n = p + m + 1
    out = np.sum(0.5 * gamma * gamma * (np.sum(Qdiags ** 2, axis=1) + np.sum(l ** 2, axis=1)) - m * sum_qs)
    C = n * p * (np.log(gamma / math.sqrt(2)))
    return -out + k * (C - multigammaln(0.5 * n, p))


def gmm_objective(*, d, k, n, x, m, gamma, alpha, mu, q, l):
    Qdiags = np.exp(q)
    sum_qs = np.sum(q, axis=1)
    cols = np.repeat(np.arange(d - 1), np.arange(d - 1, 0, -1))
    rows = np.concatenate([np.arange(c + 1, d) for c in range(d - 1)])
    Ls = np.zeros((k, d, d))
    Ls[:, rows, cols] = l
    xcentered = x[:, None, :] - mu[None, ...]
    Lxcentered = Qdiags * xcentered + np.einsum("ijk,mik->mij", Ls, xcentered)
    sqsum_Lxcentered = np.sum(Lxcentered ** 2, axis=2)
    inner_term = alpha + sum_qs - 0.5 * sqsum_Lxcentered
    slse = np.sum(logsumexp(inner_term, axis=1))
    CONSTANT = -n * d * 0.5 * math.log(2 * math.pi)
    return (CONSTANT + slse - n * logsumexp(alpha, axis=0)
            + log_wishart_prior(k=k, p=d, gamma=gamma, m=m, sum_qs=sum_qs, Qdiags=Qdiags, l=l))


def gmm_call(alpha, mu, q, l, fixed):
    ind = {"alpha": alpha, "mu": mu, "q": q, "l": l}
    return gmm_objective(**fixed, **ind)
