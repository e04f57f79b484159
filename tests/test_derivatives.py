"""Finite differences, derivative checks, and the eigen-story of critical points.

Includes the finite-difference check of every analytic gradient and Hessian in course_utils.surfaces.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils import derivatives as D
from course_utils import surfaces

unit = st.floats(0.0, 1.0, allow_nan=False)


def _static_and_online_surfaces():
    found = {name: factory() for name, factory in surfaces.ALL.items()}
    found["w1w2 (3 samples)"] = surfaces.product_loss([1.0, 2.0, -0.5], [0.5, 2.5, 0.0])
    found["quadratic 4-D"] = surfaces.quadratic(30.0, dim=4, seed=3)
    found["rosenbrock a=-1 b=10"] = surfaces.rosenbrock(-1.0, 10.0)
    return found


SURFACES = _static_and_online_surfaces()


def _point_in_bounds(surface, fractions):
    """Map numbers in [0, 1] into the surface's plotting window (or [-2, 2] without one)."""
    bounds = surface.bounds
    if bounds is None:
        bounds = [(-2.0, 2.0)] * surface.dim
    elif surface.dim == 1:
        bounds = [bounds]
    return np.array([lo + f * (hi - lo) for (lo, hi), f in zip(bounds, fractions)])


def _tolerance(surface, theta, step):
    # central differences at eps=1e-6: rounding ~ 1e-16 |L| / 1e-6, truncation ~ 1e-12 |L'''|
    return 1e-7 * (1.0 + abs(float(surface.value(theta, step))))


# ---------------------------------------------------------------------------------------------
# Every surface: analytic gradient and Hessian == finite differences at random points
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(SURFACES))
@settings(max_examples=40, deadline=None)
@given(fractions=st.lists(unit, min_size=4, max_size=4), step=st.integers(0, 5))
def test_analytic_gradient_matches_finite_differences(name, fractions, step):
    s = SURFACES[name]
    theta = _point_in_bounds(s, fractions)
    numeric = D.numerical_grad(lambda th: s.value(th, step), theta)
    np.testing.assert_allclose(s.grad(theta, step), numeric, rtol=1e-6, atol=_tolerance(s, theta, step))


@pytest.mark.parametrize("name", sorted(SURFACES))
@settings(max_examples=40, deadline=None)
@given(fractions=st.lists(unit, min_size=4, max_size=4), step=st.integers(0, 5))
def test_analytic_hessian_matches_finite_differences_of_the_gradient(name, fractions, step):
    s = SURFACES[name]
    theta = _point_in_bounds(s, fractions)
    numeric = D.numerical_hessian(theta=theta, grad=lambda th: s.grad(th, step))
    scale = 1e-7 * (1.0 + float(np.max(np.abs(s.grad(theta, step)))) + float(np.max(np.abs(s.hessian(theta, step)))))
    np.testing.assert_allclose(s.hessian(theta, step), numeric, rtol=1e-6, atol=scale)


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_grad_and_hessian_check_pass_on_every_surface(name):
    s = SURFACES[name]
    theta = _point_in_bounds(s, [0.3, 0.6, 0.45, 0.8])
    assert D.grad_check(s.value, s.grad, theta) < 1e-5
    assert D.hessian_check(None, s.hessian, theta, grad=s.grad) < 1e-5
    assert D.hessian_check(s.value, s.hessian, theta) < 1e-3  # second differences of f: noisier


