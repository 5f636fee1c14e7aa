"""`koubei export`: the issue store as xlsx, csv, md and json; filters, masking, injection, errors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import duckdb
import jsonschema
import pandas as pd
import pytest
from openpyxl import load_workbook
from scored_frames import MONDAY, frame, review, weekly
from typer.testing import CliRunner

from koubei.cli import app
from koubei.detect.run import run_emerging
from koubei.errors import InputError, OutputError, StoreError
from koubei.export import export_issues, load_teams
from koubei.export.cells import display_width, md_cell
from koubei.export.columns import ISSUE_COLUMNS as EXPORT_COLUMNS
from koubei.export.columns import headers
from koubei.export.rows import parse_since
from koubei.io.cells import defuse
from koubei.resources import corpora_path
from koubei.schema import ISSUE_COLUMNS
from koubei.store.history import open_store

TZ = "Asia/Shanghai"
WEEKS = {f"2026-W{n}": pd.Timestamp("2026-11-09", tz=TZ) + pd.Timedelta(weeks=n - 46) for n in range(46, 49)}
BLAND, LATE, DIRTY = "KB-1a2b3c4d5e", "KB-9f8e7d6c5b", "KB-00aa11bb22"
BOX, NOVEL = "KB-33cc44dd55", "KB-66ee77ff88"
FORMULA = "=cmd|' /C calc'!A0 这批瓜子太淡了"
SCRIPT = "<script>alert(1)</script>瓜子没味道"
PHONE = "联系我13812345678，这批瓜子淡而无味"
SCHEMA = json.loads(corpora_path("schema", "issues.schema.json").read_text(encoding="utf-8"))
runner = CliRunner()


def issue(issue_id: str, window: str, *, topic: str, topic_zh: str, cell: dict[str, str], severity: float,
          count: int, quotes: list[str], trace: list[dict[str, Any]] | None = None, direction: str = "",
          dimension: str = "product") -> dict[str, object]:
    """One issue-table row as ``koubei emerging`` writes it (quotes as recorded with --no-mask)."""
    label = " / ".join(cell.values()) or "全部"
    return dict(
        issue_id=issue_id, topic=topic, topic_zh=topic_zh, direction=direction, dimension=dimension,
        level=",".join(cell), cell=json.dumps(cell, ensure_ascii=False), cell_label=label, freq="W",
        window=window, window_start=WEEKS[window], count=count, total=100, rate=count / 100,
        baseline_rate=0.02, expected=2.0, lift=count / 2.0, test="spike", p_value=1e-5, q_value=1e-3,
        severity=severity, first_window=window,
        trend=json.dumps([{"window": w, "count": 1 if w != window else count, "total": 100} for w in WEEKS]),
        trace=json.dumps(trace or [], ensure_ascii=False), summary=f"{topic_zh} {label}: {window} {count} 条",
        quotes=json.dumps(quotes, ensure_ascii=False),
        review_ids=json.dumps([f"{issue_id[-4:]}-r{i}" for i in range(count)]),
    )


def bland(window: str = "2026-W48") -> dict[str, object]:
    return issue(BLAND, window, topic="taste", topic_zh="口味·太淡", direction="too_bland",
                 cell={"supplier": "乙食品厂", "product": "原味瓜子"}, severity=62.5, count=6,
                 quotes=[FORMULA, SCRIPT, PHONE])


def late(window: str = "2026-W46") -> dict[str, object]:
    trace = [{"column": "supplier", "value": "乙食品厂", "count": 4, "share": 0.8, "excess_share": 0.9},
             {"column": "product", "value": "原味瓜子", "count": 2, "share": 0.3, "excess_share": 0.4}]
    return issue(LATE, window, topic="delivery_logistics", topic_zh="物流配送", cell={}, severity=30.0,
                 count=5, quotes=["快递太慢了，一周才到"], trace=trace, dimension="responsiveness")


def dirty(window: str) -> dict[str, object]:
    return issue(DIRTY, window, topic="hygiene_safety", topic_zh="卫生与安全", cell={"supplier": "甲食品"},
                 severity=45.0, count=7, dimension="assurance",
                 quotes=["-吃出了头发，恶心", "@客服 里面有虫子", "\t有异物\x07，不敢吃"])


def boxed() -> dict[str, object]:
    return issue(BOX, "2026-W48", topic="packaging", topic_zh="包装", cell={}, severity=20.0, count=5,
                 quotes=["包装破了"], dimension="tangibles")


def novel() -> dict[str, object]:
    row = issue(NOVEL, "2026-W48", topic="novel", topic_zh="新问题", cell={}, severity=0.0, count=5,
                quotes=["赠品没有送"], dimension="")
    return {**row, "severity": float("nan"), "q_value": float("nan")}


def record(store: Path, window: str, *rows: dict[str, object]) -> None:
    with open_store(store) as s:
        s.record(pd.DataFrame(list(rows), columns=list(ISSUE_COLUMNS)), freq="W",
                 evaluated_windows=[(window, WEEKS[window])])


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """W46: LATE; W47: DIRTY; W48: BLAND, DIRTY, BOX (muted), NOVEL → LATE resolved, DIRTY ongoing.

    Read-only for the tests (an export does not change the store), so built once.
    """
    path = tmp_path_factory.mktemp("store") / "koubei.duckdb"
    record(path, "2026-W46", late())
    record(path, "2026-W47", dirty("2026-W47"))
    record(path, "2026-W48", bland(), dirty("2026-W48"), boxed(), novel())
    with open_store(path) as s:
        s.mute(BOX, reason="已换包装供应商")
    return path


@pytest.fixture
def empty_store(tmp_path: Path) -> Path:
    path = tmp_path / "empty.duckdb"
    open_store(path).close()
    return path


def cells(ws: Any) -> list[Any]:
    return [c for row in ws.iter_rows() for c in row]


def column(ws: Any, header: str) -> list[Any]:
    names = [c.value for c in ws[1]]
    return [row[names.index(header)] for row in ws.iter_rows(min_row=2)]


def test_xlsx_sheets_header_layout_and_rows(store: Path, tmp_path: Path) -> None:
    res = export_issues(store, tmp_path / "issues.xlsx")
    assert (res.fmt, res.issues, res.review_ids) == ("xlsx", 4, 6 + 5 + 7 + 5)
    book = load_workbook(res.path)
    assert book.sheetnames == ["问题列表", "汇总", "方法说明", "评论编号"]
    ws = book["问题列表"]
    assert [c.value for c in ws[1]] == headers(EXPORT_COLUMNS, "zh")
    assert ws[1][0].font.bold and ws[1][0].fill.fgColor.rgb.endswith("DDEBF7")
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:X{ws.max_row}"
    assert ws.max_row == 1 + 4
    ids = [c.value for c in column(ws, "问题编号")]
    assert ids == [BLAND, NOVEL, DIRTY, LATE]  # new by severity (no severity last), ongoing, resolved
    assert [c.value for c in column(ws, "状态")] == ["新增", "新增", "持续", "已解决"]
    assert ws.column_dimensions["T"].width <= 60 and ws.column_dimensions["T"].width > 20  # a quote column
    assert book["评论编号"].max_row == 1 + res.review_ids
    assert all(ws.freeze_panes == "A2" and ws.auto_filter.ref for ws in book)
    summary = {(r[0].value, r[1].value): r[2].value for r in book["汇总"].iter_rows(min_row=2)}
    assert summary[("乙食品厂", "原味瓜子")] == 1 and summary[("甲食品", "（未固定）")] == 1
    assert summary[("乙食品厂", "（未固定）")] == 1  # the late issue, supplier from its trace


def test_xlsx_has_no_formula_cells_and_keeps_the_text(store: Path, tmp_path: Path) -> None:
    book = load_workbook(export_issues(store, tmp_path / "i.xlsx").path)
    assert not [c.coordinate for ws in book for c in cells(ws) if c.data_type == "f"]
    quotes = {c.value: c for c in column(book["问题列表"], "代表评论1")}
    cell = quotes[FORMULA]
    assert cell.data_type == "s" and cell.quotePrefix  # shown as typed, never evaluated
    assert quotes["-吃出了头发，恶心"].quotePrefix
    q3 = [c.value for c in column(book["问题列表"], "代表评论3")]
    assert "\t有异物，不敢吃" in q3  # the control character Excel forbids is dropped
    assert SCRIPT in [c.value for c in column(book["问题列表"], "代表评论2")]


def test_xlsx_in_english(store: Path, tmp_path: Path) -> None:
    book = load_workbook(export_issues(store, tmp_path / "i.xlsx", lang="en").path)
    assert book.sheetnames == ["issues", "summary", "method", "review_ids"]
    ws = book["issues"]
    assert [c.value for c in ws[1]] == headers(EXPORT_COLUMNS, "en")
    first = {h: c.value for h, c in zip(headers(EXPORT_COLUMNS, "en"), ws[2])}
    assert first["Status"] == "new" and first["Topic"] == "Taste · Too bland"
    assert first["Service dimension"] == "Product" and first["Taste direction"] == "Too bland"
    assert first["Suggested team"] == "R&D (flavour and recipes)"
    assert first["Summary"].startswith(f"{BLAND} [new] severity 62: ")  # 62.5 rounds half to even
    assert "Suggested owner: R&D" in first["Summary"] and "http" not in first["Summary"]


def test_csv_has_a_bom_defused_formulas_and_a_review_id_file(store: Path, tmp_path: Path) -> None:
    res = export_issues(store, tmp_path / "out.csv")
    assert res.files == (tmp_path / "out.review_ids.csv", tmp_path / "out.csv")
    assert res.path.read_bytes().startswith(b"\xef\xbb\xbf")
    df = pd.read_csv(res.path, encoding="utf-8-sig", keep_default_na=False)
    assert list(df.columns) == headers(EXPORT_COLUMNS, "zh") and len(df) == 4
    row = df.iloc[0]
    assert row["代表评论1"] == "'" + FORMULA and row["代表评论2"] == SCRIPT
    assert row["代表评论3"] == "联系我[电话]，这批瓜子淡而无味"
    assert (row["商品"], row["供应商"], row["趋势"]) == ("原味瓜子", "乙食品厂", "1,1,6")
    assert (row["条数"], row["比例"], float(row["严重度"])) == (6, 0.06, 62.5)
    assert row["建议负责团队"] == "研发部（口味配方）"
    dirty_row = df[df["问题编号"] == DIRTY].iloc[0]
    assert [dirty_row[f"代表评论{i}"] for i in (1, 2, 3)] == ["'-吃出了头发，恶心", "'@客服 里面有虫子",
                                                              "'\t有异物\x07，不敢吃"]
    late_row = df[df["问题编号"] == LATE].iloc[0]
    assert (late_row["供应商"], late_row["商品"]) == ("乙食品厂（追溯 80%）", "")
    ids = pd.read_csv(tmp_path / "out.review_ids.csv", encoding="utf-8-sig")
    assert list(ids.columns) == ["问题编号", "评论编号"] and len(ids) == res.review_ids
    assert ids.groupby("问题编号").size()[BLAND] == 6


HOSTILE = '=HYPERLINK("http://evil.example/","乙食品厂")'


def test_raw_writes_formula_like_cells_as_they_are(tmp_path: Path) -> None:
    """Defused by default in both CSV files; ``--raw`` writes them as recorded; xlsx, md, json the same."""
    store = tmp_path / "k.duckdb"
    row = issue(BLAND, "2026-W48", topic="taste", topic_zh="口味·太咸", direction="too_salty",
                cell={"supplier": HOSTILE, "product": "薯片"}, severity=50.0, count=2,
                quotes=["=1+2 薯片太咸了", "薯片太咸了"])
    record(store, "2026-W48", {**row, "review_ids": json.dumps(["-3", "@r2"])})
    label = HOSTILE + " / 薯片"
    for raw in (False, True):
        out = tmp_path / f"{'raw' if raw else 'safe'}.csv"
        r = cli("--store", str(store), "-o", str(out), *(["--raw"] if raw else []))
        assert r.exit_code == 0, r.output
        df = pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False, dtype=str)
        ids = pd.read_csv(out.with_name(f"{out.stem}.review_ids.csv"), encoding="utf-8-sig", dtype=str)
        fix = "" if raw else "'"
        assert (df.loc[0, "分组"], df.loc[0, "供应商"]) == (fix + label, fix + HOSTILE)
        assert (df.loc[0, "代表评论1"], df.loc[0, "代表评论2"]) == (fix + "=1+2 薯片太咸了", "薯片太咸了")
        assert ids["评论编号"].tolist() == [fix + "-3", fix + "@r2"]
    for fmt in ("xlsx", "md", "json"):  # these never changed the text: --raw leaves them as they were
        plain, raw_out = tmp_path / f"p.{fmt}", tmp_path / f"r.{fmt}"
        assert cli("--store", str(store), "-o", str(plain)).exit_code == 0
        assert cli("--store", str(store), "-o", str(raw_out), "--raw").exit_code == 0
        if fmt == "xlsx":
            both = [[(c.value, c.data_type, c.quotePrefix)
                     for c in column(load_workbook(p)["问题列表"], "分组")] for p in (plain, raw_out)]
            assert both[0] == both[1] == [(label, "s", True)]
        else:
            assert _untimed(plain) == _untimed(raw_out)
            assert (md_cell(label) if fmt == "md" else json.dumps(label, ensure_ascii=False)) in \
                raw_out.read_text(encoding="utf-8")


def _untimed(path: Path) -> list[str]:
    """The lines of an export without those giving when it was made."""
    when = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
    return [x for x in path.read_text(encoding="utf-8").splitlines() if not when.search(x)]


def test_markdown_has_one_escaped_table_row_per_issue(store: Path, tmp_path: Path) -> None:
    text = export_issues(store, tmp_path / "i.md").path.read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| KB-")]
    assert [r.split(" | ")[0] for r in rows] == [f"| {i}" for i in (BLAND, NOVEL, DIRTY, LATE)]
    header = next(line for line in text.splitlines() if line.startswith("| 问题编号"))
    n_cols = header.count(" | ") + 1
    assert all(r.replace("\\|", "").count(" | ") + 1 == n_cols for r in rows)  # escaped pipes stay in cells
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "13812345678" not in text and "\\[电话\\]" in text
    assert "## 摘要" in text and f"- {BLAND}【新增】严重度 62：" in text


def test_json_validates_against_the_schema(store: Path, tmp_path: Path) -> None:
    res = export_issues(store, tmp_path / "i.json", status=["new", "ongoing", "resolved", "muted"])
    doc = json.loads(res.path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(doc, SCHEMA, format_checker=jsonschema.FormatChecker())
    assert doc["count"] == 5 and doc["lang"] == "zh" and doc["filters"]["mask"] is True
    by_id = {i["issue_id"]: i for i in doc["issues"]}
    assert by_id[BOX]["status"] == "muted" and by_id[BOX]["mute_reason"] == "已换包装供应商"
    assert by_id[NOVEL]["severity"] is None and by_id[NOVEL]["topic_en"] == "New kind of complaint"
    assert by_id[LATE]["supplier_source"] == "trace" and by_id[LATE]["product_source"] is None
    assert by_id[BLAND]["review_ids"] == [f"4d5e-r{i}" for i in range(6)]
    assert by_id[BLAND]["quotes"][0] == FORMULA  # JSON is data: no apostrophe
    assert [t["count"] for t in by_id[BLAND]["trend"]] == [1, 1, 6]


@pytest.mark.parametrize(("kwargs", "ids"), [
    ({"status": "new"}, [BLAND, NOVEL]),
    ({"status": ""}, [BLAND, NOVEL, DIRTY, LATE]),  # nothing given: all but muted
    ({"status": ["ongoing", "resolved"]}, [DIRTY, LATE]),
    ({"status": "new,muted"}, [BLAND, NOVEL, BOX]),
    ({"min_severity": 40}, [BLAND, DIRTY]),
    ({"since": "2026-W48"}, [BLAND, NOVEL, DIRTY]),
    ({"since": "2026-11-20"}, [BLAND, NOVEL, DIRTY]),
    ({"since": "2026-11-15"}, [BLAND, NOVEL, DIRTY, LATE]),
    ({"since": "2026-12"}, []),
    ({"status": "new", "min_severity": 60, "since": "2026-W47"}, [BLAND]),
])
def test_filters(store: Path, tmp_path: Path, kwargs: dict[str, Any], ids: list[str]) -> None:
    res = export_issues(store, tmp_path / "i.json", **kwargs)
    doc = json.loads(res.path.read_text(encoding="utf-8"))
    assert [i["issue_id"] for i in doc["issues"]] == ids
    jsonschema.validate(doc, SCHEMA)


def test_masking_on_by_default_and_off_with_no_mask(store: Path, tmp_path: Path) -> None:
    masked = export_issues(store, tmp_path / "m.json")
    raw = export_issues(store, tmp_path / "r.json", mask=False)
    quotes = {p: json.loads(p.read_text(encoding="utf-8"))["issues"][0]["quotes"]
              for p in (masked.path, raw.path)}
    assert quotes[masked.path][2] == "联系我[电话]，这批瓜子淡而无味"
    assert quotes[raw.path][2] == PHONE
    assert json.loads(raw.path.read_text(encoding="utf-8"))["filters"]["mask"] is False


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "md", "json"])
def test_an_empty_store_gives_a_valid_file_saying_no_issues(empty_store: Path, tmp_path: Path,
                                                            fmt: str) -> None:
    res = export_issues(empty_store, tmp_path / f"i.{fmt}")
    assert res.issues == 0 and res.path.exists()
    if fmt == "xlsx":
        book = load_workbook(res.path)
        assert book["问题列表"]["A2"].value == "没有问题（按所选条件）" and book["评论编号"].max_row == 1
    elif fmt == "csv":
        df = pd.read_csv(res.path, encoding="utf-8-sig")
        assert len(df) == 1 and df.iloc[0, 0] == "没有问题（按所选条件）"
        assert len(pd.read_csv(tmp_path / "i.review_ids.csv", encoding="utf-8-sig")) == 0
    elif fmt == "md":
        assert "没有问题（按所选条件）" in res.path.read_text(encoding="utf-8")
    else:
        doc = json.loads(res.path.read_text(encoding="utf-8"))
        jsonschema.validate(doc, SCHEMA)
        assert doc["issues"] == [] and doc["message"] == "没有问题（按所选条件）"


def test_filters_leaving_nothing_say_no_issues_in_english(store: Path, tmp_path: Path) -> None:
    res = export_issues(store, tmp_path / "i.md", lang="en", min_severity=99)
    assert res.issues == 0 and "no issues (with the filters given)" in res.path.read_text(encoding="utf-8")


def test_errors(store: Path, tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="does not exist; create it first"):
        export_issues(store, tmp_path / "missing" / "i.xlsx")
    with pytest.raises(OutputError, match="cannot export extension '.txt'"):
        export_issues(store, tmp_path / "i.txt")
    with pytest.raises(OutputError, match="cannot export format 'pdf'"):
        export_issues(store, tmp_path / "i.xlsx", fmt="pdf")
    with pytest.raises(StoreError, match="run `koubei emerging --store"):
        export_issues(tmp_path / "none.duckdb", tmp_path / "i.xlsx")
    with pytest.raises(InputError, match="--status later: unknown"):
        export_issues(store, tmp_path / "i.xlsx", status="later")
    with pytest.raises(InputError, match="--since 'last week'"):
        export_issues(store, tmp_path / "i.xlsx", since="last week")
    assert not list(tmp_path.glob("i.*")) and not list(tmp_path.glob(".i.*"))  # nothing half-written


def test_existing_csv_or_its_review_id_file_needs_overwrite(store: Path, tmp_path: Path) -> None:
    (tmp_path / "i.review_ids.csv").write_text("keep", encoding="utf-8")
    with pytest.raises(OutputError, match=r"i\.review_ids\.csv: exists; pass --overwrite"):
        export_issues(store, tmp_path / "i.csv")
    assert not (tmp_path / "i.csv").exists()
    export_issues(store, tmp_path / "i.csv", overwrite=True)
    assert (tmp_path / "i.review_ids.csv").read_text(encoding="utf-8-sig").startswith("问题编号,评论编号")


def test_teams_file_and_direction_override(store: Path, tmp_path: Path) -> None:
    teams = tmp_path / "teams.yaml"
    teams.write_text("default: 质量部\ntopics:\n  taste: {zh: 配方组, en: Recipes}\n"
                     "directions:\n  too_bland: 调味组\n", encoding="utf-8")
    doc = json.loads(export_issues(store, tmp_path / "i.json", teams=teams).path.read_text(encoding="utf-8"))
    assert {i["issue_id"]: i["team"] for i in doc["issues"]} == \
        {BLAND: "调味组", NOVEL: "质量部", DIRTY: "质量部", LATE: "质量部"}
    shipped = load_teams()
    assert shipped.team("taste", "off_flavor") == "品控部" and shipped.team("unknown") == "产品经理（待分派）"
    assert shipped.team("delivery_logistics", lang="en") == "Logistics"
    teams.write_text("topics: {taste: 配方组}\n", encoding="utf-8")
    with pytest.raises(InputError, match="'default' team"):
        load_teams(teams)
    teams.write_text("default: 质量部\ntopics: {taste: [1, 2]}\n", encoding="utf-8")
    with pytest.raises(InputError, match="topics.taste: a team is a name"):
        load_teams(teams)


def test_parse_since() -> None:
    assert parse_since("2026-W48") == pd.Timestamp("2026-11-23")
    assert parse_since("2026-w01") == pd.Timestamp("2025-12-29")
    assert parse_since("2026-11") == pd.Timestamp("2026-11-01")
    assert parse_since("2026-11-20") == pd.Timestamp("2026-11-20")
    assert parse_since(pd.Timestamp("2026-11-20 08:00", tz=TZ)) == pd.Timestamp("2026-11-20 08:00")
    with pytest.raises(InputError):
        parse_since("2026-W60")


def test_cell_helpers() -> None:
    assert [defuse(v) for v in ("=1+1", "+1", "-1", "@a", "\tx", "\rx", "＝x", "ok", 5)] == \
        ["'=1+1", "'+1", "'-1", "'@a", "'\tx", "'\rx", "'＝x", "ok", 5]
    assert md_cell("a|b\nc <b> [x](y)") == "a\\|b c &lt;b&gt; \\[x\\](y)"
    assert display_width("瓜子ab") == 6


def cli(*args: str) -> Any:
    return runner.invoke(app, ["export", *args])


def test_cli_writes_each_format(store: Path, tmp_path: Path) -> None:
    for fmt in ("xlsx", "csv", "md", "json"):
        r = cli("--store", str(store), "-o", str(tmp_path / f"out.{fmt}"), "--status", "new",
                "--status", "ongoing", "--lang", "en")
        assert r.exit_code == 0, r.output
        assert "3 issues, 18 review ids" in r.output and f"out.{fmt}" in r.output
    r = cli("--store", str(store), "--format", "MD", "--no-mask", "--min-severity", "50",
            "--since", "2026-W48")
    assert r.exit_code == 0, r.output
    text = (store.parent / "issues.md").read_text(encoding="utf-8")  # default: beside the store
    assert "13812345678" in text
    assert [line[:15] for line in text.splitlines() if line.startswith("| KB-")] == [f"| {BLAND}"]


def test_cli_exit_codes(store: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "i.xlsx")
    assert cli("--store", str(store), "-o", str(tmp_path / "no" / "i.xlsx")).exit_code == 3
    assert cli("--store", str(tmp_path / "none.duckdb"), "-o", out).exit_code == 7
    assert cli("--store", str(store), "-o", str(tmp_path / "i.pdf")).exit_code == 3
    # an unknown --format is a bad option value (exit 2), named with its choices; an unknown
    # extension is an output error (exit 3)
    bad = cli("--store", str(store), "-o", out, "--format", "pdf")
    assert bad.exit_code == 2 and "xlsx" in bad.output and "md" in bad.output
    assert cli("--store", str(store), "--format", "pdf").exit_code == 2
    assert cli("--store", str(store), "-o", out, "--since", "soon").exit_code == 2
    assert cli("--store", str(store), "-o", out).exit_code == 0
    r = cli("--store", str(store), "-o", out)
    assert r.exit_code == 3 and "pass --overwrite" in r.output
    assert cli("--store", str(store), "-o", out, "--overwrite").exit_code == 0


def test_cli_empty_store(empty_store: Path, tmp_path: Path) -> None:
    r = cli("--store", str(empty_store), "-o", str(tmp_path / "i.json"))
    assert r.exit_code == 0 and "no issues" in r.output


def _damaged_copy(store: Path, tmp_path: Path, sql: str, name: str = "damaged.duckdb") -> Path:
    copy = tmp_path / name
    copy.write_bytes(store.read_bytes())
    with duckdb.connect(str(copy)) as con:
        con.execute(sql)
    return copy


def _one_line_exit_7(r: Any, store: Path, why: str) -> None:
    """The error every store command gives for a damaged store: one line, exit 7, no traceback."""
    assert r.exit_code == 7 and isinstance(r.exception, SystemExit) and "Traceback" not in r.output
    assert r.output.strip().splitlines() == [
        f"error: {store} is a damaged issue store ({why}); restore it from a backup, or give another "
        "--store file (a new file starts an empty history)"]


@pytest.mark.parametrize(("sql", "why"), [
    ("ALTER TABLE runs DROP COLUMN resolve_after", "table runs: lacks column resolve_after"),
    ("DROP TABLE runs", "no table runs"),
    ("UPDATE runs SET levels = '供应商,产品' WHERE run_id = 2",
     "runs.levels holds '供应商,产品', not a JSON list"),
])
def test_cli_a_store_whose_runs_table_is_damaged_is_one_line_exit_7(store: Path, tmp_path: Path,
                                                                    sql: str, why: str) -> None:
    damaged = _damaged_copy(store, tmp_path, sql)
    before = damaged.read_bytes()
    r = cli("--store", str(damaged), "-o", str(tmp_path / "i.csv"))
    _one_line_exit_7(r, damaged, why)
    assert damaged.read_bytes() == before and not list(tmp_path.glob("*i.*"))  # nothing written


def test_cli_a_store_cut_short_is_one_line_exit_7_wherever_it_was_cut(tmp_path: Path) -> None:
    """Cut at any point, an export fails with the store error (reading ``runs`` used to be a traceback)."""
    whole = tmp_path / "whole.duckdb"
    record(whole, "2026-W48", bland())
    data, cut, out = whole.read_bytes(), tmp_path / "cut.duckdb", tmp_path / "i.csv"
    failed = 0
    for k in range(1, 40):
        cut.write_bytes(data[: len(data) * k // 40])
        r = cli("--store", str(cut), "-o", str(out), "--overwrite")
        if r.exit_code == 0:  # what was cut off held nothing the export reads
            assert "1 issue, 6 review ids" in r.output
            continue
        failed += 1
        [line] = r.output.strip().splitlines()
        assert r.exit_code == 7 and isinstance(r.exception, SystemExit), (k, r.output, r.exception)
        assert line.startswith(f"error: {cut} is a damaged issue store (")
        assert line.endswith("restore it from a backup, or give another --store file (a new file starts an "
                             "empty history)")
    assert failed >= 20


def test_store_runs_reader(store: Path) -> None:
    with open_store(store, read_only=True) as s:
        runs = s.runs()
    assert runs["run_id"].tolist() == [1, 2, 3] and runs["n_issues"].tolist() == [1, 1, 4]
    assert runs["levels"].tolist() == [[""], ["supplier"], ["", "supplier", "supplier,product"]]
    assert runs["windows"].tolist() == [["2026-W46"], ["2026-W47"], ["2026-W48"]]
    assert str(runs["recorded_at"].dt.tz) == TZ


def test_export_of_a_real_emerging_run(tmp_path: Path) -> None:
    """A too-bland wave found by run_emerging comes out with its product, team and masked quotes."""
    rows = weekly(12, 40, 0.05, seed=1)
    last = MONDAY + pd.Timedelta(days=7 * 12)
    rows += [review(20_000 + j, last + pd.Timedelta(hours=j), topic="taste", direction="too_bland",
                    batch="B2611-02", text=f"这批瓜子太淡了，电话1381234{5600 + j:04d}") for j in range(15)]
    rows += [review(21_000 + j, last + pd.Timedelta(hours=j)) for j in range(25)]
    scored, store = tmp_path / "scored.parquet", tmp_path / "k.duckdb"
    frame(rows).to_parquet(scored)
    run_emerging(scored, store=store, by=["supplier", "product"], novel=False, mask=False)
    doc = json.loads(export_issues(store, tmp_path / "i.json").path.read_text(encoding="utf-8"))
    jsonschema.validate(doc, SCHEMA)
    [top] = [i for i in doc["issues"] if i["direction"] == "too_bland" and i["level"] == "supplier,product"]
    assert (top["product"], top["supplier"], top["status"]) == ("原味瓜子", "乙食品厂", "new")
    assert top["team"] == "研发部（口味配方）" and len(top["review_ids"]) == top["count"]
    assert top["quotes"] and all("[电话]" in q for q in top["quotes"])


def test_a_categorical_text_column_is_defused_too() -> None:
    import pandas as pd

    from koubei.io.cells import defuse_frame

    df = pd.DataFrame({"渠道": pd.Categorical(["=HYPERLINK(\"http://x\")", "微信"]), "分数": [-5, 3]})
    out = defuse_frame(df)
    assert out["渠道"].tolist() == ["'=HYPERLINK(\"http://x\")", "微信"]
    assert out["分数"].tolist() == [-5, 3]  # a numeric column is left alone
