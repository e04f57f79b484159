"""Regenerate the torch reference fixtures that tests/test_optim.py and tests/test_schedules.py compare against.

Run from the repository root, in a private environment with exactly torch 2.13.0 (never the
course's venv: the course does not depend on torch)::

    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch==2.13.0 numpy
    /tmp/torchenv/bin/python tools/make_reference.py

It writes

* ``tests/fixtures/torch_optim.npz`` + ``torch_optim.json``: float64 trajectories of every optimizer
  and option combination on a problem whose gradient depends on the parameters,
  ``g_t = a * theta_{t-1} + b_t`` (``a``, ``b``, ``theta_0`` are stored in the npz), so the
  feedback of each update into the next gradient is tested too. The json lists each case: the
  course_utils class, its keyword arguments, and the schedule (a course_utils.schedules function
  and its arguments) when ``lr`` is one. AdaBound/AMSBound (the authors' reference code), SGDW
  and Lookahead are not in torch.optim: they are written below as small torch optimizers.
* ``tests/fixtures/torch_schedules.npz`` + ``torch_schedules.json``: learning-rate sequences of
  torch.optim.lr_scheduler, ``lr[t]`` = the lr in the optimizer's param group for step ``t``
  (after ``t`` calls of ``scheduler.step()``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import torch
from torch.optim import lr_scheduler as sched

TORCH_VERSION = "2.13.0"
FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
STEPS = 50  # RAdam's rho_t > 5 switch happens at step 6 (beta2 = 0.999)
DIM = 5


# --- optimizers that torch.optim does not have: written from their papers / reference code ---


class AdaBound(torch.optim.Optimizer):
    """AdaBound / AMSBound following github.com/Luolc/AdaBound (adabound/adabound.py)."""

    def __init__(
        self, params, lr=1e-3, betas=(0.9, 0.999), final_lr=0.1, gamma=1e-3, eps=1e-8, weight_decay=0, amsbound=False
    ):
        super().__init__(
            params,
            dict(
                lr=lr,
                betas=betas,
                final_lr=final_lr,
                gamma=gamma,
                eps=eps,
                weight_decay=weight_decay,
                amsbound=amsbound,
            ),
        )
        self.base_lrs = [group["lr"] for group in self.param_groups]

    @torch.no_grad()
    def step(self):
        for group, base_lr in zip(self.param_groups, self.base_lrs):
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                    state["max_exp_avg_sq"] = torch.zeros_like(p)
                state["step"] += 1
                t = state["step"]
                grad = p.grad
                if group["weight_decay"]:
                    grad = grad + group["weight_decay"] * p
                state["exp_avg"].mul_(beta1).add_(grad, alpha=1 - beta1)
                state["exp_avg_sq"].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                v = state["exp_avg_sq"]
                if group["amsbound"]:
                    torch.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
                    v = state["max_exp_avg_sq"]
                denom = v.sqrt() + group["eps"]
                step_size = group["lr"] * math.sqrt(1 - beta2**t) / (1 - beta1**t)
                final_lr = group["final_lr"] * group["lr"] / base_lr
                lower = final_lr * (1 - 1 / (group["gamma"] * t + 1))
                upper = final_lr * (1 + 1 / (group["gamma"] * t))
                rate = torch.full_like(denom, step_size).div_(denom).clamp_(lower, upper)
                p.sub_(rate * state["exp_avg"])


class SGDW(torch.optim.SGD):
    """SGD with decoupled weight decay: theta <- theta (1 - lr wd), then torch's SGD step without decay."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False):
        super().__init__(params, lr=lr, momentum=momentum, dampening=dampening, weight_decay=0, nesterov=nesterov)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = weight_decay

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                p.mul_(1 - group["lr"] * group["decoupled_weight_decay"])
        super().step()


class Lookahead:
    """Lookahead (Zhang et al. 2019): slow weights copied at the first step; every k steps
    slow += alpha (fast - slow), fast = slow."""

    def __init__(self, inner, k=5, alpha=0.5):
        self.inner, self.k, self.alpha, self.t = inner, k, alpha, 0
        self.param_groups = inner.param_groups
        self.slow = None

    @torch.no_grad()
    def step(self):
        p = self.inner.param_groups[0]["params"][0]
        if self.slow is None:
            self.slow = p.detach().clone()
        self.inner.step()
        self.t += 1
        if self.t % self.k == 0:
            self.slow.add_(p - self.slow, alpha=self.alpha)
            p.copy_(self.slow)


