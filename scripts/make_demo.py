#!/usr/bin/env python
"""Generate the synthetic snack-review demo dump ``corpora/demo/snack_reviews.csv``.

The dump imitates what a snack company exports from its review channels
(微信小程序, 微博, 天猫, 京东, 抖音): 16 weeks of reviews, Monday 2026-08-10 to
Sunday 2026-11-29, about 2,400 rows. Every sentence comes from the clause bank
below, written by the team; nothing is copied from a real corpus.

How a row is made
    A skeleton (time, product, supplier, channel, purchase lag, batch) is drawn
    first. A review then gets a *plan* - the topics it talks about, each with a
    polarity, as in ``corpora/labels/GUIDELINE.md`` - and the plan is written out
    as 1-4 clauses joined with Chinese punctuation and 但是/不过/就是. The star
    rating follows the plan's dominant polarity. About 3% of rows are the junk a
    real export holds (templated default reviews, blank or emoji-only texts,
    traditional-character reviews, duplicates); more carry emoji, full-width
    characters, repeated punctuation, or @mentions and links on Weibo.

Background that is *not* a story
    Complaint rates differ by product (薯片 are crushed more often, 牛肉干 and
    腰果 draw price complaints, 瓜子 go soft 受潮), Weibo rows complain more, and
    reviews written 11-12 to 11-24 complain more about delivery (双11 backlog).
    Volume rises in the weeks after 双11.

The planted story (on by default, ``--no-story`` turns it off)
    * Main: 乙食品厂 starts selling a new batch of 原味瓜子 on 2026-11-06. Its
      reviews arrive in the last three weeks (2026-11-09 to 11-29), and about a
      third of them (drawn at ``MAIN_STORY.rate``) complain that the seeds are too
      bland (偏淡, 没味道, 淡而无味: taste neg, ``too_bland``). The older 乙 batch,
      甲食品厂's 原味瓜子 and every other product stay at baseline.
    * Side: the 丙农产 batch of 五香花生 on sale 2026-09-04 to 09-24 draws a
      milder wave of too-salty complaints (``SIDE_STORY.rate``); the next batch is
      back to normal.
    The batch codes depend on the seed; the script prints them. The batch
    schedule, and every row outside the two story batches, is identical with and
    without ``--no-story``.

Usage::

    python scripts/make_demo.py                 # writes corpora/demo/snack_reviews.csv
    python scripts/make_demo.py --no-story -o /tmp/baseline.csv
    python scripts/make_demo.py --truth /tmp/truth.jsonl   # also write the plans

Only the standard library, numpy and pandas are used.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

DEFAULT_SEED = 20261201
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "corpora" / "demo" / "snack_reviews.csv"
WINDOW_START = date(2026, 8, 10)  # a Monday
N_WEEKS = 16
WINDOW_END = WINDOW_START + timedelta(weeks=N_WEEKS) - timedelta(days=1)  # Sunday 2026-11-29
LAG_DAYS = (3, 9)  # purchase -> review, inclusive
BATCH_GAP_DAYS = (14, 21)  # a new batch every 2-3 weeks
COLUMNS = ["评论ID", "评论内容", "评论时间", "商品", "供应商", "批次", "评分", "渠道"]

# ---------------------------------------------------------------------------
# Catalogue
# ---------------------------------------------------------------------------
# fmt: off


@dataclass(frozen=True)
class Product:
    """A product: its short noun, counting unit, pack size and template tags."""

    noun: str
    unit: str
    grams: int
    weight: float
    tags: frozenset[str]


def _product(noun: str, unit: str, grams: int, weight: float, tags: str) -> Product:
    return Product(noun, unit, grams, weight, frozenset(tags.split()))


PRODUCTS: dict[str, Product] = {
    "原味瓜子": _product("瓜子", "颗", 500, 0.19, "瓜子 坚果 脆 咸香"),
    "焦糖瓜子": _product("瓜子", "颗", 400, 0.12, "瓜子 坚果 脆 甜"),
    "五香花生": _product("花生", "颗", 350, 0.11, "花生 坚果 脆 咸香"),
    "麻辣牛肉干": _product("牛肉干", "块", 200, 0.12, "牛肉干 咸香 辣"),
    "蜂蜜黄油薯片": _product("薯片", "片", 90, 0.15, "薯片 脆 甜 油炸"),
    "海苔卷": _product("海苔卷", "根", 150, 0.11, "海苔卷 脆 甜"),
    "芒果干": _product("芒果干", "片", 250, 0.10, "芒果干 果干 甜"),
    "盐焗腰果": _product("腰果", "颗", 300, 0.10, "腰果 坚果 脆 咸香"),
}

SUPPLIERS = ["甲食品厂", "乙食品厂", "丙农产", "丁食品"]

# Who makes what, with each maker's share of the product's sales.
MAKERS: dict[str, dict[str, float]] = {
    "原味瓜子": {"甲食品厂": 0.45, "乙食品厂": 0.55},
    "焦糖瓜子": {"甲食品厂": 0.6, "乙食品厂": 0.4},
    "五香花生": {"甲食品厂": 0.4, "丙农产": 0.6},
    "麻辣牛肉干": {"丁食品": 1.0},
    "蜂蜜黄油薯片": {"乙食品厂": 0.5, "丁食品": 0.5},
    "海苔卷": {"乙食品厂": 0.35, "丁食品": 0.65},
    "芒果干": {"丙农产": 0.7, "丁食品": 0.3},
    "盐焗腰果": {"甲食品厂": 0.5, "丙农产": 0.5},
}

CHANNELS: dict[str, float] = {
    "天猫": 0.30, "京东": 0.22, "微信小程序": 0.20, "抖音": 0.18, "微博": 0.10,
}
ID_PREFIX = {"天猫": "TM", "京东": "JD", "微信小程序": "WX", "微博": "WB", "抖音": "DY"}
BRAND = "小脆象"

# Relative review volume per week: slow growth, a bump after 国庆 and after 双11.
WEEK_BUMPS = {8: 1.1, 13: 1.25, 14: 1.55, 15: 1.2}
HOUR_WEIGHTS = [2, 1, .6, .4, .3, .3, .6, 1.2, 2, 2.6, 3, 3.2,
                3.8, 3.4, 3, 3, 3.2, 3.4, 3.6, 4.2, 4.8, 5, 4.4, 3.2]
WEEKDAY_WEIGHTS = [1, 1, 1, 1, 1.1, 1.3, 1.3]

# ---------------------------------------------------------------------------
# Complaint rates
# ---------------------------------------------------------------------------

# Probability that a review complains about a topic, before product factors.
BASE_NEG: dict[str, float] = {
    "taste": 0.055, "freshness_quality": 0.025, "hygiene_safety": 0.006,
    "portion_size": 0.02, "packaging": 0.018, "delivery_logistics": 0.03,
    "price_value": 0.018, "service_attitude": 0.008, "order_accuracy": 0.01,
    "authenticity_description": 0.005, "after_sales": 0.004,
}

NEG_FACTOR: dict[str, dict[str, float]] = {
    "原味瓜子": {"freshness_quality": 2.2},
    "焦糖瓜子": {"freshness_quality": 1.8, "taste": 1.2},
    "五香花生": {"freshness_quality": 1.3, "taste": 1.1},
    "麻辣牛肉干": {"price_value": 3.0, "taste": 1.8, "portion_size": 1.5},
    "蜂蜜黄油薯片": {"packaging": 3.5, "portion_size": 2.0, "freshness_quality": 1.5},
    "海苔卷": {"packaging": 2.0, "freshness_quality": 1.3},
    "芒果干": {"taste": 1.2, "hygiene_safety": 1.5},
    "盐焗腰果": {"price_value": 2.5, "portion_size": 1.8},
}
CHANNEL_NEG_FACTOR = {"微博": 1.5, "微信小程序": 0.9}
DOUBLE11_REVIEWS = (date(2026, 11, 12), date(2026, 11, 24))  # delivery backlog
DOUBLE11_DELIVERY_FACTOR = 2.2
DOUBLE11_PURCHASES = (date(2026, 11, 1), date(2026, 11, 14))

# Which way the taste goes wrong, per product.
TASTE_DIRECTIONS: dict[str, dict[str, float]] = {
    "原味瓜子": {"too_bland": .12, "too_salty": .2, "too_heavy": .1, "off_flavor": .28,
                 "bad_general": .3},
    "焦糖瓜子": {"too_sweet": .4, "too_bland": .08, "off_flavor": .2, "bad_general": .32},
    "五香花生": {"too_salty": .3, "too_heavy": .15, "too_bland": .08, "off_flavor": .22,
                 "bad_general": .25},
    "麻辣牛肉干": {"too_salty": .36, "too_spicy": .18, "not_spicy_enough": .16, "too_heavy": .1,
                   "too_oily": .04, "bad_general": .16},
    "蜂蜜黄油薯片": {"too_oily": .3, "too_salty": .12, "too_sweet": .2, "off_flavor": .1,
                     "bad_general": .28},
    "海苔卷": {"too_sweet": .25, "too_salty": .18, "too_bland": .15, "too_oily": .1,
               "bad_general": .32},
    "芒果干": {"too_sweet": .5, "off_flavor": .15, "bad_general": .35},
    "盐焗腰果": {"too_salty": .35, "too_bland": .12, "off_flavor": .3, "bad_general": .23},
}

# Topics a happy review praises, and how often.
POS_TOPIC_WEIGHTS: dict[str, float] = {
    "taste": .6, "freshness_quality": .25, "delivery_logistics": .25, "price_value": .15,
    "packaging": .12, "portion_size": .08, "service_attitude": .05, "authenticity_description": .03,
    "order_accuracy": .02, "function_performance": .006, "environment_facilities": .004,
}
NEU_TOPIC_WEIGHTS = {"taste": .55, "delivery_logistics": .25, "price_value": .15, "packaging": .05}
# Weight of one complaint when praise and complaint are weighed (default 1).
SEVERITY = {
    "taste": 1.5, "hygiene_safety": 3.0, "authenticity_description": 2.0, "after_sales": 2.0,
}

# ---------------------------------------------------------------------------
# Story
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Story:
    """A complaint wave planted in one supplier's batch of one product."""

    supplier: str
    product: str
    on_sale: date  # the batch's first day on sale; a batch boundary is forced here
    until: date | None  # first day of the next batch; None = sold to the end
    direction: str
    rate: float  # extra probability that a review of the batch has the complaint


