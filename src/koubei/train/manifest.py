"""The manifest of a bundle trained on labels: training data, recipe, calibration, CV metrics.

:func:`train_manifest` is saved with the bundle (``manifest.json``); the model card
(:mod:`koubei.train.train_card`) is rendered from it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from koubei.corpora import GoldRecord
from koubei.model.card import library_versions, today
from koubei.taxonomy import Taxonomy
from koubei.text.segment import file_sha256
from koubei.train.calibrate import Calibration
from koubei.train.label_file import LabelReport
from koubei.train.parts import SENTIMENT_FOLDS, Source, can_cross_fit


def train_manifest(taxonomy: Taxonomy, src: Source, records: list[GoldRecord], report: LabelReport | None,
                   rules: dict[str, str], cal: Calibration, cv: dict[str, Any], k: int, seed: int,
                   min_examples: int, band: tuple[float, float] | None, seconds: float) -> dict[str, Any]:
    """The ``manifest_extra`` of a trained bundle (``save_bundle`` adds the kind, taxonomy, file
    hashes and embedder)."""
    data_ref = {"file": Path(report.path).name if report else "<records>", "rows": len(records),
                "sha256": report.sha256 if report else _records_sha(records),
                "use": "topics, polarity" + (", sentiment" if src.sentiment is None else "")}
    t = cv["topics"]
    metrics: dict[str, Any] = {"topics_cv": {
        "micro_f1": t["micro_f1"], "macro_f1": t["macro_f1"],
        "topic_polarity_micro_f1": t["topic_polarity_micro_f1"],
        "polarity_accuracy_on_detected": t["polarity_accuracy_on_detected"],
        "taste_direction_accuracy": cv["taste_direction"]["accuracy"], "folds": k}}
    if "sentiment" in cv:
        metrics["topics_cv"]["sentiment_accuracy"] = cv["sentiment"]["accuracy"]
        metrics["topics_cv"]["sentiment_macro_f1"] = cv["sentiment"]["macro_f1"]
    return {
        "name": f"koubei trained on {data_ref['file']}",
        "description": f"Topics and polarity trained on {len(records)} labelled reviews"
                       + (f", starting from {src.base['path']}" if src.base else "") + ".",
        "created": today(), "seed": seed, "libraries": library_versions(),
        "dictionary": {"user_dict_sha256": file_sha256(src.user_dict)},
        "training_data": [data_ref],
        "training": {
            "recipe": "koubei train", "base": src.base, "folds": k, "min_examples": min_examples,
            "labels": report.to_dict() if report else None,
            "label_counts": _label_counts(taxonomy, records),
            "rule_based_topics": rules,
            "thresholds": dict(zip(taxonomy.topic_ids, (float(x) for x in cal.thresholds))),
            "threshold_shrinkage": {"shared": cal.shared, "prior": cal.prior},
            "calibration": {t: [round(float(a), 4), round(float(b), 4)]
                            for t, a, b in zip(taxonomy.topic_ids, cal.a, cal.b)},
            "sentiment": _sentiment_source(src, records),
            "neutral_band": list(band) if band else None, "seconds": round(seconds, 1)},
        "metrics": metrics, "cv_detail": cv,
    }


def _sentiment_source(src: Source, records: list[GoldRecord]) -> str:
    """Where the sentiment model came from and what the polarity head read (manifest and card)."""
    if src.sentiment is not None:
        return "reused from the base"
    if can_cross_fit(records):
        return (f"trained on the labels; the polarity head read it cross-fitted ({SENTIMENT_FOLDS} folds, "
                "each review scored by a model that did not see it)")
    return (f"trained on the labels; the polarity head read the full model (fewer than "
            f"{2 * SENTIMENT_FOLDS} pos or neg labels to cross-fit)")


def _label_counts(taxonomy: Taxonomy, records: list[GoldRecord]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {t: {} for t in taxonomy.topic_ids}
    for r in records:
        for t, pol in r.topics.items():
            out[t][pol] = out[t].get(pol, 0) + 1
    return out


def _records_sha(records: list[GoldRecord]) -> str:
    import hashlib

    blob = json.dumps([[r.text, r.sentiment, r.topics, list(r.taste_detail)] for r in records],
                      ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
