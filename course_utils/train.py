"""Training loops: :func:`fit` trains an :class:`~course_utils.nn.MLP` on data, :func:`descend`
runs an optimizer on an error surface (many runs at once); many MLPs at once are trained by
:func:`course_utils.many_runs.fit_many`, which shares :func:`mark_diverged` with ``descend``.

Both stop (a run, for ``descend``) at the first non-finite loss, warn, and say where::

    history = fit(net, optim.SGD(lr=0.1, momentum=0.9), X, y, epochs=20, X_val=Xv, y_val=yv)
    history.loss[-1], history.val_accuracy[-1], history.diverged_at

One step of :func:`fit`, for a mini-batch ``B`` drawn by :func:`course_utils.data.epochs`::

    L, g = net.loss_and_grad(X_B, y_B)      # record L, lr, ‖g‖
    g ← g · min(1, c / ‖g‖)                  # clip_norm = c (optional)
    g ← grad_transform(g, t)                 # optional hook, e.g. gradient noise (C07.3)
    θ ← optimizer.step(θ, g)
"""

from __future__ import annotations

import contextlib
import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from . import data as _data
from ._validate import number

__all__ = ["fit", "History", "descend", "Trajectory", "DivergenceWarning", "mark_diverged", "finite_runs"]


class DivergenceWarning(RuntimeWarning):
    """Training stopped (or a run was frozen) because the loss became nan or infinite."""


def _current_lr(optimizer) -> float:
    """The learning rate of the optimizer's next step, as one number (the mean of an array)."""
    if hasattr(optimizer, "current_lr"):
        return float(np.mean(optimizer.current_lr()))
    lr = getattr(optimizer, "lr", math.nan)  # a stand-in optimizer without current_lr()
    if callable(lr):
        lr = lr(getattr(optimizer, "t", 0))
    return float(np.mean(lr))


@contextlib.contextmanager
def _closing(bar):
    """Close the progress bar however the loop ends."""
    try:
        yield bar
    finally:
        if bar is not None:
            bar.close()


# --------------------------------------------------------------------------- fit
@dataclass
class History:
    """What happened during :func:`fit`.

    Per step ``t`` (arrays of equal length, one entry per optimizer step attempted):
    ``step`` (0, 1, ...), ``epoch``, ``loss`` (mini-batch loss before the step), ``lr`` (its
    learning rate), ``grad_norm`` (‖g‖ of the raw mini-batch gradient, before clipping and
    ``grad_transform``), ``samples`` (samples touched so far, including this batch).

    Per evaluation (at step 0, every ``eval_every`` steps and after the last step; evaluation
    mode, whole data sets): ``eval_step`` (number of steps taken when evaluated),
    ``train_loss``, ``train_accuracy``, ``val_loss``, ``val_accuracy`` (data losses, without
    an L2 penalty the network may add to its training objective; nan where not
    available).

    ``diverged_at``: None, or the step whose loss was not finite (training stopped there,
    before updating). ``message``: why training stopped. ``best_params``/``best_step``: the
    parameters with the lowest validation loss seen (None without validation data).
    """

    step: np.ndarray
    epoch: np.ndarray
    loss: np.ndarray
    lr: np.ndarray
    grad_norm: np.ndarray
    samples: np.ndarray
    eval_step: np.ndarray
    train_loss: np.ndarray
    train_accuracy: np.ndarray
    val_loss: np.ndarray
    val_accuracy: np.ndarray
    diverged_at: int | None = None
    message: str = ""
    stopped_by: str = ""
    best_params: np.ndarray | None = None
    best_step: int | None = None
    seconds: float = 0.0

    @property
    def steps(self) -> int:
        """Optimizer steps taken (a diverged step is attempted but not taken)."""
        return len(self.step) - (self.diverged_at is not None)

    @property
    def samples_seen(self) -> int:
        return int(self.samples[-1]) if len(self.samples) else 0

    def __repr__(self) -> str:
        last = (
            f", val_accuracy={self.val_accuracy[-1]:.4f}"
            if len(self.val_accuracy) and np.isfinite(self.val_accuracy[-1])
            else ""
        )
        final = f", loss={self.loss[-1]:.4g}" if len(self.loss) else ""
        return (
            f"History(steps={self.steps}, samples={self.samples_seen}{final}{last}, "
            f"stopped_by={self.stopped_by!r}, diverged_at={self.diverged_at})"
        )


