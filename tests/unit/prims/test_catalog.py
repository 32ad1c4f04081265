"""grammar.md's list of every callable is the registry's (prims/catalog.py made it): a callable
registered, renamed or removed without regenerating the list fails here."""
import os

import numpy as np
import pytest

import srcdiff
from srcdiff.prims import catalog
from srcdiff.prims.core import CALLABLES, METHODS
from tests.numeric import ROOT

GRAMMAR = os.path.join(ROOT, "grammar.md")


def _rows(text):
    inside = text[text.index(catalog.BEGIN):text.index(catalog.END)]
    return {line.split(" | ")[0].strip("| "): line for line in inside.splitlines() if line.startswith("| ")
            and not line.startswith("| family") and not line.startswith("| ---")}


def test_grammar_lists_what_the_registry_holds():
    """Row by row. SciPy's rows are checked where SciPy imports; without it they are not
    generated, and the others must still agree."""
    written, made = _rows(open(GRAMMAR).read()), _rows(catalog.table())
    for family, row in made.items():
        assert written.get(family) == row, (f"grammar.md's row for {family!r} is not the registry's: run "
                                            f"`python -m srcdiff.prims.catalog`")
    scipy_rows = {f for f in written if f.startswith("scipy")}
    assert set(written) - set(made) <= scipy_rows, f"grammar.md lists families no longer registered: " \
                                                   f"{sorted(set(written) - set(made) - scipy_rows)}"


def test_every_registered_callable_is_listed():
    listed = " ".join(_rows(catalog.table()).values())
    for fn in (np.tanh, np.sum, np.linalg.norm, np.cumsum, np.flip, abs, len):
        assert fn in CALLABLES
        assert f"`{catalog._spelled(catalog.public_name(fn))}`" in listed


def test_aliases_are_listed_under_each_name():
    listed = " ".join(_rows(catalog.table()).values())
    assert np.abs is np.absolute and "`np.abs`" in listed and "`np.absolute`" in listed


def test_methods_are_listed_with_their_family():
    rows = _rows(catalog.table())
    assert "`x.cumsum()`" in rows["scans and differences"] and "`x.T`" in rows["products"]
    assert all(not name.startswith("_") or name == "__getitem__" for name in METHODS)


def test_a_module_that_registers_without_a_family_is_an_error():
    def binder(x):
        return x
    binder.__module__ = "tests.unit.prims.test_catalog"
    with pytest.raises(LookupError, match="declares no FAMILY"):
        catalog.family_of(binder)


def test_the_rewrite_replaces_only_the_list(tmp_path):
    path = tmp_path / "grammar.md"
    path.write_text(f"before\n{catalog.BEGIN}\nstale\n{catalog.END}\nafter\n")
    catalog.main(str(path))
    text = path.read_text()
    assert text.startswith("before\n") and text.endswith("after\n") and "stale" not in text
    assert catalog.table() in text


def test_importing_srcdiff_does_not_import_scipy():
    """SciPy's families load when the program has imported SciPy (core.load_optional), so
    `import srcdiff` costs no SciPy import and works without it."""
    import subprocess
    import sys
    code = "import sys, srcdiff, numpy as np; srcdiff.grad(np.tanh)(0.5); print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


def test_a_users_custom_rule_is_not_listed():
    """custom_vjp registers the user's function in the table: the catalog lists srcdiff's own."""
    @srcdiff.custom_vjp
    def softclip(x):
        return np.tanh(x)

    softclip.defvjp(lambda x: (np.tanh(x), x), lambda x, g: (g * (1 - np.tanh(x) ** 2),))
    srcdiff.grad(lambda x: softclip(x))(0.3)
    assert "softclip" not in catalog.table()
    test_grammar_lists_what_the_registry_holds()
