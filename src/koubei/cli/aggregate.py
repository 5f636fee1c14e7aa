"""``koubei aggregate``: sentiment, 满意率 and complaints per group and time window."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from koubei.aggregate.freq import Freq
from koubei.cli._options import (
    FREQ_HELP,
    InputFormatOpt,
    RawOpt,
    TableFormatOpt,
    TzOpt,
    flag,
    split_list,
)
from koubei.engines import Engine
from koubei.schema import DEFAULT_TZ

if TYPE_CHECKING:
    from koubei.aggregate import AggregateReport, AggregateResult


class RatingScale(StrEnum):
    five = "5"
    ten = "10"
    fifty = "50"


_SCALES = {5: "1-5 ratings, 4-5 satisfied", 10: "1-10 ratings, 8-10 satisfied",
           50: "10-50 ratings, 40-50 satisfied"}


def aggregate(
    scored: Annotated[Path, typer.Argument(metavar="SCORED", help="A file written by koubei score (.parquet .csv .tsv .jsonl .json .xlsx).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output table; format from its extension (.csv .tsv .parquet .jsonl .json .xlsx).")],
    by: Annotated[str | None, typer.Option("--by", help="Grouping columns, comma-separated: supplier,product,batch,channel or any other column.")] = None,
    freq: Annotated[Freq | None, typer.Option("--freq", case_sensitive=False, help=f"Time windows: {FREQ_HELP}; needs a time column.")] = None,
    fmt: TableFormatOpt = None,
    overwrite: Annotated[bool, flag("--overwrite", help="Replace an existing output file.")] = False,
    tz: TzOpt = DEFAULT_TZ,
    rating_scale: Annotated[RatingScale | None, typer.Option("--rating-scale", help="Rating scale for 满意率: 5 (1-5), 10 (1-10), 50 (10-50, Meituan/Dianping); default: told from the largest rating.")] = None,
    top_opinions: Annotated[int, typer.Option("--top-opinions", min=0, help="Opinion phrases of negative topics listed per row (0: none).")] = 5,
    input_format: InputFormatOpt = None,
    engine: Annotated[Engine, typer.Option("--engine", help="local: read SCORED into this process; dask: count the parts of a Parquet dataset folder (koubei score --engine dask) on Dask's distributed scheduler (needs pip install \"koubei\\[dask]\").")] = Engine.local,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="With --engine dask: address of a running scheduler, e.g. tcp://host:8786 (default: a local cluster of --workers processes).")] = None,
    workers: Annotated[int, typer.Option("--workers", min=0, help="With --engine dask and no --scheduler: worker processes of the local cluster (0 = one per CPU core).")] = 0,
    raw: RawOpt = False,
    quiet: Annotated[bool, flag("--quiet", "-q", help="Print only the output path (and warnings).")] = False,
) -> None:
    """Count sentiment, 满意率 and complaint topics per group and time window.

    One row per group × window (e.g. --by supplier,product --freq W); without
    --by and --freq, one overall row. Only scored, non-templated, non-repeated
    reviews count. With --freq every group gets every window from the first to
    the last: a window without reviews is a row of zeros. 满意率 (satisfaction
    rate) is the share of ratings 4-5 of 5 (8-10 of 10, 40-50 of 10-50).
    With --engine dask the parts of a Parquet dataset folder are counted on
    Dask's workers and only the per-group sums come back.

    Examples:
      koubei aggregate scored.parquet -o summary.xlsx --by supplier,product --freq W
      koubei aggregate scored.parquet -o overall.csv
      koubei aggregate scored/ -o summary.xlsx --by supplier --freq M --engine dask
    """
    from koubei.aggregate import aggregate_file
    from koubei.io.writers import check_outputs_apart

    check_outputs_apart([output], [scored])
    options: dict[str, Any] = dict(
        by=split_list(by), freq=freq, fmt=fmt.value if fmt else None, overwrite=overwrite, tz=tz,
        rating_scale=int(rating_scale.value) if rating_scale else None, top_opinions=top_opinions,
        raw=raw,
    )
    if engine is Engine.dask:
        if input_format not in (None, "parquet"):
            raise typer.BadParameter("--engine dask reads a folder of Parquet parts",
                                     param_hint="--input-format")
        from koubei.aggregate.dataset import aggregate_dataset

        result = aggregate_dataset(scored, output, scheduler=scheduler, n_workers=workers or None,
                                   **options)
    else:
        if scheduler or workers:
            raise typer.BadParameter("needs --engine dask", param_hint="--scheduler/--workers")
        result = aggregate_file(scored, output, input_format=input_format, **options)
    for line in untimed_warning(result.report, freq is not None):
        typer.echo(line, err=True)
    if not quiet:
        for line in summary(result):
            typer.echo(line)
    typer.echo(f"wrote {result.output}")


def untimed_warning(report: AggregateReport, windowed: bool) -> list[str]:
    """The counted rows left out of the windows for want of a time, if any."""
    if not windowed or not report.untimed:
        return []
    first = ", ".join(f"{rid} (row {row})" for row, rid in report.untimed_examples)
    more = ", ..." if report.untimed > len(report.untimed_examples) else ""
    return [f"warning: {report.untimed:,} counted reviews have no parseable time and are left out "
            f"of the windows: {first}{more}"]


def summary(result: AggregateResult) -> list[str]:
    """Lines of an aggregation summary."""
    r = result.report
    lines = [f"rows: {r.rows_read:,}   counted: {r.rows_counted:,}"]
    if r.excluded:
        lines.append("not counted: " + ", ".join(f"{k} {v:,}" for k, v in r.excluded.items()))
    table = result.table
    span = ""
    if "window_start" in table and len(table):
        starts = table["window_start"]
        span = f" ({table.loc[starts.idxmin(), 'window']} .. {table.loc[starts.idxmax(), 'window']})"
    lines.append(f"groups: {r.groups:,}   windows: {r.windows:,}{span}   table rows: {len(table):,}")
    scale = _SCALES.get(r.rating_scale) if r.rating_scale else None
    lines.append(f"满意率 from {scale}" if scale else "满意率: no ratings")
    return lines
