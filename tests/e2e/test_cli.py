"""The command line: `srcdiff FILE.py:FUNC [options]`, driven as a subprocess.

Every test writes its own small input file into tmp_path and runs
`python -m srcdiff` (or the `srcdiff` console script) on it. Successful runs
are checked by running what they print; errors by their exit status, by what
reaches stderr, and by stdout staying empty.
"""
import ast
import json
import math
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import srcdiff

TIMEOUT = 60
ANSI = "\x1b["

SURVEY = """\
import numpy as np


def f(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)
"""
SURVEY_AT_2_5 = (5.5, 2.0 - math.cos(5.0))

BROADCAST = """\
import numpy as np


def f(W, x):
    return np.sum(W * x)
"""

SCALED_TANH = """\
import numpy as np


def f(W, s):
    return np.sum(np.tanh(W) * s)
"""

CUBE = """\
import numpy as np


def f(x):
    return np.sum(x ** 3)
"""

# a custom_vjp whose backward pass is deliberately wrong: 2 x**2 instead of 3 x**2
WRONG_RULE = """\
import numpy as np

import srcdiff


@srcdiff.custom_vjp
def cube(x):
    return x ** 3


def cube_fwd(x):
    return cube(x), x


def cube_bwd(x, g):
    return (g * 2.0 * x ** 2,)


cube.defvjp(cube_fwd, cube_bwd)


def f(x):
    return np.sum(cube(x))
"""

# each error case: file text, the function, the line (1-based) of the construct, what is shown
WITH_TRY = """\
import numpy as np


def f(x):
    y = np.sin(x)
    try:
        y = y * 2
    except ValueError:
        pass
    return y
"""

UNDEFINED_NAME = """\
import numpy as np


def f(x):
    y = np.cos(x)
    return y * undefined_thing
"""

NO_RULE = """\
import math

import numpy as np


def f(x):
    y = x * 2.0
    return math.gamma(y) * x
"""

SYNTAX_ERROR = """\
import numpy as np


def f(x):
    return x +* 2
"""


# -- helpers ---------------------------------------------------------------------------------------

def run(*args, cwd=None, command=None):
    """Run the CLI with the given arguments; text output captured, so neither stream is a TTY."""
    command = command or [sys.executable, "-m", "srcdiff"]
    return subprocess.run([*command, *map(str, args)], capture_output=True, text=True, timeout=TIMEOUT, cwd=cwd)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def ok(result):
    """A successful run: exit 0 and something printed. Returns stdout."""
    assert result.returncode == 0, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result.stdout


def emitted(result, name="f"):
    """exec the module a successful run printed; return its grad_<name>."""
    source = ok(result)
    namespace = {}
    exec(compile(source, "<srcdiff output>", "exec"), namespace)
    assert f"grad_{name}" in namespace, source
    return namespace[f"grad_{name}"]


def user_error(result):
    """A problem in the user's code or files: exit 1, nothing on stdout, a message (not a traceback) on stderr."""
    assert result.returncode == 1, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.stdout == ""
    assert result.stderr.strip()
    assert "Traceback" not in result.stderr, result.stderr
    return result.stderr


def usage_error(result):
    """argparse-style usage error: exit 2, nothing on stdout, usage on stderr."""
    assert result.returncode == 2, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.stdout == ""
    assert "usage:" in result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return result.stderr


