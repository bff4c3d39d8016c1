"""Projection tests: UMAP cached on disk, the reference view keeps neighbourhoods, aligned views are stable."""
from __future__ import annotations

import os
from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.manifold import trustworthiness

import alviz
from alviz import projection
from alviz._cache import cache_dir, content_key
from alviz.session import Round, place_round


@pytest.fixture(scope="module")
def blobs10():
    """300 points in 10-D: 3 well separated blobs."""
    rng = np.random.default_rng(0)
    centers = rng.normal(scale=8.0, size=(3, 10))
    y = np.repeat(np.arange(3), 100)
    return (centers[y] + rng.normal(size=(300, 10))).astype(np.float32), y


@pytest.fixture(scope="module")
def digits_reference(digits):
    return projection.reference(digits, seed=0)


def _no_umap(*args, **kwargs):
    raise AssertionError("UMAP ran although the result is in the cache")


def test_fit_returns_float32_and_the_second_call_is_a_cache_hit(blobs10, monkeypatch):
    """(How much faster a hit is: benchmarks/bench_projection.py; here: a hit runs no UMAP at all.)"""
    X, y = blobs10
    a = projection.fit(X, seed=0, n_neighbors=10)
    monkeypatch.setattr(projection, "_run_umap", _no_umap)
    b = projection.fit(X, seed=0, n_neighbors=10)
    assert a.shape == (300, 2) and a.dtype == np.float32
    assert np.array_equal(a, b)
    # blobs stay apart: every point's nearest neighbour in the picture is from its blob
    d = np.linalg.norm(a[:, None] - a[None], axis=2)
    np.fill_diagonal(d, np.inf)
    assert np.mean(y[d.argmin(axis=1)] == y) == 1.0
    # the result is a copy: changing it does not change the cache
    b[:] = 0
    assert np.array_equal(projection.fit(X, seed=0, n_neighbors=10), a)


def test_parameters_and_seed_are_part_of_the_key(blobs10):
    X, _ = blobs10
    a = projection.fit(X, seed=0, n_neighbors=10)
    assert not np.array_equal(a, projection.fit(X, seed=1, n_neighbors=10))
    info = projection.provenance(a)
    assert info["seed"] == 0 and info["n_neighbors"] == 10 and info["metric"] == "euclidean"
    assert info["features_key"] == content_key(np.ascontiguousarray(X, dtype=np.float32))
    assert projection.provenance(a + 1) is None


def test_a_broken_cache_entry_is_recomputed(blobs10):
    X, _ = blobs10
    a = projection.fit(X[:200], seed=3, n_neighbors=10)
    for f in cache_dir("projection").glob("*.npy"):
        if np.load(f).shape == (200, 2) and np.array_equal(np.load(f), a):
            f.write_bytes(b"not an npy file")
    assert np.array_equal(projection.fit(X[:200], seed=3, n_neighbors=10), a)


def test_fit_validates_its_input(blobs10):
    X, _ = blobs10
    with pytest.raises(ValueError, match="n_neighbors=15 needs more samples"):
        projection.fit(X[:10])
    bad = X.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN or inf"):
        projection.fit(bad)
    with pytest.raises(ValueError, match="seed"):
        projection.fit(X, seed=-1)
    with pytest.raises(ValueError, match="min_dist"):
        projection.fit(X, min_dist=3)
    with pytest.raises(ValueError, match="warm start"):
        projection.fit(X, init=np.zeros((5, 2)))


def test_reference_of_2d_data_is_the_input_itself(moons):
    c = projection.reference(moons)
    assert c.dtype == np.float32 and np.array_equal(c, moons.X)
    new = moons.X[:4] + 0.5
    assert np.allclose(projection.place_inputs(moons, c, new), new)


def test_reference_view_of_digits_keeps_neighbourhoods(digits, digits_reference):
    c = digits_reference
    assert c.shape == (len(digits.X), 2)
    tw = trustworthiness(digits.flat(), c, n_neighbors=5)
    assert tw >= 0.9, f"trustworthiness {tw:.3f} < 0.9"
    assert np.array_equal(projection.reference(digits, seed=0), c)  # cached, stable


