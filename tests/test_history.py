"""The issue-history store (DuckDB) and ``koubei issues list|mute|unmute``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from koubei.cli import app
from koubei.errors import NotFoundError, StoreError
from koubei.schema import ISSUE_COLUMNS
from koubei.store.history import IssueStore, open_store
from koubei.store.state import walk_states

TZ = "Asia/Shanghai"
WEEKS = {f"2026-W{n}": pd.Timestamp("2026-11-09", tz=TZ) + pd.Timedelta(weeks=n - 46) for n in range(46, 52)}
BLAND = "KB-1a2b3c4d5e"   # 口味 偏淡 at 乙食品厂 / 原味瓜子
LATE = "KB-9f8e7d6c5b"    # 物流配送 at 全部
runner = CliRunner()


def issue(issue_id: str, window: str, *, severity: float = 60.0, count: int = 12) -> dict[str, object]:
    """One issue-table row, as ``koubei emerging`` writes it."""
    bland = issue_id == BLAND
    cell = {"supplier": "乙食品厂", "product": "原味瓜子"} if bland else {}
    return dict(
        issue_id=issue_id, topic="taste" if bland else "delivery_logistics",
        topic_zh="口味" if bland else "物流配送", direction="too_bland" if bland else "",
        dimension="product" if bland else "responsiveness", level="supplier,product" if bland else "",
        cell=json.dumps(cell, ensure_ascii=False), cell_label="乙食品厂 / 原味瓜子" if bland else "全部",
        freq="W", window=window, window_start=WEEKS[window],
        count=count, total=100, rate=count / 100, baseline_rate=0.03, expected=3.0, lift=count / 3.0,
        test="spike", p_value=1e-4, q_value=2e-3, severity=severity, first_window=window,
        trend=json.dumps([{"window": window, "count": count, "total": 100}]), trace="[]",
        summary=f"口味 偏淡 too_bland: {count} 条" if bland else f"物流配送: {count} 条",
        quotes=json.dumps(["味道太淡了，没什么味"], ensure_ascii=False), review_ids=json.dumps(["r1", "r2"]),
    )


def frame(*rows: dict[str, object]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(ISSUE_COLUMNS))


def run(store: IssueStore, windows: list[str], *rows: dict[str, object]) -> pd.DataFrame:
    """Record one weekly run that evaluated ``windows`` and flagged ``rows``."""
    return store.record(frame(*rows), freq="W", evaluated_windows=[(w, WEEKS[w]) for w in windows])


def status_of(store: IssueStore, issue_id: str) -> str:
    df = store.list()
    return str(df.loc[df["issue_id"] == issue_id, "status"].iloc[0])


def counts(store: IssueStore) -> dict[str, int]:
    con = store._con
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
            for t in ("evaluations", "issue_windows", "issues")}


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    with open_store(tmp_path / "koubei.duckdb") as s:
        yield s


def test_walk_states() -> None:
    weeks = ["w1", "w2", "w3", "w4", "w5", "w6"]
    assert walk_states(weeks, {"w1", "w2"}, 2) == ({"w1": "new", "w2": "ongoing"}, "resolved")
    assert walk_states(weeks, {"w1", "w3"}, 2) == ({"w1": "new", "w3": "ongoing"}, "resolved")
    assert walk_states(weeks, {"w1", "w4"}, 2) == ({"w1": "new", "w4": "new"}, "resolved")
    assert walk_states(weeks, {"w5"}, 2) == ({"w5": "new"}, "new")
    assert walk_states(weeks, set(), 2) == ({}, "")


def test_new_ongoing_resolved_and_new_again(store: IssueStore) -> None:
    assert run(store, ["2026-W46"], issue(BLAND, "2026-W46"))["status"].tolist() == ["new"]
    assert run(store, ["2026-W47"], issue(BLAND, "2026-W47"), issue(LATE, "2026-W47"))["status"].tolist() == [
        "ongoing", "new"]
    run(store, ["2026-W48"])
    assert status_of(store, BLAND) == "ongoing"          # one clean window is not enough
    run(store, ["2026-W49"])
    assert status_of(store, BLAND) == "resolved"
    assert status_of(store, LATE) == "resolved"
    assert run(store, ["2026-W50"], issue(BLAND, "2026-W50"))["status"].tolist() == ["new"]
    row = store.list(status="new").iloc[0]
    assert (row["issue_id"], row["first_seen"], row["last_seen"], row["times_flagged"]) == (
        BLAND, "2026-W46", "2026-W50", 3)
    assert (row["topic_zh"], row["cell_label"], row["window"]) == ("口味", "乙食品厂 / 原味瓜子", "2026-W50")
    assert row["window_start"] == WEEKS["2026-W50"] and str(row["window_start"].tz) == TZ
    hist = store.history(BLAND)
    assert hist["window"].tolist() == ["2026-W46", "2026-W47", "2026-W50"]
    assert hist["status"].tolist() == ["new", "ongoing", "new"]


def test_list_sorted_by_status_then_severity(store: IssueStore) -> None:
    run(store, ["2026-W46"], issue(LATE, "2026-W46", severity=90.0))
    run(store, ["2026-W47"], issue(BLAND, "2026-W47", severity=40.0), issue(LATE, "2026-W47", severity=95.0))
    df = store.list()
    assert df[["issue_id", "status"]].values.tolist() == [[BLAND, "new"], [LATE, "ongoing"]]
    assert df.loc[1, "severity"] == 95.0 and df.loc[1, "summary"] == "物流配送: 12 条"
    assert json.loads(df.loc[0, "quotes"]) == ["味道太淡了，没什么味"]
    assert store.list(status="resolved").empty
    assert store.list(freq="D").empty
    assert len(store.list(freq="W")) == 2


def test_muted_stays_muted_until_unmuted(store: IssueStore) -> None:
    run(store, ["2026-W46"], issue(BLAND, "2026-W46"))
    store.mute(BLAND, reason="供应商已换配方")
    assert run(store, ["2026-W47"], issue(BLAND, "2026-W47"))["status"].tolist() == ["muted"]
    row = store.list().iloc[0]
    assert (row["status"], row["mute_reason"]) == ("muted", "供应商已换配方")
    assert row["muted_at"] is not pd.NaT
    run(store, ["2026-W48", "2026-W49"])
    assert status_of(store, BLAND) == "muted"
    assert store.unmute(BLAND) == "resolved"
    assert status_of(store, BLAND) == "resolved"
    assert pd.isna(store.list().loc[0, "mute_reason"])


def test_recording_twice_changes_nothing(store: IssueStore) -> None:
    run(store, ["2026-W46"], issue(BLAND, "2026-W46"))
    first = run(store, ["2026-W47"], issue(BLAND, "2026-W47"), issue(LATE, "2026-W47"))
    before, rows = store.list(), counts(store)
    again = run(store, ["2026-W47"], issue(BLAND, "2026-W47"), issue(LATE, "2026-W47"))
    pd.testing.assert_frame_equal(store.list(), before)
    pd.testing.assert_frame_equal(again, first)
    assert counts(store) == rows == {"evaluations": 2, "issue_windows": 3, "issues": 2}
    assert store._con.execute("SELECT count(*) FROM runs").fetchone() == (3,)


def test_rerun_of_a_window_replaces_its_flags(store: IssueStore) -> None:
    run(store, ["2026-W46"], issue(BLAND, "2026-W46"), issue(LATE, "2026-W46"))
    run(store, ["2026-W46"], issue(BLAND, "2026-W46", count=15))
    df = store.list()
    assert df["issue_id"].tolist() == [BLAND] and df.loc[0, "count"] == 15
    assert counts(store)["issue_windows"] == 1


def test_rerun_with_levels_keeps_other_groupings(store: IssueStore) -> None:
    run(store, ["2026-W46"], issue(BLAND, "2026-W46"), issue(LATE, "2026-W46"))
    store.record(frame(), freq="W", evaluated_windows=[("2026-W46", WEEKS["2026-W46"])],
                 levels=["supplier,product"], fingerprint="sha256:abc")
    assert store.list()["issue_id"].tolist() == [LATE]
    assert store._con.execute("SELECT levels, fingerprint FROM runs WHERE run_id = 2").fetchone() == (
        '["supplier,product"]', "sha256:abc")


def test_json_columns_given_as_objects_are_stored_as_text(tmp_path: Path) -> None:
    objects = {"quotes": ["太淡了"], "cell": {"supplier": "乙食品厂"}, "direction": None}
    row = issue(BLAND, "2026-W46") | objects
    with open_store(tmp_path / "koubei.duckdb") as s:
        run(s, ["2026-W46"], row)
        got = s.list().iloc[0]
    assert (got["quotes"], got["cell"]) == ('["太淡了"]', '{"supplier": "乙食品厂"}')
    res = cli("issues", "list", "--store", tmp_path / "koubei.duckdb")   # a NULL direction renders as "-"
    assert res.exit_code == 0 and "│ -  " in res.output, res.output


def test_out_of_order_recording_gives_the_same_states(tmp_path: Path) -> None:
    runs = [(["2026-W46"], [issue(BLAND, "2026-W46")]), (["2026-W47"], [issue(BLAND, "2026-W47")]),
            (["2026-W48"], [issue(LATE, "2026-W48")]), (["2026-W49"], []), (["2026-W50"], [])]
    lists = []
    for name, order in (("in_order", runs), ("shuffled", [runs[3], runs[1], runs[4], runs[0], runs[2]])):
        with open_store(tmp_path / f"{name}.duckdb") as s:
            for windows, rows in order:
                run(s, windows, *rows)
            lists.append(s.list())
            assert s.history(BLAND)["status"].tolist() == ["new", "ongoing"]
    pd.testing.assert_frame_equal(lists[0], lists[1])
    assert lists[0][["issue_id", "status"]].values.tolist() == [[BLAND, "resolved"], [LATE, "resolved"]]


def test_one_run_over_several_windows(store: IssueStore) -> None:
    """Every row of an issue carries its state now; the state in each window is history()'s."""
    out = run(store, ["2026-W46", "2026-W47", "2026-W48"], issue(BLAND, "2026-W46"), issue(BLAND, "2026-W48"))
    assert out["status"].tolist() == ["ongoing", "ongoing"] == store.list()["status"].tolist()[:1] * 2
    assert out["first_window"].tolist() == ["2026-W46", "2026-W46"]
    assert store.history(BLAND)["status"].tolist() == ["new", "ongoing"]


