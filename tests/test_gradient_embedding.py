"""Rule tests for the gradient-embedding selectors (kmeans_pp, orthogonal_greedy) and badge / gem."""
from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from alviz.selection import kmeans_pp, kmeans_pp_trace, orthogonal_greedy, orthogonal_greedy_trace
from alviz.strategies import get
from alviz.strategies.gradient_embedding import gradient_embedding_sketch

from .conftest import make_context


def explicit(a, h):
    """The n×(C·d) gradient embedding the factorized code must never need."""
    return (a[:, :, None] * h[:, None, :]).reshape(len(a), -1)


def factors(n=40, C=4, d=5, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, C)), rng.normal(size=(n, d))


# ============================================================================ kmeans_pp
def test_kmeans_pp_factorized_equals_explicit_and_its_distances_are_right():
    a, h = factors()
    G = explicit(a, h)
    fac = kmeans_pp_trace(a, h, 12, rng=7)
    ref = kmeans_pp_trace(G, None, 12, rng=7)  # the same draws on the explicit matrix
    np.testing.assert_array_equal(fac.indices, ref.indices)
    np.testing.assert_allclose(fac.seed_distance, ref.seed_distance, rtol=1e-10)
    # seed_distance by hand: the distance from each draw to the nearest earlier one
    for t in range(1, 12):
        prev = G[fac.indices[:t]]
        d = np.linalg.norm(prev - G[fac.indices[t]], axis=1).min()
        np.testing.assert_allclose(fac.seed_distance[t], d, rtol=1e-9)
    assert fac.seed_distance[0] == 0.0


def test_kmeans_pp_first_center_is_the_largest_gradient():
    a, h = factors(seed=3)
    norms = np.linalg.norm(explicit(a, h), axis=1)
    for seed in range(3):
        assert kmeans_pp(a, h, 5, rng=seed)[0] == np.argmax(norms)


def test_kmeans_pp_has_no_ghost_center_at_the_origin():
    # A is the largest; B sits near the origin but ~10 from A; C sits next to A.
    # True k-means++: D²(B) ≈ 100, D²(C) = 1e-6, so the second draw is B (p ≈ 1 - 1e-8).
    # Seeding D² with ‖g‖² (a ghost center at 0) would make B and C equally likely.
    X = np.array([[10.0, 0.0], [0.001, 0.0], [10.0, 0.001]])
    seconds = [kmeans_pp(X, None, 2, rng=s)[1] for s in range(40)]
    assert set(seconds) == {1}


def test_kmeans_pp_draws_proportional_to_d_squared():
    # first center at index 0 (largest norm); D² of the others is 1, 4, 9 -> p = 1/14, 4/14, 9/14
    X = np.array([[20.0, 0.0], [19.0, 0.0], [18.0, 0.0], [17.0, 0.0]])
    gen = np.random.default_rng(0)
    draws = np.array([kmeans_pp(X, None, 2, rng=gen)[1] for _ in range(3000)])
    freq = np.bincount(draws, minlength=4)[1:] / len(draws)
    np.testing.assert_allclose(freq, np.array([1, 4, 9]) / 14, atol=0.03)


def test_kmeans_pp_never_picks_a_duplicate():
    base = np.random.default_rng(1).normal(size=(5, 3))
    X = np.repeat(base, 4, axis=0)  # 5 distinct rows, each 4 times
    for seed in range(5):
        tr = kmeans_pp_trace(X, None, 12, rng=seed)
        assert np.unique(tr.indices).size == 12
        # the 5 distinct rows come first (D > 0), then only exact copies are left (D = 0)
        assert np.unique(X[tr.indices[:5]], axis=0).shape[0] == 5
        assert np.all(tr.seed_distance[1:5] > 0) and np.all(tr.seed_distance[5:] == 0)


def test_kmeans_pp_all_zero_embedding_still_gives_distinct_seeded_picks():
    a = np.zeros((30, 3))
    h = np.ones((30, 4))
    p1 = kmeans_pp(a, h, 10, rng=0)
    assert np.unique(p1).size == 10
    np.testing.assert_array_equal(p1, kmeans_pp(a, h, 10, rng=0))


