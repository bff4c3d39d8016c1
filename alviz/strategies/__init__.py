"""Query strategies: a registry of named, configured objects.

>>> import alviz
>>> alviz.strategies.available()          # doctest: +SKIP
>>> s = alviz.strategies.get("margin")

Every strategy module registers its strategies with ``@register``; importing the package imports
the modules of :data:`STRATEGY_MODULES`, in that order (the order of ``available()``).
"""

from __future__ import annotations

import importlib

from .base import (
    DIAGNOSTICS,
    QueryContext,
    QueryResult,
    Strategy,
    available,
    check_diagnostics,
    declare_diagnostic,
    diagnostic_kind,
    get,
    register,
)

__all__ = [
    "QueryContext",
    "QueryResult",
    "Strategy",
    "available",
    "get",
    "register",
    "DIAGNOSTICS",
    "declare_diagnostic",
    "diagnostic_kind",
    "check_diagnostics",
    "STRATEGY_MODULES",
]

#: Every module of this package that defines strategies, in the order ``available()`` lists them:
#: the classic family first (lesson one), then the others. A new strategy module goes here (one line);
#: tests/test_imports.py fails when a module that registers a strategy is missing from this list.
STRATEGY_MODULES = (
    "uncertainty",
    "committee",
    "model_change",
    "error_reduction",
    "coreset",
    "adversarial",
    "clustering",
    "contrastive",
    "gradient_embedding",
    "vaal",
    "bayesian",
    "batchbald",
    "bait",
    "herding",
    "loss_prediction",
    "waal",
    "ta_vaal",
    "sraal",
    "alfa_mix",
    "cdal",
    "noise_stability",
    "gcn",
    "kmeans",
    "cluster_margin",
)

for _name in STRATEGY_MODULES:
    importlib.import_module(f"{__name__}.{_name}")
