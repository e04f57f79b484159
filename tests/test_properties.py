"""Property tests of course_utils (hypothesis): invariants that hold for every input, not only the examples.

Each property runs on 1,000 generated cases (``pytest --hypothesis-show-statistics`` shows the
counts). The cases are small (arrays of a few dozen numbers, networks of a few units) so that the
whole file runs in well under a minute on one core. What the example-based tests already pin down
(torch's iterates, the lecture formulas, fixed cases) is not repeated here.
"""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course_utils import data, derivatives, nn, optim, schedules

# an overflow or an invalid operation (sqrt of a negative number, 0/0, ...) anywhere is a failure
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

DTYPES = (np.float32, np.float64)
MAX_T = 10**6  # the largest step index the schedule properties try


def elements(dtype, bound=1e4):
    return st.floats(-bound, bound, width=32 if dtype is np.float32 else 64)


# =============================================================================== optimizers
# A configuration is (name, kwargs); make(config, lr) builds a fresh optimizer from it, so one
# configuration can serve several instances (one run per row versus one instance per run).
unit = st.floats(0, 0.999)
small_eps = st.floats(1e-10, 1e-3)


@st.composite
def configs(draw, names=None, decay=True, lookahead=True):
    """Sane hyper-parameters of a random optimizer (every class of course_utils.optim, every option)."""
    names = names or ["SGD", "SGDW", "Adagrad", "RMSprop", "Adam", "AdamW", "NAdam", "RAdam", "AdaBound"] + (
        ["Lookahead"] if lookahead else []
    )
    name = draw(st.sampled_from(names))
    weight_decay = draw(st.one_of(st.just(0.0), st.floats(0, 0.1))) if decay else 0.0
    if name == "Lookahead":
        return name, dict(
            inner=draw(configs(decay=decay, lookahead=False)), k=draw(st.integers(1, 5)), alpha=draw(st.floats(0, 1))
        )
    if name in ("SGD", "SGDW"):
        momentum = draw(st.one_of(st.just(0.0), st.floats(0, 0.99)))
        nesterov = momentum > 0 and draw(st.booleans())
        form = draw(st.sampled_from(["torch", "lecture"]))
        dampening = 0.0 if nesterov or form == "lecture" else draw(st.floats(0, 1))
        return name, dict(
            momentum=momentum, dampening=dampening, nesterov=nesterov, weight_decay=weight_decay, momentum_form=form
        )
    if name == "Adagrad":
        return name, dict(
            lr_decay=draw(st.floats(0, 0.1)),
            weight_decay=weight_decay,
            initial_accumulator_value=draw(st.floats(0, 1)),
            eps=draw(small_eps),
            sigma=draw(st.sampled_from(["sum", "rms"])),
        )
    if name == "RMSprop":
        centered = draw(st.booleans())
        # centered with a tiny alpha estimates the variance from about one gradient: ~0, so it divides by
        # eps and explodes by design (as torch's would); sane centered runs average over many steps
        alpha = draw(st.floats(0.5, 0.999) if centered else unit)
        return name, dict(
            alpha=alpha,
            eps=draw(small_eps),
            weight_decay=weight_decay,
            momentum=draw(st.one_of(st.just(0.0), st.floats(0, 0.99))),
            centered=centered,
            lecture_init=not centered and draw(st.booleans()),
        )
    kwargs = dict(betas=(draw(unit), draw(unit)), eps=draw(small_eps), weight_decay=weight_decay)
    if name == "Adam":
        kwargs.update(amsgrad=draw(st.booleans()), decoupled_weight_decay=draw(st.booleans()))
    elif name == "AdamW":
        kwargs.update(amsgrad=draw(st.booleans()))
    elif name == "NAdam":
        kwargs.update(momentum_decay=draw(st.floats(0, 0.01)), decoupled_weight_decay=draw(st.booleans()))
    elif name == "RAdam":
        kwargs.update(decoupled_weight_decay=draw(st.booleans()))
    else:  # AdaBound
        kwargs.update(final_lr=draw(st.floats(0, 1)), gamma=draw(st.floats(1e-4, 0.5)), amsbound=draw(st.booleans()))
    return name, kwargs


