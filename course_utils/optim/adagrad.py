r"""Adagrad: each parameter's step is divided by the size of its past gradients."""

from __future__ import annotations

import numpy as np

from .._validate import choice, number
from .base import Optimizer, check_eps, check_weight_decay, l2_gradient

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad, as ``torch.optim.Adagrad`` (Duchi et al. 2011).

    .. math::
        \begin{aligned}
        g_t &\leftarrow g_t + \lambda\theta_{t-1}              && \text{(weight\_decay } \lambda)\\
        \tilde\eta_t &= \frac{\eta_t}{1 + (t-1)\,\delta}      && \text{(lr\_decay } \delta)\\
        s_t &= s_{t-1} + g_t^2,\quad s_0 = \text{initial\_accumulator\_value}\\
        \theta_t &= \theta_{t-1} - \tilde\eta_t\,\frac{g_t}{\sigma_t + \epsilon},
            \qquad \sigma_t = \sqrt{s_t}
        \end{aligned}

    The lecture (Hung-yi Lee, "Adaptive Learning Rate") uses the *root mean square* of the
    gradients so far, ``sigma="rms"`` (with 0-based step :math:`t` as in the lecture):

    .. math::
        \sigma_t = \sqrt{\frac{1}{t+1}\sum_{i=0}^{t} g_i^2},\qquad
        \theta_{t+1} = \theta_t - \frac{\eta}{\sigma_t}\, g_t

    Notes
    -----
    Sum versus mean: the lecture's :math:`\sigma` is the framework's divided by
    :math:`\sqrt{t+1}`, so for the same :math:`\eta` its steps are :math:`\sqrt{t+1}` times
    larger: the lecture's Adagrad with :math:`\eta` is torch's with the schedule
    :math:`\eta\sqrt{t+1}` (up to where :math:`\epsilon` sits). :math:`\epsilon` is added
    after the root, :math:`\sigma_t + \epsilon`, in both forms (the lecture has none).
    With ``sigma="rms"`` the accumulator also starts at ``initial_accumulator_value``, and
    ``state['sum']`` is the same sum.

    Parameters
    ----------
    lr : learning rate :math:`\eta` (number, array broadcastable to params, or schedule ``lr(t)``).
    lr_decay : :math:`\delta \ge 0`.
    weight_decay : L2 penalty :math:`\lambda \ge 0`.
    initial_accumulator_value : :math:`s_0 \ge 0`.
    eps : :math:`\epsilon > 0`.
    sigma : ``"sum"`` (default, torch) or ``"rms"`` (the lecture).
    """

    def __init__(self, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, *, sigma="sum"):
        self.lr_decay = number("lr_decay", lr_decay, low=0)
        self.weight_decay = check_weight_decay(weight_decay)
        self.initial_accumulator_value = number("initial_accumulator_value", initial_accumulator_value, low=0)
        self.eps = check_eps(eps)
        self.sigma = choice("sigma", sigma, ("sum", "rms"))
        super().__init__(
            lr,
            lr_decay=self.lr_decay,
            weight_decay=self.weight_decay,
            initial_accumulator_value=self.initial_accumulator_value,
            eps=self.eps,
            sigma=self.sigma,
        )

    def _new_state(self, params):
        return {"sum": np.full(params.shape, self.initial_accumulator_value, params.dtype)}

    def _update(self, params, g, state, lr):
        g = l2_gradient(g, params, self.weight_decay)
        s = state["sum"]
        s += g**2  # s_t = s_{t-1} + g_t^2
        if self.sigma == "rms":
            sigma = np.sqrt(s / self.t)  # the lecture: root mean square of the t gradients so far
        else:
            sigma = np.sqrt(s)
        eta = lr / (1 + (self.t - 1) * self.lr_decay)
        params -= eta * g / (sigma + self.eps)
