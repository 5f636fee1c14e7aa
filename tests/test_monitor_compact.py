"""``koubei run --compact`` and ``[history] compact_at``: small parts merged, rows and order unchanged,
and a kill -9 at any step of a merge leaves every review readable exactly once."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from koubei.aggregate.scored import load_scored
from koubei.cli import app
from koubei.monitor import load_config, run_once
from koubei.monitor.compact import groups, part_numbers
from koubei.monitor.state import open_state
from koubei.resources import corpora_path

CONFIG = """
[input]
path = "feed"
columns = {{ text = "评论内容", id = "评论ID", time = "评论时间" }}
settle_seconds = 0
[model]
chunksize = 500
workers = 1
[detect]
by = ["supplier", "product"]
novel = false
[history]
compact_rows = 1000
{extra}
[outputs]
issues = ["issues.csv"]
"""
ROWS = 2224  # the demo's reviews up to 2026-W47


def demo_until(end: str) -> pd.DataFrame:
    df = pd.read_csv(corpora_path("demo", "snack_reviews.csv"), dtype=str, keep_default_na=False)
    return df[pd.to_datetime(df["评论时间"]) < end]


def monitor(folder: Path, extra: str = "") -> Path:
    (folder / "feed").mkdir(parents=True)
    (folder / "monitor.toml").write_text(CONFIG.format(extra=extra), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def five_parts(tmp_path_factory: pytest.TempPathFactory, default_model: Any) -> Path:
    """A history of 2,224 reviews in five parts (chunksize 500), as five hourly runs would leave."""
    folder = monitor(tmp_path_factory.mktemp("compact") / "m")
    demo_until("2026-11-23").to_csv(folder / "feed" / "a.csv", index=False)
    r = run_once(load_config(folder / "monitor.toml"), model=default_model)
    assert r.ingest.parts == [f"part-{i:05d}.parquet" for i in range(5)] and r.compacted == []
    return folder


@pytest.fixture
def mon(five_parts: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(five_parts, tmp_path / "m"))


def manifest(hist: Path) -> tuple[list[tuple[str, int, str]], tuple[int, int], dict[str, int]]:
    with open_state(hist / "_monitor.duckdb") as st:
        parts = [(str(p), int(n), str(s)) for p, n, s in
                 st.execute("SELECT part, rows, state FROM history_parts ORDER BY part")]
        keys = st.execute("SELECT count(*), count(DISTINCT row_key) FROM history_rows")[0]
        per_part = dict(st.execute("SELECT part, count(*) FROM history_rows GROUP BY part"))
        versions = (st.version("history_version"), st.version("detected_version"))
        assert st.meta("compacting") is None
    assert versions[0] == versions[1] > 0
    return parts, (int(keys[0]), int(keys[1])), {str(k): int(v) for k, v in per_part.items()}


def assert_consistent(hist: Path, before: pd.DataFrame) -> None:
    """Each review once, in the order it had, the manifest agreeing with the files."""
    parts, keys, per_part = manifest(hist)
    assert [p.name for p in sorted(hist.glob("part-*.parquet"))] == [p for p, _, _ in parts]
    assert all(s == "committed" for _, _, s in parts) and keys == (ROWS, ROWS)
    assert per_part == {p: n for p, n, _ in parts}
    assert not list(hist.glob(".*.tmp")) and not (hist / "_COMPACTING").exists()
    pd.testing.assert_frame_equal(load_scored(hist), before)


def test_groups_merge_consecutive_parts_up_to_the_row_limit() -> None:
    parts = [("part-00000.parquet", 900), ("part-00001.parquet", 50), ("part-00002.parquet", 60),
             ("part-00003.parquet", 2000), ("part-00004.parquet", 10), ("part-00005.parquet", 20)]
    # 900 + 50 fit in 1000, + 60 does not; 2000 stands alone (more than the limit by itself)
    assert groups(parts, 1000) == [["part-00000.parquet", "part-00001.parquet"],
                                   ["part-00004.parquet", "part-00005.parquet"]]
    assert groups(parts[:1], 1000) == []
    assert part_numbers("part-00004-00017.parquet") == (4, 17)
    assert part_numbers("part-00004.parquet") == (4, 4)
    assert part_numbers("_SUCCESS") is None


def test_compact_merges_small_parts_keeping_rows_order_and_issues(mon: Path, default_model: Any) -> None:
    hist = mon / "koubei-history"
    before = load_scored(hist)
    issues = (mon / "issues.csv").read_bytes()
    r = run_once(load_config(mon / "monitor.toml"), model=default_model, compact=True)
    assert [(t, len(s)) for t, s in r.compacted] == [("part-00000-00001.parquet", 2),
                                                     ("part-00002-00003.parquet", 2)]
    assert r.ingest.history_parts == 3 and not r.detect.ran  # same rows: nothing to detect again
    assert_consistent(hist, before)
    assert (mon / "issues.csv").read_bytes() == issues
    success = (hist / "_SUCCESS").read_text(encoding="utf-8")
    assert '"partitions": 3' in success and f'"rows": {ROWS}' in success
    # the next new rows get a part numbered after the merged ones, sorted last
    pd.concat([demo_until("2026-11-30")]).to_csv(mon / "feed" / "a.csv", index=False)
    r = run_once(load_config(mon / "monitor.toml"), model=default_model)
    assert r.ingest.parts == ["part-00005.parquet"] and r.ingest.new_rows == 186
    # compacting again: the 1000-row parts are full, the last two (224 + 186 rows) merge
    r = run_once(load_config(mon / "monitor.toml"), model=default_model, compact=True)
    assert [t for t, _ in r.compacted] == ["part-00004-00005.parquet"]
    assert load_scored(hist)["review_id"].is_unique and len(load_scored(hist)) == ROWS + 186


def test_compact_at_merges_without_being_asked_once_there_are_more_parts(
        five_parts: Path, tmp_path: Path, default_model: Any) -> None:
    mon = Path(shutil.copytree(five_parts, tmp_path / "m"))
    cfg = (mon / "monitor.toml").read_text(encoding="utf-8")
    config = mon / "monitor.toml"
    config.write_text(cfg.replace("[history]", "[history]\ncompact_at = 5"), encoding="utf-8")
    assert run_once(load_config(config), model=default_model).compacted == []  # 5 parts: not more
    config.write_text(cfg.replace("[history]", "[history]\ncompact_at = 4"), encoding="utf-8")
    r = run_once(load_config(mon / "monitor.toml"), model=default_model)
    assert len(r.compacted) == 2 and r.ingest.history_parts == 3


def test_cli_run_compact_says_what_it_merged(mon: Path) -> None:
    res = CliRunner().invoke(app, ["run", str(mon / "monitor.toml"), "--compact", "-q"])
    assert res.exit_code == 0, res.output
    assert "compacted: 4 parts merged into part-00000-00001.parquet, part-00002-00003.parquet" in res.output


# -- kill -9 at each step of a merge ---------------------------------------------------------

KILLER = """
import os, re, signal, sys
sys.path.insert(0, sys.argv[3])
point = sys.argv[2]

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