def test_first_window_is_the_current_episodes(store: IssueStore) -> None:
    """A flag after a resolution starts a new episode: its first window is not the old one's."""
    early = issue(BLAND, "2026-W47") | {"first_window": "2026-W46"}
    run(store, ["2026-W46", "2026-W47", "2026-W48", "2026-W49"], early)
    assert store.list()[["status", "first_window"]].values.tolist() == [["resolved", "2026-W46"]]
    out = run(store, ["2026-W50", "2026-W51"], issue(BLAND, "2026-W50"), issue(BLAND, "2026-W51"))
    assert out[["status", "first_window"]].values.tolist() == [["ongoing", "2026-W50"]] * 2
    assert store.list()[["status", "first_window"]].values.tolist() == [["ongoing", "2026-W50"]]


def _one_run_recorded(store: IssueStore) -> tuple[pd.DataFrame, object]:
    """Record a first run; returns what the store must still hold after a failed second one."""
    run(store, ["2026-W46"], issue(BLAND, "2026-W46"))
    return store.list(), counts(store)


def _still_as_before(store: IssueStore, before: pd.DataFrame, rows: object) -> None:
    pd.testing.assert_frame_equal(store.list(), before)
    assert counts(store) == rows
    assert store._con.execute("SELECT count(*) FROM runs").fetchone() == (1,)


