"""Fields: every strategy's pointwise score over the 2-D plane, computed by the Session while a round runs."""
from __future__ import annotations

import numpy as np
import pytest

import alviz
from alviz import fields, scores
from alviz.session import Session
from alviz.strategies import get

from .conftest import make_context

#: quick settings for the strategies that train something of their own
FAST = {
    "vaal": dict(steps=60, progress=False),
    "contrastive_coreset": dict(encoder_params={"max_steps": 40}, progress=False),
    "typiclust": dict(encoder_params={"max_steps": 40}, progress=False),
    "prototype": dict(encoder_params={"max_steps": 40}, progress=False),
    "probcover": dict(encoder_params={"max_steps": 40}, progress=False),
    "eer": dict(n_candidates=30, n_eval=100, steps=20),
}


def strategy(name):
    return get(name, **FAST.get(name, {}))


@pytest.fixture(scope="module")
def moons_ctx(moons):
    return make_context(moons, n_labeled=30, seed=0)


def _field(name, ctx, ds, resolution=30):
    s = strategy(name)
    s.query(ctx, 5, np.random.default_rng(0))
    return fields.compute(s, ctx, ds.X, np.random.default_rng(1), resolution=resolution)


def test_margin_field_is_the_margin_of_the_grid_probabilities(moons, moons_ctx):
    f = _field("margin", moons_ctx, moons)
    assert f.score.shape == (30, 30) and f.proba.shape == (30, 30, 2)
    assert np.allclose(f.score, scores.margin(f.proba.reshape(-1, 2).astype(np.float64)).reshape(30, 30), atol=1e-6)
    assert f.name.startswith("margin")


def test_grid_predictions_agree_with_the_pool_predictions_at_their_cells(moons, moons_ctx):
    f = _field("margin", moons_ctx, moons, resolution=100)
    ix = np.abs(moons.X[:, 0][:, None] - f.x[None]).argmin(axis=1)
    iy = np.abs(moons.X[:, 1][:, None] - f.y[None]).argmin(axis=1)
    pool_pred = moons_ctx.proba.argmax(axis=1)
    assert np.mean(f.predicted[iy, ix] == pool_pred) > 0.95


def test_dfal_field_is_high_along_the_boundary(moons, moons_ctx):
    f = _field("dfal", moons_ctx, moons, resolution=40)
    gap = -scores.margin(f.proba.reshape(-1, 2).astype(np.float64)).reshape(f.score.shape)  # p1 - p2
    near, far = gap < 0.1, gap > 0.9
    assert near.any() and far.any()
    assert np.median(f.score[near]) > np.median(f.score[far])
    assert np.median(-f.score[near]) < 0.2  # ‖r‖ is small where the classes meet


def test_coreset_field_is_zero_at_labeled_points_and_grows_away(moons, moons_ctx):
    s = strategy("coreset")
    s.query(moons_ctx, 5, 0)
    lab = moons.X[moons_ctx.labeled_mask]
    assert np.allclose(s.score_points(moons_ctx, lab), 0.0, atol=1e-4)
    unl = moons.X[~moons_ctx.labeled_mask]
    assert s.score_points(moons_ctx, unl).max() > 0.1


@pytest.mark.parametrize("name", alviz.strategies.available())
def test_every_strategy_gives_a_finite_field_in_a_session(moons, name):
    sess = Session(moons, strategy=strategy(name), initial=12, budget=4, seed=0, field_resolution=24)
    rnd = sess.step()
    f = rnd.field
    assert isinstance(f, fields.Field)
    assert f.score.shape == (24, 24) and f.proba.shape == (24, 24, moons.n_classes)
    assert np.isfinite(f.score).mean() > 0.95
    assert f.name
    if name != "random":
        assert np.nanstd(f.score) > 0  # a field with something to see
    assert rnd.metrics["field_seconds"] >= 0


def test_random_field_is_flat_and_says_so(moons):
    rnd = Session(moons, strategy="random", initial=10, budget=3, field_resolution=10).step()
    assert np.all(rnd.field.score == 0) and "flat" in rnd.field.name


def test_non_2d_datasets_get_no_field():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3)).astype(np.float32)
    ds = alviz.datasets.from_arrays(X, (X[:, 0] > 0).astype(int))
    assert not ds.is_2d
    rnd = Session(ds, strategy="margin", initial=10, budget=3).step()
    assert rnd.field is None


def test_field_resolution_none_switches_the_field_off(moons):
    rnd = Session(moons, strategy="margin", initial=10, budget=3, field_resolution=None).step()
    assert rnd.field is None


@pytest.mark.parametrize("name", ["random", "qbc_vote_entropy", "vaal", "eer", "badge", "prototype"])
def test_picks_do_not_depend_on_the_field(moons, name):
    runs = []
    for res in (None, 20):
        sess = Session(moons, strategy=strategy(name), initial=12, budget=4, seed=3, field_resolution=res)
        sess.run(2)
        runs.append([r.selected for r in sess.rounds])
    for a, b in zip(*runs):
        assert np.array_equal(a, b)


POINTWISE = ["least_confidence", "margin", "entropy", "qbc_vote_entropy", "qbc_kl", "egl", "gradnorm", "dfal",
             "bim", "vaal", "badge", "gem", "coreset", "eer",
             # batch strategies whose pool scores are the quantity their field reads
             "contrastive_coreset", "probcover"]


