"""Benchmarks of the course's numerics against PyTorch and against the machine's limits (``make bench``).

Prints one table of medians and ratios (Markdown, as in docs/PERFORMANCE.md):

  mlp         one train step of a 64-256-256-10 ReLU MLP, batch 128, SGD momentum 0.9,
              float32 and float64, numpy against torch at 1 and 2 threads
  sweep       10,000 Adam runs x 500 steps on Rosenbrock's surface, one train.descend call
  notebooks   every notebook executed by nbclient in a fresh kernel, then the whole course
              one after another and on 2 workers (each worker takes whole notebooks, as
              ``pytest -n 2 --dist loadfile`` does)
  playground  notebooks/playground.ipynb: kernel time of a slider move (recompute + redraw)
  grading     ``tools.grade`` on six students' complete submissions (every chapter, solved) against
              one execution of the course under nbval (``pytest -n 2 --dist loadfile``), the
              issue's goal; and a class of 100 at the same rate

    .venv/bin/python -m tools.bench                    # everything (about 15 minutes)
    .venv/bin/python -m tools.bench --quick            # fewer repeats
    .venv/bin/python -m tools.bench --only sweep --only mlp --json bench.json
    .venv/bin/python -m tools.bench --torch-python /tmp/torchenv_b/bin/python

torch is never a dependency of the course. The torch figures come from a separate interpreter
(``--torch-python``; default /tmp/torchenv/bin/python if it exists), run as a subprocess of this
script; without one those cells say "torch not installed" and the numpy figures still run. To
make one: ``python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch numpy``.

The machine may be shared: numpy and torch are timed in alternating rounds (so a busy spell
hurts both), every figure is the median over rounds of per-round medians, and ranges give the
smallest and largest round; numpy / torch is the ratio of the two medians, its range that of
the ratios within each round. The load average is printed before and after: re-run when it is
low for figures to quote.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
PLAYGROUND = NOTEBOOKS / "playground.ipynb"
DIGITS = ROOT / "course_utils" / "datasets" / "digits.npz"
DEFAULT_TORCH_PYTHON = "/tmp/torchenv/bin/python"
SECTIONS = ("mlp", "sweep", "notebooks", "playground", "grading")

SIZES = [64, 256, 256, 10]
BATCH = 128
LR, MOMENTUM = 0.01, 0.9
SWEEP_RUNS, SWEEP_STEPS = 10_000, 500
GOAL_NOTEBOOK, GOAL_COURSE, GOAL_SWEEP, GOAL_REDRAW = 60.0, 300.0, 1.0, 0.1


# =============================================================================== timing
def _times(fn, repeats, warmup):
    """Wall-clock seconds of ``repeats`` calls of ``fn`` after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    out = np.empty(repeats)
    for i in range(repeats):
        start = time.perf_counter()
        fn()
        out[i] = time.perf_counter() - start
    return out


def _median(fn, repeats, warmup):
    return float(np.median(_times(fn, repeats, warmup)))


