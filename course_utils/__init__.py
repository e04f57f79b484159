"""course_utils: the small shared library of the course "How neural networks are trained".

One concept per module, each importable on its own::

    from course_utils import optim, schedules, surfaces, derivatives, nn, data, train, plots, check
    from course_utils import lab, critical, many_runs, playground

**Importing the package limits BLAS (numpy's matrix library) to one thread for the rest of the
process** — in a notebook, for the rest of the kernel's life. This is the course's one thread
setting: the course's matrices are small, and with two processes on two cores OpenBLAS's
default threading ran a small float64 MLP step 13x slower than one thread (docs/PERFORMANCE.md).
Set the environment variable ``COURSE_BLAS_THREADS`` before importing to choose another number,
or use :func:`blas_threads` as a context manager for one large computation::

    with course_utils.blas_threads(2):
        big = A @ B
"""

from __future__ import annotations

import importlib
import os

from threadpoolctl import threadpool_limits

__version__ = "0.1.0"
__all__ = [
    "optim",
    "schedules",
    "surfaces",
    "derivatives",
    "nn",
    "data",
    "train",
    "plots",
    "check",
    "lab",
    "critical",
    "many_runs",
    "playground",
    "blas_threads",
]

BLAS_THREADS = int(os.environ.get("COURSE_BLAS_THREADS", "1"))
threadpool_limits(limits=BLAS_THREADS, user_api="blas")


def blas_threads(n: int):
    """Context manager: run the block with ``n`` BLAS threads (e.g. to show parallel speed-up)."""
    return threadpool_limits(limits=n, user_api="blas")


def __getattr__(name):  # lazy submodules: `course_utils.plots` imports matplotlib only when used
    if name in __all__:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'course_utils' has no attribute {name!r}")
