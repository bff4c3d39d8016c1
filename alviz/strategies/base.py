"""The strategy contract: QueryContext in, QueryResult out, and the registry.

A strategy is a small configured object: ``__init__`` only stores parameters
(scikit-learn manners), ``query(ctx, budget, rng)`` validates them, does the
work and returns a :class:`QueryResult`. It never trains the task model; the
Session does that and hands over a :class:`QueryContext`.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional

import numpy as np
from .._cache import pool_key
from .._params import merged_constraints, suggest, validate_params
from .._threads import threads_for
from .._validation import InvalidParameterError, as_generator, check_budget
from ..models import fit_fresh, has_embedding, is_torch_model, model_input

__all__ = ["QueryContext", "QueryResult", "Strategy", "StrategyTags", "CAPABILITIES", "register", "available",
           "get", "tags", "NoPointwiseScore", "SingleClassError", "unknown_strategy_message", "check_embedding_name",
           "runs_with", "strategies_for", "gradient_factors_from", "DIAGNOSTIC_KINDS", "DIAGNOSTICS",
           "PER_POOL", "POOL_MATRIX", "PER_PICK", "INDEX_SET", "SCALAR", "LABEL", "ARRAY", "DiagnosticError",
           "diagnostic_kind", "declare_diagnostic", "check_diagnostics"]

#: What a strategy may need, declared per class in ``Strategy.requires``:
#: ``"model"`` a trained task model (so at least one labeled sample), ``"embedding"`` the task
#: model's penultimate features when there is a model (``embed(X)``), ``"gradients"`` a
#: differentiable alviz torch model, ``"labels"`` at least ``min_classes`` labeled classes.
CAPABILITIES = ("model", "embedding", "gradients", "labels")


@dataclass(frozen=True)
class StrategyTags:
    """A strategy's declared needs (scikit-learn's tags habit): what it requires and from how many classes."""

    requires: frozenset
    min_classes: int = 1


# ============================================================================ diagnostics
#: the kinds of diagnostic a strategy may put in ``QueryResult.extras``
PER_POOL = "per_pool"  #: (n_pool,) numbers or bools: one value per pool sample (a colour, a ring size)
POOL_MATRIX = "pool_matrix"  #: (n_pool, ...) with 2 or more dims: one row per pool sample (a vector, an input)
PER_PICK = "per_pick"  #: (k,) numbers or bools: one value per pick, in pick order
INDEX_SET = "index_set"  #: 1-D distinct integer indices into the pool (e.g. the scored candidates)
SCALAR = "scalar"  #: one int, float or bool for the whole round
LABEL = "label"  #: one str for the whole round (a name, a setting)
ARRAY = "array"  #: numbers of their own shape, tied neither to the pool nor to the picks (loss curves, centroids)

#: every kind, with what it holds (the words of :class:`DiagnosticError`)
DIAGNOSTIC_KINDS = {
    PER_POOL: "an (n_pool,) array of numbers or bools",
    POOL_MATRIX: "an (n_pool, ...) array of numbers with at least 2 dimensions",
    PER_PICK: "a (k,) array of numbers or bools, one per pick",
    INDEX_SET: "a 1-D array of distinct integer pool indices",
    SCALAR: "one int, float or bool",
    LABEL: "one str",
    ARRAY: "an array of numbers",
}

#: The one declaration of every diagnostic name and its kind. A name means the same thing whichever
#: strategy returns it (``cluster`` from typiclust and from prototype), and plots, overlays, the session
#: file and :func:`check_diagnostics` know a diagnostic by its name alone (a Round only carries the
#: strategy's name, and a loaded one may come from a strategy this alviz no longer has), so the kinds
#: live in one table keyed by name rather than on each strategy class. A strategy of one's own adds
#: its names with :func:`declare_diagnostic`.
DIAGNOSTICS: Dict[str, str] = {
    # uncertainty
    "predicted": PER_POOL,
    # committees
    "member_votes": POOL_MATRIX, "vote_agreement": PER_POOL, "disagreement": PER_POOL,
    # expected model change / error reduction
    "expected_gradient_length": PER_POOL, "expected_loss": PER_POOL,
    # core-set (and contrastive core-set)
    "covering_radius": PER_PICK, "pick_nearest_center": PER_PICK, "pick_distance": PER_PICK,
    "nearest_center": PER_POOL, "distance_to_labeled": PER_POOL, "embedding_source": LABEL,
    # VAAL
    "discriminator_p_labeled": PER_POOL, "vae_loss": ARRAY, "discriminator_loss": ARRAY,
    "criterion": LABEL,
    # adversarial
    "perturbation": POOL_MATRIX, "adversarial_class": PER_POOL, "iterations": PER_POOL, "flipped": PER_POOL,
    "perturbation_norm": PER_POOL, "stuck": PER_POOL, "gradient_norm": PER_POOL,
    # gradient embeddings
    "seed_distance": PER_PICK, "residual_norm": PER_PICK, "span_rank": SCALAR,
    # clustering and coverage
    "cluster": PER_POOL, "typicality": PER_POOL, "n_clusters": SCALAR, "centroids": ARRAY,
    "distance_to_centroid": PER_POOL, "delta": SCALAR, "covered": PER_POOL, "pseudo_label": PER_POOL,
    # any strategy
    "candidates": INDEX_SET, "representation": POOL_MATRIX, "representation_name": LABEL,
}

#: names that are not diagnostics, with what to do instead
_NOT_DIAGNOSTICS = {
    "augment_inputs": "it is an instruction to the Session, not a diagnostic: return "
                      "QueryResult(indices, scores, extras, augment_inputs=...)",
}


class DiagnosticError(ValueError):
    """A diagnostic in ``extras`` that is not declared, or not of its declared kind.

    Attributes: ``key`` the diagnostic's name, ``kind`` its declared kind (None when undeclared),
    ``found`` a few words on what it holds.
    """

    def __init__(self, message: str, key: str, kind: Optional[str], found: str):
        super().__init__(message)
        self.key, self.kind, self.found = key, kind, found


def diagnostic_kind(name: str) -> Optional[str]:
    """The declared kind of the diagnostic ``name`` (one of :data:`DIAGNOSTIC_KINDS`), None if undeclared."""
    return DIAGNOSTICS.get(name)


def declare_diagnostic(name: str, kind: str) -> None:
    """Declare a diagnostic of a strategy of one's own: ``declare_diagnostic("my_score", PER_POOL)``.

    A declared name keeps its kind: declaring it again with another kind raises ``ValueError``.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"a diagnostic's name must be a non-empty str, got {name!r}")
    if kind not in DIAGNOSTIC_KINDS:
        raise ValueError(f"kind={kind!r} is not a diagnostic kind; choose one of {list(DIAGNOSTIC_KINDS)}")
    if name in _NOT_DIAGNOSTICS:
        raise ValueError(f"{name!r} cannot be a diagnostic: {_NOT_DIAGNOSTICS[name]}")
    if DIAGNOSTICS.get(name, kind) != kind:
        raise ValueError(f"the diagnostic {name!r} is already declared as {DIAGNOSTICS[name]!r}; "
                         "choose another name for a different kind")
    DIAGNOSTICS[name] = kind


