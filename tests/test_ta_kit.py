"""The teaching-assistant kit: the student build stubs every solution; grading never crashes."""

import csv
import json
import shutil
from pathlib import Path

import pytest

from tools import grade, student
from tools.grading import report
from tools.nbtext import script_to_notebook

ROOT = Path(__file__).resolve().parent.parent

COURSE = """# %% [markdown]
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
"""


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
    assert [m["grade_id"] for m in meta] == [
        "99_tiny_solution_1",
        "99_tiny_check_1",
        "99_tiny_solution_2",
        "99_tiny_check_2",
    ]
    assert [m["solution"] for m in meta] == [True, False, True, False] and meta[1]["points"] == 1
    assert "3 ** 2" in json.dumps(nb), "the course notebook itself is left untouched"


def test_nbgrader_source_keeps_solutions_and_adds_metadata(tmp_path):
    report = student.build(tmp_path / "nbg", nbgrader_source=True)
    assert report and not (tmp_path / "nbg" / "notebooks").exists()
    for name, n in report:
        if n == 0:  # a notebook without exercises (the playground)
            continue
        stem = name[: -len(".ipynb")]
        nb = json.loads((tmp_path / "nbg" / "source" / stem / name).read_text(encoding="utf-8"))
        markers = [
            line
            for c in nb["cells"]
            for line in "".join(c["source"]).splitlines()
            if line.strip() == "### BEGIN SOLUTION"
        ]
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
        stubs = lines.count("raise NotImplementedError()") + lines.count("YOUR ANSWER HERE")
        assert "### BEGIN SOLUTION" not in lines and stubs >= n


PROSE_AND_HIDDEN = """# %% [markdown]
# # 97 · Markers — 标记
# %% [markdown]
# Write your answer between `### BEGIN SOLUTION` and `### END SOLUTION`.
# %% [markdown] tags=["ta-only"]
# For teaching assistants: a secret note.
# %%
import math
# %%
### BEGIN SOLUTION
root = math.sqrt(2)
### END SOLUTION
# %% tags=["autograde"]
assert root > 1, "root should be above 1"
### BEGIN HIDDEN TESTS
assert abs(root - 1.41421356) < 1e-6, "root should be the square root of 2"
### END HIDDEN TESTS
# %% [markdown]
# Why? (graded by hand)
# %% [markdown]
# ### BEGIN SOLUTION
# Because 2 is not a square.
# ### END SOLUTION
"""


def test_markers_must_stand_alone_and_written_answers_are_graded_by_hand():
    nb = script_to_notebook(PROSE_AND_HIDDEN)
    out, n = student.student_notebook(nb, "97_markers")
    meta = [(c["cell_type"], c["metadata"].get("nbgrader")) for c in out["cells"]]
    assert n == 2 and meta[1] == ("markdown", None), "a prose mention of the markers is not a solution"
    graded = [m for _, m in meta if m]
    assert [m["grade_id"] for m in graded] == ["97_markers_solution_1", "97_markers_check_1", "97_markers_manual_1"]
    check, manual = graded[1], graded[2]
    assert (check["grade"], check["locked"], check["points"], check["solution"]) == (True, True, 1, False)
    assert (manual["grade"], manual["solution"], manual["points"], manual["locked"]) == (True, True, 2, False)
    text = json.dumps(out)
    assert "secret note" not in text, "ta-only cells are left out"
    assert "1.41421356" not in text and "HIDDEN" not in text and "root > 1" in text, "hidden tests left out"
    assert "Because 2" not in text and "YOUR ANSWER HERE" in text


def test_nbgrader_source_keeps_hidden_tests_and_hides_prose_markers_from_nbgrader():
    out, n = student.student_notebook(script_to_notebook(PROSE_AND_HIDDEN), "97_markers", keep_solutions=True)
    sources = ["".join(c["source"]) for c in out["cells"]]
    assert "1.41421356" in sources[4] and "### BEGIN HIDDEN TESTS" in sources[4].splitlines()
    assert "Because 2" in sources[6] and "secret note" not in json.dumps(out)
    # nbgrader 0.9 takes any line *containing* BEGIN SOLUTION for a marker: the prose one is disguised
    assert "BEGIN SOLUTION" not in sources[1] and "BEGIN\u00a0SOLUTION" in sources[1]
    assert student.hide_marker_mentions("  ### END SOLUTION") == "  ### END SOLUTION"
    visible, hidden = student.strip_hidden_tests("a\n### BEGIN HIDDEN TESTS\nb\n### END HIDDEN TESTS\nc")
    assert (visible, hidden) == ("a\nc", 1)
    graders, _ = student.student_notebook(script_to_notebook(PROSE_AND_HIDDEN), "97_markers", keep_hidden_tests=True)
    assert "1.41421356" in json.dumps(graders) and "Because 2" not in json.dumps(graders), "the grader's checks"


