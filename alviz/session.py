"""The loop: a Session steps rounds of active learning and records them.

Each round: (1) fit the task model on the labeled set, (2) build a
QueryContext, (3) let the strategy pick, (4) reveal the picks' labels (the
oracle). A round that fails leaves the session exactly as it was: everything
is computed into locals and committed at the end. All randomness of round r
comes from its named streams (:func:`alviz._random.streams`: ``"round"``,
``"field"``, ``"oracle"``), so a saved and reloaded session continues exactly
as an uninterrupted one.
"""

from __future__ import annotations

import time
import dataclasses
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Sequence

import numpy as np

from . import _spill
from . import fields as _fields
from . import oracles as _oracles
from . import projection as _projection
from ._random import streams
from ._validation import check_bool, check_indices, check_int
from .datasets import Dataset
from .diagnostics import PER_PICK, diagnostic_kind
from .models import default_model, fit_fresh, fit_warm, has_embedding, is_torch_model
from .strategies import QueryContext, Strategy
from .strategies import get as get_strategy
from .strategies._kcenter import input_covering_radius

__all__ = [
    "DERIVED_FIELDS",
    "STATE_FIELDS",
    "PoolExhaustedWarning",
    "Round",
    "Session",
    "needs_placing",
    "picks_percentile",
    "place_round",
]

#: the values :meth:`Session.state` names first, in this order (the session file's schema); any other
#: attribute found on a Session is part of its state too
STATE_FIELDS = (
    "dataset",
    "strategy",
    "model_template",
    "budget",
    "seed",
    "record_embeddings",
    "labeled_mask",
    "labels",
    "initial_indices",
    "rounds",
    "model",
    "cache",
    "_augment_X",
    "_augment_y",
    "oracle",
    "pending",
)
#: values derived from the others (the pool's hash) or private to this process (the folder of old rounds'
#: memory-mapped arrays, alviz._spill): never part of the state
DERIVED_FIELDS = ("_pool_key", "_spill")
_REQUIRED_STATE = ("dataset", "strategy", "model_template", "budget", "seed", "initial_indices")


class PoolExhaustedWarning(UserWarning):
    """:meth:`Session.run` stopped early: every sample of the pool is labeled, so no round is left to run."""


@dataclass
class Round:
    """What happened in one round.

    index : int, the round index (0-based).
    labeled : (m,) int, pool indices labeled before the round.
    selected : (k,) int, this round's picks in pick order (read it as :attr:`picks`; ``selected`` is the
        stored field's name).
    scores : (n_pool,) float, the strategy's scores (NaN = not a candidate).
    extras : dict, the strategy's diagnostics.
    metrics : dict, ``accuracy`` (test accuracy of the model trained on ``labeled``), ``n_labeled``,
        ``budget`` (the strategy's picks: ``min(session.budget, samples left)``) and ``budget_cut`` (True on a
        last round that took the fewer samples left), ``train_seconds``, ``query_seconds``, ``field_seconds``
        (0 without a field), ``seconds``.
    proba, embedding, scores and large array extras of rounds older than the newest two are read-only
        memory-mapped arrays (``alviz._spill``): the same numbers, on disk.
    proba : (n_pool, C) float32, the task model's probabilities this round.
    embedding : (n_pool, d) float32 or None, the task model's penultimate features this round.
    strategy : str, the strategy's name.
    field : alviz.fields.Field or None, on 2-D data: the round's model and strategy over a grid of the plane.
    given_labels : (k,) int64 or None, the labels the oracle gave the picks (in pick order); None while the
        round is a pending proposal (``Session.pending``) waiting for its labels.
    augment_inputs : (k, *input_shape) float32 or None, the strategy's inputs added to later training sets
        with the picks' labels (``QueryResult.augment_inputs``, e.g. dfal with ``add_adversarial=True``).
    strategy_picks : (k',) int or None, what the strategy picked this round, in its order: ``selected``
        itself when the strategy chose, the picks it would have made when you did (``step(picks=...)``).
        None only in rounds of files written before this field.
    chosen_by : str, ``"strategy"`` or ``"you"`` (the round's picks were given to ``step(picks=...)``).
    placed : dict, picture key (:func:`alviz.projection.picture_key` of the picture's coordinates) -> what
        :func:`place_round` placed in that picture for the round's overlays (the ends of the adversarial
        arrows, ALFA-Mix's steps and anchors). Filled by :meth:`Session.place_inputs`; on 2-D data the
        Session places in the input plane itself while the round runs. Empty when nothing was placed.
    """

    index: int
    labeled: np.ndarray
    selected: np.ndarray
    scores: np.ndarray
    extras: Dict[str, Any] = dataclasses.field(default_factory=dict)
    metrics: Dict[str, float] = dataclasses.field(default_factory=dict)
    proba: Optional[np.ndarray] = None
    embedding: Optional[np.ndarray] = None
    strategy: str = ""
    field: Optional[Any] = None
    given_labels: Optional[np.ndarray] = None
    augment_inputs: Optional[np.ndarray] = None
    strategy_picks: Optional[np.ndarray] = None
    chosen_by: str = "strategy"
    placed: Dict[str, Dict[str, np.ndarray]] = dataclasses.field(default_factory=dict)

    @property
    def picks(self) -> np.ndarray:
        """(k,) int64: this round's picks, pool indices in pick order (the field ``selected``)."""
        return self.selected

    @property
    def predicted(self) -> Optional[np.ndarray]:
        """(n_pool,) the task model's predicted class this round (None without a model)."""
        return None if self.proba is None else self.proba.argmax(axis=1)

    def rank(self) -> np.ndarray:
        """(n_pool,) pick rank of each sample this round (0 = first pick, -1 = not picked)."""
        r = np.full(len(self.scores), -1, dtype=np.int64)
        r[self.selected] = np.arange(len(self.selected))
        return r


