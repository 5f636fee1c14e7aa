"""The learnt parts of a bundle trained on labels: where they start from, and fitting them.

:func:`resolve_source` picks the vocabulary and sentiment (a base bundle's, or fitted on the
labelled texts); :func:`fit_parts` fits every learnt part on a set of labelled reviews, for each
cross-validation fold (:mod:`koubei.train.crossval`) and for the final bundle (:mod:`koubei.train.fit`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.model_selection import StratifiedKFold

from koubei.classify.lexicon import PolarityLexicon, load_lexicon
from koubei.classify.linear import scatter_columns, used_columns
from koubei.classify.polarity import TopicPolarityClassifier
from koubei.classify.sentiment import SentimentClassifier
from koubei.classify.topics import TopicDetector
from koubei.corpora import GoldRecord
from koubei.embed.wordvec import DenseView
from koubei.errors import IncompatibleModelError
from koubei.model.bundle import load_components
from koubei.model.predict import Components, side_width
from koubei.resources import default_model_path
from koubei.taxonomy import Taxonomy
from koubei.text.docs import Doc, prepare_many
from koubei.text.segment import Segmenter, user_dict_path
from koubei.train.default_recipe import (
    fit_direction_head,
    fit_embedder,
    fit_gold_sentiment,
    fit_topic_detector,
    gold_matrix,
)
from koubei.train.encoder import EncoderPlan, widen_sentiment
from koubei.train.rules import CueRuleTopicDetector
from koubei.train.unseen import UnseenCheck

Log = Callable[[str], None]
#: folds of the cross-fitted label sentiment that feeds the polarity head (no base)
SENTIMENT_FOLDS = 5


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
    #: the base's topic detector, when the base has these topics in this order: where every topic
    #: fit, the final one and each fold's, starts if it reads their columns (:func:`start_detector`)
    start: TopicDetector | None = None


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
    same_topics = tuple(comps.taxonomy.topic_ids) == tuple(taxonomy.topic_ids)
    return Source(comps.embedder, comps.sentiment, user_dict, comps.context_threshold, info, manifest,
                  dense=comps.dense, lexicon=comps.lexicon or load_lexicon(),
                  start=comps.topics if same_topics else None)


def start_detector(src: Source, taxonomy: Taxonomy) -> TopicDetector | None:
    """``src.start`` when it reads the columns a detector of ``taxonomy`` fitted on ``src``'s
    embedder and word vectors reads (so a fit can start from its weights), else None.

    Not, for one, the detector of a base with an encoder that is trained without one (its
    columns were the encoder's too).
    """
    det = src.start
    if det is None or getattr(det, "coef_", None) is None:
        return None
    side = side_width(taxonomy, src.dense)
    same = (det.coef_.shape[0] == len(taxonomy.topics) and det.passthrough == side
            and det.n_features_in_ == src.embedder.n_features_out_ + side)
    return det if same else None


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


def fit_parts(taxonomy: Taxonomy, src: Source, docs: list[Doc], recs: list[GoldRecord],
              rule_idx: list[int], seed: int, plan: EncoderPlan | None = None, tag: str = "final",
              cv: bool = False, init: TopicDetector | None = None) -> Components:
    """Fit every learnt part on ``docs``.

    ``cv``: a cross-validation fold, scored with the sentiment model that has not
    seen the labelled reviews (when the base's had; the final bundle keeps the base's).
    ``init``: a topic detector on the same features (the final one, for a fold) that the
    topic detector's fit starts from: fewer solver steps, the same optimum.
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
                                      dense=src.dense, sentiment_folds=folds, init=init)
    polarity = fit_polarity_compact(F, y)
    scorer = fit_gold_sentiment(unseen if cv else sentiment, unseen, embedder, docs, recs,
                                sentiment_folds=folds, lexicon=src.lexicon)
    comps = Components(taxonomy, embedder, scorer, topics, polarity,
                       src.context_threshold, dense=src.dense, lexicon=src.lexicon)
    comps.directions = fit_direction_head(comps, docs, recs)
    return comps


def fit_polarity_compact(F: sparse.spmatrix, y: np.ndarray, C: float = 2.0) -> TopicPolarityClassifier:
    """``TopicPolarityClassifier(C).fit(F, y)``, solved over the columns ``F`` uses.

    With L2 regularization, columns that are zero in every row get zero weight,
    so fitting on the used columns and scattering the weights back gives the
    same model; on a few hundred reviews over a 240k-column vocabulary that is
    ~50 times faster.
    """
    F = sparse.csr_matrix(F)
    used = used_columns(F)
    head = TopicPolarityClassifier(C=C).fit(F[:, used], y)
    head.coef_, head.n_features_in_ = scatter_columns(head.coef_, used, F.shape[1]), F.shape[1]
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