def test_handout_is_a_students_course(tmp_path):
    student.build(tmp_path / "student")
    out = tmp_path / "student"
    for name in (
        "GLOSSARY.md",
        "postBuild",
        "tools/__init__.py",
        "tools/playground.py",
        "tools/voila/voila/templates/course-app/index.html.j2",
        "requirements.txt",
        "runtime.txt",
        "pyproject.toml",
        "notebooks/playground.ipynb",
    ):
        assert (out / name).exists(), name
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert readme != (ROOT / "README.md").read_text(encoding="utf-8")
    for needed in (
        "make lab",
        "make playground",
        "make check",
        "How to submit",
        "alice/03_batch_and_momentum.ipynb",
        "alice_03_batch_and_momentum.ipynb",
        "120 seconds",
        "network",
        "08_lab_optimizer_tuning.ipynb",
    ):
        assert needed in readme, needed
    assert "{{" not in readme and "For teaching assistants" not in readme
    makefile = (out / "Makefile").read_text(encoding="utf-8")
    assert all(f"\n{t}:" in makefile for t in ("lab", "playground", "check")) and "nbval" in makefile
    lab = (out / "notebooks" / "08_lab_optimizer_tuning.ipynb").read_text(encoding="utf-8")
    assert "For teaching assistants" not in lab and "ta-only" not in lab


def test_nbgrader_source_leaves_out_the_playground_and_carries_course_utils(tmp_path):
    student.build(tmp_path / "nbg", nbgrader_source=True)
    assignments = sorted(p.name for p in (tmp_path / "nbg" / "source").iterdir())
    assert "playground" not in assignments and "08_lab_optimizer_tuning" in assignments
    for name in assignments:
        assert (tmp_path / "nbg" / "source" / name / "course_utils" / "optim" / "adam.py").exists()
    assert "Execute.timeout = 120" in (tmp_path / "nbg" / "nbgrader_config.py").read_text(encoding="utf-8")


COURSE3 = """# %% [markdown]
# # 98 · Tiny with the library — 小
# %%
import numpy as np
from course_utils import check, lab, schedules
# %% [markdown]
# Exercise 1: the square of 3.
# %%
### BEGIN SOLUTION
square = 3 ** 2
### END SOLUTION
# %% tags=["autograde"]
check.close(square, 9.0, "square")
# %% [markdown]
# Exercise 2: a function that doubles an array.
# %%
def double(x):
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION
# %% tags=["autograde"]
check.true(np.allclose(double(np.arange(3.0)), [0.0, 2.0, 4.0]), "double([0, 1, 2]) should be [0, 2, 4]")
# %% [markdown]
# Exercise 3: an accuracy that reaches the lab's target.
# %%
### BEGIN SOLUTION
accuracy = 0.99
### END SOLUTION
# %% tags=["autograde"]
assert accuracy >= lab.TARGET, f"accuracy {accuracy} is below the target {lab.TARGET}"
# %% [markdown]
# Exercise 4: implement cosine decay from 0.1 over 10 steps yourself.
# %%
def my_cosine(t):
    ### BEGIN SOLUTION
    return 0.05 * (1 + np.cos(np.pi * np.asarray(t) / 10))
    ### END SOLUTION
# %% tags=["autograde"]
_t = np.arange(10)
with check.forbid(schedules.cosine):
    _mine = my_cosine(_t)
check.close(_mine, schedules.cosine(0.1, 10)(_t), "my_cosine")
"""
WRONG = (
    COURSE3.replace("square = 3 ** 2", "square = 0")
    .replace("return 2 * x", "return 0 * x")
    .replace("accuracy = 0.99", "accuracy = 0.1")
    .replace("return 0.05 * (1 + np.cos(np.pi * np.asarray(t) / 10))", "return schedules.cosine(0.1, 10)(t)")
)

