"""The higher-order tester: random programs (tests/random/fuzz_higher.py) through every mode and composition.

For each generated f at random inputs (x, y ~ uniform(-1, 1), some of x exactly 0 in some
programs), every mode is run and compared with central differences (tests/numeric.py):

- first order: grad, grad(argnums=(0, 1)), value_and_grad, jvp, vjp, jacfwd, jacrev,
  jacobian (also argnums=(0, 1) and argnums=1) against differences of f;
- second order: hessian (also argnums=(0, 1): JAX's nested tuple), jacfwd(grad(f)),
  jacrev(grad(f)), jacfwd(jacrev(f)), jacrev(jacrev(f)), grad(grad(f)) for a float x,
  jvp(grad(f)), vjp(grad(f)) against differences of srcdiff's own gradient (once it has
  agreed with differences of f); for a vector-valued f, jacfwd/jacrev/jacobian and the
  four compositions of jacfwd and jacrev against differences of f and of its Jacobian;
- with defaults (`def f(x, c=0.5, *, k=1.5)`): f called without them, with c given, with
  k=0.7 as a keyword (through the API and through a wrapper f_k), with c passed by
  keyword from an argument (f_c);
- float32 inputs: every result has JAX's dtype (a derivative wrt an input has the input's
  dtype; a jvp's tangent and jacfwd's Jacobian the output's, or the input's) and agrees
  with the float64 differences within float32 tolerance;
- complex x (for programs without kinks): every mode refuses (TypeError, or a located
  SrcdiffError), or gives JAX's answer: jvp the directional derivative along the complex
  tangent, vjp (for f holomorphic in x) the cotangent times df/dx; grad and the Jacobians
  refuse complex inputs in JAX, so a result from them is a failure;
- after every call the caller's arrays are unchanged.

Each check's outcome is "agreed", "refused" (a SrcdiffError whose message names
file:line, or a TypeError raised by srcdiff itself for the API), "not comparable" (a
reference that could not be computed), "known bug" (skipped: KNOWN_BUGS below) or a
failure: "disagreed" (wrong value, shape, structure or dtype) or "internal" (a
SrcdiffError saying "internal error" or without a location, any other exception from
srcdiff or from the emitted code, a hang). A program whose f is within 1e-3 of a kink at
its inputs (three inputs tried), or not finite, is "not comparable" as a whole. Refusals
whose message is NumPy's error or names an internal primitive are marked "[suspicious]".

The minimal reproductions of what the tester found (tests/random/higher_repros.py) run below it:
the open ones as strict xfails, so that a fix makes its test fail until its KNOWN_BUGS entry
is removed (and the repro's `known` set to None).

CI runs 40 programs, the same ones every run (tests/conftest.py), in a few seconds. For a large run of new programs, and a
survey that records every failure without stopping:

    SRCDIFF_HYPOTHESIS_RANDOM=1 SRCDIFF_FUZZ_HIGHER_EXAMPLES=500 python -m pytest tests/random/test_higher_fuzz.py -q
    python -m tests.random.fuzz_higher_survey 2000 /tmp/higher SEED           # KNOWN_BUGS skipped
    python -m tests.random.fuzz_higher_survey 2000 /tmp/higher SEED --all     # KNOWN_BUGS run too
"""
import os
import re
import signal
import tempfile
import traceback
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, note, settings

import srcdiff
from srcdiff import SrcdiffError

from .fuzz_higher import MIN_MARGIN, inputs, programs
from tests.numeric import extrapolated_difference

EXAMPLES = int(os.environ.get("SRCDIFF_FUZZ_HIGHER_EXAMPLES", "40"))
DIRECTORY = tempfile.mkdtemp(prefix="srcdiff_higher_fuzz_")
TIMEOUT = 30.0  # seconds for one mode's call (compiling included)
SRCDIFF_DIR = os.path.dirname(os.path.abspath(srcdiff.__file__)) + os.sep

VECTOR_SECOND = ["jacfwd(jacrev)", "jacrev(jacrev)", "jacfwd(jacfwd)", "jacrev(jacfwd)"]
FORWARD = {"jvp", "jacfwd", "jacfwd(0,1)", "jacobian", "jacobian(0,1)", "hessian", "hessian(0,1)", "jacfwd(grad)",
           "jacfwd(jacrev)", "jvp(grad)", "jacfwd(jacfwd)", "jacrev(jacfwd)"}
JACOBIAN_OF_REV = {"jacrev", "jacrev(0,1)", "jacrev(1)", "jacobian", "jacobian(0,1)", "hessian", "hessian(0,1)",
                   "jacfwd(grad)", "jacrev(grad)", "jacfwd(jacrev)", "jacrev(jacrev)", "jacfwd(jacfwd)",
                   "jacrev(jacfwd)"}
