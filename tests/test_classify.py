"""Rule parts of the classifier on real review clauses: taste directions, opinion phrases, cues."""

from __future__ import annotations

import pytest

from koubei.classify.cues import CueMatcher
from koubei.classify.opinions import best_opinion
from koubei.classify.taste import TasteDirector
from koubei.taxonomy import load_taxonomy
from koubei.text.clauses import split_word_clauses
from koubei.text.docs import prepare

TAX = load_taxonomy()
DIRECTOR = TasteDirector(TAX)
CUES = CueMatcher(TAX)


@pytest.mark.parametrize(
    ("clauses", "expected"),
    [
        (["味道太淡了"], ["too_bland"]),
        (["这次的瓜子齁咸"], ["too_salty"]),
        (["说是麻辣的", "根本不辣"], ["not_spicy_enough"]),
        (["太甜了", "甜得发腻"], ["too_sweet"]),
        (["蛋糕又甜又腻"], ["too_sweet"]),  # 腻 of sugar (GUIDELINE), not the oily 腻
        (["红烧肉太腻了"], ["too_oily"]),
        (["个别还有怪味"], ["off_flavor"]),
        (["腰果有哈喇味"], ["off_flavor"]),
        (["炒饭又黑又咸"], ["too_salty"]),  # single-character cue, second tier
        (["难吃", "太咸了"], ["too_salty"]),  # a specific direction wins over bad_general
        (["不好吃"], ["bad_general"]),
        (["一点也不油腻", "就是不好吃"], ["bad_general"]),  # a negated cue names no direction
        (["没那么甜", "就是不好吃"], ["bad_general"]),
        (["不是很辣"], ["not_spicy_enough"]),  # ...unless the negated form is the cue
        (["一点都不咸", "没什么味道"], ["too_bland"]),
        (["骑手辛苦了", "不好吃"], ["bad_general"]),  # 辛苦 is not 苦
        (["橙子太苦了"], ["off_flavor"]),  # ...but 苦了 after 太 is (only 辛苦了 is masked)
        (["谁出的馊主意", "不好吃"], ["bad_general"]),  # 馊主意 is a bad idea, not spoilt food
        (["点的微辣", "难吃"], ["bad_general"]),  # 微辣 is what was ordered
        (["苹果一点都不甜"], ["too_bland"]),  # fruit that is not sweet is too bland (GUIDELINE)
        (["一点甜味儿也没有"], ["too_bland"]),  # not too_sweet for the 甜 it denies
        (["面条什么味道都没有"], ["too_bland"]),
        (["要了中辣", "结果一点辣都没有"], ["not_spicy_enough"]),
        (["说是麻辣的", "一点辣味都没有"], ["not_spicy_enough"]),  # not bad_general (taxonomy 1.11)
        (["要的中辣锅底", "居然辣味也没有"], ["not_spicy_enough"]),
        (["一点咸味都没有", "不过包装很精致"], ["too_bland"]),  # no saltiness at all (taxonomy 1.12)
        (["咸味很重"], ["bad_general"]),  # 咸味 alone is no cue (taste_exclude)...
        (["汤底清汤淡水的"], ["too_bland"]),  # ...nor 淡水, but a phrase cue holding one still is
        (["卸妆油一点都不辣眼睛", "不好用"], ["bad_general"]),  # 辣眼睛 (cosmetics) is no spice
        (["红烧肉不够咸"], ["too_bland"]),
        (["一点异味都没有", "就是不好吃"], ["bad_general"]),  # no smell is no blandness
        (["蛋糕不甜不腻", "就是不好吃"], ["bad_general"]),  # 不甜不腻 is praise of a dessert
        (["怪味也没有", "就是不好吃"], ["bad_general"]),  # a cue denied after it names nothing
        (["不辣不咸刚刚好", "就是不好吃"], ["bad_general"]),  # neither...nor, just right: praise
        (["苹果不酸不甜没味道"], ["too_bland"]),  # without the "just right" a complaint
        (["糖放太多了"], ["too_sweet"]),  # too much of a seasoning put in names its direction
        (["盐放得太多", "没法吃"], ["too_salty"]),
        (["辣椒放太多了吧"], ["too_spicy"]),
        (["油放太多", "腻得慌"], ["too_oily"]),
        # taxonomy 1.14: too much of a seasoning said any way (盐 is too_salty's seasoning)
        (["薯片盐放得太重了"], ["too_salty"]),
        (["豆腐干放了太多盐"], ["too_salty"]),
        (["这次的鱼豆腐盐味太重"], ["too_salty"]),
        (["调料味太冲", "盖过了肉味"], ["too_heavy"]),
        (["奶茶糖加太多了"], ["too_sweet"]),
        (["酱油放多了"], ["too_salty"]),  # 酱油 (salty) before its 油 (oily)
        (["汤咸得没法喝"], ["too_salty"]),  # 没法 after a cue says how salty, denies nothing
        (["汤咸得没有办法喝"], ["too_salty"]),
        (["卤味辣得没边了"], ["too_spicy"]),  # nor anything after a complement marker (得, 到)
        (["瓜子没什么咸味"], ["too_bland"]),
        (["鸭脖一点咸味都吃不出来"], ["too_bland"]),
        (["汤清得像白开水"], ["too_bland"]),
        (["蛋糕甜到发齁"], ["too_sweet"]),  # not the 齁 of too salty inside it
        # taxonomy 1.18: a cue another named direction's cue holds is that direction's
        (["奶茶糖加太多了", "腻得慌"], ["too_sweet"]),  # the 腻 of sugar (GUIDELINE), not oil
        (["蛋糕奶油太腻了", "甜得难受"], ["too_sweet"]),
        (["饼干甜得齁嗓子"], ["too_sweet"]),  # 齁 is in too sweet's 甜到齁
        (["太油腻了", "还甜得发腻"], ["too_oily", "too_sweet"]),  # 太油 is oil's own
        (["油太大了", "腻得慌"], ["too_oily"]),  # 腻 with no sugar said stays oily
        (["一口咸一口淡"], ["too_salty", "too_bland"]),  # 咸 is in 不咸, but denied there
        (["红烧肉肥肉很腻", "吃两块就发腻"], ["too_oily", "too_sweet"]),  # 发腻 holds the 腻 itself
        (["太甜了", "很腻还太油了"], ["too_sweet", "too_oily"]),  # every cue counts: 太油 is oil's own
        (["咸度偏低"], ["too_bland"]),  # a level is no weak cue: no 咸 of too salty in it
        # a level said too high or too low, a complement, none at all, a wish for less
        (["蛋挞甜度太高了"], ["too_sweet"]),
        (["薯片盐分超标了"], ["too_salty"]),
        (["火锅辣度不够"], ["not_spicy_enough"]),
        (["海苔咸到怀疑人生"], ["too_salty"]),
        (["米粉汤头淡出鸟来"], ["too_bland"]),
        (["外卖的汤一点盐都没有"], ["too_bland"]),
        (["这次炒的花生忘放盐了"], ["too_bland"]),
        (["小炒肉盐少放点就好了"], ["too_salty"]),
        (["建议少放点糖"], ["too_sweet"]),
        (["汉堡酱料挤太多了"], ["too_heavy"]),
        (["奶茶里放了太多的糖"], ["too_sweet"]),  # the verb before: 放了太多 + the seasoning
        (["豆浆有股焦糊味"], ["off_flavor"]),
    ],
)
def test_taste_directions(clauses: list[str], expected: list[str]) -> None:
    dirs, _ = DIRECTOR.directions(clauses)
    assert dirs == expected