MAIN_STORY = Story("乙食品厂", "原味瓜子", date(2026, 11, 6), None, "too_bland", 0.33)
SIDE_STORY = Story("丙农产", "五香花生", date(2026, 9, 4), date(2026, 9, 25), "too_salty", 0.28)
STORIES = (MAIN_STORY, SIDE_STORY)

# ---------------------------------------------------------------------------
# Clause bank
#
# Keys: "topic:pol" or "taste:neg:direction"; "generic:pos|neg" carry no topic,
# "misc:neu" are topic-less statements. "tag,tag|text" limits a template to
# products (or channels, or the 双11 tag) that carry one of the tags. Slots:
# {c} product noun, {p} product name, {o} another product, {u} counting unit,
# {g} grams per pack, {d} a short delay, {D} a long delay.
# ---------------------------------------------------------------------------

BANK: dict[str, tuple[str, ...]] = {
    "taste:pos": (
        "很好吃", "好吃", "好吃好吃", "味道不错", "味道很好", "口味很正", "很香", "越吃越香",
        "一吃就停不下来", "咸淡刚好", "调味刚刚好", "吃着很香", "香而不腻", "味道和以前一样好",
        "孩子说比超市买的好吃", "口味很正宗", "真的好好吃", "味道挺惊艳的", "口感和味道都在线",
        "越嚼越香", "好吃到停不下来", "味道没得说", "原味瓜子|原味的就是香，嗑起来满口香",
        "原味瓜子|奶香味很淡很自然，不会齁", "焦糖瓜子|焦糖味很浓，甜而不腻",
        "焦糖瓜子|焦糖香味很足", "五香花生|五香味很足", "五香花生|一股八角桂皮的香味，很下酒",
        "麻辣牛肉干|麻辣味很过瘾", "麻辣牛肉干|又麻又辣，很带劲", "麻辣牛肉干|辣度刚好，越吃越香",
        "蜂蜜黄油薯片|甜甜咸咸的，蜂蜜黄油味很香", "蜂蜜黄油薯片|黄油味很浓", "海苔卷|海苔味很浓",
        "海苔卷|海苔香香的，不腥", "芒果干|酸酸甜甜的，芒果味很浓",
        "芒果干|果味很足，不是那种全是糖的", "盐焗腰果|盐焗味很香，咸淡正好",
        "腰果|腰果很香，一点都不腻",
    ),
    "taste:neu": (
        "味道一般", "口味中规中矩", "味道还行吧", "味道就那样", "一般般，没有特别惊艳",
        "口味和别家差不多", "味道还可以，没有想象中好", "口味比较普通",
    ),
    "taste:neg:too_bland": (
        "味道太淡了", "没什么味道", "吃着没味道", "淡而无味", "口味偏淡", "这次的{c}偏淡",
        "一点咸味都没有", "跟白水煮过一样没味道", "味道寡淡", "没有以前香，淡了很多",
        "感觉忘了放盐", "淡得像没调过味", "比以前淡多了", "嚼了半天也没味", "口味越来越淡了",
        "和上次买的不一样，淡了好多", "这批{c}一点味道都没有", "没味道，像没炒过的",
        "坚果|嗑了半天一点味道都没有", "五香花生|一点五香味都吃不出来",
    ),
    "taste:neg:too_salty": (
        "太咸了", "齁咸齁咸的", "咸得发苦", "盐放太多了", "吃两{u}就得找水喝", "咸到齁", "偏咸",
        "太咸了，吃完嗓子难受", "咸味盖住了本来的香味", "这批特别咸", "咸得没法吃", "齁得慌",
        "咸得舌头发麻", "比以前咸了不少",
    ),
    "taste:neg:too_heavy": (
        "口味太重了", "调料味太冲", "味道太重，吃多了口干", "香精味很重", "调味太重，吃不出原味",
        "料放得太多了", "味精味很重", "口味重得吃不下去",
    ),
    "taste:neg:too_sweet": (
        "太甜了", "甜得发腻", "甜到齁", "齁甜", "糖放太多了", "吃两{u}就腻了", "甜腻腻的",
        "甜得嗓子疼", "甜味太重", "甜得有点过分", "焦糖瓜子|焦糖裹得太厚，甜得发腻",
        "芒果干|全是糖的味道，吃不出芒果",
    ),
    "taste:neg:too_spicy": (
        "太辣了", "辣得受不了", "辣到流眼泪", "辣得嘴巴疼", "比想象中辣太多", "辣得胃不舒服",
        "特别辣，孩子完全吃不了", "辣度太高了",
    ),
    "taste:neg:not_spicy_enough": (
        "一点都不辣", "说是麻辣的，根本不辣", "不够辣", "辣味很淡", "麻辣味太弱了", "完全吃不出辣",
        "一点麻的感觉都没有", "辣度不够，不过瘾",
    ),
    "taste:neg:too_oily": (
        "太油了", "油腻腻的", "吃完满手油", "油太大了", "油腻，吃几{u}就不想吃了", "袋子里全是油",
        "炸得太油", "一股油腻感", "吃完嘴里全是油",
    ),
    "taste:neg:off_flavor": (
        "有哈喇味", "油哈了", "有股怪味", "有股奇怪的味道", "吃着有点苦", "变味了",
        "一股陈货的味道", "有股油耗味", "吃到好几{u}苦的", "闻着有股哈喇味", "味道怪怪的",
        "芒果干|有股发酵的酸味", "坚果|好几{u}都是哈喇味",
    ),
    "taste:neg:bad_general": (
        "难吃", "不好吃", "太难吃了", "难吃到怀疑人生", "吃了一口就扔了", "真心不好吃", "味道不行",
        "口感很差", "一点都不香", "味道奇差", "不好吃，和宣传的不一样", "家里没人爱吃",
    ),
    "freshness_quality:pos": (
        "很新鲜", "生产日期很新", "日期是最近的", "品质很好", "质量没得说", "一看就是新货",
        "脆|很脆", "脆|嘎嘣脆", "脆|口感酥脆", "脆|一点都没受潮", "脆|脆脆的，口感很好",
        "坚果|颗粒饱满", "坚果|颗颗饱满，没有坏的", "坚果|没有空壳", "瓜子|个头大，很少有瘪的",
        "牛肉干|肉质紧实有嚼劲", "牛肉干|有嚼劲，不柴", "芒果干|软硬适中",
        "芒果干|肉很厚，一看就是好芒果",
    ),
    "freshness_quality:neg": (
        "过期了", "离过期就剩半个月了", "快过期了还发出来", "发霉了", "有几{u}发霉的",
        "不新鲜，像陈货", "日期不新鲜", "品质比以前差了", "放了没两天就变质了", "瓜子|受潮了",
        "瓜子|瓜子受潮了，嗑起来软软的", "瓜子|全都受潮了，一点都不脆", "脆|一点都不脆",
        "脆|软了，像放了很久", "脆|回潮了，软趴趴的", "脆|拆开就是软的", "坚果|好多空壳",
        "坚果|一半都是瘪的", "坚果|坏果很多", "花生|花生都软了", "薯片|薯片软塌塌的",
        "海苔卷|海苔卷都软了", "牛肉干|硬得咬不动", "牛肉干|肉很柴", "芒果干|干巴巴的，硬得像木头",
    ),
    "hygiene_safety:pos": ("干净卫生，吃着放心", "生产很规范，吃着放心"),
    "hygiene_safety:neg": (
        "吃出一根头发", "袋子里有根头发", "吃出了虫子", "里面有小虫子在爬", "有虫眼",
        "吃完拉肚子了", "吃完肚子疼了一晚上", "吃完一家人都拉肚子", "吃出一块小石子",
        "里面有塑料片", "有异物，不敢吃了", "袋子里有黑乎乎的不明物", "感觉生产环境不卫生",
        "吃完过敏起疹子了",
    ),
    "portion_size:pos": (
        "分量很足", "量挺大的", "一大袋够吃好久", "分量实在", "比想象中多", "称了一下还多了几克",
    ),
    "portion_size:neg": (
        "量太少了", "一袋没几{u}", "分量不足", "打开一看半袋都是空气", "分量比以前少了",
        "一小包就这么点", "标的{g}克，感觉根本不够", "缺斤少两", "分量少得可怜", "袋子很大东西很少",
        "吃两口就没了", "薯片|一袋全是气，薯片没几片",
    ),
    "packaging:pos": (
        "包装精美", "包装很精致，送人很合适", "独立小包装，带着方便", "包装很严实",
        "包装很结实，没有破损", "有自封条，吃不完可以封起来", "盒子很好看",
        "箱子里塞了气泡膜，一点没压坏",
    ),
    "packaging:neu": ("包装普普通通", "包装就是普通的袋子"),
    "packaging:neg": (
        "包装破了", "袋子漏气了", "到手就漏气了", "压碎了", "包装太简陋了", "外箱都压扁了",
        "封口没封好", "自封条不好用，封不上", "袋子破了个洞，撒了一箱子", "包装一撕就烂",
        "薯片|薯片碎成渣了", "薯片|一半都压碎了", "海苔卷|海苔卷断了好多", "海苔卷|碎得不成样子",
    ),
    "delivery_logistics:pos": (
        "物流很快", "发货很快", "快递{d}天就到了", "隔天就到了", "送货上门很方便", "第二天就收到了",
        "下单当天就发货了", "快递小哥很给力", "物流超级快", "比预计到得早", "顺丰发的，很快",
    ),
    "delivery_logistics:neu": ("物流还行", "快递正常速度", "物流一般"),
    "delivery_logistics:neg": (
        "发货太慢了", "等了一个星期才到", "物流太慢", "快递{D}天了还没到", "下单{D}天才发货",
        "物流信息一直不更新", "快递放驿站也不通知", "催了好几次才发货", "说好48小时发货，拖了一周",
        "物流慢得离谱", "快递送到别的小区了",
    ),
    "price_value:pos": (
        "性价比很高", "很划算", "价格实惠", "活动价买的，很划算", "比超市便宜多了", "这个价格很值",
        "领了券很便宜", "物美价廉", "第二件半价很划算", "双11|双十一囤的，便宜",
        "双11|趁双11活动囤了几袋", "抖音|直播间买的，价格很美丽", "抖音|主播推荐的，价格真的低",
    ),
    "price_value:neu": ("价格还可以", "价格一般", "价格中规中矩"),
    "price_value:neg": (
        "太贵了", "价格有点贵", "性价比不高", "这个价买不了几{u}", "刚买完就降价了", "比超市还贵",
        "不值这个价", "贵得离谱", "涨价了还减量", "活动价也不便宜", "价格虚高",
        "牛肉干|一小包要好几十，太贵了",
    ),
    "service_attitude:pos": (
        "客服态度很好", "客服很耐心", "客服回复很及时", "客服小姐姐很热情",
        "店家很用心，还写了小卡片", "客服耐心地解答了半天",
    ),
    "service_attitude:neg": (
        "客服态度很差", "客服不理人", "问客服半天没人回", "客服爱答不理的", "客服回复全是机器人",
        "客服说话很冲", "客服一直在推卸责任", "问了几遍都是复制粘贴的回答",
    ),
    "order_accuracy:pos": ("赠品也收到了", "还送了小零食", "和订单一样，没有错漏"),
    "order_accuracy:neg": (
        "发错口味了", "发错口味了，我要的是{p}", "我买的{p}，发来的是{o}", "少发了一袋",
        "买了三袋只收到两袋", "赠品没给", "说好的赠品没有", "备注了要新日期，完全没看", "发错货了",
        "少了一包", "订单写的两袋，实际只有一袋",
    ),
    "authenticity_description:pos": ("正品，放心", "和描述一致", "和图片一样"),
    "authenticity_description:neg": (
        "和图片不符", "和描述不一样", "实物和图片差太多", "是不是假货啊", "感觉不是正品",
        "详情页说是大颗的，实际很小", "包装和官方的不一样，怀疑是假的", "说是无添加，配料表一大堆",
    ),
    "after_sales:pos": (
        "售后处理很快，马上补发了", "退款很爽快", "售后很给力，直接退款了", "联系售后给换了新的",
    ),
    "after_sales:neu": ("已申请退款", "申请了退货，等处理"),
    "after_sales:neg": (
        "申请退款没人处理", "退款拖了一个星期", "换货拖着不处理", "售后太差了", "要求退货被拒绝了",
        "售后一直推脱", "退款申请被驳回了", "说给补发，到现在也没发", "联系售后只会让我等",
    ),
    "function_performance:pos": (
        "开袋即食，办公室囤着很方便", "当早餐挺顶饱的", "出门带着很方便，随时能吃",
    ),
    "environment_facilities:pos": (
        "微信小程序|门店自提，店里很干净", "微信小程序|线下门店环境不错",
    ),
    "generic:pos": (
        "回购了", "推荐", "强烈推荐", "已经回购好几次了", "会回购的", "一如既往的好", "满意",
        "非常满意", "好评", "五星好评", "还会再来", "家里人都爱吃", "小朋友很爱吃", "追剧必备",
        "囤货了", "第三次买了", "很喜欢", "值得购买", "很不错", "超级棒", "无限回购", "{c}yyds",
        "绝绝子", "nice", "总体不错", "下次还买", "支持{brand}",
    ),
    "generic:neg": (
        "不会再买了", "差评", "失望", "很失望", "踩雷了", "后悔买了", "再也不买了", "大家别买",
        "体验很差", "第一次买就这样",
    ),
    "misc:neu": (
        "买来给孩子的", "帮同事带的", "第一次买", "买来追剧吃的", "凑单买的", "给家里老人买的",
        "朋友推荐来买的", "看到活动顺手买了",
    ),
    "misc:unopened": ("还没吃", "先收货了", "还没拆", "过几天来追评", "还没尝，先给个好评"),
}

