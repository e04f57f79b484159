"""course_utils.optim: golden trajectories from torch 2.13, the lecture variants, batched runs, bad input.

The fixtures come from tools/make_reference.py (torch in a private venv); this file needs numpy only.
"""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from course_utils import optim, schedules

FIXTURES = Path(__file__).parent / "fixtures"
INDEX = json.loads((FIXTURES / "torch_optim.json").read_text())
DATA = np.load(FIXTURES / "torch_optim.npz")
A, B, THETA0 = DATA["problem/a"], DATA["problem/b"], DATA["problem/theta0"]
CASES = {case["name"]: case for case in INDEX["cases"]}
RTOL = 1e-6

# one small configuration of every optimizer, exercising its options (used by the property tests)
EVERY_OPTIMIZER = {
    "SGD": lambda lr=0.05: optim.SGD(lr=lr, momentum=0.9, weight_decay=0.01),
    "SGD-nesterov-lecture": lambda lr=0.05: optim.SGD(lr=lr, momentum=0.9, nesterov=True, momentum_form="lecture"),
    "SGDW": lambda lr=0.05: optim.SGDW(lr=lr, momentum=0.5, dampening=0.2, weight_decay=0.1),
    "Adagrad": lambda lr=0.3: optim.Adagrad(lr=lr, lr_decay=0.01, weight_decay=0.01),
    "Adagrad-rms": lambda lr=0.3: optim.Adagrad(lr=lr, sigma="rms"),
    "RMSprop": lambda lr=0.01: optim.RMSprop(lr=lr, centered=True, momentum=0.5, weight_decay=0.01),
    "RMSprop-lecture": lambda lr=0.01: optim.RMSprop(lr=lr, lecture_init=True),
    "Adam": lambda lr=0.05: optim.Adam(lr=lr, amsgrad=True, weight_decay=0.01),
    "AdamW": lambda lr=0.05: optim.AdamW(lr=lr),
    "NAdam": lambda lr=0.05: optim.NAdam(lr=lr, weight_decay=0.1, decoupled_weight_decay=True),
    "RAdam": lambda lr=0.05: optim.RAdam(lr=lr, weight_decay=0.01),
    "AdaBound": lambda lr=0.05: optim.AdaBound(lr=lr, final_lr=0.05, gamma=0.05, amsbound=True, weight_decay=0.01),
    "Lookahead": lambda lr=0.05: optim.Lookahead(optim.Adam(lr=lr), k=3, alpha=0.5),
}


def build(name, kwargs, schedule=None):
    """The course_utils optimizer of a fixture case."""
    kwargs = dict(kwargs)
    if name == "Lookahead":
        inner = kwargs.pop("inner")
        return optim.Lookahead(build(inner["optimizer"], inner["kwargs"], inner.get("schedule")), **kwargs)
    if schedule is not None:
        kwargs["lr"] = getattr(schedules, schedule["function"])(**schedule["kwargs"])
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    return getattr(optim, name)(**kwargs)


def trajectory(opt, theta0=THETA0, a=A, b=B, steps=None):
    """Run ``opt`` on g_t = a * theta + b[t]; return all iterates (steps + 1, ...)."""
    theta = theta0.copy()
    path = [theta.copy()]
    for t in range(len(b) if steps is None else steps):
        opt.step(theta, (a * theta + b[t]).astype(theta.dtype))
        path.append(theta.copy())
    return np.array(path)


def relative_error(got, ref):
    return float(np.max(np.abs(got - ref) / np.abs(ref)))


# --- golden trajectories --------------------------------------------------------------------


def test_fixture_covers_every_optimizer_and_is_from_torch_2_13():
    assert INDEX["torch"].startswith("2.13.0")
    assert {case["optimizer"] for case in INDEX["cases"]} == {
        "SGD",
        "SGDW",
        "Adagrad",
        "RMSprop",
        "Adam",
        "AdamW",
        "NAdam",
        "RAdam",
        "AdaBound",
        "Lookahead",
    }
    assert INDEX["steps"] == len(B) >= 30


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    case = CASES[name]
    ref = DATA[name]
    got = trajectory(build(case["optimizer"], case["kwargs"], case["schedule"]))
    assert np.abs(ref[-1] - ref[0]).max() > 1e-3  # the case moves: a wrong rule cannot pass
    np.testing.assert_allclose(got, ref, rtol=RTOL, atol=0)


