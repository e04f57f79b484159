"""Tests of course_utils.nn: the flat-vector MLP (views, gradients, modes, fine-tuning, errors)."""

import numpy as np
import pytest

from course_utils import data, nn


def numerical_grad(net, X, y, training=None, eps=1e-6):
    """Centered finite differences of net.loss, with the same dropout masks at every evaluation."""
    state = net.rng.bit_generator.state
    theta = net.params.copy()
    grad = np.empty_like(theta)
    for i in range(theta.size):
        values = []
        for sign in (1, -1):
            shifted = theta.copy()
            shifted[i] += sign * eps
            net.rng.bit_generator.state = state
            values.append(net.loss(X, y, training=training, params=shifted))
        grad[i] = (values[0] - values[1]) / (2 * eps)
    net.rng.bit_generator.state = state
    return grad


def relative_error(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300)


def problem(loss, outputs=3, n=7, features=5, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, features))
    if loss == "binary_cross_entropy":
        return X, rng.integers(0, 2, n)
    if loss == "mse" and outputs == 1:
        return X, rng.standard_normal(n)
    return X, rng.integers(0, outputs, n)


def check_gradient(net, X, y, training=None):
    state = net.rng.bit_generator.state
    loss, grad = net.loss_and_grad(X, y, training=training)
    net.rng.bit_generator.state = state
    assert grad.shape == net.params.shape and grad.dtype == net.params.dtype
    assert np.isfinite(loss)
    assert np.isclose(loss, net.loss(X, y, training=training), rtol=1e-12)
    net.rng.bit_generator.state = state
    numeric = numerical_grad(net, X, y, training)
    error = relative_error(grad, numeric)
    assert error < 1e-6, f"relative error {error:.2e} for {net}"
    return grad


# --------------------------------------------------------------------------- gradient checks
@pytest.mark.parametrize("activation", nn.ACTIVATIONS)
@pytest.mark.parametrize("loss", nn.LOSSES)
def test_gradient_every_activation_and_loss(activation, loss):
    outputs = 1 if loss == "binary_cross_entropy" else 3
    net = nn.MLP([5, 4, 3, outputs], activation=activation, loss=loss, seed=2)
    X, y = problem(loss, outputs)
    check_gradient(net, X, y)


@pytest.mark.parametrize("activation", nn.ACTIVATIONS)
@pytest.mark.parametrize(
    "extra",
    [
        dict(dropout=0.3),
        dict(batch_norm=True),
        dict(batch_norm=True, training=False),
        dict(l2=0.3),
        dict(dropout=[0.5, 0.2], batch_norm=True, l2=0.1, loss="mse_softmax"),
    ],
)
def test_gradient_dropout_batch_norm_l2(activation, extra):
    extra = dict(extra)
    training = extra.pop("training", None)
    net = nn.MLP([5, 4, 3, 3], activation=activation, seed=3, **extra)
    X, y = problem("cross_entropy", 3)
    if training is False:  # give the running statistics something other than (0, 1)
        for _ in range(3):
            net.loss(X + 0.5, y)
    check_gradient(net, X, y, training=training)


@pytest.mark.parametrize(
    "loss, targets",
    [
        ("cross_entropy", "probabilities"),
        ("mse", "matrix"),
        ("mse", "regression"),
        ("mse_softmax", "matrix"),
        ("binary_cross_entropy", "probabilities"),
    ],
)
def test_gradient_real_valued_targets(loss, targets):
    rng = np.random.default_rng(4)
    outputs = 1 if loss == "binary_cross_entropy" or targets == "regression" else 3
    X = rng.standard_normal((6, 5))
    if targets == "probabilities":
        y = nn.softmax(rng.standard_normal((6, outputs))) if outputs > 1 else rng.uniform(0, 1, 6)
    elif targets == "matrix":
        y = rng.standard_normal((6, outputs))
    else:
        y = rng.standard_normal(6)
    net = nn.MLP([5, 4, outputs], activation="tanh", loss=loss, seed=5)
    check_gradient(net, X, y)


def test_gradient_deep_plain_network_and_float32_agrees():
    net = nn.MLP([5] + [4] * 8 + [3], activation="tanh", seed=6)
    X, y = problem("cross_entropy")
    grad64 = check_gradient(net, X, y)
    net32 = nn.MLP([5] + [4] * 8 + [3], activation="tanh", seed=6, dtype=np.float32)
    np.testing.assert_allclose(net32.params, net.params.astype(np.float32))
    loss32, grad32 = net32.loss_and_grad(X, y)
    assert grad32.dtype == np.float32 and isinstance(loss32, float)
    assert relative_error(grad32.astype(np.float64), grad64) < 1e-4


