"""Time `koubei train` on 1,000 labelled reviews, and check topics across domains.

    python scripts/bench_train.py [--data-dir DIR] [--rows 1000] [--repeats 2] [--folds 5]
                                  [--base models/default | --base none] [--sizes 1000,2000,4000,0]
                                  [--workers N]
                                  [--cross-folds 3] [--skip-cross] [--out scripts/results/bench_train.json]

Timing: --rows gold reviews (labels/gold_topics_train.jsonl of ../shared/corpora,
deduplicated on normalized text, a seeded random sample) are written as a
tabular label CSV (``id,text,sentiment,topics,taste_detail``) to a temporary
folder that is deleted afterwards (gold data is never written into the
project), then ``python -m koubei.cli train LABELS -o DIR --base models/default
--folds K --quiet`` runs in a child process, --repeats times. Recorded: wall
seconds (Python start, imports, reading the labels, training with k-fold
cross-validation, writing the bundle), the CPU seconds of the child and its
fold workers (user + sys; on a machine shared with other jobs wall time
overstates what an idle machine takes), the largest peak RSS of those processes
(``koubei train`` fits the folds on one worker per core, --workers' default;
each worker's peak is counted alone, and what it shares with the parent after
the fork is counted in both), and the training seconds the bundle's manifest
reports.
Target: <= 60 s on 1,000 labels; <= 300 s on the whole file (--rows 0).
--sizes: one timed run at each label count, and whether time grows no worse
than linearly with labels: wall seconds ~ labels ** k with k <= 1.1, k the least-squares
slope over all sizes on log scales (each step's ratio is recorded too; one size: not measured).
--base none: `koubei train` without a base (vocabulary and sentiment learnt
from the labels), as a user with only their labels runs it.

Cross-domain: for each source (waimai, hotpot, hotel, and shopping without its
酒店 category, which is hotel reviews), the same sha1 key split as
scripts/learning_curve.py (normalized text without punctuation/digits/spaces;
keys in the lowest 25 % are dev). ``train_bundle(..., base=models/default)``
on each source's train part; every bundle scores every source's dev part. The
diagonal is in-domain (held-out part of the same source), the rest is
cross-domain. Topic micro-F1 with a bootstrap sd over the dev reviews (300
resamples). The base's vocabulary was fitted on texts of all domains (no
labels) and its topic detector is re-trained, as in learning_curve.py.
Results go to --out.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from koubei.corpora import GOLD_FILE, GoldRecord, find_corpora, load_gold
from koubei.metrics import topic_metrics
from koubei.model import load_model
from koubei.model.bundle import load_components
from koubei.taxonomy import Taxonomy
from koubei.train.fit import train_bundle

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_score import _machine  # noqa: E402
from learning_curve import split_gold, text_key  # noqa: E402

T0 = time.time()
# Runs the command; prints its children's largest peak RSS (kB) and CPU seconds (user + sys) on stderr.
_RUSAGE_WRAPPER = ("import resource, subprocess, sys; rc = subprocess.call(sys.argv[1:]); "
                   "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
                   "print(u.ru_maxrss, u.ru_utime + u.ru_stime, file=sys.stderr); sys.exit(rc)")
DOMAINS = ("waimai", "hotpot", "shopping", "hotel")


def log(msg: str) -> None:
    print(f"[{time.time() - T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


def label_csv(records: list[GoldRecord], path: Path) -> Path:
    """The tabular label format of ``koubei train`` (docs/reference/label-formats.md)."""
    pd.DataFrame({
        "id": [r.id for r in records], "text": [r.text for r in records],
        "sentiment": [r.sentiment for r in records],
        "topics": [";".join(f"{t}:{p}" for t, p in r.topics.items()) for r in records],
        "taste_detail": [";".join(r.taste_detail) for r in records],
    }).to_csv(path, index=False)
    return path


def time_train(labels: Path, out: Path, base: str, folds: int, workers: int | None = None) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "koubei.cli", "train", str(labels), "-o", str(out),
           *(["--base", base] if base != "none" else []), "--folds", str(folds), "--quiet", "--overwrite",
           *(["--workers", str(workers)] if workers is not None else [])]
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _RUSAGE_WRAPPER, *cmd], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise RuntimeError(f"koubei train failed ({proc.returncode}): {proc.stderr[-2000:]}")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    cv = manifest["metrics"]["topics_cv"]
    rss_kb, cpu = proc.stderr.split()[-2:]
    return {"seconds": round(wall, 1), "cpu_seconds": round(float(cpu), 1),
            "peak_rss_mb": round(int(rss_kb) / 1024, 1),
            "train_seconds_in_manifest": manifest["training"]["seconds"],
            "cv_topic_micro_f1": cv["micro_f1"], "cv_topic_polarity_micro_f1": cv["topic_polarity_micro_f1"],
            "cv_sentiment_accuracy": cv.get("sentiment_accuracy"),
            "records": manifest["training_data"][0]["rows"],
            "warnings": [w for w in proc.stderr.splitlines() if "warning" in w][:10]}


def distinct(gold: list[GoldRecord]) -> list[GoldRecord]:
    """The gold records, one per text key (as learning_curve.py dedupes)."""
    seen, uniq = set(), []
    for r in gold:
        k = text_key(r.text) or r.text
        if k not in seen:
            seen.add(k)
            uniq.append(r)
    return uniq


def bench_time(gold: list[GoldRecord], rows: int, repeats: int, folds: int, base: str,
               workers: int | None = None) -> dict[str, Any]:
    """``koubei train`` on a seeded sample of ``rows`` distinct gold reviews (0: all), ``repeats`` times."""
    uniq = distinct(gold)
    rng = np.random.default_rng(0)
    size = len(uniq) if rows <= 0 else min(rows, len(uniq))
    sample = [uniq[i] for i in sorted(rng.choice(len(uniq), size=size, replace=False))]
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench_train_") as tmp:
        labels = label_csv(sample, Path(tmp) / f"labels_{len(sample)}.csv")
        for i in range(repeats):
            res = time_train(labels, Path(tmp) / "bundle", base, folds, workers)
            runs.append(res)
            log(f"koubei train on {len(sample)} reviews, run {i + 1}: {res['seconds']} s wall, "
                f"{res['cpu_seconds']} s CPU, {res['peak_rss_mb']} MB")
    secs = [r["seconds"] for r in runs]
    target = 60 if size <= 1000 else 300
    base_opt = f" --base {base}" if base != "none" else ""
    workers_opt = f" --workers {workers}" if workers is not None else ""
    return {"rows": len(sample), "folds": folds, "base": base, "workers": workers,
            "command": (f"python -m koubei.cli train LABELS.csv -o DIR{base_opt} --folds {folds}{workers_opt}"
                        " --quiet"),
            "runs": runs, "seconds_median": round(statistics.median(secs), 1), "seconds_min": min(secs),
            "cpu_seconds_median": round(statistics.median(r["cpu_seconds"] for r in runs), 1),
            "peak_rss_mb_max": max(r["peak_rss_mb"] for r in runs),
            "target_seconds": target, "meets_target": statistics.median(secs) <= target}


#: time grows "no worse than linearly" with labels when it grows as labels ** k with k at most this
MAX_LINEAR_EXPONENT = 1.1


def growth_exponent(rows: list[int], seconds: list[float]) -> float | None:
    """k of seconds ~ rows ** k: the least-squares slope of log(seconds) on log(rows) over every
    size (None with fewer than two sizes: nothing measured). One run per size on a machine whose
    speed drifts makes each step's ratio noisy (1.81 then 2.33 for two doublings of one run,
    unsaved); the slope reads all of them at once. It is still one run per size: two runs of the
    same code gave k = 1.06 and 1.105, so differences under about 0.05 are noise."""
    if len(rows) < 2:
        return None
    return round(float(np.polyfit(np.log(rows), np.log(seconds), 1)[0]), 3)


def bench_scaling(gold: list[GoldRecord], sizes: list[int], folds: int, base: str,
                  workers: int | None = None) -> dict[str, Any]:
    """Training time by number of labels (one run each): does it grow no worse than linearly?"""
    runs = [bench_time(gold, n, 1, folds, base, workers) for n in sizes]
    rows = [{"rows": r["rows"], "seconds": r["seconds_median"], "cpu_seconds": r["cpu_seconds_median"],
             "peak_rss_mb": r["peak_rss_mb_max"], "cv_topic_micro_f1": r["runs"][0]["cv_topic_micro_f1"],
             "cv_topic_polarity_micro_f1": r["runs"][0]["cv_topic_polarity_micro_f1"],
             "cv_sentiment_accuracy": r["runs"][0]["cv_sentiment_accuracy"]} for r in runs]
    for a, b in zip(rows, rows[1:]):
        b["seconds_ratio_vs_previous"] = round(b["seconds"] / a["seconds"], 2)
        b["rows_ratio_vs_previous"] = round(b["rows"] / a["rows"], 2)
    exponent = growth_exponent([r["rows"] for r in rows], [r["seconds"] for r in rows])
    return {"base": base, "folds": folds, "workers": workers, "command": runs[0]["command"], "sizes": rows,
            "growth_exponent": exponent, "max_linear_exponent": MAX_LINEAR_EXPONENT,
            "at_most_linear": None if exponent is None else exponent <= MAX_LINEAR_EXPONENT,
            "all_labels_seconds": rows[-1]["seconds"], "target_all_labels_seconds": 300,
            "meets_target": rows[-1]["seconds"] <= 300}


def micro_f1_boot(gold: list[dict[str, str]], pred: list[dict[str, str]], topic_ids: list[str],
                  n_boot: int = 300) -> tuple[float, float]:
    """Topic micro-F1 and its bootstrap sd over reviews."""
    tp = np.array([sum(1 for t in topic_ids if t in g and t in p) for g, p in zip(gold, pred)])
    fp = np.array([sum(1 for t in topic_ids if t not in g and t in p) for g, p in zip(gold, pred)])
    fn = np.array([sum(1 for t in topic_ids if t in g and t not in p) for g, p in zip(gold, pred)])
    rng = np.random.default_rng(0)
    boots = []
    for _ in range(n_boot):
        i = rng.integers(len(tp), size=len(tp))
        a, b, c = tp[i].sum(), fp[i].sum(), fn[i].sum()
        boots.append(2 * a / (2 * a + b + c) if a + b + c else 0.0)
    a, b, c = tp.sum(), fp.sum(), fn.sum()
    return round(float(2 * a / (2 * a + b + c)) if a + b + c else 0.0, 4), round(float(np.std(boots)), 4)


def domain_sets(data_dir: Path, gold: list[GoldRecord]) -> dict[str, list[GoldRecord]]:
    cats = {}
    with open(data_dir / GOLD_FILE, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                cats[r["id"]] = r.get("cat", "")
    return {d: [r for r in gold if r.source == d and not (d == "shopping" and cats.get(r.id) == "酒店")]
            for d in DOMAINS}


def cross_domain(data_dir: Path, gold: list[GoldRecord], taxonomy: Taxonomy, base: str,
                 folds: int) -> dict[str, Any]:
    parts = {d: split_gold(recs, 0.25) for d, recs in domain_sets(data_dir, gold).items()}
    ids = taxonomy.topic_ids
    matrix: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="cross_") as tmp:
        for src in DOMAINS:
            train = parts[src][0]
            t = time.time()
            res = train_bundle(train, taxonomy=taxonomy, output=Path(tmp) / src, base=base, seed=0,
                               folds=folds)
            model = load_model(res.path)
            row: dict[str, Any] = {"train_reviews": len(train), "train_seconds": round(time.time() - t, 1),
                                   "rule_based_topics": sorted(res.rule_based)}
            for dst in DOMAINS:
                dev = parts[dst][1]
                preds = model.predict([r.text for r in dev])
                g, p = [r.topics for r in dev], [x.topics for x in preds]
                f1, sd = micro_f1_boot(g, p, ids)
                m = topic_metrics(g, p, ids)
                row[dst] = {"micro_f1": f1, "bootstrap_sd": sd, "dev_reviews": len(dev),
                            "topic_polarity_micro_f1": m["topic_polarity_micro_f1"],
                            "in_domain": src == dst}
            matrix[src] = row
            log(f"cross-domain: trained on {src} ({len(train)}): "
                + ", ".join(f"{d} {row[d]['micro_f1']:.3f}" for d in DOMAINS))
    pairs = [("waimai", "hotpot"), ("hotpot", "waimai"), ("shopping", "hotel"), ("hotel", "shopping")]
    summary = [{"train": a, "test": b, "train_reviews": matrix[a]["train_reviews"],
                "test_source_train_reviews": matrix[b]["train_reviews"],
                "in_domain_on_test": matrix[b][b]["micro_f1"],
                "in_domain_on_train_source": matrix[a][a]["micro_f1"],
                "cross_domain": matrix[a][b]["micro_f1"],
                "drop_vs_test_in_domain": round(matrix[b][b]["micro_f1"] - matrix[a][b]["micro_f1"], 4)}
               for a, b in pairs]
    return {"folds": folds, "base": base, "domains": {d: {"train": len(p[0]), "dev": len(p[1])}
                                                    for d, p in parts.items()},
            "note": "shopping excludes its 酒店 (hotel) category; rows = training source, columns = dev "
                    "part of the scored source; the diagonal is in-domain",
            "matrix": matrix, "pairs": summary}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--rows", type=int, default=1000, help="labelled reviews of the timed run (0: all)")
    ap.add_argument("--sizes", default="",
                    help="also time one run at each of these label counts, e.g. 1000,2000,4000,0 (0: all)")
    ap.add_argument("--repeats", type=int, default=2, help="runs of the timed --rows run (0: none)")
    ap.add_argument("--folds", type=int, default=5,
                    help="--folds of the timed `koubei train` (its default 5)")
    ap.add_argument("--workers", type=int, default=None,
                    help="--workers of the timed `koubei train` (default: its default, one per core)")
    ap.add_argument("--cross-folds", type=int, default=3)
    ap.add_argument("--skip-cross", action="store_true")
    ap.add_argument("--base", default="models/default",
                    help="base bundle of `koubei train` (none: no --base)")
    ap.add_argument("--out", default="scripts/results/bench_train.json")
    args = ap.parse_args()
    data_dir = find_corpora(args.data_dir)
    gold = load_gold(data_dir)
    result: dict[str, Any] = {
        "command": "python scripts/bench_train.py " + " ".join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d"),
        "machine": _machine(),  # the CPU too: one 2-core machine may take twice another's time
        # other jobs on the machine slow every timing: say how loaded it was
        "load_average_1min_before": round(os.getloadavg()[0], 2),
    }
    if args.repeats > 0:
        result["train_time"] = bench_time(gold, args.rows, args.repeats, args.folds, args.base, args.workers)
    if args.sizes:
        sizes = [int(x) for x in args.sizes.split(",")]
        result["scaling"] = bench_scaling(gold, sizes, args.folds, args.base, args.workers)
    if not args.skip_cross and args.base != "none":
        taxonomy = load_components(args.base)[0].taxonomy
        result["cross_domain"] = cross_domain(data_dir, gold, taxonomy, args.base, args.cross_folds)
    result["seconds"] = round(time.time() - T0, 1)
    result["load_average_1min_after"] = round(os.getloadavg()[0], 2)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    log(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
