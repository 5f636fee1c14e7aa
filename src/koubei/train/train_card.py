"""The model card of a bundle trained by ``koubei train``: the standard card plus the training facts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from koubei.io.writers import atomic_write
from koubei.model.card import render_card


def _threshold_rule(training: dict[str, Any]) -> str:
    """How the thresholds were picked: shrunk toward a shared one (``threshold_shrinkage``), 0.5
    where no topic was learnt, or (a bundle trained before it was recorded) tuned per topic."""
    if "threshold_shrinkage" not in training:
        return "thresholds tuned per topic"
    shrink = training["threshold_shrinkage"] or {}
    if shrink.get("shared") is None:
        return "no topic learnt, every threshold 0.5"
    return (f"each learnt topic's F1-best threshold shrunk toward one shared by them all, "
            f"{shrink['shared']:.3f} (n / (n + {shrink['prior']:g}) its own, n its labelled reviews)")


def train_section(manifest: dict[str, Any]) -> list[str]:
    """Markdown lines: base, label counts, rule-based topics, thresholds, per-topic CV."""
    tr = manifest.get("training") or {}
    base = tr.get("base")
    thresholds = _threshold_rule(tr)
    lines = ["## Training on labelled reviews", "",
             f"- Recipe: `koubei train`, seed {manifest.get('seed')}, {tr.get('folds')}-fold "
             "stratified multi-label cross-validation; after Platt calibration on out-of-fold "
             f"predictions, {thresholds}.",
             f"- Base: `{base['path']}` ({base.get('use', '')})" if base else
             "- Base: none (vocabulary fitted on the labelled texts)",
             f"- Sentiment: {tr.get('sentiment')}" + (f", neutral band {tr['neutral_band']}"
                                                     if tr.get("neutral_band") else ""),
             "- Taste direction: lexicon rules of the taxonomy (not learnt).",
             *_encoder_lines(tr.get("encoder")),
             *([f"- Base and labels: {tr['base_saw_labels']['detail']}."]
               if tr.get("base_saw_labels") else []),
             *([f"- Committee for `koubei suggest`: {tr['committee']}."] if tr.get("committee") else []),
             "",
             "| topic | labelled (pos/neg/neu) | threshold | CV F1 | detector |", "|---|---|---|---|---|"]
    per = ((manifest.get("cv_detail") or {}).get("topics") or {}).get("per_topic", {})
    rules = tr.get("rule_based_topics") or {}
    for t, counts in (tr.get("label_counts") or {}).items():
        c = "/".join(str(counts.get(p, 0)) for p in ("pos", "neg", "neu"))
        f1 = per.get(t, {}).get("f1")
        how = f"rule-based: {rules[t]}" if t in rules else "learnt"
        lines.append(f"| {t} | {c} | {tr.get('thresholds', {}).get(t, 0.5):.3f} | "
                     f"{'' if f1 is None else f'{f1:.3f}'} | {how} |")
    if rules:
        lines += ["", "Rule-based topics had too few labelled reviews to learn; they are found by "
                  "their cue words alone. Label more reviews of them (see `koubei suggest`)."]
    return lines + [""]


def _encoder_lines(enc: dict[str, Any] | None) -> list[str]:
    if not enc:
        return []
    lines = [f"- Encoder: `{enc['model_dir']}` ({enc['architecture']}, {enc['dim']} dims, "
             f"{enc['pooling']} pooling, max_length {enc['max_length']}); weights {enc['weights']}."]
    ft = enc.get("finetune")
    if ft:
        runs = ", ".join(f"{r['fit']} ({r['reviews']} reviews, loss {r['losses'][0]:.3f} → "
                         f"{r['losses'][-1]:.3f})" for r in ft["runs"])
        lines.append(f"- Fine-tuned {ft['config']['epochs']} epochs per fit, lr {ft['config']['lr']}: "
                     f"{runs}. Each cross-validation fold's encoder was tuned on that fold's "
                     "training reviews only.")
    return lines


def write_train_card(folder: Path) -> None:
    """Rewrite MODEL_CARD.md of a trained bundle (the card is not hashed), atomically."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    text = render_card(manifest) + "\n" + "\n".join(train_section(manifest))

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    # atomic_write, not mkstemp: the card gets a plain file's rights (mkstemp's are 0600)
    atomic_write(folder / "MODEL_CARD.md", write)
