#!/usr/bin/env python3
"""The Chinese editions of the course, generated from the English notebooks and gettext catalogs.

    python -m tools.translations update     # make translations: catalogs from the English, then the notebooks
    python -m tools.translations check      # fails if anything is missing, fuzzy, broken or out of date
    python -m tools.translations todo zh_CN 03_batch_and_momentum   # the entries still to translate

The English notebooks are the one source of code and claims. Each markdown cell is cut into
*blocks* (paragraphs, list items' paragraphs, tables, headings; a fenced code block or a ``$$``
display stays whole), and each block is one entry of the catalog
``locales/<lang>/LC_MESSAGES/<notebook>.po`` (gettext, handled with polib). ``update``

1. adds the blocks that are new in the English to the zh_CN catalog; a block whose English changed
   keeps its old translation marked **fuzzy** (with the previous English), so a translator sees
   what to revise; blocks no longer used become obsolete;
2. writes the zh_TW catalog from zh_CN through OpenCC's Taiwan-phrase conversion (``s2twp``) and
   the reviewed term table ``locales/zh_TW/terms.tsv`` (e.g. 引數 → 參數); an entry translated by
   hand (its translator comment says ``hand-edited``) wins over the conversion;
3. writes ``notebooks/zh-CN/`` and ``notebooks/zh-TW/``: every code cell identical to the English,
   every markdown block replaced by its translation (the English stays where there is none yet),
   relative links one folder deeper. Only the notebooks listed in ``locales/editions.txt`` (one
English file name a line) get Chinese editions: a chapter is listed once its catalogs are
complete, and from then on ``check`` fails whenever an entry of it is missing or fuzzy.

``check`` is what the tests run: every entry translated and not fuzzy, math, code spans, link
targets and claim ids the same in the translation as in the English, and the Chinese notebooks
exactly what ``update`` would write.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import json
import re
import sys
from functools import lru_cache
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
LOCALES = ROOT / "locales"
LANGUAGES = {"zh_CN": "zh-CN", "zh_TW": "zh-TW"}  # catalog name -> notebook folder
HAND = "hand-edited"

# tokens that must survive translation unchanged
_PROTECTED = [  # inline math and code spans may run over one line break
    (re.compile(r"\$\$.+?\$\$", re.S), "display math"),
    (re.compile(r"(?<![\\$])\$(?!\$)[^$\n]+?(?:\n[^$\n]+?)?\$"), "math"),
    (re.compile(r"`[^`\n]+(?:\n[^`\n]+)?`"), "code"),
    (re.compile(r"\]\(([^)\s]+)\)"), "link target"),
    (re.compile(r"\*\*C\d\d\.\d+\*\*"), "claim id"),
]


# ----------------------------------------------------------------------------- blocks
def blocks(markdown: str) -> list[tuple[str, str]]:
    """Cut a markdown cell into ``(block, separator)`` pairs: joining every ``block + separator``
    gives the cell back exactly. Blocks are separated by blank lines; a fenced code block or a
    ``$$`` display stays whole even if it holds blank lines."""
    keep = {}

    def hide(m):
        key = f"\ue010{len(keep)}\ue011"
        keep[key] = m.group(0)
        return key

    hidden = re.sub(r"```.*?```", hide, markdown, flags=re.S)
    hidden = re.sub(r"\$\$.*?\$\$", hide, hidden, flags=re.S)
    parts = re.split(r"(\n[ \t]*\n(?:[ \t]*\n)*)", hidden)
    restore = lambda text: re.sub("\ue010\\d+\ue011", lambda m: keep[m.group(0)], text)  # noqa: E731
    return [(restore(parts[i]), parts[i + 1] if i + 1 < len(parts) else "") for i in range(0, len(parts), 2)]


def translatable(block: str) -> bool:
    """Whether a block has words to translate (not only math, code, a rule or punctuation)."""
    text = block
    for rx, _ in _PROTECTED[:3]:
        text = rx.sub("", text)
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    return bool(re.search(r"[A-Za-z]{2,}", text))


def protected(text: str) -> list[str]:
    """The tokens of ``text`` a translation must keep: math, code spans, link targets, claim ids."""
    found = []
    for rx, _ in _PROTECTED:
        for m in rx.finditer(text):
            found.append(m.group(1) if rx.groups else m.group(0))
    return found


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def problems(msgid: str, msgstr: str) -> list[str]:
    """What a translation lost of the English: each protected token missing from it (a token may be
    re-wrapped: white space is compared as one space)."""
    have = _squeeze(msgstr)
    return [token for token in protected(msgid) if _squeeze(token) not in have]


# ----------------------------------------------------------------------------- catalogs
def english_notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def _source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def english_blocks(path: Path) -> list[tuple[str, str]]:
    """Every translatable block of a notebook, in order, with where it stands (``cell N``)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    found = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        for text, _ in blocks(_source(cell)):
            if text and translatable(text):
                found.append((text, f"{path.name}:{i}"))
    return found


