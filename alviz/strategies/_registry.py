"""The registry of strategies and their declared needs: register, get, available, tags, runs_with, strategies_for.

It knows strategies by their declared attributes (``name``, ``requires``, ``min_classes``,
``_param_names``, ``_validate_params``), so it sits below the Strategy base class and the context
(whose refusals list the strategies that would run) may use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional

from ..models import has_embedding, is_torch_model

__all__ = ["CAPABILITIES", "StrategyTags", "register", "available", "get", "tags", "runs_with", "strategies_for"]

#: What a strategy may need, declared per class in ``Strategy.requires``:
#: ``"model"`` a trained task model (so at least one labeled sample), ``"embedding"`` the task
#: model's penultimate features when there is a model (``embed(X)``), ``"gradients"`` a
#: differentiable alviz torch model, ``"labels"`` at least ``min_classes`` labeled classes.
CAPABILITIES = ("model", "embedding", "gradients", "labels")


@dataclass(frozen=True)
class StrategyTags:
    """A strategy's declared needs (scikit-learn's tags habit): what it requires and from how many classes."""

    requires: frozenset
    min_classes: int = 1


def _is_strategy_object(obj: Any) -> bool:
    """A configured strategy (an instance with ``query``), not a name or a class."""
    return not isinstance(obj, (str, type)) and callable(getattr(obj, "query", None)) and hasattr(obj, "_requires")


def tags(strategy) -> StrategyTags:
    """The declared needs of a strategy (a name, a Strategy class or object).

    A name or a class gives the needs with default parameters; a configured object gives its own
    (``Strategy._requires``): ``get("qbc_kl", committee="dropout")`` needs an alviz torch model,
    ``get("typiclust", embedding="model")`` the task model's embedding.
    """
    cls: Any = _lookup(strategy) if isinstance(strategy, str) else strategy
    if _is_strategy_object(cls):
        return StrategyTags(frozenset(cls._requires()), int(getattr(cls, "min_classes", 1)))
    if not isinstance(cls, type):
        cls = type(cls)
    return StrategyTags(frozenset(getattr(cls, "requires", ())), int(getattr(cls, "min_classes", 1)))


def runs_with(strategy, model, n_labeled: Optional[int] = None, n_label_classes: Optional[int] = None) -> bool:
    """Whether ``strategy``'s declared needs are met by a fitted ``model`` (None: nothing trained yet).

    ``strategy`` is a name (default parameters) or a configured Strategy (its own needs, see :func:`tags`).

    ``n_labeled`` / ``n_label_classes`` (when known) check the "labels" need; with ``model=None``
    and no count given, nothing is assumed labeled.
    """
    t = tags(strategy)
    if model is None and ("model" in t.requires or "gradients" in t.requires):
        return False
    if "gradients" in t.requires and not is_torch_model(model):
        return False
    if "embedding" in t.requires and model is not None and not has_embedding(model):
        return False
    if "labels" in t.requires:
        if n_labeled is None and model is None:
            n_labeled = 0
        if n_labeled is not None and n_labeled < 1:
            return False
        if n_label_classes is not None and n_label_classes < t.min_classes:
            return False
    if "model" in t.requires and n_label_classes is not None and n_label_classes < 2:
        return False  # a one-class model's predictions say nothing (Strategy._refuse_single_class)
    return True


def strategies_for(model, n_labeled: Optional[int] = None) -> list:
    """Names of the registered strategies whose declared needs ``model`` meets (see :func:`runs_with`)."""
    return [name for name in available() if runs_with(name, model, n_labeled=n_labeled)]


# ============================================================================ registry
_REGISTRY: Dict[str, Any] = {}


def register(cls: Any) -> Any:
    """Class decorator: add a Strategy subclass to the registry under ``cls.name``."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} needs a name to be registered")
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"a strategy named {cls.name!r} is already registered")
    unknown = sorted(set(getattr(cls, "requires", ())) - set(CAPABILITIES))
    if unknown:
        raise ValueError(f"{cls.__name__}.requires has unknown needs {unknown}; choose from {CAPABILITIES}")
    _REGISTRY[cls.name] = cls
    return cls


def unknown_strategy_message(name) -> str:
    """The words of an unknown strategy name: the nearest registered name ("did you mean"), then all of them."""
    from .._params import suggest

    hint = suggest(name, available()) if isinstance(name, str) else None
    return (
        f"unknown strategy {name!r}"
        + (f" (did you mean {hint!r}?)" if hint else "")
        + f"; available: {', '.join(available())}"
    )


def _lookup(name: str) -> Any:  # a Strategy subclass, known here by its declared attributes only
    """The registered class of ``name``; an unknown name raises ``ValueError`` with the nearest one."""
    cls = _REGISTRY.get(name)
    if cls is None:
        raise ValueError(unknown_strategy_message(name))
    return cls


def available() -> list:
    """Names of every registered strategy."""
    return list(_REGISTRY)


def get(name: Any, **params: Any) -> Any:
    """A configured strategy by name: ``get("vaal", latent_dim=32)``.

    Unknown names or parameters raise ``ValueError`` naming the options.
    """
    if _is_strategy_object(name):
        if params:
            raise ValueError("parameters go with a strategy name, not with a Strategy object")
        return name
    if not isinstance(name, str):
        from .._validation import InvalidParameterError

        raise InvalidParameterError(
            f"a strategy is a name (a str, one of {', '.join(available())}) or a "
            f"Strategy object, not a {type(name).__name__}"
        )
    cls = _lookup(name)
    allowed = cls._param_names()
    bad = sorted(set(params) - set(allowed))
    if bad:
        raise ValueError(
            f"strategy {name!r} has no parameter {', '.join(map(repr, bad))}; "
            f"its parameters are: {', '.join(allowed) or '(none)'}"
        )
    strategy = cls(**params)
    strategy._validate_params()  # a wrong value fails here, at construction, not at the first step()
    return strategy