def test_a_wrong_default_would_be_caught():
    # the Adam default trajectory differs from Adam with a slightly different lr by far more than RTOL
    off = trajectory(optim.Adam(lr=1.01e-3))
    assert relative_error(off, DATA["adam_defaults"]) > 100 * RTOL


NO_DAMPENING_MOMENTUM = [
    n
    for n, c in CASES.items()
    if c["optimizer"] == "SGD"
    and c["kwargs"].get("momentum")
    and not c["kwargs"].get("dampening")
    and c["schedule"] is None
]


@pytest.mark.parametrize("name", NO_DAMPENING_MOMENTUM)
def test_lecture_momentum_equals_torch_momentum_with_constant_lr(name):
    got = trajectory(optim.SGD(**CASES[name]["kwargs"], momentum_form="lecture"))
    np.testing.assert_allclose(got, DATA[name], rtol=RTOL)


def test_lecture_momentum_differs_under_a_schedule_and_follows_the_lecture():
    schedule = schedules.step_decay(0.1, step_size=10, gamma=0.5)
    got = trajectory(optim.SGD(lr=schedule, momentum=0.9, momentum_form="lecture"))
    assert relative_error(got, DATA["sgd_momentum_step_decay"]) > 1e-2  # torch rescales the whole buffer
    theta, movement = THETA0.copy(), np.zeros_like(THETA0)  # m_t = lambda m_{t-1} - eta_t g_t; theta += m_t
    for t in range(len(B)):
        movement = 0.9 * movement - schedule(t) * (A * theta + B[t])
        theta = theta + movement
    np.testing.assert_allclose(got[-1], theta, rtol=1e-12)


# --- lecture variants against the lecture's formulas, written out ---------------------------


def test_adagrad_rms_is_the_lecture_formula():
    eta, eps = 0.3, 1e-10
    got = trajectory(optim.Adagrad(lr=eta, sigma="rms"))
    theta, history = THETA0.copy(), []
    for t in range(len(B)):
        g = A * theta + B[t]
        history.append(g)
        sigma = np.sqrt(np.mean(np.square(history), axis=0))  # (1/(t+1)) sum_{i<=t} g_i^2
        theta = theta - eta / (sigma + eps) * g
    np.testing.assert_allclose(got[-1], theta, rtol=1e-10)
    sum_form = trajectory(optim.Adagrad(lr=eta))
    assert relative_error(sum_form, got) > 1e-2


def test_adagrad_rms_equals_sum_form_with_sqrt_schedule_up_to_eps():
    eta = 0.05
    rms = trajectory(optim.Adagrad(lr=eta, sigma="rms", eps=1e-300))
    scaled = trajectory(optim.Adagrad(lr=lambda t: eta * np.sqrt(t + 1), eps=1e-300))
    np.testing.assert_allclose(rms, scaled, rtol=1e-9)


def test_rmsprop_lecture_init_is_the_lecture_formula():
    eta, alpha, eps = 0.01, 0.9, 1e-8
    got = trajectory(optim.RMSprop(lr=eta, alpha=alpha, lecture_init=True))
    theta, sigma = THETA0.copy(), None
    for t in range(len(B)):
        g = A * theta + B[t]
        sigma = np.abs(g) if t == 0 else np.sqrt(alpha * sigma**2 + (1 - alpha) * g**2)
        theta = theta - eta / (sigma + eps) * g
    np.testing.assert_allclose(got[-1], theta, rtol=1e-10)
    assert relative_error(trajectory(optim.RMSprop(lr=eta, alpha=alpha)), got) > 1e-2


