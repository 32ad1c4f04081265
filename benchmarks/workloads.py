"""The benchmark workloads: each objective as a user writes it, its gradient as an expert writes it
by hand in NumPy, and deterministic float64 inputs.

    python -m benchmarks.workloads      # check every hand-written gradient against central differences

The objectives are plain module-level functions (srcdiff reads their source). They use only
`np.` functions that autograd.numpy and jax.numpy also have, and `@` or `np.dot` rather than
`X.dot(W)` on data, so benchmarks/run.py can run the same code under autograd and JAX by
rebinding `np` (see `rebind`). A hand-written gradient returns a tuple with one entry per
differentiated argument, in `argnums` order.
"""
import types
from dataclasses import dataclass
from typing import Callable, Tuple

import numpy as np


@dataclass(frozen=True)
class Workload:
    name: str
    objective: Callable
    hand_grad: Callable     # same arguments as the objective -> tuple of gradients, in argnums order
    argnums: Tuple[int, ...]
    inputs: Callable        # () -> tuple of arguments, deterministic float64 (labels: int64)
    description: str = ""
    variant_of: str = ""    # the same math spelled otherwise: the workload it should run as fast as


# ---------------------------------------------------------------------------
# (1) the course's survey function at Python floats


def survey(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def survey_hand(x1, x2):
    return 1.0 / x1 + x2, x1 - np.cos(x2)


def survey_inputs():
    return 2.0, 5.0


# ---------------------------------------------------------------------------
# (2) the course's two-layer softmax network with L2 regularisation


def two_layer_loss(W1, b1, W2, b2, X, y, reg):
    N = X.shape[0]
    h = np.maximum(0, np.dot(X, W1) + b1)
    scores = np.dot(h, W2) + b2
    scores = scores - np.max(scores, axis=1, keepdims=True)
    log_probs = scores - np.log(np.sum(np.exp(scores), axis=1, keepdims=True))
    data_loss = -np.sum(log_probs[np.arange(N), y]) / N
    return data_loss + 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))


def two_layer_hand(W1, b1, W2, b2, X, y, reg):
    """Backprop as in the course: margin = softmax - onehot, divided by N."""
    N = X.shape[0]
    h = np.maximum(0, X.dot(W1) + b1)
    scores = h.dot(W2) + b2
    scores -= np.max(scores, axis=1, keepdims=True)
    margin = np.exp(scores)
    margin /= np.sum(margin, axis=1, keepdims=True)
    margin[np.arange(N), y] -= 1
    margin /= N
    dW2 = h.T.dot(margin) + reg * W2
    db2 = np.sum(margin, axis=0)
    dh = margin.dot(W2.T)
    dh[h <= 0] = 0
    dW1 = X.T.dot(dh) + reg * W1
    db1 = np.sum(dh, axis=0)
    return dW1, db1, dW2, db2


def two_layer_inputs(N, D, H, C, seed=0):
    rng = np.random.default_rng(seed)
    W1 = rng.standard_normal((D, H)) * np.sqrt(2.0 / D)
    b1 = 0.01 * rng.standard_normal(H)
    W2 = rng.standard_normal((H, C)) * np.sqrt(2.0 / H)
    b2 = 0.01 * rng.standard_normal(C)
    X = rng.standard_normal((N, D))
    y = rng.integers(0, C, N)
    return W1, b1, W2, b2, X, y, 1e-3


# ---------------------------------------------------------------------------
# (3) an RNN with weights shared across time steps


def rnn_loss(W, U, X):
    h = np.zeros(W.shape[0])
    for t in range(X.shape[0]):
        h = np.tanh(W @ h + U @ X[t])
    return np.sum(h ** 2)


def rnn_hand(W, U, X):
    """Backprop through time: the forward pass keeps every h, the backward pass walks them back."""
    T = X.shape[0]
    hs = [np.zeros(W.shape[0])]
    for t in range(T):
        hs.append(np.tanh(W @ hs[-1] + U @ X[t]))
    dW = np.zeros_like(W)
    dU = np.zeros_like(U)
    dh = 2 * hs[-1]
    for t in reversed(range(T)):
        dpre = dh * (1 - hs[t + 1] ** 2)
        dW += np.outer(dpre, hs[t])
        dU += np.outer(dpre, X[t])
        dh = W.T @ dpre
    return dW, dU