def _batches(dtype, seed=0):
    """The digits (pixels/16) cut into 14 shuffled batches of 128, visited in turn.

    Real, changing batches: repeating one random batch lets the network memorise it, and the
    tiny gradients that follow turn into denormal numbers, which slow float32 arithmetic on x86
    down by orders of magnitude (torch's kernels flush them to zero, numpy's do not).
    """
    with np.load(DIGITS) as archive:
        X = (archive["images"].reshape(-1, SIZES[0]) / 16.0).astype(dtype)
        y = archive["labels"].astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(y))[: len(y) // BATCH * BATCH]
    return [(X[i], y[i]) for i in order.reshape(-1, BATCH)]


class _Cycle:
    def __init__(self, items):
        self.items, self.i = items, -1

    def __call__(self):
        self.i = (self.i + 1) % len(self.items)
        return self.items[self.i]


# =============================================================================== the torch side
# This part runs in the torch interpreter (``--torch-worker``): numpy and torch only, no course_utils.
def _torch_mlp(torch, request):
    dtype = {"float32": torch.float32, "float64": torch.float64}[request["dtype"]]
    batch = _Cycle([(torch.from_numpy(X), torch.from_numpy(y)) for X, y in _batches(request["dtype"])])
    torch.manual_seed(0)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        layers.append(torch.nn.Linear(n_in, n_out, dtype=dtype))
        if i < len(SIZES) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    criterion = torch.nn.CrossEntropyLoss()

    def step():
        X, y = batch()
        optimizer.zero_grad(set_to_none=True)
        criterion(model(X), y).backward()
        optimizer.step()

    return _median(step, request["repeats"], request["warmup"])


def torch_worker():
    """Answer one JSON request per line on stdin with one JSON line on stdout."""
    import torch

    print(json.dumps({"version": torch.__version__}), flush=True)
    cache = {}
    for line in sys.stdin:
        request = json.loads(line)
        if request["task"] == "free":
            cache.clear()
            print(json.dumps({"seconds": None}), flush=True)
            continue
        torch.set_num_threads(request["threads"])
        seconds = _torch_mlp(torch, request)
        print(json.dumps({"seconds": seconds, "threads": torch.get_num_threads()}), flush=True)


class Torch:
    """The torch interpreter as a subprocess that times what it is asked to; ``None`` figures without one."""

    def __init__(self, python):
        self.process, self.version, self.why = None, None, ""
        if python is None:
            self.why = "torch not installed"
            return
        if not Path(python).exists():
            self.why = f"torch not installed ({python} not found)"
            return
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
        }
        self.process = subprocess.Popen(
            [python, "-m", "tools.bench", "--torch-worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        first = self.process.stdout.readline()
        if not first:
            error = self.process.stderr.read().strip().splitlines()
            self.why = f"torch not installed ({python}: {error[-1] if error else 'no answer'})"
            self.process = None
            return
        self.version = json.loads(first)["version"]

    def __call__(self, **request):
        if self.process is None:
            return None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError(f"the torch worker stopped: {self.process.stderr.read()}")
        answer = json.loads(answer)
        if request.get("threads") and answer.get("threads") != request["threads"]:
            raise RuntimeError(f"torch ran on {answer.get('threads')} threads, not {request['threads']}")
        return answer["seconds"]

    def close(self):
        if self.process is not None:
            self.process.stdin.close()
            self.process.wait(timeout=60)
            self.process = None


# =============================================================================== table rows
def _spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return None, None
    return float(np.median(values)), (float(min(values)), float(max(values)))


def _row(
    section,
    what,
    numpy_values,
    torch_values=None,
    *,
    unit="s",
    goal="",
    torch_why="",
    higher=False,
    ratio_goal=None,
    value_goal=None,
    note="",
    no_ratio=False,
):
    """One line of the table from per-round figures: medians, ranges, numpy/torch ratio and verdict."""
    numpy_value, numpy_range = _spread(numpy_values)
    torch_value, torch_range = _spread(torch_values or [])
    ratios = [
        a / b for a, b in zip(numpy_values, torch_values or []) if a is not None and b is not None and not no_ratio
    ]
    _, ratio_range = _spread(ratios)  # the range of the rounds' ratios (each round: numpy, then torch)
    ratio = numpy_value / torch_value if ratios else None  # the ratio of the medians shown
    met = None
    if ratio_goal is not None and ratio is not None:
        met = ratio <= ratio_goal
    if value_goal is not None and numpy_value is not None:
        met = numpy_value >= value_goal if higher else numpy_value <= value_goal
    return dict(
        section=section,
        what=what,
        unit=unit,
        numpy=numpy_value,
        numpy_range=numpy_range,
        numpy_rounds=list(numpy_values),
        torch=torch_value,
        torch_range=torch_range,
        torch_rounds=list(torch_values or []),
        torch_missing=torch_why if torch_values is None else "",
        ratio=ratio,
        ratio_range=ratio_range,
        goal=goal,
        met=met,
        note=note,
    )


def _scale(value, unit):
    """(factor, suffix, decimals) to show ``value`` and figures like it."""
    if unit == "GB/s":
        return 1, " GB/s", 1
    if unit == "x":
        return 1, "", 2
    if value >= 1:
        return 1, " s", 2
    if value >= 1e-3:
        return 1e3, " ms", 2 if value < 0.01 else 1 if value < 0.1 else 0
    return 1e6, " µs", 0


def _fmt_range(value, span, unit):
    """``1.52 ms (1.48–1.61)``: the median, and the range over rounds in the same unit."""
    if value is None:
        return "–"
    factor, suffix, decimals = _scale(value, unit)
    text = f"{value * factor:.{decimals}f}{suffix}"
    if span is not None and len({f"{v * factor:.{decimals}f}" for v in span}) > 1:
        text += f" ({span[0] * factor:.{decimals}f}–{span[1] * factor:.{decimals}f})"
    return text


def print_table(rows):
    lines = ["| measure | numpy (course_utils) | torch | numpy / torch | goal | met |", "|---|---|---|---|---|---|"]
    for row in rows:
        torch_cell = (
            "torch not installed" if row["torch_missing"] else _fmt_range(row["torch"], row["torch_range"], row["unit"])
        )
        ratio_cell = "–" if row["ratio"] is None else _fmt_range(row["ratio"], row["ratio_range"], "x")
        met = {None: "–", True: "yes", False: "**no**"}[row["met"]]
        what = row["what"] + (f" ({row['note']})" if row["note"] else "")
        lines.append(
            f"| {what} | {_fmt_range(row['numpy'], row['numpy_range'], row['unit'])} | "
            f"{torch_cell} | {ratio_cell} | {row['goal']} | {met} |"
        )
    print("\n".join(lines), flush=True)


# =============================================================================== 1. MLP train step
def numpy_mlp_step(dtype, threads, repeats, warmup):
    import course_utils
    from course_utils import nn, optim

    batch = _Cycle(_batches(dtype))
    net = nn.MLP(SIZES, dtype=np.dtype(dtype).type, seed=0)
    optimizer = optim.SGD(lr=LR, momentum=MOMENTUM)
    grad = np.empty_like(net.params)

    def step():
        X, y = batch()
        net.loss_and_grad(X, y, out=grad)
        optimizer.step(net.params, grad)

    with course_utils.blas_threads(threads):
        seconds = _median(step, repeats, warmup)
    assert net.params.dtype == np.dtype(dtype) and np.all(np.isfinite(net.params))
    return seconds


def bench_mlp(torch, rounds, repeats):
    configs = [(dtype, threads) for dtype in ("float32", "float64") for threads in (1, 2)]
    mine = {c: [] for c in configs}
    theirs = {c: [] for c in configs}
    for r in range(rounds):
        for dtype, threads in configs:  # alternate: numpy, torch, numpy, torch ...
            mine[dtype, threads].append(numpy_mlp_step(dtype, threads, repeats, warmup=30))
            time.sleep(0.1)  # let BLAS/OpenMP threads of one side fall asleep before the other runs
            theirs[dtype, threads].append(torch(task="mlp", dtype=dtype, threads=threads, repeats=repeats, warmup=30))
            time.sleep(0.1)
        print(f"  mlp round {r + 1}/{rounds} done", file=sys.stderr, flush=True)
    rows = []
    for dtype, threads in configs:
        torch_values = None if torch.process is None else theirs[dtype, threads]
        rows.append(
            _row(
                "mlp",
                f"MLP train step, {dtype}, {threads} thread{'s' * (threads > 1)}",
                mine[dtype, threads],
                torch_values,
                torch_why=torch.why,
                goal="≤ 1.0× torch",
                ratio_goal=1.0,
            )
        )
    return rows


# =============================================================================== 2. vectorised sweep
def bench_sweep(rounds):
    from course_utils import optim, surfaces, train

    surface = surfaces.rosenbrock()
    (x0, x1), (y0, y1) = surface.bounds
    rng = np.random.default_rng(0)
    starts = np.column_stack([rng.uniform(x0, x1, SWEEP_RUNS), rng.uniform(y0, y1, SWEEP_RUNS)])

    def sweep():
        return train.descend(surface, optim.Adam(lr=0.01), starts, SWEEP_STEPS)

    first = time.perf_counter()
    result = sweep()
    first = time.perf_counter() - first
    assert result.points.shape == (SWEEP_STEPS + 1, SWEEP_RUNS, 2)
    del result
    warm = [_median(sweep, 1, warmup=0) for _ in range(max(rounds, 3))]
    return [
        _row(
            "sweep",
            f"descend: {SWEEP_RUNS:,} Adam runs × {SWEEP_STEPS} steps, Rosenbrock",
            warm,
            None,
            goal="< 1 s",
            value_goal=GOAL_SWEEP,
            note=f"first call {first:.2f} s",
        )
    ]


# =============================================================================== 3. notebooks
CELL_TIMEOUT = 180  # seconds; a notebook has 60 s in all, so a cell this slow has failed anyway


def run_notebook(path):
    """Execute one notebook in a fresh kernel (nbclient); print its time as JSON."""
    import nbformat

    from tools.nbexec import PatientClient  # nbclient without its stall after widget cells

    nb = nbformat.read(path, as_version=4)
    client = PatientClient(
        nb, timeout=CELL_TIMEOUT, kernel_name="python3", resources={"metadata": {"path": str(Path(path).parent)}}
    )
    start = time.perf_counter()
    error = ""
    try:
        client.execute()
    except Exception as exc:  # a notebook still being written: report the time and the error
        text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip()
        error = f"{type(exc).__name__}: {text.splitlines()[-1] if text else ''}"
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "error": error}), flush=True)
    return nb


