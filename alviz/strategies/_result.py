"""QueryResult: what every strategy returns, and ``candidate_scores`` to build its score vector."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional

import numpy as np

__all__ = ["QueryResult", "candidate_scores"]


@dataclass
class QueryResult:
    """What a strategy returns, always.

    indices : (k,) int64, the picks: distinct, never already labeled, in pick order (read them as
        :attr:`picks`; ``indices`` is the field's name, and ``QueryResult(picks, scores, extras)`` works).
    scores : (n_pool,) float, the strategy's score (higher = pick first); NaN where not a candidate.
    extras : dict, the strategy's diagnostics (what the pictures draw), each of the kind
        :data:`DIAGNOSTICS` declares for its name (checked by :func:`check_diagnostics`).
    augment_inputs : None or (k, *input_shape) array: inputs the Session adds to later training
        sets, one per pick, with the pick's label (dfal with ``add_adversarial=True``).
    """

    indices: np.ndarray
    scores: np.ndarray
    extras: Dict[str, Any] = field(default_factory=dict)
    augment_inputs: Optional[np.ndarray] = None

    @property
    def picks(self) -> np.ndarray:
        """(k,) int64: the picks, pool indices in pick order (the field ``indices``)."""
        return self.indices

    def __post_init__(self) -> None:
        self.indices = np.asarray(self.indices, dtype=np.int64).reshape(-1)
        self.scores = np.asarray(self.scores, dtype=np.float64).reshape(-1)
        self.extras = dict(self.extras)
        if self.augment_inputs is not None:
            self.augment_inputs = np.asarray(self.augment_inputs)


def candidate_scores(ctx: Any, values, where=None) -> np.ndarray:
    """A full (n_pool,) score vector: ``values`` on the candidates (or ``where``), NaN elsewhere."""
    out = np.full(ctx.n_pool, np.nan)
    idx = ctx.candidates if where is None else where
    v = np.asarray(values, dtype=np.float64)
    out[idx] = v[idx] if v.shape == (ctx.n_pool,) else v
    return out
