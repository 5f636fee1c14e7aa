"""``koubei export``: the issue list as Excel, CSV, Markdown or JSON for product teams."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from koubei.cli._options import flag, split_list


class Lang(StrEnum):
    zh = "zh"
    en = "en"


class ExportFormat(StrEnum):
    """``--format`` of export (koubei.export.EXPORT_FORMATS)."""

    xlsx = "xlsx"
    csv = "csv"
    md = "md"
    json = "json"


def _statuses(values: list[str] | None) -> list[str] | None:
    """``--status new --status ongoing`` or ``--status new,ongoing`` → ``["new", "ongoing"]``."""
    out = [s for v in values or [] for s in split_list(v)]
    return out or None


def export(
    store: Annotated[Path, typer.Option("--store", help="Issue store file written by `koubei emerging --store FILE`.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="File to write (.xlsx .csv .md .json); default issues.<format> beside the store.")] = None,
    fmt: Annotated[ExportFormat | None, typer.Option("--format", case_sensitive=False, help="Issue list format when the extension does not tell (default: xlsx).")] = None,
    lang: Annotated[Lang, typer.Option("--lang", help="Language of headers, sheet names and labels.")] = Lang.zh,
    no_mask: Annotated[bool, flag("--no-mask", help="Do not mask personal data in quotes again (they are unmasked only if the store was filled with `koubei emerging --no-mask`).")] = False,
    status: Annotated[list[str] | None, typer.Option("--status", help="Only issues in these states: new, ongoing, resolved, muted (repeat or comma-separate; default: all but muted).")] = None,
    min_severity: Annotated[float | None, typer.Option("--min-severity", min=0.0, max=100.0, help="Only issues with at least this severity (0-100).")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Only issues flagged in a window ending after this window label (2026-W40, 2026-11) or date (2026-11-23).")] = None,
    teams: Annotated[Path | None, typer.Option("--teams", help="Topic → team mapping file (default: corpora/teams.yaml).")] = None,
    overwrite: Annotated[bool, flag("--overwrite", help="Replace existing output files.")] = False,
    raw: Annotated[bool, flag("--raw", help="CSV output (the issue file and its review-id file): write text cells as they are, for programs reading the files. By default text starting with = + - @ gets a leading ' so Excel shows it instead of running it as a formula. xlsx cells always hold the text as it is (quote-prefixed text, never a formula); md and json are never changed.")] = False,
) -> None:
    """Export the recorded issues as a file for product teams (Excel, CSV, Markdown, JSON).

    One row per issue with its state, topic (Chinese and English), product,
    supplier, window, counts, lift, significance, severity, trend, three
    masked quotes, a suggested owner team and a summary line to paste into a
    ticket; the review ids behind each issue come on their own sheet or file.
    The output is checked before the store is read and written atomically.

    Examples:
      koubei export --store koubei.duckdb -o issues.xlsx
      koubei export --store koubei.duckdb -o new.csv --status new --min-severity 40 --since 2026-W40 --lang en
    """
    from koubei.export import export_format, export_issues, review_ids_path

    target = output or store.with_name(f"issues.{export_format('issues.xlsx', fmt)}")
    ids_file = review_ids_path(target) if export_format(target, fmt) == "csv" else None
    from koubei.io.writers import check_outputs_apart

    check_outputs_apart([target, ids_file], [store, teams])
    res = export_issues(store, target, fmt=fmt, lang=lang.value, mask=not no_mask,
                        status=_statuses(status), min_severity=min_severity, since=since, teams=teams,
                        overwrite=overwrite, raw=raw)
    if not res.issues:
        typer.echo(f"no issues in {store} with these filters; {res.path} says so")
    else:
        typer.echo(f"{res.issues} issue{'s' if res.issues != 1 else ''}, {res.review_ids:,} review ids")
    typer.echo("wrote " + ", ".join(str(p) for p in res.files))
