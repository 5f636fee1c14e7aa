"""The default taxonomy implements GUIDELINE.md; malformed files name the bad entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from koubei.errors import TaxonomyError
from koubei.taxonomy import load_taxonomy, taxonomy_from_dict

GUIDELINE_DIMENSIONS = {
    "taste": "product", "freshness_quality": "product", "hygiene_safety": "assurance",
    "portion_size": "product", "packaging": "tangibles", "delivery_logistics": "responsiveness",
    "price_value": "product", "service_attitude": "empathy", "order_accuracy": "reliability",
    "authenticity_description": "assurance", "after_sales": "responsiveness",
    "function_performance": "reliability", "environment_facilities": "tangibles",
}


def test_default_taxonomy_matches_guideline() -> None:
    tax = load_taxonomy()
    assert {t.id: t.dimension for t in tax.topics} == GUIDELINE_DIMENSIONS
    assert {d.id for d in tax.dimensions} == {
        "reliability", "responsiveness", "assurance", "empathy", "tangibles", "product"}
    assert tax.direction_ids == ["too_bland", "too_salty", "too_heavy", "too_sweet", "too_spicy",
                                 "not_spicy_enough", "too_oily", "off_flavor", "bad_general"]
    assert tax.topic("taste").zh == "口味"
    assert tax.taste_topic == "taste" and tax.fallback_direction == "bad_general"
    assert all(t.cues for t in tax.topics)


def test_hash_is_stable_and_content_based() -> None:
    a, b = load_taxonomy(), load_taxonomy()
    assert a.sha256() == b.sha256()
    c = taxonomy_from_dict({**a.to_dict(), "version": "9"})
    assert c.sha256() != a.sha256()
    assert taxonomy_from_dict(a.to_dict()) == a
    # an optional field left empty is not written, so older taxonomies keep their hash
    plain = _minimal()
    assert "yields_to" not in taxonomy_from_dict(plain).to_dict()["topics"][0]
    assert "detects" not in taxonomy_from_dict(plain).to_dict()["topics"][0]
    assert "yields_shared" not in taxonomy_from_dict(plain).to_dict()["topics"][0]
    serving = ["上菜", "出菜", "上餐", "等菜", "菜上", "传菜"]
    # 1.8: a slow refund or return is after-sales, not delivery (退款很慢)
    refunds = ["退款", "退货", "换货", "退钱"]
    assert a.to_dict()["topics"][5]["yields_to"] == {"service_attitude": serving, "after_sales": refunds}
    # 1.10: a wait or speed said beside 上菜 keeps delivery no more (上菜太慢了，等了一个小时)
    shared = {"service_attitude": ["慢", "快", "一个小时", "两个小时"]}
    assert a.to_dict()["topics"][5]["yields_shared"] == shared
    assert "受潮" in a.topic("freshness_quality").detects and "漏气" in a.topic("packaging").detects
    assert a.to_dict()["topics"][1]["detects"][0] == "受潮"


def _minimal(**over: object) -> dict:
    raw: dict = {"name": "t", "version": "1", "dimensions": {"product": {"zh": "产品"}},
                 "topics": [{"id": "taste", "zh": "口味", "dimension": "product", "cues": ["咸"]}]}
    raw.update(over)
    return raw


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        (_minimal(topics=[{"id": "taste", "zh": "口味", "dimension": "speed"}]),
         r"topic 'taste' has dimension 'speed'"),
        (_minimal(topics=[{"id": "Taste!", "zh": "口味", "dimension": "product"}]),
         r"topics\[0\] id 'Taste!'"),
        (_minimal(topics=[{"id": "taste", "zh": "口味", "dimension": "product"}] * 2),
         r"topic 'taste' appears twice"),
        (_minimal(topics=[{"id": "taste", "dimension": "product"}]), r"topic 'taste' needs a 'zh'"),
        (_minimal(topics=[{"id": "taste", "zh": "口味", "dimension": "product", "cues": "咸"}]),
         r"topic 'taste': 'cues' must be a list"),
        ({"name": "t", "version": "1", "dimensions": {"product": {"zh": "产品"}}},
         r"missing required key 'topics'"),
        (_minimal(taste_topic="flavour"), r"taste_topic 'flavour' is not one of the topics"),
        (_minimal(taste_topic="taste", taste_directions=[{"id": "too_bland"}],
                  fallback_direction="meh"), r"fallback_direction 'meh'"),
        (_minimal(taste_directions=[{"id": "too_bland"}]), r"no taste_topic"),
        (_minimal(taste_topic="taste", taste_directions=[{"id": "salty", "cues": ["太咸"],
                                                          "decides_polarity": "yes"}]),
         r"taste direction 'salty': 'decides_polarity' must be true, false or a list of its cues"),
        (_minimal(taste_topic="taste", taste_directions=[{"id": "salty", "cues": ["太咸"],
                                                          "decides_polarity": ["咸死"]}]),
         r"taste direction 'salty': 'decides_polarity' names 咸死, which is not among its cues"),
        (_minimal(taste_topic="taste", taste_directions=[{"id": "salty", "cues": ["太咸"],
                                                          "detects_topic": ["齁咸"]}]),
         r"taste direction 'salty': 'detects_topic' names 齁咸, which is not among its cues"),
        (_minimal(taste_topic="taste", taste_directions=[{"id": "salty", "cues": ["太咸"],
                                                          "detects_topic": "太咸"}]),
         r"'detects_topic' must be true, false or a list of its cues"),
        ([1, 2], r"a taxonomy is a mapping"),
        (_minimal(topics=[{"id": "delivery", "zh": "配送", "dimension": "product", "cues": ["慢"],
                           "yields_to": ["service"]}]),
         r"topic 'delivery': 'yields_to' must map a topic id to a list of context words"),
        (_minimal(topics=[{"id": "delivery", "zh": "配送", "dimension": "product", "cues": ["慢"],
                           "yields_to": {"service": ["上菜"]}}]),
         r"topic 'delivery': 'yields_to' names 'service', which is not another topic"),
        (_minimal(topics=[{"id": "delivery", "zh": "配送", "dimension": "product", "cues": ["慢"],
                           "yields_to": {"delivery": ["上菜"]}}]),
         r"'yields_to' names 'delivery', which is not another topic"),
        (_minimal(topics=[{"id": "delivery", "zh": "配送", "dimension": "product", "cues": ["慢"],
                           "yields_to": {"service": "上菜"}},
                          {"id": "service", "zh": "服务", "dimension": "product"}]),
         r"topic 'delivery': 'yields_to': 'service' must be a list of non-empty strings"),
        (_minimal(topics=[{"id": "delivery", "zh": "配送", "dimension": "product", "cues": ["慢"],
                           "yields_to": {"service": []}},
                          {"id": "service", "zh": "服务", "dimension": "product"}]),
         r"'yields_to' 'service' needs at least one context word"),
        (_minimal(topics=[{"id": "delivery", "zh": "配送", "dimension": "product", "cues": ["慢"],
                           "yields_to": {"service": ["上菜"]}, "yields_shared": ["慢"]},
                          {"id": "service", "zh": "服务", "dimension": "product"}]),
         r"topic 'delivery': 'yields_shared' must map a topic id to a list of its cues"),
        (_minimal(topics=[{"id": "delivery", "zh": "配送", "dimension": "product", "cues": ["慢"],
                           "yields_to": {"service": ["上菜"]}, "yields_shared": {"after": ["慢"]}},
                          {"id": "service", "zh": "服务", "dimension": "product"}]),
         r"topic 'delivery': 'yields_shared' names 'after', which its 'yields_to' does not"),
        (_minimal(topics=[{"id": "delivery", "zh": "配送", "dimension": "product", "cues": ["慢"],
                           "yields_to": {"service": ["上菜"]}, "yields_shared": {"service": ["慢", "等位"]}},
                          {"id": "service", "zh": "服务", "dimension": "product"}]),
         r"topic 'delivery': 'yields_shared' 'service' lists 等位, not among its cues"),
        (_minimal(topics=[{"id": "delivery", "zh": "配送", "dimension": "product", "cues": ["慢"],
                           "yields_to": {"service": ["上菜"]}, "yields_shared": {"service": []}},
                          {"id": "service", "zh": "服务", "dimension": "product"}]),
         r"topic 'delivery': 'yields_shared' 'service' needs at least one cue"),
        (_minimal(topics=[{"id": "freshness", "zh": "新鲜", "dimension": "product", "detects": "受潮"}]),
         r"topic 'freshness': 'detects' must be a list of non-empty strings"),
        (_minimal(topics=[{"id": "freshness", "zh": "新鲜", "dimension": "product", "detects": ["受潮", " "]}]),
         r"topic 'freshness': 'detects' must be a list of non-empty strings"),
    ],
)
def test_malformed_taxonomy_names_the_entry(raw: object, match: str) -> None:
    with pytest.raises(TaxonomyError, match=match):
        taxonomy_from_dict(raw, source="my.yaml")


def test_taxonomy_file_errors(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="not found"):
        load_taxonomy(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("topics: [\n  - id: taste\n", encoding="utf-8")
    with pytest.raises(TaxonomyError, match="cannot parse"):
        load_taxonomy(bad)
    js = tmp_path / "t.json"
    js.write_text('{"name": "t", "version": "1", "dimensions": {"product": {"zh": "产品"}}, '
                  '"topics": [{"id": "taste", "zh": "口味", "dimension": "product"}]}', encoding="utf-8")
    assert load_taxonomy(js).topic_ids == ["taste"]


def test_detects_exclude_masks_what_says_nothing_of_a_topic() -> None:
    """Taxonomy 1.22: 优惠券快过期了 holds freshness's 快过期 and says nothing of it."""
    from koubei.classify.cues import CueMatcher

    fresh = [{"id": "freshness", "zh": "新鲜", "dimension": "product", "detects": ["快过期", "变质"]}]
    tax = taxonomy_from_dict(_minimal(topics=fresh, detects_exclude=["(券|卡)(都|也)?快过期"]))
    assert tax.detects_exclude == ("(券|卡)(都|也)?快过期",)
    assert taxonomy_from_dict(tax.to_dict()) == tax  # round trip through a bundle's taxonomy.json
    plain = taxonomy_from_dict(_minimal(topics=fresh))
    assert "detects_exclude" not in plain.to_dict()  # absent when empty: older hashes do not move
    assert plain.sha256() != tax.sha256()
    words = CueMatcher(tax, "detects", tax.detects_exclude)
    texts = ["饼干快过期了", "优惠券都快过期了", "优惠券快过期了，牛奶也变质了"]
    assert words.counts(texts)[:, 0].tolist() == [1, 0, 1]
    assert [words.has(t, 0) for t in texts] == [True, False, True]
    assert words.hits(texts[2]) == [["变质"]]
    assert CueMatcher(plain, "detects").counts(texts)[:, 0].tolist() == [1, 1, 2]
    # each pattern must read a batch's joined text as each text alone, and compile
    tax_dot = taxonomy_from_dict(_minimal(topics=fresh, detects_exclude=["券.{0,3}过期"]), source="my.yaml")
    with pytest.raises(TaxonomyError, match=r"my.yaml: detects_exclude: '券.\{0,3\}过期' could match across"):
        CueMatcher(tax_dot, "detects", tax_dot.detects_exclude)
    tax_ref = taxonomy_from_dict(_minimal(topics=fresh, detects_exclude=["变(质)", "(券)\\1快过期"]))
    # each pattern on its own: joined, the first one's group would take the second one's \1
    ref = CueMatcher(tax_ref, "detects", tax_ref.detects_exclude)
    assert ref.counts(["券券快过期了", "变质", "券快过期了"])[:, 0].tolist() == [0, 0, 1]
    bad = r"my.yaml: detects_exclude: '\(券' is not a valid regular expression"
    with pytest.raises(TaxonomyError, match=bad):
        taxonomy_from_dict(_minimal(topics=fresh, detects_exclude=["(券"]), source="my.yaml")
    with pytest.raises(TaxonomyError, match="'detects_exclude' must be a list of regular expressions"):
        taxonomy_from_dict(_minimal(topics=fresh, detects_exclude="券过期"), source="my.yaml")


