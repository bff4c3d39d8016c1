"""Scenarios: datasets (and starts) that bring out a strategy's habits, and the numbers that show them.

Each transform is a pure, seeded function of a Dataset. It returns a new
Dataset (the input is not changed) whose ``meta`` dict records the per-sample
facts the scenario planted, so plots can colour by them and the metric
helpers below can count them:

======================  ==========================================  ==========================================
scenario                what changes                                ``meta``
======================  ==========================================  ==========================================
``with_outliers``       a fraction of the pool is replaced by        ``is_outlier`` (n,) bool
                        off-manifold samples
``with_duplicates``     near-copies of a fraction of the pool        ``origin`` (n,) int: the index of each
                        are added                                    sample's original (itself if none)
``imbalanced``          the pool's largest class is ``ratio``        ``kept`` (n,) int: index in the input
                        times its smallest                           pool; ``class_counts``
``biased_start``        (returns initial indices, not a Dataset)     --
                        a labeled start from some classes only
noisy labels            ``alviz.oracles.Noisy(rate=...)``            ``Round.given_labels``
======================  ==========================================  ==========================================

The metric helpers take a Session and return one number per round.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np
import numpy.typing as npt

from ._validation import as_generator, check_int, check_number
from .datasets import Dataset

__all__ = [
    "with_outliers",
    "with_duplicates",
    "imbalanced",
    "biased_start",
    "outlier_pick_rate",
    "duplicate_picks",
    "classes_discovered",
    "label_accuracy",
]


def _check_dataset(ds) -> Dataset:
    if not isinstance(ds, Dataset):
        raise TypeError(f"dataset must be an alviz.datasets.Dataset, got {type(ds).__name__}")
    return ds


def _images_like(ds: Dataset, X: np.ndarray) -> Optional[np.ndarray]:
    """Images for samples ``X`` when the dataset's images are its inputs reshaped (digits, MNIST), else None."""
    if ds.images is None or ds.images[0].size != ds.X[0].size:
        return None
    return X.reshape((len(X),) + ds.images.shape[1:]).astype(ds.images.dtype)


def _derive(ds: Dataset, X, y, images, name: str, meta: dict) -> Dataset:
    # the coding of the labels and the scaling carry over; your own features do not (planted samples have none)
    return Dataset(
        X,
        y,
        ds.X_test,
        ds.y_test,
        list(ds.class_names),
        images=images,
        name=name,
        meta={**{k: v for k, v in ds.meta.items() if not isinstance(v, np.ndarray)}, **meta},
        label_encoding=ds.label_encoding,
        feature_scaling=ds.feature_scaling,
    )


# ---------------------------------------------------------------------- transforms
def with_outliers(dataset: Dataset, fraction: float = 0.03, seed: int = 0) -> Dataset:
    """A fraction of the pool replaced by off-manifold samples.

    Each outlier has every feature drawn uniformly between that feature's minimum and
    maximum over the pool: within the data's range, far from every real sample (for
    digits, a random speckle of ink). An outlier keeps the label of the sample it
    replaced, a label that means nothing, as a real outlier's would. The test set is unchanged.

    Returns
    -------
    Dataset with ``meta["is_outlier"]`` (n_pool,) bool.
    """
    ds = _check_dataset(dataset)
    fraction = check_number(fraction, "fraction", 0.0, 1.0, hint="the share of the pool to replace")
    rng = as_generator(check_int(seed, "seed", 0))
    n = len(ds.X)
    k = int(round(fraction * n))
    idx = np.sort(rng.choice(n, size=k, replace=False))
    flat = ds.flat()
    lo, hi = flat.min(axis=0), flat.max(axis=0)
    noise = (lo + rng.random((k, flat.shape[1])) * (hi - lo)).astype(np.float32)  # (k, d)
    X = ds.X.copy()
    X[idx] = noise.reshape((k,) + ds.input_shape)
    images = None
    if ds.images is not None:
        images = ds.images.copy()
        drawn = _images_like(ds, noise)
        if drawn is not None:
            images[idx] = drawn
    is_outlier = np.zeros(n, dtype=bool)
    is_outlier[idx] = True
    return _derive(ds, X, ds.y.copy(), images, f"{ds.name}+outliers", {"is_outlier": is_outlier})


