r"""A tiny multi-layer perceptron in numpy whose parameters are ONE flat vector.

Every layer's weights ``W`` (shape ``(n_in, n_out)``) and bias ``b`` (and, with batch norm,
its scale ``γ`` and shift ``β``) are *views* into ``net.params``, so any optimizer that updates
a flat array trains the network::

    net = MLP([64, 32, 10])
    loss, grad = net.loss_and_grad(X, y)       # grad has the shape of net.params
    opt.step(net.params, grad)                 # updates every layer in place

Forward pass of layer ``l`` (input ``a⁰ = x``, one sample per row)

.. math::

    z^l = a^{l-1} W^l + b^l, \qquad
    \hat z^l = \gamma^l \odot \frac{z^l - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta^l \ \text{(batch norm)}, \qquad
    a^l = m^l \odot f(\hat z^l) \ \text{(dropout mask } m^l\text{)}

and the last layer outputs the scores ``z^L`` (logits) without activation. Losses, averaged
over the ``N`` samples of a batch:

* ``"cross_entropy"``: ``p = softmax(z)``, ``L = −(1/N) Σ_n log p_{n, y_n}`` (integer labels, or
  rows of class probabilities); ``∂L/∂z = (p − onehot(y)) / N``.
* ``"mse"``: ``L = (1/N) Σ_n Σ_k (z_{nk} − t_{nk})²`` on the raw outputs (real targets; integer
  labels become one-hot rows). Note: the sum runs over the outputs as in the lecture, whereas
  ``torch.nn.MSELoss()`` also divides by the number of outputs ``K``.
* ``"mse_softmax"``: the same with ``p = softmax(z)`` in place of ``z`` (the lecture's softmax +
  MSE, whose error surface is flat where the loss is large, C07.8).
* ``"binary_cross_entropy"``: one output, ``p = σ(z)``, ``L = −(1/N) Σ [y log p + (1−y) log(1−p)]``.

Plus ``(l2/2) Σ_l ‖W^l‖²`` when ``l2 > 0`` (weights only, not biases).

Back-propagation applies the chain rule layer by layer from ``∂L/∂z^L`` down::

    ∂L/∂W = aᵀ δ,   ∂L/∂b = Σ_n δ,   ∂L/∂a(previous) = δ Wᵀ,   δ = ∂L/∂z

Modes: a new network is in training mode (``net.training is True``: dropout active, batch norm
uses the batch statistics and updates its running averages), like ``torch.nn.Module``.
``net.eval()`` / ``net.train()`` switch; ``predict``, ``predict_proba`` and ``accuracy`` always
run in evaluation mode. Dropout is *inverted*: kept units are scaled by ``1/(1−p)`` at training
time, so evaluation needs no rescaling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._validate import choice, number, same_shape

__all__ = ["MLP", "Layer", "softmax", "sigmoid", "relu", "ACTIVATIONS", "LOSSES", "INITS"]

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
LOSSES = ("cross_entropy", "mse", "mse_softmax", "binary_cross_entropy")
INITS = ("he", "xavier", "normal", "uniform", "torch", "zeros")
BIAS_INITS = ("zeros", "like_weights")
DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _dtype(value):
    """``value`` as float32 or float64 (ValueError naming ``dtype`` otherwise)."""
    try:
        dtype = np.dtype(value)
    except TypeError:
        dtype = value
    return choice("dtype", dtype, DTYPES)


# --------------------------------------------------------------------------- small functions
def softmax(z, axis=-1):
    """``softmax(z)_k = exp(z_k − max z) / Σ_j exp(z_j − max z)`` (shifted: never overflows)."""
    z = np.asarray(z)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def sigmoid(z):
    """``σ(z) = 1 / (1 + e^{−z}) = (1 + tanh(z/2)) / 2`` (the second form never overflows)."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z)))


def relu(z):
    """``max(z, 0)``."""
    return np.maximum(z, 0)


def _activate(name, z):
    """Apply activation ``name`` to ``z`` in place."""
    if name == "relu":
        np.maximum(z, 0, out=z)
    elif name == "tanh":
        np.tanh(z, out=z)
    elif name == "sigmoid":
        z *= 0.5
        np.tanh(z, out=z)
        z += 1
        z *= 0.5
    return z


