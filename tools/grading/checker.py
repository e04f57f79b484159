"""The course's side: runs the pristine check cells against one submission's answers.

    python -m tools.grading.checker < job.json > result.json

The job names the course's import cell and its exercises (solution and check cells, in order)
and the submission's cells. The checker starts the worker in the sandbox, has it execute the
submission's cells up to each check (the *short run*: the import cell and the solution cells
only; the *full run*: every code cell of the submission except its copies of the checks), and
executes each course check here, in this fresh process, with the student's names it uses bound
to their values (data) or to :class:`~tools.grading.wire.Remote` functions. A check passes when it
runs to the end without an exception. Prints one JSON result.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import json
import os
import select
import signal
import sys
import tempfile
import time
from pathlib import Path

from tools.grading import sandbox
from tools.grading.wire import Channel, Peer, RemoteError, WireError

STUB = "raise NotImplementedError()"


def free_names(source: str) -> list[str]:
    """Names a cell reads that it does not define itself at its top level (so they come from elsewhere)."""
    tree = ast.parse(source)
    loaded, defined = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in loaded:
            loaded.append(node.id)
    for node in tree.body:
        for target in ast.walk(node):
            if isinstance(target, ast.Name) and isinstance(target.ctx, ast.Store):
                defined.add(target.id)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            defined.update((a.asname or a.name).split(".")[0] for a in node.names)
    return [n for n in loaded if n not in defined]


class TimedChannel(Channel):
    """A channel whose reads give up after ``deadline`` (monotonic seconds), so a hung worker is caught."""

    deadline = None

    def _read(self, n):
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0 or not select.select([self.read_fd], [], [], left)[0]:
                raise TimeoutError("the submission's code did not answer within the time limit")
        return super()._read(n)


class Worker:
    """The sandboxed process that executes the submission's cells."""

    def __init__(self, workdir: Path, hidden, timeout: float):
        to_worker_r, to_worker_w = os.pipe()
        from_worker_r, from_worker_w = os.pipe()
        self.log = open(workdir / "output.txt", "wb")  # the student's printed output (size-limited)
        self.process = sandbox.popen(
            [sys.executable, "-m", "tools.grading.worker", str(to_worker_r), str(from_worker_w)],
            workdir,
            hidden=hidden,
            pass_fds=(to_worker_r, from_worker_w),
            stdout=self.log,
            stderr=self.log,
        )
        os.close(to_worker_r)
        os.close(from_worker_w)
        self.channel = TimedChannel(from_worker_r, to_worker_w)
        self.peer = Peer(self.channel, allow_getattr=False)
        self.timeout = timeout
        self.dead = ""
        self.channel.deadline = time.monotonic() + 60 + timeout
        try:
            ready = self.channel.receive()
            if ready.get("op") != "ready":
                raise WireError("the worker did not start")
        except (EOFError, TimeoutError, WireError) as exc:
            self.kill(f"the submission's process did not start: {exc}")

    def ask(self, message: dict, extra: float = 0.0):
        """A request to the worker with the time limit; returns the answer, or raises RemoteError/TimeoutError."""
        if self.dead:
            raise RemoteError("NotRun", self.dead)
        self.channel.deadline = time.monotonic() + self.timeout + extra
        try:
            return self.peer.request(message)
        except TimeoutError:
            self.kill(f"stopped: no answer within the time limit of {self.timeout:g} s")
            raise RemoteError("TimeLimit", self.dead) from None
        except (EOFError, BrokenPipeError, OSError, WireError) as exc:
            self.kill(f"the submission's process ended or misbehaved ({type(exc).__name__}: {exc})"[:300])
            raise RemoteError("ProcessEnded", self.dead) from None

    def run(self, source: str) -> dict:
        return self.ask({"op": "run", "source": source, "timeout": self.timeout}, extra=10)

    def get(self, name: str):
        return self.ask({"op": "get", "name": name})

    def kill(self, why: str) -> None:
        self.dead = self.dead or why
        with contextlib.suppress(OSError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            self.process.wait(timeout=10)

    def close(self) -> None:
        if not self.dead:
            with contextlib.suppress(Exception):
                self.channel.send({"op": "bye"})
            try:
                self.process.wait(timeout=5)
            except Exception:
                self.kill("closed")
        self.log.close()
        for fd in (self.channel.read_fd, self.channel.write_fd):
            with contextlib.suppress(OSError):
                os.close(fd)


def run_checks(job: dict, plan: list[tuple[str, object]], only: set | None = None) -> dict:
    """Execute ``plan`` (("cell", source) for the worker, ("check", exercise) here) in one worker and
    one fresh checker namespace; returns ({grade_id: {passed, message, output}} for the checks run,
    the end of what the student's cells printed)."""
    results = {}
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    exec(compile(job["import_cell"], "<course import cell>", "exec"), namespace)
    own = set(namespace) | set(dir(builtins))
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        worker = Worker(Path(tmp), job.get("hidden", []), float(job["timeout"]))
        import course_utils.check

        # `with check.forbid(...)` in a check blocks the functions where the student's code runs
        course_utils.check.FORBID_HOOK = lambda names, on: worker.ask({"op": "forbid", "names": names, "on": on})
        try:
            problems = []  # what went wrong in the submission's cells since the last check
            for kind, item in plan:
                if kind == "cell":
                    try:
                        ran = worker.run(item)
                        if not ran["ok"]:
                            problems.append(ran["error"].splitlines()[0][:300])
                    except RemoteError as exc:  # the process is gone: every later check says why
                        problems.append(exc.message)
                    continue
                gid = item["grade_id"]
                if only is None or gid in only:
                    results[gid] = check_one(item["source"], namespace, own, worker)
                    if not results[gid]["passed"] and problems:
                        results[gid]["message"] += " | before this check, your cell said: " + "; ".join(problems)
                problems = []
        finally:
            worker.close()
            printed = (Path(tmp) / "output.txt").read_bytes()[-20000:].decode("utf-8", "replace")
    return results, printed


def check_one(source: str, namespace: dict, own: set, worker: Worker) -> dict:
    """Run one course check with the student's names it needs; never raises."""
    missing = []
    for name in free_names(source):
        if name in own:
            continue
        try:
            answer = worker.get(name)
        except RemoteError as exc:
            return {"passed": False, "message": exc.message or str(exc), "output": ""}
        if answer["missing"]:
            namespace.pop(name, None)
            missing.append(name)
        else:
            namespace[name] = answer["value"]
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(source, "<course check>", "exec"), namespace)
    except RemoteError as exc:
        return {"passed": False, "message": f"your code raised {exc}"[:1000], "output": out.getvalue()[-4000:]}
    except NameError as exc:
        hint = f" (not defined by your notebook: {', '.join(missing)})" if missing else ""
        return {"passed": False, "message": f"NameError: {exc}{hint}"[:1000], "output": out.getvalue()[-4000:]}
    except Exception as exc:  # the check's own AssertionError (its message is the hint), or anything else
        return {"passed": False, "message": f"{type(exc).__name__}: {exc}"[:1000], "output": out.getvalue()[-4000:]}
    return {"passed": True, "message": "", "output": out.getvalue()[-4000:]}


