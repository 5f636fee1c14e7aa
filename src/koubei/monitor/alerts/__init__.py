"""Alert channels: team chats (WeChat Work, DingTalk, Feishu/Lark, Slack), a JSON webhook, e-mail.

Every channel has one method, ``send(message) -> None``, raising
:class:`koubei.errors.AlertError`; :func:`channel_from_entries` builds one from its
config table; :func:`deliver` retries with backoff.
"""

from koubei.monitor.alerts._base import Channel
from koubei.monitor.alerts.deliver import Delivery, deliver
from koubei.monitor.alerts.http import mask_url
from koubei.monitor.alerts.message import AlertMessage, issue_facts
from koubei.monitor.alerts.resolve import TYPES, channel_from_entries

__all__ = ["TYPES", "AlertMessage", "Channel", "Delivery", "channel_from_entries", "deliver", "issue_facts",
           "mask_url"]
