"""Training a model bundle on a user's labelled reviews (``koubei train``).

The bundle is the same kind ``koubei score`` loads. Recipe:

- **vocabulary and sentiment**: with ``base``, the base bundle's TF-IDF
  embedder, jieba dictionary and sentiment model are reused unchanged, and
  only the topic detector and polarity head learn from the labels (seconds on a
  few hundred reviews). Without ``base``, a vocabulary is fitted on the labelled
  texts and a sentiment model on their pos/neg labels; labels without enough
  sentiment fall back to the default model's vocabulary and sentiment.
- **topics**: :func:`koubei.train.default_recipe.fit_topic_parts` (balanced class
  weights per topic, clause stacking). A topic with fewer than
  ``min_examples`` labelled reviews stays **rule-based**: it is detected by
  its taxonomy cue words alone (cue-only), and the model card says so.
- **validation**: stratified multi-label k-fold (:mod:`koubei.train.split`);
  the out-of-fold logits calibrate each topic (Platt scaling, folded into the
  detector's last stage) and tune its decision threshold for F1; both are
  stored in the bundle (``TopicDetector.thresholds_``). The cross-validated
  metrics use, for each fold, thresholds tuned on the other folds only.
- **encoder** (optional): with ``encoder``, a transformer encoder's vectors
  sit beside the TF-IDF columns (:mod:`koubei.train.encoder`).
- **a base that saw the labels**: the polarity head is fed by a copy of the
  base's sentiment refitted without them (:mod:`koubei.train.unseen`).
- **no base**: the polarity head is fed by label sentiments cross-fitted over
  5 folds (:func:`cross_fitted_sentiment`), for the same reason.
- **committee**: the k folds' topic detectors, calibrated like the final
  one, are kept in the bundle for ``koubei suggest`` (:mod:`koubei.model.committee`);
  not with ``finetune`` (each fold has its own fine-tuned encoder).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from koubei.classify.features import Doc, prepare_many
from koubei.classify.lexicon import PolarityLexicon, load_lexicon
from koubei.classify.linear import logit, sigmoid
from koubei.classify.polarity import TopicPolarityClassifier
from koubei.classify.sentiment import SentimentClassifier
from koubei.classify.topics import TopicDetector, best_f1_threshold
from koubei.datasets import GoldRecord
from koubei.embed.finetune import FinetuneConfig
from koubei.embed.tfidf import TfidfEmbedder
from koubei.embed.wordvec import DenseView
from koubei.errors import EncoderError, IncompatibleModelError, LabelError, OutputError
from koubei.metrics import sentiment_metrics, taste_direction_accuracy, topic_metrics
from koubei.model.bundle import load_components, save_bundle
from koubei.model.card import library_versions, today
from koubei.model.committee import Committee
from koubei.model.predict import Components, Prediction, predict_docs, refine_topics
from koubei.resources import default_model_path
from koubei.taxonomy import Taxonomy
from koubei.text.segment import Segmenter, file_sha256, user_dict_path
from koubei.train.default_recipe import fit_embedder, fit_gold_sentiment, fit_topic_detector, gold_matrix
from koubei.train.encoder import EncoderPlan, tfidf_part, widen_sentiment
from koubei.train.label_file import LabelReport
from koubei.train.rules import CueRuleTopicDetector, rule_topics
from koubei.train.split import multilabel_folds
from koubei.train.train_card import write_train_card
from koubei.train.unseen import UnseenCheck, unseen_base_sentiment

Log = Callable[[str], None]
MIN_REVIEWS = 10
#: folds of the cross-fitted label sentiment that feeds the polarity head (no base)
SENTIMENT_FOLDS = 5


def _quiet(_: str) -> None:
    pass


@dataclass
class Source:
    """Where the vocabulary and sentiment come from."""

    embedder: Any
    sentiment: SentimentClassifier | None  # None: trained on the labels
    user_dict: Path
    context_threshold: float = 0.5
    base: dict[str, Any] | None = None
    manifest: dict[str, Any] | None = None  # of the bundle the parts come from
    #: the base's sentiment refitted without the labelled reviews it saw (feeds the polarity head)
    sentiment_unseen: SentimentClassifier | None = None
    unseen: UnseenCheck | None = None
    #: the base's word vectors (bound to its TF-IDF columns, so only with its vocabulary)
    dense: DenseView | None = None
    #: the polarity lexicon the trained model reads with: the base's, else the shipped one
    lexicon: PolarityLexicon | None = field(default_factory=load_lexicon)


@dataclass
class Calibration:
    """Per-topic Platt scaling ``sigmoid(a * z + b)`` and decision thresholds."""

    a: np.ndarray
    b: np.ndarray
    thresholds: np.ndarray

    def proba(self, Z: np.ndarray) -> np.ndarray:
        return sigmoid(Z * self.a + self.b)


@dataclass
class TrainResult:
    """What ``train_bundle`` did.

    Attributes:
        path: the bundle written.
        manifest: its ``manifest.json``.
        rule_based: topics left rule-based (cue words only), with the reason.
        thresholds: the tuned decision threshold of each topic.
        cv: the cross-validated metrics (``cv["topics"]["micro_f1"]``...).
        warnings: what the training warned about.
    """

    path: Path
    manifest: dict[str, Any]
    rule_based: dict[str, str]
    thresholds: dict[str, float]
    cv: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def check_output_dir(output: str | Path, overwrite: bool, base: str | Path | None = None) -> bool:
    """Fail early when ``output`` cannot take a new bundle; returns whether to replace it.

    Raises:
        OutputError: a non-empty directory without ``overwrite``, the base or the
            shipped default model itself, a file, or a missing parent folder.
    """
    out = Path(output)
    protected = [default_model_path()] + ([Path(base)] if base else [])
    if out.exists() and any(out.resolve() == p.resolve() for p in protected if p.exists()):
        raise OutputError(f"{out} is the base or the bundled default model; write the new model elsewhere")
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise OutputError(f"model directory {out} exists and is not empty; pass --overwrite to replace it")
    if not out.parent.is_dir():
        raise OutputError(f"parent directory {out.parent} does not exist")
    return out.exists()


def resolve_source(taxonomy: Taxonomy, records: Sequence[GoldRecord], base: str | Path | None,
                   min_examples: int, log: Log) -> Source:
    """The base bundle's parts, or a fresh vocabulary (sentiment then learnt from the labels)."""
    if base is not None:
        return _base_source(Path(base), taxonomy)
    polar = [r.sentiment for r in records if r.sentiment in ("pos", "neg")]
    if min(polar.count("pos"), polar.count("neg")) >= max(min_examples, 5):
        docs = prepare_many([r.text for r in records], Segmenter(user_dict=str(user_dict_path())))
        embedder = fit_embedder(docs, min_df=2 if len(docs) >= 50 else 1)
        log(f"vocabulary of the labelled texts: {embedder.n_features_out_:,} features")
        return Source(embedder, None, user_dict_path())
    log("too few pos/neg sentiment labels: reusing the default model's vocabulary and sentiment")
    src = _base_source(default_model_path(), taxonomy, check=False)
    src.base = {**(src.base or {}), "use": "vocabulary and sentiment (labels carry too little sentiment)"}
    return src


