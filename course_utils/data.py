"""Data for the course: the shipped digits, small synthetic sets, seeded splits and mini-batches.

Everything here is deterministic given ``seed`` and works offline.

Conventions
-----------
* ``X`` has one sample per row, shape ``(n, features)``; images are ``(n, 8, 8)`` or flattened
  ``(n, 64)``.
* ``y`` holds integer class labels ``0..K-1`` (or real targets for regression).
* A ``seed`` may be an int or a ``np.random.Generator`` (to continue one stream of random
  numbers across calls).

The digits
----------
The UCI optical digits (E. Alpaydin, C. Kaynak, 1998, DOI 10.24432/C50P49, CC BY 4.0): 1,797
images of 8×8 pixels, each pixel a count 0..16; see ``course_utils/datasets/README.md``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._validate import choice, number

__all__ = [
    "load_digits",
    "digits_split",
    "Split",
    "split",
    "standardize",
    "one_hot",
    "sort_by_label",
    "batches",
    "epochs",
    "shift_images",
    "rotate_images",
    "add_label_noise",
    "noisy_line",
    "spirals",
    "blobs",
    "sine_regression",
    "adagrad_demo",
    "DIGITS_FILE",
    "DIGITS_SHA256",
]

DIGITS_FILE = Path(__file__).resolve().parent / "datasets" / "digits.npz"
DIGITS_SHA256 = "56691635b5c95f315ed55907c4fe83309809b3b822ee0b8d68e84bba3ffd4ca3"
SHUFFLE_MODES = (True, False, "once")


# --------------------------------------------------------------------------- helpers
def _rng(seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(number("seed", seed, low=0, integer=True))


def _float_dtype(value):
    try:
        value = np.dtype(value)
    except TypeError:
        pass
    return choice("dtype", value, (np.dtype(np.float32), np.dtype(np.float64)))


def _check_xy(X, y):
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim == 0 or X.shape[0] == 0:
        raise ValueError(f"X must hold at least one sample (one per row), got shape {X.shape}")
    if y.ndim == 0 or y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have one entry per row of X ({X.shape[0]}), got shape {y.shape}")
    return X, y


def _check_labels(name, y, n_classes=None):
    y = np.asarray(y)
    if y.size == 0:
        raise ValueError(f"{name} must hold at least one label, got an empty array")
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{name} must hold integer class labels 0..K-1, got dtype {y.dtype}")
    high = "K-1" if n_classes is None else n_classes - 1
    if y.min() < 0 or (n_classes is not None and y.max() >= n_classes):
        raise ValueError(f"{name} must hold class labels in 0..{high}, got values in {int(y.min())}..{int(y.max())}")
    return y


# --------------------------------------------------------------------------- the digits
def _digits_arrays():
    raw = DIGITS_FILE.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != DIGITS_SHA256:  # pragma: no cover - only if the shipped file is damaged
        raise RuntimeError(f"{DIGITS_FILE} is damaged: sha256 {digest}, expected {DIGITS_SHA256}")
    with np.load(DIGITS_FILE) as archive:
        return archive["images"], archive["labels"]


def load_digits(flatten: bool = True, scale: float = 16.0, dtype=np.float64):
    """The 1,797 digits as ``(X, y)``: ``X = pixels / scale`` (float), ``y`` int64 labels 0..9.

    ``flatten=True`` gives ``X`` of shape ``(1797, 64)``, else ``(1797, 8, 8)``. With the default
    ``scale=16`` the pixels lie in [0, 1]; ``scale=1`` keeps the raw counts 0..16.
    """
    scale = number("scale", scale, low=0, low_open=True)
    dtype = _float_dtype(dtype)
    images, labels = _digits_arrays()
    X = images.astype(dtype) / np.asarray(scale, dtype=dtype)
    if flatten:
        X = X.reshape(len(X), -1)
    return X, labels.astype(np.int64)


@dataclass(frozen=True)
class Split:
    """Train / validation / test parts of a data set (``mean``/``std``: the training statistics
    used to standardise all three parts, or ``None``)."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    mean: np.ndarray | None = None
    std: np.ndarray | None = None

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_val.max(), self.y_test.max())) + 1

    @property
    def n_features(self) -> int:
        return int(np.prod(self.X_train.shape[1:]))

    def __repr__(self) -> str:
        return (
            f"Split(train={len(self.y_train)}, val={len(self.y_val)}, test={len(self.y_test)}, "
            f"features={self.n_features}, standardized={self.mean is not None})"
        )


