"""The loop: a Session steps rounds of active learning and records them.

Each round: (1) fit the task model on the labeled set, (2) build a
QueryContext, (3) let the strategy pick, (4) reveal the picks' labels (the
oracle). A round that fails leaves the session exactly as it was: everything
is computed into locals and committed at the end. All randomness of round r
comes from ``numpy.random.default_rng([seed, r])``, so a saved and reloaded
session continues exactly as an uninterrupted one.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Optional, Sequence

import numpy as np

from . import fields as _fields
from . import oracles as _oracles
from ._validation import check_bool, check_indices, check_int
from .datasets import Dataset
from .models import default_model, fit_fresh, has_embedding, is_torch_model
from .strategies import QueryContext, Strategy
from .strategies import get as get_strategy

__all__ = ["Round", "Session", "compare"]


@dataclass
class Round:
    """What happened in one round.

    index : int, 0-based.
    labeled : (m,) int, pool indices labeled before the round.
    selected : (k,) int, this round's picks in pick order.
    scores : (n_pool,) float, the strategy's scores (NaN = not a candidate).
    extras : dict, the strategy's diagnostics.
    metrics : dict, ``accuracy`` (test accuracy of the model trained on ``labeled``), ``n_labeled``,
        ``train_seconds``, ``query_seconds``, ``field_seconds`` (0 without a field), ``seconds``.
    proba : (n_pool, C) float32, the task model's probabilities this round.
    embedding : (n_pool, d) float32 or None, the task model's penultimate features this round.
    strategy : str, the strategy's name.
    field : alviz.fields.Field or None, on 2-D data: the round's model and strategy over a grid of the plane.
    given_labels : (k,) int64 or None, the labels the oracle gave the picks (in pick order); None while the
        round is a pending proposal (``Session.pending``) waiting for its labels.
    augment_inputs : (k, *input_shape) float32 or None, the strategy's inputs added to later training sets
        with the picks' labels (``QueryResult.augment_inputs``, e.g. dfal with ``add_adversarial=True``).
    """

    index: int
    labeled: np.ndarray
    selected: np.ndarray
    scores: np.ndarray
    extras: Dict[str, Any] = field(default_factory=dict)
    metrics: Dict[str, float] = field(default_factory=dict)
    proba: Optional[np.ndarray] = None
    embedding: Optional[np.ndarray] = None
    strategy: str = ""
    field: Optional[Any] = None
    given_labels: Optional[np.ndarray] = None
    augment_inputs: Optional[np.ndarray] = None

    @property
    def predicted(self) -> Optional[np.ndarray]:
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
    budget : int, samples picked per round.
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
    """

    def __init__(self, dataset: Dataset, strategy="margin", model=None, initial=20, budget: int = 10,
                 seed: int = 0, record_embeddings: bool = True, field_resolution: Optional[int] = 100,
                 oracle=None):
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
        self.model_template = model
        self.budget = int(budget)
        self.seed = int(seed)
        self.record_embeddings = bool(record_embeddings)
        if field_resolution is not None:
            field_resolution = check_int(field_resolution, "field_resolution", 2,
                                         hint="grid points per axis, or None for no field")
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

    # ------------------------------------------------------------------ set-up
    def _initial_indices(self, initial) -> np.ndarray:
        n = len(self.dataset.X)
        if isinstance(initial, (int, np.integer)) and not isinstance(initial, bool):
            if initial < 0 or initial > n:
                raise ValueError(f"initial={initial} must be between 0 and the pool size {n}")
            if initial == 0:
                return np.zeros(0, dtype=np.int64)
            rng = np.random.default_rng([self.seed, 2**31 - 1])
            y = self.dataset.y
            counts = np.bincount(y)
            if initial >= self.dataset.n_classes and initial < n and counts[counts > 0].min() >= 2:
                from sklearn.model_selection import train_test_split

                idx, _ = train_test_split(np.arange(n), train_size=int(initial), stratify=y,
                                          random_state=int(rng.integers(2**31 - 1)))
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
        """The generator of everything random in round ``r``."""
        return np.random.default_rng([self.seed, int(r)])

    # ------------------------------------------------------------------ the loop
    def _training_set(self):
        lab = self.labeled_indices
        X = self.dataset.X[lab]
        y = self.labels[lab]
        if len(self._augment_y):
            X = np.concatenate([X, self._augment_X])
            y = np.concatenate([y, self._augment_y])
        return X, y

    def _fit(self, X, y, rng):
        if len(y) == 0:
            return None
        if not is_torch_model(self.model_template) and np.unique(y).size < 2:
            raise ValueError(
                f"{type(self.model_template).__name__} cannot be fitted on a labeled set with a single class; "
                "start with more labeled samples (initial) or use an alviz torch model"
            )
        return fit_fresh(self.model_template, X, y, self.dataset.n_classes, rng)

    def step(self) -> Round:
        """Run one round (:meth:`propose`, then :meth:`label` with the oracle's labels) and return it.

        On an error the session is left as it was.
        """
        if self.oracle.interactive:
            raise RuntimeError(
                f"this session's oracle is {self.oracle!r}: a person gives the labels. Call "
                "session.propose() to see the picks, then session.label(labels) with one label per pick"
            )
        had_pending, model_before = self.pending is not None, self.model
        self.propose()
        rnd = self.pending
        try:
            given = self.oracle.labels(self.dataset.y, rnd.selected, self.dataset.n_classes,
                                       self.oracle.round_rng(self.seed, rnd.index))
            return self.label(given)
        except BaseException:
            if not had_pending:
                self.pending, self.model = None, model_before
            raise

    def propose(self) -> np.ndarray:
        """Fit the model and let the strategy pick; returns the picks (pool indices, in pick order).

        The proposal waits in :attr:`pending` (a Round with ``given_labels=None``) until
        :meth:`label` commits it. Calling again before that returns the same picks without
        recomputing. On an error the session is left as it was.
        """
        if self.pending is not None:
            return self.pending.selected.copy()
        if self.n_unlabeled == 0:
            raise ValueError("the pool is exhausted: every sample is labeled")
        r = len(self.rounds)
        rng = self.round_rng(r)
        ds = self.dataset
        t0 = time.perf_counter()
        X_train, y_train = self._training_set()
        model = self._fit(X_train, y_train, rng)
        t1 = time.perf_counter()
        ctx = QueryContext(ds.X, self.labeled_mask.copy(), self.labels.copy(), ds.n_classes, model=model,
                           model_template=self.model_template, cache=self.cache,
                           dataset_key=self.pool_key, train_X=X_train, train_y=y_train,
                           features=getattr(ds, "features", None))
        res = self.strategy.query(ctx, self.budget, rng)
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
        aug = res.augment_inputs
        if aug is not None:  # checked now, so that label() cannot fail on it
            aug = np.asarray(aug, dtype=np.float32).reshape((len(res.indices),) + ds.input_shape)
        rnd = Round(
            index=r, labeled=self.labeled_indices, selected=res.indices, scores=res.scores, extras=res.extras,
            metrics={"accuracy": accuracy, "n_labeled": self.n_labeled, "train_seconds": t1 - t0,
                     "query_seconds": t2 - t1, "field_seconds": t_field, "seconds": time.perf_counter() - t0},
            proba=proba, embedding=embedding, strategy=self.strategy.name, field=fld, augment_inputs=aug,
        )
        self.pending = rnd
        self.model = model
        return rnd.selected.copy()

    def _check_labels(self, labels, picks: np.ndarray) -> np.ndarray:
        """(k,) int64 class indices from ``labels`` (indices or class names), or a ValueError saying what is wrong."""
        names = self.dataset.class_names
        C = len(names)
        if isinstance(labels, (str, bytes)) or not hasattr(labels, "__len__"):
            raise TypeError(f"labels must be a sequence with one label per pick ({len(picks)}), "
                            f"got {type(labels).__name__}")
        labels = list(np.asarray(labels, dtype=object).ravel()) if isinstance(labels, np.ndarray) else list(labels)
        if len(labels) != len(picks):
            raise ValueError(f"got {len(labels)} labels for {len(picks)} picks; give one label per pick, "
                             f"in pick order (session.pending.selected = {picks.tolist()})")
        out = np.empty(len(labels), dtype=np.int64)
        for j, lab in enumerate(labels):
            if isinstance(lab, (str, np.str_)):
                if str(lab) not in names:
                    raise ValueError(f"label {lab!r} of pick {j} (sample {int(picks[j])}) is not a class; "
                                     f"choose one of {names} or a class index 0..{C - 1}")
                out[j] = names.index(str(lab))
            elif isinstance(lab, (int, np.integer)) and not isinstance(lab, (bool, np.bool_)) and 0 <= lab < C:
                out[j] = int(lab)
            else:
                raise ValueError(f"label {lab!r} of pick {j} (sample {int(picks[j])}) is not a class; "
                                 f"give a class index 0..{C - 1} or one of the names {names}")
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
        rnd.given_labels = given
        rnd.metrics["label_accuracy"] = (float(np.mean(given == ds.y[rnd.selected])) if len(given)
                                         else float("nan"))
        # commit: nothing below can fail
        self.labeled_mask[rnd.selected] = True
        self.labels[rnd.selected] = given
        if aug is not None:
            self._augment_X = np.concatenate([self._augment_X, aug])
            self._augment_y = np.concatenate([self._augment_y, given])
        self.rounds.append(rnd)
        self.pending = None
        return rnd

    def _field(self, ctx, r: int):
        """The round's field on 2-D data (None otherwise), from a stream derived from, not shared with, the round's."""
        resolution = getattr(self, "field_resolution", 100)
        if resolution is None or not getattr(self.dataset, "is_2d", False):
            return None
        return _fields.compute(self.strategy, ctx, self.dataset.X, np.random.default_rng([self.seed, int(r), 1]),
                               resolution=resolution)

    def run(self, rounds: int = 1, progress: bool = False) -> list:
        """Run ``rounds`` rounds; returns the new Rounds."""
        rounds = check_int(rounds, "rounds", 0)
        progress = check_bool(progress, "progress", hint="one tqdm bar over the rounds")
        it = range(int(rounds))
        if progress:
            from tqdm.auto import tqdm

            it = tqdm(it, desc=f"{self.strategy.name}", leave=False)
        return [self.step() for _ in it]

    def learning_curve(self):
        """(n_labeled, accuracy) arrays, one entry per round."""
        n = np.array([r.metrics["n_labeled"] for r in self.rounds], dtype=np.int64)
        acc = np.array([r.metrics["accuracy"] for r in self.rounds], dtype=np.float64)
        return n, acc

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
        return (f"Session(dataset={self.dataset.name!r}, strategy={self.strategy.name!r}, rounds={len(self.rounds)}, "
                f"labeled={self.n_labeled}/{self.n_pool})")


def compare(dataset: Dataset, strategies: Sequence, rounds: int = 5, budget: int = 10, seed: int = 0,
            initial=20, model=None, progress: bool = False):
    """Run several strategies from the same initial labeled set and seed.

    Returns an :class:`alviz.comparison.Comparison`: a mapping name -> Session in the
    order given (a repeated strategy gets ``name#2``), stepped together.
    """
    from .comparison import Comparison

    return Comparison.start(dataset, strategies, budget=budget, seed=seed, initial=initial,
                            model=model).run(rounds, progress=progress)