TORCH_OPTIMIZERS = {
    name: getattr(torch.optim, name) for name in ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "NAdam", "RAdam"]
}
TORCH_OPTIMIZERS.update(AdaBound=AdaBound, SGDW=SGDW)


def torch_optimizer(name, kwargs, params):
    if name == "Lookahead":
        inner = torch_optimizer(kwargs["inner"]["optimizer"], kwargs["inner"]["kwargs"], params)
        return Lookahead(inner, k=kwargs["k"], alpha=kwargs["alpha"])
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
    return TORCH_OPTIMIZERS[name](params, **kwargs)


# --- schedules: the course_utils function name and arguments -> the torch scheduler ---


def torch_scheduler(function, kw, opt):
    """Build the torch scheduler matching ``course_utils.schedules.<function>(**kw)``; returns it and the base lr."""
    opt = getattr(opt, "inner", opt)
    if function == "step_decay":
        return sched.StepLR(opt, step_size=kw["step_size"], gamma=kw.get("gamma", 0.1))
    if function == "exponential":
        return sched.ExponentialLR(opt, gamma=kw["gamma"])
    if function == "inverse_sqrt":
        return sched.LambdaLR(opt, lambda t: (t + 1) ** -0.5)
    if function == "cosine":
        return sched.CosineAnnealingLR(opt, T_max=kw["total_steps"], eta_min=kw.get("lr_min", 0.0))
    if function == "cosine_restarts":
        return sched.CosineAnnealingWarmRestarts(
            opt, T_0=kw["first_period"], T_mult=kw.get("period_mult", 1), eta_min=kw.get("lr_min", 0.0)
        )
    if function == "warmup":
        ramp = sched.LinearLR(opt, start_factor=kw["start_factor"], end_factor=1.0, total_iters=kw["warmup_steps"])
        if not isinstance(kw["base"], dict):
            return ramp
        after = torch_scheduler(kw["base"]["function"], kw["base"]["kwargs"], opt)
        return sched.SequentialLR(opt, [ramp, after], milestones=[kw["warmup_steps"]])
    if function == "cyclic":
        return sched.CyclicLR(
            opt,
            base_lr=kw["lr_min"],
            max_lr=kw["lr_max"],
            step_size_up=kw["step_size_up"],
            mode="triangular",
            cycle_momentum=False,
        )
    if function == "one_cycle":
        return sched.OneCycleLR(
            opt,
            max_lr=kw["lr_max"],
            total_steps=kw["total_steps"],
            pct_start=kw.get("pct_start", 0.3),
            anneal_strategy="cos",
            cycle_momentum=False,
            div_factor=kw.get("div_factor", 25.0),
            final_div_factor=kw.get("final_div_factor", 1e4),
        )
    if function == "noam":
        d, w = kw["d_model"], kw["warmup_steps"]
        return sched.LambdaLR(opt, lambda t: d**-0.5 * min((t + 1) ** -0.5, (t + 1) * w**-1.5))
    raise KeyError(function)


def base_lr(function, kw):
    """The lr to build the torch optimizer with, so that its scheduler reproduces the schedule."""
    if function == "warmup":
        return base_lr(kw["base"]["function"], kw["base"]["kwargs"]) if isinstance(kw["base"], dict) else kw["base"]
    return {"cyclic": kw.get("lr_min"), "one_cycle": kw.get("lr_max"), "noam": kw.get("scale", 1.0)}.get(
        function, kw.get("lr")
    )


# --- the cases ---


