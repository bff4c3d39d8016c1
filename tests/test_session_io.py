"""Session files hold data only: they cannot run code, survive a format bump and continue runs exactly.

* Every strategy: save after round 2, load, run 2 more == 4 uninterrupted rounds.
* Crafted files (a pickle behind the old header, a pickle inside a valid archive, a class path outside
  alviz) are refused and create nothing.
* A fuzz of a few hundred mutated copies: each loads to an equal session or raises ValueError.
* A committed file of format version 1 still loads after the reader's version moves on.
"""
from __future__ import annotations

import hashlib
import io
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

import alviz
from alviz import _session_io
from alviz._cache import cached_arrays, cache_dir
from alviz.models import MLP
from alviz.strategies import available, get

DATA = Path(__file__).parent / "data"
FIXTURE_V1 = DATA / "session_v1.alviz"

# quick settings, so every strategy's round trip takes a moment
FAST = {
    "vaal": {"steps": 4, "progress": False, "latent_dim": 4},
    "contrastive_coreset": {"encoder_params": {"max_steps": 4}, "progress": False},
    "typiclust": {"encoder_params": {"max_steps": 4}, "progress": False},
    "prototype": {"encoder_params": {"max_steps": 4}, "progress": False},
    "probcover": {"encoder_params": {"max_steps": 4}, "progress": False},
    "eer": {"n_candidates": 10, "n_eval": 40, "steps": 10},
    "qbc_vote_entropy": {"n_members": 2},
    "qbc_kl": {"n_members": 2},
    "loss_prediction": {"steps": 10},
    "waal": {"steps": 10},
    "ta_vaal": {"steps": 4, "latent_dim": 4, "ranker_steps": 10},
    "sraal": {"steps": 4, "latent_dim": 4},
}


@pytest.fixture(scope="module")
def toy():
    return alviz.datasets.make_toy("blobs", n=90, seed=0)


def _strategy(name):
    from alviz.strategies.base import _REGISTRY

    allowed = set(_REGISTRY[name]._param_names())
    return get(name, **{k: v for k, v in FAST.get(name, {}).items() if k in allowed})


def _session(ds, strategy="margin", model=None, **kw):
    model = MLP(hidden=(8,), steps=15) if model is None else model
    kw = {"initial": 9, "budget": 4, "seed": 0, **kw}
    return alviz.Session(ds, strategy=strategy, model=model, **kw)


def _equal_values(a, b, where):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        assert isinstance(a, np.ndarray) and isinstance(b, np.ndarray), where
        assert a.dtype == b.dtype and a.shape == b.shape, where
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), where
        for k in a:
            _equal_values(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, float) and np.isnan(a):
        assert isinstance(b, float) and np.isnan(b), where
    elif hasattr(a, "__dataclass_fields__"):
        assert type(a) is type(b), where
        for f in a.__dataclass_fields__:
            _equal_values(getattr(a, f), getattr(b, f), f"{where}.{f}")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def _same_rounds(a, b, timing=False):
    assert len(a.rounds) == len(b.rounds)
    for ra, rb in zip(a.rounds, b.rounds):
        for f in ra.__dataclass_fields__:
            va, vb = getattr(ra, f), getattr(rb, f)
            if f == "metrics" and not timing:  # seconds differ between runs, the rest must not
                va = {k: v for k, v in va.items() if not k.endswith("seconds")}
                vb = {k: v for k, v in vb.items() if not k.endswith("seconds")}
            _equal_values(va, vb, f"round {ra.index}.{f}")


def _same_session(a, b):
    """Equal in everything a file holds (the loaded copy of a session, before either moves on)."""
    _same_rounds(a, b, timing=True)
    for name in ("labeled_mask", "labels", "initial_indices", "_augment_X", "_augment_y"):
        _equal_values(getattr(a, name), getattr(b, name), name)
    assert (a.budget, a.seed, a.record_embeddings) == (b.budget, b.seed, b.record_embeddings)
    assert repr(a.strategy) == repr(b.strategy) and repr(a.model_template) == repr(b.model_template)
    for name in ("X", "y", "X_test", "y_test", "images"):
        _equal_values(getattr(a.dataset, name), getattr(b.dataset, name), f"dataset.{name}")
    assert a.dataset.class_names == b.dataset.class_names and a.dataset.name == b.dataset.name
    if a.model is not None:
        X = a.dataset.X[:20]
        np.testing.assert_array_equal(a.model.predict_proba(X), b.model.predict_proba(X))


