"""The course website in _build/html: every chapter has its page and figures, every internal link
resolves, nothing is loaded from the internet, and a real browser renders the maths and widgets.

Run by ``make test-book`` (see conftest.py). The browser test needs Chromium (Debian's
``chromium``); it saves screenshots under build/book/ for a person to look at.
"""

from __future__ import annotations

import base64
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

if os.environ.get("COURSE_BOOK_TESTS") != "1":  # see conftest.py
    pytest.skip("the course website is tested by `make test-book` (COURSE_BOOK_TESTS=1)", allow_module_level=True)

ROOT = Path(__file__).resolve().parent.parent.parent
SITE = ROOT / "_build" / "html"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CHAPTERS = [nb for nb in NOTEBOOKS if re.match(r"\d\d_", nb.name)]
EDITIONS = {folder: sorted((ROOT / "notebooks" / folder).glob("*.ipynb")) for folder in ("zh-CN", "zh-TW")}
TRANSLATED = [nb for paths in EDITIONS.values() for nb in paths]
EXECUTED = ROOT / "_build" / "jupyter_execute" / "notebooks"
SHOTS = ROOT / "build" / "book"
CDN_HOSTS = (
    "cdn.jsdelivr.net",
    "unpkg.com",
    "cdnjs.cloudflare.com",
    "polyfill.io",
    "googleapis.com",
    "cdn.plot.ly",
    "code.jquery.com",
    "mathjax.org",
    "mybinder.org",
)
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


# ------------------------------------------------------------------------------------- parsing
class Page(HTMLParser):
    """What the tests need from one HTML page."""

    SKIP_TEXT = {"pre", "code", "script", "style", "textarea", "svg", "math"}

    def __init__(self, path: Path) -> None:
        super().__init__(convert_charrefs=True)
        self.path = path
        self.refs: list[tuple[str, str, str, dict]] = []  # (tag, attribute, address, all attributes)
        self.ids: set[str] = set()
        self.imgs: list[str] = []
        self.scripts: list[tuple[dict, str]] = []  # (attributes, inline body)
        self.title = ""
        self.loose_text: list[str] = []  # prose text outside code and maths
        self._stack: list[tuple[str, bool]] = []
        self._script: dict | None = None
        self._body: list[str] = []
        self._in_title = False
        self.feed(path.read_text(encoding="utf-8"))

    def _skipping(self) -> bool:
        return any(skip for _, skip in self._stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        for key in ("href", "src", "data"):
            if attrs.get(key):
                self.refs.append((tag, key, attrs[key], attrs))
        if tag == "img" and attrs.get("src"):
            self.imgs.append(attrs["src"])
        if tag == "title":
            self._in_title = True
        if tag == "script":
            self._script, self._body = attrs, []
        if tag in ("br", "img", "meta", "link", "input", "hr", "source", "wbr", "col", "area", "base", "embed"):
            return
        classes = set((attrs.get("class") or "").split())
        skip = tag in self.SKIP_TEXT or bool(classes & {"math", "highlight", "output", "cell_output"})
        self._stack.append((tag, skip))

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._body)))
            self._script = None
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                break

    def handle_data(self, data):
        if self._script is not None:
            self._body.append(data)
        if self._in_title:
            self.title += data
        if not self._skipping() and not self._in_title:
            self.loose_text.append(data)


@functools.cache
def parse(path: Path) -> Page:
    return Page(path)


def page_of(notebook: Path) -> Path:
    folder = notebook.parent.name
    if folder in EDITIONS:
        return SITE / "notebooks" / folder / f"{notebook.stem}.html"
    return SITE / "notebooks" / f"{notebook.stem}.html"


def local_target(page: Path, address: str) -> tuple[Path, str] | None:
    """The file and fragment a relative address of ``page`` points to; None for other schemes."""
    parts = urlsplit(address)
    if parts.scheme or address.startswith("//"):
        return None
    if not parts.path:
        return page, parts.fragment
    return (page.parent / unquote(parts.path)).resolve(), parts.fragment


def notebook_title(notebook: Path) -> str:
    first = "".join(json.loads(notebook.read_text(encoding="utf-8"))["cells"][0]["source"])
    return first.splitlines()[0].lstrip("# ").strip()


