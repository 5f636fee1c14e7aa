"""The summary table: sentiment, 满意率 and complaints per group and time window.

One row per group × window, sorted by the group columns and then the window.
Only countable rows (:func:`koubei.schema.countable`) are counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from koubei.aggregate.combine import finish
from koubei.aggregate.partial import EXAMPLES, PartialCounts, count_partition, no_time
from koubei.aggregate.satisfaction import resolve_rating_scale
from koubei.aggregate.scored import check_group_columns, load_scored, restore_scored
from koubei.aggregate.windows import Freq, parse_freq
from koubei.io import write_table
from koubei.io.writers import check_output
from koubei.schema import DEFAULT_TZ, countable, exclusions
from koubei.taxonomy import Taxonomy, load_taxonomy


@dataclass
class AggregateReport:
    """What an aggregation read and counted, for the terminal and for tests.

    Attributes:
        rows_read: rows in the scored file.
        rows_counted: countable rows (scored, not templated, not repeated).
        excluded: rows not counted, each under its first reason:
            ``non_ok_status``, ``templated``, ``duplicate``, ``near_duplicate``,
            ``unscored`` (status ok but no prediction).
        untimed: counted rows without a parseable time; with a ``freq`` they
            are left out of the table.
        untimed_examples: the first of them as (1-based data row, review_id).
        rating_scale: the rating scale used for 满意率 (None: no ratings).
        groups: distinct groups in the table.
        windows: distinct windows in the table.
    """

    rows_read: int
    rows_counted: int
    excluded: dict[str, int] = field(default_factory=dict)
    untimed: int = 0
    untimed_examples: list[tuple[int, str]] = field(default_factory=list)
    rating_scale: int | None = None
    groups: int = 0
    windows: int = 0


@dataclass
class AggregateResult:
    """The output written, the table and the report.

    Attributes:
        output: the file written.
        table: the table written (one row per group × window).
        report: what was read and counted.
    """

    output: Path
    table: pd.DataFrame
    report: AggregateReport


def aggregate(
    frame: pd.DataFrame,
    *,
    by: Sequence[str] = (),
    freq: str | Freq | None = None,
    taxonomy: Taxonomy | None = None,
    top_opinions: int = 5,
    rating_scale: int | None = None,
    source: str = "the scored frame",
) -> pd.DataFrame:
    """Count a scored frame per group and time window.

    Empty windows: with a ``freq`` the windows run from the first to the last
    window holding a counted, timed review, and *every* group that has such a
    review gets *every* window of that range, with ``reviews`` 0 (and NaN
    rates) where it has none; so the table is a full group × window grid that
    plots and pivots without gaps. Groups are text; a missing value is the
    group ``""``. Counted rows without a parseable time are left out when
    ``freq`` is given (see :func:`aggregate_report`).

    Args:
        frame: a scored frame (``ReviewModel.score`` or :func:`load_scored`);
            naive times are read as Asia/Shanghai wall-clock times.
        by: grouping columns (``supplier``, ``product``, ``batch``, ``channel``
            or any other column); none → one group.
        freq: ``D``, ``W`` (weeks start Monday 00:00) or ``M``; None → one window ``all``.
        taxonomy: the taxonomy the frame was scored with (default: the bundled
            one); it gives the taste directions and the Chinese topic names
            that ``opinions`` uses.
        top_opinions: opinion phrases of negative topics listed per row (0: none).
        rating_scale: 5, 10 or 50; None → told from the largest rating
            (see :mod:`koubei.aggregate.satisfaction`).
        source: how errors name the data (the file name).

    Returns:
        The tidy table; its columns are listed in the docs' output-columns
        reference (``koubei aggregate``).

    Raises:
        ColumnError: a grouping column is missing, or ``freq`` without a time column.
        InputFormatError: ``freq`` and no counted review has a parseable time.
        InputError: ratings beyond the rating scale.
    """
    f = parse_freq(freq) if freq is not None else None
    scored = prepare_scored(frame, source)
    by = list(dict.fromkeys(by))
    check_group_columns(scored, by, source)
    parts = count_partition(scored, by=by, freq=f, taxonomy=taxonomy or load_taxonomy(),
                            opinions=top_opinions > 0)
    table, _ = finish(parts, by=by, freq=f, top_opinions=top_opinions, rating_scale=rating_scale,
                      source=source)
    return table


def aggregate_report(frame: pd.DataFrame, *, rating_scale: int | None = None) -> AggregateReport:
    """Rows read, counted, excluded by reason and without a parseable time.

    ``frame`` is the scored frame as read (:func:`load_scored`).
    """
    counted = countable(frame)
    excluded = exclusions(frame, counted)
    untimed_rows = np.flatnonzero(counted.to_numpy() & no_time(frame).to_numpy())
    ids = frame["review_id"].astype(str).to_numpy()
    return AggregateReport(
        rows_read=len(frame), rows_counted=int(counted.sum()), excluded=excluded,
        untimed=len(untimed_rows),
        untimed_examples=[(int(i) + 1, str(ids[i])) for i in untimed_rows[:EXAMPLES]],
        rating_scale=rating_scale,
    )


def aggregate_file(
    input: str | Path,
    output: str | Path,
    *,
    by: Sequence[str] = (),
    freq: str | Freq | None = None,
    fmt: str | None = None,
    overwrite: bool = False,
    tz: str = DEFAULT_TZ,
    rating_scale: int | None = None,
    top_opinions: int = 5,
    taxonomy: Taxonomy | None = None,
    input_format: str | None = None,
    raw: bool = False,
) -> AggregateResult:
    """Read a scored file, aggregate it (:func:`aggregate`) and write the table atomically.

    The output is checked before any work. The arguments not listed below are
    those of :func:`aggregate`.

    Args:
        input: a file written by ``koubei score`` (any of its formats), or a
            folder of Parquet parts (``koubei score --engine dask``).
        output: the table to write; its format from ``fmt`` or the extension.
        fmt: output format overriding the extension.
        overwrite: replace an existing output file.
        tz: the zone the windows are cut in (times are converted to it).
        input_format: the input's format when its extension does not tell.
        raw: CSV/TSV cells as they are (by default formula-like text gets a
            leading apostrophe).

    Returns:
        The path written, the table and what was counted.

    Raises:
        OutputError: the output exists (without ``overwrite``), its directory is
            missing, or its format is unknown.
        InputError: the input is missing, not a scored file, or as :func:`aggregate`.
    """
    f = parse_freq(freq) if freq is not None else None
    name = check_output(output, fmt, overwrite=overwrite)
    source = str(input)
    scored = load_scored(input, tz=tz, fmt=input_format)
    scale = resolve_rating_scale(scored.get("rating"), rating_scale, source)
    table = aggregate(scored, by=by, freq=f, taxonomy=taxonomy, top_opinions=top_opinions,
                      rating_scale=scale, source=source)
    report = aggregate_report(scored, rating_scale=scale)
    count_groups(report, table, by)
    path = write_table(table, output, name, overwrite=overwrite, sheet_name="summary", raw=raw)
    return AggregateResult(output=path, table=table, report=report)


def report_of(parts: PartialCounts, rating_scale: int | None) -> AggregateReport:
    """The report of summed partition counts (as :func:`aggregate_report` of the whole frame)."""
    return AggregateReport(
        rows_read=parts.rows_read, rows_counted=parts.rows_counted, excluded=dict(parts.excluded),
        untimed=parts.untimed, untimed_examples=list(parts.untimed_examples), rating_scale=rating_scale,
    )


def count_groups(report: AggregateReport, table: pd.DataFrame, by: Sequence[str]) -> None:
    """Fill the report's numbers of groups and windows from the table."""
    report.groups = len(table[list(by)].drop_duplicates()) if by else int(len(table) > 0)
    report.windows = int(table["window"].nunique())


def prepare_scored(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Columns checked, dtypes restored, times kept in their zone, a fresh RangeIndex."""
    tz = DEFAULT_TZ
    if "time" in frame.columns:
        t = frame["time"]
        if isinstance(t.dtype, pd.DatetimeTZDtype):
            tz = str(t.dt.tz)
        elif pd.api.types.is_datetime64_dtype(t.dtype):
            frame = frame.assign(time=t.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT"))
    return restore_scored(frame, source=source, tz=tz).reset_index(drop=True)