# ---------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("name", available())
def test_every_strategy_continues_exactly_after_load(name, toy, tmp_path):
    sess = _session(toy, _strategy(name))
    sess.run(2)
    path = sess.save(tmp_path / "run.alviz")
    back = alviz.Session.load(path)
    _same_session(sess, back)
    sess.run(2)  # the uninterrupted run: rounds 0-3
    back.run(2)
    _same_rounds(sess, back)
    assert np.array_equal(sess.labeled_mask, back.labeled_mask)


def test_contrastive_cache_is_stored_and_used(toy, tmp_path, monkeypatch):
    sess = _session(toy, _strategy("contrastive_coreset"))
    sess.run(1)
    back = alviz.Session.load(sess.save(tmp_path / "run.alviz"))
    assert list(back.cache) == list(sess.cache)
    key = next(iter(sess.cache))
    np.testing.assert_array_equal(back.cache[key], sess.cache[key])

    # the loaded session reads the pool's embedding from its own cache (and the encoder that
    # places a field's grid points from the disk cache): it trains nothing again
    import alviz.contrastive_encoder as encoders

    def no_training(*a, **k):
        raise AssertionError("the contrastive encoder was trained again after load")
    monkeypatch.setattr(encoders, "_train_contrastive", no_training)
    np.testing.assert_array_equal(back.step().selected, sess.step().selected)


def test_sklearn_model_round_trip_keeps_the_fitted_model(toy, tmp_path):
    sess = _session(toy, "margin", model=LogisticRegression(max_iter=200))
    sess.run(2)
    back = alviz.Session.load(sess.save(tmp_path / "run.alviz"))
    _same_session(sess, back)
    np.testing.assert_array_equal(back.model.coef_, sess.model.coef_)
    sess.run(2)
    back.run(2)
    _same_rounds(sess, back)


def test_model_whose_state_is_not_data_is_refitted_exactly(toy, tmp_path):
    from sklearn.ensemble import RandomForestClassifier

    sess = _session(toy, "entropy", model=RandomForestClassifier(n_estimators=5, random_state=0))
    sess.run(2)
    back = alviz.Session.load(sess.save(tmp_path / "run.alviz"))
    _same_session(sess, back)  # predict_proba of the refitted forest == the saved one's
    sess.run(1)
    back.run(1)
    _same_rounds(sess, back)


class MyClassifier(ClassifierMixin, BaseEstimator):
    """A user's own classifier (outside alviz): loading it needs the class passed in."""

    def __init__(self, C=1.0, random_state=None):
        self.C = C
        self.random_state = random_state

    def fit(self, X, y):
        self.inner_ = LogisticRegression(C=self.C, max_iter=200).fit(X, y)
        self.classes_ = self.inner_.classes_
        return self

    def predict_proba(self, X):
        return self.inner_.predict_proba(X)


def test_custom_model_class_must_be_passed(toy, tmp_path):
    sess = _session(toy, "margin", model=MyClassifier(C=0.5))
    sess.run(2)
    path = sess.save(tmp_path / "run.alviz")
    with pytest.raises(ValueError, match=r"not part of alviz.*classes=\[MyClassifier\]"):
        alviz.Session.load(path)
    back = alviz.Session.load(path, classes=[MyClassifier])
    _same_session(sess, back)
    assert alviz.Session.load(path, classes={f"{__name__}.MyClassifier": MyClassifier}).model_template.C == 0.5
    sess.run(1)
    back.run(1)
    _same_rounds(sess, back)


def test_what_is_not_data_is_refused_before_the_file_is_touched(toy, tmp_path):
    sess = _session(toy, "margin")
    sess.run(1)
    path = sess.save(tmp_path / "run.alviz")
    old = path.read_bytes()
    sess.rounds[0].extras["callback"] = lambda: None
    with pytest.raises(ValueError, match=r"session\.rounds\[0\]\.extras\['callback'\] is a function"):
        sess.save(path)
    assert path.read_bytes() == old
    del sess.rounds[0].extras["callback"]
    sess.cache["encoder"] = object()
    with pytest.raises(ValueError, match=r"session\.cache\['encoder'\] is a object"):
        sess.save(path)
    assert path.read_bytes() == old


