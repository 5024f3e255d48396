"""The page frame of the PDF treats names as text (issue 18, failure 2): a team name with `$`,
`#`, `//` or a Typst call is printed as written, on every page, and does not stop the report."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pypdfium2 as pdfium
import pytest

from analysis.reports.progress import TeamResult, line
from analysis.reports.render import PageInfo, render_builtin

HOSTILE = [
    "Price $5,000 and $10",
    "Khon Kaen #text(fill: red, size: 24pt)[TYPST-INJECTED]",
    "Team #1 // HQ",
    'Quote " and back\\slash',
]


def _pdf_text(path: Path) -> list[str]:
    pdf = pdfium.PdfDocument(str(path))
    return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]


@pytest.mark.parametrize("name", HOSTILE)
def test_names_in_the_pdf_page_frame_are_text(name, tmp_path):
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# First part"),
            nbformat.v4.new_markdown_cell("# Second part"),
            # a table as the views write them (data HTML-escaped), through pandoc into Typst
            nbformat.v4.new_code_cell(
                outputs=[
                    nbformat.v4.new_output(
                        "display_data",
                        data={
                            "text/html": "<table><tr><th>team</th></tr><tr><td>"
                            + html.escape(name)
                            + "</td></tr></table>"
                        },
                    )
                ]
            ),
        ]
    )
    executed = tmp_path / "report.ipynb"
    nbformat.write(nb, executed)
    page = PageInfo(
        title=f"Report: {name}",
        scope_name=name,
        month_label="October 2026",
        lang="en",
        content_hash="0" * 64,
        renderer="builtin",
    )
    files = render_builtin(executed, tmp_path / "out", page)
    pages = _pdf_text(files["pdf"])
    assert len(pages) == 2  # each part on its page: the header shows on page 2
    header = pages[1].replace("\r", "").split("\n")[0]
    assert header.startswith(f"{name} · October 2026"), header
    assert name in pages[1].replace("\r", "")  # the table cell too


@pytest.mark.parametrize("name", ["Price $5,000 and $10", r"Bad $\frac{$ math"])
def test_names_in_charts_are_text(name):
    """Issue 18, failure 4: a `$` in a rep name was matplotlib mathtext: a bad expression failed
    the team's and the company's report, a harmless one garbled the name."""
    import matplotlib.pyplot as plt
    import pandas as pd

    from analysis.reports import plots

    reps = pd.DataFrame({"rep_name": [name, "Somchai"], "quota_attainment": [0.8, 1.1]})
    fig = plots.plot_rep_attainment(reps, lang="en")
    fig.canvas.draw()  # mathtext is parsed when drawn
    ticks = {t.get_text(): t for t in fig.axes[0].get_yticklabels()}
    plt.close(fig)
    # drawn as plain text: matplotlib would read the label as mathtext otherwise
    assert ticks[name]._preprocess_math(name) == (name, False)


MARKDOWN_HOSTILE = "[click-me](javascript:alert(3)) *not bold* $5 and $10 <script>x</script>"


def test_data_text_in_markdown_cells_stays_text_and_no_script_url_survives(tmp_path):
    """Issue 18, failure 3: names were HTML-escaped and then read as Markdown, so a region
    `[click-me](javascript:alert(3))` became a clickable javascript: link in report.html."""
    from analysis.reports.text import md_text

    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(f"# Report: {md_text(MARKDOWN_HOSTILE)}"),
            nbformat.v4.new_markdown_cell(f"Region: {md_text(MARKDOWN_HOSTILE)}"),
            # and an HTML output that carries such a link however it got there
            nbformat.v4.new_code_cell(
                outputs=[
                    nbformat.v4.new_output(
                        "display_data",
                        data={"text/html": "<a href='JavaScript:alert(4)'>more</a>"},
                    )
                ]
            ),
        ]
    )
    executed = tmp_path / "report.ipynb"
    nbformat.write(nb, executed)
    page = PageInfo("Report", "Team", "October 2026", "en", "0" * 64, "builtin")
    files = render_builtin(executed, tmp_path / "out", page)
    text = files["html"].read_text(encoding="utf-8")
    assert not re.search(r"""(href|src)\s*=\s*["']?\s*javascript:""", text, re.IGNORECASE)
    assert "<em>" not in text and "<script>x" not in text
    assert html.escape(MARKDOWN_HOSTILE, quote=False) in text  # shown as written, twice
    assert text.count(html.escape(MARKDOWN_HOSTILE, quote=False)) == 2
    assert MARKDOWN_HOSTILE in "".join(_pdf_text(files["pdf"])).replace("\r\n", " ")


