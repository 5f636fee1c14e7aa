"""Which issues to tell the team about, the outbox, and sending it.

Per issue the monitor remembers an *episode* (a run of the issue being new or ongoing,
ended by ``resolved``), whether it is active, and the severity of its last alert. From
the issue store's current list (:meth:`koubei.store.history.IssueStore.list`):

- ``muted``: never an alert (a queued one is cancelled when its turn comes);
- ``resolved``: the episode ends; if the issue comes back, that is a new episode;
- ``new`` or ``ongoing`` with no alert yet in this episode and a severity at least the
  threshold: a **new** alert, key ``ISSUE:e<episode>:new``;
- ``ongoing`` whose severity rose by at least ``escalate_by`` since its last alert: an
  **escalated** alert, key ``ISSUE:e<episode>:escalated:<severity>``.

Planning and queueing are one transaction with the memory: an alert is queued once.
Each queued alert × channel is one outbox row, sent (with retries) in this run or, if it
still fails, in the next; a sent row is never sent again. A send that succeeded but was
not recorded (the process killed in between) is sent again by the next run: at least
once, with the key as ``Idempotency-Key`` / ``Message-ID`` so receivers can drop it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from koubei.monitor.alerts import AlertMessage, Channel, Delivery, deliver, issue_facts
from koubei.monitor.alerts.limits import RateLimiter, describe
from koubei.monitor.config import AlertSettings
from koubei.monitor.state import MonitorState

ACTIVE = ("new", "ongoing")


@dataclass(frozen=True)
class Memory:
    """What the monitor remembers of one issue."""

    episode: int = 0
    active: bool = False
    alerted_severity: float | None = None


@dataclass(frozen=True)
class Plan:
    """An alert to queue: its issue, kind, idempotency key and severities."""

    issue_id: str
    kind: str
    key: str
    severity: float | None
    previous: float | None = None


def plan_alerts(issues: pd.DataFrame, memory: dict[str, Memory], *, threshold: float,
                escalate_by: float) -> tuple[list[Plan], dict[str, Memory]]:
    """The alerts the current issue list calls for, and the memory after them (see the module doc).

    Args:
        issues: ``IssueStore.list()`` (``issue_id``, ``status``, ``severity``).
        memory: per issue id, as :func:`load_memory` reads it.
        threshold: the lowest severity alerted (an issue without one, a new kind of
            complaint, counts as 0).
    """
    plans: list[Plan] = []
    after: dict[str, Memory] = {}
    for row in issues.itertuples(index=False):
        iid, status = str(row.issue_id), str(row.status)
        sev = _severity(row.severity)
        mem = memory.get(iid, Memory())
        if status == "muted":
            continue
        if status not in ACTIVE:
            if mem.active:
                after[iid] = Memory(mem.episode, False, mem.alerted_severity)
            continue
        if not mem.active:
            mem = Memory(mem.episode + 1, True, None)
            after[iid] = mem
        level = 0.0 if sev is None else sev
        if mem.alerted_severity is None:
            if level >= threshold:
                plans.append(Plan(iid, "new", f"{iid}:e{mem.episode}:new", sev))
                after[iid] = Memory(mem.episode, True, level)
        elif status == "ongoing" and sev is not None and sev >= mem.alerted_severity + escalate_by:
            plans.append(Plan(iid, "escalated", f"{iid}:e{mem.episode}:escalated:{sev:.1f}", sev,
                              mem.alerted_severity))
            after[iid] = Memory(mem.episode, True, sev)
    return plans, after


def _severity(value: Any) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def load_memory(state: MonitorState) -> dict[str, Memory]:
    rows = state.execute("SELECT issue_id, episode, active, alerted_severity FROM alert_issues")
    return {str(i): Memory(int(e), bool(a), None if s is None else float(s)) for i, e, a, s in rows}


def messages_for(plans: Sequence[Plan], issues: pd.DataFrame, *, taxonomy: Any, teams: Any,
                 report: str | None) -> list[AlertMessage]:
    """The :class:`AlertMessage` of each plan, from its issue's row."""
    if not plans:
        return []
    from koubei.export.rows import build_records

    rows = issues.set_index(issues["issue_id"].astype(str), drop=False)
    out = []
    for plan in plans:
        row = rows.loc[[plan.issue_id]]
        zh = build_records(row, taxonomy=taxonomy, teams=teams, lang="zh", mask=True)[0]
        en = build_records(row, taxonomy=taxonomy, teams=teams, lang="en", mask=True)[0]
        facts = issue_facts(row.iloc[0].to_dict(), zh, en, previous_severity=plan.previous, report=report)
        out.append(AlertMessage(plan.key, plan.kind, facts))
    return out