def make(config, lr):
    name, kwargs = config
    if name == "Lookahead":
        kwargs = dict(kwargs)
        return optim.Lookahead(make(kwargs.pop("inner"), lr), **kwargs)
    return getattr(optim, name)(lr=lr, **kwargs)


def innermost(config):
    return innermost(config[1]["inner"]) if config[0] == "Lookahead" else config


# AdaBound needs lr(0) > 0 (its final_lr is scaled by lr(t) / lr(0)); every other optimizer takes lr = 0
rates = st.one_of(st.just(0.0), st.floats(1e-6, 1))
positive_rates = st.floats(1e-6, 1)


def learning_rate(draw, config):
    return draw(positive_rates if innermost(config)[0] == "AdaBound" else rates)


@st.composite
def problems(draw, dtypes=DTYPES, max_steps=5):
    """(params, [grads of each step]): a random float32 or float64 array of 1 to 3 axes, finite values."""
    dtype = draw(st.sampled_from(dtypes))
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    steps = draw(st.integers(1, max_steps))
    values = draw(hnp.arrays(dtype, (steps + 1, *shape), elements=elements(dtype)))  # one draw: faster
    return values[0].copy(), list(values[1:])


@settings(max_examples=1000, deadline=None)
@given(config=configs(), problem=problems(), data_=st.data())
def test_step_updates_params_in_place_keeps_shape_and_dtype_counts_steps_and_stays_finite(config, problem, data_):
    params, grads = problem
    opt = make(config, learning_rate(data_.draw, config))
    shape, dtype = params.shape, params.dtype
    for t, g in enumerate(grads, start=1):
        g_before = g.copy()
        assert opt.step(params, g) is params
        assert params.shape == shape and params.dtype == dtype
        assert opt.t == t  # the step counter counts every step
        assert np.all(np.isfinite(params)), f"non-finite params at step {t}: {params}"
        np.testing.assert_array_equal(g, g_before)  # the caller's gradient is never modified
        for name, array in opt.state.items():
            assert array.shape == shape and array.dtype == dtype, name
            assert np.all(np.isfinite(array)), name


@settings(max_examples=1000, deadline=None)
@given(config=configs(decay=False), problem=problems(), data_=st.data())
def test_zero_gradients_from_the_start_leave_params_still(config, problem, data_):
    """Without weight decay no optimizer moves on zero gradients (SGD in every form, and all the others)."""
    params, grads = problem
    start = params.copy()
    opt = make(config, learning_rate(data_.draw, config))
    for _ in grads:
        opt.step(params, np.zeros_like(params))
    np.testing.assert_array_equal(params, start)


@settings(max_examples=1000, deadline=None)
@given(
    config=configs(),
    runs=st.integers(1, 4),
    dim=st.integers(1, 4),
    steps=st.integers(1, 6),
    seed=st.integers(0, 2**32 - 1),
    one_lr=st.booleans(),
    data_=st.data(),
)
def test_many_runs_as_rows_and_an_lr_array_equal_separate_runs(config, runs, dim, steps, seed, one_lr, data_):
    """(runs, dim) params with lr a number or a (runs, 1) array == one optimizer per run with its own lr."""
    rng = np.random.default_rng(seed)
    theta0 = rng.normal(scale=3, size=(runs, dim))
    a = rng.uniform(0, 2, size=(runs, dim))  # gradient of a separable quadratic, plus noise b[t]
    b = rng.normal(size=(steps, runs, dim))
    if one_lr:
        lr_all = learning_rate(data_.draw, config)
        lrs = [lr_all] * runs
    else:
        lrs = [data_.draw(positive_rates) for _ in range(runs)]
        lr_all = np.array(lrs)[:, None]
    together, opt = theta0.copy(), make(config, lr_all)
    for t in range(steps):
        opt.step(together, a * together + b[t])
    for run in range(runs):
        alone, opt = theta0[run].copy(), make(config, lrs[run])
        for t in range(steps):
            opt.step(alone, a[run] * alone + b[t, run])
        np.testing.assert_array_equal(together[run], alone)


