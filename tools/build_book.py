#!/usr/bin/env python3
"""Build the course as a static website in ``_build/html/``: ``make book`` runs this.

    python -m tools.build_book                      # every notebook, executed (a few minutes)
    python -m tools.build_book --notebooks 01 02    # only these chapters (quick iterations)
    python -m tools.build_book --jobs 1             # execute one notebook at a time

It needs the book toolchain (``pip install -r requirements.txt -r requirements-book.txt`` and
``pip install -e .``; ``make book`` does that in ``.venv-book/``), ``npm`` and the npm registry.

Steps:

1. Fetch the three JavaScript packages the site loads, pinned by version and sha512, from the
   npm registry with ``npm pack`` (no dependencies, no install scripts) into
   ``build/book/npm/`` (gitignored; reused by later builds): MathJax 3 renders the maths,
   RequireJS and ``@jupyter-widgets/html-manager``'s ``embed-amd.js`` render the widgets'
   saved state. Jupyter Book would otherwise load them from CDNs.
2. Stage the book's source in ``build/book/src/``: ``book/_config.yml`` and ``book/_ext/`` (a
   small Sphinx extension), the notebooks under ``notebooks/`` (the repository's layout, so a
   notebook's link ``../GLOSSARY.md`` works unchanged), ``GLOSSARY.md``, a landing page made
   from the README's introduction, ``book/intro.md`` and the README's chapter map, a
   ``_toc.yml`` listing every notebook (chapters, then the others), and in ``_assets/`` (served
   as ``_static/``) the npm packages under ``npm/`` and ``book/js/`` under ``course/``.
3. Execute every English notebook (two at a time with ``--jobs 2``, with the course's patient
   nbclient, ``tools/nbexec.py``); nbclient saves the widgets' state in the executed notebook.
   A failing cell fails the build. The Chinese editions (``notebooks/zh-CN/``, ``zh-TW/``)
   have the English code cells, so they are not executed again: each gets the outputs and
   widget state of its executed English notebook, cell by cell.
4. Build with Jupyter Book 1 (Sphinx + MyST-NB, execution off: the notebooks come executed)
   into ``_build/html/``; MyST-NB embeds the saved widget state in each page, and the course's
   Sphinx extension puts a language switch (English · 简体中文 · 繁體中文) on every chapter page.
5. Refuse the result if any page still references a script, stylesheet or image by an
   ``http(s)://`` address; after a complete build, write ``_build/html/.course-book.json``
   (what ``make book`` and tests/book/ take as "the site is built"). A partial build
   (``--notebooks``) writes no such stamp.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
EDITIONS = {"zh-CN": "简体中文", "zh-TW": "繁體中文"}  # folder under notebooks/ -> its name in the navigation
BOOK = ROOT / "book"
WORK = ROOT / "build" / "book"
SRC = WORK / "src"
NPM_CACHE = WORK / "npm"
OUT = ROOT / "_build" / "html"
STAMP = ".course-book.json"  # written after a complete build only (read by make and tests/book/)

# npm package -> (version, sha512 integrity of the tarball, [(path in the package, path under _static/npm)])
ASSETS = {
    "mathjax": (
        "3.2.2",
        "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
        [("es5", "mathjax")],
    ),
    "requirejs": (
        "2.3.8",
        "sha512-7/cTSLOdYkNBNJcDMWf+luFvMriVm7eYxp4BcFCsAX0wF421Vyce5SXP17c+Jd5otXKGNehIonFlyQXSowL6Mw==",
        [("require.js", "requirejs/require.js")],
    ),
    # html-manager 1.x embeds ipywidgets 8 state (widget protocol 2); its controls are bundled.
    "@jupyter-widgets/html-manager": (
        "1.0.15",
        "sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA==",
        [("dist", "html-manager")],
    ),
}

# The README sections that make the site's landing page (with the text before the first "## ").
INTRO_SECTIONS = ("Chapter map",)


def log(message: str) -> None:
    print(f"[book] {message}", flush=True)


# ---------------------------------------------------------------------------- 1. JavaScript
def _integrity(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def fetch_assets(cache: Path = NPM_CACHE) -> dict[str, Path]:
    """Unpacked npm packages, fetched with ``npm pack`` unless already in ``cache``."""
    cache.mkdir(parents=True, exist_ok=True)
    unpacked = {}
    for name, (version, integrity, _) in ASSETS.items():
        folder = cache / f"{name.replace('/', '__')}@{version}"
        done = folder / ".integrity"
        if not (done.exists() and done.read_text().strip() == integrity):
            npm = shutil.which("npm")
            if npm is None:
                sys.exit("[book] npm is needed to fetch the site's JavaScript (apt-get install npm)")
            log(f"npm pack {name}@{version}")
            tmp = cache / "tarballs"
            tmp.mkdir(exist_ok=True)
            result = subprocess.run(
                [npm, "pack", "--json", "--pack-destination", str(tmp), f"{name}@{version}"],
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                sys.exit(f"[book] npm pack {name}@{version} failed:\n{result.stdout}{result.stderr}")
            tarball = tmp / json.loads(result.stdout)[0]["filename"]
            got = _integrity(tarball)
            if got != integrity:
                sys.exit(f"[book] {tarball.name}: sha512 {got} is not the pinned {integrity}")
            shutil.rmtree(folder, ignore_errors=True)
            with tarfile.open(tarball) as tar:
                if hasattr(tarfile, "data_filter"):  # Python >= 3.10.12 / 3.11.4: refuse odd members
                    tar.extractall(folder, filter="data")
                else:
                    tar.extractall(folder)
            tarball.unlink()
            done.write_text(integrity + "\n")
        unpacked[name] = folder / "package"
    return unpacked


def install_assets(unpacked: dict[str, Path], static: Path) -> None:
    for name, (_, _, copies) in ASSETS.items():
        for inside, target in copies:
            src, dst = unpacked[name] / inside, static / "npm" / target
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dst)
            else:
                shutil.copy2(src, dst)


# ---------------------------------------------------------------------------- 2. the source
def select_notebooks(prefixes: list[str] | None) -> list[Path]:
    """Chapters (``NN_*.ipynb``) in order, then any other notebook (e.g. the playground)."""
    every = sorted(NOTEBOOKS.glob("*.ipynb"))
    chapters = [p for p in every if re.match(r"\d\d_", p.name)]
    others = [p for p in every if p not in chapters]
    chosen = chapters + others
    if prefixes:
        chosen = [p for p in chosen if any(p.name.startswith(x) for x in prefixes)]
        if not chosen:
            sys.exit(f"[book] no notebook starts with any of {prefixes}")
    return chosen


def _readme_sections(text: str) -> tuple[str, dict[str, str]]:
    """The README's text before its first ``## `` heading, and each ``## `` section by title."""
    parts = re.split(r"(?m)^## ", text)
    head, sections = parts[0], {}
    for part in parts[1:]:
        title, _, body = part.partition("\n")
        sections[title.strip()] = "## " + part
    return head, sections


