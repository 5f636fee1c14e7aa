"""`koubei report`: one self-contained, escaped HTML file with every issue and chart."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from scored_frames import MONDAY, frame, review, weekly
from typer.testing import CliRunner

from koubei.cli import app
from koubei.detect.run import run_emerging
from koubei.errors import OutputError, StoreError
from koubei.report import CHART_IDS, build_report, write_report
from koubei.store.history import open_store

runner = CliRunner()

XSS = "<script>alert(1)</script>"
BREAKOUT = "</script><script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://evil.example","点我")'
OPINIONS = {"too_bland": "口味:太淡了", "": "物流配送:发货慢;包装:漏气"}


def scored_frame(*, wave: int = 15) -> pd.DataFrame:
    """12 quiet weeks at two suppliers, then ``wave`` too-bland complaints at 乙食品厂 / 原味瓜子."""
    rows = weekly(12, 40, 0.05, seed=1) + weekly(12, 40, 0.05, seed=2, offset=10_000, supplier="甲食品",
                                                  product="焦糖瓜子")
    last = MONDAY + pd.Timedelta(days=7 * 12)
    rows += [review(20_000 + j, last + pd.Timedelta(hours=j), topic="taste", direction="too_bland",
                    batch="B2611-02") for j in range(wave)]
    rows += [review(21_000 + j, last + pd.Timedelta(hours=j)) for j in range(25)]
    df = frame(rows)
    neg = df["sentiment"] == "neg"
    df["opinions"] = [OPINIONS["too_bland"] if d == "too_bland" else OPINIONS[""] if n else ""
                      for d, n in zip(df["taste_detail"], neg)]
    df.loc[neg & (df["taste_detail"] == ""), ["topic_delivery_logistics", "topic_packaging"]] = "neg"
    df["rating"] = [2.0 if n else 5.0 for n in neg]
    df["sentiment_score"] = [0.1 if n else 0.9 for n in neg]
    return df


def report_inputs(tmp_path: Path) -> tuple[Path, Path]:
    """A scored parquet file and an issue store holding the wave."""
    scored, store = tmp_path / "scored.parquet", tmp_path / "koubei.duckdb"
    scored_frame().to_parquet(scored)
    run = run_emerging(scored, None, freq="W", by=["supplier", "product"], store=store, novel=False)
    assert len(run.issues) >= 1
    return scored, store


def hostile_issues() -> pd.DataFrame:
    """Two issues whose text fields carry HTML, a script breakout and a spreadsheet formula."""
    trend = json.dumps([{"window": f"2026-W{w}", "count": c, "total": 40} for w, c in
                        zip(range(30, 36), [1, 0, 2, 1, 9, 12])])
    base = {"status": "new", "topic": "taste", "topic_zh": "口味·太淡", "direction": "too_bland",
            "window": "2026-W35", "count": 12, "total": 40, "rate": 0.3, "baseline_rate": 0.02,
            "lift": 15.0, "q_value": 0.0004, "severity": 72.5, "trend": trend}
    return pd.DataFrame([
        {**base, "issue_id": "KB-0000000001", "cell_label": "<b>乙食品厂</b> / 原味瓜子",
         "summary": '<img src=x onerror="alert(1)">', "quotes": json.dumps([XSS, BREAKOUT, FORMULA])},
        {**base, "issue_id": "KB-0000000002", "status": "ongoing", "cell_label": "全部",
         "summary": "口味变淡", "quotes": json.dumps(["淡而无味"]), "trend": "not json"},
    ])


class _Tags(HTMLParser):
    """Start tags with their attributes; script bodies are data, not tags."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def chart_state(html: str) -> dict[str, str]:
    """Chart container id → ``plotly`` (a chart inside) or ``none`` (a note instead)."""
    return {str(a["id"]): str(a["data-chart"]) for _, a in tags(html) if "data-chart" in a}


