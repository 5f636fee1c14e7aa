"""The Excel export: issues, per supplier × product summary, method notes, review ids.

Every sheet has a bold filled header, panes frozen below it, an autofilter and
column widths fitted to the text (CJK characters count double); long text
wraps. Formula-like text is a quote-prefixed string cell (see
:mod:`koubei.io.cells`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from koubei.errors import OutputError
from koubei.export.cells import display_width
from koubei.export.columns import (
    ISSUE_COLUMNS,
    REVIEW_ID_COLUMNS,
    SHEETS,
    SUMMARY_COLUMNS,
    headers,
    keys,
    pick,
)
from koubei.export.document import ExportDoc, method_rows, summary_rows
from koubei.export.rows import table_row
from koubei.io.cells import as_text_cell
from koubei.io.writers import EXCEL_MAX_ROWS

HEADER_FILL = "DDEBF7"
WRAP_KEYS = frozenset({"quote_1", "quote_2", "quote_3", "summary", "topics", "explanation"})
NUMBER_FORMATS = {"rate": "0.0%", "baseline_rate": "0.0%", "lift": "0.0", "q_value": "0.0E+00",
                  "severity": "0", "max_severity": "0"}
MAX_WIDTH, WRAP_WIDTH, MIN_WIDTH = 40, 60, 6


def write_xlsx(doc: ExportDoc, path: Path) -> None:
    """Write the workbook of ``doc`` to ``path`` (a temporary file; the caller renames it)."""
    from openpyxl import Workbook

    book = Workbook()
    issues = book.active
    issues.title = pick(SHEETS["issues"], doc.lang)
    rows = [table_row(r, doc.lang) for r in doc.records]
    _sheet(issues, ISSUE_COLUMNS, rows, doc)
    _sheet(book.create_sheet(pick(SHEETS["summary"], doc.lang)), SUMMARY_COLUMNS, summary_rows(doc), doc)
    method = (("item", "项目", "Item"), ("explanation", "说明", "Explanation"))
    notes = [{"item": item, "explanation": text} for item, text in method_rows(doc)]
    _sheet(book.create_sheet(pick(SHEETS["method"], doc.lang)), method, notes, doc, note=False)
    ids = [{"issue_id": r["issue_id"], "review_id": i} for r in doc.records for i in r["review_ids"]]
    if len(ids) >= EXCEL_MAX_ROWS:
        raise OutputError(f"{len(ids):,} review ids do not fit in an Excel sheet "
                          f"(max {EXCEL_MAX_ROWS - 1:,} rows); export --format csv instead")
    _sheet(book.create_sheet(pick(SHEETS["review_ids"], doc.lang)), REVIEW_ID_COLUMNS, ids, doc, note=False)
    book.save(path)


def _sheet(ws: Any, columns: tuple[tuple[str, str, str], ...], rows: Sequence[dict[str, Any]],
           doc: ExportDoc, *, note: bool = True) -> None:
    """Header, rows (or the no-issues note), frozen header, autofilter, widths."""
    cols = keys(columns)
    _header(ws, headers(columns, doc.lang))
    for r, row in enumerate(rows, start=2):
        for c, key in enumerate(cols, start=1):
            _put(ws.cell(row=r, column=c), row.get(key), key)
    if not rows and note:
        _put(ws.cell(row=2, column=1), doc.no_issues, "")
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    _widths(ws, cols, headers(columns, doc.lang), rows)


def _header(ws: Any, names: list[str]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    for c, name in enumerate(names, start=1):
        cell = ws.cell(row=1, column=c, value=name)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.alignment = Alignment(vertical="center", wrap_text=True)


def _put(cell: Any, value: Any, key: str) -> None:
    """One value: numbers as numbers, text cleaned of forbidden characters and never a formula."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment

    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
        as_text_cell(cell)
    else:
        cell.value = value
    if key in NUMBER_FORMATS:
        cell.number_format = NUMBER_FORMATS[key]
    if key in WRAP_KEYS:
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _widths(ws: Any, cols: list[str], names: list[str], rows: Sequence[dict[str, Any]]) -> None:
    from openpyxl.utils import get_column_letter

    for c, (key, name) in enumerate(zip(cols, names), start=1):
        cap = WRAP_WIDTH if key in WRAP_KEYS else MAX_WIDTH
        longest = max([display_width(name), *(display_width(_shown(r.get(key))) for r in rows[:500])])
        ws.column_dimensions[get_column_letter(c)].width = max(MIN_WIDTH, min(cap, longest + 2))


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)
