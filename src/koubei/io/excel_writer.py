"""Writing one frame as an ``.xlsx`` sheet with openpyxl's streaming writer.

Cells that would go wrong in Excel are made safe: tz-aware times are written
as their wall-clock time, missing values as empty cells, text starting with
``=`` as a text cell (openpyxl would otherwise store a formula), and control
characters that the file format forbids are dropped.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

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


def _column_cells(ws: Any, values: pd.Series) -> list[Any]:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    if pd.api.types.is_datetime64_dtype(values):
        return [None if pd.isna(v) else v.to_pydatetime() for v in values]
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return values.astype(object).where(values.notna(), None).tolist()
    texts = [_plain(v) for v in values.tolist()]
    return _text_cells(ws, texts)


def _plain(value: Any) -> Any:
    if value is None or (not isinstance(value, str | list | dict) and pd.isna(value)):
        return None
    if isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, pd.Timestamp):
        return value.tz_localize(None).to_pydatetime() if value.tzinfo else value.to_pydatetime()
    return str(value)


def _text_cells(ws: Any, values: list[Any]) -> list[Any]:
    """Strings cleaned of forbidden characters; ``=...`` strings as text cells."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    out: list[Any] = []
    for value in values:
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
            if value.startswith("="):
                cell = WriteOnlyCell(ws, value=value)
                cell.data_type = "s"
                value = cell
        out.append(value)
    return out
