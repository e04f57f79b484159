"""What the grader writes for a TA and for the students.

* ``grades.csv``: one row per submitted file and exercise check (student, file, notebook, exercise,
  passed, message, flags).
* ``summary.csv``: one row per student and chapter: points, maximum, percentage, status
  (``graded``, ``missing`` for a roster student with no file, ``duplicate`` for a file that lost to
  a newer one of the same student and chapter, ``not on roster``), flags.
* ``wide.csv``: one row per student, a column of points per chapter, the total and percentage.
* ``canvas.csv`` and ``moodle.csv``: the same points in the layouts those gradebooks import.
* ``unmatched.csv``: files matched to no chapter (or to an ambiguous one), and why.
* ``feedback/<student>/<chapter>.md``: for the student, each exercise passed or not with the
  check's message and what it printed, and the end of what the student's own cells printed.
* ``manual/<chapter>.md``: every student's written answers (the cells graded by hand, e.g. the
  lab's justification), one after another, for a TA to read and score; their points are not in
  the automatic totals.

A roster (``--roster class.csv``) is a CSV with a ``student`` column (the name the grader derives
from the folder or file name) and optionally ``name``, ``email``, ``id`` and ``section``.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

GRADES = ["student", "student_file", "notebook", "exercise", "passed", "error", "flags"]


def read_roster(path: Path) -> list[dict]:
    """The class list: dicts with at least ``student``; raises ValueError naming what is wrong."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or "student" not in rows[0]:
        raise ValueError(
            f"--roster {path} must be a CSV with a 'student' column (and optionally name, email, id, "
            f"section); its columns are {list(rows[0]) if rows else 'none'}"
        )
    seen, out = set(), []
    for row in rows:
        key = row["student"].strip()
        if key and key not in seen:
            seen.add(key)
            out.append({**row, "student": key})
    return out


def resolve_duplicates(files: list[dict]) -> None:
    """Mark all but the newest file of each (student, chapter) as a duplicate (ties: the last name)."""
    best = {}
    for f in files:
        if not f["notebook"]:
            continue
        key = (f["student"], f["notebook"])
        if key not in best or (f["mtime"], f["student_file"]) > (best[key]["mtime"], best[key]["student_file"]):
            best[key] = f
    for f in files:
        f["status"] = "graded" if not f["notebook"] or best[(f["student"], f["notebook"])] is f else "duplicate"


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def _safe(name: str) -> str:
    return re.sub(r"[^\w.\-]+", "_", name).strip("._") or "student"


def feedback(f: dict, maximum: int) -> str:
    """A student's feedback for one chapter, as Markdown."""
    lines = [f"# {f['notebook']}: {f['points']} / {maximum}", "", f"File: `{f['student_file']}`", ""]
    if f["status"] == "duplicate":
        lines += ["This file was not counted: a newer file of yours for the same chapter was graded.", ""]
    for row in f["rows"]:
        if not row["exercise"]:
            lines += [f"**Not graded:** {row['error']}", ""]
            continue
        mark = "passed" if row["passed"] else "not passed"
        lines += [f"## {row['exercise']}: {mark}", ""]
        if row["error"]:
            lines += ["```text", row["error"], "```", ""]
        shown = f["checks"].get(row["exercise"], {}).get("output", "").strip()
        if shown:
            lines += ["What the check printed:", "", "```text", shown, "```", ""]
    if f.get("printed", "").strip():
        lines += ["## The end of what your cells printed", "", "```text", f["printed"].strip()[-4000:], "```", ""]
    return "\n".join(lines)


def write(out: Path, files: list[dict], maxima: dict[str, int], roster: list[dict] | None) -> list[list]:
    """Write every report into ``out``; returns the summary rows (one per student and chapter)."""
    out.mkdir(parents=True, exist_ok=True)
    _write_csv(out / "grades.csv", GRADES, [[r[k] for k in GRADES] for f in files for r in f["rows"]])
    chapters = sorted(maxima)
    on_roster = {r["student"] for r in roster} if roster is not None else None
    summary, points = [], {}
    for f in files:
        if not f["notebook"]:
            continue
        status = f["status"] if on_roster is None or f["student"] in on_roster else "not on roster"
        maximum = maxima[f["notebook"]]
        summary.append(
            [
                f["student"],
                f["student_file"],
                f["notebook"],
                f["points"],
                maximum,
                f"{100 * f['points'] / maximum:.1f}" if maximum else "",
                status,
                f["flags"],
            ]
        )
        if f["status"] == "graded":
            points[(f["student"], f["notebook"])] = f["points"]
        folder = out / "feedback" / _safe(f["student"])
        folder.mkdir(parents=True, exist_ok=True)
        suffix = "" if f["status"] == "graded" else f".{_safe(Path(f['student_file']).stem)}"
        (folder / f"{f['notebook']}{suffix}.md").write_text(feedback(f, maximum), encoding="utf-8")
    students = [r["student"] for r in roster] if roster is not None else sorted({s for s, _ in points})
    if roster is not None:
        for student in students:
            for chapter in chapters:
                if (student, chapter) not in points:
                    summary.append([student, "", chapter, 0, maxima[chapter], "0.0", "missing", ""])
    _write_csv(
        out / "summary.csv",
        ["student", "student_file", "notebook", "points", "max", "percent", "status", "flags"],
        summary,
    )
    total_max = sum(maxima.values())
    wide = []
    for student in students:
        row = [points.get((student, c), 0) for c in chapters]
        wide.append([student, *row, sum(row), f"{100 * sum(row) / total_max:.1f}" if total_max else ""])
    _write_csv(out / "wide.csv", ["student", *chapters, "total", "percent"], wide)
    info = {r["student"]: r for r in roster} if roster is not None else {}
    _write_csv(
        out / "canvas.csv",
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *[f"{c} ({maxima[c]} points)" for c in chapters]],
        [
            [
                info.get(s, {}).get("name", s),
                info.get(s, {}).get("id", ""),
                info.get(s, {}).get("id", ""),
                info.get(s, {}).get("email", s),
                info.get(s, {}).get("section", ""),
                *w[1 : 1 + len(chapters)],
            ]
            for s, w in zip(students, wide)
        ],
    )
    _write_csv(
        out / "moodle.csv",
        ["email", "username", *chapters],
        [[info.get(s, {}).get("email", ""), s, *w[1 : 1 + len(chapters)]] for s, w in zip(students, wide)],
    )
    manual = {}
    for f in files:
        if f["status"] == "graded":
            for gid, text in f.get("manual", {}).items():
                manual.setdefault(f["notebook"], []).append((f["student"], f["student_file"], gid, text))
    if manual:
        (out / "manual").mkdir(exist_ok=True)
        for chapter, answers in manual.items():
            lines = [f"# {chapter}: answers graded by hand", ""]
            for student, file, gid, text in sorted(answers):
                lines += [f"## {student} — {gid}", "", f"`{file}`", "", text.strip() or "(empty)", ""]
            (out / "manual" / f"{chapter}.md").write_text("\n".join(lines), encoding="utf-8")
    _write_csv(
        out / "unmatched.csv",
        ["student_file", "why"],
        [[f["student_file"], f["rows"][0]["error"]] for f in files if not f["notebook"]],
    )
    return summary
