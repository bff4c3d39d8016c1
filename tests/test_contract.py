"""One contract, every registered strategy (scikit-learn's parametrize_with_checks idea).

Conventions checked here: indices (k,) int64 distinct and never labeled; scores
(n_pool,) with NaN exactly on non-candidates (the unlabeled pool, or
``extras["candidates"]`` when a strategy scores only a subsample); same seed,
same picks; inputs never mutated; bad budgets raise ValueError.
"""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import alviz
from alviz.strategies import QueryResult, available, get
from alviz.strategies.base import runs_with

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
