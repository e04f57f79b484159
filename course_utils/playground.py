"""The optimizer playground: every optimizer of the course on every error surface, as one widget.

``notebooks/playground.ipynb`` shows it (``make playground`` serves that notebook as an app)::

    from course_utils.playground import Playground
    app = Playground()          # surface="rosenbrock", show=("SGD", "Adagrad", "RMSprop", "Adam"), steps=100
    display(app.widget)

The code is short on purpose: the optimizers, schedules, surfaces and the descent loop all come
from the rest of ``course_utils``; this module only wires them to widgets and draws fast. Its
sections: what you can choose (``OPTIMIZERS``, ``SCHEDULES``), computing all the optimizers in one
array (``Rows``, ``descend_all``, ``tune``), gradient noise (``Noisy``), the lecture's examples in
one click (``PRESETS``), drawing only what moved (``Panel``), and the app (``Playground``: with
``code()``, the Python that reproduces what it shows, a projector mode and an app mode).
"""

from __future__ import annotations

import os
import time
import warnings
from io import BytesIO

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator, MaxNLocator, NullLocator
from PIL import Image

from . import optim, plots, schedules, surfaces, train

__all__ = ["Playground", "OPTIMIZERS", "SCHEDULES", "PRESETS", "Noisy", "descend_all", "tune", "build", "app_mode"]


def app_mode(environ=None) -> bool:
    """Whether Voilà serves this kernel as an app (Voilà sets ``VOILA_REQUEST_URL`` in its kernels's
    environment), unless the page's URL asks for the developer's view with ``dev=1``."""
    url = (os.environ if environ is None else environ).get("VOILA_REQUEST_URL")
    return url is not None and "dev=1" not in url


# ==== What you can choose ====
#
# Every optimizer of `course_utils.optim` with its hyper-parameters (torch's names and defaults;
# the learning rate `lr` is η), and a learning-rate schedule. A schedule here is a *shape* m(t)
# with m ≤ 1 that multiplies each optimizer's own η: optimizer i uses η_i · m(t) at step t.
def log_slider(value, low, high, step=0.25):
    """A FloatLogSlider spec: value, and the exponents of 10 at its ends."""
    return dict(kind="log", value=value, min=low, max=high, step=step)


def slider(value, low, high, step):
    return dict(kind="float", value=value, min=low, max=high, step=step)


def whole(value, low, high, step=1):
    return dict(kind="int", value=value, min=low, max=high, step=step)


def switch(value):
    return dict(kind="bool", value=value)


LR = log_slider(1e-2, -5, 0.5)
EPS = log_slider(1e-8, -12, 0, 0.5)
DECAY = slider(0.0, 0.0, 0.5, 0.01)
BETA1, BETA2 = slider(0.9, 0.0, 0.99, 0.01), slider(0.999, 0.0, 0.9999, 0.0001)

OPTIMIZERS = {  # name -> (class, {keyword: widget spec}); beta1/beta2 become betas=(beta1, beta2)
    "SGD": (
        optim.SGD,
        dict(
            lr=LR,
            momentum=slider(0.0, 0.0, 0.99, 0.01),
            dampening=slider(0.0, 0.0, 1.0, 0.05),
            weight_decay=DECAY,
            nesterov=switch(False),
        ),
    ),
    "SGDW": (
        optim.SGDW,
        dict(
            lr=LR,
            momentum=slider(0.9, 0.0, 0.99, 0.01),
            weight_decay=slider(0.1, 0.0, 0.5, 0.01),
            nesterov=switch(False),
        ),
    ),
    "Adagrad": (
        optim.Adagrad,
        dict(
            lr=LR,
            lr_decay=slider(0.0, 0.0, 0.1, 0.001),
            weight_decay=DECAY,
            initial_accumulator_value=slider(0.0, 0.0, 1.0, 0.05),
            eps=log_slider(1e-10, -12, 0, 0.5),
        ),
    ),
    "RMSprop": (
        optim.RMSprop,
        dict(
            lr=LR,
            alpha=slider(0.99, 0.5, 0.999, 0.001),
            eps=EPS,
            weight_decay=DECAY,
            momentum=slider(0.0, 0.0, 0.99, 0.01),
            centered=switch(False),
        ),
    ),
    "Adam": (optim.Adam, dict(lr=LR, beta1=BETA1, beta2=BETA2, eps=EPS, weight_decay=DECAY, amsgrad=switch(False))),
    "AdamW": (
        optim.AdamW,
        dict(
            lr=LR, beta1=BETA1, beta2=BETA2, eps=EPS, weight_decay=slider(0.01, 0.0, 0.5, 0.01), amsgrad=switch(False)
        ),
    ),
    "NAdam": (
        optim.NAdam,
        dict(
            lr=LR, beta1=BETA1, beta2=BETA2, eps=EPS, weight_decay=DECAY, momentum_decay=slider(4e-3, 0.0, 0.05, 0.001)
        ),
    ),
    "RAdam": (optim.RAdam, dict(lr=LR, beta1=BETA1, beta2=BETA2, eps=EPS, weight_decay=DECAY)),
    "AdaBound": (
        optim.AdaBound,
        dict(
            lr=LR,
            beta1=BETA1,
            beta2=BETA2,
            final_lr=log_slider(0.1, -4, 0.5),
            gamma=log_slider(1e-3, -5, -0.5),
            eps=EPS,
            weight_decay=DECAY,
            amsbound=switch(False),
        ),
    ),
    # Lookahead wraps another optimizer *as it is set in that optimizer's tab* (its η included)
    "Lookahead": (
        optim.Lookahead,
        dict(
            inner=dict(
                kind="choice",
                value="Adam",
                options=["SGD", "SGDW", "Adagrad", "RMSprop", "Adam", "AdamW", "NAdam", "RAdam", "AdaBound"],
            ),
            k=whole(5, 1, 20),
            alpha=slider(0.5, 0.0, 1.0, 0.05),
        ),
    ),
}
COLORS = {**plots.COLORS, "SGDW": "#393b79"}