def _norm(g) -> float:
    """‖g‖ (in float64 when the float32 sum of squares overflows); inf or nan if g is."""
    with np.errstate(over="ignore", invalid="ignore"):
        squares = float(np.dot(g, g))
    if not math.isfinite(squares) and np.isfinite(g).all():
        squares = float(np.dot(g.astype(np.float64), g.astype(np.float64)))
    return math.sqrt(squares)


def _evaluate(net, X, y):
    if X is None:
        return math.nan, math.nan
    was_training = net.training
    net.eval()
    try:
        loss = net.loss(X, y, penalty=False)  # the data loss: an L2 penalty is not an error on the data
        accuracy = net.accuracy(X, y) if net.is_classifier else math.nan
    finally:
        net.training = was_training
    return loss, accuracy


@dataclass
class _Plan:
    """The checked arguments of :func:`fit` and the number of steps they allow."""

    batch_size: int
    epochs: int | None
    steps: int | None
    max_samples: int | None
    eval_every: int
    patience: int | None
    clip_norm: float | None
    total: int


def _plan(
    X,
    y,
    optimizer,
    *,
    epochs,
    steps,
    max_samples,
    batch_size,
    drop_last,
    X_val,
    y_val,
    eval_every,
    patience,
    clip_norm,
    grad_transform,
    callback,
) -> _Plan:
    """Check every argument of :func:`fit` (each error names the argument); returns the plan."""
    if not callable(getattr(optimizer, "step", None)):
        raise ValueError(f"optimizer must have a step(params, grads) method, got {type(optimizer).__name__}")
    for name, values in (("X", X), ("y", y), ("X_val", X_val), ("y_val", y_val)):
        values = np.asarray(values) if values is not None else None  # nan data would look like divergence
        if values is not None and values.dtype.kind in "fc" and not np.all(np.isfinite(values)):
            raise ValueError(f"{name} must be finite, but it holds nan or inf values")
    batch_size = number("batch_size", batch_size, low=1, integer=True)
    if epochs is not None:
        epochs = number("epochs", epochs, low=1, integer=True)
    if steps is not None:
        steps = number("steps", steps, low=0, integer=True)
    if max_samples is not None:
        max_samples = number("max_samples", max_samples, low=1, integer=True)
    if epochs is None and steps is None and max_samples is None:
        raise ValueError("give at least one of epochs, steps or max_samples (when to stop), got none")
    if (X_val is None) != (y_val is None):
        raise ValueError("X_val and y_val must be given together (or neither)")
    steps_per_epoch = len(y) // batch_size if drop_last else math.ceil(len(y) / batch_size)
    if steps_per_epoch == 0:
        raise ValueError(
            f"batch_size must be <= the number of samples ({len(y)}) with drop_last=True, got {batch_size}"
        )
    eval_every = number("eval_every", steps_per_epoch if eval_every is None else eval_every, low=1, integer=True)
    if patience is not None:
        patience = number("patience", patience, low=1, integer=True)
        if X_val is None:
            raise ValueError("patience (early stopping) needs validation data X_val, y_val")
    if clip_norm is not None:
        clip_norm = number("clip_norm", clip_norm, low=0, low_open=True)
    for name, hook in (("grad_transform", grad_transform), ("callback", callback)):
        if hook is not None and not callable(hook):
            raise ValueError(f"{name} must be a callable or None, got {type(hook).__name__}")
    per_epoch = len(y) - len(y) % batch_size if drop_last else len(y)  # samples per epoch
    limits = [
        steps,
        epochs and epochs * steps_per_epoch,
        max_samples
        and (max_samples // per_epoch) * steps_per_epoch + math.ceil((max_samples % per_epoch) / batch_size),
    ]
    return _Plan(
        batch_size,
        epochs,
        steps,
        max_samples,
        eval_every,
        patience,
        clip_norm,
        total=min(n for n in limits if n is not None),
    )


class _Recorder:
    """The history of one :func:`fit`: every step's numbers, every evaluation, and the best
    validation loss so far (for early stopping and ``best_params``)."""

    STEP = ("step", "epoch", "loss", "lr", "grad_norm", "samples")
    EVAL = ("eval_step", "train_loss", "train_accuracy", "val_loss", "val_accuracy")

    def __init__(self, net, X, y, X_val, y_val, eval_train: bool):
        self.net, self.X, self.y, self.X_val, self.y_val, self.eval_train = net, X, y, X_val, y_val, eval_train
        self.values = {name: [] for name in self.STEP + self.EVAL}
        self.best_loss, self.best_params, self.best_step, self.since_best = math.inf, None, None, 0

    def step(self, *values) -> None:
        for name, value in zip(self.STEP, values):
            self.values[name].append(value)

    def evaluate(self, step: int) -> None:
        """Evaluate on the training (if asked) and validation data; track the best validation loss."""
        train_loss, train_acc = _evaluate(self.net, self.X, self.y) if self.eval_train else (math.nan, math.nan)
        try:
            val_loss, val_acc = _evaluate(self.net, self.X_val, self.y_val)
        except ValueError as error:
            raise ValueError(f"X_val, y_val (the validation data) do not fit the network: {error}") from error
        for name, value in zip(self.EVAL, (step, train_loss, train_acc, val_loss, val_acc)):
            self.values[name].append(value)
        if self.X_val is not None:
            if val_loss < self.best_loss:
                self.best_loss, self.best_params, self.best_step = val_loss, self.net.params.copy(), step
                self.since_best = 0
            else:
                self.since_best += 1

    def last_evaluated(self) -> int | None:
        return self.values["eval_step"][-1] if self.values["eval_step"] else None

    def history(self, **extra) -> History:
        as_int = {"step", "epoch", "samples", "eval_step"}
        arrays = {name: np.asarray(v, dtype=np.int64 if name in as_int else float) for name, v in self.values.items()}
        return History(**arrays, best_params=self.best_params, best_step=self.best_step, **extra)


def fit(
    net,
    optimizer,
    X,
    y,
    *,
    epochs=None,
    steps=None,
    max_samples=None,
    batch_size=32,
    shuffle=True,
    seed=0,
    drop_last=False,
    X_val=None,
    y_val=None,
    eval_every=None,
    eval_train=True,
    patience=None,
    clip_norm=None,
    grad_transform=None,
    progress=False,
    callback=None,
    warn=True,
) -> History:
    """Train ``net`` with ``optimizer`` on ``(X, y)`` in mini-batches; returns a :class:`History`.

    Stops at whichever comes first: ``epochs`` passes over the data, ``steps`` optimizer
    steps, ``max_samples`` samples touched (a compute budget in gradient evaluations: the last
    batch is cut so the budget is never exceeded; evaluations are free), ``patience``
    evaluations without a new lowest validation loss (early stopping), or the first
    non-finite loss (a :class:`DivergenceWarning` names the step and learning rate; the history
    says it too, ``history.diverged_at`` and ``history.message``).

    Parameters
    ----------
    net : course_utils.nn.MLP (anything with ``params``, ``loss_and_grad(X, y, training=, out=)``,
        ``loss(X, y, penalty=)``, ``accuracy``, ``is_classifier``, ``training``/``eval()``). Steps run in
        training mode (dropout on, batch statistics), evaluations in evaluation mode; the
        network's own mode (``net.training``) is left as it was.
    optimizer : has ``step(params, grads)`` (updates in place), ideally ``current_lr()``.
    batch_size : samples per step; ``shuffle``: True (a fresh order every epoch), ``"once"``
        (one random order, repeated), False (the order given, e.g. sorted by label).
    X_val, y_val : validation data, evaluated every ``eval_every`` steps (default: every epoch).
    eval_train : also evaluate the loss and accuracy on the whole training set.
    clip_norm : rescale the gradient to norm ``clip_norm`` when it is longer (C07.9).
    grad_transform : ``g = grad_transform(g, step)`` before the update (e.g. gradient noise).
    progress : show a tqdm progress bar (off by default: the notebooks' runs take a second).
    callback : ``callback(step, net, loss)`` after every step; return True to stop.
    warn : warn (DivergenceWarning) when training diverges; ``warn=False`` for a divergence the
        caller expects (a learning-rate sweep), which ``history.diverged_at`` still reports.
    """
    X, y = _data._check_xy(X, y)
    plan = _plan(
        X,
        y,
        optimizer,
        epochs=epochs,
        steps=steps,
        max_samples=max_samples,
        batch_size=batch_size,
        drop_last=drop_last,
        X_val=X_val,
        y_val=y_val,
        eval_every=eval_every,
        patience=patience,
        clip_norm=clip_norm,
        grad_transform=grad_transform,
        callback=callback,
    )
    record = _Recorder(net, X, y, X_val, y_val, eval_train)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=plan.total, desc="training", unit="step", leave=False)

    grad = np.empty_like(net.params)
    started = time.perf_counter()
    samples, t, diverged_at, stopped_by, message = 0, 0, None, "", ""
    record.evaluate(0)
    stream = _data.epochs(X, y, plan.batch_size, n_epochs=plan.epochs, shuffle=shuffle, seed=seed, drop_last=drop_last)
    with np.errstate(over="ignore", invalid="ignore"), _closing(bar):
        for epoch, X_batch, y_batch in stream:
            if t >= plan.total:
                stopped_by = "steps" if t == plan.steps else "max_samples"
                break
            if plan.max_samples is not None and len(y_batch) > plan.max_samples - samples:
                X_batch, y_batch = X_batch[: plan.max_samples - samples], y_batch[: plan.max_samples - samples]
            loss, _ = net.loss_and_grad(X_batch, y_batch, training=True, out=grad)
            lr = _current_lr(optimizer)
            samples += len(y_batch)
            norm = _norm(grad)
            record.step(t, epoch, loss, lr, norm, samples)
            if not (math.isfinite(loss) and math.isfinite(norm)):
                diverged_at, stopped_by = t, "diverged"
                what = f"loss became {loss}" if not math.isfinite(loss) else "the gradient became non-finite"
                message = (
                    f"training diverged: {what} at step {t} (epoch {epoch}, lr={lr:.4g}); "
                    f"stopped. Try a smaller learning rate."
                )
                if warn:
                    warnings.warn(message, DivergenceWarning, stacklevel=2)
                break
            g = grad
            if plan.clip_norm is not None and norm > plan.clip_norm:
                g *= plan.clip_norm / (norm + 1e-6)  # as torch.nn.utils.clip_grad_norm_
            if grad_transform is not None:
                g = np.asarray(grad_transform(g, t))
                if g.shape != net.params.shape:
                    raise ValueError(f"grad_transform must return an array of shape {net.params.shape}, got {g.shape}")
            optimizer.step(net.params, g)
            t += 1
            if bar is not None:
                bar.update(1)
                if t % 20 == 0 or t == 1:
                    bar.set_postfix(loss=f"{loss:.4g}", refresh=False)
            stop = callback is not None and callback(t - 1, net, loss)
            if t % plan.eval_every == 0:
                record.evaluate(t)
                if plan.patience is not None and record.since_best >= plan.patience:
                    stopped_by = "patience"
                    message = (
                        f"early stopping: no lower validation loss in {plan.patience} evaluations; "
                        f"best at step {record.best_step}"
                    )
                    break
            if stop:
                stopped_by = "callback"
                break
            if t >= plan.total:
                stopped_by = (
                    "steps"
                    if t == plan.steps
                    else "max_samples"
                    if plan.max_samples is not None and samples >= plan.max_samples
                    else "epochs"
                )
                break
    stopped_by = stopped_by or "epochs"  # the epochs ran out (a safety net: `total` ends them first)
    if diverged_at is None and record.last_evaluated() != t:
        record.evaluate(t)
    if not message:
        message = f"stopped by {stopped_by} after {t} steps ({samples} samples)"
    return record.history(
        diverged_at=diverged_at, message=message, stopped_by=stopped_by, seconds=time.perf_counter() - started
    )