def digits_split(
    val_fraction: float = 0.2,
    test_fraction: float = 0.2,
    seed=0,
    standardize: bool = True,
    dtype=np.float64,
    scale: float = 16.0,
) -> Split:
    """The digits split into stratified train / validation / test parts (seeded).

    With ``standardize=True`` each pixel is standardised, ``x ← (x − μ) / σ``, with the mean μ
    and standard deviation σ of the *training* part only (σ = 1 where a pixel is constant
    there), so nothing about the validation or test part leaks into training. Otherwise the
    pixels are ``counts / scale`` (in [0, 1] for the default scale).
    """
    val_fraction = number("val_fraction", val_fraction, low=0, high=1, low_open=True, high_open=True)
    test_fraction = number("test_fraction", test_fraction, low=0, high=1, low_open=True, high_open=True)
    if val_fraction + test_fraction >= 1:
        raise ValueError(
            f"val_fraction + test_fraction must be < 1 (something must be left to "
            f"train on), got {val_fraction} + {test_fraction}"
        )
    X, y = load_digits(flatten=True, scale=scale, dtype=dtype)
    train_fraction = 1.0 - val_fraction - test_fraction
    (X_tr, y_tr), (X_va, y_va), (X_te, y_te) = split(X, y, (train_fraction, val_fraction, test_fraction), seed=seed)
    mean = std = None
    if standardize:
        X_tr, mean, std = _standardize(X_tr)
        X_va = ((X_va - mean) / std).astype(dtype, copy=False)
        X_te = ((X_te - mean) / std).astype(dtype, copy=False)
    return Split(X_tr, y_tr, X_va, y_va, X_te, y_te, mean, std)


def standardize(X, mean=None, std=None):
    """Return ``((X − mean) / std, mean, std)``, per feature (column).

    ``mean`` and ``std`` default to the statistics of ``X`` itself; pass the training
    statistics to transform validation or test data the same way. A feature with zero spread
    gets ``std = 1`` (it would otherwise divide by zero).
    """
    X = np.asarray(X)
    if X.ndim == 0 or X.shape[0] == 0:
        raise ValueError(f"X must hold at least one sample (one per row), got shape {X.shape}")
    dtype = X.dtype if np.issubdtype(X.dtype, np.floating) else np.float64
    if mean is None:
        mean = X.mean(axis=0)
    if std is None:
        std = X.std(axis=0)
        std = np.where(std > 0, std, 1.0)
    mean = np.asarray(mean, dtype=dtype)
    std = np.asarray(std, dtype=dtype)
    return ((X - mean) / std).astype(dtype, copy=False), mean, std


_standardize = standardize  # digits_split's argument `standardize` shadows the function


