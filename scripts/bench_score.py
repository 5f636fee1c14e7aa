"""Throughput and memory of end-to-end `koubei score`, next to plain jieba.

    python scripts/bench_score.py [--rows 100000] [--data-dir DIR] [--keep DIR]
    python scripts/bench_score.py --memory-series 100000,1000000,5000000 [--unique]
    python scripts/bench_score.py --stages [--rows N] [--unique]   # CPU per stage, in process
    python scripts/bench_score.py --mixed [--rows 100000] [--repeat 3] [--baseline ../main/src]

Replicates sentiment/waimai_10k.csv's reviews to --rows rows (a CSV in a temp
folder; with --unique each copy gets a distinct suffix such as " 第12345单", so
no cache of repeated texts helps), runs `koubei score` on it in a child process (read, normalize,
segment, embed, classify, write Parquet) and reports reviews/s and the child's
peak RSS; then, in this process, plain `jieba.lcut` over the same texts
(default dictionary, no koubei) for the segmentation-only speed. Results are
printed and written to scripts/results/bench_score.json.

--memory-series N1,N2,... instead scores a dump of each size to Parquet
(streaming, the default --chunksize) and records seconds, reviews/s, the
largest process's peak RSS (getrusage of the children: the `koubei score`
process or one of its workers) and the peak of the whole process tree's
PSS (proportional set size: shared pages split between the processes that
share them), sampled every 0.2 s from /proc; written to
scripts/results/bench_score_scale.json.

--mixed instead scores --rows distinct real reviews (no text repeated, no
suffix): every distinct text of online_shopping, waimai, hotel and the hotpot
reviews, topped up with cosmetics reviews and car-forum comments when --rows
asks for more, shuffled with a fixed seed. `koubei score` runs end to end in a
child process (default options: one worker per core, Parquet) --repeat times,
alternating with plain `jieba.lcut` over the same texts in this process; the
medians, their ratio, the largest process's peak RSS, and the start-up times
(`import koubei`, `koubei --help`, `koubei score --help`; median of 5 child
runs each) go to scripts/results/bench_score_mixed.json. With --baseline SRC
(another checkout's src, e.g. main's) that checkout's `koubei score` runs too,
in the same turns (this, baseline, jieba; repeated), so that both meet the same
load on a shared machine; its figures go under "baseline".
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from koubei.corpora import SENTIMENT_FILES, UNLABELLED_FILES, find_corpora

#: --mixed: the issue's four sources first, then the top-ups, file -> text column
MIXED_SOURCES = {
    SENTIMENT_FILES["shopping"]: "review", SENTIMENT_FILES["waimai"]: "review",
    SENTIMENT_FILES["hotel"]: "review", "timed/meituan_wuhan_hotpot_reviews.csv": "review",
    **{k: v for k, v in UNLABELLED_FILES.items() if "cosmetics" in k},
    "aspects/bdci2018_car_topics.csv": "content",
}


def make_dump(data: Path, rows: int, folder: Path, unique: bool = False) -> tuple[Path, list[str]]:
    src = pd.read_csv(data / SENTIMENT_FILES["waimai"], dtype=str).dropna(subset=["review"])
    texts = src["review"].tolist()
    reps = -(-rows // len(texts))
    big = (texts * reps)[:rows]
    if unique:  # defeat every cache of repeated texts: each copy gets its own number
        big = [f"{t} 第{i}单" for i, t in enumerate(big)]
    path = folder / f"waimai_x{rows}.csv"
    pd.DataFrame({"评论内容": big}).to_csv(path, index=False)
    return path, big


def write_dump(texts: list[str], rows: int, path: Path, unique: bool = False) -> Path:
    """Replicate ``texts`` to ``rows`` rows of a CSV, written in blocks (the list is never built)."""
    block = 100_000
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("评论内容\n")
        for start in range(0, rows, block):
            idx = range(start, min(rows, start + block))
            col = [texts[i % len(texts)] + (f" 第{i}单" if unique else "") for i in idx]
            pd.DataFrame({"评论内容": col}).to_csv(handle, index=False, header=False)
    return path


# Runs the command and prints its tree's largest peak RSS (kB) and CPU seconds (all processes).
_RUSAGE_WRAPPER = ("import resource, subprocess, sys; rc = subprocess.call(sys.argv[1:]); "
                   "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
                   "print(u.ru_maxrss, u.ru_utime + u.ru_stime, file=sys.stderr); sys.exit(rc)")


def run_score(dump: Path, out: Path, extra: list[str] | None = None,
              env: dict[str, str] | None = None) -> dict[str, float]:
    cmd = [sys.executable, "-m", "koubei.cli", "score", str(dump), "-o", str(out), "-q", "--overwrite",
           *(extra or [])]
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as log:  # a file, not a pipe: a full pipe would block the child
        proc = subprocess.Popen([sys.executable, "-c", _RUSAGE_WRAPPER, *cmd],
                                stdout=subprocess.DEVNULL, stderr=log, env=env)
        tree_peak = sample_tree_pss(proc)
        wall = time.perf_counter() - t0
        log.seek(0)
        err = log.read().decode(errors="replace")
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, cmd, stderr=err)
    rss_kb, cpu = int(err.split()[-2]), float(err.split()[-1])
    return {"seconds": round(wall, 2), "cpu_seconds": round(cpu, 2), "peak_rss_mb": round(rss_kb / 1024, 1),
            "peak_tree_pss_mb": round(tree_peak / 1024, 1)}


def sample_tree_pss(proc: subprocess.Popen[bytes], every: float = 0.2) -> int:
    """Wait for ``proc``; return the peak PSS (kB) of it and its descendants, 0 off Linux."""
    return sample_peaks(proc, every)[0]


def sample_peaks(proc: subprocess.Popen[bytes], every: float = 0.2) -> tuple[int, int]:
    """Wait for ``proc``; return the peak PSS (kB) of it with its descendants, and of it alone."""
    tree = own = 0
    while proc.poll() is None:
        pss = [_pss_kb(p) for p in _tree(proc.pid)]
        tree, own = max(tree, sum(pss)), max(own, pss[0])
        time.sleep(every)
    return tree, own


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            with contextlib.suppress(OSError):  # the process has just ended
                todo.extend(int(c) for c in task.read_text().split())
    return out


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def memory_series(data: Path, sizes: list[int], unique: bool, keep: str | None, out: str) -> int:
    src = pd.read_csv(data / SENTIMENT_FILES["waimai"], dtype=str).dropna(subset=["review"])
    texts = src["review"].tolist()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for rows in sizes:
            dump = write_dump(texts, rows, folder / f"waimai_x{rows}.csv", unique)
            res = run_score(dump, folder / f"scored_{rows}.parquet")
            res.update(rows=rows, reviews_per_s=round(rows / res["seconds"]),
                       dump_mb=round(dump.stat().st_size / 2**20, 1))
            runs.append(res)
            print(json.dumps(res), flush=True)
            dump.unlink()
    result = {
        "command": "python scripts/bench_score.py " + " ".join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "unique_texts": unique, "output": "parquet, streaming (default --chunksize), 2 workers",
        "runs": runs,
    }
    Path(out).write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(json.dumps(result, indent=1))
    return 0


def stage_split(dump: Path, rows: int, model_path: str | None) -> dict[str, object]:
    """CPU seconds of each stage of one in-process streaming run (``workers=1``) over ``dump``.

    Parent-side stages (read + annotate, output columns, Parquet, summary) run once per
    row; the predict stages once per distinct text of a chunk (what the worker
    processes do with ``--workers N``).
    """
    from koubei.io import reader
    from koubei.model import review_model
    from koubei.scoring import ParquetSink, SummaryCounts, score_file

    spent: dict[str, float] = {}

    def timed(owner: object, name: str, key: str) -> None:
        inner = getattr(owner, name)

        def wrapper(*a: object, **k: object) -> object:
            t0 = time.process_time()
            try:
                return inner(*a, **k)
            finally:
                spent[key] = spent.get(key, 0.0) + time.process_time() - t0
        setattr(owner, name, wrapper)

    timed(review_model, "prepare_many", "predict: normalize, segment, clauses (prepare_many)")
    timed(review_model, "predict_docs", "predict: embed and classify (predict_docs)")
    timed(review_model.ReviewModel, "score", "model.score (predict + output columns)")
    timed(ParquetSink, "write", "Parquet write")
    timed(SummaryCounts, "of", "summary counts")
    chunks = reader.ReviewReader.__iter__

    def read(self: object) -> object:
        it = chunks(self)  # type: ignore[arg-type]
        while True:
            t0 = time.process_time()
            chunk = next(it, None)
            spent["read + annotate"] = spent.get("read + annotate", 0.0) + time.process_time() - t0
            if chunk is None:
                return
            yield chunk
    reader.ReviewReader.__iter__ = read  # type: ignore[method-assign]
    from koubei import load_model

    t0 = time.process_time()
    model = load_model(model_path)
    spent["load model"] = time.process_time() - t0
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.process_time()
        score_file(dump, Path(tmp) / "out.parquet", model=model, workers=1)
        total = time.process_time() - t0
    predict = spent["predict: normalize, segment, clauses (prepare_many)"] + \
        spent["predict: embed and classify (predict_docs)"]
    rest = spent.pop("model.score (predict + output columns)") - predict
    spent["model.score: output columns and the rest"] = rest
    whole = total + spent["load model"]
    stages = {k: {"cpu_s": round(v, 2), "us_per_row": round(1e6 * v / rows, 1),
                  "share": round(v / whole, 3)} for k, v in spent.items()}
    return {"command": "python scripts/bench_score.py " + " ".join(sys.argv[1:]), "rows": rows,
            "cpu_s_load_and_score_file": round(whole, 2), "stages": stages}


def mixed_texts(data: Path, rows: int, seed: int = 0) -> tuple[list[str], dict[str, int]]:
    """``rows`` distinct real review texts (see --mixed), shuffled; and how many came from each file.

    Raises:
        SystemExit: the corpora hold fewer distinct texts than ``rows``.
    """
    source: dict[str, str] = {}  # text -> the first file it is in, files in MIXED_SOURCES order
    for rel, col in MIXED_SOURCES.items():
        s = pd.read_csv(data / rel, usecols=[col], dtype={col: str})[col].dropna()
        for t in s[s.str.strip() != ""]:
            source.setdefault(t, rel)
    if len(source) < rows:
        raise SystemExit(f"only {len(source)} distinct texts in the corpora; ask for fewer --rows")
    picked = list(source)[:rows]  # the four named sources whole, then as many top-ups as needed
    texts = [picked[i] for i in np.random.default_rng(seed).permutation(rows)]
    by_source: dict[str, int] = {}
    for t in texts:
        by_source[source[t]] = by_source.get(source[t], 0) + 1
    return texts, by_source


def startup_times(runs: int = 5, env: dict[str, str] | None = None) -> dict[str, float]:
    """Median wall seconds of ``import koubei``, ``koubei --help`` and ``koubei score --help`` (children)."""
    cmds = {"import_koubei_s": ["-c", "import koubei"], "koubei_help_s": ["-m", "koubei.cli", "--help"],
            "koubei_score_help_s": ["-m", "koubei.cli", "score", "--help"]}
    out = {}
    for name, args in cmds.items():
        times = []
        for _ in range(runs + 1):  # the first run warms the file cache and is not counted
            t0 = time.perf_counter()
            subprocess.run([sys.executable, *args], check=True, stdout=subprocess.DEVNULL, env=env)
            times.append(time.perf_counter() - t0)
        out[name] = round(float(np.median(times[1:])), 3)
    return out


def mixed_bench(data: Path, rows: int, repeat: int, extra: list[str], keep: str | None,
                baseline: str | None = None) -> dict[str, Any]:
    """--mixed: ``koubei score`` end to end and plain jieba on the same distinct texts, in turn; with
    ``baseline`` (another checkout's ``src``), its ``koubei score`` too, in the same turns."""
    texts, by_source = mixed_texts(data, rows)
    envs: dict[str, dict[str, str] | None] = {"koubei": None}
    if baseline:
        envs["baseline"] = {**os.environ, "PYTHONPATH": str(Path(baseline).resolve())}
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in envs}
    jieba_s = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        dump = folder / f"mixed_{rows}.csv"
        pd.DataFrame({"评论内容": texts}).to_csv(dump, index=False)
        jieba_only(texts[:2000])  # load jieba's dictionary once, outside the timings
        for _ in range(repeat):
            for name, env in envs.items():
                runs[name].append(run_score(dump, folder / "scored.parquet", extra, env))
            jieba_s.append(jieba_only(texts))
    seg = float(np.median(jieba_s))
    res: dict[str, Any] = {"rows": rows, "distinct_texts": len(set(texts)), "texts_by_source": by_source,
                           "mean_chars": round(float(np.mean([len(t) for t in texts])), 1),
                           "jieba_lcut_seconds": round(seg, 2), "jieba_lcut_reviews_per_s": round(rows / seg)}
    for name, env in envs.items():
        part = _score_figures(runs[name], rows, seg)
        part["startup"] = startup_times(env=env)
        if name == "koubei":
            res.update(part)
        else:
            res["baseline"] = {"koubei": _koubei_source(baseline), **part}
    res["jieba_lcut_runs_seconds"] = [round(j, 2) for j in jieba_s]
    return res


