"""Taste direction of a negative taste mention, read from the clauses it lives in.

Directions come from the taxonomy's cue lexicon, negation-aware: ``太淡`` is
``too_bland`` but ``不淡`` is not; a cue that itself starts with a negator
(``不辣``) is its own direction. Two tiers: phrases (``太咸``, ``没味道``) first;
only when none names a direction, the short ``weak_cues`` (``咸`` in ``又咸``,
``辣`` in ``辣的不行``). A negative taste mention with no direction cue is the
taxonomy's fallback (``bad_general``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

from koubei.taxonomy import Taxonomy
from koubei.text.clauses import NEGATORS

_MASK = "□"
# A negator, then at most a few degree words, right before the cue: 不咸, 不是很辣, 没那么甜.
_NEGATED_RE = re.compile(r"(?:不|没|无|未)"
                         r"(?:是|太|很|怎么|那么|这么|算|会|大|够|有|都|也|觉得|特别|一点|至于|上)*$")
# Words ending in a negator character that negate nothing (特别咸, 个别).
_NOT_NEGATORS = re.compile("特别|个别|区别|分别|差不|无论|毫无|并非|不久")


# Neither X nor Y, or X and Y, then "just right", is praise of a balance (不辣不咸刚刚好,
# 不油不腻正合适, 咸淡刚好): masked like the taxonomy's taste_exclude, whatever the taxonomy.
# Without the "just right" it is as often a complaint (苹果不酸不甜没味道: too bland).
_BALANCED_RE = re.compile(r"(?:不(?:太|很|会)?)?[咸淡辣甜油腻酸苦](?:不(?:太|很|会)?)?[咸淡辣甜油腻酸苦]"
                          r"(?=[，,、 ]?(?:都)?(?:刚刚好|刚好|正好|适中|适宜|合适|正合适|恰到好处|恰好))")

# A denial right after the cue: 一点异味都没有, 怪味也没, 辣味一点没有; not 没法 / 没(有)办法
# (咸得没法喝 says how salty).
_DENIED_AFTER_RE = re.compile(r"(?:味道|味儿|味|儿)?(?:都|也|一点)?(?!没有?(?:法|办法))(?:没有|没)")
# A cue ending in a complement marker says how much, whatever follows (咸到没朋友, 辣得没边), and
# one ending in a comparison marker what it is like (淡得像没调过味, 淡得跟没放盐一样: the denial is
# the thing compared with); but a comparison with the past after it still says less (甜得没以前那么齁了).
COMPLEMENTS = ("得", "到", "像", "跟")
_LESS_THAN = re.compile(r"没有?(?:以前|之前|上次|原来|那么|这么)")

# Too much of a seasoning put in (see :func:`excess_pattern`): the verb of putting it in,
# then how much (盐放得太多, 糖加多了, 孜然撒太多, 盐加得有点多, 酱料挤太多, 沙拉酱淋太多); or the
# seasoning (or its taste) said to be too much or too strong (盐太多, 盐味太重, 调料味太冲); or too
# much of it put in (放了太多盐); or a wish that less were put in (盐少放点就好了, 建议少放点盐). Not a plain
# quantity (放了很多辣椒, 超级香; 放了这么多花椒，麻得过瘾; 辣椒超多，超级过瘾: 超 is no "too") nor,
# without the verb, a mild one (锅底油有点多，但是很香: hotpot oil and chili are as often praised)
# unless 了 says it is more than wanted (酱有点儿多了); nor a plain 少放盐 or 下次少放点糖, what an
# order's note or a regular's word to the cook says as often as a complaint.
_PUT = "(?:放|加|下|搁|撒|倒|挤|淋|浇)"
_JUST = "刚刚好|刚好|正好|恰到好处|恰好|适中|适量|合适|正合适"  # an amount said just right
_STRONG = "(?:太|过|过于|也太|实在太)"
_MILD = "(?:有点|有些|有点儿|偏)"
_AMOUNT = "(?:多(?!少)|重|猛|狠)"  # not 放了多少
_WISH = rf"少{_PUT}(?:一?点儿?|一?些)?"  # 少放点, 少加一些
_AFTER = (rf"味?(?:{_PUT}(?:得|的|了)?(?:{_STRONG}|{_MILD})?{_AMOUNT}|{_STRONG}(?:{_AMOUNT}|冲|浓)"
          rf"|{_MILD}(?:多|重)了|味(?:重|冲)"  # 有点多了: a bit too much (酱有点儿多了)
          rf"|(?:可以|能|要|再)?{_WISH}(?:就好了?|就更好了?|会更好|更好了?))")
_BEFORE = rf"{_PUT}了?(?:太多|过多)的?|(?:建议|要是|如果|最好){_WISH}"
# Too little of one: not put in (盐都没放, 盐没放够, 忘了放盐, 忘放盐) or too little (盐放得太少);
# not 盐没放多 / 盐没放那么多 (not too much) nor 别忘了放盐 (a request) nor 不放盐 (as often a request:
# 少油不放盐), nor, without the verb, 酱油太少了，不够蘸 (a portion).
_SHORT_AFTER = (rf"(?:都|也)?(?:没|没有){_PUT}(?:够|足)?(?![^，,。！？!?；;]{{0,3}}多)"
                rf"|{_PUT}(?:得|的)?(?:太少|少了|不够|不足)")
_NOT_ASKED = "(?<!别)(?<!不要)"
_SHORT_BEFORE = rf"(?:没|没有|{_NOT_ASKED}忘(?:了|记了?)?){_PUT}(?:够|足)?"
# each taxonomy key of seasonings, with the shape read after the seasoning and the one before it
_SHAPES = (("seasonings", _AFTER, _BEFORE), ("missing_seasonings", _SHORT_AFTER, _SHORT_BEFORE))


def cue_negated(text: str, start: int, end: int | None = None, *, window: int = 6) -> bool:
    """Whether the cue at ``text[start:end]`` is in a negator's scope: one before it
    (``不是很咸``) or, given ``end``, a denial right after it (``一点异味都没有``; not after a
    cue ending in a complement marker: 咸到没朋友)."""
    left = _NOT_NEGATORS.sub(lambda m: _MASK * len(m.group()), text[max(0, start - window):start])
    if _NEGATED_RE.search(left):
        return True
    if end is None or _DENIED_AFTER_RE.match(text, end) is None:
        return False
    return not text[start:end].endswith(COMPLEMENTS) or _LESS_THAN.match(text, end) is not None


def excess_pattern(taxonomy: Taxonomy) -> re.Pattern[str] | None:
    """A phrase that says too much of a direction's ``seasonings`` was put in (盐放得太重,
    糖加多了, 放了太多盐, 调料味太冲) or too little of its ``missing_seasonings`` (盐都没放,
    辣椒放得太少); None when no direction names one. What :class:`TasteRules` fullmatches a
    cue against; :class:`_Seasonings` finds the phrases in text, with their directions."""
    shapes: list[str] = []
    for key, after, before in _SHAPES:
        words = _alternation([s for d in taxonomy.taste_directions for s in getattr(d, key)])
        if words is not None:
            shapes += [f"(?:{before})(?:{words.pattern})", f"(?:{words.pattern})(?:{after})"]
    return re.compile("|".join(shapes)) if shapes else None


class _Seasonings:
    """The phrases of :func:`excess_pattern`, found fast: a plain search for the seasonings,
    then the shapes read around each (one alternation of every shape is ten times slower).
    Too much and too little are searched apart, so a seasoning of one holding a shorter one of
    the other (砂糖, 糖) is read as either."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self._kinds = []
        for key, after, before in _SHAPES:
            lexicon = {s: d.id for d in taxonomy.taste_directions for s in getattr(d, key)}
            words = _alternation(list(lexicon))
            if words is not None:
                self._kinds.append((words, lexicon, re.compile(after), re.compile(f"(?:{before})$")))
        self.any = _alternation([w for _, lex, _, _ in self._kinds for w in lex])
        # a seasoning said put in, however much (盐放得刚刚好, 调料放得很足, 辣椒加的不多, 孜然撒得刚好); not
        # oil, as often a car's or a cosmetic's (油加得不多, 卸妆油放得有点久), nor 放 of keeping
        # (糖放得有点久了), nor what says no amount (盐放的位置)
        put_in = _alternation([w for _, lex, _, _ in self._kinds for w in lex if w != "油"])
        said_put = f"(?:{put_in.pattern})(?:放|加|搁|撒)(?:得|的)(?![^，,。！？!?；;]{{0,4}}久)(?:很|挺|也|都)?" \
            if put_in is not None else None
        self.put = None if said_put is None else re.compile(
            f"{said_put}(?:{_JUST}|足|多|少|不多|不少|太多|太少|偏多|偏少|有点多|有点少|过多|过少)")
        # ...of which just right or not much names no direction (辣椒放得恰到好处, 辣椒加得不多): the
        # weak cue inside (辣 of 辣椒) is no complaint; 很多 may be one (辣椒放得很多), so it stays read
        self.put_mildly = None if said_put is None else re.compile(f"{said_put}(?:{_JUST}|不多)(?![是在到落相])")

    def find(self, text: str) -> list[tuple[str, int, int]]:
        """(direction, start, end) of each phrase in ``text``, in order."""
        out: list[tuple[str, int, int]] = []
        for words, lexicon, after, before in self._kinds:
            for m in words.finditer(text):
                start, end = m.start(), m.end()
                if a := after.match(text, end):
                    out.append((lexicon[m.group()], start, a.end()))
                elif b := before.search(text, max(0, start - 8), start):
                    out.append((lexicon[m.group()], b.start(), end))
        return sorted(out, key=lambda f: f[1])


