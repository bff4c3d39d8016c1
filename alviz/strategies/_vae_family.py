"""What the VAAL family (vaal, ta_vaal, sraal) shares: one private base class, so that no strategy module
imports another."""

from __future__ import annotations

from typing import Optional

from .._device import resolve_device
from .._params import Integral, Interval, Real
from .base import Strategy

__all__ = ["_VAEFamily"]


class _VAEFamily(Strategy):
    """What the VAAL family (vaal, ta_vaal, sraal) shares: the VAE and discriminator settings, declared
    once, and how they reach the training (:meth:`_vae_settings`) and the per-round memo (:meth:`_fit_key`)."""

    _parameter_constraints = {
        "latent_dim": [Interval(Integral, 1, None, hint="the paper uses 32")],
        "beta": [Interval(Real, 0, None)],
        "adversary_weight": [Interval(Real, 0, None)],
        "lr": [Interval(Real, 0, None, closed="neither", hint="the paper uses 5e-4")],
        "steps": [Interval(Integral, 1, None, hint="or None to scale with the pool size"), None],
        "batch_size": [Interval(Integral, 1, None)],
        "device": ["device"],
    }

    def __init__(
        self,
        latent_dim: int = 32,
        beta: float = 1.0,
        adversary_weight: float = 1.0,
        lr: float = 5e-4,
        steps: Optional[int] = None,
        batch_size: int = 64,
        device: str = "cpu",
    ) -> None:
        self.latent_dim = latent_dim
        self.beta = beta
        self.adversary_weight = adversary_weight
        self.lr = lr
        self.steps = steps
        self.batch_size = batch_size
        self.device = device

    def _vae_settings(self) -> dict:
        """The shared settings as the training functions take them (``train_vaal``, ``train_state_discriminator``)."""
        return dict(
            latent_dim=int(self.latent_dim),
            beta=float(self.beta),
            adversary_weight=float(self.adversary_weight),
            lr=float(self.lr),
            steps=self.steps,
            batch_size=int(self.batch_size),
            device=self.device,
        )

    def _fit_key(self) -> tuple:
        """The memo key of this round's networks: the strategy's name and all its parameters. A device this
        machine lacks fails here, before any training."""
        resolve_device(self.device)
        return (f"{self.name}_fit",) + tuple(sorted((k, str(v)) for k, v in self.get_params(deep=False).items()))
