"""Time one training step of the course MLP against torch on this machine.

One step = forward + backward + SGD-with-momentum update of a 64-256-256-10 ReLU network on a
batch of 128 float32 digits (softmax cross-entropy), cycling through the 14 batches of the data. Reports the median of many repeats (and
the forward pass alone) for 1 and 2 threads: BLAS threads for numpy (threadpoolctl), intra-op
threads for torch (``torch.set_num_threads``).

    .venv/bin/python tools/bench_mlp.py                                   # numpy; torch if importable
    .venv/bin/python tools/bench_mlp.py --torch-python /tmp/torchenv_b/bin/python

torch is never a dependency of the course: install it in a private environment only to
measure (``python3 -m venv /tmp/torchenv_b && /tmp/torchenv_b/bin/pip install torch numpy``).
Without it the script says "torch not installed" and still times numpy.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

SIZES = [64, 256, 256, 10]
BATCH = 128
LR, MOMENTUM = 0.01, 0.9


def _median_time(fn, repeats, warmup=20):
    for _ in range(warmup):
        fn()
    times = np.empty(repeats)
    for i in range(repeats):
        start = time.perf_counter()
        fn()
        times[i] = time.perf_counter() - start
    return float(np.median(times))


DIGITS = Path(__file__).resolve().parent.parent / "course_utils" / "datasets" / "digits.npz"


def _batches(seed=0):
    """The digits (pixels/16, float32) cut into 14 shuffled batches of 128, visited in turn.

    Real, changing batches: repeating one random batch lets the network memorise it, and the
    tiny gradients that follow turn into denormal numbers, which slow float32 arithmetic on
    x86 down by orders of magnitude (and torch's kernels flush them to zero, numpy's do not).
    """
    with np.load(DIGITS) as archive:
        X = (archive["images"].reshape(-1, SIZES[0]) / np.float32(16)).astype(np.float32)
        y = archive["labels"].astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(y))[: len(y) // BATCH * BATCH]
    return [(X[i], y[i]) for i in order.reshape(-1, BATCH)]


class _Cycle:
    def __init__(self, items):
        self.items, self.i = items, -1

    def __call__(self):
        self.i = (self.i + 1) % len(self.items)
        return self.items[self.i]


class _MomentumSGD:
    """torch.optim.SGD(momentum) semantics, used only if course_utils.optim has no SGD yet:
    v ← μ v + g, θ ← θ − η v."""

    def __init__(self, lr, momentum):
        self.lr, self.momentum, self.velocity, self.scratch = lr, momentum, None, None

    def step(self, params, grads):
        if self.velocity is None:
            self.velocity = grads.copy()
            self.scratch = np.empty_like(params)
        else:
            self.velocity *= self.momentum
            self.velocity += grads
        np.multiply(self.velocity, self.lr, out=self.scratch)
        params -= self.scratch
        return params


def time_numpy(threads, repeats):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import course_utils
    from course_utils import nn

    try:
        from course_utils.optim import SGD
        optimizer, which = SGD(lr=LR, momentum=MOMENTUM), "course_utils.optim.SGD"
    except ImportError:
        optimizer, which = _MomentumSGD(LR, MOMENTUM), "a hand-written momentum step"
    batch = _Cycle(_batches())
    net = nn.MLP(SIZES, dtype=np.float32, seed=0)
    grad = np.empty_like(net.params)

    def step():
        X, y = batch()
        net.loss_and_grad(X, y, out=grad)
        optimizer.step(net.params, grad)

    def forward():
        net.loss(*batch())

    with course_utils.blas_threads(threads):
        result = {"step": _median_time(step, repeats), "forward": _median_time(forward, repeats)}
    assert net.params.dtype == np.float32 and np.all(np.isfinite(net.params))
    result["optimizer"] = which
    return result


def time_torch(threads, repeats):
    import torch

    torch.set_num_threads(threads)
    batch = _Cycle([(torch.from_numpy(X), torch.from_numpy(y)) for X, y in _batches()])
    layers = []
    for i, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        layers.append(torch.nn.Linear(n_in, n_out))
        if i < len(SIZES) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    criterion = torch.nn.CrossEntropyLoss()

    def step():
        X, y = batch()
        optimizer.zero_grad(set_to_none=True)
        loss = criterion(model(X), y)
        loss.backward()
        optimizer.step()

    def forward():
        X, y = batch()
        with torch.no_grad():
            criterion(model(X), y)

    def forward_graph():  # forward as in training (records the graph for backward)
        X, y = batch()
        criterion(model(X), y)

    return {"step": _median_time(step, repeats), "forward": _median_time(forward, repeats),
            "forward_with_grad": _median_time(forward_graph, repeats), "version": torch.__version__}


def torch_results(threads, repeats, torch_python):
    if torch_python is None:
        try:
            return time_torch(threads, repeats)
        except ImportError:
            return None
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    cmd = [torch_python, __file__, "--only-torch", "--threads", str(threads), "--repeats", str(repeats)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0 or not done.stdout.strip():
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def _best(old, new):
    """Keep the smaller time of each kind (the run least disturbed by other processes)."""
    if old is None or new is None:
        return new
    return {k: (min(v, new[k]) if isinstance(v, float) else v) for k, v in old.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--torch-python", default=None,
                        help="a python interpreter that has torch (run in a subprocess)")
    parser.add_argument("--only-torch", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.only_torch:
        print(json.dumps(time_torch(args.threads[0], args.repeats)))
        return
    print(f"one training step of MLP {'-'.join(map(str, SIZES))}, batch {BATCH}, float32, "
          f"SGD momentum {MOMENTUM}; median of {args.repeats} repeats, best of {args.rounds} "
          f"alternating rounds (the machine may be shared)")
    for threads in args.threads:
        mine, theirs = None, None
        for _ in range(args.rounds):  # alternate, so that a busy spell hurts both sides alike
            mine = _best(mine, time_numpy(threads, args.repeats))
            theirs = _best(theirs, torch_results(threads, args.repeats, args.torch_python))
        line = (f"threads={threads}  numpy: step {mine['step'] * 1e6:7.1f} us, "
                f"forward {mine['forward'] * 1e6:6.1f} us ({mine['optimizer']})")
        if theirs is None:
            line += "  |  torch not installed"
        else:
            line += (f"  |  torch {theirs['version']}: step {theirs['step'] * 1e6:7.1f} us, "
                     f"forward {theirs['forward'] * 1e6:6.1f} us (no_grad), "
                     f"{theirs['forward_with_grad'] * 1e6:6.1f} us (with graph)"
                     f"  |  numpy/torch step time {mine['step'] / theirs['step']:.2f}")
        print(line, flush=True)


if __name__ == "__main__":
    main()
