"""Scenarios: the transforms do what they say, and strategies show the habits the literature reports."""
import numpy as np
import pytest

import alviz
from alviz import scenarios as sc


@pytest.fixture(scope="module")
def digits():
    return alviz.datasets.load_digits(seed=0)


# ---------------------------------------------------------------------- transforms
def test_with_outliers_replaces_a_fraction_of_the_pool_off_the_manifold(digits):
    o = sc.with_outliers(digits, fraction=0.03, seed=0)
    out = o.meta["is_outlier"]
    assert out.shape == (len(digits.X),) and out.sum() == round(0.03 * len(digits.X))
    assert np.array_equal(o.X[~out], digits.X[~out]) and not np.allclose(o.X[out], digits.X[out])
    assert np.array_equal(o.y, digits.y) and np.array_equal(o.X_test, digits.X_test)
    # off-manifold: an outlier's nearest real sample is farther than any real sample's nearest neighbour
    from sklearn.neighbors import NearestNeighbors

    real = o.X[~out]
    d_real = NearestNeighbors(n_neighbors=2).fit(real).kneighbors(real)[0][:, 1]
    d_out = NearestNeighbors(n_neighbors=1).fit(real).kneighbors(o.X[out])[0][:, 0]
    assert np.median(d_out) > np.percentile(d_real, 99)
    assert np.allclose(o.images[out].reshape(out.sum(), -1), o.X[out])  # the thumbnail shows the outlier
    assert np.array_equal(sc.with_outliers(digits, 0.03, seed=0).X, o.X)  # seeded
    assert "is_outlier" not in digits.meta  # the input is untouched


def test_with_duplicates_adds_near_copies_and_records_their_origin(digits):
    d = sc.with_duplicates(digits, fraction=0.1, copies=3, seed=0)
    n = len(digits.X)
    origin = d.meta["origin"]
    n_groups = round(0.1 * n)
    assert len(d.X) == n + 3 * n_groups and origin.shape == (len(d.X),)
    assert np.array_equal(origin[:n], np.arange(n)) and np.array_equal(d.X[:n], digits.X)
    copies = np.arange(n, len(d.X))
    assert np.array_equal(d.y[copies], digits.y[origin[copies]])
    assert np.all(np.bincount(origin[copies])[np.unique(origin[copies])] == 3)
    gap = np.linalg.norm(d.X[copies] - digits.X[origin[copies]], axis=1)
    typical = np.linalg.norm(digits.X[1:200] - digits.X[:199], axis=1)
    assert gap.max() < 0.25 * np.median(typical)  # near copies, not new samples


def test_imbalanced_reaches_its_ratio(digits):
    for ratio in (5, 10, 3.5):
        im = sc.imbalanced(digits, ratio=ratio, seed=1)
        counts = np.bincount(im.y, minlength=10)
        assert counts.max() / counts.min() == pytest.approx(ratio, rel=0.02), counts
        assert counts.tolist() == im.meta["class_counts"]
        assert np.array_equal(im.X, digits.X[im.meta["kept"]])
    with pytest.raises(ValueError, match="ratio"):
        sc.imbalanced(digits, ratio=10_000)


def test_biased_start_labels_only_the_given_classes(digits):
    init = sc.biased_start(digits, classes=[0, "1", 7], n=21, seed=0)
    assert len(init) == 21 and len(np.unique(init)) == 21
    assert set(digits.y[init]) == {0, 1, 7}
    assert np.all(np.bincount(digits.y[init], minlength=10)[[0, 1, 7]] == 7)  # spread evenly
    s = alviz.Session(digits, "random", initial=init, budget=10, seed=0)
    assert set(digits.y[s.labeled_indices]) == {0, 1, 7}
    with pytest.raises(ValueError, match="not one of"):
        sc.biased_start(digits, classes=["cat"])


# ---------------------------------------------------------------------- metrics
def test_metrics_count_what_they_say(digits):
    d = sc.with_duplicates(digits, fraction=0.1, copies=3, seed=0)
    s = alviz.Session(d, "random", initial=20, budget=5, seed=0)
    s.run(2)
    for r, dup in zip(s.rounds, sc.duplicate_picks(s)):
        assert dup == len(r.selected) - len(set(d.meta["origin"][r.selected].tolist()))
    planted = s.rounds[1].selected
    flags = np.zeros(s.n_pool, dtype=bool)
    flags[planted[:2]] = True
    assert sc.outlier_pick_rate(s, flags).tolist() == [0.0, 0.4]
    assert sc.classes_discovered(s)[-1] == len(set(d.y[s.labeled_indices].tolist()))
    assert sc.label_accuracy(s).tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="meta"):
        sc.outlier_pick_rate(s)


# ---------------------------------------------------------------------- habits
def _run(ds, strategy, rounds):
    s = alviz.Session(ds, strategy, initial=20, budget=10, seed=0)
    s.run(rounds)
    return s


def test_coreset_and_badge_take_one_copy_of_a_duplicate_group_far_more_often_than_margin(digits):
    d = sc.with_duplicates(digits, fraction=0.2, copies=3, seed=0)
    rounds = 6
    clean = {k: np.mean(sc.duplicate_picks(_run(d, k, rounds)) == 0) for k in ("margin", "coreset", "badge")}
    # margin scores near-copies alike, so they enter its top-k together; k-center and k-means++
    # seeding never take a point at distance ~0 from one already taken
    assert clean["coreset"] >= 5 / 6 and clean["badge"] >= 5 / 6, clean
    assert clean["coreset"] - clean["margin"] >= 0.3 and clean["badge"] - clean["margin"] >= 0.3, clean


def test_coreset_picks_outliers_at_a_higher_rate_than_typiclust(digits):
    o = sc.with_outliers(digits, fraction=0.03, seed=0)
    rate = {k: float(np.mean(sc.outlier_pick_rate(_run(o, k, 4)))) for k in ("coreset", "typiclust")}
    assert rate["coreset"] >= rate["typiclust"] + 0.05, rate
    assert rate["coreset"] > 3 * 0.03, rate  # well above the outliers' share of the pool
