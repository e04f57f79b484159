"""course_utils.critical: converging many runs to critical points, and counting the spectrum there."""

import numpy as np
import pytest

from course_utils import critical, surfaces


def _linear_least_squares(seed=0, runs=3, n=20, dim=4):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((runs, n, dim))
    b = rng.standard_normal((runs, n))

    def residual_jacobian(theta):
        return np.einsum("knd,kd->kn", A, theta) - b, A

    return A, b, residual_jacobian


def _rosenbrock_residuals(theta):
    """Rosenbrock as residuals: r = [10 (y - x²), 1 - x], minimum at (1, 1)."""
    x, y = theta[:, 0], theta[:, 1]
    r = np.stack([10 * (y - x**2), 1 - x], axis=1)
    J = np.zeros(theta.shape[:1] + (2, 2))
    J[:, 0, 0], J[:, 0, 1], J[:, 1, 0] = -20 * x, 10.0, -1.0
    return r, J


def test_lm_solves_linear_least_squares_with_and_without_weight_decay():
    A, b, rj = _linear_least_squares()
    for alpha in [0.0, 0.3]:
        theta, loss = critical.levenberg_marquardt(rj, np.zeros((3, 4)), 60, weight_decay=alpha)
        n = A.shape[1]
        for k in range(3):  # normal equations of (1/n)|A θ - b|² + α|θ|²
            exact = np.linalg.solve(A[k].T @ A[k] / n + alpha * np.eye(4), A[k].T @ b[k] / n)
            np.testing.assert_allclose(theta[k], exact, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(loss, np.mean(rj(theta)[0] ** 2, axis=1) + alpha * np.sum(theta**2, axis=1))


def test_lm_reaches_the_rosenbrock_minimum_from_many_starts_and_never_raises_the_loss():
    starts = np.array([[-1.2, 1.0], [0.0, 0.0], [2.0, -1.0], [-0.5, 2.5]])
    theta, loss = critical.levenberg_marquardt(_rosenbrock_residuals, starts, 200, mean=False)
    np.testing.assert_allclose(theta, np.ones_like(starts), atol=1e-8)
    assert np.all(loss < 1e-16)
    start_loss = np.sum(_rosenbrock_residuals(starts)[0] ** 2, axis=1)
    short, short_loss = critical.levenberg_marquardt(_rosenbrock_residuals, starts, 3, mean=False)
    assert np.all(short_loss <= start_loss)
    assert np.all(starts == np.array([[-1.2, 1.0], [0.0, 0.0], [2.0, -1.0], [-0.5, 2.5]]))  # input untouched


def test_zero_steps_return_the_start():
    _, _, rj = _linear_least_squares()
    start = np.ones((3, 4))
    theta, _ = critical.levenberg_marquardt(rj, start, 0)
    np.testing.assert_array_equal(theta, start)


def test_newton_polish_finds_saddles_too():
    s = surfaces.himmelblau()
    near_saddle = np.array([[-3.0, -0.1], [0.1, 2.9], [3.4, 0.1]])  # next to three of its four saddles
    theta, norm = critical.newton_polish(s.grad, s.hessian, near_saddle, 30)
    assert np.all(norm < 1e-10)
    np.testing.assert_allclose(np.linalg.norm(s.grad(theta), axis=1), norm)
    eigenvalues = np.linalg.eigvalsh(s.hessian(theta))
    assert np.all(eigenvalues[:, 0] < 0) and np.all(eigenvalues[:, 1] > 0)  # saddles, not minima


def test_newton_polish_never_raises_the_gradient_norm():
    s = surfaces.w1w2()
    start = np.random.default_rng(0).uniform(-2, 2, (50, 2))
    theta, norm = critical.newton_polish(s.grad, s.hessian, start, 5)
    assert np.all(norm <= np.linalg.norm(s.grad(start), axis=1) + 1e-15)


def test_spectrum_counts_relative_to_the_largest_eigenvalue():
    lam = np.array([[-1e-3, -1e-7, 0.0, 2e-7, 0.5, 10.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]])
    neg, flat, pos = critical.spectrum_counts(lam, 1e-5)
    np.testing.assert_array_equal(neg, [1, 0])
    np.testing.assert_array_equal(flat, [3, 0])
    np.testing.assert_array_equal(pos, [2, 6])
    neg, flat, pos = critical.spectrum_counts(lam[0], 0.0)  # c = 0: only exact zeros are flat
    assert (neg, flat, pos) == (2, 1, 3)


@pytest.mark.parametrize(
    "call, match",
    [
        (
            lambda: critical.levenberg_marquardt(lambda t: (t, t[:, :, None]), np.zeros(3), 1),
            "theta must be an array of shape",
        ),
        (lambda: critical.levenberg_marquardt(lambda t: (t, t[:, :, None]), np.zeros((2, 2)), -1), "steps"),
        (
            lambda: critical.levenberg_marquardt(lambda t: (t, t[:, :, None]), np.zeros((2, 2)), 1, weight_decay=-1),
            "weight_decay",
        ),
        (lambda: critical.levenberg_marquardt(lambda t: (t, t[:, :, None]), np.zeros((2, 2)), 1, mu=0), "mu"),
        (lambda: critical.levenberg_marquardt(lambda t: (t, t), np.zeros((2, 2)), 1), "residual_jacobian must return"),
        (lambda: critical.newton_polish(lambda t: t[:, :1], lambda t: t, np.zeros((2, 2)), 1), "grad must return"),
        (lambda: critical.newton_polish(lambda t: t, lambda t: t, np.zeros((2, 2)), 1), "hess must return"),
        (lambda: critical.newton_polish(lambda t: t, lambda t: t, np.full((2, 2), np.nan), 1), "finite"),
        (lambda: critical.spectrum_counts(np.array([1.0, np.inf]), 1e-5), "finite"),
        (lambda: critical.spectrum_counts(np.zeros((2, 0)), 1e-5), "last axis"),
        (lambda: critical.spectrum_counts(np.ones(3), -1.0), "rel_tol"),
        (lambda: critical.spectrum_counts("abc", 1e-5), "eigenvalues must be"),
    ],
)
def test_bad_arguments_raise_value_errors_that_name_them(call, match):
    with pytest.raises(ValueError, match=match):
        call()
