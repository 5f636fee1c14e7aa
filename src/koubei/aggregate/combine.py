"""The finishing half of aggregation: summed partition counts → the summary table.

Counts add; what does not is finished here from sums: rates and means as
sum / count, Wilson intervals from the summed counts, ``top_opinions`` from
the summed phrase counts, the rating scale from the overall largest rating.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from koubei.aggregate.partial import ONE, START, PartialCounts
from koubei.aggregate.satisfaction import SATISFIED_FROM, resolve_rating_scale
from koubei.aggregate.stats import wilson_interval
from koubei.aggregate.windows import Freq, window_label, window_range
from koubei.errors import ColumnError, InputFormatError

#: ``window`` of every row when there is no ``freq``
ALL_WINDOW = "all"


def finish(parts: PartialCounts, *, by: list[str], freq: Freq | None, top_opinions: int = 5,
           rating_scale: int | None = None,
           source: str = "the scored frame") -> tuple[pd.DataFrame, int | None]:
    """The table of :func:`koubei.aggregate.aggregate` from the counts of all partitions.

    Returns:
        The table and the rating scale used.

    Raises:
        ColumnError, InputFormatError: ``freq`` and no usable time.
        InputError: ratings beyond the rating scale.
    """
    if freq is not None:
        check_times(parts, source)
    ratings = pd.Series([parts.max_rating] if parts.max_rating is not None else [], dtype=float)
    scale = resolve_rating_scale(ratings if parts.has_rating else None, rating_scale, source)
    sums = _with_scale(parts, scale)
    keys = parts.keys
    table = _grid(sums[keys], by, freq).merge(sums, on=keys, how="left")
    table = _finish(table, [c for c in sums.columns if c not in keys], by, freq)
    table["top_opinions"] = _top_opinions(parts.opinions, keys, top_opinions, table, by, freq)
    return table, scale


def check_times(parts: PartialCounts, source: str) -> None:
    """Raise when windows are asked for and no counted review has a time."""
    if not parts.has_time:
        raise no_time_column(source)
    if not parts.rows_counted or parts.timed:
        return
    if parts.bad_time:
        raise InputFormatError(
            f"{source}: none of the {parts.rows_counted:,} counted reviews has a parseable time "
            f"({parts.bad_time:,} rows flagged bad_time); score the dump again with --time-col naming the "
            "time column (and --now for relative dates such as 3天前), or aggregate without --freq"
        )
    raise ColumnError(
        f"{source}: no review has a time (scored without a time column), so no --freq windows; "
        "aggregate works without --freq, or score the dump again with --time-col COLUMN"
    )


def no_time_column(source: str) -> ColumnError:
    """The error for ``--freq`` on a scored file without a time column."""
    return ColumnError(
        f"{source}: no time column, so no --freq windows; aggregate works without --freq, "
        "or score the dump again with `koubei score DUMP --time-col COLUMN`"
    )


def _with_scale(parts: PartialCounts, scale: int | None) -> pd.DataFrame:
    """The sums with ``_satisfied`` of ``scale`` in place of the per-scale columns."""
    sums = parts.sums
    per_scale = [f"_satisfied_{s}" for s in SATISFIED_FROM]
    chosen = sums[f"_satisfied_{scale}"] if scale is not None else 0
    at = list(sums.columns).index(per_scale[0])
    out = sums.drop(columns=per_scale)
    out.insert(at, "_satisfied", chosen)
    return out


def _grid(keys: pd.DataFrame, by: list[str], f: Freq | None) -> pd.DataFrame:
    """Every group with data × every window of the observed range, sorted."""
    if list(keys.columns) == [ONE]:
        return pd.DataFrame({ONE: [1]})
    groups = keys[by].drop_duplicates() if by else None
    if f is None:
        assert groups is not None
        return groups.sort_values(by).reset_index(drop=True)
    starts = keys[START]
    empty = pd.DatetimeIndex([], tz=starts.dt.tz)
    span = window_range(starts.min(), starts.max(), f) if len(starts) else empty
    windows = pd.DataFrame({START: pd.Series(span, dtype=starts.dtype)})
    grid = windows if groups is None else groups.merge(windows, how="cross")
    return grid.sort_values([*by, START]).reset_index(drop=True)


def _finish(table: pd.DataFrame, count_cols: list[str], by: list[str], f: Freq | None) -> pd.DataFrame:
    """Counts as integers (0 in empty windows), rates, intervals, columns in order."""
    counts = table[list(count_cols)].fillna(0)
    n = counts["reviews"].to_numpy(dtype=float)
    out = table[by].copy()
    out["window"] = window_label(table[START], f) if f is not None else ALL_WINDOW
    if f is not None:
        out[START] = table[START]
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


def _top_opinions(counts: pd.DataFrame, keys: list[str], top: int, table: pd.DataFrame,
                  by: list[str], f: Freq | None) -> pd.Series:
    """``口味:太淡了(12); 包装:漏气(4)`` per table row: most frequent first, ties by text."""
    if top <= 0 or table.empty:
        return pd.Series("", index=table.index, dtype=object)
    cols = [c for c in keys if c != ONE]
    counts = counts.sort_values([*keys, "n", "opinion"], ascending=[True] * len(keys) + [False, True])
    counts = counts.groupby(keys, sort=False).head(top)
    text = counts["opinion"] + "(" + counts["n"].astype(np.int64).astype(str) + ")"
    counts = counts.assign(text=text)
    if not cols:
        return pd.Series("; ".join(counts["text"]), index=table.index, dtype=object)
    joined = counts.groupby(cols, sort=False)["text"].agg("; ".join).reset_index()
    target = table[by].copy()
    if f is not None:
        target[START] = table[START]
    merged = target.merge(joined, on=cols, how="left")
    return pd.Series(merged["text"].fillna("").to_numpy(dtype=object), index=table.index)
