"""Torch task models behind one small classifier API.

``fit(X, y, n_classes)``, ``predict_proba(X)``, ``embed(X)`` (penultimate
features) and ``logits(x)`` (a differentiable torch tensor, for gradient
strategies). They are scikit-learn estimators (``get_params``/``clone`` work),
seeded by ``random_state`` and deterministic on the CPU. Training seeds torch
inside ``torch.random.fork_rng`` so the global torch state is left alone.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from torch import nn

from ._threads import threads_for
from ._validation import check_features, check_labels

__all__ = ["MLP", "CNN", "TorchClassifier", "default_model", "is_torch_model", "has_embedding", "model_input"]


class _Net(nn.Module):
    """features: input -> penultimate h (n, d); head: h -> logits (n, C)."""

    def __init__(self, features: nn.Module, head: nn.Module):
        super().__init__()
        self.features = features
        self.head = head

    def forward(self, x):
        return self.head(self.features(x))


class TorchClassifier(ClassifierMixin, BaseEstimator):
    """Shared training and inference; subclasses build the network."""

    #: the input shape (without the batch axis) this model accepts; set by fit
    input_shape_: tuple

    def _build(self, input_shape: tuple, n_classes: int) -> _Net:  # pragma: no cover - abstract
        raise NotImplementedError

    def _check_input(self, X) -> np.ndarray:
        return check_features(X, "X")

    # ------------------------------------------------------------------ training
    def fit(self, X, y, n_classes: Optional[int] = None):
        """Train from scratch on (X, y). ``n_classes`` fixes the output size (default max(y)+1)."""
        X = self._check_input(X)
        y = check_labels(y, len(X), n_classes)
        C = int(n_classes) if n_classes is not None else int(y.max()) + 1
        if C < 2:
            raise ValueError("n_classes must be at least 2")
        self.n_classes_ = C
        self.classes_ = np.arange(C)
        self.input_shape_ = tuple(X.shape[1:])
        seed = 0 if self.random_state is None else int(self.random_state)
        with torch.random.fork_rng(devices=[]), threads_for(self.input_shape_):
            torch.manual_seed(seed)
            net = self._build(self.input_shape_, C)
            opt = torch.optim.Adam(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
            Xt = torch.as_tensor(X, dtype=torch.float32)
            yt = torch.as_tensor(y)
            gen = torch.Generator().manual_seed(seed)
            n = len(Xt)
            bs = min(self.batch_size, n)
            net.train()
            loss_fn = nn.CrossEntropyLoss()
            for _ in range(self.steps):
                idx = torch.randperm(n, generator=gen)[:bs] if bs < n else slice(None)
                opt.zero_grad()
                loss = loss_fn(net(Xt[idx]), yt[idx])
                loss.backward()
                opt.step()
            self.final_loss_ = float(loss.detach())
        net.eval()
        self.network_ = net
        return self

    # ------------------------------------------------------------------ inference
    def _check_fitted(self):
        if not hasattr(self, "network_"):
            raise RuntimeError(f"this {type(self).__name__} is not fitted yet; call fit(X, y) first")

    def _tensor(self, X) -> torch.Tensor:
        self._check_fitted()
        X = self._check_input(X)
        if tuple(X.shape[1:]) != self.input_shape_:
            raise ValueError(
                f"X has samples of shape {tuple(X.shape[1:])} but the model was fitted on {self.input_shape_}"
            )
        return torch.as_tensor(X, dtype=torch.float32)

    def _batched(self, fn, X, batch: int = 4096) -> np.ndarray:
        Xt = self._tensor(X)
        self.network_.eval()
        with torch.no_grad():
            out = [fn(Xt[i:i + batch]) for i in range(0, len(Xt), batch)]
        return torch.cat(out).numpy()

    def predict_proba(self, X) -> np.ndarray:
        """(n, C) class probabilities."""
        return self._batched(lambda x: torch.softmax(self.network_(x), dim=1), X).astype(np.float64)

    def predict(self, X) -> np.ndarray:
        return self.predict_proba(X).argmax(axis=1)

    def embed(self, X) -> np.ndarray:
        """(n, d) penultimate-layer features h."""
        return self._batched(self.network_.features, X)

    def logits(self, x) -> torch.Tensor:
        """Logits (n, C) as a differentiable tensor; ``x`` is a tensor (n, *input_shape) or an array."""
        self._check_fitted()
        if not isinstance(x, torch.Tensor):
            x = self._tensor(x)
        self.network_.eval()
        return self.network_(x)

    @property
    def n_embedding_(self) -> int:
        """Width of the penultimate layer."""
        self._check_fitted()
        return int(self.network_.head.in_features)


class MLP(TorchClassifier):
    """A multilayer perceptron on flattened inputs.

    Parameters
    ----------
    hidden : tuple of int, widths of the hidden layers; the last is the embedding.
    dropout : float, dropout before the output layer (used by MC-dropout committees).
    steps : int, Adam steps per fit (minibatches of ``batch_size``).
    """

    def __init__(self, hidden: Sequence[int] = (128,), dropout: float = 0.1, steps: int = 300,
                 lr: float = 1e-2, weight_decay: float = 1e-4, batch_size: int = 64,
                 random_state: Optional[int] = 0):
        self.hidden = hidden
        self.dropout = dropout
        self.steps = steps
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.random_state = random_state

    def _build(self, input_shape, n_classes):
        d = int(np.prod(input_shape))
        layers: list = [nn.Flatten()]
        for w in self.hidden:
            layers += [nn.Linear(d, int(w)), nn.ReLU()]
            d = int(w)
        layers.append(nn.Dropout(self.dropout))
        return _Net(nn.Sequential(*layers), nn.Linear(d, n_classes))


class CNN(TorchClassifier):
    """A small two-block convnet for image tensors (n, channels, H, W)."""

    def __init__(self, channels: Sequence[int] = (16, 32), embedding_dim: int = 64, dropout: float = 0.1,
                 steps: int = 300, lr: float = 3e-3, weight_decay: float = 1e-4, batch_size: int = 64,
                 random_state: Optional[int] = 0):
        self.channels = channels
        self.embedding_dim = embedding_dim
        self.dropout = dropout
        self.steps = steps
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.random_state = random_state

    def _check_input(self, X):
        X = check_features(X, "X")
        if X.ndim != 4:
            raise ValueError(
                f"CNN needs image tensors of shape (n, channels, H, W), got {X.shape}; "
                "reshape your data (e.g. X.reshape(-1, 1, 8, 8)) or use alviz.models.MLP"
            )
        return X

    def _build(self, input_shape, n_classes):
        c = input_shape[0]
        layers: list = []
        for w in self.channels:
            layers += [nn.Conv2d(c, int(w), 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True)]
            c = int(w)
        layers += [nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(c * 4, int(self.embedding_dim)), nn.ReLU(),
                   nn.Dropout(self.dropout)]
        return _Net(nn.Sequential(*layers), nn.Linear(int(self.embedding_dim), n_classes))


def default_model(dataset, random_state: int = 0) -> TorchClassifier:
    """A sensible task model for ``dataset``: a CNN for image tensors, an MLP otherwise."""
    if dataset.is_image:
        return CNN(random_state=random_state)
    if dataset.is_2d:
        return MLP(hidden=(32, 32), random_state=random_state)
    return MLP(hidden=(128,), random_state=random_state)


def is_torch_model(model) -> bool:
    """True for a fitted-or-not alviz torch classifier (gradient strategies need one)."""
    return isinstance(model, TorchClassifier)


def has_embedding(model) -> bool:
    return callable(getattr(model, "embed", None))


def model_input(model, X: np.ndarray) -> np.ndarray:
    """torch models take the pool as it is; other classifiers get it flattened to (n, features)."""
    return X if is_torch_model(model) else np.asarray(X).reshape(len(X), -1)