def _base_source(path: Path, taxonomy: Taxonomy, check: bool = True) -> Source:
    comps, manifest, user_dict = load_components(path)
    if check:
        check_base_taxonomy(comps.taxonomy, taxonomy, path)
    info = {"path": str(path), "name": manifest.get("name", ""),
            "taxonomy": manifest["taxonomy"], "files": manifest.get("files", {}),
            "use": "vocabulary, dictionary, sentiment; cue rules of rare topics"}
    return Source(comps.embedder, comps.sentiment, user_dict, comps.context_threshold, info, manifest,
                  dense=comps.dense, lexicon=comps.lexicon or load_lexicon())


def check_base_taxonomy(base: Taxonomy, taxonomy: Taxonomy, path: Path) -> None:
    """A base must speak the same taxonomy family: same polarities and shared topics.

    Raises:
        IncompatibleModelError: other polarities, or no topic in common.
    """
    shared = set(base.topic_ids) & set(taxonomy.topic_ids)
    if tuple(base.polarities) != tuple(taxonomy.polarities) or not shared:
        raise IncompatibleModelError(
            f"--base {path} was trained on taxonomy {base.name} v{base.version} "
            f"({', '.join(base.topic_ids)}), which shares no topic with {taxonomy.name} "
            f"v{taxonomy.version} ({', '.join(taxonomy.topic_ids)}); train without --base or pick "
            "a base model of your taxonomy")


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


