"""alviz.experiment: strategies x seeds, intervals, paired differences, joblib / Dask, figures, the CLI."""
from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import pytest

import alviz
from alviz import cli
from alviz.experiment import RESULT_COLUMNS, Experiment, interval

from .conftest import require_or_skip

STRATEGIES = ["random", "margin"]


@pytest.fixture(scope="module")
def exp(digits):
    return alviz.experiment(digits, STRATEGIES, seeds=[0, 1, 2], rounds=3, budget=5)


def _aulc(exp, name, seed):
    g = exp.results[(exp.results["strategy"] == name) & (exp.results["seed"] == seed)]
    return alviz.plot.area_under_curve(g["n_labeled"].to_numpy(), g["accuracy"].to_numpy())


def test_results_have_one_row_per_strategy_seed_and_round(exp, digits):
    res = exp.results
    assert isinstance(exp, Experiment) and list(res.columns) == list(RESULT_COLUMNS)
    assert len(res) == 2 * 3 * 3
    assert not res.duplicated(["strategy", "seed", "round"]).any()
    assert list(res["strategy"].unique()) == STRATEGIES and sorted(res["seed"].unique()) == [0, 1, 2]
    assert list(res["n_labeled"].unique()) == [20, 25, 30]
    assert set(exp.sessions) == {(s, k) for s in STRATEGIES for k in (0, 1, 2)}
    s = exp.sessions[("margin", 1)]
    assert s.dataset is digits and len(s.rounds) == 3
    np.testing.assert_allclose(s.learning_curve()[1], res[(res.strategy == "margin") & (res.seed == 1)]["accuracy"])


def test_each_seed_is_one_start_shared_by_all_strategies(exp):
    for seed in exp.seeds:
        c = exp.comparison(seed)
        starts = [s.initial_indices for s in c.values()]
        np.testing.assert_array_equal(starts[0], starts[1])
        accs = [s.rounds[0].metrics["accuracy"] for s in c.values()]
        assert accs[0] == accs[1]  # same labeled set, same model seed: the same first model
    assert not np.array_equal(exp.sessions[("random", 0)].initial_indices, exp.sessions[("random", 1)].initial_indices)


def test_summary_is_the_mean_of_the_per_seed_aulc_with_intervals_that_hold_it(exp):
    summ = exp.summary()
    assert list(summ.index) == STRATEGIES
    for name in STRATEGIES:
        per_seed = [_aulc(exp, name, k) for k in exp.seeds]
        assert summ.loc[name, "aulc_mean"] == pytest.approx(np.mean(per_seed))
        finals = exp.results[(exp.results.strategy == name) & (exp.results["round"] == 2)]["accuracy"]
        assert summ.loc[name, "final_mean"] == pytest.approx(finals.mean())
        for col in ("aulc", "final", "diff"):
            assert summ.loc[name, f"{col}_low"] <= summ.loc[name, f"{col}_mean"] <= summ.loc[name, f"{col}_high"]
        # t interval: mean ± t(0.975, 2) * sd / sqrt(3)
        half = 4.302652729911275 * np.std(per_seed, ddof=1) / np.sqrt(3)
        assert summ.loc[name, "aulc_high"] - summ.loc[name, "aulc_mean"] == pytest.approx(half)


def test_paired_difference_to_random(exp):
    summ = exp.summary()
    d = [_aulc(exp, "margin", k) - _aulc(exp, "random", k) for k in exp.seeds]
    assert summ.loc["margin", "diff_mean"] == pytest.approx(np.mean(d))
    assert summ.loc["margin", "wins"] == pytest.approx(np.mean(np.array(d) > 0) + 0.5 * np.mean(np.array(d) == 0))
    assert summ.loc["margin", "wins"] == exp.win_fractions().loc["margin", "random"]
    assert summ.loc["random", "diff_mean"] == 0.0 and summ.loc["random", "verdict"] == "the baseline"
    low, high = summ.loc["margin", "diff_low"], summ.loc["margin", "diff_high"]
    expected = "better than random" if low > 0 else "worse than random" if high < 0 else "not significant"
    assert summ.loc["margin", "verdict"].startswith(expected)
    assert summ.loc["margin", "significant"] == (low > 0 or high < 0)
    assert "diff_mean" not in exp.summary(baseline=None).columns


def test_interval_of_one_value_has_no_width():
    mean, low, high = interval([0.8])
    assert mean == 0.8 and np.isnan(low) and np.isnan(high)
    assert interval([0.5, 0.5, 0.5]) == (0.5, 0.5, 0.5)


