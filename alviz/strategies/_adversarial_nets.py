"""Networks and training loops of the adversarial line after VAAL (private; strategies import them).

* Learning Loss's loss prediction module and its margin ranking loss
  (:func:`train_loss_predictor`), used by ``loss_prediction`` and ``ta_vaal``;
* WAAL's Wasserstein critic between labeled and unlabeled representations
  (:func:`train_critic`);
* a VAAL-style VAE and state discriminator with two options that TA-VAAL and
  SRAAL add (:func:`train_state_discriminator`): a per-sample condition fed to
  the decoder and the discriminator (TA-VAAL's loss ranking), and soft targets
  for the unlabeled samples (SRAAL's relabeled states) with a supervised target
  learner on the latent mean.

VAAL's own pieces are reused through their public path (:mod:`alviz.vaal_networks`), and so is its
training loop (``alviz.vaal_networks._train_vae_discriminator``, with the two additions as options).
Every loop draws its minibatches from the caller's ``rng`` and seeds torch from
it inside ``torch.random.fork_rng``; nothing here touches a task model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np
import torch
from torch import nn

from .._device import resolve_device, seeded
from .._threads import threads_for
from .._validation import torch_seed
from ..vaal_networks import Discriminator, _default_steps, _train_vae_discriminator

__all__ = [
    "standardizer",
    "LossPredictor",
    "margin_ranking_loss",
    "train_loss_predictor",
    "LossPredictorFit",
    "RankerFit",
    "fit_ranker",
    "per_sample_loss",
    "Critic",
    "train_critic",
    "CriticFit",
    "wasserstein_gap",
    "gradient_penalty",
    "train_state_discriminator",
    "StateFit",
    "vae_steps_for",
]


def _apply(fn: Callable, A: np.ndarray, device: torch.device, batch: int = 4096) -> np.ndarray:
    """``fn`` on the rows of ``A`` in batches, without gradients; a float64 numpy result."""
    At = torch.as_tensor(np.asarray(A, dtype=np.float32))
    with torch.no_grad():
        out = [fn(At[i : i + batch].to(device)).cpu() for i in range(0, len(At), batch)]
    if not out:
        return np.zeros(0)
    return torch.cat(out).numpy().astype(np.float64)


@dataclass
class _NetFit:
    """A trained network, its training curve (its loss per step) and where it runs."""

    net: nn.Module
    loss_curve: np.ndarray
    device: torch.device

    def _run(self, H: np.ndarray) -> np.ndarray:
        """(n,) the network (in eval mode) on the rows of ``H``, without gradients."""
        self.net.eval()
        return _apply(self.net, H, self.device)


def _adam_steps(net: nn.Module, lr: float, steps: int, step_loss: Callable[[], torch.Tensor]) -> np.ndarray:
    """``steps`` Adam steps of ``net`` (in train mode, then eval) on ``step_loss()``, a scalar drawn afresh
    each step; returns the curve of its values."""
    curve = np.empty(int(steps))
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    net.train()
    for t in range(int(steps)):
        loss = step_loss()
        opt.zero_grad()
        loss.backward()
        opt.step()
        curve[t] = float(loss.detach())
    net.eval()
    return curve


def vae_steps_for(X: np.ndarray, batch_size: int, steps: Optional[int]) -> int:
    """VAAL's default training length (:func:`alviz.vaal_networks.train_vaal`): about 8 passes of
    ``batch_size`` over the pool, in [40, 400], at most 120 for image tensors."""
    return int(steps) if steps is not None else _default_steps(X, batch_size)


# ============================================================================ Learning Loss
def standardizer(H: np.ndarray):
    """(mean, scale) of the pool's features (scale 1 where a feature is constant): a module that sees
    standardised features sees them the same way at the pool and at any point of a field."""
    H = np.asarray(H, dtype=np.float64)
    sd = H.std(axis=0)
    return H.mean(axis=0), np.where(sd > 1e-8, sd, 1.0)


def per_sample_loss(proba: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The cross-entropy −log p(y|x) of each sample, with p clipped at 1e-12.

    Parameters
    ----------
    proba : (n, C) array of probabilities.
    y : (n,) int array of classes.

    Returns
    -------
    (n,) float64
    """
    p = np.asarray(proba, dtype=np.float64)
    return -np.log(np.clip(p[np.arange(len(p)), np.asarray(y, dtype=np.int64)], 1e-12, None))