def _score_figures(runs: list[dict[str, float]], rows: int, jieba_seconds: float) -> dict[str, Any]:
    """Medians of ``run_score``'s runs as the results file names them, and the ratio to jieba."""
    med = {k: float(np.median([r[k] for r in runs])) for k in runs[0]}
    rate = rows / med["seconds"]
    return {"koubei_score_seconds": round(med["seconds"], 2), "koubei_score_reviews_per_s": round(rate),
            "koubei_score_cpu_seconds": round(med["cpu_seconds"], 2),
            "koubei_score_peak_rss_mb": round(med["peak_rss_mb"], 1),
            "koubei_score_peak_tree_pss_mb": round(med["peak_tree_pss_mb"], 1),
            "ratio_score_to_jieba": round(rate / (rows / jieba_seconds), 3), "runs": runs}


def _koubei_source(src: str | None = None) -> str:
    """Where koubei comes from (this process's, or the checkout of ``src``), with its git commit."""
    import koubei

    root = Path(src).resolve().parent if src else Path(koubei.__file__).resolve().parents[2]
    try:
        rev = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], check=True,
                             capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "src"], check=True,
                               capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return str(root)
    return f"{root} @ {rev}{' (+ uncommitted changes)' if dirty else ''}"


def _machine() -> str:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() \
        else platform.processor()
    return f"{platform.machine()}, {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"


