"""Rendering an executed report notebook with Quarto: the same report as the built-in renderer.

`quarto render` makes the HTML and the Typst PDF from the executed notebook (never re-executed):
in one run for both, or in two at once where the render has the cores to itself (`at_once`).
The product's own parts replace Quarto's defaults where they differ:

- Tables: each HTML output is given to Quarto as Markdown holding two raw blocks, the HTML (with
  Quarto's table processing off) and the Typst the built-in renderer makes of it
  (`render.html_to_typst`, one pandoc run for all). With HTML outputs in the notebook Quarto put
  require.js and jQuery from a CDN into the page, ran its CSS inliner ("juice", one Deno process,
  about 0.5 s) per table for Typst, and laid the tables out in equal-width overlapping columns.
- HTML: Quarto's theme off (`minimal`), the built-in page's stylesheet (templates/report.css),
  its footer and <main>, the Thai font embedded and subset to the page's text, word breaks between
  Thai words (`thaiwrap`), each figure's alternative text (as `fig-alt`) and the figures inlined;
  anything still loaded from outside or from a file beside the page fails the render.
- PDF: the built-in renderer's Typst page frame (header, footer, fonts, headings, table style) as
  Quarto's `page.typ` partial.
- Markdown read as the built-in renderer reads it (no smart quotes, fancy lists, citations,
  superscript or subscript), so a name is shown as written.
- Quarto's output is read: an "(E)"/"ERROR" line fails the render even when Quarto exits 0;
  warnings are returned for the batch log.

`tests/parity.py` checks that both renderers publish the same headings, tables, figures, footer
and PDF text, on the sample's reports and the hostile fixture's.
"""

from __future__ import annotations

import base64
import html
import json
import mimetypes
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import nbformat
import yaml

from analysis.reports import fonts, pdftext, thaiwrap
from analysis.reports.render import (
    PageInfo,
    RenderError,
    html_to_typst,
    no_script_urls,
    page_frame,
    report_notebook,
    stylesheet,
)

__all__ = ["render_quarto", "quarto_errors", "quarto_warnings", "self_contained"]

# what Quarto prints when a step failed, even where it goes on and exits 0 (its own "(E)" lines,
# e.g. "(E) Running juice failed", and Deno's "ERROR:" lines)
_QUARTO_ERROR = re.compile(r"^\s*(?:\(E\)|ERROR\b)(?::)?\s*(.*)$", re.MULTILINE)
_QUARTO_WARNING = re.compile(r"^\s*(?:\(W\)|WARN(?:ING)?\b)(?::)?\s*(.*)$", re.MULTILINE)
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
# a paragraph between two tables in the one pandoc run that converts them all
_TABLE_SPLIT = "QUARTOTABLESPLIT7F3C9A"
# https://quarto.org/docs/authoring/tables.html#library-authors
_NO_TABLE_PROCESSING = "<!--| quarto-html-table-processing: none -->"


# the terminal colours Quarto puts around its error and warning lines ("\x1b[91mERROR: ...")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def quarto_errors(stderr: str) -> list[str]:
    r"""The error lines of Quarto's output (what follows "(E)" or "ERROR:"), colours removed.

    >>> quarto_errors("(W) slow\n(E) Running juice failed: exit 1\n\x1b[91mERROR: NotFound\x1b[39m\n")
    ['Running juice failed: exit 1', 'NotFound']
    """
    plain = _ANSI.sub("", stderr)
    return [m.group(1).strip() or m.group(0).strip() for m in _QUARTO_ERROR.finditer(plain)]


def quarto_warnings(stderr: str) -> list[str]:
    r"""The warning lines of Quarto's output (what follows "(W)", "WARN" or "WARNING").

    >>> quarto_warnings("(W) slow\n\x1b[33mWARN: no typst-gather\x1b[39m\nOutput created: r.html\n")
    ['slow', 'no typst-gather']
    """
    plain = _ANSI.sub("", stderr)
    return [m.group(1).strip() or m.group(0).strip() for m in _QUARTO_WARNING.finditer(plain)]


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


