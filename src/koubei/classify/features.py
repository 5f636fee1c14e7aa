"""Prepared documents: normalized text, segmented words and clauses, computed once.

Every model stage reads the same :class:`Doc` objects, so a review is
normalized once and segmented once however many stages look at it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from koubei.text.clauses import CONTRAST_WORDS, mark_negation
from koubei.text.normalize import normalize
from koubei.text.segment import Segmenter, default_segmenter

_PUNCT_TOKENS = frozenset(",.!?;~。，！？；、…:：()（）\"'“”‘’[]【】")
_CLAUSE_OPENERS = frozenset(w for w in CONTRAST_WORDS if len(w) > 1)


@dataclass
class Doc:
    """One review, prepared.

    Attributes:
        norm: normalized text.
        words: jieba words with ``NOT_`` negation marks, punctuation kept.
        clauses: the review's clauses as ``Doc`` objects (empty for a clause itself).
    """

    norm: str
    words: list[str]
    clauses: list[Doc] = field(default_factory=list)


def split_word_clauses(words: Sequence[str]) -> list[list[str]]:
    """Split a word list into clauses at punctuation and before contrast words."""
    out: list[list[str]] = [[]]
    for w in words:
        if w in _PUNCT_TOKENS or not w.strip():
            if out[-1]:
                out.append([])
            continue
        if w in _CLAUSE_OPENERS and len(out[-1]) >= 1:
            out.append([])
        out[-1].append(w)
    return [c for c in out if c]


def prepare(text: str, segmenter: Segmenter | None = None) -> Doc:
    """Normalize, segment and clause-split one raw review text."""
    seg = segmenter or default_segmenter()
    norm = normalize(text or "")
    raw_words = seg.cut(norm) if norm else []
    words = mark_negation(raw_words)
    clauses = []
    for cw in split_word_clauses(raw_words):
        clauses.append(Doc(norm="".join(cw), words=mark_negation(cw)))
    return Doc(norm=norm, words=words, clauses=clauses)


def prepare_many(texts: Iterable[str], segmenter: Segmenter | None = None) -> list[Doc]:
    """``prepare`` over many texts, sharing work between repeated texts."""
    seen: dict[str, Doc] = {}
    out = []
    for t in texts:
        d = seen.get(t)
        if d is None:
            d = seen[t] = prepare(t, segmenter)
        out.append(d)
    return out