class Session:
    """An active-learning run on one dataset with one strategy, one round at a time.

    Parameters
    ----------
    dataset : alviz.datasets.Dataset
    strategy : str or Strategy
        A registry name (``alviz.strategies.available()``) or a configured object
        (``alviz.strategies.get("vaal", criterion="confusion")``).
    model : None, an alviz torch model, or a scikit-learn classifier with ``predict_proba``
        None picks a sensible torch default for the dataset. It is never trained in
        place: each round fits a fresh clone.
    initial : int or sequence of int
        How many samples start labeled (seeded, class-stratified when possible), or their indices.
    budget : int, the per-round query size: how many samples each round picks (not a total label budget;
        the total is rounds × budget).
    seed : int, the seed of everything random in the run.
    record_embeddings : bool, keep the model's penultimate features in every Round (for the
        per-round projection).
    field_resolution : int or None
        On 2-D datasets each Round gets a ``field`` (:func:`alviz.fields.compute`): the model and the
        strategy's pointwise score on a grid of this many points per axis. None switches it off.
        The field draws from its own random stream, so the picks never depend on it.
    oracle : None, "simulated", "noisy", "human" or an alviz.oracles.Oracle
        Who labels the picks (None: the dataset's labels). The model trains on the oracle's
        labels (the ``initial`` set starts with the dataset's). With ``alviz.oracles.Human()``
        use :meth:`propose` and :meth:`label`.
    warm_start : bool
        False (the default, as the papers do): each round's model is trained from scratch. True: from
        the second round on, the round's model starts from the last round's weights and trains a tenth of
        its steps (:func:`alviz.models.fit_warm`), so a round answers in a fraction of the time (the
        playground). Needs an alviz torch model.
    """

    def __init__(
        self,
        dataset: Dataset,
        strategy="margin",
        model=None,
        initial=20,
        budget: int = 10,
        seed: int = 0,
        record_embeddings: bool = True,
        field_resolution: Optional[int] = 100,
        oracle=None,
        warm_start: bool = False,
    ):
        if not isinstance(dataset, Dataset):
            raise TypeError(
                f"dataset must be an alviz.datasets.Dataset, got {type(dataset).__name__}; "
                "wrap arrays with alviz.datasets.from_arrays(X, y)"
            )
        seed = check_int(seed, "seed", 0)
        budget = check_int(budget, "budget", 1, hint="samples picked per round")
        self.dataset = dataset
        self.strategy: Strategy = get_strategy(strategy)
        if model is None:
            model = default_model(dataset, random_state=int(seed))
        if not (callable(getattr(model, "fit", None)) and callable(getattr(model, "predict_proba", None))):
            raise TypeError(
                f"model must have fit and predict_proba (an alviz torch model or a scikit-learn classifier), "
                f"got {type(model).__name__}"
            )
        if is_torch_model(model):  # its declared parameters, checked now rather than at the first fit
            model._validate_params()
        warm_start = check_bool(warm_start, "warm_start", hint="start each round's model from the last one's")
        if warm_start and not is_torch_model(model):
            raise TypeError(
                f"warm_start=True needs an alviz torch model (MLP, CNN, TorchModel) whose weights a round can "
                f"start from; {type(model).__name__} is refitted from scratch each round: use warm_start=False"
            )
        self.warm_start = warm_start
        self.model_template = model
        self.budget = int(budget)
        self.seed = int(seed)
        self.record_embeddings = bool(record_embeddings)
        if field_resolution is not None:
            field_resolution = check_int(
                field_resolution, "field_resolution", 2, hint="grid points per axis, or None for no field"
            )
        self.field_resolution = field_resolution
        n = len(dataset.X)
        self.labeled_mask = np.zeros(n, dtype=bool)
        self.labels = np.full(n, -1, dtype=np.int64)
        init = self._initial_indices(initial)
        self.labeled_mask[init] = True
        self.labels[init] = dataset.y[init]
        self.initial_indices = init
        self.rounds: list = []
        self.model = None
        self.cache: dict = {}
        self._augment_X = np.zeros((0,) + dataset.input_shape, dtype=np.float32)
        self._augment_y = np.zeros(0, dtype=np.int64)
        self.oracle = _oracles.get(oracle)
        self.oracle.check(dataset.n_classes)
        self.pending: Optional[Round] = None  # a proposed round waiting for its labels (propose / label)
        self._spill = _spill.SpillStore()  # old rounds' large arrays, memory-mapped (alviz._spill)

    # ------------------------------------------------------------------ set-up
    def _initial_indices(self, initial) -> np.ndarray:
        n = len(self.dataset.X)
        if isinstance(initial, (int, np.integer)) and not isinstance(initial, bool):
            if initial < 0 or initial > n:
                raise ValueError(f"initial={initial} must be between 0 and the pool size {n}")
            if initial == 0:
                return np.zeros(0, dtype=np.int64)
            rng = streams(self.seed, None, "initial")
            y = self.dataset.y
            counts = np.bincount(y)
            present = int(np.count_nonzero(counts))  # classes missing from the pool cannot be stratified on
            # a stratified split needs every present class twice and room for each on both sides
            if present <= initial <= n - present and counts[counts > 0].min() >= 2:
                from sklearn.model_selection import train_test_split

                idx, _ = train_test_split(
                    np.arange(n), train_size=int(initial), stratify=y, random_state=int(rng.integers(2**31 - 1))
                )
                return np.sort(idx).astype(np.int64)
            return np.sort(rng.choice(n, size=int(initial), replace=False)).astype(np.int64)
        try:
            return np.sort(check_indices(np.asarray(list(initial)), n, "initial"))
        except TypeError as exc:
            raise TypeError(f"initial must be a count or a sequence of pool indices: {exc}") from exc

    # ------------------------------------------------------------------ properties
    @property
    def n_pool(self) -> int:
        return len(self.labeled_mask)

    @property
    def n_labeled(self) -> int:
        return int(self.labeled_mask.sum())

    @property
    def n_unlabeled(self) -> int:
        return self.n_pool - self.n_labeled

    @property
    def labeled_indices(self) -> np.ndarray:
        return np.flatnonzero(self.labeled_mask)

    @property
    def pool_key(self) -> str:
        """The pool's content hash (:meth:`Dataset.fingerprint`), computed once per session, not every round."""
        if getattr(self, "_pool_key", None) is None:
            self._pool_key = self.dataset.fingerprint()
        return self._pool_key

    def round_rng(self, r: int) -> np.random.Generator:
        """The generator of everything random in round ``r`` (the fit, then the query): stream "round".

        Parameters
        ----------
        r : int
            The round index (0-based).

        Returns
        -------
        numpy.random.Generator
            ``alviz._random.streams(seed, r, "round")``.
        """
        return streams(self.seed, r, "round")

    # ------------------------------------------------------------------ the loop
    def _training_set(self):
        lab = self.labeled_indices
        X = self.dataset.X[lab]
        y = self.labels[lab]
        if len(self._augment_y):
            X = np.concatenate([X, self._augment_X])
            y = np.concatenate([y, self._augment_y])
        return X, y

    def _fit(self, X, y, rng, previous: Any = "last"):
        """The round's model on (X, y); with ``warm_start`` it starts from ``previous`` ("last": ``self.model``)."""
        if len(y) == 0:
            return None
        if not is_torch_model(self.model_template) and np.unique(y).size < 2:
            raise ValueError(
                f"{type(self.model_template).__name__} cannot be fitted on a labeled set with a single class; "
                "start with more labeled samples (initial) or use an alviz torch model"
            )
        prev = self.model if isinstance(previous, str) else previous
        if getattr(self, "warm_start", False) and prev is not None and is_torch_model(prev):
            return fit_warm(self.model_template, prev, X, y, self.dataset.n_classes, rng)
        return fit_fresh(self.model_template, X, y, self.dataset.n_classes, rng)

    def _check_picks(self, picks: Any) -> np.ndarray:
        """(k,) int64 unlabeled pool indices from ``picks``, or a typed error saying what is wrong."""
        if isinstance(picks, (int, np.integer)) and not isinstance(picks, (bool, np.bool_)):
            picks = [picks]
        if isinstance(picks, (str, bytes)) or not hasattr(picks, "__len__"):
            raise TypeError(
                f"picks must be a sequence of pool indices (e.g. picks=[12, 40]), got {type(picks).__name__}"
            )
        items = list(np.asarray(picks, dtype=object).ravel()) if isinstance(picks, np.ndarray) else list(picks)
        bad = [p for p in items if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, np.integer))]
        if bad:
            raise TypeError(f"picks must be integer pool indices; {bad[0]!r} is not one")
        arr = np.asarray(items, dtype=np.int64).reshape(-1)
        if arr.size == 0:
            raise ValueError(
                "picks is empty: give at least one unlabeled pool index, or picks=None to let the strategy choose"
            )
        n = self.n_pool
        out = arr[(arr < 0) | (arr >= n)]
        if out.size:
            raise ValueError(f"picks {out.tolist()} are not pool indices; they must lie in 0..{n - 1}")
        uniq, counts = np.unique(arr, return_counts=True)
        if (counts > 1).any():
            raise ValueError(f"picks {uniq[counts > 1].tolist()} appear more than once; give each sample once")
        lab = arr[self.labeled_mask[arr]]
        if lab.size:
            raise ValueError(
                f"picks {lab.tolist()} are already labeled; choose among the "
                f"{self.n_unlabeled} unlabeled samples (~session.labeled_mask)"
            )
        return arr

    def step(self, picks: Optional[Sequence[int]] = None) -> Round:
        """Run one round (:meth:`propose`, then :meth:`label` with the oracle's labels) and return it.

        Parameters
        ----------
        picks : sequence of int, optional
            Unlabeled pool indices (1 up to all that are left) that are the round's query instead of the
            strategy's picks (see :meth:`propose`).

        Returns
        -------
        Round

        On an error the session is left as it was.
        """
        if self.oracle.interactive:
            raise RuntimeError(
                f"this session's oracle is {self.oracle!r}: a person gives the labels. Call "
                "session.propose() to see the picks, then session.label(labels) with one label per pick"
            )
        pending_before, model_before, cache_before = self.pending, self.model, dict(self.cache)
        self.propose(picks)
        rnd = self.pending
        assert rnd is not None  # propose() always leaves a pending round
        try:
            assert rnd is not None  # an invariant: propose() either raised or left its proposal
            given = self.oracle.labels(
                self.dataset.y, rnd.selected, self.dataset.n_classes, self.oracle.round_rng(self.seed, rnd.index)
            )
            return self.label(given)
        except BaseException:  # an interrupt too (the kernel's stop button): the round never happened
            self.pending = pending_before
            if pending_before is None:
                self.model = model_before
                self.cache.clear()
                self.cache.update(cache_before)
            raise

    def propose(self, picks: Optional[Sequence[int]] = None) -> np.ndarray:
        """Fit the model and let the strategy pick; returns the picks (pool indices, in pick order).

        Parameters
        ----------
        picks : sequence of int, optional
            You are the strategy: these unlabeled pool indices (any number from 1 to what is left, in
            your order) are the round's query. The strategy still runs on the round, as it would have
            without them (same seed, same budget), so the Round keeps its ``scores``, its picks in
            ``strategy_picks``, and ``metrics["your_picks_percentile"]``: the mean percentile of your
            picks under the strategy's score among its candidates (100: where it would pick first, 50:
            what random picks score on average). ``chosen_by`` is then ``"you"``; ``augment_inputs``
            and the strategy's per-pick diagnostics, which describe its own picks, are left out.
            Picks that are labeled, repeated or out of range are refused (ValueError) before any work.

        Returns
        -------
        (k,) int64 array, the round's picks.

        The proposal waits in :attr:`pending` (a Round with ``given_labels=None``) until
        :meth:`label` commits it. Calling again before that returns the same picks without
        recomputing; with ``picks`` the waiting proposal takes them as its query (its model, scores and
        strategy's picks are those of the round either way). On an error the session is left as it was.
        """
        if self.pending is not None:
            if picks is not None:
                mine = self._with_your_picks(self.pending, self._check_picks(picks))
                _place_in_plane(self.dataset, mine)
                self.pending = mine
            return self.pending.selected.copy()
        if self.n_unlabeled == 0:
            raise ValueError(
                "the pool is exhausted: every sample is labeled, so no round is left to propose "
                "(session.n_unlabeled == 0); start a new Session to run more rounds"
            )
        mine = None if picks is None else self._check_picks(picks)
        r = len(self.rounds)
        rng = self.round_rng(r)
        ds = self.dataset
        # the last round of a pool takes what is left (and says so in its metrics)
        budget = min(self.budget, self.n_unlabeled)
        t0 = time.perf_counter()
        X_train, y_train = self._training_set()
        cache = dict(self.cache)  # what the round adds to the cross-round cache is committed with the round
        model = self._fit(X_train, y_train, rng)
        t1 = time.perf_counter()
        ctx = QueryContext(
            ds.X,
            self.labeled_mask.copy(),
            self.labels.copy(),
            ds.n_classes,
            model=model,
            model_template=self.model_template,
            cache=cache,
            dataset_key=self.pool_key,
            train_X=X_train,
            train_y=y_train,
            features=getattr(ds, "features", None),
        )
        res = self.strategy.query(ctx, budget, rng)
        t2 = time.perf_counter()
        # everything derived from the round's model is computed here (the model is gone after the round)
        fld = self._field(ctx, r)
        t_field = time.perf_counter() - t2
        proba = embedding = None
        accuracy = float("nan")
        if model is not None:
            proba = ctx.proba.astype(np.float32)
            test_pred = ctx.proba_of(model, ds.X_test).argmax(axis=1)
            accuracy = float(np.mean(test_pred == ds.y_test))
            if self.record_embeddings and has_embedding(model):
                embedding = np.asarray(ctx.embedding, dtype=np.float32)
        if (
            "covering_radius" in res.extras
            and "input_covering_radius" not in res.extras
            and tuple(ds.input_shape) == (2,)
        ):  # on 2-D data the cover read in the input plane (the circles)
            res.extras["input_covering_radius"] = input_covering_radius(ds.X, self.labeled_mask, res.indices)
        aug = res.augment_inputs
        if aug is not None:  # checked now, so that label() cannot fail on it
            aug = np.asarray(aug, dtype=np.float32).reshape((len(res.indices),) + ds.input_shape)
        metrics = {
            "accuracy": accuracy,
            "n_labeled": self.n_labeled,
            "budget": budget,
            "budget_cut": budget < self.budget,
            "train_seconds": t1 - t0,
            "query_seconds": t2 - t1,
            "field_seconds": t_field,
        }
        metrics["seconds"] = time.perf_counter() - t0
        rnd = Round(
            index=r,
            labeled=self.labeled_indices,
            selected=res.indices,
            scores=res.scores,
            extras=res.extras,
            metrics=metrics,
            proba=proba,
            embedding=embedding,
            strategy=self.strategy.name,
            field=fld,
            augment_inputs=aug,
            strategy_picks=np.asarray(res.indices, dtype=np.int64).copy(),
        )
        if mine is not None:
            rnd = self._with_your_picks(rnd, mine)
        _place_in_plane(ds, rnd)
        self.pending = rnd
        self.model = model
        self.cache.update(cache)
        return rnd.selected.copy()

    @staticmethod
    def _with_your_picks(rnd: Round, picks: np.ndarray) -> Round:
        """A copy of proposal ``rnd`` whose query is ``picks``: what ``propose(picks)`` computes for that round.

        The round's model, scores, field and the strategy's picks do not depend on whose picks are
        queried, so a waiting proposal takes your picks without being recomputed.
        """
        import dataclasses

        extras = {k: v for k, v in rnd.extras.items() if diagnostic_kind(k) != PER_PICK}
        metrics = dict(rnd.metrics)
        metrics["your_picks_percentile"] = picks_percentile(rnd.scores, picks)
        return dataclasses.replace(
            rnd, selected=picks, chosen_by="you", extras=extras, metrics=metrics, augment_inputs=None, placed={}
        )

    def _check_labels(self, labels, picks: np.ndarray) -> np.ndarray:
        """(k,) int64 class indices from ``labels`` (indices or class names), or a ValueError saying what is wrong."""
        names = self.dataset.class_names
        C = len(names)
        if isinstance(labels, (str, bytes)) or not hasattr(labels, "__len__"):
            raise TypeError(
                f"labels must be a sequence with one label per pick ({len(picks)}), got {type(labels).__name__}"
            )
        labels = list(np.asarray(labels, dtype=object).ravel()) if isinstance(labels, np.ndarray) else list(labels)
        if len(labels) != len(picks):
            raise ValueError(
                f"got {len(labels)} labels for {len(picks)} picks; give one label per pick, "
                f"in pick order (session.pending.selected = {picks.tolist()})"
            )
        out = np.empty(len(labels), dtype=np.int64)
        for j, lab in enumerate(labels):
            if isinstance(lab, (str, np.str_)):
                if str(lab) not in names:
                    raise ValueError(
                        f"label {lab!r} of pick {j} (sample {int(picks[j])}) is not a class; "
                        f"choose one of {names} or a class index 0..{C - 1}"
                    )
                out[j] = names.index(str(lab))
            elif isinstance(lab, (int, np.integer)) and not isinstance(lab, (bool, np.bool_)) and 0 <= lab < C:
                out[j] = int(lab)
            else:
                raise ValueError(
                    f"label {lab!r} of pick {j} (sample {int(picks[j])}) is not a class; "
                    f"give a class index 0..{C - 1} or one of the names {names}"
                )
        return out

    def label(self, labels) -> Round:
        """Give the pending proposal's labels (one per pick, in pick order), commit the round, return it.

        Each label is a class index or a class name. A wrong count or an unknown class is
        refused (ValueError) and leaves the session exactly as it was.
        """
        if self.pending is None:
            raise ValueError("there is no proposal to label; call session.propose() first")
        rnd = self.pending
        given = self._check_labels(labels, rnd.selected)
        ds = self.dataset
        aug = rnd.augment_inputs
        if aug is not None:
            aug = np.asarray(aug, dtype=np.float32).reshape((len(rnd.selected),) + ds.input_shape)
        label_accuracy = float(np.mean(given == ds.y[rnd.selected])) if len(given) else float("nan")
        # commit: nothing below can fail
        rnd.given_labels = given
        rnd.metrics["label_accuracy"] = label_accuracy
        self.labeled_mask[rnd.selected] = True
        self.labels[rnd.selected] = given
        if aug is not None:
            self._augment_X = np.concatenate([self._augment_X, aug])
            self._augment_y = np.concatenate([self._augment_y, given])
        self.rounds.append(rnd)
        self.pending = None
        self._spill_old_rounds()
        return rnd

    def _spill_old_rounds(self) -> None:
        """Keep memory bounded: the large arrays of rounds older than the newest few go to disk (alviz._spill)."""
        store = getattr(self, "_spill", None)
        if store is None:
            store = self._spill = _spill.SpillStore()
        for old in self.rounds[: max(0, len(self.rounds) - _spill.RESIDENT_ROUNDS)]:
            _spill.spill_round(old, store)

    def _field(self, ctx, r: int):
        """The round's field on 2-D data (None otherwise), from a stream derived from, not shared with, the round's."""
        resolution = getattr(self, "field_resolution", 100)
        if resolution is None or not getattr(self.dataset, "is_2d", False):
            return None
        return _fields.compute(
            self.strategy, ctx, self.dataset.X, streams(self.seed, r, "field"), resolution=resolution
        )

    def run(self, rounds: int = 1, progress: bool = False) -> list:
        """Run up to ``rounds`` rounds and return the new Rounds.

        Parameters
        ----------
        rounds : int
            How many rounds to run. The last round of a pool takes the samples left
            (``metrics["budget_cut"]``); when the pool is exhausted before ``rounds`` are run,
            the run stops there with a :class:`PoolExhaustedWarning` (not an error).
        progress : bool
            Show one tqdm bar over the rounds.

        Returns
        -------
        list of Round
            The rounds run, possibly fewer than ``rounds``.
        """
        rounds = check_int(rounds, "rounds", 0)
        progress = check_bool(progress, "progress", hint="one tqdm bar over the rounds")
        it = range(int(rounds))
        if progress:
            from tqdm.auto import tqdm

            it = tqdm(it, desc=f"{self.strategy.name}", leave=False)
        out = []
        for i in it:
            if self.n_unlabeled == 0 and self.pending is None:
                warnings.warn(
                    f"the pool is exhausted (all {self.n_pool} samples are labeled): ran {i} of the {rounds} "
                    "rounds asked for",
                    PoolExhaustedWarning,
                    stacklevel=2,
                )
                break
            out.append(self.step())
        return out

    def place_inputs(self, coords: Any, rounds: Optional[Sequence[Any]] = None) -> int:
        """Place what the rounds' overlays draw (x + r of an adversarial perturbation, ALFA-Mix's steps and
        anchors) in the picture ``coords``, and keep it in each round's ``placed``.

        The pictures draw only what a Round carries: a round whose strategy produced a perturbation or
        ALFA-Mix's extras (:func:`needs_placing`) draws those arrows in a picture only once they are placed
        in it. On 2-D data the Session places them in the input plane itself while the round runs.

        Parameters
        ----------
        coords : (n_pool, 2) array or alviz.projection.Projection
            A picture of the inputs: :func:`alviz.projection.reference` (or the 2-D input itself).
        rounds : sequence of int or Round, optional
            The rounds to place for: indices into :attr:`rounds` (negative counts from the end) or Round
            objects (e.g. :attr:`pending`). Default: every round, and the pending proposal if there is one.

        Returns
        -------
        int
            How many rounds it placed for (rounds already placed in this picture and rounds with nothing
            to place are skipped).

        Raises
        ------
        ValueError
            ``coords`` is not a picture of the inputs (e.g. a model-space picture: the model that mapped
            the inputs is gone), or a round index is out of range.
        """
        if rounds is None:
            todo = list(self.rounds) + ([self.pending] if self.pending is not None else [])
        else:
            todo = []
            n = len(self.rounds)
            for r in rounds:
                if isinstance(r, Round):
                    todo.append(r)
                    continue
                if isinstance(r, bool) or not isinstance(r, (int, np.integer)) or not -n <= int(r) < n:
                    raise ValueError(f"rounds: {r!r} is not a round of this session (it has {n}: 0..{n - 1})")
                todo.append(self.rounds[int(r)])
        todo = [rnd for rnd in todo if needs_placing(rnd)]
        if not todo:
            return 0
        key = _projection.picture_key(coords)
        count = 0
        for rnd in todo:
            if key in rnd.placed:
                continue
            rnd.placed[key] = place_round(self.dataset, rnd, coords)
            count += 1
        return count

    def learning_curve(self):
        """(n_labeled, accuracy) arrays, one entry per round."""
        n = np.array([r.metrics["n_labeled"] for r in self.rounds], dtype=np.int64)
        acc = np.array([r.metrics["accuracy"] for r in self.rounds], dtype=np.float64)
        return n, acc

    # ------------------------------------------------------------------ state
    def state(self) -> Dict[str, Any]:
        """The session's state: every value a session file stores, by name (the file format's schema).

        The names of :data:`STATE_FIELDS` first, in that order, then any other attribute a newer alviz
        (or a subclass) added, sorted; values derived from the others (:data:`DERIVED_FIELDS`, the pool
        hash) are left out. :meth:`from_state` rebuilds an equal session from it.

        Returns
        -------
        dict of str to object
            The values themselves (not copies).
        """
        names = [a for a in STATE_FIELDS if a in vars(self)]
        names += sorted(a for a in vars(self) if a not in STATE_FIELDS and a not in DERIVED_FIELDS)
        return {name: getattr(self, name) for name in names}

    @classmethod
    def from_state(cls, state: Mapping[str, Any], *, spill: Optional[_spill.SpillStore] = None) -> "Session":
        """A session rebuilt from :meth:`state` (e.g. read from a session file): it continues exactly as the
        original would have.

        A fresh Session gives every value a newer alviz added its default; the state's values replace
        them. Rounds of older files are brought up to date (``augment_inputs`` moves out of ``extras``;
        on 2-D data a core-set round gets its ``input_covering_radius``).

        Parameters
        ----------
        state : mapping of str to object
            At least ``dataset``, ``strategy``, ``model_template``, ``budget``, ``seed`` and
            ``initial_indices``.
        spill : alviz._spill.SpillStore or None
            The folder of the state's memory-mapped round arrays (a session file loaded lazily):
            the session keeps it, so it lives as long as the session does.

        Returns
        -------
        Session

        Raises
        ------
        ValueError
            A required value is missing.
        """
        missing = [k for k in _REQUIRED_STATE if k not in state]
        if missing:
            raise ValueError(f"the session state has no {', '.join(map(repr, missing))}; it cannot be rebuilt")
        session = cls(
            state["dataset"],
            strategy=state["strategy"],
            model=state["model_template"],
            initial=state["initial_indices"],
            budget=state["budget"],
            seed=state["seed"],
            record_embeddings=state.get("record_embeddings", True),
        )
        for k, x in state.items():
            if k not in DERIVED_FIELDS:  # recomputed from the loaded data when needed
                setattr(session, k, x)
        for rnd in list(session.rounds or []) + [session.pending]:
            _upgrade_round(rnd, session.dataset)
        if spill is not None:
            session._spill = spill
        return session

    def refit(self, round_index: Optional[int] = None) -> Any:
        """The task model of round ``round_index`` (default: the last), fitted again exactly as that round
        fitted it: the same training set (its labeled samples with their labels, and the inputs earlier
        rounds added) and the same random stream. None when that round had nothing labeled.

        Parameters
        ----------
        round_index : int, optional
            A committed round's index (0-based); None for the last one.

        Returns
        -------
        fitted classifier or None
        """
        if not self.rounds:
            raise ValueError("the session has no rounds yet; there is no round's model to refit")
        r = len(self.rounds) - 1 if round_index is None else check_int(round_index, "round_index", 0)
        if r >= len(self.rounds):
            raise ValueError(
                f"round_index={r}, but the session has {len(self.rounds)} rounds (0..{len(self.rounds) - 1})"
            )
        if not getattr(self, "warm_start", False):
            X, y = self._round_training_set(r)
            return self._fit(X, y, self.round_rng(r))
        model = None  # warm: each round's model started from the one before, so they are refitted in turn
        for k in range(r + 1):
            X, y = self._round_training_set(k)
            model = self._fit(X, y, self.round_rng(k), previous=model)
        return model

    def _round_training_set(self, r: int) -> tuple:
        """(X, y) round ``r`` trained on: its labeled samples with their labels, and earlier rounds' inputs."""
        lab = np.asarray(self.rounds[r].labeled, dtype=np.int64)
        X, y = self.dataset.X[lab], self.labels[lab]
        added = [
            (rnd.augment_inputs, rnd.given_labels)
            for rnd in self.rounds[:r]
            if rnd.augment_inputs is not None and rnd.given_labels is not None
        ]
        if added:
            X = np.concatenate([X] + [np.asarray(a, dtype=np.float32) for a, _ in added])
            y = np.concatenate([y] + [np.asarray(g, dtype=np.int64) for _, g in added])
        return X, y

    # ------------------------------------------------------------------ persistence
    def save(self, path) -> Path:
        """Write the session to ``path``: data only (a zip of JSON and ``.npy`` arrays), atomically.

        The file holds the dataset, every round, the labels, the strategy, model and
        oracle as what rebuilds them (names, parameters, weights), never a pickle, so
        opening it cannot run code (format: ``alviz._session_io``). A crash mid-write
        leaves the previous file intact. Anything that is not data (e.g. a lambda as a
        parameter) raises ``ValueError`` naming it, before the file is touched.

        Raises
        ------
        alviz._session_io.SessionFileError
            (a ``ValueError``) ``path`` is a folder, or the session holds something that is not data: a
            ``TorchModel`` built from a lambda or function is refused (give it the ``nn.Module`` class).
        alviz._session_io.SessionWriteError
            (a ``SessionFileError`` and an ``OSError``) the folder is read-only or the disk full.
        FileNotFoundError
            The folder does not exist.
        """
        from ._session_io import save_session

        return save_session(self, path)

    @classmethod
    def load(cls, path, classes=None, allow_pickle: bool = False) -> "Session":
        """Read a session written by :meth:`save`; it continues exactly as the saved run would have.

        Parameters
        ----------
        path : str or Path
        classes : list of classes, or dict ``{"module.Class": class}``, optional
            Your own classes the file names (a model's ``nn.Module``, a custom strategy or
            estimator). A file never makes alviz import anything outside alviz; classes
            of alviz, and of scikit-learn and torch modules already imported, are found
            without this.
        allow_pickle : bool
            Read a file of the old pickle format (before data-only files). **Unsafe**: a
            pickle runs code when read; use it only for files you saved yourself, then
            save them again in the new format.

        Raises
        ------
        ValueError
            The file is damaged (checksums), of a newer format ("upgrade alviz"), of the
            old pickle format, or names a class that was not passed.
        """
        from ._session_io import load_session

        return load_session(path, classes=classes, allow_pickle=allow_pickle, session_cls=cls)

    def __repr__(self):
        return (
            f"Session(dataset={self.dataset.name!r}, strategy={self.strategy.name!r}, rounds={len(self.rounds)}, "
            f"labeled={self.n_labeled}/{self.n_pool})"
        )


