"""One home per mechanism: cloning and fitting a task model, blocked pairwise distances, the pool's
contrastive embedding, MC-dropout sampling and the pool's hash are each written once, and every
caller goes through that one place."""
from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression

import alviz
from alviz._validation import torch_seed
from alviz.models import MLP, fit_fresh
from alviz.selection import distance_to_centers, reduce_sq_distances, sq_distance_blocks
from alviz.strategies import QueryContext, get

from .conftest import make_context

STRATEGIES = Path(alviz.__file__).parent / "strategies"


@pytest.fixture(scope="module")
def blobs():
    return alviz.datasets.make_toy("blobs", n=150, seed=0)


# ---------------------------------------------------------------------------- clone, seed, fit
def test_fit_fresh_seeds_from_one_draw_and_leaves_the_template_alone(blobs):
    template = MLP(hidden=(8,), steps=30, random_state=123)
    X, y = blobs.X[:40], blobs.y[:40]
    rng = np.random.default_rng(5)
    m = fit_fresh(template, X, y, blobs.n_classes, rng)
    expected_seed = torch_seed(np.random.default_rng(5))
    assert m.random_state == expected_seed and template.random_state == 123
    assert not hasattr(template, "network_")
    assert rng.integers(2**31 - 1) == np.random.default_rng(5).integers(2**31 - 1, size=2)[1]  # one draw used
    by_hand = MLP(hidden=(8,), steps=30, random_state=expected_seed).fit(X, y, n_classes=blobs.n_classes)
    np.testing.assert_array_equal(m.predict_proba(blobs.X), by_hand.predict_proba(blobs.X))
    assert fit_fresh(template, X, y, blobs.n_classes).random_state == 123  # no rng: the template's seed


def test_fit_fresh_flattens_for_a_scikit_learn_model_and_covers_every_class(blobs):
    m = fit_fresh(LogisticRegression(max_iter=200), blobs.X[:40], blobs.y[:40], blobs.n_classes,
                  np.random.default_rng(0))
    assert m.predict_proba(blobs.X).shape == (len(blobs.X), blobs.n_classes)
    few = np.flatnonzero(blobs.y < 2)[:20]  # two of the classes only: the torch model still has every output
    t = fit_fresh(MLP(hidden=(4,), steps=5), blobs.X[few], blobs.y[few], blobs.n_classes, None)
    assert t.predict_proba(blobs.X).shape[1] == blobs.n_classes


def test_session_and_committee_fit_through_fit_fresh(blobs, monkeypatch):
    import alviz.session
    import alviz.strategies.base

    seen = []

    def spy(template, X, y, n_classes, rng=None, params=None):
        seen.append((len(y), params))
        return fit_fresh(template, X, y, n_classes, rng, params)

    monkeypatch.setattr(alviz.session, "fit_fresh", spy)
    monkeypatch.setattr(alviz.strategies._context, "fit_fresh", spy)
    s = alviz.Session(blobs, strategy=get("qbc_kl", n_members=3, member_steps=100), model=MLP(hidden=(4,), steps=5),
                      initial=12,
                      budget=2, seed=0, field_resolution=None)
    s.step()
    # the round's model, then three bootstrap members with the committee's training steps
    assert seen == [(12, None)] + [(12, {"steps": 100})] * 3


# ---------------------------------------------------------------------------- blocked distances
@pytest.mark.parametrize("rows", [1, 7, 1000])
def test_sq_distance_blocks_cover_every_row_with_the_exact_distances(rows):
    rng = np.random.default_rng(0)
    P, R = rng.normal(size=(23, 5)), rng.normal(size=(11, 5))
    brute = ((P[:, None, :] - R[None, :, :]) ** 2).sum(axis=2)
    got = np.empty_like(brute)
    starts = []
    for s, e, d2 in sq_distance_blocks(P, R, rows):
        assert d2.shape == (e - s, 11) and e - s <= rows
        got[s:e] = d2
        starts.append(s)
    assert starts == list(range(0, 23, rows))
    np.testing.assert_allclose(got, brute, atol=1e-10)
    np.testing.assert_allclose(distance_to_centers(P, R, chunk=4), np.sqrt(brute.min(axis=1)), atol=1e-7)
    np.testing.assert_allclose(reduce_sq_distances(P, R, lambda d: (d < 2.0).sum(axis=1), chunk=5),
                               (brute < 2.0).sum(axis=1))


