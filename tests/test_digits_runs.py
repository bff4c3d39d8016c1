"""Every registered strategy runs 3 rounds on digits in a Session (the CI run on digits).

Seconds per round are recorded by benchmarks/bench_rounds.py, not asserted here.
"""
import numpy as np
import pytest

import alviz
from alviz.strategies import available


@pytest.mark.parametrize("name", available())
def test_three_digits_rounds(name, digits):
    sess = alviz.Session(digits, strategy=name, initial=20, budget=10, seed=0)
    rounds = sess.run(3)
    picked = np.concatenate([r.selected for r in rounds])
    assert np.unique(picked).size == 30 and not np.isin(picked, sess.initial_indices).any()
    assert sess.n_labeled == 50
    assert np.array_equal(sess.labels[picked], digits.y[picked])  # the oracle revealed exactly the picks
    acc = [r.metrics["accuracy"] for r in rounds]
    assert all(0.5 < a <= 1.0 for a in acc), acc  # a working model, whatever the strategy
    for r in rounds:
        assert r.strategy == name and np.isnan(r.scores[r.labeled]).all()