# --------------------------------------------------------------------------- splits and batches
def split(X, y, fractions, seed=0, stratify="auto"):
    """Split ``(X, y)`` at random into parts of the given ``fractions`` (each in (0, 1), sum 1).

    Returns a tuple of ``(X_part, y_part)`` pairs, one per fraction. With ``stratify=True``
    (the default ``"auto"`` means: when ``y`` holds integer labels) every class is split in the
    same proportions, so each part keeps the class balance. Within a part the samples are in
    random order. Part sizes are rounded so that they add up to ``len(y)``.

    >>> X, y = np.arange(10.0)[:, None], np.arange(10) % 2
    >>> [len(p[1]) for p in split(X, y, (0.6, 0.2, 0.2))]
    [6, 2, 2]
    """
    X, y = _check_xy(X, y)
    fractions = [
        number(f"fractions[{i}]", f, low=0, high=1, low_open=True, high_open=True)
        for i, f in enumerate(np.atleast_1d(np.asarray(fractions, dtype=object)))
    ]
    if len(fractions) < 2 or abs(sum(fractions) - 1.0) > 1e-9:
        raise ValueError(f"fractions must be at least two numbers in (0, 1) that sum to 1, got {fractions}")
    choice("stratify", stratify, ("auto", True, False))
    if stratify == "auto":
        stratify = bool(np.issubdtype(y.dtype, np.integer)) and y.ndim == 1
    if stratify:
        _check_labels("y", y)
    rng = _rng(seed)
    groups = [np.flatnonzero(y == c) for c in np.unique(y)] if stratify else [np.arange(len(y))]
    cuts = np.cumsum(fractions)
    parts = [[] for _ in fractions]
    for members in groups:
        members = rng.permutation(members)
        bounds = np.concatenate([[0], np.round(cuts * len(members)).astype(int)])
        bounds[-1] = len(members)
        for k in range(len(fractions)):
            parts[k].append(members[bounds[k] : bounds[k + 1]])
    out = []
    for pieces in parts:
        index = rng.permutation(np.concatenate(pieces))
        out.append((X[index], y[index]))
    return tuple(out)


def one_hot(y, n_classes: int | None = None, dtype=np.float64) -> np.ndarray:
    """Rows of the identity: ``one_hot([2, 0], 3) = [[0, 0, 1], [1, 0, 0]]``."""
    y = _check_labels("y", y)
    if n_classes is None:
        n_classes = int(y.max()) + 1
    n_classes = number("n_classes", n_classes, low=1, integer=True)
    _check_labels("y", y, n_classes)
    out = np.zeros(y.shape + (n_classes,), dtype=dtype)
    np.put_along_axis(out, y[..., None], 1, axis=-1)
    return out


def sort_by_label(X, y):
    """``(X, y)`` reordered so the labels ascend (stable): all 0s, then all 1s, ... (C02.5)."""
    X, y = _check_xy(X, y)
    order = np.argsort(y, kind="stable")
    return X[order], y[order]


def _batch_size(batch_size):
    return number("batch_size", batch_size, low=1, integer=True)


def batches(X, y, batch_size: int, shuffle=True, seed=0, drop_last: bool = False):
    """Iterate once over the data (one epoch) in mini-batches ``(X_batch, y_batch)``.

    ``shuffle=True`` visits the samples in a random (seeded) order; ``shuffle=False`` keeps the
    given order (e.g. data sorted by label, :func:`sort_by_label`). The last batch is smaller
    when ``batch_size`` does not divide ``len(y)``, unless ``drop_last=True``.
    """
    X, y = _check_xy(X, y)
    batch_size = _batch_size(batch_size)
    choice("shuffle", shuffle, SHUFFLE_MODES)
    order = _rng(seed).permutation(len(y)) if shuffle else None
    yield from _epoch_batches(X, y, order, batch_size, drop_last)


def _epoch_batches(X, y, order, batch_size, drop_last):
    n = len(y)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        if order is None:
            yield X[start : start + batch_size], y[start : start + batch_size]
        else:
            index = order[start : start + batch_size]
            yield X[index], y[index]


def epochs(X, y, batch_size: int, n_epochs: int | None = None, shuffle=True, seed=0, drop_last: bool = False):
    """Iterate over many epochs, yielding ``(epoch, X_batch, y_batch)``; ``n_epochs=None``: forever.

    ``shuffle=True`` draws a fresh random order every epoch (one seeded stream);
    ``shuffle="once"`` draws one random order and repeats it every epoch (C07.1: a fixed order);
    ``shuffle=False`` keeps the given order.
    """
    X, y = _check_xy(X, y)
    batch_size = _batch_size(batch_size)
    choice("shuffle", shuffle, SHUFFLE_MODES)
    if n_epochs is not None:
        n_epochs = number("n_epochs", n_epochs, low=1, integer=True)
    if drop_last and batch_size > len(y):
        raise ValueError(
            f"batch_size must be <= the number of samples ({len(y)}) with drop_last=True, got {batch_size}"
        )
    rng = _rng(seed)
    order = rng.permutation(len(y)) if shuffle == "once" else None
    epoch = 0
    while n_epochs is None or epoch < n_epochs:
        if shuffle is True:
            order = rng.permutation(len(y))
        for X_batch, y_batch in _epoch_batches(X, y, order, batch_size, drop_last):
            yield epoch, X_batch, y_batch
        epoch += 1