# --------------------------------------------------------------------------- losses by hand
def test_losses_match_their_formulas():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((4, 3))
    y = np.array([0, 2, 1, 2])
    for loss in ("cross_entropy", "mse", "mse_softmax"):
        net = nn.MLP([3, 3], loss=loss, seed=1)
        z = X @ net.weights[0] + net.biases[0]
        np.testing.assert_allclose(net.forward(X), z)
        p = nn.softmax(z)
        t = data.one_hot(y, 3)
        expected = {
            "cross_entropy": -np.mean(np.log(p[np.arange(4), y])),
            "mse": np.mean(np.sum((z - t) ** 2, axis=1)),
            "mse_softmax": np.mean(np.sum((p - t) ** 2, axis=1)),
        }[loss]
        assert np.isclose(net.loss(X, y), expected, rtol=1e-12)
    net = nn.MLP([3, 3], loss="cross_entropy", l2=0.5, seed=1)
    plain = nn.MLP([3, 3], seed=1)
    assert np.isclose(net.loss(X, y), plain.loss(X, y) + 0.25 * np.sum(net.weights[0] ** 2))


def test_sigmoid_output_equals_two_class_softmax():
    """C07.8: σ(z) is the two-class softmax of logits (0, z); the losses agree too."""
    rng = np.random.default_rng(8)
    X = rng.standard_normal((9, 4))
    y = rng.integers(0, 2, 9)
    binary = nn.MLP([4, 1], loss="binary_cross_entropy", seed=2)
    two = nn.MLP([4, 2], loss="cross_entropy")
    W, b = two.layers[0].W, two.layers[0].b
    W[:, 0], b[0] = 0.0, 0.0
    W[:, 1], b[1] = binary.weights[0][:, 0], binary.biases[0][0]
    np.testing.assert_allclose(binary.predict_proba(X), two.predict_proba(X)[:, 1], rtol=1e-12)
    assert np.isclose(binary.loss(X, y), two.loss(X, y), rtol=1e-12)
    np.testing.assert_array_equal(binary.predict(X), two.predict(X))


def test_mse_on_softmax_is_flat_where_the_loss_is_high():
    """C07.8: confidently wrong, cross-entropy has a large gradient and softmax+MSE almost none."""
    X = np.ones((1, 1))
    y = np.array([0])
    grads = {}
    for loss in ("cross_entropy", "mse_softmax"):
        net = nn.MLP([1, 2], loss=loss)
        net.weights[0][:] = [[-10.0, 10.0]]  # class 1 certain, the label says 0
        net.biases[0][:] = 0.0
        loss_value, grad = net.loss_and_grad(X, y)
        grads[loss] = (loss_value, np.linalg.norm(grad))
    assert grads["cross_entropy"][0] > 15 and grads["cross_entropy"][1] > 1
    assert grads["mse_softmax"][0] > 1.9 and grads["mse_softmax"][1] < 1e-6


# --------------------------------------------------------------------------- parameters
def test_layers_are_views_into_one_flat_vector():
    net = nn.MLP([4, 3, 2], batch_norm=True)
    assert net.params.ndim == 1 and net.n_params == 4 * 3 + 3 + 2 * 3 + 3 * 2 + 2 == net.params.size
    for layer in net.layers:
        for view in (layer.W, layer.b, layer.gamma, layer.beta):
            if view is not None:
                assert np.shares_memory(view, net.params)
    assert sum(layer.n_params for layer in net.layers) == net.n_params
    net.params[:] = np.arange(net.n_params)
    np.testing.assert_array_equal(net.weights[0].ravel(), np.arange(12))
    np.testing.assert_array_equal(net.biases[0], [12, 13, 14])
    np.testing.assert_array_equal(net.layers[0].gamma, [15, 16, 17])
    np.testing.assert_array_equal(net.layers[0].beta, [18, 19, 20])
    assert net.layer_slice(-1) == slice(21, 29) and net.layer_slice(0) == slice(0, 21)
    assert net.layers[1].gamma is None and net.layers[0].running_var.tolist() == [1, 1, 1]


def test_set_params_and_assignment_keep_the_views():
    net = nn.MLP([3, 2])
    W = net.weights[0]
    net.set_params(np.ones(net.n_params))
    assert np.all(W == 1)
    net.params = np.full(net.n_params, 2.0)
    assert np.all(W == 2) and np.shares_memory(W, net.params)
    with pytest.raises(ValueError, match="vector has shape \\(3,\\) but net.params has shape \\(8,\\)"):
        net.set_params(np.zeros(3))