def _bound(dtype):
    """Rounding allowance for a bound that holds exactly in real arithmetic."""
    info = np.finfo(dtype)
    return 8 * info.eps, 8 * info.smallest_subnormal


@settings(max_examples=1000, deadline=None)
@given(config=configs(names=["Adagrad"]), problem=problems(), lr=rates)
def test_adagrad_sum_never_decreases_and_starts_at_the_initial_value(config, problem, lr):
    params, grads = problem
    opt = make(config, lr)
    previous = np.full(params.shape, config[1]["initial_accumulator_value"], params.dtype)
    for g in grads:
        opt.step(params, g)
        total = opt.state["sum"]
        assert np.all(total >= previous)  # s_t = s_(t-1) + g_t^2
        assert np.all(total >= np.asarray(config[1]["initial_accumulator_value"], params.dtype))
        previous = total.copy()


@settings(max_examples=1000, deadline=None)
@given(config=configs(names=["Adam", "AdamW", "NAdam", "RAdam", "AdaBound"]), problem=problems(), lr=positive_rates)
def test_adam_family_moments_stay_in_their_ranges(config, problem, lr):
    """v >= 0; AMSGrad/AMSBound: max_v >= v and never decreases; m and v are averages of g and g^2.

    With zero-initialised moments, m_t = sum_i w_i g_i with sum_i w_i = 1 - beta1^t <= 1, so
    |m_t| <= max_i |g_i| and v_t <= max_i g_i^2 (g: the gradient the rule saw, with any L2 term).
    """
    params, grads = problem
    name, kwargs = config
    opt = make(config, lr)
    rtol, atol = _bound(params.dtype)
    l2 = kwargs["weight_decay"] if not (kwargs.get("decoupled_weight_decay") or name == "AdamW") else 0.0
    largest = np.zeros(params.shape)
    max_before = None
    for g in grads:
        seen = l2 * params + g if l2 else g  # as the rule computes it, in the params' dtype
        largest = np.maximum(largest, np.abs(seen.astype(np.float64)))
        opt.step(params, g)
        m, v = opt.state["exp_avg"], opt.state["exp_avg_sq"]
        assert np.all(v >= 0)
        assert np.all(np.abs(m) <= largest * (1 + rtol) + atol)
        assert np.all(v <= largest**2 * (1 + 4 * rtol) + atol)
        if "max_exp_avg_sq" in opt.state:
            top = opt.state["max_exp_avg_sq"]
            assert np.all(top >= v)
            if max_before is not None:
                assert np.all(top >= max_before)
            max_before = top.copy()


@settings(max_examples=1000, deadline=None)
@given(config=configs(names=["RMSprop"]), problem=problems(), lr=rates)
def test_rmsprop_square_avg_is_non_negative_and_at_least_the_squared_mean(config, problem, lr):
    params, grads = problem
    opt = make(config, lr)
    rtol, atol = _bound(params.dtype)
    for t, g in enumerate(grads, start=1):
        before = params.copy()
        opt.step(params, g)
        square_avg = opt.state["square_avg"]
        assert np.all(square_avg >= 0) and np.all(np.isfinite(params))
        if config[1]["lecture_init"] and t == 1:  # the lecture's sigma_0^2 = g_0^2 (with any L2 term)
            seen = g + config[1]["weight_decay"] * before if config[1]["weight_decay"] else g
            np.testing.assert_array_equal(square_avg, np.square(seen))
        if config[1]["centered"]:  # Jensen: the mean of g^2 is at least the square of the mean of g
            assert np.all(opt.state["grad_avg"] ** 2 <= square_avg * (1 + 4 * rtol) + atol)


