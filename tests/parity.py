"""Renderer parity (issue 19): one executed notebook rendered by the built-in renderer and by
Quarto, compared by what a reader gets, not by pixels: the HTML's headings, tables (cell text),
figures (their descriptions), footer and embedded fonts, nothing loaded from outside; the PDF's
text line by line and its pages. Used on the sample's reports and on the hostile fixture's."""

from __future__ import annotations

import re
import subprocess
from functools import partial
from html.parser import HTMLParser
from pathlib import Path

__all__ = ["Structure", "assert_same_report", "pdf_lines"]

# anything a browser would fetch from outside the file
EXTERNAL = re.compile(
    r"""(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:|//|ftp:)|url\(\s*["']?\s*(?:https?:|//)|@import""",
    re.IGNORECASE,
)


class Structure(HTMLParser):
    """What a reader sees of a report page: its headings, tables (cell text), figures (alt
    text), footer, and the fonts it embeds; not how the renderer wrapped it."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.headings: list[str] = []
        self.tables: list[list[list[str]]] = []
        self.figures: list[str] = []
        self.footer = ""
        self._text: list[str] | None = None
        self._where: str | None = None
        self.feed(page.replace("<wbr>", ""))
        self.fonts = set(re.findall(r"@font-face \{ font-family: '([^']+)'[^}]*base64,", page))

    def handle_starttag(self, tag, attrs):
        if tag in ("h1", "h2", "h3", "h4", "td", "th", "footer"):
            self._text, self._where = [], tag
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag == "img":
            self.figures.append(dict(attrs).get("alt") or "")

    def handle_endtag(self, tag):
        if tag != self._where or self._text is None:
            return
        text = " ".join("".join(self._text).split())
        if tag == "footer":
            self.footer = text
        elif tag in ("td", "th"):
            self.tables[-1][-1].append(text)
        else:
            self.headings.append(text)
        self._text = self._where = None

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)


def pdf_lines(pdf: Path, renderer: str) -> tuple[int, list[str]]:
    """The PDF's pages and its text lines (pdftotext), without the footer (which names the
    renderer, and must be on every page) and the page numbers."""
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    pages = [p for p in text.stdout.split("\f") if p.strip()]
    footer = re.compile(rf"· analysis \S+ · {renderer} · ")
    assert all(footer.search(p) for p in pages), f"a {renderer} PDF page without the footer"
    lines = []
    for page in pages:
        for ln in page.splitlines():
            if ln.strip() and not footer.search(ln) and not re.fullmatch(r"\d+ / \d+", ln.strip()):
                lines.append(ln.strip())
    return len(pages), lines


def assert_same_report(
    executed: Path, out: Path, page_fields: dict, quarto_at_once: bool | None = None
) -> dict[str, int]:
    """Render `executed` with both renderers into `out`/<renderer> with a PageInfo of
    `page_fields` (SOURCE_DATE_EPOCH set by the caller: the same time in both footers; Quarto's
    HTML and PDF in two processes or one: `render_quarto`'s `at_once`) and assert they publish
    the same report. Returns each renderer's PDF pages."""
    from analysis.reports.quarto import render_quarto
    from analysis.reports.render import PageInfo, render_builtin

    pages, lines, seen = {}, {}, {}
    quarto = partial(render_quarto, at_once=quarto_at_once)
    for renderer, render in (("builtin", render_builtin), ("quarto", quarto)):
        files = render(executed, out / renderer, PageInfo(**page_fields, renderer=renderer))
        text = files["html"].read_text(encoding="utf-8")
        assert not EXTERNAL.search(text), (renderer, EXTERNAL.search(text))
        assert "<script" not in text.lower(), renderer
        seen[renderer] = Structure(text)
        pages[renderer], lines[renderer] = pdf_lines(files["pdf"], renderer)
    built, made = seen["builtin"], seen["quarto"]
    assert made.headings == built.headings and built.headings
    assert made.tables == built.tables
    assert made.figures == built.figures and all(built.figures)
    assert made.footer == built.footer.replace("· builtin ·", "· quarto ·")
    assert page_fields["content_hash"][:12] in made.footer
    assert {"Noto Sans", "Noto Sans Thai"} <= made.fonts and made.fonts == built.fonts
    # the PDFs: the same text line for line (so the same line breaks), and as many pages
    assert lines["quarto"] == lines["builtin"]
    assert pages["quarto"] == pages["builtin"], pages
    return pages