def test_direction_found_in_other_clauses_when_taste_clauses_name_none() -> None:
    dirs, cue = DIRECTOR.directions(["味道不行"], others=["个别还有怪味"])
    assert dirs == ["off_flavor"] and cue == "怪味"


def _span(text: str, topic: str) -> list[str]:
    j = TAX.topic_ids.index(topic)
    return [best_opinion([c.words], CUES.pattern(j))[0] for c in prepare(text).clauses]


@pytest.mark.parametrize(
    ("text", "topic", "phrase"),
    [
        ("味道太淡了", "taste", "太淡"),
        ("物流超级快", "delivery_logistics", "超级快"),
        ("客服回复很及时", "delivery_logistics", "很及时"),
        ("包装很精致", "packaging", "包装很精致"),
        ("一点都不新鲜", "freshness_quality", "不新鲜"),
        ("房间很干净", "environment_facilities", "很干净"),
        ("客服回复很及时", "service_attitude", "客服回复很及时"),  # not 客服回复很: 很 needs its word
        ("品质很好", "freshness_quality", "品质很好"),  # 好 closing the clause is the judgement
        ("快递小哥很给力", "delivery_logistics", "快递小哥很给力"),  # jieba's 给|力 kept whole
        ("味道和以前一样好", "taste", "味道和以前一样好"),  # 和 links, it is no content word
        ("口味和别家差不多", "taste", "口味和别家差不多"),
        ("物流超级快第二天就到了", "delivery_logistics", "超级快"),  # the cue's own 超级 judged it
        # a negator before the degree adverb is the judgement's: no complaint shown as praise
        ("毛血旺不是很新鲜", "freshness_quality", "不是很新鲜"),
        ("小菜不怎么好吃", "taste", "不怎么好吃"),
        ("肉不够新鲜", "freshness_quality", "不够新鲜"),
        ("没那么好吃", "taste", "没那么好吃"),
        ("分量不够啊", "portion_size", "分量不够"),  # 不够 closing the clause is the judgement
        # a bare cue judges nothing, a phrase cut at MAX_AFTER says half: a short clause is quoted
        ("催了好几次才发货", "delivery_logistics", "催了好几次才发货"),  # not 发货
        ("袋子破了个洞", "packaging", "袋子破了个洞"),  # not 袋子破了个
        ("我们从上周一下单一直等到今天才发货", "delivery_logistics", "发货"),  # too long to quote
        # the stretch stops at a joiner or after a judgement of something else
        ("东西不错但物流慢", "delivery_logistics", "物流慢"),
        ("很好吃包装漏了", "packaging", "包装漏了"),  # from the first cue of the topic
        ("不好吃包装漏了", "packaging", "包装漏了"),
        ("等了很久才发货", "delivery_logistics", "等了很久才发货"),
        ("但是离过期就剩半个月了", "freshness_quality", "过期就剩半个月"),
    ],
)
def test_opinion_span_keeps_whole_words(text: str, topic: str, phrase: str) -> None:
    assert _span(text, topic) == [phrase]