def rnn_inputs(hidden=32, inputs=16, T=50, seed=1):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((hidden, hidden)) * (0.9 / np.sqrt(hidden))
    U = rng.standard_normal((hidden, inputs)) * (1.0 / np.sqrt(inputs))
    X = rng.standard_normal((T, inputs))
    return W, U, X


# ---------------------------------------------------------------------------
# (4) a scalar fixed-point loop of 1,000 iterations


def scalar_loop(x0, a):
    x = x0
    s = 0.0
    for i in range(1000):
        x = x - 0.01 * (x ** 3 - a)
        s = s + x ** 2
    return s


def scalar_loop_hand(x0, a):
    """Forward keeping every x, then the reverse loop: ds/dx_{i+1} picks up 2 x_{i+1} at each step."""
    xs = [x0]
    x = x0
    for i in range(1000):
        x = x - 0.01 * (x ** 3 - a)
        xs.append(x)
    dx = 0.0
    da = 0.0
    for i in range(999, -1, -1):
        dx += 2.0 * xs[i + 1]
        da += 0.01 * dx
        dx *= 1.0 - 0.03 * xs[i] ** 2
    return (da,)


def scalar_loop_inputs():
    return 1.0, 2.0


# ---------------------------------------------------------------------------
# (5) the course's lab: a 2-3-1 ReLU network, mean squared error over 400 samples


def relu_net_mse(W1, b1, w2, b2, X, y):
    h = np.maximum(0, X @ W1 + b1)
    prediction = h @ w2 + b2
    return np.mean((prediction - y) ** 2)


def relu_net_hand(W1, b1, w2, b2, X, y):
    pre = X.dot(W1) + b1
    h = np.maximum(0, pre)
    r = (2.0 / X.shape[0]) * (h.dot(w2) + b2 - y)
    dw2 = h.T.dot(r)
    db2 = float(np.sum(r))
    dpre = np.outer(r, w2)
    dpre[pre <= 0] = 0
    dW1 = X.T.dot(dpre)
    db1 = np.sum(dpre, axis=0)
    return dW1, db1, dw2, db2


def relu_net_inputs(samples=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, (samples, 2))
    y = 2 * X[:, 0] + X[:, 0] * X[:, 1]
    W1 = rng.standard_normal((2, 3))
    b1 = 0.1 * rng.standard_normal(3)
    w2 = rng.standard_normal(3) * np.sqrt(2.0 / 3)
    b2 = 0.1
    return W1, b1, w2, b2, X, y


# ---------------------------------------------------------------------------
# (6) diagonal Gaussian mixture: negative log-likelihood, a log-sum-exp over components


def gmm_log_likelihoods(means, log_vars, logits, X):
    """L[n, k]: log weight plus log density of sample n under component k."""
    log_w = logits - np.log(np.sum(np.exp(logits)))
    comps = []
    for k in range(means.shape[0]):
        var = np.exp(log_vars[k])
        diff = X - means[k]
        comps.append(log_w[k] - 0.5 * np.sum(diff ** 2 / var + log_vars[k] + np.log(2 * np.pi), axis=1))
    return np.stack(comps, axis=1)


def mixture_nll(log_likelihoods, means, log_vars, logits, X):
    """The mixture's NLL with `log_likelihoods` for L (the 3-D variant passes another)."""
    L = log_likelihoods(means, log_vars, logits, X)
    m = np.max(L, axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.sum(np.exp(L - m), axis=1))
    return -np.sum(lse)


def gmm_nll(means, log_vars, logits, X):
    return mixture_nll(gmm_log_likelihoods, means, log_vars, logits, X)


def gmm_hand(means, log_vars, logits, X):
    """Vectorised over components; the gradient in terms of the responsibilities R (n, k)."""
    n, d = X.shape
    inv_var = np.exp(-log_vars)                               # (k, d)
    log_w = logits - np.max(logits)
    log_w -= np.log(np.sum(np.exp(log_w)))
    diff = X[:, None, :] - means[None, :, :]                  # (n, k, d)
    z = diff ** 2 * inv_var                                   # (n, k, d)
    L = log_w - 0.5 * (np.sum(z, axis=2) + np.sum(log_vars, axis=1) + d * np.log(2 * np.pi))
    R = np.exp(L - np.max(L, axis=1, keepdims=True))
    R /= np.sum(R, axis=1, keepdims=True)                     # responsibilities
    Nk = np.sum(R, axis=0)                                    # (k,)
    dmeans = -(R.T.dot(X) - Nk[:, None] * means) * inv_var
    dlog_vars = -0.5 * (np.sum(R[:, :, None] * z, axis=0) - Nk[:, None])
    dlogits = n * np.exp(log_w) - Nk
    return dmeans, dlog_vars, dlogits


