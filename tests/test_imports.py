"""The floors of the package, read from the source: no module imports a module above its floor; no cycle.

Every import statement counts, at module level or inside a function (a lazy import is still a
dependency). A floor may import its own floor and the floors below. docs/design.md ("Floors") lists the
same floors; a new module gets a floor here (the test names any module without one).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "alviz"

#: lowest first. An entry ending in ".*" is a package: the package itself and every module under it.
FLOORS = [
    ("ground", ["alviz._version", "alviz._validation", "alviz._params", "alviz._threads", "alviz._device",
                "alviz._cache", "alviz._spill", "alviz._umap_fit", "alviz._random", "alviz.diagnostics",
                "alviz.metrics", "alviz.scores", "alviz.selection.*"]),
    ("data and networks", ["alviz.datasets", "alviz.models", "alviz.oracles", "alviz.perturbation",
                           "alviz.projection", "alviz.fields", "alviz.scenarios", "alviz._networks",
                           "alviz.vaal_networks", "alviz.contrastive_encoder", "alviz.encoders"]),
    ("strategies", ["alviz.strategies.*"]),
    ("the loop", ["alviz._session_io", "alviz.session"]),
    ("many runs", ["alviz.comparison", "alviz.experiment", "alviz.papers"]),
    ("pictures", ["alviz.plot.*", "alviz.report"]),
    ("interaction", ["alviz.widgets.*", "alviz.cli", "alviz"]),  # the labeling panel and widget tools live in widgets
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def floor_of(module: str) -> int:
    """The index of ``module``'s floor in FLOORS (a ValueError when it has none)."""
    best = None
    for i, (_, names) in enumerate(FLOORS):
        for entry in names:
            if entry.endswith(".*"):
                stem = entry[:-2]
                if module == stem or module.startswith(stem + "."):
                    best = i if best is None else best
            elif module == entry:
                return i
    if best is None:
        raise ValueError(f"{module} has no floor: add it to FLOORS in tests/test_imports.py and to docs/design.md")
    return best


def imports_of(module: str) -> set:
    """The alviz modules ``module`` imports (a submodule named in ``from pkg import sub`` counts as ``pkg.sub``)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name == "alviz" or a.name.startswith("alviz.")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                if node.level > 1:
                    base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not (target == "alviz" or target.startswith("alviz.")):
                continue
            subs = {f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in MODULES}
            found |= subs
            if len(subs) < len(node.names):  # a name defined in the module itself
                found.add(target)
    return {m for m in found if m in MODULES and m != module}


GRAPH = {m: imports_of(m) for m in MODULES}


def test_every_module_has_a_floor():
    missing = []
    for m in MODULES:
        try:
            floor_of(m)
        except ValueError:
            missing.append(m)
    assert not missing, f"modules without a floor (add them to FLOORS and docs/design.md): {missing}"


def test_no_module_imports_a_module_above_its_floor():
    upward = [f"{m} ({FLOORS[floor_of(m)][0]}) imports {t} ({FLOORS[floor_of(t)][0]})"
              for m, targets in GRAPH.items() for t in sorted(targets) if floor_of(t) > floor_of(m)]
    assert not upward, "imports that run up the floors:\n" + "\n".join(upward)


def test_there_is_no_import_cycle():
    state, stack, cycles = {}, [], []

    def visit(m):
        state[m] = "open"
        stack.append(m)
        for t in sorted(GRAPH[m]):
            if state.get(t) == "open":
                cycles.append(stack[stack.index(t):] + [t])
            elif t not in state:
                visit(t)
        stack.pop()
        state[m] = "done"

    for m in sorted(GRAPH):
        if m not in state:
            visit(m)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_pictures_and_the_diagnostics_vocabulary_need_no_torch_or_strategies():
    """plot/ reads diagnostic kinds from alviz.diagnostics, which imports nothing of alviz and no torch."""
    assert GRAPH["alviz.diagnostics"] == set()
    source = (PACKAGE / "diagnostics.py").read_text(encoding="utf-8")
    assert "torch" not in {n.names[0].name.split(".")[0] for n in ast.walk(ast.parse(source))
                           if isinstance(n, ast.Import)}
    for m, targets in GRAPH.items():
        if m.startswith("alviz.plot"):
            assert not {t for t in targets if t.startswith("alviz.strategies") or t == "alviz.models"}, m


def test_the_session_file_module_uses_the_session_through_its_public_state():
    """_session_io reads and writes Session.state() / Session.from_state(): no private session attribute."""
    tree = ast.parse((PACKAGE / "_session_io.py").read_text(encoding="utf-8"))
    private = sorted({n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
                      and isinstance(n.value, ast.Name) and n.value.id == "session" and n.attr.startswith("_")})
    assert not private, f"_session_io touches the session's private attributes {private}"
    assert "alviz.session" not in GRAPH["alviz._session_io"]


def _registers(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ClassDef):
            for d in node.decorator_list:
                if (isinstance(d, ast.Name) and d.id == "register") or (
                        isinstance(d, ast.Attribute) and d.attr == "register"):
                    return True
    return False


def test_every_module_that_defines_a_strategy_is_in_the_explicit_list():
    from alviz.strategies import STRATEGY_MODULES

    folder = PACKAGE / "strategies"
    registering = sorted(p.stem for p in folder.glob("*.py") if _registers(p))
    missing = [m for m in registering if m not in STRATEGY_MODULES]
    assert not missing, f"add {missing} to STRATEGY_MODULES in alviz/strategies/__init__.py"
    assert not [m for m in registering if m.startswith("_")], "a private module must not register strategies"
    absent = [m for m in STRATEGY_MODULES if not (folder / f"{m}.py").is_file()]
    assert not absent, f"STRATEGY_MODULES lists {absent}, which are not modules of alviz/strategies"
    assert len(set(STRATEGY_MODULES)) == len(STRATEGY_MODULES)


@pytest.mark.parametrize("source, expected", [
    ("from ..strategies.base import Strategy", "alviz.strategies.base"),
    ("from .. import scores", "alviz.scores"),
])
def test_the_reader_sees_relative_imports(tmp_path, source, expected, monkeypatch):
    """The check itself: an upward import written as a relative import is seen (a reader that saw nothing
    would pass every file)."""
    monkeypatch.setitem(MODULES, "alviz.plot._probe", tmp_path / "_probe.py")
    (tmp_path / "_probe.py").write_text(source + "\n")
    assert expected in imports_of("alviz.plot._probe")
