"""The vmap tester: random programs through srcdiff.vmap, against a Python loop over the batch.

The programs are the other random testers' (tests/random/fuzz_programs.py: `f(x, y)`, x a
float64 array of shape (3,), y a Python float, a scalar out; tests/random/fuzz_higher.py:
x a float or a shape-(3,) array, float64 or float32, sometimes a float y, a default c
(passed positionally here, some of the time), a scalar or a shape-(3,) output). For each
program a seed (a NumPy generator) chooses, per vmap level, which positional arguments
are batched and along which axis (0, -1, or any other valid one), the batch size (1..5)
and the output axis (0, -1, or another valid one; for a tuple output an int or a tuple),
and the checks:

- "vmap": `srcdiff.vmap(f, in_axes, out_axes)(*batched)` against `np.stack([f(*args_b) for
  b in range(B)], axis=out_axes)`, f the plain Python function run per element;
- "vmap(grad)" (a scalar f): `srcdiff.vmap(srcdiff.grad(f, argnums=k), ...)` against the loop
  over `srcdiff.grad(f, argnums=k)` per element (k an int, or a tuple of two);
- "vmap(vmap)" / "vmap(vmap(grad))": two levels, each with its own batch size, axes and
  output axis, against the nested loop;
- "jacfwd(vmap)" / "jacrev(vmap)": the Jacobian of the batched function wrt one argument,
  against the per-element Jacobians (srcdiff's, the same mode) placed block-diagonally;
- "grad(vmap inside)": `srcdiff.grad` of a module-level function that returns
  `np.sum(srcdiff.vmap(f, in_axes=...)(...))`, against the sum (unbatched argument) or the
  stack (batched argument) of the per-element gradients.

Batched inputs stack B random draws along their axis; every element is kept more than
MIN_MARGIN from the kinks of f (redrawn otherwise, as the other testers' inputs are) and
finite. Each check is a function pair written into a real module (`got_N()` and
`expected_N()`, after the program's source and the arguments as literals), so the file a
failure is reported with is exactly what ran: `python FILE` reruns the failing checks.

Outcomes of a check: "agreed"; "refused" (a SrcdiffError naming file:line that does not
say "internal error"; marked "[suspicious]" where the message is NumPy's or names an
internal primitive); "not comparable" (the reference could not be computed: the
per-element grad/Jacobian refused, the inputs sat on kinks); "failed": a wrong value,
shape, structure or dtype, the caller's arguments modified, an internal error, a
SrcdiffError without a location, any other exception (srcdiff's own, or the emitted
code's), a hang. Tolerances are the differential tester's for agreeing modes of one
computation (rtol 1e-9, atol 1e-9 times the output's scale; float32 programs 2e-3).

    python -m tests.random.fuzz_vmap_survey N OUT_DIRECTORY SEED      # a survey
    python -m pytest tests/random/test_vmap_fuzz.py                    # the fixed-seed batch
"""
import hashlib
import inspect
import itertools
import os
import re
import tempfile
import traceback

import numpy as np
from hypothesis import strategies as st

import srcdiff
from srcdiff import SrcdiffError

from . import fuzz_higher, fuzz_programs
from .fuzz_higher import HigherProgram
from .test_higher_fuzz import LOCATED, SUSPICIOUS, Exp, Hang, _limited, _short, _where, compare
from .test_higher_fuzz import arguments as _higher_arguments
from tests.numeric import import_file

DIRECTORY = tempfile.mkdtemp(prefix="srcdiff_vmap_fuzz_")
MIN_MARGIN = 1e-3
MAX_BATCH = 5
TOLERANCE = {"float64": (1e-9, 1e-9), "float32": (2e-3, 2e-3)}  # rtol, atol (times max(1, |expected|))

# the programs: either generator's, and a seed for everything vmap-specific
programs = st.one_of(fuzz_programs.programs(), fuzz_higher.programs())
seeds = st.integers(0, 2 ** 32 - 1)


def vmap_available():
    return callable(getattr(srcdiff, "vmap", None))


# ---------------------------------------------------------------------------------------
# What the generated module holds besides the program: helpers its checks call