# Whole reviews in traditional characters, with their plans.
TRADITIONAL: tuple[tuple[str, str, dict[str, str], tuple[str, ...]], ...] = (
    ("東西很好吃，包裝也不錯", "", {"taste": "pos", "packaging": "pos"}, ()),
    ("這次的瓜子太鹹了", "瓜子", {"taste": "neg"}, ("too_salty",)),
    ("物流很快，味道還可以", "", {"delivery_logistics": "pos", "taste": "neu"}, ()),
    ("牛肉乾太硬了，咬不動", "牛肉干", {"freshness_quality": "neg"}, ()),
    ("薯片都壓碎了，包裝太簡陋", "薯片", {"packaging": "neg"}, ()),
    ("芒果乾太甜了，吃兩片就膩了", "芒果干", {"taste": "neg"}, ("too_sweet",)),
    ("腰果很香，顆顆飽滿，會回購", "腰果", {"taste": "pos", "freshness_quality": "pos"}, ()),
    ("快遞太慢了，等了一個星期", "", {"delivery_logistics": "neg"}, ()),
    ("客服態度很好，耐心解答", "", {"service_attitude": "pos"}, ()),
    ("價格有點貴，但是品質不錯", "", {"price_value": "neg", "freshness_quality": "pos"}, ()),
    ("花生有哈喇味，不新鮮", "花生", {"taste": "neg", "freshness_quality": "neg"}, ("off_flavor",)),
    ("海苔卷很脆，小朋友很喜歡", "海苔卷", {"freshness_quality": "pos"}, ()),
    ("瓜子受潮了，一點都不脆", "瓜子", {"freshness_quality": "neg"}, ()),
    ("和圖片差太多了", "", {"authenticity_description": "neg"}, ()),
    ("吃出一根頭髮，噁心", "", {"hygiene_safety": "neg"}, ()),
    ("性價比很高，活動價很划算", "", {"price_value": "pos"}, ()),
    ("退款申請了三天都沒人處理", "", {"after_sales": "neg"}, ()),
    ("包裝很精美，送人很有面子", "", {"packaging": "pos"}, ()),
    ("分量太少了，一袋沒幾顆", "坚果", {"portion_size": "neg"}, ()),
    ("焦糖味甜而不膩，很好吃", "焦糖瓜子", {"taste": "pos"}, ()),
    ("麻辣牛肉乾夠辣，很過癮", "牛肉干", {"taste": "pos"}, ()),
    ("薯片太油了，吃完滿手油", "薯片", {"taste": "neg"}, ("too_oily",)),
    ("發錯口味了，我要的是原味", "瓜子", {"order_accuracy": "neg"}, ()),
    ("味道不錯，下次還會再買", "", {"taste": "pos"}, ()),
)

