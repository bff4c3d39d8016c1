"""Data as people bring it (issue 24): labels of any coding, image layouts, unscaled features, networks that
end in softmax, one labeled class, your own embeddings, and errors in alviz's words."""
from __future__ import annotations

import errno
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn as nn
from sklearn.datasets import load_breast_cancer, load_wine

import alviz
from alviz import projection
from alviz._session_io import SessionFileError, SessionWriteError
from alviz.datasets import Dataset, from_arrays
from alviz.encoders import TrainingDivergedError
from alviz.models import MLP, OutputNotLogitsError, TorchModel
from alviz.selection import k_center_greedy
from alviz.session import Round
from alviz.strategies import available, get
from alviz.strategies.base import SingleClassError, runs_with, tags

from .conftest import make_context
from .test_contract import check_result

# tiny settings for every registered strategy: each trains as little as it can
_TINY = {"vaal": {"steps": 5}, "typiclust": {"encoder_params": {"max_steps": 5}},
         "prototype": {"encoder_params": {"max_steps": 5}}, "probcover": {"encoder_params": {"max_steps": 5}},
         "contrastive_coreset": {"encoder_params": {"max_steps": 5}}}


def tiny(name: str):
    params = dict(_TINY.get(name, {}))
    if "progress" in get(name).get_params():
        params["progress"] = False
    return get(name, **params)


# ============================================================================ 1. labels
@pytest.mark.parametrize("labels, original", [
    (np.arange(60) % 3 + 1, [1, 2, 3]),                                  # the UCI wine file's coding
    (np.where(np.arange(60) % 2, 1, -1), [-1, 1]),                       # {-1, +1}
    (np.array(["setosa", "virginica", "versicolor"] * 20), ["setosa", "versicolor", "virginica"]),
    (pd.Categorical(["low", "high"] * 30, categories=["low", "high"]), ["low", "high"]),   # its own order
    (pd.Series([True, False] * 30), [0, 1]),
], ids=["one_based", "plus_minus_one", "strings", "categorical", "bools"])
def test_labels_of_any_coding_become_0_to_C_minus_1_with_their_names(labels, original):
    X = np.random.default_rng(0).normal(size=(60, 3))
    ds = from_arrays(X, labels, X_test=X[:6], y_test=labels[:6])
    C = len(original)
    assert ds.n_classes == C and ds.label_encoding["original"] == original
    assert ds.class_names == [str(o) for o in original]
    assert set(np.unique(ds.y)) == set(range(C))  # no empty class, no class beyond C - 1
    raw = list(labels)
    assert [ds.label_encoding["original"][c] for c in ds.y] == [o if not isinstance(o, (bool, np.bool_)) else int(o)
                                                              for o in raw]  # each code names its original
    assert isinstance(ds.label_encoding["summary"], str)


def test_zero_based_ints_are_kept_and_a_split_encodes_the_test_labels_alike():
    X = np.random.default_rng(0).normal(size=(60, 3))
    kept = from_arrays(X, np.arange(60) % 3)
    assert kept.label_encoding["original"] == [0, 1, 2] and "kept" in kept.label_encoding["summary"]
    y = np.array(["b", "c", "a"] * 20)
    ds = from_arrays(X, y, seed=1)  # the split: pool and test share one coding
    names = np.array(ds.class_names)
    assert set(names[ds.y]) == set(names[ds.y_test]) == {"a", "b", "c"}


def test_a_session_file_keeps_the_label_encoding(tmp_path):
    X = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)
    ds = from_arrays(X, np.array(["no", "yes"] * 20))
    s = alviz.Session(ds, "random", model=MLP(hidden=(4,), steps=2), initial=6, budget=2, seed=0)
    s.step()
    s.save(tmp_path / "run.alviz")
    back = alviz.Session.load(tmp_path / "run.alviz")
    assert back.dataset.label_encoding == ds.label_encoding and back.dataset.class_names == ["no", "yes"]


