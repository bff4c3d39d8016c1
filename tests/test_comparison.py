"""The Comparison type: one start, names, the comparability check, stepping together."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import alviz
from alviz.comparison import Comparison, unique_names


def _lr():
    return LogisticRegression(max_iter=200)


def test_unique_names_number_repeats_in_order():
    assert unique_names(["margin", "random", "margin", "margin"]) == ["margin", "random", "margin#2", "margin#3"]


def test_start_shares_the_initial_set_and_names_configurations_apart(moons):
    c = Comparison.start(moons, ["margin", alviz.strategies.get("margin"), "random"], budget=5, seed=4,
                         initial=10, model=_lr())
    assert list(c) == ["margin", "margin#2", "random"]
    starts = [s.initial_indices for s in c.values()]
    assert all(np.array_equal(starts[0], s) for s in starts[1:])
    assert all(len(s.rounds) == 0 for s in c.values())
    assert len({s.seed for s in c.values()}) == 1


def test_compare_returns_a_comparison_that_works_as_a_dict(moons):
    runs = alviz.compare(moons, ["random", "margin"], rounds=2, budget=5, seed=0, initial=10, model=_lr())
    assert isinstance(runs, Comparison) and isinstance(runs, Mapping)
    as_dict = dict(runs)
    assert list(as_dict) == ["random", "margin"] and as_dict["margin"] is runs["margin"]
    assert [len(s.rounds) for s in runs.values()] == [2, 2]
    assert runs == as_dict
    with pytest.raises(KeyError, match="random, margin"):
        runs["badge"]


def test_of_normalises_sessions_lists_and_dicts(moons):
    a = alviz.Session(moons, "margin", model=_lr(), initial=10, seed=0)
    b = alviz.Session(moons, "margin", model=_lr(), initial=10, seed=0)
    assert list(Comparison.of(a)) == ["margin"]
    assert list(Comparison.of([a, b])) == ["margin", "margin#2"]
    c = Comparison.of({"x": a, "y": b})
    assert Comparison.of(c) is c and list(c) == ["x", "y"]
    assert list(alviz.plot.as_session_dict([a, b])) == ["margin", "margin#2"]
    with pytest.raises(ValueError, match="at least one session"):
        Comparison.of([])
    with pytest.raises(TypeError, match="not an alviz.Session"):
        Comparison.of({"x": a, "y": 3})


def test_check_refuses_other_pools_and_other_starts(moons):
    a = alviz.Session(moons, "margin", model=_lr(), initial=10, seed=0)
    other = alviz.datasets.make_toy("moons", n=300, seed=1)  # same size, other samples
    smaller = alviz.datasets.make_toy("moons", n=200, seed=0)
    with pytest.raises(ValueError, match="different datasets"):
        Comparison.of([a, alviz.Session(other, "random", model=_lr(), initial=10, seed=0)]).check()
    with pytest.raises(ValueError, match="share one pool"):
        Comparison.of([a, alviz.Session(smaller, "random", model=_lr(), initial=10, seed=0)]).check()
    late = alviz.Session(moons, "random", model=_lr(), initial=10, seed=1)
    pair = Comparison.of([a, late])
    assert pair.check() is pair  # one pool is enough for figures on shared coordinates
    with pytest.raises(ValueError, match="different labeled sets"):
        pair.check(same_start=True)
    # the figures and the report use the same check
    with pytest.raises(ValueError, match="different datasets"):
        alviz.plot.compare_round([a, alviz.Session(other, "random", model=_lr(), initial=10, seed=0)], moons.X)


def test_step_advances_everyone_and_catches_up_a_laggard(moons):
    c = Comparison.start(moons, ["margin", "random"], budget=5, seed=0, initial=10, model=_lr())
    new = c.step()
    assert list(new) == ["margin", "random"] and [r.index for r in new.values()] == [0, 0]
    c["random"].step()  # random runs ahead by one round
    c.step()  # margin is caught up, nobody goes further
    assert [len(s.rounds) for s in c.values()] == [2, 2] and c.n_rounds == 2
    assert c.run(2) is c and [len(s.rounds) for s in c.values()] == [4, 4]


def test_stepping_together_equals_running_alone(moons):
    c = Comparison.start(moons, ["margin", "random"], budget=5, seed=2, initial=10, model=_lr()).run(3)
    alone = alviz.Session(moons, "margin", model=_lr(), initial=c["margin"].initial_indices, budget=5, seed=2)
    alone.run(3)
    for x, y in zip(alone.rounds, c["margin"].rounds):
        np.testing.assert_array_equal(x.selected, y.selected)


def test_start_wants_a_list(moons):
    with pytest.raises(ValueError, match="at least one strategy"):
        Comparison.start(moons, [])
    with pytest.raises(ValueError, match="as a list"):
        Comparison.start(moons, "margin")
