"""The strategy contract in one import (a thin re-export of its homes).

A strategy is a small configured object: ``__init__`` only stores parameters
(scikit-learn manners), ``query(ctx, budget, rng)`` validates them, does the
work and returns a :class:`QueryResult`. It never trains the task model; the
Session does that and hands over a :class:`QueryContext`. A strategy module writes::

    from .base import QueryResult, Strategy, candidate_scores, register

The homes: :mod:`alviz.diagnostics` (the diagnostics vocabulary), :mod:`._context` (QueryContext),
:mod:`._result` (QueryResult, candidate_scores), :mod:`._base` (Strategy) and :mod:`._registry`
(register, get, available, tags, runs_with, strategies_for).
"""

from __future__ import annotations

from ..diagnostics import (
    ARRAY,
    DIAGNOSTIC_KINDS,
    DIAGNOSTICS,
    INDEX_SET,
    LABEL,
    PER_PICK,
    PER_POOL,
    POOL_MATRIX,
    SCALAR,
    DiagnosticError,
    check_diagnostics,
    declare_diagnostic,
    diagnostic_kind,
)
from ._base import NoPointwiseScore, SingleClassError, Strategy, check_embedding_name
from ._context import QueryContext, gradient_factors_from
from ._registry import (
    CAPABILITIES,
    StrategyTags,
    available,
    get,
    register,
    runs_with,
    strategies_for,
    tags,
    unknown_strategy_message,
)
from ._registry import _REGISTRY  # noqa: F401  (the registry itself, for tests and tools)
from ._result import QueryResult, candidate_scores

__all__ = [
    "QueryContext",
    "QueryResult",
    "Strategy",
    "StrategyTags",
    "CAPABILITIES",
    "register",
    "available",
    "get",
    "tags",
    "NoPointwiseScore",
    "SingleClassError",
    "check_embedding_name",
    "unknown_strategy_message",
    "runs_with",
    "strategies_for",
    "gradient_factors_from",
    "candidate_scores",
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
