"""Per-topic polarity from the topic's own clauses (aspect-level sentiment).

For ``送得很快，但是味道太淡了`` the delivery clause is positive and the taste
clause negative; copying the overall sentiment onto every topic would get
one of them wrong. Each (review, topic) pair is described by the TF-IDF of
the topic's context clauses, the topic, and the sentiment model's logit on
the context and on the whole review (also per topic, since "慢" is bad for
delivery but says nothing of taste).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from koubei.classify.linear import ArrayState, coefs_in_order, decision, softmax

POLARITIES = ("neg", "neu", "pos")


def pair_features(X_ctx: sparse.spmatrix, topic_idx: np.ndarray, z_ctx: np.ndarray,
                  z_rev: np.ndarray, n_topics: int) -> sparse.csr_matrix:
    """Feature rows of (review, topic) pairs; see the module docstring."""
    n = X_ctx.shape[0]
    onehot = sparse.csr_matrix((np.ones(n), (np.arange(n), topic_idx)), shape=(n, n_topics))
    zc = np.clip(z_ctx, -8, 8)[:, None] / 4
    zr = np.clip(z_rev, -8, 8)[:, None] / 4
    dense = np.hstack([zc, zr, onehot.toarray() * zc, onehot.toarray() * zr])
    return sparse.hstack([X_ctx, onehot, sparse.csr_matrix(dense)], format="csr")


class TopicPolarityClassifier(ArrayState, ClassifierMixin, BaseEstimator):
    """neg / neu / pos of a topic inside a review.

    Args:
        C: inverse L2 strength of the multinomial logistic regression.
    """

    _array_attrs = ('coef_', 'intercept_')
    _json_attrs = ()

    def __init__(self, *, C: float = 2.0) -> None:
        self.C = C

    def fit(self, F: sparse.spmatrix, y: np.ndarray, sample_weight: np.ndarray | None = None
            ) -> TopicPolarityClassifier:
        """Fit on pair features ``F`` (see :func:`pair_features`) and labels in POLARITIES.

        ``sample_weight``: per pair (e.g. below 1 for pairs of other label sets).
        """
        lr = LogisticRegression(C=self.C, max_iter=5000)
        lr.fit(F, np.asarray(y), sample_weight=sample_weight)
        coef, b = coefs_in_order(POLARITIES, lr.classes_, lr.coef_, lr.intercept_)
        self.coef_, self.intercept_ = coef, b
        self.n_features_in_ = F.shape[1]
        return self

    def predict_proba(self, F: sparse.spmatrix) -> np.ndarray:
        check_is_fitted(self, "coef_")
        return softmax(decision(F, self.coef_, self.intercept_))

    def predict(self, F: sparse.spmatrix) -> np.ndarray:
        return np.asarray(POLARITIES)[self.predict_proba(F).argmax(axis=1)]
