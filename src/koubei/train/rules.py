"""Rule-based (cue-only) topics inside a learnt, clause-stacked topic detector.

A topic with too few labelled reviews is detected by its taxonomy cue words
alone: its first- and second-stage weights sit on its cue-count column only.
The other topics' second stage reads *every* topic's best first-stage clause
logit, so it must be fitted on the logits it will read: for a cue-only topic
those are the rule's, not those of a regression fitted on a handful of
examples (which is what it read when the rule was put in after fitting).
:class:`CueRuleTopicDetector` makes the rule part of the fit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy import sparse

from koubei.classify.topics import TopicDetector, max_by_owner
from koubei.taxonomy import Taxonomy

RULE_WEIGHT, RULE_BIAS = 12.0, -4.0  # cue present: p ≈ 0.99; absent: p ≈ 0.02


def rule_topics(taxonomy: Taxonomy, Y: np.ndarray, min_examples: int) -> dict[str, str]:
    """Topics with too few labelled reviews, and what stands in for a learnt detector."""
    out = {}
    for j, t in enumerate(taxonomy.topics):
        n = int(Y[:, j].sum())
        if n < min_examples or n > len(Y) - min_examples:
            how = "cue words only" if t.cues else "never predicted (no cue words in the taxonomy)"
            out[t.id] = f"{n} labelled reviews (< {min_examples}): {how}"
    return out


def apply_rules(det: TopicDetector, rule_idx: Sequence[int]) -> None:
    """Make topics cue-only: weight on the topic's cue-count column, nothing else.

    The cue columns are the last of the detector's passthrough columns, one per
    topic, at the end of its first-stage view (the second stage appends its
    clause logits after them, so they sit at the same place there).
    """
    cue0 = det.coef_.shape[1] - det.coef_.shape[0]
    for j in rule_idx:
        for W, b in ((det.coef_, det.intercept_), (det.stack_coef_, det.stack_intercept_)):
            if W is None or b is None:
                continue
            W[j] = 0.0
            W[j, cue0 + j] = RULE_WEIGHT
            b[j] = RULE_BIAS


class CueRuleTopicDetector(TopicDetector):
    """A :class:`TopicDetector` whose rule topics are cue-only while it is fitted.

    Same parameters and fitted state as ``TopicDetector`` (a bundle saves and
    loads it as one); the rule topics are set by :meth:`factory`, not by a
    constructor parameter, so ``get_params`` and the saved state stay those of
    a ``TopicDetector``.
    """

    rules: tuple[int, ...] = ()

    @classmethod
    def factory(cls, rule_idx: Sequence[int]) -> Callable[..., TopicDetector]:
        """A constructor taking ``TopicDetector``'s parameters, with these rule topics."""
        rules = tuple(int(j) for j in rule_idx)

        def make(**params: Any) -> TopicDetector:
            det = cls(**params)
            det.rules = rules
            return det

        return make

    def fit(self, X: sparse.spmatrix, Y: np.ndarray, clause_X: sparse.spmatrix | None = None,
            clause_owner: np.ndarray | None = None, init: TopicDetector | None = None
            ) -> CueRuleTopicDetector:
        super().fit(X, Y, clause_X, clause_owner, init)
        apply_rules(self, self.rules)
        return self

    def _start(self, init: TopicDetector | None, n_features: int, n_topics: int
               ) -> tuple[np.ndarray, np.ndarray] | None:
        """``init``'s weights as a start, the rule topics' from zero: ``init`` holds their cue
        rule (:func:`apply_rules`), not a regression's weights."""
        start = super()._start(init, n_features, n_topics)
        if start is not None and self.rules:
            start[0][list(self.rules)] = 0.0
            start[1][list(self.rules)] = 0.0
        return start

    def _oof_logits(self, Xs: sparse.csr_matrix, Y: np.ndarray, Cs: sparse.csr_matrix,
                    owner: np.ndarray) -> np.ndarray:
        """Out-of-fold clause logits, the rule topics' replaced by their rule logits.

        A rule does not learn from the data, so its logits on held-out clauses
        are its logits, full stop.
        """
        M = super()._oof_logits(Xs, Y, Cs, owner)
        if self.rules:
            M[:, list(self.rules)] = rule_clause_max(Cs, Y.shape[1], self.rules, owner, len(Y))
        return M


def rule_clause_max(Cs: sparse.spmatrix, n_topics: int, rules: Sequence[int], owner: np.ndarray,
                    n: int) -> np.ndarray:
    """Each review's best rule logit over its clauses, one column per rule topic.

    ``Cs`` is in the detector's view: the cue-count columns are its last ``n_topics``.
    """
    cues = sparse.csr_matrix(Cs)[:, Cs.shape[1] - n_topics:].toarray()
    Z = RULE_WEIGHT * cues[:, list(rules)] + RULE_BIAS
    return max_by_owner(Z, owner, n)