# --------------------------------------------------------------------------- image transforms
def _as_images(X, name="X"):
    """View ``X`` as square images ``(n, side, side)``; also returns how to undo the view."""
    X = np.asarray(X)
    if X.ndim == 3 and X.shape[1] == X.shape[2] and X.shape[0] > 0:
        return X, X.shape
    if X.ndim == 2 and X.shape[0] > 0:
        side = int(round(np.sqrt(X.shape[1])))
        if side * side == X.shape[1] and side > 0:
            return X.reshape(len(X), side, side), X.shape
    raise ValueError(
        f"{name} must be square images (n, side, side) or flattened (n, side*side) with n >= 1, got shape {X.shape}"
    )


def _per_image(name, value, n, *, integer):
    value = np.asarray(value)
    if value.ndim == 0:
        value = np.full(n, value.item())
    if value.shape != (n,):
        raise ValueError(f"{name} must be a number or one number per image ({n}), got shape {value.shape}")
    if integer and not (np.issubdtype(value.dtype, np.integer) or np.all(value == np.round(value))):
        raise ValueError(f"{name} must hold whole numbers of pixels, got {value}")
    if not np.all(np.isfinite(value.astype(float))):
        raise ValueError(f"{name} must be finite, got {value}")
    return value.astype(int) if integer else value.astype(float)


def shift_images(X, dx, dy, fill: float = 0.0):
    """Shift images by ``dx`` pixels right and ``dy`` pixels down (negative: left / up).

    Pixels shifted in from outside get ``fill`` (0 = blank paper for the raw or [0, 1] digits;
    shift *before* standardising). ``dx`` and ``dy`` are whole numbers, the same for every image
    or one per image (random shifts for data augmentation). Returns the same shape as ``X``.
    """
    images, shape = _as_images(X)
    n, side, _ = images.shape
    dx = _per_image("dx", dx, n, integer=True)
    dy = _per_image("dy", dy, n, integer=True)
    fill = number("fill", fill)
    out = np.full_like(images, fill)
    for sx, sy in set(zip(dx.tolist(), dy.tolist())):
        which = np.flatnonzero((dx == sx) & (dy == sy))
        if abs(sx) >= side or abs(sy) >= side:
            continue  # shifted entirely out of the frame
        rows_out = slice(max(sy, 0), side + min(sy, 0))
        cols_out = slice(max(sx, 0), side + min(sx, 0))
        rows_in = slice(max(-sy, 0), side + min(-sy, 0))
        cols_in = slice(max(-sx, 0), side + min(-sx, 0))
        out[which, rows_out, cols_out] = images[which, rows_in, cols_in]
    return out.reshape(shape)


