"""Clause splitting and negation scope, for aspect-level (per-topic) polarity.

A review such as ``送得很快，但是味道太淡了，分量也少`` talks about three
things with two polarities; the classifier looks at each topic's own clauses.
Clauses end at sentence or clause punctuation and at a space between two Chinese
characters (:func:`sentences`), and a contrast word (但是, 不过, 可是...) opens a new
clause even without a comma before it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from koubei.text.segment import Segmenter, default_segmenter

CLAUSE_PUNCT = ",.!?;~。，！？；、…\n\r\t"
CONTRAST_WORDS = ("但是", "可是", "不过", "然而", "只是", "但", "就是", "却")
NEGATORS = ("没有", "不是", "不太", "不怎么", "不够", "不", "没", "别", "无", "未", "非", "莫")

_PUNCT_TOKENS = frozenset(",.!?;~。，！？；、…:：()（）\"'“”‘’[]【】")
_CLAUSE_OPENERS = frozenset(w for w in CONTRAST_WORDS if len(w) > 1)
#: after a word of perceiving, 就是 is "plainly is", no contrast: 一看就是新货, 看起来就是正品
_PERCEIVING = frozenset(("一看", "一吃", "一尝", "一闻", "一摸", "看着", "看起来", "闻着", "闻起来",
                         "吃着", "吃起来", "尝着", "尝起来", "摸着", "摸起来"))
_NEGATOR_SET = frozenset(NEGATORS)
#: "rarely" when said of an act (很少 死机, 很少 有 坏果): not "very few" (肉 很少, 品种 很少), which
#: is what the labelled reviews teach the word (:func:`rarely_said`); the polarity lexicon's
#: never-met pattern opens on one as on a negator (很少遇到这么热情的)
RARELY = ("很少", "极少", "鲜少", "少有")
_RARELY_SET = frozenset(RARELY)
#: what follows a "very few" that opens no act: a particle, an adverb, a conjunction, a measure
#: (肉很少的, 很少很少, 菜很少根本不够吃, 很少而且贵, 很少一点)
_NO_ACT = frozenset(("的", "了", "啊", "吧", "呢", "哦", "呀", "啦", "哈", "很", "太", "真", "真的", "都",
                     "也", "还", "就", "又", "才", "只", "根本", "实在", "而", "而且", "所以", "但",
                     "点", "一点", "些", "一些", *RARELY))
#: the first character of a word after 很少 that says how few, not how often: a negator, a number,
#: a portion word (很少不够吃, 极少几张, 少有500元, 很少肉, 很少料)
_NOT_AN_ACT = frozenset("不没无别未0123456789一二两三四五六七八九十几百千万半肉菜料饭份馅汤虾")
#: the last character of a word before 很少 that makes it "very few", as the lexicon's rarely
#: praise reads it (量很少, 肉很少, 菜很少, 吃的很少, 吃得很少)
_FEW_AFTER = frozenset("量肉菜料饭份馅汤虾的得")
#: what may follow "one" in a denial said after what it denies (一颗坏的都没有); the polarity
#: lexicon's post-posed denial reads the same units
ONE_UNITS = ("点点", "点儿", "点", "丝", "个", "颗", "根", "只", "块", "片", "粒", "件", "次", "滴", "处",
             "股", "条")
_ONE_UNIT = frozenset("一" + u for u in ONE_UNITS)
#: what, after 没有, makes a counted denial a deed left undone (一点问题也没有解决); the polarity
#: lexicon's post-posed denial reads the same words
HANDLING = ("有", "解决", "处理", "回复", "改", "修", "退", "理")

#: a space with a Chinese character on each side: people type it for a full stop
_HAN_SPACE = re.compile(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])")


def sentences(norm: str) -> list[str]:
    """A normalized text cut at the spaces between two Chinese characters
    (``质量没得说 快递小哥很给力`` → two sentences; ``iphone 6 很好用`` stays one).

    Normalization collapses whitespace (a line break too) into one space, and the
    segmenter drops it: without this, the two sentences would read as one clause.
    """
    return _HAN_SPACE.split(norm) if " " in norm else [norm]


def split_word_clauses(words: Sequence[str]) -> list[list[str]]:
    """Split a review's words into clauses at punctuation and before contrast words.

    The one clause rule of the pipeline: ``送得 很快 , 但是 味道 太淡 了`` →
    ``[[送得, 很快], [但是, 味道, 太淡, 了]]``; a two-character contrast word
    (但是, 可是, 不过...) opens a clause even without a comma before it, except 就是 after a
    word of perceiving (``一看 就是 新货`` is one clause: "plainly new stock").
    """
    out: list[list[str]] = []
    clause: list[str] = []
    for w in words:
        if w in _PUNCT_TOKENS or not w.strip():
            if clause:
                out.append(clause)
                clause = []
        elif w in _CLAUSE_OPENERS and clause and not (w == "就是" and clause[-1] in _PERCEIVING):
            out.append(clause)
            clause = [w]
        else:
            clause.append(w)
    if clause:
        out.append(clause)
    return out


def sentence_words(text: str, segmenter: Segmenter | None = None) -> list[list[str]]:
    """The words of each of one normalized text's :func:`sentences`, in order (none for "");
    joined, they are the text's words: the segmenter cuts each side of a space on its own anyway."""
    seg = segmenter or default_segmenter()
    return [seg.cut(part) for part in sentences(text)] if text else []


