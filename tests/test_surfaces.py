"""Error surfaces: the interface, the lecture's numbers, and the stories the chapters tell with them.

The finite-difference checks of every gradient and Hessian live in test_derivatives.py.
"""

import math

import numpy as np
import pytest

from course_utils import surfaces
from course_utils.surfaces import Surface

ALL_SURFACES = {name: factory() for name, factory in surfaces.ALL.items()}


def gd(surface, lr, steps, start=None):
    """Plain gradient descent, written out: theta <- theta - lr * grad."""
    theta = np.array(surface.start if start is None else start, dtype=float)
    for _ in range(steps):
        theta = theta - lr * surface.grad(theta)
    return theta


def heavy_ball(surface, lr, momentum, steps, start=None):
    """The lecture's momentum: movement m <- momentum * m - lr * grad; theta <- theta + m."""
    theta = np.array(surface.start if start is None else start, dtype=float)
    movement = np.zeros_like(theta)
    for _ in range(steps):
        movement = momentum * movement - lr * surface.grad(theta)
        theta = theta + movement
    return theta


# ---------------------------------------------------------------------------------------------
# The interface every surface shares
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(ALL_SURFACES))
def test_interface_shapes_and_attributes(name):
    s = ALL_SURFACES[name]
    assert isinstance(s, Surface) and s.dim in (1, 2)
    assert isinstance(s.name, str) and s.name and isinstance(s.formula, str) and s.formula
    assert s.start.shape == (s.dim,)
    assert s.minimum is None or s.minimum.shape == (s.dim,)
    assert s.project is None or callable(s.project)
    if s.dim == 2:
        (x0, x1), (y0, y1) = s.bounds
        assert x0 < x1 and y0 < y1 and x0 <= s.start[0] <= x1 and y0 <= s.start[1] <= y1
    else:
        x0, x1 = s.bounds
        assert x0 <= s.start[0] <= x1
    for lead in [(), (5,), (4, 3)]:
        theta = np.random.default_rng(0).uniform(-1, 1, lead + (s.dim,))
        assert np.shape(s.value(theta, step=3)) == lead
        assert s.grad(theta, step=3).shape == lead + (s.dim,)
        assert s.hessian(theta, step=3).shape == lead + (s.dim, s.dim)
    theta = s.start
    theta += 1.0  # an optimizer updating its params in place ...
    assert not np.array_equal(s.start, theta)  # ... does not move the surface's start
    single = s(s.start)
    assert np.ndim(single) == 0 and f"{single:.4f}"
    assert repr(s).startswith("<") and s.name in repr(s)


@pytest.mark.parametrize("name", sorted(ALL_SURFACES))
def test_batched_evaluation_equals_point_by_point(name):
    s = ALL_SURFACES[name]
    batch = np.random.default_rng(1).uniform(-1, 1, (6, s.dim))
    np.testing.assert_allclose(s.value(batch), [s.value(p) for p in batch], rtol=1e-14)
    np.testing.assert_allclose(s.grad(batch), [s.grad(p) for p in batch], rtol=1e-14)
    np.testing.assert_allclose(s.hessian(batch), [s.hessian(p) for p in batch], rtol=1e-14)


@pytest.mark.parametrize("name", sorted(ALL_SURFACES))
def test_hessians_are_symmetric_and_integer_theta_is_accepted(name):
    s = ALL_SURFACES[name]
    H = s.hessian(np.random.default_rng(2).uniform(-2, 2, (8, s.dim)))
    np.testing.assert_array_equal(H, np.swapaxes(H, -1, -2))
    theta = np.ones(s.dim, dtype=int)
    assert s.value(theta) == s.value(theta.astype(float))


@pytest.mark.parametrize("name", [n for n in sorted(ALL_SURFACES) if n != "reddi_online"])
def test_known_minimum_is_a_local_minimum(name):
    s = ALL_SURFACES[name]
    if s.minimum is None:
        return
    np.testing.assert_allclose(s.grad(s.minimum), 0.0, atol=1e-5)
    near = s.minimum + np.random.default_rng(3).normal(0, 1e-2, (50, s.dim))
    assert np.all(s.value(near) >= s.value(s.minimum))
    assert np.all(np.linalg.eigvalsh(s.hessian(s.minimum)) >= -1e-12)  # w1w2: 0 along its valley


