"""``koubei emerging --engine dask``: a Parquet dataset detected part by part equals one pass.

The additive halves are tested without Dask (counts and evidence of chunks
added up = those of the whole frame); the engine on a LocalCluster of 2 worker
processes over a generated multi-part dataset with planted issues (a taste
wave traced to a batch, a slow drift, a new kind of complaint) and over the
demo dump scored with ``koubei score --engine dask``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from collections.abc import Sequence
from functools import reduce
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scored_frames import MONDAY, frame, review, weekly
from typer.testing import CliRunner

from koubei.aggregate import load_scored
from koubei.aggregate.windows import Freq
from koubei.cli import app
from koubei.detect.counts import EmergingCounts, count_scored
from koubei.detect.emerging import EmergingResult, detect_emerging
from koubei.detect.evidence import Evidence, IssueRequest, gather_evidence, novel_rows
from koubei.detect.keys import Key
from koubei.detect.run import EmergingRun, fingerprint, run_emerging
from koubei.detect.source import FrameRows
from koubei.errors import ColumnError, EngineError, InputError, InputFormatError
from koubei.resources import corpora_path

HAS_DASK = importlib.util.find_spec("distributed") is not None
needs_dask = pytest.mark.skipif(not HAS_DASK, reason='dask is not installed: pip install "koubei[dask]"')
DEMO = corpora_path("demo/snack_reviews.csv")
#: where the planted frame is cut into parts (unequal; every part holds many weeks)
CUTS = (0, 150, 700, 720, 1500)
#: rows of the planted frame without a time (in three parts)
NO_TIME = (7, 300, 1234)
runner = CliRunner()

# a complaint no topic covers, all in the last week, and a steady one in every week
POINTS = [
    "下单说好返积分，到现在积分还没到账，差评", "会员积分一直没到账，问了也没人管",
    "买了三次了积分一次都没到账，太坑了", "说好的消费送积分，积分根本没到账",
    "积分没到账，会员等级也没升，很失望", "确认收货一周了，积分还是没到账",
    "承诺的双倍积分没到账，骗人的吧", "积分到账了才一半，剩下的积分一直没到账",
    "每次买完积分都不到账，会员有什么用", "积分迟迟不到账，客服说系统问题，等了半个月",
    "会员积分没到账，兑换不了东西，气死了", "积分没有到账，活动页面写的返积分都是假的",
]
ROBOT = [
    "智能客服机器人答非所问，根本转不了人工", "机器人客服一直答非所问，找不到人工客服",
    "问了半天机器人客服，全是答非所问的自动回复", "客服是机器人，答非所问，人工一直排不上",
    "自动回复的机器人答非所问，浪费时间", "机器人答非所问，转人工转了十次都没转过去",
]
OTHERS = [
    "味道太咸了，根本吃不下去", "菜都凉了，送了两个小时才到", "包装破了，汤洒了一袋子",
    "分量太少了，一个人都吃不饱", "价格太贵了，完全不值这个钱", "快递太慢了，一个星期才到",
    "收到的是假货，和专柜的完全不一样", "申请退款三天了都没人处理",
]


def _uncovered(i: int, when: pd.Timestamp, text: str, **cell: str) -> dict[str, object]:
    """Negative overall and no topic negative: a new kind of complaint."""
    return {**review(i, when, text=text, **cell), "sentiment": "neg"}


def planted() -> pd.DataFrame:
    """13 weeks of three suppliers; in week 13 a too-bland wave from batch B2611-02 (with phone
    numbers to mask), a freshness drift at 丙农产 over weeks 11-13, and 12 loyalty-points complaints;
    some rows without a time, two duplicates, some batches missing."""
    last = MONDAY + pd.Timedelta(days=7 * 12)
    rows = weekly(13, 40, 0.05, seed=1)
    rows += weekly(13, 40, 0.05, seed=2, offset=10_000, supplier="甲食品", product="五香花生", channel="京东")
    rows += weekly(13, 60, [0.04] * 10 + [0.10, 0.11, 0.12], topic="freshness_quality", seed=5,
                   offset=40_000, supplier="丙农产", product="花生", batch="C7")
    rows += [review(20_000 + j, last + pd.Timedelta(hours=j), topic="taste", direction="too_bland",
                    batch="B2611-02", text=f"这批瓜子太淡了，没味道，电话1381234{5600 + j:04d}")
             for j in range(15)]
    for w in range(13):
        when = MONDAY + pd.Timedelta(days=7 * w + 2)
        rows += [_uncovered(50_000 + 100 * w + j, when + pd.Timedelta(hours=j), t, channel="抖音")
                 for j, t in enumerate(ROBOT + OTHERS[w % 4::4])]
    rows += [_uncovered(60_000 + j, last + pd.Timedelta(days=3, hours=j), t, supplier="甲食品")
             for j, t in enumerate(POINTS)]
    df = frame(rows).sort_values("review_id", kind="stable").reset_index(drop=True)
    df.loc[list(NO_TIME), "time"] = pd.NaT
    df.loc[[11, 500], "flags"] = "duplicate"
    df.loc[df.index[::97], "batch"] = None
    return df


def write_parts(table: pa.Table, folder: Path, cuts: Sequence[int]) -> Path:
    """``table`` cut at ``cuts`` into ``part-*.parquet`` under one schema, as ``score --engine dask`` does."""
    folder.mkdir()
    ends = [*cuts[1:], table.num_rows]
    for i, (a, b) in enumerate(zip(cuts, ends)):
        pq.write_table(table.slice(a, b - a), folder / f"part-{i:05d}.parquet")
    (folder / "_SUCCESS").write_text(json.dumps({"rows": table.num_rows, "partitions": len(cuts)}))
    return folder


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The planted frame as one Parquet file and as a folder of 5 parts."""
    root = tmp_path_factory.mktemp("planted")
    table = pa.Table.from_pandas(planted(), preserve_index=False)
    pq.write_table(table, root / "whole.parquet")
    return root / "whole.parquet", write_parts(table, root / "parts", CUTS)