@settings(max_examples=1000, deadline=None)
@given(
    inner=configs(lookahead=False),
    k=st.integers(1, 4),
    alpha=st.floats(0, 1),
    problem=problems(max_steps=9),
    lr=positive_rates,
)
def test_lookahead_moves_its_slow_weights_only_every_k_steps(inner, k, alpha, problem, lr):
    params, grads = problem
    opt = make(("Lookahead", dict(inner=inner, k=k, alpha=alpha)), lr)
    slow = params.copy()
    for t, g in enumerate(grads, start=1):
        opt.step(params, g)
        assert opt.t == t and opt.inner.t == t
        if t % k == 0:
            np.testing.assert_array_equal(params, opt.slow)  # the fast weights restart from the slow ones
            slow = opt.slow.copy()
        else:
            np.testing.assert_array_equal(opt.slow, slow)
        np.testing.assert_array_equal(opt.state["slow_weights"], opt.slow)


@settings(max_examples=1000, deadline=None)
@given(
    beta1=unit,
    beta2=st.floats(1e-3, 0.999),
    momentum_decay=st.floats(0, 0.01),
    steps=st.integers(1, 40),
    final_lr=st.floats(0, 1),
    gamma=st.floats(1e-4, 0.9),
    lr=positive_rates,
)
def test_scalar_state_nadam_mu_product_radam_rho_adabound_bounds(
    beta1, beta2, momentum_decay, steps, final_lr, gamma, lr
):
    """NAdam: (beta1/2)^t <= prod mu_i <= beta1^t, non-increasing. RAdam: rho_t increases towards rho_inf,
    the rectification lies in (0, 1]. AdaBound: lower <= final_lr <= upper, closing in as t grows."""
    nadam, radam = optim.NAdam(betas=(beta1, beta2), momentum_decay=momentum_decay), optim.RAdam(betas=(beta1, beta2))
    params, zero = np.zeros(1), np.zeros(1)
    previous_mu, previous_rho = 1.0, -math.inf
    for t in range(1, steps + 1):
        nadam.step(params, zero)
        radam.step(params, zero)
        assert nadam.mu_product <= previous_mu
        assert (beta1 / 2) ** t * (1 - 1e-12) - 1e-300 <= nadam.mu_product <= beta1**t * (1 + 1e-12) + 1e-300
        assert previous_rho <= radam.rho <= radam.rho_inf  # rho_t rises to rho_inf (equal in floats, late on)
        r = radam.rectification()
        assert (r is None) == (radam.rho <= 5)
        assert r is None or 0 < r <= 1 + 1e-12
        previous_mu, previous_rho = nadam.mu_product, radam.rho
    bound = optim.AdaBound(lr=lr, final_lr=final_lr, gamma=gamma)
    t = np.arange(1, steps + 1)
    lower, upper = bound.bounds(t)
    target = final_lr * lr / lr
    assert np.all(lower <= target * (1 + 1e-12)) and np.all(upper >= target * (1 - 1e-12))
    assert np.all(np.diff(lower) >= 0) and np.all(np.diff(upper) <= 0)


# =============================================================================== schedules
peaks = st.floats(1e-6, 10)


