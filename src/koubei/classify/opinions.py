"""Opinion phrases: the few words around a topic cue that carry the judgement.

Works on a clause's jieba words, so a phrase never cuts a word in half:
``味道太淡了`` → ``味道太淡``, ``物流超级快`` → ``物流超级快``, ``客服回复很及时`` (cue
及时) → ``很及时``, (cue 客服) → ``客服回复很及时``. The phrase is the cue word with the
degree adverbs or negators just before it and what follows it up to the judgement,
trailing particles (了, 的...) dropped, stopping at punctuation, after a degree adverb's
word (``味道很好``, ``快递小哥很给力``) or after :data:`MAX_AFTER` content words. A degree
adverb never ends a phrase cut short (``客服回复很``), and words that only link the cue
to a comparison do not count (``味道和以前一样好``, ``口味和别家差不多``). A cue with its
own degree adverb or negator is the judgement already: ``物流超级快第二天就到了`` →
``超级快``. A bare cue (no adverb before it, nothing after it, no judgement itself), or one
whose words after it were cut at :data:`MAX_AFTER`, is quoted with the stretch of its clause
around it, up to punctuation or a joiner (:data:`JOINERS`) and back no further than the
topic's first cue, where that is at most :data:`MAX_CHARS` characters: ``催了好几次才发货``,
not ``发货``; ``袋子破了个洞``, not ``袋子破了个``; ``很好吃包装漏了`` → ``包装漏了``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

PARTICLES = frozenset("了的地得啊呢哦吧呀啦嘛哈都也还就又是着过")
MODIFIERS = frozenset(("很", "太", "非常", "特别", "超", "超级", "有点", "有些", "比较", "挺", "真",
                       "好", "不", "没", "没有", "不太", "太过", "偏", "略", "稍微", "十分", "极其",
                       "巨", "贼", "蛮", "相当", "更", "最", "一点", "一点都不", "一点也不", "根本",
                       # the negators before a judgement (不是很新鲜, 不怎么好吃, 没那么好吃): without
                       # them the phrase of a complaint read as praise (很新鲜, 好吃)
                       "不是", "不怎么", "不够", "不算", "不大", "并不", "没怎么", "那么", "这么"))
#: words that link the cue to what it is compared with; they count as no content word
LINKS = frozenset("和跟与比像")
_PUNCT = re.compile(r"^[\W_]+$")
_FUNCTION_WORDS = PARTICLES | MODIFIERS
#: modifiers that are the judgement when they close the clause (味道很好, 分量不够)
_CLOSING = frozenset(("好", "不够", "不大"))
#: content words after the cue (degree adverbs, negators and links not counted)
MAX_AFTER = 2
MAX_CHARS = 10


#: the degree adverbs of :data:`MODIFIERS` (no negator, nor 那么/这么: 没有以前那么咸), longest first
_DEGREE_BEFORE = sorted((m for m in MODIFIERS
                         if "不" not in m and "没" not in m and m not in ("那么", "这么")),
                        key=len, reverse=True)


def with_degree(text: str, at: int, phrase: str) -> str:
    """``phrase``, found at ``text[at:]``, with the degree adverbs (:data:`MODIFIERS` less the
    negators; two at most) right before it: the taste cue ``酸了`` of ``苹果太酸了`` is said
    ``太酸了``. Never a negator: the caller's phrase is a cue said, not denied."""
    start = at
    for _ in range(2):
        word = next((m for m in _DEGREE_BEFORE if text.startswith(m, start - len(m))), None)
        if start <= 0 or word is None:
            break
        start -= len(word)
    return text[start:at] + phrase


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
    # a cue with its own degree adverb or negator (超级快, 不新鲜) is the judgement already
    after, cut = ([], False) if start < k else _after(plain[k + 1:])
    phrase = "".join(plain[start:k + 1] + after)
    strength = 4 * (start < k) + 2 * (len(plain[k]) >= 2) + bool(after)
    if start == k and (cut or not after) and not _judges(plain[k]):
        # a bare cue (发货) judges nothing, a phrase cut short (袋子破了个) says half of it: the
        # short stretch of the clause around it says it all (what leads to a bare cue too)
        phrase = _short_stretch(plain, k, hits if not after else None) or phrase
    return phrase[:MAX_CHARS], strength


