"""Thai text that copies and searches right in the PDFs Typst writes.

Typst's PDF writer draws a Thai mark (a vowel or tone mark above or below its consonant) whose
anchor moves it a fraction of a point up or down in a text object of its own, and gives both
parts of the split cluster the cluster's whole text: the consonant through its ToUnicode entry
(or an /ActualText span), the mark through an /ActualText span or its own ToUnicode entry.
Copying or searching then reads the cluster twice: "เป้ป้าหมาย" for "เป้าหมาย", "ทีทีม" for
"ทีม" (pdftotext, PDFium and so Chrome's viewer; upstream typst/typst#4225, #7610).

`mend` draws each such mark-only text object instead as the last glyphs of the text run
before it, where its consonant is (a TJ offset puts the marks where they were; a text rise keeps
a stacked mark's height, and a mark less than SNAP off the line is put on it), and puts the
consonant and its marks in one /ActualText span holding the cluster's text once. The page looks
the same; its text layer reads each cluster once (pdftotext; PDFium too, but for a tone mark stacked on an upper vowel,
which is raised and which PDFium places apart; pypdf's extractor ignores /ActualText and reads
Typst's Thai wrongly with or without this). Content streams are read with a small tokenizer of
their own (pypdf's takes seconds per report) and only the operators changed are rewritten.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass, field

__all__ = ["mend", "SNAP"]

# a mark drawn less than this far (points) above or below its consonant's line is drawn on it:
# Noto Sans Thai's anchors move marks by 0.01-0.06 pt, invisible (0.02 mm at most), and a mark a
# hair off the line is read as another line by PDFium
SNAP = 0.1

_SHOW = (b"TJ", b"Tj", b"'", b'"')
_BFCHAR = re.compile(r"beginbfchar(.*?)endbfchar", re.S)
_ENTRY = re.compile(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>")


class _Name(str):
    """A PDF name (its text without the slash)."""


@dataclass
class _Font:
    marks: frozenset[int]  # glyph ids (= character codes: Identity) of combining marks
    text: dict[int, str]  # the ToUnicode map
    widths: dict[int, float]  # advance widths (1/1000 of the size) from /W
    default_width: float  # /DW

    def advance(self, items, size: float) -> float:
        """How far a TJ array's items (strings and offsets) move the pen, in text space."""
        total = 0.0
        for item in items:
            if isinstance(item, bytes):
                for i in range(0, len(item) - 1, 2):
                    code = int.from_bytes(item[i : i + 2], "big")
                    total += self.widths.get(code, self.default_width) / 1000 * size
            else:
                total -= float(item) / 1000 * size
        return total


@dataclass
class _TextObject:
    begin: int  # index of BT
    end: int  # index of ET
    cm: list[float] | None  # the transformation in force
    shows: list[tuple[int, str | None, list[int], int | None]] = field(default_factory=list)
    # (op index, font name, codes, index of the enclosing ActualText BDC or None)


class _Unsupported(ValueError):
    """A content stream this module does not rewrite (left as it is)."""


_TOKEN = re.compile(
    rb"(?:\s|%[^\r\n]*)*(?:"  # whitespace and comments before a token
    rb"(?P<num>[+-]?(?:\d+\.?\d*|\.\d+))"
    rb"|(?P<name>/[^\s/\[\]()<>{}%]*)"
    rb"|(?P<dopen><<)|(?P<dclose>>>)"
    rb"|(?P<hex><[0-9A-Fa-f\s]*>)"
    rb"|(?P<aopen>\[)|(?P<aclose>\])"
    rb"|(?P<lit>\()"
    rb"|(?P<op>[A-Za-z'\"][A-Za-z0-9*'\"]*)"
    rb"|(?P<end>$))"
)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _literal(data: bytes, start: int) -> tuple[bytes, int]:
    """The literal string opening at `start` (after its "("), and the index after its ")"."""
    out, depth, i = bytearray(), 1, start
    while i < len(data):
        c = data[i : i + 1]
        if c == b"\\":
            n = data[i + 1 : i + 2]
            if n in _ESCAPES:
                out += _ESCAPES[n]
                i += 2
            elif n.isdigit():
                digits = re.match(rb"[0-7]{1,3}", data[i + 1 : i + 4]).group()
                out.append(int(digits, 8) & 0xFF)
                i += 1 + len(digits)
            elif n in (b"\r", b"\n"):
                i += 2 + (data[i + 1 : i + 3] == b"\r\n")
            else:
                out += n
                i += 2
            continue
        if c == b"(":
            depth += 1
        elif c == b")":
            depth -= 1
            if depth == 0:
                return bytes(out), i + 1
        out += c
        i += 1
    raise _Unsupported("unterminated string")


