"""Executing a notebook a second time gives the same claim values.

`make test` first executes every notebook under nbval with ``COURSE_CLAIMS_LOG`` pointing at
``build/claims-first.jsonl`` (every ``check.claim`` appends its value there); this session then
executes each notebook again in a fresh kernel and compares. Values (and their controls) are compared
to the six decimals the log keeps; claims marked ``timing=True`` (wall-clock measurements) must hold both
times but need not be equal.
"""

import json
import re
from pathlib import Path

import nbformat
import pytest

from tools.nbexec import execute

ROOT = Path(__file__).resolve().parents[2]

FIRST = ROOT / "build" / "claims-first.jsonl"
NOTEBOOKS = [
    p
    for p in sorted((ROOT / "notebooks").glob("*.ipynb"))
    if re.search(r"claim\(\s*\\?[\"']C\d\d\.", p.read_text(encoding="utf-8"))
]


def read_log(path: Path) -> dict:
    records = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        records.setdefault(record["id"], []).append(record)
    return records


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_second_execution_gives_the_same_claims(path, tmp_path, monkeypatch):
    if not FIRST.exists():
        pytest.fail(f"{FIRST} is missing: run `make test`, which executes the notebooks once and logs their claims")
    prefix = f"C{path.name[:2]}."
    first = {k: v for k, v in read_log(FIRST).items() if k.startswith(prefix)}
    assert first, f"the first run logged no claim of {path.name}"
    second_log = tmp_path / "claims.jsonl"
    monkeypatch.setenv("COURSE_CLAIMS_LOG", str(second_log))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(str(path), as_version=4)
    execute(nb, timeout=300, cwd=path.parent)
    second = read_log(second_log)
    assert set(second) == set(first), f"claims differ: first {sorted(first)}, second {sorted(second)}"
    changed = []
    for claim_id, records in first.items():
        for a, b in zip(records, second[claim_id], strict=True):
            if a.get("timing") or b.get("timing"):
                assert a["passed"] and b["passed"]
            elif a["value"] != b["value"]:
                changed.append(f"{claim_id}: {a['value']} then {b['value']}")
            elif a.get("control") != b.get("control"):
                changed.append(f"{claim_id} control: {a.get('control')} then {b.get('control')}")
    assert not changed, "claim values changed between two executions: " + "; ".join(changed)