LONG = "Khon Kaen " + "x" * 4990  # 5,000 characters


def _png_size(fig) -> tuple[int, int]:
    """The pixel size of `fig` as the notebook shows it (the inline backend's tight box)."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return Image.open(io.BytesIO(buf.getvalue())).size


def test_long_names_and_many_rows_give_bounded_charts():
    """Issue 18, failure 12: 5,000-character names made a 181-megapixel chart. Labels are cut,
    a chart shows at most MAX_BARS bars (the lowest and highest), and no figure is taller than
    MAX_HEIGHT, whatever the data."""
    import matplotlib.pyplot as plt
    import pandas as pd

    from analysis.reports import plots

    reps = pd.DataFrame(
        {
            "rep_name": [LONG] * 2 + [f"rep {i}" for i in range(298)],
            "quota_attainment": [0.05, 0.06] + [0.1 + i / 300 for i in range(298)],
        }
    )
    fig = plots.plot_rep_attainment(reps, lang="en")
    labels = [tick.get_text() for tick in fig.axes[0].get_yticklabels()]
    assert len(labels) == plots.MAX_BARS
    assert labels[:2] == [labels[0], labels[0]] and len(labels[0]) <= plots.LABEL_CHARS
    assert labels[0].startswith("Khon Kaen x") and labels[0].endswith("…")
    assert "20 lowest and 20 highest of 300" in fig.axes[0].get_xlabel()
    width, height = _png_size(fig)
    dpi = fig.dpi
    assert width <= 9 * dpi and height <= (plots.MAX_HEIGHT + 1) * dpi, (width, height)
    # drawn at the PDF's text width, it fits the page's text height with a heading above it:
    # A4 297 mm less the 22 mm and 20 mm margins less ~12 mm of heading, over 210 less 2 x 18 mm
    assert height / width <= (297 - 22 - 20 - 12) / (210 - 2 * 18), (width, height)
    plt.close(fig)

    trend = pd.DataFrame(
        {
            "team_name": [LONG, LONG, "Short", "Short"],
            "month": pd.PeriodIndex(["2026-09", "2026-10"] * 2, freq="M"),
            "revenue": [1e6, 2e6, 3e6, 4e6],
            "quota": [2e6] * 4,
        }
    )
    fig = plots.plot_team_small_multiples(trend, lang="en")
    assert _png_size(fig)[0] <= 9 * fig.dpi
    plt.close(fig)


def test_two_reps_of_one_name_are_two_bars():
    import matplotlib.pyplot as plt
    import pandas as pd

    from analysis.reports import plots

    reps = pd.DataFrame({"rep_name": ["Somchai", "Somchai"], "quota_attainment": [0.5, 1.2]})
    fig = plots.plot_rep_attainment(reps, lang="en")
    assert len({bar.get_y() for bar in fig.axes[0].patches}) == 2  # two rows, not one on another
    plt.close(fig)


def test_long_text_in_tables_sentences_and_the_index_is_cut_with_the_whole_in_a_tooltip(tmp_path):
    import pandas as pd

    from analysis.reports.context import html_table
    from analysis.reports.site import write_index
    from analysis.reports.text import CELL_CHARS, NAME_CHARS, md_text

    table = html_table(pd.DataFrame({"rep": [LONG, "<b>short</b>"], "n": [1, 2]}), "t").data
    cells = re.findall(r"<td[^>]*>(.*?)</td>", table, re.DOTALL)
    shown = re.sub(r"<[^>]+>", "", cells[0])
    assert len(html.unescape(shown)) <= CELL_CHARS and shown.endswith("…")
    assert f'title="{LONG}"' in cells[0]
    assert cells[2] == "&lt;b&gt;short&lt;/b&gt;"  # short text as it was: escaped, whole
    assert len(md_text(LONG)) <= NAME_CHARS
    folder = tmp_path / "reports" / "2026-10" / "khon-kaen"
    folder.mkdir(parents=True)
    (folder / "report.html").write_text("x", encoding="utf-8")
    (folder / "headline.json").write_text(f'{{"scope_name": "{LONG}"}}', encoding="utf-8")
    index = write_index(tmp_path / "reports", "en").read_text(encoding="utf-8")
    assert index.count(LONG) == 1 and f'title="{LONG}"' in index  # whole once: in the tooltip


@pytest.mark.parametrize(
    ("timezone", "lang", "buddhist_era", "shown"),
    [  # SOURCE_DATE_EPOCH 1790000000 is 2026-09-21 14:13:20 UTC; each local time by hand
        ("Asia/Bangkok", "th", True, "21 กันยายน 2569 21:13 (UTC+7)"),
        ("UTC", "en", False, "21 September 2026 14:13 (UTC)"),
        ("Asia/Kolkata", "en", False, "21 September 2026 19:43 (UTC+5:30)"),
        ("America/St_Johns", "en", False, "21 September 2026 11:43 (UTC-2:30)"),  # summer time
    ],
)
def test_the_footer_time_is_the_datasets_local_time_in_the_reports_calendar(
    timezone, lang, buddhist_era, shown, monkeypatch
):
    """Issue 14: the footer gave the time in UTC and the Gregorian year in a Thai report."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")
    page = PageInfo("Report", "Team", "m", lang, "0" * 64, "builtin", timezone, buddhist_era)
    assert page.generated() == shown
    assert page.footer().endswith(shown)


