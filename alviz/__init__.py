"""alviz: see active learning.

Pick a pool, a task model and a query strategy, step through the rounds, and
see in representation space which samples the strategy picked and why.
"""

from __future__ import annotations

from ._version import __version__  # noqa: E402,F401

from . import datasets, models, oracles, scenarios, scores, selection, strategies  # noqa: E402
from .session import Round, Session  # noqa: E402
from .comparison import Comparison, compare  # noqa: E402
from . import experiment  # noqa: E402  (the module, callable: alviz.experiment(...) runs experiment.experiment)
from .experiment import Experiment  # noqa: E402

__all__ = [
    "datasets",
    "models",
    "oracles",
    "scenarios",
    "scores",
    "selection",
    "strategies",
    "Session",
    "Round",
    "compare",
    "Comparison",
    "experiment",
    "Experiment",
    "projection",
    "plot",
    "widgets",
    "report",
    "papers",
]


#: modules loaded on first use: the picture layers import plotly/umap/ipywidgets (and papers the experiment
#: tables); the others are there for ``alviz.<name>`` without an import (the strategies load what they need)
_LAZY = (
    "projection",
    "plot",
    "widgets",
    "report",
    "papers",
    "encoders",
    "vaal_networks",
    "contrastive_encoder",
    "metrics",
    "diagnostics",
    "perturbation",
    "fields",
)


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'alviz' has no attribute {name!r}")
