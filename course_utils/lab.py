"""The rules of the optimizer-tuning lab (notebook 08), in one place a teaching assistant can read.

A student describes a training run as a plain dict (a *configuration*)::

    config = {"optimizer": "rmsprop", "lr": 2e-3, "batch_size": 16, "hidden": [256]}

:func:`run` trains the digits MLP it describes under a fixed budget of gradient evaluations
(``epochs`` passes over the training images), and :func:`evaluate` scores it as the mean
validation accuracy over the seeds. The lab has three **tiers** (:data:`TIERS`): the target
within the full budget, a higher target within a quarter of it, and the target within one
epoch; each tier is one point. A plain default Adam passes the first tier only.

The seeds are :data:`SEEDS` while a student works; the grader scores on the seeds a teaching
assistant sets in the environment variable ``COURSE_LAB_SEEDS`` (e.g. ``"500-511"``), which the
students' code never sees (:func:`scoring_seeds`). The test split is never used for choosing:
:func:`test_score` answers once per process.

**Why twelve seeds, and these targets.** A score is a mean over seeds, and a mean over other
seeds differs: the grader's verdict must not hinge on which seeds it drew. Measured on 400 seeds
(1000-1399), one seed's validation accuracy varies with a standard deviation of 0.008 after 2
epochs and 0.011 after 1 epoch, for the notebook's model solution (RMSProp, lr 2e-3, batches of
16, 256 units: means 0.962 and 0.948, a plateau that no variant we tried beat on fresh seeds) and
for a default Adam alike (means 0.953 and 0.930). With three seeds the model solution passed a
1-epoch target of 0.95 on only half of the seed sets. A mean over 12 seeds varies by 0.0023
(2 epochs) and 0.0030 (1 epoch) from one set of seeds to another, so the targets 0.957 and 0.94
sit about two of those spreads from both configurations: on random 12-seed sets the model
solution passes tier 2 on 96 % and tier 3 on 99.5 % of them, a default Adam on 4 % and 0.1 %
(on 43 disjoint sets: the model solution all of them, default Adam 2 and 0). Tier 1 (0.95 in 8
epochs) is passed by both with a margin of 0.02 (SGD at its defaults reaches 0.85). A grader
that scores on fewer than ``len(SEEDS)`` seeds is refused (:func:`scoring_seeds`).
"""

from __future__ import annotations

import os

import numpy as np

from . import _validate, data, nn, optim, schedules, train

#: Gradient evaluations allowed: 8 passes over the 1,078 training images.
EPOCHS_OF_BUDGET = 8
#: The largest network allowed, in parameters.
MAX_PARAMS = 50_000
#: The validation accuracy to reach, averaged over the seeds.
TARGET = 0.95
#: Seeds a configuration is scored on while a student works (initialisation and batch order);
#: the grader uses as many other seeds. Twelve, so that the mean hardly depends on which seeds.
SEEDS = tuple(range(12))
#: The lab's tiers, one point each: (epochs of budget, mean validation accuracy to reach).
#: Calibrated on 400 seeds (module docstring): the model solution passes each on >= 96 % of
#: 12-seed sets, a default Adam passes tier 1 only (tiers 2 and 3 on <= 4 % of the sets).
TIERS = ((EPOCHS_OF_BUDGET, TARGET), (2, 0.957), (1, 0.94))

OPTIMIZERS = {
    "sgd": optim.SGD,
    "adagrad": optim.Adagrad,
    "rmsprop": optim.RMSprop,
    "adam": optim.Adam,
    "adamw": optim.AdamW,
    "nadam": optim.NAdam,
    "radam": optim.RAdam,
}
SCHEDULES = ("constant", "cosine", "step", "one_cycle", "warmup_cosine")
DEFAULTS = {
    "optimizer": "sgd",
    "lr": 0.01,
    "momentum": 0.0,
    "weight_decay": 0.0,
    "schedule": "constant",
    "warmup_steps": 20,
    "batch_size": 32,
    "hidden": [64],
    "activation": "relu",
    "dropout": 0.0,
    "batch_norm": False,
    "clip_norm": None,
}