def gmm_inputs(k=5, d=10, n=1000, seed=2):
    rng = np.random.default_rng(seed)
    centres = 2.0 * rng.standard_normal((k, d))
    X = centres[rng.integers(0, k, n)] + rng.standard_normal((n, d))
    means = centres + 0.5 * rng.standard_normal((k, d))
    log_vars = 0.3 * rng.standard_normal((k, d))
    logits = 0.5 * rng.standard_normal(k)
    return means, log_vars, logits, X


# ---------------------------------------------------------------------------
# (7) an LSTM with a weight matrix per gate


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def lstm(gate, Wi, Ui, bi, Wf, Uf, bf, Wo, Uo, bo, Wg, Ug, bg, X):
    """The LSTM with `gate` for its gates' logistic function (the spelling variants pass others)."""
    H = Wi.shape[0]
    h = np.zeros(H)
    c = np.zeros(H)
    for t in range(X.shape[0]):
        x = X[t]
        i = gate(Wi @ x + Ui @ h + bi)
        f = gate(Wf @ x + Uf @ h + bf)
        o = gate(Wo @ x + Uo @ h + bo)
        g = np.tanh(Wg @ x + Ug @ h + bg)
        c = f * c + i * g
        h = o * np.tanh(c)
    return np.sum(h ** 2)


def lstm_loss(Wi, Ui, bi, Wf, Uf, bf, Wo, Uo, bo, Wg, Ug, bg, X):
    return lstm(sigmoid, Wi, Ui, bi, Wf, Uf, bf, Wo, Uo, bo, Wg, Ug, bg, X)


def lstm_hand(Wi, Ui, bi, Wf, Uf, bf, Wo, Uo, bo, Wg, Ug, bg, X):
    """Forward keeping the gates and cells of every step, then backprop through time."""
    T, H = X.shape[0], Wi.shape[0]
    h = np.zeros(H)
    c = np.zeros(H)
    steps = []
    for t in range(T):
        x = X[t]
        i = 1.0 / (1.0 + np.exp(-(Wi @ x + Ui @ h + bi)))
        f = 1.0 / (1.0 + np.exp(-(Wf @ x + Uf @ h + bf)))
        o = 1.0 / (1.0 + np.exp(-(Wo @ x + Uo @ h + bo)))
        g = np.tanh(Wg @ x + Ug @ h + bg)
        c_prev, h_prev = c, h
        c = f * c + i * g
        tc = np.tanh(c)
        h = o * tc
        steps.append((x, h_prev, c_prev, i, f, o, g, tc))
    dWi, dUi, dWf, dUf = np.zeros_like(Wi), np.zeros_like(Ui), np.zeros_like(Wf), np.zeros_like(Uf)
    dWo, dUo, dWg, dUg = np.zeros_like(Wo), np.zeros_like(Uo), np.zeros_like(Wg), np.zeros_like(Ug)
    dbi, dbf, dbo, dbg = np.zeros(H), np.zeros(H), np.zeros(H), np.zeros(H)
    dh = 2 * h
    dc = np.zeros(H)
    for x, h_prev, c_prev, i, f, o, g, tc in reversed(steps):
        dc = dc + dh * o * (1 - tc * tc)
        dzo = dh * tc * o * (1 - o)
        dzi = dc * g * i * (1 - i)
        dzf = dc * c_prev * f * (1 - f)
        dzg = dc * i * (1 - g * g)
        dc = dc * f
        dWi += np.outer(dzi, x)
        dUi += np.outer(dzi, h_prev)
        dbi += dzi
        dWf += np.outer(dzf, x)
        dUf += np.outer(dzf, h_prev)
        dbf += dzf
        dWo += np.outer(dzo, x)
        dUo += np.outer(dzo, h_prev)
        dbo += dzo
        dWg += np.outer(dzg, x)
        dUg += np.outer(dzg, h_prev)
        dbg += dzg
        dh = Ui.T @ dzi + Uf.T @ dzf + Uo.T @ dzo + Ug.T @ dzg
    return dWi, dUi, dbi, dWf, dUf, dbf, dWo, dUo, dbo, dWg, dUg, dbg


