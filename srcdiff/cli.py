"""srcdiff FILE.py:FUNC: print the derivative srcdiff writes for a function."""
import argparse
import importlib.util
import os
import sys

import numpy as np

from . import cache
from .api import Gradient
from .codegen import backend_of
from .compiler import compile_jvp, compile_vjp
from .errors import Loc, SrcdiffError
from .frontend import own_signature
from .ir import aval_of_argument, unknown_aval
from .transforms import passes
from .vectorize import vmap

EXAMPLES = """\
examples:
  srcdiff examples/survey.py:f                        gradient wrt the first argument, any shapes
  srcdiff examples/survey.py:f --argnums 0,1          wrt both arguments
  srcdiff examples/survey.py:f --wrt x1,x2            the same, by name
  srcdiff examples/two_layer_net.py:loss --wrt W1,b1,W2,b2 \\
      --args "np.ones((2, 100)), np.zeros(100), np.ones((100, 3)), np.zeros(3), np.ones((300, 2)), np.zeros(300, int), 1e-3"
                                                      specialised to those shapes: reads like hand-written backprop
  srcdiff examples/survey.py:f --args "2.0, 5.0" --check
                                                      compare with central differences at (2, 5)
  srcdiff examples/survey.py:f --mode fwd             forward mode: jvp_f(x1, x2, x1_dot)
  srcdiff examples/survey.py:f --mode vjp             f_fwd (value and tape) and f_bwd (cotangents)
  srcdiff examples/survey.py:f --mode vmap --in-axes 0,None --args "np.linspace(1, 2, 5), 5.0"
                                                      f over a batch of x1: vmap_f, batched NumPy
  srcdiff examples/survey.py:f --ir                   the IR before and after differentiation
  srcdiff examples/survey.py:f --ir-after factor      the IR after one optimisation pass
  srcdiff examples/survey.py:f --disable logistic,factor
                                                      without those passes, to bisect a wrong derivative
  srcdiff examples/survey.py:f -o grad_f.py           a module that runs with only NumPy

exit status: 0 on success, 1 for an error in the file or a failed --check, 2 for a usage error.
"""


def parser():
    p = argparse.ArgumentParser(
        prog="srcdiff",
        description="Print the Python source srcdiff emits for the gradient of FUNC, a function in FILE.py. "
                    "The output is a module that imports only NumPy (and SciPy or warnings where the function calls them).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("target", metavar="FILE.py:FUNC", help="the file, and the function in it to differentiate")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--argnums", metavar="N[,N...]", help="positions of the arguments to differentiate (default 0)")
    which.add_argument("--wrt", metavar="NAME[,NAME...]", help="the same, by parameter name")
    p.add_argument("--mode", choices=["rev", "fwd", "vjp", "vmap"], default="rev",
                   help="rev: the reverse-mode gradient grad_FUNC (default); fwd: the forward-mode jvp_FUNC, "
                        "which also takes a tangent per differentiated argument (NAME_dot); vjp: FUNC_fwd "
                        "(value and tape) and FUNC_bwd (tape and output cotangent to input cotangents); vmap: "
                        "vmap_FUNC, FUNC over a batch of its arguments (needs --args; --in-axes says the batch axes)")
    p.add_argument("--in-axes", metavar="AXIS[,AXIS...]",
                   help="with --mode vmap: each argument's batch axis, an int or None (default 0 for every one)")
    p.add_argument("--args", metavar="EXPR",
                   help='example arguments, a Python expression with np in scope ("2.0, 5.0" or '
                        '"np.ones((3, 4)), 0.5"): the code is specialised to their shapes and dtypes')
    p.add_argument("--check", action="store_true",
                   help="evaluate the derivative at --args and compare it with central differences "
                        "(exit status 1 on a mismatch)")
    p.add_argument("--eps", type=float, default=1e-6, help="step of the central differences (default 1e-6)")
    p.add_argument("--rtol", type=float, default=1e-5, help="relative tolerance of --check (default 1e-5)")
    p.add_argument("--atol", type=float, default=1e-7, help="absolute tolerance of --check (default 1e-7)")
    p.add_argument("--ir", action="store_true", help="print the IR before and after differentiation instead")
    p.add_argument("--ir-after", metavar="STAGE",
                   help="print the IR after one stage instead: lower, differentiate, or a pass (" +
                        ", ".join(passes.PASSES) + "); every function the stage ran on")
    p.add_argument("--disable", metavar="PASS[,PASS...]",
                   help="leave these optimisation passes out (to bisect a derivative that looks wrong); "
                        "the passes: " + ", ".join(passes.SWITCHES))
    p.add_argument("--no-simplify", action="store_true",
                   help="run no optimisation pass and no rewrite rule (the derivative as its rules build it, "
                        "to see what they remove)")
    p.add_argument("--backend", choices=["numpy", "numba"], default="numpy",
                   help="numba: source for numba's nopython mode, each function @numba.njit (rev, fwd and vjp; "
                        "needs pip install \"srcdiff[numba]\")")
    p.add_argument("--strict", action="store_true",
                   help="with --backend numba and --check: fail where numba cannot compile, instead of running "
                        "the NumPy derivative")
    p.add_argument("-o", "--output", metavar="OUT.py", help="write a standalone module to OUT.py instead")
    p.add_argument("--color", choices=["auto", "always", "never"], default="auto",
                   help="colour error messages: auto (when stderr is a terminal), always or never")
    return p


