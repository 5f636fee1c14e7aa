"""Throughput and memory of end-to-end `koubei score`, next to plain jieba.

    python scripts/bench_score.py [--rows 100000] [--data-dir DIR] [--keep DIR]

Replicates sentiment/waimai_10k.csv's reviews to --rows rows (a CSV in a temp
folder; with --unique each copy gets a distinct suffix such as " 第12345单", so
no cache of repeated texts helps), runs `koubei score` on it in a child process (read, normalize,
segment, embed, classify, write Parquet) and reports reviews/s and the child's
peak RSS; then, in this process, plain `jieba.lcut` over the same texts
(default dictionary, no koubei) for the segmentation-only speed. Results are
printed and written to scripts/results/bench_score.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from koubei.datasets import SENTIMENT_FILES, find_corpora


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


def run_score(dump: Path, out: Path) -> dict[str, float]:
    cmd = [sys.executable, "-m", "koubei.cli", "score", str(dump), "-o", str(out), "-q", "--overwrite"]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"seconds": round(wall, 2), "peak_rss_mb": round(rss_kb / 1024, 1)}


def jieba_only(texts: list[str]) -> float:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    t0 = time.perf_counter()
    for t in texts:
        jieba.lcut(t)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--data-dir")
    ap.add_argument("--keep", help="folder to keep the generated dump and output in")
    ap.add_argument("--unique", action="store_true",
                    help="make every replicated text distinct (no cache hits on repeats)")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "bench_score.json"))
    args = ap.parse_args(argv)
    data = find_corpora(args.data_dir)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        dump, texts = make_dump(data, args.rows, folder, args.unique)
        score = run_score(dump, folder / "scored.parquet")
    seg = jieba_only(texts)
    res = {
        "command": "python scripts/bench_score.py " + " ".join(argv or sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "rows": args.rows, "unique_texts": args.unique,
        "koubei_score_seconds": score["seconds"],
        "koubei_score_reviews_per_s": round(args.rows / score["seconds"]),
        "koubei_score_peak_rss_mb": score["peak_rss_mb"],
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