def test_opinion_span_without_cue_is_empty() -> None:
    assert _span("第三次买了", "packaging") == [""]


@pytest.mark.parametrize(
    ("text", "topic", "phrase"),
    [
        ("30元一份，太贵了", "price_value", "太贵"),  # a judgement, not 元一份
        ("花了50元，不值", "price_value", "不值"),  # a two-character cue, not the bare 元
        ("包装很精致，包装盒也结实", "packaging", "包装很精致"),  # a tie: the first clause
    ],
)
def test_best_opinion_takes_the_clause_that_judges(text: str, topic: str, phrase: str) -> None:
    clauses = [c.words for c in prepare(text).clauses]
    got, at = best_opinion(clauses, CUES.pattern(TAX.topic_ids.index(topic)))
    assert got == phrase and phrase.removeprefix("不") in "".join(clauses[at])
    assert best_opinion(clauses, CUES.pattern(TAX.topic_ids.index("hygiene_safety"))) == ("", -1)


@pytest.mark.parametrize(("text", "cue", "said"), [
    ("苹果太酸了", "酸了", "太酸了"),  # the taste cue 酸了 with the degree adverb before it
    ("口感有点涩", "涩", "有点涩"),
    ("真的非常咸", "咸", "非常咸"),  # 的 is no modifier: it stops there
    ("一股哈喇味", "哈喇味", "哈喇味"),
    ("菜太咸了", "太咸", "太咸"),
    ("酸了", "酸了", "酸了"),  # nothing before it
    ("汤不咸", "咸", "咸"),  # never a negator: the cue is said, not denied
])
def test_a_taste_cue_is_said_with_its_degree_adverb(text: str, cue: str, said: str) -> None:
    from koubei.classify.opinions import with_degree

    assert with_degree(text, text.index(cue), cue) == said


