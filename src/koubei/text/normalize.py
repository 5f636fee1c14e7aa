"""Text normalization: one canonical form for every review before segmentation.

Steps, in order (each is its own small function so tests can pin them):

0. Form headers: a review form's empty headers go (Meituan's and Dianping's
   ``【口味】``, ``【环境】``, ``【等位】`` left unfilled, :func:`strip_empty_headers`): a
   header that names a topic and says nothing of it read as praise of that topic.
   A text of nothing but such headers normalizes to "" (status ``non_text``).
1. HTML: entities unescaped, tags dropped (``<br>`` becomes a clause break).
2. Noise: URLs, e-mail addresses and ``@mentions`` removed; Weibo ``#话题#``
   keeps its words; bracket emoticons such as ``[怒]`` keep their word.
3. Width: full-width ASCII (``ＡＢＣ１２３！``) becomes half-width, the
   ideographic space a plain space.
4. Script: traditional characters become simplified (OpenCC ``t2s``).
5. Emoji and pictographs become a space, except the few whose meaning reviews
   share (:data:`EMOJI_WORDS`: 👍 → 赞, 😡 → 生气, 😐 → 一般般), which become their
   word between spaces (a bracket emoticon such as ``[强]`` keeps its word too, in
   place, in step 2): a space between two Chinese characters ends a clause, so
   after Chinese text the word is a clause of its own. A run of emoji gives each
   distinct word once (``👍👍👍`` → ``赞``). The rest of the vocabulary is too
   open for a small model (``EMOJI_RE``).
6. Runs of the same punctuation collapse to one (``！！！`` → ``!``), runs of
   one character longer than three collapse to three (``好好好好好`` → ``好好好``),
   whitespace collapses, latin letters are lower-cased.

The raw text is never overwritten: callers keep it in the ``text`` column and
use the normalized form for ids, features and duplicate detection.

The models read at most :data:`MAX_REVIEW_CHARS` characters of a review (a
pasted log must not stall a nightly job); reading flags longer rows
``truncated``.
"""

from __future__ import annotations

import html
import re
from functools import cache

#: Characters of a review the models read (the first ones); longer rows are flagged ``truncated``.
MAX_REVIEW_CHARS = 5_000

_TAG_RE = re.compile(r"<\s*(br|p|/p|div|/div|li)\b[^>]*>|<[^>]{1,200}>", re.IGNORECASE)
_URL_RE = re.compile(r"(https?://|www\.)[\w\-./?%&=#:~+@!,;]+", re.IGNORECASE)
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_MENTION_RE = re.compile(r"@[\w\u4e00-\u9fff\-]{1,30}")
_HASHTAG_RE = re.compile(r"#([^#\n]{1,40})#")
_BRACKET_EMOTICON_RE = re.compile(r"\[([\u4e00-\u9fff]{1,4})\]")
#: the fields of Meituan's and Dianping's review forms, exported as 【口味】 with what the reviewer
#: wrote after it (or nothing); only these are headers (【好评】, 【差评】 or 【宫廷火焰牛排】 are words)
FORM_FIELDS: tuple[str, ...] = (
    "口味", "口感", "味道", "环境", "服务", "性价比", "等位", "排队", "菜品", "餐品", "食材", "价格", "份量",
    "分量", "种类", "卫生", "消毒", "测温", "分散就餐", "停车", "位置", "交通", "设施")
# a form field's header opening a line (or following another header), then nothing but spaces and
# punctuation up to the line's end or the next header; <br> is a line's end too (HTML exports)
_EMPTY_HEADER_RE = re.compile(
    r"(?:^|(?<=\n)|(?<=>)|(?<=】))[^\S\n]*【(?:" + "|".join(FORM_FIELDS) + r")】"
    r"[^\S\n]*[。，,.!！?？~～、:：;；…·]*[^\S\n]*(?=\n|<br|$|【)", re.IGNORECASE)
EMOJI_RE = re.compile(
    "["
    "\U0001f000-\U0001faff"  # pictographs, emoticons, transport, symbols
    "\U00002600-\U000027bf"  # misc symbols, dingbats
    "\U0000fe0f\U0000200d"  # variation selector, zero-width joiner
    "\U0001f1e6-\U0001f1ff"  # flags
    "\U00002b00-\U00002bff"
    "\U000020e3"  # the keycap of 1️⃣
    "]+"
)
#: Emoji whose meaning in reviews is plain, as the word a reviewer would have typed (the
#: team's reading, after WeChat's and Weibo's own names: 👍 is [强], 😡 [发怒]); words the
#: models and the polarity lexicon know. Left out: those as often ironic or ambiguous in
#: Chinese use (🙂 微笑, 😭 crying from laughter or grief, 😂, 🤔, 👀).
EMOJI_WORDS: dict[str, str] = {
    # 😋 is tasty and 👌 OK, but an emoji names no topic (不错 alone reads as taste)
    **dict.fromkeys("👍👏🤙💪😋🤤👌🆗", "赞"),
    **dict.fromkeys("💯", "满分"),
    **dict.fromkeys("❤♥💕💖💗💓💞💘😍🥰😘😻♡", "喜欢"),
    **dict.fromkeys("😄😊☺😁😃😆🤗🥳", "开心"),
    **dict.fromkeys("👎", "差"),
    **dict.fromkeys("😡😠🤬💢😤", "生气"),
    **dict.fromkeys("🙄😒", "无语"),
    **dict.fromkeys("🤮🤢", "想吐"),  # not 恶心, a taste word
    **dict.fromkeys("💩", "垃圾"),
    **dict.fromkeys("😞😔😟☹🙁😣😖😩", "失望"),
    **dict.fromkeys("😐😑", "一般般"),  # not 一般, which alone reads as taste
}
_PUNCT_RUN_RE = re.compile(r"([!?,.;:~\-_=*。、…·！？，；：～])\1+")
_CHAR_RUN_RE = re.compile(r"(.)\1{3,}")
_SPACE_RE = re.compile(r"\s+")

