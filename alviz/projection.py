"""2-D pictures of representation space: UMAP fitted once, cached on disk, and kept stable.

Three views, each a :class:`Projection` -- an (n_pool, 2) float32 array-like
that the plots take as ``coords`` and that carries its own ``transform``:

- :func:`reference` -- the fixed reference space of a dataset: one UMAP of the
  raw inputs (or the input itself for 2-D toy data). The pool never moves;
  only the markers change from round to round.
- :func:`aligned` -- the task model's own space, one layout per round, each
  warm-started from the previous round's layout and Procrustes-aligned to it,
  so that a point that moves has really moved in the model's representation.
- :func:`strategy_space` -- "the space this strategy looks at": a UMAP of a
  round's ``extras["representation"]`` (VAE latent, contrastive embedding, ...).

Every fit is cached under ``$ALVIZ_CACHE_DIR/projection`` by a hash of the
features and the parameters. The cache is data only: the layout as ``.npy``
(``allow_pickle=False``) and the parameters as JSON -- no pickled UMAP object,
so a cache folder someone hands you never runs code when read. New points are
placed by :meth:`Projection.transform`, which needs only the fitted features
and their layout (see there), so it works the same after a cache hit, with
another cache folder, or with none.

Defaults (``n_neighbors=15, min_dist=0.5``): UMAP's default ``min_dist=0.1``
packs each digit class into a tight dot, so a picture shows islands but no
structure inside them (which picks sit at a class's edge, which in its
middle). ``min_dist=0.5`` spreads each island into a disc with visible inner
structure while the reference view of digits keeps a trustworthiness of
0.985 at 5 neighbours (0.1: 0.989, 0.3: 0.987; ``sklearn.manifold.trustworthiness``
on the digits pool, seed 0; the test asks for >= 0.9).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, TypedDict

import numpy as np
import numpy.typing as npt
from numpy.lib.mixins import NDArrayOperatorsMixin

from ._cache import cache_dir, content_key, read_entry, read_npy, write_entry, write_npy
from ._umap_fit import umap_layout, umap_layout_in_process
from ._validation import check_features, check_int, check_number

if TYPE_CHECKING:
    from .datasets import Dataset

__all__ = [
    "Projection",
    "cached_reference",
    "fit",
    "transform",
    "reference",
    "reference_features",
    "aligned",
    "strategy_space",
    "place_inputs",
    "picture_key",
    "provenance",
    "procrustes_align",
    "pca",
    "knn_place",
    "DEFAULTS",
]

_SUB = "projection"
_VERSION = "umap-v2"  # bump to invalidate every cached projection (v2: data-only cache, no pickled model)
# a warm start keeps its layout when the data did not change only with gentle steps (UMAP's defaults: 1, 500)
_WARM_LEARNING_RATE = 0.25
_WARM_EPOCHS = 200


class _UmapDefaults(TypedDict):
    n_neighbors: int
    min_dist: float
    metric: str


#: the UMAP parameters every view uses unless told otherwise (see the module docstring for why)
DEFAULTS: _UmapDefaults = {"n_neighbors": 15, "min_dist": 0.5, "metric": "euclidean"}


# ----------------------------------------------------------------------------- the Projection object
class Projection(NDArrayOperatorsMixin):
    """A 2-D picture of ``n`` samples: an (n, 2) float32 array that knows how to place new samples.

    It behaves as its array wherever one is accepted (``np.asarray(p)``,
    ``p[idx]``, ``p.shape``, arithmetic, ``len(p)``; results are plain
    arrays), and adds :meth:`transform`.

    Attributes
    ----------
    kind : str
        "input" (2-D data drawn as itself), "umap", "pca" or "aligned".
    space : str
        What :meth:`transform` takes, e.g. "the dataset's inputs (flattened)".
    params : dict
        The parameters of the fit (seed, n_neighbors, min_dist, metric), {} for "input".
    """

    __array_priority__ = 20

    def __init__(
        self,
        coords: npt.ArrayLike,
        features: Optional[npt.ArrayLike] = None,
        kind: str = "umap",
        params: Optional[dict] = None,
        space: str = "the features it was fitted on",
    ) -> None:
        c = np.array(coords, dtype=np.float32)
        if c.ndim != 2 or c.shape[1] != 2:
            raise ValueError(f"a projection is one 2-D point per sample, (n, 2); got shape {c.shape}")
        self._coords = c
        self._features = None if features is None else np.ascontiguousarray(features, dtype=np.float32)
        if self._features is not None and len(self._features) != len(c):
            raise ValueError(f"{len(self._features)} fitted features for {len(c)} positions; they must match")
        self.kind = kind
        self.params = dict(params or {})
        self.space = space
        self._linear: Optional[tuple[np.ndarray, np.ndarray]] = None  # PCA's (mean, (d, 2) map)
        self._nn = None

    # ---- array behaviour
    def __array__(self, dtype=None, copy=None):
        out = self._coords if dtype is None else self._coords.astype(dtype, copy=False)
        return out.copy() if copy and out is self._coords else out

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = tuple(np.asarray(x) if isinstance(x, Projection) else x for x in inputs)
        if "out" in kwargs:
            kwargs["out"] = tuple(np.asarray(x) if isinstance(x, Projection) else x for x in kwargs["out"])
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __len__(self) -> int:
        return len(self._coords)

    def __getitem__(self, key):
        return self._coords[key]

    def __setitem__(self, key, value):
        self._coords[key] = value

    def __iter__(self):
        return iter(self._coords)

    @property
    def shape(self) -> tuple:
        return self._coords.shape

    @property
    def dtype(self) -> np.dtype:
        return self._coords.dtype

    @property
    def ndim(self) -> int:
        return 2

    def __getattr__(self, name):
        # anything else an ndarray has (min, max, T, copy, astype, tolist, ...): the array's own
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._coords, name)

    def __repr__(self) -> str:
        return f"Projection(kind={self.kind!r}, n={len(self)}, params={self.params})"

    # ---- placing new samples
    def transform(self, X: npt.ArrayLike) -> np.ndarray:
        """Where new samples land in this picture, (m, 2) float32.

        ``X`` lives in :attr:`space` (for :func:`reference`: the dataset's
        inputs, any shape that flattens to the fitted width). For 2-D input
        pictures this is the identity. Otherwise each new sample is placed by
        :func:`knn_place`: the weighted mean of the 2-D positions of its
        ``n_neighbors`` nearest fitted samples in feature space, with UMAP's
        fuzzy-set membership weights -- the initial placement umap-learn's own
        ``transform`` starts from. It needs only the fitted features and this
        layout, never the cache or a stored UMAP object, and it is
        deterministic: the same input lands on the same spot.
        """
        if self.kind == "input":
            N = _features(X, "X")
            if N.shape[1] != 2:
                raise ValueError(f"X has {N.shape[1]} features per sample; this picture is the 2-D input itself")
            return N.copy()
        linear = self._linear
        if linear is not None:  # PCA: the same linear map
            mu, W = linear
            N = _features(X, "X")
            if N.shape[1] != len(mu):
                raise ValueError(f"X has {N.shape[1]} features per sample but the projection was fitted on {len(mu)}")
            return ((N - mu) @ W).astype(np.float32)
        if self._features is None:
            raise ValueError(
                f"this {self.kind} picture was made without its features, so it cannot place new "
                "samples; use alviz.projection.reference(dataset)"
            )
        N = _features(X, "X")
        if N.shape[1] != self._features.shape[1]:
            raise ValueError(
                f"X has {N.shape[1]} features per sample but the projection was fitted on "
                f"{self._features.shape[1]}; they must live in the same space ({self.space})"
            )
        k = int(self.params.get("n_neighbors", DEFAULTS["n_neighbors"]))
        metric = self.params.get("metric", "euclidean")
        if self._nn is None and metric != "euclidean":  # built once per picture, reused by every later transform
            from sklearn.neighbors import NearestNeighbors

            self._nn = NearestNeighbors(n_neighbors=min(k, len(self._features)), metric=metric).fit(self._features)
        return knn_place(self._features, self._coords, N, k=k, metric=metric, index=self._nn)


def knn_place(
    fitted: npt.ArrayLike,
    layout: npt.ArrayLike,
    new: npt.ArrayLike,
    k: int = 15,
    metric: str = "euclidean",
    index: Any = None,
) -> np.ndarray:
    """Place ``new`` samples in ``layout`` (the 2-D positions of ``fitted``) by their k nearest neighbours.

    For each new sample with neighbour distances d_1 <= ... <= d_k, the weights
    are UMAP's fuzzy memberships w_j = exp(-(d_j - d_1) / sigma), with sigma
    chosen (binary search) so that sum_j w_j = log2(k); the position is
    sum_j w_j y_j / sum_j w_j. This is how umap-learn initialises
    ``UMAP.transform`` before its optimisation; without that last step a point
    lands at most a few neighbours' spacing from where a refit would put it.
    ``index``: a fitted ``sklearn.neighbors.NearestNeighbors`` on ``fitted`` to reuse.

    Returns
    -------
    (m, 2) float32.
    """
    F = np.asarray(fitted, dtype=np.float32)
    Y = np.asarray(layout, dtype=np.float64)
    N = np.asarray(new, dtype=np.float32)
    k = max(1, min(int(k), len(F)))
    if metric == "euclidean" and index is None:
        d, idx = _euclidean_knn(F, N, k)
    else:
        from sklearn.neighbors import NearestNeighbors

        nn = index if index is not None else NearestNeighbors(n_neighbors=k, metric=metric).fit(F)
        d, idx = nn.kneighbors(N)  # (m, k), ascending
    d = d.astype(np.float64)
    excess = np.maximum(d - d[:, :1], 0.0)
    target = np.log2(k) if k > 1 else 1.0
    lo = np.zeros(len(N))
    hi = np.full(len(N), np.inf)
    sigma = np.ones(len(N))
    for _ in range(64):
        s = np.exp(-excess / sigma[:, None]).sum(axis=1)
        big = s > target  # too much weight: shrink sigma
        hi = np.where(big, sigma, hi)
        lo = np.where(big, lo, sigma)
        sigma = np.where(np.isinf(hi), sigma * 2.0, (lo + hi) / 2.0)
    w = np.exp(-excess / np.maximum(sigma[:, None], 1e-12))
    w /= w.sum(axis=1, keepdims=True)
    return np.einsum("mk,mkc->mc", w, Y[idx]).astype(np.float32)


def _euclidean_knn(F: np.ndarray, N: np.ndarray, k: int, chunk: int = 2048) -> tuple:
    """(distances, indices), each (m, k) ascending: brute force in numpy, in chunks of ``chunk`` queries.

    (scikit-learn's search would do, but each call pays threadpoolctl's scan of the
    loaded libraries -- about 0.2 s once torch and numba are loaded.)
    """
    F64 = F.astype(np.float64)
    f2 = np.einsum("ij,ij->i", F64, F64)
    ds, ids = [], []
    for s in range(0, len(N), chunk):
        Q = N[s : s + chunk].astype(np.float64)
        d2 = np.einsum("ij,ij->i", Q, Q)[:, None] + f2[None, :] - 2.0 * Q @ F64.T  # (c, n)
        np.maximum(d2, 0.0, out=d2)
        part = (
            np.argpartition(d2, k - 1, axis=1)[:, :k]
            if k < d2.shape[1]
            else np.tile(np.arange(d2.shape[1]), (len(Q), 1))
        )
        dk = np.take_along_axis(d2, part, axis=1)
        order = np.argsort(dk, axis=1, kind="stable")
        ids.append(np.take_along_axis(part, order, axis=1))
        ds.append(np.sqrt(np.take_along_axis(dk, order, axis=1)))
    return np.concatenate(ds), np.concatenate(ids)


# ----------------------------------------------------------------------------- parameters
def _params(seed, n_neighbors, min_dist, metric) -> dict:
    check_int(seed, "seed", 0, hint="UMAP is seeded from it")
    check_int(n_neighbors, "n_neighbors", 2, hint="15 is a good default")
    check_number(min_dist, "min_dist", 0.0, 1.0, hint=f"{DEFAULTS['min_dist']} is the default")
    if not isinstance(metric, str):
        raise TypeError(f"metric must be a metric name such as 'euclidean' or 'cosine', got {type(metric).__name__}")
    return {"seed": int(seed), "n_neighbors": int(n_neighbors), "min_dist": float(min_dist), "metric": metric}


def _features(features, name: str = "features") -> np.ndarray:
    F = check_features(features, name)
    return np.ascontiguousarray(F.reshape(len(F), -1), dtype=np.float32)


def _umap_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("umap-learn")
    except PackageNotFoundError:  # pragma: no cover - umap-learn is a runtime dependency
        return "unknown"


def _fit_key(F: np.ndarray, params: dict, init: Optional[np.ndarray]) -> str:
    if init is None:
        return content_key(_VERSION, _umap_version(), F, params, "init", "spectral")
    return content_key(
        _VERSION, _umap_version(), F, params, "init", init, "lr", _WARM_LEARNING_RATE, "epochs", _WARM_EPOCHS
    )


def _save_npy(path: Path, arr: np.ndarray) -> None:
    write_npy(path, arr)  # checksummed; a full disk warns and carries on uncached


def _load_npy(path: Path, shape: Optional[tuple] = None) -> Optional[np.ndarray]:
    return read_npy(path, shape)  # a broken entry is removed (with a CacheWarning): recompute


def _record(coords: np.ndarray, info: dict) -> None:
    """Remember where a picture came from, keyed by the picture's own content (see :func:`provenance`)."""
    path = cache_dir(_SUB) / f"coords-{content_key(coords)}.json"
    if not path.exists():
        write_entry(path, json.dumps(info, sort_keys=True).encode())