def test_every_issue_and_chart_container_is_in_the_page() -> None:
    html = build_report(scored_frame(), hostile_issues())
    ids = {str(a.get("id")) for _, a in tags(html)}
    for issue_id in ("KB-0000000001", "KB-0000000002"):
        assert f"issue-{issue_id}" in ids and f"chart-trend-{issue_id}" in ids
    state = chart_state(html)
    assert {c: state[c] for c in CHART_IDS} == dict.fromkeys(CHART_IDS, "plotly")
    assert state["chart-trend-KB-0000000001"] == "plotly"
    assert state["chart-trend-KB-0000000002"] == "none"  # its trend JSON is damaged: a note, no crash
    assert "没有趋势数据" in html
    assert "满意率" in html and "新问题" in html and "持续" in html


def test_the_page_is_self_contained() -> None:
    html = build_report(scored_frame(), hostile_issues())
    assert '<script src="http' not in html
    scripts = [a for t, a in tags(html) if t == "script"]
    assert scripts and not any("src" in a for a in scripts)  # plotly.js is inline
    for tag, attrs in tags(html):
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            assert not re.match(r"\s*(?:https?:)?//", value), (tag, name, value)
    assert html.count("Plotly.newPlot(") == 5  # 4 section charts + 1 trend (the other has no trend)
    assert len(re.findall(r"<script>\s*/\*\*\s*\n?\s*\* plotly\.js", html)) <= 1


def test_quotes_summaries_and_labels_are_escaped() -> None:
    scored = scored_frame()
    scored.loc[scored.index[:3], "supplier"] = "<b>坏</b>"
    scored.loc[scored["opinions"] != "", "opinions"] = "口味:" + BREAKOUT
    html = build_report(scored, hostile_issues())
    for raw in (XSS, BREAKOUT, "<b>乙食品厂</b>", "<b>坏</b>", "<img src=x", 'onerror="alert(1)"'):
        assert raw not in html, raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "=HYPERLINK(&#34;http://evil.example&#34;,&#34;点我&#34;)" in html  # shown as text
    assert "&lt;b&gt;乙食品厂&lt;/b&gt; / 原味瓜子" in html
    # inside plotly JSON, chart labels are HTML-escaped, and plotly writes `/` as \u002f
    assert "&lt;\\u002fscript&gt;&lt;script&gt;alert(1)&lt;\\u002fscript&gt;" in html
    assert [t for t, _ in tags(html)].count("script") == 1 + html.count("Plotly.newPlot(")
    assert "<img" not in html and "<b>" not in html


def test_empty_store_says_no_issues_and_still_draws_the_charts(tmp_path: Path) -> None:
    scored, _ = report_inputs(tmp_path)
    empty = tmp_path / "empty.duckdb"
    open_store(empty).close()
    res = write_report(scored, tmp_path / "r.html", store=empty)
    html = res.output.read_text(encoding="utf-8")
    assert res.issues == 0 and res.by_status == {} and res.issue_source == "store"
    assert "没有新问题" in html and "chart-trend-" not in html
    assert {c: chart_state(html)[c] for c in CHART_IDS} == dict.fromkeys(CHART_IDS, "plotly")
    assert res.charts == list(CHART_IDS)


def test_store_issues_with_their_status(tmp_path: Path) -> None:
    scored, store = report_inputs(tmp_path)
    res = write_report(scored, tmp_path / "r.html", store=store, title="周报 <测试>")
    html = res.output.read_text(encoding="utf-8")
    with open_store(store) as st:
        listed = st.list()
    assert res.issues == len(listed) and res.by_status == {"new": len(listed)}
    for issue_id in listed["issue_id"]:
        assert f"chart-trend-{issue_id}" in res.charts and f'id="issue-{issue_id}"' in html
    assert "<title>周报 &lt;测试&gt;</title>" in html
    assert "乙食品厂 / 原味瓜子" in html and "口味·太淡" in html


def test_without_a_store_the_latest_window_is_checked(tmp_path: Path) -> None:
    scored = tmp_path / "scored.parquet"
    scored_frame().to_parquet(scored)
    res = write_report(scored, tmp_path / "r.html")
    html = res.output.read_text(encoding="utf-8")
    assert res.issue_source == "detected" and res.issues >= 1 and res.by_status == {"": res.issues}
    assert "未记录" in html and "乙食品厂 / 原味瓜子" in html
    assert not list(tmp_path.glob("*.duckdb"))  # nothing recorded


