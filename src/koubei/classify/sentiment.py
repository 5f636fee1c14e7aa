"""Overall sentiment: a binary pos/neg regression plus a neutral band.

The public corpora are binary (pos/neg); neutral reviews (no opinion, or
both sides of equal weight) are told by a band of uncertainty around 0.5,
whose edges are tuned on the gold labels that carry ``neu``.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from koubei.classify.linear import ArrayState, decision, sigmoid

LABELS = ("neg", "neu", "pos")


class SentimentClassifier(ArrayState, ClassifierMixin, BaseEstimator):
    """pos / neg / neu with ``P(pos)``.

    Args:
        C: inverse L2 strength of the logistic regression (4 suits the ~77k-text
            pooled corpus better than 1 or 2 on all three corpora's held-out folds).
        neutral_band: (lo, hi): ``P(pos)`` in [lo, hi) is ``neu``.
    """

    _array_attrs = ('coef_', 'intercept_')
    _json_attrs = ('band_',)

    def __init__(self, *, C: float = 4.0, neutral_band: tuple[float, float] = (0.45, 0.55)) -> None:
        self.C = C
        self.neutral_band = neutral_band

    def fit(self, X: sparse.spmatrix, y: np.ndarray, sample_weight: np.ndarray | None = None
            ) -> SentimentClassifier:
        """Fit on binary labels (1 = pos, 0 = neg)."""
        lr = LogisticRegression(C=self.C, max_iter=3000)
        lr.fit(X, np.asarray(y, dtype=int), sample_weight=sample_weight)
        self.coef_ = lr.coef_.astype(np.float32)
        self.intercept_ = lr.intercept_.astype(np.float64)
        self.band_ = tuple(self.neutral_band)
        self.n_features_in_ = X.shape[1]
        return self

    def decision_function(self, X: sparse.spmatrix) -> np.ndarray:
        check_is_fitted(self, "coef_")
        return decision(X, self.coef_, self.intercept_)[:, 0]

    def proba_pos(self, X: sparse.spmatrix) -> np.ndarray:
        """P(pos) per row."""
        return sigmoid(self.decision_function(X))

    def label(self, p_pos: np.ndarray) -> np.ndarray:
        """Labels from ``P(pos)`` with the neutral band."""
        lo, hi = self.band_
        return np.where(p_pos >= hi, "pos", np.where(p_pos < lo, "neg", "neu"))

    def predict(self, X: sparse.spmatrix) -> np.ndarray:
        return self.label(self.proba_pos(X))

    def tune_band(self, p_pos: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
        """Pick the neutral band on labelled ``neu``/``pos``/``neg`` data.

        The objective is accuracy + macro-F1: accuracy alone is best served by
        never saying ``neu`` (it is the rarest class), which leaves users no
        neutral reviews at all.
        """
        from koubei.evaluation import sentiment_metrics

        best, best_score = (0.5, 0.5), -1.0
        for lo in np.arange(0.30, 0.51, 0.05):
            for hi in np.arange(0.50, 0.81, 0.05):
                pred = np.where(p_pos >= hi, "pos", np.where(p_pos < lo, "neg", "neu"))
                m = sentiment_metrics(labels, pred)
                score = m["accuracy"] + m["macro_f1"]
                if score > best_score + 1e-9:
                    best, best_score = (round(float(lo), 3), round(float(hi), 3)), score
        self.band_ = best
        return best