def test_new_round_fields_are_covered_without_new_code(toy, tmp_path):
    """Round and Field are stored field by field: a field added later (e.g. a nested Field) round-trips."""
    from alviz.fields import Field

    sess = _session(toy, "margin")
    sess.run(1)
    f = Field(np.linspace(0, 1, 3), np.linspace(0, 1, 2), np.full((2, 3, 3), 1 / 3, np.float32),
              np.arange(6.0).reshape(2, 3), "margin")
    sess.rounds[0].field = f
    sess.rounds[0].extras.update({"criterion": "lowest", "count": 3, "share": 0.25, "flag": np.bool_(True)})
    back = alviz.Session.load(sess.save(tmp_path / "run.alviz"))
    _same_session(sess, back)
    assert isinstance(back.rounds[0].field, Field) and back.rounds[0].field.name == "margin"
    assert isinstance(back.rounds[0].extras["flag"], np.bool_)


# ---------------------------------------------------------------------------- crafted files
class _Evil:
    """Unpickling this creates a file: the proof that a loader ran code."""

    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return (Path.touch, (Path(self.target),))


def _rewrite(path: Path, replace: dict = None, manifest_edit=None) -> None:
    """Rewrite an archive with some entries replaced and every checksum made consistent again."""
    with zipfile.ZipFile(path) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(entries[_session_io.MANIFEST])
    for name, data in (replace or {}).items():
        entries[name] = data
        manifest["entries"][name] = hashlib.sha256(data).hexdigest()
    if manifest_edit is not None:
        manifest_edit(manifest)
    mbytes = json.dumps(manifest).encode()
    entries[_session_io.MANIFEST] = mbytes
    entries[_session_io.MANIFEST_SUM] = hashlib.sha256(mbytes).hexdigest().encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)


@pytest.fixture
def small_file(toy, tmp_path):
    sess = _session(toy, "margin")
    sess.run(1)
    return sess, sess.save(tmp_path / "run.alviz")


def test_old_pickle_format_with_valid_checksum_is_refused_and_runs_nothing(small_file, tmp_path):
    _, path = small_file
    target = tmp_path / "pwned"
    payload = pickle.dumps(_Evil(target))
    header = f"{alviz.__version__} sha256={hashlib.sha256(payload).hexdigest()}\n".encode()
    path.write_bytes(_session_io.PICKLE_MAGIC + header + payload)
    with pytest.raises(ValueError, match=r"old pickle format.*allow_pickle=True.*save it again.*running the session"):
        alviz.Session.load(path)
    assert not target.exists()


def test_one_entry_replaced_by_a_pickle_is_refused_and_runs_nothing(small_file, tmp_path):
    _, path = small_file
    target = tmp_path / "pwned"
    with zipfile.ZipFile(path) as zf:
        first = sorted(n for n in zf.namelist() if n.endswith(".npy"))[0]
    for evil in (pickle.dumps(_Evil(target)), _npy_of_objects(_Evil(target))):
        _rewrite(path, {first: evil})
        with pytest.raises(ValueError, match="corrupted"):
            alviz.Session.load(path)
        assert not target.exists()


def _npy_of_objects(obj) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.array([obj], dtype=object), allow_pickle=True)
    return buf.getvalue()


def test_an_entry_cannot_make_the_reader_allocate_more_than_the_file_holds(small_file):
    _, path = small_file
    with zipfile.ZipFile(path) as zf:
        first = sorted(n for n in zf.namelist() if n.endswith(".npy"))[0]
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False, "shape": (10**7, 10**6)})
    _rewrite(path, {first: buf.getvalue() + bytes(64)})
    with pytest.raises(ValueError, match="shorter than the array it declares"):
        alviz.Session.load(path)