@pytest.mark.parametrize(("text", "opinion"), [
    ("苹果太酸了，不好吃", "口味:太酸了"),
    ("汤不太咸，菜太咸了", "口味:太咸"),  # where the cue is said, not the denied one before it
    ("汤还行不太油，菜太油了，难吃", "口味:太油"),
    ("有嚼劲，但是咸得发苦", "口味:咸得发苦"),  # a cue ending in 得 with what it says, not 咸得
    ("咸得舌头发麻。", "口味:咸得舌头发麻"),
    ("牛肉干淡得跟没放调料一样", "口味:淡得跟没放调料一样"),  # a comparison marker: what it is like
    ("酱牛肉咸到没朋友", "口味:咸到没朋友"),  # a complement in 到
    # a phrase is not widened to a lexicon phrase across a joiner: two opinions, one each
    ("味道太咸而且袋子破了个洞", "包装:袋子破了个洞"),
    ("很难吃而且包装漏了", "包装:包装漏了"),
])
def test_a_taste_opinion_is_the_judgement_said_end_to_end(default_model, text: str, opinion: str) -> None:
    [p] = default_model.predict([text])
    assert opinion in p.opinions, p.opinions


@pytest.mark.parametrize(("text", "directions"), [
    ("好评，甜甜咸咸的，很香", []),  # taxonomy 1.17: 咸咸的 describes a snack
    ("咸咸的很下饭", []),
    ("味道有点咸咸的", ["too_salty"]),  # with a degree word it still complains
    ("这个汤很咸咸的", ["too_salty"]),
    ("稍微咸咸的", ["too_salty"]),
])
def test_a_reduplicated_salty_is_too_salty_only_with_a_degree_word(text: str, directions: list[str]) -> None:
    from koubei.classify.taste import TasteDirector

    assert [d for d, _, _ in TasteDirector(TAX).matches(text)] == directions


def test_cue_matcher_finds_topic_cues() -> None:
    hits = CUES.hits("送餐太慢，包装也破了")
    assert "包装" in hits[TAX.topic_ids.index("packaging")]
    assert CUES.has("快递三天就到了", TAX.topic_ids.index("delivery_logistics"))
    assert CUES.matrix(["包装破了", "好吃"]).shape == (2, len(TAX.topics))


def test_cue_counts_of_a_batch_are_each_text_read_alone() -> None:
    texts = ["送餐太慢，包装也破了", "", "包装包装", "好吃", "慢", "包", "装很好", "快递三天就到了，太慢"]
    expected = [[len(h) for h in CUES.hits(t)] for t in texts]
    assert CUES.counts(texts).tolist() == expected
    assert CUES.counts([]).shape == (0, len(TAX.topics))


def test_word_clauses_split_at_punctuation_and_contrast() -> None:
    words = ["送得", "很快", ",", "但是", "味道", "太淡", "了"]
    assert split_word_clauses(words) == [["送得", "很快"], ["但是", "味道", "太淡", "了"]]