def main(argv=None):
    p = parser()
    opts = p.parse_args(argv)
    if ":" not in opts.target:
        p.error(f"expected FILE.py:FUNC, got {opts.target!r}")
    if opts.check and opts.args is None:
        p.error("--check needs example arguments: --args \"...\"")
    if opts.mode == "vmap" and opts.args is None:
        p.error("--mode vmap needs example arguments, batched along their --in-axes: --args \"...\"")
    if opts.in_axes is not None and opts.mode != "vmap":
        p.error("--in-axes is for --mode vmap")
    if opts.backend == "numba" and opts.mode == "vmap":
        p.error("--backend numba is for --mode rev, fwd and vjp")
    if opts.strict and opts.backend != "numba":
        p.error("--strict is for --backend numba")
    if opts.ir_after and opts.ir_after not in passes.STAGES:
        p.error(f"--ir-after: no stage {opts.ir_after!r}; the stages: {', '.join(passes.STAGES)}")
    unknown = sorted(set(n.strip() for n in (opts.disable or "").split(",") if n.strip()) - set(passes.SWITCHES))
    if unknown:
        p.error(f"--disable: no pass {', '.join(unknown)}; the passes: {', '.join(passes.SWITCHES)}")
    path, func = opts.target.rsplit(":", 1)
    color = opts.color == "always" or (opts.color == "auto" and sys.stderr.isatty())
    try:
        fn = load(path, func)
        argnums = _argnums(p, opts, fn)
        args = _example_args(p, opts.args)
        if opts.check:
            return check(fn, args, argnums, opts)
        if opts.ir_after:
            text = ir_after(fn, args, argnums, opts)
        else:
            compiled = _compile(fn, args, argnums, opts)
            text = (f"# IR of {func}\n{compiled.ir_before}\n# IR of its derivative\n{compiled.ir_after}" if opts.ir
                    else compiled.emitted.standalone())
        if opts.output:
            with open(opts.output, "w") as f:
                f.write(text)
            print(f"srcdiff: wrote {opts.output}", file=sys.stderr)
        else:
            sys.stdout.write(text)
    except SrcdiffError as e:
        print(_render(e, color), file=sys.stderr)
        return 1
    except (TypeError, ValueError, OSError, ImportError, AttributeError) as e:
        print(_paint("srcdiff: error: ", "31;1", color) + str(e), file=sys.stderr)
        return 1
    return 0


def _optimization(opts):
    disabled = frozenset(n.strip() for n in (opts.disable or "").split(",") if n.strip())
    return passes.Optimization(enabled=not opts.no_simplify, disabled=disabled)


def ir_after(fn, args, argnums, opts):
    """The IR after the named stage, for every function it ran on (compiled afresh)."""
    cache.clear()  # what is cached ran its stages in an earlier call
    with passes.recording() as log:
        _compile(fn, args, argnums, opts)
    texts = [f"# IR of {name} after {stage}\n{text}" for stage, name, text in log if stage == opts.ir_after]
    if not texts:
        raise ValueError(f"stage {opts.ir_after} did not run" + (
            " (--no-simplify or --disable left it out)" if opts.ir_after in passes.PASSES else ""))
    return "\n".join(texts)


def _compile(fn, args, argnums, opts):
    """What the chosen mode emits, for these example arguments (any shapes without)."""
    optimize = _optimization(opts)
    if opts.mode == "vmap":
        return vmap(fn, in_axes=_in_axes(opts, len(args))).compiled(*args)
    backend = backend_of(opts.backend, opts.strict)
    if opts.mode == "rev":
        return Gradient(fn, argnums, has_aux=False, with_value=False, optimize=optimize,
                        backend=backend).compiled(*args)
    n = len(own_signature(fn).parameters)
    avals = [aval_of_argument(a) for a in args] if args else [unknown_aval() for _ in range(n)]
    if opts.mode == "fwd":
        indices = argnums if isinstance(argnums, tuple) else (argnums,)
        return compile_jvp(fn, avals, tuple(i % n for i in indices), optimize=optimize, backend=backend)
    return compile_vjp(fn, avals, optimize=optimize, backend=backend)


def _in_axes(opts, n):
    if opts.in_axes is None:
        return 0
    axes = [None if a.strip() == "None" else a.strip() for a in opts.in_axes.split(",")]
    try:
        axes = tuple(a if a is None else int(a) for a in axes)
    except ValueError:
        raise ValueError(f"--in-axes takes comma-separated ints or None, got {opts.in_axes!r}") from None
    return axes if len(axes) > 1 or n == 1 else axes[0]


