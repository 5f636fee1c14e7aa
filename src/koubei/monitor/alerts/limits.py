"""The platforms' rate limits, and a limiter that keeps a run's sends under them.

Group robots refuse messages past a rate (企业微信 and 钉钉: 20 a minute per robot; 飞书: 100 a
minute and 5 a second; Slack incoming webhooks: about 1 a second). A run with more alerts sends
while each channel is under its limits, counting the sends of the last minute, earlier runs'
included; when a channel is at its limit it waits until a send leaves the window, as long as the
run's waits stay within ``[alerts] rate_wait_seconds`` in all. Past that, the channel's other alerts
stay in the outbox, in order, and the next run sends them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping

#: (messages, seconds) each platform allows, per robot or webhook; the generic webhook and e-mail: none
PLATFORM_LIMITS: dict[str, tuple[tuple[int, float], ...]] = {
    "wechat": ((20, 60.0),), "dingtalk": ((20, 60.0),), "feishu": ((100, 60.0), (5, 1.0)),
    "slack": ((1, 1.0),), "webhook": (), "email": (),
}
Limits = tuple[tuple[int, float], ...]


def channel_limits(kind: str, per_minute: int | None) -> Limits:
    """The limits of a channel of platform ``kind``: its platform's, with the per-minute one
    replaced by ``per_minute`` when given (0: no per-minute limit)."""
    limits = PLATFORM_LIMITS.get(kind, ())
    if per_minute is None:
        return limits
    others = tuple(lim for lim in limits if lim[1] != 60.0)
    return ((per_minute, 60.0), *others) if per_minute else others


def describe(limits: Limits) -> str:
    """``20 a minute, 5 a second``."""
    unit = {60.0: "a minute", 1.0: "a second"}
    return ", ".join(f"{n} {unit.get(s, f'per {s:g} s')}" for n, s in limits) or "no limit"


class RateLimiter:
    """Sends per channel under each channel's limits, waiting at most ``max_wait`` seconds in all.

    Args:
        max_wait: the most seconds a run waits for the limits, over all channels.
        recent: per channel, the times (``clock`` seconds) of sends made before this run.
        clock: the time now, in seconds (``time.time``: comparable with the outbox's times).
        sleep: how to wait.
    """

    def __init__(self, *, max_wait: float, recent: Mapping[str, Iterable[float]] | None = None,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep) -> None:
        self.max_wait, self.clock, self.sleep = max_wait, clock, sleep
        self.waited = 0.0
        self._sent: dict[str, list[float]] = {k: sorted(v) for k, v in (recent or {}).items()}

    def acquire(self, channel: str, limits: Limits) -> bool:
        """Wait until ``channel`` may send once more; False (no wait) when that would take the run's
        waits past ``max_wait``."""
        while (wait := self.wait(channel, limits)) > 0:
            if self.waited + wait > self.max_wait:
                return False
            self.sleep(wait)
            self.waited += wait
        return True

    def record(self, channel: str, sends: int = 1) -> None:
        """``sends`` requests made on ``channel`` now (each try of a retried alert counts)."""
        self._sent.setdefault(channel, []).extend([self.clock()] * sends)

    def wait(self, channel: str, limits: Limits) -> float:
        """Seconds until ``channel`` is under every limit again (0: now)."""
        now = self.clock()
        times = self._sent.get(channel, [])
        wait = 0.0
        for n, period in limits:
            recent = [t for t in times if t > now - period]
            if n > 0 and len(recent) >= n:
                wait = max(wait, recent[-n] + period - now)
        return wait