def test_transform_places_pool_points_where_the_fit_put_them(digits, digits_reference):
    c = digits_reference
    idx = np.arange(0, 200, 10)
    placed = projection.place_inputs(digits, c, digits.X[idx])
    extent = np.hypot(*np.ptp(c, axis=0))
    err = np.linalg.norm(placed - c[idx], axis=1)
    assert np.median(err) < 0.03 * extent
    same = projection.transform(digits.flat()[idx], fitted_on=digits.flat(), seed=0)
    assert np.allclose(same, placed)
    with pytest.raises(ValueError, match="same space"):
        projection.transform(digits.flat()[:3, :10], fitted_on=digits.flat())


def test_place_inputs_refuses_a_picture_that_is_not_of_the_inputs(digits):
    other = np.random.default_rng(0).normal(size=(len(digits.X), 2)).astype(np.float32)
    with pytest.raises(ValueError, match="not a projection of the dataset's inputs"):
        projection.place_inputs(digits, other, digits.X[:2])


def test_arrows_in_the_reference_view_of_digits_start_at_the_picks(digits, digits_reference):
    n = len(digits.X)
    sel = np.array([40, 41, 42])
    r = np.full((n, 64), np.nan, dtype=np.float32)
    r[sel] = 0.3 * np.sign(np.random.default_rng(0).normal(size=(3, 64)))
    rnd = Round(index=0, labeled=np.arange(20), selected=sel, scores=np.r_[np.full(20, np.nan), np.ones(n - 20)],
                extras={"perturbation": r}, metrics={}, strategy="dfal")
    rnd.placed[projection.picture_key(digits_reference)] = place_round(digits, rnd, digits_reference)
    fig = alviz.plot.round(SimpleNamespace(dataset=digits, rounds=[rnd]), digits_reference)
    arrows = [t for t in fig.data if t.name == "overlay: adversarial arrows"][0]
    xs = np.array([np.nan if v is None else v for v in arrows.x]).reshape(-1, 3)
    assert np.allclose(xs[:, 0], digits_reference[sel, 0])
    assert np.all(np.isfinite(xs[:, 1]))
    # the same picture as a plain array (e.g. np.asarray(reference)) has the same key
    assert projection.picture_key(np.asarray(digits_reference, dtype=np.float64)) in rnd.placed


def test_the_session_places_a_rounds_arrows_in_the_reference_picture(digits, digits_reference, monkeypatch):
    """Session.place_inputs fills Round.placed (x + r of the picks, T(x + r) − T(x) from each pick); the
    picture then draws the arrows without placing anything, and a model-space picture is refused."""
    s = alviz.Session(digits, "dfal", model=alviz.models.MLP(hidden=(16,), steps=40), initial=20, budget=3,
                      seed=0)
    s.run(2)
    key = projection.picture_key(digits_reference)
    assert all(not rnd.placed for rnd in s.rounds)  # not 2-D: nothing placed while the rounds ran
    assert s.place_inputs(digits_reference, rounds=[-1]) == 1
    assert key in s.rounds[-1].placed and not s.rounds[0].placed
    assert s.place_inputs(digits_reference) == 1  # round 0 now; round 1 is already placed
    got = s.rounds[-1].placed[key]
    rnd = s.rounds[-1]
    np.testing.assert_array_equal(got["perturbation_index"], rnd.selected)  # DeepFool's picks all flip
    r = rnd.extras["perturbation"][rnd.selected].reshape(3, -1)
    both = projection.place_inputs(digits, digits_reference, np.concatenate([digits.X[rnd.selected] + r,
                                                                             digits.X[rnd.selected]]))
    np.testing.assert_allclose(got["perturbation_ends"],
                               np.asarray(digits_reference)[rnd.selected] + both[:3] - both[3:], atol=1e-5)
    monkeypatch.setattr(projection, "place_inputs", _no_umap)  # the picture places nothing itself
    fig = alviz.plot.round(s, digits_reference)
    arrows = [t for t in fig.data if t.name == "overlay: adversarial arrows"][0]
    ends = np.array([np.nan if v is None else v for v in arrows.x]).reshape(-1, 3)[:, 1]
    np.testing.assert_allclose(ends, got["perturbation_ends"][:, 0])
    monkeypatch.undo()
    model_space = np.random.default_rng(0).normal(size=(len(digits.X), 2))
    with pytest.raises(ValueError, match="not a projection of the dataset's inputs"):
        s.place_inputs(model_space)
    fig = alviz.plot.round(s, model_space)
    assert not [t for t in fig.data if t.name == "overlay: adversarial arrows"]
    assert any("session.place_inputs(coords)" in a.text for a in fig.layout.annotations)
    with pytest.raises(ValueError, match="not a round"):
        s.place_inputs(digits_reference, rounds=[5])
    margin = alviz.Session(digits, "margin", model=alviz.models.MLP(hidden=(16,), steps=40), initial=20, budget=3)
    margin.step()
    assert margin.place_inputs(model_space) == 0  # nothing to place: no error either


