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

A very large array (``parallel_size`` elements or more, far beyond any array of the course's
notebooks) is cut into chunks of whole blocks that ``threads`` threads update at the same time,
each taking the next chunk when it is done (so a thread slowed by another process does less):
numpy releases the GIL inside its loops, and one core alone cannot keep main memory busy. Every
rule is element-wise, so each element gets the same bits whichever thread computes it: the
result does not depend on the number of threads. ``threads`` is ``min(2, cores)`` by default;
set ``COURSE_OPTIM_THREADS`` or the attribute (``opt.threads = 1``, or ``Optimizer.threads = 1``
for all) to change it.
"""
from __future__ import annotations

import contextvars
import itertools
import os
import threading
from concurrent import futures

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


def _default_threads():
    value = os.environ.get("COURSE_OPTIM_THREADS")
    if value:
        return max(1, int(value))
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(2, cores))


_pool = None
_pool_lock = threading.Lock()


def _executor(workers):
    """A process-wide pool of at least ``workers`` threads (made on first use, kept for reuse)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool._max_workers < workers:
            old, _pool = _pool, futures.ThreadPoolExecutor(workers, thread_name_prefix="course_utils.optim")
            if old is not None:
                old.shutdown(wait=False)
        return _pool


def _forget_pool():  # a forked child inherits the pool object but not its threads
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _share_out(jobs, threads, work):
    """``work(start, stop, worker)`` for every ``(start, stop)`` in ``jobs``, by ``threads`` threads.

    Each thread takes the next job when it is done with one; this thread is worker 0, the others
    come from the pool and run in a copy of this thread's context (so ``np.errstate`` applies to
    them too). Returns the results in the order of ``jobs``.
    """
    taken = itertools.count()  # next() on it is atomic: each job goes to one thread
    results = [None] * len(jobs)

    def worker(index):
        while (job := next(taken)) < len(jobs):
            results[job] = work(*jobs[job], index)

    pending = [_executor(threads - 1).submit(contextvars.copy_context().run, worker, index)
               for index in range(1, threads)]
    try:
        worker(0)
    finally:
        futures.wait(pending)  # never leave a thread writing to the arrays after an error
    for job in pending:
        job.result()  # raise a worker's error here
    return results


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
    #: threads that update an array of at least ``parallel_size`` elements (same result with any number),
    #: taking ``chunk_size`` elements at a time
    threads = _default_threads()
    parallel_size = 1 << 20
    chunk_size = 1 << 19

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
        if isinstance(lr, np.ndarray) and lr.ndim and not _broadcasts_to(lr.shape, params.shape):
            raise ValueError(f"lr has shape {np.shape(lr)}, which does not broadcast to the shape "
                             f"{params.shape} of params")
        if self._shape is None:
            self._shape, self._dtype = params.shape, params.dtype
            self.state = self._new_state(params)
        self.t += 1
        self._per_step()
        self._apply(params, grads, lr)
        return params

    def _check(self, params, grads):
        if not (isinstance(params, np.ndarray) and isinstance(grads, np.ndarray)  # the usual case, fast
                and params.dtype.kind == "f" and grads.dtype.kind == "f" and params.shape == grads.shape):
            float_array("params", params)
            float_array("grads", grads)
            same_shape("params", params, "grads", grads)
        if self._shape is not None and (params.shape != self._shape or params.dtype != self._dtype):
            raise ValueError(f"params has shape {params.shape} and dtype {params.dtype}, but this optimizer's "
                             f"state was made for shape {self._shape} and dtype {self._dtype}; use one "
                             "optimizer per parameter array, or call reset()")
        with np.errstate(over="ignore", invalid="ignore"):
            finite = self._finite_sum(grads)  # one fast pass; the exact test only if it is not finite
        if not finite and not np.isfinite(grads).all():
            raise ValueError(f"grads contain nan or inf at step t={self.t} (0-based); the run has diverged: "
                             "lower the learning rate")

    def _chunks(self, size):
        """``(threads, [(start, stop), ...])``: how many threads, and the chunks of whole blocks they share."""
        threads = int(self.threads)
        if size < self.parallel_size or threads <= 1:
            return 1, [(0, size)]
        step = max(self.block_size, self.chunk_size // self.block_size * self.block_size)
        chunks = [(start, min(start + step, size)) for start in range(0, size, step)]
        return min(threads, len(chunks)), chunks

    def _finite_sum(self, grads):
        """Whether Σ g² is finite: False if some g is nan or ±inf (or if the sum overflows).

        ``g·g`` is a BLAS dot product, several times faster than ``grads.sum()``; the chunks of a
        large array are summed in parallel.
        """
        if not grads.flags.c_contiguous or type(grads) is not np.ndarray:  # (a subclass may not dot)
            return bool(np.isfinite(grads.sum()))
        flat = grads.reshape(-1)
        threads, chunks = self._chunks(flat.size)
        if threads == 1:
            return bool(np.isfinite(np.dot(flat, flat)))
        sums = _share_out(chunks, threads, lambda a, b, worker: np.dot(flat[a:b], flat[a:b]))
        return bool(np.isfinite(np.sum(sums)))  # inf and nan survive the sum of the chunks' sums

    def _apply(self, params, grads, lr):
        """Call ``_update`` on the whole arrays, or block by block (by several threads for a large array)."""
        size = params.size
        if size <= self.block_size or isinstance(lr, np.ndarray) or not params.flags.c_contiguous:
            self._update(params, grads, self.state, lr, self._scratch(params.shape))
            return
        flat = (params.reshape(-1),  # a view, since params is contiguous
                np.ravel(grads),
                {name: array.reshape(-1) for name, array in self.state.items()})
        threads, chunks = self._chunks(size)
        if threads == 1:
            self._update_blocks(flat, lr, 0, size, 0)
        else:
            _share_out(chunks, threads, lambda a, b, worker: self._update_blocks(flat, lr, a, b, worker))

    def _update_blocks(self, flat, lr, start, stop, worker):
        """``_update`` on the blocks of ``[start, stop)`` of the flat arrays, with this worker's scratch arrays."""
        flat_params, flat_grads, flat_state = flat
        work = self._scratch((self.block_size,), worker)
        for begin in range(start, stop, self.block_size):
            part = slice(begin, min(begin + self.block_size, stop))
            length = part.stop - begin
            self._update(flat_params[part], flat_grads[part], {name: a[part] for name, a in flat_state.items()},
                         lr, [w[:length] for w in work])

    def _scratch(self, shape, worker=0):
        """``n_work`` scratch arrays of ``shape``, made once (one set per worker thread)."""
        key = (shape, worker)
        if key not in self._work:
            self._work[key] = [np.empty(shape, self._dtype) for _ in range(self.n_work)]
        return self._work[key]

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