def test_legends_sit_above_the_data():
    """Issue 14, item 4: the revenue chart's legend covered its tallest bar. Every chart with a
    legend places it above the plot area, clear of bars and lines."""
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    from analysis.reports import plots

    months = pd.period_range("2025-11", "2026-10", freq="M")
    revenue = np.full(len(months), 4e6)
    revenue[0] = 10e6  # the tallest bar first, where a legend at the upper left would sit
    figures = [
        plots.plot_revenue_vs_quota(
            pd.DataFrame({"month": months, "revenue": revenue, "quota": 6e6}), lang="th"
        ),
        plots.plot_cycle_lengths(
            pd.DataFrame({"outcome": ["won"] * 30 + ["lost"] * 30, "days": range(60)}), lang="en"
        ),
        plots.plot_backtest_errors(
            pd.DataFrame(
                {
                    "model": ["prophet"] * 3 + ["seasonal_naive"] * 3,
                    "h": [1, 2, 3] * 2,
                    "mase": [0.8, 0.9, 1.0, 1.0, 1.0, 1.0],
                }
            ),
            lang="en",
        ),
    ]
    for fig in figures:
        fig.canvas.draw()
        ax = fig.axes[0]
        legend = ax.get_legend().get_window_extent()
        assert legend.y0 >= ax.get_window_extent().y1 - 1, fig.axes[0].get_ylabel()
        plt.close(fig)


def test_alt_text_of_a_chart_without_titles_names_its_parts_not_its_scale():
    """The waterfall and the funnel have no title or axis label: their alt text is their
    categories and bar labels, without the axis scale ("0.0M, 5.0M, ...")."""
    import matplotlib.pyplot as plt

    from analysis.i18n import t
    from analysis.reports import plots

    w = {"open_start": 11.6e6, "created": 9.7e6, "reopened": 0.2e6, "increased": 0.25e6}
    w |= {"decreased": 0.15e6, "won": 2.3e6, "lost": 8.5e6, "unexplained": -0.2e6}
    fig = plots.plot_waterfall({**w, "open_end": 10.7e6}, lang="en")
    alt = plots.alt_text(fig)
    assert t("wf_increased", "en") in alt and "11.6M" in alt  # a category, a bar's label
    assert t("wf_reopened", "en") in alt and t("wf_unexplained", "en") in alt
    assert "0.0M" not in alt and "5.0M" not in alt
    plt.close(fig)