def _is_numeric(a: np.ndarray) -> bool:
    return np.issubdtype(a.dtype, np.number) or a.dtype == bool


def _found(v) -> str:
    if isinstance(v, np.ndarray):
        return f"an array of shape {v.shape} and dtype {v.dtype}"
    return f"a {type(v).__name__}"


def _diagnostic_problem(kind: str, v, n_pool: int, k: int) -> bool:
    """True when ``v`` is not a ``kind`` for a pool of ``n_pool`` and ``k`` picks."""
    if kind == LABEL:
        return not isinstance(v, str)
    if kind == SCALAR:
        return isinstance(v, (str, bytes)) or not (isinstance(v, (int, float, bool, np.number, np.bool_))
                                                   or (isinstance(v, np.ndarray) and v.ndim == 0 and _is_numeric(v)))
    if not isinstance(v, np.ndarray) or not _is_numeric(v):
        return True
    if kind == PER_POOL:
        return v.shape != (n_pool,)
    if kind == POOL_MATRIX:
        return v.ndim < 2 or v.shape[0] != n_pool
    if kind == PER_PICK:
        return v.shape != (k,)
    if kind == INDEX_SET:
        return (v.ndim != 1 or not np.issubdtype(v.dtype, np.integer)
                or (v.size > 0 and (v.min() < 0 or v.max() >= n_pool)) or np.unique(v).size != v.size)
    return False  # ARRAY: any numeric array