def with_duplicates(
    dataset: Dataset, fraction: float = 0.1, copies: int = 3, noise: float = 0.02, seed: int = 0
) -> Dataset:
    """Near-copies of a fraction of the pool, appended to it.

    ``fraction`` of the pool samples each get ``copies`` near-copies (Gaussian noise of
    ``noise`` times the pool's overall feature spread, clipped to the pool's range) with
    the same label, so each forms a group of ``copies + 1`` near-identical samples.

    Returns
    -------
    Dataset with ``meta["origin"]`` (n_pool,) int: for each pool sample the index of its
    original (a sample that is no copy is its own origin).
    """
    ds = _check_dataset(dataset)
    fraction = check_number(fraction, "fraction", 0.0, 1.0, hint="the share of the pool that gets copies")
    copies = check_int(copies, "copies", 1, hint="near-copies per chosen sample")
    noise = check_number(noise, "noise", 0.0, hint="the copies' noise, in units of the features' spread")
    rng = as_generator(check_int(seed, "seed", 0))
    n = len(ds.X)
    chosen = np.sort(rng.choice(n, size=int(round(fraction * n)), replace=False))
    src = np.repeat(chosen, copies)  # (m,)
    flat = ds.flat()
    spread = float(flat.std())
    dup = flat[src] + noise * spread * rng.standard_normal((len(src), flat.shape[1])).astype(np.float32)
    dup = np.clip(dup, flat.min(), flat.max()).astype(np.float32)
    X = np.concatenate([ds.X, dup.reshape((len(src),) + ds.input_shape)])
    y = np.concatenate([ds.y, ds.y[src]])
    images = None
    if ds.images is not None:
        drawn = _images_like(ds, dup)
        images = np.concatenate([ds.images, ds.images[src] if drawn is None else drawn])
    origin = np.concatenate([np.arange(n), src]).astype(np.int64)
    return _derive(ds, X, y, images, f"{ds.name}+duplicates", {"origin": origin})


def imbalanced(dataset: Dataset, ratio: float = 10.0, seed: int = 0) -> Dataset:
    """The pool subsampled so that its largest class is ``ratio`` times its smallest.

    Class sizes fall geometrically from the largest to the smallest; which classes
    are rare is seeded. The largest keeps as many samples as the dataset's smallest
    class has, the smallest gets ``floor(largest / ratio)`` (at least 1), and the
    largest is then set to ``round(smallest * ratio)`` so the ratio is met. The test
    set is unchanged (balanced test accuracy punishes ignoring rare classes).

    Returns
    -------
    Dataset with ``meta["kept"]`` (n_pool,) int (index in the input pool) and
    ``meta["class_counts"]`` (list, per class).
    """
    ds = _check_dataset(dataset)
    ratio = check_number(ratio, "ratio", 1.0, hint="largest class size / smallest class size")
    rng = as_generator(check_int(seed, "seed", 0))
    C = ds.n_classes
    have = np.bincount(ds.y, minlength=C)
    if have.min() == 0:
        raise ValueError(
            f"classes {np.flatnonzero(have == 0).tolist()} have no pool samples; "
            "imbalanced needs every class in the pool"
        )
    top = int(have.min())
    small = int(np.floor(top / ratio))
    if small < 1:
        raise ValueError(f"ratio={ratio} is larger than the smallest class ({top} samples) allows; use ratio <= {top}")
    top = min(top, int(round(small * ratio)))
    sizes = np.round(top * (small / top) ** (np.arange(C) / max(C - 1, 1))).astype(int)  # (C,) largest first
    sizes[0], sizes[-1] = top, small
    order = rng.permutation(C)  # order[j]: the class that gets the j-th size
    counts = np.empty(C, dtype=int)
    counts[order] = sizes
    kept = np.sort(
        np.concatenate([rng.choice(np.flatnonzero(ds.y == c), size=counts[c], replace=False) for c in range(C)])
    ).astype(np.int64)
    images = None if ds.images is None else ds.images[kept]
    return _derive(
        ds, ds.X[kept], ds.y[kept], images, f"{ds.name}+imbalanced", {"kept": kept, "class_counts": counts.tolist()}
    )


