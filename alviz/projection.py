"""2-D pictures of representation space: UMAP fitted once, cached on disk, and kept stable.

Three views, all (n_pool, 2) float32 arrays that the plots take as ``coords``:

- :func:`reference` -- the fixed reference space of a dataset: one UMAP of the
  raw inputs (or the input itself for 2-D toy data). The pool never moves;
  only the markers change from round to round.
- :func:`aligned` -- the task model's own space, one layout per round, each
  warm-started from the previous round's layout and Procrustes-aligned to it,
  so that a point that moves has really moved in the model's representation.
- :func:`strategy_space` -- "the space this strategy looks at": a UMAP of a
  round's ``extras["representation"]`` (VAE latent, contrastive embedding, ...).

Every fit is cached under ``$ALVIZ_CACHE_DIR/projection`` by a hash of the
features and the parameters, with the fitted UMAP object next to it, so a
second call is a file read and :func:`transform` can place new points (e.g.
x + an adversarial perturbation) in an existing picture.
"""
from __future__ import annotations

import io
import json
import pickle
import warnings
from pathlib import Path
from typing import Optional

import numpy as np

from ._cache import atomic_write_bytes, cache_dir, content_key
from ._validation import check_features, check_int, check_number

__all__ = ["fit", "transform", "reference", "aligned", "strategy_space", "place_inputs", "provenance",
           "procrustes_align"]

_SUB = "projection"
_VERSION = "umap-v1"  # bump to invalidate every cached projection
# a warm start keeps its layout when the data did not change only with gentle steps (UMAP's defaults: 1, 500)
_WARM_LEARNING_RATE = 0.25
_WARM_EPOCHS = 200


# ----------------------------------------------------------------------------- parameters
def _params(seed, n_neighbors, min_dist, metric) -> dict:
    check_int(seed, "seed", 0, hint="UMAP is seeded from it")
    check_int(n_neighbors, "n_neighbors", 2, hint="15 is a good default")
    check_number(min_dist, "min_dist", 0.0, 1.0, hint="0.1 is a good default")
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
    return content_key(_VERSION, _umap_version(), F, params, "init", init, "lr", _WARM_LEARNING_RATE,
                       "epochs", _WARM_EPOCHS)


def _paths(key: str) -> tuple:
    d = cache_dir(_SUB)
    return d / f"{key}.npy", d / f"{key}.umap.pkl"


def _save_npy(path: Path, arr: np.ndarray) -> None:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    atomic_write_bytes(path, buf.getvalue())


def _load_npy(path: Path) -> Optional[np.ndarray]:
    if not path.exists():
        return None
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError):
        path.unlink(missing_ok=True)  # a broken entry: recompute
        return None


def _record(coords: np.ndarray, info: dict) -> None:
    """Remember where a picture came from, keyed by the picture's own content (see :func:`provenance`)."""
    path = cache_dir(_SUB) / f"coords-{content_key(coords)}.json"
    if not path.exists():
        atomic_write_bytes(path, json.dumps(info, sort_keys=True).encode())


# ----------------------------------------------------------------------------- fit / transform
def _run_umap(F: np.ndarray, params: dict, init: Optional[np.ndarray]):
    import umap  # heavy: numba compiles on first import

    n = len(F)
    if params["n_neighbors"] >= n:
        raise ValueError(
            f"n_neighbors={params['n_neighbors']} needs more samples than that, got {n}; "
            f"pass n_neighbors={max(2, n - 1)} or fewer"
        )
    model = umap.UMAP(n_components=2, n_neighbors=params["n_neighbors"], min_dist=params["min_dist"],
                      metric=params["metric"], random_state=params["seed"], n_jobs=1,
                      init="spectral" if init is None else init,
                      learning_rate=1.0 if init is None else _WARM_LEARNING_RATE,
                      n_epochs=None if init is None else _WARM_EPOCHS)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="n_jobs value", category=UserWarning)
        coords = model.fit_transform(F)
    return np.asarray(coords, dtype=np.float32), model


def _fit(F: np.ndarray, params: dict, init: Optional[np.ndarray] = None, keep_model: bool = True):
    key = _fit_key(F, params, init)
    coords_path, model_path = _paths(key)
    coords = _load_npy(coords_path)
    if coords is None or coords.shape != (len(F), 2):
        coords, model = _run_umap(F, params, init)
        if keep_model:
            atomic_write_bytes(model_path, pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
        _save_npy(coords_path, coords)
    _record(coords, {"fit_key": key, "features_key": content_key(F), **params})
    return coords, key


def fit(features, seed: int = 0, n_neighbors: int = 15, min_dist: float = 0.1, metric: str = "euclidean",
        init=None) -> np.ndarray:
    """A 2-D UMAP of ``features``, cached on disk: the second call with the same input is a file read.

    Parameters
    ----------
    features : (n, d) array (higher-rank samples are flattened), finite.
    seed : int, UMAP's ``random_state`` (same seed, same picture).
    n_neighbors, min_dist, metric : UMAP's parameters.
    init : (n, 2) array, optional
        A starting layout (warm start, optimised with a gentler step size so that an
        unchanged input keeps its layout); default UMAP's spectral initialisation.

    Returns
    -------
    (n, 2) float32 array.

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
    coords, _ = _fit(F, params, init)
    return coords.copy()


def _load_model(F: np.ndarray, params: dict):
    key = _fit_key(F, params, None)
    _, model_path = _paths(key)
    if model_path.exists():
        try:
            with open(model_path, "rb") as f:
                return pickle.load(f), key
        except (pickle.UnpicklingError, EOFError, ValueError, AttributeError, ImportError):
            model_path.unlink(missing_ok=True)
    coords, model = _run_umap(F, params, None)
    atomic_write_bytes(model_path, pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
    coords_path, _ = _paths(key)
    if not coords_path.exists():
        _save_npy(coords_path, coords)
        _record(coords, {"fit_key": key, "features_key": content_key(F), **params})
    return model, key


def transform(features_new, fitted_on, seed: int = 0, n_neighbors: int = 15, min_dist: float = 0.1,
              metric: str = "euclidean") -> np.ndarray:
    """Place new points in the picture ``fit(fitted_on, seed, ...)`` (same parameters), cached.

    The UMAP fitted on ``fitted_on`` is read from the cache (fitted if absent).
    Use it for points that are not in the pool, e.g. x + r for an adversarial
    perturbation r.

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
    params = _params(seed, n_neighbors, min_dist, metric)
    fit_key = _fit_key(F, params, None)
    path = cache_dir(_SUB) / f"{content_key('transform', fit_key, N)}.npy"
    out = _load_npy(path)
    if out is None or out.shape != (len(N), 2):
        model, _ = _load_model(F, params)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="n_jobs value", category=UserWarning)
            out = np.asarray(model.transform(N), dtype=np.float32)
        _save_npy(path, out)
    return out.copy()


