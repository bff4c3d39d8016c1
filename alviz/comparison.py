"""Several sessions from one start: the Comparison type.

A :class:`Comparison` is a read-only mapping name -> Session that owns what
"comparing strategies" means in alviz:

- building them from one start (:meth:`Comparison.start`): the same dataset,
  initial labeled set, budget, model and seed for every strategy, so their
  first rounds differ only by the strategy;
- names: a strategy's name, and ``name#2``, ``name#3`` ... for further
  configurations of the same strategy;
- the comparability check (:meth:`Comparison.check`): one pool, and, where
  it matters, one start;
- stepping together (:meth:`Comparison.step`, :meth:`Comparison.run`): every
  session advances by one round; one that fell behind (its round failed) is
  caught up first.

``alviz.compare`` returns one; so does :meth:`Comparison.of`, which turns a
Session, a list of Sessions or a dict into one (what the plots accept).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Dict, Iterable, Iterator, Sequence

import numpy as np

from ._validation import check_bool, check_int
from .datasets import Dataset
from .session import Session

__all__ = ["Comparison", "compare", "unique_names"]


def unique_names(names: Iterable[str]) -> list:
    """Distinct keys for ``names`` in order: the first keeps its name, repeats get ``#2``, ``#3``, ..."""
    out: list = []
    taken: set = set()
    for name in names:
        key, j = name, 2
        while key in taken:
            key, j = f"{name}#{j}", j + 1
        taken.add(key)
        out.append(key)
    return out


