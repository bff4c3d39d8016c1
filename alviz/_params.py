"""Declared parameter constraints and the one validator that checks them (scikit-learn's habit).

Every configurable class (strategies, models, oracles) declares its parameters once::

    class VAAL(Strategy):
        _parameter_constraints = {
            "latent_dim": [Interval(Integral, 1, None, hint="the paper uses 32")],
            "criterion": [Options({"lowest", "confusion"})],
            "steps": [Interval(Integral, 1, None), None],      # None is allowed too
            "lr": [Interval(Real, 0, None, closed="neither")],
            "progress": ["boolean"],
            "device": ["device"],
        }

and :func:`validate_params` checks the instance's current values against them, raising
:class:`alviz._validation.InvalidParameterError` that names the owner, the parameter, the value,
what is allowed and, for a mistyped option, the nearest one ("did you mean ...?").

A constraint is one of:

- ``None``: the value None;
- ``"boolean"``: True or False (a numpy bool too; never 0/1);
- ``"device"``: "cpu", "cuda", "auto" or "cuda:N" (checked further when work starts);
- ``"random_state"``: None, an int >= 0 or a ``numpy.random.Generator``;
- ``"array-like"``: anything ``numpy.asarray`` reads as numbers;
- ``"callable"``: any callable;
- an :class:`Interval`: a real or integral number within bounds (bools refused);
- an :class:`Options`: one of a set of values (strings are matched exactly; the error suggests
  the closest when the case or a letter is off);
- a :class:`Satisfies`: a predicate with the words that describe it (a rule no other constraint says);
- a type (or tuple of types): ``isinstance``.

The value passes when any of its constraints holds.
"""

from __future__ import annotations

import difflib
import numbers
from numbers import Integral, Real
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence

import numpy as np

from ._validation import InvalidParameterError

__all__ = [
    "Interval",
    "Options",
    "Satisfies",
    "validate_params",
    "merged_constraints",
    "describe",
    "suggest",
    "Integral",
    "Real",
]

_CLOSED = ("left", "right", "both", "neither")


class Interval:
    """A number of ``type_`` (``Integral`` or ``Real``) between ``left`` and ``right`` (None: unbounded).

    ``closed`` says which ends belong to it: "left" (default), "right", "both" or "neither".
    ``hint`` is a few words added to the error (e.g. "the paper uses 32").
    """

    def __init__(self, type_, left: Optional[float], right: Optional[float], *, closed: str = "both", hint: str = ""):
        if type_ not in (Integral, Real):
            raise TypeError("Interval's type_ must be numbers.Integral or numbers.Real")
        if closed not in _CLOSED:
            raise ValueError(f"closed={closed!r}; choose one of {_CLOSED}")
        self.type_, self.left, self.right, self.closed, self.hint = type_, left, right, closed, hint

    def __contains__(self, value: Any) -> bool:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, self.type_):
            return False
        if self.type_ is Real and not np.isfinite(value):
            return False
        lo_in = self.closed in ("left", "both")
        hi_in = self.closed in ("right", "both")
        if self.left is not None and (value < self.left or (value == self.left and not lo_in)):
            return False
        if self.right is not None and (value > self.right or (value == self.right and not hi_in)):
            return False
        return True

    def __str__(self) -> str:
        kind = "an int" if self.type_ is Integral else "a finite number"
        if self.left is None and self.right is None:
            return kind
        if self.right is None:
            return f"{kind} {'>=' if self.closed in ('left', 'both') else '>'} {self.left}"
        if self.left is None:
            return f"{kind} {'<=' if self.closed in ('right', 'both') else '<'} {self.right}"
        lo = "[" if self.closed in ("left", "both") else "("
        hi = "]" if self.closed in ("right", "both") else ")"
        return f"{kind} in {lo}{self.left}, {self.right}{hi}"


class Options:
    """One of ``values`` (for strings an exact match; the error suggests the nearest)."""

    def __init__(self, values: Iterable[Any], *, hint: str = ""):
        self.values = tuple(sorted(values, key=str)) if not isinstance(values, (list, tuple)) else tuple(values)
        self.hint = hint

    def __contains__(self, value: Any) -> bool:
        if isinstance(value, (bool, np.bool_)) and not any(isinstance(v, bool) for v in self.values):
            return False
        try:
            return value in self.values
        except (TypeError, ValueError):  # an array compared with strings
            return False

    def __str__(self) -> str:
        return "one of " + ", ".join(map(repr, self.values))


class Satisfies:
    """A value for which ``predicate(value)`` is true; ``description`` says which, in the error's words."""

    def __init__(self, predicate: Callable[[Any], bool], description: str, *, hint: str = ""):
        self.predicate, self.description, self.hint = predicate, description, hint

    def __contains__(self, value: Any) -> bool:
        try:
            return bool(self.predicate(value))
        except Exception:  # noqa: BLE001 - a predicate that cannot read the value refuses it
            return False

    def __str__(self) -> str:
        return self.description


