"""Time one incremental ``koubei run`` over a large history: only the new rows are scored.

    python scripts/bench_monitor.py                                   # 1 M-row history, 10k new rows
    python scripts/bench_monitor.py --history-rows 100000 --new-rows 5000 --out /tmp/bench.json

Setup (not timed). The demo dump (corpora/demo/snack_reviews.csv, 2,410 rows) is scored
once by ``koubei run``; its part is then repeated with fresh review ids, each copy moved
back by whole 16-week spans (six spans, about two years, ~10k reviews a week), into a
history of ``--history-rows`` rows written as the monitor writes it: Parquet parts of
50k rows, each row's key in the manifest. That is the history a year or two of
``koubei run`` leaves, without scoring a million rows first. A run with nothing new then
detects over the whole history once (``first_detect_seconds``) so the issue store is
filled, as it would be.

Timed. A dump of ``--new-rows`` reviews lands in the feed, dated the week after the
history: demo reviews, each made distinct by a number in brackets (so the segmenter's
cache of repeated texts does not flatter scoring) with their products, suppliers and
batches. ``koubei run`` then: lists the feed, hashes and reads the dump, looks its row
keys up among the history's, scores the new rows, appends one part, runs emerging over
the whole history (issue store), rewrites the issue list (xlsx) and, in the ``default``
variant, the HTML report, and sends its alerts to a local webhook. The same run is timed
in three variants from the same starting point: ``default`` (new-kind clustering and the
report, as ``koubei init`` writes the config), ``no_report``, and ``no_report_no_novel``.
``seconds`` splits each run into ingest, detect (with the outputs) and alerts;
``total_seconds`` is the whole call. ``cpu_seconds`` is the CPU time the call used, its own and
its scoring processes' (user + system): on a shared machine the wall time grows with the other
jobs' load, the CPU time much less, so it is the figure to compare between runs.

Results go to scripts/results/bench_monitor.json with the command, machine, date and the
load average before and after (the machine may be shared).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from koubei.io.annotate import KeyCounts  # noqa: E402
from koubei.monitor import load_config, run_once  # noqa: E402
from koubei.monitor.feed import row_keys  # noqa: E402
from koubei.monitor.ingest import write_success  # noqa: E402
from koubei.monitor.state import open_state  # noqa: E402
from koubei.resources import corpora_path  # noqa: E402

PART_ROWS = 50_000
SPAN = pd.Timedelta(weeks=16)
CONFIG = """
[input]
path = "feed"
settle_seconds = 0
[input.columns]
text = "评论内容"
id = "评论ID"
time = "评论时间"
[model]
workers = {workers}
[detect]
by = ["supplier", "product"]
novel = {novel}
[outputs]
issues = ["issues.xlsx"]
{report}
[alerts.bench]
type = "webhook"
url_env = "BENCH_WEBHOOK"
"""


class _Ok(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def seed_history(folder: Path, rows: int) -> int:
    """Repeat the demo's scored part into a history of about ``rows`` rows; returns the row count."""
    hist = folder / "koubei-history"
    import pyarrow as pa
    import pyarrow.parquet as pq

    first = hist / "part-00000.parquet"
    schema = pq.read_schema(first)
    demo = pq.read_table(first).to_pandas()
    copies = max(1, rows // len(demo))
    per_part = max(1, PART_ROWS // len(demo))
    with open_state(hist / "_monitor.duckdb") as st:
        st.execute("DELETE FROM history_rows")
        st.execute("DELETE FROM history_parts")
        first.unlink()
        total = 0
        for p, start in enumerate(range(0, copies, per_part)):
            frame = pd.concat([_copy(demo, k) for k in range(start, min(copies, start + per_part))],
                              ignore_index=True)
            name = f"part-{p:05d}.parquet"
            pq.write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False), hist / name)
            keys = row_keys(frame, KeyCounts())
            with st.transaction():
                st.execute("INSERT INTO history_parts VALUES (?, ?, 'committed', '[]', now())",
                           [name, len(frame)])
                manifest = pd.DataFrame({"row_key": keys, "review_id": frame["review_id"], "id_base": None,
                                         "part": name})
                st.insert_frame("history_rows", manifest)
            total += len(frame)
        with st.transaction():
            st.set_meta("history_version", str(st.version("history_version") + 1))
        write_success(st, hist)
    return total


