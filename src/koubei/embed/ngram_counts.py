"""N-gram count matrices for :class:`koubei.embed.tfidf.TfidfEmbedder`, built with array operations.

scikit-learn's ``CountVectorizer.transform`` runs its analyzer on each text
and counts each n-gram with a dict, in Python. The counters here give the
same count matrix (same features, same counts, sorted indices, float32) for
a whole batch at once:

- character n-grams (lengths up to 3) are coded as one integer each, 21 bits
  per character (code point + 1), and found in the vocabulary with
  ``numpy.searchsorted``;
- word n-grams (lengths up to 2) become word ids (one dict lookup per word)
  and pairs of ids, found the same way; every way of cutting a vocabulary
  term ``a_b`` at an underscore is registered, so a bigram of words that
  themselves hold ``_`` (``o_o``) finds its term as ``"_".join`` would.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import chain, repeat
from typing import Any

import numpy as np
from scipy import sparse

#: scikit-learn's white-space squeeze before character n-grams (``_white_spaces``)
_WHITE_SPACES = re.compile(r"\s\s+")
_BITS = 21  # enough for any code point + 1


def word_grams(words: Sequence[str], lo: int, hi: int) -> list[str]:
    """Word n-grams ``lo``..``hi`` of the non-blank words, joined by ``_`` (spaces inside words too)."""
    w = list(filter(str.strip, words))
    if " " in "".join(w):
        w = [t.replace(" ", "_") for t in w]
    grams = w if lo <= 1 else []
    for n in range(max(lo, 2), hi + 1):
        grams.extend(map("_".join, zip(*(w[k:] for k in range(n)))))
    return grams


def count_matrix(row: np.ndarray, col: np.ndarray, n_rows: int, n_features: int) -> sparse.csr_array:
    """CSR counts of the (row, col) pairs: sorted indices, float32, as ``_count_vocab`` builds it."""
    keys, counts = np.unique(row * n_features + col, return_counts=True)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys // n_features, minlength=n_rows), out=indptr[1:])
    index_dtype = np.int32 if len(keys) <= np.iinfo(np.int32).max else np.int64
    return sparse.csr_array((counts.astype(np.float32), (keys % n_features).astype(index_dtype),
                             indptr.astype(index_dtype)), shape=(n_rows, n_features))


def per_distinct(keys: list[Any], matrix: Callable[[list[Any]], Any]) -> Any:
    """``matrix(distinct keys)`` with its rows repeated back to one row per key, in order."""
    first: dict[Any, int] = {}
    inverse = [first.setdefault(k, len(first)) for k in keys]
    out = matrix(list(first))
    return out if len(first) == len(keys) else out[inverse]


class CodeIndex:
    """Positive int64 codes → feature ids, an open-addressing hash table probed with array operations.

    ``numpy.searchsorted`` on a sorted array of 10^5 codes costs ~17 cache misses a
    query; this table costs one or two.
    """

    _MULT = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing

    def __init__(self, codes: np.ndarray, features: np.ndarray) -> None:
        codes = np.asarray(codes, dtype=np.int64)
        if len(codes) and codes.min() <= 0:
            raise ValueError("codes must be positive (0 marks an empty slot)")
        self.bits = max(4, int(2 * max(len(codes), 1) - 1).bit_length())  # load factor <= 1/2
        self.mask = (1 << self.bits) - 1
        self.keys = np.zeros(1 << self.bits, dtype=np.int64)
        self.values = np.full(1 << self.bits, -1, dtype=np.int64)
        todo = np.arange(len(codes))
        slot = self._slots(codes)
        while len(todo):
            free = self.keys[slot[todo]] == 0
            cand = todo[free]
            slots, first = np.unique(slot[cand], return_index=True)
            won = cand[first]
            self.keys[slots] = codes[won]
            self.values[slots] = features[won]
            todo = todo[~np.isin(todo, won)]
            slot[todo] = (slot[todo] + 1) & self.mask

    def _slots(self, codes: np.ndarray) -> np.ndarray:
        h = codes.astype(np.uint64) * self._MULT
        return (h >> np.uint64(64 - self.bits)).astype(np.int64)

    def find(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which ``codes`` are known (mask), and the features of the known ones, in order."""
        codes = np.asarray(codes, dtype=np.int64)
        out = np.full(len(codes), -1, dtype=np.int64)
        todo = np.arange(len(codes))
        slot = self._slots(codes)
        while len(todo):
            at = slot[todo]
            keys = self.keys[at]
            hit = keys == codes[todo]
            out[todo[hit]] = self.values[at[hit]]
            todo = todo[~hit & (keys != 0)]  # an empty slot: not in the table
            slot[todo] = (slot[todo] + 1) & self.mask
        known = out >= 0
        return known, out[known]


