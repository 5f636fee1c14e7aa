"""Export: the issue list as Excel, CSV, Markdown or JSON for product teams.

    from koubei.export import export_issues

    export_issues("koubei.duckdb", "issues.xlsx", status="new", min_severity=40)
"""

from __future__ import annotations

from koubei.export.columns import ISSUE_COLUMNS
from koubei.export.issues import EXPORT_FORMATS, ExportResult, export_format, export_issues, review_ids_path
from koubei.export.teams import Teams, load_teams

__all__ = [
    "EXPORT_FORMATS",
    "ISSUE_COLUMNS",
    "ExportResult",
    "Teams",
    "export_format",
    "export_issues",
    "load_teams",
    "review_ids_path",
]