def test_nadam_with_constant_momentum_is_the_lecture_formula():
    eta, beta1, beta2, eps = 0.05, 0.9, 0.999, 1e-8
    got = trajectory(optim.NAdam(lr=eta, momentum_decay=1e9))
    theta, m, v = THETA0.copy(), 0.0, 0.0
    for t in range(1, len(B) + 1):
        g = A * theta + B[t - 1]
        m, v = beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g**2
        m_hat = beta1 * m / (1 - beta1 ** (t + 1)) + (1 - beta1) * g / (1 - beta1**t)
        theta = theta - eta * m_hat / (np.sqrt(v / (1 - beta2**t)) + eps)
    np.testing.assert_allclose(got[-1], theta, rtol=1e-10)


def test_sgdw_equals_l2_without_momentum_and_differs_with_momentum():
    plain_l2 = trajectory(optim.SGD(lr=0.1, weight_decay=0.1))
    np.testing.assert_allclose(trajectory(optim.SGDW(lr=0.1, weight_decay=0.1)), plain_l2, rtol=1e-12)
    momentum_l2 = trajectory(optim.SGD(lr=0.05, momentum=0.9, weight_decay=0.1))
    assert relative_error(trajectory(optim.SGDW(lr=0.05, momentum=0.9, weight_decay=0.1)), momentum_l2) > 1e-2


def test_adam_decoupled_equals_adamw():
    adamw = trajectory(optim.AdamW(lr=0.05, weight_decay=0.1, amsgrad=True))
    np.testing.assert_array_equal(
        trajectory(optim.Adam(lr=0.05, weight_decay=0.1, amsgrad=True, decoupled_weight_decay=True)), adamw
    )


def test_adabound_ends_as_sgd_with_final_lr():
    opt = optim.AdaBound(lr=1.0, final_lr=0.01, gamma=0.5)
    theta, rng = np.ones(4), np.random.default_rng(0)
    for _ in range(2000):
        opt.step(theta, rng.normal(size=4))
    before, g = theta.copy(), rng.normal(size=4)
    opt.step(theta, g)
    np.testing.assert_allclose(before - theta, 0.01 * opt.state["exp_avg"], rtol=2e-3)
    lower, upper = opt.bounds(opt.t)
    assert 0.0099 < lower < 0.01 < upper < 0.0101


def test_radam_is_momentum_sgd_until_rho_exceeds_5():
    opt = optim.RAdam(lr=0.1)
    assert opt.rectification() is None
    theta, reference, m = THETA0.copy(), THETA0.copy(), np.zeros_like(THETA0)
    for t in range(1, 6):
        opt.step(theta, A * theta + B[t - 1])
        assert opt.rectification() is None
        m = 0.9 * m + 0.1 * (A * reference + B[t - 1])
        reference = reference - 0.1 * m / (1 - 0.9**t)  # momentum SGD with bias-corrected m
    np.testing.assert_allclose(theta, reference, rtol=1e-12)
    opt.step(theta, A * theta + B[5])
    assert opt.rho > 5 and 0 < opt.rectification() < 1