_SPLIT = None


def digits():
    """The lab's data: the course's seeded digits split (train / validation / test)."""
    global _SPLIT
    if _SPLIT is None:
        _SPLIT = data.digits_split(seed=0)
    return _SPLIT


def budget(epochs: int | None = None) -> int:
    """Samples the lab allows: ``epochs`` (default ``EPOCHS_OF_BUDGET``) × the training-set size."""
    return (EPOCHS_OF_BUDGET if epochs is None else epochs) * len(digits().X_train)


def scoring_seeds() -> tuple[int, ...]:
    """The seeds :func:`evaluate` uses by default: ``COURSE_LAB_SEEDS`` if set (the grader's), else SEEDS.

    ``COURSE_LAB_SEEDS`` is a comma-separated list of seeds and ranges, e.g. ``"500-511"`` or
    ``"500-505,600-605"``; at least ``len(SEEDS)`` different seeds, as the tiers are calibrated for
    a mean over that many (a mean over fewer depends too much on which seeds were drawn)."""
    value = os.environ.get("COURSE_LAB_SEEDS", "").strip()
    if not value:
        return SEEDS
    example = f"'500-{499 + len(SEEDS)}'"
    seeds = []
    try:
        for part in value.split(","):
            first, _, last = part.strip().partition("-")
            seeds.extend(range(int(first), int(last) + 1) if last else [int(first)])
    except ValueError:
        raise ValueError(
            f"COURSE_LAB_SEEDS must be comma-separated integers or ranges such as {example}, got {value!r}"
        ) from None
    if len(set(seeds)) < len(SEEDS):
        raise ValueError(
            f"COURSE_LAB_SEEDS names {len(set(seeds))} different seed(s) ({value!r}); the lab's tiers are "
            f"calibrated for a mean over at least {len(SEEDS)} seeds, e.g. COURSE_LAB_SEEDS={example[1:-1]}"
        )
    return tuple(dict.fromkeys(seeds))


def complete(config: dict) -> dict:
    """``config`` with defaults filled in, after checking every key and value."""
    if not isinstance(config, dict):
        raise ValueError(f"config must be a dict such as {{'optimizer': 'adam', 'lr': 0.01}}, got {config!r}")
    unknown = set(config) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"config has unknown keys {sorted(unknown)}; allowed keys are {sorted(DEFAULTS)}")
    c = {**DEFAULTS, **config}
    _validate.choice("optimizer", c["optimizer"], tuple(OPTIMIZERS))
    _validate.choice("schedule", c["schedule"], SCHEDULES)
    _validate.number("lr", c["lr"], low=0, low_open=True)
    _validate.number("momentum", c["momentum"], low=0, high=1, high_open=True)
    _validate.number("weight_decay", c["weight_decay"], low=0)
    _validate.number("warmup_steps", c["warmup_steps"], low=1, integer=True)
    _validate.number("batch_size", c["batch_size"], low=1, high=len(digits().X_train), integer=True)
    _validate.number("dropout", c["dropout"], low=0, high=1, high_open=True)
    if c["clip_norm"] is not None:
        _validate.number("clip_norm", c["clip_norm"], low=0, low_open=True)
    for activation in c["activation"] if isinstance(c["activation"], (list, tuple)) else [c["activation"]]:
        _validate.choice("activation", activation, nn.ACTIVATIONS)
    _validate.choice("batch_norm", c["batch_norm"], (False, True))
    if not isinstance(c["hidden"], (list, tuple)) or not all(
        isinstance(h, (int, np.integer)) and not isinstance(h, bool) and h >= 1 for h in c["hidden"]
    ):
        raise ValueError(f"hidden must be a list of positive layer widths, got {c['hidden']!r}")
    sizes = [64, *c["hidden"], 10]
    n_params = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    if n_params > MAX_PARAMS:
        raise ValueError(f"hidden={c['hidden']} gives {n_params:,} parameters; the lab allows at most {MAX_PARAMS:,}")
    return c


