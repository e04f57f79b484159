"""Tests of course_utils.data: the shipped digits, splits, batches, transforms, synthetic sets."""

import hashlib

import numpy as np
import pytest

from course_utils import data


# --------------------------------------------------------------------------- the digits file
def test_digits_file_checksum_shapes_and_counts():
    raw = data.DIGITS_FILE.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == data.DIGITS_SHA256
    readme = (data.DIGITS_FILE.parent / "README.md").read_text(encoding="utf-8")
    assert data.DIGITS_SHA256 in readme and "CC BY 4.0" in readme and "10.24432/C50P49" in readme
    with np.load(data.DIGITS_FILE) as archive:
        images, labels = archive["images"], archive["labels"]
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8
    assert labels.shape == (1797,) and labels.dtype == np.uint8
    assert images.min() == 0 and images.max() == 16
    assert np.bincount(labels).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_load_digits_scaling_shapes_dtypes():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64 and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    raw, _ = data.load_digits(flatten=False, scale=1, dtype=np.float32)
    assert raw.shape == (1797, 8, 8) and raw.dtype == np.float32 and raw.max() == 16
    np.testing.assert_allclose(raw.reshape(1797, -1) / 16, X, rtol=1e-6)
    with pytest.raises(ValueError, match="scale must be a number > 0"):
        data.load_digits(scale=0)
    with pytest.raises(ValueError, match="dtype must be one of"):
        data.load_digits(dtype=np.int32)
    with pytest.raises(ValueError, match="dtype must be one of"):
        data.load_digits(dtype="no such type")


def test_digits_split_stratified_disjoint_and_standardised_on_train_only():
    s = data.digits_split(seed=3)
    assert (len(s.y_train), len(s.y_val), len(s.y_test)) == (1078, 360, 359)
    assert s.n_classes == 10 and s.n_features == 64 and "train=1078" in repr(s)
    for part in (s.y_train, s.y_val, s.y_test):  # class balance kept in every part
        counts = np.bincount(part, minlength=10) / len(part)
        assert np.all(np.abs(counts - 0.1) < 0.01)
    # the parts are disjoint and together are the whole data set
    X, y = data.load_digits()
    undone = np.concatenate([s.X_train, s.X_val, s.X_test]) * s.std + s.mean
    rows = np.column_stack([np.round(undone * 16), np.concatenate([s.y_train, s.y_val, s.y_test])])
    whole = np.column_stack([X * 16, y])
    np.testing.assert_array_equal(rows[np.lexsort(rows.T)], whole[np.lexsort(whole.T)])
    # standardised with the training statistics: train has mean 0, std 1 where not constant
    np.testing.assert_allclose(s.X_train.mean(axis=0), 0, atol=1e-12)
    spread = s.X_train.std(axis=0)
    assert np.all((np.abs(spread - 1) < 1e-12) | (spread == 0))
    assert abs(s.X_val.mean()) > 1e-6  # the validation part was not standardised by itself
    same = data.digits_split(seed=3)
    np.testing.assert_array_equal(same.X_val, s.X_val)
    other = data.digits_split(seed=4)
    assert not np.array_equal(other.y_train, s.y_train)


def test_digits_split_options_and_bad_fractions():
    s = data.digits_split(val_fraction=0.1, test_fraction=0.3, standardize=False, dtype=np.float32)
    assert s.mean is None and s.X_train.dtype == np.float32 and s.X_train.max() <= 1.0
    assert len(s.y_val) == 180 and len(s.y_test) == 539
    for kwargs, name in [
        (dict(val_fraction=0), "val_fraction"),
        (dict(test_fraction=1.0), "test_fraction"),
        (dict(val_fraction=0.5, test_fraction=0.5), "val_fraction \\+ test_fraction"),
    ]:
        with pytest.raises(ValueError, match=name):
            data.digits_split(**kwargs)


def test_standardize_uses_given_statistics_and_guards_zero_spread():
    X = np.array([[1.0, 5.0], [3.0, 5.0]])
    Z, mean, std = data.standardize(X)
    np.testing.assert_array_equal(mean, [2.0, 5.0])
    np.testing.assert_array_equal(std, [1.0, 1.0])
    np.testing.assert_array_equal(Z, [[-1.0, 0.0], [1.0, 0.0]])
    Z2, _, _ = data.standardize(np.array([[2, 7]]), mean, std)
    np.testing.assert_array_equal(Z2, [[0.0, 2.0]])
    assert data.standardize(X.astype(np.float32))[0].dtype == np.float32
    with pytest.raises(ValueError, match="X must hold at least one sample"):
        data.standardize(np.zeros((0, 3)))


