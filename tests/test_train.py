"""Tests of course_utils.train: fit (history, stopping rules, hooks) and descend (vectorised runs)."""

import math
import time
import warnings

import numpy as np
import pytest

from course_utils import data, nn, train


# --------------------------------------------------------------------------- stand-ins
class SGD:
    """Plain momentum SGD (torch semantics) that records the gradients it was given."""

    def __init__(self, lr, momentum=0.0):
        self.lr, self.momentum, self.t, self.velocity, self.seen = lr, momentum, 0, None, []

    def current_lr(self):
        return self.lr(self.t) if callable(self.lr) else self.lr

    def step(self, params, grads):
        self.seen.append(np.array(grads, copy=True))
        if self.velocity is None:
            self.velocity = np.zeros_like(params)
        self.velocity *= self.momentum
        self.velocity += grads
        params -= self.current_lr() * self.velocity
        self.t += 1
        return params


class Adam:
    """A small Adam for descend's speed test (element-wise, any shape)."""

    def __init__(self, lr, b1=0.9, b2=0.999, eps=1e-8):
        self.lr, self.b1, self.b2, self.eps, self.t, self.m = lr, b1, b2, eps, 0, None

    def step(self, params, grads):
        if self.m is None:
            self.m, self.v = np.zeros_like(params), np.zeros_like(params)
        self.t += 1
        self.m *= self.b1
        self.m += (1 - self.b1) * grads
        self.v *= self.b2
        self.v += (1 - self.b2) * grads * grads
        params -= self.lr * (self.m / (1 - self.b1**self.t)) / (np.sqrt(self.v / (1 - self.b2**self.t)) + self.eps)
        return params


class Quadratic:
    """L(θ) = ½ Σ_i h_i θ_i², optionally recording the step indices it was asked about."""

    name = "quadratic"
    project = None

    def __init__(self, h=(1.0, 10.0)):
        self.h = np.asarray(h, dtype=float)
        self.dim = len(self.h)
        self.steps_seen = []

    def value(self, theta, step=None):
        return 0.5 * np.sum(self.h * theta**2, axis=-1)

    def grad(self, theta, step=None):
        self.steps_seen.append(step)
        return self.h * theta


@pytest.fixture(scope="module")
def digits():
    return data.digits_split(seed=0)


# --------------------------------------------------------------------------- fit
def test_fit_records_every_step_and_evaluation(digits):
    net = nn.MLP([64, 32, 10], seed=0)
    history = train.fit(
        net,
        SGD(0.05, momentum=0.9),
        digits.X_train,
        digits.y_train,
        epochs=3,
        batch_size=100,
        X_val=digits.X_val,
        y_val=digits.y_val,
        progress=False,
    )
    steps_per_epoch = math.ceil(1078 / 100)
    assert history.steps == len(history.loss) == 3 * steps_per_epoch and history.stopped_by == "epochs"
    np.testing.assert_array_equal(history.step, np.arange(33))
    np.testing.assert_array_equal(history.epoch, np.repeat([0, 1, 2], 11))
    assert history.samples[-1] == 3 * 1078 == history.samples_seen and history.samples[10] == 1078
    assert np.all(history.lr == 0.05) and np.all(history.grad_norm > 0)
    np.testing.assert_array_equal(history.eval_step, [0, 11, 22, 33])
    assert history.val_accuracy[0] < 0.3 and history.val_accuracy[-1] > 0.9
    assert history.train_loss[-1] < 0.3 * history.train_loss[0]
    assert history.val_loss[-1] == pytest.approx(net.loss(digits.X_val, digits.y_val, training=False))
    assert history.diverged_at is None and "stopped by epochs after 33 steps" in history.message
    assert history.best_step == 33 and np.array_equal(history.best_params, net.params)
    assert history.seconds > 0 and "steps=33" in repr(history) and "val_accuracy" in repr(history)
    assert net.training is True  # evaluations ran in evaluation mode, then the mode was restored
    net.eval()
    train.fit(
        net, SGD(0.01), digits.X_train, digits.y_train, steps=2, progress=False, X_val=digits.X_val, y_val=digits.y_val
    )
    assert net.training is False


