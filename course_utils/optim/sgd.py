r"""Stochastic gradient descent with momentum (SGD, SGDM, Nesterov) and its decoupled-decay twin SGDW."""

from __future__ import annotations

from .._validate import choice, number
from .base import Optimizer, check_weight_decay, decay_weights, flag, l2_gradient

__all__ = ["SGD", "SGDW"]


class SGD(Optimizer):
    r"""Gradient descent with optional (Nesterov) momentum, as ``torch.optim.SGD``.

    .. math::
        \begin{aligned}
        g_t &\leftarrow g_t + \lambda\theta_{t-1}                  && \text{(weight\_decay } \lambda\text{)}\\
        b_t &\leftarrow \begin{cases} g_t & t = 1\\
                                      \mu b_{t-1} + (1-\tau) g_t & t > 1 \end{cases}
                                                                   && \text{(momentum } \mu\text{, dampening } \tau)\\
        d_t &\leftarrow \begin{cases} g_t + \mu b_t & \text{nesterov}\\ b_t & \text{otherwise}\end{cases}\\
        \theta_t &\leftarrow \theta_{t-1} - \eta_t\, d_t
        \end{aligned}

    With ``momentum=0`` this is plain gradient descent :math:`\theta_t = \theta_{t-1} - \eta_t g_t`.

    The lecture (Hung-yi Lee, "Batch and Momentum") writes momentum as a *movement*
    :math:`m` that adds the last movement and the negative gradient, ``momentum_form="lecture"``:

    .. math::
        m_0 = 0,\qquad m_t = \lambda m_{t-1} - \eta_t g_t,\qquad \theta_t = \theta_{t-1} + m_t

    and with ``nesterov=True`` :math:`\theta_t = \theta_{t-1} + \lambda m_t - \eta_t g_t`.

    Notes
    -----
    The two forms give identical iterates while the learning rate is constant
    (:math:`m_t = -\eta b_t`). Under a schedule they differ: the lecture's movement keeps the
    old learning rates inside :math:`m`, torch multiplies the whole buffer by today's
    :math:`\eta_t`. torch stores :math:`b` (``state['momentum_buffer']``), the lecture form
    stores :math:`m` (``state['movement']``). The lecture has no dampening, so
    ``momentum_form="lecture"`` requires ``dampening=0``. torch's first buffer is :math:`g_1`
    itself, without dampening.

    Parameters
    ----------
    lr : learning rate :math:`\eta` (number, array broadcastable to params, or schedule ``lr(t)``).
    momentum : :math:`\mu \in [0, 1)`.
    dampening : :math:`\tau \in [0, 1]`.
    weight_decay : L2 penalty :math:`\lambda \ge 0` added to the gradient.
    nesterov : Nesterov momentum (needs ``momentum > 0`` and ``dampening = 0``).
    momentum_form : ``"torch"`` (default) or ``"lecture"``.
    """

    _decoupled = False

    def __init__(self, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, momentum_form="torch"):
        self.momentum = number("momentum", momentum, low=0, high=1, high_open=True)
        self.dampening = number("dampening", dampening, low=0, high=1)
        self.weight_decay = check_weight_decay(weight_decay)
        self.nesterov = flag("nesterov", nesterov)
        self.momentum_form = choice("momentum_form", momentum_form, ("torch", "lecture"))
        if self.nesterov and (self.momentum == 0 or self.dampening != 0):
            raise ValueError(
                f"nesterov=True requires momentum > 0 and dampening == 0, got momentum={momentum!r} "
                f"and dampening={dampening!r}"
            )
        if self.momentum_form == "lecture" and self.dampening != 0:
            raise ValueError(f"momentum_form='lecture' has no dampening: dampening must be 0, got {dampening!r}")
        super().__init__(
            lr,
            momentum=self.momentum,
            dampening=self.dampening,
            weight_decay=self.weight_decay,
            nesterov=self.nesterov,
            momentum_form=self.momentum_form,
        )

    def _new_state(self, params):
        if self.momentum == 0:
            return {}
        return self._zeros(params, "movement" if self.momentum_form == "lecture" else "momentum_buffer")

    def _update(self, params, g, state, lr):
        if self._decoupled:
            decay_weights(params, lr, self.weight_decay)
        else:
            g = l2_gradient(g, params, self.weight_decay)
        if self.momentum == 0:
            params -= lr * g
        elif self.momentum_form == "lecture":
            self._lecture_momentum(params, g, state["movement"], lr)
        else:
            self._torch_momentum(params, g, state["momentum_buffer"], lr)

    def _torch_momentum(self, params, g, b, lr):
        mu, tau = self.momentum, self.dampening
        if self.t == 1:
            b[...] = g  # b_1 = g_1
        else:
            b *= mu
            b += (1 - tau) * g  # b_t = mu b_{t-1} + (1 - tau) g_t
        d = g + mu * b if self.nesterov else b
        params -= lr * d

    def _lecture_momentum(self, params, g, m, lr):
        lam = self.momentum
        m *= lam
        m -= lr * g  # m_t = lam m_{t-1} - eta g_t
        if self.nesterov:
            params += lam * m - lr * g
        else:
            params += m  # theta_t = theta_{t-1} + m_t


class SGDW(SGD):
    r"""SGD with *decoupled* weight decay (Loshchilov & Hutter, "Decoupled Weight Decay Regularization").

    .. math::
        \theta_t \leftarrow \theta_{t-1} - \eta_t\, d_t - \eta_t \lambda\, \theta_{t-1}

    where :math:`d_t` is SGD's update direction computed from the gradient *without* the decay
    term. It is applied as :math:`\theta \leftarrow \theta(1 - \eta_t\lambda)` first, then
    :math:`\theta \leftarrow \theta - \eta_t d_t` (the same order as ``torch.optim.AdamW``; both
    use :math:`\theta_{t-1}`, so the order does not change the result).

    Notes
    -----
    For plain SGD (``momentum=0``) this equals SGD's L2 ``weight_decay``: both subtract
    :math:`\eta\lambda\theta`. With momentum they differ: SGD's L2 term enters the momentum
    buffer and keeps acting on later steps (amplified by :math:`1/(1-\mu)`), the decoupled decay
    shrinks the weights once per step and never enters the buffer. The paper multiplies the
    decay by the schedule factor only (:math:`\eta_t/\eta_0`); like torch's AdamW we use
    :math:`\eta_t\lambda`, so ``weight_decay`` here is the paper's :math:`\lambda/\eta_0`.

    Args are SGD's; ``weight_decay`` (default 0) is the decoupled decay :math:`\lambda`.
    """

    _decoupled = True