def catalog_path(lang: str, stem: str) -> Path:
    return LOCALES / lang / "LC_MESSAGES" / f"{stem}.po"


def _new_catalog(lang: str, stem: str) -> polib.POFile:
    po = polib.POFile(wrapwidth=0)
    po.metadata = {
        "Project-Id-Version": f"course {stem}",
        "Language": lang,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
    }
    return po


def load(lang: str, stem: str) -> polib.POFile:
    path = catalog_path(lang, stem)
    if path.exists():
        po = polib.pofile(str(path), wrapwidth=0)
        po.wrapwidth = 0
        return po
    return _new_catalog(lang, stem)


def save(po: polib.POFile, lang: str, stem: str) -> None:
    path = catalog_path(lang, stem)
    path.parent.mkdir(parents=True, exist_ok=True)
    po.wrapwidth = 0
    text = str(po)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def update_source_catalog(stem: str, found: list[tuple[str, str]]) -> polib.POFile:
    """Bring the zh_CN catalog in line with the English blocks ``found``."""
    po = load("zh_CN", stem)
    old = {e.msgid: e for e in po}
    wanted = list(dict.fromkeys(text for text, _ in found))
    where = {}
    for text, place in found:
        where.setdefault(text, []).append(place)
    gone = {m: e for m, e in old.items() if m not in set(wanted) and e.msgstr}
    entries = []
    for msgid in wanted:
        entry = old.get(msgid)
        if entry is None or entry.obsolete:
            entry = polib.POEntry(msgid=msgid, msgstr="")
            close = difflib.get_close_matches(msgid, list(gone), n=1, cutoff=0.6)
            if close:
                entry.msgstr = gone[close[0]].msgstr
                entry.flags = ["fuzzy"]
                entry.previous_msgid = close[0]
        entry.obsolete = False
        entry.occurrences = [(p, "") for p in where[msgid]]
        entries.append(entry)
    fresh = _new_catalog("zh_CN", stem)
    fresh.metadata = po.metadata or fresh.metadata
    for entry in entries:
        fresh.append(entry)
    for entry in gone.values():  # kept so that a later edit can find its old translation
        entry.obsolete = True
        fresh.append(entry)
    return fresh


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("s2twp")


def terms() -> list[tuple[str, str]]:
    """The reviewed zh_TW term table: (after OpenCC, Taiwan usage in the lecture) pairs."""
    path = LOCALES / "zh_TW" / "terms.tsv"
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            wrong, right = line.split("\t")[:2]
            pairs.append((wrong, right))
    return pairs


def to_taiwan(text: str) -> str:
    """zh_CN text in Taiwan usage: OpenCC s2twp, then the term table (protected tokens untouched)."""
    keep = {}

    def hide(m):
        key = f"\ue000{len(keep)}\ue001"
        keep[key] = m.group(0)
        return key

    hidden = text
    for rx, _ in _PROTECTED:
        hidden = rx.sub(hide, hidden)
    hidden = re.sub(r"```.*?```", hide, hidden, flags=re.S)
    converted = _converter().convert(hidden)
    for wrong, right in terms():
        converted = converted.replace(wrong, right)
    for key, value in keep.items():
        converted = converted.replace(key, value)
    return converted


def update_taiwan_catalog(stem: str, source: polib.POFile) -> polib.POFile:
    """The zh_TW catalog: converted from zh_CN, hand-edited entries kept."""
    old = {e.msgid: e for e in load("zh_TW", stem)}
    po = _new_catalog("zh_TW", stem)
    for entry in source:
        if entry.obsolete:
            continue
        mine = old.get(entry.msgid)
        new = polib.POEntry(msgid=entry.msgid, occurrences=entry.occurrences)
        converted = to_taiwan(entry.msgstr) if entry.msgstr else ""
        if mine is not None and HAND in (mine.tcomment or "") and mine.msgstr != converted:
            new.msgstr, new.tcomment = mine.msgstr, mine.tcomment  # a hand edit the conversion does not give
            new.flags = list(mine.flags)
        else:  # (a "hand edit" equal to the conversion is dropped: it would freeze later zh_CN fixes)
            new.msgstr = converted
            new.flags = list(entry.flags)
            new.previous_msgid = entry.previous_msgid
        po.append(new)
    return po


