"""Per-topic calibration of a trained topic detector: Platt scaling and decision thresholds.

Both are fitted on out-of-fold logits (:mod:`koubei.train.crossval`) and folded into the
detector's last stage (``TopicDetector.thresholds_``), so a bundle holds no separate calibration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

from koubei.classify.linear import sigmoid
from koubei.classify.topics import TopicDetector, best_f1_threshold


@dataclass
class Calibration:
    """Per-topic Platt scaling ``sigmoid(a * z + b)`` and decision thresholds."""

    a: np.ndarray
    b: np.ndarray
    thresholds: np.ndarray

    def proba(self, Z: np.ndarray) -> np.ndarray:
        return sigmoid(Z * self.a + self.b)


def calibrate(Z: np.ndarray, Y: np.ndarray, rule_mask: np.ndarray) -> Calibration:
    """Platt scaling and F1-best threshold per topic on out-of-fold logits ``Z``."""
    T = Y.shape[1]
    a, b, thr = np.ones(T), np.zeros(T), np.full(T, 0.5)
    for j in range(T):
        if rule_mask[j] or Y[:, j].min() == Y[:, j].max():
            continue
        lr = LogisticRegression(C=1.0).fit(Z[:, [j]], Y[:, j])
        if lr.coef_[0, 0] > 0:
            a[j], b[j] = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        thr[j] = best_f1_threshold(Y[:, j], sigmoid(Z[:, j] * a[j] + b[j]))
    return Calibration(a, b, thr)


def fold_calibration(det: TopicDetector, cal: Calibration) -> None:
    """Store a calibration in the detector: scale its last stage, set ``thresholds_``."""
    W = det.stack_coef_ if det.stack_coef_ is not None else det.coef_
    b = det.stack_intercept_ if det.stack_intercept_ is not None else det.intercept_
    W *= cal.a[:, None].astype(W.dtype)
    b[:] = b * cal.a + cal.b
    det.thresholds_ = cal.thresholds.copy()
