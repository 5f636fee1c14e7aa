"""Making cell text safe for the spreadsheets that open koubei's files.

Formula injection (CSV injection): text that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return (or their full-width forms ``＝ ＋ － ＠``) can
be run as a formula when a spreadsheet opens the file (``=HYPERLINK(...)``,
``+cmd|...``). Every CSV and TSV writer of koubei passes its cells through
:func:`defuse`, which puts a leading apostrophe before such text, as OWASP
recommends, unless the caller asks for raw cells (``--raw``, for programs
reading the file). In xlsx such text is a string cell with Excel's own "quote
prefix" flag (:func:`as_text_cell`, what Excel sets when you type ``'=...``):
shown unchanged, and still text when edited.

Excel keeps at most :data:`EXCEL_MAX_CHARS` characters in a cell; longer text
is cut (:func:`cut_for_excel`), and the writer warns how many cells were.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
#: characters Excel keeps in one cell
EXCEL_MAX_CHARS = 32_767
#: formats a spreadsheet opens as cells, whose text :func:`defuse` makes safe
DEFUSED_FORMATS = frozenset({"csv", "tsv"})


def looks_like_formula(value: Any) -> bool:
    """True for text a spreadsheet could take for a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def defuse(value: Any) -> Any:
    """Prefix formula-like text with an apostrophe; other values unchanged."""
    return "'" + value if looks_like_formula(value) else value


def defuse_frame(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with :func:`defuse` applied to its column names and text cells (a copy when any changed)."""
    out = df
    names = [defuse(c) for c in df.columns]
    if names != list(df.columns):
        out = out.set_axis(names, axis=1)
    for i in range(df.shape[1]):
        col = df.iloc[:, i]
        categorical = isinstance(col.dtype, pd.CategoricalDtype)  # its categories are the text written
        if not (categorical or pd.api.types.is_object_dtype(col.dtype)
                or pd.api.types.is_string_dtype(col.dtype)):
            continue
        values = col.tolist()
        if any(looks_like_formula(v) for v in values):
            if out is df:
                out = df.copy(deep=False)
            out.isetitem(i, pd.Series([defuse(v) for v in values], index=col.index,
                                      dtype=object if categorical else col.dtype))
    return out


def spreadsheet_cells(df: pd.DataFrame, fmt: str, *, raw: bool = False) -> pd.DataFrame:
    """The frame a writer of ``fmt`` writes: defused for CSV/TSV unless ``raw``, else ``df`` itself."""
    return df if raw or fmt not in DEFUSED_FORMATS else defuse_frame(df)


def as_text_cell(cell: Any) -> Any:
    """An openpyxl cell holding formula-like text: stored as text with Excel's quote prefix."""
    if looks_like_formula(cell.value):
        cell.data_type = "s"  # openpyxl stores "=..." as a formula otherwise
        cell.quotePrefix = True
    return cell


def cut_for_excel(value: Any) -> Any:
    """Text cut to the :data:`EXCEL_MAX_CHARS` characters an Excel cell holds; other values unchanged."""
    return value[:EXCEL_MAX_CHARS] if isinstance(value, str) and len(value) > EXCEL_MAX_CHARS else value