def test_a_compressed_entry_is_refused(small_file):
    _, path = small_file
    with zipfile.ZipFile(path) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    with pytest.raises(ValueError, match="is compressed, which session files never are"):
        alviz.Session.load(path)


@pytest.mark.parametrize("module, qualname", [("subprocess", "Popen"), ("os", "system"),
                                              ("sklearn.base", "os.system"), ("sklearn.utils", "_joblib")])
def test_a_class_path_outside_alviz_is_never_imported(small_file, module, qualname):
    _, path = small_file

    def edit(m):
        m["state"]["model_template"]["__estimator__"] = {"module": module, "qualname": qualname}
    _rewrite(path, manifest_edit=edit)
    with pytest.raises(ValueError, match="classes=|not part of alviz|leads elsewhere|does not have"):
        alviz.Session.load(path)


def test_records_and_objects_are_only_alviz_classes(small_file):
    _, path = small_file
    original = path.read_bytes()
    for field, spec in (("dataset", {"module": "sklearn.utils", "qualname": "Bunch"}),
                        ("strategy", {"module": "sklearn.base", "qualname": "BaseEstimator"})):
        path.write_bytes(original)

        def edit(m):
            m["state"][field]["__dataclass__" if field == "dataset" else "class"] = spec
            if field == "strategy":
                m["state"][field]["__strategy__"] = "not-registered"
        _rewrite(path, manifest_edit=edit)
        with pytest.raises(ValueError, match=r"not part of alviz|subclass of alviz"):
            alviz.Session.load(path)


def test_own_old_pickle_file_loads_with_allow_pickle(small_file):
    sess, path = small_file
    payload = pickle.dumps(sess.__dict__, protocol=pickle.HIGHEST_PROTOCOL)
    header = f"0.0.1 sha256={hashlib.sha256(payload).hexdigest()}\n".encode()
    path.write_bytes(_session_io.PICKLE_MAGIC + header + payload)
    back = alviz.Session.load(path, allow_pickle=True)
    _same_session(sess, back)


# ---------------------------------------------------------------------------- fuzz
def test_fuzzed_files_load_equal_or_fail_with_value_error(tmp_path):
    ds = alviz.datasets.make_toy("moons", n=24, seed=1)
    sess = alviz.Session(ds, strategy="margin", model=MLP(hidden=(4,), steps=5), initial=6, budget=2, seed=0,
                         record_embeddings=False)
    sess.run(1)
    good = sess.save(tmp_path / "good.alviz").read_bytes()
    rng = np.random.default_rng(0)
    outcomes = {"equal": 0, "refused": 0}
    path = tmp_path / "mutant.alviz"
    for i in range(300):
        data = bytearray(good)
        kind = i % 3
        if kind == 0:  # bit flips
            for pos in rng.integers(0, len(data), size=int(rng.integers(1, 4))):
                data[pos] ^= 1 << int(rng.integers(0, 8))
        elif kind == 1:  # truncation
            data = data[: int(rng.integers(0, len(data)))]
        else:  # insertion
            pos = int(rng.integers(0, len(data)))
            data[pos:pos] = rng.integers(0, 256, size=int(rng.integers(1, 16))).astype(np.uint8).tobytes()
        path.write_bytes(bytes(data))
        try:
            back = alviz.Session.load(path)
        except ValueError:
            outcomes["refused"] += 1
            continue
        _same_session(sess, back)
        outcomes["equal"] += 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.alviz", "mutant.alviz"]  # nothing created
    assert outcomes["refused"] > 200, outcomes


@pytest.mark.parametrize("how", ["truncated_half", "truncated_tail", "empty", "flipped_manifest",
                                 "flipped_entry"])
def test_damage_is_named(how, small_file):
    _, path = small_file
    data = bytearray(path.read_bytes())
    if how == "truncated_half":
        data = data[: len(data) // 2]
    elif how == "truncated_tail":
        data = data[:-10]
    elif how == "empty":
        data = bytearray()
    else:
        with zipfile.ZipFile(path) as zf:
            name = _session_io.MANIFEST if how == "flipped_manifest" else sorted(zf.namelist())[0]
            info = zf.getinfo(name)
        # the first byte of the entry's stored content (after its local header)
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
        data[start + 5] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"corrupted|truncated|not an alviz session file"):
        alviz.Session.load(path)