WRT_SECOND = {"grad(0,1)", "jacfwd(0,1)", "jacrev(0,1)", "jacobian(0,1)", "jacrev(1)", "hessian(0,1)"}
WRITE_TAGS = {"item_write", "slice_write", "fancy_write", "copies_views", "helper_write"}
LOOP_TAGS = {"loop", "while", "list_append", "helper_loop"}
REV_OVER_REV = {"jacrev(grad)", "jacrev(jacrev)", "grad(grad)", "vjp(grad)", "jacrev(jacfwd)", "grad(grad(grad))",
                "grad(inner grad)", "grad(inner jvp)"}
# the modes a call with defaults left out (or given) runs, besides the full set on f(x)
DEFAULTS_MODES = ["grad", "jvp", "vjp", "jacfwd", "jacrev", "hessian", "grad(grad)"]
COMPLEX_MODES = ["grad", "value_and_grad", "jvp", "vjp", "jacfwd", "jacrev", "jacobian", "hessian"]


# Open srcdiff bugs (issue 14): name -> (what goes wrong, predicate(program, variant, mode),
# scope). A check the predicate matches is skipped ("known bug"), or for scope "dtype" run
# without comparing dtypes, unless the run asks for every check (the survey's --all). The
# predicates read the program's tags (tests/random/fuzz_higher.py), its kinds and the mode. Remove an
# entry when its fix lands; tests/random/higher_repros.py has a minimal program of each (and of the
# classes already fixed, as regression tests).
KNOWN_BUGS = {}  # none open: every class found so far is fixed and kept in higher_repros.REPROS


def known_bugs(program, variant, mode, scope="check"):
    """The names of the KNOWN_BUGS entries of this scope that cover this check."""
    return [name for name, (_, covers, s) in KNOWN_BUGS.items() if s == scope and covers(program, variant, mode)]


# ---------------------------------------------------------------------------------------
# Inputs


def arguments(program, seed):
    """The float64 positional arguments ("args64"), tangents for them, a cotangent for a vector
    output, the imaginary part of a complex x, and the values c and k given to f, from one seed."""
    rng = np.random.default_rng(seed)
    if program.x_kind == "scal":
        x = float(rng.uniform(-1.0, 1.0))
        if program.zeros:
            x = 0.0
    else:
        x = rng.uniform(-1.0, 1.0, 3)
        if program.zeros:
            x[rng.integers(0, 3, size=rng.integers(1, 4))] = 0.0
    args = [x] + ([float(rng.uniform(-1.0, 1.0))] if program.has_y else [])
    return {
        "args64": tuple(args),
        "tangents": tuple(rng.uniform(-1.0, 1.0, np.shape(a)) if np.ndim(a) else float(rng.uniform(-1.0, 1.0))
                          for a in args),
        "cotangent": rng.uniform(-1.0, 1.0, 3),  # for a vector output; a scalar output takes 0.7
        "imag": rng.uniform(-1.0, 1.0, np.shape(x)) if np.ndim(x) else float(rng.uniform(-1.0, 1.0)),
        "c": 0.3, "k": 0.7,
    }


def _cast(args, dtype):
    """The arguments in the program's dtype: float32 for x (an array, or a NumPy float32 scalar)."""
    if dtype == "float64":
        return tuple(args)
    x = args[0]
    return (np.float32(x) if np.ndim(x) == 0 else np.asarray(x, dtype=np.float32),) + tuple(args[1:])


def _copy(a):
    return a.copy() if isinstance(a, np.ndarray) else a


def _python(fn, kwargs):
    """fn called on copies of its arguments (f may write into them, as Python lets it)."""
    def call(*args):
        return fn(*[_copy(a) for a in args], **kwargs)
    return call


# ---------------------------------------------------------------------------------------
# Outcomes


class Hang(BaseException):
    """Raised by the alarm; a BaseException so that no `except Exception` in srcdiff swallows it."""


def _on_alarm(signum, frame):
    raise Hang()


def _limited(fn):
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, TIMEOUT)
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


LOCATED = re.compile(r"\S+:\d+")
API_CHECK = re.compile(r"requires a scalar output")
# Refusals whose message is NumPy's or names an internal primitive: f runs in Python, so these
# are srcdiff's own failures dressed as refusals. They count as refusals (located), and the
# survey lists them apart.
SUSPICIOUS = re.compile(r"could not be broadcast|too many indices|no reverse-mode rule for primitive|has no attribute|"
                        r"out of bounds|cannot reshape|list_pop|product_grad|_grad\b")


