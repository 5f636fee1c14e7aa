"""The summary table: sentiment, 满意率 and complaints per group and time window.

One row per group × window, sorted by the group columns and then the window.
Only countable rows (:func:`koubei.aggregate.scored.countable`) are counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from koubei.aggregate.satisfaction import resolve_rating_scale, satisfaction_flags
from koubei.aggregate.scored import (
    UNCOUNTED_FLAGS,
    check_group_columns,
    countable,
    load_scored,
    restore_scored,
    topic_ids,
)
from koubei.aggregate.stats import wilson_interval
from koubei.aggregate.windows import Freq, parse_freq, window_label, window_range, window_start
from koubei.errors import ColumnError, InputFormatError
from koubei.io import write_table
from koubei.io.writers import check_output
from koubei.model.review_model import TOPIC_PREFIX
from koubei.taxonomy import Taxonomy, load_taxonomy

#: ``window`` of every row when there is no ``freq``
ALL_WINDOW = "all"
#: review_ids of rows without a time that a report lists
EXAMPLES = 5
_START = "window_start"


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
        groups: distinct groups in the table; windows: distinct windows.
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
    """The output written, the table and the report."""

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
        The tidy table; the columns are described in the README (``koubei aggregate``).

    Raises:
        ColumnError: a grouping column is missing, or ``freq`` without a time column.
        InputFormatError: ``freq`` and no counted review has a parseable time.
        InputError: ratings beyond the rating scale.
    """
    f = parse_freq(freq) if freq is not None else None
    scored = _prepared(frame, source)
    by = list(dict.fromkeys(by))
    check_group_columns(scored, by, source)
    counted = countable(scored)
    if f is not None:
        _check_times(scored, counted, source)
    scale = resolve_rating_scale(scored.get("rating"), rating_scale, source)
    tax = taxonomy or load_taxonomy()
    rows = scored.loc[counted]
    keys = _keys(rows, by, f)
    if f is not None:
        keep = keys[_START].notna()
        rows, keys = rows.loc[keep], keys.loc[keep]
    counts = _indicators(rows, tax, scale)
    on = list(keys.columns) or ["_one"]
    table = _grid(keys, by, f).merge(_sums(counts, keys), on=on, how="left")
    table = _finish(table, counts.columns, by, f)
    table["top_opinions"] = _top_opinions(rows, keys, tax, top_opinions, table, by, f)
    return table