TEMPLATED = ("此用户没有填写评价内容", "系统默认好评", "用户未及时评价，系统默认好评。",
             "此用户未填写评价内容", "该用户觉得商品非常好，给出了好评")
BLANKS = ("", " ", "   ", "\u3000", "\u3000\u3000")
SYMBOL_ONLY: tuple[tuple[str, str], ...] = (
    ("。。。", "neu"), ("！！！", "neu"), ("？？？", "neu"), ("……", "neu"), ("...", "neu"),
    ("～～～", "neu"), ("👍👍👍", "pos"), ("😋😋", "pos"), ("👌", "pos"), ("😡😡😡", "neg"),
    ("👎", "neg"),
)
EMOJI = {"pos": ("😋", "👍", "❤️", "🥰", "😄", "💯", "👏", "[赞]", "[哈哈]"),
         "neg": ("😡", "😤", "👎", "😭", "🙄", "[怒]", "[失望]"),
         "neu": ("🤔", "😐", "[思考]")}
JOIN = {"，": .78, " ": .06, "。": .06, "！": .05, "~": .02, ",": .03}
END = {"": .3, "。": .35, "！": .2, "！！": .04, "~": .03, "。。。": .02, "!!!": .02, "……": .02,
       "！！！": .02}
CONTRAST = {"，但是": .35, "，不过": .2, "，就是": .2, "，可是": .08, "。但是": .07, "，但": .1}
SOFTEN = {"，不过": .4, "，还好": .3, "。不过": .1, "，但是": .2}
ALSO = {"，": .75, "，而且": .15, "。": .1}