def _element(args, axes, kinds, idx):
    """The arguments of one element of the batch: idx has one index per vmap level (outermost
    first); axes[level][i] is argument i's batch axis at that level (None: not batched there).
    Each is a fresh copy (f may write into its arguments), a Python float where f takes one."""
    out = []
    for i, a in enumerate(args):
        for level, b in zip(axes, idx):
            if level[i] is not None:
                a = np.take(a, b, axis=level[i])
        out.append(float(a) if kinds[i] == "float" else np.float32(a) if kinds[i] == "float32"
                   else np.array(a, copy=True))
    return out


def _stack(items, axis):
    """np.stack of per-element outputs along axis; a tuple output leaf by leaf (axis an int for
    every leaf, or a tuple of them)."""
    if isinstance(items[0], tuple):
        axes = axis if isinstance(axis, tuple) else (axis,) * len(items[0])
        return tuple(_stack([t[n] for t in items], axes[n]) for n in range(len(items[0])))
    return np.stack([np.asarray(v) for v in items], axis=axis)


def _block_diagonal(blocks, out_axis, out_rank, arg_axis, arg_rank):
    """The Jacobian of a batched function from its per-element blocks: element b's block sits at
    index b of the output's batch axis (out_axis, of out_rank dimensions) and, for a batched
    argument, of the argument's (arg_axis, of arg_rank dimensions; None: the argument is not
    batched, every element's block fills it all)."""
    blocks = [np.asarray(j) for j in blocks]
    b_count = len(blocks)
    out_shape = list(blocks[0].shape[:out_rank - 1])
    out_shape.insert(out_axis, b_count)
    arg_shape = list(blocks[0].shape[out_rank - 1:])
    if arg_axis is not None:
        arg_shape.insert(arg_axis, b_count)
    jac = np.zeros(out_shape + arg_shape, dtype=np.result_type(*blocks))
    for b, block in enumerate(blocks):
        index = [slice(None)] * jac.ndim
        index[out_axis] = b
        if arg_axis is not None:
            index[out_rank + arg_axis] = b
        jac[tuple(index)] = block
    return jac


MODULE_HELPERS = "\n\n".join(inspect.getsource(fn) for fn in (_element, _stack, _block_diagonal))


# ---------------------------------------------------------------------------------------
# A program as this tester sees it


class Param:
    def __init__(self, name, shape, dtype, kind):
        self.name, self.shape, self.dtype = name, shape, dtype
        self.kind = kind  # "float" (a Python float) | "float32" (a NumPy float32 scalar) | "array"
        self.rank = len(shape)


class Invalid(Exception):
    """The generated f raises at inputs the generator meant it for: a generator bug."""


class Subject:
    """f, its positional parameters, its instrumented twin (which records the distance to each kink)."""

    def __init__(self, program, rng, directory=DIRECTORY):
        self.program = program
        self.higher = isinstance(program, HigherProgram)
        if self.higher:
            module, instr, self.margins = program.load(directory)
            self.f_instr = instr.f
            scal = program.x_kind == "scal"
            self.params = [Param("x", () if scal else (3,), program.dtype,
                                 "array" if not scal else "float" if program.dtype == "float64" else "float32")]
            if program.has_y:
                self.params.append(Param("y", (), "float64", "float"))
            if "c" in program.defaults and rng.integers(0, 2):
                self.params.append(Param("c", (), "float64", "float"))  # the default, passed (and batched)
            self.out_rank = 0 if program.out_kind == "scal" else 1
            self.dtype = program.dtype
            self.tags = program.tags
            self.describe = program.describe()
        else:
            _, self.f_instr, self.margins = program.load(directory)
            self.params = [Param("x", (3,), "float64", "array"), Param("y", (), "float64", "float")]
            self.out_rank = 0
            self.dtype = "float64"
            self.tags = frozenset()
            self.describe = "fuzz_programs: x array float64, y float, out scalar"
        self.source = "import numpy as np\n\nimport srcdiff\n" + program.source.replace("import numpy as np\n", "", 1)

    @property
    def n(self):
        return len(self.params)

    def draw(self, i, rng):
        """A random value of parameter i: uniform(-1, 1) (x as the generators' testers draw it)."""
        p = self.params[i]
        if i == 0 and self.higher:
            x = _higher_arguments(self.program, int(rng.integers(2 ** 32)))["args64"][0]
            if p.kind == "float32":
                return np.float32(x)
            return np.asarray(x, dtype=p.dtype) if p.kind == "array" else float(x)
        if p.shape:
            return rng.uniform(-1.0, 1.0, p.shape)
        return float(rng.uniform(-1.0, 1.0))

    def comparable(self, args):
        """Whether f at args is more than MIN_MARGIN from every kink and finite (Invalid if it raises)."""
        del self.margins[:]
        try:
            with np.errstate(all="ignore"):
                value = np.asarray(self.f_instr(*[a.copy() if isinstance(a, np.ndarray) else a for a in args]))
        except Exception as e:  # noqa: BLE001
            raise Invalid(f"f raises {type(e).__name__}: {e}") from e
        if self.margins and min(self.margins) <= MIN_MARGIN:
            return False
        return value.dtype.kind == "f" and bool(np.all(np.isfinite(value))) and \
            float(np.max(np.abs(value), initial=0.0)) <= 1e4


