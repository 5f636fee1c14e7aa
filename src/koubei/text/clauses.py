"""Clause splitting and negation scope, for aspect-level (per-topic) polarity.

A review such as ``送得很快，但是味道太淡了，分量也少`` talks about three
things with two polarities; the classifier looks at each topic's own clauses.
Clauses end at sentence or clause punctuation, and a contrast word (但是,
不过, 可是...) opens a new clause even without a comma before it.
"""

from __future__ import annotations

import re

CLAUSE_PUNCT = ",.!?;~。，！？；、…\n\r\t"
CONTRAST_WORDS = ("但是", "可是", "不过", "然而", "只是", "但", "就是", "却")
NEGATORS = ("没有", "不是", "不太", "不怎么", "不够", "不", "没", "别", "无", "未", "非", "莫")

_SPLIT_RE = re.compile(f"[{re.escape(CLAUSE_PUNCT)} ]+")
# Split before a contrast word that follows at least two characters of clause.
_CONTRAST_RE = re.compile(r"(?<=[\u4e00-\u9fff\w]{2})(?=(?:但是|可是|不过|然而|只是)[\u4e00-\u9fff])")


def split_clauses(text: str, *, min_chars: int = 1) -> list[str]:
    """Clauses of one normalized text, in order; empty pieces dropped.

    Args:
        text: normalized review text.
        min_chars: clauses shorter than this are merged into the previous one.
    """
    out: list[str] = []
    for piece in _SPLIT_RE.split(text):
        for clause in _CONTRAST_RE.split(piece):
            clause = clause.strip()
            if not clause:
                continue
            if out and len(clause) < min_chars:
                out[-1] += clause
            else:
                out.append(clause)
    return out


def mark_negation(words: list[str], *, window: int = 3) -> list[str]:
    """Prefix ``NOT_`` to the words in a negator's scope.

    The scope is the next ``window`` words of the same clause; a punctuation
    token or another negator ends it. ``["不", "新鲜"]`` → ``["不", "NOT_新鲜"]``.
    """
    out: list[str] = []
    left = 0
    for w in words:
        if w in NEGATORS:
            out.append(w)
            left = window
        elif left and w.strip(CLAUSE_PUNCT):
            out.append("NOT_" + w)
            left -= 1
        else:
            out.append(w)
            left = 0 if not w.strip(CLAUSE_PUNCT) else left
    return out


def is_negated(clause: str, start: int, *, window: int = 4) -> bool:
    """Whether the cue at ``clause[start:]`` has a negator just before it.

    Looks back ``window`` characters within the clause, e.g. ``不新鲜``,
    ``没有什么味道``, ``一点都不辣``. Double negation (``不是不好吃``) is rare in
    reviews and read as negated.
    """
    left = clause[max(0, start - window):start]
    return any(n in left for n in NEGATORS)