@pytest.mark.parametrize("name", POINTWISE)
def test_pool_ranking_and_field_are_the_same_function(moons, name):
    ctx = make_context(moons, n_labeled=30, seed=1)
    s = strategy(name)
    res = s.query(ctx, 5, np.random.default_rng(0))
    cand = np.flatnonzero(np.isfinite(res.scores))
    pts = s.score_points(ctx, moons.X[cand], rng=np.random.default_rng(99))
    assert np.allclose(pts, res.scores[cand], rtol=1e-4, atol=1e-5)


def test_gem_with_the_labeled_span_scores_its_residual(moons):
    ctx = make_context(moons, n_labeled=3, seed=1)  # a few labeled gradients: a residual worth drawing
    s = get("gem", include_labeled=True)
    res = s.query(ctx, 5, 0)
    cand = ctx.candidates
    pts = s.score_points(ctx, moons.X[cand])
    assert np.allclose(pts, res.scores[cand], rtol=1e-3, atol=1e-4 * res.scores[cand].max())
    assert np.all(pts <= get("gem").score_points(ctx, moons.X[cand]) + 1e-9)  # never above ‖g‖
    assert np.allclose(s.score_points(ctx, moons.X[ctx.labeled_mask]), 0.0, atol=1e-4)


def test_state_built_by_query_is_reused_not_rebuilt(moons):
    ctx = make_context(moons, n_labeled=30, seed=0)
    s = strategy("qbc_vote_entropy")
    s.query(ctx, 5, np.random.default_rng(0))
    members = [k for k in ctx._memo if k[0] == "committee_members"]
    before = ctx._memo[members[0]]
    s.score_points(ctx, moons.X[:10], rng=np.random.default_rng(5))
    assert ctx._memo[members[0]] is before


def test_score_points_before_query_says_what_to_do(moons):
    ctx = make_context(moons, n_labeled=30, seed=0)
    with pytest.raises(ValueError, match="call query"):
        strategy("prototype").score_points(ctx, moons.X[:5])
    with pytest.raises(ValueError, match="call query"):
        strategy("probcover").score_points(ctx, moons.X[:5])


def test_score_points_refuses_inputs_of_the_wrong_shape(moons, moons_ctx):
    with pytest.raises(ValueError, match="pool's shape"):
        get("margin").score_points(moons_ctx, np.zeros((4, 3)))


def test_compute_refuses_non_2d_inputs(moons_ctx):
    with pytest.raises(ValueError, match="2-D"):
        fields.compute(get("margin"), moons_ctx, np.zeros((10, 3)))


def test_a_strategy_without_a_pointwise_score_gets_regions_only(moons):
    class FirstCandidates(alviz.strategies.Strategy):
        name = "first-candidates"

        def _query(self, ctx, budget, rng):
            idx = ctx.candidates[:budget]
            s = np.full(ctx.n_pool, np.nan)
            s[ctx.candidates] = 0.0
            return alviz.strategies.QueryResult(idx, s, {})

    strat = FirstCandidates()
    assert not strat.has_pointwise_score and get("margin").has_pointwise_score
    sess = Session(moons, strategy=strat, initial=10, budget=3, field_resolution=12)
    rnd = sess.step()
    assert rnd.field.score is None and rnd.field.proba.shape == (12, 12, 2)
    assert "no pointwise score" in rnd.field.name
    with pytest.raises(NotImplementedError, match="_score_points"):
        strat.score_points(make_context(moons), moons.X[:3])
    names = [t.name for t in alviz.plot.round(sess, moons.X).data]
    assert "decision boundary" in names and not any(n.startswith("field:") for n in names)


def test_an_expensive_field_uses_the_strategy_s_coarser_grid(moons, moons_ctx):
    s = strategy("eer")
    s.query(moons_ctx, 5, 0)
    f = fields.compute(s, moons_ctx, moons.X, 0, resolution=100)
    cap = s.field_max_resolution
    assert cap is not None and f.score.shape == (cap, cap) == f.proba.shape[:2] and len(f.x) == cap


def test_typicality_against_a_reference_is_the_mean_knn_distance():
    from alviz.strategies.clustering import typicality_against

    rng = np.random.default_rng(0)
    P, R = rng.normal(size=(7, 3)), rng.normal(size=(40, 3))
    d = np.linalg.norm(P[:, None] - R[None], axis=2)
    expected = 1.0 / (np.sort(d, axis=1)[:, :5].mean(axis=1) + 1e-5)
    assert np.allclose(typicality_against(P, R, n_neighbors=5, chunk=3), expected)


def test_with_nothing_labeled_coreset_s_field_is_the_distance_to_its_first_pick(moons):
    sess = Session(moons, strategy="coreset", initial=0, budget=3, field_resolution=15)
    rnd = sess.step()
    f = rnd.field
    assert f.proba is None  # no model yet: no regions, no boundary
    first = moons.X[rnd.selected[0]]
    expected = np.linalg.norm(f.points - first, axis=1).reshape(f.score.shape)
    assert np.allclose(f.score, expected, atol=1e-5)
    names = [t.name for t in alviz.plot.round(sess, moons.X).data]
    assert f"field: {f.name}" in names and "decision boundary" not in names
