"""Clustering-based diversity: TypiClust, prototypes (k-means centroids) and ProbCover.

Each rule is a public pure function on a feature matrix in :mod:`alviz.selection` (``typicality``,
``typiclust_select``, ``prototype_select``, ``purity_radius``, ``max_coverage``; re-exported here); the
strategies only choose the space (``embedding``:
the dataset's own features when it has them, else the contrastive embedding, by default;
the task model's, or the raw input) and
package the diagnostics.
"""

from __future__ import annotations

import numpy as np

from .._params import Integral, Interval, Options, Real
from .._validation import check_features
from ..selection import (
    MINIBATCH_ABOVE,
    PrototypeSelection,
    TypiclustSelection,
    ball_graph,  # noqa: F401
    distance_to_centers,
    kmeans,
    max_coverage,
    prototype_select,
    purity_radius,
    reduce_sq_distances,
    typicality,
    typicality_against,
    typiclust_select,
)
from ..selection._clustering import _as_matrix, _n_distinct
from .base import NoPointwiseScore, QueryResult, Strategy, candidate_scores, check_embedding_name, register
from ._representations import CONTRASTIVE_NAME, ENCODER_PARAMS, contrastive_transform, pool_contrastive_embedding

__all__ = [
    "typicality",
    "typicality_against",
    "kmeans",
    "typiclust_select",
    "TypiclustSelection",
    "prototype_select",
    "PrototypeSelection",
    "purity_radius",
    "ball_graph",
    "max_coverage",
    "TypiClust",
    "Prototype",
    "ProbCover",
]


# ============================================================================ strategies
#: "auto": the dataset's own features when it has them (``from_arrays(..., features=F)``), else "contrastive"
_EMBEDDINGS = ("auto", "contrastive", "model", "input", "features")


class _EmbeddingStrategy(Strategy):
    """Shared parameters and the choice of space for the clustering strategies."""

    _parameter_constraints = {
        "embedding": [Options(_EMBEDDINGS)],
        "encoder_seed": [Interval(Integral, 0, None, hint="the encoder is cached by it")],
        "encoder_params": [None, ENCODER_PARAMS],
        "progress": ["boolean"],
        "device": ["device"],
    }

    def __init__(
        self,
        embedding: str = "auto",
        encoder_seed: int = 0,
        encoder_params=None,
        progress: bool = True,
        device: str = "cpu",
    ):
        self.device = device
        self.embedding = embedding
        self.encoder_seed = encoder_seed
        self.encoder_params = encoder_params
        self.progress = progress

    def _requires(self) -> frozenset:
        # the task model's space needs a model with embed(X); the contrastive and input spaces need nothing
        return super()._requires() | (
            {"embedding"} if isinstance(self.embedding, str) and self.embedding == "model" else set()
        )

    def _space(self, ctx) -> str:
        """The space this round: "auto" resolved to "features" (the dataset has its own) or "contrastive"."""
        if self.embedding == "auto":
            return "features" if ctx.features is not None else "contrastive"
        return self.embedding

    def _validate_params(self):
        check_embedding_name(self, _EMBEDDINGS)  # an array of features gets the recipe, before the declared checks
        super()._validate_params()

    def _features(self, ctx):
        """(features (n_pool, d), representation_name)."""
        space = self._space(ctx)
        if space == "features":
            return ctx.own_features(self.name), "your features"
        if space == "contrastive":
            return (
                pool_contrastive_embedding(ctx, self.encoder_seed, self.encoder_params, self.progress, self.device),
                CONTRASTIVE_NAME,
            )
        if space == "model":
            src = ctx.embedding_source
            return ctx.embedding, ("task model embedding" if src == "model" else "input (no model yet)")
        return check_features(ctx.flat_X(), "X").astype(np.float32, copy=False), "input"

    def _features_of(self, ctx, X) -> np.ndarray:
        """Arbitrary inputs ``X`` mapped into the space :meth:`_features` uses for the pool."""
        space = self._space(ctx)
        if space == "features":
            raise NoPointwiseScore(f"{self.name} runs in the dataset's own features, which exist for the pool only")
        if space == "contrastive":
            return contrastive_transform(ctx, X, self.encoder_seed, self.encoder_params, device=self.device)
        if space == "model":
            return ctx.embed_points(X)
        return check_features(X, "X").reshape(len(X), -1).astype(np.float32, copy=False)

    @staticmethod
    def _representation(F, name) -> dict:
        return {"representation": np.asarray(F, dtype=np.float32), "representation_name": name}


