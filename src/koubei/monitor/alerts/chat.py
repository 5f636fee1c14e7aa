"""Team-chat robots: 企业微信 (WeChat Work) group robot, 钉钉 DingTalk robot, 飞书 Feishu/Lark bot, Slack.

Each platform's documented payload, signature and error reply:

- **WeChat Work** group robot: ``{"msgtype": "markdown", "markdown": {"content": …}}``
  (at most 4096 bytes); the reply's ``errcode`` is 0 on success.
- **DingTalk** custom robot: ``{"msgtype": "markdown", "markdown": {"title", "text"}}``;
  with 加签 (signed secret) the URL gets ``timestamp`` (ms) and ``sign`` =
  urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")));
  the reply's ``errcode`` is 0 on success (310000: sign not match).
- **Feishu/Lark** custom bot: an interactive card with a ``markdown`` element; with
  签名校验 the body gets ``timestamp`` (s) and ``sign`` =
  base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")); the reply's ``code``
  (``StatusCode`` in older replies) is 0 on success (19021: sign match fail).
- **Slack** incoming webhook: ``{"text", "blocks": [section mrkdwn]}``; the reply body is
  ``ok``; errors come as HTTP 4xx with a short body (``invalid_payload``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
import urllib.parse
from typing import Any

from koubei.monitor.alerts._base import JsonWebhook, error_code
from koubei.monitor.alerts.http import Reply
from koubei.monitor.alerts.message import AlertMessage

WECHAT_MAX_BYTES = 4096


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: base64(HMAC-SHA256(secret, "timestamp\\nsecret")), not yet URL-encoded."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu/Lark's 签名校验: base64(HMAC-SHA256(key="timestamp\\nsecret", msg=b""))."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


class WeChatWork(JsonWebhook):
    """企业微信 group robot (``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…``)."""

    type = "wechat"

    def payload(self, message: AlertMessage) -> dict[str, Any]:
        content = _cut_bytes(message.markdown(), WECHAT_MAX_BYTES)
        return {"msgtype": "markdown", "markdown": {"content": content}}

    def check(self, reply: Reply) -> None:
        if (err := error_code(reply, "errcode")) is not None:
            raise self.refused(reply, *err)


class DingTalk(JsonWebhook):
    """钉钉 custom robot (``https://oapi.dingtalk.com/robot/send?access_token=…``), 加签 optional."""

    type = "dingtalk"

    def url(self) -> str:
        base = super().url()
        if self._secret is None:
            return base
        ts = int(time.time() * 1000)
        sign = urllib.parse.quote_plus(dingtalk_sign(self._secret.reveal(), ts))
        return f"{base}{'&' if urllib.parse.urlsplit(base).query else '?'}timestamp={ts}&sign={sign}"

    def payload(self, message: AlertMessage) -> dict[str, Any]:
        return {"msgtype": "markdown", "markdown": {"title": message.title(), "text": message.markdown()}}

    def check(self, reply: Reply) -> None:
        if (err := error_code(reply, "errcode")) is not None:
            raise self.refused(reply, *err)


class Feishu(JsonWebhook):
    """飞书/Lark custom bot (``https://open.feishu.cn/open-apis/bot/v2/hook/…``), 签名校验 optional."""

    type = "feishu"

    def payload(self, message: AlertMessage) -> dict[str, Any]:
        color = "red" if message.kind == "escalated" else "orange"
        return {"msg_type": "interactive", "card": {
            "config": {"wide_screen_mode": True},
            "header": {"template": color, "title": {"tag": "plain_text", "content": message.title()}},
            "elements": [{"tag": "markdown", "content": message.body_markdown()}],
        }}

    def send(self, message: AlertMessage) -> None:
        from koubei.monitor.alerts.http import post_json

        body = self.payload(message)
        if self._secret is not None:  # the signature goes in the body, before the message
            ts = int(time.time())
            body = {"timestamp": str(ts), "sign": feishu_sign(self._secret.reveal(), ts), **body}
        reply = post_json(self.url(), body, timeout=self.timeout, where=self.where, secrets=self.secrets())
        self.check(reply)

    def check(self, reply: Reply) -> None:
        if (err := error_code(reply, "code", "StatusCode")) is not None:
            raise self.refused(reply, *err)


class Slack(JsonWebhook):
    """Slack incoming webhook (``https://hooks.slack.com/services/…``)."""

    type = "slack"

    def payload(self, message: AlertMessage) -> dict[str, Any]:
        section = {"type": "mrkdwn", "text": slack_mrkdwn(message.markdown())}
        return {"text": message.title(), "blocks": [{"type": "section", "text": section}]}

    def check(self, reply: Reply) -> None:
        if reply.body.strip() != "ok":
            raise self.refused(reply, reply.status, reply.body)


_MD_LINK = re.compile(r"\[([^\]]*)\]\((https?://[^)\s]+)\)")


def slack_mrkdwn(markdown: str) -> str:
    """Chat Markdown → Slack's mrkdwn: ``**b**`` → ``*b*``, ``[t](url)`` → ``<url|t>``.

    Customer text has no ``*``, ``[`` or ``<`` left (:func:`koubei.monitor.alerts.message.md`),
    so only the message's own markup is rewritten.
    """
    return _MD_LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", markdown.replace("**", "*"))


def _cut_bytes(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", "ignore") + "…"
