r"""RAdam: Adam whose adaptive rate is switched on only once its variance is tractable."""

from __future__ import annotations

import numpy as np

from .base import (
    Optimizer,
    check_betas,
    check_eps,
    check_weight_decay,
    decay_weights,
    flag,
    l2_gradient,
    update_moments,
)

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""Rectified Adam, as ``torch.optim.RAdam`` (Liu et al. 2020).

    .. math::
        \begin{aligned}
        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,
            \quad \hat m_t = \frac{m_t}{1-\beta_1^t}\\
        \rho_\infty &= \frac{2}{1-\beta_2} - 1,\qquad
        \rho_t = \rho_\infty - \frac{2t\,\beta_2^t}{1-\beta_2^t}\\
        \text{if } \rho_t > 5:\quad
        r_t &= \sqrt{\frac{(\rho_t-4)(\rho_t-2)\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\rho_t}},\qquad
        \theta_t = \theta_{t-1} - \eta_t\, r_t\, \hat m_t\, \frac{\sqrt{1-\beta_2^t}}{\sqrt{v_t} + \epsilon}\\
        \text{else}:\quad
        \theta_t &= \theta_{t-1} - \eta_t\, \hat m_t \qquad \text{(momentum SGD)}
        \end{aligned}

    Weight decay :math:`\lambda` is an L2 term :math:`g_t \leftarrow g_t + \lambda\theta_{t-1}`, or with
    ``decoupled_weight_decay=True`` :math:`\theta_{t-1} \leftarrow (1-\eta_t\lambda)\theta_{t-1}`.

    The lecture ("Optimization for Deep Learning") explains :math:`r_t` as a warm-up that depends
    only on :math:`t`: while the variance of :math:`1/\sqrt{\hat v}` is intractable
    (:math:`\rho_t \le 4`, early steps) RAdam falls back to momentum SGD, afterwards it multiplies
    Adam's rate by :math:`r_t`, which grows towards 1.

    Notes
    -----
    The switch is at :math:`\rho_t > 5` in torch (the paper says 4); with
    :math:`\beta_2 = 0.999` that is from step :math:`t = 6` on (1-based). :math:`\epsilon` is
    added to :math:`\sqrt{v_t}` before bias correction, unlike Adam, which adds it to
    :math:`\sqrt{\hat v_t}`. The attributes ``rho`` and ``rho_inf`` hold :math:`\rho_t` (of the
    last step) and :math:`\rho_\infty`.

    Parameters
    ----------
    lr : learning rate :math:`\eta` (number, array broadcastable to params, or schedule ``lr(t)``).
    betas : :math:`(\beta_1, \beta_2)`, each in [0, 1).
    eps : :math:`\epsilon > 0`.
    weight_decay : :math:`\lambda \ge 0`.
    decoupled_weight_decay : decoupled decay instead of the L2 penalty.
    """

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False):
        self.beta1, self.beta2 = check_betas(betas)
        self.eps = check_eps(eps)
        self.weight_decay = check_weight_decay(weight_decay)
        self.decoupled_weight_decay = flag("decoupled_weight_decay", decoupled_weight_decay)
        self.rho_inf = 2 / (1 - self.beta2) - 1
        super().__init__(
            lr,
            betas=(self.beta1, self.beta2),
            eps=self.eps,
            weight_decay=self.weight_decay,
            decoupled_weight_decay=self.decoupled_weight_decay,
        )

    def _new_state(self, params):
        return self._zeros(params, "exp_avg", "exp_avg_sq")

    def reset(self):
        super().reset()
        self.rho = None

    def _per_step(self):
        t, beta2 = self.t, self.beta2
        self.rho = self.rho_inf - 2 * t * beta2**t / (1 - beta2**t)

    def rectification(self):
        r"""The factor :math:`r_t` of the last step; None before the first step and while :math:`\rho_t \le 5`."""
        rho, rho_inf = self.rho, self.rho_inf
        if rho is None or rho <= 5:
            return None
        return ((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho)) ** 0.5

    def _update(self, params, g, state, lr):
        if self.decoupled_weight_decay:
            decay_weights(params, lr, self.weight_decay)
        else:
            g = l2_gradient(g, params, self.weight_decay)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        update_moments(m, v, g, self.beta1, self.beta2)
        m_hat = m / (1 - self.beta1**self.t)
        r = self.rectification()
        if r is None:  # rho_t <= 5: the variance of the adaptive rate is intractable, momentum SGD
            params -= lr * m_hat
        else:
            adaptive_rate = np.sqrt(1 - self.beta2**self.t) / (np.sqrt(v) + self.eps)
            params -= lr * r * m_hat * adaptive_rate
