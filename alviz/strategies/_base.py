"""Strategy: the base class of every query strategy (parameters, the query contract, the pointwise score)."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, Dict, Optional

import numpy as np

from .._device import check_device
from .._params import Options, describe, merged_constraints, validate_params
from .._threads import threads_for
from ..fields import NoPointwiseScore  # noqa: F401  (re-exported by strategies.base)
from .._validation import InvalidParameterError, as_generator, check_budget
from ..diagnostics import DiagnosticError, _is_numeric, check_diagnostics
from ._context import QueryContext
from ._result import QueryResult

__all__ = ["Strategy"]


class SingleClassError(ValueError):
    """The labeled set holds one class, and the strategy scores by the task model's predictions."""


def check_embedding_name(strategy, options) -> None:
    """Refuse an array given as the ``embedding`` parameter, with the recipe for one's own features.

    An array (your own features) is not a parameter value: it goes with the data
    (``from_arrays(X, y, features=F)``), and ``embedding="auto"`` / ``"features"`` then uses it. A name
    is checked by the strategy's declared constraint (``Options(options)``), anything else too.

    Parameters
    ----------
    strategy : Strategy with an ``embedding`` attribute.
    options : sequence of str, the names it takes.

    Raises
    ------
    InvalidParameterError
    """
    value = strategy.embedding
    if isinstance(value, str):
        return  # a name: the declared constraint (an Options of ``options``) checks it, with "did you mean"
    if hasattr(value, "shape") or isinstance(value, (list, tuple)):
        what = f"an array of shape {np.shape(value)}"
        err = InvalidParameterError(
            f"strategy {strategy.name!r}: embedding=<{what}> is not valid; it must be "
            f"{describe([Options(tuple(options))])}: embedding takes a name, not an array of features; give your "
            "own features with the data: alviz.datasets.from_arrays(X, y, features=F), and embedding='auto' "
            "(the default) or 'features' uses them"
        )
        err.parameter = "embedding"  # type: ignore[attr-defined]
        raise err


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
    if TYPE_CHECKING:  # read-only to its users: a subclass sets a str or a property of its parameters

        @property
        def field_name(self) -> str: ...

    else:
        #: what :meth:`score_points` returns, in a few words (the field's title)
        field_name = ""
    #: the finest field grid (points per axis) worth its cost, or None for no cap (an expensive
    #: pointwise score, such as EER's refits, sets one)
    field_max_resolution: Optional[int] = None

    def _requires(self) -> frozenset:
        """What this configured instance needs: the class's ``requires``, which a subclass widens where a
        parameter asks for more (``committee="dropout"`` needs an alviz torch model, ``embedding="model"``
        the task model's embedding). :func:`tags` reads it for an instance, the class attribute for a name."""
        return frozenset(type(self).requires)

    def query(self, ctx: QueryContext, budget: int, rng=None) -> QueryResult:
        """Pick ``budget`` unlabeled samples (the per-round query size) and return a :class:`QueryResult`.

        Parameters
        ----------
        ctx : QueryContext
            This round's context.
        budget : int
            How many samples to pick this round (the per-round query size, not a total label budget).
        rng : None, int or numpy.random.Generator
            The randomness of the query (the Session passes the round's stream).

        Returns
        -------
        QueryResult
            The picks, the scores and the diagnostics, checked against the contract.
        """
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
        from ._registry import available, tags

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

    def _state(self, ctx: QueryContext, what: str) -> Any:
        """State this round's :meth:`query` kept in ``ctx``'s memo for :meth:`score_points` (an error when absent)."""

        def missing() -> Any:
            raise ValueError(
                f"strategy {self.name!r} scores points against this round's {what}, which query() builds: "
                "call query(ctx, budget, rng) on the same QueryContext first"
            )

        return ctx.memoize(("field_state", self.name, what), missing)

    def _keep_state(self, ctx: QueryContext, what: str, value: Any) -> None:
        """Keep ``value`` in ``ctx``'s per-round memo for :meth:`_state` (the memo is :meth:`QueryContext.memoize`)."""
        ctx.memoize(("field_state", self.name, what), lambda: value)

    #: the declared constraints of this class's parameters (see :mod:`alviz._params`); merged along the
    #: MRO and checked by :meth:`_validate_params` at construction (``get``) and before every query
    _parameter_constraints: Dict[str, list] = {}

    def _validate_params(self):
        """Check parameter values against the declared ``_parameter_constraints``.

        Raises ``InvalidParameterError`` naming the strategy, the parameter and what is allowed. A declared
        ``device`` is then checked against the machine (a CUDA device needs a CUDA build and a GPU).
        """
        constraints = merged_constraints(type(self))
        params = self.get_params(deep=False)
        validate_params(f"strategy {self.name!r}", constraints, params)
        if "device" in constraints and "device" in params:
            check_device(params["device"])

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
            problems.append(
                f"augment_inputs of shape {aug.shape} and dtype {aug.dtype}, expected {want} numbers"
                " (one input per pick)"
            )
        cause = None
        try:
            check_diagnostics(res, ctx.n_pool)
        except DiagnosticError as exc:
            problems.append(str(exc))
            cause = exc
        if problems:
            raise RuntimeError(
                f"strategy {self.name!r} broke the QueryResult contract: " + "; ".join(problems)
            ) from cause

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
