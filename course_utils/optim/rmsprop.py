r"""RMSProp: divide each step by a moving root mean square of recent gradients."""

from __future__ import annotations

import numpy as np

from .._validate import number
from .base import Optimizer, check_eps, check_weight_decay, flag, l2_gradient

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSProp, as ``torch.optim.RMSprop`` (Hinton's lecture 6e; centered form by Graves 2013).

    .. math::
        \begin{aligned}
        g_t &\leftarrow g_t + \lambda\theta_{t-1}                    && \text{(weight\_decay } \lambda)\\
        v_t &= \alpha v_{t-1} + (1-\alpha) g_t^2,\quad v_0 = 0       && \text{(state['square\_avg'])}\\
        \bar g_t &= \alpha \bar g_{t-1} + (1-\alpha) g_t               && \text{(centered; state['grad\_avg'])}\\
        \sigma_t &= \sqrt{v_t}\ \text{ or, centered, }\ \sqrt{v_t - \bar g_t^2}\\
        b_t &= \mu b_{t-1} + \frac{g_t}{\sigma_t + \epsilon},\quad
              \theta_t = \theta_{t-1} - \eta_t b_t                   && \text{(momentum } \mu > 0)\\
        \theta_t &= \theta_{t-1} - \eta_t \frac{g_t}{\sigma_t + \epsilon} && \text{(momentum } \mu = 0)
        \end{aligned}

    The lecture (Hung-yi Lee, "Adaptive Learning Rate") starts :math:`\sigma` at the first
    gradient's size, ``lecture_init=True`` (0-based step :math:`t` as in the lecture):

    .. math::
        \sigma_0 = \sqrt{g_0^2} = |g_0|,\qquad
        \sigma_t = \sqrt{\alpha\sigma_{t-1}^2 + (1-\alpha) g_t^2},\qquad
        \theta_{t+1} = \theta_t - \frac{\eta}{\sigma_t}\, g_t

    Notes
    -----
    torch starts the average at zero, so its first :math:`\sigma` is :math:`\sqrt{1-\alpha}\,|g_0|`
    (a tenth of :math:`|g_0|` for :math:`\alpha = 0.99`) and its first steps are up to ten times
    larger than the lecture's; no bias correction repairs this (Adam adds one).
    :math:`\epsilon` is added after the root in both forms (the lecture has none).
    ``lecture_init`` describes the lecture's plain RMSProp and cannot be combined with
    ``centered=True``.

    Parameters
    ----------
    lr : learning rate :math:`\eta` (number, array broadcastable to params, or schedule ``lr(t)``).
    alpha : smoothing constant :math:`\alpha \in [0, 1)`.
    eps : :math:`\epsilon > 0`.
    weight_decay : L2 penalty :math:`\lambda \ge 0`.
    momentum : :math:`\mu \in [0, 1)`.
    centered : divide by the estimated standard deviation instead of the root mean square.
    lecture_init : the lecture's :math:`\sigma_0 = |g_0|`.
    """

    def __init__(
        self, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, *, lecture_init=False
    ):
        self.alpha = number("alpha", alpha, low=0, high=1, high_open=True)
        self.eps = check_eps(eps)
        self.weight_decay = check_weight_decay(weight_decay)
        self.momentum = number("momentum", momentum, low=0, high=1, high_open=True)
        self.centered = flag("centered", centered)
        self.lecture_init = flag("lecture_init", lecture_init)
        if self.centered and self.lecture_init:
            raise ValueError("lecture_init=True is the lecture's plain RMSProp: it needs centered=False")
        super().__init__(
            lr,
            alpha=self.alpha,
            eps=self.eps,
            weight_decay=self.weight_decay,
            momentum=self.momentum,
            centered=self.centered,
            lecture_init=self.lecture_init,
        )

    def _new_state(self, params):
        names = ["square_avg"]
        if self.momentum > 0:
            names.append("momentum_buffer")
        if self.centered:
            names.append("grad_avg")
        return self._zeros(params, *names)

    def _update(self, params, g, state, lr):
        g = l2_gradient(g, params, self.weight_decay)
        alpha, v = self.alpha, state["square_avg"]
        if self.lecture_init and self.t == 1:
            v[...] = g**2  # sigma_0^2 = g_0^2
        else:
            v *= alpha
            v += (1 - alpha) * g**2  # v_t = alpha v_{t-1} + (1 - alpha) g_t^2
        if self.centered:
            g_bar = state["grad_avg"]
            g_bar *= alpha
            g_bar += (1 - alpha) * g
            sigma = np.sqrt(np.maximum(v - g_bar**2, 0))  # >= 0 exactly; rounding can make it -tiny
        else:
            sigma = np.sqrt(v)
        if self.momentum > 0:
            b = state["momentum_buffer"]
            b *= self.momentum
            b += g / (sigma + self.eps)  # b_t = mu b_{t-1} + g_t / (sigma_t + eps)
            params -= lr * b
        else:
            params -= lr * g / (sigma + self.eps)