# ----------------------------------------------------------------------------- fit / transform
def _run_umap(F: np.ndarray, params: dict, init: Optional[np.ndarray], own_process: bool = False) -> np.ndarray:
    n = len(F)
    if params["n_neighbors"] >= n:
        raise ValueError(
            f"n_neighbors={params['n_neighbors']} needs more samples than that, got {n}; "
            f"pass n_neighbors={max(2, n - 1)} or fewer"
        )
    if init is None and own_process:
        from ._threads import BACKGROUND_NICENESS

        try:
            return umap_layout_in_process(F, params, niceness=BACKGROUND_NICENESS)
        except OSError:  # no child process here (a sandbox without fork/exec): fit in this one
            pass
    if init is None:
        return umap_layout(F, params)
    return umap_layout(F, params, init, learning_rate=_WARM_LEARNING_RATE, n_epochs=_WARM_EPOCHS)


def _fit(F: np.ndarray, params: dict, init: Optional[np.ndarray] = None, own_process: bool = False):
    key = _fit_key(F, params, init)
    d = cache_dir(_SUB)
    coords_path = d / f"{key}.npy"
    coords = _load_npy(coords_path, (len(F), 2))
    if coords is None:
        coords = _run_umap(F, params, init, own_process=True) if own_process else _run_umap(F, params, init)
        _save_npy(coords_path, coords)
        write_entry(
            d / f"{key}.json",
            json.dumps(
                {
                    "features_key": content_key(F),
                    "n": len(F),
                    "d": int(F.shape[1]),
                    "warm_start": init is not None,
                    "umap": _umap_version(),
                    **params,
                },
                sort_keys=True,
            ).encode(),
        )
    _record(coords, {"fit_key": key, "features_key": content_key(F), **params})
    return coords, key


