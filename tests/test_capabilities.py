"""Declared capabilities: each strategy's needs are tags; refusals and recommendations come from them.

Also scikit-learn manners (get_params(deep) / set_params / clone) and two messages that used to be wrong.
"""
from __future__ import annotations

import re

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

import alviz
from alviz.strategies import Strategy, available, get, register
from alviz.strategies.base import CAPABILITIES, runs_with, strategies_for, tags

from .conftest import make_context


@pytest.fixture(scope="module")
def lr_context():
    ds = alviz.datasets.make_toy("blobs", n=120, seed=0)
    return ds, make_context(ds, n_labeled=20, seed=0, model=LogisticRegression(max_iter=200))


def _listed(msg: str) -> list:
    """The strategy names a refusal recommends (the comma list after the last colon)."""
    return [s.strip() for s in msg.rsplit(":", 1)[1].split(",")]


# ---------------------------------------------------------------------------- the tags
@pytest.mark.parametrize("name", available())
def test_every_strategy_declares_known_needs(name):
    t = tags(name)
    assert t.requires <= set(CAPABILITIES)
    assert t.min_classes >= 1
    if "gradients" in t.requires:
        assert "model" in t.requires  # gradients come from a trained model


def test_tags_match_what_the_strategies_do():
    assert tags("dfal").requires == {"model", "gradients"}
    assert "embedding" in tags("eer").requires and "embedding" in tags("coreset").requires
    assert tags("random").requires == frozenset()
    assert "labels" in tags("vaal").requires


def test_registering_an_unknown_need_is_refused():
    class Odd(Strategy):
        name = "odd-needs-test"
        requires = frozenset({"telepathy"})

    with pytest.raises(ValueError, match=r"unknown needs \['telepathy'\]"):
        register(Odd)
    assert "odd-needs-test" not in available()


# ---------------------------------------------------------------------------- refusals from the tags
def test_gradient_refusal_names_the_strategy_and_lists_only_what_runs(lr_context):
    ds, ctx = lr_context
    with pytest.raises(TypeError) as info:
        get("dfal").query(ctx, 3, rng=0)
    msg = str(info.value)
    assert "strategy 'dfal' needs gradients" in msg and "this strategy" not in msg
    listed = _listed(msg)
    assert listed == strategies_for(ctx.model)
    assert "eer" not in listed and "coreset" not in listed and "egl" not in listed
    for name in listed:  # every recommendation actually runs with this model
        fresh = make_context(ds, n_labeled=20, seed=0, model=LogisticRegression(max_iter=200))
        res = get(name, **({"progress": False} if "progress" in get(name).get_params() else {})).query(fresh, 3, 0)
        assert len(res.indices) == 3


@pytest.mark.parametrize("name, needs", [("badge", "gradients"), ("coreset", "embedding"), ("eer", "embedding"),
                                         ("egl", "embedding")])
def test_refusals_name_the_strategy(name, needs, lr_context):
    _, ctx = lr_context
    with pytest.raises(TypeError, match=rf"strategy {name!r} needs (gradients|the task model's {needs})"):
        get(name).query(ctx, 3, rng=0)


def test_no_model_refusal_names_the_strategy_and_lists_strategies_that_need_none():
    ds = alviz.datasets.make_toy("blobs", n=120, seed=0)
    ctx = make_context(ds, n_labeled=0, seed=0)
    with pytest.raises(ValueError) as info:
        get("margin").query(ctx, 3, rng=0)
    msg = str(info.value)
    assert "strategy 'margin' needs a trained task model" in msg
    listed = _listed(msg)
    assert listed == strategies_for(None, n_labeled=0) and "vaal" not in listed and "margin" not in listed
    assert all(runs_with(s, None, n_labeled=0) for s in listed)


def test_runs_with_reads_the_model():
    torch_model = alviz.models.MLP(hidden=(4,), steps=2).fit(np.zeros((4, 2)), np.array([0, 1, 0, 1]))
    lr = LogisticRegression().fit(np.zeros((4, 2)) + np.arange(4)[:, None], [0, 1, 0, 1])
    assert runs_with("badge", torch_model) and not runs_with("badge", lr)
    assert runs_with("margin", lr) and not runs_with("margin", None)
    assert runs_with("coreset", None) and not runs_with("coreset", lr)
    assert not runs_with("vaal", None) and runs_with("vaal", None, n_labeled=5)
    assert set(strategies_for(torch_model)) == set(available())


# ---------------------------------------------------------------------------- scikit-learn manners
@pytest.mark.parametrize("name", available())
def test_clone_works_for_every_strategy(name):
    s = get(name)
    c = clone(s)
    assert type(c) is type(s) and c is not s and repr(c) == repr(s)


