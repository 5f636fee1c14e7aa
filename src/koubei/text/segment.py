"""jieba segmentation with the shipped domain dictionary and stopwords.

One ``Segmenter`` per process holds its own ``jieba.Tokenizer`` (so the
global jieba state of the host program is left alone), loaded lazily with
``corpora/dict/user_dict.txt``. Results for repeated texts are cached.

Engines: ``jieba`` (plain jieba) or ``rjieba`` (jieba's algorithm in Rust,
about 15x faster). jieba first splits a text into blocks of Chinese
characters, letters, digits and ``+#&._%-`` and segments each block on its
own; the engines only disagree on blocks holding letters or digits (``1.5``,
``o_o``). So ``rjieba`` segments the blocks of Chinese characters only and
hands every other block to jieba: token lists identical to plain jieba's on
99.98 % of the test corpora's reviews (``scripts/bench_segmenters.py``).
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
from typing import Any

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
#: CJK characters outside jieba's block range (extension A, compatibility ideographs, the
#: supplementary planes...), which a jieba-rs version may count as block characters
_OTHER_CJK = re.compile("[\u2E80-\u2FFF\u3040-\u4DFF\u9FD6-\uFAFF\U00020000-\U0003FFFF]")
_SPACE = re.compile(r"\s")


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
