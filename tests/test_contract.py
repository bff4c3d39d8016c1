"""One contract, every registered strategy (scikit-learn's parametrize_with_checks idea).

Conventions checked here: indices (k,) int64 distinct and never labeled; scores
(n_pool,) with NaN exactly on non-candidates (the unlabeled pool, or
``extras["candidates"]`` when a strategy scores only a subsample); same seed,
same picks; inputs never mutated; bad budgets raise ValueError; every
diagnostic in ``extras`` declared (``DIAGNOSTICS``) and of its declared kind.
"""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import alviz
from alviz.strategies import QueryResult, Strategy, available, get
from alviz.strategies import base
from alviz.strategies.base import (DIAGNOSTIC_KINDS, DIAGNOSTICS, DiagnosticError, check_diagnostics,
                                   declare_diagnostic, diagnostic_kind, runs_with)

from .conftest import make_context

ALL = available()


def check_result(res, ctx, k):
    assert isinstance(res, QueryResult)
    idx = res.indices
    assert idx.dtype == np.int64 and idx.shape == (k,)
    assert np.unique(idx).size == k, "duplicate picks"
    assert not ctx.labeled_mask[idx].any(), "picked an already-labeled sample"
    assert res.scores.shape == (ctx.n_pool,)
    cand = np.zeros(ctx.n_pool, dtype=bool)
    if "candidates" in res.extras:
        cand[np.asarray(res.extras["candidates"])] = True
        assert not (cand & ctx.labeled_mask).any()
    else:
        cand = ~ctx.labeled_mask
    assert np.array_equal(np.isnan(res.scores), ~cand), "NaN must mark exactly the non-candidates"
    assert np.all(np.isfinite(res.scores[cand]))
    assert cand[idx].all()
    assert isinstance(res.extras, dict)
    check_diagnostics(res, ctx.n_pool)  # every key declared, each of its declared kind


@pytest.mark.parametrize("name", ALL)
def test_contract_on_digits(name, digits):
    ctx = make_context(digits, n_labeled=30, seed=1)
    X0, mask0, labels0 = ctx.X.copy(), ctx.labeled_mask.copy(), ctx.labels.copy()
    res = get(name).query(ctx, 10, rng=0)
    check_result(res, ctx, 10)
    # inputs not mutated
    assert np.array_equal(ctx.X, X0) and np.array_equal(ctx.labeled_mask, mask0)
    assert np.array_equal(ctx.labels, labels0)
    # deterministic under a seed, from a fresh context
    again = get(name).query(make_context(digits, n_labeled=30, seed=1), 10, rng=0)
    assert np.array_equal(res.indices, again.indices)


@pytest.mark.parametrize("name", ALL)
def test_contract_on_toy_and_edges(name, moons):
    ctx = make_context(moons, n_labeled=20, seed=0)
    s = get(name)
    check_result(s.query(ctx, 7, rng=3), ctx, 7)
    n_u = ctx.n_unlabeled
    for bad in (0, -1, n_u + 1):
        with pytest.raises(ValueError, match="budget"):
            s.query(ctx, bad, rng=0)
    with pytest.raises(TypeError):
        s.query(ctx, 2.5, rng=0)


@pytest.mark.parametrize("name", ALL)
def test_budget_takes_everything_left(name, moons):
    n = len(moons.X)
    ctx = make_context(moons, labeled_idx=np.arange(n - 6), seed=0)
    res = get(name).query(ctx, 6, rng=0)
    check_result(res, ctx, 6)
    assert set(res.indices.tolist()) == set(range(n - 6, n))


@pytest.mark.parametrize("name", ALL)
def test_duplicate_points(name):
    base = alviz.datasets.make_toy("blobs", n=120, seed=2)
    X = np.concatenate([base.X, base.X[:40]])  # 40 exact duplicates
    y = np.concatenate([base.y, base.y[:40]])
    ds = alviz.datasets.Dataset(X, y, base.X_test, base.y_test, base.class_names, name="dups")
    ctx = make_context(ds, n_labeled=16, seed=0)
    check_result(get(name).query(ctx, 8, rng=0), ctx, 8)


@pytest.mark.parametrize("name", ALL)
def test_empty_labeled_set_is_clear(name, moons):
    """The declared needs say which strategies run before anything is labeled; the rest refuse clearly."""
    ctx = make_context(moons, n_labeled=0, seed=0)
    if runs_with(name, None, n_labeled=0):
        check_result(get(name).query(ctx, 5, rng=0), ctx, 5)
    else:
        with pytest.raises(ValueError, match=rf"strategy {name!r} needs|{name} .*nothing is labeled"):
            get(name).query(ctx, 5, rng=0)