def assert_same_run(local: EmergingRun, dask: EmergingRun) -> None:
    """Every issue column identical (ids, counts, p/q, trace, quotes, review_ids, novel issues) and
    the same bookkeeping."""
    pd.testing.assert_frame_equal(local.issues, dask.issues, check_exact=True)
    assert local.novel == dask.novel
    assert_same_result(local.result, dask.result)


def assert_same_result(a: EmergingResult, b: EmergingResult) -> None:
    pd.testing.assert_frame_equal(a.issues, b.issues, check_exact=True)
    pd.testing.assert_series_equal(a.window_totals, b.window_totals, check_exact=True)
    assert (a.freq, a.evaluated, a.tested, a.rows, a.counted, a.no_time, a.no_time_ids) == \
        (b.freq, b.evaluated, b.tested, b.rows, b.counted, b.no_time, b.no_time_ids)


# --- the additive halves, without Dask --------------------------------------------------------


class ChunkedRows(FrameRows):
    """A frame answered chunk by chunk and added up, as the Dask engine does with parts."""

    def __init__(self, frame: pd.DataFrame, cuts: Sequence[int]) -> None:
        super().__init__(frame, "chunks")
        ends = [*cuts[1:], len(frame)]
        self.chunks = [(a, frame.iloc[a:b].reset_index(drop=True)) for a, b in zip(cuts, ends)]

    def counts(self, *, freq: Freq, levels: Sequence[tuple[str, ...]], keys: list[Key],
               trace_candidates: Sequence[str]) -> EmergingCounts:
        parts = [count_scored(c, freq=freq, levels=levels, keys=keys, trace_candidates=trace_candidates,
                              first_row=a) for a, c in reversed(self.chunks)]  # any order
        return reduce(EmergingCounts.add, parts)

    def evidence(self, requests: Sequence[IssueRequest], freq: Freq) -> list[Evidence]:
        parts = [gather_evidence(c, requests, freq) for _, c in self.chunks]
        return [reduce(Evidence.add, (p[i] for p in parts)) for i in range(len(requests))]

    def novel_rows(self, freq: Freq, windows: Sequence[pd.Timestamp]) -> tuple[pd.DataFrame, pd.Series]:
        parts = [novel_rows(c, freq, windows) for _, c in self.chunks]
        return pd.concat([p[0] for p in parts], ignore_index=True), \
            pd.concat([p[1] for p in parts], ignore_index=True)