# --- batched runs, dtypes, layouts -------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EVERY_OPTIMIZER))
def test_float32_stays_float32_and_tracks_float64(name):
    opt32, opt64 = EVERY_OPTIMIZER[name](), EVERY_OPTIMIZER[name]()
    path32 = trajectory(opt32, THETA0.astype(np.float32), A.astype(np.float32), B.astype(np.float32), steps=20)
    path64 = trajectory(opt64, steps=20)
    assert path32.dtype == np.float32
    assert all(array.dtype == np.float32 for array in opt32.state.values())
    np.testing.assert_allclose(path32, path64, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("name", sorted(EVERY_OPTIMIZER))
def test_runs_in_rows_and_lr_array_equal_separate_runs(name):
    rates = np.array([0.01, 0.03, 0.1])
    runs = len(rates)
    rng = np.random.default_rng(1)
    theta0 = rng.normal(size=(runs, len(A)))
    together = trajectory(EVERY_OPTIMIZER[name](lr=rates[:, None]), theta0, A, B[:, None, :], steps=15)
    for run, lr in enumerate(rates):
        alone = trajectory(EVERY_OPTIMIZER[name](lr=float(lr)), theta0[run], steps=15)
        np.testing.assert_allclose(together[:, run], alone, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", sorted(EVERY_OPTIMIZER))
def test_block_by_block_equals_whole_array(name):
    rng = np.random.default_rng(2)
    theta0, a, b = rng.normal(size=(3, 37)), rng.uniform(0.1, 2, size=(3, 37)), rng.normal(size=(12, 3, 37))
    whole = trajectory(EVERY_OPTIMIZER[name](), theta0, a, b)
    blocked_opt = EVERY_OPTIMIZER[name]()
    getattr(blocked_opt, "inner", blocked_opt).block_size = 10  # 111 elements: 11 blocks of 10, then 1
    np.testing.assert_allclose(trajectory(blocked_opt, theta0, a, b), whole, rtol=1e-13, atol=1e-15)


def test_non_contiguous_params_are_updated_in_place():
    big = np.tile(THETA0, (2, 1)).T.copy()  # shape (5, 2); column 0 is a strided view
    column = big[:, 0]
    assert not column.flags.c_contiguous
    opt = optim.Adam(lr=0.05)
    opt.block_size = 2
    for t in range(len(B)):
        assert opt.step(column, A * column + B[t]) is column
    np.testing.assert_allclose(big[:, 0], DATA["adam_lr"][-1], rtol=RTOL)
    np.testing.assert_array_equal(big[:, 1], THETA0)


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adam", "NAdam", "AdaBound"])
def test_memory_layout_of_params_and_grads_does_not_matter(name):
    rng = np.random.default_rng(3)
    theta0, a, b = rng.normal(size=(6, 7)), rng.uniform(0.1, 2, size=(6, 7)), rng.normal(size=(8, 6, 7))
    reference = trajectory(EVERY_OPTIMIZER[name](), theta0, a, b)
    opt = EVERY_OPTIMIZER[name]()
    opt.block_size = 5
    theta = np.asfortranarray(theta0)  # the state is made from Fortran-ordered params ...
    opt.step(theta, np.asfortranarray(a * theta + b[0]))
    theta = np.ascontiguousarray(theta)  # ... then C-ordered params are updated block by block
    for t in range(1, len(b)):
        opt.step(theta, np.asfortranarray(a * theta + b[t]))
    np.testing.assert_allclose(theta, reference[-1], rtol=1e-13)


@pytest.mark.parametrize("name", sorted(EVERY_OPTIMIZER))
def test_step_is_in_place_returns_params_and_leaves_grads_alone(name):
    opt = EVERY_OPTIMIZER[name]()
    theta, g = THETA0.copy(), A * THETA0 + B[0]
    g_before = g.copy()
    assert opt.step(theta, g) is theta
    assert not np.array_equal(theta, THETA0)
    np.testing.assert_array_equal(g, g_before)
    assert opt.t == 1


# --- attributes: t, state, reset, current_lr, repr ------------------------------------------

STATE_NAMES = [
    (lambda: optim.SGD(), set()),
    (lambda: optim.SGD(momentum=0.9), {"momentum_buffer"}),
    (lambda: optim.SGD(momentum=0.9, momentum_form="lecture"), {"movement"}),
    (lambda: optim.Adagrad(), {"sum"}),
    (lambda: optim.RMSprop(), {"square_avg"}),
    (lambda: optim.RMSprop(momentum=0.5, centered=True), {"square_avg", "momentum_buffer", "grad_avg"}),
    (lambda: optim.Adam(), {"exp_avg", "exp_avg_sq"}),
    (lambda: optim.AdamW(amsgrad=True), {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}),
    (lambda: optim.NAdam(), {"exp_avg", "exp_avg_sq"}),
    (lambda: optim.RAdam(), {"exp_avg", "exp_avg_sq"}),
    (lambda: optim.AdaBound(amsbound=True), {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}),
    (lambda: optim.Lookahead(optim.Adam()), {"exp_avg", "exp_avg_sq", "slow_weights"}),
]


@pytest.mark.parametrize("make, names", STATE_NAMES)
def test_state_is_created_at_the_first_step_and_reset_forgets_it(make, names):
    opt = make()
    assert opt.t == 0 and not opt.state
    first = trajectory(opt, steps=7)
    assert opt.t == 7 and set(opt.state) == names
    assert all(array.shape == THETA0.shape for array in opt.state.values())
    opt.reset()
    assert opt.t == 0 and not opt.state
    np.testing.assert_array_equal(trajectory(opt, steps=7), first)


def test_adagrad_sum_starts_at_initial_accumulator_value():
    opt = optim.Adagrad(initial_accumulator_value=0.5)
    g = np.array([1.0, 2.0])
    opt.step(np.zeros(2), g)
    np.testing.assert_allclose(opt.state["sum"], 0.5 + g**2)


def test_nadam_reset_restarts_mu_product():
    opt = optim.NAdam()
    trajectory(opt, steps=3)
    assert opt.mu_product < 1
    opt.reset()
    assert opt.mu_product == 1.0


def test_current_lr_for_number_array_and_schedule():
    assert optim.SGD(lr=0.1).current_lr() == 0.1
    rates = np.array([[0.1], [0.2]])
    np.testing.assert_array_equal(optim.Adam(lr=rates).current_lr(), rates)
    schedule = schedules.step_decay(0.1, step_size=2, gamma=0.5)
    opt = optim.SGD(lr=schedule, momentum=0.9)
    trajectory(opt, steps=5)
    assert opt.current_lr() == schedule(5) == 0.025
    look = optim.Lookahead(optim.SGD(lr=schedule))
    trajectory(look, steps=2)
    assert look.current_lr() == 0.05


def test_lr_array_is_copied_and_defaults_and_repr_show_hyper_parameters():
    rates = np.array([0.1, 0.2])
    opt = optim.SGD(lr=rates)
    rates[0] = 5.0
    assert opt.current_lr()[0] == 0.1
    adam = optim.Adam(lr=0.01, betas=(0.8, 0.99), amsgrad=True)
    assert adam.defaults == {
        "lr": 0.01,
        "betas": (0.8, 0.99),
        "eps": 1e-8,
        "weight_decay": 0.0,
        "amsgrad": True,
        "decoupled_weight_decay": False,
    }
    assert repr(adam) == (
        "Adam(lr=0.01, betas=(0.8, 0.99), eps=1e-08, weight_decay=0.0, amsgrad=True, decoupled_weight_decay=False)"
    )
    assert "lr=<array of shape (2,)>" in repr(opt)
    assert repr(optim.AdamW()).startswith("AdamW(lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.01")
    assert "lr=cosine(lr=0.1, total_steps=10, lr_min=0.0)" in repr(optim.SGD(lr=schedules.cosine(0.1, 10)))
    assert repr(optim.Lookahead(optim.SGD(), k=3)) == (
        "Lookahead(SGD(lr=0.001, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, "
        "momentum_form='torch'), k=3, alpha=0.5)"
    )


@pytest.mark.parametrize(
    "cls, defaults",
    [
        (optim.SGD, dict(lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False)),
        (optim.Adagrad, dict(lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10)),
        (optim.RMSprop, dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False)),
        (optim.Adam, dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False)),
        (optim.AdamW, dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False)),
        (
            optim.NAdam,
            dict(
                lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3, decoupled_weight_decay=False
            ),
        ),
        (optim.RAdam, dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False)),
        (
            optim.AdaBound,
            dict(lr=1e-3, betas=(0.9, 0.999), final_lr=0.1, gamma=1e-3, eps=1e-8, weight_decay=0, amsbound=False),
        ),
    ],
)
def test_defaults_are_torch_s(cls, defaults):
    got = cls().defaults
    assert {k: got[k] for k in defaults} == defaults


