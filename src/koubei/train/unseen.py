"""A base sentiment model that has not seen the labelled reviews, for the polarity head.

The polarity head reads the sentiment model's logits on each topic's clauses
and on the whole review. With ``--base``, that sentiment model is the base's;
when the base was trained on some of the labelled reviews (``models/default``
was trained on the gold labels, so ``koubei train --base models/default`` on
gold reviews), its logits on them are over-confident (on 279 pos/neg gold
reviews: 98.6 % right, mean signed logit 3.76; refitted without them: 93.9 %,
3.08), and the head learns to trust them more than it should on new reviews. ``models/default`` itself is
trained the same way (its polarity head reads a sentiment model fitted
without the gold reviews).

So when the base's training data can be found (the manifest names each file
and its sha256; the shared corpora hold them), the labelled reviews are
looked up in it; if some were seen, the base's sentiment recipe is refitted on
its data less those reviews, and that model feeds the polarity head while it
is fitted (and scores the cross-validation folds). The bundle keeps the
base's own sentiment model. When the data cannot be found the check is
skipped and the model card says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from koubei.classify.sentiment import SentimentClassifier
from koubei.corpora import SENTIMENT_FILES, GoldRecord, find_corpora, load_gold, load_sentiment
from koubei.errors import DataNotFoundError
from koubei.text.docs import prepare_many
from koubei.text.normalize import normalize
from koubei.text.segment import Segmenter, file_sha256

Log = Callable[[str], None]


@dataclass
class UnseenCheck:
    """Whether the base saw the labelled reviews, and the sentiment model that did not.

    Attributes:
        status: ``no overlap``, ``refitted`` or ``not checked``.
        seen: labelled reviews found in the base's sentiment training data.
        detail: one line for the manifest and model card.
        sentiment: the refitted model (``refitted`` only).
    """

    status: str
    seen: int
    detail: str
    sentiment: SentimentClassifier | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "seen": self.seen, "detail": self.detail}


def base_sentiment_data(manifest: dict[str, Any], data_dir: str | Path | None = None
                        ) -> tuple[pd.DataFrame, list[GoldRecord]] | str:
    """The base's sentiment training data (corpora frame, gold records), or why it cannot be had."""
    refs = [r for r in manifest.get("training_data") or [] if "sentiment" in str(r.get("use", ""))]
    if not refs:
        return "the base's manifest names no sentiment training data"
    try:
        root = find_corpora(data_dir)
    except DataNotFoundError:
        return "the shared corpora the base was trained on are not here (set KOUBEI_CORPORA)"
    by_path = {rel: src for src, rel in SENTIMENT_FILES.items()}
    sources, gold = [], []
    for ref in refs:
        path = root / str(ref["file"])
        if not path.is_file() or file_sha256(path) != ref.get("sha256"):
            return f"{ref['file']} is not in {root} as the base was trained on it (missing or changed)"
        if ref["file"] in by_path:
            sources.append(by_path[ref["file"]])
        elif path.suffix == ".jsonl":
            gold += load_gold(root, str(ref["file"]))
        else:
            return f"{ref['file']}: not a sentiment corpus koubei knows how to read"
    corpus = load_sentiment(root, tuple(sources)) if sources else \
        pd.DataFrame({"id": [], "source": [], "text": [], "label": []})
    return corpus, gold


def unseen_base_sentiment(base: SentimentClassifier, embedder: Any, manifest: dict[str, Any],
                          records: Sequence[GoldRecord], segmenter: Segmenter, log: Log,
                          data_dir: str | Path | None = None) -> UnseenCheck:
    """Refit the base's sentiment without the labelled reviews, when it saw some of them."""
    from koubei.train.default_recipe import build_sentiment_pool, domain_membership

    data = base_sentiment_data(manifest, data_dir)
    if isinstance(data, str):
        return UnseenCheck("not checked", 0, f"not checked whether the base saw the labelled reviews: {data}")
    pool = build_sentiment_pool(*data).frame
    labelled = {normalize(r.text) for r in records}
    seen = pool["norm"].isin(labelled).to_numpy()
    if not seen.any():
        return UnseenCheck("no overlap", 0, "the base's sentiment was not trained on any labelled review")
    keep = ~seen
    log(f"the base's sentiment saw {int(seen.sum())} of the labelled reviews: refitting it on "
        f"its {int(keep.sum()):,} other texts for the polarity head")
    docs = prepare_many(pool.loc[keep, "text"].tolist(), segmenter)
    member = domain_membership(pool)[keep] if base.domains else None
    params: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in base.get_params().items()}
    unseen = SentimentClassifier(**params).fit(embedder.transform(docs), pool["label"].to_numpy()[keep],
                                               member)
    unseen.band_ = tuple(base.band_)
    return UnseenCheck("refitted", int(seen.sum()),
                       f"the base's sentiment was trained on {int(seen.sum())} labelled reviews; the "
                       "polarity head was fitted on a copy refitted without them "
                       f"({int(keep.sum()):,} texts)",
                       unseen)


def margin(sentiment: SentimentClassifier, X: Any, y_pos: np.ndarray) -> float:
    """Mean signed pooled logit (positive = right side), a measure of (over-)confidence."""
    z = sentiment.pooled_decision(X)
    return float(np.mean(np.where(y_pos, z, -z)))