@st.composite
def schedule_cases(draw, kinds=None):
    """(kind, schedule, facts): facts holds what is known for this schedule.

    low/high: bounds for every t in [0, horizon]; down/up: intervals [a, b] on which it is
    non-increasing / non-decreasing; period: lr(t + period) == lr(t).
    """
    kinds = kinds or [
        "constant",
        "step_decay",
        "exponential",
        "inverse_sqrt",
        "cosine",
        "cosine_restarts",
        "warmup",
        "warmup_cosine",
        "cyclic",
        "one_cycle",
        "noam",
    ]
    kind = draw(st.sampled_from(kinds))
    lr = draw(peaks)
    everywhere = (0, MAX_T)
    if kind == "constant":
        return kind, schedules.constant(lr), dict(low=lr, high=lr, down=[everywhere], up=[everywhere])
    if kind == "step_decay":
        gamma = draw(st.floats(1e-3, 1))
        return (
            kind,
            schedules.step_decay(lr, draw(st.integers(1, 500)), gamma),
            dict(low=0.0, high=lr, down=[everywhere]),
        )
    if kind == "exponential":
        return kind, schedules.exponential(lr, draw(st.floats(1e-3, 1))), dict(low=0.0, high=lr, down=[everywhere])
    if kind == "inverse_sqrt":
        return kind, schedules.inverse_sqrt(lr), dict(low=0.0, high=lr, down=[everywhere])
    if kind == "cosine":
        total, lr_min = draw(st.integers(1, 2000)), draw(st.floats(0, 1)) * lr
        return (
            kind,
            schedules.cosine(lr, total, lr_min),
            dict(low=lr_min, high=lr, down=[(0, total)], up=[(total, 2 * total)], period=2 * total),
        )
    if kind == "cosine_restarts":
        first, mult, lr_min = draw(st.integers(1, 300)), draw(st.integers(1, 4)), draw(st.floats(0, 1)) * lr
        starts = [0]
        while starts[-1] < 3000:
            starts.append(starts[-1] + first * mult ** (len(starts) - 1))
        facts = dict(
            low=lr_min, high=lr, down=[(a, b - 1) for a, b in zip(starts, starts[1:])], restarts=starts, peak=lr
        )
        if mult == 1:
            facts["period"] = first
        return kind, schedules.cosine_restarts(lr, first, mult, lr_min), facts
    if kind == "warmup":
        steps, start = draw(st.integers(1, 500)), draw(st.floats(0, 1))
        return (
            kind,
            schedules.warmup(lr, steps, start),
            dict(low=start * lr, high=lr, up=[everywhere], down=[(steps, MAX_T)]),
        )
    if kind == "warmup_cosine":
        steps, start, total = draw(st.integers(1, 300)), draw(st.floats(0, 1)), draw(st.integers(1, 1000))
        return (
            kind,
            schedules.warmup(schedules.cosine(lr, total), steps, start),
            dict(low=0.0, high=lr, up=[(0, steps)], down=[(steps, steps + total)]),
        )
    if kind == "cyclic":
        lr_min, size = draw(st.floats(0, 1)) * lr, draw(st.integers(1, 500))
        return (
            kind,
            schedules.cyclic(lr_min, lr, size),
            dict(
                low=lr_min,
                high=lr,
                up=[(0, size), (2 * size, 3 * size)],
                down=[(size, 2 * size)],
                period=2 * size,
                peak=lr,
                peaks_at=size,
            ),
        )
    if kind == "one_cycle":
        total = draw(st.integers(4, 2000))
        pct = draw(st.floats(1.5 / total, 1 - 1.5 / total).filter(lambda p: 0 < p * total - 1 < total - 1))
        div, final = draw(st.floats(1, 100)), draw(st.floats(1, 1e4))
        rise_end = pct * total - 1
        return (
            kind,
            schedules.one_cycle(lr, total, pct, div, final),
            dict(
                low=lr / div / final,
                high=lr,
                up=[(0, math.floor(rise_end))],
                down=[(math.ceil(rise_end), total - 1)],
                horizon=total,
            ),
        )
    # noam: peak at t + 1 = W
    d_model, steps = draw(st.integers(1, 1024)), draw(st.integers(1, 1000))
    return (
        kind,
        schedules.noam(d_model, steps, lr),
        dict(low=0.0, high=lr * d_model**-0.5 * steps**-0.5, up=[(0, steps - 1)], down=[(steps - 1, MAX_T)]),
    )


def step_arrays(horizon):
    return hnp.arrays(np.int64, st.integers(1, 40), elements=st.integers(0, horizon))


@settings(max_examples=1000, deadline=None)
@given(case=schedule_cases(), data_=st.data())
def test_schedules_stay_between_their_lowest_and_highest_rate(case, data_):
    kind, schedule, facts = case
    t = data_.draw(step_arrays(facts.get("horizon", MAX_T)))
    rates_ = schedule(t)
    assert rates_.shape == t.shape and rates_.dtype == np.float64
    assert np.all(np.isfinite(rates_))
    slack = 1e-12 * facts["high"]
    assert np.all(rates_ >= facts["low"] - slack), (kind, t[rates_ < facts["low"] - slack])
    assert np.all(rates_ <= facts["high"] + slack), (kind, t[rates_ > facts["high"] + slack])