def _notebook_once(path):
    done = subprocess.run(
        [sys.executable, "-m", "tools.bench", "--run-notebook", str(path)], capture_output=True, text=True, cwd=ROOT
    )
    lines = done.stdout.strip().splitlines()
    warnings = [line for line in done.stderr.splitlines() if "timeout" in line.lower()]
    if done.returncode != 0 or not lines:
        tail = done.stderr.strip().splitlines()
        return {"seconds": None, "error": tail[-1] if tail else f"exit code {done.returncode}", "warnings": warnings}
    return {**json.loads(lines[-1]), "warnings": warnings}


def _notebook_in_subprocess(path):
    """Run ``path`` in a fresh kernel; once more if the kernel hung or died (``lost`` says how long)."""
    outcome = _notebook_once(path)
    if outcome["error"].startswith(("CellTimeoutError", "DeadKernelError", "TimeoutError")):
        # a kernel that died or hung (on a shared machine, not the notebook's fault as a rule):
        # time a second run, and say so
        again = _notebook_once(path)
        again["lost"] = outcome["seconds"] or 0.0
        again["first_error"] = outcome["error"]
        return again
    return outcome


def _notebook_note(outcome):
    notes = [f"nbclient: {w.strip()[:60]}" for w in outcome.get("warnings", [])[:1]]
    if outcome.get("first_error"):
        notes.append(f"second run; the first failed ({outcome['first_error'][:40]})")
    if outcome["error"]:
        notes.append(f"failed: {outcome['error'][:80]}")
    return "; ".join(notes)