def plans(job: dict) -> tuple[list, list]:
    """(short, full) plans: the short one runs the import cell and the solution cells, the full one
    every code cell of the submission but its copies of the checks; both put each check where the
    course notebook has it (right after its exercise's cells)."""
    short, full = [("cell", job["import_cell"])], []
    for part in job["parts"]:  # one part per check: the submission's cells before it, then the check
        short += [("cell", src) for src in part["solutions"]]
        full += [("cell", src) for src in part["cells"]]
        short.append(("check", part["check"]))
        full.append(("check", part["check"]))
    return short, full


def grade(job: dict) -> dict:
    short, full = plans(job)
    results, printed = run_checks(job, short if not job.get("full_only") else full)
    if not job.get("full_only"):
        retry = {
            gid
            for gid, r in results.items()
            if not r["passed"] and not job["not_attempted"].get(gid) and job.get("fallback", True)
        }
        if retry:
            again, printed = run_checks(job, full, only=retry)
            for gid, result in again.items():
                results[gid] = {**result, "full_run": True}
    for gid, result in results.items():
        if not result["passed"] and job["not_attempted"].get(gid):
            result["message"] = "not attempted (the exercise still holds the stub `raise NotImplementedError()`)"
    return {"results": results, "printed": printed}


def main() -> int:
    job = json.loads(sys.stdin.read())
    print(json.dumps(grade(job)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
