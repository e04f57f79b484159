"""Figures a person would put on a slide: one style, labelled axes, explicit bounds.

Every function draws on an ``ax`` it is given (or a new one) and returns the ``ax``, so a
notebook composes figures with ``fig, axes = plt.subplots(...)``. Runs that diverged are
drawn up to their last finite value and marked with a red ✗ and the step, never left as an
empty axis.

Inputs are deliberately loose: a trajectory may be a ``train.descend`` result (anything
with ``.points`` and ``.diverged_at``) or a plain array of points; a loss curve may be a
``train.fit`` history (anything with ``.loss``) or a plain array.
"""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from . import _validate

STYLE = {
    "figure.figsize": (6.4, 4.2),
    "figure.dpi": 100,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.labelsize": 11,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "lines.linewidth": 1.8,
    "image.cmap": "viridis",
}
#: One colour per optimizer name, so a method keeps its colour across the course.
COLORS = {
    "GD": "#1f77b4",
    "SGD": "#1f77b4",
    "Momentum": "#ff7f0e",
    "SGDM": "#ff7f0e",
    "Heavy ball": "#ff7f0e",
    "Nesterov": "#8c564b",
    "Adagrad": "#2ca02c",
    "RMSprop": "#d62728",
    "RMSProp": "#d62728",
    "Adam": "#9467bd",
    "AdamW": "#e377c2",
    "AMSGrad": "#17becf",
    "NAdam": "#bcbd22",
    "RAdam": "#7f7f7f",
    "AdaBound": "#393b79",
    "Lookahead": "#2e7d32",
}
DIVERGED = "#d62728"


def use_style() -> None:
    """Apply the course's figure style (called when this module is imported)."""
    mpl.rcParams.update(STYLE)


use_style()


def _ax(ax):
    return ax if ax is not None else plt.subplots()[1]


def _colors(labels, given=None):
    """One distinct colour per label: a method's own colour (``COLORS``, looked up by the label's
    first word) the first time that method appears, then unused default colours — so "GD η=0.1"
    and "GD η=1e-3" differ. ``given`` maps labels to colours the caller chose."""
    given = dict(given or {})
    used = {mpl.colors.to_hex(c) for c in given.values()}
    spare = [f"C{i}" for i in range(10)]
    chosen = []
    for label in labels:
        color = given.get(label)
        if color is None:
            color = COLORS.get(str(label).split(" ")[0])
            if color is None or mpl.colors.to_hex(color) in used:
                free = [c for c in spare if mpl.colors.to_hex(c) not in used]
                color = free[0] if free else spare[len(chosen) % 10]
        used.add(mpl.colors.to_hex(color))
        chosen.append(color)
    return chosen


def _points_and_divergence(path):
    """(points array of shape (steps+1, dim), first non-finite step or None)."""
    points = np.asarray(getattr(path, "points", path), dtype=float)
    if points.ndim == 1:
        points = points[:, None]
    finite = np.all(np.isfinite(points), axis=-1)
    diverged = getattr(path, "diverged_at", None)
    if diverged is not None and np.ndim(diverged) == 0 and diverged is not False and int(diverged) >= 0:
        return points, int(diverged)
    bad = np.flatnonzero(~finite)
    return points, (int(bad[0]) if bad.size else None)


def _single_runs(paths):
    """``{label: path}`` with a many-run path (points ``(steps+1, runs, dim)``, e.g. a multi-run
    ``descend`` result) split into one entry per run, ``"label [i]"``, each with its own ``diverged_at``."""
    out = {}
    for label, path in dict(paths).items():
        points = np.asarray(getattr(path, "points", path), dtype=float)
        if points.ndim <= 2:
            out[label] = path
            continue
        points = points.reshape(len(points), -1, points.shape[-1])
        diverged = getattr(path, "diverged_at", None)
        diverged = np.full(points.shape[1], -1) if diverged is None else np.ravel(diverged)
        for run in range(points.shape[1]):
            out[f"{label} [{run}]"] = SimpleNamespace(points=points[:, run], diverged_at=int(diverged[run]))
    return out


