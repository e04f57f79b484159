"""Divergence end to end: a run that blows up stops at its first non-finite loss, says where, applies no
update after it, and the figures show the divergence (a red ✗ and "diverged at step k", or a text
when nothing finite is left) instead of an empty axis.

Unlike tests/test_train.py (stand-in optimizers) these runs use the course's own optimizers,
networks, surfaces and plots, and the step of divergence is predicted by an independent replica.
"""

import math
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_utils import data, nn, optim, plots, surfaces, train

RED = plots.DIVERGED
# matplotlib's overflow warnings while scaling an axis to losses near 1e308 were the symptom of an empty axis
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def red_crosses(ax):
    return [
        line
        for line in ax.get_lines()
        if line.get_marker() == "x" and line.get_color() == RED and len(line.get_xdata())
    ]


def labels(ax):
    return ax.get_legend_handles_labels()[1]


def assert_drawn_and_in_view(ax, xs, ys):
    """The figure renders, and the points (xs, ys) lie inside the visible limits (not an empty axis)."""
    ax.figure.canvas.draw()
    (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
    xs, ys = np.atleast_1d(xs), np.atleast_1d(ys)
    assert np.all((x0 <= xs) & (xs <= x1)), (ax.get_xlim(), xs.min(), xs.max())
    assert np.all((y0 <= ys) & (ys <= y1)), (ax.get_ylim(), ys.min(), ys.max())


# --------------------------------------------------------------------------- fit
LR = 0.1  # the Hessian of this regression has eigenvalues up to ~70: gradient descent is stable below ~0.03


def regression():
    X, y = data.noisy_line(64, seed=0)
    return X * 10, y * 10


def replica_divergence(w, b, x, y, lr):
    """Plain full-batch gradient descent on L = mean((w x + b - y)^2): (first step whose loss or gradient is
    not finite, (w, b) at that step)."""
    n = len(y)
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(10_000):
            diff = w * x + b - y
            loss = np.dot(diff, diff) / n
            gw, gb = 2 / n * np.dot(diff, x), 2 / n * diff.sum()
            if not (math.isfinite(loss) and math.isfinite(gw) and math.isfinite(gb)):
                return t, (w, b)
            w, b = w - lr * gw, b - lr * gb
    raise AssertionError("the replica did not diverge")


def test_fit_stops_at_the_first_non_finite_loss_reports_the_step_and_applies_no_update_after_it():
    X, y = regression()
    net = nn.MLP([1, 1], loss="mse", seed=0)  # linear regression: one weight, one bias
    expected, (w, b) = replica_divergence(*net.params, X[:, 0], y, LR)
    assert 50 < expected < 1000  # a genuine blow-up, many steps in
    opt = optim.SGD(lr=LR)
    after_each_step = []
    with pytest.warns(
        train.DivergenceWarning,
        match=rf"training diverged: loss became (inf|nan) at step "
        rf"{expected} \(epoch {expected}, lr=0\.1\); stopped",
    ):
        history = train.fit(
            net,
            opt,
            X,
            y,
            steps=5000,
            batch_size=len(y),
            shuffle=False,
            progress=False,
            callback=lambda step, net_, loss: after_each_step.append(net_.params.copy()),
        )
    assert history.diverged_at == expected and history.stopped_by == "diverged"
    assert f"at step {expected}" in history.message
    assert len(history.loss) == expected + 1 and history.steps == expected
    assert np.all(np.isfinite(history.loss[:expected])) and not np.isfinite(history.loss[expected])
    assert np.all(history.loss[1:expected] > history.loss[: expected - 1])  # it grew all the way
    # no update at or after the diverging step: `expected` updates, the last one seen by the callback
    assert opt.t == expected and len(after_each_step) == expected
    np.testing.assert_array_equal(net.params, after_each_step[-1])
    np.testing.assert_allclose(net.params, [w, b], rtol=1e-9)  # the replica's parameters at that step
    # the last evaluation is of the parameters after the last update, whose loss the next step found infinite
    assert history.eval_step[-1] == expected and not np.isfinite(history.train_loss[-1])
    assert np.all(np.isfinite(history.train_loss[:-1]))


@pytest.mark.parametrize(
    "dtype, make_net, make_opt, batch_size",
    [
        (np.float32, lambda: nn.MLP([1, 1], loss="mse", dtype=np.float32), lambda: optim.Adam(lr=1e20), 64),
        (
            np.float32,
            lambda: nn.MLP([1, 8, 1], activation="tanh", loss="mse", dtype=np.float32, seed=1),
            lambda: optim.SGD(lr=0.5, momentum=0.9),
            16,
        ),
        (
            np.float64,
            lambda: nn.MLP([1, 8, 8, 1], activation="relu", loss="mse", seed=2),
            lambda: optim.NAdam(lr=1e200),
            8,
        ),
    ],
    ids=["float32 Adam lr=1e20", "float32 tanh net, momentum SGD, mini-batches", "relu net, NAdam lr=1e200"],
)
def test_fit_divergence_in_other_settings_stops_at_the_first_non_finite_step(dtype, make_net, make_opt, batch_size):
    X, y = regression()
    net, opt = make_net(), make_opt()
    after_each_step = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = train.fit(
            net,
            opt,
            X,
            y,
            epochs=500,
            batch_size=batch_size,
            seed=3,
            progress=False,
            callback=lambda step, net_, loss: after_each_step.append(net_.params.copy()),
        )
    k = history.diverged_at
    assert k is not None and history.stopped_by == "diverged"
    finite = np.isfinite(history.loss) & np.isfinite(history.grad_norm)
    assert np.flatnonzero(~finite).tolist() == [k] == [len(history.loss) - 1]  # the first non-finite step, the last
    messages = [str(w.message) for w in caught if issubclass(w.category, train.DivergenceWarning)]
    assert len(messages) == 1 and f"at step {k} " in messages[0]
    assert opt.t == k and len(after_each_step) == k
    assert net.params.dtype == dtype and np.all(np.isfinite(net.params))  # stopped before the update
    if k:
        np.testing.assert_array_equal(net.params, after_each_step[-1])


def test_fit_that_diverges_at_step_0_changes_nothing_and_its_curve_is_a_text_not_an_empty_axis():
    X, y = regression()
    net = nn.MLP([1, 1], loss="mse", seed=0)
    start = net.params.copy()
    opt = optim.SGD(lr=LR)
    with pytest.warns(train.DivergenceWarning, match=r"at step 0 \(epoch 0"):
        history = train.fit(net, opt, X * 1e200, y, steps=10, batch_size=len(y), progress=False)
    assert history.diverged_at == 0 and history.steps == 0 and opt.t == 0
    np.testing.assert_array_equal(net.params, start)
    ax = plots.loss_curves(history)
    assert not ax.get_lines() and [t.get_text() for t in ax.texts] == ["loss (diverged at step 0)"]
    assert ax.texts[0].get_color() == RED
    ax.figure.canvas.draw()


def test_loss_curves_of_a_diverged_history_mark_the_step_with_a_red_cross():
    X, y = regression()
    with pytest.warns(train.DivergenceWarning):
        history = train.fit(
            nn.MLP([1, 1], loss="mse", seed=0),
            optim.SGD(lr=LR),
            X,
            y,
            steps=5000,
            batch_size=len(y),
            shuffle=False,
            progress=False,
        )
    k = history.diverged_at
    for ax, name in ((plots.loss_curves(history), "loss"), (plots.loss_curves({"SGD lr=0.1": history}), "SGD lr=0.1")):
        assert labels(ax) == [f"{name} (diverged at step {k})"]
        (curve,) = [line for line in ax.get_lines() if line.get_label() == labels(ax)[0]]
        np.testing.assert_array_equal(curve.get_ydata(), history.loss[:k])  # every finite loss is drawn
        (cross,) = red_crosses(ax)
        np.testing.assert_array_equal(cross.get_xydata(), [[k - 1, history.loss[k - 1]]])  # the last finite one
        assert ax.get_yscale() == "log" and not ax.texts
        assert history.loss[k - 1] > 1e300  # so autoscaling alone would overflow ...
        assert_drawn_and_in_view(ax, np.arange(k), history.loss[:k])  # ... yet every finite loss is in view
    ax = plots.loss_curves(history, log=False)
    assert_drawn_and_in_view(ax, np.arange(k), history.loss[:k])


# --------------------------------------------------------------------------- descend
RATES = np.array([0.001, 0.009, 0.011, 0.012, 0.05])  # stable below 2 / 200 = 0.01 on the elongated surface
STEPS = 2500


def replica_descend(surface, lr, start, steps):
    """Gradient descent alone: (step whose point or loss is not finite, or -1; the path of points)."""
    theta, path = start.copy(), [start.copy()]
    with np.errstate(all="ignore"):
        for t in range(steps):
            theta = theta - surface.grad(theta) * lr
            if not np.isfinite(surface.value(theta) + theta @ np.ones(2)):
                return t + 1, np.array(path)
            path.append(theta)
    return -1, np.array(path)


@pytest.fixture(scope="module")
def mixed_runs():
    surface = surfaces.elongated()
    with pytest.warns(train.DivergenceWarning) as caught:
        path = train.descend(surface, optim.SGD(lr=RATES[:, None]), np.tile(surface.start, (len(RATES), 1)), STEPS)
    return surface, path, [str(w.message) for w in caught]


def test_descend_reports_the_diverging_runs_steps_and_keeps_the_others_going(mixed_runs):
    surface, path, messages = mixed_runs
    expected = [replica_descend(surface, lr, surface.start, STEPS) for lr in RATES]
    at = path.diverged_at
    assert at.tolist() == [step for step, _ in expected]
    assert at[0] == at[1] == -1 and 0 < at[4] < at[3] < at[2] < STEPS  # the faster it blows up, the earlier
    assert (
        len(messages) == 1 and "3 of 5 run(s) diverged" in messages[0] and f"the first at step {at[4]}" in messages[0]
    )
    for run, (step, replica) in enumerate(expected):
        if step < 0:  # kept going to the end, exactly as if it had run alone
            assert np.all(np.isfinite(path.points[:, run])) and np.all(np.isfinite(path.losses[:, run]))
            np.testing.assert_allclose(path.points[:, run], replica, rtol=1e-12, atol=1e-300)
        else:  # finite up to its last point, nan from the step it diverged; final = its last finite point
            np.testing.assert_allclose(path.points[:step, run], replica, rtol=1e-12, atol=1e-300)
            assert np.all(np.isnan(path.points[step:, run])) and np.all(np.isnan(path.losses[step:, run]))
            np.testing.assert_array_equal(path.final[run], path.points[step - 1, run])
    assert np.all(np.abs(path.points[-1, :2, 1]) < 1e-10)  # the stable runs settled on the valley floor
    assert np.all(np.isfinite(path.final_loss))


def test_trajectories_of_mixed_runs_mark_each_diverged_run_at_its_last_finite_point(mixed_runs):
    surface, path, _ = mixed_runs
    ax = plots.trajectories(surface, {"SGD": path})
    at = path.diverged_at
    expected = [
        f"SGD [{run}]" + (f" (diverged at step {at[run]})" if at[run] >= 0 else "") for run in range(len(RATES))
    ]
    assert [label for label in labels(ax) if label.startswith("SGD")] == expected
    crosses = red_crosses(ax)
    assert len(crosses) == 3
    ends = sorted(map(tuple, np.array([cross.get_xydata()[0] for cross in crosses])))
    assert ends == sorted(tuple(path.points[at[run] - 1, run]) for run in (2, 3, 4))
    squares = [line for line in ax.get_lines() if line.get_marker() == "s"]
    assert len(squares) == 2  # the two runs that went on end at a square


def test_trajectories_of_one_diverged_run():
    surface = surfaces.elongated()
    with pytest.warns(train.DivergenceWarning):
        path = train.descend(surface, optim.SGD(lr=0.05), surface.start, 500)
    assert isinstance(path.diverged_at, int)
    ax = plots.trajectories(surface, {"GD η=0.05": path})
    assert f"GD η=0.05 (diverged at step {path.diverged_at})" in labels(ax)
    (cross,) = red_crosses(ax)
    np.testing.assert_array_equal(cross.get_xydata()[0], path.points[path.diverged_at - 1])


def test_loss_curves_of_many_runs_end_the_band_at_the_first_divergence_and_mark_it(mixed_runs):
    _, path, _ = mixed_runs
    first = int(path.diverged_at[path.diverged_at >= 0].min())
    ax = plots.loss_curves({"SGD": path.losses})
    assert labels(ax) == [f"SGD (median of 5, band min-max; diverged at step {first}: 3 of 5 runs)"]
    (cross,) = red_crosses(ax)
    assert cross.get_xdata()[0] == first - 1
    finite = path.losses[:first]
    assert_drawn_and_in_view(ax, np.arange(first), np.concatenate([finite.min(axis=1), finite.max(axis=1)]))
    ax = plots.loss_curves({"SGD": np.full((4, 3), np.nan)}, log=False)  # nothing finite: a text
    assert not ax.get_lines() and "diverged at step 0" in ax.texts[0].get_text()
    ax = plots.loss_curves(path)  # a descend() result on its own: its losses
    assert "diverged at step" in labels(ax)[0]


class Parabola:
    """L(θ) = θ², a 1-D surface on which gradient descent diverges for lr > 1."""

    dim, name, bounds, project = 1, "parabola", (-3.0, 3.0), None

    def value(self, theta, step=None):
        return np.asarray(theta)[..., 0] ** 2

    def grad(self, theta, step=None):
        return 2 * np.asarray(theta)


def test_curve_1d_marks_a_diverged_run():
    with pytest.warns(train.DivergenceWarning):
        path = train.descend(Parabola(), optim.SGD(lr=np.array([[0.1], [1.5]])), np.array([[2.0], [2.0]]), 2000)
    at = path.diverged_at
    assert at[0] == -1 and at[1] > 0
    ax = plots.curve_1d(Parabola(), {"GD": path})
    assert any(label.startswith("GD [0]: ends at θ = ") for label in labels(ax))
    assert f"GD [1] (diverged at step {at[1]})" in labels(ax)
    (cross,) = red_crosses(ax)
    assert cross.get_xdata()[0] == path.points[at[1] - 1, 1, 0]


def test_an_expected_divergence_can_be_silenced():
    """warn=False: no DivergenceWarning, but the history and the trajectory still say where."""
    import warnings as _w

    from course_utils import data, nn, optim, surfaces, train

    d = data.digits_split(seed=0)
    with _w.catch_warnings():
        _w.simplefilter("error")  # any warning would fail the test
        h = train.fit(nn.MLP([64, 16, 10], seed=0), optim.SGD(lr=1e6), d.X_train, d.y_train, steps=50, warn=False)
        path = train.descend(surfaces.quadratic(100), optim.SGD(lr=1.0), surfaces.quadratic(100).start, 400, warn=False)
    assert h.diverged_at is not None and "diverged" in h.message
    assert path.diverged_at is not None and "diverged" in path.message
