"""The lab's rules: budget enforced, bad configurations named, every schedule runs."""

import numpy as np
import pytest

from course_utils import lab


def test_budget_is_eight_epochs():
    assert lab.budget() == 8 * 1078


@pytest.mark.parametrize("schedule", lab.SCHEDULES)
@pytest.mark.parametrize("optimizer", sorted(lab.OPTIMIZERS))
def test_every_optimizer_and_schedule_runs_within_budget(optimizer, schedule):
    config = {"optimizer": optimizer, "schedule": schedule, "lr": 1e-3, "batch_size": 256, "hidden": [16]}
    net, history = lab.run(config)
    assert history.samples[-1] == lab.budget()
    assert np.isfinite(history.loss).all()


def test_reference_configuration_reaches_the_target_and_baseline_does_not():
    reference = lab.evaluate({"optimizer": "adam", "lr": 1e-2, "schedule": "cosine", "batch_size": 64, "hidden": [128]})
    assert reference["passed"] and reference["mean"] > lab.TARGET + 0.01
    baseline = lab.evaluate({"optimizer": "sgd", "lr": 1e-2}, seeds=(0,))
    assert not baseline["passed"] and baseline["mean"] < lab.TARGET - 0.05


def test_a_diverging_run_scores_zero(monkeypatch):
    real_run = lab.run

    def run_that_diverges(config, seed=0, epochs=None):
        net, history = real_run(config, seed, epochs=epochs)
        history.diverged_at = 3
        return net, history

    monkeypatch.setattr(lab, "run", run_that_diverges)
    result = lab.evaluate({"optimizer": "adam", "lr": 1e-2, "schedule": "cosine", "hidden": [128]}, seeds=(0,))
    assert result["val_accuracy"] == [0.0] and not result["passed"]


def test_test_score_and_options():
    config = {
        "optimizer": "sgd",
        "lr": 0.05,
        "momentum": 0.9,
        "schedule": "warmup_cosine",
        "batch_size": 128,
        "hidden": [32],
        "dropout": 0.1,
        "batch_norm": True,
        "clip_norm": 5.0,
        "weight_decay": 1e-4,
    }
    monkeypatch_free = lab._test_looks.copy()
    lab._test_looks.clear()
    try:
        assert 0.5 < lab.test_score(config) <= 1.0
        with pytest.raises(RuntimeError, match="already looked at"):
            lab.test_score(config)
    finally:
        lab._test_looks[:] = monkeypatch_free


SOLUTION = {"optimizer": "rmsprop", "lr": 2e-3, "batch_size": 16, "hidden": [256]}  # the notebook's model answer


def _tiers_passed(config):
    return [lab.evaluate(config, epochs=e, target=t)["passed"] for e, t in lab.TIERS]


# Seed sets the tiers were not tuned on (lab's docstring: calibrated on seeds 1000-1399). Both were
# fixed before they were run; on random 12-seed sets the model solution fails some tier on ~5 % of them.
HELD_OUT = ["12-23", "500-511"]


@pytest.mark.parametrize("seeds", [None, *HELD_OUT])
def test_the_tiers_separate_default_adam_from_the_model_solution(seeds, monkeypatch):
    """On the students' seeds and on seeds the grader might use: default Adam passes the full budget
    only, the notebook's model solution passes every tier."""
    expected = lab.SEEDS
    if seeds is not None:
        monkeypatch.setenv("COURSE_LAB_SEEDS", seeds)
        first, last = map(int, seeds.split("-"))
        expected = tuple(range(first, last + 1))
    assert lab.scoring_seeds() == expected and len(expected) == len(lab.SEEDS) == 12
    assert _tiers_passed({"optimizer": "adam"}) == [True, False, False]
    assert _tiers_passed(SOLUTION) == [True, True, True]


def test_evaluate_reports_the_standard_error_of_its_mean():
    result = lab.evaluate(BASELINE, seeds=(0, 1, 2), epochs=1)
    scores = result["val_accuracy"]
    assert result["sem"] == pytest.approx(np.std(scores, ddof=1) / np.sqrt(3)) and result["sem"] > 0
    assert np.isnan(lab.evaluate(BASELINE, seeds=(0,), epochs=1)["sem"])


def test_the_grader_seeds_come_from_the_environment(monkeypatch):
    assert lab.scoring_seeds() == lab.SEEDS == tuple(range(12))
    monkeypatch.setenv("COURSE_LAB_SEEDS", "11, 12,13-20 ,30,31,40")
    assert lab.scoring_seeds() == (11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 30, 31, 40)
    monkeypatch.setenv("COURSE_LAB_SEEDS", "500-511")
    assert lab.scoring_seeds() == tuple(range(500, 512))
    assert lab.evaluate({"optimizer": "adam", "hidden": [16]}, epochs=1)["seeds"] == tuple(range(500, 512))
    monkeypatch.setenv("COURSE_LAB_SEEDS", "eleven")
    with pytest.raises(ValueError, match="COURSE_LAB_SEEDS must be comma-separated integers or ranges"):
        lab.scoring_seeds()


@pytest.mark.parametrize("value", ["11,12,13", "500-510", "1,1,1,1,1,1,1,1,1,1,1,1", "511-500"])
def test_the_grader_must_score_on_as_many_seeds_as_the_students(value, monkeypatch):
    """A mean over 3 seeds varies so much that the model solution failed tier 3 on half the seed sets."""
    monkeypatch.setenv("COURSE_LAB_SEEDS", value)
    with pytest.raises(ValueError, match="calibrated for a mean over at least 12 seeds, e.g. COURSE_LAB_SEEDS=500-511"):
        lab.scoring_seeds()


