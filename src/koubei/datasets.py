"""Readers of the shared training corpora (``../shared/corpora``), for training and evaluation.

The corpora are never copied into the project: scripts take ``--data-dir``,
or the ``KOUBEI_CORPORA`` environment variable, or find ``../shared/corpora``
beside the checkout.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from koubei.errors import DataNotFoundError
from koubei.resources import data_root

SENTIMENT_FILES = {
    "waimai": "sentiment/waimai_10k.csv",
    "shopping": "sentiment/online_shopping_10_cats.csv",
    "hotel": "sentiment/chnsenticorp_htl_all.csv",
}
GOLD_FILE = "labels/gold_topics_train.jsonl"
#: unlabelled review text (labels unused) that word vectors learn from, besides
#: the sentiment corpora: file → text column
UNLABELLED_FILES = {
    "timed/meituan_wuhan_hotpot_reviews.csv": "review",
    "aspects/tianchi2019_cosmetics_reviews.csv": "Reviews",
}


def find_corpora(data_dir: str | Path | None = None) -> Path:
    """The shared corpora folder: the argument, ``$KOUBEI_CORPORA``, or ``../shared/corpora``.

    Raises:
        DataNotFoundError: none of them holds the gold labels.
    """
    candidates = [Path(data_dir)] if data_dir else []
    if os.environ.get("KOUBEI_CORPORA"):
        candidates.append(Path(os.environ["KOUBEI_CORPORA"]))
    candidates += [data_root().parent / "shared" / "corpora", Path.cwd().parent / "shared" / "corpora"]
    for c in candidates:
        if (c / GOLD_FILE).is_file():
            return c
    tried = ", ".join(str(c) for c in candidates)
    raise DataNotFoundError(
        f"shared corpora not found (tried {tried}); pass --data-dir or set KOUBEI_CORPORA"
    )


def load_sentiment(data_dir: Path, sources: tuple[str, ...] = tuple(SENTIMENT_FILES)) -> pd.DataFrame:
    """The binary sentiment corpora as one frame: ``id, source, text, label`` (1 pos, 0 neg)."""
    parts = []
    for src in sources:
        df = pd.read_csv(data_dir / SENTIMENT_FILES[src], dtype={"review": str})
        df = df.dropna(subset=["review"])
        parts.append(pd.DataFrame({"id": df["id"], "source": src,
                                   "text": df["review"].str.lstrip("\ufeff"),
                                   "label": df["label"].astype(int)}))
    return pd.concat(parts, ignore_index=True)


def load_unlabelled(data_dir: Path, files: tuple[str, ...] = tuple(UNLABELLED_FILES)) -> list[str]:
    """Review texts of :data:`UNLABELLED_FILES` (hotpot, cosmetics), empty ones dropped."""
    out: list[str] = []
    for rel in files:
        col = UNLABELLED_FILES[rel]
        df = pd.read_csv(data_dir / rel, usecols=[col], dtype={col: str})
        out.extend(t for t in df[col].dropna() if t.strip())
    return out


@dataclass(frozen=True)
class GoldRecord:
    """One hand-labelled review (``labels/GUIDELINE.md``)."""

    id: str
    source: str
    selection: str
    text: str
    sentiment: str
    topics: dict[str, str]
    taste_detail: tuple[str, ...]


def load_gold(data_dir: Path, path: str = GOLD_FILE) -> list[GoldRecord]:
    """The gold topic labels, in file order."""
    out = []
    with open(data_dir / path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            out.append(GoldRecord(
                id=r["id"], source=r.get("source", ""), selection=r.get("selection", ""),
                text=r["text"], sentiment=r["sentiment"], topics=dict(r.get("topics") or {}),
                taste_detail=tuple(r.get("taste_detail") or ()),
            ))
    return out


def file_fingerprint(path: Path) -> dict[str, object]:
    """Reference to a training file for a manifest: relative name, size, sha256."""
    import hashlib

    h = hashlib.sha256(path.read_bytes()).hexdigest()
    return {"file": path.name, "bytes": path.stat().st_size, "sha256": h}
