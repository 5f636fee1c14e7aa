"""Three training bugs a review found, each pinned by a test that failed before its fix.

a. Cue-only (rule-based) topics: the other topics' clause-stacked second stage
   reads every topic's best first-stage clause logit; it was fitted on the
   logits of a regression learnt from a handful of examples, then read the
   rule's logits at prediction time. Now the rule is in place while fitting.
b. ``topic_contexts`` (which clauses the polarity head reads for a topic)
   compared the first-stage clause probability with the topic's calibrated
   decision threshold, a review-level probability on another scale, so a
   trained bundle's contexts were not those its polarity head was fitted on.
c. ``--base``: the base's sentiment model fed the polarity head even on
   labelled reviews it had been trained on (over-confident logits). Now a copy
   refitted without them does, when the base's training data can be found.
d. The same without a base: the sentiment model learnt from the labels fed the
   polarity head on its own training reviews. Now each review's polarity
   features are read with a label sentiment fitted on the other folds.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import koubei.train.fit as fit
import koubei.train.parts as parts
from koubei import load_model
from koubei.classify.topics import TopicDetector
from koubei.corpora import SENTIMENT_FILES
from koubei.errors import DataNotFoundError
from koubei.model.predict import topic_contexts
from koubei.resources import default_model_path
from koubei.taxonomy import load_taxonomy
from koubei.text.docs import prepare_many
from koubei.text.segment import Segmenter
from koubei.train import read_labels, train_bundle
from koubei.train.default_recipe import gold_matrix
from koubei.train.rules import CueRuleTopicDetector, rule_topics

DATA = Path(__file__).parent / "data" / "labelled_snacks.csv"
BASE = default_model_path()


def test_stacked_topics_are_fitted_on_the_rule_logits_they_read(monkeypatch: pytest.MonkeyPatch) -> None:
    tax = load_taxonomy()
    records, _ = read_labels(DATA, tax)
    rules = rule_topics(tax, gold_matrix(records, tax), 5)
    rule_idx = [tax.topic_ids.index(t) for t in rules]
    assert len(rule_idx) == 3  # authenticity_description (2 labels), function_performance, environment (0)
    src = parts.resolve_source(tax, records, BASE, 5, fit._quiet)
    docs = prepare_many([r.text for r in records], Segmenter(user_dict=str(src.user_dict)))
    seen: list[np.ndarray] = []
    stack = TopicDetector._stack_features

    def spy(Xs, M):  # type: ignore[no-untyped-def]
        seen.append(M.copy())
        return stack(Xs, M)

    monkeypatch.setattr(TopicDetector, "_stack_features", staticmethod(spy))
    comps = parts.fit_parts(tax, src, docs, records, rule_idx, seed=0)
    fitted_on = seen[0]  # the first call is the fit's; later ones are predictions
    read_at_prediction = comps.encode(docs).topic_pass().clause_max
    assert np.allclose(fitted_on[:, rule_idx], read_at_prediction[:, rule_idx], atol=1e-6)
    # and the rule topics themselves are cue-only in both stages
    cue0 = comps.topics.coef_.shape[1] - len(tax.topics)  # the cue columns come last
    for W in (comps.topics.coef_, comps.topics.stack_coef_):
        assert np.count_nonzero(W[rule_idx]) == len(rule_idx)
        assert all(W[j, cue0 + j] > 0 for j in rule_idx)
    assert isinstance(comps.topics, CueRuleTopicDetector)


def test_rule_detector_saves_as_a_plain_topic_detector() -> None:
    det = CueRuleTopicDetector.factory([1])(C=2.0, passthrough=3)
    assert det.rules == (1,)
    assert det.get_params() == TopicDetector(C=2.0, passthrough=3).get_params()


def test_polarity_contexts_do_not_depend_on_the_decision_thresholds(default_model) -> None:  # type: ignore[no-untyped-def]
    c = default_model.components
    records, _ = read_labels(DATA, load_taxonomy())
    docs = prepare_many([r.text for r in records], default_model.segmenter)
    sets = [[c.taxonomy.topic_ids.index(t) for t in r.topics] for r in records]
    enc = c.encode(docs)
    Pc = enc.topic_pass().clause_proba
    lowered = copy.copy(c)
    lowered.topics = copy.deepcopy(c.topics)
    lowered.topics.thresholds_ = np.full_like(c.topics.thresholds_, 0.15)  # e.g. calibrated thresholds
    args = (enc, sets, Pc)
    assert topic_contexts(lowered, *args) == topic_contexts(c, *args)  # type: ignore[arg-type]


# -- c: a base that saw the labelled reviews ----------------------------------------------

def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def fake_corpora(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """Corpora holding the snack reviews, and a copy of the default model 'trained' on them."""
    labelled = pd.read_csv(DATA)
    polar = labelled[labelled["sentiment"].isin(["pos", "neg"])].reset_index(drop=True)
    root = tmp_path / "corpora"
    refs = []
    for k, rel in enumerate(SENTIMENT_FILES.values()):
        part = polar.iloc[k::3]
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"id": range(len(part)), "review": part["text"],
                      "label": (part["sentiment"] == "pos").astype(int)}).to_csv(path, index=False)
        refs.append({"file": rel, "sha256": _sha(path), "use": "sentiment"})
    gold = root / "labels" / "gold_topics_train.jsonl"
    gold.parent.mkdir(parents=True)
    gold.write_text(json.dumps({"id": "g1", "text": "瓜子很香，好吃", "sentiment": "pos", "topics": {}},
                               ensure_ascii=False) + "\n", encoding="utf-8")
    refs.append({"file": "labels/gold_topics_train.jsonl", "sha256": _sha(gold), "use": "sentiment, topics"})
    base = Path(shutil.copytree(BASE, tmp_path / "base"))
    manifest = json.loads((base / "manifest.json").read_text(encoding="utf-8"))
    manifest["training_data"] = refs
    (base / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("KOUBEI_CORPORA", str(root))
    return root, base


def sentiments_fed_to_the_head(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The sentiment model each ``fit_topic_detector`` call reads for the polarity features, in call order."""
    fed: list[object] = []
    real = parts.fit_topic_detector

    def spy(taxonomy, embedder, sentiment_unseen, *a, **k):  # type: ignore[no-untyped-def]
        fed.append(sentiment_unseen)
        return real(taxonomy, embedder, sentiment_unseen, *a, **k)

    monkeypatch.setattr(parts, "fit_topic_detector", spy)
    return fed


