r"""Lookahead: k fast steps forward with any optimizer, then one step back toward the slow weights."""

from __future__ import annotations

from .._validate import float_array, number
from .base import Optimizer

__all__ = ["Lookahead"]


class Lookahead:
    r"""Lookahead (Zhang, Lucas, Hinton & Ba, NeurIPS 2019) around an inner optimizer.

    .. math::
        \begin{aligned}
        \phi &\leftarrow \theta_0 \quad \text{(slow weights, copied at the first step)}\\
        \theta_t &= \text{inner.step}(\theta_{t-1}, g_t) \quad \text{(fast weights)}\\
        \text{every } k \text{ steps:}\quad \phi &\leftarrow \phi + \alpha(\theta_t - \phi),
            \qquad \theta_t \leftarrow \phi
        \end{aligned}

    The lecture ("Optimization for Deep Learning") describes it as "k steps forward, 1 step back":
    the fast weights explore, the slow weights move a fraction :math:`\alpha` of the way towards
    where they ended, and the fast weights restart from there. The inner optimizer's state
    (e.g. Adam's moments) is kept across the synchronisations, as in the paper.

    Attributes
    ----------
    inner : the wrapped optimizer.
    slow : the slow weights :math:`\phi` (None before the first step), for plotting.
    t : number of steps taken.

    Parameters
    ----------
    inner : any optimizer of :mod:`course_utils.optim` (not yet used, or reset).
    k : synchronisation period, an integer >= 1.
    alpha : slow-weights step size :math:`\alpha \in [0, 1]`.
    """

    def __init__(self, inner, k=5, alpha=0.5):
        if not isinstance(inner, Optimizer):
            raise ValueError(f"inner must be an optimizer from course_utils.optim (e.g. Adam()), got {inner!r}")
        self.inner = inner
        self.k = number("k", k, low=1, integer=True)
        self.alpha = number("alpha", alpha, low=0, high=1)
        self.defaults = {"inner": inner, "k": self.k, "alpha": self.alpha}
        self.t = 0
        self.slow = None

    def __repr__(self):
        return f"Lookahead({self.inner!r}, k={self.k}, alpha={self.alpha})"

    @property
    def state(self):
        """The inner optimizer's state plus ``'slow_weights'``."""
        return {**self.inner.state, "slow_weights": self.slow} if self.slow is not None else dict(self.inner.state)

    def reset(self):
        """Forget the slow weights and reset the inner optimizer."""
        self.inner.reset()
        self.t = 0
        self.slow = None

    def current_lr(self):
        """The inner optimizer's learning rate for the next step."""
        return self.inner.current_lr()

    def step(self, params, grads):
        """One fast step of the inner optimizer; every ``k``-th step also the slow update. In place; returns params."""
        if self.slow is None:
            self.slow = float_array("params", params).copy()
        self.inner.step(params, grads)
        self.t += 1
        if self.t % self.k == 0:
            phi = self.slow
            phi += self.alpha * (params - phi)  # phi <- phi + alpha (theta - phi)
            params[...] = phi  # theta <- phi
        return params
