"""Strategies × seeds: repeated runs, intervals, paired differences; in parallel, locally or on Dask.

One run of one strategy from one seed says little: the next seed may reverse
the order. :func:`experiment` runs every strategy from every seed, each seed
from one shared start (:meth:`alviz.comparison.Comparison.start`: the same
initial labeled set, model and seed for all strategies), so differences
between strategies are *paired* by seed.

Runs go through ``joblib.Parallel``: ``n_jobs=-1`` uses every core, and under

>>> from dask.distributed import Client                     # doctest: +SKIP
>>> client = Client("tcp://scheduler:8786")                  # or Client(LocalCluster(...))
>>> with joblib.parallel_config(backend="dask"):             # doctest: +SKIP
...     exp = alviz.experiment(ds, ["random", "margin"], seeds=range(10), rounds=10, budget=10)

the same call runs on a Dask cluster. Ray offers the same through its joblib
backend (``from ray.util.joblib import register_ray; register_ray()`` then
``joblib.parallel_config(backend="ray")``). Every run is seeded and trains on
one torch/BLAS thread, and the results are sorted, so the tables are identical
whatever ``n_jobs`` or the backend (only the ``seconds`` column differs).
"""

from __future__ import annotations

import copy
import sys
import types
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Dict, Optional, Sequence

import numpy as np

from ._validation import check_bool, check_int
from .comparison import Comparison
from .metrics import area_under_curve, interval, seeds_needed
from .datasets import Dataset
from .oracles import Oracle, Simulated
from .session import Session

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Experiment", "experiment", "interval", "seeds_needed", "RESULT_COLUMNS", "DEFAULT_SEEDS"]

#: The default number of seeds (``experiment``, the CLI, the lessons). Chosen from what the seeds show, not
#: from habit: on digits (lesson 10, "Do the papers hold here?") the paired AULC differences of margin and
#: core-set to random over 4 rounds have a spread that needs 10-30 seeds for a difference of 1-1.5 points to
#: be significant; 3 or 5 seeds, the usual habit, can call either sign. 10 is the fewest that separates a
#: difference of about 2 points on that spread; summary() says when even that is too few.
DEFAULT_SEEDS = 10

#: columns of ``Experiment.results`` (then ``label_accuracy`` when the rounds report it)
RESULT_COLUMNS = ("strategy", "seed", "round", "n_labeled", "accuracy", "seconds")


@contextmanager
def _one_thread():
    """torch and BLAS on one thread (restored after): the same arithmetic in every worker."""
    import torch
    from threadpoolctl import threadpool_limits

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(old)


def _rows(name: str, seed: int, session: Session) -> list:
    rows = []
    # the default oracle gives the dataset's labels: their agreement with them says nothing
    noisy = not isinstance(session.oracle, Simulated)
    for rnd in session.rounds:
        m = rnd.metrics
        row = {
            "strategy": name,
            "seed": seed,
            "round": rnd.index,
            "n_labeled": int(m["n_labeled"]),
            "accuracy": float(m["accuracy"]),
            "seconds": float(m.get("seconds", float("nan"))),
        }
        if noisy and "label_accuracy" in m:
            row["label_accuracy"] = float(m["label_accuracy"])
        rows.append(row)
    return rows


def _run_one(name: str, seed: int, session: Session, rounds: int, keep_session: bool):
    """One (strategy, seed) run; a joblib task, so it is a module-level function of picklable arguments."""
    with _one_thread():
        session.run(rounds)
    return name, seed, _rows(name, seed, session), (session if keep_session else None)