def test_short_tables_are_kept_on_one_pdf_page():
    """Issue 14: a one-row table alone at the foot of a page, a 5-row table split 2/3. A table of
    up to KEEP_ROWS rows carries the attribute pandoc turns into a Typst figure kind the page
    template never breaks; a longer one flows across pages with its header repeated."""
    import pandas as pd

    from analysis.reports.context import KEEP_ROWS, html_table
    from analysis.reports.render import TEMPLATES_DIR

    short = html_table(pd.DataFrame({"a": range(5)}), "t").data
    long = html_table(pd.DataFrame({"a": range(KEEP_ROWS + 1)}), "t").data
    assert 'data-typst:figure:kind="&quot;keep&quot;"' in short
    assert "data-typst:figure:kind" not in long
    template = "".join(
        (TEMPLATES_DIR / f).read_text(encoding="utf-8") for f in ("page.typ.j2", "report.typ.j2")
    )
    assert "#show figure: set block(breakable: false)" in template
    assert "#show figure.where(kind: table): set block(breakable: true)" in template


def test_amount_axes_label_every_tick_apart():
    """Issue 15: an axis of a small company read "0.2M, 0.1M, 0.1M, 0.1M, ... 0.0M". Amount axes
    pick thousands or millions by the largest tick and the fewest decimals that keep every
    label distinct."""
    import matplotlib.pyplot as plt

    from analysis.reports.plots import MoneyAxis

    for top, unit in ((2.2e5, "K"), (2.3e6, "M"), (1.6e5, "K"), (0.9e6, "M"), (140.0, "")):
        fig, ax = plt.subplots()
        ax.plot([0, top])
        ax.yaxis.set_major_formatter(MoneyAxis())
        fig.canvas.draw()
        labels = [tick.get_text() for tick in ax.get_yticklabels()]
        plt.close(fig)
        assert len(set(labels)) == len(labels), labels
        assert all(x.endswith(unit) for x in labels if x not in ("0", "")), (top, labels)
    axis = MoneyAxis()
    axis.set_locs([0, 50_000, 100_000, 150_000, 200_000])
    assert [axis(v) for v in (0, 50_000, 150_000)] == ["0", "50K", "150K"]
    axis.set_locs([0, 0.05e6, 0.1e6, 0.15e6, 2.0e6])
    assert len({axis(v) for v in (0, 0.05e6, 0.1e6, 0.15e6, 2.0e6)}) == 5


# --- Quarto's output, checked without Quarto: a stand-in `quarto` on PATH ------------------------

_FAKE_QUARTO = """#!{python}
import shutil
import subprocess
import sys
from pathlib import Path

import typst

formats = sys.argv[sys.argv.index("--to") + 1].split(",")
shutil.copy("report.ipynb", {keep!r})  # what it was given, for the test to read
with open({keep!r} + ".runs", "a") as runs:  # how it was run
    runs.write(",".join(formats) + "\\n")
sys.stderr.write({stderr!r})
if "html" in formats:  # the page with the document's head and after-body includes, as Quarto's
    page = {html!r}
    if "<head>" not in page:
        page = "<html><head></head><body>" + page + "</body></html>"
    head, foot = Path("head.html").read_text(), Path("foot.html").read_text()
    page = page.replace("</head>", head + "</head>").replace("</body>", foot + "</body>")
    Path("report.html").write_text(page, encoding="utf-8")
if "typst" in formats:
    Path("report.typ").write_text("Report", encoding="utf-8")
    Path("report.pdf").write_bytes(typst.compile("report.typ"))
"""


