"""VAAL's networks and their training: the VAE (:func:`make_vae`), the discriminator and :func:`train_vaal`.

The training loop (``_train_vae_discriminator``) is the VAAL family's one: TA-VAAL's and SRAAL's
(``alviz.strategies._adversarial_nets.train_state_discriminator``) run it with their options.

Pure of any strategy (``alviz.strategies.vaal`` uses them). Randomness comes from the ``rng`` passed in;
torch is seeded inside ``torch.random.fork_rng``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import numpy as np
from numpy.typing import ArrayLike
import torch
import torch.nn.functional as F
from torch import nn

from ._device import resolve_device, seeded
from ._threads import threads_for as _threads_for
from ._validation import RandomLike, as_generator, check_features, check_int, check_mask, check_number, torch_seed
from ._networks import VAAL_MAX_STEPS_IMAGES, _batched_apply, _device_of, _uses_conv, auto_steps

__all__ = [
    "MLPVAE",
    "ConvVAE",
    "make_vae",
    "Discriminator",
    "vae_loss_terms",
    "train_vaal",
    "VAALFit",
    "TrainingDivergedError",
]


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
        return stats[:, : self.latent_dim], stats[:, self.latent_dim :]

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
        return stats[:, : self.latent_dim], stats[:, self.latent_dim :]

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
            nn.Linear(int(latent_dim), hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 1),
        )

    def forward(self, z):
        return self.net(z).squeeze(1)  # (n,) logits; sigmoid gives P(labeled)


class TrainingDivergedError(ValueError):
    """A network alviz trains for a strategy diverged (NaN or inf losses), with what to change."""


def vae_loss_terms(
    x: torch.Tensor, recon: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor
) -> Tuple[torch.Tensor, torch.Tensor]:
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
        return _batched_apply(
            lambda z: torch.sigmoid(self.discriminator(z)), mu, device=_device_of(self.discriminator)
        ).astype(np.float64)


def _default_steps(X: np.ndarray, batch_size: int) -> int:
    """VAAL's default training length: about 8 passes of ``batch_size`` over the pool ``X`` (n, *input_shape),
    in [40, 400], at most ``VAAL_MAX_STEPS_IMAGES`` = 120 for image tensors."""
    hi = VAAL_MAX_STEPS_IMAGES if _uses_conv(X.shape[1:]) else 400
    return auto_steps(len(X), batch_size, epochs=8, lo=min(40, hi), hi=hi)


def _train_vae_discriminator(
    X: np.ndarray,
    labeled_mask: np.ndarray,
    rng: np.random.Generator,
    *,
    latent_dim: int,
    beta: float,
    adversary_weight: float,
    lr: float,
    steps: int,
    batch_size: int,
    vae_steps: int = 1,
    discriminator_steps: int = 1,
    cond: Optional[np.ndarray] = None,
    unlabeled_targets: Optional[np.ndarray] = None,
    labels: Optional[np.ndarray] = None,
    n_classes: int = 0,
    target_weight: float = 1.0,
    progress: bool = False,
    device: torch.device = torch.device("cpu"),
) -> Tuple[_VAE, Discriminator, np.ndarray, np.ndarray]:
    """The one training loop of the VAAL family (VAAL, TA-VAAL, SRAAL): (vae, discriminator, vae_curve,
    d_curve), both networks in eval mode. The inputs are taken as checked (``X`` float32).

    Each of ``steps`` iterations takes ``vae_steps`` VAE steps then ``discriminator_steps``
    discriminator steps, each on a fresh labeled and a fresh unlabeled minibatch (drawn with replacement
    from ``rng``, labeled first); torch is seeded from ``rng`` before the networks are built.

    * VAE: rec + β·KL on L and U + adversary_weight·[BCE(D(L), 1) + BCE(D(U), 1)]
      (+ target_weight·CE(head(μ_L), y_L) with ``labels``: SRAAL's supervised target learner);
    * D: BCE(D(L), 1) + BCE(D(U), t_U), t_U = 0 (VAAL, TA-VAAL) or ``unlabeled_targets``
      (SRAAL's relabeled states, read at unlabeled samples).

    With ``cond`` (n,) (TA-VAAL's loss ranking r) the VAE is built one latent unit wider: the decoder
    gets [z, sigmoid(r)] and the discriminator [μ, r]. A curve holds the loss of each iteration's last step.
    """
    mask = np.asarray(labeled_mask, dtype=bool)
    lab, unl = np.flatnonzero(mask), np.flatnonzero(~mask)
    dev = device
    conditioned = cond is not None
    k = int(latent_dim)
    width = k + (1 if conditioned else 0)
    bl, bu = min(int(batch_size), lab.size), min(int(batch_size), unl.size)
    Xt = torch.as_tensor(X)
    ct = torch.as_tensor(np.asarray(cond, dtype=np.float32)) if conditioned else None
    tt = torch.as_tensor(np.asarray(unlabeled_targets, dtype=np.float32)) if unlabeled_targets is not None else None
    yt = torch.as_tensor(np.asarray(labels, dtype=np.int64)) if labels is not None else None
    from tqdm.auto import tqdm

    def draw():
        """A fresh labeled and a fresh unlabeled minibatch (indices, and their inputs stacked L then U)."""
        il, iu = lab[rng.integers(0, lab.size, bl)], unl[rng.integers(0, unl.size, bu)]
        return il, iu, torch.cat([Xt[il], Xt[iu]]).to(dev)

    def d_input(mu, idx):
        return mu if ct is None else torch.cat([mu, ct[idx].to(dev).unsqueeze(1)], dim=1)

    ones = torch.ones(bl + bu, device=dev)
    vae_curve, d_curve = np.empty(steps), np.empty(steps)
    with seeded(torch_seed(rng), dev), _threads_for(X.shape[1:]):
        vae = make_vae(X.shape[1:], width).to(dev)
        disc = Discriminator(width).to(dev)
        head = nn.Linear(k, int(n_classes)).to(dev) if yt is not None else None
        params = list(vae.parameters()) + (list(head.parameters()) if head is not None else [])
        opt_vae = torch.optim.Adam(params, lr=lr)
        opt_d = torch.optim.Adam(disc.parameters(), lr=lr)
        bce = nn.BCEWithLogitsLoss()
        vae.train()
        disc.train()
        for t in tqdm(range(int(steps)), desc="VAAL", leave=False, disable=not progress):
            for _ in range(vae_steps):
                il, iu, x = draw()
                idx = np.concatenate([il, iu])
                mu, logvar = vae.encode(x)
                mu, logvar = mu[:, :k], logvar[:, :k]  # (bl + bu, latent) one pass for L and U
                z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)  # reparameterised sample
                if ct is not None:
                    z = torch.cat([z, torch.sigmoid(ct[idx].to(dev)).unsqueeze(1)], dim=1)
                recon = vae.decode(z)
                rec_l, kl_l = vae_loss_terms(x[:bl], recon[:bl], mu[:bl], logvar[:bl])
                rec_u, kl_u = vae_loss_terms(x[bl:], recon[bl:], mu[bl:], logvar[bl:])
                logit = disc(d_input(mu, idx))
                adv = bce(logit[:bl], ones[:bl]) + bce(logit[bl:], ones[bl:])  # everything should look labeled
                loss = rec_l + rec_u + beta * (kl_l + kl_u) + adversary_weight * adv
                if head is not None and yt is not None:
                    loss = loss + target_weight * F.cross_entropy(head(mu[:bl]), yt[il].to(dev))
                opt_vae.zero_grad()
                loss.backward()
                opt_vae.step()
            vae_curve[t] = float(loss.detach())
            for _ in range(discriminator_steps):
                il, iu, x = draw()
                with torch.no_grad():
                    mu = vae.encode(x)[0][:, :k]  # (bl + bu, latent)
                logit = disc(d_input(mu, np.concatenate([il, iu])))
                target_u = tt[iu].to(dev) if tt is not None else torch.zeros(bu, device=dev)
                d_loss = bce(logit[:bl], ones[:bl]) + bce(logit[bl:], target_u)  # labeled 1, unlabeled t_U
                opt_d.zero_grad()
                d_loss.backward()
                opt_d.step()
            d_curve[t] = float(d_loss.detach())
    vae.eval()
    disc.eval()
    return vae, disc, vae_curve, d_curve


def train_vaal(
    X: ArrayLike,
    labeled_mask: ArrayLike,
    rng: RandomLike = None,
    *,
    latent_dim: int = 32,
    beta: float = 1.0,
    adversary_weight: float = 1.0,
    lr: float = 5e-4,
    steps: Optional[int] = None,
    batch_size: int = 64,
    vae_steps: int = 2,
    discriminator_steps: int = 1,
    progress: bool = False,
    device: str = "cpu",
) -> VAALFit:
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
        raise ValueError(
            "VAAL's discriminator learns to tell labeled from unlabeled samples and no sample is "
            "labeled: label at least one sample first"
        )
    if unl.size == 0:
        raise ValueError("every sample is labeled: VAAL needs unlabeled samples to train on and pick from")
    for name, v in (("beta", beta), ("adversary_weight", adversary_weight)):
        check_number(v, name, 0.0)
    check_number(lr, "lr", 0.0, exclusive_minimum=True, hint="the paper uses 5e-4")
    check_int(batch_size, "batch_size", 1)
    for name, v in (("vae_steps", vae_steps), ("discriminator_steps", discriminator_steps)):
        check_int(v, name, 1, hint="the paper alternates 2 VAE steps : 1 D step")
    if steps is None:
        steps = _default_steps(X, batch_size)
    check_int(steps, "steps", 1, hint="or None to scale with the pool size")
    dev = resolve_device(device)
    rng = as_generator(rng)
    vae, disc, vae_curve, d_curve = _train_vae_discriminator(
        X,
        mask,
        rng,
        latent_dim=latent_dim,
        beta=beta,
        adversary_weight=adversary_weight,
        lr=lr,
        steps=steps,
        batch_size=batch_size,
        vae_steps=vae_steps,
        discriminator_steps=discriminator_steps,
        progress=progress,
        device=dev,
    )
    if not (np.isfinite(vae_curve).all() and np.isfinite(d_curve).all()):
        raise TrainingDivergedError(
            f"VAAL's VAE diverged (its loss became NaN or inf) on inputs whose values reach "
            f"{float(np.abs(X).max()):.3g}: it reconstructs them with a squared error and needs features of about "
            "unit scale. Standardise them (alviz.datasets.from_arrays(X, y, scale='standard'), or "
            "sklearn.preprocessing.StandardScaler), or lower lr"
        )
    return VAALFit(vae, disc, vae_curve, d_curve, int(steps))
