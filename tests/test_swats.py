"""course_utils.optim.SWATS: Adam, the projected SGD rate, the switch, and the SGD phase, against the paper's formulas."""

import numpy as np
import pytest

from course_utils import optim
from course_utils.optim.swats import SWATS

A = np.diag([1.0, 4.0, 0.25, 9.0])  # a quadratic L = 1/2 θᵀAθ - bᵀθ, gradient Aθ - b
B = np.array([1.0, -2.0, 0.5, 3.0])


def grad(theta):
    return theta @ A - B


def reference(theta, steps, lr, beta1=0.9, beta2=0.999, eps=1e-8, tol=1e-9):
    """SWATS for one run, written from Keskar & Socher's Algorithm 1 (with torch's ε placement)."""
    theta, m, v, b = theta.copy(), np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta)
    running, rate, switched_at = 0.0, None, 0
    for k in range(1, steps + 1):
        g = grad(theta)
        if rate is not None:  # SGD phase
            b = beta1 * b + g
            theta = theta - (1 - beta1) * rate * b
            continue
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        p = -lr * (m / (1 - beta1**k)) / (np.sqrt(v / (1 - beta2**k)) + eps)
        theta = theta + p
        if p @ g != 0:
            gamma = (p @ p) / -(p @ g)
            running = beta2 * running + (1 - beta2) * gamma
            estimate = running / (1 - beta2**k)
            if k > 1 and estimate > 0 and abs(estimate - gamma) < tol:
                rate, switched_at = estimate, k
    return theta, switched_at, rate


def run(opt, theta, steps):
    theta = theta.copy()
    for _ in range(steps):
        opt.step(theta, grad(theta))
    return theta


def test_adam_until_the_switch():
    start = np.zeros(4)
    opt = SWATS(lr=0.01, switch_tol=1e-12)
    theta = run(opt, start, 30)
    assert opt.switched_at[0] == 0
    np.testing.assert_allclose(theta, run(optim.Adam(lr=0.01), start, 30), rtol=1e-12)


@pytest.mark.parametrize(
    "tol, start", [(1e-3, [0.5, -0.5, 1.0, 0.0]), (1e-2, [0.0, 0.0, 0.0, 0.0]), (1e-2, [0.5, -0.5, 1.0, 0.0])]
)
def test_matches_the_papers_algorithm_across_the_switch(tol, start):
    start = np.array(start)
    expected, switched_at, rate = reference(start, 1200, lr=0.05, tol=tol)
    opt = SWATS(lr=0.05, switch_tol=tol)
    theta = run(opt, start, 1200)
    assert 1 < switched_at < 1100, "the test problem must switch within the run"
    assert opt.switched_at[0] == switched_at
    # SWATS measures Adam's step as a difference of parameters: near the minimum the steps are ~1e-12 of θ,
    # so γ_k carries rounding of order ulp(θ) / |p_k| (the reference computes p_k directly)
    np.testing.assert_allclose(opt.sgd_lr[0], rate, rtol=1e-3)
    np.testing.assert_allclose(theta, expected, rtol=1e-6, atol=1e-9)


def test_sgd_phase_is_sgd_with_momentum_at_the_settled_rate():
    start = np.array([0.5, -0.5, 1.0, 0.0])
    opt = SWATS(lr=0.05, switch_tol=1e-2)
    theta = start.copy()
    while opt.switched_at[0] == 0 if opt.t else True:
        opt.step(theta, grad(theta))
    sgd = optim.SGD(lr=(1 - 0.9) * opt.sgd_lr[0], momentum=0.9)
    np.testing.assert_allclose(run(opt, theta, 50), run(sgd, theta, 50), rtol=1e-12)
    np.testing.assert_allclose(opt.current_lr(), [(1 - 0.9) * opt.sgd_lr[0]])


def test_projected_rate_of_a_plain_sgd_like_step():
    # one parameter: Adam's first step is -lr * sign(g), so gamma_1 = lr / |g|
    opt = SWATS(lr=0.1)
    theta = np.array([2.0])
    opt.step(theta, np.array([4.0]))
    np.testing.assert_allclose(opt.projected_rate, [0.1 / 4.0], rtol=1e-6)
    np.testing.assert_allclose(opt.settled_rate, [0.1 / 4.0], rtol=1e-6)


def test_runs_are_independent_rows():
    starts = np.array([[0.5, -0.5, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0], [3.0, 1.0, -1.0, 2.0]])
    together = SWATS(lr=0.05, switch_tol=1e-3)
    thetas = starts.copy()
    for _ in range(1000):
        together.step(thetas, grad(thetas))
    for row, start in enumerate(starts):
        alone = SWATS(lr=0.05, switch_tol=1e-3)
        np.testing.assert_allclose(thetas[row], run(alone, start, 1000), rtol=1e-12)
        assert together.switched_at[row] == alone.switched_at[0]
    assert len(set(together.switched_at)) > 1, "the rows should switch at different steps"


def test_reset_and_repr():
    opt = SWATS(lr=0.05, switch_tol=1e-2)
    first = run(opt, np.ones(4), 100)
    opt.reset()
    assert opt.t == 0 and opt.sgd == {}
    np.testing.assert_array_equal(run(opt, np.ones(4), 100), first)
    assert "SWATS(lr=0.05" in repr(opt)
    assert optim.SWATS is SWATS


@pytest.mark.parametrize(
    "kwargs, word",
    [
        ({"switch_tol": 0}, "switch_tol"),
        ({"switch_tol": -1}, "switch_tol"),
        ({"betas": (0.9, 1.0)}, "betas"),
        ({"lr": -1}, "lr"),
        ({"eps": 0}, "eps"),
    ],
)
def test_bad_hyper_parameters(kwargs, word):
    with pytest.raises(ValueError, match=word):
        SWATS(**kwargs)


def test_bad_arrays():
    opt = SWATS()
    with pytest.raises(ValueError, match="params"):
        opt.step(np.array(1.0), np.array(1.0))
    with pytest.raises(ValueError, match="grads"):
        opt.step(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="params"):
        opt.step([1.0], [1.0])
    opt.step(np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match="shape"):
        opt.step(np.zeros(4), np.ones(4))


def test_learning_rate_per_run():
    lrs = np.array([[0.01], [0.05]])
    opt = SWATS(lr=lrs, switch_tol=1e-12)
    thetas = np.zeros((2, 4))
    for _ in range(20):
        opt.step(thetas, grad(thetas))
    np.testing.assert_allclose(opt.current_lr(), [0.01, 0.05])
    np.testing.assert_allclose(thetas[1], run(optim.Adam(lr=0.05), np.zeros(4), 20), rtol=1e-12)
