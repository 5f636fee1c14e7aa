"""Personal data in quotes: each pattern of the masker on real review sentences, what it must leave
alone, and the leaks of issue 21 through `emerging` quotes, every `export` format and the report."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from scored_frames import MONDAY, frame, review, weekly

from koubei.detect.quotes import PATTERNS, mask_personal, masked_kinds
from koubei.detect.run import run_emerging
from koubei.export import export_issues
from koubei.report import write_report
from koubei.store.history import open_store


def _luhn_card(prefix: str) -> str:
    """``prefix`` + the check digit that makes it pass the Luhn check."""
    for d in "0123456789":
        digits = [int(c) for c in prefix + d]
        total = sum(digits[-1::-2]) + sum(sum(divmod(2 * x, 10)) for x in digits[-2::-2])
        if total % 10 == 0:
            return prefix + d
    raise AssertionError


CARD = _luhn_card("622202123456789012")  # 19 digits
NOT_A_CARD = CARD[:-1] + str((int(CARD[-1]) + 1) % 10)

MASKED = [
    # mobile: plain, spaced, dashed, +86, full-width digits
    ("mobile", "瓜子太淡了，电话13812345678联系我", "瓜子太淡了，电话[电话]联系我"),
    ("mobile", "有问题打138 1234 5678找我", "有问题打[电话]找我"),
    ("mobile", "客服不回，我的手机+86-139-1234-5678", "客服不回，我的手机[电话]"),
    ("mobile", "联系我１３８１２３４５６７８，味道太咸", "联系我[电话]，味道太咸"),
    ("mobile", "电话１３８ １２３４ ５６７８", "电话[电话]"),
    ("mobile", "加v13812345678领红包，别买了", "加v[电话]领红包，别买了"),  # after a letter
    ("mobile", "联系tel13812345678退款", "联系tel[电话]退款"),
    ("mobile", "电话138.1234.5678", "电话[电话]"),
    # landline: area code with dash or brackets, extension
    ("landline", "座机027-87654321没人接", "座机[电话]没人接"),
    ("landline", "打(010)12345678转123投诉", "打[电话]投诉"),
    ("landline", "店里电话０２１－６２３４５６７８", "店里电话[电话]"),
    ("landline", "门店0755-8888 8888打不通", "门店[电话]打不通"),  # the local number in two groups
    ("landline", "电话021 6888 8888", "电话[电话]"),
    # resident ID: plain, spaced 6-8-4, X check digit, full-width
    ("id_number", "身份证110101199003071234登记了", "身份证[身份证]登记了"),
    ("id_number", "身份证 110101 19900307 1233 实名了还寄错", "身份证 [身份证] 实名了还寄错"),
    ("id_number", "证件号11010119900307123X", "证件号[身份证]"),
    ("id_number", "身份证１１０１０１１９９００３０７１２３４", "身份证[身份证]"),
    # bank card: four-digit groups, or a bare number passing Luhn
    ("bank_card", "退款到卡号6222 0212 3456 7890 123，还没到", "退款到卡号[银行卡]，还没到"),
    ("bank_card", f"退到{CARD}这张卡", "退到[银行卡]这张卡"),
    # e-mail, ASCII and full-width @
    ("email", "发票请发邮箱abc.de@qq.com", "发票请发邮箱[邮箱]"),
    ("email", "邮箱zhang_san＠163.com", "邮箱[邮箱]"),
    # WeChat / QQ ids
    ("wechat_qq", "加微信abc_12345问问售后", "加微信[账号]问问售后"),
    ("wechat_qq", "vx: wxid_k9s8d7f6 加我", "vx[账号] 加我"),
    ("wechat_qq", "QQ号是123456789，有事找我", "QQ号[账号]，有事找我"),
    ("wechat_qq", "扣扣 87654321", "扣扣[账号]"),
    # order and waybill numbers
    ("order_number", "订单号：JD20261123001 没到", "订单号[单号] 没到"),
    ("order_number", "快递单号SF1234567890123一直没更新", "快递单号[单号]一直没更新"),
    ("order_number", "order no. AB123456 lost", "order no.[单号] lost"),
    ("order_number", f"单据{NOT_A_CARD}查不到", "单据[单号]查不到"),
    # street addresses with 弄/号/栋/单元/楼/室, estates
    ("address", "寄到上海市浦东新区张江路100弄5号，结果送错了", "[地址]，结果送错了"),
    ("address", "地址：张江路100弄5号3楼302室，瓜子太淡", "地址：[地址]，瓜子太淡"),
    ("address", "送到珞喻路1037号东门", "[地址]东门"),
    ("address", "阳光花园3栋2单元502室收", "[地址]收"),
    ("address", "中山大道１２号　５栋", "[地址]"),
    # names after 收件人 and the like
    ("name", "收件人：张三，电话13812345678", "收件人[姓名]，电话[电话]"),
    ("name", "收货人李四电话138-1234-5678", "收货人[姓名]电话[电话]"),
    ("name", "联系人 欧阳娜娜 地址写错了", "联系人[姓名] 地址写错了"),
    ("name", "收件人王先生，东西坏了", "收件人[姓名]，东西坏了"),
]

ORDINARY = [
    "29.9元一包，还不如超市的19.8元",
    "2026-11-23下单，11月25日到的，12:30送到",
    "500克装，实际只有450克，1.5斤的袋子",
    "3天才到，第2次买了，买了10袋",
    "3-5个工作日，说好的5号到，结果8号才到",
    "评分10分，满分100分给60分",
    "批次B2611-02的瓜子太咸了，iphone12拍的照片",
    "快递走了一路10号才到",
    "收件人写错了，快递员不给送",
    "订单已经取消了，客服态度很差",
    "味道道地，街头小吃的感觉",
    "2019年开始买，一直是这个味",
    "加微信好友也不回",
]


@pytest.mark.parametrize(("kind", "text", "expected"), MASKED,
                         ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(MASKED)])
def test_each_pattern_masks_its_kind(kind: str, text: str, expected: str) -> None:
    assert kind in {p.kind for p in PATTERNS}
    assert mask_personal(text) == expected
    assert mask_personal(expected) == expected  # idempotent: export and report mask again


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_review_text_is_left_alone(text: str) -> None:
    assert mask_personal(text) == text


def test_every_kind_is_tested_and_named_for_the_notes() -> None:
    assert {p.kind for p in PATTERNS} == {k for k, _, _ in MASKED}
    tokens = [t for _, t in masked_kinds()]
    assert {"[电话]", "[身份证]", "[银行卡]", "[邮箱]", "[账号]", "[单号]", "[地址]", "[姓名]"} == set(tokens)


# -- the leaks of issue 21: spaced IDs, 弄/号 addresses, full-width phones ---------------------------

LEAKS = ["身份证 110101 19900307 1233 实名了瓜子还是太淡", "寄到上海市浦东新区张江路100弄5号的瓜子太淡了",
         "瓜子太淡了，打我电话１３８１２３４５６７８"]
SECRETS = ["110101 ", "19900307", " 1233", "张江路", "100弄", "１３８１２３４５６７８", "１３８"]


def _leaky_wave() -> pd.DataFrame:
    rows = weekly(12, 40, 0.05, seed=1)
    last = MONDAY + pd.Timedelta(days=7 * 12)
    rows += [review(20_000 + j, last + pd.Timedelta(hours=j), topic="taste", direction="too_bland",
                    text=LEAKS[j % 3] + "。" * (j // 3)) for j in range(15)]
    rows += [review(21_000 + j, last + pd.Timedelta(hours=j)) for j in range(25)]
    return frame(rows)


def test_emerging_quotes_export_and_report_do_not_leak(tmp_path: Path) -> None:
    scored, store = tmp_path / "scored.parquet", tmp_path / "koubei.duckdb"
    _leaky_wave().to_parquet(scored)
    run = run_emerging(scored, tmp_path / "emerging.csv", store=store, novel=False)
    quotes = [q for qs in run.issues["quotes"] for q in json.loads(qs)]
    assert quotes and any("[身份证]" in q or "[地址]" in q or "[电话]" in q for q in quotes)
    assert not any(s in q for s in SECRETS for q in quotes), quotes
    assert not any(s in (tmp_path / "emerging.csv").read_text(encoding="utf-8-sig") for s in SECRETS)
    for fmt in ("xlsx", "csv", "md", "json"):
        res = export_issues(store, tmp_path / f"issues.{fmt}")
        if fmt == "xlsx":
            text = " ".join(str(c.value) for ws in load_workbook(res.path) for row in ws.iter_rows()
                            for c in row if c.value is not None)
        else:
            text = res.path.read_text(encoding="utf-8-sig")
        assert not any(s in text for s in SECRETS), fmt
    html = write_report(scored, tmp_path / "report.html", store=store).output.read_text(encoding="utf-8")
    assert not any(s in html for s in SECRETS)


def test_export_and_report_mask_a_store_filled_without_the_new_rules(tmp_path: Path) -> None:
    """A store filled with --no-mask (or by an older masker) holds the leaks; export and report mask them."""
    scored, store = tmp_path / "scored.parquet", tmp_path / "koubei.duckdb"
    _leaky_wave().to_parquet(scored)
    run_emerging(scored, None, store=store, novel=False, mask=False)
    with open_store(store) as s:
        assert any(sec in json.dumps(q, ensure_ascii=False) for q in s.list()["quotes"] for sec in SECRETS)
    doc = json.loads(export_issues(store, tmp_path / "issues.json").path.read_text(encoding="utf-8"))
    assert doc["issues"] and not any(s in json.dumps(doc, ensure_ascii=False) for s in SECRETS)
    html = write_report(scored, tmp_path / "report.html", store=store).output.read_text(encoding="utf-8")
    assert not any(s in html for s in SECRETS)


def test_a_quote_of_a_pasted_log_is_cut_and_only_its_start_is_masked() -> None:
    from koubei.detect.quotes import shown_quote

    log = "电话13812345678，薯片太咸了。" + "a1" * 500_000  # a megabyte pasted into the review box
    quote = shown_quote(log)
    assert quote.startswith("电话[电话]，薯片太咸了。") and len(quote) <= 160 and quote.endswith("…")
    read: list[int] = []
    shown_quote(log, mask=lambda t: read.append(len(t)) or t)
    assert read and read[0] < 1_000  # the masker sees the start, not the megabyte
    assert shown_quote("好吃  不贵\n会回购", mask=False) == "好吃 不贵 会回购"