def test_reviews_without_times(tmp_path: Path) -> None:
    scored = tmp_path / "scored.parquet"
    scored_frame().drop(columns="time").to_parquet(scored)
    res = write_report(scored, tmp_path / "r.html")
    html = res.output.read_text(encoding="utf-8")
    assert res.issue_source == "none" and res.issues == 0
    assert "times are missing" in html and chart_state(html)["chart-sentiment"] == "none"
    assert chart_state(html)["chart-heatmap"] == "plotly"


def test_a_missing_grouping_column_is_a_warning(tmp_path: Path) -> None:
    scored = tmp_path / "scored.parquet"
    scored_frame().drop(columns="product").to_parquet(scored)
    res = write_report(scored, tmp_path / "r.html", by=["supplier", "product"])
    assert res.warnings == [f"{scored}: no column 'product'; the report groups by the others"]
    assert "no column product" in res.output.read_text(encoding="utf-8")


def test_library_errors_leave_nothing_behind(tmp_path: Path) -> None:
    scored, store = report_inputs(tmp_path)
    with pytest.raises(OutputError, match="does not exist; create it first"):
        write_report(scored, tmp_path / "nodir" / "r.html", store=store)
    with pytest.raises(StoreError, match="no issue store at .*run `koubei emerging --store"):
        write_report(scored, tmp_path / "r.html", store=tmp_path / "missing.duckdb")
    assert not (tmp_path / "missing.duckdb").exists() and not (tmp_path / "r.html").exists()
    (tmp_path / "r.html").write_text("keep me", encoding="utf-8")
    with pytest.raises(OutputError, match="exists; pass --overwrite"):
        write_report(scored, tmp_path / "r.html", store=store)
    assert (tmp_path / "r.html").read_text(encoding="utf-8") == "keep me"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_cli_writes_the_report(tmp_path: Path) -> None:
    scored, store = report_inputs(tmp_path)
    out = tmp_path / "report.html"
    r = runner.invoke(app, ["report", str(scored), "--store", str(store), "-o", str(out), "--freq", "W",
                            "--by", "supplier,product", "--title", "周报"])
    assert r.exit_code == 0, r.output
    assert "issues: 1 (new 1), from" in r.output and "charts: 5" in r.output and f"wrote {out}" in r.output
    assert "<title>周报</title>" in out.read_text(encoding="utf-8")
    again = runner.invoke(app, ["report", str(scored), "--store", str(store), "-o", str(out)])
    assert again.exit_code == 3 and "exists; pass --overwrite" in again.output
    assert runner.invoke(app, ["report", str(scored), "--store", str(store), "-o", str(out),
                               "--overwrite"]).exit_code == 0


def test_cli_error_exit_codes(tmp_path: Path) -> None:
    scored, store = report_inputs(tmp_path)
    r = runner.invoke(app, ["report", str(scored), "--store", str(store),
                            "-o", str(tmp_path / "no" / "r.html")])
    assert r.exit_code == 3 and "does not exist; create it first" in r.output
    assert not (tmp_path / "no").exists()
    r = runner.invoke(app, ["report", str(scored), "--store", str(tmp_path / "none.duckdb"),
                            "-o", str(tmp_path / "r.html")])
    assert r.exit_code == 7 and "koubei emerging --store" in r.output
    r = runner.invoke(app, ["report", str(tmp_path / "missing.parquet"), "-o", str(tmp_path / "r.html")])
    assert r.exit_code == 2
    (tmp_path / "raw.csv").write_text("评论\n好吃\n", encoding="utf-8")
    r = runner.invoke(app, ["report", str(tmp_path / "raw.csv"), "-o", str(tmp_path / "r.html")])
    assert r.exit_code == 2 and "not a scored file" in r.output
    assert not (tmp_path / "r.html").exists()


def test_plotly_json_cannot_close_the_script() -> None:
    """The page relies on plotly's encoder writing `<`, `>` and `/` as \\u escapes (raw text here)."""
    import plotly.graph_objects as go
    import plotly.io as pio

    fig = go.Figure(go.Bar(x=[BREAKOUT], y=[1], name=BREAKOUT))
    div = pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id="x")
    assert BREAKOUT not in div and div.count("</script") == 1  # only its own closing tag


