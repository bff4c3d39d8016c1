"""Torch networks that learn a representation of the pool, and their training loops.

Two families, pure of any strategy:

* VAAL's pieces: a VAE (:func:`make_vae`: an MLP VAE for vectors and small
  inputs, a small conv VAE for image tensors), the discriminator
  (z → 512 → 512 → 1) and :func:`train_vaal`, the adversarial training of both
  on labeled ∪ unlabeled.
* A SimCLR-style contrastive encoder (NT-Xent, temperature 0.5) with
  augmentations that fit the data, trained once per pool and cached on disk
  (:func:`fit_contrastive`, :func:`contrastive_embedding`).

Every function takes its randomness explicitly (``rng`` or an int ``seed``)
and seeds torch inside ``torch.random.fork_rng``; the global torch state is
left alone.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ._cache import cached_arrays, content_key
from ._device import resolve_device, seeded
from ._threads import threads_for as _threads_for
from ._validation import (RandomLike, as_generator, check_features, check_int, check_mask, check_number,
                          torch_seed)

__all__ = [
    "MLPVAE", "ConvVAE", "make_vae", "Discriminator", "vae_loss_terms", "train_vaal", "VAALFit", "auto_steps",
    "nt_xent", "augment_vectors", "augment_images", "make_contrastive_encoder", "fit_contrastive",
    "ContrastiveFit", "contrastive_embedding", "TrainingDivergedError",
]

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
        out = [fn(Xt[i:i + batch].to(device)).cpu() for i in range(0, len(Xt), batch)]
    return torch.cat(out).numpy()


def _device_of(net: nn.Module) -> torch.device:
    return next(net.parameters()).device


# ============================================================================ VAE
class _VAE(nn.Module):
    """encode(x) -> (mu, logvar) (n, latent); decode(z) -> x̂ (n, *input_shape)."""

    latent_dim: int

    def encode(self, x):  # pragma: no cover - abstract
        raise NotImplementedError

    def decode(self, z):  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, x):
        mu, logvar = self.encode(x)  # (n, latent) each
        std = torch.exp(0.5 * logvar)
        z = mu + std * torch.randn_like(std)  # (n, latent) reparameterised sample
        return self.decode(z), mu, logvar


class MLPVAE(_VAE):
    """A VAE on flattened inputs: d → hidden… → (μ, log σ²) → …hidden → d.

    Parameters
    ----------
    input_shape : tuple, the sample shape (flattened inside; the output has the same shape).
    latent_dim : int
    hidden : widths of the encoder's hidden layers (the decoder mirrors them).
    """

    def __init__(self, input_shape: Sequence[int], latent_dim: int = 32, hidden: Sequence[int] = (256, 128)):
        super().__init__()
        self.input_shape = tuple(int(s) for s in input_shape)
        self.latent_dim = int(latent_dim)
        d = int(np.prod(self.input_shape))
        enc: list = [nn.Flatten()]
        w_in = d
        for w in hidden:
            enc += [nn.Linear(w_in, int(w)), nn.ReLU()]
            w_in = int(w)
        self.encoder = nn.Sequential(*enc)
        self.to_stats = nn.Linear(w_in, 2 * self.latent_dim)
        dec: list = []
        w_in = self.latent_dim
        for w in reversed(tuple(hidden)):
            dec += [nn.Linear(w_in, int(w)), nn.ReLU()]
            w_in = int(w)
        dec.append(nn.Linear(w_in, d))
        self.decoder = nn.Sequential(*dec)

    def encode(self, x):
        stats = self.to_stats(self.encoder(x))  # (n, 2·latent)
        return stats[:, :self.latent_dim], stats[:, self.latent_dim:]

    def decode(self, z):
        return self.decoder(z).reshape((len(z),) + self.input_shape)  # (n, *input_shape)


class ConvVAE(_VAE):
    """A small conv VAE for image tensors (channels, H, W): two stride-2 convs each way.

    The decoder's transposed convolutions are given the encoder's spatial sizes,
    so any H, W >= 4 round-trips exactly (28×28, 32×32, 8×8, 7×7, ...).
    """

    def __init__(self, input_shape: Sequence[int], latent_dim: int = 32, channels: Sequence[int] = (32, 64)):
        super().__init__()
        if len(input_shape) != 3:
            raise ValueError(f"ConvVAE needs an image shape (channels, H, W), got {tuple(input_shape)}")
        self.input_shape = tuple(int(s) for s in input_shape)
        self.latent_dim = int(latent_dim)
        c0, h, w = self.input_shape
        c1, c2 = (int(c) for c in channels)
        self.conv1 = nn.Conv2d(c0, c1, 4, stride=2, padding=1)
        self.conv2 = nn.Conv2d(c1, c2, 4, stride=2, padding=1)
        self.sizes = [(h, w)]
        for _ in range(2):
            h, w = (h + 2 - 4) // 2 + 1, (w + 2 - 4) // 2 + 1
            self.sizes.append((h, w))
        self.bottom = (c2, h, w)
        self.to_stats = nn.Linear(c2 * h * w, 2 * self.latent_dim)
        self.from_z = nn.Linear(self.latent_dim, c2 * h * w)
        self.deconv1 = nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1)
        self.deconv2 = nn.ConvTranspose2d(c1, c0, 4, stride=2, padding=1)

    def encode(self, x):
        h = F.relu(self.conv1(x))  # (n, c1, H/2, W/2)
        h = F.relu(self.conv2(h))  # (n, c2, H/4, W/4)
        stats = self.to_stats(h.flatten(1))  # (n, 2·latent)
        return stats[:, :self.latent_dim], stats[:, self.latent_dim:]

    def decode(self, z):
        h = F.relu(self.from_z(z)).reshape((len(z),) + self.bottom)  # (n, c2, H/4, W/4)
        h = F.relu(self.deconv1(h, output_size=list(self.sizes[1])))  # (n, c1, H/2, W/2)
        return self.deconv2(h, output_size=list(self.sizes[0]))  # (n, C, H, W)


def make_vae(input_shape: Sequence[int], latent_dim: int = 32) -> _VAE:
    """The VAE that fits the data: a :class:`ConvVAE` for image tensors (channels, H, W) with H, W >= 4,
    an :class:`MLPVAE` on the flattened input otherwise (vectors, 8×8 digits as 64 features, tiny images)."""
    input_shape = tuple(int(s) for s in input_shape)
    check_int(latent_dim, "latent_dim", 1, hint="the paper uses 32")
    if _uses_conv(input_shape):
        return ConvVAE(input_shape, int(latent_dim))
    return MLPVAE(input_shape, int(latent_dim))


class Discriminator(nn.Module):
    """VAAL's discriminator: z → 512 → 512 → 1. ``forward`` returns the logit of "labeled" (n,)."""

    def __init__(self, latent_dim: int = 32, hidden: int = 512):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(int(latent_dim), hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, 1),
        )

    def forward(self, z):
        return self.net(z).squeeze(1)  # (n,) logits; sigmoid gives P(labeled)


