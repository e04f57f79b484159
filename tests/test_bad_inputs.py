"""Bad input, across course_utils, in one table: each row must raise the stated error whose message names
the argument (and, for a shape mismatch, both shapes), before anything is printed.

A row is ``(description, call, exception type, regex)``; the regex is searched in the message.
The per-module test files hold more cases of their own module; this table covers the categories
of issue 15 across all modules: learning rates, betas, eps, momentum, Nesterov with dampening,
shape mismatches, integer parameters, non-finite gradients, empty data, labels out of range,
non-positive periods, negative steps, unknown choices, sizes, batch sizes, split fractions,
surface dimensions, claims and lab configurations.
"""

import numpy as np
import pytest

from course_utils import check, data, derivatives, lab, nn, optim, schedules, surfaces, train

NAN, INF = float("nan"), float("inf")
X3, Y2 = np.zeros((4, 3)), np.array([0, 1, 0, 1])  # 4 samples, 3 features, 2 classes


def step(opt, params, grads, before=0):
    """A call that takes ``before`` good steps, then the bad one."""

    def run():
        for _ in range(before):
            opt.step(np.ones(2), np.ones(2))
        opt.step(params, grads)

    return run


def fit(X=X3, y=Y2, opt=None, net=None, **kwargs):
    def run():
        train.fit(
            net or nn.MLP([3, 2]),
            optim.SGD(lr=0.1) if opt is None else opt,
            X,
            y,
            **{"steps": 2, "progress": False, **kwargs},
        )

    return run


def first(iterator_factory):
    return lambda: next(iterator_factory())


def two_steps_then(params):
    def run():
        opt = optim.Adam()
        opt.step(np.zeros(3), np.ones(3))
        opt.step(np.zeros(3), np.ones(3))
        opt.step(params, np.ones_like(params))

    return run


