"""The optimizer playground's app (course_utils.playground), driven without a browser."""

import numpy as np
import pytest

from course_utils import optim, surfaces
from course_utils.playground import (
    OPTIMIZERS,
    PRESETS,
    SCHEDULES,
    Noisy,
    Playground,
    app_mode,
    build,
    descend_all,
    tune,
)


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
    opt = optim.Adam(
        lr=settings["Adam"]["lr"],
        betas=(settings["Adam"]["beta1"], settings["Adam"]["beta2"]),
        eps=settings["Adam"]["eps"],
    )
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
    assert lr is not None and 1e-5 <= lr <= 10**0.5


# ---- presets, copy as code, gradient noise, projector and app mode ---------------------------------
@pytest.fixture(scope="module")
def lecture():
    return Playground(surface="quadratic", show=("SGD",), steps=30)


def end_point(app, name):
    """Where optimizer ``name`` ends in the app, read from the runs it drew last."""
    return app.cache[app.last_keys[name]]["points"][-1]


def test_every_preset_applies_and_draws(lecture):
    for name in PRESETS:
        lecture.apply(name)
        shown = [n for n, box in lecture.show_w.items() if box.value]
        assert lecture.error is None and shown == [n for n in OPTIMIZERS if n in PRESETS[name]["show"]], name
        assert lecture.surface_w.value == PRESETS[name]["surface"] and name in lecture.note_w.value
        assert "not run" not in lecture.table_w.value, name


def test_reddi_presets_reproduce_the_lecture(lecture):
    """Reddi et al.: Adam (β₁ = 0, β₂ = 0.1, η/√(t+1)) ends near the worst point +1, AMSGrad near the best, −1."""
    lecture.apply("Reddi et al.: Adam drifts to the worst point")
    assert lecture.hyper["Adam"]["beta2"].value == 0.1 and lecture.steps_w.value == 300
    assert end_point(lecture, "Adam")[0] > 0.9
    lecture.apply("Reddi et al.: AMSGrad heads for the best point")
    assert end_point(lecture, "Adam")[0] < -0.9


def test_elongated_preset_puts_sgd_at_its_stability_limit(lecture):
    lecture.apply("elongated bowl: SGD at its stability limit")
    assert lecture.hyper["SGD"]["lr"].value == 0.01
    run = lecture.cache[lecture.last_keys["SGD"]]
    assert abs(run["points"][-1][1]) > 0.05, "θ₂ still bounces between the walls at η = 0.01"


def test_copy_as_code_reproduces_the_app(lecture):
    for name in (
        "Reddi et al.: AMSGrad heads for the best point",
        "Rosenbrock: momentum, then Lookahead",
        "SGD's noise: noisy gradients",
        "warm-up calms Adam's first steps",
    ):
        lecture.apply(name)
        namespace = {}
        exec(lecture.code(), namespace)  # noqa: S102 - the app's own code
        paths = namespace["paths"]
        assert set(paths) == {n for n, box in lecture.show_w.items() if box.value}, name
        for optimizer, path in paths.items():
            np.testing.assert_allclose(
                path.final, end_point(lecture, optimizer), rtol=1e-12, atol=1e-15, err_msg=f"{name}: {optimizer}"
            )
    assert lecture.code_w.value == lecture.code()


def test_gradient_noise_is_seeded_and_changes_the_path():
    s, settings = surfaces.ALL["quadratic"](), Playground(show=("SGD",), steps=10).settings()
    run = lambda noise, seed: descend_all(s, ["SGD"], settings, np.ones(50), s.start, 50, noise, seed)["SGD"]["points"]
    clean, noisy, again, other = run(0.0, 0), run(0.5, 0), run(0.5, 0), run(0.5, 1)
    np.testing.assert_array_equal(noisy, again)
    assert not np.allclose(noisy, clean) and not np.allclose(noisy, other)
    noise = Noisy(s, 0.5, seed=3)
    g = noise.grad(np.zeros((4, 2)), step=7) - s.grad(np.zeros((4, 2)), step=7)
    assert np.allclose(g, g[0]) and 0 < np.abs(g).max() < 3, "one noise vector per step, shared by every run"
    assert np.array_equal(noise.grad(np.zeros(2), step=None), s.grad(np.zeros(2), step=None))


def test_noise_slider_recomputes(lecture):
    lecture.apply("SGD's noise: noisy gradients")
    before = end_point(lecture, "SGD").copy()
    lecture.seed_w.value = 5
    assert lecture.error is None and not np.allclose(end_point(lecture, "SGD"), before)
    lecture.noise_w.value = 0.0
    assert "Noisy" not in lecture.code()


def test_projector_mode_enlarges_the_figures(lecture):
    small = lecture.panels["path"].canvas.get_width_height()
    lecture.projector_w.value = True
    large = lecture.panels["path"].canvas.get_width_height()
    assert large[0] > 1.5 * small[0] and "pg-projector" in lecture.widget._dom_classes and lecture.error is None
    lecture.projector_w.value = False
    assert lecture.panels["path"].canvas.get_width_height() == small


def test_app_mode_hides_the_timings():
    assert not app_mode({}) and app_mode({"VOILA_REQUEST_URL": "http://h/voila/render/playground.ipynb"})
    assert not app_mode({"VOILA_REQUEST_URL": "http://h/?token=x&dev=1"})
    assert Playground(show=("SGD",), steps=10, app=True).timing_w.layout.display == "none"


def test_make_playground_takes_an_address(monkeypatch):
    from tools import playground as launcher

    command = launcher.voila_command(9123, "tok", host="0.0.0.0")
    assert "--Voila.ip=0.0.0.0" in command and "--port=9123" in command and "--template=course-app" in command
    assert (launcher.TEMPLATES / "voila" / "templates" / "course-app" / "index.html.j2").exists()
    assert str(launcher.TEMPLATES) in launcher.voila_env({})["JUPYTER_PATH"]