#: words that join two judgements in one clause (东西不错但物流慢): a quoted stretch stops there
JOINERS = frozenset(("但", "但是", "可是", "不过", "只是", "就是", "可惜", "然而",
                     "而且", "并且", "还有", "而"))


#: a word opening on a degree adverb or negator, with more after it (太淡, 不新鲜, 很快, 好吃); not
#: 最, 更, 真 (最近, 更新, 真假 are cues of their own)
_JUDGING = re.compile("(?:" + "|".join(map(re.escape, sorted(
    (m for m in MODIFIERS if m not in ("最", "更", "真")), key=len, reverse=True))) + ").")


def _judges(word: str) -> bool:
    """Whether a cue word holds its own degree adverb or negator (太淡, 不新鲜, 很快, 好吃)."""
    return _JUDGING.match(word) is not None


def _short_stretch(words: Sequence[str], k: int, hits: Sequence[int] | None) -> str:
    """The stretch of a clause's ``words`` from word ``k`` (a cue) to the next punctuation,
    space or joiner (:data:`JOINERS`), joined and its trailing particles dropped, when that is
    at most :data:`MAX_CHARS` characters; else ``""``. With ``hits`` (the positions of the
    topic's cues in ``words``; a bare cue) it also reaches back to the previous punctuation,
    space or joiner, or to the first cue of the topic after it, where the topic's subject is
    named (很好吃包装漏了: 包装漏了): 催了好几次才发货 is the opinion of its bare cue 发货, 袋子破了个洞
    of 袋子 (the rest cut at :data:`MAX_AFTER`)."""
    def stops(w: str) -> bool:
        return bool(_PUNCT.match(w)) or w in JOINERS

    start, end = k, k + 1
    if hits is not None:
        while start > 0 and not stops(words[start - 1]):
            start -= 1
        start = min((h for h in hits if start <= h < k), default=start)
    while end < len(words) and not stops(words[end]):
        end += 1
    stretch = list(words[start:end])
    while stretch and stretch[-1] in PARTICLES:
        stretch.pop()
    text = "".join(stretch)
    return text if len(text) <= MAX_CHARS else ""


def _after(words: Sequence[str]) -> tuple[list[str], bool]:
    """The words of a phrase after its cue (``words``: the rest of the clause).

    Stops after the word a degree adverb or negator modifies (很好, 不新鲜: the judgement;
    a one-character word is taken with the one-character word after it, 很给|力, which
    jieba splits), or at :data:`MAX_AFTER` content words. Particles inside are kept, so
    the phrase is a stretch of the clause (口感和味道都在线); trailing ones and links are
    dropped, and so is a degree adverb left without its word (客服回复很), but for a
    clause-final 好. Also returns whether it stopped at :data:`MAX_AFTER` with more of the
    clause's words to come (袋子破了个|洞).
    """
    after: list[str] = []
    content, prev, cut = 0, "", False
    for n, w in enumerate(words):
        if _PUNCT.match(w):
            break
        if w not in PARTICLES and w not in MODIFIERS and w not in LINKS:
            if content >= MAX_AFTER:
                cut = True
                break
            content += 1
            if prev in MODIFIERS:  # the judgement is said
                after.append(w)
                nxt = words[n + 1] if n + 1 < len(words) else ""
                if len(w) == len(nxt) == 1 and not _PUNCT.match(nxt) and nxt not in _FUNCTION_WORDS:
                    after.append(nxt)
                break
        after.append(w)
        if w not in PARTICLES:
            prev = w
    while after and (after[-1] in PARTICLES or after[-1] in LINKS
                     or (after[-1] in MODIFIERS and (cut or after[-1] not in _CLOSING))):
        after.pop()  # 好 closing the clause is the judgement (味道很好), not a degree adverb
    return after, cut