# ============================================================================ 2. images
def test_channel_last_colour_images_are_images_with_colour_thumbnails():
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, size=(40, 6, 5, 3), dtype=np.uint8)  # (n, H, W, 3), the numpy/PIL layout
    ds = from_arrays(imgs, np.arange(40) % 2, X_test=imgs[:4], y_test=np.arange(4) % 2)
    assert ds.is_image and ds.X.shape == (40, 3, 6, 5) and ds.layout == "channels_first"
    np.testing.assert_allclose(ds.X[7], imgs[7].transpose(2, 0, 1) / 255.0, atol=1e-6)
    thumb = alviz.plot.sample_image(ds, 7)
    assert thumb.shape == (6, 5, 3)
    np.testing.assert_allclose(thumb, imgs[7] / 255.0, atol=1e-6)
    four = np.concatenate([imgs, imgs[..., :1]], axis=3)  # RGBA
    rgba = from_arrays(four, np.arange(40) % 2, X_test=four[:4], y_test=np.arange(4) % 2)
    assert rgba.X.shape == (40, 4, 6, 5) and alviz.plot.sample_image(rgba, 0).shape == (6, 5, 3)  # alpha dropped
    # the gallery draws the picks in colour: one RGB image of all tiles
    picks = np.array([7, 3, 11])
    rnd = Round(index=0, labeled=np.arange(5), selected=picks, scores=np.zeros(40), strategy="random")
    fig = alviz.plot.picks_gallery(SimpleNamespace(dataset=ds, rounds=[rnd]), cols=3)
    (tiles,) = fig.data
    assert tiles.type == "image" and tiles.name == "picks"
    z = np.asarray(tiles.z)
    band, tw = 3, 5 + 2  # a label band of half the height over each 6x5 tile, 2 px between tiles
    for k, i in enumerate(picks):
        np.testing.assert_array_equal(z[band:band + 6, k * tw:k * tw + 5], imgs[i])


def test_grey_images_without_a_channel_axis_and_the_layout_override():
    rng = np.random.default_rng(0)
    grey = rng.random((30, 7, 7)).astype(np.float32)
    ds = from_arrays(grey, np.arange(30) % 2, X_test=grey[:4], y_test=np.arange(4) % 2)
    assert ds.is_image and ds.X.shape == (30, 1, 7, 7)
    np.testing.assert_allclose(alviz.plot.sample_image(ds, 2), grey[2])
    flat = from_arrays(grey, np.arange(30) % 2, X_test=grey[:4], y_test=np.arange(4) % 2, layout="vectors")
    assert not flat.is_image and flat.X.shape == (30, 49)
    odd = rng.random((30, 3, 5, 4)).astype(np.float32)  # channels first or channels last? 3 and 4 both fit
    with pytest.raises(ValueError, match="layout="):
        from_arrays(odd, np.arange(30) % 2)
    last = from_arrays(odd, np.arange(30) % 2, X_test=odd[:4], y_test=np.arange(4) % 2, layout="channels_last")
    assert last.X.shape == (30, 4, 3, 5)
    first = from_arrays(odd, np.arange(30) % 2, X_test=odd[:4], y_test=np.arange(4) % 2, layout="channels_first")
    assert first.X.shape == (30, 3, 5, 4)
    with pytest.raises(ValueError, match="did you mean 'channels_last'"):
        from_arrays(odd, np.arange(30) % 2, layout="channel_last")


# ============================================================================ 3. scale
#: diagnostics that are finite on every candidate by their definition (others are NaN by design on some:
#: distances before anything is labeled, attacks only on the picks, typicality in dropped small clusters, ...)
_FINITE = ("representation", "mu", "discriminator_p_labeled", "gradient_norm", "covering_radius", "disagreement",
           "expected_gradient_length")


@pytest.fixture(scope="module", params=["breast_cancer", "wine"])
def unscaled(request):
    X, y = (load_breast_cancer if request.param == "breast_cancer" else load_wine)(return_X_y=True)
    return request.param, X, y


