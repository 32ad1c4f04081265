"""The numba backend on the differential tester's programs (tests/random/fuzz_programs.py).

`numba_check(f, x, y)` computes grad(f, argnums=(0, 1)) with the NumPy backend (the
oracle), then with backend="numba" (warnings caught), then with NumPy again, and says
what happened, as a dict whose "outcome" is one of (`transform=` picks another of
TRANSFORMS: value_and_grad, jacfwd, jacrev, hessian)

- "numba agreed": the same values as NumPy's to rtol 1e-12, atol 1e-12, with the same
  structure, shapes, dtypes and Python types;
- "numba fell back": numba refused the module (a NumbaFallback warning, its reason in
  "reason"), and the NumPy module's value that ran instead agrees as above;
- "both refused": the NumPy backend raised a SrcdiffError (a documented refusal, see
  test_differential.DOCUMENTED_REFUSALS) and the numba backend raised the same;
- failures: "numba disagreed" (values, shapes, dtypes or types differ: "expected" and
  "got" hold both), "numba raised" (any other exception, or a refusal NumPy did not
  make), "numpy changed" (NumPy's gradient computed after numba's differs from the one
  before), "argument modified" (a call wrote into x), "numpy raised" (NumPy's backend
  raised something other than a documented refusal: the differential tester's business,
  recorded here only so a survey does not stop).

FAILURES lists the failing outcomes. `share(index, every)` picks which programs of a run
get the check (every `every`-th; 0: none): SRCDIFF_FUZZ_NUMBA_EVERY sets it for the pytest
(tests/random/test_numba_share.py) and the survey (tests/random/numba_survey.py) takes it as
an argument.

Each numba compile takes 0.3-5 s. numba's compiled code and the modules srcdiff writes for
it go to $SRCDIFF_CACHE_DIR (set it to a temporary directory for a survey).
"""
import re
import traceback
import warnings

import numpy as np

import srcdiff
from srcdiff.codegen.numba import NumbaFallback

from .test_differential import _documented

RTOL = ATOL = 1e-12

# The transformations a check can run, each f -> the transformed function, given backend=...
TRANSFORMS = {
    "grad": lambda f, **backend: srcdiff.grad(f, argnums=(0, 1), **backend),
    "value_and_grad": lambda f, **backend: srcdiff.value_and_grad(f, argnums=(0, 1), **backend),
    "jacfwd": lambda f, **backend: srcdiff.jacfwd(f, argnums=0, **backend),
    "jacrev": lambda f, **backend: srcdiff.jacrev(f, argnums=0, **backend),
    "hessian": lambda f, **backend: srcdiff.hessian(f, argnums=0, **backend),
}
FAILURES = ("numba disagreed", "numba raised", "numpy changed", "argument modified", "numpy raised")

_REASON = re.compile(r"^numba cannot compile (?:`.*` \(line \d+ of the numba module of [^)]*\)"
                     r"|the numba module of .*?): (.*?)(?:; running the NumPy module instead.*)?$", re.S)


def share(index, every):
    """Whether the index-th program (from 0) of a run gets the numba check."""
    return every > 0 and index % every == 0


def fallback_reason(message):
    """The reason in a NumbaFallback warning's message: what follows the colon after
    `construct` (line N of the numba module of f, from file:line)."""
    m = _REASON.match(message)
    return m.group(1).strip() if m else message


def reason_group(reason):
    """The reason with what is particular to one program taken out (names, numbers,
    types' details), to count reasons across programs."""
    text = re.sub(r"(?:/[\w.+-]+)+\.py", "FILE", reason)
    text = re.sub(r"'[^']*'", "'...'", text)
    text = re.sub(r"\"[^\"]*\"", '"..."', text)
    text = re.sub(r"\b\d+\b", "N", text)
    text = re.sub(r"\((?:[^()]|\([^()]*\))*\)", "(...)", text)
    return text[:160]


def _leaves(value, path=""):
    """(path, leaf) pairs of a nest of tuples and lists."""
    if isinstance(value, (tuple, list)):
        out = [(path + f"{type(value).__name__}[{len(value)}]", None)]
        for i, v in enumerate(value):
            out += _leaves(v, f"{path}[{i}]")
        return out
    return [(path, value)]


def _describe(value):
    if isinstance(value, (tuple, list)):
        return type(value)(_describe(v) for v in value)
    if isinstance(value, np.ndarray):
        return {"type": "ndarray", "dtype": str(value.dtype), "shape": list(value.shape),
                "value": np.asarray(value, dtype=object).tolist() if value.dtype == object else value.tolist()}
    return {"type": type(value).__name__, "value": value.item() if isinstance(value, np.generic) else value}


