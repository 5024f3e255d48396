"""Rendering an executed report notebook to HTML and PDF: Quarto, or the built-in renderer.

- builtin (default where Quarto is absent; PyPI packages only): nbconvert turns the executed
  notebook into an HTML fragment (code hidden, images inlined); the page wraps it with inline CSS
  and the Thai font subset as base64 (self-contained, no network). For the PDF, pandoc converts the
  same fragment to Typst, and the `typst` package compiles it with the bundled Noto fonts (A4).
  Red/amber/green cells keep their tint in the PDF: their class (`scorecards.rag_class`) becomes a
  Typst cell fill.
- quarto (`analysis.reports.quarto`): `quarto render` on the executed notebook (no
  re-execution), HTML and Typst PDF, with this module's stylesheet, page frame and tables: the
  same report, made by Quarto.

Neither executes anything: the notebook was executed once, by papermill (`analysis.reports.batch`).
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import nbformat
import pandas as pd

from analysis import __version__
from analysis.i18n import Lang, fmt_date, t
from analysis.metrics.scorecards import RAG_COLORS
from analysis.paths import TEMPLATES_DIR
from analysis.reports import fonts, pdftext, thaiwrap

__all__ = [
    "PageInfo",
    "RenderError",
    "Renderer",
    "choose_renderer",
    "html_to_typst",
    "no_script_urls",
    "page_frame",
    "render_builtin",
    "report_notebook",
    "stylesheet",
]


Renderer = Literal["builtin", "quarto"]


REMOVE_TAGS = {"remove-cell", "parameters", "injected-parameters"}


class RenderError(RuntimeError):
    """Rendering a report failed; the message says which step and why."""


def choose_renderer(requested: str = "auto") -> Renderer:
    """'auto' -> quarto when a `quarto` executable is on PATH, else builtin."""
    if requested not in ("auto", "builtin", "quarto"):
        raise ValueError(f"renderer: {requested!r} is not one of auto, builtin, quarto")
    if requested == "auto":
        return "quarto" if shutil.which("quarto") else "builtin"
    if requested == "quarto" and not shutil.which("quarto"):
        raise ValueError(
            "renderer: quarto was requested but no `quarto` executable is on PATH "
            "(install Quarto, or use RENDERER=builtin)"
        )
    return requested  # type: ignore[return-value]


def report_notebook(executed: Path) -> nbformat.NotebookNode:
    """The executed notebook minus what a reader should not see: tagged cells, logs and warnings."""
    nb = nbformat.read(executed, as_version=4)
    keep = []
    for cell in nb.cells:
        if REMOVE_TAGS & set(cell.metadata.get("tags", [])):
            continue
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if o.output_type != "stream"]
        keep.append(cell)
    nb.cells = keep
    return nb


def _html_body(nb: nbformat.NotebookNode) -> str:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="basic",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        exclude_anchor_links=True,
    )
    body, _ = exporter.from_notebook_node(nb)
    return no_script_urls(_with_alt_text(body, nb))


_NO_ALT = 'alt="No description has been provided for this image"'


def _with_alt_text(body: str, nb: nbformat.NotebookNode) -> str:
    """Each figure's image with the alternative text its output carries (`reports.context`
    describes every figure), in place of nbconvert's "No description has been provided"."""
    alts = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            png = output.get("data", {}).get("image/png")
            alt = output.get("metadata", {}).get("image/png", {}).get("alt")
            if png and alt:
                alts[re.sub(r"\s", "", png)[:200]] = alt

    def described(match: re.Match) -> str:
        tag = match.group(0)
        payload = re.search(r'src="data:image/png;base64,([^"]{1,200})', tag)
        alt = alts.get(payload.group(1)) if payload else None
        return tag if alt is None else tag.replace(_NO_ALT, f'alt="{html.escape(alt)}"')

    return re.sub(r"<img\b[^>]*>", described, body)


_SCRIPT_URL = re.compile(
    r"""\b(href|src|action|formaction)(\s*=\s*)(["'])\s*(?:javascript|vbscript|data:text/html)"""
    r"""[^"']*\3""",
    re.IGNORECASE,
)


def no_script_urls(body: str) -> str:
    """Every link or source that would run script (javascript:, vbscript:, data:text/html)
    dropped, the element's text kept: a report never carries one, whatever text reached a
    Markdown or HTML output.

    >>> no_script_urls('<a href="javascript:alert(1)">x</a> <img src="data:image/png;base64,A">')
    '<a >x</a> <img src="data:image/png;base64,A">'
    """
    return _SCRIPT_URL.sub("", body)


def _generated_at() -> dt.datetime:
    """Now, or SOURCE_DATE_EPOCH when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    return dt.datetime.now(tz=dt.UTC).replace(microsecond=0)


@dataclass(frozen=True)
class PageInfo:
    """What the page frame (title, header, footer) shows around the notebook's content."""

    title: str
    scope_name: str
    month_label: str
    lang: Lang
    content_hash: str
    renderer: str
    timezone: str = "UTC"  # the dataset's: the time the footer gives is the reader's local time
    buddhist_era: bool = False

    def footer(self) -> str:
        return (
            f"{t('content_hash', self.lang)} {self.content_hash[:12]} · analysis {__version__} · "
            f"{self.renderer} · {t('generated', self.lang)} {self.generated()}"
        )

    def generated(self) -> str:
        """When the report was made, in the dataset's time zone and the report's calendar:
        '21 กันยายน 2569 21:13 (UTC+7)'."""
        from zoneinfo import ZoneInfo

        local = _generated_at().astimezone(ZoneInfo(self.timezone))
        day = fmt_date(pd.Timestamp(local.date()), self.lang, buddhist_era=self.buddhist_era)
        minutes = int(local.utcoffset().total_seconds() // 60)
        hours, rest = divmod(abs(minutes), 60)
        offset = f"{'+' if minutes > 0 else '-'}{hours}" + (f":{rest:02d}" if rest else "")
        return f"{day} {local:%H:%M} (UTC{offset if minutes else ''})"


def _jinja():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=False, keep_trailing_newline=True
    )