def lstm_inputs(hidden=32, inputs=16, T=20, seed=3):
    rng = np.random.default_rng(seed)
    weights = []
    for _ in range(4):  # gates i, f, o, g
        weights += [rng.standard_normal((hidden, inputs)) / np.sqrt(inputs),
                    rng.standard_normal((hidden, hidden)) / np.sqrt(hidden),
                    0.1 * rng.standard_normal(hidden)]
    return tuple(weights) + (rng.standard_normal((T, inputs)),)


# ---------------------------------------------------------------------------
# (8) a decorrelation penalty: the features' second moments, a running total of outer
# products over the samples in the user's loop, held near the identity


def decorrelation(outer, W, X):
    """The penalty with `outer` for the outer product (the spelling variant passes another)."""
    C = np.zeros((W.shape[0], W.shape[0]))
    for t in range(X.shape[0]):
        h = np.tanh(W @ X[t])
        C = C + outer(h, h)
    return np.sum((C / X.shape[0] - np.eye(W.shape[0])) ** 2)


def outer_np(u, v):
    return np.outer(u, v)


def decorrelation_loss(W, X):
    return decorrelation(outer_np, W, X)


def decorrelation_hand(W, X):
    """Backpropagation through the user's loop, as a hand-writer keeping it writes it: the
    features recorded on the way forward, then per sample dh = (dC + dC.T) h = 2 dC h (dC
    is symmetric) and the weight's gradient summed as one product after the loop, as the
    RNN's and LSTM's hand gradients do."""
    T, k = X.shape[0], W.shape[0]
    hs = [np.tanh(W @ X[t]) for t in range(T)]
    C = np.zeros((k, k))
    for h in hs:
        C = C + np.outer(h, h)
    dC = 2.0 * (C / T - np.eye(k)) / T
    dpres = [2.0 * (dC @ h) * (1 - h * h) for h in hs]
    return (np.stack(dpres).T @ X,)


def decorrelation_inputs(features=32, inputs=16, samples=50, seed=4):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((features, inputs)) / np.sqrt(inputs), rng.standard_normal((samples, inputs))


# ---------------------------------------------------------------------------
# (9) an ODE integrator, GradBench's kind: 1,000 classical Runge-Kutta steps of a chain of
# linear compartments (the first drains, each next one is fed by the one before), the loss the
# squared final state, the gradient wrt the initial state and the rates


def ode_rhs(y, c):
    return c * np.concatenate((-y[:1], y[:-1] - y[1:]))


def ode_rk4(y0, c):
    y = y0
    h = 0.001
    for _ in range(1000):
        k1 = ode_rhs(y, c)
        k2 = ode_rhs(y + 0.5 * h * k1, c)
        k3 = ode_rhs(y + 0.5 * h * k2, c)
        k4 = ode_rhs(y + h * k3, c)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return np.sum(y ** 2)


def _chain(y):
    """A y for the chain's matrix A: (-y0, y0 - y1, y1 - y2, ...)."""
    return np.concatenate((-y[:1], y[:-1] - y[1:]))


def _chain_t(u):
    """A^T u: (A^T u)_j = u_(j+1) - u_j, with u_n = 0."""
    out = -u
    out[:-1] += u[1:]
    return out


def ode_rk4_hand(y0, c):
    """The discrete adjoint of RK4: keep each step's state, then walk the steps back, each
    stage's f(z) = c * A z giving A^T (c * v) to z and (A z) * v to c."""
    h = 0.001
    ys = [y0]
    y = y0
    for _ in range(1000):
        k1 = c * _chain(y)
        k2 = c * _chain(y + 0.5 * h * k1)
        k3 = c * _chain(y + 0.5 * h * k2)
        k4 = c * _chain(y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        ys.append(y)
    dy = 2 * y
    dc = np.zeros_like(c)
    for n in range(999, -1, -1):
        y = ys[n]
        k1 = c * _chain(y)
        z2 = y + 0.5 * h * k1
        k2 = c * _chain(z2)
        z3 = y + 0.5 * h * k2
        k3 = c * _chain(z3)
        z4 = y + h * k3
        dk4, dk3, dk2, dk1 = h / 6 * dy, h / 3 * dy, h / 3 * dy, h / 6 * dy
        w = _chain_t(c * dk4)
        dc += _chain(z4) * dk4
        dy = dy + w
        dk3 = dk3 + h * w
        w = _chain_t(c * dk3)
        dc += _chain(z3) * dk3
        dy = dy + w
        dk2 = dk2 + 0.5 * h * w
        w = _chain_t(c * dk2)
        dc += _chain(z2) * dk2
        dy = dy + w
        dk1 = dk1 + 0.5 * h * w
        dc += _chain(y) * dk1
        dy = dy + _chain_t(c * dk1)
    return dy, dc


def ode_inputs(state=10, seed=5):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(state), rng.uniform(0.5, 2.0, state)


# ---------------------------------------------------------------------------
# The same math spelled otherwise (issue 15): an optimisation holds for every ordinary
# spelling, so each of these runs within 1.05x of its canonical workload (benchmarks/run.py
# prints the ratios).


def two_layer_loss_new_axis(W1, b1, W2, b2, X, y, reg):
    N = X.shape[0]
    h = np.maximum(0, np.dot(X, W1) + b1)
    scores = np.dot(h, W2) + b2
    m = np.max(scores, axis=1)
    scores = scores - m[:, None]
    log_probs = scores - np.log(np.sum(np.exp(scores), axis=1))[:, None]
    data_loss = -np.sum(log_probs[np.arange(N), y]) / N
    return data_loss + 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))