def mark_diverged(bad, dead, diverged_at, step):
    """Mark runs that went bad at ``step``: the one masking rule of :func:`descend` and
    :func:`course_utils.many_runs.fit_many`.

    ``bad`` (bool array, one per run): the run's loss, point or gradient is not finite now.
    Runs that are ``bad`` and not yet ``dead`` get ``diverged_at = step`` and join ``dead``
    (both updated in place). Returns the mask of the runs that diverged just now, so the caller
    can hold them (e.g. at their last finite point) and zero their later gradients.
    """
    if not isinstance(dead, np.ndarray) or not isinstance(diverged_at, np.ndarray):
        raise ValueError(
            "dead and diverged_at must be numpy arrays (updated in place), got "
            f"{type(dead).__name__} and {type(diverged_at).__name__}"
        )
    new = np.asarray(bad, dtype=bool) & ~dead
    if new.any():
        diverged_at[new] = step
        dead |= new
    return new


def finite_runs(loss, values, ones=None):
    """Per run: True where ``loss`` and every entry of the run's row of ``values`` are finite.

    ``loss`` has shape ``runs``, ``values`` shape ``(*runs, dim)``. ``loss + values @ 1`` is
    finite exactly when all its terms are (up to an overflow of the sum, which only flags runs
    beyond 1e308); the matrix-vector product is a fast row sum.
    """
    if ones is None:
        ones = np.ones(np.shape(values)[-1])
    with np.errstate(all="ignore"):
        return np.isfinite(loss + values @ ones)