def noam_shape(steps, warmup_steps):
    rates = schedules.noam(1, warmup_steps)(np.arange(steps))
    return rates / rates.max()


SCHEDULES = {  # name -> (m(steps, **params) as an array of length steps, {parameter: widget spec})
    "constant": (lambda steps: schedules.constant(1.0)(np.arange(steps)), {}),
    "step decay": (
        lambda steps, step_size, gamma: schedules.step_decay(1.0, step_size, gamma)(np.arange(steps)),
        dict(step_size=whole(30, 1, 300), gamma=slider(0.5, 0.05, 1.0, 0.05)),
    ),
    "exponential": (
        lambda steps, gamma: schedules.exponential(1.0, gamma)(np.arange(steps)),
        dict(gamma=slider(0.98, 0.9, 1.0, 0.001)),
    ),
    "1/√(t+1) (lecture)": (lambda steps: schedules.inverse_sqrt(1.0)(np.arange(steps)), {}),
    "cosine": (lambda steps: schedules.cosine(1.0, steps)(np.arange(steps)), {}),
    "cosine restarts": (
        lambda steps, first_period, period_mult: schedules.cosine_restarts(1.0, first_period, period_mult)(
            np.arange(steps)
        ),
        dict(first_period=whole(25, 2, 200), period_mult=whole(1, 1, 3)),
    ),
    "warm-up + cosine": (
        lambda steps, warmup_steps: schedules.warmup(
            schedules.cosine(1.0, max(steps - warmup_steps, 1)), warmup_steps, start_factor=0.1
        )(np.arange(steps)),
        dict(warmup_steps=whole(10, 1, 100)),
    ),
    "cyclic": (
        lambda steps, low, step_size_up: schedules.cyclic(low, 1.0, step_size_up)(np.arange(steps)),
        dict(low=slider(0.1, 0.0, 1.0, 0.05), step_size_up=whole(20, 1, 200)),
    ),
    "one-cycle": (
        lambda steps, pct_start: schedules.one_cycle(1.0, steps, pct_start)(np.arange(steps)),
        dict(pct_start=slider(0.3, 0.05, 0.95, 0.05)),
    ),
    "Noam (Transformer)": (noam_shape, dict(warmup_steps=whole(20, 1, 200))),
}


# ==== The lecture's examples, one click each ====
#
# A preset sets the surface, the steps, the schedule, the optimizers shown and some of their
# hyper-parameters; every other hyper-parameter goes back to its default, and each shown
# optimizer's η is tuned on the surface first (unless ``tune=False``), then the preset's own
# values are set.
PRESETS = {
    "Reddi et al.: Adam drifts to the worst point": dict(
        surface="reddi_online",
        show=("Adam",),
        steps=300,
        schedule="1/√(t+1) (lecture)",
        tune=False,
        hyper={"Adam": dict(lr=0.3, beta1=0.0, beta2=0.1, amsgrad=False)},
        note="Adam with β₁ = 0, β₂ = 0.1 = 1/(1+C²) and η_t = 0.3/√(t+1) on the online problem ends near "
        "x = +1, the worst point. Now tick <code>amsgrad</code> (or pick the next example).",
    ),
    "Reddi et al.: AMSGrad heads for the best point": dict(
        surface="reddi_online",
        show=("Adam",),
        steps=300,
        schedule="1/√(t+1) (lecture)",
        tune=False,
        hyper={"Adam": dict(lr=0.3, beta1=0.0, beta2=0.1, amsgrad=True)},
        note="The same run with AMSGrad's running maximum of v: it ends near x = −1, the best point.",
    ),
    "elongated bowl: SGD at its stability limit": dict(
        surface="elongated",
        show=("SGD", "Adagrad", "RMSprop", "Adam"),
        steps=100,
        hyper={"SGD": dict(lr=0.01)},
        note="SGD is stable only for η < 2/200 = 0.01: at η = 0.01 θ₂ bounces between the walls. Move SGD's η "
        "one notch lower: it settles but crawls along the valley, where the adaptive methods move.",
    ),
    "saddle point: who escapes": dict(
        surface="saddle",
        show=("SGD", "Adagrad", "RMSprop", "Adam"),
        steps=100,
        start=(-1.8, 0.001),
        note="Started on the ridge (θ₂ near 0): SGD slows down near the saddle point; the adaptive methods "
        "divide by the small gradient and escape.",
    ),
    "Rosenbrock: momentum, then Lookahead": dict(
        surface="rosenbrock",
        show=("SGD", "Lookahead"),
        steps=200,
        hyper={"SGD": dict(momentum=0.9), "Lookahead": dict(inner="SGD")},
        note="SGD with momentum 0.9 overshoots along the curved valley; Lookahead (k = 5, α = 0.5) around the "
        "same SGD pulls it back every 5 steps.",
    ),
    "SGD's noise: noisy gradients": dict(
        surface="quadratic",
        show=("SGD", "Adam"),
        steps=200,
        noise=0.5,
        schedule="constant",
        note="Gaussian noise (σ = 0.5) on every gradient, like a mini-batch gradient: the runs jitter around "
        "the minimum instead of settling. Try the 1/√(t+1) schedule, or σ = 0.",
    ),
    "warm-up calms Adam's first steps": dict(
        surface="elongated",
        show=("Adam",),
        steps=150,
        schedule="warm-up + cosine",
        tune=False,
        hyper={"Adam": dict(lr=0.5)},
        note="Adam at a large η = 0.5: with the warm-up its first steps are small and it does not jump out "
        "of the valley. Compare with the constant schedule.",
    ),
}


