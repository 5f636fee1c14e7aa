"""Planted-burst benchmark of `koubei emerging` on real timed reviews, run as the team runs it.

    python scripts/bench_emerging.py [--data-dir DIR] [--scenarios 70] [--seed 7] [--holdout-seed 7]
    python scripts/bench_emerging.py --scale 1000000     # time `koubei emerging` on 1 M scored rows

Held-out complaints. A fixed, seeded half (by a sha256 of the holdout seed and
the normalized text) of the hand-labelled restaurant and delivery reviews
(gold source hotpot or waimai) that have a bench topic negative (taste,
service_attitude, hygiene_safety, price_value, portion_size, freshness_quality,
environment_facilities) is held out; every record with the same normalized
text goes with it.

The bench bundle. The default recipe (``train_bundle`` of
scripts/train_default.py) trained without the held-out texts: they are left
out of the gold records, the sentiment corpora (the waimai gold texts are also
waimai sentiment rows), the unlabelled texts and the aspect records. Training
takes about 10 minutes; the bundle is cached under ~/.cache/koubei-bench/,
keyed by the gold file, the holdout seed, koubei's version and every file of
the recipe (the code that trains and applies a model, not the detector's; the
taxonomy, lexicon and dictionaries under corpora/; scripts/train_default.py),
so a change to any of them trains a new one; ``--retrain`` forces it anyway.
The shipped
models/default saw the held-out reviews: it only scores the plants once, for
its tag rate beside the bench bundle's (``pool_tag_rate_shipped_model``).

The stream: the 23.6k Meituan reviews with text of 21 Wuhan hotpot shops
(timed/meituan_wuhan_hotpot_reviews.csv, 2014-2021) scored by the bench
bundle, minus the held-out reviews (cached per bundle).

A scenario plants k held-out reviews whose gold labels say the scenario's
topic is negative (k = 5, 10, 15, 25, 40; the topics take turns) into one
shop within one window w (monthly and weekly windows), drawn without
replacement within the scenario (a review may recur in another scenario);
hotpot reviews first, topped up from waimai only when the topic has fewer
than k hotpot ones. The plants are scored by the bench bundle like any
review, so a plant the model does not tag counts for nothing. Detection is
``koubei emerging --by shop_id --all-windows``: every window evaluated, the
default EmergingConfig, trace over shop_id. Per scenario:

- detected: an issue of the planted topic in w..w+2 pointing at the planted
  shop (its cell, or the top value of its trace over shop_id);
  ``detected_any_cell``: an issue of that topic anywhere in w..w+2;
- attribution_top1: of the latter, the most severe such issue of the first
  window points at the planted shop;
- delay: windows from w to the first detecting issue; best_q: the smallest q-value of the
  detecting issues (scripts/frontier_emerging.py reads it);
- tagged: the plants the bench bundle tags with the topic negative (the
  classifier's share of a miss; ``tag_rate`` = tagged / planted);
- count_ratio: for a spike of the topic in the shop's cell in w, (its count
  minus the clean stream's tagged count there) / k.

``recall_when_tagged_ge_min_count`` is the recall of the scenarios whose
tagged plants alone reach EmergingConfig.min_count: the detector's share of
the misses, with the classifier's set aside.

Every figure is split by window size, k and topic (``by_freq_k``,
``by_freq_topic``, ``by_freq_k_topic``), beside the per-scenario records.
The first scenario of each k also runs detection on w..w+2 alone and records
whether it finds the same (``same_as_3_windows``: the false-discovery control
works per window, so it should).

False alarms: detection over every window of the clean stream, issues per 100
key-windows tested (a key-window = one complaint key in one cell with at
least one review in the window). Real streams have real bursts, so this
counts them too: it is an upper bound on the false-alarm rate. These are the
topic issues only; `koubei emerging` also reports new kinds of complaint by
default, so ``novel_alarms_{M,W}`` counts the new-kind issues of the same
run as the CLI makes it (``run_emerging`` over every window, the bench bundle's
clause book and clusterer) on the clean stream: per 100 windows evaluated,
with their summaries. New kinds are tested once per window, not per cell, so
they have no key-windows of their own.
Results go to scripts/results/bench_emerging.json.

``--scale N``: the scored demo dump replicated to N rows (ids made unique,
times spread over 104 weeks, its 4 suppliers x 8 products), written as
Parquet, then `koubei emerging --by supplier,product` timed in a child
process with and without new-kind clustering, on the latest window and with
--all-windows (a backfill of all 104 weeks; scripts/results/bench_emerging_scale.json):
wall seconds (``*_seconds``) and the child's CPU seconds (``*_cpu_seconds``, user +
system; on a shared machine the wall time also counts waiting for a core).
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
import hashlib
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import koubei
from koubei.aggregate.windows import window_label, window_range, window_start
from koubei.corpora import GOLD_FILE, GoldRecord, find_corpora, load_gold
from koubei.detect.config import EmergingConfig
from koubei.detect.emerging import find_emerging
from koubei.detect.novel import NOVEL_TOPIC
from koubei.detect.run import run_emerging
from koubei.model.review_model import load_model
from koubei.schema import TOPIC_PREFIX
from koubei.taxonomy import default_taxonomy_path
from koubei.text.normalize import normalize
from koubei.text.segment import file_sha256

HOTPOT = "timed/meituan_wuhan_hotpot_reviews.csv"
KS = (5, 10, 15, 25, 40)
CACHE = Path.home() / ".cache" / "koubei-bench"


BENCH_TOPICS = ("taste", "service_attitude", "hygiene_safety", "price_value", "portion_size",
                "freshness_quality", "environment_facilities")
HOLDOUT_SOURCES = ("hotpot", "waimai")


def held_out(gold: list[GoldRecord], seed: int, share: float = 0.5) -> frozenset[str]:
    """Normalized texts of the holdout: restaurant and delivery gold reviews (hotpot,
    waimai) with a bench topic negative, each kept by a seeded hash of its normalized text
    (so a text is in or out whatever its id, and its duplicates go with it)."""
    out = set()
    for g in gold:
        if g.source in HOLDOUT_SOURCES and any(g.topics.get(t) == "neg" for t in BENCH_TOPICS):
            norm = normalize(g.text)
            h = int.from_bytes(hashlib.sha256(f"{seed}\0{norm}".encode()).digest()[:8], "big")
            if norm and h / 2**64 < share:
                out.add(norm)
    return frozenset(out)


#: koubei's packages that train and apply a model (the detector's code is not among them,
#: so changing it reuses the bench bundle and its scored stream)
RECIPE_PACKAGES = ("model", "classify", "embed", "text", "train")


def bundle_digest(data: Path, seed: int) -> str:
    """Key of the bench bundle: the gold file, the holdout seed, koubei's version, and every
    file of the recipe: the code that trains and applies a model (:data:`RECIPE_PACKAGES`
    and koubei's top-level modules), the taxonomy, lexicon and dictionaries under corpora/,
    scripts/train_default.py."""
    h = hashlib.sha256()
    for part in (file_sha256(data / GOLD_FILE), str(seed), recipe_digest()):
        h.update(part.encode() + b"\0")
    return h.hexdigest()[:16]


def recipe_digest() -> str:
    """Hash of koubei's version and every file that trains or applies a model."""
    src = Path(koubei.__file__).parent
    recipe = sorted([*(p for p in src.rglob("*.py") if p.parent == src or p.parent.name in RECIPE_PACKAGES),
                     *(p for p in default_taxonomy_path().parents[1].rglob("*")
                       if p.is_file() and p.parent.name in ("taxonomy", "lexicon", "dict")),
                     Path(__file__).with_name("train_default.py")])
    h = hashlib.sha256(koubei.__version__.encode())
    for p in recipe:
        h.update(f"{p.parent.name}/{p.name}:{file_sha256(p)}\0".encode())  # the same in any checkout
    return h.hexdigest()


def bench_bundle(data: Path, gold: list[GoldRecord], holdout: frozenset[str], seed: int,
                 retrain: bool = False) -> Path:
    """The default recipe trained without the holdout, cached under ~/.cache/koubei-bench/."""
    import shutil

    from train_default import train_bundle  # scripts/ is on sys.path when this script runs

    path = CACHE / f"bundle-{bundle_digest(data, seed)}"
    if (path / "manifest.json").is_file() and not retrain:
        return path
    shutil.rmtree(path, ignore_errors=True)
    t0 = time.time()
    note = {"seed": seed, "texts": len(holdout), "sources": list(HOLDOUT_SOURCES),
            "topics": list(BENCH_TOPICS), "gold_records": sum(normalize(g.text) in holdout for g in gold)}
    tmp = path.with_name(path.name + ".part")
    CACHE.mkdir(parents=True, exist_ok=True)  # a fresh machine has no cache folder yet
    train_bundle(data, tmp, seed=0, holdout=holdout, note=note,
                 log=lambda m: print(f"[bench bundle {time.time() - t0:6.1f}s] {m}", flush=True))
    tmp.rename(path)
    return path


def scored_stream(data: Path, model, holdout: frozenset[str]) -> pd.DataFrame:  # noqa: ANN001
    """The hotpot stream scored by ``model``, held-out texts removed (they are the plants).

    Cached per bundle and scoring code: the key hashes every file hash of the bundle (two
    bundles share some files, the taxonomy's for one, so no single hash tells them apart)
    and :func:`recipe_digest` (a change to the code that applies a model may leave a
    retrained bundle's files as they were).
    """
    files = json.dumps(sorted(model.manifest["files"].items())) + recipe_digest()
    cache = CACHE / f"hotpot-{hashlib.sha256(files.encode()).hexdigest()[:16]}.parquet"
    if not cache.exists():
        raw = pd.read_csv(data / HOTPOT, dtype=str).dropna(subset=["review"])
        frame = raw[["id", "shop_id", "shop_area", "review", "review_time"]]
        out = model.score(frame, text_col="review", time_col="review_time", id_col="id")
        cache.parent.mkdir(parents=True, exist_ok=True)
        out.attrs.clear()
        out.to_parquet(cache)
    out = pd.read_parquet(cache)
    keep = ~out["text"].astype(str).map(normalize).isin(holdout)
    return out[keep.to_numpy()].reset_index(drop=True)


def bench_inputs(data_dir: str | None, holdout_seed: int):  # noqa: ANN201
    """(gold, holdout, bench model, clean stream) as the bench builds them, bundle and stream cached."""
    data = find_corpora(data_dir)
    gold = load_gold(data)
    holdout = held_out(gold, holdout_seed)
    model = load_model(bench_bundle(data, gold, holdout, holdout_seed))
    return gold, holdout, model, scored_stream(data, model, holdout)


def plant_pools(gold: list[GoldRecord], holdout: frozenset[str], model) -> dict[str, dict[str, pd.DataFrame]]:  # noqa: ANN001
    """Per topic and source (hotpot, waimai): the held-out gold reviews with that topic
    negative, scored by the bench bundle (one record per normalized text)."""
    recs, seen = [], set()
    for g in gold:
        norm = normalize(g.text)
        if norm in holdout and norm not in seen:
            seen.add(norm)
            recs.append(g)
    scored = model.score(pd.Series([g.text for g in recs], name="text"))
    scored["_source"] = [g.source for g in recs]
    pools: dict[str, dict[str, pd.DataFrame]] = {}
    for topic in BENCH_TOPICS:
        neg = np.array([g.topics.get(topic) == "neg" for g in recs])
        pools[topic] = {src: scored[neg & (scored["_source"] == src).to_numpy()].drop(columns="_source")
                        for src in HOLDOUT_SOURCES}
    return pools


def is_tagged(rows: pd.DataFrame, topic: str) -> pd.Series:
    return rows[TOPIC_PREFIX + topic].astype("string").eq("neg").fillna(False)


def draw(pool: dict[str, pd.DataFrame], k: int, rng: np.random.Generator) -> pd.DataFrame | None:
    """k reviews without replacement: hotpot ones, topped up from waimai when hotpot has < k."""
    hot, wm = pool["hotpot"], pool["waimai"]
    if len(hot) >= k:
        return hot.iloc[rng.choice(len(hot), k, replace=False)].assign(_source="hotpot")
    if len(hot) + len(wm) < k:
        return None
    rest = wm.iloc[rng.choice(len(wm), k - len(hot), replace=False)]
    return pd.concat([hot.assign(_source="hotpot"), rest.assign(_source="waimai")])


def inject(stream: pd.DataFrame, rows: pd.DataFrame, shop: str, area: str,
           start: pd.Timestamp, end: pd.Timestamp, rng: np.random.Generator, tag: str) -> pd.DataFrame:
    rows = rows.copy()
    k = len(rows)
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


def detect(frame: pd.DataFrame, freq: str, cfg: EmergingConfig, windows: object = "all"):  # noqa: ANN201
    """Detection as the team runs it: ``koubei emerging --by shop_id --all-windows``."""
    return find_emerging(frame, freq=freq, by=["shop_id"], windows=windows, config=cfg,
                         trace_extra=("shop_id",))


def run_scenarios(stream: pd.DataFrame, pools: dict[str, dict[str, pd.DataFrame]], freq: str, n: int,
                  cfg: EmergingConfig, rng: np.random.Generator, log,  # noqa: ANN001
                  three_windows: bool = False) -> list[dict[str, object]]:
    """``n`` scenarios per k; scenario s plants topic s mod 7, so the topics take turns.

    ``three_windows``: detect on w..w+2 alone instead of every window (the same issues there,
    ``same_as_3_windows``, in a tenth of the time; scripts/frontier_emerging.py).
    """
    cands = candidates(stream, freq, cfg)
    starts = window_start(stream["time"], freq)
    index = window_range(starts.min(), starts.max(), freq)
    win_of = pd.Series(index.get_indexer(pd.DatetimeIndex(starts)), index=stream.index)
    area_of = stream.groupby("shop_id")["shop_area"].first().to_dict()
    results = []
    for k in KS:
        for s in range(n):
            topic = BENCH_TOPICS[s % len(BENCH_TOPICS)]
            rows = draw(pools[topic], k, rng)
            if rows is None:
                results.append({"k": k, "freq": freq, "topic": topic, "skipped": "pool smaller than k"})
                continue
            shop, w = cands[int(rng.integers(len(cands)))]
            planted = inject(stream, rows, shop, area_of[shop], index[w], index[w + 1], rng,
                             f"plant-{freq}-{k}-{s}")
            labels = [str(window_label(index[i], freq)) for i in (w, w + 1, w + 2)]
            t0 = time.perf_counter()
            res = detect(planted, freq, cfg, labels if three_windows else "all")
            rec = score_run(res.issues, topic, shop, labels, k, freq)
            rec["detect_seconds"] = round(time.perf_counter() - t0, 2)
            clean = stream[(stream["shop_id"] == shop).to_numpy() & (win_of == w).to_numpy()]
            rec.update(window=labels[0], from_waimai=int((rows["_source"] == "waimai").sum()),
                       tagged=int(is_tagged(rows, topic).sum()),
                       clean_count=int(is_tagged(clean, topic).sum()),
                       clean_total=len(clean), windows_evaluated=len(res.evaluated), tested=res.tested)
            if rec.get("issue_at") == (labels[0], "shop_id", "spike", ""):  # the count is comparable
                rec["count_ratio"] = round((rec["issue_count"] - rec["clean_count"]) / k, 3)
            if s == 0 and not three_windows:  # BH runs per window: the 3 windows alone must agree
                three = detect(planted, freq, cfg, labels).issues
                rec["same_as_3_windows"] = bool(score_run(three, topic, shop, labels, k, freq)
                                                == score_run(res.issues, topic, shop, labels, k, freq))
            results.append(rec)
            log(f"{freq} k={k} s={s} {topic}: detected={rec['detected']} tagged={rec['tagged']}/{k}")
    return results


def score_run(issues: pd.DataFrame, topic: str, shop: str, labels: list[str], k: int,
              freq: str) -> dict[str, object]:
    """Detected: an issue of the planted topic in w..w+2 pointing at the planted shop."""
    near = issues[issues["window"].isin(labels)]
    any_hit = near[near["topic"] == topic]
    hits = any_hit[[points_at(r, shop) for _, r in any_hit.iterrows()]] if len(any_hit) else any_hit
    out: dict[str, object] = {"k": k, "freq": freq, "topic": topic, "shop": shop,
                              "issues_near": len(near), "detected_any_cell": bool(len(any_hit)),
                              "detected": bool(len(hits))}
    if len(any_hit):
        first = any_hit.iloc[0]
        at = any_hit[any_hit["window"] == first["window"]]
        out["attributed_top1"] = bool(points_at(at.sort_values("severity", ascending=False).iloc[0], shop))
    if len(hits):
        first = hits.iloc[0]
        out.update(delay=labels.index(first["window"]), issue_count=int(first["count"]),
                   issue_at=(first["window"], first["level"], first["test"], first["direction"] or ""),
                   best_q=float(hits["q_value"].min()))
    return out


def false_alarms(stream: pd.DataFrame, freq: str, cfg: EmergingConfig) -> dict[str, object]:
    t0 = time.perf_counter()
    res = detect(stream, freq, cfg)
    n = len(res.issues)
    return {"issues": n, "key_windows": res.tested, "windows": len(res.evaluated),
            "per_100_key_windows": round(100 * n / max(res.tested, 1), 4),
            "by_topic": res.issues["topic"].value_counts().to_dict(),
            "seconds": round(time.perf_counter() - t0, 1)}


def novel_alarms(stream: pd.DataFrame, freq: str, cfg: EmergingConfig, model) -> dict[str, object]:  # noqa: ANN001
    """New-kind issues of ``koubei emerging --by shop_id --all-windows`` on the clean stream."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stream.parquet"
        stream.to_parquet(path, index=False)
        t0 = time.perf_counter()
        run = run_emerging(path, freq=freq, by=["shop_id"], windows="all", config=cfg, model=model,
                           trace_extra=("shop_id",))
        seconds = time.perf_counter() - t0
    novel = run.issues[run.issues["topic"] == NOVEL_TOPIC]
    n_windows = len(run.result.evaluated)
    return {"issues": len(novel), "windows": n_windows,
            "per_100_windows": round(100 * len(novel) / max(n_windows, 1), 2),
            "topic_issues": int((run.issues["topic"] != NOVEL_TOPIC).sum()),
            "summaries": [f"{w} {t}" for w, t in zip(novel["window"], novel["summary"])],
            "seconds": round(seconds, 1)}


def _rate(x: pd.Series) -> float | None:
    return round(float(x.mean()), 3) if len(x) else None


def _cell(g: pd.DataFrame, min_count: int) -> dict[str, object]:
    det = g[g["detected"]]
    anyc = g[g["detected_any_cell"]]
    enough = g[g["tagged"] >= min_count]
    return {"scenarios": len(g), "recall": _rate(g["detected"]),
            "recall_any_cell": _rate(g["detected_any_cell"]),
            "tag_rate": round(float(g["tagged"].sum() / g["k"].sum()), 3),
            "share_tagged_ge_min_count": _rate(g["tagged"] >= min_count),
            "recall_when_tagged_ge_min_count": _rate(enough["detected"]),
            "attribution_top1": _rate(anyc["attributed_top1"].astype(bool)) if len(anyc) else None,
            "median_delay": float(det["delay"].median()) if len(det) else None,
            "median_count_ratio": (float(det["count_ratio"].dropna().median())
                                   if "count_ratio" in det and det["count_ratio"].notna().any() else None),
            "median_tagged_share": float((g["tagged"] / g["k"]).median())}


def summarize(results: list[dict[str, object]], min_count: int) -> dict[str, object]:
    df = pd.DataFrame(results)
    df = df[df["detected"].notna()] if "skipped" in df else df
    df = df.assign(detected=df["detected"].astype(bool),
                   detected_any_cell=df["detected_any_cell"].astype(bool))
    out: dict[str, object] = {}
    for name, keys in (("by_freq_k", ["freq", "k"]), ("by_freq_topic", ["freq", "topic"]),
                       ("by_freq_k_topic", ["freq", "k", "topic"])):
        out[name] = {"/".join(str(v) for v in key): _cell(g, min_count) for key, g in df.groupby(keys)}
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


def _child_cpu() -> float:
    """User + system CPU seconds of the finished child processes so far."""
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


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
        for label, extra in (("with_novel", []), ("no_novel", ["--no-novel"]),
                             ("all_windows_with_novel", ["--all-windows"]),
                             ("all_windows_no_novel", ["--all-windows", "--no-novel"])):
            cmd = [sys.executable, "-m", "koubei.cli", "emerging", str(path), "--by", "supplier,product",
                   "-q", *extra]
            t0, c0 = time.perf_counter(), _child_cpu()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            out[f"{label}_seconds"] = round(time.perf_counter() - t0, 1)
            out[f"{label}_cpu_seconds"] = round(_child_cpu() - c0, 1)
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
    ap.add_argument("--scenarios", type=int, default=70,
                    help="scenarios per k and window size (the 7 topics take turns: 10 each)")
    ap.add_argument("--seed", type=int, default=7, help="seed of the scenario draws")
    ap.add_argument("--holdout-seed", type=int, default=7,
                    help="seed of the held-out gold reviews (a new seed trains a new bench bundle, ~10 min)")
    ap.add_argument("--retrain", action="store_true",
                    help="train the bench bundle anew even if one with the same key is cached")
    ap.add_argument("--freqs", default="M,W", help="window sizes to plant in")
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
        res["load_average"] = [round(x, 2) for x in __import__("os").getloadavg()]
        res["command"] = f"python scripts/bench_emerging.py --scale {args.scale}" + (
            f" --parts {args.parts} --workers {args.workers}" if args.parts else "")
        target = Path(args.out).with_name("bench_emerging_scale_dask.json" if args.parts
                                          else "bench_emerging_scale.json")
        target.write_text(json.dumps(res, ensure_ascii=False, indent=2) + "\n")
        print(json.dumps(res, ensure_ascii=False, indent=1))
        return 0
    data = find_corpora(args.data_dir)
    t0 = time.perf_counter()
    gold = load_gold(data)
    holdout = held_out(gold, args.holdout_seed)
    bundle = bench_bundle(data, gold, holdout, args.holdout_seed, args.retrain)
    model = load_model(bundle)
    stream = scored_stream(data, model, holdout)
    pools = plant_pools(gold, holdout, model)
    prep = time.perf_counter() - t0
    cfg = EmergingConfig()
    rng = np.random.default_rng(args.seed)
    machine = f"{platform.machine()} {platform.system()}, Python {platform.python_version()}"
    command = "python scripts/bench_emerging.py " + " ".join(argv if argv is not None else sys.argv[1:])
    held_gold = [g for g in gold if normalize(g.text) in holdout]
    report: dict[str, object] = {
        "command": command.strip(), "machine": machine, "date": time.strftime("%Y-%m-%d"),
        "bundle": {"path": str(bundle), "digest": bundle.name.removeprefix("bundle-"),
                   "what": "the default recipe (scripts/train_default.py) trained without the holdout"},
        "holdout": {"seed": args.holdout_seed, "texts": len(holdout), "gold_records": len(held_gold),
                    "by_source": pd.Series([g.source for g in held_gold]).value_counts().to_dict(),
                    "rule": "hotpot/waimai gold reviews with a bench topic neg, "
                            "half by sha256(seed, normalized text)"},
        "stream": {"reviews": len(stream), "shops": int(stream["shop_id"].nunique()),
                   "held_out_removed": True, "scored_by": "the bench bundle"},
        "pool_sizes": {t: {src: len(p) for src, p in by.items()} for t, by in pools.items()},
        "pool_tag_rate": {t: {src: round(float(is_tagged(p, t).mean()), 3) if len(p) else None
                              for src, p in by.items()} for t, by in pools.items()},
        "pool_tag_rate_shipped_model": {
            t: {src: round(float(is_tagged(p, t).mean()), 3) if len(p) else None for src, p in by.items()}
            for t, by in plant_pools(gold, holdout, load_model()).items()},
        "plants": "held-out reviews with the topic neg in gold, drawn without replacement within "
                  "a scenario (hotpot first, waimai only when hotpot has fewer than k); "
                  "reused across scenarios",
        "config": cfg.__dict__, "prepare_seconds": round(prep, 1),
    }

    def log(msg: str) -> None:
        print(f"[{time.perf_counter() - t0:7.1f}s] {msg}", file=sys.stderr, flush=True)

    results = []
    for freq in args.freqs.split(","):
        t1 = time.perf_counter()
        report[f"false_alarms_{freq}"] = false_alarms(stream, freq, cfg)
        log(f"false alarms {freq}: {report[f'false_alarms_{freq}']}")
        report[f"novel_alarms_{freq}"] = novel_alarms(stream, freq, cfg, model)
        log(f"new-kind issues {freq}: {report[f'novel_alarms_{freq}']['issues']}")
        results += run_scenarios(stream, pools, freq, args.scenarios, cfg, rng, log)
        report[f"seconds_{freq}"] = round(time.perf_counter() - t1, 1)
    report.update(summarize(results, cfg.min_count))
    report["seconds"] = round(time.perf_counter() - t0, 1)
    text = json.dumps({**report, "scenarios": "@"}, ensure_ascii=False, indent=2, default=str)
    one_a_line = ",\n    ".join(json.dumps(r, ensure_ascii=False, default=str) for r in results)
    text = text.replace('"scenarios": "@"', '"scenarios": [\n    ' + one_a_line + "\n  ]")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text + "\n")
    shown = {k: v for k, v in report.items() if k not in ("config", "scenarios", "by_freq_k_topic")}
    print(json.dumps(shown, ensure_ascii=False, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