def plain_quotes(text: str) -> str:
    """Sphinx prints ' and " as typographic quotes."""
    return text.translate(str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'}))


def image_outputs(executed: Path) -> int:
    """Figures a notebook displayed directly (figures inside widgets live in the widget state)."""
    nb = json.loads(executed.read_text(encoding="utf-8"))
    return sum(
        1
        for cell in nb["cells"]
        if cell["cell_type"] == "code"
        for out in cell.get("outputs", [])
        if "image/png" in out.get("data", {})
    )


# ---------------------------------------------------------------------------------- the pages
def test_the_site_was_built_from_every_notebook(site):
    built = json.loads((site / ".course-book.json").read_text())
    assert built["notebooks"] == [nb.name for nb in CHAPTERS + [n for n in NOTEBOOKS if n not in CHAPTERS]]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_has_a_page_in_the_navigation(site, notebook):
    page = page_of(notebook)
    assert page.exists(), f"{notebook.name} has no page {page.relative_to(site)}"
    title = notebook_title(notebook).split("—")[0].strip()
    assert plain_quotes(title) in plain_quotes(parse(page).title)
    # the chapter list of the landing page links to it
    index = parse(site / "index.html")
    linked = {
        local_target(site / "index.html", ref)[0]
        for _, key, ref, _ in index.refs
        if key == "href" and local_target(site / "index.html", ref)
    }
    assert page.resolve() in linked, f"index.html does not link to {page.name}"


@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda p: p.stem)
def test_every_chapter_shows_its_figures(site, notebook):
    page = parse(page_of(notebook))
    executed = EXECUTED / notebook.name
    assert executed.exists(), f"no executed copy {executed}"
    expected = image_outputs(executed)
    figures = [src for src in page.imgs if "_images/" in src]
    assert expected >= 1, f"{notebook.name} displayed no figure when executed"
    assert len(figures) >= expected, f"{notebook.name}: {expected} figures displayed, {len(figures)} on the page"
    for src in figures:
        path, _ = local_target(page.path, src)
        assert path.is_file() and path.stat().st_size > 1000, f"{notebook.name}: {src} is missing or empty"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{src} is not a PNG"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_widgets_are_embedded_with_their_saved_state(site, notebook):
    """Every widget a notebook displayed is on its page, with the state saved at execution."""
    nb = json.loads((EXECUTED / notebook.name).read_text(encoding="utf-8"))
    shown = [
        out["data"][WIDGET_VIEW]["model_id"]
        for cell in nb["cells"]
        if cell["cell_type"] == "code"
        for out in cell.get("outputs", [])
        if WIDGET_VIEW in out.get("data", {})
    ]
    if not shown:
        pytest.skip(f"{notebook.name} displays no widget")
    page = parse(page_of(notebook))
    states = [json.loads(body) for attrs, body in page.scripts if attrs.get("type") == WIDGET_STATE]
    assert len(states) == 1, "one saved widget state per page"
    models = states[0]["state"]
    views = [json.loads(body)["model_id"] for attrs, body in page.scripts if attrs.get("type") == WIDGET_VIEW]
    for model_id in shown:
        assert model_id in views, f"widget {model_id} is not on the page"
        assert model_id in models, f"widget {model_id} has no saved state"
    for model in models.values():  # figures drawn inside Output widgets are real PNGs
        for out in model["state"].get("outputs", []) if model["model_name"] == "OutputModel" else []:
            if "image/png" in out.get("data", {}):
                assert base64.b64decode(out["data"]["image/png"])[:4] == b"\x89PNG"
    loaders = [attrs.get("src", "") for attrs, _ in page.scripts]
    for needed in ("npm/requirejs/require.js", "course/widgets-offline.js", "npm/html-manager/embed-amd.js"):
        src = next((s for s in loaders if needed in s), None)
        assert src, f"{needed} is not loaded"
        assert local_target(page.path, src)[0].is_file()


def test_the_glossary_is_a_page_with_both_languages(site):
    page = site / "GLOSSARY.html"
    assert page.exists()
    text = " ".join(parse(page).loose_text)
    for english, chinese in (
        ("saddle point", "鞍点"),
        ("learning rate", "学习率"),
        ("momentum", "动量"),
        ("overfitting", "过拟合"),
        ("warm-up", "预热"),
    ):
        assert english in text and chinese in text, f"{english} / {chinese} not in the glossary page"
    targets = {
        local_target(page, ref)[0] for _, key, ref, _ in parse(page).refs if key == "href" and local_target(page, ref)
    }
    for chapter in CHAPTERS:
        assert page_of(chapter).resolve() in targets, f"the glossary does not link to {chapter.stem}"


def test_the_search_box_and_index_exist(site):
    assert (site / "search.html").exists()
    index = (site / "searchindex.js").read_text(encoding="utf-8")
    assert "saddl" in index and "momentum" in index
    assert any("search" in ref for _, _, ref, _ in parse(site / "index.html").refs)


# ---------------------------------------------------------------------------------- the links
def all_pages(site: Path) -> list[Path]:
    """The site's pages (_static/ holds the theme's template fragments, which are not pages)."""
    return sorted(p for p in site.rglob("*.html") if "_static" not in p.relative_to(site).parts)


