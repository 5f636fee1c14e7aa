"""Does a topic the model has never heard of surface as a new-kind cluster?

    python scripts/bench_novel.py [--corpora ../shared/corpora] [--topic delivery_logistics ...]
                                  [--seed 0] [--background 1000] [--embedder tfidf|model]

For each held-out topic T: the gold labels are split in two halves by a hash
of the review id; on each half the topic detector and polarity head are
trained with a taxonomy that lacks T (and gold labels with T removed), and
the other half is scored with them. The evaluation set is the scored half's
gold-negative reviews, plus ``--background`` negative reviews of the
sentiment corpora (not in gold; no topic labels) as realistic clutter. The
uncovered filter (negative, no negative topic) and :class:`NovelClusterer`
run on it; reported: how many of T's gold-negative reviews are uncovered
(with and without T in the taxonomy), the recall of T's reviews (share of
them in a cluster whose plurality gold topic is T), that cluster's purity
(share of its members whose gold topics include T), the clusters, and T's
cluster keywords. A growth check then puts every T review in the last of 5
windows (the rest spread evenly) and asks :func:`find_novel` what grew.

Shared parts: the shipped embedder (``models/default``; a TF-IDF vocabulary,
no labels) and a pooled sentiment regression on the sentiment corpora minus
every gold text. Results: scripts/results/bench_novel.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from koubei import load_model
from koubei.classify.features import Doc, prepare_many
from koubei.classify.sentiment import SentimentClassifier
from koubei.datasets import GoldRecord, find_corpora, load_gold, load_sentiment
from koubei.detect.novel import NovelClusterer, find_novel, uncovered
from koubei.model.predict import Components, predict_docs
from koubei.taxonomy import Taxonomy, taxonomy_from_dict
from koubei.train.default_recipe import build_sentiment_pool, fit_sentiment, fit_topic_parts

T0 = time.time()
DEFAULT_TOPICS = ("delivery_logistics", "hygiene_safety", "packaging")


def log(msg: str) -> None:
    print(f"[{time.time() - T0:6.1f}s] {msg}", file=sys.stderr, flush=True)


def half(review_id: str) -> int:
    """Fold 0/1 of a review, from a hash of its id (stable across runs)."""
    return int(hashlib.sha1(review_id.encode("utf-8")).hexdigest(), 16) % 2


def without(tax: Taxonomy, topic: str) -> Taxonomy:
    """The taxonomy minus one topic."""
    raw = tax.to_dict()
    raw["topics"] = [t for t in raw["topics"] if t["id"] != topic]
    return taxonomy_from_dict(raw, source=f"{tax.source} minus {topic}")


def strip(gold: Sequence[GoldRecord], topic: str) -> list[GoldRecord]:
    return [replace(r, topics={t: p for t, p in r.topics.items() if t != topic}) for r in gold]


def scored_frame(ids: list[str], texts: list[str], comps: Components, docs: list[Doc]) -> pd.DataFrame:
    """A frame shaped like ``koubei score`` output (the columns the detector reads)."""
    preds = predict_docs(comps, docs)
    out = pd.DataFrame({"review_id": ids, "text": texts, "status": "ok", "flags": "",
                        "sentiment": [p.sentiment for p in preds]})
    for t in comps.taxonomy.topic_ids:
        out[f"topic_{t}"] = [p.topics.get(t) for p in preds]
    return out


class Setup:
    """Everything shared by the held-out topics: embedder, sentiment, gold halves, background."""

    def __init__(self, corpora: Path, background: int, seed: int) -> None:
        self.model = load_model()
        self.tax = self.model.taxonomy
        self.emb = self.model.components.embedder
        self.gold = load_gold(corpora)
        self.gold_docs = prepare_many([r.text for r in self.gold], self.model.segmenter)
        self.fold = np.array([half(r.id) for r in self.gold])
        corpus = load_sentiment(corpora)
        pool = build_sentiment_pool(corpus, []).frame
        pool = pool[~pool["norm"].isin({d.norm for d in self.gold_docs})].reset_index(drop=True)
        log(f"sentiment pool without gold texts: {len(pool):,}")
        self.bg = self._background(pool, background, seed)
        pool_docs = prepare_many(pool["text"].tolist(), self.model.segmenter)
        self.sentiment = fit_sentiment(self.emb, pool_docs, pool["label"].to_numpy())
        log("pooled sentiment fitted (no gold text seen)")

    def _background(self, pool: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
        neg = pool[pool["label"] == 0]
        take = neg.sample(n=min(n, len(neg)), random_state=seed) if n else neg.iloc[:0]
        return take.assign(review_id=[f"bg-{i}" for i in range(len(take))])[["review_id", "text"]]

    def sentiment_for(self, k: int) -> SentimentClassifier:
        """The sentiment model with its neutral band tuned on training half ``k``."""
        tr = np.flatnonzero(self.fold == k)
        p = self.sentiment.proba_pos(self.emb.transform([self.gold_docs[i] for i in tr]))
        self.sentiment.tune_band(p, np.array([self.gold[i].sentiment for i in tr]))
        return self.sentiment

    def score_half(self, tax: Taxonomy, gold: list[GoldRecord], k: int, seed: int) -> pd.DataFrame:
        """Train on half ``k`` with ``tax``/``gold``, score the other half's gold-negative reviews
        and the background."""
        tr = np.flatnonzero(self.fold == k)
        sent = self.sentiment_for(k)
        topics, polarity = fit_topic_parts(tax, self.emb, sent, [self.gold_docs[i] for i in tr],
                                           [gold[i] for i in tr], seed=seed)
        comps = Components(tax, self.emb, sent, topics, polarity)
        te = [i for i in np.flatnonzero(self.fold != k) if self.gold[i].sentiment == "neg"]
        ids = [self.gold[i].id for i in te]
        texts = [self.gold[i].text for i in te]
        docs = [self.gold_docs[i] for i in te]
        bg = self.bg.iloc[k::2]  # each background review scored once
        ids += bg["review_id"].tolist()
        texts += bg["text"].tolist()
        docs += prepare_many(bg["text"].tolist(), self.model.segmenter)
        return scored_frame(ids, texts, comps, docs)


def gold_topics(setup: Setup) -> dict[str, dict[str, str]]:
    return {r.id: r.topics for r in setup.gold}


def cluster_report(frame: pd.DataFrame, topic: str, topics: dict[str, dict[str, str]],
                   clusterer: NovelClusterer) -> dict:
    """Cluster the uncovered rows and measure how T's reviews land."""
    cand = frame[uncovered(frame).to_numpy()].reset_index(drop=True)
    labels = clusterer.fit_predict(cand["text"].tolist())
    is_t = np.array([topics.get(i, {}).get(topic) == "neg" for i in cand["review_id"]])
    has_t = np.array([topic in topics.get(i, {}) for i in cand["review_id"]])
    labelled = ~cand["review_id"].str.startswith("bg-").to_numpy()
    all_t = sum(topics.get(i, {}).get(topic) == "neg" for i in frame["review_id"])
    only_t = sum([t for t, p in topics.get(i, {}).items() if p == "neg"] == [topic]
                 for i in frame["review_id"])
    clusters = []
    for c in range(clusterer.n_clusters_):
        m = labels == c
        votes = Counter(t for i in cand["review_id"][m] for t, p in _neg(topics, i))
        top = min(votes, key=lambda t: (-votes[t], t)) if votes else "(unlabelled)"
        lab = m & labelled
        clusters.append({"cluster": c, "size": int(m.sum()), "background": int((m & ~labelled).sum()),
                         "plurality_topic": top,
                         "plurality_share": round(votes[top] / lab.sum(), 3) if votes else 0.0,
                         "t_reviews": int(is_t[m].sum()),
                         "purity_t": round(float(has_t[lab].mean()), 3) if lab.any() else None,
                         "keywords": clusterer.keywords_[c]})
    t_clusters = [c for c in clusters if c["plurality_topic"] == topic]
    best = max(t_clusters, key=lambda c: c["t_reviews"], default=None)
    in_t = sum(c["t_reviews"] for c in t_clusters)
    return {
        "t_gold_neg": int(all_t), "t_only_neg": int(only_t), "t_uncovered": int(is_t.sum()),
        "candidates": len(cand), "candidates_background": int((~labelled).sum()),
        "n_clusters": clusterer.n_clusters_, "noise_share": round(float((labels < 0).mean()), 3),
        "t_clusters": len(t_clusters), "t_in_t_clusters": int(in_t),
        "recall": round(in_t / all_t, 3) if all_t else None,
        "recall_of_t_only": round(in_t / only_t, 3) if only_t else None,
        "recall_of_uncovered": round(in_t / is_t.sum(), 3) if is_t.sum() else None,
        "best_cluster_recall": round(best["t_reviews"] / all_t, 3) if best and all_t else None,
        "best_cluster_size": best["size"] if best else 0,
        "best_cluster_background": best["background"] if best else 0,
        "best_cluster_purity": best["purity_t"] if best else None,
        "best_cluster_keywords": best["keywords"] if best else [],
        "clusters": clusters,
    }


