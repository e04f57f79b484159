"""The course website (``make book``) is tested by ``make test-book``, not by ``make test``.

``make test-book`` builds the site once (``make book``, skipped when ``_build/html`` is newer than
every source) and runs these tests with ``COURSE_BOOK_TESTS=1`` in the book's environment
(``.venv-book``). Run without that variable (as ``make test`` does) they are skipped, so the site is
never built twice. With the variable set and the site missing or older than its sources, the
``site`` fixture builds it first (this needs the book toolchain: requirements-book.txt).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
SITE = ROOT / "_build" / "html"
STAMP = SITE / ".course-book.json"  # written by tools/build_book.py after a complete build


def site_sources() -> list[Path]:
    """Every file the site is built from (the Makefile's `book` target lists the same)."""
    files = [ROOT / "GLOSSARY.md", ROOT / "README.md", ROOT / "tools" / "build_book.py"]
    files += sorted((ROOT / "notebooks").glob("*.ipynb"))
    files += sorted((ROOT / "notebooks").glob("zh-*/*.ipynb"))
    for folder in (ROOT / "book", ROOT / "course_utils"):
        files += [p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return [p for p in files if p.exists()]


def stale_reason() -> str | None:
    if not STAMP.exists():
        return "no complete build in _build/html"
    built = STAMP.stat().st_mtime
    newer = [p for p in site_sources() if p.stat().st_mtime > built]
    if newer:
        return f"{newer[0].relative_to(ROOT)} changed after the last build"
    return None


@pytest.fixture(scope="session")
def site() -> Path:
    """The built site, built now if it is missing or older than its sources."""
    reason = stale_reason()
    if reason:
        try:
            import jupyter_book  # noqa: F401
        except ImportError:
            pytest.fail(f"{reason}, and this Python has no Jupyter Book: run `make test-book`")
        print(f"building the site: {reason}")
        subprocess.run([sys.executable, "-m", "tools.build_book"], cwd=ROOT, check=True)
        assert stale_reason() is None, "the build left no complete site"
    return SITE