# --------------------------------------------------------------------------- descend
@dataclass
class Trajectory:
    """Optimizer runs on an error surface (from :func:`descend`).

    ``points``: shape ``(steps + 1, *runs, dim)``, ``points[0]`` the start; ``losses``:
    ``(steps + 1, *runs)``. A run whose point or loss became non-finite at step ``s`` has
    ``diverged_at == s`` and nan from ``points[s]`` on. ``diverged_at`` is ``None`` or an int
    for a single run (start of shape ``(dim,)``), else an int array with −1 for "never".
    """

    points: np.ndarray
    losses: np.ndarray
    diverged_at: object
    message: str = ""
    surface: str = ""
    optimizer: str = ""
    extras: dict = field(default_factory=dict)

    @property
    def steps(self) -> int:
        return len(self.points) - 1

    @property
    def final(self) -> np.ndarray:
        """Each run's last finite point."""
        return self._last_finite(self.points)

    @property
    def final_loss(self):
        """Each run's last finite loss."""
        out = self._last_finite(self.losses[..., None])[..., 0]
        return float(out) if out.ndim == 0 else out

    def _last_finite(self, values):
        at = np.asarray(self.diverged_at if self.diverged_at is not None else -1)
        last = np.where(at >= 0, at - 1, len(values) - 1)
        return np.take_along_axis(values, last[None, ..., None], axis=0)[0]

    def __repr__(self) -> str:
        runs = self.points.shape[1:-1]
        diverged = 0 if self.diverged_at is None else int(np.sum(np.asarray(self.diverged_at) >= 0))
        return (
            f"Trajectory(surface={self.surface!r}, optimizer={self.optimizer!r}, "
            f"steps={self.steps}, runs={runs or 1}, dim={self.points.shape[-1]}, diverged={diverged})"
        )