# --- Lookahead ------------------------------------------------------------------------------


def test_lookahead_k_fast_steps_then_one_step_back():
    k, alpha, lr = 4, 0.3, 0.1
    opt = optim.Lookahead(optim.SGD(lr=lr), k=k, alpha=alpha)
    theta, fast = THETA0.copy(), THETA0.copy()
    for t in range(k - 1):
        opt.step(theta, A * theta + B[t])
        fast = fast - lr * (A * fast + B[t])
        np.testing.assert_allclose(theta, fast, rtol=1e-12)
        np.testing.assert_array_equal(opt.slow, THETA0)  # slow weights wait
    opt.step(theta, A * theta + B[k - 1])
    fast = fast - lr * (A * fast + B[k - 1])
    slow = THETA0 + alpha * (fast - THETA0)
    np.testing.assert_allclose(opt.slow, slow, rtol=1e-12)
    np.testing.assert_array_equal(theta, opt.slow)  # fast weights restart from the slow ones
    assert opt.t == k and opt.inner.t == k
    opt.reset()
    assert opt.slow is None and opt.t == 0 and opt.inner.t == 0


def test_lookahead_with_alpha_one_and_k_one_is_the_inner_optimizer():
    plain = trajectory(optim.Adam(lr=0.05))
    np.testing.assert_allclose(trajectory(optim.Lookahead(optim.Adam(lr=0.05), k=1, alpha=1.0)), plain, rtol=1e-14)