# ----------------------------------------------------------------------------- notebooks
def relink(text: str) -> str:
    """Relative link targets one folder deeper (the Chinese notebooks live in notebooks/<lang>/)."""

    def fix(m):
        target = m.group(1)
        if re.match(r"^[a-z]+:|^#|^/", target):
            return m.group(0)
        if target.startswith("../"):
            return f"](../{target})"
        if re.match(r"^\d\d_\w+\.ipynb|^playground\.ipynb", target):
            return m.group(0)  # a sibling chapter: the same language's copy sits beside it
        return f"](../{target})"

    return re.sub(r"\]\(([^)\s]+)\)", fix, text)


def translate_notebook(path: Path, po: polib.POFile) -> dict:
    """The English notebook with every markdown block translated by ``po`` where it can be."""
    table = {e.msgid: e.msgstr for e in po if e.msgstr and not e.obsolete and "fuzzy" not in e.flags}
    nb = json.loads(path.read_text(encoding="utf-8"))
    out = copy.deepcopy(nb)
    for cell in out["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        parts = []
        for text, sep in blocks(_source(cell)):
            parts.append((table.get(text, text) if text else text) + sep)
        cell["source"] = relink("".join(parts)).splitlines(keepends=True)
    lang = po.metadata.get("Language", "")
    out.setdefault("metadata", {})["language_info"] = {
        **nb.get("metadata", {}).get("language_info", {"name": "python"})
    }
    out["metadata"]["course_translation"] = {"source": f"notebooks/{path.name}", "language": LANGUAGES.get(lang, lang)}
    return out


def notebook_text(nb: dict) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def target(lang: str, path: Path) -> Path:
    return NOTEBOOKS / LANGUAGES[lang] / path.name


def editions() -> list[Path]:
    """The English notebooks that have Chinese editions (``locales/editions.txt``)."""
    listed = LOCALES / "editions.txt"
    names = (
        [ln.strip() for ln in listed.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
        if listed.exists()
        else []
    )
    return [NOTEBOOKS / name for name in names]


# ----------------------------------------------------------------------------- commands
def update(only: list[str] | None = None) -> None:
    """Catalogs and editions of every notebook, or (``only``) of these stems, whose Chinese notebooks are
    then written even before the chapter is listed in ``locales/editions.txt`` (to read them)."""
    for path in english_notebooks():
        stem = path.stem
        if only and stem not in only:
            continue
        source = update_source_catalog(stem, english_blocks(path))
        save(source, "zh_CN", stem)
        taiwan = update_taiwan_catalog(stem, source)
        save(taiwan, "zh_TW", stem)
        if path not in editions() and not only:
            continue
        for lang, po in (("zh_CN", source), ("zh_TW", taiwan)):
            out = target(lang, path)
            out.parent.mkdir(parents=True, exist_ok=True)
            text = notebook_text(translate_notebook(path, po))
            if not out.exists() or out.read_text(encoding="utf-8") != text:
                out.write_text(text, encoding="utf-8")
    for folder in LANGUAGES.values():
        names = {p.name for p in editions()}
        for stale in (NOTEBOOKS / folder).glob("*.ipynb") if not only else []:
            if stale.name not in names:
                stale.unlink()


def check(only: list[str] | None = None) -> list[str]:
    """Every reason the Chinese editions are not complete and in sync (empty when they are).

    Checks the notebooks listed in ``locales/editions.txt`` (or the stems in ``only``)."""
    errors = []
    listed = editions()
    for path in listed:
        if not path.exists():
            errors.append(f"locales/editions.txt names {path.name}, which is not in notebooks/")
    for folder in LANGUAGES.values() if not only else []:
        for extra in sorted((NOTEBOOKS / folder).glob("*.ipynb")):
            if NOTEBOOKS / extra.name not in listed:
                errors.append(f"{extra.relative_to(ROOT)} has no line in locales/editions.txt: run `make translations`")
    chosen = [p for p in english_notebooks() if (p.stem in only if only else p in listed)]
    for path in chosen:
        stem = path.stem
        wanted = list(dict.fromkeys(t for t, _ in english_blocks(path)))
        expected_taiwan = None
        for lang in LANGUAGES:
            cat = catalog_path(lang, stem)
            if not cat.exists():
                errors.append(f"{cat.relative_to(ROOT)} is missing: run `make translations`")
                continue
            po = load(lang, stem)
            live = {e.msgid: e for e in po if not e.obsolete}
            for msgid in wanted:
                entry = live.get(msgid)
                short = msgid[:60].replace("\n", " ")
                if entry is None:
                    errors.append(f"{lang}/{stem}: no entry for «{short}…»: run `make translations`")
                elif "fuzzy" in entry.flags:
                    errors.append(f"{lang}/{stem}: fuzzy (the English changed): «{short}…»")
                elif not entry.msgstr.strip():
                    errors.append(f"{lang}/{stem}: not translated: «{short}…»")
                else:
                    lost = problems(msgid, entry.msgstr)
                    if lost:
                        errors.append(f"{lang}/{stem}: the translation of «{short}…» lost {lost[:3]}")
                    if re.search(r"[A-Za-z]{4,}(?: [A-Za-z]{3,}){5,}", _strip_allowed(entry.msgstr)):
                        errors.append(f"{lang}/{stem}: English prose left in the translation of «{short}…»")
            if lang == "zh_CN":
                expected_taiwan = update_taiwan_catalog(stem, po)
            out = target(lang, path)
            po_for_nb = expected_taiwan if lang == "zh_TW" and expected_taiwan is not None else po
            expected = notebook_text(translate_notebook(path, po_for_nb))
            if not out.exists():
                errors.append(f"{out.relative_to(ROOT)} is missing: run `make translations`")
            elif out.read_text(encoding="utf-8") != expected:
                errors.append(
                    f"{out.relative_to(ROOT)} differs from what the catalogs and the English give: "
                    "run `make translations` (never edit it by hand)"
                )
            if lang == "zh_TW" and cat.exists():
                stored = {e.msgid: e.msgstr for e in po if not e.obsolete}
                for e in expected_taiwan or []:
                    if stored.get(e.msgid) != e.msgstr:
                        errors.append(
                            f"zh_TW/{stem}: the catalog is not what the conversion gives for "
                            f"«{e.msgid[:50]}…»: run `make translations`, or mark it '{HAND}'"
                        )
                        break
    return errors


def _strip_allowed(text: str) -> str:
    """A translation without what may stay English: math, code, links, parenthesised terms, names."""
    for rx, _ in _PROTECTED:
        text = rx.sub("", text)
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    text = re.sub(r"\*\*[^*]+\*\*|__[^_]+__", "", text)  # bold first, so italics pair up correctly
    text = re.sub(
        r"\([^()]*\)|（[^（）]*）|\*[^*\n]+\*|\"[^\"]*\"|“[^”]*”|「[^」]*」|『[^』]*』|《[^》]*》|«[^»]*»", "", text
    )
    return text


def todo(lang: str, stem: str) -> list[polib.POEntry]:
    po = load(lang, stem)
    return [e for e in po if not e.obsolete and (not e.msgstr.strip() or "fuzzy" in e.flags)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    u = sub.add_parser("update", help="catalogs from the English notebooks, then the Chinese notebooks")
    u.add_argument("--only", nargs="*", help="notebook stems to update (default: all)")
    c = sub.add_parser("check", help="exit 1 if anything is missing, fuzzy, broken or out of date")
    c.add_argument("--only", nargs="*", help="notebook stems to check (default: those in locales/editions.txt)")
    t = sub.add_parser("todo", help="list the entries still to translate")
    t.add_argument("lang", choices=list(LANGUAGES))
    t.add_argument("stem")
    args = parser.parse_args(argv)
    if args.command == "update":
        update(args.only)
        waiting = {
            p.stem: len(todo("zh_CN", p.stem)) for p in english_notebooks() if not args.only or p.stem in args.only
        }
        print(
            "catalogs and the Chinese editions written; entries still to translate (zh_CN):",
            ", ".join(f"{k} {v}" for k, v in waiting.items() if v) or "none",
        )
        errors = check(args.only)
        print(
            f"{len(errors)} problems"
            + (f" in {', '.join(args.only)}" if args.only else " in the editions listed in locales/editions.txt")
        )
        return 0
    if args.command == "todo":
        entries = todo(args.lang, args.stem)
        for e in entries:
            print(("FUZZY " if "fuzzy" in e.flags else "") + json.dumps(e.msgid, ensure_ascii=False)[:200])
        print(f"{len(entries)} to do")
        return 0
    errors = check(args.only)
    for e in errors[:200]:
        print(e)
    print(f"{len(errors)} problems" if errors else "translations complete and in sync")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
