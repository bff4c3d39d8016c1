"""MC-dropout samples of the task model as a context-level service (BALD, BatchBALD, MeanSTD, var_ratio).

One mechanism for every strategy that reads the task model's dropout posterior: the round's seed for the
masks is drawn once per context from the round's rng, and :meth:`alviz.models.TorchClassifier.mc_dropout_proba`
with ``consistent=True`` samples T networks (one mask per dropout layer and pass, shared by every input),
so the pool's samples, a chunk of them and a field on a grid all come from the same T networks. Strategy
modules ask here, never each other.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._validation import torch_seed
from .base import QueryContext

__all__ = ["CHUNK", "dropout_samples", "dropout_scores", "dropout_seed"]

#: pool rows per chunk when a score is reduced chunk by chunk (T x CHUNK x C probabilities at a time)
CHUNK = 8192


def dropout_seed(ctx: QueryContext, rng: np.random.Generator) -> int:
    """The seed of this round's T dropout networks: drawn once per context from ``rng`` (then reused).

    Parameters
    ----------
    ctx : QueryContext of the round; it must hold an alviz torch model (refused by name otherwise).
    rng : numpy Generator of the round, used only on the first call.

    Returns
    -------
    int
    """
    ctx.require_torch()
    return ctx.memoize(("mc_dropout_seed",), lambda: torch_seed(rng))


def dropout_samples(
    ctx: QueryContext,
    n_samples: int,
    rng: np.random.Generator,
    X: np.ndarray | None = None,
    rows: np.ndarray | slice | None = None,
) -> np.ndarray:
    """(T, m, C) probabilities of T consistent MC-dropout networks on ``X`` (default: the whole pool).

    Parameters
    ----------
    ctx : QueryContext of the round.
    n_samples : int, T.
    rng : numpy Generator (seeds the networks on first use; see :func:`dropout_seed`).
    X : (m, *input_shape) array or None for the pool.
    rows : pool indices or a slice, or None: ``X`` is ``ctx.X[rows]``, so the round's pool embedding
        (already computed with the probabilities) stands in for a forward pass where the model allows.

    Returns
    -------
    (T, m, C) float64
    """
    seed = dropout_seed(ctx, rng)
    model = ctx.require_torch()
    if X is None:
        X, rows = ctx.X, slice(None)
    h = None if rows is None else ctx.embedding[rows]
    return model.mc_dropout_proba(X, int(n_samples), seed, consistent=True, embedding=h)


def dropout_scores(
    ctx: QueryContext, n_samples: int, rng: np.random.Generator, fns: dict, X: np.ndarray | None = None
) -> dict:
    """Scores of the T dropout samples, reduced chunk by chunk so the (T, n, C) array never exists whole.

    Parameters
    ----------
    ctx : QueryContext of the round.
    n_samples : int, T.
    rng : numpy Generator.
    fns : dict name -> function (T, m, C) -> (m,) (e.g. ``alviz.scores.bald``).
    X : inputs, or None for the pool (then the result is memoized per context).

    Returns
    -------
    dict name -> (m,) float64
    """

    def compute(inputs, pool: bool) -> dict:
        out: dict = {k: [] for k in fns}
        for s in range(0, len(inputs), CHUNK):
            rows = slice(s, s + CHUNK) if pool else None
            P = dropout_samples(ctx, n_samples, rng, inputs[s : s + CHUNK], rows)
            for k, fn in fns.items():
                out[k].append(np.asarray(fn(P), dtype=np.float64))
        return {k: (np.concatenate(v) if v else np.zeros(0)) for k, v in out.items()}

    if X is not None:
        return compute(X, False)
    key = ("mc_dropout_scores", int(n_samples), tuple(sorted((k, _fn_name(f)) for k, f in fns.items())))
    return ctx.memoize(key, lambda: compute(ctx.X, True))


def _fn_name(fn: Callable) -> str:
    return f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', repr(fn))}"
