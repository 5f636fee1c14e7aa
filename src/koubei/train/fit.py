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
  detector's last stage) and tune its decision threshold for F1, shrunk toward
  one threshold shared by the learnt topics (:mod:`koubei.train.calibrate`); both are
  stored in the bundle (``TopicDetector.thresholds_``). The cross-validated
  metrics use, for each fold, thresholds tuned on the other folds only.
  Each fold's topic fit starts from weights near its optimum (see
  :func:`koubei.train.crossval.cross_validate`): a ``base`` of the same topics
  and columns gives its detector to them and to the final fit, which then runs
  beside the folds; otherwise the final fit comes first, from zeros, and the
  folds start from it.
- **encoder** (optional): with ``encoder``, a transformer encoder's vectors
  sit beside the TF-IDF columns (:mod:`koubei.train.encoder`).
- **a base that saw the labels**: the polarity head is fed by a copy of the
  base's sentiment refitted without them (:mod:`koubei.train.unseen`).
- **no base**: the polarity head is fed by label sentiments cross-fitted over
  5 folds (:func:`koubei.train.parts.cross_fitted_sentiment`), for the same reason.
- **committee**: the k folds' topic detectors, calibrated like the final
  one, are kept in the bundle for ``koubei suggest`` (:mod:`koubei.model.committee`);
  not with ``finetune`` (each fold has its own fine-tuned encoder).
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from koubei.corpora import GoldRecord
from koubei.embed.finetune import FinetuneConfig
from koubei.embed.tfidf import TfidfEmbedder
from koubei.errors import EncoderError, LabelError, OutputError
from koubei.model.bundle import save_bundle
from koubei.model.committee import Committee
from koubei.resources import default_model_path
from koubei.taxonomy import Taxonomy
from koubei.text.docs import prepare_many
from koubei.text.segment import Segmenter
from koubei.train.calibrate import Calibration, calibrate, fold_calibration
from koubei.train.crossval import Fold, cross_validate, cv_metrics, cv_predictions, oof_band
from koubei.train.default_recipe import gold_matrix
from koubei.train.encoder import EncoderPlan, tfidf_part
from koubei.train.label_file import LabelReport
from koubei.train.manifest import train_manifest
from koubei.train.parts import Log, Source, resolve_source
from koubei.train.rules import rule_topics
from koubei.train.train_card import write_train_card
from koubei.train.unseen import UnseenCheck, unseen_base_sentiment

MIN_REVIEWS = 10


def _quiet(_: str) -> None:
    pass


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


def train_bundle(records: Sequence[GoldRecord], *, taxonomy: Taxonomy, output: str | Path,
                 base: str | Path | None = None, seed: int = 0, folds: int = 5,
                 min_examples: int = 5, label_report: LabelReport | None = None,
                 overwrite: bool = False, encoder: str | Path | None = None, finetune: bool = False,
                 pooling: str = "mean", max_length: int = 128, copy_encoder: bool = False,
                 finetune_config: FinetuneConfig | None = None, log: Log = _quiet,
                 unseen: UnseenCheck | None = None, committee: bool = True, workers: int = 1) -> TrainResult:
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
        workers: processes fitting the cross-validation folds side by side, and the fit on
            all the labels with a base of the same topics (not with ``encoder``); 1 (the
            default here) fits them one after the other in this process, ``koubei train
            --workers 0`` asks for one per CPU core. Each worker holds about what a fold's
            fit needs. The bundle is the same for any number.

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
                      plan, log, t0, unseen, committee, workers)
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
           keep_committee: bool = True, workers: int = 1) -> TrainResult:
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
        log(f"fine-tuning the encoder {k + 1} times (all {len(records)} reviews, then each fold)")
    comps, fold_fits, Z = cross_validate(taxonomy, src, docs, records, rule_idx, k, seed, log, plan,
                                         workers=workers)
    band = oof_band(fold_fits, docs, records) if src.sentiment is None else None
    cv = cv_metrics(taxonomy, records, cv_predictions(fold_fits, docs, Z, Y, rule_mask, band))
    if band is not None:
        comps.sentiment.band_ = band
    cal = calibrate(Z, Y, rule_mask)
    fold_calibration(comps.topics, cal)
    committee, why_not = _committee(fold_fits, cal, keep_committee, plan)
    manifest = train_manifest(taxonomy, src, records, label_report, rules, cal, cv, k, seed, min_examples,
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


def _committee(folds: list[Fold], cal: Calibration, keep: bool, plan: EncoderPlan | None
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