def gmm_nll_new_axis(means, log_vars, logits, X):
    L = gmm_log_likelihoods(means, log_vars, logits, X)
    m = np.max(L, axis=1)
    lse = m + np.log(np.sum(np.exp(L - m[:, None]), axis=1))
    return -np.sum(lse)


def sigmoid_odds(z):
    return np.exp(z) / (1 + np.exp(z))


def sigmoid_reciprocal(z):
    return np.reciprocal(1 + np.exp(-z))


def lstm_loss_odds(Wi, Ui, bi, Wf, Uf, bf, Wo, Uo, bo, Wg, Ug, bg, X):
    return lstm(sigmoid_odds, Wi, Ui, bi, Wf, Uf, bf, Wo, Uo, bo, Wg, Ug, bg, X)


def lstm_loss_reciprocal(Wi, Ui, bi, Wf, Uf, bf, Wo, Uo, bo, Wg, Ug, bg, X):
    return lstm(sigmoid_reciprocal, Wi, Ui, bi, Wf, Uf, bf, Wo, Uo, bo, Wg, Ug, bg, X)


def gmm_log_likelihoods_3d(means, log_vars, logits, X):
    """gmm_log_likelihoods with the components an explicit axis: (k, n, d) arrays, no loop."""
    log_w = logits - np.log(np.sum(np.exp(logits)))
    var = np.exp(log_vars)[:, None, :]                        # (k, 1, d)
    diff = X[None, :, :] - means[:, None, :]                  # (k, n, d)
    L = log_w[:, None] - 0.5 * np.sum(diff ** 2 / var + log_vars[:, None, :] + np.log(2 * np.pi), axis=2)
    return L.T


def gmm_nll_3d(means, log_vars, logits, X):
    return mixture_nll(gmm_log_likelihoods_3d, means, log_vars, logits, X)


def outer_broadcast(u, v):
    return u[:, None] * v[None, :]


def decorrelation_loss_broadcast(W, X):
    return decorrelation(outer_broadcast, W, X)


