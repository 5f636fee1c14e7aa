"""Readers of the shared training corpora (``../shared/corpora``), for training and evaluation.

The corpora are never copied into the project: scripts take ``--data-dir``,
or the ``KOUBEI_CORPORA`` environment variable, or find ``../shared/corpora``
beside the checkout. (The repository's own ``corpora/`` folder, the data the
team writes and ships, is read through :mod:`koubei.resources`.)
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from koubei.errors import DataNotFoundError
from koubei.resources import data_root
from koubei.text.normalize import normalize

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


def load_unlabelled(data_dir: Path, files: tuple[str, ...] = tuple(UNLABELLED_FILES),
                    exclude: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Review texts of :data:`UNLABELLED_FILES` (hotpot, cosmetics), empty ones dropped.

    ``exclude``: normalized texts to leave out. Evaluation passes the gold
    texts: 388 of them are hotpot or cosmetics reviews, and word vectors that
    read a test review's text, even without its labels, flatter the score.
    """
    out: list[str] = []
    for rel in files:
        col = UNLABELLED_FILES[rel]
        df = pd.read_csv(data_dir / rel, usecols=[col], dtype={col: str})
        out.extend(t for t in df[col].dropna() if t.strip() and (not exclude or normalize(t) not in exclude))
    return out


#: Aspect-level sets whose (review, category, polarity) labels teach the polarity
#: head (never the topic detector: their categories cover only some topics and
#: follow other guidelines). Each maps the set's categories to default taxonomy
#: topics; categories that fit no topic (tianchi 整体, 其他, 成分; ASAP's waiting,
#: serving speed, dish look and recommendation) are left out. So is ASAP's
#: dish_taste: its 284 labels are 12 negative, and with them the head read
#: fewer taste complaints as negative (taste-direction accuracy 0.796 -> 0.779
#: on the gold folds: ``scripts/evaluate.py --aspect-taste``), where taste has
#: its own cue rules. AI Challenger 2018
#: is non-commercial and not used; the car topics fit no source we score.
TIANCHI_LABELS = "aspects/tianchi2019_cosmetics_labels.csv"
TIANCHI_REVIEWS = "aspects/tianchi2019_cosmetics_reviews.csv"
TIANCHI_TOPICS = {
    "价格": "price_value", "使用体验": "function_performance", "功效": "function_performance",
    "包装": "packaging", "尺寸": "portion_size", "新鲜度": "freshness_quality",
    "气味": "freshness_quality",  # the guideline: a cosmetic's smell is mostly freshness_quality
    "服务": "service_attitude", "物流": "delivery_logistics", "真伪": "authenticity_description",
}
ASAP_FILES = ("aspects/asap_sample_train.csv", "aspects/asap_sample_dev.csv",
              "aspects/asap_sample_test.csv")
ASAP_TOPICS = {
    "dish_portion": "portion_size",
    "price_level": "price_value", "price_cost_effective": "price_value", "price_discount": "price_value",
    "service_waiters_attitude": "service_attitude",
    "environment_decoration": "environment_facilities", "environment_noise": "environment_facilities",
    "environment_space": "environment_facilities", "environment_cleaness": "environment_facilities",
    "location_traffic": "environment_facilities",
    "location_distance_from_business_district": "environment_facilities",
    "location_easy_to_find": "environment_facilities",
    "service_parking_convenience": "environment_facilities",
}
_TIANCHI_POLARITY = {"正面": "pos", "负面": "neg", "中性": "neu"}
_ASAP_POLARITY = {1: "pos", 0: "neu", -1: "neg"}  # -2: not mentioned


@dataclass(frozen=True)
class AspectRecord:
    """A review of an aspect-level set, with its labels mapped to taxonomy topics.

    ``topics``: topic → polarity, only the topics the set speaks of (a topic
    absent here may still be in the text).
    """

    id: str
    source: str
    text: str
    topics: dict[str, str]


def merge_polarities(polarities: list[str]) -> str | None:
    """One polarity for a topic from its labels in a review: both sides → ``None``
    (the guideline would take the dominant side, which the labels do not say);
    one side, with or without neutral mentions → that side; only neutral → ``neu``."""
    sides = set(polarities) - {"neu"}
    if len(sides) > 1:
        return None
    return sides.pop() if sides else "neu"


def _mapped(id_: str, source: str, text: object, labels: list[tuple[str, str]],
            exclude: frozenset[str] | set[str]) -> AspectRecord | None:
    if not isinstance(text, str) or not text.strip() or normalize(text) in exclude:
        return None
    by_topic: dict[str, list[str]] = {}
    for topic, pol in labels:
        by_topic.setdefault(topic, []).append(pol)
    topics = {t: p for t, ps in by_topic.items() if (p := merge_polarities(ps)) is not None}
    return AspectRecord(id_, source, text, topics) if topics else None


def load_aspect_records(data_dir: Path, exclude: frozenset[str] | set[str] = frozenset(),
                        asap_topics: dict[str, str] | None = None) -> list[AspectRecord]:
    """Tianchi 2019 cosmetics and ASAP reviews with topic polarities (see :data:`TIANCHI_TOPICS`).

    Args:
        exclude: normalized texts to leave out (the gold reviews: 99 gold
            cosmetics reviews are tianchi reviews).
        asap_topics: ASAP aspect → topic (default :data:`ASAP_TOPICS`;
            ``scripts/evaluate.py --aspect-taste`` adds ``dish_taste``).

    A topic whose labels in a review take both sides is left out of that
    review; a review left with no topic is skipped.
    """
    missing = [rel for rel in aspect_files() if not (data_dir / rel).is_file()]
    if missing:
        raise DataNotFoundError(f"aspect sets missing from {data_dir}: {', '.join(missing)} "
                                "(the aspects/ folder of the shared corpora; pass them with --data-dir)")
    out: list[AspectRecord] = []
    reviews = pd.read_csv(data_dir / TIANCHI_REVIEWS, dtype={"Reviews": str})
    text = dict(zip(reviews["id"], reviews["Reviews"]))
    labels = pd.read_csv(data_dir / TIANCHI_LABELS, usecols=["id", "Categories", "Polarities"])
    for rid, g in labels.groupby("id", sort=True):
        pairs = [(TIANCHI_TOPICS[c], _TIANCHI_POLARITY[p])
                 for c, p in zip(g["Categories"], g["Polarities"]) if c in TIANCHI_TOPICS]
        rec = _mapped(f"tianchi-{rid}", "cosmetics", text.get(rid), pairs, exclude)
        if rec is not None:
            out.append(rec)
    for rel in ASAP_FILES:
        df = read_asap(data_dir / rel)
        for row in df.itertuples(index=False):
            r = row._asdict()
            pairs = [(t, _ASAP_POLARITY[int(r[c])]) for c, t in (asap_topics or ASAP_TOPICS).items()
                     if int(r[c]) != -2]
            rec = _mapped(f"asap-{r['index']}", "restaurant", r["reviewbody"], pairs, exclude)
            if rec is not None:
                out.append(rec)
    return out


def read_asap(path: Path) -> pd.DataFrame:
    """One ASAP file (:data:`ASAP_FILES`): ``reviewbody`` as text, its columns without the
    byte-order mark its header starts with."""
    df = pd.read_csv(path, dtype={"reviewbody": str})
    df.columns = [c.lstrip("\ufeff") for c in df.columns]
    return df


def aspect_files() -> tuple[str, ...]:
    """Files :func:`load_aspect_records` reads (for a manifest's training data)."""
    return (TIANCHI_REVIEWS, TIANCHI_LABELS, *ASAP_FILES)


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