def test_unscaled_tabular_data_is_standardised_and_every_strategy_runs_without_nan(unscaled):
    name, X, y = unscaled
    assert np.abs(X).max() > 100  # far from unit scale (areas, proline)
    order = np.random.default_rng(0).permutation(len(X))
    pool, test = order[:-40], order[-40:]
    ds = from_arrays(X[pool], y[pool], X_test=X[test], y_test=y[test])
    sc = ds.feature_scaling
    assert sc["kind"] == "standard"
    np.testing.assert_allclose(ds.X.mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(ds.X.std(axis=0), 1, atol=1e-3)
    np.testing.assert_allclose(ds.X_test * sc["scale"] + sc["mean"], X[test], rtol=1e-4, atol=1e-3)  # pool's stats
    ctx_args = dict(n_labeled=20, seed=0, model=MLP(hidden=(16,), steps=20))
    for strategy in available():
        ctx = make_context(ds, **ctx_args)
        res = tiny(strategy).query(ctx, 3, rng=0)
        check_result(res, ctx, 3)  # finite scores on every candidate
        cand = np.asarray(res.extras.get("candidates", ctx.candidates))
        for key, v in res.extras.items():  # and no NaN in the spaces and scores the pictures draw
            if isinstance(v, np.ndarray) and v.dtype.kind == "f" and key in _FINITE:
                rows = v[cand] if v.shape[:1] == (ctx.n_pool,) else v
                assert np.isfinite(rows).all(), f"{strategy} on {name}: NaN in extras[{key!r}]"


def test_scale_auto_keeps_unit_scale_data_and_vaal_on_raw_features_says_standardise(unscaled):
    _, X, y = unscaled
    unit = from_arrays(X / np.abs(X).max(axis=0), y)
    assert unit.feature_scaling is None  # every value within [-100, 100]: kept as given
    kept = from_arrays(X, y, scale=None)
    assert kept.feature_scaling is None and np.abs(kept.X).max() > 100
    raw = Dataset(kept.X, kept.y, kept.X_test, kept.y_test)  # a Dataset built directly is never scaled
    ctx = make_context(raw, n_labeled=20, seed=0, model=MLP(hidden=(4,), steps=2))
    with pytest.raises(TrainingDivergedError, match="Standardise"):
        get("vaal", steps=5, progress=False).query(ctx, 3, rng=0)


# ============================================================================ 4. models
class _SoftmaxNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(2, 8), nn.ReLU())
        self.out = nn.Linear(8, 2)
        self.last = nn.Softmax(dim=1)

    def forward(self, x):
        return self.last(self.out(self.body(x)))


class _LogSoftmaxNet(_SoftmaxNet):
    def __init__(self):
        super().__init__()
        self.last = nn.LogSoftmax(dim=1)


def test_a_network_ending_in_softmax_is_refused_and_log_softmax_is_handled(moons):
    with pytest.raises(OutputNotLogitsError, match="already probabilities.*remove that last layer"):
        TorchModel(_SoftmaxNet, steps=5).fit(moons.X, moons.y, 2)
    m = TorchModel(_LogSoftmaxNet, steps=150, lr=1e-2).fit(moons.X, moons.y, 2)
    p = m.predict_proba(moons.X)
    with torch.no_grad():
        logp = m.network_(torch.as_tensor(moons.X))
    np.testing.assert_allclose(p, logp.exp().numpy(), atol=1e-5)  # the softmax of log p is p itself
    assert p.max(axis=1).mean() > 0.8  # not squashed: the model is sure of most of the moons


@pytest.mark.parametrize("name", available())
def test_one_labeled_class_is_refused_or_answered_never_in_index_order(name, moons):
    one = np.flatnonzero(moons.y == 0)[:10]
    ctx = make_context(moons, labeled_idx=one, seed=0, model=MLP(hidden=(8,), steps=20))
    model_based = "model" in tags(get(name)).requires
    assert runs_with(name, ctx.model, n_labeled=10, n_label_classes=1) is not model_based
    if model_based:
        with pytest.raises(SingleClassError, match="class 0.*second class"):
            tiny(name).query(ctx, 5, rng=0)
        return
    res = tiny(name).query(ctx, 5, rng=0)
    check_result(res, ctx, 5)
    assert not np.array_equal(res.indices, ctx.candidates[:5]), "the picks are the pool's index order"


