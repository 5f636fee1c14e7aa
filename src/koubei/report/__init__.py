"""The HTML report: headline numbers, issues, trend charts, heat map, sentiment, taste, opinions.

    from koubei.report import build_report, write_report
    html = build_report(scored, issues, freq="W", by=("supplier", "product"))
    result = write_report("scored.parquet", "report.html", store="koubei.duckdb")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from koubei._lazy import lazy_exports
from koubei.report.defaults import DEFAULT_TITLE

if TYPE_CHECKING:
    from koubei.report.html import CHART_IDS, DEFAULT_BY, ReportResult, build_report, write_report

__getattr__ = lazy_exports(__name__, dict.fromkeys(
    ("CHART_IDS", "DEFAULT_BY", "ReportResult", "build_report", "write_report"), "koubei.report.html"))

__all__ = ["CHART_IDS", "DEFAULT_BY", "DEFAULT_TITLE", "ReportResult", "build_report", "write_report"]