def classify_exception(e):
    """("refused" | "internal", a one-line group for the report)."""
    if isinstance(e, Hang):
        return "internal", "hang"
    first = str(e).strip().splitlines()[0] if str(e).strip() else ""
    if isinstance(e, SrcdiffError):
        if "internal error" in str(e):
            cause = e.__cause__ or e.__context__
            where = _where(cause) if cause is not None else ""
            inner = f"{type(cause).__name__}: {_short(str(cause))}" if cause is not None else _short(first)
            return "internal", f"internal error {inner}{where}"
        if e.loc is None or not LOCATED.search(first):
            return "internal", f"{type(e).__name__} without a location: {_short(first)}"
        group = f"{type(e).__name__}: {_short(_unlocated(e.message))}"
        return "refused", ("[suspicious] " if SUSPICIOUS.search(e.message) else "") + group
    frames = traceback.extract_tb(e.__traceback__)
    last = frames[-1] if frames else None
    if isinstance(e, TypeError) and last is not None and last.filename.startswith(SRCDIFF_DIR) \
            and (last.line or "").lstrip().startswith("raise"):
        return "refused", f"TypeError: {_short(first)}"
    if isinstance(e, TypeError) and last is not None and not last.filename.startswith(SRCDIFF_DIR) \
            and "unexpected keyword argument" in first:  # a srcdiff function's own signature
        return "refused", f"TypeError: {_short(first)}"
    if isinstance(e, TypeError) and last is not None and last.filename.startswith("<srcdiff") \
            and API_CHECK.search(first):  # a check the emitted code makes when it runs
        return "refused", f"TypeError: {_short(first)}"
    return "internal", f"{type(e).__name__}: {_short(first)}{_where(e)}"


def _where(e):
    frames = traceback.extract_tb(e.__traceback__)
    if not frames:
        return ""
    last = frames[-1]
    if last.filename.startswith(SRCDIFF_DIR):
        return f" [{os.path.relpath(last.filename, os.path.dirname(SRCDIFF_DIR.rstrip(os.sep)))}:{last.lineno}]"
    if last.filename.startswith("<srcdiff"):
        return " [emitted code]"
    return f" [{os.path.basename(last.filename)}]"


def _short(text):
    text = re.sub(r"/\S+?\.py:\d+:? ?", "", text)
    text = re.sub(r"hfz_[0-9a-f]{16}(_instr)?", "f", text)
    text = re.sub(r"0x[0-9a-f]+", "0x..", text)
    text = re.sub(r"%[a-z]+\d+", "%..", text)
    text = re.sub(r"_srcdiff_arg\d+_", "_srcdiff_arg.._", text)
    return text[:160]


def _unlocated(message):
    return message.splitlines()[0] if message else ""


class Exp:
    """An expected leaf: its value (float64) and the dtypes allowed for it."""

    def __init__(self, value, dtypes):
        self.value = np.asarray(value, dtype=float)
        self.dtypes = tuple(dict.fromkeys(np.dtype(d) for d in dtypes))


def compare(got, expected, rtol, atol, dtypes=True):
    """None, or (kind, message): kind "wrong structure" | "wrong shape" | "wrong dtype" | "wrong value".
    With dtypes=False any float dtype passes."""
    if isinstance(expected, tuple):
        if not isinstance(got, tuple) or len(got) != len(expected):
            return "wrong structure", f"expected a tuple of {len(expected)}, got {type(got).__name__}" + (
                f" of {len(got)}" if isinstance(got, tuple) else f" of shape {np.shape(got)}")
        for n, (g, e) in enumerate(zip(got, expected)):
            bad = compare(g, e, rtol, atol, dtypes)
            if bad:
                return bad[0], f"[{n}] {bad[1]}"
        return None
    if isinstance(got, (tuple, list)):
        return "wrong structure", f"expected an array of shape {expected.value.shape}, got a {type(got).__name__}"
    arr = np.asarray(got)
    if arr.shape != expected.value.shape:
        return "wrong shape", f"shape {arr.shape}, expected {expected.value.shape}"
    if arr.dtype.kind not in "fc":
        return "wrong dtype", f"dtype {arr.dtype}"
    value = arr.astype(complex if arr.dtype.kind == "c" else float)
    scale = max(1.0, float(np.max(np.abs(expected.value))) if expected.value.size else 1.0)
    if not np.allclose(value, expected.value, rtol=rtol, atol=atol * scale):
        diff = np.abs(value - expected.value)
        k = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape)) if diff.shape else ()
        return "wrong value", (f"got {np.array2string(np.asarray(value), precision=6)}, expected "
                               f"{np.array2string(expected.value, precision=6)} (worst at {k})")
    if dtypes and arr.dtype not in expected.dtypes:
        return "wrong dtype", f"dtype {arr.dtype}, expected {' or '.join(map(str, expected.dtypes))}"
    return None


# ---------------------------------------------------------------------------------------
# The checks of one program