@pytest.mark.parametrize(("by", "freq", "windows"), [(["supplier", "product"], "W", "all"),
                                                     (["supplier"], "D", 10), (["channel"], "M", "all")])
def test_counts_and_evidence_of_chunks_add_up_to_one_pass(data: tuple[Path, Path], by: list[str],
                                                          freq: str, windows: Any) -> None:
    whole = load_scored(data[0])
    one = detect_emerging(FrameRows(whole), freq=freq, by=by, windows=windows, trace_extra=["channel"])
    chunked = ChunkedRows(whole, CUTS)
    parts = detect_emerging(chunked, freq=freq, by=by, windows=windows, trace_extra=["channel"])
    assert_same_result(one, parts)
    assert one.no_time == 3 and one.no_time_ids == whole.loc[list(NO_TIME), "review_id"].tolist()
    starts = list(one.window_totals.index)
    pd.testing.assert_frame_equal(FrameRows(whole).novel_rows(Freq(freq), starts)[0],
                                  chunked.novel_rows(Freq(freq), starts)[0])


def test_the_planted_issues_are_flagged(data: tuple[Path, Path], default_model: Any) -> None:
    run = run_emerging(data[0], by=["supplier", "product"], windows=3, model=default_model)
    found = set(zip(run.issues["topic"], run.issues["direction"], run.issues["cell_label"],
                    run.issues["test"]))
    assert {("taste", "too_bland", "乙食品厂 / 原味瓜子", "spike"),
            ("freshness_quality", "", "丙农产 / 花生", "drift"), ("novel", "", "全部", "spike")} <= found
    wave = run.issues[run.issues["direction"] == "too_bland"].iloc[0]
    assert "来自批次 B2611-02" in wave["summary"]
    quotes = " ".join(json.loads(wave["quotes"]))
    assert "[电话]" in quotes and "1381234" not in quotes
    novel = run.issues[run.issues["topic"] == "novel"].iloc[0]
    ids = json.loads(novel["review_ids"])
    points = [i for i in ids if i.startswith("r06")]  # the points complaints' ids: 60_000 + j
    assert "积分" in novel["summary"] and len(points) >= len(POINTS) - 2 and len(points) >= 0.8 * len(ids)


# --- the engine on a 2-worker cluster ---------------------------------------------------------

CASES = [
    dict(by=["supplier", "product"], windows="all", novel=False),
    dict(by=["supplier"], windows=3, novel=True, trace_extra=["channel"]),
    dict(freq="D", by=["supplier"], windows=10, novel=True, mask=False),
    dict(freq="M", by=["supplier", "product", "batch"], windows="all", novel=False),
]


@pytest.mark.slow
@needs_dask
@pytest.mark.parametrize("options", CASES)
def test_dataset_on_two_workers_equals_the_local_engine(cluster: Any, data: tuple[Path, Path],
                                                        default_model: Any, options: dict[str, Any]) -> None:
    local = run_emerging(data[0], model=default_model, **options)
    dask = run_emerging(data[1], model=default_model, engine="dask", scheduler=cluster.scheduler_address,
                        **options)
    assert_same_run(local, dask)
    assert len(local.issues) >= 2 and "too_bland" in set(local.issues["direction"])
    if options["novel"]:
        # the points wave; in daily windows its two phrasings (没到账, 一直没到) may be two clusters
        novel = local.issues[local.issues["topic"] == "novel"]
        assert dask.novel == len(novel) >= 1
        for ids in novel["review_ids"].map(json.loads):
            assert sum(i.startswith("r06") for i in ids) >= 0.8 * len(ids)


