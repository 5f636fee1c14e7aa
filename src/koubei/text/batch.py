"""Regular expressions over many texts: one pass over a batch, and a faster start for alternations.

Scanning texts one at a time costs a call per text and pattern, a few
microseconds on a short review, more than the scan itself. Joined by a
separator, a batch is scanned in one call. The two find the same matches when
the separator acts as the edge of a text: no part of the pattern can match it
(so no match spans two texts, and a lookaround or ``\\b`` at a separator sees
what it sees at the edge of a lone text), the pattern asserts nothing about
where the string starts or ends (``^``, ``$``, ``\\A``, ``\\Z``), and every match
takes at least one character. :func:`scans_alike` checks that on the parsed
pattern, for patterns read from data files; where it cannot tell, it says no and
callers scan text by text.

:func:`with_first_chars` puts before an alternation the characters a match can
start with, so the regex engine skips positions no branch can start at (it
does so by itself only when every branch opens on a literal); :func:`prefilter`
gives a pattern found wherever a pattern is, to skip the texts where it cannot be.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Sequence

# re's parser is private (typeshed has no stubs for it), but nothing public reads a pattern's parts
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

import numpy as np

#: what reading a pattern with re's private parser may raise on a pattern or Python it does not know
_UNREADABLE = (re.error, AttributeError, TypeError, ValueError, IndexError)
#: flags under which a pattern's source is not rewritten: case-folded first characters, and the
#: comments of verbose mode (which may hide a bracket or a bar from the source's reading)
_KEPT_AS_IS = re.IGNORECASE | re.VERBOSE
#: assertions that see a separator as they see the edge of a text (a non-word character)
_EDGE_SAFE = {C.AT_BOUNDARY, C.AT_NON_BOUNDARY}
_CATEGORIES = {C.CATEGORY_DIGIT: r"\d", C.CATEGORY_NOT_DIGIT: r"\D", C.CATEGORY_SPACE: r"\s",
               C.CATEGORY_NOT_SPACE: r"\S", C.CATEGORY_WORD: r"\w", C.CATEGORY_NOT_WORD: r"\W"}


class Joined:
    """``texts`` joined by ``sep``, with a separator before the first and after the last."""

    def __init__(self, texts: Sequence[str], sep: str) -> None:
        self.text = sep + sep.join(texts) + sep
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        self.starts = np.cumsum(lengths + 1) - lengths  # where each text begins in ``text``
        self._starts = self.starts.tolist()

    def owner(self, pos: int) -> int:
        """The text that holds position ``pos``."""
        return bisect.bisect_right(self._starts, pos) - 1

    def owners(self, positions: np.ndarray) -> np.ndarray:
        """:meth:`owner` of each position."""
        return np.searchsorted(self.starts, positions, side="right") - 1


def scans_alike(pattern: str, sep: str) -> bool:
    """Whether ``pattern`` finds in texts joined by ``sep`` (a non-word character) exactly
    what it finds in each text alone (see the module docstring); False when unsure."""
    if re.match(r"\w", sep) or len(sep) != 1:
        raise ValueError("the separator must be one non-word character")
    try:
        parsed = _parser.parse(pattern)
        return bool(parsed.getwidth()[0] > 0 and _inert(parsed, ord(sep)))
    except _UNREADABLE:
        return False  # a pattern, or a Python version's parser, it does not know


def _inert(items: Any, sep: int) -> bool:
    """Whether no part of the parsed ``items`` can match ``sep`` or anchor to the string's edges."""
    for op, av in items:
        if op is C.LITERAL:
            ok = av != sep
        elif op is C.NOT_LITERAL:
            ok = av == sep
        elif op is C.IN:
            ok = not _in_class(av, sep)
        elif op is C.AT:
            ok = av in _EDGE_SAFE
        elif op is C.BRANCH:
            ok = all(_inert(b, sep) for b in av[1])
        elif op is C.SUBPATTERN:
            ok = _inert(av[3], sep)
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            ok = _inert(av[2], sep)
        elif op in (C.ASSERT, C.ASSERT_NOT):
            ok = _inert(av[1], sep)
        elif op is C.ATOMIC_GROUP:
            ok = _inert(av, sep)
        elif op is C.GROUPREF:  # repeats what a group matched, which held no separator
            ok = True
        elif op is C.GROUPREF_EXISTS:
            ok = _inert(av[1], sep) and (av[2] is None or _inert(av[2], sep))
        else:
            ok = False
        if not ok:
            return False
    return True


