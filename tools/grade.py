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

Writes the reports of ``tools.grading.report`` into OUT (grades, summary, a wide table, Canvas and
Moodle imports, unmatched files, a feedback file per student and chapter), prints the summary and
lists the submissions that need a human look (tampering attempts, limits, crashes, unmatched files).
``--roster class.csv`` adds the students who submitted nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tools.grading import report, sandbox
from tools.grading.submission import (
    build_job,
    check_ids,
    course_notebooks,
    manual_answers,
    match_notebook,
    student_name,
)

ROOT = Path(__file__).resolve().parent.parent


def run_checker(job: dict, hidden: list[str], limit: float) -> dict:
    """Run the checker process on ``job``; returns its result (or an error result)."""
    job = {**job, "hidden": hidden}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tools.grading.checker"],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=limit,
            env={**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"},
        )
        return json.loads(done.stdout.strip().splitlines()[-1])
    except subprocess.TimeoutExpired:
        return {"error": f"grading this notebook took more than {limit:.0f} s"}
    except (IndexError, ValueError):
        return {"error": f"the checker failed: {(done.stderr or '').strip().splitlines()[-1:]}"}


def grade_file(
    path: Path, submissions: Path, notebooks: dict[str, Path], timeout: float, full: bool, hidden: list[str]
) -> dict:
    """One submitted notebook graded: its rows (one per check), the checks' details, flags; never raises."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        nb = nb if isinstance(nb, dict) else None
        problem = "" if nb is not None else "not a notebook (the JSON is not an object)"
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        nb, problem = None, f"not a valid notebook: {type(exc).__name__}: {exc}"[:300]
    stem, how = match_notebook(path, submissions, notebooks, nb)
    student = student_name(path, submissions, stem)
    info = {
        "student": student,
        "student_file": str(path.relative_to(submissions)),
        "notebook": stem or "",
        "mtime": path.stat().st_mtime,
        "checks": {},
        "printed": "",
        "flags": "",
        "points": 0,
        "manual": {},
    }
    row = {k: info[k] for k in ("student", "student_file", "notebook")} | {
        "exercise": "",
        "passed": 0,
        "error": "",
        "flags": "",
    }
    if stem is None:
        return {**info, "rows": [{**row, "error": f"not matched to a course notebook ({how})"}]}
    course_checks = check_ids(notebooks[stem], stem)
    if problem:
        return {**info, "rows": [{**row, "exercise": gid, "error": problem} for gid in course_checks]}
    job, flags = build_job(notebooks[stem], stem, nb, timeout)
    info["manual"] = manual_answers(notebooks[stem], stem, nb)
    job["full_only"] = job["full_only"] or full
    result = run_checker(job, hidden, limit=600 + 4 * timeout * max(1, len(course_checks)))
    checks = result.get("results", {})
    rows = []
    for gid in course_checks:
        r = checks.get(gid)
        if r is None:
            rows.append({**row, "exercise": gid, "error": result.get("error", "not graded")})
        else:
            rows.append({**row, "exercise": gid, "passed": int(r["passed"]), "error": r["message"]})
    if rows:
        rows[0]["flags"] = "; ".join(flags)
    return {
        **info,
        "rows": rows,
        "checks": checks,
        "printed": result.get("printed", ""),
        "flags": "; ".join(flags),
        "points": sum(r["passed"] for r in rows),
    }


def grade(
    submissions: Path,
    out: Path,
    timeout: float = 120.0,
    notebooks: dict[str, Path] | None = None,
    jobs: int | None = None,
    full: bool = False,
    progress: bool = False,
    roster: Path | None = None,
):
    """Grade every notebook below ``submissions``; write the reports to ``out``; return (rows, summary).

    ``summary`` maps (student, student file, notebook) to (points, maximum, flags).
    """
    notebooks = notebooks or course_notebooks()
    class_list = report.read_roster(roster) if roster else None
    submissions = submissions.resolve()
    paths = [p for p in sorted(submissions.rglob("*.ipynb")) if ".ipynb_checkpoints" not in p.parts]
    hidden = [str(submissions), str(out.resolve())]
    jobs = jobs or len(os.sched_getaffinity(0))
    with ThreadPoolExecutor(max(1, jobs)) as pool:
        futures = [pool.submit(grade_file, p, submissions, notebooks, timeout, full, hidden) for p in paths]
        if progress:
            from tqdm import tqdm

            for future in tqdm(futures, total=len(futures), desc="grading", unit="notebook"):
                future.result()
        files = [f.result() for f in futures]
    report.resolve_duplicates(files)
    maxima = {stem: len(check_ids(path, stem)) for stem, path in notebooks.items()}
    maxima = {stem: n for stem, n in maxima.items() if n}
    report.write(out, files, maxima, class_list)
    rows = [r for f in files for r in f["rows"]]
    summary = {
        (f["student"], f["student_file"], f["notebook"]): (
            f["points"],
            len(f["rows"]) if f["notebook"] else 0,
            f["flags"],
        )
        for f in files
    }
    return rows, summary


def needs_a_look(rows) -> list[str]:
    """Lines naming the submissions a TA should open: flags, limits, crashes, unmatched files."""
    lines = []
    for r in rows:
        why = [r["flags"]] if r["flags"] else []
        if any(
            k in r["error"]
            for k in (
                "time limit",
                "TimeLimit",
                "ProcessEnded",
                "process ended",
                "not matched",
                "not a valid notebook",
                "not a notebook",
                "checker failed",
                "took more",
            )
        ):
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
    parser.add_argument(
        "--roster",
        type=Path,
        default=None,
        help="class list CSV with a 'student' column (optional: name, email, id, section)",
    )
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        parser.error(f"SUBMISSIONS must be a folder of .ipynb files; {args.submissions} is not a folder")
    print(sandbox.isolation(), flush=True)
    if not os.environ.get("COURSE_LAB_SEEDS", "").strip():
        print(
            "warning: COURSE_LAB_SEEDS is not set, so the lab (08) is scored on its public seeds 0-11, "
            "which students can tune to; set e.g. COURSE_LAB_SEEDS=500-511",
            flush=True,
        )
    try:
        rows, summary = grade(
            args.submissions, args.out, args.timeout, jobs=args.jobs, full=args.full, progress=True, roster=args.roster
        )
    except ValueError as exc:
        parser.error(str(exc))
    width = max([len(f) for _, f, _ in summary] + [12])
    print(f"{'student':16s} {'file':{width}s}  {'notebook':32s} score")
    for (student, file, nb), (passed, total, _) in sorted(summary.items()):
        print(f"{student:16s} {file:{width}s}  {nb:32s} {passed}/{total}")
    print(
        f"{len(rows)} checks graded, {sum(int(r['passed']) for r in rows)} passed; details in {args.out / 'grades.csv'}"
    )
    look = needs_a_look(rows)
    if look:
        print(f"\n{len(look)} submission(s) need a human look:")
        for line in look:
            print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
