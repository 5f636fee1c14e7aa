"""Per-topic calibration of a trained topic detector: Platt scaling and decision thresholds.

Both are fitted on out-of-fold logits (:mod:`koubei.train.crossval`) and folded into the
detector's last stage (``TopicDetector.thresholds_``), so a bundle holds no separate calibration.

A topic's own F1-best threshold is a noisy estimate: its F1 curve is flat near the top, and
on a few hundred labelled reviews the best point moves by 0.1-0.3 from one sample to the
next. Once Platt scaling has put every topic on one probability scale, one threshold best
for all the learnt topics pooled is estimated from all their decisions at once. Each topic's
threshold is shrunk toward that shared one by how many labelled reviews it has:
``n / (n + THRESHOLD_PRIOR)`` of its own, the rest shared.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

from koubei.classify.linear import sigmoid
from koubei.classify.topics import TopicDetector, best_f1_threshold

#: labelled reviews of a topic at which its own F1-best threshold and the shared one weigh the
#: same (chosen among 50, 200 and 800 on `koubei train`'s cross-validation of the gold labels;
#: CHANGELOG, issue 20)
THRESHOLD_PRIOR = 200
#: where the shared threshold is looked for: it pools every topic's decisions, so a finer
#: grid than a single topic's (:data:`koubei.classify.topics.THRESHOLD_GRID`) is no overfit
SHARED_GRID = np.round(np.arange(0.15, 0.86, 0.025), 3)


@dataclass
class Calibration:
    """Per-topic Platt scaling ``sigmoid(a * z + b)`` and decision thresholds.

    ``shared``: the threshold the learnt topics' own ones were shrunk toward, with
    ``prior`` (None where no topic is learnt).
    """

    a: np.ndarray
    b: np.ndarray
    thresholds: np.ndarray
    shared: float | None = None
    prior: float | None = None

    def proba(self, Z: np.ndarray) -> np.ndarray:
        return sigmoid(Z * self.a + self.b)


def calibrate(Z: np.ndarray, Y: np.ndarray, rule_mask: np.ndarray,
              prior: float = THRESHOLD_PRIOR) -> Calibration:
    """Platt scaling per topic on out-of-fold logits ``Z``, then decision thresholds.

    A learnt topic (not in ``rule_mask``, both labels in ``Y``) with ``n`` labelled reviews gets
    ``w * own + (1 - w) * shared``, ``w = n / (n + prior)``: ``own`` its F1-best threshold,
    ``shared`` the one best for the micro-F1 of every learnt topic together. The others (rule-based
    topics, and a topic ``Y`` never or always holds) keep 0.5, unscaled, and are not pooled.
    """
    T = Y.shape[1]
    a, b, own = np.ones(T), np.zeros(T), np.full(T, 0.5)
    # a topic whose labels here are all one value (a fold without it) has nothing to calibrate
    learnt = ~np.asarray(rule_mask, dtype=bool) & (Y.min(axis=0) != Y.max(axis=0))
    for j in np.flatnonzero(learnt):
        lr = LogisticRegression(C=1.0).fit(Z[:, [j]], Y[:, j])
        if lr.coef_[0, 0] > 0:
            a[j], b[j] = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        own[j] = best_f1_threshold(Y[:, j], sigmoid(Z[:, j] * a[j] + b[j]))
    if not learnt.any():
        return Calibration(a, b, own)
    P = sigmoid(Z * a + b)
    shared = best_f1_threshold(Y[:, learnt].ravel(), P[:, learnt].ravel(), SHARED_GRID)
    n = Y.sum(axis=0)
    w = n / (n + prior)
    return Calibration(a, b, np.where(learnt, w * own + (1 - w) * shared, 0.5), shared, prior)


def fold_calibration(det: TopicDetector, cal: Calibration) -> None:
    """Store a calibration in the detector: scale its last stage, set ``thresholds_``."""
    W = det.stack_coef_ if det.stack_coef_ is not None else det.coef_
    b = det.stack_intercept_ if det.stack_intercept_ is not None else det.intercept_
    W *= cal.a[:, None].astype(W.dtype)
    b[:] = b * cal.a + cal.b
    det.thresholds_ = cal.thresholds.copy()