# ---------------------------------------------------------------------------------------
# Batches: which arguments each vmap level batches, along which axis, and the values


def _axis(rng, rank):
    """A batch axis for an array of rank + 1 dimensions: 0 or -1 mostly, any other valid one too."""
    options = [0, 0, 0, -1, -1] + list(range(1, rank + 1)) + list(range(-rank - 1, -1))
    return int(options[rng.integers(len(options))])


class Level:
    """One vmap: its batch size, each argument's batch axis (None: not batched), the in_axes and
    out_axes given to srcdiff.vmap (None where the default is left to apply)."""

    def __init__(self, size, axes, in_axes, out_axes):
        self.size, self.axes, self.in_axes, self.out_axes = size, axes, in_axes, out_axes

    def out_axes_value(self):
        return 0 if self.out_axes is None else self.out_axes

    def keywords(self):
        parts = []
        if self.in_axes is not None:
            parts.append(f"in_axes={self.in_axes!r}")
        if self.out_axes is not None:
            parts.append(f"out_axes={self.out_axes!r}")
        return "".join(", " + p for p in parts)


def draw_levels(subject, rng, depth, out_ranks, must_batch=None):
    """depth Levels (outermost first). out_ranks: the rank of each leaf of the function's output
    per element (an int, or a tuple for a tuple output). must_batch: an argument every level batches."""
    n = subject.n
    levels = [None] * depth
    deeper = [0] * n  # how many levels inside this one batch argument i
    for l in reversed(range(depth)):
        batched = [bool(rng.random() < 0.7) or i == must_batch for i in range(n)]
        if not any(batched):
            batched[int(rng.integers(n))] = True
        axes = []
        for i, p in enumerate(subject.params):
            axes.append(_axis(rng, p.rank + deeper[i]) if batched[i] else None)
        for i in range(n):
            deeper[i] += batched[i]
        inner = depth - 1 - l  # levels inside this one: each adds a dimension to every output leaf
        if isinstance(out_ranks, tuple):
            if rng.random() < 0.5:
                out_axes = int([0, -1][rng.integers(2)])
            else:
                out_axes = tuple(_axis(rng, r + inner) for r in out_ranks)
        else:
            out_axes = _axis(rng, out_ranks + inner)
        # in_axes as srcdiff.vmap takes it: a tuple, an int for all, or left to default to 0
        in_axes = tuple(axes)
        same = len(set(axes)) == 1 and axes[0] is not None
        if same and rng.random() < 0.35:
            in_axes = axes[0] if axes[0] != 0 or rng.random() < 0.5 else None
        if out_axes == 0 and rng.random() < 0.5:
            out_axes = None
        levels[l] = Level(int(rng.integers(1, MAX_BATCH + 1)), axes, in_axes, out_axes)
    # two levels with one size would hide an axis mixed up between them
    if depth == 2 and levels[0].size == levels[1].size:
        levels[0].size = levels[0].size % MAX_BATCH + 1
    return levels


