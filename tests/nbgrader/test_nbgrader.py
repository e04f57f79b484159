"""The course's nbgrader export, tested with real nbgrader (``make test-nbgrader``).

Runs in ``.venv-nbgrader`` (``make nbgrader-deps``: the course's pins plus nbgrader, and *not*
``course_utils``: the copy that ``make nbgrader-source`` puts in each assignment folder must be
what the notebooks import). For every chapter with exercises, in a course folder of its own (so
the chapters run in parallel without sharing a gradebook): ``nbgrader generate_assignment``,
then ``nbgrader autograde`` on two submissions, the course notebook with its solutions (every
automatic point) and the released notebook untouched (no automatic point). Each submission holds the chapter's import cell and its exercise cells only:
every exercise runs on its own after the imports (``tests/test_exercises.py`` holds the course to
that), and the whole chapters are executed by ``make test-course``; so the test stays near three
minutes on two cores instead of executing the course twice more.
"""

import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tools import student  # noqa: E402

nbgrader_api = pytest.importorskip("nbgrader.api", reason="run by `make test-nbgrader` in .venv-nbgrader")
BIN = Path(sys.executable).parent
CHAPTERS = [
    p.stem
    for p in student.chapters()
    if any(student.has_solution("".join(c["source"])) for c in json.loads(p.read_text(encoding="utf-8"))["cells"])
]
JOBS = int(os.environ.get("JOBS") or os.cpu_count() or 2)


def nbgrader(*args, cwd):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "JUPYTER_PATH", "JUPYTER_CONFIG_DIR")}
    env.update(MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1", PATH=f"{BIN}:{env.get('PATH', '')}")
    return subprocess.run([str(BIN / "nbgrader"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def exercises_only(src: Path, dst: Path) -> None:
    """Write the notebook ``src`` to ``dst`` with its import cell and its nbgrader cells only."""
    nb = json.loads(src.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    nb["cells"] = [c for c in nb["cells"] if c is code[0] or c["metadata"].get("nbgrader")]
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(json.dumps(nb), encoding="utf-8")


def run_chapter(stem: str, built: Path, work: Path) -> dict:
    """generate_assignment, then autograde a solved and a stub submission; returns what happened."""
    began = time.perf_counter()
    course = work / stem
    (course / "source").mkdir(parents=True)
    shutil.copy(built / "nbgrader_config.py", course)
    shutil.copy(built / "gradebook.db", course)  # an empty gradebook: nbgrader spends 6 s making one
    shutil.copytree(built / "source" / stem, course / "source" / stem)
    generated = nbgrader("generate_assignment", stem, "--force", cwd=course)
    result = {"generate": generated, "course": course}
    if generated.returncode != 0:
        return result
    for who, folder in (("solved", "source"), ("stub", "release")):
        shutil.copytree(course / folder / stem, course / "submitted" / who / stem)  # course_utils too
        exercises_only(course / folder / stem / f"{stem}.ipynb", course / "submitted" / who / stem / f"{stem}.ipynb")
    result["autograde"] = nbgrader("autograde", stem, "--force", cwd=course)
    result["seconds"] = time.perf_counter() - began
    return result


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    work = tmp_path_factory.mktemp("nbgrader")
    built = work / "built"
    student.build(built, nbgrader_source=True)
    os.environ["PATH"] = f"{BIN}:{os.environ.get('PATH', '')}"  # nbgrader runs its venv's `alembic`
    nbgrader_api.Gradebook(f"sqlite:///{built / 'gradebook.db'}").close()
    began = time.perf_counter()
    with ThreadPoolExecutor(JOBS) as pool:
        results = dict(zip(CHAPTERS, pool.map(lambda s: run_chapter(s, built, work), CHAPTERS)))
    print(
        f"\nnbgrader: {len(CHAPTERS)} chapters generated and autograded twice in "
        f"{time.perf_counter() - began:.0f} s with {JOBS} jobs: "
        + ", ".join(f"{s[:2]} {r.get('seconds', 0):.0f} s" for s, r in results.items())
    )
    return built, results


def grades(course: Path, stem: str) -> dict:
    """{student: {grade_id: (auto score, max score, cell type)}} from the chapter's gradebook."""
    out = {}
    with nbgrader_api.Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for submission in gb.assignment_submissions(stem):
            for nb in submission.notebooks:
                out[submission.student_id] = {g.name: (g.auto_score, g.max_score, g.cell.cell_type) for g in nb.grades}
    return out


def test_every_chapter_with_exercises_is_an_assignment_and_the_playground_is_not(graded):
    built, _ = graded
    assert len(CHAPTERS) >= 9
    assert sorted(p.name for p in (built / "source").iterdir()) == CHAPTERS
    assert "playground" not in CHAPTERS
    for stem in CHAPTERS:
        assert (built / "source" / stem / "course_utils" / "__init__.py").exists()
        assert not list((built / "source" / stem).rglob("__pycache__"))


def test_course_utils_comes_from_the_assignment_folder():
    """The nbgrader environment has no course_utils of its own: the notebooks import the copy."""
    found = subprocess.run(
        [sys.executable, "-c", "import importlib.util as u; print(u.find_spec('course_utils'))"],
        cwd="/",
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", "")},
    )
    assert found.stdout.strip() == "None", found.stdout


@pytest.mark.parametrize("stem", CHAPTERS)
def test_generate_assignment(graded, stem):
    _, results = graded
    generated = results[stem]["generate"]
    assert generated.returncode == 0, generated.stderr[-3000:]
    release = results[stem]["course"] / "release" / stem
    assert (release / "course_utils" / "optim").is_dir(), "course_utils is released with the notebook"
    text = (release / f"{stem}.ipynb").read_text(encoding="utf-8")
    nb = json.loads(text)
    lines = [ln.strip() for c in nb["cells"] for ln in "".join(c["source"]).splitlines()]
    assert student.BEGIN not in lines and student.END not in lines
    assert student.BEGIN_HIDDEN not in lines and "ta-only" not in text
    assert lines.count("raise NotImplementedError()") >= sum(
        1 for c in nb["cells"] if c["cell_type"] == "code" and c["metadata"].get("nbgrader", {}).get("solution")
    )


@pytest.mark.parametrize("stem", CHAPTERS)
def test_autograde_gives_the_solutions_every_point_and_the_stub_none(graded, stem):
    _, results = graded
    autograded = results[stem].get("autograde")
    assert autograded is not None and autograded.returncode == 0, autograded.stderr[-3000:] if autograded else ""
    scores = grades(results[stem]["course"], stem)
    assert set(scores) == {"solved", "stub"}
    slug = student._slug(stem)
    checks = {k: v for k, v in scores["solved"].items() if v[2] == "code"}
    manual = {k: v for k, v in scores["solved"].items() if v[2] == "markdown"}
    assert len(checks) >= 3 and all(k.startswith(f"{slug}_check_") for k in checks)
    assert all(k.startswith(f"{slug}_manual_") and v[1] == student.MANUAL_POINTS for k, v in manual.items())
    failed = [k for k, (score, top, _) in checks.items() if score != top]
    assert not failed, f"{stem}: the solutions lose these checks under nbgrader: {failed}"
    assert all(score is None for score, _, _ in manual.values()), "a written answer waits for a human"
    stub_points = {k: v[0] for k, v in scores["stub"].items() if v[0]}
    assert not stub_points, f"{stem}: the untouched hand-out scores under nbgrader: {stub_points}"
