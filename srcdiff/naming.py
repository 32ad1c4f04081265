"""The names srcdiff gives what it makes, in one place: the emitted code reads like code a
person wrote (dx for the adjoint of x, h_saved for the list a loop records h in, f_fwd
and f_bwd for the halves of reverse mode), and the passes that make a value and the code
generator that names it agree on the spelling because both ask here. Where a name is read
back (h of h_saved), this module parses what it spelled."""
import re


# -- derivatives of a value ------------------------------------------------------

def adjoint(name):
    """dx: the adjoint (cotangent) of x, in reverse mode."""
    return "d" + name


def tangent(name):
    """x_dot: the tangent of x, in forward mode."""
    return name + "_dot"


def cotangent(k=0, of_tape=False):
    """g for the cotangent of a function's first result (or of an output without a name),
    g2, g3, ... for the next ones, g_tape for a tape's."""
    if of_tape:
        return "g_tape"
    return "g" if k == 0 else f"g{k + 1}"


# -- what a loop records and what the code reads from it -------------------------

SAVED = "saved"  # a list recording a value nobody named


def saved(name):
    """x_saved: the list a loop appends x to on every trip, for the backward sweep."""
    return name + "_saved"


TRIPS = saved("trips")  # how many trips each run of a loop made (a while loop's backward sweep)

_SAVED = re.compile(r"(\w+)_saved(_\d+)?")


def recorded(name):
    """x for a list named x_saved (or x_saved_2, numbered apart); "" for any other name."""
    match = _SAVED.fullmatch(name)
    return match[1] if match else ""


def steps(name):
    """h_steps: np.stack(h_saved), h at every step."""
    return name + "_steps"


def transposed(name):
    """X_T: X.T."""
    return name + "_T"


def reversed_rows(name):
    """X_reversed: X[::-1]."""
    return name + "_reversed"


# -- functions made from a function -----------------------------------------------

def transformation(kind, name):
    """grad_f, value_and_grad_f, jvp_f, vjp_f, jacobian_f, jacrev_f, hessian_f: what a
    transformation of f is called."""
    return f"{kind}_{name}"


def untransformed(kind, name):
    """f for transformation(kind, f)."""
    prefix = transformation(kind, "")
    assert name.startswith(prefix), (kind, name)
    return name[len(prefix):]


def forward(name):
    """q_fwd: the forward sweep of q (its results and its tape), in reverse mode."""
    return name + "_fwd"


def backward(name):
    """q_bwd: the backward sweep of q (from its tape and its results' cotangents)."""
    return name + "_bwd"


def jvp(name, along=()):
    """q_jvp: q and its tangents, along every differentiable parameter, or q_jvp_x_n along
    the parameters named."""
    return name + "_jvp" + "".join("_" + a for a in along)


def tape(name):
    """q_tape: what q_fwd keeps for q_bwd."""
    return name + "_tape"


TAPE = "tape"  # the backward sweep's parameter holding the forward sweep's tape


def residuals(name):
    """softplus_res: what a custom rule's forward function keeps for its backward one."""
    return name + "_res"


def helper(name):
    """_sum_to: a helper function the emitted module defines (prims/helpers.py)."""
    return "_" + name


def numbered(base, n):
    """W_2: the nth value (or function) that would have been called W."""
    return f"{base}_{n}"
