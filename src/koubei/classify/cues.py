"""Cue-word evidence from the taxonomy: which topic cues a text contains.

Cues are evidence, not proof (``虫草`` is not an insect); the classifiers
learn how much to trust each topic's cues. A cue preceded by a negator is
still evidence of the topic (``不新鲜`` is about freshness).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from scipy import sparse

from koubei.taxonomy import Taxonomy


class CueMatcher:
    """Find each topic's cue words in normalized text (one regex per topic)."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._res = [
            re.compile("|".join(re.escape(c) for c in sorted(t.cues, key=len, reverse=True)))
            if t.cues else None
            for t in taxonomy.topics
        ]

    def hits(self, text: str) -> list[list[str]]:
        """For each topic (taxonomy order), the cue words found in ``text``."""
        return [r.findall(text) if r is not None else [] for r in self._res]

    def pattern(self, topic_index: int) -> re.Pattern[str] | None:
        """The compiled cue pattern of a topic (None when it has no cues)."""
        return self._res[topic_index]

    def has(self, text: str, topic_index: int) -> bool:
        r = self._res[topic_index]
        return bool(r is not None and r.search(text))

    def matrix(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """``log1p`` cue-hit counts, one column per topic."""
        rows = [[len(h) for h in self.hits(t)] for t in texts]
        arr = np.log1p(np.asarray(rows, dtype=np.float32).reshape(len(texts), -1))
        return sparse.csr_matrix(arr)