def _unlink_missing(markdown: str, site_files: set[str]) -> str:
    """Keep links to pages of the site and to the web; other links become their text."""

    def repl(match: re.Match) -> str:
        text, target = match.group(1), match.group(2)
        path = target.split("#")[0]
        if re.match(r"[a-z]+:", target) or target.startswith("#") or path in site_files:
            return match.group(0)
        return text

    return re.sub(r"(?<!!)\[([^\]]+)\]\(([^)\s]+)\)", repl, markdown)


def landing_page(site_files: set[str], notebooks: list[Path]) -> str:
    head, sections = _readme_sections((ROOT / "README.md").read_text(encoding="utf-8"))
    lines = [head.rstrip(), ""]
    lines.append((BOOK / "intro.md").read_text(encoding="utf-8").rstrip())
    lines.append("")
    for title in INTRO_SECTIONS:
        if title in sections:
            lines += [sections[title].rstrip(), ""]
    chinese = sorted(f for f in site_files if re.match(r"notebooks/zh-", f))
    for folder, name in EDITIONS.items():
        pages = [f for f in chinese if f.startswith(f"notebooks/{folder}/")]
        if pages:
            lines += [f"## {name}", ""]
            lines += [f"- [{Path(f).stem}]({f})" for f in pages]
            lines.append("")
    listed = "\n".join(lines)
    missing = [nb for nb in notebooks if f"notebooks/{nb.name}" not in listed]
    if missing:  # chapters the README's map does not list yet still get a link
        lines += ["More pages of the site:", ""]
        lines += [f"- [`{nb.name}`](notebooks/{nb.name})" for nb in missing]
        lines.append("")
    return _unlink_missing("\n".join(lines), site_files) + "\n"


def table_of_contents(notebooks: list[Path], glossary: bool, editions: dict[str, list[Path]] | None = None) -> str:
    chapters = [nb for nb in notebooks if re.match(r"\d\d_", nb.name)]
    others = [nb for nb in notebooks if nb not in chapters]
    lines = ["# Generated by tools/build_book.py", "format: jb-book", "root: index", "parts:"]
    for caption, group in (("Chapters", chapters), ("Playground", others)):
        if group:
            lines += [f"  - caption: {caption}", "    chapters:"]
            lines += [f"      - file: notebooks/{nb.stem}" for nb in group]
    for folder, paths in (editions or {}).items():
        if paths:
            lines += [f"  - caption: {EDITIONS[folder]}", "    chapters:"]
            lines += [f"      - file: notebooks/{folder}/{p.stem}" for p in paths]
    if glossary:
        lines += ["  - caption: Reference", "    chapters:", "      - file: GLOSSARY"]
    return "\n".join(lines) + "\n"


