"""What the representation networks share: the conv-or-MLP choice, the training length and batched inference."""

from __future__ import annotations

import math
from typing import Optional, Sequence

import numpy as np
import torch
from torch import nn

from ._threads import threads_for as _threads_for

__all__ = ["auto_steps", "VAAL_MAX_STEPS_IMAGES", "CONTRASTIVE_MAX_STEPS_IMAGES", "CONTRASTIVE_BATCH_IMAGES"]

#: image tensors smaller than this (H or W) are flattened and get the MLP networks
_MIN_CONV_SIDE = 4
#: training caps for conv inputs (real images): a step costs ~10x a vector step on a CPU, so a
#: 60 000-image pool would otherwise train for minutes (the caps keep a round near 30 s on 2 cores)
VAAL_MAX_STEPS_IMAGES = 120
CONTRASTIVE_MAX_STEPS_IMAGES = 200
CONTRASTIVE_BATCH_IMAGES = 128


def _uses_conv(input_shape: Sequence[int]) -> bool:
    """Image tensors (channels, H, W) with H, W >= 4 get conv networks; everything else is flattened."""
    return len(input_shape) == 3 and min(input_shape[1:]) >= _MIN_CONV_SIDE


def auto_steps(n: int, batch_size: int, epochs: float, lo: int, hi: int) -> int:
    """Training steps for ``n`` samples: ``epochs`` passes of ``batch_size``, clipped to [lo, hi]."""
    per_epoch = math.ceil(n / max(1, min(batch_size, n)))
    return int(min(hi, max(lo, round(epochs * per_epoch))))


def _batched_apply(fn, X: np.ndarray, batch: Optional[int] = None, device=None) -> np.ndarray:
    """Apply a torch function to a numpy array in eval-sized batches on ``device``, without gradients.

    Default batch: 2 048 samples on an accelerator; on the CPU about 2**18 input values (334 MNIST
    images), whose activations stay in the caches: encoding 60 000 MNIST images with the contrastive
    encoder took 4 s in batches of 256 or 512 and 13 s in batches of 2 048 (one core).
    """
    Xt = torch.as_tensor(np.asarray(X), dtype=torch.float32)
    if batch is None:
        on_cpu = device is None or torch.device(device).type == "cpu"
        values = max(1, int(np.prod(Xt.shape[1:])))
        batch = int(np.clip(2**18 // values, 64, 4096)) if on_cpu else 2048
    with torch.no_grad(), _threads_for(Xt.shape[1:]):
        out = [fn(Xt[i : i + batch].to(device)).cpu() for i in range(0, len(Xt), batch)]
    return torch.cat(out).numpy()


def _device_of(net: nn.Module) -> torch.device:
    return next(net.parameters()).device


# ============================================================================ VAE