def bench_notebooks():
    paths = sorted(p for p in NOTEBOOKS.glob("*.ipynb"))
    if not paths:
        print("  no notebooks found", file=sys.stderr)
        return []
    rows = []
    start = time.perf_counter()
    results = {}
    for path in paths:
        results[path] = _notebook_in_subprocess(path)
        seconds = results[path]["seconds"]
        print(
            f"  {path.name}: {'?' if seconds is None else f'{seconds:.1f}'} s {_notebook_note(results[path])}",
            file=sys.stderr,
            flush=True,
        )
    lost = sum(r.get("lost", 0.0) for r in results.values())
    sequential = time.perf_counter() - start - lost  # a hung first run is not the course's time
    for path in paths:
        rows.append(
            _row(
                "notebooks",
                f"notebook {path.name}",
                [results[path]["seconds"]],
                None,
                goal="≤ 60 s",
                value_goal=GOAL_NOTEBOOK,
                note=_notebook_note(results[path]),
            )
        )
    failed = sum(bool(r["error"]) for r in results.values())
    note = f"{len(paths)} notebooks" + (f", {failed} failed" if failed else "")
    note += f"; {lost:.0f} s of hung kernels left out" if lost else ""
    rows.append(
        _row(
            "notebooks",
            "whole course, one notebook after another",
            [sequential],
            None,
            goal="≤ 5 min",
            value_goal=GOAL_COURSE,
            note=note,
        )
    )
    start = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:  # two workers, each taking the next whole notebook
        parallel = list(pool.map(_notebook_in_subprocess, paths))
    for path, outcome in zip(paths, parallel):
        seconds = outcome["seconds"]
        print(
            f"  2 workers: {path.name}: {'?' if seconds is None else f'{seconds:.1f}'} s {_notebook_note(outcome)}",
            file=sys.stderr,
            flush=True,
        )
    lost = sum(r.get("lost", 0.0) for r in parallel)
    wall = time.perf_counter() - start
    slowest = max(parallel, key=lambda r: r["seconds"] or 0)["seconds"] or 0.0
    note = f"slowest notebook {slowest:.0f} s while sharing the 2 cores"
    note += f"; includes {lost:.0f} s of a hung kernel, run again" if lost else ""
    rows.append(
        _row("notebooks", "whole course, 2 workers", [wall], None, goal="≤ 5 min", value_goal=GOAL_COURSE, note=note)
    )
    return rows