# --------------------------------------------------------------------------- split
def test_split_stratified_sizes_and_determinism():
    X = np.arange(200.0).reshape(100, 2)
    y = np.repeat(np.arange(4), 25)
    a, b, c = data.split(X, y, (0.6, 0.2, 0.2), seed=1)
    assert [len(p[1]) for p in (a, b, c)] == [60, 20, 20]
    for part in (a, b, c):
        assert np.all(np.bincount(part[1], minlength=4) == len(part[1]) // 4)
        np.testing.assert_array_equal(part[0][:, 0] // 2 // 25, part[1])  # rows stay with labels
    assert not np.all(np.diff(a[1]) >= 0)  # a part is shuffled, not sorted by class
    again = data.split(X, y, [0.6, 0.2, 0.2], seed=1)
    np.testing.assert_array_equal(again[0][0], a[0])


def test_split_regression_targets_are_not_stratified():
    X = np.arange(10.0)[:, None]
    y = np.linspace(0, 1, 10)
    (Xa, ya), (Xb, yb) = data.split(X, y, (0.7, 0.3), seed=0)
    assert len(ya) == 7 and len(yb) == 3
    assert sorted(np.concatenate([ya, yb]).tolist()) == y.tolist()
    np.testing.assert_allclose(Xa[:, 0] / 9, ya)


@pytest.mark.parametrize(
    "fractions, message",
    [
        ((0.5, 0.6), "sum to 1"),
        ((1.0,), "fractions\\[0\\] must be a number in \\(0, 1\\)"),
        ((0.0, 1.0), "fractions\\[0\\]"),
        ((0.5,), "at least two"),
    ],
)
def test_split_bad_fractions(fractions, message):
    with pytest.raises(ValueError, match=message):
        data.split(np.zeros((10, 2)), np.zeros(10, int), fractions)


def test_split_bad_data():
    with pytest.raises(ValueError, match="X must hold at least one sample"):
        data.split(np.zeros((0, 2)), np.zeros(0, int), (0.5, 0.5))
    with pytest.raises(ValueError, match="y must have one entry per row of X"):
        data.split(np.zeros((4, 2)), np.zeros(3, int), (0.5, 0.5))
    with pytest.raises(ValueError, match="y must hold class labels in 0"):
        data.split(np.zeros((4, 2)), np.array([0, 1, -1, 2]), (0.5, 0.5))
    with pytest.raises(ValueError, match="stratify must be one of"):
        data.split(np.zeros((4, 2)), np.zeros(4, int), (0.5, 0.5), stratify="yes")
    with pytest.raises(ValueError, match="y must hold integer class labels"):
        data.split(np.zeros((4, 2)), np.zeros(4), (0.5, 0.5), stratify=True)
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        data.split(np.zeros((4, 2)), np.zeros(4, int), (0.5, 0.5), seed=-1)


# --------------------------------------------------------------------------- labels helpers
def test_one_hot_and_sort_by_label():
    np.testing.assert_array_equal(data.one_hot([2, 0], 3), [[0, 0, 1], [1, 0, 0]])
    assert data.one_hot(np.array([1, 1]), dtype=np.float32).shape == (2, 2)
    with pytest.raises(ValueError, match="y must hold class labels in 0..1"):
        data.one_hot([0, 2], 2)
    with pytest.raises(ValueError, match="y must hold at least one label"):
        data.one_hot([], 2)
    X = np.arange(6.0)[:, None]
    Xs, ys = data.sort_by_label(X, np.array([2, 0, 1, 0, 2, 1]))
    np.testing.assert_array_equal(ys, [0, 0, 1, 1, 2, 2])
    np.testing.assert_array_equal(Xs[:, 0], [1, 3, 2, 5, 0, 4])  # stable


# --------------------------------------------------------------------------- batches
def test_batches_cover_one_epoch_in_order_or_shuffled():
    X = np.arange(10.0)[:, None]
    y = np.arange(10)
    fixed = list(data.batches(X, y, 4, shuffle=False))
    assert [len(b[1]) for b in fixed] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([b[1] for b in fixed]), y)
    mixed = list(data.batches(X, y, 4, seed=5))
    order = np.concatenate([b[1] for b in mixed])
    assert sorted(order.tolist()) == y.tolist() and not np.array_equal(order, y)
    np.testing.assert_array_equal(np.concatenate([b[0][:, 0] for b in mixed]), order)
    again = np.concatenate([b[1] for b in data.batches(X, y, 4, seed=5)])
    np.testing.assert_array_equal(again, order)
    assert [len(b[1]) for b in data.batches(X, y, 4, drop_last=True)] == [4, 4]
    assert [len(b[1]) for b in data.batches(X, y, 50)] == [10]


def test_epochs_shuffle_modes():
    X = np.arange(12.0)[:, None]
    y = np.arange(12)

    def orders(shuffle, n_epochs=3):
        out = {}
        for epoch, _, yb in data.epochs(X, y, 5, n_epochs=n_epochs, shuffle=shuffle, seed=0):
            out.setdefault(epoch, []).extend(yb.tolist())
        return [out[e] for e in sorted(out)]

    fresh = orders(True)
    assert len(fresh) == 3 and all(sorted(o) == list(range(12)) for o in fresh)
    assert fresh[0] != fresh[1] != fresh[2]
    once = orders("once")
    assert once[0] == once[1] == once[2] != list(range(12))
    assert orders(False) == [list(range(12))] * 3
    stream = data.epochs(X, y, 5, seed=np.random.default_rng(0))  # forever
    assert [next(stream)[0] for _ in range(7)] == [0, 0, 0, 1, 1, 1, 2]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(batch_size=0), "batch_size must be an integer >= 1"),
        (dict(batch_size=2.5), "batch_size must be an integer"),
        (dict(batch_size=2, shuffle="always"), "shuffle must be one of"),
    ],
)
def test_batches_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        next(data.batches(np.zeros((4, 1)), np.zeros(4), **kwargs))
    with pytest.raises(ValueError, match=message):
        next(data.epochs(np.zeros((4, 1)), np.zeros(4), **kwargs))