def _fence(text: str) -> str:
    """A code fence longer than any run of backticks in `text`."""
    return "`" * max(3, 1 + max((len(r) for r in re.findall(r"`+", text)), default=0))


def _html_outputs_as_markdown(nb: nbformat.NotebookNode, tmp: Path) -> int:
    """Every HTML output (the report's tables) made a Markdown output holding two raw blocks: the
    HTML for the web page, and for the PDF the Typst the built-in renderer makes of it (one pandoc
    run for all). Quarto then neither loads require.js and jQuery from a CDN into the page (which
    it does for any notebook with an HTML output, and which pandoc then tries to download to
    embed), nor restyles the table, nor runs its CSS inliner per table for Typst. Returns the
    number of outputs."""
    outputs = [
        o for cell in nb.cells for o in cell.get("outputs", []) if "text/html" in o.get("data", {})
    ]
    if not outputs:
        return 0
    sources = [o.data["text/html"].strip() for o in outputs]  # nbformat joined the lines
    joined = f"\n<p>{_TABLE_SPLIT}</p>\n".join(sources)
    parts = html_to_typst(joined, tmp).split(_TABLE_SPLIT)
    if len(parts) != len(outputs):
        raise RenderError(
            f"converting the report's {len(outputs)} HTML outputs to Typst gave {len(parts)} parts"
        )
    for output, source, typst in zip(outputs, sources, parts, strict=True):
        # Quarto's own HTML-table processing off: the table is the product's, as it is
        source = f"{_NO_TABLE_PROCESSING}\n{source}"
        typst = typst.strip()
        del output.data["text/html"]
        output.data["text/markdown"] = (
            f"{_fence(source)}{{=html}}\n{source}\n{_fence(source)}\n\n"
            f"{_fence(typst)}{{=typst}}\n{typst}\n{_fence(typst)}\n"
        )
    return len(outputs)


def _figure_alt_text(nb: nbformat.NotebookNode) -> None:
    """Each figure's alternative text (the output's `image/png` metadata, which the built-in
    renderer uses) as the cell's `fig-alt` option, one entry per output; Quarto reads the option
    and ignores the metadata, and its images had no description."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        alts = [
            o.get("metadata", {}).get("image/png", {}).get("alt")
            if "image/png" in o.get("data", {})
            else None
            for o in cell.get("outputs", [])
        ]
        if any(alts):
            # JSON is YAML: the text stays one quoted line, whatever it holds
            cell.source = f"#| fig-alt: {json.dumps(alts, ensure_ascii=False)}\n" + cell.source


def _front_matter(page: PageInfo, tmp: Path) -> str:
    """The document options: both formats' in one raw cell at the top of Quarto's input."""
    # font paths relative to the input: Quarto reads "/..." as relative to the project, and a
    # comma-joined -M value as one path (its PDF then had no Thai font at all)
    options = {
        # the Markdown read as the built-in renderer reads it (CommonMark-like), so the text is
        # as written: no typographic quotes ("'" in a name stays "'"), "(1)" at a line's start is
        # no list, and "@smith", "^x^" and "~x~" in a name are no citation (which failed the
        # Typst compile: "the document does not contain a bibliography"), superscript or
        # subscript
        "from": "markdown-smart-fancy_lists-example_lists-citations-superscript-subscript",
        "lang": page.lang,
        "echo": False,
        "warning": False,
        "format": {
            "html": {
                "minimal": True,  # no Bootstrap theme: the product's stylesheet
                # the page is self-contained but for the figures, which _inline_images embeds
                "embed-resources": False,
                "format-links": False,
                "include-in-header": "head.html",
                "include-after-body": "foot.html",
            },
            "typst": {
                "template-partials": ["page.typ", "typst-show.typ"],
                "font-paths": [os.path.relpath(d, tmp) for d in fonts.font_dirs()],
            },
        },
    }
    return "---\n" + yaml.safe_dump(options, allow_unicode=True, sort_keys=False) + "---"


def _write_input(executed: Path, page: PageInfo, tmp: Path) -> Path:
    """Quarto's input in `tmp`: the report notebook with its options, and the parts it uses."""
    nb = report_notebook(executed)
    for cell in nb.cells:  # papermill's timings: Quarto writes cell metadata into the HTML
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    _html_outputs_as_markdown(nb, tmp)
    _figure_alt_text(nb)
    # no title metadata: the notebook's first heading is the report's title (Quarto printed a
    # title block above it: the title twice); the HTML's <title> is set after the render, the
    # PDF's by the page frame
    nb.cells.insert(0, nbformat.v4.new_raw_cell(_front_matter(page, tmp)))
    src = tmp / "report.ipynb"
    nbformat.write(nb, src)
    # the PDF's page frame (header, footer, fonts, headings, tables) is the built-in renderer's,
    # given to Quarto's Typst format as its `page.typ` partial (a partial is a pandoc template:
    # every "$", in the data too, is written "$$") ...
    (tmp / "page.typ").write_text(page_frame(page).replace("$", "$$"), encoding="utf-8")
    # ... and no `article` show rule: it would set justified paragraphs, 11pt text and an empty
    # document title over the frame's
    (tmp / "typst-show.typ").write_text(
        "// the page frame (page.typ) styles the document\n", encoding="utf-8"
    )
    (tmp / "head.html").write_text(f"<style>\n{stylesheet()}</style>\n", encoding="utf-8")
    (tmp / "foot.html").write_text(
        f"<footer>{html.escape(page.footer())}</footer>\n", encoding="utf-8"
    )
    return src