def test_vectorised_finite_differences_on_many_points():
    s = surfaces.rosenbrock()
    theta = np.random.default_rng(0).uniform(-1.5, 1.5, (10, 2))
    np.testing.assert_allclose(D.numerical_grad(s.value, theta), s.grad(theta), rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(D.numerical_hessian(theta=theta, grad=s.grad), s.hessian(theta), rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(D.numerical_hessian(s.value, theta), s.hessian(theta), rtol=1e-4, atol=1e-2)


# ---------------------------------------------------------------------------------------------
# numerical_grad / numerical_hessian / checks
# ---------------------------------------------------------------------------------------------
def test_numerical_grad_of_a_plain_python_function():
    def f(theta):  # not vectorised: a (3,) point to a number
        x, y, z = theta
        return math.sin(x) * y + z**3

    theta = [0.3, -1.2, 0.7]
    expected = [math.cos(0.3) * -1.2, math.sin(0.3), 3 * 0.7**2]
    np.testing.assert_allclose(D.numerical_grad(f, theta), expected, rtol=1e-9)
    H = D.numerical_hessian(f, theta)
    np.testing.assert_allclose(
        H, [[-math.sin(0.3) * -1.2, math.cos(0.3), 0], [math.cos(0.3), 0, 0], [0, 0, 6 * 0.7]], atol=1e-6
    )
    np.testing.assert_array_equal(H, H.T)


def test_error_of_central_differences_falls_like_eps_squared():
    f, theta = (lambda th: np.exp(th[0])), np.array([0.5])
    errors = [abs(D.numerical_grad(f, theta, eps)[0] - math.exp(0.5)) for eps in (1e-1, 1e-2)]
    assert errors[0] / errors[1] == pytest.approx(100, rel=0.01)


def test_grad_check_catches_wrong_gradients():
    s = surfaces.rosenbrock()
    theta = np.array([0.3, 0.8])
    assert D.grad_check(s.value, s.grad, theta) < 1e-8
    assert D.grad_check(s.value, lambda th: 1.01 * s.grad(th), theta) == pytest.approx(0.01 / 2.01, rel=1e-4)
    assert D.grad_check(s.value, lambda th: s.grad(th)[::-1], theta) > 0.5
    assert D.hessian_check(None, lambda th: s.hessian(th) + 1e-3 * np.eye(2), theta, grad=s.grad) > 1e-6
    assert D.hessian_check(None, lambda th: -s.hessian(th), theta, grad=s.grad) == pytest.approx(1.0)


def test_grad_check_floor_ignores_components_that_are_zero_up_to_rounding():
    f = lambda th: 1e3 + th[0] ** 2 + 0.0 * th[1]  # noqa: E731  (d/dtheta_2 is exactly 0)
    grad = lambda th: np.array([2 * th[0], 0.0])  # noqa: E731
    theta = np.array([0.1, 0.2])
    assert D.grad_check(f, grad, theta, floor=1e-6) < 1e-4
    with pytest.raises(ValueError, match="floor must be a number > 0"):
        D.grad_check(f, grad, theta, floor=0)


@pytest.mark.parametrize("eps", [0, -1e-6, math.nan, math.inf, "1e-6"])
def test_non_positive_or_non_finite_eps_is_rejected(eps):
    f, grad = surfaces.saddle().value, surfaces.saddle().grad
    with pytest.raises(ValueError, match="eps must be a"):
        D.numerical_grad(f, np.zeros(2), eps=eps)
    with pytest.raises(ValueError, match="eps must be a"):
        D.numerical_hessian(f, np.zeros(2), eps=eps)
    with pytest.raises(ValueError, match="eps must be a"):
        D.numerical_hessian(theta=np.zeros(2), grad=grad, eps=eps)


def test_missing_or_bad_arguments():
    with pytest.raises(ValueError, match="theta is required"):
        D.numerical_hessian(surfaces.saddle().value)
    with pytest.raises(ValueError, match="give f .* or grad="):
        D.numerical_hessian(theta=np.zeros(2))
    with pytest.raises(ValueError, match="theta must be an array of numbers"):
        D.numerical_grad(lambda th: 0.0, 1.0)
    with pytest.raises(ValueError, match="theta must be an array of numbers"):
        D.numerical_grad(lambda th: 0.0, np.array(["a"]))
    with pytest.raises(ValueError, match="analytic derivative has shape .* but numerical derivative has shape"):
        D.grad_check(lambda th: th[0], lambda th: np.zeros(3), np.zeros(2))


# ---------------------------------------------------------------------------------------------
# The lecture's saddle (C01.3) and classification (C01.2)
# ---------------------------------------------------------------------------------------------
def test_lecture_saddle_numbers_from_finite_differences():
    s = surfaces.w1w2()
    origin = np.zeros(2)
    np.testing.assert_allclose(D.numerical_grad(s.value, origin), [0.0, 0.0], atol=1e-10)
    np.testing.assert_allclose(D.numerical_hessian(s.value, origin), [[0, -2], [-2, 0]], atol=1e-7)
    np.testing.assert_allclose(D.numerical_hessian(theta=origin, grad=s.grad), [[0, -2], [-2, 0]], atol=1e-9)
    eigenvalues, vectors = D.eigen_directions(s.hessian(origin))
    np.testing.assert_allclose(eigenvalues, [-2.0, 2.0], atol=1e-15)
    np.testing.assert_allclose(vectors[:, 0], np.array([1.0, 1.0]) / math.sqrt(2), atol=1e-15)
    np.testing.assert_allclose(vectors[:, 1], np.array([1.0, -1.0]) / math.sqrt(2), atol=1e-15)
    assert D.classify_critical_point(s.hessian(origin)) == "saddle point"
    assert D.minimum_ratio(s.hessian(origin)) == 0.5
    u = D.escape_direction(s.hessian(origin))
    np.testing.assert_allclose(u, np.array([1.0, 1.0]) / math.sqrt(2), atol=1e-15)
    for r in (0.01, 0.1, 0.5):  # L(r u) = (1 - r^2/2)^2 < 1, and the quadratic model says 1 - r^2
        assert s.value(r * u) < s.value(origin)
    # the valley of minima is degenerate: zero curvature along the hyperbola
    assert D.classify_critical_point(s.hessian(s.minimum)) == "degenerate"


@pytest.mark.parametrize(
    "H, expected, ratio",
    [
        (np.diag([1.0, 2.0]), "local minimum", 1.0),
        (np.diag([-1.0, -2.0, -0.5]), "local maximum", 0.0),
        (np.diag([3.0, -1.0, 2.0]), "saddle point", 2 / 3),
        (np.diag([0.0, 1.0]), "degenerate", 0.5),
        (np.diag([0.0, -1.0]), "degenerate", 0.0),
        (np.zeros((3, 3)), "degenerate", 0.0),
        (np.diag([0.0, 1.0, -1.0]), "saddle point", 1 / 3),
        (np.diag([1e-9, 1.0]), "degenerate", 0.5),
        ([[2.0, 1.0], [1.0, 2.0]], "local minimum", 1.0),
        ([[1.0, 2.0], [2.0, 1.0]], "saddle point", 0.5),
        ([[5.0]], "local minimum", 1.0),
    ],
)
def test_classification_of_known_cases(H, expected, ratio):
    assert D.classify_critical_point(H) == expected
    assert D.minimum_ratio(H) == pytest.approx(ratio)


def test_tolerance_decides_what_counts_as_zero():
    H = np.diag([1e-9, 1.0])
    assert D.classify_critical_point(H, tol=0.0) == "local minimum"
    assert D.classify_critical_point(H, tol=1e-6) == "degenerate"
    assert D.minimum_ratio(H, tol=0.0) == 1.0


def test_classification_of_the_surfaces_critical_points():
    assert D.classify_critical_point(surfaces.saddle().hessian(np.zeros(2))) == "saddle point"
    assert D.classify_critical_point(surfaces.rosenbrock().hessian(np.ones(2))) == "local minimum"
    himmelblau = surfaces.himmelblau()
    assert D.classify_critical_point(himmelblau.hessian(np.array([-0.270845, -0.923039]))) == "local maximum"
    for minimum in himmelblau.minima:
        assert D.classify_critical_point(himmelblau.hessian(minimum)) == "local minimum"
    # every eigenvalue of the elongated bowl is positive, however flat
    assert D.classify_critical_point(surfaces.elongated().hessian(np.zeros(2))) == "local minimum"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-10, 10, allow_nan=False), min_size=1, max_size=5), st.integers(0, 2**32 - 1))