def test_procrustes_recovers_a_similarity_transform():
    ref = np.array([[0.0, 0.0], [1.0, 0.0]])
    assert np.allclose(projection.procrustes_align([[0.0, 0.0], [0.0, 2.0]], ref), ref, atol=1e-6)
    rng = np.random.default_rng(0)
    P = rng.normal(size=(50, 2))
    th = 0.7
    R = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]]) @ np.diag([1.0, -1.0])  # with a flip
    Y = 3.0 * P @ R + np.array([5.0, -2.0])
    assert np.allclose(projection.procrustes_align(Y, P), P, atol=1e-5)
    with pytest.raises(ValueError, match="same points"):
        projection.procrustes_align(P[:3], P)


def _session(X, embeddings, probas=True):
    ds = alviz.datasets.from_arrays(X, np.arange(len(X)) % 2, X_test=X[:4], y_test=np.array([0, 1, 0, 1]))
    n = len(X)
    rounds = [Round(index=i, labeled=np.arange(4), selected=np.array([5]), scores=np.ones(n), embedding=e,
                    proba=np.full((n, 2), 0.5) if probas else None) for i, e in enumerate(embeddings)]
    return SimpleNamespace(dataset=ds, rounds=rounds)


def test_aligned_views_move_what_changed_and_keep_the_rest(digits, monkeypatch):
    X, y = digits.flat()[:400], digits.y[:400]
    Q, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(64, 64)))
    same = (X @ Q).astype(np.float32)  # the same geometry, rotated: nothing really moved
    views = projection.aligned(_session(X, [X, same]), seed=0, n_neighbors=10)
    assert len(views) == 2 and all(v.shape == (400, 2) and v.dtype == np.float32 for v in views)
    extent = np.hypot(*np.ptp(views[0], axis=0))
    still = np.median(np.linalg.norm(views[1] - views[0], axis=1))
    assert still < 0.08 * extent
    indep = projection.procrustes_align(projection.fit(same, seed=7, n_neighbors=10), views[0])
    assert still < np.median(np.linalg.norm(indep - views[0], axis=1))  # steadier than a fresh fit
    # now the model's view of one class changes: those points move, the others stay
    changed = y == 0
    E1 = X.copy()
    E1[changed] = 0.3 * X[changed] + 0.7 * X[y == 6].mean(axis=0)
    v0, v1 = projection.aligned(_session(X, [X, E1]), seed=0, n_neighbors=10)
    moved = np.linalg.norm(v1 - v0, axis=1)
    assert np.median(moved[changed]) > 2.5 * np.median(moved[~changed])
    monkeypatch.setattr(projection, "_run_umap", _no_umap)
    again = projection.aligned(_session(X, [X, E1]), seed=0, n_neighbors=10)
    assert np.array_equal(again[1], v1)  # cached round by round