def _salty(**rules: object) -> dict:
    return _minimal(taste_topic="taste", taste_directions=[
        {"id": "salty", "zh": "咸", "cues": ["太咸", "齁咸"], **rules},
        {"id": "off", "zh": "怪味", "cues": ["馊", "异味"], **({"detects_topic": ["馊"]} if rules else {})}])


def test_seasonings_read_from_the_file_and_checked() -> None:
    tax = taxonomy_from_dict(_salty(decides_polarity=True, seasonings=["盐", "酱油"],
                                    missing_seasonings=["盐"]))
    assert tax.taste_directions[0].seasonings == ("盐", "酱油")
    assert tax.taste_directions[0].missing_seasonings == ("盐",)
    assert taxonomy_from_dict(tax.to_dict()) == tax  # round trip through a bundle's taxonomy.json
    # absent when empty, so the hashes of taxonomies before 1.14 do not move
    assert {"seasonings", "missing_seasonings"}.isdisjoint(tax.to_dict()["taste_directions"][1])
    assert tax.sha256() != taxonomy_from_dict(_salty(decides_polarity=True)).sha256()
    with pytest.raises(TaxonomyError, match=r"taste direction 'salty': 'seasonings' must be a list"):
        taxonomy_from_dict(_salty(seasonings="盐"), source="my.yaml")
    two = _salty(seasonings=["盐"])
    two["taste_directions"][1]["seasonings"] = ["盐"]
    both = r"'seasonings' lists 盐 under both taste direction 'salty' and 'off'; keep it under one"
    with pytest.raises(TaxonomyError, match=both):
        taxonomy_from_dict(two, source="my.yaml")


