"""Contrastive core-set: k-center greedy in a self-supervised (SimCLR) embedding of the pool.

The embedding comes from :mod:`alviz.strategies._representations` (the one
place strategies get it from; its names are re-exported here).
"""

from __future__ import annotations

from .._params import Integral, Interval
from ..selection import distance_to_centers
from ._representations import (
    CONTRASTIVE_NAME,
    ENCODER_PARAMS,
    check_encoder_params,
    contrastive_transform,
    pool_contrastive_embedding,
)
from ._kcenter import kcenter_centers, kcenter_result
from .base import Strategy, register

__all__ = ["ContrastiveCoreSet", "pool_contrastive_embedding", "contrastive_transform", "check_encoder_params"]


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

    _parameter_constraints = {
        "encoder_seed": [Interval(Integral, 0, None, hint="the encoder is cached by it")],
        "encoder_params": [None, ENCODER_PARAMS],
        "progress": ["boolean"],
        "device": ["device"],
    }

    def __init__(self, encoder_seed: int = 0, encoder_params=None, progress: bool = True, device: str = "cpu"):
        self.device = device
        self.encoder_seed = encoder_seed
        self.encoder_params = encoder_params
        self.progress = progress

    def _score_points(self, ctx, X, rng):
        emb = pool_contrastive_embedding(ctx, self.encoder_seed, self.encoder_params, self.progress, self.device)
        mapped = contrastive_transform(ctx, X, self.encoder_seed, self.encoder_params, device=self.device)
        return distance_to_centers(mapped, kcenter_centers(self, ctx, emb))

    def _query(self, ctx, budget, rng):
        emb = pool_contrastive_embedding(ctx, self.encoder_seed, self.encoder_params, self.progress, self.device)
        return kcenter_result(
            emb, ctx, budget, rng, strategy=self, representation=emb, representation_name=CONTRASTIVE_NAME
        )
