"""Prepared documents: normalized text, segmented words and clauses, computed once.

Every model stage reads the same :class:`Doc` objects, so a review is
normalized once and segmented once however many stages look at it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from koubei.text.clauses import (
    counted_denial,
    mark_negation,
    rarely_said,
    sentence_words,
    split_word_clauses,
    unmark_negation,
)
from koubei.text.normalize import MAX_REVIEW_CHARS, normalize
from koubei.text.segment import Segmenter


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


def prepare(text: str, segmenter: Segmenter | None = None) -> Doc:
    """Normalize, segment and clause-split one raw review text (its first
    :data:`~koubei.text.normalize.MAX_REVIEW_CHARS` characters)."""
    norm = normalize((text or "")[:MAX_REVIEW_CHARS])
    # a space between Chinese characters ends a sentence (质量没得说 快递小哥很给力)
    parts = sentence_words(norm, segmenter)
    raw_words = [w for part in parts for w in part]
    clauses = [Doc(norm="".join(cw), words=mark_negation(cw))
               for part in parts for cw in split_word_clauses(part)]
    return Doc(norm=norm, words=mark_negation(raw_words), clauses=clauses)


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



def without_negation(doc: Doc) -> Doc:
    """``doc`` read as if nothing in it were negated (:func:`~koubei.text.clauses.unmark_negation`:
    ``没有 NOT_超时`` → ``超时``) nor said to be rare (:func:`~koubei.text.clauses.rarely_said`:
    ``很少 死机`` → ``死机``), a counted denial's frame taken off too
    (:func:`~koubei.text.clauses.counted_denial`: ``一颗 坏 的 都 没有`` → ``坏 的``); its clauses are
    not kept."""
    words = doc.words
    if frame := {*rarely_said(words), *counted_denial(words)}:
        words = [w for i, w in enumerate(words) if i not in frame]
    words = unmark_negation(words)
    return Doc(norm="".join(words), words=words)
