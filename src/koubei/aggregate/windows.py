"""Time windows: days, Monday-start weeks, calendar months.

Chinese business weeks start on Monday (ISO 8601), so a ``W`` window here is
Monday 00:00 to the next Monday 00:00 in the data's time zone -- not pandas'
default ``W`` (weeks *ending* on Sunday, labelled by the Sunday).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from koubei.aggregate.freq import Freq, parse_freq

__all__ = ["Freq", "parse_freq", "positions", "season_lag", "window_end", "window_label", "window_range",
           "window_start"]


_PERIOD = {Freq.D: "D", Freq.W: "W-SUN", Freq.M: "M"}


def window_start(times: pd.Series, freq: str | Freq) -> pd.Series:
    """The start of each time's window, tz-aware in the times' zone; NaT stays NaT."""
    f = parse_freq(freq)
    t = pd.to_datetime(times)
    tz = getattr(t.dt, "tz", None)
    local = t.dt.tz_localize(None) if tz is not None else t
    start = local.dt.to_period(_PERIOD[f]).dt.start_time
    return start.dt.tz_localize(tz) if tz is not None else start


def window_range(first: pd.Timestamp, last: pd.Timestamp, freq: str | Freq) -> pd.DatetimeIndex:
    """Every window start from ``first``'s window to ``last``'s, including empty ones."""
    f = parse_freq(freq)
    tz = first.tz
    a = first.tz_localize(None).to_period(_PERIOD[f])
    b = last.tz_localize(None).to_period(_PERIOD[f])
    starts = pd.period_range(a, b, freq=_PERIOD[f]).start_time
    return starts.tz_localize(tz) if tz is not None else starts


def window_label(start: pd.Timestamp | pd.Series, freq: str | Freq) -> str | pd.Series:
    """Human labels: ``2026-11-23`` (D), ``2026-W48`` (W, ISO week), ``2026-11`` (M)."""
    f = parse_freq(freq)
    if isinstance(start, pd.Series):
        return start.map(lambda s: window_label(s, f) if pd.notna(s) else "")
    if f is Freq.D:
        return start.strftime("%Y-%m-%d")
    if f is Freq.M:
        return start.strftime("%Y-%m")
    iso = start.isocalendar()
    return f"{iso[0]}-W{iso[1]:02d}"


def window_end(start: pd.Timestamp, freq: str | Freq) -> pd.Timestamp:
    """The (exclusive) end of the window that starts at ``start``."""
    f = parse_freq(freq)
    if f is Freq.D:
        return start + pd.Timedelta(days=1)
    if f is Freq.W:
        return start + pd.Timedelta(days=7)
    return start + pd.offsets.MonthBegin(1)


def season_lag(freq: str | Freq) -> int:
    """Windows in a year: 365 (D), 52 (W), 12 (M); the lag of a seasonal baseline."""
    return {Freq.D: 364, Freq.W: 52, Freq.M: 12}[parse_freq(freq)]


def positions(starts: pd.Series, index: pd.DatetimeIndex) -> np.ndarray:
    """Each start's position in ``index`` (-1 for NaT)."""
    pos = index.get_indexer(pd.DatetimeIndex(starts))
    return np.asarray(pos, dtype=np.int64)