class CharCounter:
    """Counts of character n-grams ``lo``..``hi`` (``hi`` <= :attr:`MAX_N`) over a vocabulary."""

    MAX_N = 3

    def __init__(self, vocabulary: dict[str, int], lo: int, hi: int) -> None:
        if not 1 <= lo <= hi <= self.MAX_N:
            raise ValueError(f"character n-grams {lo}..{hi}: CharCounter codes lengths 1..3")
        self.lo, self.hi, self.n_features = lo, hi, len(vocabulary)
        terms = list(vocabulary)
        lengths = np.fromiter(map(len, terms), dtype=np.int64, count=len(terms))
        if len(terms) and not ((lengths >= 1) & (lengths <= self.MAX_N)).all():
            raise ValueError("a character vocabulary term is empty or longer than 3")
        chars = _code_points(terms)
        starts = np.cumsum(lengths) - lengths
        shift = (np.arange(len(chars)) - np.repeat(starts, lengths)) * _BITS
        codes = (np.bitwise_or.reduceat(chars << shift, starts)
                 if len(terms) else np.zeros(0, dtype=np.int64))
        self.index = CodeIndex(codes, np.fromiter(vocabulary.values(), dtype=np.int64,
                                                  count=len(terms)))

    def counts(self, texts: list[str]) -> sparse.csr_array:
        """The count matrix of ``texts`` (rows) over the vocabulary (columns)."""
        texts = [_WHITE_SPACES.sub(" ", t) if "  " in t or not t.isprintable() else t
                 for t in texts]
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        chars = _code_points(texts)
        doc = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        room = np.repeat(np.cumsum(lengths), lengths) - np.arange(len(chars))  # chars left in its text
        code = chars.copy()
        rows, cols = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
        for n in range(1, self.hi + 1):
            if n > 1:
                code[:len(chars) - n + 1] |= chars[n - 1:] << (_BITS * (n - 1))
            if n >= self.lo:
                ok = room >= n
                hit, feats = self.index.find(code[ok])
                rows.append(doc[ok][hit])
                cols.append(feats)
        return count_matrix(np.concatenate(rows), np.concatenate(cols), len(texts), self.n_features)


def _code_points(texts: list[str]) -> np.ndarray:
    """Code point + 1 of every character of the texts, concatenated (int64; 3 fit in 63 bits)."""
    raw = "".join(texts).encode("utf-32-le", "surrogatepass")
    return np.frombuffer(raw, dtype=np.uint32).astype(np.int64) + 1


class WordCounter:
    """Counts of word n-grams ``lo``..``hi`` over a vocabulary of ``_``-joined n-grams.

    A doc with no n-gram at all counts the empty term ``""`` (what
    ``"".split(" ")`` gives the fitted analyzer), if the vocabulary has it.
    """

    MAX_N = 2

    def __init__(self, vocabulary: dict[str, int], lo: int, hi: int) -> None:
        if not 1 <= lo <= hi <= self.MAX_N:
            raise ValueError(f"word n-grams {lo}..{hi}: WordCounter handles lengths 1..2")
        self.lo, self.hi, self.n_features = lo, hi, len(vocabulary)
        self.empty = vocabulary.get("", -1)
        ids = {t: k + 1 for k, t in enumerate(vocabulary)}  # word ids; 0: a word of no term
        lefts, rights, features = [], [], []
        for term in [t for t in vocabulary if "_" in t]:  # every cut a + "_" + b of a term
            cut = term.find("_")
            while cut >= 0:
                lefts.append(term[:cut])
                rights.append(term[cut + 1:])
                features.append(vocabulary[term])
                cut = term.find("_", cut + 1)
        fresh = [t for t in dict.fromkeys(chain(lefts, rights)) if t not in ids]
        ids.update(zip(fresh, range(len(ids) + 1, len(ids) + 1 + len(fresh))))
        self.ids = ids
        self.width = len(ids) + 1
        self.unigram = np.full(self.width, -1, dtype=np.int64)
        self.unigram[1:len(vocabulary) + 1] = np.fromiter(vocabulary.values(), dtype=np.int64,
                                                           count=len(vocabulary))
        codes = (np.fromiter(map(ids.__getitem__, lefts), dtype=np.int64, count=len(lefts))
                 * self.width
                 + np.fromiter(map(ids.__getitem__, rights), dtype=np.int64, count=len(rights)))
        self.pairs = CodeIndex(codes, np.asarray(features, dtype=np.int64))

    def counts(self, docs: Sequence[Sequence[str]]) -> sparse.csr_array:
        """The count matrix of each doc's words (rows) over the vocabulary (columns)."""
        lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
        flat = list(chain.from_iterable(docs))
        # blank words (jieba's spaces) are no words: found with C-level maps, not a filter per doc
        blank = (np.fromiter(map(str.isspace, flat), dtype=bool, count=len(flat))
                 | ~np.fromiter(map(bool, flat), dtype=bool, count=len(flat)))
        if blank.any():
            owner = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)
            lengths = lengths - np.bincount(owner[blank], minlength=len(docs))
            flat = [w for w, b in zip(flat, blank.tolist()) if not b]
        if " " in "".join(flat):
            flat = [t.replace(" ", "_") for t in flat]
        wid = np.fromiter(map(self.ids.get, flat, repeat(0, len(flat))), dtype=np.int64,
                          count=len(flat))
        doc = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)
        rows, cols = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
        if self.lo <= 1:
            feats = self.unigram[wid]
            rows.append(doc[feats >= 0])
            cols.append(feats[feats >= 0])
        if self.hi >= 2 and len(flat) > 1:
            ok = (doc[:-1] == doc[1:]) & (wid[:-1] > 0) & (wid[1:] > 0)
            hit, feats = self.pairs.find(wid[:-1][ok] * self.width + wid[1:][ok])
            rows.append(doc[:-1][ok][hit])
            cols.append(feats)
        if self.empty >= 0:
            none = np.flatnonzero(lengths < self.lo)
            rows.append(none)
            cols.append(np.full(len(none), self.empty, dtype=np.int64))
        return count_matrix(np.concatenate(rows), np.concatenate(cols), len(docs), self.n_features)