@pytest.mark.parametrize("name", sorted(ALL_SURFACES))
def test_gradient_matches_central_differences_at_random_points(name):
    """Every surface's analytic gradient against central differences of its value, at 8 points of its window."""
    s = ALL_SURFACES[name]
    bounds = [s.bounds] if s.dim == 1 else s.bounds
    low, high = np.array(bounds, dtype=float).T
    rng = np.random.default_rng(4)
    for theta in low + rng.uniform(0.05, 0.95, (8, s.dim)) * (high - low):
        for step in (0, 3):
            eps = 1e-6
            numeric = [
                (s.value(theta + eps * e, step) - s.value(theta - eps * e, step)) / (2 * eps) for e in np.eye(s.dim)
            ]
            np.testing.assert_allclose(
                s.grad(theta, step), numeric, rtol=1e-6, atol=1e-7 * (1 + abs(float(s.value(theta, step))))
            )


def test_grid_2d_and_1d():
    X, Y, Z = surfaces.rosenbrock().grid(n=7)
    assert X.shape == Y.shape == Z.shape == (7, 7)
    assert (X.min(), X.max(), Y.min(), Y.max()) == (-2.0, 2.0, -1.0, 3.0)
    np.testing.assert_allclose(Z[3, 4], surfaces.rosenbrock().value(np.array([X[3, 4], Y[3, 4]])))
    x, y = surfaces.bumpy_1d().grid(n=11)
    assert x.shape == y.shape == (11,) and (x[0], x[-1]) == surfaces.bumpy_1d().bounds
    x, y = surfaces.reddi_online().grid(n=5)
    np.testing.assert_allclose(y, x / 3)  # the average loss (C-2)/3 x with C = 3


def test_grid_rejects_bad_n_and_high_dimensions():
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        surfaces.elongated().grid(n=1)
    with pytest.raises(ValueError, match="n must be an integer"):
        surfaces.elongated().grid(n=20.5)
    with pytest.raises(ValueError, match="dim 1 or 2.*dim=3"):
        surfaces.quadratic(10, dim=3).grid()


@pytest.mark.parametrize("bad", [np.zeros(3), np.zeros((4, 1)), 1.0, np.array([[1.0, 2.0, 3.0]])])
def test_theta_with_wrong_last_axis_names_theta_and_dim(bad):
    with pytest.raises(ValueError, match=r"theta must have shape \(\.\.\., 2\).*got shape"):
        surfaces.rosenbrock().grad(bad)
    with pytest.raises(ValueError, match=r"theta must have shape \(\.\.\., 1\)"):
        surfaces.bumpy_1d().value(np.zeros(2))


def test_theta_must_hold_numbers():
    with pytest.raises(ValueError, match="theta must be an array of numbers"):
        surfaces.saddle().value(np.array(["a", "b"]))


def test_float32_theta_works():
    s = surfaces.elongated()
    assert np.isclose(s.value(s.start.astype(np.float32)), s.value(s.start), rtol=1e-6)


def test_catalogue_filters_by_dimension():
    everything = surfaces.catalogue()
    assert everything == surfaces.ALL and everything is not surfaces.ALL
    assert set(surfaces.catalogue(dim=1)) == {"bumpy_1d", "reddi_online"}
    assert "w1w2" in surfaces.catalogue(dim=2) and "bumpy_1d" not in surfaces.catalogue(dim=2)
    with pytest.raises(ValueError, match="dim must be one of 1, 2"):
        surfaces.catalogue(dim=3)


# ---------------------------------------------------------------------------------------------
# The elongated surface of the adaptive-learning-rate lecture (C04.1, C04.2)
# ---------------------------------------------------------------------------------------------
def test_elongated_curvatures_and_condition_number():
    s = surfaces.elongated()
    np.testing.assert_array_equal(s.eigenvalues, [0.01, 200.0])
    assert s.mu == 0.01 and s.L == 200.0 and s.condition_number == pytest.approx(2e4)
    np.testing.assert_array_equal(s.hessian(s.start), np.diag([0.01, 200.0]))
    assert s.value(s.start) == pytest.approx(1.5) and "200" in s.formula