def picks_percentile(scores: np.ndarray, picks: np.ndarray) -> float:
    """The mean percentile of ``picks`` under ``scores`` among the candidates (the finite scores).

    Parameters
    ----------
    scores : (n_pool,) float, a strategy's scores, higher = pick first, NaN = not a candidate.
    picks : (k,) int, pool indices.

    Returns
    -------
    float
        In [0, 100]: for each pick the share of candidates scored below it (ties count half), times 100,
        averaged over the picks that are candidates; NaN when none is.
    """
    scores = np.asarray(scores, dtype=np.float64)
    cand = np.sort(scores[np.isfinite(scores)])
    s = scores[np.asarray(picks, dtype=np.int64)]
    s = s[np.isfinite(s)]
    if s.size == 0 or cand.size == 0:
        return float("nan")
    below = np.searchsorted(cand, s, side="left")
    ties = np.searchsorted(cand, s, side="right") - below
    return float(np.mean((below + 0.5 * ties) / cand.size) * 100.0)


#: the most ALFA-Mix candidates besides the picks whose arrows :func:`place_round` places (an even spread)
ALFA_MIX_ARROWS = 60


def needs_placing(rnd: Round) -> bool:
    """Whether the overlays of ``rnd`` draw inputs that must be placed in a picture: a perturbation
    (``extras["perturbation"]``: x + r of DeepFool/BIM) or ALFA-Mix's steps and anchors
    (``flipped``, ``alfa_target`` and ``alfa_anchor_inputs``)."""
    ex = rnd.extras
    return "perturbation" in ex or all(k in ex for k in ("flipped", "alfa_target", "alfa_anchor_inputs"))