# ---------------------------------------------------------------------------- format versions
def test_committed_version_1_file_loads_and_continues():
    back = alviz.Session.load(FIXTURE_V1)
    assert len(back.rounds) == 2 and back.n_labeled == 9 + 2 * 4
    assert back.strategy.name == "margin" and back.dataset.name == "blobs"
    assert all(r.placed == {} for r in back.rounds)  # written before Round.placed: nothing placed
    rnd = back.step()
    assert rnd.index == 2 and len(rnd.selected) == 4 and back.n_labeled == 21


def test_version_1_file_still_loads_after_a_format_bump(monkeypatch):
    monkeypatch.setattr(_session_io, "FORMAT_VERSION", 2)
    monkeypatch.setitem(_session_io._READERS, 2, _session_io._read_v1)
    back = alviz.Session.load(FIXTURE_V1)
    assert len(back.rounds) == 2


def test_newer_format_says_upgrade(small_file):
    _, path = small_file

    def edit(m):
        m["format_version"] = _session_io.FORMAT_VERSION + 1
    _rewrite(path, manifest_edit=edit)
    with pytest.raises(ValueError, match=r"newer than this alviz reads.*upgrade alviz"):
        alviz.Session.load(path)


def test_file_is_deterministic(toy, tmp_path):
    sess = _session(toy, "random")
    sess.run(1)
    for r in sess.rounds:
        r.metrics = {k: v for k, v in r.metrics.items() if not k.endswith("seconds")}
    assert sess.save(tmp_path / "a.alviz").read_bytes() == sess.save(tmp_path / "b.alviz").read_bytes()


# ---------------------------------------------------------------------------- the disk cache
def test_cache_stores_arrays_and_json_and_reads_them_back():
    calls = []

    def compute():
        calls.append(1)
        return {"embedding": np.arange(6.0).reshape(3, 2), "state": {"w.0": np.ones(2, np.float32)},
                "config": {"lr": 0.5, "steps": 3}, "note": "x"}
    first = cached_arrays("test-io", "k1", compute)
    again = cached_arrays("test-io", "k1", compute)
    assert len(calls) == 1
    assert sorted(first) == sorted(again) and sorted(first["config"].items()) == sorted(again["config"].items())
    for k in ("embedding", "note"):
        _equal_values(first[k], again[k], k)
    _equal_values(first["state"], again["state"], "state")


def test_poisoned_cache_entry_runs_nothing_and_is_recomputed(tmp_path):
    target = tmp_path / "pwned"
    for n, evil in enumerate((pickle.dumps(_Evil(target)), _npy_of_objects(_Evil(target)))):
        (cache_dir("test-io") / f"poison{n}.npz").write_bytes(evil)
        out = cached_arrays("test-io", f"poison{n}", lambda: {"a": np.zeros(2)})
        np.testing.assert_array_equal(out["a"], np.zeros(2))
        assert not target.exists()


# ---------------------------------------------------------------------------- once other branches land
@pytest.mark.parametrize("oracle", ["noisy", "human"])
def test_oracle_round_trip(oracle, toy, tmp_path):
    from alviz import oracles

    if oracle == "noisy":
        sess = _session(toy, "margin", oracle=oracles.Noisy(rate=0.3, seed=5))
        sess.run(2)
    else:
        sess = _session(toy, "margin", oracle=oracles.Human())
        picks = sess.propose()
        sess.label(toy.y[picks])
        sess.propose()  # a pending round, not labeled yet
    back = alviz.Session.load(sess.save(tmp_path / "run.alviz"))
    assert back.oracle == sess.oracle
    _same_session(sess, back)
    if oracle == "noisy":
        sess.run(2)
        back.run(2)
        _same_rounds(sess, back)
        np.testing.assert_array_equal(back.labels, sess.labels)
    else:
        assert back.pending is not None
        _equal_values(back.pending.selected, sess.pending.selected, "pending.selected")
        back.label(toy.y[back.pending.selected])
        sess.label(toy.y[sess.pending.selected])
        _same_rounds(sess, back)


