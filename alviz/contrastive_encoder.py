"""The SimCLR-style contrastive encoder: NT-Xent, augmentations that fit the data, trained once per pool.

Pure of any strategy (``alviz.strategies._representations`` serves it to the strategies). The fit is cached
on disk (:func:`fit_contrastive`); randomness comes from the int ``seed`` passed in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F
from torch import nn

from ._cache import cached_arrays, content_key
from ._device import resolve_device, seeded
from ._threads import threads_for as _threads_for
from ._validation import check_features, check_int, check_number
from ._networks import (
    CONTRASTIVE_BATCH_IMAGES,
    CONTRASTIVE_MAX_STEPS_IMAGES,
    _batched_apply,
    _device_of,
    _uses_conv,
    auto_steps,
)

__all__ = [
    "nt_xent",
    "augment_vectors",
    "augment_images",
    "make_contrastive_encoder",
    "fit_contrastive",
    "ContrastiveFit",
    "contrastive_embedding",
]


# ============================================================================ contrastive
def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.5) -> torch.Tensor:
    """SimCLR's NT-Xent loss of two views (B, p), (B, p): row i of z1 and row i of z2 are a positive pair.

    Each of the 2B views is classified among the other 2B − 1 by cosine
    similarity / temperature; the loss is the mean cross-entropy of the positive.
    """
    b = z1.shape[0]
    z = F.normalize(torch.cat([z1, z2]), dim=1)  # (2B, p)
    sim = z @ z.T / temperature  # (2B, 2B)
    self_mask = torch.eye(2 * b, dtype=torch.bool, device=z.device)
    sim = sim.masked_fill(self_mask, float("-inf"))
    target = torch.cat([torch.arange(b, 2 * b), torch.arange(0, b)]).to(z.device)  # (2B,)
    return F.cross_entropy(sim, target)


def augment_vectors(
    x: torch.Tensor,
    mean: torch.Tensor,
    std: torch.Tensor,
    noise: float = 0.2,
    feature_dropout: float = 0.2,
    generator: Optional[torch.Generator] = None,
) -> torch.Tensor:
    """A random view of feature vectors (B, d): Gaussian noise of ``noise``·std per feature, and each
    feature replaced by its pool mean with probability ``feature_dropout``.

    ``mean`` and ``std`` are (d,) tensors of the pool's feature statistics, so the
    views are scale-free. Feature dropout is skipped with fewer than 8 features
    (dropping one of two coordinates would erase the sample, not perturb it).
    """
    out = x + noise * std * torch.randn(x.shape, generator=generator).to(x.device)  # (B, d)
    if feature_dropout > 0 and x.shape[1] >= 8:
        drop = torch.rand(x.shape, generator=generator).to(x.device) < feature_dropout  # (B, d)
        out = torch.where(drop, mean.expand_as(out), out)
    return out


def augment_images(
    x: torch.Tensor,
    max_shift: float = 0.125,
    max_rotation: float = 15.0,
    noise: float = 0.05,
    generator: Optional[torch.Generator] = None,
) -> torch.Tensor:
    """A random view of images (B, C, H, W): a shift of up to ``max_shift`` of the side, a rotation of up to
    ``max_rotation`` degrees (one affine resampling, zeros outside), plus Gaussian noise of std ``noise``.
    The random draws come from ``generator`` on the CPU whatever ``x``'s device (same views on CPU and GPU)."""
    b = x.shape[0]
    angle = ((torch.rand(b, generator=generator) * 2 - 1) * math.radians(max_rotation)).to(x.device)  # (B,)
    shift = ((torch.rand(b, 2, generator=generator) * 2 - 1) * 2 * max_shift).to(x.device)  # (B, 2) grid units
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack(
        [torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1
    )  # (B, 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)  # (B, H, W, 2)
    out = F.grid_sample(x, grid, padding_mode="zeros", align_corners=False)  # (B, C, H, W)
    return out + noise * torch.randn(x.shape, generator=generator).to(x.device)


class _ContrastiveNet(nn.Module):
    """backbone: input -> representation h (n, rep_dim); head: h -> projection z (n, proj_dim)."""

    def __init__(self, backbone: nn.Module, rep_dim: int, proj_dim: int):
        super().__init__()
        self.backbone = backbone
        self.head = nn.Sequential(nn.Linear(rep_dim, rep_dim), nn.ReLU(), nn.Linear(rep_dim, proj_dim))

    def forward(self, x):
        return self.head(self.backbone(x))


def make_contrastive_encoder(input_shape: Sequence[int], rep_dim: int = 128, proj_dim: int = 64) -> nn.Module:
    """SimCLR's encoder + projection head: a small convnet for image tensors, an MLP on flattened input
    otherwise. ``.backbone`` gives the representation used downstream (before the head)."""
    input_shape = tuple(int(s) for s in input_shape)
    if _uses_conv(input_shape):  # stride-2 convs: ~3x cheaper a step than conv + max-pool on a CPU
        backbone = nn.Sequential(
            nn.Conv2d(input_shape[0], 32, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(32, 64, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(2),
            nn.Flatten(),
            nn.Linear(64 * 4, rep_dim),
        )
    else:
        d = int(np.prod(input_shape))
        backbone = nn.Sequential(nn.Flatten(), nn.Linear(d, 256), nn.ReLU(), nn.Linear(256, rep_dim))
    return _ContrastiveNet(backbone, rep_dim, proj_dim)


_CONTRASTIVE_VERSION = 2


@dataclass
class ContrastiveFit:
    """A trained contrastive encoder and the L2-normalised embedding of the pool it was trained on."""

    embedding: np.ndarray  # (n, rep_dim) float32, rows of unit norm
    encoder: nn.Module
    loss: np.ndarray  # (steps,)
    config: dict = field(default_factory=dict)

    def transform(self, X: npt.ArrayLike) -> np.ndarray:
        """(m, rep_dim) L2-normalised representation of new samples of the same shape."""
        X = check_features(X, "X").astype(np.float32, copy=False)
        self.encoder.eval()
        return _batched_apply(
            lambda x: F.normalize(self.encoder.backbone(x), dim=1), X, device=_device_of(self.encoder)
        )


def _train_contrastive(X: np.ndarray, seed: int, cfg: dict, progress: bool, device) -> dict:
    n = len(X)
    image = _uses_conv(X.shape[1:])
    Xt = torch.as_tensor(X if image else X.reshape(n, -1))  # (n, C, H, W) or (n, d), stays on the CPU
    bs = min(cfg["batch_size"], n)
    steps = auto_steps(n, bs, cfg["epochs"], lo=1, hi=cfg["max_steps"])
    losses = np.empty(steps)
    from tqdm.auto import tqdm

    with seeded(seed, device), _threads_for(X.shape[1:]):
        gen = torch.Generator().manual_seed(seed)
        net = make_contrastive_encoder(X.shape[1:], cfg["rep_dim"], cfg["proj_dim"]).to(device)
        opt = torch.optim.Adam(net.parameters(), lr=cfg["lr"], weight_decay=1e-6)
        if image:
            noise = cfg["noise"] * float(Xt.std())  # once: the std of the whole pool, not every view

            def view(x):
                return augment_images(x, cfg["max_shift"], cfg["max_rotation"], noise, generator=gen)
        else:
            mean, std = Xt.mean(0).to(device), (Xt.std(0) + 1e-8).to(device)  # (d,) each

            def view(x):
                return augment_vectors(x, mean, std, cfg["noise"], cfg["feature_dropout"], generator=gen)

        net.train()
        order = torch.randperm(n, generator=gen)
        pos = 0
        for t in tqdm(range(steps), desc="contrastive encoder", leave=False, disable=not progress):
            if pos + bs > n:  # a new epoch
                order, pos = torch.randperm(n, generator=gen), 0
            x = Xt[order[pos : pos + bs]].to(device)
            pos += bs
            loss = nt_xent(net(view(x)), net(view(x)), cfg["temperature"])
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses[t] = float(loss.detach())
        net.eval()
        emb = _batched_apply(lambda x: F.normalize(net.backbone(x), dim=1), X, device=device).astype(np.float32)
    state = {k: v.detach().cpu().numpy().copy() for k, v in net.state_dict().items()}
    return {"embedding": emb, "state": state, "loss": losses, "config": dict(cfg)}


def fit_contrastive(
    X: npt.ArrayLike,
    seed: int = 0,
    *,
    epochs: float = 100,
    max_steps: Optional[int] = None,
    batch_size: Optional[int] = None,
    temperature: float = 0.5,
    rep_dim: int = 128,
    proj_dim: int = 64,
    lr: float = 1e-3,
    noise: float = 0.2,
    feature_dropout: float = 0.2,
    max_shift: float = 0.125,
    max_rotation: float = 15.0,
    progress: bool = False,
    cache: bool = True,
    device: torch.device | str = "cpu",
) -> ContrastiveFit:
    """Train a SimCLR-style encoder on the pool once; later calls load it from the disk cache.

    Views come from augmentations that fit the data: for image tensors
    (n, C, H, W) a small random shift and rotation plus noise (``noise`` × the
    pool's pixel std); for vectors (and 8×8 digits as 64 features) Gaussian
    noise of ``noise`` × each feature's std and feature dropout. The loss is
    NT-Xent at ``temperature``. The representation is the backbone's output
    (before the projection head), L2-normalised.

    The cache (``alviz._cache``, sub-folder ``contrastive``) is keyed by the
    content hash of ``X``, every parameter and ``seed``; it stores the
    embedding, the encoder's weights and the loss curve.

    Parameters
    ----------
    X : (n, *input_shape) array, n >= 2.
    seed : int
        The seed of the training. An int, not a Generator: it is part of the
        cache key, so the same pool and seed give the same encoder every round.
    epochs, max_steps, batch_size : training length: ``epochs`` passes, at most ``max_steps`` steps.
        Defaults: 1000 steps of 256 for vectors; for image tensors (conv encoder, ~10x the cost of a
        step) ``CONTRASTIVE_MAX_STEPS_IMAGES`` = 200 steps of ``CONTRASTIVE_BATCH_IMAGES`` = 128, so a
        60 000-image pool trains in about 20 s on one CPU core.
    progress : bool, show a tqdm bar while training (quiet when False).
    cache : bool, read and write the disk cache (False trains every time).
    device : "cpu" (default) | "cuda" | "auto", where the encoder trains and runs. Not part of the
        cache key: an encoder trained on one device serves the others (the views are drawn on the CPU).

    Returns
    -------
    ContrastiveFit

    References
    ----------
    Chen, T., Kornblith, S., Norouzi, M. & Hinton, G. (2020). A simple framework for
    contrastive learning of visual representations. ICML.
    """
    check_int(seed, "seed", 0, hint="it is part of the encoder's cache key")
    dev = resolve_device(device)
    X = check_features(X, "X").astype(np.float32, copy=False)
    image = _uses_conv(X.shape[1:])
    if max_steps is None:
        max_steps = CONTRASTIVE_MAX_STEPS_IMAGES if image else 1000
    if batch_size is None:
        batch_size = CONTRASTIVE_BATCH_IMAGES if image else 256
    if len(X) < 2:
        raise ValueError(f"contrastive training needs at least 2 samples (each is the others' negative), got {len(X)}")
    for name, v in (("epochs", epochs), ("temperature", temperature), ("lr", lr)):
        check_number(v, name, 0.0, exclusive_minimum=True)
    for name, v in (("max_steps", max_steps), ("batch_size", batch_size), ("rep_dim", rep_dim), ("proj_dim", proj_dim)):
        check_int(v, name, 1)
    if not 0 <= feature_dropout < 1:
        raise ValueError(f"feature_dropout={feature_dropout!r} must be in [0, 1)")
    cfg = dict(
        epochs=float(epochs),
        max_steps=int(max_steps),
        batch_size=int(batch_size),
        temperature=float(temperature),
        rep_dim=int(rep_dim),
        proj_dim=int(proj_dim),
        lr=float(lr),
        noise=float(noise),
        feature_dropout=float(feature_dropout),
        max_shift=float(max_shift),
        max_rotation=float(max_rotation),
    )

    def compute():
        return _train_contrastive(X, int(seed), cfg, progress, dev)

    if cache:
        key = content_key("contrastive", _CONTRASTIVE_VERSION, X, cfg, int(seed))
        stored = cached_arrays("contrastive", key, compute)
    else:
        stored = compute()
    with torch.random.fork_rng(devices=[]):  # building layers draws init weights; load_state_dict replaces them
        net = make_contrastive_encoder(X.shape[1:], int(cfg["rep_dim"]), int(cfg["proj_dim"]))
    net.load_state_dict({k: torch.as_tensor(v) for k, v in stored["state"].items()})
    net.to(dev).eval()
    return ContrastiveFit(stored["embedding"], net, stored["loss"], stored["config"])


def contrastive_embedding(X: npt.ArrayLike, seed: int = 0, **params: Any) -> np.ndarray:
    """(n, rep_dim) float32 L2-normalised contrastive embedding of ``X``, trained once and cached on disk.

    A shortcut for ``fit_contrastive(X, seed, **params).embedding``; see :func:`fit_contrastive`.
    """
    return fit_contrastive(X, seed, **params).embedding
