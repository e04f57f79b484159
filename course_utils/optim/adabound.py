r"""AdaBound / AMSBound: Adam whose per-parameter rate is clipped into bounds that close in on SGD's."""

from __future__ import annotations

import numpy as np

from .._validate import number
from .base import Optimizer, check_betas, check_eps, check_weight_decay, flag, l2_gradient, update_moments

__all__ = ["AdaBound"]


class AdaBound(Optimizer):
    r"""AdaBound (Luo et al., ICLR 2019), with the semantics of the authors' code (github Luolc/AdaBound).

    .. math::
        \begin{aligned}
        g_t &\leftarrow g_t + \lambda\theta_{t-1}                      && \text{(weight\_decay } \lambda)\\
        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2
             && \text{(AMSBound: } v_t \leftarrow \max_{i\le t} v_i)\\
        \alpha_t &= \eta_t\,\frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t},\qquad
        \eta^*_t = \eta^*\,\frac{\eta_t}{\eta_0}                         && \text{(final\_lr } \eta^*)\\
        \ell_t &= \eta^*_t\left(1 - \frac{1}{\gamma t + 1}\right),\qquad
        u_t = \eta^*_t\left(1 + \frac{1}{\gamma t}\right)\\
        \theta_t &= \theta_{t-1} - \operatorname{clip}\!\left(\frac{\alpha_t}{\sqrt{v_t} + \epsilon},
                     \ell_t, u_t\right) m_t
        \end{aligned}

    Early on the bounds are wide (:math:`[0, \infty)`: Adam); as :math:`t` grows both tend to
    :math:`\eta^*`, so AdaBound ends as SGD with momentum and learning rate :math:`\eta^*`. The
    lecture ("Optimization for Deep Learning") writes it as
    :math:`\theta_t = \theta_{t-1} - \operatorname{Clip}(\eta/\sqrt{\hat v_t})\,\hat m_t`.

    Notes
    -----
    As in the reference code, :math:`\epsilon` is added to :math:`\sqrt{v_t}` (before bias
    correction) and the clipped rate multiplies the *uncorrected* :math:`m_t`, the bias
    correction living in :math:`\alpha_t`. Under a schedule, ``final_lr`` is scaled by
    :math:`\eta_t/\eta_0`, the reference code's workaround "to apply lr decay"; here
    :math:`\eta_0` = ``lr(0)`` (the reference uses the lr the optimizer was built with, which is
    the same for every decaying schedule), so it must be positive.

    Parameters
    ----------
    lr : Adam-phase learning rate :math:`\eta` (number, array broadcastable to params, or schedule).
    betas : :math:`(\beta_1, \beta_2)`, each in [0, 1).
    final_lr : the SGD learning rate :math:`\eta^* \ge 0` both bounds converge to.
    gamma : convergence speed of the bounds, :math:`\gamma \in (0, 1)`.
    eps : :math:`\epsilon > 0`.
    weight_decay : L2 penalty :math:`\lambda \ge 0`.
    amsbound : use the running maximum of :math:`v` (AMSBound).
    """

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), final_lr=0.1, gamma=1e-3, eps=1e-8, weight_decay=0, amsbound=False):
        self.beta1, self.beta2 = check_betas(betas)
        self.final_lr = number("final_lr", final_lr, low=0)
        self.gamma = number("gamma", gamma, low=0, high=1, low_open=True, high_open=True)
        self.eps = check_eps(eps)
        self.weight_decay = check_weight_decay(weight_decay)
        self.amsbound = flag("amsbound", amsbound)
        super().__init__(
            lr,
            betas=(self.beta1, self.beta2),
            final_lr=self.final_lr,
            gamma=self.gamma,
            eps=self.eps,
            weight_decay=self.weight_decay,
            amsbound=self.amsbound,
        )
        self.initial_lr = self._lr_at(0)
        if np.any(np.asarray(self.initial_lr) <= 0):
            raise ValueError("lr at step 0 must be > 0 for AdaBound: final_lr is scaled by lr(t) / lr(0)")

    def _new_state(self, params):
        names = ["exp_avg", "exp_avg_sq"] + (["max_exp_avg_sq"] if self.amsbound else [])
        return self._zeros(params, *names)

    def bounds(self, t, lr=None):
        r"""The bounds :math:`(\ell_t, u_t)` at 1-based step ``t`` (number or array) for ``lr`` (default: lr(0))."""
        lr = self.initial_lr if lr is None else lr
        final_lr = self.final_lr * lr / self.initial_lr
        return final_lr * (1 - 1 / (self.gamma * t + 1)), final_lr * (1 + 1 / (self.gamma * t))

    def _update(self, params, g, state, lr):
        g = l2_gradient(g, params, self.weight_decay)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        update_moments(m, v, g, self.beta1, self.beta2)
        if self.amsbound:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        alpha = lr * np.sqrt(1 - self.beta2**self.t) / (1 - self.beta1**self.t)
        lower, upper = self.bounds(self.t, lr)
        rate = np.clip(alpha / (np.sqrt(v) + self.eps), lower, upper)
        params -= rate * m
