r"""Adam = RMSProp + momentum, with bias correction; AdamW decouples the weight decay."""

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

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam, as ``torch.optim.Adam`` (Kingma & Ba 2015); AMSGrad with ``amsgrad=True`` (Reddi et al. 2018).

    .. math::
        \begin{aligned}
        g_t &\leftarrow g_t + \lambda\theta_{t-1}
            \ \text{ or, decoupled, }\ \theta_{t-1} \leftarrow (1-\eta_t\lambda)\,\theta_{t-1}\\
        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t        && \text{(state['exp\_avg'])}\\
        v_t &= \beta_2 v_{t-1} + (1-\beta_2) g_t^2      && \text{(state['exp\_avg\_sq'])}\\
        \hat m_t &= \frac{m_t}{1-\beta_1^t},\quad
        \hat v_t = \frac{v_t}{1-\beta_2^t}
            \ \text{ (AMSGrad: } \hat v_t = \frac{\max_{i \le t} v_i}{1-\beta_2^t})\\
        \theta_t &= \theta_{t-1} - \eta_t\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}
        \end{aligned}

    This is the lecture's Adam (Hung-yi Lee, "Adaptive Learning Rate": RMSProp + Momentum; and
    "Optimization for Deep Learning") term for term; the lecture's :math:`\sigma` is
    :math:`\sqrt{\hat v_t}`.

    Notes
    -----
    :math:`\epsilon` is added to :math:`\sqrt{\hat v_t}` (after bias correction), as in torch
    and the paper's Algorithm 1. AdaBound and RAdam add it to :math:`\sqrt{v_t}` instead.
    ``decoupled_weight_decay=True`` (torch 2.x's Adam keyword) gives AdamW.

    Parameters
    ----------
    lr : learning rate :math:`\eta` (number, array broadcastable to params, or schedule ``lr(t)``).
    betas : :math:`(\beta_1, \beta_2)`, each in [0, 1).
    eps : :math:`\epsilon > 0`.
    weight_decay : :math:`\lambda \ge 0`.
    amsgrad : divide by the running maximum of :math:`v` (state['max_exp_avg_sq']).
    decoupled_weight_decay : AdamW's decay instead of the L2 penalty.
    """

    def __init__(
        self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *, decoupled_weight_decay=False
    ):
        self.beta1, self.beta2 = check_betas(betas)
        self.eps = check_eps(eps)
        self.weight_decay = check_weight_decay(weight_decay)
        self.amsgrad = flag("amsgrad", amsgrad)
        self.decoupled_weight_decay = flag("decoupled_weight_decay", decoupled_weight_decay)
        super().__init__(
            lr,
            betas=(self.beta1, self.beta2),
            eps=self.eps,
            weight_decay=self.weight_decay,
            amsgrad=self.amsgrad,
            decoupled_weight_decay=self.decoupled_weight_decay,
        )

    def _new_state(self, params):
        names = ["exp_avg", "exp_avg_sq"] + (["max_exp_avg_sq"] if self.amsgrad else [])
        return self._zeros(params, *names)

    def _update(self, params, g, state, lr):
        if self.decoupled_weight_decay:
            decay_weights(params, lr, self.weight_decay)
        else:
            g = l2_gradient(g, params, self.weight_decay)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        update_moments(m, v, g, self.beta1, self.beta2)
        if self.amsgrad:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        m_hat = m / (1 - self.beta1**self.t)
        v_hat = v / (1 - self.beta2**self.t)
        sigma = np.sqrt(v_hat)  # the lecture's sigma
        params -= lr * m_hat / (sigma + self.eps)


class AdamW(Adam):
    r"""AdamW, as ``torch.optim.AdamW`` (Loshchilov & Hutter 2019): Adam with decoupled weight decay.

    .. math::
        \theta_{t-1} \leftarrow (1 - \eta_t\lambda)\,\theta_{t-1},\qquad
        \theta_t = \theta_{t-1} - \eta_t\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}

    with :math:`m, v` computed from the gradient alone (see :class:`Adam`).

    Notes
    -----
    The lecture ("Optimization for Deep Learning") calls the decay inside :math:`m_t, v_t`
    "L2 regularization" and the decay outside them "weight decay". With L2, Adam divides the
    decay term by :math:`\sqrt{\hat v}`, so parameters with large gradients are hardly
    decayed; AdamW decays every parameter by the same factor. Default ``weight_decay=1e-2``,
    as torch.
    """

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
        super().__init__(lr, betas, eps, weight_decay, amsgrad, decoupled_weight_decay=True)
