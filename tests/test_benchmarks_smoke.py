"""The benchmarks cannot rot: each ``benchmarks/bench_*.py`` runs ``run(quick=True)`` here.

This checks what a benchmark reports (row keys, correctness fields such as
identical picks), never timing thresholds: timing lives in the benchmarks and
their README table, not in unit tests.
"""
from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest

from .conftest import require_or_skip

BENCH_DIR = Path(__file__).resolve().parent.parent / "benchmarks"
MODULES = sorted(p.stem for p in BENCH_DIR.glob("bench_*.py"))
ROW_KEYS = {"benchmark", "case", "ours_s", "ours_peak_mib", "target", "met"}


def load(name: str):
    """Import ``benchmarks/<name>.py`` as its script would see it (benchmarks/ on sys.path)."""
    if str(BENCH_DIR) not in sys.path:
        sys.path.insert(0, str(BENCH_DIR))
    spec = importlib.util.spec_from_file_location(name, BENCH_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_ROWS: dict = {}


def quick_rows(name: str) -> list:
    if name not in _ROWS:
        _ROWS[name] = load(name).run(quick=True)
    return _ROWS[name]


def test_every_benchmark_is_found():
    assert {"bench_kcenter", "bench_rounds"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_quick_run_reports_well_formed_rows(name):
    rows = quick_rows(name)
    assert isinstance(rows, list) and rows, f"{name}.run(quick=True) returned no rows"
    for r in rows:
        assert ROW_KEYS <= set(r), f"{name}: row lacks {ROW_KEYS - set(r)}"
        assert isinstance(r["case"], str) and r["case"]
        assert r["met"] in (True, False, None)
        if "ref_s" in r:
            assert "speedup" in r and r["speedup"] > 0
        if "skipped" not in r:
            assert r["ours_s"] >= 0 and math.isfinite(r["ours_s"])
        json.loads(json.dumps(r))  # what run_all writes and reads back
        # correctness fields are booleans that must hold (timing targets may be missed; these may not)
        for key, value in r.items():
            if isinstance(value, bool) and key.startswith(("identical", "same")):
                assert value, f"{name} {r['case']}: {key} is False"
        assert "error" not in r, f"{name} {r['case']}: {r.get('error')}"


def test_kcenter_matches_the_full_distance_matrix():
    (row,) = [r for r in quick_rows("bench_kcenter") if "full distance matrix" in r["case"]]
    assert row["identical_picks"] is True and row["first_difference"] is None
    assert row["ref_peak_mib"] > row["ours_peak_mib"]  # the reference holds an n x n matrix, ours does not


def test_kcenter_matches_scikit_activeml():
    (row,) = [r for r in quick_rows("bench_kcenter") if "scikit-activeml" in r["case"]]
    require_or_skip("skipped" not in row, row.get("skipped", ""))  # scikit-activeml is in the dev extra
    assert row["identical_picks"] is True and row["first_difference"] is None
    assert "skactiveml" in row["reference"]


def test_kcenter_full_matrix_reference_is_the_textbook_rule():
    """The reference itself, on a hand-computed case: points on a line, centre at 0."""
    import numpy as np

    bench = load("bench_kcenter")
    F = np.array([[0.0], [1.0], [5.0], [2.0], [9.0], [7.0]])
    labeled = np.array([True, False, False, False, False, False])
    # distances to {0}: 1, 5, 2, 9, 7 -> pick 9 (index 4); to {0, 9}: 1, 4, 2, 2 -> pick 5 (index 2);
    # to {0, 9, 5}: 1, 2, 2 -> 2 (index 3) and 7 (index 5) tie at 2: the lower index wins
    picks = bench.full_matrix_kcenter(F, labeled.copy(), 3)
    assert picks.tolist() == [4, 2, 3]
    import alviz

    assert alviz.selection.k_center_greedy(F, labeled, 3).tolist() == picks.tolist()


def test_rounds_cover_the_requested_strategies():
    rows = quick_rows("bench_rounds")
    for r in rows:
        if "skipped" in r:
            assert "not registered" in r["skipped"]
            continue
        assert r["rounds"] >= 1 and len(r["picks_per_round"]) == r["rounds"]
        assert r["max_round_s"] >= r["ours_s"] - 1e-3  # the slowest round vs the mean (rounded to 1e-4)
        assert r["train_s"] + r["query_s"] <= r["max_round_s"] + 1e-3
    large = [r for r in rows if r["case"].startswith("blobs")]
    assert {r["strategy"] for r in large} == {"margin", "coreset", "badge", "dfal"}
    assert all(r["picks_per_round"] == [20] for r in large if "skipped" not in r)


def test_rounds_digits_covers_every_registered_strategy(monkeypatch):
    """The full run lists every registered strategy (checked without running them)."""
    import alviz

    bench = load("bench_rounds")
    seen = []
    monkeypatch.setattr(bench, "rounds_row", lambda ds, s, *a, **k: seen.append(s) or {})
    bench.digits_rows(dataset=alviz.datasets.make_toy("moons", n=60, seed=0))
    assert seen == alviz.strategies.available()


def test_fields_benchmark_puts_each_field_next_to_its_round():
    bench = load("bench_fields")
    rows = quick_rows("bench_fields")
    assert [r["strategy"] for r in rows] == list(bench.QUICK_STRATEGIES)
    for r in rows:
        assert r["grid_points"] == 15 * 15 and r["finite_fraction"] > 0.95
        assert r["round_s"] > 0 and r["field_over_round"] >= 0


def test_scale_quick_runs_a_small_shifted_mnist_pool():
    rows = quick_rows("bench_scale")
    assert [r["strategy"] for r in rows] == ["random", "margin", "badge"]
    for r in rows:
        assert r["case"] == f"mnist1000 {r['strategy']}" and r["n_pool"] == 1000
        assert r["picks"] == [10] and len(r["train_s"]) == len(r["query_s"]) == 1
        assert r["peak_rss_mib"] > 0


def test_scale_full_run_covers_every_registered_strategy(monkeypatch):
    import alviz

    bench = load("bench_scale")
    seen = []
    monkeypatch.setattr(bench, "_in_subprocess", lambda s, n, *a, **k: seen.append((s, n)) or {"case": s})
    bench.run()
    assert seen == [(s, 60_000) for s in alviz.strategies.available()]


def test_scale_pool_images_are_shifted_copies():
    import numpy as np

    bench = load("bench_scale")
    img = np.arange(1, 26, dtype=np.float32).reshape(1, 5, 5).repeat(2, axis=0)
    out = bench.shift_images(img, np.array([1, -2]), np.array([0, 1]))
    np.testing.assert_array_equal(out[0, 1:], img[0, :-1])  # down by one row
    assert (out[0, 0] == 0).all()
    np.testing.assert_array_equal(out[1, :3, 1:], img[1, 2:, :-1])  # up by two, right by one
    ds = bench.shifted_mnist(8000)
    assert ds.X.shape == (8000, 1, 28, 28) and np.shares_memory(ds.X, ds.images)
    import alviz

    base = alviz.datasets.load_mnist(seed=0)
    np.testing.assert_array_equal(ds.y[:4000], base.y)  # copy c of every image, in pool order
    assert not np.array_equal(ds.X[:4000], base.X)  # every copy is shifted
    # a shift by at most 2 px moves ink, it does not erase much of it
    np.testing.assert_allclose(ds.X[:4000].sum((1, 2, 3)), base.X.sum((1, 2, 3)), rtol=0.5)


def test_scale_a_partial_run_replaces_its_rows_and_keeps_the_others(tmp_path, monkeypatch):
    bench = load("bench_scale")
    out = tmp_path / "bench_scale.json"
    old = [{"case": "mnist60000 random", "ours_s": 1.0}, {"case": "mnist60000 qbc_kl", "ours_s": 45.0},
           {"case": "mnist60000 margin", "ours_s": 2.0}]
    out.write_text(json.dumps(old))
    monkeypatch.setattr(bench, "_in_subprocess",
                        lambda s, n, *a, **k: {"case": f"mnist{n} {s}", "ours_s": 20.0})
    bench.run(strategies=["qbc_kl", "vaal"], out=out)
    got = json.loads(out.read_text())
    assert [r["case"] for r in got] == ["mnist60000 random", "mnist60000 qbc_kl", "mnist60000 margin",
                                        "mnist60000 vaal"]
    assert [r["ours_s"] for r in got] == [1.0, 20.0, 2.0, 20.0]


@pytest.mark.slow  # about 20 s: seven strategies, a CNN fitted twice
def test_gpu_check_self_test_runs_on_a_cpu_only_machine():
    """The GPU check cannot run here; its CPU self-test (cpu against cpu) runs the same code path end to
    end on a small pool, so a change that breaks the script is caught before it reaches a GPU machine."""
    import os
    import subprocess

    names = ["random", "margin", "dfal", "gradnorm", "badge", "vaal", "qbc_kl"]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    res = subprocess.run([sys.executable, str(BENCH_DIR / "gpu_check.py"), "--against", "cpu", "--n-pool", "300",
                          "--initial", "20", "--budget", "5", "--strategies", ",".join(names)],
                         capture_output=True, text=True, timeout=600, env=env, cwd=str(BENCH_DIR.parent))
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    lines = {ln.split()[0]: ln for ln in res.stdout.splitlines() if ln.split() and ln.split()[0] in names}
    assert set(lines) == set(names), res.stdout
    assert all(" ok " in ln for ln in lines.values()), res.stdout
    assert "checks passed" in res.stdout