@register
class TypiClust(_EmbeddingStrategy):
    """TypiClust: the most typical sample of each of the least-covered clusters (low-budget regime).

    K = min(|L| + k, 500) k-means clusters on the whole pool (MiniBatchKMeans
    past 50), clusters of ≤ 5 points dropped, clusters visited by (fewest
    labeled, then largest), and each visit picks the cluster's unlabeled
    sample of highest typicality = 1 / (mean distance to its k = min(20,
    size // 2) nearest neighbours in the cluster + 1e-5). See
    :func:`typiclust_select`. The score is the typicality.

    Parameters
    ----------
    embedding : "auto" (default) | "contrastive" (as in the paper) | "model" | "input" | "features"
        "features" is the dataset's own (``from_arrays(..., features=F)``); "auto" uses them when the
        dataset has them, else the contrastive embedding.
    max_clusters : int, the cap on K (500 in the paper).
    min_cluster_size : int, clusters of at most this many points are dropped (5).
    encoder_seed, encoder_params, progress, device : the contrastive encoder (see ``contrastive_coreset``).

    References
    ----------
    Hacohen, G., Dekel, A. & Weinshall, D. (2022). Active learning on a budget:
    opposite strategies suit high and low budgets. ICML.
    """

    name = "typiclust"
    field_name = "typicality: kNN density among the pool"

    _parameter_constraints = {
        "max_clusters": [Interval(Integral, 1, None)],
        "min_cluster_size": [Interval(Integral, 0, None)],
    }

    def __init__(
        self,
        embedding: str = "auto",
        max_clusters: int = 500,
        min_cluster_size: int = 5,
        encoder_seed: int = 0,
        encoder_params=None,
        progress: bool = True,
        device: str = "cpu",
    ):
        super().__init__(embedding, encoder_seed, encoder_params, progress, device)
        self.max_clusters = max_clusters
        self.min_cluster_size = min_cluster_size

    def _score_points(self, ctx, X, rng):
        """Typicality of each point among the whole pool in the strategy's space, k = min(20, n // 2).

        The pool's scores are typicality within each point's k-means cluster;
        the field reads the same density against the whole pool (a grid point
        belongs to no cluster), so the two agree where clusters are large.
        """
        F, _ = self._features(ctx)
        return typicality_against(self._features_of(ctx, X), F)

    def _query(self, ctx, budget, rng):
        F, rep_name = self._features(ctx)
        sel = typiclust_select(F, ctx.labeled_mask, budget, rng, int(self.max_clusters), int(self.min_cluster_size))
        extras = {
            "cluster": sel.cluster,
            "typicality": sel.typicality,
            "n_clusters": sel.n_clusters,
            **self._representation(F, rep_name),
        }
        return QueryResult(sel.indices, candidate_scores(ctx, sel.scores), extras)


