#!/usr/bin/env python3
"""Grade a folder of submitted notebooks: one row per exercise check, never a crash.

    python tools/grade.py SUBMISSIONS_DIR [--out grades] [--timeout 120]

Every ``*.ipynb`` below SUBMISSIONS_DIR is matched to a course notebook by name (a file called
``alice_03_batch_and_momentum.ipynb`` or ``alice/03_batch_and_momentum.ipynb`` is chapter 03),
its check cells are restored from the course's own version (so an edited check cannot pass),
and it is executed top to bottom in a fresh kernel, each cell limited to ``--timeout`` seconds.
Each ``autograde`` check cell scores one point when it runs without error.

A submission that is not valid JSON, raises, hangs, kills its kernel or deletes a check cell is
scored (0 for what did not pass) and reported with the reason; the run goes on.

Writes ``OUT/grades.csv`` (student_file, notebook, exercise, passed, error) and
``OUT/summary.csv`` (student_file, notebook, passed, total), and prints the summary table.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from tools.nbexec import PatientClient
from tools.student import student_notebook

ROOT = Path(__file__).resolve().parent.parent


def course_notebooks(root: Path = ROOT) -> dict[str, Path]:
    return {p.stem: p for p in sorted((root / "notebooks").glob("*.ipynb"))}


def match_notebook(path: Path, stems) -> str | None:
    """The course notebook a submission belongs to: the longest stem contained in its path."""
    text = str(path)
    hits = [s for s in stems if s in text]
    return max(hits, key=len) if hits else None


def _checks(stem: str, source: Path) -> dict[str, str]:
    """grade_id -> source of each autograde check cell of the course notebook."""
    nb, _ = student_notebook(json.loads(source.read_text(encoding="utf-8")), stem)
    return {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"])
            for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade")}


def _error_text(cell) -> str | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"[:300]
    return None


def _find_check_cells(nb, checks: dict[str, str]) -> dict[str, object]:
    """Locate each check in the submission: by nbgrader grade_id, else by its exact source."""
    found = {}
    by_source = {src.strip(): gid for gid, src in checks.items()}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid not in checks:
            gid = by_source.get(cell.source.strip())
        if gid in checks and gid not in found:
            found[gid] = cell
    return found


def grade_file(path: Path, notebooks: dict[str, Path], timeout: float) -> list[dict]:
    """Rows (one per exercise check) for one submitted notebook."""
    row = {"student_file": str(path), "notebook": "", "exercise": "", "passed": 0, "error": ""}
    stem = match_notebook(path, notebooks)
    if stem is None:
        return [{**row, "error": "not matched to any course notebook by its file name"}]
    row["notebook"] = stem
    checks = _checks(stem, notebooks[stem])
    if not checks:
        return [{**row, "error": "the course notebook has no autograde checks"}]
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as exc:  # not JSON, not a notebook: scored 0, reported
        return [{**row, "exercise": gid, "error": f"not a valid notebook: {type(exc).__name__}: {exc}"[:300]}
                for gid in checks]
    found = _find_check_cells(nb, checks)
    for gid, cell in found.items():
        cell.source = checks[gid]  # the course's own check, whatever the student wrote there
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = PatientClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            interrupt_on_timeout=True,
                            resources={"metadata": {"path": str(notebooks[stem].parent)}})
    crash = ""
    try:
        client.execute()
    except (CellTimeoutError, DeadKernelError) as exc:
        crash = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]
    except Exception as exc:  # the kernel could not start or died: report, go on
        crash = f"{type(exc).__name__}: {exc}"[:300]
    rows = []
    for gid in checks:
        cell = found.get(gid)
        if cell is None:
            rows.append({**row, "exercise": gid, "error": "check cell deleted"})
        elif (err := _error_text(cell)) is not None:
            rows.append({**row, "exercise": gid, "error": err})
        elif cell.execution_count is None:
            rows.append({**row, "exercise": gid, "error": crash or "not executed"})
        else:
            rows.append({**row, "exercise": gid, "passed": 1})
    return rows


def grade(submissions: Path, out: Path, timeout: float = 120.0, notebooks: dict[str, Path] | None = None):
    notebooks = notebooks or course_notebooks()
    rows = []
    for path in sorted(submissions.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        rows.extend(grade_file(path, notebooks, timeout))
    out.mkdir(parents=True, exist_ok=True)
    fields = ["student_file", "notebook", "exercise", "passed", "error"]
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    summary = {}
    for r in rows:
        key = (r["student_file"], r["notebook"])
        passed, total = summary.get(key, (0, 0))
        summary[key] = (passed + int(r["passed"]), total + (1 if r["exercise"] else 0))
    with open(out / "summary.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student_file", "notebook", "passed", "total"])
        for (student, nb), (passed, total) in summary.items():
            writer.writerow([student, nb, passed, total])
    return rows, summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Grade submitted notebooks by their autograde checks.")
    parser.add_argument("submissions", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "grades")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds allowed per cell")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        parser.error(f"SUBMISSIONS must be a folder of .ipynb files; {args.submissions} is not a folder")
    rows, summary = grade(args.submissions, args.out, args.timeout)
    width = max([len(s) for s, _ in summary] + [12])
    print(f"{'student file':{width}s}  {'notebook':32s} score")
    for (student, nb), (passed, total) in summary.items():
        print(f"{student:{width}s}  {nb:32s} {passed}/{total}")
    failures = [r for r in rows if not r["passed"]]
    print(f"{len(rows)} checks graded, {len(rows) - len(failures)} passed; details in {args.out / 'grades.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
