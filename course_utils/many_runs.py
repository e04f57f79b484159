r"""Many copies of one :class:`~course_utils.nn.MLP` trained at once, as one array.

The parameters of ``R`` runs are the rows of a matrix ``P`` of shape ``(R, net.n_params)``,
each row in ``nn.MLP``'s flat layout. Every matrix product of the forward and backward pass
gets a leading run axis, so a learning-rate sweep of 16 networks costs a few times one
network, not 16 times. The optimizers are element-wise, so ``optim.SGD(lr=lrs[:, None])``
gives every row its own learning rate::

    net = nn.MLP([64, 32, 10])
    P0 = np.tile(net.params, (len(lrs), 1))
    h = fit_many(net, P0, optim.SGD(lr=lrs[:, None]), X, y, epochs=10, batch_size=32)
    h.train_loss[-1]        # (R,) full training loss of every run after 10 epochs (nan: diverged)

All runs see the same mini-batches (the same stream as :func:`course_utils.train.fit` with
the same ``seed``). A run whose mini-batch loss or gradient becomes non-finite is marked by
:func:`course_utils.train.mark_diverged` (the rule :func:`~course_utils.train.descend` uses),
parked at zero parameters with zero gradients, and reported as nan from then on.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from . import data as _data
from ._validate import number
from .train import DivergenceWarning, finite_runs, mark_diverged  # noqa: F401 (mark_diverged: shared)

__all__ = ["loss_and_grad_many", "evaluate_many", "fit_many", "ManyHistory"]

_DERIVATIVE = {  # f'(z) written with the activation a = f(z)
    "relu": lambda a: a > 0,
    "tanh": lambda a: 1 - a * a,
    "sigmoid": lambda a: a * (1 - a),
}


def _check_net(net):
    """The layers of a plain MLP (cross-entropy, no dropout, batch norm or L2), else ValueError."""
    layers = getattr(net, "layers", None)
    if layers is None or not hasattr(net, "loss_name"):
        raise ValueError(f"net must be a course_utils.nn.MLP, got {type(net).__name__}")
    if net.loss_name != "cross_entropy":
        raise ValueError(f"net must use loss 'cross_entropy' for many runs, got {net.loss_name!r}")
    if any(layer.batch_norm or layer.dropout for layer in layers) or net.l2:
        raise ValueError("net must be a plain MLP for many runs (no batch_norm, dropout or l2)")
    return layers


def _check_params(net, P):
    P = np.asarray(P)
    if P.ndim != 2 or P.shape[1] != net.n_params or not np.issubdtype(P.dtype, np.floating):
        raise ValueError(
            f"P must be a float array of shape (runs, {net.n_params}) (one row of "
            f"net.params per run), got shape {P.shape} and dtype {P.dtype}"
        )
    return P


def _forward(layers, P, X):
    """Activations of every layer, input first; the last entry holds the scores (R, n, K)."""
    R = len(P)
    acts = [X]
    a = X
    for layer in layers:
        W = P[:, layer.span.start : layer.span.start + layer.n_in * layer.n_out].reshape(R, layer.n_in, layer.n_out)
        b = P[:, None, layer.span.start + layer.n_in * layer.n_out : layer.span.stop]
        z = a @ W + b
        if layer.activation == "relu":
            a = np.maximum(z, 0)
        elif layer.activation == "tanh":
            a = np.tanh(z)
        elif layer.activation == "sigmoid":
            a = 1 / (1 + np.exp(-z))
        else:
            a = z
        acts.append(a)
    return acts


def _softmax_cross_entropy(Z, y):
    """Mean cross-entropy per run (R,), and the probabilities (R, n, K)."""
    rows = np.arange(len(y))
    Z = Z - Z.max(axis=2, keepdims=True)  # shifted per sample: exp cannot overflow
    E = np.exp(Z)
    S = E.sum(axis=2)
    loss = np.mean(np.log(S) - Z[:, rows, y], axis=1)
    return loss, E / S[..., None]


def loss_and_grad_many(net, P, X, y, out=None):
    """Mean cross-entropy of the runs ``P`` (rows) on ``(X, y)``; their gradients into ``out``.

    Parameters
    ----------
    net : course_utils.nn.MLP — gives the architecture (a plain MLP with cross-entropy); its
        own parameters are not used.
    P : array (R, net.n_params), one parameter vector per run.
    X, y : a batch, inputs (n, d) and integer labels (n,).
    out : None, or an array shaped like ``P`` that receives the gradients.

    Returns
    -------
    loss : array (R,). Row ``r`` equals ``net.loss_and_grad(X, y, params=P[r])``.
    """
    layers = _check_net(net)
    P = _check_params(net, P)
    X, y = _data._check_xy(X, y)
    if out is not None and (not isinstance(out, np.ndarray) or out.shape != P.shape):
        raise ValueError(
            f"out must be None or an array of shape {P.shape}, got {getattr(out, 'shape', type(out).__name__)}"
        )
    acts = _forward(layers, P, X)
    loss, D = _softmax_cross_entropy(acts[-1], y)
    if out is None:
        return loss
    R, n = len(P), len(y)
    D[:, np.arange(n), y] -= 1
    D /= n  # ∂L/∂Z
    outer = np.multiply if n == 1 else np.matmul  # one sample: a broadcast is faster
    for i in range(len(layers) - 1, -1, -1):
        layer = layers[i]
        w_end = layer.span.start + layer.n_in * layer.n_out
        a_prev = acts[i]
        a_prev_T = a_prev.T if a_prev.ndim == 2 else a_prev.transpose(0, 2, 1)
        out[:, layer.span.start : w_end] = outer(a_prev_T, D).reshape(R, -1)
        out[:, w_end : layer.span.stop] = D.sum(axis=1)
        if i > 0:
            W = P[:, layer.span.start : w_end].reshape(R, layer.n_in, layer.n_out)
            D = D @ W.transpose(0, 2, 1)
            below = layers[i - 1].activation
            if below != "linear":
                D *= _DERIVATIVE[below](a_prev)
    return loss


def evaluate_many(net, P, X, y):
    """Mean cross-entropy (R,) and accuracy (R,) of every run on ``(X, y)`` (nan where not finite)."""
    layers = _check_net(net)
    P = _check_params(net, P)
    X, y = _data._check_xy(X, y)
    with np.errstate(all="ignore"):
        Z = _forward(layers, P, X)[-1]
        loss, _ = _softmax_cross_entropy(Z, y)
        accuracy = np.mean(Z.argmax(axis=2) == y, axis=1)
    accuracy = np.where(np.isfinite(loss), accuracy, np.nan)
    return loss, accuracy


@dataclass
class ManyHistory:
    """What happened in :func:`fit_many` (R runs).

    ``params``: (R, dim) final parameters (zeros for diverged runs). ``eval_step``: steps taken
    at each evaluation (step 0, every ``eval_every`` steps, the end). ``train_loss``,
    ``train_accuracy``, ``val_loss``, ``val_accuracy``: shape (evaluations, R), nan for a run
    from its divergence on (and for validation without validation data). ``diverged_at``:
    (R,) int, the step whose mini-batch loss or gradient was not finite, −1 for never.
    ``steps_per_epoch``: optimizer steps in one epoch.
    """

    params: np.ndarray
    eval_step: np.ndarray
    train_loss: np.ndarray
    train_accuracy: np.ndarray
    val_loss: np.ndarray
    val_accuracy: np.ndarray
    diverged_at: np.ndarray
    steps_per_epoch: int

    @property
    def eval_epoch(self) -> np.ndarray:
        """Epochs of training at each evaluation (``eval_step / steps_per_epoch``)."""
        return self.eval_step / self.steps_per_epoch

    def __repr__(self) -> str:
        return (
            f"ManyHistory(runs={len(self.params)}, steps={int(self.eval_step[-1])}, "
            f"evaluations={len(self.eval_step)}, diverged={int(np.sum(self.diverged_at >= 0))})"
        )


def _groups(optimizer, R):
    """``optimizer`` as a list of (rows, optimizer) pairs covering the R runs exactly once."""
    if callable(getattr(optimizer, "step", None)):
        return [(slice(None), optimizer)]
    try:
        groups = [(rows, opt) for rows, opt in optimizer]
    except (TypeError, ValueError):
        raise ValueError(
            "optimizer must be an optimizer (with step(params, grads)) or a list of "
            f"(rows, optimizer) pairs, got {type(optimizer).__name__}"
        ) from None
    covered = np.zeros(R, dtype=int)
    for rows, opt in groups:
        if not callable(getattr(opt, "step", None)):
            raise ValueError(f"optimizer: each pair must hold an optimizer, got {type(opt).__name__}")
        try:
            np.add.at(covered, np.arange(R)[rows], 1)
        except (IndexError, TypeError):
            raise ValueError(f"optimizer: rows must be a slice or index array into {R} runs, got {rows!r}") from None
    if not np.all(covered == 1):
        raise ValueError(
            f"optimizer: the (rows, optimizer) pairs must cover each of the {R} runs exactly "
            f"once, got counts {covered.tolist()}"
        )
    return groups


def fit_many(
    net,
    P0,
    optimizer,
    X,
    y,
    *,
    epochs,
    batch_size=32,
    shuffle=True,
    seed=0,
    X_val=None,
    y_val=None,
    eval_every=None,
    eval_train=True,
    warn=True,
) -> ManyHistory:
    """Train R copies of ``net``'s architecture from the rows of ``P0`` on ``(X, y)``, all at once.

    Each step draws one mini-batch (the same for every run: ``course_utils.data.epochs`` with
    ``shuffle`` and ``seed``, as :func:`course_utils.train.fit`), computes every run's gradient
    with :func:`loss_and_grad_many` and updates all rows. With one run, the result equals
    ``train.fit(net, optimizer, X, y, epochs=..., batch_size=..., seed=...)``.

    Parameters
    ----------
    net : course_utils.nn.MLP — the architecture (plain MLP, cross-entropy).
    P0 : array (R, net.n_params) — the starting parameters, one row per run (copied).
    optimizer : an optimizer updating the whole (R, dim) array (e.g.
        ``optim.SGD(lr=lrs[:, None])``), or a list of ``(rows, optimizer)`` pairs (e.g. one per
        momentum), each updating its rows; together they must cover every run once.
    epochs : passes over the data; ``batch_size``, ``shuffle`` (True, "once", False), ``seed``.
    X_val, y_val : optional validation data, evaluated with the training data.
    eval_every : steps between evaluations (default: one epoch).
    eval_train : also evaluate on the whole training set (else ``train_loss`` and
        ``train_accuracy`` are nan: cheaper when only validation matters).
    warn : issue a :class:`~course_utils.train.DivergenceWarning` when runs diverged.

    Returns
    -------
    ManyHistory
    """
    _check_net(net)
    P = np.array(_check_params(net, P0), dtype=float)
    X, y = _data._check_xy(X, y)
    epochs = number("epochs", epochs, low=1, integer=True)
    batch_size = number("batch_size", batch_size, low=1, integer=True)
    if (X_val is None) != (y_val is None):
        raise ValueError("X_val and y_val must be given together (or neither)")
    steps_per_epoch = -(-len(y) // batch_size)
    eval_every = number("eval_every", steps_per_epoch if eval_every is None else eval_every, low=1, integer=True)
    R = len(P)
    groups = _groups(optimizer, R)
    G = np.empty_like(P)
    ones = np.ones(P.shape[1])
    dead = np.zeros(R, dtype=bool)
    diverged_at = np.full(R, -1, dtype=np.int64)
    records = {name: [] for name in ("eval_step", "train_loss", "train_accuracy", "val_loss", "val_accuracy")}

    def evaluate(t):
        if eval_train:
            train_loss, train_acc = evaluate_many(net, P, X, y)
        else:
            train_loss = train_acc = np.full(R, np.nan)
        if X_val is not None:
            val_loss, val_acc = evaluate_many(net, P, X_val, y_val)
        else:
            val_loss = val_acc = np.full(R, np.nan)
        for name, value in zip(records, (t, train_loss, train_acc, val_loss, val_acc)):
            records[name].append(np.where(dead, np.nan, value) if name != "eval_step" else value)

    t = 0
    evaluate(0)
    with np.errstate(all="ignore"):
        for _, X_batch, y_batch in _data.epochs(X, y, batch_size, n_epochs=epochs, shuffle=shuffle, seed=seed):
            loss = loss_and_grad_many(net, P, X_batch, y_batch, out=G)
            mark_diverged(~finite_runs(loss, G, ones), dead, diverged_at, t)
            if dead.any():
                G[dead] = 0  # frozen: a diverged run takes no more steps
            for rows, opt in groups:
                part = P[rows]
                opt.step(part, G[rows])
                P[rows] = part  # a no-op for a slice (a view), needed for an index array
            if dead.any():
                P[dead] = 0  # park diverged runs: they cost nothing and cannot overflow
            t += 1
            if t % eval_every == 0:
                evaluate(t)
    if records["eval_step"][-1] != t:
        evaluate(t)
    if warn and dead.any():
        warnings.warn(
            f"fit_many: {int(dead.sum())} of {R} run(s) diverged (loss or gradient became "
            f"non-finite), the first at step {int(diverged_at[dead].min())}; they are reported as nan",
            DivergenceWarning,
            stacklevel=2,
        )
    arrays = {
        name: np.array(values, dtype=np.int64 if name == "eval_step" else float) for name, values in records.items()
    }
    return ManyHistory(params=P, **arrays, diverged_at=diverged_at, steps_per_epoch=steps_per_epoch)