# Rows of each junk kind (templated ones only on 天猫/京东); the rest are ordinary reviews.
NOISE_COUNTS = {"templated": 22, "blank": 10, "symbols": 10, "traditional": 24, "multiline": 8}
N_PASTED_TWICE = 6
N_EXPORTED_TWICE = 4
# fmt: on

# ---------------------------------------------------------------------------
# Skeleton: batches and row metadata
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Batch:
    """One production batch of a product by a supplier, and when it was on sale."""

    supplier: str
    product: str
    on_sale: date
    produced: date
    code: str = ""


@dataclass
class Row:
    """One review: its skeleton, then its plan and text."""

    index: int
    time: datetime
    product: str
    supplier: str
    channel: str
    purchase: date
    batch: str
    kind: str  # "review", a NOISE_COUNTS key, "pasted_twice" or "exported_twice"
    review_id: str
    text: str = ""
    rating: int = 5
    sentiment: str = "neu"
    topics: dict[str, str] = field(default_factory=dict)
    taste_detail: list[str] = field(default_factory=list)
    story: str = ""


K = TypeVar("K")


def pick(rng: np.random.Generator, weights: Mapping[K, float]) -> K:
    """Draw one key of ``weights`` with probability proportional to its value."""
    keys = list(weights)
    p = np.asarray([weights[k] for k in keys], dtype=float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def _gap(rng: np.random.Generator) -> timedelta:
    return timedelta(days=int(rng.integers(BATCH_GAP_DAYS[0], BATCH_GAP_DAYS[1] + 1)))


def pair_sale_starts(rng: np.random.Generator, supplier: str, product: str) -> list[date]:
    """Days on which a supplier's product gets a new batch on sale, covering the window."""
    fixed = sorted(
        d
        for s in STORIES
        if (s.supplier, s.product) == (supplier, product)
        for d in (s.on_sale, s.until)
        if d is not None
    )
    open_end = any(
        (s.supplier, s.product) == (supplier, product) and s.until is None for s in STORIES
    )
    starts = fixed or [WINDOW_START + timedelta(days=int(rng.integers(0, 21)))]
    while starts[0] > WINDOW_START - timedelta(days=LAG_DAYS[1]):
        starts.insert(0, starts[0] - _gap(rng))
    last_useful = WINDOW_END - timedelta(days=LAG_DAYS[0])
    while not open_end and (nxt := starts[-1] + _gap(rng)) <= last_useful:
        starts.append(nxt)
    return starts


def make_batches(seed: int) -> dict[tuple[str, str], list[Batch]]:
    """The batch schedule of every supplier x product pair, with batch codes."""
    rng = np.random.default_rng([seed, 0])
    raw: list[Batch] = []
    for product, makers in MAKERS.items():
        for supplier in makers:
            for start in pair_sale_starts(rng, supplier, product):
                produced = start - timedelta(days=int(rng.integers(2, 9)))
                raw.append(Batch(supplier, product, start, produced))
    raw.sort(
        key=lambda b: (b.produced, SUPPLIERS.index(b.supplier), list(PRODUCTS).index(b.product))
    )
    per_month: dict[str, int] = {}
    out: dict[tuple[str, str], list[Batch]] = {}
    for b in raw:
        month = f"{b.produced:%y%m}"
        per_month[month] = per_month.get(month, 0) + 1
        coded = Batch(
            b.supplier, b.product, b.on_sale, b.produced, f"B{month}-{per_month[month]:02d}"
        )
        out.setdefault((b.supplier, b.product), []).append(coded)
    for batches in out.values():
        batches.sort(key=lambda b: b.on_sale)
    return out


def batch_on_sale(batches: list[Batch], day: date) -> Batch:
    """The batch that was on sale on ``day``."""
    current = batches[0]
    for b in batches:
        if b.on_sale <= day:
            current = b
    return current


def week_counts(n_rows: int) -> list[int]:
    """Reviews per week: slow growth plus holiday bumps, summing to ``n_rows``."""
    w = np.array([(1 + 0.015 * i) * WEEK_BUMPS.get(i, 1.0) for i in range(N_WEEKS)])
    exact = w / w.sum() * n_rows
    counts = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - counts), kind="stable")[: n_rows - counts.sum()]:
        counts[i] += 1
    return [int(c) for c in counts]


def draw_time(rng: np.random.Generator, week: int) -> datetime:
    """A review time in the given week, following daily and weekly rhythms."""
    day = WINDOW_START + timedelta(weeks=week, days=int(rng.choice(7, p=_norm(WEEKDAY_WEIGHTS))))
    hour = int(rng.choice(24, p=_norm(HOUR_WEIGHTS)))
    return datetime(
        day.year, day.month, day.day, hour, int(rng.integers(60)), int(rng.integers(60))
    )


def _norm(values: Sequence[float]) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    return a / a.sum()


