"""Review timestamps in many forms → ``datetime64[ns, tz]``.

Each distinct value is parsed once. The bulk goes through vectorized passes:
epoch seconds (10 digits) and milliseconds (13 digits); ISO 8601 with an
offset or ``Z`` (converted to ``tz``); ISO 8601 without one, including
``2021/9/4 21:51`` (taken as wall time in ``tz``); the same again after
rewriting Chinese forms (``2021年9月4日 21时51分``). What is left is parsed one
value at a time by :mod:`koubei.io.reltime` (relative dates, year-less dates,
month names). Relative dates need ``now``; without it they stay NaT and are
counted apart, so the report can say "pass --now".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from koubei.errors import InputError
from koubei.io.reltime import looks_relative, parse_absolute, parse_relative
from koubei.schema import DEFAULT_TZ

_AWARE = r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$"
_CN_REWRITES: list[tuple[str, str]] = [
    (r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?", r"\1-\2-\3 "),
    (r"(\d{1,2})\s*[时点]\s*(\d{1,2})\s*分\s*(\d{1,2})\s*秒", r"\1:\2:\3"),
    (r"(\d{1,2})\s*[时点]\s*(\d{1,2})\s*分?", r"\1:\2"),
    (r"\s*(?:UTC|GMT)$", "Z"),
    (r"：", ":"),
    (r"\s+", " "),
]
_NAT = np.datetime64("NaT", "ns")
_MIN_YEAR, _MAX_YEAR = 1678, 2261
_EXAMPLES = 5


@dataclass
class ParsedTimes:
    """Parsed timestamps and what could not be parsed.

    Attributes:
        times: ``datetime64[ns, tz]`` values, NaT where missing or unparseable.
        bad: True where the value was not empty but gave NaT.
        relative_unresolved: how many of the bad values are relative dates
            that a ``now`` would have resolved.
        examples: up to five distinct bad values.
    """

    times: pd.Series
    bad: np.ndarray
    relative_unresolved: int = 0
    examples: list[str] = field(default_factory=list)


def resolve_now(
    now: str | dt.datetime | pd.Timestamp | None, tz: str = DEFAULT_TZ
) -> pd.Timestamp | None:
    """``now`` as a tz-aware Timestamp (naive values are wall time in ``tz``).

    Raises:
        InputError: a string that is no absolute date/time.
    """
    if now is None:
        return None
    try:
        ts = pd.Timestamp(now)
    except (ValueError, TypeError):
        ts = pd.NaT
    if ts is pd.NaT:
        raise InputError(
            f"--now {now!r}: not a date/time; use e.g. 2024-05-01 or 2024-05-01T12:00+08:00"
        )
    return ts.tz_convert(tz) if ts.tzinfo is not None else ts.tz_localize(tz)


def parse_times(
    values: pd.Series, *, now: pd.Timestamp | None = None, tz: str = DEFAULT_TZ
) -> ParsedTimes:
    """Parse a column of timestamps (strings, or an already datetime column).

    Args:
        values: the source column.
        now: the reference for relative dates (see :func:`resolve_now`).
        tz: the time zone of naive values and of the result.

    Returns:
        The parsed times on the index of ``values``, with what failed.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(values):
        return _from_datetimes(values, tz)
    text = _as_text(values)
    codes, uniques = pd.factorize(text)
    uniq = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    utc, relative = _parse_unique(uniq, now, tz)
    empty = (uniq == "").to_numpy()
    bad_u = np.isnat(utc) & ~empty
    index = pd.DatetimeIndex(utc[codes]).tz_localize("UTC").tz_convert(tz)
    examples = [str(v) for v in uniq[bad_u & ~relative].head(_EXAMPLES)]
    return ParsedTimes(
        times=pd.Series(index, index=values.index, name=values.name),
        bad=bad_u[codes],
        relative_unresolved=int((bad_u & relative)[codes].sum()),
        examples=examples or [str(v) for v in uniq[bad_u].head(_EXAMPLES)],
    )


def _from_datetimes(values: pd.Series, tz: str) -> ParsedTimes:
    series = values.dt.tz_convert(tz) if values.dt.tz is not None else values.dt.tz_localize(tz)
    series = series.dt.as_unit("ns")
    return ParsedTimes(times=series, bad=np.zeros(len(values), dtype=bool))