# ============================================================================ 5. your own embeddings
@pytest.fixture(scope="module")
def featured(digits):
    """Digits whose own features (a fixed random projection to 12 dims) differ from their pixels."""
    X, y = digits.X[:300], digits.y[:300]
    F = (X @ np.random.default_rng(1).normal(size=(64, 12))).astype(np.float32)
    return from_arrays(X, y, X_test=digits.X_test[:50], y_test=digits.y_test[:50], features=F), F


def test_coreset_typiclust_probcover_run_in_your_own_features(featured):
    ds, F = featured
    assert ds.features.shape == (300, 12)
    ctx = make_context(ds, n_labeled=20, seed=0, model=MLP(hidden=(8,), steps=5))
    ctx.features = ds.features  # as the Session passes it
    res = get("coreset").query(ctx, 6, rng=0)
    assert res.extras["embedding_source"] == "features"
    np.testing.assert_array_equal(res.indices, k_center_greedy(F, ctx.labeled_mask, 6, rng=0))
    on_model = get("coreset", embedding="model").query(ctx, 6, rng=0)
    assert not np.array_equal(on_model.indices, res.indices)
    # typiclust / probcover on your features = the same strategy on inputs that *are* those features
    as_inputs = make_context(Dataset(F, ds.y, F[:20], ds.y[:20]), labeled_idx=np.flatnonzero(ctx.labeled_mask),
                             model=MLP(hidden=(8,), steps=5))
    for name in ("typiclust", "probcover"):
        mine = get(name, progress=False).query(ctx, 6, rng=0)
        assert mine.extras["representation_name"] == "your features"
        ref = get(name, embedding="input", progress=False).query(as_inputs, 6, rng=0)
        np.testing.assert_array_equal(mine.indices, ref.indices)
        np.testing.assert_allclose(mine.extras["representation"], F)
    with pytest.raises(ValueError, match=r"not an array of features.*from_arrays\(X, y, features=F\)"):
        get("typiclust", embedding=F)
    with pytest.raises(ValueError, match="has none"):
        get("coreset", embedding="features").query(make_context(alviz.datasets.make_toy("blobs", n=60), 10), 2, 0)


def test_a_session_and_the_reference_picture_use_your_features(featured, monkeypatch):
    ds, F = featured
    s = alviz.Session(ds, "coreset", model=MLP(hidden=(8,), steps=5), initial=20, budget=4, seed=0)
    rnd = s.step()
    np.testing.assert_array_equal(rnd.extras["representation"], F)
    fitted = []  # the picture is a UMAP of your features, not of the pixels (the UMAP itself is tested elsewhere)

    def fit(features, **kw):
        fitted.append(np.asarray(features))
        return projection.Projection(np.zeros((len(features), 2), np.float32), None, kind="umap")
    monkeypatch.setattr(projection, "fit", fit)
    pic = projection.reference(ds, seed=0)
    assert pic.space == "your own features of the dataset"
    assert len(fitted) == 1 and np.array_equal(fitted[0], F)
    assert np.array_equal(projection.reference_features(alviz.datasets.make_toy("blobs", n=40))[0].shape, (40, 2))


# ============================================================================ 6. errors in alviz's words
class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(2, 6), nn.ReLU())
        self.out = nn.Linear(6, 2)

    def forward(self, x):
        return self.out(self.body(x))


@pytest.fixture(scope="module")
def saved(moons, tmp_path_factory):
    s = alviz.Session(moons, "random", model=TorchModel(_Net, steps=3), initial=6, budget=2, seed=0,
                      field_resolution=None)
    s.step()
    path = tmp_path_factory.mktemp("saved") / "run.alviz"
    s.save(path)
    return s, path