def _fake_quarto(tmp_path, monkeypatch, stderr="", body="<p>ok</p>", nb=None):
    """A `quarto` that writes `body` as the HTML (with the render's head and footer includes)
    and a one-line PDF, prints `stderr` and exits 0 (as Quarto 1.10 did after a failed step),
    and keeps the notebook it was given as tmp_path/given.ipynb; the PageInfo and notebook
    (`nb`, or one heading) to render."""
    import sys

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "quarto"
    script.write_text(
        _FAKE_QUARTO.format(
            python=sys.executable, stderr=stderr, html=body, keep=str(tmp_path / "given.ipynb")
        )
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    executed = tmp_path / "report.ipynb"
    if nb is None:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A")])
    nbformat.write(nb, executed)
    page = PageInfo("Report", "Team", "October 2026", "en", "0" * 64, "quarto")
    return executed, page


@pytest.mark.parametrize(
    "error",
    [
        "(E) Running juice failed: exit code 1",
        # in a terminal's colours, as Quarto writes its ERROR lines (they went unseen)
        "\x1b[91mERROR: Running juice failed: exit code 1\x1b[39m",
    ],
)
def test_a_quarto_error_fails_the_render_even_when_quarto_exits_0(error, tmp_path, monkeypatch):
    """Issue 19: Quarto printed "(E) Running juice failed" and exited 0, and the report was
    published as ok with 42 of its 59 table fills. Its warnings go to the batch log."""
    from analysis.reports.quarto import render_quarto
    from analysis.reports.render import RenderError

    executed, page = _fake_quarto(tmp_path, monkeypatch, stderr=f"(W) slow\n{error}\n")
    with pytest.raises(RenderError, match="reported errors.*Running juice failed"):
        render_quarto(executed, tmp_path / "out", page)
    assert not (tmp_path / "out" / "report.html").exists()
    # warnings alone do not fail it
    ok = tmp_path / "ok"
    ok.mkdir()
    stderr = "(W) slow\n\x1b[33mWARN: no typst-gather\x1b[39m\n"
    executed, page = _fake_quarto(ok, monkeypatch, stderr=stderr)
    warnings: list[str] = []
    files = render_quarto(executed, ok / "out", page, warnings=warnings)
    assert files["html"].is_file() and files["pdf"].is_file()
    # shown in the batch log under the team's line (issue 19: "warnings are shown")
    assert warnings == ["slow", "no typst-gather"]
    shown = line(TeamResult("bangkok", True, 5.0, tuple(files.values()), warnings=tuple(warnings)))
    assert shown.splitlines()[1:] == ["        warning: slow", "        warning: no typst-gather"]


def test_quarto_is_given_the_tables_as_typst_and_no_html_output(tmp_path, monkeypatch):
    """Issue 19: Quarto ran its CSS inliner (one Deno process, ~0.5 s) for each of a report's
    24 HTML tables in the PDF and laid them out in equal-width overlapping columns, and for any
    HTML output it put require.js and jQuery from a CDN into the page. It is now given each
    table as Markdown holding the HTML (its table processing off) and the built-in renderer's
    Typst; figures carry their alternative text as `fig-alt`, which Quarto reads."""
    import json

    from analysis.metrics.scorecards import RAG_COLORS
    from analysis.reports.quarto import render_quarto

    name = "Team ```$5``` #1 <b>"
    table = (
        '<style type="text/css">#T_a_row0_col1 { background-color: #d7f0dd; }</style>'
        '<table class="report-table"><thead><tr><th>rep</th><th>status</th></tr></thead><tbody>'
        f'<tr><td>{html.escape(name)}</td><td class="data rag-green">on target</td></tr>'
        "</tbody></table>"
    )
    png = "iVBORw0KGgo="
    cells = [
        nbformat.v4.new_code_cell(
            source="show(table)",
            outputs=[nbformat.v4.new_output("display_data", data={"text/html": table})],
        ),
        nbformat.v4.new_code_cell(
            source="show(chart)",
            outputs=[
                nbformat.v4.new_output("display_data", data={"text/markdown": "## Chart"}),
                nbformat.v4.new_output(
                    "display_data",
                    data={"image/png": png},
                    metadata={"image/png": {"alt": 'Revenue of "A" — 3 bars'}},
                ),
            ],
        ),
    ]
    executed, page = _fake_quarto(tmp_path, monkeypatch, nb=nbformat.v4.new_notebook(cells=cells))
    render_quarto(executed, tmp_path / "out", page)
    given = nbformat.read(tmp_path / "given.ipynb", as_version=4)
    outputs = [o for c in given.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if "text/html" in o.get("data", {})]
    markdown = outputs[0].data["text/markdown"]
    blocks = re.findall(
        r"^(`{3,})\{=(html|typst)\}\n(.*?)\n\1$", markdown, re.DOTALL | re.MULTILINE
    )
    assert [kind for _, kind, _ in blocks] == ["html", "typst"], markdown
    (fence_html, _, html_part), (fence_typst, _, typst_part) = blocks
    assert html_part.startswith("<!--| quarto-html-table-processing: none -->")
    assert html.escape(name) in html_part and len(fence_html) > 3  # the name's ``` stays inside
    assert "table(" in typst_part and f'rgb("{RAG_COLORS["green"]}")' in typst_part
    assert "on target" in typst_part
    # the figure's description, one entry per output of its cell
    options = given.cells[2].source.splitlines()[0]
    assert options.startswith("#| fig-alt: ")
    assert json.loads(options.removeprefix("#| fig-alt: ")) == [None, 'Revenue of "A" — 3 bars']


def test_quarto_renders_html_and_pdf_in_one_run_or_two_at_once(tmp_path, monkeypatch):
    """Two Quarto processes at once (HTML, Typst) when the render has cores to itself, one for
    both when the batch keeps every core busy: the same two files either way."""
    from analysis.reports.quarto import render_quarto

    executed, page = _fake_quarto(tmp_path, monkeypatch)
    runs = tmp_path / "given.ipynb.runs"
    for at_once, expected in ((True, ["html", "typst"]), (False, ["html,typst"])):
        runs.unlink(missing_ok=True)
        files = render_quarto(executed, tmp_path / f"out-{at_once}", page, at_once=at_once)
        assert sorted(runs.read_text().split()) == expected
        assert "<p>ok</p>" in files["html"].read_text(encoding="utf-8")
        assert files["pdf"].read_bytes().startswith(b"%PDF")


def test_quarto_html_loads_nothing_from_outside(tmp_path, monkeypatch):
    """Issue 19: Quarto added require.js and jQuery from a public CDN to the HTML. They are
    removed; anything else fetched from outside fails the render, naming it."""
    from analysis.reports.quarto import render_quarto
    from analysis.reports.render import RenderError

    cdn = (
        '<script src="https://cdn.jsdelivr.net/npm/requirejs@2.3.6/require.min.js" '
        'integrity="sha384-x" crossorigin="anonymous"></script>\n'
        "<script src='https://cdn.jsdelivr.net/npm/jquery@3.5.1/dist/jquery.min.js'></script>"
    )
    body = f"<html><head>{cdn}</head><body><p>ok</p><script>var a = 1;</script></body></html>"
    executed, page = _fake_quarto(tmp_path, monkeypatch, body=body)
    text = render_quarto(executed, tmp_path / "out", page)["html"].read_text(encoding="utf-8")
    assert "cdn.jsdelivr" not in text and "<p>ok</p>" in text
    assert "<script>var a = 1;</script>" in text  # inline scripts stay
    remote = re.compile(r"""(src|href)\s*=\s*["']?(https?:)?//|@import\s+url""", re.IGNORECASE)
    assert not remote.search(text)
    other = tmp_path / "other"
    other.mkdir()
    css = '<html><head><link rel="stylesheet" href="https://fonts.example.com/a.css"></head></html>'
    executed, page = _fake_quarto(other, monkeypatch, body=css)
    with pytest.raises(RenderError, match="loads from outside: https://fonts.example.com/a.css"):
        render_quarto(executed, other / "out", page)


def test_quarto_html_carries_the_thai_font(tmp_path, monkeypatch):
    """Issue 19: "Noto Sans Thai" appeared nowhere in Quarto's report.html (`mainfont` does not
    reach its HTML theme), so Thai showed in whatever font the reader's phone had."""
    from analysis.reports import fonts
    from analysis.reports.quarto import render_quarto

    body = (
        "<html><head><style>body { font-family: system-ui; }</style></head>"
        "<body><h1>รายงานทีมกรุงเทพฯ</h1></body></html>"
    )
    executed, page = _fake_quarto(tmp_path, monkeypatch, body=body)
    text = render_quarto(executed, tmp_path / "out", page)["html"].read_text(encoding="utf-8")
    face = re.search(r"@font-face \{ font-family: '" + fonts.THAI_FAMILY + r"'[^}]*base64,", text)
    assert face, text[:500]
    # set after Quarto's own rule, so it wins
    assert text.index("system-ui") < text.rindex(f"'{fonts.THAI_FAMILY}', sans-serif")


@pytest.mark.quarto
@pytest.mark.skipif(shutil.which("quarto") is None, reason="quarto is not on PATH")
def test_quarto_pdf_page_frame_shows_hostile_names_as_text(tmp_path):
    """The page frame given to Quarto is a pandoc template: a "$" in a team's name broke it
    ("Error compiling template"); "#", "//" and quotes must stay text in Typst too."""
    from analysis.reports.quarto import render_quarto

    name = 'Team $5 #1 // "HQ" \\ [x](y)'
    executed = tmp_path / "report.ipynb"
    # headings as the report's views write them: Markdown outputs of code cells
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                outputs=[nbformat.v4.new_output("display_data", data={"text/markdown": f"# {h}"})]
            )
            for h in ("First part", "B")
        ]
    )
    nbformat.write(nb, executed)
    page = PageInfo(f"Report: {name}", name, "October 2026", "en", "0" * 64, "quarto")
    files = render_quarto(executed, tmp_path / "out", page)
    pages = _pdf_text(files["pdf"])
    assert len(pages) == 2  # each part on its page: the header shows on page 2
    assert f"{name} · October 2026" in pages[1].replace("\r\n", " ")
    assert "· quarto ·" in pages[0]