def test_configured_objects_get_distinct_names_and_their_own_copy(digits):
    s = alviz.strategies.get("margin")
    e = alviz.experiment(digits, [s, "margin"], seeds=1, rounds=2, budget=5)
    assert e.strategies == ["margin", "margin#2"]
    assert e.sessions[("margin", 0)].strategy is not s
    a, b = (e.results[e.results.strategy == n]["accuracy"].to_numpy() for n in e.strategies)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bad, match", [
    (dict(seeds=[]), "at least one seed"),
    (dict(seeds=[1, 1]), "repeat a seed"),
    (dict(n_jobs=0), "n_jobs=0"),
    (dict(strategies="margin"), "as a list"),
])
def test_experiment_refuses_bad_input(digits, bad, match):
    kw = dict(strategies=STRATEGIES, seeds=[0], rounds=1, budget=5)
    kw.update(bad)
    with pytest.raises(ValueError, match=match):
        alviz.experiment(digits, **kw)


def _small(digits, **kw):
    return alviz.experiment(digits, STRATEGIES, seeds=[0, 1], rounds=2, budget=5, keep_sessions=False, **kw)


@pytest.mark.slow  # starts two loky workers and a Dask cluster: about a minute on 2 busy cores
def test_results_are_identical_with_two_jobs_and_on_dask(digits):
    """Serial, two loky processes and a Dask cluster of two worker processes: the same table."""
    import joblib

    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        require_or_skip(False, "dask[distributed] is not installed")
    serial = _small(digits).results.drop(columns="seconds")
    two = _small(digits, n_jobs=2).results.drop(columns="seconds")
    pd.testing.assert_frame_equal(serial, two)
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster):
        with joblib.parallel_config(backend="dask"):
            on_dask = _small(digits, n_jobs=-1)
    pd.testing.assert_frame_equal(serial, on_dask.results.drop(columns="seconds"))


def test_sessions_come_back_from_worker_processes_and_continue(digits):
    e = alviz.experiment(digits, ["margin"], seeds=[3], rounds=1, budget=5, n_jobs=2)
    s = e.sessions[("margin", 3)]
    assert s.dataset is digits and s.model is not None
    here = alviz.Session(digits, "margin", initial=20, budget=5, seed=3)
    here.run(2)
    s.step()
    np.testing.assert_array_equal(s.rounds[1].selected, here.rounds[1].selected)


# ----------------------------------------------------------------------------- figures
def test_learning_curves_of_an_experiment_draw_mean_lines_and_bands(exp):
    fig = alviz.plot.learning_curves(exp)
    bands = [t for t in fig.data if t.fill == "toself"]
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    assert [t.meta["strategy"] for t in bands] == STRATEGIES and [t.meta["strategy"] for t in lines] == STRATEGIES
    summ = exp.summary()
    res = exp.results
    for band, line, name in zip(bands, lines, STRATEGIES):
        mean = res[res.strategy == name].groupby("round")["accuracy"].mean().to_numpy()
        np.testing.assert_allclose(line.y, mean)
        upper, lower = np.asarray(band.y[:3]), np.asarray(band.y[3:])[::-1]
        assert np.all(lower <= mean + 1e-12) and np.all(mean <= upper + 1e-12) and np.any(upper > lower)
        half = (summ.loc[name, "aulc_high"] - summ.loc[name, "aulc_low"]) / 2
        assert line.name == f"{name} (AULC {summ.loc[name, 'aulc_mean']:.3f} ± {half:.3f})"
        assert band.showlegend is False and band.legendgroup == line.legendgroup == name


def test_learning_curves_against_a_baseline_draw_paired_differences(exp):
    fig = alviz.plot.learning_curves(exp, baseline="random")
    (band,) = [t for t in fig.data if t.fill == "toself"]
    (line,) = [t for t in fig.data if t.mode == "lines+markers"]
    res = exp.results
    acc = res.pivot_table(index=["seed", "round"], columns="strategy", values="accuracy")
    d = (acc["margin"] - acc["random"]).unstack("seed").to_numpy()
    np.testing.assert_allclose(line.y, d.mean(axis=1))
    upper, lower = np.asarray(band.y[:3]), np.asarray(band.y[3:])[::-1]
    assert np.all(lower <= line.y + 1e-12) and np.all(line.y <= upper + 1e-12)
    assert line.name.startswith("margin − random (AULC ") and line.meta["baseline"] == "random"
    with pytest.raises(ValueError, match="not one of"):
        alviz.plot.learning_curves(exp, baseline="badge")
    with pytest.raises(ValueError, match="needs an experiment"):
        alviz.plot.learning_curves(exp.comparison(0), baseline="random")