def place_round(dataset: Dataset, rnd: Round, coords: Any) -> Dict[str, np.ndarray]:
    """Place the inputs the overlays of ``rnd`` draw in the picture ``coords``, with
    :func:`alviz.projection.place_inputs`: what :meth:`Session.place_inputs` stores in ``rnd.placed``.

    A displacement is read as T(x') − T(x) under the picture's placement T and drawn from the sample's own
    position, so that the placement's own jitter cancels (exact on 2-D data, where T is the identity).

    Parameters
    ----------
    dataset : alviz.datasets.Dataset, the round's pool.
    rnd : Round
    coords : (n_pool, 2) array or alviz.projection.Projection, a picture of the inputs
        (:func:`alviz.projection.reference`, or the 2-D input itself).

    Returns
    -------
    dict of str to numpy.ndarray
        With a perturbation (``extras["perturbation"]``): ``perturbation_index`` (k,) int64, the round's
        picks whose perturbation is finite, in pick order, and ``perturbation_ends`` (k, 2) float64, where
        their arrows end: the pick's position + T(x + r) − T(x). With ALFA-Mix's extras: ``alfa_index``
        (m,) int64, the candidates drawn (the picks among them first, then an even spread of at most
        :data:`ALFA_MIX_ARROWS` others), ``alfa_step_ends`` (m, 2) float64, the end of each one's step:
        its position + T(x + λ(x̄_c − x)) − T(x), and ``alfa_anchors`` (C, 2) float64, T of each class's
        anchor input. Empty when the round has none of these.

    Raises
    ------
    ValueError
        ``coords`` is not one point per pool sample, or not a picture of the inputs (a model-space
        picture cannot place inputs: the model that mapped them is gone).
    """
    n = len(dataset.X)
    c = np.asarray(coords, dtype=np.float64)
    if c.shape != (n, 2):
        raise ValueError(f"coords has shape {c.shape}; it must be one 2-D point per pool sample ({n}, 2)")
    ex = rnd.extras
    X_pool = np.asarray(dataset.X)
    out: Dict[str, np.ndarray] = {}
    sel = np.asarray(rnd.selected, dtype=np.int64)
    r = ex.get("perturbation")
    if r is not None and np.shape(r)[:1] == (n,) and sel.size:
        rows = np.asarray(r)[sel].reshape(len(sel), -1).astype(np.float32)
        ok = np.all(np.isfinite(rows), axis=1)
        idx = sel[ok]
        if idx.size:
            X = X_pool[idx].astype(np.float32)
            both = _projection.place_inputs(dataset, coords, np.concatenate([X + rows[ok].reshape(X.shape), X]))
            k = len(idx)
            out["perturbation_index"] = idx
            out["perturbation_ends"] = c[idx] + (both[:k].astype(np.float64) - both[k:])
    if all(key in ex for key in ("flipped", "alfa_target", "alfa_anchor_inputs")):
        cand = np.flatnonzero(np.asarray(ex["flipped"], dtype=bool)) if np.shape(ex["flipped"]) == (n,) else None
        T = np.asarray(ex["alfa_target"])
        A = np.asarray(ex["alfa_anchor_inputs"])
        anchor = np.asarray(ex.get("alfa_anchor", np.full(n, -1)), dtype=np.int64)
        if cand is not None and cand.size and T.shape[0] == cand.size and anchor.shape == (n,):
            row = {int(i): j for j, i in enumerate(cand)}
            picked = [int(i) for i in sel if int(i) in row and 0 <= anchor[int(i)] < len(A)]
            rest = np.asarray([i for i in np.setdiff1d(cand, picked) if 0 <= anchor[i] < len(A)], dtype=np.int64)
            if rest.size > ALFA_MIX_ARROWS:
                rest = rest[np.linspace(0, rest.size - 1, ALFA_MIX_ARROWS).round().astype(np.int64)]
            idx = np.asarray(picked + [int(i) for i in rest], dtype=np.int64)
            if idx.size:
                X = X_pool[idx].astype(np.float32)
                steps = T[[row[int(i)] for i in idx]].reshape(X.shape).astype(np.float32)
                anchors = A.reshape((len(A),) + X.shape[1:]).astype(np.float32)
                placed = _projection.place_inputs(dataset, coords, np.concatenate([steps, X, anchors]))
                k = len(idx)
                out["alfa_index"] = idx
                out["alfa_step_ends"] = c[idx] + (placed[:k].astype(np.float64) - placed[k : 2 * k])
                out["alfa_anchors"] = placed[2 * k :].astype(np.float64)
    return out


