"""``koubei demo``: the bundled demo dump end to end, and where the outputs are."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from koubei.cli import _issues_view, _render
from koubei.cli._options import flag

if TYPE_CHECKING:
    from koubei.io import ReadReport


def demo(
    out_dir: Annotated[Path, typer.Option("-o", "--output", help="Folder for the demo outputs (created if missing).")] = Path("koubei-demo"),
    old_out_dir: Annotated[Path | None, typer.Option("--out-dir", hidden=True, help="Old name of --output, still read.")] = None,
    quiet: Annotated[bool, flag("--quiet", "-q", help="No progress bar or read report.")] = False,
) -> None:
    """Run the whole chain on the bundled demo dump: score, summarize, flag issues, export, report.

    Writes scored.parquet, summary.xlsx (supplier × product × week),
    issues.csv and the history koubei.duckdb (the latest week), issues.xlsx
    and report.html into the --output folder, replacing them on each run, and prints the
    issues it found.

    Examples:
      koubei demo -o koubei-demo
    """
    from koubei.demo import run_demo

    out_dir = old_out_dir or out_dir
    with _render.progress_bar(quiet) as ticker:

        def on_read(report: ReadReport) -> None:
            _render.read_report(report, quiet)
            ticker.start(report.n_rows)

        result = run_demo(out_dir, on_read=on_read, progress=ticker.advance)
    for line in _render.summary(result.scored.summary):
        typer.echo(line)
    typer.echo(f"scored demo dump written to {result.scored.output}")
    typer.echo(f"summary per supplier × product × week: {result.summary.output}")
    run = result.emerging
    window = ", ".join(w for w, _ in run.result.evaluated)
    typer.echo(f"emerging issues in {window} (by supplier, product):")
    _issues_view.print_issues(run.issues)
    typer.echo(f"issue list: {run.output}; history: {run.store} (koubei issues list --store {run.store})")
    typer.echo(f"for the product team: {result.export.path} (Excel issue list), {result.report.output} (HTML report)")
    typer.echo("next: koubei score your_reviews.xlsx --text-col 评论内容 -o scored.parquet")