def test_torch_model_with_a_user_module_round_trip(toy, tmp_path):
    sess = _session(toy, "badge", model=alviz.models.TorchModel(UserNet, steps=15))
    sess.run(2)
    path = sess.save(tmp_path / "run.alviz")
    with pytest.raises(ValueError, match=r"classes=\[UserNet\]"):
        alviz.Session.load(path)
    back = alviz.Session.load(path, classes=[UserNet])
    _same_session(sess, back)
    assert isinstance(back.model.network_, torch.nn.Module)
    sess.run(2)
    back.run(2)
    _same_rounds(sess, back)


class UserNet(torch.nn.Module):
    """A user's own network for TorchModel (outside alviz)."""

    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU())
        self.out = torch.nn.Linear(8, 4)  # make_toy("blobs") has 4 classes

    def forward(self, x):
        return self.out(self.body(x))


# ---------------------------------------------------------------------------- augment_inputs
def test_augment_inputs_round_trip_and_an_older_file_keeps_them_in_extras(toy, tmp_path):
    sess = _session(toy, get("dfal", add_adversarial=True))
    sess.run(2)
    aug = sess.rounds[1].augment_inputs
    assert aug.shape == (4, 2) and "augment_inputs" not in sess.rounds[1].extras
    path = sess.save(tmp_path / "run.alviz")
    back = alviz.Session.load(path)
    _same_session(sess, back)
    np.testing.assert_array_equal(back.rounds[1].augment_inputs, aug)

    def as_older_file(m):  # files written before the field existed: augment_inputs sat in extras
        for r in m["state"]["rounds"]:
            fields = r["fields"]
            fields["extras"]["__dict__"]["augment_inputs"] = fields.pop("augment_inputs")
    _rewrite(path, manifest_edit=as_older_file)
    assert "augment_inputs" not in json.loads(zipfile.ZipFile(path).read(_session_io.MANIFEST))["state"][
        "rounds"][0]["fields"]
    old = alviz.Session.load(path)
    _same_session(sess, old)  # moved from extras to the field
    sess.run(1)  # ... and the older file continues exactly, training on the same augmented inputs
    old.run(1)
    _same_rounds(sess, old)
    np.testing.assert_array_equal(sess._augment_X, old._augment_X)


# ---------------------------------------------------------------------------- Round.placed
def test_placed_round_trips_and_an_older_file_is_placed_again_in_the_plane(toy, tmp_path):
    """Round.placed (the inputs the overlays draw, placed in a picture) is stored; a file from before the
    field loads with the placements a 2-D round now gets while it runs (in the input plane), and no other."""
    sess = _session(toy, "dfal")
    sess.run(2)
    plane = alviz.projection.picture_key(toy.X)
    assert all(set(r.placed) == {plane} for r in sess.rounds)  # 2-D: placed while the rounds ran
    sess.rounds[0].placed["another picture"] = {"perturbation_index": np.array([3, 1]),
                                                "perturbation_ends": np.ones((2, 2))}
    path = sess.save(tmp_path / "run.alviz")
    back = alviz.Session.load(path)
    _same_session(sess, back)
    assert set(back.rounds[0].placed) == {plane, "another picture"}

    def as_older_file(m):  # files written before the field existed
        for r in m["state"]["rounds"]:
            r["fields"].pop("placed")
    _rewrite(path, manifest_edit=as_older_file)
    old = alviz.Session.load(path)
    del sess.rounds[0].placed["another picture"]
    _same_session(sess, old)
    sess.run(1)
    old.run(1)
    _same_rounds(sess, old)


def test_the_pool_key_is_derived_never_stored_nor_read_from_a_file(tmp_path):
    """The pool's hash keys the disk caches: a file must not be able to point a session at another pool's."""
    ds = alviz.datasets.make_toy("moons", n=120, seed=0)
    s = alviz.Session(ds, "margin", model=LogisticRegression(max_iter=200), initial=10, budget=4, seed=0)
    s.run(1)
    assert s.pool_key == ds.fingerprint()
    path = tmp_path / "s.alviz"
    s.save(path)
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read(_session_io.MANIFEST))
    assert "_pool_key" not in manifest["state"]
    again = alviz.Session.load(path)
    assert again.pool_key == ds.fingerprint()
