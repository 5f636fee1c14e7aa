"""The text exports: CSV (UTF-8 with BOM, review ids in a sibling file), Markdown, JSON."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from koubei.export.cells import md_cell
from koubei.export.columns import (
    ISSUE_COLUMNS,
    REVIEW_ID_COLUMNS,
    SHEETS,
    SUMMARY_COLUMNS,
    headers,
    keys,
    pick,
)
from koubei.export.document import ExportDoc, filters_text, method_rows, summary_rows
from koubei.export.rows import table_row
from koubei.io.cells import defuse

#: decimals kept in CSV cells (JSON keeps full precision)
CSV_DECIMALS = {"rate": 4, "baseline_rate": 4, "lift": 2, "severity": 1, "max_severity": 1}
_MD_FORMATS = {"rate": "{:.1%}", "baseline_rate": "{:.1%}", "lift": "{:.1f}", "q_value": "{:.2g}",
               "severity": "{:.0f}", "max_severity": "{:.0f}"}


def write_csv(doc: ExportDoc, path: Path, *, raw: bool = False) -> None:
    """The issue table, headers in ``doc.lang``; the no-issues note as the only row when empty.

    Formula-like text gets a leading apostrophe (:func:`koubei.io.cells.defuse`) unless ``raw``.
    """
    rows = [[_csv_value(k, table_row(r, doc.lang)[k], raw) for k in keys(ISSUE_COLUMNS)]
            for r in doc.records]
    if not rows:
        rows = [[doc.no_issues] + [""] * (len(ISSUE_COLUMNS) - 1)]
    _csv(path, headers(ISSUE_COLUMNS, doc.lang), rows)


def write_review_ids_csv(doc: ExportDoc, path: Path, *, raw: bool = False) -> None:
    """One row per issue × review_id (defused as :func:`write_csv` is, unless ``raw``)."""
    cell = _as_is if raw else defuse
    rows = [[cell(r["issue_id"]), cell(i)] for r in doc.records for i in r["review_ids"]]
    _csv(path, headers(REVIEW_ID_COLUMNS, doc.lang), rows)


def _as_is(value: Any) -> Any:
    return value


def _csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def _csv_value(key: str, value: Any, raw: bool = False) -> Any:
    if value is None:
        return ""
    if isinstance(value, float) and key in CSV_DECIMALS:
        return round(value, CSV_DECIMALS[key])
    if isinstance(value, float) and key == "q_value":
        return float(f"{value:.3g}")
    return value if raw else defuse(value)


def write_md(doc: ExportDoc, path: Path) -> None:
    """A Markdown page: header line, issue table, summary lines, per-cell summary, review ids, method."""
    path.write_text("\n".join(md_lines(doc)) + "\n", encoding="utf-8")


def md_lines(doc: ExportDoc) -> list[str]:
    """The lines of the Markdown export."""
    zh = doc.lang == "zh"
    lines = [f"# koubei {'问题列表' if zh else 'issues'}", "",
             md_cell(f"{doc.generated_at} · koubei {doc.version} · {doc.store}"), "",
             md_cell(f"{'筛选条件' if zh else 'Filters'}: {filters_text(doc.filters, zh)}"), ""]
    if not doc.records:
        return [*lines, md_cell(doc.no_issues), ""]
    lines += _md_table(ISSUE_COLUMNS, [table_row(r, doc.lang) for r in doc.records], doc)
    lines += ["", f"## {'摘要' if zh else 'Summary lines'}", ""]
    lines += [f"- {md_cell(r['summary'])}" for r in doc.records]
    lines += ["", f"## {pick(SHEETS['summary'], doc.lang)}", ""]
    lines += _md_table(SUMMARY_COLUMNS, summary_rows(doc), doc)
    lines += ["", f"## {pick(SHEETS['review_ids'], doc.lang)}", ""]
    lines += [f"- {md_cell(r['issue_id'])}: {md_cell(', '.join(r['review_ids']))}" for r in doc.records]
    lines += ["", f"## {pick(SHEETS['method'], doc.lang)}", ""]
    lines += [f"- {md_cell(item)}: {md_cell(text)}" for item, text in method_rows(doc)]
    return lines


def _md_table(columns: tuple[tuple[str, str, str], ...], rows: list[dict[str, Any]],
              doc: ExportDoc) -> list[str]:
    cols = keys(columns)
    out = ["| " + " | ".join(md_cell(h) for h in headers(columns, doc.lang)) + " |",
           "|" + "---|" * len(cols)]
    for row in rows:
        out.append("| " + " | ".join(_md_value(k, row.get(k)) for k in cols) + " |")
    return out


def _md_value(key: str, value: Any) -> str:
    if isinstance(value, float) and key in _MD_FORMATS:
        return _MD_FORMATS[key].format(value)
    return md_cell(value)


def json_document(doc: ExportDoc) -> dict[str, Any]:
    """The JSON export as data (``corpora/schema/issues.schema.json``)."""
    return {
        "generated_at": doc.generated_at,
        "koubei_version": doc.version,
        "lang": doc.lang,
        "store": doc.store,
        "filters": doc.filters,
        "count": len(doc.records),
        "message": "" if doc.records else doc.no_issues,
        "columns": [{"key": k, "header": h}
                    for k, h in zip(keys(ISSUE_COLUMNS), headers(ISSUE_COLUMNS, doc.lang))],
        "issues": doc.records,
    }


def write_json(doc: ExportDoc, path: Path) -> None:
    """UTF-8 JSON, Chinese unescaped."""
    path.write_text(json.dumps(json_document(doc), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
