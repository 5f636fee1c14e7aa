"""jieba segmentation with the shipped domain dictionary and stopwords.

One ``Segmenter`` per process holds its own ``jieba.Tokenizer`` (so the
global jieba state of the host program is left alone), loaded lazily with
``corpora/dict/user_dict.txt``. Results for repeated texts are cached.
"""

from __future__ import annotations

import hashlib
from functools import cache, lru_cache
from pathlib import Path

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


class Segmenter:
    """Word segmenter over normalized text.

    Args:
        user_dict: jieba user dictionary file; ``None`` means the shipped one.
        hmm: let jieba's HMM guess out-of-vocabulary words.
        cache_size: how many distinct texts to memoize.
    """

    def __init__(self, *, user_dict: str | None = None, hmm: bool = True,
                 cache_size: int = 200_000) -> None:
        self.user_dict = user_dict
        self.hmm = hmm
        self.cache_size = cache_size
        self._tok = None
        self._cut = lru_cache(maxsize=cache_size)(self._cut_uncached)

    def _tokenizer(self):  # type: ignore[no-untyped-def]
        if self._tok is None:
            import logging

            import jieba

            jieba.setLogLevel(logging.WARNING)
            tok = jieba.Tokenizer()
            path = Path(self.user_dict) if self.user_dict else user_dict_path()
            if path.exists():
                tok.load_userdict(str(path))
            self._tok = tok
        return self._tok

    def _cut_uncached(self, text: str) -> tuple[str, ...]:
        return tuple(w for w in self._tokenizer().lcut(text, HMM=self.hmm) if not w.isspace())

    def cut(self, text: str) -> list[str]:
        """Words of one normalized text, whitespace tokens dropped."""
        return list(self._cut(text))

    def __getstate__(self) -> dict:  # picklable for worker processes
        return {"user_dict": self.user_dict, "hmm": self.hmm, "cache_size": self.cache_size}

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)  # type: ignore[misc]


@cache
def default_segmenter() -> Segmenter:
    """The process-wide segmenter with the shipped dictionary."""
    return Segmenter()


def segment(text: str) -> list[str]:
    """Words of one normalized text with the shipped dictionary."""
    return default_segmenter().cut(text)