# ==== Computing: all the optimizers in one array ====
#
# `train.descend(surface, optimizer, start, steps)` moves many runs at once: `start` may have shape
# (runs, dim), and the surface's gradient of all runs costs one vectorised call per step. The
# optimizers are element-wise, so row i of that array can belong to a different optimizer: `Rows`
# hands each optimizer its own row (a view, updated in place). One descent then serves every
# selected optimizer, and a run already computed with the same settings is taken from a cache:
# moving one optimizer's slider recomputes that optimizer only.
class Rows:
    """Optimizer i updates row i of the parameter array (in place), so one descent runs them all."""

    def __init__(self, optimizers):
        self.optimizers = optimizers

    def step(self, params, grads):
        for row, optimizer in enumerate(self.optimizers):
            optimizer.step(params[row], grads[row])
        return params


def build(name, settings, rates):
    """The optimizer ``name`` with the hyper-parameters ``settings[name]`` and the per-step rates."""
    cls, _ = OPTIMIZERS[name]
    kwargs = dict(settings[name])
    if name == "Lookahead":
        inner = kwargs.pop("inner")
        return cls(build(inner, settings, rates), **kwargs)
    if "beta1" in kwargs:
        kwargs["betas"] = (kwargs.pop("beta1"), kwargs.pop("beta2"))
    kwargs["lr"] = lambda t, r=rates * kwargs["lr"]: r[t]
    return cls(**kwargs)


def base_lr(name, settings):
    return base_lr(settings[name]["inner"], settings) if name == "Lookahead" else settings[name]["lr"]


class Noisy:
    """``surface`` whose gradient gets Gaussian noise of standard deviation ``sigma`` at every step.

    The noise of step t is drawn from ``default_rng([seed, t])``: the same vector for every run at
    that step (one shared stream, as if every optimizer saw the same mini-batches), so a run does
    not depend on which other optimizers are shown, and the same seed gives the same path. The
    loss recorded is the surface's own (noise-free) loss.
    """

    def __init__(self, surface, sigma, seed=0):
        self.surface, self.sigma, self.seed = surface, float(sigma), int(seed)

    def __getattr__(self, name):
        return getattr(self.surface, name)

    def grad(self, theta, step=None):
        grad = self.surface.grad(theta, step=step)
        if self.sigma == 0.0 or step is None:
            return grad
        return grad + np.random.default_rng([self.seed, int(step)]).normal(0.0, self.sigma, np.shape(theta)[-1])


def descend_all(surface, names, settings, rates, start, steps, noise=0.0, seed=0):
    """Run the optimizers ``names`` together; returns ``{name: dict(points, losses, diverged_at, error)}``.

    ``noise`` > 0 adds seeded Gaussian noise of that standard deviation to every gradient (:class:`Noisy`).
    """
    surface = Noisy(surface, noise, seed) if noise else surface
    runs, built = {}, []
    for name in names:
        try:
            built.append((name, build(name, settings, rates)))
        except ValueError as error:  # course_utils names the argument and the allowed range
            runs[name] = dict(error=str(error))
    if built:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a diverging run is reported in the table instead
            path = train.descend(surface, Rows([opt for _, opt in built]), np.tile(start, (len(built), 1)), steps)
        for row, (name, _) in enumerate(built):
            at = int(path.diverged_at[row])
            runs[name] = dict(
                points=path.points[:, row], losses=path.losses[:, row], diverged_at=None if at < 0 else at, error=None
            )
    return runs


# **Tuning η in one run per optimizer.** `lr` may also be an array broadcastable to the parameters:
# with shape (runs, 1), run r uses its own η. So a sweep of 23 learning rates from 10⁻⁵ to 3.16 is
# *one* descent of 23 runs. The suggested η is the one that ends lowest without diverging and without
# leaving the plotted window.
LR_GRID = 10.0 ** np.arange(LR["min"], LR["max"] + 1e-9, LR["step"])


def tune(surface, name, settings, rates, start, steps, noise=0.0, seed=0):
    """The learning rate in LR_GRID that ends with the lowest loss, for optimizer ``name``."""
    surface = Noisy(surface, noise, seed) if noise else surface
    grid = LR_GRID[:, None]
    try:
        optimizer = build(name, {**settings, name: {**settings[name], "lr": 1.0}}, rates[:, None, None] * grid)
    except ValueError:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = train.descend(surface, optimizer, np.tile(start, (len(LR_GRID), 1)), steps)
    low, high = np.array(surface.bounds, dtype=float).reshape(-1, 2).T
    inside = np.all((path.points >= low) & (path.points <= high), axis=(0, 2))
    score = np.where((path.diverged_at < 0) & inside, surface.value(path.final, step=None), np.inf)
    return float(LR_GRID[np.argmin(score)]) if np.isfinite(score).any() else None


# ==== Drawing: only what moved ====
#
# A slider move should cost at most 100 ms in the kernel, and drawing a matplotlib figure of three
# panels with contours from scratch (and encoding its PNG) takes about 200 ms on a 2-core machine.
# So each panel is its own off-screen figure whose
# still parts (contours, axes, ticks) are drawn once and kept as pixels; a move restores those
# pixels, draws the moving lines on top (`draw_artist`, matplotlib's *blitting*) and sends the PNG to
# an `ipywidgets.Image`, which updates in place. The axes of the curves change range in whole
# decades, and only when the curves leave them or shrink a lot, so their still part is redrawn rarely.
DPI = 80