def _fails_with(exc: Exception) -> object:
    def broken(*args: object) -> None:
        raise exc
    return broken


def test_failed_write_leaves_the_store_as_before(store: IssueStore, monkeypatch: pytest.MonkeyPatch) -> None:
    before, rows = _one_run_recorded(store)
    monkeypatch.setattr(IssueStore, "_replace_flags", _fails_with(duckdb.IOException("disk full")))
    with pytest.raises(StoreError, match="nothing was recorded"):
        run(store, ["2026-W47"], issue(BLAND, "2026-W47"))
    _still_as_before(store, before, rows)


def test_a_failure_after_the_writes_records_nothing(store: IssueStore,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The statuses are read in the same transaction: failing there commits no run row either."""
    before, rows = _one_run_recorded(store)
    missing = duckdb.BinderException('Referenced column "muted" not found')
    monkeypatch.setattr(IssueStore, "_issue_states", _fails_with(missing))
    with pytest.raises(StoreError, match="nothing was recorded"):
        run(store, ["2026-W47"], issue(BLAND, "2026-W47"))
    monkeypatch.setattr(IssueStore, "_issue_states", lambda *a: [][0])  # not a DuckDB error: rolled back too
    with pytest.raises(IndexError):
        run(store, ["2026-W47"], issue(BLAND, "2026-W47"))
    monkeypatch.undo()
    _still_as_before(store, before, rows)


def test_a_transaction_keeps_other_work_with_the_record(store: IssueStore) -> None:
    """What fails inside ``transaction()`` after ``record`` takes the record back with it."""
    with pytest.raises(OSError, match="output"), store.transaction():
        run(store, ["2026-W46"], issue(BLAND, "2026-W46"))
        raise OSError("output cannot be written")
    assert counts(store) == {"evaluations": 0, "issue_windows": 0, "issues": 0}
    with store.transaction():
        run(store, ["2026-W46"], issue(BLAND, "2026-W46"))
    assert counts(store) == {"evaluations": 1, "issue_windows": 1, "issues": 1}


DAMAGES = {
    "issues lost a column": ('ALTER TABLE issues DROP COLUMN muted', r"table issues: lacks column muted"),
    "metrics lost a column": ('ALTER TABLE issue_windows DROP COLUMN severity',
                              r"table issue_windows: lacks column severity"),
    "meta lost a column": ("ALTER TABLE meta DROP COLUMN value", r"table meta: lacks column value"),
    "a column of another type": ("ALTER TABLE runs ALTER n_issues TYPE VARCHAR",
                                 r"table runs: column n_issues is VARCHAR, not BIGINT"),
    "an extra column": ("ALTER TABLE evaluations ADD COLUMN note VARCHAR",
                        r"table evaluations: has unknown column note"),
    "a table missing": ("DROP TABLE evaluations", r"no table evaluations"),
    "a view for a table": ("DROP TABLE runs; CREATE VIEW runs AS SELECT 1 AS run_id",
                           r"runs is a view, not a table"),
}


def damage(path: Path, sql: str) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute(sql)


@pytest.mark.parametrize("sql, problem", DAMAGES.values(), ids=DAMAGES.keys())
def test_a_damaged_schema_is_refused_before_anything_is_written(tmp_path: Path, sql: str,
                                                                problem: str) -> None:
    path = tmp_path / "koubei.duckdb"
    with open_store(path) as s:
        run(s, ["2026-W46"], issue(BLAND, "2026-W46"))
    damage(path, sql)
    before = path.read_bytes()
    for opened in (lambda: open_store(path), lambda: open_store(path, create=False),
                   lambda: open_store(path, read_only=True)):
        with pytest.raises(StoreError, match=rf"koubei.duckdb is a damaged issue store \({problem}.*\); "
                                             "restore it from a backup, or give another --store file"):
            opened()
    assert path.read_bytes() == before


def cut_in_half(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def test_a_store_cut_short_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "koubei.duckdb"
    with open_store(path) as s:
        run(s, ["2026-W46"], issue(BLAND, "2026-W46"))
    cut_in_half(path)
    damaged = r"koubei.duckdb is a damaged issue store \(IO Error: [^\n]*\); restore"
    with pytest.raises(StoreError, match=damaged), open_store(path, create=False) as s:
        s.list()


def test_bad_issue_table_is_refused(store: IssueStore) -> None:
    with pytest.raises(ValueError, match="lacks columns: severity"):
        store.record(frame(issue(BLAND, "2026-W46")).drop(columns="severity"), freq="W", evaluated_windows=[])
    with pytest.raises(ValueError, match="freq must be one of"):
        store.record(frame(), freq="Q", evaluated_windows=[])


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "koubei.duckdb"
    open_store(path).close()
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match=r"koubei.duckdb was written by a newer koubei .*99.*upgrade koubei"):
        open_store(path)


def test_not_a_duckdb_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "issues.csv"
    path.write_text("issue_id,status\nKB-1a2b3c4d5e,new\n", encoding="utf-8")
    with pytest.raises(StoreError, match=r"issues.csv is not an issue store \(not a DuckDB database\)"):
        open_store(path)


def test_other_duckdb_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE sales (x INTEGER)")
    with pytest.raises(StoreError, match="not a koubei issue store"):
        open_store(path)


def test_locked_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "koubei.duckdb"
    open_store(path).close()
    code = f"import duckdb, sys; c=duckdb.connect({str(path)!r}); print('held',flush=True);sys.stdin.read()"
    pipe = subprocess.PIPE
    holder = subprocess.Popen([sys.executable, "-c", code], stdin=pipe, stdout=pipe, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreError, match="is locked by another process"):
            open_store(path)
    finally:
        holder.communicate("")


def test_missing_store_without_create(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"no issue store at .*run `koubei emerging --store"):
        open_store(tmp_path / "none.duckdb", create=False)
    assert not (tmp_path / "none.duckdb").exists()


def test_unknown_issue_id_lists_close_ids(store: IssueStore) -> None:
    """Not found is the user's input (exit 2), not a damaged store (exit 7)."""
    run(store, ["2026-W46"], issue(BLAND, "2026-W46"))
    with pytest.raises(NotFoundError, match=f"no issue KB-1a2b3c4d5f .*did you mean {BLAND}"):
        store.mute("KB-1a2b3c4d5f")
    with pytest.raises(NotFoundError, match="`koubei issues list --store .*koubei.duckdb` lists the ids"):
        store.unmute("nothing-like-it")
    with pytest.raises(NotFoundError, match="no issue"):
        store.history("KB-0000000000")
    assert NotFoundError.exit_code == 2 and not issubclass(NotFoundError, StoreError)


def test_reopened_store_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "koubei.duckdb"
    with open_store(path) as s:
        run(s, ["2026-W46"], issue(BLAND, "2026-W46"))
        s.mute(BLAND, reason="已知")
        before = s.list()
    with open_store(path) as s:
        pd.testing.assert_frame_equal(s.list(), before)


# -- CLI -----------------------------------------------------------------------------------


def cli(*args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    path = tmp_path / "koubei.duckdb"
    with open_store(path) as s:
        run(s, ["2026-W46"], issue(BLAND, "2026-W46"))
        run(s, ["2026-W47"], issue(BLAND, "2026-W47"), issue(LATE, "2026-W47", severity=80.0))
    return path


def test_cli_list(store_file: Path) -> None:
    res = cli("issues", "list", "--store", store_file)
    assert res.exit_code == 0, res.output
    for text in (BLAND, LATE, "ongoing", "口味", "too_bland", "乙食品厂 / 原味瓜子", "2026-W47", "4.0×"):
        assert text in res.output, text
    assert res.output.index(LATE) < res.output.index(BLAND)     # new before ongoing
    assert "2 issues: new 1, ongoing 1" in res.output
    res = cli("issues", "list", "--store", store_file, "--status", "new", "--freq", "W")
    assert res.exit_code == 0 and LATE in res.output and BLAND not in res.output
    res = cli("issues", "list", "--store", store_file, "--status", "resolved")
    assert res.exit_code == 0 and "no resolved issues" in res.output


def test_cli_mute_unmute(store_file: Path) -> None:
    res = cli("issues", "mute", BLAND, "--store", store_file, "--reason", "配方已调整")
    assert res.exit_code == 0 and f"muted {BLAND}" in res.output
    assert BLAND in cli("issues", "list", "--store", store_file, "--status", "muted").output
    res = cli("issues", "unmute", BLAND, "--store", store_file)
    assert res.exit_code == 0 and f"unmuted {BLAND}: ongoing" in res.output
    with open_store(store_file) as s:
        assert status_of(s, BLAND) == "ongoing"


def test_cli_errors(store_file: Path, tmp_path: Path) -> None:
    res = cli("issues", "list", "--store", tmp_path / "missing.duckdb")
    assert res.exit_code == 7
    assert "run `koubei emerging --store" in res.output and "Traceback" not in res.output
    res = cli("issues", "mute", "KB-1a2b3c4d5f", "--store", store_file)
    assert res.exit_code == 2 and f"did you mean {BLAND}" in res.output
    assert f"`koubei issues list --store {store_file}` lists the ids" in res.output
    assert cli("issues", "unmute", "KB-0000000000", "--store", store_file).exit_code == 2
    assert cli("issues", "unmute", BLAND, "--store", tmp_path / "missing.duckdb").exit_code == 7


def assert_one_line_error(res, code: int, *needles: str) -> None:  # type: ignore[no-untyped-def]
    """Exit ``code``, one ``error:`` line holding every needle, and no traceback."""
    assert res.exit_code == code, res.output
    assert isinstance(res.exception, SystemExit), res.exception
    assert "Traceback" not in res.output
    errors = [line for line in res.output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and res.output.strip().splitlines()[-1] == errors[0], res.output
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])


@pytest.mark.parametrize("how", ["schema", "cut"])
def test_cli_damaged_store_is_one_line_exit_7(store_file: Path, how: str) -> None:
    if how == "schema":
        damage(store_file, "ALTER TABLE issues DROP COLUMN muted")
    else:
        cut_in_half(store_file)
    before = store_file.read_bytes()
    for args in (["list"], ["mute", BLAND], ["unmute", BLAND]):
        res = cli("issues", *args, "--store", store_file)
        assert_one_line_error(res, 7, str(store_file), "damaged issue store", "restore it from a backup")
    assert store_file.read_bytes() == before