# =============================================================================== 4. playground
_PROBE = r"""
import json as _json, time as _time
import ipywidgets as _widgets
import matplotlib.pyplot as _plt
_instances = getattr(_widgets.Widget, "_active_widgets", None) or _widgets.widgets.widget._instances
_kinds = (_widgets.IntSlider, _widgets.FloatSlider, _widgets.FloatLogSlider, _widgets.SelectionSlider)
_sliders = [w for w in list(_instances.values()) if isinstance(w, _kinds) and not w.disabled]
def _values(w, n):
    # n values never shown before: steps up from the current value, or down at the top of the range
    if isinstance(w, _widgets.SelectionSlider):
        i, options = w.index, list(w.options)
        order = options[i + 1:] + options[:i][::-1]
        return order[:n]
    if isinstance(w, _widgets.FloatLogSlider):
        up = [w.value * w.base ** (w.step * k) for k in range(1, n + 1)]
        down = [w.value / w.base ** (w.step * k) for k in range(1, n + 1)]
        fits = [v for v in up if v <= w.base ** w.max * (1 + 1e-9)]
        return fits if len(fits) == n else [v for v in down if v >= w.base ** w.min * (1 - 1e-9)]
    up = [w.value + w.step * k for k in range(1, n + 1)]
    down = [w.value - w.step * k for k in range(1, n + 1)]
    fits = [v for v in up if v <= w.max]
    return fits if len(fits) == n else [v for v in down if v >= w.min]
_moves = []
_errors = []
for _w in _sliders:
    _old, _times = _w.value, []
    try:
        for _new in _values(_w, 5):
            _t = _time.perf_counter()
            _w.value = _new
            for _n in _plt.get_fignums():          # an interactive backend draws later: draw now
                _f = _plt.figure(_n)
                if _f.stale:
                    _f.canvas.draw()
            _times.append(_time.perf_counter() - _t)
        _w.value = _old
    except Exception as _e:
        _errors.append(f"{_w.description}: {type(_e).__name__}: {_e}"[:200])
        continue
    if _times:
        _moves.append({"slider": _w.description or type(_w).__name__, "seconds": sorted(_times)[len(_times) // 2],
                       "max": max(_times)})
print("BENCH-PLAYGROUND-ERRORS " + _json.dumps(_errors))
print("BENCH-PLAYGROUND " + _json.dumps(_moves))
"""


