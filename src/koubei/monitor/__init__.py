"""Monitoring a growing review feed: incremental runs, a partitioned history, alerts to team chats.

    from koubei.monitor import load_config, run_once
    result = run_once(load_config("monitor.toml"))

- :mod:`koubei.monitor.config`: the TOML config, checked entry by entry;
- :mod:`koubei.monitor.ingest`: only new rows scored, appended crash-safely as Parquet parts;
- :mod:`koubei.monitor.cycle`: one cycle (ingest → detect → outputs → alerts);
- :mod:`koubei.monitor.notify`: new/escalated issues, the outbox, idempotent sends;
- :mod:`koubei.monitor.alerts`: the channels (WeChat Work, DingTalk, Feishu/Lark, Slack,
  a JSON webhook, SMTP e-mail);
- :mod:`koubei.monitor.watch`: a cycle every so often.
"""

from koubei.monitor.config import MonitorConfig, load_config
from koubei.monitor.cycle import ModelCache, RunResult, run_once
from koubei.monitor.template import write_template
from koubei.monitor.watch import parse_interval, watch

__all__ = ["ModelCache", "MonitorConfig", "RunResult", "load_config", "parse_interval", "run_once", "watch",
           "write_template"]