class Experiment:
    """The runs of :func:`experiment`.

    Attributes
    ----------
    results : pandas.DataFrame
        One row per (strategy, seed, round): ``strategy``, ``seed``, ``round``,
        ``n_labeled``, ``accuracy``, ``seconds`` and, when the rounds report it (an oracle
        that can be wrong), ``label_accuracy``. Sorted by strategy (in the order
        given), seed, round.
    sessions : dict (strategy, seed) -> Session
        Every run, to open in the explorer (empty with ``keep_sessions=False``).
    strategies : list of str, the names, in the order given (repeats get ``name#2``).
    seeds : list of int.
    dataset : the Dataset.
    """

    def __init__(
        self,
        results: pd.DataFrame,
        sessions: Dict[tuple, Session],
        strategies: Sequence[str],
        seeds: Sequence[int],
        dataset: Dataset,
    ) -> None:
        self.results = results
        self.sessions = sessions
        self.strategies = list(strategies)
        self.seeds = list(seeds)
        self.dataset = dataset

    def __repr__(self) -> str:
        return (
            f"Experiment(dataset={self.dataset.name!r}, strategies={self.strategies}, seeds={self.seeds}, "
            f"rounds={int(self.results['round'].max()) + 1 if len(self.results) else 0})"
        )

    def comparison(self, seed: int) -> Comparison:
        """The runs of one seed as a :class:`Comparison` (they share one start)."""
        if seed not in self.seeds:
            raise ValueError(f"seed={seed} is not in this experiment; its seeds are {self.seeds}")
        if not self.sessions:
            raise ValueError("this experiment kept no sessions (keep_sessions=False); re-run it to keep them")
        return Comparison({name: self.sessions[(name, seed)] for name in self.strategies})

    def aulc(self) -> pd.DataFrame:
        """A DataFrame indexed by (strategy, seed): ``aulc`` (``alviz.metrics.area_under_curve`` of the run)
        and ``final`` (the last round's accuracy)."""
        import pandas as pd

        recs = []
        for (name, seed), g in self.results.groupby(["strategy", "seed"], sort=False):
            g = g.sort_values("round")
            recs.append(
                {
                    "strategy": name,
                    "seed": seed,
                    "aulc": area_under_curve(g["n_labeled"].to_numpy(), g["accuracy"].to_numpy()),
                    "final": float(g["accuracy"].iloc[-1]),
                }
            )
        return pd.DataFrame.from_records(recs, columns=["strategy", "seed", "aulc", "final"]).set_index(
            ["strategy", "seed"]
        )

    def summary(self, confidence: float = 0.95, baseline: Optional[str] = "random") -> pd.DataFrame:
        """A DataFrame indexed by strategy: the mean over seeds and a Student-t interval.

        Columns: ``n_seeds``; ``aulc_mean``, ``aulc_low``, ``aulc_high`` (area under the
        learning curve, ``alviz.metrics.area_under_curve``); ``final_mean``, ``final_low``,
        ``final_high`` (the last round's accuracy); and, when ``baseline`` is one of the
        strategies, ``diff_mean``, ``diff_low``, ``diff_high``, the *paired* difference of
        AULC to the baseline (per seed, both started from the same labeled set; an
        interval that excludes 0 means the difference is larger than the seed-to-seed
        noise), ``wins``, the fraction of seeds where the strategy's AULC beats the
        baseline's (ties count half, as in :meth:`win_fractions`), ``significant`` (the interval
        excludes 0), ``seeds_needed`` (:func:`seeds_needed`: how many seeds the observed spread of
        the differences suggests a significant result of the observed size would need; ``inf``
        when the mean difference is 0) and ``verdict`` in words: "better than random", "worse
        than random", "not significant: within noise of random with 3 seeds (the spread suggests
        about 14 seeds)", "the baseline" or "one seed: no interval". The interval is Student's t
        over seeds (NaN with one seed). A difference that is not significant is never a finding.
        """
        import pandas as pd

        per_run = self.aulc()
        recs = []
        base = per_run.loc[baseline, "aulc"] if baseline in self.strategies else None
        for name in self.strategies:
            runs = per_run.loc[name]
            rec: dict[str, Any] = {"strategy": name, "n_seeds": len(runs)}
            for col in ("aulc", "final"):
                rec[f"{col}_mean"], rec[f"{col}_low"], rec[f"{col}_high"] = interval(runs[col], confidence)
            if base is not None:
                assert baseline is not None  # base is found only for a baseline among the strategies
                d = (runs["aulc"] - base.reindex(runs.index)).to_numpy()
                rec["diff_mean"], rec["diff_low"], rec["diff_high"] = interval(d, confidence)
                rec["wins"] = float(np.mean((d > 0) + 0.5 * (d == 0))) if d.size and name != baseline else float("nan")
                rec["significant"] = bool(name != baseline and (rec["diff_low"] > 0 or rec["diff_high"] < 0))
                rec["seeds_needed"] = float("nan") if name == baseline else seeds_needed(d, confidence)
                rec["verdict"] = _verdict(
                    name == baseline, rec["diff_low"], rec["diff_high"], baseline, rec["seeds_needed"], len(d)
                )
            recs.append(rec)
        return pd.DataFrame.from_records(recs).set_index("strategy")

    def win_fractions(self) -> pd.DataFrame:
        """A DataFrame (strategy × strategy): the fraction of seeds where the row's AULC beats the
        column's (ties count half; NaN on the diagonal)."""
        import pandas as pd

        a = self.aulc()["aulc"].unstack("seed").reindex(self.strategies)  # (S, seeds)
        A = a.to_numpy()
        S = len(self.strategies)
        W = np.full((S, S), np.nan)
        for i in range(S):
            for j in range(S):
                if i != j:
                    W[i, j] = np.mean((A[i] > A[j]) + 0.5 * (A[i] == A[j]))
        return pd.DataFrame(W, index=self.strategies, columns=self.strategies)


def _verdict(
    is_baseline: bool, low: float, high: float, baseline: str, needed: float = float("nan"), n_seeds: int = 0
) -> str:
    if is_baseline:
        return "the baseline"
    if not (np.isfinite(low) and np.isfinite(high)):
        return "one seed: no interval"
    if low > 0:
        return f"better than {baseline}"
    if high < 0:
        return f"worse than {baseline}"
    if np.isfinite(needed):
        return (
            f"not significant: within noise of {baseline} with {n_seeds} seeds "
            f"(the spread suggests about {int(needed)} seeds)"
        )
    return f"not significant: within noise of {baseline} (no difference to find)"


