"""Printing an issue table in the terminal (shared by emerging and demo)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    import pandas as pd


def print_issues(issues: pd.DataFrame, limit: int = 20) -> None:
    """One block per issue: id, status, severity, then its summary line."""
    if issues.empty:
        typer.echo("no emerging issues in the evaluated windows")
        return
    shown = issues.sort_values("severity", ascending=False, kind="stable").head(limit)
    for _, r in shown.iterrows():
        status = f" [{r['status']}]" if "status" in r and isinstance(r["status"], str) else ""
        typer.echo(f"- {r['issue_id']}{status} severity {r['severity']:.0f}, q={r['q_value']:.2g}: {r['summary']}")
    if len(issues) > limit:
        typer.echo(f"... and {len(issues) - limit} more (see the output file)")