#: hostile submissions: each tries to score without the work (every answer above is wrong)
ATTACKS = {
    "exception_hook": "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)",
    "rebind_check": "class _Yes:\n    def __getattr__(self, name):\n        return lambda *a, **k: None\ncheck = _Yes()",
    "patch_check": "import course_utils.check as _c\n_c.close = _c.true = lambda *a, **k: None",
    "patch_numpy": "np.allclose = lambda *a, **k: True\nnp.testing.assert_allclose = lambda *a, **k: None",
    "patch_builtins": "import builtins\nbuiltins.AssertionError = type('Nothing', (Exception,), {})\n"
    "builtins.isinstance = lambda *a: True",
    "input_transformer": "get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])",
    "display_hook": "import sys\nsys.displayhook = lambda value: None\nget_ipython().display_pub.publish = "
    "lambda *a, **k: None",
    "atexit_and_signal": "import atexit, signal\natexit.register(lambda: print('✓ square is correct'))\n"
    "signal.signal(signal.SIGINT, signal.SIG_IGN)",
    "fake_check_marks": "print('✓ square is correct')\nprint('✓ check passed')",
    "kill_kernel": "import os\nos.kill(os.getpid(), 9)",
    "exit_process": "import os\nos._exit(0)",
    "lab_target": "lab.TARGET = 0.0\nimport course_utils.lab\ncourse_utils.lab.TARGET = 0.0",
    "object_equal_to_all": "class _All:\n    def __eq__(self, other): return True\n    def __ge__(self, other): return True\n"
    "    __float__ = lambda self: 9.0\nsquare = _All()\naccuracy = _All()",
    "write_course_files": "import course_utils, pathlib\n_p = pathlib.Path(course_utils.__file__).parent / 'check.py'\n"
    "try:\n    _p.write_text('def close(*a, **k): pass\\ndef true(*a, **k): pass\\n')\nexcept OSError:\n"
    "    pass\ntry:\n    open('../../sneaky.txt', 'w').write('x')\nexcept OSError:\n    pass",
    "read_other_submissions": "import glob\n_found = glob.glob('/**/honest_98_tiny_lib.ipynb', recursive=True)\n"
    "square = 9.0 if _found else 0",
    "network": "import socket\ntry:\n    socket.create_connection(('127.0.0.1', 22), timeout=1)\nexcept OSError:\n    pass",
    "unblock_library": "import course_utils.check as _c, sys\n_c.block = lambda *a, **k: None\n"
    "_c.FORBID_HOOK = lambda *a, **k: None\n_c._blocked_code = lambda name: (lambda: 0).__code__\n"
    "_w = sys.modules.get('tools.grading.worker')\nif _w: _w.importlib = None",
}


def _course_files():
    return {p: p.read_bytes() for p in sorted((ROOT / "course_utils").rglob("*.py"))}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    source = _write(tmp / "course" / "98_tiny_lib.ipynb", COURSE3)
    subs = tmp / "submissions"
    _write(subs / "honest_98_tiny_lib.ipynb", COURSE3)
    for name, attack in ATTACKS.items():
        # the attack stands at the top of the first exercise, as a student would put it
        _write(
            subs / f"{name}_98_tiny_lib.ipynb",
            WRONG.replace("### BEGIN SOLUTION\nsquare = 0", f"### BEGIN SOLUTION\n{attack}\nsquare = 0", 1),
        )
    before = _course_files()
    rows, summary = grade.grade(subs, tmp / "out", timeout=10, notebooks={"98_tiny_lib": source}, jobs=2)
    return tmp, source, rows, summary, before


def test_hostile_submissions_score_nothing(hostile):
    tmp, source, rows, summary, before = hostile
    assert _score(summary, "honest_98_tiny_lib.ipynb") == (4, 4)
    scores = {name: _score(summary, f"{name}_98_tiny_lib.ipynb") for name in ATTACKS}
    assert all(score == (0, 4) for score in scores.values()), f"an attack scored: {scores}"
    library = [r for r in rows if r["student_file"].startswith("exception_hook") and r["exercise"].endswith("_4")]
    assert "write it yourself" in library[0]["error"], "calling the library in an implement-it exercise is named"