def _neg(topics: dict[str, dict[str, str]], review_id: str) -> list[tuple[str, str]]:
    if review_id.startswith("bg-"):
        return []  # background has no labels: it neither votes nor counts for purity
    got = [(t, p) for t, p in topics.get(review_id, {}).items() if p == "neg"]
    return got or [("(none)", "neg")]


def growth_check(frame: pd.DataFrame, topic: str, topics: dict[str, dict[str, str]],
                 clusterer: NovelClusterer, windows: int = 5) -> dict:
    """T's reviews all in the last week, every other review spread over ``windows`` weeks."""
    is_t = np.array([topics.get(i, {}).get(topic) == "neg" for i in frame["review_id"]])
    spread = np.array([int(hashlib.md5(i.encode()).hexdigest(), 16) % windows for i in frame["review_id"]])
    week = np.where(is_t, windows - 1, spread)
    start = pd.Timestamp("2026-01-05", tz="Asia/Shanghai")
    frame = frame.assign(time=[start + pd.Timedelta(days=7 * int(w)) for w in week])
    found = find_novel(frame, freq="W", clusterer=clusterer, mask=False)
    rows = []
    for r in found.itertuples():
        ids = json.loads(r.review_ids)
        share = float(np.mean([topics.get(i, {}).get(topic) == "neg" for i in ids])) if ids else 0.0
        rows.append({"summary": r.summary, "count": int(r.count), "q_value": float(r.q_value),
                     "share_t": round(share, 3)})
    return {"flagged": len(rows), "issues": rows,
            "flagged_t": sum(r["share_t"] >= 0.5 for r in rows)}