def test_taste_rules_read_from_the_file() -> None:
    tax = taxonomy_from_dict(_salty(decides_polarity=True, detects_topic=True))
    salty, off = tax.taste_directions
    assert salty.decides_polarity == salty.detects_topic == ("太咸", "齁咸")  # true: all its cues
    assert not off.decides_polarity and off.detects_topic == ("馊",)
    assert tax.declares_taste_rules
    assert taxonomy_from_dict(tax.to_dict()) == tax  # round trip through a bundle's taxonomy.json
    # true is written back as true, so a bundle's taxonomy hash does not move with the reader
    assert tax.to_dict()["taste_directions"][0]["decides_polarity"] is True
    some = taxonomy_from_dict(_salty(decides_polarity=["齁咸"]))
    assert some.taste_directions[0].decides_polarity == ("齁咸",)
    assert some.to_dict()["taste_directions"][0]["decides_polarity"] == ["齁咸"]
    assert taxonomy_from_dict(some.to_dict()) == some
    plain = taxonomy_from_dict(_salty())
    assert not plain.declares_taste_rules
    # absent rules are absent from the dict, so the hashes of taxonomies before 1.3 do not move
    assert all("decides_polarity" not in d and "detects_topic" not in d
               for d in plain.to_dict()["taste_directions"])