# an image Quarto wrote beside the page (a notebook's figure): src="report_files/figure-html/..."
_LOCAL_IMAGE = re.compile(r"""(<img\b[^>]*?\bsrc=")(?!data:)([^"]+)(")""", re.IGNORECASE)
# anything else the page would load from a file beside it
_LOCAL_RESOURCE = re.compile(
    r"""<(?:script|img|iframe|embed|source)\b[^>]*?\bsrc=["']?(?!data:|["'])([^"' >]+)"""
    r"""|<link\b[^>]*?\bhref=["']?(?!data:)([^"' >]+)""",
    re.IGNORECASE,
)


def _inline_images(text: str, folder: Path) -> str:
    """The page with the figures Quarto wrote into `folder` inlined as data: URIs (what its
    `embed-resources` did with a second pandoc pass over the whole page, 0.4 s, and an attempt to
    download every remote script); a RenderError for anything else it would load from a file."""

    def inline(match: re.Match) -> str:
        path = (folder / html.unescape(match.group(2))).resolve()
        if folder.resolve() not in path.parents or not path.is_file():
            raise RenderError(f"Quarto's HTML shows an image that is not there: {match.group(2)}")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"{match.group(1)}data:{mime};base64,{data}{match.group(3)}"

    text = _LOCAL_IMAGE.sub(inline, text)
    local = [m.group(1) or m.group(2) for m in _LOCAL_RESOURCE.finditer(text)]
    if local:
        raise RenderError(f"the HTML loads files beside it: {', '.join(local[:5])}")
    return text