class TrainingDivergedError(ValueError):
    """A network alviz trains for a strategy diverged (NaN or inf losses), with what to change."""


def vae_loss_terms(x, recon, mu, logvar):
    """(reconstruction, KL) of a batch, each the per-sample sum averaged over the batch.

    reconstruction = mean_i ‖x_i − x̂_i‖²; KL = mean_i KL(N(μ_i, σ_i²) ‖ N(0, I)).
    """
    rec = (recon - x).pow(2).flatten(1).sum(dim=1).mean()  # scalar
    kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=1)).mean()  # scalar
    return rec, kl


@dataclass
class VAALFit:
    """A trained VAE and discriminator, and their loss curves (one value per training iteration)."""

    vae: _VAE
    discriminator: Discriminator
    vae_loss: np.ndarray
    discriminator_loss: np.ndarray
    steps: int

    def encode(self, X) -> np.ndarray:
        """(n, latent_dim) latent means μ (not a sampled z)."""
        self.vae.eval()
        return _batched_apply(lambda x: self.vae.encode(x)[0], X, device=_device_of(self.vae))

    def p_labeled(self, mu) -> np.ndarray:
        """(n,) D(μ): the discriminator's probability that a latent mean belongs to a labeled sample."""
        self.discriminator.eval()
        return _batched_apply(lambda z: torch.sigmoid(self.discriminator(z)), mu,
                              device=_device_of(self.discriminator)).astype(np.float64)