def test_sentiment_mixture_routes_and_round_trips() -> None:
    import numpy as np

    from koubei.classify.sentiment import SentimentClassifier
    from koubei.embed.tfidf import TfidfEmbedder
    from koubei.text.docs import prepare_many

    food = [("送餐很快，味道不错", 1), ("外卖送得太慢了，饭都凉了", 0), ("好吃，分量足", 1),
            ("骑手迟到一小时，菜也难吃", 0)] * 3
    hotel = [("房间干净，前台热情", 1), ("房间很小，隔音太差", 0), ("酒店位置好，早餐丰富", 1),
             ("床单不干净，空调坏了", 0)] * 3
    texts = [t for t, _ in food + hotel]
    y = np.array([lab for _, lab in food + hotel])
    member = np.array([[False, True]] * len(food) + [[True, False]] * len(hotel))
    docs = prepare_many(texts)
    emb = TfidfEmbedder(min_df=1).fit(docs)
    X = emb.transform(docs)
    model = SentimentClassifier(domains=("hotel", "waimai")).fit(X, y, member)
    w = model.domain_weights(emb.transform(prepare_many(["外卖小哥送餐很快", "酒店房间很干净"])))
    assert np.allclose(w.sum(axis=1), 1.0)
    assert w[0, 1] > 0.5 and w[1, 0] > 0.5  # routed to the right expert
    assert ((model.proba_pos(X) >= 0.5) == y).all()
    again = SentimentClassifier.from_state(*model.to_state())
    assert np.allclose(again.decision_function(X), model.decision_function(X))
    with pytest.raises(ValueError, match="needs member"):
        SentimentClassifier(domains=("hotel", "waimai")).fit(X, y)


def test_taste_director_reads_a_comparison_falling_short_of_the_past_as_a_denial() -> None:
    """鸭脖没有以前辣了 (less hot than before) had read 辣 as too spicy."""
    from koubei.classify.lexicon import load_lexicon
    from koubei.classify.taste import TasteDirector
    from koubei.taxonomy import load_taxonomy

    plain = TasteDirector(load_taxonomy())
    reading = TasteDirector(load_taxonomy(), load_lexicon().past_as_denial)
    assert plain.find_weak("鸭脖没有以前辣了") == [("too_spicy", "辣")]
    assert reading.find("鸭脖没有以前辣了") == [("not_spicy_enough", "不辣")]
    assert reading.find_weak("鸭脖没有以前辣了") == []
    assert reading.find("比以前辣多了") == plain.find("比以前辣多了")
    # less salty than before is no "not salty": the lexicon reads it better than before
    assert reading.find_weak("这次没上次咸") == plain.find_weak("这次没上次咸")
    assert reading.find_weak("不是第一次这么咸了") == [("too_salty", "咸")]  # said again, no comparison


@pytest.mark.parametrize("text", ["鸭脖没有以前辣了", "盐放得太重了", "放了太多盐", "不辣不咸刚刚好",
                                  "一点也不咸", "咸味都没有", "物流很快，包装完好", "", "比以前咸多了"])
def test_taste_director_skips_masking_only_where_nothing_could_be_found(text: str) -> None:
    """Masking only hides characters, so a clause with no cue (nor seasoning) once rewritten has
    none after it either: the shortcut reads every text as masking it first does."""
    from koubei.classify.lexicon import load_lexicon
    from koubei.classify.taste import NEGATORS, TasteDirector, cue_negated
    from koubei.taxonomy import load_taxonomy

    reading = TasteDirector(load_taxonomy(), load_lexicon().past_as_denial)
    masked = reading._mask(text)
    found = reading._found(masked, reading._re, reading._cue_dir)
    said = [(d, c, s) for d, c, s, e in found if c.startswith(NEGATORS) or not cue_negated(masked, s, e)]
    denied = [(d, c) for d, c, s, e in found if not c.startswith(NEGATORS) and cue_negated(masked, s, e)]
    assert reading.matches(text) == said
    assert reading.negated(text) == denied
    assert reading._masked_if_cued(text, reading._re) is not None or not found  # skipped: none found
    assert reading._masked_if_cued("物流很快，包装完好", reading._re) is None  # the shortcut is taken


