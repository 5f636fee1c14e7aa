"""What a fitted model thinks of each review, as numbers: topic logits, P(pos), polarity margins.

The same computation as :func:`koubei.model.predict.predict_docs`, stopping
before the labels, for threshold tuning (``fit``) and uncertainty (``suggest``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from koubei.classify.features import Doc
from koubei.classify.linear import sigmoid
from koubei.classify.topics import max_by_owner
from koubei.model.predict import Components, clause_index, pair_matrix, refine_topics, topic_contexts


@dataclass
class Scores:
    """Per-review numbers of a model.

    Attributes:
        topic_logit: reviews × topics, logit of the (stacked) topic probability.
        p_pos: P(pos) of the overall sentiment.
        polarity_margin: for each review, detected topic → top-1 minus top-2
            polarity probability (small = the model hesitates between two).
    """

    topic_logit: np.ndarray
    p_pos: np.ndarray
    polarity_margin: list[dict[int, float]]

    @property
    def topic_p(self) -> np.ndarray:
        return sigmoid(self.topic_logit)


def clause_max_logits(c: Components, docs: list[Doc]) -> np.ndarray:
    """Each review's best first-stage clause logit per topic (reviews × topics)."""
    clauses, owner = clause_index(docs)
    Xc = c.embedder.transform(clauses)
    Zc = c.topics.decision_base(c.topic_matrix(Xc, [d.norm for d in clauses]))
    return max_by_owner(Zc, owner, len(docs))


def topic_logits(c: Components, docs: list[Doc], clause_max: np.ndarray | None = None,
                 X: sparse.csr_matrix | None = None) -> np.ndarray:
    """Final-stage topic logits (reviews × topics), as ``detect_topics`` thresholds them.

    ``clause_max`` (:func:`clause_max_logits` of ``docs``) and ``X`` (their embedding):
    pass them when the caller has them, so nothing is embedded twice.
    """
    if X is None:
        X = c.embedder.transform(docs)
    if clause_max is None:
        clause_max = clause_max_logits(c, docs)
    P = c.topics.predict_proba(c.topic_matrix(X, [d.norm for d in docs]), clause_max)
    P = np.clip(P, 1e-12, 1 - 1e-12)
    return np.log(P / (1 - P))


def model_scores(c: Components, docs: list[Doc]) -> Scores:
    """Topic logits, P(pos) and polarity margins of the detected topics."""
    if not docs:
        return Scores(np.zeros((0, len(c.taxonomy.topics))), np.zeros(0), [])
    X = c.embedder.transform(docs)
    clauses, owner = clause_index(docs)
    clause_texts = [d.norm for d in clauses]
    Xc = c.embedder.transform(clauses)
    Zc = c.topics.decision_base(c.topic_matrix(Xc, clause_texts))
    M = max_by_owner(Zc, owner, len(docs))
    Z = topic_logits(c, docs, M, X)
    Pc = sigmoid(Zc)  # predict_proba_base of the clauses
    z_rev = c.sentiment.pooled_decision(X)
    p_pos = sigmoid(c.sentiment.decision_function(X, pooled=z_rev))
    topic_sets = [[int(j) for j in np.flatnonzero(row)] for row in sigmoid(Z) >= c.topics.thresholds_]
    topic_sets = refine_topics(c, topic_sets, [d.norm for d in docs], M)  # as detect_topics does
    ctx = topic_contexts(c, docs, topic_sets, Xc, Pc, owner, clause_texts)
    F = pair_matrix(c, X, Xc, ctx, topic_sets, z_rev)
    margins: list[dict[int, float]] = [{} for _ in docs]
    if F.shape[0]:
        probs = np.sort(c.polarity.predict_proba(F), axis=1)
        gaps = probs[:, -1] - probs[:, -2]
        k = 0
        for i, tset in enumerate(topic_sets):
            for j in tset:
                margins[i][int(j)] = float(gaps[k])
                k += 1
    return Scores(Z, p_pos, margins)