def contour(surface, ax=None, bounds=None, levels=30, resolution=200, log_levels=True, filled=True, show_minimum=True):
    """Contour plot of a 2-D ``surface`` over explicit ``bounds`` ((x_min, x_max), (y_min, y_max)).

    ``levels`` is a number of levels, spaced logarithmically above the minimum when
    ``log_levels`` (so both the valley floor and the walls show) — or, with
    ``log_levels=False``, anything matplotlib accepts (e.g. explicit level values). Marks the
    known minimum with a white star unless ``show_minimum=False``.
    """
    ax = _ax(ax)
    if getattr(surface, "dim", 2) != 2:
        raise ValueError(f"surface must be 2-D for a contour plot, got dim={surface.dim}")
    (x0, x1), (y0, y1) = bounds if bounds is not None else surface.bounds
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    X, Y = np.meshgrid(xs, ys)
    Z = surface.value(np.stack([X, Y], axis=-1))
    if log_levels:
        lo, hi = float(np.min(Z)), float(np.max(Z))
        spread = max(hi - lo, 1e-12)
        lv = lo + spread * (np.logspace(-4, 0, levels))
        lv = np.unique(np.concatenate([[lo], lv]))
    else:
        lv = levels
    if filled:
        ax.contourf(X, Y, Z, levels=lv, cmap="viridis", alpha=0.85)
    ax.contour(X, Y, Z, levels=lv, colors="white", linewidths=0.4, alpha=0.6)
    minimum = getattr(surface, "minimum", None) if show_minimum else None
    if minimum is not None:
        ax.plot(
            *np.asarray(minimum)[:2],
            marker="*",
            color="white",
            markersize=14,
            markeredgecolor="black",
            linestyle="none",
            label="minimum",
        )
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel(r"$\theta_1$")
    ax.set_ylabel(r"$\theta_2$")
    ax.grid(False)
    return ax


def trajectories(surface, paths, ax=None, bounds=None, title=None, markers=True, contour_kwargs=None, colors=None):
    """Optimizer paths over the contours of ``surface``.

    ``paths``: ``{label: points (steps+1, 2) or a descend() result}``. Each path starts at a
    circle and ends at a square; a path that diverged ends at a red ✗ at its last finite point,
    with the step in its legend label. A result of many runs is drawn as one path per run.
    """
    ax = contour(surface, ax=ax, bounds=bounds, **(contour_kwargs or {}))
    paths = _single_runs(paths)
    for color, (label, path) in zip(_colors(paths, colors), paths.items()):
        points, diverged = _points_and_divergence(path)
        shown = points[:diverged] if diverged is not None else points
        text = f"{label} (diverged at step {diverged})" if diverged is not None else label
        ax.plot(shown[:, 0], shown[:, 1], "-", color=color, label=text, marker="." if markers else None, markersize=3)
        if len(shown):
            ax.plot(*shown[0, :2], "o", color=color, markersize=6, markeredgecolor="black")
            end_marker = "x" if diverged is not None else "s"
            ax.plot(
                *shown[-1, :2],
                end_marker,
                color=DIVERGED if diverged is not None else color,
                markersize=9 if diverged is not None else 6,
                markeredgewidth=2.5 if diverged is not None else 1,
            )
    ax.legend(loc="best")
    if title:
        ax.set_title(title)
    return ax


def curve_1d(surface, paths=None, ax=None, bounds=None, resolution=400, title=None, colors=None):
    """A 1-D loss curve with optimizer paths drawn as balls rolling on it."""
    ax = _ax(ax)
    x0, x1 = bounds if bounds is not None else surface.bounds
    xs = np.linspace(x0, x1, resolution)
    ax.plot(xs, surface.value(xs[:, None]), color="black", linewidth=2, label="loss")
    paths = _single_runs(paths or {})
    for color, (label, path) in zip(_colors(paths, colors), paths.items()):
        points, diverged = _points_and_divergence(path)
        shown = points[:diverged] if diverged is not None else points
        if diverged is not None:  # a red ✗ at its last finite point, as in trajectories
            label = f"{label} (diverged at step {diverged})"
            if len(shown) == 0:
                ax.plot([], [], "x", color=DIVERGED, label=label)
                continue
        ys = surface.value(shown[:, :1])
        ax.plot(shown[:, 0], ys, "o", color=color, alpha=0.35, markersize=4)
        if diverged is not None:
            ax.plot(shown[-1, 0], ys[-1], "x", color=DIVERGED, markersize=12, markeredgewidth=3, label=label)
        else:
            ax.plot(
                shown[-1, 0],
                ys[-1],
                "o",
                color=color,
                markersize=11,
                markeredgecolor="black",
                label=f"{label}: ends at θ = {shown[-1, 0]:.2f}",
            )
    ax.set_xlim(x0, x1)
    ax.set_xlabel(r"parameter $\theta$")
    ax.set_ylabel(r"loss $L(\theta)$")
    ax.legend(loc="best")
    if title:
        ax.set_title(title)
    return ax


