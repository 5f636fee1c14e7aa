"""The learnt taste direction head (koubei.classify.taste_head): what it reads, what it learns
that the lexicon rules cannot, its errors, and its place in a bundle."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from koubei.classify.taste import TasteDirector
from koubei.classify.taste_head import TasteDirectionHead, direction_features
from koubei.corpora import GoldRecord
from koubei.embed.tfidf import TfidfEmbedder
from koubei.taxonomy import load_taxonomy
from koubei.text.docs import prepare_many

TAX = load_taxonomy()
DIRECTOR = TasteDirector(TAX)
DIRECTIONS = [d.id for d in TAX.taste_directions]

# The team's own mentions. The labels follow the guideline: merely sour fruit is bad in
# general (the rules say off flavour: 太酸了 holds the cue 酸了); spoilt food is off flavour.
SOUR_FRUIT = ["苹果太酸了", "橙子太酸了，不甜", "这批橘子太酸了", "葡萄太酸了吃不下", "柚子太酸了，失望",
              "草莓太酸了", "李子太酸了，一般", "猕猴桃太酸了"]
SPOILT = ["牛奶酸了，变质了", "饭菜馊了，有股馊味", "粥都馊了", "豆浆发酸变味了", "汤是馊的，变味了",
          "包子有股怪味", "肉有哈喇味", "面包变味了，有怪味"]
SALTY = ["太咸了，齁死", "菜太咸了", "汤太咸了，喝不下", "咸得要命", "盐放太多了", "鸡翅太咸了",
         "薯片太咸", "咸菜都没这么咸，太咸了"]


def _mentions(texts: list[str]) -> list[list[str]]:
    return [direction_features(DIRECTOR, [t], []) for t in texts]


@pytest.fixture(scope="module")
def fitted() -> tuple[TasteDirectionHead, TfidfEmbedder]:
    texts = SOUR_FRUIT + SPOILT + SALTY
    y = [["bad_general"]] * len(SOUR_FRUIT) + [["off_flavor"]] * len(SPOILT) + [["too_salty"]] * len(SALTY)
    emb = TfidfEmbedder(min_df=1).fit(prepare_many(texts))
    head = TasteDirectionHead().fit(_mentions(texts), emb.transform(prepare_many(texts)), y, DIRECTIONS,
                                    fallback=TAX.fallback_direction)
    return head, emb


def _predict(head: TasteDirectionHead, emb: TfidfEmbedder, texts: list[str]) -> list[list[str]]:
    return head.predict(_mentions(texts), emb.transform(prepare_many(texts)))


def test_the_features_are_the_rules_reading_by_direction_and_cue() -> None:
    names = direction_features(DIRECTOR, ["苹果太酸了"], ["物流很快，就是太咸"])
    assert "R:off_flavor" in names and "T:off_flavor" in names and "Tc:酸了" in names
    assert "O:too_salty" in names and "Oc:太咸" in names
    assert not any(n.startswith("T:too_salty") for n in names)  # the other clause is not the mention's
    assert direction_features(DIRECTOR, ["不会太咸"], []) == ["R:bad_general"]  # a denied cue names nothing


def test_it_learns_that_merely_sour_fruit_is_bad_in_general(fitted) -> None:
    head, emb = fitted
    new = ["梨子太酸了", "米饭馊了", "鸭脖太咸了"]
    assert [DIRECTOR.directions([t])[0] for t in new] == [["off_flavor"], ["off_flavor"], ["too_salty"]]
    assert _predict(head, emb, new) == [["bad_general"], ["off_flavor"], ["too_salty"]]


def test_a_direction_no_mention_had_is_never_said_and_one_is_always_given(fitted) -> None:
    head, emb = fitted
    texts = ["太甜了，齁甜", "说不上来"]
    p = head.predict_proba(_mentions(texts), emb.transform(prepare_many(texts)))
    assert p.shape == (2, len(DIRECTIONS))
    assert np.all(p[:, DIRECTIONS.index("too_sweet")] < 1e-9)  # never labelled, never said
    assert all(len(d) >= 1 for d in _predict(head, emb, texts))


def test_a_mention_may_get_two_directions(fitted) -> None:
    _, emb = fitted
    both = ["又咸又油", "太咸太油了", "咸死了还油腻", "菜太咸了，油也太多"]
    texts = SALTY + both
    head = TasteDirectionHead().fit(_mentions(texts), emb.transform(prepare_many(texts)),
                                    [["too_salty"]] * len(SALTY) + [["too_salty", "too_oily"]] * len(both),
                                    DIRECTIONS)
    assert _predict(head, emb, ["鸡翅又咸又油", "鸡翅太咸了"]) == [["too_salty", "too_oily"], ["too_salty"]]


def test_the_fallback_direction_is_said_only_alone(fitted) -> None:
    """The guideline: bad_general only when no direction is named. Fitted on mentions labelled
    both ways, the per-direction regressions give both; the head keeps the named one."""
    _, emb = fitted
    texts = SOUR_FRUIT + SALTY
    y = [["bad_general"]] * len(SOUR_FRUIT) + [["too_salty", "bad_general"]] * len(SALTY)
    X = emb.transform(prepare_many(texts))
    loose = TasteDirectionHead().fit(_mentions(texts), X, y, DIRECTIONS)
    strict = TasteDirectionHead().fit(_mentions(texts), X, y, DIRECTIONS, fallback="bad_general")
    assert _predict(loose, emb, ["鸭脖太咸了"]) == [["too_salty", "bad_general"]]
    assert _predict(strict, emb, ["鸭脖太咸了", "梨子太酸了"]) == [["too_salty"], ["bad_general"]]
    with pytest.raises(ValueError, match="fallback direction too_sour is not one of"):
        TasteDirectionHead().fit(_mentions(texts), X, y, DIRECTIONS, fallback="too_sour")


def test_state_round_trip_gives_the_same_probabilities(fitted) -> None:
    head, emb = fitted
    meta, arrays = head.to_state()
    again = TasteDirectionHead.from_state(json.loads(json.dumps(meta)), arrays)
    texts = ["梨子太酸了", "米饭馊了，一股怪味", "鸭脖太咸了"]
    X = emb.transform(prepare_many(texts))
    np.testing.assert_array_equal(again.predict_proba(_mentions(texts), X),
                                  head.predict_proba(_mentions(texts), X))
    assert again.directions_ == head.directions_ and again.n_features_in_ == head.n_features_in_
    assert again.fallback_ == "bad_general"


def test_no_mentions_is_no_rows(fitted) -> None:
    head, emb = fitted
    assert head.predict([], emb.transform(prepare_many(["x"]))[:0]) == []


@pytest.mark.parametrize("names, rows, y, match", [
    (_mentions(["苹果太酸了"]), 2, [["bad_general"]], "one of each per mention"),
    (_mentions(["苹果太酸了"]), 1, [[]], "mention 0 has no direction"),
    (_mentions(["苹果太酸了"]), 1, [["too_sour"]], "direction too_sour is not one of too_bland"),
])
def test_bad_training_input_is_refused_with_the_mention(names, rows, y, match) -> None:
    emb = TfidfEmbedder(min_df=1).fit(prepare_many(["苹果太酸了", "太咸"]))
    with pytest.raises(ValueError, match=match):
        TasteDirectionHead().fit(names, emb.transform(prepare_many(["苹果太酸了"] * rows)), y, DIRECTIONS)


def test_rows_of_another_embedding_are_refused(fitted) -> None:
    head, _ = fitted
    other = TfidfEmbedder(min_df=1).fit(prepare_many(["完全不同的词表", "另一个"]))
    with pytest.raises(ValueError, match="the embedding the head was fitted on"):
        head.predict(_mentions(["苹果太酸了"]), other.transform(prepare_many(["苹果太酸了"])))


def _gold(text: str, dirs: tuple[str, ...], i: int) -> GoldRecord:
    return GoldRecord(id=f"g{i}", source="test", selection="random", text=text, sentiment="neg",
                      topics={"taste": "neg"}, taste_detail=dirs)


def test_a_label_with_a_direction_outside_the_taxonomy_is_named(default_model) -> None:
    from koubei.errors import LabelError
    from koubei.train.default_recipe import fit_direction_head

    recs = [_gold(t, ("too_salty",), i) for i, t in enumerate(SALTY * 4)]
    recs.append(_gold("太酸了", ("too_sour",), 99))
    with pytest.raises(LabelError, match="label g99: taste_detail too_sour is not a taste direction"):
        fit_direction_head(default_model.components, prepare_many([r.text for r in recs]), recs)


def test_a_taxonomy_without_a_taste_topic_gets_no_head(default_model) -> None:
    import copy
    import dataclasses

    from koubei.train.default_recipe import fit_direction_head

    c = copy.copy(default_model.components)
    c.taxonomy = dataclasses.replace(c.taxonomy, taste_topic=None)
    recs = [_gold(t, ("too_salty",) if t in SALTY else ("bad_general",), i)
            for i, t in enumerate((SOUR_FRUIT + SALTY) * 3)]
    assert fit_direction_head(c, prepare_many([r.text for r in recs]), recs) is None


def test_too_few_labelled_mentions_or_one_direction_leave_the_rules(default_model) -> None:
    from koubei.train.default_recipe import DIRECTION_HEAD_MIN, fit_direction_head

    c = default_model.components
    few = [_gold(t, ("bad_general",) if i % 2 else ("too_salty",), i)
           for i, t in enumerate((SOUR_FRUIT + SALTY)[:DIRECTION_HEAD_MIN - 1])]
    assert fit_direction_head(c, prepare_many([r.text for r in few]), few) is None
    one = [_gold(t, ("too_salty",), i) for i, t in enumerate(SALTY * 4)]
    assert fit_direction_head(c, prepare_many([r.text for r in one]), one) is None


def test_a_model_with_a_head_reads_its_directions_and_a_bundle_keeps_it(default_model,
                                                                        tmp_path: Path) -> None:
    """Labels that call merely sour fruit bad in general teach a head on the default model's parts;
    saved and loaded, the model gives the same directions."""
    import copy

    from koubei.model import load_model
    from koubei.model.bundle import save_bundle
    from koubei.model.review_model import ReviewModel
    from koubei.train.default_recipe import fit_direction_head

    label = {**dict.fromkeys(SOUR_FRUIT, ("bad_general",)), **dict.fromkeys(SPOILT, ("off_flavor",)),
             **dict.fromkeys(SALTY, ("too_salty",))}
    recs = [_gold(t, label[t], i) for i, t in enumerate((SOUR_FRUIT + SPOILT + SALTY) * 2)]
    c = copy.copy(default_model.components)
    c.directions = fit_direction_head(c, prepare_many([r.text for r in recs]), recs)
    assert c.directions is not None
    # reviews without a taste complaint between them: each mention's directions land on its own review
    texts = ["梨子太酸了，难吃", "送得很快，包装也好", "鸭脖太咸了", "味道很好，下次还买", "米饭馊了"]
    with_head = ReviewModel(c, default_model.manifest, default_model.path / "user_dict.txt").predict(texts)
    assert [p.taste_detail for p in with_head] == [["bad_general"], [], ["too_salty"], [], ["off_flavor"]]
    rules = copy.copy(c)
    rules.directions = None
    path = default_model.path / "user_dict.txt"
    [alone] = ReviewModel(rules, default_model.manifest, path).predict(texts[:1])
    assert alone.taste_detail == ["off_flavor"]

    out = save_bundle(c, tmp_path / "m", manifest_extra={}, user_dict=default_model.path / "user_dict.txt")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format_version"] == "1.3" and manifest["direction_head"]["directions"] == DIRECTIONS
    card = (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "Taste directions of a negative taste mention" in card
    loaded = load_model(out).predict(texts)
    assert [p.taste_detail for p in loaded] == [p.taste_detail for p in with_head]


def test_a_head_that_does_not_fit_the_embedder_is_a_bundle_error(default_model, tmp_path: Path) -> None:
    import copy

    from koubei.errors import IncompatibleModelError
    from koubei.model import load_model
    from koubei.model.bundle import save_bundle

    texts = SOUR_FRUIT + SALTY
    emb = TfidfEmbedder(min_df=1).fit(prepare_many(texts))  # not the model's embedder
    c = copy.copy(default_model.components)
    y = [["bad_general"]] * len(SOUR_FRUIT) + [["too_salty"]] * len(SALTY)
    X = emb.transform(prepare_many(texts))
    c.directions = TasteDirectionHead().fit(_mentions(texts), X, y, DIRECTIONS)
    out = save_bundle(c, tmp_path / "m", manifest_extra={}, user_dict=default_model.path / "user_dict.txt")
    with pytest.raises(IncompatibleModelError, match="taste direction head reads .* embedding columns"):
        load_model(out)
    shutil.rmtree(out)
