"""Robustness: bad inputs fail early and clearly; failures and crashes never corrupt state.

* The bad-input suite: every case raises a *typed* error, from alviz's own
  checks (never deep inside torch, numpy or scikit-learn), whose message says
  what to do.
* A failed round leaves the session exactly as it was (and the next round is
  the round an uninterrupted session would have run).
* Save/load: a crash mid-save keeps the previous file; a file from another
  alviz version loads; a corrupted or a truncated file fails with a clear message.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import alviz
from alviz.datasets import Dataset, from_arrays, make_toy
from alviz.models import CNN, MLP
from alviz.strategies import QueryResult, Strategy, available, get

from .conftest import make_context

ALVIZ_DIR = Path(alviz.__file__).resolve().parent

def _refuses_a_model_without_gradients_or_embedding(name):
    from alviz.strategies.base import tags

    return bool({"gradients", "embedding"} & tags(name).requires)


#: the strategies that cannot run with a scikit-learn model, from their declared needs
GRADIENT_STRATEGIES = tuple(s for s in available() if _refuses_a_model_without_gradients_or_embedding(s))


def raises_clearly(exc_type, match, fn):
    """``fn()`` raises ``exc_type`` matching ``match``, from a frame inside the alviz package."""
    with pytest.raises(exc_type, match=match) as info:
        fn()
    tb = info.tb
    while tb.tb_next is not None:
        tb = tb.tb_next
    where = Path(tb.tb_frame.f_code.co_filename).resolve()
    assert ALVIZ_DIR in where.parents, (
        f"{exc_type.__name__} was raised deep inside {where} (line {tb.tb_lineno}), not by an alviz check: "
        f"{info.value}"
    )
    return info.value


# ---------------------------------------------------------------------------- small data
@pytest.fixture(scope="module")
def toy():
    return make_toy("blobs", n=120, seed=0)


def _xy(n=60, d=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    y = np.arange(n) % 3
    return X, y


def _with(X, i, value):
    X = X.copy()
    X.flat[i] = value
    return X


def _fitted_mlp(toy):
    return MLP(hidden=(8,), steps=5).fit(toy.X, toy.y, n_classes=toy.n_classes)


def _session(ds, **kw):
    kw.setdefault("initial", 12)
    kw.setdefault("budget", 4)
    kw.setdefault("model", MLP(hidden=(8,), steps=20))
    return alviz.Session(ds, **kw)


def _exhausted(toy):
    s = _session(toy, initial=len(toy.X))
    return s.step()


def _single_class_sklearn(toy):
    one = np.flatnonzero(toy.y == 0)[:6]
    return _session(toy, model=LogisticRegression(), initial=one).step()


def _bad_ds_labels():
    X, y = _xy()
    return Dataset(X, np.where(np.arange(len(y)) == 5, 7, y), X[:9], y[:9], class_names=["a", "b", "c"])


# (id, call(toy), error type, regex the message must match: what went wrong AND what to do)
BAD_INPUTS = [
    # ---- features
    ("nan_features", lambda t: from_arrays(_with(_xy()[0], 7, np.nan), _xy()[1]), ValueError, r"NaN.*impute or drop"),
    ("inf_features", lambda t: from_arrays(_with(_xy()[0], 3, np.inf), _xy()[1]), ValueError, r"NaN or inf.*impute"),
    ("inf_test_features", lambda t: from_arrays(*_xy(), X_test=_with(_xy()[0], 0, -np.inf), y_test=_xy()[1]),
     ValueError, r"X_test.*inf"),
    ("one_dim_features", lambda t: from_arrays(np.arange(10.0), np.arange(10) % 2), ValueError, r"reshape\(-1, 1\)"),
    ("string_features", lambda t: from_arrays(np.array([["a", "b"]] * 10), np.arange(10) % 2), TypeError,
     r"must hold numbers"),
    ("test_feature_shape", lambda t: from_arrays(*_xy(), X_test=np.zeros((5, 3)), y_test=np.zeros(5, int)),
     ValueError, r"must match"),
    # ---- lengths and labels
    ("mismatched_lengths", lambda t: from_arrays(_xy()[0], _xy()[1][:-3]), ValueError, r"one label per sample"),
    ("mismatched_test_lengths", lambda t: from_arrays(*_xy(), X_test=_xy()[0][:10], y_test=_xy()[1][:9]),
     ValueError, r"must match"),
    ("labels_outside_classes", lambda t: _bad_ds_labels(), ValueError, r"label 7 .*only 3 classes"),
    ("continuous_labels", lambda t: from_arrays(_xy()[0], np.linspace(0, 1, 60)), ValueError, r"not continuous"),
    ("missing_labels", lambda t: from_arrays(_xy()[0], np.array(["a", None, "c"] * 20, dtype=object)), ValueError,
     r"missing labels"),
    ("single_class_dataset", lambda t: Dataset(_xy()[0], np.zeros(60, int), _xy()[0], np.zeros(60, int)),
     ValueError, r"at least 2 classes"),
    ("images_length", lambda t: from_arrays(*_xy(), X_test=_xy()[0], y_test=_xy()[1], images=np.zeros((3, 2, 2))),
     ValueError, r"images has 3 entries"),
    ("x_test_without_y_test", lambda t: from_arrays(*_xy(), X_test=_xy()[0]), ValueError, r"give both"),
    ("unknown_toy", lambda t: make_toy("spirals"), ValueError, r"choose 'moons'"),
    ("model_labels_outside_classes", lambda t: MLP(steps=1).fit(t.X, t.y + 10, n_classes=t.n_classes),
     ValueError, r"only \d+ classes"),
    # ---- budget
    ("budget_zero", lambda t: _session(t, budget=0), ValueError, r"budget=0.*>= 1"),
    ("budget_negative", lambda t: _session(t, budget=-3), ValueError, r"budget=-3.*>= 1"),
    ("budget_float", lambda t: _session(t, budget=2.5), ValueError, r"budget=2.5.*int"),
    # a Session's budget larger than what is left is not an error: the round takes what is left
    # (metrics["budget_cut"]; tests/test_reliability.py); a strategy asked directly for more still refuses
    ("query_budget_zero", lambda t: get("margin").query(make_context(t, 10), 0, rng=0), ValueError, r">= 1"),
    ("query_budget_too_large", lambda t: get("coreset").query(make_context(t, 10), 10_000, rng=0), ValueError,
     r"ask for at most"),
    ("pool_exhausted", _exhausted, ValueError, r"every sample is labeled"),
    # ---- labeled set
    ("empty_labeled_set", lambda t: _session(t, strategy="margin", initial=0).step(), ValueError,
     r"nothing is labeled.*initial >= 1"),
    ("single_class_sklearn", _single_class_sklearn, ValueError, r"single class.*initial"),
    ("initial_too_large", lambda t: _session(t, initial=10_000), ValueError, r"between 0 and the pool size"),
    ("initial_out_of_range", lambda t: _session(t, initial=[0, 1, 10_000]), ValueError, r"must lie in 0\.\."),
    ("initial_duplicates", lambda t: _session(t, initial=[3, 3, 4]), ValueError, r"duplicates"),
    # ---- models
    ("cnn_wrong_input_shape", lambda t: CNN(steps=1).fit(t.X, t.y), ValueError, r"\(n, channels, H, W\).*reshape"),
    ("mlp_wrong_feature_count", lambda t: _fitted_mlp(t).predict_proba(np.zeros((4, 3))), ValueError,
     r"fitted on \(2,\)"),
    ("session_cnn_on_vectors", lambda t: _session(t, model=CNN(steps=1)).step(), ValueError,
     r"CNN needs image tensors.*use alviz.models.MLP"),
    ("predict_before_fit", lambda t: MLP().predict_proba(t.X), RuntimeError, r"not fitted yet.*call fit"),
    ("model_without_predict_proba", lambda t: _session(t, model=object()), TypeError, r"fit and predict_proba"),
    ("dataset_not_a_dataset", lambda t: alviz.Session(t.X), TypeError, r"from_arrays"),
    # ---- strategies and parameters
    ("unknown_strategy", lambda t: _session(t, strategy="uncertainty"), ValueError, r"available: .*margin"),
    ("unknown_parameter", lambda t: get("qbc_kl", members=3), ValueError, r"parameters are: .*n_members"),
    ("bad_parameter_value", lambda t: _session(t, strategy=get("qbc_kl", n_members=1)).step(), ValueError,
     r"at least 2 members"),
    ("bad_parameter_choice", lambda t: get("eer", loss="hinge").query(make_context(t, 10), 2, rng=0), ValueError,
     r"loss='hinge' is not valid; it must be one of 'log', 'zero_one'"),
    ("params_with_object", lambda t: get(get("margin"), foo=1), ValueError, r"parameters go with a strategy name"),
    ("bad_rng", lambda t: get("random").query(make_context(t, 10), 2, rng="seed"), TypeError, r"numpy.random.Generator"),
    ("negative_seed", lambda t: _session(t, seed=-1), ValueError, r"seed=-1 must be an int >= 0"),
    ("rounds_negative", lambda t: _session(t).run(-1), ValueError, r"rounds=-1 must be an int >= 0"),
    ("compare_nothing", lambda t: alviz.compare(t, strategies=[]), ValueError, r"at least one strategy"),
    # ---- pure cores
    ("top_k_nan_scores", lambda t: alviz.selection.top_k(np.array([0.1, np.nan, 0.3]), 2), ValueError,
     r"candidate needs a score"),
    ("kcenter_nan_features", lambda t: alviz.selection.k_center_greedy(_with(_xy()[0], 2, np.nan),
                                                                       np.zeros(60, bool), 3, rng=0),
     ValueError, r"impute or drop"),
    ("kcenter_mask_not_bool", lambda t: alviz.selection.k_center_greedy(_xy()[0], np.zeros(60), 3, rng=0),
     TypeError, r"boolean"),
    ("kcenter_mask_length", lambda t: alviz.selection.k_center_greedy(_xy()[0], np.zeros(50, bool), 3), ValueError,
     r"expected \(60,\)"),
    ("scores_not_probabilities", lambda t: alviz.scores.margin(np.array([[0.9, 0.9], [0.5, 0.5]])), ValueError,
     r"summing to 1"),
    ("scores_wrong_shape", lambda t: alviz.scores.entropy(np.array([0.2, 0.8])), ValueError, r"shape \(n, C\)"),
    ("committee_wrong_shape", lambda t: alviz.scores.vote_entropy(np.full((4, 2), 0.5)), ValueError,
     r"shape \(M, n, C\)"),
]


@pytest.mark.parametrize("call, exc, match", [c[1:] for c in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_fails_clearly(call, exc, match, toy):
    raises_clearly(exc, match, lambda: call(toy))


# every strategy, model and oracle parameter against invalid values: tests/test_params.py (generated)


@pytest.mark.parametrize("name", [s for s in GRADIENT_STRATEGIES if s in available()])
def test_gradient_strategy_refuses_a_non_torch_model(name, toy):
    ctx = make_context(toy, n_labeled=20, seed=0, model=LogisticRegression(max_iter=200))
    msg = str(raises_clearly(TypeError, r"torch", lambda: get(name).query(ctx, 3, rng=0)))
    assert "alviz.models.MLP" in msg  # says what to use instead


@pytest.mark.parametrize("name", [s for s in GRADIENT_STRATEGIES if s in available()])
def test_gradient_strategy_refuses_in_a_session_without_changing_it(name, toy):
    sess = _session(toy, strategy=name, model=LogisticRegression(max_iter=200))
    before = sess.labeled_mask.copy()
    raises_clearly(TypeError, r"torch", sess.step)
    assert np.array_equal(sess.labeled_mask, before) and sess.rounds == []


def test_load_missing_file_says_which(tmp_path):
    raises_clearly(FileNotFoundError, r"nope\.alviz", lambda: alviz.Session.load(tmp_path / "nope.alviz"))


def test_save_into_missing_folder_says_which(tmp_path, toy):
    sess = _session(toy)
    raises_clearly(FileNotFoundError, r"does not exist", lambda: sess.save(tmp_path / "no" / "run.alviz"))


# ---------------------------------------------------------------------------- duplicates: work, no repeated picks
@pytest.mark.parametrize("strategy", ["random", "margin", "coreset"])
def test_duplicate_points_never_give_repeated_picks(strategy):
    X, y = _xy(40, 2, seed=3)
    X = np.concatenate([X, X, X])  # every point three times
    y = np.concatenate([y, y, y])
    ds = from_arrays(X, y, X_test=X[:30], y_test=y[:30], name="triplicates")
    sess = _session(ds, strategy=strategy, initial=9, budget=15)
    sess.run(3)
    picked = np.concatenate([r.selected for r in sess.rounds])
    assert np.unique(picked).size == picked.size == 45
    assert not np.isin(picked, sess.initial_indices).any()
    assert sess.n_labeled == 9 + 45


def test_identical_points_coreset_still_picks_distinct_samples():
    X = np.zeros((30, 3), dtype=np.float32)  # all the same point
    y = np.arange(30) % 2
    ds = Dataset(X, y, X[:10], y[:10])
    res = get("coreset").query(make_context(ds, n_labeled=4, seed=0, model=MLP(hidden=(4,), steps=2)), 10, rng=0)
    assert np.unique(res.indices).size == 10


def test_empty_labeled_set_works_for_strategies_that_need_no_model(toy):
    for name in ("random", "coreset"):
        sess = _session(toy, strategy=name, initial=0, budget=5)
        rnd = sess.step()
        assert rnd.selected.size == 5 and np.isnan(rnd.metrics["accuracy"])
        assert sess.n_labeled == 5


# ---------------------------------------------------------------------------- failed round leaves no trace
class _Flaky(Strategy):
    """Margin, except that it fails (after touching ctx) while ``fail`` is set."""

    name = "flaky"

    def __init__(self, fail: str = "raise"):
        self.fail = fail

    def _query(self, ctx, budget, rng):
        rng.random(5)  # consume randomness before failing
        res = get("margin")._query(ctx, budget, rng)
        if self.fail == "raise":
            raise RuntimeError("boom inside the strategy")
        if self.fail == "duplicates":
            return QueryResult(np.repeat(res.indices[:1], budget), res.scores, res.extras)
        if self.fail == "labeled":
            return QueryResult(np.flatnonzero(ctx.labeled_mask)[:budget], res.scores, res.extras)
        if self.fail == "augment":
            return QueryResult(res.indices, res.scores, res.extras, augment_inputs=np.zeros((1, 99)))
        return res


def _state(sess):
    return dict(mask=sess.labeled_mask.copy(), labels=sess.labels.copy(), n_rounds=len(sess.rounds),
                model=sess.model, aug_X=sess._augment_X.copy(), aug_y=sess._augment_y.copy(),
                selected=[r.selected.copy() for r in sess.rounds])


def _assert_same_state(a, b):
    assert np.array_equal(a["mask"], b["mask"]) and np.array_equal(a["labels"], b["labels"])
    assert a["n_rounds"] == b["n_rounds"] and a["model"] is b["model"]
    assert np.array_equal(a["aug_X"], b["aug_X"]) and np.array_equal(a["aug_y"], b["aug_y"])
    assert all(np.array_equal(x, y) for x, y in zip(a["selected"], b["selected"]))


@pytest.mark.parametrize("fail, exc", [("raise", RuntimeError), ("duplicates", RuntimeError),
                                       ("labeled", RuntimeError), ("augment", RuntimeError)])
def test_failed_round_leaves_the_session_as_it_was(fail, exc, toy):
    flaky = _Flaky("")
    sess = _session(toy, strategy=flaky, budget=5)
    sess.step()  # one good round first: state with a model and a history
    flaky.fail = fail
    before = _state(sess)
    with pytest.raises(exc):
        sess.step()
    _assert_same_state(before, _state(sess))
    # ... and the next round is exactly the one an uninterrupted session runs
    flaky.fail = ""
    rnd = sess.step()
    ref = _session(toy, strategy=_Flaky(""), budget=5)
    ref.run(2)
    assert rnd.index == 1
    np.testing.assert_array_equal(rnd.selected, ref.rounds[1].selected)
    np.testing.assert_array_equal(rnd.scores, ref.rounds[1].scores)


def test_failed_round_message_names_the_strategy_contract(toy):
    sess = _session(toy, strategy=_Flaky("duplicates"))
    with pytest.raises(RuntimeError, match="'flaky' broke the QueryResult contract: duplicate indices"):
        sess.step()


# ---------------------------------------------------------------------------- save / load
@pytest.fixture
def saved(tmp_path, toy):
    sess = _session(toy, budget=5)
    sess.run(2)
    path = sess.save(tmp_path / "run.alviz")
    return sess, path


def _same_session(a, b):
    assert np.array_equal(a.labeled_mask, b.labeled_mask) and len(a.rounds) == len(b.rounds)
    for ra, rb in zip(a.rounds, b.rounds):
        np.testing.assert_array_equal(ra.selected, rb.selected)


def test_save_load_round_trip_continues_exactly(saved, toy):
    sess, path = saved
    back = alviz.Session.load(path)
    _same_session(sess, back)
    np.testing.assert_array_equal(back.step().selected, sess.step().selected)


def _crash_during_save(monkeypatch, sess, path, where):
    def boom(*a, **k):
        raise KeyboardInterrupt(f"simulated crash in {where}")
    monkeypatch.setattr(os, where, boom)
    with pytest.raises(KeyboardInterrupt):
        sess.save(path)
    monkeypatch.undo()


@pytest.mark.parametrize("where", ["fsync", "replace"])
def test_crash_mid_save_keeps_the_previous_file(where, saved, monkeypatch):
    sess, path = saved
    old = path.read_bytes()
    sess.step()  # the session moves on; its next save is interrupted
    _crash_during_save(monkeypatch, sess, path, where)
    assert path.read_bytes() == old
    back = alviz.Session.load(path)
    assert len(back.rounds) == 2
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind


def test_killed_process_mid_save_keeps_the_previous_file(saved):
    """A real crash: the saving process is SIGKILLed after writing the temp file, before the rename."""
    sess, path = saved
    old = path.read_bytes()
    code = textwrap.dedent(f"""
        import os, signal, sys
        import torch
        import alviz
        torch.set_num_threads(1)
        sess = alviz.Session.load({str(path)!r})
        sess.step()
        os.replace = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
        sess.save({str(path)!r})
        sys.exit(3)  # not reached
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]
    assert path.read_bytes() == old
    assert len(alviz.Session.load(path).rounds) == 2


