"""A generic JSON webhook: the alert's facts and its rendered text, for any receiver.

Body (UTF-8 JSON)::

    {"event": "koubei.issue.new" | "koubei.issue.escalated", "idempotency_key": "...",
     "lang": "zh", "title": "...", "text": "...", "markdown": "...", "issue": {facts}}

Headers: ``Idempotency-Key`` (the same on every retry of one alert, so a receiver can
drop repeats), ``Authorization: Bearer <token>`` with ``token_env``, and with
``secret_env`` ``X-Koubei-Timestamp`` (Unix seconds) and ``X-Koubei-Signature:
sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`` over the exact bytes sent.
Any 2xx reply is success.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from koubei.monitor._entries import Secret
from koubei.monitor.alerts._base import JsonWebhook
from koubei.monitor.alerts.http import post_json
from koubei.monitor.alerts.message import AlertMessage


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=`` + hex HMAC-SHA256(secret, ``f"{timestamp}."`` + body)."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class Webhook(JsonWebhook):
    """Any HTTP(S) endpoint taking JSON."""

    type = "webhook"

    def __init__(self, name: str, url: Secret, *, token: Secret | None = None, **kwargs: Any) -> None:
        super().__init__(name, url, **kwargs)
        self._token = token

    def secrets(self) -> list[str]:
        return [*super().secrets(), *([self._token.reveal()] if self._token else [])]

    def payload(self, message: AlertMessage) -> dict[str, Any]:
        return {"event": f"koubei.issue.{message.kind}", "idempotency_key": message.key, "lang": message.lang,
                "title": message.title(), "text": message.text(), "markdown": message.markdown(),
                "issue": message.facts}

    def send(self, message: AlertMessage) -> None:
        body = json.dumps(self.payload(message), ensure_ascii=False).encode("utf-8")
        headers = {"Idempotency-Key": message.key}
        if self._token is not None:
            headers["Authorization"] = f"Bearer {self._token.reveal()}"
        if self._secret is not None:
            ts = int(time.time())
            headers["X-Koubei-Timestamp"] = str(ts)
            headers["X-Koubei-Signature"] = webhook_signature(self._secret.reveal(), ts, body)
        post_json(self.url(), None, body=body, headers=headers, timeout=self.timeout, where=self.where,
                  secrets=self.secrets())