class Panel:
    """An off-screen figure with a cached background; ``show`` blits the moving artists into a PNG."""

    def __init__(self, name, width, height):
        self.fig = Figure(figsize=(width, height), dpi=DPI)
        self.canvas = FigureCanvasAgg(self.fig)
        self.ax = self.fig.add_axes((0.17, 0.14, 0.78, 0.76))
        # a figure text, not ax.set_title: placing a title measures every tick label (slow)
        self.title = self.fig.text(0.56, 0.975, "", ha="center", va="top", fontsize=11, fontweight="bold")
        # natural size, shrunk (not wrapped) when the page is narrower than the three panels
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="33%", height="auto"))
        self.image.add_class(f"pg-{name}")
        self.key = self.shown = None
        self.moving, self.still = [], []

    def line(self, *args, **kwargs):
        (artist,) = self.ax.plot(*args, animated=True, **kwargs)
        self.moving.append(artist)
        return artist

    def background(self, key, draw):
        """Redraw the still part when ``key`` (what it depends on) changed."""
        if key != self.key:
            for artist in self.still:  # the previous still artists (the moving ones stay)
                artist.remove()
            before = set(self.ax.get_children())
            draw(self.ax)
            self.still = [a for a in self.ax.get_children() if a not in before]
            self.canvas.draw()  # animated artists are left out
            self.pixels = self.canvas.copy_from_bbox(self.fig.bbox)
            self.key = key

    def show(self, signature):
        """Blit the visible moving artists and update the image, unless ``signature`` is unchanged."""
        if signature == self.shown:
            return False
        self.canvas.restore_region(self.pixels)
        for artist in self.moving:
            if artist.get_visible():
                self.ax.draw_artist(artist)
        buffer = BytesIO()
        Image.fromarray(np.asarray(self.canvas.buffer_rgba())).save(buffer, format="png", compress_level=1)
        self.image.value = buffer.getvalue()
        self.shown = signature
        return True


def log_limits(values, top=None, span=1e14):
    """Log-axis limits in whole decades around the finite positive ``values`` (at most ``top``)."""
    values = values[np.isfinite(values) & (values > 0)]
    if values.size == 0:
        return 0.1, 10.0
    high = 10.0 ** np.ceil(np.log10(values.max()) - 1e-9)
    high = high if top is None else min(high, top)
    low = max(10.0 ** np.floor(np.log10(values.min()) + 1e-9), high / span)
    return (float(low), float(high)) if high > low else (float(low), float(10 * low))


def linear_limits(values):
    """Linear-axis limits: the range of ``values`` rounded outwards to a round number."""
    values = values[np.isfinite(values)]
    if values.size == 0:
        return -1.0, 1.0
    low, high = float(values.min()), float(values.max())
    unit = 10.0 ** np.floor(np.log10(max(high - low, abs(high), abs(low), 1e-12)))
    return float(np.floor(low / unit) * unit), float(np.ceil(high / unit) * unit + (unit if high == low else 0))


def steady(previous, new, log, slack, pad=1.0):
    """Keep the ``previous`` limits while they hold the ``new`` ones with at most ``slack`` room to spare.

    So the still part of a curve panel is redrawn when its data leave the axes or shrink a lot, not
    at every move (``slack`` is a ratio on a log axis, a ratio of spans on a linear one). New log
    limits get ``pad`` (a factor) of room below and above.
    """
    if previous is not None:
        (old_low, old_high), (low, high) = previous, new
        if old_low <= low and high <= old_high:
            loose = (
                (low / old_low > slack or old_high / high > slack)
                if log
                else (old_high - old_low) > slack * (high - low)
            )
            if not loose:
                return previous
    return (new[0] / pad, new[1] * pad) if log else new


def log_axis(ax, low, high):
    """A log y axis from ``low`` to ``high`` with a few labelled decades and no minor ticks (fast to draw)."""
    ax.set_yscale("log")
    ax.set_ylim(low, high)
    ax.yaxis.set_major_locator(LogLocator(numticks=7))
    ax.yaxis.set_minor_locator(NullLocator())


# ==== The app ====
#
# `Playground` holds the widgets, a cache of runs and the three panels; `update` recomputes what
# changed and redraws, timing both parts with `time.perf_counter`.
def make_widget(label, spec):
    common = dict(
        description=label,
        continuous_update=False,
        style={"description_width": "9em"},
        layout=widgets.Layout(width="24em"),
    )
    kind = spec["kind"]
    if kind == "log":
        return widgets.FloatLogSlider(
            value=spec["value"],
            base=10,
            min=spec["min"],
            max=spec["max"],
            step=spec["step"],
            readout_format=".3g",
            **common,
        )
    if kind == "float":
        decimals = max(0, -int(np.floor(np.log10(spec["step"]))))
        return widgets.FloatSlider(
            value=spec["value"],
            min=spec["min"],
            max=spec["max"],
            step=spec["step"],
            readout_format=f".{decimals}f",
            **common,
        )
    if kind == "int":
        return widgets.IntSlider(value=spec["value"], min=spec["min"], max=spec["max"], step=spec["step"], **common)
    if kind == "bool":
        return widgets.Checkbox(value=spec["value"], description=label, indent=False)
    return widgets.Dropdown(
        options=spec["options"], value=spec["value"], description=label, style=common["style"], layout=common["layout"]
    )


LABELS = {
    "lr": "η (lr)",
    "beta1": "β₁",
    "beta2": "β₂",
    "eps": "ε (eps)",
    "alpha": "α",
    "gamma": "γ",
    "weight_decay": "weight decay",
    "initial_accumulator_value": "initial accum.",
    "momentum_decay": "ψ (mom. decay)",
    "final_lr": "final lr",
    "step_size": "step size",
    "step_size_up": "half period",
    "first_period": "first period",
    "period_mult": "period ×",
    "warmup_steps": "warm-up steps",
    "pct_start": "rising part",
    "low": "lowest / η",
}


PROJECTOR = 1.6  # how much larger the figures and the text are in projector mode
STYLE = (
    "<style>.pg-projector, .pg-projector .widget-label, .pg-projector .widget-readout, "
    ".pg-projector .widget-html-content, .pg-projector select, .pg-projector button, "
    ".pg-projector .lm-TabBar-tabLabel {font-size: 1.35em !important; line-height: 1.4}"
    ".pg-projector .pg-figures img {max-width: 100% !important}</style>"
)


