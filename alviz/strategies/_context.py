"""QueryContext: everything a strategy may look at in one round, computed lazily, memoized per round."""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional

import numpy as np

from .._cache import pool_key
from .._validation import as_generator
from ..models import fit_fresh, has_embedding, is_torch_model, model_input
from ._registry import strategies_for

__all__ = ["QueryContext", "gradient_factors_from"]


class QueryContext:
    """Everything a strategy may look at in one round, computed lazily and cached.

    Parameters
    ----------
    X : (n_pool, *input_shape) array, the pool.
    labeled_mask : (n_pool,) bool.
    labels : (n_pool,) int, revealed labels (-1 where not revealed).
    n_classes : int.
    model : fitted classifier or None (None when nothing is labeled yet).
    model_template : unfitted classifier the Session trains; committees clone it.
    cache : dict, optional
        A place for state that may live across rounds (e.g. a contrastive
        encoder keyed by data hash); the Session passes the same dict each round.
    dataset_key : str, a content hash of the pool for on-disk caches.
    train_X, train_y : the task model's training set (default: the labeled pool samples).
    features : (n_pool, d) array, optional
        The dataset's own features of the pool (``Dataset.features``), which the representation-aware
        strategies use under ``embedding="auto"`` or ``"features"``; None when it has none.
    """

    def __init__(
        self,
        X,
        labeled_mask,
        labels,
        n_classes: int,
        model=None,
        model_template=None,
        cache: Optional[dict] = None,
        dataset_key: str = "",
        train_X=None,
        train_y=None,
        features=None,
    ):
        self.X = X
        self.features = None if features is None else np.asarray(features)
        if self.features is not None and (self.features.ndim != 2 or len(self.features) != len(labeled_mask)):
            raise ValueError(
                f"features has shape {self.features.shape}; it needs one row per pool sample ({len(labeled_mask)}, d)"
            )
        self.labeled_mask = np.asarray(labeled_mask, dtype=bool)
        self.labels = np.asarray(labels, dtype=np.int64)
        self.n_classes = int(n_classes)
        self.model = model
        self.model_template = model_template
        self.cache = {} if cache is None else cache
        self.dataset_key = dataset_key
        self.train_X = X[self.labeled_mask] if train_X is None else train_X
        self.train_y = self.labels[self.labeled_mask] if train_y is None else train_y
        self._memo: Dict[str, Any] = {}
        #: the name of the strategy querying this context (set by Strategy.query; names it in refusals)
        self.strategy_name = ""

    # ---------------------------------------------------------------- sizes
    @property
    def n_pool(self) -> int:
        return len(self.labeled_mask)

    @property
    def unlabeled_mask(self) -> np.ndarray:
        return ~self.labeled_mask

    @property
    def candidates(self) -> np.ndarray:
        """Indices of the unlabeled pool samples (the default candidates)."""
        return np.flatnonzero(~self.labeled_mask)

    @property
    def n_unlabeled(self) -> int:
        return int((~self.labeled_mask).sum())

    @property
    def pool_key(self) -> str:
        """The pool's content hash (:func:`alviz._cache.pool_key`): ``dataset_key`` when the Session
        gave one (computed once per session), else hashed once per context."""
        if self.dataset_key:
            return self.dataset_key
        return self.memoize("pool_key", lambda: pool_key(self.X))

    def flat_X(self) -> np.ndarray:
        return self.X.reshape(self.n_pool, -1)

    def memoize(self, key, fn: Callable[[], Any]):
        """The per-round memo: ``fn()`` computed once per context under ``key`` (any hashable), then reused.

        The one place a strategy keeps state within a round (a committee, a trained network, a
        radius) so that :meth:`Strategy.score_points` on the same context reuses it; state that lives
        across rounds goes in :attr:`cache`.
        """
        if key not in self._memo:
            self._memo[key] = fn()
        return self._memo[key]

    #: the old private name of :meth:`memoize`
    _memoize = memoize

    # ---------------------------------------------------------------- requirements
    def _who(self, who: Optional[str]) -> str:
        return who or self.strategy_name or "this strategy"

    def require_model(self, who: Optional[str] = None):
        if self.model is None:
            ok = strategies_for(None, n_labeled=int(self.labeled_mask.sum()))
            raise ValueError(
                f"strategy {self._who(who)!r} needs a trained task model, and nothing is labeled yet; "
                "start with initial >= 1 labeled samples, or for the first round use a strategy that needs "
                f"no model: {', '.join(ok)}"
            )
        return self.model

    def require_torch(self, who: Optional[str] = None):
        model = self.require_model(who)
        if not is_torch_model(model):
            raise TypeError(
                f"strategy {self._who(who)!r} needs gradients, so it needs an alviz torch model "
                f"(alviz.models.MLP, CNN or TorchModel), not a {type(model).__name__}. With this model use a "
                f"strategy that runs with it: {', '.join(strategies_for(model))}"
            )
        return model

    def require_labels(self, who: Optional[str] = None, min_classes: int = 1):
        who = self._who(who)
        present = np.unique(self.labels[self.labeled_mask])
        if present.size < min_classes:
            raise ValueError(
                f"strategy {who!r} needs labeled samples of at least {min_classes} classes, "
                f"the labeled set has {present.size}; label more samples first (e.g. a larger initial set)"
            )
        return present

    # ---------------------------------------------------------------- cached quantities
    def proba_of(self, model, X) -> np.ndarray:
        """(n, C) probabilities of ``model`` on ``X``, with a column for every class of the pool."""
        p = np.asarray(model.predict_proba(model_input(model, X)), dtype=np.float64)
        classes = np.asarray(getattr(model, "classes_", np.arange(p.shape[1])))
        if p.shape[1] == self.n_classes and np.array_equal(classes, np.arange(self.n_classes)):
            return p
        full = np.zeros((p.shape[0], self.n_classes))
        full[:, classes.astype(np.int64)] = p
        return full

    def share_forward_pass(self, record) -> bool:
        """Keep the pool's probabilities and embedding from a strategy's own pass of the task model.

        ``record`` is the :class:`alviz.models.ForwardRecord` of a pass over exactly ``X``, in order,
        with this context's model. Then :attr:`proba` and :attr:`embedding` (and so the round's record
        in the Session) come from it, not from a second forward pass. Returns False, keeping nothing,
        when they are computed already or the record is not one of the whole pool.
        """
        if "torch_pass" in self._memo or record.model is not self.model or record.n_seen != self.n_pool:
            return False
        self._memo["torch_pass"] = record.proba_and_embed()
        return True

    def _torch_pass(self):
        """(proba, embedding) of an alviz torch model from one forward pass over the pool (memoized)."""
        return self.memoize("torch_pass", lambda: self.model.proba_and_embed(self.X))

    @property
    def proba(self) -> np.ndarray:
        """(n_pool, C) predicted class probabilities of the task model."""

        def compute():
            model = self.require_model()
            if is_torch_model(model):  # one pass gives the embedding too
                return self._torch_pass()[0]
            return self.proba_of(model, self.X)

        return self.memoize("proba", compute)

    @property
    def embedding(self) -> np.ndarray:
        """(n_pool, d) penultimate features of the task model.

        When nothing is labeled yet (no model) this is the flattened input,
        and ``embedding_source`` says so.
        """

        def compute():
            if self.model is None:
                return self.flat_X().astype(np.float32)
            if not has_embedding(self.model):
                raise TypeError(
                    f"strategy {self._who(None)!r} needs the task model's embedding, and a "
                    f"{type(self.model).__name__} has no embed(X); use an alviz torch model (alviz.models.MLP "
                    f"or CNN), or a strategy that runs with this model: {', '.join(strategies_for(self.model))}"
                )
            if is_torch_model(self.model):  # one pass gives the probabilities too
                return np.asarray(self._torch_pass()[1], dtype=np.float32)
            return np.asarray(self.model.embed(self.X), dtype=np.float32)

        return self.memoize("embedding", compute)

    def proba_points(self, X) -> np.ndarray:
        """(m, C) the task model's probabilities at arbitrary inputs ``X`` (not pool members): fields."""
        return self.proba_of(self.require_model(), X)

    def embed_points(self, X) -> np.ndarray:
        """(m, d) the task model's penultimate features at arbitrary inputs ``X``, in the space of
        :attr:`embedding` (the flattened input when no model exists yet)."""
        X = np.asarray(X)
        if self.model is None:
            return X.reshape(len(X), -1).astype(np.float32)
        if not has_embedding(self.model):
            raise TypeError(
                f"this strategy needs the task model's embedding, and a {type(self.model).__name__} "
                "has no embed(X); use an alviz torch model (alviz.models.MLP, CNN or TorchModel)"
            )
        return np.asarray(self.model.embed(X), dtype=np.float32)

    def gradient_factors_of(self, X):
        """(a, h) of :attr:`gradient_factors` at arbitrary inputs ``X`` (the same formula)."""
        self.require_torch()
        return gradient_factors_from(self.proba_points(X), self.embed_points(X))

    def own_features(self, who: Optional[str] = None) -> np.ndarray:
        """(n_pool, d) float32: the dataset's own features of the pool, or a ``ValueError`` saying how to give them."""
        if self.features is None:
            raise ValueError(
                f"strategy {self._who(who)!r} was told to use the dataset's own features (embedding='features'), "
                "and this dataset has none: build it with alviz.datasets.from_arrays(X, y, features=F), one row "
                "of F per sample, or choose another embedding"
            )
        return np.asarray(self.features, dtype=np.float32)

    @property
    def embedding_source(self) -> str:
        return "input" if self.model is None else "model"

    @property
    def gradient_factors(self):
        """(a, h): the last-layer gradient embedding g = a ⊗ h, never built as a matrix.

        a = p - e_ŷ (n, C) (the gradient of the cross-entropy at the predicted
        label ŷ with respect to the logits) and h the penultimate features (n, d).
        """

        def compute():
            self.require_torch()
            return gradient_factors_from(self.proba, self.embedding)

        return self.memoize("gradient_factors", compute)

    # ---------------------------------------------------------------- committees
    def fit_clone(self, X, y, rng, params: Optional[dict] = None) -> Any:
        """A fresh copy of the task model fitted on (X, y), seeded from ``rng`` (committees); ``params``
        are set on the copy where it has them (:func:`alviz.models.fit_fresh`)."""
        template = self.model_template if self.model_template is not None else self.require_model("committee")
        return fit_fresh(template, X, y, self.n_classes, as_generator(rng), params)


def gradient_factors_from(proba, h):
    """(a, h) with a = p - e_ŷ (n, C) and h (n, d) float64: the factors of g = a ⊗ h."""
    p = np.asarray(proba, dtype=np.float64)
    a = p.copy()
    a[np.arange(len(p)), p.argmax(axis=1)] -= 1.0
    return a, np.asarray(h, dtype=np.float64)
