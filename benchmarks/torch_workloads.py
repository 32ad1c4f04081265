"""The objectives of benchmarks/workloads.py written with torch, for the optional PyTorch column.

Imported by benchmarks/run.py only when torch is installed. Each computes the same quantity,
in the same order of operations, as the NumPy objective of the same name; run.py calls it on
float64 CPU tensors and differentiates it with backward()."""
import math

import torch


def survey(x1, x2):
    return torch.log(x1) + x1 * x2 - torch.sin(x2)


def two_layer_loss(W1, b1, W2, b2, X, y, reg):
    N = X.shape[0]
    h = torch.relu(X @ W1 + b1)
    scores = h @ W2 + b2
    scores = scores - torch.max(scores, dim=1, keepdim=True).values
    log_probs = scores - torch.log(torch.sum(torch.exp(scores), dim=1, keepdim=True))
    data_loss = -torch.sum(log_probs[torch.arange(N), y]) / N
    return data_loss + 0.5 * reg * (torch.sum(W1 * W1) + torch.sum(W2 * W2))


def rnn_loss(W, U, X):
    h = torch.zeros(W.shape[0], dtype=W.dtype)
    for t in range(X.shape[0]):
        h = torch.tanh(W @ h + U @ X[t])
    return torch.sum(h ** 2)


def scalar_loop(x0, a):
    x = x0
    s = 0.0
    for i in range(1000):
        x = x - 0.01 * (x ** 3 - a)
        s = s + x ** 2
    return s


def relu_net_mse(W1, b1, w2, b2, X, y):
    h = torch.relu(X @ W1 + b1)
    prediction = h @ w2 + b2
    return torch.mean((prediction - y) ** 2)


def gmm_nll(means, log_vars, logits, X):
    log_w = logits - torch.log(torch.sum(torch.exp(logits)))
    comps = []
    for k in range(means.shape[0]):
        var = torch.exp(log_vars[k])
        diff = X - means[k]
        comps.append(log_w[k] - 0.5 * torch.sum(diff ** 2 / var + log_vars[k] + math.log(2 * math.pi), dim=1))
    L = torch.stack(comps, dim=1)
    m = torch.max(L, dim=1, keepdim=True).values
    lse = m[:, 0] + torch.log(torch.sum(torch.exp(L - m), dim=1))
    return -torch.sum(lse)


def sigmoid(z):
    return 1.0 / (1.0 + torch.exp(-z))


def lstm_loss(Wi, Ui, bi, Wf, Uf, bf, Wo, Uo, bo, Wg, Ug, bg, X):
    H = Wi.shape[0]
    h = torch.zeros(H, dtype=X.dtype)
    c = torch.zeros(H, dtype=X.dtype)
    for t in range(X.shape[0]):
        x = X[t]
        i = sigmoid(Wi @ x + Ui @ h + bi)
        f = sigmoid(Wf @ x + Uf @ h + bf)
        o = sigmoid(Wo @ x + Uo @ h + bo)
        g = torch.tanh(Wg @ x + Ug @ h + bg)
        c = f * c + i * g
        h = o * torch.tanh(c)
    return torch.sum(h ** 2)


def ode_rk4(y0, c):
    def rhs(y):
        return c * torch.cat((-y[:1], y[:-1] - y[1:]))

    y = y0
    h = 0.001
    for _ in range(1000):
        k1 = rhs(y)
        k2 = rhs(y + 0.5 * h * k1)
        k3 = rhs(y + 0.5 * h * k2)
        k4 = rhs(y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return torch.sum(y ** 2)


OBJECTIVES = {f.__name__: f for f in (survey, two_layer_loss, rnn_loss, scalar_loop, relu_net_mse, gmm_nll, lstm_loss,
                                      ode_rk4)}