def optimizer_cases():
    def case(name, optimizer, schedule=None, **kwargs):
        return {"name": name, "optimizer": optimizer, "kwargs": kwargs, "schedule": schedule}

    def schedule(function, **kwargs):
        return {"function": function, "kwargs": kwargs}

    cases = [
        case("sgd_defaults", "SGD"),
        case("sgd_plain", "SGD", lr=0.1),
        case("sgd_momentum", "SGD", lr=0.05, momentum=0.9),
        case("sgd_momentum_small", "SGD", lr=0.2, momentum=0.3),
        case("sgd_dampening", "SGD", lr=0.1, momentum=0.5, dampening=0.3),
        case("sgd_nesterov", "SGD", lr=0.05, momentum=0.9, nesterov=True),
        case("sgd_weight_decay", "SGD", lr=0.1, weight_decay=0.1),
        case("sgd_momentum_weight_decay", "SGD", lr=0.05, momentum=0.8, weight_decay=0.05),
        case("sgd_nesterov_weight_decay", "SGD", lr=0.03, momentum=0.9, weight_decay=0.05, nesterov=True),
        case("sgd_all", "SGD", lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01),
        case("sgdw_plain", "SGDW", lr=0.1, weight_decay=0.1),
        case("sgdw_momentum", "SGDW", lr=0.05, momentum=0.9, weight_decay=0.05),
        case("sgdw_nesterov", "SGDW", lr=0.03, momentum=0.9, weight_decay=0.2, nesterov=True),
        case("adagrad_defaults", "Adagrad"),
        case("adagrad_lr", "Adagrad", lr=0.5),
        case("adagrad_lr_decay", "Adagrad", lr=0.5, lr_decay=0.05),
        case("adagrad_weight_decay", "Adagrad", lr=0.3, weight_decay=0.1),
        case("adagrad_initial_accumulator", "Adagrad", lr=0.3, initial_accumulator_value=0.5),
        case("adagrad_eps", "Adagrad", lr=0.3, eps=1e-2),
        case(
            "adagrad_all", "Adagrad", lr=0.4, lr_decay=0.01, weight_decay=0.05, initial_accumulator_value=0.1, eps=1e-6
        ),
        case("rmsprop_defaults", "RMSprop"),
        case("rmsprop_alpha", "RMSprop", lr=0.01, alpha=0.9),
        case("rmsprop_centered", "RMSprop", lr=0.01, centered=True),
        case("rmsprop_momentum", "RMSprop", lr=0.01, momentum=0.8),
        case("rmsprop_weight_decay", "RMSprop", lr=0.01, weight_decay=0.1),
        case("rmsprop_eps", "RMSprop", lr=0.01, eps=1e-2),
        case("rmsprop_all", "RMSprop", lr=0.005, alpha=0.95, eps=1e-6, weight_decay=0.05, momentum=0.7, centered=True),
        case("adam_defaults", "Adam"),
        case("adam_lr", "Adam", lr=0.05),
        case("adam_betas", "Adam", lr=0.05, betas=[0.8, 0.99]),
        case("adam_amsgrad", "Adam", lr=0.05, amsgrad=True),
        case("adam_weight_decay", "Adam", lr=0.05, weight_decay=0.1),
        case("adam_eps", "Adam", lr=0.05, eps=1e-2),
        case("adam_amsgrad_weight_decay", "Adam", lr=0.05, betas=[0.5, 0.9], weight_decay=0.1, amsgrad=True),
        case("adam_decoupled", "Adam", lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
        case("adamw_defaults", "AdamW"),
        case("adamw_weight_decay", "AdamW", lr=0.05, weight_decay=0.1),
        case("adamw_amsgrad", "AdamW", lr=0.05, weight_decay=0.3, amsgrad=True),
        case("adamw_betas", "AdamW", lr=0.05, betas=[0.8, 0.99], eps=1e-4, weight_decay=0.05),
        case("nadam_defaults", "NAdam"),
        case("nadam_lr", "NAdam", lr=0.05),
        case("nadam_momentum_decay", "NAdam", lr=0.05, momentum_decay=0.05),
        case("nadam_betas", "NAdam", lr=0.05, betas=[0.8, 0.99], eps=1e-4),
        case("nadam_weight_decay", "NAdam", lr=0.05, weight_decay=0.1),
        case("nadam_decoupled", "NAdam", lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
        case("radam_defaults", "RAdam"),
        case("radam_lr", "RAdam", lr=0.05),
        case("radam_betas", "RAdam", lr=0.05, betas=[0.8, 0.99]),
        case("radam_short_memory", "RAdam", lr=0.05, betas=[0.9, 0.8]),  # rho_inf = 9: switches later
        case("radam_weight_decay", "RAdam", lr=0.05, weight_decay=0.1, eps=1e-4),
        case("radam_decoupled", "RAdam", lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
        case("adabound_defaults", "AdaBound"),
        case("adabound_tight", "AdaBound", lr=0.01, final_lr=0.05, gamma=0.01),
        case("adabound_fast_bounds", "AdaBound", lr=0.05, final_lr=0.02, gamma=0.2, betas=[0.8, 0.99]),
        case("amsbound", "AdaBound", lr=0.01, final_lr=0.05, gamma=0.05, amsbound=True),
        case("adabound_weight_decay", "AdaBound", lr=0.01, final_lr=0.05, gamma=0.05, weight_decay=0.1, eps=1e-4),
        case(
            "lookahead_sgd",
            "Lookahead",
            inner={"optimizer": "SGD", "kwargs": {"lr": 0.1, "momentum": 0.9}},
            k=5,
            alpha=0.5,
        ),
        case("lookahead_adam", "Lookahead", inner={"optimizer": "Adam", "kwargs": {"lr": 0.05}}, k=3, alpha=0.8),
        # lr given as a schedule: pins down which lr step t uses
        case("sgd_momentum_step_decay", "SGD", schedule("step_decay", lr=0.1, step_size=10, gamma=0.5), momentum=0.9),
        case("sgd_nesterov_cosine", "SGD", schedule("cosine", lr=0.1, total_steps=STEPS), momentum=0.9, nesterov=True),
        case("adagrad_exponential", "Adagrad", schedule("exponential", lr=0.5, gamma=0.97), lr_decay=0.01),
        case("rmsprop_cyclic", "RMSprop", schedule("cyclic", lr_min=0.001, lr_max=0.02, step_size_up=7), momentum=0.5),
        case("adam_cosine", "Adam", schedule("cosine", lr=0.05, total_steps=40, lr_min=1e-3)),
        case("adamw_exponential", "AdamW", schedule("exponential", lr=0.05, gamma=0.95), weight_decay=0.1),
        case(
            "nadam_decoupled_step_decay",
            "NAdam",
            schedule("step_decay", lr=0.05, step_size=7, gamma=0.5),
            weight_decay=0.1,
            decoupled_weight_decay=True,
        ),
        case(
            "radam_warmup",
            "RAdam",
            schedule("warmup", base=0.05, warmup_steps=10, start_factor=0.1),
            weight_decay=0.05,
            decoupled_weight_decay=True,
        ),
        case(
            "adabound_step_decay",
            "AdaBound",
            schedule("step_decay", lr=0.01, step_size=10, gamma=0.3),
            final_lr=0.05,
            gamma=0.05,
        ),
        case(
            "sgdw_step_decay",
            "SGDW",
            schedule("step_decay", lr=0.1, step_size=10, gamma=0.5),
            momentum=0.9,
            weight_decay=0.1,
        ),
        case(
            "lookahead_sgd_step_decay",
            "Lookahead",
            inner={
                "optimizer": "SGD",
                "kwargs": {"momentum": 0.9},
                "schedule": schedule("step_decay", lr=0.1, step_size=10, gamma=0.5),
            },
            k=4,
            alpha=0.5,
        ),
    ]
    return cases


def run_optimizer(case, a, b, theta0):
    theta = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
    kwargs, schedule = dict(case["kwargs"]), case["schedule"]
    if case["optimizer"] == "Lookahead" and "schedule" in kwargs["inner"]:
        inner = dict(kwargs["inner"])
        schedule = inner.pop("schedule")
        kwargs["inner"] = {
            "optimizer": inner["optimizer"],
            "kwargs": {**inner["kwargs"], "lr": base_lr(schedule["function"], schedule["kwargs"])},
        }
    elif schedule is not None:
        kwargs["lr"] = base_lr(schedule["function"], schedule["kwargs"])
    opt = torch_optimizer(case["optimizer"], kwargs, [theta])
    scheduler = torch_scheduler(schedule["function"], schedule["kwargs"], opt) if schedule else None
    a_t = torch.tensor(a)
    path = [theta.detach().clone()]
    for t in range(STEPS):
        theta.grad = a_t * theta.detach() + torch.tensor(b[t])
        opt.step()
        if scheduler is not None:
            scheduler.step()
        path.append(theta.detach().clone())
    return torch.stack(path).numpy()


def schedule_cases():
    def case(name, function, steps=250, **kwargs):
        return {"name": name, "function": function, "kwargs": kwargs, "steps": steps}

    cosine = {"function": "cosine", "kwargs": {"lr": 0.1, "total_steps": 200, "lr_min": 1e-3}}
    step = {"function": "step_decay", "kwargs": {"lr": 0.1, "step_size": 30, "gamma": 0.5}}
    return [
        case("step_decay_30", "step_decay", lr=0.1, step_size=30, gamma=0.1),
        case("step_decay_7", "step_decay", lr=0.5, step_size=7, gamma=0.5),
        case("step_decay_1", "step_decay", lr=1.0, step_size=1, gamma=0.98),
        case("exponential_decay", "exponential", lr=0.1, gamma=0.99),
        case("exponential_growth", "exponential", lr=1e-4, gamma=1.05),
        case("exponential_fast", "exponential", lr=0.3, gamma=0.9),
        case("inverse_sqrt", "inverse_sqrt", lr=0.3),
        case("cosine_past_end", "cosine", lr=0.1, total_steps=100),
        case("cosine_lr_min", "cosine", lr=0.05, total_steps=250, lr_min=1e-3),
        case("cosine_short", "cosine", lr=1.0, total_steps=7, lr_min=0.1),
        case("restarts_10", "cosine_restarts", lr=0.1, first_period=10),
        case("restarts_mult2", "cosine_restarts", lr=0.1, first_period=10, period_mult=2, lr_min=1e-3),
        case("restarts_mult3", "cosine_restarts", lr=0.5, first_period=3, period_mult=3, lr_min=0.01),
        case("warmup_10", "warmup", base=0.1, warmup_steps=10, start_factor=0.1),
        case("warmup_50", "warmup", base=0.5, warmup_steps=50, start_factor=0.01),
        case("warmup_1", "warmup", base=1.0, warmup_steps=1, start_factor=0.5),
        case("warmup_cosine", "warmup", base=cosine, warmup_steps=20, start_factor=0.1),
        case("warmup_step_decay", "warmup", base=step, warmup_steps=10, start_factor=0.2),
        case("cyclic_20", "cyclic", lr_min=0.001, lr_max=0.1, step_size_up=20),
        case("cyclic_7", "cyclic", lr_min=0.01, lr_max=0.05, step_size_up=7),
        case("cyclic_1", "cyclic", lr_min=0.0, lr_max=1.0, step_size_up=1),
        case("one_cycle_defaults", "one_cycle", steps=251, lr_max=0.1, total_steps=250),
        case(
            "one_cycle_quarter",
            "one_cycle",
            steps=101,
            lr_max=1.0,
            total_steps=100,
            pct_start=0.25,
            div_factor=10.0,
            final_div_factor=100.0,
        ),
        case("one_cycle_odd", "one_cycle", steps=38, lr_max=0.05, total_steps=37, pct_start=0.4),
        case("noam", "noam", d_model=512, warmup_steps=40, scale=2.0),
        case("noam_short", "noam", d_model=64, warmup_steps=4),
    ]


def run_schedule(case):
    theta = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([theta], lr=base_lr(case["function"], case["kwargs"]))
    scheduler = torch_scheduler(case["function"], case["kwargs"], opt)
    rates = []
    for t in range(case["steps"]):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        if t < case["steps"] - 1:
            scheduler.step()
    return np.array(rates, dtype=np.float64)


def main():
    if torch.__version__.split("+")[0] != TORCH_VERSION:
        raise SystemExit(f"need torch {TORCH_VERSION}, found {torch.__version__}")
    torch.set_default_dtype(torch.float64)  # torch keeps NAdam's mu_product in the default dtype
    FIXTURES.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20240607)
    a = np.array([-0.2, 0.3, 1.0, 2.5, 6.0])  # curvatures, one negative: the problem is not convex
    b = rng.normal(0.0, 0.5, size=(STEPS, DIM))  # a noisy gradient, different every step
    theta0 = rng.normal(0.0, 1.0, size=DIM)
    arrays = {"problem/a": a, "problem/b": b, "problem/theta0": theta0}
    cases = optimizer_cases()
    for case in cases:
        arrays[case["name"]] = run_optimizer(case, a, b, theta0)
    np.savez_compressed(FIXTURES / "torch_optim.npz", **arrays)
    index = {"torch": torch.__version__, "steps": STEPS, "gradient": "g_t = a * theta_{t-1} + b[t-1]", "cases": cases}
    (FIXTURES / "torch_optim.json").write_text(json.dumps(index, indent=1) + "\n")

    cases = schedule_cases()
    np.savez_compressed(FIXTURES / "torch_schedules.npz", **{c["name"]: run_schedule(c) for c in cases})
    index = {"torch": torch.__version__, "meaning": "lr[t] = torch's lr for optimizer step t", "cases": cases}
    (FIXTURES / "torch_schedules.json").write_text(json.dumps(index, indent=1) + "\n")
    print(f"wrote {len(optimizer_cases())} optimizer trajectories and {len(cases)} schedules to {FIXTURES}")


if __name__ == "__main__":
    main()