def test_fit_is_deterministic_given_the_seed(digits):
    results = []
    for seed in (1, 1, 2):
        net = nn.MLP([64, 16, 10], seed=0)
        results.append(
            train.fit(net, SGD(0.1), digits.X_train, digits.y_train, steps=20, seed=seed, progress=False).loss
        )
    np.testing.assert_array_equal(results[0], results[1])
    assert not np.array_equal(results[0], results[2])


def test_fit_steps_limit_and_eval_every(digits):
    net = nn.MLP([64, 16, 10])
    history = train.fit(
        net,
        SGD(0.1),
        digits.X_train,
        digits.y_train,
        steps=25,
        epochs=100,
        eval_every=10,
        eval_train=False,
        progress=False,
    )
    assert history.steps == 25 and history.stopped_by == "steps"
    np.testing.assert_array_equal(history.eval_step, [0, 10, 20, 25])
    assert np.all(np.isnan(history.train_loss)) and np.all(np.isnan(history.val_loss))
    nothing = train.fit(net, SGD(0.1), digits.X_train, digits.y_train, steps=0, progress=False)
    assert nothing.steps == 0 and len(nothing.loss) == 0 and nothing.stopped_by == "steps"
    assert list(nothing.eval_step) == [0] and nothing.samples_seen == 0 and "loss=" not in repr(nothing)


def test_fit_budget_in_samples_is_never_exceeded(digits):
    net = nn.MLP([64, 16, 10])
    history = train.fit(net, SGD(0.1), digits.X_train, digits.y_train, max_samples=2500, batch_size=64, progress=False)
    assert history.samples[-1] == 2500 and history.stopped_by == "max_samples"
    sizes = np.diff(np.concatenate([[0], history.samples]))
    # 1078 = 16 * 64 + 54 per epoch; 2500 = 2 * 1078 + 5 * 64 + 24: the last batch is cut to 24
    assert history.steps == 17 + 17 + 6 and sizes.max() == 64 and sizes[-1] == 24
    assert sizes[16] == 54 and history.epoch[17] == 1 and sizes.sum() == 2500
    small = train.fit(
        net, SGD(0.1), digits.X_train, digits.y_train, max_samples=10, batch_size=64, epochs=5, progress=False
    )
    assert small.steps == 1 and small.samples[-1] == 10


def test_fit_stops_at_the_first_non_finite_loss_and_says_where():
    X, y = data.noisy_line(64, seed=0)
    net = nn.MLP([1, 16, 1], loss="mse", seed=0)
    with pytest.warns(
        train.DivergenceWarning,
        match=r"training diverged: (loss became (nan|inf)|the gradient "
        r"became non-finite) at step \d+ \(epoch \d+, lr=3\); stopped",
    ):
        history = train.fit(net, SGD(3.0), X * 100, y * 100, epochs=50, batch_size=16, progress=False)
    at = history.diverged_at
    assert at is not None and at > 0 and history.stopped_by == "diverged"
    assert not np.isfinite(history.loss[at] + history.grad_norm[at])
    assert np.all(np.isfinite(history.loss[:at])) and np.all(np.isfinite(history.grad_norm[:at]))
    assert len(history.loss) == at + 1 and history.steps == at
    assert f"step {at}" in history.message
    assert history.eval_step[-1] < at + 1  # no evaluation of the broken parameters
    assert np.all(np.isnan(history.train_accuracy))  # a regression has no accuracy


def test_fit_clips_the_gradient_norm_but_records_the_raw_norm(digits):
    net = nn.MLP([64, 32, 10], seed=0)
    opt = SGD(0.01)
    history = train.fit(net, opt, digits.X_train, digits.y_train, steps=10, clip_norm=0.05, progress=False)
    given = np.array([np.linalg.norm(g) for g in opt.seen])
    assert np.all(history.grad_norm > 0.05)  # raw norms, before clipping
    np.testing.assert_allclose(given, 0.05, rtol=1e-4)
    opt = SGD(0.01)
    train.fit(nn.MLP([64, 32, 10], seed=0), opt, digits.X_train, digits.y_train, steps=3, clip_norm=1e6, progress=False)
    assert np.linalg.norm(opt.seen[0]) == pytest.approx(history.grad_norm[0])  # short ones pass unchanged