def test_saving_to_a_folder_a_missing_folder_or_a_read_only_one_says_what_to_do(saved, tmp_path, monkeypatch):
    s, _ = saved
    with pytest.raises(SessionFileError, match="it is a folder; give a file name in it"):
        s.save(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        s.save(tmp_path / "nope" / "run.alviz")
    import alviz._session_io as sio

    def read_only(prefix="", suffix="", dir=None):
        raise OSError(errno.EROFS, "Read-only file system", f"{dir}/{prefix}abc{suffix}")
    monkeypatch.setattr(sio.tempfile, "mkstemp", read_only)
    with pytest.raises(SessionWriteError, match="read-only in .*a folder you can write to") as info:
        s.save(tmp_path / "run.alviz")
    assert isinstance(info.value, OSError) and ".tmp" not in str(info.value)
    assert not (tmp_path / "run.alviz").exists()


def test_classes_not_a_list_and_a_same_named_class_of_another_shape(saved):
    _, path = saved
    with pytest.raises(TypeError, match=r"classes=\[_Net\]"):
        alviz.Session.load(path, classes=_Net)
    with pytest.raises(TypeError, match="hold classes"):
        alviz.Session.load(path, classes=[_Net()])

    class Wider(nn.Module):  # renamed below to the saved class's module and name, with another width
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(2, 9), nn.ReLU())
            self.out = nn.Linear(9, 2)

        def forward(self, x):
            return self.out(self.body(x))
    Wider.__name__ = Wider.__qualname__ = "_Net"
    with pytest.raises(SessionFileError, match=r"body.0.weight: \(6, 2\) in the file, \(9, 2\) now"):
        alviz.Session.load(path, classes=[Wider])


def test_a_torchmodel_of_a_lambda_is_refused_on_save_with_the_way_out(moons, tmp_path):
    s = alviz.Session(moons, "random", model=TorchModel(lambda: _Net(), steps=2), initial=6, budget=2, seed=0,
                      field_resolution=None)
    s.step()
    with pytest.raises(SessionFileError, match=r"a lambda.*TorchModel\(MyNet\)"):
        s.save(tmp_path / "run.alviz")
    assert not (tmp_path / "run.alviz").exists()


def test_strategy_names_get_a_did_you_mean():
    with pytest.raises(ValueError, match=r"unknown strategy 'margn' \(did you mean 'margin'\?\); available: "):
        get("margn")
    with pytest.raises(ValueError, match="did you mean 'badge'"):
        get("BADGE")
    with pytest.raises(ValueError, match="did you mean 'coreset'"):
        tags("CoreSet")


# ============================================================================ 7. background work yields
def test_background_fits_yield_to_the_round_the_person_waits_for():
    import os
    import threading

    import sys

    from alviz._threads import BACKGROUND_NICENESS, BACKGROUND_SWITCH_INTERVAL, yield_to_foreground
    from alviz.widgets._tools import Background

    numba = pytest.importorskip("numba")
    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    seen = {}

    interval = sys.getswitchinterval()

    def job():
        seen["nice"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        seen["numba"] = numba.get_num_threads()
        seen["interval"] = sys.getswitchinterval()
        return 1
    Background(job, lambda result, exc: None).wait(60)
    assert seen["nice"] == min(19, mine + BACKGROUND_NICENESS) and seen["numba"] == 1
    assert seen["interval"] == pytest.approx(min(interval, BACKGROUND_SWITCH_INTERVAL)) and seen["interval"] < interval
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == mine  # the kernel's thread is untouched
    assert sys.getswitchinterval() == interval  # restored when the background work ended
    assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS  # numba's setting is the thread's own
    assert yield_to_foreground.__module__ == "alviz._threads"


def test_background_work_does_not_import_numba_itself():
    """``import numba`` holds the interpreter for about half a second: background work started next to the
    person's first click must not pay it on their behalf (benchmarks/bench_load.py measures the click)."""
    import subprocess
    import sys

    code = (
        "import sys, threading\n"
        "from alviz._threads import background_work\n"
        "def job():\n"
        "    with background_work():\n"
        "        pass\n"
        "t = threading.Thread(target=job); t.start(); t.join()\n"
        "print('numba' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