def _parse(data: bytes) -> tuple[list, list[tuple[int, int]]]:
    """The operators of a content stream: [(operands, operator)], and each one's byte span."""
    ops, spans, operands, stack, start, i = [], [], [], [], None, 0
    while i < len(data):
        m = _TOKEN.match(data, i)
        if m is None:
            raise _Unsupported(f"unexpected byte at {i}")
        kind, i = m.lastgroup, m.end()
        if kind == "end":
            break
        if start is None:
            start = m.start(kind)
        target = stack[-1] if stack else operands
        text = m.group(kind)
        if kind == "num":
            target.append(float(text) if b"." in text else int(text))
        elif kind == "name":
            target.append(_Name(text[1:].decode("latin-1")))
        elif kind == "hex":
            digits = re.sub(rb"\s", b"", text[1:-1])
            target.append(bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode()))
        elif kind == "lit":
            value, i = _literal(data, i)
            target.append(value)
        elif kind in ("aopen", "dopen"):
            stack.append([])
            stack[-1].append(kind)
        elif kind in ("aclose", "dclose"):
            items = stack.pop()
            opened = items.pop(0)
            if (opened == "aopen") != (kind == "aclose"):
                raise _Unsupported("unbalanced brackets")
            value = items if kind == "aclose" else dict(zip(items[::2], items[1::2], strict=True))
            (stack[-1] if stack else operands).append(value)
        else:  # an operator
            if stack:
                raise _Unsupported("an operator inside brackets")
            if text in (b"BI", b"ID", b"EI"):
                raise _Unsupported("inline image")
            ops.append((operands, text))
            spans.append((start, i))
            operands, start = [], None
    return ops, spans


def _write(value) -> bytes:
    if isinstance(value, _Name):
        return b"/" + value.encode("latin-1")
    if isinstance(value, bytes):
        return b"<" + value.hex().encode() + b">"
    if isinstance(value, str):  # text: UTF-16BE with its byte order mark
        return b"<feff" + value.encode("utf-16-be").hex().encode() + b">"
    if isinstance(value, list):
        return b"[" + b" ".join(_write(v) for v in value) + b"]"
    if isinstance(value, dict):
        return b"<<" + b" ".join(_write(k) + b" " + _write(v) for k, v in value.items()) + b">>"
    if isinstance(value, float):
        return (f"{value:.4f}".rstrip("0").rstrip(".") or "0").encode()
    return str(value).encode()


def _write_op(operands, op: bytes) -> bytes:
    return b" ".join([*(_write(v) for v in operands), op])


def _font(font) -> _Font | None:
    """The marks, ToUnicode and widths of a Type0 font with an embedded TrueType subset and
    Identity codes (Typst's); None for any other font."""
    from fontTools import agl
    from fontTools.ttLib import TTFont

    try:
        if font.get("/Subtype") != "/Type0" or "/ToUnicode" not in font:
            return None
        descendant = font["/DescendantFonts"][0].get_object()
        if descendant.get("/CIDToGIDMap", "/Identity") != "/Identity":
            return None
        data = descendant["/FontDescriptor"].get_object()["/FontFile2"].get_object().get_data()
        names = TTFont(io.BytesIO(data), lazy=True).getGlyphOrder()
        cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
        spec = list(descendant.get("/W", []))
        default_width = float(descendant.get("/DW", 1000))
    except (KeyError, IndexError, TypeError, ValueError, OSError):
        return None
    marks = frozenset(
        gid
        for gid, name in enumerate(names)
        if (own := agl.toUnicode(name)) and unicodedata.category(own[0]).startswith("M")
    )
    text = {}
    for block in _BFCHAR.findall(cmap):
        for code, value in _ENTRY.findall(block):
            text[int(code, 16)] = bytes.fromhex(value).decode("utf-16-be", errors="replace")
    widths: dict[int, float] = {}
    i = 0
    while i < len(spec):  # c [w1 w2 ...]  or  c_first c_last w
        if i + 1 < len(spec) and not isinstance(spec[i + 1], int | float):
            for k, w in enumerate(spec[i + 1]):
                widths[int(spec[i]) + k] = float(w)
            i += 2
        else:
            for code in range(int(spec[i]), int(spec[i + 1]) + 1):
                widths[code] = float(spec[i + 2])
            i += 3
    return _Font(marks, text, widths, default_width)