def test_polarity_head_reads_a_sentiment_that_did_not_see_the_labels(
        fake_corpora: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, base = fake_corpora
    tax = load_taxonomy()
    records, report = read_labels(DATA, tax)
    labelled = records[:60]
    fed = sentiments_fed_to_the_head(monkeypatch)
    res = train_bundle(labelled, taxonomy=tax, output=tmp_path / "m", base=base, folds=2)
    saw = res.manifest["training"]["base_saw_labels"]
    n_polar = sum(r.sentiment in ("pos", "neg") for r in labelled)
    assert saw["status"] == "refitted" and saw["seen"] == n_polar
    base_sent = load_model(base).components.sentiment
    final = fed[-1]
    assert final is not base_sent and not np.array_equal(final.coef_, base_sent.coef_)  # type: ignore[attr-defined]
    assert final.band_ == base_sent.band_  # type: ignore[attr-defined]
    # the bundle still scores sentiment with the base's own model
    assert np.array_equal(load_model(res.path).components.sentiment.coef_, base_sent.coef_)
    assert "refitted without them" in (res.path / "MODEL_CARD.md").read_text(encoding="utf-8")


def test_base_that_did_not_see_the_labels_is_used_as_it_is(fake_corpora: tuple[Path, Path],
                                                           tmp_path: Path) -> None:
    _, base = fake_corpora
    tax = load_taxonomy()
    records, _ = read_labels(DATA, tax)
    unseen_texts = records[:12]
    renamed = [type(r)(**{**r.__dict__, "text": r.text + "（新评论）"}) for r in unseen_texts]
    res = train_bundle(renamed, taxonomy=tax, output=tmp_path / "m", base=base, folds=2)
    assert res.manifest["training"]["base_saw_labels"]["status"] == "no overlap"


def test_base_data_not_found_is_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def absent(*_: object) -> Path:
        raise DataNotFoundError("shared corpora not found")

    monkeypatch.setattr("koubei.train.unseen.find_corpora", absent)
    tax = load_taxonomy()
    records, _ = read_labels(DATA, tax)
    res = train_bundle(records[:12], taxonomy=tax, output=tmp_path / "m", base=BASE, folds=2)
    saw = res.manifest["training"]["base_saw_labels"]
    assert saw["status"] == "not checked" and "corpora" in saw["detail"]


@pytest.mark.slow
@pytest.mark.corpora
def test_default_base_on_gold_labels_refits_its_sentiment(corpora_dir: Path, tmp_path: Path) -> None:
    """The real case: models/default was trained on the gold labels (about 2 minutes)."""
    from koubei.corpora import load_gold
    from koubei.train.unseen import margin, unseen_base_sentiment

    gold = load_gold(corpora_dir)[:150]
    base = load_model(BASE)
    check = unseen_base_sentiment(base.components.sentiment, base.components.embedder, base.manifest, gold,
                                  base.segmenter, lambda _: None, corpora_dir)
    assert check.status == "refitted" and check.seen >= 140 and check.sentiment is not None
    docs = prepare_many([r.text for r in gold if r.sentiment in ("pos", "neg")], base.segmenter)
    y = np.array([r.sentiment == "pos" for r in gold if r.sentiment in ("pos", "neg")])
    X = base.components.embedder.transform(docs)
    # the base is over-confident on reviews it was trained on; the refitted copy less so (measured
    # on these 144, mean signed logit: 4.13 against 3.71 with the bundle of 2026-12-04, 4.05 against
    # 3.95 with that of 2026-12-07: how much less moves with each retrain)
    assert margin(check.sentiment, X, y) < margin(base.components.sentiment, X, y) - 0.05
    right = [((s.pooled_decision(X) > 0) == y).mean() for s in (base.components.sentiment, check.sentiment)]
    assert right[0] > right[1]


def test_without_base_the_polarity_head_reads_out_of_fold_label_sentiment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    tax = load_taxonomy()
    records, _ = read_labels(DATA, tax)
    src = parts.resolve_source(tax, records, None, 5, fit._quiet)
    assert src.sentiment is None  # 57 neg, 32 pos: sentiment is learnt from the labels
    docs = prepare_many([r.text for r in records], Segmenter(user_dict=str(src.user_dict)))
    fed: list[object] = []
    real = parts.fit_topic_detector

    def spy(*a, **k):  # type: ignore[no-untyped-def]
        fed.append(k.get("sentiment_folds"))
        return real(*a, **k)

    monkeypatch.setattr(parts, "fit_topic_detector", spy)
    comps = parts.fit_parts(tax, src, docs, records, [], seed=0)
    folds = fed[-1]
    assert folds is not None and len(folds) == parts.SENTIMENT_FOLDS
    rows = np.concatenate([r for r, _ in folds])
    assert sorted(rows.tolist()) == list(range(len(records)))  # every review read once
    X = comps.embedder.transform(docs)
    y = np.array([r.sentiment == "pos" for r in records])
    polar = np.array([r.sentiment in ("pos", "neg") for r in records])
    full = comps.sentiment.pooled_decision(X)  # the bundle's model, trained on every review
    oof = np.empty(len(records))
    for r, model in folds:
        assert model is not comps.sentiment
        oof[r] = model.pooled_decision(X[r])
    signed = lambda z: float(np.mean(np.where(y, z, -z)[polar]))  # noqa: E731
    # in-sample logits are over-confident; out-of-fold ones are what a new review gets
    assert signed(oof) < signed(full)


def test_too_few_sentiment_labels_to_cross_fit_reads_the_full_label_sentiment() -> None:
    tax = load_taxonomy()
    records, _ = read_labels(DATA, tax)
    pos = [r for r in records if r.sentiment == "pos"][:9]
    neg = [r for r in records if r.sentiment == "neg"][:20]
    docs = prepare_many([r.text for r in pos + neg], Segmenter())
    src = parts.resolve_source(tax, pos + neg, None, 5, fit._quiet)
    assert parts.cross_fitted_sentiment(src.embedder, docs, pos + neg, seed=0) is None  # 9 pos < 2 × 5
    one_more = parts.cross_fitted_sentiment(src.embedder, docs + docs[:1], pos + neg + pos[:1], seed=0)
    assert one_more is not None


def test_a_precomputed_unseen_sentiment_is_reused_not_refitted(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    tax = load_taxonomy()
    records, _ = read_labels(DATA, tax)
    base_sent = load_model(BASE).components.sentiment
    refit = copy.deepcopy(base_sent)
    refit.coef_ = refit.coef_ * 0.5  # type: ignore[attr-defined]
    given = fit.UnseenCheck("refitted", 7, "refitted once by the caller", refit)

    def never(*_: object, **__: object) -> None:
        raise AssertionError("the base's sentiment was refitted although a check was given")

    monkeypatch.setattr(fit, "unseen_base_sentiment", never)
    fed = sentiments_fed_to_the_head(monkeypatch)
    res = train_bundle(records[:40], taxonomy=tax, output=tmp_path / "m", base=BASE, folds=2, unseen=given)
    assert res.manifest["training"]["base_saw_labels"] == given.to_dict()
    assert np.array_equal(fed[-1].coef_, refit.coef_)  # type: ignore[attr-defined]


def test_the_model_card_says_whether_the_head_read_cross_fitted_sentiment(tmp_path: Path) -> None:
    tax = load_taxonomy()
    records, _ = read_labels(DATA, tax)
    few = [r for r in records if r.sentiment == "pos"][:6] + [r for r in records if r.sentiment == "neg"][:20]
    res = train_bundle(few, taxonomy=tax, output=tmp_path / "m", folds=2)  # 6 pos: no cross-fit
    said = res.manifest["training"]["sentiment"]
    assert said.startswith("trained on the labels") and "full model (fewer than 10 pos or neg" in said
    assert said in (res.path / "MODEL_CARD.md").read_text(encoding="utf-8")
