"""The HTML report: headline numbers, issues, trend charts, heat map, sentiment, taste, opinions.

    from koubei.report import build_report, write_report
    html = build_report(scored, issues, freq="W", by=("supplier", "product"))
    result = write_report("scored.parquet", "report.html", store="koubei.duckdb")
"""

from __future__ import annotations

from koubei.report.html import (
    CHART_IDS,
    DEFAULT_BY,
    DEFAULT_TITLE,
    ReportResult,
    build_report,
    write_report,
)

__all__ = ["CHART_IDS", "DEFAULT_BY", "DEFAULT_TITLE", "ReportResult", "build_report", "write_report"]
