"""Sending one alert on one channel, with retries and backoff.

A failed try (:class:`koubei.errors.AlertError`: timeout, HTTP error, an error code in
the platform's reply) is tried again up to ``retries`` times, waiting ``backoff``
seconds, then twice that, and so on (or as long as the platform's ``Retry-After``
asks, at most :data:`MAX_WAIT`). What still fails comes back as a failed
:class:`Delivery`; the caller keeps it in the outbox for the next run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from koubei.errors import AlertError
from koubei.monitor.alerts._base import Channel
from koubei.monitor.alerts.message import AlertMessage

MAX_WAIT = 60.0


@dataclass(frozen=True)
class Delivery:
    """What became of one alert on one channel in this run.

    Attributes:
        state: ``sent``, ``failed`` (kept for the next run), ``dry_run`` (shown, not sent),
            ``cancelled`` (the issue was muted before it went out), ``skipped`` (its channel
            is no longer in the config; kept) or ``deferred`` (its channel was at its rate
            limit; kept for the next run).
        attempts: tries made in this run.
        error: the last error, masked (no secret, no full URL).
        preview: with ``dry_run``, what would have been posted.
    """

    key: str
    issue_id: str
    kind: str
    channel: str
    target: str
    state: str
    attempts: int = 0
    error: str | None = None
    preview: str | None = None


def deliver(message: AlertMessage, channel: Channel, *, retries: int = 3, backoff: float = 2.0,
            sleep: Callable[[float], None] = time.sleep) -> Delivery:
    """Send ``message`` on ``channel``, trying ``retries`` more times after a failure."""
    last: AlertError | None = None
    for attempt in range(retries + 1):
        try:
            channel.send(message)
        except AlertError as e:
            last = e
            if attempt < retries:
                wait = e.retry_after if e.retry_after is not None else backoff * 2 ** attempt
                sleep(min(wait, MAX_WAIT))
            continue
        return Delivery(message.key, message.issue_id, message.kind, channel.name, channel.target, "sent",
                        attempt + 1)
    return Delivery(message.key, message.issue_id, message.kind, channel.name, channel.target, "failed",
                    retries + 1, str(last))