@pytest.mark.parametrize("name", ALL)
def test_single_class_labeled_set(name, moons):
    one = np.flatnonzero(moons.y == 0)[:10]
    ctx = make_context(moons, labeled_idx=one, seed=0)
    try:
        res = get(name).query(ctx, 5, rng=0)
    except ValueError as exc:
        assert "class" in str(exc).lower()
    else:
        check_result(res, ctx, 5)


@pytest.mark.parametrize("name", ALL)
def test_sklearn_model_works_or_refuses_clearly(name, moons):
    """The declared needs say which strategies run with a scikit-learn model; the rest refuse by name."""
    ctx = make_context(moons, n_labeled=20, seed=0, model=LogisticRegression(max_iter=200))
    if runs_with(name, ctx.model):
        check_result(get(name).query(ctx, 5, rng=0), ctx, 5)
    else:
        with pytest.raises(TypeError, match=rf"strategy {name!r} needs .*torch"):
            get(name).query(ctx, 5, rng=0)


@pytest.mark.parametrize("name", ALL)
def test_runs_in_a_session(name, moons):
    sess = alviz.Session(moons, strategy=name, initial=10, budget=5, seed=0)
    rounds = sess.run(2)
    assert [r.index for r in rounds] == [0, 1]
    assert sess.n_labeled == 20
    assert not set(rounds[1].selected) & set(rounds[1].labeled)


def test_registry_errors_name_the_options():
    with pytest.raises(ValueError, match="available: .*margin"):
        get("no_such_strategy")
    with pytest.raises(ValueError, match="parameters are"):
        get("qbc_kl", not_a_param=1)


def test_classic_strategies_are_registered():
    classic = {"random", "least_confidence", "margin", "entropy", "qbc_vote_entropy", "qbc_kl", "egl", "eer",
               "coreset"}
    assert classic <= set(ALL)


# ---------------------------------------------------------------------------- diagnostics
def test_every_declared_diagnostic_is_emitted_and_every_emitted_one_declared(moons):
    """The declaration is exact: the strategies together emit every declared name, and nothing else."""
    seen = set()
    for name in ALL:
        ctx = make_context(moons, n_labeled=20, seed=0)
        res = get(name).query(ctx, 5, rng=0)
        check_diagnostics(res, ctx.n_pool)
        seen |= set(res.extras)
    assert seen == set(DIAGNOSTICS), (sorted(set(DIAGNOSTICS) - seen), sorted(seen - set(DIAGNOSTICS)))
    assert set(DIAGNOSTICS.values()) == set(DIAGNOSTIC_KINDS)


def test_duplicates_are_gone_and_augment_inputs_is_a_field(moons):
    ctx = make_context(moons, n_labeled=20, seed=0)
    badge = get("badge").query(ctx, 5, rng=0)
    assert "pick_order" not in badge.extras and diagnostic_kind("pick_order") is None
    cc = get("contrastive_coreset", encoder_params={"max_steps": 4}, progress=False).query(ctx, 5, rng=0)
    assert "contrastive_embedding" not in cc.extras and cc.extras["representation"].shape[0] == ctx.n_pool
    dfal = get("dfal", add_adversarial=True).query(ctx, 5, rng=0)
    assert "augment_inputs" not in dfal.extras and dfal.augment_inputs.shape == (5, 2)
    assert get("dfal").query(ctx, 5, rng=0).augment_inputs is None


class _Extra(Strategy):
    """margin's picks with one diagnostic added (or replaced), and optionally augment_inputs."""

    name = "extra-test"

    def __init__(self, key="gradient_norm", value=None, augment=None):
        self.key, self.value, self.augment = key, value, augment

    def _query(self, ctx, budget, rng):
        res = get("margin")._query(ctx, budget, rng)
        return QueryResult(res.indices, res.scores, {**res.extras, self.key: self.value(ctx.n_pool, budget)},
                           augment_inputs=None if self.augment is None else self.augment(ctx.X[res.indices]))


