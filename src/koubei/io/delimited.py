"""CSV and TSV dumps, read with the ``csv`` module into string columns.

The standard ``csv`` parser is used instead of pandas' so that every record
carries the 1-based file line it starts on (quoted fields may span lines):
rows with too many fields become an error naming those lines, rows with too
few are padded with "" and counted. Every cell stays a string, so review
texts such as ``NA`` or ``null`` are kept as written.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pandas as pd

from koubei.errors import InputFormatError
from koubei.io.rawinfo import RawInfo, dedupe_header, no_rows_error, strings_frame

_MAX_FIELD = min(sys.maxsize, 1 << 30)
_MAX_LISTED = 5


class _Records(Protocol):
    """What ``csv.reader`` returns: rows plus the count of physical lines read."""

    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...

    def __next__(self) -> list[str]: ...


@dataclass
class _Ragged:
    """Rows with more fields than the header, found while scanning."""

    lines: list[int]
    counts: list[int]
    total: int = 0


def iter_delimited(
    path: Path, *, sep: str, codec: str, chunksize: int, info: RawInfo
) -> Iterator[pd.DataFrame]:
    """Yield chunks of at most ``chunksize`` rows of a CSV/TSV file.

    Args:
        path: the file.
        sep: the field delimiter ("," or "\\t").
        codec: the Python codec to decode with (already checked to fit).
        chunksize: rows per yielded frame.
        info: receives the count of short rows and notes.

    Raises:
        InputFormatError: no data rows, rows with too many fields, or a
            record the ``csv`` parser rejects.
    """
    if csv.field_size_limit() < _MAX_FIELD:
        csv.field_size_limit(_MAX_FIELD)
    with path.open(encoding=codec, errors="strict", newline="") as handle:
        reader = csv.reader(handle, delimiter=sep)
        header = _read_header(reader, path)
        yield from _iter_rows(reader, header, path, sep, chunksize, info)


def _read_header(reader: _Records, path: Path) -> list[str]:
    for row in reader:
        if any(cell.strip() for cell in row):
            row[0] = row[0].lstrip("\ufeff")
            return dedupe_header(row)
    raise no_rows_error(path)


def _iter_rows(
    reader: _Records,
    header: list[str],
    path: Path,
    sep: str,
    chunksize: int,
    info: RawInfo,
) -> Iterator[pd.DataFrame]:
    width = len(header)
    rows: list[list[str]] = []
    start = reader.line_num + 1
    try:
        for row in reader:
            if row and len(row) != width:
                row = _fix_width(row, width, start, reader, path, sep, info)
            start = reader.line_num + 1
            if not row:
                continue
            rows.append(row)
            if len(rows) >= chunksize:
                yield strings_frame(rows, header)
                rows = []
    except csv.Error as err:
        raise InputFormatError(f"{path}: line {start}: cannot parse the record ({err})") from None
    if rows:
        yield strings_frame(rows, header)


def _fix_width(
    row: list[str],
    width: int,
    start: int,
    reader: _Records,
    path: Path,
    sep: str,
    info: RawInfo,
) -> list[str]:
    """Pad a short row; drop empty trailing extras; raise on real extra fields."""
    if len(row) < width:
        info.short_rows += 1
        return row + [""] * (width - len(row))
    if not any(cell.strip() for cell in row[width:]):
        info.count_note("rows ended with empty extra fields (trailing delimiters), dropped")
        return row[:width]
    ragged = _Ragged(lines=[start], counts=[len(row)], total=1)
    _scan_ragged(reader, width, ragged)
    raise _ragged_error(path, width, sep, ragged)


def _scan_ragged(reader: _Records, width: int, ragged: _Ragged) -> None:
    """Read the rest of the file to list the first few rows that are too long."""
    start = reader.line_num + 1
    for row in reader:
        if len(row) > width and any(cell.strip() for cell in row[width:]):
            ragged.total += 1
            if len(ragged.lines) < _MAX_LISTED:
                ragged.lines.append(start)
                ragged.counts.append(len(row))
        start = reader.line_num + 1


def _ragged_error(path: Path, width: int, sep: str, ragged: _Ragged) -> InputFormatError:
    shown = ", ".join(
        f"line {ln} ({n} fields)" for ln, n in zip(ragged.lines, ragged.counts, strict=True)
    )
    more = (
        f" and {ragged.total - len(ragged.lines)} more" if ragged.total > len(ragged.lines) else ""
    )
    delim = "tab" if sep == "\t" else repr(sep)
    return InputFormatError(
        f"{path}: {ragged.total} row(s) have more fields than the {width} of the header: "
        f"{shown}{more}. Fields that contain the delimiter {delim} must be quoted "
        f'(e.g. "好吃,不贵"); if the file uses another delimiter pass --format csv/tsv'
    )
