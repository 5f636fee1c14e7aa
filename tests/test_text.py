"""Golden outputs of normalization, segmentation, clauses and negation on real review sentences."""

from __future__ import annotations

import pytest

from koubei.text import mark_negation, normalize, segment, split_clauses
from koubei.text.normalize import collapse_runs, strip_html, strip_noise, to_halfwidth, to_simplified
from koubei.text.segment import Segmenter


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("這次的瓜子太鹹了！！！！", "这次的瓜子太咸了!"),
        ("東西很好吃，包裝也不錯", "东西很好吃,包装也不错"),
        ("ＡＢＣ１２３，好吃😋😋👍", "abc123,好吃 赞"),
        ("越嚼越香👍🏻👍🏻，回购🐼", "越嚼越香 赞 ,回购"),
        ("@小明 看这个 https://t.cn/abc 太好吃了[哈哈] #零食推荐#", "看这个 太好吃了哈哈 零食推荐"),
        ("好好好好好好", "好好好"),
        ("味道&amp;口感<br>都不错", "味道&口感。都不错"),
        ("送餐太慢。。。。。等了两个小时", "送餐太慢。等了两个小时"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_normalize_golden(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_emoji_with_a_plain_meaning_become_their_word_as_a_clause() -> None:
    from koubei.text.normalize import EMOJI_RE, EMOJI_WORDS, emoji_to_words

    # every listed emoji is one the pattern finds (else it would stay in the text)
    assert all(EMOJI_RE.fullmatch(e) for e in EMOJI_WORDS)
    assert normalize("味道一般😐😐😐") == "味道一般 一般般"  # a run gives its word once
    assert normalize("好吃👍😡") == "好吃 赞 生气"
    assert normalize("无限回购❤️") == "无限回购 喜欢"  # the variation selector goes too
    assert normalize("🙂🙂") == ""  # 微笑 is as often ironic: no word
    # a space between Chinese characters ends a clause: the word is a clause of its own
    assert split_clauses(normalize("很脆👍就是太咸了")) == ["很脆", "赞", "就是太咸了"]
    assert emoji_to_words("🐼") == " "


def test_a_review_forms_empty_headers_go_and_its_filled_ones_stay() -> None:
    from koubei.text.normalize import strip_empty_headers

    # a Meituan hotpot review with its form's fields left unfilled: the headers named taste and
    # service, and the model read 老板服务态度也很差 as praise of both
    raw = "串串没有任何特色 老板服务态度也很差\n【口味】\n【环境】\n【服务】\n【等位】"
    assert normalize(raw) == "串串没有任何特色 老板服务态度也很差"
    assert strip_empty_headers("满意\n【口味】\n【环境】") == "满意\n\n"
    assert strip_empty_headers("【服务】【口味】。\n非常不错") == "\n非常不错"  # punctuation is no filling
    # a filled field says what its words are about (an emoji too: 👍 is 赞)
    assert normalize("好吃\n【性价比】高\n【服务】好") == "好吃 【性价比】高 【服务】好"
    assert normalize("【口味】 #鸳鸯锅底# #香菜牛肉#") == "【口味】 鸳鸯锅底 香菜牛肉"
    assert normalize("【口味】👍\n【服务】") == "【口味】 赞"
    # only a form's fields are headers: a dish list, a verdict or a title in brackets are words
    dishes = "特别推荐【宫廷火焰牛排】【提拉米苏】【卡布奇诺】"
    assert normalize(dishes) == dishes
    assert normalize("【差评】\n送了两个小时") == "【差评】 送了两个小时"
    assert normalize("买了【三只松鼠】\n很好吃") == "买了【三只松鼠】 很好吃"
    assert normalize("【京东超市】沙宣洗护套装") == "【京东超市】沙宣洗护套装"
    assert normalize("【口味还行吧，比较便宜") == "【口味还行吧,比较便宜"  # not closed: no header
    # an HTML export's <br> ends a line as a newline does
    assert normalize("【口味】<br>【环境】<BR/>好吃") == "。好吃"
    # nothing but headers is nothing said
    assert normalize("【环境】\n【口味】\n【服务】\n【性价比】") == ""


def test_normalize_steps_each_do_one_thing() -> None:
    assert to_halfwidth("ＯＫ！\u3000好") == "OK! 好"
    assert to_simplified("豐富的口味") == "丰富的口味"
    assert strip_html("<p>好吃</p>") == "。好吃。"
    assert strip_noise("联系 a@b.com 或 @客服小美") == "联系   或  "
    assert collapse_runs("太咸了！！！   真的") == "太咸了！ 真的"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("外卖小哥送餐慢,汤都洒了,也没给餐具",
         ["外卖小哥", "送餐慢", ",", "汤", "都", "洒了", ",", "也", "没", "给", "餐具"]),
        ("牛肉干齁咸,说是麻辣的根本不辣",
         ["牛肉干", "齁咸", ",", "说", "是", "麻辣", "的", "根本", "不辣"]),
        ("海苔卷受潮了,一点都不脆", ["海苔卷", "受潮", "了", ",", "一点", "都", "不脆"]),
        ("腰果有哈喇味,不新鲜", ["腰果", "有", "哈喇味", ",", "不新鲜"]),
        ("这次的瓜子太咸了!", ["这次", "的", "瓜子", "太咸", "了", "!"]),
    ],
)
def test_segment_keeps_domain_words_whole(text: str, words: list[str]) -> None:
    assert segment(text) == words


