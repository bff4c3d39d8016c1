"""The diagnostics vocabulary: every diagnostic's name and kind, and the check of a strategy's extras.

A ground-floor module (numpy only, no torch): strategies declare and check their diagnostics with it,
and the pictures (``alviz.plot``), the session file and the widgets read the kinds from it without
importing the strategy machinery.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

__all__ = [
    "DIAGNOSTIC_KINDS",
    "DIAGNOSTICS",
    "PER_POOL",
    "POOL_MATRIX",
    "PER_PICK",
    "INDEX_SET",
    "SCALAR",
    "LABEL",
    "ARRAY",
    "DiagnosticError",
    "diagnostic_kind",
    "declare_diagnostic",
    "check_diagnostics",
]

#: the kinds of diagnostic a strategy may put in ``QueryResult.extras``
PER_POOL = "per_pool"  #: (n_pool,) numbers or bools: one value per pool sample (a colour, a ring size)
POOL_MATRIX = "pool_matrix"  #: (n_pool, ...) with 2 or more dims: one row per pool sample (a vector, an input)
PER_PICK = "per_pick"  #: (k,) numbers or bools: one value per pick, in pick order
INDEX_SET = "index_set"  #: 1-D distinct integer indices into the pool (e.g. the scored candidates)
SCALAR = "scalar"  #: one int, float or bool for the whole round
LABEL = "label"  #: one str for the whole round (a name, a setting)
ARRAY = "array"  #: numbers of their own shape, tied neither to the pool nor to the picks (loss curves, centroids)

#: every kind, with what it holds (the words of :class:`DiagnosticError`)
DIAGNOSTIC_KINDS = {
    PER_POOL: "an (n_pool,) array of numbers or bools",
    POOL_MATRIX: "an (n_pool, ...) array of numbers with at least 2 dimensions",
    PER_PICK: "a (k,) array of numbers or bools, one per pick",
    INDEX_SET: "a 1-D array of distinct integer pool indices",
    SCALAR: "one int, float or bool",
    LABEL: "one str",
    ARRAY: "an array of numbers",
}

#: The one declaration of every diagnostic name and its kind. A name means the same thing whichever
#: strategy returns it (``cluster`` from typiclust and from prototype), and plots, overlays, the session
#: file and :func:`check_diagnostics` know a diagnostic by its name alone (a Round only carries the
#: strategy's name, and a loaded one may come from a strategy this alviz no longer has), so the kinds
#: live in one table keyed by name rather than on each strategy class. A strategy of one's own adds
#: its names with :func:`declare_diagnostic`.
DIAGNOSTICS: Dict[str, str] = {
    # uncertainty
    "predicted": PER_POOL,
    # committees
    "member_votes": POOL_MATRIX,
    "vote_agreement": PER_POOL,
    "disagreement": PER_POOL,
    # expected model change / error reduction
    "expected_gradient_length": PER_POOL,
    "expected_loss": PER_POOL,
    # core-set (and contrastive core-set)
    "covering_radius": PER_PICK,
    "pick_nearest_center": PER_PICK,
    "pick_distance": PER_PICK,
    "nearest_center": PER_POOL,
    "distance_to_labeled": PER_POOL,
    "embedding_source": LABEL,
    "input_covering_radius": SCALAR,  # on 2-D data: the cover by the labeled set and the picks, in input units
    # VAAL
    "discriminator_p_labeled": PER_POOL,
    "vae_loss": ARRAY,
    "discriminator_loss": ARRAY,
    "criterion": LABEL,
    # the adversarial line after VAAL: Learning Loss, WAAL, TA-VAAL, SRAAL
    "predicted_loss": PER_POOL,
    "true_loss": PER_POOL,
    "loss_prediction_loss": ARRAY,
    "critic_score": PER_POOL,
    "uncertainty_bound": PER_POOL,
    "critic_loss": ARRAY,
    "relabeled_state": PER_POOL,
    # adversarial
    "perturbation": POOL_MATRIX,
    "adversarial_class": PER_POOL,
    "iterations": PER_POOL,
    "flipped": PER_POOL,
    "perturbation_norm": PER_POOL,
    "stuck": PER_POOL,
    "gradient_norm": PER_POOL,
    # gradient embeddings
    "seed_distance": PER_PICK,
    "residual_norm": PER_PICK,
    "span_rank": SCALAR,
    # clustering and coverage
    "cluster": PER_POOL,
    "typicality": PER_POOL,
    "n_clusters": SCALAR,
    "centroids": ARRAY,
    "distance_to_centroid": PER_POOL,
    "delta": SCALAR,
    "covered": PER_POOL,
    "pseudo_label": PER_POOL,
    # Bayesian (MC dropout), BatchBALD, BAIT
    "predictive_entropy": PER_POOL,
    "expected_entropy": PER_POOL,
    "joint_mutual_information": PER_PICK,
    "oversampled": INDEX_SET,
    "bait_objective": ARRAY,
    # herding (kernel coverage)
    "coverage_gain": PER_PICK,
    "uncertainty": PER_POOL,
    "bandwidth": SCALAR,
    "temperature": SCALAR,
    # the representation-aware line after BADGE (alfa_mix, cdal, noise_stability, coregcn, uncertaingcn,
    # kmeans, cluster_margin)
    "alfa_anchor": PER_POOL,
    "alpha_norm": PER_POOL,
    "alfa_target": ARRAY,
    "alfa_anchor_inputs": ARRAY,
    "alpha_cap": SCALAR,
    "output_change": PER_POOL,
    "gcn_p_labeled": PER_POOL,
    "gcn_loss": ARRAY,
    "graph_edges": ARRAY,
    "graph_edge_weight": ARRAY,
    "round_robin_pass": PER_PICK,
    # any strategy
    "candidates": INDEX_SET,
    "representation": POOL_MATRIX,
    "representation_name": LABEL,
}

#: names that are not diagnostics, with what to do instead
_NOT_DIAGNOSTICS = {
    "augment_inputs": "it is an instruction to the Session, not a diagnostic: return "
    "QueryResult(indices, scores, extras, augment_inputs=...)",
}


class DiagnosticError(ValueError):
    """A diagnostic in ``extras`` that is not declared, or not of its declared kind.

    Attributes: ``key`` the diagnostic's name, ``kind`` its declared kind (None when undeclared),
    ``found`` a few words on what it holds.
    """

    def __init__(self, message: str, key: str, kind: Optional[str], found: str):
        super().__init__(message)
        self.key, self.kind, self.found = key, kind, found


def diagnostic_kind(name: str) -> Optional[str]:
    """The declared kind of the diagnostic ``name`` (one of :data:`DIAGNOSTIC_KINDS`), None if undeclared."""
    return DIAGNOSTICS.get(name)


def declare_diagnostic(name: str, kind: str) -> None:
    """Declare a diagnostic of a strategy of one's own: ``declare_diagnostic("my_score", PER_POOL)``.

    A declared name keeps its kind: declaring it again with another kind raises ``ValueError``.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"a diagnostic's name must be a non-empty str, got {name!r}")
    if kind not in DIAGNOSTIC_KINDS:
        raise ValueError(f"kind={kind!r} is not a diagnostic kind; choose one of {list(DIAGNOSTIC_KINDS)}")
    if name in _NOT_DIAGNOSTICS:
        raise ValueError(f"{name!r} cannot be a diagnostic: {_NOT_DIAGNOSTICS[name]}")
    if DIAGNOSTICS.get(name, kind) != kind:
        raise ValueError(
            f"the diagnostic {name!r} is already declared as {DIAGNOSTICS[name]!r}; "
            "choose another name for a different kind"
        )
    DIAGNOSTICS[name] = kind