def difference(expected, got, rtol=RTOL, atol=ATOL):
    """None where got is expected (same structure, types, dtypes and shapes, values to
    rtol/atol, nan where nan), else what differs, leaf by leaf ("; " between)."""
    a, b = _leaves(expected), _leaves(got)
    if [p for p, _ in a] != [p for p, _ in b]:
        return f"structure: {[p for p, _ in a]} vs {[p for p, _ in b]}"
    found = []
    for (path, u), (_, v) in zip(a, b):
        if u is None and v is None:  # a tuple's or list's own entry
            continue
        where = path or "value"
        if type(u) is not type(v):
            found.append(f"{where}: type {type(u).__name__} vs {type(v).__name__}")
        if np.shape(u) != np.shape(v):
            found.append(f"{where}: shape {np.shape(u)} vs {np.shape(v)}")
            continue
        if np.asarray(u).dtype != np.asarray(v).dtype:
            found.append(f"{where}: dtype {np.asarray(u).dtype} vs {np.asarray(v).dtype}")
        try:
            uu, vv = np.asarray(u, dtype=float), np.asarray(v, dtype=float)
        except (TypeError, ValueError):
            found.append(f"{where}: not numbers")
            continue
        with np.errstate(invalid="ignore"):
            ok = (np.isnan(uu) & np.isnan(vv)) | (uu == vv) | (np.abs(uu - vv) <= atol + rtol * np.abs(uu))
        if not np.all(ok):
            with np.errstate(invalid="ignore", divide="ignore"):
                err = np.abs(uu - vv)
                rel = err / np.abs(uu)
            found.append(f"{where}: values differ, max abs error {float(np.nanmax(err, initial=0.0)):.3g}, "
                         f"max rel error {float(np.nanmax(rel, initial=0.0)):.3g}")
    return "; ".join(found) or None


def _exception(e):
    return {"exception": f"{type(e).__name__}: {str(e)[:2000]}", "traceback": traceback.format_exc()[-6000:]}


def numba_check(f, x, y, transform="grad"):
    """The numba backend's gradient (or another of TRANSFORMS) of f at (x, y) against
    NumPy's: a dict with "outcome" (see the module's docstring) and what a failure needs to
    be reproduced."""
    x = np.array(x, dtype=float)
    x_before = x.copy()
    record = {"transform": transform, "x": x.tolist(), "y": y}
    make = TRANSFORMS[transform]

    def modified(step):
        if not np.array_equal(x, x_before, equal_nan=True):
            record.update(outcome="argument modified", step=step, x_after=x.tolist())
            return True
        return False

    # NumPy's gradient, the oracle
    try:
        expected = make(f)(x, y)
        numpy_error = None
    except srcdiff.SrcdiffError as e:
        if not _documented(f"numpy {transform}", e):
            record.update(outcome="numpy raised", **_exception(e))
            return record
        expected, numpy_error = None, e
    except Exception as e:  # noqa: BLE001
        record.update(outcome="numpy raised", **_exception(e))
        return record
    if modified(f"numpy {transform}"):
        return record

    # numba's
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            got = make(f, backend="numba")(x, y)
            numba_error = None
        except Exception as e:  # noqa: BLE001
            got, numba_error = None, e
            numba_traceback = traceback.format_exc()[-6000:]
    fallbacks = [str(w.message) for w in caught if issubclass(w.category, NumbaFallback)]
    others = sorted({f"{w.category.__name__}: {str(w.message).splitlines()[0][:160]}" for w in caught
                     if not issubclass(w.category, NumbaFallback)})
    if others:
        record["other_warnings"] = others
    if fallbacks:
        record["warning"] = fallbacks[0]
        record["reason"] = fallback_reason(fallbacks[0])
    if modified(f"numba {transform}"):
        return record

    if numpy_error is not None:
        if isinstance(numba_error, srcdiff.SrcdiffError) and str(numba_error) == str(numpy_error):
            record.update(outcome="both refused", refusal=str(numpy_error).splitlines()[0][:300])
        elif numba_error is not None:
            record.update(outcome="numba raised", numpy_refusal=str(numpy_error)[:1000],
                          exception=f"{type(numba_error).__name__}: {str(numba_error)[:2000]}",
                          traceback=numba_traceback)
        else:
            record.update(outcome="numba disagreed", detail="NumPy's backend refused, numba's computed",
                          numpy_refusal=str(numpy_error)[:1000], got=_describe(got))
        return record
    if numba_error is not None:
        record.update(outcome="numba raised", exception=f"{type(numba_error).__name__}: {str(numba_error)[:2000]}",
                      traceback=numba_traceback, expected=_describe(expected))
        return record

    differs = difference(expected, got)
    if differs is not None:
        record.update(outcome="numba disagreed", detail=differs, expected=_describe(expected), got=_describe(got))
        return record

    # NumPy's gradient once more: numba's run must not have changed it
    try:
        again = make(f)(x, y)
    except Exception as e:  # noqa: BLE001
        record.update(outcome="numpy changed", detail="NumPy's backend raised after numba's ran", **_exception(e))
        return record
    if modified(f"numpy {transform} after numba"):
        return record
    changed = difference(expected, again, rtol=0.0, atol=0.0)
    if changed is not None:
        record.update(outcome="numpy changed", detail=changed, expected=_describe(expected), got=_describe(again))
        return record

    record["outcome"] = "numba fell back" if fallbacks else "numba agreed"
    return record


def numba_source(f, x, y, transform="grad"):
    """The numba module srcdiff writes for grad(f) (or another of TRANSFORMS) at (x, y), or
    why it could not show it."""
    try:
        return srcdiff.source(TRANSFORMS[transform](f, backend="numba"), np.array(x, dtype=float), y)
    except Exception as e:  # noqa: BLE001
        return f"<srcdiff.source raised {type(e).__name__}: {e}>"
