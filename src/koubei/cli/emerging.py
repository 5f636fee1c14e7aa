"""``koubei emerging``: flag rising complaints in a scored file, trace them, keep their history."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from koubei.aggregate.freq import Freq
from koubei.cli import _issues_view
from koubei.cli._options import FREQ_HELP, RawOpt, TableFormatOpt, TzOpt, flag, split_list
from koubei.detect.config import EmergingConfig
from koubei.engines import Engine
from koubei.schema import DEFAULT_TZ

if TYPE_CHECKING:
    from koubei.detect.emerging import EmergingResult, Windows


def emerging(
    input_path: Annotated[Path, typer.Argument(metavar="SCORED", help="A file written by koubei score, or the folder of Parquet parts koubei score --engine dask writes.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Issue table to write (.csv .xlsx .parquet .jsonl .json).")] = None,
    freq: Annotated[Freq, typer.Option("--freq", case_sensitive=False, help=f"Windows: {FREQ_HELP}.")] = Freq.W,
    by: Annotated[str | None, typer.Option("--by", help="Grouping columns, coarse to fine: supplier,product.")] = None,
    store: Annotated[Path | None, typer.Option("--store", help="Issue-history DuckDB file (created if missing); gives each issue a status.")] = None,
    window: Annotated[str | None, typer.Option("--window", help="Window(s) to evaluate, e.g. 2026-W47 or 2026-W46,2026-W47 (default: the latest).")] = None,
    last: Annotated[int | None, typer.Option("--last", min=1, help="Evaluate the last N windows.")] = None,
    all_windows: Annotated[bool, flag("--all-windows", help="Evaluate every window (a backfill).")] = False,
    trace: Annotated[str | None, typer.Option("--trace", help="More columns to trace issues over, e.g. region,shop.")] = None,
    min_count: Annotated[int, typer.Option("--min-count", min=1, help="Fewest complaints in a window (or the pooled drift windows) to flag.")] = EmergingConfig.min_count,
    max_q: Annotated[float, typer.Option("--max-q", min=0.0, max=1.0, help="False-discovery rate (Benjamini-Hochberg q).")] = EmergingConfig.max_q,
    baseline_windows: Annotated[int, typer.Option("--baseline-windows", min=1, help="Past windows in the baseline.")] = EmergingConfig.baseline_windows,
    resolve_after: Annotated[int, typer.Option("--resolve-after", min=1, help="With --store: clean evaluated windows after which an issue is resolved.")] = 2,
    novel: Annotated[bool, flag("--novel/--no-novel", help="Also look for new kinds of complaint (clusters no topic covers).")] = True,
    model: Annotated[Path | None, typer.Option("--model", help="Model bundle whose embedder clusters new complaints (default: bundled).")] = None,
    no_mask: Annotated[bool, flag("--no-mask", help="Do not mask personal data in quotes (phone, ID, bank card, order numbers, e-mail, WeChat/QQ ids, addresses, recipient names).")] = False,
    fmt: TableFormatOpt = None,
    overwrite: Annotated[bool, flag("--overwrite", help="Replace an existing output file.")] = False,
    tz: TzOpt = DEFAULT_TZ,
    engine: Annotated[Engine, typer.Option("--engine", help="local: read SCORED into this process; dask: SCORED is a Parquet dataset folder (koubei score --engine dask), counted part by part on Dask's distributed scheduler, only the counts and the flagged issues' rows coming back (needs pip install \"koubei\\[dask]\").")] = Engine.local,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="With --engine dask: address of a running scheduler, e.g. tcp://host:8786 (default: a local cluster of --workers processes).")] = None,
    workers: Annotated[int, typer.Option("--workers", min=0, help="With --engine dask and no --scheduler: worker processes of the local cluster (0 = one per CPU core).")] = 0,
    raw: RawOpt = False,
    quiet: Annotated[bool, flag("--quiet", "-q", help="Print only the summary lines.")] = False,
) -> None:
    """Flag complaint topics (and taste directions) rising in a window, per supplier/product.

    A complaint key is a topic criticised (topic_<id> negative) or a taste
    direction (口味·太淡, taste/too_bland). Each key is tested in every cell:
    everything (全部), then each prefix of --by (each supplier, each supplier ×
    product), against its own past windows (spike and drift tests,
    false-discovery controlled), traced to the batch, product or channel where
    it concentrates, and, with --store, given a status: new, ongoing, resolved
    or muted. The scored file needs a time column (koubei score --time-col).

    A run that fails records nothing and writes nothing. With --engine dask
    the parts of a Parquet dataset folder are counted on Dask's workers; the
    issues are the same as with --engine local.

    Examples:
      koubei emerging scored.parquet --by supplier,product --store koubei.duckdb -o issues.csv
      koubei emerging scored.parquet --by supplier,product --all-windows
    """
    from koubei.detect.run import run_emerging
    from koubei.io.writers import check_outputs_apart

    check_outputs_apart([output, store], [input_path, model])
    if engine is Engine.local and (scheduler or workers):
        raise typer.BadParameter("needs --engine dask", param_hint="--scheduler/--workers")
    windows: Windows = "all" if all_windows else last if last else split_list(window) or "last"
    cfg = EmergingConfig(min_count=min_count, max_q=max_q, baseline_windows=baseline_windows)
    loaded = None
    if novel and model is not None:
        from koubei.model.review_model import load_model

        loaded = load_model(model)
    run = run_emerging(input_path, output, freq=freq.value, by=split_list(by), store=store,
                       windows=windows, config=cfg, novel=novel, model=loaded,
                       trace_extra=split_list(trace), mask=not no_mask, resolve_after=resolve_after,
                       fmt=fmt, overwrite=overwrite, tz=tz, engine=engine,
                       scheduler=scheduler if engine is Engine.dask else None,
                       n_workers=(workers or None) if engine is Engine.dask else None, raw=raw)
    res = run.result
    span = ", ".join(w for w, _ in res.evaluated[:3]) + (" ..." if len(res.evaluated) > 3 else "")
    typer.echo(f"windows evaluated: {span} ({res.freq.value}); key-windows tested: {res.tested:,}; "
               f"reviews counted: {res.counted:,} of {res.rows:,}")
    if res.tested == 0:
        typer.echo("no countable reviews in the evaluated window(s): nothing to test")
    if res.no_time:
        typer.echo(f"without a parseable time, left out: {res.no_time:,} (e.g. {', '.join(res.no_time_ids[:5])})")
    typer.echo(f"issues: {len(run.issues)} ({run.novel} new kinds of complaint)")
    if not quiet:
        _issues_view.print_issues(run.issues)
    if run.issues.empty and windows == "last" and (hint := _earlier_windows_hint(res)):
        typer.echo(hint)
    if run.output:
        typer.echo(f"wrote {run.output}")
    if run.store:
        typer.echo(f"recorded in {run.store}; see `koubei issues list --store {run.store}`")


def _earlier_windows_hint(res: EmergingResult) -> str | None:
    """Where a run of the latest window alone found nothing in data that spans more windows:
    what it looked at, and how to look further back (a new user's dump of 2014-2021 reviews
    got "no emerging issues" from its last week and stopped there)."""
    from koubei.aggregate.windows import window_label

    totals = res.window_totals
    if len(totals) < 2 or not res.evaluated:
        return None
    label, start = res.evaluated[-1]
    first = window_label(totals.index[0], res.freq)
    n = int(totals.get(start, 0))
    return (f"only the latest window, {label} ({n:,} countable reviews), was evaluated; the data span "
            f"{first} to {label} ({len(totals):,} windows): add --last N for the last N windows "
            f"or --all-windows for every one")
