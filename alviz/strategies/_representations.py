"""Representations of the pool that belong to the pool, not to one strategy: the contrastive embedding.

A context-level service: :func:`pool_contrastive_embedding` trains a small
SimCLR encoder on the whole pool once (cached on disk by
:func:`alviz.encoders.fit_contrastive`, and in memory in the Session's cache
across rounds, keyed by the pool's content hash ``ctx.pool_key``), and
:func:`contrastive_transform` maps arbitrary inputs into the same space. Every
strategy that works in that space (``contrastive_coreset``, ``typiclust``,
``prototype``, ``probcover``) asks here, so strategy modules never import
each other for it.
"""

from __future__ import annotations

import numpy as np

from .._cache import content_key
from .._params import Integral, Interval, Satisfies, validate_params
from .._validation import check_features
from ..contrastive_encoder import fit_contrastive

__all__ = [
    "CONTRASTIVE_NAME",
    "ENCODER_PARAMS",
    "check_encoder_params",
    "pool_contrastive_fit",
    "pool_contrastive_embedding",
    "contrastive_transform",
]

#: the name the pictures give the contrastive space
CONTRASTIVE_NAME = "contrastive embedding (SimCLR)"


def _encoder_params_ok(value) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) for k in value) and not {"X", "seed"} & set(value)


#: the declared constraint of ``encoder_params`` (with None), shared by every contrastive user
ENCODER_PARAMS = Satisfies(
    _encoder_params_ok,
    "a dict of alviz.encoders.fit_contrastive parameters (str keys, "
    "without 'X' or 'seed': use encoder_seed for the seed)",
)


def check_encoder_params(encoder_seed, encoder_params) -> None:
    """InvalidParameterError for a bad encoder seed or parameter dict (the declared constraints, checked)."""
    validate_params(
        "the contrastive encoder",
        {"encoder_seed": [Interval(Integral, 0, None)], "encoder_params": [None, ENCODER_PARAMS]},
        {"encoder_seed": encoder_seed, "encoder_params": encoder_params},
    )


def _keys(ctx, encoder_seed, encoder_params, progress):
    params = dict(encoder_params or {})
    params.setdefault("progress", progress)
    key = (
        "contrastive_embedding",
        ctx.pool_key,
        int(encoder_seed),
        content_key({k: v for k, v in params.items() if k != "progress"}),
    )
    return params, key


def pool_contrastive_fit(ctx, encoder_seed: int = 0, encoder_params=None, progress: bool = True, device: str = "cpu"):
    """The pool's contrastive encoder (:class:`alviz.encoders.ContrastiveFit`), fitted once, on ``device``.

    Trained once per (pool, seed, parameters) and cached on disk by :func:`alviz.encoders.fit_contrastive`
    (the device is not part of that key); within a round it is kept in the context's memo with its device,
    and its pool embedding in ``ctx.cache`` across rounds (data, so a session file keeps it).
    """
    params, key = _keys(ctx, encoder_seed, encoder_params, progress)

    def fit():
        out = fit_contrastive(check_features(ctx.X, "X"), int(encoder_seed), device=device, **params)
        ctx.cache.setdefault(key, out.embedding)
        return out

    return ctx.memoize(key + (str(device),), fit)


def pool_contrastive_embedding(
    ctx, encoder_seed: int = 0, encoder_params=None, progress: bool = True, device: str = "cpu"
) -> np.ndarray:
    """(n_pool, d) float32 L2-normalised contrastive embedding of ``ctx.X`` (of :func:`pool_contrastive_fit`).

    ``ctx.cache`` (kept by the Session across rounds) skips even the disk read and the hashing of the pool.
    """
    _, key = _keys(ctx, encoder_seed, encoder_params, progress)
    if key not in ctx.cache:
        pool_contrastive_fit(ctx, encoder_seed, encoder_params, progress, device)
    return ctx.cache[key]


def contrastive_transform(ctx, X, encoder_seed: int = 0, encoder_params=None, device: str = "cpu") -> np.ndarray:
    """(m, d) the pool's contrastive encoder applied to arbitrary inputs ``X`` (L2-normalised).

    The encoder is the one :func:`pool_contrastive_fit` keeps: nothing is retrained or read again.
    """
    return pool_contrastive_fit(ctx, encoder_seed, encoder_params, False, device).transform(X)