def test_fit_grad_transform_sees_the_step_and_its_result_is_used(digits):
    calls = []

    def add_noise(g, step):
        calls.append(step)
        return g + 1.0

    opt = SGD(0.0)
    train.fit(
        nn.MLP([64, 8, 10]), opt, digits.X_train, digits.y_train, steps=4, grad_transform=add_noise, progress=False
    )
    assert calls == [0, 1, 2, 3]
    net = nn.MLP([64, 8, 10])
    raw = net.loss_and_grad(digits.X_train[:32], digits.y_train[:32])[1]
    first = train.fit(
        net,
        SGD(0.0),
        digits.X_train,
        digits.y_train,
        steps=1,
        shuffle=False,
        grad_transform=lambda g, t: g * 2,
        progress=False,
    )
    assert first.steps == 1
    opt = SGD(0.0)
    train.fit(
        net,
        opt,
        digits.X_train,
        digits.y_train,
        steps=1,
        shuffle=False,
        grad_transform=lambda g, t: g * 2,
        progress=False,
    )
    np.testing.assert_allclose(opt.seen[0], 2 * raw)
    with pytest.raises(ValueError, match="grad_transform must return an array of shape"):
        train.fit(
            net, SGD(0.1), digits.X_train, digits.y_train, steps=1, progress=False, grad_transform=lambda g, t: g[:3]
        )


def test_fit_shuffle_modes_reach_the_batches():
    X = np.arange(40.0)[:, None]
    y = (np.arange(40) >= 20).astype(int)
    losses = {}
    for shuffle in (False, "once", True):
        net = nn.MLP([1, 2], seed=0)
        losses[shuffle] = train.fit(net, SGD(0.0), X, y, epochs=2, batch_size=10, shuffle=shuffle, progress=False).loss
    assert np.array_equal(losses[False][:4], losses[False][4:])  # same order each epoch
    assert np.array_equal(losses["once"][:4], losses["once"][4:])
    assert not np.array_equal(losses["once"][:4], losses[False][:4])  # but not the given one
    assert not np.array_equal(losses[True][:4], losses[True][4:])  # a fresh order each epoch


def test_fit_early_stopping_callback_and_progress_bar(digits, capsys):
    net = nn.MLP([64, 64, 10], seed=0)
    history = train.fit(
        net,
        SGD(0.5, momentum=0.9),
        digits.X_train[:200],
        digits.y_train[:200],
        epochs=200,
        batch_size=50,
        X_val=digits.X_val,
        y_val=digits.y_val,
        patience=3,
        progress=False,
    )
    assert history.stopped_by == "patience" and "early stopping" in history.message
    assert history.steps < 200 * 4 and history.best_step < history.eval_step[-1]
    best = np.nanargmin(history.val_loss)
    assert history.eval_step[best] == history.best_step
    seen = []
    history = train.fit(
        nn.MLP([64, 8, 10]),
        SGD(0.1),
        digits.X_train,
        digits.y_train,
        epochs=3,
        callback=lambda step, net, loss: seen.append(step) or step == 4,
        progress=True,
    )
    assert seen == [0, 1, 2, 3, 4] and history.stopped_by == "callback" and history.steps == 5
    assert "training" in capsys.readouterr().err  # the tqdm bar writes to stderr


def test_fit_early_stopping_stops_patience_evaluations_after_the_best_and_keeps_a_copy(digits):
    net = nn.MLP([64, 64, 10], seed=0)
    history = train.fit(
        net,
        SGD(0.5, momentum=0.9),
        digits.X_train[:200],
        digits.y_train[:200],
        epochs=200,
        batch_size=50,
        X_val=digits.X_val,
        y_val=digits.y_val,
        eval_every=2,
        patience=3,
        progress=False,
    )
    best = list(history.eval_step).index(history.best_step)
    assert history.stopped_by == "patience" and best == np.argmin(history.val_loss)
    # the third evaluation without a new best stops it: 3 evaluations x 2 steps after the best
    assert history.eval_step[-1] == history.steps == history.best_step + 3 * 2 and len(history.val_loss) == best + 4
    # best_params is a copy taken at best_step, not a view of the parameters that kept training
    assert not np.shares_memory(history.best_params, net.params)
    assert not np.array_equal(history.best_params, net.params)
    at_best = net.loss(digits.X_val, digits.y_val, training=False, penalty=False, params=history.best_params)
    assert at_best == pytest.approx(history.val_loss[best], rel=1e-12)
    assert net.loss(digits.X_val, digits.y_val, training=False, penalty=False) == pytest.approx(
        history.val_loss[-1], rel=1e-12
    )