ROWS = [
    # ---- learning rate: negative, nan, inf, not a number -------------------------------------
    ("SGD negative lr", lambda: optim.SGD(lr=-0.1), ValueError, r"^lr must be a number >= 0.*got -0\.1"),
    ("SGDW nan lr", lambda: optim.SGDW(lr=NAN), ValueError, r"^lr must be a number >= 0.*got nan"),
    ("Adagrad negative lr", lambda: optim.Adagrad(lr=-1e-3), ValueError, r"^lr must be a number >= 0"),
    ("RMSprop infinite lr", lambda: optim.RMSprop(lr=INF), ValueError, r"^lr must be a number >= 0.*got inf"),
    ("Adam nan lr", lambda: optim.Adam(lr=NAN), ValueError, r"^lr must be a number >= 0.*got nan"),
    ("AdamW negative lr", lambda: optim.AdamW(lr=-1), ValueError, r"^lr must be a number >= 0"),
    ("NAdam numpy nan lr", lambda: optim.NAdam(lr=np.float64(NAN)), ValueError, r"^lr must be a number >= 0"),
    ("RAdam lr as a string", lambda: optim.RAdam(lr="0.01"), ValueError, r"^lr must be a number >= 0"),
    ("AdaBound negative lr", lambda: optim.AdaBound(lr=-0.1), ValueError, r"^lr must be a number >= 0"),
    ("Lookahead around an inner nan lr", lambda: optim.Lookahead(optim.Adam(lr=NAN)), ValueError, r"^lr must be"),
    (
        "lr array holding nan",
        lambda: optim.Adam(lr=np.array([[0.1], [NAN]])),
        ValueError,
        r"^lr must hold finite numbers >= 0",
    ),
    (
        "lr schedule giving nan at step 0",
        step(optim.SGD(lr=lambda t: NAN), np.zeros(2), np.ones(2)),
        ValueError,
        r"^lr\(t\) at step t=0 must be a number >= 0",
    ),
    (
        "lr schedule turning negative at step 2",
        step(optim.Adam(lr=lambda t: 0.1 - 0.1 * t), np.zeros(2), np.ones(2), before=2),
        ValueError,
        r"^lr\(t\) at step t=2 must be a number >= 0",
    ),
    ("cosine schedule negative lr", lambda: schedules.cosine(-0.1, 10), ValueError, r"^lr must be a number >= 0"),
    ("step_decay nan lr", lambda: schedules.step_decay(NAN, 5), ValueError, r"^lr must be a finite number"),
    ("one_cycle negative lr_max", lambda: schedules.one_cycle(-1.0, 100), ValueError, r"^lr_max must be a number"),
    ("lab negative lr", lambda: lab.complete({"lr": -0.01}), ValueError, r"^lr must be a number > 0"),
    # ---- betas outside [0, 1) -----------------------------------------------------------------
    (
        "AdamW beta1 = 1",
        lambda: optim.AdamW(betas=(1.0, 0.999)),
        ValueError,
        r"^betas\[0\] must be a number in \[0, 1\)",
    ),
    ("NAdam negative beta1", lambda: optim.NAdam(betas=(-0.1, 0.999)), ValueError, r"^betas\[0\] must be"),
    ("RAdam beta2 > 1", lambda: optim.RAdam(betas=(0.9, 1.5)), ValueError, r"^betas\[1\] must be a number in \[0, 1\)"),
    (
        "AdaBound nan beta2",
        lambda: optim.AdaBound(betas=(0.9, NAN)),
        ValueError,
        r"^betas\[1\] must be a finite number in \[0, 1\)",
    ),
    ("Adam three betas", lambda: optim.Adam(betas=(0.9, 0.99, 0.999)), ValueError, r"^betas must be a pair"),
    ("AdamW betas as one number", lambda: optim.AdamW(betas=0.9), ValueError, r"^betas must be a pair"),
    # ---- eps <= 0 -----------------------------------------------------------------------------
    ("Adam eps = 0", lambda: optim.Adam(eps=0), ValueError, r"^eps must be a number > 0"),
    ("AdamW negative eps", lambda: optim.AdamW(eps=-1e-8), ValueError, r"^eps must be a number > 0"),
    ("RMSprop negative eps", lambda: optim.RMSprop(eps=-1e-8), ValueError, r"^eps must be a number > 0"),
    ("Adagrad eps = 0.0", lambda: optim.Adagrad(eps=0.0), ValueError, r"^eps must be a number > 0"),
    ("NAdam negative eps", lambda: optim.NAdam(eps=-1), ValueError, r"^eps must be a number > 0"),
    ("RAdam eps = 0", lambda: optim.RAdam(eps=0), ValueError, r"^eps must be a number > 0"),
    ("AdaBound eps = 0", lambda: optim.AdaBound(eps=0), ValueError, r"^eps must be a number > 0"),
    ("AdamW nan eps", lambda: optim.AdamW(eps=NAN), ValueError, r"^eps must be a finite number > 0"),
    (
        "MLP batch-norm eps = 0",
        lambda: nn.MLP([3, 4, 2], batch_norm=True, bn_eps=0),
        ValueError,
        r"^bn_eps must be a number > 0",
    ),
    (
        "finite differences with eps = 0",
        lambda: derivatives.numerical_grad(np.sum, np.zeros(2), eps=0),
        ValueError,
        r"^eps must be a number > 0",
    ),
    # ---- momentum (and other averaging constants) outside [0, 1) -------------------------------
    ("SGD momentum 1.5", lambda: optim.SGD(momentum=1.5), ValueError, r"^momentum must be a number in \[0, 1\)"),
    ("SGDW negative momentum", lambda: optim.SGDW(momentum=-0.9), ValueError, r"^momentum must be a number in"),
    ("RMSprop momentum = 1", lambda: optim.RMSprop(momentum=1.0), ValueError, r"^momentum must be a number in"),
    ("RMSprop alpha = 1", lambda: optim.RMSprop(alpha=1), ValueError, r"^alpha must be a number in \[0, 1\)"),
    (
        "MLP negative batch-norm momentum",
        lambda: nn.MLP([3, 4, 2], batch_norm=True, bn_momentum=-0.1),
        ValueError,
        r"^bn_momentum must be a number in \[0, 1\]",
    ),
    ("lab negative momentum", lambda: lab.complete({"momentum": -0.5}), ValueError, r"^momentum must be a number"),
    # ---- Nesterov needs momentum and no dampening --------------------------------------------------
    (
        "SGD Nesterov with full dampening",
        lambda: optim.SGD(momentum=0.9, dampening=1.0, nesterov=True),
        ValueError,
        r"^nesterov=True requires momentum > 0 and dampening == 0.*dampening=1\.0",
    ),
    (
        "SGDW Nesterov with dampening",
        lambda: optim.SGDW(momentum=0.5, dampening=0.5, nesterov=True),
        ValueError,
        r"^nesterov=True requires .*dampening == 0",
    ),
    (
        "lecture-form Nesterov without momentum",
        lambda: optim.SGD(nesterov=True, momentum_form="lecture"),
        ValueError,
        r"^nesterov=True requires momentum > 0",
    ),
    (
        "SGDW lecture form with dampening",
        lambda: optim.SGDW(momentum=0.9, dampening=0.2, momentum_form="lecture"),
        ValueError,
        r"dampening must be 0",
    ),
    # ---- shape mismatches: the message shows both shapes -------------------------------------------
    (
        "SGD grads transposed",
        step(optim.SGD(), np.zeros((2, 3)), np.zeros((3, 2))),
        ValueError,
        r"^grads has shape \(3, 2\) but params has shape \(2, 3\)",
    ),
    (
        "Adagrad grads with an extra axis",
        step(optim.Adagrad(), np.zeros(4), np.zeros((4, 1))),
        ValueError,
        r"^grads has shape \(4, 1\) but params has shape \(4,\)",
    ),
    (
        "Lookahead grads too short",
        step(optim.Lookahead(optim.SGD()), np.zeros(3), np.zeros(2)),
        ValueError,
        r"^grads has shape \(2,\) but params has shape \(3,\)",
    ),
    (
        "Adam params change shape at step 2",
        two_steps_then(np.zeros(4)),
        ValueError,
        r"^params has shape \(4,\) .*state was made for shape \(3,\)",
    ),
    (
        "lr array not broadcastable to params",
        step(optim.SGD(lr=np.ones((3, 1))), np.zeros((2, 2)), np.zeros((2, 2))),
        ValueError,
        r"^lr has shape \(3, 1\), which does not broadcast to the shape \(2, 2\) of params",
    ),
    (
        "MLP set_params of the wrong length",
        lambda: nn.MLP([3, 2]).set_params(np.zeros(3)),
        ValueError,
        r"^vector has shape \(3,\) but net.params has shape \(8,\)",
    ),
    (
        "MLP loss at params of the wrong length",
        lambda: nn.MLP([3, 2]).loss(X3, Y2, params=np.zeros(5)),
        ValueError,
        r"^params has shape \(5,\) but net.params has shape \(8,\)",
    ),
    (
        "MLP gradient into out of the wrong length",
        lambda: nn.MLP([3, 2]).loss_and_grad(X3, Y2, out=np.zeros(9)),
        ValueError,
        r"^out has shape \(9,\) but net.params has shape \(8,\)",
    ),
    (
        "MLP X with the wrong number of features",
        lambda: nn.MLP([3, 2]).loss(np.zeros((4, 2)), Y2),
        ValueError,
        r"^X must have shape \(n, 3\) with n >= 1, got \(4, 2\)",
    ),
    (
        "MLP y with one label too few",
        lambda: nn.MLP([3, 2]).loss(X3, Y2[:3]),
        ValueError,
        r"^y must have one entry per row of X \(4\), got shape \(3,\)",
    ),
    (
        "split y shorter than X",
        lambda: data.split(X3, Y2[:2], (0.5, 0.5)),
        ValueError,
        r"^y must have one entry per row of X \(4\), got shape \(2,\)",
    ),
    (
        "fit validation X with the wrong number of features",
        fit(X_val=np.zeros((2, 5)), y_val=np.zeros(2, int)),
        ValueError,
        r"^X_val, y_val .*X must have shape \(n, 3\) with n >= 1, got \(2, 5\)",
    ),
    (
        "descend start in 3-D on a 2-D surface",
        lambda: train.descend(surfaces.rosenbrock(), optim.SGD(), np.zeros(3), 5),
        ValueError,
        r"^start must have shape \(dim,\) or \(runs, dim\) with dim = 2 .*got \(3,\)",
    ),
    (
        "Hessian classification of a non-square matrix",
        lambda: derivatives.classify_critical_point(np.zeros((2, 3))),
        ValueError,
        r"^H must be a square matrix of shape \(dim, dim\); got shape \(2, 3\)",
    ),
    (
        "log-log slope of unequal arrays",
        lambda: derivatives.loglog_slope([1.0, 2.0, 3.0], [1.0, 2.0]),
        ValueError,
        r"^y has shape \(2,\) but x has shape \(3,\)",
    ),
    # ---- surfaces: theta with the wrong last dimension --------------------------------------------
    (
        "Rosenbrock value at a 3-vector",
        lambda: surfaces.rosenbrock().value(np.zeros(3)),
        ValueError,
        r"^theta must have shape \(\.\.\., 2\) .*got shape \(3,\)",
    ),
    (
        "elongated gradient at (4, 1) points",
        lambda: surfaces.elongated().grad(np.zeros((4, 1))),
        ValueError,
        r"^theta must have shape \(\.\.\., 2\) .*got shape \(4, 1\)",
    ),
    (
        "w1·w2 Hessian at a 3-vector",
        lambda: surfaces.w1w2().hessian(np.zeros(3)),
        ValueError,
        r"^theta must have shape \(\.\.\., 2\) .*got shape \(3,\)",
    ),
    (
        "1-D bumpy curve at a 2-vector",
        lambda: surfaces.bumpy_1d().value(np.zeros(2)),
        ValueError,
        r"^theta must have shape \(\.\.\., 1\) .*got shape \(2,\)",
    ),
    (
        "3-D quadratic on a grid of 2-D points",
        lambda: surfaces.quadratic(10, dim=3).value(np.zeros((5, 2))),
        ValueError,
        r"^theta must have shape \(\.\.\., 3\) .*got shape \(5, 2\)",
    ),
    (
        "saddle at a scalar",
        lambda: surfaces.saddle().value(1.0),
        ValueError,
        r"^theta must have shape \(\.\.\., 2\) .*got shape \(\)",
    ),
    (
        "Himmelblau at text",
        lambda: surfaces.himmelblau().value("ab"),
        ValueError,
        r"^theta must be an array of numbers",
    ),
    # ---- integer (not floating) parameters -------------------------------------------------------
    (
        "Adam int32 params",
        step(optim.Adam(), np.arange(3, dtype=np.int32), np.ones(3)),
        ValueError,
        r"^params must have a floating dtype \(float32 or float64\), got dtype int32",
    ),
    (
        "RMSprop integer grads",
        step(optim.RMSprop(), np.zeros(3), np.arange(3)),
        ValueError,
        r"^grads must have a floating dtype",
    ),
    (
        "Lookahead integer params",
        step(optim.Lookahead(optim.SGD()), np.arange(3), np.ones(3)),
        ValueError,
        r"^params must have a floating dtype",
    ),
    (
        "NAdam params as a list",
        step(optim.NAdam(), [1.0, 2.0], np.ones(2)),
        ValueError,
        r"^params must be a numpy ndarray of floats, got list",
    ),
    ("MLP with integer dtype", lambda: nn.MLP([3, 2], dtype=np.int64), ValueError, r"^dtype must be one of"),
    ("MLP X of text", lambda: nn.MLP([3, 2]).loss(np.full((4, 3), "a"), Y2), ValueError, r"^X must hold numbers"),
    (
        "MLP y of text",
        lambda: nn.MLP([3, 2]).loss(X3, np.array(["a", "b", "a", "b"])),
        ValueError,
        r"^y must hold class labels or numeric targets",
    ),
    # ---- non-finite gradients (the optimizer refuses them and says at which step) -----------------
    (
        "Adam nan gradient",
        step(optim.Adam(), np.zeros(3), np.array([0.0, NAN, 1.0])),
        ValueError,
        r"^grads contain nan or inf at step t=0",
    ),
    (
        "SGD infinite gradient after two steps",
        step(optim.SGD(lr=0.1), np.zeros(2), np.array([INF, 0.0]), before=2),
        ValueError,
        r"^grads contain nan or inf at step t=2",
    ),
    (
        "AdaBound minus-infinite gradient",
        step(optim.AdaBound(), np.zeros(2), np.array([-INF, 1.0])),
        ValueError,
        r"^grads contain nan or inf",
    ),
    (
        "Lookahead(RAdam) nan gradient",
        step(optim.Lookahead(optim.RAdam()), np.zeros(2), np.array([NAN, NAN])),
        ValueError,
        r"^grads contain nan or inf",
    ),
    (
        "NAdam float32 infinite gradient",
        step(optim.NAdam(), np.zeros(2, np.float32), np.array([1, INF], np.float32)),
        ValueError,
        r"^grads contain nan or inf",
    ),
    (
        "Hessian with nan",
        lambda: derivatives.classify_critical_point(np.array([[1.0, NAN], [NAN, 1.0]])),
        ValueError,
        r"^H must be finite",
    ),
    (
        "descend from a nan start",
        lambda: train.descend(surfaces.elongated(), optim.SGD(), np.array([NAN, 0.0]), 3),
        ValueError,
        r"^start must be finite",
    ),
    ("fit on inputs holding nan", fit(X=np.full((4, 3), NAN)), ValueError, r"^X must be finite"),
    (
        "fit on infinite regression targets",
        fit(y=np.array([0.0, INF, 1.0, 2.0]), net=nn.MLP([3, 1], loss="mse")),
        ValueError,
        r"^y must be finite",
    ),
    # ---- empty data ---------------------------------------------------------------------------
    ("fit on no samples", fit(X=np.zeros((0, 3)), y=np.zeros(0, int)), ValueError, r"^X must hold at least one sample"),
    (
        "MLP loss of no samples",
        lambda: nn.MLP([3, 2]).loss(np.zeros((0, 3)), np.zeros(0, int)),
        ValueError,
        r"^X must have shape \(n, 3\) with n >= 1, got \(0, 3\)",
    ),
    (
        "split of no samples",
        lambda: data.split(np.zeros((0, 3)), np.zeros(0, int), (0.5, 0.5)),
        ValueError,
        r"^X must hold at least one sample",
    ),
    (
        "batches of no samples",
        first(lambda: data.batches(np.zeros((0, 3)), np.zeros(0), 2)),
        ValueError,
        r"^X must hold at least one sample",
    ),
    (
        "epochs with X but no labels",
        first(lambda: data.epochs(X3, np.zeros(0), 2)),
        ValueError,
        r"^y must have one entry per row of X \(4\), got shape \(0,\)",
    ),
    (
        "standardize no samples",
        lambda: data.standardize(np.zeros((0, 3))),
        ValueError,
        r"^X must hold at least one sample",
    ),
    (
        "one_hot of no labels",
        lambda: data.one_hot(np.array([], dtype=int)),
        ValueError,
        r"^y must hold at least one label",
    ),
    (
        "sort_by_label of no samples",
        lambda: data.sort_by_label(np.zeros((0, 3)), np.zeros(0, int)),
        ValueError,
        r"^X must hold at least one sample",
    ),
    (
        "descend from no start points",
        lambda: train.descend(surfaces.elongated(), optim.SGD(), np.zeros((0, 2)), 3),
        ValueError,
        r"^start must have shape \(dim,\) or \(runs, dim\)",
    ),
    (
        "claim on an empty array",
        lambda: check.claim("C99.9", np.array([]), "<", 1.0, reproduces="a number"),
        ValueError,
        r"^value must be a single number",
    ),
    ("noisy line of 0 samples", lambda: data.noisy_line(0), ValueError, r"^n must be an integer >= 1"),
    # ---- labels out of range -------------------------------------------------------------------
    (
        "cross-entropy label = number of classes",
        lambda: nn.MLP([3, 3]).loss(X3, np.array([0, 1, 2, 3])),
        ValueError,
        r"^y must hold class labels in 0\.\.2, got values in 0\.\.3",
    ),
    (
        "softmax-MSE negative label",
        lambda: nn.MLP([3, 3], loss="mse_softmax").loss(X3, np.array([0, -1, 2, 1])),
        ValueError,
        r"^y must hold class labels in 0\.\.2, got values in -1\.\.2",
    ),
    (
        "binary cross-entropy label 2",
        lambda: nn.MLP([3, 1], loss="binary_cross_entropy").loss(X3, np.array([0, 2, 1, 0])),
        ValueError,
        r"^y must hold labels 0/1",
    ),
    (
        "fit labels beyond the outputs",
        fit(y=np.array([0, 1, 2, 0])),
        ValueError,
        r"^y must hold class labels in 0\.\.1, got values in 0\.\.2",
    ),
    (
        "fit validation labels beyond the outputs",
        fit(X_val=np.zeros((2, 3)), y_val=np.array([0, 5])),
        ValueError,
        r"^X_val, y_val .*y must hold class labels in 0\.\.1, got values in 0\.\.5",
    ),
    (
        "one_hot label = n_classes",
        lambda: data.one_hot(np.array([0, 3]), 3),
        ValueError,
        r"^y must hold class labels in 0\.\.2, got values in 0\.\.3",
    ),
    (
        "label noise with too few classes",
        lambda: data.add_label_noise(np.array([0, 3]), 0.5, n_classes=3),
        ValueError,
        r"^y must hold class labels in 0\.\.2",
    ),
    (
        "stratified split of a negative label",
        lambda: data.split(X3, np.array([0, -1, 0, 1]), (0.5, 0.5)),
        ValueError,
        r"^y must hold class labels in 0\.\.K-1, got values in -1\.\.1",
    ),
    # ---- schedules: non-positive periods ---------------------------------------------------------
    (
        "cosine_restarts negative first period",
        lambda: schedules.cosine_restarts(0.1, -3),
        ValueError,
        r"^first_period must be an integer >= 1, got -3",
    ),
    (
        "cosine_restarts fractional first period",
        lambda: schedules.cosine_restarts(0.1, 2.5),
        ValueError,
        r"^first_period must be an integer >= 1",
    ),
    (
        "cosine_restarts negative period_mult",
        lambda: schedules.cosine_restarts(0.1, 5, period_mult=-1),
        ValueError,
        r"^period_mult must be an integer >= 1",
    ),
    (
        "step_decay negative step size",
        lambda: schedules.step_decay(0.1, -1),
        ValueError,
        r"^step_size must be an integer >= 1, got -1",
    ),
    (
        "cyclic negative half period",
        lambda: schedules.cyclic(0.01, 0.1, -2),
        ValueError,
        r"^step_size_up must be an integer >= 1, got -2",
    ),
    (
        "cyclic fractional half period",
        lambda: schedules.cyclic(0.01, 0.1, 0.5),
        ValueError,
        r"^step_size_up must be an integer >= 1",
    ),
    ("warmup over -1 steps", lambda: schedules.warmup(0.1, -1), ValueError, r"^warmup_steps must be an integer >= 1"),
    ("noam warm-up of 0 steps", lambda: schedules.noam(512, 0), ValueError, r"^warmup_steps must be an integer >= 1"),
    (
        "one_cycle over -1 steps",
        lambda: schedules.one_cycle(0.1, -1),
        ValueError,
        r"^total_steps must be an integer >= 1",
    ),
    # ---- negative (or non-integer) steps ----------------------------------------------------------
    (
        "cosine_restarts at step -1",
        lambda: schedules.cosine_restarts(0.1, 5)(-1),
        ValueError,
        r"^t must be >= 0 \(steps are 0-based\), got -1",
    ),
    (
        "cyclic at an array with a negative step",
        lambda: schedules.cyclic(0.01, 0.1, 5)(np.array([[0, -3]])),
        ValueError,
        r"^t must be >= 0",
    ),
    ("warmup at step -2", lambda: schedules.warmup(0.1, 5)(-2), ValueError, r"^t must be >= 0"),
    ("noam at numpy step -1", lambda: schedules.noam(64, 10)(np.int64(-1)), ValueError, r"^t must be >= 0"),
    (
        "exponential at step 1.5",
        lambda: schedules.exponential(0.1, 0.9)(1.5),
        ValueError,
        r"^t must be an integer step index >= 0",
    ),
    (
        "online surface at step -1",
        lambda: surfaces.reddi_online().value(np.zeros(1), step=-1),
        ValueError,
        r"^step must be an integer >= 0",
    ),
    (
        "online surface at steps [0, -1]",
        lambda: surfaces.reddi_online().grad(np.zeros((2, 1)), step=np.array([0, -1])),
        ValueError,
        r"^step must be a non-negative integer",
    ),
    # ---- unknown choices in nn.MLP ----------------------------------------------------------------
    (
        "MLP activation gelu",
        lambda: nn.MLP([3, 4, 2], activation="gelu"),
        ValueError,
        r"^activation must be one of 'relu', 'tanh', 'sigmoid', 'linear'; got 'gelu'",
    ),
    (
        "MLP second activation unknown",
        lambda: nn.MLP([3, 4, 4, 2], activation=["relu", "swish"]),
        ValueError,
        r"^activation\[1\] must be one of",
    ),
    ("MLP loss hinge", lambda: nn.MLP([3, 2], loss="hinge"), ValueError, r"^loss must be one of .*got 'hinge'"),
    ("MLP init kaiming", lambda: nn.MLP([3, 2], init="kaiming"), ValueError, r"^init must be one of .*got 'kaiming'"),
    ("MLP bias_init ones", lambda: nn.MLP([3, 2], bias_init="ones"), ValueError, r"^bias_init must be one of"),
    ("MLP dropout = 1", lambda: nn.MLP([3, 4, 2], dropout=1.0), ValueError, r"^dropout must be a number in \[0, 1\)"),
    # ---- bad sizes --------------------------------------------------------------------------------
    ("MLP with one layer width", lambda: nn.MLP([3]), ValueError, r"^sizes must be a list of at least two"),
    ("MLP negative width", lambda: nn.MLP([3, -1, 2]), ValueError, r"^sizes\[1\] must be an integer >= 1, got -1"),
    ("MLP fractional width", lambda: nn.MLP([3, 2.5, 2]), ValueError, r"^sizes\[1\] must be an integer >= 1"),
    ("MLP sizes as text", lambda: nn.MLP("32"), ValueError, r"^sizes must be a list"),
    ("MLP boolean width", lambda: nn.MLP([True, 2]), ValueError, r"^sizes\[0\] must be an integer"),
    (
        "MLP binary cross-entropy with 2 outputs",
        lambda: nn.MLP([3, 2], loss="binary_cross_entropy"),
        ValueError,
        r"needs sizes\[-1\] == 1 output",
    ),
    (
        "lab hidden as one number",
        lambda: lab.complete({"hidden": 64}),
        ValueError,
        r"^hidden must be a list of positive layer widths, got 64",
    ),
    (
        "lab hidden width True",
        lambda: lab.complete({"hidden": [True]}),
        ValueError,
        r"^hidden must be a list of positive layer widths",
    ),
    ("quadratic in 1-D", lambda: surfaces.quadratic(10, dim=1), ValueError, r"^dim must be an integer >= 2"),
    # ---- bad batch sizes ----------------------------------------------------------------------------
    ("batches of -4", first(lambda: data.batches(X3, Y2, -4)), ValueError, r"^batch_size must be an integer >= 1"),
    ("batches of None", first(lambda: data.batches(X3, Y2, None)), ValueError, r"^batch_size must be an integer"),
    (
        "epochs with batches of 1.5",
        first(lambda: data.epochs(X3, Y2, 1.5)),
        ValueError,
        r"^batch_size must be an integer >= 1, got 1\.5",
    ),
    ("fit with batch size as text", fit(batch_size="32"), ValueError, r"^batch_size must be an integer >= 1"),
    (
        "fit dropping the only batch",
        fit(batch_size=5, drop_last=True),
        ValueError,
        r"^batch_size must be <= the number of samples \(4\)",
    ),
    (
        "lab batch larger than the training set",
        lambda: lab.complete({"batch_size": 5000}),
        ValueError,
        r"^batch_size must be an integer in \[1, 1078\]",
    ),
    # ---- bad split fractions ----------------------------------------------------------------------
    (
        "split fractions summing to 0.9",
        lambda: data.split(X3, Y2, (0.7, 0.2)),
        ValueError,
        r"^fractions must be at least two numbers in \(0, 1\) that sum to 1",
    ),
    (
        "split with a nan fraction",
        lambda: data.split(X3, Y2, (NAN, 0.5)),
        ValueError,
        r"^fractions\[0\] must be a finite number in \(0, 1\)",
    ),
    (
        "split with a negative fraction",
        lambda: data.split(X3, Y2, (0.5, -0.5, 1.0)),
        ValueError,
        r"^fractions\[1\] must be a number in \(0, 1\)",
    ),
    ("split with one number", lambda: data.split(X3, Y2, 0.5), ValueError, r"^fractions must be at least two"),
    (
        "digits split without validation",
        lambda: data.digits_split(val_fraction=0),
        ValueError,
        r"^val_fraction must be a number in \(0, 1\)",
    ),
    (
        "digits split all test",
        lambda: data.digits_split(test_fraction=1.0),
        ValueError,
        r"^test_fraction must be a number in \(0, 1\)",
    ),
    (
        "digits split nothing left to train",
        lambda: data.digits_split(val_fraction=0.6, test_fraction=0.5),
        ValueError,
        r"^val_fraction \+ test_fraction must be < 1",
    ),
    (
        "label noise fraction 1.5",
        lambda: data.add_label_noise(Y2, 1.5),
        ValueError,
        r"^fraction must be a number in \[0, 1\]",
    ),
    # ---- training loop ----------------------------------------------------------------------------
    ("fit without an optimizer", fit(opt=False), ValueError, r"^optimizer must have a step\(params, grads\) method"),
    (
        "descend for -1 steps",
        lambda: train.descend(surfaces.elongated(), optim.SGD(), np.zeros(2), -1),
        ValueError,
        r"^steps must be an integer >= 0",
    ),
    # ---- check.claim ------------------------------------------------------------------------------
    (
        "claim with op ==",
        lambda: check.claim("C99.9", 1.0, "==", 1.0, reproduces="a number"),
        ValueError,
        r"^op must be one of '<', '<=', '>', '>=', 'between'; got '=='",
    ),
    (
        "claim with op None",
        lambda: check.claim("C99.9", 1.0, None, 1.0, reproduces="a number"),
        ValueError,
        r"^op must be one of",
    ),
    (
        "claim between one number",
        lambda: check.claim("C99.9", 1.0, "between", 1.0, reproduces="a number"),
        ValueError,
        r"^bound must be a \(low, high\) pair",
    ),
    (
        "claim below a word",
        lambda: check.claim("C99.9", 1.0, "<", "x", reproduces="a number"),
        ValueError,
        r"^bound must be a number",
    ),
    (
        "claim between a word and 2",
        lambda: check.claim("C99.9", 1.0, "between", ("a", 2), reproduces="a number"),
        ValueError,
        r"^bound must be a number",
    ),
    (
        "claim of a word",
        lambda: check.claim("C99.9", "abc", "<", 2.0, reproduces="a number"),
        ValueError,
        r"^value must be a single number",
    ),
    (
        "claim without an id",
        lambda: check.claim(None, 1.0, "<", 2.0, reproduces="a number"),
        ValueError,
        r"^claim_id must be a non-empty string",
    ),
    # ---- lab configurations -----------------------------------------------------------------------
    ("lab config as a list", lambda: lab.complete([("lr", 0.1)]), ValueError, r"^config must be a dict"),
    (
        "lab unknown key",
        lambda: lab.complete({"learning_rate": 0.1}),
        ValueError,
        r"^config has unknown keys \['learning_rate'\]",
    ),
    (
        "lab optimizer in capitals",
        lambda: lab.complete({"optimizer": "Adam"}),
        ValueError,
        r"^optimizer must be one of .*got 'Adam'",
    ),
    (
        "lab schedule exponential",
        lambda: lab.complete({"schedule": "exponential"}),
        ValueError,
        r"^schedule must be one of",
    ),
    (
        "lab activation gelu",
        lambda: lab.complete({"activation": "gelu"}),
        ValueError,
        r"^activation must be one of .*got 'gelu'",
    ),
    (
        "lab batch_norm as text",
        lambda: lab.complete({"batch_norm": "yes"}),
        ValueError,
        r"^batch_norm must be one of False, True; got 'yes'",
    ),
    ("lab clip_norm 0", lambda: lab.complete({"clip_norm": 0}), ValueError, r"^clip_norm must be a number > 0"),
    (
        "lab negative dropout",
        lambda: lab.complete({"dropout": -0.1}),
        ValueError,
        r"^dropout must be a number in \[0, 1\)",
    ),
]


@pytest.mark.parametrize("call, error, pattern", [pytest.param(*row[1:], id=row[0]) for row in ROWS])
def test_bad_input_raises_an_error_naming_the_argument(call, error, pattern, capsys):
    with pytest.raises(error, match=pattern):
        call()
    assert capsys.readouterr() == ("", "")  # the error comes before any output


def test_every_row_has_a_unique_description_and_names_something():
    descriptions = [row[0] for row in ROWS]
    assert len(set(descriptions)) == len(descriptions)
    assert all(len(row) == 4 and callable(row[1]) and issubclass(row[2], Exception) and row[3] for row in ROWS)
