"""Review ids, status and quality flags, computed chunk by chunk.

:class:`ReviewAnnotator` keeps the state that spans a whole file (how often
each normalized text and each id was seen, which text skeletons were seen),
so feeding it a file in chunks of any size gives the same result as feeding
it the whole file. It stores 8-byte hashes, never the texts.

Rules:

- ``review_id``: the source id when an id column is mapped and the cell is
  not empty; otherwise ``"r"`` + the first 16 hex digits of the SHA-1 of the
  normalized text. The 2nd, 3rd... row with the same id gets ``-2``, ``-3``...
  in file order, so ids are unique and re-reading a file gives the same ids.
  Empty texts hash the empty string (``rda39a3ee5e6b4b0d``, ``rda39a3ee5e6b4b0d-2``
  ...): unique and stable for a given file, though they move if rows are
  reordered. Repeated *source* ids get the suffix too, and the flag
  ``duplicate_id``. Hash ids depend on :func:`koubei.text.normalize.normalize`.
- ``status``: ``empty`` (missing or whitespace), ``non_text`` (no letter of
  any script after normalization: "。。。", "111", "🐼", a review form's unfilled
  headers "【口味】【环境】"; "👍" is 赞), else ``ok``.
- flags, for ``ok`` rows only: ``templated`` (the text is a platform
  placeholder listed in ``corpora/templates.txt``), ``duplicate`` (the same
  normalized text appeared earlier), ``near_duplicate`` (not a duplicate, but
  its skeleton — letters only, runs of one character collapsed — appeared
  earlier). Both need a skeleton of at least ``min_skeleton`` (8) characters:
  short texts such as 好吃 or 很好吃，会回购 are written independently by many
  customers, and dropping them from counts would drop real voices; a long
  text repeated word for word is a paste or an export glitch.
  ``truncated``: the text is longer than
  :data:`~koubei.text.normalize.MAX_REVIEW_CHARS` characters, of which the
  models read the first ones (a pasted log must not stall a nightly job).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from koubei.errors import InputFormatError
from koubei.resources import corpora_path
from koubei.text.normalize import MAX_REVIEW_CHARS

_LETTER_RE = re.compile(r"[^\W\d_]")
_NON_KEY_RE = re.compile(r"[\W_]+")
_NON_SKELETON_RE = re.compile(r"[\W\d_]+")
_RUN_RE = re.compile(r"(.)\1+")


def template_key(normalized: str) -> str:
    """Normalized text without punctuation, symbols, emoji and spaces (an emoji read as its word,
    👍 赞, is that word: :data:`koubei.text.normalize.EMOJI_WORDS`)."""
    return _NON_KEY_RE.sub("", normalized)


def skeleton(normalized: str) -> str:
    """Letters only (no digits, punctuation, emoji), runs of a character collapsed."""
    return _RUN_RE.sub(r"\1", _NON_SKELETON_RE.sub("", normalized))


def hash8(text: str) -> int:
    """A 64-bit hash of ``text`` (first 8 bytes of BLAKE2b)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


@dataclass(frozen=True)
class TemplateMatcher:
    """Placeholder texts: literal keys and whole-text regular expressions."""

    literals: frozenset[str]
    patterns: tuple[re.Pattern[str], ...]

    def matches(self, key: str) -> bool:
        """Whether a :func:`template_key` is a placeholder text."""
        return key in self.literals or any(p.fullmatch(key) for p in self.patterns)