def test_clause_split_on_punctuation_and_contrast_words() -> None:
    assert split_clauses("送得很快,但是味道太淡了,分量也少") == ["送得很快", "但是味道太淡了", "分量也少"]
    assert split_clauses("快递很快可是瓜子受潮了") == ["快递很快", "可是瓜子受潮了"]
    # 就是 after a word of perceiving says "plainly is", not "but"
    assert split_clauses("一看就是新货") == ["一看就是新货"]
    assert split_clauses("看起来就是正品") == ["看起来就是正品"]
    assert split_clauses("味道不错就是有点贵") == ["味道不错", "就是有点贵"]
    assert split_clauses("") == []


def test_a_space_between_chinese_characters_ends_a_clause() -> None:
    """People type a space or a line break for a full stop; normalization leaves one space."""
    from koubei.text.docs import prepare

    text = normalize("质量没得说\n快递小哥很给力，一吃就停不下来")
    assert split_clauses(text) == ["质量没得说", "快递小哥很给力", "一吃就停不下来"]
    assert split_clauses("环境还行 就是上菜太慢 服务员态度很好") == [
        "环境还行", "就是上菜太慢", "服务员态度很好"]
    # a space beside latin letters or digits is no sentence break
    assert split_clauses("iphone 6 很好用") == ["iphone6很好用"]
    assert split_clauses("买了 2 袋") == ["买了2袋"]
    # the review's words are those of the whole text: only its clauses change
    doc = prepare("好吃好吃，很新鲜 支持小脆象")
    assert [c.norm for c in doc.clauses] == ["好吃好吃", "很新鲜", "支持小脆象"]
    assert [w for w in doc.words if w.strip()] == [w for w in segment(doc.norm) if w.strip()]


def test_negation_scope_marks_following_words_until_punctuation() -> None:
    assert mark_negation(["不", "新鲜", ",", "好吃"]) == ["不", "NOT_新鲜", ",", "好吃"]
    assert mark_negation(["客服", "不", "处理"]) == ["客服", "不", "NOT_处理"]
    assert mark_negation(["很", "好吃"]) == ["很", "好吃"]


ENGINE_TEXTS = [
    "这次的瓜子太淡了,没味道,包装也漏气了",
    "也就1.5公里距离!等了2.5小时才送到",
    "20-8的活动没了,不厚道。iphone12手机壳质量一般",
    "无语o_o\"…问苍天,客服态度差",
    "送餐很快,味道偏咸,下次少放盐 ^_^",
    # blocks mixing Chinese with digits: jieba's HMM joins 非要 only beside the 10 (see _cut_mixed)
    "好评一个。干嘛非要10字以上!",
    "离我们远点55分钟送到的,饼和粥都不错",
    "买了T恤和2件AA制的外套,等了3天",  # dictionary words across the meeting point: cut whole
    "1.5kg装,20%的折扣",
    "昨晚下单今早就到了,个头很大,12个个个新鲜,有点水份,估计刚从冰库拿出来的。",  # cut whole: 个 thrice
    "好多好多好多100次,很多很多很多5个人",  # words said thrice: cut whole too
    "干嘛非要c++,用c#非要写,非要at&t",  # a word of letters beside Chinese (c++): cut whole
]


def test_rjieba_engine_gives_jiebas_tokens() -> None:
    pytest.importorskip("rjieba")
    plain, fast = Segmenter(engine="jieba"), Segmenter(engine="rjieba")
    for text in ENGINE_TEXTS:
        assert fast.cut(text) == plain.cut(text), text
    assert "没味道" in fast.cut(ENGINE_TEXTS[0])  # the user dictionary reaches rjieba too


