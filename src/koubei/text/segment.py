"""jieba segmentation with the shipped domain dictionary and stopwords.

One ``Segmenter`` per process holds its own ``jieba.Tokenizer`` (so the
global jieba state of the host program is left alone), loaded lazily with
``corpora/dict/user_dict.txt``. Results for repeated texts are cached.

Engines: ``jieba`` (plain jieba) or ``rjieba`` (jieba's algorithm in Rust,
about 15x faster). jieba first splits a text into blocks of Chinese
characters, letters, digits and ``+#&._%-`` and segments each block on its
own; the engines only disagree on blocks holding letters or digits (``1.5``,
``o_o``). So ``rjieba`` segments the blocks of Chinese characters only and
hands the letters and digits of every other block to jieba: token lists
identical to plain jieba's on 99.97 % of the test corpora's reviews
(``scripts/bench_segmenters.py``). A block that mixes the two (等了30分钟才到)
is cut as jieba cuts it without running jieba over its Chinese: see
:meth:`Segmenter._cut_mixed`.
``auto`` (the default) is ``rjieba`` when it is installed, else ``jieba``;
the environment variable ``KOUBEI_SEGMENTER`` overrides it.

jieba's prefix dictionary is cached in koubei's per-user cache folder
(``$XDG_CACHE_HOME/koubei`` or ``~/.cache/koubei``, made ``0o700``), never in
jieba's default ``/tmp/jieba.cache``: jieba reads that file with
``marshal.load``, and any local user can plant one in a shared temporary
folder. When the folder cannot be made private, no cache is used (jieba
builds the dictionary in memory, about a second).
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from koubei.resources import corpora_path


def user_dict_path() -> Path:
    """The shipped jieba user dictionary."""
    return corpora_path("dict", "user_dict.txt")


def stopwords_path() -> Path:
    """The shipped stopword list."""
    return corpora_path("dict", "stopwords.txt")


@cache
def load_stopwords(path: str | None = None) -> frozenset[str]:
    """Stopwords, one per line; blank lines and ``#`` comments ignored."""
    p = Path(path) if path else stopwords_path()
    if not p.exists():
        return frozenset()
    words = (ln.strip() for ln in p.read_text(encoding="utf-8").splitlines())
    return frozenset(w for w in words if w and not w.startswith("#"))


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file ("" when it does not exist)."""
    if not path.exists():
        return ""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cache_dir() -> Path | None:
    """koubei's per-user cache folder, created ``0o700``; ``None`` when it is not private.

    ``$XDG_CACHE_HOME/koubei`` (an absolute ``XDG_CACHE_HOME``), else
    ``~/.cache/koubei``. Private means a real folder (not a link) owned by this
    user that no one else can write to; a folder others could write to is not
    trusted, whatever it holds.
    """
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    folder = root / "koubei"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = folder.lstat()
    except (OSError, RuntimeError):  # RuntimeError: no home directory to expand
        return None
    getuid = getattr(os, "getuid", None)
    if not stat.S_ISDIR(st.st_mode) or (getuid is not None and st.st_uid != getuid()) \
            or st.st_mode & 0o022:
        return None
    return folder


def _jieba_tokenizer() -> Any:
    """A fresh ``jieba.Tokenizer`` with its main dictionary loaded from koubei's private cache (or none)."""
    import jieba

    tok = jieba.Tokenizer()
    folder = cache_dir()
    if folder is None:
        tok.FREQ, tok.total = tok.gen_pfdict(tok.get_dict_file())  # what initialize() does, uncached
        tok.initialized = True
    else:
        tok.tmp_dir = str(folder)
        tok.cache_file = f"jieba-{jieba.__version__}.cache"  # a new jieba's dictionary gets its own
        tok.initialize()
    return tok


ENGINES = ("auto", "jieba", "rjieba")
#: jieba's own block rule (``jieba.re_han_default``) and its Chinese-only blocks
_BLOCK = re.compile("([\u4E00-\u9FD5a-zA-Z0-9+#&\\._%\\-]+)")
_HAN_ONLY = re.compile("[\u4E00-\u9FD5]+")
#: a block character that is not a Chinese one: such blocks go to jieba
_NOT_HAN = re.compile("[a-zA-Z0-9+#&._%\\-]")
#: a word of such characters alone (c++, at&t)
_NOT_HAN_ONLY = re.compile(f"{_NOT_HAN.pattern}+")
#: CJK characters outside jieba's block range (extension A, compatibility ideographs, the
#: supplementary planes...), which a jieba-rs version may count as block characters
_OTHER_CJK = re.compile("[\u2E80-\u2FFF\u3040-\u4DFF\u9FD6-\uFAFF\U00020000-\U0003FFFF]")
_SPACE = re.compile(r"\s")
#: the runs of Chinese characters in a block, kept by ``split``
_HAN_RUN = re.compile(f"({_HAN_ONLY.pattern})")
#: stand-ins that end a run where its block went on (see :meth:`Segmenter._cut_mixed`): a
#: digit after or before Chinese, a Chinese character after or before letters and digits
_DIGIT, _HAN = "0", "中"


