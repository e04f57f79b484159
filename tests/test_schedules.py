"""course_utils.schedules: learning-rate sequences against torch.optim.lr_scheduler (torch 2.13), vectorisation,
the lecture's formulas, bad input. The fixtures come from tools/make_reference.py; this file needs numpy only."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from course_utils import schedules

FIXTURES = Path(__file__).parent / "fixtures"
INDEX = json.loads((FIXTURES / "torch_schedules.json").read_text())
DATA = np.load(FIXTURES / "torch_schedules.npz")
CASES = {case["name"]: case for case in INDEX["cases"]}


def build(function, kwargs):
    kwargs = dict(kwargs)
    if isinstance(kwargs.get("base"), dict):
        kwargs["base"] = build(kwargs["base"]["function"], kwargs["base"]["kwargs"])
    return getattr(schedules, function)(**kwargs)


EXAMPLES = [
    schedules.constant(0.1),
    schedules.step_decay(0.1, 7, 0.5),
    schedules.exponential(0.1, 0.97),
    schedules.inverse_sqrt(0.3),
    schedules.cosine(0.1, 50, 1e-3),
    schedules.cosine_restarts(0.1, 5, 2, 1e-3),
    schedules.warmup(0.1, 10),
    schedules.warmup(schedules.cosine(0.1, 40), 10, 0.1),
    schedules.cyclic(0.01, 0.1, 6),
    schedules.one_cycle(0.1, 100),
    schedules.noam(128, 10),
]


def test_fixture_covers_every_schedule_with_a_torch_counterpart():
    assert INDEX["torch"].startswith("2.13.0")
    functions = {case["function"] for case in INDEX["cases"]}
    assert functions == set(schedules.__all__) - {"Schedule", "constant"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    case = CASES[name]
    ref = DATA[name]
    got = build(case["function"], case["kwargs"])(np.arange(case["steps"]))
    assert np.ptp(ref) > 0  # the sequence changes: a wrong formula cannot pass
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-12 * ref.max())


@pytest.mark.parametrize("schedule", EXAMPLES, ids=repr)
def test_scalar_and_array_steps_agree(schedule):
    steps = np.arange(0, 100, 3)
    vector = schedule(steps)
    assert vector.dtype == np.float64 and vector.shape == steps.shape
    scalars = [schedule(int(t)) for t in steps]
    assert all(type(value) is float for value in scalars)
    np.testing.assert_array_equal(vector, scalars)
    np.testing.assert_array_equal(schedule(steps.reshape(-1, 1).astype(np.int32)), vector.reshape(-1, 1))
    np.testing.assert_array_equal(schedule(list(steps[:4])), vector[:4])
    assert schedule(np.int64(steps[5])) == vector[5]
    assert schedule(np.array([], dtype=int)).shape == (0,)


@pytest.mark.parametrize("schedule", EXAMPLES, ids=repr)
def test_schedules_have_a_readable_name_and_repr(schedule):
    assert repr(schedule).startswith(schedule.__name__ + "(")
    assert schedule.__name__ in schedules.__all__
    assert all(f"{key}=" in repr(schedule) for key in schedule.params)


def test_lecture_inverse_sqrt_and_constant():
    lr = schedules.inverse_sqrt(0.3)
    assert lr(0) == 0.3 and lr(3) == 0.15 and lr(99) == pytest.approx(0.03)
    np.testing.assert_array_equal(schedules.constant(0.2)(np.arange(5)), np.full(5, 0.2))


def test_noam_peaks_at_the_end_of_warmup():
    lr = schedules.noam(512, 4000, scale=2.0)
    rates = lr(np.arange(20000))
    assert int(np.argmax(rates)) == 3999  # step number t + 1 = warmup_steps
    assert rates.max() == pytest.approx(2.0 / math.sqrt(512 * 4000))
    assert rates[0] == pytest.approx(2.0 * 512**-0.5 * 4000**-1.5)


def test_warmup_from_zero_and_into_a_schedule():
    ramp = schedules.warmup(0.1, 10)  # start_factor=0: lr(0) = 0, which torch's LinearLR cannot express
    np.testing.assert_allclose(ramp(np.arange(12)), 0.1 * np.minimum(np.arange(12), 10) / 10)
    after = schedules.step_decay(0.1, 5, 0.5)
    lr = schedules.warmup(after, 10, 0.5)
    assert lr(0) == 0.05 and lr(10) == after(0) and lr(17) == after(7)


@pytest.mark.parametrize("first, mult", [(3, 2), (1, 3), (4, 3), (2, 7)])
def test_cosine_restarts_with_period_mult_matches_torch_counting_for_long_runs(first, mult):
    # long runs: log() rounds down at some restarts (e.g. t = 121 for first=1, mult=3)
    since, period, expected = 0, first, []
    for _ in range(30000):
        expected.append(0.5 * (1 + math.cos(math.pi * since / period)))
        since += 1
        if since >= period:  # torch: T_cur >= T_i -> restart with T_i * T_mult
            since, period = since - period, period * mult
    np.testing.assert_allclose(
        schedules.cosine_restarts(1.0, first, mult)(np.arange(30000)), expected, rtol=1e-12, atol=1e-15
    )


def test_cyclic_is_a_triangle_between_the_bounds():
    lr = schedules.cyclic(0.01, 0.11, 5)
    rates = lr(np.arange(21))
    np.testing.assert_allclose(rates[[0, 5, 10, 15, 20]], [0.01, 0.11, 0.01, 0.11, 0.01])
    np.testing.assert_allclose(np.diff(rates[:6]), 0.02)


def test_one_cycle_starts_low_peaks_and_ends_lower():
    lr = schedules.one_cycle(1.0, 100, pct_start=0.3, div_factor=25.0, final_div_factor=1e4)
    rates = lr(np.arange(100))
    assert rates[0] == pytest.approx(1 / 25)
    assert int(np.argmax(rates)) == 29 and rates.max() == pytest.approx(1.0)
    assert rates[-1] == pytest.approx(1 / 25 / 1e4)


BAD = [
    (lambda: schedules.constant(-0.1), "lr"),
    (lambda: schedules.step_decay(0.1, 0), "step_size"),
    (lambda: schedules.step_decay(0.1, 2.5), "step_size"),
    (lambda: schedules.step_decay(0.1, 10, gamma=0), "gamma"),
    (lambda: schedules.exponential(0.1, -0.5), "gamma"),
    (lambda: schedules.exponential(float("nan"), 0.9), "lr"),
    (lambda: schedules.inverse_sqrt("0.1"), "lr"),
    (lambda: schedules.cosine(0.1, 0), "total_steps"),
    (lambda: schedules.cosine(0.1, -5), "total_steps"),
    (lambda: schedules.cosine(0.1, 10, lr_min=-1), "lr_min"),
    (lambda: schedules.cosine_restarts(0.1, 0), "first_period"),
    (lambda: schedules.cosine_restarts(0.1, 10, period_mult=0), "period_mult"),
    (lambda: schedules.cosine_restarts(0.1, 10, period_mult=1.5), "period_mult"),
    (lambda: schedules.warmup(0.1, 0), "warmup_steps"),
    (lambda: schedules.warmup(-0.1, 5), "base"),
    (lambda: schedules.warmup(0.1, 5, start_factor=1.5), "start_factor"),
    (lambda: schedules.cyclic(0.1, 0.01, 5), "lr_max"),
    (lambda: schedules.cyclic(0.01, 0.1, 0), "step_size_up"),
    (lambda: schedules.one_cycle(0.1, 0), "total_steps"),
    (lambda: schedules.one_cycle(0.1, 100, pct_start=0.0), "pct_start"),
    (lambda: schedules.one_cycle(0.1, 100, pct_start=1.0), "pct_start"),
    (lambda: schedules.one_cycle(0.1, 100, pct_start=0.01), "pct_start"),
    (lambda: schedules.one_cycle(0.1, 100, div_factor=0), "div_factor"),
    (lambda: schedules.one_cycle(0.1, 100, final_div_factor=-1), "final_div_factor"),
    (lambda: schedules.noam(0, 10), "d_model"),
    (lambda: schedules.noam(64, 0), "warmup_steps"),
    (lambda: schedules.noam(64, 10, scale=0), "scale"),
    (lambda: schedules.cosine(0.1, 10)(-1), "t"),
    (lambda: schedules.cosine(0.1, 10)(np.array([3, -2])), "t"),
    (lambda: schedules.cosine(0.1, 10)(1.5), "t"),
    (lambda: schedules.cosine(0.1, 10)(np.arange(3.0)), "t"),
    (lambda: schedules.cosine(0.1, 10)(True), "t"),
    (lambda: schedules.one_cycle(0.1, 10)(11), "t"),
]


@pytest.mark.parametrize("make, argument", BAD)
def test_bad_input_raises_value_error_naming_the_argument(make, argument):
    with pytest.raises(ValueError, match=rf"(^|\W){argument}\W"):
        make()
