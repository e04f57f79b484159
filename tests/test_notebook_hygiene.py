"""Every notebook is stored clean and states, checks and exercises its claims.

Execution itself is done by nbval (``pytest --nbval-lax notebooks/``); these tests read the
notebooks as JSON.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CHAPTERS = [nb for nb in NOTEBOOKS if re.match(r"\d\d_", nb.name)]
COURSE_CHECK = ROOT.parent / "shared" / "tools" / "course_check.py"


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_without_outputs(path):
    """nbstripout --verify: no outputs, execution counts or volatile metadata in git."""
    result = subprocess.run([sys.executable, "-m", "nbstripout", "--verify", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, f"{path.name} has outputs; run `nbstripout {path}`\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_conventions(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = nb["cells"]
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3"
    first = "".join(cells[0]["source"])
    assert cells[0]["cell_type"] == "markdown" and first.startswith("# "), "first cell: a title"
    assert re.search(r"[\u4e00-\u9fff]", first), "the title cell gives the Chinese title"
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert not re.search(r"^\s*[!%]\s*pip\s+install", code, re.M), "no pip install inside notebooks"
    assert not re.search(r"urlopen|requests\.get|urlretrieve|wget |curl ", code), "no downloads at run time"
    assert not re.search(r"(^|[\s'\"])/(home|root|Users|tmp|work)/", code), "no absolute paths"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_meets_the_curriculum(path):
    """The curriculum's own yardstick (../shared/tools/course_check.py) passes for each chapter present."""
    if not COURSE_CHECK.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{COURSE_CHECK} is missing: CI needs ../shared beside the clone")
        pytest.skip("../shared/tools/course_check.py not beside this clone (outside CI)")
    result = subprocess.run(
        [sys.executable, str(COURSE_CHECK), path.name[:2]], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
