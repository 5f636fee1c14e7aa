"""The polarity lexicon: denial, comparison with the past, slang (koubei.classify.lexicon)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from koubei.classify.lexicon import Evidence, lexicon_from_dict, load_lexicon
from koubei.errors import TaxonomyError
from koubei.text.normalize import normalize


@pytest.fixture(scope="module")
def lex():  # type: ignore[no-untyped-def]
    return load_lexicon()


@pytest.mark.parametrize("text", ["一点都没受潮", "箱子一点没压坏", "不会太咸", "没有吃出头发", "用了不过敏",
                                  "衣服洗了没掉色", "一点都不贵", "这次没踩雷", "汤一点都没漏", "还好不辣",
                                  "东西没有损坏", "包裹完好无损"])
def test_a_denied_complaint_is_praise(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    ev = lex.evidence(normalize(text))
    assert ev.praise and ev.positive, ev


@pytest.mark.parametrize("text", ["牛肉干一点都没发硬", "吃了两天也没闹肚子", "完全没有塑料味",
                                  "快递员没有暴力运输", "这次没有少发", "用了一个月也没有花屏",
                                  "面膜敷了没有刺痛", "衣服没有线头",
                                  "米饭没有夹生", "店员没有甩脸色",
                                  "快递一点都没耽误", "吃了两天肚子也没有不舒服", "米饭里没有沙子",
                                  "坚果没有一颗是坏的", "洗完头一点都不痒了", "吃多了也不上火",
                                  "一只蚊子也没有"])
def test_a_denied_state_of_a_bad_product_or_service_is_praise(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    """Lexicon 1.9: states a complaint names (hardened, undercooked, an upset stomach, a plastic
    smell, rough handling...) that the labelled reviews rarely deny; before, the bare negator
    was left over and the head read the denial as the complaint (牛肉干一点都没发硬: freshness
    neg)."""
    ev = lex.evidence(normalize(text))
    assert ev.praise and ev.positive, ev


@pytest.mark.parametrize("text", ["服务员一点都不凶", "炸鸡一点都不油", "油条也不是很油", "包裹一点都没湿",
                                  "做工一点都不粗糙", "这次外卖没有撒汤", "快递员没有暴力扔件",
                                  "这次没有送晚", "吃完肚子一点不难受", "耳机戴久了耳朵也不疼",
                                  "瓜子没有空壳"])
def test_lexicon_1_12_denials_are_praise(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    """Lexicon 1.12: 凶, 油, 湿 and 疼 as weak complaints, 粗糙, 撒汤, 暴力扔, 送晚, 难受... as
    complaints; before, each was a negator left over, and the head read 一点都不凶 as a service
    complaint."""
    ev = lex.evidence(normalize(text))
    assert ev.praise and ev.positive, ev


@pytest.mark.parametrize("text", ["服务员很凶", "菜很油", "地面太湿了", "包装简陋", "做工粗糙", "暴力快递",
                                  "前台凶巴巴的", "吃完胃很难受", "肚子好疼", "脸上起疹子了"])
def test_lexicon_1_12_complaints_said(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    ev = lex.evidence(normalize(text))
    assert ev.complaint and not ev.positive, ev


@pytest.mark.parametrize("text", ["尿不湿很好用", "皮肤很湿润", "没有湿巾", "没有油条", "毛发很油亮",
                                  "唇膏很油润", "咸鸭蛋很油很香", "易过敏体质", "过敏肌也能用",
                                  "老板很疼爱小猫", "真的很凶猛"])
def test_lexicon_1_12_words_inside_innocent_words_say_nothing(
        lex, text: str) -> None:  # type: ignore[no-untyped-def]
    # each reaches a mask: 尿不湿 is a nappy, not 不 + 湿 (a denial); 很湿润, 很油亮 praise, not 很湿,
    # 很油; 过敏体质 a skin type, no allergic reaction; 很疼爱 love, 很凶猛 fierce
    ev = lex.evidence(normalize(text))
    assert not ev.praise and not ev.complaint, ev


@pytest.mark.parametrize("text", ["个头大，很少有瘪的", "很少出毛病", "用着极少出现卡顿", "基本不会有坏的",
                                  "和图片一样", "颜色和图片一样，很满意", "收到的东西和描述的一样",
                                  "跟描述的一模一样", "与宣传相符", "分量实在", "料很实在。"])
def test_lexicon_1_13_rare_complaints_and_as_pictured_are_praise(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    """Lexicon 1.13: a complaint said to be rare (很少有瘪的: the demo's sunflower seeds were read
    as a portion complaint), goods as the picture or description show them, a portion 实在
    (solid; the head read 实在, mostly "really" before a complaint, as one)."""
    ev = lex.evidence(normalize(text))
    assert ev.praise and ev.positive, ev


@pytest.mark.parametrize("text", ["很少差评，这次实在忍不了", "购物很少给差评", "经常很少出差的",
                                  "分量很少坑人", "馅很少坑人", "汤很少坑爹", "很少踩雷，这次踩了",
                                  "很少失望",
                                  "菜量很少有人吃得饱", "很少遇到难吃成这样的", "没有跟图片上的一样",
                                  "本以为和图片一样结果差远了", "说好的和图片一样呢", "以为会和图片一样",
                                  "希望能和图片一样", "客服说和图片一样，收到完全两回事", "和图片一样差",
                                  "和图片一样个鬼", "和图片一样嘛", "哪里和图片一样了", "质量实在",
                                  "量实在是少", "没出差，退了房", "苹果皮看不出烂"])
def test_lexicon_1_13_look_alikes_are_no_praise(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    # 很少差评 prefaces a complaint; 出差 is a trip, not 出 + 差的; "rarely" needs its verb (有, 出,
    # 遇到...: 馅很少坑人 is "very little"); a rare sight of something this bad is a complaint; the
    # picture only as a whole clause of its own, after a subject but no verb of saying, hoping or
    # expecting, and with nothing after it (和图片一样差); 质量 holds 量; 实在 before what it stresses
    # is "really"; 看不出 is no denial
    assert lex.evidence(normalize(text)).praise == (), lex.evidence(normalize(text))


def test_lexicon_1_13_rarely_reviewing_is_no_missing_item(lex) -> None:  # type: ignore[no-untyped-def]
    # the mask: 很少给评价 is "I rarely write reviews"; lexicon 1.12 read its 少给 as a missing item
    assert lex.evidence(normalize("很少给评价，这次必须夸")).complaint == ()
    assert lex.evidence(normalize("这次少给了一包")).complaint == ("少给",)


@pytest.mark.parametrize("text", ["口红涂了不拔干", "耳机用了一个月没出过杂音", "从没出过问题"])
def test_lexicon_1_13_drying_and_never_happened_are_praise(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    # 拔干 (a cosmetic that dries the lips or skin) is a complaint word (not 拔干净); 没出, 从没出
    # are negators (没出过杂音; not 出差, a trip)
    ev = lex.evidence(normalize(text))
    assert ev.praise and ev.positive, ev


@pytest.mark.parametrize(("text", "praised"), [("包装太有心了", True), ("老板很用心", True),
                                               ("不是很用心", False), ("不太用心", False),
                                               ("这人很有心机", False)])
def test_care_taken_is_praise_unless_denied(lex, text: str, praised: bool) -> None:  # type: ignore[no-untyped-def]
    # the head read 包装太有心了 as a packaging complaint (太 before a word it rarely saw)
    assert lex.evidence(normalize(text)).positive is praised


@pytest.mark.parametrize(("clause", "middling"), [
    ("味道一般", True), ("物流一般。", True), ("服务也一般般", True), ("价格凑合吧", True),
    ("菜品味道都一般", True), ("口味和别家差不多。", True),
    ("很一般啊", False), ("味道太一般了", False),  # a degree: with a complaint around it, maybe negative
    ("很油味道一般", False),  # a complaint before it
    ("一般 调料太少", False), ("送到速度慢", False), ("一般来说都很好吃", False),
])
def test_a_middling_verdict_said_alone(lex, clause: str, middling: bool) -> None:  # type: ignore[no-untyped-def]
    """Lexicon 1.12's ``middling``: 一般 / 凑合 / 马马虎虎 said alone of a subject is ``neu`` by the
    guideline; the polarity head read most such mentions as complaints."""
    assert lex.middling_only(normalize(clause)) is middling


@pytest.mark.parametrize(("clause", "middling"), [
    ("口味比较普通", True), ("牛肉干味道普普通通", True), ("包装平平无奇", True),
    ("味道很普通", False),  # a degree, as 很一般
    ("发的是普通快递", False), ("普通话说得好", False),
])
def test_lexicon_1_15_ordinary_is_a_middling_verdict(lex, clause: str, middling: bool) -> None:  # type: ignore[no-untyped-def]
    """口味比较普通 read as taste praise: 普通 is a middling verdict like 一般, said alone of its subject."""
    assert lex.middling_only(normalize(clause)) is middling


@pytest.mark.parametrize(("text", "praise"), [
    ("鸭脖越嚼越香", "越嚼越香"), ("乌龙茶越品越有味道", "越品越有味"), ("猪肉脯越啃越上瘾", "越啃越上瘾"),
    ("牛板筋越嚼越有嚼劲", "越嚼越有嚼劲"), ("越吃越好吃", "越吃越好吃"),
])
def test_lexicon_1_15_a_taste_that_grows_as_one_chews_is_praise(lex, text: str, praise: str) -> None:  # type: ignore[no-untyped-def]
    """越嚼越香 read as a freshness complaint: the liking that grows (越吃越香) reads with the
    verbs of chewing and tasting too."""
    ev = lex.evidence(normalize(text))
    assert ev.praise == (praise,) and not ev.complaint


@pytest.mark.parametrize(("text", "praise"), [
    ("一吃就停不下来", True), ("好吃到停不下来", True), ("嚼着停不下来", True), ("吃起来停不住", True),
    # what will not stop is no eating: a complaint stays one (a helper's review of the first draft)
    ("吃完拉肚子停不下来", False), ("吃了腹泻停不住", False), ("喝完咳嗽停不下来", False),
    ("闹钟一直响，停不下来", False), ("机器一开就响，根本停不下来", False), ("录音停不下来", False),
])
def test_lexicon_1_15_eating_that_cannot_stop_is_praise(lex, text: str, praise: bool) -> None:  # type: ignore[no-untyped-def]
    ev = lex.evidence(normalize(text))
    assert bool(ev.praise) is praise, ev
    if "拉肚子" in text or "腹泻" in text:
        assert ev.complaint, ev


@pytest.mark.parametrize(("text", "only"), [
    ("强烈推荐。", True), ("超级棒😄", True), ("五星好评！！！", True), ("好评好评，五星", True),
    ("非常满意[哈哈]", True), ("还不错哦", True), ("差评差评！", True), ("垃圾💩", True),
    ("推荐购买", False), ("超级好吃", False), ("服务好", False), ("5星好评", False),
    ("很好" * 10, True), ("很好" * 11, False),  # at most VERDICTS_ONLY_CHARS characters
    ("好(^_^) " * 10, False),  # and three times as many in all
    ("", False), ("！！！", False),
])
def test_lexicon_1_15_a_review_of_verdicts_alone(lex, text: str, only: bool) -> None:  # type: ignore[no-untyped-def]
    """强烈推荐 and 超级棒 came out as taste: a review said in verdicts, degree words, ``hollow``
    words and the emoji's words names no topic."""
    assert lex.verdicts_only(normalize(text)) is only