def _finish_html(text: str, page: PageInfo, folder: Path) -> str:
    """Quarto's HTML made the product's page: self-contained (figures from `folder` inlined),
    titled, in <main>, Thai word breaks, fonts."""
    text = no_script_urls(_inline_images(self_contained(text), folder))
    # Quarto names the page after its temporary input when there is no title
    text = re.sub(
        r"<title>.*?</title>",
        lambda _m: f"<title>{html.escape(page.title)}</title>",
        text,
        count=1,
        flags=re.DOTALL,
    )
    # the page's content in <main>, as on the built-in page (Quarto's minimal page has none)
    text = re.sub(r"(<body\b[^>]*>)", r"\1\n<main>", text, count=1, flags=re.IGNORECASE)
    end = text.lower().rfind("</body>")
    text = f"{text[:end]}</main>\n{text[end:]}" if end >= 0 else text
    if page.lang == "th":
        text = thaiwrap.with_word_breaks(text)
    if "table.report-table" not in text:
        raise RenderError("Quarto's HTML lost the report's stylesheet (head.html)")
    # the fonts embedded, subset to exactly the characters this page uses
    head = text.lower().rfind("</head>")
    if head < 0:
        raise RenderError("Quarto's HTML has no </head>")
    return f"{text[:head]}<style>\n{fonts.css_font_faces(text)}\n</style>\n{text[head:]}"


def _quarto_runs(quarto: str, runs: list[tuple[str, Path]], src: str) -> str:
    """Run `quarto render` once per (formats, folder), all at once; their stderr. A RenderError
    when one fails (the others are stopped)."""
    procs = [
        (
            to,
            subprocess.Popen(
                [quarto, "render", src, "--to", to, "--no-execute"],
                cwd=folder,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
        )
        for to, folder in runs
    ]
    stderr = []
    try:
        for to, proc in procs:
            _, err = proc.communicate()
            if proc.returncode != 0:
                raise RenderError(f"quarto render --to {to} failed: {err.strip()[-2000:]}")
            stderr.append(err)
    finally:
        for _, proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return "\n".join(stderr)


def render_quarto(
    executed: Path,
    out_dir: Path,
    page: PageInfo,
    name: str = "report",
    warnings: list[str] | None = None,
    at_once: bool | None = None,
) -> dict[str, Path]:
    """Render with Quarto (must be on PATH) to <name>.html (self-contained) and <name>.pdf (Typst)
    in `out_dir`. Any error line in Quarto's output fails the render, even when Quarto exits 0;
    its warning lines are appended to `warnings`.

    `at_once`: render the HTML and the PDF in two Quarto processes at the same time (about 0.6 s
    faster for one report on two cores, for 0.8 s more CPU time) instead of one process for both;
    by default when the machine has more than one core. The batch turns it off when its reports
    already keep every core busy."""
    quarto = shutil.which("quarto")
    if quarto is None:
        raise RenderError("quarto is not on PATH")
    if at_once is None:
        at_once = (os.cpu_count() or 1) > 1
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="quarto-") as tmp_name:
        first, second = Path(tmp_name) / "a", Path(tmp_name) / "b"
        first.mkdir()
        src = _write_input(executed, page, first)
        if at_once:  # a copy at the same depth: the input's relative font paths hold there too
            shutil.copytree(first, second)
            runs = [("html", first), ("typst", second)]
        else:
            runs = [("html,typst", first)]
        stderr = _quarto_runs(quarto, runs, src.name)
        errors = quarto_errors(stderr)
        if errors:
            raise RenderError(
                "quarto render reported errors (exit code 0): " + "; ".join(errors)[-2000:]
            )
        if warnings is not None:
            warnings += list(dict.fromkeys(quarto_warnings(stderr)))  # once, not once per run
        produced = {"html": first / f"{src.stem}.html", "pdf": runs[-1][1] / f"{src.stem}.pdf"}
        for path in produced.values():
            if not path.is_file():
                raise RenderError(f"quarto did not produce {path.name}")
        outputs = {fmt: out_dir / f"{name}.{fmt}" for fmt in produced}
        html_text = produced["html"].read_text(encoding="utf-8")
        outputs["html"].write_text(_finish_html(html_text, page, first), encoding="utf-8")
        # Quarto's PDF is Typst's too: Thai that copies and searches
        outputs["pdf"].write_bytes(pdftext.mend(produced["pdf"].read_bytes()))
    return outputs
