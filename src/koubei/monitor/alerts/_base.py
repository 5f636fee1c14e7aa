"""What every alert channel is: a name, a masked target, and one method, ``send``.

A channel posts one :class:`~koubei.monitor.alerts.message.AlertMessage` and returns,
or raises :class:`koubei.errors.AlertError` (timeout, HTTP error, an error code in the
platform's 200 reply). Retrying, backing off and keeping what failed for the next run
are the deliverer's (:mod:`koubei.monitor.alerts.deliver`), not the channel's.
"""

from __future__ import annotations

import json
from typing import Any, Protocol, runtime_checkable

from koubei.errors import AlertError
from koubei.monitor._entries import Secret
from koubei.monitor.alerts.http import Reply, mask_url, post_json
from koubei.monitor.alerts.message import AlertMessage


@runtime_checkable
class Channel(Protocol):
    """An alert channel.

    Attributes:
        name: the config table's name (``[alerts.qa-team]`` → ``qa-team``); the outbox keys on it.
        type: the platform (``dingtalk``...).
        target: where it sends, masked (``https://oapi.dingtalk.com/***``), for messages.
        lang: the language of its messages, or None for the run's.
        min_severity: alerts below it are not sent here (None: the run's setting).
        rate_limits: (messages, seconds) it may send (:mod:`koubei.monitor.alerts.limits`).
    """

    name: str
    type: str
    target: str
    lang: str | None
    min_severity: float | None
    rate_limits: tuple[tuple[int, float], ...]

    def send(self, message: AlertMessage) -> None:
        """Deliver ``message``; raise :class:`~koubei.errors.AlertError` if the platform did not take it."""
        ...


class JsonWebhook:
    """A channel that POSTs a JSON payload to a webhook URL held in an environment variable.

    Subclasses say what to send (:meth:`payload`) and what a good reply is (:meth:`check`);
    ``secret`` is the signing secret of the platforms that sign (kept out of every message).
    """

    type = "webhook"
    rate_limits: tuple[tuple[int, float], ...] = ()

    def __init__(self, name: str, url: Secret, *, secret: Secret | None = None, timeout: float = 10.0,
                 lang: str | None = None, min_severity: float | None = None) -> None:
        self.name, self._url, self._secret, self.timeout = name, url, secret, timeout
        self.lang, self.min_severity = lang, min_severity
        self.target = mask_url(url.reveal())

    @property
    def where(self) -> str:
        """How messages name this channel: ``dingtalk (https://oapi.dingtalk.com/***)``."""
        return f"{self.name} ({self.target})"

    def secrets(self) -> list[str]:
        """Every value to keep out of messages."""
        return [self._url.reveal(), *([self._secret.reveal()] if self._secret else [])]

    def payload(self, message: AlertMessage) -> dict[str, Any]:
        raise NotImplementedError

    def check(self, reply: Reply) -> None:
        """Raise AlertError when a 2xx reply still says the message was refused."""

    def url(self) -> str:
        """The address to POST to (signed ones add their query)."""
        return self._url.reveal()

    def send(self, message: AlertMessage) -> None:
        reply = post_json(self.url(), self.payload(message), timeout=self.timeout, where=self.where,
                          secrets=self.secrets())
        self.check(reply)

    def preview(self, message: AlertMessage) -> str:
        """What :meth:`send` would post (without signatures), for ``--dry-run``."""
        return json.dumps(self.payload(message), ensure_ascii=False, indent=2)

    def refused(self, reply: Reply, code: Any, msg: Any) -> AlertError:
        """The error of a reply whose platform code says the message was refused."""
        from koubei.monitor.alerts.http import scrub

        text = " ".join(str(msg or reply.body).split())[:200]
        return AlertError(scrub(f"{self.where}: the platform refused the message (code {code}: {text})",
                                self.secrets()))


def error_code(reply: Reply, *names: str) -> tuple[Any, Any] | None:
    """``(code, message)`` of a JSON reply whose first present ``names`` field is not 0; else None.

    A reply that is not JSON, or holds none of the fields, is an error too.
    """
    data = reply.json()
    if not isinstance(data, dict):
        return ("?", f"not a JSON reply: {reply.body[:120]}")
    for name in names:
        if name in data:
            code = data[name]
            if code in (0, "0"):
                return None
            return (code, data.get("errmsg") or data.get("msg") or data.get("StatusMessage"))
    return ("?", f"no {' or '.join(names)} in the reply: {reply.body[:120]}")
