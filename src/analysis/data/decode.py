"""Reading table files as they are: CSV as text (nothing parsed or evaluated) or Parquet, and
clear words when a file is not in the expected text encoding (Thai TIS-620 / Windows-874 is
recognised by name)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "EncodingProblem",
    "decode_problem",
    "read_text_table",
    "read_raw",
    "csv_record_lines",
    "csv_layout_problem",
]


class EncodingProblem(ValueError):
    """A text file is not in the expected encoding; the message says what it looks like."""


def _looks_thai_windows(data: bytes) -> bool:
    """True when the bytes decode as cp874 (TIS-620 + Windows extras) into mostly Thai letters."""
    try:
        text = data.decode("cp874")
    except UnicodeDecodeError:
        return False
    high = [c for c in text if ord(c) > 127]
    return bool(high) and sum("\u0e01" <= c <= "\u0e5b" for c in high) >= 0.8 * len(high)


def decode_problem(file: Path, exc: UnicodeDecodeError, expected: str = "UTF-8") -> str:
    """Why `file` did not decode, in words: where the bad byte is and what the text looks like
    (Thai TIS-620 / Windows-874 is named so the fix is obvious; else charset-normalizer's
    guess)."""
    from charset_normalizer import from_bytes

    data = file.read_bytes()
    line = data.count(b"\n", 0, exc.start) + 1
    where = f"byte 0x{data[exc.start]:02x} at offset {exc.start}, line {line}"
    text = f"is not {expected} text ({where})"
    if _looks_thai_windows(data[: 1 << 20]):
        return (
            text + ": it looks like Thai TIS-620 / Windows-874 (cp874); save it as UTF-8, or "
            "import it with `encoding: cp874` in the mapping"
        )
    guess = from_bytes(data[: 1 << 20]).best()
    if guess is not None:
        return text + f": it may be {guess.encoding}; save it as UTF-8"
    return text


def read_text_table(file: Path, encoding: str = "utf-8-sig", **kw) -> pd.DataFrame:
    """A CSV as text columns (nothing parsed, nothing evaluated: "=cmd..." stays a string).

    Raises EncodingProblem naming the encoding the file seems to be in, and ValueError for an
    empty file. `frame.attrs["ragged"]` is true when a record had more fields than the header."""
    if file.stat().st_size == 0:
        raise ValueError("file is empty (not even a header row)")
    # a separator at the end of every line is one empty field too many: without this, pandas
    # would take the first column for the index and shift every name one column left
    kw.setdefault("index_col", False)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            frame = pd.read_csv(
                file, dtype=str, keep_default_na=False, na_values=[""], encoding=encoding, **kw
            )
        # a record longer than the header lost its last values: said by `csv_layout_problem`
        frame.attrs["ragged"] = any(issubclass(w.category, pd.errors.ParserWarning) for w in caught)
        return frame
    except UnicodeDecodeError as exc:
        label = (
            "UTF-8" if encoding.lower().replace("_", "-") in ("utf-8", "utf-8-sig") else encoding
        )
        raise EncodingProblem(decode_problem(file, exc, label)) from None
    except pd.errors.EmptyDataError:
        raise ValueError("file is empty (not even a header row)") from None


def read_raw(file: Path) -> pd.DataFrame:
    """A table file as stored: Parquet with its own types, CSV as text (`read_text_table`)."""
    if file.suffix == ".parquet":
        return pd.read_parquet(file)
    return read_text_table(file)


def csv_record_lines(file: Path, encoding: str = "utf-8-sig") -> np.ndarray:
    """The first physical line (1-based) of each data record of a CSV: a quoted field may span
    lines, so record N is not always line N + 1."""
    import csv

    starts = []
    with file.open(newline="", encoding=encoding, errors="replace") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        line = reader.line_num
        for _ in reader:
            starts.append(line + 1)
            line = reader.line_num
    return np.asarray(starts, dtype="int64")


# how far down a header pushed below an export's title lines is still looked for
_HEADER_SEARCH_LINES = 20


def csv_layout_problem(
    file: Path, columns: list[str], encoding: str = "utf-8-sig"
) -> tuple[str, list[int], list[int]] | None:
    """What is wrong with the shape of a CSV whose columns did not parse, if that is the cause:
    (rule, 1-based data rows, their first lines), or None when every record fits the header.

    Two faults show as a cascade of wrong-column errors ("closed_won is not a valid datetime")
    that never name them: the column names below the first line (an export's title above the
    header), and a record with more or fewer fields than the header (a missing or extra
    separator, or an unquoted comma, shifts every value after it). `columns`: the contract's
    column names of the table. Records that all end in an extra empty field (a separator at the
    end of every line) fit.
    """
    import csv

    wanted = set(columns)
    with file.open(newline="", encoding=encoding, errors="replace") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            return None
        known = len(wanted & {h.strip() for h in header})
        rows, lines, counts = [], [], {}
        trailing = True
        line = reader.line_num
        for n, record in enumerate(reader, start=1):
            start, line = line + 1, reader.line_num
            names = len(wanted & {v.strip() for v in record})
            if n <= _HEADER_SEARCH_LINES and names > known and names >= min(3, len(wanted)):
                return (
                    f"the column names are on line {start}, not on the first line: remove the "
                    f"{start - 1} line(s) above them (an export's title or notes)",
                    [],
                    [],
                )
            if record and len(record) != len(header):
                rows.append(n)
                lines.append(start)
                counts[len(record)] = counts.get(len(record), 0) + 1
                trailing = trailing and len(record) > len(header)
                trailing = trailing and not any(v.strip() for v in record[len(header) :])
            else:
                trailing = trailing and not record
    if not rows or trailing:  # every record ends in a separator: a quirk pandas reads right
        return None
    found = " or ".join(str(k) for k in sorted(counts))
    return (
        f"has {found} fields where the header has {len(header)}: a missing or extra separator "
        "(or an unquoted comma) shifts every value after it",
        rows,
        lines,
    )