def _place_in_plane(dataset: Dataset, rnd: Optional[Round]) -> None:
    """On 2-D data, ``rnd.placed`` for the input plane itself (exact and cheap: the picture is the input)."""
    if rnd is None or not getattr(dataset, "is_2d", False) or not needs_placing(rnd):
        return
    plane = np.asarray(dataset.X, dtype=np.float32)
    key = _projection.picture_key(plane)
    if key not in rnd.placed:
        rnd.placed[key] = place_round(dataset, rnd, plane)


def _upgrade_round(rnd: Optional[Round], dataset: Dataset) -> None:
    """A Round of an older file, brought up to date in place.

    ``augment_inputs`` moves from its ``extras`` to its own field; on 2-D data a core-set round gets the
    ``input_covering_radius`` its strategy now returns (the overlay's circles); a round from before
    ``strategy_picks`` was the strategy's own, so its picks are the strategy's picks; a round from before
    ``placed`` gets an empty one (on 2-D data: its placements in the input plane, as the Session now makes
    them while a round runs).
    """
    if (
        rnd is not None
        and getattr(rnd, "strategy_picks", False) is None
        and getattr(rnd, "chosen_by", "strategy") == "strategy"
        and getattr(rnd, "selected", None) is not None
    ):
        rnd.strategy_picks = np.asarray(rnd.selected, dtype=np.int64).copy()
    if rnd is not None and not isinstance(getattr(rnd, "placed", None), dict):
        rnd.placed = {}
    extras = getattr(rnd, "extras", None)
    if rnd is None or not isinstance(extras, dict):
        return
    if "augment_inputs" in extras and hasattr(rnd, "augment_inputs"):
        aug = extras.pop("augment_inputs")
        if rnd.augment_inputs is None:
            rnd.augment_inputs = None if aug is None else np.asarray(aug, dtype=np.float32)
    if "covering_radius" in extras and "input_covering_radius" not in extras and tuple(dataset.input_shape) == (2,):
        mask = np.zeros(len(dataset.X), dtype=bool)
        mask[np.asarray(rnd.labeled, dtype=np.int64)] = True
        extras["input_covering_radius"] = input_covering_radius(dataset.X, mask, rnd.selected)
    _place_in_plane(dataset, rnd)


def __getattr__(name: str) -> Any:
    # ``alviz.session.compare`` keeps working: compare() lives in alviz.comparison, one floor up, which imports
    # Session; it is looked up by name on first use (no import statement runs up the floors)
    if name == "compare":
        import importlib

        return importlib.import_module("alviz.comparison").compare
    raise AttributeError(f"module 'alviz.session' has no attribute {name!r}")