@pytest.mark.parametrize(("word", "verdict"), [
    ("推荐", True), ("强烈推荐", True), ("五星好评", True), ("非常满意", True), ("太棒了", True),
    ("强烈", False), ("非常", False), ("推荐信", False), ("好吃", False), ("好不好", False),
    ("NOT_推荐", True),
])
def test_lexicon_1_15_a_dictionary_compound_of_a_verdict_is_a_verdict(lex, word: str, verdict: bool) -> None:  # type: ignore[no-untyped-def]
    """jieba keeps 强烈推荐 and 五星好评 whole: such a word judges as its verdict does
    (强烈推荐，就是有点贵 kept the taste 推荐 carried); a question (好不好) does not."""
    assert lex.is_verdict(word) is verdict
    assert lex.holds_verdict(["价格", word]) is verdict


def refused_then_without(lex, key: str, bad: object, message: str):  # type: ignore[no-untyped-def]
    """Check that a bad ``key`` is refused with ``message`` (naming my.yaml), then load the lexicon
    without ``key``, as a bundle trained before the list existed holds it."""
    raw = lex.to_dict()
    with pytest.raises(TaxonomyError, match=message):
        lexicon_from_dict({**raw, key: bad}, source="my.yaml")
    del raw[key]
    return lexicon_from_dict(raw)


def test_a_lexicon_before_1_15_finds_no_review_of_verdicts_alone(lex) -> None:  # type: ignore[no-untyped-def]
    old = refused_then_without(lex, "hollow", ["强烈", ""],  # bundles trained with lexicon 1.14 or earlier
                               "my.yaml: 'hollow' must be a list of non-empty strings")
    assert not old.verdicts_only("强烈推荐") and old.is_verdict("推荐")


