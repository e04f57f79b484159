r"""NAdam: Adam with Nesterov's look-ahead applied to the momentum term."""

from __future__ import annotations

import numpy as np

from .._validate import number
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

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam, as ``torch.optim.NAdam`` (Dozat 2016, with the momentum schedule of his report).

    .. math::
        \begin{aligned}
        \mu_t &= \beta_1\left(1 - \tfrac12\, 0.96^{\,t\psi}\right)          && \text{(momentum\_decay } \psi)\\
        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2\\
        \hat m_t &= \frac{\mu_{t+1}\, m_t}{1 - \prod_{i=1}^{t+1}\mu_i}
                  + \frac{(1-\mu_t)\, g_t}{1 - \prod_{i=1}^{t}\mu_i},\qquad
        \hat v_t = \frac{v_t}{1-\beta_2^t}\\
        \theta_t &= \theta_{t-1} - \eta_t\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}
        \end{aligned}

    Weight decay :math:`\lambda` is an L2 term :math:`g_t \leftarrow g_t + \lambda\theta_{t-1}`, or with
    ``decoupled_weight_decay=True`` (NAdamW) :math:`\theta_{t-1} \leftarrow (1-\eta_t\lambda)\theta_{t-1}`.
    The running product :math:`\prod_{i \le t}\mu_i` is the attribute ``mu_product``.

    The lecture ("Optimization for Deep Learning") writes NAdam with a constant :math:`\beta_1`:

    .. math::
        \hat m_t = \frac{\beta_1 m_t}{1-\beta_1^{t+1}} + \frac{(1-\beta_1)\, g_t}{1-\beta_1^t}

    Notes
    -----
    The lecture's form is torch's with :math:`\mu_t = \beta_1`, i.e. the limit of a very large
    ``momentum_decay`` (e.g. ``1e9``: :math:`0.96^{t\psi} = 0`). With the default
    :math:`\psi = 0.004` the momentum warms up from :math:`\beta_1/2` towards :math:`\beta_1`;
    ``momentum_decay=0`` does *not* give the constant form (it gives :math:`\mu_t = \beta_1/2`).

    Parameters
    ----------
    lr : learning rate :math:`\eta` (number, array broadcastable to params, or schedule ``lr(t)``).
    betas : :math:`(\beta_1, \beta_2)`, each in [0, 1).
    eps : :math:`\epsilon > 0`.
    weight_decay : :math:`\lambda \ge 0`.
    momentum_decay : :math:`\psi \ge 0`.
    decoupled_weight_decay : decoupled decay instead of the L2 penalty.
    """

    def __init__(
        self, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3, decoupled_weight_decay=False
    ):
        self.beta1, self.beta2 = check_betas(betas)
        self.eps = check_eps(eps)
        self.weight_decay = check_weight_decay(weight_decay)
        self.momentum_decay = number("momentum_decay", momentum_decay, low=0)
        self.decoupled_weight_decay = flag("decoupled_weight_decay", decoupled_weight_decay)
        super().__init__(
            lr,
            betas=(self.beta1, self.beta2),
            eps=self.eps,
            weight_decay=self.weight_decay,
            momentum_decay=self.momentum_decay,
            decoupled_weight_decay=self.decoupled_weight_decay,
        )

    def reset(self):
        super().reset()
        self.mu_product = 1.0

    def _mu(self, t):
        return self.beta1 * (1 - 0.5 * 0.96 ** (t * self.momentum_decay))

    def _per_step(self):
        self.mu_product *= self._mu(self.t)

    def _new_state(self, params):
        return self._zeros(params, "exp_avg", "exp_avg_sq")

    def _update(self, params, g, state, lr):
        if self.decoupled_weight_decay:
            decay_weights(params, lr, self.weight_decay)
        else:
            g = l2_gradient(g, params, self.weight_decay)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        update_moments(m, v, g, self.beta1, self.beta2)
        mu, mu_next = self._mu(self.t), self._mu(self.t + 1)
        m_hat = mu_next * m / (1 - self.mu_product * mu_next) + (1 - mu) * g / (1 - self.mu_product)
        v_hat = v / (1 - self.beta2**self.t)
        params -= lr * m_hat / (np.sqrt(v_hat) + self.eps)