class _Seams(NamedTuple):
    """What :meth:`Segmenter._cut_mixed` checks before it cuts a block's runs apart, read off
    jieba's dictionary (:meth:`Segmenter._seam_rules`)."""

    #: pairs of neighbouring characters, one Chinese and one not, inside its words (超 of B超)
    pairs: frozenset[str]
    #: its words of two or more letters, digits and ``+#&._%-`` alone (c++, c#, at&t)
    alnum_words: re.Pattern[str] | None
    #: Chinese said thrice in a row where it and its double are words (忙忙忙, 好多好多好多):
    #: jieba's paths through it (忙 忙忙, 忙忙 忙) tie, and which one wins turns on rounding in
    #: the sums of what follows; the unit is at most as long as the longest such word's
    thrice: re.Pattern[str]


def _joinable(pairs: frozenset[str], left: str, right: str) -> bool:
    """Whether a dictionary word may hold ``left`` then ``right`` (one Chinese, one not), or
    either beside the stand-in of the other's kind that replaces it in a cut run."""
    def stand(c: str) -> str:
        return _HAN if _HAN_ONLY.match(c) else _DIGIT

    return left + right in pairs or left + stand(right) in pairs or stand(left) + right in pairs


def resolve_engine(engine: str = "auto") -> str:
    """``auto`` → ``rjieba`` when importable (or ``KOUBEI_SEGMENTER``), else ``jieba``."""
    choice = os.environ.get("KOUBEI_SEGMENTER", "") if engine == "auto" else engine
    if choice not in ("jieba", "rjieba"):
        try:
            import rjieba  # noqa: F401
        except ImportError:
            return "jieba"
        return "rjieba"
    return choice