def _keep_in_view(ax, low, high, log):
    """Explicit y-limits where matplotlib's 5 % margins would overflow: the last finite loss before a
    divergence is often near 1e308, and the autoscaled axis then came out empty (limits 1 to 10)."""
    if log:
        if low > 0:
            a, b = np.log10(low), np.log10(high)
            margin = 0.05 * (b - a)
            if b + margin > 300:
                bottom, top = a - margin, min(b + margin, 308.0)
                ax.set_ylim(10**bottom, 10**top)
                # matplotlib's log locator would ask for decades beyond 1e308: name the decades here
                stride = max(1, int(np.ceil((top - bottom) / 8)))
                ax.yaxis.set_major_locator(mpl.ticker.FixedLocator(10.0 ** np.arange(np.ceil(bottom), top, stride)))
                ax.yaxis.set_minor_locator(mpl.ticker.NullLocator())
    elif high > 1e300 or low < -1e300:
        ax.set_ylim(max(low, -1.7e308), min(high, 1.7e308))


def loss_curves(curves, ax=None, log=True, xlabel="step", ylabel="training loss", title=None, x=None, colors=None):
    """Loss against step for several runs: ``{label: array or history with .loss}``.

    Arrays of shape (steps, runs) are drawn as the median with a band from the minimum to the
    maximum over runs. A run that diverged is drawn up to its last finite loss and marked with
    a red ✗ and the step; a run with no finite value at all says so in the axes. (For many runs
    the band ends, and is marked, at the first step where any run diverged.) ``curves`` may also
    be one history or array, drawn as "loss".
    """
    ax = _ax(ax)
    notes, drawn = [], []  # drawn: (lowest, highest) value of each curve
    if isinstance(curves, np.ndarray) or hasattr(curves, "loss") or hasattr(curves, "losses"):
        curves = {"loss": curves}
    curves = dict(curves)
    for color, (label, curve) in zip(_colors(curves, colors), curves.items()):
        values = np.asarray(getattr(curve, "loss", getattr(curve, "losses", curve)), dtype=float)
        steps = np.arange(len(values)) if x is None else np.asarray(x)[: len(values)]
        if values.ndim == 2:
            finite_rows = np.all(np.isfinite(values), axis=1)
            cut = len(values) if finite_rows.all() else int(np.argmin(finite_rows))
            label = f"{label} (median of {values.shape[1]}, band min-max)"
            if cut < len(values):
                dead = int(np.sum(~np.all(np.isfinite(values), axis=0)))
                label = f"{label[:-1]}; diverged at step {cut}: {dead} of {values.shape[1]} runs)"
            if cut == 0:
                notes.append(label)
                continue
            mid = np.median(values[:cut], axis=1)
            ax.fill_between(steps[:cut], values[:cut].min(axis=1), values[:cut].max(axis=1), color=color, alpha=0.2)
            ax.plot(steps[:cut], mid, color=color, label=label)
            drawn.append((values[:cut].min(), values[:cut].max()))
            if cut < len(values):
                ax.plot(steps[cut - 1], mid[-1], "x", color=DIVERGED, markersize=12, markeredgewidth=3)
            continue
        diverged = getattr(curve, "diverged_at", None)
        bad = np.flatnonzero(~np.isfinite(values))
        first_bad = int(bad[0]) if bad.size else (int(diverged) if diverged is not None else None)
        shown = values[:first_bad] if first_bad is not None else values
        if first_bad is not None:
            label = f"{label} (diverged at step {first_bad})"
        if len(shown) == 0:
            notes.append(label)
            continue
        ax.plot(steps[: len(shown)], shown, color=color, label=label)
        drawn.append((shown.min(), shown.max()))
        if first_bad is not None:
            ax.plot(steps[len(shown) - 1], shown[-1], "x", color=DIVERGED, markersize=12, markeredgewidth=3)
    if notes:
        ax.text(
            0.5,
            0.5,
            "\n".join(notes),
            transform=ax.transAxes,
            ha="center",
            va="center",
            color=DIVERGED,
            fontsize=12,
            fontweight="bold",
        )
    log = log and any(line.get_ydata().size and np.nanmin(line.get_ydata()) > 0 for line in ax.get_lines())
    if log:
        with np.errstate(over="ignore"):  # autoscaling a loss near 1e308 overflows: _keep_in_view repairs it
            ax.set_yscale("log")
    if drawn:
        _keep_in_view(ax, min(low for low, _ in drawn), max(high for _, high in drawn), log)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best")
    if title:
        ax.set_title(title)
    return ax


