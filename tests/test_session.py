"""The loop: rounds, learning curves, save/load, compare."""
import numpy as np
import pytest

import alviz


def _same_rounds(a, b):
    assert len(a.rounds) == len(b.rounds)
    for ra, rb in zip(a.rounds, b.rounds):
        assert ra.selected.tolist() == rb.selected.tolist()
        np.testing.assert_array_equal(ra.scores, rb.scores)
        assert ra.metrics["accuracy"] == rb.metrics["accuracy"]


def test_round_records_what_happened(digits):
    s = alviz.Session(digits, strategy="margin", initial=20, budget=10, seed=0)
    r0 = s.step()
    assert r0.index == 0 and len(r0.labeled) == 20 and len(r0.selected) == 10
    assert r0.strategy == "margin" and r0.proba.shape == (len(digits.X), 10)
    assert r0.embedding.shape[0] == len(digits.X)
    assert set(r0.metrics) >= {"accuracy", "n_labeled", "train_seconds", "query_seconds", "seconds"}
    assert 0.5 < r0.metrics["accuracy"] <= 1.0
    r1 = s.step()
    assert set(r1.labeled) == set(r0.labeled) | set(r0.selected)
    assert s.n_labeled == 40 and s.model is not None
    assert r1.rank()[r1.selected].tolist() == list(range(10))
    n, acc = s.learning_curve()
    assert n.tolist() == [20, 30] and acc.shape == (2,)
    # the oracle reveals exactly the picks
    assert np.array_equal(s.labels[s.labeled_mask], digits.y[s.labeled_mask])
    assert (s.labels[~s.labeled_mask] == -1).all()


def test_initial_is_stratified_and_explicit_indices_work(digits):
    s = alviz.Session(digits, initial=30, seed=3)
    assert np.bincount(digits.y[s.labeled_indices], minlength=10).min() >= 2
    s2 = alviz.Session(digits, initial=[5, 1, 9], seed=0)
    assert s2.labeled_indices.tolist() == [1, 5, 9]
    with pytest.raises(ValueError, match="duplicates"):
        alviz.Session(digits, initial=[1, 1])
    with pytest.raises(ValueError, match="initial"):
        alviz.Session(digits, initial=10**6)


def test_save_load_round_trip_and_resume_equals_uninterrupted(digits, tmp_path):
    straight = alviz.Session(digits, strategy="coreset", initial=20, budget=10, seed=4)
    straight.run(4)
    part = alviz.Session(digits, strategy="coreset", initial=20, budget=10, seed=4)
    part.run(2)
    path = part.save(tmp_path / "run.alviz")
    loaded = alviz.Session.load(path)
    assert loaded.n_labeled == part.n_labeled and len(loaded.rounds) == 2
    _same_rounds(alviz.Session.load(path), part)
    loaded.run(2)
    _same_rounds(loaded, straight)
    assert np.array_equal(loaded.labeled_mask, straight.labeled_mask)


def test_compare_gives_every_strategy_the_same_start(digits):
    out = alviz.compare(digits, ["random", "margin", "margin"], rounds=2, budget=5, seed=1)
    assert list(out) == ["random", "margin", "margin#2"]
    starts = [s.rounds[0].labeled.tolist() for s in out.values()]
    assert starts[0] == starts[1] == starts[2]
    _same_rounds(out["margin"], out["margin#2"])


class _Augmenting(alviz.strategies.Strategy):
    """Takes the first candidates and returns ``augment(x_picks)`` as augment_inputs."""

    name = "augmenting-test"

    def __init__(self, augment=lambda x: x + 0.01):
        self.augment = augment

    def _query(self, ctx, budget, rng):
        idx = ctx.candidates[:budget]
        s = np.full(ctx.n_pool, np.nan)
        s[ctx.candidates] = 0.0
        return alviz.strategies.QueryResult(idx, s, augment_inputs=self.augment(ctx.X[idx]))


def test_augment_inputs_join_the_training_set(moons):
    sess = alviz.Session(moons, strategy=_Augmenting(), initial=10, budget=4, seed=0)
    sess.run(2)
    X, y = sess._training_set()
    assert len(y) == sess.n_labeled + 8
    picked = np.concatenate([r.selected for r in sess.rounds])
    np.testing.assert_allclose(X[-8:], moons.X[picked] + 0.01, atol=1e-6)
    assert np.array_equal(y[-8:], moons.y[picked])


def test_sklearn_model_in_a_session(digits):
    from sklearn.linear_model import LogisticRegression

    s = alviz.Session(digits, strategy="entropy", model=LogisticRegression(max_iter=300), initial=30, budget=5)
    r = s.run(2)[-1]
    assert r.embedding is None and r.proba.shape == (len(digits.X), 10)
    with pytest.raises(TypeError, match="torch"):
        alviz.Session(digits, strategy="egl", model=LogisticRegression(max_iter=300), initial=30).step()


@pytest.mark.slow
def test_margin_beats_random_on_digits():
    """Over 3 seeds, margin's mean area under the accuracy curve exceeds random's (10 rounds, budget 10)."""
    ds = alviz.datasets.load_digits(seed=0)
    auc = {"margin": [], "random": []}
    for seed in range(3):
        out = alviz.compare(ds, ["margin", "random"], rounds=10, budget=10, seed=seed, initial=20)
        for name, sess in out.items():
            n, acc = sess.learning_curve()
            auc[name].append(np.trapezoid(acc, n) / (n[-1] - n[0]))
    assert np.mean(auc["margin"]) > np.mean(auc["random"]), auc


def test_malformed_augment_inputs_are_refused_before_the_session_changes(moons):
    sess = alviz.Session(moons, strategy=_Augmenting(lambda x: x[:, :1]), initial=10, budget=4, seed=0)
    with pytest.raises(RuntimeError, match="augment_inputs of shape"):
        sess.step()
    assert sess.rounds == [] and sess.n_labeled == 10