class Report:
    def __init__(self, program, seed):
        self.program, self.seed = program, seed
        self.checks = []  # dicts: variant, mode, outcome, group, detail, known
        self.outcome = None  # "agreed" | "refused" | "not comparable" | "known bugs only" | "failed" | "invalid"
        self.reason = ""

    def add(self, variant, mode, outcome, group="", detail="", known=()):
        self.checks.append(dict(variant=variant, mode=mode, outcome=outcome, group=group, detail=detail,
                                known=list(known)))

    def failures(self):
        return [c for c in self.checks if c["outcome"] in ("disagreed", "internal")]

    def finish(self):
        outcomes = {c["outcome"] for c in self.checks}
        if outcomes & {"disagreed", "internal"}:
            self.outcome = "failed"
        elif "refused" in outcomes:
            self.outcome = "refused"
        elif "agreed" in outcomes:
            self.outcome = "agreed"
        elif "known bug" in outcomes:
            self.outcome = "known bugs only"
        else:
            self.outcome = "not comparable"
        return self

    def summary(self):
        lines = [f"{self.outcome}: {self.program.describe()}"]
        for c in self.checks:
            if c["outcome"] not in ("agreed",):
                lines.append(f"  {c['variant']:>12} {c['mode']:<16} {c['outcome']}: {c['group']} {c['detail']}"[:600])
        return "\n".join(lines)


def run_program(program, seed, directory=DIRECTORY, run_known=False):
    """Every check on one program at the inputs the seed gives (or seed + 1, seed + 2 where
    those are within MIN_MARGIN of a kink): a finished Report."""
    report = Report(program, seed)
    module, instr, margins = program.load(directory)
    for attempt in range(3):
        vals = arguments(program, seed + attempt)
        variants = _variants(program, module, instr, vals)
        report.reason = _not_comparable(variants, margins)
        if report.reason is None or report.reason.startswith("f raises"):
            break
    if report.reason is not None:
        if report.reason.startswith("f raises"):  # a program the generator should not have written
            report.outcome = "invalid"
            return report
        return report.finish()
    report.seed = seed + attempt
    program.module = module
    program.overflows = _overflows(module.f, vals["args64"], {})
    constants = {n: (v, v.copy()) for n, v in vars(module).items() if isinstance(v, np.ndarray)}
    for label, fn, _, a64, kw, modes in variants:
        _Checker(report, program, label, fn, a64, kw, vals, modes, run_known, constants).run()
    if program.complex_check:
        _complex_checks(report, program, module.f, vals["args64"], vals, run_known, constants)
    return report.finish()


def _variants(program, module, instr, vals):
    """(label, f, f instrumented, float64 arguments, keyword arguments, the modes run or None for all)."""
    args64 = vals["args64"]
    variants = [("f", module.f, instr.f, args64, {}, None)]
    if "c" in program.defaults:
        variants.append(("f(c)", module.f, instr.f, args64 + (vals["c"],), {}, DEFAULTS_MODES))
        variants.append(("f_c", module.f_c, instr.f_c, args64 + (vals["c"],), {}, DEFAULTS_MODES))
    if "k" in program.defaults:
        variants.append(("f(k=)", module.f, instr.f, args64, {"k": vals["k"]}, DEFAULTS_MODES))
        variants.append(("f_k", module.f_k, instr.f_k, args64, {}, DEFAULTS_MODES))
    return variants


def _overflows(fn, args, kwargs):
    """Whether NumPy overflows (or makes a nan) somewhere inside fn(*args)."""
    events = []
    previous = np.seterrcall(lambda kind, flag: events.append(kind))
    try:
        with np.errstate(over="call", invalid="call", divide="call"):
            _python(fn, kwargs)(*args)
    finally:
        np.seterrcall(previous)
    return bool(events)


def _not_comparable(variants, margins):
    """None, or why f cannot be compared at these inputs: near a kink, not finite, or f raises."""
    for label, fn, fn_instr, a64, kw, _ in variants:
        del margins[:]
        try:
            with np.errstate(all="ignore"):
                value = np.asarray(_python(fn_instr, kw)(*a64))
        except Exception as e:  # noqa: BLE001
            return f"f raises {type(e).__name__}: {e}"
        if margins and min(margins) <= MIN_MARGIN:
            return "near a kink"
        if value.dtype.kind != "f" or not np.all(np.isfinite(value)) or np.max(np.abs(value), initial=0) > 1e4:
            return "not finite or large"
    return None


