"""Writing one frame as an ``.xlsx`` sheet with openpyxl's streaming writer.

Cells that would go wrong in Excel are made safe: tz-aware times are written
as their wall-clock time, missing values as empty cells, formula-like text
(``=``, ``+``, ``-``, ``@``...) as a quote-prefixed text cell
(:func:`koubei.io.cells.as_text_cell`), control characters that the file
format forbids are dropped, and text longer than an Excel cell holds is cut
(:func:`overlong_cells` counts those cells beforehand, for a warning).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from koubei.io.cells import EXCEL_MAX_CHARS, as_text_cell, cut_for_excel, looks_like_formula

_SHEET_BAD_RE = re.compile(r"[\[\]:*?/\\]")


def write_xlsx(df: pd.DataFrame, path: Path, sheet: str = "reviews") -> None:
    """Write ``df`` (without its index) to a new workbook at ``path``."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    ws = book.create_sheet(title=_SHEET_BAD_RE.sub("_", sheet)[:31] or "Sheet1")
    ws.append(_text_cells(ws, [str(c) for c in df.columns]))
    columns = [_column_cells(ws, df[name]) for name in df.columns]
    for row in zip(*columns, strict=True):
        ws.append(row)
    book.save(path)


def overlong_cells(df: pd.DataFrame) -> dict[str, int]:
    """Per column, the cells whose text is longer than an Excel cell holds (cut when written)."""
    counts: dict[str, int] = {}
    for i, name in enumerate(df.columns):
        values = df.iloc[:, i]
        if _is_text(values):
            texts = (_plain(v) for v in values.tolist())
            n = sum(1 for t in texts if isinstance(t, str) and len(t) > EXCEL_MAX_CHARS)
            if n:
                counts[str(name)] = counts.get(str(name), 0) + n
    return counts


def _is_text(values: pd.Series) -> bool:
    """Whether a column is written as text (not times, numbers or booleans)."""
    return not (isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(values)
                or pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values))


def _column_cells(ws: Any, values: pd.Series) -> list[Any]:
    if _is_text(values):
        return _text_cells(ws, [_plain(v) for v in values.tolist()])
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    if pd.api.types.is_datetime64_dtype(values):
        return [None if pd.isna(v) else v.to_pydatetime() for v in values]
    return values.astype(object).where(values.notna(), None).tolist()


def _plain(value: Any) -> Any:
    if value is None or (not isinstance(value, str | list | dict) and pd.isna(value)):
        return None
    if isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, pd.Timestamp):
        return value.tz_localize(None).to_pydatetime() if value.tzinfo else value.to_pydatetime()
    return str(value)


def _text_cells(ws: Any, values: list[Any]) -> list[Any]:
    """Strings cleaned of forbidden characters and cut to a cell's length; formula-like ones as text cells."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    out: list[Any] = []
    for value in values:
        if isinstance(value, str):
            value = cut_for_excel(ILLEGAL_CHARACTERS_RE.sub("", value))
            if looks_like_formula(value):
                value = as_text_cell(WriteOnlyCell(ws, value=value))
        out.append(value)
    return out
