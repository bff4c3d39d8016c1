"""Input checks and randomness helpers shared by every layer.

Every public function validates what a user gives it here, so errors are typed
and say what to do; nothing reaches torch or numpy in a shape it cannot handle.
"""

from __future__ import annotations

import numbers
from typing import Union

import numpy as np

RandomLike = Union[None, int, np.integer, np.random.Generator]


def as_generator(rng: RandomLike) -> np.random.Generator:
    """Turn ``rng`` (None, int or Generator) into a ``numpy.random.Generator``.

    A Generator is returned as is (its state advances as it is used); an int
    seeds a fresh one; None gives a fresh unseeded one.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, (numbers.Integral, np.integer)) and not isinstance(rng, bool):
        if int(rng) < 0:
            raise ValueError(f"rng={rng} is negative; pass a seed >= 0 or a numpy Generator")
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be None, an int seed or a numpy.random.Generator, got {type(rng).__name__}")


def torch_seed(rng: np.random.Generator) -> int:
    """Draw a seed for torch work from ``rng`` (so torch is seeded from the caller's rng)."""
    return int(rng.integers(0, 2**31 - 1))


class InvalidParameterError(ValueError, TypeError):
    """A parameter of the wrong type or value.

    Both a ValueError and a TypeError (as scikit-learn's own), so callers may
    catch either; the message says what to pass instead.
    """


def _fail(name: str, value, what: str, hint: str):
    raise InvalidParameterError(f"{name}={value!r} must be {what}" + (f" ({hint})" if hint else ""))


def check_int(value, name: str, minimum: int | None = None, hint: str = "") -> int:
    """``value`` as an int (a bool is refused) no smaller than ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or (minimum is not None and value < minimum):
        _fail(name, value, "an int" + ("" if minimum is None else f" >= {minimum}"), hint)
    return int(value)


def check_number(
    value,
    name: str,
    minimum: float | None = None,
    maximum: float | None = None,
    *,
    exclusive_minimum: bool = False,
    hint: str = "",
) -> float:
    """``value`` as a finite float (a bool is refused) within [minimum, maximum] (or (minimum, maximum])."""
    ok = not isinstance(value, bool) and isinstance(value, numbers.Real) and bool(np.isfinite(float(value)))
    if ok and minimum is not None:
        ok = value > minimum if exclusive_minimum else value >= minimum
    if ok and maximum is not None:
        ok = value <= maximum
    if not ok:
        if minimum is not None and maximum is not None:
            what = f"a number in {'(' if exclusive_minimum else '['}{minimum}, {maximum}]"
        elif minimum is not None:
            what = f"a finite number {'>' if exclusive_minimum else '>='} {minimum}"
        else:
            what = "a finite number"
        _fail(name, value, what, hint)
    return float(value)


def check_bool(value, name: str, hint: str = "") -> bool:
    """``value`` as a bool: True, False (or a numpy bool); anything else is refused, never read as truthy."""
    if not isinstance(value, (bool, np.bool_)):
        _fail(name, value, "True or False", hint)
    return bool(value)


def check_choice(value, name: str, options) -> str:
    """``value`` if it is one of ``options``; else a ValueError listing them."""
    if not isinstance(value, str) or value not in options:
        raise InvalidParameterError(f"{name}={value!r}; choose one of {', '.join(map(repr, options))}")
    return value


def check_count(k, n_available: int, what: str = "candidates") -> int:
    """How many to pick: an int between 0 and ``n_available``."""
    k = check_int(k, "k", 0)
    if k > n_available:
        raise ValueError(f"k={k} must be between 0 and the {n_available} {what}")
    return k


def check_features(X, name: str = "X", *, allow_empty: bool = False, min_ndim: int = 2) -> np.ndarray:
    """A finite float array with samples on axis 0 (not copied when already fine)."""
    if hasattr(X, "detach"):  # torch tensor
        X = X.detach().cpu().numpy()
    try:
        arr = np.asarray(X)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} could not be read as an array: {exc}") from exc
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}")
    if arr.ndim < min_ndim:
        raise ValueError(
            f"{name} must have at least {min_ndim} dimensions (samples first), got shape {arr.shape}; "
            "for a single feature use X.reshape(-1, 1)"
        )
    if arr.shape[0] == 0 and not allow_empty:
        raise ValueError(f"{name} is empty: it needs at least one sample")
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float32)
    if not np.all(np.isfinite(arr)):
        bad = int(np.sum((~np.isfinite(arr.reshape(arr.shape[0], -1))).any(axis=1)))
        raise ValueError(f"{name} has NaN or inf values in {bad} sample(s); impute or drop them before use")
    return arr


def check_labels(y, n: int, n_classes: int | None = None, name: str = "y") -> np.ndarray:
    """Integer class labels 0..C-1 of length ``n``."""
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} labels but there are {n} samples; they must match")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if np.issubdtype(arr.dtype, np.floating) and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise ValueError(
                f"{name} must hold integer class indices 0..C-1, got dtype {arr.dtype}; "
                "encode string labels with sklearn.preprocessing.LabelEncoder"
            )
    arr = arr.astype(np.int64, copy=False)
    if arr.size and arr.min() < 0:
        raise ValueError(f"{name} has negative labels; classes must be 0..C-1")
    if n_classes is not None and arr.size and arr.max() >= n_classes:
        raise ValueError(
            f"{name} has label {int(arr.max())} but there are only {n_classes} classes (0..{n_classes - 1})"
        )
    return arr


def check_budget(budget, n_available: int) -> int:
    """A positive int no larger than what is left to pick."""
    if isinstance(budget, bool) or not isinstance(budget, (numbers.Integral, np.integer)):
        raise TypeError(f"budget must be an int, got {type(budget).__name__}")
    budget = int(budget)
    if budget <= 0:
        raise ValueError(f"budget={budget}: ask for at least one sample (budget >= 1)")
    if budget > n_available:
        raise ValueError(
            f"budget={budget} is larger than the {n_available} unlabeled samples left; ask for at most {n_available}"
        )
    return budget


def check_mask(mask, n: int, name: str = "labeled_mask") -> np.ndarray:
    arr = np.asarray(mask)
    if arr.dtype != bool:
        raise TypeError(f"{name} must be a boolean array, got dtype {arr.dtype}")
    if arr.shape != (n,):
        raise ValueError(f"{name} has shape {arr.shape}, expected ({n},)")
    return arr


def check_indices(idx, n: int, name: str = "indices") -> np.ndarray:
    arr = np.asarray(idx)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must hold integers, got dtype {arr.dtype}")
    arr = arr.astype(np.int64, copy=False)
    if arr.size and (arr.min() < 0 or arr.max() >= n):
        raise ValueError(f"{name} must lie in 0..{n - 1}, got values from {arr.min()} to {arr.max()}")
    if np.unique(arr).size != arr.size:
        raise ValueError(f"{name} has duplicates; each index may appear once")
    return arr
