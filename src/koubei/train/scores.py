"""What a fitted model thinks of each review, as numbers: topic logits, P(pos), polarity margins.

The same topic pass as :func:`koubei.model.predict.predict_docs`
(:meth:`~koubei.model.predict.Components.encode`, then ``topic_pass``), stopping
before the labels, for uncertainty (``suggest``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from koubei.classify.linear import logit, sigmoid
from koubei.model.predict import (
    Components,
    after_contrast,
    clause_spans,
    detect_topics,
    pair_matrix,
    topic_contexts,
)
from koubei.text.docs import Doc


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


def model_scores(c: Components, docs: list[Doc]) -> Scores:
    """Topic logits, P(pos) and polarity margins of the detected topics."""
    if not docs:
        return Scores(np.zeros((0, len(c.taxonomy.topics))), np.zeros(0), [])
    enc = c.encode(docs)
    # one CSR matrix, as fit's calibration reads them (see ``koubei.train.crossval.cross_validate``)
    tpass = c.topics.topic_pass(enc.features.tocsr(), enc.clause_features.tocsr(), enc.owner)
    z_rev = c.sentiment.pooled_decision(enc.X)
    p_pos = sigmoid(c.sentiment.decision_function(enc.X, pooled=z_rev))
    topic_sets = detect_topics(c, enc, tpass)
    ctx = topic_contexts(c, enc, topic_sets, tpass.clause_proba)
    alone = after_contrast(enc, ctx, clause_spans(enc.owner, len(docs)))  # as predict_docs reads them
    F = pair_matrix(c, enc.X, enc.Xc, ctx, topic_sets, z_rev, alone)
    margins: list[dict[int, float]] = [{} for _ in docs]
    if F.shape[0]:
        probs = np.sort(c.polarity.predict_proba(F), axis=1)
        gaps = probs[:, -1] - probs[:, -2]
        k = 0
        for i, tset in enumerate(topic_sets):
            for j in tset:
                margins[i][int(j)] = float(gaps[k])
                k += 1
    return Scores(logit(tpass.proba), p_pos, margins)
