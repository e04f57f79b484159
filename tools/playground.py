#!/usr/bin/env python3
"""Serve notebooks/playground.ipynb as an app with Voilà: `make playground` runs this.

    python tools/playground.py                 # http://127.0.0.1:8866/?token=...  (printed)
    python tools/playground.py --port 9000 --token SECRET --cull-idle-timeout 600
    python tools/playground.py --host 0.0.0.0  # reachable from other machines (a lecture room)

Voilà runs the notebook in a fresh kernel for each page and shows only the outputs (the widgets),
never the code. The server

* listens on 127.0.0.1 only (``--host``/``PLAYGROUND_HOST`` to change that: ``0.0.0.0`` serves
  every interface), and asks for a token (a random one unless --token is given); the printed
  URL carries it;
* shows the app only: Voilà's template ``course-app`` (``tools/voila/``) leaves out the cells
  tagged ``dev`` (how the app works, its timings), and the app hides its timing line (it runs
  in app mode whenever Voilà serves it; add ``&dev=1`` to the URL to see the timings);
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
TEMPLATES = Path(__file__).resolve().parent / "voila"  # share/jupyter-like: voila/templates/course-app/


def port_is_free(port: int, host: str = HOST) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def voila_command(
    port: int, token: str, cull_idle_timeout: int = 1200, cull_interval: int = 60, host: str = HOST
) -> list:
    """The Voilà command line (also used by the browser tests); run it with :func:`voila_env`."""
    voila = Path(sys.executable).with_name("voila")
    return [
        str(voila),
        str(NOTEBOOK),
        "--no-browser",
        f"--Voila.ip={host}",
        f"--port={port}",
        "--Voila.port_retries=0",  # the printed URL is the real one, or Voilà fails loudly
        f"--Voila.token={token}",
        "--theme=light",
        "--template=course-app",  # leaves out the cells tagged "dev"
        # kernels: one per page, shut down when the page closes; idle ones culled
        f"--MappingKernelManager.cull_idle_timeout={cull_idle_timeout}",
        f"--MappingKernelManager.cull_interval={cull_interval}",
        "--MappingKernelManager.cull_connected=True",
    ]


def voila_env(environ=None) -> dict:
    """The environment Voilà runs in: ``JUPYTER_PATH`` finds the ``course-app`` template."""
    env = dict(os.environ if environ is None else environ)
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(TEMPLATES), env.get("JUPYTER_PATH", "")) if p)
    return env


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--host",
        default=os.environ.get("PLAYGROUND_HOST") or HOST,
        help="address to listen on (default 127.0.0.1; 0.0.0.0 = every interface)",
    )
    parser.add_argument("--port", type=int, default=int(os.environ.get("PLAYGROUND_PORT", 8866)))
    parser.add_argument("--token", default=os.environ.get("PLAYGROUND_TOKEN") or secrets.token_hex(24))
    parser.add_argument("--cull-idle-timeout", type=int, default=1200, help="seconds (default 1200)")
    parser.add_argument("--cull-interval", type=int, default=60, help="seconds (default 60)")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("the token must not be empty: the playground always asks for one")
    if not port_is_free(args.port, args.host):
        parser.error(f"port {args.port} on {args.host} is busy; choose another with --port (or PLAYGROUND_PORT=...)")
    command = voila_command(args.port, args.token, args.cull_idle_timeout, args.cull_interval, args.host)
    shown = socket.gethostname() if args.host in ("0.0.0.0", "::") else args.host
    print(
        f"Optimizer playground: open  http://{shown}:{args.port}/?token={args.token}\n"
        f"(kernels idle for {args.cull_idle_timeout} s are shut down; Ctrl-C stops the server)",
        flush=True,
    )
    os.execve(command[0], command, voila_env())


if __name__ == "__main__":
    main()