@pytest.mark.slow
def test_aligned_umap_is_steadier_still(blobs10):
    """AlignedUMAP with identity relations (slow: numba compiles it on first use, ~20 s)."""
    X, _ = blobs10
    Q, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(10, 10)))
    E1 = (X @ Q).astype(np.float32)
    views = projection.aligned(_session(X, [X, E1]), seed=0, n_neighbors=10, method="aligned_umap")
    extent = np.hypot(*np.ptp(views[0], axis=0))
    assert np.median(np.linalg.norm(views[1] - views[0], axis=1)) < 0.03 * extent
    with pytest.raises(ValueError, match="method="):
        projection.aligned(_session(X, [X]), method="nope")


def test_aligned_needs_a_model_embedding(blobs10):
    X, _ = blobs10
    with pytest.raises(ValueError, match="no model embedding"):
        projection.aligned(_session(X, [None]))
    with pytest.raises(ValueError, match="no rounds"):
        projection.aligned(_session(X, []))
    # before anything is labeled (no model) the round is drawn in the input space, as the strategy saw it
    views = projection.aligned(_session(X, [None], probas=False), n_neighbors=10)
    assert np.array_equal(views[0], projection.fit(X, n_neighbors=10))


def test_strategy_space_is_a_umap_of_the_representation(blobs10):
    X, _ = blobs10
    n = len(X)
    rnd = Round(index=0, labeled=np.arange(4), selected=np.array([5]), scores=np.ones(n),
                extras={"representation": X, "representation_name": "test"}, strategy="x")
    assert np.array_equal(projection.strategy_space(rnd, n_neighbors=10), projection.fit(X, n_neighbors=10))
    rnd.extras.pop("representation")
    with pytest.raises(ValueError, match="no 'representation'"):
        projection.strategy_space(rnd)


def test_a_projection_behaves_as_its_array(digits, digits_reference):
    c = digits_reference
    assert isinstance(c, projection.Projection)
    a = np.asarray(c)
    assert a.shape == c.shape == (len(digits.X), 2) and a.dtype == np.float32 and len(c) == len(digits.X)
    assert np.array_equal(c[5], a[5]) and np.array_equal(c[:, 0], a[:, 0])
    assert isinstance(c + 1, np.ndarray) and np.allclose(c + 1, a + 1)  # arithmetic gives plain arrays
    assert np.allclose(c.min(axis=0), a.min(axis=0))
    b = np.array(c)  # a copy, as for an ndarray
    b[:] = 0
    assert np.array_equal(np.asarray(c), a) and np.any(a != 0)
    fig = alviz.plot.round(SimpleNamespace(dataset=digits, rounds=[_one_round(len(digits.X))]), c)
    assert np.allclose(fig.data[0].x, a[fig.data[0].customdata, 0])  # plots take it as an array


def _one_round(n):
    return Round(index=0, labeled=np.arange(20), selected=np.array([30, 31]),
                 scores=np.r_[np.full(20, np.nan), np.ones(n - 20)], extras={}, metrics={}, strategy="x")


def test_transform_places_pool_inputs_next_to_their_own_positions(digits, digits_reference):
    c = digits_reference
    idx = np.arange(0, len(digits.X), 7)
    placed = c.transform(digits.X[idx])
    extent = np.hypot(*np.ptp(c, axis=0))
    err = np.linalg.norm(placed - c[idx], axis=1)
    assert np.mean(err < 0.05 * extent) >= 0.9, np.quantile(err / extent, [0.5, 0.9])
    # a picture placed by a random map would be far off: the neighbourhood is what places a point
    far = np.linalg.norm(placed - c[np.roll(idx, 1)], axis=1)
    assert np.median(far) > 5 * np.median(err)