def test_optimizer_step_on_params_trains_the_digits():
    split = data.digits_split(seed=0)
    net = nn.MLP([64, 32, 10], seed=0)
    grad = np.empty_like(net.params)
    velocity = np.zeros_like(net.params)
    before = net.loss(split.X_train, split.y_train)
    for _epoch, Xb, yb in data.epochs(split.X_train, split.y_train, 32, n_epochs=5, seed=0):
        net.loss_and_grad(Xb, yb, out=grad)
        velocity *= 0.9
        velocity += grad
        net.params -= 0.02 * velocity  # in place: the layers see it
    assert net.loss(split.X_train, split.y_train) < 0.1 * before
    assert net.accuracy(split.X_val, split.y_val) > 0.93


def test_params_argument_evaluates_elsewhere_and_restores():
    net = nn.MLP([3, 4, 2], seed=1)
    X, y = problem("cross_entropy", 2, features=3)
    saved = net.params.copy()
    other = nn.MLP([3, 4, 2], seed=9)
    loss, grad = net.loss_and_grad(X, y, params=other.params)
    np.testing.assert_array_equal(net.params, saved)
    expected_loss, expected_grad = other.loss_and_grad(X, y)
    assert loss == expected_loss
    np.testing.assert_array_equal(grad, expected_grad)
    assert net.loss(X, y, params=other.params) == expected_loss
    with pytest.raises(ValueError, match="params has shape"):
        net.loss(X, y, params=np.zeros(2))
    np.testing.assert_array_equal(net.params, saved)


def test_out_argument_is_filled_and_returned():
    net = nn.MLP([3, 4, 2], dtype=np.float32)
    X, y = problem("cross_entropy", 2, features=3)
    out = np.empty_like(net.params)
    _, grad = net.loss_and_grad(X, y, out=out)
    assert grad is out
    np.testing.assert_array_equal(out, net.loss_and_grad(X, y)[1])
    with pytest.raises(ValueError, match="out has shape"):
        net.loss_and_grad(X, y, out=np.empty(3, np.float32))
    with pytest.raises(ValueError, match="out must have dtype float32"):
        net.loss_and_grad(X, y, out=np.empty(net.n_params))


def test_float32_stays_float32():
    net = nn.MLP([64, 16, 10], dtype=np.float32, dropout=0.2, batch_norm=True)
    X, y = data.load_digits()
    X = X[:50]
    y = y[:50]
    loss, grad = net.loss_and_grad(X, y)  # float64 inputs are cast
    assert net.params.dtype == grad.dtype == np.float32 and isinstance(loss, float)
    assert net.forward(X).dtype == net.predict_proba(X).dtype == np.float32
    assert all(layer.W.dtype == np.float32 for layer in net.layers)
    assert net.layers[0].running_mean.dtype == np.float32


# --------------------------------------------------------------------------- initialisation
@pytest.mark.parametrize(
    "init, expected_std",
    [
        ("he", np.sqrt(2 / 400)),
        ("xavier", np.sqrt(2 / 700)),
        ("normal", 0.5),
        ("uniform", 0.5 / np.sqrt(3)),
        ("torch", 0.5 / np.sqrt(400) / np.sqrt(3)),
        ("zeros", 0.0),
    ],
)
def test_weight_initialisation_scales(init, expected_std):
    net = nn.MLP([400, 300, 2], init=init, init_scale=1.0 if init in ("he", "xavier") else 0.5, seed=0)
    W = net.weights[0]
    assert abs(W.std() - expected_std) <= 0.02 * expected_std + 1e-12
    assert abs(W.mean()) < 0.05 * expected_std + 1e-12
    if init == "torch":  # torch draws its biases too, from the same range
        assert net.biases[0].std() > 0 and np.abs(net.biases[0]).max() <= 0.5 / 20
    else:
        assert np.all(net.biases[0] == 0)
    if init == "uniform":
        assert np.abs(W).max() <= 0.5


def test_bias_init_and_seeds():
    net = nn.MLP([50, 40, 3], bias_init="like_weights", seed=0)
    assert net.biases[0].std() > 0.05
    assert np.array_equal(nn.MLP([5, 4, 3], seed=1).params, nn.MLP([5, 4, 3], seed=1).params)
    assert not np.array_equal(nn.MLP([5, 4, 3], seed=1).params, nn.MLP([5, 4, 3], seed=2).params)
    gain = nn.MLP([400, 300, 2], init="he", init_scale=2.0).weights[0].std()
    assert abs(gain - 2 * np.sqrt(2 / 400)) < 0.02 * gain