def test_fit_learning_rate_record(digits):
    history = train.fit(
        nn.MLP([64, 8, 10]), SGD(lambda t: 0.1 / (t + 1)), digits.X_train, digits.y_train, steps=4, progress=False
    )
    np.testing.assert_allclose(history.lr, 0.1 / np.arange(1, 5))

    class Bare:  # no current_lr(): the lr attribute is read, a schedule is called with t
        def __init__(self, lr):
            self.lr, self.t = lr, 0

        def step(self, params, grads):
            self.t += 1
            return params

    assert np.all(
        train.fit(nn.MLP([64, 8, 10]), Bare(0.3), digits.X_train, digits.y_train, steps=2, progress=False).lr == 0.3
    )
    np.testing.assert_allclose(
        train.fit(
            nn.MLP([64, 8, 10]), Bare(lambda t: t + 1.0), digits.X_train, digits.y_train, steps=2, progress=False
        ).lr,
        [1.0, 2.0],
    )
    anonymous = Bare(0.1)
    del anonymous.lr
    assert np.all(
        np.isnan(train.fit(nn.MLP([64, 8, 10]), anonymous, digits.X_train, digits.y_train, steps=2, progress=False).lr)
    )


def test_fit_with_the_course_optimizers(digits):
    optim = pytest.importorskip("course_utils.optim")
    if not hasattr(optim, "Adam"):
        pytest.skip("course_utils.optim.Adam not written yet")
    net = nn.MLP([64, 32, 10], dtype=np.float32, seed=0)
    history = train.fit(
        net,
        optim.Adam(lr=0.01),
        digits.X_train,
        digits.y_train,
        epochs=3,
        X_val=digits.X_val,
        y_val=digits.y_val,
        progress=False,
    )
    assert net.params.dtype == np.float32 and history.val_accuracy[-1] > 0.9


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(), "give at least one of epochs, steps or max_samples"),
        (dict(epochs=0), "epochs must be an integer >= 1"),
        (dict(steps=-1), "steps must be an integer >= 0"),
        (dict(max_samples=0), "max_samples must be an integer >= 1"),
        (dict(epochs=1, batch_size=0), "batch_size must be an integer >= 1"),
        (dict(epochs=1, batch_size=500, drop_last=True), "batch_size must be <= the number of samples"),
        (dict(epochs=1, X_val=np.zeros((2, 4))), "X_val and y_val must be given together"),
        (dict(epochs=1, patience=2), "patience \\(early stopping\\) needs validation data"),
        (dict(epochs=1, patience=0), "patience must be an integer >= 1"),
        (dict(epochs=1, clip_norm=0), "clip_norm must be a number > 0"),
        (dict(epochs=1, eval_every=0), "eval_every must be an integer >= 1"),
        (dict(epochs=1, grad_transform=3), "grad_transform must be a callable or None"),
        (dict(epochs=1, callback="stop"), "callback must be a callable or None"),
    ],
)
def test_fit_rejects_bad_arguments(kwargs, message):
    X, y = data.blobs(100, centers=2, dim=4)
    with pytest.raises(ValueError, match=message):
        train.fit(nn.MLP([4, 2]), SGD(0.1), X, y, progress=False, **kwargs)
    with pytest.raises(ValueError, match="X must hold at least one sample"):
        train.fit(nn.MLP([4, 2]), SGD(0.1), np.zeros((0, 4)), np.zeros(0, int), epochs=1)


# --------------------------------------------------------------------------- descend
def test_descend_single_run_matches_gradient_descent_in_closed_form():
    surface = Quadratic()
    path = train.descend(surface, SGD(0.05), np.array([1.0, 1.0]), 30)
    assert path.points.shape == (31, 2) and path.losses.shape == (31,) and path.diverged_at is None
    t = np.arange(31)[:, None]
    np.testing.assert_allclose(path.points, (1 - 0.05 * surface.h) ** t)
    np.testing.assert_allclose(path.losses, surface.value(path.points))
    assert surface.steps_seen == list(range(30))  # step=t passed to the surface
    np.testing.assert_allclose(path.final, path.points[-1])
    assert path.final_loss == pytest.approx(path.losses[-1]) and path.steps == 30
    assert "surface='quadratic'" in repr(path) and "optimizer='SGD'" in repr(path)


