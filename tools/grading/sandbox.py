"""Run a command as untrusted code: bubblewrap when it is there, resource limits always.

Inside the sandbox (``bwrap``) the file system is read-only, the course's folder is hidden except
its virtual environment and the pristine ``course_utils`` (so no solution notebook, no other
submission and no grade file can be read or written), ``/tmp`` and the working folder are empty
and private, there is no network, the processes run as ``nobody`` in their own process and IPC
namespaces with no capabilities, and they die with the grader. Without bubblewrap (not installed,
or the system refuses namespaces) the command runs with the resource limits only, and
:func:`isolation` says so, so the grader can print it.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: resource limits of a worker (per process): address space, CPU seconds, size of a written file, processes
LIMITS = {"memory_bytes": 4 * 1024**3, "cpu_seconds": 900, "file_bytes": 64 * 1024**2, "processes": 256}


def _set_limits(limits: dict):
    def apply():
        os.setsid()
        resource.setrlimit(resource.RLIMIT_AS, (limits["memory_bytes"],) * 2)
        resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu_seconds"],) * 2)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_bytes"],) * 2)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _bwrap_prefix(workdir: Path, hidden: list[Path]) -> list[str]:
    keep = [ROOT / ".venv", ROOT / "course_utils", ROOT / "tools" / "grading", ROOT / "tools" / "__init__.py"]
    prefix = [
        "bwrap",
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--tmpfs",
        "/tmp",
        "--tmpfs",
        str(ROOT),
    ]
    for path in keep:
        if path.exists():
            prefix += ["--ro-bind", str(path), str(path)]
    for path in hidden:  # other places the grader keeps (submissions, outputs) outside the course folder
        if path.exists() and not str(path.resolve()).startswith(str(ROOT) + os.sep):
            prefix += ["--tmpfs", str(path.resolve())] if path.is_dir() else ["--ro-bind", "/dev/null", str(path)]
    prefix += [
        "--bind",
        str(workdir),
        str(workdir),
        "--chdir",
        str(workdir),
        "--unshare-user",
        "--uid",
        "65534",
        "--gid",
        "65534",
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--setenv",
        "HOME",
        str(workdir),
        "--setenv",
        "PYTHONPATH",
        str(ROOT),
    ]
    return prefix


@lru_cache(maxsize=1)
def bwrap_works() -> bool:
    """Whether bubblewrap is installed and may create the namespaces here."""
    if shutil.which("bwrap") is None:
        return False
    try:
        done = subprocess.run(
            [
                "bwrap",
                "--ro-bind",
                "/",
                "/",
                "--unshare-user",
                "--uid",
                "65534",
                "--unshare-net",
                "--unshare-pid",
                "--die-with-parent",
                "true",
            ],
            capture_output=True,
            timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def isolation() -> str:
    """One line for the grader's output: how submissions are isolated on this machine."""
    if bwrap_works():
        return (
            "sandbox: bubblewrap (read-only files, course folder hidden, no network, user nobody, "
            "own process namespace) and resource limits"
        )
    return (
        "sandbox: NOT ISOLATED - bubblewrap is missing or not permitted here (install it: "
        "`make grade-deps` or apt-get install bubblewrap); submissions run with the grader's own "
        "file permissions and network, under resource limits only"
    )


def popen(
    command: list[str], workdir: Path, *, hidden=(), pass_fds=(), stdout=None, stderr=None, limits: dict | None = None
) -> subprocess.Popen:
    """Start ``command`` as untrusted code with ``workdir`` as its (private, writable) folder."""
    limits = {**LIMITS, **(limits or {})}
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONPATH": str(ROOT),
        "HOME": str(workdir),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    prefix = _bwrap_prefix(workdir, [Path(p) for p in hidden]) if bwrap_works() else []
    return subprocess.Popen(
        prefix + list(command),
        cwd=workdir,
        env=env,
        pass_fds=pass_fds,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        preexec_fn=_set_limits(limits),
    )
