"""scripts/eval_aspects.py: the AI Challenger 2018 reading, its label merging and its errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from scripts_loader import load_script

from koubei.errors import DataNotFoundError

E = load_script("eval_aspects")
ASPECTS = [*E.ASPECT_TOPICS, E.OVERALL]


def _sample(rows: list[tuple[str, dict[str, int]]]) -> pd.DataFrame:
    """Reviews with their labelled aspects; every other aspect not mentioned (-2)."""
    return pd.DataFrame([{"content": text, **{a: labels.get(a, -2) for a in ASPECTS}}
                         for text, labels in rows])


def test_a_topic_merges_its_aspects_and_leaves_out_both_sides() -> None:
    assert E.gold_topic([-2, -2, -2]) == -2
    assert E.gold_topic([-2, 0, 1]) == 1  # a neutral aspect beside praise: praise
    assert E.gold_topic([0, -2]) == 0
    assert E.gold_topic([1, -1]) is None  # decoration praised, noise blamed: no one label


def test_aspects_are_read_off_their_topic_and_the_overall_sentiment() -> None:
    df = _sample([("菜很好吃，就是服务员态度太差了", {"dish_taste": 1, "service_waiters_attitude": -1,
                                                   E.OVERALL: 0}),
                  ("环境很好，装修有格调，停车方便", {"environment_decoration": 1,
                                                   "service_parking_convenience": 1, E.OVERALL: 1})])
    topics = [{"taste": "pos", "service_attitude": "neg"}, {"environment_facilities": "pos"}]
    r = E.score(df, topics, ["neg", "pos"])
    assert r["aspects"]["dish_taste"]["macro_f1"] == 1.0  # pos, then not mentioned: both right
    assert r["aspects"]["service_waiters_attitude"]["macro_f1"] == 1.0
    # a topic stands for its finer aspects: noise was not mentioned, the topic was
    assert r["aspects"]["environment_noise"]["macro_f1"] == pytest.approx(1 / 3, abs=1e-4)
    assert r["aspects"][E.OVERALL]["topic"] == "sentiment"
    # neutral read as negative: classes 1 (right), 0 and -1 (wrong) held by the gold or the prediction
    assert r["aspects"][E.OVERALL]["macro_f1"] == pytest.approx(1 / 3, abs=1e-4)
    assert r["topics"]["environment_facilities"]["macro_f1"] == 1.0
    assert r["topics"]["environment_facilities"]["mentioned"] == 1
    assert r["reviews"] == 2


def test_a_review_whose_topic_takes_both_sides_is_left_out_of_that_topic() -> None:
    df = _sample([("装修不错，但是太吵了", {"environment_decoration": 1, "environment_noise": -1}),
                  ("味道一般", {"dish_taste": 0})])
    r = E.score(df, [{"environment_facilities": "neg"}, {"taste": "neg"}], ["neg", "neg"])
    assert r["topics"]["environment_facilities"]["reviews"] == 1
    assert r["topics"]["taste"]["reviews"] == 2


def test_a_topic_no_review_can_score_has_no_figure_and_is_left_out_of_the_mean() -> None:
    df = _sample([("装修不错，但是太吵了", {"environment_decoration": 1, "environment_noise": -1})])
    r = E.score(df, [{"environment_facilities": "neg"}], ["neg"])
    env = r["topics"]["environment_facilities"]
    assert (env["macro_f1"], env["reviews"], env["mentioned"]) == (None, 0, 0)
    assert r["mean_macro_f1_topics"] == 1.0  # the other topics: not mentioned, not found


def test_a_missing_sample_names_the_folder_to_pass(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match="--data-dir"):
        E.read_sample(tmp_path / "ai_challenger2018_sample_dev.csv")


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    _sample([("菜很好吃", {"dish_taste": 1})]).drop(columns=["dish_look"]).to_csv(path, index=False)
    with pytest.raises(ValueError, match="columns missing: dish_look"):
        E.read_sample(path)


def test_a_label_outside_the_four_names_file_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    df = _sample([("菜很好吃", {"dish_taste": 1}), ("服务员很热情", {"service_waiters_attitude": 1})])
    df["dish_taste"] = df["dish_taste"].astype(object)
    df.loc[1, "dish_taste"] = "好"
    df.to_csv(path, index=False)
    want = r"s\.csv, data row 2 \(after the header\), column dish_taste: '好' is not a label"
    with pytest.raises(ValueError, match=want):
        E.read_sample(path)


@pytest.mark.slow
def test_the_shipped_model_on_both_samples(corpora_dir: Path, tmp_path: Path) -> None:
    import json

    if not (corpora_dir / E.SAMPLES["dev"]).is_file():
        pytest.skip("AI Challenger samples absent from the shared corpora")
    out = tmp_path / "r.json"
    assert E.main(["--data-dir", str(corpora_dir), "--out", str(out)]) == 0
    r = json.loads(out.read_text(encoding="utf-8"))
    for sample in r["samples"].values():
        assert sample["reviews"] == 1000 - sample["left_out_trained_texts"]
        assert 0 < sample["mean_macro_f1_aspects"] < sample["mean_macro_f1_topics"] < 1