def _is_numeric(a: np.ndarray) -> bool:
    return np.issubdtype(a.dtype, np.number) or a.dtype == bool


def _found(v) -> str:
    if isinstance(v, np.ndarray):
        return f"an array of shape {v.shape} and dtype {v.dtype}"
    return f"a {type(v).__name__}"


def _diagnostic_problem(kind: str, v, n_pool: int, k: int) -> bool:
    """True when ``v`` is not a ``kind`` for a pool of ``n_pool`` and ``k`` picks."""
    if kind == LABEL:
        return not isinstance(v, str)
    if kind == SCALAR:
        return isinstance(v, (str, bytes)) or not (
            isinstance(v, (int, float, bool, np.number, np.bool_))
            or (isinstance(v, np.ndarray) and v.ndim == 0 and _is_numeric(v))
        )
    if not isinstance(v, np.ndarray) or not _is_numeric(v):
        return True
    if kind == PER_POOL:
        return v.shape != (n_pool,)
    if kind == POOL_MATRIX:
        return v.ndim < 2 or v.shape[0] != n_pool
    if kind == PER_PICK:
        return v.shape != (k,)
    if kind == INDEX_SET:
        return (
            v.ndim != 1
            or not np.issubdtype(v.dtype, np.integer)
            or (v.size > 0 and (v.min() < 0 or v.max() >= n_pool))
            or np.unique(v).size != v.size
        )
    return False  # ARRAY: any numeric array


def check_diagnostics(result: Any, n_pool: int) -> None:
    """Check that every diagnostic in ``result.extras`` is declared and of its declared kind.

    Parameters
    ----------
    result : QueryResult, its ``indices`` give k, the number of picks.
    n_pool : int, the size of the pool it was queried on.

    Raises
    ------
    DiagnosticError
        (a ``ValueError``) naming the key, its expected kind and what it holds.
    """
    k = len(result.indices)
    for key, v in result.extras.items():
        if key in _NOT_DIAGNOSTICS:
            raise DiagnosticError(f"extras[{key!r}]: {_NOT_DIAGNOSTICS[key]}", key, None, _found(v))
        kind = DIAGNOSTICS.get(key)
        if kind is None:
            raise DiagnosticError(
                f"extras[{key!r}] is not a declared diagnostic (it is {_found(v)}); declare its kind first, e.g. "
                f"alviz.strategies.declare_diagnostic({key!r}, {PER_POOL!r}), with a kind among "
                f"{list(DIAGNOSTIC_KINDS)}",
                key,
                None,
                _found(v),
            )
        if _diagnostic_problem(kind, v, n_pool, k):
            want = DIAGNOSTIC_KINDS[kind].replace("n_pool", str(n_pool)).replace("(k,)", f"({k},)")
            raise DiagnosticError(
                f"extras[{key!r}] is declared {kind} ({want}), but it is {_found(v)}", key, kind, _found(v)
            )