def check_diagnostics(result: "QueryResult", n_pool: int) -> None:
    """Check that every diagnostic in ``result.extras`` is declared and of its declared kind.

    Parameters
    ----------
    result : QueryResult, its ``indices`` give k, the number of picks.
    n_pool : int, the size of the pool it was queried on.

    Raises
    ------
    DiagnosticError
        (a ``ValueError``) naming the key, its expected kind and what it holds.
    """
    k = len(result.indices)
    for key, v in result.extras.items():
        if key in _NOT_DIAGNOSTICS:
            raise DiagnosticError(f"extras[{key!r}]: {_NOT_DIAGNOSTICS[key]}", key, None, _found(v))
        kind = DIAGNOSTICS.get(key)
        if kind is None:
            raise DiagnosticError(
                f"extras[{key!r}] is not a declared diagnostic (it is {_found(v)}); declare its kind first, e.g. "
                f"alviz.strategies.declare_diagnostic({key!r}, {PER_POOL!r}), with a kind among "
                f"{list(DIAGNOSTIC_KINDS)}", key, None, _found(v))
        if _diagnostic_problem(kind, v, n_pool, k):
            want = DIAGNOSTIC_KINDS[kind].replace("n_pool", str(n_pool)).replace("(k,)", f"({k},)")
            raise DiagnosticError(f"extras[{key!r}] is declared {kind} ({want}), but it is {_found(v)}",
                                  key, kind, _found(v))


class SingleClassError(ValueError):
    """The labeled set holds one class, and the strategy scores by the task model's predictions."""


class NoPointwiseScore(ValueError):
    """A strategy's quantity cannot be computed at new inputs this round (it lives in a space given only
    for the pool, such as the dataset's own features); a field then draws the model alone."""


