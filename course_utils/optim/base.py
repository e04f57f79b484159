r"""What every optimizer shares: argument checks, the step counter ``t``, the learning rate of a step.

An optimizer here updates **one** parameter array in place::

    opt = Adam(lr=1e-3)
    for t in range(100):
        opt.step(params, grad(params))     # params changes in place; opt.t == t + 1 afterwards

All rules are element-wise, so ``params`` may hold many independent runs (shape ``(runs, dim)``),
and ``lr`` may be

* a number :math:`\eta \ge 0`,
* an ndarray broadcastable to ``params`` (e.g. shape ``(runs, 1)``: one learning rate per run), or
* a schedule, a callable of the 0-based step index, ``lr(t)`` (see :mod:`course_utils.schedules`).

A subclass states its rule in two methods: ``_new_state`` (the named arrays, created at the first
step with the shape and dtype of ``params``) and ``_update(params, g, state, lr)``, the rule
itself, written line for line like the formula in the class docstring. This module also holds
what several rules share: the two kinds of weight decay (:func:`l2_gradient`,
:func:`decay_weights`) and Adam's moving averages (:func:`update_moments`).
"""

from __future__ import annotations

import numpy as np

from .._validate import choice, float_array, number, same_shape

__all__ = [
    "Optimizer",
    "check_lr",
    "check_betas",
    "check_eps",
    "check_weight_decay",
    "flag",
    "l2_gradient",
    "decay_weights",
    "update_moments",
]


# --- hyper-parameter checks -------------------------------------------------------------------
def check_lr(lr, name: str = "lr"):
    """Return ``lr`` checked: a number >= 0, an ndarray of finite numbers >= 0, or a callable ``lr(t)``."""
    if callable(lr):
        return lr
    if isinstance(lr, np.ndarray):
        if lr.dtype == bool or not (np.issubdtype(lr.dtype, np.floating) or np.issubdtype(lr.dtype, np.integer)):
            raise ValueError(f"{name} must hold numbers >= 0, got an array of dtype {lr.dtype}")
        lr = lr.astype(np.float64)  # a private copy: the caller may reuse the array
        if not np.isfinite(lr).all() or (lr < 0).any():
            raise ValueError(f"{name} must hold finite numbers >= 0, got values in [{lr.min()}, {lr.max()}]")
        return lr
    try:
        return number(name, lr, low=0)
    except ValueError:
        raise ValueError(
            f"{name} must be a number >= 0, an ndarray of such numbers broadcastable to params, "
            f"or a schedule lr(t); got {lr!r}"
        ) from None


def check_betas(betas) -> tuple[float, float]:
    """Return ``betas`` as a pair of floats, each in [0, 1)."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), each in [0, 1), got {betas!r}")
    return tuple(number(f"betas[{i}]", b, low=0, high=1, high_open=True) for i, b in enumerate(betas))


def check_eps(eps) -> float:
    """Return ``eps`` checked to be a number > 0."""
    return number("eps", eps, low=0, low_open=True)


def check_weight_decay(weight_decay) -> float:
    """Return ``weight_decay`` checked to be a number >= 0."""
    return number("weight_decay", weight_decay, low=0)


def flag(name: str, value) -> bool:
    """Return ``value`` checked to be True or False."""
    return bool(choice(name, value, (False, True)))


# --- what several rules share -----------------------------------------------------------------
def l2_gradient(g, params, weight_decay):
    r"""L2 regularization inside the gradient: :math:`g + \lambda\theta` (a new array; ``g`` is not modified)."""
    if not weight_decay:
        return g
    return g + weight_decay * params


def decay_weights(params, lr, weight_decay):
    r"""Decoupled weight decay (Loshchilov & Hutter), in place: :math:`\theta \leftarrow (1 - \eta\lambda)\,\theta`."""
    if weight_decay:
        params *= 1 - lr * weight_decay


def update_moments(m, v, g, beta1, beta2):
    r"""Adam's moving averages, in place: :math:`m \leftarrow \beta_1 m + (1-\beta_1) g`,
    :math:`v \leftarrow \beta_2 v + (1-\beta_2) g^2`. Shared by Adam, NAdam, RAdam and AdaBound."""
    m *= beta1
    m += (1 - beta1) * g
    v *= beta2
    v += (1 - beta2) * g**2


def _broadcasts_to(shape, target) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def _show(value) -> str:
    if isinstance(value, np.ndarray):
        return f"<array of shape {value.shape}>"
    return repr(value)


class Optimizer:
    """Base class: one instance updates one parameter array in place; state is created at the first step.

    Attributes
    ----------
    t : number of steps taken.
    state : dict of named arrays (e.g. ``'exp_avg'``), empty until the first step.
    defaults : the hyper-parameters, as given.
    """

    def __init__(self, lr, **hyper):
        self.lr = check_lr(lr)
        self.defaults = {"lr": self.lr, **hyper}
        self.reset()

    def __repr__(self):
        args = ", ".join(f"{k}={_show(v)}" for k, v in self.defaults.items())
        return f"{type(self).__name__}({args})"

    def reset(self):
        """Forget all state: the next step is step 0 again."""
        self.t = 0
        self.state = {}
        self._shape = None
        self._dtype = None

    def current_lr(self):
        """The learning rate the next step uses (a number, or an array for an array ``lr``)."""
        return self._lr_at(self.t)

    def _lr_at(self, t):
        if not callable(self.lr):
            return self.lr
        return check_lr(self.lr(t), name=f"lr(t) at step t={t}")

    def step(self, params, grads):
        """Update ``params`` in place with ``grads`` and return ``params``."""
        self._check(params, grads)
        lr = self._lr_at(self.t)
        if isinstance(lr, np.ndarray) and lr.ndim and not _broadcasts_to(lr.shape, params.shape):
            raise ValueError(
                f"lr has shape {np.shape(lr)}, which does not broadcast to the shape {params.shape} of params"
            )
        if self._shape is None:
            self._shape, self._dtype = params.shape, params.dtype
            self.state = self._new_state(params)
        self.t += 1
        self._per_step()
        self._update(params, grads, self.state, lr)
        return params

    def _check(self, params, grads):
        float_array("params", params)
        float_array("grads", grads)
        same_shape("params", params, "grads", grads)
        if self._shape is not None and (params.shape != self._shape or params.dtype != self._dtype):
            raise ValueError(
                f"params has shape {params.shape} and dtype {params.dtype}, but this optimizer's "
                f"state was made for shape {self._shape} and dtype {self._dtype}; use one "
                "optimizer per parameter array, or call reset()"
            )
        if not np.isfinite(grads).all():
            raise ValueError(
                f"grads contain nan or inf at step t={self.t} (0-based); the run has diverged: lower the learning rate"
            )

    def _zeros(self, params, *names):
        """Named zero arrays shaped like ``params``."""
        return {name: np.zeros(params.shape, params.dtype) for name in names}

    # --- what a subclass defines -------------------------------------------------------------
    def _new_state(self, params):
        """The named state arrays, created at the first step (shape and dtype of ``params``)."""
        return {}

    def _per_step(self):
        """Update scalar state once per step (``self.t`` already counts this step)."""

    def _update(self, params, g, state, lr):  # pragma: no cover - abstract
        """The rule: update ``params`` (and the arrays in ``state``) in place from the gradient ``g``."""
        raise NotImplementedError
