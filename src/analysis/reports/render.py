"""Rendering an executed report notebook to HTML and PDF: Quarto, or the built-in renderer.

- builtin (default where Quarto is absent; PyPI packages only): nbconvert turns the executed
  notebook into an HTML fragment (code hidden, images inlined); the page wraps it with inline CSS
  and the Thai font subset as base64 (self-contained, no network). For the PDF, pandoc converts the
  same fragment to Typst, and the `typst` package compiles it with the bundled Noto fonts (A4).
  Red/amber/green cells keep their tint in the PDF: their class (`scorecards.rag_class`) becomes a
  Typst cell fill.
- quarto: `quarto render` on the executed notebook (no re-execution), HTML and Typst PDF.

Neither executes anything: the notebook was executed once, by papermill (`analysis.reports.batch`).
"""

from __future__ import annotations

import datetime as dt
import html
import json
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
    "render_builtin",
    "render_quarto",
    "quarto_errors",
    "self_contained",
    "with_fonts",
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


def _report_notebook(executed: Path) -> nbformat.NotebookNode:
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
    return _no_script_urls(_with_alt_text(body, nb))


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


def _no_script_urls(body: str) -> str:
    """Every link or source that would run script (javascript:, vbscript:, data:text/html)
    dropped, the element's text kept: a report never carries one, whatever text reached a
    Markdown or HTML output.

    >>> _no_script_urls('<a href="javascript:alert(1)">x</a> <img src="data:image/png;base64,A">')
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
    import pypandoc
    import typst

    out_dir.mkdir(parents=True, exist_ok=True)
    body = _html_body(_report_notebook(executed))

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
        (tmpdir / "body.html").write_text(_typst_fills(body), encoding="utf-8")
        proc = subprocess.run(
            [
                pypandoc.get_pandoc_path(),
                "--from=html-native_divs",  # flatten nbconvert's wrappers so headings stay with content
                "--to=typst",
                "--extract-media=media",
                "--output=body.typ",
                "body.html",
            ],
            cwd=tmpdir,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise RenderError(
                f"pandoc (HTML -> Typst) failed for {executed}: {proc.stderr.strip()}"
            )
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


# what Quarto prints when a step failed, even where it goes on and exits 0 (its own "(E)" lines,
# e.g. "(E) Running juice failed", and Deno's "ERROR:" lines)
_QUARTO_ERROR = re.compile(r"^\s*(?:\(E\)|ERROR\b)(?::)?\s*(.*)$", re.MULTILINE)
# a <script> that loads from the network; Quarto adds require.js and jQuery from a CDN when a
# notebook has text/html outputs (widget loaders: the report's static tables need neither)
_REMOTE_SCRIPT = re.compile(
    r"<script\b[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//[^>]*>\s*</script>\s*", re.IGNORECASE
)
# anything left that a browser would fetch from outside the file
_REMOTE_RESOURCE = re.compile(
    r"""(?:\b(?:src|href)\s*=\s*["']?|@import\s+(?:url\()?\s*["']?|url\(\s*["']?)"""
    r"""((?:https?:)?//[^"' )>]+)""",
    re.IGNORECASE,
)


def quarto_errors(stderr: str) -> list[str]:
    r"""The error lines of Quarto's output (what follows "(E)" or "ERROR:").

    >>> quarto_errors("(W) slow\n(E) Running juice failed: exit 1\nERROR: NotFound\n")
    ['Running juice failed: exit 1', 'NotFound']
    """
    return [m.group(1).strip() or m.group(0).strip() for m in _QUARTO_ERROR.finditer(stderr)]


def self_contained(text: str) -> str:
    """The HTML with network-loaded scripts removed; a RenderError naming what is still fetched
    from outside (src/href/@import/url() to http(s) or //), so no published report depends on a
    network the reader may not have.

    >>> self_contained('<p>x</p><script src="https://cdn.jsdelivr.net/r.js"></script>')
    '<p>x</p>'
    """
    text = _REMOTE_SCRIPT.sub("", text)
    links = {m.group(1) for m in _REMOTE_RESOURCE.finditer(text)}
    links = {u for u in links if not u.startswith(("http://www.w3.org/", "https://www.w3.org/"))}
    if links:
        raise RenderError(f"the HTML still loads from outside: {', '.join(sorted(links)[:5])}")
    return text


