"""Query strategies: a registry of named, configured objects.

>>> import alviz
>>> alviz.strategies.available()          # doctest: +SKIP
>>> s = alviz.strategies.get("margin")

Every module in this package that defines strategies registers them with
``@register``; importing the package imports them all.
"""
from __future__ import annotations

import importlib
import pkgutil

from .base import (DIAGNOSTICS, QueryContext, QueryResult, Strategy, available, check_diagnostics,
                   declare_diagnostic, diagnostic_kind, get, register)

__all__ = ["QueryContext", "QueryResult", "Strategy", "available", "get", "register", "DIAGNOSTICS",
           "declare_diagnostic", "diagnostic_kind", "check_diagnostics"]

# The classic family first, so available() lists lesson one first; then every other module.
_FIRST = ("uncertainty", "committee", "model_change", "error_reduction", "coreset")
for _name in _FIRST + tuple(sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name not in _FIRST)):
    if not _name.startswith("_") and _name != "base":
        importlib.import_module(f"{__name__}.{_name}")
