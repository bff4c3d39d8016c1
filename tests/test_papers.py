"""alviz.papers: each published result measured on small data, beside the paper's figure and source;
experiment.summary() never lets a difference within noise pass for a finding."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import alviz
from alviz import papers
from alviz.experiment import Experiment, seeds_needed
from alviz.models import MLP


@pytest.fixture(scope="module")
def mnist():
    return alviz.datasets.load_mnist(seed=0, test_size=0.2)


def test_deepfool_robustness_lies_near_table_1(mnist):
    """The paper's FC 500-150-10 (60 000 training images) has rho_adv = 0.11. Here the same network
    trains on 4 000 images for 600 steps: its test error is about 3 % instead of 1.7 %, and its
    boundaries sit a little further out, so rho comes out near 0.13 (measured 0.137). The band
    [0.07, 0.20] is the paper's figure within a factor of about 1.6 each way: it excludes the values a
    broken attack gives (0 when nothing moves, > 0.3 for an attack that overshoots or follows the
    wrong class), and the paper's LeNet row (0.20) is its upper edge."""
    rep = papers.deepfool_robustness(MLP(hidden=(500, 150), dropout=0.0, steps=600), mnist, n=300)
    t = rep.table
    assert t.loc["rho_adv", "paper"] == 0.11 and "CVPR 2016" in rep.source and "Table 1" in rep.source
    assert 0.07 <= t.loc["rho_adv", "alviz"] <= 0.20
    assert t.loc["mean_iterations", "alviz"] < 3  # "DeepFool converges in fewer than 3 iterations on average"
    assert t.loc["flipped", "alviz"] == 1.0
    assert rep.details["network"] == "fc500-150-10" and rep.details["rho"].shape == (300,)
    assert "4000 images" in rep.note
    assert "rho_adv" in rep._repr_html_() and "0.11" in repr(rep)


def test_deepfool_robustness_refuses_a_model_without_gradients(mnist):
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(TypeError, match="alviz torch model"):
        papers.deepfool_robustness(LogisticRegression(), mnist)
    with pytest.raises(ValueError, match="network="):
        papers.deepfool_robustness(MLP(), mnist, network="resnet")


def test_budget_crossover_typical_picks_beat_random_at_a_small_budget():
    """On digits with 20 labels (2 per class, one of them a seeded random start per class),
    TypiClust's and ProbCover's mean accuracy over 3 seeds beats random's: measured 0.787 and 0.790
    against 0.730 (the papers' low-budget claim); both seeds-fixed, so this is deterministic."""
    ds = alviz.datasets.load_digits(seed=0)
    rep = papers.budget_crossover(ds, strategies=("random", "typiclust", "probcover"), budgets=(20,),
                                  seeds=range(3), model=MLP(hidden=(64,), steps=200))
    t = rep.table
    assert list(t.index) == [20] and t.loc[20, "labels_per_class"] == 2.0
    assert t.loc[20, "typiclust"] > t.loc[20, "random"] and t.loc[20, "probcover"] > t.loc[20, "random"]
    assert t.loc[20, "winner"] in ("typiclust", "probcover")
    assert t.loc[20, "paper"] == "typical / covering picks win"
    assert "ICML 2022" in rep.source and "NeurIPS 2022" in rep.source
    with pytest.raises(ValueError, match="multiple of step"):
        papers.budget_crossover(ds, budgets=(25,), step=10)


def test_coverage_outliers_core_set_takes_outliers_probcover_does_not():
    rep = papers.coverage_outliers(picks=(5, 20))
    t = rep.table
    assert t.loc[5, "coreset"] >= 0.2  # max-min distance runs to the planted outliers first
    assert t.loc[5, "probcover"] == 0.0 and t.loc[5, "typiclust"] == 0.0
    assert t.loc[20, "coreset"] < t.loc[5, "coreset"]  # ... and runs out of them as the budget grows
    assert "Figure 1" in rep.source
    with pytest.raises(ValueError, match="is_outlier"):
        papers.coverage_outliers(alviz.datasets.make_toy("blobs", n=100))


def test_repeated_dataset_is_the_pool_three_times_with_noise():
    ds = alviz.datasets.load_digits(seed=0)
    rep = papers.repeated_dataset(ds, copies=3, noise=0.1)
    n = len(ds.X)
    assert len(rep.X) == 3 * n and np.array_equal(rep.y[n:], np.repeat(ds.y, 2))
    origin = rep.meta["origin"]
    assert np.array_equal(np.bincount(origin), np.full(n, 3))
    assert not np.allclose(rep.X[n], ds.X[origin[n]]) and np.abs(rep.X[n] - ds.X[origin[n]]).mean() < 0.2 * ds.X.std()


