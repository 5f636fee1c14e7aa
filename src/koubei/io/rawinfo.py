"""What the format readers share: their side report and cell helpers."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from koubei.errors import InputFormatError


@dataclass
class RawInfo:
    """Facts a format reader learns while reading, for the :class:`ReadReport`.

    Attributes:
        path: the file.
        format: its format name.
        encoding: the text encoding label, None for binary formats.
        short_rows: rows with fewer fields than the header, padded with "".
        notes: one-off remarks, in the order they arose.
        counted_notes: remarks that may repeat, with how often they did.
        repeated: a header name that appears more than once → the unique
            names its columns were given (``评论内容``, ``评论内容.1``).
    """

    path: Path
    format: str
    encoding: str | None = None
    short_rows: int = 0
    notes: list[str] = field(default_factory=list)
    counted_notes: Counter[str] = field(default_factory=Counter)
    repeated: dict[str, list[str]] = field(default_factory=dict)

    def count_note(self, note: str) -> None:
        """Count one more occurrence of a repeatable remark."""
        self.counted_notes[note] += 1

    def all_notes(self) -> list[str]:
        """The one-off notes, then each counted note with its count."""
        counted = [f"{n} row(s): {note}" for note, n in self.counted_notes.items()]
        return [*self.notes, *counted]


def no_rows_error(path: Path) -> InputFormatError:
    """The error for a file with no data rows (empty or header only)."""
    return InputFormatError(f"{path}: no rows (the file is empty or holds only a header)")


def dedupe_header(names: list[Any], info: RawInfo | None = None) -> list[str]:
    """Header names as unique strings: blanks become ``Unnamed: i``, repeats ``name.1``.

    Args:
        names: the header cells.
        info: when given, its ``repeated`` records each repeated name and the
            unique names its columns got, so that column detection can refuse
            to pick one of them silently.
    """
    out: list[str] = []
    seen: set[str] = set()
    given: dict[str, list[str]] = {}
    for i, raw in enumerate(names):
        text = cell_text(raw)
        base = text if text.strip() else f"Unnamed: {i}"
        name, k = base, 0
        while name in seen:
            k += 1
            name = f"{base}.{k}"
        seen.add(name)
        out.append(name)
        given.setdefault(base, []).append(name)
    if info is not None:
        info.repeated = {base: got for base, got in given.items() if len(got) > 1}
    return out


def positional_header(width: int) -> list[str]:
    """Column names of a file without a header row: ``1``, ``2``, ... (1-based positions)."""
    return [str(i) for i in range(1, width + 1)]


def strings_frame(rows: list[list[str]], header: list[str]) -> pd.DataFrame:
    """A frame of string columns from equal-length rows."""
    return pd.DataFrame(rows, columns=header, dtype=str)


def cell_text(value: Any) -> str:
    """One cell of JSON or Excel as text: None/NaN → "", 5.0 → "5", datetimes ISO."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