@dataclass
class _Fold:
    test: np.ndarray
    comps: Components
    #: the test reviews' best first-stage clause logits (what the taste-cue rule reads)
    clause_max: np.ndarray


def _fit_parts(taxonomy: Taxonomy, src: Source, docs: list[Doc], recs: list[GoldRecord],
               rule_idx: list[int], seed: int, plan: EncoderPlan | None = None, tag: str = "final",
               cv: bool = False) -> Components:
    """Fit every learnt part on ``docs``.

    ``cv``: a cross-validation fold, scored with the sentiment model that has not
    seen the labelled reviews (when the base's had; the final bundle keeps the base's).
    """
    embedder = src.embedder
    if plan is not None:
        embedder = plan.embedder(src.embedder, docs, gold_matrix(recs, taxonomy), tag, taxonomy.topic_ids)
    width = embedder.n_features_out_
    sentiment = widen_sentiment(src.sentiment, width) or fit_label_sentiment(embedder, docs, recs)
    unseen = widen_sentiment(src.sentiment_unseen, width) or sentiment
    folds = cross_fitted_sentiment(embedder, docs, recs, seed) if src.sentiment is None else None
    topics, F, y = fit_topic_detector(taxonomy, embedder, unseen, docs, recs, seed=seed,
                                      detector_factory=CueRuleTopicDetector.factory(rule_idx),
                                      dense=src.dense, sentiment_folds=folds)
    polarity = fit_polarity_compact(F, y)
    scorer = fit_gold_sentiment(unseen if cv else sentiment, unseen, embedder, docs, recs,
                                sentiment_folds=folds, lexicon=src.lexicon)
    return Components(taxonomy, embedder, scorer, topics, polarity,
                      src.context_threshold, dense=src.dense, lexicon=src.lexicon)


def fit_polarity_compact(F: sparse.spmatrix, y: np.ndarray, C: float = 2.0) -> TopicPolarityClassifier:
    """``TopicPolarityClassifier(C).fit(F, y)``, solved over the columns ``F`` uses.

    With L2 regularization, columns that are zero in every row get zero weight,
    so fitting on the used columns and scattering the weights back gives the
    same model; on a few hundred reviews over a 240k-column vocabulary that is
    ~50 times faster.
    """
    F = sparse.csr_matrix(F)
    used = np.unique(F.indices)
    head = TopicPolarityClassifier(C=C).fit(F[:, used], y)
    coef = np.zeros((head.coef_.shape[0], F.shape[1]), dtype=head.coef_.dtype)
    coef[:, used] = head.coef_
    head.coef_, head.n_features_in_ = coef, F.shape[1]
    return head


def fit_label_sentiment(embedder: Any, docs: Sequence[Doc], recs: Sequence[GoldRecord]
                        ) -> SentimentClassifier:
    """A binary sentiment regression on the labels' pos/neg reviews."""
    keep = [i for i, r in enumerate(recs) if r.sentiment in ("pos", "neg")]
    y = np.array([recs[i].sentiment == "pos" for i in keep], dtype=int)
    return SentimentClassifier(C=4.0).fit(embedder.transform([docs[i] for i in keep]), y)


