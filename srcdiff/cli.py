"""srcdiff FILE.py:FUNC — print the derivative srcdiff emits for a function."""
import argparse
import importlib.util
import os
import sys

from .api import grad, source
from .errors import SrcdiffError

EXAMPLES = """examples:
  srcdiff examples/survey.py:f                  gradient wrt the first argument
  srcdiff examples/survey.py:f --argnums 0,1    gradient wrt both arguments
"""


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="srcdiff", description=__doc__.split("\n")[0].split(" — ")[1], epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("target", metavar="FILE.py:FUNC", help="the file and the function in it to differentiate")
    parser.add_argument("--argnums", default="0", help="comma-separated argument positions (default 0)")
    args = parser.parse_args(argv)
    try:
        path, func = args.target.rsplit(":", 1)
    except ValueError:
        parser.error(f"expected FILE.py:FUNC, got {args.target!r}")
    try:
        argnums = tuple(int(a) for a in args.argnums.split(","))
    except ValueError:
        parser.error(f"--argnums takes comma-separated integers, got {args.argnums!r}")
    try:
        fn = _load(path, func)
        print(source(grad(fn, argnums=argnums if len(argnums) > 1 else argnums[0])), end="")
    except (SrcdiffError, TypeError, ValueError, OSError) as e:
        print(f"srcdiff: error: {e}", file=sys.stderr)
        return 1
    return 0


def _load(path, func):
    if not os.path.exists(path):
        raise OSError(f"no such file: {path}")
    spec = importlib.util.spec_from_file_location(os.path.splitext(os.path.basename(path))[0], path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    if not hasattr(module, func):
        raise ValueError(f"{path} defines no function {func!r}")
    return getattr(module, func)
