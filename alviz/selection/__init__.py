"""Pure selectors: given scores or features, which samples to take, in pick order.

The one home of alviz's selection rules, each a pure function on arrays (no model, no strategy):

- :mod:`._core`: ``top_k``, the blocked squared distances, k-center greedy (core-set), k-means++
  seeding of the gradient embedding (BADGE) and orthogonal greedy;
- :mod:`._clustering`: typicality, k-means, TypiClust's and the prototypes' selections;
- :mod:`._coverage`: ProbCover's purity radius, the δ-ball graph and greedy max coverage;
- :mod:`._representation`: k-means nearest-to-centre, k-center greedy under any distance and the
  round-robin over clusters (kmeans, alfa_mix, cdal, cluster_margin).

Every name is importable from ``alviz.selection`` itself.
"""

from __future__ import annotations

from ._clustering import (
    MINIBATCH_ABOVE,
    PrototypeSelection,
    TypiclustSelection,
    kmeans,
    prototype_select,
    typicality,
    typicality_against,
    typiclust_select,
)
from ._core import (
    KCenterTrace,
    covering_radius,
    KMeansPPTrace,
    OrthogonalTrace,
    distance_to_centers,
    k_center_greedy,
    k_center_greedy_trace,
    kmeans_pp,
    kmeans_pp_trace,
    orthogonal_greedy,
    orthogonal_greedy_trace,
    reduce_sq_distances,
    sq_distance_blocks,
    sq_distances_to,
    top_k,
)
from ._coverage import ball_graph, max_coverage, purity_radius
from ._representation import KMeansNearest, k_center_greedy_by, kmeans_nearest, round_robin_clusters

__all__ = [
    "top_k",
    "k_center_greedy",
    "k_center_greedy_trace",
    "KCenterTrace",
    "sq_distances_to",
    "sq_distance_blocks",
    "reduce_sq_distances",
    "distance_to_centers",
    "kmeans_pp",
    "kmeans_pp_trace",
    "KMeansPPTrace",
    "orthogonal_greedy",
    "orthogonal_greedy_trace",
    "OrthogonalTrace",
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
    "MINIBATCH_ABOVE",
    "covering_radius",
    "kmeans_nearest",
    "KMeansNearest",
    "k_center_greedy_by",
    "round_robin_clusters",
]