def test_deep_plain_network_is_constructible_and_runs():
    sizes = [64] + [32] * 20 + [10]
    net = nn.MLP(sizes, seed=0)
    assert len(net.layers) == 21 and net.layers[-1].activation == "linear"
    X, y = data.load_digits()
    loss, grad = net.loss_and_grad(X[:64], y[:64])
    assert np.isfinite(loss) and np.all(np.isfinite(grad)) and grad.shape == net.params.shape
    assert "64-32-32" in repr(net) and "21" not in repr(net).split(",")[0][:6]


# --------------------------------------------------------------------------- modes
def test_dropout_is_inverted_and_off_in_evaluation():
    net = nn.MLP([20, 2000, 2], activation="linear", dropout=0.25, seed=0)
    X = np.random.default_rng(0).standard_normal((3, 20))
    net.forward(X)  # fills the internal buffers in training mode
    buffers = net._cache[(3, True)]
    mask = buffers[0].mask
    kept = mask > 0
    assert abs(kept.mean() - 0.75) < 0.02
    np.testing.assert_allclose(mask[kept], 1 / 0.75)
    hidden_out, hidden_act = buffers[0].out, buffers[0].a
    np.testing.assert_allclose(hidden_out, hidden_act * mask)
    first, second = net.forward(X), net.forward(X)
    assert not np.allclose(first, second)  # a fresh mask every pass
    net.eval()
    np.testing.assert_array_equal(net.forward(X), net.forward(X))
    assert net.training is False and net.train().training is True
    net.train()
    np.testing.assert_allclose(net.predict_proba(X), nn.softmax(net.forward(X, training=False)))


def test_dropout_keeps_the_mean_activation():
    net = nn.MLP([10, 1000, 1], activation="relu", loss="mse", dropout=0.5, seed=1)
    net.weights[1][:] = 1.0 / 1000
    X = np.abs(np.random.default_rng(0).standard_normal((200, 10)))
    trained = net.forward(X, training=True)
    evaluated = net.forward(X, training=False)
    assert abs(trained.mean() / evaluated.mean() - 1) < 0.02