def test_classification_is_invariant_under_rotation(eigenvalues, seed):
    eigenvalues = np.array(eigenvalues)
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((eigenvalues.size,) * 2))
    H = q @ np.diag(eigenvalues) @ q.T
    tol = 1e-6
    near_edge = np.any(np.abs(np.abs(eigenvalues) - tol) < 1e-9)
    if not near_edge:
        assert D.classify_critical_point(H, tol) == D.classify_critical_point(np.diag(eigenvalues), tol)
        assert D.minimum_ratio(H, tol) == np.mean(eigenvalues > tol)
    found, vectors = D.eigen_directions(H)
    np.testing.assert_allclose(found, np.sort(eigenvalues), atol=1e-9)
    np.testing.assert_allclose(vectors.T @ vectors, np.eye(eigenvalues.size), atol=1e-9)
    np.testing.assert_allclose(H @ vectors, vectors * found, atol=1e-8)


def test_escape_direction_lowers_the_loss_and_refuses_without_negative_curvature():
    s = surfaces.saddle()
    u = D.escape_direction(s.hessian(np.zeros(2)))
    np.testing.assert_array_equal(u, [0.0, 1.0])
    assert s.value(0.1 * u) < 0 and s.value(-0.1 * u) < 0
    with pytest.raises(ValueError, match="no negative eigenvalue"):
        D.escape_direction(np.diag([1.0, 0.0]))
    with pytest.raises(ValueError, match="no negative eigenvalue"):
        D.escape_direction(np.diag([1.0, -1e-12]))


