"""Score a model bundle on AI Challenger 2018 restaurant aspects: labels no one here wrote.

    python scripts/eval_aspects.py [--model models/default] [--data-dir ../shared/corpora]
                                   [--out scripts/results/eval_aspects.json]

The shared corpora hold two samples of 1,000 Dianping restaurant reviews each
(``aspects/ai_challenger2018_sample_{train,dev}.csv``), every review labelled on
20 aspects with 1 (positive), 0 (neutral), -1 (negative) or -2 (not mentioned).
The set is for evaluation only (``ai_challenger2018_PROTOCOL.txt``: non-commercial
research): no model of koubei trains on it, and this script only reads it. The
polarity head does learn from ASAP (:data:`koubei.corpora.ASAP_FILES`), a sister
set of Dianping reviews labelled with the same aspect scheme: a review whose
normalized text is an ASAP or gold text is left out here, and counted.

Two readings, each per sample (the two are reported apart and never tuned on):

- **aspects**: each aspect that maps onto a topic of the taxonomy
  (:data:`ASPECT_TOPICS`, by ``GUIDELINE.md``: queueing and parking are
  ``environment_facilities``, dishes served slowly ``service_attitude``, the look of a
  dish ``freshness_quality``) is predicted from that topic: its polarity (pos 1, neu 0,
  neg -1), or -2 where the model does not find the topic. ``others_overall_experience``
  is predicted from the review's overall sentiment. The metric per aspect is the
  competition's, the macro-F1 of the 4 classes (over the classes the gold or the
  prediction holds); it is averaged over the 17 mapped aspects (the competition
  averages all 20). A topic stands for several finer aspects (decoration, noise,
  space, cleanliness, location are one ``environment_facilities``), so a review that
  praises the decoration counts as a wrong "mentioned" for its noise: the coarse
  mapping understates the model. Training (:data:`koubei.corpora.ASAP_TOPICS`) leaves
  ASAP's waiting, serving speed and dish look out of what the polarity head learns;
  here they are mapped as the guideline reads them.
- **topics**: each topic's gold is its aspects merged (not mentioned when all are -2;
  otherwise the one side they take, neutral beside a side giving way to it; a topic
  whose aspects take both sides is left out of that review:
  :func:`koubei.corpora.merge_polarities`), against the model's topic polarity, with
  the same 4-class macro-F1, averaged over the topics.

Writes command, machine and date with the figures to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import pandas as pd
from sklearn.metrics import f1_score

from koubei.corpora import ASAP_FILES, ASAP_TOPICS, find_corpora, load_gold, merge_polarities, read_asap
from koubei.errors import DataNotFoundError
from koubei.model import load_model
from koubei.text.normalize import normalize

SAMPLES = {"train": "aspects/ai_challenger2018_sample_train.csv",
           "dev": "aspects/ai_challenger2018_sample_dev.csv"}
#: AI Challenger aspect -> taxonomy topic (GUIDELINE.md); the rest map onto none. The ASAP
#: aspects the polarity head learns from (:data:`koubei.corpora.ASAP_TOPICS`; ASAP's
#: location_traffic is location_traffic_convenience here), then those training leaves out
ASPECT_TOPICS = {
    **{("location_traffic_convenience" if a == "location_traffic" else a): t for a, t in ASAP_TOPICS.items()},
    "service_wait_time": "environment_facilities",  # queueing for a table
    "service_serving_speed": "service_attitude",  # dishes served slowly
    "dish_look": "freshness_quality",  # looks of a product
    "dish_taste": "taste",
}
#: the aspect read off the review's overall sentiment
OVERALL = "others_overall_experience"
_CODE = {"pos": 1, "neu": 0, "neg": -1}
NOT_MENTIONED = -2


def read_sample(path: Path) -> pd.DataFrame:
    """One sample: ``content`` and the 20 aspect columns as integers.

    Raises:
        DataNotFoundError: the file is missing.
        ValueError: a column is missing or a label is not one of 1, 0, -1, -2 (names file and row).
    """
    if not path.is_file():
        raise DataNotFoundError(f"{path}: AI Challenger sample missing (the aspects/ folder of the "
                                "shared corpora; pass it with --data-dir)")
    df = pd.read_csv(path, dtype={"content": str}, keep_default_na=False)
    missing = [c for c in ["content", *ASPECT_TOPICS, OVERALL] if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: columns missing: {', '.join(missing)}")
    for col in [*ASPECT_TOPICS, OVERALL]:
        values = pd.to_numeric(df[col], errors="coerce")
        bad = ~values.isin([1, 0, -1, NOT_MENTIONED])
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise ValueError(f"{path}, data row {row + 1} (after the header), column {col}: "
                             f"{df[col].iloc[row]!r} is not a label (1, 0, -1 or -2)")
        df[col] = values.astype(int)
    return df


def gold_topic(labels: list[int]) -> int | None:
    """A topic's gold class from its aspects' labels (None: both sides, left out)."""
    said = [{1: "pos", 0: "neu", -1: "neg"}[v] for v in labels if v != NOT_MENTIONED]
    if not said:
        return NOT_MENTIONED
    merged = merge_polarities(said)
    return None if merged is None else _CODE[merged]


def macro_f1(gold: list[int], pred: list[int]) -> float | None:
    """The 4-class macro-F1 over the classes the gold or the prediction holds (None: no review)."""
    return float(f1_score(gold, pred, average="macro")) if gold else None


def _mean(values: list[float | None]) -> float:
    kept = [v for v in values if v is not None]
    return round(math.fsum(kept) / len(kept), 4) if kept else float("nan")  # exact: order-free


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def score(df: pd.DataFrame, topics: list[dict[str, str]], sentiments: list[str]) -> dict:
    """Both readings of one sample (``topics``, ``sentiments``: the model's, row by row)."""
    aspects = {}
    for aspect, topic in [*ASPECT_TOPICS.items(), (OVERALL, None)]:
        gold = df[aspect].tolist()
        pred = ([_CODE[s] for s in sentiments] if topic is None
                else [_CODE[t[topic]] if topic in t else NOT_MENTIONED for t in topics])
        aspects[aspect] = {"topic": topic or "sentiment", "macro_f1": _round(macro_f1(gold, pred)),
                           "mentioned": int(sum(g != NOT_MENTIONED for g in gold))}
    by_topic = {}
    for topic in sorted(set(ASPECT_TOPICS.values())):
        cols = [a for a, t in ASPECT_TOPICS.items() if t == topic]
        pairs = [(g, _CODE[t[topic]] if topic in t else NOT_MENTIONED)
                 for labels, t in zip(df[cols].itertuples(index=False), topics)
                 if (g := gold_topic(list(labels))) is not None]
        golds, preds = [g for g, _ in pairs], [p for _, p in pairs]
        by_topic[topic] = {"aspects": cols, "macro_f1": _round(macro_f1(golds, preds)),
                           "reviews": len(pairs), "mentioned": sum(g != NOT_MENTIONED for g in golds)}
    return {"reviews": len(df),
            "mean_macro_f1_aspects": _mean([v["macro_f1"] for k, v in aspects.items() if k != OVERALL]),
            "mean_macro_f1_aspects_with_overall": _mean([v["macro_f1"] for v in aspects.values()]),
            "mean_macro_f1_topics": _mean([v["macro_f1"] for v in by_topic.values()]),
            "aspects": aspects, "topics": by_topic}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None, help="model bundle (default: the shipped models/default)")
    ap.add_argument("--data-dir", default=None, help="the shared corpora (default: ../shared/corpora)")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "eval_aspects.json"))
    args = ap.parse_args(argv)
    data = find_corpora(args.data_dir)
    model = load_model(args.model)
    seen_texts = {normalize(r.text) for r in load_gold(data)}  # what the model trained on
    for rel in (r for r in ASAP_FILES if (data / r).is_file()):
        seen_texts.update(normalize(t) for t in read_asap(data / rel)["reviewbody"].dropna())
    result: dict = {"command": " ".join(["python scripts/eval_aspects.py", *(argv or sys.argv[1:])]),
                    "date": time.strftime("%Y-%m-%d"),
                    "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                    "model": str(model.path), "samples": {}}
    for name, rel in SAMPLES.items():
        df = read_sample(data / rel)
        seen = df["content"].map(normalize).isin(seen_texts)
        df = df[~seen].reset_index(drop=True)
        preds = model.predict(df["content"].tolist())
        r = score(df, [p.topics for p in preds], [p.sentiment for p in preds])
        r["left_out_trained_texts"] = int(seen.sum())
        result["samples"][name] = r
        print(f"{name}: {r['reviews']} reviews; mean macro-F1 over {len(ASPECT_TOPICS)} mapped aspects "
              f"{r['mean_macro_f1_aspects']:.3f} (with overall experience "
              f"{r['mean_macro_f1_aspects_with_overall']:.3f}); over topics {r['mean_macro_f1_topics']:.3f}")
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