def schedules(named, steps, ax=None, title=None, log=False):
    """Learning rate against step for ``{label: schedule}`` (each a callable of the 0-based step)."""
    ax = _ax(ax)
    steps = int(_validate.number("steps", steps, low=1, integer=True))
    t = np.arange(steps)
    for i, (label, schedule) in enumerate(dict(named).items()):
        ax.plot(t, np.broadcast_to(schedule(t), t.shape), label=label, color=f"C{i % 10}")
    ax.set_xlabel("step t")
    ax.set_ylabel(r"learning rate $\eta_t$")
    if log:
        ax.set_yscale("log")
    ax.legend(loc="best")
    if title:
        ax.set_title(title)
    return ax


def heatmap(
    values,
    x_ticks,
    y_ticks,
    ax=None,
    xlabel="",
    ylabel="",
    title=None,
    fmt="{:.2f}",
    cbar_label="",
    best="min",
    log_color=False,
):
    """A labelled grid (e.g. final loss for learning rate × batch size), the best cell outlined.

    Non-finite cells (diverged runs) are shown in grey with the text "div.".
    """
    ax = _ax(ax)
    values = np.asarray(values, dtype=float)
    if values.shape != (len(y_ticks), len(x_ticks)):
        raise ValueError(f"values has shape {values.shape} but the ticks give {(len(y_ticks), len(x_ticks))}")
    _validate.choice("best", best, ("min", "max", None))
    shown = np.ma.masked_invalid(values)
    norm = mpl.colors.LogNorm() if log_color else None
    cmap = mpl.colormaps["viridis_r" if best == "min" else "viridis"].with_extremes(bad="#cccccc")
    image = ax.imshow(shown, cmap=cmap, norm=norm, aspect="auto", origin="lower")
    for (r, c), v in np.ndenumerate(values):
        if np.isfinite(v):  # dark text on light cells, light text on dark ones
            red, green, blue, _ = image.cmap(image.norm(v))
            light = 0.299 * red + 0.587 * green + 0.114 * blue > 0.5
        ax.text(
            c,
            r,
            fmt.format(v) if np.isfinite(v) else "div.",
            ha="center",
            va="center",
            fontsize=8,
            color="black" if not np.isfinite(v) or light else "white",
        )
    if best and np.isfinite(values).any():
        r, c = np.unravel_index(np.nanargmin(values) if best == "min" else np.nanargmax(values), values.shape)
        ax.add_patch(mpl.patches.Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=2.5))
    ax.set_xticks(range(len(x_ticks)), [str(t) for t in x_ticks])
    ax.set_yticks(range(len(y_ticks)), [str(t) for t in y_ticks])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(False)
    plt.colorbar(image, ax=ax, label=cbar_label)
    if title:
        ax.set_title(title)
    return ax


def animate(surface, paths, frames=None, interval=60, bounds=None, title=None):
    """An HTML (JavaScript) animation of optimizer paths moving over the contours.

    Returns an ``IPython.display.HTML`` object; the figure is closed so it does not show twice.
    """
    from IPython.display import HTML
    from matplotlib.animation import FuncAnimation

    paths = {label: _points_and_divergence(p)[0] for label, p in _single_runs(paths).items()}
    n = max(len(p) for p in paths.values())
    frames = min(n, 120) if frames is None else int(_validate.number("frames", frames, low=1, integer=True))
    fig, ax = plt.subplots()
    contour(surface, ax=ax, bounds=bounds)
    lines = {
        label: ax.plot([], [], "-o", color=color, markersize=3, label=label)[0]
        for color, label in zip(_colors(paths), paths)
    }
    ax.legend(loc="best")
    if title:
        ax.set_title(title)
    index = np.linspace(0, n - 1, frames).astype(int)

    def draw(frame):
        upto = index[frame] + 1
        for label, line in lines.items():
            shown = paths[label][:upto]
            line.set_data(shown[:, 0], shown[:, 1])
        return list(lines.values())

    movie = FuncAnimation(fig, draw, frames=frames, interval=interval, blit=True)
    html = HTML(movie.to_jshtml())
    plt.close(fig)
    return html
