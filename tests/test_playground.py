"""The optimizer playground's app (course_utils.playground), driven without a browser."""
import numpy as np
import pytest

from course_utils import optim, surfaces
from course_utils.playground import OPTIMIZERS, SCHEDULES, Playground, build, descend_all, tune


@pytest.fixture(scope="module")
def app():
    return Playground(surface="rosenbrock", show=("SGD", "Adam"), steps=40)


def settings_of(app):
    return app.settings()


def test_every_optimizer_and_schedule_can_be_built(app):
    settings = settings_of(app)
    rates = np.ones(10)
    for name, (cls, _) in OPTIMIZERS.items():
        opt = build(name, settings, rates)
        assert isinstance(opt, cls)
    assert len(SCHEDULES) >= 8


def test_one_descent_equals_each_optimizer_alone(app):
    """Rows hands each optimizer its own row: the same iterates as running it by itself."""
    settings, s = settings_of(app), surfaces.ALL["rosenbrock"]()
    start, rates = np.array([-1.5, 1.5]), np.ones(30)
    together = descend_all(s, ["SGD", "Adam"], settings, rates, start, 30)
    opt = optim.Adam(lr=settings["Adam"]["lr"], betas=(settings["Adam"]["beta1"], settings["Adam"]["beta2"]),
                     eps=settings["Adam"]["eps"])
    theta = start.copy()
    for _ in range(30):
        opt.step(theta, s.grad(theta))
    np.testing.assert_allclose(together["Adam"]["points"][-1], theta, rtol=1e-12)


def test_a_bad_setting_is_reported_not_raised(app):
    settings = settings_of(app)
    settings["Adam"] = {**settings["Adam"], "beta1": 1.5}
    runs = descend_all(surfaces.ALL["rosenbrock"](), ["Adam"], settings, np.ones(5), np.array([0.0, 0.0]), 5)
    assert "betas[0]" in runs["Adam"]["error"]


def test_sliders_recompute_and_redraw(app):
    before = app.panels["path"].image.value
    app.hyper["Adam"]["lr"].value = 0.1
    assert app.error is None and app.panels["path"].image.value != before
    assert "0.1" in app.table_w.value
    app.steps_w.value = 60
    assert app.error is None and len(app.timings) >= 2


def test_a_diverging_run_is_marked_in_the_table(app):
    app.hyper["SGD"]["lr"].value = 3.0
    assert "diverged at step" in app.table_w.value


def test_tune_picks_a_learning_rate_that_converges(app):
    settings, s = settings_of(app), surfaces.ALL["rosenbrock"]()
    lr = tune(s, "SGD", settings, np.ones(100), s.start, 100)
    assert lr is not None and 1e-5 <= lr <= 10 ** 0.5
