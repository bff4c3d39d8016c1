"""Rule tests of the Bayesian baselines (bald, batchbald, mean_std, var_ratio), BAIT and the herdings.

Each rule is checked against a hand computation or an independent slow implementation written here.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import alviz
from alviz import scores
from alviz.strategies import get
from alviz.strategies._mc_dropout import dropout_samples
from alviz.strategies.bait import bait_select, fisher_factors, fisher_mean
from alviz.strategies.batchbald import batchbald_select
from alviz.strategies.herding import herding_select

from .conftest import make_context


@pytest.fixture(scope="module")
def moons_ctx(moons):
    return make_context(moons, n_labeled=20, seed=0)


def _fresh(moons):
    return make_context(moons, n_labeled=20, seed=0)


def _H(p, axis=-1):
    """Entropy written out independently of alviz.scores."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.nansum(np.where(p > 0, p * np.log(p), 0.0), axis=axis)


# ---------------------------------------------------------------------------- consistent MC dropout
def test_consistent_dropout_is_one_network_per_pass_for_any_inputs(moons_ctx):
    model = moons_ctx.model
    X = moons_ctx.X
    P = model.mc_dropout_proba(X, 6, 11, consistent=True)
    assert P.shape == (6, len(X), 2)
    np.testing.assert_array_equal(model.mc_dropout_proba(X[40:90], 6, 11, consistent=True), P[:, 40:90])
    assert np.abs(P[0] - P[1]).max() > 1e-3  # the passes differ
    # the fast path (dropout feeds the head: head(h ⊙ m_t)) equals the forward hooks on the whole network
    slow = type(model)._dropout_feeds_head
    try:
        type(model)._dropout_feeds_head = lambda self, drops: False
        np.testing.assert_allclose(model.mc_dropout_proba(X, 6, 11, consistent=True), P, atol=1e-6)
    finally:
        type(model)._dropout_feeds_head = slow
    assert not model.network_.training


# ---------------------------------------------------------------------------- BALD and friends
def test_bald_is_the_mutual_information_of_the_same_samples(moons):
    ctx = _fresh(moons)
    res = get("bald", n_samples=12).query(ctx, 5, rng=0)
    P = dropout_samples(ctx, 12, None)  # the round's networks (their seed is kept in the context)
    mi = _H(P.mean(axis=0)) - _H(P).mean(axis=0)
    cand = ctx.candidates
    np.testing.assert_allclose(res.scores[cand], mi[cand], atol=1e-10)
    assert np.all(res.scores[cand] >= 0)
    assert mi[cand].max() > 1e-3  # not trivially zero
    np.testing.assert_allclose(res.extras["predictive_entropy"] - res.extras["expected_entropy"],
                               np.maximum(mi, 0), atol=1e-10)
    assert set(res.indices) == set(cand[np.argsort(-mi[cand], kind="stable")[:5]])
    # the field reads the same networks: score_points on the pool gives the pool's scores
    np.testing.assert_allclose(get("bald", n_samples=12).score_points(ctx, ctx.X[cand]), res.scores[cand],
                               atol=1e-10)


def test_var_ratio_is_freemans_ratio_not_least_confidence():
    # a: every pass says class 0 at 0.4 (least confidence 0.6, variation ratio 0)
    # b: half the passes say 0 at 0.9, half say 1 at 0.9 (mean (0.5, 0.5, 0): least confidence 0.5, ratio 0.5)
    a = np.tile([0.4, 0.3, 0.3], (10, 1))
    b = np.array([[0.9, 0.1, 0.0]] * 5 + [[0.1, 0.9, 0.0]] * 5)
    P = np.stack([a, b], axis=1)  # (T=10, n=2, C=3)
    vr = scores.variation_ratio(P)
    np.testing.assert_allclose(vr, [0.0, 0.5])
    lc = scores.least_confidence(P.mean(axis=0))
    assert lc[0] > lc[1] and vr[1] > vr[0]  # they rank the two the other way round
    np.testing.assert_allclose(scores.mean_std(P), [0.0, (0.4 + 0.4 + 0.0) / 3], atol=1e-12)


def test_var_ratio_strategy_counts_the_votes(moons):
    ctx = _fresh(moons)
    res = get("var_ratio", n_samples=9).query(ctx, 5, rng=1)
    votes = dropout_samples(ctx, 9, None).argmax(axis=2)  # (T, n)
    modal = np.array([np.bincount(votes[:, i], minlength=2).max() for i in range(ctx.n_pool)])
    np.testing.assert_allclose(res.scores[ctx.candidates], (1 - modal / 9)[ctx.candidates])
    ms = get("mean_std", n_samples=9).query(ctx, 5, rng=1)  # same context: the same networks
    P = dropout_samples(ctx, 9, None)
    np.testing.assert_allclose(ms.scores[ctx.candidates],
                               np.sqrt(((P - P.mean(0)) ** 2).mean(0)).mean(1)[ctx.candidates])