def _times_derivative(name, delta, a, scratch):
    """``delta ← delta ⊙ f'(z)``, with f' written through the activation's output ``a = f(z)``:
    relu' = [a > 0], tanh' = 1 − a², sigmoid' = a (1 − a)."""
    if name == "relu":
        positive = np.greater(a, 0, out=scratch)  # scratch is a boolean array for relu
        np.multiply(delta, positive, out=delta)
    elif name == "tanh":
        np.multiply(a, a, out=scratch)
        np.subtract(1, scratch, out=scratch)
        delta *= scratch
    elif name == "sigmoid":
        np.subtract(1, a, out=scratch)
        scratch *= a
        delta *= scratch
    return delta


def _shifted_exp(z):
    """``(s, e, Σ_k e)`` with ``s = z − c``, ``e = exp(s)``: the parts of softmax and log-softmax.

    The shift ``c`` keeps ``exp`` from overflowing. Usually ``c`` is the largest score of the
    whole batch (one fast reduction); only when some row would then underflow (its sum of
    exponentials is no longer a full-precision number) is it redone with each row's own maximum.
    """
    shifted = z - z.max()
    e = np.exp(shifted)
    total = e @ np.ones((z.shape[1], 1), z.dtype)  # row sums, as a fast matrix-vector product
    finfo = np.finfo(z.dtype)
    if not total.min() > finfo.tiny / finfo.eps:  # also catches nan
        shifted = z - z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
    return shifted, e, total


# --------------------------------------------------------------------------- layers
@dataclass(eq=False)
class Layer:
    """One dense layer; ``W``, ``b``, ``gamma``, ``beta`` are views into the network's params."""

    index: int
    n_in: int
    n_out: int
    activation: str
    dropout: float
    batch_norm: bool
    span: slice  # where the layer's parameters sit in the flat vector
    W: np.ndarray
    b: np.ndarray
    gamma: np.ndarray | None = None
    beta: np.ndarray | None = None
    running_mean: np.ndarray | None = None
    running_var: np.ndarray | None = None

    @property
    def n_params(self) -> int:
        return self.span.stop - self.span.start

    def views(self, flat):
        """The layer's (W, b, gamma, beta) inside another flat vector (e.g. a gradient)."""
        start = self.span.start
        w_end = start + self.n_in * self.n_out
        W = flat[start:w_end].reshape(self.n_in, self.n_out)
        b = flat[w_end : w_end + self.n_out]
        if not self.batch_norm:
            return W, b, None, None
        g_start = w_end + self.n_out
        return W, b, flat[g_start : g_start + self.n_out], flat[g_start + self.n_out : self.span.stop]


class _Buffers:
    """Work arrays of one layer for one batch size (reused across calls: no allocation)."""

    __slots__ = ("a", "out", "mask", "zhat", "inv_std", "delta", "scratch", "bn_scratch", "ones", "input")

    def __init__(self, n, layer, dtype, training):
        shape = (n, layer.n_out)
        self.a = np.empty(shape, dtype)  # f(z), before dropout
        self.out = self.a  # what the next layer sees
        self.mask = None
        if layer.dropout > 0 and training:
            self.mask = np.empty(shape, dtype)
            self.out = np.empty(shape, dtype)
        self.zhat = np.empty(shape, dtype) if layer.batch_norm else None
        self.bn_scratch = np.empty(shape, dtype) if layer.batch_norm else None
        self.inv_std = None
        self.delta = np.empty(shape, dtype)  # ∂L/∂(this layer's output)
        self.scratch = np.empty(shape, np.bool_ if layer.activation == "relu" else dtype)
        self.ones = np.ones(n, dtype)
        self.input = None


