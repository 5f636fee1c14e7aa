"""Cross-validation of a bundle trained on labels: fold models, out-of-fold logits and metrics.

The folds are stratified multi-label k-fold (:mod:`koubei.train.split`). Their out-of-fold topic
logits calibrate the final detector (:mod:`koubei.train.calibrate`); the cross-validated metrics
use, for each fold, a calibration of the other folds only.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np

from koubei.classify.linear import logit
from koubei.classify.sentiment import SentimentClassifier
from koubei.classify.topics import TopicDetector, TopicPass
from koubei.corpora import GoldRecord
from koubei.metrics import sentiment_metrics, taste_direction_accuracy, topic_metrics
from koubei.model.predict import Components, Encoding, Prediction, predict_docs, refine_topics
from koubei.taxonomy import Taxonomy
from koubei.text.docs import Doc
from koubei.train.calibrate import calibrate
from koubei.train.default_recipe import gold_matrix
from koubei.train.encoder import EncoderPlan
from koubei.train.parts import Log, Source, fit_parts
from koubei.train.split import multilabel_folds


@dataclass
class Fold:
    """One cross-validation fold: its test rows and the parts fitted on the other rows."""

    test: np.ndarray
    comps: Components
    #: the test reviews as the fold's parts read them, and their topic pass (what the
    #: rules of ``refine_topics`` read)
    encoding: Encoding
    topic_pass: TopicPass


def cross_validate(taxonomy: Taxonomy, src: Source, docs: list[Doc], records: list[GoldRecord],
                   rule_idx: list[int], k: int, seed: int, log: Log, plan: EncoderPlan | None = None,
                   init: TopicDetector | None = None) -> tuple[list[Fold], np.ndarray]:
    """Fit each fold; return the fold models and the out-of-fold topic logits.

    ``init``: the topic detector fitted on all the labels; each fold's detector starts from
    its weights (not with an encoder ``plan``, whose features differ per fold). The
    regressions are strictly convex, so the folds end where they would from zeros, in
    about half the solver's steps.
    """
    Y = gold_matrix(records, taxonomy)
    strat = np.hstack([Y, np.array([[r.sentiment == s for s in ("pos", "neg", "neu")] for r in records])])
    Z = np.zeros(Y.shape)
    folds = []
    for f, te in enumerate(multilabel_folds(strat, k, seed)):
        tr = np.setdiff1d(np.arange(len(records)), te)
        comps = fit_parts(taxonomy, src, [docs[i] for i in tr], [records[i] for i in tr], rule_idx, seed,
                          plan, f"fold{f + 1}", cv=True, init=init if plan is None else None)
        test_docs = [docs[i] for i in te]
        enc = comps.encode(test_docs)
        # the features as one CSR matrix, as the calibration has always read them: the sparse +
        # dense view that prediction reads sums in another order (logits within ~1e-6)
        tpass = comps.topics.topic_pass(enc.features.tocsr(), enc.clause_features.tocsr(), enc.owner)
        Z[te] = logit(tpass.proba)
        folds.append(Fold(te, comps, enc, tpass))
        log(f"fold {f + 1}/{k} fitted")
    return folds, Z


def cv_predictions(folds: list[Fold], docs: list[Doc], Z: np.ndarray, Y: np.ndarray,
                   rule_mask: np.ndarray, band: tuple[float, float] | None) -> list[Prediction]:
    """Out-of-fold predictions, each fold thresholded by a calibration of the other folds."""
    preds: list[Prediction | None] = [None] * len(docs)
    for fold in folds:
        rest = np.setdiff1d(np.arange(len(docs)), fold.test)
        cal = calibrate(Z[rest], Y[rest], rule_mask)
        hit = cal.proba(Z[fold.test]) >= cal.thresholds
        sets = [[int(j) for j in np.flatnonzero(row)] for row in hit]
        comps = fold.comps
        test_docs = [docs[i] for i in fold.test]
        sets = refine_topics(comps, sets, fold.encoding, fold.topic_pass)
        if band is not None:
            comps = copy.copy(comps)
            comps.sentiment = copy.copy(comps.sentiment)
            comps.sentiment.band_ = band
        for i, p in zip(fold.test, predict_docs(comps, test_docs, sets)):
            preds[i] = p
    return [p for p in preds if p is not None]


def cv_metrics(taxonomy: Taxonomy, records: list[GoldRecord], preds: list[Prediction]) -> dict[str, Any]:
    """Cross-validated metrics (see :mod:`koubei.metrics`)."""
    gold = [r.topics for r in records]
    m: dict[str, Any] = {"topics": topic_metrics(gold, [p.topics for p in preds], taxonomy.topic_ids)}
    m["taste_direction"] = taste_direction_accuracy(gold, [r.taste_detail for r in records],
                                                    [p.taste_detail for p in preds],
                                                    taxonomy.taste_topic or "taste",
                                                    pred_topics=[p.topics for p in preds])
    rows = [i for i, r in enumerate(records) if r.sentiment]
    if rows:
        m["sentiment"] = sentiment_metrics([records[i].sentiment for i in rows],
                                           [preds[i].sentiment for i in rows])
    return m


def oof_band(folds: list[Fold], docs: list[Doc], records: list[GoldRecord]) -> tuple[float, float] | None:
    """Neutral band tuned on out-of-fold P(pos) (only when sentiment is learnt from the labels)."""
    rows = [i for i, r in enumerate(records) if r.sentiment]
    if not rows:
        return None
    p = np.zeros(len(docs))
    for fold in folds:  # the fold's encoding holds its test reviews' embedding already
        p[fold.test] = fold.comps.sentiment.proba_pos(fold.encoding.X)
    tuner = SentimentClassifier()
    return tuner.tune_band(p[rows], np.array([records[i].sentiment for i in rows]))
