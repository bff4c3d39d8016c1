"""Contrastive core-set: k-center greedy in a self-supervised (SimCLR) embedding of the pool.

Also home of :func:`pool_contrastive_embedding`, the one place strategies get
the contrastive embedding from (trained once per pool, cached on disk by
:mod:`alviz.encoders` and in memory in the Session's cache).
"""
from __future__ import annotations

import numpy as np

from .._cache import content_key
from .._device import check_device
from .._validation import check_features, check_int
from ..encoders import fit_contrastive
from .base import Strategy, register
from .coreset import distance_to_centers, kcenter_centers, kcenter_result

__all__ = ["ContrastiveCoreSet", "pool_contrastive_embedding", "contrastive_transform", "check_encoder_params"]

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
    data_key = ctx.dataset_key or content_key(np.ascontiguousarray(ctx.X))
    key = ("contrastive_embedding", data_key, int(encoder_seed),
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


@register
class ContrastiveCoreSet(Strategy):
    """k-center greedy from the labeled set in an L2-normalised contrastive embedding.

    A small SimCLR encoder (NT-Xent, temperature 0.5, augmentations that fit
    the data) is trained on the whole pool once and cached; each round the
    pick is the unlabeled sample farthest from its nearest labeled (or already
    picked) sample in that space: "the samples most different from what is
    already labeled". Task-agnostic: the task model is never used. With nothing
    labeled the first pick is a seeded random one.

    Parameters
    ----------
    encoder_seed : int, the encoder's training seed (part of its cache key).
    encoder_params : dict, optional, parameters of :func:`alviz.encoders.fit_contrastive`
        (``epochs``, ``max_steps``, ``temperature``, ...).
    progress : bool, a progress bar while the encoder trains (once per pool).
    device : "cpu" (default) | "cuda" | "auto", where the encoder trains and runs.

    References
    ----------
    Sener, O. & Savarese, S. (2018). Active learning for convolutional neural
    networks: a core-set approach. ICLR.
    Chen, T., Kornblith, S., Norouzi, M. & Hinton, G. (2020). A simple framework
    for contrastive learning of visual representations. ICML.
    """

    name = "contrastive_coreset"
    field_name = "distance to labeled (contrastive space)"

    def __init__(self, encoder_seed: int = 0, encoder_params=None, progress: bool = True, device: str = "cpu"):
        self.device = device
        self.encoder_seed = encoder_seed
        self.encoder_params = encoder_params
        self.progress = progress

    def _validate_params(self):
        check_encoder_params(self.encoder_seed, self.encoder_params)
        check_device(self.device)

    def _score_points(self, ctx, X, rng):
        emb = pool_contrastive_embedding(ctx, self.encoder_seed, self.encoder_params, self.progress, self.device)
        return distance_to_centers(contrastive_transform(ctx, X, self.encoder_seed, self.encoder_params),
                                   kcenter_centers(self, ctx, emb))

    def _query(self, ctx, budget, rng):
        emb = pool_contrastive_embedding(ctx, self.encoder_seed, self.encoder_params, self.progress, self.device)
        return kcenter_result(emb, ctx, budget, rng, strategy=self, representation=emb,
                              representation_name=CONTRASTIVE_NAME)