def train_vaal(X, labeled_mask, rng: RandomLike = None, *, latent_dim: int = 32, beta: float = 1.0,
               adversary_weight: float = 1.0, lr: float = 5e-4, steps: Optional[int] = None,
               batch_size: int = 64, vae_steps: int = 2, discriminator_steps: int = 1,
               progress: bool = False, device="cpu") -> VAALFit:
    """Train VAAL's VAE and discriminator from scratch on labeled ∪ unlabeled.

    Each iteration takes ``vae_steps`` VAE steps then ``discriminator_steps``
    discriminator steps, each on a fresh labeled and a fresh unlabeled
    minibatch (drawn with replacement from ``rng``):

    * VAE: rec(L) + β·KL(L) + rec(U) + β·KL(U)
      + adversary_weight·[BCE(D(μ_L), 1) + BCE(D(μ_U), 1)]  (make everything look labeled)
    * D: BCE(D(μ_L), 1) + BCE(D(μ_U), 0)

    rec and KL are per-sample sums averaged over the batch (the usual ELBO
    scale, see :func:`vae_loss_terms`); D always sees μ, never a sampled z.

    Parameters
    ----------
    X : (n, *input_shape) array, the whole pool.
    labeled_mask : (n,) bool; needs at least one labeled and one unlabeled sample.
    rng : None, int or Generator.
    steps : int, optional
        Training iterations; default scales with the pool (about 8 passes of
        ``batch_size`` over it), between 40 and 400 (at most
        ``VAAL_MAX_STEPS_IMAGES`` = 120 for image tensors, whose conv VAE costs
        ~10x more per step: the cost stays bounded on a 60 000-image pool).
    progress : bool, show a tqdm progress bar (quiet when False).
    device : "cpu" (default) | "cuda" | "auto", where both networks train and run. The minibatch
        draws come from ``rng`` on the CPU whatever the device.

    Returns
    -------
    VAALFit

    References
    ----------
    Sinha, S., Ebrahimi, S. & Darrell, T. (2019). Variational adversarial active
    learning. ICCV. arXiv:1904.00370.
    """
    X = check_features(X, "X").astype(np.float32, copy=False)
    n = len(X)
    mask = check_mask(labeled_mask, n)
    lab, unl = np.flatnonzero(mask), np.flatnonzero(~mask)
    if lab.size == 0:
        raise ValueError("VAAL's discriminator learns to tell labeled from unlabeled samples and no sample is "
                         "labeled: label at least one sample first")
    if unl.size == 0:
        raise ValueError("every sample is labeled: VAAL needs unlabeled samples to train on and pick from")
    for name, v in (("beta", beta), ("adversary_weight", adversary_weight)):
        check_number(v, name, 0.0)
    check_number(lr, "lr", 0.0, exclusive_minimum=True, hint="the paper uses 5e-4")
    check_int(batch_size, "batch_size", 1)
    for name, v in (("vae_steps", vae_steps), ("discriminator_steps", discriminator_steps)):
        check_int(v, name, 1, hint="the paper alternates 2 VAE steps : 1 D step")
    if steps is None:
        hi = VAAL_MAX_STEPS_IMAGES if _uses_conv(X.shape[1:]) else 400
        steps = auto_steps(n, batch_size, epochs=8, lo=min(40, hi), hi=hi)
    check_int(steps, "steps", 1, hint="or None to scale with the pool size")
    dev = resolve_device(device)
    rng = as_generator(rng)
    bl, bu = min(batch_size, lab.size), min(batch_size, unl.size)
    Xt = torch.as_tensor(X)
    from tqdm.auto import tqdm

    ones_l, ones_u, zeros_u = torch.ones(bl, device=dev), torch.ones(bu, device=dev), torch.zeros(bu, device=dev)

    def batch():
        """A fresh labeled and a fresh unlabeled minibatch, drawn with replacement."""
        return (Xt[lab[rng.integers(0, lab.size, bl)]].to(dev),
                Xt[unl[rng.integers(0, unl.size, bu)]].to(dev))

    vae_curve = np.empty(steps)
    d_curve = np.empty(steps)
    with seeded(torch_seed(rng), dev), _threads_for(X.shape[1:]):
        vae = make_vae(X.shape[1:], latent_dim).to(dev)
        disc = Discriminator(latent_dim).to(dev)
        opt_vae = torch.optim.Adam(vae.parameters(), lr=lr)
        opt_d = torch.optim.Adam(disc.parameters(), lr=lr)
        bce = nn.BCEWithLogitsLoss()
        vae.train()
        disc.train()
        for t in tqdm(range(int(steps)), desc="VAAL", leave=False, disable=not progress):
            for _ in range(vae_steps):
                xl, xu = batch()
                recon, mu, logvar = vae(torch.cat([xl, xu]))  # (bl + bu, ...) one pass for L and U
                rec_l, kl_l = vae_loss_terms(xl, recon[:bl], mu[:bl], logvar[:bl])
                rec_u, kl_u = vae_loss_terms(xu, recon[bl:], mu[bl:], logvar[bl:])
                logit = disc(mu)  # (bl + bu,)
                adv = bce(logit[:bl], ones_l) + bce(logit[bl:], ones_u)  # everything should look labeled
                loss = rec_l + rec_u + beta * (kl_l + kl_u) + adversary_weight * adv
                opt_vae.zero_grad()
                loss.backward()
                opt_vae.step()
            vae_curve[t] = float(loss.detach())
            for _ in range(discriminator_steps):
                xl, xu = batch()
                with torch.no_grad():
                    mu = vae.encode(torch.cat([xl, xu]))[0]  # (bl + bu, latent)
                logit = disc(mu)
                d_loss = bce(logit[:bl], ones_l) + bce(logit[bl:], zeros_u)  # labeled 1, unlabeled 0
                opt_d.zero_grad()
                d_loss.backward()
                opt_d.step()
            d_curve[t] = float(d_loss.detach())
    vae.eval()
    disc.eval()
    if not (np.isfinite(vae_curve).all() and np.isfinite(d_curve).all()):
        raise TrainingDivergedError(
            f"VAAL's VAE diverged (its loss became NaN or inf) on inputs whose values reach "
            f"{float(np.abs(X).max()):.3g}: it reconstructs them with a squared error and needs features of about "
            "unit scale. Standardise them (alviz.datasets.from_arrays(X, y, scale='standard'), or "
            "sklearn.preprocessing.StandardScaler), or lower lr"
        )
    return VAALFit(vae, disc, vae_curve, d_curve, int(steps))


