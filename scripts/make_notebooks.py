"""Build the teaching notebooks in ``notebooks/`` from the lesson scripts in ``notebooks/lessons/``.

Each lesson is a plain Python script in the percent format (jupytext's and
scikit-learn's examples' format): ``# %%`` starts a code cell, ``# %% [markdown]``
a markdown cell whose lines are comments. The scripts are ordinary Python, so
they are linted and reviewed as code; the stored ``.ipynb`` are built from them
without outputs:

    python scripts/make_notebooks.py            # (re)write notebooks/*.ipynb
    python scripts/make_notebooks.py --check    # exit 1 if a notebook differs from its lesson script

Notebooks only ``import alviz``; they never re-implement it.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
NB_DIR = ROOT / "notebooks"
LESSON_DIR = NB_DIR / "lessons"

_MARKER = re.compile(r"^# %%(?:\s*\[(markdown|md)\])?\s*$")


def parse_lesson(text: str) -> list:
    """[(kind, source)] cells of a percent-format script; kind is "markdown" or "code"."""
    cells, kind, lines = [], None, []

    def flush():
        if kind is None:
            return
        src = "\n".join(lines).strip("\n")
        if kind == "markdown":
            src = "\n".join(re.sub(r"^# ?", "", ln) if ln.startswith("#") else ln for ln in src.split("\n"))
        cells.append((kind, src))

    for line in text.split("\n"):
        m = _MARKER.match(line)
        if m:
            flush()
            kind, lines = ("markdown" if m.group(1) else "code"), []
        elif kind is not None:
            lines.append(line)
        elif line.strip():
            raise ValueError(f"text before the first '# %%' marker: {line!r}")
    flush()
    return cells


def lessons() -> dict:
    """stem -> cells, for every ``notebooks/lessons/*.py``, in name order."""
    return {p.stem: parse_lesson(p.read_text()) for p in sorted(LESSON_DIR.glob("[0-9]*.py"))}


def build(cells) -> nbformat.NotebookNode:
    """A notebook (nbformat 4, no outputs) with stable cell ids, so rebuilding gives the same file."""
    nb = new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    out = []
    for i, (kind, src) in enumerate(cells):
        cell = new_markdown_cell(src) if kind == "markdown" else new_code_cell(src)
        cell.id = f"cell-{i:02d}"
        out.append(cell)
    nb.cells = out
    return nb


def render(cells) -> str:
    return nbformat.writes(build(cells)) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only check that notebooks/ matches the lesson scripts")
    args = ap.parse_args(argv)
    NB_DIR.mkdir(exist_ok=True)
    stale = []
    built = lessons()
    for stem, cells in built.items():
        path = NB_DIR / f"{stem}.ipynb"
        text = render(cells)
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(path.name)
        else:
            path.write_text(text)
    orphans = sorted(p.name for p in NB_DIR.glob("[0-9]*.ipynb") if p.stem not in built)
    if orphans:
        print("notebooks without a lesson script in notebooks/lessons/:", ", ".join(orphans), file=sys.stderr)
        return 1
    if stale:
        print("out of date (run python scripts/make_notebooks.py):", ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