def test_get_params_deep_and_set_params():
    s = get("vaal", latent_dim=8)
    assert s.get_params(deep=True)["latent_dim"] == 8 and s.get_params(deep=False)["latent_dim"] == 8
    assert s.set_params(beta=2.0, criterion="confusion") is s
    assert (s.beta, s.criterion) == (2.0, "confusion")
    assert clone(s).get_params() == s.get_params()
    with pytest.raises(ValueError, match="has no parameter 'nope'.*latent_dim"):
        s.set_params(nope=1)


def test_nested_parameters():
    class Holder(Strategy):
        name = "holder-test"

        def __init__(self, inner=None):
            self.inner = inner

    h = Holder(inner=get("margin"))
    assert h.get_params(deep=True)["inner"] is h.inner
    h2 = Holder(inner=get("typiclust"))
    assert h2.get_params(deep=True)["inner__embedding"] == "auto"
    h2.set_params(inner__embedding="input")
    assert h2.inner.embedding == "input"


def test_committee_checks_through_the_shared_check():
    ctx = make_context(alviz.datasets.make_toy("blobs", n=60, seed=0), n_labeled=10)
    for bad in (1, 2.5, True):
        with pytest.raises(ValueError, match=r"n_members=.* must be an int >= 2"):
            get("qbc_kl", n_members=bad).query(ctx, 2, rng=0)


def test_vaal_criterion_has_one_check_and_one_message():
    from alviz.strategies.vaal import vaal_scores

    ctx = make_context(alviz.datasets.make_toy("blobs", n=60, seed=0), n_labeled=10)
    with pytest.raises(ValueError) as before_training:
        get("vaal", criterion="highest").query(ctx, 2, rng=0)
    with pytest.raises(ValueError) as scoring:
        vaal_scores(np.array([0.2, 0.7]), "highest")
    same = "criterion='highest' is not valid; it must be one of 'lowest', 'confusion'"
    assert str(before_training.value) == f"strategy 'vaal': {same}"
    assert str(scoring.value) == f"vaal_scores: {same}"


# ---------------------------------------------------------------------------- the two wrong messages
def test_nan_count_counts_samples_with_any_nan():
    X = np.random.default_rng(0).normal(size=(30, 3)).astype(np.float32)
    X[4, 1] = np.nan
    X[7, 0] = np.inf
    with pytest.raises(ValueError, match=re.escape("NaN or inf values in 2 sample(s)")):
        alviz.datasets.from_arrays(X, np.arange(30) % 2)


# ---------------------------------------------------------------------------- needs that depend on parameters
PARAM_VARIANTS = [
    ("qbc_kl", {"committee": "dropout"}, True), ("qbc_kl", {"committee": "bootstrap"}, False),
    ("qbc_vote_entropy", {"committee": "dropout"}, True),
    ("typiclust", {"embedding": "model"}, True), ("typiclust", {"embedding": "input"}, False),
    ("prototype", {"embedding": "model"}, True), ("prototype", {"embedding": "input"}, False),
    ("probcover", {"embedding": "model"}, True), ("probcover", {"embedding": "input"}, False),
]


def test_a_configured_strategy_declares_what_its_parameters_need():
    assert tags("qbc_kl").requires == {"model"}
    assert tags(get("qbc_kl", committee="dropout")).requires == {"model", "gradients"}
    assert tags(get("qbc_vote_entropy")).requires == {"model"}
    assert tags("typiclust").requires == frozenset()  # contrastive by default: the task model is not used
    assert tags(get("typiclust", embedding="model")).requires == {"embedding"}
    assert tags(get("probcover", embedding="input")).requires == frozenset()
    assert tags(get("coreset")).requires == tags("coreset").requires == {"embedding"}


@pytest.mark.parametrize("name, params, needs_more", PARAM_VARIANTS,
                         ids=[f"{n}-{next(iter(p.values()))}" for n, p, _ in PARAM_VARIANTS])
def test_runs_with_a_configured_strategy_predicts_whether_it_runs(name, params, needs_more, lr_context):
    """runs_with(instance, model) is True exactly when the instance's query works with that model."""
    ds, _ = lr_context
    lr_ctx = make_context(ds, n_labeled=20, seed=0, model=LogisticRegression(max_iter=200))
    s = get(name, **params)
    predicted = runs_with(s, lr_ctx.model)
    assert predicted is (not needs_more)
    if predicted:
        assert len(s.query(lr_ctx, 3, rng=0).indices) == 3
    else:
        with pytest.raises(TypeError, match=r"alviz torch model|alviz\.models\.MLP"):
            s.query(lr_ctx, 3, rng=0)
    torch_ctx = make_context(ds, n_labeled=20, seed=0, model=alviz.models.MLP(hidden=(8,), steps=20))
    assert runs_with(s, torch_ctx.model)
    assert len(s.query(torch_ctx, 3, rng=0).indices) == 3