def _in_class(items: Any, sep: int) -> bool:
    """Whether the character class ``items`` may hold ``sep`` (True when unsure)."""
    negate = hit = False
    for op, av in items:
        if op is C.NEGATE:
            negate = True
        elif op is C.LITERAL:
            hit = hit or av == sep
        elif op is C.RANGE:
            hit = hit or av[0] <= sep <= av[1]
        elif op is C.CATEGORY and av in _CATEGORIES:
            hit = hit or re.match(_CATEGORIES[av], chr(sep)) is not None
        else:
            return True
    return hit != negate


def with_first_chars(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """``pattern`` behind a lookahead for the characters its matches start with: the same
    matches, found faster where the regex engine would otherwise try every branch at every
    position. ``pattern`` itself where that is already quick (it opens on a literal or a class,
    or every branch does), where the characters cannot be told, and under ``re.IGNORECASE`` or
    ``re.VERBOSE``.

    Where one branch of an alternation cannot be told (it opens on a negated class, ``.``...),
    each run of the branches around it gets a lookahead of its own, in their order: the same
    matches, and one branch no longer makes the engine try every other branch at every
    position."""
    if pattern.flags & _KEPT_AS_IS:
        return pattern
    try:
        items = _parser.parse(pattern.pattern, pattern.flags)
        if _opens_quickly(items):
            return pattern
        first = _first_chars(items)
    except _UNREADABLE:
        return pattern
    if first is None or first[1]:  # unknown, or the pattern may match nothing
        return _branch_runs(pattern)
    return _compiled(f"(?=[{_class(first[0])}])(?:{pattern.pattern})", pattern)


def _compiled(source: str, like: re.Pattern[str]) -> re.Pattern[str]:
    """``source`` compiled with ``like``'s flags; ``like`` itself where it does not compile (a
    global inline flag that a rewrite moved from the start)."""
    try:
        return re.compile(source, like.flags)
    except re.error:
        return like


def _class(pieces: list[str]) -> str:
    """Character-class pieces as the inside of one class, each once, in order."""
    return "".join(dict.fromkeys(pieces))


def _told(branch: str, flags: int) -> tuple[Any, list[str] | None]:
    """A branch's parsed items and the character-class pieces its matches start with (None
    when they cannot be told or it may match nothing); raises what :data:`_UNREADABLE` lists."""
    items = _parser.parse(branch, flags)
    first = _first_chars(items)
    return items, None if first is None or first[1] else first[0]


def _branch_runs(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """:func:`with_first_chars` of an alternation some of whose branches cannot be told:
    ``(?=[ab])(?:a1|b1)|(?:[^,]x)|(?=[c])(?:c1)``; ``pattern`` itself where fewer than two
    branches can be told (nothing to gain) or a branch cannot be read on its own."""
    branches = _top_branches(pattern.pattern)
    try:
        firsts = [_told(b, pattern.flags)[1] for b in branches]
    except _UNREADABLE:
        return pattern
    if len(branches) < 2 or sum(f is not None for f in firsts) < 2:
        return pattern
    out: list[str] = []
    run: list[int] = []

    def close() -> None:
        if run:
            chars = _class([c for i in run for c in firsts[i] or ()])
            out.append(f"(?=[{chars}])(?:{'|'.join(branches[i] for i in run)})")
            run.clear()
    for i, chars in enumerate(firsts):
        if chars is None:
            close()
            out.append(f"(?:{branches[i]})")
        else:
            run.append(i)
    close()
    return _compiled("|".join(out), pattern)


def prefilter(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """A pattern found in every text where ``pattern`` is found, searched faster: what
    :func:`with_first_chars` gives, except that a branch whose first characters cannot be told
    is stood for by the characters one of its matches must hold (``[^,]{0,6}和图片一样`` by
    ``[和]``). Use it to skip the texts where ``pattern`` cannot match; it may let through a
    few where it does not. :func:`with_first_chars` itself where a branch has no such
    character or cannot be read, and under ``re.IGNORECASE`` or ``re.VERBOSE``."""
    if pattern.flags & _KEPT_AS_IS:
        return with_first_chars(pattern)
    out = []
    for b in _top_branches(pattern.pattern):
        try:
            items, told = _told(b, pattern.flags)
            stand_in = None if told is not None else _required_chars(items)
        except _UNREADABLE:
            return with_first_chars(pattern)
        if told is None and not stand_in:
            return with_first_chars(pattern)
        out.append(b if stand_in is None else f"[{_class(stand_in)}]")
    joined = _compiled("|".join(f"(?:{b})" for b in out), pattern)
    return with_first_chars(pattern if joined is pattern else joined)


def _required_chars(items: Any) -> list[str] | None:
    """Character-class pieces one of which every match of ``items`` holds: those of the first
    item that takes a character, can be told and must match (None when there is none)."""
    for op, av in items:
        found: list[str] | None = None
        if op is C.LITERAL or op is C.IN:  # a negated class or a category: None
            first = _first_chars([(op, av)])
            found = None if first is None else first[0]
        elif op is C.SUBPATTERN and not av[1] and not av[2]:
            found = _required_chars(av[3])
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT) and av[0] >= 1:
            found = _required_chars(av[2])
        elif op is C.BRANCH:
            each = [_required_chars(b) for b in av[1]]
            found = None if any(e is None for e in each) else [c for e in each for c in e or ()]
        if found:  # else: an assertion, an optional item or one that cannot be told: a later one must match
            return found
    return None


def _top_branches(source: str) -> list[str]:
    """The branches of ``source``'s top-level alternation, a branch that is one whole
    non-capturing group (``(?:a|b)``) read as its own branches: the same alternatives, in
    order. Groups that capture stay whole (their numbers hold)."""
    parts, start = [], 0
    for i, ch, depth in _syntax(source):
        if ch == "|" and depth == 0:
            parts.append(source[start:i])
            start = i + 1
    parts.append(source[start:])
    if len(parts) == 1:
        inner = _whole_group(source)
        return [source] if inner is None else _top_branches(inner)
    return [b for p in parts for b in _top_branches(p)]


def _whole_group(branch: str) -> str | None:
    """The inside of ``branch`` when it is one non-capturing group with nothing after it."""
    if not branch.startswith("(?:"):
        return None
    for i, ch, depth in _syntax(branch):
        if ch == ")" and depth == 1:  # the group that opens the branch closes here
            return branch[3:-1] if i == len(branch) - 1 else None
    return None


def _syntax(source: str) -> Iterator[tuple[int, str, int]]:
    """Each ``(``, ``)`` and ``|`` of a pattern's source outside classes, escapes and ``(?#...)``
    comments: its position, the character, and the group depth before it. Not for verbose
    mode's ``#`` comments (:data:`_KEPT_AS_IS`)."""
    depth, i, n = 0, 0, len(source)
    while i < n:
        ch = source[i]
        if ch == "\\":
            i += 2
            continue
        if source.startswith("(?#", i):  # a comment runs to the first ) and holds no syntax
            end = source.find(")", i)
            i = n if end < 0 else end + 1
            continue
        if ch == "[":  # a class: ^ and a ] first in it are part of it
            i += 1
            i += source[i:i + 1] == "^"
            i += source[i:i + 1] == "]"
            while i < n and source[i] != "]":
                i += 2 if source[i] == "\\" else 1
        elif ch in "()|":
            yield i, ch, depth
            depth += (ch == "(") - (ch == ")")
        i += 1


def _opens_quickly(items: Any) -> bool:
    """What re's compiler turns into a scan for the first character (its ``_get_charset_prefix``)."""
    while len(items) and items[0][0] is C.SUBPATTERN:
        items = items[0][1][3]
    if not len(items):
        return False
    op, av = items[0]
    return op in (C.LITERAL, C.IN) or (op is C.BRANCH and all(len(b) and b[0][0] is C.LITERAL for b in av[1]))


def _first_chars(items: Any) -> tuple[list[str], bool] | None:
    """Character-class pieces for the first character of a match of ``items``, and whether
    ``items`` may match nothing; None when unsure (a negated class, ``.``, a back-reference...)."""
    out: list[str] = []
    for op, av in items:
        if op is C.LITERAL:
            return [*out, re.escape(chr(av))], False
        if op is C.IN:
            for iop, iav in av:
                if iop is C.LITERAL:
                    out.append(re.escape(chr(iav)))
                elif iop is C.RANGE:
                    out.append(f"{re.escape(chr(iav[0]))}-{re.escape(chr(iav[1]))}")
                else:
                    return None
            return out, False
        if op in (C.AT, C.ASSERT, C.ASSERT_NOT):  # takes no character: the next item gives the first
            continue
        if op is C.BRANCH:
            parts = [_first_chars(b) for b in av[1]]
        elif op is C.SUBPATTERN and not av[1] and not av[2]:
            parts = [_first_chars(av[3])]
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            inner = _first_chars(av[2])
            parts = [inner if inner is None or av[0] else (inner[0], True)]
        else:
            return None
        if any(p is None for p in parts):
            return None
        out += [c for p in parts for c in p[0]]  # type: ignore[index]
        if not any(p[1] for p in parts):  # type: ignore[index]
            return out, False
    return out, True