def _as_text(values: pd.Series) -> pd.Series:
    text = values.astype(str).where(values.notna(), "")
    return text.str.strip()


def _parse_unique(
    uniq: pd.Series, now: pd.Timestamp | None, tz: str
) -> tuple[np.ndarray, np.ndarray]:
    """UTC ``datetime64[ns]`` per distinct value, and which were relative-unresolved."""
    out = np.full(len(uniq), _NAT)
    todo = (uniq != "").to_numpy(dtype=bool, copy=True)
    _fill(out, todo, _epoch(uniq, todo))
    _fill(out, todo, _iso(uniq, todo, tz))
    rewritten = _rewrite_cn(uniq, todo)
    _fill(out, todo, _iso(rewritten, todo, tz))
    relative = np.zeros(len(uniq), dtype=bool)
    for i in np.flatnonzero(todo):
        value = str(uniq.iat[i])
        ts, relative[i] = _parse_one(value, now, tz)
        if ts is not None and _MIN_YEAR <= ts.year <= _MAX_YEAR:
            out[i] = ts.tz_convert("UTC").tz_localize(None).as_unit("ns").to_datetime64()
    return out, relative


def _fill(out: np.ndarray, todo: np.ndarray, parsed: pd.Series) -> None:
    """Store parsed values (UTC, naive ns) into ``out`` and clear them from ``todo``."""
    if parsed.empty:
        return
    ok = parsed.notna() & parsed.dt.year.between(_MIN_YEAR, _MAX_YEAR)
    parsed = parsed[ok]
    idx = parsed.index.to_numpy()
    out[idx] = parsed.dt.as_unit("ns").to_numpy(dtype="datetime64[ns]")
    todo[idx] = False


def _epoch(uniq: pd.Series, todo: np.ndarray) -> pd.Series:
    """Epoch seconds (10 digits, maybe a fraction) and milliseconds (13 digits), UTC."""
    sub = uniq[todo]
    secs = sub[sub.str.fullmatch(r"\d{10}(?:\.\d+)?")]
    millis = sub[sub.str.fullmatch(r"\d{13}")]
    parts = [
        pd.to_datetime(secs.astype(float), unit="s"),
        pd.to_datetime(millis.astype("int64"), unit="ms"),
    ]
    found = [p for p in parts if not p.empty]
    return pd.concat(found) if found else _empty()


def _empty() -> pd.Series:
    return pd.Series([], dtype="datetime64[ns]")


def _iso(uniq: pd.Series, todo: np.ndarray, tz: str) -> pd.Series:
    """ISO-like values: with an offset converted, without one localized to ``tz``."""
    sub = uniq[todo]
    if sub.empty:
        return _empty()
    aware = sub.str.contains(_AWARE, regex=True)
    parsed_aware = pd.to_datetime(sub[aware], format="ISO8601", utc=True, errors="coerce")
    naive = pd.to_datetime(sub[~aware], format="ISO8601", errors="coerce")
    if isinstance(naive.dtype, pd.DatetimeTZDtype):  # an offset the regex missed
        naive = pd.to_datetime(sub[~aware], format="ISO8601", utc=True, errors="coerce")
    else:
        naive = naive.dt.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")
    both = pd.concat([parsed_aware.dt.tz_convert("UTC"), naive.dt.tz_convert("UTC")])
    return both.dt.tz_localize(None)


def _rewrite_cn(uniq: pd.Series, todo: np.ndarray) -> pd.Series:
    """Chinese date words and odd spacing rewritten into ISO-like text."""
    sub = uniq[todo].astype(object)
    for pattern, repl in _CN_REWRITES:
        sub = sub.str.replace(pattern, repl, regex=True)
    return sub.str.strip().reindex(uniq.index, fill_value="")


def _parse_one(value: str, now: pd.Timestamp | None, tz: str) -> tuple[pd.Timestamp | None, bool]:
    """One leftover value: (timestamp or None, whether it needed ``now``)."""
    if looks_relative(value):
        if now is None:
            return None, True
        return parse_relative(value, now), False
    return parse_absolute(value, tz), False