def test_descend_many_runs_equal_separate_runs():
    starts = np.random.default_rng(0).uniform(-2, 2, (5, 2))
    together = train.descend(Quadratic(), Adam(0.1), starts, 40)
    assert together.points.shape == (41, 5, 2) and together.losses.shape == (41, 5)
    np.testing.assert_array_equal(together.diverged_at, -1)
    for k in range(5):
        alone = train.descend(Quadratic(), Adam(0.1), starts[k], 40)
        np.testing.assert_allclose(together.points[:, k], alone.points, rtol=1e-13, atol=1e-15)
    grid = train.descend(Quadratic(), Adam(0.1), starts.reshape(5, 1, 2) * np.ones((1, 3, 1)), 5)
    assert grid.points.shape == (6, 5, 3, 2) and grid.diverged_at.shape == (5, 3)
    np.testing.assert_array_equal(starts, np.random.default_rng(0).uniform(-2, 2, (5, 2)))  # untouched


def test_descend_freezes_diverging_runs_and_keeps_the_others():
    surface = Quadratic(h=(1.0, 1.0))
    lr = np.array([[0.1], [2.5], [0.5], [4.0]])  # |1 − lr| > 1 diverges: runs 1 and 3
    opt = SGD(lr)
    with pytest.warns(train.DivergenceWarning, match=r"2 of 4 run\(s\) diverged.*the first at step \d+"):
        path = train.descend(surface, opt, np.ones((4, 2)), 2000)
    at = path.diverged_at
    assert at[0] == -1 and at[2] == -1 and at[1] > 0 and at[3] > 0 and at[3] < at[1]
    for run in (1, 3):
        assert np.all(np.isfinite(path.points[: at[run], run]))
        assert np.all(np.isnan(path.points[at[run] :, run])) and np.all(np.isnan(path.losses[at[run] :, run]))
        assert np.all(opt.seen[-1][run] == 0)  # frozen runs get zero gradients
        np.testing.assert_allclose(path.final[run], path.points[at[run] - 1, run])
    np.testing.assert_allclose(path.points[-1, 0], 0, atol=1e-12)
    assert np.isfinite(path.final_loss).all() and "diverged" in path.message
    assert "diverged=2" in repr(path)


def test_descend_single_run_divergence_and_bad_start():
    with pytest.warns(train.DivergenceWarning):
        path = train.descend(Quadratic(), SGD(1.0), np.array([1.0, 1.0]), 2000)
    assert isinstance(path.diverged_at, int) and path.diverged_at > 0

    class Wall(Quadratic):  # infinite loss left of 0: a start there diverges at step 0
        def value(self, theta, step=None):
            return np.where(theta[..., 0] < 0, np.inf, super().value(theta))

    with pytest.warns(train.DivergenceWarning, match="the first at step 0"):
        path = train.descend(Wall(), SGD(0.1), np.array([[-1.0, 0.0], [1.0, 0.0]]), 3)
    assert path.diverged_at.tolist() == [0, -1] and np.isnan(path.points[1:, 0]).all()


def test_descend_projects_after_every_step():
    class Boxed(Quadratic):
        def __init__(self):
            super().__init__()
            self.project = lambda theta: np.clip(theta, 0.5, 2.0)

    path = train.descend(Boxed(), SGD(0.1), np.array([3.0, 1.0]), 50)
    assert np.all(path.points >= 0.5) and np.all(path.points <= 2.0)
    np.testing.assert_allclose(path.points[-1], [0.5, 0.5], atol=1e-3)
    free = train.descend(Boxed(), SGD(0.1), np.array([3.0, 1.0]), 50, project=lambda th: th)
    assert free.points[-1, 0] < 0.05
    with pytest.raises(ValueError, match="project must be a callable or None"):
        train.descend(Quadratic(), SGD(0.1), np.ones(2), 5, project="clip")