def can_cross_fit(recs: Sequence[GoldRecord], k: int = SENTIMENT_FOLDS) -> bool:
    """Enough pos and neg labels (2 per fold each) to cross-fit the label sentiment."""
    polar = [r.sentiment for r in recs]
    return min(polar.count("pos"), polar.count("neg")) >= 2 * k


def cross_fitted_sentiment(embedder: Any, docs: Sequence[Doc], recs: Sequence[GoldRecord], seed: int,
                           k: int = SENTIMENT_FOLDS) -> list[tuple[np.ndarray, SentimentClassifier]] | None:
    """Label sentiments for the polarity head's features, each fitted without the reviews it reads.

    Without a base, the sentiment model is learnt from the labels, and its
    logits on its own training reviews are over-confident; a polarity head
    fitted on them trusts sentiment more than it should on new reviews. So the
    reviews are split in ``k`` folds (stratified by sentiment label) and each
    fold's features are read with a model fitted on the other folds. None when
    there are fewer than ``2 k`` pos or neg labels (then the head reads the
    full model).
    """
    if not can_cross_fit(recs, k):
        return None
    labels = np.array([r.sentiment or "" for r in recs])
    polar = np.isin(labels, ("pos", "neg"))
    split = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    out = []
    for train, test in split.split(np.zeros(len(recs)), labels == "pos"):
        keep = train[polar[train]]
        out.append((np.sort(test), fit_label_sentiment(embedder, [docs[i] for i in keep],
                                                        [recs[i] for i in keep])))
    return out


def cross_validate(taxonomy: Taxonomy, src: Source, docs: list[Doc], records: list[GoldRecord],
                   rule_idx: list[int], k: int, seed: int, log: Log, plan: EncoderPlan | None = None
                   ) -> tuple[list[_Fold], np.ndarray]:
    """Fit each fold; return the fold models and the out-of-fold topic logits."""
    Y = gold_matrix(records, taxonomy)
    strat = np.hstack([Y, np.array([[r.sentiment == s for s in ("pos", "neg", "neu")] for r in records])])
    Z = np.zeros(Y.shape)
    folds = []
    for f, te in enumerate(multilabel_folds(strat, k, seed)):
        tr = np.setdiff1d(np.arange(len(records)), te)
        comps = _fit_parts(taxonomy, src, [docs[i] for i in tr], [records[i] for i in tr], rule_idx, seed,
                           plan, f"fold{f + 1}", cv=True)
        test_docs = [docs[i] for i in te]
        enc = comps.encode(test_docs)
        # the features as one CSR matrix, as the calibration has always read them: the sparse +
        # dense view that prediction reads sums in another order (logits within ~1e-6)
        tpass = comps.topics.topic_pass(enc.features.tocsr(), enc.clause_features.tocsr(), enc.owner)
        Z[te] = logit(tpass.proba)
        folds.append(_Fold(te, comps, tpass.clause_max))
        log(f"fold {f + 1}/{k} fitted")
    return folds, Z