# --- bad input ------------------------------------------------------------------------------

BAD_ARGUMENTS = [
    (lambda: optim.SGD(lr=-0.1), "lr"),
    (lambda: optim.SGD(lr=float("nan")), "lr"),
    (lambda: optim.SGD(lr="0.1"), "lr"),
    (lambda: optim.SGD(lr=[0.1, 0.2]), "lr"),
    (lambda: optim.SGD(lr=np.array([0.1, -0.2])), "lr"),
    (lambda: optim.SGD(lr=np.array([0.1, np.inf])), "lr"),
    (lambda: optim.SGD(lr=np.array(["a"])), "lr"),
    (lambda: optim.SGD(momentum=1.0), "momentum"),
    (lambda: optim.SGD(momentum=-0.1), "momentum"),
    (lambda: optim.SGD(dampening=1.5), "dampening"),
    (lambda: optim.SGD(weight_decay=-1), "weight_decay"),
    (lambda: optim.SGD(nesterov=True), "nesterov"),
    (lambda: optim.SGD(momentum=0.9, dampening=0.1, nesterov=True), "nesterov"),
    (lambda: optim.SGD(nesterov="yes"), "nesterov"),
    (lambda: optim.SGD(momentum_form="physics"), "momentum_form"),
    (lambda: optim.SGD(momentum=0.9, dampening=0.1, momentum_form="lecture"), "dampening"),
    (lambda: optim.SGDW(weight_decay=-0.1), "weight_decay"),
    (lambda: optim.Adagrad(lr_decay=-1), "lr_decay"),
    (lambda: optim.Adagrad(weight_decay=-1), "weight_decay"),
    (lambda: optim.Adagrad(initial_accumulator_value=-1), "initial_accumulator_value"),
    (lambda: optim.Adagrad(eps=0), "eps"),
    (lambda: optim.Adagrad(sigma="mean"), "sigma"),
    (lambda: optim.RMSprop(alpha=1.0), "alpha"),
    (lambda: optim.RMSprop(alpha=-0.5), "alpha"),
    (lambda: optim.RMSprop(eps=0), "eps"),
    (lambda: optim.RMSprop(momentum=1), "momentum"),
    (lambda: optim.RMSprop(weight_decay=-1), "weight_decay"),
    (lambda: optim.RMSprop(centered=2), "centered"),
    (lambda: optim.RMSprop(centered=True, lecture_init=True), "lecture_init"),
    (lambda: optim.Adam(lr=None), "lr"),
    (lambda: optim.Adam(betas=0.9), "betas"),
    (lambda: optim.Adam(betas=(0.9,)), "betas"),
    (lambda: optim.Adam(betas=(1.0, 0.999)), "betas[0]"),
    (lambda: optim.Adam(betas=(0.9, 1.0)), "betas[1]"),
    (lambda: optim.Adam(betas=(0.9, -0.1)), "betas[1]"),
    (lambda: optim.Adam(eps=-1e-8), "eps"),
    (lambda: optim.Adam(weight_decay=-1), "weight_decay"),
    (lambda: optim.Adam(amsgrad=None), "amsgrad"),
    (lambda: optim.Adam(decoupled_weight_decay="yes"), "decoupled_weight_decay"),
    (lambda: optim.AdamW(weight_decay=-0.01), "weight_decay"),
    (lambda: optim.NAdam(momentum_decay=-1), "momentum_decay"),
    (lambda: optim.NAdam(betas=(0.9, 1.5)), "betas[1]"),
    (lambda: optim.NAdam(eps=0), "eps"),
    (lambda: optim.RAdam(betas=[0.9]), "betas"),
    (lambda: optim.RAdam(weight_decay=float("inf")), "weight_decay"),
    (lambda: optim.AdaBound(final_lr=-1), "final_lr"),
    (lambda: optim.AdaBound(gamma=0), "gamma"),
    (lambda: optim.AdaBound(gamma=1), "gamma"),
    (lambda: optim.AdaBound(lr=0), "lr"),
    (lambda: optim.AdaBound(lr=schedules.warmup(0.1, 5)), "lr"),
    (lambda: optim.AdaBound(amsbound="yes"), "amsbound"),
    (lambda: optim.Lookahead(object()), "inner"),
    (lambda: optim.Lookahead(optim.Adam(), k=0), "k"),
    (lambda: optim.Lookahead(optim.Adam(), k=1.5), "k"),
    (lambda: optim.Lookahead(optim.Adam(), alpha=1.5), "alpha"),
]