class LossPredictor(nn.Module):
    """The loss prediction module on one feature level: h → FC(hidden) → ReLU → FC(1).

    Learning Loss puts one GAP → FC(128) → ReLU branch on each of the backbone's
    feature levels and a linear layer on their concatenation; on one level
    (the task model's penultimate embedding) that is this network.
    """

    def __init__(self, in_dim: int, hidden: int = 128):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(int(in_dim), int(hidden)), nn.ReLU(), nn.Linear(int(hidden), 1))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.net(h).squeeze(1)  # (n,) predicted loss


def margin_ranking_loss(pred: torch.Tensor, target: torch.Tensor, margin: float = 1.0) -> torch.Tensor:
    """Learning Loss's ranking loss over a batch split into pairs (i, B−1−i), i < B/2.

    L = mean_i max(0, −sign(l_i − l_j)·(l̂_i − l̂_j) + ξ): the predicted losses
    must rank each pair like the true losses, by at least the margin ξ.

    Parameters
    ----------
    pred : (B,) tensor of predicted losses l̂.
    target : (B,) tensor of true losses l.
    margin : float, ξ.

    Returns
    -------
    torch.Tensor, a scalar.

    References
    ----------
    Yoo, D. & Kweon, I. S. (2019). Learning loss for active learning. CVPR.
    """
    half = len(pred) // 2
    d_pred = (pred - pred.flip(0))[:half]
    d_true = (target - target.flip(0))[:half]
    sign = torch.sign(d_true)
    return torch.clamp(-sign * d_pred + margin, min=0).mean()


class LossPredictorFit(_NetFit):
    """A trained loss prediction module (``net``), its training curve and where it runs."""

    def predict(self, H: np.ndarray) -> np.ndarray:
        """(n,) the predicted loss at features ``H`` (n, d)."""
        return self._run(H)


def train_loss_predictor(
    H: np.ndarray,
    loss: np.ndarray,
    rng: np.random.Generator,
    *,
    steps: int = 200,
    batch_size: int = 64,
    lr: float = 1e-3,
    margin: float = 1.0,
    hidden: int = 128,
    device="cpu",
) -> LossPredictorFit:
    """Train the loss prediction module on features ``H`` (n, d) and their true losses (n,).

    Each step draws an even minibatch (with replacement when n is small) and
    takes one Adam step on :func:`margin_ranking_loss`.

    Parameters
    ----------
    H : (n, d) features.
    loss : (n,) true losses.
    rng : numpy Generator; the minibatches and torch's seed come from it.
    steps, batch_size, lr, margin, hidden : training settings (see :class:`LossPredictor`).
    device : where the module trains and runs.

    Returns
    -------
    LossPredictorFit
    """
    dev = resolve_device(device)
    H = np.asarray(H, dtype=np.float32)
    loss = np.asarray(loss, dtype=np.float32)
    n = len(H)
    b = max(2, min(int(batch_size), n) // 2 * 2)
    Ht, lt = torch.as_tensor(H), torch.as_tensor(loss)
    with seeded(torch_seed(rng), dev), threads_for(H.shape[1:]):
        net = LossPredictor(H.shape[1], hidden).to(dev)

        def step_loss():
            idx = rng.choice(n, size=b, replace=n < b)
            return margin_ranking_loss(net(Ht[idx].to(dev)), lt[idx].to(dev), margin)

        curve = _adam_steps(net, lr, steps, step_loss)
    return LossPredictorFit(net, curve, dev)


@dataclass
class RankerFit:
    """A loss prediction module trained on a round's labeled set, with what it was trained from."""

    fit: LossPredictorFit
    mean: np.ndarray
    scale: np.ndarray
    labeled: np.ndarray
    true_loss: np.ndarray

    def predict(self, H: np.ndarray) -> np.ndarray:
        """(n,) the predicted loss at task-model features ``H`` (standardised like the pool's)."""
        return self.fit.predict((np.asarray(H, dtype=np.float64) - self.mean) / self.scale)


def fit_ranker(
    ctx,
    rng: np.random.Generator,
    *,
    who: str,
    steps: int,
    batch_size: int,
    lr: float,
    margin: float,
    hidden: int,
    device,
) -> RankerFit:
    """Learning Loss's module for a round (``ctx`` a QueryContext): trained on the task model's standardised
    embedding of the labeled samples and their losses −log p(y|x) under the round's model."""
    if not ctx.labeled_mask.any():
        raise ValueError(
            f"{who} learns from the losses of labeled samples, and nothing is labeled: label some samples "
            "first (initial >= 2), or start with 'random', 'coreset' or 'typiclust'"
        )
    H = np.asarray(ctx.embedding, dtype=np.float64)
    mean, scale = standardizer(H)
    lab = np.flatnonzero(ctx.labeled_mask)
    true = per_sample_loss(ctx.proba[lab], ctx.labels[lab])
    fit = train_loss_predictor(
        (H[lab] - mean) / scale,
        true,
        rng,
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        margin=margin,
        hidden=hidden,
        device=device,
    )
    return RankerFit(fit, mean, scale, lab, true)


# ============================================================================ WAAL's critic
class Critic(nn.Module):
    """WAAL's critic on a representation: h → FC(hidden) → ReLU → FC(1) → sigmoid (the authors' net_dis)."""

    def __init__(self, in_dim: int, hidden: int = 50):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(int(in_dim), int(hidden)), nn.ReLU(), nn.Linear(int(hidden), 1))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.net(h)).squeeze(1)  # (n,) in [0, 1]