def test_default_taxonomy_declares_what_older_taxonomies_got_from_the_code() -> None:
    """A bundle trained on taxonomy 1.2 (no rules in its file) predicts as one trained on 1.3."""
    import dataclasses

    from koubei.classify.taste import taste_rules

    tax = load_taxonomy()
    assert tax.declares_taste_rules and tax.version == "1.23"
    stripped = dataclasses.replace(tax, taste_directions=tuple(
        dataclasses.replace(d, decides_polarity=(), detects_topic=()) for d in tax.taste_directions))
    assert not stripped.declares_taste_rules
    legacy, rules = taste_rules(stripped), taste_rules(tax)
    # 1.22: rancid oil (油耗味) detects the taste topic as 哈喇味 does
    rancid = {("off_flavor", "油耗味")}
    assert rules.detecting - legacy.detecting == rancid and legacy.detecting <= rules.detecting
    # 1.5 takes four too-bland cues out of the deciding ones: 不甜, 不咸 are as often praise;
    # 1.12 adds 没有咸味 and 没咸味 to the cues, not to the deciding ones
    taken_out = {("too_bland", c) for c in ("不甜", "没有甜味", "没甜味", "不咸", "没有咸味", "没咸味")}
    assert legacy.decisive - rules.decisive == taken_out
    # 1.7 makes cloying sweetness decide (甜得发腻 is no praise, 很甜 often is)
    cloying = {("too_sweet", c) for c in ("甜腻", "齁甜", "甜得发腻", "甜的发腻", "甜过头", "又甜又腻",
                                          "甜又腻", "甜而腻", "甜到腻", "发腻")}
    # 1.8: too much sugar, chili or oil put in decides too (糖放太多 is no praise, 很辣 and 油 often are)
    put_in = {(d, c) for d, w in (("too_sweet", "糖"), ("too_spicy", "辣椒"), ("too_oily", "油"))
              for c in (f"{w}太多", f"{w}放太多", f"{w}放多", f"{w}放得太多", f"放太多{w}")} | {("too_sweet", "放多了糖")}
    # 1.9: spoilt or rancid food decides (有哈喇味 is never praise)
    spoilt = {("off_flavor", c) for c in ("馊", "馊味", "哈喇", "哈喇味", "油哈")}
    # 1.14: cloying said as 甜到发齁
    cloyed = {("too_sweet", c) for c in ("甜到发齁", "甜到齁", "甜齁")}
    # 1.22: too oily said with 太 or as 油腻 (every gold taste mention holding one, not denied, is
    # too oily), and rancid oil
    oily = {("too_oily", c) for c in ("太油", "油腻", "油太大", "油有点大", "油的要命", "油得要命")}
    assert rules.decisive - legacy.decisive == cloying | put_in | spoilt | cloyed | oily | rancid
    # 1.18: a level too high names too sweet and, like 太甜, decides nothing; too salty's decides
    assert not rules.decides("too_sweet", "甜度太高") and rules.decides("too_salty", "盐分超标")
    # 1.14: too much of a seasoning put in, said in any of the ways excess_pattern reads,
    # decides and detects, in a file without rules too (its seasonings are read all the same);
    # like any cue it is picked by no name: a short one needs the detector's floor
    assert legacy.excess is not None and rules.excess is not None
    assert rules.decides("too_salty", "盐放得太重") and rules.detects("too_heavy", "调料味太冲")
    assert legacy.decides("too_salty", "盐放得太重") and not rules.decides("too_salty", "盐")
    assert not rules.picks("too_salty", "放了太多盐") and not rules.picks("too_oily", "油太多")
    assert {d for d, _ in rules.decisive} == {"too_bland", "too_salty", "too_heavy", "not_spicy_enough",
                                              "too_sweet", "too_spicy", "too_oily", "off_flavor"}
    assert not rules.decides("too_spicy", "很辣") and not rules.decides("too_oily", "很油")
    assert rules.decides("too_oily", "油腻")
    assert not rules.decides("too_sweet", "很甜") and not rules.decides("too_sweet", "好甜")
    assert rules.decides("too_bland", "甜度不够") and not rules.decides("too_bland", "不甜")
    assert rules.detects("off_flavor", "哈喇味") and not rules.detects("off_flavor", "异味")
    assert rules.detects("too_oily", "油的要命") and not rules.detects("bad_general", "难吃")
    # off flavour's food-only cues are picked by name; a whole direction's cues are not
    food_only = {("off_flavor", c) for c in ("馊", "馊味", "哈喇", "哈喇味", "油哈")}
    assert legacy.picked == food_only and rules.picked == food_only | rancid
    # 1.18: 土腥味 is a cue, but tap water and air conditioners have it too
    assert not rules.detects("off_flavor", "土腥味")
    assert rules.picks("off_flavor", "哈喇味") and not rules.picks("too_salty", "咸")