# --------------------------------------------------------------------------- the network
class MLP:
    """A fully connected network ``sizes[0] → sizes[1] → ... → sizes[-1]``.

    Parameters
    ----------
    sizes : list of int
        Layer widths, input first, outputs last (e.g. ``[64, 32, 10]``); any depth
        (``[64] + [32] * 20 + [10]`` is a 21-layer plain network).
    activation : {"relu", "tanh", "sigmoid", "linear"} or one per hidden layer
    dtype : float32 or float64; parameters, activations and gradients all use it.
    seed : int — initial weights, and the dropout masks (``net.rng``).
    loss : {"cross_entropy", "mse", "mse_softmax", "binary_cross_entropy"}
    init : {"he", "xavier", "normal", "uniform", "torch", "zeros"}
        Weight initialisation: He ``N(0, 2/n_in)``; Xavier/Glorot ``N(0, 2/(n_in+n_out))``;
        ``"normal"``: ``N(0, init_scale²)``; ``"uniform"``: ``U(−init_scale, init_scale)``;
        ``"torch"``: torch.nn.Linear's default ``U(±1/√n_in)`` for weights *and* biases;
        ``"zeros"``: all zero (every unit then stays identical: a demonstration of why not).
    init_scale : float — standard deviation for ``"normal"``, half-width for ``"uniform"``,
        a gain multiplying the standard deviation for ``"he"``/``"xavier"``/``"torch"``.
    bias_init : {"zeros", "like_weights"} or None (zeros, except torch's rule for ``"torch"``).
    dropout : float in [0, 1) or one per hidden layer — probability of dropping a hidden unit.
    batch_norm : bool — batch normalisation after every hidden layer's affine map.
    bn_momentum, bn_eps : running-average rate and ε of batch norm (torch's defaults 0.1, 1e-5).
    l2 : float >= 0 — adds ``(l2/2) Σ ‖W‖²`` to the loss.
    """

    def __init__(
        self,
        sizes,
        activation="relu",
        dtype=np.float64,
        seed=0,
        loss="cross_entropy",
        init="he",
        init_scale=1.0,
        bias_init=None,
        dropout=0.0,
        batch_norm=False,
        bn_momentum=0.1,
        bn_eps=1e-5,
        l2=0.0,
    ):
        sizes = list(sizes) if np.ndim(sizes) == 1 else sizes
        if not isinstance(sizes, list) or len(sizes) < 2:
            raise ValueError(f"sizes must be a list of at least two layer widths (inputs, ..., outputs), got {sizes!r}")
        sizes = [number(f"sizes[{i}]", s, low=1, integer=True) for i, s in enumerate(sizes)]
        hidden = len(sizes) - 2
        activations = self._per_hidden("activation", activation, hidden)
        for i, a in enumerate(activations):
            choice(f"activation[{i}]" if not isinstance(activation, str) else "activation", a, ACTIVATIONS)
        dropouts = [
            number(f"dropout[{i}]" if np.ndim(dropout) else "dropout", p, low=0, high=1, high_open=True)
            for i, p in enumerate(self._per_hidden("dropout", dropout, hidden))
        ]
        dtype = _dtype(dtype)
        seed = number("seed", seed, low=0, integer=True)
        choice("loss", loss, LOSSES)
        if loss == "binary_cross_entropy" and sizes[-1] != 1:
            raise ValueError(f"loss 'binary_cross_entropy' needs sizes[-1] == 1 output, got {sizes[-1]}")
        if loss in ("cross_entropy", "mse_softmax") and sizes[-1] < 2:
            raise ValueError(f"loss {loss!r} needs sizes[-1] >= 2 outputs (classes), got {sizes[-1]}")
        choice("init", init, INITS)
        init_scale = number("init_scale", init_scale, low=0)
        if bias_init is None:
            bias_init = "like_weights" if init == "torch" else "zeros"
        choice("bias_init", bias_init, BIAS_INITS)
        if not isinstance(batch_norm, (bool, np.bool_)):
            raise ValueError(f"batch_norm must be True or False, got {batch_norm!r}")
        bn_momentum = number("bn_momentum", bn_momentum, low=0, high=1)
        bn_eps = number("bn_eps", bn_eps, low=0, low_open=True)
        l2 = number("l2", l2, low=0)

        self.sizes = sizes
        self.dtype = dtype
        self.loss_name = loss
        self.l2 = l2
        self.bn_momentum = bn_momentum
        self.bn_eps = bn_eps
        self.training = True
        self._config = dict(
            activation=activation,
            dtype=dtype,
            loss=loss,
            init=init,
            init_scale=init_scale,
            bias_init=bias_init,
            dropout=dropout,
            batch_norm=bool(batch_norm),
            bn_momentum=bn_momentum,
            bn_eps=bn_eps,
            l2=l2,
        )
        self._spec = [
            (
                activations[i] if i < hidden else "linear",
                dropouts[i] if i < hidden else 0.0,
                bool(batch_norm) and i < hidden,
            )
            for i in range(len(sizes) - 1)
        ]
        n_params = sum(
            n_in * n_out + n_out + (2 * n_out if bn else 0)
            for (n_in, n_out), (_, _, bn) in zip(zip(sizes[:-1], sizes[1:]), self._spec)
        )
        self._params = np.zeros(n_params, dtype=dtype)
        self._build_layers()
        init_rng = np.random.default_rng(seed)
        self.rng = np.random.default_rng([seed, 1])  # dropout masks: a stream of its own
        for layer in self.layers:
            self._init_layer(layer, init_rng)
        self._cache = {}

    # ----------------------------------------------------------------------- construction
    @staticmethod
    def _per_hidden(name, value, hidden):
        if isinstance(value, str) or np.ndim(value) == 0:
            return [value] * hidden
        value = list(value)
        if len(value) != hidden:
            raise ValueError(f"{name} must be one value or one per hidden layer ({hidden}), got {len(value)} values")
        return value

    def _build_layers(self):
        self.layers = []
        start = 0
        for i, ((n_in, n_out), (act, p, bn)) in enumerate(zip(zip(self.sizes[:-1], self.sizes[1:]), self._spec)):
            stop = start + n_in * n_out + n_out + (2 * n_out if bn else 0)
            layer = Layer(i, n_in, n_out, act, p, bn, slice(start, stop), None, None)
            layer.W, layer.b, layer.gamma, layer.beta = layer.views(self._params)
            if bn:
                layer.running_mean = np.zeros(n_out, self.dtype)
                layer.running_var = np.ones(n_out, self.dtype)
            self.layers.append(layer)
            start = stop

    def _init_layer(self, layer, rng):
        cfg = self._config
        fan_in, fan_out = layer.n_in, layer.n_out
        kind, scale = cfg["init"], cfg["init_scale"]
        if kind in ("he", "xavier", "normal"):
            std = {"he": math.sqrt(2.0 / fan_in), "xavier": math.sqrt(2.0 / (fan_in + fan_out)), "normal": 1.0}[
                kind
            ] * scale

            def draw(shape):
                return std * rng.standard_normal(shape)
        elif kind in ("uniform", "torch"):
            bound = scale / math.sqrt(fan_in) if kind == "torch" else scale

            def draw(shape):
                return rng.uniform(-bound, bound, shape)
        else:  # zeros

            def draw(shape):
                return np.zeros(shape)

        layer.W[...] = draw(layer.W.shape)
        layer.b[...] = draw(layer.b.shape) if cfg["bias_init"] == "like_weights" else 0.0
        if layer.batch_norm:
            layer.gamma[...] = 1.0
            layer.beta[...] = 0.0

    # ----------------------------------------------------------------------- parameters
    @property
    def params(self) -> np.ndarray:
        """The flat parameter vector (every layer's W, b, γ, β are views into it)."""
        return self._params

    @params.setter
    def params(self, value):
        self.set_params(value)

    @property
    def n_params(self) -> int:
        return self._params.size

    @property
    def weights(self):
        return [layer.W for layer in self.layers]

    @property
    def biases(self):
        return [layer.b for layer in self.layers]

    def set_params(self, vector) -> MLP:
        """Copy ``vector`` into ``net.params`` (in place: the layer views stay valid)."""
        vector = np.asarray(vector)
        same_shape("net.params", self._params, "vector", vector)
        np.copyto(self._params, vector, casting="same_kind")
        return self

    def layer_slice(self, index: int) -> slice:
        """Where layer ``index`` (negative counts from the end) sits in the flat vector, e.g. to
        freeze it: ``grad[net.layer_slice(0)] = 0``."""
        return self.layers[self._layer_index(index)].span

    def _layer_index(self, index):
        n = len(self.layers)
        index = number("layer index", index, low=-n, high=n - 1, integer=True)
        return index % n

    def copy(self) -> MLP:
        """An independent copy (parameters, running statistics, mode and dropout stream)."""
        twin = object.__new__(MLP)
        twin.__dict__.update(
            {
                k: v
                for k, v in self.__dict__.items()
                if k not in ("_params", "layers", "rng", "_cache", "sizes", "_spec")
            }
        )
        twin.sizes, twin._spec, twin._config = list(self.sizes), list(self._spec), dict(self._config)
        twin._params = self._params.copy()
        twin._build_layers()
        for mine, theirs in zip(twin.layers, self.layers):
            if mine.batch_norm:
                mine.running_mean[...] = theirs.running_mean
                mine.running_var[...] = theirs.running_var
        twin.rng = np.random.default_rng()
        twin.rng.bit_generator.state = self.rng.bit_generator.state
        twin._cache = {}
        return twin

    def load_layers(self, other: MLP, layers=None) -> MLP:
        """Copy the parameters (and batch-norm statistics) of ``layers`` from ``other``.

        ``layers`` defaults to every layer but the last: with ``other`` a pre-trained network
        this fine-tunes a new output head (C07.5). The copied layers must have equal shapes.
        """
        if not isinstance(other, MLP):
            raise ValueError(f"other must be an MLP, got {type(other).__name__}")
        if layers is None:
            layers = range(len(self.layers) - 1)
        for index in layers:
            mine = self.layers[self._layer_index(index)]
            theirs = other.layers[other._layer_index(index)]
            if (mine.n_in, mine.n_out, mine.batch_norm) != (theirs.n_in, theirs.n_out, theirs.batch_norm):
                raise ValueError(
                    f"layer {index} has shape {(mine.n_in, mine.n_out)} "
                    f"(batch_norm={mine.batch_norm}) here but {(theirs.n_in, theirs.n_out)} "
                    f"(batch_norm={theirs.batch_norm}) in other; they must match"
                )
            self._params[mine.span] = other._params[theirs.span]
            if mine.batch_norm:
                mine.running_mean[...] = theirs.running_mean
                mine.running_var[...] = theirs.running_var
        return self

    def new_head(self, n_outputs: int | None = None, seed: int = 0, loss: str | None = None) -> MLP:
        """A new network with this one's hidden layers (copied) and a freshly initialised output
        layer of ``n_outputs`` units (default: as many as now) — for fine-tuning (C07.5)."""
        n_outputs = self.sizes[-1] if n_outputs is None else n_outputs
        cfg = dict(self._config)
        if loss is not None:
            cfg["loss"] = loss
        head = MLP(self.sizes[:-1] + [n_outputs], seed=seed, **cfg)
        return head.load_layers(self)

    # ----------------------------------------------------------------------- modes
    def train(self) -> MLP:
        """Training mode: dropout on, batch norm uses (and records) batch statistics."""
        self.training = True
        return self

    def eval(self) -> MLP:
        """Evaluation mode: dropout off, batch norm uses its running statistics."""
        self.training = False
        return self

    @property
    def is_classifier(self) -> bool:
        return self.loss_name != "mse" or self.sizes[-1] > 1

    def __repr__(self) -> str:
        extras = [f"dropout={self._config['dropout']}"] if any(p for _, p, _ in self._spec) else []
        extras += ["batch_norm"] if self._config["batch_norm"] else []
        extras += [f"l2={self.l2}"] if self.l2 else []
        acts = sorted({a for a, _, _ in self._spec[:-1]}) or ["-"]
        return (
            f"MLP({'-'.join(map(str, self.sizes))}, {'/'.join(acts)}, {self.loss_name}, "
            f"{self.dtype.name}, {self.n_params:,} params{''.join(', ' + e for e in extras)})"
        )

    # ----------------------------------------------------------------------- forward
    def _inputs(self, X):
        X = np.asarray(X)
        if X.dtype.kind not in "biuf":
            raise ValueError(f"X must hold numbers, got an array of dtype {X.dtype}")
        if X.ndim != 2 or X.shape[1] != self.sizes[0] or X.shape[0] == 0:
            raise ValueError(f"X must have shape (n, {self.sizes[0]}) with n >= 1, got {X.shape}")
        return X.astype(self.dtype, copy=False)

    def _buffers(self, n, training):
        key = (n, training)
        buffers = self._cache.get(key)
        if buffers is None:
            if len(self._cache) >= 4:  # keep a few batch sizes (train batch, full batch, val ...)
                self._cache.pop(next(iter(self._cache)))
            buffers = [_Buffers(n, layer, self.dtype, training) for layer in self.layers]
            self._cache[key] = buffers
        return buffers

    def _forward(self, X, training):
        """Run the layers; returns the output scores ``z^L`` (an internal buffer)."""
        buffers = self._buffers(len(X), training)
        a = X
        for layer, buf in zip(self.layers, buffers):
            buf.input = a
            z = np.matmul(a, layer.W, out=buf.a)
            z += layer.b
            if layer.batch_norm:
                self._batch_norm(layer, buf, z, training)
            _activate(layer.activation, z)
            if buf.mask is not None:
                self._dropout_mask(layer.dropout, buf.mask)
                np.multiply(z, buf.mask, out=buf.out)
            a = buf.out
        return a

    def _dropout_mask(self, p, mask):
        """``mask ← keep / (1 − p)`` with ``keep ~ Bernoulli(1 − p)`` drawn from ``net.rng``.

        Uses raw 32-bit random integers (``u ≥ p·2³²`` keeps a unit): twice as fast as
        ``rng.random`` and exact to 2⁻³².
        """
        bits = self.rng.bit_generator.random_raw((mask.size + 1) // 2).view(np.uint32)[: mask.size]
        keep = np.greater_equal(bits, min(round(p * 2.0**32), 2**32 - 1)).reshape(mask.shape)
        np.multiply(keep, 1.0 / (1.0 - p), out=mask)

    def _batch_norm(self, layer, buf, z, training):
        """``z ← γ (z − μ)/√(σ² + ε) + β`` in place; keeps ẑ and 1/√(σ² + ε) for backward."""
        if training:
            mean = z.mean(axis=0)
            np.subtract(z, mean, out=buf.zhat)
            var = np.einsum("ij,ij->j", buf.zhat, buf.zhat) / len(z)
            m, n = self.bn_momentum, len(z)
            layer.running_mean *= 1 - m
            layer.running_mean += m * mean
            layer.running_var *= 1 - m
            layer.running_var += m * var * (n / (n - 1) if n > 1 else 1.0)  # unbiased, as torch
        else:
            var = layer.running_var
            np.subtract(z, layer.running_mean, out=buf.zhat)
        buf.inv_std = (1.0 / np.sqrt(var + self.bn_eps)).astype(self.dtype, copy=False)
        buf.zhat *= buf.inv_std
        np.multiply(buf.zhat, layer.gamma, out=z)
        z += layer.beta

    def _mode(self, training):
        return self.training if training is None else bool(training)

    def forward(self, X, training=None) -> np.ndarray:
        """The output scores ``z^L`` (logits; the prediction itself for ``"mse"``), shape (n, K)."""
        return self._forward(self._inputs(X), self._mode(training)).copy()

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (evaluation mode): softmax rows (n, K), or σ(z) (n,) for one output."""
        if not self.is_classifier:
            raise ValueError(
                "predict_proba needs a classifier; this network is a regression "
                "(loss 'mse' with one output): use forward or predict"
            )
        z = self._forward(self._inputs(X), False)
        return sigmoid(z[:, 0]) if self.loss_name == "binary_cross_entropy" else softmax(z)

    def predict(self, X) -> np.ndarray:
        """Class labels (evaluation mode); for a one-output ``"mse"`` network the outputs (n,)."""
        z = self._forward(self._inputs(X), False)
        if self.loss_name == "binary_cross_entropy":
            return (z[:, 0] > 0).astype(np.int64)
        if not self.is_classifier:
            return z[:, 0].copy()
        return z.argmax(axis=1)

    def accuracy(self, X, y) -> float:
        """Fraction of correctly predicted labels (evaluation mode); ``y`` labels or one-hot rows."""
        if not self.is_classifier:
            raise ValueError("accuracy needs a classifier; this network is a regression (loss 'mse' with one output)")
        y = np.asarray(y)
        if y.ndim == 2:
            y = y.argmax(axis=1)
        predicted = self.predict(X)
        if y.shape != predicted.shape:
            raise ValueError(f"y must have one label per row of X ({len(predicted)}), got shape {y.shape}")
        return float(np.mean(predicted == y))

    # ----------------------------------------------------------------------- loss
    def _targets(self, y, n):
        """Check ``y`` against the loss; returns labels (int, (n,)) or targets (float, (n, K))."""
        y = np.asarray(y)
        K = self.sizes[-1]
        if y.dtype.kind not in "biuf":
            raise ValueError(f"y must hold class labels or numeric targets, got an array of dtype {y.dtype}")
        if y.shape[:1] != (n,):
            raise ValueError(f"y must have one entry per row of X ({n}), got shape {y.shape}")
        integer = np.issubdtype(y.dtype, np.integer)
        if self.loss_name == "binary_cross_entropy":
            y = y.reshape(n, -1)
            if y.shape[1] != 1 or (y.size and (y.min() < 0 or y.max() > 1)):
                raise ValueError(
                    f"y must hold labels 0/1 (or probabilities in [0, 1]), one per row, "
                    f"got shape {np.shape(y)} with values in {y.min()}..{y.max()}"
                )
            return y.astype(self.dtype, copy=False)
        if integer and y.ndim == 1 and (self.loss_name != "mse" or K > 1):
            if y.min() < 0 or y.max() >= K:
                raise ValueError(
                    f"y must hold class labels in 0..{K - 1}, got values in {int(y.min())}..{int(y.max())}"
                )
            if self.loss_name == "cross_entropy":
                return y
            onehot = np.zeros((n, K), self.dtype)
            onehot[np.arange(n), y] = 1
            return onehot
        if y.ndim == 1 and K == 1:
            y = y[:, None]
        if y.shape != (n, K):
            raise ValueError(f"y must be integer labels (n,) or targets of shape ({n}, {K}), got {y.shape}")
        return y.astype(self.dtype, copy=False)

    def _loss_head(self, z, t, want_grad, penalty=True):
        """Loss of output scores ``z`` (n, K) against targets ``t`` (plus the L2 penalty), and ∂L/∂z if wanted."""
        n = len(z)
        name = self.loss_name
        dz = None
        if name == "binary_cross_entropy":
            # softplus(z) − t z = max(z, 0) − t z + log(1 + e^{−|z|}), stable for any z
            loss = float(np.mean(np.maximum(z, 0) - t * z + np.log1p(np.exp(-np.abs(z)))))
            if want_grad:
                dz = (sigmoid(z) - t) / n
        elif name == "mse":
            diff = z - t
            loss = float(np.einsum("ij,ij->", diff, diff)) / n
            if want_grad:
                diff *= 2.0 / n
                dz = diff
        else:
            shifted, e, total = _shifted_exp(z)
            if name == "cross_entropy":
                if t.ndim == 1:  # labels: −log p_y = log Σ e − shifted_y
                    loss = float(np.add.reduce(np.log(total[:, 0]) - shifted[np.arange(n), t])) / n
                else:  # probability rows: −Σ_k t_k log p_k
                    loss = float(-np.einsum("ij,ij->", t, shifted - np.log(total))) / n
                if want_grad:
                    e /= total
                    if t.ndim == 1:
                        e[np.arange(n), t] -= 1
                    else:
                        e *= t.sum(axis=1, keepdims=True)  # ∂/∂z = p Σ_k t_k − t
                        e -= t
                    e /= n
                    dz = e
            else:  # mse_softmax: L = (1/n) Σ (p − t)², ∂L/∂z = p ⊙ (g − Σ_k p_k g_k), g = 2(p − t)/n
                p = e / total
                diff = p - t
                loss = float(np.einsum("ij,ij->", diff, diff)) / n
                if want_grad:
                    diff *= 2.0 / n
                    dz = p * (diff - np.einsum("ij,ij->i", p, diff)[:, None])
        if self.l2 and penalty:
            loss += 0.5 * self.l2 * sum(float(np.vdot(layer.W, layer.W)) for layer in self.layers)
        return loss, dz

    def loss(self, X, y, training=None, params=None, penalty=True) -> float:
        """The mean loss (forward pass only). ``params``: evaluate at another flat vector.

        ``penalty=False`` leaves out the L2 term ½·l2·Σ‖W‖²: the data loss alone, which is what
        a validation curve should show.
        """
        X = self._inputs(X)
        t = self._targets(y, len(X))
        with _swapped(self, params):
            z = self._forward(X, self._mode(training))
            return self._loss_head(z, t, want_grad=False, penalty=penalty)[0]

    def loss_and_grad(self, X, y, training=None, params=None, out=None):
        """The mean loss and its gradient with respect to ``net.params`` (a flat vector).

        ``training`` defaults to the network's mode; ``params`` evaluates at another flat vector
        (``net.params`` is left unchanged); ``out`` is an array to write the gradient into
        (reused across steps by :func:`course_utils.train.fit`); otherwise a new array.
        """
        X = self._inputs(X)
        t = self._targets(y, len(X))
        if out is None:
            out = np.empty_like(self._params)
        else:
            same_shape("net.params", self._params, "out", out)
            if out.dtype != self.dtype:
                raise ValueError(f"out must have dtype {self.dtype}, got {out.dtype}")
        with _swapped(self, params):
            training = self._mode(training)
            z = self._forward(X, training)
            loss, delta = self._loss_head(z, t, want_grad=True)
            self._backward(delta.astype(self.dtype, copy=False), training, out)
        return loss, out

    # ----------------------------------------------------------------------- backward
    def _backward(self, delta, training, grad):
        """Back-propagate ``delta = ∂L/∂z^L`` through the layers, writing ∂L/∂params into ``grad``."""
        buffers = self._cache[(len(delta), training)]
        for layer, buf in zip(reversed(self.layers), reversed(buffers)):
            gW, gb, ggamma, gbeta = layer.views(grad)
            if layer.index < len(self.layers) - 1:  # hidden layer: delta = ∂L/∂(its output)
                if buf.mask is not None:
                    delta *= buf.mask
                _times_derivative(layer.activation, delta, buf.a, buf.scratch)
                if layer.batch_norm:
                    self._batch_norm_backward(layer, buf, delta, training, ggamma, gbeta)
            np.matmul(buf.input.T, delta, out=gW)
            np.matmul(buf.ones, delta, out=gb)  # Σ_n δ_n, as a fast vector-matrix product
            if self.l2:
                gW += self.l2 * layer.W
            if layer.index > 0:
                below = buffers[layer.index - 1].delta
                delta = np.matmul(delta, layer.W.T, out=below)

    @staticmethod
    def _batch_norm_backward(layer, buf, delta, training, ggamma, gbeta):
        r"""Turn ``delta = ∂L/∂y`` (y = γ ẑ + β) into ∂L/∂z in place:

        .. math:: \partial L/\partial z = \gamma \, s \, (\delta - \overline{\delta} - \hat z\, \overline{\delta \hat z})

        with s = 1/√(σ² + ε) and bars the batch means (training mode); ``γ s δ`` in evaluation mode.
        """
        n = len(delta)
        np.add.reduce(delta, axis=0, out=gbeta)
        np.einsum("ij,ij->j", delta, buf.zhat, out=ggamma)
        if training:
            np.multiply(buf.zhat, ggamma / n, out=buf.bn_scratch)
            delta -= buf.bn_scratch
            delta -= gbeta / n
        delta *= layer.gamma * buf.inv_std


class _swapped:
    """Context: evaluate the network at ``params`` (a flat vector), then restore its own."""

    def __init__(self, net, params):
        self.net, self.params, self.saved = net, params, None

    def __enter__(self):
        if self.params is not None:
            params = np.asarray(self.params)
            same_shape("net.params", self.net.params, "params", params)
            self.saved = self.net.params.copy()
            np.copyto(self.net.params, params, casting="same_kind")

    def __exit__(self, *exc):
        if self.saved is not None:
            np.copyto(self.net.params, self.saved)
        return False
