"""Excel ``.xlsx``/``.xlsm`` dumps, read row by row with openpyxl.

The first row with any value is the header; header cells past the last named
one are dropped (values under them are counted in a note). Cells become
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
from koubei.io.rawinfo import RawInfo, cell_text, dedupe_header, no_rows_error, strings_frame


def iter_xlsx(
    path: Path, *, sheet: str | int | None, chunksize: int, info: RawInfo
) -> Iterator[pd.DataFrame]:
    """Yield chunks of one sheet (the first unless ``sheet`` names or numbers one).

    Args:
        path: the workbook.
        sheet: sheet name, or 0-based index, or None for the first sheet.
        chunksize: rows per yielded frame.
        info: receives notes.

    Raises:
        InputFormatError: not a readable workbook, or the sheet has no rows.
        InputError: the sheet does not exist (the message lists the sheets).
    """
    from openpyxl import load_workbook

    corrupt = _corrupt_types()
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except corrupt as err:
        raise _corrupt_error(path, err) from None
    try:
        rows = _pick_sheet(book, sheet, path).iter_rows(values_only=True)
        yield from _chunks(rows, path, chunksize, info)
    except corrupt as err:
        raise _corrupt_error(path, err) from None
    finally:
        book.close()


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
    rows: Iterator[tuple[Any, ...]], path: Path, chunksize: int, info: RawInfo
) -> Iterator[pd.DataFrame]:
    header = _header(rows, path)
    width = len(header)
    chunk: list[list[str]] = []
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
            yield strings_frame(chunk, header)
            chunk = []
    if chunk:
        yield strings_frame(chunk, header)
    elif total == 0:
        raise no_rows_error(path)


def _header(rows: Iterator[tuple[Any, ...]], path: Path) -> list[str]:
    for values in rows:
        cells = [cell_text(v) for v in values]
        while cells and not cells[-1].strip():
            cells.pop()
        if cells:
            return dedupe_header(cells)
    raise no_rows_error(path)


def _corrupt_types() -> tuple[type[BaseException], ...]:
    """Exceptions that mean "this is no valid workbook" (openpyxl imported lazily)."""
    from openpyxl.utils.exceptions import InvalidFileException

    return (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, EOFError, ParseError)
