"""CSV and TSV dumps, read with the ``csv`` module into string columns.

The standard ``csv`` parser is used instead of pandas' so that every record
carries the 1-based file line it starts on (quoted fields may span lines):
rows with too many fields become an error naming those lines, rows with too
few are padded with "" and counted. Every cell stays a string, so review
texts such as ``NA`` or ``null`` are kept as written.

A record spanning several lines is checked for a *runaway quote*: a stray
``"`` at the start of a field makes the parser read every following line into
that one field, until the next quote or the end of the file. Such a record is
an error naming the line where the quote opens, never rows merged silently.
It is told by its quoting (a closing quote followed by more text, or no
closing quote before the end of the file) or by a quoted field holding many
lines shaped like rows of the file: as many delimiters as a row, and, in the
columns the record also fills, cells of the record's kind (digits for its
id, text for text). A genuine multi-line review with a delimiter per line is
kept: its lines are prose where the record holds an id, a time or a rating.
``quoting="none"`` reads quotes as plain characters instead.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import pandas as pd

from koubei.errors import InputError, InputFormatError
from koubei.io.rawinfo import RawInfo, dedupe_header, no_rows_error, positional_header, strings_frame

_MAX_FIELD = min(sys.maxsize, 1 << 30)
_MAX_LISTED = 5
#: a quoted field holding at least this many row-shaped lines has run away
_RUNAWAY_ROWS = 10

_Quoting = Literal[0, 1, 2, 3]  # what csv.reader takes as quoting=

#: ``quoting=`` values: ``standard`` reads RFC 4180 quotes, ``none`` reads ``"`` as a plain character.
QUOTING: dict[str, _Quoting] = {"standard": csv.QUOTE_MINIMAL, "none": csv.QUOTE_NONE}


def quoting_mode(name: str) -> _Quoting:
    """The ``csv`` quoting constant for a ``quoting=`` name.

    Raises:
        InputError: the name is not one of :data:`QUOTING`.
    """
    mode = QUOTING.get(name.strip().lower())
    if mode is None:
        raise InputError(f"unknown quoting {name!r}; use --quoting {' or --quoting '.join(QUOTING)}")
    return mode


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


@dataclass
class _Source:
    """The file being parsed and how: what the row checks need to know."""

    path: Path
    sep: str
    quoting: _Quoting
    lines: list[str]  # the physical lines of the record being parsed


def iter_delimited(
    path: Path,
    *,
    sep: str,
    codec: str,
    chunksize: int,
    info: RawInfo,
    quoting: str = "standard",
    header: bool = True,
) -> Iterator[pd.DataFrame]:
    """Yield chunks of at most ``chunksize`` rows of a CSV/TSV file.

    Args:
        path: the file.
        sep: the field delimiter ("," or "\\t").
        codec: the Python codec to decode with (already checked to fit).
        chunksize: rows per yielded frame.
        info: receives the count of short rows, repeated header names and notes.
        quoting: ``standard`` (RFC 4180 quotes) or ``none`` (``"`` is a plain character).
        header: False when the first row is data; columns are then named 1, 2, ...

    Raises:
        InputError: unknown ``quoting``.
        InputFormatError: no data rows, rows with too many fields, a runaway
            quoted field, or a record the ``csv`` parser rejects.
    """
    mode = quoting_mode(quoting)
    if csv.field_size_limit() < _MAX_FIELD:
        csv.field_size_limit(_MAX_FIELD)
    with path.open(encoding=codec, errors="strict", newline="") as handle:
        src = _Source(path, sep, mode, [])
        reader = csv.reader(_tap(handle, src.lines), delimiter=sep, quoting=mode)
        first = _first_row(reader, src)
        if header:
            names = dedupe_header(first, info)
            first_rows: list[list[str]] = []
        else:
            names, first_rows = positional_header(len(first)), [first]
        yield from _iter_rows(reader, names, src, chunksize, info, first_rows)


def _tap(handle: Iterable[str], lines: list[str]) -> Iterator[str]:
    """The lines of ``handle``, each also appended to ``lines`` (cleared per record)."""
    for line in handle:
        lines.append(line)
        yield line


def _first_row(reader: _Records, src: _Source) -> list[str]:
    """The first non-blank row (the header, or the first data row)."""
    start = 1
    for row in reader:
        _check_record(0, start, reader, src, row)
        start = reader.line_num + 1
        if any(cell.strip() for cell in row):
            row[0] = row[0].lstrip("\ufeff")
            return row
    raise no_rows_error(src.path)


def _iter_rows(
    reader: _Records,
    header: list[str],
    src: _Source,
    chunksize: int,
    info: RawInfo,
    rows: list[list[str]],
) -> Iterator[pd.DataFrame]:
    width = len(header)
    start = reader.line_num + 1
    src.lines.clear()
    path = src.path
    try:
        for row in reader:
            _check_record(width, start, reader, src, row)
            if row and len(row) != width:
                row = _fix_width(row, width, start, reader, src, info)
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
    src: _Source,
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
    _scan_ragged(reader, width, ragged, src.lines)
    raise _ragged_error(src.path, width, src.sep, ragged)


def _scan_ragged(reader: _Records, width: int, ragged: _Ragged, lines: list[str]) -> None:
    """Read the rest of the file to list the first few rows that are too long."""
    start = reader.line_num + 1
    for row in reader:
        lines.clear()
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
        f'(e.g. "好吃,不贵"); if the file uses another delimiter pass --input-format csv/tsv'
    )


def _check_record(width: int, start: int, reader: _Records, src: _Source, row: list[str]) -> None:
    """Raise if a record spanning several lines is a runaway quoted field; clear the tap."""
    end = reader.line_num
    if end > start and src.quoting != csv.QUOTE_NONE:
        why = _runaway(src, width, row)
        if why:
            raise _runaway_error(src.path, start, end, why)
    src.lines.clear()


def _runaway(src: _Source, width: int, row: list[str]) -> str | None:
    """Why the multi-line record ``row`` (its lines in ``src.lines``) is a runaway quoted field, or None."""
    raw = "".join(src.lines)
    strict = csv.reader(io.StringIO(raw, newline=""), delimiter=src.sep, strict=True)
    try:
        for _ in strict:
            pass
    except csv.Error as err:
        if "end of data" in str(err):
            return "no closing quote before the end of the file"
        return "its closing quote is followed by more text"
    if width < 2:
        return None
    # the record's own single-line cells are real values of their columns: a swallowed row has
    # cells of the same kind there, a line of a genuine review has prose
    kinds = {c: _kind(cell) for c, cell in enumerate(row[:width]) if "\n" not in cell and "\r" not in cell}
    shaped = sum(_row_shaped(line, src.sep, width, kinds) for line in src.lines)
    if shaped >= _RUNAWAY_ROWS and shaped * 2 >= len(src.lines):
        return f"{shaped} of its lines look like rows of their own"
    return None


def _row_shaped(line: str, sep: str, width: int, kinds: dict[int, str]) -> bool:
    """True when ``line`` splits into ``width`` cells whose kinds agree with ``kinds`` (empty ones agree)."""
    cells = line.rstrip("\r\n").split(sep)
    if len(cells) != width:
        return False
    return all(k == "" or _kind(cells[c]) in ("", k) for c, k in kinds.items())


def _kind(cell: str) -> str:
    """``text`` if the cell has letters beyond ASCII (Chinese), ``code`` (id, time, rating), "" if empty"""
    cell = cell.strip().strip('"')
    if not cell:
        return ""
    return "text" if any(ch.isalpha() and not ch.isascii() for ch in cell) else "code"


def _runaway_error(path: Path, start: int, end: int, why: str) -> InputFormatError:
    # no field before the first multi-line one spans lines, so that field opens on line `start`
    return InputFormatError(
        f'{path}: line {start}: a quoted field opens here and runs over {end - start + 1} lines '
        f'to line {end} ({why}), so the rows below it would be read as one review; a stray " '
        'probably starts that field. Fix the quote (close it, or write it doubled as ""), '
        'or pass --quoting none to read " as an ordinary character'
    )