def test_epochs_bad_arguments():
    with pytest.raises(ValueError, match="n_epochs must be an integer >= 1"):
        next(data.epochs(np.zeros((4, 1)), np.zeros(4), 2, n_epochs=0))
    with pytest.raises(ValueError, match="batch_size must be <= the number of samples"):
        next(data.epochs(np.zeros((4, 1)), np.zeros(4), 5, drop_last=True))
    with pytest.raises(ValueError, match="X must hold at least one sample"):
        next(data.batches(np.zeros((0, 1)), np.zeros(0), 2))


# --------------------------------------------------------------------------- transforms
def test_shift_images_moves_pixels_and_fills():
    img = np.zeros((1, 8, 8))
    img[0, 2, 3] = 5.0
    right_down = data.shift_images(img, dx=2, dy=1)
    assert right_down[0, 3, 5] == 5.0 and right_down.sum() == 5.0
    left_up = data.shift_images(img, dx=-3, dy=-2)
    assert left_up[0, 0, 0] == 5.0
    gone = data.shift_images(img, dx=8, dy=0, fill=-1.0)
    assert np.all(gone == -1.0)
    flat = data.shift_images(img.reshape(1, 64), 1, 0)
    assert flat.shape == (1, 64) and flat.reshape(8, 8)[2, 4] == 5.0
    X, _ = data.load_digits(flatten=False, scale=1)
    X = X[:20]
    np.testing.assert_array_equal(data.shift_images(X, 0, 0), X)
    per_image = data.shift_images(X, dx=np.arange(20) % 3 - 1, dy=0)
    np.testing.assert_array_equal(per_image[1], X[1])
    np.testing.assert_array_equal(per_image[2], data.shift_images(X[2:3], 1, 0)[0])
    raw = data.shift_images(np.ones((2, 8, 8), np.uint8), 1, 1)
    assert raw.dtype == np.uint8 and raw.sum() == 2 * 49