class Batch:
    """The batched arguments of nested vmaps (levels outermost first), built from random draws:
    argument i varies along the levels that batch it and is one value across the others."""

    def __init__(self, subject, levels, rng):
        self.subject, self.levels, self.rng = subject, levels, rng
        self.draws = {}
        self.build()

    def _key(self, i, idx):
        return (i,) + tuple(b for level, b in zip(self.levels, idx) if level.axes[i] is not None)

    def _value(self, i, idx):
        key = self._key(i, idx)
        if key not in self.draws:
            self.draws[key] = self.subject.draw(i, self.rng)
        return self.draws[key]

    def _array(self, i, level, idx):
        if level == len(self.levels):
            return self._value(i, idx)
        axis = self.levels[level].axes[i]
        if axis is None:
            return self._array(i, level + 1, idx + (0,))
        return np.stack([np.asarray(self._array(i, level + 1, idx + (b,))) for b in range(self.levels[level].size)],
                        axis=axis)

    def build(self):
        self.args = tuple(self._array(i, 0, ()) for i in range(self.subject.n))

    @property
    def axes(self):
        return [level.axes for level in self.levels]

    @property
    def kinds(self):
        return [p.kind for p in self.subject.params]

    def indices(self):
        return itertools.product(*[range(level.size) for level in self.levels])

    def element(self, idx):
        return _element(self.args, self.axes, self.kinds, idx)

    def make_comparable(self, rounds=12):
        """Redraw the elements near a kink (or not finite) until none is; False if some still is."""
        for attempt in range(rounds):
            bad = [idx for idx in self.indices() if not self.subject.comparable(self.element(idx))]
            if not bad:
                return True
            if attempt >= rounds // 2:  # the kink may be in the arguments no level batches: all anew
                self.draws.clear()
            for idx in bad:
                for i in range(self.subject.n):
                    if any(level.axes[i] is not None for level in self.levels):
                        self.draws.pop(self._key(i, idx), None)
            self.build()
        return False


# ---------------------------------------------------------------------------------------
# The checks, written as code


def _literal(v):
    if isinstance(v, np.ndarray):
        return f"np.array({v.tolist()!r}, dtype=np.{v.dtype})"
    if isinstance(v, np.generic):
        return f"np.{type(v).__name__}({v.item()!r})"
    return repr(v)


class Check:
    """One check: its name, its number n in the module (got_n, expected_n), a description of
    the call, its batch and its code."""

    def __init__(self, name, n, call, batch, code):
        self.name, self.n, self.call, self.batch, self.code = name, n, call, batch, code
        self.outcome = self.group = self.detail = None

    def batches_a_float(self):
        """Whether a Python float argument is batched here (then a float64 array, which promotes)."""
        return self.batch is not None and any(
            k == "float" and any(level.axes[i] is not None for level in self.batch.levels)
            for i, k in enumerate(self.batch.kinds))


def _args_code(n, batch):
    args = ", ".join(_literal(a) for a in batch.args) + ("," if len(batch.args) == 1 else "")
    return (f"ARGS_{n} = ({args})\n"
            f"AXES_{n} = {batch.axes!r}  # per vmap level (outermost first), each argument's batch axis\n"
            f"KINDS_{n} = {batch.kinds!r}\n")


def _wrapped(inner, levels):
    """The srcdiff.vmap calls around inner, the innermost level's vmap applied first."""
    expr = inner
    for level in reversed(levels):
        expr = f"srcdiff.vmap({expr}{level.keywords()})"
    return expr


def _nested_reference(n, per_element, levels):
    """The loops over every level, stacking along each level's output axis."""
    names = [f"b{l}" for l in range(len(levels))]
    expr = f"{per_element}(*_element(ARGS_{n}, AXES_{n}, KINDS_{n}, ({', '.join(names)},)))"
    for l in reversed(range(len(levels))):
        expr = f"_stack([{expr} for {names[l]} in range({levels[l].size})], {levels[l].out_axes_value()!r})"
    return expr


def _grad_argnums(subject, rng):
    if subject.n >= 2 and rng.random() < 0.25:
        pair = sorted(rng.choice(subject.n, 2, replace=False).tolist())
        return tuple(int(i) for i in pair)
    return int(rng.integers(subject.n))


