"""Real-browser tests of the widgets: JupyterLab and the Voilà app, driven by playwright.

The browser is Debian's Chromium (``/usr/bin/chromium``, or ``$CHROMIUM``), never a browser that
playwright would download. Without it the tests are skipped on a developer's machine and FAIL in CI
(``CI`` set): `.ci/run` installs it with apt-get.

Every server a test starts runs on 127.0.0.1, on a free port, with a random token, from a scratch
folder (copies of the notebooks, so JupyterLab's autosave never touches the repository), and is
stopped by its fixture, kernels included. Screenshots and server logs go to ``build/browser/``.

Run them with ``make test-browser`` (``make test`` leaves this folder out).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from servers import ROOT, Server, free_port, http, stop_and_check_kernels

NOTEBOOKS = ROOT / "notebooks"
BIN = Path(sys.executable).parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Without these, Chromium in a closed network hangs on background connections.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# ---------------------------------------------------------------------------------------------
# The browser
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser():
    missing = None
    if not Path(CHROMIUM).exists():
        missing = f"no Chromium at {CHROMIUM}: install it with `apt-get install chromium` (never `playwright install`)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "the playwright package is not installed (it is pinned in requirements.txt: `make venv`)"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests cannot run in CI: {missing}")
        pytest.skip(missing)
    driver = sync_playwright().start()
    chromium = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
    yield chromium
    chromium.close()
    driver.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1200})
    context.set_default_timeout(60_000)
    page = context.new_page()
    yield page
    context.close()


# ---------------------------------------------------------------------------------------------
# JupyterLab
# ---------------------------------------------------------------------------------------------
@dataclass
class Lab:
    url: str
    token: str
    root: Path

    def kernels(self) -> list[str]:
        status, body = http(f"{self.url}/api/kernels?token={self.token}")
        return [k["id"] for k in json.loads(body)] if status == 200 else []


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """JupyterLab with a token on a free port, serving copies of the notebooks; stopped with its kernels."""
    root = tmp_path_factory.mktemp("jupyterlab")
    notebooks = root / "notebooks"
    notebooks.mkdir()
    for path in NOTEBOOKS.glob("*.ipynb"):
        shutil.copy(path, notebooks / path.name)
    settings = root / "settings"
    for plugin, values in {
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},  # every cell in the DOM
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    }.items():
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    config = root / "config" / "labconfig"
    config.mkdir(parents=True)
    (config / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
    )
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(root / "config"),
        "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(root / "workspaces"),
    }
    env.pop("MPLBACKEND", None)  # the kernel uses the inline backend, as for a reader
    port, token = free_port(), secrets.token_hex(16)
    url = f"http://127.0.0.1:{port}"
    server = Server(
        "jupyterlab",
        [
            BIN / "jupyter-lab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={notebooks}",
            "--allow-root",
        ],
        env,
        ready_url=f"{url}/api/status?token={token}",
    )
    lab = Lab(url, token, root)
    kernels = set()
    try:
        yield lab
        kernels.update(lab.kernels())
        for kernel in kernels:  # shut them down the way a reader's JupyterLab does
            http(f"{url}/api/kernels/{kernel}?token={token}", method="DELETE")
    finally:
        stop_and_check_kernels(server, sorted(kernels))


# ---------------------------------------------------------------------------------------------
# The Voilà app (started by tools/playground.py, the script `make playground` runs)
# ---------------------------------------------------------------------------------------------
@dataclass
class Voila:
    url: str
    token: str
    server: Server
    kernels: list  # ids of the kernels its pages used (the tests add them)


def start_voila(name: str, **cull) -> Voila:
    port, token = free_port(), secrets.token_hex(16)
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, ROOT / "tools" / "playground.py", f"--port={port}", f"--token={token}"]
    command += [f"--{key.replace('_', '-')}={value}" for key, value in cull.items()]
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    # ready when the login page answers (the app page itself runs the notebook: slower)
    server = Server(name, command, env, ready_url=f"{url}/login")
    return Voila(url, token, server, [])


@pytest.fixture
def voila():
    """The playground app as `make playground` serves it; stopped with its kernels."""
    app = start_voila("voila")
    try:
        yield app
    finally:
        stop_and_check_kernels(app.server, app.kernels)


@pytest.fixture
def voila_culling():
    """The same app, culling kernels idle for 3 s (checked every second)."""
    app = start_voila("voila-culling", cull_idle_timeout=3, cull_interval=1)
    try:
        yield app
    finally:
        stop_and_check_kernels(app.server, app.kernels)
