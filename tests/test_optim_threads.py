"""course_utils.optim on several threads: the chunks of a large array are updated in parallel.

The rules are element-wise, so the threads must give the very same bits as one thread; an error
(a nan gradient, numpy's errstate) must behave as on one thread. Small arrays stand in for large
ones by lowering ``parallel_size`` and ``block_size``.
"""
import time

import numpy as np
import pytest

from course_utils import optim
from test_optim import EVERY_OPTIMIZER


@pytest.fixture
def tiny_blocks(monkeypatch):
    """Blocks of 16 elements, chunks of 2 blocks, threads from 64 elements on: a (7, 53) array is 12 chunks."""
    monkeypatch.setattr(optim.Optimizer, "block_size", 16)
    monkeypatch.setattr(optim.Optimizer, "chunk_size", 32)
    monkeypatch.setattr(optim.Optimizer, "parallel_size", 64)


def run(make, threads, steps=12, seed=0):
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=(7, 53))
    a, b = rng.uniform(0.1, 2, size=theta.shape), rng.normal(size=(steps,) + theta.shape)
    opt = make()
    for inner in (opt, getattr(opt, "inner", opt)):
        inner.threads = threads
    for t in range(steps):
        opt.step(theta, a * theta + b[t])
    return theta, opt


@pytest.mark.parametrize("name", sorted(EVERY_OPTIMIZER))
@pytest.mark.parametrize("threads", [2, 3])
def test_threads_give_the_same_bits_as_one_thread(tiny_blocks, name, threads):
    alone, opt_alone = run(EVERY_OPTIMIZER[name], 1)
    together, opt_together = run(EVERY_OPTIMIZER[name], threads)
    np.testing.assert_array_equal(together, alone)
    state_alone = getattr(opt_alone, "inner", opt_alone).state
    state_together = getattr(opt_together, "inner", opt_together).state
    for key, value in state_alone.items():
        np.testing.assert_array_equal(state_together[key], value)


def test_chunks_are_whole_blocks_covering_the_array(tiny_blocks, monkeypatch):
    monkeypatch.setattr(optim.Optimizer, "chunk_size", 40)  # rounded down to whole blocks: 32
    opt = optim.Adam()
    opt.threads = 3
    assert opt._chunks(63) == (1, [(0, 63)])                 # below parallel_size: one thread
    threads, chunks = opt._chunks(7 * 53)
    assert threads == 3 and chunks[0][0] == 0 and chunks[-1][1] == 7 * 53 and len(chunks) == 12
    assert all(stop == start for (_, stop), (start, _) in zip(chunks, chunks[1:]))
    assert all(start % 16 == 0 for start, _ in chunks)
    assert opt._chunks(70) == (3, [(0, 32), (32, 64), (64, 70)])
    opt.threads = 1
    assert opt._chunks(7 * 53) == (1, [(0, 7 * 53)])


def test_a_nan_in_the_last_chunk_is_refused_before_any_update(tiny_blocks):
    opt = optim.Adam(lr=0.1)
    opt.threads = 2
    theta = np.ones(1000)
    grads = np.ones(1000)
    grads[900] = np.nan  # in the last chunk
    with pytest.raises(ValueError, match="nan or inf"):
        opt.step(theta, grads)
    np.testing.assert_array_equal(theta, 1.0)
    grads[900] = 1.0
    opt.step(theta, grads)  # a finite gradient goes through
    assert np.all(theta < 1)


def test_errstate_of_the_caller_applies_in_the_worker_threads(tiny_blocks):
    opt = optim.Adam(lr=0.1)
    opt.threads = 2
    theta = np.ones(1000)
    grads = np.ones(1000)
    grads[:] = 1e200  # g² overflows in every chunk, some computed by a worker thread
    with np.errstate(over="raise"), pytest.raises(FloatingPointError):
        opt.step(theta, grads)
    opt.reset()
    with np.errstate(over="ignore"):
        opt.step(theta, grads)  # no warning, no error


def test_worker_threads_see_the_callers_errstate():
    from course_utils.optim.base import _share_out

    def work(start, stop, worker):
        if worker == 0:
            time.sleep(0.05)  # leave jobs to the other thread
        return np.geterr()["over"], worker

    with np.errstate(over="raise"):
        results = _share_out([(0, 1), (1, 2), (2, 3), (3, 4)], 2, work)
    assert [setting for setting, _ in results] == ["raise"] * 4
    assert {worker for _, worker in results} == {0, 1}


def test_an_error_in_a_worker_thread_reaches_the_caller():
    from course_utils.optim.base import _share_out

    def work(start, stop, worker):
        if worker == 0:
            time.sleep(0.05)
            return start
        raise RuntimeError("from the worker")

    with pytest.raises(RuntimeError, match="from the worker"):
        _share_out([(0, 1), (1, 2), (2, 3)], 2, work)