def _leaf_ranks(subject, argnums):
    if isinstance(argnums, tuple):
        return tuple(subject.params[i].rank for i in argnums)
    return subject.params[argnums].rank


def nested_check(subject, rng, n, name, depth, argnums=None):
    """vmap (of vmap) of f or of grad(f, argnums)."""
    inner = "f" if argnums is None else f"srcdiff.grad(f, argnums={argnums!r})"
    per_element = "f" if argnums is None else f"srcdiff.grad(f, argnums={argnums!r})"
    ranks = subject.out_rank if argnums is None else _leaf_ranks(subject, argnums)
    levels = draw_levels(subject, rng, depth, ranks)
    batch = Batch(subject, levels, rng)
    if not batch.make_comparable():
        return None
    call = _wrapped(inner, levels)
    code = (_args_code(n, batch) + f"\n\ndef got_{n}():\n    return {call}(*ARGS_{n})\n\n\n"
            f"def expected_{n}():\n    return {_nested_reference(n, per_element, levels)}\n")
    return Check(name, n, call, batch, code)


def _one_level(subject, rng):
    """(an argument k, one vmap level, its batch, the level) drawn for a check, or None where
    the batch drawn is not comparable."""
    k = int(rng.integers(subject.n))
    levels = draw_levels(subject, rng, 1, subject.out_rank)
    batch = Batch(subject, levels, rng)
    if not batch.make_comparable():
        return None
    return k, levels, batch, levels[0]


def jacobian_check(subject, rng, n, mode):
    """jacfwd or jacrev of vmap(f) wrt one argument, against srcdiff's per-element Jacobians."""
    drawn = _one_level(subject, rng)
    if drawn is None:
        return None
    k, levels, batch, level = drawn
    out_axis = level.out_axes_value() % (subject.out_rank + 1)
    arg_axis = level.axes[k]
    arg_rank = subject.params[k].rank + (arg_axis is not None)
    if arg_axis is not None:
        arg_axis %= arg_rank
    call = f"srcdiff.{mode}({_wrapped('f', levels)}, argnums={k})"
    code = (_args_code(n, batch) + f"\n\ndef got_{n}():\n    return {call}(*ARGS_{n})\n\n\n"
            f"def expected_{n}():\n"
            f"    blocks = [srcdiff.{mode}(f, argnums={k})(*_element(ARGS_{n}, AXES_{n}, KINDS_{n}, (b,)))\n"
            f"              for b in range({level.size})]\n"
            f"    return _block_diagonal(blocks, {out_axis}, {subject.out_rank + 1}, {arg_axis!r}, {arg_rank})\n")
    return Check(mode + "(vmap)", n, call, batch, code)


def inside_check(subject, rng, n):
    """grad of a function that sums srcdiff.vmap(f, ...)(...): vmap inside differentiated code."""
    drawn = _one_level(subject, rng)
    if drawn is None:
        return None
    k, levels, batch, level = drawn
    params = ", ".join(p.name for p in subject.params)
    if subject.out_rank == 0:
        per_element = f"srcdiff.grad(f, argnums={k})"
    else:  # the gradient of np.sum(f(...)): the Jacobian's rows summed
        per_element = f"(lambda *a: np.sum(srcdiff.jacrev(f, argnums={k})(*a), axis=0))"
    gathered = (f"np.stack([np.asarray(g) for g in grads], axis={level.axes[k]})" if level.axes[k] is not None
                else "sum(grads[1:], grads[0])")
    call = f"srcdiff.grad(f_vsum_{n}, argnums={k})"
    code = (_args_code(n, batch) +
            f"\n\ndef f_vsum_{n}({params}):\n    return np.sum({_wrapped('f', levels)}({params}))\n\n\n"
            f"def got_{n}():\n    return {call}(*ARGS_{n})\n\n\n"
            f"def expected_{n}():\n"
            f"    grads = [{per_element}(*_element(ARGS_{n}, AXES_{n}, KINDS_{n}, (b,))) for b in range({level.size})]\n"
            f"    return {gathered}\n")
    return Check("grad(vmap inside)", n, f"{call} with f_vsum_{n} = np.sum({_wrapped('f', levels)}(...))", batch, code)


