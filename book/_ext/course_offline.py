"""A small Sphinx extension of the course site: pages load nothing from the internet.

Jupyter Book 1 always loads sphinx-thebe, which writes the address of its JavaScript bundle on
a CDN into every page (it is fetched only when a reader starts Thebe, which this site does not
offer: ``launch_buttons.thebe`` is false). This extension drops that script from each page, and
fails the build if any other script or stylesheet of a page still has an ``http(s)://`` address
(MathJax, RequireJS and the widgets' embedder are served from ``_static/npm/``).

It puts a language switch (English · 简体中文 · 繁體中文) at the top of every chapter page whose
Chinese editions are on the site.

It also lets Sphinx read two notebooks at once: sphinx-external-toc always loads
sphinx-multitoc-numbering, which does not declare whether it is safe for parallel reading, so
Sphinx falls back to one notebook at a time. That extension only replaces
``TocTreeCollector.assign_section_numbers``, which Sphinx calls in the main process after reading,
so it is declared safe here.
"""

import re

from sphinx.errors import ExtensionError

REMOTE = re.compile(r"^\s*(https?:)?//")


def _is_thebe(js) -> bool:
    name = str(getattr(js, "filename", js) or "")
    body = getattr(js, "attributes", {}).get("body", "") if hasattr(js, "attributes") else ""
    return name.endswith("sphinx-thebe.js") or "THEBE_JS_URL" in body


def keep_local(app, pagename, templatename, context, doctree):
    if "script_files" in context:
        context["script_files"] = [js for js in context["script_files"] if not _is_thebe(js)]
    for key in ("script_files", "css_files"):
        for asset in context.get(key, []):
            name = str(getattr(asset, "filename", asset) or "")
            if REMOTE.match(name):
                raise ExtensionError(f"{pagename}: {key} would load {name} from the internet")


LANGUAGES = (("", "English"), ("zh-CN/", "简体中文"), ("zh-TW/", "繁體中文"))
_EDITION = re.compile(r"^notebooks/(?:(zh-CN|zh-TW)/)?([^/]+)$")


def language_switch(app, pagename, templatename, context, doctree):
    """On every notebook page, links to the same chapter in the other languages that exist."""
    match = _EDITION.match(pagename)
    if not match or "body" not in context:
        return
    name = match.group(2)
    links = []
    for folder, label in LANGUAGES:
        target = f"notebooks/{folder}{name}"
        if target not in app.env.found_docs:
            continue
        if target == pagename:
            links.append(f'<strong lang="{folder[:-1] or "en"}">{label}</strong>')
        else:
            uri = app.builder.get_relative_uri(pagename, target)
            links.append(f'<a class="reference internal" href="{uri}" hreflang="{folder[:-1] or "en"}">{label}</a>')
    if len(links) > 1:
        context["body"] = (
            '<p class="course-languages" style="text-align:right;font-size:0.9em">'
            + " · ".join(links)
            + "</p>\n"
            + context["body"]
        )


def setup(app):
    app.connect("html-page-context", keep_local, priority=900)
    app.connect("html-page-context", language_switch, priority=500)
    numbering = app.extensions.get("sphinx_multitoc_numbering")
    if numbering is not None and numbering.parallel_read_safe is None:
        numbering.parallel_read_safe = True
        numbering.parallel_write_safe = True
    return {"parallel_read_safe": True, "parallel_write_safe": True}