@settings(max_examples=1000, deadline=None)
@given(case=schedule_cases(["cosine", "cosine_restarts", "cyclic"]), data_=st.data())
def test_cosine_restarts_and_cyclic_repeat_and_restart_at_the_peak(case, data_):
    kind, schedule, facts = case
    if "period" in facts:
        period = facts["period"]
        t = data_.draw(step_arrays(MAX_T - 3 * period))
        cycles = data_.draw(st.integers(1, 3))
        # cos(pi t / T) for large t carries the rounding of its argument, about 1e-16 t / T
        slack = 1e-15 * (1 + (t.max() + cycles * period) / period) * facts["high"]
        np.testing.assert_allclose(schedule(t + cycles * period), schedule(t), rtol=0, atol=slack)
    if kind == "cosine_restarts":  # every period starts at the peak, the step before is its lowest point so far
        starts = np.array(facts["restarts"])
        np.testing.assert_allclose(schedule(starts), facts["peak"], rtol=1e-12)
        assert np.all(schedule(starts[1:] - 1) < schedule(starts[1:]) + 1e-12 * facts["peak"])
    if kind == "cyclic":
        size = facts["peaks_at"]
        k = np.arange(0, 5)
        np.testing.assert_allclose(schedule((2 * k + 1) * size), facts["peak"], rtol=1e-12)
        np.testing.assert_allclose(schedule(2 * k * size), facts["low"], rtol=1e-12, atol=1e-12 * facts["high"])


@settings(max_examples=1000, deadline=None)
@given(case=schedule_cases())
def test_schedules_are_monotone_where_they_should_be(case):
    """step_decay / exponential / inverse_sqrt never rise; cosine falls on [0, T]; warm-up rises during
    the warm-up; cyclic, one_cycle, noam and each period of cosine_restarts rise then fall."""
    kind, schedule, facts = case
    for direction, sign in (("down", -1), ("up", 1)):
        for a, b in facts.get(direction, []):
            b = min(b, a + 3000)  # long enough to see every phase of these schedules
            values = schedule(np.arange(a, b + 1))
            steps_ = sign * np.diff(values)
            assert np.all(steps_ >= -1e-12 * facts["high"]), (kind, direction, a, b, steps_.min())


@settings(max_examples=1000, deadline=None)
@given(case=schedule_cases(), data_=st.data(), int_type=st.sampled_from([np.int64, np.int32, np.uint16]))
def test_scalar_and_array_steps_give_the_same_rates(case, data_, int_type):
    kind, schedule, facts = case
    horizon = min(facts.get("horizon", MAX_T), np.iinfo(int_type).max)
    t = data_.draw(step_arrays(horizon))
    vector = schedule(t.astype(int_type))
    scalars = [schedule(int(s)) for s in t]
    assert all(type(value) is float for value in scalars)
    np.testing.assert_array_equal(vector, scalars)
    np.testing.assert_array_equal(schedule(t.reshape(-1, 1)), vector.reshape(-1, 1))


# =============================================================================== the MLP
def pre_activations(net, X):
    """What each hidden ReLU sees (after batch norm, in training mode; its kink is at 0), and the smallest
    batch variance a batch-norm layer divides by."""
    seen, variances = [], [np.inf]
    a = X
    for layer in net.layers[:-1]:
        z = a @ layer.W + layer.b
        if layer.batch_norm:
            variances.append(z.var(axis=0).min())
            z = layer.gamma * (z - z.mean(axis=0)) / np.sqrt(z.var(axis=0) + net.bn_eps) + layer.beta
        if layer.activation == "relu":
            seen.append(z.ravel())
        a = {"relu": lambda v: np.maximum(v, 0), "tanh": np.tanh, "sigmoid": nn.sigmoid, "linear": lambda v: v}[
            layer.activation
        ](z)
    return (np.concatenate(seen) if seen else np.array([np.inf])), min(variances)