def test_file_from_another_alviz_version_loads(saved, monkeypatch):
    """The file has a format version, not a package version: a release does not strand saved runs."""
    sess, path = saved
    monkeypatch.setattr(alviz._version, "__version__", "0.0.1")
    other = sess.save(path.with_name("old.alviz"))
    monkeypatch.undo()
    back = alviz.Session.load(other)
    _same_session(sess, back)
    np.testing.assert_array_equal(back.step().selected, sess.step().selected)


@pytest.mark.parametrize("how", ["truncated_half", "truncated_tail", "header_only", "empty", "not_alviz",
                                 "zeroed_middle", "flipped_bytes_1", "flipped_bytes_2", "flipped_bytes_3"])
def test_corrupted_or_truncated_file_fails_clearly(how, saved):
    _, path = saved
    data = bytearray(path.read_bytes())
    header = 30  # a zip's first local header
    if how == "truncated_half":
        data = data[: len(data) // 2]
    elif how == "truncated_tail":
        data = data[:-10]
    elif how == "header_only":
        data = data[:header]
    elif how == "empty":
        data = bytearray()
    elif how == "not_alviz":
        data = bytearray(b"PK\x03\x04 a zip file, say")
    elif how == "zeroed_middle":
        mid = header + (len(data) - header) // 2
        data[mid: mid + 64] = bytes(64)
    else:
        rng = np.random.default_rng(int(how[-1]))
        for i in rng.choice(np.arange(header, len(data)), size=16, replace=False):
            data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    raises_clearly(ValueError, r"corrupted|truncated|not an alviz session file", lambda: alviz.Session.load(path))
