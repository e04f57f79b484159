"""The Chinese editions come from the English notebooks and the catalogs, and never drift from them.

The Chinese notebooks are not executed: their code cells are the English ones (tested below, cell
by cell), which nbval executes; what differs is markdown, which does not run.
"""

import json

import nbformat
import polib
import pytest

from tools import translations as tr

EDITIONS = tr.editions()


def test_the_editions_are_complete_and_in_sync():
    """Every listed chapter: no entry missing or fuzzy, tokens kept, notebooks as generated."""
    errors = tr.check()
    assert not errors, "\n".join(errors[:30])


@pytest.mark.parametrize("path", EDITIONS, ids=lambda p: p.name)
@pytest.mark.parametrize("lang", list(tr.LANGUAGES))
def test_code_cells_are_the_english_ones(path, lang):
    english = json.loads(path.read_text(encoding="utf-8"))
    chinese = json.loads(tr.target(lang, path).read_text(encoding="utf-8"))
    nbformat.validate(nbformat.from_dict(chinese))
    assert [c["cell_type"] for c in chinese["cells"]] == [c["cell_type"] for c in english["cells"]]
    for mine, theirs in zip(chinese["cells"], english["cells"]):
        if theirs["cell_type"] == "code":
            assert mine == theirs
    assert chinese["metadata"]["kernelspec"] == english["metadata"]["kernelspec"]


def test_blocks_give_every_markdown_cell_back():
    for path in tr.english_notebooks():
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "markdown":
                source = "".join(cell["source"])
                assert "".join(t + s for t, s in tr.blocks(source)) == source


def test_fenced_code_and_display_math_stay_whole():
    pairs = tr.blocks("Intro.\n\n```python\nx = 1\n\ny = 2\n```\n\n$$\na\n\nb\n$$\n\nEnd.")
    assert [t for t, _ in pairs] == ["Intro.", "```python\nx = 1\n\ny = 2\n```", "$$\na\n\nb\n$$", "End."]


@pytest.mark.parametrize(
    "english, chinese, lost",
    [
        (
            "**C03.5** The rate is $\\eta/\\sigma$ in `optim.Adam`, see [the glossary](../GLOSSARY.md).",
            "**C03.5** 学习率是 $\\eta/\\sigma$（`optim.Adam`），见[术语表](../GLOSSARY.md)。",
            [],
        ),
        ("**C03.5** The rate is $\\eta$.", "**C03.6** 学习率是 $\\eta$。", ["**C03.5**"]),
        ("Use `optim.Adam` with $\\beta_1$.", "用 Adam 和 β₁。", ["$\\beta_1$", "`optim.Adam`"]),
        ("See [here](../GLOSSARY.md).", "见[这里](GLOSSARY.md)。", ["../GLOSSARY.md"]),
    ],
)
def test_math_code_links_and_claim_ids_must_survive(english, chinese, lost):
    assert sorted(tr.problems(english, chinese)) == sorted(lost)


@pytest.fixture
def sandbox_locales(tmp_path, monkeypatch):
    monkeypatch.setattr(tr, "LOCALES", tmp_path / "locales")
    (tmp_path / "locales" / "zh_TW").mkdir(parents=True)
    (tmp_path / "locales" / "zh_TW" / "terms.tsv").write_text(
        "引數\t參數\n神經網路\t類神經網路\n類類神經網路\t類神經網路\n", encoding="utf-8"
    )
    return tmp_path / "locales"


def test_a_changed_english_block_turns_fuzzy_with_its_old_translation(sandbox_locales):
    po = tr.update_source_catalog("t", [("The learning rate is too large.", "t.ipynb:1")])
    po[0].msgstr = "学习率太大了。"
    tr.save(po, "zh_CN", "t")
    po = tr.update_source_catalog("t", [("The learning rate is much too large.", "t.ipynb:1")])
    entry = next(e for e in po if not e.obsolete)
    assert "fuzzy" in entry.flags and entry.msgstr == "学习率太大了。"
    assert entry.previous_msgid == "The learning rate is too large."


def test_taiwan_catalog_converts_and_keeps_hand_edits(sandbox_locales):
    source = polib.POFile()
    source.append(polib.POEntry(msgid="The network's parameters.", msgstr="神经网络的参数。"))
    source.append(polib.POEntry(msgid="Batch size.", msgstr="批次大小。"))
    taiwan = tr.update_taiwan_catalog("t", source)
    assert [e.msgstr for e in taiwan] == ["類神經網路的參數。", "批次大小。"]
    taiwan[1].msgstr, taiwan[1].tcomment = "批量大小（手改）。", tr.HAND
    tr.save(taiwan, "zh_TW", "t")
    again = tr.update_taiwan_catalog("t", source)
    assert again[1].msgstr == "批量大小（手改）。" and again[0].msgstr == "類神經網路的參數。"


def test_links_go_one_folder_deeper_except_sibling_chapters():
    text = "[glossary](../GLOSSARY.md), [ch 03](03_batch_and_momentum.ipynb), [site](https://x.org), [lib](../course_utils/lab.py)"
    assert tr.relink(text) == (
        "[glossary](../../GLOSSARY.md), [ch 03](03_batch_and_momentum.ipynb), "
        "[site](https://x.org), [lib](../../course_utils/lab.py)"
    )
