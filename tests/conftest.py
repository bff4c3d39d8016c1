"""Shared fixtures: small datasets and a QueryContext builder for strategy tests."""
from __future__ import annotations

import os

import numpy as np
import pytest

import alviz
from alviz.strategies import QueryContext

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_or_skip(ok: bool, why: str):
    """Skip locally when an external piece (browser, dataset) is missing; fail under CI=true."""
    if ok:
        return
    if IN_CI:
        pytest.fail(f"{why} (CI=true: a missing dependency is a failure, not a skip)")
    pytest.skip(why)


@pytest.fixture(scope="session", autouse=True)
def _test_environment(tmp_path_factory):
    """One torch thread (tiny models train faster without oversubscription) and a fresh disk cache,
    so a warm ~/.cache/alviz never hides the cost or the bugs of training an encoder."""
    import torch
    from threadpoolctl import threadpool_limits

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    blas = threadpool_limits(1)
    old = os.environ.get("ALVIZ_CACHE_DIR")
    os.environ["ALVIZ_CACHE_DIR"] = str(tmp_path_factory.mktemp("alviz-cache"))
    yield
    blas.unregister()
    torch.set_num_threads(threads)
    if old is None:
        os.environ.pop("ALVIZ_CACHE_DIR", None)
    else:
        os.environ["ALVIZ_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def digits():
    return alviz.datasets.load_digits(seed=0)


@pytest.fixture(scope="session")
def moons():
    return alviz.datasets.make_toy("moons", n=300, seed=0)


def make_context(ds, n_labeled: int = 30, seed: int = 0, model=None, labeled_idx=None) -> QueryContext:
    """A QueryContext as the Session builds it: a model fitted on a seeded labeled set."""
    rng = np.random.default_rng(seed)
    n = len(ds.X)
    mask = np.zeros(n, dtype=bool)
    if labeled_idx is None:
        labeled_idx = rng.choice(n, size=n_labeled, replace=False)
    mask[labeled_idx] = True
    labels = np.where(mask, ds.y, -1)
    if model is None:
        model = alviz.models.default_model(ds, random_state=seed)
    fitted = alviz.models.fit_fresh(model, ds.X[mask], ds.y[mask], ds.n_classes) if mask.any() else None
    return QueryContext(ds.X, mask, labels, ds.n_classes, model=fitted, model_template=model,
                        cache={}, dataset_key=ds.fingerprint())


@pytest.fixture
def context_factory():
    return make_context
