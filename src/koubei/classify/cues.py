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

from koubei.errors import TaxonomyError
from koubei.taxonomy import Taxonomy
from koubei.text.batch import Joined, scans_alike

#: joins a batch's texts for :meth:`CueMatcher.counts`; no cue may hold it
_SEP = "\x00"


def _blank(m: re.Match[str]) -> str:
    return _SEP * len(m.group())


def _exclusion(pattern: str, source: str) -> re.Pattern[str]:
    """One ``detects_exclude`` pattern (checked to compile when the taxonomy was read), compiled and
    checked to read a joined batch as each text."""
    if not scans_alike(pattern, _SEP):
        raise TaxonomyError(f"{source}: detects_exclude: {pattern!r} could match across two texts of a "
                            "batch or match nothing (^, $, a dot, a negated class or an empty match): "
                            "spell out the characters it spans")
    return re.compile(pattern)


class CueMatcher:
    """Find each topic's cue words in normalized text (one regex per topic).

    ``field``: the topic's word list to match, ``cues`` or ``detects`` (:class:`koubei.taxonomy.Topic`);
    ``exclude``: regular expressions of phrases masked first, which hold a word and say nothing of
    its topic (the taxonomy's ``detects_exclude``: 优惠券快过期了 holds 快过期). Each is matched on
    its own, and must find in a batch's joined text what it finds in each text alone
    (:func:`koubei.text.batch.scans_alike`: no ``^``, ``$``, dot or negated class); one that
    does not is a :class:`~koubei.errors.TaxonomyError` naming the taxonomy's file and the
    pattern (the taxonomy's loader has checked that each compiles).
    """

    def __init__(self, taxonomy: Taxonomy, field: str = "cues", exclude: Sequence[str] = ()) -> None:
        self.taxonomy = taxonomy
        words = [getattr(t, field) for t in taxonomy.topics]
        if any(_SEP in c for ws in [*words, exclude] for c in ws):
            raise ValueError("a cue word holds a NUL character")
        self._exclude = [_exclusion(w, taxonomy.source) for w in exclude]
        self._res = [
            re.compile("|".join(re.escape(c) for c in sorted(ws, key=len, reverse=True))) if ws else None
            for ws in words
        ]

    def _masked(self, text: str) -> str:
        """``text`` with the ``exclude`` phrases blanked out (same length)."""
        for ex in self._exclude:
            text = ex.sub(_blank, text)
        return text

    def hits(self, text: str) -> list[list[str]]:
        """For each topic (taxonomy order), the cue words found in ``text``."""
        text = self._masked(text)
        return [r.findall(text) if r is not None else [] for r in self._res]

    def pattern(self, topic_index: int) -> re.Pattern[str] | None:
        """The compiled cue pattern of a topic (None when it has no cues)."""
        return self._res[topic_index]

    def has(self, text: str, topic_index: int) -> bool:
        r = self._res[topic_index]
        return bool(r is not None and r.search(self._masked(text)))

    def counts(self, texts: Sequence[str]) -> np.ndarray:
        """Cue hits per text (rows) and topic (columns): ``len(hits(text)[j])`` for every text.

        Each topic's pattern (literal words) scans the whole batch once, the
        texts joined by a character no cue holds (:mod:`koubei.text.batch`).
        """
        joined = Joined(texts, _SEP)
        text = self._masked(joined.text)  # same length: positions still tell the owner
        out = np.zeros((len(texts), len(self._res)), dtype=np.int64)
        for j, r in enumerate(self._res):
            if r is not None:
                at = np.fromiter((m.start() for m in r.finditer(text)), dtype=np.int64)
                out[:, j] = np.bincount(joined.owners(at), minlength=len(texts))
        return out

    def matrix(self, texts: Sequence[str], counts: np.ndarray | None = None) -> sparse.csr_matrix:
        """``log1p`` cue-hit counts, one column per topic (``counts``: :meth:`counts` of ``texts``,
        when the caller has it)."""
        arr = np.log1p((self.counts(texts) if counts is None else counts).astype(np.float32))
        return sparse.csr_matrix(arr)
