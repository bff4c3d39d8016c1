"""The adversarial line after VAAL: loss_prediction, waal, ta_vaal, sraal (rules computed by hand)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

import alviz
from alviz.selection import k_center_greedy_trace
from alviz.strategies import get
from alviz.strategies import _adversarial_nets as nets
from alviz.strategies import sraal as sraal_module
from alviz.strategies.sraal import uncertainty_indicator
from alviz.strategies.waal import waal_uncertainty

from .conftest import make_context

FAMILY = ["loss_prediction", "waal", "ta_vaal", "sraal"]
#: small settings: each query trains in a fraction of a second on the toy pool
FAST = {"loss_prediction": {"steps": 60}, "waal": {"steps": 60}, "ta_vaal": {"steps": 30, "ranker_steps": 40},
        "sraal": {"steps": 30}}


@pytest.fixture(scope="module")
def toy():
    return alviz.datasets.make_toy("moons", n=200, seed=1, noise=0.25)


@pytest.fixture(scope="module")
def toy_ctx(toy):
    return make_context(toy, n_labeled=40, seed=0, model=alviz.models.MLP(hidden=(16,), steps=60))


def _weights(model):
    return [p.detach().clone() for p in model.network_.parameters()]


@pytest.mark.parametrize("name", FAMILY)
def test_trains_its_own_networks_and_leaves_the_task_model_alone(name, toy, toy_ctx):
    ctx = make_context(toy, n_labeled=40, seed=0, model=alviz.models.MLP(hidden=(16,), steps=60))
    before = _weights(ctx.model)
    s = get(name, **FAST[name])
    res = s.query(ctx, 6, rng=0)
    after = _weights(ctx.model)
    assert all(torch.equal(a, b) for a, b in zip(before, after)), f"{name} changed the task model's weights"
    curves = [k for k in ("loss_prediction_loss", "critic_loss", "vae_loss", "discriminator_loss") if k in res.extras]
    assert curves and all(np.isfinite(res.extras[k]).all() and np.ptp(res.extras[k]) > 0 for k in curves), \
        "it trained networks of its own (their loss curves move)"
    # the field is the very score that ranks the pool (pointwise), from the trained state, not retrained
    cand = ctx.candidates[:25]
    np.testing.assert_allclose(s.score_points(ctx, toy.X[cand]), res.scores[cand], rtol=1e-5, atol=1e-5)
    assert res.extras["representation"].shape[0] == ctx.n_pool


def test_margin_ranking_loss_by_hand():
    pred = torch.tensor([0.0, 2.0, 1.0, 3.0])
    true = torch.tensor([1.0, 0.0, 5.0, 2.0])
    # pairs (0, 3) and (1, 2): sign(1 - 2) = -1 -> max(0, (0 - 3) + 1) = 0; sign(0 - 5) = -1 -> max(0, 2 - 1 + 1) = 2
    assert float(nets.margin_ranking_loss(pred, true, margin=1.0)) == pytest.approx(1.0)


def test_loss_prediction_ranks_like_the_true_loss(toy):
    """On held-out (unlabeled) samples, the predicted loss ranks like the model's true loss −log p(y|x)."""
    ctx = make_context(toy, n_labeled=60, seed=0, model=alviz.models.MLP(hidden=(16,), steps=60))
    res = get("loss_prediction", steps=300).query(ctx, 5, rng=0)
    unl = ctx.candidates
    true = nets.per_sample_loss(ctx.proba[unl], toy.y[unl])
    rho = spearmanr(res.extras["predicted_loss"][unl], true).correlation
    assert rho > 0.7, rho
    lab = np.flatnonzero(ctx.labeled_mask)
    np.testing.assert_allclose(res.extras["true_loss"][lab], nets.per_sample_loss(ctx.proba[lab], toy.y[lab]))
    assert np.isnan(res.extras["true_loss"][unl]).all()


def test_waal_selection_is_the_documented_rule_by_hand(toy_ctx):
    res = get("waal", **FAST["waal"]).query(toy_ctx, 8, rng=0)
    p = np.clip(toy_ctx.proba, 1e-12, None)
    u = 0.5 * np.sqrt((np.log(p) ** 2).sum(axis=1)) + 0.5 * (-np.log(p)).sum(axis=1)
    total = u - 10.0 * res.extras["critic_score"]  # the authors' decision score: the smallest are picked
    unl = toy_ctx.candidates
    expected = unl[np.argsort(total[unl], kind="stable")[:8]]
    assert list(res.indices) == list(expected)
    np.testing.assert_allclose(res.extras["uncertainty_bound"], u)
    assert ((res.extras["critic_score"] >= 0) & (res.extras["critic_score"] <= 1)).all()
    # "smallest" is right: the uncertainty term is smallest at the uniform prediction
    rng = np.random.default_rng(0)
    q = rng.dirichlet(np.ones(4), size=200)
    for kind in ("mixed", "l1", "l2", "single_worst"):
        assert (waal_uncertainty(np.full((1, 4), 0.25), kind) <= waal_uncertainty(q, kind) + 1e-12).all()