def _alternation(words: Sequence[str]) -> re.Pattern[str] | None:
    words = sorted(set(words), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, words))) if words else None


@dataclass(frozen=True)
class TasteRules:
    """Which taste cues settle a mention's polarity and which add the taste topic.

    A taxonomy declares them per direction (``decides_polarity``, ``detects_topic``);
    one that declares neither gets the rules older taxonomies got from the code
    (see :func:`taste_rules`).
    """

    #: (direction, cue) pairs whose non-negated match makes a taste mention negative
    #: (``koubei.model.predict.decisive_taste_cues``)
    decisive: frozenset[tuple[str, str]]
    #: (direction, cue) pairs whose non-negated match adds the taste topic
    #: (``koubei.model.predict.taste_by_cues``)
    detecting: frozenset[tuple[str, str]]
    #: the detecting pairs a taxonomy picked cue by cue (off flavour's 馊, 哈喇味: only food
    #: has them), not a whole direction's cues: specific enough to add taste however little
    #: the detector read it (``koubei.model.predict.taste_by_cues``)
    picked: frozenset[tuple[str, str]] = frozenset()
    #: too much or too little of a seasoning put in (:func:`excess_pattern`): such a cue
    #: decides and detects, whatever its direction (盐放得太重 is a taste complaint); like
    #: any cue, one under four characters adds taste only where the detector reads some
    excess: re.Pattern[str] | None = None

    def _excess(self, cue: str) -> bool:
        return self.excess is not None and self.excess.fullmatch(cue) is not None

    def decides(self, direction: str, cue: str) -> bool:
        return (direction, cue) in self.decisive or self._excess(cue)

    def detects(self, direction: str, cue: str) -> bool:
        return (direction, cue) in self.detecting or self._excess(cue)

    def picks(self, direction: str, cue: str) -> bool:
        return (direction, cue) in self.picked