def clause_words(text: str, segmenter: Segmenter | None = None) -> list[list[str]]:
    """The words of each clause of one normalized text, in order: its :func:`sentence_words`,
    each split by :func:`split_word_clauses`."""
    return [cw for part in sentence_words(text, segmenter) for cw in split_word_clauses(part)]


def split_clauses(text: str, segmenter: Segmenter | None = None) -> list[str]:
    """Clauses of one normalized text, in order (:func:`clause_words`, joined)."""
    return ["".join(c) for c in clause_words(text, segmenter)]


def mark_negation(words: list[str], *, window: int = 3) -> list[str]:
    """Prefix ``NOT_`` to the words in a negator's scope.

    The scope is the next ``window`` words of the same clause; a punctuation
    token or another negator ends it. ``["不", "新鲜"]`` → ``["不", "NOT_新鲜"]``.
    """
    if _NEGATOR_SET.isdisjoint(words):  # most clauses: nothing to mark
        return list(words)
    out: list[str] = []
    left = 0
    for w in words:
        if w in _NEGATOR_SET:
            out.append(w)
            left = window
        elif left and w.strip(CLAUSE_PUNCT):
            out.append("NOT_" + w)
            left -= 1
        else:
            out.append(w)
            left = 0 if not w.strip(CLAUSE_PUNCT) else left
    return out


def rarely_said(words: Sequence[str]) -> list[int]:
    """Where in a clause's ``words`` (``NOT_`` marks allowed) a :data:`RARELY` word says how often an
    act happens (很少 死机, 很少 有 坏果, 很少 给 好评). Not "very few": after a portion word or a
    complement (肉很少, 吃得很少: :data:`_FEW_AFTER`), nor before what opens no act (很少 的, 很少 很少,
    菜很少 根本 不够吃: :data:`_NO_ACT`), a number or a portion word (极少 几张, 很少 肉), nor before a
    negator (米饭很少不够吃: the clause's other denial is no act said rarely)."""
    plain = [w.removeprefix("NOT_") for w in words]
    if _RARELY_SET.isdisjoint(plain):
        return []
    return [i for i in range(len(plain) - 1) if plain[i] in _RARELY_SET
            and not (i and plain[i - 1][-1] in _FEW_AFTER)
            and plain[i + 1] not in _NO_ACT and plain[i + 1][0] not in _NOT_AN_ACT]


def counted_denial(words: Sequence[str]) -> list[int]:
    """Where in a clause's ``words`` (``NOT_`` marks allowed) a denial said after what it denies is
    framed, as the polarity lexicon's post-posed denial reads it: "one unit of" (:data:`ONE_UNITS`),
    one word or a word and 的, then 都 or 也 before 没 or 没有 (一颗 坏 的 都 没有, 一只 蚊子 也 没有),
    the frame's two words. Not 不 (一个差评都不为过), nor 没有 and a verb of handling (一点问题也没有
    解决: a deed left undone)."""
    plain = [w.removeprefix("NOT_") for w in words]
    if _ONE_UNIT.isdisjoint(plain):
        return []
    out = []
    for i, w in enumerate(plain):
        if w not in _ONE_UNIT:
            continue
        end = i + 2 if i + 2 < len(plain) and plain[i + 2] != "的" else i + 3
        if (end + 1 < len(plain) and plain[end] in ("都", "也") and plain[end + 1] in ("没", "没有")
                and not (end + 2 < len(plain) and plain[end + 2].startswith(HANDLING))):
            out += [i, end]
    return out


def has_negator(words: Sequence[str]) -> bool:
    """Whether ``words`` hold a negator word (:data:`NEGATORS`)."""
    return not _NEGATOR_SET.isdisjoint(words)


def unmark_negation(words: Sequence[str]) -> list[str]:
    """``words`` as if nothing were negated, the converse of :func:`mark_negation`: negator
    words dropped, ``NOT_`` marks taken off (``["没有", "NOT_超时"]`` → ``["超时"]``)."""
    return [w[4:] if w.startswith("NOT_") else w for w in words if w not in _NEGATOR_SET]
