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
from .._validation import check_features, check_int
from ..encoders import fit_contrastive

__all__ = ["CONTRASTIVE_NAME", "check_encoder_params", "pool_contrastive_embedding", "contrastive_transform"]

#: the name the pictures give the contrastive space
CONTRASTIVE_NAME = "contrastive embedding (SimCLR)"


def check_encoder_params(encoder_seed, encoder_params) -> None:
    """ValueError/TypeError for a bad encoder seed or parameter dict (shared by every contrastive user)."""
    check_int(encoder_seed, "encoder_seed", 0, hint="the encoder is cached by it")
    if encoder_params is not None and not isinstance(encoder_params, dict):
        raise TypeError(
            f"encoder_params must be None or a dict of alviz.encoders.fit_contrastive parameters, "
            f"got {type(encoder_params).__name__}"
        )
    if encoder_params and {"seed", "X"} & set(encoder_params):
        raise ValueError("encoder_params cannot hold 'X' or 'seed'; use encoder_seed for the seed")


def pool_contrastive_embedding(ctx, encoder_seed: int = 0, encoder_params=None, progress: bool = True,
                               device: str = "cpu") -> np.ndarray:
    """(n_pool, d) float32 L2-normalised contrastive embedding of ``ctx.X``.

    Trained once per (pool, seed, parameters): the disk cache of
    :func:`alviz.encoders.fit_contrastive` makes it survive sessions, and
    ``ctx.cache`` (kept by the Session across rounds) skips even the disk read
    and the hashing of the pool. ``device``: where the encoder trains (not part of either key).
    """
    params = dict(encoder_params or {})
    params.setdefault("progress", progress)
    key = ("contrastive_embedding", ctx.pool_key, int(encoder_seed),
           content_key({k: v for k, v in params.items() if k != "progress"}))
    if key not in ctx.cache:
        X = check_features(ctx.X, "X")
        ctx.cache[key] = fit_contrastive(X, int(encoder_seed), device=device, **params).embedding
    return ctx.cache[key]


def contrastive_transform(ctx, X, encoder_seed: int = 0, encoder_params=None) -> np.ndarray:
    """(m, d) the pool's contrastive encoder applied to arbitrary inputs ``X`` (L2-normalised).

    The encoder is the one :func:`pool_contrastive_embedding` trained (read
    back from the disk cache, once per context): nothing is retrained.
    """
    params = {k: v for k, v in dict(encoder_params or {}).items() if k != "progress"}
    key = ("contrastive_fit", int(encoder_seed), content_key(params))
    fit = ctx._memoize(key, lambda: fit_contrastive(check_features(ctx.X, "X"), int(encoder_seed), **params))
    return fit.transform(X)
