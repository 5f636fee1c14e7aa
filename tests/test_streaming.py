"""Streaming scoring (``score_file`` chunk by chunk): same output as in memory, crash-safe, bounded memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from koubei.cli import app
from koubei.errors import EngineError, OutputError
from koubei.io import iter_reviews, read_reviews
from koubei.io.writers import remove_stale_temps
from koubei.model.review_model import ReviewModel
from koubei.resources import corpora_path
from koubei.scoring import ParquetSink, score_file

DEMO = corpora_path("demo/snack_reviews.csv")
CHUNK = 700  # several chunks over the 3,000-row dump, boundaries inside runs of repeats


@pytest.fixture(scope="module")
def dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo dump plus repeats of its first 500 rows (ids ``-2``, duplicate flags
    across chunk boundaries), empty rows and a platform placeholder."""
    raw = pd.read_csv(DEMO, dtype=str, keep_default_na=False)
    extra = raw.head(500).copy()
    extra["评论ID"] = ""  # hash ids, so repeats get -2, -3...
    junk = raw.head(6).copy()
    junk["评论内容"] = ["", "   ", "此用户没有填写评价内容", "。。。", "好吃", "好吃"]
    path = tmp_path_factory.mktemp("dump") / "reviews.csv"
    pd.concat([raw, extra, junk, extra.head(100)]).to_csv(path, index=False)
    return path


def _score(dump: Path, out: Path, model: ReviewModel, **kw: object) -> object:
    return score_file(dump, out, model=model, now="2026-12-01", **kw)  # type: ignore[arg-type]


def test_chunks_give_the_ids_and_flags_of_a_whole_read(dump: Path) -> None:
    whole = read_reviews(dump)
    chunked = pd.concat(list(iter_reviews(dump, chunksize=CHUNK)))
    assert whole["review_id"].tolist() == chunked["review_id"].tolist()
    assert whole["flags"].tolist() == chunked["flags"].tolist()
    assert whole["review_id"].str.endswith("-2").sum() > 100
    assert whole["flags"].str.contains("duplicate").sum() > 500


def test_chunked_parquet_equals_in_memory(dump: Path, tmp_path: Path, default_model: ReviewModel) -> None:
    mem = _score(dump, tmp_path / "mem.parquet", default_model, chunksize=0)
    st = _score(dump, tmp_path / "st.parquet", default_model, chunksize=CHUNK)
    assert pq.ParquetFile(tmp_path / "st.parquet").metadata.num_row_groups > 1
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "mem.parquet"),
                                  pd.read_parquet(tmp_path / "st.parquet"))
    assert mem.summary == st.summary  # type: ignore[attr-defined]
    assert mem.read_report == st.read_report  # type: ignore[attr-defined]
    assert st.summary.rows == len(read_reviews(dump))  # type: ignore[attr-defined]


@pytest.mark.parametrize("ext", ["csv", "tsv", "jsonl"])
def test_chunked_text_output_is_byte_identical(dump: Path, tmp_path: Path, default_model: ReviewModel,
                                               ext: str) -> None:
    _score(dump, tmp_path / f"mem.{ext}", default_model, chunksize=0)
    _score(dump, tmp_path / f"st.{ext}", default_model, chunksize=CHUNK)
    assert (tmp_path / f"mem.{ext}").read_bytes() == (tmp_path / f"st.{ext}").read_bytes()


def test_one_worker_equals_two(dump: Path, tmp_path: Path, default_model: ReviewModel) -> None:
    _score(dump, tmp_path / "w1.parquet", default_model, chunksize=1000, workers=1)
    _score(dump, tmp_path / "w2.parquet", default_model, chunksize=1000, workers=2)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "w1.parquet"),
                                  pd.read_parquet(tmp_path / "w2.parquet"))