class Comparison(Mapping):
    """A mapping name -> Session of strategies run on one pool, usually from one start.

    Parameters
    ----------
    sessions : dict name -> Session, or a sequence of Sessions (named by :func:`unique_names`)

    It behaves as the dict ``alviz.compare`` used to return (``list(c)``,
    ``c["margin"]``, ``c.items()``); it does not check comparability itself:
    call :meth:`check` where it matters (figures on shared coordinates, reports,
    the explorer, stepping together).
    """

    def __init__(self, sessions):
        if isinstance(sessions, Comparison):
            items = list(sessions.items())
        elif isinstance(sessions, Mapping):
            items = list(sessions.items())
        elif isinstance(sessions, (list, tuple)):
            for i, s in enumerate(sessions):
                if not isinstance(s, Session):
                    raise TypeError(f"sessions[{i}] is a {type(s).__name__}, not an alviz.Session")
            items = list(zip(unique_names(s.strategy.name for s in sessions), sessions))
        else:
            raise TypeError(
                f"sessions must be a Session, a list of them or a dict name -> Session, got {type(sessions).__name__}"
            )
        if not items:
            raise ValueError("give at least one session")
        for name, s in items:
            if not isinstance(s, Session):
                raise TypeError(f"sessions[{name!r}] is a {type(s).__name__}, not an alviz.Session")
        self._sessions: Dict[str, Session] = dict(items)

    # ------------------------------------------------------------------ building
    @classmethod
    def of(cls, sessions) -> "Comparison":
        """A Comparison from a Comparison (itself), a Session, a list of Sessions or a dict name -> Session."""
        if isinstance(sessions, Comparison):
            return sessions
        if isinstance(sessions, Session):
            return cls({sessions.strategy.name: sessions})
        return cls(sessions)

    @classmethod
    def start(
        cls,
        dataset: Dataset,
        strategies: Sequence,
        budget: int = 10,
        seed: int = 0,
        initial=20,
        model=None,
        **session_params,
    ) -> "Comparison":
        """Sessions of ``strategies`` (names or configured objects) that share one start, no round run yet.

        The first session draws the initial labeled set from ``seed`` (or takes the
        given indices); every other one starts from exactly that set, with the same
        model template, budget and seed. ``session_params`` go to every :class:`Session`.
        """
        if isinstance(strategies, (str, bytes)) or not isinstance(strategies, Sequence) or not strategies:
            raise ValueError("give at least one strategy to compare, as a list (e.g. ['random', 'margin'])")
        first = Session(
            dataset, strategy=strategies[0], model=model, initial=initial, budget=budget, seed=seed, **session_params
        )
        sessions = [first] + [
            Session(
                dataset,
                strategy=s,
                model=model,
                initial=first.initial_indices,
                budget=budget,
                seed=seed,
                **session_params,
            )
            for s in strategies[1:]
        ]
        return cls(sessions)

    # ------------------------------------------------------------------ the mapping
    def __getitem__(self, name: str) -> Session:
        try:
            return self._sessions[name]
        except KeyError:
            raise KeyError(f"no strategy named {name!r} in this comparison; it has {', '.join(self)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._sessions)

    def __len__(self) -> int:
        return len(self._sessions)

    def __repr__(self) -> str:
        first = next(iter(self._sessions.values()))
        return (
            f"Comparison(dataset={first.dataset.name!r}, strategies={list(self)}, "
            f"rounds={[len(s.rounds) for s in self.values()]})"
        )

    @property
    def dataset(self) -> Dataset:
        """The first session's dataset (after :meth:`check`, everyone's)."""
        return next(iter(self._sessions.values())).dataset

    # ------------------------------------------------------------------ comparability
    def check(self, same_start: bool = False) -> "Comparison":
        """Raise ValueError unless the sessions share one pool (and, with ``same_start``, one initial set).

        One pool means the same dataset content (``Dataset.fingerprint``), which also
        makes their coordinates and picks comparable. Returns ``self``.
        """
        ss = list(self._sessions.values())
        first = ss[0]
        for name, s in self._sessions.items():
            if s is first or s.dataset is first.dataset:
                continue
            if len(s.dataset.X) != len(first.dataset.X):
                raise ValueError(
                    f"the sessions must share one pool: {name!r} has {len(s.dataset.X)} samples, "
                    f"{next(iter(self))!r} {len(first.dataset.X)}; run them on one dataset with alviz.compare"
                )
            if s.dataset.fingerprint() != first.dataset.fingerprint():
                raise ValueError(
                    f"the sessions run on different datasets ({name!r} does not share {next(iter(self))!r}'s "
                    "pool); compare strategies on one dataset with alviz.compare"
                )
        if same_start:
            start = np.sort(first.initial_indices)
            for name, s in self._sessions.items():
                if not np.array_equal(np.sort(s.initial_indices), start):
                    raise ValueError(
                        f"the sessions start from different labeled sets ({name!r} differs); make them with "
                        "alviz.compare(ds, strategies, rounds=0) so they share the start"
                    )
        return self

    # ------------------------------------------------------------------ stepping together
    @property
    def n_rounds(self) -> int:
        """Rounds every session has run (the least of their counts)."""
        return min(len(s.rounds) for s in self.values())

    def step(self) -> dict:
        """Advance every session by one round; returns name -> the new last Round.

        A session that fell behind (a round of it failed earlier) is first caught up
        to the others, and then nobody takes a further round. A round that fails
        raises; the sessions already stepped keep their round, the failed one is
        unchanged (call step again to catch it up).
        """
        lens = [len(s.rounds) for s in self.values()]
        target = max(lens) if min(lens) < max(lens) else max(lens) + 1
        for s in self.values():
            while len(s.rounds) < target:
                s.step()
        return {name: s.rounds[-1] for name, s in self.items()}

    def run(self, rounds: int = 1, progress: bool = False) -> "Comparison":
        """Call :meth:`step` ``rounds`` times (one tqdm bar over rounds with ``progress``); returns ``self``.

        Stops early, with a :class:`alviz.session.PoolExhaustedWarning`, once every session's pool
        is labeled (the last round takes what is left).
        """
        rounds = check_int(rounds, "rounds", 0)
        progress = check_bool(progress, "progress", hint="one tqdm bar over the rounds")
        it = range(int(rounds))
        if progress:
            from tqdm.auto import tqdm

            it = tqdm(it, desc=f"{len(self)} strategies", unit="round", leave=False)
        for i in it:
            if all(s.n_unlabeled == 0 and s.pending is None for s in self.values()):
                import warnings

                from .session import PoolExhaustedWarning

                warnings.warn(
                    f"the pool is exhausted (every sample is labeled): ran {i} of the {rounds} rounds asked for",
                    PoolExhaustedWarning,
                    stacklevel=2,
                )
                break
            self.step()
        return self

    def learning_curves(self) -> dict:
        """name -> (n_labeled, accuracy) arrays (see :meth:`Session.learning_curve`)."""
        return {name: s.learning_curve() for name, s in self.items()}


def compare(
    dataset: Dataset,
    strategies: Sequence[Any],
    rounds: int = 5,
    budget: int = 10,
    seed: int = 0,
    initial: Any = 20,
    model: Any = None,
    progress: bool = False,
) -> "Comparison":
    """Run several strategies from the same initial labeled set and seed.

    Parameters
    ----------
    dataset : alviz.datasets.Dataset
        The pool and test set every strategy runs on.
    strategies : sequence of str or Strategy
        The strategies, in the order the Comparison keeps (a repeated one gets ``name#2``).
    rounds : int
        How many rounds to run.
    budget : int
        The per-round query size: how many samples each strategy picks in each round.
    seed : int
        The seed of everything random in every run.
    initial : int or sequence of int
        The initial labeled set, shared by every strategy (see :class:`alviz.Session`).
    model : None or classifier
        The model template every session fits a fresh clone of each round.
    progress : bool
        One progress bar over the rounds.

    Returns
    -------
    Comparison
        A mapping name -> Session in the order given, stepped together.
    """
    return Comparison.start(dataset, strategies, budget=budget, seed=seed, initial=initial, model=model).run(
        rounds, progress=progress
    )