def test_rotate_images_quarter_turn_equals_rot90_and_zero_is_identity():
    X, _ = data.load_digits(flatten=False)
    X = X[:5]
    np.testing.assert_allclose(data.rotate_images(X, 0), X, atol=1e-12)
    np.testing.assert_allclose(data.rotate_images(X, 90), np.rot90(X, 1, axes=(1, 2)), atol=1e-9)
    np.testing.assert_allclose(data.rotate_images(X, -90), np.rot90(X, -1, axes=(1, 2)), atol=1e-9)
    np.testing.assert_allclose(data.rotate_images(X, 180), X[:, ::-1, ::-1], atol=1e-9)
    flat = data.rotate_images(X.reshape(5, 64), np.array([0, 90, 0, 0, 0]))
    np.testing.assert_allclose(flat.reshape(5, 8, 8)[1], np.rot90(X[1]), atol=1e-9)
    np.testing.assert_allclose(flat.reshape(5, 8, 8)[0], X[0], atol=1e-12)
    small = data.rotate_images(X, 15)
    assert small.shape == X.shape and 0.5 < small.sum() / X.sum() < 1.01
    filled = data.rotate_images(np.zeros((1, 8, 8)), 45, fill=1.0)
    assert filled[0, 0, 0] == 1.0 and filled[0, 4, 4] == 0.0


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: data.shift_images(np.zeros((2, 7)), 1, 1), "X must be square images"),
        (lambda: data.shift_images(np.zeros((2, 8, 8)), 0.5, 0), "dx must hold whole numbers"),
        (lambda: data.shift_images(np.zeros((2, 8, 8)), [1, 2, 3], 0), "dx must be a number or one number per image"),
        (lambda: data.rotate_images(np.zeros((2, 8, 8)), np.nan), "degrees must be finite"),
        (lambda: data.rotate_images(np.zeros((0, 64)), 10), "X must be square images"),
    ],
)
def test_transforms_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_add_label_noise_changes_exactly_the_fraction_to_other_classes():
    y = np.repeat(np.arange(10), 50)
    noisy, flipped = data.add_label_noise(y, 0.3, seed=2, return_mask=True)
    assert flipped.sum() == 150 and np.all(noisy[flipped] != y[flipped])
    np.testing.assert_array_equal(noisy[~flipped], y[~flipped])
    assert noisy.min() >= 0 and noisy.max() <= 9
    np.testing.assert_array_equal(data.add_label_noise(y, 0.3, seed=2), noisy)
    np.testing.assert_array_equal(data.add_label_noise(y, 0.0), y)
    assert np.all(data.add_label_noise(y, 1.0) != y)
    with pytest.raises(ValueError, match="fraction must be a number in \\[0, 1\\]"):
        data.add_label_noise(y, 1.5)
    with pytest.raises(ValueError, match="n_classes must be an integer >= 2"):
        data.add_label_noise(np.zeros(5, int), 0.5)
    with pytest.raises(ValueError, match="y must hold class labels in 0..4"):
        data.add_label_noise(y, 0.1, n_classes=5)


# --------------------------------------------------------------------------- synthetic sets
def test_noisy_line_recovers_slope_and_intercept():
    X, y = data.noisy_line(2000, slope=-3.0, intercept=0.5, noise=0.1, seed=1)
    assert X.shape == (2000, 1) and y.shape == (2000,)
    slope, intercept = np.polyfit(X[:, 0], y, 1)
    assert abs(slope + 3.0) < 0.02 and abs(intercept - 0.5) < 0.02
    X0, y0 = data.noisy_line(5, noise=0.0, x_range=(2, 3))
    assert np.all((X0 >= 2) & (X0 <= 3))
    np.testing.assert_allclose(y0, 2 * X0[:, 0] + 1)
    with pytest.raises(ValueError, match="x_range must be"):
        data.noisy_line(5, x_range=(1, 1))
    with pytest.raises(ValueError, match="noise must be a number >= 0"):
        data.noisy_line(5, noise=-1)


def test_spirals_and_blobs():
    X, y = data.spirals(301, classes=3, noise=0.0, seed=0)
    assert X.shape == (301, 2) and np.bincount(y).tolist() == [101, 100, 100]
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius.max() <= 1.0 + 1e-12
    with pytest.raises(ValueError, match="n must be >= classes"):
        data.spirals(2, classes=3)
    X, y = data.blobs(300, centers=3, dim=4, spread=0.1, seed=0)
    assert X.shape == (300, 4) and np.bincount(y).tolist() == [100, 100, 100]
    centres = np.array([X[y == k].mean(axis=0) for k in range(3)])
    assert np.all(np.abs(X - centres[y]).max(axis=1) < 1.0)
    X, y = data.blobs(10, centers=[[0.0, 0.0], [10.0, 10.0]], spread=0.0)
    np.testing.assert_array_equal(X, np.array([[0.0, 0.0], [10.0, 10.0]])[y])
    with pytest.raises(ValueError, match="centers must be a number of classes or a finite array"):
        data.blobs(10, centers=[1.0, 2.0, np.nan])
    with pytest.raises(ValueError, match="n must be >= the number of centers"):
        data.blobs(1, centers=2)


def test_sine_regression_is_the_lectures_target():
    X, y = data.sine_regression(500, seed=0)
    x = X[:, 0]
    assert X.shape == (500, 1) and np.all(np.abs(x) <= 1)
    np.testing.assert_allclose(y, np.sin(5 * np.pi * x) / (5 * np.pi * x))
    noisy = data.sine_regression(500, seed=0, noise=0.1)[1]
    assert 0.05 < np.std(noisy - y) < 0.15


def test_adagrad_demo_least_squares():
    x, y = data.adagrad_demo()
    assert x.shape == y.shape == (10,)
    A = np.column_stack([np.ones_like(x), x])
    (b, w), *_ = np.linalg.lstsq(A, y, rcond=None)
    assert abs(b - (-188.4)) < 0.05 and abs(w - 2.67) < 0.005
