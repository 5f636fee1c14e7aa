"""Multi-label topic detection: one logistic regression per topic, tuned thresholds."""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from sklearn.utils.validation import check_is_fitted

from koubei.classify.linear import ArrayState, decision, sigmoid

THRESHOLD_GRID = np.round(np.arange(0.15, 0.86, 0.05), 2)


def best_f1_threshold(y: np.ndarray, p: np.ndarray, grid: np.ndarray = THRESHOLD_GRID) -> float:
    """Threshold on ``p`` that maximizes F1 of ``y`` (ties → the middle of the best run)."""
    scores = []
    for t in grid:
        pred = p >= t
        tp = float(np.sum(pred & (y == 1)))
        denom = float(pred.sum() + y.sum())
        scores.append(2 * tp / denom if denom else 0.0)
    scores_a = np.asarray(scores)
    best = np.flatnonzero(scores_a >= scores_a.max() - 1e-9)
    return float(grid[best[len(best) // 2]])


class TopicDetector(ArrayState, ClassifierMixin, BaseEstimator):
    """Which topics a review talks about (multi-label).

    Args:
        C: inverse L2 strength of each per-topic logistic regression.
        class_weight: passed to each regression (``"balanced"`` for rare topics).
        tune_folds: folds of the inner cross-validation that picks each topic's
            decision threshold; 0 keeps 0.5 everywhere.
        seed: seed of the inner folds.
    """

    _array_attrs = ('coef_', 'intercept_', 'thresholds_')
    _json_attrs = ()

    def __init__(self, *, C: float = 8.0, class_weight: str | None = "balanced",
                 tune_folds: int = 4, seed: int = 0) -> None:
        self.C = C
        self.class_weight = class_weight
        self.tune_folds = tune_folds
        self.seed = seed

    def _fit_heads(self, X: sparse.spmatrix, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        coefs, bs = [], []
        for j in range(Y.shape[1]):
            if Y[:, j].min() == Y[:, j].max():  # topic absent (or everywhere) in this data
                coefs.append(np.zeros(X.shape[1]))
                bs.append(-10.0 if Y[0, j] == 0 else 10.0)
                continue
            lr = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=3000)
            lr.fit(X, Y[:, j])
            coefs.append(lr.coef_[0])
            bs.append(float(lr.intercept_[0]))
        return np.asarray(coefs, dtype=np.float32), np.asarray(bs)

    def fit(self, X: sparse.spmatrix, Y: np.ndarray) -> TopicDetector:
        """Fit on features ``X`` and a 0/1 matrix ``Y`` (reviews × topics)."""
        Y = np.asarray(Y, dtype=int)
        self.coef_, self.intercept_ = self._fit_heads(X, Y)
        self.thresholds_ = np.full(Y.shape[1], 0.5)
        if self.tune_folds and len(Y) >= 5 * self.tune_folds:
            oof = self.oof_proba(X, Y)
            self.thresholds_ = np.array([best_f1_threshold(Y[:, j], oof[:, j])
                                         for j in range(Y.shape[1])])
        self.n_features_in_ = X.shape[1]
        return self

    def oof_proba(self, X: sparse.spmatrix, Y: np.ndarray) -> np.ndarray:
        """Out-of-fold probabilities from the inner folds (for threshold tuning)."""
        oof = np.zeros(Y.shape)
        for tr, te in KFold(self.tune_folds, shuffle=True, random_state=self.seed).split(Y):
            W, b = self._fit_heads(X[tr], Y[tr])
            oof[te] = sigmoid(decision(X[te], W, b))
        return oof

    def predict_proba(self, X: sparse.spmatrix) -> np.ndarray:
        """Probability of each topic (reviews × topics)."""
        check_is_fitted(self, "coef_")
        return sigmoid(decision(X, self.coef_, self.intercept_))

    def predict(self, X: sparse.spmatrix) -> np.ndarray:
        return (self.predict_proba(X) >= self.thresholds_).astype(int)
