"""Excel ``.xlsx``/``.xlsm`` dumps, read row by row with openpyxl.

The first row with any value is the header (or, with ``header=False``, the
first data row; columns are then named 1, 2, ...); header cells past the last
named one are dropped (values under them are counted in a note). Cells become
strings: dates and times in ISO form (``2021-09-04 21:51:01``), whole numbers
without ``.0``, formulas as their cached value.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import pandas as pd

from koubei.errors import InputError, InputFormatError
from koubei.io.rawinfo import (
    RawInfo,
    cell_text,
    dedupe_header,
    no_rows_error,
    positional_header,
    strings_frame,
)


def iter_xlsx(
    path: Path, *, sheet: str | int | None, chunksize: int, info: RawInfo, header: bool = True
) -> Iterator[pd.DataFrame]:
    """Yield chunks of one sheet (the first unless ``sheet`` names or numbers one).

    Args:
        path: the workbook (any file name: a workbook saved as ``.csv`` is read too).
        sheet: sheet name, or 0-based index, or None for the first sheet.
        chunksize: rows per yielded frame.
        info: receives notes and repeated header names.
        header: False when the first row is data.

    Raises:
        InputFormatError: not a readable workbook, or the sheet has no rows.
        InputError: the sheet does not exist (the message lists the sheets).
    """
    corrupt = _corrupt_types()
    with path.open("rb") as handle:
        book = _open_book(handle, path)
        try:
            rows = _pick_sheet(book, sheet, path).iter_rows(values_only=True)
            yield from _chunks(rows, path, chunksize, info, header)
        except corrupt as err:
            raise _corrupt_error(path, err) from None
        finally:
            book.close()


def sheet_samples(path: Path, n_rows: int) -> Iterator[tuple[str, list[str], pd.DataFrame | None]]:
    """Each sheet's name, header and first ``n_rows`` rows (None for a sheet without rows).

    Raises:
        InputFormatError: not a readable workbook.
    """
    with path.open("rb") as handle:
        book = _open_book(handle, path)
        try:
            for sheet in book.worksheets:
                chunks = _chunks(sheet.iter_rows(values_only=True), path, n_rows, RawInfo(path, "xlsx"))
                try:
                    first = next(chunks)
                except InputFormatError:  # no rows
                    yield sheet.title, [], None
                    continue
                yield sheet.title, list(first.columns), first
        except _corrupt_types() as err:
            raise _corrupt_error(path, err) from None
        finally:
            book.close()


def _open_book(handle: Any, path: Path) -> Any:
    """The workbook read from an open binary ``handle`` (a handle, so that no extension is required)."""
    from openpyxl import load_workbook

    try:
        return load_workbook(handle, read_only=True, data_only=True)
    except _corrupt_types() as err:
        raise _corrupt_error(path, err) from None


def _corrupt_error(path: Path, err: BaseException) -> InputFormatError:
    return InputFormatError(
        f"{path}: not a readable .xlsx workbook ({type(err).__name__}: {err}); "
        "is it password-protected, or an old .xls renamed? Save it again as .xlsx or .csv"
    )


def _pick_sheet(book: Any, sheet: str | int | None, path: Path) -> Any:
    names = list(book.sheetnames)
    if sheet is None or sheet == "":
        return book.worksheets[0]
    if isinstance(sheet, int) or (
        isinstance(sheet, str) and sheet.isdigit() and sheet not in names
    ):
        index = int(sheet)
        if 0 <= index < len(names):
            return book.worksheets[index]
    elif sheet in names:
        return book[sheet]
    raise InputError(
        f"{path}: no sheet {sheet!r}; the sheets are {', '.join(names)}; "
        "pass --sheet NAME (or a 0-based number)"
    )


def _chunks(
    rows: Iterator[tuple[Any, ...]], path: Path, chunksize: int, info: RawInfo, header: bool = True
) -> Iterator[pd.DataFrame]:
    first = _first_row(rows, path, trim=header)
    names = dedupe_header(first, info) if header else positional_header(len(first))
    chunk: list[list[str]] = [] if header else [first]
    width = len(names)
    total = 0
    for values in rows:
        cells = [cell_text(v) for v in values]
        if not any(c.strip() for c in cells):
            continue
        if any(c.strip() for c in cells[width:]):
            info.count_note("values right of the last named header column, ignored")
        chunk.append((cells + [""] * (width - len(cells)))[:width])
        if len(chunk) >= chunksize:
            total += len(chunk)
            yield strings_frame(chunk, names)
            chunk = []
    if chunk:
        yield strings_frame(chunk, names)
    elif total == 0:
        raise no_rows_error(path)


def _first_row(rows: Iterator[tuple[Any, ...]], path: Path, *, trim: bool = True) -> list[str]:
    """The cells of the first row with a value, up to its last value; with ``trim=False``
    every cell of the row (as wide as the sheet): a first data row's empty last cell
    must not narrow every row after it."""
    for values in rows:
        cells = [cell_text(v) for v in values]
        if not any(c.strip() for c in cells):
            continue
        while trim and cells and not cells[-1].strip():
            cells.pop()
        return cells
    raise no_rows_error(path)


def _corrupt_types() -> tuple[type[BaseException], ...]:
    """Exceptions that mean "this is no valid workbook" (openpyxl imported lazily)."""
    from openpyxl.utils.exceptions import InvalidFileException

    return (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, EOFError, ParseError)