def test_elongated_lr_1e2_bounces_between_the_walls_and_stalls():
    s = surfaces.elongated()
    theta = s.start.copy()
    path = []
    for _ in range(1000):
        theta = theta - 1e-2 * s.grad(theta)
        path.append(theta)
    path = np.array(path)
    steep, flat = path[:, 1], path[:, 0]
    # the steep coordinate still flips sign every step at the end, with undiminished amplitude
    assert np.all(np.sign(steep[-100:-1]) != np.sign(steep[-99:]))
    assert np.min(np.abs(steep[-100:])) > 0.099
    # the loss stalls (measured 1.5 -> 1.409) while the gradient norm stays large (measured 20.0)
    assert s.value(theta) > 0.9 * s.value(s.start)
    assert np.linalg.norm(s.grad(theta)) > 19.0
    # along the floor it is still far away: measured theta_1 = -9.05 of the start's -10
    assert flat[-1] < -9.0
    bounce_loss = s.value(theta) - s.value(np.array([flat[-1], 0.0]))
    assert bounce_loss == pytest.approx(1.0, rel=1e-6)  # 1/2 * 200 * 0.1^2, as at the start


def test_elongated_lr_1e7_slides_down_the_wall_but_crawls_along_the_floor():
    s = surfaces.elongated()
    theta = s.start.copy()
    steep_path = np.empty(100_000)
    for k in range(100_000):
        theta = theta - 1e-7 * s.grad(theta)
        steep_path[k] = theta[1]
    # no oscillation: the steep coordinate decreases monotonically, to e^-2 of its start (measured 0.0135)
    assert np.all(np.diff(steep_path) < 0) and np.all(steep_path > 0)
    assert steep_path[-1] == pytest.approx(0.1 * math.exp(-2), rel=1e-3)
    # the flat coordinate moved 0.001 of its 10 units (measured -9.9990)
    assert -10.0 < theta[0] < -9.99
    # so the distance to the minimum fell by less than 0.1 % (measured 0.015 %)
    assert np.linalg.norm(theta - s.minimum) > 0.999 * np.linalg.norm(s.start - s.minimum)


def test_elongated_lr_just_below_the_edge_decays_and_above_diverges():
    s = surfaces.elongated()
    assert abs(gd(s, 0.9e-2, 200)[1]) < 1e-6  # eta*lambda = 1.8: bounce decays by 0.8 per step
    assert abs(gd(s, 1.1e-2, 200)[1]) > 1e6  # eta*lambda = 2.2: grows by 1.2 per step


def test_elongated_rejects_non_positive_curvatures():
    with pytest.raises(ValueError, match="flat must be a number > 0"):
        surfaces.elongated(flat=0.0)
    with pytest.raises(ValueError, match="steep must be a number > 0"):
        surfaces.elongated(steep=-1)


# ---------------------------------------------------------------------------------------------
# Quadratics with a chosen condition number (C03.5)
# ---------------------------------------------------------------------------------------------
def test_quadratic_eigenvalues_are_exactly_one_and_kappa():
    for dim in (2, 3, 6):
        s = surfaces.quadratic(50.0, dim=dim, seed=0)
        assert s.eigenvalues[0] == 1.0 and s.eigenvalues[-1] == 50.0 and s.mu == 1.0 and s.L == 50.0
        assert np.all(np.diff(s.eigenvalues) > 0) and s.condition_number == 50.0
        np.testing.assert_allclose(np.linalg.eigvalsh(s.A), s.eigenvalues, rtol=1e-12)
        np.testing.assert_array_equal(s.A, s.A.T)
    np.testing.assert_allclose(surfaces.quadratic(16.0, dim=3).eigenvalues, [1.0, 4.0, 16.0])