def rotate_images(X, degrees, fill: float = 0.0):
    """Rotate images counter-clockwise by ``degrees`` about their centre (bilinear interpolation).

    Each output pixel ``p`` takes the value at ``R(−θ)(p − c) + c`` in the input (``c`` the
    centre), interpolated bilinearly between the four nearest pixels; points outside the image
    count as ``fill``. ``degrees`` is one angle or one per image. Returns the same shape as ``X``.
    """
    images, shape = _as_images(X)
    n, side, _ = images.shape
    theta = np.deg2rad(_per_image("degrees", degrees, n, integer=False))
    fill = number("fill", fill)
    dtype = images.dtype if np.issubdtype(images.dtype, np.floating) else np.float64
    centre = (side - 1) / 2.0
    rows, cols = np.meshgrid(np.arange(side) - centre, np.arange(side) - centre, indexing="ij")
    cos, sin = np.cos(theta)[:, None, None], np.sin(theta)[:, None, None]
    # Rows grow downwards, so a counter-clockwise turn on screen maps (row, col) of an output
    # pixel back to the source (row, col) below (the inverse rotation).
    src_col = cos * cols - sin * rows + centre
    src_row = sin * cols + cos * rows + centre
    padded = np.full((n, side + 2, side + 2), fill, dtype=dtype)  # one pixel of `fill` around
    padded[:, 1:-1, 1:-1] = images
    r = np.clip(src_row + 1, 0, side + 1 - 1e-9)
    c = np.clip(src_col + 1, 0, side + 1 - 1e-9)
    outside = (src_row < -1) | (src_row > side) | (src_col < -1) | (src_col > side)
    r0 = np.floor(r).astype(int)
    c0 = np.floor(c).astype(int)
    fr, fc = r - r0, c - c0
    r1 = np.minimum(r0 + 1, side + 1)
    c1 = np.minimum(c0 + 1, side + 1)
    k = np.arange(n)[:, None, None]
    out = (
        (1 - fr) * (1 - fc) * padded[k, r0, c0]
        + (1 - fr) * fc * padded[k, r0, c1]
        + fr * (1 - fc) * padded[k, r1, c0]
        + fr * fc * padded[k, r1, c1]
    )
    out[outside] = fill
    return out.astype(dtype, copy=False).reshape(shape)


def add_label_noise(y, fraction: float, seed=0, n_classes: int | None = None, return_mask: bool = False):
    """A copy of ``y`` in which a ``fraction`` of the labels is replaced by a *different* class.

    Exactly ``round(fraction · n)`` labels change, each to a class drawn uniformly from the
    other ``K − 1``. With ``return_mask=True`` also returns the boolean mask of changed labels
    (to order examples clean-first for curriculum learning, C07.4).
    """
    y = _check_labels("y", y)
    fraction = number("fraction", fraction, low=0, high=1)
    if n_classes is None:
        n_classes = int(y.max()) + 1
    n_classes = number("n_classes", n_classes, low=2, integer=True)
    _check_labels("y", y, n_classes)
    rng = _rng(seed)
    flipped = np.zeros(y.shape, dtype=bool)
    which = rng.choice(y.size, size=int(round(fraction * y.size)), replace=False)
    flipped.flat[which] = True
    noisy = y.copy()
    offset = rng.integers(1, n_classes, size=which.size)  # never 0: always a different class
    noisy.flat[which] = (y.flat[which] + offset) % n_classes
    return (noisy, flipped) if return_mask else noisy


# --------------------------------------------------------------------------- synthetic data
def noisy_line(
    n: int = 100, slope: float = 2.0, intercept: float = 1.0, noise: float = 0.5, seed=0, x_range=(-1.0, 1.0)
):
    """``y = slope · x + intercept + ε``, ε ~ N(0, noise²), x uniform on ``x_range``.

    Returns ``X`` of shape ``(n, 1)`` and ``y`` of shape ``(n,)``.
    """
    n = number("n", n, low=1, integer=True)
    slope, intercept = number("slope", slope), number("intercept", intercept)
    noise = number("noise", noise, low=0)
    low, high = (number("x_range[0]", x_range[0]), number("x_range[1]", x_range[1]))
    if not low < high:
        raise ValueError(f"x_range must be (low, high) with low < high, got {tuple(x_range)}")
    rng = _rng(seed)
    x = rng.uniform(low, high, size=n)
    y = slope * x + intercept + noise * rng.standard_normal(n)
    return x[:, None], y