def provenance(coords) -> Optional[dict]:
    """Where a picture made by :func:`fit` came from: ``{"features_key", "seed", "n_neighbors", ...}``, or None.

    ``features_key`` is :func:`alviz._cache.content_key` of the fitted features
    (as float32, flattened). None when ``coords`` did not come out of this cache.
    """
    c = np.ascontiguousarray(np.asarray(coords, dtype=np.float32))
    path = cache_dir(_SUB) / f"coords-{content_key(c)}.json"
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except (ValueError, OSError):
        return None


# ----------------------------------------------------------------------------- the views
def reference(dataset, seed: int = 0, n_neighbors: int = 15, min_dist: float = 0.1,
              metric: str = "euclidean") -> np.ndarray:
    """The fixed reference view of a dataset, (n_pool, 2) float32.

    2-D toy data is drawn in its input space (no UMAP); anything else is a
    UMAP of the flattened pool, fitted once and cached.
    """
    if getattr(dataset, "is_2d", False):
        return np.array(dataset.X, dtype=np.float32)
    return fit(dataset.flat(), seed=seed, n_neighbors=n_neighbors, min_dist=min_dist, metric=metric)


def place_inputs(dataset, coords, X_new) -> np.ndarray:
    """Where new inputs (same shape as the pool's samples) land in the picture ``coords`` of ``dataset``.

    Works for the pictures that are a projection of the inputs: the 2-D input
    itself for toy data, or :func:`reference` (any seed and parameters). A
    model-space or strategy-space picture cannot place inputs (the model that
    mapped them is gone) and raises ValueError.
    """
    coords = np.asarray(coords, dtype=np.float32)
    X_new = np.asarray(X_new, dtype=np.float32)
    if X_new.shape[1:] != dataset.input_shape:
        raise ValueError(f"X_new has samples of shape {X_new.shape[1:]}, the pool's are {dataset.input_shape}")
    if dataset.is_2d and coords.shape == dataset.X.shape and np.array_equal(coords, dataset.X):
        return X_new.copy()
    info = provenance(coords)
    flat = dataset.flat()
    if info is None or info.get("features_key") != content_key(np.ascontiguousarray(flat, dtype=np.float32)):
        raise ValueError(
            "these coordinates are not a projection of the dataset's inputs (e.g. a model-space view), so new "
            "inputs cannot be placed in them; use alviz.projection.reference(dataset) as coords"
        )
    return transform(X_new.reshape(len(X_new), -1), flat, seed=info["seed"], n_neighbors=info["n_neighbors"],
                     min_dist=info["min_dist"], metric=info["metric"])


def procrustes_align(Y, ref) -> np.ndarray:
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


def aligned(session, seed: int = 0, n_neighbors: int = 15, min_dist: float = 0.1,
            metric: str = "euclidean", method: str = "warm") -> list:
    """The task model's space, one (n_pool, 2) float32 picture per round, aligned across rounds.

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
        return _aligned_umap(feats, params)
    out: list = []
    prev = None
    for F in feats:
        coords, _ = _fit(F, params, init=prev, keep_model=False)
        if prev is not None:
            coords = procrustes_align(coords, prev)
        out.append(coords)
        prev = coords
    return out


def _aligned_umap(feats: list, params: dict) -> list:
    n = len(feats[0])
    key = content_key(_VERSION, _umap_version(), "aligned", params, *feats)
    path = cache_dir(_SUB) / f"{key}.npy"
    stack = _load_npy(path)
    if stack is None or stack.shape != (len(feats), n, 2):
        import umap

        if params["n_neighbors"] >= n:
            raise ValueError(f"n_neighbors={params['n_neighbors']} needs more samples than that, got {n}; "
                             f"pass n_neighbors={max(2, n - 1)} or fewer")
        model = umap.AlignedUMAP(n_neighbors=params["n_neighbors"], min_dist=params["min_dist"],
                                 metric=params["metric"], random_state=params["seed"])
        identity = {i: i for i in range(n)}
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="n_jobs value", category=UserWarning)
            model.fit(feats, relations=[identity] * (len(feats) - 1))
        stack = np.stack([np.asarray(e, dtype=np.float32) for e in model.embeddings_])
        _save_npy(path, stack)
    return [stack[i].copy() for i in range(len(feats))]


def strategy_space(rnd, seed: int = 0, n_neighbors: int = 15, min_dist: float = 0.1,
                   metric: str = "euclidean") -> np.ndarray:
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
    return fit(rep, seed=seed, n_neighbors=n_neighbors, min_dist=min_dist, metric=metric)
