"""Training code: pool dedupe rules on small frames, and a real fit on the gold labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from koubei.corpora import GoldRecord, load_gold
from koubei.metrics import topic_metrics
from koubei.model.predict import Components, predict_docs
from koubei.taxonomy import load_taxonomy
from koubei.text.docs import prepare_many
from koubei.train.default_recipe import build_sentiment_pool, fit_embedder, fit_sentiment, fit_topic_parts


def _gold(text: str, sentiment: str) -> GoldRecord:
    return GoldRecord(id="g", source="waimai", selection="random", text=text, sentiment=sentiment,
                      topics={}, taste_detail=())


def test_pool_dedupes_on_normalized_text_and_gold_wins() -> None:
    corpus = pd.DataFrame({
        "id": ["a", "b", "c", "d", "e"], "source": ["waimai", "hotel", "waimai", "shopping", "hotel"],
        "text": ["味道太淡了！", "味道太淡了!!", "送餐很快", "好坏参半", "好坏参半"],
        "label": [1, 1, 1, 1, 0],
    })
    pool = build_sentiment_pool(corpus, [_gold("味道太淡了!", "neg"), _gold("全新的一条", "pos")]).frame
    by_norm = dict(zip(pool["norm"], pool["label"]))
    assert by_norm["味道太淡了!"] == 0  # two corpus copies labelled pos, gold says neg
    assert by_norm["送餐很快"] == 1
    assert "好坏参半" not in by_norm  # contradictory corpus labels, no gold: dropped
    assert by_norm["全新的一条"] == 1  # gold-only text joins the pool
    assert pool["norm"].is_unique


@pytest.mark.corpora
@pytest.mark.slow
def test_topic_model_learns_on_real_gold_split(corpora_dir: Path) -> None:
    """Train on 80 % of the gold labels (fixed split) and check the held-out 20 %."""
    tax = load_taxonomy()
    gold = load_gold(corpora_dir)
    rng = np.random.default_rng(0)
    test_mask = rng.random(len(gold)) < 0.2
    docs = prepare_many([r.text for r in gold])
    tr = [i for i in range(len(gold)) if not test_mask[i]]
    te = [i for i in range(len(gold)) if test_mask[i]]
    embedder = fit_embedder(docs, min_df=2)
    polar = [i for i in tr if gold[i].sentiment != "neu"]  # a small sentiment model, train split only
    sentiment = fit_sentiment(embedder, [docs[i] for i in polar],
                              np.array([gold[i].sentiment == "pos" for i in polar], dtype=int))
    topics, polarity = fit_topic_parts(tax, embedder, sentiment, [docs[i] for i in tr],
                                       [gold[i] for i in tr])
    comps = Components(tax, embedder, sentiment, topics, polarity)
    preds = predict_docs(comps, [docs[i] for i in te])
    m = topic_metrics([gold[i].topics for i in te], [p.topics for p in preds], tax.topic_ids)
    # Floors well under the cross-validated figures in the README: a regression guard.
    assert m["micro_f1"] >= 0.70, m
    assert m["topic_polarity_micro_f1"] >= 0.60, m


def test_missing_corpora_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from koubei import corpora
    from koubei.errors import DataNotFoundError

    monkeypatch.delenv("KOUBEI_CORPORA", raising=False)
    monkeypatch.setattr(corpora, "data_root", lambda: tmp_path / "repo")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataNotFoundError, match="pass --data-dir or set KOUBEI_CORPORA"):
        corpora.find_corpora(tmp_path / "nowhere")
