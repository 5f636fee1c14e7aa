"""Learning curves of `koubei train`, and `koubei suggest` (active learning) against random picks.

    python scripts/learning_curve.py [--data-dir DIR] [--seeds 5] [--sizes 50,100,200,400,all]
                                     [--nobase-sizes 50,100,200,400] [--al-sizes 100,200,400]
                                     [--al-strategies committee,uncertainty] [--folds 3]
                                     [--out scripts/results/learning_curve.json]

Data: labels/gold_topics_train.jsonl of ../shared/corpora. Reviews whose key
(normalized text without punctuation, digits or spaces) repeats are kept once.
A fixed dev split takes the reviews whose key hashes (sha1) into the lowest
``--dev-share`` (25 %); the rest is the train pool, so near-duplicates that
share a key never straddle the split. The dev split is the same for every seed
and arm.

Pool (``--pool``): ``gold`` is the whole train pool, about half of it
cue-enriched reviews of the rarer topics (``selection``: ``cue-enriched`` or
``complaint``); ``random`` keeps only the pool's reviews that were sampled at
random from their sources, as a real unlabelled dump would be. The dev split
is the same in both.

Arms (seed s = 0 .. --seeds-1; one random permutation of the pool per seed):

- ``random+base``: the first n reviews of the permutation, trained with
  ``train_bundle(..., base=models/default)``. The samples are nested (the 100
  contain the 50), so this arm is also the random arm of the active-learning
  comparison. ``all`` is the whole pool (the seed then only moves folds and
  regressions) and runs after everything else, for as many seeds as fit in
  ``--budget-min`` minutes of the whole run (at least one): on 2 loaded cores
  one such fit takes minutes.
- ``random+nobase``: the same samples without ``base`` (a vocabulary and a
  sentiment model fitted on the sample alone); only ``--nobase-sizes``.
- ``suggest+base`` (``--al-strategies`` committee) and ``uncertainty+base``
  (uncertainty): start from the same random first ``sizes[0]`` reviews; each
  step trains on the labels so far, runs ``koubei.train.suggest`` with that
  model on the rest of the pool (seed s, ``strategy`` committee: what
  ``koubei suggest`` does with a model ``koubei train`` wrote; or uncertainty:
  what it does with a model without a committee) and adds its picks, up to
  each of ``--al-sizes`` (labels come from the gold file: a perfect annotator).

Each bundle scores the dev split (``ReviewModel.predict``): topic micro-F1,
macro-F1 over the topics with dev support, topic+polarity micro-F1, and topic
micro-F1 on the dev reviews sampled at random (``selection: random``; the
rest of the gold file is cue-enriched, not a random sample). Summaries are
mean ± sd (sd with ddof=1) over seeds; each active-learning arm is compared
with random picks paired by seed (``<arm>_minus_random``).

Leak note (also in the JSON): models/default was trained on all 2,158 gold
reviews, dev included. ``train_bundle`` with ``base`` reuses its TF-IDF
vocabulary (fitted on the sentiment corpora + all gold texts, no labels), its
jieba dictionary and its sentiment model (trained on the sentiment corpora +
the gold texts' sentiment labels, dev included); the topic detector, the
polarity head and the per-topic calibration and thresholds are fitted on the
sampled labels only. The polarity head is fitted on the scores of the base's
sentiment recipe refitted once without any gold review (``unseen`` of
``train_bundle``; one refit serves every bundle of the run), but the bundle
scores dev with the base's own sentiment model. Topic detection reads the
embedding and the taxonomy's cue counts, not sentiment, so topic micro/macro-F1
see the dev reviews only through the unsupervised vocabulary; topic+polarity
reads the base's sentiment scores (a mild leak). The no-base arm sees no dev
review at all.
Results go to --out (rewritten after every run, so a partial run leaves data).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from koubei.corpora import GoldRecord, find_corpora, load_gold
from koubei.io.reader import canonicalize
from koubei.metrics import topic_metrics
from koubei.model import load_model
from koubei.model.bundle import load_components
from koubei.taxonomy import Taxonomy
from koubei.text.normalize import normalize
from koubei.text.segment import Segmenter
from koubei.train.fit import train_bundle
from koubei.train.suggest import suggest
from koubei.train.unseen import UnseenCheck, unseen_base_sentiment

T0 = time.time()
METRICS = ("micro_f1", "macro_f1_supported", "topic_polarity_micro_f1", "micro_f1_random_dev")
LEAK_NOTE = (
    "models/default (the base) was trained on all 2,158 gold reviews, dev included. With base, "
    "train_bundle reuses only the base's TF-IDF vocabulary (fitted on the sentiment corpora + all gold "
    "texts, no labels), jieba dictionary, sentiment model and context threshold; the topic detector, "
    "polarity head, calibration and thresholds are fitted on the sampled labels only "
    "(train/parts.py fit_parts, train/calibrate.py). Topic detection reads the embedding + taxonomy "
    "cue counts, not sentiment, so topic "
    "micro/macro-F1 see the dev reviews only through the unsupervised vocabulary and IDF. The polarity "
    "head is fitted on the scores of the base's sentiment recipe refitted once without any gold review, "
    "but at prediction it reads the base's own sentiment model, which was trained on the gold texts' "
    "sentiment labels (dev included): a mild leak for topic+polarity F1 (and for sentiment, not "
    "reported). The no-base arm sees no dev review at all. The taxonomy's cue words were written by "
    "people who had read gold reviews (not measurable here).")


def log(msg: str) -> None:
    print(f"[{time.time() - T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


def text_key(text: str) -> str:
    """Normalized text without punctuation, digits, spaces: near-duplicates share it."""
    return re.sub(r"[\W\d_]+", "", normalize(text))


def split_gold(gold: list[GoldRecord], dev_share: float) -> tuple[list[GoldRecord], list[GoldRecord], int]:
    """(train pool, dev, duplicates dropped); dev = keys whose sha1 falls in the lowest share."""
    seen: set[str] = set()
    pool, dev = [], []
    for r in gold:
        k = text_key(r.text) or r.text
        if k in seen:
            continue
        seen.add(k)
        h = int(hashlib.sha1(k.encode("utf-8")).hexdigest()[:8], 16) / 16**8
        (dev if h < dev_share else pool).append(r)
    return pool, dev, len(gold) - len(pool) - len(dev)


def score_dev(bundle: Path, dev: list[GoldRecord], taxonomy: Taxonomy) -> dict[str, Any]:
    preds = load_model(bundle).predict([r.text for r in dev])
    gold_t, pred_t = [r.topics for r in dev], [p.topics for p in preds]
    m = topic_metrics(gold_t, pred_t, taxonomy.topic_ids)
    sup = [v["f1"] for v in m["per_topic"].values() if v["support"]]
    rnd = [i for i, r in enumerate(dev) if r.selection == "random"]
    m_rnd = topic_metrics([gold_t[i] for i in rnd], [pred_t[i] for i in rnd], taxonomy.topic_ids)
    return {"micro_f1": m["micro_f1"], "macro_f1_supported": round(float(np.mean(sup)), 4),
            "topic_polarity_micro_f1": m["topic_polarity_micro_f1"], "micro_f1_random_dev": m_rnd["micro_f1"],
            "macro_f1_all_topics": m["macro_f1"],
            "per_topic_f1": {t: v["f1"] for t, v in m["per_topic"].items()}}


UNSEEN: dict[str, UnseenCheck] = {}  # base path → its sentiment refitted without any gold review


def unseen_of(base: str, gold: list[GoldRecord]) -> UnseenCheck:
    """The base's sentiment refitted once without every gold review (a superset of any sample)."""
    if base not in UNSEEN:
        comps, manifest, user_dict = load_components(base)
        segmenter = Segmenter(user_dict=str(user_dict))
        UNSEEN[base] = unseen_base_sentiment(comps.sentiment, comps.embedder, manifest, gold, segmenter, log)
        log(UNSEEN[base].detail)
    return UNSEEN[base]


