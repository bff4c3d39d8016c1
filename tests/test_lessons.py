"""The lesson scripts in notebooks/lessons/ are the source of the notebooks: parsed, linted, built."""
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks" / "lessons").glob("[0-9]*.py"))


def _builder():
    spec = importlib.util.spec_from_file_location("make_notebooks", ROOT / "scripts" / "make_notebooks.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_every_notebook_has_a_lesson_script_and_back():
    stems = {p.stem for p in LESSONS}
    notebooks = {p.stem for p in (ROOT / "notebooks").glob("[0-9]*.ipynb")}
    assert stems and stems == notebooks


def test_percent_format_round_trip():
    mk = _builder()
    cells = mk.parse_lesson("# %% [markdown]\n# # Title\n#\n# text **bold**\n\n# %%\nx = 1\n# a comment\nprint(x)\n")
    assert cells == [("markdown", "# Title\n\ntext **bold**"), ("code", "x = 1\n# a comment\nprint(x)")]
    with pytest.raises(ValueError, match="before the first"):
        mk.parse_lesson("x = 1\n# %%\ny = 2\n")


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_is_clean_python(path):
    """Each lesson compiles and pyflakes finds nothing (undefined names, unused imports, ...)."""
    src = path.read_text()
    compile(src, str(path), "exec")
    res = subprocess.run([sys.executable, "-m", "pyflakes", str(path)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_lessons_start_with_a_title_and_import_alviz():
    mk = _builder()
    for path in LESSONS:
        cells = mk.parse_lesson(path.read_text())
        assert cells[0][0] == "markdown" and cells[0][1].startswith("# "), path.name
        assert any(kind == "code" and "import alviz" in src for kind, src in cells), path.name
