"""Rule tests for paths the other strategy tests leave out.

* QBC: the bootstrap committee (members trained on bootstrap resamples of L)
  and ``committee="dropout"`` (MC dropout through the task model).
* EGL: the closed form ‖e_c − p‖·‖[h; 1]‖ against torch autograd.
* EER: the batched surrogate against exact refits per (candidate, class),
  and ``loss="zero_one"``.
* ``embedding="model"`` of the clustering strategies.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.optimize import minimize
from scipy.special import log_softmax, softmax
from scipy.stats import spearmanr
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression

import alviz
from alviz.models import MLP
from alviz.strategies import QueryContext, get
from alviz.strategies.clustering import prototype_select, typiclust_select
from alviz.strategies.committee import committee_proba
from alviz.strategies.model_change import expected_gradient_length

from .conftest import make_context


@pytest.fixture(scope="module")
def blobs():
    return alviz.datasets.make_toy("blobs", n=150, seed=0)


def _mlp(**kw):
    kw.setdefault("hidden", (16,))
    kw.setdefault("steps", 60)
    kw.setdefault("random_state", 0)
    return MLP(**kw)


# ============================================================================ QBC: bootstrap committee
class _Recorder:
    """Wraps ``ctx.fit_clone`` to record what every committee member was trained on."""

    def __init__(self, ctx):
        self.calls = []
        self._fit = ctx.fit_clone
        ctx.fit_clone = self

    def __call__(self, X, y, rng, params=None):
        self.calls.append((np.array(X), np.array(y)))
        return self._fit(X, y, rng, params)


def test_bootstrap_members_are_trained_on_resamples_of_the_labeled_set(blobs):
    ctx = make_context(blobs, n_labeled=20, model=_mlp())
    rec = _Recorder(ctx)
    P = committee_proba(ctx, "bootstrap", 4, np.random.default_rng(0))
    assert P.shape == (4, len(blobs.X), blobs.n_classes)
    assert len(rec.calls) == 4
    L = {tuple(r) for r in np.asarray(ctx.train_X)}
    n = len(ctx.train_y)
    for X, y in rec.calls:
        assert len(X) == n, "a bootstrap resample has the size of the labeled set"
        assert all(tuple(r) in L for r in X), "members train only on labeled samples"
        # drawn with replacement: some sample repeats, so some labeled sample is left out
        assert len({tuple(r) for r in X}) < n
        assert np.unique(y).size >= 2
    sets = [frozenset(map(tuple, X)) for X, _ in rec.calls]
    assert len(set(sets)) == 4, "every member sees a different resample"
    # different training sets give different members
    assert not np.allclose(P[0], P[1])


def test_bootstrap_committee_is_seeded_and_leaves_the_task_model_alone(blobs):
    ctx_a = make_context(blobs, n_labeled=20, model=_mlp())
    before = ctx_a.model.predict_proba(blobs.X)
    a = committee_proba(ctx_a, "bootstrap", 3, np.random.default_rng(7))
    b = committee_proba(make_context(blobs, n_labeled=20, model=_mlp()), "bootstrap", 3, np.random.default_rng(7))
    c = committee_proba(make_context(blobs, n_labeled=20, model=_mlp()), "bootstrap", 3, np.random.default_rng(8))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c), "another seed draws other resamples"
    np.testing.assert_array_equal(ctx_a.model.predict_proba(blobs.X), before)


def test_bootstrap_committee_with_a_scikit_learn_model(blobs):
    ctx = make_context(blobs, n_labeled=20, model=LogisticRegression(max_iter=200))
    res = get("qbc_kl", n_members=3).query(ctx, 5, rng=0)
    P = committee_proba(make_context(blobs, n_labeled=20, model=LogisticRegression(max_iter=200)),
                        "bootstrap", 3, np.random.default_rng(0))
    s = alviz.scores.consensus_kl(P)
    cand = ctx.candidates
    np.testing.assert_allclose(res.scores[cand], s[cand])
    assert s[res.indices].min() >= np.sort(s[cand])[-5] - 1e-12


# ============================================================================ QBC: MC dropout
def test_dropout_committee_members_differ_and_are_seeded(blobs):
    ctx = make_context(blobs, n_labeled=20, model=_mlp(dropout=0.3))
    before = ctx.model.predict_proba(blobs.X)
    P = committee_proba(ctx, "dropout", 6, np.random.default_rng(0))
    assert P.shape == (6, len(blobs.X), blobs.n_classes)
    np.testing.assert_allclose(P.sum(axis=2), 1.0, atol=1e-5)
    for m in range(1, 6):
        assert not np.allclose(P[0], P[m]), "each MC-dropout pass drops other units"
    # the passes are stochastic around the deterministic (eval-mode) prediction
    assert np.abs(P.mean(axis=0) - before).mean() < np.abs(P[0] - before).mean()
    same = committee_proba(make_context(blobs, n_labeled=20, model=_mlp(dropout=0.3)), "dropout", 6,
                           np.random.default_rng(0))
    np.testing.assert_array_equal(P, same)
    other = committee_proba(make_context(blobs, n_labeled=20, model=_mlp(dropout=0.3)), "dropout", 6,
                            np.random.default_rng(1))
    assert not np.allclose(P, other)
    # the task model is back in eval mode: its predictions did not change
    np.testing.assert_array_equal(ctx.model.predict_proba(blobs.X), before)
    assert not any(m.training for m in ctx.model.network_.modules())


def test_dropout_committee_query_ranks_by_the_members_vote_entropy(blobs):
    ctx = make_context(blobs, n_labeled=20, model=_mlp(dropout=0.5))
    res = get("qbc_vote_entropy", committee="dropout", n_members=8).query(ctx, 6, rng=3)
    P = committee_proba(make_context(blobs, n_labeled=20, model=_mlp(dropout=0.5)), "dropout", 8,
                        np.random.default_rng(3))
    ve = alviz.scores.vote_entropy(P)
    cand = ctx.candidates
    np.testing.assert_allclose(res.scores[cand], ve[cand])
    assert ve[res.indices].min() >= np.sort(ve[cand])[-6] - 1e-12
    assert ve[cand].max() > 0, "with dropout 0.5 some members disagree somewhere"


def test_dropout_committee_refuses_models_it_cannot_use(blobs):
    no_dropout = make_context(blobs, n_labeled=20, model=_mlp(dropout=0.0))
    with pytest.raises(ValueError, match=r"dropout > 0.*MLP\(dropout=0\.2\)"):
        get("qbc_kl", committee="dropout").query(no_dropout, 3, rng=0)
    sk = make_context(blobs, n_labeled=20, model=LogisticRegression(max_iter=200))
    with pytest.raises(TypeError, match=r"torch model"):
        get("qbc_kl", committee="dropout").query(sk, 3, rng=0)


# ============================================================================ EGL against autograd
def _egl_autograd(net_features, head, X):
    """sum_c p_c ||d CE(x, c) / d[W, b]||_2 of the head, one sample and one class at a time."""
    out = []
    for x in torch.as_tensor(X, dtype=torch.float32):
        h = net_features(x[None])
        p = torch.softmax(head(h), dim=1)[0].detach()
        total = 0.0
        for c in range(p.numel()):
            head.zero_grad()
            loss = torch.nn.functional.cross_entropy(head(h.detach()), torch.tensor([c]))
            loss.backward()
            g = torch.cat([head.weight.grad.reshape(-1), head.bias.grad.reshape(-1)])
            total += float(p[c]) * float(g.norm())
        out.append(total)
    return np.array(out)


def test_egl_closed_form_equals_autograd_on_a_tiny_mlp():
    torch.manual_seed(0)
    features = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh())
    head = torch.nn.Linear(5, 4)
    X = np.random.default_rng(0).normal(size=(12, 3))
    with torch.no_grad():
        h = features(torch.as_tensor(X, dtype=torch.float32))
        p = torch.softmax(head(h), dim=1)
    closed = expected_gradient_length(p.numpy(), h.numpy())
    np.testing.assert_allclose(closed, _egl_autograd(features, head, X), rtol=1e-5)
    # a true L2 norm: the L1 sum of |gradient| entries is larger
    assert np.all(closed > 0)


def test_egl_strategy_scores_are_the_task_models_last_layer_gradient_lengths(blobs):
    ctx = make_context(blobs, n_labeled=20, model=_mlp(hidden=(8,)))
    res = get("egl").query(ctx, 4, rng=0)
    net = ctx.model.network_
    cand = ctx.candidates[:25]
    ref = _egl_autograd(net.features, net.head, blobs.X[cand])
    np.testing.assert_allclose(res.scores[cand], ref, rtol=1e-4)
    assert np.all(np.isnan(res.scores[ctx.labeled_mask]))


# ============================================================================ EER against exact refits
class _FixedModel:
    """A stand-in task model: fixed probabilities, its input as the embedding."""

    def __init__(self, proba, X):
        self._proba, self._X = proba, X
        self.classes_ = np.arange(proba.shape[1])

    def predict_proba(self, X):
        return self._proba

    def embed(self, X):
        return np.asarray(X, dtype=np.float32)


def _surrogate_exact(Z, y, l2):
    """argmin_W mean_i CE(z_i W, y_i) + l2/2 ||W[:-1]||^2 (bias unpenalised), to convergence."""
    d, C = Z.shape[1], _C

    def f(w):
        W = w.reshape(d, C)
        logits = Z @ W
        lp = log_softmax(logits, axis=1)
        ce = -lp[np.arange(len(y)), y].mean()
        grad = Z.T @ (softmax(logits, axis=1) - np.eye(C)[y]) / len(y)
        grad[:-1] += l2 * W[:-1]
        return ce + 0.5 * l2 * (W[:-1] ** 2).sum(), grad.ravel()

    return minimize(f, np.zeros(d * C), jac=True, method="L-BFGS-B", options={"gtol": 1e-10, "maxiter": 5000}).x \
        .reshape(d, C)


_C = 3


def _tiny_eer_case():
    rng = np.random.default_rng(0)
    centers = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]])
    y = np.repeat(np.arange(_C), 8)
    X = (centers[y] + rng.normal(scale=0.9, size=(len(y), 2))).astype(np.float32)
    labeled = np.zeros(len(y), bool)
    labeled[[0, 1, 8, 9, 16, 17]] = True
    proba = softmax(-((X[:, None, :] - centers[None]) ** 2).sum(axis=2) / 2.0, axis=1)
    model = _FixedModel(proba, X)
    ctx = QueryContext(X, labeled, np.where(labeled, y, -1), _C, model=model, model_template=None)
    return X, y, labeled, proba, ctx


def test_eer_matches_exact_refits_per_candidate_and_class():
    X, y, labeled, proba, ctx = _tiny_eer_case()
    l2_param = 1.0
    res = get("eer", n_candidates=100, n_eval=100, steps=600, l2=l2_param).query(ctx, 3, rng=0)
    # the surrogate's features, as the rule states: PCA of the embedding, scaled, with a bias column
    Z = PCA(n_components=2, svd_solver="full").fit_transform(X.astype(np.float64))
    Z /= Z.std(axis=0).max() + 1e-12
    Z = np.hstack([Z, np.ones((len(Z), 1))])
    lab = np.flatnonzero(labeled)
    cand = np.flatnonzero(~labeled)
    l2 = l2_param / (len(lab) + 1)
    expected = np.empty(len(cand))
    for j, x in enumerate(cand):
        future = np.empty(_C)
        for c in range(_C):
            W = _surrogate_exact(np.vstack([Z[lab], Z[x]]), np.append(y[lab], c), l2)
            P = softmax(Z[cand] @ W, axis=1)
            future[c] = (-(P * np.log(np.clip(P, 1e-12, None))).sum(axis=1)).mean()
        expected[j] = proba[x] @ future
    assert np.ptp(expected) > 0.01, "the case must separate the candidates"
    got = res.extras["expected_loss"][cand]
    # given enough steps the batched warm-started refits reach the exact optimum
    np.testing.assert_allclose(got, expected, atol=1e-4)
    np.testing.assert_allclose(res.scores[cand], -got)
    assert set(res.indices) == set(cand[np.argsort(expected)[:3]])
    # with the default number of steps: the same ranking and the same picks
    default = get("eer", n_candidates=100, n_eval=100, l2=l2_param).query(ctx, 3, rng=0)
    d = default.extras["expected_loss"][cand]
    np.testing.assert_allclose(d, expected, atol=5e-3)
    assert spearmanr(d, expected).statistic > 0.95
    assert set(default.indices) == set(res.indices)


def test_eer_zero_one_loss_uses_one_minus_max_probability():
    X, y, labeled, proba, ctx = _tiny_eer_case()
    zo = get("eer", loss="zero_one", n_candidates=100, n_eval=100, steps=200).query(ctx, 3, rng=0)
    log = get("eer", loss="log", n_candidates=100, n_eval=100, steps=200).query(ctx, 3, rng=0)
    cand = np.flatnonzero(~labeled)
    e_zo, e_log = zo.extras["expected_loss"][cand], log.extras["expected_loss"][cand]
    # the 0-1 loss of a C-class prediction lies in [0, 1 - 1/C]; on the same refits the entropy is larger
    # (-log max p >= 1 - max p), and in nats it can exceed 1 - 1/C
    assert np.all((e_zo >= 0) & (e_zo <= 1 - 1 / _C + 1e-6))
    assert np.all(e_log > e_zo)
    assert not np.allclose(e_zo, e_log)
    np.testing.assert_allclose(zo.scores[cand], -e_zo)
    assert np.all(np.isnan(zo.scores[labeled]))


def test_eer_zero_one_against_exact_refits():
    X, y, labeled, proba, ctx = _tiny_eer_case()
    res = get("eer", loss="zero_one", n_candidates=100, n_eval=100, steps=600).query(ctx, 2, rng=0)
    Z = PCA(n_components=2, svd_solver="full").fit_transform(X.astype(np.float64))
    Z /= Z.std(axis=0).max() + 1e-12
    Z = np.hstack([Z, np.ones((len(Z), 1))])
    lab, cand = np.flatnonzero(labeled), np.flatnonzero(~labeled)
    l2 = 1.0 / (len(lab) + 1)
    expected = np.array([
        sum(proba[x, c] * (1 - softmax(Z[cand] @ _surrogate_exact(np.vstack([Z[lab], Z[x]]),
                                                                   np.append(y[lab], c), l2), axis=1).max(axis=1)).mean()
            for c in range(_C))
        for x in cand])
    assert np.ptp(expected) > 0.01
    np.testing.assert_allclose(res.extras["expected_loss"][cand], expected, atol=1e-4)


# ============================================================================ embedding="model"
@pytest.mark.parametrize("name", ["typiclust", "prototype", "probcover"])
def test_embedding_model_uses_the_task_models_penultimate_features(name, blobs):
    ctx = make_context(blobs, n_labeled=20, model=_mlp())
    res = get(name, embedding="model").query(ctx, 5, rng=0)
    h = ctx.model.embed(blobs.X)
    np.testing.assert_allclose(res.extras["representation"], h, rtol=1e-6)
    assert res.extras["representation_name"] == "task model embedding"
    assert h.shape[1] == 16 != blobs.X.shape[1], "the hidden layer, not the input"


def test_embedding_model_picks_are_the_selectors_run_on_that_embedding(blobs):
    ctx = make_context(blobs, n_labeled=20, model=_mlp())
    h = ctx.model.embed(blobs.X)
    t = get("typiclust", embedding="model").query(ctx, 5, rng=4)
    np.testing.assert_array_equal(t.indices, typiclust_select(h, ctx.labeled_mask, 5, np.random.default_rng(4)).indices)
    p = get("prototype", embedding="model").query(ctx, 5, rng=4)
    np.testing.assert_array_equal(p.indices, prototype_select(h, ctx.labeled_mask, 5, np.random.default_rng(4)).indices)
    inp = get("prototype", embedding="input").query(ctx, 5, rng=4)
    assert inp.extras["representation_name"] == "input"
    np.testing.assert_allclose(inp.extras["representation"], blobs.X)


def test_embedding_model_without_a_model_falls_back_to_the_input_and_says_so(blobs):
    ctx = make_context(blobs, labeled_idx=np.array([], dtype=int), model=_mlp())
    assert ctx.model is None
    res = get("prototype", embedding="model").query(ctx, 4, rng=0)
    assert res.extras["representation_name"] == "input (no model yet)"
    np.testing.assert_allclose(res.extras["representation"], blobs.X.reshape(len(blobs.X), -1))


def test_embedding_model_with_a_model_without_embed_says_what_to_use(blobs):
    ctx = make_context(blobs, n_labeled=20, model=LogisticRegression(max_iter=200))
    with pytest.raises(TypeError, match=r"no embed\(X\).*alviz torch model"):
        get("typiclust", embedding="model").query(ctx, 3, rng=0)