# ============================================================================ contrastive
def nt_xent(z1, z2, temperature: float = 0.5):
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


def augment_vectors(x, mean, std, noise: float = 0.2, feature_dropout: float = 0.2,
                    generator: Optional[torch.Generator] = None):
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


def augment_images(x, max_shift: float = 0.125, max_rotation: float = 15.0, noise: float = 0.05,
                   generator: Optional[torch.Generator] = None):
    """A random view of images (B, C, H, W): a shift of up to ``max_shift`` of the side, a rotation of up to
    ``max_rotation`` degrees (one affine resampling, zeros outside), plus Gaussian noise of std ``noise``.
    The random draws come from ``generator`` on the CPU whatever ``x``'s device (same views on CPU and GPU)."""
    b = x.shape[0]
    angle = ((torch.rand(b, generator=generator) * 2 - 1) * math.radians(max_rotation)).to(x.device)  # (B,)
    shift = ((torch.rand(b, 2, generator=generator) * 2 - 1) * 2 * max_shift).to(x.device)  # (B, 2) grid units
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1),
                         torch.stack([sin, cos, shift[:, 1]], 1)], 1)  # (B, 2, 3)
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
            nn.Conv2d(input_shape[0], 32, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(64 * 4, rep_dim),
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

    def transform(self, X) -> np.ndarray:
        """(m, rep_dim) L2-normalised representation of new samples of the same shape."""
        X = check_features(X, "X").astype(np.float32, copy=False)
        self.encoder.eval()
        return _batched_apply(lambda x: F.normalize(self.encoder.backbone(x), dim=1), X,
                              device=_device_of(self.encoder))


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
            x = Xt[order[pos:pos + bs]].to(device)
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


def fit_contrastive(X, seed: int = 0, *, epochs: float = 100, max_steps: Optional[int] = None,
                    batch_size: Optional[int] = None,
                    temperature: float = 0.5, rep_dim: int = 128, proj_dim: int = 64, lr: float = 1e-3,
                    noise: float = 0.2, feature_dropout: float = 0.2, max_shift: float = 0.125,
                    max_rotation: float = 15.0, progress: bool = False, cache: bool = True,
                    device="cpu") -> ContrastiveFit:
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
    for name, v in (("max_steps", max_steps), ("batch_size", batch_size), ("rep_dim", rep_dim),
                    ("proj_dim", proj_dim)):
        check_int(v, name, 1)
    if not 0 <= feature_dropout < 1:
        raise ValueError(f"feature_dropout={feature_dropout!r} must be in [0, 1)")
    cfg = dict(epochs=float(epochs), max_steps=int(max_steps), batch_size=int(batch_size),
               temperature=float(temperature), rep_dim=int(rep_dim), proj_dim=int(proj_dim), lr=float(lr),
               noise=float(noise), feature_dropout=float(feature_dropout), max_shift=float(max_shift),
               max_rotation=float(max_rotation))

    def compute():
        return _train_contrastive(X, int(seed), cfg, progress, dev)

    if cache:
        key = content_key("contrastive", _CONTRASTIVE_VERSION, X, cfg, int(seed))
        stored = cached_arrays("contrastive", key, compute)
    else:
        stored = compute()
    with torch.random.fork_rng(devices=[]):  # building layers draws init weights; load_state_dict replaces them
        net = make_contrastive_encoder(X.shape[1:], cfg["rep_dim"], cfg["proj_dim"])
    net.load_state_dict({k: torch.as_tensor(v) for k, v in stored["state"].items()})
    net.to(dev).eval()
    return ContrastiveFit(stored["embedding"], net, stored["loss"], stored["config"])


def contrastive_embedding(X, seed: int = 0, **params) -> np.ndarray:
    """(n, rep_dim) float32 L2-normalised contrastive embedding of ``X``, trained once and cached on disk.

    A shortcut for ``fit_contrastive(X, seed, **params).embedding``; see :func:`fit_contrastive`.
    """
    return fit_contrastive(X, seed, **params).embedding