@st.composite
def networks(draw):
    loss = draw(st.sampled_from(nn.LOSSES))
    hidden = draw(st.lists(st.integers(1, 5), min_size=0, max_size=2))
    outputs = 1 if loss == "binary_cross_entropy" else draw(st.integers(2 if loss != "mse" else 1, 4))
    sizes = [draw(st.integers(1, 4)), *hidden, outputs]
    per_layer = draw(st.booleans()) and hidden
    activation = (
        draw(st.lists(st.sampled_from(nn.ACTIVATIONS), min_size=len(hidden), max_size=len(hidden)))
        if per_layer
        else draw(st.sampled_from(nn.ACTIVATIONS))
    )
    batch_norm = bool(hidden) and draw(st.booleans())
    return dict(
        sizes=sizes,
        activation=activation,
        loss=loss,
        batch_norm=batch_norm,
        init=draw(st.sampled_from(["he", "xavier", "torch", "uniform"])),
        l2=draw(st.sampled_from([0.0, 0.1])),
        seed=draw(st.integers(0, 2**16)),
    )


@settings(max_examples=1000, deadline=None)
@given(spec=networks(), n=st.integers(2, 6), data_seed=st.integers(0, 2**32 - 1))
def test_mlp_gradient_matches_central_differences_on_random_architectures(spec, n, data_seed):
    net = nn.MLP(dtype=np.float64, dropout=0.0, **spec)
    rng = np.random.default_rng(data_seed)
    X = rng.standard_normal((n, spec["sizes"][0]))
    K = spec["sizes"][-1]
    if spec["loss"] == "mse":
        y = rng.standard_normal(n) if K == 1 else rng.standard_normal((n, K))
    else:
        y = rng.integers(0, max(K, 2), n)
    # central differences are wrong across a ReLU kink: keep every ReLU input away from 0; and away from
    # batch norm's degenerate corner (batch variance ~ bn_eps), where the loss curves too sharply for them
    relu_inputs, smallest_variance = pre_activations(net, X)
    assume(np.min(np.abs(relu_inputs)) > 1e-3 and smallest_variance > 1e-3)
    loss, grad = net.loss_and_grad(X, y)
    assert grad.shape == net.params.shape and grad.dtype == np.float64
    assert math.isclose(loss, net.loss(X, y), rel_tol=1e-12)
    numeric = derivatives.numerical_grad(lambda theta: net.loss(X, y, params=theta), net.params, eps=1e-6)
    # relative error; where the gradient itself vanishes (e.g. every unit of a layer dead and the labels
    # balanced) central differences are rounding noise of size ~1e-16 |L| / eps ~ 1e-10, hence the floor 1e-4
    error = np.linalg.norm(grad - numeric) / max(np.linalg.norm(grad) + np.linalg.norm(numeric), 1e-4)
    assert error < 1e-5, f"relative error {error:.2e} for {net}"


