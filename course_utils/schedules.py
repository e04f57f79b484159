r"""Learning-rate schedules: plain functions of the 0-based optimizer step :math:`t`.

Each function returns a schedule ``lr(t)`` (a callable with a readable repr, usable as a plot
legend). ``t`` may be an integer or an integer array (vectorised)::

    >>> import numpy as np
    >>> from course_utils import schedules
    >>> lr = schedules.step_decay(0.1, step_size=10, gamma=0.5)
    >>> lr
    step_decay(lr=0.1, step_size=10, gamma=0.5)
    >>> lr(25)
    0.025
    >>> lr(np.arange(0, 30, 10))
    array([0.1  , 0.05 , 0.025])

``lr(t)`` is the learning rate that torch's matching scheduler leaves in the optimizer for step
``t``, i.e. after ``t`` calls of ``scheduler.step()``; pass a schedule as the ``lr`` of any
:mod:`course_utils.optim` optimizer.
"""

from __future__ import annotations

import math

import numpy as np

from ._validate import number

__all__ = [
    "Schedule",
    "constant",
    "step_decay",
    "exponential",
    "inverse_sqrt",
    "cosine",
    "cosine_restarts",
    "warmup",
    "cyclic",
    "one_cycle",
    "noam",
]


class Schedule:
    """A learning rate as a function of the 0-based step ``t``, with a name and its parameters.

    Calling it with an integer returns a float; with an integer array, a float array of that shape.
    """

    def __init__(self, rule, name, **params):
        self._rule = rule
        self.__name__ = name
        self.params = params

    def __call__(self, t):
        steps = _steps(t)
        # always through a 1-D array: numpy's scalar math (libm) and its vectorised loops may differ in
        # the last bit (e.g. x ** -0.5), and lr(t) must not depend on how t was passed
        rates = np.asarray(self._rule(steps.reshape(-1)), dtype=np.float64).reshape(steps.shape)
        return float(rates) if np.ndim(t) == 0 else rates

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.__name__}({args})"


def _steps(t):
    """Check the step index: a non-negative integer or integer array; return it as an int64 array."""
    steps = np.asarray(t)
    if steps.dtype == bool or not np.issubdtype(steps.dtype, np.integer):
        raise ValueError(f"t must be an integer step index >= 0 (or an integer array of them), got {t!r}")
    if steps.size and steps.min() < 0:
        raise ValueError(f"t must be >= 0 (steps are 0-based), got {steps.min()}")
    return steps.astype(np.int64)


def _rate(name, value):
    return number(name, value, low=0)


def _count(name, value):
    return number(name, value, low=1, integer=True)


def constant(lr):
    r""":math:`\eta_t = \eta`. torch: no scheduler (or ``ConstantLR(factor=1)``)."""
    lr = _rate("lr", lr)
    return Schedule(lambda t: np.full(t.shape, lr), "constant", lr=lr)


