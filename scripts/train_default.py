"""Train the bundled default model, models/default, from ../shared/corpora.

    python scripts/train_default.py [--data-dir ../shared/corpora] [-o models/default]

Reproducible: the same corpora, dictionary, taxonomy and seed give the same
bundle. Afterwards `python scripts/evaluate.py --update-bundle models/default`
writes the cross-validated metrics into its manifest and model card.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from koubei.classify.lexicon import load_lexicon
from koubei.corpora import (
    GOLD_FILE,
    SENTIMENT_FILES,
    UNLABELLED_FILES,
    aspect_files,
    file_fingerprint,
    find_corpora,
    load_aspect_records,
    load_gold,
    load_sentiment,
    load_unlabelled,
)
from koubei.errors import KoubeiError
from koubei.model.bundle import save_bundle
from koubei.model.card import library_versions, today
from koubei.resources import models_path
from koubei.taxonomy import load_taxonomy
from koubei.text.normalize import normalize
from koubei.text.segment import file_sha256, stopwords_path, user_dict_path
from koubei.train.default_recipe import train_default


def train_bundle(data: Path, output: str | Path, *, taxonomy: str | None = None, seed: int = 0,
                 log: Callable[[str], None] = print, holdout: frozenset[str] = frozenset(),
                 note: dict[str, object] | None = None) -> Path:
    """Train the default recipe on the corpora in ``data`` and save the bundle at ``output``.

    ``holdout``: normalized texts (:func:`koubei.text.normalize.normalize`) the
    bundle must never see: left out of the gold records, the sentiment corpora,
    the unlabelled texts and the aspect records (scripts/bench_emerging.py plants
    them as complaints the model did not learn from). ``note`` goes into the
    manifest as ``holdout``. Raises what the loaders and the trainer raise.
    """
    t0 = time.time()
    tax = load_taxonomy(taxonomy)
    corpus = load_sentiment(data)
    gold = load_gold(data)
    if holdout:
        corpus = corpus[~corpus["text"].map(normalize).isin(holdout)].reset_index(drop=True)
        gold = [g for g in gold if normalize(g.text) not in holdout]
    unlabelled = {rel: load_unlabelled(data, (rel,), exclude=holdout) for rel in UNLABELLED_FILES}
    aspects = load_aspect_records(data, exclude=holdout)
    trained = train_default(tax, corpus, gold, seed=seed, log=log,
                            unlabelled=[t for texts in unlabelled.values() for t in texts],
                            aspects=aspects, lexicon=load_lexicon())
    refs = []
    for src, rel in SENTIMENT_FILES.items():
        refs.append({**file_fingerprint(data / rel), "file": rel,
                     "rows": int((corpus["source"] == src).sum()), "use": "sentiment"})
    for rel in UNLABELLED_FILES:
        refs.append({**file_fingerprint(data / rel), "file": rel,
                     "use": "word vectors (text only, gold texts left out)",
                     "rows": len(unlabelled[rel])})
    for rel in aspect_files():
        refs.append({**file_fingerprint(data / rel), "file": rel,
                     "use": "topic polarity (aspect labels mapped to topics)"})
    refs.append({**file_fingerprint(data / GOLD_FILE), "file": GOLD_FILE, "rows": len(gold),
                 "use": "sentiment, topics, polarity, neutral band"})
    manifest = {
        "name": "koubei default",
        "description": "Default koubei model for Chinese customer reviews (food delivery, "
                       "e-commerce, hotel, restaurant, cosmetics, complaints).",
        "created": today(), "seed": seed, "libraries": library_versions(),
        "dictionary": {"user_dict_sha256": file_sha256(user_dict_path()),
                       "stopwords_sha256": file_sha256(stopwords_path())},
        "training_data": refs,
        "training": {"sentiment_pool": trained.pool_size, "gold_reviews": trained.gold_size,
                     "neutral_band": list(trained.neutral_band),
                     "aspect_pairs": trained.aspect_pairs,
                     "seconds": round(time.time() - t0, 1)},
        "metrics": {},
    }
    if note is not None:
        manifest["holdout"] = note
    return save_bundle(trained.components, output, manifest_extra=manifest,
                       user_dict=user_dict_path(), overwrite=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", help="the shared corpora folder (default: ../shared/corpora)")
    ap.add_argument("-o", "--output", default=str(models_path("default")))
    ap.add_argument("--taxonomy", help="taxonomy file (default: corpora/taxonomy/default.yaml)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    t0 = time.time()

    def log(msg: str) -> None:
        print(f"[{time.time() - t0:6.1f}s] {msg}", flush=True)

    try:
        out = train_bundle(find_corpora(args.data_dir), args.output, taxonomy=args.taxonomy,
                           seed=args.seed, log=log)
    except KoubeiError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    size = sum(f.stat().st_size for f in Path(out).iterdir())
    log(f"wrote {out} ({size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
