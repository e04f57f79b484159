"""Claim checks for the notebooks and answer checks for the exercises.

A *claim* compares a measured number with a threshold that has a margin::

    check.claim("C03.5", measured_rate / theory_rate, "between", (0.95, 1.05), what="heavy-ball rate / theory")

prints ``✓ C03.5  heavy-ball rate / theory = 1.0021  in [0.95, 1.05]`` and raises an
``AssertionError`` that states the numbers when the claim no longer holds. Every claim
checked in this process is kept in :data:`RESULTS` (and appended as JSON lines to the
file named by the environment variable ``COURSE_CLAIMS_LOG``, if set), so a test can
compare two executions of a notebook.
"""
from __future__ import annotations

import json
import math
import os

import numpy as np

from . import _validate

#: ``{claim id: {"value": ..., "op": ..., "bound": ..., "passed": ...}}`` for this process.
RESULTS: dict[str, dict] = {}

_OPS = {
    "<": (lambda v, b: v < b, "<"),
    "<=": (lambda v, b: v <= b, "≤"),
    ">": (lambda v, b: v > b, ">"),
    ">=": (lambda v, b: v >= b, "≥"),
    "between": (lambda v, b: b[0] <= v <= b[1], "in"),
}


def _fmt(x) -> str:
    x = float(x)
    if x != 0 and (abs(x) >= 1e5 or abs(x) < 1e-3):
        return f"{x:.4g}"
    return f"{x:.4f}"


def _number(name, value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number (or a (low, high) pair of numbers for 'between'), "
                         f"got {value!r}") from None


def claim(claim_id: str, value, op: str, bound, *, what: str = "measured", note: str = "",
          timing: bool = False) -> float:
    """Assert that the measured ``value`` satisfies ``value op bound`` and print one line.

    Parameters
    ----------
    claim_id : the curriculum id, e.g. ``"C03.5"``.
    value : the measured number (a Python or numpy scalar).
    op : one of ``"<"``, ``"<="``, ``">"``, ``">="`` or ``"between"`` (then ``bound = (low, high)``).
    bound : the threshold, chosen with a margin from the measured value.
    what : a few words saying what was measured, printed before the number.
    note : printed after the line (e.g. what the lecture says).
    timing : the value is a measured time (or a ratio of times), so it differs from run to run;
        the determinism test compares every other claim exactly between two executions.
    """
    if not isinstance(claim_id, str) or not claim_id:
        raise ValueError(f"claim_id must be a non-empty string such as 'C03.5', got {claim_id!r}")
    _validate.choice("op", op, tuple(_OPS))
    try:
        value = float(np.asarray(value).item()) if np.ndim(value) == 0 else None
    except (TypeError, ValueError):
        raise ValueError(f"value must be a single number, got {value!r}") from None
    if value is None:
        raise ValueError("value must be a single number (reduce arrays before claiming)")
    if op == "between":
        if not (isinstance(bound, (tuple, list)) and len(bound) == 2):
            raise ValueError(f"bound must be a (low, high) pair when op is 'between', got {bound!r}")
        low, high = (_number("bound", b) for b in bound)
        if low > high:
            raise ValueError(f"bound must have low <= high, got {bound!r}")
        bound = (low, high)
        bound_text = f"[{_fmt(low)}, {_fmt(high)}]"
    else:
        bound = _number("bound", bound)
        bound_text = _fmt(bound)
    test, symbol = _OPS[op]
    passed = math.isfinite(value) and bool(test(value, bound))
    line = f"{claim_id}  {what} = {_fmt(value)}  {symbol} {bound_text}"
    RESULTS[claim_id] = {"value": round(value, 6), "op": op, "bound": bound, "passed": passed, "timing": timing}
    log = os.environ.get("COURSE_CLAIMS_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"id": claim_id, **RESULTS[claim_id]}) + "\n")
    if not passed:
        raise AssertionError(f"✗ claim {line} does not hold" + (f" ({note})" if note else ""))
    print("✓ " + line + (f"   ({note})" if note else ""))
    return value


def close(actual, expected, name: str = "your answer", *, rtol: float = 1e-6, atol: float = 1e-9) -> None:
    """Exercise check: ``actual`` equals ``expected`` within tolerances, else a hint-bearing AssertionError."""
    actual_arr = np.asarray(actual, dtype=float)
    expected_arr = np.asarray(expected, dtype=float)
    if actual_arr.shape != expected_arr.shape:
        raise AssertionError(f"{name} has shape {actual_arr.shape}, expected shape {expected_arr.shape}")
    if not np.allclose(actual_arr, expected_arr, rtol=rtol, atol=atol, equal_nan=False):
        err = np.max(np.abs(actual_arr - expected_arr))
        raise AssertionError(f"{name} is off: largest difference {err:.3g} from the expected value "
                             f"(allowed rtol={rtol:g}, atol={atol:g})")
    print(f"✓ {name} is correct")


def true(condition, message: str, passed: str = "check passed") -> None:
    """Exercise check: ``condition`` holds (prints ``passed``), else ``AssertionError(message)``."""
    if not bool(condition):
        raise AssertionError(message)
    print(f"✓ {passed}")
