"""``koubei demo``: score the bundled demo dump and say where the output is."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from koubei.cli import _render
from koubei.demo import run_demo


def demo(
    out_dir: Annotated[Path, typer.Option("-o", "--out-dir", help="Folder for the demo outputs (created if missing).")] = Path("koubei-demo"),
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or read report.")] = False,
) -> None:
    """Score the bundled demo dump (synthetic snack reviews, corpora/demo/) end to end."""
    with _render.progress_bar(quiet) as ticker:

        def on_read(report) -> None:  # type: ignore[no-untyped-def]
            _render.read_report(report, quiet)
            ticker.start(report.n_rows)

        result = run_demo(out_dir, on_read=on_read, progress=ticker.advance)
    for line in _render.summary(result.summary):
        typer.echo(line)
    typer.echo(f"scored demo dump written to {result.output}")
    typer.echo("next: koubei score your_reviews.xlsx --text-col 评论内容 -o scored.parquet")
