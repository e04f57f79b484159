#!/usr/bin/env python3
"""Grade a folder of submitted notebooks, safely and in parallel: one row per exercise check.

    python -m tools.grade SUBMISSIONS_DIR [--out grades] [--timeout 120] [--jobs N] [--full]

Each ``*.ipynb`` below SUBMISSIONS_DIR is matched to a course notebook (by the nbgrader ids in
its cells, else by its file name relative to SUBMISSIONS_DIR, ignoring case) and graded by the
course's own check cells, which run in a fresh process of their own and see the student's
answers only as data or as functions called across a process boundary (``tools.grading``). The
student's cells run in a sandbox: a private temporary folder, the course's files and the other
submissions hidden, no network, resource limits (bubblewrap where available; the first line of
output says which). Only the import cell and the solution cells run at first; a check that fails
then is graded again after running every cell of the submission in order (``--full`` does that
for every check). Each cell may run ``--timeout`` seconds.

Writes ``OUT/grades.csv`` (student, student_file, notebook, exercise, passed, error, flags) and
``OUT/summary.csv`` (student, student_file, notebook, passed, total, flags), prints the summary and
lists the submissions that need a human look (tampering attempts, limits, crashes, unmatched or
duplicate files).
"""
from __future__ import annotations

import argparse
import ast
import csv
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tools.grading import sandbox
from tools.grading.checker import STUB
from tools.student import _slug, student_notebook

ROOT = Path(__file__).resolve().parent.parent
FIELDS = ["student", "student_file", "notebook", "exercise", "passed", "error", "flags"]

#: code a TA should look at: attempts to reach the grader, the course's files or the process
SUSPICIOUS = {
    r"set_custom_exc|input_transformers|display_pub|displayhook|excepthook|register_magic|events\.register":
        "changes IPython's or Python's hooks",
    r"sys\.modules|__builtins__|import builtins|builtins\.": "touches sys.modules or builtins",
    r"__globals__|__code__|__closure__|gc\.get_objects|ctypes": "reaches into other code's internals",
    r"(^|[^\w.])(check|course_utils\.check|lab)\.\w+\s*=(?!=)|setattr\(\s*(check|lab|np|numpy|course_utils)\b":
        "rebinds the course's checks or lab rules",
    r"(np|numpy)\.\w+\s*=(?!=)": "rebinds a numpy function",
    r"os\.(system|_exit|kill|fork|exec\w*|remove|unlink|rename|chmod)|subprocess|shutil\.(rmtree|move|copy)|atexit|"
    r"signal\.": "runs commands, exits or changes files",
    r"open\([^)]*['\"][wax+]": "writes files",
    r"✓": "prints a check mark",
}


def course_notebooks(root: Path = ROOT) -> dict[str, Path]:
    return {p.stem: p for p in sorted((root / "notebooks").glob("*.ipynb"))}


def student_name(path: Path, submissions: Path, stem: str | None) -> str:
    """The student a file belongs to: its first folder below SUBMISSIONS, else the file name
    without the chapter's name (``alice_03_batch_and_momentum.ipynb`` → ``alice``)."""
    relative = path.relative_to(submissions)
    if len(relative.parts) > 1:
        return relative.parts[0]
    name = path.stem
    if stem:
        name = re.sub(re.escape(stem), "", name, flags=re.I)
        name = re.sub(rf"(^|[_\-\s.]){re.escape(stem[:2])}(?=$|[_\-\s.])", "", name)
    return name.strip("_-. ") or path.stem