def test_column_empty_in_the_first_chunk_gets_text_later(tmp_path: Path,
                                                         default_model: ReviewModel) -> None:
    rows = [{"text": f"第{i}次买，味道太淡了", "note": None if i < 5 else f"备注{i}"} for i in range(10)]
    src = tmp_path / "r.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    _score(src, tmp_path / "mem.parquet", default_model, chunksize=0)
    _score(src, tmp_path / "st.parquet", default_model, chunksize=3)
    st = pd.read_parquet(tmp_path / "st.parquet")
    assert st["note"].tolist()[4:6] == ["", "备注5"]
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "mem.parquet"), st)


def test_parquet_sink_fixes_null_columns_of_the_first_chunk(tmp_path: Path) -> None:
    first = pd.DataFrame({"note": [None, None], "supplier": [None, None], "n": [1.0, 2.0]})
    later = pd.DataFrame({"note": ["备注", None], "supplier": [None, None], "n": [3.0, None]})
    with ParquetSink(tmp_path / "o.parquet") as sink:
        sink.write(first)
        sink.write(later)
    schema = pq.read_schema(tmp_path / "o.parquet")
    assert str(schema.field("note").type) == "large_string"
    assert str(schema.field("supplier").type) == "null"  # canonical: null iff unmapped, in every chunk
    assert pd.read_parquet(tmp_path / "o.parquet")["note"].tolist()[2] == "备注"


def test_a_column_changing_type_between_chunks_is_an_output_error(tmp_path: Path) -> None:
    with ParquetSink(tmp_path / "o.parquet") as sink:
        sink.write(pd.DataFrame({"n": [1, 2]}))
        with pytest.raises(OutputError, match=r"n \(int64 then large_string\).*--chunksize 0"):
            sink.write(pd.DataFrame({"n": ["1", "x"]}))


def _crash_after_two_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}
    original = ReviewModel.score

    def score(self: ReviewModel, *args: object, **kwargs: object) -> pd.DataFrame:
        calls["n"] += 1
        if calls["n"] > 2:
            raise RuntimeError("simulated crash")
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ReviewModel, "score", score)