def bench_playground():
    if not PLAYGROUND.exists():
        print(f"  {PLAYGROUND.relative_to(ROOT)} does not exist yet: playground skipped", file=sys.stderr)
        return [
            _row(
                "playground",
                "playground redraw after a slider move",
                [None],
                None,
                goal="≤ 100 ms",
                note="skipped: notebooks/playground.ipynb does not exist yet",
            )
        ]
    done = subprocess.run(
        [sys.executable, "-m", "tools.bench", "--probe-playground"], capture_output=True, text=True, cwd=ROOT
    )
    marker = [line for line in done.stdout.splitlines() if line.startswith("BENCH-PLAYGROUND ")]
    if not marker:
        tail = re.sub(r"\x1b\[[0-9;]*m", "", done.stderr.strip() or done.stdout.strip()).splitlines()
        return [
            _row(
                "playground",
                "playground redraw after a slider move",
                [None],
                None,
                goal="≤ 100 ms",
                note=f"failed: {tail[-1][:80] if tail else 'no output'}",
            )
        ]
    moves = json.loads(marker[0][len("BENCH-PLAYGROUND ") :])
    errors = [
        json.loads(line[len("BENCH-PLAYGROUND-ERRORS ") :])
        for line in done.stdout.splitlines()
        if line.startswith("BENCH-PLAYGROUND-ERRORS ")
    ]
    errors = errors[0] if errors else []
    for error in errors:
        print(f"  playground: a slider move raised {error}", file=sys.stderr)
    if not moves:
        return [
            _row(
                "playground",
                "playground redraw after a slider move",
                [None],
                None,
                goal="≤ 100 ms",
                note="no slider found",
            )
        ]
    seconds = [m["seconds"] for m in moves]
    ranked = sorted(moves, key=lambda m: -m["seconds"])
    slowest = ", ".join(f"{m['slider']} {m['seconds'] * 1e3:.0f} ms" for m in ranked[:3])
    return [
        _row(
            "playground",
            f"playground: a slider move → recompute + redraw (kernel time), median over {len(moves)} sliders",
            [float(np.median(seconds))],
            None,
            goal="≤ 100 ms",
            value_goal=GOAL_REDRAW,
            note="5 new values each" + (f"; {len(errors)} sliders raised an error" if errors else ""),
        ),
        _row(
            "playground",
            "playground: the slowest slider",
            [ranked[0]["seconds"]],
            None,
            goal="≤ 100 ms",
            value_goal=GOAL_REDRAW,
            note=f"slowest: {slowest}",
        ),
    ]


def probe_playground():
    """Execute the playground with a last cell that moves every slider and times the kernel's work."""
    import nbformat

    from tools.nbexec import PatientClient

    nb = nbformat.read(PLAYGROUND, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(_PROBE))
    client = PatientClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()
    for output in nb.cells[-1].get("outputs", []):
        for line in output.get("text", "").splitlines():
            if line.startswith("BENCH-PLAYGROUND"):
                print(line, flush=True)


# =============================================================================== 5. grading
GRADING_STUDENTS, CLASS_SIZE = 6, 100