def _is_device(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if value in ("cpu", "cuda", "auto"):
        return True
    head, _, tail = value.partition(":")
    return head == "cuda" and tail.isdigit()


def _is_array_like(value: Any) -> bool:
    if isinstance(value, (str, bytes)) or value is None:
        return False
    try:
        arr = np.asarray(value)
    except Exception:  # ragged input and the like
        return False
    return arr.dtype != object and (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool)


_NAMED = {
    "boolean": (lambda v: isinstance(v, (bool, np.bool_)), "True or False"),
    "device": (_is_device, "a device: 'cpu', 'cuda', 'cuda:N' or 'auto'"),
    "random_state": (
        lambda v: (
            v is None
            or isinstance(v, np.random.Generator)
            or (isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, (bool, np.bool_)) and int(v) >= 0)
        ),
        "None, an int seed >= 0 or a numpy.random.Generator",
    ),
    "array-like": (_is_array_like, "an array of numbers"),
    "callable": (callable, "a callable"),
}


def _holds(constraint: Any, value: Any) -> bool:
    if constraint is None:
        return value is None
    if isinstance(constraint, str):
        if constraint not in _NAMED:
            raise ValueError(f"unknown parameter constraint {constraint!r}; use one of {list(_NAMED)}")
        return bool(_NAMED[constraint][0](value))
    if isinstance(constraint, (Interval, Options, Satisfies)):
        return value in constraint
    if isinstance(constraint, type) or (isinstance(constraint, tuple) and all(isinstance(c, type) for c in constraint)):
        return isinstance(value, constraint)
    raise ValueError(f"unknown parameter constraint {constraint!r}")


def _describe_one(constraint: Any) -> str:
    if constraint is None:
        return "None"
    if isinstance(constraint, str):
        return _NAMED[constraint][1]
    if isinstance(constraint, (Interval, Options, Satisfies)):
        return str(constraint)
    if isinstance(constraint, tuple):
        return "an instance of " + " or ".join(c.__name__ for c in constraint)
    return f"an instance of {constraint.__name__}"


def describe(constraints: Sequence[Any]) -> str:
    """What a list of constraints allows, in words (the second half of the error message)."""
    return " or ".join(_describe_one(c) for c in constraints)


def suggest(value: Any, options: Iterable[Any]) -> Optional[Any]:
    """The option nearest to a mistyped string ``value`` (case-insensitive), or None."""
    if not isinstance(value, str):
        return None
    strs = [o for o in options if isinstance(o, str)]
    folded = {o.lower(): o for o in strs}
    if value.lower() in folded:
        return folded[value.lower()]
    close = difflib.get_close_matches(value.lower(), list(folded), n=1, cutoff=0.6)
    return folded[close[0]] if close else None


def _hints(constraints: Sequence[Any]) -> str:
    hints = [c.hint for c in constraints if isinstance(c, (Interval, Options, Satisfies)) and c.hint]
    return "; ".join(hints)


def validate_params(owner: str, constraints: Mapping[str, List[Any]], params: Mapping[str, Any]) -> None:
    """Check every parameter in ``params`` that ``constraints`` declares.

    Parameters
    ----------
    owner : str
        Who the parameters belong to, as the error names it (e.g. ``"strategy 'vaal'"``, ``"MLP"``).
    constraints : mapping of str to list
        The declared constraints per parameter name (see the module docstring); a parameter is
        valid when any of its constraints holds. Names in ``params`` without constraints pass.
    params : mapping of str to object
        The current values (``get_params(deep=False)``).

    Raises
    ------
    InvalidParameterError
        A ``ValueError`` and ``TypeError`` naming the owner, the parameter, its value, what is
        allowed and, for a mistyped option, "did you mean ...?". Its ``parameter`` attribute is the
        parameter's name.
    """
    for name, allowed in constraints.items():
        if name not in params:
            continue
        value = params[name]
        if any(_holds(c, value) for c in allowed):
            continue
        message = f"{owner}: {name}={value!r} is not valid; it must be {describe(allowed)}"
        options = [v for c in allowed if isinstance(c, Options) for v in c.values]
        near = suggest(value, options)
        if near is not None:
            message += f" (did you mean {near!r}?)"
        hint = _hints(allowed)
        if hint:
            message += f" ({hint})"
        err = InvalidParameterError(message)
        err.parameter = name  # type: ignore[attr-defined]
        raise err


def merged_constraints(cls: type) -> Dict[str, List[Any]]:
    """``_parameter_constraints`` of ``cls`` merged along its MRO (a subclass's entry wins)."""
    out: Dict[str, List[Any]] = {}
    for klass in reversed(cls.__mro__):
        out.update(getattr(klass, "__dict__", {}).get("_parameter_constraints", {}))
    return out