def test_too_much_of_a_seasoning_is_read_only_where_it_is_said_of_one() -> None:
    """The seasoning phrases of taxonomy 1.14 (``excess_pattern``), and where they stay out."""
    from koubei.classify.taste import excess_pattern

    assert DIRECTOR.find("没有放太多盐，刚刚好") == []  # denied: no direction
    assert DIRECTOR.negated("没有放太多盐") == [("too_salty", "放太多盐")]
    assert DIRECTOR.find("车子机油加多了") == []  # 机油 is masked (taste_exclude)
    assert DIRECTOR.find("护发油有点多了") == []  # 发油 masked: without it 油有点多了 is a phrase
    # the plain cue: 油 before 漆 is no seasoning
    assert DIRECTOR.find("油漆味太重") == [("too_heavy", "味太重")]
    # not a plain quantity, nor a mild one without the verb: hotpot oil and chili are praised
    assert DIRECTOR.find("放了很多辣椒，超级香") == [] and DIRECTOR.find("锅底油有点多，但是很香") == []
    assert DIRECTOR.find("盐加得有点多") == [("too_salty", "盐加得有点多")]  # mild, with the verb
    assert DIRECTOR.find("酱有点儿多了") == [("too_heavy", "酱有点儿多了")]  # ...or 了: more than wanted
    assert DIRECTOR.find("盐放了多少啊") == [] and DIRECTOR.find("口香糖太多了") == []
    assert DIRECTOR.find("水煮鱼放了这么多花椒，麻得过瘾") == []  # a quantity, not too much
    # too little salt, not sugar or seasoning in general; a request is no complaint
    assert DIRECTOR.find("感觉忘了放盐") == [("too_bland", "忘了放盐")]
    assert DIRECTOR.find("没加糖，很健康") == [] and DIRECTOR.find("什么调料都没加，原汁原味") == []
    assert DIRECTOR.find("别忘了放盐") == [] and DIRECTOR.find("盐没放那么多，刚好") == []
    pattern = excess_pattern(TAX)
    assert pattern is not None
    assert pattern.fullmatch("味精放得太多") and pattern.fullmatch("辣椒放得太少")
    assert not pattern.fullmatch("味精") and not pattern.fullmatch("盐没放多")
    assert DIRECTOR.find("薯条一点盐都没放") == [("too_bland", "盐都没放")]
    assert DIRECTOR.find("辣椒放得太少") == [("not_spicy_enough", "辣椒放得太少")]
    assert DIRECTOR.find("盐没放多，刚好") == []  # not too much is no "too little"
    # taxonomy 1.18: a level praised, a plain or noted wish, no chili but something else, none given
    assert DIRECTOR.find("苹果甜度很高") == [] and DIRECTOR.find("甜度爆表") == []
    assert DIRECTOR.find("少放盐") == [] and DIRECTOR.find("备注了少放盐") == []
    assert DIRECTOR.find("都是辣椒都没有牛蛙") == []  # 辣椒都没有 does not end the clause
    assert DIRECTOR.find("写了要带辣椒也没有带") == [] and DIRECTOR.find("要点辣椒也没给") == []
    assert DIRECTOR.find("面里一点辣椒都没有") == [("not_spicy_enough", "一点辣椒都没有")]
    assert DIRECTOR.find("别忘放盐") == []  # a request
    assert DIRECTOR.find("餐具没给，盐也没有") == []  # a missing item, not "none at all"
    assert DIRECTOR.find("店里辣椒都没有了") == []
    assert pattern.fullmatch("放了太多盐") and pattern.fullmatch("加了太多的糖")  # the verb before it
    assert pattern.fullmatch("建议少放点盐") and pattern.fullmatch("盐少放点就好了")
    assert not pattern.fullmatch("放了太多") and not pattern.fullmatch("下次少放点糖")
    # no "too" in 超 nor in a level praised or a blood sugar; no order note; no 不够 of another word
    assert DIRECTOR.find("辣椒超多，超级过瘾") == [] and DIRECTOR.find("辣椒放得超级多，很够味") == []
    assert DIRECTOR.find("这个西瓜甜度超高") == [] and DIRECTOR.find("吃完测了一下血糖超标了") == []
    assert DIRECTOR.find("少油不放盐") == [] and DIRECTOR.find("备注麻烦少放点盐，商家照做了") == []
    assert DIRECTOR.find("辣椒不够新鲜") == [] and DIRECTOR.find("这个酱油不够鲜") == []
    # a range or a balance hit is no degree complement; paste is no burnt taste
    assert DIRECTOR.find("从咸到甜都有") == [] and DIRECTOR.find("由淡到浓，层次丰富") == []
    assert DIRECTOR.find("咸淡到位，很下饭") == [] and DIRECTOR.find("一股浆糊味") == []
    # a seasoning said put in, however much, speaks of taste; a spill (撒), keeping (放的时间久了) or
    # what follows no amount (油加的92号, 盐放的位置) does not
    assert DIRECTOR.seasoned("盐放得刚刚好") and DIRECTOR.seasoned("调料放得很足")
    assert not DIRECTOR.seasoned("油撒的哪哪都是") and not DIRECTOR.seasoned("盐很好")
    assert not DIRECTOR.seasoned("卸妆油放的时间久了") and not DIRECTOR.seasoned("这车油加的92号")
    assert not DIRECTOR.seasoned("盐放的位置太高了") and not DIRECTOR.seasoned("酱油放得太久了")
    assert not DIRECTOR.seasoned("糖放得有点久了") and not DIRECTOR.seasoned("这车油加得不多，跑不远")
    # a cosmetic's oil, squeezed out, is no seasoning; without the verb, too little is a portion
    assert DIRECTOR.find("卸妆油挤太多了") == []
    assert DIRECTOR.find("酱料挤太多了") == [("too_heavy", "酱料挤太多")]
    assert DIRECTOR.find("饺子送的酱油太少了") == [] and DIRECTOR.find("辣子鸡里辣椒太少") == []
    assert DIRECTOR.find("菜品从清淡到麻辣都有") == [] and DIRECTOR.find("剧情平淡到让人睡着") == []
    import dataclasses
    plain = dataclasses.replace(TAX, taste_directions=tuple(
        dataclasses.replace(d, seasonings=(), missing_seasonings=()) for d in TAX.taste_directions))
    assert excess_pattern(plain) is None
    # no seasonings: the plain cue
    assert TasteDirector(plain).find("薯片盐放得太重了") == [("too_heavy", "太重")]


