"""The numbers behind each report section, from a scored frame and an issue table.

Everything here is plain data (frames, lists, dataclasses); :mod:`koubei.report.charts`
draws it and :mod:`koubei.report.html` lays it out.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from koubei.aggregate import countable
from koubei.aggregate.combine import finish
from koubei.aggregate.partial import START, PartialCounts, count_partition
from koubei.aggregate.table import prepare_scored
from koubei.aggregate.windows import parse_freq, window_start
from koubei.detect.quotes import mask_personal
from koubei.scoring.headline import HeadlineCounts, left_out_text
from koubei.taxonomy import Taxonomy

#: issue states in the order the report lists them, with their Chinese names
STATUS_ZH: dict[str, str] = {"new": "新问题", "ongoing": "持续", "resolved": "已解决", "muted": "已静音",
                             "": "未记录"}
#: most frequent negative opinion phrases drawn
TOP_OPINIONS = 15
#: groups (products) drawn separately in the taste breakdown; the rest are 其他
TOP_TASTE_GROUPS = 8
_COUNT = re.compile(r"(.*)\((\d+)\)")
#: the key column of each counted row's window (its start as text; "" without a time)
_WINDOW = "_report_window"


@dataclass
class Headline:
    """The numbers at the top of the report.

    ``rows``, ``scored``, ``reviews`` (counted), ``left_out`` and ``complaints`` are
    :class:`koubei.scoring.headline.HeadlineCounts`'s, the figures ``koubei score`` prints.
    """

    rows: int
    reviews: int
    neg_rate: float | None
    satisfaction_rate: float | None
    complaints: int
    issues: int
    scored: int = 0
    left_out: dict[str, int] = field(default_factory=dict)

    @property
    def left_out_line(self) -> str:
        """The left-out rows by reason, as ``koubei score`` prints them."""
        return left_out_text(self.left_out)
    by_status: dict[str, int] = field(default_factory=dict)
    first_time: str = ""
    last_time: str = ""


@dataclass
class IssueView:
    """One issue as the report shows it (text fields are raw; the template escapes them)."""

    issue_id: str
    status: str
    topic: str
    cell: str
    first_window: str
    window: str
    count: int
    total: int
    rate: float | None
    lift: float | None
    q_value: float | None
    severity: float | None
    summary: str
    quotes: list[str]
    trend: list[dict[str, Any]]
    chart_id: str


@dataclass
class ReportCounts:
    """A scored frame counted once, per grouping column × window: every section's table is summed
    from these (:meth:`PartialCounts.regroup`), so a report reads its rows in one pass, not one per chart.

    Attributes:
        parts: the counts, keyed by ``groups`` and the window (text; "" for rows without a time).
        groups: the grouping columns counted.
        freq: the windows' frequency.
        starts: each window's text → its start.
        headline: the rows read, scored, counted and left out.
        times: the first and last time of a counted review (None without one).
    """

    parts: PartialCounts
    groups: list[str]
    freq: str
    starts: dict[str, pd.Timestamp]
    headline: HeadlineCounts
    times: tuple[pd.Timestamp, pd.Timestamp] | None

    def table(self, group: str | None, top: int = 0) -> pd.DataFrame:
        """The :func:`koubei.aggregate.aggregate` table by ``group`` (None: one row), no windows."""
        by = [group] if group else []
        table, _ = finish(self.parts.regroup(by), by=by, freq=None, top_opinions=top)
        return table

    def by_window(self) -> pd.DataFrame:
        """The :func:`koubei.aggregate.aggregate` table per window of :attr:`freq` (timed rows only)."""
        parts = self.parts.regroup([_WINDOW])
        sums = parts.sums.loc[parts.sums[_WINDOW] != ""]
        sums = sums.assign(**{START: sums[_WINDOW].map(self.starts)}).drop(columns=[_WINDOW])
        timed = replace(parts, sums=sums.reset_index(drop=True), timed=int(sums["reviews"].sum()))
        table, _ = finish(timed, by=[], freq=parse_freq(self.freq), top_opinions=0)
        return table


def count_report(scored: pd.DataFrame, groups: Sequence[str], freq: str, tax: Taxonomy) -> ReportCounts:
    """Count a scored frame once for the whole report (``groups``: the columns any section groups by)."""
    frame = prepare_scored(scored, "the scored frame")
    groups = list(dict.fromkeys(groups))
    counted = countable(frame)
    starts: dict[str, pd.Timestamp] = {}
    times = None
    if "time" in frame.columns:
        codes, uniques = pd.factorize(window_start(frame["time"], freq))
        labels = [str(u) for u in uniques]  # a few hundred windows: text them once, not per row
        frame = frame.assign(**{_WINDOW: pd.Categorical.from_codes(codes, categories=labels)})
        starts = dict(zip(labels, uniques, strict=True))
        timed = frame.loc[counted, "time"].dropna()
        times = (timed.min(), timed.max()) if len(timed) else None
    windows = [_WINDOW] if _WINDOW in frame.columns else []
    parts = count_partition(frame, by=[*groups, *windows], freq=None, taxonomy=tax, opinions=True)
    return ReportCounts(parts=parts, groups=groups, freq=freq, starts=starts,
                        headline=HeadlineCounts.of(frame), times=times)


def headline(counts: ReportCounts, issues: Sequence[IssueView]) -> Headline:
    """Reviews read, scored and counted, what was left out, negative rate, 满意率, complaints, issues."""
    overall = counts.table(None).iloc[0]
    totals = counts.headline
    by_status: dict[str, int] = {}
    for issue in issues:
        by_status[issue.status] = by_status.get(issue.status, 0) + 1
    order = list(STATUS_ZH)
    return Headline(
        rows=totals.rows, reviews=totals.counted, neg_rate=_number(overall["neg_rate"]),
        satisfaction_rate=_number(overall["satisfaction_rate"]), complaints=totals.complaints,
        scored=totals.scored, left_out=totals.left_out_by_count(),
        issues=len(issues), by_status=dict(sorted(by_status.items(), key=lambda kv: _rank(order, kv[0]))),
        first_time=_day(counts.times[0]) if counts.times else "",
        last_time=_day(counts.times[1]) if counts.times else "",
    )


def issue_views(issues: pd.DataFrame) -> list[IssueView]:
    """The issue table (store list or detection result) as views, in the table's order."""
    return [_issue_view(row) for row in issues.to_dict("records")]