# Full-width ASCII block U+FF01..U+FF5E maps onto U+0021..U+007E.
_WIDTH_TABLE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_WIDTH_TABLE[0x3000] = 0x20  # ideographic space
# The same as a list over the BMP, identity elsewhere (2 MB): str.translate looks every
# character up, and a dict raises and swallows a KeyError for each one it does not map,
# which made this step a quarter of normalize; characters past the BMP stay as they are.
_WIDTH_BMP = [_WIDTH_TABLE.get(cp, cp) for cp in range(0x10000)]


@cache
def _t2s():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


def strip_html(text: str) -> str:
    """Unescape HTML entities and drop tags; block tags become a clause break."""
    if "&" in text:
        text = html.unescape(text)
    if "<" in text:
        text = _TAG_RE.sub(lambda m: "。" if m.group(1) else " ", text)
    return text


def strip_noise(text: str) -> str:
    """Remove URLs, e-mails and @mentions; keep the words of #topics# and [emoticons]."""
    if "http" in text or "www" in text:
        text = _URL_RE.sub(" ", text)
    if "@" in text:
        text = _EMAIL_RE.sub(" ", text)
        text = _MENTION_RE.sub(" ", text)
    if "#" in text:
        text = _HASHTAG_RE.sub(r"\1 ", text)
    if "[" in text:
        text = _BRACKET_EMOTICON_RE.sub(r"\1", text)
    return text


def strip_empty_headers(text: str) -> str:
    """Remove a review form's headers left unfilled: a :data:`FORM_FIELDS` header (``【口味】``,
    ``【服务】``) alone on its line, or followed by another header, as Meituan and Dianping export a
    field the reviewer skipped (``满意\n【口味】\n【环境】`` → ``满意\n\n``). A filled one
    (``【口味】还行``, ``【口味】👍``) stays: it says what its words are about; so does any other
    bracketed word (a dish list 【提拉米苏】【卡布奇诺】, 【差评】). Runs before the HTML step, which
    makes a ``<br>`` a 。."""
    if "【" in text:
        text = _EMPTY_HEADER_RE.sub("", text)
    return text


def to_halfwidth(text: str) -> str:
    """Full-width ASCII letters, digits and punctuation to half-width."""
    return text.translate(_WIDTH_BMP)


def to_simplified(text: str) -> str:
    """Traditional Chinese characters to simplified (OpenCC t2s)."""
    return str(_t2s().convert(text))


def _emoji_words(m: re.Match[str]) -> str:
    words = dict.fromkeys(EMOJI_WORDS[ch] for ch in m.group() if ch in EMOJI_WORDS)
    return f" {' '.join(words)} " if words else " "


def emoji_to_words(text: str) -> str:
    """Emoji to a space, or to their word between spaces (:data:`EMOJI_WORDS`): ``好吃😋😋👍`` →
    ``好吃 赞 ``; the spaces collapse later (:func:`collapse_runs`)."""
    return EMOJI_RE.sub(_emoji_words, text)


def collapse_runs(text: str) -> str:
    """Collapse repeated punctuation, over-long character runs and whitespace."""
    # search first: most texts have no run, and a search costs half a substitution
    if _PUNCT_RUN_RE.search(text):
        text = _PUNCT_RUN_RE.sub(r"\1", text)
    if _CHAR_RUN_RE.search(text):
        text = _CHAR_RUN_RE.sub(r"\1\1\1", text)
    return _SPACE_RE.sub(" ", text).strip()


def normalize(text: str) -> str:
    """Canonical form of one review text (see the module docstring for the steps).

    Args:
        text: the raw review text; ``None``-like values should be passed as "".

    Returns:
        The normalized text; "" when nothing but noise remains.
    """
    if not text:
        return ""
    text = strip_empty_headers(text)
    text = strip_html(text)
    text = strip_noise(text)
    text = to_halfwidth(text)
    text = to_simplified(text)
    text = emoji_to_words(text)
    return collapse_runs(text).lower()