#: The rules taxonomies before 1.3 got from the code, keyed on the default direction
#: ids and cues (taxonomy 1.3 writes the same rules into its file; a test checks they
#: agree): too bland, salty, heavy and not spicy enough decide polarity (sweet, spicy
#: and oily are as often praise); every phrase cue of the seven specific directions
#: detects taste, and of off flavour only the cues food alone has (馊, 哈喇味: spoilt,
#: rancid), as its others (坏了, 异味, 臭味, 奇怪) as often describe a room or a phone.
LEGACY_DECISIVE = frozenset({"too_bland", "too_salty", "too_heavy", "not_spicy_enough"})
LEGACY_DETECTING_DIRECTIONS = frozenset(
    {"too_bland", "too_salty", "too_heavy", "too_sweet", "too_spicy", "not_spicy_enough", "too_oily"})
LEGACY_DETECTING_CUES = frozenset({"馊", "馊味", "哈喇", "哈喇味", "油哈"})


def taste_rules(taxonomy: Taxonomy) -> TasteRules:
    """The taxonomy's taste rules; the legacy ones, by direction id and cue, when it declares none."""
    dirs = taxonomy.taste_directions
    excess = excess_pattern(taxonomy)
    if taxonomy.declares_taste_rules:
        return TasteRules(frozenset((d.id, cue) for d in dirs for cue in d.decides_polarity),
                          frozenset((d.id, cue) for d in dirs for cue in d.detects_topic),
                          frozenset((d.id, cue) for d in dirs if set(d.detects_topic) < set(d.cues)
                                    for cue in d.detects_topic),
                          excess)
    return TasteRules(frozenset((d.id, cue) for d in dirs if d.id in LEGACY_DECISIVE for cue in d.cues),
                      frozenset(
        (d.id, cue) for d in dirs for cue in d.cues
        if d.id in LEGACY_DETECTING_DIRECTIONS or cue in LEGACY_DETECTING_CUES),
                      frozenset((d.id, cue) for d in dirs for cue in d.cues
                                if d.id not in LEGACY_DETECTING_DIRECTIONS and cue in LEGACY_DETECTING_CUES),
                      excess)