def wasserstein_gap(critic: nn.Module, h_unl: torch.Tensor, h_lab: torch.Tensor, gamma: float) -> torch.Tensor:
    """WAAL's (unbalanced) Wasserstein estimate: mean D(h_U) − γ·mean D(h_L), γ = n_L / n_U."""
    return critic(h_unl).mean() - gamma * critic(h_lab).mean()


def gradient_penalty(critic: nn.Module, h_a: torch.Tensor, h_b: torch.Tensor) -> torch.Tensor:
    """mean (‖∇D(h)‖ − 1)² over random interpolates of paired rows of ``h_a``, ``h_b`` and both ends."""
    m = min(len(h_a), len(h_b))
    alpha = torch.rand(m, 1, device=h_a.device)
    inter = h_a[:m] + alpha * (h_b[:m] - h_a[:m])
    pts = torch.cat([inter, h_a, h_b]).requires_grad_(True)
    out = critic(pts)
    g = torch.autograd.grad(out, pts, grad_outputs=torch.ones_like(out), create_graph=True)[0]
    return ((g.norm(2, dim=1) - 1) ** 2).mean()


class CriticFit(_NetFit):
    """A trained critic (``net``, also ``critic``), its training curve (the critic's loss per step) and where
    it runs."""

    @property
    def critic(self) -> nn.Module:
        """The trained critic (``net``)."""
        return self.net

    def score(self, H: np.ndarray) -> np.ndarray:
        """(n,) D(h) in [0, 1]: high where the critic sees the unlabeled side."""
        return self._run(H)


def train_critic(
    H: np.ndarray,
    labeled_mask: np.ndarray,
    rng: np.random.Generator,
    *,
    steps: int = 200,
    batch_size: int = 64,
    lr: float = 1e-3,
    gp_weight: float = 2.0,
    hidden: int = 50,
    device="cpu",
) -> CriticFit:
    """Train WAAL's critic between the labeled and unlabeled rows of ``H`` (n, d), the representation frozen.

    Each step draws a labeled and an unlabeled minibatch and takes one Adam step
    on −W + gp_weight·GP (WGAN-GP: the critic maximises the Wasserstein estimate
    W = mean D(h_U) − γ·mean D(h_L) under a 1-Lipschitz penalty).

    Parameters
    ----------
    H : (n, d) representation of the pool.
    labeled_mask : (n,) bool; needs labeled and unlabeled rows.
    rng : numpy Generator; the minibatches and torch's seed come from it.
    steps, batch_size, lr, gp_weight, hidden : training settings.
    device : where the critic trains and runs.

    Returns
    -------
    CriticFit

    References
    ----------
    Shui, C., Zhou, F., Gagné, C. & Wang, B. (2020). Deep active learning: unified and principled
    method for query and training. AISTATS.
    """
    dev = resolve_device(device)
    H = np.asarray(H, dtype=np.float32)
    lab, unl = np.flatnonzero(labeled_mask), np.flatnonzero(~np.asarray(labeled_mask, dtype=bool))
    gamma = lab.size / max(1, unl.size)
    bl, bu = min(int(batch_size), lab.size), min(int(batch_size), unl.size)
    Ht = torch.as_tensor(H)
    with seeded(torch_seed(rng), dev), threads_for(H.shape[1:]):
        critic = Critic(H.shape[1], hidden).to(dev)

        def step_loss():
            hl = Ht[lab[rng.integers(0, lab.size, bl)]].to(dev)
            hu = Ht[unl[rng.integers(0, unl.size, bu)]].to(dev)
            return -wasserstein_gap(critic, hu, hl, gamma) + gp_weight * gradient_penalty(critic, hu, hl)

        curve = _adam_steps(critic, lr, steps, step_loss)
    return CriticFit(critic, curve, dev)