def mark_noise(rng: np.random.Generator, rows: list[Row]) -> None:
    """Turn ``NOISE_COUNTS`` rows into junk rows of each kind."""
    for kind, n in NOISE_COUNTS.items():
        free = [r.index for r in rows if r.kind == "review"]
        if kind == "templated":
            free = [i for i in free if rows[i].channel in ("天猫", "京东")]
        for i in rng.choice(free, n, replace=False).tolist():
            rows[i].kind = kind


def make_skeleton(seed: int, n_rows: int, batches: dict[tuple[str, str], list[Batch]]) -> list[Row]:
    """Rows with time, product, supplier, channel, batch and noise kind, sorted by time."""
    rng = np.random.default_rng([seed, 1])
    product_w = {p: spec.weight for p, spec in PRODUCTS.items()}
    drafts = []
    for week, count in enumerate(week_counts(n_rows)):
        for _ in range(count):
            t = draw_time(rng, week)
            product = pick(rng, product_w)
            supplier = pick(rng, MAKERS[product])
            channel = pick(rng, CHANNELS)
            purchase = t.date() - timedelta(days=int(rng.integers(LAG_DAYS[0], LAG_DAYS[1] + 1)))
            batch = batch_on_sale(batches[(supplier, product)], purchase).code
            drafts.append((t, product, supplier, channel, purchase, batch))
    drafts.sort(key=lambda d: (d[0], d[1], d[2], d[3]))
    ids = unique_numbers(rng, len(drafts))
    rows = [
        Row(i, *d, kind="review", review_id=f"{ID_PREFIX[d[3]]}{ids[i]:012d}")
        for i, d in enumerate(drafts)
    ]
    mark_noise(rng, rows)
    return rows


def unique_numbers(
    rng: np.random.Generator, n: int, taken: frozenset[int] = frozenset()
) -> list[int]:
    """``n`` distinct 12-digit numbers, none of them in ``taken``."""
    seen: dict[int, None] = {}
    while len(seen) < n:
        x = int(rng.integers(10**11, 10**12))
        if x not in taken:
            seen.setdefault(x, None)
    return list(seen)


# ---------------------------------------------------------------------------
# Plans: what a review talks about
# ---------------------------------------------------------------------------


@dataclass
class Plan:
    """Topics with polarity, taste direction and topic-less clauses of one review."""

    topics: dict[str, str] = field(default_factory=dict)
    taste_detail: list[str] = field(default_factory=list)
    generic: str = ""  # "pos", "neg" or ""
    misc: bool = False
    neg_last: bool = True  # complaint after praise ("X，但是 Y"): decides a tie


def neg_rate(topic: str, row: Row) -> float:
    """Probability that this row complains about ``topic``."""
    rate = BASE_NEG.get(topic, 0.0) * NEG_FACTOR[row.product].get(topic, 1.0)
    rate *= CHANNEL_NEG_FACTOR.get(row.channel, 1.0)
    lo, hi = DOUBLE11_REVIEWS
    if topic == "delivery_logistics" and lo <= row.time.date() <= hi:
        rate *= DOUBLE11_DELIVERY_FACTOR
    return rate


def sample_complaints(rng: np.random.Generator, row: Row, plan: Plan) -> None:
    """Add the topics this review complains about (possibly none)."""
    for topic in BASE_NEG:
        if rng.random() < neg_rate(topic, row):
            plan.topics[topic] = "neg"
    if "taste" in plan.topics:
        plan.taste_detail = [pick(rng, TASTE_DIRECTIONS[row.product])]
    trouble = {"hygiene_safety", "order_accuracy", "authenticity_description", "packaging"}
    if trouble & plan.topics.keys() and "after_sales" not in plan.topics and rng.random() < 0.3:
        plan.topics["after_sales"] = "neg" if rng.random() < 0.6 else "pos"
    if plan.topics.get("after_sales") == "neg" and rng.random() < 0.3:
        plan.topics.setdefault("service_attitude", "neg")


# Praise that would contradict a complaint (tasty but mouldy, fresh but rancid).
CONTRADICTS = {"freshness_quality": {"taste"}, "hygiene_safety": {"taste", "freshness_quality"}}


def sample_praise(rng: np.random.Generator, row: Row, plan: Plan, k: int) -> None:
    """Add ``k`` praised topics that the plan does not mention and that do not contradict it."""
    banned = set(plan.topics).union(*(CONTRADICTS.get(t, set()) for t in plan.topics))
    if "off_flavor" in plan.taste_detail:
        banned.add("freshness_quality")
    weights = {t: w for t, w in POS_TOPIC_WEIGHTS.items() if t not in banned}
    if row.channel != "微信小程序":
        weights.pop("environment_facilities", None)
    for _ in range(k):
        if not weights:
            return
        topic = pick(rng, weights)
        plan.topics[topic] = "pos"
        weights.pop(topic)


def sample_plan(rng: np.random.Generator, row: Row) -> Plan:
    """Decide what an ordinary review talks about."""
    plan = Plan()
    sample_complaints(rng, row, plan)
    if plan.topics:
        if rng.random() < 0.45:
            sample_praise(rng, row, plan, 1)
        plan.generic = "neg" if rng.random() < 0.3 else ""
    elif rng.random() < 0.09:
        for _ in range(1 + int(rng.random() < 0.3)):
            plan.topics.setdefault(pick(rng, NEU_TOPIC_WEIGHTS), "neu")
        plan.misc = rng.random() < 0.3
    else:
        sample_praise(rng, row, plan, int(rng.choice(4, p=[0.12, 0.38, 0.38, 0.12])))
        plan.generic = "pos" if not plan.topics or rng.random() < 0.5 else ""
        plan.misc = rng.random() < 0.08
    return plan


def apply_story(rng: np.random.Generator, row: Row, plan: Plan, story: Story) -> None:
    """Turn a review of the story's batch into the story's complaint, at the story's rate."""
    if rng.random() >= story.rate:
        return
    if plan.topics.get("taste") != "neg" or story.direction not in plan.taste_detail:
        plan.topics["taste"] = "neg"
        plan.taste_detail = [story.direction]
        if plan.generic == "pos":
            plan.generic = ""
        row.story = story.direction


def story_codes(batches: dict[tuple[str, str], list[Batch]]) -> dict[str, Story]:
    """Batch code -> story, for the batches the stories are planted in."""
    return {batch_on_sale(batches[(s.supplier, s.product)], s.on_sale).code: s for s in STORIES}


# ---------------------------------------------------------------------------
# Writing: plan -> text, rating
# ---------------------------------------------------------------------------


def templates(key: str, tags: frozenset[str]) -> list[str]:
    """Templates under ``key`` that fit a product/channel with these tags."""
    out = []
    for t in BANK[key]:
        allowed, sep, text = t.rpartition("|")
        if not sep or tags & set(allowed.split(",")):
            out.append(text)
    return out