@pytest.mark.parametrize(
    "config, match",
    [
        ({"optimiser": "sgd"}, "config has unknown keys \\['optimiser'\\]"),
        ({"optimizer": "lbfgs"}, "optimizer must be one of"),
        ({"schedule": "linear"}, "schedule must be one of"),
        ({"lr": 0}, "lr must be a number > 0"),
        ({"lr": float("nan")}, "lr must be a finite number"),
        ({"momentum": 1.0}, "momentum must be a number in \\[0, 1\\)"),
        ({"batch_size": 0}, "batch_size must be an integer in \\[1, 1078\\]"),
        ({"dropout": 1.0}, "dropout must be"),
        ({"clip_norm": -1}, "clip_norm must be a number > 0"),
        ({"weight_decay": -1e-4}, "weight_decay must be a number >= 0"),
        ({"warmup_steps": 0}, "warmup_steps must be an integer >= 1"),
        ({"hidden": [0]}, "hidden must be a list of positive layer widths"),
        ({"hidden": [512, 512]}, "parameters; the lab allows at most 50,000"),
    ],
)
def test_bad_configurations_are_named(config, match):
    with pytest.raises(ValueError, match=match):
        lab.complete(config)


BASELINE = {"optimizer": "sgd", "lr": 0.01}
SWINGING = {"optimizer": "sgd", "lr": 0.3, "momentum": 0.9}  # its validation accuracy ends below its best


def test_evaluate_scores_each_seed_by_its_own_runs_last_validation_accuracy():
    histories = {seed: lab.run(BASELINE, seed)[1] for seed in (0, 1)}
    assert histories[0].val_accuracy[-1] != histories[1].val_accuracy[-1]  # the seeds give different runs
    assert lab.evaluate(BASELINE, seeds=(0, 1))["val_accuracy"] == [h.val_accuracy[-1] for h in histories.values()]
    _, swinging = lab.run(SWINGING, 0)
    assert swinging.val_accuracy.max() > swinging.val_accuracy[-1] + 0.03  # last, not best
    assert lab.evaluate(SWINGING, seeds=(0,))["val_accuracy"] == [swinging.val_accuracy[-1]]


def test_evaluate_compares_with_the_target_it_is_given():
    mean = lab.evaluate(BASELINE, seeds=(0,))["mean"]
    assert 0.8 < mean < 0.9
    below, above = lab.evaluate(BASELINE, seeds=(0,), target=0.8), lab.evaluate(BASELINE, seeds=(0,), target=0.9)
    assert below["passed"] and below["target"] == 0.8
    assert not above["passed"] and above["target"] == 0.9


def test_a_run_that_really_diverges_scores_zero():
    with pytest.warns(Warning, match="diverged"):
        _, history = lab.run({"optimizer": "sgd", "lr": 10.0}, 0)
    assert history.diverged_at is not None and history.val_accuracy[-1] > 0
    with pytest.warns(Warning, match="diverged"):
        result = lab.evaluate({"optimizer": "sgd", "lr": 10.0}, seeds=(0,))
    assert result["val_accuracy"] == [0.0] and result["mean"] == 0.0 and not result["passed"]


@pytest.mark.parametrize("optimizer", sorted(lab.OPTIMIZERS))
def test_weight_decay_reaches_the_optimizer(optimizer):
    c = lab.complete({"optimizer": optimizer, "weight_decay": 0.01})
    assert lab.optimizer_for(c, 10).weight_decay == 0.01


def test_weight_decay_shrinks_the_trained_weights():
    norms = [
        np.linalg.norm(lab.run({"optimizer": "adam", "lr": 3e-3, "weight_decay": wd}, 0)[0].params) for wd in (0, 0.01)
    ]
    assert norms[1] < 0.8 * norms[0]  # measured 8.24 vs 14.08


def test_test_score_is_measured_on_the_test_split():
    config = {"optimizer": "adam", "lr": 1e-2, "hidden": [32]}
    saved = lab._test_looks.copy()
    lab._test_looks.clear()
    try:
        score = lab.test_score(config)
    finally:
        lab._test_looks[:] = saved
    net, history = lab.run(config, 0)
    d = lab.digits()
    assert score == net.accuracy(d.X_test, d.y_test)
    assert score != history.val_accuracy[-1]


@pytest.mark.parametrize("batch_size", [32, 50])  # 1,078 is a multiple of neither: the last batch is short
@pytest.mark.parametrize("schedule", ["cosine", "warmup_cosine", "one_cycle"])
def test_decaying_schedules_span_the_whole_run(schedule, batch_size):
    """The schedule is built for the steps the run takes (short last batch included) and ends near 0."""
    lr = 0.05
    h = lab.run({"optimizer": "sgd", "lr": lr, "schedule": schedule, "batch_size": batch_size}, 0, epochs=2)[1]
    assert len(h.lr) == 2 * -(-1078 // batch_size)
    assert 0 < h.lr[-1] < 0.02 * lr and h.lr.max() <= lr
    assert np.all(np.diff(h.lr[np.argmax(h.lr) :]) <= 0)  # after the peak it only decreases
    if schedule == "warmup_cosine":
        warmup = lab.DEFAULTS["warmup_steps"]
        assert h.lr[warmup] == lr and h.lr[warmup - 1] < lr