def test_rjieba_engine_hands_jieba_the_letters_and_digits_of_a_mixed_block_alone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """In 等了30分钟才到 jieba (Python, ~30x slower) cuts 30 with a stand-in beside it, never the
    Chinese; a block holding a dictionary word across the meeting point (T恤) goes to it whole."""
    pytest.importorskip("rjieba")
    seg = Segmenter(engine="rjieba")
    seg.warm()
    asked: list[str] = []
    lcut = seg._tok.lcut
    monkeypatch.setattr(seg._tok, "lcut", lambda text, **kw: asked.append(text) or lcut(text, **kw))
    plain = Segmenter(engine="jieba")
    for text in ("等了30分钟才到,非要10字以上", "iphone12手机壳质量一般"):
        assert seg.cut(text) == plain.cut(text)
    assert asked == ["中30中", "中10中", "iphone12中"]
    asked.clear()
    assert seg.cut("这件T恤不错") == plain.cut("这件T恤不错") == ["这件", "T恤", "不错"]
    assert asked == ["这件T恤不错"]


def test_rjieba_engine_cuts_a_mixed_block_whole_where_a_stand_in_does_not_come_out_alone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Were an rjieba version to join the stand-in digit to the Chinese beside it, the block
    would be cut whole, as jieba cuts it, not lose or keep a character that is not in the text."""
    pytest.importorskip("rjieba")
    seg = Segmenter(engine="rjieba")
    seg.warm()
    cut = seg._fast.cut

    class Joining:  # rjieba, but a stand-in digit sticks to the word before it
        def cut(self, text: str, hmm: bool) -> list[str]:
            words = cut(text, hmm)
            if len(words) > 1 and words[-1] == "0":
                words = [*words[:-2], words[-2] + "0"]
            return words

    monkeypatch.setattr(seg, "_fast", Joining())
    text = "等了30分钟才到"
    assert seg.cut(text) == Segmenter(engine="jieba").cut(text) == ["等", "了", "30", "分钟", "才", "到"]


@pytest.mark.parametrize("engine", ["jieba", "rjieba"])
def test_warm_loads_the_dictionaries_cut_would_load(engine: str) -> None:
    if engine == "rjieba":
        pytest.importorskip("rjieba")
    seg = Segmenter(engine=engine)
    seg.warm()
    assert seg._tok is not None  # jieba: every engine cuts blocks with letters or digits with it
    assert (seg._fast is not None) == (engine == "rjieba")
    assert seg.cut("买了2斤，没味道") == Segmenter(engine=engine).cut("买了2斤，没味道")


@pytest.mark.parametrize("text", [*ENGINE_TEXTS, "好吃", "1.5", "个个个新鲜", "买了2个,3个坏了 但是还行",
                                  "味道\u3400好,2斤", "", "  ", "ok", "好。。好!!2"])
def test_rjieba_stretches_cut_as_jieba_blocks_do(text: str) -> None:
    """The rjieba engine cuts each stretch between blocks with letters or digits in one call;
    the words are those of cutting jieba's blocks one by one (Chinese ones with rjieba)."""
    pytest.importorskip("rjieba")
    from koubei.text.segment import _BLOCK, _HAN_ONLY

    seg = Segmenter(engine="rjieba")
    by_block: list[str] = []
    for block in filter(None, _BLOCK.split(text)):
        by_block += seg._rust().cut(block, True) if _HAN_ONLY.fullmatch(block) else seg._jieba_block(block)
    assert seg.cut(text) == [w for w in by_block if not w.isspace()]


def test_engine_resolution_and_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    import pickle
    import sys

    from koubei.text.segment import resolve_engine

    monkeypatch.setenv("KOUBEI_SEGMENTER", "jieba")
    assert resolve_engine("auto") == "jieba" and resolve_engine("rjieba") == "rjieba"
    monkeypatch.delenv("KOUBEI_SEGMENTER")
    monkeypatch.setitem(sys.modules, "rjieba", None)  # as if not installed
    assert resolve_engine("auto") == "jieba"
    assert Segmenter().cut("味道偏咸,送餐很快") == Segmenter(engine="jieba").cut("味道偏咸,送餐很快")
    clone = pickle.loads(pickle.dumps(Segmenter(engine="jieba", hmm=False)))
    assert (clone.engine, clone.hmm) == ("jieba", False)


# -- the fast clause and negation paths equal the plain rules -----------------------------------