def row_tags(row: Row) -> frozenset[str]:
    """Tags that select templates: the product's, its name, the channel, 双11."""
    lo, hi = DOUBLE11_PURCHASES
    extra = {row.product, row.channel} | ({"双11"} if lo <= row.purchase <= hi else set())
    return PRODUCTS[row.product].tags | extra


def fill(rng: np.random.Generator, template: str, row: Row) -> str:
    """Fill the slots of a clause template."""
    spec = PRODUCTS[row.product]
    same = [p for p, s in PRODUCTS.items() if s.noun == spec.noun and p != row.product]
    others = same or [p for p in PRODUCTS if p != row.product]
    return template.format(
        c=spec.noun,
        p=row.product,
        o=others[int(rng.integers(len(others)))],
        u=spec.unit,
        g=spec.grams,
        brand=BRAND,
        d=["2", "3", "两", "三"][int(rng.integers(4))],
        D=["5", "6", "7", "五", "六", "八"][int(rng.integers(6))],
    )


def clause(rng: np.random.Generator, key: str, row: Row) -> str:
    """One filled clause for a bank key."""
    pool = templates(key, row_tags(row))
    return fill(rng, pool[int(rng.integers(len(pool)))], row)


def topic_key(topic: str, polarity: str, plan: Plan) -> str:
    if topic == "taste" and polarity == "neg":
        return f"taste:neg:{plan.taste_detail[0]}"
    return f"{topic}:{polarity}"


def join(rng: np.random.Generator, parts: list[str], joiners: dict[str, float]) -> str:
    """Join clauses with randomly drawn punctuation."""
    text = parts[0]
    for part in parts[1:]:
        text += pick(rng, joiners) + part
    return text


def compose(rng: np.random.Generator, row: Row, plan: Plan) -> str:
    """Write a plan as one review text."""
    by_pol: dict[str, list[str]] = {"pos": [], "neg": [], "neu": []}
    for topic in rng.permutation(list(plan.topics)).tolist():
        by_pol[plan.topics[topic]].append(
            clause(rng, topic_key(topic, plan.topics[topic], plan), row)
        )
    if plan.generic == "pos":
        at = len(by_pol["pos"]) if rng.random() < 0.7 else 0
        by_pol["pos"].insert(at, clause(rng, "generic:pos", row))
    good = join(rng, by_pol["pos"] + by_pol["neu"], JOIN) if by_pol["pos"] + by_pol["neu"] else ""
    bad = join(rng, by_pol["neg"], ALSO) if by_pol["neg"] else ""
    plan.neg_last = rng.random() < 0.65
    if good and bad:
        text = good + pick(rng, CONTRAST) + bad if plan.neg_last else bad + pick(rng, SOFTEN) + good
    else:
        text = good or bad
    if plan.generic == "neg":
        text += pick(rng, JOIN) + clause(rng, "generic:neg", row)
    if plan.misc:
        text = clause(rng, misc_key(rng, plan), row) + (pick(rng, JOIN) + text if text else "")
    return text + pick(rng, END)


PRODUCT_TOPICS = {"taste", "freshness_quality", "hygiene_safety", "portion_size"}


def misc_key(rng: np.random.Generator, plan: Plan) -> str:
    """A topic-less opener; "not opened yet" only where the review does not judge the food."""
    if PRODUCT_TOPICS & plan.topics.keys() or rng.random() < 0.5:
        return "misc:neu"
    return "misc:unopened"


def weights_of(plan: Plan) -> tuple[float, float]:
    """Weight of praise and of complaint in a plan."""
    pos = sum(p == "pos" for p in plan.topics.values()) + (plan.generic == "pos")
    neg = sum(SEVERITY.get(t, 1.0) for t, p in plan.topics.items() if p == "neg")
    return pos, neg + 1.5 * (plan.generic == "neg")


def sentiment_of(plan: Plan) -> str:
    """Overall polarity: the dominant side; ``neu`` when nothing is judged."""
    pos, neg = weights_of(plan)
    if neg == pos:
        return ("neg" if plan.neg_last else "pos") if neg else "neu"
    return "neg" if neg > pos else "pos"


def rating_of(rng: np.random.Generator, plan: Plan) -> int:
    """Stars consistent with the plan's sentiment and its strength."""
    pos, neg = weights_of(plan)
    sentiment = sentiment_of(plan)
    dist: dict[int, float]
    if sentiment == "neu":
        dist = {3: 0.45, 4: 0.4, 5: 0.15}
    elif not neg:
        dist = {5: 0.82, 4: 0.18}
    elif pos == neg:
        dist = {4: 0.45, 3: 0.45, 5: 0.1} if sentiment == "pos" else {3: 0.45, 2: 0.45, 1: 0.1}
    elif sentiment == "pos":
        dist = {4: 0.6, 3: 0.3, 5: 0.1}
    elif pos:
        dist = {2: 0.45, 3: 0.35, 1: 0.2}
    elif neg >= 2.5:
        dist = {1: 0.75, 2: 0.25}
    else:
        dist = {1: 0.35, 2: 0.45, 3: 0.2}
    return pick(rng, dist)


FULL_WIDTH = {
    ord(c): chr(ord(c) + 0xFEE0)
    for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!?"
}


def decorate(rng: np.random.Generator, text: str, row: Row) -> str:
    """Add the surface noise of real reviews: emoji, full width, Weibo mentions and links."""
    mood = row.sentiment
    if rng.random() < (0.12 if mood == "pos" else 0.07):
        pool = EMOJI[mood]
        text += pool[int(rng.integers(len(pool)))] * int(rng.choice([1, 1, 2, 3]))
    if any(ord(c) in FULL_WIDTH for c in text) and rng.random() < 0.25:
        text = text.translate(FULL_WIDTH)
    if row.channel == "微博":
        if rng.random() < 0.25:
            text = f"#{BRAND}零食# " + text
        if rng.random() < 0.35:
            handle = [f"@{BRAND}零食", f"@{BRAND}官方旗舰店", f"@{BRAND}客服"][int(rng.integers(3))]
            text = f"{handle} {text}" if rng.random() < 0.5 else f"{text} {handle}"
        if rng.random() < 0.1:
            code = "".join(
                rng.choice(list("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"), 7)
            )
            text += f" http://t.cn/{code}"
    return text


# ---------------------------------------------------------------------------
# Rows of each kind
# ---------------------------------------------------------------------------


