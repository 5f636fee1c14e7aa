"""Clause-level polarity evidence the learned heads misread: denial, comparison, slang.

The TF-IDF polarity head learns word weights from labelled reviews, where
``受潮`` and ``压坏`` almost always come in complaints. So ``一点都没受潮`` and
``一点没压坏`` read as complaints, ``味道在线`` (current slang for "the taste
is right there") as nothing, and ``没有以前好吃`` as praise of 好吃. This module
reads such phrases with a small, versioned lexicon (``corpora/lexicon/polarity.yaml``):

- a complaint word denied (negator, optional fillers, complaint: 没[有]受潮,
  一点都不贵, 不会太咸) is evidence of praise;
- a complaint word said (受潮, 有点软, 踩雷) is evidence of a complaint;
- a comparison with the past (没有以前好, 不如上次, 越来越少, 比以前快) says
  worse or better than before;
- slang and idioms of praise (在线, yyds, 绝绝子, 白菜价) are praise; slang of complaint
  the labels lack (翻车, 踩雷) said alone is a complaint the head cannot read;
- a comparison that falls short of the past (没上次脆) reads as a denial (不脆) where the
  taxonomy's words are looked for (:meth:`PolarityLexicon.past_as_denial`).

:func:`koubei.model.predict.predict_docs` uses the evidence of each topic's
own clauses to overrule the head where it is one-sided (see
:meth:`Evidence.settles`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from koubei.errors import TaxonomyError
from koubei.resources import corpora_path
from koubei.taxonomy import read_yaml_or_json
from koubei.text.batch import Joined, prefilter, scans_alike, with_first_chars
from koubei.text.clauses import HANDLING, ONE_UNITS, RARELY
from koubei.text.normalize import EMOJI_WORDS

#: what a never-met frame measures with (没吃过这么差的, 没见过如此, 没见过那么:
#: :meth:`PolarityLexicon.never_met`)
MEASURES = ("这么", "如此", "那么")
#: placeholder for a matched or masked span, so that later patterns cannot
#: match across or inside it
_GAP = "|"
#: any character but clause punctuation and the placeholder
_IN_CLAUSE = "[^,，。.!！?？;；|]"
#: what an empty list compiles to
_NEVER = "(?!)"
#: what fills a denied comparison with the past before its 不 (:meth:`PolarityLexicon.past_as_denial`):
#: a private-use character, which no review holds
PAST_PAD = "\ue000"
#: words that, before a word of the past, say "less than then" (没有上次, 不如以前); not 不是
#: (不是第一次这么咸: a complaint said again)
_FALLS_SHORT = ("没有", "没", "不如", "比不上", "不及", "赶不上")
#: distinct texts whose evidence each lexicon remembers: clauses repeat within a batch (a
#: clause read for several topics, the opinion phrase's clause) and across reviews (好评, 味道不错)
MEMO_SIZE = 20_000
#: the most letters, digits and Chinese characters a review said in verdicts alone holds
#: (:meth:`PolarityLexicon.verdicts_only`): 非常非常满意强烈推荐 is one, a paragraph is not
VERDICTS_ONLY_CHARS = 20
_NOT_A_WORD = re.compile(r"[\W_]+")


def default_lexicon_path() -> Path:
    return corpora_path("lexicon", "polarity.yaml")


def _by_length(words: list[str] | tuple[str, ...]) -> list[str]:
    """Distinct words, longest first (so 没有 wins over 没)."""
    return sorted(set(words), key=len, reverse=True)


def _alt(words: list[str] | tuple[str, ...]) -> str:
    """A regex alternation of literal words, longest first (so 没有 wins over 没)."""
    return "|".join(map(re.escape, _by_length(words)))


@dataclass(frozen=True)
class Evidence:
    """What the lexicon found in some text: matched phrases by kind."""

    praise: tuple[str, ...] = ()  # denied complaints, slang praise, better than before
    complaint: tuple[str, ...] = ()  # complaint words said
    worse: tuple[str, ...] = ()  # worse than before
    denial: tuple[str, ...] = ()  # negators left over (most deny a praise word: 不新鲜)
    contrast: tuple[str, ...] = ()  # a clause opening on a contrast (还可以，就是...): a complaint follows
    slang: tuple[str, ...] = ()  # the complaint words said that are the lexicon's slang (翻车, 踩雷)

    @property
    def positive(self) -> bool:
        """Praise evidence and nothing against it (a contrast announces something against it)."""
        return bool(self.praise) and not (self.complaint or self.worse or self.denial or self.contrast)

    @property
    def complaint_only(self) -> bool:
        """A complaint word said, and nothing else (no praise, comparison, negator or contrast)."""
        return bool(self.complaint) and not (self.praise or self.worse or self.denial or self.contrast)

    @property
    def slang_only(self) -> bool:
        """Complaint words alone (:attr:`complaint_only`), one of them the lexicon's slang (踩雷了,
        包装翻车了): words the labelled reviews lack, which the learned heads cannot read."""
        return bool(self.slang) and self.complaint_only

    @property
    def worse_only(self) -> bool:
        """Worse than before, and no praise evidence."""
        return bool(self.worse) and not self.praise

    def settles(self, polarity: str) -> str:
        """The polarity to give a topic whose clauses hold this evidence (``polarity``: the head's).

        One-sided praise evidence makes a mention positive; a comparison that
        says worse than before, with no praise evidence, makes it negative; so do
        complaint words alone of which one is slang (包装翻车了: words the labelled
        reviews lack, which the head cannot read). Anything else leaves the head's reading.
        """
        if self.positive and polarity != "pos":
            return "pos"
        if (self.worse_only or self.slang_only) and polarity != "neg":
            return "neg"
        return polarity


#: the evidence of a text in which no pattern matches (most clauses)
NO_EVIDENCE = Evidence()


def evidence_features(evidence: list[Evidence]) -> np.ndarray:
    """Rows × 4: praise, complaint, worse-than-before and leftover-negator counts, capped at 3
    and scaled to 0-1 (what the sentiment's gold head reads)."""
    counts = [[len(e.praise), len(e.complaint), len(e.worse), len(e.denial)] for e in evidence]
    return np.minimum(np.asarray(counts, dtype=np.float32).reshape(len(evidence), 4), 3) / 3


@dataclass
class PolarityLexicon:
    """The lists of ``corpora/lexicon/polarity.yaml`` compiled into patterns."""

    name: str
    version: str
    negators: tuple[str, ...]
    fillers: tuple[str, ...]
    complaints: tuple[str, ...]
    weak_complaints: tuple[str, ...]
    degree: tuple[str, ...]
    praise: tuple[str, ...]
    past: tuple[str, ...]
    worse_than_before: tuple[str, ...]
    better_than_before: tuple[str, ...]
    mask: tuple[str, ...]
    contrast: tuple[str, ...] = ()
    verdicts: tuple[str, ...] = ()
    continuation: tuple[str, ...] = ()
    slang_complaints: tuple[str, ...] = ()
    middling: tuple[str, ...] = ()
    experienced: tuple[str, ...] = ()
    plain_praise: tuple[str, ...] = ()
    hollow: tuple[str, ...] = ()
    _res: dict[str, re.Pattern[str]] = field(init=False, repr=False, compare=False)
    _any: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _joinable: bool = field(init=False, repr=False, compare=False)
    _memo: dict[str, Evidence] = field(init=False, repr=False, compare=False)
    _verdicts: frozenset[str] = field(init=False, repr=False, compare=False)
    _continues: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _slang: frozenset[str] = field(init=False, repr=False, compare=False)
    _middling: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _past_denied: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _complaint_next: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _denied_word: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _denied_praise: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _verdicts_only: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        neg, fill = _alt(self.negators), _alt(self.fillers)
        strong, weak = _alt(self.complaints), _alt(self.weak_complaints)
        past = _alt(self.past)

        holes = {"PAST": past, "COMPLAINT": f"(?:{strong})", "WEAK": f"(?:{weak})"}

        def filled(pattern: str) -> str:  # the comparisons' placeholders (PAST is an alternation already)
            for name, alternation in holes.items():
                pattern = pattern.replace(name, alternation)
            return pattern

        def many(patterns: tuple[str, ...]) -> re.Pattern[str]:
            return re.compile("|".join(f"(?:{filled(p)})" for p in patterns) or _NEVER)

        self._res = {
            "mask": many(self.mask),
            "better": many(self.better_than_before),
            "worse": many(self.worse_than_before),
            "praise": many(self.praise),
            "denied": re.compile(f"(?:{neg})(?:{fill})*(?:{strong}|{weak})"),
            # strong | (?:degree)(?:weak), spelt with each branch opening on a literal: the
            # same matches, but the regex engine then skips positions no branch can start at
            "complaint": re.compile("|".join([strong, *(f"{re.escape(d)}(?:{weak})"
                                                        for d in _by_length(self.degree))])),
            "negator": re.compile(neg),
            # a contrast word opening a clause: 味道还可以，就是有点油
            "contrast": re.compile(f"(?:^|(?<=[,，。.!！?？;；|~～ ]))(?:{many(self.contrast).pattern})"),
            # 没有以前那么贵: a complaint right after 那么/这么 (.match(s, pos) anchors at pos)
            "complaint_ahead": re.compile(f"{_IN_CLAUSE}{{0,4}}?(?:那么|这么|那样|这样)(?:{strong}|{weak})"),
            # 一点异味都没有, 一颗坏的都没有: a complaint word counted, then denied (post-posed)
            "post_denied": re.compile(_post_denied(strong, weak)),
            # 一点没缩水, 不比以前差: a worse word or comparison denied is praise
            "denied_worse": re.compile(f"(?:{neg})(?:{fill})*(?:{many(self.worse_than_before).pattern})"),
            # 从没遇到过这么差的, 没吃过这么好吃的: never anything like it, no denial (:func:`_unheard`)
            "unheard_bad": re.compile(_unheard(neg, past, _alt(self.experienced), f"{strong}|{weak}")
                                      if self.experienced else _NEVER),
            "unheard_good": re.compile(_unheard(neg, past, _alt(self.experienced), _alt(self.plain_praise))
                                       if self.experienced and self.plain_praise else _NEVER),
        }
        # complaint_ahead is only read after worse; post_denied only matches where a negator does
        # (nor a pattern of a list the lexicon lacks, which never matches: the prefilter can stand in
        # for no branch that matches nothing, and would fall back to the whole, slower union)
        any_ = _union([p for k, p in self._res.items()
                       if k not in ("complaint_ahead", "post_denied") and p.pattern != _NEVER])
        self._any = None if any_ is None else prefilter(any_)  # a superset: skips the texts with none
        # a batch is read joined by the placeholder when every pattern reads it as the edge of a
        # text; the contrast's own anchor (^, or a mark before it: the placeholder is one) does
        parts = [p.pattern for k, p in self._res.items() if k != "contrast"] + [many(self.contrast).pattern]
        self._joinable = all(p == _NEVER or scans_alike(p, _GAP) for p in parts)
        self._res = {k: with_first_chars(p) for k, p in self._res.items()}  # the same matches, sooner
        self._memo = {}
        self._verdicts = frozenset(self.verdicts) | frozenset(f"NOT_{v}" for v in self.verdicts)
        self._continues = (re.compile("|".join(f"(?:{p})" for p in self.continuation))
                           if self.continuation else None)
        self._slang = frozenset(self.slang_complaints)
        # 味道一般, 服务也一般般, 包装凑合吧: a few words naming the subject, then the middling verdict
        # and nothing else; not 很一般 / 太一般, which with a complaint around them may be negative
        mid = _alt(self.middling)
        self._middling = re.compile(
            f"[^,，。!！?？;；]{{0,6}}?(?:也|都|就|还|算|比较|感觉|觉得)?(?<!很)(?<!太)(?<!非常)(?<!特别)"
            f"(?:{mid})[了吧啊哦呀~～。.!！]*") if self.middling else None
        # 没有上次, 不如以前那么: a comparison that says "less than before"
        short = f"(?:{_alt(_FALLS_SHORT)})(?:{past})的?(?:那么|这么|那样|这样)?"
        self._past_denied = with_first_chars(re.compile(short)) if self.past else None
        self._complaint_next = re.compile(f"{strong}|{weak}")
        # the ``denied`` pattern with its complaint word kept (what denies_complaint and
        # denied_complaints read; ``_read`` substitutes the whole match)
        self._denied_word = re.compile(f"(?:{neg})(?:{fill})*({strong}|{weak})")
        # 不是很新鲜, 服务不算太热情: a plain praise word denied (:meth:`denied_praise`)
        self._denied_praise = with_first_chars(re.compile(_denied_praise(self.plain_praise))) \
            if self.plain_praise else None
        # 强烈推荐, 超级棒开心: verdicts, degree words, hollow words and the emoji's words, run together
        said = _alt(sorted({*self.verdicts, *self.degree, *self.hollow, *EMOJI_WORDS.values()}))
        self._verdicts_only = re.compile(f"(?:{said})+") if self.verdicts and self.hollow else None

    def __getstate__(self) -> dict[str, Any]:  # a worker process gets no copy of the memo
        return {**self.__dict__, "_memo": {}}

    def evidence(self, text: str) -> Evidence:
        """The evidence in one normalized text (a clause, or several joined)."""
        ev = self._memo.get(text)
        return self.evidence_many([text])[0] if ev is None else ev

    def evidence_many(self, texts: Sequence[str]) -> list[Evidence]:
        """:meth:`evidence` of each text; texts not read before are read together, in one pass
        per pattern where the lexicon's patterns allow it (:mod:`koubei.text.batch`)."""
        memo = self._memo
        known = {t: memo.get(t) for t in texts}
        todo = [t for t, e in known.items() if e is None]
        found = {t: e for t, e in known.items() if e is not None}
        if todo:
            read = self._read_many(todo)
            found.update(zip(todo, read))
            if len(memo) + len(todo) > MEMO_SIZE:
                memo.clear()
                memo.update(found)  # keep every text of this call: callers read them one by one next
            else:
                memo.update(zip(todo, read))
        return [found[t] for t in texts]

    def _read_many(self, texts: list[str]) -> list[Evidence]:
        """Evidence of each text: texts where no pattern matches at all have none (most clauses);
        the others are read joined, where the lexicon's patterns allow it."""
        if not self._joinable or self._any is None:
            return [self._read_one(t) for t in texts]
        some = [i for i, t in enumerate(texts) if self._any.search(t)]
        out = [NO_EVIDENCE] * len(texts)
        if some:
            joined = Joined([texts[i] for i in some], _GAP)
            for i, ev in zip(some, self._read(joined.text, joined.owner, len(some))):
                out[i] = ev
        return out

    def _read_one(self, text: str) -> Evidence:
        if self._any is not None and not self._any.search(text):
            return NO_EVIDENCE  # no pattern matches: nothing is masked, so no later pass can match
        return self._read(text, lambda pos: 0, 1)[0]

    def _read(self, text: str, owner: Callable[[int], int], n: int) -> list[Evidence]:
        """The evidence of the ``n`` texts in ``text`` (one text, or several joined); ``owner``
        tells which text holds a position."""
        res = self._res
        found: list[dict[str, list[Any]]] = [{} for _ in range(n)]
        def add(kind: str, m: re.Match[str], what: Any) -> None:
            found[owner(m.start())].setdefault(kind, []).append(what)

        groups = res["contrast"].groups
        opens = set()  # the texts (clauses) that open on a contrast
        for m in res["contrast"].finditer(text):  # before masking 不过
            add("contrast", m, _found_item(m, groups))
            if m.start() == 0 or text[m.start() - 1] == _GAP:
                opens.add(owner(m.start()))
        text = res["mask"].sub(lambda m: _GAP * len(m.group()), text)

        def take(kind: str, pattern: str, s: str) -> str:
            def hit(m: re.Match[str]) -> str:
                k = kind
                if kind == "worse" and res["complaint_ahead"].match(s, m.end()):
                    k = "praise"  # 没有以前那么贵: better, not worse
                add(k, m, m.group())
                return _GAP * len(m.group())
            return res[pattern].sub(hit, s)

        text = take("complaint", "unheard_bad", text)  # before any denial can read its negator
        text = take("praise", "unheard_good", text)
        text = take("praise", "denied_worse", text)
        text = take("worse", "worse", text)  # before better: 比以前慢了好多 is worse, whatever 好 follows
        text = take("praise", "better", text)
        text = take("praise", "praise", text)
        text = take("praise", "denied", text)
        text = take("praise", "post_denied", text)
        text = take("complaint", "complaint", text)
        take("denial", "negator", text)
        if self._slang:
            for f in found:
                if slang := [w for w in f.get("complaint", ()) if w in self._slang]:
                    f["slang"] = slang
        for at in opens:
            # a clause that opens on a contrast and turns to praise (不过下单当天就发货了, of
            # 味道寡淡，不过下单当天就发货了) announces nothing against its praise: with no other
            # contrast, complaint, comparison or negator, the contrast is no evidence. Not a whole
            # review (味道寡淡，不过...): what came before the contrast may be a complaint unlisted.
            f = found[at]
            against = {"complaint", "worse", "denial"} & f.keys()
            if len(f["contrast"]) == 1 and "praise" in f and not against:
                del f["contrast"]
        return [Evidence(**{k: tuple(v) for k, v in f.items()}) if f else NO_EVIDENCE for f in found]

    def past_as_denial(self, text: str) -> str:
        """``text`` with each comparison that falls short of the past (没有, 没, 不如, 比不上,
        不及 or 赶不上, a word of ``past``, then 的 and 那么, 这么... if said) read as a plain 不,
        the rest of it padded with :data:`PAST_PAD` so that positions hold: 没有上次脆 as
        ···不脆, 没以前那么辣 as ····不辣. A taxonomy's words for a topic or a taste direction
        (不脆: freshness, 不辣: not spicy enough) are then found in it; 这次的薯片没上次脆 had no
        topic, 鸭脖没有以前辣了 was too spicy. Not before a complaint word: 没有以前咸 is better
        than before (the lexicon's reading), not 不咸, too bland."""
        if self._past_denied is None:
            return text
        ahead = self._complaint_next

        def short(m: re.Match[str]) -> str:
            if ahead.match(text, m.end()):
                return m.group()
            return PAST_PAD * (len(m.group()) - 1) + "不"
        return self._past_denied.sub(short, text)

    def denies_complaint(self, text: str) -> bool:
        """Whether ``text`` denies a complaint word (没有超时, 一点没洒: the ``denied`` praise)."""
        return bool(self.denied_complaints(text))

    def denied_complaints(self, text: str) -> list[str]:
        """The complaint words ``text`` denies, in order (没有夹生，也不贵 → 夹生, 贵; 一点异味都没有
        → 异味)."""
        text = self._res["mask"].sub(_GAP, text)
        found = [(m.start(), m.end(), m.group(1)) for m in self._denied_word.finditer(text)]
        taken = [(a, b) for a, b, _ in found]
        found += [(m.start(), m.end(), m.group(1) or m.group(2))
                  for m in self._res["post_denied"].finditer(text)
                  if not any(a < m.end() and m.start() < b for a, b in taken)]  # read once
        return [w for _, _, w in sorted(found)]

    def never_met(self, text: str) -> int:
        """Where what ``text`` says it never met anything like is measured: the offset of the
        这么, 如此 or 那么 of its first "never met" (从来没吃过这么差的 → 5; 很少遇到这么热情的: the
        patterns :func:`_unheard` writes), or -1."""
        text = self._res["mask"].sub(_GAP, text)
        found = [m for k in ("unheard_bad", "unheard_good") if (m := self._res[k].search(text))]
        if not found:
            return -1
        m = min(found, key=lambda m: m.start())
        return m.start() + max(m.group().rfind(w) for w in MEASURES)

    def denied_praise(self, text: str) -> list[str]:
        """The plain praise words ``text`` denies, in order (不是很新鲜 → 新鲜; 服务不算太热情 → 热情: a
        complaint said mildly, which the head reads as the praise it names). None, for a lexicon
        without ``plain_praise`` words (before 1.14)."""
        if self._denied_praise is None:
            return []
        # each word's branch captures it in a group of its own: the one that took part
        return [m.group(m.lastindex or 0)
                for m in self._denied_praise.finditer(self._res["mask"].sub(_GAP, text))]

    def is_verdict(self, word: str) -> bool:
        """Whether a segmented ``word`` (``NOT_`` mark or not) is a verdict: a judgement that
        names no subject (还行, 不错, 没问题, 差劲)."""
        return word in self._verdicts

    def holds_verdict(self, words: Sequence[str]) -> bool:
        """Whether any of a clause's segmented ``words`` is a verdict (:meth:`is_verdict`)."""
        return not self._verdicts.isdisjoint(words)

    def verdicts_only(self, text: str) -> bool:
        """Whether a normalized ``text`` says nothing but verdicts: its letters, digits and Chinese
        characters are verdicts, degree words, ``hollow`` words and the words emoji stand for
        (:data:`koubei.text.normalize.EMOJI_WORDS`), run together: 强烈推荐, 超级棒 开心, 五星好评啊.
        Such a review names no topic. Never for a text of more than :data:`VERDICTS_ONLY_CHARS` such
        characters or three times as many in all, nor for a lexicon without ``hollow`` words (before
        1.15). Digits and Latin words are none of them: 5星好评 and 强烈推荐，nice are not."""
        if self._verdicts_only is None or len(text) > 3 * VERDICTS_ONLY_CHARS:
            return False  # (normalizing collapsed runs of punctuation: a longer text holds more words)
        bare = _NOT_A_WORD.sub("", text)
        return 0 < len(bare) <= VERDICTS_ONLY_CHARS and self._verdicts_only.fullmatch(bare) is not None

    def continues(self, clause: str) -> bool:
        """Whether a normalized ``clause`` opens on a ``continuation`` pattern: it goes on about
        what the clause before it said (味道一点没变，还是那么差). Never, for a lexicon
        without them (before 1.7)."""
        return self._continues is not None and self._continues.match(clause) is not None

    def middling_only(self, clause: str) -> bool:
        """Whether a normalized ``clause`` says nothing but a middling verdict of its subject
        (味道一般, 服务也一般般, 价格凑合): ``neu`` by the labelling guideline, which the polarity head
        read as a complaint; not where the words before it judge too (很油味道一般: a complaint word).
        Never, for a lexicon without ``middling`` words (before 1.12)."""
        if self._middling is None or self._middling.fullmatch(clause) is None:
            return False
        ev = self.evidence(clause)
        return not (ev.complaint or ev.worse or ev.praise)

    def concedes(self, clause: str, following: str) -> bool:
        """Whether a normalized ``clause`` ends granting something only to set it aside, the
        ``following`` clause opening on a ``contrast`` (便宜是便宜，就是不好吃; 东西好是好，但是...):
        what comes after is the verdict. Never, for a lexicon without contrast words (before 1.2)."""
        return (bool(self.contrast) and self._res["contrast"].match(following) is not None
                and "是" in clause[-10:] and _CONCESSION.search(clause) is not None)

    def evidence_of(self, clauses: list[str]) -> Evidence:
        """The evidence of several clauses, each read on its own (no pattern spans two)."""
        parts = [e for e in map(self.evidence, clauses) if e is not NO_EVIDENCE]
        if len(parts) <= 1:
            return parts[0] if parts else NO_EVIDENCE
        return Evidence(*(tuple(x for e in parts for x in getattr(e, k)) for k in
                          ("praise", "complaint", "worse", "denial", "contrast", "slang")))

    def features(self, texts: list[str]) -> np.ndarray:
        """Rows × 4 of :func:`evidence_features` for each text's :meth:`evidence`."""
        return evidence_features(self.evidence_many(texts))

    # -- persistence as plain data -------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()
                if not k.startswith("_")}

    def sha256(self) -> str:
        blob = json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()


#: what may stand between 不 and the plain praise word it denies: 是 or 算, then a degree word
#: (不是很新鲜, 不算太热情, 不大新鲜, 不咋好吃)
_DENIED_DEGREE = "(?:是|算)?(?:太|很|特别|非常|那么|怎么|够|大|咋)?"
#: what, right after a praise word, makes another word or a question of it: 不好吃 (a complaint the
#: head reads), 不好意思, 不好说, 不新鲜的 (a noun phrase: 不新鲜的都挑出来了), 这不香吗, 不是快递的错,
#: 不是香菜, 不是方便面, 不是便宜货, 不好好做, 不是好几天
_PRAISE_GOES_ON = "[吃喝看用的处评多少像意思说吗嘛呢递餐菜面货几好肠]"
#: before 不: it makes an idiom of 不好 (搞不好, 说不好, 弄不好), or denies the denial (不是不新鲜, 不会不好)
_BEFORE_NO_DENIAL = ("搞", "说", "弄", "不是", "不会", "没")
#: words of comparing, which make 这么 a comparison, not a measure: 没有像看到那样好 (:func:`_unheard`)
_COMPARING = "像和跟比如同与"
#: what may follow the word 这么 measures, when it is that word whole: 没吃过这么好吃的, not 这么软糯
_WORD_ENDS = r"(?![^\W了啊呀的吧哦噢啦])"


def _denied_praise(words: tuple[str, ...]) -> str:
    """不 (不是, 不算, 并不...), what :data:`_DENIED_DEGREE` allows, then one of the plain praise
    ``words`` (captured, each in a group of its own), which goes on into no other word (不好意思);
    not after the word itself nor its first character (好不好, 新鲜不新鲜, 新不新鲜: a question, no
    denial), nor after what :data:`_BEFORE_NO_DENIAL` lists."""
    no = "".join(f"(?<!{re.escape(b)})" for b in _BEFORE_NO_DENIAL)
    return "|".join(f"{no}(?<!{re.escape(w)})(?<!{re.escape(w[0])})不{_DENIED_DEGREE}({re.escape(w)})"
                    f"(?!{_PRAISE_GOES_ON})" for w in _by_length(words))


def _unheard(neg: str, past: str, verbs: str, what: str) -> str:
    """A negator (or 很少, rarely), a verb of experience and 这么 or 如此, or 过 and 那么 (从来没遇到过这么,
    没吃过这么, 没见过那么, 很少见到如此), then a word of ``what`` it measures, whole: "never met anything
    like it", which denies nothing. 从没遇到过这么差的 is a complaint (``what``: the complaint words),
    没吃过这么好吃的 praise (the plain praise words); matched before ``denied``, which read 没遇到过这么差
    as 没 + fillers + 差. Not a comparison: no word of comparing or of the past on either side of the
    verb, no 的 after it, and 那么 only after 过 (没有像看到那样好, 没有以前吃到的那么好吃,
    没吃到上次那么好吃的, 没有网上看到那么好吃 are "not as good as"; 我没遇到那么慢的 points back at
    what others said)."""
    not_past = f"(?!{past})" if past else ""
    gap = f"(?:(?![{_COMPARING}]){not_past}{_IN_CLAUSE})"
    said = "(?:(?<=过)|过)"  # 过 ends the verb (见过) or follows it (遇到过)
    like = f"(?:{said}{gap}{{0,2}}?(?:这么|那么|如此)|(?<!过)(?!过){gap}{{0,2}}?(?:这么|如此))"
    return f"(?:{neg}|{_alt(RARELY)}){gap}{{0,3}}?(?:{verbs})(?!的){like}的?(?:{what}){_WORD_ENDS}"


#: 一 and a measure word opening a post-posed denial (:func:`_post_denied`)
_COUNTED = f"一(?:{'|'.join(sorted(ONE_UNITS, key=len, reverse=True))})"


def _post_denied(strong: str, weak: str) -> str:
    """A complaint word counted then denied: 一点异味都没有, 一丝腥味也没有, a one-character
    complaint with 的 (一颗坏的都没有, 一个烂的也没); the word in group 1 (strong) or 2 (weak).
    Only a complaint word: 一点味道都没有 and 一点诚信都没有 are complaints; only 没(有), not 不
    (一个差评都不为过), nor 没有 + a verb of handling (一点问题也没有解决)."""
    return f"{_COUNTED}(?:({strong})|({weak})的)(?:都|也)没有?(?!{'|'.join(HANDLING)})"


#: X是X (X of 1-4 Chinese characters) closing a clause, granting X: 便宜是便宜, 好吃倒是好吃,
#: 东西好是好, 便宜是便宜了
_CONCESSION = re.compile(r"(?P<x>[\u4e00-\u9fff]{1,4})倒?是(?P=x)[啊呀吧了]?$")


def _found_item(m: re.Match[str], groups: int) -> Any:
    """What ``findall`` lists for match ``m`` of a pattern with ``groups`` groups."""
    if not groups:
        return m.group()
    got = m.groups(default="")
    return got[0] if groups == 1 else got


def _union(patterns: list[re.Pattern[str]]) -> re.Pattern[str] | None:
    """One pattern that matches wherever any of ``patterns`` does; None when they cannot be
    joined (a pattern with global inline flags)."""
    try:
        return re.compile("|".join(f"(?:{p.pattern})" for p in patterns))
    except re.error:
        return None


_LISTS = ("negators", "fillers", "complaints", "weak_complaints", "degree", "praise", "past",
          "worse_than_before", "better_than_before", "mask")
_OPTIONAL = ("contrast", "verdicts", "continuation", "slang_complaints", "middling", "experienced",
             "plain_praise", "hollow")
#: lists of regular expressions that need nothing else to compile (the comparisons may hold PAST,
#: COMPLAINT and WEAK)
_PATTERNS = ("praise", "mask", "contrast", "continuation")


def lexicon_from_dict(raw: Any, *, source: str = "<memory>") -> PolarityLexicon:
    """Validate a parsed lexicon file.

    Raises:
        TaxonomyError: a key is missing, not a list of strings, or a pattern does not compile.
    """
    if not isinstance(raw, dict):
        raise TaxonomyError(f"{source}: a polarity lexicon must be a mapping of lists")
    lists: dict[str, tuple[str, ...]] = {}
    for key in _LISTS:
        value = raw.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise TaxonomyError(f"{source}: '{key}' must be a list of non-empty strings")
        lists[key] = tuple(value)
    for key in _OPTIONAL:  # lexicons before 1.2 have no contrast, 1.5 no verdicts, 1.7 no continuation,
        # 1.8 no slang complaints, 1.12 no middling verdicts, 1.14 no verbs of experience nor plain praise,
        # 1.15 no hollow words
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise TaxonomyError(f"{source}: '{key}' must be a list of non-empty strings")
        lists[key] = tuple(value)
    for key in _PATTERNS:  # the lists whose items are patterns of their own: name the one that fails
        for item in lists[key]:
            try:
                re.compile(item)
            except re.error as e:
                raise TaxonomyError(f"{source}: '{key}': the pattern {item!r} does not compile: {e}") from e
    if stray := [w for w in lists["slang_complaints"] if w not in lists["complaints"]]:
        raise TaxonomyError(f"{source}: 'slang_complaints': {', '.join(stray)} not in 'complaints' (a slang "
                            "complaint is a complaint word too: add it there)")
    try:
        return PolarityLexicon(name=str(raw.get("name", "")), version=str(raw.get("version", "")),
                               **lists)
    except re.error as e:
        raise TaxonomyError(f"{source}: a pattern does not compile: {e}") from e


def load_lexicon(path: str | Path | None = None) -> PolarityLexicon:
    """Read the polarity lexicon (default: the shipped ``corpora/lexicon/polarity.yaml``).

    Raises:
        TaxonomyError: the file is missing or malformed; the message names the key.
    """
    p = Path(path) if path else default_lexicon_path()
    if not p.is_file():
        raise TaxonomyError(f"polarity lexicon not found: {p}")
    raw = read_yaml_or_json(p, "the polarity lexicon")
    return lexicon_from_dict(raw, source=str(p))
