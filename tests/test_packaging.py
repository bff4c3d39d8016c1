"""environment.yml and pyproject.toml must name the same runtime dependencies; the README's make commands exist and CI runs make test."""
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"pytorch": "torch"}  # conda-forge name -> PyPI name


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ \[;#]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_matches_pyproject():
    py = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pip_names = {_name(d) for d in py}
    conda = []
    in_deps = False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.startswith("dependencies:"):
            in_deps = True
            continue
        m = re.match(r"\s+-\s+([^\s#]+)", line)
        if in_deps and m:
            conda.append(m.group(1))
    conda_names = {CONDA_NAMES.get(_name(c), _name(c)) for c in conda} - {"python", "pip"}
    assert conda_names == pip_names, f"only in environment.yml: {conda_names - pip_names}; only in pyproject: {pip_names - conda_names}"


def _make_targets() -> set:
    return set(re.findall(r"^([A-Za-z][\w-]*)\s*:(?!=)", (ROOT / "Makefile").read_text(), flags=re.M))


def _dry_run(target: str) -> list:
    """The commands ``make -n target`` would run (nothing is executed)."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    # run under `make test` itself: drop the outer make's flags and command-line variables
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PYTEST_ARGS")}
    out = subprocess.run(["make", "-n", "-C", str(ROOT), target, "PYTEST_ARGS="], capture_output=True, text=True,
                         timeout=60, env=env)
    assert out.returncode == 0, f"make -n {target} failed: {out.stderr}"
    return out.stdout.splitlines()


def test_every_make_command_in_the_readme_is_a_makefile_target():
    mentioned = set(re.findall(r"\bmake ([a-z][\w-]*)", (ROOT / "README.md").read_text()))
    assert {"lab", "test", "test-fast"} <= mentioned
    missing = mentioned - _make_targets()
    assert not missing, f"README.md mentions make {', '.join(sorted(missing))}, which the Makefile does not define"


def test_make_test_runs_everything_and_test_fast_skips_slow_and_browser():
    pytest_lines = lambda target: [ln for ln in _dry_run(target) if " -m pytest" in ln]  # noqa: E731
    full, fast = pytest_lines("test"), pytest_lines("test-fast")
    assert len(full) == 1 and len(fast) == 1
    assert " -m " not in full[0].split("-m pytest", 1)[1], "make test must not deselect anything"
    assert re.search(r"-m [\"']not slow and not browser[\"']", fast[0])
    # the markers it filters on are declared, so a typo cannot silently select everything
    markers = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["markers"]
    assert {m.split(":")[0] for m in markers} >= {"slow", "browser"}


def test_ci_runs_make_test_from_the_repository_root(tmp_path):
    """``.ci/run`` with a stand-in ``make`` on PATH: it must call ``make test`` once, in the repo root."""
    log = tmp_path / "calls"
    fake = tmp_path / "bin" / "make"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\necho "$PWD|$*" >> {log}\n')
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{fake.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    out = subprocess.run(["bash", str(ROOT / ".ci" / "run")], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert log.read_text().splitlines() == [f"{ROOT}|test"]
