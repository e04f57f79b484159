"""Tests of course_utils.many_runs: many MLPs trained as one array, and the shared divergence mask."""

import warnings

import numpy as np
import pytest

from course_utils import data, many_runs, nn, optim, train


@pytest.fixture(scope="module")
def digits():
    split = data.digits_split(seed=0)
    return split.X_train[:300], split.y_train[:300], split.X_val[:100], split.y_val[:100]


@pytest.mark.parametrize(
    "sizes, activation",
    [
        ([64, 32, 10], "relu"),
        ([64, 16, 12, 10], "tanh"),
        ([64, 10], "relu"),
        ([64, 8, 8, 10], "sigmoid"),
        ([64, 8, 10], "linear"),
    ],
)
@pytest.mark.parametrize("n", [1, 7])
def test_each_row_equals_the_mlp_loss_and_gradient(digits, sizes, activation, n):
    X, y, _, _ = digits
    net = nn.MLP(sizes, activation=activation, seed=3)
    P = net.params + 0.1 * np.random.default_rng(2).standard_normal((4, net.n_params))
    G = np.full_like(P, np.nan)
    loss = many_runs.loss_and_grad_many(net, P, X[:n], y[:n], out=G)
    assert loss.shape == (4,)
    for r in range(4):
        loss_r, grad_r = net.loss_and_grad(X[:n], y[:n], params=P[r])
        assert loss[r] == pytest.approx(loss_r, rel=1e-12)
        np.testing.assert_allclose(G[r], grad_r, rtol=0, atol=1e-12)
    np.testing.assert_allclose(many_runs.loss_and_grad_many(net, P, X[:n], y[:n]), loss, rtol=1e-14)


def test_evaluate_many_gives_loss_and_accuracy_of_each_row(digits):
    X, y, _, _ = digits
    net = nn.MLP([64, 32, 10], seed=1)
    P = net.params + 0.05 * np.random.default_rng(0).standard_normal((3, net.n_params))
    loss, accuracy = many_runs.evaluate_many(net, P, X, y)
    for r in range(3):
        other = nn.MLP([64, 32, 10]).set_params(P[r])
        assert loss[r] == pytest.approx(other.loss(X, y), rel=1e-12)
        assert accuracy[r] == pytest.approx(other.accuracy(X, y))


@pytest.mark.parametrize(
    "make_opt", [lambda: optim.SGD(lr=0.05, momentum=0.9), lambda: optim.Adam(lr=3e-3), lambda: optim.Adagrad(lr=0.05)]
)
@pytest.mark.parametrize("shuffle", [True, False, "once"])
def test_one_run_equals_train_fit(digits, make_opt, shuffle):
    X, y, _, _ = digits
    net = nn.MLP([64, 32, 10], seed=4)
    history = many_runs.fit_many(
        net, net.params[None], make_opt(), X, y, epochs=2, batch_size=32, shuffle=shuffle, seed=5
    )
    reference = nn.MLP([64, 32, 10], seed=4)
    fitted = train.fit(reference, make_opt(), X, y, epochs=2, batch_size=32, shuffle=shuffle, seed=5, progress=False)
    np.testing.assert_allclose(history.params[0], reference.params, rtol=0, atol=1e-10)
    np.testing.assert_allclose(history.train_loss[:, 0], fitted.train_loss, rtol=1e-9)
    np.testing.assert_array_equal(history.eval_step, fitted.eval_step)
    assert history.steps_per_epoch == 10 and history.eval_epoch[-1] == 2


def test_many_runs_equal_separate_runs_with_their_own_learning_rates(digits):
    X, y, X_val, y_val = digits
    net = nn.MLP([64, 32, 10], seed=0)
    lrs = np.array([0.01, 0.1, 0.5])
    P0 = net.params + 0.01 * np.random.default_rng(1).standard_normal((3, net.n_params))
    together = many_runs.fit_many(
        net, P0, optim.SGD(lr=lrs[:, None]), X, y, epochs=3, batch_size=16, X_val=X_val, y_val=y_val, eval_every=5
    )
    assert together.train_loss.shape == (len(together.eval_step), 3)
    for r, lr in enumerate(lrs):
        alone = many_runs.fit_many(
            net, P0[r : r + 1], optim.SGD(lr=lr), X, y, epochs=3, batch_size=16, X_val=X_val, y_val=y_val, eval_every=5
        )
        np.testing.assert_allclose(together.params[r], alone.params[0], rtol=0, atol=1e-12)
        np.testing.assert_allclose(together.val_accuracy[:, r], alone.val_accuracy[:, 0])
    quick = many_runs.fit_many(
        net,
        P0,
        optim.SGD(lr=lrs[:, None]),
        X,
        y,
        epochs=3,
        batch_size=16,
        X_val=X_val,
        y_val=y_val,
        eval_every=5,
        eval_train=False,
    )
    assert np.isnan(quick.train_loss).all() and np.isnan(quick.train_accuracy).all()
    np.testing.assert_array_equal(quick.val_loss, together.val_loss)


