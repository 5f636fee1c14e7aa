"""One topic pass: a batch is encoded once, and the topic detector reads the reviews' clauses
when predicting as it does when fitted (``predict_proba(F, clause_F, clause_owner)``)."""

from __future__ import annotations

import numpy as np
import pytest

from koubei.classify.linear import WithDense
from koubei.model.predict import clause_spans, predict_docs
from koubei.model.review_model import ReviewModel
from koubei.text.docs import prepare_many

TEXTS = ["送得很快，但是味道太淡了，分量也少", "菜里吃出一只蟑螂", "咸淡刚好",
         "快递很快。包装完好。就是有点贵", ""]


def test_the_detector_reads_each_reviews_best_clause(default_model: ReviewModel) -> None:
    c = default_model.components
    enc = c.encode(prepare_many(TEXTS, default_model.segmenter))
    tpass = enc.topic_pass()
    assert tpass.clause_logit.shape == (len(enc.clauses), len(c.taxonomy.topics))
    for i, rows in enumerate(clause_spans(enc.owner, len(TEXTS))):
        assert len(rows) >= 1  # a review without clauses stands for itself
        assert np.array_equal(tpass.clause_max[i], tpass.clause_logit[rows.start:rows.stop].max(axis=0))
    # the same inputs as fitting takes, and the same probabilities as the pass
    assert np.array_equal(c.topics.predict_proba(enc.features, enc.clause_features, enc.owner), tpass.proba)
    # the clauses matter: read as one clause, the first review's taste complaint is weaker
    whole = c.topics.predict_proba(enc.features)
    taste = c.taxonomy.topic_ids.index("taste")
    assert tpass.proba[0, taste] > whole[0, taste]
    assert tpass.proba[0, taste] >= c.topics.thresholds_[taste]


def test_predict_docs_thresholds_the_same_pass(default_model: ReviewModel) -> None:
    c = default_model.components
    docs = prepare_many(TEXTS, default_model.segmenter)
    tpass = c.encode(docs).topic_pass()
    preds = predict_docs(c, docs)
    ids = c.taxonomy.topic_ids
    for p, row in zip(preds, tpass.proba):
        assert set(p.topics) == {ids[j] for j in np.flatnonzero(row >= c.topics.thresholds_)}
    assert preds[0].topics["taste"] == "neg" and preds[1].topics == {"hygiene_safety": "neg"}


def test_a_committee_member_in_the_models_place_reads_the_same_encoding(default_model: ReviewModel) -> None:
    c = default_model.components
    enc = c.encode(prepare_many(TEXTS, default_model.segmenter))
    assert np.array_equal(enc.topic_pass(c.topics).proba, enc.topic_pass().proba)
    assert enc.X is enc.X and enc.clause_features is enc.clause_features  # computed once


def test_side_columns_of_another_width_are_refused(default_model: ReviewModel) -> None:
    c = default_model.components
    enc = c.encode(prepare_many(TEXTS, default_model.segmenter))
    narrow = WithDense(enc.features.sparse, enc.features.dense[:, :-1])
    with pytest.raises(ValueError, match="dense columns, the detector passes"):
        c.topics.topic_pass(narrow, enc.clause_features, enc.owner)
