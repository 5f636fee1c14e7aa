"""Window frequencies (day, Monday-start week, month), apart from the window arithmetic
(:mod:`koubei.aggregate.windows`) so that the command line's options need no pandas."""

from __future__ import annotations

from enum import StrEnum

from koubei.errors import ColumnError


class Freq(StrEnum):
    D = "D"
    W = "W"
    M = "M"


def parse_freq(freq: str | Freq) -> Freq:
    """``"W"``/``"w"``/``"week"`` → ``Freq.W``; anything else is a clear error."""
    key = str(freq).strip().upper()
    key = {"DAY": "D", "WEEK": "W", "MONTH": "M", "ME": "M", "MS": "M", "W-MON": "W"}.get(key, key)
    try:
        return Freq(key)
    except ValueError:
        raise ColumnError(
            f"unknown window frequency {freq!r}; use D (day), W (Monday-start week) or M (month)"
        ) from None