def test_groups_of_rows_get_their_own_optimizers(digits):
    X, y, _, _ = digits
    net = nn.MLP([64, 32, 10], seed=0)
    P0 = np.tile(net.params, (4, 1))
    groups = [
        (slice(0, 2), optim.SGD(lr=np.array([[0.01], [0.1]]))),
        (np.array([2, 3]), optim.SGD(lr=np.array([[0.01], [0.1]]), momentum=0.9)),
    ]
    together = many_runs.fit_many(net, P0, groups, X, y, epochs=2)
    for r, (lr, mom) in enumerate([(0.01, 0.0), (0.1, 0.0), (0.01, 0.9), (0.1, 0.9)]):
        alone = many_runs.fit_many(net, P0[r : r + 1], optim.SGD(lr=lr, momentum=mom), X, y, epochs=2)
        np.testing.assert_allclose(together.params[r], alone.params[0], rtol=0, atol=1e-12)


def test_a_diverging_run_is_masked_where_fit_stops_and_the_others_go_on(digits):
    X, y, _, _ = digits
    net = nn.MLP([64, 32, 10], seed=0)
    lrs = np.array([0.05, 1e6])
    with pytest.warns(train.DivergenceWarning, match="1 of 2 run"):
        history = many_runs.fit_many(
            net, np.tile(net.params, (2, 1)), optim.SGD(lr=lrs[:, None]), X, y, epochs=3, batch_size=32
        )
    with pytest.warns(train.DivergenceWarning):
        fitted = train.fit(
            nn.MLP([64, 32, 10], seed=0), optim.SGD(lr=1e6), X, y, epochs=3, batch_size=32, progress=False
        )
    assert history.diverged_at.tolist() == [-1, fitted.diverged_at]
    assert np.isnan(history.train_loss[-1, 1]) and np.isfinite(history.train_loss[-1, 0])
    assert np.all(history.params[1] == 0)  # parked
    alone = many_runs.fit_many(net, net.params[None], optim.SGD(lr=0.05), X, y, epochs=3, batch_size=32)
    np.testing.assert_allclose(history.params[0], alone.params[0], rtol=0, atol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        many_runs.fit_many(net, np.tile(net.params, (2, 1)), optim.SGD(lr=lrs[:, None]), X, y, epochs=1, warn=False)


def test_mark_diverged_is_the_one_rule_shared_with_descend():
    assert many_runs.mark_diverged is train.mark_diverged
    dead = np.array([False, True, False, False])
    at = np.array([-1, 2, -1, -1])
    new = train.mark_diverged(np.array([True, True, False, True]), dead, at, 5)
    assert new.tolist() == [True, False, False, True]
    assert dead.tolist() == [True, True, False, True] and at.tolist() == [5, 2, -1, 5]
    assert not train.mark_diverged(np.zeros(4, bool), dead, at, 6).any() and at.tolist() == [5, 2, -1, 5]
    assert train.finite_runs(
        np.array([0.0, np.inf, 1.0]), np.array([[1.0, 2.0], [0.0, 0.0], [np.nan, 1.0]])
    ).tolist() == [True, False, False]
    with pytest.raises(ValueError, match="dead and diverged_at must be numpy arrays"):
        train.mark_diverged(np.array(True), np.False_, np.array(-1), 0)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda net, P, X, y: many_runs.fit_many(net, P[0], optim.SGD(lr=0.1), X, y, epochs=1), "P must be"),
        (lambda net, P, X, y: many_runs.fit_many(net, P, optim.SGD(lr=0.1), X, y, epochs=0), "epochs"),
        (lambda net, P, X, y: many_runs.fit_many(net, P, "sgd", X, y, epochs=1), "optimizer must be"),
        (
            lambda net, P, X, y: many_runs.fit_many(net, P, [(slice(0, 1), optim.SGD(lr=0.1))], X, y, epochs=1),
            "exactly once",
        ),
        (lambda net, P, X, y: many_runs.fit_many(net, P, optim.SGD(lr=0.1), X, y, epochs=1, X_val=X), "together"),
        (lambda net, P, X, y: many_runs.loss_and_grad_many(net, P, X, y, out=np.empty(3)), "out must be"),
        (
            lambda net, P, X, y: many_runs.loss_and_grad_many(nn.MLP([64, 8, 10], dropout=0.5), P[:, :610], X, y),
            "plain MLP",
        ),
        (
            lambda net, P, X, y: many_runs.loss_and_grad_many(nn.MLP([64, 10], loss="mse"), P[:, :650], X, y),
            "cross_entropy",
        ),
        (lambda net, P, X, y: many_runs.loss_and_grad_many(object(), P, X, y), "nn.MLP"),
    ],
)
def test_bad_arguments_name_what_is_wrong(digits, call, message):
    X, y, _, _ = digits
    net = nn.MLP([64, 32, 10])
    P = np.tile(net.params, (2, 1))
    with pytest.raises(ValueError, match=message):
        call(net, P, X, y)