class _Checker:
    """The checks of one variant (a function and its arguments)."""

    def __init__(self, report, program, label, fn, args64, kwargs, vals, modes, run_known, constants):
        self.report, self.program, self.label, self.fn = report, program, label, fn
        self.constants = constants
        self.kwargs, self.vals, self.run_known = kwargs, vals, run_known
        self.modes = modes
        self.args64 = tuple(args64)
        self.args = _cast(args64, program.dtype)
        self.f32 = program.dtype == "float32"
        self.py = _python(fn, kwargs)
        self.n = len(self.args)
        self.in_dtypes = [np.asarray(a).dtype if isinstance(a, (np.ndarray, np.generic)) else np.dtype(float)
                          for a in self.args]
        with np.errstate(all="ignore"):
            out = self.py(*self.args)
            self.value64 = np.asarray(self.py(*self.args64), dtype=float)
        self.out_dtype = np.asarray(out).dtype
        self.vector = program.out_kind == "arr"

    # -- running one check
    def wanted(self, mode):
        return self.modes is None or mode in self.modes

    def check(self, mode, call, expected, order=1):
        """Run call() and compare with expected (a thunk giving an Exp tree, or None: refusal wanted)."""
        if not self.wanted(mode):
            return None
        known = known_bugs(self.program, self.label, mode)
        if known and not self.run_known:
            self.report.add(self.label, mode, "known bug", ", ".join(known))
            return None
        known_dtype = known_bugs(self.program, self.label, mode, "dtype")
        known += known_dtype
        before = [_copy(a) for a in self.args]
        got, error = _run(call)
        changed = _changed_constants(self.constants)
        if changed:
            self.report.add(self.label, mode, "disagreed", "modified a module-level array", ", ".join(changed), known)
            return None
        if error is not None:
            outcome, group = classify_exception(error)
            self.report.add(self.label, mode, outcome, group, "" if outcome == "refused" else _tb(error), known)
            return None
        for n, (a, b) in enumerate(zip(self.args, before)):
            if isinstance(a, np.ndarray) and not np.array_equal(a, b):
                self.report.add(self.label, mode, "disagreed", "modified the caller's argument", f"argument {n}",
                                known)
                return None
        if expected is None:
            self.report.add(self.label, mode, "disagreed", "returned instead of refusing", repr(got)[:200], known)
            return None
        try:
            exp = expected()
        except _NoReference as e:
            self.report.add(self.label, mode, "not comparable", str(e))
            return got
        if self.f32:
            rtol, atol = 2e-3, 2e-3 * max(1.0, float(np.max(np.abs(self.value64), initial=0)))
        elif order == 1:
            rtol, atol = 1e-5, 1e-6 * max(1.0, float(np.max(np.abs(self.value64), initial=0)))
        else:
            rtol, atol = 1e-4, 1e-5
        bad = compare(got, exp, rtol, atol, dtypes=not (known_dtype and not self.run_known))
        if bad:
            self.report.add(self.label, mode, "disagreed", bad[0], bad[1], known)
            return None
        self.report.add(self.label, mode, "agreed", known=known)
        return got

    # -- references (float64, central differences)
    def cd(self, fn, i):
        """Extrapolated central differences (tests/numeric.py), so a function that curves hard
        near its inputs is not misjudged; where the extrapolation moves the plain difference
        by more than the checks' tolerance, there is no reference."""
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            d, moved = extrapolated_difference(lambda *a: np.asarray(fn(*a), dtype=float), self.args64, i)
            if np.any(moved > 1e-6 * np.maximum(1.0, np.abs(d))):  # not settled at these steps
                raise _NoReference("central differences at two steps disagree: f curves too hard here")
            return d

    def first(self, i):
        if not hasattr(self, "_first"):
            self._first = {}
        if i not in self._first:
            self._first[i] = self.cd(self.py, i)
        return self._first[i]

    def srcdiff_first(self, i):
        """srcdiff's own derivative wrt argument i at float64 (grad for a scalar f, jacrev for a
        vector one), once it agrees with differences of f: the base of the second-order references."""
        if not hasattr(self, "_own"):
            self._own = {}
        if i not in self._own:
            make = srcdiff.jacrev if self.vector else srcdiff.grad
            d = make(self.fn, argnums=i)
            try:
                got = _limited(lambda: d(*self.args64, **self.kwargs))
                ok = compare(got, Exp(self.first(i), ["float64"]), 1e-5,
                             1e-6 * max(1.0, float(np.max(np.abs(self.value64), initial=0)))) is None
            except Exception:  # noqa: BLE001  (reported by the first-order checks)
                ok = False
            self._own[i] = (lambda *a: d(*a, **self.kwargs)) if ok else None
        if self._own[i] is None:
            raise _NoReference(f"srcdiff's first derivative wrt argument {i} is wrong or refused at float64")
        return self._own[i]

    def second(self, i, j):
        """d/d arg j of (d f / d arg i), by differences of srcdiff's first derivative."""
        if not hasattr(self, "_second"):
            self._second = {}
        if (i, j) not in self._second:
            self._second[(i, j)] = self.cd(self.srcdiff_first(i), j)
        return self._second[(i, j)]

    def din(self, i):
        return [self.in_dtypes[i]]

    def dout(self, i=0):
        """f's output dtype, or argument i's, or x's: srcdiff follows JAX, where a NumPy function of
        Python floats (np.minimum(0.25, 0.7), np.sin(1.3)) is weakly typed and does not promote
        float32, as it does in NumPy, so f's output in JAX's rule may be x's dtype where NumPy's is
        float64 (a jacfwd block wrt a Python float y then has x's dtype)."""
        allowed = [self.out_dtype, self.in_dtypes[i], self.in_dtypes[0]]
        if "builtin_extremum" in self.program.tags:
            # Python's max(a, b) returns the winner as it is, a float32 or a float64 by the data;
            # srcdiff's is NumPy's np.maximum, their promotion (README: Worth knowing)
            allowed.append(np.dtype(np.float64))
        return allowed

    # -- the modes
    def run(self):
        if self.vector:
            return self.run_vector()
        f, a, kw, n = self.fn, self.args, self.kwargs, self.n
        value = Exp(self.value64, self.dout(0))
        scalar_x = self.program.x_kind == "scal"
        self.check("grad", lambda: srcdiff.grad(f)(*a, **kw), lambda: Exp(self.first(0), self.din(0)))
        if n >= 2:
            self.check("grad(0,1)", lambda: srcdiff.grad(f, argnums=(0, 1))(*a, **kw),
                       lambda: (Exp(self.first(0), self.din(0)), Exp(self.first(1), self.din(1))))
        self.check("value_and_grad", lambda: srcdiff.value_and_grad(f)(*a, **kw),
                   lambda: (value, Exp(self.first(0), self.din(0))))
        t = self.vals["tangents"] + ((0.4,) if n > len(self.vals["tangents"]) else ())
        t = tuple(_cast(t, self.program.dtype)) if self.f32 else t
        tan = lambda: sum(np.sum(self.first(i) * np.asarray(t[i], dtype=float)) for i in range(n))  # noqa: E731
        if not kw:  # jvp and vjp take no keyword arguments for f (JAX's neither)
            self.check("jvp", lambda: srcdiff.jvp(f, a, t), lambda: (value, Exp(tan(), self.dout(0))))
            self.check("vjp", lambda: _vjp(f, a, 0.7),
                       lambda: tuple(Exp(0.7 * self.first(i), self.din(i)) for i in range(n)))
        self.check_jacobians()
        # second order
        h00 = lambda: Exp(self.second(0, 0), self.din(0))  # noqa: E731
        self.check("hessian", lambda: srcdiff.hessian(f)(*a, **kw), h00, 2)
        if n >= 2:
            self.check("hessian(0,1)", lambda: srcdiff.hessian(f, argnums=(0, 1))(*a, **kw),
                       lambda: tuple(tuple(Exp(self.second(i, j), self.din(i)) for j in (0, 1)) for i in (0, 1)), 2)
        self.check("jacfwd(grad)", lambda: srcdiff.jacfwd(srcdiff.grad(f))(*a, **kw), h00, 2)
        self.check("jacrev(grad)", lambda: srcdiff.jacrev(srcdiff.grad(f))(*a, **kw), h00, 2)
        self.check("jacfwd(jacrev)", lambda: srcdiff.jacfwd(srcdiff.jacrev(f))(*a, **kw), h00, 2)
        self.check("jacrev(jacrev)", lambda: srcdiff.jacrev(srcdiff.jacrev(f))(*a, **kw), h00, 2)
        if scalar_x:
            gg = self.check("grad(grad)", lambda: srcdiff.grad(srcdiff.grad(f))(*a, **kw), h00, 2)
            if gg is not None and not self.f32:  # third order, against differences of grad(grad(f))
                self.check("grad(grad(grad))", lambda: srcdiff.grad(srcdiff.grad(srcdiff.grad(f)))(*a, **kw),
                           lambda: Exp(self.cd(lambda *b: srcdiff.grad(srcdiff.grad(f))(*b, **kw), 0), self.din(0)), 2)
        if self.label == "f" and self.program.inner:
            # srcdiff.grad(f) and srcdiff.jvp(f, ...) written inside a function that is differentiated
            direction = np.array([0.5, -1.0, 2.0]) if not scalar_x else 1.0  # ARR, or 1.0 (tests/random/fuzz_higher.py)
            weight = direction if not scalar_x else 0.5
            module = self.program.module
            self.check("grad(inner grad)", lambda: srcdiff.grad(module.f_inner_grad)(*a),
                       lambda: Exp(_pull(np.asarray(weight), self.second(0, 0)), self.din(0)), 2)
            self.check("grad(inner jvp)", lambda: srcdiff.grad(module.f_inner_jvp)(*a),
                       lambda: Exp(_apply(self.second(0, 0), direction), self.din(0)), 2)
        if not kw:
            g = srcdiff.grad(f)
            self.check("jvp(grad)", lambda: srcdiff.jvp(g, a, t),
                       lambda: (Exp(self.first(0), self.din(0)),
                                Exp(sum(_apply(self.second(0, j), t[j]) for j in range(n)), self.din(0))), 2)
            u = self.vals["cotangent"] if not scalar_x else 0.7
            u = np.asarray(u, dtype=self.in_dtypes[0]) if not scalar_x else u
            self.check("vjp(grad)", lambda: _vjp(g, a, u),
                       lambda: tuple(Exp(_pull(u, self.second(0, j)), self.din(j))
                                     for j in range(n)), 2)

    def check_jacobians(self):
        """jacfwd, jacrev and jacobian of f, wrt x, (x, y) and y, against differences of f."""
        f, a, kw, n = self.fn, self.args, self.kwargs, self.n
        for mode, make in (("jacfwd", srcdiff.jacfwd), ("jacrev", srcdiff.jacrev), ("jacobian", srcdiff.jacobian)):
            allowed = self.dout(0) if mode != "jacrev" else self.din(0)
            self.check(mode, lambda make=make: make(f)(*a, **kw), lambda allowed=allowed: Exp(self.first(0), allowed))
            if n >= 2:
                self.check(f"{mode}(0,1)", lambda make=make: make(f, argnums=(0, 1))(*a, **kw),
                           lambda mode=mode: tuple(Exp(self.first(i), self.dout(i) if mode != "jacrev" else self.din(i))
                                                   for i in (0, 1)))
        if n >= 2:
            self.check("jacrev(1)", lambda: srcdiff.jacrev(f, argnums=1)(*a, **kw),
                       lambda: Exp(self.first(1), self.din(1)))

    def run_vector(self):
        f, a, kw, n = self.fn, self.args, self.kwargs, self.n
        value = Exp(self.value64, self.dout(0))
        self.check_jacobians()
        t = self.vals["tangents"] + ((0.4,) if n > len(self.vals["tangents"]) else ())
        t = tuple(_cast(t, self.program.dtype)) if self.f32 else t
        if not kw:
            self.check("jvp", lambda: srcdiff.jvp(f, a, t),
                       lambda: (value, Exp(sum(_apply(self.first(i), t[i]) for i in range(n)), self.dout(0))))
            u = self.vals["cotangent"].astype(self.out_dtype)
            self.check("vjp", lambda: _vjp(f, a, u),
                       lambda: tuple(Exp(_pull(u, self.first(i)), self.din(i)) for i in range(n)))
        self.check("grad", lambda: srcdiff.grad(f)(*a, **kw), None)  # a vector output: refused
        for mode in VECTOR_SECOND:
            outer, inner = mode[:6], mode[7:-1]
            make = lambda outer=outer, inner=inner: getattr(srcdiff, outer)(getattr(srcdiff, inner)(f))  # noqa: E731
            # jacfwd(X) has X's output dtype (JAX): the input's for jacrev, the output's or the input's for jacfwd
            self.check(mode, lambda make=make: make()(*a, **kw), lambda: Exp(self.second(0, 0), self.dout(0)), 2)


