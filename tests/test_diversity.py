"""Contrastive encoder, contrastive core-set, TypiClust, prototypes and ProbCover."""
from __future__ import annotations


import numpy as np
import pytest
import torch
from sklearn.neighbors import KNeighborsClassifier, NearestNeighbors

from alviz import encoders
from alviz.encoders import augment_images, augment_vectors, fit_contrastive, nt_xent
from alviz.selection import k_center_greedy
from alviz.strategies import QueryContext, get
from alviz.strategies.clustering import (max_coverage, prototype_select, purity_radius, typicality,
                                         typiclust_select)

FAST = {"epochs": 5, "max_steps": 20}  # a quick encoder for strategy wiring tests


@pytest.fixture(autouse=True)
def _tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ALVIZ_CACHE_DIR", str(tmp_path / "cache"))


def _blobs(sizes, centers, seed=0, spread=0.3):
    rng = np.random.default_rng(seed)
    X = np.concatenate([c + spread * rng.normal(size=(s, len(c))) for s, c in zip(sizes, centers)])
    y = np.repeat(np.arange(len(sizes)), sizes)
    return X.astype(np.float32), y


def _ctx(X, labeled=(), n_classes=2):
    mask = np.zeros(len(X), dtype=bool)
    mask[list(labeled)] = True
    return QueryContext(X, mask, np.where(mask, 0, -1), n_classes, model=None)


# ============================================================================ typicality
def test_typicality_by_hand():
    X = np.array([[0.0], [1.0], [3.0]])
    # k = 1: nearest-neighbour distances 1, 1, 2
    np.testing.assert_allclose(typicality(X, 1), 1 / (np.array([1.0, 1.0, 2.0]) + 1e-5))
    with pytest.raises(ValueError, match="neighbours"):
        typicality(X[:1])