def fit(
    features: npt.ArrayLike,
    seed: int = 0,
    n_neighbors: int = DEFAULTS["n_neighbors"],
    min_dist: float = DEFAULTS["min_dist"],
    metric: str = DEFAULTS["metric"],
    init: Optional[npt.ArrayLike] = None,
    own_process: bool = False,
) -> Projection:
    """A 2-D UMAP of ``features``, cached on disk: the second call with the same input is a file read.

    Parameters
    ----------
    features : (n, d) array (higher-rank samples are flattened), finite.
    seed : int, UMAP's ``random_state`` (same seed, same picture).
    n_neighbors, min_dist, metric : UMAP's parameters (defaults: :data:`DEFAULTS`).
    init : (n, 2) array, optional
        A starting layout (warm start, optimised with a gentler step size so that an
        unchanged input keeps its layout); default UMAP's spectral initialisation.
    own_process : bool
        Fit (a spectral start only) in a fresh Python process at a lower priority
        (:func:`alviz._umap_fit.umap_layout_in_process`), the same picture as a fit here: the
        explorers' background fits use it so that a round run meanwhile keeps the interpreter
        and a core to itself. Falls back to fitting here when no process can be started.

    Returns
    -------
    Projection, (n, 2) float32 array-like whose ``transform`` places new rows of ``features``' space.

    References
    ----------
    McInnes, L., Healy, J. & Melville, J. (2018). UMAP: uniform manifold
    approximation and projection for dimension reduction. arXiv:1802.03426.
    """
    F = _features(features)
    params = _params(seed, n_neighbors, min_dist, metric)
    if init is not None:
        init = np.ascontiguousarray(check_features(init, "init"), dtype=np.float32)
        if init.shape != (len(F), 2):
            raise ValueError(f"init has shape {init.shape}; a warm start needs one 2-D point per sample ({len(F)}, 2)")
    coords, _ = _fit(F, params, init, own_process=bool(own_process))
    return Projection(coords, F, kind="umap", params=params)


