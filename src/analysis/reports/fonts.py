"""Fonts that render Thai, shipped as PyPI packages (no system fonts, no root needed)."""

from __future__ import annotations

import base64
import io
from functools import cache
from pathlib import Path

import fontpkg_noto_sans as _latin
import fontpkg_noto_sans_thai as _thai

__all__ = [
    "THAI_FAMILY",
    "LATIN_FAMILY",
    "font_dirs",
    "font_files",
    "use_in_matplotlib",
    "css_font_faces",
]

THAI_FAMILY = _thai.FAMILY  # "Noto Sans Thai"
THAI_BLOCK = frozenset(chr(c) for c in range(0x0E01, 0x0E5C))
LATIN_FAMILY = _latin.FAMILY  # "Noto Sans"


def font_dirs() -> list[Path]:
    """Folders holding the font files, for engines that take font paths (Typst)."""
    return [_latin.ROOT / "files", _thai.ROOT / "files"]


def font_files() -> dict[str, Path]:
    """family -> the regular (upright, variable) font file."""

    def upright(root: Path) -> Path:
        return next(p for p in sorted((root / "files").glob("*.ttf")) if "Italic" not in p.name)

    return {LATIN_FAMILY: upright(_latin.ROOT), THAI_FAMILY: upright(_thai.ROOT)}


@cache
def use_in_matplotlib() -> None:
    """Register the fonts with matplotlib and make them the default, Latin first, Thai as fallback."""
    from matplotlib import font_manager, rcParams

    for path in font_files().values():
        font_manager.fontManager.addfont(str(path))
    rcParams["font.family"] = [LATIN_FAMILY, THAI_FAMILY]
    rcParams["axes.unicode_minus"] = False


def css_font_faces(text: str) -> str:
    """@font-face rules with the fonts inlined as base64, subset to the characters of `text`.

    The HTML report then renders Thai offline with no external request, and carries a few tens of
    kB of font instead of the 2 MB variable Noto Sans file.
    """
    # The whole Thai block is always kept: browsers decompose SARA AM (U+0E33) into NIKHAHIT +
    # SARA AA while shaping, so glyphs for characters not in the text are needed to draw "ทำ".
    chars = frozenset(text) | frozenset(chr(c) for c in range(0x20, 0x7F)) | THAI_BLOCK
    rules = []
    for family, path in font_files().items():
        data = base64.b64encode(_subset(path, "".join(sorted(chars)))).decode("ascii")
        rules.append(
            f"@font-face {{ font-family: '{family}'; font-weight: 100 900; font-style: normal; "
            f"src: url(data:font/ttf;base64,{data}) format('truetype'); }}"
        )
    return "\n".join(rules)


@cache
def _subset(path: Path, chars: str) -> bytes:
    from fontTools import subset

    options = subset.Options()
    options.layout_features = ["*"]  # keep Thai mark positioning and ligatures
    options.name_IDs = ["*"]
    font = subset.load_font(str(path), options)
    try:
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=chars)
        subsetter.subset(font)
        buf = io.BytesIO()
        font.save(buf)
    finally:  # the file it read from (left open, it warns when collected: a pink block in Lab)
        font.close()
    return buf.getvalue()