class Segmenter:
    """Word segmenter over normalized text.

    Args:
        user_dict: jieba user dictionary file; ``None`` means the shipped one.
        hmm: let jieba's HMM guess out-of-vocabulary words.
        cache_size: how many distinct texts to memoize (least recently used
            go first). The default 20,000 still keeps every text of a dump
            whose repeats are of a few thousand distinct reviews; 200,000 let
            the scoring workers grow by hundreds of MB on distinct text
            (``scripts/bench_score.py --memory-series ... --unique``, docs/benchmarks.md).
        engine: ``auto``, ``jieba`` or ``rjieba`` (see the module docstring).
    """

    def __init__(self, *, user_dict: str | None = None, hmm: bool = True,
                 cache_size: int = 20_000, engine: str = "auto") -> None:
        self.user_dict = user_dict
        self.hmm = hmm
        self.cache_size = cache_size
        self.engine = engine
        self._tok = None
        self._fast: Any = None
        self._engine: str | None = None
        self._cut = lru_cache(maxsize=cache_size)(self._cut_uncached)
        # blocks with letters or digits (1.5, 30, iphone12) repeat across reviews: jieba once each
        self._jieba_block = lru_cache(maxsize=50_000)(self._jieba_block_uncached)
        self._jieba_run = lru_cache(maxsize=50_000)(self._jieba_run_uncached)
        self._seams: _Seams | None = None

    def _tokenizer(self):  # type: ignore[no-untyped-def]
        if self._tok is None:
            import logging

            import jieba

            jieba.setLogLevel(logging.WARNING)
            tok = _jieba_tokenizer()
            path = self._dict_path()
            if path.exists():
                tok.load_userdict(str(path))
            self._tok = tok
        return self._tok

    def _dict_path(self) -> Path:
        return Path(self.user_dict) if self.user_dict else user_dict_path()

    def _rust(self) -> Any:
        if self._fast is None:
            import rjieba

            fast = rjieba.Jieba()
            path = self._dict_path()
            if path.exists():
                for line in path.read_text(encoding="utf-8").splitlines():
                    parts = line.split()
                    if parts and not parts[0].startswith("#"):
                        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
                        fast.add_word(parts[0], freq, None)
            self._fast = fast
        return self._fast

    def _resolved_engine(self) -> str:
        """The engine :meth:`cut` uses, resolved once, on first use (not per text)."""
        if self._engine is None:
            self._engine = resolve_engine(self.engine)
        return self._engine

    def _cut_uncached(self, text: str) -> tuple[str, ...]:
        if self._resolved_engine() == "jieba":
            words = self._tokenizer().lcut(text, HMM=self.hmm)
        else:
            words = self._cut_blocks(text)
        if not _SPACE.search(text):  # no whitespace, so no whitespace token to drop
            return tuple(words)
        return tuple(w for w in words if not w.isspace())

    def _cut_blocks(self, text: str) -> list[str]:
        """jieba's blocks holding letters or digits to jieba, the text between them to rjieba.

        rjieba cuts a Chinese-only block as jieba does, and text outside blocks
        (punctuation, spaces) into single characters and whitespace as jieba
        does; so each stretch between two blocks with letters or digits is cut
        in one rjieba call (the whole text, for half the reviews). A text with a
        CJK character outside jieba's block range, which a jieba-rs version may
        join to a block, is cut block by block instead.
        """
        fast, out = self._rust(), []
        if _OTHER_CJK.search(text):
            for block in _BLOCK.split(text):
                if _HAN_ONLY.fullmatch(block):
                    out.extend(fast.cut(block, self.hmm))
                elif block:
                    out.extend(self._jieba_block(block))
            return out
        parts = _BLOCK.split(text)  # text between blocks at even indices, blocks at odd ones
        if _NOT_HAN.search(text):
            mixed = self._cut_mixed(parts)
            if mixed is not None:
                return mixed
        run = 0  # where the current stretch for rjieba starts in ``parts``
        for i in range(1, len(parts), 2):
            if _NOT_HAN.search(parts[i]):
                if stretch := "".join(parts[run:i]):
                    out.extend(fast.cut(stretch, self.hmm))
                out.extend(self._jieba_block(parts[i]))
                run = i + 1
        if stretch := "".join(parts[run:]):
            out.extend(fast.cut(stretch, self.hmm))
        return out

    def _cut_mixed(self, parts: list[str]) -> list[str] | None:
        """The words of a text (``parts``: split at jieba's blocks) whose blocks mix Chinese with
        letters or digits, cut as jieba cuts each block, with jieba (Python, ~30x slower than
        rjieba) running over the letters and digits alone. ``None`` where that cannot be
        told apart from jieba's cut: the caller cuts the text's blocks as they are.

        In a block such as 等了30分钟才到, no dictionary word joins a Chinese character to a
        letter or digit (checked: :meth:`_seam_rules`), so jieba's best path through the
        block passes every point where the two meet, and each run of the block is cut as
        jieba cuts it inside the block, but for one thing: jieba hands the single characters
        left between two words to its HMM, and such a leftover run may reach across the
        point (了30: jieba's HMM joins 非要 in 干嘛非要10字, where 非要 cut alone comes out as
        非 要). So each run is cut with a stand-in on every side where its block went on: a
        digit beside a Chinese run (rjieba, in the stretch of text it is cut with), a Chinese
        character beside letters and digits (jieba); the stand-in comes out as a word of its
        own, which is dropped. Cut whole instead: a block whose letters and digits beside
        Chinese hold a dictionary word of their own (c++, at&t: the leftover run then ends at
        the point, as a word of its own would, and 非要c++ keeps 非 要), and a block with
        Chinese said thrice in a row (:attr:`_Seams.thrice`).

        Two paths through a run that jieba scores exactly alike (a tie of word frequencies)
        may still be broken the other way, since the sums they are compared in end
        differently; no such tie occurs in the corpora: the words are those of cutting the
        blocks whole in every one of their reviews (113,620 in ``scripts/bench_segmenters.py``,
        and the 100,080 other texts the default model trains on).
        """
        fast, (pairs, alnum_words, thrice) = self._rust(), self._seam_rules()
        out: list[str] = []
        stretch: list[str] = []  # text for the next rjieba call
        lead = False  # the stretch starts with a stand-in digit

        def flush(tail: bool) -> bool:
            nonlocal stretch, lead
            text = "".join(stretch) + (_DIGIT if tail else "")
            words = fast.cut(text, self.hmm) if text else []
            if (lead and (not words or words[0] != _DIGIT)) or (tail and words[-1] != _DIGIT):
                return False
            out.extend(words[lead:len(words) - tail])
            stretch, lead = [], False
            return True

        for i in range(1, len(parts), 2):
            stretch.append(parts[i - 1])
            block = parts[i]
            if not _NOT_HAN.search(block):
                stretch.append(block)
                continue
            if thrice.search(block):
                return None
            runs = _HAN_RUN.split(block)  # letters and digits at even indices, Chinese at odd ones
            last = len(runs) - 1
            for k in range(1, last, 2):  # where runs meet, alone or beside a stand-in
                han = runs[k]
                if (runs[k - 1] and _joinable(pairs, runs[k - 1][-1], han[0])) \
                        or (runs[k + 1] and _joinable(pairs, han[-1], runs[k + 1][0])):
                    return None
            if alnum_words is not None and len(runs) > 1 \
                    and any(alnum_words.search(r) for r in runs[::2] if r):
                return None
            for k, part in enumerate(runs):
                if k % 2:  # Chinese: to rjieba, with the text around it
                    if runs[k - 1]:
                        stretch.append(_DIGIT)
                        lead = True
                    stretch.append(part)
                elif part:
                    if not flush(tail=k > 0):
                        return None
                    words = self._jieba_run(part, k > 0, k < last)
                    if words is None:
                        return None
                    out.extend(words)
        stretch.append(parts[-1])
        return out if flush(tail=False) else None

    def _jieba_run_uncached(self, run: str, before: bool, after: bool) -> tuple[str, ...] | None:
        """jieba's words of a run of letters and digits that had Chinese ``before`` and/or
        ``after`` it in its block (a stand-in character there, dropped); ``None`` where the
        stand-in did not come out alone."""
        words = self._tokenizer().lcut(_HAN * before + run + _HAN * after, HMM=self.hmm)
        if (before and words[0] != _HAN) or (after and words[-1] != _HAN):
            return None
        return tuple(words[before:len(words) - after])

    def _seam_rules(self) -> _Seams:
        """:class:`_Seams` of jieba's dictionary, the user dictionary's words included (67 words
        mixing Chinese with letters or digits give 63 pairs; the doubled words' units are up to
        3 characters long: 一点儿一点儿)."""
        if self._seams is None:
            freq = self._tokenizer().FREQ
            pairs: set[str] = set()
            alnum: list[str] = []
            unit = 1
            for word, n in freq.items():
                if not n:
                    continue
                if not _HAN_ONLY.search(word):
                    if len(word) > 1 and _NOT_HAN_ONLY.fullmatch(word):
                        alnum.append(word)
                elif _NOT_HAN.search(word):
                    pairs.update(a + b for a, b in zip(word, word[1:])
                                 if bool(_HAN_ONLY.match(a)) != bool(_HAN_ONLY.match(b)))
                elif len(word) % 2 == 0 and len(word) > 2 * unit:
                    half = word[:len(word) // 2]
                    if half == word[len(word) // 2:] and freq.get(half):
                        unit = len(half)
            longest_first = sorted(alnum, key=len, reverse=True)
            self._seams = _Seams(
                pairs=frozenset(pairs),
                alnum_words=re.compile("|".join(map(re.escape, longest_first))) if alnum else None,
                thrice=re.compile(f"([\u4E00-\u9FD5]{{1,{unit}}})\\1\\1"))
        return self._seams

    def _jieba_block_uncached(self, block: str) -> tuple[str, ...]:
        return tuple(self._tokenizer().lcut(block, HMM=self.hmm))

    def warm(self) -> None:
        """Load the dictionaries of the engine(s) that :meth:`cut` will use (jieba's always: it
        cuts the blocks with letters or digits), which :meth:`cut` would otherwise load on first use.

        A scoring worker calls it as it starts, so that the load (about 0.7 s of CPU) overlaps the
        parent's reading of the first chunk instead of delaying the first batch.
        """
        self._tokenizer()
        if self._resolved_engine() == "rjieba":
            self._rust()
            self._seam_rules()

    def cut(self, text: str) -> list[str]:
        """Words of one normalized text, whitespace tokens dropped."""
        return list(self._cut(text))

    def __getstate__(self) -> dict:  # picklable for worker processes
        return {"user_dict": self.user_dict, "hmm": self.hmm, "cache_size": self.cache_size,
                "engine": self.engine}

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)  # type: ignore[misc]


@cache
def default_segmenter() -> Segmenter:
    """The process-wide segmenter with the shipped dictionary."""
    return Segmenter()


def segment(text: str) -> list[str]:
    """Words of one normalized text with the shipped dictionary."""
    return default_segmenter().cut(text)
