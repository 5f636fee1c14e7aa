"""``koubei suggest``: uncertain and diverse picks with reasons, files ready for labelling."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from koubei.cli import app
from koubei.errors import InputError
from koubei.io import canonicalize
from koubei.model.review_model import ReviewModel
from koubei.taxonomy import load_taxonomy
from koubei.text.docs import prepare_many
from koubei.train import read_labels, suggest
from koubei.train.scores import model_scores
from koubei.train.suggest import topic_weights, uncertainty

# 30 near-duplicates of one hesitant review, then a varied set.
NEAR_DUPES = [f"东西还行吧，就是{w}有点那个" for w in (
    "口味", "味道", "口感", "吃起来", "尝着", "感觉", "整体", "总体", "这次", "上次", "今天", "昨天",
    "包装", "外观", "颜色", "样子", "形状", "块头", "个头", "分量", "价格", "价钱", "质量", "做工",
    "快递", "物流", "速度", "服务", "客服", "售后")]
VARIED = ["味道太淡了，没什么味", "送餐太慢，等了两个小时", "包装破了汤洒了一袋子",
          "分量太少了，根本吃不饱", "价格实惠，性价比很高", "客服态度很差，问了半天不理人",
          "菜里吃出一根头发", "申请退款一周了还没处理",
          "送错了，我点的是鸡腿饭", "饼干受潮了，不脆", "还可以吧，下次看看", "一般般，说不上好坏",
          "孩子挺喜欢的，就是甜了点", "快递挺快，味道普通", "这个价钱嘛，也就这样"]
runner = CliRunner()


def _frame(texts: list[str]) -> pd.DataFrame:
    return canonicalize(pd.DataFrame({"text": texts}))


def test_suggestions_are_diverse_and_uncertain(default_model: ReviewModel) -> None:
    texts = NEAR_DUPES + VARIED
    res = suggest(_frame(texts + NEAR_DUPES[:5]), default_model, n=6)  # exact repeats dropped
    assert res.candidates == len(texts)
    picked = res.frame["text"].tolist()
    assert len(picked) == len(set(picked)) == 6
    assert sum(t in NEAR_DUPES for t in picked) <= 2, picked
    s = model_scores(default_model.components, prepare_many(texts, default_model.segmenter))
    u = uncertainty(default_model, s).score
    assert res.frame["uncertainty"].iloc[0] == pytest.approx(u.max(), abs=1e-4)
    assert res.frame["uncertainty"].is_monotonic_decreasing
    assert res.frame["uncertainty"].mean() > pd.Series(u).median()
    assert res.frame["rank"].tolist() == [1, 2, 3, 4, 5, 6]
    for r in res.frame["reason"]:
        assert "cluster" in r and "聚类" in r and (" near " in r or "unsure" in r), r


def test_polarity_margins_are_those_of_the_pairs_predict_reads(default_model: ReviewModel) -> None:
    """A mention said after a contrast is read with its clause's sentiment (predict.after_contrast);
    the margins suggest ranks by are the head's on that reading, not on the review-level one."""
    from koubei.model.predict import after_contrast, clause_spans, detect_topics, pair_matrix, topic_contexts

    c = default_model.components
    docs = prepare_many(["价格实惠，但是送得太慢"], default_model.segmenter)
    margin = model_scores(c, docs).polarity_margin[0]
    enc = c.encode(docs)
    tp = enc.topic_pass()
    sets = detect_topics(c, enc, tp)
    ctx = topic_contexts(c, enc, sets, tp.clause_proba)
    alone = after_contrast(enc, ctx, clause_spans(enc.owner, 1))
    assert alone.any()
    probs = np.sort(c.polarity.predict_proba(pair_matrix(c, enc.X, enc.Xc, ctx, sets,
                                                         c.sentiment.pooled_decision(enc.X), alone)), axis=1)
    assert [margin[j] for j in sets[0]] == pytest.approx((probs[:, -1] - probs[:, -2]).tolist())


HYGIENE = ["吃完肚子有点不舒服", "餐具好像没洗干净", "不知道干不干净，有点担心", "店里苍蝇有点多"]


