"""Distributional word vectors learnt from unlabelled reviews (PPMI + truncated SVD).

The topic models see a few hundred labelled reviews per topic, so a word that
no labelled review used (苍蝇 when the labels only said 虫子) carries no weight.
Word vectors fitted on the ~100k unlabelled reviews of the corpora put such
words near each other; a review's vector (its TF-IDF-weighted mean word
vector) then lets the linear heads generalize across them.

The vectors are bound to a fitted :class:`~koubei.embed.tfidf.TfidfEmbedder`:
each kept word-unigram column of its matrix gets a vector, so
:meth:`DenseView.transform` reads a review's vector straight off the TF-IDF
row it already has (one sparse × dense product, no second pass over text).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.utils.extmath import randomized_svd

from koubei.embed.tfidf import TfidfEmbedder

_PUNCT = re.compile(r"^[\W_]+$")


def _tokens(words: Sequence[str]) -> list[str]:
    """Content tokens of a segmented text: negation marks stripped, punctuation and spaces dropped."""
    return [w[4:] if w.startswith("NOT_") else w for w in words if w.strip() and not _PUNCT.match(w)]


def ppmi_svd(docs: Sequence[Any], *, dim: int = 200, window: int = 5, min_count: int = 5,
             seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Word vectors from ``docs`` (objects with ``.words``).

    Co-occurrences within ``window`` words, weighted 1/distance; positive PMI
    with context-distribution smoothing (α = 0.75); the top ``dim`` singular
    vectors scaled by √σ; each vector L2-normalized.

    Returns:
        the vocabulary (words seen at least ``min_count`` times) and its
        vectors (vocabulary × dim, float32).
    """
    seqs = [_tokens(d.words) for d in docs]
    counts = Counter(w for s in seqs for w in s)
    vocab = sorted(w for w, c in counts.items() if c >= min_count)
    index = {w: i for i, w in enumerate(vocab)}
    n = len(vocab)
    if n <= dim:
        raise ValueError(f"only {n} words occur {min_count}+ times; need more than dim={dim}")
    rows, cols, vals = [], [], []
    for s in seqs:
        ids = np.fromiter((index[w] for w in s if w in index), dtype=np.int64)
        for k in range(1, window + 1):
            if len(ids) <= k:
                break
            rows.append(ids[:-k])
            cols.append(ids[k:])
            vals.append(np.full(len(ids) - k, 1.0 / k))
    M = sparse.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(n, n)).tocsr()
    M = (M + M.T).tocoo()
    total = M.sum()
    row_sum = np.asarray(M.sum(axis=1)).ravel()
    ctx = row_sum ** 0.75
    ctx /= ctx.sum()
    pmi = np.log(M.data / total / (row_sum[M.row] / total) / ctx[M.col])
    keep = pmi > 0
    P = sparse.csr_matrix((pmi[keep], (M.row[keep], M.col[keep])), shape=(n, n))
    U, S, _ = randomized_svd(P, dim, random_state=seed)
    E = U * np.sqrt(S)
    E /= np.maximum(np.linalg.norm(E, axis=1, keepdims=True), 1e-12)
    return vocab, E.astype(np.float32)


class DenseView:
    """Review vectors read off a TF-IDF matrix: the weighted mean of its words' vectors.

    Review vectors share a large common direction (the mean of unit review
    vectors has norm ~0.6), so each is centred on ``mean``, the average review
    vector of the fitting text: a review with no known word (咸淡刚好 alone)
    then reads as an average review (a zero row), not as a point far outside
    everything the heads were trained on.

    Attributes:
        columns: the TF-IDF columns (word unigrams, with or without ``NOT_``) that have a vector.
        vectors: one vector per column (len(columns) × dim).
        mean: the average unit review vector, subtracted from every non-empty row.
        scale: the weight of the block next to the TF-IDF columns.
    """

    def __init__(self, columns: np.ndarray, vectors: np.ndarray, *, mean: np.ndarray | None = None,
                 scale: float = 1.0) -> None:
        if len(columns) != len(vectors):
            raise ValueError("columns and vectors differ in length")
        self.columns = np.asarray(columns, dtype=np.int64)
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.mean = (np.zeros(self.vectors.shape[1], dtype=np.float32) if mean is None
                     else np.asarray(mean, dtype=np.float32))
        self.scale = float(scale)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    @classmethod
    def fit(cls, embedder: TfidfEmbedder, docs: Sequence[Any], *, dim: int = 200, window: int = 5,
            min_count: int = 5, scale: float = 1.0, seed: int = 0) -> DenseView:
        """Fit word vectors on ``docs`` and bind them to ``embedder``'s word columns."""
        vocab, E = ppmi_svd(docs, dim=dim, window=window, min_count=min_count, seed=seed)
        index = {w: i for i, w in enumerate(vocab)}
        offset = len(embedder.char_.vocabulary_)
        cols, rows = [], []
        for tok, j in embedder.word_.vocabulary_.items():
            i = index.get(tok[4:] if tok.startswith("NOT_") else tok)
            if i is not None:
                cols.append(offset + j)
                rows.append(i)
        order = np.argsort(cols)
        view = cls(np.asarray(cols)[order], E[np.asarray(rows, dtype=np.int64)[order]], scale=scale)
        U, empty = view._unit(embedder.transform(docs))
        view.mean = U[~empty].mean(axis=0) if (~empty).any() else view.mean
        return view

    def _unit(self, X: sparse.spmatrix) -> tuple[np.ndarray, np.ndarray]:
        """L2-normalized weighted mean vectors, and which rows had no known word."""
        D = np.asarray(sparse.csr_matrix(X)[:, self.columns] @ self.vectors, dtype=np.float32)
        norms = np.linalg.norm(D, axis=1, keepdims=True)
        return D / np.maximum(norms, 1e-12), norms[:, 0] < 1e-12

    def transform(self, X: sparse.spmatrix) -> np.ndarray:
        """Rows of ``X`` (the bound embedder's TF-IDF) → centred unit review vectors × ``scale``.

        A row with no known word comes out as zeros (the average review).
        """
        U, empty = self._unit(X)
        U -= self.mean
        U[empty] = 0.0
        return U * self.scale

    # -- persistence as plain data -------------------------------------------------
    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """JSON parameters and arrays (vectors as float16: half the size, review vectors within 2e-3)."""
        return ({"scale": self.scale, "dim": self.dim},
                {"columns": self.columns.astype(np.int32), "vectors": self.vectors.astype(np.float16),
                 "mean": self.mean})

    @classmethod
    def from_state(cls, params: dict[str, Any], arrays: dict[str, np.ndarray]) -> DenseView:
        vectors = np.asarray(arrays["vectors"], dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != int(params["dim"]):
            raise ValueError(f"word vectors have shape {vectors.shape}, expected (*, {params['dim']})")
        return cls(arrays["columns"], vectors, mean=arrays["mean"], scale=float(params["scale"]))