def _seed_list(seeds) -> list:
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        seeds = range(check_int(seeds, "seeds", 1, hint="a count n means seeds 0 .. n-1"))
    try:
        out = [check_int(s, "seeds[i]", 0) for s in seeds]
    except TypeError as exc:
        raise TypeError(f"seeds must be a count or a sequence of ints, e.g. range(10): {exc}") from exc
    if not out:
        raise ValueError("give at least one seed, e.g. seeds=range(5)")
    if len(set(out)) != len(out):
        raise ValueError(f"seeds {out} repeat a seed; each seed must appear once")
    return out


def experiment(
    dataset: Dataset,
    strategies: Sequence,
    seeds: int | Sequence[int] = range(DEFAULT_SEEDS),
    rounds: int = 5,
    budget: int = 10,
    initial: int | Sequence[int] | np.ndarray = 20,
    model: Any = None,
    n_jobs: int = 1,
    oracle: Oracle | str | None = None,
    progress: bool = False,
    keep_sessions: bool = True,
) -> Experiment:
    """Run every strategy from every seed; return an :class:`Experiment`.

    Parameters
    ----------
    dataset : alviz.datasets.Dataset
    strategies : list of names or configured Strategy objects
        Two configurations of one strategy get distinct names (``vaal``, ``vaal#2``).
        Objects are copied for every run, so no run sees another's state.
    seeds : a sequence of ints (default ``range(DEFAULT_SEEDS)``, 10), or a count n meaning ``range(n)``
        Each seed is one shared start for all strategies (initial labeled set, model
        initialisation, every round's randomness).
    rounds, budget, initial, model : as in :class:`alviz.Session`.
    n_jobs : int, joblib's: 1 runs here, -1 on every core; under
        ``joblib.parallel_config(backend="dask")`` the runs go to the Dask cluster.
    oracle : who reveals labels (``alviz.oracles``), passed to every Session; with an oracle other than
        the default the results get a ``label_accuracy`` column.
    progress : bool, one tqdm bar over the (strategy, seed) runs.
    keep_sessions : bool, keep every run's Session (``Experiment.sessions``); False returns
        only the tables (less memory, less data sent back by workers).
    """
    import joblib
    import pandas as pd

    if not isinstance(dataset, Dataset):
        raise TypeError(
            f"dataset must be an alviz.datasets.Dataset, got {type(dataset).__name__}; "
            "wrap arrays with alviz.datasets.from_arrays(X, y)"
        )
    if isinstance(strategies, (str, bytes)) or not isinstance(strategies, Sequence) or not strategies:
        raise ValueError("give the strategies as a list, e.g. ['random', 'margin']")
    seed_list = _seed_list(seeds)
    rounds = check_int(rounds, "rounds", 1, hint="rounds per run")
    progress = check_bool(progress, "progress", hint="one tqdm bar over the runs")
    if n_jobs is None or isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0:
        raise ValueError(f"n_jobs={n_jobs!r} must be a positive int (workers) or -1 (every core)")
    extra = {}
    if oracle is not None:
        extra["oracle"] = oracle

    tasks = []
    names: list[str] = []  # the strategies' run names, from the first seed's Comparison (seed_list is never empty)
    for seed in seed_list:
        # every run gets its own copy of a configured strategy: state never leaks between runs
        start = Comparison.start(
            dataset,
            [s if isinstance(s, str) else copy.deepcopy(s) for s in strategies],
            budget=budget,
            seed=seed,
            initial=initial,
            model=model,
            **extra,
        )
        names = list(start)
        tasks.extend((name, seed, session) for name, session in start.items())

    parallel = joblib.Parallel(n_jobs=int(n_jobs), return_as="generator")
    out = parallel(
        joblib.delayed(_run_one)(name, seed, session, rounds, keep_sessions) for name, seed, session in tasks
    )
    if progress:
        from tqdm.auto import tqdm

        out = tqdm(out, total=len(tasks), desc="runs", unit="run")
    rows, sessions = [], {}
    for name, seed, run_rows, session in out:
        rows.extend(run_rows)
        if session is not None:
            session.dataset = dataset  # one copy of the pool, not one per run sent back by a worker
            sessions[(name, seed)] = session
    columns = list(RESULT_COLUMNS) + (["label_accuracy"] if any("label_accuracy" in r for r in rows) else [])
    results = pd.DataFrame.from_records(rows, columns=columns)
    order = {name: i for i, name in enumerate(names)}
    results = (
        results.assign(_order=results["strategy"].map(order))
        .sort_values(["_order", "seed", "round"], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )
    sessions = {
        (name, seed): sessions[(name, seed)] for name in names for seed in seed_list if (name, seed) in sessions
    }
    return Experiment(results, sessions, names, seed_list, dataset)


class _ExperimentModule(types.ModuleType):
    """``alviz.experiment`` is this module, and calling it runs :func:`experiment` (one object, one name).

    So ``alviz.experiment(dataset, strategies, seeds=...)`` (the README's spelling) and
    ``from alviz.experiment import Experiment`` both hold, and no function shadows the module.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Experiment:
        return experiment(*args, **kwargs)


sys.modules[__name__].__class__ = _ExperimentModule