def _class_sizes(n, classes):
    return [n // classes + (1 if k < n % classes else 0) for k in range(classes)]


def spirals(n: int = 300, classes: int = 3, noise: float = 0.2, seed=0, turns: float = 1.0):
    """Interleaved spiral arms in the plane, one per class (CS231n's toy problem).

    ``n`` points in total (class sizes differ by at most one). Arm ``k`` has radius r ∈ [0, 1]
    and angle ``2π·turns·r + 2πk/classes + noise·N(0, 1)``. Returns ``X (n, 2)`` and labels ``y``.
    """
    n = number("n", n, low=1, integer=True)
    classes = number("classes", classes, low=1, integer=True)
    noise = number("noise", noise, low=0)
    turns = number("turns", turns, low=0, low_open=True)
    if n < classes:
        raise ValueError(f"n must be >= classes ({classes}) so every class has a point, got {n}")
    rng = _rng(seed)
    X, y = [], []
    for k, size in enumerate(_class_sizes(n, classes)):
        r = np.linspace(0.0, 1.0, size)
        angle = 2 * np.pi * (turns * r + k / classes) + noise * rng.standard_normal(size)
        X.append(np.column_stack([r * np.cos(angle), r * np.sin(angle)]))
        y.append(np.full(size, k))
    return np.concatenate(X), np.concatenate(y).astype(np.int64)


def blobs(n: int = 300, centers=3, dim: int = 2, spread: float = 1.0, seed=0, box: float = 5.0):
    """Gaussian clusters: class ``k`` is ``center_k + spread · N(0, I)``.

    ``centers`` is a number of classes (centres drawn uniformly in ``[-box, box]^dim``) or an
    array of centres ``(classes, dim)``. ``n`` points in total. Returns ``X (n, dim)`` and ``y``.
    """
    n = number("n", n, low=1, integer=True)
    spread = number("spread", spread, low=0)
    rng = _rng(seed)
    if np.ndim(centers) == 0:
        classes = number("centers", centers, low=1, integer=True)
        dim = number("dim", dim, low=1, integer=True)
        box = number("box", box, low=0, low_open=True)
        centers = rng.uniform(-box, box, size=(classes, dim))
    else:
        centers = np.asarray(centers, dtype=float)
        if centers.ndim != 2 or centers.shape[0] < 1 or not np.all(np.isfinite(centers)):
            raise ValueError(
                f"centers must be a number of classes or a finite array (classes, dim), got shape {centers.shape}"
            )
    classes = len(centers)
    if n < classes:
        raise ValueError(f"n must be >= the number of centers ({classes}), got {n}")
    sizes = _class_sizes(n, classes)
    y = np.repeat(np.arange(classes), sizes)
    X = centers[y] + spread * rng.standard_normal((n, centers.shape[1]))
    order = rng.permutation(n)
    return X[order], y[order].astype(np.int64)


def sine_regression(n: int = 100, seed=0, noise: float = 0.0):
    """The lecture's regression target ``y = sin(5πx) / (5πx)`` (``= 1`` at x = 0), x uniform on [−1, 1].

    Returns ``X`` of shape ``(n, 1)`` and ``y`` of shape ``(n,)`` (plus ``noise · N(0, 1)``).
    """
    n = number("n", n, low=1, integer=True)
    noise = number("noise", noise, low=0)
    rng = _rng(seed)
    x = rng.uniform(-1.0, 1.0, size=n)
    y = np.sinc(5.0 * x) + noise * rng.standard_normal(n)  # np.sinc(t) = sin(πt)/(πt)
    return x[:, None], y


def adagrad_demo():
    """The ten (x, y) points of the lecture's Adagrad demo (fit ``y = b + w·x``).

    Least squares gives ``(b, w) ≈ (−188.4, 2.67)``; the inputs are on a scale of hundreds, so
    the error surface in (b, w) is extremely elongated and one learning rate cannot suit both.
    Returns float arrays ``x`` and ``y`` of shape ``(10,)``.
    """
    x = np.array([338.0, 333.0, 328.0, 207.0, 226.0, 25.0, 179.0, 60.0, 208.0, 606.0])
    y = np.array([640.0, 633.0, 619.0, 393.0, 428.0, 27.0, 193.0, 66.0, 226.0, 1591.0])
    return x, y
