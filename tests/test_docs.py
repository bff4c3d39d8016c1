"""The documents in docs/ stay true to the code: every strategy has its rule, every public name exists."""
from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

import alviz

ROOT = Path(__file__).resolve().parents[1]
DESIGN = ROOT / "docs" / "design.md"
STRATEGIES = ROOT / "docs" / "strategies.md"


def _resolve(dotted: str):
    """The object a dotted name ``alviz.a.b.c`` names, importing submodules on the way; None if it does not exist."""
    parts = dotted.split(".")
    obj = importlib.import_module(parts[0])
    for i, part in enumerate(parts[1:], start=1):
        if hasattr(obj, part):
            obj = getattr(obj, part)
            continue
        try:
            obj = importlib.import_module(".".join(parts[: i + 1]))
        except ImportError:
            return None
    return obj


def test_readme_links_the_documents():
    readme = (ROOT / "README.md").read_text()
    for doc in ("docs/design.md", "docs/strategies.md"):
        assert f"]({doc})" in readme, f"README.md has no link to {doc}"
        assert (ROOT / doc).is_file()


@pytest.mark.parametrize("name", alviz.strategies.available())
def test_every_registered_strategy_has_its_rule_in_strategies_md(name):
    text = STRATEGIES.read_text()
    assert f"`{name}`" in text, f"docs/strategies.md does not describe the strategy {name!r}"


def test_the_public_names_in_design_md_exist():
    """Every ``alviz.x.y`` the document names is a real object (except in its "In progress" subsection)."""
    text = re.sub(r"\n### In progress.*?(?=\n## )", "\n", DESIGN.read_text(), flags=re.S)
    names = sorted(set(re.findall(r"\balviz(?:\.[A-Za-z_]\w*)+", text)))
    assert len(names) >= 30, "the contract section lists the public names"
    missing = [n for n in names if _resolve(n) is None]
    assert not missing, f"docs/design.md names {missing}, which do not exist in alviz"


def test_the_files_design_md_places_exist():
    """The layout block names files of the package; the established ones must be where it says."""
    block = DESIGN.read_text().split("## Where a thing lives", 1)[1].split("```")[1]
    for rel in ("datasets.py", "models.py", "scores.py", "selection/_core.py", "perturbation.py", "encoders.py",
                "session.py", "fields.py", "projection.py", "widgets/_canvas.py", "widgets/_round.py", "report.py",
                "cli.py", "_validation.py", "_cache.py", "strategies/base.py", "strategies/clustering.py"):
        assert rel.split("/")[-1] in block
        assert (ROOT / "alviz" / rel).is_file(), f"docs/design.md places alviz/{rel}, which does not exist"