import koubei.monitor.compact as c
if point == "before_rename":          # merged file written, recorded, marker written; not renamed
    import koubei.io.writers as w
    replace = os.replace
    def guarded(src, dst, *a, **k):
        if re.fullmatch(r"part-\\d+-\\d+\\.parquet", os.path.basename(str(dst))):
            die()
        return replace(src, dst, *a, **k)
    w.os.replace = guarded
else:                                  # after the rename (1), after the sources are deleted (2)
    calls = [0]
    sync = c.fsync_dir
    def counted(folder):
        calls[0] += 1
        if calls[0] == int(point):
            die()
        sync(folder)
    c.fsync_dir = counted
from koubei.monitor import load_config, run_once
run_once(load_config(sys.argv[1]), compact=True)
"""


@pytest.mark.parametrize("point", ["1", pytest.param("before_rename", marks=pytest.mark.slow),
                                   pytest.param("2", marks=pytest.mark.slow)])
def test_kill_9_mid_merge_leaves_each_review_once_then_the_next_run_finishes(
        mon: Path, tmp_path: Path, default_model: Any, point: str) -> None:
    import koubei

    hist = mon / "koubei-history"
    before = load_scored(hist)
    script = tmp_path / "killer.py"
    script.write_text(KILLER, encoding="utf-8")
    src = str(Path(koubei.__file__).parents[1])
    done = subprocess.run([sys.executable, str(script), str(mon / "monitor.toml"), point, src],
                          env={**os.environ, "PYTHONPATH": src}, capture_output=True, text=True, timeout=300)
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    assert (hist / "_COMPACTING").exists()
    # before any recovery, a reader sees each review once: the sources or the merged part
    pd.testing.assert_frame_equal(load_scored(hist), before)
    r = run_once(load_config(mon / "monitor.toml"), model=default_model)
    merged = "merged" if point != "before_rename" else "left as they were"
    assert any(merged in n for n in r.ingest.recovered), r.ingest.recovered
    assert r.ingest.new_rows == 0 and not r.detect.ran
    assert_consistent(hist, before)
    assert (point == "before_rename") == ("part-00000.parquet" in {p.name for p in hist.iterdir()})
