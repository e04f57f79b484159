"""Servers for the browser tests: start on a free port, wait until they answer, stop with their kernels."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build" / "browser"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(url: str, method: str = "GET", timeout: float = 10.0) -> tuple[int, bytes]:
    """(status, body) of a request; redirects are not followed."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, method=method)
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def kernel_processes(kernel_id: str) -> list[int]:
    """PIDs of live processes whose command line names this kernel's connection file."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if f"kernel-{kernel_id}.json" in cmdline:
                pids.append(int(entry.name))
    return pids


class Server:
    """A server process started by a fixture, in its own session, stopped (with its group) on ``stop``."""

    def __init__(self, name: str, command: list, env: dict, ready_url: str, timeout: float = 90.0):
        BUILD.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.log_path = BUILD / f"{name}.log"
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [str(c) for c in command],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=ROOT,
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                self.stop()
                pytest.fail(f"{name} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if http(ready_url, timeout=5)[0] == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"{name} did not answer {ready_url} within {timeout:.0f} s:\n{self.log_tail()}")
            time.sleep(0.5)

    def log_tail(self, lines: int = 40) -> str:
        self.log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM (the server then shuts its kernels down), SIGKILL to the group if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # anything left in the server's own group
        except ProcessLookupError:
            pass
        self.log.close()


def stop_and_check_kernels(server: Server, kernel_ids: list[str]) -> None:
    """Stop ``server``; then no process of its kernels may be left (stray ones are killed and reported)."""
    server.stop()
    deadline = time.monotonic() + 10
    stray = {k: kernel_processes(k) for k in kernel_ids}
    while any(stray.values()) and time.monotonic() < deadline:
        time.sleep(0.5)
        stray = {k: kernel_processes(k) for k in kernel_ids}
    for pids in stray.values():
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
    assert not any(stray.values()), f"{server.name} left kernels running after it stopped: {stray}"