def pca(features: npt.ArrayLike, space: str = "the features it was fitted on") -> Projection:
    """A quick provisional picture: the first two principal components of ``features`` (no cache, < 1 s).

    Used while a UMAP is being fitted; its ``transform`` is the same linear map. ``space`` names what
    ``features`` are, for the picture's caption (e.g. "the dataset's inputs").
    """
    F = _features(features)
    mu = F.mean(axis=0)
    A = (F - mu).astype(np.float64)
    if F.shape[1] >= 2:
        _, _, Vt = np.linalg.svd(A[:: max(1, len(A) // 5000)], full_matrices=False)
        W = Vt[:2].T
    else:
        W = np.eye(F.shape[1], 2)
    coords = (A @ W).astype(np.float32)
    p = Projection(coords, None, kind="pca", space=space)
    p._linear = (mu, W.astype(np.float32))
    return p


def transform(
    features_new: npt.ArrayLike,
    fitted_on: npt.ArrayLike,
    seed: int = 0,
    n_neighbors: int = DEFAULTS["n_neighbors"],
    min_dist: float = DEFAULTS["min_dist"],
    metric: str = DEFAULTS["metric"],
) -> np.ndarray:
    """Place new points in the picture ``fit(fitted_on, seed, ...)`` (same parameters).

    The same as ``fit(fitted_on, ...).transform(features_new)`` (the fit is a cache hit
    when it ran before). Use it for points that are not in the pool, e.g. x + r for an
    adversarial perturbation r.

    Returns
    -------
    (m, 2) float32 array.
    """
    F = _features(fitted_on, "fitted_on")
    N = _features(features_new, "features_new")
    if N.shape[1] != F.shape[1]:
        raise ValueError(
            f"features_new has {N.shape[1]} features per sample but the projection was fitted on {F.shape[1]}; "
            "they must live in the same space"
        )
    return fit(F, seed=seed, n_neighbors=n_neighbors, min_dist=min_dist, metric=metric).transform(N)


def provenance(coords: Any) -> Optional[dict]:
    """Where a picture made by :func:`fit` came from: ``{"features_key", "seed", "n_neighbors", ...}``, or None.

    ``features_key`` is :func:`alviz._cache.content_key` of the fitted features
    (as float32, flattened). None when ``coords`` did not come out of this cache.
    A :class:`Projection` knows this itself (``kind``, ``params``); this is for plain arrays.
    """
    c = np.ascontiguousarray(np.asarray(coords, dtype=np.float32))
    path = cache_dir(_SUB) / f"coords-{content_key(c)}.json"
    data = read_entry(path)
    if data is None:
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except ValueError:
        return None


# ----------------------------------------------------------------------------- the views
def reference(
    dataset: Dataset,
    seed: int = 0,
    n_neighbors: int = DEFAULTS["n_neighbors"],
    min_dist: float = DEFAULTS["min_dist"],
    metric: str = DEFAULTS["metric"],
    own_process: bool = False,
) -> Projection:
    """The fixed reference view of a dataset, a :class:`Projection` (n_pool, 2) float32.

    2-D toy data is drawn in its input space (no UMAP; ``transform`` is the
    identity); anything else is a UMAP of the flattened pool (or of the
    dataset's own features, ``Dataset.features``, when it has them: see
    :func:`reference_features`), fitted once and cached, whose ``transform``
    places new inputs (any shape that flattens to the width of what was fitted).
    ``own_process=True`` fits in a separate process (see :func:`fit`), as the explorers do.
    """
    if getattr(dataset, "is_2d", False):
        return Projection(np.array(dataset.X, dtype=np.float32), None, kind="input", space="the 2-D inputs")
    F, space = reference_features(dataset)
    p = fit(F, seed=seed, n_neighbors=n_neighbors, min_dist=min_dist, metric=metric, own_process=own_process)
    p.space = space
    return p


def reference_features(dataset: Dataset) -> tuple:
    """(features (n_pool, d), what they are, in words): what the reference picture is a UMAP of.

    The dataset's own features when it has them (``Dataset.features``, from
    ``from_arrays(..., features=F)``), else the flattened inputs.

    Parameters
    ----------
    dataset : alviz.datasets.Dataset

    Returns
    -------
    tuple of (numpy.ndarray, str)
    """
    own = getattr(dataset, "features", None)
    if own is not None:
        return np.asarray(own, dtype=np.float32), "your own features of the dataset"
    return dataset.flat(), "the dataset's inputs (flattened)"


def cached_reference(
    dataset: Dataset,
    seed: int = 0,
    n_neighbors: int = DEFAULTS["n_neighbors"],
    min_dist: float = DEFAULTS["min_dist"],
    metric: str = DEFAULTS["metric"],
) -> Optional[Projection]:
    """:func:`reference` when it needs no fitting (2-D data, or the UMAP is in the cache), else None. Never fits."""
    if getattr(dataset, "is_2d", False):
        return reference(dataset)
    raw, space = reference_features(dataset)
    F = _features(raw)
    params = _params(seed, n_neighbors, min_dist, metric)
    coords = _load_npy(cache_dir(_SUB) / f"{_fit_key(F, params, None)}.npy", (len(F), 2))
    if coords is None:
        return None
    return Projection(coords, F, kind="umap", params=params, space=space)


def place_inputs(dataset: Dataset, coords: npt.ArrayLike, X_new: npt.ArrayLike) -> np.ndarray:
    """Where new inputs (same shape as the pool's samples) land in the picture ``coords`` of ``dataset``.

    Works for the pictures that are a projection of the inputs: the 2-D input
    itself for toy data, or :func:`reference` (a :class:`Projection`, or a plain
    array that came out of this cache). A model-space or strategy-space picture
    cannot place inputs (the model that mapped them is gone) and raises ValueError.
    """
    X_new = np.asarray(X_new, dtype=np.float32)
    if X_new.shape[1:] != dataset.input_shape:
        raise ValueError(f"X_new has samples of shape {X_new.shape[1:]}, the pool's are {dataset.input_shape}")
    c = np.asarray(coords, dtype=np.float32)
    if dataset.is_2d and c.shape == dataset.X.shape and np.array_equal(c, dataset.X):
        return X_new.copy()
    flat = None
    if isinstance(coords, Projection) and coords.kind == "umap" and coords._features is not None:
        flat = np.ascontiguousarray(dataset.flat(), dtype=np.float32)
        if coords._features.shape == flat.shape and np.array_equal(coords._features, flat):
            return coords.transform(X_new.reshape(len(X_new), -1))
    info = provenance(c)
    if flat is None:
        flat = np.ascontiguousarray(dataset.flat(), dtype=np.float32)
    if info is None or info.get("features_key") != content_key(flat):
        raise ValueError(
            "these coordinates are not a projection of the dataset's inputs (e.g. a model-space view), so new "
            "inputs cannot be placed in them; use alviz.projection.reference(dataset) as coords"
        )
    return transform(
        X_new.reshape(len(X_new), -1),
        flat,
        seed=info["seed"],
        n_neighbors=info["n_neighbors"],
        min_dist=info["min_dist"],
        metric=info["metric"],
    )


def picture_key(coords: npt.ArrayLike) -> str:
    """The key of a picture: :func:`alviz._cache.content_key` of its (n, 2) coordinates as float32.

    ``Round.placed`` is keyed by it, so a picture finds the inputs the Session placed in it
    (:meth:`alviz.Session.place_inputs`), whether it is given as a :class:`Projection` or as an array.

    Parameters
    ----------
    coords : (n, 2) array-like, a picture's coordinates.

    Returns
    -------
    str
    """
    return content_key(np.ascontiguousarray(np.asarray(coords), dtype=np.float32))


def procrustes_align(Y: npt.ArrayLike, ref: npt.ArrayLike) -> np.ndarray:
    """Y moved onto ``ref`` by the similarity transform (rotation or reflection, uniform scale,
    shift) that minimises the summed squared distance between matching rows.

    Parameters
    ----------
    Y, ref : (n, 2) arrays of the same points.

    Returns
    -------
    (n, 2) float32, s * (Y - mean Y) @ R + mean ref.
    """
    Y = np.asarray(Y, dtype=np.float64)
    R0 = np.asarray(ref, dtype=np.float64)
    if Y.shape != R0.shape or Y.ndim != 2:
        raise ValueError(f"Y {Y.shape} and ref {R0.shape} must be the same points: equal (n, d) shapes")
    mu_y, mu_r = Y.mean(axis=0), R0.mean(axis=0)
    A, B = Y - mu_y, R0 - mu_r
    U, S, Vt = np.linalg.svd(A.T @ B)
    R = U @ Vt
    norm = float(np.sum(A * A))
    scale = float(S.sum()) / norm if norm > 0 else 1.0
    return (scale * A @ R + mu_r).astype(np.float32)


def _round_features(session, rnd) -> np.ndarray:
    if rnd.embedding is not None:
        return rnd.embedding
    if rnd.proba is None:  # nothing labeled yet: the strategy saw the raw input, so do we
        return session.dataset.flat()
    raise ValueError(
        f"round {rnd.index} has no model embedding (the task model has no embed(), or the session was made with "
        "record_embeddings=False), so there is no model space to draw; use alviz.projection.reference(dataset)"
    )


def aligned(
    session: Any,
    seed: int = 0,
    n_neighbors: int = DEFAULTS["n_neighbors"],
    min_dist: float = DEFAULTS["min_dist"],
    metric: str = DEFAULTS["metric"],
    method: str = "warm",
) -> list:
    """The task model's space, one (n_pool, 2) float32 :class:`Projection` per round, aligned across rounds.

    Each round is drawn from its model embedding (the raw input for a round
    with no model yet, as the strategy saw it), and consecutive pictures are
    tied together so that a point that moves has moved in the model's
    representation, not because UMAP turned the picture around.

    Parameters
    ----------
    method : "warm" or "aligned_umap"
        "warm" (default, incremental): round 0 is a UMAP of its embedding; round t
        is a UMAP warm-started from round t-1's picture, then Procrustes-aligned to
        it (rotation/reflection, scale, shift). Each round is cached, so a new round
        costs one fit -- right for stepping a session live.
        "aligned_umap": umap-learn's AlignedUMAP over all rounds with identity
        relations (each sample is itself in every round). About 10x steadier where
        nothing changed, but every new round refits the whole chain (cached as a whole).

    References
    ----------
    McInnes, L., Healy, J. & Melville, J. (2018). UMAP: uniform manifold
    approximation and projection for dimension reduction. arXiv:1802.03426.
    Gower, J. C. (1975). Generalized Procrustes analysis. Psychometrika 40, 33-51.
    """
    if not session.rounds:
        raise ValueError("the session has no rounds yet; run session.step() first")
    if method not in ("warm", "aligned_umap"):
        raise ValueError(f"method={method!r}; choose 'warm' (incremental) or 'aligned_umap' (joint, steadier)")
    params = _params(seed, n_neighbors, min_dist, metric)
    feats = [_features(_round_features(session, rnd), f"round {rnd.index} embedding") for rnd in session.rounds]
    if method == "aligned_umap" and len(feats) > 1:
        layouts = _aligned_umap(feats, params)
    else:
        layouts, prev = [], None
        for F in feats:
            coords, _ = _fit(F, params, init=prev)
            if prev is not None:
                coords = procrustes_align(coords, prev)
            layouts.append(coords)
            prev = coords
    return [
        Projection(c, F, kind="aligned", params=params, space=f"round {rnd.index}'s model embedding")
        for c, F, rnd in zip(layouts, feats, session.rounds)
    ]


def _aligned_umap(feats: list, params: dict) -> list:
    n = len(feats[0])
    key = content_key(_VERSION, _umap_version(), "aligned", params, *feats)
    path = cache_dir(_SUB) / f"{key}.npy"
    stack = _load_npy(path, (len(feats), n, 2))
    if stack is None:
        import umap

        if params["n_neighbors"] >= n:
            raise ValueError(
                f"n_neighbors={params['n_neighbors']} needs more samples than that, got {n}; "
                f"pass n_neighbors={max(2, n - 1)} or fewer"
            )
        model = umap.AlignedUMAP(
            n_neighbors=params["n_neighbors"],
            min_dist=params["min_dist"],
            metric=params["metric"],
            random_state=params["seed"],
        )
        identity = {i: i for i in range(n)}
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="n_jobs value", category=UserWarning)
            model.fit(feats, relations=[identity] * (len(feats) - 1))
        stack = np.stack([np.asarray(e, dtype=np.float32) for e in model.embeddings_])
        _save_npy(path, stack)
    return [stack[i].copy() for i in range(len(feats))]


def strategy_space(
    rnd: Any,
    seed: int = 0,
    n_neighbors: int = DEFAULTS["n_neighbors"],
    min_dist: float = DEFAULTS["min_dist"],
    metric: str = DEFAULTS["metric"],
) -> Projection:
    """A UMAP of "the space this strategy looks at": the round's ``extras["representation"]``.

    ``extras["representation_name"]`` says what it is (e.g. "VAE latent μ").
    """
    rep = rnd.extras.get("representation")
    if rep is None:
        raise ValueError(
            f"strategy {rnd.strategy!r} put no 'representation' in its extras; draw it in "
            "alviz.projection.reference(dataset) or alviz.projection.aligned(session) instead"
        )
    if len(rep) != len(rnd.scores):
        raise ValueError(f"extras['representation'] has {len(rep)} rows for a pool of {len(rnd.scores)}")
    p = fit(rep, seed=seed, n_neighbors=n_neighbors, min_dist=min_dist, metric=metric)
    p.space = f"round {rnd.index}'s {rnd.extras.get('representation_name') or 'strategy representation'}"
    return p