def test_the_distance_users_share_the_one_block_helper(monkeypatch):
    """k-center greedy, typicality and the δ-ball graph all compute distances through sq_distance_blocks."""
    import alviz.selection as sel
    import alviz.selection._clustering as cl
    import alviz.selection._core as core
    import alviz.selection._coverage as cov

    calls = []
    real = sel.sq_distance_blocks

    def spy(*a, **k):
        calls.append(1)
        return real(*a, **k)

    for module in (core, cl, cov):
        monkeypatch.setattr(module, "sq_distance_blocks", spy)
    F = np.random.default_rng(1).normal(size=(40, 3))
    mask = np.zeros(40, bool)
    mask[:3] = True
    for fn in (lambda: sel.k_center_greedy(F, mask, 2), lambda: sel.typicality(F), lambda: sel.ball_graph(F, 0.5),
               lambda: sel.distance_to_centers(F, F[:3])):
        n0 = len(calls)
        fn()
        assert len(calls) > n0


# ---------------------------------------------------------------------------- the contrastive service
def _strategy_imports(path: Path) -> set:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            found.add(node.module)
    return found


def test_clustering_strategies_get_the_contrastive_embedding_from_the_service_not_from_a_strategy():
    imported = _strategy_imports(STRATEGIES / "clustering.py")
    assert "_representations" in imported
    assert not imported & {"contrastive", "coreset", "committee", "vaal"}, imported
    assert "contrastive" not in _strategy_imports(STRATEGIES / "coreset.py")


def test_the_contrastive_embedding_is_trained_once_per_pool_across_strategies(monkeypatch):
    import alviz.strategies._representations as rep

    calls = []
    real = rep.fit_contrastive

    def counting(X, seed, **params):
        calls.append(seed)
        return real(X, seed, **params)

    monkeypatch.setattr(rep, "fit_contrastive", counting)
    ds = alviz.datasets.make_toy("moons", n=120, seed=0)
    ctx = make_context(ds, n_labeled=10, seed=0)
    quick = {"max_steps": 5}
    for name in ("contrastive_coreset", "typiclust", "prototype"):
        get(name, encoder_params=quick, progress=False).query(ctx, 3, rng=0)
    assert calls == [0]


# ---------------------------------------------------------------------------- MC dropout
def test_the_model_samples_its_own_dropout_and_returns_to_eval_mode(blobs):
    m = MLP(hidden=(16,), dropout=0.5, steps=20).fit(blobs.X[:40], blobs.y[:40], n_classes=blobs.n_classes)
    P = m.mc_dropout_proba(blobs.X, 4, seed=7)
    assert P.shape == (4, len(blobs.X), blobs.n_classes) and P.dtype == np.float64
    np.testing.assert_allclose(P.sum(axis=2), 1.0, atol=1e-6)
    assert not np.allclose(P[0], P[1]), "the passes draw different dropout masks"
    np.testing.assert_array_equal(P, m.mc_dropout_proba(blobs.X, 4, seed=7))
    assert not np.array_equal(P, m.mc_dropout_proba(blobs.X, 4, seed=8))
    assert not any(mod.training for mod in m.network_.modules())
    np.testing.assert_array_equal(m.predict_proba(blobs.X), m.predict_proba(blobs.X))  # deterministic again
    state = torch.random.get_rng_state()
    m.mc_dropout_proba(blobs.X[:5], 2, seed=1)
    assert torch.equal(state, torch.random.get_rng_state())


