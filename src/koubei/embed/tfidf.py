"""TF-IDF backend: word n-grams (jieba, negation-marked) plus character n-grams.

Character n-grams catch what segmentation splits badly (``齁咸``, ``没味``);
word n-grams with ``NOT_`` marks carry negation scope. The fitted state is
plain data (vocabulary lists and idf arrays) so a bundle loads without pickle.

``fit`` uses scikit-learn's vectorizers; ``transform`` counts the n-grams of
each distinct text once, for a whole batch with array operations
(:mod:`koubei.embed.ngram_counts`), and hands the count matrix to the same
fitted ``TfidfTransformer``: the matrix is the one
``TfidfVectorizer.transform`` gives, value for value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from koubei.embed.ngram_counts import CharCounter, WordCounter, per_distinct, word_grams


def _split(s: str) -> list[str]:
    return s.split(" ")


class TfidfEmbedder(TransformerMixin, BaseEstimator):
    """Sparse TF-IDF features over normalized text and its words.

    Args:
        char_ngrams: (min, max) character n-gram lengths.
        word_ngrams: (min, max) word n-gram lengths.
        min_df: minimum document frequency of a feature.
        max_features: cap per analyzer (most frequent kept).
    """

    def __init__(self, *, char_ngrams: tuple[int, int] = (1, 3),
                 word_ngrams: tuple[int, int] = (1, 2), min_df: int = 2,
                 max_features: int | None = 150_000) -> None:
        self.char_ngrams = char_ngrams
        self.word_ngrams = word_ngrams
        self.min_df = min_df
        self.max_features = max_features

    def _vectorizers(self) -> tuple[TfidfVectorizer, TfidfVectorizer]:
        char = TfidfVectorizer(analyzer="char", ngram_range=tuple(self.char_ngrams),
                               sublinear_tf=True, min_df=self.min_df,
                               max_features=self.max_features, lowercase=False,
                               dtype=np.float32)
        word = TfidfVectorizer(analyzer=_split, ngram_range=(1, 1), sublinear_tf=True,
                               min_df=self.min_df, max_features=self.max_features,
                               lowercase=False, dtype=np.float32)
        return char, word

    def _word_docs(self, docs: Sequence[Any]) -> list[str]:
        """Each doc's word n-grams as one space-separated string (what ``word_`` was fitted on)."""
        lo, hi = self.word_ngrams
        return [" ".join(word_grams(d.words, lo, hi)) for d in docs]

    def fit(self, docs: Sequence[Any], y: Any = None) -> TfidfEmbedder:
        char, word = self._vectorizers()
        char.fit([d.norm for d in docs])
        word.fit(self._word_docs(docs))
        self.char_ = char
        self.word_ = word
        self.n_features_out_ = len(char.vocabulary_) + len(word.vocabulary_)
        return self

    def transform(self, docs: Sequence[Any]) -> sparse.csr_matrix:
        check_is_fitted(self, "char_")
        a = per_distinct([d.norm for d in docs], self._char_rows)
        b = per_distinct([tuple(d.words) for d in docs], self._word_rows)
        return sparse.hstack([a, b], format="csr", dtype=np.float32)

    def _char_rows(self, texts: list[str]) -> Any:
        counter = self._counters()[0]
        if counter is None:
            return self.char_.transform(texts)
        return self.char_._tfidf.transform(counter.counts(texts), copy=False)

    def _word_rows(self, words: list[tuple[str, ...]]) -> Any:
        counter = self._counters()[1]
        if counter is None:
            lo, hi = self.word_ngrams
            return self.word_.transform([" ".join(word_grams(w, lo, hi)) for w in words])
        return self.word_._tfidf.transform(counter.counts(words), copy=False)

    def _counters(self) -> tuple[CharCounter | None, WordCounter | None]:
        """The fast counters of the fitted vocabularies (None: n-grams they do not code)."""
        cached = self.__dict__.get("_counters_of")
        if cached is None or cached[0] is not self.char_ or cached[1] is not self.word_:
            (clo, chi), (wlo, whi) = self.char_ngrams, self.word_ngrams
            char = (CharCounter(self.char_.vocabulary_, clo, chi)
                    if 1 <= clo <= chi <= CharCounter.MAX_N else None)
            word = (WordCounter(self.word_.vocabulary_, wlo, whi)
                    if 1 <= wlo <= whi <= WordCounter.MAX_N else None)
            cached = (self.char_, self.word_, char, word)
            self.__dict__["_counters_of"] = cached
        return cached[2], cached[3]

    def embed(self, docs: Sequence[Any]) -> sparse.csr_matrix:
        return self.transform(docs)

    # -- persistence as plain data -------------------------------------------------
    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """JSON-able config+vocabularies and arrays (idf) that rebuild this embedder."""
        check_is_fitted(self, "char_")
        meta = {"params": self.get_params(),
                "char_vocab": _vocab_list(self.char_), "word_vocab": _vocab_list(self.word_)}
        arrays = {"char_idf": self.char_.idf_.astype(np.float32),
                  "word_idf": self.word_.idf_.astype(np.float32)}
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> TfidfEmbedder:
        params = dict(meta["params"])
        for k in ("char_ngrams", "word_ngrams"):
            params[k] = tuple(params[k])
        self = cls(**params)
        char, word = self._vectorizers()
        for vec, vocab, idf in ((char, meta["char_vocab"], arrays["char_idf"]),
                                (word, meta["word_vocab"], arrays["word_idf"])):
            vec.vocabulary_ = {t: i for i, t in enumerate(vocab)}
            vec.idf_ = idf.astype(np.float64)
        self.char_, self.word_ = char, word
        self.n_features_out_ = len(meta["char_vocab"]) + len(meta["word_vocab"])
        self._counters()  # now, so that forked worker processes share them
        return self


def _vocab_list(vec: TfidfVectorizer) -> list[str]:
    vocab = [""] * len(vec.vocabulary_)
    for t, i in vec.vocabulary_.items():
        vocab[i] = t
    return vocab
