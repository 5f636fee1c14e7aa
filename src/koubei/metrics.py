"""Metrics for topic, polarity, taste-direction and sentiment predictions.

Plain functions over label structures, shared by ``scripts/evaluate.py``
and (later) ``koubei evaluate``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def topic_metrics(gold: Sequence[dict[str, str]], pred: Sequence[dict[str, str]],
                  topic_ids: Sequence[str]) -> dict[str, Any]:
    """Detection micro/macro-F1, per-topic P/R/F1, topic+polarity F1 and polarity accuracy."""
    per: dict[str, dict[str, Any]] = {}
    tp_all = fp_all = fn_all = 0
    for t in topic_ids:
        tp = sum(1 for g, p in zip(gold, pred) if t in g and t in p)
        fp = sum(1 for g, p in zip(gold, pred) if t not in g and t in p)
        fn = sum(1 for g, p in zip(gold, pred) if t in g and t not in p)
        per[t] = {**prf(tp, fp, fn), "support": tp + fn}
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
    micro = prf(tp_all, fp_all, fn_all)
    gp = [{(t, v) for t, v in g.items()} for g in gold]
    pp = [{(t, v) for t, v in p.items()} for p in pred]
    tp2 = sum(len(a & b) for a, b in zip(gp, pp))
    pol = prf(tp2, sum(len(b) for b in pp) - tp2, sum(len(a) for a in gp) - tp2)
    both = [(g[t], p[t]) for g, p in zip(gold, pred) for t in g if t in p]
    return {
        "micro_f1": micro["f1"], "micro_precision": micro["precision"],
        "micro_recall": micro["recall"],
        "macro_f1": round(float(np.mean([per[t]["f1"] for t in topic_ids])), 4),
        "topic_polarity_micro_f1": pol["f1"],
        "polarity_accuracy_on_detected": round(float(np.mean([a == b for a, b in both])), 4)
        if both else 0.0,
        "per_topic": per,
        "n_reviews": len(gold),
    }


def mixed_polarity_mask(gold: Sequence[dict[str, str]]) -> np.ndarray:
    """Reviews whose gold topics carry more than one polarity (delivery pos + taste neg)."""
    return np.array([len(set(g.values())) > 1 for g in gold])


def taste_direction_accuracy(gold_topics: Sequence[dict[str, str]],
                             gold_dirs: Sequence[Sequence[str]],
                             pred_dirs: Sequence[Sequence[str]], taste_id: str = "taste",
                             pred_topics: Sequence[dict[str, str]] | None = None) -> dict[str, Any]:
    """Share of gold taste-``neg`` reviews whose predicted directions overlap the gold ones.

    Overlap forgives a direction too many, so the same reviews are scored strictly
    too: ``exact`` (the predicted directions are the gold ones) and the micro
    precision, recall and F1 of the directions (``directions``: one count per review
    and direction, a review whose taste was missed saying none).

    With ``pred_topics``, ``misses`` says why the others failed: taste not
    detected, detected but not negative, or negative with the wrong direction.
    """
    idx = [i for i, g in enumerate(gold_topics) if g.get(taste_id) == "neg" and gold_dirs[i]]
    hits = [bool(set(gold_dirs[i]) & set(pred_dirs[i])) for i in idx]
    specific = [i for i in idx if set(gold_dirs[i]) - {"bad_general"}]
    hits_spec = [bool(set(gold_dirs[i]) & set(pred_dirs[i])) for i in specific]
    out: dict[str, Any] = {
        "accuracy": round(float(np.mean(hits)), 4) if hits else 0.0, "n": len(idx),
        "accuracy_specific": round(float(np.mean(hits_spec)), 4) if hits_spec else 0.0,
        "n_specific": len(specific),
        "exact": round(float(np.mean([set(gold_dirs[i]) == set(pred_dirs[i]) for i in idx])), 4)
        if idx else 0.0,
        "directions": prf(sum(len(set(gold_dirs[i]) & set(pred_dirs[i])) for i in idx),
                          sum(len(set(pred_dirs[i]) - set(gold_dirs[i])) for i in idx),
                          sum(len(set(gold_dirs[i]) - set(pred_dirs[i])) for i in idx))}
    if pred_topics is not None:
        missed = [i for i, hit in zip(idx, hits) if not hit]
        said = [pred_topics[i].get(taste_id) for i in missed]
        out["misses"] = {"not_detected": sum(p is None for p in said),
                         "not_negative": sum(p is not None and p != "neg" for p in said),
                         "wrong_direction": sum(p == "neg" for p in said)}
    return out


def sentiment_metrics(gold: Sequence[str] | np.ndarray, pred: Sequence[str] | np.ndarray,
                      labels: Sequence[str] = ("neg", "neu", "pos")) -> dict[str, Any]:
    """Accuracy, macro-F1 and a confusion table."""
    g, p = np.asarray(gold), np.asarray(pred)
    f1s = []
    for lab in labels:
        tp = int(np.sum((g == lab) & (p == lab)))
        f1s.append(prf(tp, int(np.sum((g != lab) & (p == lab))), int(np.sum((g == lab) & (p != lab))))["f1"])
    confusion = {a: {b: int(np.sum((g == a) & (p == b))) for b in labels} for a in labels}
    return {"accuracy": round(float(np.mean(g == p)), 4), "macro_f1": round(float(np.mean(f1s)), 4),
            "confusion": confusion, "n": len(g)}
