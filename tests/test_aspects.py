"""Aspect-level sets (tianchi cosmetics, ASAP) as extra pairs for the polarity head."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from koubei.classify.polarity import TopicPolarityClassifier
from koubei.corpora import (
    ASAP_TOPICS,
    TIANCHI_LABELS,
    TIANCHI_TOPICS,
    AspectRecord,
    load_aspect_records,
    load_gold,
    load_unlabelled,
    merge_polarities,
)
from koubei.taxonomy import load_taxonomy
from koubei.text.docs import prepare_many
from koubei.text.normalize import normalize
from koubei.train.default_recipe import AspectPairs, fit_embedder, fit_sentiment, fit_topic_parts


def test_merge_polarities_keeps_one_side_and_drops_both() -> None:
    assert merge_polarities(["neg"]) == "neg"
    assert merge_polarities(["neu", "pos", "pos"]) == "pos"  # a neutral mention next to praise
    assert merge_polarities(["neu", "neu"]) == "neu"
    assert merge_polarities(["pos", "neg"]) is None  # praised and criticised: the side is unknown
    assert merge_polarities(["pos", "neu", "neg"]) is None


def test_pairs_keep_only_the_taxonomy_topics() -> None:
    tax = load_taxonomy()
    recs = [AspectRecord("a", "restaurant", "菜很好吃，就是价格有点贵", {"taste": "pos", "price_value": "neg",
                                                                "dish_look": "pos"}),
            AspectRecord("b", "restaurant", "摆盘好看", {"dish_look": "pos"})]
    pairs = AspectPairs.build(recs, tax, weight=0.5)
    assert len(pairs.docs) == 1  # the second review has no topic of the taxonomy
    assert [tax.topic_ids[j] for j in pairs.topic_sets[0]] == sorted(
        ["taste", "price_value"], key=tax.topic_ids.index)
    by_topic = dict(zip([tax.topic_ids[j] for j in pairs.topic_sets[0]], pairs.polarities))
    assert by_topic == {"taste": "pos", "price_value": "neg"}
    assert pairs.weight == 0.5


def test_polarity_head_weights_pairs() -> None:
    rng = np.random.default_rng(0)
    F = rng.normal(size=(60, 5))
    y = np.where(F[:, 0] > 0, "pos", "neg")
    extra = rng.normal(size=(30, 5))
    F2 = np.vstack([F, extra])
    y2 = np.concatenate([y, np.where(extra[:, 1] > 0, "pos", "neg")])  # another rule
    base = TopicPolarityClassifier().fit(F, y)
    zero = TopicPolarityClassifier().fit(F2, y2, sample_weight=np.r_[np.ones(60), np.zeros(30)])
    full = TopicPolarityClassifier().fit(F2, y2)
    np.testing.assert_allclose(zero.coef_, base.coef_, atol=1e-4)  # weight 0: as if absent
    assert abs(full.coef_[2, 1] - base.coef_[2, 1]) > 0.1  # weight 1: the other rule shows


@pytest.mark.corpora
def test_tianchi_and_asap_records_map_to_topics(corpora_dir: Path) -> None:
    tax = load_taxonomy()
    recs = load_aspect_records(corpora_dir)
    by_id = {r.id: r for r in recs}
    # tianchi 3: 包装太随便了，连个包装盒都没有 (包装, 负面)
    assert by_id["tianchi-3"].topics == {"packaging": "neg"}
    assert by_id["tianchi-3"].text.startswith("包装太随便了")
    assert {t for r in recs for t in r.topics} <= set(tax.topic_ids)
    assert {r.source for r in recs} == {"cosmetics", "restaurant"}
    restaurant = [r for r in recs if r.source == "restaurant"]
    assert 250 < len(restaurant) < 300  # ASAP reviews whose only mapped aspect was taste are skipped
    assert not any("taste" in r.topics for r in recs)  # dish_taste is left out (see ASAP_TOPICS)
    assert any(r.topics.get("service_attitude") == "neg" for r in restaurant)
    with_taste = load_aspect_records(corpora_dir, asap_topics={**ASAP_TOPICS, "dish_taste": "taste"})
    assert sum(r.source == "restaurant" for r in with_taste) == 300  # evaluate.py --aspect-taste
    assert sum("taste" in r.topics for r in with_taste) > 250
    # A tianchi review whose category is praised and criticised keeps no polarity for its topic.
    labels = pd.read_csv(corpora_dir / TIANCHI_LABELS)
    labels = labels[labels["Categories"].isin(list(TIANCHI_TOPICS))]
    sides = labels[labels["Polarities"] != "中性"].groupby(["id", "Categories"])["Polarities"].nunique()
    rid, cat = sides[sides > 1].index[0]
    topic = TIANCHI_TOPICS[cat]
    assert topic not in by_id.get(f"tianchi-{rid}", AspectRecord("", "", "", {})).topics


@pytest.mark.corpora
def test_gold_texts_can_be_left_out(corpora_dir: Path) -> None:
    gold = {normalize(r.text) for r in load_gold(corpora_dir)}
    every = load_aspect_records(corpora_dir)
    kept = load_aspect_records(corpora_dir, exclude=gold)
    assert len(kept) < len(every)  # 99 gold reviews are tianchi reviews
    assert not any(normalize(r.text) in gold for r in kept)
    texts = load_unlabelled(corpora_dir, exclude=gold)
    assert len(texts) < len(load_unlabelled(corpora_dir))
    assert not any(normalize(t) in gold for t in texts)


@pytest.mark.corpora
@pytest.mark.slow
def test_fit_topic_parts_feeds_aspect_pairs_to_the_head(corpora_dir: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Gold pairs at weight 1, then every aspect pair at its weight (weight 0 would give the
    gold-only head: test_polarity_head_weights_pairs); the detector learns from gold alone."""
    tax = load_taxonomy()
    gold = load_gold(corpora_dir)[:300]
    docs = prepare_many([r.text for r in gold])
    embedder = fit_embedder(docs, min_df=2)
    polar = [i for i, r in enumerate(gold) if r.sentiment != "neu"]
    sentiment = fit_sentiment(embedder, [docs[i] for i in polar],
                              np.array([gold[i].sentiment == "pos" for i in polar], dtype=int))
    recs = [r for r in load_aspect_records(corpora_dir, exclude={d.norm for d in docs})
            if r.source == "restaurant"]
    pairs = AspectPairs.build(recs, tax, weight=0.4)
    seen = {}
    real_fit = TopicPolarityClassifier.fit

    def spy(self, F, y, sample_weight=None):
        seen.update(rows=F.shape[0], y=list(y), w=sample_weight)
        return real_fit(self, F, y, sample_weight=sample_weight)

    monkeypatch.setattr(TopicPolarityClassifier, "fit", spy)
    _, head = fit_topic_parts(tax, embedder, sentiment, docs, gold, aspects=pairs)
    n_gold = sum(len(r.topics) for r in gold)
    assert seen["rows"] == n_gold + len(pairs.polarities)
    assert seen["y"][n_gold:] == pairs.polarities
    np.testing.assert_array_equal(seen["w"][:n_gold], 1.0)
    np.testing.assert_array_equal(seen["w"][n_gold:], 0.4)
    assert head.coef_.shape[0] == 3


def test_card_names_the_aspect_pairs() -> None:
    import json

    from koubei.model.card import aspect_lines, render_card
    from koubei.resources import models_path

    manifest = json.loads((models_path("default") / "manifest.json").read_text(encoding="utf-8"))
    info = manifest["training"]["aspect_pairs"]
    card = render_card(manifest)
    assert f"{info['pairs']:,} (review, topic) pairs" in card
    assert "aspects/asap_sample_train.csv" in card
    assert aspect_lines(None) == [] and aspect_lines({"pairs": 0, "reviews": 0, "weight": 0.4}) == []


def test_missing_aspect_files_name_the_files(tmp_path: Path) -> None:
    from koubei.errors import DataNotFoundError

    (tmp_path / "aspects").mkdir()
    (tmp_path / "aspects" / "asap_sample_train.csv").write_text("index,reviewbody\n", encoding="utf-8")
    with pytest.raises(DataNotFoundError, match=r"tianchi2019_cosmetics_labels\.csv.*asap_sample_dev\.csv"):
        load_aspect_records(tmp_path)