WORKLOADS = [
    Workload("survey", survey, survey_hand, (0, 1), survey_inputs,
             "ln x1 + x1*x2 - sin x2 at (2.0, 5.0), Python floats"),
    Workload("two_layer_small", two_layer_loss, two_layer_hand, (0, 1, 2, 3),
             lambda: two_layer_inputs(64, 100, 50, 10),
             "softmax net + L2, N=64 D=100 H=50 C=10"),
    Workload("two_layer_mnist", two_layer_loss, two_layer_hand, (0, 1, 2, 3),
             lambda: two_layer_inputs(512, 784, 256, 10),
             "softmax net + L2, N=512 D=784 H=256 C=10"),
    Workload("rnn", rnn_loss, rnn_hand, (0, 1), rnn_inputs,
             "tanh RNN, hidden 32, input 16, 50 steps"),
    Workload("scalar_loop", scalar_loop, scalar_loop_hand, (1,), scalar_loop_inputs,
             "1,000-step scalar loop, d(loss)/da"),
    Workload("relu_net_231", relu_net_mse, relu_net_hand, (0, 1, 2, 3), relu_net_inputs,
             "2-3-1 ReLU net, MSE on 400 samples"),
    Workload("gmm", gmm_nll, gmm_hand, (0, 1, 2), gmm_inputs,
             "diagonal GMM NLL, k=5 d=10 n=1000"),
    Workload("lstm", lstm_loss, lstm_hand, tuple(range(12)), lstm_inputs,
             "LSTM, hidden 32, input 16, 20 steps"),
    Workload("decorrelation", decorrelation_loss, decorrelation_hand, (0,), decorrelation_inputs,
             "decorrelation penalty, a loop's running total of np.outer(h, h), 32 features, 50 samples"),
    Workload("ode_rk4", ode_rk4, ode_rk4_hand, (0, 1), ode_inputs,
             "RK4 integrator, a chain of 10 compartments, 1,000 steps"),
    Workload("two_layer_small_new_axis", two_layer_loss_new_axis, two_layer_hand, (0, 1, 2, 3),
             lambda: two_layer_inputs(64, 100, 50, 10), "two_layer_small with m[:, None] for keepdims",
             variant_of="two_layer_small"),
    Workload("gmm_new_axis", gmm_nll_new_axis, gmm_hand, (0, 1, 2), gmm_inputs,
             "gmm with m[:, None] for keepdims", variant_of="gmm"),
    Workload("lstm_odds", lstm_loss_odds, lstm_hand, tuple(range(12)), lstm_inputs,
             "lstm with the logistic function as exp(z) / (1 + exp(z))", variant_of="lstm"),
    Workload("lstm_reciprocal", lstm_loss_reciprocal, lstm_hand, tuple(range(12)), lstm_inputs,
             "lstm with the logistic function as np.reciprocal(1 + exp(-z))", variant_of="lstm"),
    Workload("gmm_3d", gmm_nll_3d, gmm_hand, (0, 1, 2), gmm_inputs,
             "gmm with the components an explicit axis of (k, n, d) arrays", variant_of="gmm"),
    Workload("decorrelation_broadcast", decorrelation_loss_broadcast, decorrelation_hand, (0,),
             decorrelation_inputs, "decorrelation with h[:, None] * h[None, :] for np.outer",
             variant_of="decorrelation"),
]


def rebind(fun, numpy_module):
    """`fun` with this module's `np` replaced by `numpy_module` (autograd.numpy, jax.numpy), and
    the module's other functions it calls (such as `sigmoid`) rebound the same way."""
    namespace = dict(fun.__globals__)
    namespace["np"] = numpy_module
    for name, value in list(namespace.items()):
        if isinstance(value, types.FunctionType) and value.__module__ == fun.__module__:
            namespace[name] = types.FunctionType(value.__code__, namespace, value.__name__,
                                                 value.__defaults__, value.__closure__)
    return namespace[fun.__name__]


# ---------------------------------------------------------------------------
# self-check of the hand-written gradients


def _central_difference(fun, args, argnum, index, eps=1e-6):
    def shifted(delta):
        a = list(args)
        if isinstance(a[argnum], float):
            a[argnum] = a[argnum] + delta
        else:
            x = np.array(a[argnum], dtype=float)
            x[index] += delta
            a[argnum] = x
        return fun(*a)
    return (shifted(eps) - shifted(-eps)) / (2 * eps)


def check_hand_gradients(samples=8, seed=0):
    """Compare each hand-written gradient with central differences at a few sampled entries."""
    rng = np.random.default_rng(seed)
    for w in WORKLOADS:
        args = w.inputs()
        grads = w.hand_grad(*args)
        assert len(grads) == len(w.argnums), w.name
        worst = 0.0
        for argnum, g in zip(w.argnums, grads):
            if isinstance(args[argnum], float):
                indices = [()]
            else:
                assert np.shape(g) == np.shape(args[argnum]), (w.name, argnum)
                flat = rng.choice(np.size(g), size=min(samples, np.size(g)), replace=False)
                indices = [np.unravel_index(i, np.shape(g)) for i in flat]
            for index in indices:
                numeric = _central_difference(w.objective, args, argnum, index)
                exact = float(np.asarray(g)[index])
                err = abs(numeric - exact) / max(1.0, abs(exact))
                worst = max(worst, err)
                assert err < 1e-5, f"{w.name}: argument {argnum} at {index}: hand {exact!r}, differences {numeric!r}"
        print(f"{w.name:18} hand gradient agrees with central differences (worst scaled error {worst:.1e})")


if __name__ == "__main__":
    check_hand_gradients()
