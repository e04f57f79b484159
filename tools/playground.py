#!/usr/bin/env python3
"""Serve notebooks/playground.ipynb as an app with Voilà: `make playground` runs this.

    python tools/playground.py                 # http://127.0.0.1:8866/?token=...  (printed)
    python tools/playground.py --port 9000 --token SECRET --cull-idle-timeout 600

Voilà runs the notebook in a fresh kernel for each page and shows only the outputs (the widgets),
never the code. The server

* listens on 127.0.0.1 only, and asks for a token (a random one unless --token is given); the
  printed URL carries it;
* shuts a page's kernel down when the page is closed (Voilà does that itself) and culls kernels
  idle for --cull-idle-timeout seconds (default 1200 s = 20 minutes), connected or not, checking
  every --cull-interval seconds: an abandoned tab does not keep a Python process alive. After
  that the page's widgets stop answering: reload the page.

The browser tests (tests/browser/) start the app with this same script.
"""
import argparse
import os
import secrets
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "playground.ipynb"
HOST = "127.0.0.1"


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def voila_command(port: int, token: str, cull_idle_timeout: int = 1200, cull_interval: int = 60) -> list:
    """The Voilà command line (also used by the browser tests)."""
    voila = Path(sys.executable).with_name("voila")
    return [
        str(voila), str(NOTEBOOK),
        "--no-browser",
        f"--Voila.ip={HOST}",
        f"--port={port}",
        "--Voila.port_retries=0",            # the printed URL is the real one, or Voilà fails loudly
        f"--Voila.token={token}",
        "--theme=light",
        # kernels: one per page, shut down when the page closes; idle ones culled
        f"--MappingKernelManager.cull_idle_timeout={cull_idle_timeout}",
        f"--MappingKernelManager.cull_interval={cull_interval}",
        "--MappingKernelManager.cull_connected=True",
    ]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PLAYGROUND_PORT", 8866)))
    parser.add_argument("--token", default=os.environ.get("PLAYGROUND_TOKEN") or secrets.token_hex(24))
    parser.add_argument("--cull-idle-timeout", type=int, default=1200, help="seconds (default 1200)")
    parser.add_argument("--cull-interval", type=int, default=60, help="seconds (default 60)")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("the token must not be empty: the playground always asks for one")
    if not port_is_free(args.port):
        parser.error(f"port {args.port} on {HOST} is busy; choose another with --port (or PLAYGROUND_PORT=...)")
    command = voila_command(args.port, args.token, args.cull_idle_timeout, args.cull_interval)
    print(f"Optimizer playground: open  http://{HOST}:{args.port}/?token={args.token}\n"
          f"(kernels idle for {args.cull_idle_timeout} s are shut down; Ctrl-C stops the server)", flush=True)
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
