"""`koubei emerging` end to end: files in, issues out, history kept, errors with exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from scored_frames import MONDAY, frame, review, weekly
from typer.testing import CliRunner

from koubei.cli import app
from koubei.detect.run import run_emerging
from koubei.store.history import open_store

runner = CliRunner()


def bland_wave(weeks_after: int = 0, second: int = 0) -> pd.DataFrame:
    """12 quiet weeks, 15 too-bland complaints in week 13 from batch B2611-02 (``second`` in week 14)."""
    rows = weekly(12, 40, 0.05, seed=1) + weekly(12, 40, 0.05, seed=2, offset=10_000, supplier="甲食品")
    last = MONDAY + pd.Timedelta(days=7 * 12)
    rows += [review(20_000 + j, last + pd.Timedelta(hours=j), topic="taste", direction="too_bland",
                    batch="B2611-02", text=f"这批瓜子太淡了，没味道，电话1381234{5600 + j:04d}")
             for j in range(15)]
    rows += [review(21_000 + j, last + pd.Timedelta(hours=j)) for j in range(25)]
    rows += [review(22_000 + j, last + pd.Timedelta(days=7, hours=j), topic="taste", direction="too_bland",
                    batch="B2611-02") for j in range(second)]
    rows += weekly(weeks_after, 40, 0.05, start=last + pd.Timedelta(days=7), seed=3, offset=30_000)
    return frame(rows)


@pytest.fixture
def scored(tmp_path: Path) -> Path:
    path = tmp_path / "scored.parquet"
    bland_wave().to_parquet(path)
    return path


def emerging(*args: str) -> object:
    return runner.invoke(app, ["emerging", *args, "--no-novel"])


def test_finds_records_and_writes_the_wave(scored: Path, tmp_path: Path) -> None:
    out, store = tmp_path / "issues.csv", tmp_path / "k.duckdb"
    r = emerging(str(scored), "--by", "supplier,product", "--store", str(store), "-o", str(out))
    assert r.exit_code == 0, r.output
    assert "KB-" in r.output and "[new]" in r.output and "100% 来自批次 B2611-02" in r.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel-friendly CSV
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert table.loc[0, ["topic", "direction", "cell_label", "count", "status"]].tolist() == \
        ["taste", "too_bland", "乙食品厂 / 原味瓜子", 15, "new"]
    quotes = json.loads(table.loc[0, "quotes"])
    assert quotes and all("[电话]" in q for q in quotes)
    listed = runner.invoke(app, ["issues", "list", "--store", str(store)])
    assert listed.exit_code == 0 and table.loc[0, "issue_id"] in listed.output


def test_rerunning_the_same_data_changes_nothing(scored: Path, tmp_path: Path) -> None:
    store = tmp_path / "k.duckdb"
    first = run_emerging(scored, store=store, by=["supplier"], novel=False)
    again = run_emerging(scored, store=store, by=["supplier"], novel=False)
    assert first.issues.drop(columns="status").equals(again.issues.drop(columns="status"))
    assert again.issues["status"].tolist() == ["new"]
    with duckdb.connect(str(store), read_only=True) as con:
        assert con.execute("select count(*) from issue_windows").fetchone() == (1,)
        assert con.execute("select count(*) from evaluations").fetchone() == (1,)


def test_the_wave_becomes_ongoing_then_resolved_across_runs(tmp_path: Path) -> None:
    path, store = tmp_path / "s.parquet", tmp_path / "k.duckdb"
    bland_wave(weeks_after=3, second=12).to_parquet(path)
    runs = [run_emerging(path, store=store, windows=[w], novel=False).issues
            for w in ("2026-W35", "2026-W36", "2026-W37")]
    assert [r["status"].tolist() for r in runs] == [["new"], ["ongoing"], []]
    with open_store(store) as db:
        assert db.list()["status"].tolist() == ["ongoing"]  # one clean window is not enough
    run_emerging(path, store=store, windows=["2026-W38"], novel=False)
    with open_store(store) as db:
        assert db.list()["status"].tolist() == ["resolved"]


def test_all_windows_backfill_and_excel_output(scored: Path, tmp_path: Path) -> None:
    out = tmp_path / "issues.xlsx"
    r = emerging(str(scored), "--all-windows", "-o", str(out), "-q")
    assert r.exit_code == 0, r.output
    assert "windows evaluated: 2026-W24, 2026-W25, 2026-W26 ..." in r.output
    assert len(pd.read_excel(out)) >= 1


def test_a_quiet_latest_window_says_what_was_evaluated_and_how_to_look_back(tmp_path: Path) -> None:
    path = tmp_path / "s.parquet"
    bland_wave(weeks_after=3).to_parquet(path)  # the wave of 太淡 is three weeks before the last week
    r = emerging(str(path), "--no-novel")
    assert r.exit_code == 0, r.output
    assert "issues: 0 (0 new kinds of complaint)" in r.output
    assert re.search(r"only the latest window, 2026-W\d\d \([\d,]+ countable reviews\), was evaluated; "
                     r"the data span 2026-W\d\d to 2026-W\d\d \(16 windows\): add --last N", r.output)
    back = emerging(str(path), "--no-novel", "--last", "4")
    assert back.exit_code == 0, back.output
    assert "issues: 1 " in back.output and "too_bland" in back.output.replace("太淡", "too_bland")
    assert "only the latest window" not in back.output


def test_novel_clusters_run_with_the_bundled_model(scored: Path) -> None:
    r = runner.invoke(app, ["emerging", str(scored), "-q"])
    assert r.exit_code == 0, r.output
    assert "new kinds of complaint)" in r.output


def test_error_exit_codes(scored: Path, tmp_path: Path) -> None:
    no_time = tmp_path / "no_time.parquet"
    pd.read_parquet(scored).drop(columns="time").to_parquet(no_time)
    r = emerging(str(no_time))
    assert r.exit_code == 2 and "emerging needs review times" in r.output and "--time-col" in r.output
    r = emerging(str(scored), "--by", "shop")
    assert r.exit_code == 2 and "no column 'shop'" in r.output
    raw = tmp_path / "raw.csv"
    raw.write_text("评论内容\n太淡了\n", encoding="utf-8")
    r = emerging(str(raw))
    assert r.exit_code == 2 and "not a scored file" in r.output and "koubei score" in r.output
    r = emerging(str(tmp_path / "missing.parquet"))
    assert r.exit_code == 2 and "missing.parquet" in r.output
    r = emerging(str(scored), "--window", "2030-W01")
    assert r.exit_code == 2 and "no window 2030-W01" in r.output
    out = tmp_path / "exists.csv"
    out.write_text("keep me", encoding="utf-8")
    r = emerging(str(scored), "-o", str(out))
    assert r.exit_code == 3 and "--overwrite" in r.output and out.read_text(encoding="utf-8") == "keep me"
    r = emerging(str(scored), "-o", str(tmp_path / "nodir" / "i.csv"))
    assert r.exit_code == 3


def edited_store(scored: Path, tmp_path: Path, sql: str) -> Path:
    """A store that recorded one run, then was edited by ``sql``."""
    store = tmp_path / "k.duckdb"
    run_emerging(scored, store=store, novel=False)
    with duckdb.connect(str(store)) as con:
        con.execute(sql)
    return store


def test_a_store_from_a_newer_koubei_is_refused_and_left_alone(scored: Path, tmp_path: Path) -> None:
    store = edited_store(scored, tmp_path, "update meta set value = '99' where key = 'schema_version'")
    before = store.read_bytes()
    r = emerging(str(scored), "--store", str(store))
    assert r.exit_code == 7 and "newer" in r.output
    assert store.read_bytes() == before


def test_a_damaged_store_is_refused_before_the_run_and_left_alone(scored: Path, tmp_path: Path) -> None:
    """A table that lost a column used to print a traceback after committing a run row."""
    store = edited_store(scored, tmp_path, "ALTER TABLE issues DROP COLUMN muted")
    before = store.read_bytes()
    out = tmp_path / "issues.csv"
    r = emerging(str(scored), "--store", str(store), "-o", str(out))
    assert r.exit_code == 7 and "Traceback" not in r.output and isinstance(r.exception, SystemExit)
    [line] = [x for x in r.output.splitlines() if x.startswith("error: ")]
    assert line == r.output.strip().splitlines()[-1]
    assert f"{store} is a damaged issue store (table issues: lacks column muted)" in line
    assert "restore it from a backup, or give another --store file" in line
    assert "windows evaluated" not in r.output  # refused up front, not after the detection
    assert store.read_bytes() == before and not out.exists()
    with duckdb.connect(str(store), read_only=True) as con:
        assert con.execute("select count(*) from runs").fetchone() == (1,)


def test_a_store_cut_short_is_one_line_exit_7(scored: Path, tmp_path: Path) -> None:
    store = tmp_path / "k.duckdb"
    run_emerging(scored, store=store, novel=False)
    data = store.read_bytes()
    store.write_bytes(data[: len(data) // 2])
    r = emerging(str(scored), "--store", str(store))
    assert r.exit_code == 7 and "Traceback" not in r.output and isinstance(r.exception, SystemExit)
    assert f"error: {store} is a damaged issue store (IO Error" in r.output
    assert store.read_bytes() == data[: len(data) // 2]


def _store_counts(store: Path) -> tuple[object, ...]:
    with duckdb.connect(str(store), read_only=True) as con:
        return tuple(con.execute(f"select count(*) from {t}").fetchone() for t in
                     ("runs", "evaluations", "issue_windows", "issues"))


def _left_beside(out: Path) -> list[str]:
    """Files a run left in the output's folder under its name (the output, its temporary files)."""
    return sorted(p.name for p in out.parent.iterdir() if out.name in p.name)