def cv_predictions(folds: list[_Fold], docs: list[Doc], Z: np.ndarray, Y: np.ndarray,
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
        sets = refine_topics(comps, sets, [d.norm for d in test_docs], fold.clause_max)
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


def oof_band(folds: list[_Fold], docs: list[Doc], records: list[GoldRecord]) -> tuple[float, float] | None:
    """Neutral band tuned on out-of-fold P(pos) (only when sentiment is learnt from the labels)."""
    rows = [i for i, r in enumerate(records) if r.sentiment]
    if not rows:
        return None
    p = np.zeros(len(docs))
    for fold in folds:
        X = fold.comps.embedder.transform([docs[i] for i in fold.test])
        p[fold.test] = fold.comps.sentiment.proba_pos(X)
    tuner = SentimentClassifier()
    return tuner.tune_band(p[rows], np.array([records[i].sentiment for i in rows]))


def train_bundle(records: Sequence[GoldRecord], *, taxonomy: Taxonomy, output: str | Path,
                 base: str | Path | None = None, seed: int = 0, folds: int = 5,
                 min_examples: int = 5, label_report: LabelReport | None = None,
                 overwrite: bool = False, encoder: str | Path | None = None, finetune: bool = False,
                 pooling: str = "mean", max_length: int = 128, copy_encoder: bool = False,
                 finetune_config: FinetuneConfig | None = None, log: Log = _quiet,
                 unseen: UnseenCheck | None = None, committee: bool = True) -> TrainResult:
    """Train, cross-validate and save a bundle on labelled reviews.

    Args:
        records: labelled reviews (from :func:`koubei.train.labels.read_labels`).
        taxonomy: the labels' taxonomy; it travels in the bundle.
        output: the bundle directory to write.
        base: a bundle whose vocabulary, dictionary and sentiment are reused.
        seed: seeds the folds and the regressions: the same inputs and seed give
            the same bundle.
        folds: k of the stratified k-fold (reduced when there are few reviews).
        min_examples: topics with fewer labelled reviews stay cue-only.
        label_report: the reader's report, for the manifest and model card.
        overwrite: replace a non-empty ``output``.
        encoder: a local Hugging Face model directory whose pooled embeddings sit
            beside the TF-IDF columns (:mod:`koubei.train.encoder`).
        finetune: fine-tune ``encoder`` on the labels (per fold, then on all);
            the fine-tuned encoder is saved inside the bundle.
        pooling: ``mean`` or ``cls`` (BGE models) pooling of the encoder.
        max_length: tokens of a text the encoder reads.
        copy_encoder: copy a frozen encoder into the bundle instead of referencing it.
        finetune_config: fine-tuning settings (epochs, learning rates...); its
            ``pooling`` and ``max_length`` are replaced by the two above.
        unseen: :func:`koubei.train.unseen.unseen_base_sentiment` of ``base``
            computed on a superset of ``records``, reused instead of refitting
            (for scripts that train many bundles on subsets of one label file).
        committee: keep the folds' topic detectors in the bundle for ``koubei suggest``
            (about k times the topic detector's size; never with ``finetune``).

    Raises:
        LabelError: fewer than 10 labelled reviews.
        OutputError: ``output`` cannot be written (checked before any work).
        IncompatibleModelError: ``base`` speaks another taxonomy, or has an encoder
            of its own next to ``encoder``.
        EncoderError: torch/transformers missing (the message gives the install
            line), or ``encoder`` is not a complete model directory.
    """
    t0 = time.time()
    replace = check_output_dir(output, overwrite, base)
    records = list(records)
    if len(records) < MIN_REVIEWS:
        raise LabelError(f"only {len(records)} labelled reviews; need at least {MIN_REVIEWS} to train")
    plan = _encoder_plan(encoder, finetune, pooling, max_length, copy_encoder, finetune_config, seed, log)
    try:
        return _train(records, taxonomy, output, base, seed, folds, min_examples, label_report, replace,
                      plan, log, t0, unseen, committee)
    finally:
        if plan is not None:
            plan.cleanup()


def _encoder_plan(encoder: str | Path | None, finetune: bool, pooling: str, max_length: int,
                  copy_encoder: bool, config: FinetuneConfig | None, seed: int,
                  log: Log = _quiet) -> EncoderPlan | None:
    if encoder is None:
        if finetune or copy_encoder:
            raise EncoderError("--finetune and --copy-encoder need --encoder DIR (a Hugging Face "
                               "model directory)")
        return None
    ft = None
    if finetune:
        ft = dataclasses.replace(config or FinetuneConfig(seed=seed), pooling=pooling, max_length=max_length)
    plan = EncoderPlan(Path(encoder), pooling=pooling, max_length=max_length, finetune=ft, copy=copy_encoder,
                       log=log)
    plan.check()
    return plan


def _train(records: list[GoldRecord], taxonomy: Taxonomy, output: str | Path, base: str | Path | None,
           seed: int, folds: int, min_examples: int, label_report: LabelReport | None, replace: bool,
           plan: EncoderPlan | None, log: Log, t0: float, unseen: UnseenCheck | None = None,
           keep_committee: bool = True) -> TrainResult:
    src = resolve_source(taxonomy, records, base, min_examples, log)
    src.embedder = tfidf_part(src.embedder, plan, base)
    segmenter = Segmenter(user_dict=str(src.user_dict))
    docs = prepare_many([r.text for r in records], segmenter)
    if src.sentiment is not None and src.manifest is not None:
        src.unseen = unseen if unseen is not None else _check_unseen(src, records, segmenter, log)
        src.sentiment_unseen = src.unseen.sentiment
    Y = gold_matrix(records, taxonomy)
    rules = rule_topics(taxonomy, Y, min_examples)
    warnings = [f"topic {t}: {why}" for t, why in rules.items()]
    for w in warnings:
        log(f"warning: {w}")
    rule_idx = [taxonomy.topic_ids.index(t) for t in rules]
    rule_mask = np.isin(np.arange(len(taxonomy.topics)), rule_idx)
    k = max(2, min(folds, len(records) // 5))
    if plan is not None and plan.finetune is not None:
        log(f"fine-tuning the encoder {k + 1} times (each fold, then all {len(records)} reviews)")
    fold_fits, Z = cross_validate(taxonomy, src, docs, records, rule_idx, k, seed, log, plan)
    band = oof_band(fold_fits, docs, records) if src.sentiment is None else None
    cv = cv_metrics(taxonomy, records, cv_predictions(fold_fits, docs, Z, Y, rule_mask, band))
    comps = _fit_parts(taxonomy, src, docs, records, rule_idx, seed, plan)
    if band is not None:
        comps.sentiment.band_ = band
    cal = calibrate(Z, Y, rule_mask)
    fold_calibration(comps.topics, cal)
    log("final model fitted")
    committee, why_not = _committee(fold_fits, cal, keep_committee, plan)
    manifest = _manifest(taxonomy, src, records, label_report, rules, cal, cv, k, seed, min_examples,
                         band, time.time() - t0)
    manifest["training"]["encoder"] = plan.describe() if plan is not None else None
    manifest["training"]["base_saw_labels"] = src.unseen.to_dict() if src.unseen is not None else None
    manifest["training"]["committee"] = (f"{len(committee)} topic detectors of the cross-validation folds"
                                         if committee is not None else f"none: {why_not}")
    path = save_bundle(comps, output, manifest_extra=manifest, user_dict=src.user_dict,
                       overwrite=replace, committee=committee)
    write_train_card(path)
    thresholds = dict(zip(taxonomy.topic_ids, (float(x) for x in cal.thresholds)))
    return TrainResult(path, json.loads((path / "manifest.json").read_text(encoding="utf-8")),
                       rules, thresholds, cv, warnings)


def _committee(folds: list[_Fold], cal: Calibration, keep: bool, plan: EncoderPlan | None
               ) -> tuple[Committee | None, str]:
    """The folds' topic detectors with the final calibration, or None and why not."""
    if not keep:
        return None, "not asked for (--no-committee)"
    if plan is not None and plan.finetune is not None:
        return None, "each fold fine-tuned its own encoder, which the bundle does not keep"
    members = [fold.comps.topics for fold in folds]
    for m in members:
        fold_calibration(m, cal)
    return Committee(members, f"the topic detectors of the {len(folds)} cross-validation folds"), ""


def _check_unseen(src: Source, records: list[GoldRecord], segmenter: Segmenter, log: Log) -> UnseenCheck:
    """Did the base's sentiment see the labelled reviews? If so, a copy that did not."""
    assert src.sentiment is not None and src.manifest is not None
    if not isinstance(src.embedder, TfidfEmbedder):
        return UnseenCheck("not checked", 0, "not checked whether the base saw the labelled reviews: "
                           "its sentiment reads encoder embeddings")
    check = unseen_base_sentiment(src.sentiment, src.embedder, src.manifest, records, segmenter, log)
    log(check.detail)
    return check


def _manifest(taxonomy: Taxonomy, src: Source, records: list[GoldRecord], report: LabelReport | None,
              rules: dict[str, str], cal: Calibration, cv: dict[str, Any], k: int, seed: int,
              min_examples: int, band: tuple[float, float] | None, seconds: float) -> dict[str, Any]:
    data_ref = {"file": Path(report.path).name if report else "<records>", "rows": len(records),
                "sha256": report.sha256 if report else _records_sha(records),
                "use": "topics, polarity" + (", sentiment" if src.sentiment is None else "")}
    t = cv["topics"]
    metrics: dict[str, Any] = {"topics_cv": {
        "micro_f1": t["micro_f1"], "macro_f1": t["macro_f1"],
        "topic_polarity_micro_f1": t["topic_polarity_micro_f1"],
        "polarity_accuracy_on_detected": t["polarity_accuracy_on_detected"],
        "taste_direction_accuracy": cv["taste_direction"]["accuracy"], "folds": k}}
    if "sentiment" in cv:
        metrics["topics_cv"]["sentiment_accuracy"] = cv["sentiment"]["accuracy"]
        metrics["topics_cv"]["sentiment_macro_f1"] = cv["sentiment"]["macro_f1"]
    return {
        "name": f"koubei trained on {data_ref['file']}",
        "description": f"Topics and polarity trained on {len(records)} labelled reviews"
                       + (f", starting from {src.base['path']}" if src.base else "") + ".",
        "created": today(), "seed": seed, "libraries": library_versions(),
        "dictionary": {"user_dict_sha256": file_sha256(src.user_dict)},
        "training_data": [data_ref],
        "training": {
            "recipe": "koubei train", "base": src.base, "folds": k, "min_examples": min_examples,
            "labels": report.to_dict() if report else None,
            "label_counts": _label_counts(taxonomy, records),
            "rule_based_topics": rules,
            "thresholds": dict(zip(taxonomy.topic_ids, (float(x) for x in cal.thresholds))),
            "calibration": {t: [round(float(a), 4), round(float(b), 4)]
                            for t, a, b in zip(taxonomy.topic_ids, cal.a, cal.b)},
            "sentiment": _sentiment_source(src, records),
            "neutral_band": list(band) if band else None, "seconds": round(seconds, 1)},
        "metrics": metrics, "cv_detail": cv,
    }


def _sentiment_source(src: Source, records: list[GoldRecord]) -> str:
    """Where the sentiment model came from and what the polarity head read (manifest and card)."""
    if src.sentiment is not None:
        return "reused from the base"
    if can_cross_fit(records):
        return (f"trained on the labels; the polarity head read it cross-fitted ({SENTIMENT_FOLDS} folds, "
                "each review scored by a model that did not see it)")
    return (f"trained on the labels; the polarity head read the full model (fewer than "
            f"{2 * SENTIMENT_FOLDS} pos or neg labels to cross-fit)")


def _label_counts(taxonomy: Taxonomy, records: list[GoldRecord]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {t: {} for t in taxonomy.topic_ids}
    for r in records:
        for t, pol in r.topics.items():
            out[t][pol] = out[t].get(pol, 0) + 1
    return out


def _records_sha(records: list[GoldRecord]) -> str:
    import hashlib

    blob = json.dumps([[r.text, r.sentiment, r.topics, list(r.taste_detail)] for r in records],
                      ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