def _wall(command, cwd=ROOT):
    """Seconds ``command`` takes; its output is kept only if it fails."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=cwd, env={**os.environ, "MPLBACKEND": "Agg"})
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
        raise RuntimeError(f"{' '.join(map(str, command[:4]))}… failed: {' / '.join(tail)}")
    return seconds


def bench_grading(students=GRADING_STUDENTS):
    """The grader on a class of solved submissions, against the course executed once under nbval."""
    import shutil
    import tempfile

    from tools.student import BEGIN

    chapters = [p for p in sorted(NOTEBOOKS.glob("*.ipynb")) if BEGIN in p.read_text("utf-8")]
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(students):
            folder = Path(tmp, "submissions", f"student{k + 1}")
            folder.mkdir(parents=True)
            for path in chapters:
                shutil.copy2(path, folder / path.name)
        submissions, out = Path(tmp, "submissions"), Path(tmp, "grades")
        grading = _wall([sys.executable, "-m", "tools.grade", str(submissions), "--out", str(out), "--jobs", "2"])
    course = _wall(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", "--dist", "loadfile"]
        + ["--nbval-lax", "--nbval-current-env", *map(str, sorted(NOTEBOOKS.glob("*.ipynb")))]
    )
    per_student = grading / students
    return [
        _row("grading", "the course executed once under nbval, 2 workers", [course], None, note="the yardstick"),
        _row(
            "grading",
            f"{students} students' complete submissions graded, JOBS=2",
            [grading],
            None,
            goal=f"≤ the course under nbval ({course:.0f} s)",
            value_goal=course,
            note=f"{len(chapters)} chapters each; {per_student:.1f} s a student",
        ),
        _row(
            "grading",
            f"a class of {CLASS_SIZE}, at the same rate",
            [per_student * CLASS_SIZE],
            None,
            goal="minutes",
            note=f"{per_student * CLASS_SIZE / 60:.0f} min",
        ),
    ]


# =============================================================================== machine
def machine():
    import threadpoolctl

    info = {"python": platform.python_version(), "numpy": np.__version__, "nproc": os.cpu_count()}
    try:
        info["cores available"] = len(os.sched_getaffinity(0))
    except AttributeError:
        pass
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        info["cpu"] = next(
            line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")
        )
        flags = next(line for line in cpuinfo.splitlines() if line.startswith("flags"))
        info["simd"] = "avx512f" if " avx512f" in flags else "avx2" if " avx2" in flags else "sse"
        meminfo = Path("/proc/meminfo").read_text().split()
        info["memory"] = f"{int(meminfo[meminfo.index('MemTotal:') + 1]) / 2**20:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    import course_utils  # noqa: F401  (pins BLAS to one thread: the setting the numbers are taken with)

    blas = [
        f"{lib['internal_api']} {lib['version']} ({lib.get('threading_layer', '?')}, {lib.get('architecture', '?')})"
        for lib in threadpoolctl.threadpool_info()
        if lib["user_api"] == "blas"
    ]
    info["blas"] = ", ".join(blas) or "unknown"
    return info


def _load():
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


# =============================================================================== main
def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__
    )
    parser.add_argument("--quick", action="store_true", help="fewer repeats and rounds")
    parser.add_argument(
        "--only",
        action="append",
        choices=SECTIONS,
        metavar="NAME",
        help=f"run only this part (repeatable): {', '.join(SECTIONS)}",
    )
    parser.add_argument(
        "--torch-python",
        default=None,
        help=f"an interpreter that has torch (default {DEFAULT_TORCH_PYTHON} if it exists)",
    )
    parser.add_argument("--json", metavar="OUT", help="also write the figures to this JSON file")
    parser.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--run-notebook", metavar="PATH", help=argparse.SUPPRESS)
    parser.add_argument("--probe-playground", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.torch_worker:
        return torch_worker()
    if args.run_notebook:
        run_notebook(args.run_notebook)
        return None
    if args.probe_playground:
        return probe_playground()

    sections = args.only or list(SECTIONS)
    torch_python = args.torch_python
    if torch_python is None and Path(DEFAULT_TORCH_PYTHON).exists():
        torch_python = DEFAULT_TORCH_PYTHON
    rounds = 2 if args.quick else 5
    info = machine()
    load_before = _load()
    torch = Torch(torch_python) if "mlp" in sections else Torch(None)
    info["torch"] = torch.version or (torch.why if "mlp" in sections else "not used")
    print("machine: " + "; ".join(f"{k}: {v}" for k, v in info.items()), flush=True)
    print(f"load average before: {load_before}", flush=True)
    rows = []
    try:
        if "mlp" in sections:
            rows += bench_mlp(torch, rounds, repeats=100 if args.quick else 300)
        if "sweep" in sections:
            rows += bench_sweep(rounds)
        if "notebooks" in sections:
            rows += bench_notebooks()
        if "playground" in sections:
            rows += bench_playground()
        if "grading" in sections:
            rows += bench_grading()
    finally:
        torch.close()
    load_after = _load()
    print(f"load average after: {load_after}  (1, 5, 15 min; {info.get('nproc')} cores)")
    print(
        f"medians over {rounds} alternating rounds; (low–high) the range over rounds; numpy / torch is the\n"
        f"ratio of the medians, (low–high) the range of the ratios within a round\n"
    )
    print_table(rows)
    missed = [row["what"] for row in rows if row["met"] is False]
    print(f"\ngoals missed: {len(missed)}" + "".join(f"\n  - {what}" for what in missed))
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"machine": info, "load_before": load_before, "load_after": load_after, "rounds": rounds, "rows": rows},
                indent=1,
                ensure_ascii=False,
            )
        )
    return None


if __name__ == "__main__":
    main()