def test_hostile_submissions_leave_the_course_intact(hostile):
    tmp, source, rows, summary, before = hostile
    assert _course_files() == before, "a submission changed course_utils"
    assert not (tmp / "sneaky.txt").exists() and not (tmp.parent / "sneaky.txt").exists()
    assert "### BEGIN SOLUTION" in source.read_text(encoding="utf-8")


def test_tampering_is_flagged_for_a_human(hostile):
    tmp, source, rows, summary, before = hostile
    flagged = {Path(r["student_file"]).name.replace("_98_tiny_lib.ipynb", "") for r in rows if r["flags"]}
    expected = {
        "exception_hook",
        "patch_check",
        "patch_numpy",
        "patch_builtins",
        "input_transformer",
        "display_hook",
        "atexit_and_signal",
        "fake_check_marks",
        "kill_kernel",
        "exit_process",
        "lab_target",
        "write_course_files",
        "rebind_check",
    }
    assert expected <= flagged, f"not flagged: {sorted(expected - flagged)}"
    assert "honest" not in flagged
    assert any("need" in line or line for line in grade.needs_a_look(rows))


def test_parallel_serial_and_full_runs_give_the_same_grades(hostile, tmp_path):
    tmp, source, rows, summary, before = hostile
    subs = tmp_path / "few"
    for name in ("honest", "patch_check", "kill_kernel", "object_equal_to_all"):
        _write(
            subs / f"{name}_98_tiny_lib.ipynb",
            json.loads((tmp / "submissions" / f"{name}_98_tiny_lib.ipynb").read_text())
            and (
                COURSE3
                if name == "honest"
                else WRONG.replace(
                    "### BEGIN SOLUTION\nsquare = 0", f"### BEGIN SOLUTION\n{ATTACKS[name]}\nsquare = 0", 1
                )
            ),
        )
    outs = {}
    for label, kwargs in {"serial": dict(jobs=1), "parallel": dict(jobs=2), "full": dict(jobs=2, full=True)}.items():
        grade.grade(subs, tmp_path / label, timeout=10, notebooks={"98_tiny_lib": source}, **kwargs)
        with open(tmp_path / label / "grades.csv", encoding="utf-8") as fh:
            outs[label] = [(r["student_file"], r["exercise"], r["passed"]) for r in csv.DictReader(fh)]
    assert outs["serial"] == outs["parallel"] == outs["full"]
    assert (tmp_path / "serial" / "grades.csv").read_bytes() == (tmp_path / "parallel" / "grades.csv").read_bytes()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grading")
    source = _write(tmp / "course" / "99_tiny.ipynb", COURSE)
    subs = tmp / "submissions"
    _write(subs / "correct_99_tiny.ipynb", COURSE)
    _write(subs / "wrong_99_tiny.ipynb", COURSE.replace("3 ** 2", "3 * 2"))
    _write(subs / "raising_99_tiny.ipynb", COURSE.replace("return 2 * x", "raise RuntimeError('oops')"))
    _write(subs / "loop_99_tiny.ipynb", COURSE.replace("square = 3 ** 2", "while True:\n    pass"))
    _write(
        subs / "cheat_99_tiny.ipynb",
        COURSE.replace('assert square == 9, "square should be 9"', "pass").replace("3 ** 2", "0"),
    )
    _write(subs / "deleted_99_tiny.ipynb", COURSE.split("# %% [markdown]\n# Exercise 2")[0])
    (subs / "broken_99_tiny.ipynb").write_text("{ not json", encoding="utf-8")
    (subs / "stray.ipynb").write_text("{}", encoding="utf-8")
    _write(
        subs / "Stub_99_TINY.ipynb", COURSE.replace("square = 3 ** 2", "# YOUR CODE HERE\nraise NotImplementedError()")
    )
    _write(subs / "08_lab_week3" / "alice_99_tiny.ipynb", COURSE)
    rows, summary = grade.grade(subs, tmp / "out", timeout=5, notebooks={"99_tiny": source})
    return tmp, rows, summary