def _clauses_reference(words: list[str]) -> list[list[str]]:
    """The clause rule written plainly (the implementation before its fast path)."""
    from koubei.text.clauses import _CLAUSE_OPENERS, _PERCEIVING, _PUNCT_TOKENS

    out: list[list[str]] = [[]]
    for w in words:
        if w in _PUNCT_TOKENS or not w.strip():
            if out[-1]:
                out.append([])
            continue
        if w in _CLAUSE_OPENERS and out[-1] and not (w == "就是" and out[-1][-1] in _PERCEIVING):
            out.append([])
        out[-1].append(w)
    return [c for c in out if c]


def _negation_reference(words: list[str], window: int = 3) -> list[str]:
    from koubei.text.clauses import CLAUSE_PUNCT, NEGATORS

    out, left = [], 0
    for w in words:
        if w in NEGATORS:
            out.append(w)
            left = window
        elif left and w.strip(CLAUSE_PUNCT):
            out.append("NOT_" + w)
            left -= 1
        else:
            out.append(w)
            left = 0 if not w.strip(CLAUSE_PUNCT) else left
    return out


FAST_PATH_REVIEWS = [
    "送得很快，但是味道太淡了，分量也少",
    "不好吃，不新鲜，没有味道，再也不会点了！！",
    "快递很快可是瓜子受潮了",
    "不是很辣 不过有点咸",
    "味道不错就是有点贵（下次还来）",
    "没 没 没 不不不",
    "好吃",
    "",
    "【好评】“不错”:下次再买。。。",
    "不……好吃?!",
]
EDGE_WORD_LISTS = [
    [], [" "], ["", "不", ""], ["不"], ["但是"], ["但是", "不", "好"], ["不", "!?", "好吃"],
    ["不", "很", "好", "吃", "的", "饭"], ["好", "不过", "不", "：", "差"], ["非", "\t", "常"],
]


@pytest.mark.parametrize("text", FAST_PATH_REVIEWS)
def test_clauses_and_negation_equal_the_plain_rules_on_reviews(text: str) -> None:
    from koubei.text.clauses import split_word_clauses

    words = segment(normalize(text)) if text else []
    assert split_word_clauses(words) == _clauses_reference(words)
    assert mark_negation(words) == _negation_reference(words)
    for clause in split_word_clauses(words):
        assert mark_negation(clause) == _negation_reference(clause)


@pytest.mark.parametrize("words", EDGE_WORD_LISTS)
def test_clauses_and_negation_equal_the_plain_rules_on_edge_cases(words: list[str]) -> None:
    from koubei.text.clauses import split_word_clauses

    assert split_word_clauses(words) == _clauses_reference(words)
    assert mark_negation(words) == _negation_reference(words)
    assert mark_negation(words, window=1) == _negation_reference(words, window=1)
    out = mark_negation(words)
    assert out is not words  # a new list, as before


@pytest.mark.slow
def test_clauses_and_negation_equal_the_plain_rules_on_the_corpora(corpora_dir) -> None:  # type: ignore[no-untyped-def]
    import pandas as pd

    from koubei.text.clauses import split_word_clauses

    texts = pd.read_csv(corpora_dir / "sentiment" / "waimai_10k.csv", dtype=str)["review"].dropna()
    for text in texts.sample(3000, random_state=0):
        words = segment(normalize(text))
        assert split_word_clauses(words) == _clauses_reference(words)
        assert mark_negation(words) == _negation_reference(words)


# -- jieba's dictionary cache is private to the user ----------------------------------------------


def _plant_jieba_cache(folder, words: dict[str, int], name: str = "jieba.cache") -> None:  # type: ignore[no-untyped-def]
    import marshal

    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / name, "wb") as f:
        marshal.dump((words, sum(words.values())), f)


def test_a_planted_tmp_jieba_cache_is_not_read(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import marshal
    import stat
    import tempfile

    import jieba

    shared_tmp, home_cache = tmp_path / "tmp", tmp_path / "home-cache"
    _plant_jieba_cache(shared_tmp, {"瓜": 1, "子": 1})  # would cut 瓜子 in two if loaded
    monkeypatch.setattr(tempfile, "tempdir", str(shared_tmp))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home_cache))
    loaded: list[str] = []
    real_load = marshal.load

    def spy(f):  # type: ignore[no-untyped-def]
        loaded.append(f.name)
        return real_load(f)

    monkeypatch.setattr(jieba.marshal, "load", spy)
    words = Segmenter(engine="jieba").cut("这次的瓜子太咸了")
    assert "瓜子" in words
    assert not any(name.startswith(str(shared_tmp)) for name in loaded)
    private = home_cache / "koubei"
    assert stat.S_IMODE(private.stat().st_mode) == 0o700
    assert list(private.glob("jieba-*.cache"))  # the dictionary is cached there, not in the tempdir
    assert not any(p.name != "jieba.cache" for p in shared_tmp.iterdir())
    # the second segmenter reads the private cache
    assert "瓜子" in Segmenter(engine="jieba").cut("这次的瓜子太咸了")
    assert loaded and all(name.startswith(str(private)) for name in loaded)