# ============================================================================ VAE + state discriminator
@dataclass
class StateFit:
    """A trained VAE and state discriminator (TA-VAAL, SRAAL) and their loss curves."""

    vae: Any  # alviz.vaal_networks' MLPVAE or ConvVAE (encode / decode)
    discriminator: Discriminator
    latent_dim: int
    conditioned: bool
    vae_loss: np.ndarray
    discriminator_loss: np.ndarray
    device: torch.device

    def encode(self, X: np.ndarray) -> np.ndarray:
        """(n, latent_dim) latent means μ."""
        self.vae.eval()
        k = self.latent_dim
        with threads_for(X.shape[1:]):
            return _apply(lambda x: self.vae.encode(x)[0][:, :k], X, self.device, batch=512)

    def p_labeled(self, mu: np.ndarray, cond: Optional[np.ndarray] = None) -> np.ndarray:
        """(n,) D(μ) (SRAAL) or D([μ, r]) (TA-VAAL): the discriminator's probability of "labeled"."""
        self.discriminator.eval()
        Z = mu if not self.conditioned else np.concatenate([mu, np.asarray(cond).reshape(-1, 1)], axis=1)
        return _apply(lambda z: torch.sigmoid(self.discriminator(z)), Z, self.device)


def train_state_discriminator(
    X: np.ndarray,
    labeled_mask: np.ndarray,
    rng: np.random.Generator,
    *,
    latent_dim: int = 32,
    beta: float = 1.0,
    adversary_weight: float = 1.0,
    lr: float = 5e-4,
    steps: Optional[int] = None,
    batch_size: int = 64,
    cond: Optional[np.ndarray] = None,
    unlabeled_targets: Optional[np.ndarray] = None,
    labels: Optional[np.ndarray] = None,
    n_classes: int = 0,
    target_weight: float = 1.0,
    device="cpu",
) -> StateFit:
    """Train a VAAL-style VAE and discriminator from scratch on labeled ∪ unlabeled, with TA-VAAL's or
    SRAAL's additions.

    Each iteration: one VAE step then one discriminator step, each on a fresh
    labeled and a fresh unlabeled minibatch drawn from ``rng`` (the loop is VAAL's,
    ``alviz.vaal_networks._train_vae_discriminator``).

    * VAE: rec + β·KL on L and U + adversary_weight·[BCE(D(L), 1) + BCE(D(U), 1)]
      (+ target_weight·CE(head(μ_L), y_L) with ``labels``: SRAAL's supervised target learner);
    * D: BCE(D(L), 1) + BCE(D(U), t_U), t_U = 0 (VAAL, TA-VAAL) or ``unlabeled_targets``
      (SRAAL's relabeled states).

    With ``cond`` (n,) (TA-VAAL's loss ranking r): the decoder gets [z, sigmoid(r)] and
    the discriminator [μ, r], as in the authors' code. The VAE is VAAL's
    (:func:`alviz.vaal_networks.make_vae`) built one latent unit wider; that unit's
    slot is where sigmoid(r) goes in, so the encoder's last output is unused.

    Parameters
    ----------
    X : (n, *input_shape) the pool.
    labeled_mask : (n,) bool; needs labeled and unlabeled samples.
    rng : numpy Generator; the minibatches and torch's seed come from it.
    latent_dim, beta, adversary_weight, lr, steps, batch_size : VAAL's settings (steps None: VAAL's default).
    cond : (n,) or None, TA-VAAL's r.
    unlabeled_targets : (n,) or None, SRAAL's relabeled states (read at unlabeled samples).
    labels, n_classes, target_weight : SRAAL's supervised target learner (labels read at labeled samples).
    device : where the networks train and run.

    Returns
    -------
    StateFit

    References
    ----------
    Kim, K., Park, D., Kim, K. I. & Chun, S. Y. (2021). Task-aware variational adversarial active learning. CVPR.
    Zhang, B., Li, L., Yang, S., Wang, S., Zha, Z.-J. & Huang, Q. (2020). State-relabeling adversarial active
    learning. CVPR.
    """
    dev = resolve_device(device)
    X = np.asarray(X, dtype=np.float32)
    steps = vae_steps_for(X, batch_size, steps)
    vae, disc, vae_curve, d_curve = _train_vae_discriminator(
        X,
        labeled_mask,
        rng,
        latent_dim=latent_dim,
        beta=beta,
        adversary_weight=adversary_weight,
        lr=lr,
        steps=steps,
        batch_size=batch_size,
        cond=cond,
        unlabeled_targets=unlabeled_targets,
        labels=labels,
        n_classes=n_classes,
        target_weight=target_weight,
        device=dev,
    )
    return StateFit(vae, disc, int(latent_dim), cond is not None, vae_curve, d_curve, dev)