def enqueue(state: MonitorState, messages: Sequence[AlertMessage], memory: dict[str, Memory],
            channels: Sequence[Channel], threshold: float) -> int:
    """Queue each message on every channel whose threshold it meets, and save ``memory``; one
    transaction. Returns the outbox rows added (a key already queued is not queued again)."""
    added = 0
    with state.transaction():
        for iid, mem in memory.items():
            state.execute("INSERT OR REPLACE INTO alert_issues VALUES (?, ?, ?, ?, now())",
                          [iid, mem.episode, mem.active, mem.alerted_severity])
        for msg in messages:
            for ch in channels:
                if not _meets(msg, ch, threshold):
                    continue
                if state.execute("SELECT 1 FROM outbox WHERE key = ? AND channel = ?", [msg.key, ch.name]):
                    continue
                state.execute("INSERT INTO outbox VALUES (?, ?, ?, ?, ?, 'pending', 0, NULL, now(), NULL)",
                              [msg.key, ch.name, msg.issue_id, msg.kind, msg.to_json()])
                added += 1
    return added


def _meets(msg: AlertMessage, channel: Channel, threshold: float) -> bool:
    limit = channel.min_severity if channel.min_severity is not None else threshold
    sev = _severity(msg.facts.get("severity"))
    return (0.0 if sev is None else sev) >= limit


@dataclass(frozen=True)
class Queued:
    """An outbox row waiting to be sent."""

    key: str
    channel: str
    issue_id: str
    message: str


def queued(state: MonitorState) -> list[Queued]:
    rows = state.execute("SELECT key, channel, issue_id, message FROM outbox WHERE state = 'pending' "
                         "ORDER BY created_at, key, channel")
    return [Queued(*map(str, r)) for r in rows]


def send_queued(state: MonitorState, items: Sequence[Queued], channels: Sequence[Channel], *,
                settings: AlertSettings, lang: str | None, muted: set[str], dry_run: bool = False,
                sleep: Callable[[float], None] | None = None,
                clock: Callable[[], float] | None = None) -> list[Delivery]:
    """Send each queued alert on its channel (see the module doc); record what became of it.

    ``lang``: the run's language override (``--lang``); else the channel's, else the settings'.
    With ``dry_run`` nothing is sent or recorded: each delivery carries the payload it would post.
    Each channel sends within its rate limits (:mod:`koubei.monitor.alerts.limits`), waiting at
    most ``settings.rate_wait_seconds`` in all; what it cannot send in time comes back
    ``deferred`` and stays queued, in order, for the next run.
    """
    by_name = {c.name: c for c in channels}
    now = clock or time.time
    limiter = RateLimiter(max_wait=settings.rate_wait_seconds, recent=recent_sends(state, now() - LONGEST),
                          clock=now, sleep=sleep or time.sleep)
    blocked: set[str] = set()
    out = []
    for item in items:
        ch = by_name.get(item.channel)
        msg = AlertMessage.from_json(item.message)
        head = (item.key, item.issue_id, msg.kind, item.channel, ch.target if ch else "")
        if item.issue_id in muted:
            if not dry_run:
                _finish(state, item, "cancelled", 0, "muted before it was sent")
            out.append(Delivery(*head, state="cancelled"))
            continue
        if ch is None:
            out.append(Delivery(*head, state="skipped",
                                error=f"no channel {item.channel!r} in the config any more; kept"))
            continue
        msg = AlertMessage(msg.key, msg.kind, msg.facts, lang or ch.lang or settings.lang)
        if dry_run:
            preview = ch.preview(msg) if hasattr(ch, "preview") else msg.text()
            out.append(Delivery(*head, state="dry_run", preview=preview))
            continue
        if ch.name in blocked or not limiter.acquire(ch.name, ch.rate_limits):
            blocked.add(ch.name)  # the channel's later alerts wait too, so they go out in order
            out.append(Delivery(*head, state="deferred",
                                error=f"{ch.name}: at its rate limit ({describe(ch.rate_limits)}); "
                                      "kept, sent by the next run"))
            continue
        done = deliver(msg, ch, retries=settings.retries, backoff=settings.backoff_seconds,
                       **({"sleep": sleep} if sleep else {}))
        limiter.record(ch.name, done.attempts)
        _finish(state, item, done.state, done.attempts, done.error)
        out.append(done)
    return out


#: the longest window of any platform's rate limit, in seconds
LONGEST = 60.0


def recent_sends(state: MonitorState, since: float) -> dict[str, list[float]]:
    """Per channel, when its alerts were sent since ``since`` (seconds since the epoch)."""
    rows = state.execute("SELECT channel, epoch(sent_at) FROM outbox WHERE state = 'sent' "
                         "AND epoch(sent_at) > ?", [since])
    out: dict[str, list[float]] = {}
    for channel, at in rows:
        out.setdefault(str(channel), []).append(float(at))
    return out


def _finish(state: MonitorState, item: Queued, outcome: str, attempts: int, error: str | None) -> None:
    with state.transaction():
        if outcome == "sent":
            state.execute("UPDATE outbox SET state = 'sent', attempts = attempts + ?, sent_at = now() "
                          "WHERE key = ? AND channel = ?", [attempts, item.key, item.channel])
        elif outcome == "cancelled":
            state.execute("UPDATE outbox SET state = 'cancelled', last_error = ? WHERE key = ? AND "
                          "channel = ?", [error, item.key, item.channel])
        else:
            state.execute("UPDATE outbox SET attempts = attempts + ?, last_error = ? WHERE key = ? AND "
                          "channel = ?", [attempts, error, item.key, item.channel])
