"""Cross-validation of a bundle trained on labels: fold models, out-of-fold logits and metrics.

The folds are stratified multi-label k-fold (:mod:`koubei.train.split`). Their out-of-fold topic
logits calibrate the final detector (:mod:`koubei.train.calibrate`); the cross-validated metrics
use, for each fold, a calibration of the other folds only.
"""

from __future__ import annotations

import copy
import dataclasses
from contextlib import closing, nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from koubei.classify.linear import logit
from koubei.classify.sentiment import SentimentClassifier
from koubei.classify.topics import TopicDetector, TopicPass
from koubei.corpora import GoldRecord
from koubei.metrics import sentiment_metrics, taste_direction_accuracy, topic_metrics
from koubei.model.parallel import map_in_workers
from koubei.model.predict import Components, Encoding, Prediction, predict_docs, refine_topics
from koubei.taxonomy import Taxonomy
from koubei.text.docs import Doc
from koubei.train.calibrate import calibrate
from koubei.train.default_recipe import gold_matrix
from koubei.train.encoder import EncoderPlan
from koubei.train.parts import Log, Source, fit_parts, start_detector
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


#: the "fold" whose test rows are none: the fit on every labelled review (the final parts)
ALL = -1


@dataclass
class _FoldJob:
    """What every fold's fit reads: workers inherit it once, then get fold numbers and rows."""

    taxonomy: Taxonomy
    src: Source
    docs: list[Doc]
    records: list[GoldRecord]
    rule_idx: list[int]
    seed: int
    plan: EncoderPlan | None
    init: TopicDetector | None


def _fit_fold(job: _FoldJob, fold: tuple[int, np.ndarray]) -> Components:
    """The parts of one fold (or of all the labels, fold :data:`ALL`), fitted on one thread
    whether in a worker or not: BLAS sums in another order on more threads, so the folds, and
    the CV, would depend on ``workers``. (An encoder's folds always run here, one after the
    other, on every thread.)"""
    f, te = fold
    tr = np.setdiff1d(np.arange(len(job.records)), te)
    tag = "final" if f == ALL else f"fold{f + 1}"
    with threadpool_limits(1) if job.plan is None else nullcontext():
        comps = fit_parts(job.taxonomy, job.src, [job.docs[i] for i in tr], [job.records[i] for i in tr],
                          job.rule_idx, job.seed, job.plan, tag, cv=f != ALL, init=job.init)
    if job.plan is not None:  # each fold has its own encoder columns
        return comps
    # the parts every fit shares go back in the caller: a worker need not send them (~30 MB)
    return dataclasses.replace(comps, embedder=None, dense=None, lexicon=None)  # type: ignore[arg-type]


def cross_validate(taxonomy: Taxonomy, src: Source, docs: list[Doc], records: list[GoldRecord],
                   rule_idx: list[int], k: int, seed: int, log: Log, plan: EncoderPlan | None = None,
                   workers: int = 1) -> tuple[Components, list[Fold], np.ndarray]:
    """Fit the parts on all the labels and on each fold; return the final parts, the fold
    models and the out-of-fold topic logits.

    Each fold's topic detector starts from one on the same features (not with an encoder
    ``plan``, whose features differ per fold): the base's (:func:`start_detector`) when it
    reads them, and then the final fit starts from it too and is one more job beside the
    folds; otherwise the final detector, fitted first (from zeros). The regressions are
    strictly convex, so a fit ends where it would from zeros, in fewer of the solver's steps.

    ``workers``: processes fitting folds side by side (not with an encoder ``plan``); the
    folds and so the results are the same for any number.
    """
    Y = gold_matrix(records, taxonomy)
    strat = np.hstack([Y, np.array([[r.sentiment == s for s in ("pos", "neg", "neu")] for r in records])])
    Z = np.zeros(Y.shape)
    folds = []
    splits = list(enumerate(multilabel_folds(strat, k, seed)))
    init = start_detector(src, taxonomy) if plan is None else None
    final: Components | None = None
    if init is None:
        final = fit_parts(taxonomy, src, docs, records, rule_idx, seed, plan)
        log("model fitted on all the labels; cross-validating it")
        init = final.topics if plan is None else None
    else:
        log("fitting on all the labels and cross-validating, starting from the base's topic detector")
        splits.insert(0, (ALL, np.array([], dtype=int)))  # the longest job first
    job = _FoldJob(taxonomy, src, docs, records, rule_idx, seed, plan, init)
    fitted = map_in_workers(_fit_fold, job, splits, workers if plan is None else 1, "training worker")
    with closing(fitted):  # an error here stops the folds not yet started
        for (f, te), comps in zip(splits, fitted):
            if plan is None:  # the shared parts, which _fit_fold left out
                comps = dataclasses.replace(comps, embedder=src.embedder, dense=src.dense,
                                            lexicon=src.lexicon)
            if f == ALL:
                final = comps
                log("model fitted on all the labels")
                continue
            test_docs = [docs[i] for i in te]
            enc = comps.encode(test_docs)
            # the features as one CSR matrix, as the calibration has always read them: the sparse +
            # dense view that prediction reads sums in another order (logits within ~1e-6)
            tpass = comps.topics.topic_pass(enc.features.tocsr(), enc.clause_features.tocsr(), enc.owner)
            Z[te] = logit(tpass.proba)
            folds.append(Fold(te, comps, enc, tpass))
            log(f"fold {f + 1}/{k} fitted")
    if final is None:  # cannot happen: the final parts are fitted above or are a job
        raise RuntimeError("cross_validate fitted no final parts")
    return final, folds, Z


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
