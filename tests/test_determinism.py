"""Determinism: the same seed gives the same run, for every registered strategy.

Two Sessions with the same seed on the moons toy set, 2 rounds each: identical
picks, identical scores and identical array diagnostics; and a run never
touches the global random state (numpy, torch, Python's ``random``), so it
neither depends on nor disturbs anything else in the process.
"""
from __future__ import annotations

import random

import numpy as np
import pytest
import torch

import alviz
from alviz.strategies import available

ROUNDS = 2


def _run(ds, name, seed):
    sess = alviz.Session(ds, strategy=name, initial=10, budget=5, seed=seed)
    sess.run(ROUNDS)
    return sess


def _global_state():
    return np.random.get_state()[1].copy(), torch.random.get_rng_state().clone(), random.getstate()


def _numeric_arrays(extras):
    for key, value in extras.items():
        if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
            yield key, value


@pytest.mark.parametrize("name", available())
def test_same_seed_same_run(name, moons):
    before = _global_state()
    a = _run(moons, name, seed=7)
    after = _global_state()
    assert np.array_equal(before[0], after[0]), f"{name} changed numpy's global random state"
    assert torch.equal(before[1], after[1]), f"{name} changed torch's global random state"
    assert before[2] == after[2], f"{name} changed Python's global random state"

    np.random.seed(12345)  # a different global state must not change the run
    torch.manual_seed(54321)
    random.seed(999)
    b = _run(moons, name, seed=7)
    for ra, rb in zip(a.rounds, b.rounds, strict=True):
        np.testing.assert_array_equal(ra.selected, rb.selected, err_msg=f"{name}: picks differ in round {ra.index}")
        np.testing.assert_array_equal(ra.scores, rb.scores, err_msg=f"{name}: scores differ in round {ra.index}")
        assert ra.extras.keys() == rb.extras.keys()
        for key, value in _numeric_arrays(ra.extras):
            np.testing.assert_array_equal(value, rb.extras[key], err_msg=f"{name}: extras[{key!r}] differ")
        assert ra.metrics["accuracy"] == rb.metrics["accuracy"] or (
            np.isnan(ra.metrics["accuracy"]) and np.isnan(rb.metrics["accuracy"]))
    np.testing.assert_array_equal(a.labeled_mask, b.labeled_mask)


def test_the_seed_matters(moons):
    picks = {seed: np.concatenate([r.selected for r in _run(moons, "random", seed).rounds]) for seed in (0, 1)}
    assert not np.array_equal(picks[0], picks[1])


def test_compare_gives_each_strategy_the_same_start(moons):
    runs = alviz.compare(moons, strategies=["random", "margin"], rounds=1, budget=5, seed=3, initial=10)
    starts = [s.initial_indices for s in runs.values()]
    np.testing.assert_array_equal(starts[0], starts[1])
    again = alviz.compare(moons, strategies=["random", "margin"], rounds=1, budget=5, seed=3, initial=10)
    for key in runs:
        np.testing.assert_array_equal(runs[key].rounds[0].selected, again[key].rounds[0].selected)