@cache
def load_templates(path: str | None = None) -> TemplateMatcher:
    """Read a templates file (see ``corpora/templates.txt`` for the format).

    Args:
        path: the file; None for the shipped one.

    Raises:
        InputFormatError: a ``re:`` line is not a valid regular expression.
    """
    source = Path(path) if path else corpora_path("templates.txt")
    normalize = _default_normalizer()
    literals, patterns = set(), []
    for lineno, line in enumerate(source.read_text(encoding="utf-8").splitlines(), start=1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        if entry.startswith("re:"):
            try:
                patterns.append(re.compile(entry[3:].strip()))
            except re.error as err:
                raise InputFormatError(f"{source}: line {lineno}: bad regex ({err})") from None
        else:
            literals.add(template_key(normalize(entry)))
    return TemplateMatcher(frozenset(literals), tuple(patterns))


def _default_normalizer() -> Callable[[str], str]:
    from koubei.text.normalize import normalize

    return normalize


@dataclass
class _TextFacts:
    """Per distinct raw text: what annotation needs, as arrays."""

    key: np.ndarray  # uint64 hash of the normalized text
    hash_id: np.ndarray  # object: "r" + 16 hex
    status: np.ndarray  # object
    templated: np.ndarray  # bool
    long: np.ndarray  # bool: over MAX_REVIEW_CHARS characters
    skeleton_key: np.ndarray  # uint64
    has_skeleton: np.ndarray  # bool


class ReviewAnnotator:
    """Assign ids, status and flags to chunks of one file, in file order.

    Args:
        templates: placeholder texts; the shipped ``corpora/templates.txt`` by default.
        min_skeleton: shortest skeleton (letters) that counts for ``duplicate``
            and ``near_duplicate``.
        normalizer: text normalization; :func:`koubei.text.normalize.normalize`
            by default.
    """

    def __init__(
        self,
        *,
        templates: TemplateMatcher | None = None,
        min_skeleton: int = 8,
        normalizer: Callable[[str], str] | None = None,
    ) -> None:
        self.templates = templates if templates is not None else load_templates()
        self.min_skeleton = min_skeleton
        self.normalizer = normalizer or _default_normalizer()
        self._text_counts = KeyCounts()
        self._id_counts = KeyCounts()
        self._skeletons = KeyCounts()

    def annotate(self, texts: pd.Series, ids: pd.Series | None = None) -> pd.DataFrame:
        """Annotate the next chunk.

        Args:
            texts: review texts as strings ("" for missing).
            ids: source ids as strings ("" for missing), or None when unmapped.

        Returns:
            A frame on the index of ``texts`` with ``review_id``, ``status`` and
            one bool column per flag in :data:`koubei.schema.ANNOTATOR_FLAGS`.
        """
        codes, uniques = pd.factorize(texts)
        facts = self._facts([str(u) for u in uniques])
        ok = facts.status[codes] == "ok"
        text_occ = _occurrences(facts.key[codes], self._text_counts)
        duplicate = ok & (text_occ > 0) & facts.has_skeleton[codes]
        near = self._near(facts, codes, ok) & ~duplicate
        hash_ids = facts.hash_id[codes]
        if ids is None:
            review_id = _with_suffix(hash_ids, text_occ)
            dup_id = np.zeros(len(codes), dtype=bool)
        else:
            review_id, dup_id = self._given_ids(ids.to_numpy(dtype=object), hash_ids)
        return pd.DataFrame(
            {
                "review_id": review_id,
                "status": facts.status[codes],
                "duplicate": duplicate,
                "duplicate_id": dup_id,
                "near_duplicate": near,
                "templated": facts.templated[codes] & ok,
                "truncated": facts.long[codes] & ok,
            },
            index=texts.index,
        )

    def _facts(self, uniques: list[str]) -> _TextFacts:
        n = len(uniques)
        facts = _TextFacts(
            key=np.zeros(n, dtype=np.uint64),
            hash_id=np.empty(n, dtype=object),
            status=np.empty(n, dtype=object),
            templated=np.zeros(n, dtype=bool),
            long=np.array([len(u) > MAX_REVIEW_CHARS for u in uniques], dtype=bool),
            skeleton_key=np.zeros(n, dtype=np.uint64),
            has_skeleton=np.zeros(n, dtype=bool),
        )
        for i, raw in enumerate(uniques):
            norm = self.normalizer(raw) if raw.strip() else ""
            digest = hashlib.sha1(norm.encode("utf-8")).digest()[:8]
            facts.key[i] = int.from_bytes(digest, "big")
            facts.hash_id[i] = "r" + digest.hex()
            facts.status[i] = _status(raw, norm)
            if facts.status[i] == "ok":
                facts.templated[i] = self.templates.matches(template_key(norm))
                skel = skeleton(norm)
                if len(skel) >= self.min_skeleton:
                    facts.skeleton_key[i] = hash8(skel)
                    facts.has_skeleton[i] = True
        return facts

    def _near(self, facts: _TextFacts, codes: np.ndarray, ok: np.ndarray) -> np.ndarray:
        usable = ok & facts.has_skeleton[codes]
        near = np.zeros(len(codes), dtype=bool)
        if usable.any():
            near[usable] = _seen_before(facts.skeleton_key[codes][usable], self._skeletons)
        return near

    def _given_ids(self, given: np.ndarray, hash_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cleaned = np.array([str(g).strip() for g in given], dtype=object)
        has = cleaned != ""
        base = np.where(has, cleaned, hash_ids)
        codes, uniques = pd.factorize(base)
        keys = np.array([hash8(str(u)) for u in uniques], dtype=np.uint64)[codes]
        occ = _occurrences(keys, self._id_counts)
        return _with_suffix(base, occ), has & (occ > 0)


def _status(raw: str, norm: str) -> str:
    if not raw.strip():
        return "empty"
    return "ok" if _LETTER_RE.search(norm) else "non_text"


class KeyCounts:
    """How often each 8-byte key was seen: sorted ``uint64`` keys beside ``int64`` counts.

    A file of N distinct texts costs 16 N bytes here (80 MB for 5 M), where a
    Python ``dict`` of ints costs about 100 N; the annotator keeps three of
    these for a whole file, so on a dump of distinct texts that decides
    whether streaming stays within its memory bound.
    """

    def __init__(self) -> None:
        self.keys = np.zeros(0, dtype=np.uint64)
        self.counts = np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.keys)

    def add(self, keys: np.ndarray, sizes: np.ndarray) -> np.ndarray:
        """Count ``sizes[i]`` more of each distinct ``keys[i]``; return the counts before."""
        keys = np.asarray(keys, dtype=np.uint64)
        pos = np.searchsorted(self.keys, keys)
        found = pos < len(self.keys)
        found[found] = self.keys[pos[found]] == keys[found]
        prior = np.zeros(len(keys), dtype=np.int64)
        prior[found] = self.counts[pos[found]]
        self.counts[pos[found]] += sizes[found]
        new = np.flatnonzero(~found)
        if len(new):
            new = new[np.argsort(keys[new], kind="stable")]
            self.keys = np.insert(self.keys, pos[new], keys[new])
            self.counts = np.insert(self.counts, pos[new], np.asarray(sizes, dtype=np.int64)[new])
        return prior


def _occurrences(keys: np.ndarray, counts: KeyCounts) -> np.ndarray:
    """0-based occurrence number of each key, counting earlier chunks via ``counts``."""
    codes, uniques = pd.factorize(keys)
    within = pd.Series(codes).groupby(codes).cumcount().to_numpy()
    prior = counts.add(uniques, np.bincount(codes, minlength=len(uniques)))
    return prior[codes] + within


def _seen_before(keys: np.ndarray, seen: KeyCounts) -> np.ndarray:
    """Whether each key appeared in an earlier chunk or earlier in this one."""
    codes, uniques = pd.factorize(keys)
    prior = seen.add(uniques, np.bincount(codes, minlength=len(uniques))) > 0
    return prior[codes] | pd.Series(codes).duplicated().to_numpy()


def _with_suffix(base: np.ndarray, occurrence: np.ndarray) -> np.ndarray:
    """``base`` for first occurrences, ``base-2``, ``base-3``... after."""
    out = base.astype(object).copy()
    for i in np.flatnonzero(occurrence):
        out[i] = f"{out[i]}-{occurrence[i] + 1}"
    return out
