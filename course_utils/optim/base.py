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
step with the shape and dtype of ``params``) and ``_update`` (the rule itself, written with
in-place numpy operations). ``_update`` may receive the arrays a block at a time: a large
contiguous array is processed in cache-sized blocks, so the dozen passes of a rule like Adam's run
in the CPU cache and main memory sees one read and one write of each array per step.
"""
from __future__ import annotations

import numpy as np

from .._validate import choice, float_array, number, same_shape

__all__ = ["Optimizer", "check_lr", "check_betas", "flag", "weight_decay_step"]


def check_lr(lr, name="lr"):
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
        raise ValueError(f"{name} must be a number >= 0, an ndarray of such numbers broadcastable to params, "
                         f"or a schedule lr(t); got {lr!r}") from None


def check_betas(betas):
    """Return ``betas`` as a pair of floats, each in [0, 1)."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), each in [0, 1), got {betas!r}")
    return tuple(number(f"betas[{i}]", b, low=0, high=1, high_open=True) for i, b in enumerate(betas))


def flag(name, value):
    """Return ``value`` checked to be True or False."""
    return bool(choice(name, value, (False, True)))


def weight_decay_step(params, grads, lr, weight_decay, decoupled, out):
    r"""Apply weight decay :math:`\lambda`; return the gradient the rest of the rule should use.

    * L2 penalty (``decoupled=False``): :math:`g \leftarrow g + \lambda\theta`, written to ``out``
      (the caller's ``grads`` are never modified).
    * Decoupled (``decoupled=True``, Loshchilov & Hutter): :math:`\theta \leftarrow \theta(1-\eta\lambda)`
      in place, before the update; the gradient is returned unchanged.
    """
    if not weight_decay:
        return grads
    if decoupled:
        np.multiply(params, 1 - lr * weight_decay, out=params)
        return grads
    np.multiply(params, weight_decay, out=out)
    np.add(out, grads, out=out)
    return out


def _broadcasts_to(shape, target):
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def _show(value):
    if isinstance(value, np.ndarray):
        return f"<array of shape {value.shape}>"
    return repr(value)


class Optimizer:
    """Base class: one instance updates one parameter array in place; state is created at the first step.

    Attributes:
        t: number of steps taken.
        state: dict of named arrays (e.g. ``'exp_avg'``), empty until the first step.
        defaults: the hyper-parameters, as given.
    """

    #: how many scratch arrays ``_update`` needs (allocated once, reused every step)
    n_work = 2
    #: elements per block when a large contiguous array is updated block by block
    block_size = 1 << 15

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
        self._work = {}

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
        if np.ndim(lr) and not _broadcasts_to(np.shape(lr), params.shape):
            raise ValueError(f"lr has shape {np.shape(lr)}, which does not broadcast to the shape "
                             f"{params.shape} of params")
        if self._shape is None:
            self._shape, self._dtype = params.shape, params.dtype
            self.state = self._new_state(params)
        self.t += 1
        self._per_step()
        for block in self._blocks(params, grads, lr):
            self._update(*block)
        return params

    def _check(self, params, grads):
        float_array("params", params)
        float_array("grads", grads)
        same_shape("params", params, "grads", grads)
        if self._shape is not None and (params.shape != self._shape or params.dtype != self._dtype):
            raise ValueError(f"params has shape {params.shape} and dtype {params.dtype}, but this optimizer's "
                             f"state was made for shape {self._shape} and dtype {self._dtype}; use one "
                             "optimizer per parameter array, or call reset()")
        with np.errstate(over="ignore", invalid="ignore"):
            total = grads.sum()  # one cheap pass; the exact test only if the sum is not finite
        if not np.isfinite(total) and not np.isfinite(grads).all():
            raise ValueError(f"grads contain nan or inf at step t={self.t} (0-based); the run has diverged: "
                             "lower the learning rate")

    def _blocks(self, params, grads, lr):
        """Yield ``(params, grads, state, lr, work)``: the whole arrays, or cache-sized flat blocks of them."""
        size = params.size
        if size <= self.block_size or np.ndim(lr) or not params.flags.c_contiguous:
            yield params, grads, self.state, lr, self._scratch(params.shape)
            return
        flat_params = params.reshape(-1)  # a view, since params is contiguous
        flat_grads = np.ravel(grads)
        flat_state = {name: array.reshape(-1) for name, array in self.state.items()}
        work = self._scratch((self.block_size,))
        for start in range(0, size, self.block_size):
            part = slice(start, start + self.block_size)
            length = min(self.block_size, size - start)
            yield (flat_params[part], flat_grads[part], {name: a[part] for name, a in flat_state.items()},
                   lr, [w[:length] for w in work])

    def _scratch(self, shape):
        if shape not in self._work:
            self._work[shape] = [np.empty(shape, self._dtype) for _ in range(self.n_work)]
        return self._work[shape]

    def _zeros(self, params, *names):
        """Named zero arrays like ``params``, always C-contiguous (so blocks of them are views)."""
        return {name: np.zeros(params.shape, params.dtype) for name in names}

    # --- what a subclass defines -------------------------------------------------------------
    def _new_state(self, params):
        """The named state arrays, created at the first step (shape and dtype of ``params``)."""
        return {}

    def _per_step(self):
        """Update scalar state once per step (``self.t`` already counts this step)."""

    def _update(self, params, grads, state, lr, work):  # pragma: no cover - abstract
        raise NotImplementedError