def _codes(operands, op: bytes) -> list[int]:
    if op == b"TJ":
        strings = [x for x in operands[0] if isinstance(x, bytes)]
    else:
        strings = [operands[2] if op == b'"' else operands[0]]
    return [int.from_bytes(b[i : i + 2], "big") for b in strings for i in range(0, len(b) - 1, 2)]


def _text_objects(ops) -> list[_TextObject]:
    objects, stack, cm, font = [], [], None, None
    current: _TextObject | None = None
    spans: list[int | None] = []  # marked content inside the text object: ActualText BDC or None
    for i, (operands, op) in enumerate(ops):
        if op == b"q":
            stack.append(cm)
        elif op == b"Q":
            cm = stack.pop() if stack else None
        elif op == b"cm":
            cm = [float(x) for x in operands]
        elif op == b"Tf":
            font = operands[0]
        elif op == b"BT":
            current, spans = _TextObject(i, i, cm), []
        elif op == b"ET" and current is not None:
            current.end = i
            objects.append(current)
            current = None
        elif current is not None and op in (b"BDC", b"BMC"):
            props = operands[1] if op == b"BDC" and len(operands) > 1 else None
            spans.append(i if isinstance(props, dict) and "ActualText" in props else None)
        elif current is not None and op == b"EMC" and spans:
            spans.pop()
        elif current is not None and op in _SHOW:
            inside = next((s for s in reversed(spans) if s is not None), None)
            current.shows.append((i, font, _codes(operands, op), inside))
    return objects


def _flipped(cm) -> bool:
    return cm is not None and [round(x, 6) for x in cm[:4]] == [1, 0, 0, -1]


def _pen(ops, obj: _TextObject, upto: int, fonts: dict):
    """(x, y, font name, size) of the pen before op `upto` of `obj`, in the object's text space,
    or None when the object moves it in ways not followed here (only Tm, Tf and TJ/Tj)."""
    x = y = 0.0
    font, size = None, None
    for operands, op in ops[obj.begin + 1 : upto]:
        if op == b"Tm":
            if [float(v) for v in operands[:4]] != [1, 0, 0, -1]:
                return None
            x, y = float(operands[4]), float(operands[5])
        elif op == b"Tf":
            font, size = operands[0], float(operands[1])
        elif op in (b"TJ", b"Tj"):
            if fonts.get(font) is None or size is None:
                return None
            x += fonts[font].advance(operands[0] if op == b"TJ" else [operands[0]], size)
        elif op in (b"Td", b"TD", b"T*", b"'", b'"', b"Tc", b"Tw", b"Tz", b"TL", b"Ts"):
            return None
    return (x, y, font, size) if font is not None else None


def _marks_after(ops, obj: _TextObject, base: _TextObject, pen) -> tuple[float, list] | None:
    """How to draw the marks of mark-only `obj` right after the consonant's run, where they
    were: (rise, [offset, marks...]), the rise (text rise, Ts) 0 when they were within SNAP of
    the consonant's line; None when `obj` is not one Tm and one TJ/Tj in the consonant's font,
    or lies further off than half the font size (not a mark of this run)."""
    body = [(o, p) for o, p in ops[obj.begin + 1 : obj.end] if p not in (b"BDC", b"BMC", b"EMC")]
    shows = [(o, p) for o, p in body if p in (b"TJ", b"Tj")]
    matrices = [o for o, p in body if p == b"Tm"]
    fonts_set = [(o[0], float(o[1])) for o, p in body if p == b"Tf"]
    if len(shows) != 1 or len(matrices) != 1 or any(f != pen[2:] for f in fonts_set):
        return None
    tm = [float(v) for v in matrices[0]]
    if tm[:4] != [1, 0, 0, -1]:
        return None
    dx, dy = obj.cm[4] - base.cm[4], base.cm[5] - obj.cm[5]
    # both frames are y-flipped twice (cm and Tm), so a text rise is a rise on the page
    rise = pen[1] - (tm[5] + dy)
    if abs(rise) > pen[3] / 2:
        return None
    operands, op = shows[0]
    items = list(operands[0]) if op == b"TJ" else [operands[0]]
    lead = 0.0
    while items and not isinstance(items[0], bytes):
        lead += float(items.pop(0))
    x_mark = tm[4] + dx - lead / 1000 * pen[3]
    return (0.0 if abs(rise) < SNAP else rise), [-(x_mark - pen[0]) * 1000 / pen[3], *items]