def test_waal_critic_sees_the_unlabeled_side():
    """Trained on separated representations, the critic is higher on the unlabeled side."""
    rng = np.random.default_rng(0)
    H = np.concatenate([rng.normal(-2, 0.5, (60, 3)), rng.normal(2, 0.5, (140, 3))])
    mask = np.arange(200) < 60
    fit = nets.train_critic(H, mask, np.random.default_rng(1), steps=150)
    d = fit.score(H)
    assert d[~mask].mean() > d[mask].mean() + 0.2


def test_sraal_relabeled_targets_are_the_indicator_on_unlabeled_samples(toy, monkeypatch):
    seen = {}
    real = sraal_module.train_state_discriminator

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(sraal_module, "train_state_discriminator", spy)
    ctx = make_context(toy, n_labeled=40, seed=0, model=alviz.models.MLP(hidden=(16,), steps=60))
    res = get("sraal", **FAST["sraal"]).query(ctx, 5, rng=0)
    p = ctx.proba
    c, m = p.shape[1], p.max(axis=1)
    flattest = np.column_stack([m] + [(1 - m) / (c - 1)] * (c - 1))  # same max, the rest spread evenly
    by_hand = flattest.var(axis=1) / p.var(axis=1) * m  # (minVar / Var) * max p
    unl = ctx.candidates
    np.testing.assert_allclose(seen["unlabeled_targets"][unl], by_hand[unl], rtol=1e-5)  # float32 targets
    np.testing.assert_allclose(res.extras["relabeled_state"][unl], by_hand[unl], rtol=1e-5)
    assert np.all(res.extras["relabeled_state"][ctx.labeled_mask] == 1.0)
    np.testing.assert_array_equal(seen["labels"][ctx.labeled_mask], toy.y[ctx.labeled_mask])  # the target learner
    two = uncertainty_indicator(np.array([[0.5, 0.5], [1.0, 0.0], [0.25, 0.75]]))
    np.testing.assert_allclose(two, [0.5, 1.0, 0.75])  # two classes: the flattest vector is p itself, the state max p
    spread = uncertainty_indicator(np.array([[0.6, 0.4, 0.0], [0.6, 0.2, 0.2], [1 / 3, 1 / 3, 1 / 3]]))
    # [0.6, 0.4, 0]: Var = 1.68/27 against the flattest [0.6, 0.2, 0.2]'s 0.96/27, so 0.6 * 4/7
    np.testing.assert_allclose(spread, [0.6 * 4 / 7, 0.6, 1 / 3])  # the uniform prediction: its max, 1/C


def test_the_state_discriminator_learns_the_relabeled_states():
    """Unlabeled targets near 1 make D call the unlabeled samples labeled; VAAL's 0 makes it call them unlabeled."""
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(-1, 0.3, (40, 4)), rng.normal(1, 0.3, (80, 4))]).astype(np.float32)
    mask = np.arange(120) < 40
    means = []
    for t in (0.0, 0.9):
        fit = nets.train_state_discriminator(X, mask, np.random.default_rng(2), latent_dim=4, steps=50,
                                             adversary_weight=0.0, unlabeled_targets=np.full(120, t))
        means.append(fit.p_labeled(fit.encode(X))[~mask].mean())
    assert means[1] > means[0] + 0.3, means


def test_sraal_with_nothing_labeled_is_the_k_center_initialisation(toy):
    ctx = make_context(toy, n_labeled=0, seed=0)
    res = get("sraal").query(ctx, 6, rng=3)
    tr = k_center_greedy_trace(toy.X.astype(np.float64), ctx.labeled_mask, 6, np.random.default_rng(3))
    assert list(res.indices) == list(tr.indices)


def test_ta_vaal_discriminator_is_conditioned_on_the_loss_ranking(toy_ctx):
    s = get("ta_vaal", **FAST["ta_vaal"])
    res = s.query(toy_ctx, 5, rng=0)
    ranker, r, fit = s._fit(toy_ctx, np.random.default_rng(0))
    np.testing.assert_allclose(res.extras["predicted_loss"], r)
    np.testing.assert_allclose(ranker.predict(toy_ctx.embedding), r)
    mu = res.extras["representation"]
    np.testing.assert_allclose(fit.p_labeled(mu, r), res.extras["discriminator_p_labeled"], atol=1e-6)
    assert not np.allclose(fit.p_labeled(mu, r + 5.0), res.extras["discriminator_p_labeled"], atol=1e-3)
