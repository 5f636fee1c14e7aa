"""Taste direction and opinion phrases, read from the clauses a topic lives in.

Directions come from the taxonomy's cue lexicon, negation-aware: ``太淡`` is
``too_bland`` but ``不淡`` is not; a cue that itself starts with a negator
(``不辣``) is its own direction. A negative taste mention with no direction
cue is the taxonomy's fallback (``bad_general``).
"""

from __future__ import annotations

import re

from koubei.taxonomy import Taxonomy
from koubei.text.clauses import NEGATORS, is_negated

_LEAD = "也都还就又是的得挺"
_TRAIL = "了的啊呢哦吧呀啦嘛哈"
_MASK = "□"


class TasteDirector:
    """Find taste directions and opinion phrases in clause text."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self.fallback = taxonomy.fallback_direction
        self._exclude = re.compile("|".join(map(re.escape, sorted(
            taxonomy.taste_exclude, key=len, reverse=True)))) if taxonomy.taste_exclude else None
        cues = [(c, d.id) for d in taxonomy.taste_directions for c in d.cues]
        cues.sort(key=lambda x: len(x[0]), reverse=True)
        self._cue_dir = dict(cues)
        self._re = re.compile("|".join(re.escape(c) for c, _ in cues)) if cues else None

    def _mask(self, text: str) -> str:
        if self._exclude is None:
            return text
        return self._exclude.sub(lambda m: _MASK * len(m.group()), text)

    def find(self, text: str) -> list[tuple[str, str]]:
        """(direction, cue) pairs in ``text`` in order, negated cues skipped."""
        if self._re is None:
            return []
        masked = self._mask(text)
        out: list[tuple[str, str]] = []
        for m in self._re.finditer(masked):
            cue = m.group()
            if not cue.startswith(NEGATORS) and is_negated(masked, m.start()):
                continue
            direction = self._cue_dir[cue]
            if direction not in (d for d, _ in out):
                out.append((direction, cue))
        return out

    def directions(self, clauses: list[str]) -> tuple[list[str], str | None]:
        """Directions of a negative taste mention and the cue that named the first.

        Specific directions win over the fallback when both are present
        (``难吃，太咸了`` → too_salty).
        """
        found = [f for c in clauses for f in self.find(c)]
        specific = [f for f in found if f[0] != self.fallback]
        chosen = specific or found
        if not chosen:
            return ([self.fallback] if self.fallback else []), None
        dirs = list(dict.fromkeys(d for d, _ in chosen))
        return dirs, chosen[0][1]


def opinion_phrase(clause: str, cue: str | None, *, max_chars: int = 6) -> str:
    """The opinion words next to a topic cue in its clause (``味道太淡了`` → ``太淡``)."""
    if not cue or cue not in clause:
        return _trim(clause[-max_chars:])
    i = clause.index(cue)
    after = _trim(clause[i + len(cue):][:max_chars].lstrip(_LEAD))
    if after:
        return after
    before = _trim(clause[max(0, i - 4):i].lstrip(_LEAD))
    return before or cue


def _trim(text: str) -> str:
    cut = text.find("了")
    if cut > 0:
        text = text[:cut]
    return text.rstrip(_TRAIL).strip(" ,.!?")