def fit_and_score(recs: list[GoldRecord], out: Path, base: str | None, seed: int, folds: int,
                  dev: list[GoldRecord], taxonomy: Taxonomy) -> dict[str, Any]:
    t = time.time()
    unseen = UNSEEN.get(base) if base else None
    res = train_bundle(recs, taxonomy=taxonomy, output=out, base=base, seed=seed, folds=folds, unseen=unseen)
    train_s = time.time() - t
    m = score_dev(res.path, dev, taxonomy)
    src = res.manifest["training"]["base"]
    return {**m, "train_seconds": round(train_s, 1), "seconds": round(time.time() - t, 1),
            "rule_based_topics": sorted(res.rule_based),
            "vocabulary": "base" if base else ("own" if src is None else "default (too few pos/neg)")}


AL_ARMS = {"committee": "suggest+base", "uncertainty": "uncertainty+base"}


def suggest_next(bundle: Path, pool: list[GoldRecord], labelled: list[int], n: int, seed: int,
                 rng: np.random.Generator, strategy: str) -> tuple[list[int], dict[str, Any]]:
    """Pool indices ``suggest`` picks among the unlabelled (topped up at random if it gives fewer)."""
    done = set(labelled)
    rest = [i for i in range(len(pool)) if i not in done]
    frame = canonicalize(pd.DataFrame({"id": [str(i) for i in rest], "text": [pool[i].text for i in rest]}))
    t = time.time()
    res = suggest(frame, load_model(bundle), n=n, seed=seed, strategy=strategy)
    picked = [int(x) for x in res.frame["review_id"]][:n]
    short = n - len(picked)
    if short > 0:
        chosen = set(picked)
        left = [i for i in rest if i not in chosen]
        picked += [int(i) for i in rng.choice(left, size=short, replace=False)]
    kinds = Counter(res.kinds[:n])
    info = {"suggest_seconds": round(time.time() - t, 1), "topped_up_at_random": max(short, 0),
            "picked_sources": dict(Counter(pool[i].source for i in picked)),
            "picked_selection": dict(Counter(pool[i].selection for i in picked)),
            "picked_mean_topics": round(float(np.mean([len(pool[i].topics) for i in picked])), 2),
            "uncertainty_kind": dict(kinds), "strategy": res.strategy}
    return picked, info