def step_decay(lr, step_size, gamma=0.1):
    r""":math:`\eta_t = \eta\,\gamma^{\lfloor t / s \rfloor}`: multiply by :math:`\gamma` every :math:`s` steps.

    torch: ``StepLR(optimizer, step_size=s, gamma=gamma)``.
    """
    lr, step_size = _rate("lr", lr), _count("step_size", step_size)
    gamma = number("gamma", gamma, low=0, low_open=True)
    return Schedule(lambda t: lr * gamma ** (t // step_size), "step_decay", lr=lr, step_size=step_size, gamma=gamma)


def exponential(lr, gamma):
    r""":math:`\eta_t = \eta\,\gamma^t`. torch: ``ExponentialLR(optimizer, gamma)``.

    :math:`\gamma > 1` grows the rate, as in a learning-rate range test.
    """
    lr, gamma = _rate("lr", lr), number("gamma", gamma, low=0, low_open=True)
    return Schedule(lambda t: lr * gamma ** t.astype(np.float64), "exponential", lr=lr, gamma=gamma)


def inverse_sqrt(lr):
    r""":math:`\eta_t = \eta / \sqrt{t+1}`, the lecture's learning-rate decay (Hung-yi Lee, "Adaptive Learning Rate").

    torch: ``LambdaLR(optimizer, lambda t: (t + 1) ** -0.5)``.
    """
    lr = _rate("lr", lr)
    return Schedule(lambda t: lr / np.sqrt(t + 1.0), "inverse_sqrt", lr=lr)


def cosine(lr, total_steps, lr_min=0.0):
    r"""Cosine annealing (Loshchilov & Hutter 2017) from :math:`\eta` to :math:`\eta_{min}` in :math:`T` = total_steps.

    .. math::
        \eta_t = \eta_{min} + \tfrac12(\eta - \eta_{min})\left(1 + \cos\frac{\pi t}{T}\right)

    torch: ``CosineAnnealingLR(optimizer, T_max=T, eta_min=lr_min)`` (which, stepped past
    :math:`T`, follows the same cosine back up; so does this function).
    """
    lr, lr_min = _rate("lr", lr), _rate("lr_min", lr_min)
    total_steps = _count("total_steps", total_steps)
    return Schedule(
        lambda t: lr_min + (lr - lr_min) * (1 + np.cos(np.pi * t / total_steps)) / 2,
        "cosine",
        lr=lr,
        total_steps=total_steps,
        lr_min=lr_min,
    )


def cosine_restarts(lr, first_period, period_mult=1, lr_min=0.0):
    r"""SGDR (Loshchilov & Hutter 2017): cosine annealing restarting at :math:`\eta`; periods :math:`T_0, T_0 m, \dots`.

    .. math::
        \eta_t = \eta_{min} + \tfrac12(\eta - \eta_{min})\left(1 + \cos\frac{\pi t_{cur}}{T_i}\right)

    where :math:`T_i` is the current period and :math:`t_{cur}` the steps since the last restart.
    torch: ``CosineAnnealingWarmRestarts(optimizer, T_0=first_period, T_mult=period_mult, eta_min=lr_min)``.
    """
    lr, lr_min = _rate("lr", lr), _rate("lr_min", lr_min)
    first_period, period_mult = _count("first_period", first_period), _count("period_mult", period_mult)

    def start_of_period(n):  # the n-th period (from 0) starts at T0 (m^n - 1) / (m - 1)
        return first_period * (period_mult**n - 1) // (period_mult - 1)

    def rule(t):
        if period_mult == 1:
            since, period = t % first_period, first_period
        else:
            n = np.floor(np.log(t / first_period * (period_mult - 1) + 1) / math.log(period_mult)).astype(np.int64)
            n = n - (start_of_period(n) > t) + (start_of_period(n + 1) <= t)  # repair rounding of the log
            since, period = t - start_of_period(n), first_period * period_mult**n
        return lr_min + (lr - lr_min) * (1 + np.cos(np.pi * since / period)) / 2

    return Schedule(rule, "cosine_restarts", lr=lr, first_period=first_period, period_mult=period_mult, lr_min=lr_min)


def warmup(base, warmup_steps, start_factor=0.0):
    r"""Linear warm-up over :math:`W` steps from ``start_factor`` :math:`\cdot\,\eta` to :math:`\eta`, then ``base``.

    With a number :math:`\eta` = ``base``:

    .. math::
        \eta_t = \eta\left(s + (1 - s)\,\frac{\min(t, W)}{W}\right)

    which is torch's ``LinearLR(optimizer, start_factor=s, end_factor=1.0, total_iters=W)``
    (torch needs :math:`s > 0`). With a schedule ``base``, the ramp rises to :math:`\eta` = ``base(0)``
    and the schedule starts at step :math:`W`: :math:`\eta_t` = ``base(t - W)`` for :math:`t \ge W`;
    torch: ``SequentialLR(optimizer, [LinearLR(...), that scheduler], milestones=[W])``.
    ``base`` must then accept an integer array (every schedule of this module does).
    The lecture (Hung-yi Lee) motivates warm-up: :math:`\sigma` is a statistic and needs data
    before it can be trusted.
    """
    warmup_steps = _count("warmup_steps", warmup_steps)
    start_factor = number("start_factor", start_factor, low=0, high=1)
    if callable(base):
        peak, after = base(0), base
    else:
        peak = _rate("base", base)
        after = None

    def rule(t):
        ramp = peak * (start_factor + (1 - start_factor) * np.minimum(t, warmup_steps) / warmup_steps)
        if after is None:
            return ramp
        return np.where(t < warmup_steps, ramp, after(np.maximum(t - warmup_steps, 0)))

    return Schedule(rule, "warmup", base=base, warmup_steps=warmup_steps, start_factor=start_factor)


def cyclic(lr_min, lr_max, step_size_up):
    r"""Triangular cyclical learning rate (Smith 2017): ``lr_min`` to ``lr_max`` in :math:`s` steps, back in :math:`s`.

    .. math::
        \eta_t = \eta_{min} + (\eta_{max} - \eta_{min})\left(1 - \left|\frac{t}{s} - 2c + 1\right|\right),
        \qquad c = \left\lfloor 1 + \frac{t}{2s} \right\rfloor \ \text{(the cycle, from 1)}

    torch: ``CyclicLR(optimizer, base_lr=lr_min, max_lr=lr_max, step_size_up=s, mode="triangular")``.
    """
    lr_min, lr_max = _rate("lr_min", lr_min), _rate("lr_max", lr_max)
    if lr_max < lr_min:
        raise ValueError(f"lr_max must be >= lr_min = {lr_min}, got {lr_max}")
    step_size_up = _count("step_size_up", step_size_up)

    def rule(t):
        cycle = np.floor(1 + t / (2 * step_size_up))
        return lr_min + (lr_max - lr_min) * (1 - np.abs(t / step_size_up - 2 * cycle + 1))

    return Schedule(rule, "cyclic", lr_min=lr_min, lr_max=lr_max, step_size_up=step_size_up)


def one_cycle(lr_max, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
    r"""One-cycle policy (Smith & Topin 2019): cosine up from :math:`\eta_{max}/d` to :math:`\eta_{max}`, then down.

    It ends at :math:`\eta_{max}/(d f)` (d = div_factor, f = final_div_factor).

    With :math:`a = p\,T - 1` the last step of the rise (:math:`p` = pct_start, :math:`T` =
    total_steps) and :math:`\text{cos\_anneal}(x, y, u) = y + \tfrac12(x - y)(1 + \cos\pi u)`:

    .. math::
        \eta_t = \begin{cases}
        \text{cos\_anneal}(\eta_{max}/d,\ \eta_{max},\ t/a) & t \le a\\
        \text{cos\_anneal}(\eta_{max},\ \eta_{max}/(d f),\ (t-a)/(T-1-a)) & t > a
        \end{cases}

    defined for :math:`0 \le t \le T`. torch: ``OneCycleLR(optimizer, max_lr, total_steps=T,
    pct_start=p, anneal_strategy="cos", div_factor=d, final_div_factor=f, three_phase=False)``.
    """
    lr_max = _rate("lr_max", lr_max)
    total_steps = _count("total_steps", total_steps)
    pct_start = number("pct_start", pct_start, low=0, high=1, low_open=True, high_open=True)
    div_factor = number("div_factor", div_factor, low=0, low_open=True)
    final_div_factor = number("final_div_factor", final_div_factor, low=0, low_open=True)
    rise_end = pct_start * total_steps - 1
    if not 0 < rise_end < total_steps - 1:
        raise ValueError(
            f"pct_start * total_steps must lie in (1, total_steps): both phases need steps; got "
            f"pct_start={pct_start} and total_steps={total_steps}"
        )
    lr_start = lr_max / div_factor
    lr_end = lr_start / final_div_factor

    def anneal(start, end, fraction):
        return end + (start - end) / 2 * (np.cos(np.pi * fraction) + 1)

    def rule(t):
        if t.size and t.max() > total_steps:
            raise ValueError(f"t must be <= total_steps = {total_steps} for one_cycle, got {t.max()}")
        rising = anneal(lr_start, lr_max, t / rise_end)
        falling = anneal(lr_max, lr_end, (t - rise_end) / (total_steps - 1 - rise_end))
        return np.where(t <= rise_end, rising, falling)

    return Schedule(
        rule,
        "one_cycle",
        lr_max=lr_max,
        total_steps=total_steps,
        pct_start=pct_start,
        div_factor=div_factor,
        final_div_factor=final_div_factor,
    )


def noam(d_model, warmup_steps, scale=1.0):
    r"""The Transformer's schedule (Vaswani et al. 2017, "Noam"): linear warm-up, then :math:`1/\sqrt{t}` decay.

    .. math::
        \eta_t = \text{scale}\cdot d_{model}^{-1/2}\cdot\min\!\left((t+1)^{-1/2},\ (t+1)\,W^{-3/2}\right)

    (the paper counts steps from 1: its step number is :math:`t + 1`). The peak is at
    :math:`t + 1 = W`. torch: ``LambdaLR`` with this function and base lr ``scale``.
    """
    d_model, warmup_steps = _count("d_model", d_model), _count("warmup_steps", warmup_steps)
    scale = number("scale", scale, low=0, low_open=True)

    def rule(t):
        n = t + 1.0
        return scale * d_model**-0.5 * np.minimum(n**-0.5, n * warmup_steps**-1.5)

    return Schedule(rule, "noam", d_model=d_model, warmup_steps=warmup_steps, scale=scale)