def write_review(row: Row, seed: int, story: Story | None) -> None:
    """Fill an ordinary (or multi-line) review row; ``story`` is the row's batch's story."""
    rng = np.random.default_rng([seed, 2, row.index])
    plan = sample_plan(rng, row)
    if story is not None:
        apply_story(np.random.default_rng([seed, 3, row.index]), row, plan, story)
    rng = np.random.default_rng([seed, 4, row.index]) if row.story else rng
    text = compose(rng, row, plan)
    if row.kind == "multiline":
        text = (
            text.replace("，", "\n", 1)
            if "，" in text
            else clause(rng, "misc:neu", row) + "\n" + text
        )
    set_labels(row, plan, rng)
    row.text = decorate(rng, text, row)


def set_labels(row: Row, plan: Plan, rng: np.random.Generator) -> None:
    row.topics = dict(plan.topics)
    row.taste_detail = list(plan.taste_detail)
    row.sentiment = sentiment_of(plan)
    row.rating = rating_of(rng, plan)


def write_traditional(row: Row, seed: int) -> None:
    """Fill a row with one of the traditional-character reviews that fits the product."""
    rng = np.random.default_rng([seed, 2, row.index])
    tags = row_tags(row)
    fits = [t for t in TRADITIONAL if not t[1] or t[1] in tags]
    text, _, topics, detail = fits[int(rng.integers(len(fits)))]
    # The one mixed entry puts its praise last (贵，但是品质不错): ties go to praise.
    set_labels(row, Plan(dict(topics), list(detail), neg_last=False), rng)
    row.text = text + pick(rng, END)


def write_junk(row: Row, seed: int) -> None:
    """Fill a templated, blank or symbols-only row."""
    rng = np.random.default_rng([seed, 2, row.index])
    if row.kind == "templated":
        row.text, row.rating = TEMPLATED[int(rng.integers(len(TEMPLATED)))], 5
    elif row.kind == "blank":
        row.text = BLANKS[int(rng.integers(len(BLANKS)))]
        row.rating = pick(rng, {5: 0.7, 4: 0.2, 3: 0.1})
    else:
        row.text, row.sentiment = SYMBOL_ONLY[int(rng.integers(len(SYMBOL_ONLY)))]
        row.rating = {"pos": 5, "neg": 1}.get(row.sentiment) or pick(rng, {3: 0.5, 5: 0.5})


def add_duplicates(rows: list[Row], seed: int) -> list[Row]:
    """Copy a few rows: a user pasting a review twice, and rows the export repeated."""
    rng = np.random.default_rng([seed, 5])
    taken = frozenset(int(r.review_id[2:]) for r in rows)
    fresh = iter(unique_numbers(rng, N_PASTED_TWICE, taken))
    candidates = [i for i, r in enumerate(rows) if r.kind == "review" and len(r.text) > 6]
    chosen = rng.choice(candidates, N_PASTED_TWICE + N_EXPORTED_TWICE, replace=False).tolist()
    extra: list[tuple[int, Row]] = []
    for n, i in enumerate(chosen):
        src = rows[i]
        copy = Row(
            **{**src.__dict__, "topics": dict(src.topics), "taste_detail": list(src.taste_detail)}
        )
        if n < N_PASTED_TWICE:
            copy.review_id = f"{ID_PREFIX[src.channel]}{next(fresh):012d}"
            copy.time = src.time + timedelta(seconds=int(rng.integers(20, 300)))
            copy.kind = "pasted_twice"
        else:
            copy.kind = "exported_twice"
        extra.append((i, copy))
    out = list(rows)
    for i, copy in sorted(extra, key=lambda e: -e[0]):
        out.insert(i + 1, copy)
    return out


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------


def generate(
    seed: int = DEFAULT_SEED, n_rows: int = 2400, story: bool = True
) -> tuple[list[Row], dict[str, dict[str, object]]]:
    """All rows of the demo dump and a summary of the story batches."""
    batches = make_batches(seed)
    codes = story_codes(batches)
    rows = make_skeleton(seed, n_rows, batches)
    for row in rows:
        if row.kind in ("review", "multiline"):
            write_review(row, seed, codes.get(row.batch) if story else None)
        elif row.kind == "traditional":
            write_traditional(row, seed)
        else:
            write_junk(row, seed)
    rows = add_duplicates(rows, seed)
    return rows, story_summary(rows, codes, story)


def story_summary(
    rows: list[Row], codes: dict[str, Story], story: bool
) -> dict[str, dict[str, object]]:
    """Per story batch: code, dates, review count and the share with the story complaint."""
    out = {}
    for code, s in codes.items():
        mine = [r for r in rows if r.batch == code and r.kind != "exported_twice"]
        hits = [r for r in mine if s.direction in r.taste_detail]
        out[f"{s.supplier}/{s.product}"] = {
            "batch": code,
            "on_sale": str(s.on_sale),
            "until": str(s.until or "end"),
            "direction": s.direction,
            "story_on": story,
            "reviews": len(mine),
            "with_complaint": len(hits),
            "share": round(len(hits) / max(len(mine), 1), 3),
            "first_review": str(min(r.time for r in mine)),
            "last_review": str(max(r.time for r in mine)),
        }
    return out


def to_frame(rows: list[Row]) -> pd.DataFrame:
    """The export table with its Chinese headers."""
    return pd.DataFrame(
        [
            [
                r.review_id,
                r.text,
                f"{r.time:%Y-%m-%d %H:%M:%S}",
                r.product,
                r.supplier,
                r.batch,
                r.rating,
                r.channel,
            ]
            for r in rows
        ],
        columns=COLUMNS,
    )


def write_atomic(path: Path, write: Callable[[str], object]) -> None:
    """Write through a temporary file in the same folder, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the output is a shared data file
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def truth_lines(rows: list[Row]) -> str:
    """The plan of every row in the gold-label JSON Lines format (plus kind and story)."""
    lines = []
    for r in rows:
        record = {
            "id": r.review_id,
            "sentiment": r.sentiment,
            "topics": r.topics,
            "taste_detail": r.taste_detail,
            "kind": r.kind,
            "story": r.story,
        }
        lines.append(json.dumps(record, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help="random seed (default %(default)s)"
    )
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUT, help="CSV to write")
    parser.add_argument(
        "--rows", type=int, default=2400, help="rows before duplicates (default %(default)s)"
    )
    parser.add_argument(
        "--no-story", dest="story", action="store_false", help="no planted complaint waves"
    )
    parser.add_argument("--truth", type=Path, help="also write each row's plan as JSON Lines here")
    args = parser.parse_args(argv)
    rows, summary = generate(args.seed, args.rows, args.story)
    frame = to_frame(rows)
    write_atomic(
        args.output,
        lambda tmp: frame.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n"),
    )
    if args.truth:
        text = truth_lines(rows)
        write_atomic(args.truth, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    print(f"wrote {len(frame)} rows to {args.output}")
    for name, info in summary.items():
        print(f"story {name}: {json.dumps(info, ensure_ascii=False)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
