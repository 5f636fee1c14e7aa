"""Chinese text pipeline: normalize → segment → clauses, with negation marks."""

from koubei.text.clauses import mark_negation, split_clauses, split_word_clauses
from koubei.text.normalize import normalize
from koubei.text.segment import Segmenter, default_segmenter, segment

__all__ = [
    "Segmenter",
    "default_segmenter",
    "mark_negation",
    "normalize",
    "segment",
    "split_clauses",
    "split_word_clauses",
]