def jieba_only(texts: list[str]) -> float:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    t0 = time.perf_counter()
    for t in texts:
        jieba.lcut(t)
    return time.perf_counter() - t0


def snownlp_compare(data: Path, n: int) -> dict[str, object]:
    """SnowNLP's sentiment and koubei's model.score on the same n waimai reviews, one process each in turn.

    Both are timed after loading (koubei: model loaded and warmed on other texts; SnowNLP:
    its first call loads its model, so it is warmed the same way). Speed only: koubei's
    sentiment model was trained on these reviews, so no accuracy is compared here.
    """
    from snownlp import SnowNLP

    from koubei import load_model

    src = pd.read_csv(data / SENTIMENT_FILES["waimai"], dtype=str).dropna(subset=["review"])
    texts = src["review"].drop_duplicates().sample(n=n + 50, random_state=0).tolist()
    warm, texts = texts[:50], texts[50:]
    model = load_model()
    model.score(warm, workers=1)
    t0 = time.perf_counter()
    model.score(texts, workers=1)
    koubei_s = time.perf_counter() - t0
    _ = [SnowNLP(t).sentiments for t in warm]
    t0 = time.perf_counter()
    _ = [SnowNLP(t).sentiments for t in texts]
    snow_s = time.perf_counter() - t0
    return {"reviews": n, "koubei_score_1_process_reviews_per_s": round(n / koubei_s),
            "snownlp_sentiments_reviews_per_s": round(n / snow_s),
            "ratio_koubei_to_snownlp": round(snow_s / koubei_s, 2)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--data-dir")
    ap.add_argument("--keep", help="folder to keep the generated dump and output in")
    ap.add_argument("--unique", action="store_true",
                    help="make every replicated text distinct (no cache hits on repeats)")
    ap.add_argument("--out", help="result file (default: scripts/results/bench_score.json, "
                    "or bench_score_scale.json with --memory-series)")
    ap.add_argument("--memory-series", help="comma-separated dump sizes, e.g. 100000,1000000,5000000: "
                    "seconds and peak memory of streaming scoring to Parquet for each")
    ap.add_argument("--model", help="model bundle for koubei score (default: the bundled one)")
    ap.add_argument("--stages", action="store_true",
                    help="instead: CPU seconds per stage of one in-process run (1 worker) of the dump")
    ap.add_argument("--mixed", action="store_true",
                    help="instead: --rows distinct real reviews of the corpora, score vs jieba, "
                    "to scripts/results/bench_score_mixed.json")
    ap.add_argument("--repeat", type=int, default=3, help="with --mixed: runs of each (medians reported)")
    ap.add_argument("--baseline", metavar="SRC",
                    help="with --mixed: another checkout's src folder (e.g. main's), whose koubei score "
                    "runs in the same turns, so both meet the same machine load")
    ap.add_argument("--snownlp", type=int, default=0, metavar="N",
                    help="compare speed with SnowNLP's sentiment on N waimai reviews (pip install snownlp)")
    args = ap.parse_args(argv)
    data = find_corpora(args.data_dir)
    results = Path(__file__).parent / "results"
    if args.snownlp:
        res = {"command": "python scripts/bench_score.py " + " ".join(argv or sys.argv[1:]),
               "date": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
               **snownlp_compare(data, args.snownlp)}
        target = Path(args.out or results / "bench_snownlp.json")
        target.write_text(json.dumps(res, indent=1), encoding="utf-8")
        print(json.dumps(res, indent=1))
        return 0
    if args.memory_series:
        sizes = [int(x) for x in args.memory_series.split(",") if x.strip()]
        return memory_series(data, sizes, args.unique, args.keep,
                             args.out or str(results / "bench_score_scale.json"))
    extra = ["--model", args.model] if args.model else []
    if args.mixed:
        load_before = os.getloadavg()[0]
        res = {"command": "python scripts/bench_score.py " + " ".join(argv or sys.argv[1:]),
               "date": time.strftime("%Y-%m-%d %H:%M"), "machine": _machine(), "koubei": _koubei_source(),
               **mixed_bench(data, args.rows, args.repeat, extra, args.keep, args.baseline),
               "load_average_1min_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)]}
        target = Path(args.out or results / "bench_score_mixed.json")
        target.write_text(json.dumps(res, indent=1, ensure_ascii=False), encoding="utf-8")
        print(json.dumps(res, indent=1, ensure_ascii=False))
        return 0
    if args.stages:
        with tempfile.TemporaryDirectory() as tmp:
            dump, _ = make_dump(data, args.rows, Path(args.keep or tmp), args.unique)
            res = stage_split(dump, args.rows, args.model)
        print(json.dumps(res, indent=1, ensure_ascii=False))
        return 0
    args.out = args.out or str(results / "bench_score.json")
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        dump, texts = make_dump(data, args.rows, folder, args.unique)
        score = run_score(dump, folder / "scored.parquet", extra)
    load_after = os.getloadavg()[0]
    seg = jieba_only(texts)
    res = {
        "command": "python scripts/bench_score.py " + " ".join(argv or sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "rows": args.rows, "unique_texts": args.unique,
        "koubei_score_seconds": score["seconds"],
        "koubei_score_reviews_per_s": round(args.rows / score["seconds"]),
        "koubei_score_cpu_seconds": score["cpu_seconds"],
        "koubei_score_peak_rss_mb": score["peak_rss_mb"],
        "load_average_1min_before_after": [round(load_before, 2), round(load_after, 2)],
        "jieba_lcut_seconds": round(seg, 2),
        "jieba_lcut_reviews_per_s": round(args.rows / seg),
    }
    ratio = res["koubei_score_reviews_per_s"] / res["jieba_lcut_reviews_per_s"]
    res["ratio_score_to_jieba"] = round(ratio, 3)
    Path(args.out).write_text(json.dumps(res, indent=1), encoding="utf-8")
    print(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