def test_one_seed_draws_no_band(digits):
    e = alviz.experiment(digits, STRATEGIES, seeds=[4], rounds=2, budget=5, keep_sessions=False)
    fig = alviz.plot.learning_curves(e)
    assert not any(t.fill == "toself" for t in fig.data)
    assert all(t.name.endswith("one seed)") for t in fig.data)
    assert set(e.summary()["verdict"]) == {"the baseline", "one seed: no interval"}


def test_learning_curves_of_sessions_still_work(exp):
    fig = alviz.plot.learning_curves(exp.comparison(0))
    assert len(fig.data) == 2 and not any(t.fill == "toself" for t in fig.data)


def test_win_matrix_counts_seeds_where_the_row_beats_the_column(exp):
    fig = alviz.plot.win_matrix(exp)
    z = np.array(fig.data[0].z, dtype=float)
    a = {n: np.array([_aulc(exp, n, k) for k in exp.seeds]) for n in STRATEGIES}
    wins = np.mean(a["margin"] > a["random"]) + 0.5 * np.mean(a["margin"] == a["random"])
    assert z[1, 0] == pytest.approx(wins) and z[0, 1] == pytest.approx(1 - wins)
    assert np.isnan(z[0, 0]) and np.isnan(z[1, 1])
    assert fig.data[0].text[1][0] == f"{wins:.2f}" and list(fig.data[0].x) == STRATEGIES
    with pytest.raises(TypeError, match="alviz.experiment"):
        alviz.plot.win_matrix(exp.comparison(0))


def test_report_and_cli_write_the_csv_and_the_report(exp, tmp_path, capsys):
    page = alviz.report.write_html(exp, tmp_path / "exp.html").read_text()
    assert "Who beats whom" in page and '"fill":"toself"' in page and "AULC − random" in page
    out, rep = tmp_path / "r.csv", tmp_path / "r.html"
    rc = cli.main(["experiment", "--dataset", "digits", "--strategies", "random,margin", "--seeds", "0-1",
                   "--rounds", "2", "--budget", "5", "--out", str(out), "--report", str(rep), "--quiet"])
    assert rc == 0
    table = pd.read_csv(out)
    assert list(table.columns) == list(RESULT_COLUMNS) and len(table) == 2 * 2 * 2
    assert sorted(table.seed.unique()) == [0, 1]
    assert "Who beats whom" in rep.read_text()
    assert cli.main(["experiment", "--strategies", "margin,nope", "--out", str(out), "--quiet"]) == 2
    assert "unknown strategy 'nope'" in capsys.readouterr().err


def test_cli_seed_ranges():
    assert cli.parse_seeds("0-3,7") == [0, 1, 2, 3, 7]
    for bad, match in (("3-1", "backwards"), ("a", "not a seed"), ("1,1", "twice"), ("", "no seeds")):
        with pytest.raises(argparse.ArgumentTypeError, match=match):
            cli.parse_seeds(bad)


@pytest.mark.browser
def test_experiment_report_draws_its_bands_and_win_matrix_in_chromium(exp, tmp_path):
    from .browser import chromium, open_page

    path = alviz.report.write_html(exp, tmp_path / "exp.html")
    with chromium() as browser:
        with open_page(browser, path.as_uri()) as (page, errors):
            page.wait_for_function("() => { const g = document.querySelectorAll('.js-plotly-plot');"
                                   " return g.length === 3 && Array.from(g).every(d => d._fullLayout); }")
            n_bands = page.evaluate("document.querySelectorAll('#alviz-fig-curves .scatterlayer path.js-fill')"
                                    ".length")
            cells = page.evaluate("document.getElementById('alviz-fig-wins')._fullData[0].z.flat()"
                                  ".filter(v => v !== null && !Number.isNaN(v)).length")
            assert errors == []
    assert n_bands == len(STRATEGIES)
    assert cells == len(STRATEGIES) * (len(STRATEGIES) - 1)


def test_a_noisy_oracle_adds_label_accuracy(digits):
    exp = alviz.experiment(digits, ["random"], seeds=[0, 1], rounds=2, budget=10,
                           oracle=alviz.oracles.Noisy(rate=0.5))
    res = exp.results
    assert list(res.columns) == list(RESULT_COLUMNS) + ["label_accuracy"]
    for (_, seed), sess in exp.sessions.items():
        got = res[res.seed == seed]["label_accuracy"].to_numpy()
        want = [np.mean(r.given_labels == digits.y[r.selected]) for r in sess.rounds]
        np.testing.assert_allclose(got, want)
    assert res["label_accuracy"].mean() < 0.9  # half the labels are flipped