def _synthetic_experiment(diffs: dict, seeds: int = 5) -> Experiment:
    """An Experiment whose accuracies are random's plus a fixed per-seed difference (no training)."""
    rng = np.random.default_rng(0)
    base = 0.6 + 0.05 * rng.standard_normal((seeds, 3))
    rows = []
    for name, d in {"random": np.zeros(seeds), **diffs}.items():
        for k in range(seeds):
            for r in range(3):
                rows.append({"strategy": name, "seed": k, "round": r, "n_labeled": 10 * (r + 1),
                             "accuracy": base[k, r] + d[k], "seconds": 0.0})
    ds = alviz.datasets.make_toy("moons", n=60)
    return Experiment(pd.DataFrame(rows), {}, ["random", *diffs], list(range(seeds)), ds)


def test_summary_says_not_significant_for_identical_strategies_and_significant_for_a_clear_win():
    rng = np.random.default_rng(1)
    exp = _synthetic_experiment({"same": np.zeros(5), "clear": 0.1 + 0.01 * rng.standard_normal(5),
                                 "noisy": 0.004 + 0.02 * rng.standard_normal(5)})
    s = exp.summary()
    assert not s.loc["same", "significant"] and s.loc["same", "verdict"].startswith("not significant")
    assert s.loc["same", "seeds_needed"] == np.inf
    assert s.loc["clear", "significant"] and s.loc["clear", "verdict"] == "better than random"
    assert not s.loc["noisy", "significant"]
    needed = s.loc["noisy", "seeds_needed"]
    assert needed > 5 and f"about {int(needed)} seeds" in s.loc["noisy", "verdict"]


def test_seeds_needed_is_the_smallest_count_whose_interval_excludes_zero():
    from scipy import stats

    d = np.array([0.01, 0.03, -0.01, 0.02, 0.0])
    n = int(seeds_needed(d))
    m, sd = d.mean(), d.std(ddof=1)
    half = lambda k: stats.t.ppf(0.975, k - 1) * sd / np.sqrt(k)  # noqa: E731
    assert half(n) < m <= half(n - 1)
    assert np.isnan(seeds_needed([0.1])) and seeds_needed([0.1, 0.1]) == 2 and seeds_needed([1, -1]) == np.inf


def test_seed_flips_counts_significant_results_of_either_sign_over_three_seed_subsets():
    rng = np.random.default_rng(2)
    # a method no better than random, with a large seed-to-seed spread: with 3 seeds it sometimes
    # comes out significantly better and sometimes significantly worse
    exp = _synthetic_experiment({"coin": 0.08 * rng.standard_normal(12)}, seeds=12)
    rep = papers.seed_flips(exp, subset=3, n_draws=300)
    row = rep.table.loc["coin"]
    assert row["significantly_better"] > 0 and row["significantly_worse"] > 0
    assert row["significantly_better"] + row["significantly_worse"] + row["not_significant"] == pytest.approx(1)
    assert row["all_seeds"].startswith("not significant") and "CDALBench" in rep.source
    with pytest.raises(ValueError, match="more than"):
        papers.seed_flips(_synthetic_experiment({"coin": np.zeros(3)}, seeds=3))


def test_learning_curves_mark_rounds_that_are_not_significant():
    exp = _synthetic_experiment({"same": np.zeros(5), "clear": np.full(5, 0.1)})
    fig = alviz.plot.learning_curves(exp)
    curves = {t.meta["strategy"]: t for t in fig.data if t.meta and "aulc" in t.meta}
    assert list(curves["same"].marker.symbol) == ["circle-open"] * 3
    assert list(curves["clear"].marker.symbol) == ["circle"] * 3
    assert "hollow markers" in fig.layout.title.text
    diff = alviz.plot.learning_curves(exp, baseline="random")
    same = next(t for t in diff.data if t.meta and t.meta.get("strategy") == "same" and "baseline" in t.meta)
    assert same.meta["significant"] == [False] * 3


def test_every_projection_picture_says_its_space():
    from alviz.plot._view import UMAP_CAUTION

    toy = alviz.datasets.make_toy("moons", n=80, seed=0)
    s = alviz.Session(toy, "margin", initial=6, budget=3, seed=0, field_resolution=None)
    s.step()
    fig = alviz.plot.round(s, alviz.projection.reference(toy))
    assert any("input plane" in a.text for a in fig.layout.annotations)
    fig = alviz.plot.round(s, alviz.projection.pca(toy.X))
    assert any(a.text.startswith("PCA of") for a in fig.layout.annotations)
    umap = alviz.projection.Projection(np.asarray(toy.X), toy.X, kind="umap", space="the dataset's inputs")
    fig = alviz.plot.round(s, umap)
    assert any(UMAP_CAUTION in a.text and a.text.startswith("UMAP of") for a in fig.layout.annotations)