def _drawn(run: list, pieces: list[tuple[float, list]]) -> list:
    """TJ ops drawing `run` and then each piece of marks: in the same array when on the line,
    with a text rise (and back to 0) when raised or lowered."""
    ops, current = [], list(run)
    for rise, items in pieces:
        if rise == 0:
            current += items
            continue
        ops.append(([current], b"TJ"))
        ops += [([rise], b"Ts"), ([items], b"TJ"), ([0], b"Ts")]
        current = []
    if current:
        ops.append(([current], b"TJ"))
    return ops


def _mend_ops(ops, fonts: dict) -> tuple[dict[int, list], set[int]] | None:
    """What to change in the page's ops (replacements by op index, ops to drop) so that every
    mark-only text object is drawn instead as the last glyphs of its consonant's text run, in
    one ActualText span with it; None when there is nothing to mend."""
    drop: set[int] = set()
    tails: dict[int, list] = {}  # TJ index -> pieces (rise, items) drawn after it
    objects = _text_objects(ops)
    shown = {i: (f, s) for obj in objects for i, f, _c, s in obj.shows}  # font, span by op
    base = None
    for obj in objects:
        glyphs = [(f, c) for _i, f, codes, _s in obj.shows for c in codes]
        mark_only = bool(glyphs) and all(
            fonts.get(f) is not None and c in fonts[f].marks for f, c in glyphs
        )
        if not mark_only or base is None or not (_flipped(obj.cm) and _flipped(base.cm)):
            if glyphs:
                base = obj
            continue
        index, _font, codes, _span = base.shows[-1]
        if ops[index][1] not in (b"TJ", b"Tj") or not codes:
            continue
        pen = _pen(ops, base, index + 1, fonts)  # after the consonant's run
        if pen is None:
            continue
        drawn = [x for _rise, items in tails.get(index, []) for x in items]
        pen = (pen[0] + fonts[pen[2]].advance(drawn, pen[3]), *pen[1:])
        piece = _marks_after(ops, obj, base, pen)
        if piece is None:
            continue
        tails.setdefault(index, []).append(piece)
        drop.update(range(obj.begin, obj.end + 1))
    if not drop:
        return None
    replace: dict[int, list] = {}
    for index, pieces in tails.items():
        operands, op = ops[index]
        run = list(operands[0]) if op == b"TJ" else [operands[0]]
        font, span = shown[index]
        if span is not None:  # already in an ActualText span: the marks join the run
            replace[index] = _drawn(run, pieces)
            continue
        # the consonant (the run's last glyph) and its marks in a span of the cluster's text
        last = max(i for i, x in enumerate(run) if isinstance(x, bytes))
        b = run[last]
        head = [*run[:last], b[:-2]] if len(b) > 2 else run[:last]
        code = int.from_bytes(b[-2:], "big")
        text = fonts[font].text.get(code, "") if fonts.get(font) is not None else ""
        replace[index] = [
            *([([head], b"TJ")] if any(isinstance(x, bytes) for x in head) else []),
            ([_Name("Span"), {_Name("ActualText"): text}], b"BDC"),
            *_drawn([b[-2:]], pieces),
            ([], b"EMC"),
        ]
    return replace, drop


# a text object (BT ... ET); the glyph codes Typst writes (2 bytes, subsets of under 20,000
# glyphs) never put "ET" inside a string, and a block that does not parse is left alone
_BLOCK = re.compile(rb"(?<![^\s\])>])BT(?![^\s/\[(<])(.*?)(?<![^\s\])>])ET(?![^\s/\[(<])", re.S)
_CM = re.compile(rb"(?:[-+\d.]+\s+){6}cm\b")
# a mark-only text object is one short text show: longer ones are not read at all
_SHORT = 400