def mean_sd(values: list[float]) -> dict[str, float]:
    return {"mean": round(statistics.fmean(values), 4),
            "sd": round(statistics.stdev(values), 4) if len(values) > 1 else 0.0, "n": len(values)}


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for r in runs:
        out.setdefault(r["arm"], {}).setdefault(str(r["n_labels"]), []).append(r)
    summary = {arm: {n: {m: mean_sd([r[m] for r in rs]) for m in (*METRICS, "train_seconds")}
                     for n, rs in sizes.items()} for arm, sizes in out.items()}
    rnd = {(r["seed"], r["n_labels"]): r for r in runs if r["arm"] == "random+base"}
    out2: dict[str, Any] = {"by_arm": summary}
    for arm in AL_ARMS.values():
        paired: dict[str, Any] = {}
        for r in runs:
            if r["arm"] == arm and (r["seed"], r["n_labels"]) in rnd:
                paired.setdefault(str(r["n_labels"]), []).append((r, rnd[(r["seed"], r["n_labels"])]))
        comp: dict[str, Any] = {}
        for n, pairs in paired.items():
            comp[n] = {}
            for m in METRICS:
                d = [a[m] - b[m] for a, b in pairs]
                comp[n][m] = {"diff_mean": round(statistics.fmean(d), 4),
                              "diff_sd": round(statistics.stdev(d), 4) if len(d) > 1 else 0.0,
                              "suggest_wins": sum(x > 0 for x in d), "ties": sum(x == 0 for x in d),
                              "seeds": len(d)}
        if comp:
            out2[f"{arm.split('+')[0]}_minus_random"] = comp
    return out2


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--sizes", default="50,100,200,400,all")
    ap.add_argument("--nobase-sizes", default="50,100,200,400",
                    help="sizes of the no-base curve ('' for none; 'all' is slow on 2 loaded cores)")
    ap.add_argument("--al-sizes", default="100,200,400", help="active-learning budgets ('' for none)")
    ap.add_argument("--al-strategies", default="committee,uncertainty",
                    help="suggest strategies to run: committee (arm suggest+base), uncertainty "
                         "(arm uncertainty+base)")
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--dev-share", type=float, default=0.25)
    ap.add_argument("--base", default="models/default")
    ap.add_argument("--budget-min", type=float, default=25.0,
                    help="size 'all' (the whole pool; the seed only moves folds and regressions) runs "
                         "last, for as many seeds as fit in this many minutes of the run (at least one)")
    ap.add_argument("--pool", choices=("gold", "random"), default="gold",
                    help="gold: the whole train pool (half cue-enriched); random: only its reviews "
                         "sampled at random, as in a real dump")
    ap.add_argument("--out", default=None,
                    help="default scripts/results/learning_curve.json (--pool gold) or "
                         "learning_curve_random_pool.json")
    args = ap.parse_args()
    args.out = args.out or ("scripts/results/learning_curve.json" if args.pool == "gold"
                            else "scripts/results/learning_curve_random_pool.json")

    gold = load_gold(find_corpora(args.data_dir))
    taxonomy = load_components(args.base)[0].taxonomy
    pool, dev, dups = split_gold(gold, args.dev_share)
    if args.pool == "random":
        pool = [r for r in pool if r.selection == "random"]
    unseen_of(args.base, gold)
    sizes = [s for s in args.sizes.split(",") if s]
    nobase = {s for s in args.nobase_sizes.split(",") if s}
    al_sizes = [int(s) for s in args.al_sizes.split(",") if s]
    strategies = [s for s in args.al_strategies.split(",") if s]
    if unknown := set(strategies) - set(AL_ARMS):
        ap.error(f"unknown --al-strategies {', '.join(sorted(unknown))} (choose from {', '.join(AL_ARMS)})")
    start = int(sizes[0])
    log(f"pool {len(pool)}, dev {len(dev)} ({sum(r.selection == 'random' for r in dev)} random), "
        f"{dups} repeated keys dropped")
    result: dict[str, Any] = {
        "command": "python scripts/learning_curve.py " + " ".join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        "shared with other heavy jobs (timings are from a loaded machine)",
        "seeds": args.seeds, "folds": args.folds, "base": args.base, "pool": args.pool, "sizes": sizes,
        "nobase_sizes": sorted(nobase, key=lambda s: (s == "all", int(s) if s != "all" else 0)),
        "al_sizes": al_sizes, "al_strategies": strategies,
        "split": {"dev": len(dev), "pool": len(pool), "repeated_keys_dropped": dups,
                  "dev_random_selection": sum(r.selection == "random" for r in dev),
                  "dev_sources": dict(Counter(r.source for r in dev)),
                  "rule": f"sha1(normalized text without punctuation/digits/spaces) < {args.dev_share}"},
        "leak_note": LEAK_NOTE, "complete": False, "runs": []}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)

    def save() -> None:
        result["summary"] = summarize(result["runs"])
        result["seconds"] = round(time.time() - T0, 1)
        out.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")

    def record(arm: str, seed: int, n: int, m: dict[str, Any], **extra: Any) -> None:
        result["runs"].append({"arm": arm, "seed": seed, "n_labels": n, **m, **extra})
        log(f"seed {seed} {arm:14s} n={n:5d}: micro {m['micro_f1']:.3f} macro {m['macro_f1_supported']:.3f} "
            f"t+p {m['topic_polarity_micro_f1']:.3f} ({m['seconds']}s)")
        save()

    def permutation(seed: int) -> list[int]:
        return [int(i) for i in np.random.default_rng(seed).permutation(len(pool))]

    for seed in range(args.seeds):
        perm = permutation(seed)
        tmp = Path(tempfile.mkdtemp(prefix=f"lc{seed}_"))
        try:
            start_bundle = None
            for s in sizes:
                if s == "all":
                    continue  # after every seed's other runs, within --budget-min (below)
                n = int(s)
                recs = [pool[i] for i in perm[:n]]
                m = fit_and_score(recs, tmp / f"base{s}", args.base, seed, args.folds, dev, taxonomy)
                record("random+base", seed, n, m)
                if n == start:
                    start_bundle = tmp / f"base{s}"
                else:
                    shutil.rmtree(tmp / f"base{s}")
                if s in nobase:
                    m = fit_and_score(recs, tmp / f"nobase{s}", None, seed, args.folds, dev, taxonomy)
                    record("random+nobase", seed, n, m)
                    shutil.rmtree(tmp / f"nobase{s}")
            for strategy in strategies:
                # each strategy draws its top-ups from its own generator, seeded alike
                al_rng = np.random.default_rng([seed, 1])
                labelled, bundle = perm[:start], start_bundle
                for target in al_sizes:
                    assert bundle is not None
                    picked, info = suggest_next(bundle, pool, labelled, target - len(labelled), seed, al_rng,
                                                strategy)
                    labelled = labelled + picked
                    new = tmp / f"al-{strategy}{target}"
                    recs = [pool[i] for i in labelled]
                    m = fit_and_score(recs, new, args.base, seed, args.folds, dev, taxonomy)
                    m["seconds"] = round(m["seconds"] + info["suggest_seconds"], 1)
                    record(AL_ARMS[strategy], seed, len(labelled), m, suggest=info)
                    if bundle != start_bundle:
                        shutil.rmtree(bundle)
                    bundle = new
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    last = 0.0
    for seed in range(args.seeds if "all" in sizes else 0):
        if seed and time.time() - T0 + last > 60 * args.budget_min:
            result["all_seeds_skipped"] = (f"seeds {seed}..{args.seeds - 1} of size 'all' skipped: "
                                           f"past --budget-min {args.budget_min}")
            log(result["all_seeds_skipped"])
            break
        t = time.time()
        tmp = Path(tempfile.mkdtemp(prefix=f"lcall{seed}_"))
        try:
            recs = [pool[i] for i in permutation(seed)]
            record("random+base", seed, len(pool),
                   fit_and_score(recs, tmp / "base", args.base, seed, args.folds, dev, taxonomy))
            if "all" in nobase:
                record("random+nobase", seed, len(pool),
                       fit_and_score(recs, tmp / "nobase", None, seed, args.folds, dev, taxonomy))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        last = time.time() - t
    result["complete"] = True
    save()
    log(f"done, wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
