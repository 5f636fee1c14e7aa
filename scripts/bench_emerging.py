"""Planted-burst benchmark of `koubei emerging` on real timed reviews.

    python scripts/bench_emerging.py [--data-dir DIR] [--scenarios 24] [--seed 7]
    python scripts/bench_emerging.py --scale 1000000     # time `koubei emerging` on 1 M scored rows

The stream: the 23.6k Meituan reviews with text of 21 Wuhan hotpot shops
(timed/meituan_wuhan_hotpot_reviews.csv, 2014-2021), scored by the shipped
model, grouped by shop. A scenario injects k extra complaints of one topic
(k = 5, 10, 15, 25, 40) into one shop within one window (weekly and monthly
windows), runs detection on the windows w, w+1, w+2 with the default
EmergingConfig, and records:

- detected: an issue of that topic in w..w+2 (any cell);
- delay: windows from w to the first such issue;
- attribution: that issue points at the injected shop (its cell, or the top
  value of its trace over shop_id);
- precision: the share of all issues in those windows that point at the
  injected shop (an injected review often names a second topic too, and that
  rise is real); ``precision_same_topic`` counts only issues of the planted topic.

False alarms: detection over every window of the clean stream, issues per
200 key-windows tested (a key-window = one complaint key in one cell with at
least one review in the window). Real streams have real bursts, so this
counts them too: it is an upper bound on the false-alarm rate.

Injected reviews are real negative reviews, each used once across all
scenarios: the hand-labelled gold reviews with that topic negative (the
hotpot ones excluded, they are in the stream already) and negative reviews
(label 0) of sentiment/*.csv that the model tags with that topic. They are
scored by the same model, so a gold review the model misses does not count
toward the burst -- recall includes the classifier's misses.
Results go to scripts/results/bench_emerging.json.

``--scale N``: the scored demo dump replicated to N rows (ids made unique,
times spread over 104 weeks, its 4 suppliers x 8 products), written as
Parquet, then `koubei emerging --by supplier,product` timed in a child
process with and without new-kind clustering (scripts/results/bench_emerging_scale.json).
With ``--parts K`` the same rows are also written as a folder of K Parquet
parts and `koubei emerging DIR --engine dask --workers W` is timed (a local
cluster of W worker processes, started by the command and counted in its
time); both engines write their issue table and the two are compared. The
peak PSS of the `koubei` process itself (the client, which never holds the
dataset on the Dask engine) is sampled every 0.1 s from /proc, beside the
whole tree's (:func:`bench_score.sample_peaks`).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from koubei.aggregate.windows import window_label, window_range, window_start
from koubei.datasets import find_corpora, load_gold, load_sentiment
from koubei.detect.emerging import EmergingConfig, find_emerging
from koubei.model.review_model import TOPIC_PREFIX, load_model

HOTPOT = "timed/meituan_wuhan_hotpot_reviews.csv"
TOPICS = ("taste", "service_attitude", "hygiene_safety", "price_value", "portion_size", "freshness_quality")
KS = (5, 10, 15, 25, 40)
CACHE = Path.home() / ".cache" / "koubei-bench"


def scored_stream(data: Path, model) -> pd.DataFrame:  # noqa: ANN001
    digest = "".join(sorted(model.manifest["files"].values()))[:16]
    cache = CACHE / f"hotpot-{digest}.parquet"
    if cache.exists():
        return pd.read_parquet(cache)
    raw = pd.read_csv(data / HOTPOT, dtype=str).dropna(subset=["review"])
    frame = raw[["id", "shop_id", "shop_area", "review", "review_time"]]
    out = model.score(frame, text_col="review", time_col="review_time", id_col="id")
    cache.parent.mkdir(parents=True, exist_ok=True)
    out.attrs.clear()
    out.to_parquet(cache)
    return out


def injection_pools(data: Path, model, stream_texts: set[str], seed: int) -> dict[str, pd.DataFrame]:  # noqa: ANN001
    """Per topic, scored real negative reviews of that topic, shuffled, never in the stream."""
    gold = [g for g in load_gold(data) if g.source != "hotpot" and g.text not in stream_texts]
    sent = load_sentiment(data)
    sent = sent[(sent["label"] == 0) & ~sent["text"].isin(stream_texts)]
    sent = sent.sample(n=min(len(sent), 20000), random_state=seed)
    texts = [g.text for g in gold] + sent["text"].tolist()
    truth = [{t for t, p in g.topics.items() if p == "neg"} for g in gold] + [None] * len(sent)
    scored = model.score(pd.Series(texts, name="text"))
    scored["_truth"] = truth
    scored = scored[scored["status"] == "ok"].drop_duplicates("text")
    rng = np.random.default_rng(seed)
    pools, used = {}, set()
    for topic in TOPICS:
        tagged = scored[TOPIC_PREFIX + topic].eq("neg").fillna(False)
        is_gold = scored["_truth"].notna()
        in_gold = is_gold & scored["_truth"].map(lambda s, t=topic: bool(s) and t in s)
        pick = scored[(in_gold | (~is_gold & tagged)) & ~scored.index.isin(list(used))]
        used.update(pick.index)
        pools[topic] = pick.iloc[rng.permutation(len(pick))].drop(columns="_truth")
    return pools


def inject(stream: pd.DataFrame, pool: pd.DataFrame, k: int, shop: str, area: str,
           start: pd.Timestamp, end: pd.Timestamp, rng: np.random.Generator, tag: str) -> pd.DataFrame:
    rows = pool.iloc[:k].copy()
    span = (end - start).total_seconds()
    rows["time"] = [start + pd.Timedelta(seconds=float(s)) for s in rng.uniform(0, span - 1, k)]
    rows["shop_id"], rows["shop_area"] = shop, area
    rows["review_id"] = [f"{tag}-{i}" for i in range(k)]
    rows["flags"] = ""
    return pd.concat([stream, rows[stream.columns.intersection(rows.columns)]], ignore_index=True)


def points_at(issue: pd.Series, shop: str) -> bool:
    if json.loads(issue["cell"]).get("shop_id") == shop:
        return True
    shops = [e for e in json.loads(issue["trace"]) if e["column"] == "shop_id"]
    return bool(shops) and shops[0]["value"] == shop


def candidates(stream: pd.DataFrame, freq: str, cfg: EmergingConfig) -> list[tuple[str, int]]:
    """(shop, window index) pairs with enough history before and two windows after."""
    starts = window_start(stream["time"], freq)
    index = window_range(starts.min(), starts.max(), freq)
    pos = index.get_indexer(pd.DatetimeIndex(starts))
    out = []
    for shop, p in pd.Series(pos).groupby(stream["shop_id"].to_numpy()):
        first, last = int(p.min()), int(p.max())
        out += [(str(shop), w) for w in range(first + cfg.baseline_windows, min(last, len(index) - 3) + 1)]
    return out


def run_scenarios(stream: pd.DataFrame, pools: dict[str, pd.DataFrame], freq: str, n: int,
                  cfg: EmergingConfig, rng: np.random.Generator) -> list[dict[str, object]]:
    cands = candidates(stream, freq, cfg)
    starts = window_start(stream["time"], freq)
    index = window_range(starts.min(), starts.max(), freq)
    area_of = stream.groupby("shop_id")["shop_area"].first().to_dict()
    results = []
    for k in KS:
        for s in range(n):
            order = [TOPICS[(s + i) % len(TOPICS)] for i in range(len(TOPICS))]
            topic = next((t for t in order if len(pools[t]) >= k), None)
            if topic is None:
                continue
            pool = pools[topic]
            shop, w = cands[int(rng.integers(len(cands)))]
            start, end = index[w], index[w + 1]
            planted = inject(stream, pool, k, shop, area_of[shop], start, end, rng, f"inj-{freq}-{k}-{s}")
            pools[topic] = pool.iloc[k:]
            labels = [str(window_label(index[i], freq)) for i in (w, w + 1, w + 2)]
            res = find_emerging(planted, freq=freq, by=["shop_id"], windows=labels, config=cfg,
                                trace_extra=("shop_id",))
            results.append(score_run(res.issues, topic, shop, labels, k, freq))
    return results


def score_run(issues: pd.DataFrame, topic: str, shop: str, labels: list[str], k: int,
              freq: str) -> dict[str, object]:
    hits = issues[issues["topic"] == topic]
    out: dict[str, object] = {"k": k, "freq": freq, "topic": topic, "shop": shop,
                              "issues": len(issues), "detected": bool(len(hits))}
    if len(hits):
        first = hits.iloc[0]
        out["delay"] = labels.index(first["window"])
        at = hits[hits["window"] == first["window"]]
        out["attributed"] = bool(any(points_at(r, shop) for _, r in at.iterrows()))
    out["true_issues"] = int(sum(points_at(r, shop) for _, r in hits.iterrows()))
    out["at_shop"] = int(sum(points_at(r, shop) for _, r in issues.iterrows()))
    return out


def false_alarms(stream: pd.DataFrame, freq: str, cfg: EmergingConfig) -> dict[str, float]:
    res = find_emerging(stream, freq=freq, by=["shop_id"], windows="all", config=cfg,
                        trace_extra=("shop_id",))
    n = len(res.issues)
    return {"issues": n, "key_windows": res.tested, "per_200": round(200 * n / max(res.tested, 1), 3)}


def summarize(results: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    df = pd.DataFrame(results)
    out = {}
    for (freq, k), g in df.groupby(["freq", "k"]):
        det = g[g["detected"]]
        out[f"{freq}/k={k}"] = {
            "scenarios": len(g), "recall": round(float(g["detected"].mean()), 3),
            "precision": round(float(g["at_shop"].sum() / max(g["issues"].sum(), 1)), 3),
            "precision_same_topic": round(float(g["true_issues"].sum() / max(g["issues"].sum(), 1)), 3),
            "median_delay": float(det["delay"].median()) if len(det) else None,
            "attribution_top1": round(float(det["attributed"].mean()), 3) if len(det) else None,
        }
    return out


def timed(cmd: list[str]) -> dict[str, float]:
    """Run ``cmd``; its wall time, and the peak PSS (MB) of it alone and of it with its children."""
    import subprocess

    from bench_score import sample_peaks  # scripts/ is on sys.path when this script runs

    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    tree, own = sample_peaks(proc, every=0.1)
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}")
    return {"seconds": round(time.perf_counter() - t0, 1), "peak_pss_mb": round(own / 1024, 1),
            "peak_tree_pss_mb": round(tree / 1024, 1)}


def scale(rows: int, seed: int, parts: int = 0, workers: int = 2) -> dict[str, object]:
    import resource
    import subprocess
    import tempfile

    from koubei.demo import demo_dump_path

    model = load_model()
    base = model.score(__import__("koubei").read_reviews(demo_dump_path()))
    base.attrs.clear()
    rng = np.random.default_rng(seed)
    reps = -(-rows // len(base))
    big = pd.concat([base] * reps, ignore_index=True).iloc[:rows]
    big["review_id"] = [f"s{i}" for i in range(rows)]
    start = pd.Timestamp("2024-12-02", tz="Asia/Shanghai")
    big["time"] = start + pd.to_timedelta(rng.uniform(0, 104 * 7 * 86400, rows), unit="s")
    out: dict[str, object] = {"rows": rows}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.parquet"
        big.to_parquet(path)
        for label, extra in (("with_novel", []), ("no_novel", ["--no-novel"])):
            cmd = [sys.executable, "-m", "koubei.cli", "emerging", str(path), "--by", "supplier,product",
                   "-q", *extra]
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            out[f"{label}_seconds"] = round(time.perf_counter() - t0, 1)
        out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
        if parts:
            folder = Path(tmp) / "parts"
            folder.mkdir()
            for i, chunk in enumerate(np.array_split(np.arange(rows), parts)):
                big.iloc[chunk].to_parquet(folder / f"part-{i:05d}.parquet")
            common = ["--by", "supplier,product", "-q", "--no-novel"]
            local_csv, dask_csv = Path(tmp) / "local.csv", Path(tmp) / "dask.csv"
            cli = [sys.executable, "-m", "koubei.cli", "emerging"]
            out["local_no_novel"] = timed([*cli, str(path), *common, "-o", str(local_csv)])
            out["dask_no_novel"] = timed([*cli, str(folder), *common, "-o", str(dask_csv),
                                          "--engine", "dask", "--workers", str(workers)])
            a, b = pd.read_csv(local_csv), pd.read_csv(dask_csv)
            out["dask"] = {"parts": parts, "workers": workers, "issues": len(a),
                           "same_issue_table": bool(a.equals(b))}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--scenarios", type=int, default=24, help="scenarios per k and frequency")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "bench_emerging.json"))
    ap.add_argument("--scale", type=int, default=0, help="time emerging on this many scored rows instead")
    ap.add_argument("--parts", type=int, default=0,
                    help="with --scale: also time --engine dask on the rows cut into this many Parquet parts")
    ap.add_argument("--workers", type=int, default=2, help="with --parts: local Dask worker processes")
    args = ap.parse_args(argv)
    if args.scale:
        res = scale(args.scale, args.seed, args.parts, args.workers)
        res["machine"] = f"{platform.machine()} {platform.system()}, Python {platform.python_version()}"
        res["date"] = time.strftime("%Y-%m-%d")
        res["command"] = f"python scripts/bench_emerging.py --scale {args.scale}" + (
            f" --parts {args.parts} --workers {args.workers}" if args.parts else "")
        target = Path(args.out).with_name("bench_emerging_scale_dask.json" if args.parts
                                          else "bench_emerging_scale.json")
        target.write_text(json.dumps(res, ensure_ascii=False, indent=2) + "\n")
        print(json.dumps(res, ensure_ascii=False, indent=1))
        return 0
    data = find_corpora(args.data_dir)
    model = load_model()
    t0 = time.perf_counter()
    stream = scored_stream(data, model)
    pools = injection_pools(data, model, set(stream["text"].astype(str)), args.seed)
    prep = time.perf_counter() - t0
    cfg = EmergingConfig()
    rng = np.random.default_rng(args.seed)
    machine = f"{platform.machine()} {platform.system()}, Python {platform.python_version()}"
    command = "python scripts/bench_emerging.py " + " ".join(argv or sys.argv[1:])
    report: dict[str, object] = {"command": command.strip(), "machine": machine,
                                 "date": time.strftime("%Y-%m-%d"),
                                 "config": cfg.__dict__, "pool_sizes": {t: len(p) for t, p in pools.items()},
                                 "prepare_seconds": round(prep, 1)}
    results = []
    for freq in ("W", "M"):
        t1 = time.perf_counter()
        report[f"false_alarms_{freq}"] = false_alarms(stream, freq, cfg)
        results += run_scenarios(stream, pools, freq, args.scenarios, cfg, rng)
        report[f"seconds_{freq}"] = round(time.perf_counter() - t1, 1)
    report["by_k"] = summarize(results)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n")
    shown = {k: v for k, v in report.items() if k != "config"}
    print(json.dumps(shown, ensure_ascii=False, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
