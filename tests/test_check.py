import json

import numpy as np
import pytest

from course_utils import check


@pytest.mark.parametrize(
    "value, op, bound",
    [
        (0.5, "<", 1.0),
        (1.0, "<=", 1.0),
        (2.0, ">", 1.0),
        (1.0, ">=", 1.0),
        (0.97, "between", (0.95, 1.05)),
        (np.float32(0.2), "<", 0.3),
        (np.array(3.0), ">", 2),
    ],
)
def test_claim_passes_and_prints(value, op, bound, capsys):
    assert check.claim("C99.1", value, op, bound, what="ratio", reproduces="a number") == pytest.approx(float(value))
    out = capsys.readouterr().out
    assert out.startswith("✓ C99.1  ratio = ") and check.RESULTS["C99.1"]["passed"]
    assert "reproduces a number" in out


@pytest.mark.parametrize(
    "value, op, bound",
    [
        (1.5, "<", 1.0),
        (1.01, "<=", 1.0),
        (1.0, ">", 1.0),
        (0.9, ">=", 1.0),
        (1.2, "between", (0.95, 1.05)),
        (float("nan"), "<", 1.0),
        (float("inf"), ">", 1.0),
    ],
)
def test_claim_fails_with_the_numbers(value, op, bound):
    with pytest.raises(AssertionError, match=r"C99.2 .* does not hold"):
        check.claim("C99.2", value, op, bound, control=float("nan"))
    assert check.RESULTS["C99.2"]["passed"] is False


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(value=1.0, op="~", bound=1.0), "op must be one of"),
        (dict(value=np.ones(3), op="<", bound=1.0), "value must be a single number"),
        (dict(value=1.0, op="between", bound=1.0), "bound must be a \\(low, high\\) pair"),
        (dict(value=1.0, op="between", bound=(2.0, 1.0)), "low <= high"),
    ],
)
def test_claim_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        check.claim("C99.3", **kwargs, control=float("nan"))


def test_claim_log(tmp_path, monkeypatch):
    log = tmp_path / "claims.jsonl"
    monkeypatch.setenv("COURSE_CLAIMS_LOG", str(log))
    check.claim("C99.4", 0.123456789, "<", 1, note="a note", control=[1.5, 2.0])
    record = json.loads(log.read_text().splitlines()[-1])
    assert record == {
        "id": "C99.4",
        "value": 0.123457,
        "op": "<",
        "bound": 1.0,
        "passed": True,
        "timing": False,
        "control": [1.5, 2.0],
        "reproduces": None,
    }
    check.claim("C99.5", 2.5, ">", 1, timing=True, control=0.5)
    assert json.loads(log.read_text().splitlines()[-1])["timing"] is True


def test_close_and_true(capsys):
    check.close([1.0, 2.0], np.array([1.0, 2.0 + 1e-9]), "w")
    assert "✓ w is correct" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="w is off: largest difference 0.5"):
        check.close([1.0, 2.5], [1.0, 2.0], "w")
    with pytest.raises(AssertionError, match="shape"):
        check.close([1.0], [1.0, 2.0], "w")
    check.true(3 > 2, "never shown", passed="three is more than two")
    assert "✓ three is more than two" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="too small"):
        check.true(False, "too small")


def test_claim_prints_the_control(capsys):
    check.claim("C99.6", 0.2, "<", 0.5, what="loss ratio", control=[0.9, 1.1], control_what="momentum off")
    out = capsys.readouterr().out
    assert "✓ C99.6  loss ratio = 0.2000  < 0.5000 | control (momentum off) = 0.9000, 1.1000 fails it" in out
    assert check.RESULTS["C99.6"]["control"] == [0.9, 1.1]


@pytest.mark.parametrize("control", [0.1, [0.9, 0.3], np.array([0.4])])
def test_a_control_that_passes_means_the_check_cannot_fail(control):
    with pytest.raises(ValueError, match="this check cannot fail: the control also satisfies the bound"):
        check.claim("C99.7", 0.2, "<", 0.5, control=control)


def test_a_failing_claim_still_reports_its_control():
    with pytest.raises(AssertionError, match=r"C99.8 .* does not hold \| control \(effect removed\) = 0.9000"):
        check.claim("C99.8", 0.7, "<", 0.5, control=0.9)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({}, "needs control= .* or reproduces="),
        (dict(control=0.9, reproduces="x"), "not both"),
        (dict(reproduces=""), "reproduces must say what the lecture states"),
        (dict(control=[]), "control must hold at least one number"),
        (dict(control="many"), "control must be a number or a sequence of numbers"),
    ],
)
def test_claim_needs_a_control_or_a_reproduced_number(kwargs, match):
    with pytest.raises(ValueError, match=match):
        check.claim("C99.9", 0.2, "<", 0.5, **kwargs)


def test_forbid_blocks_library_functions_inside_the_block_only():
    from course_utils import optim, schedules

    def lazy(t):
        return schedules.cosine(0.1, 10)(t)

    reference = schedules.cosine(0.1, 10)(np.arange(4))
    with pytest.raises(AssertionError, match="write it yourself: your code called course_utils.schedules.cosine"):
        with check.forbid(schedules.cosine):
            lazy(np.arange(4))
    np.testing.assert_array_equal(lazy(np.arange(4)), reference)  # allowed again after the block
    with pytest.raises(AssertionError, match="optim.adam.Adam"):
        with check.forbid(optim.Adam):
            optim.Adam(lr=0.1).step(np.ones(2), np.ones(2))
    assert optim.Adam(lr=0.1).step(np.ones(2), np.ones(2))[0] == pytest.approx(0.9)
    with pytest.raises(ValueError, match="forbid takes course_utils functions"):
        check.forbid(42)


def test_forbid_blocks_a_function_with_closure_variables_here_and_in_the_grader(monkeypatch):
    """A decorated library function has free variables; its code is swapped all the same."""
    import sys
    import types

    from tools.grading.worker import _blocker

    def make(factor):
        def scaled(x):
            return factor * x

        return scaled

    module = types.ModuleType("course_closure_demo")
    module.scaled = make(3)
    module.scaled.__module__, module.scaled.__qualname__ = module.__name__, "scaled"
    monkeypatch.setitem(sys.modules, module.__name__, module)
    assert module.scaled.__code__.co_freevars == ("factor",)
    with pytest.raises(AssertionError, match="your code called course_closure_demo.scaled"):
        with check.forbid(module.scaled):
            module.scaled(2)
    assert module.scaled(2) == 6
    forbid = _blocker()
    forbid({"on": True, "names": ["course_closure_demo:scaled"]})
    with pytest.raises(AssertionError, match="your code called course_closure_demo.scaled"):
        module.scaled(2)
    forbid({"on": False, "names": ["course_closure_demo:scaled"]})
    assert module.scaled(2) == 6