def test_kmeans_pp_memory_is_factorized():
    n, C, d = 5000, 10, 128
    a, h = factors(n, C, d, seed=2)
    tracemalloc.start()
    try:
        kmeans_pp(a, h, 20, rng=0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < n * C * d * 8 / 10  # well under a tenth of the explicit float64 matrix


def test_kmeans_pp_checks_its_inputs():
    a, h = factors()
    with pytest.raises(ValueError, match="same samples"):
        kmeans_pp(a, h[:10], 3, rng=0)
    with pytest.raises(ValueError, match="k=41"):
        kmeans_pp(a, h, 41, rng=0)
    with pytest.raises(ValueError, match="NaN"):
        kmeans_pp(np.full_like(a, np.nan), h, 3, rng=0)


# ============================================================================ orthogonal_greedy
def test_orthogonal_greedy_hand_computed():
    X = np.array([[3.0, 0, 0], [2, 2, 0], [0, 0, 1], [1, 1, 0]])
    tr = orthogonal_greedy_trace(X, None, 4)
    # row 0 (norm 3); then row 1's residual (0, 2, 0); then row 2 (1); row 3 is then in the span
    np.testing.assert_array_equal(tr.indices, [0, 1, 2, 3])
    np.testing.assert_allclose(tr.residual_norm, [3, 2, 1, 0], atol=1e-12)
    np.testing.assert_allclose(tr.initial_residual, np.linalg.norm(X, axis=1))


def test_orthogonal_greedy_projects_out_the_span_first():
    X = np.array([[3.0, 0, 0], [2, 2, 0], [0, 0, 1], [1, 1, 0]])
    tr = orthogonal_greedy_trace(X, None, 2, span=[0])
    # without row 0's direction: row 1 -> (0, 2, 0), row 2 -> 1, row 3 -> (0, 1, 0)
    np.testing.assert_allclose(tr.initial_residual[1:], [2, 1, 1])
    np.testing.assert_array_equal(tr.indices, [1, 2])
    np.testing.assert_allclose(tr.residual_norm, [2, 1])
    assert tr.span_rank == 1


def explicit_pivoted_gram_schmidt(G, k):
    """Reference: classical pivoted Gram–Schmidt on explicit rows."""
    R = G.astype(np.float64).copy()
    picks, res = [], []
    for _ in range(k):
        norms = np.linalg.norm(R, axis=1)
        norms[picks] = -1
        i = int(np.argmax(norms))
        q = R[i] / norms[i]
        picks.append(i)
        res.append(norms[i])
        R -= np.outer(R @ q, q)
    return np.array(picks), np.array(res)


def test_orthogonal_greedy_factorized_equals_explicit_gram_schmidt():
    a, h = factors(n=60, C=3, d=4, seed=5)
    tr = orthogonal_greedy_trace(a, h, 8)
    picks, res = explicit_pivoted_gram_schmidt(explicit(a, h), 8)
    np.testing.assert_array_equal(tr.indices, picks)
    np.testing.assert_allclose(tr.residual_norm, res, rtol=1e-8)


def test_orthogonal_greedy_beyond_the_rank_breaks_ties_by_norm():
    # rank 2 in R^2: after two picks every residual is 0; the rest go by norm, then index
    X = np.array([[1.0, 0], [0, 1], [2, 2], [0.5, 0.5], [3, 0]])
    tr = orthogonal_greedy_trace(X, None, 5)
    assert np.unique(tr.indices).size == 5
    # (3,0) first; then (2,2) with residual (0,2); then rows 0 and 1 (norm 1, lower index first), then row 3
    np.testing.assert_array_equal(tr.indices, [4, 2, 0, 1, 3])
    np.testing.assert_allclose(tr.residual_norm, [3, 2, 0, 0, 0])


def test_orthogonal_greedy_candidates_and_errors():
    X = np.eye(4)
    cand = np.array([False, True, True, False])
    assert set(orthogonal_greedy(X, None, 2, candidates=cand)) == {1, 2}
    with pytest.raises(ValueError, match="k=3"):
        orthogonal_greedy(X, None, 3, candidates=cand)
    with pytest.raises(ValueError, match="span"):
        orthogonal_greedy(X, None, 1, span=[9])


# ============================================================================ sketch
def test_gradient_sketch_exact_when_small_and_distance_keeping_when_large():
    a, h = factors(n=30, C=3, d=4)
    np.testing.assert_allclose(gradient_embedding_sketch(a, h, dim=256), explicit(a, h), rtol=1e-6)
    a, h = factors(n=30, C=10, d=64, seed=1)
    S = gradient_embedding_sketch(a, h, dim=256, rng=0)
    assert S.shape == (30, 256) and S.dtype == np.float32
    np.testing.assert_array_equal(S, gradient_embedding_sketch(a, h, dim=256, rng=0))
    G = explicit(a, h)
    iu = np.triu_indices(30, 1)
    d_true = np.linalg.norm(G[:, None] - G[None], axis=2)[iu]
    d_sk = np.linalg.norm(S[:, None].astype(np.float64) - S[None], axis=2)[iu]
    assert np.median(np.abs(d_sk / d_true - 1)) < 0.1


# ============================================================================ strategies
@pytest.fixture(scope="module")
def digits_ctx(digits):
    return make_context(digits, n_labeled=40, seed=3)


def test_badge_first_pick_is_the_max_norm_gradient_and_extras(digits_ctx):
    res = get("badge").query(digits_ctx, 10, rng=0)
    a, h = digits_ctx.gradient_factors
    gnorm = np.linalg.norm(explicit(a, h), axis=1)
    cand = digits_ctx.candidates
    ex = res.extras
    assert res.indices[0] == cand[np.argmax(gnorm[cand])]
    np.testing.assert_allclose(ex["gradient_norm"], gnorm, rtol=1e-10)
    assert "pick_order" not in ex  # the indices are in draw order already
    assert ex["seed_distance"][0] == 0 and np.all(ex["seed_distance"][1:] > 0)
    assert ex["representation"].shape == (digits_ctx.n_pool, 256)
    assert isinstance(ex["representation_name"], str)


def test_badge_batches_cover_more_classes_than_top_gradient_norm(digits_ctx):
    pred = digits_ctx.proba.argmax(axis=1)
    a, h = digits_ctx.gradient_factors
    gnorm = np.linalg.norm(a, axis=1) * np.linalg.norm(h, axis=1)
    cand = digits_ctx.candidates
    topk = cand[np.argsort(-gnorm[cand])[:20]]
    badge = [len(set(pred[get("badge").query(digits_ctx, 20, rng=s).indices])) for s in range(3)]
    assert np.mean(badge) > len(set(pred[topk]))


def test_gem_picks_are_more_orthogonal_than_random(digits_ctx):
    a, h = digits_ctx.gradient_factors
    G = explicit(a, h)
    Gn = G / np.linalg.norm(G, axis=1, keepdims=True)

    def mean_abs_cos(idx):
        S = np.abs(Gn[idx] @ Gn[idx].T)
        return S[~np.eye(len(idx), dtype=bool)].mean()

    res = get("gem").query(digits_ctx, 10, rng=0)
    gen = np.random.default_rng(0)
    rand = [mean_abs_cos(gen.choice(digits_ctx.candidates, 10, replace=False)) for _ in range(200)]
    assert mean_abs_cos(res.indices) < np.percentile(rand, 10)
    # its residuals shrink (each pick adds less new direction) and start at the largest ‖g‖
    r = res.extras["residual_norm"]
    assert np.all(np.diff(r) <= 1e-9)
    np.testing.assert_allclose(r[0], np.nanmax(np.where(digits_ctx.labeled_mask, np.nan,
                                                        res.extras["gradient_norm"])))


def test_gem_include_labeled_projects_out_the_labeled_gradients(digits_ctx):
    res = get("gem", include_labeled=True).query(digits_ctx, 5, rng=0)
    a, h = digits_ctx.gradient_factors
    G = explicit(a, h)
    L = G[digits_ctx.labeled_mask]
    Q, _ = np.linalg.qr(L.T)  # orthonormal basis of the labeled span
    cand = digits_ctx.candidates
    resid = np.linalg.norm(G[cand] - (G[cand] @ Q) @ Q.T, axis=1)
    np.testing.assert_allclose(res.scores[cand], resid, rtol=1e-6, atol=1e-9)
    assert res.indices[0] == cand[np.argmax(resid)]
    assert res.extras["span_rank"] == 40


@pytest.mark.parametrize("name", ["badge", "gem"])
def test_sklearn_model_gets_a_type_error(name, moons):
    ctx = make_context(moons, n_labeled=20, seed=0, model=LogisticRegression(max_iter=200))
    with pytest.raises(TypeError, match="torch model"):
        get(name).query(ctx, 3, rng=0)


def test_gem_bad_parameter(digits_ctx):
    with pytest.raises(ValueError, match="include_labeled"):
        get("gem", include_labeled="yes").query(digits_ctx, 2, rng=0)
