"""Who reveals the labels of a round's picks: the dataset, a noisy annotator, or a person.

>>> alviz.Session(ds, oracle=alviz.oracles.Noisy(rate=0.2))      # doctest: +SKIP
>>> session = alviz.Session(ds, oracle=alviz.oracles.Human())     # doctest: +SKIP
>>> picks = session.propose(); session.label(["3", "7", ...])      # doctest: +SKIP

An oracle is a parameters-only object (scikit-learn manners): ``__init__``
stores its parameters, :meth:`Oracle.get_params` returns them as JSON-able
values, and it holds no state that changes while a session runs. Its
randomness is a generator the Session hands it for each round
(:meth:`Oracle.round_rng`), so a resumed or reloaded session gives exactly the
labels an uninterrupted one would.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

from ._random import streams
from ._params import Integral, Interval, Real, merged_constraints, validate_params

__all__ = ["Oracle", "Simulated", "Noisy", "Human", "get"]


class Oracle:
    """Base class: reveals labels for the picks of a round.

    Subclasses set ``name`` and implement :meth:`labels`; ``interactive`` oracles
    (a person) have no labels to give from code and :meth:`alviz.Session.step` refuses them.
    """

    name = "oracle"
    interactive = False

    def get_params(self) -> dict:
        """The constructor's parameters as JSON-able values."""
        return {}

    def round_rng(self, session_seed: int, r: int) -> np.random.Generator:
        """The generator of this oracle's randomness in round ``r`` of a session seeded ``session_seed``.

        The oracle's own ``seed`` parameter, when it has one that is not None, replaces the session's.
        """
        own = getattr(self, "seed", None)
        return streams(int(session_seed if own is None else own), r, "oracle")

    #: the declared constraints of the parameters (see :mod:`alviz._params`), checked by :meth:`check`
    _parameter_constraints: Dict[str, list] = {}

    def check(self, n_classes: int) -> None:
        """Validate the parameters for a dataset of ``n_classes`` classes (a typed error says what to fix).

        Parameters
        ----------
        n_classes : int
            The number of classes of the dataset the oracle labels.

        Raises
        ------
        InvalidParameterError
            A parameter outside its declared constraints.
        """
        validate_params(
            f"{type(self).__name__} oracle",
            merged_constraints(type(self)),
            {k: getattr(self, k) for k in merged_constraints(type(self)) if hasattr(self, k)},
        )

    def labels(self, y_true: np.ndarray, indices: np.ndarray, n_classes: int, rng: np.random.Generator) -> np.ndarray:
        """(k,) int64 labels for pool samples ``indices`` (``y_true`` are the dataset's labels)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self.get_params() == other.get_params()

    __hash__ = None  # type: ignore[assignment]


class Simulated(Oracle):
    """The dataset's own labels (the default oracle)."""

    name = "simulated"

    def labels(self, y_true, indices, n_classes, rng):
        return np.asarray(y_true, dtype=np.int64)[np.asarray(indices, dtype=np.int64)]


class Noisy(Oracle):
    """The dataset's labels, each flipped with probability ``rate``.

    Parameters
    ----------
    rate : float in [0, 1], the probability that a given label is wrong.
    seed : int or None
        Seed of the flips; None (default) derives them from the session's seed and the round.
    confusion : (C, C) array-like or None
        Where a flipped label goes: row ``i`` weighs the wrong classes a true ``i`` is
        mistaken for (the diagonal is ignored; rows are normalised). None: uniformly to
        another class.
    """

    name = "noisy"

    _parameter_constraints = {
        "rate": [Interval(Real, 0, 1, hint="the probability that a label is wrong")],
        "seed": [Interval(Integral, 0, None), None],
        "confusion": [None, "array-like"],
    }

    def __init__(self, rate: float = 0.1, seed: Optional[int] = None, confusion=None):
        self.rate = rate
        self.seed = seed
        self.confusion = confusion

    def get_params(self) -> dict:
        conf = self.confusion
        if conf is not None:
            conf = np.asarray(conf, dtype=float).tolist()
        return {
            "rate": float(self.rate) if isinstance(self.rate, (int, float, np.number)) else self.rate,
            "seed": self.seed if self.seed is None else int(self.seed),
            "confusion": conf,
        }

    def check(self, n_classes: int) -> None:
        self._check(n_classes)

    def _check(self, n_classes: int):
        super().check(n_classes)
        rate = float(self.rate)
        if self.confusion is None:
            return rate, None
        conf = np.asarray(self.confusion, dtype=float)
        if conf.shape != (n_classes, n_classes):
            raise ValueError(
                f"Noisy confusion has shape {conf.shape}; give a ({n_classes}, {n_classes}) matrix, "
                "row i weighing the classes a true i is mistaken for"
            )
        conf = conf.copy()
        np.fill_diagonal(conf, 0.0)
        if not np.all(np.isfinite(conf)) or np.any(conf < 0):
            raise ValueError("Noisy confusion must hold finite weights >= 0")
        empty = np.flatnonzero(conf.sum(axis=1) == 0)
        if rate > 0 and empty.size:
            raise ValueError(
                f"Noisy confusion rows {empty.tolist()} give no wrong class to flip to; "
                "put a weight > 0 off the diagonal of every row"
            )
        return rate, conf

    def labels(self, y_true, indices, n_classes, rng):
        rate, conf = self._check(n_classes)
        y = np.asarray(y_true, dtype=np.int64)[np.asarray(indices, dtype=np.int64)]
        flip = rng.random(len(y)) < rate  # (k,)
        if conf is None:
            shift = rng.integers(1, n_classes, size=len(y))  # never 0: a flip always changes the class
            wrong = (y + shift) % n_classes
        else:
            u = rng.random(len(y))
            cdf = np.cumsum(conf[y] / conf[y].sum(axis=1, keepdims=True).clip(min=1e-300), axis=1)  # (k, C)
            wrong = np.minimum((u[:, None] > cdf).sum(axis=1), n_classes - 1)
        return np.where(flip, wrong, y).astype(np.int64)


class Human(Oracle):
    """A person labels the picks: ``session.propose()``, look, then ``session.label(labels)``.

    In the explorer, "Next round" shows a labeling panel. ``session.step()`` refuses this oracle.
    """

    name = "human"
    interactive = True

    def labels(self, y_true, indices, n_classes, rng):
        raise RuntimeError("a Human oracle labels in person: call session.propose(), then session.label(labels)")


_KINDS = {cls.name: cls for cls in (Simulated, Noisy, Human)}


def get(oracle: Any) -> Oracle:
    """An Oracle from None (Simulated), a name ("simulated", "noisy", "human") or an Oracle."""
    if oracle is None:
        return Simulated()
    if isinstance(oracle, Oracle):
        return oracle
    if isinstance(oracle, str):
        if oracle not in _KINDS:
            raise ValueError(
                f"unknown oracle {oracle!r}; choose one of {sorted(_KINDS)} or pass alviz.oracles.Noisy(rate=...)"
            )
        return _KINDS[oracle]()
    raise TypeError(f"oracle must be None, a name or an alviz.oracles.Oracle, got {type(oracle).__name__}")
