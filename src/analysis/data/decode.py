"""Reading table files as they are: CSV as text (nothing parsed or evaluated) or Parquet, and
clear words when a file is not in the expected text encoding (Thai TIS-620 / Windows-874 is
recognised by name)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["EncodingProblem", "decode_problem", "read_text_table", "read_raw", "csv_record_lines"]


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
    empty file."""
    if file.stat().st_size == 0:
        raise ValueError("file is empty (not even a header row)")
    try:
        return pd.read_csv(
            file, dtype=str, keep_default_na=False, na_values=[""], encoding=encoding, **kw
        )
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