def test_a_crash_midway_leaves_no_output(dump: Path, tmp_path: Path, default_model: ReviewModel,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    _crash_after_two_chunks(monkeypatch)
    with pytest.raises(RuntimeError, match="simulated crash"):
        _score(dump, tmp_path / "out.parquet", default_model, chunksize=CHUNK)
    assert os.listdir(tmp_path) == []


def test_a_crash_midway_leaves_the_old_output_unchanged(dump: Path, tmp_path: Path,
                                                        default_model: ReviewModel,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out.csv"
    out.write_text("old,result\n", encoding="utf-8")
    _crash_after_two_chunks(monkeypatch)
    with pytest.raises(RuntimeError, match="simulated crash"):
        _score(dump, out, default_model, chunksize=CHUNK, overwrite=True)
    assert os.listdir(tmp_path) == ["out.csv"]
    assert out.read_text(encoding="utf-8") == "old,result\n"


KILL_SCRIPT = textwrap.dedent("""
    import os, signal, sys
    from koubei.model.review_model import ReviewModel
    from koubei.scoring import score_file

    original, calls = ReviewModel.score, []
    def score(self, *args, **kwargs):
        calls.append(1)
        if len(calls) > 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(self, *args, **kwargs)
    ReviewModel.score = score
    score_file(sys.argv[1], sys.argv[2], chunksize=int(sys.argv[3]), workers=1)
""")


def test_a_killed_run_leaves_only_a_hidden_temp_file_that_the_next_run_removes(
        dump: Path, tmp_path: Path, default_model: ReviewModel) -> None:
    out = tmp_path / "out.parquet"
    proc = subprocess.run([sys.executable, "-c", KILL_SCRIPT, str(dump), str(out), str(CHUNK)],
                          capture_output=True, timeout=300)
    assert proc.returncode == -9, proc.stderr.decode()
    left = os.listdir(tmp_path)
    assert len(left) == 1 and left[0].startswith(".out.parquet.") and left[0].endswith(".tmp")
    with pytest.raises(Exception, match=r"(?i)parquet|footer|magic"):
        pq.ParquetFile(tmp_path / left[0])  # no footer: it cannot pass for a result
    res = _score(dump, out, default_model, chunksize=CHUNK)
    assert os.listdir(tmp_path) == ["out.parquet"]
    assert len(pd.read_parquet(out)) == res.summary.rows  # type: ignore[attr-defined]


# Stops the run from inside, once its worker pool is up: writes the workers' pids, then
# kill -9 (argv[4] == "kill") or SIGTERM (argv[4] == "term") of this process, the parent.
STOP_WITH_WORKERS = textwrap.dedent("""
    import multiprocessing, os, signal, sys
    from koubei.model.review_model import ReviewModel
    from koubei.cli import app

    original, calls = ReviewModel.score, []
    def score(self, *args, **kwargs):
        calls.append(1)
        if len(calls) > 2:
            with open(sys.argv[5], "w") as f:
                f.write(" ".join(str(p.pid) for p in multiprocessing.active_children()))
            os.kill(os.getpid(), signal.SIGKILL if sys.argv[4] == "kill" else signal.SIGTERM)
        return original(self, *args, **kwargs)
    ReviewModel.score = score
    app(["score", sys.argv[1], "-o", sys.argv[2], "--chunksize", sys.argv[3], "--workers", "2", "-q"])
""")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")  # a zombie is gone for good: it only waits to be reaped
    return not (status.is_file() and "\tZ" in status.read_text())


def _workers_gone(pids: list[int], within: float = 10.0) -> bool:
    import time

    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not any(_alive(p) for p in pids):
            return True
        time.sleep(0.2)
    return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; fork start method")
@pytest.mark.parametrize("how", ["kill", "term"])
def test_workers_do_not_outlive_a_killed_or_terminated_run(dump: Path, tmp_path: Path, how: str) -> None:
    out, pids_file = tmp_path / "out" / "scored.csv", tmp_path / "pids.txt"
    out.parent.mkdir()
    proc = subprocess.run([sys.executable, "-c", STOP_WITH_WORKERS, str(dump), str(out), str(CHUNK),
                           how, str(pids_file)], capture_output=True, timeout=300)
    pids = [int(p) for p in pids_file.read_text().split()]
    try:
        assert len(pids) == 2, proc.stderr.decode()
        assert _workers_gone(pids), f"workers {pids} still alive after the parent was stopped ({how})"
    finally:
        for p in pids:  # never leave them behind, even when the test fails
            if _alive(p):
                os.kill(p, 9)
    if how == "term":  # the clean stop of Ctrl-C: exit 143, one line, no file left (not even a temp)
        assert proc.returncode == 143, proc.stderr.decode()
        assert "terminated; no output was written" in proc.stderr.decode()
        assert os.listdir(out.parent) == []
    else:
        assert proc.returncode == -9


def _children(pid: int) -> list[int]:
    return [int(c) for task in Path(f"/proc/{pid}/task").iterdir()
            for c in (task / "children").read_text().split()]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; fork start method")
@pytest.mark.parametrize(("how", "code", "line"), [
    ("group", 143, "terminated; no output was written"),
    ("worker", 8, "error: a scoring worker process died (killed from outside, e.g. by the out-of-memory "
                  "killer); rerun, with fewer --workers or a smaller --chunksize if memory is short"),
])
def test_a_run_stopped_with_its_workers_is_one_line_and_leaves_nothing(
        dump: Path, tmp_path: Path, how: str, code: int, line: str) -> None:
    """``kill -- -PGID`` (systemd's stop) reaches the workers too: they die at once, yet the run
    stops as after a SIGTERM of the parent alone. A worker killed alone (the out-of-memory killer)
    is an error of one line, not a BrokenProcessPool traceback. Either way nothing is written and
    no worker is left."""
    import signal
    import time

    big = tmp_path / "big.csv"
    frame = pd.read_csv(dump, dtype=str, keep_default_na=False)
    pd.concat([frame] * 15).to_csv(big, index=False)  # ~54,000 rows: still scoring when the signal comes
    out = tmp_path / "out" / "scored.csv"
    out.parent.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[1] / "src"),
                                                         os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "koubei", "score", str(big), "-o", str(out),
                             "--workers", "2", "--chunksize", "2000", "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while len(workers) < 2 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
            workers = _children(proc.pid)
        assert len(workers) == 2 and proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        time.sleep(0.3)  # batches in flight
        assert proc.poll() is None, "the run ended before the signal; make the dump bigger"
        if how == "group":
            os.killpg(proc.pid, signal.SIGTERM)
        else:
            os.kill(workers[0], signal.SIGKILL)
        _, err = proc.communicate(timeout=60)
        assert _workers_gone(workers), f"workers {workers} still alive after the run stopped ({how})"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for p in workers:
            if _alive(p):
                os.kill(p, signal.SIGKILL)
    assert proc.returncode == code, err.decode()
    assert err.decode().splitlines() == [line], err.decode()
    assert os.listdir(out.parent) == []  # neither the output nor its temp file


def test_stale_temp_files_of_other_targets_are_kept(tmp_path: Path) -> None:
    mine, other = tmp_path / ".a.csv.0123abcd.tmp", tmp_path / ".b.csv.0123abcd.tmp"
    mine.write_text("x")
    other.write_text("x")
    (tmp_path / ".a.csv.notmine.tmp").write_text("x")
    assert remove_stale_temps(tmp_path / "a.csv") == [mine]
    assert sorted(os.listdir(tmp_path)) == [".a.csv.notmine.tmp", ".b.csv.0123abcd.tmp"]


def test_cli_chunksize_and_engine_options(dump: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "o.parquet"
    res = runner.invoke(app, ["score", str(dump), "-o", str(out), "-q", "--chunksize", "1000",
                              "--workers", "1"])
    assert res.exit_code == 0, res.output
    assert f"rows: {len(read_reviews(dump)):,}" in res.output
    res = runner.invoke(app, ["score", str(dump), "-o", str(tmp_path / "p.parquet"),
                              "--scheduler", "tcp://127.0.0.1:1"])
    assert res.exit_code == 2 and "--engine dask" in res.output


def test_cli_streaming_still_prints_the_read_report(dump: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["score", str(dump), "-o", str(tmp_path / "o.csv"),
                                   "--chunksize", "1000", "--workers", "1"])
    assert res.exit_code == 0, res.output
    assert "3,106 rows (csv, utf-8)" in res.output or " rows (csv" in res.output


# --- memory bound ----------------------------------------------------------------------------

MEMORY_ROWS = 1_000_000
GIB = 2**30


# Runs a command and prints the largest peak RSS (kB) of its process tree, for this run alone.
RUSAGE_WRAPPER = ("import resource, subprocess, sys; rc = subprocess.call(sys.argv[1:]); "
                  "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
                  "sys.exit(rc)")


@pytest.mark.slow
def test_scoring_a_million_rows_to_parquet_stays_under_one_gib(tmp_path: Path) -> None:
    """``koubei score`` in a child process on a 1 M-row CSV (the demo texts
    replicated): the largest process's peak RSS (the reader/writer or a worker) ≤ 1 GiB."""
    texts = pd.read_csv(DEMO, dtype=str)["评论内容"].fillna("").tolist()
    src = tmp_path / "big.csv"
    with src.open("w", encoding="utf-8", newline="") as handle:
        handle.write("评论内容\n")
        for start in range(0, MEMORY_ROWS, 100_000):
            block = [texts[i % len(texts)] for i in range(start, start + 100_000)]
            pd.DataFrame({"t": block}).to_csv(handle, index=False, header=False)
    out = tmp_path / "big.scored.parquet"
    cmd = [sys.executable, "-m", "koubei.cli", "score", str(src), "-o", str(out), "-q", "--workers", "2"]
    proc = subprocess.run([sys.executable, "-c", RUSAGE_WRAPPER, *cmd], capture_output=True, timeout=1800)
    err = proc.stderr.decode()
    assert proc.returncode == 0, err[-2000:]
    peak_kb = int(err.split()[-1])
    assert pq.ParquetFile(out).metadata.num_rows == MEMORY_ROWS
    assert peak_kb * 1024 <= GIB, f"peak RSS {peak_kb / 1024:.0f} MB"


# -- repeated texts predicted once; reading and writing overlapped with scoring -----------------

class _CountingModel:
    """predict() echoes its texts and records every batch it was given."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def predict(self, texts: list[str]) -> list[str]:
        self.batches.append(list(texts))
        return [f"p({t})" for t in texts]


def test_predict_batches_predicts_each_distinct_text_once() -> None:
    from koubei.model.parallel import predict_batches

    model, done = _CountingModel(), []
    batches = [["好吃", "难吃", "好吃"], [], ["难吃", "一般"], ["好吃"]]
    out = list(predict_batches(model, batches, workers=1, progress=done.append))
    assert out == [["p(好吃)", "p(难吃)", "p(好吃)"], [], ["p(难吃)", "p(一般)"], ["p(好吃)"]]
    assert [t for b in model.batches for t in b] == ["好吃", "难吃", "一般"]
    assert max(map(len, model.batches)) <= 3  # cut like the largest given batch
    assert done == [3, 0, 2, 1]
    assert list(predict_batches(model, [], workers=2)) == []


class _WarmingModel:
    """warm() writes its process id into ``folder``; predict() says which process predicted."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def warm(self) -> None:
        (self.folder / str(os.getpid())).write_text("warm", encoding="utf-8")

    def predict(self, texts: list[str]) -> list[str]:
        return [f"{os.getpid()}:{t}" for t in texts]


def test_kept_workers_warm_up_as_they_start_before_any_batch(tmp_path: Path) -> None:
    from koubei.model.parallel import keep_workers, predict_batches

    model = _WarmingModel(tmp_path)
    with keep_workers(model, 2):
        import time

        deadline = time.monotonic() + 60
        while len(os.listdir(tmp_path)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        warmed = sorted(os.listdir(tmp_path))  # both, and no batch was given yet
        out = list(predict_batches(model, [["好吃", "难吃"], ["一般"]], workers=2))
    assert len(warmed) == 2 and str(os.getpid()) not in warmed
    assert {p.split(":")[0] for b in out for p in b} <= set(warmed)  # the warmed workers predicted
    assert [p.split(":")[1] for b in out for p in b] == ["好吃", "难吃", "一般"]


def test_shared_predictions_equal_per_batch_predictions(default_model: ReviewModel) -> None:
    from koubei.model.parallel import predict_batches

    texts = ["送得很快，但是味道太淡了", "好吃", "不新鲜", "好吃", "送得很快，但是味道太淡了", "一般般"]
    batches = [texts[:4], texts[4:]]
    alone = [default_model.predict(b) for b in batches]
    assert list(predict_batches(default_model, batches, workers=1)) == alone


def test_overlapped_scoring_keeps_order_and_surfaces_errors_in_order() -> None:
    from koubei.scoring import score_in_order

    put: list[int] = []
    score_in_order(iter(range(6)), lambda x: x * 10, put.append, overlap=True)
    assert put == [0, 10, 20, 30, 40, 50]

    def chunks():  # type: ignore[no-untyped-def]
        yield 1
        yield 2
        raise OutputError("chunk 3 is bad")

    put.clear()
    with pytest.raises(OutputError, match="chunk 3"):
        score_in_order(chunks(), lambda x: x, put.append, overlap=True)
    assert put == [1, 2]  # what came before the bad chunk was written, in order

    def bad_put(x: int) -> None:
        raise OutputError(f"cannot write {x}")

    with pytest.raises(OutputError, match="cannot write 1"):
        score_in_order(iter([1, 2, 3]), lambda x: x, bad_put, overlap=True)


def test_gc_paused_restores_the_collector() -> None:
    import gc

    from koubei.model.parallel import gc_paused

    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), gc_paused():
        raise ValueError
    assert gc.isenabled()


def _fold_of(payload: dict[str, list[str]], key: str) -> tuple[int, str, int]:
    """A stand-in for a fold's fit: reads the inherited payload, reports its process and BLAS threads."""
    from threadpoolctl import threadpool_info

    if key == "bad":
        raise ValueError("row 3 of the labels is bad")
    if key == "die":
        os._exit(9)  # as the out-of-memory killer would end it
    blas = max((i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"), default=1)
    return os.getpid(), "".join(payload[key]), blas


def test_map_in_workers_keeps_order_and_the_payload_stays_behind() -> None:
    from koubei.model.parallel import map_in_workers

    payload = {"咸": ["太", "咸"], "淡": ["太", "淡"], "辣": ["不", "辣"]}
    out = list(map_in_workers(_fold_of, payload, ["咸", "淡", "辣"], workers=2))
    assert [o[1] for o in out] == ["太咸", "太淡", "不辣"]
    assert os.getpid() not in {o[0] for o in out} and all(o[2] == 1 for o in out)
    alone = list(map_in_workers(_fold_of, payload, ["咸", "淡"], workers=1))
    assert [o[0] for o in alone] == [os.getpid()] * 2 and [o[1] for o in alone] == ["太咸", "太淡"]


def test_map_in_workers_raises_a_workers_error_and_names_a_dead_worker() -> None:
    from koubei.model.parallel import map_in_workers

    payload = {"咸": ["太", "咸"]}
    with pytest.raises(ValueError, match="row 3 of the labels"):
        list(map_in_workers(_fold_of, payload, ["咸", "bad"], workers=2))
    with pytest.raises(EngineError, match="a training worker process died.*fewer --workers"):
        list(map_in_workers(_fold_of, payload, ["咸", "die"], workers=2, what="training worker"))


def _pids(folder: Path) -> list[int]:
    """The workers that ran ``_slow_fold`` (the executor may reap a worker on its own thread,
    so ``multiprocessing.active_children`` can still list a dead one: ask the system). Read off
    the files' names: a worker stopped between creating its file and writing into it left an
    empty one, which CI read as ''."""
    return sorted({int(p.stem) for p in folder.glob("*.pid")})


def test_closing_map_in_workers_early_cancels_what_has_not_started(tmp_path: Path) -> None:
    """A caller that stops reading after the first result: the items not started never start."""
    from contextlib import closing

    from koubei.model.parallel import map_in_workers

    keys = [str(i) for i in range(12)]
    with closing(map_in_workers(_slow_fold, (str(tmp_path), 0.3), keys, workers=2)) as out:
        assert next(out) == "0"
    assert _pids(tmp_path) and _workers_gone(_pids(tmp_path), within=5.0)
    assert 1 <= len(list(tmp_path.glob("*.started"))) < len(keys)


def test_a_caller_that_fails_stops_the_running_workers_at_once(tmp_path: Path) -> None:
    """An error while reading the results (or Ctrl-C, or SIGTERM's handler) does not wait for
    the folds still running: their workers are stopped."""
    from contextlib import closing

    from koubei.model.parallel import map_in_workers

    started = time.monotonic()
    results = map_in_workers(_slow_fold, (str(tmp_path), 90.0), ["0", "1", "2"], workers=2)
    with pytest.raises(OutputError, match="cannot write fold 1"), closing(results):
        for key in results:
            if key == "0":
                raise OutputError("cannot write fold 1")
    # the workers' 90 s sleeps were cut short (generous bounds: CI may share its two cores); the
    # wall bound plus the time to be gone (60 + 20 s) must stay under the sleep, or a run that
    # awaited the workers could pass
    assert time.monotonic() - started < 60
    assert _pids(tmp_path) and _workers_gone(_pids(tmp_path), within=20.0)


def _slow_fold(payload: tuple[str, float], key: str) -> str:
    """Marks its start and its worker, then sleeps (item "0" returns at once)."""
    folder, seconds = payload
    (Path(folder) / f"{key}.started").touch()
    (Path(folder) / f"{os.getpid()}.pid").touch()
    if key != "0":
        time.sleep(seconds)
    return key