def _run(call):
    """(result, None) or (None, the exception call raised)."""
    try:
        return _limited(call), None
    except Exception as e:  # noqa: BLE001  (classified by the caller)
        return None, e
    except Hang as e:
        return None, e


def _changed_constants(constants):
    """The module-level arrays a call changed (f reads them as constants), each restored."""
    changed = []
    for name, (array, pristine) in constants.items():
        if array.shape != pristine.shape or not np.array_equal(array, pristine):
            changed.append(name)
            array[...] = pristine
    return changed


def _vjp(f, a, u):
    out, pullback = srcdiff.vjp(f, *a)
    return pullback(u)


class _NoReference(Exception):
    pass


def _apply(jac, t):
    """J @ t for J of shape out + in."""
    t = np.asarray(t, dtype=float)
    return np.tensordot(jac, t, axes=t.ndim) if t.ndim else jac * float(t)


def _pull(u, jac):
    """u @ J for J of shape out + in."""
    u = np.asarray(u, dtype=float)
    return np.tensordot(u, jac, axes=u.ndim) if u.ndim else jac * float(u)


def _tb(e):
    frames = traceback.extract_tb(e.__traceback__)
    return " | ".join(f"{os.path.basename(fr.filename)}:{fr.lineno} {fr.name}" for fr in frames[-4:])


