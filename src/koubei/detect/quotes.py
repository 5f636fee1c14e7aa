"""Representative quotes for an issue, with personal data masked.

:func:`mask_personal` replaces each piece of personal data with a fixed token
so the sentence still reads. What it masks is the table :data:`PATTERNS`, in
order (one row per kind, each tested on its own):

- mobile numbers (``138 1234 5678``, ``+86-138-1234-5678``, full-width
  ``１３８１２３４５６７８``) and landlines (``027-87654321``, ``(010)12345678``,
  extensions) → ``[电话]``
- 18-digit resident ID numbers, also spaced ``110101 19900307 1233`` → ``[身份证]``
- bank card numbers (four-digit groups, or 16-19 digits passing the Luhn
  check) → ``[银行卡]``
- e-mail addresses → ``[邮箱]``
- WeChat and QQ ids after 微信/vx/wx/QQ/扣扣... → ``[账号]``
- order and waybill numbers (letter-digit codes after 订单/单号/运单/快递...,
  any run of 10+ digits) → ``[单号]``
- street addresses (…路/街/道/巷 + 弄/号, then 栋/单元/楼/室...; 小区/花园/
  公寓/大厦 + 栋/单元/室) → ``[地址]``
- names after 收件人/收货人/联系人/寄件人 → ``[姓名]``

Digits may be ASCII or full-width everywhere. Prices (29.9元), dates
(2026-11-23), times, quantities (500克, 3天) and batch codes are left alone.
Masking is idempotent: a masked text masks to itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

_D = "[0-9０-９]"  # a digit, ASCII or full-width (not \d, which takes every script's digits)
_NOT_BEFORE = "(?<![0-9０-９A-Za-zＡ-Ｚａ-ｚ])"
_NOT_AFTER = "(?![0-9０-９A-Za-zＡ-Ｚａ-ｚ])"
_SEP = "(?:[ \u3000]?[-－—][ \u3000]?|[ \u3000])"  # one separator between digit groups
_HAN = "[\u4e00-\u9fa5]"
_CN_NUM = "[一二三四五六七八九十百零〇两]"
_SURNAMES = ("欧阳|司马|上官|诸葛|东方|慕容|令狐|皇甫|尉迟|公孙|"
             "[王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
             "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万"
             "钱严覃武戴莫孔向汤]")
_NAME_END = "(?=$|[^\u4e00-\u9fa5]|电话|手机|联系|地址|先生|女士|小姐)"


def _luhn(digits: str) -> bool:
    """The Luhn check bank card numbers pass."""
    nums = [int(c) for c in digits]
    total = sum(nums[-1::-2]) + sum(sum(divmod(2 * d, 10)) for d in nums[-2::-2])
    return total % 10 == 0


@dataclass(frozen=True)
class PersonalPattern:
    """One kind of personal data: its regex, its token, and an optional check of the digits found.

    A match's ``keep`` group (a keyword such as 订单号) stays in the text; the rest becomes ``token``.
    """

    kind: str
    zh: str
    token: str
    regex: re.Pattern[str]
    check: Callable[[str], bool] | None = None

    def sub(self, text: str) -> str:
        def replace(m: re.Match[str]) -> str:
            if self.check is not None and not self.check(_ascii_digits(m.group(0))):
                return m.group(0)
            return (m.groupdict().get("keep") or "") + self.token

        return self.regex.sub(replace, text)


_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def _ascii_digits(text: str) -> str:
    return "".join(c for c in text.translate(_FULLWIDTH) if c.isascii() and c.isdigit())


def _p(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(pattern, flags)


_YEAR = "(?:[1１][9９]|[2２][0０])" + _D + "{2}"
_MONTH = "(?:[0０][1-9１-９]|[1１][0-2０-２])"
_DAY = "(?:[0０][1-9１-９]|[12１２]" + _D + "|[3３][01０１])"
_ID = (_NOT_BEFORE + "[1-9１-９]" + _D + "{5}" + _SEP + "?" + _YEAR + _MONTH + _DAY + _SEP + "?"
       + _D + "{3}[0-9０-９XxＸｘ]" + _NOT_AFTER)
# A mobile may follow a letter (加v13812345678, tel13812345678): only a digit before or after
# makes it part of a longer number. Its groups may be split by dots too (138.1234.5678).
_NOT_DIGIT_BEFORE, _NOT_DIGIT_AFTER = "(?<![0-9０-９])", "(?![0-9０-９])"
_MOBILE_SEP = "(?:[ \u3000]?[-－—.．][ \u3000]?|[ \u3000])"
_MOBILE = (_NOT_DIGIT_BEFORE + "(?:[+＋]?(?:86|８６)" + _SEP + "?)?[1１][3-9３-９]" + _D + _MOBILE_SEP + "?"
           + _D + "{4}" + _MOBILE_SEP + "?" + _D + "{4}" + _NOT_DIGIT_AFTER)
# The local number whole (87654321) or in two groups (8888 8888, 6888-8888).
_LANDLINE = (_NOT_BEFORE + "(?:[(（][0０]" + _D + "{2,3}[)）][ \u3000]?|[0０]" + _D + "{2,3}" + _SEP + "?)"
             + "(?:" + _D + "{7,8}|" + _D + "{3,4}" + _SEP + _D + "{4})"
             + "(?:" + _SEP + "?(?:转|分机|ext\\.?)" + _D + "{1,5})?" + _NOT_AFTER)
_CARD_GROUPED = _NOT_BEFORE + _D + "{4}(?:" + _SEP + _D + "{4}){3}(?:" + _SEP + _D + "{1,3})?" + _NOT_AFTER
_CARD_PLAIN = _NOT_BEFORE + "[3-6３-６]" + _D + "{15,18}" + _NOT_AFTER
_EMAIL = "(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+[@＠][A-Za-z0-9-]+(?:[.．][A-Za-z0-9-]+)+"
_ACCOUNT = ("(?P<keep>(?:微信号?|威信|薇信|[vV]信|(?<![A-Za-z])(?:vx|wx|weixin|wechat)|"
            "(?<![A-Za-z])qq号?|扣扣号?|企鹅号?)(?:号|id)?)[ \u3000:：]*(?:是|为)?[ \u3000:：]*"
            "(?:[A-Za-z][-_A-Za-z0-9]{5,19}|[1-9１-９]" + _D + "{4,11})(?![-_A-Za-z0-9０-９])")
_ORDER_KEYED = ("(?P<keep>(?:订单号?|单号|运单号?|快递单?号?|物流单?号?|编号"
                "|order(?:[ ]?(?:no\\.?|id|number))?|tracking(?:[ ]?(?:no\\.?|number))?))"
                "[ \u3000:：#]*(?:是|为)?[ \u3000:：#]*"
                "(?=[-A-Za-z]*[0-9０-９])[-A-Za-z0-9０-９]{6,}")
_ORDER_DIGITS = _NOT_BEFORE + _D + "{10,}" + _NOT_AFTER
_UNIT = "(?:" + _D + "+|" + _CN_NUM + "+|[A-Za-z])(?:支弄|弄|号楼|号院|号|栋|幢|座|单元|楼|层|室|户)"
_STREET = (_HAN + "{1,12}(?:(?<!一)路|大街|街|大道|(?<![知味])道|巷|胡同)(?:" + _D + "+|" + _CN_NUM
           + "+)(?:弄|号|巷)(?:" + _SEP + "?" + _UNIT + ")*")
_ESTATE = (_HAN + "{2,10}(?:小区|花园|公寓|大厦|新村|家园)" + _D + "*(?:" + _SEP + "?" + _UNIT + ")+")
_NAME_COLON = ("(?P<keep>(?:收件人|收货人|联系人|寄件人|签收人)(?:姓名)?)(?:[:：][ \u3000]*|[ \u3000]+)"
               + _HAN + "{2,4}?" + _NAME_END)
_NAME_SURNAME = ("(?P<keep>收件人|收货人|联系人|寄件人|签收人)(?:" + _SURNAMES + ")" + _HAN + "{1,2}?"
                 + _NAME_END)

#: what :func:`mask_personal` masks, in the order it masks it
PATTERNS: tuple[PersonalPattern, ...] = (
    PersonalPattern("email", "邮箱", "[邮箱]", _p(_EMAIL)),
    PersonalPattern("id_number", "身份证号", "[身份证]", _p(_ID)),
    PersonalPattern("bank_card", "银行卡号", "[银行卡]", _p(_CARD_GROUPED)),
    PersonalPattern("bank_card", "银行卡号", "[银行卡]", _p(_CARD_PLAIN), check=_luhn),
    PersonalPattern("mobile", "手机号", "[电话]", _p(_MOBILE)),
    PersonalPattern("landline", "座机号", "[电话]", _p(_LANDLINE, re.IGNORECASE)),
    PersonalPattern("wechat_qq", "微信/QQ号", "[账号]", _p(_ACCOUNT, re.IGNORECASE)),
    PersonalPattern("order_number", "订单/运单号", "[单号]", _p(_ORDER_KEYED, re.IGNORECASE)),
    PersonalPattern("order_number", "订单/运单号", "[单号]", _p(_ORDER_DIGITS)),
    PersonalPattern("address", "地址", "[地址]", _p(_STREET)),
    PersonalPattern("address", "地址", "[地址]", _p(_ESTATE)),
    PersonalPattern("name", "收件人姓名", "[姓名]", _p(_NAME_COLON)),
    PersonalPattern("name", "收件人姓名", "[姓名]", _p(_NAME_SURNAME)),
)


def mask_personal(text: str) -> str:
    """``text`` with the personal data of :data:`PATTERNS` replaced by their tokens."""
    for pattern in PATTERNS:
        text = pattern.sub(text)
    return text


def masked_kinds() -> list[tuple[str, str]]:
    """(Chinese name, token) of each kind masked, once each, in order: for notes in exports."""
    seen: dict[str, str] = {}
    for p in PATTERNS:
        seen.setdefault(p.zh, p.token)
    return list(seen.items())


#: where a clause ends: a quote centred on a clause starts just after one of these
_CLAUSE_END = re.compile(r"[。！？!?；;，,、…~～\s]")
#: how far past the start of a quote its anchor is looked for (a pasted log costs no more
#: than a long review)
_ANCHOR_REACH = 2000


def shown_quote(text: str, *, max_chars: int = 160, mask: bool | Callable[[str], str] = True,
                anchor: re.Pattern[str] | None = None) -> str:
    """``text`` as a quote: whitespace collapsed, personal data masked (``mask``: True for
    :func:`mask_personal`, or another masker), at most ``max_chars`` characters (``…``
    marks a cut). Only what is shown is masked, a margin past the cut included so a
    number there is masked whole: a pasted log costs no more than a review.

    ``anchor``: what the quote is about (an issue's cue words). When its first match
    would fall past the cut, the quote starts at the clause that holds it, after a
    ``…``: a long review's complaint is shown, not its preamble.
    """
    flat = " ".join(text[: 4 * max_chars + 64 + (_ANCHOR_REACH if anchor else 0)].split())
    m = anchor.search(flat) if anchor is not None else None
    past = m.end() if m is not None and m.end() > max_chars - 1 else 0  # 0: the start shows it
    body = flat[: past + max_chars + 64]
    masker = mask_personal if mask is True else (mask or None)
    quote = masker(body) if masker else body
    start = _clause_start(quote, anchor, max_chars) if past and anchor is not None else 0
    lead = "…" if start else ""
    room, shown = max_chars - len(lead), quote[start:]
    return lead + (shown if len(shown) <= room and len(flat) == len(body) else shown[: room - 1] + "…")


def _clause_start(quote: str, anchor: re.Pattern[str], max_chars: int) -> int:
    """Where the shown part of ``quote`` (masked already) starts: the clause that holds
    ``anchor``'s first match, at most a third of ``max_chars`` before it."""
    m = anchor.search(quote)
    if m is None:
        return 0
    floor = max(0, m.start() - max_chars // 3)
    ends = [e.end() for e in _CLAUSE_END.finditer(quote, floor, m.start())]
    return ends[-1] if ends else floor


def representative(texts: Sequence[str], vectors: np.ndarray | None = None, *, n: int = 3,
                   max_chars: int = 160, mask: bool = True,
                   anchor: re.Pattern[str] | None = None) -> list[str]:
    """Up to ``n`` typical, distinct quotes, each centred on ``anchor`` (see :func:`shown_quote`).

    With ``vectors`` (one row per text, L2-normalized), quotes closest to the
    centroid come first; without, the texts nearest the median length. Near
    repeats (quotes with the same first 12 characters once spaces and punctuation
    are gone) are kept once.
    """
    if not texts:
        return []
    order = _typical_order(texts, vectors)
    out: list[str] = []
    seen: set[str] = set()
    for i in order:
        quote = shown_quote(str(texts[i]), max_chars=max_chars, mask=mask, anchor=anchor)
        key = re.sub(r"[\W_]+", "", quote)[:12]  # what is shown: reviews with one preamble differ after it
        if not key or key in seen:
            continue
        seen.add(key)
        out.append(quote)
        if len(out) == n:
            break
    return out


def _typical_order(texts: Sequence[str], vectors: np.ndarray | None) -> np.ndarray:
    if vectors is not None and len(vectors) == len(texts):
        centroid = np.asarray(vectors.mean(axis=0)).ravel()
        sims = np.asarray(vectors @ centroid).ravel()
        return np.argsort(-sims, kind="stable")
    lengths = np.array([len(str(t)) for t in texts], dtype=float)
    # prefer texts long enough to say something, short enough to read
    target = float(np.clip(np.median(lengths), 12, 60))
    return np.argsort(np.abs(lengths - target), kind="stable")