def with_fonts(text: str) -> str:
    """The HTML with the report's fonts embedded (`fonts.css_font_faces`, subset to its text) and
    set on the page after Quarto's own theme, which ignores `mainfont` in HTML and would show Thai
    in whatever font the reader's device has."""
    family = f"'{fonts.LATIN_FAMILY}', '{fonts.THAI_FAMILY}', sans-serif"
    style = (
        f"<style>\n{fonts.css_font_faces(text)}\n"
        f"body, h1, h2, h3, h4, h5, h6, .title, table {{ font-family: {family}; }}\n</style>\n"
    )
    head = text.lower().rfind("</head>")
    return text[:head] + style + text[head:] if head >= 0 else style + text


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


def _page_frame(page: PageInfo) -> str:
    """The Typst page frame of templates/page.typ.j2 for `page` (both renderers use it)."""
    return _jinja().get_template("page.typ.j2").render(**_frame_values(page))


def render_quarto(
    executed: Path, out_dir: Path, page: PageInfo, name: str = "report"
) -> dict[str, Path]:
    """Render with Quarto (must be on PATH): HTML self-contained, PDF via Quarto's Typst format.
    Any error line in Quarto's output fails the render, even when Quarto exits 0."""
    quarto = shutil.which("quarto")
    if quarto is None:
        raise RenderError("quarto is not on PATH")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="quarto-") as tmp:
        src = Path(tmp) / "report.ipynb"
        nb = _report_notebook(executed)
        # the PDF's page frame (header, footer, fonts, headings) is the built-in renderer's own,
        # given to Quarto's Typst format as its `page.typ` partial
        # (a partial is a pandoc template: every "$", in the data too, is written "$$")
        partial = _page_frame(page).replace("$", "$$")
        (Path(tmp) / "page.typ").write_text(partial, encoding="utf-8")
        # and no `article` show rule: it would set justified paragraphs, 11pt text and an empty
        # document title over the frame's
        (Path(tmp) / "typst-show.typ").write_text(
            "// the page frame (page.typ) styles the document\n", encoding="utf-8"
        )
        # font paths relative to the input: Quarto reads "/..." as relative to the project, and
        # a comma-joined -M value as one path (its PDF then had no Thai font at all)
        font_paths = ", ".join(json.dumps(os.path.relpath(d, tmp)) for d in fonts.font_dirs())
        front = (
            "---\nformat:\n  typst:\n    template-partials: [page.typ, typst-show.typ]\n"
            f"    font-paths: [{font_paths}]\n---"
        )
        nb.cells.insert(0, nbformat.v4.new_raw_cell(front))
        nbformat.write(nb, src)
        # no title metadata: the notebook's first heading is the report's title, and Quarto
        # printed a title block above it (the title twice on page one); the HTML page's <title>
        # is set below, the PDF's by the page frame
        common = [
            "-M",
            "echo:false",
            "-M",
            "warning:false",
            "-M",
            f"lang:{page.lang}",
            "--no-execute",
        ]
        formats = {
            "html": [
                "--to",
                "html",
                "-M",
                "embed-resources:true",
                "-M",
                f"mainfont:{fonts.THAI_FAMILY}",
            ],
            "pdf": ["--to", "typst"],
        }
        outputs = {}
        for fmt, args in formats.items():
            proc = subprocess.run(
                [quarto, "render", str(src), *args, *common],
                cwd=tmp,
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                raise RenderError(
                    f"quarto render --to {args[1]} failed: {proc.stderr.strip()[-2000:]}"
                )
            errors = quarto_errors(proc.stderr)
            if errors:
                raise RenderError(
                    f"quarto render --to {args[1]} reported errors (exit code 0): "
                    + "; ".join(errors)[-2000:]
                )
            produced = Path(tmp) / f"report.{fmt}"
            if not produced.is_file():
                raise RenderError(f"quarto did not produce {produced.name}")
            if fmt == "html":
                text = self_contained(produced.read_text(encoding="utf-8"))
                # Quarto names the page after its temporary input without a title
                text = re.sub(
                    r"<title>.*?</title>",
                    lambda _m: f"<title>{html.escape(page.title)}</title>",
                    text,
                    count=1,
                    flags=re.DOTALL,
                )
                produced.write_text(with_fonts(text), encoding="utf-8")
            target = out_dir / f"{name}.{fmt}"
            shutil.move(produced, target)
            if fmt == "pdf":  # Quarto's PDF is Typst's too
                target.write_bytes(pdftext.mend(target.read_bytes()))
            outputs[fmt] = target
    return outputs