@register
class Prototype(_EmbeddingStrategy):
    """Prototypes: k-means with k = budget on the unlabeled embedding; pick the sample nearest each centroid.

    The score is minus the distance to the sample's own centroid (the most
    prototypical samples score highest). See :func:`prototype_select`.

    Parameters
    ----------
    embedding : "auto" (default) | "contrastive" | "model" | "input" | "features" (as in typiclust)
    encoder_seed, encoder_params, progress, device : the contrastive encoder (see ``contrastive_coreset``).

    References
    ----------
    Hacohen, G., Dekel, A. & Weinshall, D. (2022). Active learning on a budget:
    opposite strategies suit high and low budgets. ICML (k-means centroids as a
    low-budget baseline).
    Zhdanov, F. (2019). Diverse mini-batch active learning. arXiv:1901.05954.
    """

    name = "prototype"
    field_name = "prototype: −distance to the nearest centroid"

    def _score_points(self, ctx, X, rng):
        return -distance_to_centers(self._features_of(ctx, X), self._state(ctx, "centroids"))

    def _query(self, ctx, budget, rng):
        F, rep_name = self._features(ctx)
        sel = prototype_select(F, ctx.labeled_mask, budget, rng)
        self._keep_state(ctx, "centroids", sel.centroids)
        extras = {
            "cluster": sel.cluster,
            "centroids": sel.centroids,
            "distance_to_centroid": sel.distance_to_centroid,
            **self._representation(F, rep_name),
        }
        return QueryResult(sel.indices, candidate_scores(ctx, -sel.distance_to_centroid), extras)


@register
class ProbCover(_EmbeddingStrategy):
    """ProbCover: greedy max coverage with balls of a purity-chosen radius δ.

    δ is the largest radius whose balls are ≥ ``purity`` (95%) pure under a
    k-means with C clusters (C = the number of classes) as pseudo-labels (see
    :func:`purity_radius`); then :func:`max_coverage` picks, one at a time,
    the sample whose ball covers the most points not yet within δ of a
    labeled or picked sample. The score is that coverage gain before the
    first pick. The δ-ball graph is sparse and built in bounded row blocks:
    memory is 5 bytes per pair closer than δ (a 30 000-point pool fits well
    under 1.5 GB). On large pools δ and the graph come from k-d tree bounds in
    a few principal directions (:func:`purity_radius`, :func:`ball_graph`):
    still exact, without the n² distances where the data allow it.

    References
    ----------
    Yehuda, O., Dekel, A., Hacohen, G. & Weinshall, D. (2022). Active learning
    through a covering lens. NeurIPS.
    """

    name = "probcover"
    field_name = "coverage: uncovered pool points within δ"

    _parameter_constraints = {
        "purity": [Interval(Real, 0, 1, closed="right", hint="the paper uses 0.95")],
    }

    def __init__(
        self,
        embedding: str = "auto",
        purity: float = 0.95,
        encoder_seed: int = 0,
        encoder_params=None,
        progress: bool = True,
        device: str = "cpu",
    ):
        super().__init__(embedding, encoder_seed, encoder_params, progress, device)
        self.purity = purity

    def _score_points(self, ctx, X, rng):
        """Coverage gain of a ball of radius δ at each point: the uncovered pool points (not within δ of a
        labeled sample) closer than δ, the count the first greedy pick maximises."""
        delta = self._state(ctx, "radius δ")
        F, _ = self._features(ctx)
        F = _as_matrix(F)
        lab = np.flatnonzero(ctx.labeled_mask)
        covered = (distance_to_centers(F, F[lab]) < delta) if lab.size else np.zeros(len(F), dtype=bool)
        U = F[~covered]
        P = _as_matrix(self._features_of(ctx, X), "X")
        if len(U) == 0:
            return np.zeros(len(P))
        return reduce_sq_distances(P, U, lambda d2: (d2 < delta * delta).sum(axis=1))

    def _query(self, ctx, budget, rng):
        F, rep_name = self._features(ctx)
        n_pseudo = min(ctx.n_classes, _n_distinct(_as_matrix(F)))
        if n_pseudo < 2:
            raise ValueError("probcover needs at least 2 distinct samples in the pool to choose its radius δ")
        pseudo, _ = kmeans(F, n_pseudo, rng)
        delta = purity_radius(F, pseudo, float(self.purity))
        self._keep_state(ctx, "radius δ", delta)
        picks, covered, gain = max_coverage(F, ctx.labeled_mask, delta, budget, rng)
        extras = {"delta": delta, "covered": covered, "pseudo_label": pseudo, **self._representation(F, rep_name)}
        return QueryResult(picks, candidate_scores(ctx, gain), extras)
