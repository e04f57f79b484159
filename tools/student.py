#!/usr/bin/env python3
"""Build the student version of the course: every solution replaced by a stub.

    python tools/student.py [--out dist/student]

In code cells, each block between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` becomes

    # YOUR CODE HERE
    raise NotImplementedError()

(indented like the markers); in markdown cells the block becomes ``YOUR ANSWER HERE``. The
``autograde`` check cells stay as they are. The markers are nbgrader's, and every exercise cell
gets nbgrader metadata (solution cells ``solution: true``; check cells ``grade: true`` with a
``grade_id`` and one point), so a teaching assistant who uses nbgrader can import the
notebooks as its *source* versions. The course library, requirements and Makefile are copied
beside the notebooks so ``make lab`` works from ``dist/student`` too.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
CODE_STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]
MARKDOWN_STUB = ["YOUR ANSWER HERE"]
COPIED = ["course_utils", "requirements.txt", "runtime.txt", "pyproject.toml", "Makefile", "README.md"]


def strip_solutions(source: str, markdown: bool = False) -> tuple[str, int]:
    """Replace each BEGIN/END SOLUTION block of ``source``; return (new source, blocks replaced)."""
    out, inside, replaced, indent = [], False, 0, ""
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise ValueError("nested '### BEGIN SOLUTION'")
            inside, indent = True, line[: len(line) - len(line.lstrip())]
            continue
        if stripped == END:
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


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def student_notebook(nb: dict, stem: str, keep_solutions: bool = False) -> tuple[dict, int]:
    """A copy of ``nb`` with solutions stubbed and nbgrader metadata; returns (notebook, solutions).

    With ``keep_solutions`` the solutions stay: that is nbgrader's *source* version.
    """
    nb = json.loads(json.dumps(nb))
    total, checks = 0, 0
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        tags = cell.get("metadata", {}).get("tags", [])
        if BEGIN in source:
            new, n = strip_solutions(source, markdown=cell["cell_type"] == "markdown")
            total += n
            if not keep_solutions:
                cell["source"] = new.splitlines(keepends=True)
            cell["metadata"]["nbgrader"] = {"grade": False, "grade_id": f"{_slug(stem)}_solution_{total}",
                                            "locked": False, "schema_version": 3, "solution": True,
                                            "task": False}
        elif "autograde" in tags:
            checks += 1
            cell["metadata"]["nbgrader"] = {"grade": True, "grade_id": f"{_slug(stem)}_check_{checks}",
                                            "locked": True, "points": 1, "schema_version": 3,
                                            "solution": False, "task": False}
    return nb, total


def build(out: Path, nbgrader_source: bool = False) -> list[tuple[str, int]]:
    """Write the student version to ``out`` (or, with ``nbgrader_source``, nbgrader's
    ``source/<assignment>/<notebook>.ipynb`` layout with the solutions kept)."""
    if out.exists():
        shutil.rmtree(out)
    (out / "notebooks").mkdir(parents=True)
    report = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb, n = student_notebook(json.loads(path.read_text(encoding="utf-8")), path.stem,
                                 keep_solutions=nbgrader_source)
        target = out / "source" / path.stem / path.name if nbgrader_source else out / "notebooks" / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        report.append((path.name, n))
    if nbgrader_source:
        shutil.rmtree(out / "notebooks")
        return report
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, out / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        elif src.exists():
            shutil.copy2(src, out / name)
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--out", type=Path, default=ROOT / "dist" / "student")
    parser.add_argument("--nbgrader-source", action="store_true",
                        help="write nbgrader's source/<assignment>/ layout, solutions kept, metadata added")
    args = parser.parse_args(argv)
    report = build(args.out, nbgrader_source=args.nbgrader_source)
    for name, n in report:
        print(f"{name:45s} {n:2d} solutions {'marked' if args.nbgrader_source else 'stubbed'}")
    print(f"{'nbgrader source' if args.nbgrader_source else 'student version'} written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