def load(path, name="f"):
    """The user's function, loaded in this process, for srcdiff.grad to compare against."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"cli_input_{abs(hash(str(path)))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


def numbers(line):
    """Floats written in a line, skipping digits that are part of names such as x1."""
    return [float(m) for m in re.findall(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?!\w)", line)]


def check_lines(stdout):
    return [line for line in stdout.splitlines() if line.strip()]


def line_for(lines, name):
    found = [line for line in lines if re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", line)]
    assert len(found) == 1, f"expected one line naming {name!r}:\n" + "\n".join(lines)
    return found[0]


def located(stderr, tmp_path, relative, line):
    """stderr names FILE:LINE, with the path as given on the command line or made absolute."""
    candidates = {relative, str(tmp_path / relative), os.path.realpath(tmp_path / relative)}
    assert any(f"{c}:{line}" in stderr for c in candidates), (
        f"none of {sorted(candidates)} followed by :{line} in stderr:\n{stderr}")


def shown_with_caret(stderr, text, at=None):
    """The offending source line is shown, and the next line is a caret (under `at` if given)."""
    lines = stderr.splitlines()
    shown = [i for i, line in enumerate(lines) if text in line]
    assert shown, f"{text!r} not shown in stderr:\n{stderr}"
    i = shown[0]
    assert i + 1 < len(lines) and lines[i + 1].strip().startswith("^"), f"no caret under {text!r}:\n{stderr}"
    if at is not None:
        assert lines[i + 1].index("^") == lines[i].index(at), f"caret not under {at!r}:\n{stderr}"


# -- the emitted module ----------------------------------------------------------------------------

def test_survey_function_gradient_values(tmp_path):
    path = write(tmp_path, "survey.py", SURVEY)
    grad_f = emitted(run(f"{path}:f", "--argnums", "0,1"))
    np.testing.assert_allclose(grad_f(2.0, 5.0), SURVEY_AT_2_5, rtol=1e-12)
    np.testing.assert_allclose(grad_f(0.5, -1.0), (-1.0 + 2.0, 0.5 - math.cos(-1.0)), rtol=1e-12)


def test_survey_function_specialised_to_args(tmp_path):
    path = write(tmp_path, "survey.py", SURVEY)
    grad_f = emitted(run(f"{path}:f", "--argnums", "0,1", "--args", "2.0, 5.0"))
    d1, d2 = grad_f(2.0, 5.0)
    assert d1 == pytest.approx(SURVEY_AT_2_5[0], rel=1e-12)
    assert d2 == pytest.approx(SURVEY_AT_2_5[1], rel=1e-12)


def test_emitted_module_imports_only_numpy_and_defines_grad(tmp_path):
    path = write(tmp_path, "broadcast.py", BROADCAST)
    for extra in ([], ["--args", "np.ones((3, 4)), np.ones(4)"]):
        source = ok(run(f"{path}:f", "--argnums", "0,1", *extra))
        tree = ast.parse(source)
        for node in ast.walk(tree):
            assert not isinstance(node, ast.ImportFrom), ast.unparse(node)
            if isinstance(node, ast.Import):
                assert [(a.name, a.asname) for a in node.names] == [("numpy", "np")], ast.unparse(node)
        defined = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]
        assert "grad_f" in defined
        assert "import numpy as np" in source


def test_default_argnums_is_the_first_argument(tmp_path):
    path = write(tmp_path, "survey.py", SURVEY)
    grad_f = emitted(run(f"{path}:f"))
    assert grad_f(2.0, 5.0) == pytest.approx(SURVEY_AT_2_5[0], rel=1e-12)  # a single gradient, not a tuple


def test_argnums_selects_one_other_argument(tmp_path):
    path = write(tmp_path, "survey.py", SURVEY)
    grad_f = emitted(run(f"{path}:f", "--argnums", "1"))
    assert grad_f(2.0, 5.0) == pytest.approx(SURVEY_AT_2_5[1], rel=1e-12)


def test_mode_rev_is_the_default(tmp_path):
    path = write(tmp_path, "survey.py", SURVEY)
    default = ok(run(f"{path}:f", "--argnums", "0,1"))
    assert ok(run(f"{path}:f", "--argnums", "0,1", "--mode", "rev")) == default


def test_wrt_is_argnums_by_name(tmp_path):
    path = write(tmp_path, "survey.py", SURVEY)
    both = run(f"{path}:f", "--wrt", "x1,x2")
    assert ok(both) == ok(run(f"{path}:f", "--argnums", "0,1"))
    np.testing.assert_allclose(emitted(both)(2.0, 5.0), SURVEY_AT_2_5, rtol=1e-12)
    second = run(f"{path}:f", "--wrt", "x2", "--args", "2.0, 5.0")
    assert ok(second) == ok(run(f"{path}:f", "--argnums", "1", "--args", "2.0, 5.0"))
    assert emitted(second)(2.0, 5.0) == pytest.approx(SURVEY_AT_2_5[1], rel=1e-12)


def test_wrt_unknown_parameter_is_a_usage_error(tmp_path):
    path = write(tmp_path, "survey.py", SURVEY)
    stderr = usage_error(run(f"{path}:f", "--wrt", "x1,bogus_param"))
    assert "bogus_param" in stderr


def test_wrt_and_argnums_are_mutually_exclusive(tmp_path):
    path = write(tmp_path, "survey.py", SURVEY)
    stderr = usage_error(run(f"{path}:f", "--wrt", "x1", "--argnums", "0"))
    assert "--wrt" in stderr and "--argnums" in stderr


# -- --args: specialisation ------------------------------------------------------------------------

def test_args_specialises_broadcasting_reductions(tmp_path):
    path = write(tmp_path, "broadcast.py", BROADCAST)
    generic = run(f"{path}:f", "--argnums", "0,1")
    special = run(f"{path}:f", "--argnums", "0,1", "--args", "np.ones((3, 4)), np.ones(4)")
    assert "_sum_to" in ok(generic)
    assert "_sum_to" not in ok(special)
    W = np.arange(12.0).reshape(3, 4) / 7 - 0.5
    x = np.array([0.3, -1.2, 2.0, 0.7])
    for grad_f in (emitted(generic), emitted(special)):
        dW, dx = grad_f(W, x)
        np.testing.assert_allclose(dW, np.broadcast_to(x, (3, 4)), rtol=1e-12)
        np.testing.assert_allclose(dx, W.sum(axis=0), rtol=1e-12)
        assert np.shape(dW) == (3, 4) and np.shape(dx) == (4,)


def test_args_expression_sees_numpy_and_mixes_arrays_and_floats(tmp_path):
    path = write(tmp_path, "scaled.py", SCALED_TANH)
    grad_f = emitted(run(f"{path}:f", "--argnums", "0,1", "--args", "np.ones((3, 4)), 0.5"))
    W = np.linspace(-2.0, 2.0, 12).reshape(3, 4)
    dW, ds = grad_f(W, 0.5)
    np.testing.assert_allclose(dW, 0.5 * (1.0 - np.tanh(W) ** 2), rtol=1e-12)
    assert float(ds) == pytest.approx(np.sum(np.tanh(W)), rel=1e-12, abs=1e-12)
    assert np.ndim(ds) == 0


# -- --check ---------------------------------------------------------------------------------------

def test_check_agrees_for_the_survey_function(tmp_path):
    path = write(tmp_path, "survey.py", SURVEY)
    lines = check_lines(ok(run(f"{path}:f", "--argnums", "0,1", "--args", "2.0, 5.0", "--check")))
    assert len(lines) == 2, lines
    for name in ("x1", "x2"):
        line = line_for(lines, name)
        assert re.search(r"\bok\b", line) and "MISMATCH" not in line, line
        assert any(0 <= v <= 1e-6 for v in numbers(line)), f"no small max error in {line!r}"


def test_check_prints_only_the_differentiated_arguments(tmp_path):
    path = write(tmp_path, "survey.py", SURVEY)
    lines = check_lines(ok(run(f"{path}:f", "--argnums", "1", "--args", "2.0, 5.0", "--check")))
    assert len(lines) == 1, lines
    assert re.search(r"\bx2\b", lines[0]) and re.search(r"\bok\b", lines[0])
    assert not re.search(r"\bx1\b", lines[0])


def test_check_reports_a_wrong_custom_rule(tmp_path):
    path = write(tmp_path, "wrong.py", WRONG_RULE)
    result = run(f"{path}:f", "--args", "np.array([1.0, 2.0])", "--check")
    assert result.returncode == 1, result.stdout + result.stderr
    lines = check_lines(result.stdout)
    assert len(lines) == 1, lines
    line = line_for(lines, "x")
    assert "MISMATCH" in line and not re.search(r"\bok\b", line)
    # gradient 2 x**2 = [2, 8] against 3 x**2 = [3, 12]: max absolute error 4
    assert any(v == pytest.approx(4.0, rel=1e-4) for v in numbers(line)), line


def test_check_atol_tolerates_the_wrong_rule(tmp_path):
    path = write(tmp_path, "wrong.py", WRONG_RULE)
    lines = check_lines(ok(run(f"{path}:f", "--args", "np.array([1.0, 2.0])", "--check", "--atol", "10")))
    assert len(lines) == 1 and re.search(r"\bok\b", lines[0]) and "MISMATCH" not in lines[0], lines
    assert any(v == pytest.approx(4.0, rel=1e-4) for v in numbers(lines[0])), lines[0]


def test_check_eps_sets_the_difference_step(tmp_path):
    # for x**3 the central difference with step h is exactly 3 x**2 + h**2: error 0.25 at h = 0.5
    path = write(tmp_path, "cube.py", CUBE)
    result = run(f"{path}:f", "--args", "np.array([1.0, 2.0])", "--check", "--eps", "0.5")
    assert result.returncode == 1, result.stdout + result.stderr
    line = line_for(check_lines(result.stdout), "x")
    assert "MISMATCH" in line
    assert any(v == pytest.approx(0.25, rel=1e-6) for v in numbers(line)), line
    # with the default step the same derivative agrees
    lines = check_lines(ok(run(f"{path}:f", "--args", "np.array([1.0, 2.0])", "--check")))
    assert re.search(r"\bok\b", line_for(lines, "x"))


def test_check_rtol_and_atol_loosen_the_comparison(tmp_path):
    path = write(tmp_path, "cube.py", CUBE)
    common = [f"{path}:f", "--args", "np.array([1.0, 2.0])", "--check", "--eps", "0.5"]
    for loosen in (["--rtol", "0.1"], ["--atol", "0.3"]):
        line = line_for(check_lines(ok(run(*common, *loosen))), "x")
        assert re.search(r"\bok\b", line) and "MISMATCH" not in line, (loosen, line)
        assert any(v == pytest.approx(0.25, rel=1e-6) for v in numbers(line)), line


def test_check_requires_args(tmp_path):
    path = write(tmp_path, "survey.py", SURVEY)
    stderr = usage_error(run(f"{path}:f", "--check"))
    assert "--args" in stderr


# -- --ir, --no-simplify ---------------------------------------------------------------------------

def test_ir_prints_the_function_then_its_derivative(tmp_path):
    path = write(tmp_path, "survey.py", SURVEY)
    stdout = ok(run(f"{path}:f", "--argnums", "0,1", "--args", "2.0, 5.0", "--ir"))
    lines = stdout.splitlines()
    primal = [i for i, line in enumerate(lines) if line.startswith("def f(")]
    derivative = [i for i, line in enumerate(lines) if line.startswith("def grad_f(")]
    assert len(primal) == 1 and len(derivative) == 1, stdout
    assert primal[0] < derivative[0], stdout
    assert "import numpy" not in stdout  # IR, not the Python module
    primal_text = "\n".join(lines[primal[0]:derivative[0]])
    derivative_text = "\n".join(lines[derivative[0]:])
    for prim in ("log", "sin"):
        assert re.search(rf"\b{prim}\b", primal_text), primal_text
    assert re.search(r"\bcos\b", derivative_text), derivative_text  # d sin / dx
    assert "x1" in lines[primal[0]] and "x2" in lines[primal[0]]


def test_no_simplify_is_longer_and_computes_the_same(tmp_path):
    path = write(tmp_path, "broadcast.py", BROADCAST)
    for extra in ([], ["--args", "np.ones((3, 4)), np.ones(4)"]):
        simplified = run(f"{path}:f", "--argnums", "0,1", *extra)
        raw = run(f"{path}:f", "--argnums", "0,1", "--no-simplify", *extra)
        assert len(ok(raw)) > len(ok(simplified))
        W = np.arange(12.0).reshape(3, 4) - 4.0
        x = np.array([1.5, -0.5, 0.25, 3.0])
        for a, b in zip(emitted(raw)(W, x), emitted(simplified)(W, x)):
            np.testing.assert_allclose(a, b, rtol=1e-12)

    survey = write(tmp_path, "survey.py", SURVEY)
    raw = emitted(run(f"{survey}:f", "--argnums", "0,1", "--args", "2.0, 5.0", "--no-simplify"))
    np.testing.assert_allclose(raw(2.0, 5.0), SURVEY_AT_2_5, rtol=1e-12)


MINUS_A_SINE = """\
import numpy as np