def test_a_cache_folder_others_can_write_is_not_used(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import tempfile

    import jieba

    from koubei.text.segment import cache_dir

    shared = tmp_path / "shared-cache"
    (shared / "koubei").mkdir(parents=True)
    (shared / "koubei").chmod(0o777)
    _plant_jieba_cache(shared / "koubei", {"瓜": 1, "子": 1}, f"jieba-{jieba.__version__}.cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(shared))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "empty-tmp"))
    assert cache_dir() is None
    # built in memory; the planted file is not read
    assert "瓜子" in Segmenter(engine="jieba").cut("这次的瓜子太咸了")
    assert not (tmp_path / "empty-tmp").exists()
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # not absolute: ignored, ~/.cache instead
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "koubei"
    assert not str(cache_dir()).startswith(tempfile.gettempdir() + "/")


def test_unmark_negation_is_the_converse_of_mark_negation() -> None:
    from koubei.text.clauses import has_negator, mark_negation, unmark_negation

    marked = mark_negation(["送得", "很快", "，", "没有", "超时"])
    assert marked == ["送得", "很快", "，", "没有", "NOT_超时"]
    assert unmark_negation(marked) == ["送得", "很快", "，", "超时"]
    assert has_negator(marked) and not has_negator(["一点", "没洒"])  # 没洒 is one word, no negator



@pytest.mark.parametrize("text, at", [
    ("用了半年很少出毛病", [3]),  # rarely crashes: an act
    ("很少给好评的我也要夸一下", [0]),
    ("核桃很少有坏果", [1]),
    ("用了三个月极少掉线", [4]),
    ("肉很少很少", []),  # very few: what follows opens no act
    ("菜品种很少，肉也少", []),
    ("很少的一碗粥", []),
    ("菜很少根本不够吃", []),
    ("米饭很少不够吃", []),  # a negator after it: how few, not how often
    ("全是洋葱很少肉", []),  # a portion word after it
    ("吃得很少", []),  # a complement before it
    ("极少几张", []),  # a number after it
    ("分量很少", []),
])
def test_rarely_said_of_an_act_and_not_of_how_few(text: str, at: list[int]) -> None:
    from koubei.text.clauses import rarely_said, unmark_negation
    from koubei.text.docs import prepare, without_negation

    words = prepare(text).clauses[0].words
    assert rarely_said(words) == at, words
    # read again without it, "rarely crashes" is the act it denies
    plain = without_negation(prepare(text).clauses[0]).words
    assert plain == unmark_negation([w for i, w in enumerate(words) if i not in at])
    assert not at or "很少" not in plain and "极少" not in plain


@pytest.mark.parametrize("text, frame", [
    ("草莓一颗坏的都没有", ["一颗", "都"]),
    ("酒店房间一只蚊子也没有", ["一只", "也"]),
    ("这家店的碗筷一点油渍都没有", ["一点", "都"]),
    ("一个差评都不为过", []),  # 不: no denial of what is counted (as the lexicon reads it)
    ("一点都不咸", []),  # nothing counted before 都: the negator says it ahead
    ("一点问题也没有解决", []),  # a deed left undone, not a problem denied
    ("一次故障都没有", ["一次", "都"]),
    ("没发现一颗坏的都没有", ["NOT_一颗", "都"]),  # inside an earlier negator's scope
    ("一块饼干碎了一半都没有", []),  # more than a word (and 的) between the unit and 都
])
def test_a_counted_denial_and_its_frame(text: str, frame: list[str]) -> None:
    from koubei.text.clauses import counted_denial
    from koubei.text.docs import prepare, without_negation

    words = prepare(text).clauses[0].words
    assert [words[i] for i in counted_denial(words)] == frame, words
    # read again without the frame and the negator, the clause says what it denied
    if frame:
        plain = without_negation(prepare(text).clauses[0]).words
        assert not {f.removeprefix("NOT_") for f in frame} & set(plain) and "没有" not in plain, plain