def test_quadratic_rotation_by_angle_and_by_seed():
    plain = surfaces.quadratic(10.0)
    np.testing.assert_array_equal(plain.A, np.diag([1.0, 10.0]))
    np.testing.assert_array_equal(plain.start, [1.0, 1.0])
    assert plain.bounds == ((-1.5, 1.5), (-1.5, 1.5))
    turned = surfaces.quadratic(10.0, angle=math.pi / 2)
    np.testing.assert_allclose(turned.A, np.diag([10.0, 1.0]), atol=1e-14)
    a, b = surfaces.quadratic(10.0, dim=4, seed=7), surfaces.quadratic(10.0, dim=4, seed=7)
    np.testing.assert_array_equal(a.A, b.A)
    assert not np.allclose(a.A, surfaces.quadratic(10.0, dim=4, seed=8).A)
    assert not np.allclose(a.A, np.diag(np.diag(a.A)))
    assert a.bounds is None
    # the start excites every eigen-direction equally: |components in the eigenbasis| = 1
    _, vectors = np.linalg.eigh(a.A)
    np.testing.assert_allclose(np.abs(vectors.T @ a.start), 1.0, rtol=1e-12)


def test_quadratic_optimal_parameters_follow_the_formulas():
    s = surfaces.quadratic(100.0)
    lr, rate = s.optimal_gd()
    assert lr == pytest.approx(2 / 101) and rate == pytest.approx(99 / 101)
    lr, beta, rate = s.optimal_heavy_ball()
    assert lr == pytest.approx(4 / 121) and beta == pytest.approx((9 / 11) ** 2) and rate == pytest.approx(9 / 11)


def test_measured_gd_rate_matches_theory():
    s = surfaces.quadratic(30.0, angle=0.4)
    lr, rate = s.optimal_gd()
    theta = gd(s, lr, 100)
    measured = (np.linalg.norm(theta) / np.linalg.norm(s.start)) ** (1 / 100)
    assert measured == pytest.approx(rate, rel=1e-3)


def test_measured_heavy_ball_rate_matches_theory_within_5_percent():
    s = surfaces.quadratic(100.0, dim=5, seed=1)
    lr, beta, rate = s.optimal_heavy_ball()
    previous, theta = s.start.copy(), s.start.copy()
    norms = []
    for _ in range(400):
        previous, theta = theta, theta - lr * s.grad(theta) + beta * (theta - previous)
        norms.append(np.linalg.norm(theta))
    measured = (norms[399] / norms[199]) ** (1 / 200)
    assert measured == pytest.approx(rate, rel=0.05)
    assert measured < surfaces.quadratic(100.0).optimal_gd()[1]  # faster than the best plain GD


def test_quadratic_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"condition_number must be a number >= 1"):
        surfaces.quadratic(0.5)
    with pytest.raises(ValueError, match=r"condition_number"):
        surfaces.quadratic(math.inf)
    with pytest.raises(ValueError, match=r"dim must be an integer >= 2"):
        surfaces.quadratic(10, dim=1)
    with pytest.raises(ValueError, match="angle rotates a 2-D quadratic only"):
        surfaces.quadratic(10, dim=3, angle=0.1)
    with pytest.raises(ValueError, match="either angle .* or seed"):
        surfaces.quadratic(10, angle=0.1, seed=1)
    with pytest.raises(ValueError, match="angle must be a finite number"):
        surfaces.quadratic(10, angle=math.nan)


# ---------------------------------------------------------------------------------------------
# The lecture's y = w1 w2 x (C01.3) and the plain saddle
# ---------------------------------------------------------------------------------------------
def test_w1w2_lecture_numbers_exactly():
    s = surfaces.w1w2()
    origin = np.zeros(2)
    assert s.value(origin) == 1.0 and s.formula == r"L(w) = (1 - w_1 w_2)^2"
    np.testing.assert_array_equal(s.grad(origin), [0.0, 0.0])
    np.testing.assert_array_equal(s.hessian(origin), [[0.0, -2.0], [-2.0, 0.0]])
    eigenvalues, vectors = np.linalg.eigh(s.hessian(origin))
    np.testing.assert_allclose(eigenvalues, [-2.0, 2.0], atol=1e-15)
    np.testing.assert_allclose(np.abs(vectors[:, 0]), [1 / math.sqrt(2)] * 2, atol=1e-15)
    u = np.array([1.0, 1.0]) / math.sqrt(2)
    assert s.value(0.1 * u) < s.value(origin)  # stepping along u lowers L
    assert s.value(0.1 * np.array([1.0, -1.0])) > s.value(origin)


