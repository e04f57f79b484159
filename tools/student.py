#!/usr/bin/env python3
"""Build the student hand-out of the course (solutions stubbed), or nbgrader's source folder.

    python -m tools.student [--out dist/student]
    python -m tools.student --nbgrader-source [--out dist/nbgrader]

**Markers.** A solution is the block between two lines that read exactly ``### BEGIN SOLUTION``
and ``### END SOLUTION`` (nbgrader's markers; leading spaces allowed, nothing else on the line):
prose that merely *mentions* the markers is not a solution. In the hand-out each code block
becomes

    # YOUR CODE HERE
    raise NotImplementedError()

(indented like the markers), and each markdown block ``YOUR ANSWER HERE``. In a check cell
(tagged ``autograde``) the lines between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``
are nbgrader's hidden tests: left out of the hand-out, kept in the nbgrader source (where
nbgrader hides them itself) and run by the grader. Cells tagged ``ta-only`` (notes for teaching
assistants) are left out of both.

**nbgrader metadata** (schema 3), with grade ids that the grader (``tools.grade``) relies on:

* a code cell holding a solution: ``solution: true``, id ``<slug>_solution_<k>`` (k counts
  solution blocks);
* a markdown cell holding a solution, i.e. a written answer: a manually graded answer,
  ``solution: true, grade: true, points: 2``, id ``<slug>_manual_<k>``;
* a check cell: ``grade: true, locked: true, points: 1``, id ``<slug>_check_<k>``.

``--nbgrader-source`` writes ``source/<chapter>/<chapter>.ipynb`` (solutions kept) for every
chapter with exercises, a copy of ``course_utils`` beside each (nbgrader releases it with the
notebook and copies it again when it autogrades), and an ``nbgrader_config.py``. The hand-out
(``dist/student``) holds the notebooks, the library, the pins, the glossary, the playground's
launcher and the student README and Makefile of ``tools/handout/``.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HANDOUT = Path(__file__).resolve().parent / "handout"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CODE_STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]
MARKDOWN_STUB = ["YOUR ANSWER HERE"]
TA_ONLY = "ta-only"
MANUAL_POINTS = 2
#: what the hand-out holds besides the notebooks (README.md and Makefile come from tools/handout/)
COPIED = [
    "course_utils",
    "requirements.txt",
    "runtime.txt",
    "pyproject.toml",
    "GLOSSARY.md",
    "postBuild",
    "tools/__init__.py",
    "tools/playground.py",
    "tools/voila",  # the playground app's Voilà template
]
IGNORED = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc", ".ipynb_checkpoints")
#: nbgrader finds its markers as *substrings* of a line; a mention in prose is made invisible to it
#: with a no-break space (it looks the same)
NBGRADER_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def _is(line: str, marker: str) -> bool:
    return line.strip() == marker


def has_solution(source: str) -> bool:
    """Whether ``source`` holds a solution block: a line that is exactly the BEGIN marker."""
    return any(_is(line, BEGIN) for line in source.splitlines())


def strip_solutions(source: str, markdown: bool = False) -> tuple[str, int]:
    """Replace each BEGIN/END SOLUTION block of ``source``; return (new source, blocks replaced)."""
    out, inside, replaced, indent = [], False, 0, ""
    for line in source.splitlines():
        if _is(line, BEGIN):
            if inside:
                raise ValueError("nested '### BEGIN SOLUTION'")
            inside, indent = True, line[: len(line) - len(line.lstrip())]
            continue
        if _is(line, END):
            if not inside:
                raise ValueError("'### END SOLUTION' without a BEGIN")
            inside, replaced = False, replaced + 1
            out.extend(indent + stub for stub in (MARKDOWN_STUB if markdown else CODE_STUB))
            continue
        if not inside:
            out.append(line)
    if inside:
        raise ValueError("'### BEGIN SOLUTION' without an END")
    return "\n".join(out), replaced


def strip_hidden_tests(source: str) -> tuple[str, int]:
    """Remove each BEGIN/END HIDDEN TESTS block (markers included); return (new source, blocks removed)."""
    out, inside, removed = [], False, 0
    for line in source.splitlines():
        if _is(line, BEGIN_HIDDEN):
            if inside:
                raise ValueError("nested '### BEGIN HIDDEN TESTS'")
            inside = True
        elif _is(line, END_HIDDEN):
            if not inside:
                raise ValueError("'### END HIDDEN TESTS' without a BEGIN")
            inside, removed = False, removed + 1
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError("'### BEGIN HIDDEN TESTS' without an END")
    return "\n".join(out), removed


def hide_marker_mentions(source: str) -> str:
    """``source`` with every marker that is not alone on its line written with a no-break space.

    nbgrader (0.9) takes any line that *contains* ``BEGIN SOLUTION`` for a marker, so a sentence
    about the markers breaks ``nbgrader generate_assignment``; the stand-alone marker lines stay.
    """
    lines = source.split("\n")
    standalone = {f"### {m}" for m in NBGRADER_MARKERS}
    for i, line in enumerate(lines):
        if line.strip() not in standalone:
            for marker in NBGRADER_MARKERS:
                lines[i] = lines[i].replace(marker, marker.replace(" ", "\u00a0"))
    return "\n".join(lines)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _meta(grade_id: str, *, solution: bool, grade: bool, locked: bool = False, points: int | None = None) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = points
    return meta


def _set_source(cell: dict, text: str) -> None:
    cell["source"] = text.splitlines(keepends=True)


def student_notebook(
    nb: dict, stem: str, keep_solutions: bool = False, keep_hidden_tests: bool | None = None
) -> tuple[dict, int]:
    """A copy of ``nb`` with nbgrader metadata and without ``ta-only`` cells; returns (notebook,
    solution blocks).

    By default this is the hand-out: solutions stubbed, hidden tests removed. With
    ``keep_solutions`` it is nbgrader's *source* version (solutions and hidden tests kept, marker
    mentions in prose hidden from nbgrader). ``keep_hidden_tests`` (default: as
    ``keep_solutions``) keeps the hidden tests in the check cells: the checks the grader runs.
    """
    keep_hidden_tests = keep_solutions if keep_hidden_tests is None else keep_hidden_tests
    nb = json.loads(json.dumps(nb))
    nb["cells"] = [c for c in nb["cells"] if TA_ONLY not in c.get("metadata", {}).get("tags", [])]
    slug = _slug(stem)
    total, checks, manual = 0, 0, 0
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        tags = cell.get("metadata", {}).get("tags", [])
        cell.setdefault("metadata", {})
        markdown = cell["cell_type"] == "markdown"
        if has_solution(source):
            new, n = strip_solutions(source, markdown=markdown)
            total += n
            if not keep_solutions:
                _set_source(cell, new)
            if markdown:  # a written answer: graded by hand
                manual += 1
                cell["metadata"]["nbgrader"] = _meta(
                    f"{slug}_manual_{manual}", solution=True, grade=True, points=MANUAL_POINTS
                )
            else:
                cell["metadata"]["nbgrader"] = _meta(f"{slug}_solution_{total}", solution=True, grade=False)
        elif "autograde" in tags and cell["cell_type"] == "code":
            checks += 1
            if not keep_hidden_tests:
                new, n = strip_hidden_tests(source)
                if n:
                    _set_source(cell, new)
            cell["metadata"]["nbgrader"] = _meta(
                f"{slug}_check_{checks}", solution=False, grade=True, locked=True, points=1
            )
        if keep_solutions:
            hidden = hide_marker_mentions("".join(cell["source"]))
            if hidden != "".join(cell["source"]):
                _set_source(cell, hidden)
    return nb, total


def chapters(root: Path = ROOT) -> list[Path]:
    return sorted((root / "notebooks").glob("*.ipynb"))


def _title(nb: dict) -> str:
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            first = "".join(cell["source"]).strip().splitlines()[0]
            return first.lstrip("# ").strip()
    return ""


def _write_notebook(path: Path, nb: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _copy(name: str, out: Path, root: Path = ROOT) -> None:
    src, dst = root / name, out / name
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, dst, ignore=IGNORED)
    elif src.exists():
        shutil.copy2(src, dst)


NBGRADER_CONFIG = """# nbgrader's configuration for the course (written by `make nbgrader-source`).
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "how-neural-networks-are-trained"
# the grader's per-cell time limit, also for nbgrader's autograde
c.Execute.timeout = 120
# each assignment folder holds a copy of course_utils: release it with the notebook, never its caches
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.egg-info"]
"""


def build(out: Path, nbgrader_source: bool = False) -> list[tuple[str, int]]:
    """Write the hand-out to ``out`` (or, with ``nbgrader_source``, nbgrader's
    ``source/<assignment>/<notebook>.ipynb`` layout, solutions kept); returns [(notebook, solutions)]."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    report, titles = [], []
    for path in chapters():
        course = json.loads(path.read_text(encoding="utf-8"))
        nb, n = student_notebook(course, path.stem, keep_solutions=nbgrader_source)
        report.append((path.name, n))
        if nbgrader_source:
            if n == 0:  # no exercises (the playground): not an assignment
                continue
            _write_notebook(out / "source" / path.stem / path.name, nb)
            _copy("course_utils", out / "source" / path.stem)
        else:
            _write_notebook(out / "notebooks" / path.name, nb)
            titles.append((path.name, _title(course), n))
    if nbgrader_source:
        (out / "nbgrader_config.py").write_text(NBGRADER_CONFIG, encoding="utf-8")
        return report
    for edition in sorted((ROOT / "notebooks").glob("zh-*")):  # the Chinese editions, stubbed alike
        for path in sorted(edition.glob("*.ipynb")):
            nb, _ = student_notebook(json.loads(path.read_text(encoding="utf-8")), path.stem)
            _write_notebook(out / "notebooks" / edition.name / path.name, nb)
    for name in COPIED:
        _copy(name, out)
    listing = "\n".join(f"| [`{name}`](notebooks/{name}) | {title} | {n or '—'} |" for name, title, n in titles)
    readme = (HANDOUT / "README.md").read_text(encoding="utf-8").replace("{{chapters}}", listing)
    (out / "README.md").write_text(readme, encoding="utf-8")
    shutil.copy2(HANDOUT / "Makefile", out / "Makefile")
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=None, help="default: dist/student (dist/nbgrader with --nbgrader-source)"
    )
    parser.add_argument(
        "--nbgrader-source",
        action="store_true",
        help="write nbgrader's source/<assignment>/ layout, solutions kept, metadata added",
    )
    args = parser.parse_args(argv)
    out = args.out or ROOT / "dist" / ("nbgrader" if args.nbgrader_source else "student")
    report = build(out, nbgrader_source=args.nbgrader_source)
    for name, n in report:
        what = "solutions marked" if args.nbgrader_source else "solutions stubbed"
        print(
            f"{name:45s} {n:2d} {what}"
            + (" (no exercises: not an assignment)" if args.nbgrader_source and n == 0 else "")
        )
    print(f"{'nbgrader source' if args.nbgrader_source else 'student hand-out'} written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