def choose_checks(subject, rng):
    """The checks of one program, each with its own random batch."""
    scalar = subject.out_rank == 0
    plan = [("vmap", 1, None)]
    if scalar and rng.random() < 0.7:
        plan.append(("vmap(grad)", 1, _grad_argnums(subject, rng)))
    if rng.random() < 0.35:
        if scalar and rng.random() < 0.3:
            plan.append(("vmap(vmap(grad))", 2, _grad_argnums(subject, rng)))
        else:
            plan.append(("vmap(vmap)", 2, None))
    checks = []

    def add(name, make):  # make(n): a Check, or None where every batch drawn sat on a kink
        check = make(len(checks))
        if check is None:
            check = Check(name, len(checks), "", None, "")
            check.outcome, check.group = "not comparable", "every batch drawn sits on a kink"
        checks.append(check)

    for name, depth, argnums in plan:
        add(name, lambda n, name=name, depth=depth, argnums=argnums:
            nested_check(subject, rng, n, name, depth, argnums))
    if rng.random() < 0.25:
        mode = ["jacfwd", "jacrev"][rng.integers(2)]
        add(mode + "(vmap)", lambda n: jacobian_check(subject, rng, n, mode))
    if rng.random() < 0.25:
        add("grad(vmap inside)", lambda n: inside_check(subject, rng, n))
    return checks


# ---------------------------------------------------------------------------------------
# Running the checks


def classify_exception(e):
    """("refused" | "failed", a one-line group). Only a located SrcdiffError that is not an
    internal error is a refusal."""
    if isinstance(e, Hang):
        return "failed", "hang"
    first = str(e).strip().splitlines()[0] if str(e).strip() else ""
    if isinstance(e, SrcdiffError):
        if "internal error" in str(e):
            cause = e.__cause__ or e.__context__
            inner = f"{type(cause).__name__}: {_short(str(cause))}" if cause is not None else _short(first)
            return "failed", f"internal error {inner}{_where(cause) if cause is not None else ''}"
        if e.loc is None or not LOCATED.search(first):
            return "failed", f"{type(e).__name__} without a location: {_short(first)}{_where(e)}"
        group = f"{type(e).__name__}: {_short(e.message.splitlines()[0] if e.message else '')}"
        group = re.sub(r"\b([a-z]+\d+)\[[\d, ]*\]", r"\1[..]", group)  # list[f64[4,3]]: one group for any batch
        return "refused", ("[suspicious] " if SUSPICIOUS.search(e.message) else "") + group
    return "failed", f"{type(e).__name__}: {_short(first)}{_where(e)}"


def _traceback(e):
    return "".join(traceback.format_exception(type(e), e, e.__traceback__))[-4000:]


def _copy_tree(v):
    return tuple(_copy_tree(a) for a in v) if isinstance(v, tuple) else (v.copy() if isinstance(v, np.ndarray) else v)


def _same(a, b):
    return all(np.array_equal(x, y) and np.shape(x) == np.shape(y) for x, y in zip(a, b))


def _expected_tree(value, dtypes_extra):
    if isinstance(value, tuple):
        return tuple(_expected_tree(v, dtypes_extra) for v in value)
    value = np.asarray(value)
    return Exp(value, [value.dtype] + list(dtypes_extra))


