#!/usr/bin/env python3
"""Convert notebooks to and from a plain-text "percent" script, for writing and reviewing chapters.

    python tools/nbtext.py to-py notebooks/03_batch_and_momentum.ipynb /tmp/03.py
    python tools/nbtext.py to-nb /tmp/03.py notebooks/03_batch_and_momentum.ipynb

The script format (a subset of jupytext's percent format):

    # %% [markdown]
    # # Title
    # Some text.

    # %%
    x = 1

    # %% tags=["autograde"]
    assert x == 1

Markdown lines are commented with "# "; tags are a JSON list. Notebooks are written without
outputs, with the python3 kernelspec, ready for `nbstripout --verify`. Only the .ipynb is kept in
git: the script is a working copy.
"""

import json
import re
import sys
from pathlib import Path

HEADER = re.compile(r"^# %%(?P<md> \[markdown\])?(?: tags=(?P<tags>\[.*\]))?\s*$")
METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


def script_to_notebook(text: str) -> dict:
    cells, current = [], None
    for line in text.splitlines():
        match = HEADER.match(line)
        if match:
            current = {"md": bool(match.group("md")), "tags": json.loads(match.group("tags") or "[]"), "lines": []}
            cells.append(current)
        elif current is not None:
            current["lines"].append(line)
    out = []
    for cell in cells:
        lines = cell["lines"]
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        if cell["md"]:
            lines = [re.sub(r"^# ?", "", ln) for ln in lines]
        source = [ln + "\n" for ln in lines]
        if source:
            source[-1] = source[-1].rstrip("\n")
        metadata = {"tags": cell["tags"]} if cell["tags"] else {}
        if cell["md"]:
            out.append({"cell_type": "markdown", "metadata": metadata, "source": source})
        else:
            out.append(
                {"cell_type": "code", "execution_count": None, "metadata": metadata, "outputs": [], "source": source}
            )
    return {
        "cells": out,
        "metadata": METADATA,
        "nbformat": 4,
        "nbformat_minor": 4,
    }  # 4.4: no cell ids, so diffs stay small


def notebook_to_script(nb: dict) -> str:
    parts = []
    for cell in nb["cells"]:
        tags = cell.get("metadata", {}).get("tags", [])
        header = "# %%" + (" [markdown]" if cell["cell_type"] == "markdown" else "")
        if tags:
            header += " tags=" + json.dumps(tags)
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            source = "\n".join(("# " + ln) if ln else "#" for ln in source.splitlines())
        parts.append(header + "\n" + source + "\n")
    return "\n".join(parts)


def main(argv):
    if len(argv) != 4 or argv[1] not in ("to-py", "to-nb"):
        print(__doc__)
        return 2
    src, dst = Path(argv[2]), Path(argv[3])
    if argv[1] == "to-nb":
        nb = script_to_notebook(src.read_text(encoding="utf-8"))
        dst.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    else:
        dst.write_text(notebook_to_script(json.loads(src.read_text(encoding="utf-8"))), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
