"""TF-IDF columns with a transformer encoder's dense embedding beside them.

What a bundle trained with ``koubei train --encoder DIR`` embeds reviews and
clauses with: ``[TF-IDF | weight * encoder vector]`` as one sparse matrix, so
every head of the pipeline (topic detector, sentiment, polarity over a topic's
clauses) reads both without knowing which backend made a column. The TF-IDF
columns come first, so a model fitted on TF-IDF alone (a ``--base`` sentiment)
reads a hybrid matrix once its weights are padded with zeros
(:func:`pad_width`).

Why both rather than the encoder alone: with a few hundred labels the lexical
n-grams and the taxonomy's cue words carry most of the topic signal, and a
regression over both columns keeps them while the encoder adds what n-grams
miss (paraphrase, word order); a weak encoder costs little.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse

from koubei.embed.tfidf import TfidfEmbedder
from koubei.embed.transformer import TransformerEmbedder

HYBRID_KIND = "tfidf+transformer"


class HybridEmbedder:
    """``transform(docs)``: TF-IDF of ``docs`` then ``dense_weight`` × the encoder's vector.

    Args:
        tfidf: a fitted TF-IDF backend.
        encoder: the transformer backend (L2-normalized rows).
        dense_weight: scale of the dense block against the unit-norm TF-IDF rows.
        bundle_encoder: copy the encoder directory into the model bundle when it is saved.
    """

    def __init__(self, tfidf: TfidfEmbedder, encoder: TransformerEmbedder, *, dense_weight: float = 1.0,
                 bundle_encoder: bool = False) -> None:
        self.tfidf = tfidf
        self.encoder = encoder
        self.dense_weight = dense_weight
        self.bundle_encoder = bundle_encoder

    @property
    def n_tfidf(self) -> int:
        return int(self.tfidf.n_features_out_)

    @property
    def n_features_out_(self) -> int:
        return self.n_tfidf + self.encoder.dim

    def fit(self, docs: Sequence[Any] = (), y: Any = None) -> HybridEmbedder:
        """Nothing to learn: both parts come fitted (the TF-IDF one from its own fit)."""
        return self

    def transform(self, docs: Sequence[Any]) -> sparse.csr_matrix:
        T = self.tfidf.transform(docs)
        D = self.encoder.embed(docs) * np.float32(self.dense_weight)
        return sparse.hstack([T, sparse.csr_matrix(D)], format="csr", dtype=np.float32)

    def embed(self, docs: Sequence[Any]) -> sparse.csr_matrix:
        return self.transform(docs)

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """The TF-IDF state and a reference to the encoder (path, hashes, pooling, max_length)."""
        tf_meta, arrays = self.tfidf.to_state()
        enc_meta, _ = self.encoder.to_state(content_hash=True)
        enc_meta["bundled"] = self.bundle_encoder
        return {"kind": HYBRID_KIND, "dense_weight": self.dense_weight, "tfidf": tf_meta,
                "encoder": enc_meta}, arrays


def pad_width(model: Any, width: int, attrs: Sequence[str]) -> Any:
    """A copy of a linear model whose coefficient arrays ``attrs`` get zero columns up to ``width``.

    Zero weights on the dense columns: the copy gives the same outputs on a hybrid
    matrix as the original on its TF-IDF columns.
    """
    import copy

    out = copy.deepcopy(model)
    for a in attrs:
        W = getattr(out, a, None)
        if W is None or W.shape[1] >= width:
            continue
        setattr(out, a, np.hstack([W, np.zeros((W.shape[0], width - W.shape[1]), dtype=W.dtype)]))
    out.n_features_in_ = width
    return out
