"""Claim checks for the notebooks and answer checks for the exercises.

A *claim* compares a measured number with a threshold that has a margin, and says why the
check could have failed: either a **control**, the value the same measurement takes when the
lecture's effect is removed (momentum off, no shuffling, the same network without the trick),
which must fail the same bound::

    check.claim("C03.4", crossed_share, ">", 0.5, what="share of (η, λ) that cross the bump",
                control=crossed_share_without_momentum, control_what="momentum off")

prints ``✓ C03.4  share of (η, λ) that cross the bump = 0.6200  > 0.5000 | control (momentum off)
= 0.0000 fails it``; or, for a number the lecture states, what it reproduces::

    check.claim("C01.3", eigenvalue, "between", (-2 - 1e-9, -2 + 1e-9), reproduces="the lecture's λ = -2")

A claim whose control also satisfies the bound raises ``ValueError`` ("this check cannot
fail"), and a claim with neither a control nor ``reproduces=`` raises ``ValueError`` too:
a check that two pieces of code agree is a sanity check (:func:`true`, :func:`close`).
A claim that no longer holds raises ``AssertionError`` with the numbers. Every claim
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
        raise ValueError(
            f"{name} must be a number (or a (low, high) pair of numbers for 'between'), got {value!r}"
        ) from None


def _controls(control) -> list[float]:
    """The control value(s) as a list of floats: one number, or one per seed/setting."""
    try:
        values = np.asarray(control, dtype=float).ravel()
    except (TypeError, ValueError):
        raise ValueError(f"control must be a number or a sequence of numbers, got {control!r}") from None
    if values.size == 0:
        raise ValueError("control must hold at least one number, got an empty sequence")
    return [float(v) for v in values]


def claim(
    claim_id: str,
    value,
    op: str,
    bound,
    *,
    control=None,
    control_what: str = "effect removed",
    reproduces: str | None = None,
    what: str = "measured",
    note: str = "",
    timing: bool = False,
) -> float:
    """Assert that the measured ``value`` satisfies ``value op bound`` and print one line.

    Parameters
    ----------
    claim_id : the curriculum id, e.g. ``"C03.5"``.
    value : the measured number (a Python or numpy scalar).
    op : one of ``"<"``, ``"<="``, ``">"``, ``">="`` or ``"between"`` (then ``bound = (low, high)``).
    bound : the threshold, chosen with a margin from the measured value.
    control : the value the same measurement takes with the lecture's effect removed (or under
        the alternative the lecture rejects); a number, or a sequence of numbers (one per seed or
        setting). Every control value must *fail* the bound, otherwise the check cannot fail and
        ``ValueError`` is raised.
    control_what : a few words naming the control run, e.g. ``"momentum off"``.
    reproduces : instead of a control, what the lecture states that this value reproduces,
        e.g. ``"the lecture's N ≥ 610"`` (use a tight bound).
    what : a few words saying what was measured, printed before the number.
    note : printed after the line (e.g. what the lecture says).
    timing : the value is a measured time (or a ratio of times), so it differs from run to run;
        the determinism test compares every other claim exactly between two executions.
    """
    if not isinstance(claim_id, str) or not claim_id:
        raise ValueError(f"claim_id must be a non-empty string such as 'C03.5', got {claim_id!r}")
    _validate.choice("op", op, tuple(_OPS))
    if control is None and reproduces is None:
        raise ValueError(
            f"claim {claim_id!r} needs control= (the value the same measurement takes with the "
            "effect removed, which must fail the bound) or reproduces= (the lecture's number it "
            "reproduces); a check that two pieces of code agree is check.true or check.close"
        )
    if control is not None and reproduces is not None:
        raise ValueError(f"claim {claim_id!r}: give control= or reproduces=, not both")
    if reproduces is not None and not (isinstance(reproduces, str) and reproduces.strip()):
        raise ValueError(f"reproduces must say what the lecture states, as a non-empty string, got {reproduces!r}")
    controls = None if control is None else _controls(control)
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

    def holds(x: float) -> bool:
        return math.isfinite(x) and bool(test(x, bound))

    line = f"{claim_id}  {what} = {_fmt(value)}  {symbol} {bound_text}"
    if controls is not None:
        shown = ", ".join(_fmt(c) for c in controls[:6]) + (", …" if len(controls) > 6 else "")
        control_text = f"control ({control_what}) = {shown}"
        passing = [c for c in controls if holds(c)]
        if passing:
            raise ValueError(
                f"this check cannot fail: the control also satisfies the bound "
                f"({claim_id}: {control_text}, bound {symbol} {bound_text}); choose a measurement "
                "or a bound that separates the effect from its control"
            )
        suffix = f" | {control_text} fails it"
    else:
        suffix = f" | reproduces {reproduces}"
    passed = holds(value)
    RESULTS[claim_id] = {
        "value": round(value, 6),
        "op": op,
        "bound": bound,
        "passed": passed,
        "timing": timing,
        "control": None if controls is None else [round(c, 6) for c in controls],
        "reproduces": reproduces,
    }
    log = os.environ.get("COURSE_CLAIMS_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"id": claim_id, **RESULTS[claim_id]}) + "\n")
    if not passed:
        raise AssertionError(f"✗ claim {line} does not hold{suffix}" + (f" ({note})" if note else ""))
    print("✓ " + line + suffix + (f"   ({note})" if note else ""))
    return value


def close(actual, expected, name: str = "your answer", *, rtol: float = 1e-6, atol: float = 1e-9) -> None:
    """Exercise check: ``actual`` equals ``expected`` within tolerances, else a hint-bearing AssertionError."""
    actual_arr = np.asarray(actual, dtype=float)
    expected_arr = np.asarray(expected, dtype=float)
    if actual_arr.shape != expected_arr.shape:
        raise AssertionError(f"{name} has shape {actual_arr.shape}, expected shape {expected_arr.shape}")
    if not np.allclose(actual_arr, expected_arr, rtol=rtol, atol=atol, equal_nan=False):
        err = np.max(np.abs(actual_arr - expected_arr))
        raise AssertionError(
            f"{name} is off: largest difference {err:.3g} from the expected value "
            f"(allowed rtol={rtol:g}, atol={atol:g})"
        )
    print(f"✓ {name} is correct")


def true(condition, message: str, passed: str = "check passed") -> None:
    """Exercise check: ``condition`` holds (prints ``passed``), else ``AssertionError(message)``."""
    if not bool(condition):
        raise AssertionError(message)
    print(f"✓ {passed}")


#: set by the grader's checker: ``hook(names, on)`` forbids (on=True) or allows again the functions
#: named ``module:qualname`` in the process where the student's code runs
FORBID_HOOK = None


def _target(function) -> tuple[object, str]:
    """The function object whose code to replace (a class's update rule for a class) and its name."""
    if isinstance(function, type):
        rule = getattr(function, "_update", None) or getattr(function, "step", None)
        if rule is None:
            raise ValueError(f"forbid: {function.__name__} has no _update or step method to block")
        return rule, f"{function.__module__}:{function.__qualname__}"
    if not hasattr(function, "__code__"):
        raise ValueError(f"forbid takes course_utils functions or optimizer classes, got {function!r}")
    return function, f"{function.__module__}:{function.__qualname__}"


def _blocked_code(name: str, target=None):
    """A code object that raises an AssertionError naming ``name``, to put in ``target.__code__``.

    A function's code can only be swapped for code with the same closure variables, so the blocked
    code takes over ``target``'s free variable names (it never reads them).
    """
    message = (
        f"this exercise asks you to write it yourself: your code called {name.replace(':', '.')} from course_utils"
    )
    namespace = {}
    exec(f"def blocked(*args, **kwargs):\n    raise AssertionError({message!r})", namespace)  # noqa: S102
    code = namespace["blocked"].__code__
    if target is not None and target.__code__.co_freevars:
        code = code.replace(co_freevars=target.__code__.co_freevars)
    return code


def block(names, on: bool) -> None:
    """Forbid (``on``) or allow the functions ``module:qualname`` in this process (their code is swapped)."""
    import importlib

    for name in names:
        module, qualname = name.split(":")
        obj = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        target, _ = _target(obj)
        if on:
            if not hasattr(target, "__course_code__"):
                target.__course_code__ = target.__code__
                target.__code__ = _blocked_code(name, target)
        elif hasattr(target, "__course_code__"):
            target.__code__ = target.__course_code__
            del target.__course_code__


class forbid:  # noqa: N801 - used as `with check.forbid(...)`, like a function
    """While the block runs, calling any of ``functions`` raises an AssertionError that says why.

    An "implement it" exercise compares the student's function with the library's; inside
    ``with check.forbid(schedules.cosine_restarts): mine = my_cosine_restarts(...)`` a solution
    that only calls the library fails with a message that says so. Compute the reference outside
    the block. A class (an optimizer) is blocked by its update rule. In the grader, the functions
    are blocked in the sandbox where the student's code runs (:data:`FORBID_HOOK`).
    """

    def __init__(self, *functions):
        self.names = [_target(f)[1] for f in functions]

    def __enter__(self):
        (FORBID_HOOK or block)(self.names, True)
        return self

    def __exit__(self, *exc):
        (FORBID_HOOK or block)(self.names, False)
        return False