def test_w1w2_formulas_at_a_generic_point():
    s = surfaces.product_loss()
    w1, w2 = 0.7, -1.3
    theta = np.array([w1, w2])
    assert s.value(theta) == pytest.approx((1 - w1 * w2) ** 2)
    np.testing.assert_allclose(s.grad(theta), [2 * (1 - w1 * w2) * -w2, 2 * (1 - w1 * w2) * -w1])
    np.testing.assert_allclose(s.hessian(theta), [[2 * w2**2, -2 + 4 * w1 * w2], [-2 + 4 * w1 * w2, 2 * w1**2]])


def test_w1w2_minima_form_a_hyperbola():
    s = surfaces.w1w2()
    np.testing.assert_array_equal(s.minimum, [1.0, 1.0])
    assert s.best_product == 1.0 and s.min_value == 0.0
    w1 = np.linspace(-3, 3, 13)
    w1 = w1[w1 != 0]
    valley = np.stack([w1, 1 / w1], axis=-1)  # both branches
    np.testing.assert_allclose(s.value(valley), 0.0, atol=1e-15)
    np.testing.assert_allclose(s.grad(valley), 0.0, atol=1e-14)


def test_product_loss_with_several_samples():
    x, y_hat = np.array([1.0, 2.0, -0.5]), np.array([0.5, 2.5, 0.0])
    s = surfaces.product_loss(x, y_hat)
    p_star = (x @ y_hat) / (x @ x)
    assert s.best_product == pytest.approx(p_star)
    np.testing.assert_allclose(s.minimum, [math.sqrt(p_star)] * 2)
    assert s.min_value == pytest.approx(np.sum((y_hat - p_star * x) ** 2))
    theta = np.array([0.3, -0.8])
    assert s.value(theta) == pytest.approx(np.sum((y_hat - 0.3 * -0.8 * x) ** 2))
    assert r"\sum_n" in s.formula
    negative = surfaces.product_loss([1.0, 1.0], [-2.0, -2.0])
    np.testing.assert_allclose(negative.minimum, [math.sqrt(2), -math.sqrt(2)])
    assert negative.value(negative.minimum) == pytest.approx(0.0, abs=1e-15)


def test_product_loss_rejects_bad_data():
    with pytest.raises(ValueError, match="x must contain at least one non-zero input"):
        surfaces.product_loss(x=0.0)
    with pytest.raises(ValueError, match="y_hat has shape .* but x has shape"):
        surfaces.product_loss(x=[1.0, 2.0], y_hat=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="x must be a finite number"):
        surfaces.product_loss(x=[1.0, math.nan])
    with pytest.raises(ValueError, match="x must be a finite number or 1-D"):
        surfaces.product_loss(x=[[1.0, 2.0]], y_hat=[[1.0, 2.0]])
    with pytest.raises(ValueError, match="y_hat must be a finite number"):
        surfaces.product_loss(y_hat=math.inf)


def test_gradient_descent_from_the_w1w2_start_slows_down_near_the_saddle():
    s = surfaces.w1w2()
    theta, closest, slowest = s.start.copy(), np.inf, np.inf
    for _ in range(300):
        theta = theta - 0.05 * s.grad(theta)
        closest = min(closest, np.linalg.norm(theta))
        slowest = min(slowest, np.linalg.norm(s.grad(theta)))
    assert closest < 0.5 and slowest < 1.0  # passes the saddle with a small gradient
    assert s.value(theta) < 1e-6  # and still ends in a valley (w1 w2 = 1)