def test_batch_norm_normalises_and_tracks_running_statistics_like_torch():
    rng = np.random.default_rng(0)
    X = 3.0 + 2.0 * rng.standard_normal((64, 5))
    net = nn.MLP([5, 4, 2], activation="linear", batch_norm=True, seed=0)
    layer = net.layers[0]
    net.forward(X)
    z = X @ layer.W + layer.b
    normalised = net._cache[(64, True)][0].a
    np.testing.assert_allclose(normalised.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(normalised.std(axis=0), 1, atol=1e-4)
    # torch's update: running = 0.9 running + 0.1 batch, with the unbiased batch variance
    np.testing.assert_allclose(layer.running_mean, 0.1 * z.mean(axis=0))
    np.testing.assert_allclose(layer.running_var, 0.9 + 0.1 * z.var(axis=0, ddof=1))
    for _ in range(200):
        net.forward(X)
    np.testing.assert_allclose(layer.running_mean, z.mean(axis=0), rtol=1e-6)
    evaluated = net.forward(X, training=False)
    trained = net.forward(X, training=True)
    np.testing.assert_allclose(evaluated, trained, rtol=1e-2, atol=1e-2)
    before = layer.running_mean.copy()
    net.predict(X)  # evaluation mode: the running statistics stay put
    np.testing.assert_array_equal(layer.running_mean, before)
    single = nn.MLP([5, 4, 2], batch_norm=True)
    assert np.all(np.isfinite(single.forward(X[:1])))  # a batch of one does not divide by zero


def test_predict_proba_accuracy_and_regression_outputs():
    X, y = data.blobs(200, centers=[[-5.0, 0.0], [5.0, 0.0]], spread=0.5, seed=0)
    net = nn.MLP([2, 2], seed=0)
    net.weights[0][:] = [[-1.0, 1.0], [0.0, 0.0]]
    net.biases[0][:] = 0.0
    proba = net.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    np.testing.assert_array_equal(net.predict(X), y)
    assert net.accuracy(X, y) == 1.0 and net.accuracy(X, data.one_hot(y)) == 1.0
    assert net.is_classifier
    reg = nn.MLP([1, 8, 1], loss="mse", seed=0)
    Xr, _ = data.sine_regression(5)
    assert reg.predict(Xr).shape == (5,) and not reg.is_classifier
    np.testing.assert_allclose(reg.predict(Xr), reg.forward(Xr, training=False)[:, 0])
    with pytest.raises(ValueError, match="predict_proba needs a classifier"):
        reg.predict_proba(Xr)
    with pytest.raises(ValueError, match="accuracy needs a classifier"):
        reg.accuracy(Xr, np.zeros(5))
    with pytest.raises(ValueError, match="y must have one label per row of X"):
        net.accuracy(X, y[:3])
    binary = nn.MLP([2, 1], loss="binary_cross_entropy")
    assert binary.predict_proba(X).shape == (200,) and set(binary.predict(X)) <= {0, 1}


# --------------------------------------------------------------------------- copies, fine-tuning
def test_copy_is_independent_and_identical():
    net = nn.MLP([4, 5, 3], dropout=0.3, batch_norm=True, seed=0)
    X, y = problem("cross_entropy", 3, features=4)
    net.loss(X, y)
    twin = net.copy()
    assert twin.layers[0].W is not net.layers[0].W and np.shares_memory(twin.layers[0].W, twin.params)
    assert twin.loss(X, y) == net.loss(X, y)  # same params, statistics and dropout stream
    twin.params[:] = 0
    assert np.any(net.params != 0)
    np.testing.assert_array_equal(twin.layers[0].running_var, net.layers[0].running_var)
    assert repr(twin) == repr(net)


def test_new_head_and_load_layers_for_fine_tuning():
    base = nn.MLP([6, 5, 4, 3], batch_norm=True, seed=0)
    base.forward(np.random.default_rng(0).standard_normal((8, 6)))
    head = base.new_head(n_outputs=2, seed=7)
    assert head.sizes == [6, 5, 4, 2]
    for i in (0, 1):
        np.testing.assert_array_equal(head.params[head.layer_slice(i)], base.params[base.layer_slice(i)])
        np.testing.assert_array_equal(head.layers[i].running_mean, base.layers[i].running_mean)
    fresh = nn.MLP([6, 5, 4, 2], batch_norm=True, seed=7)
    np.testing.assert_array_equal(head.weights[-1], fresh.weights[-1])
    same = base.new_head(loss="mse_softmax")
    assert same.sizes == base.sizes and same.loss_name == "mse_softmax"
    scratch = nn.MLP([6, 5, 4, 3], batch_norm=True, seed=3)
    scratch.load_layers(base, layers=[0])
    np.testing.assert_array_equal(scratch.weights[0], base.weights[0])
    assert not np.array_equal(scratch.weights[1], base.weights[1])
    with pytest.raises(ValueError, match="layer 1 has shape"):
        nn.MLP([6, 5, 7, 3], batch_norm=True).load_layers(base)
    with pytest.raises(ValueError, match="other must be an MLP"):
        scratch.load_layers("weights")
    with pytest.raises(ValueError, match="layer index must be an integer in \\[-3, 2\\]"):
        scratch.layer_slice(3)


def test_helpers_and_repr():
    z = np.array([[1000.0, 1000.0], [0.0, np.log(3.0)]])
    np.testing.assert_allclose(nn.softmax(z), [[0.5, 0.5], [0.25, 0.75]])
    np.testing.assert_allclose(nn.sigmoid([-1000.0, 0.0, 1000.0]), [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(nn.relu(np.array([-1.0, 2.0])), [0.0, 2.0])
    text = repr(nn.MLP([64, 32, 10], dropout=0.1, batch_norm=True, l2=0.01))
    assert text == "MLP(64-32-10, relu, cross_entropy, float64, 2,474 params, dropout=0.1, batch_norm, l2=0.01)"
    assert repr(nn.MLP([3, 1], loss="mse")) == "MLP(3-1, -, mse, float64, 4 params)"


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(sizes=[3]), "sizes must be a list of at least two layer widths"),
        (dict(sizes=5), "sizes must be a list"),
        (dict(sizes=[3, 0, 2]), "sizes\\[1\\] must be an integer >= 1"),
        (dict(activation="elu"), "activation must be one of 'relu', 'tanh', 'sigmoid', 'linear'"),
        (dict(activation=["relu", "cosine"]), "activation\\[1\\] must be one of"),
        (dict(activation=["relu"]), "activation must be one value or one per hidden layer \\(2\\)"),
        (dict(loss="hinge"), "loss must be one of"),
        (dict(init="orthogonal"), "init must be one of"),
        (dict(init_scale=-1), "init_scale must be a number >= 0"),
        (dict(bias_init="ones"), "bias_init must be one of"),
        (dict(dropout=1.0), "dropout must be a number in \\[0, 1\\)"),
        (dict(dropout=[0.1, 1.5]), "dropout\\[1\\] must be a number in \\[0, 1\\)"),
        (dict(dtype=np.float16), "dtype must be one of"),
        (dict(dtype="bogus"), "dtype must be one of"),
        (dict(seed=-3), "seed must be an integer >= 0"),
        (dict(batch_norm="yes"), "batch_norm must be True or False"),
        (dict(bn_momentum=2), "bn_momentum must be a number in \\[0, 1\\]"),
        (dict(bn_eps=0), "bn_eps must be a number > 0"),
        (dict(l2=-0.1), "l2 must be a number >= 0"),
        (dict(loss="binary_cross_entropy"), "needs sizes\\[-1\\] == 1 output"),
        (dict(sizes=[3, 1]), "loss 'cross_entropy' needs sizes\\[-1\\] >= 2"),
    ],
)
def test_constructor_rejects_bad_arguments(kwargs, message):
    kwargs = {"sizes": [3, 4, 4, 2], **kwargs}
    with pytest.raises(ValueError, match=message):
        nn.MLP(**kwargs)