def _number(value):
    return repr(float(value)) if isinstance(value, float) else repr(value)


def constructor(name, settings, constant=True):
    """The Python that builds optimizer ``name`` as the app does (``shape`` holds the schedule's m(t))."""
    cls, _ = OPTIMIZERS[name]
    kwargs = dict(settings[name])
    if name == "Lookahead":
        inner = kwargs.pop("inner")
        return (
            f"optim.Lookahead({constructor(inner, settings, constant)}, k={_number(kwargs['k'])}, "
            f"alpha={_number(kwargs['alpha'])})"
        )
    lr = kwargs.pop("lr")
    args = [f"lr={_number(lr)}" if constant else f"lr=lambda t: shape[t] * {_number(lr)}"]
    if "beta1" in kwargs:
        args.append(f"betas=({_number(kwargs.pop('beta1'))}, {_number(kwargs.pop('beta2'))})")
    args += [f"{key}={_number(value)}" for key, value in kwargs.items()]
    return f"optim.{cls.__name__}({', '.join(args)})"


class Playground:
    """Widgets + cached runs + three panels. ``app.widget`` is what to display.

    ``app=True`` (the Voilà app of ``make playground``) hides the developer's timing line;
    ``apply(name)`` sets one of the ``PRESETS``; ``code()`` is the Python that reproduces the runs shown.
    """

    def __init__(self, surface="rosenbrock", show=("SGD", "Adagrad", "RMSprop", "Adam"), steps=100, app=False):
        self.applying = False
        self.cache = {}
        self.timings = []  # (compute seconds, render seconds) of every update
        self.holding = False
        self.error = None
        self.tuning = 0.0  # seconds spent tuning η just before this update
        fit = dict(layout=widgets.Layout(width="24em"), style={"description_width": "9em"})
        self.surface_w = widgets.Dropdown(options=list(surfaces.ALL), value=surface, description="error surface", **fit)
        self.schedule_w = widgets.Dropdown(options=list(SCHEDULES), value="constant", description="lr schedule", **fit)
        self.steps_w = widgets.IntSlider(
            value=steps, min=10, max=500, step=10, description="steps", continuous_update=False, **fit
        )
        self.start_w = [
            widgets.FloatSlider(description=f"start θ{i}", continuous_update=False, readout_format=".2f", **fit)
            for i in ("₁", "₂")
        ]
        self.schedule_params = {
            name: {p: make_widget(LABELS.get(p, p), spec) for p, spec in params.items()}
            for name, (_, params) in SCHEDULES.items()
        }
        self.schedule_box = widgets.VBox()
        self.hyper = {
            name: {p: make_widget(LABELS.get(p, p), spec) for p, spec in params.items()}
            for name, (_, params) in OPTIMIZERS.items()
        }
        self.show_w = {
            name: widgets.Checkbox(
                value=name in show, description=name, indent=False, layout=widgets.Layout(width="8em")
            )
            for name in OPTIMIZERS
        }
        for name, box in self.show_w.items():
            box.add_class(f"pg-show-{name}")
            for param, w in self.hyper[name].items():
                w.add_class(f"pg-{name}-{param}")
        self.start_w[0].add_class("pg-start-0")
        self.start_w[1].add_class("pg-start-1")
        self.steps_w.add_class("pg-steps")
        self.surface_w.add_class("pg-surface")
        self.schedule_w.add_class("pg-schedule")
        tune_button = widgets.Button(description="tune η", tooltip="each optimizer's best η on this surface")
        reset_button = widgets.Button(description="reset start", tooltip="the surface's usual start point")
        tune_button.on_click(lambda _: self._retune())
        reset_button.on_click(lambda _: self._reset_start())
        self.formula_w = widgets.HTML()
        self.table_w = widgets.HTML()
        self.table_w.add_class("pg-table")
        self.timing_w = widgets.HTML()
        self.timing_w.add_class("pg-timing")
        if app:
            self.timing_w.layout.display = "none"
        self.preset_w = widgets.Dropdown(
            options=["(choose an example)", *PRESETS], value="(choose an example)", description="lecture example", **fit
        )
        self.preset_w.add_class("pg-preset")
        self.note_w = widgets.HTML()
        self.noise_w = widgets.FloatSlider(
            value=0.0,
            min=0.0,
            max=2.0,
            step=0.05,
            description="gradient noise σ",
            continuous_update=False,
            readout_format=".2f",
            **fit,
        )
        self.seed_w = widgets.BoundedIntText(value=0, min=0, max=10**6, description="noise seed", **fit)
        self.noise_w.add_class("pg-noise")
        self.projector_w = widgets.Checkbox(value=False, description="projector (large figures and text)", indent=False)
        self.code_w = widgets.Textarea(layout=widgets.Layout(width="100%", height="16em"))
        self.code_w.add_class("pg-code")
        code_box = widgets.Accordion(children=[self.code_w])
        code_box.set_title(0, "copy as code: the Python that reproduces these runs with course_utils")
        code_box.selected_index = None

        self.panels = dict(path=Panel("path", 4.4, 3.6), loss=Panel("loss", 4.2, 3.6), lr=Panel("lr", 4.2, 3.6))
        self.artists = {}
        self.limits, self.lr_limits = {}, None
        for name in OPTIMIZERS:
            color = COLORS.get(name, "black")
            self.artists[name] = dict(
                path=self.panels["path"].line([], [], "-", color=color, marker=".", markersize=3, linewidth=1.5),
                end=self.panels["path"].line([], [], "s", color=color, markersize=7, markeredgecolor="black"),
                loss=self.panels["loss"].line([], [], color=color),
                lr=self.panels["lr"].line([], [], color=color),
            )
        self.start_marker = self.panels["path"].line([], [], "o", color="white", markersize=8, markeredgecolor="black")
        self.crosses = {
            key: self.panels[key].line([], [], "x", color=plots.DIVERGED, markersize=10, markeredgewidth=2.5)
            for key in ("path", "loss")
        }

        tabs = widgets.Tab(children=[widgets.VBox(list(self.hyper[name].values())) for name in OPTIMIZERS])
        tabs.titles = tuple(OPTIMIZERS)
        shown = widgets.GridBox(
            list(self.show_w.values()), layout=widgets.Layout(grid_template_columns="repeat(5, 8.5em)")
        )
        figures = widgets.HBox([p.image for p in self.panels.values()], layout=widgets.Layout(flex_flow="row wrap"))
        figures.add_class("pg-figures")
        self.widget = widgets.VBox(
            [
                widgets.HTML(STYLE),
                widgets.HBox([self.preset_w, self.projector_w]),
                self.note_w,
                widgets.HBox(
                    [
                        widgets.VBox(
                            [self.surface_w, self.formula_w, *self.start_w, widgets.HBox([reset_button, tune_button])]
                        ),
                        widgets.VBox([self.steps_w, self.schedule_w, self.schedule_box]),
                        widgets.VBox([self.noise_w, self.seed_w]),
                    ]
                ),
                widgets.HTML("<b>optimizers</b> (tick to show; hyper-parameters in the tabs below)"),
                shown,
                tabs,
                figures,
                self.table_w,
                code_box,
                self.timing_w,
            ]
        )
        self.widget.add_class("pg-app")

        for w in [
            self.steps_w,
            *self.start_w,
            *self.show_w.values(),
            self.noise_w,
            self.seed_w,
            *(w for group in [*self.hyper.values(), *self.schedule_params.values()] for w in group.values()),
        ]:
            w.observe(self._changed, "value")
        self.surface_w.observe(self._surface_changed, "value")
        self.schedule_w.observe(self._schedule_changed, "value")
        self.preset_w.observe(lambda change: self.apply(change["new"]) if change["new"] in PRESETS else None, "value")
        self.projector_w.observe(lambda change: self.projector(change["new"]), "value")
        self.holding = True
        self._schedule_changed()
        self._surface_changed()  # sets the start, tunes η, then draws

    # -- reading the widgets -------------------------------------------------------------------
    @property
    def surface(self):
        return surfaces.ALL[self.surface_w.value]()

    def settings(self):
        return {name: {p: w.value for p, w in params.items()} for name, params in self.hyper.items()}

    def shape(self, steps):
        name = self.schedule_w.value
        params = {p: w.value for p, w in self.schedule_params[name].items()}
        return (name, tuple(params.items())), np.asarray(SCHEDULES[name][0](steps, **params), dtype=float)

    def start(self, surface):
        return np.array([w.value for w in self.start_w[: surface.dim]])

    # -- events ----------------------------------------------------------------------------------
    def _changed(self, change=None):
        if not self.holding:
            self.update()

    def _schedule_changed(self, change=None):
        self.schedule_box.children = list(self.schedule_params[self.schedule_w.value].values())
        self._changed()

    def _surface_changed(self, change=None):
        if self.applying:
            return
        self.holding = True
        try:
            self._set_surface()
        finally:
            self.holding = False
        self.update()

    def _set_surface(self, tune=True):
        s = self.surface
        bounds = np.array(s.bounds, dtype=float).reshape(-1, 2)
        for w, (low, high), value in zip(self.start_w, bounds, s.start):
            step = float(10.0 ** np.floor(np.log10((high - low) / 100)))
            w.min, w.max = min(w.min, low), max(w.max, high)  # widen first: the value stays valid
            w.step, w.value = step, float(value)
            w.readout_format = f".{max(0, -int(np.log10(step)))}f"
            w.min, w.max = low, high
        self.start_w[1].layout.display = "none" if s.dim == 1 else None
        where = "unknown" if s.minimum is None else "(" + ", ".join(f"{v:.3g}" for v in s.minimum) + ")"
        self.formula_w.value = f"<i>{s.name}</i>: {s.dim}-D, minimum at {where}"
        if tune:
            self._tune()

    def apply(self, name):
        """Set the preset ``name`` of ``PRESETS`` (one update at the end)."""
        preset = PRESETS[name]
        self.applying = self.holding = True
        try:
            for opt, (_, specs) in OPTIMIZERS.items():  # every hyper-parameter back to its default
                for param, spec in specs.items():
                    self.hyper[opt][param].value = spec["value"]
            self.surface_w.value = preset["surface"]
            self.steps_w.value = preset.get("steps", 100)
            self.schedule_w.value = preset.get("schedule", "constant")
            for param, w in self.schedule_params[self.schedule_w.value].items():
                w.value = SCHEDULES[self.schedule_w.value][1][param]["value"]
            self.schedule_box.children = list(self.schedule_params[self.schedule_w.value].values())
            self.noise_w.value, self.seed_w.value = float(preset.get("noise", 0.0)), int(preset.get("seed", 0))
            for opt, box in self.show_w.items():
                box.value = opt in preset["show"]
            self._set_surface(tune=preset.get("tune", True))
            if "start" in preset:
                for w, value in zip(self.start_w, preset["start"]):
                    w.value = float(value)
            for opt, values in preset.get("hyper", {}).items():
                for param, value in values.items():
                    self.hyper[opt][param].value = value
            self.note_w.value = f"<div style='max-width:60em'><b>{name}.</b> {preset['note']}</div>"
        finally:
            self.applying = self.holding = False
        self.update()

    def projector(self, on=True):
        """Projector mode: figures and text ``PROJECTOR`` (1.6) times larger (for a lecture room)."""
        for panel in self.panels.values():
            panel.fig.set_dpi(DPI * (PROJECTOR if on else 1.0))
            panel.key = panel.shown = None  # redraw everything at the new size
            panel.image.layout.max_width = "100%" if on else "33%"
        if on:
            self.widget.add_class("pg-projector")
        else:
            self.widget.remove_class("pg-projector")
        self.limits, self.lr_limits = {}, None
        self.update()

    def code(self):
        """The Python that reproduces the runs shown with ``course_utils`` (what the text box holds)."""
        s_name, steps, settings = self.surface_w.value, self.steps_w.value, self.settings()
        schedule = self.schedule_w.value
        params = {p: w.value for p, w in self.schedule_params[schedule].items()}
        constant, noise = schedule == "constant", self.noise_w.value
        names = [name for name, box in self.show_w.items() if box.value]
        lines = ["import numpy as np", "", "from course_utils import optim, surfaces, train"]
        helpers = ([] if constant else ["SCHEDULES"]) + (["Noisy"] if noise else [])
        if helpers:
            lines.append(f"from course_utils.playground import {', '.join(helpers)}")
        lines += ["", f"surface = surfaces.ALL[{s_name!r}]()"]
        if noise:
            lines.append(
                f"surface = Noisy(surface, sigma={_number(noise)}, seed={self.seed_w.value})"
                "  # Gaussian noise on every gradient"
            )
        start = ", ".join(_number(float(v)) for v in self.start(self.surface))
        lines += [f"start = np.array([{start}])", f"steps = {steps}"]
        if not constant:
            args = "".join(f", {k}={_number(v)}" for k, v in params.items())
            lines.append(f"shape = SCHEDULES[{schedule!r}][0](steps{args})  # the schedule m(t): η_t = η·m(t)")
        lines += ["", "paths = {}"]
        for name in names:
            lines.append(
                f"paths[{name!r}] = train.descend(surface, {constructor(name, settings, constant)}, "
                "start, steps, warn=False)"
            )
        lines += [
            "for name, path in paths.items():",
            '    print(f"{name:10s} ends at {path.final} with loss {path.losses[-1]:.4g}")',
        ]
        return "\n".join(lines) + "\n"

    def _reset_start(self):
        self.holding = True
        try:
            for w, value in zip(self.start_w, self.surface.start):
                w.value = float(value)
        finally:
            self.holding = False
        self.update()

    def _retune(self):
        self.holding = True
        try:
            self._tune()
        finally:
            self.holding = False
        self.update()

    def _tune(self):
        began = time.perf_counter()
        s, steps, settings = self.surface, self.steps_w.value, self.settings()
        _, rates = self.shape(steps)
        for name in OPTIMIZERS:
            if "lr" in self.hyper[name]:
                lr = tune(s, name, settings, rates, self.start(s), steps, self.noise_w.value, self.seed_w.value)
                if lr is not None:
                    self.hyper[name]["lr"].value = lr
        self.tuning = time.perf_counter() - began  # reported with the next update

    # -- compute and draw ------------------------------------------------------------------------
    def compute(self):
        s, steps, settings = self.surface, self.steps_w.value, self.settings()
        schedule_key, rates = self.shape(steps)
        start = self.start(s)
        names = [name for name, box in self.show_w.items() if box.value]
        keys = {}
        for name in names:
            used = [name, settings[name]["inner"]] if name == "Lookahead" else [name]
            keys[name] = (
                self.surface_w.value,
                tuple(start),
                steps,
                schedule_key,
                tuple(tuple(sorted(settings[n].items())) for n in used),
                self.noise_w.value,
                self.seed_w.value,
            )
        missing = [name for name in names if keys[name] not in self.cache]
        noise = self.noise_w.value
        for name, run in descend_all(s, missing, settings, rates, start, steps, noise, self.seed_w.value).items():
            if run["error"] is None:  # the loss drawn: the mean over a period on an online surface
                run["curve"] = (
                    s.value(run["points"], step=None) if isinstance(s, surfaces.ReddiOnline) else run["losses"]
                )
            run["lr"] = base_lr(name, settings)
            run["rates"] = rates * run["lr"]
            self.cache[keys[name]] = run
        runs = {name: self.cache[keys[name]] for name in names}  # taken before the cache is trimmed
        self.last_keys = keys
        while len(self.cache) > 200:  # forget the oldest runs
            self.cache.pop(next(iter(self.cache)))
        return s, start, steps, runs, keys

    def render(self, s, start, steps, runs, keys):
        gap = s.minimum is not None and not isinstance(s, surfaces.ReddiOnline)
        floor = float(s.value(s.minimum)) if gap else 0.0
        path, loss, lr = self.panels["path"], self.panels["loss"], self.panels["lr"]

        def contours(ax):
            if s.dim == 2:
                plots.contour(s, ax=ax, resolution=150, levels=25, show_minimum=s.minimum is not None)
            else:
                xs = np.linspace(*s.bounds, 400)
                ys = s.value(xs[:, None], step=None)
                ax.plot(xs, ys, color="black", linewidth=2)
                pad = 0.08 * (ys.max() - ys.min())
                ax.set_xlim(*s.bounds)
                ax.set_ylim(ys.min() - pad, ys.max() + pad)
                ax.set_xlabel("θ")
                ax.set_ylabel("mean loss over a period" if isinstance(s, surfaces.ReddiOnline) else "L(θ)")
            ax.grid(s.dim == 1)
            path.title.set_text(s.name)

        path.background(self.surface_w.value, contours)
        dots, ends, bad = [], [], []
        for name, artists in self.artists.items():
            run = runs.get(name)
            visible = run is not None and run["error"] is None
            for artist in artists.values():
                artist.set_visible(visible)
            if not visible:
                continue
            points = run["points"]
            ys = points[:, 1] if s.dim == 2 else s.value(points, step=None)
            artists["path"].set_data(points[:, 0], ys)
            last = len(points) - 1 if run["diverged_at"] is None else run["diverged_at"] - 1
            artists["end"].set_data([points[last, 0]], [ys[last]])
            artists["end"].set_visible(run["diverged_at"] is None)
            if run["diverged_at"] is not None:
                bad.append((name, last, points[last, 0], ys[last]))
            values = np.maximum(run["curve"] - floor, np.finfo(float).tiny) if gap else run["curve"]
            artists["loss"].set_data(np.arange(len(values)), values)
            artists["lr"].set_data(np.arange(steps), run["rates"])
            dots.append(values)
            ends.append(run["rates"])
        first = s.value(start, step=None)
        self.start_marker.set_data([start[0]], [start[1] if s.dim == 2 else first])
        self.crosses["path"].set_data([b[2] for b in bad], [b[3] for b in bad])
        self.crosses["loss"].set_data([b[1] for b in bad], [runs[b[0]]["curve"][b[1]] - floor for b in bad])
        every = np.concatenate(dots) if dots else np.array([])
        if gap:  # at most three decades above the start: a diverging run leaves through the top
            top = 1e3 * 10.0 ** np.ceil(np.log10(max(first - floor, 1e-300)) - 1e-9)
            loss_limits = log_limits(every, top=top, span=1e14)
        else:
            loss_limits = linear_limits(every)
        context = (gap, steps, self.surface_w.value)
        loss_limits = steady(self.limits.get(context), loss_limits, gap, 1e4 if gap else 4, pad=10.0)
        self.limits = {context: loss_limits}

        def loss_axes(ax):
            ax.set_xlim(0, steps)
            if gap:
                log_axis(ax, *loss_limits)
            else:
                ax.set_yscale("linear")
                ax.set_ylim(*loss_limits)
            ax.set_xlabel("step t")
            ax.set_ylabel(
                r"$L(\theta_t) - L(\theta^*)$"
                if gap
                else r"$L(\theta_t)$" + (", mean over a period" if isinstance(s, surfaces.ReddiOnline) else "")
            )
            ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
            loss.title.set_text("loss gap (log scale)" if gap else "loss")

        rates = np.concatenate(ends) if ends else np.array([])
        lr_limits = steady(self.lr_limits, log_limits(rates, span=1e4), True, 1e3, pad=10.0)
        self.lr_limits = lr_limits

        def lr_axes(ax):
            ax.set_xlim(0, steps)
            log_axis(ax, *lr_limits)
            ax.set_xlabel("step t")
            ax.set_ylabel(r"learning rate $\eta_t$")
            ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
            lr.title.set_text(f"learning rate ({self.schedule_w.value})")

        loss.background((gap, steps, loss_limits, self.surface_w.value), loss_axes)
        lr.background((steps, lr_limits, self.schedule_w.value), lr_axes)
        signature = tuple(sorted(keys.items()))
        path.show((signature, path.key))
        loss.show((signature, loss.key))
        lr.show((tuple((name, keys[name][2:4], runs[name]["lr"]) for name in sorted(runs)), lr.key))
        self.table_w.value = self.table(s, runs, floor if gap else None)
        self.code_w.value = self.code()

    def table(self, s, runs, floor):
        rows = []
        for name, run in runs.items():
            swatch = f'<span style="color:{COLORS.get(name, "black")}">■</span>'
            label = f"Lookahead({self.hyper['Lookahead']['inner'].value})" if name == "Lookahead" else name
            if run["error"]:
                rows.append(
                    f"<tr><td>{swatch}</td><td>{label}</td><td colspan=4 style='color:#d62728'>"
                    f"not run: {run['error']}</td></tr>"
                )
                continue
            last = len(run["curve"]) - 1 if run["diverged_at"] is None else run["diverged_at"] - 1
            point = ", ".join(f"{v:.3f}" for v in run["points"][last])
            loss = run["curve"][last]
            note = (
                f"<span style='color:#d62728'>diverged at step {run['diverged_at']}</span>"
                if run["diverged_at"] is not None
                else ""
            )
            gap = f"{loss - floor:.3g}" if floor is not None else ""
            rows.append(
                f"<tr><td>{swatch}</td><td>{label}</td><td class='pg-lr' data-name='{name}'>{run['lr']:.3g}"
                f"</td><td>{loss:.4g}</td><td>{gap}</td><td>({point})</td><td>{note}</td></tr>"
            )
        head = (
            "<tr><th></th><th>optimizer</th><th>η</th><th>final loss</th><th>gap to L(θ*)</th>"
            "<th>end point</th><th></th></tr>"
        )
        return (
            "<table style='border-collapse:collapse' cellpadding='3'>" + head + "".join(rows) + "</table>"
            if rows
            else "<i>tick an optimizer</i>"
        )

    def update(self):
        """Recompute what changed and redraw, timing both in this kernel (``timings``, the last line).

        Wall-clock time (``perf_counter``) is what the reader waits for; the CPU time of this thread
        (``thread_time``) leaves out the time the kernel waited for a core another process had.
        """
        began, cpu = time.perf_counter(), time.thread_time()
        try:
            result = self.compute()
            computed = time.perf_counter()
            self.render(*result)
            self.error = None
        except Exception as error:  # show it in the app instead of losing it in a log
            self.error = error
            self.timing_w.value = f"<span style='color:#d62728'>update failed: {type(error).__name__}: {error}</span>"
            raise
        drawn, cpu = time.perf_counter(), time.thread_time() - cpu
        self.timings.append((computed - began, drawn - computed, cpu))
        tuned = f"{1e3 * self.tuning:.1f} ms tuning η (before) + " if self.tuning else ""
        self.timing_w.value = (
            f"<small>kernel time of this update: {tuned}{1e3 * (computed - began):.1f} ms "
            f"computing + {1e3 * (drawn - computed):.1f} ms drawing = "
            f"<span class='pg-ms'>{1e3 * (drawn - began + self.tuning):.1f}</span> ms "
            f"(CPU time <span class='pg-cpu-ms'>{1e3 * cpu:.1f}</span> ms without the tuning)"
            "</small>"
        )
        self.tuning = 0.0