def f(x):
    return np.sum(x - np.sin(x))
"""


def test_disabling_the_algebra_leaves_the_derivative_as_its_rules_build_it(tmp_path):
    path = write(tmp_path, "minus_a_sine.py", MINUS_A_SINE)
    x = np.array([0.5, -1.0, 2.0])
    exact = 1.0 - np.cos(x)
    for extra in (["--disable", "algebra"], ["--no-simplify"]):
        raw = run(f"{path}:f", "--args", "np.ones(3)", *extra)
        assert "+ -" in ok(raw)  # g + -(g * cos x): a rule makes it g - g * cos x
        np.testing.assert_allclose(emitted(raw)(x), exact, rtol=1e-12)
    simplified = run(f"{path}:f", "--args", "np.ones(3)")
    assert "+ -" not in ok(simplified)
    np.testing.assert_allclose(emitted(simplified)(x), exact, rtol=1e-12)


# -- --ir-after, --disable: the named passes (srcdiff/transforms/passes.py) ------------------------

LOGISTIC = """\
import numpy as np


def f(W, x):
    return np.sum(1.0 / (1.0 + np.exp(-(W @ x))))
"""


def test_ir_after_names_a_stage_and_prints_the_ir_there(tmp_path):
    from srcdiff.transforms import passes

    path = write(tmp_path, "logistic.py", LOGISTIC)
    args = ("--args", "np.ones((3, 4)), np.ones(4)")
    lowered = ok(run(f"{path}:f", *args, "--ir-after", "lower"))
    assert lowered.startswith("# IR of f after lower\ndef f(") and "sigmoid" not in lowered
    fused = ok(run(f"{path}:f", *args, "--ir-after", "logistic"))
    assert re.search(r"= sigmoid t ", fused)  # the exp it no longer reads goes in simplify-primal
    simplified = ok(run(f"{path}:f", *args, "--ir-after", "simplify-primal"))
    assert re.search(r"= sigmoid\b", simplified) and not re.search(r"= exp\b", simplified)
    unfused = ok(run(f"{path}:f", *args, "--disable", "logistic", "--ir-after", "simplify-primal"))
    assert re.search(r"= exp\b", unfused) and "sigmoid" not in unfused
    derivative = ok(run(f"{path}:f", *args, "--ir-after", "differentiate"))
    assert derivative.startswith("# IR of grad_f after differentiate\ndef grad_f(")
    for stage in passes.STAGES:  # every stage can be named, and prints IR
        assert "def " in ok(run(f"{path}:f", *args, "--ir-after", stage)), stage


def test_disabling_any_pass_keeps_the_derivative_right(tmp_path):
    from srcdiff.transforms import passes

    path = write(tmp_path, "logistic.py", LOGISTIC)
    W = np.linspace(-1.0, 1.0, 12).reshape(3, 4)
    x = np.array([0.5, -1.0, 2.0, 0.25])
    y = 1.0 / (1.0 + np.exp(-(W @ x)))
    exact = np.outer(y * (1 - y), x)
    for name in passes.PASSES:
        got = emitted(run(f"{path}:f", "--args", "np.ones((3, 4)), np.ones(4)", "--disable", name))(W, x)
        np.testing.assert_allclose(got, exact, rtol=1e-12, err_msg=name)
    got = emitted(run(f"{path}:f", "--args", "np.ones((3, 4)), np.ones(4)", "--disable",
                      ",".join(passes.PASSES)))(W, x)
    np.testing.assert_allclose(got, exact, rtol=1e-12)


def test_a_pass_or_stage_that_does_not_exist_or_did_not_run_is_an_error(tmp_path):
    path = write(tmp_path, "survey.py", SURVEY)
    bad = run(f"{path}:f", "--disable", "simplfy")
    assert bad.returncode == 2 and "no pass simplfy" in bad.stderr and "simplify" in bad.stderr
    bad = run(f"{path}:f", "--ir-after", "everything")
    assert bad.returncode == 2 and "no stage 'everything'" in bad.stderr
    off = run(f"{path}:f", "--no-simplify", "--ir-after", "factor")
    assert off.returncode == 1 and "did not run" in off.stderr


# -- -o: a standalone module -----------------------------------------------------------------------

def run_standalone(tmp_path, module, call):
    """Import `module` from tmp_path in a fresh, isolated interpreter where srcdiff cannot be imported."""
    code = (
        "import sys, json\n"
        "sys.modules['srcdiff'] = None  # importing srcdiff now fails\n"
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        "import numpy as np\n"
        f"import {module} as out\n"
        f"result = {call}\n"
        "result = result if isinstance(result, tuple) else (result,)\n"
        "print(json.dumps([np.asarray(r).tolist() for r in result]))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True,
                          timeout=TIMEOUT, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    return [np.array(r) for r in json.loads(proc.stdout)]


def test_output_file_is_a_standalone_module(tmp_path):
    path = write(tmp_path, "survey.py", SURVEY)
    out = tmp_path / "dsurvey.py"
    result = run(f"{path}:f", "--argnums", "0,1", "--args", "2.0, 5.0", "-o", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert out.exists() and "def grad_f(" in out.read_text()
    got = run_standalone(tmp_path, "dsurvey", "out.grad_f(2.0, 5.0)")
    expected = srcdiff.grad(load(path), argnums=(0, 1))(2.0, 5.0)
    np.testing.assert_allclose([float(g) for g in got], expected, rtol=1e-12)
    np.testing.assert_allclose([float(g) for g in got], SURVEY_AT_2_5, rtol=1e-12)


def test_output_file_carries_its_helpers(tmp_path):
    # without --args the module needs _sum_to, and must define it itself
    path = write(tmp_path, "broadcast.py", BROADCAST)
    out = tmp_path / "dbroadcast.py"
    result = run(f"{path}:f", "--argnums", "0,1", "-o", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "_sum_to" in out.read_text()
    got = run_standalone(tmp_path, "dbroadcast",
                         "out.grad_f(np.arange(6.0).reshape(2, 3), np.array([1.0, -2.0, 0.5]))")
    W, x = np.arange(6.0).reshape(2, 3), np.array([1.0, -2.0, 0.5])
    expected = srcdiff.grad(load(path), argnums=(0, 1))(W, x)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-12)
    np.testing.assert_allclose(got[1], W.sum(axis=0), rtol=1e-12)


# -- the console script, --help --------------------------------------------------------------------

def test_console_script_matches_python_dash_m(tmp_path):
    script = Path(sys.executable).parent / "srcdiff"
    script = str(script) if script.exists() else shutil.which("srcdiff")
    assert script, "the srcdiff console script is not installed"
    path = write(tmp_path, "survey.py", SURVEY)
    assert ok(run(f"{path}:f", "--argnums", "0,1", command=[script])) == ok(run(f"{path}:f", "--argnums", "0,1"))


def test_help_describes_every_option():
    result = run("--help")
    assert result.returncode == 0
    assert result.stderr == ""
    text = result.stdout
    assert "FILE.py:FUNC" in text
    for option in ("--argnums", "--wrt", "--args", "--check", "--eps", "--rtol", "--atol", "--ir",
                   "--ir-after", "--disable", "--no-simplify", "--mode", "--color", "--help"):
        assert option in text, option
    assert re.search(r"(^|[\s,\[])-o\b", text, re.M), "-o"
    for choice in ("rev", "auto", "always", "never"):
        assert choice in text, choice
    assert "examples:" in text
    examples = text[text.index("examples:"):]
    assert "srcdiff " in examples
    assert ANSI not in text


# -- --color ---------------------------------------------------------------------------------------

def test_no_colour_when_output_is_captured(tmp_path):
    bad = write(tmp_path, "bad.py", WITH_TRY)
    wrong = write(tmp_path, "wrong.py", WRONG_RULE)
    survey = write(tmp_path, "survey.py", SURVEY)
    for result in (run(f"{bad}:f"), run(f"{bad}:f", "--color", "auto"),
                   run(f"{wrong}:f", "--args", "np.array([1.0, 2.0])", "--check"),
                   run(f"{survey}:f", "--argnums", "0,1")):
        assert result.returncode in (0, 1)
        assert ANSI not in result.stdout and ANSI not in result.stderr


def test_color_never_and_always(tmp_path):
    write(tmp_path, "bad.py", WITH_TRY)
    never = run("bad.py:f", "--color", "never", cwd=tmp_path)
    assert ANSI not in user_error(never)
    always = run("bad.py:f", "--color", "always", cwd=tmp_path)
    stderr = user_error(always)
    assert ANSI in stderr
    plain = re.sub(r"\x1b\[[0-9;]*m", "", stderr)
    located(plain, tmp_path, "bad.py", 6)
    assert "try:" in plain and "hint:" in plain


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_color_auto_colours_a_terminal(tmp_path):
    write(tmp_path, "bad.py", WITH_TRY)
    master, slave = os.openpty()
    try:
        proc = subprocess.run([sys.executable, "-m", "srcdiff", "bad.py:f"], stdout=subprocess.PIPE,
                              stderr=slave, timeout=TIMEOUT, cwd=tmp_path)
        os.close(slave)
        slave = None
        chunks = []
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the terminal's other end is closed
                break
            if not data:
                break
            chunks.append(data)
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)
    assert proc.returncode == 1
    assert proc.stdout == b""
    assert ANSI in b"".join(chunks).decode(errors="replace")


def test_color_rejects_unknown_values(tmp_path):
    path = write(tmp_path, "survey.py", SURVEY)
    assert "--color" in usage_error(run(f"{path}:f", "--color", "sometimes"))


# -- errors in the user's code ---------------------------------------------------------------------

@pytest.mark.parametrize("text, line, shown, at, words", [
    (WITH_TRY, 6, "try:", "try", ["try/except"]),
    (UNDEFINED_NAME, 6, "return y * undefined_thing", "undefined_thing", ["undefined_thing", "not defined"]),
    (NO_RULE, 8, "return math.gamma(y) * x", "math.gamma", ["math.gamma", "custom_vjp"]),
], ids=["unsupported-construct", "undefined-name", "no-rule"])
def test_error_in_user_code_is_located(tmp_path, text, line, shown, at, words):
    write(tmp_path, "src/model.py", text)
    stderr = user_error(run("src/model.py:f", cwd=tmp_path))
    located(stderr, tmp_path, "src/model.py", line)
    shown_with_caret(stderr, shown, at)
    assert "hint:" in stderr
    for word in words:
        assert word in stderr


def test_error_with_absolute_path(tmp_path):
    path = write(tmp_path, "bad.py", WITH_TRY)
    stderr = user_error(run(f"{path}:f", "--args", "1.0"))
    assert f"{path}:6" in stderr or f"{os.path.realpath(path)}:6" in stderr, stderr
    shown_with_caret(stderr, "try:", "try")


def test_syntax_error_names_file_and_line(tmp_path):
    write(tmp_path, "src/broken.py", SYNTAX_ERROR)
    stderr = user_error(run("src/broken.py:f", cwd=tmp_path))
    assert "src/broken.py" in stderr
    assert re.search(r"(:|line )5\b", stderr), stderr
    assert "return x +* 2" in stderr


def test_missing_file(tmp_path):
    stderr = user_error(run("nowhere/missing_model.py:f", cwd=tmp_path))
    assert "nowhere/missing_model.py" in stderr
    assert re.search(r"no such file|does not exist|not found|cannot open|can't open", stderr, re.I), stderr


def test_missing_function(tmp_path):
    write(tmp_path, "survey.py", SURVEY)
    stderr = user_error(run("survey.py:not_there_fn", cwd=tmp_path))
    assert "not_there_fn" in stderr
    assert "survey.py" in stderr


# -- usage errors ----------------------------------------------------------------------------------

def test_target_without_function_is_a_usage_error(tmp_path):
    write(tmp_path, "survey.py", SURVEY)
    stderr = usage_error(run("survey.py", cwd=tmp_path))
    assert "FILE.py:FUNC" in stderr or "survey.py" in stderr


def test_unknown_option_is_a_usage_error(tmp_path):
    path = write(tmp_path, "survey.py", SURVEY)
    assert "--frobnicate" in usage_error(run(f"{path}:f", "--frobnicate"))


def test_no_arguments_is_a_usage_error():
    usage_error(run())


# -- --mode vmap ------------------------------------------------------------------------------------

def test_mode_vmap_prints_the_batched_function(tmp_path):
    path = write(tmp_path, "survey.py", SURVEY)
    result = run(f"{path}:f", "--mode", "vmap", "--in-axes", "0,None", "--args", "np.linspace(1, 2, 5), 5.0")
    namespace = {}
    exec(compile(ok(result), "<srcdiff output>", "exec"), namespace)
    vmap_f = namespace["vmap_f"]
    x1 = np.linspace(1, 2, 5)
    expected = [math.log(a) + a * 5.0 - math.sin(5.0) for a in x1]
    np.testing.assert_allclose(vmap_f(x1, 5.0), expected, rtol=1e-12)
    assert "ok" in ok(run(f"{path}:f", "--mode", "vmap", "--in-axes", "0,None", "--args",
                          "np.linspace(1, 2, 5), 5.0", "--check"))


def test_mode_vmap_needs_example_arguments_and_in_axes_needs_vmap(tmp_path):
    path = write(tmp_path, "survey.py", SURVEY)
    result = run(f"{path}:f", "--mode", "vmap")
    assert result.returncode == 2 and "--mode vmap needs example arguments" in result.stderr
    result = run(f"{path}:f", "--in-axes", "0")
    assert result.returncode == 2 and "--in-axes is for --mode vmap" in result.stderr
    result = run(f"{path}:f", "--mode", "vmap", "--in-axes", "0,x", "--args", "np.ones(3), 1.0")
    assert result.returncode == 1 and "--in-axes takes comma-separated ints or None" in result.stderr