def _hide_unless_kept(m: re.Match[str]) -> str:
    return m.group() if m.lastgroup == "keep" else _MASK * len(m.group())


class TasteDirector:
    """Find taste directions in clause text; ``rules``: the taxonomy's :class:`TasteRules`."""

    def __init__(self, taxonomy: Taxonomy, rewrite: Callable[[str], str] | None = None) -> None:
        """``rewrite``: read each text through it first; it must keep its length (the
        lexicon's :meth:`~koubei.classify.lexicon.PolarityLexicon.past_as_denial`)."""
        self.taxonomy = taxonomy
        self._rewrite = rewrite
        self.rules = taste_rules(taxonomy)
        self.fallback = taxonomy.fallback_direction
        self._cue_dir = {c: d.id for d in taxonomy.taste_directions for c in d.cues}
        # one pass masks the taxonomy's non-cues and the balance of 不辣不咸刚刚好, but keeps
        # whole the phrase cues that hold a non-cue (咸味 is none, 咸味都没有 is one: too bland)
        exclude = _alternation(taxonomy.taste_exclude)
        holders = _alternation([c for c in self._cue_dir
                                if any(w in c and w != c for w in taxonomy.taste_exclude)])
        self._exclude = re.compile((f"(?P<keep>{holders.pattern})|" if holders else "")
                                   + _BALANCED_RE.pattern + (f"|{exclude.pattern}" if exclude else ""))
        self._weak_dir = {c: d.id for d in taxonomy.taste_directions for c in d.weak_cues}
        # phrase cue -> the other directions a phrase cue of which holds it, said, not denied (腻
        # of too oily is in 甜腻, 齁 of too salty in 甜到齁: too sweet's; 咸 is in 不咸, denied):
        # see :meth:`directions`
        self._shared = {c: frozenset(o.id for o in taxonomy.taste_directions if o.id != d.id
                                     and any(c in oc and c != oc and not any(n in oc for n in NEGATORS)
                                             for oc in o.cues))
                        for d in taxonomy.taste_directions for c in d.cues}
        self._re = _alternation(list(self._cue_dir))
        self._weak_re = _alternation(list(self._weak_dir))
        # too much or too little of a seasoning, read first (盐放得太重 before the cue 太重 in it)
        self._seasonings = _Seasonings(taxonomy)

    def _mask(self, text: str) -> str:
        return self._hidden(self._rewritten(text))

    def _hidden(self, rewritten: str) -> str:
        return self._exclude.sub(_hide_unless_kept, rewritten)

    def _rewritten(self, text: str) -> str:
        return text if self._rewrite is None else self._rewrite(text)

    def _masked_if_cued(self, text: str, pattern: re.Pattern[str]) -> str | None:
        """:meth:`_mask` of ``text``, or None where it holds no cue of ``pattern`` (nor, for
        the phrase cues, a seasoning) once rewritten: masking only hides, so nothing can be
        found in it then, and most clauses are spared the masking pass."""
        text = self._rewritten(text)
        seasonings = self._seasonings.any if pattern is self._re else None
        if pattern.search(text) is None and (seasonings is None or seasonings.search(text) is None):
            return None
        return self._hidden(text)

    def _found(self, masked: str, pattern: re.Pattern[str] | None, lexicon: dict[str, str]
               ) -> list[tuple[str, str, int, int]]:
        """(direction, cue, start, end) of every cue of ``pattern`` in ``masked``, in order; for
        the phrase cues, the seasoning phrases too, and a phrase cue inside one left out."""
        if pattern is None:
            return []
        found = [(lexicon[m.group()], m.group(), m.start(), m.end()) for m in pattern.finditer(masked)]
        if pattern is not self._re:
            return found
        spans = self._seasonings.find(masked)
        if not spans:
            return found
        found = [f for f in found if not any(s < f[3] and f[2] < e for _, s, e in spans)]
        return sorted(found + [(d, masked[s:e], s, e) for d, s, e in spans], key=lambda f: f[2])

    def _matches(self, text: str, pattern: re.Pattern[str] | None, lexicon: dict[str, str]
                 ) -> list[tuple[str, str, int]]:
        masked = None if pattern is None else self._masked_if_cued(text, pattern)
        if masked is None:  # same length as ``text`` otherwise: positions hold
            return []
        found = self._found(masked, pattern, lexicon)
        if pattern is self._weak_re and self._seasonings.put_mildly is not None:
            # a weak cue inside a seasoning said put in just right or not much (辣 of 辣椒放得恰到好处,
            # 辣椒加得不多) names no direction
            put = [m.span() for m in self._seasonings.put_mildly.finditer(masked)]
            found = [f for f in found if not any(s <= f[2] and f[3] <= e for s, e in put)]
        return [(d, cue, start) for d, cue, start, end in found
                if cue.startswith(NEGATORS) or not cue_negated(masked, start, end)]

    def _scan(self, text: str, pattern: re.Pattern[str] | None, lexicon: dict[str, str]
              ) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for direction, cue, _ in self._matches(text, pattern, lexicon):
            if direction not in (d for d, _ in out):
                out.append((direction, cue))
        return out

    def matches(self, text: str) -> list[tuple[str, str, int]]:
        """Every non-negated phrase cue in ``text`` as (direction, cue, start), in order
        (:meth:`find` keeps the first of each direction)."""
        return self._matches(text, self._re, self._cue_dir)

    def find(self, text: str) -> list[tuple[str, str]]:
        """(direction, cue) pairs of the phrase cues in ``text``, in order, negated cues skipped."""
        return self._scan(text, self._re, self._cue_dir)

    def find_weak(self, text: str) -> list[tuple[str, str]]:
        """Like :meth:`find` for the short second-tier cues."""
        return self._scan(text, self._weak_re, self._weak_dir)

    def negated(self, text: str) -> list[tuple[str, str]]:
        """(direction, cue) pairs of the phrase cues that appear negated in ``text`` (不淡, 不会太咸)."""
        masked = None if self._re is None else self._masked_if_cued(text, self._re)
        if masked is None:
            return []
        return [(d, cue) for d, cue, start, end in self._found(masked, self._re, self._cue_dir)
                if not cue.startswith(NEGATORS) and cue_negated(masked, start, end)]

    def lacks(self, text: str) -> str | None:
        """``text`` with what says the food lacks a seasoning or a flavour blanked out (same
        length), or None where nothing says so: a seasoning said put in or left out (as
        :meth:`seasoned` reads it: 忘放盐了, 辣椒加少了) or a cue, not negated, that decides the
        polarity of a direction that has ``missing_seasonings`` (too bland, not spicy enough:
        没有辣味, 不入味; not 不甜, as often praise: 又小又不甜 says a size too). What is left says
        what else the clause speaks of (忘放盐了还少了一份米饭: 少了)."""
        phrases, put = self._seasoning_spans(text)
        spans = phrases + put
        lacking, rules = self._lacking, self.rules
        spans += [(start, start + len(cue)) for d, cue, start in self.matches(text)
                  if d in lacking and rules.decides(d, cue)]
        if not spans:
            return None
        chars = list(text)
        for start, end in spans:
            chars[start:end] = "\x00" * (end - start)
        return "".join(chars)

    @cached_property
    def _lacking(self) -> frozenset[str]:
        return frozenset(d.id for d in self.taxonomy.taste_directions if d.missing_seasonings)

    @property
    def has_seasonings(self) -> bool:
        """Whether the taxonomy names any seasoning (:meth:`seasoned` can say yes)."""
        return self._seasonings.any is not None

    def seasoned(self, text: str, shortest: int = 1) -> bool:
        """Whether ``text`` says too much or too little of a seasoning was put in, or denies it
        (盐放得太重, 没有放太多盐), in a phrase of at least ``shortest`` characters, or says how
        it was put in (盐放得刚刚好, 调料放得很足): it speaks of taste, whatever else it holds
        (足 and 刚好 of a portion)."""
        phrases, put = self._seasoning_spans(text)
        return any(end - start >= shortest for start, end in phrases) or bool(put)

    def _seasoning_spans(self, text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Where ``text`` says too much or too little of a seasoning put in, and where it says how
        it was put in (:meth:`seasoned`), as (start, end) spans: both empty when it names none."""
        seasonings = self._seasonings
        if seasonings.any is None or seasonings.any.search(text) is None:
            return [], []
        masked = self._mask(text)
        put = [] if seasonings.put is None else [m.span() for m in seasonings.put.finditer(masked)]
        return [(start, end) for _, start, end in seasonings.find(masked)], put

    def _own(self, directions: list[str], texts: list[str]) -> list[str]:
        """``directions`` (in order, once each) less those every cue of which, said in ``texts``,
        another direction holds in a cue of its own that is named there by a cue not holding it
        (see :meth:`directions`); all of them when none is left."""
        said = [(d, cue) for t in texts for d, cue, _ in self.matches(t)]
        said += [(d, cue) for t in texts for d, cue, _ in self._matches(t, self._weak_re, self._weak_dir)]
        named = list(dict.fromkeys(directions))

        def kept(d: str) -> bool:
            cues = [c for dd, c in said if dd == d]
            return not cues or not all(self._yields(c, d, said) for c in cues)

        own = [d for d in named if kept(d)]
        return own or named

    def _yields(self, cue: str, direction: str, said: list[tuple[str, str]]) -> bool:
        """Whether ``cue`` of ``direction`` belongs to another direction of the ``said`` (direction,
        cue) pairs: a cue of that direction holds it, and that direction is said by a cue that does not."""
        others = self._shared.get(cue, frozenset())
        return any(d in others and d != direction and cue not in c for d, c in said)

    def strong(self, text: str) -> list[str]:
        """Specific directions (not the fallback) named by phrase cues in ``text``."""
        return [d for d, _ in self.find(text) if d != self.fallback]

    def directions(self, clauses: list[str], others: Sequence[str] = ()) -> tuple[list[str], str | None]:
        """Directions of a negative taste mention and the cue that named the first.

        Looks in the taste clauses first, then in the review's ``others``
        clauses; phrase cues before weak cues. Specific directions win over
        the fallback when both are present (``难吃，太咸了`` → too_salty). A
        direction every cue of which said in the clauses read so far (phrase or
        weak) a cue of another direction holds, that other direction said by a cue
        of its own (not holding the first), is that one's (:meth:`_own`): in
        奶茶糖加太多了，腻得慌 the 腻 of too oily is in too sweet's 甜腻, and 糖加太多 names
        too sweet, so the 腻 is of sugar; 甜得齁嗓子 is not too salty; in 太甜了，很腻还太油了
        oil keeps 太油. In 肥肉很腻，吃两块就发腻 too sweet's 发腻 holds the 腻 itself: both stay.
        """
        found: list[tuple[str, str]] = []
        read: list[str] = []
        for texts in (clauses, others):
            read += texts
            for finder in (self.find, self.find_weak):
                found += [f for c in texts for f in finder(c)]
                specific = [f for f in found if f[0] != self.fallback]
                if specific:
                    dirs = self._own([d for d, _ in specific], read)
                    return dirs, next(cue for d, cue in specific if d in dirs)
        if found:
            return [found[0][0]], found[0][1]
        return ([self.fallback] if self.fallback else []), None