def test_bad_data_is_rejected():
    net = nn.MLP([3, 4, 2])
    X = np.zeros((5, 3))
    with pytest.raises(ValueError, match="X must have shape \\(n, 3\\) with n >= 1, got \\(5, 4\\)"):
        net.loss(np.zeros((5, 4)), np.zeros(5, int))
    with pytest.raises(ValueError, match="X must have shape"):
        net.predict(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="y must hold class labels in 0..1, got values in 0..2"):
        net.loss_and_grad(X, np.array([0, 1, 2, 0, 1]))
    with pytest.raises(ValueError, match="y must have one entry per row of X \\(5\\)"):
        net.loss(X, np.zeros(4, int))
    with pytest.raises(ValueError, match="y must be integer labels \\(n,\\) or targets of shape \\(5, 2\\)"):
        net.loss(X, np.zeros((5, 3)))
    binary = nn.MLP([3, 1], loss="binary_cross_entropy")
    with pytest.raises(ValueError, match="y must hold labels 0/1"):
        binary.loss(X, np.array([0, 1, 2, 0, 1]))


def test_work_buffers_are_kept_for_a_few_batch_sizes():
    net = nn.MLP([3, 4, 2])
    X, y = problem("cross_entropy", 2, n=12, features=3)
    expected = {n: net.loss_and_grad(X[:n], y[:n]) for n in range(2, 8)}
    assert len(net._cache) <= 4
    for n, (loss, grad) in expected.items():  # results do not depend on what was cached
        again = net.loss_and_grad(X[:n], y[:n])
        assert again[0] == loss
        np.testing.assert_array_equal(again[1], grad)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_is_stable_for_scores_far_apart(dtype):
    """Rows whose scores differ by thousands neither overflow nor underflow."""
    net = nn.MLP([1, 3], dtype=dtype)
    net.weights[0][:] = [[1000.0, 0.0, 1.0]]
    net.biases[0][:] = 0.0
    X = np.array([[1.0], [-1.0], [0.0]])
    y = np.array([0, 2, 1])
    # scores: [1000, 0, 1], [-1000, 0, -1], [0, 0, 0]
    expected = np.mean(
        [np.log1p(np.exp(-1000) + np.exp(-999)), 1 + np.log(np.exp(-1000) + 1 + np.exp(-1)), np.log(3.0)]
    )
    loss, grad = net.loss_and_grad(X, y)
    assert loss == pytest.approx(expected, rel=1e-6) and np.all(np.isfinite(grad))
    np.testing.assert_allclose(net.predict_proba(X).sum(axis=1), 1, rtol=1e-6)


def test_loss_without_penalty_is_the_data_loss():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 4))
    y = rng.integers(0, 3, size=20)
    with_l2 = nn.MLP([4, 8, 3], seed=3, l2=0.5)
    plain = nn.MLP([4, 8, 3], seed=3)
    assert with_l2.loss(X, y, penalty=False) == pytest.approx(plain.loss(X, y), rel=1e-12)
    assert with_l2.loss(X, y) > plain.loss(X, y) + 0.01