def test_dropout_strategies_leave_the_model_alone(moons):
    ctx = _fresh(moons)
    before = {k: v.clone() for k, v in ctx.model.network_.state_dict().items()}
    for name in ("bald", "var_ratio", "uherding"):
        get(name, **({"embedding": "input"} if name == "uherding" else {})).query(ctx, 4, rng=0)
    after = ctx.model.network_.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not ctx.model.network_.training


# ---------------------------------------------------------------------------- BatchBALD
def _joint_mi_brute(P, idx):
    """I(y_idx; ω) by enumerating every label configuration (independent of alviz)."""
    T = P.shape[0]
    joint = np.ones((T, 1))
    for i in idx:
        joint = np.einsum("tm,tc->tmc", joint, P[:, i]).reshape(T, -1)
    return _H(joint.mean(axis=0)) - _H(P[:, idx]).mean(axis=0).sum()


def test_batchbald_joint_mi_is_exact_while_configurations_fit():
    rng = np.random.default_rng(0)
    P = rng.dirichlet(np.full(3, 0.4), size=(10, 15))  # T=10, m=15, C=3
    sel = batchbald_select(P, 5, n_configurations=10**5)
    for j in range(5):
        assert sel.joint_mi[j] == pytest.approx(_joint_mi_brute(P, sel.indices[:j + 1]), abs=1e-9)
    # greedy: the first pick maximises BALD, the second maximises the pair's joint MI given the first
    assert sel.indices[0] == np.argmax(_H(P.mean(0)) - _H(P).mean(0))
    pair = [(_joint_mi_brute(P, [sel.indices[0], b]) if b != sel.indices[0] else -np.inf) for b in range(15)]
    assert sel.indices[1] == int(np.argmax(pair))


def test_batchbald_sampled_joint_entropy_is_close():
    rng = np.random.default_rng(1)
    P = rng.dirichlet(np.full(4, 0.5), size=(16, 10))
    sel = batchbald_select(P, 6, n_configurations=4096, rng=0)  # exact up to 4^6 > 4096: the last is sampled
    exact = _joint_mi_brute(P, sel.indices)
    assert sel.joint_mi[-1] == pytest.approx(exact, rel=0.05)
    # a long batch: the configurations' probabilities are products of many picks and must not underflow
    big = batchbald_select(rng.dirichlet(np.full(10, 0.3), size=(20, 60)), 40, n_configurations=400, rng=0)
    assert np.all(np.isfinite(big.joint_mi)) and np.unique(big.indices).size == 40
    assert big.joint_mi[-1] <= np.log(20) + 0.05  # the joint information cannot pass log T


def test_batchbald_first_pick_is_balds_and_joint_mi_grows(moons):
    ctx = _fresh(moons)
    bb = get("batchbald", n_samples=30).query(ctx, 8, rng=0)
    bald = get("bald", n_samples=30).query(ctx, 8, rng=0)  # same context, same networks
    assert bb.indices[0] == bald.indices[0]
    mi = bb.extras["joint_mutual_information"]
    assert mi.shape == (8,) and np.all(np.diff(mi) >= -1e-9)  # two classes: 2^7 configurations, exact
    np.testing.assert_allclose(bb.scores[ctx.candidates], bald.scores[ctx.candidates])


def test_batchbald_spreads_over_duplicates_where_top_k_bald_piles_up(digits):
    dup = alviz.scenarios.with_duplicates(digits, fraction=1.0, copies=2, noise=0.0, seed=0)  # Repeated digits
    # dropout 0.5, as the BatchBALD paper's MNIST model (with 0.1 on the last layer only the dropout
    # posterior is too narrow: a copy's second label can still be worth more than a new digit)
    ctx = make_context(dup, n_labeled=40, seed=0, model=alviz.models.MLP(dropout=0.5))
    origin = np.asarray(dup.meta["origin"])
    bald = get("bald", n_samples=30).query(ctx, 10, rng=0)
    bb = get("batchbald", n_samples=30, max_candidates=200).query(ctx, 10, rng=0)
    distinct = lambda idx: np.unique(origin[idx]).size
    assert distinct(bald.indices) <= 4  # top-k takes each high-BALD digit with its two copies
    assert distinct(bb.indices) >= 7
    assert distinct(bb.indices[:3]) == 3  # the exact part of the greedy never repeats a digit here