# =============================================================================== data
@st.composite
def labelled_sets(draw, min_n=1):
    n = draw(st.integers(min_n, 60))
    kind = draw(st.sampled_from(["labels", "labels_unstratified", "targets"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    y = rng.integers(0, draw(st.integers(1, 4)), n) if kind != "targets" else rng.normal(size=n)
    X = np.column_stack([np.arange(n, dtype=float), rng.normal(size=n)])  # column 0: each sample's id
    weights = draw(st.lists(st.floats(0.05, 1), min_size=2, max_size=4))
    fractions = tuple(w / sum(weights) for w in weights)
    stratify = "auto" if kind != "labels_unstratified" else False
    return X, y, fractions, stratify


@settings(max_examples=1000, deadline=None)
@given(case=labelled_sets(), seed=st.integers(0, 2**32 - 1))
def test_split_parts_are_disjoint_complete_aligned_and_sized_by_the_fractions(case, seed):
    X, y, fractions, stratify = case
    parts = data.split(X, y, fractions, seed=seed, stratify=stratify)
    assert len(parts) == len(fractions)
    ids = np.concatenate([X_part[:, 0] for X_part, _ in parts]).astype(int)
    np.testing.assert_array_equal(np.sort(ids), np.arange(len(y)))  # every sample exactly once
    for X_part, y_part in parts:
        np.testing.assert_array_equal(X_part, X[X_part[:, 0].astype(int)])  # rows stay whole ...
        np.testing.assert_array_equal(y_part, y[X_part[:, 0].astype(int)])  # ... and keep their labels
    stratified = stratify == "auto" and np.issubdtype(y.dtype, np.integer)
    group = np.unique(y, return_inverse=True)[1] if stratified else np.zeros(len(y), int)
    group_sizes = np.bincount(group)
    for (X_part, _), fraction in zip(parts, fractions):  # each class (or the whole set) cut in proportion
        counts = np.bincount(group[X_part[:, 0].astype(int)], minlength=len(group_sizes))
        assert np.all(np.abs(counts - fraction * group_sizes) <= 1)  # up to rounding


@settings(max_examples=1000, deadline=None)
@given(case=labelled_sets(min_n=20), seeds=st.lists(st.integers(0, 2**32 - 1), min_size=2, max_size=2, unique=True))
def test_split_is_seeded_same_seed_same_split_other_seed_other_split(case, seeds):
    X, y, fractions, stratify = case
    first = data.split(X, y, fractions, seed=seeds[0], stratify=stratify)
    again = data.split(X, y, fractions, seed=np.random.default_rng(seeds[0]), stratify=stratify)
    other = data.split(X, y, fractions, seed=seeds[1], stratify=stratify)
    for (X_a, y_a), (X_b, y_b) in zip(first, again):
        np.testing.assert_array_equal(X_a, X_b)
        np.testing.assert_array_equal(y_a, y_b)
    # with 20 or more samples, two seeds giving the same parts in the same order is vanishingly unlikely
    assert any(not np.array_equal(X_a, X_b) for (X_a, _), (X_b, _) in zip(first, other))


@settings(max_examples=1000, deadline=None)
@given(
    n=st.integers(1, 50),
    data_=st.data(),
    shuffle=st.sampled_from([True, False, "once"]),
    drop_last=st.booleans(),
    n_epochs=st.integers(1, 3),
    seed=st.integers(0, 2**32 - 1),
)
def test_epochs_visit_every_sample_once_per_epoch_in_batches(n, data_, shuffle, drop_last, n_epochs, seed):
    batch_size = data_.draw(st.integers(1, n if drop_last else n + 5))
    X, y = np.arange(n, dtype=float)[:, None], np.arange(n)
    seen = {}
    for epoch, X_batch, y_batch in data.epochs(
        X, y, batch_size, n_epochs=n_epochs, shuffle=shuffle, seed=seed, drop_last=drop_last
    ):
        np.testing.assert_array_equal(X_batch[:, 0], y_batch)  # rows and labels stay together
        seen.setdefault(epoch, []).append(y_batch)
    assert sorted(seen) == list(range(n_epochs))
    orders = []
    for batch_list in seen.values():
        sizes = [len(b) for b in batch_list]
        assert all(size == batch_size for size in sizes[:-1]) and 0 < sizes[-1] <= batch_size
        order = np.concatenate(batch_list)
        if drop_last:
            assert len(order) == n - n % batch_size and len(set(order.tolist())) == len(order)
            assert sizes[-1] == batch_size
        else:
            np.testing.assert_array_equal(np.sort(order), np.arange(n))  # every sample exactly once
        if shuffle is False:
            np.testing.assert_array_equal(order, np.arange(len(order)))
        orders.append(order)
    if shuffle == "once":
        assert all(np.array_equal(order, orders[0]) for order in orders)
    replay = [
        y_batch
        for _, _, y_batch in data.epochs(
            X, y, batch_size, n_epochs=n_epochs, shuffle=shuffle, seed=seed, drop_last=drop_last
        )
    ]
    np.testing.assert_array_equal(np.concatenate(replay), np.concatenate(orders))  # same seed, same batches
    one_epoch = [
        y_batch for _, y_batch in data.batches(X, y, batch_size, shuffle=shuffle, seed=seed, drop_last=drop_last)
    ]
    np.testing.assert_array_equal(np.sort(np.concatenate(one_epoch)), np.sort(orders[0]))
