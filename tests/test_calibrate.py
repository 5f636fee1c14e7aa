"""Calibration of a trained topic detector (`koubei.train.calibrate`): Platt scaling, then
per-topic thresholds shrunk toward one shared threshold by each topic's number of labels."""

from __future__ import annotations

import numpy as np
import pytest

from koubei.classify.linear import sigmoid
from koubei.classify.topics import best_f1_threshold
from koubei.train.calibrate import SHARED_GRID, THRESHOLD_PRIOR, calibrate


def _logits(rng: np.random.Generator, n: int, n_pos: int, gap: float) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold logits of one topic: ``n_pos`` positives around +gap/2, the rest around -gap/2."""
    y = np.zeros(n, dtype=int)
    y[rng.choice(n, n_pos, replace=False)] = 1
    return rng.normal(np.where(y == 1, gap / 2, -gap / 2), 1.0), y


def _own_and_shared(Z: np.ndarray, Y: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, float]:
    P = sigmoid(Z * a + b)
    own = np.array([best_f1_threshold(Y[:, j], P[:, j]) for j in range(Y.shape[1])])
    return own, best_f1_threshold(Y.ravel(), P.ravel(), SHARED_GRID)


def test_a_topic_of_few_labels_takes_the_shared_threshold_and_one_of_many_its_own() -> None:
    rng = np.random.default_rng(0)
    n = 6000
    cols = [_logits(rng, n, 3000, 1.5), _logits(rng, n, 20, 4.0), _logits(rng, n, 600, 3.0)]
    Z = np.column_stack([z for z, _ in cols])
    Y = np.column_stack([y for _, y in cols])
    cal = calibrate(Z, Y, np.zeros(3, dtype=bool))
    own, shared = _own_and_shared(Z, Y, cal.a, cal.b)
    assert own[0] != shared and own[1] != shared  # the test has something to shrink
    w = Y.sum(axis=0) / (Y.sum(axis=0) + THRESHOLD_PRIOR)
    assert cal.thresholds == pytest.approx(w * own + (1 - w) * shared)
    # 3,000 labels: nearly its own; 20 labels: nearly the shared one
    assert abs(cal.thresholds[0] - own[0]) < 0.07 * abs(own[0] - shared)
    assert abs(cal.thresholds[1] - shared) < 0.1 * abs(own[1] - shared)


def test_rule_based_topics_keep_one_half_and_no_scaling() -> None:
    rng = np.random.default_rng(1)
    cols = [_logits(rng, 2000, 400, 3.0), _logits(rng, 2000, 3, 3.0)]
    Z = np.column_stack([z for z, _ in cols])
    Y = np.column_stack([y for _, y in cols])
    cal = calibrate(Z, Y, np.array([False, True]))
    assert (cal.a[1], cal.b[1], cal.thresholds[1]) == (1.0, 0.0, 0.5)
    # the shared threshold is the learnt topic's alone: the rule topic's decisions are not pooled
    own, _ = _own_and_shared(Z[:, :1], Y[:, :1], cal.a[:1], cal.b[:1])
    shared = best_f1_threshold(Y[:, 0], sigmoid(Z[:, 0] * cal.a[0] + cal.b[0]), SHARED_GRID)
    w = 400 / (400 + THRESHOLD_PRIOR)
    assert cal.thresholds[0] == pytest.approx(w * own[0] + (1 - w) * shared)


def test_every_topic_rule_based_gives_one_half_everywhere() -> None:
    rng = np.random.default_rng(2)
    Z, y = _logits(rng, 100, 4, 2.0)
    cal = calibrate(Z[:, None], y[:, None], np.array([True]))
    assert cal.thresholds.tolist() == [0.5] and cal.a.tolist() == [1.0]
    assert cal.shared is None and cal.prior is None


def test_a_topic_the_labels_never_hold_is_neither_pooled_nor_shrunk() -> None:
    """A cross-validation fold can lack a learnt topic: it keeps 0.5, and the other topics'
    thresholds are what they are without it."""
    rng = np.random.default_rng(3)
    z, y = _logits(rng, 3000, 500, 3.0)
    alone = calibrate(z[:, None], y[:, None], np.array([False]))
    absent = rng.normal(-3.0, 1.0, 3000)  # the detector's logits of a topic no review here has
    both = calibrate(np.column_stack([z, absent]), np.column_stack([y, np.zeros(3000, dtype=int)]),
                     np.array([False, False]))
    assert both.thresholds[1] == 0.5 and (both.a[1], both.b[1]) == (1.0, 0.0)
    assert both.shared == alone.shared and both.thresholds[0] == pytest.approx(alone.thresholds[0])


@pytest.mark.parametrize(("training", "says"), [
    ({"threshold_shrinkage": {"shared": 0.425, "prior": 200}},
     "each learnt topic's F1-best threshold shrunk toward one shared by them all, "
     "0.425 (n / (n + 200) its own"),
    ({"threshold_shrinkage": {"shared": None, "prior": None}}, "no topic learnt, every threshold 0.5"),
    ({}, "thresholds tuned per topic"),  # a bundle trained before the rule was recorded
])
def test_the_model_card_says_how_the_thresholds_were_picked(training: dict, says: str) -> None:
    from koubei.train.train_card import train_section

    manifest = {"seed": 0, "training": {"folds": 5, "thresholds": {"taste": 0.4321},
                                        "label_counts": {"taste": {"pos": 3, "neg": 9}}, **training}}
    text = "\n".join(train_section(manifest))
    assert says in text
    assert "| taste | 3/9/0 | 0.432 |" in text  # shrunk thresholds are off the grid: three decimals