def descend(surface, optimizer, start, steps, *, project=None, warn=True) -> Trajectory:
    """Run ``optimizer`` for ``steps`` steps on ``surface`` from ``start`` (one run or many).

    ``start`` has shape ``(dim,)`` or ``(runs, dim)`` (any leading shape): all runs move
    together in one array, so thousands of runs cost little more than one. Step ``t`` computes
    ``g = surface.grad(θ_t, step=t)``, ``θ_{t+1} = optimizer.step(θ_t, g)``, then projects
    ``θ_{t+1}`` with ``project`` (default ``surface.project``, e.g. clipping to a box) and
    records ``surface.value(θ_{t+1}, step=t+1)``.

    A run whose point or loss becomes non-finite is frozen: its later gradients are zero, it
    is held at its last finite point, its recorded points and losses from then on are nan and
    ``diverged_at`` says where; the other runs go on. A :class:`DivergenceWarning` reports the
    first divergence (``warn=False`` for divergences the caller expects, e.g. a learning-rate
    sweep; ``diverged_at`` and the trajectory's ``message`` still report them).
    """
    steps = number("steps", steps, low=0, integer=True)
    theta = np.array(start, dtype=np.float64)  # a copy: the caller's start is left alone
    if theta.ndim == 0 or theta.size == 0:
        raise ValueError(f"start must have shape (dim,) or (runs, dim), got {theta.shape}")
    dim = getattr(surface, "dim", theta.shape[-1])
    if theta.shape[-1] != dim:
        raise ValueError(
            f"start must have shape (dim,) or (runs, dim) with dim = {dim} (the surface's dimension), got {theta.shape}"
        )
    if not np.all(np.isfinite(theta)):
        raise ValueError("start must be finite")
    if project is None:
        project = getattr(surface, "project", None)
    if project is not None and not callable(project):
        raise ValueError(f"project must be a callable or None, got {type(project).__name__}")
    if project is not None:
        theta[...] = project(theta)

    batch_shape = theta.shape[:-1]
    points = np.empty((steps + 1,) + theta.shape)
    losses = np.empty((steps + 1,) + batch_shape)
    points[0] = theta
    losses[0] = surface.value(theta, step=0)
    diverged_at = np.full(batch_shape, -1, dtype=np.int64)
    dead = np.array(~np.isfinite(losses[0]))  # a start with a non-finite loss counts as diverged at 0
    diverged_at[dead] = 0
    frozen = theta.copy()  # where dead runs are held (their last finite point)
    ones = np.ones(theta.shape[-1])
    with np.errstate(all="ignore"):
        for t in range(steps):
            grad = np.asarray(surface.grad(theta, step=t), dtype=np.float64)
            # a finite point, a non-finite gradient: its next point would not be finite
            bad_grad = mark_diverged(~finite_runs(0.0, grad, ones), dead, diverged_at, t + 1)
            if bad_grad.any():
                frozen[bad_grad] = theta[bad_grad]
            any_dead = dead.any()
            if any_dead:
                grad = np.where(dead[..., None], 0.0, grad)
            theta = optimizer.step(theta, grad)
            if project is not None:
                theta[...] = project(theta)
            loss = np.asarray(surface.value(theta, step=t + 1), dtype=np.float64)
            new = mark_diverged(~finite_runs(loss, theta, ones), dead, diverged_at, t + 1)
            if new.any():
                frozen[new] = points[t][new]
                any_dead = True
            if any_dead:
                theta[dead] = frozen[dead]
                points[t + 1] = np.where(dead[..., None], np.nan, theta)
                losses[t + 1] = np.where(dead, np.nan, loss)
            else:
                points[t + 1] = theta
                losses[t + 1] = loss

    message = ""
    runs = int(np.prod(batch_shape)) if batch_shape else 1
    if dead.any():
        first = int(diverged_at[dead].min())
        count = int(dead.sum())
        message = (
            f"descend: {count} of {runs} run(s) diverged (point or loss became non-finite); "
            f"the first at step {first}; those runs are frozen and their later points are nan"
        )
        if warn:
            warnings.warn(message, DivergenceWarning, stacklevel=2)
    if batch_shape == ():
        result_diverged = None if diverged_at < 0 else int(diverged_at)
    else:
        result_diverged = diverged_at
    return Trajectory(
        points,
        losses,
        result_diverged,
        message,
        surface=str(getattr(surface, "name", type(surface).__name__)),
        optimizer=type(optimizer).__name__,
    )
