"""Cross-validated quality of the default model's recipe, on ../shared/corpora.

    python scripts/evaluate.py [--data-dir DIR] [--folds 5] [--seed 0]
                               [--skip-sentiment] [--update-bundle models/default]
                               [--no-aspects | --aspect-weight W] [--aspect-taste]
                               [--no-lexicon] [--no-gold-head] [--no-direction-head]
                               [--dump-predictions FILE] [--out FILE]
                               [--save-folds FILE | --from-folds FILE]

What it measures (never on reviews a model was trained on):
- sentiment: for each corpus (waimai, online_shopping, hotel), 5 folds grouped
  by normalized text; each fold's model is trained on the whole training pool
  (all corpora + gold, deduped) minus every text of the test fold, and scored
  against that corpus's own binary labels (P(pos) >= 0.5).
- topics: 5 folds over the gold labels grouped by normalized text, each text's
  fold read off a hash of the text and the seed (koubei.train.split.hashed_group_folds:
  a change that normalizes a few texts differently moves only those); topic
  detector and polarity head trained on the other folds, fed by a sentiment
  model that never saw any gold text; the polarity head also learns from the
  aspect sets' pairs (tianchi cosmetics, ASAP; gold texts left out), as the
  default model does (--no-aspects: gold pairs only; --aspect-weight and
  --aspect-taste: the alternatives the shipped choice was picked from).
  Topic polarities are settled by the polarity lexicon where it is one-sided
  (--no-lexicon: the head alone); the overall sentiment comes from the 3-class
  gold head learnt on the training folds (--no-gold-head: the neutral band).
  Taste directions come from the direction head learnt on the training folds'
  taste details (--no-direction-head: the lexicon rules alone).
  Reports topic micro/macro-F1, per-topic P/R/F1, topic+polarity micro-F1
  (all, and on reviews whose topics carry different polarities),
  taste-direction accuracy (also exact match and micro P/R/F1 over directions), gold 3-class
  sentiment; each also on the `random` records alone (the only random sample of the gold file).
The TF-IDF vocabulary is fitted once on all texts (no labels involved), the
word vectors once on the unlabelled texts (sentiment corpora, hotpot and
cosmetics reviews, each minus every gold text).
Results go to scripts/results/evaluate.json (or --out).

To judge a change to the prediction rules (src/koubei/model/predict.py) in seconds,
not minutes: --save-folds FILE pickles each fold's fitted components with its test
rows (about 150 MB); --from-folds FILE then predicts the test rows again with the
code as it is now and scores them, fitting nothing (the figures of the run that
saved them, exactly, while the rules are unchanged). Edits to corpora/ are not seen
by the saved components: retrain the folds for those. A development aid: the
figures it writes are marked with "from_folds" and are not the shipped figures.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold

from koubei.classify.lexicon import load_lexicon
from koubei.classify.sentiment import SentimentClassifier
from koubei.corpora import (
    ASAP_TOPICS,
    find_corpora,
    load_aspect_records,
    load_gold,
    load_sentiment,
    load_unlabelled,
)
from koubei.metrics import mixed_polarity_mask, sentiment_metrics, taste_direction_accuracy, topic_metrics
from koubei.model.card import update_card
from koubei.model.predict import Components, predict_docs
from koubei.taxonomy import load_taxonomy
from koubei.text.docs import prepare_many
from koubei.text.normalize import normalize
from koubei.train.default_recipe import (
    ASPECT_WEIGHT,
    SENTIMENT_DOMAINS,
    AspectPairs,
    build_sentiment_pool,
    domain_membership,
    fit_direction_head,
    fit_embedder,
    fit_gold_sentiment,
    fit_sentiment,
    fit_topic_parts,
    fit_word_vectors,
)
from koubei.train.split import hashed_group_folds

T0 = time.time()


def log(msg: str) -> None:
    print(f"[{time.time() - T0:6.1f}s] {msg}", file=sys.stderr, flush=True)


def sentiment_cv(corpus: pd.DataFrame, pool: pd.DataFrame, X_pool, embedder, folds: int,
                 seed: int) -> dict[str, dict]:
    out = {}
    pool_norm = pool["norm"].to_numpy()
    labels = pool["label"].to_numpy()
    member = domain_membership(pool)
    for src in ("waimai", "shopping", "hotel"):
        part = corpus[corpus["source"] == src].copy()
        part["norm"] = [normalize(t) for t in part["text"]]
        part = part[part["norm"].str.len() > 0].reset_index(drop=True)
        groups = pd.factorize(part["norm"])[0]
        y = part["label"].to_numpy()
        X_part = embedder.transform(prepare_many(part["text"].tolist()))
        accs = []
        cv = StratifiedGroupKFold(folds, shuffle=True, random_state=seed)
        for k, (_, te) in enumerate(cv.split(part, y, groups)):
            keep = ~np.isin(pool_norm, part["norm"].to_numpy()[te])
            model = SentimentClassifier(domains=SENTIMENT_DOMAINS).fit(  # as train_default fits it
                X_pool[keep], labels[keep], member[keep])
            pred = (model.proba_pos(X_part[te]) >= 0.5).astype(int)
            accs.append(float(np.mean(pred == y[te])))
            log(f"sentiment {src} fold {k + 1}: {accs[-1]:.4f}")
        out[src] = {"accuracy": round(float(np.mean(accs)), 4),
                    "sd": round(float(np.std(accs)), 4), "n": len(part), "folds": folds}
    return out


def score_predictions(gold, preds, taxonomy) -> dict:
    """Every topic, polarity, taste and sentiment figure of out-of-fold ``preds`` against ``gold``."""
    G = [r.topics for r in gold]
    P = [p.topics for p in preds]
    res = topic_metrics(G, P, taxonomy.topic_ids)
    mask = mixed_polarity_mask(G)
    mixed = topic_metrics([g for g, m in zip(G, mask) if m], [p for p, m in zip(P, mask) if m],
                          taxonomy.topic_ids)
    res["mixed_polarity"] = {"n_reviews": int(mask.sum()),
                             "topic_polarity_micro_f1": mixed["topic_polarity_micro_f1"]}
    res["taste_direction"] = taste_direction_accuracy(G, [r.taste_detail for r in gold],
                                                      [p.taste_detail for p in preds], pred_topics=P)
    res["gold_sentiment"] = sentiment_metrics([r.sentiment for r in gold], [p.sentiment for p in preds])
    return res


def topic_cv(taxonomy, gold, gold_docs, embedder, sent_unseen, folds: int, seed: int, dense=None,
             aspects=None, dump: str | None = None, lexicon=None, no_gold_head: bool = False,
             direction_head: bool = True, save_folds: str | None = None) -> dict:
    preds = [None] * len(gold)
    saved = []
    # grouped by normalized text, each text's fold from a hash of it: a change to the normalization
    # or the lexicon moves only the texts it changes, not every fold (hashed_group_folds)
    tests = hashed_group_folds([d.norm for d in gold_docs], folds, seed)
    for k, te in enumerate(tests):
        tr = np.setdiff1d(np.arange(len(gold)), te)
        topics, polarity = fit_topic_parts(taxonomy, embedder, sent_unseen,
                                           [gold_docs[i] for i in tr], [gold[i] for i in tr],
                                           seed=seed, dense=dense, aspects=aspects)
        sentiment = sent_unseen if no_gold_head else fit_gold_sentiment(
            sent_unseen, sent_unseen, embedder, [gold_docs[i] for i in tr], [gold[i] for i in tr],
            lexicon=lexicon)
        comps = Components(taxonomy, embedder, sentiment, topics, polarity, dense=dense, lexicon=lexicon)
        if direction_head:
            comps.directions = fit_direction_head(comps, [gold_docs[i] for i in tr], [gold[i] for i in tr])
        for i, p in zip(te, predict_docs(comps, [gold_docs[i] for i in te])):
            preds[i] = p
        if save_folds:
            saved.append((comps, te.tolist()))
        log(f"topics fold {k + 1} done")
    if save_folds:
        with open(save_folds, "wb") as f:
            pickle.dump({"folds": saved, "gold": gold, "gold_docs": gold_docs, "seed": seed}, f)
    return scored(taxonomy, gold, preds, folds, seed, dump)


def scored(taxonomy, gold, preds, folds: int, seed: int, dump: str | None) -> dict:
    """The figures of out-of-fold ``preds``, overall and on the random records; each review's
    prediction beside its labels written to ``dump`` if given."""
    res = score_predictions(gold, preds, taxonomy)
    res["random_only"] = score_predictions(*zip(*[(r, p) for r, p in zip(gold, preds)
                                                  if r.selection == "random"]), taxonomy)
    res["random_only"]["n_reviews"] = sum(r.selection == "random" for r in gold)
    if dump:
        with open(dump, "w", encoding="utf-8") as f:
            for r, p in zip(gold, preds):
                f.write(json.dumps({"id": r.id, "selection": r.selection, "text": r.text,
                                    "gold": {"sentiment": r.sentiment, "topics": r.topics,
                                             "taste_detail": list(r.taste_detail)},
                                    "pred": {"sentiment": p.sentiment, "topics": p.topics,
                                             "taste_detail": p.taste_detail}},
                                   ensure_ascii=False) + "\n")
    res["folds"], res["seed"] = folds, seed
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-sentiment", action="store_true",
                    help="only the gold topic CV (the sentiment figures already in --out are kept, "
                         "with the command and date that measured them)")
    ap.add_argument("--no-aspects", action="store_true",
                    help="the polarity head learns from gold pairs only, not also from the aspect sets")
    ap.add_argument("--aspect-weight", type=float, default=ASPECT_WEIGHT,
                    help=f"weight of an aspect pair against a gold pair (default {ASPECT_WEIGHT})")
    ap.add_argument("--aspect-taste", action="store_true",
                    help="also map ASAP's dish_taste to taste (the shipped model leaves it out)")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "evaluate.json"))
    ap.add_argument("--no-lexicon", action="store_true",
                    help="topic polarities from the polarity head alone, not settled by the polarity lexicon")
    ap.add_argument("--no-gold-head", action="store_true",
                    help="overall sentiment from the neutral band alone, without the 3-class gold head")
    ap.add_argument("--no-direction-head", action="store_true",
                    help="taste directions from the lexicon rules alone, without the learnt direction head")
    ap.add_argument("--dump-predictions", metavar="FILE",
                    help="write each gold review's out-of-fold prediction beside its labels (JSON lines)")
    ap.add_argument("--update-bundle", help="write the metrics into this bundle's manifest and card")
    saving = ap.add_mutually_exclusive_group()
    saving.add_argument("--save-folds", metavar="FILE",
                        help="also pickle each fold's fitted components and test rows to FILE")
    saving.add_argument("--from-folds", metavar="FILE",
                        help="fit nothing: predict the test rows of the folds saved in FILE with "
                             "the current code and score them")
    args = ap.parse_args(argv)
    command = "python scripts/evaluate.py " + " ".join(argv or sys.argv[1:])
    if args.from_folds:
        return rescore_folds(args.from_folds, args.out, command, args.dump_predictions)
    data = find_corpora(args.data_dir)
    taxonomy = load_taxonomy()
    corpus, gold = load_sentiment(data), load_gold(data)
    pool = build_sentiment_pool(corpus, gold).frame
    pool_docs = prepare_many(pool["text"].tolist())
    gold_docs = prepare_many([r.text for r in gold])
    embedder = fit_embedder(pool_docs + gold_docs)
    X_pool = embedder.transform(pool_docs)
    log(f"pool {len(pool):,} texts, {embedder.n_features_out_:,} features")
    gold_norms = {d.norm for d in gold_docs}
    unseen = ~pool["norm"].isin(gold_norms).to_numpy()
    sent_unseen = fit_sentiment(embedder, [d for d, u in zip(pool_docs, unseen) if u],
                                pool["label"].to_numpy()[unseen], domain_membership(pool)[unseen])
    dense = fit_word_vectors(embedder, [d for d, u in zip(pool_docs, unseen) if u]
                             + prepare_many(load_unlabelled(data, exclude=gold_norms)), seed=args.seed)
    log(f"word vectors: {len(dense.columns):,} words (gold texts not among their training text)")
    asap = {**ASAP_TOPICS, "dish_taste": "taste"} if args.aspect_taste else ASAP_TOPICS
    aspects = None if args.no_aspects else AspectPairs.build(
        load_aspect_records(data, exclude=gold_norms, asap_topics=asap), taxonomy, weight=args.aspect_weight)
    sent_unseen.tune_band(sent_unseen.proba_pos(embedder.transform(gold_docs)),
                          np.array([r.sentiment for r in gold]))
    results: dict = {"command": command,
                     "date": time.strftime("%Y-%m-%d"),
                     "machine": f"{platform.machine()}, {os.cpu_count()} cores"}
    results["topics"] = topic_cv(taxonomy, gold, gold_docs, embedder, sent_unseen, args.folds, args.seed,
                                 dense, aspects, dump=args.dump_predictions,
                                 lexicon=None if args.no_lexicon else load_lexicon(),
                                 no_gold_head=args.no_gold_head, direction_head=not args.no_direction_head,
                                 save_folds=args.save_folds)
    if not args.skip_sentiment:
        results["sentiment"] = sentiment_cv(corpus, pool, X_pool, embedder, args.folds, args.seed)
    elif Path(args.out).is_file():  # keep the last sentiment figures, saying where they come from
        old = json.loads(Path(args.out).read_text(encoding="utf-8"))
        if "sentiment" in old:
            results["sentiment"] = old["sentiment"]
            results["sentiment_from"] = old.get("sentiment_from") or {
                "command": old.get("command"), "date": old.get("date")}
    results["seconds"] = round(time.time() - T0, 1)
    Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print(report_lines(results))
    if args.update_bundle:
        write_into_bundle(Path(args.update_bundle), results)
    return 0


def rescore_folds(path: str, out: str, command: str, dump: str | None) -> int:
    """Predict the test rows of the folds pickled by ``--save-folds`` with the current code,
    score them and write the figures to ``out`` marked ``from_folds``."""
    with open(path, "rb") as f:
        saved = pickle.load(f)
    gold, gold_docs = saved["gold"], saved["gold_docs"]
    preds = [None] * len(gold)
    for comps, te in saved["folds"]:
        for i, p in zip(te, predict_docs(comps, [gold_docs[i] for i in te])):
            preds[i] = p
    taxonomy = saved["folds"][0][0].taxonomy
    results = {"command": command, "date": time.strftime("%Y-%m-%d"),
               "machine": f"{platform.machine()}, {os.cpu_count()} cores", "from_folds": path,
               "topics": scored(taxonomy, gold, preds, len(saved["folds"]), saved["seed"], dump),
               "seconds": round(time.time() - T0, 1)}
    Path(out).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print(report_lines(results))
    return 0


def headline(results: dict) -> dict:
    t = results["topics"]
    out = {"topics_cv": {
        "micro_f1": t["micro_f1"], "macro_f1": t["macro_f1"],
        "topic_polarity_micro_f1": t["topic_polarity_micro_f1"],
        "mixed_polarity_topic_polarity_f1": t["mixed_polarity"]["topic_polarity_micro_f1"],
        "taste_direction_accuracy": t["taste_direction"]["accuracy"],
        "gold_sentiment_accuracy": t["gold_sentiment"]["accuracy"]}}
    if "sentiment" in results:
        out["sentiment_cv_accuracy"] = {k: v["accuracy"] for k, v in results["sentiment"].items()}
    if "sentiment_from" in results:
        src = results["sentiment_from"]
        out["sentiment_measured_by"] = f"{src.get('command')} ({src.get('date')})"
    return out


def report_lines(results: dict) -> str:
    t = results["topics"]
    mixed, taste = t["mixed_polarity"], t["taste_direction"]
    lines = [f"topics (gold, {t['folds']}-fold CV): micro-F1 {t['micro_f1']:.3f}  "
             f"macro-F1 {t['macro_f1']:.3f}  topic+polarity {t['topic_polarity_micro_f1']:.3f}  "
             f"mixed-polarity topic+polarity {mixed['topic_polarity_micro_f1']:.3f} "
             f"(n={mixed['n_reviews']})  taste direction {taste['accuracy']:.3f} (n={taste['n']})"]
    if "misses" in taste:
        m = taste["misses"]
        lines.append(f"  taste-direction misses: taste not detected {m['not_detected']}, not negative "
                     f"{m['not_negative']}, wrong direction {m['wrong_direction']}")
    for tid, m in t["per_topic"].items():
        lines.append(f"  {tid:26s} P {m['precision']:.3f}  R {m['recall']:.3f}  "
                     f"F1 {m['f1']:.3f}  n {m['support']}")
    g = t["gold_sentiment"]
    lines.append(f"gold sentiment (3-class): accuracy {g['accuracy']:.3f}  macro-F1 {g['macro_f1']:.3f}")
    if "random_only" in t:
        r = t["random_only"]
        lines.append(f"random records only (n={r['n_reviews']}): micro-F1 {r['micro_f1']:.3f}  "
                     f"macro-F1 {r['macro_f1']:.3f}  topic+polarity {r['topic_polarity_micro_f1']:.3f}  "
                     f"mixed {r['mixed_polarity']['topic_polarity_micro_f1']:.3f}  "
                     f"taste direction {r['taste_direction']['accuracy']:.3f}  "
                     f"sentiment {r['gold_sentiment']['accuracy']:.3f}")
    for src, m in results.get("sentiment", {}).items():
        lines.append(f"sentiment {src}: accuracy {m['accuracy']:.4f} ± {m['sd']:.4f} (n={m['n']:,})")
    return "\n".join(lines)


def write_into_bundle(folder: Path, results: dict) -> None:
    mpath = folder / "manifest.json"
    manifest = json.loads(mpath.read_text(encoding="utf-8"))
    manifest["metrics"] = {**headline(results), "measured_by": results["command"],
                           "measured_on": results["date"]}
    mpath.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    update_card(folder)


if __name__ == "__main__":
    sys.exit(main())
