"""What a submitted notebook is: which chapter and student it belongs to, and the checker's job for it.

A submission is matched to a course notebook by the nbgrader ids in its cells, else by the
chapter's name in its path below the submissions folder (case ignored). Its student is the first
folder below that folder, else the file name without the chapter's name. :func:`build_job` pairs
the course's checks with the submission's cells and lists what a TA should look at (flags).
"""

from __future__ import annotations

import ast
import json
import re
import threading
from pathlib import Path

from tools.grading.checker import STUB
from tools.student import _slug, student_notebook

ROOT = Path(__file__).resolve().parents[2]


#: code a TA should look at: attempts to reach the grader, the course's files or the process
SUSPICIOUS = {
    r"set_custom_exc|input_transformers|display_pub|displayhook|excepthook|register_magic|events\.register": "changes IPython's or Python's hooks",
    r"sys\.modules|__builtins__|import builtins|builtins\.": "touches sys.modules or builtins",
    r"__globals__|__code__|__closure__|gc\.get_objects|ctypes": "reaches into other code's internals",
    r"(^|[^\w.])(check|course_utils\.check|lab)\.\w+\s*=(?!=)|setattr\(\s*(check|lab|np|numpy|course_utils)\b": "rebinds the course's checks or lab rules",
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
        ids = {
            c.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
            for c in nb.get("cells", [])
            if isinstance(c, dict)
        }
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


_AST_LOCK = threading.Lock()


def _parse(source: str):
    """``ast.parse`` one thread at a time: CPython 3.11's parser can fail with "AST constructor recursion
    depth mismatch" when threads parse at once (the grader builds jobs in a thread pool)."""
    with _AST_LOCK:
        return ast.parse(source)


def _imported(tree) -> set[str]:
    return {
        (a.asname or a.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for a in node.names
    }


def rebinds(import_cell: str, cells: list[str]) -> list[str]:
    """Flags for code that rebinds a name the course's import cell defines (``check = ...``) or sets an
    attribute of an imported module (``np.allclose = ...``, ``c.close = ...`` after ``import ... as c``)."""
    course_names = _imported(_parse(import_cell))
    found = set()
    for source in cells:
        try:
            tree = _parse(source)
        except SyntaxError:
            continue
        modules = course_names | _imported(tree)
        for node in ast.walk(tree):
            targets = (
                node.targets
                if isinstance(node, ast.Assign)
                else ([node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else [])
            )
            for target in (t for tgt in targets for t in ast.walk(tgt)):
                if isinstance(target, ast.Name) and target.id in course_names and isinstance(target.ctx, ast.Store):
                    found.add(f"rebinds the course's name {target.id!r}")
                if (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.ctx, ast.Store)
                    and isinstance(target.value, ast.Name)
                    and target.value.id in modules
                ):
                    found.add(f"sets {target.value.id}.{target.attr} of an imported module")
    return [f"suspicious code: {what}" for what in sorted(found)]


def check_ids(course_path: Path, stem: str) -> list[str]:
    """The grade ids of the course notebook's checks, in order."""
    handout, _ = student_notebook(json.loads(course_path.read_text(encoding="utf-8")), stem)
    return [
        c["metadata"]["nbgrader"]["grade_id"]
        for c in _cells(handout)
        if c.get("metadata", {}).get("nbgrader", {}).get("grade") and c.get("cell_type") == "code"
    ]


def manual_answers(course_path: Path, stem: str, submission: dict) -> dict[str, str]:
    """The written answers (markdown cells graded by hand) of a submission: {grade_id: text}.

    Found by the nbgrader ids in the submission, else by position among its markdown cells (as in
    the hand-out, or as in the course notebook for a copy of it)."""
    course = json.loads(course_path.read_text(encoding="utf-8"))
    handout, _ = student_notebook(course, stem)

    def markdown(nb):
        return [c for c in _cells(nb) if c.get("cell_type") == "markdown"]

    ids = [
        c["metadata"]["nbgrader"]["grade_id"]
        for c in markdown(handout)
        if c.get("metadata", {}).get("nbgrader", {}).get("grade")
    ]
    if not ids:
        return {}
    positions = {  # markdown cell count of a layout -> where its answer cells stand
        len(markdown(handout)): [
            i for i, c in enumerate(markdown(handout)) if c.get("metadata", {}).get("nbgrader", {}).get("grade")
        ],
        len(markdown(course)): [
            i
            for i, c in enumerate(markdown(course))
            if any(line.strip() == "### BEGIN SOLUTION" for line in _source(c).splitlines())
        ],
    }
    mine = markdown(submission)
    by_id = {str(c.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")): _source(c) for c in mine}
    where = positions.get(len(mine))
    answers = {}
    for k, gid in enumerate(ids):
        if gid in by_id:
            answers[gid] = by_id[gid]
        elif where is not None and k < len(where):
            answers[gid] = _source(mine[where[k]])
        else:
            answers[gid] = "(not found: the answer cell was removed or moved)"
    return answers


def build_job(course_path: Path, stem: str, submission: dict, timeout: float) -> tuple[dict, list[str]]:
    """The checker's job for one submission, and the flags the TA should see."""
    course = json.loads(course_path.read_text(encoding="utf-8"))
    handout, _ = student_notebook(course, stem)
    # the checks as the course has them, hidden tests included (the hand-out may leave those out)
    full_checks = {
        c["metadata"]["nbgrader"]["grade_id"]: _source(c)
        for c in _cells(student_notebook(course, stem, keep_solutions=True)[0])
        if c.get("metadata", {}).get("nbgrader", {}).get("grade") and c.get("cell_type") == "code"
    }
    course_code = [c for c in _cells(course) if c["cell_type"] == "code"]
    handout_code = [c for c in _cells(handout) if c["cell_type"] == "code"]
    checks, solution_ids = [], []  # in course order: (grade_id, source), solution ids before each check
    pending = []
    for cell in handout_code:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            pending.append(meta["grade_id"])
        elif meta.get("grade"):
            checks.append(
                {
                    "grade_id": meta["grade_id"],
                    "source": full_checks.get(meta["grade_id"], _source(cell)),
                    "visible": _source(cell),
                }
            )
            # a check right after another belongs to the same exercise (e.g. the lab's three tiers)
            solution_ids.append(pending or (solution_ids[-1] if solution_ids else []))
            pending = []
    check_sources = {c["visible"].strip(): c["grade_id"] for c in checks}
    sub_code = [c for c in _cells(submission) if c.get("cell_type") == "code"]
    flags = []

    def gid_of(cell):
        return str(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", ""))

    check_ids = {c["grade_id"] for c in checks}
    is_check = [
        gid_of(c) in check_ids
        or _source(c).strip() in check_sources
        or "autograde" in (c.get("metadata", {}).get("tags") or [])
        for c in sub_code
    ]
    by_id = {gid_of(c): _source(c) for c in sub_code if gid_of(c)}
    aligned = len(sub_code) == len(handout_code)
    solutions = {}
    for gids in solution_ids:
        for gid in gids:
            if gid in by_id:
                solutions[gid] = by_id[gid]
            elif aligned:
                index = next(
                    i
                    for i, c in enumerate(handout_code)
                    if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == gid
                )
                solutions[gid] = _source(sub_code[index])
    # where each check stands in the submission: its own cell, else after its exercise's last cell
    position, order = {}, [c["grade_id"] for c in checks]
    for i, cell in enumerate(sub_code):
        gid = gid_of(cell) if gid_of(cell) in check_ids else check_sources.get(_source(cell).strip())
        if gid is None and is_check[i]:  # tagged autograde but rewritten: the next check not yet placed
            placed = [order.index(g) for g in position]
            gid = next((g for g in order[max(placed, default=-1) + 1 :] if g not in position), None)
        if gid and gid not in position:
            position[gid] = i
            if _source(cell).strip() != next(c["visible"] for c in checks if c["grade_id"] == gid).strip():
                flags.append(f"check {gid} edited (the course's own check was used)")
    for check, gids in zip(checks, solution_ids):
        if check["grade_id"] not in position:
            flags.append(f"check {check['grade_id']} deleted or moved (the course's own check was used)")
            at = [i for i, c in enumerate(sub_code) if gid_of(c) in gids]
            position[check["grade_id"]] = at[-1] + 1 if at else len(sub_code)
    parts, start, ran = [], 0, set()
    for check, gids in sorted(zip(checks, solution_ids), key=lambda pair: position[pair[0]["grade_id"]]):
        stop = position[check["grade_id"]]
        parts.append(
            {
                "check": check,
                "cells": [_source(c) for c, chk in zip(sub_code[start:stop], is_check[start:stop]) if not chk],
                "solutions": [solutions[g] for g in gids if g in solutions and g not in ran],
            }
        )
        ran.update(gids)
        start = max(start, stop)
    not_attempted = {
        c["grade_id"]: any(STUB in solutions.get(g, "") and "YOUR CODE HERE" in solutions.get(g, "") for g in gids)
        for c, gids in zip(checks, solution_ids)
    }
    code = "\n".join(_source(c) for c in sub_code)
    flags += rebinds(_source(course_code[0]), [_source(c) for c in sub_code])
    for pattern, what in SUSPICIOUS.items():
        if re.search(pattern, code, re.M):
            flags.append(f"suspicious code: {what}")
    job = {
        "import_cell": _source(course_code[0]),
        "parts": parts,
        "timeout": timeout,
        "not_attempted": not_attempted,
        "full_only": not solutions and any(solution_ids),
    }
    return job, flags
