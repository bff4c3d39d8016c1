"""Torch networks that learn a representation of the pool (a re-export of their two homes).

* :mod:`alviz.vaal_networks`: VAAL's VAE (:func:`make_vae`), discriminator and :func:`train_vaal`.
* :mod:`alviz.contrastive_encoder`: the SimCLR-style encoder (:func:`fit_contrastive`,
  :func:`contrastive_embedding`), trained once per pool and cached on disk.
"""

from __future__ import annotations

from ._networks import (
    CONTRASTIVE_BATCH_IMAGES,
    CONTRASTIVE_MAX_STEPS_IMAGES,
    VAAL_MAX_STEPS_IMAGES,  # noqa: F401
    _batched_apply,
    _device_of,
    _uses_conv,
    auto_steps,
)
from .contrastive_encoder import (
    ContrastiveFit,
    augment_images,
    augment_vectors,
    contrastive_embedding,
    fit_contrastive,
    make_contrastive_encoder,
    nt_xent,
)
from .vaal_networks import (
    ConvVAE,
    Discriminator,
    MLPVAE,
    TrainingDivergedError,
    VAALFit,
    make_vae,
    train_vaal,
    vae_loss_terms,
)

__all__ = [
    "MLPVAE",
    "ConvVAE",
    "make_vae",
    "Discriminator",
    "vae_loss_terms",
    "train_vaal",
    "VAALFit",
    "auto_steps",
    "nt_xent",
    "augment_vectors",
    "augment_images",
    "make_contrastive_encoder",
    "fit_contrastive",
    "ContrastiveFit",
    "contrastive_embedding",
    "TrainingDivergedError",
]
