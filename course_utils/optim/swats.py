r"""SWATS: start with Adam, switch to SGD with momentum once the projected SGD rate settles."""

from __future__ import annotations

import numpy as np

from .._validate import float_array, number, same_shape
from .adam import Adam
from .sgd import SGD

__all__ = ["SWATS"]


class SWATS:
    r"""SWATS, "Switching from Adam to SGD" (Keskar & Socher 2017), built from :class:`Adam` and :class:`SGD`.

    Adam phase, with :math:`p_k` the step Adam takes and :math:`g_k` the gradient (one run's whole
    parameter vector):

    .. math::
        \begin{aligned}
        p_k &= \text{Adam's step} = -\eta\,\frac{\hat m_k}{\sqrt{\hat v_k}+\epsilon}
            &&\text{(applied to the parameters)}\\
        \gamma_k &= \frac{p_k^\top p_k}{-\,p_k^\top g_k}
            &&\text{(the SGD rate whose step } -\gamma_k g_k \text{ projects onto } p_k \text{ as } p_k)\\
        \Lambda_k &= \beta_2 \Lambda_{k-1} + (1-\beta_2)\,\gamma_k
            &&\text{(its running average; } \Lambda_0 = 0)\\
        \text{switch when}\quad & k > 1 \ \text{and}\ \Big|\frac{\Lambda_k}{1-\beta_2^k} - \gamma_k\Big| < \varepsilon_{\text{switch}}
        \end{aligned}

    SGD phase, from the switch on, with the settled rate :math:`\Lambda = \Lambda_k/(1-\beta_2^k)`:

    .. math::
        b_k = \beta_1 b_{k-1} + g_k \ (b = 0 \text{ at the switch}),\qquad
        \theta_k = \theta_{k-1} - (1-\beta_1)\,\Lambda\, b_k ,

    which is ``SGD(lr=(1 - beta1) * Lambda, momentum=beta1)``: the SGD phase *is* an :class:`SGD` object.

    The projection sums over the **last axis**: a 1-D ``params`` is one run; ``params`` of shape
    ``(runs, dim)`` (or ``(..., dim)``) holds independent runs, each with its own :math:`\gamma_k,
    \Lambda_k` and its own switch. Steps where :math:`p_k^\top g_k = 0` leave :math:`\Lambda` alone
    (the paper's guard); a run also waits while the estimate :math:`\Lambda` is not positive
    (a guard of ours: a negative SGD rate would climb).

    Note:
        The paper uses :math:`\varepsilon_{\text{switch}} = 10^{-9}`, an absolute tolerance on a
        learning rate; several re-implementations use :math:`10^{-5}`. The paper's Adam puts
        :math:`\epsilon` next to :math:`\sqrt{v_k}` (before bias correction); this class uses
        :class:`Adam` as it is (torch's placement), a difference of order :math:`\epsilon`.
        :math:`p_k` is measured as the change of the parameters, so it carries the rounding of
        :math:`\theta` (relative error about :math:`10^{-16}|\theta| / |p_k|`, only visible once the
        steps are tiny).

    Attributes:
        adam: the :class:`Adam` of the first phase (it keeps stepping on a copy to measure :math:`p_k`).
        sgd: ``{run index: SGD}`` for the runs that switched (index into ``params.reshape(-1, dim)``).
        switched_at: per run, the step :math:`k` (1-based) of the switch, 0 while still on Adam.
        sgd_lr: per run, the settled rate :math:`\Lambda` (nan before the switch).
        projected_rate: per run, the last :math:`\gamma_k` (0 where :math:`p_k^\top g_k = 0` or after the switch).
        settled_rate: per run, the last bias-corrected average :math:`\Lambda_k / (1-\beta_2^k)`.
        t: number of steps taken.

    Args:
        lr: Adam's learning rate :math:`\eta` (a number or a schedule, as :class:`Adam`).
        betas: :math:`(\beta_1, \beta_2)` for Adam; :math:`\beta_1` is also the SGD momentum and
            :math:`\beta_2` the averaging factor of :math:`\Lambda`.
        eps: Adam's :math:`\epsilon`.
        switch_tol: :math:`\varepsilon_{\text{switch}} > 0`.
    """

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, switch_tol=1e-9):
        self.adam = Adam(lr=lr, betas=betas, eps=eps)  # validates lr, betas and eps
        self.beta1, self.beta2 = self.adam.beta1, self.adam.beta2
        self.switch_tol = number("switch_tol", switch_tol, low=0, low_open=True)
        self.defaults = {"lr": lr, "betas": (self.beta1, self.beta2), "eps": eps, "switch_tol": self.switch_tol}
        self.reset()

    def __repr__(self):
        return (
            f"SWATS(lr={self.defaults['lr']!r}, betas={self.defaults['betas']}, eps={self.defaults['eps']}, "
            f"switch_tol={self.switch_tol})"
        )

    def reset(self):
        """Forget everything: the next step is an Adam step 1 again."""
        self.adam.reset()
        self.sgd = {}
        self.t = 0
        self._shape = None
        self.switched_at = self.sgd_lr = self._running = self.projected_rate = self.settled_rate = None

    def current_lr(self):
        """Per run, the rate of the next step: Adam's :math:`\\eta`, or :math:`(1-\\beta_1)\\Lambda` after the switch."""
        if self._shape is None:
            return self.adam.current_lr()
        adam_lr = np.broadcast_to(np.asarray(self.adam.current_lr(), dtype=float), self._shape)
        adam_lr = adam_lr.reshape(-1, self._shape[-1])[:, 0]  # one rate per run (Adam's lr may be per run)
        return np.where(self.switched_at > 0, (1 - self.beta1) * self.sgd_lr, adam_lr)

    def step(self, params, grads):
        """One step of every run (Adam, or SGD with momentum after its switch). In place; returns params."""
        params, grads = float_array("params", params), float_array("grads", grads)
        same_shape("params", params, "grads", grads)
        if params.ndim == 0 or not params.flags.c_contiguous:
            raise ValueError(
                f"params must be a C-contiguous array of at least 1 dimension (runs along the "
                f"leading axes, parameters along the last), got shape {params.shape}"
            )
        if self._shape is None:
            self._shape = params.shape
            runs = params.size // params.shape[-1]
            self.switched_at, self.sgd_lr, self._running = np.zeros(runs, int), np.full(runs, np.nan), np.zeros(runs)
        elif params.shape != self._shape:
            raise ValueError(
                f"params has shape {params.shape}, but this optimizer was made for shape {self._shape}; "
                "use one optimizer per parameter array, or call reset()"
            )
        self.t += 1
        theta = params.reshape(-1, params.shape[-1])  # a view: one row per run
        g = grads.reshape(theta.shape)
        on_adam = self.switched_at == 0

        proposal = self.adam.step(theta.copy(), g)  # where Adam would go (Adam's state always advances)
        p = proposal - theta  # Adam's step p_k, one row per run
        theta[on_adam] = proposal[on_adam]

        pg, pp = np.sum(p * g, axis=-1), np.sum(p * p, axis=-1)
        informative = on_adam & (pg != 0)
        gamma = np.divide(pp, -pg, out=np.zeros_like(pp), where=informative)
        self._running = np.where(informative, self.beta2 * self._running + (1 - self.beta2) * gamma, self._running)
        estimate = self._running / (1 - self.beta2**self.t)
        self.projected_rate, self.settled_rate = gamma, estimate
        switch = informative & (self.t > 1) & (estimate > 0) & (np.abs(estimate - gamma) < self.switch_tol)

        for run in np.flatnonzero(~on_adam):  # the SGD phase: one SGD object per switched run
            self.sgd[run].step(theta[run], g[run])
        for run in np.flatnonzero(switch):  # switch after this Adam step
            self.switched_at[run], self.sgd_lr[run] = self.t, estimate[run]
            self.sgd[run] = SGD(lr=(1 - self.beta1) * estimate[run], momentum=self.beta1)
        return params
