"""Thai line breaking in the HTML reports: a `<wbr>` between Thai words.

Thai is written without spaces, so a browser finds line breaks with its own dictionary; on a
phone's narrow table cells Chromium's broke inside words ("รายได้จา / กดีล": it does not know the
loanword ดีล). PyThaiNLP's dictionary segmenter (newmm, the library's default) finds the words
here, and a `<wbr>` between two of them offers the browser a break there. A browser segments the
text between two `<wbr>` on its own, so a single word between them is never split unless it is
wider than its cell. `<wbr>` is no character: copied and searched text is unchanged.

Only text is touched, never a tag, an attribute, a style or a script, and only between two
Thai letters (so no HTML entity or number is cut).
"""

from __future__ import annotations

import os
import re
from functools import lru_cache

__all__ = ["WORDS", "thai_words", "with_word_breaks"]

# words of the reports' own vocabulary the stock dictionary splits ("ไปป์ | ไลน์")
WORDS = frozenset({"ไปป์ไลน์", "ดีล", "คอมมิต"})

_THAI_RUN = re.compile(
    r"[\u0E01-\u0E3A\u0E40-\u0E4E]+"
)  # letters, vowels and marks; no ฿ or digits
_TAG = re.compile(r"(<[^>]*>)")
_RAW = re.compile(r"<(style|script|title|textarea)\b", re.IGNORECASE)


@lru_cache(maxsize=1)
def _segmenter():
    # PyThaiNLP would create ~/pythainlp-data on import; the reports need nothing downloaded
    os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")
    from pythainlp.corpus import thai_words as stock
    from pythainlp.tokenize import word_tokenize
    from pythainlp.util import dict_trie

    trie = dict_trie(set(stock()) | WORDS)
    return lambda text: word_tokenize(text, custom_dict=trie, engine="newmm")


def thai_words(text: str) -> list[str]:
    """`text` cut into words (Thai by the dictionary; anything else left whole).

    >>> thai_words("รายได้จากดีลที่ปิดได้")
    ['รายได้', 'จาก', 'ดีล', 'ที่', 'ปิด', 'ได้']
    """
    return _segmenter()(text)


def _break_run(match: re.Match) -> str:
    return "<wbr>".join(thai_words(match.group(0)))


def with_word_breaks(html: str) -> str:
    """`html` with `<wbr>` between the Thai words of its text (tags, attributes, styles and
    scripts unchanged).

    >>> with_word_breaks('<td title="รายได้จากดีล">รายได้จากดีล &amp; 5</td>')
    '<td title="รายได้จากดีล">รายได้<wbr>จาก<wbr>ดีล &amp; 5</td>'
    """
    parts = _TAG.split(html)
    raw = None  # inside <style>, <script>, ...: the name of the element
    for i, part in enumerate(parts):
        if i % 2:  # a tag
            if raw is None:
                m = _RAW.match(part)
                raw = m.group(1).lower() if m else None
            elif part.lower().startswith(f"</{raw}"):
                raw = None
            continue
        if raw is None and _THAI_RUN.search(part):
            parts[i] = _THAI_RUN.sub(_break_run, part)
    return "".join(parts)
