"""The HTML reports embed subset fonts that must still draw every Thai character."""

import base64
import io
import re

from fontTools.ttLib import TTFont

from analysis.reports import fonts


def _embedded(css: str, family: str) -> TTFont:
    match = re.search(rf"font-family: '{family}';.*?base64,([A-Za-z0-9+/=]+)", css)
    assert match, f"{family} is not embedded"
    return TTFont(io.BytesIO(base64.b64decode(match.group(1))))


def test_subset_keeps_the_whole_thai_block():
    # "ทำ" uses SARA AM (U+0E33), which shapers decompose into NIKHAHIT (U+0E4D) + SARA AA (U+0E32)
    css = fonts.css_font_faces("ทำ report")
    cmap = _embedded(css, fonts.THAI_FAMILY).getBestCmap()
    for ch in "ำําทกฮ฿๙่้๊๋็์":
        assert ord(ch) in cmap, f"U+{ord(ch):04X} missing from the embedded Thai font"


def test_subset_is_small_and_keeps_latin():
    css = fonts.css_font_faces("Revenue ฿1,234 —")
    latin = _embedded(css, fonts.LATIN_FAMILY).getBestCmap()
    assert all(ord(c) in latin for c in "Revenue1234—")
    assert len(css) < 400_000  # both fonts, base64, well under the 2 MB full Noto Sans


def test_matplotlib_uses_the_packaged_fonts():
    from matplotlib import font_manager, rcParams

    import analysis.reports.plots  # noqa: F401  (registers the fonts)

    assert rcParams["font.family"][:2] == [fonts.LATIN_FAMILY, fonts.THAI_FAMILY]
    path = font_manager.findfont(fonts.THAI_FAMILY, fallback_to_default=False)
    assert "NotoSansThai" in path


def test_subsetting_a_font_leaves_no_file_open():
    """Subsetting read the font file and left it open; collected later, it warned "unclosed
    file ... NotoSansThai.ttf" wherever the collection happened, e.g. under a chart in Lab."""
    import gc
    import warnings

    fonts._subset.cache_clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fonts.css_font_faces("ยอดขาย q")
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)], [
        str(w.message) for w in caught
    ]