def test_saddle_surface():
    s = surfaces.saddle()
    assert s.minimum is None and s.condition_number == math.inf
    np.testing.assert_array_equal(s.hessian(np.zeros(2)), np.diag([2.0, -2.0]))
    assert s.value(np.array([1.0, 2.0])) == pytest.approx(1 - 4)
    with pytest.raises(ValueError, match="positive definite"):
        s.optimal_gd()
    with pytest.raises(ValueError, match="positive definite"):
        s.optimal_heavy_ball()
    theta = gd(s, 0.1, 100)
    assert abs(theta[1]) > 1.0 and abs(theta[0]) < 1e-6  # reached the saddle, then left along theta_2


# ---------------------------------------------------------------------------------------------
# Rosenbrock and Himmelblau
# ---------------------------------------------------------------------------------------------
def test_rosenbrock_known_values():
    s = surfaces.rosenbrock()
    np.testing.assert_array_equal(s.minimum, [1.0, 1.0])
    assert s.value(s.minimum) == 0.0 and s.value(np.zeros(2)) == 1.0
    np.testing.assert_array_equal(s.hessian(s.minimum), [[802.0, -400.0], [-400.0, 200.0]])
    np.testing.assert_array_equal(s.start, [-1.2, 1.0])
    other = surfaces.rosenbrock(a=2.0, b=5.0)
    np.testing.assert_array_equal(other.minimum, [2.0, 4.0])
    (x0, x1), (y0, y1) = other.bounds
    assert x0 < 2 < x1 and y0 < 4 < y1
    with pytest.raises(ValueError, match="b must be a number > 0"):
        surfaces.rosenbrock(b=0)
    with pytest.raises(ValueError, match="a must be a"):
        surfaces.rosenbrock(a="1")


def test_himmelblau_has_four_zero_minima_and_gd_from_start_reaches_3_2():
    s = surfaces.himmelblau()
    np.testing.assert_allclose(s.value(s.minima), 0.0, atol=1e-9)
    np.testing.assert_allclose(s.grad(s.minima), 0.0, atol=1e-4)
    np.testing.assert_allclose(gd(s, 0.005, 2000), [3.0, 2.0], atol=1e-6)


# ---------------------------------------------------------------------------------------------
# The 1-D momentum demo (C03.4)
# ---------------------------------------------------------------------------------------------
def test_bumpy_landmarks():
    s = surfaces.bumpy_1d()
    local, best = np.array([s.LOCAL_MINIMUM]), s.minimum
    for point in (local, best):
        assert abs(s.grad(point)[0]) < 1e-5 and s.hessian(point)[0, 0] > 0
    assert s.value(best) < s.value(local) - 0.5  # measured -0.995 vs -0.295
    plateau = np.linspace(-0.45, 1.5, 400)[:, None]
    assert np.max(np.abs(s.grad(plateau))) < 1e-2
    assert np.max(np.abs(s.grad(np.linspace(-0.25, 1.25, 400)[:, None]))) < 1e-3
    assert s.value(s.start) > 1.9  # starts high on the slope
    x, y = s.grid(2000)
    is_min = (y[1:-1] < y[:-2]) & (y[1:-1] < y[2:])
    np.testing.assert_allclose(x[1:-1][is_min], [s.LOCAL_MINIMUM, best[0]], atol=5e-3)  # exactly two minima


@pytest.mark.parametrize("lr", [0.01, 0.05, 0.1, 0.2])
def test_bumpy_gradient_descent_stops_in_the_local_minimum(lr):
    s = surfaces.bumpy_1d()
    assert gd(s, lr, 3000)[0] == pytest.approx(s.LOCAL_MINIMUM, abs=1e-3)


def test_bumpy_gradient_descent_crawls_on_the_plateau():
    s = surfaces.bumpy_1d()
    assert abs(gd(s, 0.1, 1000, start=[0.5])[0] - 0.5) < 1e-3


@pytest.mark.parametrize("lr", [0.07, 0.1, 0.15, 0.2])
def test_bumpy_momentum_rolls_over_to_the_global_minimum(lr):
    s = surfaces.bumpy_1d()
    assert heavy_ball(s, lr, 0.9, 3000)[0] == pytest.approx(s.minimum[0], abs=1e-3)