@pytest.mark.parametrize("n, k", [(50, None), (200, None), (37, 5)])
def test_typicality_matches_sklearn_knn(n, k):
    X = np.random.default_rng(n).normal(size=(n, 4))
    kk = min(20, n // 2) if k is None else k
    dist, _ = NearestNeighbors(n_neighbors=kk + 1).fit(X).kneighbors(X)
    expected = 1.0 / (dist[:, 1:].mean(axis=1) + 1e-5)  # column 0 is the sample itself
    np.testing.assert_allclose(typicality(X, k, chunk=16), expected, rtol=1e-7)


# ============================================================================ typiclust
def test_typiclust_visits_uncovered_clusters_and_takes_the_most_typical():
    centers = [(0, 0), (10, 0), (0, 10), (30, 30)]
    X, y = _blobs([40, 25, 12, 4], centers)
    labeled = np.zeros(len(X), dtype=bool)
    labeled[0] = True  # blob 0 already has a labeled sample
    sel = typiclust_select(X, labeled, 3, rng=0)
    assert sel.n_clusters == 4  # K = |L| + k
    # blob 3 has 4 points: dropped, never picked, typicality NaN there
    assert np.isnan(sel.typicality[y == 3]).all() and np.isfinite(sel.typicality[y != 3]).all()
    # visit order: the unlabeled-free blobs, largest first (1 then 2), then blob 0 (one labeled)
    assert y[sel.indices].tolist() == [1, 2, 0]
    for i, b in zip(sel.indices, (1, 2, 0)):
        members = np.flatnonzero((y == b) & ~labeled)
        direct = typicality(X[y == b])[np.isin(np.flatnonzero(y == b), members)]
        assert i == members[np.argmax(direct)]  # the most typical unlabeled sample of its cluster


def test_typiclust_uses_small_clusters_only_when_large_ones_are_exhausted():
    X, y = _blobs([8, 3, 1], [(0, 0), (10, 0), (20, 20)])
    labeled = y == 0
    labeled[0] = False  # one unlabeled sample left in the only large cluster
    sel = typiclust_select(X, labeled, 4, rng=0, max_clusters=3)
    # the large cluster first; then the small ones by (fewest labeled, largest)
    assert y[sel.indices].tolist() == [0, 1, 2, 1]
    assert sel.indices[0] == 0 and sel.indices[2] == 11
    assert sel.indices[1] == 8 + np.argmax(typicality(X[8:11]))
    assert np.isnan(sel.typicality[8:]).all()  # dropped clusters: no public typicality
    assert sel.scores[11] == 0.0  # a one-point cluster has no neighbours


def test_typiclust_past_50_clusters_uses_minibatch_kmeans(monkeypatch):
    import sklearn.cluster

    used = []
    real = sklearn.cluster.MiniBatchKMeans

    class Spy(real):
        def fit(self, *a, **k):
            used.append(self.n_clusters)
            return super().fit(*a, **k)

    monkeypatch.setattr(sklearn.cluster, "MiniBatchKMeans", Spy)
    F = np.random.default_rng(0).normal(size=(400, 5))
    mask = np.zeros(400, dtype=bool)
    mask[:60] = True
    sel = typiclust_select(F, mask, 10, rng=0)
    assert used == [70] and sel.n_clusters == 70  # K = |L| + k
    assert len(set(sel.indices.tolist())) == 10 and not mask[sel.indices].any()
    small = np.bincount(sel.cluster, minlength=70)[sel.cluster] <= 5
    assert np.array_equal(np.isnan(sel.typicality), small)


def test_typiclust_strategy_scores_and_extras():
    X, y = _blobs([40, 25, 12, 4], [(0, 0), (10, 0), (0, 10), (30, 30)])
    ctx = _ctx(X)
    res = get("typiclust", embedding="input").query(ctx, 3, rng=0)
    direct = typiclust_select(X, ctx.labeled_mask, 3, rng=0)
    np.testing.assert_array_equal(res.indices, direct.indices)
    np.testing.assert_array_equal(res.extras["cluster"], direct.cluster)
    assert res.extras["representation_name"] == "input"
    assert np.isfinite(res.scores).all()
    with pytest.raises(ValueError, match="embedding"):
        get("typiclust", embedding="pixels").query(ctx, 3, rng=0)


# ============================================================================ prototype
def test_prototype_picks_are_nearest_to_their_centroids():
    X, y = _blobs([30, 20, 25], [(0, 0), (8, 0), (0, 8)], seed=1)
    labeled = np.zeros(len(X), dtype=bool)
    labeled[[0, 30]] = True
    sel = prototype_select(X, labeled, 3, rng=0)
    assert sorted(y[sel.indices].tolist()) == [0, 1, 2]  # one per blob
    assert (sel.cluster[labeled] == -1).all() and np.isnan(sel.distance_to_centroid[labeled]).all()
    d_all = np.linalg.norm(X[:, None, :] - sel.centroids[None], axis=2)  # (n, K)
    for i in sel.indices:
        c = sel.cluster[i]
        others = np.flatnonzero(~labeled & (sel.cluster == c))
        assert d_all[i, c] == pytest.approx(d_all[others, c].min())
        assert sel.distance_to_centroid[i] == pytest.approx(d_all[i, c])
    # the biggest cluster's prototype comes first
    sizes = np.bincount(sel.cluster[~labeled])
    assert sel.cluster[sel.indices[0]] == np.argmax(sizes)


def test_prototype_with_fewer_distinct_points_than_budget_stays_distinct():
    X = np.repeat(np.array([[0.0, 0.0], [5.0, 5.0]], dtype=np.float32), 4, axis=0)  # 2 distinct values
    sel = prototype_select(X, np.zeros(8, dtype=bool), 5, rng=0)
    assert len(set(sel.indices.tolist())) == 5
    assert len(sel.centroids) == 2


def test_prototype_strategy_scores_are_minus_distance():
    X, _ = _blobs([30, 20], [(0, 0), (8, 0)])
    ctx = _ctx(X, labeled=[0])
    res = get("prototype", embedding="input").query(ctx, 2, rng=0)
    np.testing.assert_allclose(res.scores[1:], -res.extras["distance_to_centroid"][1:])
    assert np.isnan(res.scores[0]) and res.extras["cluster"][0] == -1


# ============================================================================ probcover
def test_purity_radius_by_hand():
    X = np.array([[0.0], [1.0], [3.0], [4.0]])
    pseudo = np.array([0, 0, 1, 1])
    # distance to the nearest other-label point: 3, 2, 2, 3
    assert purity_radius(X, pseudo, purity=1.0) == pytest.approx(2.0)  # all open balls of radius 2 are pure
    assert purity_radius(X, pseudo, purity=0.5) == pytest.approx(3.0)  # radius 3: balls of 0 and 4 stay pure
    with pytest.raises(ValueError, match="pseudo-labels"):
        purity_radius(X, np.zeros(4))


def test_max_coverage_by_hand():
    X = np.array([[0.0], [0.5], [1.0], [5.0], [5.5], [10.0]])
    picks, covered, gain = max_coverage(X, np.zeros(6, dtype=bool), 1.0, 3, rng=0)
    np.testing.assert_array_equal(gain, [2, 3, 2, 2, 2, 1])  # open balls of radius 1
    assert picks.tolist() == [1, 3, 5] and covered.all()
    lab = np.zeros(6, dtype=bool)
    lab[0] = True  # covers 0 and 0.5
    picks, _, gain = max_coverage(X, lab, 1.0, 1, rng=0)
    assert gain[[1, 2, 3]].tolist() == [1, 1, 2] and picks.tolist() == [3]


def test_probcover_strategy_on_blobs():
    X, y = _blobs([30, 30, 30], [(0, 0), (6, 0), (0, 6)])
    ctx = _ctx(X, labeled=[0], n_classes=3)
    res = get("probcover", embedding="input").query(ctx, 2, rng=0)
    assert res.extras["delta"] > 0 and res.extras["covered"].dtype == bool
    assert sorted(y[res.indices].tolist()) == [1, 2]  # the two blobs nothing labeled covers yet


# ============================================================================ contrastive encoder
def test_nt_xent_by_hand():
    z = torch.eye(2)  # views already identical and orthogonal to the other sample
    # each row: positive similarity 1/τ = 2, the two negatives 0
    expected = -np.log(np.exp(2) / (np.exp(2) + 2))
    assert float(nt_xent(z, z, 0.5)) == pytest.approx(expected, rel=1e-6)


def test_augmentations_keep_shapes_and_are_seeded():
    x = torch.rand(5, 12)
    mean, std = x.mean(0), x.std(0)
    a = augment_vectors(x, mean, std, generator=torch.Generator().manual_seed(0))
    b = augment_vectors(x, mean, std, generator=torch.Generator().manual_seed(0))
    assert a.shape == x.shape and torch.equal(a, b) and not torch.equal(a, x)
    dropped = augment_vectors(x, mean, std, noise=0.0, feature_dropout=0.5, generator=torch.Generator().manual_seed(1))
    changed = dropped != x
    assert changed.any() and torch.allclose(dropped[changed], mean.expand_as(x)[changed])
    two = torch.rand(6, 2)  # 2 features: no feature dropout, only noise
    assert torch.equal(augment_vectors(two, two.mean(0), two.std(0), noise=0.0, feature_dropout=0.9), two)
    img = torch.rand(4, 3, 9, 7)
    out = augment_images(img, generator=torch.Generator().manual_seed(0))
    assert out.shape == img.shape and not torch.equal(out, img)
    same = augment_images(img, max_shift=0.0, max_rotation=0.0, noise=0.0)
    assert torch.allclose(same, img, atol=1e-5)


def test_contrastive_cache_second_call_trains_nothing_and_is_identical(digits, tmp_path, monkeypatch):
    import alviz.contrastive_encoder as enc

    X = digits.X[:300]
    a = fit_contrastive(X, seed=0, epochs=20, max_steps=40)
    trained = enc._train_contrastive

    def must_not_train(*args, **kwargs):
        raise AssertionError("a cache hit must not train the encoder again")

    monkeypatch.setattr(enc, "_train_contrastive", must_not_train)
    b = fit_contrastive(X, seed=0, epochs=20, max_steps=40)
    monkeypatch.setattr(enc, "_train_contrastive", trained)
    np.testing.assert_array_equal(a.embedding, b.embedding)
    assert len(list((tmp_path / "cache" / "contrastive").glob("*.npz"))) == 1
    np.testing.assert_allclose(np.linalg.norm(a.embedding, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(b.transform(X), a.embedding, atol=1e-5)  # the stored encoder is the trained one
    assert a.embedding.dtype == np.float32 and a.embedding.shape == (300, 128)
    c = fit_contrastive(X, seed=1, epochs=20, max_steps=40)  # another seed is another entry
    assert not np.array_equal(c.embedding, a.embedding)
    with pytest.raises(TypeError, match="seed"):
        fit_contrastive(X, seed=np.random.default_rng(0))


def test_contrastive_embedding_keeps_classes_together(digits):
    """Quality: in the learned space a sample's nearest neighbours mostly share its class."""
    X, y = digits.X[:600], digits.y[:600]
    emb = encoders.contrastive_embedding(X, seed=0, epochs=60, max_steps=150)
    acc = KNeighborsClassifier(5).fit(emb[:400], y[:400]).score(emb[400:], y[400:])
    assert acc > 0.85  # chance is 0.1


def test_contrastive_image_tensors_use_a_conv_encoder():
    X = np.random.default_rng(0).random((40, 1, 8, 8)).astype(np.float32)
    fit = fit_contrastive(X, seed=0, epochs=1, max_steps=2, rep_dim=16)
    assert isinstance(fit.encoder.backbone[0], torch.nn.Conv2d)
    assert fit.embedding.shape == (40, 16)


# ============================================================================ contrastive strategies
def test_contrastive_coreset_is_k_center_in_the_contrastive_space(digits):
    X = digits.X[:250]
    ctx = _ctx(X, labeled=range(10), n_classes=10)
    res = get("contrastive_coreset", encoder_params=FAST, progress=False).query(ctx, 6, rng=0)
    emb = fit_contrastive(X, 0, **FAST).embedding
    np.testing.assert_array_equal(res.extras["representation"], emb)
    assert "contrastive_embedding" not in res.extras  # "representation" is the one copy
    np.testing.assert_array_equal(res.indices, k_center_greedy(emb, ctx.labeled_mask, 6))
    for key in ("covering_radius", "pick_nearest_center", "pick_distance", "nearest_center",
                "distance_to_labeled", "representation", "representation_name"):
        assert key in res.extras
    np.testing.assert_allclose(res.scores[10:], res.extras["distance_to_labeled"][10:])
    # the Session's cache keeps the embedding across rounds: the encoder is not asked again
    again = get("contrastive_coreset", encoder_params=FAST, progress=False).query(ctx, 6, rng=0)
    np.testing.assert_array_equal(again.indices, res.indices)
    assert sum(1 for k in ctx.cache if k[0] == "contrastive_embedding") == 1


def test_clustering_strategies_default_to_the_shared_contrastive_embedding(digits):
    X = digits.X[:250]
    ctx = _ctx(X, labeled=range(10), n_classes=10)
    emb = fit_contrastive(X, 0, **FAST).embedding
    for name in ("typiclust", "prototype", "probcover"):
        res = get(name, encoder_params=FAST, progress=False).query(ctx, 5, rng=0)
        np.testing.assert_array_equal(res.extras["representation"], emb)
    assert sum(1 for k in ctx.cache if k[0] == "contrastive_embedding") == 1
    with pytest.raises(TypeError, match="encoder_params"):
        get("typiclust", encoder_params=[1]).query(ctx, 2, rng=0)