def _complex_checks(report, program, f, args64, vals, run_known, constants):
    """Complex x: each mode refuses (TypeError, or a located SrcdiffError) or gives JAX's answer:
    jvp the derivative along the (complex) tangent, vjp for f holomorphic in x ct * df/dx (the
    real part for a real y); grad, value_and_grad and the Jacobians refuse in JAX (without
    holomorphic=True), so their returning is a failure."""
    x = args64[0]
    xc = x + 1j * np.asarray(vals["imag"]) if np.ndim(x) else complex(x, vals["imag"])
    a = (xc,) + tuple(args64[1:])
    t0 = vals["tangents"][0]
    tc = (np.asarray(t0) * (1 + 0.5j) if np.ndim(t0) else complex(t0, 0.5 * t0),) + tuple(vals["tangents"][1:])
    ct = np.ones(3) if program.out_kind == "arr" else 1.0
    py = _python(f, {})
    calls = {
        "grad": lambda: srcdiff.grad(f)(*a),
        "value_and_grad": lambda: srcdiff.value_and_grad(f)(*a),
        "jvp": lambda: srcdiff.jvp(f, a, tc),
        "vjp": lambda: srcdiff.vjp(f, *a)[1](ct),
        "jacfwd": lambda: srcdiff.jacfwd(f)(*a),
        "jacrev": lambda: srcdiff.jacrev(f)(*a),
        "jacobian": lambda: srcdiff.jacobian(f)(*a),
        "hessian": lambda: srcdiff.hessian(f)(*a),
    }

    def along(direction):
        """d/ds f(a + s direction) for real s, by central differences."""
        eps = 1e-6
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            hi = np.asarray(py(*[p + eps * q for p, q in zip(a, direction)]))
            lo = np.asarray(py(*[p - eps * q for p, q in zip(a, direction)]))
        return (hi - lo) / (2 * eps)

    def unit(i, k, scale):
        d = [np.zeros_like(p) if np.ndim(p) else 0.0 for p in a]
        if np.ndim(a[i]):
            d[i] = d[i].copy()
            d[i][k] = scale
        else:
            d[i] = scale
        return d

    for mode in COMPLEX_MODES:
        label = "f(complex)"
        known = known_bugs(program, label, mode)
        if known and not run_known:
            report.add(label, mode, "known bug", ", ".join(known))
            continue
        before = _copy(xc)
        got, error = _run(calls[mode])
        changed = _changed_constants(constants)
        if changed:
            report.add(label, mode, "disagreed", "modified a module-level array", ", ".join(changed), known)
            continue
        if error is not None:
            outcome, group = classify_exception(error)
            report.add(label, mode, outcome, group, "" if outcome == "refused" else _tb(error), known)
            continue
        if isinstance(xc, np.ndarray) and not np.array_equal(xc, before):
            report.add(label, mode, "disagreed", "modified the caller's argument", "", known)
            continue
        if mode == "jvp":
            expected, value = along(tc), np.asarray(got[1])
        elif mode == "vjp":
            cells = list(np.ndindex(np.shape(xc)))
            d_real = [along(unit(0, k, 1.0)) for k in cells]
            d_imag = [along(unit(0, k, 1.0j)) for k in cells]
            if not all(np.allclose(di, 1j * dr, rtol=1e-5, atol=1e-6) for dr, di in zip(d_real, d_imag)):
                report.add(label, mode, "not comparable", "f is not holomorphic in x: JAX's vjp not computed")
                continue
            grads = [np.sum(np.asarray(ct) * dr) for dr in d_real]
            expected = (np.array(grads).reshape(np.shape(xc)),) + tuple(
                np.real(np.sum(np.asarray(ct) * along(unit(i, (), 1.0)))) for i in range(1, len(a)))
            value = got
        else:
            report.add(label, mode, "disagreed", "returned for a complex input (JAX refuses it)", repr(got)[:200],
                       known)
            continue
        bad = compare(value, _exp_tree(expected), 1e-5, 1e-6, dtypes=False)
        if bad:
            report.add(label, mode, "disagreed", f"{bad[0]} (complex input)", bad[1], known)
        else:
            report.add(label, mode, "agreed", known=known)