class ProgramRun:
    """The checks of one program: module (the written file), checks (with outcomes), outcome."""

    def __init__(self, program, seed, directory=DIRECTORY):
        self.program, self.seed, self.directory = program, seed, directory
        self.checks = []
        self.outcome = None
        self.reason = ""
        self.text = None
        self.path = None

    def run(self):
        rng = np.random.default_rng(self.seed)
        try:
            subject = Subject(self.program, rng, self.directory)
            self.subject = subject
            checks = choose_checks(subject, rng)
        except Invalid as e:
            self.outcome, self.reason = "invalid", str(e)
            return self
        self.checks = checks
        runnable = [c for c in checks if c.outcome is None]
        if not runnable:
            return self.finish()
        self.text = subject.source + "\n\n# --- the vmap tester's helpers and checks\n\n" + MODULE_HELPERS + "\n\n" + \
            "\n\n".join(c.code for c in runnable)
        digest = hashlib.sha1(self.text.encode()).hexdigest()[:16]
        self.path = os.path.join(self.directory, f"vmz_{digest}.py")
        module = import_file(self.path, self.text)
        for c in runnable:
            self._run_check(module, c)
        return self.finish()

    def _dtypes(self, c):
        """The dtypes a result may have besides the per-element loop's."""
        extra = []
        if c.batches_a_float() or "builtin_extremum" in self.subject.tags:
            extra.append(np.dtype(np.float64))  # a batched Python float is a float64 array; max(a, b) picks
        if self.subject.dtype == "float32":
            extra.append(np.dtype(np.float32))  # srcdiff follows JAX's weak types where NumPy promotes
        return extra

    def _run_check(self, module, c):
        n = c.n
        rtol, atol = TOLERANCE[self.subject.dtype]
        try:
            expected = _limited(getattr(module, f"expected_{n}"))
        except Exception as e:  # noqa: BLE001
            outcome, group = classify_exception(e)
            c.outcome = "not comparable"
            c.group = f"the per-element reference {'refused' if outcome == 'refused' else 'failed'}: {group}"
            c.detail = _traceback(e) if outcome != "refused" else ""
            return
        except Hang:
            c.outcome, c.group = "not comparable", "the per-element reference hangs"
            return
        args = getattr(module, f"ARGS_{n}")
        before = _copy_tree(args)
        try:
            got = _limited(getattr(module, f"got_{n}"))
        except Exception as e:  # noqa: BLE001
            c.outcome, c.group = classify_exception(e)
            c.detail = _traceback(e)
            return
        except Hang as e:
            c.outcome, c.group = classify_exception(e)
            return
        if not _same(args, before):
            c.outcome, c.group, c.detail = "failed", "modified the caller's argument", ""
            return
        bad = compare(got, _expected_tree(expected, self._dtypes(c)), rtol, atol)
        if bad:
            c.outcome, c.group, c.detail = "failed", bad[0], bad[1]
        else:
            c.outcome = "agreed"

    def finish(self):
        outcomes = {c.outcome for c in self.checks}
        if "failed" in outcomes:
            self.outcome = "failed"
        elif "refused" in outcomes:
            self.outcome = "refused"
        elif "agreed" in outcomes:
            self.outcome = "agreed"
        else:
            self.outcome = "not comparable"
        return self

    def failures(self):
        return [c for c in self.checks if c.outcome == "failed"]

    def summary(self):
        lines = [f"{self.outcome}: {self.subject.describe if hasattr(self, 'subject') else ''} (seed {self.seed})"]
        if self.reason:
            lines.append("  " + self.reason)
        for c in self.checks:
            lines.append(f"  [{c.n}] {c.name}: {c.outcome}{': ' + c.group if c.group else ''}"
                         f"{' (' + c.detail.splitlines()[0][:300] + ')' if c.detail and c.outcome == 'failed' else ''}")
            if c.call:
                lines.append(f"      {c.call}")
        return "\n".join(lines)

    def repro(self):
        """The module that ran, with what went wrong at its top and a main that reruns the failing checks."""
        failing = [c for c in self.checks if c.outcome == "failed"] or [
            c for c in self.checks if c.outcome == "refused"]
        head = [f"# srcdiff.vmap random tester: {self.outcome}, {self.subject.describe}",
                f"# python -m tests.random.fuzz_vmap: seed {self.seed}; rerun with: python THIS_FILE"]
        for c in failing:
            head.append(f"# check {c.n} {c.name}: {c.outcome}: {c.group}")
            head.append(f"#     {c.call}")
            if c.detail:
                head += [f"#     {line}"[:400] for line in c.detail.strip().splitlines()[-8:]]
        main = ["", "", 'if __name__ == "__main__":', "    np.set_printoptions(precision=12)"]
        for c in failing:
            main += [f"    print('check {c.n}: {c.name}')",
                     f"    print('expected:', expected_{c.n}())",
                     f"    print('got:     ', got_{c.n}())"]
        return "\n".join(head) + "\n" + self.text + "\n".join(main) + "\n"


def run_program(program, seed, directory=DIRECTORY):
    return ProgramRun(program, seed, directory).run()