def biased_start(dataset: Dataset, classes: Sequence, n: int = 20, seed: int = 0) -> np.ndarray:
    """``n`` pool indices from the given classes only, as evenly spread over them as possible.

    Pass the result as ``alviz.Session(ds, initial=...)``: the run starts blind to the
    other classes. ``classes`` are class indices or class names.

    Returns
    -------
    (n,) int64, sorted.
    """
    ds = _check_dataset(dataset)
    n = check_int(n, "n", 1, hint="how many samples start labeled")
    rng = as_generator(check_int(seed, "seed", 0))
    if isinstance(classes, (str, int, np.integer)) or len(classes) == 0:
        raise ValueError(f"classes={classes!r}: give a non-empty list of class indices or names")
    cls = []
    for c in classes:
        if isinstance(c, str) and c in ds.class_names:
            cls.append(ds.class_names.index(c))
        elif isinstance(c, (int, np.integer)) and not isinstance(c, bool) and 0 <= c < ds.n_classes:
            cls.append(int(c))
        else:
            raise ValueError(f"class {c!r} is not one of {ds.class_names} (or an index 0..{ds.n_classes - 1})")
    cls = sorted(set(cls))
    members = [rng.permutation(np.flatnonzero(ds.y == c)) for c in cls]
    available = sum(len(m) for m in members)
    if n > available:
        raise ValueError(f"n={n} is more than the {available} pool samples of classes {cls}")
    take = np.zeros(len(cls), dtype=int)
    while take.sum() < n:  # round-robin over classes that still have samples
        for j, m in enumerate(members):
            if take.sum() < n and take[j] < len(m):
                take[j] += 1
    return np.sort(np.concatenate([m[:t] for m, t in zip(members, take)])).astype(np.int64)


# ---------------------------------------------------------------------- numbers per round
def _meta(session, key: str, given):
    if given is not None:
        arr = np.asarray(given)
    elif key in session.dataset.meta:
        arr = np.asarray(session.dataset.meta[key])
    else:
        raise ValueError(
            f"the session's dataset has no meta[{key!r}]; make it with alviz.scenarios or pass {key}= explicitly"
        )
    if arr.shape != (session.n_pool,):
        raise ValueError(f"{key} has shape {arr.shape}; expected one entry per pool sample ({session.n_pool},)")
    return arr


def outlier_pick_rate(session: Any, is_outlier: Optional[npt.ArrayLike] = None) -> np.ndarray:
    """(rounds,) float: the share of each round's picks that are outliers (``meta["is_outlier"]``)."""
    mask = _meta(session, "is_outlier", is_outlier).astype(bool)
    return np.array([mask[r.selected].mean() if len(r.selected) else np.nan for r in session.rounds])


def duplicate_picks(session: Any, origin: Optional[npt.ArrayLike] = None) -> np.ndarray:
    """(rounds,) int: picks per round that repeat a near-duplicate group already picked that round.

    0 means the round took at most one copy of every group (``meta["origin"]``).
    """
    org = _meta(session, "origin", origin).astype(np.int64)
    return np.array([len(r.selected) - np.unique(org[r.selected]).size for r in session.rounds], dtype=np.int64)


def classes_discovered(session: Any) -> np.ndarray:
    """(rounds,) int: how many classes (true labels) the labeled set covers after each round."""
    y = session.dataset.y
    return np.array(
        [np.unique(y[np.concatenate([r.labeled, r.selected])]).size for r in session.rounds], dtype=np.int64
    )


def label_accuracy(session: Any) -> np.ndarray:
    """(rounds,) float: the share of each round's given labels that agree with the dataset's."""
    return np.array([r.metrics.get("label_accuracy", np.nan) for r in session.rounds], dtype=np.float64)