def _exp_tree(v):
    if isinstance(v, tuple):
        return tuple(_exp_tree(x) for x in v)
    e = Exp(0.0, ["complex128"])
    e.value = np.asarray(v, dtype=complex)
    return e


# ---------------------------------------------------------------------------------------
# The test

fuzz = settings(max_examples=EXAMPLES, deadline=None,  # derandomized unless asked (tests/conftest.py)
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large,
                                       HealthCheck.large_base_example])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@fuzz
@given(programs(), inputs)
def test_program_every_mode(program, seed):
    note(repr(program))
    report = run_program(program, seed)
    note(f"seed = {report.seed}: {arguments(program, report.seed)['args64']!r}")
    note(report.summary())
    event(f"program {report.outcome}")
    for c in report.checks:
        if c["outcome"] == "refused":
            event(f"refused: {c['group'][:100]}")
    assert report.outcome != "invalid", f"the generator wrote a program f cannot run: {report.reason}"
    assert not report.failures(), report.summary()


# ---------------------------------------------------------------------------------------
# The minimal reproductions (tests/random/higher_repros.py): an open one (its KNOWN_BUGS entry is
# still here) is a strict xfail, so its fix makes it pass and the entry has to go; the
# others are regression tests.

from . import higher_repros as _repros  # noqa: E402


def _repro_params():
    for name, (_, _, _, known) in sorted(_repros.REPROS.items()):
        if known is not None and known in KNOWN_BUGS:
            yield pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=f"open: KNOWN_BUGS[{known!r}]"))
        else:
            yield name


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", list(_repro_params()))
def test_repro(name, tmp_path):
    problem = _repros.failure(name, str(tmp_path))
    assert problem is None, problem


def test_every_known_bug_has_a_repro():
    filed = {known for (_, _, _, known) in _repros.REPROS.values()}
    assert set(KNOWN_BUGS) <= filed, sorted(set(KNOWN_BUGS) - filed)
    assert filed - {None} <= set(KNOWN_BUGS), f"fixed, so known must be None: {sorted(filed - {None} - set(KNOWN_BUGS))}"
