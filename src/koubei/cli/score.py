"""``koubei score``: score a review dump."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from koubei.cli import _render
from koubei.cli._options import (
    BatchColOpt,
    ChannelColOpt,
    EncodingOpt,
    IdColOpt,
    InputFormatOpt,
    NoHeaderOpt,
    ProductColOpt,
    Quoting,
    QuotingOpt,
    RatingColOpt,
    RawOpt,
    SheetOpt,
    SupplierColOpt,
    TableFormat,
    TableFormatOpt,
    TextColOpt,
    TimeColOpt,
    TzOpt,
    flag,
    read_options,
)
from koubei.engines import Engine
from koubei.schema import DEFAULT_TZ
from koubei.scoring.defaults import DEFAULT_CHUNKSIZE, STREAM_FORMATS

if TYPE_CHECKING:  # the command imports the scorer when it runs, not when --help is asked for
    from koubei.io import ReadReport
    from koubei.scoring import ScoreSummary


def default_output(input_path: Path) -> Path:
    """``reviews.xlsx`` → ``reviews.scored.parquet`` beside it."""
    return input_path.with_name(input_path.stem + ".scored.parquet")


def score(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help="Review dump: .csv .tsv .jsonl .json .xlsx .parquet")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Output file (default: INPUT.scored.parquet beside the input).")] = None,
    fmt: TableFormatOpt = None,
    model: Annotated[Path | None, typer.Option("--model", help="Model bundle directory (default: the bundled models/default).")] = None,
    text_col: TextColOpt = None,
    id_col: IdColOpt = None,
    time_col: TimeColOpt = None,
    product_col: ProductColOpt = None,
    supplier_col: SupplierColOpt = None,
    batch_col: BatchColOpt = None,
    rating_col: RatingColOpt = None,
    channel_col: ChannelColOpt = None,
    input_format: InputFormatOpt = None,
    encoding: EncodingOpt = None,
    sheet: SheetOpt = None,
    quoting: QuotingOpt = Quoting.standard,
    no_header: NoHeaderOpt = False,
    now: Annotated[str | None, typer.Option("--now", help="Reference time for relative dates such as 3天前 (e.g. 2026-12-01T12:00); without it they are left empty.")] = None,
    tz: TzOpt = DEFAULT_TZ,
    overwrite: Annotated[bool, flag("--overwrite", help="Replace an existing output file.")] = False,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Reviews scored per batch.")] = 2000,
    workers: Annotated[int, typer.Option("--workers", min=0, help="Worker processes (0 = one per CPU core); the output is the same for any number.")] = 0,
    chunksize: Annotated[int, typer.Option("--chunksize", min=0, help="Rows read, scored and written at a time (Parquet, CSV, TSV, JSON Lines output; with --engine dask: rows per partition); 0 = the whole dump in memory.")] = DEFAULT_CHUNKSIZE,
    engine: Annotated[Engine, typer.Option("--engine", help="local: this machine; dask: Dask's distributed scheduler, output a folder of Parquet parts (needs pip install \"koubei\\[dask]\").")] = Engine.local,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="With --engine dask: address of a running scheduler, e.g. tcp://host:8786 (default: a local cluster of --workers processes).")] = None,
    partitions: Annotated[int | None, typer.Option("--partitions", min=1, help="With --engine dask: cut the dump into this many partitions (default: one per --chunksize rows).")] = None,
    raw: RawOpt = False,
    quiet: Annotated[bool, flag("--quiet", "-q", help="No progress bar or read report.")] = False,
) -> None:
    """Score every review: sentiment, topics with polarity, dimensions, taste direction.

    Writes every input row with its own columns plus koubei's (review_id,
    status, flags, sentiment, topic_<id>, topics, taste_detail, is_complaint...).
    Columns are found from common Chinese/English headers (评论内容, 评论时间, 商品,
    供应商, 批次, 评分, 渠道, review, time...; the list is corpora/columns.yaml)
    unless given with --text-col etc.; the mapping used is printed. No row is
    merged or dropped silently: a file that does not read as its format says
    is an error naming the line.

    Parquet, CSV, TSV and JSON Lines outputs are written chunk by chunk (memory
    bounded by --chunksize) to a hidden temporary file, renamed onto the output
    after the last chunk: an interrupted run leaves no output that looks
    complete, and running the same command again recovers. With --engine dask
    the output is a folder of Parquet parts with a _SUCCESS file.

    Examples:
      koubei score reviews.xlsx --text-col 评论内容 --time-col 评论时间 -o scored.parquet
      koubei score dump.csv --encoding gb18030 --now 2026-12-01T12:00 -o scored.csv
      koubei score reviews.csv -o scored/ --engine dask
    """
    from koubei.io.writers import check_outputs_apart
    from koubei.model.parallel import available_cores
    from koubei.scoring import score_file

    out = output or default_output(input_path)
    check_outputs_apart([out], [input_path], folder=engine is Engine.dask)
    _check_engine_options(engine, fmt, scheduler, partitions)
    read_args = read_options(quoting=quoting, no_header=no_header, encoding=encoding, sheet=sheet,
                             text_col=text_col, id_col=id_col, time_col=time_col,
                             product_col=product_col, supplier_col=supplier_col, batch_col=batch_col,
                             rating_col=rating_col, channel_col=channel_col, now=now, tz=tz)
    with _render.progress_bar(quiet) as ticker:

        def on_read(report: ReadReport) -> None:
            _render.read_report(report, quiet)
            ticker.start(report.status_counts.get("ok", report.n_rows))

        def on_done(report: ReadReport) -> None:  # streaming: the report is complete at the end
            _render.read_report(report, quiet)

        if engine is Engine.dask:
            from koubei.engines import score_dataset

            _open_ended(ticker)
            result: Any = score_dataset(
                input_path, out, scheduler=scheduler, partitions=partitions,
                chunksize=chunksize or DEFAULT_CHUNKSIZE, model_path=model, overwrite=overwrite,
                input_format=input_format,
                batch_size=batch_size, n_workers=workers or None, on_read=on_done,
                progress=ticker.advance, **read_args)
        else:
            streaming = chunksize > 0 and (fmt.value if fmt else _out_format(out)) in STREAM_FORMATS
            result = score_file(
                input_path, out, model_path=model, fmt=fmt.value if fmt else None, input_format=input_format,
                overwrite=overwrite, batch_size=batch_size, chunksize=chunksize,
                on_read=on_done if streaming else on_read, on_start=lambda _r: _open_ended(ticker),
                workers=workers or available_cores(), progress=ticker.advance, raw=raw, **read_args,
            )
    _print_summary(result.summary)
    typer.echo(f"wrote {result.output}")


def _print_summary(summary: ScoreSummary) -> None:
    for line in _render.summary(summary):
        typer.echo(line)


def _out_format(out: Path) -> str:
    from koubei.io.writers import output_format

    return output_format(out)


def _open_ended(ticker: _render.Ticker) -> None:
    """Start the bar without a total: streaming learns the row count at the end."""
    if ticker.bar is not None and ticker.task is None:
        ticker.task = ticker.bar.add_task(ticker.label, total=None)


def _check_engine_options(engine: Engine, fmt: TableFormat | None, scheduler: str | None,
                          partitions: int | None) -> None:
    if engine is Engine.dask and fmt not in (None, TableFormat.parquet):
        raise typer.BadParameter(f"--engine dask writes a folder of Parquet parts, not {fmt}",
                                 param_hint="--format")
    if engine is Engine.local and (scheduler or partitions):
        raise typer.BadParameter("needs --engine dask", param_hint="--scheduler/--partitions")
