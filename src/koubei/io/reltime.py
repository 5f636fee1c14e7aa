"""Timestamps that pandas' ISO parser leaves: relative Chinese dates and odd forms.

Relative forms are resolved against ``now`` (the CLI's ``--now``):

- 刚刚 / 刚才: ``now``
- N秒前, N分钟前, N小时前, N天前, N周前 (星期前), N个月前, N年前 — a month is
  taken as 30 days and a year as 365 days (reviews sites round these anyway)
- 今天/昨天/前天 with an optional ``HH:MM[:SS]``: that day at that time (00:00
  when no time is given)
- ``MM-DD [HH:MM]``, ``M月D日``, ``M/D`` without a year: in the year of ``now``,
  or the year before when that would lie more than a day after ``now``

N may be digits or a small Chinese numeral (三, 十五, 两, 半).
These are parsed one value at a time; callers pass each distinct value once.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable

import pandas as pd

_NUM = r"(\d+(?:\.\d+)?|[零一二两三四五六七八九十半]+)"
_HMS = r"(?:\s*(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?)?"

_AGO: list[tuple[re.Pattern[str], Callable[[float], pd.Timedelta]]] = [
    (re.compile(rf"{_NUM}\s*秒钟?(?:之|以)?前"), lambda n: pd.Timedelta(seconds=n)),
    (re.compile(rf"{_NUM}\s*分钟?(?:之|以)?前"), lambda n: pd.Timedelta(minutes=n)),
    (re.compile(rf"{_NUM}\s*个?(?:小时|钟头)(?:之|以)?前"), lambda n: pd.Timedelta(hours=n)),
    (re.compile(rf"{_NUM}\s*天(?:之|以)?前"), lambda n: pd.Timedelta(days=n)),
    (re.compile(rf"{_NUM}\s*个?(?:周|星期|礼拜)(?:之|以)?前"), lambda n: pd.Timedelta(weeks=n)),
    (re.compile(rf"{_NUM}\s*个?月(?:之|以)?前"), lambda n: pd.Timedelta(days=30 * n)),
    (re.compile(rf"{_NUM}\s*年(?:之|以)?前"), lambda n: pd.Timedelta(days=365 * n)),
]
_JUST_NOW = re.compile(r"刚刚|刚才|just now")
_DAY_WORD = re.compile(rf"(今天|昨天|前天){_HMS}")
_DAY_OFFSET = {"今天": 0, "昨天": 1, "前天": 2}
_YEARLESS = re.compile(rf"(\d{{1,2}})\s*[-/月]\s*(\d{{1,2}})\s*[日号]?{_HMS}")
_ABSOLUTE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?"
    r"(?:[\sT]*(\d{1,2})\s*[:：时点]\s*(\d{1,2})?\s*分?(?:[:：]?\s*(\d{1,2})\s*秒?)?)?"
)
_RELATIVE_HINT = re.compile(r"前$|刚刚|刚才|今天|昨天|前天|^\d{1,2}\s*[-/月]\s*\d{1,2}")
_YEAR = re.compile(r"(?:19|20)\d{2}")
_DIGITS = dict(zip("零一二两三四五六七八九", (0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))


def looks_relative(value: str) -> bool:
    """Whether ``value`` is a relative or year-less date that needs ``now``."""
    return bool(_RELATIVE_HINT.search(value))


def parse_relative(value: str, now: pd.Timestamp) -> pd.Timestamp | None:
    """Resolve one relative or year-less date against ``now`` (tz-aware)."""
    if _JUST_NOW.fullmatch(value):
        return now
    for pattern, delta in _AGO:
        m = pattern.fullmatch(value)
        if m:
            number = cn_number(m.group(1))
            return None if number is None else now - delta(number)
    m = _DAY_WORD.fullmatch(value)
    if m:
        day = now.normalize() - pd.Timedelta(days=_DAY_OFFSET[m.group(1)])
        return _at(day, m.group(2), m.group(3), m.group(4))
    m = _YEARLESS.fullmatch(value)
    if m:
        return _yearless(m, now)
    return None


def _yearless(m: re.Match[str], now: pd.Timestamp) -> pd.Timestamp | None:
    month, day = int(m.group(1)), int(m.group(2))
    for year in (now.year, now.year - 1):
        try:
            ts = pd.Timestamp(year=year, month=month, day=day, tz=now.tz)
        except ValueError:
            return None
        ts = _at(ts, m.group(3), m.group(4), m.group(5))
        if ts is not None and ts <= now + pd.Timedelta(days=1):
            return ts
    return None


def _at(
    day: pd.Timestamp, hour: str | None, minute: str | None, second: str | None
) -> pd.Timestamp | None:
    if hour is None:
        return day
    h, mi, s = int(hour), int(minute or 0), int(second or 0)
    if h > 23 or mi > 59 or s > 59:
        return None
    return day + pd.Timedelta(hours=h, minutes=mi, seconds=s)


def parse_absolute(value: str, tz: str) -> pd.Timestamp | None:
    """Parse ``Y-M-D``-like forms pandas did not take (``2021年9月4日 21点51分``...)."""
    m = _ABSOLUTE.fullmatch(value)
    if m:
        try:
            day = pd.Timestamp(year=int(m[1]), month=int(m[2]), day=int(m[3]), tz=tz)
        except ValueError:
            return None
        return _at(day, m[4], m[5], m[6])
    if _YEAR.search(value) and re.search(r"[A-Za-z]|\d{1,2}/\d{1,2}/\d{4}", value):
        return _dateutil(value, tz)
    return None


def _dateutil(value: str, tz: str) -> pd.Timestamp | None:
    """Last resort for forms like ``Sep 4, 2021 9:51 PM`` (month-first for ``M/D/Y``)."""
    from dateutil import parser

    try:
        with warnings.catch_warnings():  # e.g. "unknown tzname CST": never print from here
            warnings.simplefilter("ignore")
            ts = pd.Timestamp(parser.parse(value))
    except (ValueError, OverflowError, TypeError):
        return None
    return ts.tz_convert(tz) if ts.tzinfo is not None else ts.tz_localize(tz)


def cn_number(text: str) -> float | None:
    """``3``, ``2.5``, ``三``, ``十五``, ``二十``, ``两``, ``半`` as a number."""
    if text[0].isdigit():
        return float(text)
    if text == "半":
        return 0.5
    if "十" in text:
        tens, _, ones = text.partition("十")
        t = _DIGITS.get(tens, 1) if tens else 1
        o = _DIGITS.get(ones, 0) if ones else 0
        return (
            None if (tens and tens not in _DIGITS) or (ones and ones not in _DIGITS) else t * 10 + o
        )
    return float(_DIGITS[text]) if text in _DIGITS else None
