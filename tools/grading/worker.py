"""The student's side: executes the submission's cells in a sandbox and answers the checker.

Started by the checker (``python -m tools.grading.worker FD_IN FD_OUT``) inside the sandbox. It
executes code cells when asked, with IPython (so ``display`` and magics work as in Jupyter), and
answers requests for the student's names: a value that is data is sent as data, anything else
(a function, a class, an object) as a handle whose calls and attributes are answered here.
Nothing this process does can reach the checker except these answers.
"""

from __future__ import annotations

import _thread
import os
import sys
import threading

os.environ.setdefault("MPLBACKEND", "Agg")


def _blocker():
    """The "forbid" request's handler, built before any student code runs: everything it uses is
    bound here (default arguments and a closure), so the student's code cannot replace it by
    rebinding module attributes (``course_utils.check.block``, ``importlib``...)."""
    import importlib

    from course_utils.check import _blocked_code, _target

    originals = {}  # name -> (function, its own code): kept here, not on the function

    def forbid(
        message,
        _import=importlib.import_module,
        _getattr=getattr,
        _target=_target,
        _blocked=_blocked_code,
        _originals=originals,
        _str=str,
        _bool=bool,
    ):
        on = _bool(message["on"])
        for name in (_str(n) for n in message["names"]):
            module, qualname = name.split(":")
            obj = _import(module)
            for part in qualname.split("."):
                obj = _getattr(obj, part)
            target = _target(obj)[0]
            if on and name not in _originals:
                _originals[name] = (target, target.__code__)
                target.__code__ = _blocked(name, target)
            elif not on and name in _originals:
                function, code = _originals.pop(name)
                function.__code__ = code
        return None

    return forbid


def main(argv: list[str]) -> int:
    from tools.grading.wire import Channel, Peer  # noqa: PLC0415 - after the fds are known

    channel = Channel(int(argv[1]), int(argv[2]))
    os.set_inheritable(channel.read_fd, False)
    os.set_inheritable(channel.write_fd, False)
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    namespace = shell.user_ns

    def run(message):
        """Execute one cell with a time limit; returns {"ok", "error"} (never raises)."""
        timer = threading.Timer(float(message.get("timeout", 120)), _thread.interrupt_main)
        timer.start()
        try:
            result = shell.run_cell(str(message["source"]), store_history=False, silent=False)
        except KeyboardInterrupt:
            return {"ok": False, "error": "KeyboardInterrupt: stopped at the time limit"}
        finally:
            timer.cancel()
        error = result.error_in_exec or result.error_before_exec
        if error is None:
            return {"ok": True, "error": ""}
        if isinstance(error, KeyboardInterrupt):
            return {"ok": False, "error": f"stopped at the time limit of {message.get('timeout')} s"}
        return {"ok": False, "error": f"{type(error).__name__}: {error}"[:2000]}

    def get(message):
        name = str(message["name"])
        if name not in namespace:
            return {"missing": True}
        return {"missing": False, "value": namespace[name]}

    forbid = _blocker()

    peer = Peer(channel, allow_getattr=True, serve={"run": run, "get": get, "forbid": forbid})
    channel.send({"op": "ready", "pid": os.getpid()})
    while True:
        try:
            message = channel.receive()
        except EOFError:
            return 0
        if message.get("op") == "bye":
            return 0
        peer.serve_one(message)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
