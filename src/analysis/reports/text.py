"""Data strings (names, regions, courses: anything from the data or the params' values) as
text in every output: HTML, Markdown, table cells; never markup, and never longer than a label
should be. The PDF's page frame has its own (`reports.render._typst_str`); charts turn off
mathtext (`reports.plots.setup_style`) and cut labels (`reports.plots.LABEL_CHARS`).
"""

from __future__ import annotations

import html
import re

from analysis.i18n import shorten

__all__ = ["NAME_CHARS", "CELL_CHARS", "escape", "md_text", "cell_html"]


def escape(text) -> str:
    """Data text as HTML text (never markup), for HTML the views build themselves."""
    return html.escape(str(text))


# ASCII punctuation that Markdown (or the math in nbconvert's Markdown) reads as syntax
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$])")


# a name in a sentence or heading shows at most this many characters
NAME_CHARS = 80


def md_text(text, limit: int | None = NAME_CHARS) -> str:
    r"""Data text for a Markdown cell: cut to `limit` characters (`i18n.shorten`; None: whole),
    HTML-escaped, and every Markdown or math character backslash-escaped, so a name like
    `[x](javascript:...)`, `*a*` or `$5 and $10` shows as written instead of becoming a link,
    emphasis or math.

    >>> md_text("[click](javascript:alert(1)) & $5")
    '\\[click\\]\\(javascript:alert\\(1\\)\\) &amp; \\$5'
    """
    text = str(text) if limit is None else shorten(text, limit)
    return _MARKDOWN.sub(r"\\\1", html.escape(text, quote=False))


# a table cell shows at most this many characters of a data string; the rest is in its tooltip
CELL_CHARS = 60


def cell_html(value) -> str:
    """A table cell's HTML: escaped; a long text cut (`i18n.shorten`) with the whole of it as the
    tooltip, so a 5,000-character name cannot run a PDF table over pages."""
    text = str(value)
    if len(text) <= CELL_CHARS:
        return html.escape(text)
    return f'<span title="{html.escape(text)}">{html.escape(shorten(text, CELL_CHARS))}</span>'