@pytest.mark.quarto
@pytest.mark.skipif(shutil.which("quarto") is None, reason="quarto is not on PATH")
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed")
def test_quarto_reads_names_in_markdown_as_the_builtin_renderer_does(tmp_path, monkeypatch):
    """Quarto's Markdown is pandoc's: "@smith" in a rep's name became a citation and failed the
    PDF ("the document does not contain a bibliography"), "'" became a curly quote, "(1)" a
    list, "^x^" superscript; a shortcode in a name must stay text. Both renderers must publish
    the same report (tests/parity.py)."""
    from parity import assert_same_report

    from analysis.reports.text import cell_html, md_text

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")
    name = "Team {{< pagebreak >}} {{< meta lang >}} @smith ^up^ ~down~ 'q' <!-- c --> :smile:"
    markdown = f"# Report {md_text(name)}\n\n(1) Manager: {md_text(name)}"
    table = (
        '<table class="report-table"><thead><tr><th>rep</th></tr></thead>'
        f"<tbody><tr><td>{cell_html(name)}</td></tr></tbody></table>"
    )
    outputs = [
        nbformat.v4.new_output("display_data", data={"text/markdown": markdown}),
        nbformat.v4.new_output("display_data", data={"text/html": table}),
    ]
    executed = tmp_path / "report.ipynb"
    nbformat.write(
        nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=outputs)]), executed
    )
    page = {
        "title": name,
        "scope_name": name,
        "month_label": "October 2026",
        "lang": "en",
        "content_hash": "0" * 64,
    }
    assert_same_report(executed, tmp_path / "out", page)
    pdf = subprocess.run(
        ["pdftotext", str(tmp_path / "out" / "quarto" / "report.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Team {{< pagebreak >}} {{< meta lang >}} @smith ^up^ ~down~ 'q'" in pdf
    assert "(1) Manager:" in pdf


def test_small_multiples_past_twelve_teams_draw_the_lowest_and_highest_and_say_so():
    """300 teams drew 300 specks of panels in most of a minute; past MAX_PANELS teams the chart
    draws the first and last halves of the ranking it is given (lowest attainment first), in that
    order, and its title says how many of how many. Teams not ranked (no quota) are not drawn."""
    import matplotlib.pyplot as plt
    import pandas as pd

    from analysis.reports import plots

    names = [f"Team {i:02d}" for i in range(40)]
    months = pd.PeriodIndex(["2026-08", "2026-09"], freq="M")
    trend = pd.DataFrame(
        [(n, m, 1e6 * (i + 1), 2e6) for i, n in enumerate(names) for m in months],
        columns=["team_name", "month", "revenue", "quota"],
    )
    ranked = names[::-1][:39]  # lowest first: Team 39 ... Team 01; Team 00 has no attainment
    fig = plots.plot_team_small_multiples(trend, lang="en", ranked=ranked)
    shown = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    half = plots.MAX_PANELS // 2
    assert shown == ranked[:half] + ranked[-half:]
    assert shown[0] == "Team 39" and shown[-1] == "Team 01" and "Team 00" not in shown
    assert fig._suptitle.get_text() == f"The {half} lowest and {half} highest of 40"
    plt.close(fig)
    # a company that fits draws every team, by name, without a title
    fig = plots.plot_team_small_multiples(trend[trend["team_name"].isin(names[:5])], lang="en")
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == names[:5]
    assert fig._suptitle is None
    plt.close(fig)