def test_a_comparison_with_the_past_after_a_complement_still_denies() -> None:
    """辣得没边 says how hot; 甜得没以前那么厉害 says less sweet than before."""
    assert DIRECTOR.find("辣得没边") == [("too_spicy", "辣得")]
    assert DIRECTOR.negated("甜得没以前那么厉害了") == [("too_sweet", "甜得")]
    assert DIRECTOR.find("甜得没以前那么厉害了") == []


def test_a_denial_after_a_comparison_is_what_it_is_compared_with() -> None:
    """淡得像没调过味: as bland as if never seasoned, not a denied 淡得像."""
    assert DIRECTOR.find("但淡得像没调过味") == [("too_bland", "淡得像")]
    assert DIRECTOR.find("淡得跟没放盐一样") == [("too_bland", "淡得跟")]
    assert DIRECTOR.negated("淡得像没调过味") == []
    assert DIRECTOR.find("辣得没边") == [("too_spicy", "辣得")]  # the complement markers as before
    assert DIRECTOR.find("甜得没以前那么厉害了") == []
    # a negator before the comparison still denies it, 至于 and 上 included
    assert DIRECTOR.find("倒不至于淡得像没调过味，还行") == []
    assert DIRECTOR.find("谈不上淡得像没调过味，挺好吃的") == []
    assert DIRECTOR.find("不至于太咸") == [] and DIRECTOR.negated("不至于太咸") == [("too_salty", "太咸")]