def match_notebook(path: Path, submissions: Path, stems, nb: dict | None) -> tuple[str | None, str]:
    """(stem, how): by the nbgrader ids in the notebook's cells, else by the file name relative to
    SUBMISSIONS (case ignored; the longest course name contained wins; a tie is ambiguous)."""
    if nb is not None:
        ids = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id", "") for c in nb.get("cells", [])
               if isinstance(c, dict)}
        by_id = [s for s in stems if any(str(i).startswith(_slug(s) + "_") for i in ids)]
        if len(by_id) == 1:
            return by_id[0], "nbgrader ids"
    text = str(path.relative_to(submissions)).lower()
    hits = [s for s in stems if s.lower() in text]
    if not hits:
        return None, "no course notebook's name in the file name"
    longest = max(len(s) for s in hits)
    best = [s for s in hits if len(s) == longest]
    if len(best) > 1:
        return None, f"ambiguous: {', '.join(best)}"
    return best[0], "file name"


def _cells(nb: dict) -> list[dict]:
    return [c for c in nb.get("cells", []) if isinstance(c, dict)]


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _imported(tree) -> set[str]:
    return {(a.asname or a.name).split(".")[0] for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
            for a in node.names}


def rebinds(import_cell: str, cells: list[str]) -> list[str]:
    """Flags for code that rebinds a name the course's import cell defines (``check = ...``) or sets an
    attribute of an imported module (``np.allclose = ...``, ``c.close = ...`` after ``import ... as c``)."""
    course_names = _imported(ast.parse(import_cell))
    found = set()
    for source in cells:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        modules = course_names | _imported(tree)
        for node in ast.walk(tree):
            targets = node.targets if isinstance(node, ast.Assign) else (
                [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else [])
            for target in (t for tgt in targets for t in ast.walk(tgt)):
                if isinstance(target, ast.Name) and target.id in course_names and isinstance(target.ctx, ast.Store):
                    found.add(f"rebinds the course's name {target.id!r}")
                if (isinstance(target, ast.Attribute) and isinstance(target.ctx, ast.Store)
                        and isinstance(target.value, ast.Name) and target.value.id in modules):
                    found.add(f"sets {target.value.id}.{target.attr} of an imported module")
    return [f"suspicious code: {what}" for what in sorted(found)]


def check_ids(course_path: Path, stem: str) -> list[str]:
    """The grade ids of the course notebook's checks, in order."""
    handout, _ = student_notebook(json.loads(course_path.read_text(encoding="utf-8")), stem)
    return [c["metadata"]["nbgrader"]["grade_id"] for c in _cells(handout)
            if c.get("metadata", {}).get("nbgrader", {}).get("grade")]


def build_job(course_path: Path, stem: str, submission: dict, timeout: float) -> tuple[dict, list[str]]:
    """The checker's job for one submission, and the flags the TA should see."""
    handout, _ = student_notebook(json.loads(course_path.read_text(encoding="utf-8")), stem)
    course = json.loads(course_path.read_text(encoding="utf-8"))
    course_code = [c for c in _cells(course) if c["cell_type"] == "code"]
    handout_code = [c for c in _cells(handout) if c["cell_type"] == "code"]
    checks, solution_ids = [], []  # in course order: (grade_id, source), solution ids before each check
    pending = []
    for cell in handout_code:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            pending.append(meta["grade_id"])
        elif meta.get("grade"):
            checks.append({"grade_id": meta["grade_id"], "source": _source(cell)})
            solution_ids.append(pending)
            pending = []
    check_sources = {c["source"].strip(): c["grade_id"] for c in checks}
    sub_code = [c for c in _cells(submission) if c.get("cell_type") == "code"]
    flags = []

    def gid_of(cell):
        return str(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", ""))

    check_ids = {c["grade_id"] for c in checks}
    is_check = [gid_of(c) in check_ids or _source(c).strip() in check_sources
                or "autograde" in (c.get("metadata", {}).get("tags") or []) for c in sub_code]
    by_id = {gid_of(c): _source(c) for c in sub_code if gid_of(c)}
    aligned = len(sub_code) == len(handout_code)
    solutions = {}
    for gids in solution_ids:
        for gid in gids:
            if gid in by_id:
                solutions[gid] = by_id[gid]
            elif aligned:
                index = next(i for i, c in enumerate(handout_code)
                             if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == gid)
                solutions[gid] = _source(sub_code[index])
    # where each check stands in the submission: its own cell, else after its exercise's last cell
    position, order = {}, [c["grade_id"] for c in checks]
    for i, cell in enumerate(sub_code):
        gid = gid_of(cell) if gid_of(cell) in check_ids else check_sources.get(_source(cell).strip())
        if gid is None and is_check[i]:  # tagged autograde but rewritten: the next check not yet placed
            placed = [order.index(g) for g in position]
            gid = next((g for g in order[max(placed, default=-1) + 1:] if g not in position), None)
        if gid and gid not in position:
            position[gid] = i
            if _source(cell).strip() != next(c["source"] for c in checks if c["grade_id"] == gid).strip():
                flags.append(f"check {gid} edited (the course's own check was used)")
    for check, gids in zip(checks, solution_ids):
        if check["grade_id"] not in position:
            flags.append(f"check {check['grade_id']} deleted or moved (the course's own check was used)")
            at = [i for i, c in enumerate(sub_code) if gid_of(c) in gids]
            position[check["grade_id"]] = at[-1] + 1 if at else len(sub_code)
    parts, start = [], 0
    for check, gids in sorted(zip(checks, solution_ids), key=lambda pair: position[pair[0]["grade_id"]]):
        stop = position[check["grade_id"]]
        parts.append({"check": check, "cells": [_source(c) for c, chk in zip(sub_code[start:stop], is_check[start:stop])
                                                if not chk],
                      "solutions": [solutions[g] for g in gids if g in solutions]})
        start = max(start, stop)
    not_attempted = {c["grade_id"]: any(STUB in solutions.get(g, "") and "YOUR CODE HERE" in solutions.get(g, "")
                                        for g in gids) for c, gids in zip(checks, solution_ids)}
    code = "\n".join(_source(c) for c in sub_code)
    flags += rebinds(_source(course_code[0]), [_source(c) for c in sub_code])
    for pattern, what in SUSPICIOUS.items():
        if re.search(pattern, code, re.M):
            flags.append(f"suspicious code: {what}")
    job = {"import_cell": _source(course_code[0]), "parts": parts, "timeout": timeout,
           "not_attempted": not_attempted, "full_only": not solutions and any(solution_ids)}
    return job, flags


def run_checker(job: dict, hidden: list[str], limit: float) -> dict:
    """Run the checker process on ``job``; returns its result (or an error result)."""
    job = {**job, "hidden": hidden}
    try:
        done = subprocess.run([sys.executable, "-m", "tools.grading.checker"], input=json.dumps(job),
                              capture_output=True, text=True, cwd=ROOT, timeout=limit,
                              env={**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"})
        return json.loads(done.stdout.strip().splitlines()[-1])
    except subprocess.TimeoutExpired:
        return {"error": f"grading this notebook took more than {limit:.0f} s"}
    except (IndexError, ValueError):
        return {"error": f"the checker failed: {(done.stderr or '').strip().splitlines()[-1:]}"}


def grade_file(path: Path, submissions: Path, notebooks: dict[str, Path], timeout: float, full: bool,
               hidden: list[str]) -> list[dict]:
    """Rows (one per exercise check) for one submitted notebook; never raises."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        nb = nb if isinstance(nb, dict) else None
        problem = "" if nb is not None else "not a notebook (the JSON is not an object)"
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        nb, problem = None, f"not a valid notebook: {type(exc).__name__}: {exc}"[:300]
    stem, how = match_notebook(path, submissions, notebooks, nb)
    row = {"student": student_name(path, submissions, stem), "student_file": str(path.relative_to(submissions)),
           "notebook": stem or "", "exercise": "", "passed": 0, "error": "", "flags": ""}
    if stem is None:
        return [{**row, "error": f"not matched to a course notebook ({how})"}]
    job, flags = (build_job(notebooks[stem], stem, nb, timeout) if nb is not None else ({}, []))
    course_checks = check_ids(notebooks[stem], stem)
    if problem:
        return [{**row, "exercise": gid, "error": problem} for gid in course_checks]
    job["full_only"] = job["full_only"] or full
    limit = 600 + 4 * timeout * max(1, len(course_checks))
    result = run_checker(job, hidden, limit)
    rows = []
    for gid in course_checks:
        r = result.get("results", {}).get(gid)
        if r is None:
            rows.append({**row, "exercise": gid, "error": result.get("error", "not graded")})
        else:
            rows.append({**row, "exercise": gid, "passed": int(r["passed"]), "error": r["message"]})
    if rows:
        rows[0]["flags"] = "; ".join(flags)
    return rows


def grade(submissions: Path, out: Path, timeout: float = 120.0, notebooks: dict[str, Path] | None = None,
          jobs: int | None = None, full: bool = False, progress: bool = False):
    """Grade every notebook below ``submissions``; write the CSVs to ``out``; return (rows, summary)."""
    notebooks = notebooks or course_notebooks()
    submissions = submissions.resolve()
    paths = [p for p in sorted(submissions.rglob("*.ipynb")) if ".ipynb_checkpoints" not in p.parts]
    hidden = [str(submissions), str(out.resolve())]
    jobs = jobs or len(os.sched_getaffinity(0))
    with ThreadPoolExecutor(max(1, jobs)) as pool:
        futures = [pool.submit(grade_file, p, submissions, notebooks, timeout, full, hidden) for p in paths]
        if progress:
            from tqdm import tqdm
            for _ in tqdm((f for f in futures), total=len(futures), desc="grading", unit="notebook"):
                _.result()
        rows = [row for f in futures for row in f.result()]
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    summary = {}
    for r in rows:
        key = (r["student"], r["student_file"], r["notebook"])
        passed, total, flags = summary.get(key, (0, 0, ""))
        summary[key] = (passed + int(r["passed"]), total + (1 if r["exercise"] else 0), flags or r["flags"])
    with open(out / "summary.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student", "student_file", "notebook", "passed", "total", "flags"])
        for (student, file, nb), (passed, total, flags) in summary.items():
            writer.writerow([student, file, nb, passed, total, flags])
    return rows, summary


def needs_a_look(rows) -> list[str]:
    """Lines naming the submissions a TA should open: flags, limits, crashes, unmatched files."""
    lines = []
    for r in rows:
        why = [r["flags"]] if r["flags"] else []
        if any(k in r["error"] for k in ("time limit", "TimeLimit", "ProcessEnded", "process ended", "not matched",
                                          "not a valid notebook", "not a notebook", "checker failed", "took more")):
            why.append(r["error"][:160])
        if why:
            lines.append(f"{r['student_file']}: " + "; ".join(why))
    return list(dict.fromkeys(lines))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "grades")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds allowed per cell (default 120)")
    parser.add_argument("--jobs", type=int, default=None, help="notebooks graded at once (default: the cores)")
    parser.add_argument("--full", action="store_true", help="run every cell of every submission (slower)")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        parser.error(f"SUBMISSIONS must be a folder of .ipynb files; {args.submissions} is not a folder")
    print(sandbox.isolation(), flush=True)
    rows, summary = grade(args.submissions, args.out, args.timeout, jobs=args.jobs, full=args.full,
                          progress=True)
    width = max([len(f) for _, f, _ in summary] + [12])
    print(f"{'student':16s} {'file':{width}s}  {'notebook':32s} score")
    for (student, file, nb), (passed, total, _) in summary.items():
        print(f"{student:16s} {file:{width}s}  {nb:32s} {passed}/{total}")
    print(f"{len(rows)} checks graded, {sum(int(r['passed']) for r in rows)} passed; details in {args.out / 'grades.csv'}")
    look = needs_a_look(rows)
    if look:
        print(f"\n{len(look)} submission(s) need a human look:")
        for line in look:
            print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