@pytest.mark.slow
@needs_dask
def test_the_demo_scored_on_dask_gives_the_issues_of_its_concatenation(cluster: Any, tmp_path: Path) -> None:
    from koubei.engines import score_dataset

    scored = score_dataset(DEMO, tmp_path / "scored", scheduler=cluster.scheduler_address, chunksize=700)
    assert scored.partitions >= 4
    load_scored(scored.output).to_parquet(tmp_path / "whole.parquet", index=False)
    options: dict[str, Any] = dict(by=["supplier", "product"], windows="all", novel=False)
    local = run_emerging(tmp_path / "whole.parquet", **options)
    dask = run_emerging(scored.output, engine="dask", scheduler=cluster.scheduler_address, **options)
    assert_same_run(local, dask)
    assert ("taste", "too_bland") in set(zip(local.issues["topic"], local.issues["direction"]))


@needs_dask
def test_cli_engine_dask_with_a_store(cluster: Any, data: tuple[Path, Path], tmp_path: Path) -> None:
    args = ["--by", "supplier,product", "--last", "3", "--no-novel"]
    res = runner.invoke(app, ["emerging", str(data[0]), *args, "-o", str(tmp_path / "a.csv"),
                              "--store", str(tmp_path / "a.duckdb")])
    assert res.exit_code == 0, res.output
    dask = ["emerging", str(data[1]), *args, "--engine", "dask", "--scheduler", cluster.scheduler_address,
            "--store", str(tmp_path / "b.duckdb")]
    res2 = runner.invoke(app, [*dask, "-o", str(tmp_path / "b.csv")])
    assert res2.exit_code == 0, res2.output
    assert res2.output == res.output.replace("a.csv", "b.csv").replace("a.duckdb", "b.duckdb")
    ids = ", ".join(load_scored(data[0]).loc[list(NO_TIME), "review_id"])
    assert f"without a parseable time, left out: 3 (e.g. {ids})" in res2.output
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    again = runner.invoke(app, [*dask, "-o", str(tmp_path / "c.csv")])  # recording again changes nothing
    assert again.exit_code == 0 and (tmp_path / "c.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    with duckdb.connect(str(tmp_path / "b.duckdb"), read_only=True) as con:
        assert con.execute("select count(distinct fingerprint) from runs").fetchone() == (1,)
        (digest,) = con.execute("select fingerprint from runs limit 1").fetchone()  # type: ignore[misc]
        n_flags = con.execute("select count(*) from issue_windows").fetchone()
    with duckdb.connect(str(tmp_path / "a.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from issue_windows").fetchone() == n_flags
    assert digest == fingerprint(data[1]) == _parts_sha256(data[1])


def _parts_sha256(folder: Path) -> str:
    """The documented fingerprint of a folder: its parts in name order, each as name NUL size NUL bytes."""
    h = hashlib.sha256()
    for part in sorted(folder.glob("part-*.parquet")):
        h.update(f"{part.name}\0{part.stat().st_size}\0".encode() + part.read_bytes())
    return h.hexdigest()


def test_the_fingerprint_of_a_folder_covers_its_parts_only(data: tuple[Path, Path], tmp_path: Path) -> None:
    table = pq.read_table(data[0])
    a = write_parts(table, tmp_path / "a", CUTS)
    b = write_parts(table, tmp_path / "b", (0, 150, 700, 721, 1500))  # same rows, cut elsewhere
    assert fingerprint(a) == fingerprint(data[1]) != fingerprint(b)
    (a / "_SUCCESS").write_text("{}")
    (a / ".part-00009.parquet.tmp").write_text("half written")
    assert fingerprint(a) == fingerprint(data[1])
    (a / "part-00004.parquet").rename(a / "part-00005.parquet")
    assert fingerprint(a) != fingerprint(data[1])


# --- errors -----------------------------------------------------------------------------------


@needs_dask
def test_cli_errors_are_one_line_with_an_exit_code(cluster: Any, data: tuple[Path, Path],
                                                   tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    dask = ["--engine", "dask", "--scheduler", cluster.scheduler_address, "-o", str(out), "--no-novel"]

    def emerging(path: Path, *more: str) -> Any:
        return runner.invoke(app, ["emerging", str(path), *dask, *more])

    res = emerging(data[0])
    assert res.exit_code == InputError.exit_code
    assert "reads a folder of Parquet parts" in res.output and "--engine local" in res.output
    assert "Traceback" not in res.output
    empty = tmp_path / "empty"
    empty.mkdir()
    res = emerging(empty)
    assert res.exit_code == InputError.exit_code and "no .parquet files" in res.output
    res = emerging(data[1], "--by", "shop")
    assert res.exit_code == ColumnError.exit_code and "no column 'shop' to group by" in res.output
    res = emerging(data[1], "--window", "2030-W01")
    assert res.exit_code == ColumnError.exit_code and "no window 2030-W01" in res.output
    no_time = write_parts(pq.read_table(data[0]).drop_columns(["time"]), tmp_path / "no_time", CUTS)
    res = emerging(no_time)
    assert res.exit_code == ColumnError.exit_code and "emerging needs review times" in res.output
    res = runner.invoke(app, ["emerging", str(data[1]), "--scheduler", cluster.scheduler_address])
    assert res.exit_code == 2 and "needs --engine dask" in res.output
    assert not out.exists()


@needs_dask
def test_a_part_that_is_not_scored_or_not_readable(cluster: Any, data: tuple[Path, Path],
                                                    tmp_path: Path) -> None:
    table = pq.read_table(data[0])
    address = cluster.scheduler_address
    raw = tmp_path / "raw"
    raw.mkdir()
    pd.DataFrame({"text": ["好吃"], "time": ["2026-01-01"]}).to_parquet(raw / "part-00000.parquet")
    with pytest.raises(ColumnError, match="not a scored file, it lacks review_id"):
        run_emerging(raw, engine="dask", scheduler=address)
    broken = write_parts(table, tmp_path / "broken", CUTS)
    (broken / "part-00002.parquet").write_bytes(b"not parquet")
    with pytest.raises(InputFormatError, match=r"part-00002\.parquet: not a readable Parquet part"):
        run_emerging(broken, engine="dask", scheduler=address)
    mixed = write_parts(table, tmp_path / "mixed", CUTS)
    pq.write_table(table.slice(150, 550).drop_columns(["sentiment"]), mixed / "part-00001.parquet")
    with pytest.raises(InputFormatError, match=r"part-00001\.parquet: lacks sentiment, which part-00000"):
        run_emerging(mixed, engine="dask", scheduler=address)


@needs_dask
def test_an_unreachable_scheduler_is_an_engine_error(data: tuple[Path, Path], tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("koubei.engines.cluster.CONNECT_TIMEOUT", "1s")  # nothing listens: why wait 20 s
    res = runner.invoke(app, ["emerging", str(data[1]), "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9",
                              "-o", str(tmp_path / "o.csv"), "--no-novel"])
    assert res.exit_code == EngineError.exit_code
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in res.output
    assert not (tmp_path / "o.csv").exists()


def test_without_dask_the_engine_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch,
                                                        data: tuple[Path, Path], tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if not installed
    res = runner.invoke(app, ["emerging", str(data[1]), "-o", str(tmp_path / "o.csv"), "--engine", "dask"])
    assert res.exit_code == EngineError.exit_code
    assert 'pip install "koubei[dask]"' in res.output
    assert not (tmp_path / "o.csv").exists()


def test_the_local_engine_refuses_dask_settings(data: tuple[Path, Path]) -> None:
    with pytest.raises(ValueError, match="need engine='dask'"):
        run_emerging(data[0], scheduler="tcp://127.0.0.1:9", novel=False)
