"""Argument checks shared by every module: each error names the argument and what is allowed."""

from __future__ import annotations

import math
from numbers import Real

import numpy as np


def _is_real(value) -> bool:
    return isinstance(value, (Real, np.floating, np.integer)) and not isinstance(value, bool)


def number(name: str, value, *, low=None, high=None, low_open=False, high_open=False, integer=False):
    """Return ``value`` as a float (or int) after checking it lies in the stated range.

    >>> number("lr", 0.1, low=0)
    0.1
    """
    kind = "an integer" if integer else "a number"
    if integer:
        ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    else:
        ok = _is_real(value)
    if not ok:
        raise ValueError(f"{name} must be {kind}{_range_text(low, high, low_open, high_open)}, got {value!r}")
    if not integer and not math.isfinite(float(value)):
        raise ValueError(f"{name} must be a finite number{_range_text(low, high, low_open, high_open)}, got {value!r}")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        raise ValueError(f"{name} must be {kind}{_range_text(low, high, low_open, high_open)}, got {value!r}")
    return int(value) if integer else float(value)


def _range_text(low, high, low_open, high_open) -> str:
    if low is None and high is None:
        return ""
    if high is None:
        return f" {'>' if low_open else '>='} {low}"
    if low is None:
        return f" {'<' if high_open else '<='} {high}"
    left = "(" if low_open else "["
    right = ")" if high_open else "]"
    return f" in {left}{low}, {high}{right}"


def choice(name: str, value, allowed):
    """Check ``value`` is one of ``allowed``."""
    if value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {options}; got {value!r}")
    return value


def float_array(name: str, value) -> np.ndarray:
    """Check ``value`` is a floating-point ndarray (integer arrays cannot be updated in place)."""
    if not isinstance(value, np.ndarray):
        raise ValueError(f"{name} must be a numpy ndarray of floats, got {type(value).__name__}")
    if not np.issubdtype(value.dtype, np.floating):
        raise ValueError(f"{name} must have a floating dtype (float32 or float64), got dtype {value.dtype}")
    return value


def same_shape(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray) -> None:
    if np.shape(a) != np.shape(b):
        raise ValueError(f"{name_b} has shape {np.shape(b)} but {name_a} has shape {np.shape(a)}; they must match")