# ---------------------------------------------------------------------------- BAIT
def test_bait_objective_decreases_and_matches_a_direct_computation():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(3), size=40)
    h = rng.normal(size=(40, 4))
    V = fisher_factors(p, h)  # (40, 3, 12)
    # V_xᵀ V_x is the Fisher (diag p − p pᵀ) ⊗ h hᵀ
    np.testing.assert_allclose(V[0].T @ V[0], np.kron(np.diag(p[0]) - np.outer(p[0], p[0]), np.outer(h[0], h[0])),
                               atol=1e-12)
    F = np.mean([v.T @ v for v in V], axis=0)
    np.testing.assert_allclose(fisher_mean(p, h), F, atol=1e-12)  # the Kronecker shortcut
    M0 = 0.5 * np.eye(12)
    sel = bait_select(V[:25], 4, F, M0)
    obj = sel.objective
    assert len(sel.forward) == 8 and len(obj) == 8 + 4
    assert np.all(np.diff(obj[:8]) < 0)  # each greedy addition lowers tr(M⁻¹F)

    def direct(idx):
        M = M0 + sum(V[i].T @ V[i] for i in idx)
        return np.trace(np.linalg.solve(M, F))
    for j in range(8):
        assert obj[j] == pytest.approx(direct(sel.forward[:j + 1]), rel=1e-9)
    assert obj[-1] == pytest.approx(direct(sel.indices), rel=1e-9)
    # the first addition is the best single one, by brute force
    assert sel.forward[0] == int(np.argmin([direct([i]) for i in range(25)]))
    # the backward step removes the pick whose removal costs least
    kept = list(sel.forward)
    first_removed = (set(sel.forward) - set(sel.indices))
    best = min(kept, key=lambda i: direct([j for j in kept if j != i]))
    assert best in first_removed
    assert set(sel.indices) <= set(sel.forward)


def test_bait_strategy_reports_forward_and_final_picks(moons):
    ctx = _fresh(moons)
    res = get("bait").query(ctx, 5, rng=0)
    over = res.extras["oversampled"]
    assert over.shape == (10,) and set(res.indices) <= set(over)
    assert np.all(np.diff(res.extras["bait_objective"][:10]) < 0)


# ---------------------------------------------------------------------------- herding
def test_maxherding_gain_is_the_coverage_increase():
    rng = np.random.default_rng(0)
    F = rng.normal(size=(60, 3))
    L = rng.normal(size=(4, 3))
    sigma = 0.8
    w = rng.random(60)

    def cov(points, weights):
        """Σ_i w_i max_s k(x_i, x_s) / m over the candidates, labeled points included among the s."""
        S = np.concatenate([L, points]) if len(points) else L
        d2 = ((F[:, None, :] - S[None]) ** 2).sum(-1)
        return (weights * np.exp(-d2 / sigma ** 2).max(axis=1)).mean()

    for weights in (None, w):
        sel = herding_select(F, 6, sigma, L, weights)
        ww = np.ones(60) if weights is None else weights
        for t in range(6):
            inc = cov(F[sel.indices[:t + 1]], ww) - cov(F[sel.indices[:t]], ww)
            assert sel.gain[t] == pytest.approx(inc, rel=1e-9, abs=1e-12)
        # greedy: no other candidate would have raised the coverage more at the first step
        firsts = [cov(F[[j]], ww) - cov(F[[]], ww) for j in range(60)]
        assert sel.indices[0] == int(np.argmax(firsts))


def test_maxherding_picks_agree_with_scikit_activeml(moons):
    skpool = pytest.importorskip("skactiveml.pool")
    ctx = _fresh(moons)
    sigma = 0.3
    res = get("maxherding", embedding="input", bandwidth=sigma).query(ctx, 6, rng=0)
    y = np.where(ctx.labeled_mask, ctx.labels, np.nan)
    ref = skpool.MaxHerding(normalize_samples=False, metric="rbf", metric_dict={"gamma": 1 / sigma ** 2},
                            random_state=0).query(ctx.X, y, batch_size=6)
    np.testing.assert_array_equal(res.indices, ref)


def test_uherding_weights_by_temperature_scaled_margin(moons):
    ctx = _fresh(moons)
    res = get("uherding", embedding="input").query(ctx, 5, rng=0)
    T = res.extras["temperature"]
    assert 1.0 <= T < 20.0
    cand = ctx.candidates
    z = np.log(np.clip(ctx.proba[cand], 1e-12, None)) / T
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    top = np.sort(p, axis=1)
    np.testing.assert_allclose(res.extras["uncertainty"][cand], 1 - (top[:, -1] - top[:, -2]), atol=1e-12)
    L = ctx.X[ctx.labeled_mask]
    d = np.sqrt(((L[:, None] - L[None]) ** 2).sum(-1))
    assert res.extras["bandwidth"] == pytest.approx(d[d > 0].min())  # the adaptive σ
    # same rule as herding_select with those weights
    sel = herding_select(ctx.X[cand], 5, res.extras["bandwidth"], L, res.extras["uncertainty"][cand])
    np.testing.assert_array_equal(res.indices, cand[sel.indices])
