"""Manifest facts and the model card rendered from them."""

from __future__ import annotations

import datetime as dt
import json
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from koubei.version import __version__

LIBRARIES = ("jieba", "scikit-learn", "numpy", "scipy", "pandas", "opencc")


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "koubei": __version__}
    for lib in LIBRARIES:
        try:
            out[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            out[lib] = "not installed"
    return out


def today() -> str:
    return dt.date.today().isoformat()


def _fmt(v: Any) -> str:
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def word_vector_lines(info: dict[str, Any] | None) -> list[str]:
    """Card line for a model whose heads read word vectors (none without them)."""
    if not info:
        return []
    return [f"- Word vectors: {info['words']:,} words × {info['dim']} (positive PMI of co-occurrences, "
            "truncated SVD) learnt from unlabelled review text; each review's TF-IDF-weighted mean "
            "vector feeds the topic detector and the polarity head."]


def aspect_lines(info: dict[str, Any] | None) -> list[str]:
    """Card line for a polarity head that also learnt from aspect-level sets (none otherwise)."""
    if not info or not info.get("pairs"):
        return []
    return [f"- The polarity head also learnt from {info['pairs']:,} (review, topic) pairs of "
            f"{info['reviews']:,} reviews of aspect-level sets (listed below), their categories "
            f"mapped to topics, each weighing {info['weight']} against a gold pair."]


def lexicon_lines(manifest: dict[str, Any]) -> list[str]:
    """Card lines for the polarity lexicon and the sentiment's gold head (none when absent)."""
    out = []
    lex = manifest.get("lexicon")
    if lex:
        out.append(f"- Polarity lexicon **{lex['name']} v{lex['version']}** (sha256 `{lex['sha256'][:12]}…`, "
                   "`lexicon.json`): where a topic's own clauses hold one-sided evidence (a complaint "
                   "word denied: 没受潮; slang praise: 在线; worse than before: 不如上次) it settles the "
                   "topic's polarity.")
    head = manifest.get("sentiment_head")
    if head:
        side = " and the polarity lexicon's evidence counts" if head.get("side_columns") else ""
        out.append("- Overall sentiment label from a 3-class head learnt on hand-labelled reviews (the text, "
                   f"the binary model's logits{side}; `neu` logit offset {head['neu_offset']}); "
                   "`sentiment_score` stays the binary model's P(pos).")
    return out


def encoder_lines(embedder: dict[str, Any]) -> list[str]:
    """Card lines for a model with a transformer encoder (none for TF-IDF only)."""
    enc = embedder.get("encoder")
    if not enc:
        return []
    where = ("a copy inside this bundle (`encoder/`); the bundle works on its own" if enc.get("in_bundle")
             else f"referenced, not copied: `{enc['path']}` must hold that model wherever the bundle "
                  "is loaded (checked by hash)")
    return [
        f"- Transformer encoder: {enc['dim']}-dimensional {enc['pooling']}-pooled embeddings "
        f"(max_length {enc['max_length']}, config sha256 `{enc['config_sha256'][:12]}…`) appended to "
        "the TF-IDF columns of every review and clause, read by the topic, polarity and (when learnt "
        f"from the labels) sentiment heads. Encoder weights: {where}. Needs "
        '`pip install "koubei[transformers]"` (torch==2.13.0) to load.']


def direction_lines(head: dict[str, Any] | None) -> list[str]:
    """Card line for the taste direction head (none when the model has none)."""
    if not head:
        return []
    return [f"- Taste directions of a negative taste mention ({', '.join(head['directions'])}) from a "
            "logistic regression per direction learnt from the labelled taste details: it reads the "
            f"lexicon rules' reading ({head['rule_features']:,} rule features: the directions and cues "
            f"they find) and {head['text_columns']:,} embedding columns of the mention's clauses; "
            "the fallback direction only when no other is said."]


def render_card(manifest: dict[str, Any]) -> str:
    """Markdown model card from a manifest."""
    tax = manifest["taxonomy"]
    lines = [
        f"# Model card: {manifest.get('name', 'koubei model')}",
        "",
        manifest.get("description", ""),
        "",
        "## What it predicts",
        f"- Taxonomy **{tax['name']} v{tax['version']}** (sha256 `{tax['sha256'][:12]}…`): "
        "topics with polarity, service dimensions derived from topics, taste direction of "
        "negative taste mentions, opinion phrases, overall sentiment (pos/neg/neu with P(pos)).",
        "- Method: TF-IDF over jieba words (negation-marked) and character 1-3-grams; "
        "sentiment from a pooled logistic regression mixed with one expert per domain "
        "corpus (hotel, food delivery, shopping), weighted by a naive Bayes domain router; "
        "a logistic regression per topic, stacked over the review's clauses; a polarity "
        "head over each topic's own clauses; lexicon rules for taste direction (a learnt head "
        "decides where the model has one, below).",
        *direction_lines(manifest.get("direction_head")),
        *word_vector_lines(manifest.get("word_vectors")),
        *aspect_lines((manifest.get("training") or {}).get("aspect_pairs")),
        *lexicon_lines(manifest),
        *encoder_lines(manifest.get("embedder") or {}),
        "",
        "## Training data",
    ]
    for ref in manifest.get("training_data", []):
        rows = f"{ref['rows']:,} rows, " if isinstance(ref.get("rows"), int) else ""
        lines.append(f"- `{ref['file']}` — {rows}sha256 `{ref['sha256'][:12]}…` ({ref.get('use', '')})")
    lines += ["", "Sets marked non-commercial in the corpora README were not used for training.", ""]
    metrics = manifest.get("metrics") or {}
    lines.append("## Measured quality")
    if not metrics:
        lines.append("Not measured yet: run `python scripts/evaluate.py --update-bundle models/default`.")
    for section, vals in metrics.items():
        if isinstance(vals, dict):
            flat = ", ".join(f"{k} {_fmt(v)}" for k, v in vals.items() if not isinstance(v, dict))
            lines.append(f"- **{section}**: {flat}")
        else:
            lines.append(f"- **{section}**: {_fmt(vals)}")
    lines += ["", "## Versions", "```", json.dumps(manifest.get("libraries", {}), indent=1), "```",
              "", "## Limits",
              "- Trained on food delivery, e-commerce, hotel, hotpot-restaurant, cosmetics and "
              "consumer-complaint reviews; other domains will transfer less well.",
              "- Gold labels are one annotator's reading; see the guideline's soft spots.", ""]
    return "\n".join(lines)


def update_card(folder: Path) -> None:
    """Re-render MODEL_CARD.md after the manifest changed."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    (folder / "MODEL_CARD.md").write_text(render_card(manifest), encoding="utf-8")
