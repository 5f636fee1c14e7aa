"""``koubei report``: one self-contained HTML report of a scored file and its issues."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from koubei.aggregate.freq import Freq
from koubei.cli._options import FREQ_HELP, flag, split_list
from koubei.report.defaults import DEFAULT_TITLE


def report(
    scored: Annotated[Path, typer.Argument(metavar="SCORED", help="A file written by koubei score.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="HTML file to write (one self-contained file).")],
    store: Annotated[Path | None, typer.Option("--store", help="Issue-history DuckDB file written by koubei emerging --store; without it the latest window is checked here.")] = None,
    freq: Annotated[Freq, typer.Option("--freq", case_sensitive=False, help=f"Windows: {FREQ_HELP}.")] = Freq.W,
    by: Annotated[str, typer.Option("--by", help="Grouping columns, coarse to fine: the first rows the heat map, the last splits the taste chart.")] = "supplier,product",
    title: Annotated[str, typer.Option("--title", help="Title of the report.")] = DEFAULT_TITLE,
    overwrite: Annotated[bool, flag("--overwrite", help="Replace an existing output file.")] = False,
) -> None:
    """Write one self-contained HTML report: headline numbers, issues and charts.

    The file opens offline (plotly.js is inside it): the issue list with
    trend charts and quotes, complaint rate by supplier × topic, sentiment
    over time, taste directions and the top negative opinion phrases. With
    --store the issues are the store's, with their states; without it the
    latest window is checked here, and nothing is recorded.

    Examples:
      koubei report scored.parquet --store koubei.duckdb -o report.html
    """
    from koubei.io.writers import check_outputs_apart
    from koubei.report import write_report

    check_outputs_apart([output], [scored, store])
    result = write_report(scored, output, store=store, freq=freq.value, by=split_list(by), title=title,
                          overwrite=overwrite)
    for line in result.warnings:
        typer.echo(f"warning: {line}", err=True)
    states = ", ".join(f"{k or 'unrecorded'} {v}" for k, v in result.by_status.items())
    where = {"store": f"from {store}", "detected": "detected in the latest window (not recorded)",
             "none": "not detected: the reviews have no times"}[result.issue_source]
    typer.echo(f"issues: {result.issues}{f' ({states})' if states else ''}, {where}")
    typer.echo(f"charts: {len(result.charts)}")
    typer.echo(f"wrote {result.output}")