def render_builtin(
    executed: Path, out_dir: Path, page: PageInfo, name: str = "report"
) -> dict[str, Path]:
    """Render an executed notebook to <name>.html and <name>.pdf in `out_dir` (PyPI tools only)."""
    import typst

    out_dir.mkdir(parents=True, exist_ok=True)
    body = _html_body(report_notebook(executed))

    env = _jinja()
    page_text = env.get_template("report.html.j2").render(
        lang=page.lang,
        title=html.escape(page.title),
        body=thaiwrap.with_word_breaks(body) if page.lang == "th" else body,
        footer=html.escape(page.footer()),
    )
    # subset the embedded fonts to exactly the characters this page uses
    page_text = page_text.replace("/*FONT_FACES*/", fonts.css_font_faces(page_text), 1)
    html_path = out_dir / f"{name}.html"
    html_path.write_text(page_text, encoding="utf-8")

    with tempfile.TemporaryDirectory(prefix="typst-") as tmp:
        tmpdir = Path(tmp)
        (tmpdir / "body.typ").write_text(html_to_typst(body, tmpdir), encoding="utf-8")
        main = env.get_template("report.typ.j2").render(**_frame_values(page))
        (tmpdir / "main.typ").write_text(main, encoding="utf-8")
        pdf_path = out_dir / f"{name}.pdf"
        try:
            typst.compile(
                str(tmpdir / "main.typ"),
                output=str(pdf_path),
                root=str(tmpdir),
                font_paths=[str(p) for p in fonts.font_dirs()],
                ignore_system_fonts=True,
                # the PDF's creation date is the footer's: SOURCE_DATE_EPOCH when set
                timestamp=int(_generated_at().timestamp()),
            )
        except Exception as exc:  # typst raises its own error types with the compiler's message
            raise RenderError(f"typst failed for {executed}: {exc}") from exc
    pdf_path.write_bytes(pdftext.mend(pdf_path.read_bytes()))  # Thai that copies and searches
    return {"html": html_path, "pdf": pdf_path}


def html_to_typst(fragment: str, cwd: Path) -> str:
    """Typst markup for an HTML fragment of the report (pandoc's HTML reader and Typst writer),
    with the red/amber/green cell fills kept; images are written under `cwd`/media. Both renderers
    make their PDF tables this way: the built-in one for the whole body, Quarto for each table."""
    import pypandoc

    proc = subprocess.run(
        [
            pypandoc.get_pandoc_path(),
            "--from=html-native_divs",  # flatten nbconvert's wrappers so headings stay with content
            "--to=typst",
            "--extract-media=media",
        ],
        input=_typst_fills(fragment),
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RenderError(f"pandoc (HTML -> Typst) failed: {proc.stderr.strip()}")
    return proc.stdout


_RAG_CELL = re.compile(r'<t([dh])\b([^>]*?)\bclass="([^"]*\brag-(green|amber|red)\b[^"]*)"')


def _typst_fills(body: str) -> str:
    """Give every red/amber/green table cell a `typst:fill` attribute, which pandoc's Typst writer
    turns into the cell's fill (it drops CSS backgrounds): the PDF keeps the status tints."""

    def fill(m: re.Match) -> str:
        color = RAG_COLORS[m.group(4)]
        return f'<t{m.group(1)}{m.group(2)}data-typst:fill="rgb(&quot;{color}&quot;)" class="{m.group(3)}"'

    return _RAG_CELL.sub(fill, body)


def _typst_str(text: str) -> str:
    r"""A Typst string literal's body: backslashes, quotes and line breaks escaped. The template
    puts it between `#"` and `"`, so data text is never read as Typst markup.

    >>> print(_typst_str('Team #1 "HQ" $5 // a \\ b'))
    Team #1 \"HQ\" $5 // a \\ b
    """
    for char, escaped in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r")):
        text = text.replace(char, escaped)
    return text


def _frame_values(page: PageInfo) -> dict[str, str]:
    """templates/page.typ.j2's values for `page`: data text as Typst string literals' bodies."""
    return {
        "lang": page.lang,
        "title": _typst_str(page.title),
        "header": _typst_str(f"{page.scope_name} · {page.month_label}"),
        "footer": _typst_str(page.footer()),
        "latin": fonts.LATIN_FAMILY,
        "thai": fonts.THAI_FAMILY,
    }


def page_frame(page: PageInfo) -> str:
    """The Typst page frame of templates/page.typ.j2 for `page` (both renderers use it)."""
    return _jinja().get_template("page.typ.j2").render(**_frame_values(page))


def stylesheet() -> str:
    """The reports' HTML stylesheet (templates/report.css), the same for both renderers."""
    return (TEMPLATES_DIR / "report.css").read_text(encoding="utf-8")
