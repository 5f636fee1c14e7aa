"""Representative quotes for an issue, with personal data masked.

Masked (each replaced by a fixed token so the sentence still reads):
mobile and landline phone numbers → ``[电话]``, 18-digit resident ID numbers
→ ``[身份证]``, order/waybill numbers (10+ digits or letter-digit codes after
订单/单号/快递...) → ``[单号]``, e-mail → ``[邮箱]``, street addresses (…路/街/
道/巷 + 号, 小区/栋/单元/室) → ``[地址]``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

_ID = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
)
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}[- ]?\d{7,8}(?!\d)")
_ORDER = re.compile(
    r"(?:(?<=订单号)|(?<=订单)|(?<=单号)|(?<=运单)|(?<=快递)|(?<=编号)|(?<=order))[:：#\s]*[A-Za-z0-9-]{6,}"
    r"|(?<![0-9A-Za-z])\d{10,}(?![0-9A-Za-z])",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_ADDRESS = re.compile(
    r"[\u4e00-\u9fa5]{1,12}(?:路|街|道|巷|大道)\d+号(?:[\u4e00-\u9fa5\d]{0,12}(?:栋|幢|单元|楼|室|号))*"
    r"|[\u4e00-\u9fa5]{2,10}(?:小区|花园|公寓|大厦)\d*(?:[\d一二三四五六七八九十]+(?:栋|幢|单元|号楼|楼|室))+"
)

_MASKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (_EMAIL, "[邮箱]"),
    (_ID, "[身份证]"),
    (_MOBILE, "[电话]"),
    (_LANDLINE, "[电话]"),
    (_ORDER, "[单号]"),
    (_ADDRESS, "[地址]"),
)


def mask_personal(text: str) -> str:
    """Mask phone, ID, order numbers, e-mail and street addresses in ``text``."""
    for pattern, token in _MASKS:
        text = pattern.sub(token, text)
    return text


def representative(texts: Sequence[str], vectors: np.ndarray | None = None, *, n: int = 3,
                   max_chars: int = 160, mask: bool = True) -> list[str]:
    """Up to ``n`` typical, distinct quotes.

    With ``vectors`` (one row per text, L2-normalized), quotes closest to the
    centroid come first; without, the texts nearest the median length. Near
    repeats (same first 12 characters once spaces and punctuation are gone) are
    kept once.
    """
    if not texts:
        return []
    order = _typical_order(texts, vectors)
    out: list[str] = []
    seen: set[str] = set()
    for i in order:
        text = " ".join(str(texts[i]).split())
        key = re.sub(r"[\W_]+", "", text)[:12]
        if not key or key in seen:
            continue
        seen.add(key)
        quote = mask_personal(text) if mask else text
        out.append(quote if len(quote) <= max_chars else quote[: max_chars - 1] + "…")
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