@pytest.mark.parametrize(
    "start, message",
    [
        (np.ones(3), "start must have shape \\(dim,\\) or \\(runs, dim\\) with dim = 2"),
        (np.float64(1.0), "start must have shape"),
        (np.array([1.0, np.nan]), "start must be finite"),
    ],
)
def test_descend_rejects_bad_starts(start, message):
    with pytest.raises(ValueError, match=message):
        train.descend(Quadratic(), SGD(0.1), start, 5)
    with pytest.raises(ValueError, match="steps must be an integer >= 0"):
        train.descend(Quadratic(), SGD(0.1), np.ones(2), -1)


def test_descend_ten_thousand_adam_runs_are_fast():
    starts = np.random.default_rng(0).uniform(-2, 2, (10_000, 2))
    seconds = math.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no warnings on a healthy surface
        for _attempt in range(2):  # a second try only if the shared machine was busy
            begin = time.perf_counter()
            path = train.descend(Quadratic(), Adam(0.05), starts, 500)
            seconds = time.perf_counter() - begin
            if seconds < 3.0:
                break
    assert path.points.shape == (501, 10_000, 2) and np.all(path.diverged_at == -1)
    assert np.abs(path.points[-1]).max() < 0.1
    assert seconds < 3.0, f"10,000 runs x 500 Adam steps took {seconds:.2f} s"


def test_fit_steps_in_training_mode_even_when_the_net_is_in_evaluation_mode(digits):
    net = nn.MLP([64, 32, 10], dropout=0.5, seed=0).eval()
    X, y = digits.X_train[:32], digits.y_train[:32]
    history = train.fit(net, SGD(0.0), X, y, steps=1, batch_size=32, shuffle=False, progress=False)
    assert history.loss[0] != pytest.approx(net.loss(X, y))  # dropout was on for the step
    assert history.train_loss[0] == pytest.approx(net.loss(X, y)) and net.training is False


def test_fit_stops_when_the_gradient_goes_non_finite_under_a_finite_loss():
    class Broken:  # a stand-in network: finite loss, but an infinite gradient from step 2 on
        params = np.zeros(3)
        training = True
        is_classifier = False
        calls = 0

        def loss_and_grad(self, X, y, training=None, out=None):
            self.calls += 1
            out[:] = np.inf if self.calls > 2 else 1.0
            return 1.0, out

        def loss(self, X, y, penalty=True):
            return 1.0

        def eval(self):
            self.training = False
            return self

    X, y = np.zeros((8, 1)), np.zeros(8)
    with pytest.warns(train.DivergenceWarning, match="the gradient became non-finite at step 2"):
        history = train.fit(Broken(), SGD(0.1), X, y, steps=10, batch_size=4, progress=True)
    assert history.diverged_at == 2 and history.steps == 2 and np.isinf(history.grad_norm[-1])


def test_gradient_norm_survives_float32_overflow():
    assert train._norm(np.full(100, 1e20, np.float32)) == pytest.approx(1e21, rel=1e-6)
    assert train._norm(np.array([3.0, 4.0])) == 5.0
    assert math.isnan(train._norm(np.array([np.nan, 1.0], np.float32)))


def test_descend_freezes_a_run_whose_gradient_overflows_at_a_finite_point():
    class Cliff(Quadratic):  # finite loss everywhere, an infinite gradient beyond x = 2
        def grad(self, theta, step=None):
            return np.where(theta[..., :1] > 2, np.inf, super().grad(theta, step))

    class Strict(SGD):  # like course_utils.optim: refuses non-finite gradients
        def step(self, params, grads):
            if not np.all(np.isfinite(grads)):
                raise ValueError("grads contain nan or inf")
            return super().step(params, grads)

    with pytest.warns(train.DivergenceWarning, match="1 of 2 run"):
        path = train.descend(Cliff(), Strict(0.1), np.array([[3.0, 1.0], [1.0, 1.0]]), 5)
    assert path.diverged_at.tolist() == [1, -1]
    np.testing.assert_array_equal(path.points[0, 0], [3.0, 1.0])
    assert np.all(np.isnan(path.points[1:, 0])) and np.all(np.isfinite(path.points[:, 1]))
