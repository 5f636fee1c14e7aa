"""Opinion phrases: the few words around a topic cue that carry the judgement.

Works on a clause's jieba words, so a phrase never cuts a word in half:
``味道太淡了`` → ``味道太淡``, ``物流超级快`` → ``物流超级快``, ``客服回复很及时`` (cue
及时) → ``很及时``. The phrase is the cue word with the degree adverbs or
negators just before it and up to two content words after it, particles
(了, 的, 都...) dropped, stopping at punctuation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

PARTICLES = frozenset("了的地得啊呢哦吧呀啦嘛哈都也还就又是着过")
MODIFIERS = frozenset(("很", "太", "非常", "特别", "超", "超级", "有点", "有些", "比较", "挺", "真",
                       "好", "不", "没", "没有", "不太", "太过", "偏", "略", "稍微", "十分", "极其",
                       "巨", "贼", "蛮", "相当", "更", "最", "一点", "一点都不", "一点也不", "根本"))
_PUNCT = re.compile(r"^[\W_]+$")
MAX_AFTER = 2
MAX_CHARS = 10


def best_opinion(clauses: Sequence[Sequence[str]], cue_re: re.Pattern[str] | None) -> tuple[str, int]:
    """The opinion phrase of the clause (its words) that says most: a cue with a degree
    adverb or negator (太贵) before a cue of two or more characters (不值) before a cue
    with words after it (元一份) before a bare one-character cue (元); the first such
    clause wins a tie. ``30元一份，太贵了`` → ``太贵``, not ``元一份``.

    Returns:
        the phrase and the index of its clause; ``("", -1)`` when no clause holds a cue.
    """
    best, at, rank = "", -1, -1
    for i, words in enumerate(clauses):
        phrase, strength = _span(words, cue_re)
        if phrase and strength > rank:
            best, at, rank = phrase, i, strength
    return best, at


def _span(words: Sequence[str], cue_re: re.Pattern[str] | None) -> tuple[str, int]:
    """The opinion phrase around the last cue in ``words`` (a clause's words, ``NOT_`` marks
    allowed; ``("", -1)`` when no cue matches) and its strength (see :func:`best_opinion`)."""
    plain = [w.removeprefix("NOT_") for w in words]
    if cue_re is None:
        return "", -1
    hits = [i for i, w in enumerate(plain) if cue_re.search(w)]
    if not hits:
        return "", -1
    k = hits[-1]
    start = k
    while start > 0 and plain[start - 1] in MODIFIERS and k - start < 2:
        start -= 1
    after: list[str] = []
    for w in plain[k + 1:]:
        if _PUNCT.match(w) or len(after) >= MAX_AFTER:
            break
        if w in PARTICLES:
            continue
        after.append(w)
    while after and after[-1] in MODIFIERS:  # a degree adverb needs the word it modifies (客服回复很)
        after.pop()
    phrase = "".join(plain[start:k + 1] + after)
    strength = 4 * (start < k) + 2 * (len(plain[k]) >= 2) + bool(after)
    return phrase[:MAX_CHARS], strength