def run_topic(setup: Setup, topic: str, seed: int, clusterer: NovelClusterer,
              full: list[pd.DataFrame]) -> dict:
    tax = without(setup.tax, topic)
    gold = strip(setup.gold, topic)
    frame = pd.concat([setup.score_half(tax, gold, k, seed) for k in (0, 1)], ignore_index=True)
    log(f"{topic}: both halves scored without it")
    topics = gold_topics(setup)
    res = cluster_report(frame, topic, topics, clusterer)
    full_unc = uncovered(full[0])
    res["t_uncovered_with_full_taxonomy"] = int(sum(
        topics.get(i, {}).get(topic) == "neg" for i in full[0]["review_id"][full_unc.to_numpy()]))
    res["growth"] = growth_check(frame, topic, topics, clusterer)
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpora", help="the shared corpora folder (default: ../shared/corpora)")
    ap.add_argument("--topic", nargs="+", default=list(DEFAULT_TOPICS), help="topics to hold out")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--background", type=int, default=1000,
                    help="negative corpus reviews (no gold) added as clutter")
    ap.add_argument("--embedder", choices=("tfidf", "model"), default="tfidf",
                    help="tfidf: fitted on the candidates; model: the shipped embedder")
    ap.add_argument("--min-cluster-size", type=int, default=5)
    ap.add_argument("--min-samples", type=int, help="HDBSCAN min_samples (default: the cluster size)")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "bench_novel.json"))
    args = ap.parse_args(argv)
    setup = Setup(find_corpora(args.corpora), args.background, args.seed)
    clusterer = NovelClusterer(min_cluster_size=args.min_cluster_size, min_samples=args.min_samples,
                               random_state=args.seed,
                               embedder=setup.emb if args.embedder == "model" else None,
                               segmenter=setup.model.segmenter)
    full = [pd.concat([setup.score_half(setup.tax, setup.gold, k, args.seed) for k in (0, 1)],
                      ignore_index=True)]
    log("full-taxonomy halves scored")
    results = {"command": "python scripts/bench_novel.py " + " ".join(argv or sys.argv[1:]),
               "date": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
               "seed": args.seed, "background": args.background,
               "embedder": args.embedder, "min_cluster_size": args.min_cluster_size,
               "min_samples": args.min_samples,
               "eval_reviews": len(full[0]), "topics": {}}
    for t in args.topic:
        results["topics"][t] = run_topic(setup, t, args.seed, clusterer, full)
    results["seconds"] = round(time.time() - T0, 1)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print(table(results))
    return 0


def table(results: dict) -> str:
    head = (f"{'held-out topic':<22} {'T neg':>5} {'only':>4} {'uncov':>5} {'(full)':>6} {'cand':>5} "
            f"{'clus':>4} {'recall':>6} {'r.only':>6} {'best':>5} {'purity':>6} {'grow':>4}  "
            "keywords of T's best cluster")
    lines = [head, "-" * len(head)]
    for t, r in results["topics"].items():
        lines.append(
            f"{t:<22} {r['t_gold_neg']:>5} {r['t_only_neg']:>4} {r['t_uncovered']:>5} "
            f"{r['t_uncovered_with_full_taxonomy']:>6} {r['candidates']:>5} {r['n_clusters']:>4} "
            f"{_f(r['recall']):>6} {_f(r['recall_of_t_only']):>6} {_f(r['best_cluster_recall']):>5} "
            f"{_f(r['best_cluster_purity']):>6} {r['growth']['flagged_t']:>4}  "
            f"{'/'.join(r['best_cluster_keywords'][:5]) or '(no cluster)'}")
    lines.append(f"{results['eval_reviews']} scored reviews (gold-negative halves + background), "
                 f"{results['seconds']:.0f} s")
    return "\n".join(lines)


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


if __name__ == "__main__":
    sys.exit(main())
