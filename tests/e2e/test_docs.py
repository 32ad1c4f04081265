"""The README and grammar.md show what the code emits today."""
import os
import re
import runpy

import numpy as np
import pytest

import srcdiff
from srcdiff.codegen import numba as numba_backend

from tests.numeric import EXAMPLES, ROOT, example


def _read(name):
    with open(os.path.join(ROOT, name)) as f:
        return f.read()


def _block(text, start):
    """The fenced code block whose body starts with `start`."""
    i = text.index("```python\n" + start) + len("```python\n")
    return text[i:text.index("```", i)]



def _function_source(module_source, name):
    return module_source[module_source.index(f"def {name}("):]


def test_readme_two_layer_source_is_current():
    net = example("two_layer_net")
    X, y = net.spiral()
    rng = np.random.default_rng(1)
    params = [0.01 * rng.standard_normal((2, 100)), np.zeros(100), 0.01 * rng.standard_normal((100, 3)), np.zeros(3)]
    emitted = srcdiff.source(srcdiff.grad(net.loss, argnums=(0, 1, 2, 3)), *params, X, y, 1e-3)
    assert _block(_read("README.md"), "def grad_loss(") == _function_source(emitted, "grad_loss")


def test_readme_survey_source_is_current():
    survey = example("survey")
    emitted = srcdiff.source(srcdiff.grad(survey.f, argnums=(0, 1)), 2.0, 5.0)
    assert _block(_read("README.md"), "import numpy as np\n\n\ndef grad_f(") == emitted


def test_readme_quick_start_numbers(capsys):
    runpy.run_path(os.path.join(EXAMPLES, "survey.py"), run_name="__main__")
    printed = capsys.readouterr().out
    readme = _read("README.md")
    for line in printed.splitlines():
        if line.startswith(("f(2, 5)", "df/dx")):
            assert line in readme, line


def test_grammar_ir_examples_are_current():
    survey = example("survey")
    compiled = srcdiff.grad(survey.f, argnums=(0, 1)).compiled(2.0, 5.0)
    grammar = _read("grammar.md")
    for text in (compiled.ir_before, compiled.ir_after):
        assert text.strip() in grammar


def test_grammar_loop_example_is_current():
    from .doc_examples import relax

    compiled = srcdiff.grad(relax).compiled(2.0, 1.0)
    grammar = _read("grammar.md")
    assert compiled.ir_after.strip() in grammar
    assert _function_source(compiled.source, "grad_relax").strip() in grammar


def test_readme_rnn_source_is_current():
    from tests.models.test_models import rnn_loss

    rng = np.random.default_rng(0)
    W, U, X = rng.standard_normal((4, 4)), rng.standard_normal((4, 3)), rng.standard_normal((6, 3))
    emitted = srcdiff.source(srcdiff.grad(rnn_loss, argnums=(0, 1)), W, U, X)
    assert _block(_read("README.md"), "def grad_rnn_loss(") == _function_source(emitted, "grad_rnn_loss")


def _printed(name, *args, **kwargs):
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        example(name).main(*args, **kwargs)
    return out.getvalue()


def _quoted(printed, readme, prefix):
    """The line starting with prefix, as printed and as quoted, carry the same numbers (to the
    digits shown: another BLAS may round the last one differently)."""
    import re

    def numbers(text):
        line = next(ln for ln in text.splitlines() if prefix in ln)
        tail = line[line.index(prefix) + len(prefix):].split("`")[0]
        return [float(v) for v in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", tail)]

    got, quoted = numbers(printed), numbers(readme)
    assert quoted and len(got) >= len(quoted), prefix  # the printed line may go on (a timing)
    for g, q in zip(got, quoted):
        assert g == pytest.approx(q, rel=2e-2, abs=1e-12), (prefix, got, quoted)


def test_readme_quotes_what_the_examples_print(tmp_path):
    readme = _read("README.md")
    homework = _printed("homework", out_dir=str(tmp_path))
    for prefix in ("output at (2, -2)", "d output / d(x1, x2) there", "grid RMS error against"):
        _quoted(homework, readme, prefix)
    _quoted(_printed("rnn"), readme, "loss: initial")
    _quoted(_printed("two_layer_net"), readme, "training accuracy:")
    try:
        import scipy  # noqa: F401
    except ImportError:
        return
    _quoted(_printed("rosenbrock"), readme, "L-BFGS-B: f =")


def test_grammar_lists_the_stages_and_passes_the_pipeline_runs():
    from srcdiff.transforms import passes

    grammar = _read("grammar.md")
    table = grammar[grammar.index("The stages a function goes through"):grammar.index("Invariants, checked by")]
    listed = re.findall(r"^\| `([a-z-]+)`( \(pass\))? \|", table, re.M)
    assert [name for name, _ in listed] == list(passes.STAGES)
    assert {name for name, is_pass in listed if is_pass} == set(passes.PASSES)


def test_the_test_files_and_commands_the_docs_name_exist():
    """The README and grammar.md point at tests by path (tests/random/test_differential.py) and
    run some as modules (python -m tests.random.fuzz_survey): each must be there."""
    for name in ("README.md", "grammar.md"):
        text = _read(name)
        paths = set(re.findall(r"\btests/[\w/]*\w(?:\.py)?", text))
        paths |= {module.replace(".", "/") + ".py" for module in re.findall(r"python -m (tests(?:\.\w+)+)", text)}
        missing = sorted(p for p in paths if not os.path.exists(os.path.join(ROOT, p)))
        assert not missing, f"{name} names {missing}"


def f(x, W):  # the README's f
    h = np.tanh(W @ x)
    return np.sum(h ** 2)


def test_readme_vmap_source_is_current():
    """The README's per-example gradients, as vmap of grad emits them (the docstring aside)."""
    block = _block(_read("README.md"), "def f(x, W):")
    rng = np.random.default_rng(0)
    X, W = rng.standard_normal((5, 3)), rng.standard_normal((4, 3))
    emitted = srcdiff.source(srcdiff.vmap(srcdiff.grad(f, argnums=1), in_axes=(0, None)), X, W)
    body = [line for line in _function_source(emitted, "vmap_grad_f").splitlines() if '"""' not in line]
    assert block[block.index("def vmap_grad_f("):].rstrip("\n").splitlines() == body


@pytest.mark.skipif(not numba_backend.available(), reason="numba is not installed")
def test_readme_numba_source_is_current(tmp_path, monkeypatch):
    """The README's numba module of the RNN's gradient, as the numba backend writes it."""
    from benchmarks.workloads import rnn_inputs, rnn_loss
    monkeypatch.setenv("SRCDIFF_CACHE_DIR", str(tmp_path))
    block = _block(_read("README.md"), '@numba.njit(cache=True, error_model="numpy")\ndef grad_rnn_loss(')
    emitted = srcdiff.source(srcdiff.grad(rnn_loss, argnums=(0, 1), backend="numba"), *rnn_inputs())
    start = emitted.index('@numba.njit(cache=True, error_model="numpy")\ndef grad_rnn_loss(')
    assert block.rstrip("\n") == emitted[start:].rstrip("\n")