@pytest.mark.parametrize("make, argument", BAD_ARGUMENTS)
def test_bad_hyper_parameters_raise_value_error_naming_the_argument(make, argument):
    with pytest.raises(ValueError, match=rf"(^|\W){argument.replace('[', '.').replace(']', '.')}\W"):
        make()


def _step(opt, params, grads):
    return lambda: opt.step(params, grads)


BAD_STEPS = [
    (_step(optim.SGD(), [1.0, 2.0], np.ones(2)), ["params"]),
    (_step(optim.SGD(), np.arange(3), np.ones(3)), ["params", "dtype"]),
    (_step(optim.SGD(), np.zeros(3), np.arange(3)), ["grads", "dtype"]),
    (_step(optim.Adam(), np.zeros(3), np.ones(4)), ["grads", r"\(4,\)", r"\(3,\)"]),
    (_step(optim.Adam(), np.zeros(3), np.array([1.0, np.nan, 0.0])), ["grads", "nan", "t=0"]),
    (_step(optim.Adam(), np.zeros(2), np.array([np.inf, -np.inf])), ["grads", "t=0"]),
    (_step(optim.SGD(lr=np.ones(3)), np.zeros((2, 2)), np.ones((2, 2))), ["lr", r"\(3,\)", r"\(2, 2\)"]),
    (_step(optim.SGD(lr=lambda t: -0.1), np.zeros(2), np.ones(2)), ["lr", "t=0"]),
    (_step(optim.SGD(lr=lambda t: "fast"), np.zeros(2), np.ones(2)), ["lr"]),
    (_step(optim.Lookahead(optim.SGD()), "theta", np.ones(2)), ["params"]),
]


@pytest.mark.parametrize("run, words", BAD_STEPS)
def test_bad_steps_raise_value_error_naming_the_argument(run, words):
    with pytest.raises(ValueError) as error:
        run()
    for word in words:
        assert re.search(word, str(error.value)), (word, str(error.value))


def test_a_later_step_with_another_shape_or_dtype_names_both():
    opt = optim.Adam()
    opt.step(np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match=r"\(4,\).*\(3,\)"):
        opt.step(np.zeros(4), np.ones(4))
    with pytest.raises(ValueError, match="float32.*float64"):
        opt.step(np.zeros(3, np.float32), np.ones(3, np.float32))


def test_non_finite_grads_report_the_step_and_leave_params_untouched():
    opt = optim.SGD(lr=0.1)
    theta = np.ones(3)
    for _ in range(4):
        opt.step(theta, np.ones(3))
    before = theta.copy()
    with pytest.raises(ValueError, match="grads.*t=4"):
        opt.step(theta, np.array([1.0, np.nan, 1.0]))
    np.testing.assert_array_equal(theta, before)
    big = np.full(3, 1e308)  # finite, although their sum overflows
    opt.step(theta, big)
    assert opt.t == 5


def test_docstring_examples_run():
    import doctest

    for module in (optim, schedules):
        assert doctest.testmod(module, raise_on_error=False).failed == 0