@dataclass
class QueryResult:
    """What a strategy returns, always.

    indices : (k,) int64, distinct, never already labeled, in pick order.
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

    def __post_init__(self):
        self.indices = np.asarray(self.indices, dtype=np.int64).reshape(-1)
        self.scores = np.asarray(self.scores, dtype=np.float64).reshape(-1)
        self.extras = dict(self.extras)
        if self.augment_inputs is not None:
            self.augment_inputs = np.asarray(self.augment_inputs)


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

    def __init__(self, X, labeled_mask, labels, n_classes: int, model=None, model_template=None,
                 cache: Optional[dict] = None, dataset_key: str = "", train_X=None, train_y=None,
                 features=None):
        self.X = X
        self.features = None if features is None else np.asarray(features)
        if self.features is not None and (self.features.ndim != 2 or len(self.features) != len(labeled_mask)):
            raise ValueError(f"features has shape {self.features.shape}; it needs one row per pool sample "
                             f"({len(labeled_mask)}, d)")
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
        return self._memoize("pool_key", lambda: pool_key(self.X))

    def flat_X(self) -> np.ndarray:
        return self.X.reshape(self.n_pool, -1)

    def memoize(self, key, fn: Callable[[], Any]):
        """The per-round memo: ``fn()`` computed once per context under ``key`` (any hashable), then reused.

        The one place a strategy keeps state within a round (a committee, a trained network, a
        radius) so that :meth:`Strategy.score_points` on the same context reuses it; state that lives
        across rounds goes in :attr:`cache`.
        """
        return self._memoize(key, fn)

    def _memoize(self, key: str, fn: Callable[[], Any]):
        if key not in self._memo:
            self._memo[key] = fn()
        return self._memo[key]

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
        return self._memoize("torch_pass", lambda: self.model.proba_and_embed(self.X))

    @property
    def proba(self) -> np.ndarray:
        """(n_pool, C) predicted class probabilities of the task model."""
        def compute():
            model = self.require_model()
            if is_torch_model(model):  # one pass gives the embedding too
                return self._torch_pass()[0]
            return self.proba_of(model, self.X)
        return self._memoize("proba", compute)

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
        return self._memoize("embedding", compute)

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
        return self._memoize("gradient_factors", compute)

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


# ============================================================================ strategies
class Strategy:
    """Base class. Subclasses set ``name`` and implement ``_query(ctx, budget, rng)``.

    ``requires`` (a subset of :data:`CAPABILITIES`) and ``min_classes`` declare what the
    strategy needs; refusals and the contract tests are generated from them (:func:`tags`).
    """

    name: str = ""
    #: what the strategy needs (see CAPABILITIES); the default needs nothing but the pool
    requires: frozenset = frozenset()
    #: the fewest labeled classes it works from (with "labels" in ``requires``)
    min_classes: int = 1
    #: what :meth:`score_points` returns, in a few words (the field's title)
    field_name: str = ""
    #: the finest field grid (points per axis) worth its cost, or None for no cap (an expensive
    #: pointwise score, such as EER's refits, sets one)
    field_max_resolution = None

    def _requires(self) -> frozenset:
        """What this configured instance needs: the class's ``requires``, which a subclass widens where a
        parameter asks for more (``committee="dropout"`` needs an alviz torch model, ``embedding="model"``
        the task model's embedding). :func:`tags` reads it for an instance, the class attribute for a name."""
        return frozenset(type(self).requires)

    def query(self, ctx: QueryContext, budget: int, rng=None) -> QueryResult:
        """Pick ``budget`` unlabeled samples. Returns a :class:`QueryResult`."""
        if not isinstance(ctx, QueryContext):
            raise TypeError(f"ctx must be a QueryContext, got {type(ctx).__name__}")
        budget = check_budget(budget, ctx.n_unlabeled)
        rng = as_generator(rng)
        self._validate_params()
        ctx.strategy_name = self.name
        self._refuse_single_class(ctx)
        with threads_for(tuple(np.shape(ctx.X)[1:])):  # small inputs: one torch thread (attacks, committees)
            res = self._query(ctx, budget, rng)
        self._check_result(res, ctx, budget)
        return res

    def _query(self, ctx: QueryContext, budget: int, rng: np.random.Generator) -> QueryResult:
        raise NotImplementedError

    def _refuse_single_class(self, ctx: QueryContext) -> None:
        """A strategy that reads the task model's predictions ("model" in its needs) refuses a labeled set of
        one class: a model trained on one class predicts it everywhere, its scores tie or rank noise, and the
        picks would follow the pool's index order. Raises :class:`SingleClassError`."""
        if "model" not in self._requires() or not ctx.labeled_mask.any():
            return
        present = np.unique(ctx.labels[ctx.labeled_mask])
        if present.size != 1:
            return
        ok = [n for n in available() if "model" not in tags(n).requires]
        raise SingleClassError(
            f"strategy {self.name!r} scores samples by the task model's predictions, and every labeled sample is "
            f"of class {int(present[0])}: a model trained on one class predicts it everywhere, so the scores say "
            "nothing (they tie, and the picks would be the pool's index order). Label samples of a second class "
            f"first (e.g. a larger or stratified initial set), or start with a strategy that needs no trained "
            f"model: {', '.join(ok)}"
        )

    def score_points(self, ctx: QueryContext, X, rng=None) -> np.ndarray:
        """The strategy's own quantity at arbitrary inputs ``X`` this round ("higher = pick first").

        The pointwise reading behind the fields drawn on 2-D data: for a
        pointwise strategy it is the very score that ranks the pool (the same
        code computes both); for a batch strategy it is the quantity its
        selection starts from (``field_name`` says which). State built by
        :meth:`query` on the same ``ctx`` (a committee, a discriminator,
        centroids, a radius) is reused from ``ctx``'s memo, never retrained.

        Parameters
        ----------
        ctx : QueryContext of this round.
        X : (m, *input_shape) array of inputs, not necessarily pool members.
        rng : None, int or Generator, used only when state must be built first.

        Returns
        -------
        (m,) float64
        """
        if not isinstance(ctx, QueryContext):
            raise TypeError(f"ctx must be a QueryContext, got {type(ctx).__name__}")
        X = np.asarray(X)
        shape = tuple(np.shape(ctx.X)[1:])
        if X.ndim == 0 or tuple(X.shape[1:]) != shape:
            raise ValueError(f"X has shape {X.shape}; score_points needs inputs of the pool's shape (m, *{shape})")
        X = X.astype(np.asarray(ctx.X).dtype, copy=False)
        self._validate_params()
        with threads_for(shape):
            s = np.asarray(self._score_points(ctx, X, as_generator(rng)), dtype=np.float64).reshape(-1)
        if s.shape != (len(X),):
            raise RuntimeError(f"strategy {self.name!r} scored {s.shape[0]} points for {len(X)} inputs")
        return s

    @property
    def has_pointwise_score(self) -> bool:
        """True when the strategy implements :meth:`score_points` (every registered one does)."""
        return type(self)._score_points is not Strategy._score_points

    def _score_points(self, ctx: QueryContext, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError(
            f"strategy {self.name!r} has no pointwise score: implement _score_points(ctx, X, rng) "
            "(and set field_name) so its field can be drawn"
        )

    def _state(self, ctx: QueryContext, what: str):
        """State this round's :meth:`query` left in ``ctx`` for :meth:`score_points`; a clear error when absent."""
        key = ("field_state", self.name, what)
        if key not in ctx._memo:
            raise ValueError(
                f"strategy {self.name!r} scores points against this round's {what}, which query() builds: "
                "call query(ctx, budget, rng) on the same QueryContext first"
            )
        return ctx._memo[key]

    def _keep_state(self, ctx: QueryContext, what: str, value) -> None:
        ctx._memo[("field_state", self.name, what)] = value

    #: the declared constraints of this class's parameters (see :mod:`alviz._params`); merged along the
    #: MRO and checked by :meth:`_validate_params` at construction (``get``) and before every query
    _parameter_constraints: Dict[str, list] = {}

    def _validate_params(self):
        """Check parameter values against the declared ``_parameter_constraints``.

        Raises ``InvalidParameterError`` naming the strategy, the parameter and what is allowed.
        Subclasses that still check by hand call ``super()._validate_params()`` first.
        """
        validate_params(f"strategy {self.name!r}", merged_constraints(type(self)), self.get_params(deep=False))

    def _check_result(self, res, ctx, budget):
        """A strategy bug must not reach the Session as a silent wrong answer."""
        if not isinstance(res, QueryResult):
            raise RuntimeError(f"strategy {self.name!r} returned {type(res).__name__}, not a QueryResult")
        idx = res.indices
        problems = []
        idx_ok = False
        if idx.shape != (budget,):
            problems.append(f"{idx.shape[0]} indices for a budget of {budget}")
        elif np.unique(idx).size != budget:
            problems.append("duplicate indices")
        elif idx.min() < 0 or idx.max() >= ctx.n_pool:
            problems.append("indices outside the pool")
        elif ctx.labeled_mask[idx].any():
            problems.append("already-labeled indices")
        else:
            idx_ok = True
        if res.scores.shape != (ctx.n_pool,):
            problems.append(f"scores of shape {res.scores.shape}, expected ({ctx.n_pool},)")
        elif not np.all(np.isnan(res.scores[ctx.labeled_mask])):
            problems.append("scores on labeled samples (must be NaN)")
        elif idx_ok and not np.all(np.isfinite(res.scores[idx])):
            problems.append("non-finite scores on picked samples")
        aug = res.augment_inputs
        want = (budget,) + tuple(np.shape(ctx.X)[1:])
        if aug is not None and (aug.shape != want or not _is_numeric(aug)):
            problems.append(f"augment_inputs of shape {aug.shape} and dtype {aug.dtype}, expected {want} numbers"
                            " (one input per pick)")
        cause = None
        try:
            check_diagnostics(res, ctx.n_pool)
        except DiagnosticError as exc:
            problems.append(str(exc))
            cause = exc
        if problems:
            raise RuntimeError(f"strategy {self.name!r} broke the QueryResult contract: " + "; ".join(problems)) \
                from cause

    # sklearn-like parameters
    @classmethod
    def _param_names(cls):
        kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values() if p.name != "self" and p.kind in kinds]

    def get_params(self, deep: bool = True) -> dict:
        """The constructor's parameters (scikit-learn's protocol, so ``sklearn.base.clone`` works).

        With ``deep=True`` a parameter that itself has ``get_params`` adds its own as ``name__param``.
        """
        out = {}
        for p in self._param_names():
            v = getattr(self, p)
            out[p] = v
            if deep and hasattr(v, "get_params") and not isinstance(v, type):
                out.update((f"{p}__{k}", val) for k, val in v.get_params().items())
        return out

    def set_params(self, **params) -> "Strategy":
        """Set parameters by name (``name__param`` for a nested one); returns the strategy.

        An unknown name raises ``ValueError`` listing the parameters.
        """
        allowed = self._param_names()
        nested: Dict[str, dict] = {}
        for key, value in params.items():
            name, sep, sub = key.partition("__")
            if name not in allowed:
                raise ValueError(
                    f"strategy {self.name!r} has no parameter {name!r}; its parameters are: "
                    f"{', '.join(allowed) or '(none)'}"
                )
            if sep:
                nested.setdefault(name, {})[sub] = value
            else:
                setattr(self, name, value)
        for name, sub in nested.items():
            getattr(self, name).set_params(**sub)
        return self

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


def candidate_scores(ctx: QueryContext, values, where=None) -> np.ndarray:
    """A full (n_pool,) score vector: ``values`` on the candidates (or ``where``), NaN elsewhere."""
    out = np.full(ctx.n_pool, np.nan)
    idx = ctx.candidates if where is None else where
    v = np.asarray(values, dtype=np.float64)
    out[idx] = v[idx] if v.shape == (ctx.n_pool,) else v
    return out


def check_embedding_name(strategy: "Strategy", options) -> None:
    """Refuse an ``embedding`` parameter that is not one of ``options`` (names), with what to do instead.

    An array (your own features) is not a parameter value: it goes with the data
    (``from_arrays(X, y, features=F)``), and ``embedding="auto"`` / ``"features"`` then uses it.
    """
    value = strategy.embedding
    if isinstance(value, str) and value in options:
        return
    if isinstance(value, str):
        hint = suggest(value, options)
        raise InvalidParameterError(
            f"strategy {strategy.name!r}: embedding={value!r}; choose one of {', '.join(map(repr, options))}"
            + (f" (did you mean {hint!r}?)" if hint else ""))
    if hasattr(value, "shape") or isinstance(value, (list, tuple)):
        raise InvalidParameterError(
            f"strategy {strategy.name!r}: embedding takes a name ({', '.join(map(repr, options))}), not an array "
            f"of features; give your own features with the data: alviz.datasets.from_arrays(X, y, features=F), "
            "and embedding='auto' (the default) or 'features' uses them")
    raise InvalidParameterError(f"strategy {strategy.name!r}: embedding={value!r} is not a name; choose one of "
                                f"{', '.join(map(repr, options))}")


# ============================================================================ capabilities
def tags(strategy) -> StrategyTags:
    """The declared needs of a strategy (a name, a Strategy class or object).

    A name or a class gives the needs with default parameters; a configured object gives its own
    (``Strategy._requires``): ``get("qbc_kl", committee="dropout")`` needs an alviz torch model,
    ``get("typiclust", embedding="model")`` the task model's embedding.
    """
    cls = _lookup(strategy) if isinstance(strategy, str) else strategy
    if isinstance(cls, Strategy):
        return StrategyTags(frozenset(cls._requires()), int(getattr(cls, "min_classes", 1)))
    if not isinstance(cls, type):
        cls = type(cls)
    return StrategyTags(frozenset(getattr(cls, "requires", ())), int(getattr(cls, "min_classes", 1)))


def runs_with(strategy, model, n_labeled: Optional[int] = None, n_label_classes: Optional[int] = None) -> bool:
    """Whether ``strategy``'s declared needs are met by a fitted ``model`` (None: nothing trained yet).

    ``strategy`` is a name (default parameters) or a configured Strategy (its own needs, see :func:`tags`).

    ``n_labeled`` / ``n_label_classes`` (when known) check the "labels" need; with ``model=None``
    and no count given, nothing is assumed labeled.
    """
    t = tags(strategy)
    if model is None and ("model" in t.requires or "gradients" in t.requires):
        return False
    if "gradients" in t.requires and not is_torch_model(model):
        return False
    if "embedding" in t.requires and model is not None and not has_embedding(model):
        return False
    if "labels" in t.requires:
        if n_labeled is None and model is None:
            n_labeled = 0
        if n_labeled is not None and n_labeled < 1:
            return False
        if n_label_classes is not None and n_label_classes < t.min_classes:
            return False
    if "model" in t.requires and n_label_classes is not None and n_label_classes < 2:
        return False  # a one-class model's predictions say nothing (Strategy._refuse_single_class)
    return True


def strategies_for(model, n_labeled: Optional[int] = None) -> list:
    """Names of the registered strategies whose declared needs ``model`` meets (see :func:`runs_with`)."""
    return [name for name in available() if runs_with(name, model, n_labeled=n_labeled)]


# ============================================================================ registry
_REGISTRY: Dict[str, type] = {}


def register(cls):
    """Class decorator: add a Strategy subclass to the registry under ``cls.name``."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} needs a name to be registered")
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"a strategy named {cls.name!r} is already registered")
    unknown = sorted(set(getattr(cls, "requires", ())) - set(CAPABILITIES))
    if unknown:
        raise ValueError(f"{cls.__name__}.requires has unknown needs {unknown}; choose from {CAPABILITIES}")
    _REGISTRY[cls.name] = cls
    return cls


def unknown_strategy_message(name) -> str:
    """The words of an unknown strategy name: the nearest registered name ("did you mean"), then all of them."""
    hint = suggest(name, available()) if isinstance(name, str) else None
    return (f"unknown strategy {name!r}" + (f" (did you mean {hint!r}?)" if hint else "")
            + f"; available: {', '.join(available())}")


def _lookup(name: str) -> type:
    """The registered class of ``name``; an unknown name raises ``ValueError`` with the nearest one."""
    cls = _REGISTRY.get(name)
    if cls is None:
        raise ValueError(unknown_strategy_message(name))
    return cls


def available() -> list:
    """Names of every registered strategy."""
    return list(_REGISTRY)


def get(name, **params) -> Strategy:
    """A configured strategy by name: ``get("vaal", latent_dim=32)``.

    Unknown names or parameters raise ``ValueError`` naming the options.
    """
    if isinstance(name, Strategy):
        if params:
            raise ValueError("parameters go with a strategy name, not with a Strategy object")
        return name
    if not isinstance(name, str):
        raise InvalidParameterError(f"a strategy is a name (a str, one of {', '.join(available())}) or a Strategy "
                                    "object, "
                        f"not a {type(name).__name__}")
    cls = _lookup(name)
    allowed = cls._param_names()
    bad = sorted(set(params) - set(allowed))
    if bad:
        raise ValueError(
            f"strategy {name!r} has no parameter {', '.join(map(repr, bad))}; "
            f"its parameters are: {', '.join(allowed) or '(none)'}"
        )
    strategy = cls(**params)
    strategy._validate_params()  # a wrong value fails here, at construction, not at the first step()
    return strategy