def _schedule(c: dict, steps: int):
    lr = c["lr"]
    if c["schedule"] == "constant":
        return lr
    if c["schedule"] == "cosine":
        return schedules.cosine(lr, steps)
    if c["schedule"] == "step":
        return schedules.step_decay(lr, max(1, steps // 3), gamma=0.1)
    if c["schedule"] == "one_cycle":
        return schedules.one_cycle(lr, steps)
    return schedules.warmup(schedules.cosine(lr, max(1, steps - c["warmup_steps"])), c["warmup_steps"])


def optimizer_for(c: dict, steps: int):
    """The optimizer a completed configuration describes, for ``steps`` steps."""
    kwargs = {"lr": _schedule(c, steps), "weight_decay": c["weight_decay"]}
    if c["optimizer"] in ("sgd", "rmsprop"):
        kwargs["momentum"] = c["momentum"]
    return OPTIMIZERS[c["optimizer"]](**kwargs)


def run(config: dict, seed: int = 0, progress: bool = False, epochs: int | None = None):
    """Train the configuration once under the budget of ``epochs`` (default: the full budget);
    returns ``(net, history)``."""
    c = complete(config)
    epochs = EPOCHS_OF_BUDGET if epochs is None else _validate.number("epochs", epochs, low=1, integer=True)
    d = digits()
    steps = epochs * -(-len(d.X_train) // c["batch_size"])  # each epoch ends with a short batch
    net = nn.MLP(
        [64, *c["hidden"], 10], activation=c["activation"], seed=seed, dropout=c["dropout"], batch_norm=c["batch_norm"]
    )
    history = train.fit(
        net,
        optimizer_for(c, steps),
        d.X_train,
        d.y_train,
        max_samples=budget(epochs),
        batch_size=c["batch_size"],
        seed=seed,
        X_val=d.X_val,
        y_val=d.y_val,
        eval_every=max(1, steps // 16),
        eval_train=False,
        clip_norm=c["clip_norm"],
        progress=progress,
    )
    if history.samples[-1] > budget(epochs):
        raise AssertionError(f"the run touched {history.samples[-1]} samples, over the budget of {budget(epochs)}")
    return net, history


def evaluate(config: dict, seeds=None, epochs: int | None = None, target: float | None = None) -> dict:
    """Score a configuration: validation accuracy per seed (default :func:`scoring_seeds`), their mean,
    whether it reaches ``target`` (default TARGET) within ``epochs`` (default the full budget), and
    ``sem``, the standard error of the mean: how much the mean would vary over other seeds."""
    seeds = scoring_seeds() if seeds is None else tuple(seeds)
    target = TARGET if target is None else target
    scores = []
    for seed in seeds:
        net, history = run(config, seed, epochs=epochs)
        scores.append(float(history.val_accuracy[-1]) if history.diverged_at is None else 0.0)
    mean = float(np.mean(scores))
    sem = float(np.std(scores, ddof=1) / np.sqrt(len(scores))) if len(scores) > 1 else float("nan")
    return {
        "val_accuracy": scores,
        "mean": mean,
        "sem": sem,
        "passed": mean >= target,
        "budget": budget(epochs),
        "target": target,
        "seeds": seeds,
    }


_test_looks = []


def test_score(config: dict, seed: int = 0) -> float:
    """Accuracy on the held-out test split: one look per process, after choosing (a second call raises)."""
    if _test_looks:
        raise RuntimeError(
            f"the test split was already looked at in this session (for {_test_looks[0]!r}): "
            "choosing by the test score overestimates it (chapter 00); choose on validation"
        )
    _test_looks.append(config)
    net, _ = run(config, seed)
    d = digits()
    return float(net.accuracy(d.X_test, d.y_test))
