"""alviz: see active learning.

Pick a pool, a task model and a query strategy, step through the rounds, and
see in representation space which samples the strategy picked and why.
"""
from __future__ import annotations

from ._version import __version__  # noqa: E402,F401

from . import datasets, models, oracles, scenarios, scores, selection, strategies  # noqa: E402
from .session import Round, Session  # noqa: E402
from .comparison import Comparison, compare  # noqa: E402
from .experiment import Experiment, experiment  # noqa: E402  (the function; the module is alviz.experiment too)

__all__ = ["datasets", "models", "oracles", "scenarios", "scores", "selection", "strategies", "Session", "Round",
           "compare", "Comparison", "experiment", "Experiment",
           "projection", "plot", "widgets", "report", "papers"]


def __getattr__(name):
    # the picture layers import plotly/umap/ipywidgets (and papers the experiment tables): load them on first use
    if name in ("projection", "plot", "widgets", "report", "papers"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'alviz' has no attribute {name!r}")
