"""The shared parameter checks every layer uses."""
import numpy as np
import pytest

from alviz._validation import InvalidParameterError, check_count, check_int, check_number


def test_check_int():
    assert check_int(np.int64(3), "n", 1) == 3 and isinstance(check_int(np.int64(3), "n"), int)
    for bad in (True, 1.5, "2", None, 0):
        with pytest.raises(InvalidParameterError, match=r"n=.* must be an int >= 1 \(rounds\)"):
            check_int(bad, "n", 1, hint="rounds")
    with pytest.raises(ValueError):  # catchable as a ValueError ...
        check_int(-1, "seed", 0)
    with pytest.raises(TypeError):  # ... and as a TypeError
        check_int("x", "seed", 0)


def test_check_number_bounds():
    assert check_number(1, "p", 0.0, 1.0) == 1.0
    with pytest.raises(InvalidParameterError, match=r"purity=0 must be a number in \(0.0, 1.0\]"):
        check_number(0, "purity", 0.0, 1.0, exclusive_minimum=True)
    for bad in (np.nan, np.inf, False, "0.1", -0.1):
        with pytest.raises(InvalidParameterError, match="lr="):
            check_number(bad, "lr", 0.0)
    assert check_number(0.0, "overshoot", 0.0) == 0.0


def test_check_count():
    assert check_count(0, 5) == 0 and check_count(5, 5) == 5
    with pytest.raises(ValueError, match="k=6 must be between 0 and the 5 candidates"):
        check_count(6, 5)
    with pytest.raises(InvalidParameterError):
        check_count(-1, 5)