def _issue_view(row: dict[str, Any]) -> IssueView:
    issue_id = _text(row.get("issue_id"))
    topic_zh, topic = _text(row.get("topic_zh")), _text(row.get("topic"))
    return IssueView(
        issue_id=issue_id, status=_text(row.get("status")),
        topic=f"{topic_zh} ({topic})" if topic_zh and topic else topic_zh or topic,
        cell=_text(row.get("cell_label")) or "全部",
        first_window=_text(row.get("first_window")), window=_text(row.get("window")),
        count=int(_number(row.get("count")) or 0), total=int(_number(row.get("total")) or 0),
        rate=_number(row.get("rate")), lift=_number(row.get("lift")), q_value=_number(row.get("q_value")),
        severity=_number(row.get("severity")), summary=_text(row.get("summary")),
        # masked again: a store filled by an older koubei holds quotes its masker let through
        quotes=[mask_personal(_text(q)) for q in _json_list(row.get("quotes"))][:3],
        trend=[t for t in _json_list(row.get("trend")) if isinstance(t, dict)],
        chart_id="chart-trend-" + re.sub(r"[^A-Za-z0-9_-]", "_", issue_id),
    )


def has_times(scored: pd.DataFrame) -> bool:
    """Whether any counted review has a parseable time (so windows can be cut)."""
    return "time" in scored.columns and bool(scored.loc[countable(scored), "time"].notna().any())


def heatmap_table(counts: ReportCounts, group: str | None,
                  tax: Taxonomy) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Complaint rate and complaint count per group (rows) × topic (columns, Chinese names)."""
    table = counts.table(group)
    labels = table[group].replace("", "(空)") if group else pd.Series(["全部"] * len(table))
    topics = [t for t in tax.topics if f"{t.id}_complaint_rate" in table.columns]
    rate = pd.DataFrame({t.zh: table[f"{t.id}_complaint_rate"].to_numpy() for t in topics},
                        index=labels.to_numpy())
    count = pd.DataFrame({t.zh: table[f"{t.id}_complaints"].to_numpy() for t in topics},
                         index=labels.to_numpy())
    return rate, count.assign(_reviews=table["reviews"].to_numpy())


def sentiment_table(counts: ReportCounts) -> pd.DataFrame:
    """Reviews by overall sentiment per time window (columns window, pos, neu, neg, reviews)."""
    table = counts.by_window()
    return table.loc[:, ["window", "pos", "neu", "neg", "reviews"]].reset_index(drop=True)


def taste_table(counts: ReportCounts, group: str | None, tax: Taxonomy) -> pd.DataFrame:
    """Taste complaints per direction (rows, Chinese names) × group (columns; ``全部`` without one).

    The largest :data:`TOP_TASTE_GROUPS` groups keep their own column, the rest add up in ``其他``;
    directions nobody named are left out.
    """
    table = counts.table(group)
    dirs = [d for d in tax.taste_directions if f"taste_{d.id}" in table.columns]
    per_dir = pd.DataFrame({d.zh: table[f"taste_{d.id}"].to_numpy() for d in dirs},
                          index=table[group].replace("", "(空)").to_numpy() if group else ["全部"]).T
    per_dir = per_dir.loc[per_dir.sum(axis=1) > 0]
    if per_dir.empty:
        return per_dir
    order = per_dir.sum(axis=0).sort_values(ascending=False, kind="stable").index
    keep, rest = list(order[:TOP_TASTE_GROUPS]), list(order[TOP_TASTE_GROUPS:])
    out = per_dir[keep].copy()
    if rest:
        out["其他"] = per_dir[rest].sum(axis=1)
    return out.loc[:, out.sum(axis=0) > 0]


def top_opinions(counts: ReportCounts, n: int = TOP_OPINIONS) -> list[tuple[str, int]]:
    """The most frequent opinion phrases of negative topics: ``[("口味:太淡了", 12), ...]``."""
    text = str(counts.table(None, top=n).iloc[0]["top_opinions"] or "")
    out = []
    for item in text.split("; "):
        m = _COUNT.fullmatch(item)
        if m:
            out.append((m.group(1), int(m.group(2))))
    return out


def _json_list(value: Any) -> list[Any]:
    """A JSON list column (text as stored, or already a list); anything else is empty."""
    if isinstance(value, list):
        return value
    if not isinstance(value, str) or not value.strip():
        return []
    try:
        parsed = json.loads(value)
    except ValueError:
        return []
    return parsed if isinstance(parsed, list) else []


def _number(value: Any) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _day(value: Any) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def _rank(order: list[str], status: str) -> int:
    return order.index(status) if status in order else len(order)