def _cm_before(data: bytes, start: int, end: int) -> list[float] | None:
    """The cm in force at `end`, from the gap since the last text object (Typst sets it between
    q and the BT): None when it is not there or a Q after it may have restored another."""
    gap = data[start:end]
    found = list(_CM.finditer(gap))
    if not found or b"Q" in gap[found[-1].end() :].split():
        return None
    return [float(v) for v in found[-1].group().split()[:6]]


def _mend_stream(data: bytes, fonts: dict) -> bytes | None:
    """`data` with the mark-only text objects folded into their consonants' (`_mend_ops`), only
    those objects and the ones before them read; None when there is nothing to mend."""
    blocks, previous_end = [], 0
    for m in _BLOCK.finditer(data):
        blocks.append((m.start(), m.end(), _cm_before(data, previous_end, m.start())))
        previous_end = m.end()
    parsed: dict[int, tuple[list, list]] = {}

    def read(k: int):
        if k not in parsed:
            start, end, _cm = blocks[k]
            try:
                parsed[k] = _parse(data[start:end])
            except (_Unsupported, ValueError):
                parsed[k] = ([], [])
        return parsed[k][0]

    def glyphs(k: int) -> list[tuple]:
        return [(f, c) for o in _text_objects(read(k)) for _i, f, cs, _s in o.shows for c in cs]

    chosen: list[int] = []
    for k, (start, end, cm) in enumerate(blocks):
        if end - start > _SHORT or cm is None:
            continue
        found = glyphs(k)
        if not found or not all(fonts.get(f) is not None and c in fonts[f].marks for f, c in found):
            continue
        base = k - 1
        while base >= 0 and not glyphs(base):
            base -= 1
        if base >= 0 and blocks[base][2] is not None:
            chosen += [b for b in (base, k) if b not in chosen]
    if not chosen:
        return None
    # the chosen objects, each after the cm in force, as one list of ops
    ops, where = [], []  # where: (block, op index in the block) of each op, None for a cm
    for k in sorted(chosen):
        ops.append((blocks[k][2], b"cm"))
        where.append(None)
        ops += read(k)
        where += [(k, i) for i in range(len(read(k)))]
    change = _mend_ops(ops, fonts)
    if change is None:
        return None
    replace, drop = change
    edits = []  # (start, end, bytes) in data
    for index, at in enumerate(where):
        if at is None or (index not in drop and index not in replace):
            continue
        k, i = at
        start, end = parsed[k][1][i]
        start, end = start + blocks[k][0], end + blocks[k][0]
        text = b"" if index in drop else b"\n".join(_write_op(*op) for op in replace[index])
        edits.append((start, end, text))
    out, position = [], 0
    for start, end, text in sorted(edits):
        out += [data[position:start], text]
        position = end
    out.append(data[position:])
    return b"".join(out)


def mend(pdf: bytes) -> bytes:
    """`pdf` (as Typst wrote it) with every split Thai cluster's text read once; a PDF with
    nothing to mend comes back unchanged."""
    import pypdf
    from pypdf.generic import StreamObject

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    writer = pypdf.PdfWriter(clone_from=reader)
    writer.pdf_header = reader.pdf_header  # Typst's PDF version, not pypdf's default 1.3
    known: dict = {}
    changed = False
    for page in writer.pages:
        fonts = {}
        for name, ref in page.get("/Resources", {}).get("/Font", {}).items():
            key = getattr(ref, "idnum", None) or id(ref)
            if key not in known:
                known[key] = _font(ref.get_object())
            fonts[_Name(name[1:])] = known[key]
        if not any(f is not None and f.marks for f in fonts.values()):
            continue
        contents = page.get("/Contents")
        stream = contents.get_object() if contents is not None else None
        if not isinstance(stream, StreamObject):  # Typst writes one stream per page
            continue
        mended = _mend_stream(stream.get_data(), fonts)
        if mended is None:
            continue
        stream.set_data(mended)  # encoded again with the stream's own filter
        changed = True
    if not changed:
        return pdf
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