def _copy(demo: pd.DataFrame, k: int) -> pd.DataFrame:
    out = demo.copy()
    out["review_id"] = out["review_id"].astype(str) + f"-c{k}"
    out["time"] = out["time"] - SPAN * (k % 6)
    return out


def new_dump(n: int, seed: int) -> pd.DataFrame:
    """``n`` demo reviews dated 2026-11-30..12-06, each text made distinct: ``…（1234）``."""
    demo = pd.read_csv(corpora_path("demo", "snack_reviews.csv"), dtype=str, keep_default_na=False)
    demo = demo[demo["评论内容"].str.strip() != ""].reset_index(drop=True)
    rng = np.random.default_rng(seed)
    out = demo.iloc[rng.integers(0, len(demo), n)].reset_index(drop=True).copy()
    out["评论内容"] = [f"{t}（{i}）" for i, t in enumerate(out["评论内容"])]
    out["评论ID"] = [f"BENCH{i:08d}" for i in range(n)]
    start = pd.Timestamp("2026-11-30")
    out["评论时间"] = [str(start + pd.Timedelta(seconds=int(s))) for s in rng.integers(0, 7 * 86400, n)]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--history-rows", type=int, default=1_000_000)
    ap.add_argument("--new-rows", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=0, help="scoring processes (0 = one per core)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", type=Path, default=None, help="build in this folder and keep it")
    ap.add_argument("--out", type=Path, default=ROOT / "scripts" / "results" / "bench_monitor.json")
    args = ap.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="koubei-bench-monitor-"))
    folder = work / "start"
    (folder / "feed").mkdir(parents=True, exist_ok=False)
    write_config(folder, args.workers, novel=True, report=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    os.environ["BENCH_WEBHOOK"] = f"http://127.0.0.1:{server.server_address[1]}/hook"
    runs: dict[str, Any] = {}
    try:
        shutil.copy(corpora_path("demo", "snack_reviews.csv"), folder / "feed" / "0-demo.csv")
        t = time.perf_counter()
        run_once(load_config(folder / "monitor.toml"))
        setup = {"score_demo_seconds": round(time.perf_counter() - t, 1)}
        t = time.perf_counter()
        rows = seed_history(folder, args.history_rows)
        setup["seed_history_seconds"] = round(time.perf_counter() - t, 1)
        t = time.perf_counter()
        run_once(load_config(folder / "monitor.toml"))
        setup["first_detect_seconds"] = round(time.perf_counter() - t, 1)
        dump = new_dump(args.new_rows, args.seed)
        for name, novel, report in VARIANTS:
            run = Path(shutil.copytree(folder, work / name))
            write_config(run, args.workers, novel=novel, report=report)
            dump.to_csv(run / "feed" / "1-new.csv", index=False)
            runs[name] = timed(run)
            shutil.rmtree(run, ignore_errors=True)
    finally:
        server.shutdown()
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    command = "python scripts/bench_monitor.py " + " ".join(argv if argv is not None else sys.argv[1:])
    results = {
        "command": command.strip(),
        "machine": f"{platform.machine()} {platform.system()}, {os.cpu_count()} cores, "
                   f"Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"), "history_rows": rows, "new_rows_in_dump": args.new_rows,
        "runs": runs, "setup": setup,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


VARIANTS = (("default", True, True), ("no_report", True, False), ("no_report_no_novel", False, False))


def write_config(folder: Path, workers: int, *, novel: bool, report: bool) -> None:
    text = CONFIG.format(workers=workers, novel="true" if novel else "false",
                         report='report = "report.html"' if report else "")
    (folder / "monitor.toml").write_text(text, encoding="utf-8")


def timed(folder: Path) -> dict[str, Any]:
    """One timed ``koubei run``: what it did and how long each step took."""
    cfg = load_config(folder / "monitor.toml")
    load_before = os.getloadavg()[0]
    cpu = _cpu()
    t = time.perf_counter()
    result = run_once(cfg)
    total = time.perf_counter() - t
    used = _cpu() - cpu
    return {"total_seconds": round(total, 1), "cpu_seconds": round(used, 1), "seconds": result.seconds,
            "scored_rows": result.ingest.new_rows, "history_parts_after": result.ingest.history_parts,
            "issues_flagged": result.detect.flagged,
            "alerts_sent": len(result.sent),
            "load_average_1min_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)]}


def _cpu() -> float:
    """CPU seconds used so far by this process and its finished children (the scoring pool)."""
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


if __name__ == "__main__":
    raise SystemExit(main())
