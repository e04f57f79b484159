"""The plotting helpers draw what they promise, including runs that diverged."""

from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_utils import plots


class Bowl:
    """A stand-in 2-D surface so these tests do not depend on course_utils.surfaces."""

    dim, name = 2, "bowl"
    bounds = ((-2.0, 2.0), (-1.0, 1.0))
    minimum = np.zeros(2)

    def value(self, theta, step=None):
        theta = np.asarray(theta)
        return theta[..., 0] ** 2 + 10 * theta[..., 1] ** 2


class Curve:
    dim, bounds = 1, (-3.0, 3.0)

    def value(self, theta, step=None):
        return np.asarray(theta)[..., 0] ** 2


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_contour_uses_explicit_bounds():
    ax = plots.contour(Bowl(), bounds=((-1, 1), (-0.5, 0.5)))
    assert ax.get_xlim() == (-1, 1) and ax.get_ylim() == (-0.5, 0.5)
    assert ax.get_xlabel() and ax.get_ylabel()
    ax = plots.contour(Bowl(), levels=[0.1, 1.0, 5.0], log_levels=False, show_minimum=False)
    assert not [ln for ln in ax.get_lines() if ln.get_marker() == "*"]
    with pytest.raises(ValueError, match="surface must be 2-D"):
        plots.contour(Curve())


def test_trajectories_mark_divergence():
    good = np.array([[1.0, 0.5], [0.5, 0.2], [0.1, 0.0]])
    bad = np.array([[1.0, 0.5], [3.0, -2.0], [np.inf, np.nan], [np.nan, np.nan]])
    described = SimpleNamespace(points=good, diverged_at=None)
    ax = plots.trajectories(Bowl(), {"GD": good, "Adam": bad, "Momentum": described}, title="t")
    labels = ax.get_legend_handles_labels()[1]
    assert "Adam (diverged at step 2)" in labels and "GD" in labels and "Momentum" in labels
    red_x = [ln for ln in ax.get_lines() if ln.get_marker() == "x"]
    assert len(red_x) == 1 and np.allclose(red_x[0].get_xydata()[0], [3.0, -2.0])
    assert ax.get_title() == "t"


def test_trajectories_honour_diverged_at_attribute():
    path = SimpleNamespace(points=np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]), diverged_at=1)
    ax = plots.trajectories(Bowl(), {"SGD": path})
    assert "SGD (diverged at step 1)" in ax.get_legend_handles_labels()[1]


def test_curve_1d():
    ax = plots.curve_1d(Curve(), {"GD": np.array([[2.0], [1.0], [0.5]])}, title="1-D")
    assert "GD: ends at θ = 0.50" in ax.get_legend_handles_labels()[1]


def test_loss_curves_divergence_and_bands():
    history = SimpleNamespace(loss=np.array([1.0, 0.5, 0.25]), diverged_at=None)
    ax = plots.loss_curves(
        {
            "ok": history,
            "blows up": np.array([1.0, 10.0, np.inf, np.nan]),
            "seeds": np.abs(np.random.default_rng(0).normal(size=(5, 3))) + 0.1,
        },
        title="x",
    )
    labels = ax.get_legend_handles_labels()[1]
    assert "blows up (diverged at step 2)" in labels
    assert any(label.startswith("seeds (median of 3") for label in labels)
    assert ax.get_yscale() == "log"


def test_loss_curves_never_leave_an_empty_axis():
    ax = plots.loss_curves({"lr=10": np.array([np.nan, np.nan])}, log=False)
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["lr=10 (diverged at step 0)"]


def test_loss_curves_with_diverged_at_and_no_nan():
    history = SimpleNamespace(loss=np.array([1.0, 2.0, 4.0]), diverged_at=2)
    ax = plots.loss_curves({"run": history})
    assert "run (diverged at step 2)" in ax.get_legend_handles_labels()[1]


def test_schedules_and_heatmap():
    ax = plots.schedules({"const": lambda t: 0.1 + 0 * t, "decay": lambda t: 0.1 / np.sqrt(t + 1)}, 50, log=True)
    assert len(ax.get_lines()) == 2 and ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        plots.schedules({}, 0)
    values = np.array([[0.3, np.nan], [0.1, 0.2]])
    ax = plots.heatmap(values, ["a", "b"], [1, 2], xlabel="x", ylabel="y", title="grid")
    assert [t.get_text() for t in ax.texts] == ["0.30", "div.", "0.10", "0.20"]
    best = [p for p in ax.patches][-1]
    assert best.get_xy() == (-0.5, 0.5)
    with pytest.raises(ValueError, match="values has shape"):
        plots.heatmap(values, ["a"], [1, 2])
    plots.heatmap(values, ["a", "b"], [1, 2], best="max", log_color=True)


def test_animate_returns_html():
    html = plots.animate(Bowl(), {"GD": np.array([[1.0, 0.5], [0.5, 0.2], [0.1, 0.0]])}, frames=3, title="a")
    assert "<script" in html.data


def test_colours_are_distinct_within_a_figure_and_keep_a_method_colour():
    from matplotlib.colors import to_hex

    colors = plots._colors(["Adam", "GD lr=0.1", "GD lr=1e-3", "Adam + warm-up", "mine"], {"mine": "black"})
    assert colors[0] == plots.COLORS["Adam"] and colors[1] == plots.COLORS["GD"]
    assert len({to_hex(c) for c in colors}) == 5 and colors[4] == "black"
    many = plots._colors([f"run {i}" for i in range(12)])
    assert len(many) == 12 and len({to_hex(c) for c in many[:10]}) == 10
    ax = plots.loss_curves({"a": [1.0, 0.5], "b": [1.0, 0.7]}, colors={"a": "red"})
    assert ax.get_lines()[0].get_color() == "red"