def editions_of(notebooks: list[Path]) -> dict[str, list[Path]]:
    """The Chinese editions of ``notebooks`` that exist: {folder: [paths]}."""
    return {
        folder: [NOTEBOOKS / folder / nb.name for nb in notebooks if (NOTEBOOKS / folder / nb.name).exists()]
        for folder in EDITIONS
    }


def execute_all(notebooks: list[Path], jobs: int) -> dict[str, dict]:
    """Every notebook executed in a fresh kernel in its own folder (``jobs`` at a time); {name: notebook}."""
    import nbformat

    from tools.nbexec import execute

    # The kernels inherit this: figures must be inline images even if MPLBACKEND=Agg is exported.
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"

    def run(path: Path):
        started = time.perf_counter()
        nb = nbformat.read(str(path), as_version=4)
        execute(nb, timeout=300, cwd=path.parent)  # a failing cell raises: the build fails
        log(f"executed {path.name} in {time.perf_counter() - started:.0f} s")
        return path.name, nb

    with ThreadPoolExecutor(max(1, jobs)) as pool:
        return dict(pool.map(run, notebooks))


def with_outputs(edition: Path, executed: dict) -> dict:
    """A Chinese edition with the outputs and widget state of its executed English notebook."""
    nb = json.loads(edition.read_text(encoding="utf-8"))
    english = executed["cells"]
    if [c["cell_type"] for c in nb["cells"]] != [c["cell_type"] for c in english]:
        sys.exit(f"[book] {edition.relative_to(ROOT)} does not have the English notebook's cells: make translations")
    for mine, theirs in zip(nb["cells"], english):
        if mine["cell_type"] == "code":
            if "".join(mine["source"]) != "".join(theirs["source"]):
                sys.exit(f"[book] {edition.relative_to(ROOT)}: a code cell differs from the English: make translations")
            mine["outputs"], mine["execution_count"] = theirs.get("outputs", []), theirs.get("execution_count")
    if "widgets" in executed.get("metadata", {}):
        nb["metadata"]["widgets"] = executed["metadata"]["widgets"]
    return nb


def stage(notebooks: list[Path], unpacked: dict[str, Path], jobs: int) -> None:
    import nbformat

    shutil.rmtree(SRC, ignore_errors=True)
    (SRC / "notebooks").mkdir(parents=True)
    shutil.copy2(BOOK / "_config.yml", SRC / "_config.yml")
    executed = execute_all(notebooks, jobs)
    kept = OUT.parent / "jupyter_execute" / "notebooks"  # the executed copies, for the tests to compare
    shutil.rmtree(kept, ignore_errors=True)
    kept.mkdir(parents=True)
    for nb in notebooks:
        nbformat.write(executed[nb.name], str(SRC / "notebooks" / nb.name))
        nbformat.write(executed[nb.name], str(kept / nb.name))
    editions = editions_of(notebooks)
    for folder, paths in editions.items():
        (SRC / "notebooks" / folder).mkdir()
        for path in paths:
            nb = with_outputs(path, json.loads(nbformat.writes(executed[path.name])))
            (SRC / "notebooks" / folder / path.name).write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    glossary = (ROOT / "GLOSSARY.md").exists()
    site_files = {f"notebooks/{nb.name}" for nb in notebooks}
    site_files |= {f"notebooks/{folder}/{p.name}" for folder, paths in editions.items() for p in paths}
    if glossary:
        site_files.add("GLOSSARY.md")
        text = (ROOT / "GLOSSARY.md").read_text(encoding="utf-8")
        (SRC / "GLOSSARY.md").write_text(_unlink_missing(text, site_files), encoding="utf-8")
    (SRC / "index.md").write_text(landing_page(site_files, notebooks), encoding="utf-8")
    (SRC / "_toc.yml").write_text(table_of_contents(notebooks, glossary, editions), encoding="utf-8")
    shutil.copytree(BOOK / "_ext", SRC / "_ext", ignore=shutil.ignore_patterns("__pycache__"))
    install_assets(unpacked, SRC / "_assets")  # html_static_path: copied to _build/html/_static/
    shutil.copytree(BOOK / "js", SRC / "_assets" / "course")


