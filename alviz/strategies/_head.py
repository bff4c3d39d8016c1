"""The task model's last layer as numbers: the head's weights, its logits and its loss gradient on embeddings.

alviz's torch models (MLP, CNN, TorchModel) end in a linear head whose input is the embedding
(:meth:`alviz.models.TorchClassifier.embed`), so logits = h Wᵀ + b exactly, and strategies that work on
embeddings (ALFA-Mix's interpolations) run the head in numpy without touching the network.
"""

from __future__ import annotations

from typing import Tuple

import numpy as np

__all__ = ["head_weights", "head_logits", "head_softmax", "head_loss_gradient"]


def head_weights(model) -> Tuple[np.ndarray, np.ndarray]:
    """(W (C, d), b (C,)) float64: the linear head of a fitted alviz torch model (a copy; the model is untouched)."""
    head = model.head_
    W = head.weight.detach().cpu().numpy().astype(np.float64)
    b = head.bias.detach().cpu().numpy().astype(np.float64) if head.bias is not None else np.zeros(len(W))
    return W, b


def head_logits(W: np.ndarray, b: np.ndarray, H: np.ndarray) -> np.ndarray:
    """(n, C) logits h Wᵀ + b of embeddings ``H`` (n, d)."""
    return np.asarray(H, dtype=np.float64) @ W.T + b


def head_softmax(W: np.ndarray, b: np.ndarray, H: np.ndarray) -> np.ndarray:
    """(n, C) softmax of :func:`head_logits`."""
    z = head_logits(W, b, H)
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def head_loss_gradient(W: np.ndarray, b: np.ndarray, H: np.ndarray, target: np.ndarray) -> np.ndarray:
    """(n, d) ∂ CE(head(h), target) / ∂h = (softmax(head(h)) − e_target) W, row by row."""
    p = head_softmax(W, b, H)
    p[np.arange(len(p)), np.asarray(target, dtype=np.int64)] -= 1.0
    return p @ W