@pytest.mark.parametrize("bad", [np.zeros((2, 3)), np.zeros(3), np.zeros((0, 0)), [[1.0, math.nan], [0.0, 1.0]]])
def test_bad_hessians_are_rejected(bad):
    for fn in (D.classify_critical_point, D.minimum_ratio, D.eigen_directions, D.escape_direction):
        with pytest.raises(ValueError, match="H must be"):
            fn(bad)


def test_negative_tolerance_is_rejected():
    for fn in (D.classify_critical_point, D.minimum_ratio, D.escape_direction):
        with pytest.raises(ValueError, match="tol must be a number >= 0"):
            fn(np.eye(2), tol=-1.0)


def test_non_symmetric_input_is_symmetrised():
    assert D.classify_critical_point([[1.0, 4.0], [0.0, 1.0]]) == "saddle point"  # sym part [[1,2],[2,1]]


# ---------------------------------------------------------------------------------------------
# Taylor's error shrinks like r^3 (C01.1)
# ---------------------------------------------------------------------------------------------
def test_taylor_error_shrinks_like_r_cubed():
    s = surfaces.rosenbrock()
    radii = np.logspace(-3, -1, 9)
    errors = D.taylor_error(s.value, s.grad, s.hessian, np.array([0.4, -0.3]), [1.0, 2.0], radii)
    assert D.loglog_slope(radii, errors) == pytest.approx(3.0, abs=0.05)
    assert np.all(np.diff(errors) > 0)


def test_taylor_error_on_the_lecture_surface():
    s = surfaces.w1w2()
    radii = np.logspace(-3, -1, 5)
    errors = D.taylor_error(s.value, s.grad, s.hessian, np.array([0.5, 0.8]), [1.0, -0.3], radii)
    assert D.loglog_slope(radii, errors) == pytest.approx(3.0, abs=0.05)
    # at the saddle along u the cubic term vanishes: L(r u) = (1 - r^2/2)^2, error r^4/4
    errors = D.taylor_error(s.value, s.grad, s.hessian, np.zeros(2), [1.0, 1.0], radii)
    np.testing.assert_allclose(errors, radii**4 / 4, rtol=1e-6, atol=1e-15)


def test_taylor_model_is_exact_on_a_quadratic():
    s = surfaces.quadratic(10.0, angle=0.3)
    errors = D.taylor_error(s.value, s.grad, s.hessian, np.array([0.2, -0.7]), [3.0, 4.0], [0.1, 1.0, 5.0])
    assert np.max(errors) < 1e-12


def test_taylor_error_rejects_bad_inputs():
    s = surfaces.rosenbrock()
    args = (s.value, s.grad, s.hessian, np.zeros(2))
    with pytest.raises(ValueError, match="direction must be a finite non-zero vector"):
        D.taylor_error(*args, [0.0, 0.0], [0.1])
    with pytest.raises(ValueError, match="direction has shape"):
        D.taylor_error(*args, [1.0, 0.0, 0.0], [0.1])
    with pytest.raises(ValueError, match="radii must be a 1-D array of positive numbers"):
        D.taylor_error(*args, [1.0, 0.0], [0.1, -0.1])
    with pytest.raises(ValueError, match="radii must be"):
        D.taylor_error(*args, [1.0, 0.0], [])


def test_loglog_slope():
    x = np.logspace(0, 2, 7)
    assert D.loglog_slope(x, 3 * x**2.5) == pytest.approx(2.5)
    with pytest.raises(ValueError, match="x and y must be 1-D arrays of at least two positive numbers"):
        D.loglog_slope([1.0, 2.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="y has shape"):
        D.loglog_slope([1.0, 2.0], [1.0])
