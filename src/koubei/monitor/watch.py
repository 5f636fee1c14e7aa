"""``koubei watch``: run a cycle every so often, for hosts without cron or systemd timers.

The config is read again before every cycle, so a channel added or a threshold changed
takes effect at the next one; the model is loaded once and kept.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

from koubei.errors import KoubeiError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])")


def parse_interval(text: str) -> float:
    """``"90s"``, ``"15m"``, ``"1h"``, ``"1h30m"``, ``"1d"`` → seconds.

    Raises:
        ValueError: not such a duration, or shorter than a second.
    """
    s = text.strip().lower().replace(" ", "")
    parts = _PART.findall(s)
    if not s or "".join(n + u for n, u in parts) != s:
        raise ValueError(f"{text!r} is not a duration such as 30m, 1h, 1h30m or 1d")
    seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds < 1:
        raise ValueError(f"{text!r} is shorter than a second")
    return seconds


def watch(cycle: Callable[[], Any], every: float, *, on_result: Callable[[Any], None],
          on_error: Callable[[KoubeiError], None], stop: threading.Event | None = None,
          max_runs: int | None = None, clock: Callable[[], float] = time.monotonic) -> int:
    """Call ``cycle()`` every ``every`` seconds (start to start) until ``stop`` is set.

    A cycle's :class:`~koubei.errors.KoubeiError` goes to ``on_error`` and the next cycle runs
    as planned (a store locked by a run still going, a network down); an error in the first
    cycle is raised (a config that cannot work should stop the watch at once). A cycle that
    takes longer than ``every`` is followed by the next one at once, never by two.

    Returns:
        The number of cycles run.
    """
    stop = stop or threading.Event()
    runs = 0
    while not stop.is_set() and (max_runs is None or runs < max_runs):
        start = clock()
        try:
            on_result(cycle())
        except KoubeiError as e:
            if runs == 0:
                raise
            on_error(e)
        runs += 1
        if max_runs is not None and runs >= max_runs:
            break
        stop.wait(max(0.0, start + every - clock()))
    return runs