def _score(summary, name):
    return next(v[:2] for (_, f, _), v in summary.items() if f.endswith(name))


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
    assert "not defined by your notebook: double" in errors[("deleted_99_tiny.ipynb", "99_tiny_check_2")]
    assert _score(summary, "Stub_99_TINY.ipynb") == (1, 2), "matched whatever the case"
    assert errors[("Stub_99_TINY.ipynb", "99_tiny_check_1")].startswith("not attempted")
    assert _score(summary, "alice_99_tiny.ipynb") == (2, 2), "a folder's name does not decide the chapter"
    assert errors[("broken_99_tiny.ipynb", "99_tiny_check_1")].startswith("not a valid notebook")
    assert "not matched" in errors[("stray.ipynb", "")]
    loop_error = errors[("loop_99_tiny.ipynb", "99_tiny_check_1")]
    assert "time limit" in loop_error, loop_error


def test_grading_writes_csv(graded):
    tmp, rows, _ = graded
    with open(tmp / "out" / "grades.csv", newline="", encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == len(rows) == 19
    assert list(table[0]) == report.GRADES
    students = {Path(r["student_file"]).name: r["student"] for r in table}
    assert students["correct_99_tiny.ipynb"] == "correct" and students["alice_99_tiny.ipynb"] == "08_lab_week3"
    with open(tmp / "out" / "summary.csv", newline="", encoding="utf-8") as fh:
        summary = list(csv.DictReader(fh))
    assert len(summary) == 9 and all(r["status"] == "graded" for r in summary)
    correct = next(r for r in summary if r["student"] == "correct")
    assert (correct["points"], correct["max"], correct["percent"]) == ("2", "2", "100.0")
    with open(tmp / "out" / "unmatched.csv", newline="", encoding="utf-8") as fh:
        assert [r["student_file"] for r in csv.DictReader(fh)] == ["stray.ipynb"]
    feedback = (tmp / "out" / "feedback" / "wrong" / "99_tiny.md").read_text(encoding="utf-8")
    assert "1 / 2" in feedback and "square should be 9" in feedback and "not passed" in feedback
    stub = (tmp / "out" / "feedback" / "Stub" / "99_tiny.md").read_text(encoding="utf-8")
    assert "not attempted" in stub
    loop = (tmp / "out" / "feedback" / "loop" / "99_tiny.md").read_text(encoding="utf-8")
    assert "time limit" in loop


def test_roster_duplicates_and_gradebook_files(tmp_path):
    source = _write(tmp_path / "course" / "99_tiny.ipynb", COURSE)
    subs = tmp_path / "subs"
    old = _write(subs / "bob" / "99_tiny.ipynb", COURSE.replace("3 ** 2", "3 * 2"))
    new = _write(subs / "bob" / "99_tiny_final.ipynb", COURSE)
    import os

    os.utime(old, (1_000_000, 1_000_000))
    os.utime(new, (2_000_000, 2_000_000))
    _write(subs / "eve" / "99_tiny.ipynb", COURSE)
    roster = tmp_path / "class.csv"
    roster.write_text(
        "student,name,email,id,section\nbob,Bob B,bob@example.org,17,A\ncarol,Carol C,carol@example.org,18,A\n",
        encoding="utf-8",
    )
    grade.grade(subs, tmp_path / "out", timeout=10, notebooks={"99_tiny": source}, roster=roster)
    out = tmp_path / "out"
    with open(out / "summary.csv", newline="", encoding="utf-8") as fh:
        summary = {(r["student"], r["student_file"]): r for r in csv.DictReader(fh)}
    assert summary[("bob", "bob/99_tiny_final.ipynb")]["status"] == "graded"
    assert summary[("bob", "bob/99_tiny.ipynb")]["status"] == "duplicate"
    assert summary[("carol", "")]["status"] == "missing"
    assert summary[("eve", "eve/99_tiny.ipynb")]["status"] == "not on roster"
    with open(out / "wide.csv", newline="", encoding="utf-8") as fh:
        wide = {r["student"]: r for r in csv.DictReader(fh)}
    assert set(wide) == {"bob", "carol"} and wide["bob"]["99_tiny"] == "2" and wide["carol"]["total"] == "0"
    with open(out / "canvas.csv", newline="", encoding="utf-8") as fh:
        canvas = list(csv.DictReader(fh))
    assert canvas[0]["Student"] == "Bob B" and canvas[0]["SIS Login ID"] == "bob@example.org"
    assert canvas[0]["99_tiny (2 points)"] == "2"
    with open(out / "moodle.csv", newline="", encoding="utf-8") as fh:
        assert next(csv.DictReader(fh))["email"] == "bob@example.org"
    bad = tmp_path / "bad.csv"
    bad.write_text("name\nx\n", encoding="utf-8")
    with pytest.raises(ValueError, match="'student' column"):
        grade.grade(subs, tmp_path / "out2", notebooks={"99_tiny": source}, roster=bad)


@pytest.fixture(scope="module")
def course_graded(tmp_path_factory):
    """Every chapter graded as submitted with its solutions, and as handed out (stubs)."""
    tmp = tmp_path_factory.mktemp("course")
    notebooks = {p.stem: p for p in grade.course_notebooks().values() if student.BEGIN in p.read_text("utf-8")}
    for stem, path in notebooks.items():
        nb = json.loads(path.read_text(encoding="utf-8"))
        (tmp / "subs" / "solved").mkdir(parents=True, exist_ok=True)
        (tmp / "subs" / "handout").mkdir(parents=True, exist_ok=True)
        (tmp / "subs" / "solved" / path.name).write_text(json.dumps(nb), encoding="utf-8")
        (tmp / "subs" / "handout" / path.name).write_text(
            json.dumps(student.student_notebook(nb, stem)[0]), encoding="utf-8"
        )
    # a Chinese edition, solved: graded as its chapter (same file name, same code and checks)
    zh = sorted((grade.ROOT / "notebooks" / "zh-CN").glob("*.ipynb"))
    if zh:
        (tmp / "subs" / "zhang").mkdir()
        shutil.copy2(zh[0], tmp / "subs" / "zhang" / zh[0].name)
    # the lab, with its rules changed in the student's kernel and a configuration that misses the target
    lab = next(p for s, p in notebooks.items() if s.startswith("08"))
    text = lab.read_text(encoding="utf-8")
    start = text.index("my_config = ")
    end = text.index("\\n", start)
    tampered = (
        text[:start] + 'import course_utils.lab as L\\n", "L.TARGET = 0.5\\n", "L.evaluate.__defaults__ = None\\n", '
        '"my_config = {\\"optimizer\\": \\"sgd\\", \\"lr\\": 0.01}' + text[end:]
    )
    json.loads(tampered)  # still a notebook
    (tmp / "subs" / "mallory").mkdir()
    (tmp / "subs" / "mallory" / lab.name).write_text(tampered, encoding="utf-8")
    rows, summary = grade.grade(tmp / "subs", tmp / "out", timeout=120, jobs=2)
    return rows, notebooks, lab, tmp / "out"


def test_the_course_grades_its_own_solutions_full_marks_and_its_handout_zero(course_graded):
    rows, notebooks, _, out = course_graded
    solved = [r for r in rows if r["student"] == "solved"]
    handout = [r for r in rows if r["student"] == "handout"]
    assert {r["notebook"] for r in solved} == set(notebooks)
    assert all(r["passed"] == 1 for r in solved), [(r["exercise"], r["error"]) for r in solved if not r["passed"]]
    assert handout and all(r["passed"] == 0 and r["error"].startswith("not attempted") for r in handout), [
        (r["exercise"], r["error"]) for r in handout if r["passed"] or not r["error"].startswith("not attempted")
    ]


def test_a_chinese_edition_is_graded_as_its_chapter(course_graded):
    rows, notebooks, _, out = course_graded
    zhang = [r for r in rows if r["student"] == "zhang"]
    assert zhang, "no Chinese edition was graded"
    assert all(r["passed"] == 1 for r in zhang), [(r["exercise"], r["error"]) for r in zhang if not r["passed"]]


def test_written_answers_are_collected_for_the_ta(course_graded):
    rows, notebooks, lab, out = course_graded
    manual = (out / "manual" / f"{lab.stem}.md").read_text(encoding="utf-8")
    assert "## solved" in manual and "RMSProp" in manual, "the solved lab's justification is collected"
    assert "## handout" in manual and "YOUR ANSWER HERE" in manual


def test_the_lab_is_scored_with_the_course_rules(course_graded):
    rows, _, lab, out = course_graded
    mallory = {r["exercise"]: r for r in rows if r["student"] == "mallory"}
    config_check = [r for r in mallory.values() if "below the target" in r["error"] or "mean validation" in r["error"]]
    assert config_check, f"the lab's target check passed for a tampered submission: {mallory}"
    assert any("TARGET" in r["flags"] or "sets L." in r["flags"] for r in mallory.values())