HEADLINE_DUMP = [
    "味道很好，分量也足，下次还来！", "送餐太慢了，等了一个多小时，饭都凉了。",
    "送餐太慢了，等了一个多小时，饭都凉了。", "包装破损，汤洒了一袋子，差评", "此用户没有填写评价内容",
    "瓜子很香，就是有点受潮了", "瓜子很香，就是有点受潮了",
    "服务态度很好，老板人很热情", "服务态度很好，老板人很热情！！", "", "。。。",
    "牛肉不新鲜，有异味，吃完肚子疼", "價格實惠，環境乾淨",
]


def test_headline_equals_the_score_summary_and_says_what_was_left_out(tmp_path: Path) -> None:
    """koubei score's summary and the report head with the same figures (issue 21, item 13)."""
    dump, scored = tmp_path / "dump.csv", tmp_path / "scored.parquet"
    pd.DataFrame({"评论内容": HEADLINE_DUMP, "评论时间": "2026-11-10 12:00"}).to_csv(dump, index=False)
    printed = runner.invoke(app, ["score", str(dump), "-o", str(scored), "--quiet", "--workers", "1"])
    assert printed.exit_code == 0, printed.output
    cli = re.search(r"rows: ([\d,]+)\s+scored: ([\d,]+)\s+counted: ([\d,]+)", printed.output)
    complaints = re.search(r"complaints: ([\d,]+) \(\d+% of counted\)", printed.output)
    left_out = re.search(r"left out of the counts: (.*?) \(", printed.output)
    assert cli and complaints and left_out, printed.output
    assert left_out.group(1) == "duplicate 2, empty 1, near_duplicate 1, non_text 1, templated 1"

    out = tmp_path / "report.html"
    res = runner.invoke(app, ["report", str(scored), "-o", str(out)])
    assert res.exit_code == 0, res.output
    page = out.read_text(encoding="utf-8")

    def shown(element_id: str) -> str:
        m = re.search(rf'id="{element_id}">([^<]*)<', page)
        assert m, element_id
        return m.group(1).strip()

    assert [shown(i) for i in ("headline-rows", "headline-scored", "headline-counted")] == list(cli.groups())
    assert shown("headline-complaints") == complaints.group(1)
    assert shown("headline-left-out").startswith(f"未计入 left out of the counts: {left_out.group(1)}")
    assert (int(cli.group(1)), int(cli.group(3))) == (len(HEADLINE_DUMP), len(HEADLINE_DUMP) - 6)


def test_report_counts_once_and_sums_the_same_tables_as_aggregate() -> None:
    """The report counts the frame once (per supplier × product × week) and sums every section's
    table from those counts: each must equal what ``aggregate`` gives when asked for it directly."""
    from koubei.aggregate import aggregate
    from koubei.report.data import count_report
    from koubei.taxonomy import load_taxonomy

    df = scored_frame()
    df.loc[df.index[:3], "time"] = pd.NaT  # untimed reviews: counted by group, in no window
    counts = count_report(df, ["supplier", "product"], "W", load_taxonomy())
    cols = ["reviews", "neg", "neg_rate", "satisfaction_rate", "complaints", "taste_too_bland",
            "taste_complaints"]
    for group in ("supplier", "product", None):
        want = aggregate(df, by=[group] if group else [], top_opinions=15)
        got = counts.table(group, top=15)
        pd.testing.assert_frame_equal(got[cols + ["top_opinions"]], want[cols + ["top_opinions"]])
    assert counts.table(None).loc[0, "reviews"] == len(df)
    weekly_want = aggregate(df, freq="W", top_opinions=0)
    weekly_got = counts.by_window()
    pd.testing.assert_frame_equal(weekly_got[["window", *cols]], weekly_want[["window", *cols]])
    assert weekly_got["reviews"].sum() == len(df) - 3
    bland = int((df["opinions"].eq(OPINIONS["too_bland"]) & df["topic_taste"].eq("neg")).sum())
    assert bland > 15  # the wave and the quiet weeks' few
    assert counts.table(None, top=15).loc[0, "top_opinions"].startswith(f"口味:太淡了({bland})")
