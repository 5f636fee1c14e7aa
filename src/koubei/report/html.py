"""``koubei report``: one self-contained HTML file with the issues and charts of a scored file.

The page inlines plotly.js once and draws every chart from JSON in the page,
so it opens offline. Text from the data (quotes, summaries, cell labels,
opinion phrases) is escaped by jinja2's autoescape in the page and by
:func:`koubei.report.charts.label` inside charts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from koubei.aggregate import load_scored, parse_freq, restore_scored
from koubei.io.writers import atomic_write, check_target
from koubei.report import charts
from koubei.report.data import (
    STATUS_ZH,
    Headline,
    IssueView,
    ReportCounts,
    count_report,
    has_times,
    headline,
    heatmap_table,
    issue_views,
    sentiment_table,
    taste_table,
    top_opinions,
)
from koubei.report.defaults import DEFAULT_TITLE
from koubei.schema import DEFAULT_TZ
from koubei.taxonomy import Taxonomy, load_taxonomy

DEFAULT_BY: tuple[str, ...] = ("supplier", "product")
#: ids of the chart containers every report has (plus ``chart-trend-<issue_id>`` per issue)
CHART_IDS: tuple[str, ...] = ("chart-heatmap", "chart-sentiment", "chart-taste", "chart-opinions")


@dataclass
class Chart:
    """One chart container: the plotly fragment, or a note saying why there is no chart."""

    id: str
    html: str = ""
    note: str = ""


@dataclass
class ReportPage:
    """Everything the template shows."""

    title: str
    freq: str
    by: list[str]
    headline: Headline
    issues: list[IssueView]
    trends: dict[str, Chart]
    charts: dict[str, Chart]
    notes: list[str] = field(default_factory=list)
    heat_group: str = ""
    taste_group: str = ""

    @property
    def chart_ids(self) -> list[str]:
        """Ids of every chart container on the page."""
        return [c.id for c in self.trends.values()] + [c.id for c in self.charts.values()]


@dataclass
class ReportResult:
    """A written report.

    Attributes:
        output: the HTML file written.
        issues: issues listed.
        by_status: issues per status (``""``: detected in this run, not recorded).
        issue_source: ``store`` (read from ``--store``), ``detected`` (found by this run) or
            ``none`` (no store and no times, so no detection).
        charts: ids of the chart containers.
        warnings: what the report left out and why (a missing grouping column...).
    """

    output: Path
    issues: int
    by_status: dict[str, int]
    issue_source: str
    charts: list[str]
    warnings: list[str] = field(default_factory=list)


def build_report(scored: pd.DataFrame, issues: pd.DataFrame, *, freq: str = "W",
                 by: Sequence[str] = DEFAULT_BY, title: str = DEFAULT_TITLE,
                 taxonomy: Taxonomy | None = None, notes: Sequence[str] = ()) -> str:
    """The report as one HTML document.

    Args:
        scored: a scored frame (:func:`koubei.aggregate.load_scored`).
        issues: the issue table: ``IssueStore.list()`` or ``find_emerging(...).issues``; may be empty.
        freq: window of the sentiment-over-time chart: ``D``, ``W`` or ``M``.
        by: grouping columns; the first one the frame has rows the heat map, the last the
            taste breakdown. Columns the frame lacks are skipped (and noted in the page).
        title: page title.
        taxonomy: topic and taste-direction names (default: the bundled taxonomy).
        notes: extra lines shown under the title (where the issues come from...).

    Raises:
        ColumnError: ``scored`` is not a scored frame, or ``freq`` is unknown.
    """
    page = report_page(scored, issues, freq=freq, by=by, title=title, taxonomy=taxonomy, notes=notes)
    return render(page)


def report_page(scored: pd.DataFrame, issues: pd.DataFrame, *, freq: str = "W",
                by: Sequence[str] = DEFAULT_BY, title: str = DEFAULT_TITLE,
                taxonomy: Taxonomy | None = None, notes: Sequence[str] = ()) -> ReportPage:
    """The data and chart fragments of a report (:func:`build_report` without the layout)."""
    f = parse_freq(freq).value
    tax = taxonomy or load_taxonomy()
    frame = restore_scored(scored, source="the scored frame")
    present, missing = [c for c in by if c in frame.columns], [c for c in by if c not in frame.columns]
    views = issue_views(issues)
    groups = [present[0], present[-1]] if present else []
    counts = count_report(frame, groups, f, tax)
    page = ReportPage(title=title, freq=f, by=present, headline=headline(counts, views), issues=views,
                      trends={v.issue_id: _trend(v) for v in views}, charts={}, notes=list(notes),
                      heat_group=present[0] if present else "", taste_group=present[-1] if present else "")
    if missing:
        page.notes.append(f"评论文件没有分组列 {', '.join(missing)} (no column {', '.join(missing)}); "
                          "按其余分组 (grouped by the others)")
    page.charts = {
        "heatmap": _heatmap(counts, page.heat_group or None, tax),
        "sentiment": _sentiment(counts),
        "taste": _taste(counts, page.taste_group or None, tax),
        "opinions": _opinions(counts),
    }
    return page


def render(page: ReportPage) -> str:
    """Lay a report page out with the bundled template (autoescaped)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("koubei.report", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["pct"] = _pct
    env.filters["num"] = _num
    template = env.get_template("report.html.j2")
    return template.render(page=page, status_zh=STATUS_ZH, font_family=charts.FONT_FAMILY,
                           plotly_js=charts.plotly_js())


def write_report(scored_path: str | Path, output: str | Path, *, store: str | Path | None = None,
                 freq: str = "W", by: Sequence[str] = DEFAULT_BY, title: str = DEFAULT_TITLE,
                 overwrite: bool = False, tz: str = DEFAULT_TZ,
                 taxonomy: Taxonomy | None = None) -> ReportResult:
    """Read a scored file (and an issue store), build the report and write it atomically.

    With ``store`` the issues are the store's (``IssueStore.list()``: each issue at its latest
    flagged window, with its status). Without it, the latest window is checked here with
    :func:`koubei.detect.emerging.find_emerging` (``freq``, ``by``; nothing is recorded, no
    statuses, no new-kind clustering); a file without times gets no issue detection.

    Raises:
        OutputError: ``output`` exists (without ``overwrite``), is a directory, or its
            directory is missing or not writable; checked before any work.
        StoreError: ``store`` is missing or not an issue store.
        InputError: the scored file is missing or not a scored file. (A ``by`` column the
            file lacks is not an error: it is left out, with a line in ``warnings``.)
    """
    target = Path(output)
    check_target(target, overwrite)
    f = parse_freq(freq).value
    stored = _store_issues(Path(store)) if store is not None else None
    frame = load_scored(scored_path, tz=tz)
    present = [c for c in by if c in frame.columns]
    warnings = [f"{scored_path}: no column {c!r}; the report groups by the others" for c in by
                if c not in frame.columns]
    issues, source, notes = _issues(frame, stored, store, f, present, taxonomy, str(scored_path))
    page = report_page(frame, issues, freq=f, by=by, title=title, taxonomy=taxonomy, notes=notes)
    document = render(page)
    atomic_write(target, lambda tmp: _write_text(tmp, document))
    return ReportResult(output=target, issues=len(page.issues), by_status=dict(page.headline.by_status),
                        issue_source=source, charts=page.chart_ids, warnings=warnings)


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _store_issues(path: Path) -> pd.DataFrame:
    from koubei.store.history import open_store

    with open_store(path, create=False) as st:
        return st.list()


def _issues(frame: pd.DataFrame, stored: pd.DataFrame | None, store: str | Path | None, freq: str,
            by: list[str], taxonomy: Taxonomy | None, source: str) -> tuple[pd.DataFrame, str, list[str]]:
    """The issue table, where it came from, and the note the page shows about it."""
    if stored is not None:
        return stored, "store", [f"问题来自问题库 (issues from the store) {store}"]
    if not has_times(frame):
        return pd.DataFrame(), "none", ["评论没有时间，未检测问题 (reviews have no times: no issue "
                                        "detection); score with --time-col"]
    from koubei.detect.emerging import find_emerging
    from koubei.store.state import without_store

    res = find_emerging(frame, freq=freq, by=by, taxonomy=taxonomy, source=source)
    found = without_store(res.issues, [w for w, _ in res.evaluated])
    issues = found.sort_values("severity", ascending=False, kind="stable").assign(status="")
    last = res.evaluated[-1][0] if res.evaluated else ""
    return issues, "detected", [f"问题由本次检测得出，窗口 {last}，未记录 (issues detected by this run "
                                f"in {last}, not recorded; pass --store for their history)"]


def _trend(view: IssueView) -> Chart:
    if not view.trend:
        return Chart(view.chart_id, note="没有趋势数据 (no trend recorded)")
    return Chart(view.chart_id, html=charts.trend_chart(view.trend, "plot-" + view.chart_id[len("chart-"):]))


def _heatmap(counts: ReportCounts, group: str | None, tax: Taxonomy) -> Chart:
    rate, count = heatmap_table(counts, group, tax)
    if rate.empty or int(count["_reviews"].sum()) == 0:
        return Chart("chart-heatmap", note="没有可计数的评论 (no countable reviews)")
    return Chart("chart-heatmap", html=charts.heatmap_chart(rate, count, "plot-heatmap"))


def _sentiment(counts: ReportCounts) -> Chart:
    if counts.times is None:
        return Chart("chart-sentiment", note="评论没有时间，无法按时间统计 (times are missing: score the "
                                             "dump with --time-col to see sentiment over time)")
    table = sentiment_table(counts)
    return Chart("chart-sentiment", html=charts.sentiment_chart(table, "plot-sentiment"))


def _taste(counts: ReportCounts, group: str | None, tax: Taxonomy) -> Chart:
    table = taste_table(counts, group, tax)
    if table.empty:
        return Chart("chart-taste", note="没有口味方向的投诉 (no taste-direction complaints)")
    return Chart("chart-taste", html=charts.taste_chart(table, "plot-taste"))


def _opinions(counts: ReportCounts) -> Chart:
    items = top_opinions(counts)
    if not items:
        return Chart("chart-opinions", note="没有负面观点短语 (no negative opinion phrases)")
    return Chart("chart-opinions", html=charts.opinions_chart(items, "plot-opinions"))


def _pct(value: Any, digits: int = 1) -> str:
    return "—" if value is None else f"{float(value):.{digits}%}"


def _num(value: Any, digits: int = 2) -> str:
    if value is None:
        return "—"
    x = float(value)
    return f"{x:.2g}" if 0 < abs(x) < 10 ** -digits else f"{x:,.{digits}f}"