def test_a_run_whose_output_fails_records_nothing(scored: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Recording and writing the output are all or nothing: a write failing half-way records nothing."""
    import koubei.detect.run as run_module
    from koubei.errors import OutputError

    store = tmp_path / "k.duckdb"
    run_emerging(scored, store=store, novel=False, windows=["2026-W35"])
    before = _store_counts(store)

    def full_disk(*args: object, **kwargs: object) -> object:
        def write(tmp: Path) -> None:
            tmp.write_text("issue_id,topic\nKB-半行", encoding="utf-8")  # half a table, then the disk is full
            raise OutputError("cannot write issues.csv: no space left on device")
        return write

    monkeypatch.setattr(run_module, "table_writer", full_disk)
    out = tmp_path / "issues.csv"
    r = emerging(str(scored), "--store", str(store), "-o", str(out))
    assert r.exit_code == 3 and "no space left" in r.output and "Traceback" not in r.output
    assert _store_counts(store) == before
    assert _left_beside(out) == []  # neither the output nor its temporary file


class _CommitFails:
    """A DuckDB connection whose commit fails (a full disk at the last moment); the rest is the real one."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con

    def __getattr__(self, name: str) -> object:
        return getattr(self._con, name)

    def commit(self) -> None:
        raise duckdb.IOException("Could not write file: No space left on device")


@pytest.mark.parametrize("existing", [None, "issue_id\nKB-上一次的结果\n"])
def test_a_failed_commit_leaves_no_output_and_the_store_as_it_was(
        scored: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, existing: str | None) -> None:
    """The output is moved in place only after the store committed: a failed commit leaves neither."""
    import koubei.store.history as history

    store, out = tmp_path / "k.duckdb", tmp_path / "issues.csv"
    run_emerging(scored, store=store, novel=False, windows=["2026-W35"])
    before = _store_counts(store)
    if existing is not None:
        out.write_text(existing, encoding="utf-8")
    connect = history._connect
    monkeypatch.setattr(history, "_connect",
                        lambda path, read_only=False: _CommitFails(connect(path, read_only)))
    r = emerging(str(scored), "--store", str(store), "-o", str(out), "--overwrite")
    assert r.exit_code == 7 and "Traceback" not in r.output and isinstance(r.exception, SystemExit)
    [line] = [x for x in r.output.splitlines() if x.startswith("error: ")]
    assert line.startswith(f"error: cannot write to issue store {store}: Could not write file") and \
        "nothing was recorded" in line
    assert "wrote" not in r.output
    monkeypatch.undo()
    assert _store_counts(store) == before
    if existing is None:
        assert _left_beside(out) == []
    else:
        assert _left_beside(out) == [out.name] and out.read_text(encoding="utf-8") == existing
    # the same run, once the store can commit: both written
    r = emerging(str(scored), "--store", str(store), "-o", str(out), "--overwrite")
    assert r.exit_code == 0, r.output
    assert _store_counts(store)[0] == (2,) and _left_beside(out) == [out.name]
    assert pd.read_csv(out, encoding="utf-8-sig")["status"].tolist() == ["new"]


def test_unparseable_times_are_reported(tmp_path: Path) -> None:
    df = bland_wave()
    df.loc[:2, "time"] = pd.NaT
    path = tmp_path / "s.parquet"
    df.to_parquet(path)
    r = emerging(str(path))
    assert r.exit_code == 0
    assert "without a parseable time, left out: 3 (e.g. r000000, r000001, r000002)" in r.output


def test_a_window_without_reviews_says_so(tmp_path: Path) -> None:
    df = bland_wave()
    gap = df["time"].between(MONDAY + pd.Timedelta(days=35), MONDAY + pd.Timedelta(days=42), inclusive="left")
    path = tmp_path / "gap.parquet"
    df[~gap].to_parquet(path)
    r = emerging(str(path), "--window", "2026-W28")
    assert r.exit_code == 0, r.output
    assert "key-windows tested: 0" in r.output and "no countable reviews in the evaluated window" in r.output
    assert "issues: 0" in r.output


def test_csv_issue_table_defuses_a_formula_cell_label_unless_raw(tmp_path: Path) -> None:
    hostile = '=HYPERLINK("http://evil.example/","乙食品厂")'
    path = tmp_path / "scored.parquet"
    wave = bland_wave()
    wave["supplier"] = wave["supplier"].replace("乙食品厂", hostile)
    wave.to_parquet(path)
    out, raw = tmp_path / "issues.csv", tmp_path / "raw.csv"
    r = emerging(str(path), "--by", "supplier,product", "-o", str(out), "-q")
    assert r.exit_code == 0, r.output
    labels = pd.read_csv(out, encoding="utf-8-sig")["cell_label"].tolist()
    assert labels == ["'" + hostile + " / 原味瓜子"]
    r = emerging(str(path), "--by", "supplier,product", "-o", str(raw), "-q", "--raw")
    assert r.exit_code == 0, r.output
    assert pd.read_csv(raw, encoding="utf-8-sig")["cell_label"].tolist() == [hostile + " / 原味瓜子"]
