"""The numbers behind each report section, from a scored frame and an issue table.

Everything here is plain data (frames, lists, dataclasses); :mod:`koubei.report.charts`
draws it and :mod:`koubei.report.html` lays it out.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from koubei.aggregate import aggregate, countable
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


def headline(scored: pd.DataFrame, issues: Sequence[IssueView]) -> Headline:
    """Reviews read, scored and counted, what was left out, negative rate, 满意率, complaints, issues."""
    overall = aggregate(scored, top_opinions=0).iloc[0]
    counts = HeadlineCounts.of(scored)
    times = scored.loc[countable(scored), "time"].dropna() if "time" in scored else pd.Series([])
    by_status: dict[str, int] = {}
    for issue in issues:
        by_status[issue.status] = by_status.get(issue.status, 0) + 1
    order = list(STATUS_ZH)
    return Headline(
        rows=counts.rows, reviews=counts.counted, neg_rate=_number(overall["neg_rate"]),
        satisfaction_rate=_number(overall["satisfaction_rate"]), complaints=counts.complaints,
        scored=counts.scored, left_out=counts.left_out_by_count(),
        issues=len(issues), by_status=dict(sorted(by_status.items(), key=lambda kv: _rank(order, kv[0]))),
        first_time=_day(times.min()) if len(times) else "", last_time=_day(times.max()) if len(times) else "",
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


def heatmap_table(scored: pd.DataFrame, group: str | None,
                  tax: Taxonomy) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Complaint rate and complaint count per group (rows) × topic (columns, Chinese names)."""
    table = aggregate(scored, by=[group] if group else [], taxonomy=tax, top_opinions=0)
    labels = table[group].replace("", "(空)") if group else pd.Series(["全部"] * len(table))
    topics = [t for t in tax.topics if f"{t.id}_complaint_rate" in table.columns]
    rate = pd.DataFrame({t.zh: table[f"{t.id}_complaint_rate"].to_numpy() for t in topics},
                        index=labels.to_numpy())
    count = pd.DataFrame({t.zh: table[f"{t.id}_complaints"].to_numpy() for t in topics},
                         index=labels.to_numpy())
    return rate, count.assign(_reviews=table["reviews"].to_numpy())


def sentiment_table(scored: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Reviews by overall sentiment per time window (columns window, pos, neu, neg, reviews)."""
    table = aggregate(scored, freq=freq, top_opinions=0)
    return table.loc[:, ["window", "pos", "neu", "neg", "reviews"]].reset_index(drop=True)


def taste_table(scored: pd.DataFrame, group: str | None, tax: Taxonomy) -> pd.DataFrame:
    """Taste complaints per direction (rows, Chinese names) × group (columns; ``全部`` without one).

    The largest :data:`TOP_TASTE_GROUPS` groups keep their own column, the rest add up in ``其他``;
    directions nobody named are left out.
    """
    table = aggregate(scored, by=[group] if group else [], taxonomy=tax, top_opinions=0)
    dirs = [d for d in tax.taste_directions if f"taste_{d.id}" in table.columns]
    counts = pd.DataFrame({d.zh: table[f"taste_{d.id}"].to_numpy() for d in dirs},
                          index=table[group].replace("", "(空)").to_numpy() if group else ["全部"]).T
    counts = counts.loc[counts.sum(axis=1) > 0]
    if counts.empty:
        return counts
    order = counts.sum(axis=0).sort_values(ascending=False, kind="stable").index
    keep, rest = list(order[:TOP_TASTE_GROUPS]), list(order[TOP_TASTE_GROUPS:])
    out = counts[keep].copy()
    if rest:
        out["其他"] = counts[rest].sum(axis=1)
    return out.loc[:, out.sum(axis=0) > 0]


def top_opinions(scored: pd.DataFrame, tax: Taxonomy, n: int = TOP_OPINIONS) -> list[tuple[str, int]]:
    """The most frequent opinion phrases of negative topics: ``[("口味:太淡了", 12), ...]``."""
    text = str(aggregate(scored, taxonomy=tax, top_opinions=n).iloc[0]["top_opinions"] or "")
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