def test_transform_needs_no_cache_and_the_cache_holds_no_pickle(digits, digits_reference, tmp_path, monkeypatch):
    c = digits_reference
    idx = np.arange(10)
    before = c.transform(digits.X[idx])
    files = list(cache_dir("projection").iterdir())
    assert files and all(f.suffix in (".npy", ".json") for f in files)
    for f in files:
        if f.suffix == ".npy":
            np.load(f, allow_pickle=False)  # would raise on a pickled object array
    # another cache folder: the picture is fitted again (a miss), the transform needs nothing from disk
    monkeypatch.setenv("ALVIZ_CACHE_DIR", str(tmp_path))
    assert np.allclose(c.transform(digits.X[idx]), before)
    monkeypatch.setattr(projection, "_run_umap", lambda F, params, init: np.asarray(c))  # a fresh fit, same layout
    again = projection.reference(digits, seed=0)
    assert np.allclose(again.transform(digits.X[idx]), before)
    assert np.allclose(projection.place_inputs(digits, again, digits.X[idx]), before)


def test_projection_of_2d_data_transforms_by_identity_and_checks_its_input(moons):
    c = projection.reference(moons)
    assert c.kind == "input"
    assert np.allclose(c.transform(moons.X[:3] + 1), moons.X[:3] + 1)
    with pytest.raises(ValueError, match="2-D input"):
        c.transform(np.zeros((2, 3)))


def test_pca_is_a_quick_provisional_picture(digits):
    p = projection.pca(digits.flat())
    assert p.shape == (len(digits.X), 2) and p.kind == "pca"
    assert np.allclose(p.transform(digits.flat()[:5]), p[:5], atol=0.05 * np.ptp(np.asarray(p)))


def test_a_fit_in_its_own_process_is_the_same_picture_at_a_lower_priority(blobs10):
    """The explorers' background fit: a fresh process that imports no alviz (no torch), niced, same layout."""
    from alviz import _umap_fit

    X, _ = blobs10
    params = {"seed": 3, "n_neighbors": 10, "min_dist": 0.5, "metric": "euclidean"}
    seen = {}
    there = _umap_fit.umap_layout_in_process(X, params, niceness=5, report=seen)
    here = _umap_fit.umap_layout(X, params)
    np.testing.assert_array_equal(there, here)
    assert seen["alviz_imported"] is False and seen["torch_imported"] is False
    if hasattr(os, "getpriority"):
        assert seen["nice"] == min(19, os.getpriority(os.PRIO_PROCESS, os.getpid()) + 5)


def test_fit_in_its_own_process_goes_through_the_cache_and_falls_back_to_fitting_here(blobs10, monkeypatch):
    from alviz import _umap_fit

    X, _ = blobs10
    calls = []
    real = _umap_fit.umap_layout_in_process
    monkeypatch.setattr(projection, "umap_layout_in_process", lambda *a, **k: calls.append(1) or real(*a, **k))
    a = projection.fit(X, seed=4, n_neighbors=10, own_process=True)
    assert calls == [1]
    monkeypatch.setattr(projection, "_run_umap", _no_umap)
    np.testing.assert_array_equal(projection.fit(X, seed=4, n_neighbors=10), a)  # one cache for both ways
    monkeypatch.undo()

    def no_process(*args, **kwargs):
        raise OSError("fork is not allowed here")

    monkeypatch.setattr(_umap_fit.subprocess, "Popen", no_process)
    b = projection.fit(X, seed=5, n_neighbors=10, own_process=True)  # fitted in this process instead
    monkeypatch.undo()
    monkeypatch.setattr(projection, "_run_umap", _no_umap)
    np.testing.assert_array_equal(projection.fit(X, seed=5, n_neighbors=10), b)


def test_a_failed_fit_in_its_own_process_says_why(blobs10):
    from alviz import _umap_fit

    X, _ = blobs10
    with pytest.raises(RuntimeError, match="its own process failed .exit code 1.: ValueError: metric is neither"):
        _umap_fit.umap_layout_in_process(X, {"seed": 0, "n_neighbors": 10, "min_dist": 0.5, "metric": "no-such-metric"})
