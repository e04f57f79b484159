"""The teaching-assistant kit: the student build stubs every solution; grading never crashes."""
import csv
import json
from pathlib import Path

import pytest

from tools import grade, student
from tools.nbtext import script_to_notebook

ROOT = Path(__file__).resolve().parent.parent

COURSE = '''# %% [markdown]
# # 99 · Tiny — 小
# %%
import math
# %% [markdown]
# Exercise 1: the square of 3.
# %%
### BEGIN SOLUTION
square = 3 ** 2
### END SOLUTION
# %% tags=["autograde"]
assert square == 9, "square should be 9"
# %% [markdown]
# Exercise 2: a function that doubles.
# %%
def double(x):
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION
# %% tags=["autograde"]
assert double(4) == 8, "double(4) should be 8"
'''


def _write(path: Path, script: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(script_to_notebook(script)), encoding="utf-8")
    return path


def test_strip_solutions_keeps_indentation_and_counts():
    new, n = student.strip_solutions("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n")
    assert n == 1 and new == "def f():\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    md, n = student.strip_solutions("Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION", markdown=True)
    assert n == 1 and md == "Why?\nYOUR ANSWER HERE"
    for bad in ("### BEGIN SOLUTION\nx", "### END SOLUTION", "### BEGIN SOLUTION\n### BEGIN SOLUTION"):
        with pytest.raises(ValueError):
            student.strip_solutions(bad)


def test_student_notebook_has_nbgrader_metadata_and_no_solution_text():
    nb = script_to_notebook(COURSE)
    out, n = student.student_notebook(nb, "99_tiny")
    text = json.dumps(out)
    assert n == 2 and "3 ** 2" not in text and "return 2 * x" not in text
    meta = [c["metadata"].get("nbgrader") for c in out["cells"] if c["metadata"].get("nbgrader")]
    assert [m["grade_id"] for m in meta] == ["99_tiny_solution_1", "99_tiny_check_1", "99_tiny_solution_2",
                                             "99_tiny_check_2"]
    assert [m["solution"] for m in meta] == [True, False, True, False] and meta[1]["points"] == 1
    assert "3 ** 2" in json.dumps(nb), "the course notebook itself is left untouched"


def test_nbgrader_source_keeps_solutions_and_adds_metadata(tmp_path):
    report = student.build(tmp_path / "nbg", nbgrader_source=True)
    assert report and not (tmp_path / "nbg" / "notebooks").exists()
    for name, n in report:
        if n == 0:  # a notebook without exercises (the playground)
            continue
        stem = name[:-len(".ipynb")]
        nb = json.loads((tmp_path / "nbg" / "source" / stem / name).read_text(encoding="utf-8"))
        markers = [line for c in nb["cells"] for line in "".join(c["source"]).splitlines()
                   if line.strip() == "### BEGIN SOLUTION"]
        assert len(markers) == n
        graded = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
        assert len(graded) >= 3, f"{name}: nbgrader sees at least three graded checks"


def test_student_build_copies_the_library(tmp_path):
    report = student.build(tmp_path / "student")
    assert (tmp_path / "student" / "course_utils" / "optim" / "adam.py").exists()
    assert (tmp_path / "student" / "Makefile").exists()
    for name, n in report:
        nb = json.loads((tmp_path / "student" / "notebooks" / name).read_text(encoding="utf-8"))
        lines = [ln.strip() for c in nb["cells"] for ln in "".join(c["source"]).splitlines()]
        assert "### BEGIN SOLUTION" not in lines and lines.count("raise NotImplementedError()") >= n


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grading")
    source = _write(tmp / "course" / "99_tiny.ipynb", COURSE)
    subs = tmp / "submissions"
    _write(subs / "correct_99_tiny.ipynb", COURSE)
    _write(subs / "wrong_99_tiny.ipynb", COURSE.replace("3 ** 2", "3 * 2"))
    _write(subs / "raising_99_tiny.ipynb", COURSE.replace("return 2 * x", "raise RuntimeError('oops')"))
    _write(subs / "loop_99_tiny.ipynb", COURSE.replace("square = 3 ** 2", "while True:\n    pass"))
    _write(subs / "cheat_99_tiny.ipynb", COURSE.replace('assert square == 9, "square should be 9"', "pass")
           .replace("3 ** 2", "0"))
    _write(subs / "deleted_99_tiny.ipynb", COURSE.split("# %% [markdown]\n# Exercise 2")[0])
    (subs / "broken_99_tiny.ipynb").write_text("{ not json", encoding="utf-8")
    (subs / "stray.ipynb").write_text("{}", encoding="utf-8")
    rows, summary = grade.grade(subs, tmp / "out", timeout=5, notebooks={"99_tiny": source})
    return tmp, rows, summary


def _score(summary, name):
    return next(v for (f, _), v in summary.items() if f.endswith(name))


def test_grading_scores_each_kind_of_submission(graded):
    tmp, rows, summary = graded
    assert _score(summary, "correct_99_tiny.ipynb") == (2, 2)
    assert _score(summary, "wrong_99_tiny.ipynb") == (1, 2)
    assert _score(summary, "raising_99_tiny.ipynb") == (1, 2)
    assert _score(summary, "loop_99_tiny.ipynb") == (1, 2)
    assert _score(summary, "cheat_99_tiny.ipynb") == (1, 2), "an edited check cell is restored"
    assert _score(summary, "deleted_99_tiny.ipynb") == (1, 2)
    assert _score(summary, "broken_99_tiny.ipynb") == (0, 2)
    errors = {(Path(r["student_file"]).name, r["exercise"]): r["error"] for r in rows}
    assert "square should be 9" in errors[("wrong_99_tiny.ipynb", "99_tiny_check_1")]
    assert "oops" in errors[("raising_99_tiny.ipynb", "99_tiny_check_2")]
    assert errors[("deleted_99_tiny.ipynb", "99_tiny_check_2")] == "check cell deleted"
    assert errors[("broken_99_tiny.ipynb", "99_tiny_check_1")].startswith("not a valid notebook")
    assert "not matched" in errors[("stray.ipynb", "")]
    loop_error = errors[("loop_99_tiny.ipynb", "99_tiny_check_1")]
    assert "NameError" in loop_error or "Timeout" in loop_error or "Interrupt" in loop_error


def test_grading_writes_csv(graded):
    tmp, rows, _ = graded
    with open(tmp / "out" / "grades.csv", newline="", encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == len(rows) == 15
    assert set(table[0]) == {"student_file", "notebook", "exercise", "passed", "error"}
    with open(tmp / "out" / "summary.csv", newline="", encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == 8
