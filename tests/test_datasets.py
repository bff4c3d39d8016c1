"""Datasets: the embedded default, toys, arrays, and the torchvision loaders on fake folders."""
import gzip
import pickle

import numpy as np
import pytest

from alviz import datasets


def test_digits_split_is_stratified_and_seeded():
    a, b = datasets.load_digits(seed=0), datasets.load_digits(seed=0)
    assert a.X.shape == (1347, 64) and a.X_test.shape == (450, 64) and a.images.shape == (1347, 8, 8)
    assert np.array_equal(a.y, b.y) and a.X.max() <= 1.0
    frac = np.bincount(a.y_test) / np.bincount(a.y)
    assert np.allclose(frac, 450 / 1347, atol=0.02)
    assert not np.array_equal(datasets.load_digits(seed=1).y, a.y)
    assert a.fingerprint() == b.fingerprint()


@pytest.mark.parametrize("kind", ["moons", "blobs", "circles"])
def test_toys_are_2d(kind):
    ds = datasets.make_toy(kind, n=200, seed=1)
    assert ds.is_2d and len(ds.X) == 200 and ds.n_classes >= 2
    with pytest.raises(ValueError, match="toy"):
        datasets.make_toy("spirals")


def test_from_arrays_validates():
    X = np.random.default_rng(0).normal(size=(100, 5))
    y = np.arange(100) % 3
    ds = datasets.from_arrays(X, y, class_names=["a", "b", "c"])
    assert len(ds.X) + len(ds.X_test) == 100 and ds.class_names == ["a", "b", "c"]
    with pytest.raises(ValueError, match="one label per sample"):
        datasets.from_arrays(X, y[:-1])
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        datasets.from_arrays(bad, y)
    one_based = datasets.from_arrays(X, y + 1, class_names=["a", "b", "c"])  # 1..3 named a, b, c: encoded
    assert one_based.label_encoding["original"] == [1, 2, 3] and one_based.class_names == ["a", "b", "c"]
    with pytest.raises(ValueError, match="one name per distinct label"):
        datasets.from_arrays(X, y + 1, class_names=["a", "b"])


def _idx(path, arr, dims_code=8, gz=False):
    header = bytes([0, 0, dims_code, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    data = header + arr.astype(np.uint8).tobytes()
    (gzip.open if gz else open)(path, "wb").write(data)


@pytest.mark.parametrize("name", ["MNIST", "FashionMNIST"])
def test_mnist_like_from_a_fake_torchvision_folder(tmp_path, name):
    raw = tmp_path / name / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for pre, n, gz in (("train", 60, False), ("t10k", 20, True)):
        _idx(raw / f"{pre}-images-idx3-ubyte{'.gz' if gz else ''}", rng.integers(0, 256, (n, 28, 28)), gz=gz)
        _idx(raw / f"{pre}-labels-idx1-ubyte{'.gz' if gz else ''}", np.arange(n) % 10, gz=gz)
    ds = datasets.from_torchvision(name, root=tmp_path, subset=40, test_subset=None)
    assert ds.X.shape == (40, 1, 28, 28) and ds.X_test.shape == (20, 1, 28, 28)
    assert ds.is_image and ds.images.shape == (40, 28, 28) and 0 <= ds.X.min() and ds.X.max() <= 1
    assert ds.n_classes == 10 and np.bincount(ds.y).min() == 4  # stratified subset


def test_cifar10_from_a_fake_torchvision_folder(tmp_path):
    base = tmp_path / "cifar-10-batches-py"
    base.mkdir()
    rng = np.random.default_rng(0)
    for name, n in (("data_batch_1", 30), ("data_batch_2", 30), ("test_batch", 10)):
        entry = {"data": rng.integers(0, 256, (n, 3072)).astype(np.uint8), "labels": list(np.arange(n) % 10)}
        pickle.dump(entry, open(base / name, "wb"))
    ds = datasets.from_torchvision("CIFAR10", root=tmp_path, subset=None)
    assert ds.X.shape == (60, 3, 32, 32) and ds.images.shape == (60, 32, 32, 3)
    assert ds.class_names[0] == "airplane"


def test_torchvision_errors_say_what_to_do(tmp_path):
    with pytest.raises(ValueError, match="choose one of"):
        datasets.from_torchvision("SVHN", root=tmp_path)
    with pytest.raises(FileNotFoundError, match="download=True"):
        datasets.from_torchvision("MNIST", root=tmp_path)
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    (raw / "train-images-idx3-ubyte").write_bytes(bytes([0, 0, 8, 3]) + (5).to_bytes(4, "big") * 3 + b"\x00" * 7)
    with pytest.raises(ValueError, match="truncated"):
        datasets.from_torchvision("MNIST", root=tmp_path)