def test_the_dropout_committee_is_the_models_own_sampling(blobs):
    from alviz.strategies.committee import committee_proba

    ctx = make_context(blobs, n_labeled=20, model=MLP(hidden=(16,), dropout=0.5, steps=20))
    rng = np.random.default_rng(3)
    P = committee_proba(ctx, "dropout", 5, rng)
    seed = torch_seed(np.random.default_rng(3))
    np.testing.assert_array_equal(P, ctx.model.mc_dropout_proba(blobs.X, 5, seed))


def test_mc_dropout_refuses_a_network_without_dropout(blobs):
    m = MLP(hidden=(8,), dropout=0.0, steps=5).fit(blobs.X[:20], blobs.y[:20], n_classes=blobs.n_classes)
    with pytest.raises(ValueError, match=r"dropout > 0.*MLP\(dropout=0\.2\)"):
        m.mc_dropout_proba(blobs.X, 3, seed=0)


# ---------------------------------------------------------------------------- the pool's hash
def test_a_session_hashes_its_pool_once(blobs, monkeypatch):
    calls = []
    real = alviz.datasets.Dataset.fingerprint

    def counting(self):
        calls.append(1)
        return real(self)

    monkeypatch.setattr(alviz.datasets.Dataset, "fingerprint", counting)
    s = alviz.Session(blobs, strategy="margin", model=MLP(hidden=(4,), steps=5), initial=10, budget=2, seed=0,
                      field_resolution=None)
    s.run(3)
    assert len(calls) == 1
    assert s.pool_key == real(blobs)


def test_one_hash_for_the_pool_everywhere(blobs):
    from alviz._cache import pool_key

    assert blobs.fingerprint() == pool_key(blobs.X, blobs.y)
    changed = blobs.X.copy()
    changed[0, 0] += 1.0
    assert pool_key(changed, blobs.y) != blobs.fingerprint()
    given = QueryContext(blobs.X, np.zeros(len(blobs.X), bool), np.full(len(blobs.X), -1), blobs.n_classes,
                         dataset_key="abc")
    assert given.pool_key == "abc"
    bare = QueryContext(blobs.X, np.zeros(len(blobs.X), bool), np.full(len(blobs.X), -1), blobs.n_classes)
    assert bare.pool_key == pool_key(blobs.X)


def test_member_steps_sets_the_members_training_and_none_keeps_the_task_models(blobs):
    from alviz.strategies.committee import _committee

    ctx = make_context(blobs, n_labeled=20, model=MLP(hidden=(8,), steps=40))
    short = _committee(ctx, "bootstrap", 2, np.random.default_rng(0), 7)
    full = _committee(ctx, "bootstrap", 2, np.random.default_rng(0), None)
    assert [m.steps for m in short] == [7, 7] and [m.steps for m in full] == [40, 40]
    assert ctx.model.steps == 40
    assert get("qbc_kl").member_steps == 100


# ---------------------------------------------------------------------------- progress= is a bool everywhere
@pytest.mark.parametrize("bad", ["yes", 1, None])
def test_runs_refuse_a_progress_that_is_not_a_bool_before_any_round(blobs, bad):
    s = alviz.Session(blobs, strategy="random", model=MLP(hidden=(4,), steps=5), initial=10, budget=2, seed=0,
                      field_resolution=None)
    with pytest.raises(ValueError, match=r"progress=.* must be True or False"):
        s.run(2, progress=bad)
    assert s.rounds == [] and s.n_labeled == 10
    with pytest.raises(ValueError, match=r"progress=.* must be True or False"):
        alviz.compare(blobs, ["random"], rounds=1, budget=2, progress=bad, model=MLP(hidden=(4,), steps=5))
    with pytest.raises(ValueError, match=r"progress=.* must be True or False"):
        alviz.experiment(blobs, ["random"], seeds=[0], rounds=1, budget=2, progress=bad)


def test_no_strategy_module_imports_another_strategy_module():
    """Strategies share mechanisms through base, selection and the private modules (``_kcenter``,
    ``_representations``), never through each other's files."""
    public = {p.stem for p in STRATEGIES.glob("*.py") if not p.stem.startswith("_") and p.stem != "base"}
    for name in sorted(public):
        assert not _strategy_imports(STRATEGIES / f"{name}.py") & public, name
