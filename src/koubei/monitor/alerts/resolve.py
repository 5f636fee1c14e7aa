"""From a config table (``[alerts.NAME]``) to a channel: the one place that knows every platform.

    [alerts.dingtalk]                     # the type is the table's name...
    webhook_env = "DINGTALK_WEBHOOK"
    secret_env = "DINGTALK_SECRET"

    [alerts.qa-team]                      # ...or given
    type = "feishu"
    webhook_env = "QA_FEISHU_WEBHOOK"

Every channel also takes ``lang`` (``zh``/``en``), ``min_severity`` and ``rate_limit`` (messages a
minute; default: the platform's, :data:`koubei.monitor.alerts.limits.PLATFORM_LIMITS`; 0: none).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from koubei.monitor._entries import Entries, Secret
from koubei.monitor.alerts._base import Channel
from koubei.monitor.alerts.chat import DingTalk, Feishu, Slack, WeChatWork
from koubei.monitor.alerts.http import check_url
from koubei.monitor.alerts.limits import channel_limits
from koubei.monitor.alerts.mail import SECURITY, Email
from koubei.monitor.alerts.webhook import Webhook

TYPES: tuple[str, ...] = ("wechat", "dingtalk", "feishu", "slack", "webhook", "email")
_ALIASES = {"wecom": "wechat", "weixin": "wechat", "lark": "feishu", "smtp": "email", "mail": "email"}
_LITERAL = ("webhook", "url", "secret", "token", "password", "username")


def channel_from_entries(name: str, t: Entries, *, timeout: float = 10.0,
                         base: Path | None = None) -> Channel:
    """The channel a ``[alerts.NAME]`` table describes (the caller calls ``t.done()``).

    Args:
        timeout: seconds to wait for the platform's answer.
        base: the folder relative paths (``ca_file``) start from (default: the working folder).

    Raises:
        ConfigError: an unknown type, a missing or bad entry, a secret written into the file,
            or an environment variable that is not set or holds no http(s) URL.
    """
    default = _ALIASES.get(name.lower(), name.lower())
    kind = t.choice("type", TYPES, default if default in TYPES else None)
    if kind is None:
        raise t.error("type", f"is required (one of {', '.join(TYPES)}) unless the table is named after one")
    for key in _LITERAL:
        t.refuse(key, f"secrets and webhook addresses are never written in the config; put it in an "
                      f"environment variable and name that with {key}_env")
    common: dict[str, Any] = dict(timeout=timeout, lang=t.choice("lang", ("zh", "en"), None),
                                  min_severity=t.number("min_severity", None, min=0, max=100))
    per_minute = t.whole("rate_limit", None, min=0)
    ch = _email(name, t, common, base or Path.cwd()) if kind == "email" else _BUILDERS[kind](name, t, common)
    ch.rate_limits = channel_limits(kind, per_minute)
    return ch


def _url(t: Entries, key: str) -> Secret:
    url = t.env(key)
    assert url is not None
    problem = check_url(url.reveal())
    if problem:
        raise t.error(key, f"environment variable {url.env} {problem} (the robot's webhook address)")
    return url


def _wechat(name: str, t: Entries, common: dict[str, Any]) -> Channel:
    return WeChatWork(name, _url(t, "webhook_env"), **common)


def _dingtalk(name: str, t: Entries, common: dict[str, Any]) -> Channel:
    return DingTalk(name, _url(t, "webhook_env"), secret=t.env("secret_env", required=False), **common)


def _feishu(name: str, t: Entries, common: dict[str, Any]) -> Channel:
    return Feishu(name, _url(t, "webhook_env"), secret=t.env("secret_env", required=False), **common)


def _slack(name: str, t: Entries, common: dict[str, Any]) -> Channel:
    return Slack(name, _url(t, "webhook_env"), **common)


def _webhook(name: str, t: Entries, common: dict[str, Any]) -> Channel:
    return Webhook(name, _url(t, "url_env"), secret=t.env("secret_env", required=False),
                   token=t.env("token_env", required=False), **common)


def _email(name: str, t: Entries, common: dict[str, Any], base: Path) -> Channel:
    security = t.choice("security", SECURITY, "starttls")
    port = t.whole("port", {"starttls": 587, "ssl": 465, "none": 25}[security], min=1)
    if port > 65535:
        raise t.error("port", f"must be at most 65535, not {port}")
    username, password = t.env("username_env", required=False), t.env("password_env", required=False)
    if (username is None) != (password is None):
        raise t.error("password_env" if password is None else "username_env",
                      "is required with " + ("username_env" if password is None else "password_env"))
    if security == "none" and password is not None:
        raise t.error("security", '"none" sends the password in clear; use "starttls" or "ssl"')
    to = t.strings("to")
    sender = t.text("from")
    for addr in (sender, *to):
        if "@" not in addr or any(c in addr for c in "\r\n"):
            raise t.error("from" if addr == sender else "to", f"{addr!r} is not an e-mail address")
    ca = t.text("ca_file", None)
    ca_file = base / ca if ca is not None else None
    if ca_file is not None and not ca_file.is_file():
        raise t.error("ca_file", f"no file {ca_file}")
    return Email(name, host=t.text("host"), port=port, sender=sender, to=to, security=security,
                 username=username, password=password, ca_file=ca_file, **common)


_BUILDERS: dict[str, Callable[[str, Entries, dict[str, Any]], Channel]] = {
    "wechat": _wechat, "dingtalk": _dingtalk, "feishu": _feishu, "slack": _slack, "webhook": _webhook,
}