def test_no_broken_internal_links(site):
    broken = []
    for path in all_pages(site):
        page = parse(path)
        for tag, key, address, _ in page.refs:
            if address.startswith(("mailto:", "javascript:", "data:", "tel:")):
                continue
            target = local_target(path, address)
            if target is None:
                continue
            file, fragment = target
            if file.is_dir():
                file = file / "index.html"
            if not file.exists():
                broken.append(f"{path.relative_to(site)}: <{tag} {key}={address}>: no {file}")
            elif fragment and file.suffix == ".html" and fragment not in parse(file).ids:
                broken.append(f"{path.relative_to(site)}: <{tag} {key}={address}>: no id {fragment!r}")
    assert not broken, f"{len(broken)} broken links:\n" + "\n".join(broken[:40])


def test_no_page_loads_anything_from_the_internet(site):
    """Scripts, styles, images and frames are all served from the site itself."""
    remote = []
    for path in all_pages(site):
        page = parse(path)
        for tag, key, address, attrs in page.refs:
            if not re.match(r"\s*(https?:)?//", address):
                continue
            if tag == "a":
                continue  # a hyperlink is followed only when a reader clicks it
            rel = set((attrs.get("rel") or "").split())
            if tag == "link" and not rel & {
                "stylesheet",
                "preload",
                "modulepreload",
                "prefetch",
                "icon",
                "manifest",
                "shortcut",
            }:
                continue  # e.g. rel="canonical": not loaded
            remote.append(f"{path.relative_to(site)}: <{tag} {key}={address}>")
        for attrs, body in page.scripts:
            if attrs.get("type") in (WIDGET_STATE, WIDGET_VIEW):
                continue  # data (figures, numbers), not code
            for host in CDN_HOSTS:
                if host in body or host in json.dumps(attrs):
                    remote.append(f"{path.relative_to(site)}: a script mentions {host}")
    assert not remote, "\n".join(remote[:40])


