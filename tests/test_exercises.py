"""Every exercise checks itself: with the solution its check passes, with the student stub it fails.

Each exercise runs on its own, in a fresh kernel, right after the notebook's import cell (the
first code cell) and nothing else — so a check cannot lean on the chapter's experiments, and a
teaching assistant can grade it in seconds.
"""

import json
from pathlib import Path

import nbformat
import pytest

from tools.nbexec import execute
from tools.student import BEGIN, student_notebook

ROOT = Path(__file__).resolve().parent.parent

NOTEBOOKS = [p for p in sorted((ROOT / "notebooks").glob("*.ipynb")) if BEGIN in p.read_text(encoding="utf-8")]


def exercise_notebook(nb: dict) -> tuple[nbformat.NotebookNode, list[int]]:
    """The import cell, then only the solution and autograde cells; returns (notebook, check indices)."""
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    keep = [code[0]] + [
        c
        for c in code[1:]
        if BEGIN in "".join(c["source"])
        or "autograde" in c.get("metadata", {}).get("tags", [])
        or c.get("metadata", {}).get("nbgrader", {}).get("solution")
    ]
    keep = [{**c, "source": "".join(c["source"])} for c in keep]
    out = nbformat.from_dict({**nb, "cells": keep})
    checks = [i for i, c in enumerate(keep) if "autograde" in c.get("metadata", {}).get("tags", [])]
    return out, checks


def _lines(cells):
    return [ln.strip() for c in cells for ln in "".join(c["source"]).splitlines()]


def leaked_solution_lines(source: dict, student: dict) -> list[str]:
    """Marker lines, and solution lines found nowhere else in the course notebook, left in the student one."""
    inside, solution, elsewhere = False, set(), set()
    for line in _lines(source["cells"]):
        if line == BEGIN:
            inside = True
        elif line == "### END SOLUTION":
            inside = False
        elif len(line) > 8 and not line.startswith("#"):
            (solution if inside else elsewhere).add(line)
    telling = solution - elsewhere
    return [ln for ln in _lines(student["cells"]) if ln in telling or ln in (BEGIN, "### END SOLUTION")]


def test_leak_detector_finds_a_leak():
    source = {"cells": [{"source": ["x = 1\n", "### BEGIN SOLUTION\n", "answer = 42 * 2\n", "### END SOLUTION\n"]}]}
    clean = {"cells": [{"source": ["x = 1\n", "# YOUR CODE HERE\n", "raise NotImplementedError()\n"]}]}
    leaky = {"cells": [{"source": ["x = 1\n", "answer = 42 * 2\n"]}]}
    assert leaked_solution_lines(source, clean) == [] and leaked_solution_lines(source, leaky) == ["answer = 42 * 2"]


def run(nb) -> list:
    execute(nb, timeout=120, cwd=ROOT / "notebooks", allow_errors=True)
    return [
        next((f"{o['ename']}: {o['evalue']}" for o in c.get("outputs", []) if o["output_type"] == "error"), None)
        for c in nb.cells
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_solutions_pass_and_stubs_fail(path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    source = json.loads(path.read_text(encoding="utf-8"))
    solved, checks = exercise_notebook(source)
    assert len(checks) >= 3, f"{path.name}: at least three autograde checks"
    errors = run(solved)
    failing = {i: e for i, e in enumerate(errors) if e}
    assert not failing, f"{path.name}: with the solutions, cells failed on their own after the imports: {failing}"

    student, _ = student_notebook(source, path.stem)
    assert not leaked_solution_lines(source, student), f"{path.name}: solution text left in the student version"
    stubbed, stub_checks = exercise_notebook(student)
    assert stub_checks == checks
    errors = run(stubbed)
    assert errors[0] is None, f"{path.name}: the import cell failed in the student version: {errors[0]}"
    passing = [i for i in stub_checks if errors[i] is None]
    assert not passing, (
        f"{path.name}: these checks pass without a solution (they cannot fail): "
        f"{[''.join(stubbed.cells[i].source)[:80] for i in passing]}"
    )