def test_taste_director_lists_denied_cues_apart_from_said_ones() -> None:
    from koubei.classify.taste import TasteDirector
    from koubei.taxonomy import load_taxonomy

    director = TasteDirector(load_taxonomy())
    assert director.negated("不会太咸，刚刚好") == [("too_salty", "太咸")]
    assert director.find("不会太咸，刚刚好") == []
    assert director.negated("太咸了") == [] and director.find("太咸了") == [("too_salty", "太咸")]


def test_a_seasoning_said_put_in_just_right_names_no_direction() -> None:
    """辣椒放得恰到好处 says how much chili went in, not that the dish is too hot: the weak cue 辣
    inside a seasoning put in just right or not much names no direction (taxonomy 1.21), while too
    much or too little of it is still read, and a weak cue outside the phrase still counts. 撒 puts a
    seasoning in too (孜然撒得刚好)."""
    for text in ("辣椒放得恰到好处", "辣椒加得不多", "孜然撒得刚好，很香", "糖加得不多，甜而不腻"):
        assert DIRECTOR.find(text) == [] and DIRECTOR.find_weak(text) == [], text
        assert DIRECTOR.seasoned(text), text  # it speaks of taste
    assert DIRECTOR.find("辣椒放得太多了") == [("too_spicy", "辣椒放得太多")]
    assert DIRECTOR.find("辣椒加得不多，不够辣") == [("not_spicy_enough", "不够辣")]
    assert DIRECTOR.find_weak("辣椒放得刚好，可是汤太咸") == [("too_salty", "咸")]
    # a lot of it may be a complaint, and 恰好 going on as "happens to" says no amount: still read
    assert DIRECTOR.find_weak("辣椒放得很多") == [("too_spicy", "辣")]
    assert DIRECTOR.find_weak("辣椒放得恰好是一大把") == [("too_spicy", "辣")]
    # a balance praised (甜而不腻, 肥而不腻) is masked like 不甜不腻; 甜得发腻 is still too sweet
    assert DIRECTOR.find_weak("甜而不腻") == [] and DIRECTOR.find_weak("红烧肉肥而不腻") == []
    assert DIRECTOR.find("饮料甜得发腻") != []


@pytest.mark.parametrize(("text", "lacks"), [
    ("这次炒的花生忘放盐了", True), ("凉皮辣椒加少了", True), ("盐放多了", True),  # a seasoning put in
    ("没有辣味", True), ("卤蛋不入味", True), ("豆腐脑根本没味", True),  # deciding cues
    ("又小又不甜", False),  # 不甜 is as often praise
    ("一点都不淡", False),  # denied
    ("少了一份米饭", False), ("太咸了", False),  # no lack: too salty has no missing seasonings
])
def test_a_clause_lacking_a_seasoning_or_flavour(text: str, lacks: bool) -> None:
    assert (DIRECTOR.lacks(text) is not None) is lacks


def test_what_a_clause_says_besides_a_lack_is_left() -> None:
    """忘放盐了还少了一份米饭: the missing salt is blanked out, the missing rice is left."""
    rest = DIRECTOR.lacks("忘放盐了还少了一份米饭")
    assert rest is not None and len(rest) == len("忘放盐了还少了一份米饭")
    assert "少了一份米饭" in rest and "盐" not in rest
    assert DIRECTOR.lacks("菜不新鲜还没味道") == "菜不新鲜还\x00\x00\x00"


@pytest.mark.parametrize("text", ["吃火锅配这个酸梅汤正好解油腻", "怕油腻的人可以放心点", "喝点茶解腻"])
def test_greasiness_relieved_or_feared_is_no_too_oily_cue(text: str) -> None:
    """Taxonomy 1.22 makes 油腻 decide too oily; 解油腻 and 怕油腻 are masked (a helper's review)."""
    assert DIRECTOR.find(text) == [] and DIRECTOR.find_weak(text) == []