def test_a_lexicon_without_middling_words_finds_none(lex) -> None:  # type: ignore[no-untyped-def]
    old = refused_then_without(lex, "middling", "一般",  # bundles trained with lexicon 1.11 or earlier
                               "my.yaml: 'middling' must be a list of non-empty strings")
    assert old.middling == () and not old.middling_only("味道一般")


@pytest.mark.parametrize("text", ["备注不要辣的", "备注了不放葱", "备注的不要香菜"])
def test_a_request_in_the_order_note_is_no_denial(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    """备注不要辣 asks for something; its 不要 denies no praise word (it blocked the one-sided
    praise of 没有送错，备注的不要香菜也照做了, which the head then read as an order complaint)."""
    ev = lex.evidence(normalize(text))
    assert not ev.denial and not ev.praise, ev


@pytest.mark.parametrize("text", ["不送餐具", "没送到", "酒店没有送拖鞋", "这次没送凉菜", "没有送湿毛巾"])
def test_a_missing_item_sent_is_no_denied_complaint(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    ev = lex.evidence(normalize(text))
    assert ev.denial and not ev.praise, ev


@pytest.mark.parametrize("text", ["受潮了", "饼干有点软", "又踩雷了", "太咸了", "外包装损坏", "牛肉干发硬了",
                                  "一股塑料味", "吃完肚子不舒服", "房间里有蟑螂", "噪音太大", "头皮有点痒",
                                  "吃了容易上火", "房间有蚊子"])
def test_a_complaint_said_is_a_complaint(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    ev = lex.evidence(normalize(text))
    assert ev.complaint and not ev.positive, ev


@pytest.mark.parametrize("text", ["不新鲜", "没有送餐具", "不是很好吃"])
def test_a_denied_praise_word_blocks_praise(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    ev = lex.evidence(normalize(text))
    assert ev.denial and not ev.praise and not ev.positive, ev


@pytest.mark.parametrize("text", ["没有以前好吃了", "味道不如上次", "分量越来越少", "比之前慢了好多",
                                  "质量大不如前", "服务没有前两次好", "效果不如上一盒", "比以前少了不少",
                                  "比以前好像小了", "分量比上次大概少了三分之一", "比以前足足少了一半",
                                  "比之前快递慢了好几天"])
def test_worse_than_before(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    ev = lex.evidence(normalize(text))
    assert ev.worse and ev.worse_only, ev


@pytest.mark.parametrize("text", ["包装比之前简陋多了", "这次比以前受潮多了", "比上次粗糙不少"])
def test_a_complaint_word_after_a_comparison_is_worse(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    """Lexicon 1.12: 比 + past + a complaint word (COMPLAINT in a comparison pattern) is worse
    than before; before, the 多 of 简陋多了 read as "more", better than before."""
    ev = lex.evidence(normalize(text))
    assert ev.worse and ev.worse_only, ev


@pytest.mark.parametrize(("text", "better"), [
    ("还是和以前一样新鲜", True), ("味道还是和以前一样", True), ("送货还和以前一样快", True),
    ("服务还是和以前一样差", False), ("和以前一样难吃", False), ("口感和上次一样不好", False),
])
def test_the_same_as_before_is_as_good_or_as_bad_as_it_was(lex, text: str, better: bool) -> None:  # type: ignore[no-untyped-def]
    """Lexicon 1.12: 和以前一样 + praise (or a product's taste or quality alone) is better than before,
    + a complaint worse (still as bad); before, 还是和以前一样新鲜 had no evidence and the head read
    a freshness complaint."""
    ev = lex.evidence(normalize(text))
    assert (ev.positive and not ev.worse) if better else ev.worse_only, ev


@pytest.mark.parametrize("text", ["尺码和以前一样", "味道和以前一样咸香", "还是和以前一样少油少盐",
                                  "尺寸和以前一样小巧", "还是和以前一样好慢", "口感和以前一样硬"])
def test_the_same_as_before_reads_its_word_whole(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    # 咸香, 少油, 小巧 are no 咸, 少, 小; 好慢 no 好: neither better nor worse than before
    ev = lex.evidence(normalize(text))
    assert not ev.worse and not ev.positive, ev


@pytest.mark.parametrize("text", ["比以前卡顿好多了", "比上次异味好多了", "比之前噪音好很多"])
def test_a_complaint_that_got_better_is_no_worse(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    ev = lex.evidence(normalize(text))
    assert ev.positive and not ev.worse, ev


def test_a_denied_complaint_after_a_comparison_is_no_worse(lex) -> None:  # type: ignore[no-untyped-def]
    ev = lex.evidence(normalize("比以前没有异味了"))
    assert ev.positive and not ev.worse, ev


@pytest.mark.parametrize("text", ["比以前好吃多了", "比上次发货快", "没有以前那么贵了", "越来越好吃",
                                  "还是以前的味道", "衣服洗了不缩水", "一点没缩水", "不比以前差",
                                  "味道一点没变", "口味从来没变过", "口味从没变过", "品质一直都没有变",
                                  "味道还是没变", "比以前便宜了不少", "比之前快了不少", "比以前好了不少",
                                  "比以前多了不少"])
def test_better_than_before(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    ev = lex.evidence(normalize(text))
    assert ev.positive and not ev.worse, ev


@pytest.mark.parametrize("text", ["差的人数还是没变", "一分都没有变", "味道没变质", "味道没有变好",
                                  "质量一直没变好"])
def test_unchanged_without_a_quality_is_no_praise_of_the_past(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    # 没变 praises a product's taste or quality kept; a count unchanged is no praise, nor is
    # 没变好 (not better); 没变质 is a denied complaint (praise of its own), not the comparison
    ev = lex.evidence(normalize(text))
    assert not any("变" in p and "变质" not in p for p in ev.praise), ev


@pytest.mark.parametrize("text", ["口感和味道都在线", "这个辣条yyds", "绝绝子", "白菜价"])
def test_slang_praise(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    assert lex.evidence(normalize(text)).positive


@pytest.mark.parametrize("text", ["味道还行", "分量还可以吧", "价格还算可以", "环境尚可"])
def test_mild_praise_is_praise(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    # GUIDELINE, Conventions: 还行 / 还可以 / 尚可 about a topic are pos (mild praise)
    assert lex.evidence(normalize(text)).positive


@pytest.mark.parametrize("text", ["不辣不咸刚刚好", "不油不腻，正合适", "不太甜不太酸，刚好"])
def test_a_balance_just_right_is_praise(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    # neither too X nor too Y, just right: praise of the balance, no 不 left over as a denial
    ev = lex.evidence(normalize(text))
    assert ev.positive and not ev.denial, ev


@pytest.mark.parametrize("text", ["不咸不淡", "苹果不酸不甜没味道"])
def test_a_balance_without_just_right_is_no_praise(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    # without 刚好 it is as often a complaint (too bland): not one-sided praise
    assert not lex.evidence(normalize(text)).positive


@pytest.mark.parametrize("text", ["米饭还行，就是菜也油的要命", "味道还可以，但是送得太晚",
                                  "还可以，不过分量一般"])
def test_praise_before_a_contrast_is_not_one_sided(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    # GUIDELINE: mild praise plus a concrete complaint (X还可以，就是Y) is no praise of the whole
    ev = lex.evidence(normalize(text))
    assert ev.praise and ev.contrast and not ev.positive


@pytest.mark.parametrize(("text", "positive"), [
    ("不过下单当天就发货了", True),  # the clause of 味道寡淡，不过下单当天就发货了: the turn is to praise
    ("但是快递3天就到了", True),
    ("但是价格还行", True),
    ("还可以，但是很划算", False),  # praise before the contrast: what it announces may be unknown
    ("量少，但是一个人吃还行。快递还行吧，但是等的时间很长", False),  # a later contrast after praise
    ("但是下单当天就发货了，再也不买了", False),  # something against it (a negator)
])
def test_a_contrast_that_turns_to_praise_announces_nothing_against_it(
        lex, text: str, positive: bool) -> None:  # type: ignore[no-untyped-def]
    # the demo's 有几颗发霉的，但是下单当天就发货了 read delivery as a complaint: its clause's contrast
    # kept the praise from settling it
    assert lex.evidence(normalize(text)).positive is positive


def test_a_contrast_word_inside_another_word_is_none(lex) -> None:  # type: ignore[no-untyped-def]
    ev = lex.evidence(normalize("用了不过敏，还行"))
    assert ev.contrast == () and ev.positive


def test_a_lexicon_without_contrast_words_still_loads(lex) -> None:  # type: ignore[no-untyped-def]
    raw = lex.to_dict()
    del raw["contrast"]  # bundles trained with lexicon 1.1
    old = lexicon_from_dict(raw)
    assert old.contrast == () and old.evidence(normalize("味道还行，就是有点油")).contrast == ()
    with pytest.raises(TaxonomyError, match="'contrast'"):
        lexicon_from_dict({**raw, "contrast": "就是"})


def test_verdicts_are_whole_words_with_or_without_a_negation_mark(lex) -> None:  # type: ignore[no-untyped-def]
    assert lex.is_verdict("还行") and lex.is_verdict("不错") and lex.is_verdict("NOT_问题")
    assert not lex.is_verdict("味道") and not lex.is_verdict("还行吧") and not lex.is_verdict("送餐速度")


@pytest.mark.parametrize("text", ["咸淡刚好", "不辣不咸刚刚好", "酸甜适中"])
def test_a_balance_with_or_without_not_names_no_taste_direction(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    from koubei.classify.taste import TasteDirector
    from koubei.taxonomy import load_taxonomy

    assert lex.evidence(normalize(text)).positive
    assert TasteDirector(load_taxonomy()).matches(text) == []  # no direction read in it


@pytest.mark.parametrize("text", ["快递2天就到了", "物流很快一天就到了", "不到一小时就到了", "越吃越香",
                                  "越用越喜欢"])
def test_fast_arrival_and_growing_liking_are_praise(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    """Lexicon 1.10: the heads read 快递2天就到了 and 越吃越香 alone as complaints (the demo's
    快递2天就到了，越吃越香！ lost its delivery praise to a retrain)."""
    ev = lex.evidence(normalize(text))
    assert ev.positive, ev
    assert not lex.evidence(normalize("越吃越咸")).praise and not lex.evidence("三天才到").praise


@pytest.mark.parametrize("text", ["房间一点噪音都没有", "菜里一根头发也没有", "一丝腥味都没有",
                                  "包装一点破损都没有", "连一个烂的都没有", "一颗坏的也没有"])
def test_a_complaint_counted_then_denied_is_praise(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    """Lexicon 1.10: the post-posed denial (一 + a measure word + the complaint + 都/也 + 没有)
    says what 没有 + the complaint says; before, the complaint word was read as said and the
    negator left over (房间一点噪音都没有 was an environment complaint)."""
    ev = lex.evidence(normalize(text))
    assert ev.praise and ev.positive, ev


@pytest.mark.parametrize("text", ["牛蛙一点味道都没有", "一点诚信都没有", "一点辣椒都没给", "一点都没有用",
                                  "给一个差评都不为过", "一点问题也没有解决"])
def test_something_good_counted_then_denied_is_no_praise(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    """Only a complaint word counted and denied (by 没有, and not before a verb of handling) is
    praise: no taste, no good faith, no chili are complaints, and so is a problem not solved."""
    assert not lex.evidence(normalize(text)).praise


@pytest.mark.parametrize("text", ["不会是假货吧", "不也是假货吗", "前几天就收到了，今天才用",
                                  "等了十几天就到了", "说好两天就到了，结果等了一周", "唯一绝不能忍的是态度",
                                  "越吃越爱上火"])
def test_false_friends_of_the_new_words_are_no_praise(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    """Lexicon 1.10's words where they mean something else: a suspicion (不会是假货吧), a date
    (前几天就收到了), a wait (十几天), a promise (说好两天就到了), 唯一 + 绝不, 爱 as "prone to"."""
    assert not lex.evidence(normalize(text)).praise, lex.evidence(normalize(text))


@pytest.mark.parametrize("text", ["噪音很小", "噪音不大", "苍蝇馆子味道正宗", "杀蟑螂效果很好", "错过血亏",
                                  "怕踩雷，看了评价才买的", "终于吃上火锅了", "送我上火车", "驱蚊子效果好",
                                  "止痒效果好"])
def test_false_friends_of_the_new_complaint_words_are_no_complaint(lex, text: str) -> None:  # type: ignore
    """Praise of quiet, a small local restaurant (苍蝇馆子), a product that kills cockroaches or
    mosquitoes, slang said of a fear or a bargain, 上火 of 火锅 and 火车 are masked, and a bare 痒
    is no complaint: no complaint, no leftover negator."""
    ev = lex.evidence(normalize(text))
    assert not ev.complaint and not ev.denial, ev


def test_the_denied_complaint_words_are_listed_in_order(lex) -> None:  # type: ignore[no-untyped-def]
    assert lex.denied_complaints("没有夹生，也不贵") == ["夹生", "贵"]
    assert lex.denied_complaints("一点异味都没有，也不贵") == ["异味", "贵"]
    assert lex.denied_complaints("不贵，一颗坏的也没有") == ["贵", "坏"]
    assert lex.denied_complaints("一点都没有一点异味都没有") == ["异味"]  # one denial read once
    assert lex.denied_complaints("一点都不失望") == ["失望"]
    assert lex.denied_complaints("超时了") == [] and lex.denied_complaints("联系在线客服") == []


@pytest.mark.parametrize(("clause", "following", "concedes"), [
    ("便宜是便宜", "就是不好吃", True),
    ("好吃倒是好吃", "但是太贵了", True),
    ("好是好", "就是反应太慢了", True),
    ("东西好是好", "就是太贵", True),  # a subject before it
    ("便宜是便宜了", "但是不好吃", True),
    ("便宜是便宜", "味道也好", False),  # no contrast: granting, not setting aside
    ("这是好的", "就是有点贵", False),  # not X是X
    ("便宜是便宜的", "就是不好吃", False),  # the whole clause must be the concession
])
def test_a_concession_is_x_shi_x_before_a_contrast(lex, clause: str, following: str,
                                                     concedes: bool) -> None:  # type: ignore[no-untyped-def]
    assert lex.concedes(clause, following) is concedes


@pytest.mark.parametrize(("clauses", "ctx", "topics", "label", "settled"), [
    # 便宜是便宜，就是不好吃: what is said after the concession is the verdict
    (["便宜是便宜", "就是不好吃"], [[0], [1]], {"price_value": "pos", "taste": "neg"}, "neu", "neg"),
    (["贵是贵", "但是真的好吃"], [[0], [1]], {"price_value": "neg", "taste": "pos"}, "neu", "pos"),
    # the topics after it disagree, or none is said after it: the model's label stands
    (["好吃是好吃", "就是有点贵", "服务很好"], [[0], [1], [2]],
     {"taste": "pos", "price_value": "neg", "service_attitude": "pos"}, "neu", "neu"),
    (["贵是贵", "不过忍了"], [[0]], {"price_value": "neg"}, "neu", "neu"),
    # one topic on both sides: its clause after the concession is the verdict (好吃是好吃，就是有点咸)
    (["好吃是好吃", "就是有点咸"], [[0, 1]], {"taste": "neg"}, "pos", "neg"),
    # a topic said only in the conceded clause is not after it
    (["好吃是好吃", "就是有点贵"], [[0], [1]], {"taste": "pos", "price_value": "neg"}, "neu", "neg"),
    # no concession
    (["便宜", "就是不好吃"], [[0], [1]], {"price_value": "pos", "taste": "neg"}, "neu", "neu"),
])
def test_the_sentiment_after_a_concession_is_the_review_s(lex, clauses: list[str], ctx: list[list[int]],
                                                          topics: dict[str, str], label: str,
                                                          settled: str) -> None:  # type: ignore[no-untyped-def]
    from koubei.model.predict import conceded_sentiment

    pad = ["别的评论"]  # the review's clause rows start past another review's
    rows = [[r + 1 for r in rs] for rs in ctx]
    got = conceded_sentiment(lex, label, pad + clauses, range(1, 1 + len(clauses)), rows, topics)
    assert got == settled
    assert conceded_sentiment(None, label, pad + clauses, range(1, 1 + len(clauses)), rows, topics) == label


def test_a_lexicon_without_verdicts_still_loads(lex) -> None:  # type: ignore[no-untyped-def]
    raw = lex.to_dict()
    del raw["verdicts"]  # bundles trained with lexicon 1.4 or earlier
    old = lexicon_from_dict(raw)
    assert old.verdicts == () and not old.is_verdict("还行")
    with pytest.raises(TaxonomyError, match="'verdicts'"):
        lexicon_from_dict({**raw, "verdicts": ["还行", ""]})


@pytest.mark.parametrize("text, continues", [
    ("还是那么差", True), ("依旧这么慢", True), ("也没有漏", True),
    ("味道还是那么好", False),  # a topic word first: a clause of its own
    ("就是有点咸", False),  # a contrast, not a continuation
    ("也许年轻人还可以接受", False),  # 也许: maybe
])
def test_a_continuation_word_opens_the_clause(lex, text: str, continues: bool) -> None:  # type: ignore[no-untyped-def]
    assert lex.continues(normalize(text)) is continues


@pytest.mark.parametrize("text", ["还是那么差", "依旧这么难吃", "仍然那么慢"])
def test_still_as_bad_is_worse_than_before(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    ev = lex.evidence(normalize(text))
    assert ev.worse and ev.settles("pos") == "neg", ev


def test_still_as_good_is_no_complaint(lex) -> None:  # type: ignore[no-untyped-def]
    ev = lex.evidence(normalize("还是那么好吃"))
    assert not ev.worse and not ev.complaint, ev


def test_a_lexicon_without_continuation_words_still_loads(lex) -> None:  # type: ignore[no-untyped-def]
    raw = lex.to_dict()
    del raw["continuation"]  # bundles trained with lexicon 1.6 or earlier
    old = lexicon_from_dict(raw)
    assert old.continuation == () and not old.continues("还是那么差")
    with pytest.raises(TaxonomyError, match="'continuation'"):
        lexicon_from_dict({**raw, "continuation": "还是"})
    with pytest.raises(TaxonomyError, match=r"'continuation': the pattern '也\(\?!许' does not compile"):
        lexicon_from_dict({**raw, "continuation": ["还是", "也(?!许"]})


def test_mild_praise_beside_a_complaint_is_not_one_sided(lex) -> None:  # type: ignore[no-untyped-def]
    ev = lex.evidence(normalize("味道还可以，就是太咸了"))
    assert ev.praise and ev.complaint and not ev.positive


@pytest.mark.parametrize("text", ["价格贵了不少", "是不是假货", "快递隔天没到说坏了", "价格又多了五块",
                                  "不咸不淡"])
def test_ordinary_phrases_are_not_read_as_denials(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    """不少 (quite a lot), a question (是不是), a negator far from the complaint: no praise."""
    assert not lex.evidence(normalize(text)).praise


def test_comparisons_stay_inside_their_clause(lex) -> None:  # type: ignore[no-untyped-def]
    """比以前快，不贵 is better twice, not 比以前...贵; 不如上次，这么贵 stays worse."""
    assert lex.evidence("比以前快，不贵").positive
    assert lex.evidence("味道不如上次，这么贵").worse_only
    merged = lex.evidence_of(["比以前快", "不贵"])
    assert merged.praise == ("比以前快", "不贵") and merged.positive


@pytest.mark.parametrize("text", [
    "长毛猫用着很好",  # 长毛 is no complaint word: a long-haired cat (the taxonomy reads 长毛 as mould)
    "无线头戴耳机",  # wireless (无线) headphones, not 无 + 线头
    "变形金刚很好玩", "除甲醛效果好", "去污渍能力强", "这病很少发作", "一本傲慢与偏见",
])
def test_innocent_words_holding_a_new_complaint_word_say_nothing(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    assert lex.evidence(normalize(text)) == Evidence()


@pytest.mark.parametrize("text", ["要不是少发了一包，就给五星了", "宣传说无甲醛，其实味道很大",
                                  "说好的不褪色呢", "难道不是翻新机吗", "若不是少发了一包，就好评了",
                                  "这不是翻新机是什么", "我看不是翻新机就是有问题", "为什么不是山寨的"])
def test_a_denial_that_is_no_fact_is_no_praise(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    """A counterfactual (要不是), a claim (宣传说无, 说好的不), a question (难道不是, 为什么不是)
    or a rhetorical 不是X是什么 / 不是X就是Y denies nothing that happened: the complaint word is
    said."""
    ev = lex.evidence(normalize(text))
    assert not ev.praise and ev.complaint, ev


@pytest.mark.parametrize("text", ["有股化学味", "从来没拿错过"])
def test_a_mask_leaves_the_complaint_words_that_hold_it(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    """化学 and 错过 are masked (化学成分, 错过了), not inside 化学味 or 拿错过."""
    ev = lex.evidence(normalize(text))
    assert ev.complaint or ev.praise, ev


@pytest.mark.parametrize("text", ["联系在线客服", "味道差不多", "化妆品", "包装不错"])
def test_masked_phrases_say_nothing(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    assert lex.evidence(normalize(text)) == Evidence()


@pytest.mark.parametrize(("evidence", "head", "settled"), [
    (Evidence(praise=("没受潮",)), "neg", "pos"),
    (Evidence(praise=("没受潮",), complaint=("有点软",)), "neg", "neg"),
    (Evidence(praise=("没受潮",), denial=("不",)), "neg", "neg"),
    (Evidence(worse=("不如上次",)), "pos", "neg"),
    (Evidence(worse=("不如上次",), praise=("在线",)), "pos", "pos"),
    (Evidence(), "neu", "neu"),
])
def test_settles_only_one_sided_evidence(evidence: Evidence, head: str, settled: str) -> None:
    assert evidence.settles(head) == settled


@pytest.mark.parametrize("text", ["包装翻车了", "这家踩雷了", "快递避雷", "分量一言难尽", "这就是智商税"])
def test_slang_said_alone_makes_the_mention_negative(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    """Words the labelled reviews lack: the head read 包装翻车了 as praise of the packaging."""
    ev = lex.evidence(normalize(text))
    assert ev.slang and ev.complaint_only, ev
    assert ev.settles("pos") == "neg"


@pytest.mark.parametrize("text", ["没有踩雷", "踩雷了，不过味道还行", "包装有点破", "终于来拔草了",
                                  "麻辣鸡爪很入味"])
def test_slang_denied_or_answered_or_none_leaves_the_head(lex, text: str) -> None:  # type: ignore[no-untyped-def]
    """Denied slang is praise; slang beside praise or a contrast is not one-sided; a plain
    complaint word alone (有点破) is left to the head, as are 拔草 (on Dianping also "went to try
    it") and 辣鸡 (麻辣鸡爪, a dish)."""
    ev = lex.evidence(normalize(text))
    assert ev.settles("pos") == "pos", ev


def test_a_slang_complaint_must_be_a_complaint_word(lex) -> None:  # type: ignore[no-untyped-def]
    old = refused_then_without(lex, "slang_complaints", ["翻车", "栓Q"],  # lexicon 1.7 or earlier
                               "my.yaml: 'slang_complaints': 栓Q not in 'complaints'")
    assert old.slang_complaints == () and old.evidence("包装翻车了").settles("pos") == "pos"


@pytest.mark.parametrize(("text", "kind"), [
    ("从来没遇到过这么差的服务", "complaint"), ("没见过这么慢的快递", "complaint"),
    ("这辈子没碰到过这么脏的酒店", "complaint"), ("很少遇到这么敷衍的客服", "complaint"),
    ("没见过那么慢的快递", "complaint"), ("从没吃过那么难吃的", "complaint"),  # 那么 after 过
    ("从没吃过这么好吃的烤鸭", "praise"), ("没碰到过这么新鲜的草莓", "praise"),
    ("很少见到如此热情的老板", "praise"), ("从来没买到过这么便宜的坚果", "praise"),
])
def test_lexicon_1_14_never_met_anything_like_it_denies_nothing(
        lex, text: str, kind: str) -> None:  # type: ignore[no-untyped-def]
    """Lexicon 1.14: a negator (or 很少), a verb of experience and 这么 say "never anything like it":
    从来没遇到过这么差的服务 was read as 没 + fillers (遇到, 过, 这么) + 差, a denied complaint, so
    the service came out as praised; the word 这么 measures is what the clause says."""
    ev = lex.evidence(normalize(text))
    other = "praise" if kind == "complaint" else "complaint"
    assert getattr(ev, kind) and not getattr(ev, other) and not ev.denial, ev
    # where what it never met is measured: the 这么, 那么 or 如此 of the frame
    at = lex.never_met(normalize(text))
    assert at >= 0 and normalize(text)[at:at + 2] in ("这么", "那么", "如此"), at


def test_never_met_says_where_the_frame_measures(lex) -> None:  # type: ignore[no-untyped-def]
    assert lex.never_met("定这么多次，没见过这么慢的") == 9  # the frame's 这么, not the first
    assert lex.never_met("没有以前吃到的那么好吃") == -1  # not as good as before
    assert lex.never_met("这么便宜，没买过") == -1


def test_lexicon_1_14_a_comparison_with_the_past_stays_one(lex) -> None:  # type: ignore[no-untyped-def]
    # 没有以前吃到的那么好吃: not as good as before, not "never ate anything this good"
    ev = lex.evidence(normalize("没有以前吃到的那么好吃"))
    assert ev.worse and not ev.praise, ev


def test_lexicon_1_14_that_said_by_others_is_no_measure(lex) -> None:  # type: ignore[no-untyped-def]
    # 那么 with no 过 points back at what other reviews said: a denial, as before 1.14
    ev = lex.evidence(normalize("看评论说送餐慢，我没遇到那么慢的"))
    assert ev.praise == ("没遇到那么慢",) and not ev.complaint, ev


def test_lexicon_1_14_this_kind_of_problem_is_no_measure(lex) -> None:  # type: ignore[no-untyped-def]
    # 没遇到过这种问题 (in a reply to other reviews: "I had no such problem") is read as before 1.14:
    # 这种 and 这样 name a kind, they measure nothing
    ev = lex.evidence(normalize("用了半年没遇到过这种问题"))
    assert ev.complaint == ("问题",) and ev.denial == ("没",) and not ev.praise, ev


@pytest.mark.parametrize(("text", "praise"), [
    ("没有这么差", ("没有这么差",)),  # no verb of experience: a plain denial, as before
    ("没那么咸", ("没那么咸",)),
    ("没见过这种东西", ()),  # nothing measured after it: no evidence either way
    ("还没吃过", ()),
    ("没有像看到那样好", ()),  # a comparison (像, 和, 跟...): "not as good as it looked"
    ("没有网上看到的那么好", ()),  # 的 after the verb: a comparison too
    ("这家店没有网上看到那么好吃", ()),  # 那么 with no 过: "not as good as"
    ("这次没吃到上次那么好吃的", ()),  # a past word after the verb
    ("没有评论里看到的那么差", ()),
    ("没吃过这么软糯的年糕", ()),  # 这么 measures 软糯, no complaint word whole (软 is one)
    ("没见过这么脆弱的包装", ()),  # nor a praise word whole (脆 is one)
])
def test_lexicon_1_14_without_a_verb_of_experience_a_denial_stays_one(
        lex, text: str, praise: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    ev = lex.evidence(normalize(text))
    assert ev.praise == praise and not ev.complaint, ev


@pytest.mark.parametrize(("text", "rare"), [
    ("物流很少延误", True), ("这家外卖很少送错", True), ("这款手机极少卡顿", True),
    ("用了一年很少死机", True),
    # "rarely" straight before a verdict is "very little" or a preface: 馅很少坑人, 很少差评
    ("很少失望", False), ("饺子馅很少坑人", False), ("很少毛病", False), ("很少踩雷，这次踩了", False),
    # "very few" of what came before: 太 and a finished event (了) are no rarity
    ("鸡块很少太贵了", False), ("包装很少破了", False), ("奶茶很少洒了", False),
    ("这家水果现在很少有坏果了", True), ("物流现在很少出现延误了", True),  # 了 stops only the verbless
])
def test_lexicon_1_14_rarely_needs_no_verb_before_a_defect(
        lex, text: str, rare: bool) -> None:  # type: ignore[no-untyped-def]
    ev = lex.evidence(normalize(text))
    assert bool(ev.praise) is rare, ev


@pytest.mark.parametrize(("text", "denies"), [
    ("不是很新鲜", True), ("服务员不算太热情", True), ("送餐不是太及时", True),
    ("卤味的味道不是特别好", True),
    ("价格不是很高", False),  # not listed: a price not high is praise
    ("不好意思，麻烦快点", False), ("不好说", False), ("不新鲜的都挑出来了", False),
    ("不管味道好不好", False), ("新鲜不新鲜，一看就知道", False),  # a question, no denial
    ("味道不好", True),  # 味道 ends as 地道 does: only the word itself before 不 makes a question
    ("不知道新不新鲜", False), ("好不好吃不知道", False),  # its first character too
    ("这不香吗", False), ("搞不好下次还会买", False), ("说不好", False),  # a question, idioms
    ("不是不新鲜", False), ("修补痕迹不明显", False),  # denied twice; 明显 is no praise word
    ("不大新鲜", True), ("不咋好吃", True),
    ("味道很好，不是快递的错", False), ("不是香菜", False), ("不好好做菜", False),  # a compound
    ("很新鲜", False),
])
def test_lexicon_1_14_denied_plain_praise(lex, text: str, denies: bool) -> None:  # type: ignore[no-untyped-def]
    assert bool(lex.denied_praise(normalize(text))) is denies


def test_a_lexicon_before_1_14_reads_as_it_did(lex) -> None:  # type: ignore[no-untyped-def]
    raw = lex.to_dict()
    del raw["experienced"], raw["plain_praise"]  # bundles trained with lexicon 1.13 or earlier
    old = lexicon_from_dict(raw)
    assert old.evidence("从来没遇到过这么差的服务").praise == ("没遇到过这么差",)
    assert old.denied_praise("不是很新鲜") == []
    only_verbs = lexicon_from_dict({**raw, "experienced": ["遇到"]})  # verbs, no praise words
    assert only_verbs.evidence("没遇到过这么新鲜的").praise == ()
    assert only_verbs.evidence("没遇到过这么差的").complaint == ("没遇到过这么差",)
    with pytest.raises(TaxonomyError, match="my.yaml: 'plain_praise' must be a list of non-empty strings"):
        lexicon_from_dict({**raw, "plain_praise": "新鲜"}, source="my.yaml")
    with pytest.raises(TaxonomyError, match="my.yaml: 'experienced' must be a list of non-empty strings"):
        lexicon_from_dict({**raw, "experienced": ["遇到", ""]}, source="my.yaml")


@pytest.mark.parametrize(("text", "read"), [
    ("这次的薯片没上次脆", "这次的薯片··不脆"),
    ("鸭脖没有以前辣了", "鸭脖···不辣了"),
    ("不如之前那么好吃", "·····不好吃"),
    ("没第一次好吃", "···不好吃"),
    ("比以前好吃", "比以前好吃"),  # no denial: as it was
    ("以前没有这么咸", "以前没有这么咸"),  # the past first: as it was
    ("没有以前咸了", "没有以前咸了"),  # a complaint word after it: better than before, not 不咸
    ("不如以前那么油腻了", "不如以前那么油腻了"),
    ("已经不是第一次这么咸了", "已经不是第一次这么咸了"),  # not the first time: no comparison
    ("说不过去", "说不过去"),
])
def test_a_comparison_falling_short_of_the_past_reads_as_a_denial(lex, text: str, read: str) -> None:  # type: ignore[no-untyped-def]
    from koubei.classify.lexicon import PAST_PAD

    read = read.replace("·", PAST_PAD)
    assert lex.past_as_denial(text) == read and len(read) == len(text)


def test_a_lexicon_without_past_words_rewrites_nothing(lex) -> None:  # type: ignore[no-untyped-def]
    raw = {**lex.to_dict(), "past": [], "worse_than_before": [], "better_than_before": []}
    assert lexicon_from_dict(raw).past_as_denial("没上次脆") == "没上次脆"


def test_round_trip_and_hash(lex) -> None:  # type: ignore[no-untyped-def]
    again = lexicon_from_dict(lex.to_dict())
    assert again.sha256() == lex.sha256()
    assert again.evidence("一点没压坏") == lex.evidence("一点没压坏")


def test_a_remembered_lexicon_pickles_and_reads_the_same(lex) -> None:  # type: ignore[no-untyped-def]
    texts = ["一点没压坏", "好吃", "味道不如上次，这么贵", "", "没有以前那么贵"]
    before = [lex.evidence(t) for t in texts]  # fills the memo
    again = pickle.loads(pickle.dumps(lex))  # e.g. a worker process started with spawn
    assert again._memo == {}  # the memo stays behind
    assert [again.evidence(t) for t in texts] == before == [lex._read_one(t) for t in texts]
    assert lex.evidence_of(texts) == Evidence(*(tuple(x for e in before for x in getattr(e, k))
                                                for k in ("praise", "complaint", "worse", "denial",
                                                          "contrast")))


def test_a_full_memo_keeps_every_text_of_the_call_that_filled_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """settle_by_lexicon reads a batch's clauses together, then each one alone: none of them may be
    read a second time because the memo was cleared to make room for them."""
    from koubei.classify import lexicon as module

    lex = load_lexicon()
    monkeypatch.setattr(module, "MEMO_SIZE", 4)
    lex.evidence_many(["好吃", "一点没压坏", "味道不如上次"])
    texts = ["好吃", "没有以前那么贵", "不会太咸", "太难吃了"]  # one known, three new: 3 + 3 > 4
    first = lex.evidence_many(texts)
    reads: list[str] = []
    monkeypatch.setattr(lex, "_read_many", lambda ts: reads.extend(ts) or [])
    assert [lex.evidence(t) for t in texts] == first
    assert reads == []  # every text of the call came from the memo, the known one too
    assert first[1].praise and first[3].complaint


def test_missing_list_is_named(lex) -> None:  # type: ignore[no-untyped-def]
    raw = lex.to_dict()
    del raw["fillers"]
    with pytest.raises(TaxonomyError, match="'fillers' must be a list"):
        lexicon_from_dict(raw, source="my.yaml")


def test_bad_pattern_is_named(lex) -> None:  # type: ignore[no-untyped-def]
    raw = {**lex.to_dict(), "praise": ["在线("]}
    with pytest.raises(TaxonomyError, match=r"my.yaml: 'praise': the pattern '在线\(' does not compile"):
        lexicon_from_dict(raw, source="my.yaml")
    raw = {**lex.to_dict(), "worse_than_before": ["(没有|不如)(PAST"]}  # compiled with PAST filled in
    with pytest.raises(TaxonomyError, match="my.yaml: a pattern does not compile"):
        lexicon_from_dict(raw, source="my.yaml")


def test_missing_or_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="polarity lexicon not found"):
        load_lexicon(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("negators: [没有\n", encoding="utf-8")
    with pytest.raises(TaxonomyError, match="cannot parse the polarity lexicon"):
        load_lexicon(bad)


@pytest.mark.parametrize(("text", "opinion"), [
    ("服务真的没的说", "服务态度:服务真的没的说"),  # was cut to 服务真的没
    ("价格没有以前那么贵了", "价格与性价比:没有以前那么贵"),  # was the bare cue 贵
    ("一点没压坏，回购", "包装:一点没压坏"),
    ("鸭脖没有以前辣了", "口味:没有以前辣"),  # the comparison as said, not the 不辣 it reads as
])
def test_opinion_phrases_keep_the_lexicon_phrase_whole(default_model, text: str, opinion: str) -> None:  # type: ignore[no-untyped-def]
    [p] = default_model.predict([text])
    assert opinion in p.opinions, p


@pytest.mark.parametrize(("text", "praise"), [
    ("客服耐心地解答了半天", True), ("店员很有耐心地介绍", True), ("客服很细心地帮我处理了退换", True),
    ("辣椒放得恰到好处", True), ("烤串孜然撒得刚好", True), ("调味刚刚好", True), ("甜度正合适", True),
    ("绿豆糕甜而不腻", True),
    # a denied care, a spill, "happens to" and "just the opposite" are no praise (a helper's review)
    ("客服缺乏耐心地回复我", False), ("客服不是很耐心地解答", False), ("没有耐心地解答", False),
    ("客服毫无耐心地敷衍", False), ("外卖汤撒得正好在我身上", False),
    ("花椒放的恰好是一大把，麻死了", False), ("调味刚好相反", False), ("东西放得刚好在门口", False),
])
def test_lexicon_1_17_care_and_a_seasoning_just_right_are_praise(lex, text: str, praise: bool) -> None:  # type: ignore[no-untyped-def]
    """客服耐心地解答了半天 was a service complaint (半天 read as a wait), 调味刚刚好 said nothing."""
    assert bool(lex.evidence(normalize(text)).praise) is praise, text


@pytest.mark.parametrize(("text", "praise"), [
    ("价格真的低", True), ("菜的价格很低，不过量比较少", True), ("价格低廉", True), ("价位亲民", True),
    ("价格也低很多", True), ("酒店房价很低", True), ("票价很低", True),
    # value for money, a wish, a comparison, a condition, another price: no praise
    ("性价比低", False), ("性价比很低", False), ("如果价格低一点就好了", False), ("价格低于携程", False),
    ("如果价格低的话还会买", False), ("进价低", False), ("北美油价低", False), ("价格不低", False),
    # pitifully low, low-end, a resale or trade-in price (a helper's review)
    ("价格低得可怜", False), ("价格比较低端", False), ("二手转卖价格很低", False), ("回收价格很低", False),
    ("价格很低调", False), ("价格低得惊人", True),  # lexicon 1.19
])
def test_lexicon_1_18_and_1_19_a_low_price_is_praise(lex, text: str, praise: bool) -> None:  # type: ignore[no-untyped-def]
    """主播推荐的，价格真的低 read as a price complaint: the head learnt 低 from 性价比低."""
    assert bool(lex.evidence(normalize(text)).praise) is praise, text


@pytest.mark.parametrize(("text", "kind"), [
    ("分量和以前一样足", "praise"), ("份量还是和以前一样", "praise"),
    ("分量和以前一样少", "worse"),  # as bad as before
])
def test_lexicon_1_18_a_portion_as_before(lex, text: str, kind: str) -> None:  # type: ignore[no-untyped-def]
    """没有少给，分量和以前一样足 read as a small portion once the model was retrained: the same as
    before is as good as before for a portion too, as for a taste."""
    ev = lex.evidence(normalize(text))
    assert getattr(ev, kind) and not (ev.praise if kind == "worse" else ev.worse), ev