BAD = [  # (key, its declared kind, a value of another kind: f(n_pool, k))
    ("gradient_norm", "per_pool", lambda n, k: np.ones(n - 1)),
    ("cluster", "per_pool", lambda n, k: np.array(["a"] * n)),
    ("typicality", "per_pool", lambda n, k: list(np.ones(n))),
    ("perturbation", "pool_matrix", lambda n, k: np.ones(n)),
    ("member_votes", "pool_matrix", lambda n, k: np.ones((k, 3))),
    ("seed_distance", "per_pick", lambda n, k: np.ones(n)),
    ("covering_radius", "per_pick", lambda n, k: np.ones((k, 2))),
    ("candidates", "index_set", lambda n, k: np.array([0, 0, 1])),
    ("candidates", "index_set", lambda n, k: np.array([0, n])),
    ("candidates", "index_set", lambda n, k: np.array([0.0, 1.0])),
    ("delta", "scalar", lambda n, k: "wide"),
    ("delta", "scalar", lambda n, k: np.ones(3)),
    ("criterion", "label", lambda n, k: 3),
    ("vae_loss", "array", lambda n, k: np.array(["x", "y"])),
]


@pytest.mark.parametrize("key, kind, bad", BAD)
def test_a_diagnostic_of_the_wrong_kind_is_refused_by_name(key, kind, bad, moons):
    ctx = make_context(moons, n_labeled=20, seed=0)
    with pytest.raises(RuntimeError, match=rf"'extra-test' broke.*extras\['{key}'\] is declared {kind}") as info:
        _Extra(key, bad).query(ctx, 4, rng=0)
    err = info.value.__cause__
    assert isinstance(err, DiagnosticError) and isinstance(err, ValueError)
    assert (err.key, err.kind) == (key, kind) and err.found  # the key, the kind expected and what was found


def test_the_shape_found_is_named(moons):
    ctx = make_context(moons, n_labeled=20, seed=0)
    n = ctx.n_pool
    res = _Extra("gradient_norm", lambda n, k: np.ones(n - 1))._query(ctx, 4, np.random.default_rng(0))
    with pytest.raises(DiagnosticError, match=rf"declared per_pool \(an \({n},\) array.*shape \({n - 1},\)"):
        check_diagnostics(res, n)
    res.extras["gradient_norm"] = np.ones(n)  # the right kind passes: the check is no blanket refusal
    check_diagnostics(res, n)


def test_an_undeclared_diagnostic_is_refused_until_declared(moons, monkeypatch):
    monkeypatch.setattr(alviz.diagnostics, "DIAGNOSTICS", dict(alviz.diagnostics.DIAGNOSTICS))
    ctx = make_context(moons, n_labeled=20, seed=0)
    mine = _Extra("my_score", lambda n, k: np.ones(n))
    with pytest.raises(RuntimeError, match=r"extras\['my_score'\] is not a declared diagnostic.*"
                                           r"declare_diagnostic\('my_score'"):
        mine.query(ctx, 4, rng=0)
    declare_diagnostic("my_score", base.PER_POOL)
    assert len(mine.query(ctx, 4, rng=0).indices) == 4
    declare_diagnostic("my_score", base.PER_POOL)  # again, with the same kind: fine
    with pytest.raises(ValueError, match="already declared as 'per_pool'"):
        declare_diagnostic("my_score", base.PER_PICK)
    with pytest.raises(ValueError, match="not a diagnostic kind; choose one of"):
        declare_diagnostic("other", "per_round")
    with pytest.raises(ValueError, match="instruction to the Session"):
        declare_diagnostic("augment_inputs", base.POOL_MATRIX)


def test_augment_inputs_in_extras_says_where_it_goes(moons):
    ctx = make_context(moons, n_labeled=20, seed=0)
    with pytest.raises(RuntimeError, match=r"extras\['augment_inputs'\].*QueryResult\(.*augment_inputs=") as info:
        _Extra("augment_inputs", lambda n, k: np.ones((k, 2))).query(ctx, 4, rng=0)
    assert isinstance(info.value.__cause__, DiagnosticError)


def test_augment_inputs_field_is_checked(moons):
    ctx = make_context(moons, n_labeled=20, seed=0)
    ones = lambda n, k: np.ones(n)  # noqa: E731
    good = _Extra("gradient_norm", ones, augment=lambda x: x + 0.1).query(ctx, 4, rng=0)
    np.testing.assert_allclose(good.augment_inputs, moons.X[good.indices] + 0.1)
    with pytest.raises(RuntimeError, match=r"augment_inputs of shape \(4, 1\).*expected \(4, 2\)"):
        _Extra("gradient_norm", ones, augment=lambda x: x[:, :1]).query(ctx, 4, rng=0)
    with pytest.raises(RuntimeError, match=r"augment_inputs of shape \(4, 2\) and dtype <U"):
        _Extra("gradient_norm", ones, augment=lambda x: x.astype(str)).query(ctx, 4, rng=0)
