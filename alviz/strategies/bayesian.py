"""The Bayesian baselines over MC dropout: BALD, MeanSTD and Freeman's variation ratio.

Each reads T passes of the round's own task model with its dropout layers sampling (consistent MC
dropout: pass t is one network for every input, see :mod:`alviz.strategies._mc_dropout`) and ranks the
unlabeled pool by a pure score of those samples (:func:`alviz.scores.bald`, :func:`alviz.scores.mean_std`,
:func:`alviz.scores.variation_ratio`). They need an alviz torch model with dropout > 0 (the default MLP
and CNN have 0.1).
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

from .. import scores
from .._params import Interval
from ..selection import top_k
from ._mc_dropout import dropout_scores
from .base import QueryContext, QueryResult, Strategy, candidate_scores, register

__all__ = ["BALD", "MeanSTD", "VarRatio"]


def _mean_entropy(P: np.ndarray) -> np.ndarray:
    """H[E_t p_t] of T samples (T, m, C) -> (m,)."""
    return scores.entropy(P.mean(axis=0))


class _DropoutStrategy(Strategy):
    """Top-k of a pure score of T consistent MC-dropout samples of the task model."""

    requires = frozenset({"model", "gradients"})
    score_fn = staticmethod(scores.bald)
    _parameter_constraints = {
        "n_samples": [Interval(Integral, 2, None, hint="MC-dropout passes; Gal et al. (2017) use 20")],
    }

    def __init__(self, n_samples: int = 20):
        self.n_samples = n_samples

    def _extra_fns(self) -> dict:
        return {"predictive_entropy": _mean_entropy}

    def _score_points(self, ctx: QueryContext, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return dropout_scores(ctx, int(self.n_samples), rng, {"score": self.score_fn}, X)["score"]

    def _query(self, ctx: QueryContext, budget: int, rng: np.random.Generator) -> QueryResult:
        ctx.require_model()
        fns = {"score": self.score_fn, **self._extra_fns()}
        got = dropout_scores(ctx, int(self.n_samples), rng, fns)
        s = candidate_scores(ctx, got["score"])
        extras = {"predicted": ctx.proba.argmax(axis=1), **{k: got[k] for k in self._extra_fns()}}
        return QueryResult(top_k(s, budget, ctx.candidates, tiebreak=self._tiebreak(got)), s, extras)

    def _tiebreak(self, got: dict):
        return None


@register
class BALD(_DropoutStrategy):
    """BALD: the mutual information between a sample's label and the model's parameters.

    score(x) = H[(1/T) Σ_t p_t(x)] − (1/T) Σ_t H[p_t(x)], over T = ``n_samples`` consistent MC-dropout
    passes of the round's task model (pass t is one network ω_t for every input), top-k of it
    (ties: lowest index). High where the sampled networks disagree, not where each is merely unsure:
    the second term (the expected entropy, the aleatoric part) is subtracted from the predictive entropy.

    Parameters
    ----------
    n_samples : int, default 20
        T, the MC-dropout passes (Gal et al. 2017 use 20 for MNIST).

    Extras: ``predictive_entropy`` H[E p], ``expected_entropy`` E H[p] (the score is their difference),
    ``predicted``. Field: the same mutual information at each grid point, from the same T networks.

    References
    ----------
    Houlsby, N., Huszár, F., Ghahramani, Z. & Lengyel, M. (2011). Bayesian active learning for
    classification and preference learning. arXiv:1112.5745.
    Gal, Y., Islam, R. & Ghahramani, Z. (2017). Deep Bayesian active learning with image data. ICML.
    """

    name = "bald"
    field_name = "BALD: mutual information"
    score_fn = staticmethod(scores.bald)

    def _extra_fns(self) -> dict:
        return {"predictive_entropy": _mean_entropy, "expected_entropy": scores.expected_entropy}


@register
class MeanSTD(_DropoutStrategy):
    """MeanSTD: the mean over classes of the standard deviation of p_c over MC-dropout passes.

    score(x) = (1/C) Σ_c sqrt(E_t[p_tc(x)²] − E_t[p_tc(x)]²) over T = ``n_samples`` consistent passes
    (the population standard deviation), top-k (ties: lowest index).

    Parameters
    ----------
    n_samples : int, default 20
        T, the MC-dropout passes.

    Extras: ``predicted``, ``predictive_entropy``. Field: the same score at each grid point.

    References
    ----------
    Kampffmeyer, M., Salberg, A.-B. & Jenssen, R. (2016). Semantic segmentation of small objects and
    modeling of uncertainty in urban remote sensing images using deep convolutional neural networks.
    CVPR workshops.
    Kendall, A., Badrinarayanan, V. & Cipolla, R. (2017). Bayesian SegNet. BMVC.
    """

    name = "mean_std"
    field_name = "MeanSTD: mean std of p over dropout"
    score_fn = staticmethod(scores.mean_std)


@register
class VarRatio(_DropoutStrategy):
    """Freeman's variation ratio over MC-dropout passes: 1 − f_m / T.

    Each of T = ``n_samples`` consistent passes votes its argmax class; f_m is the number of votes of the
    modal class. Not least confidence (1 − max p, which a popular port ships under this name): a sample
    all T passes predict alike scores 0 however flat each pass is. The ratio takes few values (T + 1 at
    most), so ties are broken by the predictive entropy H[E p] (then the lowest index).

    Parameters
    ----------
    n_samples : int, default 20
        T, the MC-dropout passes.

    Extras: ``predicted``, ``predictive_entropy`` (the tie-break). Field: the ratio at each grid point.

    References
    ----------
    Freeman, L. C. (1965). Elementary applied statistics. Wiley.
    Gal, Y., Islam, R. & Ghahramani, Z. (2017). Deep Bayesian active learning with image data. ICML.
    """

    name = "var_ratio"
    field_name = "variation ratio 1 − f_modal / T"
    score_fn = staticmethod(scores.variation_ratio)

    def _tiebreak(self, got: dict):
        return got["predictive_entropy"]