def aggregate_report(frame: pd.DataFrame, *, rating_scale: int | None = None) -> AggregateReport:
    """Rows read, counted, excluded by reason and without a parseable time.

    ``frame`` is the scored frame as read (:func:`load_scored`).
    """
    counted = countable(frame)
    excluded = _exclusions(frame, counted)
    untimed_rows = np.flatnonzero(counted.to_numpy() & _no_time(frame).to_numpy())
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
    tz: str = "Asia/Shanghai",
    rating_scale: int | None = None,
    top_opinions: int = 5,
    taxonomy: Taxonomy | None = None,
    input_format: str | None = None,
) -> AggregateResult:
    """Read a scored file, aggregate it (:func:`aggregate`) and write the table atomically.

    The output is checked before any work; ``tz`` is the zone the windows are
    cut in (times are converted to it).

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
    report.groups = len(table[list(by)].drop_duplicates()) if by else int(len(table) > 0)
    report.windows = int(table["window"].nunique())
    path = write_table(table, output, name, overwrite=overwrite, sheet_name="summary")
    return AggregateResult(output=path, table=table, report=report)


def _prepared(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Columns checked, dtypes restored, times kept in their zone, a fresh RangeIndex."""
    tz = "Asia/Shanghai"
    if "time" in frame.columns:
        t = frame["time"]
        if isinstance(t.dtype, pd.DatetimeTZDtype):
            tz = str(t.dt.tz)
        elif pd.api.types.is_datetime64_dtype(t.dtype):
            frame = frame.assign(time=t.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT"))
    return restore_scored(frame, source=source, tz=tz).reset_index(drop=True)


def _no_time(frame: pd.DataFrame) -> pd.Series:
    if "time" not in frame.columns:
        return pd.Series(True, index=frame.index)
    return frame["time"].isna()


def _check_times(scored: pd.DataFrame, counted: pd.Series, source: str) -> None:
    if "time" not in scored.columns:
        raise ColumnError(
            f"{source}: no time column, so no --freq windows; aggregate works without --freq, "
            "or score the dump again with `koubei score DUMP --time-col COLUMN`"
        )
    if not counted.any() or scored.loc[counted, "time"].notna().any():
        return
    bad = int(scored["flags"].str.contains(r"(?:^|;)bad_time(?:;|$)", regex=True).sum())
    if bad:
        raise InputFormatError(
            f"{source}: none of the {int(counted.sum()):,} counted reviews has a parseable time "
            f"({bad:,} rows flagged bad_time); score the dump again with --time-col naming the "
            "time column (and --now for relative dates such as 3天前), or aggregate without --freq"
        )
    raise ColumnError(
        f"{source}: no review has a time (scored without a time column), so no --freq windows; "
        "aggregate works without --freq, or score the dump again with --time-col COLUMN"
    )


def _exclusions(frame: pd.DataFrame, counted: pd.Series) -> dict[str, int]:
    """Rows not counted, each under its first reason (status, then the flags in order)."""
    left = ~counted
    out: dict[str, int] = {}
    non_ok = left & (frame["status"] != "ok")
    out["non_ok_status"] = int(non_ok.sum())
    left &= ~non_ok
    flags = frame["flags"].fillna("").astype(str)
    for flag in UNCOUNTED_FLAGS:
        hit = left & flags.str.contains(rf"(?:^|;){flag}(?:;|$)", regex=True)
        out[flag] = int(hit.sum())
        left &= ~hit
    out["unscored"] = int(left.sum())
    return {k: v for k, v in out.items() if v}


def _keys(rows: pd.DataFrame, by: list[str], f: Freq | None) -> pd.DataFrame:
    """Per counted row: its group values (text, missing → "") and window start."""
    keys = pd.DataFrame(index=rows.index)
    for col in by:
        keys[col] = rows[col].astype("string").fillna("").astype(str)
    if f is not None:
        keys[_START] = window_start(rows["time"], f)
    return keys


def _flag(values: pd.Series, wanted: str) -> np.ndarray:
    return values.astype("string").fillna("").eq(wanted).to_numpy(dtype=np.int64)


def _indicators(rows: pd.DataFrame, tax: Taxonomy, scale: int | None) -> pd.DataFrame:
    """Per counted row: 0/1 (or score) columns whose sums the table is made of."""
    score = pd.to_numeric(rows["sentiment_score"], errors="coerce") if "sentiment_score" in rows else None
    rated, satisfied = satisfaction_flags(rows.get("rating"), scale, rows.index)
    cols: dict[str, np.ndarray] = {
        "reviews": np.ones(len(rows), dtype=np.int64),
        **{p: _flag(rows["sentiment"], p) for p in ("pos", "neu", "neg")},
        "_score_sum": score.fillna(0.0).to_numpy(dtype=float) if score is not None else np.zeros(len(rows)),
        "_score_n": score.notna().to_numpy(dtype=np.int64) if score is not None else np.zeros(len(rows), int),
        "rated": rated, "_satisfied": satisfied, "complaints": _complaints(rows),
    }
    for tid in topic_ids(rows):
        cols[f"{tid}_complaints"] = _flag(rows[TOPIC_PREFIX + tid], "neg")
    details = rows["taste_detail"].fillna("").astype(str) if "taste_detail" in rows else None
    for d in _directions(details, tax):
        hit = details.str.contains(rf"(?:^|;){d}(?:;|$)", regex=True) if details is not None else None
        cols[f"taste_{d}"] = hit.to_numpy(dtype=np.int64) if hit is not None else np.zeros(len(rows), int)
    return pd.DataFrame(cols, index=rows.index)


def _complaints(rows: pd.DataFrame) -> np.ndarray:
    if "is_complaint" in rows:
        return rows["is_complaint"].fillna(False).astype(bool).to_numpy(dtype=np.int64)
    neg = rows["sentiment"].astype("string").fillna("").eq("neg")
    for tid in topic_ids(rows):
        neg |= rows[TOPIC_PREFIX + tid].astype("string").fillna("").eq("neg")
    return neg.to_numpy(dtype=np.int64)


def _directions(details: pd.Series | None, tax: Taxonomy) -> list[str]:
    """The taxonomy's taste directions, then any other found in the data (sorted)."""
    known = tax.direction_ids
    if details is None:
        return known
    seen = details.str.split(";").explode()
    extra = sorted(set(seen[seen != ""]) - set(known))
    return known + extra


def _sums(counts: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    if keys.columns.empty:
        return counts.sum().to_frame().T.assign(_one=1)
    return counts.groupby([keys[c] for c in keys.columns], sort=False).sum().reset_index()


def _grid(keys: pd.DataFrame, by: list[str], f: Freq | None) -> pd.DataFrame:
    """Every group with data × every window of the observed range, sorted."""
    if keys.columns.empty:
        return pd.DataFrame({"_one": [1]})
    groups = keys[by].drop_duplicates() if by else None
    if f is None:
        assert groups is not None
        return groups.sort_values(by).reset_index(drop=True)
    starts = keys[_START]
    empty = pd.DatetimeIndex([], tz=starts.dt.tz)
    span = window_range(starts.min(), starts.max(), f) if len(starts) else empty
    windows = pd.DataFrame({_START: pd.Series(span, dtype=starts.dtype)})
    grid = windows if groups is None else groups.merge(windows, how="cross")
    return grid.sort_values([*by, _START]).reset_index(drop=True)


def _finish(table: pd.DataFrame, count_cols: pd.Index, by: list[str], f: Freq | None) -> pd.DataFrame:
    """Counts as integers (0 in empty windows), rates, intervals, columns in order."""
    counts = table[list(count_cols)].fillna(0)
    n = counts["reviews"].to_numpy(dtype=float)
    out = table[by].copy()
    out["window"] = window_label(table[_START], f) if f is not None else ALL_WINDOW
    if f is not None:
        out[_START] = table[_START]
    ints = counts.drop(columns=["_score_sum"]).astype(np.int64)
    for col in ("reviews", "pos", "neu", "neg"):
        out[col] = ints[col]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["pos_rate"] = ints["pos"] / n
        out["neg_rate"] = ints["neg"] / n
        out["neg_rate_lo"], out["neg_rate_hi"] = wilson_interval(ints["neg"], n)
        out["mean_sentiment_score"] = counts["_score_sum"] / ints["_score_n"].replace(0, np.nan)
        out["net_sentiment"] = (ints["pos"] - ints["neg"]) / n
        rated = ints["rated"].to_numpy(dtype=float)
        out["rated"] = ints["rated"]
        out["satisfaction_rate"] = ints["_satisfied"] / rated
        out["satisfaction_lo"], out["satisfaction_hi"] = wilson_interval(ints["_satisfied"], rated)
        out["complaints"] = ints["complaints"]
        for col in count_cols:
            if col.endswith("_complaints") and col != "complaints":
                out[col] = ints[col]
                out[col[: -len("_complaints")] + "_complaint_rate"] = ints[col] / n
    for col in count_cols:
        if col.startswith("taste_"):
            out[col] = ints[col]
    return out.reset_index(drop=True)


def _opinion_items(rows: pd.DataFrame, tax: Taxonomy) -> pd.DataFrame:
    """One row per (review, ``中文topic:phrase``) whose topic is negative in that review."""
    ids = topic_ids(rows)
    if "opinions" not in rows or not ids:
        return pd.DataFrame({"row": pd.Series([], dtype=np.int64), "opinion": pd.Series([], dtype=str)})
    names = {t.zh: t.id for t in tax.topics} | {t: t for t in ids}
    items = rows["opinions"].fillna("").astype(str).str.split(";").explode()
    items = items[items.str.contains(":", regex=False)]
    label = items.str.split(":", n=1).str[0]
    topic = label.map(names)
    ok = topic.isin(ids)
    items, topic = items[ok], topic[ok]
    neg = np.column_stack([_flag(rows[TOPIC_PREFIX + t], "neg") for t in ids]).astype(bool)
    pos = rows.index.get_indexer(items.index)
    col = pd.Index(ids).get_indexer(topic.to_numpy())
    keep = neg[pos, col] if len(pos) else np.zeros(0, dtype=bool)
    found = pd.DataFrame({"row": items.index.to_numpy()[keep], "opinion": items.to_numpy()[keep]})
    return found.drop_duplicates()


def _top_opinions(rows: pd.DataFrame, keys: pd.DataFrame, tax: Taxonomy, top: int,
                  table: pd.DataFrame, by: list[str], f: Freq | None) -> pd.Series:
    """``口味:太淡了(12); 包装:漏气(4)`` per table row: most frequent first, ties by text."""
    if top <= 0 or table.empty:
        return pd.Series("", index=table.index, dtype=object)
    items = _opinion_items(rows, tax)
    cols = list(keys.columns)
    items = items.join(keys, on="row")
    counts = items.groupby([*cols, "opinion"], sort=False).size().rename("n").reset_index()
    counts = counts.sort_values([*cols, "n", "opinion"], ascending=[True] * len(cols) + [False, True])
    counts = counts.groupby(cols, sort=False).head(top) if cols else counts.head(top)
    counts["text"] = counts["opinion"] + "(" + counts["n"].astype(str) + ")"
    if not cols:
        return pd.Series("; ".join(counts["text"]), index=table.index, dtype=object)
    joined = counts.groupby(cols, sort=False)["text"].agg("; ".join).reset_index()
    target = table[by].copy()
    if f is not None:
        target[_START] = table[_START]
    merged = target.merge(joined, on=cols, how="left")
    return pd.Series(merged["text"].fillna("").to_numpy(dtype=object), index=table.index)
