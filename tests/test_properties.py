"""Properties over random inputs (Hypothesis): every registered strategy and the Session, on small generated
datasets, either run with valid picks and finite scores or refuse with a typed alviz error; a failed round
never changes the session (issue 21).

Generated: 1-4 classes (names may be unicode), classes missing from the pool, class sizes down to one,
float16/float32/float64/int8/int64 inputs, duplicate rows, constant columns, pools down to a few samples,
``initial`` from 0 to the whole pool, budgets from 1 to more than is left. Runtime is bounded: fixed
``max_examples`` (fewer for the strategies that train networks of their own, listed in ``FEWER``),
``deadline=None``, derandomized, tiny task models (an MLP of 5 steps).
"""
from __future__ import annotations

import os
import traceback

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import alviz
from alviz.strategies import available

ALVIZ_DIR = os.path.dirname(alviz.__file__)
#: examples per registered strategy
EXAMPLES = 8
#: strategies that train networks of their own (VAE, contrastive encoder) or refit per candidate get fewer
FEWER = {"vaal": 3, "typiclust": 3, "contrastive_coreset": 3, "eer": 4, "qbc_vote_entropy": 4, "qbc_kl": 4}
DTYPES = ["float16", "float32", "float64", "int8", "int64"]


@st.composite
def datasets(draw):
    """(X, y, X_test, y_test, class_names) of a small pool: the raw arrays a user might pass to from_arrays."""
    n_classes = draw(st.sampled_from([2, 2, 3, 3, 4, 1]))  # one class: refused, and rarely drawn
    d = draw(st.integers(1, 4))
    sizes = draw(st.lists(st.integers(0, 6), min_size=n_classes, max_size=n_classes))  # 0: missing from the pool
    if sum(sizes) < 3:
        sizes[-1] += 3 - sum(sizes)
    y = np.repeat(np.arange(n_classes), sizes)
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    X = rng.standard_normal((len(y), d)) * draw(st.sampled_from([1.0, 3.0, 100.0])) + 2.0 * y[:, None]
    if draw(st.booleans()) and d > 1:
        X[:, draw(st.integers(0, d - 1))] = draw(st.sampled_from([0.0, 7.5]))  # a constant column
    if draw(st.booleans()):
        n_dup = draw(st.integers(1, len(y)))
        X = np.concatenate([X, X[:n_dup]])
        y = np.concatenate([y, y[:n_dup]])
    X = X.astype(draw(st.sampled_from(DTYPES)))
    names = None
    if draw(st.booleans()):
        names = draw(st.lists(st.text(min_size=1, max_size=4), min_size=n_classes, max_size=n_classes,
                              unique=True))
    X_test = rng.standard_normal((6, d)).astype(np.float32)
    y_test = np.arange(6) % n_classes
    if names is not None and draw(st.integers(0, 5)) == 0:
        y = np.asarray(names)[y]  # the class names themselves as labels: refused with what to do
    return X, y, X_test, y_test, names


def _state(s):
    return (len(s.rounds), s.labeled_mask.copy(), s.labels.copy(), s.pending, s.model, dict(s.cache),
            len(s._augment_y))


def _unchanged(before, after):
    assert before[0] == after[0] and before[3] is after[3] and before[4] is after[4] and before[6] == after[6]
    assert np.array_equal(before[1], after[1]) and np.array_equal(before[2], after[2])
    assert before[5].keys() == after[5].keys()


def _typed(exc: BaseException):
    """A refusal in alviz's words: a ValueError/TypeError with a message, raised by alviz's own code."""
    assert isinstance(exc, (ValueError, TypeError)), f"{type(exc).__name__}: {exc}"
    assert not isinstance(exc, (IndexError, KeyError, ZeroDivisionError)), f"{type(exc).__name__}: {exc}"
    assert str(exc).strip(), f"{type(exc).__name__} without a message"
    where = traceback.extract_tb(exc.__traceback__)[-1].filename
    assert where.startswith(ALVIZ_DIR), f"{type(exc).__name__}: {exc} raised in {where}, not by alviz"


def _check_round(rnd, s, budget_asked):
    k = len(rnd.selected)
    assert 1 <= k <= budget_asked, "a silent empty round"
    assert k == min(budget_asked, s.n_pool - len(rnd.labeled))
    assert rnd.selected.dtype == np.int64 and np.unique(rnd.selected).size == k
    assert not np.isin(rnd.selected, rnd.labeled).any()
    cand = np.ones(s.n_pool, dtype=bool)
    cand[rnd.labeled] = False
    if "candidates" in rnd.extras:
        cand[:] = False
        cand[np.asarray(rnd.extras["candidates"])] = True
    assert np.all(np.isfinite(rnd.scores[cand])), "NaN or inf scores on candidates"
    assert np.all(np.isnan(rnd.scores[~cand]))
    if rnd.proba is not None:
        assert np.all(np.isfinite(rnd.proba))


def _property(name, data):
    X, y, X_test, y_test, names = data.draw(datasets(), label="dataset")
    try:
        ds = alviz.datasets.from_arrays(X, y, X_test, y_test, class_names=names, name="gen")
    except Exception as exc:  # noqa: BLE001 - the property: refusals are typed
        _typed(exc)
        return
    n = len(ds.X)
    initial = data.draw(st.integers(0, n), label="initial")
    budget = data.draw(st.integers(1, n + 2), label="budget")
    human = data.draw(st.booleans(), label="a person labels, by class name")
    try:
        s = alviz.Session(ds, strategy=name, model=alviz.models.MLP(hidden=(8,), steps=5), initial=initial,
                          budget=budget, seed=data.draw(st.integers(0, 3), label="seed"), field_resolution=4,
                          oracle="human" if human else None)
    except Exception as exc:  # noqa: BLE001
        _typed(exc)
        return
    for _ in range(2):
        if s.n_unlabeled == 0:
            with pytest.raises(ValueError, match="exhausted"):
                s.propose() if human else s.step()
            break
        before = _state(s)
        try:
            if human:
                picks = s.propose()
                rnd = s.label([ds.class_names[c] for c in ds.y[picks]])
            else:
                rnd = s.step()
        except Exception as exc:  # noqa: BLE001
            _typed(exc)
            _unchanged(before, _state(s))
            break
        _check_round(rnd, s, budget)
        assert np.array_equal(rnd.given_labels, ds.y[rnd.selected])


def _test_for(name):
    @settings(max_examples=FEWER.get(name, EXAMPLES), deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def run(data):
        _property(name, data)
    return run


@pytest.mark.parametrize("name", available())
def test_every_strategy_runs_or_refuses_clearly_on_generated_data(name):
    _test_for(name)()