def test_rarely_labelled_topics_come_first(default_model: ReviewModel) -> None:
    texts = NEAR_DUPES + VARIED + HYGIENE
    ids = default_model.taxonomy.topic_ids
    plain = suggest(_frame(texts), default_model, n=5).frame
    assert weights_of(default_model) == [1.0] * len(ids)  # the default has no label counts
    # without label counts no reason speaks of them (a hygiene review may still be picked for its
    # own uncertainty: 店里苍蝇有点多 sits near hygiene's threshold)
    assert not any("labelled so far" in r for r in plain["reason"])
    rare = copy.copy(default_model)  # as if trained on labels with 3 hygiene reviews and 400 of the rest
    rare.manifest = {**default_model.manifest, "training": {"label_counts": {
        t: {"neg": 3} if t == "hygiene_safety" else {"neg": 300, "pos": 100} for t in ids}}}
    w = weights_of(rare)
    assert w[ids.index("hygiene_safety")] == 1.0 and w[ids.index("taste")] == pytest.approx(2 / 401 ** 0.5)
    picked = suggest(_frame(texts), rare, n=5).frame
    assert picked["text"].iloc[0] in HYGIENE  # (unweighted, one may still come first, for its sentiment)
    first = picked["reason"].iloc[0]
    assert "topic hygiene_safety" in first and "3 labelled so far" in first


def weights_of(model: ReviewModel) -> list[float]:
    return [round(float(x), 12) for x in topic_weights(model)]


def test_every_candidate_when_n_is_large(default_model: ReviewModel) -> None:
    res = suggest(_frame(VARIED), default_model, n=100)
    assert sorted(res.frame["text"]) == sorted(VARIED)
    assert set(res.frame["cluster_size"]) == {1}


def test_nothing_to_suggest(default_model: ReviewModel) -> None:
    with pytest.raises(InputError, match="no readable reviews"):
        suggest(_frame(["", "。。。"]), default_model, n=3)


def test_suggest_cli_writes_a_labelling_file_and_tasks(tmp_path: Path) -> None:
    pd.DataFrame({"评论内容": NEAR_DUPES + VARIED}).to_csv(tmp_path / "u.csv", index=False)
    out, tasks = tmp_path / "to_label.csv", tmp_path / "tasks.json"
    res = runner.invoke(app, ["suggest", str(tmp_path / "u.csv"), "-n", "5", "-o", str(out),
                              "--label-studio", str(tasks)])
    assert res.exit_code == 0, res.output
    assert "5 of 45 distinct reviews suggested" in res.output
    assert "(uncertainty)" in res.output and "note:" not in res.output  # the default has no committee
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(table.columns[:7]) == ["rank", "review_id", "text", "sentiment", "topics", "taste_detail",
                                       "checked"]
    data = json.loads(tasks.read_text(encoding="utf-8"))
    assert [t["data"]["text"] for t in data] == table["text"].tolist()
    assert all(t["predictions"][0]["result"] for t in data)
    assert (tmp_path / "tasks.label_config.xml").is_file()
    again = runner.invoke(app, ["suggest", str(tmp_path / "u.csv"), "-n", "5", "-o", str(out)])
    assert again.exit_code == 3 and "--overwrite" in again.output
    # the pre-filled file goes back into training once rows are checked
    table.loc[:1, "checked"] = "1"
    table.to_csv(tmp_path / "checked.csv", index=False)
    records, report = read_labels(tmp_path / "checked.csv", load_taxonomy())
    assert len(records) == 2 and report.skipped == {"not checked": 3}


VERDICTS = ["超级棒", "一般", "强烈推荐", "五星好评啊"]


def test_a_review_of_verdicts_alone_is_never_asked_about_its_topics(default_model: ReviewModel) -> None:
    """超级棒 sits right at taste's threshold (the detector learnt 棒 from praised dishes), but the
    verdicts-only rule drops its topics whatever the detector says: labelling them is wasted."""
    from koubei.train.suggest import settled_topics

    docs = prepare_many(VERDICTS + VARIED, default_model.segmenter)
    s = model_scores(default_model.components, docs)
    settled = settled_topics(default_model, docs)
    assert settled.tolist() == [True] * len(VERDICTS) + [False] * len(VARIED)
    before = uncertainty(default_model, s)
    assert before.kind[0] == "topic" and before.score[0] > 0.8  # what it would ask without the rule
    after = uncertainty(default_model, s, settled)
    assert set(after.kind[:len(VERDICTS)]) == {"sentiment"}
    assert after.kind[len(VERDICTS):] == before.kind[len(VERDICTS):]
    assert after.score[len(VERDICTS):] == pytest.approx(before.score[len(VERDICTS):])
    picked = suggest(_frame(VERDICTS + VARIED), default_model, n=len(VERDICTS) + len(VARIED)).frame
    for text, r in zip(picked["text"], picked["reason"]):
        assert text not in VERDICTS or "sentiment P(pos)" in r, (text, r)