def test_bumpy_too_little_momentum_stops_early():
    s = surfaces.bumpy_1d()
    coasted = heavy_ball(s, 0.1, 0.85, 3000)[0]
    assert -0.45 < coasted < 1.5  # stranded on the plateau (measured 0.68)
    assert -0.45 < heavy_ball(s, 0.05, 0.9, 1000)[0] < 1.5  # measured 1.02; crawls on, falls in after ~4000
    assert heavy_ball(s, 0.02, 0.9, 3000)[0] == pytest.approx(s.LOCAL_MINIMUM, abs=1e-3)


# ---------------------------------------------------------------------------------------------
# Reddi et al.'s online problem (C06.2)
# ---------------------------------------------------------------------------------------------
def test_reddi_losses_follow_the_paper_with_0_based_steps():
    s = surfaces.reddi_online(C=3)
    x = np.array([0.5])
    # paper's t = 1, 2, 3, 4 are the course's steps 0, 1, 2, 3
    assert [s.value(x, step=k) for k in range(4)] == [1.5, -0.5, -0.5, 1.5]
    assert [s.grad(x, step=k)[0] for k in range(4)] == [3.0, -1.0, -1.0, 3.0]
    assert s.value(x) == pytest.approx(0.5 / 3) == s.average_value(x)
    np.testing.assert_array_equal(s.hessian(x, step=0), [[0.0]])
    np.testing.assert_array_equal(s.minimum, [-1.0])
    assert s.bounds == (-1.0, 1.0)
    np.testing.assert_array_equal(s.project(np.array([[-3.0], [0.2], [1.5]])), [[-1.0], [0.2], [1.0]])
    steps = np.arange(6)
    np.testing.assert_array_equal(s.grad(np.zeros((6, 1)), step=steps)[:, 0], [3, -1, -1, 3, -1, -1])
    assert s.slope(None) == pytest.approx(1 / 3)


def test_reddi_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"C must be a number > 2"):
        surfaces.reddi_online(C=2)
    s = surfaces.reddi_online()
    with pytest.raises(ValueError, match="step must be an integer >= 0"):
        s.value(np.zeros(1), step=-1)
    with pytest.raises(ValueError, match="step must be an integer"):
        s.grad(np.zeros(1), step=1.5)
    with pytest.raises(ValueError, match="step must be a non-negative integer or integer array"):
        s.hessian(np.zeros((2, 1)), step=np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"path must have shape \(T, \.\.\., 1\)"):
        s.regret(np.zeros(1))


def _adam(surface, amsgrad, steps=3000, alpha=0.5):
    """Reddi et al.'s setting: beta1 = 0, beta2 = 1/(1+C^2), alpha_t = alpha/sqrt(t), projection."""
    beta2 = 1 / (1 + surface.C**2)
    x, v, v_max, path = surface.start.copy(), 0.0, 0.0, []
    for k in range(steps):
        path.append(x)
        g = surface.grad(x, step=k)
        v = beta2 * v + (1 - beta2) * g**2
        v_max = np.maximum(v_max, v)
        x = surface.project(x - alpha / math.sqrt(k + 1) * g / np.sqrt(v_max if amsgrad else v))
    return x, np.array(path)


@pytest.mark.parametrize("C", [3.0, 5.0])
def test_adam_converges_to_the_wrong_end_and_amsgrad_to_the_minimum(C):
    s = surfaces.reddi_online(C)
    adam_x, adam_path = _adam(s, amsgrad=False)
    ams_x, ams_path = _adam(s, amsgrad=True)
    assert adam_x[0] == 1.0  # the worst point of the average loss
    assert ams_x[0] < -0.99  # measured -0.998 (C = 3)
    # average regret: Adam's stays near 2(C-2)/3, AMSGrad's goes to zero
    assert s.regret(adam_path) / len(adam_path) > 0.9 * 2 * (C - 2) / 3
    assert s.regret(ams_path) / len(ams_path) < 0.05
    many = np.stack([adam_path, ams_path], axis=1)  # (T, runs, 1): one regret per run
    np.testing.assert_allclose(s.regret(many), [s.regret(adam_path), s.regret(ams_path)])
