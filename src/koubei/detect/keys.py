"""Complaint keys: what `emerging` counts per review.

A key is a complaint topic (``topic_<id> == "neg"``) or, for the taste topic,
a taste direction (``too_bland`` in ``taste_detail``). The taxonomy's
fallback direction (taste bad, no direction) is the taste key itself.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from koubei.aggregate.windows import Freq
from koubei.schema import TOPIC_PREFIX, topic_ids
from koubei.taxonomy import Taxonomy


@dataclass(frozen=True)
class Key:
    """One complaint key; ``parent`` is the key it refines (taste for a direction)."""

    topic: str
    direction: str = ""

    @property
    def name(self) -> str:
        return f"{self.topic}/{self.direction}" if self.direction else self.topic

    @property
    def parent(self) -> Key | None:
        return Key(self.topic) if self.direction else None


def issue_id(freq: Freq, key: Key, cell: dict[str, str]) -> str:
    """Stable id of a key in a cell: the same across runs and windows."""
    raw = json.dumps([freq.value, key.name, sorted(cell.items())], ensure_ascii=False)
    return "KB-" + hashlib.sha1(raw.encode("utf-8")).hexdigest()[:10]


def complaint_keys(frame: pd.DataFrame, taxonomy: Taxonomy) -> list[Key]:
    """Topic keys for every topic column of ``frame``, then taste-direction keys."""
    keys = [Key(t) for t in topic_ids(frame)]
    if taxonomy.taste_topic and taxonomy.taste_topic in topic_ids(frame) and "taste_detail" in frame:
        keys += [Key(taxonomy.taste_topic, d) for d in taxonomy.direction_ids
                 if d != taxonomy.fallback_direction]
    return keys


def key_matrix(frame: pd.DataFrame, keys: list[Key]) -> np.ndarray:
    """(rows × keys) 0/1 matrix: does each review raise each key."""
    out = np.zeros((len(frame), len(keys)), dtype=np.int32)
    detail = frame["taste_detail"].fillna("").astype(str) if "taste_detail" in frame else None
    for j, key in enumerate(keys):
        neg = frame[TOPIC_PREFIX + key.topic].astype("string").eq("neg").fillna(False).to_numpy()
        if key.direction and detail is not None:
            pattern = rf"(?:^|;){key.direction}(?:;|$)"
            neg = neg & detail.str.contains(pattern, regex=True).to_numpy()
        out[:, j] = neg
    return out


def key_labels(key: Key, taxonomy: Taxonomy) -> tuple[str, str]:
    """(Chinese label, dimension id): ``口味·偏淡``, ``product``."""
    try:
        topic = taxonomy.topic(key.topic)
        zh, dim = topic.zh, topic.dimension
    except KeyError:
        zh, dim = key.topic, ""
    if key.direction:
        names = {d.id: d.zh for d in taxonomy.taste_directions}
        zh = f"{zh}·{names.get(key.direction, key.direction)}"
    return zh, dim


def key_cues(key: Key, taxonomy: Taxonomy) -> re.Pattern[str] | None:
    """The words a review raising ``key`` most likely says it with: the direction's cues
    (太淡, 没味道), then the topic's (味道, 口味), longest first; None when the taxonomy
    knows neither (a scored frame from another taxonomy)."""
    cues: list[str] = []
    for d in taxonomy.taste_directions:
        if key.direction and d.id == key.direction:
            cues += sorted(d.cues, key=len, reverse=True) + sorted(d.weak_cues, key=len, reverse=True)
    topic = next((t for t in taxonomy.topics if t.id == key.topic), None)
    if topic is not None:
        cues += sorted(topic.cues, key=len, reverse=True)
    return re.compile("|".join(re.escape(c) for c in cues)) if cues else None