@pytest.mark.parametrize("notebook", TRANSLATED, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_chinese_edition_has_its_page_figures_and_widgets(site, notebook):
    """A Chinese page: its own title, the English page's figures and widgets (the same outputs)."""
    page = parse(page_of(notebook))
    english = parse(page_of(ROOT / "notebooks" / notebook.name))
    title = notebook_title(notebook).split("（")[0].split("(")[0].strip()
    assert re.search(r"[\u4e00-\u9fff]", title) and title in page.title
    assert len([s for s in page.imgs if "_images/" in s]) == len([s for s in english.imgs if "_images/" in s])
    states = [body for attrs, body in page.scripts if attrs.get("type") == WIDGET_STATE]
    english_states = [body for attrs, body in english.scripts if attrs.get("type") == WIDGET_STATE]
    assert len(states) == len(english_states)
    text = " ".join(page.loose_text)
    assert len(re.findall(r"[\u4e00-\u9fff]", text)) > 500, "the page's prose is not in Chinese"
    index = parse(site / "index.html")
    linked = {
        local_target(site / "index.html", ref)[0]
        for _, key, ref, _ in index.refs
        if key == "href" and local_target(site / "index.html", ref)
    }
    assert page_of(notebook).resolve() in linked, f"index.html does not link to {page_of(notebook).name}"


@pytest.mark.parametrize(
    "notebook",
    [nb for nb in NOTEBOOKS if any((ROOT / "notebooks" / f / nb.name).exists() for f in EDITIONS)],
    ids=lambda p: p.stem,
)
def test_every_edition_links_to_the_others(site, notebook):
    """The language switch: each edition's page links to the other editions of the same chapter."""
    pages = [page_of(notebook)] + [
        page_of(ROOT / "notebooks" / f / notebook.name)
        for f in EDITIONS
        if (ROOT / "notebooks" / f / notebook.name).exists()
    ]
    for page in pages:
        targets = {
            local_target(page, ref)[0]
            for _, key, ref, _ in parse(page).refs
            if key == "href" and local_target(page, ref)
        }
        for other in pages:
            if other != page:
                assert other.resolve() in targets, (
                    f"{page.relative_to(site)} does not link to {other.relative_to(site)}"
                )


@pytest.mark.parametrize("notebook", NOTEBOOKS + TRANSLATED, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_all_maths_was_parsed(site, notebook):
    """A `$` left in the prose means MyST did not read a formula (e.g. a line of a formula that
    starts with `-` or `+` and so begins a list). Jupyter shows such a formula; the site would not."""
    page = parse(page_of(notebook))
    loose = [text.strip() for text in page.loose_text if "$" in text]
    assert not loose, (
        f"{notebook.name}: maths left as text (rewrap the formula so no line starts "
        f"with '- ', '+ ' or '* '):\n" + "\n".join(t[:160] for t in loose[:10])
    )


# ------------------------------------------------------------------------------ in a browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
BROWSER_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    # The page must need nothing but this machine: every other host name fails to resolve, so
    # not even the browser's own background requests leave it.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


# Headless Chromium's --screenshot ignores a URL's #fragment (it shows a blank page), so to look at
# a widget the test server also serves /__at_widget__?page=...: the page in a full-window frame,
# scrolled (same origin) to its first drawn widget.
AT_WIDGET = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="{page}" style="border:0;width:100vw;height:100vh;display:block"></iframe>
<script>
const frame = document.getElementById("f");
const timer = setInterval(() => {{
  const doc = frame.contentDocument, widget = doc && doc.querySelector(".widget-slider, .jupyter-widgets");
  if (widget) {{
    clearInterval(timer);
    frame.contentWindow.scrollTo(0, widget.getBoundingClientRect().top + frame.contentWindow.scrollY - 150);
  }}
}}, 100);
</script></body></html>"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    requests: list[tuple[str, int]] = []

    def log_request(self, code="-", size="-"):
        self.requests.append((self.path, int(code) if str(code).isdigit() else 0))

    def do_GET(self):
        parts = urlsplit(self.path)
        if parts.path != "/__at_widget__":
            return super().do_GET()
        body = AT_WIDGET.format(page=unquote(parts.query.removeprefix("page="))).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def served(site):
    """The site on a local web server (http://127.0.0.1:PORT/), as a reader's browser sees it."""
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def browse(url: str, *extra: str, timeout: int = 120) -> tuple[str, str, list[str]]:
    """Run headless Chromium on ``url``; return (stdout, stderr, addresses the page asked for)."""
    with tempfile.TemporaryDirectory() as tmp:
        netlog = Path(tmp) / "net.json"
        cmd = [
            CHROMIUM,
            *BROWSER_FLAGS,
            f"--user-data-dir={tmp}/profile",
            f"--log-net-log={netlog}",
            "--virtual-time-budget=20000",
            *extra,
            url,
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        urls = []
        if netlog.exists():
            text = netlog.read_text(errors="replace")
            if not text.rstrip().endswith("}"):
                text = text.rstrip().rstrip(",") + "]}"  # a log cut short at exit
            for event in json.loads(text).get("events", []):
                params = event.get("params", {})
                if "url" in params and "127.0.0.1" in (
                    params.get("initiator", "") + params.get("network_isolation_key", "")
                ):
                    urls.append(params["url"])
        return done.stdout, done.stderr, urls


def page_with_maths_and_widgets() -> Path:
    for notebook in CHAPTERS:
        page = page_of(notebook)
        html = page.read_text(encoding="utf-8") if page.exists() else ""
        if WIDGET_STATE in html and 'class="math' in html and "_images/" in html:
            return notebook
    pytest.skip("no chapter page has maths, figures and widgets together")


@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium: apt-get install -y chromium")
def test_a_chapter_renders_in_a_browser(site, served):
    """MathJax typesets every formula, the widgets are drawn from their saved state with their
    figures, no script fails, and every request stays on the site."""
    notebook = page_with_maths_and_widgets()
    page = page_of(notebook)
    static = page.read_text(encoding="utf-8")
    formulas = len(re.findall(r'class="math notranslate nohighlight"', static))
    _Quiet.requests.clear()
    dom, log, urls = browse(f"{served}/notebooks/{page.name}", "--dump-dom", "--window-size=1280,2000")

    typeset = dom.count("<mjx-container")
    assert formulas > 0 and typeset >= formulas, f"MathJax typeset {typeset} of {formulas} formulas"
    assert "<mjx-merror" not in dom, "MathJax reported an error in a formula"
    assert "jupyter-widgets" in dom and "widget-slider" in dom, "the sliders were not drawn"
    assert re.search(r'<img[^>]+src="data:image/png', dom), "no figure inside a widget was drawn"

    errors = [line for line in log.splitlines() if "CONSOLE" in line and re.search(r"Uncaught|Error", line)]
    assert not errors, "script errors:\n" + "\n".join(errors[:10])
    outside = [u for u in urls if not u.startswith(served)]
    assert not outside, f"the page asked the internet for {outside}"
    missing = [path for path, code in _Quiet.requests if code >= 400 and not path.startswith("/favicon")]
    assert not missing, f"the page asked for files the site lacks: {missing}"

    # Screenshots for a person: the landing page, the chapter's top, and its first widget.
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, url, size in (
        (f"screenshot-{notebook.stem}.png", f"{served}/notebooks/{page.name}", "1280,2400"),
        (f"screenshot-{notebook.stem}-widget.png", f"{served}/__at_widget__?page=/notebooks/{page.name}", "1280,1600"),
        ("screenshot-index.png", f"{served}/index.html", "1280,1400"),
    ):
        shot = SHOTS / name
        shot.unlink(missing_ok=True)
        browse(url, f"--screenshot={shot}", f"--window-size={size}")
        assert shot.exists() and shot.stat().st_size > 20_000, f"no screenshot {shot}"