# ---------------------------------------------------------------------------- 3. the build
def check_kernel() -> None:
    """The notebooks' kernel (``python3``) must be this environment's Python, with course_utils."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    exe = spec.argv[0]
    if exe not in ("python", "python3") and Path(exe).resolve().parent != Path(sys.executable).resolve().parent:
        log(f"warning: the python3 kernel runs {exe}, not {sys.executable}")
    try:
        import course_utils  # noqa: F401
    except ImportError:
        sys.exit("[book] course_utils is not installed here: pip install -e .")


def build(jobs: int) -> int:
    from jupyter_book.sphinx import build_sphinx

    for stale in (OUT, OUT.parent / ".doctrees"):
        shutil.rmtree(stale, ignore_errors=True)
    result = build_sphinx(
        SRC,
        OUT,
        use_external_toc=True,
        noconfig=True,
        path_config=str(SRC / "_config.yml"),
        confoverrides={"external_toc_path": (SRC / "_toc.yml").as_posix(), "latex_individualpages": False},
        builder="html",
        freshenv=True,
        jobs=jobs,
        keep_going=True,
    )
    return 0 if result is None else (result if isinstance(result, int) else 1)


# ---------------------------------------------------------------------------- 4. offline check
class _Refs(HTMLParser):
    """Collect (tag, attribute, value) of every address in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if value and key in ("src", "href", "data-jupyter-widgets-cdn", "data"):
                self.refs.append((tag, key, value))


def remote_loads(html: str) -> list[str]:
    """Addresses on the web that a browser would load when showing ``html`` (links excluded)."""
    parser = _Refs()
    parser.feed(html)
    bad = []
    for tag, key, value in parser.refs:
        remote = re.match(r"(https?:)?//", value.strip())
        if not remote:
            continue
        if tag == "a" or (tag == "link" and key == "href" and not _loads(html, value)):
            continue  # a hyperlink is followed only when clicked
        bad.append(f"<{tag} {key}={value}>")
    return bad


def _loads(html: str, href: str) -> bool:
    """Whether the <link href=...> is a resource (stylesheet, preload, icon), not a plain relation."""
    for match in re.finditer(r"<link\b[^>]*>", html):
        tag = match.group(0)
        if href in tag:
            rel = re.search(r'rel="([^"]*)"', tag)
            return bool(
                rel
                and set(rel.group(1).split())
                & {"stylesheet", "preload", "modulepreload", "icon", "shortcut", "prefetch", "manifest"}
            )
    return True


def offline_problems(site: Path = OUT) -> list[str]:
    problems = []
    for page in sorted(site.rglob("*.html")):
        for ref in remote_loads(page.read_text(encoding="utf-8", errors="replace")):
            problems.append(f"{page.relative_to(site)}: {ref}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notebooks", nargs="*", metavar="NN", help="only notebooks whose name starts so")
    parser.add_argument(
        "--jobs",
        type=int,
        default=int(os.environ.get("BOOK_JOBS", "2")),
        help="notebooks executed at once (default $BOOK_JOBS or 2)",
    )
    parser.add_argument(
        "--fetch-only",
        action="store_true",
        help="only fetch the JavaScript packages (the one step that needs the network)",
    )
    args = parser.parse_args(argv)
    if args.fetch_only:
        fetch_assets()
        log(f"JavaScript packages ready in {NPM_CACHE.relative_to(ROOT)}/")
        return 0

    start = time.perf_counter()
    check_kernel()
    notebooks = select_notebooks(args.notebooks)
    unpacked = fetch_assets()
    log(f"executing {len(notebooks)} notebooks with {args.jobs} job(s)")
    stage(notebooks, unpacked, args.jobs)
    log(f"building the site into {OUT.relative_to(ROOT)}/")
    status = build(args.jobs)
    if status != 0:
        log(f"the build failed (status {status})")
        return status
    problems = offline_problems()
    if problems:
        log("pages that would load files from the internet:\n  " + "\n  ".join(problems))
        return 1
    seconds = time.perf_counter() - start
    if args.notebooks:  # a partial site: no stamp, so `make book` and tests/book build it again
        log(f"partial site built in {seconds:.0f} s: open {(OUT / 'index.html').relative_to(ROOT)}")
        return 0
    (OUT / STAMP).write_text(
        json.dumps(
            {
                "notebooks": [nb.name for nb in notebooks],
                "editions": {folder: [p.name for p in paths] for folder, paths in editions_of(notebooks).items()},
                "seconds": round(seconds, 1),
                "npm": {name: version for name, (version, _, _) in ASSETS.items()},
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    log(f"done in {seconds:.0f} s: open {(OUT / 'index.html').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