def load(path, func):
    """Import FILE.py as a module (its directory importable, as `python FILE.py` would) and
    return FUNC from it."""
    if not os.path.isfile(path):
        raise OSError(f"no such file: {path}")
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        spec.loader.exec_module(module)
    except SyntaxError as e:
        raise SrcdiffError(f"syntax error: {e.msg}", Loc(e.filename or path, e.lineno or 0,
                                                         max((e.offset or 1) - 1, 0), (e.text or "").rstrip("\n")),
                           "hint: fix the file so that Python can import it.") from None
    except Exception as e:
        raise ImportError(f"importing {path} failed: {type(e).__name__}: {e}") from None
    value = module
    for part in func.split("."):
        if not hasattr(value, part):
            raise ValueError(f"{path} defines no function {func!r}")
        value = getattr(value, part)
    if not callable(value):
        raise ValueError(f"{func} in {path} is a {type(value).__name__}, not a function")
    return value


def _argnums(p, opts, fn):
    if opts.wrt:
        names = list(own_signature(fn).parameters)
        nums = []
        for name in opts.wrt.split(","):
            if name.strip() not in names:
                p.error(f"--wrt: {fn.__name__} has no parameter {name.strip()!r} (it has {', '.join(names)})")
            nums.append(names.index(name.strip()))
    elif opts.argnums:
        try:
            nums = [int(n) for n in opts.argnums.split(",")]
        except ValueError:
            p.error(f"--argnums takes comma-separated integers, got {opts.argnums!r}")
    else:
        return 0
    return nums[0] if len(nums) == 1 else tuple(nums)


def _example_args(p, text):
    if text is None:
        return ()
    try:
        value = eval(text, {"np": np, "numpy": np})  # the user's own command line, like the file it runs
    except Exception as e:
        p.error(f"--args: cannot evaluate {text!r}: {type(e).__name__}: {e}")
    return value if isinstance(value, tuple) else (value,)


def check(fn, args, argnums, opts):
    """Compare each derivative (the gradient, or the Jacobian by the chosen mode) with
    central differences; one line per argument."""
    from .modes import jacfwd, jacrev
    from .testing import central_difference

    if opts.mode == "vmap":
        return _check_vmap(fn, args, opts)
    indices = argnums if isinstance(argnums, tuple) else (argnums,)
    if opts.mode == "rev":
        grad = Gradient(fn, argnums, has_aux=False, with_value=False, optimize=_optimization(opts),
                        backend=backend_of(opts.backend, opts.strict))
        got = grad(*args)
        got = got if isinstance(argnums, tuple) else (got,)
    else:
        jac = jacfwd if opts.mode == "fwd" else jacrev
        got = [jac(fn, argnums=i, backend=opts.backend, strict=opts.strict)(*args) for i in indices]
    names = list(own_signature(fn).parameters)
    failed = False
    for i, g in zip(indices, got):
        expected = central_difference(fn, args, i, opts.eps)
        error = float(np.max(np.abs(np.asarray(g) - expected))) if np.size(expected) else 0.0
        ok = np.allclose(g, expected, rtol=opts.rtol, atol=opts.atol)
        failed |= not ok
        print(f"{names[i]}: max abs error {error:.3g} against central differences: {'ok' if ok else 'MISMATCH'}")
    return 1 if failed else 0


def _check_vmap(fn, args, opts):
    """Compare the batched function with fn run on each item in a Python loop."""
    axes = _in_axes(opts, len(args))
    axes = axes if isinstance(axes, tuple) else (axes,) * len(args)
    size = next(np.shape(a)[ax] for a, ax in zip(args, axes) if ax is not None)
    got = vmap(fn, in_axes=axes)(*args)
    items = [fn(*[a if ax is None else np.take(a, b, axis=ax) for a, ax in zip(args, axes)]) for b in range(size)]
    got, items = (got, list(zip(*items))) if isinstance(got, tuple) else ((got,), [items])
    failed = False
    for k, (g, column) in enumerate(zip(got, items)):
        expected = np.stack([np.asarray(v) for v in column])
        ok = np.shape(g) == expected.shape and np.allclose(g, expected, rtol=opts.rtol, atol=opts.atol)
        error = float(np.max(np.abs(np.asarray(g) - expected))) if ok or np.shape(g) == expected.shape else np.inf
        failed |= not ok
        print(f"output {k}: max abs error {error:.3g} against a loop over the batch: {'ok' if ok else 'MISMATCH'}")
    return 1 if failed else 0


def _paint(text, code, color):
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def _render(error, color):
    if error.loc is None:
        return _paint("srcdiff: error: ", "31;1", color) + str(error)
    lines = [_paint(f"{error.loc}: ", "1", color) + _paint("error: ", "31;1", color) + error.message]
    if error.loc.text:
        lines.append("    " + error.loc.text.rstrip())
        lines.append("    " + " " * error.loc.col + _paint("^", "32;1", color))
    if error.hint:
        lines.append(error.hint)
    return "\n".join(lines)
