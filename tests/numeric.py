"""Central differences, the reference every derivative test compares against."""
import os
import sys

import numpy as np

from srcdiff.testing import central_difference  # noqa: F401  (the tests' reference too)


def assert_matches_differences(g, f, args, argnums=(0,), rtol=1e-5, atol=1e-7):
    """g(*args) (a gradient function for the given argnums) agrees with central differences."""
    got = g(*args)
    got = got if isinstance(argnums, tuple) else (got,)
    for value, i in zip(got, argnums if isinstance(argnums, tuple) else (argnums,)):
        expected = central_difference(f, args, i)
        assert np.shape(value) == np.shape(args[i]), f"gradient {i} has shape {np.shape(value)}, argument {np.shape(args[i])}"
        np.testing.assert_allclose(value, expected, rtol=rtol, atol=atol, err_msg=f"argument {i}")


def import_file(path, source=None, name=None):
    """The module in the file at path (written first when source is given): srcdiff reads a
    function's source from its file, so test functions live in real files."""
    import importlib.util

    if source is not None:
        with open(path, "w") as fh:
            fh.write(source)
    name = name or os.path.splitext(os.path.basename(str(path)))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def example(name):
    """A module from examples/, imported by name."""
    sys.path.insert(0, EXAMPLES)
    try:
        return __import__(name)
    finally:
        sys.path.remove(EXAMPLES)
